"""oletools behind one door: the only module that imports it. Runs in the isolated worker.

`inspect_office(data, kind, options)` is the worker entry point (module level, picklable
arguments and result). olevba can run for minutes on pathological macros and cannot be
interrupted in-process, so the parent calls this through `Engine.worker` with a timeout.

Each check is isolated: one that raises is recorded in `OfficeReport.errors` and the others
still report. The attachment never touches the disk: every check reads bytes in memory, and
the document is parsed once by olevba for the source, the keywords and the p-code (pcodedmp
is given olevba's parsed project rather than a file name), so a worker killed mid-way leaves
nothing behind.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import re
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import olefile  # type: ignore[import-untyped, unused-ignore]
from oletools import msodde, oleform, oleobj, rtfobj, xls_parser  # type: ignore[import-untyped, unused-ignore]
from oletools.common.clsid import KNOWN_CLSIDS  # type: ignore[import-untyped, unused-ignore]
from oletools.mraptor import MacroRaptor  # type: ignore[import-untyped, unused-ignore]
from oletools.olevba import (  # type: ignore[import-untyped, unused-ignore]
    AUTOEXEC_KEYWORDS,
    AUTOEXEC_KEYWORDS_REGEX,
    SUSPICIOUS_KEYWORDS,
    SUSPICIOUS_KEYWORDS_NOREGEX,
    SUSPICIOUS_KEYWORDS_REGEX,
    TYPE_SLK,
    TYPE_TEXT,
    VBA_Parser,
    VBA_Project,
)
from oletools.thirdparty.oledump.plugin_biff import (  # type: ignore[import-untyped, unused-ignore]
    cBIFF,
)
from pcodedmp import pcodedmp  # type: ignore[import-untyped, unused-ignore]

from ...containers import flat_opc
from ...quiet import silenced_logging
from ...records import replace
from ...sniff import OLE_MAGIC
from . import doc_stores, ooxml, slides, vba_fold, vba_traits, xlm
from .codepage import AS_REPLACED, decode_like_windows
from .inspection import (
    MAX_ITEMS,
    DdeField,
    EmbeddedObject,
    ExternalTarget,
    OfficeReport,
    Options,
    PackagedFile,
    SlideAction,
    Trait,
    VbaReport,
    XlmReport,
    clip,
)

MAX_FORMS = 64  # UserForms read for the values of their controls
# Module source keeps the bytes cp1252 leaves undefined, as Windows decodes them (codepage).
VBA_Project.decode_bytes = decode_like_windows

T = TypeVar("T")

# What sniff calls an OOXML package.
ZIP_KINDS = frozenset({"docx", "docm", "xlsx", "xlsm", "xlsb", "pptx", "pptm", "ooxml"})
_WORD_ZIP = frozenset({"docx", "docm"})
_EXCEL_ZIP = frozenset({"xlsx", "xlsm", "xlsb"})
# What olevba reads as source only (no compiled p-code to compare with).
_NO_PCODE = frozenset({"slk", "mht", "activemime", "xml"})


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """oletools logs and pcodedmp prints errors to stderr: keep the worker's streams clean."""
    with (
        silenced_logging(),
        contextlib.redirect_stderr(io.StringIO()),
        contextlib.redirect_stdout(io.StringIO()),
    ):
        yield


