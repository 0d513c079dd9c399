"""Excel add-ins (XLL) told by their bytes. The only importer of pefile.

An XLL is a Windows DLL that Excel loads as an add-in when the file is opened, and Excel
calls its `xlAutoOpen` export straight away: no macro, no "enable content" bar. From 2021
(and again when Office blocked macros from the internet in 2022) malspam sent XLLs, also
renamed or inside archives. A PE is already an `attachment.executable`; this says what the
DLL is for, whatever it is called. Only the export directory is parsed, from a bounded
prefix of the file, and pefile bounds the number of exports it reads.
"""

from __future__ import annotations

from collections.abc import Iterator

import pefile  # type: ignore[import-untyped, unused-ignore]

from ..model import Evidence
from ..text import clean_text
from .executables import visible
from .interface import AttachmentContext, Hit

_PARSED_BYTES = 16 * 1024 * 1024  # headers and sections; padding sits after them
_AUTO_OPEN = "xlAutoOpen"
_SHOWN = 8
_EXPORT = pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_EXPORT"]


def dll_exports(data: bytes) -> tuple[str, ...] | None:
    """The names a DLL exports, or None when `data` is no readable DLL. Never raises."""
    try:
        pe = pefile.PE(data=data[:_PARSED_BYTES], fast_load=True)
        try:
            if not pe.is_dll():
                return None
            pe.parse_data_directories(directories=[_EXPORT])
            table = getattr(pe, "DIRECTORY_ENTRY_EXPORT", None)
            symbols = table.symbols if table is not None else []
            return tuple(s.name.decode("ascii", "replace") for s in symbols if s.name)
        finally:
            pe.close()
    except Exception:  # a damaged PE: attachment.executable still names it
        return None


def addins(ctx: AttachmentContext) -> Iterator[Hit]:
    item = ctx.item
    if item.role == "body" or not item.data:
        return
    exports = dll_exports(item.data)
    if not exports or _AUTO_OPEN not in exports:
        return
    excel = [name for name in exports if name.startswith("xl")][:_SHOWN]
    shown = clean_text(", ".join(excel), 300)
    yield Hit(
        id="attachment.xll_addin",
        evidence=(
            Evidence(
                location=item.location,
                excerpt=f"{visible(item.filename) or '-'}: a DLL exporting {shown}",
                facts=(
                    ("attachment", item.path),
                    ("filename", visible(item.filename) or "-"),
                    ("exports", shown),
                ),
            ),
        ),
    )
