"""Compressed streams decoded a bounded step at a time (stdlib zlib, bz2, lzma).

The stdlib's one-shot helpers (`gzip.decompress`, and `zipfile` for bzip2 and LZMA
members) return everything at once, so a few kilobytes can become gigabytes in memory.
Every decoder here is asked for at most `n` output bytes per `read(n)`.
"""

from __future__ import annotations

import bz2
import lzma
import zlib
from typing import Protocol

# Compressed bytes handed to a decoder per step.
_STEP = 64 * 1024


class _Engine(Protocol):
    @property
    def eof(self) -> bool: ...

    @property
    def needs_input(self) -> bool: ...

    def decompress(self, data: bytes, max_length: int = -1, /) -> bytes: ...


class _Zlib:
    """zlib's decompressobj behind the bz2/lzma decompressor interface."""

    def __init__(self, wbits: int) -> None:
        self._inner = zlib.decompressobj(wbits)
        self._tail = b""

    @property
    def eof(self) -> bool:
        return self._inner.eof

    @property
    def needs_input(self) -> bool:
        return not self._tail

    @property
    def unused_data(self) -> bytes:
        return self._inner.unused_data

    def decompress(self, data: bytes, max_length: int = -1, /) -> bytes:
        out = self._inner.decompress(self._tail + data, max(max_length, 0))
        self._tail = self._inner.unconsumed_tail
        return out


class RawStream:
    """`read(n)` over one compressed stream held in memory."""

    def __init__(self, raw: bytes | memoryview, engine: _Engine) -> None:
        self._raw = memoryview(raw)
        self._pos = 0
        self._engine = engine

    @property
    def complete(self) -> bool:
        """The stream's own end marker was reached (not just the end of the input)."""
        return self._engine.eof

    @property
    def consumed(self) -> int:
        return self._pos

    def read(self, size: int) -> bytes:
        engine = self._engine
        while not engine.eof:
            chunk = b""
            if engine.needs_input:
                if self._pos >= len(self._raw):
                    return engine.decompress(b"", size)  # whatever the engine still holds
                chunk = bytes(self._raw[self._pos : self._pos + _STEP])
                self._pos += len(chunk)
            out = engine.decompress(chunk, size)
            if out:
                return out
            if not chunk:
                return b""
        return b""


def deflate(raw: bytes | memoryview) -> RawStream:
    return RawStream(raw, _Zlib(-zlib.MAX_WBITS))


def gzip_member(raw: bytes | memoryview) -> RawStream:
    return RawStream(raw, _Zlib(16 + zlib.MAX_WBITS))


def bzip2(raw: bytes | memoryview) -> RawStream:
    return RawStream(raw, bz2.BZ2Decompressor())


def xz(raw: bytes | memoryview, memlimit: int) -> RawStream:
    # The header names the dictionary size, and the decoder fills that much memory as
    # output grows: refuse dictionaries larger than the caller can afford.
    return RawStream(raw, lzma.LZMADecompressor(format=lzma.FORMAT_XZ, memlimit=memlimit))


def zip_lzma(raw: bytes | memoryview, memlimit: int) -> RawStream:
    """LZMA as ZIP stores it (APPNOTE 5.8.8): version, properties size, properties, data."""
    head = bytes(raw[:9])
    if len(head) < 9 or int.from_bytes(head[2:4], "little") != 5 or head[4] >= 9 * 5 * 5:
        raise ValueError("bad LZMA properties")
    props = head[4]
    dict_size = int.from_bytes(head[5:9], "little")
    if dict_size > memlimit:
        raise ValueError(f"LZMA dictionary of {dict_size} bytes is over the memory bound")
    lzma1 = {
        "id": lzma.FILTER_LZMA1,
        "lc": props % 9,
        "lp": (props // 9) % 5,
        "pb": props // 45,
        "dict_size": max(dict_size, 4096),
    }
    engine = lzma.LZMADecompressor(format=lzma.FORMAT_RAW, filters=[lzma1])
    return RawStream(memoryview(raw)[9:], engine)
