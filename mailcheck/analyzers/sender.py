"""Sender identity checks that need only the message's own headers and the configuration.

Authentication results are attached to every finding here as the `auth` fact, to be read,
never weighed: Emotet sent from real hijacked mailboxes, so SPF/DKIM/DMARC pass for the
attacker's own domain, and a pass must not make a copied name look safe.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from ..config import Config
from ..model import Address, Evidence
from ..parse.auth import summary as auth_summary
from ..parse.types import ParsedMessage
from ..records import record
from ..thread.context import mailing_list
from ..thread.identity import name_keys, org_of, same_org
from .interface import Hit, MessageAnalyzer, MessageContext

_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")
_LIST_ID = re.compile(r"<([^<>\s]{1,255})>")
_VIA = re.compile(r"\svia\s", re.IGNORECASE)
_MAX_SHOWN_ADDRESSES = 5
_MAX_RECIPIENTS = 200  # compared by name; a hostile To: can list thousands


def _auth_facts(message: ParsedMessage) -> tuple[tuple[str, str], ...]:
    # "-" (the catalog's word for an absent fact) when no server recorded any result.
    return (("auth", auth_summary(message.summary.auth) or "-"),)


def display_name_has_address(ctx: MessageContext) -> Iterator[Hit]:
    sender = ctx.message.from_
    if sender is None or not sender.display_name:
        return
    shown_addresses = _ADDRESS.findall(sender.display_name)
    if not any(shown.lower() != sender.addr.lower() for shown in shown_addresses):
        return
    if _relayed(ctx.message, sender):
        return  # a list keeps the author's address in the name it rewrites ("a@b via List")
    for shown in shown_addresses:
        if shown.lower() != sender.addr.lower():
            yield Hit(
                id="sender.display_name_has_address",
                evidence=(
                    Evidence(
                        location=f"{ctx.prefix}header From",
                        excerpt=f"{sender.display_name} <{sender.addr}>",
                        facts=(
                            ("shown_address", shown),
                            ("from_address", sender.addr),
                            *_auth_facts(ctx.message),
                        ),
                    ),
                ),
            )
            return


def _in_domains(domain: str, domains: tuple[str, ...]) -> bool:
    """`domain` is one of `domains` or a subdomain of one (mail.corp.example)."""
    domain = domain.lower().rstrip(".")
    return any(domain == d or domain.endswith("." + d) for d in domains)


def _list_orgs(message: ParsedMessage) -> set[str]:
    """Organisations a mailing list names in List-Id / List-Post (empty when not a list)."""
    orgs: set[str] = set()
    for value in message.header_all("List-Id"):
        found = _LIST_ID.search(value)
        orgs.add(org_of("@" + (found.group(1) if found else value.strip())))
    for value in message.header_all("List-Post"):
        orgs.update(org_of(a) for a in _ADDRESS.findall(value))
    return orgs - {""}


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


def _relayed(message: ParsedMessage, sender: Address) -> bool:
    """A list or service that rewrites From and keeps the author's name ("A via List")."""
    if not _is_list(message):
        return False
    return org_of(sender.addr) in _list_orgs(message) or bool(_VIA.search(sender.display_name))


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
    if not people or _relayed(ctx.message, sender):
        return
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
        emits=("sender.display_name_has_address",),
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
