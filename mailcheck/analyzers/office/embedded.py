"""The files OLE Package objects carry, opened as members of their document.

A Package object (packager.exe's, class `Package`) shows an icon in the document; a
double-click saves its file to a temporary folder and opens it: droppers package a .js,
.vbs, .hta, .lnk or .exe and ask the reader to click it. oletools' `oleobj` reads the
object's `Ole10Native` stream (file name, source path, bytes) in the isolated Office worker,
and each file becomes a member of the object, analysed like any attachment:
`2/invoice.docx/oleObject1.bin/invoice.js` (an OOXML package's objects are members first,
see `containers/office_embeddings.py`), `2/letter.rtf/invoice.js`, `2/invoice.doc/invoice.js`.

The extract stage cannot reach the worker (it sits below the analyzers); `openers(engine)`
gives the API the container openers with these added, and the API hands them to `extract`.
Only documents whose bytes name a Package's stream (or an RTF object) go to the worker.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from ...containers import OPENERS, Opened, Opener, OpenRequest
from ...containers.session import Drained, Session
from ...engine import Engine, WorkerFailed, WorkerTimeout
from ...records import replace
from . import options_for
from .inspection import Options, PackagedFile

# OLE kinds whose objects keep a Package's file in an `\x01Ole10Native` stream, and RTF.
# PowerPoint 97 keeps its objects compressed inside its document stream: not read here.
KINDS = ("ole", "doc", "xls", "rtf")
# Directory entries of OLE files are UTF-16: a file without this name has no Package.
_NATIVE_ENTRY = "\x01Ole10Native".encode("utf-16-le")
_RTF_OBJECT = re.compile(rb"objdata", re.I)
_FALLBACK_NAME = "package.bin"

Entry = Callable[[bytes, str, Options], tuple[PackagedFile, ...]]


def _may_hold_package(data: bytes, kind: str) -> bool:
    if kind == "rtf":
        return _RTF_OBJECT.search(data) is not None
    return _NATIVE_ENTRY in data


def _member_name(packaged: PackagedFile) -> str:
    """The name the file is saved under: the last element of what the object gives."""
    return packaged.name.replace("\\", "/").rpartition("/")[2].strip() or _FALLBACK_NAME


def open_packages(request: OpenRequest, engine: Engine) -> Opened:
    """The files of the Package objects in an OLE or RTF document, as members."""
    session = Session(request)
    if not _may_hold_package(request.data, request.kind):
        return session.opened()
    limits = request.budget.limits
    timeout = min(limits.analyzer_timeout, limits.archive_timeout)
    try:
        found = engine.worker.call(
            _entry(), request.data, request.kind, options_for(limits), timeout=timeout
        )
    except WorkerTimeout:
        session.budget.hit("archive_timeout", request.location, limit=f"{timeout:g}")
        session.mark("truncated")
        return session.opened()
    except WorkerFailed as exc:
        session.unreadable("OLE Package object", str(exc)[:200])
        return session.opened()
    for packaged in found:
        name = _member_name(packaged)
        if not session.admit(name):
            if session.listing:
                continue
            break
        drained = Drained(
            data=packaged.data,
            counted=max(packaged.size, len(packaged.data)),
            crc=0,
            finished=True,
            ratio_cut=False,
        )
        session.add(name, drained, packed=len(packaged.data), claimed=-1)
    return session.opened()


def _then(first: Opener, second: Opener) -> Opener:
    """`first` (decryption), and `second` on the same document when it yields nothing."""

    def run(request: OpenRequest) -> Opened:
        opened = first(request)
        if opened.members or opened.status != "ok":
            return opened
        more = second(request)
        return replace(more, hits=opened.hits + more.hits, links=opened.links + more.links)

    return run


def openers(engine: Engine) -> Mapping[str, Opener]:
    """The container openers, with Package objects read through `engine`'s worker."""

    def packages(request: OpenRequest) -> Opened:
        try:
            return open_packages(request, engine)
        except Exception as exc:  # as containers._guarded: never end the scan
            session = Session(request)
            session.unreadable("OLE Package object", f"{type(exc).__name__}: {exc}"[:200])
            return session.opened()

    out = dict(OPENERS)
    for kind in KINDS:
        out[kind] = _then(OPENERS[kind], packages) if kind in OPENERS else packages
    return out


def _entry() -> Entry:
    """The worker entry point as the package holds it now (tests may substitute one)."""
    from . import packages_in_worker

    return packages_in_worker
