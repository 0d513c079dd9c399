"""What a document keeps for its macro to read, under the names the macro reads it by.

Real droppers rarely spell their command line in the VBA: they read it from a UserForm
control (`UserForm1.TextBox1.Text`, a `.GroupName` or `.Tag` nobody sees), the document's
own text (`ActiveDocument.Content`, `StoryRanges(1)`), a document variable or a property.
This module collects those values in the isolated worker, keyed as `vba_fold.store_key`
looks them up, so that the folder can follow them into the call that runs them. Bounded:
at most MAX_VALUES values of at most MAX_CHARS characters each.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from typing import Any

from . import ooxml
from .word_text import document_text

MAX_VALUES = 1024
MAX_CHARS = 256 * 1024
# olevba's names for a control's text fields -> the property a macro reads them by.
_FIELDS = {
    "value": "value",
    "caption": "caption",
    "tag": "tag",
    "control_tip_text": "controltiptext",
    "group_name": "groupname",
}
# Summary information a macro can read with BuiltInDocumentProperties("Comments").
_BUILTIN = {
    "title": "title",
    "subject": "subject",
    "author": "author",
    "keywords": "keywords",
    "comments": "comments",
    "last_saved_by": "last author",
    "category": "category",
    "company": "company",
    "manager": "manager",
}
_WORD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,254}")


class Stores:
    """A bounded map of store keys to values (see vba_fold.store_key)."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def put(self, key: str, value: object) -> None:
        if isinstance(value, bytes):
            value = value.decode("cp1252", "replace")
        if not isinstance(value, str) or not value or len(self.values) >= MAX_VALUES:
            return
        self.values.setdefault(key.lower(), value[:MAX_CHARS])

    def put_body(self, text: str) -> None:
        """The document text, and its paragraphs by 1-based number."""
        if not text.strip("\r\x01\x07 "):
            return
        self.put("@body", text)
        for number, paragraph in enumerate(text.split("\r")[:256], start=1):
            self.put(f"@paragraph.{number}", paragraph + "\r")


def text_of(value: object) -> str | None:
    """A stored field as text: olevba's bytes are cp1252."""
    return _text(value)


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        return value.decode("cp1252", "replace")
    return value if isinstance(value, str) else None


