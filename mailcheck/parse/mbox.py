"""Splitting mbox files into messages without loading the whole file.

A message starts after a `From ` line that follows a blank line (or opens the file). The
file is read in blocks and separators are found with one regular-expression search per
block, not a Python step per line: an mbox of 100,000 messages is split at disk speed, in
memory bounded by the block and the per-message bound.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO

_FROM_LINE = re.compile(rb"^From \S")
# A blank line, then a From_ line: group 1 (the blank line) ends the previous message.
# `^` is the buffer's start, used only while the buffer starts at a line's start.
_SEPARATOR_AT_LINE = re.compile(rb"(?:^|\n)(\r?\n)From \S")
_SEPARATOR = re.compile(rb"\n(\r?\n)From \S")
# mboxrd quotes body lines that start with "From " as ">From "; undo one level.
_QUOTED_FROM = re.compile(rb"^>(>*From )", re.M)
_BLOCK = 1024 * 1024
_TAIL = 16  # bytes kept back at a block's end: a separator may straddle two blocks


def looks_like_mbox(head: bytes) -> bool:
    return _FROM_LINE.match(head) is not None


class _Message:
    """One message's bytes as they arrive, kept up to the bound and skimmed beyond it."""

    def __init__(self, bound: int) -> None:
        self.bound = bound
        self.kept = bytearray()

    def add(self, buffer: bytearray, end: int) -> None:
        """Take `buffer[:end]` (only what fits under the bound is copied)."""
        room = self.bound - len(self.kept)
        if room > 0:
            self.kept += buffer[: min(end, room)]

    def finish(self) -> bytes:
        return _QUOTED_FROM.sub(rb"\1", bytes(self.kept))


def iter_mbox(stream: BinaryIO, max_bytes: int, head: bytes = b"") -> Iterator[bytes]:
    """Each message's bytes (without its From_ line), at most `max_bytes`.

    `head` is what the caller already read from the stream to recognise it; the stream
    starts with a From_ line (`looks_like_mbox`).
    """
    buffer = bytearray(head)
    at_end = False
    # read1: what is there now (at most a block), so that a message arriving on a pipe is
    # scanned as soon as the next one begins, not when a whole block has come in.
    read = getattr(stream, "read1", stream.read)

    def fill() -> bool:
        nonlocal at_end
        chunk = b"" if at_end else read(_BLOCK)
        at_end = not chunk
        buffer.extend(chunk)
        return bool(chunk)

    def skip_from_line() -> bool:
        """Drop the From_ line at the start of the buffer; False if the data ended."""
        while True:
            newline = buffer.find(b"\n")
            if newline >= 0:
                del buffer[: newline + 1]
                return True
            del buffer[: max(0, len(buffer) - 1)]  # a From_ line of any length costs nothing
            if not fill():
                buffer.clear()
                return False

    if not skip_from_line():
        yield b""
        return
    message = _Message(max_bytes)
    line_start = True  # the buffer begins where a line begins
    while True:
        found = (_SEPARATOR_AT_LINE if line_start else _SEPARATOR).search(buffer)
        if found is not None:
            message.add(buffer, found.end(1))
            yield message.finish()
            message = _Message(max_bytes)
            del buffer[: found.end(1)]
            if not skip_from_line():
                yield b""
                return
            line_start = True
            continue
        if at_end:
            message.add(buffer, len(buffer))
            yield message.finish()
            return
        # Hand over whole lines, keeping back a tail where a separator may begin.
        newline = buffer.rfind(b"\n", 0, max(0, len(buffer) - _TAIL))
        keep = newline + 1 if newline >= 0 else max(0, len(buffer) - _TAIL)
        # Nothing handed over: the buffer still starts where it started.
        line_start = newline >= 0 or (keep == 0 and line_start)
        message.add(buffer, keep)
        del buffer[:keep]
        fill()



def mbox_offsets(stream: BinaryIO) -> Iterator[int]:
    """The byte offset of each message's From_ line, as `iter_mbox` splits the stream.

    Lets an audit count an mbox's messages up front and hand out ranges of it to several
    workers; read in blocks, in constant memory.
    """
    position = 0  # offset of the block just read
    carry = b""  # the end of the previous block, where a separator may begin
    while True:
        block = stream.read(_BLOCK)
        if not block:
            return
        if position == 0 and _FROM_LINE.match(block):
            yield 0
        data = carry + block
        base = position - len(carry)
        for found in _SEPARATOR.finditer(data):
            # A match lying wholly in `carry` was counted with the previous block.
            if found.end() > len(carry):
                yield base + found.end(1)
        position += len(block)
        carry = data[-_TAIL:]
