"""Content-type detection from bytes alone.

Attachment names and declared Content-Types are attacker-controlled, so analyzers choose what to
inspect from `sniff(data)` and report disagreements via `extension_matches` / `declared_matches`.
Sniffing reads a bounded prefix plus zip/OLE directory metadata, never decompresses, never raises.
"""

from __future__ import annotations

import codecs
import io
import re
from typing import Literal

from .records import record

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
    "application/x-disk-image application/x-udf-image application/x-vhd",
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
tnef|application/ms-tnef|.dat|application/vnd.ms-tnef
iso|application/x-iso9660-image|.iso .img|@disk
img|application/x-raw-disk-image|.img .iso .udf .vhd .vhdx|@disk
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


# --- binary signatures ----------------------------------------------------------------------

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # compound file (OLE2/CFB)
_LNK_CLSID = bytes.fromhex("0114020000000000c000000000000046")  # {00021401-0000-0000-C000-...46}
_PREFIXES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "pdf"),
    (b"{\\rt", "rtf"),  # Word only checks "{\rt"; exploits drop the "f"
    (b"Rar!\x1a\x07", "rar"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x1f\x8b\x08", "gzip"),
    (b"\x7fELF", "elf"),
    (b"\x78\x9f\x3e\x22", "tnef"),  # 0x223E9F78 little-endian: Outlook's winmail.dat
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"ActiveMime", "activemime"),
    (b"QWN0aXZlTWltZQ", "activemime"),
    (b"ID;P", "slk"),
    (b"ID3\x03", "mp3"),
    (b"ID3\x04", "mp3"),
    (b"ID3\x02", "mp3"),
    (b"\x4c\x00\x00\x00" + _LNK_CLSID, "lnk"),
    # OneNote section {7B5C52E4-D88C-4DA7-AEB1-5378D02996D3} and TOC {43FF2FA1-...} GUIDs
    (bytes.fromhex("e4525c7b8cd8a74daeb15378d02996d3"), "onenote"),
    (bytes.fromhex("a12fff43d9ef764c9ee210ea5722765f"), "onenote"),
    (b"\xfe\xed\xfa\xce", "macho"),
    (b"\xfe\xed\xfa\xcf", "macho"),
    (b"\xce\xfa\xed\xfe", "macho"),
    (b"\xcf\xfa\xed\xfe", "macho"),
    (b"vhdxfile", "img"),
    (b"conectix", "img"),
)
_HEIF = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif"})


def _u32(data: bytes, off: int, order: Literal["little", "big"] = "little") -> int:
    return int.from_bytes(data[off : off + 4], order)


def _sniff_ole(data: bytes) -> Sniffed:
    try:
        import olefile  # type: ignore[import-untyped, unused-ignore]  # only OLE data needs it

        ole = olefile.OleFileIO(io.BytesIO(data))
        try:
            top = {str(p[0]).lower() for p in ole.listdir(streams=True, storages=True) if p}
            clsid = str(ole.root.clsid or "").upper()
        finally:
            ole.close()
    except Exception:  # truncated/damaged CFB is still OLE for routing purposes
        return _mk("ole")
    if {"encryptioninfo", "encryptedpackage"} <= top:
        return _mk("ole-encrypted-ooxml")
    if any(n.startswith("__substg1.0_") or n == "__properties_version1.0" for n in top):
        return _mk("msg")
    for stream, kind in (
        ("worddocument", "doc"),
        ("workbook", "xls"),
        ("book", "xls"),
        ("powerpoint document", "ppt"),
    ):
        if stream in top:
            return _mk(kind)
    if clsid == "000C1084-0000-0000-C000-000000000046":  # Windows Installer database
        return _mk("ole", "application/x-msi", ".msi .msp .mst")
    return _mk("ole")


