"""Organisation settings passed into every scan (never read from global state)."""

from __future__ import annotations

from .records import record


@record
class Correspondent:
    """A person the organisation knows, with every address they really use."""

    name: str
    addresses: tuple[str, ...]  # lower case


@record
class Config:
    # Domains of the organisation that receives the mail (lower case).
    internal_domains: tuple[str, ...] = ()
    # Partner domains whose mail is expected.
    trusted_domains: tuple[str, ...] = ()
    # Known people: a display name copying one of them from another address is impersonation.
    known_correspondents: tuple[Correspondent, ...] = ()
    # The authserv-ids (RFC 8601) our own receiving servers write in Authentication-Results,
    # lower case: the first such header is the one whose results count. Empty: the topmost.
    authserv_ids: tuple[str, ...] = ()
    # Forwarders whose ARC record (RFC 8617) of a pass is believed when our server verified
    # the chain (`arc=pass`): their own check of the message before forwarding broke it.
    arc_sealers: tuple[str, ...] = ("google.com", "microsoft.com")

    def knows_address(self, addr: str) -> bool:
        """`addr` (any case) is one of a known correspondent's addresses."""
        addr = addr.lower()
        return any(addr in person.addresses for person in self.known_correspondents)


DEFAULT_CONFIG = Config()
