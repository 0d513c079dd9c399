"""What a quoted thread tells about its audience beyond the quoted headers, for `hijack.py`.

An attribution line (`On DATE, Alice <alice@…> wrote:`) names the author of a quoted
message, never its recipients. What else the thread shows: whom the quoted messages greet
and sign as (`greetings.py`), every address written anywhere in the quote (signatures,
forwarded headers) and so every organisation that took part, and whether a forward only
carries a newsletter or a machine's notice. And whether the message carries anything to
open at all: an attachment, or a link in what the sender wrote.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..parse.types import ParsedMessage
from ..people.identity import ROLE_WORDS, is_cjk, is_freemail, normalise, org_of
from ..people.mail_kind import automated_address, list_address
from .types import ThreadSplit

MAX_SCANNED_CHARS = 200_000  # of quoted text searched for addresses
MAX_ADDRESSES = 500
# Flat: one bounded run on each side of "@" (no repeated group).
_ADDRESS = re.compile(r"[\w.+=-]{1,64}@[\w-]{1,63}\.[\w.-]{2,200}")
_LINK = re.compile(r"\b(?:https?://|hxxps?://)?(?P<host>www\.[\w.-]{1,200}|(?<=//)[\w.-]{1,200})")
_SIGNATURE_MARKS = frozenset(("--", "-- ", "__"))
# Local parts that send bulletins rather than write to people.
_BULLETIN_LOCAL = re.compile(
    r"^(?:news(?:letters?)?|info|marketing|mailmagazine|magazine|mag|campaigns?|digest"
    r"|updates?|announce(?:ments?)?|mailer|bulletin)(?:[-+._].*)?$",
    re.IGNORECASE,
)
_UNSUBSCRIBE = ("unsubscribe", "配信停止", "配信解除", "abbestellen", "désabonner", "desuscribir")


def thread_orgs(split: ThreadSplit) -> set[str]:
    """Organisations of every address written in the quoted history (free mail left out:
    sharing gmail.com says nothing)."""
    orgs: set[str] = set()
    people = (p.addr for h in split.headers for p in (h.sender, h.delegate, *h.recipients) if p)
    written = (m.group(0) for m in _ADDRESS.finditer(split.quoted_text[:MAX_SCANNED_CHARS]))
    for count, addr in enumerate((*people, *written)):
        if count >= MAX_ADDRESSES:
            break
        if addr and not is_freemail(addr):
            orgs.add(org_of(addr.strip(".")))
    return orgs - {""}


def _tokens(name: str) -> list[str]:
    return [t for t in normalise(name) if t]


def named_in_quote(display_name: str, names: Iterable[str]) -> str:
    """The greeted or signing name (`Bob`, `Mr. Tanaka`, `高橋`) the display name carries,
    or "": each word of it is a word of the display name (`Bob` in `Bob Chen`), or for
    names written without spaces a part of it (`高橋` in `高橋健`)."""
    have = _tokens(display_name)
    joined = "".join(have)
    if not have:
        return ""
    for name in names:
        wanted = _tokens(name)
        size = len("".join(wanted))
        # One Han character is a whole surname in a Chinese greeting ("王经理").
        if not wanted or size < (1 if is_cjk(name) else 3):
            continue
        if all(w in have for w in wanted) or (is_cjk(name) and "".join(wanted) in joined):
            return name
    return ""


def has_payload(message: ParsedMessage, new_text: str) -> bool:
    """Something to open: an attached file or message, or a link in the sender's own text
    (above the signature, and not to the sender's own organisation's site)."""
    for leaf in message.leaves:
        if leaf.is_message or (leaf.disposition == "attachment" and leaf.filename):
            return True
        if leaf.filename and not leaf.declared_type.startswith("image/"):
            return True
    own = org_of(message.from_.addr) if message.from_ is not None else ""
    for line in new_text[:MAX_SCANNED_CHARS].splitlines():
        if line.rstrip("\r") in _SIGNATURE_MARKS:
            break
        for found in _LINK.finditer(line):
            host = found.group("host").strip(".").lower()
            if "." in host and org_of("@" + host) != own:
                return True
    return False


def bulletin(split: ThreadSplit) -> bool:
    """The forwarded or quoted mail is a newsletter or a machine's notice: every quoted
    sender is an automated, list or bulletin address (or a role), or it says unsubscribe."""
    lowered = split.quoted_text[:MAX_SCANNED_CHARS].lower()
    if any(word in lowered for word in _UNSUBSCRIBE):
        return True
    senders = [h.sender for h in split.headers if h.sender is not None]
    if not senders:
        return False
    for sender in senders:
        local = sender.addr.partition("@")[0]
        role = "".join(normalise(sender.name)) in ROLE_WORDS if sender.name else False
        machine = bool(sender.addr) and (
            automated_address(sender.addr)
            or list_address(sender.addr)
            or bool(_BULLETIN_LOCAL.match(local))
        )
        if not (machine or role):
            return False
    return True


def internal_only(message: ParsedMessage) -> bool:
    """Every recipient is of the sender's own (non-free-mail) organisation."""
    sender = message.from_
    if sender is None or is_freemail(sender.addr):
        return False
    recipients = [*message.summary.to, *message.summary.cc]
    org = org_of(sender.addr)
    return bool(recipients) and all(org_of(r.addr) == org for r in recipients if r.addr)
