"""Flat OPC: an OOXML package saved as one XML file (`<pkg:package>`), rebuilt as its zip.

Word, Excel and PowerPoint save "XML Document" files as the parts of the package written
out one after the other: XML parts inline (`pkg:xmlData`), binary parts (the VBA project,
embedded objects, ActiveX controls) in base64 (`pkg:binaryData`), each with its content
type. Rebuilt as the zip it stands for, every OOXML reader (relationships, macros, macro
sheets, DDE, controls, embedded objects) reads it like the .docx it would be saved as.

Hostile input: the XML is parsed as a stream (each part dropped once read), any DTD is
refused (no entity can be declared, so none expands; OOXML never has one), and parts are
bounded in number and in decoded size. Parts left out are named in `Rebuilt.skipped`.
"""

from __future__ import annotations

import base64
import binascii
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.etree import ElementTree as ET

NAMESPACE = b"schemas.microsoft.com/office/2006/xmlPackage"
_CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
_HEAD = 4096  # where the package's namespace must show


def is_flat_opc(data: bytes) -> bool:
    return NAMESPACE in data[:_HEAD]


def has_dtd(data: bytes) -> bool:
    """A DTD can declare entities: OOXML never has one, so a document that does is refused."""
    return b"<!DOCTYPE" in data or b"<!ENTITY" in data


def is_embedding(name: str) -> bool:
    """An embedded object or document part of an OOXML package (`word/embeddings/...`)."""
    folder, _, base = name.replace("\\", "/").lower().rpartition("/")
    return bool(base) and "embeddings" in folder.split("/")


def main_kind(names: list[str]) -> str:
    """The sniffed kind the rebuilt package stands for."""
    for prefix, kind in (("word/", "docx"), ("xl/", "xlsx"), ("ppt/", "pptx")):
        if any(n.lower().startswith(prefix) for n in names):
            return kind
    return "ooxml"


@dataclass(slots=True)
class Rebuilt:
    zip: bytes  # the package as a stored (uncompressed) zip
    names: list[str] = field(default_factory=list)  # its parts, as the XML names them
    skipped: list[str] = field(default_factory=list)  # parts left out at a bound
    damaged: str = ""  # the XML error that ended the reading early, "" if none

    @property
    def kind(self) -> str:
        return main_kind(self.names)


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _attr(element: ET.Element, name: str) -> str:
    for key, value in element.attrib.items():
        if _local(key) == name:
            return value
    return ""


def _parts(data: bytes, out: Rebuilt) -> Iterator[ET.Element]:
    """Each `pkg:part` element, complete, then cleared (the stream keeps one at a time)."""
    try:
        for _event, element in ET.iterparse(io.BytesIO(data), events=("end",)):
            if _local(element.tag) == "part":
                yield element
                element.clear()
    except ET.ParseError as exc:
        out.damaged = f"malformed XML: {exc}"[:200]


def _payload(part: ET.Element, max_bytes: int) -> bytes | None:
    """A part's bytes, or None when it has none or they would pass `max_bytes`."""
    for child in part:
        name = _local(child.tag)
        if name == "binaryData":
            text = "".join((child.text or "").split())
            if len(text) // 4 * 3 > max_bytes:
                return None
            try:
                return base64.b64decode(text)
            except (binascii.Error, ValueError):
                return None
        if name == "xmlData" and len(child):
            xml = ET.tostring(child[0], encoding="utf-8")
            return xml if len(xml) <= max_bytes else None
    return None


def rebuild(data: bytes, *, max_parts: int, max_part_bytes: int) -> Rebuilt | None:
    """The zip a Flat OPC document stands for; None if it is not one (or has a DTD).

    Malformed XML ends the reading: the parts read before it are kept, and the error is
    `Rebuilt.damaged`."""
    if not is_flat_opc(data) or has_dtd(data):
        return None
    buffer = io.BytesIO()
    out = Rebuilt(zip=b"")
    types = ET.Element("Types", xmlns=_CONTENT_TYPES)
    seen: set[str] = set()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for part in _parts(data, out):
            name = _attr(part, "name").replace("\\", "/").lstrip("/")
            if not name or name.lower() in seen:
                continue
            if len(seen) >= max_parts:
                out.skipped.append(name)
                continue
            payload = _payload(part, max_part_bytes)
            if payload is None:
                out.skipped.append(name)
                continue
            seen.add(name.lower())
            out.names.append(name)
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), payload)
            content_type = _attr(part, "contentType")
            if content_type:
                ET.SubElement(types, "Override", PartName=f"/{name}", ContentType=content_type)
        if "[content_types].xml" not in seen:
            archive.writestr("[Content_Types].xml", ET.tostring(types, encoding="utf-8"))
    out.zip = buffer.getvalue()
    return out
