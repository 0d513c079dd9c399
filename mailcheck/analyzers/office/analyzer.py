"""The Office analyzers' run functions, imported when an Office attachment first appears.

The heavy parsing happens in the engine's isolated worker (`run_in_worker`); this module
asks for it (through the sha256 cache) and turns the report into hits (hits.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ...containers import flat_opc
from ...engine import WorkerFailed, WorkerTimeout
from ...model import Evidence, Hit
from ..interface import AttachmentContext
from . import csv_dde, hits, options_for
from .inspection import DdeField, OfficeReport, Options

_OFFICE_XML = (b"schemas.microsoft.com/office/word/2003/wordml", flat_opc.NAMESPACE)
_NAME = "office"


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
        return ctx.engine.worker.call(_entry_point(), data, kind, options, timeout=timeout)

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


def _entry_point() -> Callable[[bytes, str, Options], OfficeReport]:
    """The worker entry point as the package holds it now (tests substitute a slow one)."""
    from . import inspect

    return inspect
