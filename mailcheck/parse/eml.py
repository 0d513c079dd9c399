"""RFC 5322 / MIME messages (saved .eml, mbox entries, gateway input) to `ParsedMessage`.

The stdlib parser is used in compat32 mode so that no header is interpreted lazily;
headers and text are decoded by our own code (`headers.py`, `charset.py`).
"""

from __future__ import annotations

import email.message
import re
from email import policy
from email.parser import BytesParser

from ..limits import Budget
from .charset import decode_bytes, decode_header_value
from .headers import assemble, read_headers, summarise
from .types import Defect, Leaf, ParsedMessage, TextBody

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def _defect_code(defect: object) -> str:
    name = type(defect).__name__.removesuffix("Defect")
    return _CAMEL.sub("_", name).lower() or "malformed"


def _param(part: email.message.Message, name: str, header: str) -> str:
    """A Content-Type / Content-Disposition parameter, RFC 2231 and RFC 2047 decoded."""
    try:
        value = part.get_param(name, header=header)
    except Exception:  # malformed parameter syntax
        return ""
    if value is None or (isinstance(value, str) and not value):
        return ""
    if isinstance(value, tuple):  # RFC 2231: (charset, language, %-decoded latin-1 text)
        charset, _lang, text = value
        raw = str(text).encode("latin-1", "replace")
        return decode_bytes(raw, charset or None).text
    text, _problems = decode_header_value(str(value).strip('"'))
    return text


_MIME_TYPE = re.compile(r"[a-z0-9][\w.+-]*/[a-z0-9][\w.+-]*")


def _content_type(part: email.message.Message) -> str:
    """type/subtype only: a missing ';' leaves parameters glued on in the stdlib's answer."""
    try:
        value = part.get_content_type().lower()
    except Exception:
        return "application/octet-stream"
    match = _MIME_TYPE.match(value)
    return match.group(0) if match else "application/octet-stream"


def _disposition(part: email.message.Message) -> str:
    raw = str(part.get("Content-Disposition", "") or "")
    return raw.split(";", 1)[0].strip().lower()


def _payload_bytes(part: email.message.Message) -> bytes:
    """Decoded bytes of a leaf; nested messages are serialised back to bytes."""
    payload = part.get_payload()
    if isinstance(payload, list):
        chunks: list[bytes] = []
        for sub in payload:
            if isinstance(sub, email.message.Message):
                try:
                    chunks.append(sub.as_bytes(policy=policy.compat32))
                except Exception:
                    chunks.append(sub.as_string().encode("utf-8", "surrogateescape"))
        return b"\n".join(chunks)
    decoded = part.get_payload(decode=True)
    return decoded if isinstance(decoded, bytes) else b""


class _Walker:
    def __init__(self, budget: Budget, location: str) -> None:
        self.budget = budget
        self.location = location
        self.bodies: list[TextBody] = []
        self.leaves: list[Leaf] = []
        self.defects: list[Defect] = []
        self.stopped = False

    def walk(self, part: email.message.Message, path: str, depth: int) -> None:
        if self.stopped:
            return
        where = f"{self.location}part {path}"
        self.defects.extend(
            Defect(code=_defect_code(d), location=where) for d in getattr(part, "defects", [])
        )
        if depth > self.budget.limits.max_depth * 4:
            # Multipart nesting this deep is never legitimate; the rest is not walked.
            self.budget.hit("max_depth", where, limit=str(self.budget.limits.max_depth * 4))
            self.stopped = True
            return
        if part.is_multipart() and _content_type(part).startswith("multipart/"):
            payload = part.get_payload()
            children = payload if isinstance(payload, list) else []
            for index, child in enumerate(children, start=1):
                if isinstance(child, email.message.Message):
                    child_path = f"{path}.{index}" if path else str(index)
                    self.walk(child, child_path, depth + 1)
            return
        self.leaf(part, path or "1")

    def leaf(self, part: email.message.Message, path: str) -> None:
        where = f"{self.location}part {path}"
        if not self.budget.take_part(where):
            self.stopped = True
            return
        content_type = _content_type(part)
        disposition = _disposition(part)
        filename = _param(part, "filename", "content-disposition") or _param(
            part, "name", "content-type"
        )
        try:
            data = _payload_bytes(part)
        except Exception as exc:  # undecodable transfer encoding
            self.defects.append(Defect(code="payload_undecodable", location=where, detail=str(exc)))
            data = b""
        truncated = False
        if not self.budget.take_bytes(len(data), where):
            data, truncated = b"", True
        is_text = content_type in ("text/plain", "text/html")
        if is_text and disposition != "attachment" and not filename:
            role = "body"
            self.body(part, path, content_type, data)
        else:
            role = "inline" if disposition == "inline" else "attachment"
        self.leaves.append(
            Leaf(
                path=path,
                filename=filename,
                declared_type=content_type,
                data=data,
                disposition=role,
                is_message=content_type == "message/rfc822",
                truncated=truncated,
            )
        )

    def body(self, part: email.message.Message, path: str, mime: str, data: bytes) -> None:
        where = f"{self.location}part {path}"
        declared = _param(part, "charset", "content-type") or None
        decoded = decode_bytes(data, declared)
        if decoded.mislabelled:
            self.defects.append(
                Defect(
                    code="charset_mislabelled",
                    location=where,
                    detail=f"declared {declared or 'none'}, decoded as {decoded.charset}",
                )
            )
        if decoded.lossy:
            self.defects.append(Defect(code="undecodable", location=where))
        text = decoded.text[: self.budget.limits.max_text_chars]
        self.bodies.append(
            TextBody(location=path, mime_type=mime, text=text, charset=decoded.charset)
        )


def parse_eml(data: bytes, budget: Budget, location: str = "") -> ParsedMessage:
    """Parse as far as possible; every malformation becomes a `Defect`."""
    defects: list[Defect] = []
    try:
        msg = BytesParser(policy=policy.compat32).parsebytes(data)
    except Exception as exc:  # e.g. RecursionError on absurd nesting
        defects.append(
            Defect(code="mime_unparsable", location=f"{location}message", detail=str(exc))
        )
        head = data.split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
        msg = BytesParser(policy=policy.compat32).parsebytes(head, headersonly=True)
    headers, header_defects = read_headers(msg, budget, location)
    summary = summarise(headers, location)
    walker = _Walker(budget, location)
    try:
        walker.walk(msg, "", 0)
    except Exception as exc:  # keep what was walked; say the rest was not
        defects.append(
            Defect(code="mime_unparsable", location=f"{location}message", detail=str(exc))
        )
    return assemble(
        format="eml",
        headers=headers,
        summary=summary,
        bodies=tuple(walker.bodies),
        leaves=tuple(walker.leaves),
        defects=tuple(defects) + header_defects + tuple(walker.defects),
    )