class _Checks:
    """Runs each check, keeping its result or its error."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []

    def run(self, name: str, check: Callable[[], T]) -> T | None:
        try:
            return check()
        except Exception as exc:  # hostile input: any parser may raise anything
            self.errors.append((name, clip(f"{type(exc).__name__}: {exc}")))
            return None


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(clip(v, 60) for v in values))[:MAX_ITEMS]


# --- VBA -----------------------------------------------------------------------------------------


def _vba(
    data: bytes, options: Options, package: ooxml.Package | None = None
) -> tuple[VbaReport | None, XlmReport | None]:
    parser = VBA_Parser("attachment", data=data)
    try:
        if parser.type == TYPE_TEXT:  # olevba's fallback: any text "is" VBA source
            return None, None
        if parser.type == TYPE_SLK:
            lines = [str(line) for line in parser.xlm_macros or ()]
            return None, xlm.from_slk(lines) if parser.contains_xlm_macros else None
        parser.no_xlm = True  # XLM is read by plugin_biff below, not mixed into VBA source
        if not parser.detect_vba_macros():
            return None, None
        code_parts: list[str] = []
        modules = 0
        for _container, _stream, _name, code in parser.extract_all_macros():
            if isinstance(code, bytes):
                code = code.decode("latin-1")
            code_parts.append(str(code))
            modules += 1
        source = "\n".join(code_parts)[: options.max_code_chars]
        form_strings = [str(text) for _c, _s, text in parser.extract_form_strings()]
        forms = "\n".join(form_strings)
        stores = doc_stores.Stores()
        doc_stores.form_controls(_forms(parser), stores)
        controls = _controls(data, package)
        doc_stores.document_controls(iter(controls), stores)
        form_strings += [
            text
            for _name, fields in controls
            for value in fields.values()
            if (text := doc_stores.text_of(value))
        ]
        if package is not None:  # read after the keywords: document text is not code
            form_strings += ooxml.document_strings(package, source)
            doc_stores.ooxml_document(package, stores)
        elif data.startswith(OLE_MAGIC):
            doc_stores.ole_document(data, stores)
        scanned = f"{source}\n{forms[: options.max_code_chars]}"
        autoexec = _found(_AUTOEXEC, scanned)
        suspicious = _found(_SUSPICIOUS, scanned)
        if "\b" in scanned:  # olevba's one plain-text keyword: backspaces that hide code
            suspicious.extend(SUSPICIOUS_KEYWORDS_NOREGEX_FLAT)
        raptor = MacroRaptor(source)
        raptor.scan()
        traits, recovered, urls = _folded(source, form_strings, stores.values)
        report = VbaReport(
            modules=modules,
            autoexec=_unique(autoexec),
            suspicious=_unique(suspicious),
            raptor_autoexec=clip(raptor.autoexec_match or _first(_MORE_AUTOEXEC, source), 60),
            raptor_write=clip(raptor.write_match or "", 60),
            raptor_execute=clip(raptor.execute_match or "", 60),
            traits=traits,
            recovered=recovered,
            recovered_urls=urls,
        )
        if options.stomping:
            report = _stomping(parser, "\n".join(code_parts), report)
        return report, None
    finally:
        parser.close()


# Procedures Office runs by itself that MacroRaptor's list leaves out: entering a content
# control, recalculation, closing, and the events of controls placed on the document.
_MORE_AUTOEXEC = re.compile(
    r"\b(?:Document_ContentControlOn(?:Enter|Exit)|Workbook_Sheet(?:Calculate|Activate|Change)"
    r"|Workbook_(?:WindowActivate|NewSheet|BeforeSave)|Worksheet_(?:Calculate|Activate|Change)"
    r"|Document_(?:Close|BeforeSave|Sync)|Auto_?Close)\b",
    re.I,
)


def _first(pattern: re.Pattern[str], text: str) -> str:
    match = pattern.search(text)
    return match.group(0) if match else ""


_PRINTABLE = re.compile(rb"[\t\r\n\x20-\xff]{5,}")


def _forms(parser: Any) -> Iterator[tuple[str, list[Any] | None, list[str]]]:
    """For each UserForm: its name, its controls as oleform reads them (None where it
    fails) and the printable strings of its `o` stream (as olevba's plain reader takes
    them)."""
    parsers = [parser] if parser.ole_file is not None else list(parser.ole_subfiles or ())
    for each in parsers:
        if each.ole_file is None:
            continue
        try:
            each.find_vba_forms()
            storages = list(each.vba_forms or ())[:MAX_FORMS]
        except Exception:
            continue
        for storage in storages:
            try:
                stream = each.ole_file.openstream([*storage, "o"]).read(doc_stores.MAX_CHARS * 4)
                plain = [m.group().decode("utf-8", "replace") for m in _PRINTABLE.finditer(stream)]
            except Exception:
                plain = []
            try:
                controls: list[Any] | None = list(
                    oleform.extract_OleFormVariables(each.ole_file, storage)
                )
            except Exception:  # a text past its 16-bit size field, a damaged stream
                controls = None
            yield str(storage[-1]), controls, plain


def _control_text(contents: bytes) -> dict[str, Any]:
    """The text fields of one ActiveX control's `contents` stream ([MS-OFORMS]): value,
    caption and group name of a TextBox, ComboBox, CheckBox...; a Label's caption; else
    the longest printable string, as its value."""
    try:
        stream = oleform.ExtendedStream(io.BytesIO(contents), "contents")
        value, caption, group = oleform.consume_MorphDataControl(stream)
        return {"value": value, "caption": caption, "group_name": group}
    except Exception:
        pass
    try:
        caption = oleform.consume_LabelControl(oleform.ExtendedStream(io.BytesIO(contents), "c"))
        return {"caption": caption}
    except Exception:
        pass
    strings = [m.group() for m in _PRINTABLE.finditer(contents)]
    return {"value": max(strings, key=len)} if strings else {}


def _ole_controls(ole: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """ActiveX controls of a binary document: `ObjectPool/_<id>/contents`, named by the
    storage's `\x03OCXNAME` stream."""
    for entry in ole.listdir(streams=True, storages=False)[: doc_stores.MAX_VALUES * 4]:
        if len(entry) != 3 or entry[0] != "ObjectPool" or entry[2].lower() != "contents":
            continue
        name_path = [*entry[:2], "\x03OCXNAME"]
        if not ole.exists(name_path):
            continue
        name = ole.openstream(name_path).read(512).decode("utf-16-le", "replace").strip("\x00")
        contents = ole.openstream(entry).read(doc_stores.MAX_CHARS * 4)
        yield name, _control_text(contents)


