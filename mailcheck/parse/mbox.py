"""Splitting mbox files into messages without loading the whole file."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import BinaryIO

_FROM_LINE = re.compile(rb"^From \S")
# mboxrd quotes body lines that start with "From " as ">From "; undo one level.
_QUOTED_FROM = re.compile(rb"^>(>*From )")
_LINE_BYTES = 64 * 1024  # a longer line is read in pieces, never whole


def looks_like_mbox(head: bytes) -> bool:
    return _FROM_LINE.match(head) is not None


def _split(lines: Iterable[bytes], max_bytes: int) -> Iterator[bytes]:
    current: list[bytes] = []
    size = 0
    previous_blank = True
    started = False
    for line in lines:
        if previous_blank and _FROM_LINE.match(line):
            if started:
                yield b"".join(current)
            current, size, started = [], 0, True
            previous_blank = False
            continue
        # Past max_bytes a message is only skimmed for the next From_ line: the scan
        # reports the message as cut at its input bound, memory stays bounded.
        if started and size <= max_bytes:
            current.append(_QUOTED_FROM.sub(rb"\1", line))
            size += len(line)
        previous_blank = line in (b"\n", b"\r\n")
    if started:
        yield b"".join(current)


def iter_mbox(stream: BinaryIO, max_bytes: int, head: bytes = b"") -> Iterator[bytes]:
    """Each message's bytes (without its From_ line), at most about `max_bytes` + a line.

    `head` is what the caller already read from the stream to recognise it.
    """

    def lines() -> Iterator[bytes]:
        pieces = head.splitlines(keepends=True)
        partial = pieces.pop() if pieces and not pieces[-1].endswith(b"\n") else b""
        yield from pieces
        first = partial + stream.readline(_LINE_BYTES)
        if first:
            yield first
        yield from iter(lambda: stream.readline(_LINE_BYTES), b"")

    return _split(lines(), max_bytes)
