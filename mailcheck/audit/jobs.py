"""The work an audit worker does for one batch: scan its units, return each message's JSON
line and what the folder analyses need of it (`MessageIndex`).

Runs in a warm worker process (`--jobs`) or on a Dask worker: a module-level function of
picklable arguments, returning picklable records. The JSON is rendered here, next to the
scan, so that the driver only writes strings.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import TYPE_CHECKING

from ..records import record, replace
from .index import MessageIndex, index_of
from .plan import Unit
from .remote import is_remote

if TYPE_CHECKING:
    from ..catalog import Lang
    from ..config import Config
    from ..limits import Limits
    from ..model import ScanResult
    from ..parse.types import ParsedMessage


@record
class Entry:
    """One message's outcome: a result (`line`, `facts`) or an error (`error`)."""

    index: int | None
    line: str = ""  # the result as `scan --json` writes it
    facts: MessageIndex | None = None
    row: tuple[str, ...] = ()  # its results.csv row
    ids: tuple[str, ...] = ()  # the ids of the findings that count
    incomplete: bool = False
    error: str = ""
    not_a_message: bool = False  # a file that is not mail (skipped in directories)


@record
class Done:
    unit: Unit
    entries: tuple[Entry, ...]


class _Range(io.RawIOBase):
    """Bytes `start`..`end` of an open file, read as a stream of their own."""

    def __init__(self, handle: io.BufferedReader, start: int, end: int) -> None:
        super().__init__()
        handle.seek(start)
        self._handle = handle
        self._left = max(0, end - start)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._left <= 0:
            return 0
        want = min(len(buffer), self._left)
        data = self._handle.read(want)
        buffer[: len(data)] = data
        self._left -= len(data)
        return len(data)


def scan_unit(unit: Unit, limits: Limits, config: Config, lang: Lang) -> Done:
    from ..api import ScanError, input_error, open_regular, scan_bytes, scan_path, scan_stream
    from ..catalog import load
    from ..report import json_codec
    from ..text import raw_text
    from .rows import counted_ids, csv_row

    catalog = load()
    seen: list[MessageIndex] = []

    def observe(parsed: ParsedMessage, result: ScanResult) -> None:
        seen.append(index_of(parsed, result))

    def outcomes() -> list[ScanResult | ScanError]:
        if unit.data is not None:  # a message fetched from an IMAP server
            from ..model import Source

            source = Source(path=unit.path)
            return [
                scan_bytes(
                    unit.data,
                    limits=limits,
                    config=config,
                    source=source,
                    observe=observe,
                    passwords=unit.passwords,
                    as_mail=True,
                    extra=unit.findings,
                )
            ]
        if not unit.offsets:
            return list(
                scan_path(
                    Path(unit.path),
                    limits=limits,
                    config=config,
                    observe=observe,
                    passwords=unit.passwords,
                    extra=unit.findings,
                )
            )
        with open_regular(Path(unit.path)) as handle:
            stream = io.BufferedReader(_Range(handle, unit.start, unit.end))  # type: ignore[arg-type]
            return list(
                scan_stream(
                    stream,
                    path=unit.path,
                    limits=limits,
                    config=config,
                    observe=observe,
                    passwords=unit.passwords,
                    first_index=unit.first_index,
                    extra=unit.findings,
                )
            )

    entries: list[Entry] = []
    if unit.data is None and is_remote(unit.path):
        reason = unit.fetch_error or "not fetched from the server"
        return Done(unit=unit, entries=(Entry(index=None, error=reason),))
    try:
        found = outcomes()
    except OSError as exc:
        reason = input_error(unit.path, exc).reason
        return Done(unit=unit, entries=(Entry(index=None, error=reason),))
    facts = iter(seen)
    for outcome in found:
        if isinstance(outcome, ScanError):
            entries.append(
                Entry(
                    index=outcome.source.index,
                    error=outcome.reason,
                    not_a_message=outcome.not_a_message,
                )
            )
            continue
        # What the reports need besides the JSON is taken here, in parallel: the driver
        # then copies text instead of parsing every result again.
        shown = json_codec.to_dict(outcome, catalog, lang)
        entries.append(
            Entry(
                index=outcome.source.index,
                line=raw_text(json.dumps(shown, ensure_ascii=False)),
                facts=next(facts),
                row=csv_row(shown),
                ids=counted_ids(shown),
                incomplete=outcome.verdict.incomplete,
            )
        )
    return Done(unit=unit, entries=tuple(entries))


def scan_batch(
    units: tuple[Unit, ...], limits: Limits, config: Config, lang: Lang
) -> tuple[Done, ...]:
    """Every unit of a batch. A unit whose scan raises (a bug, never hostile input alone)
    becomes an error entry; its neighbours are not lost."""
    done: list[Done] = []
    for unit in units:
        try:
            finished = scan_unit(unit, limits, config, lang)
        except Exception as exc:  # reported per unit; the audit goes on
            reason = f"internal error: {type(exc).__name__}: {exc}"[:300]
            finished = Done(unit=unit, entries=(Entry(index=None, error=reason),))
        if unit.data is not None:  # the body does not travel back to the driver
            finished = Done(unit=replace(unit, data=None), entries=finished.entries)
        done.append(finished)
    return tuple(done)
