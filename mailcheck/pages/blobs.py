"""Data embedded in a page (base64 literals, data: URIs, character codes, percent-encoded
text), cut out of it and decoded within bounds, never run."""

from __future__ import annotations

import binascii
import re

from ..names import (
    real_extension,
)
from ..records import record
from ..sniff import Sniffed, sniff
from .patterns import (
    _BENIGN_KINDS,
    _CODES,
    _DATA_URI,
    _ESCAPES,
    _LITERALS,
    _MARK,
    _ONE_LITERAL,
    _PERCENT,
    _PERCENT_ESCAPE,
    MARKUP_KINDS,
    MAX_CANDIDATES,
    MIN_BASE64,
    MIN_PERCENT,
    PAYLOAD_EXTS,
    PAYLOAD_KINDS,
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
