"""The `mailcheck` command: the only module that knows about argv, stdout and exit codes."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from types import FrameType
from typing import TYPE_CHECKING, Literal, TextIO, cast

import click

from . import __version__

# The scanning pipeline, the catalog and the report renderers are imported by the commands
# that use them: `mailcheck --help` and a scan of plain mail load only what they need.
if TYPE_CHECKING:
    from .api import ScanError
    from .config import Config
    from .limits import Limits
    from .model import ScanResult, VerdictLabel

Lang = Literal["ja", "en"]
# The --limits presets by name (limits.PRESETS; a test keeps the two in step): spelt out so
# that `--help` need not load the data model.
PRESET_NAMES = ("default", "forensic", "gateway")

# Exit status: ordered by how much attention the outcome needs. 2 is click's usage error.
EXIT_CLEAN = 0
EXIT_SUSPICIOUS = 1
EXIT_ERROR = 3
EXIT_MALICIOUS = 4
# Ended by a signal, as shells report it (128 + the signal number): never read as a verdict.
EXIT_INTERRUPTED = 128 + signal.SIGINT
EXIT_TERMINATED = 128 + signal.SIGTERM
_EXIT_BY_VERDICT: dict[VerdictLabel, int] = {
    "clean": EXIT_CLEAN,
    "suspicious": EXIT_SUSPICIOUS,
    "malicious": EXIT_MALICIOUS,
}


def default_lang(environ: dict[str, str] | None = None) -> Lang:
    """Japanese when the locale says so (LC_ALL, LC_MESSAGES, LANG, in POSIX order)."""
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:
            return "ja" if value.lower().startswith("ja") else "en"
    return "en"


_CONFIG_HELP_SCAN = (
    "Organisation settings (TOML): internal and trusted domains, known correspondents. "
    "Default: $MAILCHECK_CONFIG, else the first that exists of "
    "$XDG_CONFIG_HOME/mailcheck/config.toml (~/.config/…) and /etc/mailcheck/config.toml."
)

_LANG_OPTION = click.option(
    "--lang",
    type=click.Choice(["ja", "en"]),
    default=None,
    help="Report language. Default: Japanese when the locale (LANG) starts with 'ja', "
    "else English.",
)


def _inputs(
    paths: tuple[str, ...], limits: Limits, config: Config
) -> Iterator[tuple[ScanResult | ScanError, bool]]:
    """Each outcome with whether it came from walking a directory."""
    from pathlib import Path

    from .api import ScanError, scan_paths, scan_stream
    from .model import Source

    for raw in paths:
        if raw == "-":
            stdin = scan_stream(sys.stdin.buffer, limits=limits, config=config)
            yield from ((r, False) for r in stdin)
            continue
        path = Path(raw)
        if not path.exists():
            yield ScanError(source=Source(path=raw), reason="no such file or directory"), False
            continue
        in_dir = path.is_dir()
        for outcome in scan_paths([path], limits=limits, config=config):
            yield outcome, in_dir


def _emit_json(line: str) -> None:
    """One JSON line on stdout, always UTF-8 whatever the locale's encoding is."""
    stream = sys.stdout
    buffer = getattr(stream, "buffer", None)
    if buffer is None:
        stream.write(line + "\n")
        return
    stream.flush()
    buffer.write(line.encode("utf-8", "surrogateescape") + b"\n")


def _abandon_stdout() -> None:
    """Point stdout at /dev/null so that the exit-time flush cannot fail a second time."""
    # Without a real file descriptor (tests) there is nothing to flush.
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _error_line(path: str, reason: str, lang: Lang) -> None:
    """One error line on stderr: coloured through rich on a terminal, plain otherwise (a
    scan writing JSON to a pipe never loads the terminal renderer)."""
    from .catalog import load
    from .report.sanitize import clean_text

    if sys.stderr.isatty():
        from .report import terminal

        errors = terminal.make_console(file=sys.stderr)
        terminal.render_error(path, reason, lang=lang, console=errors)
        return
    label = load().word("label.error", lang)
    print(f"{label}: {clean_text(path)}: {clean_text(reason)}", file=sys.stderr, flush=True)


