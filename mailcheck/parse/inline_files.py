"""Files written inline in a plain-text body: uuencoded (`begin 644 name` ... `end`) and
yEnc (`=ybegin ... name=` ... `=yend`) blocks.

Outlook and Thunderbird show such a block as an attachment, so a program sent this way is
one click from running while a scanner that reads only MIME parts sees a text body. Each
block becomes a file of its own; decoding is tolerant of damaged lines (what decodes is
kept) and bounded in blocks and bytes.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterator

MAX_BLOCKS = 16  # blocks taken from one body
MAX_SCAN = 8 * 1024 * 1024  # bytes of a body looked at

_UU = re.compile(
    rb"^begin [0-7]{3,4} ([^\r\n]{1,255})\r?\n(.*?)^end[ \t]*\r?$", re.MULTILINE | re.DOTALL
)
_YENC = re.compile(
    rb"^=ybegin [^\r\n]*?name=([^\r\n]{1,255})\r?\n(?:=ypart [^\r\n]*\r?\n)?(.*?)^=yend\b",
    re.MULTILINE | re.DOTALL,
)


def _uudecode(block: bytes) -> bytes:
    out = bytearray()
    for line in block.splitlines():
        if not line or (line[:1] in (b"`", b" ") and len(line.strip(b" `")) == 0):
            continue
        try:
            out += binascii.a2b_uu(line)
        except binascii.Error:
            # A line some encoder padded differently: decode what its length byte promises.
            count = (line[0] - 32) & 63
            try:
                out += binascii.a2b_uu(line[: 1 + (count * 4 + 2) // 3])
            except binascii.Error:
                continue
    return bytes(out)


def _ydecode(block: bytes) -> bytes:
    out = bytearray()
    escaped = False
    for byte in block:
        if byte in (0x0A, 0x0D):
            continue
        if escaped:
            out.append((byte - 64 - 42) & 0xFF)
            escaped = False
        elif byte == 0x3D:  # "="
            escaped = True
        else:
            out.append((byte - 42) & 0xFF)
    return bytes(out)


def inline_files(text: bytes) -> Iterator[tuple[str, bytes, str]]:
    """(file name, bytes, encoding) for each uuencoded or yEnc block of a text body."""
    if b"begin " not in text and b"=ybegin" not in text:
        return
    view = text[:MAX_SCAN]
    found = [(m.start(), m, "uuencode") for m in _UU.finditer(view)]
    found += [(m.start(), m, "yenc") for m in _YENC.finditer(view)]
    for _start, match, kind in sorted(found, key=lambda item: item[0])[:MAX_BLOCKS]:
        name = match.group(1).strip().decode("utf-8", "surrogateescape")
        data = _uudecode(match.group(2)) if kind == "uuencode" else _ydecode(match.group(2))
        yield name, data, kind
