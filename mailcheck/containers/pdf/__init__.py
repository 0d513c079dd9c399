"""PDF documents: the files they embed are members, their links and actions are handed on.

A PDF is a document a person opens, and it can also carry files (the /EmbeddedFiles name
tree, file-attachment annotations) that a viewer saves or opens with a click or a script
(`exportDataObject`): an `.xlsm` with auto-run macros, an `.exe`, a `.js`. Those files are
members (`2/invoice.pdf/invoice.xlsm`), analysed like any attachment. The PDF itself stays a
file (it is not an archive kind): the padding and type checks still look at it, and the
actions and addresses it holds travel on `Opened.actions` / `Opened.links` to the analyzers
(`analyzers/pdf.py` judges the actions, `analyzers/links.py` the links with the message's).

pypdf can loop, recurse or allocate without end on hostile documents, so the document is
read in the engine's isolated worker (`reader.py`, the only importer of pypdf) with the
analyzer timeout; a timeout or a dead worker is a finding, never a stalled scan. This module
is light: the scanning process never imports pypdf.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ...model import Evidence, Hit
from ..interface import Opened, OpenRequest
from ..session import Session
from .report import PdfBounds, PdfReport

# The finding ids this opener may report are listed in `containers.EMITS`.
_NAME = "pdf"
# Bounds the reader stopped at that are `limit.*` findings of their own.
_LIMITS = ("max_pdf_objects", "max_archive_members", "max_total_bytes", "max_urls")


def load_reader() -> Callable[[bytes, PdfBounds], PdfReport]:
    """The reader, with pypdf imported (quietly: some releases warn about their crypto
    provider on import). Only the worker calls this."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from .reader import read_pdf

    return read_pdf


def run_in_worker(data: bytes, bounds: PdfBounds) -> PdfReport:
    """The worker entry point: pypdf is imported here, inside the worker."""
    return load_reader()(data, bounds)


# A module attribute, looked up at each call, so that tests can substitute a slow or dying one.
inspect = run_in_worker


def bounds_for(session: Session, request: OpenRequest) -> PdfBounds:
    limits = session.limits
    return PdfBounds(
        keep=session.keep,
        allowance=session.allowance,
        ratio=limits.max_compression_ratio,
        max_total=max(0, limits.max_total_bytes - session.budget.total_bytes),
        max_files=limits.max_archive_members,
        max_objects=limits.max_pdf_objects,
        max_links=limits.max_urls,
        max_script_chars=limits.max_text_chars,
        passwords=request.passwords,
        max_password_tries=limits.max_password_tries,
    )


def _worker_problem(session: Session, finding_id: str, **facts: str) -> None:
    location = session.location
    evidence = Evidence(
        location=location,
        excerpt=facts.get("error", ""),
        facts=(("analyzer", _NAME), ("location", location), *facts.items()),
    )
    session.hits.append(Hit(id=finding_id, evidence=(evidence,)))


def _read(session: Session, request: OpenRequest) -> PdfReport | None:
    from ...engine import WorkerFailed, WorkerTimeout, default_engine

    data = request.data
    if len(data) > session.keep:  # the rest of a document this large is not read
        session.budget.hit("max_member_bytes", session.location, limit=str(session.keep))
        session.mark("truncated")
        data = data[: session.keep]
    engine = request.engine or default_engine()
    timeout = session.limits.analyzer_timeout
    bounds = bounds_for(session, request)
    try:
        return engine.worker.call(inspect, data, bounds, timeout=timeout)
    except WorkerTimeout:
        _worker_problem(session, "analyzer.timeout", timeout=f"{timeout:g}")
        session.mark("truncated")
    except WorkerFailed as exc:  # the worker died, ran out of memory, or pypdf raised
        _worker_problem(session, "analyzer.error", error=str(exc)[:300])
        session.mark("broken")
    return None


def _unreadable(session: Session, excerpt: str, reason: str) -> None:
    session.mark("broken")
    session.finding(
        "attachment.pdf_unreadable",
        session.location,
        excerpt=excerpt,
        attachment=session.request.path,
        reason=reason,
    )


def _judge_reading(session: Session, report: PdfReport) -> None:
    """What kept the document (or part of it) from being read, and how it was opened."""
    path = session.request.path
    if report.status == "broken":
        _unreadable(session, report.reason, report.reason or "damaged")
    elif report.status == "encrypted":
        session.mark("encrypted")
        session.finding(
            "attachment.pdf_encrypted",
            session.location,
            excerpt=report.reason,
            attachment=path,
            tried=str(report.tried),
        )
        if report.untried:
            session.too_many_tries()
    if report.password:
        session.finding(
            "attachment.pdf_password_in_body",
            session.location,
            excerpt=report.password,
            attachment=path,
            password=report.password,
            tried=str(report.tried),
        )
    if report.damaged_count:
        reason = f"{report.damaged_count} object(s) could not be read: " + "; ".join(report.damaged)
        _unreadable(session, reason, reason[:300])
    for bound, detail in report.cut:
        session.mark("truncated")
        if bound == "max_urls":
            session.budget.hit(
                bound,
                session.location,
                limit=detail,
                max_chars=str(session.limits.max_text_chars),
            )
        elif bound in _LIMITS:
            session.budget.hit(bound, session.location, limit=detail)


def open_pdf(request: OpenRequest) -> Opened:
    session = Session(request)
    report = _read(session, request)
    if report is None:
        return session.opened()
    # The reading had its own clock (the worker's timeout); the archive's starts now, for
    # taking in the members.
    session.deadline = time.monotonic() + session.timeout
    _judge_reading(session, report)
    for embedded in report.files:
        if not session.admit(embedded.name):
            break
        if not session.add(
            embedded.name, embedded.drained, packed=embedded.packed, claimed=embedded.claimed
        ):
            break
    opened = session.opened()
    return Opened(
        status=opened.status,
        members=opened.members,
        hits=opened.hits,
        links=report.links,
        actions=report.actions,
    )