def _report(
    outcomes: Iterable[tuple[ScanResult | ScanError, bool]],
    *,
    lang: Lang,
    as_json: bool,
    progress: bool,
) -> int:
    """Print every outcome (report or JSON line, errors to stderr); the exit status."""
    from .api import ScanError
    from .catalog import load
    from .report import json_codec
    from .report.sanitize import clean_text

    catalog = load()
    worst = EXIT_CLEAN
    console = None
    status = None
    if not as_json or (progress and sys.stderr.isatty()):
        from .report import terminal

        console = terminal.make_console()
        # A progress line only where a person watches stderr while the reports go elsewhere.
        if progress and sys.stderr.isatty() and not console.is_terminal:
            status = terminal.make_console(file=sys.stderr).status("")
    if status is not None:
        status.start()
    try:
        for count, (result, in_dir) in enumerate(outcomes, start=1):
            if status is not None:
                status.update(f"{count} scanned: {clean_text(result.source.path, 80)}")
            if isinstance(result, ScanError):
                if in_dir and result.not_a_message:
                    continue  # a directory may hold other files; only messages are scanned
                _error_line(result.source.path, result.reason, lang)
                worst = max(worst, EXIT_ERROR)
            else:
                worst = max(worst, _EXIT_BY_VERDICT[result.verdict.label])
                if as_json:
                    _emit_json(json_codec.dumps(result, catalog, lang))
                else:
                    assert console is not None
                    terminal.render(result, lang=lang, console=console)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly; the output is partial, so say error.
        _abandon_stdout()
        return max(worst, EXIT_ERROR)
    except OSError as exc:
        # A full disk, a closed terminal: the reports are incomplete, say so once.
        _abandon_stdout()
        _error_line("<stdout>", f"cannot write the output: {exc.strerror or exc}", lang)
        return EXIT_ERROR  # the reports are lost, whatever they said: the run failed
    finally:
        if status is not None:
            status.stop()
    return worst


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mailcheck")
def main() -> None:
    """Inspect suspicious email (.eml, .msg, mbox) before anyone opens it.

    mailcheck finds Emotet-style traits (hijacked replies, display names that hide
    another address, macro documents, disguised attachments) and explains each verdict
    in Japanese and English.
    """


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--json", "as_json", is_flag=True, help="Write one JSON object per message (JSON Lines)."
)
@_LANG_OPTION
@click.option(
    "--limits",
    "preset",
    type=click.Choice(PRESET_NAMES),
    default="default",
    show_default=True,
    help="Bounds on hostile input: 'gateway' is stricter and faster, 'forensic' digs deeper.",
)
@click.option(
    "--config",
    "config_path",
    # No click checks: a missing or unusable file is exit status 3 like any bad setting.
    type=click.Path(),
    default=None,
    help=_CONFIG_HELP_SCAN,
)
def scan(
    paths: tuple[str, ...], as_json: bool, lang: str | None, preset: str, config_path: str | None
) -> None:
    """Scan messages and print an explained verdict for each.

    PATHS are .eml / .msg / mbox files, directories (scanned recursively) or '-' for
    standard input.

    \b
    Exit status:
      0    every message is clean
      1    at least one message is suspicious
      3    an input could not be scanned (and nothing was malicious), the output
           could not be written, or the configuration is unusable (nothing is
           scanned then)
      4    at least one message is malicious
      130  interrupted (Ctrl-C); 143 terminated (SIGTERM)
    """
    from pathlib import Path

    from .config_file import ConfigError, load_config

    chosen = cast(Lang, lang) if lang else default_lang()
    try:
        config = load_config(Path(config_path) if config_path else None, os.environ)
    except ConfigError as exc:
        # Scanning with the wrong settings would hide what they exist to catch: stop here.
        _error_line(exc.source, exc.reason, chosen)
        sys.exit(EXIT_ERROR)
    from .limits import PRESETS

    outcomes = _inputs(paths, PRESETS[preset], config)
    sys.exit(_report(outcomes, lang=chosen, as_json=as_json, progress=True))


