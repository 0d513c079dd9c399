"""Mail on an IMAP server as an audit input, without the IMAP library: what an
`imaps://USER@HOST[:PORT]/FOLDER` input names, how one message is named in the journal and
the reports, and the settings of the connections. `imap.py` talks to the server.

A message is named by an IMAP URL (RFC 5092 style) holding the server, the folder, the
folder's UIDVALIDITY and the message's UID: `imaps://taro@mail.example:993/INBOX;UIDVALIDITY=7/;UID=42`.
That name is the journal's key for the message (so `--resume` skips exactly the messages
already scanned, and a folder whose UIDVALIDITY changed is scanned again) and the `path` a
person reads in the reports to find the message in a mail client.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from ..records import record

SCHEMES = {"imaps": 993, "imap": 143}  # imap:// always upgrades with STARTTLS
PASSWORD_VARIABLE = "MAILCHECK_IMAP_PASSWORD"
TOKEN_VARIABLE = "MAILCHECK_IMAP_OAUTH2_TOKEN"
ALL = "*"  # the folder pattern of --all-folders
_UNSAFE = re.compile(r"[%;?#\s\x00-\x1f\x7f]")
# A `message_url`: the folder is escaped, so the first ";UIDVALIDITY=" ends it.
_MESSAGE_URL = re.compile(
    r"(?P<server>imaps?://[^/]+)/(?P<folder>[^;]*);UIDVALIDITY=(?P<validity>\d{1,10})/"
    r";UID=(?P<uid>\d{1,10})",
    re.IGNORECASE,
)


class RemoteError(Exception):
    """The server cannot be audited (address, login, TLS, folder); the message says why in
    one line."""


def is_remote(path: str) -> bool:
    return path.split("://", 1)[0].lower() in SCHEMES and "://" in path


@record
class Server:
    scheme: str  # "imaps" or "imap"
    user: str
    host: str
    port: int

    @property
    def name(self) -> str:
        """`scheme://user@host[:port]` (the port when it is not the scheme's own)."""
        port = "" if self.port == SCHEMES[self.scheme] else f":{self.port}"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{_escaped(self.user)}@{host}{port}"


@record
class Target:
    """One input: a server and a folder, or a LIST pattern of folders (`*`, `%`)."""

    server: Server
    folder: str

    @property
    def pattern(self) -> bool:
        return "*" in self.folder or "%" in self.folder


@record
class ImapSettings:
    """How to reach the servers: TLS verification, connections, time bounds."""

    cafile: str = ""  # PEM file of CAs to trust instead of the system's store
    insecure: bool = False  # no certificate check at all (--insecure)
    connections: int = 2  # per server, fetching in parallel
    timeout: float = 60.0  # seconds any network operation may take
    attempts: int = 4  # tries of one fetch across reconnections


def parse_target(text: str, *, all_folders: bool = False) -> Target:
    """The server and folder an `imaps://` or `imap://` input names. A password in the URL
    is refused: a command line is visible to every user of the machine."""
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise RemoteError(f"{_shown(text)}: not a valid IMAP address: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES or not parts.hostname:
        raise RemoteError(f"{_shown(text)}: not a valid IMAP address (imaps://USER@HOST/FOLDER)")
    if parts.password is not None:
        raise RemoteError(
            f"{_shown(text)}: a password does not belong in the address (others can read a "
            f"command line): set {PASSWORD_VARIABLE}, add a ~/.netrc entry, or type it when asked"
        )
    if not parts.username:
        raise RemoteError(f"{_shown(text)}: name the user: imaps://USER@HOST/FOLDER")
    if parts.query or parts.fragment:
        raise RemoteError(f"{_shown(text)}: an IMAP address has no ?query or #fragment here")
    folder = unquote(parts.path.lstrip("/")).split(";", 1)[0].rstrip("/")
    if all_folders:
        folder = folder or ALL
    server = Server(
        scheme=scheme,
        user=unquote(parts.username),
        host=parts.hostname,
        port=port or SCHEMES[scheme],
    )
    return Target(server=server, folder=folder or "INBOX")


def with_all_folders(text: str) -> str:
    """An IMAP input without a folder made the pattern of every folder (--all-folders);
    other inputs as they are."""
    if not is_remote(text):
        return text
    head, _, rest = text.partition("://")
    authority, _, path = rest.partition("/")
    return text if path.strip("/") else f"{head}://{authority}/{ALL}"


def message_url(server: Server, folder: str, uidvalidity: int, uid: int) -> str:
    """The name of one message: the journal's key and the reports' `path`."""
    return f"{server.name}/{_escaped(folder)};UIDVALIDITY={uidvalidity}/;UID={uid}"


def mailbox_of(path: str) -> tuple[str, str] | None:
    """(server name, folder) of a `message_url`, the folder as the mail client shows it;
    None for any other path (a file)."""
    found = place_of(path)
    return None if found is None else found[:2]


def place_of(path: str) -> tuple[str, str, int, int] | None:
    """(server name, folder, UIDVALIDITY, UID) of a `message_url`: where to fetch it, read
    back from its name so that nothing per message is kept; None for a file."""
    found = _MESSAGE_URL.fullmatch(path)
    if found is None:
        return None
    return found["server"], unquote(found["folder"]), int(found["validity"]), int(found["uid"])


def folder_url(server: Server, folder: str, uidvalidity: int) -> str:
    return f"{server.name}/{_escaped(folder)};UIDVALIDITY={uidvalidity}/"


def _escaped(text: str) -> str:
    """Percent-escape what would end or confuse a URL part; other text (Japanese folder
    names included) stays readable."""
    return _UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), text)


def _shown(text: str) -> str:
    """An input as it may appear in an error line: no password, at most 200 characters."""
    head, sep, rest = text.partition("://")
    if sep and "@" in rest.split("/", 1)[0]:
        userinfo, _, tail = rest.partition("@")
        rest = userinfo.split(":", 1)[0] + "@" + tail
    return (head + sep + rest)[:200]
