"""The scratch index of a journal: where the latest complete outcome of each message of the
current inputs lies, in input order, kept in a SQLite file beside the reports (one row per
message, on disk: flat memory for any archive). Built once after the scans, read by the
folder analyses and the reports, removed when the reports are written.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path

from .journal import JOURNAL, UnitId, record_unit, records
from .plan import Plan

INDEX = ".audit-index.sqlite"

# (input order, message index or -1, offset of its "x"/"e" line, that line's length, error)
Slot = tuple[int, int, int, int, int]


@contextmanager
def index(directory: Path, plan: Plan, done: Collection[UnitId]) -> Iterator[sqlite3.Connection]:
    """The index of `directory`'s journal for `plan`, removed when the block ends."""
    scratch = directory / INDEX
    scratch.unlink(missing_ok=True)
    database = sqlite3.connect(scratch)
    try:
        # A scratch file rebuilt on every run: no need to survive a crash.
        database.execute("PRAGMA journal_mode = OFF")
        database.execute("PRAGMA synchronous = OFF")
        _fill(directory / JOURNAL, plan, done, database)
        yield database
    finally:
        database.close()
        scratch.unlink(missing_ok=True)


def _fill(
    journal: Path, plan: Plan, done: Collection[UnitId], database: sqlite3.Connection
) -> None:
    """Table `slots`: one row per message of the current inputs the journal holds."""
    database.execute(
        "CREATE TABLE slots (ord INTEGER, idx INTEGER, offset INTEGER, length INTEGER,"
        " error INTEGER, PRIMARY KEY (ord, idx)) WITHOUT ROWID"
    )

    # The plan and the finished units are on disk: the messages of one mbox range follow
    # each other in the journal, so the last answer is asked for again and again.
    @functools.lru_cache(maxsize=64)
    def finished(unit: UnitId) -> bool:
        return unit in done

    @functools.lru_cache(maxsize=64)
    def current(path: str, size: int, mtime: int) -> int | None:
        base = plan.base(path)
        if base is None or (base.stamp.size, base.stamp.mtime_ns) != (size, mtime):
            return None  # not an input any more, or changed since: scanned again
        return base.order

    def rows() -> Iterator[Slot]:
        for offset, length, item in records(journal, "xe"):
            unit = record_unit(item)
            if unit is None or not finished(unit):
                continue
            path, size, mtime, _ = unit
            order = current(path, size, mtime)
            if order is None:
                continue
            number = item.get("i")
            yield (
                order,
                number if isinstance(number, int) else -1,
                offset,
                length,
                int(item["t"] == "e"),
            )

    # A unit finished twice (its batch failed after writing it): the later one counts.
    database.executemany("INSERT OR REPLACE INTO slots VALUES (?, ?, ?, ?, ?)", rows())


def in_order(database: sqlite3.Connection) -> Iterator[Slot]:
    return iter(
        database.execute("SELECT ord, idx, offset, length, error FROM slots ORDER BY ord, idx")
    )
