"""What an audit will scan, worked out before the first scan: every file in a stable order,
each mbox cut into ranges of messages, and the whole counted for the progress bar.

A unit of work is a file or a range of one mbox. Units are grouped into batches: one
batch is one request to a worker, so that a folder of small files does not pay a
round trip per file, and a single large mbox is still shared between all workers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
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
class Plan:
    units: tuple[Unit, ...]
    errors: tuple[ScanError, ...]  # inputs that cannot be scanned at all
    messages: int  # messages in all units (a file counts as one)
    files: int


def _units_of(path: Path, order: int) -> Iterator[Unit | ScanError]:
    """One unit for a message file; an mbox cut into ranges of `MBOX_RANGE` messages."""
    try:
        with open_regular(path) as handle:
            info = os.fstat(handle.fileno())
            stamp = Stamp(size=info.st_size, mtime_ns=info.st_mtime_ns)
            head = handle.read(64)
            if not looks_like_mbox(head):
                yield Unit(path=str(path), order=order, stamp=stamp)
                return
            handle.seek(0)
            offsets = list(mbox_offsets(handle))
    except OSError as exc:
        yield input_error(str(path), exc)
        return
    ends = (*offsets[1:], stamp.size)
    for first in range(0, len(offsets), MBOX_RANGE):
        piece = tuple(offsets[first : first + MBOX_RANGE])
        yield Unit(
            path=str(path),
            order=order,
            stamp=stamp,
            offsets=piece,
            end=ends[first + len(piece) - 1],
            first_index=first,
        )


def make_plan(paths: list[str]) -> Plan:
    """Every input, in the order given, directories walked as `scan` walks them."""
    units: list[Unit] = []
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
            for item in _units_of(file, order):
                if isinstance(item, ScanError):
                    errors.append(item)
                else:
                    units.append(item)
            order += 1
    return Plan(
        units=tuple(units),
        errors=tuple(errors),
        messages=sum(unit.messages for unit in units),
        files=order,
    )


def batches(units: list[Unit], size: int | None = None) -> Iterator[tuple[Unit, ...]]:
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
