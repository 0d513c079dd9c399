"""The people of a quoted thread, with the comparisons the hijack checks need."""

from __future__ import annotations

from collections.abc import Iterable

from ..config import Config
from ..model import Address
from ..people.identity import names_match, org_of, organisation, same_org
from .types import Participant, ThreadSplit

_MAX_LISTED = 5


class People:
    """Quoted participants, with the comparisons the checks need."""

    def __init__(self, people: Iterable[Participant], config: Config) -> None:
        self.people = tuple(people)
        self.config = config
        self.internal = {organisation(d) for d in config.internal_domains}
        self.trusted = {organisation(d) for d in config.trusted_domains}
        self.addressed = tuple(p for p in self.people if p.addr)
        self.named_only = tuple(p for p in self.people if not p.addr and p.name)
        # Named in a header block that shows no address at all ("From: Ishii Yumi" /
        # "To: Kobayashi Makoto"): Outlook's form for people of one organisation, its own
        # address book. (Where it shows some addresses, the bare names are usually the
        # replier's own colleagues, the replier too: no sign of anything.)
        self.listed_by_name: tuple[Participant, ...] = ()

    @classmethod
    def of(cls, split: ThreadSplit, config: Config) -> People:
        people = cls(split.participants, config)
        listed: dict[Participant, None] = {}
        for header in split.headers:
            named = [p for p in (header.sender, header.delegate, *header.recipients) if p]
            if header.style.startswith(("outlook", "forward")) and not any(p.addr for p in named):
                listed.update(dict.fromkeys(p for p in named if p.name))
        people.listed_by_name = tuple(listed)
        return people

    def is_internal(self, addr: str) -> bool:
        return org_of(addr) in self.internal

    def alias(self, addr: str, person: Participant) -> bool:
        """Both addresses belong to one configured correspondent."""
        for known in self.config.known_correspondents:
            if addr.lower() in known.addresses and (
                person.addr in known.addresses
                or (person.name and names_match(person.name, known.name))
            ):
                return True
        return False

    def same_party(self, addr: str, person: Participant) -> bool:
        """The address is this participant, a colleague of theirs, or their known alias."""
        if not person.addr:
            return False
        return (
            addr.lower() == person.addr.lower()
            or same_org(addr, person.addr)
            or (self.is_internal(addr) and self.is_internal(person.addr))
            or self.alias(addr, person)
        )

    def by_address(self, addr: str) -> Participant | None:
        return next((p for p in self.addressed if self.same_party(addr, p)), None)

    def listing(self) -> str:
        shown = [person_text(p) for p in self.people[:_MAX_LISTED]]
        more = len(self.people) - _MAX_LISTED
        return ", ".join(shown) + (f" (+{more})" if more > 0 else "")


def person_text(p: Participant | Address) -> str:
    name = p.display_name if isinstance(p, Address) else p.name
    addr = p.addr
    if name and addr:
        return f"{name} <{addr}>"
    return name or addr
