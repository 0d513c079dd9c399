"""The audit's files, built from its journal: results.jsonl, results.csv, errors.csv and
report.html, in the order of the inputs whatever order the workers finished in.

The journal is read three times (which units are complete; where each message's lines
are; the messages in order), so memory grows with the number of messages only by a small
tuple each, not by their results. Each file is written under a temporary name and
renamed: an interrupted run leaves the previous complete file or the new one, never half.
"""

from __future__ import annotations

import csv
import heapq
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from .. import __version__
from ..catalog import Catalog, Lang
from ..records import record
from ..report.sanitize import clean_text, defang
from .folder import Folder, Pairing, findings_of, pairing_hit
from .index import index_from_json, message_key, timestamp_of
from .jobs import Done
from .journal import JOURNAL, UnitId, record_unit, records
from .outline import Campaign, Flagged, Outline, Shown
from .plan import Plan, Stamp, Unit

RESULTS = "results.jsonl"
CSV = "results.csv"
ERRORS = "errors.csv"
HTML = "report.html"
SHOWN = 2000  # flagged messages in report.html and the summary data; all are in the files
_RANK = {"malicious": 2, "suspicious": 1, "clean": 0}
CSV_COLUMNS = (
    "path",
    "index",
    "date",
    "from_name",
    "from_address",
    "subject",
    "verdict",
    "score",
    "incomplete",
    "reasons",
    "attachments",
    "sha256",
)
# Spreadsheet programs run a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_PLACEHOLDER = re.compile(r"\{[a-z_][a-z0-9_]*\}")

MessageKey = tuple[str, int]  # path, mbox index (-1 outside an mbox)


@record
class Slot:
    """Where the journal holds one message's outcome."""

    order: int
    offset: int  # of its "x" line (or "e" line); the "m" line follows the "x" line
    length: int
    error: bool


def spreadsheet_cell(value: str) -> str:
    """A cell a spreadsheet shows as text, never evaluates."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _stamps(plan: Plan) -> dict[str, Stamp]:
    return {unit.path: unit.stamp for unit in plan.units}


def _slots(journal: Path, plan: Plan, done: set[UnitId]) -> dict[MessageKey, Slot]:
    """The latest complete outcome of every message of the current inputs."""
    stamps = _stamps(plan)
    order = {unit.path: unit.order for unit in plan.units}
    slots: dict[MessageKey, Slot] = {}
    for offset, length, item in records(journal, "xe"):
        unit = record_unit(item)
        if unit is None or unit not in done:
            continue
        path, size, mtime, _ = unit
        stamp = stamps.get(path)
        if stamp is None or (stamp.size, stamp.mtime_ns) != (size, mtime):
            continue  # not an input any more, or changed since: scanned again
        index = item.get("i")
        key = (path, index if isinstance(index, int) else -1)
        slots[key] = Slot(order=order[path], offset=offset, length=length, error=item["t"] == "e")
    return slots


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
    slots: dict[MessageKey, Slot],
    ordered: list[MessageKey],
    plan: Plan,
    rescan: Callable[[list[Unit]], list[Done]],
) -> tuple[Folder, dict[MessageKey, Amendment]]:
    """The folder, settled, and the results PPAP pairing opened."""
    folder = Folder()
    keys: dict[str, MessageKey] = {}
    where: dict[str, dict[str, Any]] = {}
    reader = _Reader(journal)
    try:
        for key in ordered:
            slot = slots[key]
            if slot.error:
                continue
            item = json.loads(reader.line(slot.offset))
            facts = index_from_json(item["x"])
            folder.add(facts)
            if facts.locked:
                keys[facts.key] = key
                where[facts.key] = item
    finally:
        reader.close()
    folder.settle()
    hits: dict[MessageKey, list[Any]] = {}
    lines: dict[MessageKey, str] = {}
    pairings = folder.pairings()
    if pairings:
        units = {unit.path: unit for unit in plan.units}
        wanted = [_unit_for(where[p.locked.key], units, p.passwords) for p in pairings]
        for pairing, done in zip(pairings, rescan(wanted), strict=True):
            opened = _opened(pairing, done)
            if opened is None:
                continue
            line, count = opened
            key = keys[pairing.locked.key]
            lines[key] = line
            hits.setdefault(key, []).append(pairing_hit(pairing, count))
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


def _walk(nodes: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for node in nodes:
        yield node
        yield from _walk(node.get("children", []))


def _node_name(node: dict[str, Any]) -> str:
    """An attachment's file name; its place in the message when it has none."""
    return str(node.get("filename") or f"[{node.get('path', '')}]")


def _address(result: dict[str, Any]) -> tuple[str, str]:
    sender = result["message"].get("from") or {}
    return str(sender.get("name", "")), str(sender.get("address", ""))


def csv_row(result: dict[str, Any]) -> list[str]:
    name, addr = _address(result)
    source = result["source"]
    nodes = list(_walk(result.get("attachments", [])))
    row = [
        source.get("path", ""),
        "" if source.get("index") is None else str(source["index"]),
        result["message"].get("date", ""),
        name,
        addr,
        result["message"].get("subject", ""),
        result["verdict"],
        str(result["score"]),
        "yes" if result["incomplete"] else "no",
        " ".join(result["reasons"]),
        "; ".join(_node_name(node) for node in nodes),
        "; ".join(str(node.get("sha256", "")) for node in nodes),
    ]
    return [spreadsheet_cell(clean_text(cell, 2000)) for cell in row]


