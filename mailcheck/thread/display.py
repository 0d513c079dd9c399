"""What an address shown in the From display name is, for the sender and thread checks.

`"taro@partner.co.jp" <x@hacked.example>` is the Emotet trick, but a display name also holds
an address when an organisation's mailer names itself there (`"news@example.com"
<subscriber@example.com>`), and when a mailing list or a forwarding or privacy relay rewrites
From and keeps the original sender in the name (`"alice@example.org via Users"
<users@lists.example.org>`, `"alice@example.org" <alice_at_example_org_x@privaterelay…>`).
Both analyzers judge the display name here, so a trick is reported once and relays never by
the thread check alone. Relay signs are headers and names an attacker can write too: they
lower a finding to a note, never clear other findings.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Literal

from ..model import Address
from ..parse.types import ParsedMessage
from ..people.identity import domain_of, org_of, same_org
from ..people.mail_kind import mailing_list
from ..records import record

ShownKind = Literal["foreign", "relay", "own"]

SHOWN_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")
_LIST_ID = re.compile(r"<([^<>\s]{1,255})>")
_VIA = re.compile(r"\bvia\b", re.IGNORECASE)  # "A via List", "A (via List)", "A [via Relay]"
_TOKENS = re.compile(r"[a-z0-9]+")
# Reverse aliases of SimpleLogin-style relays: a random token, nothing of the sender in it.
_REPLY_TOKEN = re.compile(r"^(?:reply|ra)\+[a-z0-9._=-]{8,}$", re.IGNORECASE)
# A relay's local part that spells out an address: alice_at_example_org_x, alias+alice=example.org.
_SPELLED = re.compile(r"(?:^|[._-])at[._-]|=", re.IGNORECASE)
# A privacy relay of the older kind (Sneakemail) names the original sender in the display
# name with the alias it came through in brackets after it ("TheServerSide
# newsletter@theserverside.com [mothlight/serverside.com]") and sends from a ticket or alias
# token of its own (ticket_…@sneakemail.com). Only the two together are its shape.
_ALIAS_BRACKET = re.compile(r"\[[^\[\]\s/]{1,64}/[^\[\]\s]{1,255}\]\s*$")
_TICKET_LOCAL = re.compile(
    r"^(?:(?:ticket|alias|relay|fwd|anon)[_.+=-][a-z0-9._=+-]{6,}"
    r"|(?=(?:[^0-9]*[0-9]){3})[a-z0-9_-]{10,})$",
    re.IGNORECASE,
)
# Characters that show nothing: an "@" written with them around it still reads as one.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u206a-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]"
)
# "taro (at) partner.co.jp", "taro[at]partner[dot]co[dot]jp" (after NFKC: full-width too).
_AT_WORD = re.compile(r"\s*[(\[{<]\s*at\s*[)\]}>]\s*", re.IGNORECASE)
_DOT_WORD = re.compile(r"\s*[(\[{<]\s*dot\s*[)\]}>]\s*", re.IGNORECASE)
# Services whose whole business is rewriting From on behalf of someone else.
RELAY_DOMAINS = (
    "privaterelay.appleid.com",  # Apple Hide My Email
    "simplelogin.co",
    "simplelogin.com",
    "slmail.me",
    "aleeas.com",
    "anonaddy.me",
    "anonaddy.com",
    "addy.io",
    "addymail.com",
    "duck.com",  # DuckDuckGo Email Protection
    "mozmail.com",  # Firefox Relay
    "33mail.com",
    "sneakemail.com",
    "googlegroups.com",
    "groups.io",
)


@record
class Shown:
    """The address a From display name shows besides the From address, and what it is."""

    address: str  # as the display name writes it
    kind: ShownKind
    relay: str = ""  # for "relay": the list or service that rewrote From (its id or domain)
    # For "relay": recognised by the shape of the name and address alone (relay_shape), no
    # relay domain, spelled-out address or list behind it: no excuse for a known address.
    by_shape: bool = False


def readable_name(display: str) -> str:
    """The display name as a reader sees it: invisible characters dropped, full-width and
    small forms folded (NFKC: "＠" and "﹫" are "@"), "(at)" / "[dot]" spelt as "@" / "."."""
    text = unicodedata.normalize("NFKC", _INVISIBLE.sub("", display))
    if "at" in text.lower():
        text = _DOT_WORD.sub(".", _AT_WORD.sub("@", text))
    return text


def shown_address(message: ParsedMessage) -> Shown | None:
    """The display name's other address, judged; None when it shows none.

    A foreign address (another organisation, no relay sign) wins over a relayed one, which
    wins over the sender's own organisation: one impersonated address is enough.
    """
    sender = message.from_
    if sender is None or not sender.display_name:
        return None
    name = readable_name(sender.display_name)
    if "@" not in name:
        return None
    own = sender.addr.lower()
    found: list[Shown] = []
    for shown in SHOWN_ADDRESS.findall(name):  # as a reader sees it, for the evidence
        if shown.lower() == own:
            continue
        if same_org(shown, own):  # free mail: only the exact address (see same_org)
            found.append(Shown(address=shown, kind="own"))
            continue
        relay = relay_sign(message, sender, shown)
        shape = not relay and relay_shape(name, sender.addr, shown)
        if shape:
            relay = domain_of(sender.addr)
        kind: ShownKind = "relay" if relay else "foreign"
        found.append(Shown(address=shown, kind=kind, relay=relay, by_shape=shape))
    order: dict[ShownKind, int] = {"foreign": 0, "relay": 1, "own": 2}
    return min(found, key=lambda s: order[s.kind], default=None)


def relay_sign(message: ParsedMessage, sender: Address, shown: str) -> str:
    """The list or relay that put `shown` (the original author) into the name, or ""."""
    domain = domain_of(sender.addr)
    local = sender.addr.rpartition("@")[0]
    if _encodes(local, shown):
        return domain  # alice_at_example_org_x@relay, alias+alice=example.org@relay
    # When the local part spells out another address, that is who really sent it and the
    # name is a forgery the relay passed on, not the relay's own doing.
    relay_domain = any(domain == d or domain.endswith("." + d) for d in RELAY_DOMAINS)
    if (relay_domain or _REPLY_TOKEN.match(local)) and not _SPELLED.search(local):
        return domain
    return list_rewrite(message, sender)


def relay_shape(name: str, addr: str, shown: str) -> bool:
    """The name shows `shown` with a bracketed alias after it, and `addr` is a ticket or
    alias token: a privacy relay's rewrite (see _ALIAS_BRACKET), not a person's mailbox."""
    bracket = _ALIAS_BRACKET.search(name)
    local = addr.rpartition("@")[0]
    return bool(
        bracket
        and name.find(shown) < bracket.start()
        and _TICKET_LOCAL.match(local)
        and not _SPELLED.search(local)
    )


def relayed_for(addr: str, originals: Iterable[str]) -> str:
    """The one of `originals` a known relay's address stands for (Apple and SimpleLogin
    spell the original sender out in the local part they generate), or ""."""
    local, _, domain = addr.lower().rpartition("@")
    if not any(domain == d or domain.endswith("." + d) for d in RELAY_DOMAINS):
        return ""  # elsewhere the local part is the account owner's choice
    return next((original for original in originals if _encodes(local, original)), "")


def list_rewrite(message: ParsedMessage, sender: Address) -> str:
    """The list that rewrote From and kept the author's name ("A via List", DMARC munging):
    its List-Id (or the header that shows a list), or "" when this is not such a list."""
    header = mailing_list(message)
    if not header:
        return ""
    orgs = list_orgs(message)
    if org_of(sender.addr) in orgs or _VIA.search(sender.display_name):
        list_id = message.header("List-Id")
        return (list_id or header).strip()[:200]
    return ""


def list_orgs(message: ParsedMessage) -> set[str]:
    """Organisations a mailing list names in List-Id / List-Post (empty when not a list)."""
    orgs: set[str] = set()
    for value in message.header_all("List-Id"):
        found = _LIST_ID.search(value)
        orgs.add(org_of("@" + (found.group(1) if found else value.strip())))
    for value in message.header_all("List-Post"):
        orgs.update(org_of(a) for a in SHOWN_ADDRESS.findall(value))
    return orgs - {""}


def _encodes(local: str, shown: str) -> bool:
    """The relay's local part spells out the shown address (`at` and separators aside)."""
    wanted = [t for t in _TOKENS.findall(shown.lower()) if t != "at"]
    have = [t for t in _TOKENS.findall(local.lower()) if t != "at"]
    if len(wanted) < 2 or len(have) < len(wanted):
        return False
    return any(have[i : i + len(wanted)] == wanted for i in range(len(have) - len(wanted) + 1))
