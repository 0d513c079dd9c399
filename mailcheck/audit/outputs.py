"""The audit's files, built from its journal: results.jsonl, results.csv, errors.csv and
report.html, in the order of the inputs whatever order the workers finished in.

The journal is read in passes (which units are complete; where each message's lines are,
into a scratch SQLite index; each message's small facts for the folder analyses; the
results in input order), so memory stays flat whatever the number of messages: what
grows is on disk. A clean result is copied as text; only flagged or amended results are
parsed again. Each file is written under a temporary name and renamed: an interrupted
run leaves the previous complete file or the new one, never half of one.
"""

from __future__ import annotations

import csv
import heapq
import json
import os
import re
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from .. import __version__
from ..catalog import Catalog, Lang
from ..records import record
from ..text import clean_text, defang
from .folder import Folder, Pairing, findings_of, pairing_hit
from .index import index_from_json, message_key, timestamp_of
from .jobs import Done
from .journal import JOURNAL, UnitId, record_unit, records
from .outline import Campaign, Flagged, Outline, Shown
from .plan import Plan, Stamp, Unit
from .rows import CSV_COLUMNS, counted_ids, csv_row, node_name, sender_of, spreadsheet_cell, walk

RESULTS = "results.jsonl"
CSV = "results.csv"
ERRORS = "errors.csv"
HTML = "report.html"
SHOWN = 2000  # flagged messages in report.html and the summary data; all are in the files
_RANK = {"malicious": 2, "suspicious": 1, "clean": 0}
_PLACEHOLDER = re.compile(r"\{[a-z_][a-z0-9_]*\}")
_LANG = re.compile(r'"lang": "([a-z]+)"')

INDEX = ".audit-index.sqlite"  # the build's scratch index, removed when the reports are written


def _stamps(plan: Plan) -> dict[str, Stamp]:
    return {unit.path: unit.stamp for unit in plan.units}


def _index(journal: Path, plan: Plan, done: set[UnitId], database: sqlite3.Connection) -> None:
    """Table `slots`: where the journal holds the latest complete outcome of each message
    of the current inputs (one row per message, on disk: flat memory for any archive)."""
    database.execute(
        "CREATE TABLE slots (ord INTEGER, idx INTEGER, offset INTEGER, length INTEGER,"
        " error INTEGER, PRIMARY KEY (ord, idx)) WITHOUT ROWID"
    )
    stamps = _stamps(plan)
    order = {unit.path: unit.order for unit in plan.units}

    def rows() -> Iterator[tuple[int, int, int, int, bool]]:
        for offset, length, item in records(journal, "xe"):
            unit = record_unit(item)
            if unit is None or unit not in done:
                continue
            path, size, mtime, _ = unit
            stamp = stamps.get(path)
            if stamp is None or (stamp.size, stamp.mtime_ns) != (size, mtime):
                continue  # not an input any more, or changed since: scanned again
            index = item.get("i")
            number = index if isinstance(index, int) else -1
            yield order[path], number, offset, length, item["t"] == "e"

    # A unit finished twice (its batch failed after writing it): the later one counts.
    database.executemany("INSERT OR REPLACE INTO slots VALUES (?, ?, ?, ?, ?)", rows())


def _in_order(database: sqlite3.Connection) -> Iterator[tuple[int, int, int, int, int]]:
    return iter(
        database.execute("SELECT ord, idx, offset, length, error FROM slots ORDER BY ord, idx")
    )


def remaining(plan: Plan, done: set[UnitId]) -> list[Unit]:
    """The units of the plan the journal does not hold (all of them for a new audit)."""
    from .journal import unit_id

    left: list[Unit] = []
    for unit in plan.units:
        if unit_id(unit) in done:
            continue
        if len(unit.offsets) > 1 and all(unit_id(one) in done for one in unit.alone()):
            continue  # finished message by message after its batch failed
        left.append(unit)
    return left


class _Reader:
    def __init__(self, path: Path) -> None:
        self._handle = path.open("rb")

    def line(self, offset: int) -> bytes:
        self._handle.seek(offset)
        return self._handle.readline()

    def close(self) -> None:
        self._handle.close()


