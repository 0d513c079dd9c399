"""Splitting mbox files into messages without loading the whole file."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import BinaryIO

_FROM_LINE = re.compile(rb"^From \S")
# mboxrd quotes body lines that start with "From " as ">From "; undo one level.
_QUOTED_FROM = re.compile(rb"^>(>*From )")


def looks_like_mbox(head: bytes) -> bool:
    return _FROM_LINE.match(head) is not None


def _split(lines: Iterable[bytes]) -> Iterator[bytes]:
    current: list[bytes] = []
    previous_blank = True
    started = False
    for line in lines:
        if previous_blank and _FROM_LINE.match(line):
            if started:
                yield b"".join(current)
            current, started = [], True
            previous_blank = False
            continue
        if started:
            current.append(_QUOTED_FROM.sub(rb"\1", line))
        previous_blank = line in (b"\n", b"\r\n")
    if started:
        yield b"".join(current)


def iter_mbox(stream: BinaryIO) -> Iterator[bytes]:
    """Yield each message's bytes (without its From_ line) from an open binary file."""
    return _split(iter(stream.readline, b""))


def split_mbox(data: bytes) -> Iterator[bytes]:
    return _split(data.splitlines(keepends=True))
