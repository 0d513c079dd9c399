"""Office attachments: VBA and Excel 4.0 macros, VBA stomping, template injection, DDE and
RTF objects.

The heavy parsing (oletools, zip/XML) runs in the engine's isolated worker with the
analyzer timeout, once per distinct attachment (results cached by sha256); this module
only decides what the report means (hits.py). olevba treats any NUL-free text as VBA
source, so only attachments sniffed as Office containers are offered.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..interface import AttachmentAnalyzer, AttachmentContext, Hit, deferred

if TYPE_CHECKING:  # the records load with the first Office attachment
    from ...limits import Limits
    from .inspection import OfficeReport, Options, PackagedFile

OFFICE_KINDS = frozenset(
    {
        "ole",
        "doc",
        "xls",
        "ppt",
        "docx",
        "docm",
        "xlsx",
        "xlsm",
        "xlsb",
        "pptx",
        "pptm",
        "ooxml",
        "mht",
        "activemime",
        "slk",
    }
)
# RTF never goes to olevba (it would read RTF as VBA source), only to rtfobj and msodde.
# XML only when it is Word 2003 XML or Flat OPC, which olevba reads for embedded macros.
KINDS = OFFICE_KINDS | {"rtf", "xml"}
MACRO_IDS = (
    "attachment.macro",
    "attachment.macro.autoexec",
    "attachment.macro.autoexec_exec",
    "attachment.vba_stomping",
)
DDE_IDS = ("attachment.dde", "attachment.dde.command")
OTHER_IDS = (
    "attachment.xlm_macro",
    "attachment.xlm_macrosheet",
    "attachment.template_injection",
    "attachment.template_injection.file_share",
    "attachment.slide_action",
    *DDE_IDS,
    "attachment.rtf_object",
    "attachment.rtf_object.exploit",
    "analyzer.error",
    "analyzer.office_partial",
)


def run_in_worker(data: bytes, kind: str, options: Options) -> OfficeReport:
    """The worker entry point. oletools is imported here, inside the worker: the scanning
    process never loads it (it is pickled by name, and this module is light)."""
    from .oletools_adapter import inspect_office

    return inspect_office(data, kind, options)


# A module attribute so that tests can substitute a slow one.
inspect = run_in_worker


def packages_in_worker(data: bytes, kind: str, options: Options) -> tuple[PackagedFile, ...]:
    """The worker entry point for the files in OLE Package objects (see embedded.py)."""
    from .oletools_adapter import packaged_files

    return packaged_files(data, kind, options)


def options_for(limits: Limits) -> Options:
    from .inspection import Options

    return Options(
        max_part_bytes=min(limits.max_member_bytes, 64 * 1024 * 1024),
        max_parts=limits.max_archive_members,
        max_code_chars=limits.max_text_chars,
    )


def _csv(ctx: AttachmentContext) -> Iterable[Hit]:
    """Only a CSV file loads the analyzer: every text part is offered to this check."""
    from .csv_dde import looks_like_csv

    if not looks_like_csv(ctx.item.filename, ctx.item.declared_type):
        return ()
    from .analyzer import csv

    return csv(ctx)


ANALYZERS = (
    AttachmentAnalyzer(
        name="office",
        emits=(*MACRO_IDS, *OTHER_IDS, "analyzer.timeout"),
        run=deferred(f"{__name__}.analyzer", "office"),
        kinds=KINDS,
    ),
    AttachmentAnalyzer(
        name="office.csv_dde",
        emits=DDE_IDS,
        run=_csv,
        kinds=frozenset({"text"}),
    ),
)

__all__ = ["ANALYZERS", "KINDS", "OFFICE_KINDS"]
