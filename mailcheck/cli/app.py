"""The `mailcheck` group, its shared options and settings loader, and the entry point
that turns signals into clean exits: the only place that calls `sys.exit` at the top."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Literal

import click

from .. import __version__

# The scanning pipeline, the catalog and the report renderers are imported by the commands
# that use them: `mailcheck --help` and a scan of plain mail load only what they need.
if TYPE_CHECKING:
    from .settings import Settings

from ..exits import (
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
)

Lang = Literal["ja", "en"]
# The --limits presets by name (limits.PRESETS; a test keeps the two in step): spelt out so
# that `--help` need not load the data model.
PRESET_NAMES = ("default", "forensic", "gateway")


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


def _abandon_stdout() -> None:
    """Point stdout at /dev/null so that the exit-time flush cannot fail a second time."""
    # Without a real file descriptor (tests) there is nothing to flush.
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _error_line(path: str, reason: str, lang: Lang) -> None:
    """One error line on stderr: coloured through rich on a terminal, plain otherwise (a
    scan writing JSON to a pipe never loads the terminal renderer)."""
    from ..catalog import load
    from ..text import clean_text

    if sys.stderr.isatty():
        from ..report import terminal

        errors = terminal.make_console(file=sys.stderr)
        terminal.render_error(path, reason, lang=lang, console=errors)
        return
    label = load().word("label.error", lang)
    print(f"{label}: {clean_text(path)}: {clean_text(reason)}", file=sys.stderr, flush=True)


def _notice(text: str) -> None:
    """A line on stderr that is neither a report nor an error line: `mailcheck: text`."""
    with contextlib.suppress(OSError):  # stderr is gone: the exit status still says it
        print(f"mailcheck: {text}", file=sys.stderr, flush=True)


def no_message_line(where: str, *, not_mail: int, errors: int, lang: Lang) -> str:
    """The notice for inputs that held no message: `no message was found in WHERE (3 files
    skipped as not mail, 1 could not be scanned)`, in the report language."""
    from ..catalog import load
    from ..text import clean_text

    catalog = load()
    parts = []
    if not_mail:
        parts.append(catalog.word("notice.not_mail", lang).format(count=not_mail))
    if errors:
        parts.append(catalog.word("notice.errors", lang).format(count=errors))
    line = catalog.word("notice.no_message", lang).format(path=clean_text(where))
    if not parts:
        return line
    return line + (f"（{'、'.join(parts)}）" if lang == "ja" else f" ({', '.join(parts)})")


class _Group(click.Group):
    """A group whose command list shows each command's first sentence whole: click cuts
    it at 45 characters, which left "find what got..." of what `audit` is for."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=1000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


_EXAMPLES = """\b
Examples:
  mailcheck scan invoice.eml
      explain one message (exit status 0 clean, 1 suspicious, 4 malicious)
  mailcheck scan --json ~/Mail > results.jsonl
      every message of a folder as JSON Lines; a count of verdicts on stderr
  mailcheck audit ~/Maildir --out audit/
      a whole mailbox in parallel; then open audit/report.html

'mailcheck COMMAND --help' shows a command's options and exit statuses."""


@click.group(
    cls=_Group,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=_EXAMPLES,
)
@click.version_option(__version__, prog_name="mailcheck")
def main() -> None:
    """Inspect suspicious email (.eml, .msg, mbox) before anyone opens it.

    mailcheck finds Emotet-style traits (hijacked replies, display names that hide
    another address, macro documents, disguised attachments) and explains each verdict
    in Japanese and English.
    """


_CONFIG_HELP = (
    "Organisation and [gateway] settings (TOML). Default: $MAILCHECK_CONFIG, else the first "
    "that exists of $XDG_CONFIG_HOME/mailcheck/config.toml and /etc/mailcheck/config.toml."
)


_LIMITS_HELP = "Bounds on hostile input (see `mailcheck scan --help`)."


def limits_option(
    default: str, help: str = _LIMITS_HELP
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """`--limits PRESET`, as every command that scans takes it."""
    return click.option(
        "--limits",
        "preset",
        type=click.Choice(PRESET_NAMES),
        default=default,
        show_default=True,
        help=help,
    )


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


def load_settings(config_path: str | None) -> Settings:
    """The organisation settings every command runs with: `--config`, else
    $MAILCHECK_CONFIG or the usual places. Raises ConfigError: what an unusable file means
    (stop, or let the delivery agent retry) is the command's to decide."""
    from pathlib import Path

    from . import settings

    return settings.load_settings(Path(config_path) if config_path else None, os.environ)
