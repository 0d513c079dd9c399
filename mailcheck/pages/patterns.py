"""What a page's script looks like when it smuggles, redirects or asks for a password:
the bounds and the regular expressions the reader uses (each linear in its input)."""

from __future__ import annotations

import re

from ..names import (
    ARCHIVE_EXTS,
    DISK_IMAGE_EXTS,
    EXECUTABLE_EXTS,
    MACRO_DOCUMENT_EXTS,
    ONENOTE_EXTS,
    SHORTCUT_EXTS,
)

RAW_BYTES = 64 * 1024 * 1024  # bytes of one page searched for embedded data
SKELETON_BYTES = 2 * 1024 * 1024  # page text, embedded data cut out, searched for shapes
MIN_BASE64 = 256  # characters: shorter literals are constants, not embedded files
MIN_CODES = 64  # elements of a character-code array
MIN_PERCENT = 32  # %XX escapes in percent-encoded text
LARGE = 1024  # decoded bytes: an embedded file, not an icon or a token
MAX_BLOBS = 16  # decoded per page, largest first
MAX_CANDIDATES = 4096
_MARK = b"\x00blob%d\x00"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Kinds that are payloads when a page builds them (the analyzers then judge each member).
PAYLOAD_KINDS = _words(
    "zip zip-encrypted 7z rar gzip bzip2 xz cab iso img vhd vhdx pe elf macho script lnk onenote "
    "doc xls ppt ole ole-encrypted-ooxml docm xlsm pptm xlsb rtf slk activemime"
)
MARKUP_KINDS = frozenset({"html", "svg"})
# Decoded kinds that are ordinary page content: pictures, sounds, fonts, text data.
_BENIGN_KINDS = frozenset({"text", "xml", "empty"})
# File names a page has no business saving for its reader.
PAYLOAD_EXTS = (
    ARCHIVE_EXTS
    | _words(".z .uue .jar")
    | DISK_IMAGE_EXTS
    | EXECUTABLE_EXTS
    | SHORTCUT_EXTS
    | ONENOTE_EXTS
    | MACRO_DOCUMENT_EXTS
    | _words(".xll .appx .msix .appinstaller .chm .reg")
)
# Not .xls / .doc / .html: web pages export tables as "report.xls" through a Blob.

_B64 = rb"A-Za-z0-9+/="
_LITERALS = re.compile(rb"(?:[\"'`][" + _B64 + rb"\\\s]{8,}[\"'`]\s*[+,]?\s*)+")
_ONE_LITERAL = re.compile(rb"[\"'`]([^\"'`]*)[\"'`]")
_ESCAPES = re.compile(rb"\\[nrt]|\\|\s")
_DATA_URI = re.compile(
    rb"data:([\w.+-]{1,64}/[\w.+-]{1,64})?[^,\"'\s>]{0,100}?;base64,((?:["
    + _B64
    + rb"\s]|%[23][BbDdFf]|\\/){64,})",
    re.I,
)
_NUM = rb"(?:0x[0-9a-fA-F]{1,2}|\d{1,3})"
_CODES = re.compile(
    rb"(fromCharCode\s*\(|\[)\s*((?:"
    + _NUM
    + rb"\s*,\s*){"
    + str(MIN_CODES - 1).encode()
    + rb",}"
    + _NUM
    + rb")\s*,?\s*[\])]"
)
_PERCENT = re.compile(
    rb"(?:unescape|decodeURIComponent|decodeURI)\s*\(\s*([\"'])((?:%[0-9A-Fa-f]{2}|[^\"'%\\]){"
    + str(MIN_PERCENT * 3).encode()
    + rb",})\1"
)
_PERCENT_ESCAPE = re.compile(rb"%([0-9A-Fa-f]{2})")

# --- shapes, searched in the skeleton ------------------------------------------------------