def _result_text(line: bytes) -> str:
    """The result JSON inlined at the end of an "m" line (see journal.block)."""
    text = line.decode("utf-8", "surrogateescape")
    start = text.index(', "r": ') + len(', "r": ')
    return text[start:].rstrip("\n")[:-1]


def _unit_for(
    item: dict[str, Any], plan_units: dict[str, Unit], passwords: tuple[str, ...]
) -> Unit:
    base = plan_units[item["path"]]
    if "at" in item:
        return Unit(
            path=base.path,
            order=base.order,
            stamp=base.stamp,
            offsets=(int(item["at"]),),
            end=int(item["end"]),
            first_index=int(item["i"]),
            passwords=passwords,
        )
    return Unit(path=base.path, order=base.order, stamp=base.stamp, passwords=passwords)


@record
class Amendment:
    """What the folder analyses change in one message's result."""

    line: str | None  # a new result (PPAP: scanned again with the other message's passwords)
    hits: tuple[Any, ...]  # folder findings to add (model.Hit)


def _amendments(
    journal: Path,
    database: sqlite3.Connection,
    plan: Plan,
    rescan: Callable[[list[Unit]], list[Done]],
) -> tuple[Folder, dict[str, Amendment]]:
    """The folder, settled, and the results PPAP pairing opened (by message key)."""
    folder = Folder(database)
    where: dict[str, dict[str, Any]] = {}
    reader = _Reader(journal)
    try:
        for _, _, offset, _, error in _in_order(database):
            if error:
                continue
            item = json.loads(reader.line(offset))
            facts = index_from_json(item["x"])
            folder.add(facts)
            if facts.locked:
                where[facts.key] = item
    finally:
        reader.close()
    folder.settle()
    hits: dict[str, list[Any]] = {}
    lines: dict[str, str] = {}
    pairings = folder.pairings()
    if pairings:
        units = {unit.path: unit for unit in plan.units}
        wanted = [_unit_for(where[p.locked.key], units, p.passwords) for p in pairings]
        for pairing, done in zip(pairings, rescan(wanted), strict=True):
            opened = _opened(pairing, done)
            if opened is None:
                continue
            line, count = opened
            lines[pairing.locked.key] = line
            hits.setdefault(pairing.locked.key, []).append(pairing_hit(pairing, count))
    return folder, {
        key: Amendment(line=lines.get(key), hits=tuple(hits.get(key, ())))
        for key in set(hits) | set(lines)
    }


def _opened(pairing: Pairing, done: Done) -> tuple[str, int] | None:
    """The new result and how many locked attachments the passwords opened, if any."""
    for entry in done.entries:
        if entry.facts is not None:
            opened = len(pairing.locked.locked) - len(entry.facts.locked)
            return (entry.line, opened) if opened > 0 else None
    return None


def _amend(
    result: dict[str, Any], hits: Iterable[Any], catalog: Catalog, lang: Lang
) -> dict[str, Any]:
    from ..advice import advise
    from ..records import replace
    from ..report import json_codec
    from ..score import verdict

    scanned = json_codec.from_dict(result)
    findings = (*scanned.findings, *findings_of(hits, catalog))
    judged = verdict(findings, scanned.attachments)
    amended = replace(scanned, findings=findings, verdict=judged, advice=advise(judged))
    return json_codec.to_dict(amended, catalog, lang)


def _flagged(result: dict[str, Any]) -> Flagged:
    name, addr = sender_of(result)
    source = result["source"]
    when = timestamp_of(result["message"].get("date", ""))
    day = ""
    if when is not None:
        try:
            day = datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%d")
        except (OverflowError, OSError, ValueError):
            day = ""
    index = source.get("index")
    shown = tuple(
        Shown(
            id=f["id"],
            severity=f["severity"],
            title=f["title"],
            explanation=f["explanation"],
            advice=f["advice"],
            evidence=tuple(
                (clean_text(e["location"], 200), defang(clean_text(e["excerpt"], 300)))
                for e in f["evidence"][:5]
            ),
        )
        for f in result["findings"]
        if f["score"] > 0 or f["severity"] != "info"
    )
    return Flagged(
        key=message_key(str(source.get("path", "")), index),
        path=str(source.get("path", "")),
        index=index,
        date=result["message"].get("date", ""),
        day=day,
        from_name=name,
        from_addr=addr,
        subject=result["message"].get("subject", ""),
        verdict=result["verdict"],
        score=int(result["score"]),
        incomplete=bool(result["incomplete"]),
        reasons=tuple(result["reasons"]),
        attachments=tuple(node_name(n) for n in walk(result.get("attachments", []))),
        findings=shown,
    )


