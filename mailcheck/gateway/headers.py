"""The X-Mailcheck-* headers a gateway adds, and removing the ones a sender wrote.

Header values are built only from mailcheck's own vocabulary (verdict labels, scores, finding
ids, the version): never from message text, so nothing a sender writes can break a header
line (CR/LF injection) or reach the next hop through these headers.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence

from .. import __version__
from ..model import Verdict

PREFIX = "x-mailcheck-"
VERDICT = "X-Mailcheck-Verdict"
SCORE = "X-Mailcheck-Score"
REASONS = "X-Mailcheck-Reasons"
VERSION = "X-Mailcheck-Version"
_ID = re.compile(r"[a-z0-9][a-z0-9._]*")
_MAX_REASONS = 900  # characters: a header line stays well under RFC 5322's 998
_FIELD = re.compile(rb"([!-9;-~]+)[ \t]*:")
_EOL = re.compile(rb"\r\n|\n")
_ENVELOPE = b"From "  # the mbox separator line; a header field name never holds a space


def _ids(reasons: Sequence[str]) -> str:
    kept: list[str] = []
    size = 0
    for reason in reasons:
        if not _ID.fullmatch(reason):  # our own ids only; anything else is a bug, not text
            continue
        if size + len(reason) + 1 > _MAX_REASONS:
            kept.append("...")
            break
        kept.append(reason)
        size += len(reason) + 1
    return " ".join(kept) or "none"


def result_headers(verdict: Verdict) -> list[tuple[str, str]]:
    """The headers for a scanned message, in the order they are added."""
    label = verdict.label + ("; incomplete" if verdict.incomplete else "")
    return [
        (VERDICT, label),
        (SCORE, str(int(verdict.score))),
        (REASONS, _ids(verdict.reasons)),
        (VERSION, __version__),
    ]


def failure_headers(reason: str) -> list[tuple[str, str]]:
    """Headers for a message that passed although its scan failed (`failed = "accept"`)."""
    return [(VERDICT, "failed"), (REASONS, _ids([reason])), (VERSION, __version__)]


def is_ours(name: str) -> bool:
    return name.strip().lower().startswith(PREFIX)


def subject_with_prefix(subject: str, prefix: str) -> str:
    """The Subject value with `prefix` in front; a non-ASCII prefix (`[要注意]`) is written
    as an RFC 2047 encoded word, and line breaks in the old value are dropped."""
    if not prefix:
        return subject
    if prefix.isascii():
        tag = prefix
    else:
        tag = "=?UTF-8?B?" + base64.b64encode(prefix.encode("utf-8")).decode("ascii") + "?="
    old = subject.replace("\r", "").replace("\n", "")
    if old.startswith(tag):
        return old  # tagged once is enough (a message that passes two gateways)
    return f"{tag} {old.lstrip()}" if old.strip() else tag


def rewrite_header_block(data: bytes, added: Sequence[tuple[str, str]]) -> tuple[bytes, int]:
    """`data` with `added` headers in front and every incoming X-Mailcheck-* field (with its
    continuation lines) removed; everything else byte for byte as it was. Also returns how
    many fields were removed. The message's own line ending is used for the new lines.

    A leading mbox `From ` envelope line (what Postfix pipe(8) with flags=F, procmail and
    maildrop hand a filter) stays the first line and the headers go after it: above it, it
    would end up inside the header block and the mailbox would lose where the message starts."""
    first = _EOL.search(data)
    newline = first.group() if first else b"\r\n"
    if data.startswith(_ENVELOPE) and first is not None:
        rest, removed = _rewrite(data[first.end() :], added, newline)
        return data[: first.end()] + rest, removed
    return _rewrite(data, added, newline)


def _rewrite(data: bytes, added: Sequence[tuple[str, str]], newline: bytes) -> tuple[bytes, int]:
    out = [f"{name}: {value}".encode("ascii") + newline for name, value in added]
    removed = 0
    at = 0
    dropping = False
    for line_end in _EOL.finditer(data):
        line = data[at : line_end.start()]
        if not line:  # the blank line: the body follows untouched
            break
        if line[:1] in (b" ", b"\t"):
            if not dropping:
                out.append(data[at : line_end.end()])
        else:
            field = _FIELD.match(line)
            dropping = bool(field and is_ours(field.group(1).decode("ascii", "replace")))
            removed += dropping
            if not dropping:
                out.append(data[at : line_end.end()])
        at = line_end.end()
    else:  # no line ending after the last header: a message with no body at all
        tail = data[at:]
        field = _FIELD.match(tail)
        if tail and not (field and is_ours(field.group(1).decode("ascii", "replace"))):
            out.append(tail)
        elif tail:
            removed += 1
        return b"".join(out), removed
    out.append(data[at:])
    return b"".join(out), removed
