"""Reply-hijack checks: a message that continues a quoted thread from outside it.

The decisions live in `thread/hijack.py`; this module picks the body to read, splits its
quoted history with `thread/quotes.py` and hands both over.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..parse.types import ParsedMessage
from ..thread.hijack import Quote, judge
from ..thread.quotes import split_thread
from .interface import Hit, MessageAnalyzer, MessageContext

# The quoted headers that matter sit near the top of a reply; a huge body gains nothing.
_MAX_CHARS = 200_000
# A reply's own text is its first plain and its first HTML body; splitting every one of
# hundreds of text parts would let a crafted message take minutes.
_BODIES_READ = 2


def read_quote(message: ParsedMessage) -> Quote | None:
    """The quoted history of the first body that has one (plain text before HTML)."""
    first: dict[str, object] = {}
    for body in message.bodies:
        if body.mime_type in ("text/plain", "text/html"):
            first.setdefault(body.mime_type, body)
    bodies = sorted(
        (b for b in message.bodies if first.get(b.mime_type) is b),
        key=lambda b: b.mime_type != "text/plain",
    )[:_BODIES_READ]
    fallback: Quote | None = None
    for body in bodies:
        split = split_thread(body.text[:_MAX_CHARS], html=body.mime_type == "text/html")
        quote = Quote(split=split, location=f"part {body.location}")
        if split.headers:
            return quote
        if fallback is None or (split.quoted and not fallback.split.quoted):
            fallback = quote
    return fallback


def check_thread(ctx: MessageContext) -> Iterator[Hit]:
    message = ctx.message
    if message.from_ is None:
        return
    yield from judge(message, ctx.quote, ctx.config, ctx.prefix)


ANALYZERS = (
    MessageAnalyzer(
        name="thread.hijack",
        emits=(
            "thread.sender_not_in_thread",
            "thread.display_name_impersonates_participant",
            "thread.fake_reply",
            "thread.quote_unparsed",
        ),
        run=check_thread,
    ),
)
