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
from collections.abc import Iterator, Sequence

from ..config import Config
from ..model import Address, AuthResult, Evidence
from ..parse.auth import arc_recorded, receiving_results
from ..parse.auth import summary as auth_summary
from ..parse.headers import parse_addresses
from ..parse.types import ParsedMessage
from ..people.identity import domain_of, is_freemail, name_keys, org_of, organisation, same_org
from ..people.mail_kind import mailing_list
from ..records import record
from ..thread.display import list_rewrite, shown_address
from ..thread.hijack import claimed_shown, shown_address_evidence
from .interface import Hit, MessageAnalyzer, MessageContext

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
    quote = ctx.quote if shown.kind == "foreign" or shown.by_shape else None
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


def _in_domains(domain: str, domains: Sequence[str]) -> bool:
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
        # Free mail is anyone's: replies diverted to one are how a fraudster keeps the
        # conversation, and weigh beside a payload trait (kind "corroboration").
        freemail = is_freemail(reply_to.addr)
        yield Hit(
            id="sender.reply_to_freemail" if freemail else "sender.reply_to_mismatch",
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


def _detail_domain(detail: str) -> str:
    """The domain of a result's property: header.d=example.com, header.i=@mail.example.com."""
    value = detail.partition("=")[2].strip().lower()
    return domain_of(value) if "@" in value else value.strip(".")


def auth_failure(results: tuple[AuthResult, ...], from_domain: str) -> str:
    """What failed for the From domain, in the server's words ("dmarc=fail", "spf=fail
    dkim=none"), or "": DMARC failed, or SPF failed and no DKIM signature of the From
    domain's organisation passed (a forward breaks SPF, not an aligned signature)."""
    if any(r.method == "dmarc" and r.result == "fail" for r in results):
        return "dmarc=fail"
    if not any(r.method == "spf" and r.result == "fail" for r in results):
        return ""
    org = organisation(from_domain)
    dkim = [r for r in results if r.method == "dkim"]
    if any(r.result == "pass" and organisation(_detail_domain(r.detail)) == org for r in dkim):
        return ""
    words = dict.fromkeys(f"dkim={r.result}" for r in dkim) or {"dkim=none": None}
    return " ".join(("spf=fail", *words))


def arc_vouched(
    message: ParsedMessage,
    results: tuple[AuthResult, ...],
    from_domain: str,
    sealers: Sequence[str],
) -> str:
    """The trusted forwarder whose ARC record says the From domain passed before it forwarded
    the message, or "": our server verified the chain (`arc=pass`), the sealer is one of
    `sealers` (or a host under one), and it recorded dmarc=pass or a passing DKIM signature
    of the From's organisation. A forward through such a service breaks SPF and DMARC at our
    server without any forgery."""
    if not sealers or not any(r.method == "arc" and r.result == "pass" for r in results):
        return ""
    org = organisation(from_domain)
    for sealer, recorded in arc_recorded(message.headers).items():
        if not _in_domains(sealer, sealers):
            continue
        for r in recorded:
            aligned = organisation(_detail_domain(r.detail)) == org if r.detail else True
            if (
                r.result == "pass"
                and aligned
                and (r.method == "dmarc" or (r.method == "dkim" and r.detail))
            ):
                return sealer
    return ""


def _copied(ctx: MessageContext, sender: Address) -> str:
    """The known address or name the From copies, or "": a quoted participant's or a known
    correspondent's exact address, an internal or trusted domain's, or their name."""
    config = ctx.config
    addr = sender.addr.lower()
    if config.knows_address(addr):
        return addr
    if _in_domains(sender.domain, config.internal_domains + config.trusted_domains):
        return addr
    quote = ctx.quote
    participants = quote.split.participants if quote is not None else ()
    if any(p.addr == addr for p in participants):
        return addr
    keys = name_keys(sender.display_name) if sender.display_name else frozenset()
    if not keys:
        return ""
    names = (*(p.name for p in config.known_correspondents), *(p.name for p in participants))
    return next((name for name in names if name and keys & name_keys(name)), "")


def spoofed_address(ctx: MessageContext) -> Iterator[Hit]:
    """Our receiving server says the From domain failed authentication, and the From copies
    someone the reader knows: forged, not merely sent from a stranger's hijacked mailbox.

    Only the receiving server's results count (`receiving_results`: the first header of a
    configured authserv-id, else the topmost); a pass, a missing header, a failure on a
    sender nobody knows and mailing lists (which break DMARC honestly) say nothing here.
    """
    message = ctx.message
    sender = message.from_
    if ctx.prefix or sender is None or "@" not in sender.addr or _is_list(message):
        return  # an attached message's headers were written elsewhere
    results = receiving_results(message.headers, ctx.config.authserv_ids)
    failed = auth_failure(results, sender.domain)
    if not failed or arc_vouched(message, results, sender.domain, ctx.config.arc_sealers):
        return
    copied = _copied(ctx, sender)
    if not copied:
        return
    server = results[0].authserv_id or "-"
    summary = auth_summary(results)
    yield Hit(
        id="sender.spoofed_address",
        evidence=(
            Evidence(
                location=f"{ctx.prefix}header From",
                excerpt=f"{sender.display_name} <{sender.addr}>".strip(),
                facts=(
                    ("from_name", sender.display_name or "-"),
                    ("from_address", sender.addr),
                    ("copied", copied),
                    ("failed", failed),
                    ("server", server),
                    ("auth", summary or "-"),
                ),
            ),
            Evidence(
                location=f"{ctx.prefix}header Authentication-Results",
                excerpt=summary[:300],
                facts=(("server", server), ("failed", failed)),
            ),
        ),
    )


def multiple_from(ctx: MessageContext) -> Iterator[Hit]:
    """More than one From mailbox (one header listing two, or two headers): mail clients show
    the first, while the others may be what a filter or a reply reads."""
    message = ctx.message
    raws = [h.raw for h in message.headers if h.name.lower() == "from"][:_MAX_SHOWN_ADDRESSES]
    mailboxes = [a for raw in raws for a in parse_addresses(raw)]
    addresses = list(dict.fromkeys(a.addr.lower() for a in mailboxes))
    if len(addresses) < 2:
        return
    shown = ", ".join(addresses[1:_MAX_SHOWN_ADDRESSES])
    yield Hit(
        id="sender.multiple_from",
        evidence=(
            Evidence(
                location=f"{ctx.prefix}header From",
                excerpt=" / ".join(raws)[:300],
                facts=(
                    ("from_address", mailboxes[0].addr),
                    ("other_addresses", shown),
                    ("headers", str(len(raws))),
                    *_auth_facts(message),
                ),
            ),
        ),
    )


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
        emits=("sender.reply_to_mismatch", "sender.reply_to_freemail"),
        run=reply_to_mismatch,
    ),
    MessageAnalyzer(
        name="sender.authentication",
        emits=("sender.spoofed_address",),
        run=spoofed_address,
    ),
    MessageAnalyzer(
        name="sender.from_mailboxes",
        emits=("sender.multiple_from",),
        run=multiple_from,
    ),
)
