"""Outlook .msg files ([MS-OXMSG] over OLE / CFB) to `ParsedMessage`.

This is the only module that imports `extract_msg`; everything it hands back is plain
project data. Headers come only from the transport-headers stream (what the mail
servers actually delivered): extract-msg's `header` property is not used because it
invents headers from MAPI properties when that stream is missing, which would hide
from analyzers that the sender shown in Outlook was never transported.
"""

from __future__ import annotations

import codecs
import contextlib
import email.utils
import io
import re
from datetime import datetime

# email._policybase, not email.policy: the latter loads the header registry, which the
# compat32 policy never uses (a tenth of the start-up of a scan).
from email._policybase import compat32
from email.parser import HeaderParser
from typing import Any

import extract_msg
from extract_msg.enums import DeencapType, ErrorBehavior

from ..limits import Budget
from ..names import claimed_kind
from ..quiet import silenced_logging
from ..sniff import OLE_MAGIC, sniff
from .charset import decode_bytes
from .headers import assemble, read_headers, summarise
from .types import Defect, Header, Leaf, ParsedMessage, TextBody

_MAX_RTF = 512 * 1024  # RTF de-encapsulation costs ~20 s per MB: bigger ones are skipped
_HEADERS_PREAMBLE = "Microsoft Mail Internet Headers Version 2.0"
_META_CHARSET = re.compile(
    rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]{1,40})", re.IGNORECASE
)
# Windows code pages (PR_INTERNET_CPID) whose Python codec is not simply cpNNN.
_CODEPAGES = {65001: "utf-8", 1200: "utf-16-le", 20127: "us-ascii", 51932: "euc-jp"}
_CODEPAGES.update(dict.fromkeys((50220, 50221, 50222), "iso-2022-jp"))
_CODEPAGES.update({n: f"iso-8859-{n - 28590}" for n in range(28591, 28606)})


_MIME_TYPE = re.compile(r"[a-z0-9][\w.+-]*/[a-z0-9][\w.+-]*")


def _mime_tag(att: Any) -> str:
    """PR_ATTACH_MIME_TAG as stored: never guessed, and only when it is a MIME type.

    Some writers put the file name there; a value that is not type/subtype says nothing.
    """
    try:
        raw = att.getStringStream("__substg1.0_370E")
    except Exception:
        return ""
    tag = str(raw or "").strip().lower()
    return tag if _MIME_TYPE.fullmatch(tag) else ""


def looks_like_msg(data: bytes) -> bool:
    """OLE with MAPI property storage at its root (so not a .doc or .xls)."""
    return sniff(data).kind == "msg"


def _cpid_charset(cpid: object) -> str | None:
    if not isinstance(cpid, int) or cpid <= 0:
        return None
    name = _CODEPAGES.get(cpid, f"cp{cpid}")
    try:
        codecs.lookup(name)
    except LookupError:
        return None
    return name


def _quoted(name: str, addr: str) -> str:
    """`"name" <addr>` built without encoding, so the display name is kept verbatim."""
    if not name or name == addr:
        return addr
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}" <{addr}>'


