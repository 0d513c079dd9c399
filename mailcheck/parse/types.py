"""What the parse stage hands to extraction and the analyzers.

Unlike `model.py` these objects carry message bytes (attachment payloads), so they never
leave a scan: reports only ever see `model` types.
"""

from __future__ import annotations

from ..model import Address, MessageSummary
from ..records import record


@record
class Defect:
    """Something malformed that parsing recovered from (or could not).

    `code` is a short stable word (e.g. `header_unparsable`, `charset_mislabelled`,
    `base64_invalid`, `no_transport_headers`); `location` says where.
    """

    code: str
    location: str
    detail: str = ""


@record
class Header:
    name: str
    value: str  # decoded to text (RFC 2047 and raw 8-bit repaired)
    raw: str  # as it stood, unfolded; non-ASCII bytes kept as surrogate escapes


@record
class TextBody:
    location: str  # MIME path such as "1.2" or "body" for a .msg
    mime_type: str  # text/plain or text/html
    text: str
    charset: str  # the charset that actually decoded it


@record
class Leaf:
    """A MIME leaf that is not a body text: an attachment, inline image, nested message."""

    path: str  # stable location, e.g. "2" or "2.1"
    filename: str  # decoded, for display only: never used as a file-system path
    declared_type: str  # Content-Type as declared (lower case), or a .msg's MIME tag
    data: bytes
    disposition: str = "attachment"  # body, inline or attachment
    is_message: bool = False  # message/rfc822, or an attached .msg / .eml
    truncated: bool = False
    # The part's other name when Content-Type name= and Content-Disposition filename=
    # claim different kinds of file; `filename` is the one judged (see eml._file_name).
    other_name: str = ""
    skipped: bool = False  # past the part bound: listed by name and type, never read


@record
class ParsedMessage:
    format: str  # eml, msg
    headers: tuple[Header, ...]
    summary: MessageSummary  # what the report shows of the message
    sender: Address | None  # the Sender header (on-behalf-of), not in the report summary
    bodies: tuple[TextBody, ...]
    leaves: tuple[Leaf, ...]
    defects: tuple[Defect, ...]

    @property
    def from_(self) -> Address | None:
        return self.summary.from_

    @property
    def subject(self) -> str:
        return self.summary.subject

    def header(self, name: str) -> str | None:
        """First decoded value of a header, case-insensitively; None when absent."""
        wanted = name.lower()
        for header in self.headers:
            if header.name.lower() == wanted:
                return header.value
        return None

    def header_all(self, name: str) -> tuple[str, ...]:
        wanted = name.lower()
        return tuple(h.value for h in self.headers if h.name.lower() == wanted)
