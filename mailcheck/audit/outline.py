"""What an audit's reports show, gathered once and handed to each renderer (the stdout
summary, report.html): counts, the flagged messages with their explained findings, and
what only the whole folder shows (campaigns). Texts are already in the report's language.
"""

from __future__ import annotations

from pathlib import PurePath

from ..catalog import Lang
from ..records import record
from .iocs import Indicator
from .remote import mailbox_of


@record
class Folder:
    """Where a reader goes to find a message: an IMAP folder, a directory or an mbox file."""

    key: str  # what groups messages: server and folder, a directory, an mbox file
    name: str  # the folder as a mail client shows it ("INBOX"), or the path
    server: str = ""  # scheme://user@host[:port] of an IMAP folder; "" for files


def folder_of(path: str, index: int | None) -> Folder:
    """The folder of the message at `path` (`index` inside an mbox): the mbox is a
    folder of its own, a file's folder is its directory."""
    mailbox = mailbox_of(path)
    if mailbox is not None:
        server, name = mailbox
        return Folder(key=f"{server}/{name}", name=name, server=server)
    place = path if index is not None else str(PurePath(path).parent)
    return Folder(key=place, name=place)


@record
class Shown:
    """One finding of a flagged message, as the reader sees it."""

    id: str
    severity: str
    title: str
    explanation: str
    advice: str
    evidence: tuple[tuple[str, str], ...]  # (location, excerpt), clipped and defanged


@record
class Flagged:
    """A suspicious or malicious message."""

    key: str  # "path#index", unique in the audit
    path: str
    index: int | None
    date: str  # as the message says
    day: str  # YYYY-MM-DD (UTC) for the timeline; "" when the date is unreadable
    from_name: str
    from_addr: str
    subject: str
    verdict: str  # "suspicious" | "malicious"
    score: int
    incomplete: bool
    reasons: tuple[str, ...]
    attachments: tuple[str, ...]  # file names
    findings: tuple[Shown, ...]

    @property
    def folder(self) -> Folder:
        return folder_of(self.path, self.index)


@record
class Campaign:
    """Several flagged messages that share an attachment or a sender domain."""

    kind: str  # "sha256" | "domain"
    value: str
    keys: tuple[str, ...]


@record
class Outline:
    lang: Lang
    tool_version: str
    generated: str  # ISO 8601, local time of the run
    inputs: tuple[str, ...]
    counts: tuple[tuple[str, int], ...]  # clean, suspicious, malicious (in that order)
    errors: tuple[tuple[str, str], ...]  # (path, reason) of inputs that could not be scanned
    not_mail: int  # files in directories that were not messages
    incomplete: int  # messages whose verdict is incomplete (a limit was hit)
    top_findings: tuple[tuple[str, str, int], ...]  # (id, title, messages), most frequent first
    flagged: tuple[Flagged, ...]  # worst first, at most `shown_limit`
    flagged_total: int
    campaigns: tuple[Campaign, ...]
    links: tuple[tuple[str, str], ...]  # (title, url): the FAQ links of the advice
    interrupted: bool  # the run was stopped before every input was scanned
    seconds: float
    indicators: tuple[Indicator, ...] = ()  # what to block (iocs.py), real values: defang to show
    # (YYYY-MM-DD or "", malicious, suspicious) over every flagged message, not only those
    # listed; empty: counted from `flagged`
    days: tuple[tuple[str, int, int], ...] = ()
    # (folder, malicious, suspicious) over every flagged message; empty: counted from `flagged`
    folders: tuple[tuple[Folder, int, int], ...] = ()

    @property
    def total(self) -> int:
        return sum(count for _, count in self.counts)

    def count(self, verdict: str) -> int:
        return dict(self.counts).get(verdict, 0)
