"""What an audit will scan, worked out before the first scan: every file in a stable order,
each mbox's messages counted for the progress bar; the mboxes are cut into ranges of
messages as the scans need them, so the plan holds one entry per file, not per message, and
those entries live in a temporary SQLite file (`Inputs`), not in memory: a Maildir of a
million files costs the driver what a folder of ten does.

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
from .spill import spill_table

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


class Inputs:
    """The plan's inputs, in order, in a private SQLite database (`spill_table`): one row
    per local file or IMAP message, and nothing per input in memory."""

    def __init__(self) -> None:
        self._db = spill_table(
            "CREATE TABLE inputs (ord INTEGER PRIMARY KEY, path BLOB NOT NULL UNIQUE,"
            " size INTEGER, mtime INTEGER, messages INTEGER, mbox INTEGER)"
        )
        self.count = 0  # rows
        self.messages = 0  # messages in all rows (a file counts as one)
        self.end = 0  # the order after every input's, unreadable ones included

    def add(self, item: Input) -> bool:
        """Keep `item`; False when its path is already an input (named twice)."""
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO inputs VALUES (?, ?, ?, ?, ?, ?)",
            (
                item.order,
                _stored(item.path),
                item.stamp.size,
                item.stamp.mtime_ns,
                item.messages,
                int(item.mbox),
            ),
        )
        if cursor.rowcount != 1:
            return False
        self.end = max(self.end, item.order + 1)
        self.count += 1
        self.messages += item.messages
        return True

    def __contains__(self, path: str) -> bool:
        return self.get(path) is not None

    def __iter__(self) -> Iterator[Input]:
        # Fetched in pages, so that a caller may look paths up between two inputs.
        last = -1
        while True:
            rows = self._db.execute(
                "SELECT * FROM inputs WHERE ord > ? ORDER BY ord LIMIT 512", (last,)
            ).fetchall()
            if not rows:
                return
            for row in rows:
                yield _input(row)
            last = rows[-1][0]

    def __len__(self) -> int:
        return self.count

    def get(self, path: str) -> Input | None:
        row = self._db.execute("SELECT * FROM inputs WHERE path = ?", (_stored(path),)).fetchone()
        return None if row is None else _input(row)

    def path_of(self, order: int) -> str:
        row = self._db.execute("SELECT path FROM inputs WHERE ord = ?", (order,)).fetchone()
        return "" if row is None else os.fsdecode(row[0])


def _stored(path: str) -> bytes:
    # As bytes: a file name's undecodable bytes (surrogate escapes) round-trip exactly.
    return os.fsencode(path)


def _input(row: tuple[int, bytes, int, int, int, int]) -> Input:
    order, path, size, mtime, messages, mbox = row
    stamp = Stamp(size=size, mtime_ns=mtime)
    return Input(
        path=os.fsdecode(path), order=order, stamp=stamp, messages=messages, mbox=bool(mbox)
    )


@record
class Plan:
    """What to scan, on disk per input file, not per message and not in memory: an archive of
    millions of messages costs a pass over its mboxes when the scans start, not RAM (see
    `units`). IMAP messages are inputs too, after the local files (`add_remote`)."""

    inputs: Inputs  # the local files, then the IMAP messages, in order
    errors: tuple[ScanError, ...]  # inputs that cannot be scanned at all

    @property
    def messages(self) -> int:
        """Messages in all units (a file counts as one)."""
        return self.inputs.messages

    @property
    def files(self) -> int:
        """Inputs named (unreadable ones included): the order the next one takes."""
        return self.inputs.end

    def units(self) -> Iterator[Unit]:
        """Every unit, in order: each mbox cut into ranges as it is read again."""
        for item in self.inputs:
            if item.mbox:
                yield from _ranges(item)
            else:
                yield Unit(path=item.path, order=item.order, stamp=item.stamp)

    def base(self, path: str) -> Unit | None:
        """The unit standing for an input (an mbox whole, an IMAP message): what the reports
        and the folder analyses need of it (its order, its stamp); None for no input."""
        item = self.inputs.get(path)
        return None if item is None else Unit(path=item.path, order=item.order, stamp=item.stamp)

    def add_remote(self, unit: Unit) -> bool:
        """An IMAP message (ordered after the local files); False when listed already."""
        return self.inputs.add(Input(path=unit.path, order=unit.order, stamp=unit.stamp))


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
    inputs = Inputs()
    errors: list[ScanError] = []
    failed: set[str] = set()  # as many as `errors`
    order = 0
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
            if name in failed or name in inputs:  # named twice (a file and its folder)
                continue
            item = _input_of(file, order)
            if isinstance(item, ScanError):
                errors.append(item)
                failed.add(name)
            else:
                inputs.add(item)
            order += 1
    inputs.end = order
    return Plan(inputs=inputs, errors=tuple(errors))


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
