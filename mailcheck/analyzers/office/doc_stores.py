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


def _control(form: str, variables: dict[str, Any], stores: Stores, plain: list[str]) -> None:
    name = _text(variables.get("name"))
    if not name or not _WORD_NAME.fullmatch(name):
        return
    fields = {f: _exact(_text(variables.get(f)), plain) for f in _FIELDS}
    default = fields["value"] if fields["value"] is not None else fields["caption"]
    for prefix in (f"{form}.{name}", name):
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