def _sniff_zip(data: bytes) -> Sniffed:
    try:
        import zipfile  # with its compression modules: only for zip data

        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()[:_MAX_ZIP_NAMES]
    except Exception:  # corrupt or truncated: still an archive as far as policy is concerned
        return _mk("zip")
    names = {i.filename.replace("\\", "/").lower() for i in infos}  # OPC names ignore case
    if "[content_types].xml" in names:
        for app, plain, macro in (
            ("word/", "docx", "docm"),
            ("xl/", "xlsx", "xlsm"),
            ("ppt/", "pptx", "pptm"),
        ):
            if any(n.startswith(app) for n in names):
                if app == "xl/" and "xl/workbook.bin" in names:
                    return _mk("xlsb")  # xlsb carries macros natively; the format decides
                # The VBA part decides, whatever [Content_Types].xml claims.
                return _mk(macro if app + "vbaproject.bin" in names else plain)
        return _mk("ooxml")
    if any(i.flag_bits & 1 for i in infos):
        return _mk("zip-encrypted")
    if "mimetype" in names:  # EPUB shares ODF's layout; the stored first entry tells them apart
        return _mk("zip" if b"application/epub" in data[:128] else "odf")
    return _mk("zip")


def _sniff_cab(data: bytes) -> Sniffed:
    # A .onepkg is a cabinet of .one sections: walk the CFFILE names (bounded).
    pos, count = _u32(data, 16), int.from_bytes(data[28:30], "little")
    for _ in range(min(count, 64)):
        end = data.find(b"\x00", pos + 16, pos + 16 + 257)
        if end < 0:
            break
        if data[pos + 16 : end].lower().endswith((b".one", b".onetoc2")):
            return _mk("onenote", exts=".onepkg")
        pos = end + 1
    return _mk("cab")


def _sniff_binary(data: bytes) -> Sniffed | None:
    head = data[:32]
    if head.startswith(OLE_MAGIC):
        return _sniff_ole(data)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return _sniff_zip(data)
    for magic, kind in _PREFIXES:
        if head.startswith(magic):
            return _mk(kind)
    if head.startswith(b"MSCF\x00\x00\x00\x00"):
        return _sniff_cab(data)
    if head.startswith(b"MZ"):
        pe_at = _u32(data, 0x3C)
        if data[pe_at : pe_at + 4] == b"PE\x00\x00":
            return _mk("pe")
        if len(data) >= 64 and b"\x00" in head:  # plain DOS executable, still runnable
            return _mk("pe", "application/x-dosexec", ".exe .com")
    if head[:2] == b"BM" and head[6:10] == bytes(4) and _u32(data, 14) in (12, 40, 56, 108, 124):
        return _mk("bmp")
    if (
        head[:4] in (b"\x00\x00\x01\x00", b"\x00\x00\x02\x00")
        and head[4:6] != bytes(2)
        and head[9:10] == b"\x00"
    ):
        return _mk("ico")
    if head[:4] == b"RIFF" and head[8:12] in (b"WEBP", b"WAVE"):
        return _mk("webp" if head[8:12] == b"WEBP" else "wav")
    if head[4:8] == b"ftyp":
        return (
            _mk("heic", "image/avif" if head[8:12] == b"avif" else None)
            if head[8:12] in _HEIF
            else _mk("mp4")
        )
    if head[:4] == b"\xca\xfe\xba\xbe" and 0 < _u32(data, 4, "big") < 30:  # fat Mach-O, not Java
        return _mk("macho")
    if head[:3] == b"BZh" and head[4:10] in (b"1AY&SY", b"\x17rE8P\x90"):
        return _mk("bzip2")
    offsets = (0x8001, 0x8801, 0x9001)
    if any(data[o : o + 5] == b"CD001" for o in offsets):
        return _mk("iso")
    if any(data[o : o + 5] in (b"BEA01", b"NSR02", b"NSR03") for o in offsets):
        return _mk("img", "application/x-udf-image")
    return None


# --- text ------------------------------------------------------------------------------------

