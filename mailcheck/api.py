"""The library call every front-end uses: bytes or a path in, `ScanResult`s out.

No global state, no printing: limits and configuration are arguments, so one process
(a milter, an audit worker) can run many scans side by side.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from . import __version__
from .advice import advise
from .analyzers.interface import Hit
from .analyzers.office.embedded import openers as office_openers
from .analyzers.runner import Runner
from .catalog import Catalog, load, to_finding
from .config import DEFAULT_CONFIG, Config
from .engine import Engine, default_engine
from .extract import extract
from .limits import DEFAULT, Budget, Limits
from .model import (
    SCHEMA_VERSION,
    Evidence,
    Finding,
    ScanResult,
    Source,
)
from .parse import NotAMessageError, detect_format, parse_message
from .parse.header_block import starts_like_mail
from .parse.mbox import iter_mbox
from .parse.types import ParsedMessage
from .records import record
from .score import verdict as decide

__all__ = ["ScanError", "scan_bytes", "scan_path", "scan_paths", "scan_stream", "warm_up"]


# Called with each parsed message and its result (see scan_bytes).
Observer = Callable[[ParsedMessage, ScanResult], None]


@record
class ScanError:
    """An input that could not be scanned at all, with a one-line reason."""

    source: Source
    reason: str
    not_a_message: bool = False  # as opposed to unreadable (permissions, I/O)


_DAMAGED = "starts like a mail message, but no header block could be read"


def _unreadable(source: Source, head: bytes, reason: str) -> ScanError:
    """An input that no parser took: a file that begins as mail does is an error to report
    (skipped in silence, a damaged message would vanish from a folder scan); anything else
    is "not a message", which a folder scan passes over."""
    if starts_like_mail(head):
        return ScanError(source=source, reason=_DAMAGED)
    return ScanError(source=source, reason=reason, not_a_message=True)


def _limit_findings(catalog: Catalog, budget: Budget) -> list[Finding]:
    out: list[Finding] = []
    seen: set[str] = set()
    for hit in budget.hits:
        if hit.name in seen:  # one finding per bound is enough to explain it
            continue
        seen.add(hit.name)
        evidence = Evidence(
            location=hit.evidence.location,
            excerpt=hit.evidence.excerpt,
            facts=(*hit.evidence.facts, ("location", hit.evidence.location)),
        )
        out.append(to_finding(catalog, Hit(id=f"limit.{hit.name}", evidence=(evidence,)), "limits"))
    return out


def _distinct(findings: list[Finding]) -> list[Finding]:
    """One finding per id and place: an archive opener and an analyzer may both see it."""
    seen: set[tuple[str, str]] = set()
    out: list[Finding] = []
    for finding in findings:
        key = (finding.id, finding.evidence[0].location if finding.evidence else "")
        if key not in seen:
            seen.add(key)
            out.append(finding)
    return out


def scan_bytes(
    data: bytes,
    *,
    limits: Limits = DEFAULT,
    config: Config = DEFAULT_CONFIG,
    source: Source | None = None,
    engine: Engine | None = None,
    passwords: tuple[str, ...] = (),
    observe: Observer | None = None,
    as_mail: bool = False,
    extra: tuple[Finding, ...] = (),
) -> ScanResult:
    """Scan one message (RFC 5322 or Outlook .msg). Raises NotAMessageError for other input,
    unless `as_mail` says the bytes are a message whatever they look like (a gateway's).
    `extra` are findings from outside the message (what only a folder of mail shows), added
    before the verdict.

    `engine` holds the isolated worker and the result cache; by default a process-wide one.
    `passwords` are tried on encrypted archives and documents before the message's own
    candidates (an audit that found them in another message). `observe(parsed, result)` is
    called with the parsed message, for callers that keep a summary of their own.
    """
    cut = len(data) > limits.max_input_bytes
    if cut:
        data = data[: limits.max_input_bytes]
    return _scan(
        data,
        cut=cut,
        limits=limits,
        config=config,
        source=source,
        engine=engine,
        passwords=passwords,
        observe=observe,
        as_mail=as_mail,
        extra=extra,
    )


def _scan(
    data: bytes,
    *,
    cut: bool,
    limits: Limits,
    config: Config,
    source: Source | None,
    engine: Engine | None,
    passwords: tuple[str, ...] = (),
    observe: Observer | None = None,
    as_mail: bool = False,
    extra: tuple[Finding, ...] = (),
) -> ScanResult:
    """`scan_bytes` for input already cut at the bound (`cut`: there was more)."""
    started = time.monotonic()
    catalog = load()
    budget = Budget(limits)
    source = source or Source(path="-", format="eml")
    if cut:
        budget.hit("max_input_bytes", "message", limit=str(limits.max_input_bytes))
    message = parse_message(data, budget, as_mail=as_mail)
    parsed_at = time.monotonic()
    engine = engine or default_engine()
    extraction = extract(message, budget, passwords, office_openers(engine), engine)
    extracted_at = time.monotonic()
    runner = Runner(catalog, config, budget, started, engine)
    runner.run(message, extraction)
    analysed_at = time.monotonic()
    findings = list(runner.findings)
    findings.extend(to_finding(catalog, hit, "extract") for hit in extraction.hits)
    findings.extend(_limit_findings(catalog, budget))
    findings = [*_distinct(findings), *extra]
    attachments = tuple(extraction.attachments)
    outcome = decide(findings, attachments, catalog.kind)
    finished = time.monotonic()
    timings = (
        ("parse", parsed_at - started),
        ("extract", extracted_at - parsed_at),
        ("analyse", analysed_at - extracted_at),
        ("total", finished - started),
    )
    result = ScanResult(
        schema_version=SCHEMA_VERSION,
        tool_version=__version__,
        source=source
        if source.format == "mbox"
        else Source(path=source.path, index=source.index, format=message.format),
        message=message.summary,
        attachments=attachments,
        findings=tuple(findings),
        verdict=outcome,
        advice=advise(outcome),
        timings_ms=tuple((name, round(seconds * 1000, 2)) for name, seconds in timings),
    )
    if observe is not None:
        observe(message, result)
    return result


def _read_message(stream: BinaryIO, head: bytes, bound: int) -> bytes:
    """At most `bound` bytes of the stream from its start, `head` being what was read.

    A file is read again in one piece, so that a large message is held once, not twice."""
    if len(head) < 65536:
        return head
    try:
        if stream.seekable():
            stream.seek(0)
            return stream.read(bound)
    except OSError:
        pass
    return head + stream.read(max(0, bound - len(head)))


def scan_stream(
    stream: BinaryIO,
    *,
    path: str = "-",
    limits: Limits = DEFAULT,
    config: Config = DEFAULT_CONFIG,
    engine: Engine | None = None,
    observe: Observer | None = None,
    passwords: tuple[str, ...] = (),
    first_index: int = 0,
    extra: tuple[Finding, ...] = (),
) -> Iterator[ScanResult | ScanError]:
    """Every message in an open binary stream (a file, standard input): one, or an mbox.

    `first_index` numbers the messages of an mbox read from the middle (an audit hands
    ranges of one mbox to several workers); `observe`, `passwords` and `extra` as in
    `scan_bytes`.
    """
    head = stream.read(65536)
    kind = detect_format(head)
    if kind is None:
        reason = "empty input" if not head else "not a mail message (.eml, .msg or mbox)"
        yield _unreadable(Source(path=path), head, reason)
        return
    if kind == "mbox":
        # The message bound plus one byte, so that scan_bytes sees and reports a cut.
        messages = iter_mbox(stream, limits.max_input_bytes + 1, head)
        for index, data in enumerate(messages, start=first_index):
            source = Source(path=path, index=index, format="mbox")
            try:
                yield scan_bytes(
                    data,
                    limits=limits,
                    config=config,
                    source=source,
                    engine=engine,
                    passwords=passwords,
                    observe=observe,
                    extra=extra,
                )
            except NotAMessageError as exc:
                yield ScanError(source=source, reason=str(exc))
        return
    source = Source(path=path, format=kind)
    data = _read_message(stream, head, limits.max_input_bytes)
    cut = bool(stream.read(1))
    try:
        yield _scan(
            data,
            cut=cut,
            limits=limits,
            config=config,
            source=source,
            engine=engine,
            passwords=passwords,
            observe=observe,
            extra=extra,
        )
    except NotAMessageError as exc:
        yield _unreadable(source, head, str(exc))


def open_regular(path: Path) -> BinaryIO:
    """Open a regular file for reading, never blocking on a FIFO or a device.

    The check is made on the opened descriptor, so a file swapped for a FIFO between a
    directory listing and the open cannot hang the scan.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFileError(_kind_of(mode))
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def input_error(path: str, exc: OSError) -> ScanError:
    """An input that could not be opened or read, with the system's reason."""
    return ScanError(source=Source(path=path), reason=exc.strerror or str(exc))


class NotRegularFileError(OSError):
    """A path that is a FIFO, socket or device: never read as a message."""


def _kind_of(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISDIR, "a directory"),
    ):
        if test(mode):
            return f"not a regular file: {name}"
    return "not a regular file"