def _ooxml_controls(package: ooxml.Package) -> Iterator[tuple[str, dict[str, Any]]]:
    """ActiveX controls of an OOXML package (`*/activeX/activeX*.bin`, an OLE file with a
    `contents` stream), named where the document places them (`w:control w:name`)."""
    for name, part in ooxml.control_parts(package):
        data = package.read(part)
        if data is None or not data.startswith(OLE_MAGIC):
            continue
        try:
            ole = olefile.OleFileIO(data)
            contents = ole.openstream("contents").read(doc_stores.MAX_CHARS * 4)
        except Exception:
            continue
        yield name, _control_text(contents)


def _controls(data: bytes, package: ooxml.Package | None) -> list[tuple[str, dict[str, Any]]]:
    if package is not None:
        return list(_ooxml_controls(package))
    try:
        ole = olefile.OleFileIO(data)
    except Exception:
        return []
    try:
        return list(_ole_controls(ole))
    except Exception:  # a damaged ObjectPool: the other stores still count
        return []
    finally:
        ole.close()


def _folded(
    source: str, forms: list[str], stores: dict[str, str] | None = None
) -> tuple[tuple[Trait, ...], tuple[str, ...], tuple[str, ...]]:
    """Dropper traits, the strings the macro builds at run time and the URLs in them.

    The source's own traits come first, then those only the folded strings or the form
    strings show (one per kind), then junk arithmetic: an obfuscated dropper's command line
    is never a literal, and its filler lines are a trait of their own.
    """
    folded = vba_fold.fold(source, forms, stores)
    traits = list(vba_traits.dropper_traits(source))
    kinds = {t.kind for t in traits}
    extra = vba_traits.recovered_traits([*folded.strings, *vba_fold.bounded_forms(forms)])
    traits += [t for t in extra if t.kind not in kinds]
    kinds = {t.kind for t in traits}
    behaviour = vba_traits.behaviour_traits(source, folded.store_reads, folded.strings)
    traits += [t for t in behaviour if t.kind not in kinds]
    if folded.junk_arithmetic:
        excerpt = f"{folded.junk_lines} of {folded.code_lines} lines, {folded.junk_excerpt}"
        traits.append(Trait(kind="junk_arithmetic", excerpt=clip(excerpt, 80)))
    recovered = tuple(clip(s) for s in folded.strings[:MAX_ITEMS])
    urls = tuple(clip(u, 120) for u in vba_fold.urls(folded.strings)[:MAX_ITEMS])
    return tuple(traits), recovered, urls


def _patterns(plain: dict[str, Any], regex: dict[str, Any]) -> list[re.Pattern[str]]:
    """olevba's keyword tables as compiled patterns, word-bounded and case-insensitive."""
    words = [re.escape(str(k)) for keys in plain.values() for k in keys]
    words += [str(k) for keys in regex.values() for k in keys]
    return [re.compile(r"(?i)\b" + word + r"\b") for word in words]


# olevba's AutoExec and Suspicious keywords, compiled once per worker: olevba's own
# analyze_macros escapes and searches every keyword again for every string it decodes,
# which was half of the time spent on a macro document.
_AUTOEXEC = _patterns(AUTOEXEC_KEYWORDS, AUTOEXEC_KEYWORDS_REGEX)
_SUSPICIOUS = _patterns(SUSPICIOUS_KEYWORDS, SUSPICIOUS_KEYWORDS_REGEX)
SUSPICIOUS_KEYWORDS_NOREGEX_FLAT = [
    repr(str(k)) for keys in SUSPICIOUS_KEYWORDS_NOREGEX.values() for k in keys
]


