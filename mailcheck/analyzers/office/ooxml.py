"""Checks on OOXML packages that need only the zip and its XML: no oletools.

- External relationships that make Office fetch a template, frame, sub-document or OLE
  object when the file opens (template injection, CVE-2022-30190's mhtml: targets).
  Hyperlinks are external too but only followed on a click: they are not reported.
- Excel 4.0 macro sheets (xl/macrosheets/): olevba 0.60 does not look at them in OOXML.

Every member is read with a bound; XML with a DTD is refused (OOXML never has one, and
entity expansion is the classic XML bomb).
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator

from ...containers.flat_opc import has_dtd
from .inspection import MAX_ITEMS, ExternalTarget, Options, XlmReport, clip
from .xlm import Collector


class Package:
    """A zip opened for bounded reading; member names compared case-insensitively (OPC)."""

    def __init__(self, data: bytes, options: Options) -> None:
        self.zip = zipfile.ZipFile(io.BytesIO(data))
        self.options = options
        self.infos = {
            info.filename.replace("\\", "/").lstrip("/").lower(): info
            for info in self.zip.infolist()[: options.max_parts]
        }
        # Members never read: over the size bound, or compressed with a method zipfile
        # decompresses in one unbounded step (bzip2, LZMA: the declared size is not a bound
        # there; Office itself writes only stored and deflated parts).
        self.skipped = [n for n, i in self.infos.items() if not self._readable(i)]
        if len(self.zip.infolist()) > options.max_parts:
            self.skipped.append(f"{len(self.zip.infolist()) - options.max_parts} more members")

    def _readable(self, info: zipfile.ZipInfo) -> bool:
        return info.file_size <= self.options.max_part_bytes and info.compress_type in (
            zipfile.ZIP_STORED,
            zipfile.ZIP_DEFLATED,
        )

    def names(self) -> list[str]:
        return list(self.infos)

    def read(self, name: str) -> bytes | None:
        info = self.infos.get(name.lower())
        if info is None or not self._readable(info):
            return None
        with self.zip.open(info) as member:  # deflate stops at the read size
            return member.read(self.options.max_part_bytes)

    def xml(self, name: str) -> ET.Element | None:
        data = self.read(name)
        if data is None or has_dtd(data):
            return None
        try:
            return ET.fromstring(data)
        except ET.ParseError:
            return None


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _iter(root: ET.Element, name: str) -> Iterator[ET.Element]:
    for element in root.iter():
        if _local(element.tag) == name:
            yield element


def _attr(element: ET.Element, name: str) -> str:
    for key, value in element.attrib.items():
        if _local(key) == name:
            return value
    return ""


# For the other package readers (slides.py): names compared without their namespace.
attr_of = _attr
iter_local = _iter


# --- external targets -------------------------------------------------------------------------

# Relationship types whose external target Office loads on opening, without a click.
_LOADED_ON_OPEN = frozenset({"attachedtemplate", "oleobject", "frame", "subdocument"})
_REMOTE = re.compile(r"^\s*(?:https?:|mhtml:|file:|\\\\|//)|!x-usc:", re.I)


def is_remote(target: str) -> bool:
    """A URL, UNC or file path Office would fetch, as opposed to a part of the package."""
    return bool(_REMOTE.search(target))


def external_targets(package: Package) -> tuple[ExternalTarget, ...]:
    found: list[ExternalTarget] = []
    for name in package.names():
        if not name.endswith(".rels"):
            continue
        root = package.xml(name)
        if root is None:
            continue
        for rel in _iter(root, "Relationship"):
            relation = rel.get("Type", "").rstrip("/").rpartition("/")[2]
            target = rel.get("Target", "")
            if (
                rel.get("TargetMode", "").lower() == "external"
                and relation.lower() in _LOADED_ON_OPEN
                and is_remote(target)
            ):
                found.append(ExternalTarget(relation=relation, target=clip(target), part=name))
                if len(found) >= MAX_ITEMS:
                    return tuple(found)
    return tuple(found)


_WORDML = b"schemas.microsoft.com/office/word/2003/wordml"


def wordml_targets(data: bytes) -> tuple[ExternalTarget, ...]:
    """The remote template of a Word 2003 XML document (`w:docPr/w:attachedTemplate/@w:val`):
    that format has no relationships, the template is named in place. Streamed; a DTD is
    refused, so no entity expands."""
    if _WORDML not in data[:4096] or has_dtd(data):
        return ()
    found: list[ExternalTarget] = []
    try:
        for _event, element in ET.iterparse(io.BytesIO(data), events=("end",)):
            if _local(element.tag) == "attachedTemplate":
                target = _attr(element, "val")
                if is_remote(target):
                    found.append(
                        ExternalTarget(
                            relation="attachedTemplate", target=clip(target), part="w:docPr"
                        )
                    )
            elif _local(element.tag) in ("binData", "body"):
                element.clear()  # pictures and text: nothing to keep
            if len(found) >= MAX_ITEMS:
                break
    except ET.ParseError:
        pass  # a damaged tail: what was read before it stands
    return tuple(found)


# --- Excel 4.0 macro sheets -------------------------------------------------------------------

_MACROSHEET_TYPES = ("macrosheet", "intlmacrosheet")
_MACROSHEET_DIRS = ("xl/macrosheets/", "xl/intlmacrosheets/")


def _sheet_parts(package: Package) -> dict[str, str]:
    """Workbook sheet names by the part they live in, with their visibility."""
    workbook = package.xml("xl/workbook.xml")
    rels = package.xml("xl/_rels/workbook.xml.rels")
    if workbook is None or rels is None:
        return {}
    targets = {
        rel.get("Id", ""): "xl/" + rel.get("Target", "").lstrip("/").removeprefix("xl/")
        for rel in _iter(rels, "Relationship")
    }
    out: dict[str, str] = {}
    for sheet in _iter(workbook, "sheet"):
        part = targets.get(_attr(sheet, "id"), "").lower()
        if part:
            state = sheet.get("state", "visible")
            out[part] = f"{sheet.get('name', '?')}|{state}"
    return out


def macrosheets(package: Package) -> XlmReport | None:
    """Macro sheets of an .xlsm/.xlsx (XML) or .xlsb (binary parts, presence only)."""
    parts = [n for n in package.names() if n.startswith(_MACROSHEET_DIRS)]
    types = package.xml("[Content_Types].xml")
    if types is not None:
        for override in _iter(types, "Override"):
            content_type = override.get("ContentType", "").lower()
            part = override.get("PartName", "").lstrip("/").lower()
            if any(f".{t}" in content_type for t in _MACROSHEET_TYPES) and part not in parts:
                parts.append(part)
    if not parts:
        return None
    binary = "xl/workbook.bin" in package.names()
    collector = Collector("xlsb" if binary else "ooxml")
    names = _sheet_parts(package)
    for part in parts[:MAX_ITEMS]:
        label, _, state = names.get(part, part.rpartition("/")[2] + "|").partition("|")
        collector.sheet(label, state)
        if binary:
            _scan_binary(package, part, collector)
            continue
        root = package.xml(part)
        for formula in _iter(root, "f") if root is not None else ():
            collector.formula(formula.text or "")
    strings = package.read("xl/sharedStrings.xml") or package.read("xl/sharedstrings.bin")
    collector.cell_text(strings or b"")
    if binary:
        _scan_binary(package, "xl/workbook.bin", collector, names_only=True)
    else:
        workbook = package.xml("xl/workbook.xml")
        for defined in _iter(workbook, "definedName") if workbook is not None else ():
            collector.name(defined.get("name", ""))
    return collector.report()


_UTF16_WORD = re.compile(rb"(?:[\x20-\x7e]\x00){4,}")


def _scan_binary(
    package: Package, part: str, collector: Collector, names_only: bool = False
) -> None:
    """BIFF12 parts: names and DLL entry points are UTF-16 strings; formulas stay opaque."""
    data = package.read(part)
    for match in _UTF16_WORD.finditer(data or b""):
        text = match.group(0).decode("utf-16-le")
        if names_only:
            collector.name(text)
        else:
            collector.formula(text)


# --- strings a macro can read from its own document ---------------------------------------------

# What the VBA source must mention for each kind of document string to be looked at: a
# document's text or cells mentioning PowerShell is no evidence unless its macro reads them.
_READS = (
    ("variables", re.compile(r"\.Variables\b", re.I), ("word/settings.xml",)),
    ("properties", re.compile(r"DocumentProperties\b", re.I), ("docprops/custom.xml",)),
    (
        "text",
        re.compile(
            r"\.(?:Content|Paragraphs|ContentControls|TextFrame2?|Shapes|StoryRanges)\b"
            r"|\.Range\.Text\b",
            re.I,
        ),
        ("word/document.xml",),
    ),
    ("cells", re.compile(r"\.(?:Cells|Range)\s*\(|\.Value\b", re.I), ("xl/sharedstrings.xml",)),
)
_VALUE_TAGS = frozenset({"lpwstr", "lpstr", "bstr", "t"})
_MAX_STRINGS = 256


def document_strings(package: Package, source: str) -> list[str]:
    """Doc variables, custom property values, body text and shared cell strings of the
    package, each only where `source` reads that kind: where droppers keep a payload the
    macro source never spells out. Bounded by the package's part size and a count."""
    out: list[str] = []
    for kind, reads, parts in _READS:
        if not reads.search(source):
            continue
        for part in parts:
            root = package.xml(part)
            if root is None:
                continue
            if kind == "variables":
                out.extend(_attr(e, "val") for e in _iter(root, "docVar"))
            elif kind == "text":
                out.extend("".join(t.text or "" for t in _iter(p, "t")) for p in _iter(root, "p"))
            else:
                out.extend(e.text or "" for e in root.iter() if _local(e.tag) in _VALUE_TAGS)
    return [s for s in out if s.strip()][:_MAX_STRINGS]


