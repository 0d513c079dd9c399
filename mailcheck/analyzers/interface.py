"""What an analyzer is: a named function with a scope and the finding ids it may emit.

`Hit` (re-exported here) is what it returns; the runner turns hits into findings.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable

from ..config import Config
from ..engine import Engine
from ..extract import Item
from ..limits import Limits
from ..model import Hit

__all__ = [
    "AttachmentAnalyzer",
    "AttachmentContext",
    "Hit",
    "MessageAnalyzer",
    "MessageContext",
]
from ..parse.types import ParsedMessage
from ..records import record
from ..thread.hijack import Quote


@record
class MessageContext:
    message: ParsedMessage
    prefix: str  # "" for the scanned message, "attachment 2/fwd.eml: " for a nested one
    items: tuple[Item, ...]  # the whole attachment tree of the scan
    config: Config
    limits: Limits
    # The message's quoted history (`reply_hijack.read_quote`), read once for every analyzer
    # that weighs the thread; None without a From or a body that quotes anything.
    quote: Quote | None


@record
class AttachmentContext:
    item: Item
    config: Config
    limits: Limits
    # Isolated worker and sha256-keyed cache for slow or hang-prone third-party analysis.
    engine: Engine


@record
class MessageAnalyzer:
    name: str
    emits: tuple[str, ...]
    run: Callable[[MessageContext], Iterable[Hit]]


@record
class AttachmentAnalyzer:
    name: str
    emits: tuple[str, ...]
    run: Callable[[AttachmentContext], Iterable[Hit]]
    # Only items whose sniffed kind is in this set are offered; empty means all. Body parts
    # (the message's own text and HTML) are never offered.
    kinds: frozenset[str] = frozenset()


Analyzer = MessageAnalyzer | AttachmentAnalyzer


def deferred(module: str, function: str) -> Callable[[AttachmentContext], Iterable[Hit]]:
    """A run function imported when an attachment of its kinds first appears: a scan of
    plain mail never loads the Office, shortcut or OneNote analyzers."""
    found: list[Callable[[AttachmentContext], Iterable[Hit]]] = []

    def run(ctx: AttachmentContext) -> Iterable[Hit]:
        if not found:
            found.append(getattr(importlib.import_module(module), function))
        return found[0](ctx)

    return run
