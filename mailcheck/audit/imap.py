"""Reading an audit's messages from an IMAP server: the only importer of IMAPClient.

Read-only by construction: every folder is opened with EXAMINE (`select_folder(readonly=
True)`) and bodies are fetched with `BODY.PEEK[]`, so no `\\Seen` flag is set and nothing
is ever stored, copied, moved or expunged. The server is untrusted like any input: every
operation has a timeout, a literal larger than the audit's input limit is refused before it
is read (`_bound`), and sizes are checked (`RFC822.SIZE`) before a body is fetched.

The driver lists each folder (UIDVALIDITY, UIDs and sizes) once, then `Fetcher.feed` fills
the batches the workers scan with the bodies, a few connections fetching ahead of them; a
connection that drops is opened again and the fetch repeated, so nothing is lost.
"""

from __future__ import annotations

import contextlib
import imaplib
import netrc
import os
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from ..records import record, replace
from .plan import Stamp, Unit
from .remote import (
    PASSWORD_VARIABLE,
    TOKEN_VARIABLE,
    ImapSettings,
    RemoteError,
    Server,
    Target,
    message_url,
    place_of,
)

LIST_CHUNK = 1000  # UIDs per FETCH RFC822.SIZE while listing
BATCH_BYTES = 16 * 1024 * 1024  # a fetch (and a batch sent to a worker) holds at most this
_SLACK = 64 * 1024  # a literal may exceed the input limit by this much (headers, rounding)
Batch = tuple[Unit, ...]
Prompt = Callable[[str], str]


class Secret:
    """A password or an OAuth2 token; never shown by repr."""

    __slots__ = ("password", "token")

    def __init__(self, *, password: str = "", token: str = "") -> None:
        self.password, self.token = password, token

    def __repr__(self) -> str:
        return "Secret(***)"


def credentials(server: Server, prompt: Prompt | None) -> Secret:
    """The secret for `server`: an OAuth2 token ($MAILCHECK_IMAP_OAUTH2_TOKEN, XOAUTH2), a
    password ($MAILCHECK_IMAP_PASSWORD, then ~/.netrc's entry for the host), or typed at a
    terminal (`prompt`, given by the front-end only when stdin is one)."""
    token = os.environ.get(TOKEN_VARIABLE, "")
    if token:
        return Secret(token=token)
    password = os.environ.get(PASSWORD_VARIABLE, "")
    if password:
        return Secret(password=password)
    try:
        entry = netrc.netrc().authenticators(server.host)
    except FileNotFoundError:
        entry = None
    except (netrc.NetrcParseError, OSError) as exc:
        raise RemoteError(f"~/.netrc cannot be read: {exc}") from exc
    if entry is not None and entry[2] and entry[0] in ("", server.user):
        return Secret(password=entry[2])
    if prompt is not None:
        return Secret(password=prompt(f"Password for {server.user} at {server.host}: "))
    raise RemoteError(
        f"{server.name}: no password: set {PASSWORD_VARIABLE} (or {TOKEN_VARIABLE} for "
        "XOAUTH2), add a ~/.netrc entry for the host, or run on a terminal to be asked"
    )


def _context(settings: ImapSettings) -> ssl.SSLContext:
    if settings.insecure:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    try:
        return ssl.create_default_context(cafile=settings.cafile or None)
    except (OSError, ssl.SSLError) as exc:
        raise RemoteError(f"--cafile {settings.cafile}: cannot be read as PEM CAs: {exc}") from exc


class _Oversize(Exception):
    pass


def _bound(client: IMAPClient, limit: int) -> dict[str, int]:
    """Refuse a literal larger than `limit` before reading it: a hostile server could
    otherwise announce gigabytes. imaplib reads literals with `read(size)` (lines are
    already bounded by imaplib); the check wraps that one method of this connection."""
    imap = client._imap  # IMAPClient exposes no hook for this
    original = imap.read
    seen = {"oversize": 0}

    def read(size: int) -> bytes:
        if size > limit:
            seen["oversize"] = size
            raise imaplib.IMAP4.abort(f"the server sent a {size}-byte item")
        data: bytes = original(size)
        return data

    imap.read = read
    return seen