class _Atomic:
    """A file written under a temporary name and renamed into place when complete."""

    def __init__(self, path: Path, *, encoding: str = "utf-8", newline: str | None = None) -> None:
        self.path = path
        self.temporary = path.with_name(f".{path.name}.partial")
        self.handle: IO[str] = self.temporary.open(
            "w", encoding=encoding, errors="surrogateescape", newline=newline
        )

    def commit(self) -> None:
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()
        os.replace(self.temporary, self.path)

    def discard(self) -> None:
        self.handle.close()
        self.temporary.unlink(missing_ok=True)


@record
class Built:
    outline: Outline
    worst: str  # the worst verdict ("" when no message was scanned)
    errors: int


def build(
    directory: Path,
    plan: Plan,
    done: set[UnitId],
    *,
    lang: Lang,
    rescan: Callable[[list[Unit]], list[Done]],
    interrupted: bool,
    seconds: float,
    inputs: tuple[str, ...],
) -> Built:
    """Write every report from the journal; what the summary and report.html show."""
    scratch = directory / INDEX
    scratch.unlink(missing_ok=True)
    database = sqlite3.connect(scratch)
    try:
        # A scratch file rebuilt on every run: no need to survive a crash.
        database.execute("PRAGMA journal_mode = OFF")
        database.execute("PRAGMA synchronous = OFF")
        _index(directory / JOURNAL, plan, done, database)
        return _build(directory, plan, database, lang, rescan, interrupted, seconds, inputs)
    finally:
        database.close()
        scratch.unlink(missing_ok=True)


