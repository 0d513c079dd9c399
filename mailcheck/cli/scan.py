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
    from ..audit.iocs import Collector
    from ..config import Config
    from ..limits import Limits
    from ..model import ScanResult

from ..exits import BY_VERDICT, EXIT_CLEAN, EXIT_ERROR, EXIT_NO_MESSAGE, worst
from .app import (
    _CONFIG_HELP_SCAN,
    _LANG_OPTION,
    Lang,
    _abandon_stdout,
    _error_line,
    _notice,
    default_lang,
    limits_option,
    load_settings,
    main,
    no_message_line,
)


def _inputs(
    paths: tuple[str, ...], limits: Limits, config: Config
) -> Iterator[tuple[ScanResult | ScanError, str | None]]:
    """Each outcome with the directory named on the command line it came from (None for a
    file named there, or standard input)."""
    from pathlib import Path

    from ..api import ScanError, scan_paths, scan_stream
    from ..model import Source

    for raw in paths:
        if raw == "-":
            stdin = scan_stream(sys.stdin.buffer, limits=limits, config=config)
            yield from ((r, None) for r in stdin)
            continue
        path = Path(raw)
        if not path.exists():
            yield ScanError(source=Source(path=raw), reason="no such file or directory"), None
            continue
        folder = raw if path.is_dir() else None
        for outcome in scan_paths([path], limits=limits, config=config):
            yield outcome, folder


def _folders(paths: tuple[str, ...]) -> list[str]:
    """The directories among `paths`: each must hold at least one message."""
    from pathlib import Path

    return [raw for raw in paths if raw != "-" and Path(raw).is_dir()]


class _RunCounts:
    """What a run found, for the closing summary and the folders that held no message."""

    def __init__(self, folders: Iterable[str]) -> None:
        from collections import Counter

        self.verdicts: Counter[str] = Counter()
        self.errors = 0
        self.not_mail = 0
        # Per directory named on the command line: [messages, not mail, errors].
        self.folders: dict[str, list[int]] = {folder: [0, 0, 0] for folder in folders}

    def add(self, folder: str | None, kind: str) -> None:
        """`kind` is a verdict label, "error" or "not_mail"."""
        if kind == "error":
            self.errors += 1
        elif kind == "not_mail":
            self.not_mail += 1
        else:
            self.verdicts[kind] += 1
        counts = self.folders.get(folder or "")
        if counts is not None:
            counts[{"error": 2, "not_mail": 1}.get(kind, 0)] += 1

    @property
    def messages(self) -> int:
        return sum(self.verdicts.values())


def _no_message_notices(tally: _RunCounts, lang: Lang) -> bool:
    """One line on stderr per directory named on the command line that held no message;
    whether there was any."""
    found = False
    for folder, (messages, not_mail, errors) in tally.folders.items():
        if not messages:
            found = True
            _notice(no_message_line(folder, not_mail=not_mail, errors=errors, lang=lang))
    return found