_CORE_FIELDS = {
    "title": "title",
    "subject": "subject",
    "creator": "author",
    "keywords": "keywords",
    "description": "comments",
    "category": "category",
    "lastmodifiedby": "last author",
}


def named_values(package: Package) -> Iterator[tuple[str, str]]:
    """(store key, value) for what a macro reads by name from its own package: the body
    text (`@body`), document variables, custom and core properties, and the text and
    alternative text of shapes (see vba_fold.store_key)."""
    document = package.xml("word/document.xml")
    if document is not None:
        paragraphs = ("".join(t.text or "" for t in _iter(p, "t")) for p in _iter(document, "p"))
        yield "@body", "\r".join(paragraphs)
        for number, shape in enumerate(_iter(document, "docPr"), start=1):
            for key in (_attr(shape, "name"), str(number)):
                if key:
                    yield f"@alt.{key}", _attr(shape, "descr") or _attr(shape, "title")
    settings = package.xml("word/settings.xml")
    if settings is not None:
        for variable in _iter(settings, "docVar"):
            yield f"@var.{_attr(variable, 'name')}", _attr(variable, "val")
    custom = package.xml("docprops/custom.xml")
    if custom is not None:
        for prop in _iter(custom, "property"):
            value = next((e.text or "" for e in prop if _local(e.tag) in _VALUE_TAGS), "")
            yield f"@prop.{_attr(prop, 'name')}", value
    core = package.xml("docprops/core.xml")
    if core is not None:
        for element in core:
            field = _CORE_FIELDS.get(_local(element.tag).lower())
            if field:
                yield f"@builtin.{field}", element.text or ""