class _Tally:
    """What the reports count while the results stream past."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.findings: Counter[str] = Counter()
        self.incomplete = 0
        self.not_mail = 0
        self.errors: list[tuple[str, str]] = []
        self.worst: list[tuple[int, int, int, Flagged]] = []  # a heap of the worst SHOWN
        self.flagged = 0
        self.by_hash: dict[str, list[str]] = {}
        self.by_domain: dict[str, list[str]] = {}

    def flag(self, result: dict[str, Any], position: int) -> None:
        self.flagged += 1
        item = _flagged(result)
        entry = (_RANK[item.verdict], item.score, -position, item)
        if len(self.worst) < SHOWN:
            heapq.heappush(self.worst, entry)
        else:
            heapq.heappushpop(self.worst, entry)
        for node in walk(result.get("attachments", [])):
            if node.get("sha256"):
                self.by_hash.setdefault(node["sha256"], []).append(item.key)
        if item.from_addr:
            domain = item.from_addr.rpartition("@")[2].lower()
            self.by_domain.setdefault(domain, []).append(item.key)

    def campaigns(self) -> tuple[Campaign, ...]:
        found = [
            Campaign(kind=kind, value=value, keys=tuple(dict.fromkeys(keys)))
            for kind, table in (("sha256", self.by_hash), ("domain", self.by_domain))
            for value, keys in table.items()
            if len(set(keys)) > 1
        ]
        return tuple(found)


def _build(
    directory: Path,
    plan: Plan,
    database: sqlite3.Connection,
    lang: Lang,
    rescan: Callable[[list[Unit]], list[Done]],
    interrupted: bool,
    seconds: float,
    inputs: tuple[str, ...],
) -> Built:
    from ..catalog import load

    catalog = load()
    journal = directory / JOURNAL
    folder, amendments = _amendments(journal, database, plan, rescan)
    paths = {unit.order: unit.path for unit in plan.units}
    tally = _Tally()
    tally.errors.extend((e.source.path, e.reason) for e in plan.errors)
    results = _Atomic(directory / RESULTS)
    table = _Atomic(directory / CSV, encoding="utf-8-sig", newline="")
    failures = _Atomic(directory / ERRORS, encoding="utf-8-sig", newline="")
    reader = _Reader(journal)
    try:
        writer = csv.writer(table.handle)
        writer.writerow(CSV_COLUMNS)
        error_writer = csv.writer(failures.handle)
        error_writer.writerow(("path", "index", "reason"))
        for unreadable in plan.errors:
            path, reason = unreadable.source.path, unreadable.reason
            error_writer.writerow((spreadsheet_cell(clean_text(path)), "", clean_text(reason)))
        for position, (order, number, offset, length, error) in enumerate(_in_order(database)):
            first = json.loads(reader.line(offset))
            if error:
                if first.get("nam"):
                    tally.not_mail += 1
                    continue
                path, reason = paths[order], str(first["reason"])
                index = "" if number < 0 else str(number)
                tally.errors.append((message_key(path, None if number < 0 else number), reason))
                error_writer.writerow(
                    (spreadsheet_cell(clean_text(path)), index, clean_text(reason))
                )
                continue
            facts = index_from_json(first["x"])
            amendment = amendments.get(facts.key)
            hits = [*(amendment.hits if amendment else ()), *folder.hits_for(facts)]
            text = amendment.line if amendment and amendment.line else None
            if text is None:
                text = _result_text(reader.line(offset + length))
            result: dict[str, Any] | None = None
            if hits or _lang_of(text) != lang:
                result = _amend(json.loads(text), hits, catalog, lang)
                text = json.dumps(result, ensure_ascii=False)
            results.handle.write(text + "\n")
            if result is None and facts.verdict != "clean":
                result = json.loads(text)  # a flagged message: the report shows it whole
            if result is not None:
                writer.writerow(csv_row(result))
                label, ids, incomplete = (
                    result["verdict"],
                    counted_ids(result),
                    result["incomplete"],
                )
            else:
                writer.writerow(first["row"])
                label, ids, incomplete = facts.verdict, first["ids"], first["inc"]
            tally.counts[label] += 1
            tally.incomplete += bool(incomplete)
            tally.findings.update(ids)
            if label != "clean" and result is not None:
                tally.flag(result, position)
        results.commit()
        table.commit()
        failures.commit()
    except BaseException:
        for file in (results, table, failures):
            file.discard()
        raise
    finally:
        reader.close()
    return _finish(directory, tally, lang, interrupted, seconds, inputs)


def _lang_of(text: str) -> str:
    """The report language of a result's JSON text, read from its head (see to_dict)."""
    found = _LANG.search(text, 0, 200)
    return found.group(1) if found else ""


def _finish(
    directory: Path,
    tally: _Tally,
    lang: Lang,
    interrupted: bool,
    seconds: float,
    inputs: tuple[str, ...],
) -> Built:
    from ..advice import LINKS
    from ..catalog import load

    catalog = load()
    flagged = tuple(item for *_, item in sorted(tally.worst, key=lambda e: e[:3], reverse=True))
    counts = tally.counts
    outline = Outline(
        lang=lang,
        tool_version=__version__,
        generated=datetime.now().astimezone().isoformat(timespec="seconds"),
        inputs=inputs,
        counts=tuple((label, counts[label]) for label in ("malicious", "suspicious", "clean")),
        errors=tuple(tally.errors),
        not_mail=tally.not_mail,
        incomplete=tally.incomplete,
        top_findings=tuple(
            (fid, _PLACEHOLDER.sub("…", catalog.entry(fid).texts[lang].title), count)
            for fid, count in tally.findings.most_common(15)
        ),
        flagged=flagged,
        flagged_total=tally.flagged,
        campaigns=tally.campaigns(),
        links=tuple((catalog.word(link.title_key, lang), link.url) for link in LINKS),
        interrupted=interrupted,
        seconds=seconds,
    )
    _write_html(directory, outline)
    worst = next((label for label in ("malicious", "suspicious", "clean") if counts[label]), "")
    return Built(outline=outline, worst=worst, errors=len(tally.errors))


def _write_html(directory: Path, outline: Outline) -> None:
    from .html import render_html

    page = _Atomic(directory / HTML)
    try:
        page.handle.write(render_html(outline))
        page.commit()
    except BaseException:
        page.discard()
        raise
