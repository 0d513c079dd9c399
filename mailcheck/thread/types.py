"""What the quoted-thread parser returns (see `quotes.py`)."""

from __future__ import annotations

from ..records import record


@record
class Participant:
    name: str  # display name as quoted ("" when only an address was quoted)
    addr: str  # lower-case address ("" when Outlook quoted only a name)


@record
class QuotedHeader:
    """One quoted message's header block or attribution line."""

    style: str  # e.g. outlook, outlook-ja, gmail, gmail-ja, thunderbird-ja, apple, forward, html
    sender: Participant | None
    recipients: tuple[Participant, ...]  # To and Cc of the quoted message
    subject: str
    date: str
    line: int  # 1-based line of the body where the block starts
    excerpt: str  # the block's first line(s) as written, for evidence
    forwarded: bool  # a forwarded-message block, not a reply quote
    # The mailbox that sent on the sender's behalf ("A on behalf of B", "A が B の代理で送信"):
    # a shared mailbox replying later is a participant too.
    delegate: Participant | None = None


@record
class ThreadSplit:
    new_text: str  # what the sender wrote in this message
    quoted_text: str  # the quoted history
    headers: tuple[QuotedHeader, ...]  # every quoted header found, top to bottom
    quoted: bool  # quoted history is present (separators, '>' lines, HTML quote blocks)
    # People the quoted messages greet ("Hi Mark,", "高橋様") and the names they are signed
    # with ("Thanks, / Alice"), titles and honorifics removed: the audience an attribution
    # line leaves out.
    greeted: tuple[str, ...] = ()
    signed: tuple[str, ...] = ()

    @property
    def participants(self) -> tuple[Participant, ...]:
        """Senders and recipients of every quoted message, without duplicates."""
        seen: dict[tuple[str, str], Participant] = {}
        for header in self.headers:
            people = tuple(p for p in (header.sender, header.delegate) if p) + header.recipients
            for person in people:
                seen.setdefault((person.name, person.addr), person)
        return tuple(seen.values())
