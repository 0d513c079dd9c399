"""What an audit will scan, worked out before the first scan: every file in a stable order,
each mbox's messages counted for the progress bar; the mboxes are cut into ranges of
messages as the scans need them, so the plan holds one entry per file, not per message.

A unit of work is a file or a range of one mbox. Units are grouped into batches: one
batch is one request to a worker, so that a folder of small files does not pay a
round trip per file, and a single large mbox is still shared between all workers.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..api import ScanError, input_error, iter_files, open_regular
from ..model import Finding, Source
from ..parse.mbox import looks_like_mbox, mbox_offsets
from ..records import record

# Messages of one mbox per unit, and units per batch: large enough that a request costs
# little next to its scans, small enough that the workers stay evenly busy.
MBOX_RANGE = 32
BATCH = 32


@record
class Stamp:
    """How an input file looked when it was scanned: a resumed audit skips it only if it
    still looks the same."""

    size: int
    mtime_ns: int


@record
class Unit:
    """One file, or consecutive messages of an mbox (`offsets`: where each starts)."""

    path: str
    order: int  # the file's place among all inputs: the order of the final reports
    stamp: Stamp
    offsets: tuple[int, ...] = ()  # () for a file read whole
    end: int = 0  # where the range ends (mbox only)
    first_index: int = 0  # the mbox index of the first message of the range
    passwords: tuple[str, ...] = ()  # tried first on encrypted attachments (PPAP pairing)
    findings: tuple[Finding, ...] = ()  # what only the folder shows, added to its verdict
    # A message on an IMAP server (`path` is its URL, see remote.py): its body, fetched by
    # the driver just before the unit goes to a worker, or why it could not be fetched.
    data: bytes | None = None
    fetch_error: str = ""

    @property
    def messages(self) -> int:
        return len(self.offsets) or 1

    @property
    def start(self) -> int:
        return self.offsets[0] if self.offsets else 0

    def alone(self) -> tuple[Unit, ...]:
        """The range cut into one unit per message (to retry a batch that failed)."""
        if len(self.offsets) <= 1:
            return (self,)
        ends = (*self.offsets[1:], self.end)
        return tuple(
            Unit(
                path=self.path,
                order=self.order,
                stamp=self.stamp,
                offsets=(start,),
                end=end,
                first_index=self.first_index + number,
                passwords=self.passwords,
            )
            for number, (start, end) in enumerate(zip(self.offsets, ends, strict=True))
        )


@record
class Input:
    """One local input file: a message read whole, or an mbox of `messages` messages. Only
    its count is kept: its ranges are cut again, streaming, when the scans need them."""

    path: str
    order: int
    stamp: Stamp
    messages: int = 1
    mbox: bool = False


@record
class Plan:
    """What to scan, in memory per input file, not per message: an archive of millions of
    messages costs a pass over its mboxes when the scans start, not RAM (see `units`)."""

    inputs: tuple[Input, ...]  # the local files, in order
    errors: tuple[ScanError, ...]  # inputs that cannot be scanned at all
    messages: int  # messages in all units (a file counts as one)
    files: int
    remote: tuple[Unit, ...] = ()  # IMAP messages, one unit each, after the local files

    def units(self) -> Iterator[Unit]:
        """Every unit, in order: each mbox cut into ranges as it is read again."""
        for item in self.inputs:
            if item.mbox:
                yield from _ranges(item)
            else:
                yield Unit(path=item.path, order=item.order, stamp=item.stamp)
        yield from self.remote

    def bases(self) -> dict[str, Unit]:
        """A unit standing for each input (an mbox whole, an IMAP message), by path: what
        the reports and the folder analyses need of it (its order, its stamp)."""
        found = {
            item.path: Unit(path=item.path, order=item.order, stamp=item.stamp)
            for item in self.inputs
        }
        found.update((unit.path, unit) for unit in self.remote)
        return found


def _ranges(item: Input) -> Iterator[Unit]:
    """The units of an mbox: ranges of `MBOX_RANGE` messages, read in constant memory. A
    file that changed since it was counted is cut as it is now, under the stamp it had:
    a resumed audit scans it again (as it would any file that changed during the scans)."""
    try:
        with open_regular(Path(item.path)) as handle:
            size = os.fstat(handle.fileno()).st_size
            piece: list[int] = []
            first = 0
            for offset in mbox_offsets(handle):
                if len(piece) == MBOX_RANGE:
                    yield _range(item, piece, offset, first)
                    first += len(piece)
                    piece = []
                piece.append(offset)
            if piece:
                yield _range(item, piece, size, first)
    except OSError:
        # Gone or unreadable since it was counted: its messages are not scanned, and the
        # reports hold what an earlier run found of them.
        return


def _range(item: Input, piece: list[int], end: int, first: int) -> Unit:
    return Unit(
        path=item.path,
        order=item.order,
        stamp=item.stamp,
        offsets=tuple(piece),
        end=end,
        first_index=first,
    )


def _input_of(path: Path, order: int) -> Input | ScanError:
    """A message file, or an mbox and its messages (counted, in constant memory)."""
    try:
        with open_regular(path) as handle:
            info = os.fstat(handle.fileno())
            stamp = Stamp(size=info.st_size, mtime_ns=info.st_mtime_ns)
            head = handle.read(64)
            if not looks_like_mbox(head):
                return Input(path=str(path), order=order, stamp=stamp)
            handle.seek(0)
            count = sum(1 for _ in mbox_offsets(handle))
    except OSError as exc:
        return input_error(str(path), exc)
    return Input(path=str(path), order=order, stamp=stamp, messages=count, mbox=True)


def make_plan(paths: list[str]) -> Plan:
    """Every input, in the order given, directories walked as `scan` walks them."""
    inputs: list[Input] = []
    errors: list[ScanError] = []
    order = 0
    seen: set[str] = set()
    for raw in paths:
        path = Path(raw)
        if not path.exists() and not path.is_symlink():
            errors.append(ScanError(source=Source(path=raw), reason="no such file or directory"))
            continue
        files = iter_files(path) if path.is_dir() else iter([path])
        for file in files:
            if isinstance(file, ScanError):
                errors.append(file)
                continue
            name = str(file)
            if name in seen:  # named twice (a file and its folder): one result
                continue
            seen.add(name)
            item = _input_of(file, order)
            if isinstance(item, ScanError):
                errors.append(item)
            else:
                inputs.append(item)
            order += 1
    return Plan(
        inputs=tuple(inputs),
        errors=tuple(errors),
        messages=sum(item.messages for item in inputs),
        files=order,
    )


def batches(units: Iterable[Unit], size: int | None = None) -> Iterator[tuple[Unit, ...]]:
    """Units grouped into requests of about `size` (default BATCH) messages each."""
    size = size or BATCH
    batch: list[Unit] = []
    messages = 0
    for unit in units:
        if batch and messages + unit.messages > size:
            yield tuple(batch)
            batch, messages = [], 0
        batch.append(unit)
        messages += unit.messages
    if batch:
        yield tuple(batch)
