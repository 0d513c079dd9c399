"""Containers that are recognised but cannot be opened here: reported, never passed as clean."""

from __future__ import annotations

from .interface import Opened, OpenRequest
from .session import Session

_REASONS = {
    "ace": "ACE archives cannot be opened (no maintained ACE decoder exists)",
}


def open_unsupported(request: OpenRequest) -> Opened:
    session = Session(request)
    reason = _REASONS.get(request.kind, f"{request.kind} containers cannot be opened")
    session.unreadable(request.kind, reason, "skipped")
    return session.opened()
