"""Parse stage: bytes of any supported format to `ParsedMessage`."""

from __future__ import annotations

import re

from ..limits import Budget
from ..sniff import OLE_MAGIC
from .eml import parse_eml
from .mbox import looks_like_mbox
from .msg import looks_like_msg, parse_msg
from .types import ParsedMessage

__all__ = ["NotAMessageError", "detect_format", "parse_message"]

# Field names a real message almost always carries near its top.
_KNOWN = (
    b"from",
    b"to",
    b"subject",
    b"date",
    b"received",
    b"return-path",
    b"message-id",
    b"mime-version",
    b"delivered-to",
    b"sender",
    b"reply-to",
    b"content-type",
    b"x-mailer",
    b"x-received",
    b"arc-seal",
    b"dkim-signature",
    b"authentication-results",
    b"in-reply-to",
    b"references",
    b"cc",
    b"x-original-to",
    b"envelope-to",
)
_FIELD = re.compile(rb"^([!-9;-~]{1,76})[ \t]*:")
_MAX_LINES = 200
_LONG_BLOCK = 50  # field lines with no end in sight


class NotAMessageError(ValueError):
    """The input is not a mail message in any supported format."""


def _looks_like_headers(head: bytes) -> bool:
    names: set[bytes] = set()
    lines = head.lstrip(b"\r\n").splitlines()[:_MAX_LINES]
    if not lines or not _FIELD.match(lines[0]):
        return False
    for number, line in enumerate(lines):
        if not line.strip():
            break
        if line[:1] in (b" ", b"\t"):
            continue
        match = _FIELD.match(line)
        if match is None:
            # The last line of a cut-off head may be half a field.
            return number == len(lines) - 1 and len(lines) >= _LONG_BLOCK
        names.add(match.group(1).lower())
    else:
        # The block goes on past what was read: a long run of fields is a header block
        # (padding before From is a trick, not a reason to skip the message).
        if len(lines) >= _LONG_BLOCK:
            return True
    return any(name in names for name in _KNOWN)


def detect_format(head: bytes) -> str | None:
    """'msg', 'mbox', 'eml' or None, judged from the first bytes (64 KiB is plenty)."""
    if head.startswith(OLE_MAGIC):
        return "msg"  # confirmed by parse_message, which sees all the bytes
    if looks_like_mbox(head):
        return "mbox"
    if _looks_like_headers(head):
        return "eml"
    return None


def parse_message(data: bytes, budget: Budget, location: str = "") -> ParsedMessage:
    """One message (eml or msg) from bytes; raises NotAMessageError for anything else."""
    kind = detect_format(data[:65536])
    if kind == "msg":
        if not looks_like_msg(data):
            raise NotAMessageError("an OLE compound file, but not an Outlook .msg")
        try:
            return parse_msg(data, budget, location)
        except ValueError as exc:
            raise NotAMessageError(str(exc)) from exc
    if kind in ("eml", "mbox"):
        return parse_eml(data, budget, location)
    raise NotAMessageError("not a mail message (no RFC 5322 header block, not an Outlook .msg)")