class Connection:
    """One logged-in connection and the folder it has open (read-only)."""

    def __init__(self, server: Server, secret: Secret, settings: ImapSettings, limit: int):
        context = _context(settings)
        where = server.name
        try:
            if server.scheme == "imaps":
                client = IMAPClient(
                    server.host,
                    server.port,
                    ssl=True,
                    ssl_context=context,
                    timeout=settings.timeout,
                )
            else:
                client = IMAPClient(server.host, server.port, ssl=False, timeout=settings.timeout)
                if not client.has_capability("STARTTLS"):
                    client.shutdown()
                    raise RemoteError(
                        f"{where}: the server offers no STARTTLS; mailcheck does not send a "
                        "password in clear text (use imaps://)"
                    )
                client.starttls(context)
        except ssl.SSLCertVerificationError as exc:
            raise RemoteError(
                f"{where}: TLS certificate not trusted ({exc.verify_message}); --cafile "
                "names the CA that signed it"
            ) from exc
        except ssl.SSLError as exc:
            raise RemoteError(f"{where}: TLS failed: {exc.reason or exc}") from exc
        except (OSError, IMAPClientError) as exc:
            raise RemoteError(f"{where}: cannot connect: {_why(exc)}") from exc
        self._limits = _bound(client, limit)
        try:
            if secret.token:
                client.oauth2_login(server.user, secret.token)
            else:
                client.login(server.user, secret.password)
        except LoginError as exc:
            _quietly(client.shutdown)
            raise RemoteError(
                f"{where}: login failed for {server.user} (wrong user or password, or an "
                f"account that needs XOAUTH2): {_why(exc)}"
            ) from exc
        except (OSError, IMAPClientError) as exc:
            _quietly(client.shutdown)
            raise RemoteError(f"{where}: login failed: {_why(exc)}") from exc
        self.client = client
        self.server = server
        self.folder: str | None = None
        self.uidvalidity = 0

    def examine(self, folder: str) -> int:
        """Open `folder` read-only (EXAMINE); its UIDVALIDITY."""
        if self.folder == folder:
            return self.uidvalidity
        try:
            info = self.client.select_folder(folder, readonly=True)
        except IMAPClientError as exc:
            if isinstance(exc, imaplib.IMAP4.abort):
                raise
            raise RemoteError(
                f"{self.server.name}/{folder}: cannot open the folder (no such folder?): "
                f"{_why(exc)}"
            ) from exc
        self.folder, self.uidvalidity = folder, int(info.get(b"UIDVALIDITY", 0))
        return self.uidvalidity

    def folders(self, pattern: str) -> list[str]:
        """Folders matching a LIST pattern, those that can be opened, sorted."""
        found = self.client.list_folders(pattern=pattern)
        names = [
            name
            for flags, _, name in found
            if not {b"\\Noselect", b"\\NonExistent"} & {bytes(f) for f in flags}
        ]
        return sorted(str(name) for name in names)

    def sizes(self, folder: str) -> tuple[int, list[tuple[int, int]]]:
        """(UIDVALIDITY, [(UID, RFC822.SIZE)...] in UID order) of a folder."""
        uidvalidity = self.examine(folder)
        uids = sorted(int(uid) for uid in self.client.search("ALL"))
        out: list[tuple[int, int]] = []
        for first in range(0, len(uids), LIST_CHUNK):
            chunk = uids[first : first + LIST_CHUNK]
            answer = self.client.fetch(chunk, ["RFC822.SIZE"])
            for uid in chunk:
                size = answer.get(uid, {}).get(b"RFC822.SIZE")
                if isinstance(size, int) and size >= 0:
                    out.append((uid, size))
        return uidvalidity, out

    def bodies(self, uids: list[int]) -> dict[int, bytes | str]:
        """The bodies of `uids` of the open folder (BODY.PEEK[]: no \\Seen), or why not."""
        self._limits["oversize"] = 0
        try:
            answer = self.client.fetch(uids, ["BODY.PEEK[]"])
        except imaplib.IMAP4.abort:
            if not self._limits["oversize"]:
                raise
            size = self._limits["oversize"]
            self.close()
            raise _Oversize(size) from None
        out: dict[int, bytes | str] = {}
        for uid in uids:
            body = answer.get(uid, {}).get(b"BODY[]")
            out[uid] = (
                bytes(body)
                if isinstance(body, bytes)
                else "no longer on the server (deleted after the audit listed it)"
            )
        return out

    def close(self) -> None:
        _quietly(self.client.logout)
        _quietly(self.client.shutdown)


