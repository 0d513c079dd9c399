"""A locked archive whose password, the message says, comes in another mail.

Emotet and the campaigns after it sent password-protected ZIPs with "the password follows
in a separate mail", the way Japanese business mail (PPAP) does, so that no filter could
open the archive or pair it with its password. On its own this is everyday business mail;
it is a trait that weighs with the names inside and with who sent it.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Evidence
from .interface import Hit, MessageAnalyzer, MessageContext

_LOCKED_KINDS = frozenset({"zip-encrypted"})


def password_elsewhere(ctx: MessageContext) -> Iterator[Hit]:
    if ctx.prefix:  # an attached message's promise is not this message's
        return
    message = ctx.message
    locked = [i for i in ctx.items if i.depth == 0 and i.sniffed.kind in _LOCKED_KINDS]
    if not locked:
        return
    from ..containers.passwords import candidates, promised_elsewhere  # only for locked mail

    texts = [body.text for body in message.bodies]
    if candidates(message.subject, texts, [i.filename for i in locked]):
        return  # a password is in the message after all: the archive was tried with it
    line = promised_elsewhere([message.subject, *texts])
    if not line:
        return
    archive = locked[0]
    facts = (("attachment", archive.path), ("line", line))
    yield Hit(
        id="attachment.password_sent_separately",
        evidence=(Evidence(location=archive.location, excerpt=line, facts=facts),),
    )


ANALYZERS = (
    MessageAnalyzer(
        name="attachment.password_elsewhere",
        emits=("attachment.password_sent_separately",),
        run=password_elsewhere,
    ),
)
