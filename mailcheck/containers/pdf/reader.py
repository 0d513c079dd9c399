"""PDF documents through pypdf: the only module that imports it. Runs in the isolated worker.

`read_pdf(data, bounds)` is the worker entry point (called through
`containers.pdf.run_in_worker`, with the analyzer timeout). pypdf parses objects one at a
time on demand; everything that walks the document is here, iterative and bounded, never
pypdf's own recursive helpers (page flattening, `attachments`, outlines), which can loop or
recurse on hostile cross-references:

- every object looked at is counted against `max_objects`, and each tree (pages, name
  trees, form fields, action chains) remembers the objects it has been through, so a
  reference cycle is walked once;
- embedded files and scripts are decoded by `streams.decode` with the member bound, never
  by pypdf's whole-stream decoders;
- a reference to an object the cross-reference table does not know is the null object
  (as the specification says) instead of a search of the whole file.

What is read: the /EmbeddedFiles name tree and file-attachment annotations (and any file
specification with an /EF that an action names), and every action a reader can run: the
document's /OpenAction and /AA, its JavaScript name tree, each page's /AA and annotations
(/A and /AA), the form's fields, and XFA scripts. Text, fonts and images are not read.
"""

from __future__ import annotations

import contextlib
import io
import re
import warnings
from collections.abc import Iterator
from typing import Any

from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    StreamObject,
    TextStringObject,
)

from ...quiet import silenced_logging
from ..interface import DocumentAction
from ..session import Accumulator, Drained
from .report import MAX_TEXT, PdfBounds, PdfFile, PdfReport
from .streams import decode

# When each additional-action key runs (ISO 32000-1 tables 194-197). Document: will close,
# will save, did save, will print, did print. Page: opened, closed. Annotation and field:
# pointer enters / leaves, button down / up, focus, blur, page opened / closed / visible /
# invisible, keystroke, format, validate, calculate.
_DOCUMENT_AA = {"/WC": "event", "/WS": "event", "/DS": "event", "/WP": "event", "/DP": "event"}
_PAGE_AA = {"/O": "open", "/C": "event"}
_ANNOTATION_AA = {
    "/E": "event",
    "/X": "event",
    "/D": "click",
    "/U": "click",
    "/Fo": "event",
    "/Bl": "event",
    "/PO": "open",
    "/PC": "event",
    "/PV": "open",
    "/PI": "event",
    "/K": "event",
    "/F": "event",
    "/V": "event",
    "/C": "event",
}
_KINDS = {
    "/Launch": "launch",
    "/JavaScript": "javascript",
    "/URI": "uri",
    "/SubmitForm": "submit_form",
    "/ImportData": "import_data",
    "/GoToR": "goto_remote",
    "/GoToE": "goto_embedded",
    "/Rendition": "javascript",  # only when it carries /JS
}
_PER_KIND = 32  # actions kept per (kind, trigger): many scripts cannot hide one /Launch
_SHOWN_DAMAGE = 5
_MAX_URL = 2_048
# A target that names a place on a network: a scheme (two letters or more, so not "C:"),
# a UNC path or a protocol-relative one.
_ADDRESS = re.compile(r"^\s*(?:[A-Za-z][A-Za-z0-9+.\-]+:|\\\\|//)")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_XFA_SCRIPT = re.compile(
    r"<(?:\w+:)?script\b[^>]*>(.*?)</(?:\w+:)?script\s*>", re.IGNORECASE | re.DOTALL
)
# What a repair looks for: object headers ("12 0 obj"), and in the trailers the catalog, the
# encryption dictionary and the file identifier (the last of each wins, as in an update).
_OBJECT_HEADER = re.compile(
    rb"(?<![0-9])([0-9]{1,9})[ \t\r\n\f\x00]+([0-9]{1,5})[ \t\r\n\f\x00]*obj\b"
)
_TRAILER_REFS = {
    b"/Root": re.compile(rb"/Root\s*([0-9]{1,9})\s+([0-9]{1,5})\s+R"),
    b"/Encrypt": re.compile(rb"/Encrypt\s*([0-9]{1,9})\s+([0-9]{1,5})\s+R"),
}
_TRAILER_ID = re.compile(rb"/ID\s*\[\s*<[0-9A-Fa-f\s]*>\s*<[0-9A-Fa-f\s]*>\s*\]")


