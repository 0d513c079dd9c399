"""RFC 5322 / MIME messages (saved .eml, mbox entries, gateway input) to `ParsedMessage`.

The stdlib parser is used in compat32 mode so that no header is interpreted lazily;
headers and text are decoded by our own code (`headers.py`, `charset.py`).
"""

from __future__ import annotations

import contextlib
import email.message
import re

# email._policybase, not email.policy: the latter loads the header registry, which the
# compat32 policy never uses (a tenth of the start-up of a scan).
from email._policybase import Compat32, compat32
from email.parser import BytesParser

from ..limits import Budget
from ..names import claimed_kind, real_extension
from .charset import decode_bytes, decode_header_value, decode_name
from .headers import assemble, read_headers, summarise
from .inline_files import inline_files
from .structure import Moved, Prepared, prepare, transfer_encoding
from .types import Defect, Leaf, ParsedMessage, TextBody

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def _defect_code(defect: object) -> str:
    name = (defect if isinstance(defect, str) else type(defect).__name__).removesuffix("Defect")
    return _CAMEL.sub("_", name).lower() or "malformed"


class _KeepBytes(Compat32):
    """compat32 without its one lossy step: raw 8-bit bytes in a header value stay surrogate
    escapes instead of becoming U+FFFD."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        return value


_KEEP_BYTES = _KeepBytes()


def _raw_params(part: email.message.Message, header: str) -> email.message.Message:
    """`part`, or a stand-in holding only `header` as it was sent when it has 8-bit bytes."""
    for key, value in part.raw_items():
        if key.lower() == header and isinstance(value, str) and not value.isascii():
            holder = email.message.Message(policy=_KEEP_BYTES)
            holder[key] = value
            return holder
    return part


def _param(part: email.message.Message, name: str, header: str) -> str:
    """A Content-Type / Content-Disposition parameter, RFC 2231 and RFC 2047 decoded.

    Raw 8-bit bytes that no charset reads faithfully stay as surrogate escapes (see
    `decode_name`): a file name is evidence, and a guess could change its extension."""
    try:
        value = _raw_params(part, header).get_param(name, header=header)
    except Exception:  # malformed parameter syntax
        return ""
    if value is None or (isinstance(value, str) and not value):
        return ""
    if isinstance(value, tuple):  # RFC 2231: (charset, language, %-decoded latin-1 text)
        charset, _lang, text = value
        raw = str(text).encode("latin-1", "surrogateescape")
        return decode_name(raw, charset or None)
    value = str(value).strip('"')
    if "=?" not in value and not value.isascii():  # raw 8-bit bytes, no encoded words
        with contextlib.suppress(UnicodeEncodeError):
            return decode_name(value.encode("ascii", "surrogateescape"))
    text, _problems = decode_header_value(value)
    return text


def _file_name(part: email.message.Message) -> tuple[str, str]:
    """The part's file name and, when `filename=` and `name=` claim different kinds of file
    (a program, a shortcut, a macro document...: `names.claimed_kind`), the other one.

    Mail clients differ in which of the two they show and save, and a filter that reads the
    harmless one passes what a reader's client runs: the one that runs code is judged."""
    disposed = _param(part, "filename", "content-disposition")
    typed = _param(part, "name", "content-type")
    if not disposed or not typed or real_extension(disposed) == real_extension(typed):
        return disposed or typed, ""
    typed_kind, disposed_kind = claimed_kind(typed), claimed_kind(disposed)
    if typed_kind == disposed_kind:  # e.g. .txt and .csv, or RISC OS's "clock.bmp,69c"
        return disposed, ""
    return (typed, disposed) if typed_kind and not disposed_kind else (disposed, typed)


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


_MESSAGE_TYPES = frozenset({"message/rfc822", "message/global"})


def _payload_bytes(part: email.message.Message) -> bytes:
    """Decoded bytes of a leaf; nested messages are serialised back to bytes."""
    payload = part.get_payload()
    if isinstance(payload, list):
        chunks: list[bytes] = []
        for sub in payload:
            if isinstance(sub, email.message.Message):
                try:
                    chunks.append(sub.as_bytes(policy=compat32))
                except Exception:
                    chunks.append(sub.as_string().encode("utf-8", "surrogateescape"))
        return b"\n".join(chunks)
    declared = part.get("Content-Transfer-Encoding")
    encoding = transfer_encoding(declared)
    if declared is not None and str(declared).lower() != encoding and isinstance(payload, str):
        # The stdlib only decodes an exact lower-case token; mail clients are not so strict
        # (" Base64", "base64 (comment)"), and a payload left encoded would go unanalysed.
        return _decoded_as(payload, encoding)
    decoded = part.get_payload(decode=True)
    return decoded if isinstance(decoded, bytes) else b""