def _rels(package: Package, part: str) -> dict[str, str]:
    """Relationship id -> target part (resolved, lower case) of `part`."""
    folder, _, name = part.rpartition("/")
    root = package.xml(f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels")
    out: dict[str, str] = {}
    if root is None:
        return out
    for rel in _iter(root, "Relationship"):
        target = _attr(rel, "Target").replace("\\", "/")
        if not target or _attr(rel, "TargetMode").lower() == "external":
            continue
        path = target.lstrip("/") if target.startswith("/") else f"{folder}/{target}"
        parts: list[str] = []
        for piece in path.split("/"):
            if piece == "..":
                if parts:
                    parts.pop()
            elif piece not in ("", "."):
                parts.append(piece)
        out[_attr(rel, "Id")] = "/".join(parts).lower()
    return out


def control_parts(package: Package) -> Iterator[tuple[str, str]]:
    """(control name, its `activeX*.bin` part) for each ActiveX control a document or sheet
    places by name (`<w:control w:name r:id>`, `<control name r:id>`)."""
    for part in package.names():
        if not part.endswith(".xml") or "/activex/" in part or part.startswith("customxml/"):
            continue
        raw = package.read(part)
        if raw is None or b"control" not in raw:  # most parts: no parse
            continue
        root = package.xml(part)
        controls = list(_iter(root, "control")) if root is not None else []
        if not controls:
            continue
        rels = _rels(package, part)
        for control in controls[:MAX_ITEMS * 8]:
            name, target = _attr(control, "name"), rels.get(_attr(control, "id"), "")
            if not name or not target:
                continue
            binary = _rels(package, target)
            found = next((t for t in binary.values() if t.endswith(".bin")), "")
            yield name, found or target.removesuffix(".xml") + ".bin"
