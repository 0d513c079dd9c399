"""What a container opener receives and returns."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..limits import Budget
from ..model import AttachmentStatus, Hit
from ..records import record

if TYPE_CHECKING:  # the engine's module is loaded only by openers that need its worker
    from ..engine import Engine


@record
class OpenRequest:
    data: bytes
    kind: str  # the sniffed kind that selected the opener
    path: str  # the container's attachment path, e.g. "2/invoice.zip"
    passwords: tuple[str, ...]  # candidates harvested from the message, best first
    budget: Budget
    depth: int  # nesting depth of the container itself
    # The isolated worker for parsers that can hang on hostile input (PDF); None: the
    # process-wide default engine.
    engine: Engine | None = None

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
class DocumentAction:
    """Something a document does by itself or on a click (a PDF's /Launch, /JavaScript, /URI,
    /SubmitForm... actions). Openers read them; analyzers judge them."""

    kind: str  # launch, javascript, uri, submit_form, import_data, goto_remote, goto_embedded
    # open: by itself when the document or a page opens (/OpenAction, a page's /AA /O);
    # load: the document's own scripts, run as it loads (a PDF's JavaScript name tree, XFA
    # form scripts), where forms keep their functions; event: closing, saving or printing,
    # a form field's events, the pointer over an annotation; click: a link or a button.
    trigger: str
    where: str  # the place that holds it, in the format's terms ("OpenAction", "page 1 /AA /O")
    target: str = ""  # the program, file, address or share it names (clipped)
    script: str = ""  # JavaScript source, bounded


@record
class Opened:
    # ok: every member read; encrypted: could not be opened (no password fitted);
    # broken: malformed; truncated: some members were cut or left out at a bound.
    status: AttachmentStatus
    members: tuple[Member, ...] = ()
    # Findings about the container itself (which password opened it, zip-slip names,
    # inflated members...), with evidence located at `OpenRequest.location`.
    hits: tuple[Hit, ...] = ()
    # Documents that are files in their own right (PDF) and hold links and actions: the
    # addresses a click or the document itself opens (judged with the message's links)
    # and the actions (judged by the attachment's analyzers).
    links: tuple[str, ...] = ()
    actions: tuple[DocumentAction, ...] = ()


Opener = Callable[[OpenRequest], Opened]
