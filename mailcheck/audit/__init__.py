"""`mailcheck audit`: a whole folder or archive scanned in parallel, resumable, with report
files people can read and the findings only a whole folder shows.

plan (what to scan, counted up front) -> runner (batches in warm workers or on Dask) ->
journal (each finished unit appended) -> reports (built from the journal, in input order,
after the folder analyses) -> summary on stdout.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TYPE_CHECKING

from ..records import record, replace
from .remote import ImapSettings, is_remote

if TYPE_CHECKING:
    from ..catalog import Lang
    from ..config import Config
    from ..limits import Limits
    from .dispatch import Backend
    from .imap import Fetcher
    from .jobs import Done
    from .outputs import Built
    from .plan import Plan, Unit
    from .progress import Progress

STATE = "audit.json"  # what was audited, so that --resume needs no arguments


class AuditError(Exception):
    """The audit cannot start (its folder, its inputs); the message says why."""


@record
class Options:
    paths: tuple[str, ...]
    out: Path
    lang: Lang
    limits: Limits
    config: Config
    jobs: int = 1
    dask: str = ""  # a scheduler address, "local", or "" for --jobs
    resume: bool = False
    overwrite: bool = False
    timeout: float = 300.0  # seconds per message
    imap: ImapSettings = ImapSettings()  # for imaps:// and imap:// inputs
    # Asks for an IMAP password (the front-end gives one only when stdin is a terminal).
    prompt: Callable[[str], str] | None = None
    notify: Callable[[str], None] | None = None  # a line for the person running the audit
    full: bool = False  # every message's whole result in results.jsonl, clean ones too
    compress: bool = False  # results.jsonl.gz instead of results.jsonl
    # Keep the (compacted) journal once the audit completed, for a later --resume that scans
    # only what is new; always kept when an input is an IMAP mailbox.
    keep_journal: bool = False


def prepare(options: Options) -> Options:
    """Check the output folder and settle the inputs (a resumed audit may name none) and
    the form of results.jsonl (a resumed audit keeps the earlier run's --full, --compress)."""
    from .journal import JOURNAL
    from .outputs import CSV, ERRORS, HTML, RESULTS, RESULTS_GZ

    out = options.out
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AuditError(f"{out}: cannot create the output folder: {exc.strerror or exc}") from exc
    journal = out / JOURNAL
    state = out / STATE
    earlier: tuple[str, ...] = ()
    form = {
        "full": options.full,
        "compress": options.compress,
        "keep_journal": options.keep_journal,
    }
    removed = False  # a completed audit whose journal went with its completion
    if state.exists():
        try:
            saved = json.loads(state.read_text(encoding="utf-8"))
            earlier = tuple(saved["inputs"])
            removed = saved.get("journal") == "removed"
            if options.resume:
                form = {key: bool(saved.get(key)) or on for key, on in form.items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            earlier = ()
    if options.resume and removed and not journal.exists():
        raise AuditError(
            f"{out} holds a completed audit whose journal was removed: nothing to resume "
            "(--keep-journal keeps it for audits resumed as new mail arrives; --overwrite "
            "starts over)"
        )
    if (journal.exists() or removed) and not options.resume:
        if not options.overwrite:
            if removed:
                raise AuditError(f"{out} holds a completed audit: --overwrite starts over")
            raise AuditError(
                f"{out} holds an earlier audit: --resume continues it, --overwrite starts over"
            )
        for name in (JOURNAL, STATE, RESULTS, RESULTS_GZ, CSV, ERRORS, HTML):
            (out / name).unlink(missing_ok=True)
        earlier = ()
    paths = options.paths or earlier
    if not paths:
        raise AuditError("nothing to audit: name the files or folders (PATH...)")
    state.write_text(
        json.dumps({"inputs": list(paths), **form}, ensure_ascii=False),
        encoding="utf-8",
        errors="surrogateescape",
    )
    return replace(options, paths=tuple(paths), **form)


class Stop:
    """Set by the first Ctrl-C or SIGTERM: no new batches; reports from what is done."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        self._event.set()

    def __call__(self) -> bool:
        return self._event.is_set()


def _backend(options: Options) -> Backend:
    from .cluster import DaskBackend
    from .dispatch import LocalBackend

    if options.dask:
        return DaskBackend(
            options.dask, options.limits, options.config, options.lang, workers=options.jobs
        )
    return LocalBackend(options.jobs, options.limits, options.config, options.lang)


def run_audit(options: Options, stop: Stop) -> tuple[Built, tuple[str, ...]]:
    """The whole audit; the reports and the names of the files written."""
    from . import amend, scratch
    from . import dispatch as runner
    from .iocs import IOC_FILES
    from .journal import JOURNAL, DoneUnits, Journal, Reader, compact, finished_units
    from .outputs import CSV, ERRORS, HTML, RESULTS, RESULTS_GZ, build, remaining
    from .plan import BATCH, batches
    from .progress import make_progress

    started = time.monotonic()
    options = prepare(options)
    paths = options.paths
    journal_path = options.out / JOURNAL
    done = finished_units(journal_path) if options.resume else DoneUnits()
    progress = make_progress(options.lang)
    plan, fetcher = _plan(options, paths, done, progress)
    # A new audit has everything left; a resumed one counts what is left in a first pass
    # over the plan (the units stream: none is kept).
    left = sum(unit.messages for unit in remaining(plan, done)) if done else plan.messages
    try:
        backend = _backend(options)
    except BaseException:
        if fetcher is not None:
            fetcher.close()
        raise
    journal = Journal(options.out)
    interrupted = False
    scanned = 0  # messages this run scanned (an interrupted run stops short of `left`)
    try:
        progress.start(plan.messages)
        already = plan.messages - left
        if already:
            progress.advance(Counter(resumed=already), 0)
        # Small batches when there is little to do: the last batches must not leave one
        # worker busy while the others wait (at least four per batch the backend holds).
        size = max(1, min(BATCH, left // (backend.capacity * 4)))
        work = batches(remaining(plan, done), size)
        finished = runner.run(
            fetcher.feed(work) if fetcher is not None else work,
            backend,
            timeout=options.timeout,
            stopped=stop,
            clock=time.monotonic,
        )
        for item in finished:
            journal.write(item)
            scanned += sum(1 for entry in item.entries if not entry.not_a_message)
            verdicts: Counter[str] = Counter()
            errors = 0
            for entry in item.entries:
                if entry.facts is not None:
                    verdicts[entry.facts.verdict] += 1
                else:
                    errors += 1
            progress.advance(verdicts, errors)
        interrupted = stop()
    finally:
        progress.stop()
        journal.close()
        if interrupted or stop():
            backend.close()  # abandon what is in flight: its units are not in the journal

    def rescan(units: list[Unit]) -> list[Done]:
        from .jobs import Done

        if interrupted or stop():
            return [Done(unit=unit, entries=()) for unit in units]
        alone = ((unit,) for unit in units)
        found = {
            (d.unit.path, d.unit.start): d
            for d in runner.run(
                fetcher.feed(alone) if fetcher is not None else alone,
                backend,
                timeout=options.timeout,
                stopped=stop,
                clock=time.monotonic,
            )
        }
        return [found.get((u.path, u.start), Done(unit=u, entries=())) for u in units]

    try:
        # One way: the journal, its index, the folder's amendments, then the reports.
        with scratch.index(options.out, plan, finished_units(journal_path)) as database:
            reader = Reader(journal_path)
            try:
                changed = amend.amendments(reader, database, plan, rescan)
            finally:
                reader.close()
            # The amendments' rescans were the last scans: the worker processes (a
            # LocalCluster's too) give their memory back before this process grows most.
            # Idle workers that fail to end cleanly must not cost the reports.
            with contextlib.suppress(Exception):
                backend.close()
            built = build(
                options.out,
                plan,
                database,
                changed,
                lang=options.lang,
                interrupted=interrupted,
                seconds=time.monotonic() - started,
                inputs=paths,
                internal_domains=options.config.internal_domains,
                full=options.full,
                compress=options.compress,
            )
        if not interrupted and (options.keep_journal or any(map(is_remote, paths))):
            # Only an unfinished audit needs the full results to resume: the rest of the
            # journal is kept so that --resume scans only what is new (a mailbox's new
            # mail) and rebuilds the reports.
            compact(journal_path)
        elif not interrupted:
            _journal_removed(options.out)
    finally:
        backend.close()  # a no-op if closed before the reports
        if fetcher is not None:
            fetcher.close()
    results = RESULTS_GZ if options.compress else RESULTS
    return replace(built, fresh=scanned, before=already), (results, CSV, ERRORS, HTML, *IOC_FILES)


def _journal_removed(out: Path) -> None:
    """Remove a completed audit's journal (0.3 of an archive's size, needed only to resume)
    and say so in the state file: --resume then says why there is nothing to resume."""
    from .journal import JOURNAL

    state = out / STATE
    saved = json.loads(state.read_text(encoding="utf-8", errors="surrogateescape"))
    saved["journal"] = "removed"
    text = json.dumps(saved, ensure_ascii=False)
    state.write_text(text, encoding="utf-8", errors="surrogateescape")
    (out / JOURNAL).unlink(missing_ok=True)


def _plan(
    options: Options,
    paths: tuple[str, ...],
    done: Collection[tuple[str, int, int, int]],
    progress: Progress,
) -> tuple[Plan, Fetcher | None]:
    """The plan of the local inputs, then of the IMAP ones (listed on their servers), and
    what fetches the latter's messages."""
    from ..api import ScanError
    from ..model import Source
    from .plan import make_plan
    from .remote import RemoteError, folder_url, parse_target, place_of

    plan = make_plan([path for path in paths if not is_remote(path)])
    remote = [path for path in paths if is_remote(path)]
    if not remote:
        return plan, None
    from .imap import Fetcher, credentials, list_targets

    limit = options.limits.max_input_bytes
    try:
        targets = [parse_target(path) for path in remote]
        secrets = {}
        for target in targets:
            if target.server not in secrets:
                secrets[target.server] = credentials(target.server, options.prompt)
        listed = list_targets(targets, secrets, options.imap, limit, plan.files, plan.add_remote)
    except RemoteError as exc:
        raise AuditError(str(exc)) from exc
    # A folder whose UIDVALIDITY changed: its UIDs name other messages now, all scanned again.
    earlier: dict[tuple[str, str], set[int]] = {}  # (server name, folder): UIDVALIDITYs
    for path, *_ in done:
        place = place_of(path)
        if place is not None:
            earlier.setdefault(place[:2], set()).add(place[2])
    for name, folder, validity in listed.folders:
        before = earlier.get((name, folder), set())
        if before and validity not in before and options.notify is not None:
            server = next(t.server for t in targets if t.server.name == name)
            key = folder_url(server, folder, validity).rsplit(";UIDVALIDITY=", 1)[0]
            options.notify(
                f"{key}: UIDVALIDITY changed ({', '.join(map(str, sorted(before)))} -> "
                f"{validity}): the server renumbered the folder; all of it is scanned again"
            )
    errors = tuple(
        ScanError(source=Source(path=url), reason=reason) for url, reason in listed.too_large
    )
    plan = replace(plan, errors=plan.errors + errors)
    lock = threading.Lock()
    totals = {"messages": 0, "bytes": 0}

    def fetched(folder: str, messages: int, size: int) -> None:
        with lock:
            totals["messages"] += messages
            totals["bytes"] += size
            text = f"{folder}: {totals['messages']} fetched, {totals['bytes'] / 1e6:.1f} MB"
        progress.detail(text)

    return plan, Fetcher(secrets, options.imap, limit, fetched=fetched)


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
