"""Bounded reading of Microsoft cabinets ([MS-CAB]): stored and MSZIP folders only.

OneNote packages (.onepkg) are cabinets of .one sections. Their folders are mostly LZX,
which the standard library cannot inflate; those are named as unsupported so the caller
can say a check could not run rather than calling the package clean. MSZIP is raw deflate
per 32 KiB block with the previous block as the dictionary, which zlib does directly.
"""

from __future__ import annotations

import zlib

from ..records import record

_MAGIC = b"MSCF\x00\x00\x00\x00"
_HEADER = 36
_MSZIP_BLOCK = 32 * 1024
_MAX_FOLDERS = 64
_MAX_FILES = 1024
_MAX_NAME = 256
_METHODS = {0: "none", 1: "MSZIP", 2: "Quantum", 3: "LZX"}
_FLAG_PREV, _FLAG_NEXT, _FLAG_RESERVE = 0x1, 0x2, 0x4


@record
class Cabinet:
    stream: bytes  # the uncompressed folders that could be read, one after another
    names: tuple[str, ...]  # member names (display only)
    unsupported: tuple[str, ...]  # compression methods of folders left unread
    truncated: bool  # a bound or damaged data stopped the reading early


def _u8(data: bytes, at: int) -> int:
    return data[at] if at < len(data) else 0


def _u16(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 2], "little")


def _u32(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 4], "little")


def _skip_strings(data: bytes, pos: int, count: int) -> int:
    for _ in range(count):
        end = data.find(b"\x00", pos, pos + _MAX_NAME)
        pos = (end if end >= 0 else pos + _MAX_NAME) + 1
    return pos


def _names(data: bytes, count: int) -> tuple[str, ...]:
    pos, names = _u32(data, 16), []
    for _ in range(min(count, _MAX_FILES)):
        end = data.find(b"\x00", pos + 16, pos + 16 + _MAX_NAME)
        if end < 0:
            break
        names.append(data[pos + 16 : end].decode("utf-8", "replace"))
        pos = end + 1
    return tuple(names)


def _folder(
    data: bytes, start: int, blocks: int, method: int, data_reserve: int, room: int
) -> tuple[bytes, bool]:
    """One folder's uncompressed bytes (at most `room`), and whether it was cut short."""
    out = bytearray()
    history = b""
    pos = start
    for _ in range(blocks):
        size, expected = _u16(data, pos + 4), _u16(data, pos + 6)
        payload = data[pos + 8 + data_reserve : pos + 8 + data_reserve + size]
        pos += 8 + data_reserve + size
        if len(payload) < size:
            return bytes(out), True
        if method == 1:
            if payload[:2] != b"CK":
                return bytes(out), True
            try:
                inflater = (
                    zlib.decompressobj(-15, zdict=history) if history else zlib.decompressobj(-15)
                )
                block = inflater.decompress(payload[2:], _MSZIP_BLOCK)
            except zlib.error:
                return bytes(out), True
            history = block
        else:
            block = payload[:expected]
        if len(out) + len(block) > room:
            out += block[: room - len(out)]
            return bytes(out), True
        out += block
    return bytes(out), False


def read_cabinet(data: bytes, *, max_bytes: int) -> Cabinet:
    """The readable folders of a cabinet, never more than `max_bytes`. Never raises."""
    if not data.startswith(_MAGIC) or len(data) < _HEADER:
        return Cabinet(stream=b"", names=(), unsupported=(), truncated=True)
    folders, files, flags = _u16(data, 26), _u16(data, 28), _u16(data, 30)
    pos = _HEADER
    folder_reserve = data_reserve = 0
    if flags & _FLAG_RESERVE:
        header_reserve = _u16(data, pos)
        folder_reserve, data_reserve = _u8(data, pos + 2), _u8(data, pos + 3)
        pos += 4 + header_reserve
    pos = _skip_strings(data, pos, 2 * bool(flags & _FLAG_PREV) + 2 * bool(flags & _FLAG_NEXT))
    stream = bytearray()
    unsupported: list[str] = []
    truncated = folders > _MAX_FOLDERS
    for _ in range(min(folders, _MAX_FOLDERS)):
        start, blocks, method = _u32(data, pos), _u16(data, pos + 4), _u16(data, pos + 6) & 0xF
        pos += 8 + folder_reserve
        if method not in (0, 1):
            unsupported.append(_METHODS.get(method, f"method {method}"))
            continue
        room = max_bytes - len(stream)
        chunk, cut = _folder(data, start, blocks, method, data_reserve, room)
        stream += chunk
        truncated = truncated or cut
        if len(stream) >= max_bytes:
            truncated = True
            break
    return Cabinet(
        stream=bytes(stream),
        names=_names(data, files),
        unsupported=tuple(dict.fromkeys(unsupported)),
        truncated=truncated,
    )
