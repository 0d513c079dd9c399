"""Password candidates for encrypted archives, harvested from the subject and body.

STUB: the harvesting rules are being written; returns nothing for now.
"""

from __future__ import annotations

from collections.abc import Sequence

MAX_CANDIDATES = 20


def candidates(subject: str, texts: Sequence[str]) -> tuple[str, ...]:
    """Distinct password candidates, most likely first, at most MAX_CANDIDATES."""
    return ()
