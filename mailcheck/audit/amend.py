"""What only a folder shows, made part of single results by scanning those messages again.

A password for a locked archive in another message (PPAP), one address under many names, a
familiar name on a new address: these change some messages' verdicts. Those messages go
through the same workers once more, with the passwords found elsewhere and the folder's
findings handed to the scan (`api.scan_bytes(extra=...)`), so that their results are made
by the scanner like every other and the reports only copy them: the audit flows one way,
plan → scans → journal → amendments → reports.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from ..catalog import load
from ..model import Hit
from .folder import Folder, Pairing, findings_of, pairing_hit
from .index import index_from_json
from .jobs import Done, Entry
from .journal import Reader
from .plan import Plan, Unit
from .scratch import in_order

Rescan = Callable[[list[Unit]], list[Done]]


def amendments(
    reader: Reader, database: sqlite3.Connection, plan: Plan, rescan: Rescan
) -> dict[str, Entry]:
    """The new outcome of every message the folder analyses change, by message key."""
    folder = Folder(database)
    locked: dict[str, dict[str, Any]] = {}
    for _, _, offset, _, error in in_order(database):
        if not error:
            item = reader.record(offset)
            facts = index_from_json(item["x"])
            folder.add(facts)
            if facts.locked:
                locked[facts.key] = item
    folder.settle()
    passwords: dict[str, tuple[str, ...]] = {}
    hits: dict[str, list[Hit]] = {}
    pairings = folder.pairings()
    if pairings:  # which passwords found elsewhere open a locked archive: a trial scan
        trials = [_unit_for(locked[p.locked.key], plan, p.passwords) for p in pairings]
        for pairing, done in zip(pairings, rescan(trials), strict=True):
            opened = _opened(pairing, done)
            if opened:
                passwords[pairing.locked.key] = pairing.passwords
                hits.setdefault(pairing.locked.key, []).append(pairing_hit(pairing, opened))
    changed: dict[str, dict[str, Any]] = {}
    for _, _, offset, _, error in in_order(database):
        if error:
            continue
        item = reader.record(offset)
        facts = index_from_json(item["x"])
        found = folder.hits_for(facts)
        if found:
            hits.setdefault(facts.key, []).extend(found)
        if facts.key in hits:
            changed[facts.key] = item
    if not changed:
        return {}
    catalog = load()
    keys = list(changed)
    final = [
        _unit_for(
            changed[key],
            plan,
            passwords.get(key, ()),
            tuple(findings_of(hits[key], catalog)),
        )
        for key in keys
    ]
    out: dict[str, Entry] = {}
    for key, done in zip(keys, rescan(final), strict=True):
        entry = next((e for e in done.entries if e.facts is not None), None)
        if entry is not None:  # else (the file vanished, a stop): the first result stays
            out[key] = entry
    return out


def _unit_for(
    item: dict[str, Any],
    plan: Plan,
    passwords: tuple[str, ...],
    findings: tuple[Any, ...] = (),
) -> Unit:
    """The unit that scans one message of the journal again (an mbox message by its range)."""
    base = plan.base(item["path"])
    assert base is not None  # the index holds only messages of the plan's inputs
    if "at" in item:
        return Unit(
            path=base.path,
            order=base.order,
            stamp=base.stamp,
            offsets=(int(item["at"]),),
            end=int(item["end"]),
            first_index=int(item["i"]),
            passwords=passwords,
            findings=findings,
        )
    return Unit(
        path=base.path, order=base.order, stamp=base.stamp, passwords=passwords, findings=findings
    )


def _opened(pairing: Pairing, done: Done) -> int:
    """How many more locked attachments the passwords opened (0 if none, or no result)."""
    for entry in done.entries:
        if entry.facts is not None:
            return max(0, len(pairing.locked.locked) - len(entry.facts.locked))
    return 0