class _Reader:
    def __init__(self, msg: Any, budget: Budget, location: str) -> None:
        self.msg = msg
        self.budget = budget
        self.location = location
        self.defects: list[Defect] = []
        self.bodies: list[TextBody] = []
        self.leaves: list[Leaf] = []
        self.stopped = False
        self.listed = 0  # attachments past the part bound listed by name
        self.unwrapped = True  # signed bodies (extract-msg's signedBody) may be used

    def defect(self, code: str, where: str, detail: object = "") -> None:
        self.defects.append(
            Defect(code=code, location=f"{self.location}{where}", detail=str(detail)[:200])
        )

    def string(self, prop: str) -> str:
        value = self.msg.getStringStream(f"__substg1.0_{prop}")
        return value.strip("\x00") if isinstance(value, str) else ""

    def signed(self, name: str) -> Any:
        """A body unwrapped from a multipart/signed message; None for other messages."""
        return getattr(self.msg, name, None) if self.unwrapped else None

    def transport_headers(self) -> tuple[tuple[Header, ...], tuple[Defect, ...]]:
        text = self.string("007D")
        if text.startswith(_HEADERS_PREAMBLE):
            text = text[len(_HEADERS_PREAMBLE) :]
        text = text.lstrip("\r\n")
        if not text.strip():
            return (), ()
        parsed = HeaderParser(policy=compat32).parsestr(text)
        return read_headers(parsed, self.budget, self.location)

    def property_headers(self) -> tuple[Header, ...]:
        """Headers rebuilt from MAPI properties; only used with a `no_transport_headers` defect."""
        fields: list[tuple[str, str]] = []
        name = self.string("0C1A") or self.string("0042")
        addrs = [self.string(p) for p in ("5D01", "0C1F", "0065", "5D02")]
        addr = next((a for a in addrs if "@" in a), "")
        if addr or name:
            fields.append(("From", _quoted(name, addr) if addr else name))
        to: list[str] = []
        cc: list[str] = []
        for recipient in getattr(self.msg, "recipients", None) or ():
            kind = int(recipient.type) & 0xF
            entry = _quoted(recipient.name or "", recipient.email or "")
            if entry and kind in (1, 2):  # MAPI_TO, MAPI_CC; Bcc is never transported
                (to if kind == 1 else cc).append(entry)
        fields += [("To", ", ".join(to)), ("Cc", ", ".join(cc)), ("Subject", self.string("0037"))]
        sent = self.msg.getPropertyVal("00390040") or self.msg.getPropertyVal("0E060040")
        if isinstance(sent, datetime) and sent.tzinfo is not None:
            fields.append(("Date", email.utils.format_datetime(sent)))
        fields.append(("Message-ID", self.string("1035")))
        return tuple(Header(name=n, value=v, raw=v) for n, v in fields if v)

    def add_leaf(self, path: str, data: bytes, truncated: bool = False, **fields: Any) -> None:
        where = f"{self.location}part {path}"
        if not self.stopped and not self.budget.take_part(where):
            self.stopped = True
        if self.stopped and not self.budget.rescue(claimed_kind(str(fields.get("filename", "")))):
            if self.listed < self.budget.limits.max_parts:  # past the bound: named, not read
                self.listed += 1
                self.leaves.append(Leaf(path=path, data=b"", skipped=True, **fields))
            return
        if not self.budget.take_bytes(len(data), where):
            data, truncated = b"", True
        self.leaves.append(Leaf(path=path, data=data, truncated=truncated, **fields))

    def add_body(self, where: str, mime: str, text: str, charset: str) -> None:
        text = text[: self.budget.limits.max_text_chars]
        self.bodies.append(TextBody(location=where, mime_type=mime, text=text, charset=charset))
        data = text.encode("utf-8", "replace")
        self.add_leaf(where, data, filename="", declared_type=mime, disposition="body")

    def decode(self, where: str, mime: str, raw: bytes, declared: str | None) -> None:
        decoded = decode_bytes(raw, declared)
        if decoded.mislabelled:
            self.defect(
                "charset_mislabelled",
                f"part {where}",
                f"declared {declared or 'none'}, decoded as {decoded.charset}",
            )
        if decoded.lossy:
            self.defect("undecodable", f"part {where}")
        self.add_body(where, mime, decoded.text, decoded.charset)

    def plain_body(self) -> None:
        text = self.string("1000") or self.signed("signedBody")
        if isinstance(text, bytes):  # a signed message's MIME part, still encoded
            self.decode("body", "text/plain", text, None)
        elif text:
            self.add_body("body", "text/plain", text, str(self.msg.stringEncoding))

    def html_body(self) -> None:
        raw = self.msg.getStream("__substg1.0_10130102") or self.signed("signedHtmlBody")
        if isinstance(raw, bytes) and raw:
            match = _META_CHARSET.search(raw[:4096])
            declared = (
                match.group(1).decode("ascii")
                if match
                else _cpid_charset(self.msg.getPropertyVal("3FDE0003"))
            )
            self.decode("html", "text/html", raw, declared)
            return
        rtf = getattr(self.msg, "rtfBody", None)  # decompressed; None without an RTF stream
        # Outlook often keeps HTML only inside RTF. Recover it only when the RTF says it
        # encapsulates HTML: de-encapsulation is slow (see _MAX_RTF), and rendering
        # plain RTF into HTML would not be the sender's markup anyway.
        if not isinstance(rtf, bytes) or b"\\fromhtml" not in rtf[:4096]:
            return
        if len(rtf) > _MAX_RTF:
            self.defect("rtf_not_decoded", "part html", f"{len(rtf)} bytes of RTF")
            return
        html = self.msg.deencapsulateBody(rtf, DeencapType.HTML)
        if isinstance(html, bytes):  # RTFDE output: UTF-8 whatever the meta tag claims
            self.decode("html", "text/html", html, "utf-8")
        elif isinstance(html, str) and html:
            self.add_body("html", "text/html", html, "utf-8")

    def attachment(self, index: int, att: Any) -> None:
        path, data, is_message, truncated = str(index), b"", False, False
        names = (getattr(att, k, None) for k in ("longFilename", "shortFilename", "displayName"))
        filename = next((n for n in names if isinstance(n, str) and n), "").strip("\x00")
        mime = _mime_tag(att)
        try:
            payload = att.data
        except Exception as exc:
            self.defect("attachment_unreadable", f"part {path}", exc)
            payload = None
        if isinstance(payload, bytes):
            data = payload
        elif payload is not None and hasattr(payload, "exportBytes"):
            # An embedded message: serialise its storage as a standalone .msg so the
            # caller can parse it again like any attached file.
            is_message = True
            raw = getattr(att, "asBytes", None)  # a signed message's part is already bytes
            try:
                data = raw if isinstance(raw, bytes) else payload.exportBytes(allowBadEmbed=True)
            except Exception as exc:
                self.defect("embedded_msg_unexportable", f"part {path}", exc)
                truncated = True
        else:  # by reference, broken or unsupported: nothing to scan, but list it
            self.defect("attachment_unreadable", f"part {path}", type(att).__name__)
        self.add_leaf(
            path,
            data,
            truncated,
            filename=filename,
            declared_type=mime or "application/octet-stream",
            disposition="attachment",
            is_message=is_message,
        )

    def attachments(self) -> list[Any]:
        if str(self.msg.classType or "").lower().endswith(".smime"):
            # Encrypted or opaque-signed: extract-msg would present the ciphertext as
            # the body; list the smime.p7m as the attachment it is instead.
            self.unwrapped = False
            return list(getattr(self.msg, "rawAttachments", None) or self.msg.attachments)
        try:  # (before rawAttachments: reading that first overwrites this cached list)
            return list(self.msg.attachments)
        except Exception as exc:  # e.g. a multipart/signed part that cannot be unwrapped
            self.defect("msg_unparsable", "attachments", exc)
            self.unwrapped = False
            return list(getattr(self.msg, "rawAttachments", None) or ())


