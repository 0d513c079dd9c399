"""What a container opener receives and returns."""

from __future__ import annotations

from collections.abc import Callable

from ..limits import Budget
from ..model import AttachmentStatus, Hit
from ..records import record


@record
class OpenRequest:
    data: bytes
    kind: str  # the sniffed kind that selected the opener
    path: str  # the container's attachment path, e.g. "2/invoice.zip"
    passwords: tuple[str, ...]  # candidates harvested from the message, best first
    budget: Budget
    depth: int  # nesting depth of the container itself

    @property
    def location(self) -> str:
        return f"attachment {self.path}"


@record
class Member:
    name: str  # as stored in the container: display only, never a file-system path
    data: bytes  # read with a bound; never more than the budget allowed
    truncated: bool = False  # the read stopped at a bound
    skipped: bool = False  # a bound kept it closed: listed by name, never read


@record
class Opened:
    # ok: every member read; encrypted: could not be opened (no password fitted);
    # broken: malformed; truncated: some members were cut or left out at a bound.
    status: AttachmentStatus
    members: tuple[Member, ...] = ()
    # Findings about the container itself (which password opened it, zip-slip names,
    # inflated members...), with evidence located at `OpenRequest.location`.
    hits: tuple[Hit, ...] = ()


Opener = Callable[[OpenRequest], Opened]
