"""`mailcheck milter`: a milter daemon for Postfix and Sendmail. The only importer of pymilter.

libmilter calls back from one thread per SMTP connection; the message is collected within
the input bound and scanned in the pool's worker processes (pool.py), and the policy for its
outcome (policy.py) decides what the MTA is told: accept with headers, tag, quarantine (the
Postfix hold queue), reject with 550 5.7.1, or tempfail with 451 4.7.1. X-Mailcheck-*
headers that arrive with a message are removed before ours are added.

libmilter handles SIGTERM, SIGHUP and SIGINT in a thread of its own when it runs in the main
thread; it runs in a second thread here, so that the main thread keeps Python's handlers:
SIGTERM and SIGINT stop accepting connections and let the ones in progress finish (or be
tempfailed by the MTA), SIGHUP reloads the configuration.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import stat
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

import Milter

from ..config import Config
from ..limits import Limits
from ..records import record
from .headers import (
    failure_headers,
    is_ours,
    result_headers,
    subject_with_prefix,
)
from .policy import Action, GatewayPolicy, Outcome
from .scanning import Judged, ScanFailure, Scanner

LOG = logging.getLogger("mailcheck.milter")
_SAFE = re.compile(r"[^\x21-\x7e]")  # log values: one printable token, whatever was sent
_KIND_JA = {"malicious": "危険", "suspicious": "不審"}


@record
class Settings:
    """What every message is scanned and judged with; replaced whole on SIGHUP."""

    limits: Limits
    config: Config
    policy: GatewayPolicy


class Daemon:
    """The shared state of the milter: settings, the scan pool, the connections in flight."""

    def __init__(
        self, settings: Settings, pool: Scanner, reload: Callable[[], Settings] | None = None
    ) -> None:
        self.settings = settings
        self.pool = pool
        self.reload_settings = reload
        self.in_flight = 0
        self._lock = threading.Lock()

    def enter(self) -> None:
        with self._lock:
            self.in_flight += 1

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def reload(self) -> None:
        if self.reload_settings is None:
            return
        try:
            self.settings = self.reload_settings()
        except Exception as exc:  # keep serving with what was working
            LOG.error("event=reload status=failed reason=%s", _token(str(exc), 200))
        else:
            LOG.info("event=reload status=ok")


def _token(text: str, limit: int = 120) -> str:
    return _SAFE.sub("_", text)[:limit] or "-"


def _reply(action: Action, outcome: Outcome, reasons: str) -> tuple[str, str, str, str]:
    """(code, extended code, English line, Japanese line) for a refusal."""
    if action == "reject":
        return (
            "550",
            "5.7.1",
            f"Message refused by mailcheck as {outcome} ({reasons})",
            f"mailcheck: {_KIND_JA.get(outcome, '不審')}なメールとして受信を拒否しました",
        )
    return (
        "451",
        "4.7.1",
        f"Message not accepted now, please try again later (mailcheck: {outcome}, {reasons})",
        "mailcheck: 現在受信できません。しばらくしてから再送してください",
    )


def milter_class(daemon: Daemon) -> type[Any]:
    """A pymilter class bound to `daemon` (libmilter creates one instance per connection)."""

    class MailcheckMilter(Milter.Base):
        def __init__(self) -> None:
            # State is reset after each message (eom, abort), so no MAIL FROM callback is
            # needed: every callback the MTA does not send saves a round trip into Python.
            self._reset()

        def _reset(self) -> None:
            self.chunks: list[bytes] = []
            self.size = 0
            self.counts: dict[str, int] = {}  # occurrences of each header name so far
            self.ours: list[tuple[str, int]] = []  # incoming X-Mailcheck-* (name, index)
            self.has_subject = False
            self.subject = ""

        def _add(self, data: bytes) -> None:
            # Past the input bound the message is only counted: the scan reports the cut.
            bound = daemon.settings.limits.max_input_bytes + 1
            room = bound - self.size
            if room > 0:
                self.chunks.append(data[:room])
            self.size += len(data)

        @Milter.noreply
        def header(self, field: str, value: str) -> int:
            # Defined so that the negotiation asks the MTA for headers; pymilter hands them
            # to header_bytes (below), which keeps the raw bytes.
            return self.header_bytes(field, value.encode("utf-8", "surrogateescape"))

        def header_bytes(self, field: str | bytes, value: bytes) -> int:
            name = field.decode("ascii", "replace") if isinstance(field, bytes) else field
            key = name.lower()
            self.counts[key] = self.counts.get(key, 0) + 1
            if is_ours(name):
                self.ours.append((name, self.counts[key]))
            if key == "subject" and not self.has_subject:
                self.has_subject = True
                self.subject = value.decode("ascii", "surrogateescape")
            self._add(name.encode("ascii", "replace") + b": " + value + b"\r\n")
            return Milter.CONTINUE

        @Milter.noreply
        def eoh(self) -> int:
            self._add(b"\r\n")
            return Milter.CONTINUE

        @Milter.noreply
        def body(self, chunk: bytes) -> int:
            self._add(chunk)
            return Milter.CONTINUE

        def eom(self) -> int:
            daemon.enter()
            try:
                return self._judge()
            finally:
                daemon.leave()
                self._reset()

        def abort(self) -> int:
            self._reset()
            return Milter.CONTINUE

        def _judge(self) -> int:
            settings = daemon.settings
            started = time.monotonic()
            scanned = daemon.pool.scan(b"".join(self.chunks), settings.limits, settings.config)
            took = int((time.monotonic() - started) * 1000)
            if isinstance(scanned, ScanFailure):
                outcome: Outcome = "failed"
                reasons = scanned.reason
                headers = failure_headers(scanned.reason)
                fields = f"verdict=failed reason={scanned.reason} detail={_token(scanned.detail)}"
            else:
                outcome = scanned.verdict.label
                reasons = " ".join(scanned.verdict.reasons[:8]) or "none"
                headers = result_headers(scanned.verdict)
                fields = _fields(scanned)
            action = settings.policy.action(outcome)
            queue_id = _token(str(self.getsymval("i") or "-"))
            LOG.info("queue_id=%s %s action=%s ms=%d", queue_id, fields, action, took)
            if action in ("reject", "tempfail"):
                code, xcode, english, japanese = _reply(action, outcome, reasons)
                self.setreply(code, xcode, english, japanese)
                return Milter.REJECT if action == "reject" else Milter.TEMPFAIL
            for name, index in reversed(self.ours):  # the last first: indexes stay valid
                self.chgheader(name, index, None)
            for name, value in headers:
                self.addheader(name, value)
            if action == "tag" and settings.policy.subject_prefix:
                tagged = subject_with_prefix(self.subject, settings.policy.subject_prefix)
                if self.has_subject:
                    self.chgheader("Subject", 1, tagged)
                else:
                    self.addheader("Subject", tagged)
            if action == "quarantine":
                self.quarantine(f"mailcheck: {outcome} ({reasons})")
            return Milter.ACCEPT

    return MailcheckMilter


def _fields(judged: Judged) -> str:
    verdict = judged.verdict
    reasons = ",".join(verdict.reasons[:8]) or "none"
    return (
        f"message_id={_token(judged.message_id)} verdict={verdict.label} "
        f"score={verdict.score} incomplete={str(verdict.incomplete).lower()} reasons={reasons}"
    )


class SocketError(Exception):
    """The socket cannot be where --socket says; the message says why and what to do."""


def unix_socket_path(socket_spec: str) -> str:
    """The file of a `unix:PATH` (or `local:PATH`) socket; "" for an inet socket."""
    if socket_spec.startswith(("unix:", "local:")):
        return socket_spec.partition(":")[2]
    return ""


def check_socket_folder(socket_spec: str) -> str:
    """The socket file's path ("" for inet), once its folder is known to exist. A missing
    folder is an error, never created: a typo would otherwise make a folder the MTA is not
    looking in (and one that nobody set the owner and permissions of)."""
    path = unix_socket_path(socket_spec)
    if not path:
        return ""
    folder = os.path.dirname(path) or "."
    if not os.path.isdir(folder):
        raise SocketError(
            f"--socket {socket_spec}: the folder {folder} does not exist; create it (owned "
            "by the user the milter runs as, e.g. install -d -o mailcheck -g postfix "
            f"{folder}) or choose a socket path in an existing folder"
        )
    return path


def _remove_socket(path: str, created: tuple[int, int] | None) -> None:
    """Remove the socket file libmilter left, if it is still the one this run created."""
    if path and created is not None and _socket_identity(path) == created:
        try:
            os.unlink(path)
        except OSError as exc:
            LOG.warning("event=socket_left path=%s reason=%s", _token(path), _token(str(exc)))


def _socket_identity(path: str) -> tuple[int, int] | None:
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return (info.st_dev, info.st_ino) if stat.S_ISSOCK(info.st_mode) else None


def serve(
    daemon: Daemon,
    socket_spec: str,
    *,
    socket_mode: int = 0o660,
    socket_group: str = "",
    mta_timeout: int = 600,
) -> None:
    """Run until SIGTERM/SIGINT; SIGHUP reloads. Blocks; libmilter runs in a thread."""
    import milter  # pymilter's C module (stop, exception policy)

    path = check_socket_folder(socket_spec)
    old_umask = os.umask(0o777 & ~socket_mode)
    Milter.factory = milter_class(daemon)
    milter.set_exception_policy(Milter.TEMPFAIL)  # a bug answers "try again", never "accept"
    failure: list[BaseException] = []

    def run() -> None:
        try:
            Milter.runmilter("mailcheck", socket_spec, mta_timeout)
        except BaseException as exc:  # reported by the main thread
            failure.append(exc)

    stopping = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        if signum == signal.SIGHUP:
            daemon.reload()
            return
        if not stopping.is_set():
            stopping.set()
            name = signal.Signals(signum).name
            LOG.info("event=stop signal=%s in_flight=%d", name, daemon.in_flight)
            milter.stop()

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, on_signal)
    thread = threading.Thread(target=run, name="libmilter", daemon=True)
    thread.start()
    created: tuple[int, int] | None = None  # the socket file this run made (device, inode)
    try:
        _set_socket_group(path, socket_group, thread)
        os.umask(old_umask)
        LOG.info("event=start socket=%s workers=%d", socket_spec, daemon.pool.size)
        while thread.is_alive():
            if path and created is None:
                created = _socket_identity(path)
            thread.join(0.5 if created or not path else 0.05)
        if path and created is None:
            # Stopped before the loop saw the socket: libmilter replaced any older file when
            # it started, so a socket there now is this run's.
            created = _socket_identity(path)
        # Connections still in a scan finish; the MTA tempfails any that cannot.
        deadline = time.monotonic() + daemon.pool.timeout + 5
        while daemon.in_flight and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        daemon.pool.close()
    if failure:
        raise RuntimeError(f"the milter could not run: {failure[0]}")
    _remove_socket(path, created)  # a clean stop: the next start finds no stale file
    LOG.info("event=stopped")


def _set_socket_group(path: str, group: str, thread: threading.Thread) -> None:
    """Give the UNIX socket to `group` (e.g. postfix) once libmilter has created it."""
    if not path or not group:
        return
    import grp

    gid = grp.getgrnam(group).gr_gid
    deadline = time.monotonic() + 10
    while not os.path.exists(path) and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    if os.path.exists(path):
        os.chown(path, -1, gid)