def _found(patterns: list[re.Pattern[str]], code: str) -> list[str]:
    """The keywords present in `code`, as written there (olevba's first match of each)."""
    out = []
    for pattern in patterns:
        match = pattern.search(code)
        if match is not None:
            out.append(match.group())
    return out


class _PcodeArgs:
    """pcodedmp's command-line switches: the disassembly only."""

    disasmOnly = True
    verbose = False


def _stomping(parser: Any, source: str, report: VbaReport) -> VbaReport:
    """P-code names missing from the source (the source was replaced), with the p-code's
    dropper traits when so. pcodedmp reads the project olevba has already parsed."""
    output = io.StringIO()
    projects = [parser] if parser.ole_file is not None else list(parser.ole_subfiles or ())
    for project in projects:
        pcodedmp.processProject(project, _PcodeArgs, output_file=output)
    disassembly = output.getvalue()
    missing = vba_traits.stomped_names(disassembly, source.translate(AS_REPLACED) + "\n")
    if not missing:
        return report
    return replace(report, stomped=missing, pcode_traits=vba_traits.pcode_traits(disassembly))


# --- Excel 4.0 in BIFF8 -------------------------------------------------------------------------


def _ole_stream(data: bytes, names: tuple[str, ...], options: Options) -> bytes | None:
    ole = olefile.OleFileIO(io.BytesIO(data))
    try:
        for name in names:
            if ole.exists(name):
                with ole.openstream(name) as stream:
                    return bytes(stream.read(options.max_part_bytes))
        return None
    finally:
        ole.close()


def _biff_xlm(data: bytes, options: Options) -> XlmReport | None:
    # Called directly rather than through olevba, which only looks when the root CLSID says
    # "Excel": droppers built by tools often carry none.
    stream = _ole_stream(data, ("Workbook", "Book"), options)
    if not stream:
        return None
    sheets = cBIFF(name=["Workbook"], stream=stream, options="-o BOUNDSHEET").Analyze()
    if "Excel 4.0 macro sheet" not in "\n".join(sheets):
        return None
    lines = list(sheets)
    lines += cBIFF(name=["Workbook"], stream=stream, options="-o LABEL -r LN").Analyze()
    lines += cBIFF(name=["Workbook"], stream=stream, options="-c -r LN").Analyze()
    return xlm.from_biff([str(line) for line in lines], cells=stream)


# --- DDE -----------------------------------------------------------------------------------------


# What a DDE field needs in OOXML: a field code (Word) or a DDE link (Excel); an .xlsb keeps
# its links in binary records, which only msodde reads.
_FIELD_MARKS = (b"instrtext", b"fldsimple", b"ddelink")


def _may_hold_dde(package: ooxml.Package, kind: str) -> bool:
    """Whether msodde could find anything: it parses every XML part of the package in
    Python, which is most of its cost, so a package whose parts hold no field code or DDE
    link at all (found at C speed) is not handed to it."""
    if kind == "xlsb":
        return True
    for name in package.names():
        if name.endswith((".xml", ".rels")) or "." not in name.rpartition("/")[2]:
            data = package.read(name)
            if data is not None and any(mark in data.lower() for mark in _FIELD_MARKS):
                return True
    return False


def _dde_fields(data: bytes, kind: str, package: ooxml.Package | None) -> tuple[DdeField, ...]:
    found: list[str] = []
    if kind in ZIP_KINDS:
        if package is None or package.skipped:  # msodde reads every member, unbounded
            return ()
        names = package.names()
        if not _may_hold_dde(package, kind):
            return ()
        if kind in _WORD_ZIP or any(n.startswith("word/") for n in names):
            found = msodde.process_docx(io.BytesIO(data), msodde.FIELD_FILTER_DDE).splitlines()
        elif kind in _EXCEL_ZIP or any(n.startswith("xl/") for n in names):
            found = msodde.process_xlsx(io.BytesIO(data)).splitlines()
    elif kind == "rtf":
        found = msodde.process_rtf(io.BytesIO(data), msodde.FIELD_FILTER_DDE).splitlines()
    elif kind == "doc":
        ole = olefile.OleFileIO(io.BytesIO(data))
        try:
            found = msodde.process_doc(ole).splitlines()
        finally:
            ole.close()
    elif kind == "xls":
        found = _xls_dde(data)
    source = "docx" if kind in ZIP_KINDS else kind
    fields = [DdeField(command=clip(f), source=source) for f in found if f.strip()]
    return tuple(fields[:MAX_ITEMS])