_TECHNIQUES: tuple[tuple[str, re.Pattern[bytes]], ...] = tuple(
    (name, re.compile(pattern, re.I))
    for name, pattern in (
        ("atob()", rb"\batob\s*\("),
        ("Uint8Array", rb"\bUint8Array\b"),
        ("String.fromCharCode", rb"\bfromCharCode\s*\("),
        ("new Blob()", rb"\bnew\s+Blob\s*\("),
        ("new File()", rb"\bnew\s+File\s*\(\s*\["),
        ("URL.createObjectURL", rb"\bcreateObjectURL\s*\("),
        ("msSaveOrOpenBlob", rb"\bmsSave(?:OrOpen)?Blob\s*\("),
        ("saveAs()", rb"\bsaveAs\s*\(\s*\w+\s*,"),
        (
            "download name",
            rb"\.download\s*=|\bsetAttribute\s*\(\s*[\"']download|<a\b[^<>]{0,2000}?\sdownload\b",
        ),
        ("click() by script", rb"\.click\s*\(\s*\)|dispatchEvent\s*\(\s*new\s+MouseEvent"),
        ("data: URI built by script", rb"[\"'`]data:[\w.+-]+/[\w.+-]+;base64,[\"'`]\s*\+"),
    )
)
# What turns data into a file the browser saves: without one, embedded data is page content.
SINKS = frozenset(
    {
        "new Blob()",
        "new File()",
        "URL.createObjectURL",
        "msSaveOrOpenBlob",
        "saveAs()",
        "download name",
        "data: URI built by script",
    }
)
_DOWNLOAD_NAMES = re.compile(
    rb"(?:\.download\s*=\s*|setAttribute\s*\(\s*[\"']download[\"']\s*,\s*|\sdownload\s*=\s*"
    rb"|msSave(?:OrOpen)?Blob\s*\(\s*[\w.]+\s*,\s*|saveAs\s*\(\s*[\w.]+\s*,\s*"
    rb"|new\s+File\s*\(\s*\[[^\]]{0,200}\]\s*,\s*)[\"'`]([^\"'`<>\r\n]{1,200})[\"'`]",
    re.I,
)
# Tags are read up to the next "<" as well as ">": an unclosed tag repeated a million times
# then costs one pass, not a million scans of the rest of the page.
_SCRIPT = re.compile(rb"<script\b[^<>]{0,2000}>(.*?)(?:</script\s*>|\Z)", re.I | re.S)
_META = re.compile(rb"<meta\b[^<>]{0,2000}", re.I)
_REFRESH = re.compile(rb"http-equiv\s*=\s*[\"']?\s*refresh", re.I)
_REFRESH_URL = re.compile(
    rb"content\s*=\s*[\"']?\s*(\d*)\s*[;,]?\s*url\s*=\s*[\"']?([^\"'>\s]+)", re.I
)
_LOCATION = re.compile(
    rb"(?:\b(?:window|document|top|self|parent)\s*\.\s*)?\blocation(?:\s*\.\s*href)?\s*=(?!=)\s*"
    rb"([^;\r\n]{1,400})"
    rb"|\blocation\s*\.\s*(?:replace|assign)\s*\(\s*([^;\r\n]{1,400})"
    rb"|\bwindow\s*\.\s*(?:open|navigate)\s*\(\s*([^;\r\n]{1,400})",
    re.I,
)
_REMOTE = re.compile(rb"^[\"'`(\s]*(?:https?:)?//[^\"'`\s]", re.I)
_OBFUSCATED = re.compile(rb"\b(?:atob|unescape|decodeURIComponent|fromCharCode)\s*\(", re.I)
_JOINS = re.compile(rb"[\"'`]\s*\+\s*[\"'`]")
_AT_LOAD = re.compile(
    rb"onload|DOMContentLoaded|[\"']load[\"']|setTimeout|setInterval|\.ready\s*\(|\$\s*\(\s*function",
    re.I,
)
_CONTROL = re.compile(rb"^\s*(?:\)\s*)?(?:if|else|try|for|while|do|switch|catch|finally)\b", re.I)
_MAX_LOCATIONS = 256
_FOREIGN = re.compile(rb"<foreignObject\b", re.I)
_FOREIGN_ACTIVE = re.compile(rb"<(?:\w+:)?(?:form|input|iframe|embed|object|script|meta)\b", re.I)
_ONLOAD_ATTR = re.compile(
    rb"<body\b[^<>]{0,2000}?\sonload\s*=\s*(?:\"([^\"<>]{1,1000})\"|'([^'<>]{1,1000})')", re.I
)
_PASSWORD = re.compile(rb"<input\b[^<>]{0,2000}?\btype\s*=\s*[\"']?password\b", re.I)
_FORM_ACTION = re.compile(rb"<form\b[^<>]{0,2000}?\baction\s*=\s*[\"']?([^\"'\s<>]{1,400})", re.I)
_FORM = re.compile(rb"<form\b", re.I)
_SENDS = re.compile(
    rb"\bfetch\s*\(|XMLHttpRequest|\$\s*\.\s*(?:ajax|post)\s*\(|sendBeacon\s*\(|\.submit\s*\(",
    re.I,
)
_URL_IN = re.compile(rb"(?:https?:)?//[\w.-]+(?::\d+)?[^\"'`\s<>)]*", re.I)
_INPUT_NAMES = re.compile(
    rb"<input\b[^<>]{0,2000}?\b(?:name|id|type)\s*=\s*[\"']?([\w.-]{1,40})", re.I
)
_SVG_ACTIVE: tuple[tuple[str, re.Pattern[bytes]], ...] = tuple(
    (name, re.compile(pattern, re.I | re.S))
    for name, pattern in (
        ("<script>", rb"<(?:\w+:)?script\b"),
        (
            "event handler",
            rb"<[^<>]{1,2000}?\son(?:load|error|click|mouse\w+|focus\w*|begin|end|"
            rb"activate|animation\w+|pointer\w+|key\w+|touch\w+)\s*=\s*[\"']?[^\"'\s>]",
        ),
        (
            "javascript: link",
            rb"(?:href|src|action|formaction|values|to|from)\s*=\s*[\"']\s*javascript:",
        ),
        ("embedded frame", rb"<(?:\w+:)?(?:iframe|embed)\b"),
    )
)
