"""The audit's files, built from its journal: results.jsonl, results.csv, errors.csv and
report.html, in the order of the inputs whatever order the workers finished in.

The journal is read through its scratch index (scratch.py) in input order, so memory stays
flat whatever the number of messages: what grows is on disk. A message the folder analyses
changed (amend.py) takes its amended outcome; every result is copied as text, and only
flagged ones are parsed (the report shows them). Each file is written under a temporary
name and renamed: an interrupted run leaves the previous complete file or the new one,
never half of one.
"""

from __future__ import annotations

import csv
import gzip
import heapq
import io
import json
import os
import re
import sqlite3
from collections import Counter
from collections.abc import Collection, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import __version__
from ..catalog import Catalog, Lang
from ..model import severity_rank
from ..records import record
from ..text import clean_text, defang
from .index import MessageIndex, index_from_json, message_key, timestamp_of
from .iocs import IOC_FILES, Collector, Indicator, encoding_of, file_text
from .jobs import Entry
from .journal import JOURNAL, Reader, UnitId
from .outline import Campaign, Flagged, Folder, Outline, Shown
from .plan import Plan, Unit
from .rows import CSV_COLUMNS, counted_ids, csv_row, node_name, sender_of, spreadsheet_cell, walk
from .scratch import in_order

RESULTS = "results.jsonl"
RESULTS_GZ = "results.jsonl.gz"  # --compress
COMPACT = "compact"  # the "record" of a clean message's short line (see `compact_line`)
CSV = "results.csv"
ERRORS = "errors.csv"
HTML = "report.html"
SHOWN = 2000  # flagged messages in report.html and the summary data; all are in the files
_RANK = {"malicious": 2, "suspicious": 1, "clean": 0}
_LANG = re.compile(r'"lang": "([a-z]+)"')


def remaining(plan: Plan, done: Collection[UnitId]) -> Iterator[Unit]:
    """The units of the plan the journal does not hold (all of them for a new audit), as
    the plan streams them."""
    from .journal import unit_id

    if not done:
        yield from plan.units()
        return
    for unit in plan.units():
        if unit_id(unit) in done:
            continue
        if len(unit.offsets) > 1 and all(unit_id(one) in done for one in unit.alone()):
            continue  # finished message by message after its batch failed
        yield unit


def _strongest_first(finding: dict[str, Any]) -> tuple[int, int]:
    """The order of the terminal report: by severity, then score (a stable sort keeps the
    scan's order among equals)."""
    return -severity_rank(finding["severity"]), -int(finding["score"])


def _flagged(result: dict[str, Any], catalog: Catalog, lang: Lang) -> Flagged:
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
                (
                    clean_text(catalog.place(str(e["location"]), lang), 200),
                    defang(clean_text(e["excerpt"], 300)),
                )
                for e in f["evidence"][:5]
            ),
        )
        for f in sorted(result["findings"], key=_strongest_first)
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

    def __init__(
        self,
        path: Path,
        *,
        encoding: str = "utf-8",
        newline: str | None = None,
        compress: bool = False,
    ) -> None:
        self.path = path
        self.temporary = path.with_name(f".{path.name}.partial")
        self._raw = self.temporary.open("wb")
        self._zip: gzip.GzipFile | None = None
        if compress:
            # Level 3: most of level 9's gain for a fraction of its time.
            self._zip = gzip.GzipFile(fileobj=self._raw, mode="wb", compresslevel=3, mtime=0)
        self.handle = io.TextIOWrapper(
            self._zip or self._raw, encoding=encoding, errors="surrogateescape", newline=newline
        )

    def commit(self) -> None:
        self.handle.flush()
        self.handle.detach()
        if self._zip is not None:
            self._zip.close()  # writes the gzip trailer; leaves the file open
        self._raw.flush()
        os.fsync(self._raw.fileno())
        self._raw.close()
        os.replace(self.temporary, self.path)

    def discard(self) -> None:
        self._raw.close()
        self.temporary.unlink(missing_ok=True)


@record
class Built:
    outline: Outline
    worst: str  # the worst verdict ("" when no message was scanned)
    errors: int
    fresh: int = 0  # messages this run scanned
    before: int = 0  # messages an earlier run of a resumed audit scanned


