"""What only a whole folder shows: the password of a PPAP archive sent in another message,
one address sending under many names, and a familiar name from an address never seen for
it. Fed one `MessageIndex` at a time; keeps per sender and per name, not per message, so
that an archive of 100,000 messages fits (the messages kept whole are the few with a
locked attachment or a password to offer).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..model import Evidence, Hit
from ..records import record
from .index import MessageIndex

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..model import Finding

EMITS = (
    "audit.password_in_other_message",
    "audit.one_address_many_names",
    "audit.familiar_name_new_address",
)

# A password mail follows its archive within this window (measured from the Date headers;
# a password sent a little before the archive happens when the mails cross).
PPAP_AFTER = 72 * 3600
PPAP_BEFORE = 3600
MAX_PAIR_PASSWORDS = 24
# An address that shows this many different person names is one mailbox for many people.
MANY_NAMES = 3
# A name is familiar once it came this often from one address.
FAMILIAR = 2
_NAMES_KEPT = 16

# Subject decorations a PPAP password mail adds to the archive mail's subject.
_SUBJECT_NOISE = re.compile(
    r"^(?:\s*(?:re|fw|fwd|aw|wg|tr|sv|vs|回答|返信|転送)\s*[:：]\s*)+"
    r"|【[^】]*】|\[[^\]]*\]|パスワード(?:の)?(?:ご連絡|通知|送付|のお知らせ)?|password(?:\s+for)?|暗証番号|[:：\s]+",
    re.IGNORECASE,
)


def subject_core(subject: str) -> str:
    """A subject without reply prefixes, bracketed tags and password wording."""
    text = unicodedata.normalize("NFKC", subject).casefold()
    return _SUBJECT_NOISE.sub("", text)


@record
class Pairing:
    """A message with locked attachments and the messages whose passwords may open them."""

    locked: MessageIndex
    offers: tuple[MessageIndex, ...]

    @property
    def passwords(self) -> tuple[str, ...]:
        found = dict.fromkeys(p for offer in self.offers for p in offer.passwords)
        return tuple(found)[:MAX_PAIR_PASSWORDS]


class _Sender:
    """One address: the names it used."""

    __slots__ = ("messages", "names")

    def __init__(self) -> None:
        self.names: dict[str, str] = {}  # name key -> the name as first shown
        self.messages = 0


class _Pair:
    """One (name, address): how often, since when, and an example message."""

    __slots__ = ("count", "first", "keys", "shown")

    def __init__(self, shown: str) -> None:
        self.count = 0
        self.first: float | None = None
        self.keys: list[str] = []
        self.shown = shown


class Folder:
    def __init__(self) -> None:
        self._many: dict[str, Evidence] = {}
        self._strangers: dict[tuple[str, str], Evidence] = {}
        self._senders: dict[str, _Sender] = {}
        self._names: dict[str, dict[str, _Pair]] = {}
        self._locked: list[MessageIndex] = []
        self._offers: list[MessageIndex] = []

    def add(self, facts: MessageIndex) -> None:
        from ..thread.identity import name_key

        if facts.locked:
            self._locked.append(facts)
        if facts.passwords:
            self._offers.append(facts)
        address = facts.from_addr
        if not address or facts.bulk or _automatic(address):
            return  # lists, feeds and systems speak for many people by design
        name = name_key(facts.from_name)
        sender = self._senders.setdefault(address, _Sender())
        sender.messages += 1
        if not name:
            return
        if name not in sender.names and len(sender.names) < _NAMES_KEPT:
            sender.names[name] = facts.from_name
        pair = self._names.setdefault(name, {}).setdefault(address, _Pair(facts.from_name))
        pair.count += 1
        if facts.timestamp is not None and (pair.first is None or facts.timestamp < pair.first):
            pair.first = facts.timestamp
        if not pair.keys:
            pair.keys.append(facts.key)

    # --- PPAP ------------------------------------------------------------------------------

    def pairings(self) -> list[Pairing]:
        out: list[Pairing] = []
        for locked in self._locked:
            offers = [o for o in self._offers if o.key != locked.key and _pairs(locked, o)]
            if offers:
                offers.sort(key=lambda o: abs((o.timestamp or 0) - (locked.timestamp or 0)))
                out.append(Pairing(locked=locked, offers=tuple(offers[:4])))
        return out

    # --- senders and names -----------------------------------------------------------------

    def settle(self) -> None:
        """Decide, once every message was added, which senders and names stand out."""
        from ..thread.identity import same_org

        self._many = {}
        for address, sender in self._senders.items():
            # A feed or a relay repeats each name often; a mailbox sending as the people of
            # stolen threads shows a new name in most of its messages.
            if len(sender.names) < MANY_NAMES or len(sender.names) * 3 < sender.messages:
                continue
            names = list(sender.names.values())
            self._many[address] = Evidence(
                location="message",
                excerpt=", ".join(names[:6]),
                facts=(
                    ("from_address", address),
                    ("names", ", ".join(names[:6])),
                    ("name_count", str(len(names))),
                    ("messages", str(sender.messages)),
                ),
            )
        self._strangers = {}
        for name, pairs in self._names.items():
            familiar = [(a, p) for a, p in pairs.items() if p.count >= FAMILIAR]
            if len(pairs) < 2 or not familiar:
                continue
            usual, seen = max(familiar, key=lambda item: item[1].count)
            for address, pair in pairs.items():
                if pair.count >= seen.count or any(same_org(address, a) for a, _ in familiar):
                    continue
                if pair.first is not None and seen.first is not None and pair.first < seen.first:
                    continue  # the odd address came first: the usual one is the newer
                self._strangers[(name, address)] = Evidence(
                    location="message",
                    excerpt=f"{pair.shown} <{address}>",
                    facts=(
                        ("name", pair.shown),
                        ("from_address", address),
                        ("usual_address", usual),
                        ("usual_count", str(seen.count)),
                        ("other_message", seen.keys[0]),
                    ),
                )

    def hits_for(self, facts: MessageIndex) -> list[Hit]:
        """The sender and name findings of one message (after `settle`)."""
        from ..thread.identity import name_key

        hits: list[Hit] = []
        many = self._many.get(facts.from_addr)
        if many is not None:
            hits.append(Hit(id="audit.one_address_many_names", evidence=(many,)))
        if self._strangers:
            stranger = self._strangers.get((name_key(facts.from_name), facts.from_addr))
            if stranger is not None:
                hits.append(Hit(id="audit.familiar_name_new_address", evidence=(stranger,)))
        return hits


_AUTOMATIC_WORDS = re.compile(
    r"(?:^|[._+-])(?:rss|feeds?|news(?:letter)?|lists?|bounces?|no-?reply|do-?not-?reply|"
    r"notifications?|notify|alerts?|mailer|daemon|postmaster|digest|updates?|calendar)(?:$|[._+-])",
    re.IGNORECASE,
)


def _automatic(address: str) -> bool:
    """An address whose local part names a feed, a list or a notifier."""
    return _AUTOMATIC_WORDS.search(address.rpartition("@")[0]) is not None


def _pairs(locked: MessageIndex, offer: MessageIndex) -> bool:
    """Whether `offer` may be the password mail of `locked`: same sender or same thread,
    close in time."""
    if locked.timestamp is not None and offer.timestamp is not None:
        delay = offer.timestamp - locked.timestamp
        if not -PPAP_BEFORE <= delay <= PPAP_AFTER:
            return False
    same_sender = bool(locked.from_addr) and locked.from_addr == offer.from_addr
    linked = bool(locked.message_id) and locked.message_id in offer.thread
    core = subject_core(locked.subject)
    same_subject = bool(core) and core == subject_core(offer.subject)
    if locked.timestamp is None or offer.timestamp is None:
        return linked or (same_sender and same_subject)
    return same_sender or linked or same_subject


def pairing_hit(pairing: Pairing, opened: int) -> Hit:
    first = pairing.offers[0]
    return Hit(
        id="audit.password_in_other_message",
        evidence=tuple(
            Evidence(
                location="message",
                excerpt=offer.key,
                facts=(
                    ("other_message", offer.key),
                    ("other_subject", offer.subject[:120]),
                    ("opened", str(opened)),
                ),
            )
            for offer in (first, *pairing.offers[1:])
        ),
    )


def findings_of(hits: Iterable[Hit], catalog: Catalog) -> list[Finding]:
    from ..analyzers.runner import to_finding

    return [to_finding(catalog, hit, "audit") for hit in hits]
