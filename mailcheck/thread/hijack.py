"""Does this message really continue the conversation it quotes?

Emotet replied to stolen threads from unrelated hijacked mailboxes, often under the name of
someone in the thread. Given a parsed message and its split quoted history, `judge` returns
the hits that say so, or the weaker signs (a reply without threading headers, a quote that
could not be read). It emits at most one of the two identity findings (a participant's name
on another address, a sender outside the thread): they describe one fact, and each carries
enough score on its own to make any attachment payload trait malicious. A display name that
shows another organisation's address is `sender.display_name_has_address`'s: when that
address or the name is a participant's, this module gives that finding its evidence
(`shown_address_evidence`) and reports nothing of its own, so one trick is one finding.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..config import Config
from ..model import Address, Evidence, Hit
from ..parse.types import ParsedMessage
from ..people.identity import (
    FREEMAIL,
    brand,
    brands,
    is_freemail,
    name_keys,
    names_match,
    org_of,
)
from ..people.mail_kind import (
    Context,
    auto_reply_text,
    automated_address,
    bare_subject,
    describe,
    list_address,
    password_notice,
    quoted_from_list,
)
from ..records import record
from .audience import bulletin, has_payload, internal_only, named_in_quote, thread_orgs
from .display import Shown, relayed_for, shown_address
from .parties import People, person_text
from .types import Participant, QuotedHeader, ThreadSplit


@record
class Quote:
    """The quoted history of one body part, and where that part is."""

    split: ThreadSplit
    location: str  # e.g. "part 1", "part 1.2"


def _reply_headers(split: ThreadSplit) -> tuple[QuotedHeader, ...]:
    return tuple(h for h in split.headers if not h.forwarded)


def _in_thread(message: ParsedMessage, people: People, ctx: Context) -> bool:
    sender = message.from_
    assert sender is not None
    if people.by_address(sender.addr):
        return True
    # A participant writing through a privacy relay that spells their address out.
    if relayed_for(sender.addr, (p.addr for p in people.addressed)):
        return True
    # A shared mailbox or assistant sending on behalf of a participant (Sender header).
    if message.sender and people.by_address(message.sender.addr):
        return True
    if _system_of(sender, ctx, people.addressed):
        return True
    # Outlook quotes colleagues by name only: a name match is all the evidence there is, and
    # it is enough unless every participant is an unaddressed insider and the sender is not.
    name_only_thread = not people.addressed
    if any(names_match(sender.display_name, p.name) for p in people.named_only):
        return not (
            name_only_thread
            and people.internal
            and not people.is_internal(sender.addr)
            and org_of(sender.addr) not in people.trusted
        )
    return name_only_thread and people.is_internal(sender.addr)


def _system_of(sender: Address, ctx: Context, people: Iterable[Participant]) -> bool:
    """A ticketing or no-reply system of a participant's organisation: support@acme.zendesk.com
    answering a thread with someone @acme.co.jp."""
    if not (ctx.ticketing or automated_address(sender.addr)) or is_freemail(sender.addr):
        return False
    theirs = {brand(org_of(p.addr)) for p in people if p.addr and not is_freemail(p.addr)}
    return bool(theirs & brands(sender.addr))


def _impersonated(
    message: ParsedMessage, people: People, ctx: Context, split: ThreadSplit | None
) -> Participant | None:
    """A participant whose name the sender carries from an address not theirs."""
    sender = message.from_
    assert sender is not None
    keys = name_keys(sender.display_name)
    if not keys or any(p.addr.lower() == sender.addr.lower() for p in people.addressed):
        return None
    for person in people.addressed:
        if (
            keys & name_keys(person.name)
            and not people.same_party(sender.addr, person)
            and not _system_of(sender, ctx, (person,))
        ):
            return person
    named = next((p for p in people.listed_by_name if keys & name_keys(p.name)), None)
    if named is not None and split is not None and _unrelated(message, people, split):
        return named
    return None


def _unrelated(message: ParsedMessage, people: People, split: ThreadSplit) -> bool:
    """The sender's address is of no organisation the thread or the message knows: not of a
    quoted address, a recipient, an internal or trusted domain, nor free mail or a relay
    (where a person's own name on a new address is common). What a participant quoted by
    name alone must show to be judged by name."""
    sender = message.from_
    assert sender is not None
    org = org_of(sender.addr)
    if is_freemail(sender.addr) or org in people.internal or org in people.trusted:
        return False
    if relayed_for(sender.addr, (p.addr for p in people.addressed)):
        return False
    if people.config.knows_address(sender.addr):
        return False  # a configured correspondent's address is nobody unrelated
    recipients = {org_of(a.addr) for a in (*message.summary.to, *message.summary.cc)}
    return org not in thread_orgs(split) | recipients


def _where(split: ThreadSplit, person: Participant) -> QuotedHeader:
    """The quoted header that names `person` (the first one, for the evidence)."""
    named = (h for h in split.headers if person in (h.sender, h.delegate, *h.recipients))
    return next(named, split.headers[0])


def _from_evidence(prefix: str, sender: Address, *facts: tuple[str, str]) -> Evidence:
    return Evidence(
        location=f"{prefix}header From",
        excerpt=person_text(sender),
        facts=(("from_name", sender.display_name or "-"), ("from_address", sender.addr), *facts),
    )


def _quote_evidence(prefix: str, quote: Quote, header: QuotedHeader) -> Evidence:
    return Evidence(
        location=f"{prefix}{quote.location}",
        excerpt=header.excerpt[:300],
        facts=(("quoted_line", str(header.line)), ("quoted_style", header.style)),
    )


def _identity(
    message: ParsedMessage,
    quote: Quote | None,
    ctx: Context,
    config: Config,
    prefix: str,
    shown: str,
) -> Hit | None:
    sender = message.from_
    assert sender is not None
    if quote is None or not quote.split.headers or ctx.exempt:
        return None
    split = quote.split
    people = People.of(split, config)
    headers = _reply_headers(split)
    first = (headers or split.headers)[0]
    subject = first.subject or bare_subject(message.subject) or "-"
    # Every quoted block counts, forwarded ones too (a reply to a forward). A forward itself
    # is exempt: people forward their own mail between their own accounts all the time
    # ("FW:" from work of a mail they sent from home), and that is not this conversation.
    copied = None if ctx.subject == "forward" else _impersonated(message, people, ctx, split)
    if shown and (copied is not None or people.by_address(shown)):
        # The name claims someone of the thread (their name, their address or their
        # organisation's): sender.display_name_has_address says so, with this as evidence.
        return None
    if copied is not None:
        return Hit(
            id="thread.display_name_impersonates_participant",
            # Quoted by name alone, the participant's real address is unknown.
            confidence="high" if copied.addr else "medium",
            evidence=(
                _from_evidence(
                    prefix,
                    sender,
                    ("participant", person_text(copied)),
                    ("participant_address", copied.addr or "-"),
                    ("quoted_subject", subject),
                    ("participants", people.listing()),
                ),
                _quote_evidence(prefix, quote, _where(split, copied)),
            ),
        )
    audience = _audience(message, quote, ctx, people)
    if audience is None:
        return None
    if any(list_address(r.addr) for h in split.headers for r in h.recipients if r.addr):
        return None  # sent to a list: every subscriber was in the audience
    if quoted_from_list((h.excerpt for h in split.headers), split.quoted_text):
        return None
    if _in_thread(message, people, ctx) or _known_to_thread(message, people, split):
        return None
    return Hit(
        id="thread.sender_not_in_thread",
        confidence="high" if people.addressed else "medium",
        evidence=(
            _from_evidence(
                prefix, sender, ("participants", people.listing()), ("quoted_subject", subject)
            ),
            _quote_evidence(prefix, quote, audience),
        ),
    )


def _audience(
    message: ParsedMessage, quote: Quote, ctx: Context, people: People
) -> QuotedHeader | None:
    """The quoted header the sender should have been part of, or None when the thread
    check does not speak.

    A reply whose newest quoted header lists recipients (Outlook's block) has a known
    audience. An attribution line ("On …, Alice wrote:") names nobody Alice wrote to, and
    a forward legitimately comes from outside the forwarded thread: there the check speaks
    only when the message carries something to open (an attachment, a link), which is what
    a hijacker sends, and a forward only when it goes back to the thread's own people (a
    genuine one brings the thread to someone new). A forwarded newsletter or notice is
    never a conversation.
    """
    split = quote.split
    headers = _reply_headers(split)
    if ctx.subject == "forward":
        if not has_payload(message, split.new_text) or bulletin(split) or internal_only(message):
            return None
        # A forward brings a thread to someone new; a hijacker sends it back to the
        # people in it (the contacts of the mailbox it was stolen from).
        recipients = (*message.summary.to, *message.summary.cc)
        if not any(people.by_address(r.addr) for r in recipients if r.addr):
            return None
        return split.headers[0]
    if not (ctx.subject == "reply" or (ctx.threaded and ctx.subject is None)) or not headers:
        return None
    if headers[0].recipients:
        return headers[0]
    # Only for what says it is a reply ("RE:"): a threaded message without the marker is
    # the list software's or an old client's habit, not a hijacker's.
    if ctx.subject != "reply" or internal_only(message):
        return None
    # With nothing to open, only a quote that says whom it was written to (it greets
    # someone) tells that the sender is not the one who should answer, and only from an
    # address no recipient's organisation, free mail or relay explains: group threads
    # where a newcomer quotes the last author and adds a view are everyday mail.
    if not has_payload(message, split.new_text) and not (
        split.greeted and _unrelated(message, people, split)
    ):
        return None
    return headers[0]


def _known_to_thread(message: ParsedMessage, people: People, split: ThreadSplit) -> bool:
    """The sender is someone the quoted text greets or signs as (`Hi Bob,` / `Bob Chen`),
    a participant by name when forwarding, or of an organisation whose address appears
    anywhere in the quote (a signature, a forwarded header)."""
    sender = message.from_
    assert sender is not None
    if named_in_quote(sender.display_name, (*split.greeted, *split.signed)):
        return True
    if any(names_match(sender.display_name, p.name) for p in people.people if p.name):
        return True  # forwarding one's own mail from another account, a participant's alias
    return not is_freemail(sender.addr) and org_of(sender.addr) in thread_orgs(split)


def shown_address_evidence(
    message: ParsedMessage, quote: Quote | None, shown: str, config: Config, prefix: str
) -> tuple[tuple[tuple[str, str], ...], tuple[Evidence, ...]]:
    """What the thread and the recipients tell about an address of another organisation
    shown in the From display name: facts for the From evidence, and the quoted header.

    The quoted participant it (or the name beside it) belongs to, and `matched`: that
    participant's address, or the organisation of a participant, of the recipient or an
    internal one the address is of (a stranger showing a colleague's address). Empty when
    it is nobody the mail knows.
    """
    sender = message.from_
    assert sender is not None
    shown = shown.lower()
    ctx = describe(message)
    split = quote.split if quote is not None and not ctx.exempt else None
    people = People.of(split, config) if split else People((), config)
    person = next((p for p in people.addressed if p.addr == shown), None)
    if person is None and ctx.subject != "forward":
        person = _impersonated(message, people, ctx, split)
    facts: list[tuple[str, str]] = []
    evidence: tuple[Evidence, ...] = ()
    if person is not None and split is not None and quote is not None:
        first = (_reply_headers(split) or split.headers)[0]
        facts += [
            ("participant", person_text(person)),
            ("participant_address", person.addr),
            ("quoted_subject", first.subject or "-"),
            ("participants", people.listing()),
        ]
        evidence = (_quote_evidence(prefix, quote, _where(split, person)),)
    recipient_orgs = {org_of(a.addr) for a in message.summary.to} - FREEMAIL
    if person is not None and person.addr == shown:
        facts.append(("matched", shown))
    elif people.by_address(shown) or org_of(shown) in recipient_orgs or people.is_internal(shown):
        facts.append(("matched", org_of(shown)))
    return tuple(facts), evidence


def claimed_shown(
    shown: Shown, message: ParsedMessage, quote: Quote | None, config: Config
) -> Shown:
    """`shown` as the checks treat it: a relay recognised only by its shape (display.
    relay_shape) is no excuse when the address it shows, or the name beside it, is a quoted
    participant's, a known correspondent's, or of the recipient's or an internal
    organisation: then it is the trick again ("foreign")."""
    if not shown.by_shape:
        return shown
    address = shown.address.lower()
    known = config.knows_address(address)
    facts, _ = shown_address_evidence(message, quote, address, config, "")
    if known or any(key in ("participant", "matched") for key, _ in facts):
        return Shown(address=shown.address, kind="foreign")
    return shown


def foreign_shown_address(message: ParsedMessage, quote: Quote | None, config: Config) -> str:
    """The address of another organisation the display name shows (the trick), or "": as
    `claimed_shown` treats it, so a relay's shape alone excuses nobody known."""
    shown = shown_address(message)
    if shown is not None:
        shown = claimed_shown(shown, message, quote, config)
    return shown.address if shown is not None and shown.kind == "foreign" else ""


def _fake_reply(message: ParsedMessage, ctx: Context, text: str, prefix: str) -> Hit | None:
    if ctx.subject != "reply" or ctx.threaded or ctx.exempt or ctx.ticketing:
        return None
    if password_notice(message, text) or auto_reply_text(message.subject, text):
        return None
    # A .msg saved without transport headers lost In-Reply-To with them.
    if any(d.code == "no_transport_headers" for d in message.defects):
        return None
    return Hit(
        id="thread.fake_reply",
        confidence="medium",
        evidence=(
            Evidence(
                location=f"{prefix}header Subject",
                excerpt=message.subject[:200],
                facts=(("subject", message.subject[:200]),),
            ),
        ),
    )


def _quote_unparsed(quote: Quote | None, ctx: Context, prefix: str) -> Hit | None:
    if quote is None or not quote.split.quoted or ctx.exempt or ctx.subject == "forward":
        return None
    if ctx.subject != "reply" and not ctx.threaded:
        return None
    if any(h.sender or h.recipients for h in quote.split.headers):
        return None
    first = next((line for line in quote.split.quoted_text.splitlines() if line.strip()), "")
    return Hit(
        id="thread.quote_unparsed",
        confidence="low",
        evidence=(
            Evidence(
                location=f"{prefix}{quote.location}",
                excerpt=first[:200],
                facts=(("location", f"{prefix}{quote.location}"),),
            ),
        ),
    )


def judge(
    message: ParsedMessage, quote: Quote | None, config: Config, prefix: str = ""
) -> list[Hit]:
    """Every thread finding for one message (`prefix` names a nested message's place)."""
    if message.from_ is None or not message.from_.addr:
        return []
    ctx = describe(message)
    text = quote.split.new_text if quote else (message.bodies[0].text if message.bodies else "")
    shown = foreign_shown_address(message, quote, config)
    identity = _identity(message, quote, ctx, config, prefix, shown)
    hits = [identity] if identity is not None else []
    # The weak sign only speaks when nothing stronger did: an identity finding (this
    # module's, or the sender check's on a display name showing another address) already
    # explains the message, and a second reason to distrust the sender adds only noise.
    if not hits and not shown:
        weak = _fake_reply(message, ctx, text, prefix)
        if weak is not None:
            hits.append(weak)
    unparsed = _quote_unparsed(quote, ctx, prefix)
    if unparsed is not None:
        hits.append(unparsed)
    return hits
