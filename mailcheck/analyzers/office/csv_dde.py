"""DDE formulas in CSV files (`=cmd|' /C calc'!A0`): Excel opens a .csv by its name.

CSV is plain text, so it never reaches the oletools worker; this check is a bounded
regular-expression pass over the first characters of the file.
"""

from __future__ import annotations

import re

from .inspection import MAX_ITEMS, clip

# A cell starting a formula, naming a DDE server (before "|") and a topic (before "!").
_DDE_CELL = re.compile(r"""^\s*["']?[=+\-@]+\s*([^|"'!]{1,200})\|\s*'?([^!]{0,500})!""")
_DELIMITERS = re.compile(r"[,;\t]")
_MAX_LINES = 100_000


def looks_like_csv(filename: str, declared_type: str) -> bool:
    name = filename.lower().rstrip(" .")
    return name.endswith((".csv", ".tsv")) or "csv" in declared_type.lower()


def dde_cells(text: str) -> tuple[str, ...]:
    """`server|topic` of every DDE formula cell, at most MAX_ITEMS."""
    found: list[str] = []
    for line in text.splitlines()[:_MAX_LINES]:
        if "|" not in line:
            continue
        for cell in _DELIMITERS.split(line):
            match = _DDE_CELL.match(cell)
            if match:
                found.append(clip(f"{match.group(1).strip()}|{match.group(2).strip()}"))
                if len(found) >= MAX_ITEMS:
                    return tuple(found)
    return tuple(found)
