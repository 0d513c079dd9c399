"""Sender identity checks that need only the message's own headers and the configuration.

Authentication results are attached to every finding here as the `auth` fact, to be read,
never weighed: Emotet sent from real hijacked mailboxes, so SPF/DKIM/DMARC pass for the
attacker's own domain, and a pass must not make a copied name look safe.

An address in the display name is judged by `thread/display.py`, which the thread check
reads too: another organisation's address is `sender.display_name_has_address` (carrying
what the quoted thread knows of it), the sender's own organisation's is a note, and one a
mailing list or relay put there is a weak note.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

from ..config import Config
from ..model import Evidence
from ..parse.auth import summary as auth_summary
from ..parse.types import ParsedMessage
from ..people.identity import name_keys, org_of, same_org
from ..people.mail_kind import mailing_list
from ..records import record
from ..thread.display import list_rewrite, shown_address
from ..thread.hijack import claimed_shown, shown_address_evidence
from .interface import Hit, MessageAnalyzer, MessageContext
from .reply_hijack import read_quote

_MAX_SHOWN_ADDRESSES = 5
_MAX_RECIPIENTS = 200  # compared by name; a hostile To: can list thousands


def _auth_facts(message: ParsedMessage) -> tuple[tuple[str, str], ...]:
    # "-" (the catalog's word for an absent fact) when no server recorded any result.
    return (("auth", auth_summary(message.summary.auth) or "-"),)


def display_name_has_address(ctx: MessageContext) -> Iterator[Hit]:
    message = ctx.message
    sender = message.from_
    shown = shown_address(message)
    if sender is None or shown is None:
        return
    quote = read_quote(message) if shown.kind == "foreign" or shown.by_shape else None
    shown = claimed_shown(shown, message, quote, ctx.config)
    location = f"{ctx.prefix}header From"
    excerpt = f"{sender.display_name} <{sender.addr}>"
    facts = (("shown_address", shown.address), ("from_address", sender.addr))
    if shown.kind == "own":
        # "news@example.com" <subscriber@example.com>: a mailer naming its own list, not
        # someone else; free mail counts only for the exact address (same_org).
        organisation = ("organisation", org_of(sender.addr))
        evidence = Evidence(location=location, excerpt=excerpt, facts=(*facts, organisation))
        yield Hit(id="sender.display_name_own_domain", evidence=(evidence,))
        return
    if shown.kind == "relay":
        relay = ("relay", shown.relay)
        evidence = Evidence(
            location=location, excerpt=excerpt, facts=(*facts, relay, *_auth_facts(message))
        )
        yield Hit(id="sender.display_name_via_relay", evidence=(evidence,))
        return
    # The trick itself. The thread check stays silent on it and tells here whom the address
    # (or the name beside it) belongs to: one finding, with the participant as evidence.
    more, quoted = shown_address_evidence(message, quote, shown.address, ctx.config, ctx.prefix)
    evidence = Evidence(
        location=location, excerpt=excerpt, facts=(*facts, *_auth_facts(message), *more)
    )
    yield Hit(id="sender.display_name_has_address", evidence=(evidence, *quoted))


def _in_domains(domain: str, domains: tuple[str, ...]) -> bool:
    """`domain` is one of `domains` or a subdomain of one (mail.corp.example)."""
    domain = domain.lower().rstrip(".")
    return any(domain == d or domain.endswith("." + d) for d in domains)


def _is_list(message: ParsedMessage) -> bool:
    return bool(mailing_list(message))  # the thread checks' list rules, so both agree


@record
class _Person:
    name: str
    addresses: tuple[str, ...]  # lower case
    configured: bool  # a known correspondent, as opposed to a recipient of this message


@functools.lru_cache(maxsize=8)
def _known_by_key(config: Config) -> dict[str, tuple[_Person, ...]]:
    """Known correspondents by name key, built once per configuration (a daemon reuses it)."""
    index: dict[str, list[_Person]] = {}
    for known in config.known_correspondents:
        person = _Person(name=known.name, addresses=known.addresses, configured=True)
        for key in name_keys(known.name):
            index.setdefault(key, []).append(person)
    return {key: tuple(people) for key, people in index.items()}


def _matching_people(ctx: MessageContext, keys: frozenset[str]) -> list[_Person]:
    index = _known_by_key(ctx.config)
    people = list(dict.fromkeys(p for key in keys for p in index.get(key, ())))
    # Recipients of this very message are people too: a reply that copies the name of
    # someone it is also sent to (a colleague, the thread's other party) from an unrelated
    # address is the hijacked-thread pattern, whatever the configuration says. Not on a
    # mailing list, whose recipients are the list itself ("FoRK" <fork@xent.com>).
    summary = ctx.message.summary
    if _is_list(ctx.message):
        return people
    recipients = (*summary.to, *summary.cc)[:_MAX_RECIPIENTS]
    named = [r for r in recipients if r.display_name and keys & name_keys(r.display_name)]
    # Mail to nobody but the same name is mostly someone writing to their own other address
    # (home, old job), not how a hijacked thread reaches its victim; unless that name is a
    # configured colleague's, which an outside address must not carry.
    internal = ctx.config.internal_domains
    if len(named) == len(recipients) and not any(_in_domains(r.domain, internal) for r in named):
        return people
    for recipient in named:
        addr = recipient.addr.lower()
        people.append(_Person(name=recipient.display_name, addresses=(addr,), configured=False))
    return people


def _owns(person: _Person, addr: str) -> bool:
    # Same organisation: a colleague or a shared mailbox of theirs, not an outsider.
    return any(addr == own or same_org(addr, own) for own in person.addresses)


def impersonates_known_correspondent(ctx: MessageContext) -> Iterator[Hit]:
    sender = ctx.message.from_
    if sender is None or not sender.display_name or "@" not in sender.addr:
        return
    addr = sender.addr.lower()
    if _in_domains(sender.domain, ctx.config.internal_domains):
        return  # a colleague; homonyms are common, and their account is theirs
    keys = name_keys(sender.display_name)
    if not keys:
        return
    people = _matching_people(ctx, keys)
    if not people or list_rewrite(ctx.message, sender):
        return  # a list keeps the author's name in the From it rewrites ("A via List")
    if any(_owns(person, addr) for person in people):
        return
    person = people[0]  # configured people first: their addresses are the reliable ones
    shown = ", ".join(person.addresses[:_MAX_SHOWN_ADDRESSES])
    if len(person.addresses) > _MAX_SHOWN_ADDRESSES:
        shown += ", …"
    yield Hit(
        id="sender.impersonates_known_correspondent",
        confidence="high" if person.configured else "medium",
        evidence=(
            Evidence(
                location=f"{ctx.prefix}header From",
                excerpt=f"{sender.display_name} <{sender.addr}>",
                facts=(
                    # Fact names shared with the thread checks (thread/hijack.py).
                    ("from_name", sender.display_name),
                    ("from_address", sender.addr),
                    ("correspondent", person.name),
                    ("known_addresses", shown),
                    *_auth_facts(ctx.message),
                ),
            ),
        ),
    )


def reply_to_mismatch(ctx: MessageContext) -> Iterator[Hit]:
    """Replies would go to another organisation than the one the mail claims to be from.

    Weak on its own (newsletters, ticket systems, people with two addresses do it), so it
    only adds weight to other evidence; mailing lists are left out entirely.
    """
    message = ctx.message
    sender = message.from_
    if sender is None or not message.summary.reply_to or _is_list(message):
        return
    expected = ctx.config.internal_domains + ctx.config.trusted_domains
    # Reply-To naming a recipient is "reply to the group/list", not a diversion.
    recipients = {a.addr.lower() for a in (*message.summary.to, *message.summary.cc)}
    relay = message.sender.addr if message.sender is not None else ""
    for reply_to in message.summary.reply_to:
        if (
            same_org(reply_to.addr, sender.addr)
            or (relay and same_org(reply_to.addr, relay))
            or reply_to.addr.lower() in recipients
            or _in_domains(reply_to.domain, expected)
        ):
            continue
        yield Hit(
            id="sender.reply_to_mismatch",
            evidence=(
                Evidence(
                    location=f"{ctx.prefix}header Reply-To",
                    excerpt=reply_to.addr,
                    facts=(
                        ("reply_to", reply_to.addr),
                        ("from_address", sender.addr),
                        *_auth_facts(message),
                    ),
                ),
            ),
        )
        return


ANALYZERS = (
    MessageAnalyzer(
        name="sender.display_name",
        emits=(
            "sender.display_name_has_address",
            "sender.display_name_own_domain",
            "sender.display_name_via_relay",
        ),
        run=display_name_has_address,
    ),
    MessageAnalyzer(
        name="sender.known_correspondent",
        emits=("sender.impersonates_known_correspondent",),
        run=impersonates_known_correspondent,
    ),
    MessageAnalyzer(
        name="sender.reply_to",
        emits=("sender.reply_to_mismatch",),
        run=reply_to_mismatch,
    ),
)