def _quietly(action: Callable[[], object]) -> None:
    with contextlib.suppress(OSError, IMAPClientError, ValueError):
        action()


def _why(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, socket.timeout | TimeoutError):
        text = "no answer in time"
    return text.replace("\r", " ").replace("\n", " ")[:200]


@record
class Listed:
    """What listing the servers found (the messages went to the plan one by one): their
    number, the sizes refused, and each folder's UIDVALIDITY."""

    messages: int
    too_large: tuple[tuple[str, str], ...]  # (message URL, reason)
    folders: tuple[tuple[str, str, int], ...]  # (server name, folder, UIDVALIDITY)


@record
class Where:
    server: Server
    folder: str
    uidvalidity: int
    uid: int


def list_targets(
    targets: Iterable[Target],
    secrets: dict[Server, Secret],
    settings: ImapSettings,
    max_bytes: int,
    first_order: int,
    add: Callable[[Unit], bool],
) -> Listed:
    """Every message of the targets, in order (target, folder name, UID), handed to `add` as
    a unit whose stamp is the size the server gives (`add` says False for a message listed
    already, by an overlapping folder pattern); messages above `max_bytes` are refused here,
    never fetched."""
    large: list[tuple[str, str]] = []
    folders: list[tuple[str, str, int]] = []
    order = first_order
    for target in targets:
        server = target.server
        connection = Connection(server, secrets[server], settings, max_bytes + _SLACK)
        try:
            names = connection.folders(target.folder) if target.pattern else [target.folder]
            if target.pattern and not names:
                raise RemoteError(f"{server.name}/{target.folder}: no folder matches")
            for folder in names:
                uidvalidity, sizes = connection.sizes(folder)
                folders.append((server.name, folder, uidvalidity))
                for uid, size in sizes:
                    url = message_url(server, folder, uidvalidity, uid)
                    if size > max_bytes:
                        why = f"too large: {size} bytes, over the limit of {max_bytes}; not fetched"
                        large.append((url, why))
                        continue
                    if add(Unit(path=url, order=order, stamp=Stamp(size=size, mtime_ns=0))):
                        order += 1
        except (OSError, IMAPClientError) as exc:
            where_failed = f"{server.name}/{target.folder}"
            raise RemoteError(f"{where_failed}: listing failed: {_why(exc)}") from exc
        finally:
            connection.close()
    large = list(dict.fromkeys(large))  # an overlapping pattern lists a message twice
    return Listed(messages=order - first_order, too_large=tuple(large), folders=tuple(folders))


Fetched = Callable[[str, int, int], None]  # (folder, messages, bytes) after each fetch