def _read_results(stream: TextIO, name: str) -> Iterable[ScanResult | ScanError]:
    from .api import ScanError
    from .catalog import load
    from .model import Source
    from .report import json_codec

    known = load().entries
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        where = Source(path=f"{name}:{number}")
        try:
            result = json_codec.loads(line)
        except json_codec.SchemaError as exc:
            yield ScanError(source=where, reason=str(exc))
            continue
        unknown = sorted({f.id for f in result.findings} - set(known))
        if unknown:
            names = ", ".join(unknown)
            reason = f"finding ids unknown to this version ({names}): upgrade mailcheck"
            yield ScanError(source=where, reason=reason)
            continue
        yield result


@main.command()
@click.argument("file", type=click.File("r", encoding="utf-8"))
@_LANG_OPTION
def render(file: TextIO, lang: str | None) -> None:
    """Render saved `mailcheck scan --json` output (FILE, or '-') as the terminal report.

    The exit status follows the same rules as `scan`.
    """
    chosen = cast(Lang, lang) if lang else default_lang()
    outcomes = ((result, False) for result in _read_results(file, file.name))
    sys.exit(_report(outcomes, lang=chosen, as_json=False, progress=False))


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
    help="Worker processes scanning in parallel. Default: the number of cores.",
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
@_LANG_OPTION
@click.option(
    "--limits",
    "preset",
    type=click.Choice(PRESET_NAMES),
    default="default",
    show_default=True,
    help="Bounds on hostile input (see `mailcheck scan --help`).",
)
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
    "a local one ('local'); needs the [dask] extra.",
)
def audit(
    paths: tuple[str, ...],
    out: str,
    jobs: int | None,
    resume: bool,
    overwrite: bool,
    lang: str | None,
    preset: str,
    config_path: str | None,
    timeout: float,
    dask: str,
) -> None:
    """Audit folders, mbox files and saved messages: find what got through.

    Scans every message of PATHS in parallel and writes to --out: results.jsonl (one
    `scan --json` object per message), results.csv (opens in Excel), errors.csv and
    report.html (one self-contained page). Across the whole folder it also pairs
    password-protected archives with passwords sent in another message, and flags
    addresses that send under many names and familiar names from new addresses.
    A short summary goes to stdout; a progress bar to the terminal.

    Ctrl-C stops cleanly: the reports then cover what was scanned, and --resume
    continues later.

    \b
    Exit status:
      0    every message is clean
      1    at least one message is suspicious
      3    an input could not be scanned (and nothing was malicious), or the
           audit could not start
      4    at least one message is malicious
      130  interrupted (Ctrl-C; the reports are valid); 143 terminated (SIGTERM)
    """
    from pathlib import Path

    from .audit import AuditError, Options, Stop, default_jobs, run_audit
    from .audit.summary import render_summary
    from .config_file import ConfigError, load_config
    from .limits import PRESETS

    chosen = cast(Lang, lang) if lang else default_lang()
    try:
        config = load_config(Path(config_path) if config_path else None, os.environ)
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
    )
    try:
        built, files = run_audit(options, stop)
    except (AuditError, RuntimeError, OSError) as exc:
        reason = exc.strerror or str(exc) if isinstance(exc, OSError) else str(exc)
        _error_line("mailcheck audit", reason, chosen)
        sys.exit(EXIT_ERROR)
    try:
        sys.stdout.write(render_summary(built.outline, Path(out), files))
        sys.stdout.flush()
    except OSError:
        _abandon_stdout()
    if signals:
        sys.exit(EXIT_INTERRUPTED if signals[0] == signal.SIGINT else EXIT_TERMINATED)
    status = _EXIT_BY_VERDICT.get(cast("VerdictLabel", built.worst), EXIT_CLEAN)
    if built.errors and status != EXIT_MALICIOUS:
        status = max(status, EXIT_ERROR)
    sys.exit(status)


