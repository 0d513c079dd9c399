"""Compressed streams decoded a bounded step at a time (stdlib zlib, bz2, lzma).

The stdlib's one-shot helpers (`gzip.decompress`, and `zipfile` for bzip2 and LZMA
members) return everything at once, so a few kilobytes can become gigabytes in memory.
Every decoder here is asked for at most `n` output bytes per `read(n)`.
"""

from __future__ import annotations

import bz2
import lzma
import zlib
from collections.abc import Callable
from typing import Protocol

# Compressed bytes handed to a decoder per step.
_STEP = 64 * 1024


class _Engine(Protocol):
    @property
    def eof(self) -> bool: ...

    @property
    def needs_input(self) -> bool: ...

    @property
    def unused_data(self) -> bytes: ...

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
    """`read(n)` over a compressed stream held in memory.

    With `concatenated`, members that follow the first one are decoded too, as gzip, bzip2
    and xz tools do: a benign first member must not hide the payload after it.
    """

    def __init__(
        self,
        raw: bytes | memoryview,
        make: Callable[[], _Engine],
        *,
        concatenated: bool = False,
    ) -> None:
        self._raw = memoryview(raw)
        self._pos = 0
        self._make = make
        self._engine = make()
        self._pending = b""  # input the finished member did not use
        self._concatenated = concatenated

    @property
    def complete(self) -> bool:
        """The stream's own end marker was reached (not just the end of the input)."""
        return self._engine.eof

    def _next_member(self) -> bool:
        """Start on the member after the one that just ended, if the input holds one."""
        if not self._concatenated:
            return False
        self._pending += self._engine.unused_data
        ahead = self._pending[:512] + bytes(self._raw[self._pos : self._pos + 512])
        if not ahead.strip(b"\0"):  # nothing but the zero padding some tools append
            return False
        self._engine = self._make()
        return True

    def read(self, size: int) -> bytes:
        while True:
            engine = self._engine
            while not engine.eof:
                chunk = b""
                if engine.needs_input:
                    if self._pending:
                        chunk, self._pending = self._pending[:_STEP], self._pending[_STEP:]
                    elif self._pos >= len(self._raw):
                        return engine.decompress(b"", size)  # whatever the engine still holds
                    else:
                        chunk = bytes(self._raw[self._pos : self._pos + _STEP])
                        self._pos += len(chunk)
                out = engine.decompress(chunk, size)
                if out:
                    return out
                if not chunk:
                    return b""
            if not self._next_member():
                return b""


def gzip_member(raw: bytes | memoryview) -> RawStream:
    return RawStream(raw, lambda: _Zlib(16 + zlib.MAX_WBITS), concatenated=True)


def flate(raw: bytes | memoryview, *, header: bool = True) -> RawStream:
    """Flate data as PDF streams hold it: with the zlib header, or raw deflate."""
    return RawStream(raw, lambda: _Zlib(zlib.MAX_WBITS if header else -zlib.MAX_WBITS))


def bzip2(raw: bytes | memoryview, *, concatenated: bool = True) -> RawStream:
    return RawStream(raw, bz2.BZ2Decompressor, concatenated=concatenated)


def xz(raw: bytes | memoryview, memlimit: int) -> RawStream:
    # The header names the dictionary size, and the decoder fills that much memory as
    # output grows: refuse dictionaries larger than the caller can afford.
    return RawStream(
        raw,
        lambda: lzma.LZMADecompressor(format=lzma.FORMAT_XZ, memlimit=memlimit),
        concatenated=True,
    )


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
    return RawStream(
        memoryview(raw)[9:],
        lambda: lzma.LZMADecompressor(format=lzma.FORMAT_RAW, filters=[lzma1]),
    )
