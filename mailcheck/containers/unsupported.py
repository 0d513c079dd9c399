"""Containers that are recognised but cannot be opened here: reported, never passed as clean."""

from __future__ import annotations

from .interface import Opened, OpenRequest
from .session import Session

_REASONS = {
    "rar": "RAR archives cannot be opened (no RAR decoder is available)",
    "cab": "Cabinet archives cannot be opened (no CAB decoder is available)",
}


def open_unsupported(request: OpenRequest) -> Opened:
    session = Session(request)
    reason = _REASONS.get(request.kind, f"{request.kind} containers cannot be opened")
    session.unreadable(request.kind, reason, "skipped")
    return session.opened()