EX_TEMPFAIL = 75  # sysexits.h: what a delivery agent retries
_CONFIG_HELP = (
    "Organisation and [gateway] settings (TOML). Default: $MAILCHECK_CONFIG, else the first "
    "that exists of $XDG_CONFIG_HOME/mailcheck/config.toml and /etc/mailcheck/config.toml."
)


def _gateway_limits_option(default: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    return click.option(
        "--limits",
        "preset",
        type=click.Choice(PRESET_NAMES),
        default=default,
        show_default=True,
        help="Bounds on hostile input (see `mailcheck scan --help`).",
    )


@main.command(name="filter")
@click.option(
    "--sysexits",
    is_flag=True,
    help="Exit 0 whatever the verdict (for pipe(8), procmail, maildrop: look at the headers); "
    "75 still means the scan failed.",
)
@_gateway_limits_option("gateway")
@click.option("--config", "config_path", type=click.Path(), default=None, help=_CONFIG_HELP)
@click.option(
    "--timeout",
    type=float,
    default=60.0,
    show_default=True,
    help="Seconds a scan may take; past it the scan counts as failed.",
)
def filter_command(sysexits: bool, preset: str, config_path: str | None, timeout: float) -> None:
    """Read one raw message on stdin; write it to stdout with X-Mailcheck-* headers.

    The message is otherwise byte for byte as it came in; X-Mailcheck-* headers it already
    carried are removed. If the scan fails for any reason, the original message is written
    out unchanged and the exit status is 75 (EX_TEMPFAIL): nothing is lost or truncated.

    \b
    Exit status (without --sysexits):
      0    clean
      1    suspicious
      4    malicious
      75   the scan failed; the message was passed through unchanged
    """
    from pathlib import Path

    from .config_file import ConfigError, load_config
    from .gateway.filter import read_all, run_filter
    from .limits import PRESETS

    data = read_all(sys.stdin.buffer)
    try:
        config = load_config(Path(config_path) if config_path else None, os.environ)
    except ConfigError as exc:
        # Without its settings the scan would be wrong: let the delivery agent retry.
        _error_line(exc.source, exc.reason, default_lang())
        _pass_through(data)
        sys.exit(EX_TEMPFAIL)
    try:
        status, failure = run_filter(
            data,
            sys.stdout.buffer,
            limits=PRESETS[preset],
            config=config,
            timeout=timeout,
            sysexits=sysexits,
        )
    except OSError as exc:  # the output could not be written: the agent must retry
        _error_line("<stdout>", f"cannot write the message: {exc.strerror or exc}", "en")
        _abandon_stdout()
        sys.exit(EX_TEMPFAIL)
    if failure is not None:
        reason = f"scan failed ({failure.reason}: {failure.detail}); message passed unchanged"
        _error_line("<stdin>", reason, default_lang())
    sys.exit(status)


def _pass_through(data: bytes) -> None:
    with contextlib.suppress(OSError):
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()


@main.command()
@click.option(
    "--socket",
    "socket_spec",
    default="unix:/run/mailcheck/milter.sock",
    show_default=True,
    help="Where the MTA connects: unix:PATH (recommended) or inet:PORT@127.0.0.1.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Scan worker processes. Default: the number of cores.",
)
@click.option(
    "--timeout",
    type=float,
    default=90.0,
    show_default=True,
    help="Seconds a scan may take before it is killed and counts as failed. Keep Postfix's "
    "milter_content_timeout above it.",
)
@_gateway_limits_option("gateway")
@click.option("--config", "config_path", type=click.Path(), default=None, help=_CONFIG_HELP)
@click.option(
    "--socket-group",
    default="",
    help="Group to give the UNIX socket to (e.g. postfix).",
)
@click.option(
    "--socket-mode",
    default="660",
    show_default=True,
    help="Permissions of the UNIX socket (octal).",
)
@click.option("--syslog", is_flag=True, help="Log to syslog (mail facility) instead of stderr.")
def milter(
    socket_spec: str,
    workers: int | None,
    timeout: float,
    preset: str,
    config_path: str | None,
    socket_group: str,
    socket_mode: str,
    syslog: bool,
) -> None:
    """Run the milter daemon for Postfix or Sendmail (needs pymilter: the [milter] extra).

    Each message is scanned in a pool of worker processes and handled by the [gateway]
    policy of the configuration: accept (with X-Mailcheck-* headers), tag, quarantine (the
    Postfix hold queue), reject (550 5.7.1) or tempfail (451 4.7.1). SIGTERM stops it once
    the messages in progress are answered; SIGHUP reloads the configuration.
    """
    from pathlib import Path

    try:
        from .gateway import milter as adapter
    except ImportError:
        _error_line(
            "mailcheck milter",
            "needs pymilter: pip install 'mailcheck[milter]' (after apt-get install "
            "libmilter-dev and a C compiler), or apt-get install python3-milter",
            default_lang(),
        )
        sys.exit(EXIT_ERROR)
    from .config_file import ConfigError, load_config
    from .gateway.pool import ScanPool
    from .limits import PRESETS

    path = Path(config_path) if config_path else None

    def settings() -> adapter.Settings:
        config = load_config(path, os.environ)
        return adapter.Settings(limits=PRESETS[preset], config=config, policy=config.gateway)

    try:
        first = settings()
        mode = int(socket_mode, 8)
    except ConfigError as exc:
        _error_line(exc.source, exc.reason, default_lang())
        sys.exit(EXIT_ERROR)
    except ValueError:
        _error_line("--socket-mode", f"{socket_mode!r} is not an octal mode such as 660", "en")
        sys.exit(EXIT_ERROR)
    _log_to(syslog)
    pool = ScanPool(workers or os.cpu_count() or 1, timeout=timeout)
    pool.warm()
    daemon = adapter.Daemon(first, pool, reload=settings)
    try:
        adapter.serve(daemon, socket_spec, socket_mode=mode, socket_group=socket_group)
    except (RuntimeError, OSError, KeyError) as exc:
        _error_line("mailcheck milter", str(exc), default_lang())
        sys.exit(EXIT_ERROR)


def _log_to(syslog: bool) -> None:
    """One line per message, key=value, on stderr or to syslog's mail facility."""
    import logging
    import logging.handlers

    handler: logging.Handler
    if syslog:
        handler = logging.handlers.SysLogHandler(
            address="/dev/log", facility=logging.handlers.SysLogHandler.LOG_MAIL
        )
        handler.setFormatter(logging.Formatter("mailcheck[%(process)d]: %(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s mailcheck: %(message)s"))
    log = logging.getLogger("mailcheck")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


class _Stopped(BaseException):
    """A signal asked the process to stop. Not a KeyboardInterrupt: click would turn that
    into "Aborted!" and status 1, which reads as "suspicious"."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def _stop(signum: int, _frame: FrameType | None) -> None:
    raise _Stopped(EXIT_INTERRUPTED if signum == signal.SIGINT else EXIT_TERMINATED)


def _tolerant_streams() -> None:
    """Characters the output encoding cannot show (an emoji on a cp932 console) become '?'
    instead of ending the run; JSON is written as UTF-8 bytes regardless."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="replace")


def run() -> None:
    """The console entry point: `main` with signals turned into clean exits."""
    _tolerant_streams()
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        main(prog_name="mailcheck")
    except SystemExit as done:
        status = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except _Stopped as stopped:
        name = "interrupted" if stopped.status == EXIT_INTERRUPTED else "terminated"
        print(f"mailcheck: {name}", file=sys.stderr)
        status = stopped.status
    else:
        status = 0
    _leave(status)


def _leave(status: int) -> None:
    """Exit without the interpreter's teardown (a fifth of a one-message scan's time): the
    output is flushed and the isolated worker ended here, which is all it would do."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            if stream is sys.stdout:
                _abandon_stdout()
    engine = sys.modules.get("mailcheck.engine")
    if engine is not None:
        engine.close_default()
    os._exit(status)
