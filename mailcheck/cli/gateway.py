"""`mailcheck filter` and `mailcheck milter`: the mail-gateway front-ends."""

from __future__ import annotations

import contextlib
import os
import sys

import click

# The scanning pipeline, the catalog and the report renderers are imported by the commands
# that use them: `mailcheck --help` and a scan of plain mail load only what they need.
from ..exits import EX_TEMPFAIL, EXIT_ERROR
from .app import (
    _CONFIG_HELP,
    _abandon_stdout,
    _error_line,
    default_lang,
    limits_option,
    load_settings,
    main,
)


@main.command(name="filter")
@click.option(
    "--sysexits",
    is_flag=True,
    help="Exit 0 whatever the verdict (for pipe(8), procmail, maildrop: look at the headers); "
    "75 still means the scan failed.",
)
@limits_option("gateway")
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

    from ..gateway.filter import read_all, run_filter
    from ..limits import PRESETS
    from .settings import ConfigError

    data = read_all(sys.stdin.buffer)
    try:
        config = load_settings(config_path).config
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
@limits_option("gateway")
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

    try:
        from ..gateway import milter as adapter
    except ImportError:
        _error_line(
            "mailcheck milter",
            "needs pymilter: pip install '.[milter]' in the mailcheck clone (after apt-get "
            "install libmilter-dev and a C compiler), or apt-get install python3-milter",
            default_lang(),
        )
        sys.exit(EXIT_ERROR)
    from ..gateway.scanning import Scanner
    from ..limits import PRESETS
    from .settings import ConfigError

    def settings() -> adapter.Settings:
        loaded = load_settings(config_path)
        return adapter.Settings(limits=PRESETS[preset], config=loaded.config, policy=loaded.gateway)

    try:
        first = settings()
        mode = int(socket_mode, 8)
        adapter.check_socket_folder(socket_spec)  # before the workers take seconds to start
    except adapter.SocketError as exc:
        _error_line("mailcheck milter", str(exc), default_lang())
        sys.exit(EXIT_ERROR)
    except ConfigError as exc:
        _error_line(exc.source, exc.reason, default_lang())
        sys.exit(EXIT_ERROR)
    except ValueError:
        _error_line("--socket-mode", f"{socket_mode!r} is not an octal mode such as 660", "en")
        sys.exit(EXIT_ERROR)
    _log_to(syslog)
    pool = Scanner(workers or os.cpu_count() or 1, timeout=timeout)
    pool.warm()
    daemon = adapter.Daemon(first, pool, reload=settings)
    try:
        adapter.serve(daemon, socket_spec, socket_mode=mode, socket_group=socket_group)
    except (RuntimeError, OSError, KeyError, adapter.SocketError) as exc:
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
