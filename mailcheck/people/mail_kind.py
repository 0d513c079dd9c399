"""What kind of mail this is, as far as the thread checks care.

Mailing lists, bounces, calendar invitations, forwards, ticketing systems and automatic
notices all legitimately carry someone else's thread or an unusual sender; these checks
say which, so the thread analyzer can keep such mail clean. Everything here reads headers,
which an attacker controls too: they explain why a check did not apply, they never clear
a message of other findings.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Literal

from ..parse.types import ParsedMessage
from ..records import record

SubjectKind = Literal["reply", "forward"]

# Reply and forward prefixes in the languages mail clients write them (after NFKC, so
# "ＲＥ：" is "RE:"), with counters such as Re[2]: / Re(2): / Re^2:.
_REPLY = r"re|aw|sv|vs|odp|rif|r|antw|res|ynt|回复|答复|回覆|返信|返"
_FORWARD = r"fwd?|tr|wg|rv|enc|i|転送|转发|轉寄"
_PREFIX = re.compile(
    rf"^\s*(?:(?P<reply>{_REPLY})|(?P<forward>{_FORWARD}))\s*(?:\[\d+\]|\(\d+\)|\^\d+)?\s*:",
    re.IGNORECASE,
)
_TAG = re.compile(r"^\s*(?:\[[^\]]{1,60}\]|【[^】]{1,60}】)")

_LIST_HEADERS = (
    "list-id",
    "list-post",
    "list-unsubscribe",
    "list-archive",
    "list-help",
    "x-mailman-version",
    "x-beenthere",
    "mailing-list",
    "x-mailing-list",
    "x-original-sender",  # Google Groups
    "x-google-group-id",
    "x-ml-name",  # fml, the common Japanese list manager
    "x-mail-count",
    "x-sequence",
    "x-loop",
)
_TICKET_HEADER = re.compile(
    r"^(?:x-zendesk-|x-freshdesk-|x-otrs-|rt-ticket|x-rt-|x-redmine-|x-jira-|x-backlog-|"
    r"x-servicenow-|x-helpscout-)",
    re.IGNORECASE,
)
_AUTOMATED_LOCAL = re.compile(
    r"^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|notifications?|notify|mailer|bounces?|"
    r"support|helpdesk|tickets?|system|alerts?|automated)(?:[-+._].*)?$",
    re.IGNORECASE,
)
# Addresses of mailing lists and groups: a thread sent to one has an open audience.
_LIST_LOCAL = re.compile(
    r"(?:(?:^|[-_.])lists?(?:[-_.]|$)|list$|^ml[-_.]|[-_.]ml$|"
    r"[-_.](?:users?|talk|devel?|announce|general|discuss)$|-l$)",
    re.IGNORECASE,
)
_LIST_DOMAIN = re.compile(
    r"^(?:lists?|ml|groups?)\.|(?:^|\.)(?:googlegroups\.com|yahoogroups\.com|groups\.io|"
    r"freelists\.org|egroups\.com)$",
    re.IGNORECASE,
)
_ANY_ADDRESS = re.compile(r"[\w.+=!#$%&'*/?^`{|}~-]{1,200}@[\w.-]{1,255}")
_LIST_FOOTER = re.compile(r"/(?:mailman|listinfo|mailman-\d+)/|^[> ]*\S+ mailing list\s*$", re.M)
_DAEMON_LOCAL = re.compile(r"^(?:mailer-daemon|postmaster|mail-daemon)$", re.IGNORECASE)
_AUTO_REPLY_TEXT = re.compile(
    r"automated response|auto(?:matic)?[- ]?reply|out of (?:the )?office|不在|自動応答|自動返信",
    re.IGNORECASE,
)
_PASSWORD_NOTICE = re.compile(r"パスワード|暗証|解凍|passw(?:or)?d|passcode", re.IGNORECASE)


def subject_kind(subject: str) -> SubjectKind | None:
    """ "reply" or "forward" from the outermost marker, skipping list tags such as [ILUG]."""
    text = unicodedata.normalize("NFKC", subject)
    for _ in range(4):
        tag = _TAG.match(text)
        if tag:
            text = text[tag.end() :]
            continue
        match = _PREFIX.match(text)
        if match is None:
            return None
        return "reply" if match.group("reply") else "forward"
    return None


def bare_subject(subject: str) -> str:
    """The subject without its reply and forward markers ("RE: Fwd: 見積書" -> "見積書")."""
    text = unicodedata.normalize("NFKC", subject).strip()
    for _ in range(8):
        match = _PREFIX.match(text)
        if match is None:
            break
        text = text[match.end() :].lstrip()
    return text[:200]


def _names(message: ParsedMessage) -> set[str]:
    return {h.name.lower() for h in message.headers}


def mailing_list(message: ParsedMessage) -> str:
    """The header that shows a list delivered this message, or ""."""
    names = _names(message)
    for header in _LIST_HEADERS:
        if header in names:
            return header
    precedence = (message.header("Precedence") or "").strip().lower()
    if precedence in ("list", "bulk"):
        return "precedence"
    if message.sender and list_server_address(message.sender.addr):
        return "sender"
    # Sent to a list directly (the copy that skipped the list server): a list thread still.
    summary = message.summary
    if any(list_address(a.addr) for a in (*summary.to, *summary.cc)):
        return "to"
    return ""


def list_address(addr: str) -> bool:
    local, _, domain = addr.lower().rpartition("@")
    return bool(local) and bool(_LIST_LOCAL.search(local) or _LIST_DOMAIN.search(domain))


def list_server_address(addr: str) -> bool:
    """A list manager's own address (Mailman's list-bounces+user=host@, owner-list@)."""
    local = addr.lower().partition("@")[0].partition("+")[0]
    return local.startswith("owner-") or local.endswith(
        ("-admin", "-bounces", "-owner", "-request")
    )


def quoted_from_list(excerpts: Iterable[str], quoted_text: str) -> bool:
    """The quoted mail came through a list: a list server's address in a quoted header
    (Outlook's "From: list-bounces@… On Behalf Of Tim") or a Mailman footer in the quote."""
    for excerpt in excerpts:
        if any(list_server_address(a) for a in _ANY_ADDRESS.findall(excerpt)):
            return True
    return bool(_LIST_FOOTER.search(quoted_text[:200_000]))


def threaded(message: ParsedMessage) -> bool:
    """Headers that tie the message to an earlier one (Outlook may send only Thread-Index)."""
    summary = message.summary
    return bool(summary.in_reply_to or summary.references or message.header("Thread-Index"))


def bounce(message: ParsedMessage) -> bool:
    content_type = (message.header("Content-Type") or "").lower()
    if "multipart/report" in content_type:
        return True
    if any(
        leaf.declared_type in ("message/delivery-status", "message/disposition-notification")
        for leaf in message.leaves
    ):
        return True
    sender = message.from_
    return sender is not None and bool(_DAEMON_LOCAL.match(sender.addr.partition("@")[0]))


def automated(message: ParsedMessage) -> bool:
    """Out-of-office replies and machine notices (RFC 3834 Auto-Submitted)."""
    value = (message.header("Auto-Submitted") or "no").strip().lower()
    precedence = (message.header("Precedence") or "").strip().lower()
    return not value.startswith("no") or precedence == "junk" or bool(message.header("X-Autoreply"))


def calendar(message: ParsedMessage) -> bool:
    content_type = (message.header("Content-Type") or "").lower()
    if "text/calendar" in content_type:
        return True
    return any(
        leaf.declared_type in ("text/calendar", "application/ics") for leaf in message.leaves
    ) or any(body.mime_type == "text/calendar" for body in message.bodies)


def ticketing(message: ParsedMessage) -> bool:
    return any(_TICKET_HEADER.match(h.name) for h in message.headers)


def automated_address(addr: str) -> bool:
    return bool(_AUTOMATED_LOCAL.match(addr.partition("@")[0]))


def auto_reply_text(subject: str, text: str) -> bool:
    """An out-of-office notice from a server too old to say Auto-Submitted."""
    return bool(_AUTO_REPLY_TEXT.search(subject) or _AUTO_REPLY_TEXT.search(text[:500]))


def password_notice(message: ParsedMessage, text: str) -> bool:
    """The separate password mail of PPAP: names a password and carries no attachment."""
    if any(leaf.disposition == "attachment" for leaf in message.leaves):
        return False
    return bool(_PASSWORD_NOTICE.search(message.subject) or _PASSWORD_NOTICE.search(text[:2000]))


@record
class Context:
    subject: SubjectKind | None
    threaded: bool
    mailing_list: str  # the header that shows it, "" when not a list
    bounce: bool
    automated: bool
    calendar: bool
    ticketing: bool

    @property
    def exempt(self) -> str:
        """Why the sender-in-thread check does not apply, or ""."""
        if self.mailing_list:
            return f"mailing list ({self.mailing_list})"
        for reason, flag in (
            ("bounce", self.bounce),
            ("calendar", self.calendar),
            ("automatic reply", self.automated),
        ):
            if flag:
                return reason
        return ""


def describe(message: ParsedMessage) -> Context:
    return Context(
        subject=subject_kind(message.subject),
        threaded=threaded(message),
        mailing_list=mailing_list(message),
        bounce=bounce(message),
        automated=automated(message),
        calendar=calendar(message),
        ticketing=ticketing(message),
    )
