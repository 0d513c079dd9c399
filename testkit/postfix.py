"""A private, throw-away Postfix instance for end-to-end tests.

Install Debian's Postfix once per machine (CI runs exactly this)::

    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postfix

then make sure the system's own instance is not running (the package may start it where
systemd or an init script is allowed to; it would listen on port 25)::

    postfix stop || true

Nothing here installs anything: `postfix_available()` says why Postfix cannot run, so a test
can `pytest.skip(reason)`.

`PrivatePostfix(root)` writes its own main.cf and master.cf under `root`, listens only on
127.0.0.1 at a free port, never chroots, and delivers the domain `example.test` into one
Maildir per mailbox under `root/mail/` with the virtual(8) agent running as `nobody`.
Postfix's own log goes to `root/log/maillog`. It must run as root, as `postfix start` does.

Things a milter author must know (all checked against Postfix 3.7 here):

* smtpd_milters run inside smtpd, non_smtpd_milters inside cleanup, both as the `postfix`
  user (not root). For `unix:/path` the socket file must be writable by that user (a
  root-owned 0755 socket gives "connect to Milter service ...: Permission denied") and
  every directory above it searchable; pytest's tmp_path is 0700, so call
  `make_traversable(socket_dir)` and chmod the socket (0666, or chown it to postfix).
  `inet:127.0.0.1:PORT` needs none of that.
* A milter that is down or refuses the connection triggers `milter_default_action`;
  with the default "tempfail" the client sees "451 4.7.1 Service unavailable - try again
  later" at MAIL FROM. The log (`log()`) then shows "warning: connect to Milter service".
* A reject at end of message gives the milter's own reply (e.g. 550 5.7.1 ...) at DATA;
  a quarantine (SMFIR_QUARANTINE) is accepted with 250 and lands in `held()`.
* A pipe(8) transport (`extra_master_cf`) runs its command as an unprivileged `user=`
  with an almost empty environment: set PYTHONPATH and the like in a wrapper script, and
  make the script and the folder it writes to reachable by that user. `flags=F` puts the
  mbox `From sender date` line first; pipe(8) hands over LF line endings.
* smtpd_peername_lookup is off (no DNS here), so the connect callback's host name and
  {client_name} are "unknown", the address 127.0.0.1; HELO is client.example.test.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import smtplib
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

DOMAIN = "example.test"
# Mailboxes that exist; any other address in DOMAIN is refused with 550 5.1.1 at RCPT TO.
# `a@` is the default sender, so bounces land somewhere readable; postmaster gets the rest.
DEFAULT_MAILBOXES = ("user", "other", "a", "postmaster")

_TIMEOUT = 60.0  # upper bound for any Postfix command or wait; nothing here blocks forever
_QUEUED_AS = re.compile(r"queued as ([0-9A-Za-z]+)")


def _binary(name: str) -> str | None:
    # /usr/sbin is often missing from PATH in CI shells and sudo-less root sessions.
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin")


def _postfix_version() -> tuple[int, int] | None:
    postconf = _binary("postconf")
    if postconf is None:
        return None
    try:
        out = subprocess.run(
            [postconf, "-dh", "mail_version"],
            capture_output=True,
            text=True,
            timeout=_TIMEOUT,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.match(r"(\d+)\.(\d+)", out.strip())
    return (int(match[1]), int(match[2])) if match else None


def postfix_available() -> str | None:
    """None when a private Postfix can run here, else a one-line reason why not."""
    for name in ("postfix", "postconf", "postmap", "postqueue", "postsuper"):
        if _binary(name) is None:
            return (
                f"Postfix not installed ({name} not found); run: apt-get update && "
                "DEBIAN_FRONTEND=noninteractive apt-get install -y postfix"
            )
    if os.geteuid() != 0:
        return "a private Postfix instance needs root (postfix start refuses otherwise)"
    version = _postfix_version()
    if version is None:
        return "cannot read Postfix's version with postconf -dh mail_version"
    if version < (3, 4):
        return f"Postfix {version[0]}.{version[1]} is too old: maillog_file needs 3.4 or later"
    for user in ("postfix", "nobody"):
        try:
            pwd.getpwnam(user)
        except KeyError:
            return f"system user {user!r} is missing (the postfix package creates 'postfix')"
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_traversable(path: Path) -> None:
    """Let other users (postfix, nobody) search `path` and every directory above it.

    pytest's and mkdtemp's directories are 0700; Postfix's delivery agent and milter client
    run unprivileged and open absolute paths below them. Only the search bit is added:
    directory listings stay private.
    """
    for directory in (path, *path.parents):
        mode = directory.stat().st_mode
        if not mode & stat.S_IXOTH:
            directory.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)


MILTER_START_SECONDS = 120.0  # a cold start imports the pipeline in every worker


def start_milter(socket_path: Path, log: Path, *options: str) -> subprocess.Popen[bytes]:
    """`mailcheck milter` listening on the UNIX socket `socket_path` (stderr appended to
    `log`), returned once the socket exists; RuntimeError if it exits or never listens."""
    socket_path.unlink(missing_ok=True)
    command = [sys.executable, "-m", "mailcheck", "milter", "--socket", f"unix:{socket_path}"]
    process = subprocess.Popen(
        [*command, *options],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=log.open("ab"),
    )
    deadline = time.monotonic() + MILTER_START_SECONDS
    while not socket_path.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait(10)
            raise RuntimeError(f"the milter did not open its socket: {log.read_text()[-2000:]}")
        time.sleep(0.05)
    return process


class _PortTaken(RuntimeError):
    """The SMTP port went to someone else before Postfix could bind it."""


@dataclass(frozen=True)
class SendResult:
    """What the SMTP server finally said about one transaction."""

    accepted: bool
    code: int  # 0 when the server gave no reply (connection refused or dropped)
    response: str
    queue_id: str | None = None
    # Recipients refused while others were accepted: address -> (code, response).
    refused: dict[str, tuple[int, str]] = field(default_factory=dict)


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


def _crlf(message: bytes) -> bytes:
    # SMTP wants CRLF; test fixtures are often written with bare LF.
    return re.sub(rb"\r?\n", b"\r\n", message)


def _reset(smtp: smtplib.SMTP) -> None:
    # After a 421 the server has already hung up; the refusal itself is what matters.
    with contextlib.suppress(smtplib.SMTPException, OSError):
        smtp.rset()


def _transact(
    smtp: smtplib.SMTP, message: bytes, sender: str, recipients: Sequence[str]
) -> SendResult:
    """MAIL, RCPT..., DATA on an open session; every 4xx/5xx becomes a SendResult."""
    code, reply = smtp.mail(sender)
    if code != 250:
        _reset(smtp)
        return SendResult(False, code, _text(reply))
    refused: dict[str, tuple[int, str]] = {}
    for rcpt in recipients:
        code, reply = smtp.rcpt(rcpt)
        if code not in (250, 251):
            refused[rcpt] = (code, _text(reply))
    if len(refused) == len(recipients):
        _reset(smtp)
        code, text = refused[recipients[-1]] if recipients else (503, "no recipients")
        return SendResult(False, code, text, refused=refused)
    try:
        code, reply = smtp.data(_crlf(message))
    except smtplib.SMTPDataError as exc:  # DATA itself refused (no 354)
        _reset(smtp)
        return SendResult(False, exc.smtp_code, _text(exc.smtp_error), refused=refused)
    text = _text(reply)
    if code != 250:
        return SendResult(False, code, text, refused=refused)
    match = _QUEUED_AS.search(text)
    return SendResult(True, code, text, match[1] if match else None, refused)


def _failure(exc: Exception) -> SendResult:
    """A SendResult for an exception that ended the SMTP session."""
    if isinstance(exc, smtplib.SMTPResponseException):  # includes SMTPConnectError
        return SendResult(False, exc.smtp_code, _text(exc.smtp_error))
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        items = {k: (c, _text(r)) for k, (c, r) in exc.recipients.items()}
        code, text = next(iter(items.values()), (0, str(exc)))
        return SendResult(False, code, text, refused=items)
    return SendResult(False, 0, f"{type(exc).__name__}: {exc}")


class PrivatePostfix:
    """A Postfix instance of its own under `root`; a context manager that always stops it."""

    def __init__(
        self,
        root: Path,
        *,
        milter: str | None = None,
        milter_default_action: str = "tempfail",
        milter_timeouts: dict[str, str | float] | None = None,
        mailboxes: Iterable[str] = DEFAULT_MAILBOXES,
        extra_main_cf: dict[str, str] | None = None,
        extra_master_cf: Iterable[str] = (),
    ) -> None:
        """Lay out the instance; nothing runs until `start()`.

        `milter` is a socket spec as Postfix writes it (`unix:/path` or `inet:127.0.0.1:N`),
        applied to both smtpd_milters and non_smtpd_milters. `milter_timeouts` may set
        `connect`, `command` and `content` (or milter_connect_timeout...) to Postfix time
        values such as "10s" or to seconds; defaults 10s, 10s, 60s.
        `extra_main_cf` overrides or adds main.cf parameters (e.g. defer_transports).
        `extra_master_cf` adds master.cf services, one line each (e.g. a pipe(8) transport
        that `transport_maps` in `extra_main_cf` routes a mailbox to).
        """
        self.root = Path(root).resolve()
        self.config_dir = self.root / "etc"
        self.queue_dir = self.root / "spool"
        self.data_dir = self.root / "data"
        self.mail_dir = self.root / "mail"
        self.log_file = self.root / "log" / "maillog"
        if milter_default_action not in ("accept", "reject", "tempfail", "quarantine"):
            raise ValueError(f"unknown milter_default_action {milter_default_action!r}")
        self.milter = milter
        self.milter_default_action = milter_default_action
        self.milter_timeouts = {"connect": "10s", "command": "10s", "content": "60s"}
        for key, value in (milter_timeouts or {}).items():
            short = key.removeprefix("milter_").removesuffix("_timeout")
            if short not in self.milter_timeouts:
                raise ValueError(f"unknown milter timeout {key!r}")
            self.milter_timeouts[short] = f"{value}s" if isinstance(value, int | float) else value
        self.mailboxes = tuple(mailboxes)
        self.extra_main_cf = dict(extra_main_cf or {})
        self.extra_master_cf = tuple(extra_master_cf)
        self.port = 0
        self._token = f"mailcheck-test-{secrets.token_hex(4)}"
        self._running = False

    # -- life cycle -------------------------------------------------------------------

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self, timeout: float = _TIMEOUT) -> None:
        """Write the configuration, start Postfix and wait until SMTP answers."""
        reason = postfix_available()
        if reason is not None:
            raise RuntimeError(reason)
        if self._running:
            return
        self._layout()
        # The free port may be taken between our probe and Postfix's bind; then try another.
        for attempt in range(3):
            self.port = free_port()
            self._write_config()
            self._postmap()
            self._postfix("check")
            self._running = True  # from here on, stop() must run even if start fails
            try:
                try:
                    self._postfix("start")
                except RuntimeError as exc:
                    if f"port {self.port}: Address already in use" in self.log():
                        raise _PortTaken(str(exc)) from exc
                    raise
                self._wait_for_smtp(timeout)
                return
            except _PortTaken:
                self.stop()
                if attempt == 2:
                    raise
            except BaseException:
                self.stop()
                raise

    def stop(self, timeout: float = _TIMEOUT) -> None:
        """Stop the master and every process of this instance; safe to call twice."""
        if not self._running:
            return
        self._running = False
        if not self._pids():  # never came up; `postfix stop` would idle a second to say so
            return
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            self._postfix("stop", check=False)
        if not self._wait_gone(min(10.0, timeout / 2)):
            # A child stuck (e.g. on a hung milter) would outlive a graceful stop.
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                self._postfix("abort", check=False)
            for pid in self._pids():
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            if not self._wait_gone(timeout / 2):
                raise RuntimeError(f"Postfix processes still alive: {self._pids()}")

    @property
    def running(self) -> bool:
        return self._running

    # -- sending ----------------------------------------------------------------------

    def connect(self, timeout: float = 30.0) -> smtplib.SMTP:
        """An SMTP session on the private port, after EHLO; the caller closes it."""
        smtp = smtplib.SMTP(
            "127.0.0.1", self.port, local_hostname="client.example.test", timeout=timeout
        )
        smtp.ehlo()
        return smtp

    def send(
        self,
        message: bytes,
        *,
        sender: str = f"a@{DOMAIN}",
        recipients: Sequence[str] = (f"user@{DOMAIN}",),
        timeout: float = 60.0,
    ) -> SendResult:
        """Send one message in its own SMTP session; refusals are returned, not raised."""
        try:
            smtp = self.connect(timeout)
        except (smtplib.SMTPException, OSError) as exc:
            return _failure(exc)
        try:
            return _transact(smtp, message, sender, list(recipients))
        except (smtplib.SMTPException, OSError) as exc:
            return _failure(exc)
        finally:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                smtp.quit()
            smtp.close()

    # -- looking at the result --------------------------------------------------------

    def delivered(self, recipient: str | None = None) -> list[bytes]:
        """Messages delivered so far, oldest first; all mailboxes unless one is named."""
        names = [recipient.split("@")[0]] if recipient else list(self.mailboxes)
        files: list[Path] = []
        for name in names:
            for sub in ("new", "cur"):
                folder = self.mail_dir / name / sub
                if folder.is_dir():
                    files.extend(p for p in folder.iterdir() if p.is_file())
        # Maildir names start with the delivery time in seconds; mtime breaks ties.
        files.sort(key=lambda p: (p.stat().st_mtime_ns, p.name))
        return [p.read_bytes() for p in files]

    def wait_delivered(
        self, count: int = 1, timeout: float = 30.0, recipient: str | None = None
    ) -> list[bytes]:
        """Poll until at least `count` messages are delivered; TimeoutError with the log."""
        deadline = time.monotonic() + timeout
        while True:
            messages = self.delivered(recipient)
            if len(messages) >= count:
                return messages
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{len(messages)} of {count} messages delivered after {timeout}s; "
                    f"log tail:\n{self.log()[-3000:]}"
                )
            time.sleep(0.05)

    def flush(self) -> None:
        """Ask the queue manager to retry deferred mail now (postqueue -f)."""
        self._tool("postqueue", "-f")

    def queue(self) -> list[dict[str, Any]]:
        """Every queued message as postqueue -j reports it (queue_name, queue_id, ...)."""
        out = self._tool("postqueue", "-j")
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def held(self) -> list[str]:
        """Queue ids in the hold queue (a milter's quarantine puts mail there)."""
        return [e["queue_id"] for e in self.queue() if e.get("queue_name") == "hold"]

    def hold(self, queue_id: str = "ALL") -> None:
        """Move mail to the hold queue (postsuper -h); `ALL` or `deferred` work too."""
        self._tool("postsuper", "-h", queue_id)

    def release(self, queue_id: str = "ALL") -> None:
        """Release held mail (postsuper -H)."""
        self._tool("postsuper", "-H", queue_id)

    def log(self) -> str:
        """This instance's maillog so far ('' before anything was logged)."""
        try:
            return self.log_file.read_text("utf-8", "replace")
        except FileNotFoundError:
            return ""

    # -- internals --------------------------------------------------------------------

    def _layout(self) -> None:
        nobody = pwd.getpwnam("nobody")
        for directory in (self.config_dir, self.queue_dir, self.data_dir, self.log_file.parent):
            directory.mkdir(parents=True, exist_ok=True)
        # postfix check wants root-owned queue and config directories, not group/other
        # writable; the data directory belongs to the mail owner.
        postfix_user = pwd.getpwnam("postfix")
        os.chown(self.data_dir, postfix_user.pw_uid, postfix_user.pw_gid)
        # The virtual agent delivers as nobody and creates each Maildir itself.
        self.mail_dir.mkdir(exist_ok=True)
        os.chown(self.mail_dir, nobody.pw_uid, nobody.pw_gid)
        self.mail_dir.chmod(0o755)
        self.root.chmod(0o755)
        make_traversable(self.root)

    def _main_cf(self) -> dict[str, str]:
        nobody = pwd.getpwnam("nobody")
        version = _postfix_version() or (3, 4)
        db = self._db_type()
        params = {
            # Level 3.6+ is written as a version; older releases only know small integers.
            "compatibility_level": f"{version[0]}.{version[1]}" if version >= (3, 6) else "2",
            "queue_directory": str(self.queue_dir),
            "data_directory": str(self.data_dir),
            "maillog_file": str(self.log_file),
            # maillog_file must start with an allowed prefix (default /var, /dev/stdout).
            "maillog_file_prefixes": str(self.root),
            "syslog_name": f"postfix-test-{self.root.name}",
            "myhostname": f"mail.{DOMAIN}",
            "mydomain": DOMAIN,
            "myorigin": DOMAIN,
            # Nothing is delivered by local(8): that would write to /var/mail. The test domain
            # is a virtual mailbox domain (listing it in mydestination too makes Postfix warn).
            "mydestination": "",
            "local_recipient_maps": "",
            "alias_maps": "",
            "alias_database": "",
            "relay_domains": "",
            "relayhost": "",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            # A closed relay, even for loopback clients, and no way out for what slips
            # through (bounces to outside senders): this instance never sends off the box.
            "smtpd_relay_restrictions": "reject_unauth_destination",
            "default_transport": "error:5.7.1 test instance delivers locally only",
            "relay_transport": "error:5.7.1 test instance delivers locally only",
            "virtual_mailbox_domains": DOMAIN,
            "virtual_mailbox_base": str(self.mail_dir),
            "virtual_mailbox_maps": f"{db}:{self.config_dir / 'vmailbox'}",
            "virtual_uid_maps": f"static:{nobody.pw_uid}",
            "virtual_gid_maps": f"static:{nobody.pw_gid}",
            "biff": "no",
            "smtpd_banner": f"$myhostname ESMTP {self._token}",
            # Benchmarks send many refused messages; Postfix would otherwise slow the client
            # down after 10 errors and hang up after 20.
            "smtpd_soft_error_limit": "1000",
            "smtpd_hard_error_limit": "1000",
            "smtpd_error_sleep_time": "0s",
            # No DNS on a loopback-only test box.
            "smtp_dns_support_level": "disabled",
            "smtpd_peername_lookup": "no",
        }
        if self.milter:
            params |= {
                "smtpd_milters": self.milter,
                "non_smtpd_milters": self.milter,
                "milter_protocol": "6",
                "milter_default_action": self.milter_default_action,
                "milter_connect_timeout": self.milter_timeouts["connect"],
                "milter_command_timeout": self.milter_timeouts["command"],
                "milter_content_timeout": self.milter_timeouts["content"],
            }
        params |= self.extra_main_cf
        return params

    def _master_cf(self) -> str:
        # chroot column is "n" everywhere: a chroot would need copies of /etc files inside
        # the spool and would hide absolute milter socket paths.
        services = [
            f"127.0.0.1:{self.port} inet n - n - - smtpd",
            "pickup unix n - n 60 1 pickup",
            "cleanup unix n - n - 0 cleanup",
            "qmgr unix n - n 300 1 qmgr",
            "rewrite unix - - n - - trivial-rewrite",
            "bounce unix - - n - 0 bounce",
            "defer unix - - n - 0 bounce",
            "trace unix - - n - 0 bounce",
            "verify unix - - n - 1 verify",
            "flush unix n - n 1000? 0 flush",
            "proxymap unix - - n - - proxymap",
            "proxywrite unix - - n - 1 proxymap",
            "smtp unix - - n - - smtp",
            "relay unix - - n - - smtp",
            "showq unix n - n - - showq",
            "error unix - - n - - error",
            "retry unix - - n - - error",
            "discard unix - - n - - discard",
            "local unix - n n - - local",
            "virtual unix - n n - - virtual",
            "anvil unix - - n - 1 anvil",
            "scache unix - - n - 1 scache",
            "postlog unix-dgram n - n - 1 postlogd",
            *self.extra_master_cf,
        ]
        return "".join(line + "\n" for line in services)

    def _write_config(self) -> None:
        main = "".join(f"{k} = {v}\n" for k, v in self._main_cf().items())
        (self.config_dir / "main.cf").write_text(main)
        (self.config_dir / "master.cf").write_text(self._master_cf())
        maps = "".join(f"{name}@{DOMAIN} {name}/\n" for name in self.mailboxes)
        (self.config_dir / "vmailbox").write_text(maps)  # trailing "/" means Maildir
        # Postfix re-reads a main.cf younger than a second, five times 300 ms, in every
        # command; backdating the files saves 1.5 s per postmap/postfix/postqueue call.
        past = time.time() - 10
        for name in ("main.cf", "master.cf", "vmailbox"):
            os.utime(self.config_dir / name, (past, past))

    def _db_type(self) -> str:
        # hash on Debian 12; newer Postfix releases default to lmdb.
        postconf = _binary("postconf") or "postconf"
        out = subprocess.run(
            [postconf, "-dh", "default_database_type"],
            capture_output=True,
            text=True,
            timeout=_TIMEOUT,
        ).stdout.strip()
        return out or "hash"

    def _postmap(self) -> None:
        self._tool("postmap", f"{self._db_type()}:{self.config_dir / 'vmailbox'}")

    def _postfix(self, command: str, *, check: bool = True) -> str:
        return self._tool("postfix", command, check=check)

    def _tool(self, name: str, *args: str, check: bool = True) -> str:
        binary = _binary(name)
        if binary is None:
            raise RuntimeError(f"{name} not found")
        # Output goes to a file, not a pipe: `postfix start` leaves a daemon behind that
        # could inherit the pipe and make us wait for its EOF forever.
        with tempfile.TemporaryFile() as out:
            proc = subprocess.run(
                [binary, "-c", str(self.config_dir), *args],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=_TIMEOUT,
            )
            out.seek(0)
            text = out.read().decode("utf-8", "replace")
        # Warnings from postfix check and friends never reach the maillog; keep them.
        with (self.root / "log" / "commands.log").open("a", encoding="utf-8") as record:
            record.write(f"$ {name} {' '.join(args)} -> {proc.returncode}\n{text}")
        if check and proc.returncode != 0:
            raise RuntimeError(f"{name} {' '.join(args)} failed ({proc.returncode}): {text}")
        return text

    def _wait_for_smtp(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
                    sock.settimeout(5)
                    greeting = sock.recv(512)
                    sock.sendall(b"QUIT\r\n")
                # The token tells our smtpd from anything else that took the port.
                if greeting.startswith(b"220") and self._token.encode() in greeting:
                    return
                raise _PortTaken(f"127.0.0.1:{self.port} answers {greeting[:80]!r}")
            except OSError:  # not listening yet
                pass
            if not self._pids():  # e.g. bind failed: the master logs a fatal and exits
                raise _PortTaken(f"Postfix exited while starting:\n{self.log()[-3000:]}")
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"Postfix did not answer on 127.0.0.1:{self.port} within {timeout}s; "
                    f"log tail:\n{self.log()[-3000:]}"
                )
            time.sleep(0.05)

    def _pids(self) -> list[int]:
        """Processes started by this instance: Postfix hands MAIL_CONFIG to every child."""
        marker = f"MAIL_CONFIG={self.config_dir}".encode()
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                env = (entry / "environ").read_bytes().split(b"\0")
            except OSError:  # gone meanwhile, or a kernel thread
                continue
            if marker in env:
                pids.append(int(entry.name))
        pid_file = self.queue_dir / "pid" / "master.pid"
        with contextlib.suppress(OSError, ValueError):
            master = int(pid_file.read_text().strip())
            if master not in pids and _alive(master):
                pids.append(master)
        return [pid for pid in pids if _alive(pid)]

    def _wait_gone(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self._pids():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True


def _alive(pid: int) -> bool:
    """True for a running process; a zombie has exited, whenever its parent reaps it.

    The master daemonizes, so its parent is whatever the machine's pid 1 is; in containers
    that may reap late, and a zombie's /proc entry lingers meanwhile.
    """
    try:
        stat_line = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # The state letter follows the parenthesised command name, which may contain spaces.
    return stat_line.rpartition(")")[2].split()[0] not in ("Z", "X")


def _percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Linear interpolation between closest ranks; 0.0 for no data."""
    if not sorted_values:
        return 0.0
    pos = (len(sorted_values) - 1) * fraction
    low = int(pos)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (pos - low)


def throughput(
    instance: PrivatePostfix,
    messages: list[bytes],
    concurrency: int = 4,
    *,
    sender: str = f"a@{DOMAIN}",
    recipients: Sequence[str] = (f"user@{DOMAIN}",),
) -> dict[str, Any]:
    """Send `messages` over `concurrency` SMTP sessions and measure the server.

    Latency is one transaction, MAIL FROM to the final reply after the message's dot
    (250, 4xx or 5xx); connection setup and EHLO are left out. A session that drops is
    reopened, and the message in flight counts as failed.
    """
    lock = threading.Lock()
    pending = iter(range(len(messages)))
    latencies: list[float] = []
    codes: dict[int, int] = {}

    def take() -> int | None:
        with lock:
            return next(pending, None)

    def record(seconds: float, code: int) -> None:
        with lock:
            latencies.append(seconds)
            codes[code] = codes.get(code, 0) + 1

    def worker() -> None:
        smtp: smtplib.SMTP | None = None
        try:
            while (index := take()) is not None:
                try:
                    if smtp is None:
                        smtp = instance.connect()
                    started = time.perf_counter()
                    result = _transact(smtp, messages[index], sender, list(recipients))
                    record(time.perf_counter() - started, result.code)
                    if result.code == 421:  # the server is closing this session
                        smtp.close()
                        smtp = None
                except (smtplib.SMTPException, OSError) as exc:
                    # No full transaction, so no latency; the code (0 if none) still counts.
                    with lock:
                        code = _failure(exc).code
                        codes[code] = codes.get(code, 0) + 1
                    if smtp is not None:
                        smtp.close()
                    smtp = None
        finally:
            if smtp is not None:
                with contextlib.suppress(smtplib.SMTPException, OSError):
                    smtp.quit()
                smtp.close()

    threads = [threading.Thread(target=worker) for _ in range(max(1, concurrency))]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "messages": len(messages),
        "concurrency": len(threads),
        "elapsed_s": elapsed,
        "messages_per_second": len(messages) / elapsed if elapsed > 0 else 0.0,
        "p50_s": _percentile(ordered, 0.50),
        "p99_s": _percentile(ordered, 0.99),
        "max_s": ordered[-1] if ordered else 0.0,
        "accepted": codes.get(250, 0),
        "codes": dict(sorted(codes.items())),
    }