_CTRL = re.compile("[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f\ufffd]")
_FIELD = re.compile(r"([!-9;-~]+):")
_STRONG = frozenset(
    {
        "received",
        "return-path",
        "message-id",
        "mime-version",
        "delivered-to",
        "dkim-signature",
        "authentication-results",
        "x-mailer",
        "in-reply-to",
    }
)
_MAIL = _STRONG | {
    "from",
    "subject",
    "date",
    "to",
    "cc",
    "reply-to",
    "sender",
    "references",
    "content-type",
    "thread-topic",
    "x-originating-ip",
    "arc-seal",
}
_TRANSPORT = frozenset(
    {
        "received",
        "return-path",
        "message-id",
        "delivered-to",
        "to",
        "cc",
        "dkim-signature",
        "authentication-results",
    }
)
_HTML_TAGS = (
    "<!doctype html",
    "<html",
    "<head",
    "<body",
    "<script",
    "<iframe",
    "<meta",
    "<title",
    "<div",
    "<form",
    "<table",
    "<style",
    "<img",
    "<a href",
)


def _as_text(data: bytes) -> str | None:
    head = data[:_HEAD]
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if head.startswith(bom):
            text = head[len(bom) :].decode(codec, "replace")
            break
    else:
        if b"\x00" in head:
            # UTF-16 without a byte-order mark (PowerShell writes it): text in every other byte.
            if len(head) >= 16 and head[1::2].count(0) >= len(head) // 2 * 9 // 10:
                text = head[: len(head) // 2 * 2].decode("utf-16-le", "replace")
                return text if len(_CTRL.findall(text)) <= len(text) // 50 else None
            return None
        try:  # incremental, so a multi-byte character cut at _HEAD is not an error
            text = codecs.getincrementaldecoder("utf-8")().decode(head, final=len(data) <= _HEAD)
        except UnicodeDecodeError:
            text = head.decode("cp1252", "replace")  # legacy 8-bit text is still text
    return text if len(_CTRL.findall(text)) <= len(text) // 50 else None


def _headers(text: str) -> dict[str, str] | None:
    """The leading RFC 5322 header block as {name as written: value}, or None if there is none."""
    fields: dict[str, str] = {}
    last = ""
    lines = text.splitlines()[:300]
    if lines and lines[0].startswith("From "):  # mbox separator line
        lines = lines[1:]
    for line in lines:
        if not line.strip():
            break
        if line[0] in " \t" and last:
            fields[last] += " " + line.strip()
            continue
        match = _FIELD.match(line)
        if not match:
            return None
        last = match.group(1)
        fields.setdefault(last, line[match.end() :].strip())
    return fields or None


def _sniff_mail(fields: dict[str, str], text: str) -> Sniffed | None:
    names = {n.lower() for n in fields}
    known = names & _MAIL
    # Mail software writes canonical capitalised names; YAML/config keys are lower case.
    if not known or not any(n[0].isupper() for n in fields if n.lower() in _MAIL):
        return None
    ctype = " ".join(v for n, v in fields.items() if n.lower() == "content-type").lower()
    if not names & _TRANSPORT and (
        "multipart/related" in ctype or "QWN0aXZlTWltZQ" in text or "ActiveMime" in text
    ):
        return _mk("mht")  # saved web page / Word "single file web page": never transported
    if (len(known) >= 2 and known & _STRONG) or len(known) >= 3:
        return _mk("eml")
    return None


def _shebang_ext(body: str) -> str:
    parts = body[2:].split("\n", 1)[0].split()
    if parts and parts[0].endswith("/env"):
        parts = [p for p in parts[1:] if not p.startswith("-") and "=" not in p]
    prog = parts[0].rsplit("/", 1)[-1].lower() if parts else ""
    for prefix, ext in (
        ("python", ".py"),
        ("perl", ".pl"),
        ("ruby", ".rb"),
        ("node", ".js"),
        ("pwsh", ".ps1"),
        ("powershell", ".ps1"),
        ("php", ".php"),
    ):
        if prog.startswith(prefix):
            return ext
    return ".sh"


# Shortcut files kept as text: an INI file (.url, .scf, .desktop) whose first section is
# any header and which has the shortcut's section with its key, or Windows library / search
# XML by its root element. By content, so a .url renamed .txt or in an archive is found.
_INI_START = re.compile(r"(?:[;#][^\n]*\n\s*)*\[")
_INI_SECTION_KEY = r"^[ \t]*\[{}\][ \t]*\r?$(?:\n(?![ \t]*\[).*)*?\n[ \t]*{}[ \t]*="
_INI_SHORTCUTS = tuple(
    (kind, re.compile(_INI_SECTION_KEY.format(section, key), re.M))
    for kind, section, key in (
        ("internet-shortcut", "internetshortcut", "url"),
        ("scf", "shell", "(?:command|iconfile)"),
        ("desktop", "desktop entry", "(?:exec|url)"),
    )
)
_SHELL_XML = re.compile(
    r"(?:<\?xml[^>]{0,300}>\s*)?(?:<!--.{0,2000}?-->\s*)*"
    r"<(?:[\w.-]{1,32}:)?(?:librarydescription|searchconnectordescription|persistedquery)[\s>/]",
    re.S,
)


def _sniff_shortcut_text(low: str) -> Sniffed | None:
    if low.startswith("<"):
        return _mk("library-ms") if _SHELL_XML.match(low) else None
    if _INI_START.match(low):
        for kind, pattern in _INI_SHORTCUTS:
            if pattern.search(low):
                return _mk(kind)
    return None


def _sniff_text(data: bytes, scripts: bool) -> Sniffed | None:
    text = _as_text(data)
    if text is None:
        return None
    body = text.lstrip()
    low = body[:4096].lower()
    if body.startswith("#!"):
        return _script(_shebang_ext(body))
    fields = _headers(body)
    found = _sniff_mail(fields, text) if fields else None
    if found:
        return found
    found = _sniff_shortcut_text(body[:_HEAD].lower())
    if found:
        return found
    if "<hta:application" in low:
        return _script(".hta")
    if _SCRIPTLET.search(data, 0, _PADDING_SCAN):  # behind any padding: regsvr32 runs it
        return _script(".sct")
    if re.match(r"(?:<\?xml[^>]*>\s*)?<(?:package|job)\b", low) and "<script" in low:
        return _script(".wsf")
    if low.startswith("<svg") or (low.startswith("<?xml") and "<svg" in low):
        return _mk("svg")
    if (
        "<!doctype html" in low[:1024]
        or "<html" in low[:1024]
        or (
            low.startswith("<")
            and not low.startswith("<?xml")
            and any(t in low for t in _HTML_TAGS)
        )
    ):
        return _mk("html")
    if low.startswith("<?xml") or (low.startswith("<") and "xmlns" in low[:1024]):
        return _mk("xml")
    if not scripts:
        return _mk("text")
    from .sniff_scripts import script_language  # attachments only: bodies never get here

    language = script_language(body)
    if not language and len(data) > _HEAD:
        # A script padded with prose or comments at the top hides from a look at its head:
        # look past its comment lines, at its middle and at its end (each a bounded read).
        windows = [_line_start(data, len(data) // 2), _line_start(data, len(data) - _HEAD)]
        if len(_COMMENT_LINE.findall(text)) * 2 >= text.count("\n"):
            windows.insert(0, _uncommented(data))
        for window in windows:
            decoded = _as_text(window)
            language = script_language(decoded) if decoded is not None else ""
            if language:
                break
    return _script(language) if language else _mk("text")


# A Windows Script Component (.sct/.wsc): a <scriptlet> or <component> element holding a
# <script language=...>; droppers pad the file with lines of symbols before it.
_SCRIPTLET = re.compile(
    rb"<\s*(?:scriptlet|component)\b[^<]{0,400}>.{0,65536}?<\s*script\s+language\s*=", re.I | re.S
)
# Comment lines of batch (::, rem), VBScript ('), JScript and PowerShell (//, #).
_COMMENT_LINE = re.compile(r"^[ \t]*(?:::|@?rem\b|'|//|#)[^\n]*$", re.I | re.M)
# A line that is neither blank nor a comment: found by the regex engine, so a head of a
# million comment lines is skipped at C speed.
_CODE_LINE = re.compile(rb"^(?![ \t]*(?:::|@?rem\b|'|//|#))[ \t\r]*\S[^\n]*\n?", re.I | re.M)
_PADDING_SCAN = 4 * 1024 * 1024  # how far past a padded head the code is looked for


def _uncommented(data: bytes) -> bytes:
    """Up to `_HEAD` bytes of the lines that are not comments or blank, from the first
    `_PADDING_SCAN` bytes: the code a head of comment padding pushes out of view."""
    kept = bytearray()
    for line in _CODE_LINE.finditer(data, 0, _PADDING_SCAN):
        kept += line.group(0)
        if len(kept) >= _HEAD:
            break
    return bytes(kept[:_HEAD])


def _line_start(data: bytes, start: int) -> bytes:
    """`_HEAD` bytes of `data` from the first line that starts at or after `start`."""
    newline = data.find(b"\n", start, start + _HEAD)
    begin = newline + 1 if newline >= 0 else start
    return data[begin : begin + _HEAD]


def sniff(data: bytes, *, scripts: bool = True) -> Sniffed:
    """Classify `data` by content only. Never raises; unrecognised input is "unknown".

    `scripts=False` skips telling scripts from prose in plain text: a message's own body
    text is shown, never run, so only attachments pay for that."""
    try:
        if not isinstance(data, bytes):
            data = bytes(data)
        if not data:
            return _mk("empty")
        found = _sniff_binary(data) or _sniff_text(data, scripts)
        # Readers accept "%PDF-" anywhere in the first KiB, so junk-prefixed PDFs are PDFs.
        if (found is None or found.kind == "text") and data.find(b"%PDF-", 0, 1024) >= 0:
            return _mk("pdf")
        return found or _mk("unknown")
    except Exception:  # a detector bug must degrade to "unknown", never abort the scan
        return _mk("unknown")


# --- consistency checks ----------------------------------------------------------------------

_GENERIC_EXTS = frozenset({".bin", ".dat", ".tmp", ".data"})  # claim nothing about content


def extension_matches(filename: str, sniffed: Sniffed) -> bool:
    """True if the name's last extension is plausible for the sniffed content."""
    # Windows drops trailing dots and spaces, so "invoice.pdf ." really is ".pdf".
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].rstrip(" .").lower()
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or sniffed.kind in ("unknown", "text", "empty"):
        return True
    ext = "." + ext
    return (
        ext not in _KNOWN_EXTS
        or ext in sniffed.extensions
        or ext in _GENERIC_EXTS
        or (ext == ".txt" and sniffed.kind in _TEXT_LIKE)  # opens in an editor: harmless
        # A PNG named .jpg, an .eml named .msg: sloppy, and opened by the same kind of viewer.
        or (ext in _IMAGE_EXTS and sniffed.mime.startswith("image/"))
        or (ext in _MESSAGE_EXTS and sniffed.kind in _MESSAGE_KINDS)
    )


_GENERIC_TYPES = frozenset(
    {
        "",
        "application/octet-stream",
        "application/x-download",
        "application/force-download",
        "binary/octet-stream",
        "application/unknown",
        "application/x-unknown",
        "application/binary",
    }
)


def declared_matches(declared_type: str, sniffed: Sniffed) -> bool:
    """True if a declared Content-Type is compatible with the sniffed kind."""
    declared = declared_type.split(";", 1)[0].strip().lower()
    kind, mime = sniffed.kind, sniffed.mime.lower()
    # Plain text is inert whatever it is called (PGP signatures, delivery reports).
    if declared in _GENERIC_TYPES or kind in ("unknown", "empty", "text") or declared == mime:
        return True
    major = declared.partition("/")[0]
    if major in ("multipart", "message") and kind in _TEXT_LIKE | _MESSAGE_KINDS:
        return True  # structural types whose body the parser could not split
    if major == "text" and kind in _TEXT_LIKE:
        return True
    # A PNG sent as image/jpeg is sloppy, not deceptive: any subtype of the same major type is ok.
    if major in ("image", "audio", "video") and mime.startswith(major + "/"):
        return True
    if kind in ("text", "xml", "svg", "html") and declared.endswith(("+xml", "/xml")):
        return True
    return declared.startswith(_ACCEPT.get(kind, ()))
