"""A private, throw-away Dovecot IMAP server for end-to-end tests of `mailcheck audit imaps://`.

Install Debian's Dovecot once per machine (CI runs exactly this)::

    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y dovecot-imapd

Nothing here installs anything: `dovecot_available()` says why Dovecot cannot run, so a test
can `pytest.skip(reason)`. The package may start the system's own instance (ports 143/993);
this one never uses those ports and never reads /etc/dovecot.

`PrivateDovecot(root)` writes its own dovecot.conf under `root`, listens on 127.0.0.1 only
(IMAP with STARTTLS and IMAPS, each on a free port), and runs unprivileged: as `nobody` when
the tests run as root (Popen's user/group; the files under `root` are given to nobody and
`root` is made traversable), else as the current user. Users and passwords are a
passwd-file; every user's mail is a Maildir under `root/home/USER/Maildir` (Maildir++
folders: `.Archive` holds "Archive"). TLS uses a throw-away CA made by `make_tls`
(cryptography), its certificate for 127.0.0.1 and localhost. Dovecot's log is
`root/log/dovecot.log`.

Things learnt (Dovecot 2.3): a rootless instance needs `default_internal_user` and
`default_login_user` set to the running user and every `chroot` emptied; the static userdb's
uid/gid must be the running user's. Flags live in the Maildir file names (`:2,S` is \\Seen),
so a test can read them without IMAP.
"""

from __future__ import annotations

import contextlib
import datetime
import grp
import ipaddress
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path
from typing import Self

from testkit.postfix import free_port, make_traversable

_TIMEOUT = 30.0


def _binary() -> str | None:
    return shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin:/usr/bin:/sbin")


def dovecot_available() -> str | None:
    """None when a private Dovecot can run here, else a one-line reason why not."""
    if _binary() is None:
        return (
            "Dovecot not installed (dovecot not found); run: apt-get update && "
            "DEBIAN_FRONTEND=noninteractive apt-get install -y dovecot-imapd"
        )
    if not Path("/usr/lib/dovecot/imap").exists() and shutil.which("imap") is None:
        return "Dovecot's IMAP server is missing: install dovecot-imapd"
    try:
        import cryptography  # noqa: F401
    except ImportError:
        return "the test CA needs the cryptography package"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("nobody")
        except KeyError:
            return "system user 'nobody' is missing (the private Dovecot runs as nobody)"
    return None