def clip(text: str, limit: int = MAX_TEXT) -> str:
    cleaned = _CONTROL.sub(" ", text).strip()
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def _decoded(data: bytes) -> str:
    """Bytes of a PDF text string or script: UTF-16 or UTF-8 by their BOM, else Latin-1
    (close enough to PDFDocEncoding for names, addresses and code)."""
    if data[:2] in (b"\xfe\xff", b"\xff\xfe"):
        return data[2:].decode("utf-16-be" if data[0] == 0xFE else "utf-16-le", "replace")
    if data[:3] == b"\xef\xbb\xbf":
        return data[3:].decode("utf-8", "replace")
    return data.decode("latin-1")


def _text(value: Any) -> str:
    if isinstance(value, TextStringObject | NameObject):
        return str(value)
    if isinstance(value, ByteStringObject | bytes):
        return _decoded(bytes(value))
    if isinstance(value, str):
        return value
    return ""


def _number(value: Any, default: int = -1) -> int:
    try:
        return (
            int(value)
            if isinstance(value, int | float) and not isinstance(value, bool)
            else default
        )
    except (ValueError, OverflowError):
        return default


class _Walk:
    """One document's walk: what it found, what it counted, where it stopped."""

    def __init__(self, pdf: PdfReader, bounds: PdfBounds, *, repaired: bool = False) -> None:
        self.pdf = pdf
        self.bounds = bounds
        # The cross-reference data had to be rebuilt (a cut or crafted file): an object it
        # references but does not hold was lost, not left out.
        self.repaired = repaired
        self.objects = 0
        self.stopped = False
        self.seen: set[tuple[str, int, int]] = set()
        self.files: list[PdfFile] = []
        self.file_keys: set[tuple[int, int] | int] = set()
        self.kept = 0
        self.allowance = bounds.allowance
        self.actions: list[DocumentAction] = []
        self.action_keys: set[tuple[str, str, str, int]] = set()
        self.per_kind: dict[tuple[str, str], int] = {}
        self.script_chars = 0
        self.links: dict[str, None] = {}
        self.cut: dict[str, str] = {}
        self.damaged: list[str] = []
        self.damaged_count = 0

    # --- objects ----------------------------------------------------------------------

    def charge(self) -> bool:
        """Count one more object looked at; False (for good) past the bound."""
        if self.stopped:
            return False
        self.objects += 1
        if self.objects > self.bounds.max_objects:
            self.stopped = True
            self.cut.setdefault("max_pdf_objects", str(self.bounds.max_objects))
            return False
        return True

    def known(self, ref: IndirectObject) -> bool:
        """The cross-reference table has this object (else it is null, never searched for)."""
        if ref.generation == 0 and ref.idnum in self.pdf.xref_objStm:
            return True
        return ref.idnum in self.pdf.xref.get(ref.generation, {})

    def get(self, value: Any, where: str) -> Any:
        """`value` with an indirect reference followed, counted; None when it is damaged,
        missing or past the bound."""
        if not self.charge():
            return None
        if isinstance(value, IndirectObject):
            if not self.known(value):
                if self.repaired:
                    self.damage(where, LookupError(f"object {value.idnum} is missing"))
                return None
            try:
                return value.get_object()
            except Exception as exc:  # a damaged object: pypdf raises anything
                self.damage(where, exc)
                return None
        return value

    def first(self, tree: str, value: Any) -> bool:
        """True the first time `tree` meets this indirect object: cycles are walked once."""
        if not isinstance(value, IndirectObject):
            return True
        key = (tree, value.idnum, value.generation)
        if key in self.seen:
            return False
        self.seen.add(key)
        return True

    def damage(self, where: str, exc: BaseException) -> None:
        self.damaged_count += 1
        if len(self.damaged) < _SHOWN_DAMAGE:
            self.damaged.append(clip(f"{where}: {type(exc).__name__}: {exc}", 160))

    def dictionary(self, value: Any, where: str) -> DictionaryObject | None:
        found = self.get(value, where)
        return found if isinstance(found, DictionaryObject) else None

    def array(self, value: Any, where: str) -> list[Any]:
        found = self.get(value, where)
        return list(found) if isinstance(found, ArrayObject) else []

    def string(self, value: Any, where: str) -> str:
        if isinstance(value, IndirectObject):
            value = self.get(value, where)
        return _text(value)

    # --- what it finds -----------------------------------------------------------------

    def link(self, target: str) -> None:
        url = _CONTROL.sub("", target).strip()[:_MAX_URL]
        if not url or url in self.links:
            return
        if len(self.links) >= self.bounds.max_links:
            self.cut.setdefault("max_urls", str(self.bounds.max_links))
            return
        self.links[url] = None

    def record(
        self, kind: str, trigger: str, where: str, target: str = "", script: str = ""
    ) -> None:
        key = (kind, trigger, target, hash(script))
        if key in self.action_keys:
            return
        count = self.per_kind.get((kind, trigger), 0)
        if count >= _PER_KIND:
            return
        self.action_keys.add(key)
        self.per_kind[(kind, trigger)] = count + 1
        self.actions.append(
            DocumentAction(
                kind=kind, trigger=trigger, where=clip(where), target=clip(target), script=script
            )
        )

    def script(self, value: Any, where: str) -> str:
        """JavaScript from a string or a stream, within what is left of the character bound."""
        room = self.bounds.max_script_chars - self.script_chars
        if room <= 0:
            self.cut.setdefault("max_text_chars", str(self.bounds.max_script_chars))
            return ""
        found = self.get(value, where) if isinstance(value, IndirectObject) else value
        if isinstance(found, StreamObject):
            text = _decoded(self.decode(found, where, keep=room, allowance=0).data)
        else:
            text = _text(found)
        if len(text) > room:
            self.cut.setdefault("max_text_chars", str(self.bounds.max_script_chars))
            text = text[:room]
        self.script_chars += len(text)
        return text

    def decode(
        self, stream: StreamObject, where: str, *, keep: int, claimed: int = -1, allowance: int = -1
    ) -> Drained:
        """The stream's data decoded with bounds: `keep` bytes kept, and counted past that
        up to the document's shared allowance (or `allowance`: 0 for scripts)."""
        raw = bytes(stream._data or b"")
        filters = [_text(self.get(f, where)) for f in self._filters(stream, where)]
        params = self._params(stream, where)
        acc = Accumulator(
            keep=keep,
            allowance=self.allowance if allowance < 0 else allowance,
            ratio=self.bounds.ratio,
            packed=len(raw),
            claimed=claimed,
        )
        finished, error = decode(raw, [f for f in filters if f != "/Crypt"], params, acc)
        drained = acc.result(finished=finished, error=error)
        self.allowance = max(0, self.allowance - max(0, drained.counted - len(drained.data)))
        return drained

    def _filters(self, stream: StreamObject, where: str) -> list[Any]:
        found = self.get(stream.get("/Filter"), where)
        if isinstance(found, ArrayObject):
            return list(found)[:8]
        return [found] if isinstance(found, NameObject) else []

    def _params(self, stream: StreamObject, where: str) -> dict[str, int]:
        found = self.get(stream.get("/DecodeParms"), where)
        if isinstance(found, ArrayObject) and found:
            found = self.get(found[-1], where)
        if not isinstance(found, DictionaryObject):
            return {}
        keys = ("/Predictor", "/Columns", "/Colors", "/BitsPerComponent")
        return {k: _number(found.get(k)) for k in keys if _number(found.get(k)) >= 0}

    def embedded(self, spec_value: Any, where: str, name_hint: str = "") -> None:
        """The file a file specification embeds (/EF), once per stream."""
        spec = self.dictionary(spec_value, where)
        if spec is None:
            return
        streams = self.dictionary(spec.get("/EF"), where)
        if streams is None:
            return
        raw = streams.get("/UF", streams.get("/F"))
        if raw is None:
            return
        key: tuple[int, int] | int = (
            (raw.idnum, raw.generation) if isinstance(raw, IndirectObject) else id(raw)
        )
        if key in self.file_keys:
            return
        self.file_keys.add(key)
        if len(self.files) >= self.bounds.max_files:
            self.cut.setdefault("max_archive_members", str(self.bounds.max_files))
            return
        if self.kept >= self.bounds.max_total:
            self.cut.setdefault("max_total_bytes", str(self.bounds.max_total))
            return
        stream = self.get(raw, where)
        if not isinstance(stream, StreamObject):
            return
        name = self.spec_name(spec, where) or name_hint or f"embedded{len(self.files) + 1}"
        params = self.dictionary(stream.get("/Params"), where)
        claimed = _number(self.get(params.get("/Size"), where)) if params is not None else -1
        drained = self.decode(stream, where, keep=self.bounds.keep, claimed=claimed)
        self.kept += len(drained.data)
        self.files.append(
            PdfFile(
                name=clip(name, 200),
                drained=drained,
                packed=len(stream._data or b""),
                claimed=claimed,
            )
        )

    def spec_name(self, spec_value: Any, where: str) -> str:
        """The file a file specification names: a string, or /UF, /F, /Unix, /DOS, /Mac."""
        if isinstance(spec_value, IndirectObject):
            spec_value = self.get(spec_value, where)
        if not isinstance(spec_value, DictionaryObject):
            return _text(spec_value)
        for key in ("/UF", "/F", "/Unix", "/DOS", "/Mac"):
            name = self.string(spec_value.get(key), where)
            if name:
                return name
        return ""

    # --- actions -----------------------------------------------------------------------

    def action(self, value: Any, trigger: str, where: str) -> None:
        """An action and the chain of /Next actions after it."""
        pending = [(value, where)]
        while pending and not self.stopped:
            value, place = pending.pop()
            if not self.first(f"action {trigger}", value):
                continue
            found = self.get(value, place)
            if isinstance(found, ArrayObject):  # a /Next array
                pending.extend((item, place) for item in reversed(list(found)))
                continue
            if not isinstance(found, DictionaryObject):
                continue
            self.one_action(found, trigger, place)
            if "/Next" in found:
                after = place if place.endswith("/Next") else f"{place} /Next"
                pending.append((found.get("/Next"), after))

    def one_action(self, action: DictionaryObject, trigger: str, where: str) -> None:
        kind = _KINDS.get(_text(self.get(action.get("/S"), where)), "")
        if kind == "javascript":
            if "/JS" in action:
                self.record(kind, trigger, where, script=self.script(action.get("/JS"), where))
        elif kind == "launch":
            self.record(kind, trigger, where, target=self.launch_target(action, where))
        elif kind == "uri":
            uri = self.string(action.get("/URI"), where)
            self.link(uri)
            if trigger != "click":
                self.record(kind, trigger, where, target=uri)
        elif kind:  # submit, import, remote and embedded go-to: a file or an address
            target = self.spec_name(action.get("/F"), where)
            self.embedded(action.get("/F"), where)
            if _ADDRESS.match(target):
                self.link(target)
            if trigger != "click" and target:
                self.record(kind, trigger, where, target=target)

    def launch_target(self, action: DictionaryObject, where: str) -> str:
        """What a /Launch action starts: the Windows /Win dictionary's file and parameters,
        else the file specification (whose embedded file, if any, is read as a file)."""
        parts: list[str] = []
        win = self.dictionary(action.get("/Win"), where)
        if win is not None:
            for key in ("/F", "/P"):
                parts.append(self.string(win.get(key), where))
        for key in ("/F", "/Unix", "/Mac"):
            if key in action:
                parts.append(self.spec_name(action.get(key), where))
                if key == "/F":
                    self.embedded(action.get(key), where)
        target = " ".join(part for part in parts if part)
        if _ADDRESS.match(target):
            self.link(target.split()[0])
        return target

    def additional(self, value: Any, keys: dict[str, str], where: str) -> None:
        triggers = self.dictionary(value, where)
        if triggers is None:
            return
        for key, trigger in keys.items():
            if key in triggers and not self.stopped:
                self.action(triggers.get(key), trigger, f"{where} /AA {key}")

    # --- the document ------------------------------------------------------------------

    def name_tree(self, value: Any, tree: str) -> Iterator[tuple[str, Any]]:
        """(key, value) pairs of a name tree, leaves and kids, each node once."""
        pending = [value]
        while pending and not self.stopped:
            node_value = pending.pop()
            if not self.first(tree, node_value):
                continue
            node = self.dictionary(node_value, tree)
            if node is None:
                continue
            names = self.array(node.get("/Names"), tree)
            for at in range(0, len(names) - 1, 2):
                if self.stopped:
                    return
                yield self.string(names[at], tree), names[at + 1]
            pending.extend(reversed(self.array(node.get("/Kids"), tree)))

    def pages(self, value: Any) -> None:
        pending = [value]
        number = 0
        while pending and not self.stopped:
            node_value = pending.pop()
            if not self.first("pages", node_value):
                continue
            node = self.dictionary(node_value, "page tree")
            if node is None:
                continue
            if "/Kids" in node:
                pending.extend(reversed(self.array(node.get("/Kids"), "page tree")))
                continue
            number += 1
            self.page(node, number)

    def page(self, page: DictionaryObject, number: int) -> None:
        self.additional(page.get("/AA"), _PAGE_AA, f"page {number}")
        for index, value in enumerate(self.array(page.get("/Annots"), f"page {number}"), 1):
            if self.stopped:
                return
            self.annotation(value, f"page {number} annotation {index}")

    def annotation(self, value: Any, where: str) -> None:
        if not self.first("annotations", value):
            return
        annotation = self.dictionary(value, where)
        if annotation is None:
            return
        subtype = _text(self.get(annotation.get("/Subtype"), where)).lstrip("/")
        place = f"{where} ({subtype[:30]})" if subtype else where
        if "/A" in annotation:
            self.action(annotation.get("/A"), "click", f"{place} /A")
        self.additional(annotation.get("/AA"), _ANNOTATION_AA, place)
        if subtype == "FileAttachment":
            self.embedded(annotation.get("/FS"), place)

    def fields(self, value: Any) -> None:
        pending = list(reversed(self.array(value, "form")))
        while pending and not self.stopped:
            field_value = pending.pop()
            if not self.first("fields", field_value):
                continue
            field = self.dictionary(field_value, "form field")
            if field is None:
                continue
            name = clip(self.string(field.get("/T"), "form field"), 60)
            place = f"form field '{name}'" if name else "form field"
            if "/A" in field:
                self.action(field.get("/A"), "click", f"{place} /A")
            self.additional(field.get("/AA"), _ANNOTATION_AA, place)
            pending.extend(reversed(self.array(field.get("/Kids"), place)))

    def xfa(self, value: Any) -> None:
        """Scripts of an XFA form (a stream, or an array of names and streams)."""
        found = self.get(value, "XFA form")
        parts = list(found)[1::2] if isinstance(found, ArrayObject) else [found]
        for part in parts[:64]:
            stream = self.get(part, "XFA form")
            if not isinstance(stream, StreamObject) or self.stopped:
                continue
            room = self.bounds.max_script_chars - self.script_chars
            if room <= 0:
                self.cut.setdefault("max_text_chars", str(self.bounds.max_script_chars))
                return
            text = _decoded(self.decode(stream, "XFA form", keep=room, allowance=0).data)
            for match in _XFA_SCRIPT.finditer(text):
                code = match.group(1).strip()
                if not code:
                    continue
                self.script_chars += len(code)
                # Forms' own scripts (initialize, calculate, click): judged by what they do.
                self.record("javascript", "load", "XFA form", script=code)

    def catalog(self) -> DictionaryObject | None:
        """The document catalog: the trailer's /Root, else the first /Type /Catalog object."""
        root = self.dictionary(self.pdf.trailer.get("/Root"), "trailer")
        if root is not None:
            return root
        numbers = [(num, gen) for gen, table in self.pdf.xref.items() for num in table]
        numbers += [(num, 0) for num in self.pdf.xref_objStm]
        for num, gen in numbers:
            found = self.dictionary(IndirectObject(num, gen, self.pdf), "catalog search")
            if self.stopped:
                return None
            if found is not None and _text(found.get("/Type")) == "/Catalog":
                return found
        return None

    def document(self, root: DictionaryObject) -> None:
        opening = root.get("/OpenAction")
        if opening is not None and not isinstance(self.get(opening, "OpenAction"), ArrayObject):
            self.action(opening, "open", "OpenAction")  # an array is a page to show
        self.additional(root.get("/AA"), _DOCUMENT_AA, "document")
        names = self.dictionary(root.get("/Names"), "names")
        if names is not None:
            for key, value in self.name_tree(names.get("/JavaScript"), "JavaScript"):
                # Runs as the document loads; forms define their functions here.
                self.action(value, "load", f"document JavaScript '{clip(key, 60)}'")
            for key, value in self.name_tree(names.get("/EmbeddedFiles"), "EmbeddedFiles"):
                self.embedded(value, "/EmbeddedFiles", name_hint=key)
        self.pages(root.get("/Pages"))
        form = self.dictionary(root.get("/AcroForm"), "form")
        if form is not None:
            self.fields(form.get("/Fields"))
            if "/XFA" in form:
                self.xfa(form.get("/XFA"))

    def report(self, password: str, tried: int) -> PdfReport:
        return PdfReport(
            password=password,
            tried=tried,
            files=tuple(self.files),
            actions=tuple(self.actions),
            links=tuple(self.links),
            cut=tuple(self.cut.items()),
            damaged=tuple(self.damaged),
            damaged_count=self.damaged_count,
        )


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """pypdf logs and warns about every oddity: mailcheck reports them as findings."""
    with silenced_logging(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _rebuilt(data: bytes) -> bytes:
    """`data` with a new cross-reference table and trailer at its end, made from the object
    headers found by a scan: how viewers repair a file whose own table is missing, cut or
    wrong. Objects inside object streams are not found this way."""
    offsets: dict[int, tuple[int, int]] = {}
    for match in _OBJECT_HEADER.finditer(data):
        offsets[int(match.group(1))] = (int(match.group(2)), match.start())
    body = bytearray(data if data.endswith(b"\n") else data + b"\n")
    table = bytearray(b"xref\n0 1\n0000000000 65535 f \n")
    numbers = sorted(offsets)
    run: list[int] = []
    for number in [*numbers, -1]:
        if run and number != run[-1] + 1:
            table += b"%d %d\n" % (run[0], len(run))
            table += b"".join(b"%010d %05d n \n" % (offsets[n][1], offsets[n][0]) for n in run)
            run = []
        if number > 0:
            run.append(number)
    trailer = b"/Size %d" % ((numbers[-1] if numbers else 0) + 1)
    for key, pattern in _TRAILER_REFS.items():
        found = pattern.findall(data)
        if found:
            trailer += b" %s %s %s R" % (key, found[-1][0], found[-1][1])
    identifiers = _TRAILER_ID.findall(data)
    if identifiers:
        trailer += b" " + identifiers[-1]
    start = len(body)
    return bytes(
        body + table + b"trailer\n<< " + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % start
    )


def _open(data: bytes) -> tuple[PdfReader | None, bool, str]:
    """(the document, whether it had to be repaired, why it could not be read). A document
    whose cross-reference data is missing or unreadable is read again with a table rebuilt
    from its object headers, as viewers repair it."""
    first = "no cross-reference data (startxref)"
    if b"startxref" in data:  # else pypdf reads the whole file backwards looking for it
        try:
            return PdfReader(io.BytesIO(data), strict=False), False, ""
        except Exception as exc:
            first = clip(f"{type(exc).__name__}: {exc}", 200)
    try:
        return PdfReader(io.BytesIO(_rebuilt(data)), strict=False), True, ""
    except Exception:
        return None, True, first


def _unlock(pdf: PdfReader, bounds: PdfBounds) -> tuple[bool, str, int, int]:
    """(opened, the password that did it, candidates tried, candidates left untried)."""
    candidates = bounds.passwords[: bounds.max_password_tries]
    untried = len(bounds.passwords) - len(candidates)
    if pdf.decrypt(""):  # no user password: anyone can open it
        return True, "", 0, 0
    for tried, password in enumerate(candidates, 1):
        if pdf.decrypt(password):
            return True, password, tried, 0
    return False, "", len(candidates), untried


def read_pdf(data: bytes, bounds: PdfBounds) -> PdfReport:
    """Everything mailcheck reads in one PDF, within `bounds`; never raises for bad input."""
    with _quiet():
        pdf, repaired, reason = _open(data)
        if pdf is None:
            return PdfReport(status="broken", reason=reason)
        password, tried = "", 0
        if pdf.is_encrypted:
            try:
                opened, password, tried, untried = _unlock(pdf, bounds)
            except Exception as exc:  # an encryption pypdf cannot handle
                reason = clip(f"{type(exc).__name__}: {exc}", 200)
                return PdfReport(status="encrypted", reason=reason)
            if not opened:
                return PdfReport(
                    status="encrypted", reason="password-protected", tried=tried, untried=untried
                )
        walk = _Walk(pdf, bounds, repaired=repaired)
        root = walk.catalog()
        if root is None:
            if walk.stopped:
                return walk.report(password, tried)
            return PdfReport(status="broken", reason="no document catalog could be read")
        try:
            walk.document(root)
        except Exception as exc:  # RecursionError on deep nesting (pypdf parses recursively)
            walk.damage("document", exc)
        return walk.report(password, tried)