def _summary_line(tally: _RunCounts, lang: Lang) -> str:
    """`12 messages scanned: MALICIOUS 1   SUSPICIOUS 2   CLEAN 9   errors 1`."""
    from ..catalog import load

    catalog = load()
    counts = [
        f"{catalog.word('verdict.' + label, lang)} {tally.verdicts[label]}"
        for label in ("malicious", "suspicious", "clean")
    ]
    counts.append(f"{catalog.word('audit_summary.errors', lang)} {tally.errors}")
    if tally.not_mail:
        counts.append(f"{catalog.word('audit_summary.not_mail', lang)} {tally.not_mail}")
    heading = catalog.word("notice.scan_summary", lang).format(messages=tally.messages)
    return heading + " " + "   ".join(counts)


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
    outcomes: Iterable[tuple[ScanResult | ScanError, str | None]],
    *,
    lang: Lang,
    as_json: bool,
    progress: bool,
    folders: Iterable[str] = (),
    iocs: Collector | None = None,
) -> int:
    """Print every outcome (report or JSON line, errors to stderr), then a line for each
    directory in `folders` that held no message and, past one outcome, the closing summary;
    the exit status."""
    from ..api import ScanError
    from ..catalog import load
    from ..report import json_codec
    from ..text import clean_text

    catalog = load()
    status_code = EXIT_CLEAN
    tally = _RunCounts(folders)
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
        for count, (result, folder) in enumerate(outcomes, start=1):
            if status is not None:
                status.update(f"{count} scanned: {clean_text(result.source.path, 80)}")
            if isinstance(result, ScanError):
                if folder is not None and result.not_a_message:
                    # A directory may hold other files; only messages are scanned (and the
                    # count is shown when it held none).
                    tally.add(folder, "not_mail")
                    continue
                _error_line(result.source.path, result.reason, lang)
                tally.add(folder, "error")
                status_code = worst(status_code, EXIT_ERROR)
            else:
                tally.add(folder, result.verdict.label)
                status_code = worst(status_code, BY_VERDICT[result.verdict.label])
                if iocs is not None and result.verdict.label != "clean":
                    iocs.add(json_codec.to_dict(result, catalog, lang))
                if as_json:
                    _emit_json(json_codec.dumps(result, catalog, lang))
                else:
                    assert console is not None
                    terminal.render(result, lang=lang, console=console)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly; the output is partial, so say error.
        _abandon_stdout()
        return worst(status_code, EXIT_ERROR)
    except OSError as exc:
        # A full disk, a closed terminal: the reports are incomplete, say so once.
        _abandon_stdout()
        _error_line("<stdout>", f"cannot write the output: {exc.strerror or exc}", lang)
        return EXIT_ERROR  # the reports are lost, whatever they said: the run failed
    finally:
        if status is not None:
            status.stop()
    if _no_message_notices(tally, lang):
        status_code = worst(status_code, EXIT_NO_MESSAGE)
    if tally.messages > 1:
        # After the reports on a terminal; on stderr when stdout is a report file or JSON.
        on_terminal = not as_json and console is not None and console.is_terminal
        if on_terminal:
            try:
                print(f"mailcheck: {_summary_line(tally, lang)}", flush=True)
            except OSError:
                _abandon_stdout()
        else:
            _notice(_summary_line(tally, lang))
    return status_code


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
    "--iocs",
    "iocs_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write the indicators to block (URLs, hosts, sender addresses, attachment "
    "sha256s of the flagged messages) to this file: *.csv, *.json or *.stix.json (STIX 2.1).",
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
    paths: tuple[str, ...],
    as_json: bool,
    lang: str | None,
    preset: str,
    iocs_path: str | None,
    config_path: str | None,
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
      5    a directory in PATHS held no message (only other files, or nothing);
           a line on stderr says which and how many files were skipped
      130  interrupted (Ctrl-C); 143 terminated (SIGTERM)

    Past one message, a closing line counts the verdicts and errors (on stderr
    when stdout is not a terminal).
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

    if iocs_path is not None and not iocs_path.endswith((".csv", ".json")):
        hint = "the name must end in .csv, .json or .stix.json"
        raise click.BadParameter(hint, param_hint="--iocs")
    iocs = None
    if iocs_path is not None:
        from ..audit.iocs import Collector

        iocs = Collector(config.internal_domains)
    outcomes = _inputs(paths, PRESETS[preset], config)
    folders = _folders(paths)
    status = _report(
        outcomes, lang=chosen, as_json=as_json, progress=True, folders=folders, iocs=iocs
    )
    if iocs is not None and iocs_path is not None:
        status = worst(status, _write_iocs(iocs_path, iocs, chosen))
    sys.exit(status)


def _write_iocs(path: str, iocs: Collector, lang: Lang) -> int:
    """The indicators file, written whole under a temporary name and renamed."""
    import os
    from pathlib import Path

    from .. import __version__
    from ..audit.iocs import encoding_of, file_text

    target = Path(path)
    partial = target.with_name(f".{target.name}.partial")
    try:
        text = file_text(target.name, iocs.indicators(), __version__)
        with partial.open("w", encoding=encoding_of(target.name), newline="") as handle:
            handle.write(text)
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        _error_line(path, f"cannot write the indicators: {exc.strerror or exc}", lang)
        return EXIT_ERROR
    return EXIT_CLEAN


def _read_results(
    stream: TextIO, name: str, short: list[int] | None = None
) -> Iterable[ScanResult | ScanError]:
    """The results of saved JSON Lines; the short lines an audit writes for clean messages
    (no texts to show) are counted in `short[0]` and passed over."""
    from ..api import ScanError
    from ..catalog import load
    from ..model import Source
    from ..report import json_codec

    known = load().entries
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        where = Source(path=f"{name}:{number}")
        if short is not None and line.startswith('{"record": "compact"'):
            short[0] += 1
            continue
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
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@_LANG_OPTION
def render(file: str, lang: str | None) -> None:
    """Render saved `mailcheck scan --json` output (FILE, or '-') as the terminal report.

    FILE may be an audit's results.jsonl or results.jsonl.gz: its short lines for clean
    messages are counted, not shown. The exit status follows the same rules as `scan`.
    """
    chosen = cast(Lang, lang) if lang else default_lang()
    short = [0]
    try:
        stream = _saved(file)
    except OSError as exc:
        _error_line(file, exc.strerror or str(exc), chosen)
        sys.exit(EXIT_ERROR)
    with stream:
        outcomes = ((result, None) for result in _read_results(stream, file, short))
        status = _report(outcomes, lang=chosen, as_json=False, progress=False)
    if short[0]:
        _notice(f"{short[0]} clean messages saved in short form (audit without --full) not shown")
    sys.exit(status)


def _saved(file: str) -> TextIO:
    """FILE ('-': stdin) as text, gunzipped when it starts with the gzip magic bytes."""
    if file == "-":
        return cast(TextIO, open(sys.stdin.fileno(), encoding="utf-8", closefd=False))
    with open(file, "rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        import gzip

        return cast(TextIO, gzip.open(file, "rt", encoding="utf-8"))
    return open(file, encoding="utf-8")
