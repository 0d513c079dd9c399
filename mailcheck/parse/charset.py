"""Turning message bytes into text: declared charsets, mislabelled ones, Japanese variants.

STUB: signatures only, implementation in progress.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class DecodedText:
    text: str
    charset: str  # the codec that actually decoded the bytes
    mislabelled: bool = False  # the declared charset was wrong or unknown
    lossy: bool = False  # some bytes could not be decoded and were replaced


def decode_bytes(data: bytes, declared: str | None) -> DecodedText:
    """Decode body or parameter bytes, trusting `declared` only when it fits the bytes."""
    text = data.decode("utf-8", "replace")
    return DecodedText(text=text, charset="utf-8")


def decode_header_value(raw: str) -> tuple[str, tuple[str, ...]]:
    """Decode an unfolded raw header value (RFC 2047 words, raw 8-bit as surrogate escapes).

    Returns the text and a tuple of problem codes (empty when the value was clean).
    """
    return raw, ()
