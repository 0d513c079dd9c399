"""The frozen result document that every front-end and renderer consumes.

Everything here is plain data: no bytes from the message, no behaviour beyond small
derived properties. A `ScanResult` round-trips through JSON (see `report/json_codec.py`),
so a saved result can be rendered again later, in either language.
"""

from __future__ import annotations

from dataclasses import field
from typing import Literal

from .records import record

SCHEMA_VERSION = 1

Severity = Literal["info", "low", "medium", "high", "critical"]
SEVERITIES: tuple[Severity, ...] = ("info", "low", "medium", "high", "critical")

VerdictLabel = Literal["clean", "suspicious", "malicious"]
VERDICT_LABELS: tuple[VerdictLabel, ...] = ("clean", "suspicious", "malicious")

# What a finding proves, for the verdict (score.py): a trait of what the mail carries
# (payload), who sent it (identity), an authentication failure on a From the reader knows
# (forgery: identity evidence independent of the name), identity evidence that counts only
# beside a payload trait (corroboration), or a weak delivery sign or limitation (note).
FindingKind = Literal["payload", "identity", "forgery", "corroboration", "note"]
FINDING_KINDS: tuple[FindingKind, ...] = ("payload", "identity", "forgery", "corroboration", "note")

Confidence = Literal["low", "medium", "high"]
CONFIDENCES: tuple[Confidence, ...] = ("low", "medium", "high")

# ok: fully analysed; encrypted: could not be opened; truncated: cut at a limit;
# broken: malformed beyond recovery; skipped: deliberately not analysed (a limit).
AttachmentStatus = Literal["ok", "encrypted", "truncated", "broken", "skipped"]
ATTACHMENT_STATUSES: tuple[AttachmentStatus, ...] = (
    "ok",
    "encrypted",
    "truncated",
    "broken",
    "skipped",
)

# What a node of the attachment tree is to the reader. body: a text of the message itself
# (an .eml's text/plain or text/html part without a file name, a .msg's plain or HTML body):
# analysed like any part, but never shown or counted as an attachment. inline: a file shown
# in the text (an image); attachment: a file; member: a file inside an archive or document.
AttachmentRole = Literal["body", "inline", "attachment", "member"]
ATTACHMENT_ROLES: tuple[AttachmentRole, ...] = ("body", "inline", "attachment", "member")


def severity_rank(severity: Severity) -> int:
    return SEVERITIES.index(severity)


@record
class Address:
    display_name: str
    addr: str

    @property
    def domain(self) -> str:
        _, _, domain = self.addr.rpartition("@")
        return domain.lower()


@record
class Evidence:
    """Where a finding was seen. `facts` fill the catalog text's {placeholders}."""

    location: str
    excerpt: str = ""
    facts: tuple[tuple[str, str], ...] = ()

    def fact(self, key: str, default: str = "") -> str:
        for name, value in self.facts:
            if name == key:
                return value
        return default


@record
class Hit:
    """A finding as a check reports it; severity, score and texts come from the catalog."""

    id: str
    evidence: tuple[Evidence, ...]
    confidence: Confidence = "high"


@record
class Finding:
    id: str
    severity: Severity
    score: int
    confidence: Confidence
    evidence: tuple[Evidence, ...]
    analyzer: str

    def facts(self) -> dict[str, str]:
        """All facts of all evidence; the first evidence that names a key wins."""
        merged: dict[str, str] = {}
        for item in self.evidence:
            for key, value in item.facts:
                merged.setdefault(key, value)
        return merged


@record
class Attachment:
    path: str
    filename: str
    declared_type: str
    sniffed_type: str
    size: int
    sha256: str
    depth: int
    status: AttachmentStatus
    children: tuple[Attachment, ...] = ()
    role: AttachmentRole = "attachment"

    def walk(self) -> tuple[Attachment, ...]:
        out: list[Attachment] = [self]
        for child in self.children:
            out.extend(child.walk())
        return tuple(out)


@record
class ReceivedHop:
    from_host: str = ""
    by_host: str = ""
    with_protocol: str = ""
    date: str = ""
    raw: str = ""


@record
class AuthResult:
    """One SPF / DKIM / DMARC / ARC result as a receiving server recorded it in a header.

    Attacker-sent headers can carry results too, and Emotet mail passed for its own hijacked
    domain: these explain, they never clear a message.
    """

    method: str  # lower case: spf, dkim, dmarc, arc, ...
    result: str  # lower case: pass, fail, softfail, neutral, none, temperror, ...
    detail: str = ""  # the identity checked, e.g. "smtp.mailfrom=x@a.example", "header.d=a.example"
    authserv_id: str = ""  # the server that checked, e.g. "mx.corp.example"


@record
class MessageSummary:
    from_: Address | None
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    reply_to: tuple[Address, ...] = ()
    subject: str = ""
    date: str = ""
    message_id: str = ""
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    received: tuple[ReceivedHop, ...] = ()
    auth: tuple[AuthResult, ...] = ()  # in header order: the nearest receiving server first


@record
class Source:
    path: str
    index: int | None = None
    format: str = "eml"


@record
class Verdict:
    label: VerdictLabel
    score: int
    reasons: tuple[str, ...]
    incomplete: bool


@record
class Link:
    title_key: str
    url: str


@record
class Advice:
    """Catalog keys of the advice lines (rendered in the reader's language) and links."""

    keys: tuple[str, ...]
    links: tuple[Link, ...]


@record
class ScanResult:
    schema_version: int
    tool_version: str
    source: Source
    message: MessageSummary
    attachments: tuple[Attachment, ...]
    findings: tuple[Finding, ...]
    verdict: Verdict
    advice: Advice
    timings_ms: tuple[tuple[str, float], ...] = field(default=())

    @property
    def incomplete(self) -> bool:
        return self.verdict.incomplete
