"""Bounded reading of HTML and SVG attachments: what their scripts would build, never run.

HTML smuggling (2022 onward, Emotet-adjacent and QakBot campaigns) mails a web page whose
script turns a large embedded string into a file in the browser (`atob`, `Uint8Array`,
`new Blob`, `URL.createObjectURL`, `msSaveOrOpenBlob`, a link with `download` clicked by
script), so the ZIP or ISO never passes a mail filter as an attachment. Phishing pages
redirect the browser or ask for a password; SVG pictures carry the same scripts.

Everything here is regular expressions over bytes, each linear in its input: the embedded
data is found in at most `RAW_BYTES` of the page, cut out, and the rest (the "skeleton",
at most `SKELETON_BYTES`) is searched for the shapes. Data that decodes without running
anything is decoded: a base64 string literal (or adjacent literals joined by `+` or `,`,
also reversed), a `data:` URI, a character-code array, percent-encoded text. Nothing is
executed, no variable is followed.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterator

from .names import (
    ARCHIVE_EXTS,
    DISK_IMAGE_EXTS,
    EXECUTABLE_EXTS,
    MACRO_DOCUMENT_EXTS,
    ONENOTE_EXTS,
    SHORTCUT_EXTS,
    real_extension,
)
from .records import record
from .sniff import Sniffed, sniff

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
    "zip zip-encrypted 7z rar gzip bzip2 xz cab iso img pe elf macho script lnk onenote "
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


@record
class Blob:
    """One piece of embedded data that decodes without running anything."""

    origin: str  # "base64 string", "data: URI", "character codes", "percent-encoded text"
    data: bytes  # decoded, at most the member bound
    size: int  # decoded size; larger than len(data) when cut at the bound
    sniffed: Sniffed
    context: str  # script, link, frame, media (pictures, CSS), markup
    name: str  # the download name its own tag gives ("" for none)
    reversed: bool = False

    @property
    def cut(self) -> bool:
        return len(self.data) < self.size

    @property
    def payload(self) -> bool:
        return self.sniffed.kind in PAYLOAD_KINDS

    @property
    def benign(self) -> bool:
        """Ordinary page content: pictures, sounds, fonts, text data, or in a picture's place."""
        kind = self.sniffed.kind
        if self.payload or kind in MARKUP_KINDS:
            return False
        return (
            self.context == "media"
            or kind in _BENIGN_KINDS
            or self.sniffed.mime.startswith(("image/", "audio/", "video/"))
        )


@record
class Redirect:
    target: str  # as written, at most 300 characters
    how: str  # "meta refresh", "script sets location", ...


@record
class Page:
    """What one HTML or SVG file does when opened, as far as reading it tells."""

    svg: bool
    blobs: tuple[Blob, ...]
    embedded: int  # candidates found (decoded or not), for evidence
    undecoded: int  # large candidates not decoded (over MAX_BLOBS)
    techniques: tuple[str, ...]
    download_names: tuple[str, ...]
    redirects: tuple[Redirect, ...]
    password_fields: tuple[str, ...]
    form_targets: tuple[str, ...]  # form actions and URLs a script posts to
    script_sends: bool
    svg_active: tuple[str, ...]
    cut: bool  # the page was larger than what was read

    @property
    def sinks(self) -> frozenset[str]:
        return SINKS & frozenset(self.techniques)


def payload_name(name: str) -> bool:
    return real_extension(name) in PAYLOAD_EXTS


# --- decoding ------------------------------------------------------------------------------