def _decoded_as(payload: str, encoding: str) -> bytes:
    """A leaf's payload text decoded under the Content-Transfer-Encoding token given."""
    part = email.message.Message(compat32)
    part["Content-Transfer-Encoding"] = encoding or "7bit"
    part.set_payload(payload)
    decoded = part.get_payload(decode=True)
    return decoded if isinstance(decoded, bytes) else b""


def _headers_only(data: bytes) -> email.message.Message:
    head = data.split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
    return BytesParser(policy=compat32).parsebytes(head, headersonly=True)


class _Walker:
    def __init__(self, budget: Budget, location: str, prepared: Prepared) -> None:
        self.budget = budget
        self.location = location
        self.prepared = prepared
        self.bodies: list[TextBody] = []
        self.leaves: list[Leaf] = []
        self.defects: list[Defect] = []
        self.stopped = False
        self.listed = 0  # parts past the part bound listed by name

    def walk(self, part: email.message.Message, path: str, depth: int) -> None:
        where = f"{self.location}part {path}" if path else f"{self.location}message"
        self.defects.extend(
            Defect(code=_defect_code(d), location=where) for d in getattr(part, "defects", [])
        )
        if depth > self.budget.limits.max_depth * 4:
            # Multipart nesting this deep is never legitimate: this subtree is not walked
            # (the pre-pass has already cut it short), its siblings still are.
            self.budget.hit("max_depth", where, limit=str(self.budget.limits.max_depth * 4))
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
        where = f"{self.location}part {path}" if path else f"{self.location}message"
        if not self.stopped and not self.budget.take_part(where):
            self.stopped = True
        content_type = _content_type(part)
        disposition = _disposition(part)
        filename, other_name = _file_name(part)
        if self.stopped and not self.budget.rescue(claimed_kind(filename)):
            # Past the bound a file is only listed (the tree is already in memory; the
            # pre-pass bounds its size): its name may be the payload the padding hides.
            if not self.listable(filename, content_type):
                return
            self.listed += 1
            self.leaves.append(
                Leaf(
                    path=path,
                    filename=filename,
                    declared_type=content_type,
                    data=b"",
                    disposition="inline" if disposition == "inline" else "attachment",
                    is_message=content_type in _MESSAGE_TYPES,
                    skipped=True,
                )
            )
            return
        moved = self.prepared.moved_body(part)
        try:
            if moved is not None:
                data, problems = self.prepared.body(moved)
                self.defects.extend(Defect(code=_defect_code(p), location=where) for p in problems)
            else:
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
                is_message=content_type in _MESSAGE_TYPES,
                truncated=truncated,
                other_name=other_name,
            )
        )
        if role == "body" and content_type == "text/plain":
            self.inline(data, path)
        if len(part.get_all("Content-Transfer-Encoding") or ()) > 1:
            self.readings(part, moved, path, filename, content_type, data)

    def listable(self, filename: str, content_type: str) -> bool:
        """Whether a part past the bound is worth a line: files, not text, up to as many
        again as the bound."""
        if self.listed >= self.budget.limits.max_parts:
            return False
        return bool(filename) or not content_type.startswith("text/")

    def readings(
        self,
        part: email.message.Message,
        moved: Moved | None,
        path: str,
        filename: str,
        content_type: str,
        first: bytes,
    ) -> None:
        """A part with two Content-Transfer-Encoding headers: clients disagree on which one
        counts, so each other reading is analysed too, as an attachment of its own."""
        where = f"{self.location}part {path}"
        declared = [str(value).strip() for value in part.get_all("Content-Transfer-Encoding", [])]
        detail = ", ".join(declared)
        self.defects.append(Defect(code="cte_duplicate", location=where, detail=detail))
        for encoding in list(dict.fromkeys(map(transfer_encoding, declared)))[1:]:
            try:
                if moved is not None:
                    data, _problems = self.prepared.body(Moved(moved.start, moved.end, encoding))
                else:
                    raw = part.get_payload()
                    if not isinstance(raw, str):
                        continue
                    data = _decoded_as(raw, encoding)
            except Exception:  # this reading does not decode: the first one stands
                continue
            if not data or data == first:
                continue
            if not self.extra_leaf(f"{path}.{encoding or 'raw'}", filename, content_type, data):
                return

    def inline(self, text: bytes, path: str) -> None:
        """uuencoded and yEnc files in a text body: attachments as mail clients show them."""
        for number, (name, data, kind) in enumerate(inline_files(text), start=1):
            if not self.extra_leaf(
                f"{path}.{kind}{number}", name, "application/octet-stream", data
            ):
                return

    def extra_leaf(self, path: str, filename: str, declared_type: str, data: bytes) -> bool:
        """A file found inside a part (another reading, an inline block), within the budget."""
        where = f"{self.location}part {path}"
        if not self.budget.take_part(where) or not self.budget.take_bytes(len(data), where):
            return False
        self.leaves.append(
            Leaf(path=path, filename=filename, declared_type=declared_type, data=data)
        )
        return True

    def body(self, part: email.message.Message, path: str, mime: str, data: bytes) -> None:
        where = f"{self.location}part {path}" if path else f"{self.location}message"
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
        if "\x00" in text:  # shown as nothing by mail readers; would split words for checks
            nuls = text.count("\x00")
            text = text.replace("\x00", "")
            self.defects.append(
                Defect(code="nul_in_text", location=where, detail=f"0x00 x{nuls} dropped")
            )
        self.bodies.append(
            TextBody(location=path, mime_type=mime, text=text, charset=decoded.charset)
        )


