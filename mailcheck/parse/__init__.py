"""Parse stage: bytes of any supported format to `ParsedMessage`."""

from __future__ import annotations

from ..limits import Budget
from ..records import replace
from ..sniff import OLE_MAGIC, sniff
from .eml import parse_eml
from .header_block import looks_like_headers
from .mbox import looks_like_mbox
from .types import Defect, ParsedMessage

__all__ = ["NotAMessageError", "detect_format", "parse_message"]


class NotAMessageError(ValueError):
    """The input is not a mail message in any supported format."""


def detect_format(head: bytes) -> str | None:
    """'msg', 'mbox', 'eml' or None, judged from the first bytes (64 KiB is plenty)."""
    if head.startswith(OLE_MAGIC):
        return "msg"  # confirmed by parse_message, which sees all the bytes
    if looks_like_mbox(head):
        return "mbox"
    if looks_like_headers(head):
        return "eml"
    return None


def parse_message(
    data: bytes, budget: Budget, location: str = "", *, as_mail: bool = False
) -> ParsedMessage:
    """One message (eml or msg) from bytes; raises NotAMessageError for anything else.

    `as_mail`: the bytes are known to be a message (a mail gateway's input), so they are read
    as RFC 5322 however damaged their head is, never refused as "not a message"."""
    kind = detect_format(data[:65536])
    if kind is None and as_mail:
        parsed = parse_eml(data, budget, location)
        unread = Defect(
            code="header_block_unrecognised",
            location=f"{location}headers",
            detail="no mail header block at the start; read as mail as it was delivered",
        )
        return replace(parsed, defects=(unread, *parsed.defects))
    if kind == "msg":
        # OLE with MAPI property storage at its root (so not a .doc or .xls).
        if sniff(data).kind != "msg":
            raise NotAMessageError("an OLE compound file, but not an Outlook .msg")
        from .msg import parse_msg  # extract-msg is loaded for Outlook files only

        try:
            return parse_msg(data, budget, location)
        except ValueError as exc:
            raise NotAMessageError(str(exc)) from exc
    if kind in ("eml", "mbox"):
        return parse_eml(data, budget, location)
    raise NotAMessageError("not a mail message (no RFC 5322 header block, not an Outlook .msg)")
