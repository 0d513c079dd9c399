"""Objects and documents embedded in an OOXML package: each is a member.

Word, Excel and PowerPoint keep what is embedded in a document as parts of its package
(`word/embeddings/oleObject1.bin`, `xl/embeddings/Microsoft_Word_Document.docx`): OLE
objects (a Package object carrying a file, an Excel 97 sheet, an equation), whole
documents. Each is opened as a member named by its part (`2/invoice.docx/oleObject1.bin`),
so that it is analysed like an attachment: a sheet's macros, a Package's file (the
Office analysis opens `oleObject1.bin` in turn, see `analyzers/office/embedded.py`).
The document itself stays one file to analyse. Flat OPC files (one XML file) are rebuilt
as their zip first, but only when they name an embedding at all.

The package's hyperlinks (external relationships of type `hyperlink`: a Word link, a cell's
link, a slide's) are handed over as the document's links, judged with the message's own:
a document whose only content is a link to a ZIP on a hacked site, or to `search-ms:`, is
the same trick as that link in the body.
"""

from __future__ import annotations

import html
import io
import re
import zipfile

from ..records import replace
from .flat_opc import is_embedding, is_flat_opc, rebuild
from .interface import Opened, OpenRequest
from .session import Session

_RELATIONSHIP = re.compile(rb"<(?:\w+:)?Relationship\s[^<>]{0,4000}>")
_ATTRIBUTE = re.compile(rb'\b(Type|Target|TargetMode)\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')
_RELS_BYTES = 1024 * 1024  # read of one relationships part: Office writes a few KiB
_MAX_RELS_PARTS = 2_000


def _package(request: OpenRequest, session: Session) -> bytes | None:
    if request.kind != "xml":
        return request.data
    if not is_flat_opc(request.data) or b"embeddings/" not in request.data:
        return None
    limits = request.budget.limits
    rebuilt = rebuild(
        request.data, max_parts=limits.max_archive_members, max_part_bytes=limits.max_member_bytes
    )
    if rebuilt is None:
        return None
    if rebuilt.skipped:
        session.mark("truncated")
    if rebuilt.damaged:  # the Office analysis reports the error itself
        session.mark("broken")
    return rebuilt.zip


def hyperlinks(archive: zipfile.ZipFile, most: int) -> tuple[str, ...]:
    """The external hyperlinks of a package's relationship parts, at most `most`."""
    found: dict[str, None] = {}
    parts = [i for i in archive.infolist() if i.filename.endswith(".rels")]
    for info in parts[:_MAX_RELS_PARTS]:
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            continue
        try:
            with archive.open(info) as part:
                xml = part.read(_RELS_BYTES)
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError):
            continue
        for tag in _RELATIONSHIP.finditer(xml):
            attrs = {m[1]: m[2] or m[3] for m in _ATTRIBUTE.finditer(tag.group())}
            if (
                attrs.get(b"Type", b"").rstrip(b"/").lower().endswith(b"/hyperlink")
                and attrs.get(b"TargetMode", b"").lower() == b"external"
                and attrs.get(b"Target")
            ):
                target = html.unescape(attrs[b"Target"].decode("utf-8", "replace")).strip()
                found[target[:2000]] = None
                if len(found) >= most:
                    return tuple(found)
    return tuple(found)


def open_embeddings(request: OpenRequest) -> Opened:
    session = Session(request)
    data = _package(request, session)
    if data is None:
        return session.opened()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in archive.infolist() if is_embedding(i.filename) and not i.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError):
        return session.opened()  # a damaged package is the Office analysis' to report
    links = hyperlinks(archive, request.budget.limits.max_urls)
    for info in infos:
        name = info.filename.replace("\\", "/").rpartition("/")[2]
        if not session.admit(name):
            if session.listing:
                continue
            break
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            # Office writes only these; bzip2 and LZMA would inflate in one unbounded step.
            session.unreadable("OOXML", f"{name}: compression method {info.compress_type}")
            continue
        try:
            member = archive.open(info)
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
            session.unreadable("OOXML", f"{name}: {type(exc).__name__}: {exc}")
            continue
        with member:
            drained = session.drain(member.read, packed=info.compress_size, claimed=info.file_size)
        session.add(name, drained, packed=info.compress_size, claimed=info.file_size)
    return replace(session.opened(), links=links)
