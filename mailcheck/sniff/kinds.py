"""The kinds of file sniff tells apart, with their MIME types and extensions."""

from __future__ import annotations

from ..records import record

_HEAD = 8192  # text heuristics look at this prefix only, so cost is independent of size
_MAX_ZIP_NAMES = 10_000


@record
class Sniffed:
    kind: str
    mime: str
    extensions: tuple[str, ...]


# Each kind: display MIME | plausible extensions | accepted declared-type prefixes besides its own
# MIME (@name expands from _GROUPS; an indented "|..." line continues the previous one).
# Extensions: macro-free content under a macro-enabled name (docx named .docm) is harmless and
# common, the reverse is not; malspam .img files are mostly ISO9660; Word silently opens RTF
# saved as .doc, which many generators do. Declared types: the legacy type of the same
# application (application/vnd.ms-excel for .xlsm) is accepted because mailers map types by
# application, not format; zip types are accepted for zip-based formats since the bytes are a zip.
_GROUPS = {
    "@word": "application/msword application/vnd.ms-word "
    "application/vnd.openxmlformats-officedocument.wordprocessingml",
    "@excel": "application/vnd.ms-excel application/excel application/x-excel "
    "application/x-msexcel application/vnd.openxmlformats-officedocument.spreadsheetml",
    "@ppt": "application/vnd.ms-powerpoint application/mspowerpoint application/powerpoint "
    "application/vnd.openxmlformats-officedocument.presentationml",
    "@ole": "application/x-ole-storage application/vnd.ms-office application/cdfv2",
    "@zip": "application/zip application/x-zip application/x-zip-compressed multipart/x-zip",
    "@exec": "application/x-executable application/x-sharedlib application/x-object",
    "@disk": "application/x-iso9660-image application/x-cd-image application/x-raw-disk-image "
    "application/x-disk-image application/x-udf-image application/x-vhd application/x-vhdx",
}
_TABLE = """
ole|application/x-ole-storage|.doc .dot .xls .xlt .ppt .pps .msg .oft .msi .pub .vsd
    |@word @excel @ppt @ole application/vnd.ms- application/x-msi application/vnd.visio
doc|application/msword|.doc .dot|@word
xls|application/vnd.ms-excel|.xls .xlt .xla|@excel
ppt|application/vnd.ms-powerpoint|.ppt .pps .pot|@ppt
msg|application/vnd.ms-outlook|.msg .oft|application/x-msg application/msoutlook
ole-encrypted-ooxml|application/x-ole-storage|.docx .docm .xlsx .xlsm .xlsb .pptx .pptm
    |@word @excel @ppt @ole
docx|application/vnd.openxmlformats-officedocument.wordprocessingml.document|.docx .dotx .docm
    |@word @zip
docm|application/vnd.ms-word.document.macroEnabled.12|.docm .dotm|@word @zip
xlsx|application/vnd.openxmlformats-officedocument.spreadsheetml.sheet|.xlsx .xltx .xlsm .xltm
    |@excel @zip
xlsm|application/vnd.ms-excel.sheet.macroEnabled.12|.xlsm .xltm .xlam|@excel @zip
xlsb|application/vnd.ms-excel.sheet.binary.macroEnabled.12|.xlsb|@excel @zip
pptx|application/vnd.openxmlformats-officedocument.presentationml.presentation|.pptx .ppsx .pptm
    |@ppt @zip
pptm|application/vnd.ms-powerpoint.presentation.macroEnabled.12|.pptm .ppsm .potm .ppam
    |@ppt @zip
ooxml|application/vnd.openxmlformats-officedocument|.docx .xlsx .pptx .vsdx .xps .oxps
    |@word @excel @ppt @zip application/vnd.ms- application/vnd.openxmlformats application/oxps
zip|application/zip|.zip .jar .apk .epub .xpi .vsix .nupkg .appx .msix .kmz .whl
    |@zip application/x-compressed application/java-archive application/epub+zip
zip-encrypted|application/zip|.zip .jar .apk|@zip application/x-compressed
odf|application/vnd.oasis.opendocument|.odt .ods .odp .odg .ott .ots .otp .odf
    |application/vnd.oasis.opendocument @zip
rar|application/vnd.rar|.rar|application/x-rar application/x-compressed
7z|application/x-7z-compressed|.7z|application/x-compressed
gzip|application/gzip|.gz .tgz .gzip|application/x-gzip application/x-gunzip
    |application/x-compressed
bzip2|application/x-bzip2|.bz2 .tbz2 .tbz|application/x-bzip
xz|application/x-xz|.xz .txz|
cab|application/vnd.ms-cab-compressed|.cab|application/x-cab
tar|application/x-tar|.tar|application/x-gtar application/x-ustar application/x-compressed
lzh|application/x-lzh-compressed|.lzh .lha|application/x-lha application/x-lzh
xar|application/x-xar|.xar .pkg|application/octet-stream
ace|application/x-ace-compressed|.ace|application/x-ace application/x-compressed
tnef|application/ms-tnef|.dat|application/vnd.ms-tnef
chm|application/vnd.ms-htmlhelp|.chm|application/x-chm application/x-msdownload
iso|application/x-iso9660-image|.iso .img|@disk
img|application/x-raw-disk-image|.img .iso .udf .vhd .vhdx|@disk
vhd|application/x-vhd|.vhd .avhd|@disk
vhdx|application/x-vhdx|.vhdx .avhdx|@disk
pdf|application/pdf|.pdf|application/x-pdf application/acrobat applications/vnd.pdf
rtf|application/rtf|.rtf .doc|application/x-rtf @word
mht|multipart/related|.mht .mhtml|message/rfc822 application/x-mimearchive
activemime|application/x-mso|.mso|application/x-activemime
slk|application/x-sylk|.slk .sylk|@excel
lnk|application/x-ms-shortcut|.lnk|application/x-mslnk
internet-shortcut|application/x-mswinurl|.url|application/internet-shortcut application/x-url
scf|application/x-ms-scf|.scf|
library-ms|application/windows-library+xml|.library-ms .searchconnector-ms .search-ms
    |application/windows-search-connector+xml application/xml
desktop|application/x-desktop|.desktop|application/x-gnome-app-info
onenote|application/onenote|.one .onepkg .onetoc2|application/msonenote application/x-onenote
pe|application/vnd.microsoft.portable-executable|.exe .dll .scr .sys .cpl .ocx .com
    |application/x-msdownload application/x-dosexec application/x-msdos-program application/exe
    |application/x-ms-dos-executable application/x-exe application/x-winexe @exec
elf|application/x-elf|.elf .so .bin .o .out|application/x-pie-executable @exec
macho|application/x-mach-binary|.macho .dylib .bundle .o|application/x-mach @exec
script|text/plain||application/javascript application/x-javascript application/ecmascript
    |application/x-sh application/x-shellscript application/x-python application/x-perl
    |application/x-bat application/bat application/x-msdos-program application/hta
    |application/x-vb application/x-powershell
html|text/html|.html .htm .xhtml .shtml|application/xhtml+xml
xml|application/xml|.xml .xsl .xslt .xsd .config .manifest .vsto .plist .rss .xaml .jnlp .kml
eml|message/rfc822|.eml .mbox .mht|message/
png|image/png|.png
jpeg|image/jpeg|.jpg .jpeg .jpe .jfif
gif|image/gif|.gif
bmp|image/bmp|.bmp .dib
tiff|image/tiff|.tif .tiff
webp|image/webp|.webp
ico|image/vnd.microsoft.icon|.ico .cur
svg|image/svg+xml|.svg
heic|image/heic|.heic .heif .avif
mp3|audio/mpeg|.mp3
mp4|video/mp4|.mp4 .m4a .m4v .mov .3gp
wav|audio/wav|.wav
text|text/plain|.txt|application/json application/javascript application/x-sh
empty|application/x-empty|
unknown|application/octet-stream|
"""
_INFO: dict[str, tuple[str, str]] = {}
_ACCEPT: dict[str, tuple[str, ...]] = {}
for _row in _TABLE.strip().replace("\n    |", " |").splitlines():
    _kind, _mime, _exts, *_accept = _row.split("|")
    _INFO[_kind] = (_mime, _exts)
    _ACCEPT[_kind] = tuple(" ".join(_GROUPS.get(t, t) for t in " ".join(_accept).split()).split())