def scan_path(
    path: Path,
    *,
    limits: Limits = DEFAULT,
    config: Config = DEFAULT_CONFIG,
    engine: Engine | None = None,
    observe: Observer | None = None,
    passwords: tuple[str, ...] = (),
    extra: tuple[Finding, ...] = (),
) -> Iterator[ScanResult | ScanError]:
    """Every message in one file (an mbox yields one result per message); `passwords` and
    `extra` as in `scan_bytes`."""
    try:
        handle = open_regular(path)
    except OSError as exc:  # NotRegularFileError too: its message is the reason
        yield input_error(str(path), exc)
        return
    with handle:
        try:
            yield from scan_stream(
                handle,
                path=str(path),
                limits=limits,
                config=config,
                engine=engine,
                observe=observe,
                passwords=passwords,
                extra=extra,
            )
        except OSError as exc:  # an I/O error while reading (a vanished network share)
            yield input_error(str(path), exc)


def iter_files(directory: Path) -> Iterator[Path | ScanError]:
    """Regular files below `directory`, sorted, without following symlinked directories.

    FIFOs, sockets and devices are passed over without being opened (a FIFO would block
    the scan forever); a directory that cannot be listed is a `ScanError`, never a silent
    gap in the results. Hidden entries (".name") are skipped.
    """
    pending = [directory]
    while pending:
        current = pending.pop()
        try:
            with os.scandir(current) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            reason = f"cannot list the directory: {exc.strerror or exc}"
            yield ScanError(source=Source(path=str(current)), reason=reason)
            continue
        subdirectories: list[Path] = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    subdirectories.append(Path(entry.path))
                elif entry.is_file():  # follows a symlink to a file; False for a FIFO
                    yield Path(entry.path)
            except OSError as exc:
                yield ScanError(source=Source(path=entry.path), reason=exc.strerror or str(exc))
        pending.extend(reversed(subdirectories))


def scan_paths(
    paths: list[Path],
    *,
    limits: Limits = DEFAULT,
    config: Config = DEFAULT_CONFIG,
    engine: Engine | None = None,
) -> Iterator[ScanResult | ScanError]:
    """Files and directories (recursively) in order."""
    for path in paths:
        files = iter_files(path) if path.is_dir() else iter([path])
        for file in files:
            if isinstance(file, ScanError):
                yield file
            else:
                yield from scan_path(file, limits=limits, config=config, engine=engine)


def warm_up() -> None:
    """Load the scanning pipeline and start the isolated worker with oletools and pypdf
    loaded, so that a long-running front-end's first message does not pay for them."""
    scan_bytes(b"From: warm-up@localhost\r\nSubject: warm-up\r\n\r\nwarm-up\r\n")
    default_engine().worker.call(_load_office_analysis, timeout=120)


def _load_office_analysis() -> bool:
    """Runs in the isolated worker: import what every Office and PDF inspection needs."""
    from .analyzers.office import oletools_adapter  # noqa: F401
    from .containers.pdf import load_reader

    load_reader()
    return True
