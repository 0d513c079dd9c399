"""The one safe way to read headers from a parsed message.

The stdlib's lazy header objects can raise on malformed values (`To: "`), so nothing here
asks the `email` package to interpret a header: we take the raw stored value, unfold it,
and decode it ourselves. Every problem becomes a `Defect`, never an exception.
"""

from __future__ import annotations

import email.message
import email.utils
import re
from collections.abc import Iterable

from ..limits import Budget
from ..model import Address, MessageSummary
from ..records import record
from ..text import raw_text
from .auth import parse_auth
from .charset import decode_header_value
from .received import parse_received
from .types import Defect, Header, Leaf, ParsedMessage, TextBody

_FOLD = re.compile(r"\r?\n[ \t]*")
_ANGLE_ADDR = re.compile(r"<([^<>\s]{1,320}@[^<>\s]{1,320})>")
_BARE_ADDR = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]{1,200}@[\w.-]{1,255}")
_MSGID = re.compile(r"<[^<>\s]{1,998}>")


def unfold(raw: str) -> str:
    return _FOLD.sub(" ", raw).strip()


# Headers every check relies on: past the header bounds these are still read (each cut to
# _ESSENTIAL_CHARS), so padding placed before them cannot blind the identity checks.
_ESSENTIAL = frozenset(
    {
        "from",
        "sender",
        "to",
        "cc",
        "reply-to",
        "subject",
        "date",
        "message-id",
        "in-reply-to",
        "references",
        "content-type",
        "list-id",
        "list-post",
        "list-unsubscribe",
    }
)
_ESSENTIAL_CHARS = 8192


def read_headers(
    msg: email.message.Message, budget: Budget, location: str, *, skip: str = ""
) -> tuple[tuple[Header, ...], tuple[Defect, ...]]:
    """Decode the headers of `msg` (in order) within the header bounds of `budget`.

    `skip` names a header of our own (the pre-pass's reference to a moved body)."""
    limits = budget.limits
    headers: list[Header] = []
    defects: list[Defect] = []
    size = 0
    over = False
    for count, (name, stored) in enumerate(msg.raw_items()):
        if skip and name == skip:
            continue
        raw = unfold(str(stored))
        size += len(name) + len(raw)
        if not over and (count >= limits.max_headers or size > limits.max_header_bytes):
            over = True
            budget.hit(
                "max_header_bytes",
                f"{location}headers",
                limit=str(min(limits.max_headers, limits.max_header_bytes)),
            )
        if over:
            if name.lower() not in _ESSENTIAL or count >= 4 * limits.max_headers:
                continue
            raw = raw[:_ESSENTIAL_CHARS]
        value, problems = decode_header_value(raw)
        headers.append(Header(name=name, value=value, raw=raw))
        defects.extend(
            Defect(code=problem, location=f"{location}header {name}", detail=raw_text(raw[:120]))
            for problem in problems
        )
    return tuple(headers), tuple(defects)


def _first(headers: Iterable[Header], name: str) -> Header | None:
    wanted = name.lower()
    return next((h for h in headers if h.name.lower() == wanted), None)


def _all(headers: Iterable[Header], name: str) -> list[Header]:
    wanted = name.lower()
    return [h for h in headers if h.name.lower() == wanted]


def parse_addresses(raw: str) -> tuple[Address, ...]:
    """Addresses of one raw header value; display names decoded after splitting.

    Splitting before decoding matters: a decoded display name may itself contain
    `<addr>` or commas (a classic impersonation trick), which must stay in the name.
    """
    try:
        pairs = email.utils.getaddresses([raw])
    except Exception:  # the stdlib's address parser has raised on odd input before
        pairs = []
    out: list[Address] = []
    for name, addr in pairs:
        addr = raw_text(addr.strip())
        if "@" not in addr:
            continue
        display, _ = decode_header_value(name.strip())
        out.append(Address(display_name=display.strip(), addr=addr))
    if not out:
        # Unparsable syntax: still report the address it carries, without a name.
        match = _ANGLE_ADDR.search(raw) or _BARE_ADDR.search(raw)
        if match:
            addr = raw_text(match.group(1) if match.re is _ANGLE_ADDR else match.group(0))
            out.append(Address(display_name="", addr=addr))
    return tuple(out)


@record
class HeaderSummary:
    message: MessageSummary
    sender: Address | None
    defects: tuple[Defect, ...]


def _address_list(headers: list[Header], name: str) -> tuple[Address, ...]:
    out: list[Address] = []
    for header in _all(headers, name):
        out.extend(parse_addresses(header.raw))
    return tuple(out)


def summarise(headers: tuple[Header, ...], location: str = "") -> HeaderSummary:
    """The fields every analyzer and report needs, taken from decoded headers."""
    listed = list(headers)
    defects: list[Defect] = []
    from_header = _first(listed, "From")
    from_list = parse_addresses(from_header.raw) if from_header else ()
    if from_header is None:
        defects.append(Defect(code="from_missing", location=f"{location}header From"))
    elif not from_list:
        defects.append(
            Defect(
                code="from_unparsable",
                location=f"{location}header From",
                detail=raw_text(from_header.raw[:120]),
            )
        )
    elif len(from_list) > 1:
        defects.append(Defect(code="from_multiple", location=f"{location}header From"))
    sender_list = _address_list(listed, "Sender")

    def text(name: str) -> str:
        header = _first(listed, name)
        return header.value.strip() if header else ""

    def msgid(name: str) -> str:
        header = _first(listed, name)
        if header is None:
            return ""
        match = _MSGID.search(header.raw)
        return raw_text(match.group(0) if match else header.raw.strip()[:998])

    references_header = _first(listed, "References")
    references = (
        tuple(raw_text(r) for r in _MSGID.findall(references_header.raw)[:100])
        if references_header
        else ()
    )
    received = parse_received([h.raw for h in _all(listed, "Received")])
    message = MessageSummary(
        from_=from_list[0] if from_list else None,
        to=_address_list(listed, "To"),
        cc=_address_list(listed, "Cc"),
        reply_to=_address_list(listed, "Reply-To"),
        subject=text("Subject"),
        date=text("Date"),
        message_id=msgid("Message-ID"),
        in_reply_to=msgid("In-Reply-To"),
        references=references,
        received=received,
        auth=parse_auth(listed),
    )
    sender = sender_list[0] if sender_list else None
    return HeaderSummary(message=message, sender=sender, defects=tuple(defects))


def assemble(
    *,
    format: str,
    headers: tuple[Header, ...],
    summary: HeaderSummary,
    bodies: tuple[TextBody, ...],
    leaves: tuple[Leaf, ...],
    defects: tuple[Defect, ...],
) -> ParsedMessage:
    """One `ParsedMessage` from the parts every format produces."""
    return ParsedMessage(
        format=format,
        headers=headers,
        summary=summary.message,
        sender=summary.sender,
        bodies=bodies,
        leaves=leaves,
        defects=defects + summary.defects,
    )
