"""What only a whole folder shows: the password of a PPAP archive sent in another message,
one address sending under many names, and a familiar name from an address never seen for
it. Fed one `MessageIndex` at a time; keeps per sender and per name, not per message, so
that an archive of 100,000 messages fits (the messages kept whole are the few with a
locked attachment or a password to offer).
"""

from __future__ import annotations

import itertools
import re
import sqlite3
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


@record(kw_only=False)
class _Pair:
    """One (name, address) of the senders table, aggregated."""

    name: str
    addr: str
    count: int
    first: float | None
    example: int  # rowid of its first message


@record
class Pairing:
    """A message with locked attachments and the messages whose passwords may open them."""

    locked: MessageIndex
    offers: tuple[MessageIndex, ...]

    @property
    def passwords(self) -> tuple[str, ...]:
        found = dict.fromkeys(p for offer in self.offers for p in offer.passwords)
        return tuple(found)[:MAX_PAIR_PASSWORDS]


class Folder:
    """The folder analyses. Who sent under which name is kept in an SQLite table (in a file
    the caller names), not in memory: an archive of a million senders costs disk, not RAM.
    The few messages with a locked attachment or a password to offer are kept whole."""

    def __init__(self, database: sqlite3.Connection) -> None:
        self._db = database
        self._db.execute(
            "CREATE TABLE senders (addr TEXT NOT NULL, name TEXT NOT NULL, shown TEXT NOT NULL,"
            " ts REAL, key TEXT NOT NULL)"
        )
        self._many: dict[str, Evidence] = {}
        self._strangers: dict[tuple[str, str], Evidence] = {}
        self._locked: list[MessageIndex] = []
        self._offers: list[MessageIndex] = []

    def add(self, facts: MessageIndex) -> None:
        from ..people.identity import name_key

        if facts.locked:
            self._locked.append(facts)
        if facts.passwords:
            self._offers.append(facts)
        address = facts.from_addr
        if not address or facts.bulk or _automatic(address):
            return  # lists, feeds and systems speak for many people by design
        self._db.execute(
            "INSERT INTO senders VALUES (?, ?, ?, ?, ?)",
            (address, name_key(facts.from_name), facts.from_name, facts.timestamp, facts.key),
        )

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
        self._db.execute("CREATE INDEX senders_by_addr ON senders (addr, name)")
        # A feed or a relay repeats each name often; a mailbox sending as the people of
        # stolen threads shows a new name in most of its messages.
        many = self._db.execute(
            "SELECT addr, COUNT(*), COUNT(DISTINCT NULLIF(name, '')) AS names FROM senders"
            " GROUP BY addr HAVING names >= ? AND names * 3 >= COUNT(*)",
            (MANY_NAMES,),
        ).fetchall()
        for address, messages, count in many:
            shown = [
                row[0]
                for row in self._db.execute(
                    "SELECT shown FROM senders WHERE addr = ? AND name != '' GROUP BY name"
                    " ORDER BY MIN(rowid) LIMIT 6",
                    (address,),
                )
            ]
            self._many[address] = Evidence(
                location="message",
                excerpt=", ".join(shown),
                facts=(
                    ("from_address", address),
                    ("names", ", ".join(shown)),
                    ("name_count", str(count)),
                    ("messages", str(messages)),
                ),
            )
        pairs = self._db.execute(
            "WITH pairs AS (SELECT name, addr, COUNT(*) AS n, MIN(ts) AS first,"
            " MIN(rowid) AS example FROM senders WHERE name != '' GROUP BY name, addr)"
            " SELECT name, addr, n, first, example FROM pairs WHERE name IN"
            " (SELECT name FROM pairs GROUP BY name HAVING COUNT(*) >= 2) ORDER BY name"
        )
        for _, group in itertools.groupby(pairs, key=lambda row: row[0]):
            self._strangers_of([_Pair(*row) for row in group])

    def _strangers_of(self, pairs: list[_Pair]) -> None:
        """Among the addresses one name came from: the rare ones of another organisation,
        seen after the name's usual address."""
        from ..people.identity import same_org

        familiar = [p for p in pairs if p.count >= FAMILIAR]
        if not familiar:
            return
        usual = max(familiar, key=lambda p: p.count)
        for pair in pairs:
            if pair.count >= usual.count or any(same_org(pair.addr, p.addr) for p in familiar):
                continue
            if pair.first is not None and usual.first is not None and pair.first < usual.first:
                continue  # the odd address came first: the usual one is the newer
            (shown,) = self._db.execute(
                "SELECT shown FROM senders WHERE rowid = ?", (pair.example,)
            ).fetchone()
            (other,) = self._db.execute(
                "SELECT key FROM senders WHERE rowid = ?", (usual.example,)
            ).fetchone()
            self._strangers[(pair.name, pair.addr)] = Evidence(
                location="message",
                excerpt=f"{shown} <{pair.addr}>",
                facts=(
                    ("name", shown),
                    ("from_address", pair.addr),
                    ("usual_address", usual.addr),
                    ("usual_count", str(usual.count)),
                    ("other_message", other),
                ),
            )

    def hits_for(self, facts: MessageIndex) -> list[Hit]:
        """The sender and name findings of one message (after `settle`)."""
        from ..people.identity import name_key

        hits: list[Hit] = []
        many = self._many.get(facts.from_addr)
        if many is not None:
            hits.append(Hit(id="audit.one_address_many_names", evidence=(many,)))
        if self._strangers:
            stranger = self._strangers.get((name_key(facts.from_name), facts.from_addr))
            if stranger is not None:
                hits.append(Hit(id="audit.familiar_name_new_address", evidence=(stranger,)))
        return hits


# Feeds and digests, which the thread checks' notions of systems and lists do not cover.
_FEED_LOCAL = re.compile(
    r"(?:^|[._+-])(?:rss|feeds?|news(?:letter)?|digest|updates?|calendar|daemon|postmaster)"
    r"(?:$|[._+-])",
    re.IGNORECASE,
)


def _automatic(address: str) -> bool:
    """An address of a system, a list or a feed, which speak for many people by design."""
    from ..people.mail_kind import automated_address, list_address

    local = address.rpartition("@")[0]
    return automated_address(address) or list_address(address) or bool(_FEED_LOCAL.search(local))


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
    from ..catalog import to_finding

    return [to_finding(catalog, hit, "audit") for hit in hits]
