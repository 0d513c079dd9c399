"""What the audit keeps of each message for the analyses only a folder allows.

Built in the worker from the message it has just parsed (never by parsing it again) and
small enough to keep for every message of a large archive: who sent it under which name,
when, which thread it belongs to, which archives stayed locked and which password
candidates it offers.
"""

from __future__ import annotations

import email.utils
import re
from datetime import UTC

from ..model import ScanResult
from ..parse.types import ParsedMessage
from ..records import record

# A message worth harvesting passwords from mentions one (the full harvest is dearer).
_PASSWORD_WORD = re.compile(r"パスワード|暗証|パス\s*[:：=]|pass\s?word|passwd|pwd|\bpw\b", re.I)
_MAX_TEXT = 200_000


@record
class MessageIndex:
    key: str  # message_key: how reports name a message
    path: str
    index: int | None
    timestamp: float | None  # from the Date header, UTC seconds; None when unreadable
    from_addr: str  # lower case
    from_name: str
    subject: str
    message_id: str
    thread: tuple[str, ...]  # In-Reply-To and References
    locked: tuple[str, ...]  # attachment paths that stayed encrypted
    passwords: tuple[str, ...]  # candidates this message offers
    verdict: str
    score: int
    bulk: bool = False  # a list, a feed or an automatic message: not one person writing


def is_bulk(parsed: ParsedMessage) -> bool:
    """Mailing-list and automatic mail, by the rules the thread checks use."""
    from ..people.mail_kind import automated, mailing_list

    return bool(mailing_list(parsed)) or automated(parsed)


def message_key(path: str, index: int | None) -> str:
    """How reports name a message: its path, with "#index" inside an mbox."""
    return path if index is None else f"{path}#{index}"


def timestamp_of(date: str) -> float | None:
    try:
        when = email.utils.parsedate_to_datetime(date)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def index_of(parsed: ParsedMessage, result: ScanResult) -> MessageIndex:
    summary = result.message
    sender = summary.from_
    locked = tuple(
        node.path for top in result.attachments for node in top.walk() if node.status == "encrypted"
    )
    texts = [body.text[:_MAX_TEXT] for body in parsed.bodies]
    passwords: tuple[str, ...] = ()
    if _PASSWORD_WORD.search(summary.subject) or any(_PASSWORD_WORD.search(t) for t in texts):
        from ..containers.passwords import candidates

        names = [leaf.filename for leaf in parsed.leaves if leaf.filename]
        passwords = candidates(summary.subject, texts, names)
    return MessageIndex(
        key=message_key(result.source.path, result.source.index),
        path=result.source.path,
        index=result.source.index,
        timestamp=timestamp_of(summary.date),
        from_addr=sender.addr.lower() if sender else "",
        from_name=sender.display_name if sender else "",
        subject=summary.subject,
        message_id=summary.message_id,
        thread=tuple(r for r in (summary.in_reply_to, *summary.references) if r),
        locked=locked,
        passwords=passwords,
        verdict=result.verdict.label,
        score=result.verdict.score,
        bulk=is_bulk(parsed),
    )


_TUPLES = ("thread", "locked", "passwords")
_FIELDS: tuple[str, ...] = MessageIndex.__record_fields__  # type: ignore[attr-defined]


def index_to_json(facts: MessageIndex) -> dict[str, object]:
    return {name: getattr(facts, name) for name in _FIELDS}


def index_from_json(raw: dict[str, object]) -> MessageIndex:
    """The inverse of `index_to_json` (from the audit's own journal)."""
    values = {name: raw[name] for name in _FIELDS if name in raw}
    for name in _TUPLES:
        values[name] = tuple(values[name])  # type: ignore[arg-type]
    return MessageIndex(**values)  # type: ignore[arg-type]
