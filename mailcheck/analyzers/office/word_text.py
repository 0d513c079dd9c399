"""The main text of a binary Word document (.doc), read through its piece table.

Droppers keep their command line in the document body, in white or tiny text, and the
macro reads it as `ActiveDocument.Content`, `.Range.Text` or `StoryRanges(1)`. The text is
not in any stream as a whole: the FIB names the table stream (0Table or 1Table) and, in
it, the piece table (Clx) that lists where each run of characters lies in the WordDocument
stream, as 8-bit cp1252 or UTF-16. Bounded: at most `limit` characters, read from the
streams' bytes; anything malformed gives what was read before it.
"""

from __future__ import annotations

import struct
from typing import Any

_WORD_IDENT = 0xA5EC
_FIB_FLAGS = 0x0A
_WHICH_TABLE = 0x0200  # fWhichTblStm: the piece table is in 1Table, else 0Table
_ENCRYPTED = 0x0100
_CLX_PAIR = 33  # fcClx / lcbClx in FibRgFcLcb97
_CCP_TEXT = 3  # ccpText in FibRgLw97


def _fib(word: bytes) -> tuple[int, int, int, int] | None:
    """(flags, ccpText, fcClx, lcbClx) from the FIB, None when it is not Word 97 or later."""
    if len(word) < 0x22 or struct.unpack_from("<H", word, 0)[0] != _WORD_IDENT:
        return None
    flags = struct.unpack_from("<H", word, _FIB_FLAGS)[0]
    at = 0x20
    (csw,) = struct.unpack_from("<H", word, at)
    at += 2 + csw * 2
    (cslw,) = struct.unpack_from("<H", word, at)
    lw_at = at + 2
    ccp_text = struct.unpack_from("<i", word, lw_at + _CCP_TEXT * 4)[0] if cslw > _CCP_TEXT else -1
    at = lw_at + cslw * 4
    (pairs,) = struct.unpack_from("<H", word, at)
    if pairs <= _CLX_PAIR:
        return None
    fc, lcb = struct.unpack_from("<II", word, at + 2 + _CLX_PAIR * 8)
    return flags, ccp_text, fc, lcb


def _pieces(clx: bytes) -> list[tuple[int, int, int, bool]]:
    """(cp start, cp end, file offset, 8-bit) for each piece of the Clx's PlcPcd."""
    at = 0
    while at < len(clx) and clx[at] == 0x01:  # Prc: property modifiers, skipped
        (size,) = struct.unpack_from("<H", clx, at + 1)
        at += 3 + size
    if at >= len(clx) or clx[at] != 0x02:
        return []
    (lcb,) = struct.unpack_from("<I", clx, at + 1)
    plc = clx[at + 5 : at + 5 + lcb]
    count = (len(plc) - 4) // 12
    if count <= 0:
        return []
    cps = struct.unpack_from(f"<{count + 1}i", plc, 0)
    out = []
    for index in range(count):
        (raw,) = struct.unpack_from("<I", plc, (count + 1) * 4 + index * 8 + 2)
        compressed = bool(raw & 0x40000000)
        offset = raw & 0x3FFFFFFF
        out.append((cps[index], cps[index + 1], offset // 2 if compressed else offset, compressed))
    return out


def _decode(chunk: bytes, compressed: bool) -> str:
    if compressed:
        return chunk.decode("cp1252", "replace")
    return chunk[: len(chunk) & ~1].decode("utf-16-le", "replace")


def document_text(ole: Any, limit: int) -> str:
    """The main story of the Word document in `ole` (an olefile.OleFileIO), at most
    `limit` characters; "" for other or encrypted files."""
    if not ole.exists("WordDocument"):
        return ""
    word = ole.openstream("WordDocument").read()
    try:
        fib = _fib(word)
        if fib is None:
            return ""
        flags, ccp_text, fc_clx, lcb_clx = fib
        table_name = "1Table" if flags & _WHICH_TABLE else "0Table"
        if flags & _ENCRYPTED or not ole.exists(table_name) or lcb_clx == 0:
            return ""
        table = ole.openstream(table_name).read()
        pieces = _pieces(table[fc_clx : fc_clx + lcb_clx])
    except struct.error:
        return ""
    wanted = min(limit, ccp_text) if ccp_text >= 0 else limit
    parts: list[str] = []
    length = 0
    for start, end, offset, compressed in pieces:
        if length >= wanted or end <= start:
            break
        count = min(end - start, wanted - length)
        size = count if compressed else count * 2
        parts.append(_decode(word[offset : offset + size], compressed))
        length += count
    return "".join(parts)[:wanted]