def build(
    directory: Path,
    plan: Plan,
    database: sqlite3.Connection,
    amendments: dict[str, Entry],
    *,
    lang: Lang,
    interrupted: bool,
    seconds: float,
    inputs: tuple[str, ...],
    internal_domains: tuple[str, ...] = (),
    full: bool = False,
    compress: bool = False,
) -> Built:
    """Write every report from the journal (through its scratch index) and the amended
    outcomes; what the summary and report.html show. `internal_domains` (the
    organisation's own) are never listed as indicators to block. A clean message is one
    short line of results.jsonl unless `full`; `compress` writes results.jsonl.gz."""
    from ..catalog import load

    catalog = load()
    tally = _Tally(catalog, lang, Collector(internal_domains))
    tally.errors.extend((e.source.path, e.reason) for e in plan.errors)
    name, stale = (RESULTS_GZ, RESULTS) if compress else (RESULTS, RESULTS_GZ)
    results = _Atomic(directory / name, compress=compress)
    table = _Atomic(directory / CSV, encoding="utf-8-sig", newline="")
    failures = _Atomic(directory / ERRORS, encoding="utf-8-sig", newline="")
    reader = Reader(directory / JOURNAL)
    try:
        writer = csv.writer(table.handle)
        writer.writerow(CSV_COLUMNS)
        error_writer = csv.writer(failures.handle)
        error_writer.writerow(("path", "index", "reason"))
        for unreadable in plan.errors:
            path, reason = unreadable.source.path, unreadable.reason
            error_writer.writerow((spreadsheet_cell(clean_text(path)), "", clean_text(reason)))
        for position, (order, number, offset, length, error) in enumerate(in_order(database)):
            first = reader.record(offset)
            if error:
                if first.get("nam"):
                    tally.not_mail += 1
                    continue
                path, reason = plan.inputs.path_of(order), str(first["reason"])
                index = "" if number < 0 else str(number)
                tally.errors.append((message_key(path, None if number < 0 else number), reason))
                error_writer.writerow(
                    (spreadsheet_cell(clean_text(path)), index, clean_text(reason))
                )
                continue
            facts = index_from_json(first["x"])
            amended = amendments.get(facts.key)
            text: str | None
            if amended is not None and amended.facts is not None:
                text, row, ids = amended.line, list(amended.row), list(amended.ids)
                facts, incomplete = amended.facts, amended.incomplete
            else:
                row, ids, incomplete = first["row"], first["ids"], first["inc"]
                # Read only when written whole; absent after the journal was compacted.
                text = reader.result(offset + length) if full or facts.verdict != "clean" else None
            label = facts.verdict
            result: dict[str, Any] | None = None
            if text is None or (label == "clean" and not full):
                text = compact_line(facts, ids)
            elif _lang_of(text) != lang:  # resumed in another language: rendered again
                result = _rendered(text, catalog, lang)
                text = json.dumps(result, ensure_ascii=False)
            results.handle.write(text + "\n")
            if result is None and label != "clean":
                result = json.loads(text)  # a flagged message: the report shows it whole
            if result is not None:
                row, ids = list(csv_row(result)), list(counted_ids(result))
                label, incomplete = result["verdict"], result["incomplete"]
            writer.writerow(row)
            tally.counts[label] += 1
            tally.incomplete += bool(incomplete)
            tally.findings.update(ids)
            if label != "clean" and result is not None:
                tally.flag(result, position)
        results.commit()
        (directory / stale).unlink(missing_ok=True)
        table.commit()
        failures.commit()
    except BaseException:
        for file in (results, table, failures):
            file.discard()
        raise
    finally:
        reader.close()
    return _finish(directory, tally, lang, interrupted, seconds, inputs)


def compact_line(facts: MessageIndex, ids: list[str]) -> str:
    """The short results.jsonl line of a clean message: where it is, which message, its
    verdict and the ids of the findings that scored (the CSV holds sender and subject)."""
    record = {
        "record": COMPACT,
        "source": {"path": facts.path, "index": facts.index},
        "message_id": facts.message_id,
        "verdict": facts.verdict,
        "score": facts.score,
        "finding_ids": ids,
    }
    return json.dumps(record, ensure_ascii=False)


def _rendered(text: str, catalog: Catalog, lang: Lang) -> dict[str, Any]:
    """A saved result in another language (its texts come from the catalog)."""
    from ..report import json_codec

    return json_codec.to_dict(json_codec.from_dict(json.loads(text)), catalog, lang)


class _Tally:
    """What the reports count while the results stream past."""

    def __init__(self, catalog: Catalog, lang: Lang, iocs: Collector) -> None:
        self.catalog, self.lang = catalog, lang
        self.iocs = iocs
        self.counts: Counter[str] = Counter()
        self.findings: Counter[str] = Counter()
        self.incomplete = 0
        self.not_mail = 0
        self.errors: list[tuple[str, str]] = []
        self.worst: list[tuple[int, int, int, Flagged]] = []  # a heap of the worst SHOWN
        self.flagged = 0
        self.days: dict[str, list[int]] = {}  # every flagged message, for the timeline
        self.folders: dict[Folder, list[int]] = {}  # and for the report's folder groups
        self.by_hash: dict[str, list[str]] = {}
        self.by_domain: dict[str, list[str]] = {}

    def flag(self, result: dict[str, Any], position: int) -> None:
        self.flagged += 1
        self.iocs.add(result)
        item = _flagged(result, self.catalog, self.lang)
        column = 0 if item.verdict == "malicious" else 1
        self.days.setdefault(item.day, [0, 0])[column] += 1
        self.folders.setdefault(item.folder, [0, 0])[column] += 1
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
    indicators = tally.iocs.indicators()
    _write_iocs(directory, indicators)
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
            (fid, catalog.title_without_facts(fid, lang), count)
            for fid, count in tally.findings.most_common(15)
        ),
        flagged=flagged,
        flagged_total=tally.flagged,
        campaigns=tally.campaigns(),
        indicators=indicators,
        links=tuple((catalog.word(link.title_key, lang), link.url) for link in LINKS),
        interrupted=interrupted,
        seconds=seconds,
        days=tuple((day, m, s) for day, (m, s) in tally.days.items()),
        folders=tuple((folder, m, s) for folder, (m, s) in tally.folders.items()),
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


def _write_iocs(directory: Path, indicators: tuple[Indicator, ...]) -> None:
    """iocs.csv, iocs.json, iocs.stix.json and the plain lists, each complete or absent."""
    files = [
        _Atomic(directory / name, encoding=encoding_of(name), newline="") for name in IOC_FILES
    ]
    try:
        for name, file in zip(IOC_FILES, files, strict=True):
            file.handle.write(file_text(name, indicators, __version__))
        for file in files:
            file.commit()
    except BaseException:
        for file in files:
            file.discard()
        raise
