"""The audit's journal: every finished unit, appended as it finishes, so that an interrupted
audit loses at most the units in flight and `--resume` continues where it stopped.

One JSON object per line. A unit's lines (one "x" and one "m" line per message, "e" per
error, then "u": the unit is complete) are written with a single `os.write` on a file
opened for appending, so a crash leaves at most one torn block at the end; lines of a
unit without its "u" line are ignored when the journal is read. The final reports are
built from the journal, never from memory, so their order does not depend on which
worker finished first.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .index import index_to_json
from .jobs import Done
from .plan import Unit
from .spill import spill_table

JOURNAL = "audit-journal.jsonl"

UnitId = tuple[str, int, int, int]  # path, size, mtime_ns, start


def unit_id(unit: Unit) -> UnitId:
    return (unit.path, unit.stamp.size, unit.stamp.mtime_ns, unit.start)


def _head(unit: Unit) -> dict[str, Any]:
    return {
        "path": unit.path,
        "size": unit.stamp.size,
        "mtime": unit.stamp.mtime_ns,
        "start": unit.start,
    }


def block(done: Done) -> bytes:
    """The journal lines of one finished unit."""
    unit = done.unit
    head = _head(unit)
    lines: list[str] = []
    ends = (*unit.offsets[1:], unit.end)
    for entry in done.entries:
        where: dict[str, Any] = {**head, "i": entry.index}
        if entry.index is not None and unit.offsets:
            # Where the message lies in the mbox: a folder analysis may scan it again.
            number = entry.index - unit.first_index
            if 0 <= number < len(unit.offsets):
                where["at"], where["end"] = unit.offsets[number], ends[number]
        if entry.facts is None:
            error = {"t": "e", **where, "reason": entry.error, "nam": entry.not_a_message}
            lines.append(json.dumps(error, ensure_ascii=False))
            continue
        facts = {
            "t": "x",
            **where,
            "x": index_to_json(entry.facts),
            "row": entry.row,
            "ids": entry.ids,
            "inc": entry.incomplete,
        }
        lines.append(json.dumps(facts, ensure_ascii=False))
        # The result is already JSON: inlined as it is, not parsed and written again.
        lines.append(json.dumps({"t": "m", **where})[:-1] + ', "r": ' + entry.line + "}")
    lines.append(json.dumps({"t": "u", **head, "n": len(done.entries)}))
    return ("\n".join(lines) + "\n").encode("utf-8", "surrogateescape")


class Journal:
    """Appends blocks; opened by the driver only (workers never write to it)."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / JOURNAL
        _cut_torn_tail(self.path)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def write(self, done: Done) -> None:
        data = block(done)
        view = memoryview(data)
        while view:  # a regular file takes it whole; the loop is for the odd short write
            written = os.write(self._fd, view)
            view = view[written:]

    def close(self) -> None:
        os.close(self._fd)


def _cut_torn_tail(path: Path) -> None:
    """Drop a last line without its newline (the process died while writing it)."""
    try:
        with path.open("rb+") as handle:
            size = handle.seek(0, os.SEEK_END)
            if size == 0:
                return
            handle.seek(size - 1)
            if handle.read(1) == b"\n":
                return
            step = min(size, 1 << 20)
            while True:
                handle.seek(size - step)
                chunk = handle.read(step)
                newline = chunk.rfind(b"\n")
                if newline >= 0:
                    handle.truncate(size - step + newline + 1)
                    return
                if step == size:
                    handle.truncate(0)
                    return
                step = min(size, step * 2)
    except FileNotFoundError:
        return


def records(path: Path, kinds: str) -> Iterator[tuple[int, int, dict[str, Any]]]:
    """(byte offset, length, record) of each readable line whose kind ("t") is one of
    `kinds`; other lines are passed over without being parsed (a result line is large)."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return
    with handle:
        offset = 0
        for line in handle:
            length = len(line)
            if line.startswith(b'{"t": "') and line[7:8].decode("latin-1") in kinds:
                try:
                    record = json.loads(line)
                except ValueError:
                    record = None
                if isinstance(record, dict):
                    yield offset, length, record
            offset += length


class DoneUnits:
    """Units the journal holds in full, in a private SQLite database (`spill_table`):
    resuming an audit of millions of files keeps none of them in memory."""

    def __init__(self, units: Iterable[UnitId] = ()) -> None:
        self._db = spill_table(
            "CREATE TABLE done (path BLOB, size INTEGER, mtime INTEGER, start INTEGER,"
            " PRIMARY KEY (path, size, mtime, start)) WITHOUT ROWID"
        )
        rows = ((os.fsencode(path), size, mtime, start) for path, size, mtime, start in units)
        self._db.executemany("INSERT OR IGNORE INTO done VALUES (?, ?, ?, ?)", rows)
        self._count: int = self._db.execute("SELECT count(*) FROM done").fetchone()[0]

    def __contains__(self, unit: object) -> bool:
        if not (isinstance(unit, tuple) and len(unit) == 4):
            return False
        path, size, mtime, start = unit
        found = self._db.execute(
            "SELECT 1 FROM done WHERE path = ? AND size = ? AND mtime = ? AND start = ?",
            (os.fsencode(path), size, mtime, start),
        )
        return found.fetchone() is not None

    def __iter__(self) -> Iterator[UnitId]:
        rows = self._db.execute("SELECT path, size, mtime, start FROM done")
        for path, size, mtime, start in rows:
            yield os.fsdecode(path), size, mtime, start

    def __len__(self) -> int:
        return self._count


def finished_units(path: Path) -> DoneUnits:
    """Units the journal holds in full."""
    return DoneUnits(
        unit for _, _, record in records(path, "u") if (unit := record_unit(record)) is not None
    )


def record_unit(record: dict[str, Any]) -> UnitId | None:
    try:
        return (
            str(record["path"]),
            int(record["size"]),
            int(record["mtime"]),
            int(record["start"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


def compact(path: Path) -> None:
    """Once an audit completed: drop the full results of clean messages (the bulk of the
    journal), keeping what `--resume` needs to know what is done and to write the reports
    again (every "x", "e" and "u" line, and the results of flagged messages). Written under
    a temporary name and renamed: a crash leaves the old journal or the new one."""
    temporary = path.with_name(f".{path.name}.partial")
    with path.open("rb") as source, temporary.open("wb") as target:
        clean = False
        for line in source:
            if line.startswith(b'{"t": "m"'):
                if clean:
                    continue
            elif line.startswith(b'{"t": "x"'):
                clean = b'"verdict": "clean"' in line
            target.write(line)
        target.flush()
        os.fsync(target.fileno())
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)


class Reader:
    """Lines of the journal read back by the byte offset `records` gave for them."""

    def __init__(self, path: Path) -> None:
        self._handle = path.open("rb")

    def line(self, offset: int) -> bytes:
        self._handle.seek(offset)
        return self._handle.readline()

    def record(self, offset: int) -> dict[str, Any]:
        """The "x" or "e" line at `offset`, parsed (they are small)."""
        parsed: dict[str, Any] = json.loads(self.line(offset))
        return parsed

    def result(self, offset: int) -> str | None:
        """The result JSON of the "m" line at `offset`, as `block` inlined it: cut out, not
        parsed (a result line is large, and copied as it is); None when the journal was
        compacted and the line is gone."""
        text = self.line(offset).decode("utf-8", "surrogateescape")
        if not text.startswith('{"t": "m"'):
            return None
        start = text.index(', "r": ') + len(', "r": ')
        return text[start:].rstrip("\n")[:-1]

    def close(self) -> None:
        self._handle.close()