class Fetcher:
    """Fills batches with their messages' bodies, `settings.connections` connections per
    server fetching ahead of the workers. Batches are cut to at most BATCH_BYTES."""

    def __init__(
        self,
        secrets: dict[Server, Secret],
        settings: ImapSettings,
        max_bytes: int,
        fetched: Fetched | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._secrets, self._settings = secrets, settings
        self._servers = {server.name: server for server in secrets}
        self._limit = max_bytes + _SLACK
        self._fetched = fetched
        self._sleep = sleep
        self._pool = ThreadPoolExecutor(max(1, settings.connections), "imap-fetch")
        self._local = threading.local()
        self._open: list[Connection] = []
        self._lock = threading.Lock()
        self.reconnects = 0

    def feed(self, batches: Iterable[Batch]) -> Iterator[Batch]:
        """The same batches (cut by size) with every remote unit's body or fetch error."""
        ahead: deque[Future[Batch]] = deque()
        depth = 2 * max(1, self._settings.connections)
        for batch in batches:
            for piece in self._pieces(batch):
                ahead.append(self._pool.submit(self._fill, piece))
                while len(ahead) > depth:
                    yield ahead.popleft().result()
        while ahead:
            yield ahead.popleft().result()

    def _where(self, path: str) -> Where | None:
        """Where a unit's message is on its server, read from its name; None for a file."""
        found = place_of(path)
        if found is None or found[0] not in self._servers:
            return None
        name, folder, uidvalidity, uid = found
        return Where(server=self._servers[name], folder=folder, uidvalidity=uidvalidity, uid=uid)

    def _pieces(self, batch: Batch) -> Iterator[Batch]:
        piece: list[Unit] = []
        size = 0
        for unit in batch:
            weight = unit.stamp.size if self._where(unit.path) is not None else 0
            if piece and size + weight > BATCH_BYTES:
                yield tuple(piece)
                piece, size = [], 0
            piece.append(unit)
            size += weight
        if piece:
            yield tuple(piece)

    def _fill(self, batch: Batch) -> Batch:
        groups: dict[tuple[Server, str, int], list[int]] = {}
        places = [None if unit.data is not None else self._where(unit.path) for unit in batch]
        for place in places:
            if place is not None:
                key = (place.server, place.folder, place.uidvalidity)
                groups.setdefault(key, []).append(place.uid)
        found: dict[tuple[Server, str, int, int], bytes | str] = {}
        for (server, folder, uidvalidity), uids in groups.items():
            for uid, body in self._fetch(server, folder, uidvalidity, uids).items():
                found[(server, folder, uidvalidity, uid)] = body
        out: list[Unit] = []
        for unit, place in zip(batch, places, strict=True):
            if place is None:
                out.append(unit)
                continue
            body = found.get((place.server, place.folder, place.uidvalidity, place.uid), "")
            if isinstance(body, bytes):
                out.append(replace(unit, data=body))
            else:
                out.append(replace(unit, fetch_error=body or "not fetched"))
        return tuple(out)

    def _connection(self, server: Server) -> Connection:
        table: dict[Server, Connection] = self._local.__dict__.setdefault("open", {})
        connection = table.get(server)
        if connection is None:
            connection = Connection(server, self._secrets[server], self._settings, self._limit)
            table[server] = connection
            with self._lock:
                self._open.append(connection)
        return connection

    def _drop(self, server: Server) -> None:
        table: dict[Server, Connection] = self._local.__dict__.setdefault("open", {})
        connection = table.pop(server, None)
        if connection is not None:
            connection.close()

    def _fetch(
        self, server: Server, folder: str, uidvalidity: int, uids: list[int]
    ) -> dict[int, bytes | str]:
        problem = ""
        for attempt in range(max(1, self._settings.attempts)):
            if attempt:
                self.reconnects += 1
                self._sleep(min(0.25 * 2**attempt, 5.0))
            try:
                connection = self._connection(server)
                if connection.examine(folder) != uidvalidity:
                    reason = (
                        f"the folder's UIDVALIDITY changed during the audit (was {uidvalidity}); "
                        "--resume scans the folder again"
                    )
                    return dict.fromkeys(uids, reason)
                out = connection.bodies(uids)
            except _Oversize as exc:
                self._drop(server)
                if len(uids) > 1:  # which one: each alone
                    merged: dict[int, bytes | str] = {}
                    for uid in uids:
                        merged.update(self._fetch(server, folder, uidvalidity, [uid]))
                    return merged
                return {
                    uids[0]: f"the server sent {exc.args[0]} bytes, over the input limit; not read"
                }
            except RemoteError as exc:  # a login or TLS failure on reconnecting
                problem = str(exc)
                self._drop(server)
            except (OSError, IMAPClientError, ValueError) as exc:
                problem = _why(exc)
                self._drop(server)
            else:
                if self._fetched is not None:
                    size = sum(len(b) for b in out.values() if isinstance(b, bytes))
                    self._fetched(folder, len(uids), size)
                return out
        return dict.fromkeys(uids, f"fetch failed: {problem}")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            connections, self._open = self._open, []
        for connection in connections:
            connection.close()