def make_tls(
    directory: Path, host_names: tuple[str, ...] = ("localhost",)
) -> tuple[Path, Path, Path]:
    """(CA certificate, server certificate, server key), PEM, for 127.0.0.1 and
    `host_names`; a throw-away CA valid for a day."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mailcheck test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName(name) for name in host_names]
    names.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host_names[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = (
        directory / "ca.pem",
        directory / "server.pem",
        directory / "server.key",
    )
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return ca_path, cert_path, key_path


class PrivateDovecot:
    """A Dovecot instance of its own under `root`; a context manager that starts and stops it."""

    def __init__(self, root: Path, users: dict[str, str] | None = None) -> None:
        self.root = root
        self.users = dict(users or {"taro": "correct horse"})
        self.imap_port = 0
        self.imaps_port = 0
        self.ca = root / "tls" / "ca.pem"
        self._process: subprocess.Popen[bytes] | None = None
        if os.geteuid() == 0:
            entry = pwd.getpwnam("nobody")
            self.uid, self.gid, self.user = entry.pw_uid, entry.pw_gid, "nobody"
        else:
            self.uid, self.gid = os.getuid(), os.getgid()
            self.user = pwd.getpwuid(self.uid).pw_name

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- mail ------------------------------------------------------------------------------

    def maildir(self, user: str, folder: str = "INBOX") -> Path:
        base = self.root / "home" / user / "Maildir"
        return base if folder == "INBOX" else base / ("." + folder.replace("/", "."))

    def deliver(self, user: str, data: bytes, folder: str = "INBOX", flags: str = "") -> Path:
        """A message written straight into the Maildir (`flags`: Maildir letters, e.g. "S")."""
        box = self.maildir(user, folder)
        for sub in ("cur", "new", "tmp"):
            (box / sub).mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns()}.M{os.getpid()}P{threading.get_ident()}.mailcheck-test"
        temporary = box / "tmp" / name
        temporary.write_bytes(data)
        target = box / "cur" / f"{name}:2,{flags}"
        os.replace(temporary, target)
        self._own(self.root / "home")
        return target

    def flags(self, user: str, folder: str = "INBOX") -> dict[str, str]:
        """Each message file's unique name and its Maildir flags, read from the disk."""
        out: dict[str, str] = {}
        box = self.maildir(user, folder)
        for sub in ("new", "cur"):
            for path in (box / sub).glob("*"):
                unique, _, info = path.name.partition(":2,")
                out[unique] = info
        return out

    def log(self) -> str:
        path = self.root / "log" / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # -- running ---------------------------------------------------------------------------

    def start(self, timeout: float = _TIMEOUT) -> None:
        reason = dovecot_available()
        if reason is not None:
            raise RuntimeError(reason)
        binary = _binary()
        assert binary is not None
        for name in ("run", "state", "log", "home", "tls"):
            (self.root / name).mkdir(parents=True, exist_ok=True)
        if not self.ca.exists():
            make_tls(self.root / "tls")
        if not self.imap_port:  # a restart keeps its ports: the mailbox URLs stay the same
            self.imap_port = free_port()
            self.imaps_port = free_port()
            while self.imaps_port == self.imap_port:
                self.imaps_port = free_port()
        (self.root / "passwd").write_text(
            "".join(f"{user}:{{PLAIN}}{password}::::::\n" for user, password in self.users.items())
        )
        (self.root / "dovecot.conf").write_text(self._config())
        for user in self.users:
            for sub in ("cur", "new", "tmp"):
                (self.maildir(user) / sub).mkdir(parents=True, exist_ok=True)
        self._own(self.root)
        if os.geteuid() == 0:
            make_traversable(self.root)
        log = (self.root / "log" / "stdout.log").open("ab")
        self._process = subprocess.Popen(
            [binary, "-F", "-c", str(self.root / "dovecot.conf")],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
            **(
                {"user": self.uid, "group": self.gid, "extra_groups": []}
                if os.geteuid() == 0
                else {}
            ),
        )
        log.close()
        deadline = time.monotonic() + timeout
        # The greeting is this instance's own: a port another program took between our probe
        # and Dovecot's bind is not mistaken for it.
        while not (self._greets(self.imap_port, tls=False) and self._greets(self.imaps_port)):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                stdout = (self.root / "log" / "stdout.log").read_text(errors="replace")
                raise RuntimeError(f"Dovecot did not start: {stdout[-2000:]}{self.log()[-2000:]}")
            time.sleep(0.05)

    def stop(self, timeout: float = _TIMEOUT) -> None:
        """Stop the master and its children (its own session); safe to call twice."""
        process, self._process = self._process, None
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout)

    @property
    def greeting(self) -> str:
        return f"mailcheck test {self.imap_port}"

    def _greets(self, port: int, *, tls: bool = True) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2.0) as raw:
                if not tls:
                    return self.greeting.encode() in raw.recv(512)
                context = ssl.create_default_context(cafile=str(self.ca))
                with context.wrap_socket(raw, server_hostname="127.0.0.1") as secure:
                    return self.greeting.encode() in secure.recv(512)
        except (OSError, ssl.SSLError):
            return False

    def _own(self, top: Path) -> None:
        if os.geteuid() != 0:
            return
        for directory, dirs, files in os.walk(top):
            os.chown(directory, self.uid, self.gid)
            for name in (*dirs, *files):
                os.lchown(os.path.join(directory, name), self.uid, self.gid)

    def _config(self) -> str:
        root = self.root
        return f"""\
# A private test instance: nothing below is read from /etc/dovecot.
base_dir = {root}/run
state_dir = {root}/state
instance_name = mailcheck-test-{self.imap_port}
log_path = {root}/log/dovecot.log
info_log_path = {root}/log/dovecot.log
protocols = imap
login_greeting = {self.greeting}
listen = 127.0.0.1
default_internal_user = {self.user}
default_internal_group = {grp.getgrgid(self.gid).gr_name}
default_login_user = {self.user}
ssl = yes
ssl_cert = <{root}/tls/server.pem
ssl_key = <{root}/tls/server.key
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = {root}/passwd
}}
userdb {{
  driver = static
  args = uid={self.uid} gid={self.gid} home={root}/home/%u
}}
mail_location = maildir:~/Maildir
first_valid_uid = 0
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.imaps_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service auth {{
  unix_listener auth-userdb {{
    mode = 0600
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0600
  }}
  unix_listener stats-writer {{
    mode = 0600
  }}
}}
"""


class DroppingProxy:
    """A TCP relay on 127.0.0.1 to `port` that cuts the connections numbered in `cut` (1 is
    the first) once the server has sent `after` bytes on them: a network that fails in the
    middle of a fetch. Other connections are relayed whole. TLS passes through untouched."""

    def __init__(self, port: int, *, after: int, cut: tuple[int, ...] = (1,)) -> None:
        self.target = port
        self.after, self.cut_connections = after, cut
        self.connections = 0
        self.cut = 0
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._server.getsockname()[1])
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stopped.set()
        self._server.close()
        self._thread.join(10)

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            self.connections += 1
            cut = self.connections in self.cut_connections
            upstream = socket.create_connection(("127.0.0.1", self.target), timeout=_TIMEOUT)
            threading.Thread(target=self._pipe, args=(client, upstream, None), daemon=True).start()
            threading.Thread(
                target=self._pipe, args=(upstream, client, self.after if cut else None), daemon=True
            ).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, limit: int | None) -> None:
        sent = 0
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if limit is not None and sent + len(data) > limit:
                    sink.sendall(data[: max(0, limit - sent)])
                    self.cut += 1
                    break
                sink.sendall(data)
                sent += len(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()
