"""What a file name says: the extension Windows acts on, and what kind of file it claims.

Windows chooses how to open a file by its extension, so a name alone tells whether a
double-click would run something. Used where only the name is known (a member of an archive
that stayed locked) as well as beside the bytes (the executable and disguise checks).
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


BINARY_EXTS = _words(".exe .dll .scr .com .pif .cpl .xll")  # .xll: a DLL Excel loads
INSTALLER_EXTS = _words(".msi .msp")
SCRIPT_EXTS = _words(".js .jse .vbs .vbe .vb .wsf .wsh .hta .bat .cmd .ps1 .psm1 .msc .sct .wsc")
EXECUTABLE_EXTS = BINARY_EXTS | INSTALLER_EXTS | SCRIPT_EXTS
SHORTCUT_EXTS = _words(".lnk .url .scf .library-ms .search-ms .searchconnector-ms .desktop")
DISK_IMAGE_EXTS = _words(".iso .img .vhd .vhdx")
ARCHIVE_EXTS = _words(".zip .rar .7z .gz .tgz .bz2 .xz .tar .cab .arj .ace .lzh .xar")
ONENOTE_EXTS = _words(".one .onepkg")
# Office formats whose name says "macros inside".
MACRO_DOCUMENT_EXTS = _words(".docm .dotm .xlsm .xltm .xlam .xlsb .pptm .potm .ppam .ppsm .sldm")
# Files that run code though their names do not say so, by what opens them: legacy binary
# Office documents (they hold macros as .docm does), Office add-ins, OneNote notebooks, help
# files, Excel web queries; and Java archives, which Java runs like a program.
CODE_FILE_KINDS = {
    **dict.fromkeys(_words(".doc .dot .xls .xlt .ppt .pot .pps"), "Office document"),
    **dict.fromkeys(_words(".xla .ppa .wll"), "add-in"),
    **dict.fromkeys(ONENOTE_EXTS, "OneNote notebook"),
    **dict.fromkeys(_words(".chm .hlp"), "help file"),
    **dict.fromkeys(_words(".iqy .slk"), "web query"),
}
JAVA_EXTS = _words(".jar")


def real_extension(filename: str) -> str:
    """The extension Windows acts on: trailing dots and spaces are dropped, case ignored."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].rstrip(" .")
    stem, dot, ext = name.rpartition(".")
    return "." + ext.lower() if dot and stem and ext else ""


def claimed_kind(filename: str) -> str:
    """What the name alone says a file is: program, shortcut, disk image, macro document,
    one of the `CODE_FILE_KINDS`, or "" for anything else."""
    ext = real_extension(filename)
    if ext in EXECUTABLE_EXTS or ext in JAVA_EXTS:
        return "program"
    if ext in SHORTCUT_EXTS:
        return "shortcut"
    if ext in DISK_IMAGE_EXTS:
        return "disk image"
    if ext in MACRO_DOCUMENT_EXTS:
        return "macro document"
    return CODE_FILE_KINDS.get(ext, "")


# Names that may carry such files inside them, opened before plain documents and data.
_CARRIER_EXTS = (
    ARCHIVE_EXTS
    | DISK_IMAGE_EXTS
    | _words(".eml .msg .docx .xlsx .pptx .ppsx .rtf .pdf .htm .html .svg .xht .xhtml")
)


def open_order(filename: str) -> int:
    """Which files to open first when a limit will stop the walk before the end: 0 for a
    name that runs code, 1 for one that can carry such a file, 2 for anything else."""
    if claimed_kind(filename):
        return 0
    return 1 if real_extension(filename) in _CARRIER_EXTS else 2