def _exact(text: str | None, plain: list[str]) -> str | None:
    """olevba's per-control reader misplaces some text fields by a few bytes (a length
    prefix kept, the tail cut); its plain form-string reader has the exact text. A long
    field is replaced by the plain string that holds its middle and is as long."""
    if text is None or len(text) < 64 or text in plain:
        return text
    middle = text[len(text) // 2 : len(text) // 2 + 32]
    return next((p for p in plain if abs(len(p) - len(text)) <= 8 and middle in p), text)


def form_controls(forms: Iterator[tuple[str, list[Any] | None, list[str]]], stores: Stores) -> None:
    """UserForm controls by form and name. `forms` gives, for each form, its name, the
    controls olevba's form reader found (None when it failed on the form: a text too long
    for its size field throws it off) and the printable strings of its `o` stream. A form
    that could not be read keeps its longest string under `form.*`: the macro reads that
    form, and what it reads is one of its strings."""
    for form, controls, plain in forms:
        if controls is None:
            if plain:
                stores.put(f"{form}.*", max(plain, key=len))
            continue
        for variables in controls:
            if isinstance(variables, dict):
                _control(form, variables, stores, plain)


def document_controls(controls: Iterator[tuple[str, dict[str, Any]]], stores: Stores) -> None:
    """ActiveX controls placed on the document itself (a TextBox in a Word page, on a
    sheet): read by their name alone, or behind the document's (`ThisDocument.TextBox1`)."""
    for name, variables in controls:
        _control("", {**variables, "name": name}, stores, [])


def _control(form: str, variables: dict[str, Any], stores: Stores, plain: list[str]) -> None:
    name = _text(variables.get("name"))
    if not name or not _WORD_NAME.fullmatch(name):
        return
    fields = {f: _exact(_text(variables.get(f)), plain) for f in _FIELDS}
    default = fields["value"] if fields["value"] is not None else fields["caption"]
    for prefix in (f"{form}.{name}", name) if form else (name,):
        if default is not None:
            stores.put(prefix, default)
        for field, prop in _FIELDS.items():
            text = fields[field]
            if text is not None:
                stores.put(f"{prefix}.{prop}", text)


def ole_document(data: bytes, stores: Stores) -> None:
    """A binary Word document's text and the summary information of any OLE file."""
    import olefile  # type: ignore[import-untyped, unused-ignore]

    try:
        ole = olefile.OleFileIO(data)
    except Exception:
        return
    try:
        stores.put_body(document_text(ole, MAX_CHARS))
        try:
            meta = ole.get_metadata()
        except Exception:
            meta = None
        for attribute, name in _BUILTIN.items():
            stores.put(f"@builtin.{name}", getattr(meta, attribute, None))
        if ole.exists("\x05DocumentSummaryInformation"):
            stream = ole.openstream("\x05DocumentSummaryInformation").read(MAX_CHARS * 4)
            for name, value in custom_properties(stream):
                stores.put(f"@prop.{name}", value)
    except Exception:
        return
    finally:
        ole.close()


def ooxml_document(package: ooxml.Package, stores: Stores) -> None:
    """An OOXML package's body text, document variables and properties by name."""
    for key, value in ooxml.named_values(package):
        if key == "@body":
            stores.put_body(value)
        else:
            stores.put(key, value)


_CUSTOM_FMTID = bytes.fromhex("05d5cdd59c2e1b10939708002b2cf9ae")  # D5CDD505-2E9C-101B-...
_VT_LPSTR, _VT_LPWSTR = 0x1E, 0x1F


def custom_properties(stream: bytes) -> Iterator[tuple[str, str]]:
    """(name, text) of the string-valued custom properties of a binary document (the second
    section of `\x05DocumentSummaryInformation`, [MS-OLEPS]); nothing when malformed."""
    try:
        (sections,) = struct.unpack_from("<I", stream, 24)
        offset = next(
            struct.unpack_from("<I", stream, 28 + n * 20 + 16)[0]
            for n in range(min(sections, 8))
            if stream[28 + n * 20 : 28 + n * 20 + 16] == _CUSTOM_FMTID
        )
    except (StopIteration, struct.error):
        return
    try:
        _size, count = struct.unpack_from("<II", stream, offset)
        entries = [
            struct.unpack_from("<II", stream, offset + 8 + n * 8) for n in range(min(count, 512))
        ]
        places = dict(entries)
        codepage = 1252
        if 1 in places:
            codepage = struct.unpack_from("<H", stream, offset + places[1] + 4)[0]
        encoding = "utf-16-le" if codepage == 1200 else f"cp{codepage}"
        names = _dictionary(stream, offset + places[0], encoding) if 0 in places else {}
        for prop, at in entries:
            if prop in names:
                value = _string(stream, offset + at)
                if value is not None:
                    yield names[prop], value
    except (struct.error, LookupError):
        return


def _dictionary(stream: bytes, at: int, encoding: str) -> dict[int, str]:
    (count,) = struct.unpack_from("<I", stream, at)
    at += 4
    names: dict[int, str] = {}
    for _ in range(min(count, 512)):
        prop, length = struct.unpack_from("<II", stream, at)
        at += 8
        size = length * 2 if encoding == "utf-16-le" else length
        names[prop] = stream[at : at + size].decode(encoding, "replace").rstrip("\x00")
        at += size + ((-size % 4) if encoding == "utf-16-le" else 0)
    return names


def _string(stream: bytes, at: int) -> str | None:
    kind, length = struct.unpack_from("<II", stream, at)
    if kind == _VT_LPSTR:
        return stream[at + 8 : at + 8 + length].decode("cp1252", "replace").rstrip("\x00")
    if kind == _VT_LPWSTR:
        return stream[at + 8 : at + 8 + length * 2].decode("utf-16-le", "replace").rstrip("\x00")
    return None
