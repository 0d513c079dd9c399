"""A result as one row of results.csv: built in the worker next to the scan (so the driver
only copies it), and again by the driver for a result the folder analyses changed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..report.json_codec import guessed_role
from ..text import clean_text

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
    # With `path` (an IMAP message's URL holds its folder and UID), what finds the message
    # in a mail client.
    "message_id",
)
# Spreadsheet programs run a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: str) -> str:
    """A cell a spreadsheet shows as text, never evaluates."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def walk(nodes: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every attachment of a result's JSON form, depth first, body texts left out: the
    message's own text is never listed or counted as a file (see `model.files_of`)."""
    for node in nodes:
        if (node.get("role") or guessed_role(node)) != "body":
            yield node
        yield from walk(node.get("children", []))


def node_name(node: dict[str, Any]) -> str:
    """An attachment's file name; its place in the message when it has none."""
    return str(node.get("filename") or f"[{node.get('path', '')}]")


def sender_of(result: dict[str, Any]) -> tuple[str, str]:
    """(display name, address) of the From header."""
    sender = result["message"].get("from") or {}
    return str(sender.get("name", "")), str(sender.get("address", ""))


def csv_row(result: dict[str, Any]) -> tuple[str, ...]:
    name, addr = sender_of(result)
    source = result["source"]
    nodes = list(walk(result.get("attachments", [])))
    row = (
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
        "; ".join(node_name(node) for node in nodes),
        "; ".join(str(node.get("sha256", "")) for node in nodes),
        str(result["message"].get("message_id", "")),
    )
    return tuple(spreadsheet_cell(clean_text(cell, 2000)) for cell in row)


def counted_ids(result: dict[str, Any]) -> tuple[str, ...]:
    """The ids of the findings that count towards the verdict (for 'most frequent')."""
    return tuple(dict.fromkeys(f["id"] for f in result["findings"] if f["score"] > 0))