def _open(data: bytes) -> Any:
    if not data.startswith(OLE_MAGIC):
        raise ValueError("not an Outlook .msg file: no OLE signature")
    try:
        # strict=False: unknown message classes still open as a plain MSGFile;
        # SUPPRESS_ALL: a broken attachment or property becomes a stub, not an exception.
        msg = extract_msg.openMsg(
            io.BytesIO(data),
            strict=False,
            delayAttachments=True,
            errorBehavior=ErrorBehavior.SUPPRESS_ALL,
        )
    except Exception as exc:
        detail = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise ValueError(f"not an Outlook .msg file: {detail}") from exc
    try:
        is_msg = msg.classType is not None or msg.exists("__properties_version1.0")
    except Exception:
        is_msg = False
    if not is_msg:  # an OLE file, but a Word/Excel document or the like
        with contextlib.suppress(Exception):
            msg.close()
        raise ValueError("not an Outlook .msg file: OLE file without MAPI properties")
    return msg


def parse_msg(data: bytes, budget: Budget, location: str = "") -> ParsedMessage:
    """Parse an Outlook .msg as far as possible; malformations become `Defect`s.

    Raises `ValueError` (one line) only when the input cannot be opened as a .msg at all
    (not OLE, truncated, no MAPI storage); the caller reports that per input. Embedded
    messages are returned as `Leaf(is_message=True)` holding standalone .msg bytes.
    """
    with silenced_logging():
        return _parse_msg(data, budget, location)


def _parse_msg(data: bytes, budget: Budget, location: str) -> ParsedMessage:
    msg = _open(data)
    reader = _Reader(msg, budget, location)
    headers: tuple[Header, ...] = ()
    header_defects: tuple[Defect, ...] = ()
    try:
        try:
            headers, header_defects = reader.transport_headers()
        except Exception as exc:
            reader.defect("msg_unparsable", "headers", exc)
        if not headers:
            reader.defect(
                "no_transport_headers",
                "message",
                "transport headers missing or empty: sender and recipients "
                "are Outlook properties, not what was delivered",
            )
            try:
                headers = reader.property_headers()
            except Exception as exc:
                reader.defect("msg_unparsable", "properties", exc)
        attachments = reader.attachments()  # first: signed messages unwrap bodies here
        for step, where in ((reader.plain_body, "part body"), (reader.html_body, "part html")):
            try:
                step()
            except Exception as exc:
                reader.defect("msg_unparsable", where, exc)
        for index, att in enumerate(attachments, start=1):
            try:
                reader.attachment(index, att)
            except Exception as exc:
                reader.defect("msg_unparsable", f"part {index}", exc)
    except Exception as exc:  # keep what was read; say the rest was not
        reader.defect("msg_unparsable", "message", exc)
    finally:
        with contextlib.suppress(Exception):  # a close failure must not lose the result
            msg.close()
    return assemble(
        format="msg",
        headers=headers,
        summary=summarise(headers, location),
        bodies=tuple(reader.bodies),
        leaves=tuple(reader.leaves),
        defects=header_defects + tuple(reader.defects),
    )