def _b64(text: bytes, max_bytes: int) -> tuple[bytes, int]:
    """(decoded prefix of at most max_bytes, decoded size of the whole); never raises."""
    text = text.rstrip(b"=")
    size = len(text) * 3 // 4
    keep = text[: (max_bytes // 3 + 1) * 4]
    keep = keep[: len(keep) - len(keep) % 4] if len(keep) % 4 == 1 else keep
    try:
        decoded = binascii.a2b_base64(keep + b"=" * (-len(keep) % 4))
    except (binascii.Error, ValueError):
        return b"", size
    return decoded[:max_bytes], size


def _percent(text: bytes) -> bytes:
    return _PERCENT_ESCAPE.sub(lambda m: bytes((int(m.group(1), 16),)), text)


def _codes(text: bytes) -> bytes | None:
    out = bytearray()
    for token in text.split(b","):
        token = token.strip()
        value = int(token, 16) if token[:2].lower() == b"0x" else int(token)
        if value > 255:
            return None
        out.append(value)
    return bytes(out)


def _context(data: bytes, start: int, end: int) -> tuple[str, str]:
    """(context, download name of the same tag) of embedded data at data[start:end]."""
    before = data[max(0, start - 400) : start]
    if re.search(rb"url\(\s*[\"']?\s*$", before, re.I):
        return "media", ""
    lt = before.rfind(b"<")
    gt = before.rfind(b">")
    if lt <= gt:  # not inside a tag: script or text
        return "script", ""
    tag_head = before[lt:]
    tag_tail = data[end : end + 2000]
    close = tag_tail.find(b">")
    tag = tag_head + b" " + (tag_tail[:close] if close >= 0 else tag_tail)
    name_match = re.match(rb"<\s*(?:\w+:)?(\w+)", tag)
    tag_name = name_match.group(1).lower() if name_match else b""
    download = re.search(rb"\sdownload\s*=\s*[\"']([^\"'<>\r\n]{1,200})[\"']", tag, re.I)
    name = download.group(1).decode("utf-8", "replace") if download else ""
    if tag_name in (b"a", b"area"):
        return "link", name
    if tag_name in (b"iframe", b"embed", b"object", b"frame", b"form", b"button"):
        return "frame", name
    if re.search(rb"\son\w+\s*=\s*[\"'][^\"']*$", tag_head, re.I):
        return "script", name
    return "media", name


@record
class _Candidate:
    origin: str
    start: int
    end: int
    payload: bytes  # the encoded text (or decoded bytes for codes and percent text)
    encoded: bool  # payload is base64 text still to decode
    length: int  # estimated decoded size


def _cut_out(data: bytes) -> tuple[bytes, list[_Candidate]]:
    """The page with its embedded data replaced by markers, and the data found."""
    found: list[_Candidate] = []

    def keep(origin: str, m: re.Match[bytes], payload: bytes, encoded: bool) -> bytes:
        if len(found) >= MAX_CANDIDATES:
            return m.group(0)
        length = len(payload) * 3 // 4 if encoded else len(payload)
        found.append(
            _Candidate(
                origin=origin,
                start=m.start(),
                end=m.end(),
                payload=payload,
                encoded=encoded,
                length=length,
            )
        )
        return _MARK % (len(found) - 1)

    def data_uri(m: re.Match[bytes]) -> bytes:
        text = m.group(2)
        text = text.replace(b"%2B", b"+").replace(b"%2b", b"+").replace(b"%2F", b"/")
        text = text.replace(b"%2f", b"/").replace(b"%3D", b"=").replace(b"%3d", b"=")
        text = _ESCAPES.sub(b"", text.replace(b"\\/", b"/"))
        mark = keep("data: URI", m, text, True)
        mime = (m.group(1) or b"").decode("ascii", "replace")
        return b"data:" + mime.encode() + b";base64," + mark

    def literals(m: re.Match[bytes]) -> bytes:
        parts = _ONE_LITERAL.findall(m.group(0))
        text = _ESCAPES.sub(b"", b"".join(parts).replace(b"\\/", b"/"))
        if len(text) < MIN_BASE64 or len(text) % 4 == 1 or not _random_enough(text):
            return m.group(0)
        return b'"' + keep("base64 string", m, text, True) + b'"'

    def codes(m: re.Match[bytes]) -> bytes:
        decoded = _codes(m.group(2))
        if decoded is None:
            return m.group(0)
        return m.group(1) + keep("character codes", m, decoded, False) + b")"

    def percent(m: re.Match[bytes]) -> bytes:
        text = m.group(2)
        if text.count(b"%") < MIN_PERCENT:
            return m.group(0)
        return b"unescape(" + keep("percent-encoded text", m, _percent(text), False) + b")"

    # Positions are those in the text each pass sees; only the context pass needs them, and
    # data URIs (the only embedded data whose tag matters) are cut first, from the page itself.
    data = _DATA_URI.sub(data_uri, data)
    data = _CODES.sub(codes, data)
    data = _PERCENT.sub(percent, data)
    data = _LITERALS.sub(literals, data)
    return data, found


def _random_enough(text: bytes) -> bool:
    """Base64 of a file uses nearly all 64 characters; joined word lists and identifiers do not."""
    return len(set(text[:8192])) >= 48


def _as_bytes(data: bytes) -> bytes:
    """UTF-16 pages (with a byte-order mark) as UTF-8; anything else as it is."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            return data
    return data


def _decode(candidate: _Candidate, original: bytes, max_bytes: int) -> Blob | None:
    if candidate.encoded:
        data, size = _b64(candidate.payload.lstrip(b"="), max_bytes)
        sniffed = sniff(data)
        reverse = False
        if sniffed.kind in ("unknown", "text", "empty"):
            flipped, _ = _b64(candidate.payload[::-1].lstrip(b"="), max_bytes)
            if flipped:
                other = sniff(flipped)
                if other.kind not in ("unknown", "text"):
                    data, sniffed, reverse = flipped, other, True
        if not data:
            return None
    else:
        size = len(candidate.payload)
        data = candidate.payload[:max_bytes]
        sniffed = sniff(data)
        reverse = False
    if candidate.origin == "data: URI":
        context, name = _context(original, candidate.start, candidate.end)
    else:
        context, name = "script", ""
    return Blob(
        origin=candidate.origin,
        data=data,
        size=size,
        sniffed=sniffed,
        context=context,
        name=name,
        reversed=reverse,
    )


# --- the shapes ----------------------------------------------------------------------------


def _redirects(skeleton: bytes) -> Iterator[Redirect]:
    for meta in _META.finditer(skeleton):
        tag = meta.group(0)
        if _REFRESH.search(tag):
            target = _REFRESH_URL.search(tag)
            if target and _REMOTE.match(target.group(2)):
                delay = target.group(1).decode() or "0"
                yield Redirect(target=_text(target.group(2)), how=f"meta refresh after {delay} s")
    scripts = [m.group(1) for m in _SCRIPT.finditer(skeleton)]
    scripts += [m.group(1) or m.group(2) for m in _ONLOAD_ATTR.finditer(skeleton)]
    looked = 0
    for script in scripts:
        for m in _LOCATION.finditer(script):
            looked += 1
            if looked > _MAX_LOCATIONS:
                return
            expression = m.group(1) or m.group(2) or m.group(3) or b""
            flat = _JOINS.sub(b"", expression)
            if not (_REMOTE.match(flat) or _OBFUSCATED.search(flat[:200])):
                continue
            enclosing = _enclosing(script, m.start())
            if enclosing is not None and (m.group(3) or not enclosing):
                continue  # inside a function nothing calls at load: a button's handler
            how = "script opens a window" if m.group(3) else "script sets the location"
            yield Redirect(target=_shown_target(expression), how=how)


_ATOB_LITERAL = re.compile(rb"atob\s*\(\s*[\"'`]([A-Za-z0-9+/=]{4,2000})[\"'`]\s*\)")
_SIMPLE_LITERAL = re.compile(rb"^\s*\(?\s*[\"'`]([^\"'`]*)[\"'`]\s*\)?\s*,?\s*$")


def _shown_target(expression: bytes) -> str:
    """The address as evidence: a plain literal without its quotes, atob("...") decoded."""

    def decoded(m: re.Match[bytes]) -> bytes:
        value, _ = _b64(m.group(1), 2000)
        return b'"' + value + b'"' if all(32 <= c < 127 for c in value) else m.group(0)

    expression = _ATOB_LITERAL.sub(decoded, expression.strip())
    simple = _SIMPLE_LITERAL.match(_JOINS.sub(b"", expression))
    return _text(simple.group(1) if simple else expression)


def _enclosing(script: bytes, at: int) -> bool | None:
    """None at the top level of a script; else whether the innermost function around `at`
    runs at load (window.onload, DOMContentLoaded, setTimeout, jQuery's ready). Blocks of
    if / else / try / loops are looked through. Reads at most 4 KiB backwards."""
    start = max(0, at - 4096)
    depth = 0
    i = at
    while i > start:
        i -= 1
        char = script[i]
        if char == 0x7D:  # }
            depth += 1
        elif char == 0x7B:  # {
            if depth:
                depth -= 1
                continue
            header = re.split(rb"[;{}]", script[max(start, i - 200) : i])[-1]
            if _AT_LOAD.search(header):
                return True
            if not _CONTROL.search(header):
                return False
    return None


def _text(raw: bytes, limit: int = 300) -> str:
    return raw[:limit].decode("utf-8", "replace")


def _techniques(skeleton: bytes, blobs: list[Blob]) -> tuple[str, ...]:
    found = [name for name, pattern in _TECHNIQUES if pattern.search(skeleton)]
    if any(b.context == "link" and b.name for b in blobs) and "download name" not in found:
        found.append("download name")
    if any(b.context in ("link", "frame") for b in blobs):
        found.append("data: URI link or frame")
    return tuple(found)


def read_page(data: bytes, *, svg: bool, max_bytes: int) -> Page:
    """Read an HTML or SVG file: never runs anything, never raises on any bytes."""
    cut = len(data) > RAW_BYTES
    original = _as_bytes(data[:RAW_BYTES])
    skeleton, candidates = _cut_out(original)
    if len(skeleton) > SKELETON_BYTES:
        cut = True
        tail = SKELETON_BYTES // 4
        skeleton = skeleton[: SKELETON_BYTES - tail] + b"\n" + skeleton[-tail:]
    chosen = sorted(
        (c for c in candidates if c.length >= MIN_BASE64 * 3 // 4 or not c.encoded),
        key=lambda c: -c.length,
    )
    blobs = [
        blob for c in chosen[:MAX_BLOBS] if (blob := _decode(c, original, max_bytes)) is not None
    ]
    undecoded = sum(1 for c in chosen[MAX_BLOBS:] if c.length >= LARGE)
    names = tuple(
        dict.fromkeys(
            _text(m.group(1), 200).strip()
            for m in _DOWNLOAD_NAMES.finditer(skeleton)
            if m.group(1).strip()
        )
    )
    names = tuple(dict.fromkeys((*names, *(b.name for b in blobs if b.name))))[:8]
    password = _PASSWORD.findall(skeleton)
    fields: tuple[str, ...] = ()
    targets: list[str] = []
    sends = False
    if password:
        fields = tuple(
            dict.fromkeys(_text(m.group(1), 40) for m in _INPUT_NAMES.finditer(skeleton))
        )[:8]
        targets = [_text(m.group(1)) for m in _FORM_ACTION.finditer(skeleton)]
        sends = bool(_SENDS.search(skeleton))
        if sends:
            for script in _SCRIPT.finditer(skeleton):
                targets += [_text(u.group(0)) for u in _URL_IN.finditer(script.group(1))][:4]
        if not _FORM.search(skeleton) and not sends:
            password = []
    active: tuple[str, ...] = ()
    if svg:
        active = tuple(name for name, pattern in _SVG_ACTIVE if pattern.search(skeleton))
        foreign = _FOREIGN.search(skeleton)
        if foreign and _FOREIGN_ACTIVE.search(skeleton, foreign.end()):
            active += ("HTML form or frame inside foreignObject",)
    return Page(
        svg=svg,
        blobs=tuple(blobs),
        embedded=len(candidates),
        undecoded=undecoded,
        techniques=_techniques(skeleton, blobs),
        download_names=names,
        redirects=tuple(dict.fromkeys(_redirects(skeleton)))[:4],
        password_fields=fields if password else (),
        form_targets=tuple(dict.fromkeys(targets))[:4] if password else (),
        script_sends=sends,
        svg_active=active,
        cut=cut,
    )


def smuggling_sources(page: Page) -> list[Blob]:
    """Embedded data that is not page content (pictures, fonts, text data)."""
    return [b for b in page.blobs if not b.benign and b.size >= LARGE]


def member_names(page: Page) -> list[tuple[str, Blob]]:
    """The decoded data that becomes members of the page, each with its file name.

    A page's payloads and the markup it writes are always analysed; with a way to save a
    file (a sink), everything it embeds that is not page content is. The download name
    the page gives goes to the data of its own tag, else to the largest payload.
    """
    sinks = bool(page.sinks)
    chosen = [
        b
        for b in page.blobs
        if b.payload
        or b.sniffed.kind in MARKUP_KINDS
        or (sinks and not b.benign and b.sniffed.kind not in ("unknown", "empty"))
    ]
    free = [n for n in page.download_names if n not in {b.name for b in chosen if b.name}]
    out: list[tuple[str, Blob]] = []
    used: set[str] = set()
    for index, blob in enumerate(chosen, start=1):
        name = blob.name
        if not name and free and (blob.payload or sinks):
            name = free.pop(0)
        if not name or name in used:
            ext = blob.sniffed.extensions[0] if blob.sniffed.extensions else ".bin"
            name = f"embedded-{index}{ext}"
        used.add(name)
        out.append((name, blob))
    return out