def _prepare(data: bytes, budget: Budget, location: str) -> tuple[Prepared, list[Defect]]:
    """The pre-pass (structure.py), its repairs as defects and its cuts as limit hits."""
    limits = budget.limits
    # Parts beyond twice the bound (multiparts count too) are cut before the stdlib holds them.
    try:
        prepared = prepare(
            data, max_depth=limits.max_depth * 4, max_parts=limits.max_parts * 2 + 16
        )
    except Exception as exc:  # a bug here must not cost the message: parse it as it is
        problem = Defect(code="prepass_failed", location=f"{location}message", detail=str(exc))
        return Prepared(data=data, original=data), [problem]
    defects = [
        Defect(
            code=fix.code,
            location=f"{location}part {path}" if path else f"{location}headers",
            detail=fix.detail or fix.line[:120].decode("ascii", "surrogateescape"),
        )
        for path, fix in prepared.repairs
    ]
    if prepared.depth_cut:
        where = f"{location}part {prepared.depth_cut}"
        budget.hit("max_depth", where, limit=str(limits.max_depth * 4))
    return prepared, defects


def parse_eml(data: bytes, budget: Budget, location: str = "") -> ParsedMessage:
    """Parse as far as possible; every malformation becomes a `Defect`."""
    prepared, defects = _prepare(data, budget, location)
    try:
        msg = BytesParser(policy=compat32).parsebytes(prepared.data)
    except RecursionError:  # the pre-pass bounds nesting; this is the last line of defence
        budget.hit("max_depth", f"{location}message", limit=str(budget.limits.max_depth * 4))
        msg = _headers_only(prepared.data)
    except Exception as exc:
        defects.append(
            Defect(code="mime_unparsable", location=f"{location}message", detail=str(exc))
        )
        msg = _headers_only(prepared.data)
    headers, header_defects = read_headers(msg, budget, location, skip=prepared.marker)
    summary = summarise(headers, location)
    walker = _Walker(budget, location, prepared)
    try:
        walker.walk(msg, "", 0)
    except RecursionError:
        budget.hit("max_depth", f"{location}message", limit=str(budget.limits.max_depth * 4))
    except Exception as exc:  # keep what was walked; say the rest was not
        defects.append(
            Defect(code="mime_unparsable", location=f"{location}message", detail=str(exc))
        )
    if prepared.parts_cut and budget.parts <= budget.limits.max_parts:
        budget.hit("max_parts", f"{location}message", limit=str(budget.limits.max_parts))
    return assemble(
        format="eml",
        headers=headers,
        summary=summary,
        bodies=tuple(walker.bodies),
        leaves=tuple(walker.leaves),
        defects=tuple(defects) + header_defects + tuple(walker.defects),
    )
