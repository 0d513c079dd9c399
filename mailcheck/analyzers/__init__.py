"""The registered analyzers, in the order they run. Adding one: a module plus a line here."""

from __future__ import annotations

from . import attachment_type, links, office, parsing, payloads, ppap, reply_hijack, sender
from .interface import Analyzer, AttachmentAnalyzer, MessageAnalyzer

ANALYZERS: tuple[Analyzer, ...] = (
    *parsing.ANALYZERS,
    *sender.ANALYZERS,
    *reply_hijack.ANALYZERS,
    *links.ANALYZERS,
    *attachment_type.ANALYZERS,
    *office.ANALYZERS,
    *payloads.ANALYZERS,
    *ppap.ANALYZERS,
)

__all__ = ["ANALYZERS", "Analyzer", "AttachmentAnalyzer", "MessageAnalyzer"]