def _xls_dde(data: bytes) -> list[str]:
    # Only DDE links: msodde.process_xls also lists ordinary links to other workbooks.
    out: list[str] = []
    book = xls_parser.XlsFile(io.BytesIO(data))
    try:
        for stream in book.iter_streams():
            if not isinstance(stream, xls_parser.WorkbookStream):
                continue
            for record in stream.iter_records():
                if (
                    isinstance(record, xls_parser.XlsRecordSupBook)
                    and record.support_link_type == xls_parser.XlsRecordSupBook.LINK_TYPE_OLE_DDE
                ):
                    out.append(str(record.virt_path).replace("\x03", " "))
    finally:
        book.close()
    return out


# --- RTF -----------------------------------------------------------------------------------------

_EXECUTABLE = re.compile(
    r"\.(?:exe|dll|scr|pif|com|cpl|hta|vbs|vbe|js|jse|wsf|wsh|ps1|bat|cmd|lnk|msi|jar)$", re.I
)
_EQUATION_CLSIDS = frozenset(
    c for c, d in KNOWN_CLSIDS.items() if "CVE-2017-11882" in d and "Equation" in d
)
# {\*\template target}: RTF escapes a backslash as "\\", so UNC paths arrive doubled.
_RTF_TEMPLATE = re.compile(rb"\\\*\s*\\template\s+((?:[^{}\\]|\\\\){1,2000})")


def _exploit(class_name: str, clsid: str, filename: str) -> str:
    lowered = class_name.lower()
    if lowered.startswith("equation") or clsid in _EQUATION_CLSIDS:
        return "CVE-2017-11882 / CVE-2018-0802 (Equation Editor)"
    if lowered == "ole2link":
        return "CVE-2017-0199 (OLE2Link)"
    if filename and _EXECUTABLE.search(filename.strip()):
        return "executable file in a Package object"
    description = str(KNOWN_CLSIDS.get(clsid, ""))
    return clip(description, 120) if "CVE" in description else ""


def _rtf_objects(data: bytes) -> tuple[EmbeddedObject, ...]:
    parser = rtfobj.RtfObjParser(data)
    parser.parse()
    found: list[EmbeddedObject] = []
    for obj in parser.objects[:MAX_ITEMS]:
        if not obj.is_ole:
            found.append(
                EmbeddedObject(class_name="(not parsable)", clsid="", filename="", exploit="")
            )
            continue
        class_name = bytes(obj.class_name or b"").rstrip(b"\x00").decode("latin-1")
        clsid = str(obj.clsid or "").upper()
        filename = str(obj.filename or "") if obj.is_package else ""
        found.append(
            EmbeddedObject(
                class_name=clip(class_name, 60),
                clsid=clsid,
                filename=clip(filename, 120),
                exploit=_exploit(class_name, clsid, filename),
            )
        )
    return tuple(found)


def _rtf_template(data: bytes) -> tuple[ExternalTarget, ...]:
    found: list[ExternalTarget] = []
    for match in _RTF_TEMPLATE.finditer(data):
        target = match.group(1).decode("latin-1").replace("\\\\", "\\").strip()
        if ooxml.is_remote(target):
            found.append(ExternalTarget(relation="template", target=clip(target), part="rtf"))
    return tuple(found[:MAX_ITEMS])


# --- files in OLE Package objects -----------------------------------------------------------------

# The class of "Package" objects (packager.exe's): their native data is a file.
_PACKAGE_CLSID = "0003000C-0000-0000-C000-000000000046"
_NATIVE = "\x01Ole10Native"
MAX_PACKAGES = 32  # Package objects read from one document


def _package_file(native: Any, options: Options) -> PackagedFile | None:
    if native.is_link or native.data is None:  # a link to a file elsewhere: no bytes here
        return None
    data = bytes(native.data[: options.max_part_bytes])
    return PackagedFile(
        name=clip(str(native.filename or ""), 200),
        source=clip(str(native.src_path or "")),
        data=data,
        size=int(native.actual_size or len(data)),
    )


