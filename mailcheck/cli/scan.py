"""`mailcheck scan` and `mailcheck render`: messages in, explained verdicts out."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, TextIO, cast

import click

# The scanning pipeline, the catalog and the report renderers are imported by the commands
# that use them: `mailcheck --help` and a scan of plain mail load only what they need.
if TYPE_CHECKING:
    from ..api import ScanError
    from ..config import Config
    from ..limits import Limits
    from ..model import ScanResult

from ..exits import BY_VERDICT, EXIT_CLEAN, EXIT_ERROR
from .app import (
    _CONFIG_HELP_SCAN,
    _LANG_OPTION,
    Lang,
    _abandon_stdout,
    _error_line,
    default_lang,
    limits_option,
    load_settings,
    main,
)


def _inputs(
    paths: tuple[str, ...], limits: Limits, config: Config
) -> Iterator[tuple[ScanResult | ScanError, bool]]:
    """Each outcome with whether it came from walking a directory."""
    from pathlib import Path

    from ..api import ScanError, scan_paths, scan_stream
    from ..model import Source

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


def _report(
    outcomes: Iterable[tuple[ScanResult | ScanError, bool]],
    *,
    lang: Lang,
    as_json: bool,
    progress: bool,
) -> int:
    """Print every outcome (report or JSON line, errors to stderr); the exit status."""
    from ..api import ScanError
    from ..catalog import load
    from ..report import json_codec
    from ..text import clean_text

    catalog = load()
    worst = EXIT_CLEAN
    console = None
    status = None
    if not as_json or (progress and sys.stderr.isatty()):
        from ..report import terminal

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
                worst = max(worst, BY_VERDICT[result.verdict.label])
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


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--json", "as_json", is_flag=True, help="Write one JSON object per message (JSON Lines)."
)
@_LANG_OPTION
@limits_option(
    "default", "Bounds on hostile input: 'gateway' is stricter and faster, 'forensic' digs deeper."
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

    from .settings import ConfigError

    chosen = cast(Lang, lang) if lang else default_lang()
    try:
        config = load_settings(config_path).config
    except ConfigError as exc:
        # Scanning with the wrong settings would hide what they exist to catch: stop here.
        _error_line(exc.source, exc.reason, chosen)
        sys.exit(EXIT_ERROR)
    from ..limits import PRESETS

    outcomes = _inputs(paths, PRESETS[preset], config)
    sys.exit(_report(outcomes, lang=chosen, as_json=as_json, progress=True))


def _read_results(stream: TextIO, name: str) -> Iterable[ScanResult | ScanError]:
    from ..api import ScanError
    from ..catalog import load
    from ..model import Source
    from ..report import json_codec

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
