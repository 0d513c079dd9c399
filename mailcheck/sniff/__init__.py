"""Content-type detection from bytes alone.

Attachment names and declared Content-Types are attacker-controlled, so analyzers choose what to
inspect from `sniff(data)` and report disagreements via `extension_matches` / `declared_matches`.
Sniffing reads a bounded prefix plus zip/OLE directory metadata, never decompresses, never raises.
"""

from __future__ import annotations

from .binary import OLE_MAGIC, _sniff_binary
from .declared import declared_matches, extension_matches
from .kinds import Sniffed, _mk
from .text import _sniff_text

__all__ = ["OLE_MAGIC", "Sniffed", "declared_matches", "extension_matches", "sniff"]


def sniff(data: bytes, *, scripts: bool = True) -> Sniffed:
    """Classify `data` by content only. Never raises; unrecognised input is "unknown".

    `scripts=False` skips telling scripts from prose in plain text: a message's own body
    text is shown, never run, so only attachments pay for that."""
    try:
        if not isinstance(data, bytes):
            data = bytes(data)
        if not data:
            return _mk("empty")
        found = _sniff_binary(data) or _sniff_text(data, scripts)
        # Readers accept "%PDF-" anywhere in the first KiB, so junk-prefixed PDFs are PDFs.
        if (found is None or found.kind == "text") and data.find(b"%PDF-", 0, 1024) >= 0:
            return _mk("pdf")
        return found or _mk("unknown")
    except Exception:  # a detector bug must degrade to "unknown", never abort the scan
        return _mk("unknown")
