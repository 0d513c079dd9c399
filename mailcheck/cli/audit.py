"""`mailcheck audit`: a whole folder (or mbox) in parallel, with its report files."""

from __future__ import annotations

import signal
import sys
from types import FrameType
from typing import cast

import click

# The scanning pipeline, the catalog and the report renderers are imported by the commands
# that use them: `mailcheck --help` and a scan of plain mail load only what they need.
from ..exits import (
    BY_VERDICT,
    EXIT_CLEAN,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_NO_MESSAGE,
    EXIT_TERMINATED,
    worst,
)
from .app import (
    _CONFIG_HELP_SCAN,
    _LANG_OPTION,
    Lang,
    _abandon_stdout,
    _error_line,
    _notice,
    _stop,
    default_lang,
    limits_option,
    load_settings,
    main,
    no_message_line,
)


@main.command()
@click.argument("paths", nargs=-1)
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False),
    required=True,
    help="Folder for the reports (results.jsonl, results.csv, errors.csv, report.html) and "
    "the audit's journal.",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes scanning in parallel, also those of --dask local. Default: the "
    "number of cores.",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Continue an interrupted audit in --out: inputs already scanned (same size and "
    "modification time) are not scanned again. PATHS may be left out.",
)
@click.option(
    "--overwrite", is_flag=True, help="Start over in an --out folder that holds an audit."
)
@click.option(
    "--full",
    is_flag=True,
    help="Write every message's whole result to results.jsonl; by default a clean message "
    "is one short line (source, Message-ID, verdict, score, finding ids).",
)
@click.option("--compress", is_flag=True, help="Write results.jsonl.gz instead of results.jsonl.")
@click.option(
    "--keep-journal",
    is_flag=True,
    help="Keep the audit's journal once it completed, so that a later --resume scans only "
    "new or changed inputs (kept anyway for IMAP mailboxes). By default it is removed.",
)
@_LANG_OPTION
@limits_option("default")
@click.option("--config", "config_path", type=click.Path(), default=None, help=_CONFIG_HELP_SCAN)
@click.option(
    "--timeout",
    type=float,
    default=300.0,
    show_default=True,
    help="Seconds one message may take; past it the message is an error line.",
)
@click.option(
    "--dask",
    default="",
    metavar="ADDRESS|local",
    help="Run on a Dask distributed cluster (scheduler address, e.g. tcp://host:8786) or on "
    "a local one of --jobs workers ('local'); needs the [dask] extra.",
)
@click.option(
    "--all-folders",
    is_flag=True,
    help="For an imaps:// or imap:// input without a folder: every folder of the account "
    "(the same as the folder pattern '*').",
)
@click.option(
    "--connections",
    type=click.IntRange(min=1, max=8),
    default=2,
    show_default=True,
    help="IMAP connections per server fetching in parallel.",
)
@click.option(
    "--cafile",
    type=click.Path(dir_okay=False),
    default=None,
    help="PEM file of the CAs that sign the IMAP server's certificate (default: the system's).",
)
@click.option(
    "--insecure",
    is_flag=True,
    help="Do not check the IMAP server's TLS certificate (anyone on the way can read the "
    "password and the mail).",
)
def audit(
    paths: tuple[str, ...],
    out: str,
    jobs: int | None,
    resume: bool,
    overwrite: bool,
    full: bool,
    compress: bool,
    keep_journal: bool,
    lang: str | None,
    preset: str,
    config_path: str | None,
    timeout: float,
    dask: str,
    all_folders: bool,
    connections: int,
    cafile: str | None,
    insecure: bool,
) -> None:
    """Audit folders, mbox files, saved messages and IMAP mailboxes: find what got through.

    Scans every message of PATHS in parallel and writes to --out: results.jsonl (one
    `scan --json` object per message), results.csv (opens in Excel), errors.csv and
    report.html (one self-contained page). Across the whole folder it also pairs
    password-protected archives with passwords sent in another message, and flags
    addresses that send under many names and familiar names from new addresses.
    A short summary goes to stdout; a progress bar to the terminal.

    A PATH may be a mailbox on a server, read without changing anything (no message
    is marked as read): imaps://USER@HOST[:PORT]/FOLDER, or imap://... with STARTTLS;
    FOLDER may be a pattern ('*', 'Archive/%'). The password comes from
    MAILCHECK_IMAP_PASSWORD, ~/.netrc, or a prompt on a terminal; an OAuth2 token
    from MAILCHECK_IMAP_OAUTH2_TOKEN (XOAUTH2). Never put it in the address.

    Ctrl-C stops cleanly: the reports then cover what was scanned, and --resume
    continues later.

    \b
    Exit status:
      0    every message is clean
      1    at least one message is suspicious
      3    an input could not be scanned (and nothing was malicious), or the
           audit could not start
      4    at least one message is malicious
      5    no message was found in PATHS (only other files, or nothing); a line
           on stderr says so and how many files were skipped as not mail
      130  interrupted (Ctrl-C; the reports are valid); 143 terminated (SIGTERM)
    """
    from pathlib import Path

    from ..audit import AuditError, Options, Stop, default_jobs, run_audit
    from ..audit.remote import ImapSettings, with_all_folders
    from ..audit.summary import render_summary
    from ..limits import PRESETS
    from .settings import ConfigError

    chosen = cast(Lang, lang) if lang else default_lang()
    try:
        config = load_settings(config_path).config
    except ConfigError as exc:
        _error_line(exc.source, exc.reason, chosen)
        sys.exit(EXIT_ERROR)
    stop = Stop()
    signals: list[int] = []

    def first_stop(signum: int, frame: FrameType | None) -> None:
        if signals:  # the second time: abandon the reports too
            _stop(signum, frame)
        signals.append(signum)
        stop.set()
        print("mailcheck: stopping; writing the reports (again to abandon)", file=sys.stderr)

    signal.signal(signal.SIGINT, first_stop)
    signal.signal(signal.SIGTERM, first_stop)
    if all_folders:
        paths = tuple(with_all_folders(path) for path in paths)
    prompt = None
    if sys.stdin.isatty():
        import getpass

        prompt = getpass.getpass
    options = Options(
        paths=paths,
        out=Path(out),
        lang=chosen,
        limits=PRESETS[preset],
        config=config,
        jobs=jobs or default_jobs(),
        dask=dask,
        resume=resume,
        overwrite=overwrite,
        timeout=timeout,
        imap=ImapSettings(cafile=cafile or "", insecure=insecure, connections=connections),
        prompt=prompt,
        notify=_notice,
        full=full,
        compress=compress,
        keep_journal=keep_journal,
    )
    try:
        built, files = run_audit(options, stop)
    except (AuditError, RuntimeError, OSError) as exc:
        reason = exc.strerror or str(exc) if isinstance(exc, OSError) else str(exc)
        _error_line("mailcheck audit", reason, chosen)
        sys.exit(EXIT_ERROR)
    outline = built.outline
    try:
        summary = render_summary(outline, Path(out), files, built.fresh, built.before)
        sys.stdout.write(summary)
        sys.stdout.flush()
    except OSError:
        _abandon_stdout()
    if signals:
        sys.exit(EXIT_INTERRUPTED if signals[0] == signal.SIGINT else EXIT_TERMINATED)
    status = BY_VERDICT.get(built.worst, EXIT_CLEAN)
    if built.errors:
        status = worst(status, EXIT_ERROR)
    if not outline.total:
        where = ", ".join(outline.inputs)
        _notice(no_message_line(where, not_mail=outline.not_mail, errors=built.errors, lang=chosen))
        status = worst(status, EXIT_NO_MESSAGE)
    sys.exit(status)