def _ole_packages(data: bytes, options: Options) -> Iterator[PackagedFile]:
    """Package objects of an OLE file: `\x01Ole10Native` of the root (an OOXML
    `oleObject*.bin`) or of any storage (`ObjectPool/_<id>/` in .doc, `MBD…/` in .xls)."""
    ole = olefile.OleFileIO(io.BytesIO(data))
    try:
        for entry in ole.listdir(streams=True, storages=False):
            if entry[-1] != _NATIVE:
                continue
            storage = entry[:-1]
            clsid = str(ole.getclsid(storage) if storage else ole.root.clsid or "").upper()
            if clsid and clsid != _PACKAGE_CLSID:  # Equation Editor and others: not a file
                continue
            with ole.openstream(entry) as stream:
                native = oleobj.OleNativeStream(stream.read(options.max_part_bytes + 4096))
            found = _package_file(native, options)
            if found is not None and found.name:
                yield found
    finally:
        ole.close()


def _rtf_packages(data: bytes, options: Options) -> Iterator[PackagedFile]:
    parser = rtfobj.RtfObjParser(data)
    parser.parse()
    for obj in parser.objects:
        if obj.is_ole and obj.is_package and obj.olepkgdata is not None:
            yield PackagedFile(
                name=clip(str(obj.filename or ""), 200),
                source=clip(str(obj.src_path or "")),
                data=bytes(obj.olepkgdata[: options.max_part_bytes]),
                size=len(obj.olepkgdata),
            )


def packaged_files(data: bytes, kind: str, options: Options) -> tuple[PackagedFile, ...]:
    """The files carried by OLE Package objects in an RTF or OLE document (OOXML packages
    keep theirs in OLE parts, `*/embeddings/oleObject*.bin`, each opened as a member).
    Raises on a damaged document: the caller reports it."""
    with _quiet():
        found = _rtf_packages(data, options) if kind == "rtf" else _ole_packages(data, options)
        return tuple(itertools.islice(found, MAX_PACKAGES))


# --- Flat OPC ---------------------------------------------------------------------------------


def _flat_opc(data: bytes, options: Options) -> flat_opc.Rebuilt | None:
    return flat_opc.rebuild(
        data, max_parts=options.max_parts, max_part_bytes=options.max_part_bytes
    )


# --- entry point ----------------------------------------------------------------------------------


def inspect_office(data: bytes, kind: str, options: Options) -> OfficeReport:
    """Every Office check that applies to `kind` (the sniffed kind) on `data`."""
    checks = _Checks()
    vba: VbaReport | None = None
    xlm_report: XlmReport | None = None
    external: tuple[ExternalTarget, ...] | None = ()
    objects: tuple[EmbeddedObject, ...] | None = ()
    actions: tuple[SlideAction, ...] | None = ()
    skipped: list[str] = []
    if kind == "xml":  # Flat OPC is read as the package it stands for
        rebuilt = checks.run("flat-opc", lambda: _flat_opc(data, options))
        if rebuilt is not None:
            data, kind, skipped = rebuilt.zip, rebuilt.kind, rebuilt.skipped
            if rebuilt.damaged:
                checks.errors.append(("flat-opc", clip(rebuilt.damaged)))
    with _quiet():
        package = (
            checks.run("zip", lambda: ooxml.Package(data, options)) if kind in ZIP_KINDS else None
        )
        if kind != "rtf":
            stomping = options.stomping and kind not in _NO_PCODE
            vba_options = replace(options, stomping=stomping)
            vba, xlm_report = checks.run(
                "olevba", lambda: _vba(data, vba_options, package)
            ) or (None, None)
        if kind == "xls":
            xlm_report = checks.run("xlm", lambda: _biff_xlm(data, options))
        if package is not None:
            xlm_report = checks.run("macrosheets", lambda: ooxml.macrosheets(package))
            external = checks.run("relationships", lambda: ooxml.external_targets(package))
            actions = checks.run("slides", lambda: slides.slide_actions(package))
        if kind == "rtf":
            objects = checks.run("rtfobj", lambda: _rtf_objects(data))
            external = checks.run("rtf-template", lambda: _rtf_template(data))
        if kind == "xml":
            external = checks.run("word-xml", lambda: ooxml.wordml_targets(data))
        dde = checks.run("msodde", lambda: _dde_fields(data, kind, package))
    limits = tuple(
        ("max_member_bytes", clip(name))
        for name in (*skipped, *(package.skipped if package else ()))
    )
    return OfficeReport(
        vba=vba,
        xlm=xlm_report,
        external=external or (),
        dde=dde or (),
        objects=objects or (),
        actions=actions or (),
        errors=tuple(checks.errors),
        limits=limits[:MAX_ITEMS],
    )