_SCRIPT_EXTS = {
    ".sh": ".sh .bash .command .ksh .zsh",
    ".py": ".py .pyw",
    ".js": ".js .jse .mjs .cjs .wsf",
    ".vbs": ".vbs .vbe .vba .bas .wsf",
    ".ps1": ".ps1 .psm1 .psd1",
    ".bat": ".bat .cmd",
    ".hta": ".hta .htm .html",
    ".wsf": ".wsf",
    ".sct": ".sct .wsc",
}
_TEXT_LIKE = frozenset({"text", "script", "html", "xml", "eml", "mht", "svg", "slk", "rtf"})
_TEXT_LIKE |= {"internet-shortcut", "scf", "library-ms", "desktop"}  # shortcut files in text
# Every extension some kind claims: a name ending in anything else ("nice.name",
# "Delivery No. 98908") says nothing about its content and cannot be contradicted.
_KNOWN_EXTS = frozenset(
    {e for _m, exts in _INFO.values() for e in exts.split()}
    | {e for exts in _SCRIPT_EXTS.values() for e in exts.split()}
)
_IMAGE_EXTS = frozenset(
    e for kind, (mime, exts) in _INFO.items() if mime.startswith("image/") for e in exts.split()
)
_MESSAGE_KINDS = frozenset({"eml", "msg"})
_MESSAGE_EXTS = frozenset({".eml", ".msg", ".mbox", ".oft"})


def _mk(kind: str, mime: str | None = None, exts: str | None = None) -> Sniffed:
    mime_, exts_ = _INFO[kind]
    return Sniffed(kind=kind, mime=mime or mime_, extensions=tuple((exts or exts_).split()))


def _script(ext: str) -> Sniffed:
    return _mk("script", exts=_SCRIPT_EXTS.get(ext, ext))
