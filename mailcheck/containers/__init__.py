"""Containers: archives and wrappers whose members are analysed like attachments.

Each opener handles some sniffed kinds and returns the members it could read, bounded by
the scan's `Budget`. Adding a format is one module plus a line in `OPENERS`.
"""

from __future__ import annotations

from .interface import Member, Opened, Opener, OpenRequest

OPENERS: dict[str, Opener] = {}

__all__ = ["OPENERS", "Member", "OpenRequest", "Opened", "Opener"]