def _flagged(result: dict[str, Any]) -> Flagged:
    name, addr = _address(result)
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
        attachments=tuple(_node_name(n) for n in _walk(result.get("attachments", []))),
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
    from ..catalog import load

    catalog = load()
    journal = directory / JOURNAL
    slots = _slots(journal, plan, done)
    ordered = sorted(slots, key=lambda key: (slots[key].order, key[1]))
    folder, amendments = _amendments(journal, slots, ordered, plan, rescan)

    counts: Counter[str] = Counter()
    finding_counts: Counter[str] = Counter()
    incomplete = 0
    not_mail = 0
    errors: list[tuple[str, str]] = [(e.source.path, e.reason) for e in plan.errors]
    worst: list[tuple[int, int, int, Flagged]] = []  # a heap of the worst SHOWN
    flagged_total = 0
    by_hash: dict[str, list[str]] = {}
    by_domain: dict[str, list[str]] = {}
    results = _Atomic(directory / RESULTS)
    table = _Atomic(directory / CSV, encoding="utf-8-sig", newline="")
    failures = _Atomic(directory / ERRORS, encoding="utf-8-sig", newline="")
    reader = _Reader(journal)
    try:
        writer = csv.writer(table.handle)
        writer.writerow(CSV_COLUMNS)
        error_writer = csv.writer(failures.handle)
        error_writer.writerow(("path", "index", "reason"))
        for error in plan.errors:
            error_writer.writerow(
                (spreadsheet_cell(clean_text(error.source.path)), "", clean_text(error.reason))
            )
        for position, key in enumerate(ordered):
            slot = slots[key]
            first = json.loads(reader.line(slot.offset))
            if slot.error:
                if first.get("nam"):
                    not_mail += 1
                    continue
                index = "" if key[1] < 0 else str(key[1])
                errors.append((key[0] + (f"#{index}" if index else ""), str(first["reason"])))
                error_writer.writerow(
                    (spreadsheet_cell(clean_text(key[0])), index, clean_text(str(first["reason"])))
                )
                continue
            amendment = amendments.get(key)
            text = amendment.line if amendment and amendment.line else None
            if text is None:
                text = _result_text(reader.line(slot.offset + slot.length))
            result = json.loads(text)
            hits = [
                *(amendment.hits if amendment else ()),
                *folder.hits_for(index_from_json(first["x"])),
            ]
            if hits or result.get("lang") != lang:
                result = _amend(result, hits, catalog, lang)
                text = json.dumps(result, ensure_ascii=False)
            results.handle.write(text + "\n")
            writer.writerow(csv_row(result))
            label = result["verdict"]
            counts[label] += 1
            incomplete += bool(result["incomplete"])
            finding_counts.update({f["id"] for f in result["findings"] if f["score"] > 0})
            if label == "clean":
                continue
            flagged_total += 1
            item = _flagged(result)
            entry = (_RANK[label], item.score, -position, item)
            if len(worst) < SHOWN:
                heapq.heappush(worst, entry)
            else:
                heapq.heappushpop(worst, entry)
            for node in _walk(result.get("attachments", [])):
                if node.get("sha256"):
                    by_hash.setdefault(node["sha256"], []).append(item.key)
            if item.from_addr:
                by_domain.setdefault(item.from_addr.rpartition("@")[2].lower(), []).append(item.key)
        results.commit()
        table.commit()
        failures.commit()
    except BaseException:
        for file in (results, table, failures):
            file.discard()
        raise
    finally:
        reader.close()

    flagged = tuple(item for *_, item in sorted(worst, key=lambda e: e[:3], reverse=True))
    campaigns = tuple(
        [
            Campaign(kind="sha256", value=value, keys=tuple(dict.fromkeys(keys)))
            for value, keys in by_hash.items()
            if len(set(keys)) > 1
        ]
        + [
            Campaign(kind="domain", value=value, keys=tuple(dict.fromkeys(keys)))
            for value, keys in by_domain.items()
            if len(set(keys)) > 1
        ]
    )
    from ..advice import LINKS

    outline = Outline(
        lang=lang,
        tool_version=__version__,
        generated=datetime.now().astimezone().isoformat(timespec="seconds"),
        inputs=inputs,
        counts=tuple((label, counts[label]) for label in ("malicious", "suspicious", "clean")),
        errors=tuple(errors),
        not_mail=not_mail,
        incomplete=incomplete,
        top_findings=tuple(
            (fid, _PLACEHOLDER.sub("…", catalog.entry(fid).texts[lang].title), count)
            for fid, count in finding_counts.most_common(15)
        ),
        flagged=flagged,
        flagged_total=flagged_total,
        campaigns=campaigns,
        links=tuple((catalog.word(link.title_key, lang), link.url) for link in LINKS),
        interrupted=interrupted,
        seconds=seconds,
    )
    _write_html(directory, outline)
    worst_label = next(
        (label for label in ("malicious", "suspicious", "clean") if counts[label]), ""
    )
    return Built(outline=outline, worst=worst_label, errors=len(errors))


def _write_html(directory: Path, outline: Outline) -> None:
    from .html import render_html

    page = _Atomic(directory / HTML)
    try:
        page.handle.write(render_html(outline))
        page.commit()
    except BaseException:
        page.discard()
        raise
