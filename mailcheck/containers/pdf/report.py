"""What the isolated PDF reader is given and returns: small frozen, picklable records.

The bounds travel to the worker with the document; the report travels back with the
embedded files' bytes (each cut at the member bound, all of them at the bytes the scan has
left), the actions and the links, every string already clipped.
"""

from __future__ import annotations

from ...model import AttachmentStatus
from ...records import record
from ..interface import DocumentAction
from ..session import Drained

MAX_TEXT = 300  # characters of a target, name or place taken from the document


@record
class PdfBounds:
    keep: int  # bytes kept of one embedded file (the member bound)
    allowance: int  # bytes counted past `keep`, shared by every file of the document
    ratio: int  # compression ratio past which a file stops being kept (a bomb)
    max_total: int  # bytes of embedded files in all (what the scan's total bound leaves)
    max_files: int  # embedded files read (the archive-members bound)
    max_objects: int  # objects looked at (pages, annotations, fields, actions, tree nodes)
    max_links: int  # distinct addresses kept
    max_script_chars: int  # characters of JavaScript kept, in all
    passwords: tuple[str, ...] = ()  # candidates from the message for a locked document
    max_password_tries: int = 0


@record
class PdfFile:
    """One embedded file: from the /EmbeddedFiles name tree, a file-attachment annotation
    or an action's file specification."""

    name: str  # as the document names it (/UF, /F); display only, never a path
    drained: Drained  # the decoded bytes kept, and what was counted
    packed: int  # bytes stored in the document (encoded)
    claimed: int  # /Params /Size, -1 when absent


@record
class PdfReport:
    # ok; encrypted: no password opened it; broken: no document structure could be read.
    status: AttachmentStatus = "ok"
    reason: str = ""  # why it is encrypted or broken
    password: str = ""  # the message's candidate that opened it ("" when none was needed)
    tried: int = 0  # candidates tried on a locked document
    untried: int = 0  # candidates left over at the tries bound
    files: tuple[PdfFile, ...] = ()
    actions: tuple[DocumentAction, ...] = ()
    links: tuple[str, ...] = ()
    # (bound, detail) for each bound the reading stopped at: max_pdf_objects,
    # max_archive_members, max_total_bytes, max_urls, max_text_chars.
    cut: tuple[tuple[str, str], ...] = ()
    # Objects that could not be read (damaged), first few: their contents were not checked.
    damaged: tuple[str, ...] = ()
    damaged_count: int = 0
