"""Office attachments: VBA and Excel 4.0 macros, VBA stomping, template injection, DDE and
RTF objects.

The heavy parsing (oletools, zip/XML) runs in the engine's isolated worker with the
analyzer timeout, once per distinct attachment (results cached by sha256); this module
only decides what the report means (hits.py). olevba treats any NUL-free text as VBA
source, so only attachments sniffed as Office containers are offered.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...engine import WorkerFailed, WorkerTimeout
from ...limits import Limits
from ...model import Evidence, Hit
from ..interface import AttachmentAnalyzer, AttachmentContext
from . import csv_dde, hits, oletools_adapter
from .report import DdeField, OfficeReport, Options

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
_OFFICE_XML = (b"schemas.microsoft.com/office/word/2003/wordml", b"<pkg:package")
_NAME = "office"

# The worker entry point; a module attribute so that tests can substitute a slow one.
inspect = oletools_adapter.inspect_office


def options_for(limits: Limits) -> Options:
    return Options(
        max_part_bytes=min(limits.max_member_bytes, 64 * 1024 * 1024),
        max_parts=limits.max_archive_members,
        max_code_chars=limits.max_text_chars,
    )


def _analyzer_problem(finding_id: str, location: str, **facts: str) -> Hit:
    return Hit(
        id=finding_id,
        evidence=(
            Evidence(
                location=location,
                excerpt=facts.get("error", ""),
                facts=(("analyzer", _NAME), ("location", location), *facts.items()),
            ),
        ),
    )


def office(ctx: AttachmentContext) -> Iterator[Hit]:
    item = ctx.item
    if item.sniffed.kind == "xml" and not any(m in item.data[:4096] for m in _OFFICE_XML):
        return
    kind, data, timeout = item.sniffed.kind, item.data, ctx.limits.analyzer_timeout
    options = options_for(ctx.limits)

    def run() -> OfficeReport:
        return ctx.engine.worker.call(inspect, data, kind, options, timeout=timeout)

    try:
        # The bounds are part of the key: a daemon may scan under several Limits presets.
        report = ctx.engine.cached((_NAME, item.sha256, options), run)
    except WorkerTimeout:
        yield _analyzer_problem("analyzer.timeout", item.location, timeout=f"{timeout:g}")
        return
    except WorkerFailed as exc:  # the worker died (or the report could not travel back)
        yield _analyzer_problem("analyzer.error", item.location, error=str(exc)[:300])
        return
    yield from hits.report_hits(report, item.location, item.path, _NAME)


def csv(ctx: AttachmentContext) -> Iterator[Hit]:
    item = ctx.item
    if not csv_dde.looks_like_csv(item.filename, item.declared_type):
        return
    text = item.data[: ctx.limits.max_text_chars].decode("utf-8", "replace")
    for cell in csv_dde.dde_cells(text):
        yield hits.dde_hit(DdeField(command=cell, source="csv"), item.location, item.path)


ANALYZERS = (
    AttachmentAnalyzer(
        name=_NAME,
        emits=(*hits.MACRO_IDS, *hits.OTHER_IDS, "analyzer.timeout"),
        run=office,
        kinds=KINDS,
    ),
    AttachmentAnalyzer(
        name="office.csv_dde", emits=hits.DDE_IDS, run=csv, kinds=frozenset({"text"})
    ),
)

__all__ = ["ANALYZERS", "KINDS", "OFFICE_KINDS"]
