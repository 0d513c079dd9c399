"""TNEF (winmail.dat): Outlook's wrapper for attachments. The only importer of tnefparse.

tnefparse slices the remaining input once per attribute, so a stream of many small
attributes in front of a large one costs (attributes x size) in copying. The framing
(level, id, length, data, checksum) is simple, so it is walked here first and each
attachment is handed to tnefparse on its own, with at most `_MAX_ATTRIBUTES` attributes.
"""

from __future__ import annotations

import codecs
import io
import logging

from tnefparse import TNEF  # type: ignore[import-untyped, unused-ignore]

from ..records import record
from .interface import Opened, OpenRequest
from .session import Session

logging.getLogger("tnefparse").setLevel(logging.CRITICAL)  # hostile input is expected here

_HEADER = 6  # signature (4) and key (2)
_FRAME = 11  # level (1), id (4), length (4) ... checksum (2)
_MESSAGE, _ATTACHMENT = 1, 2
_ATT_ATTACH_REND_DATA = 0x9002  # starts each attachment
_ATT_OEM_CODEPAGE = 0x9007
_ATT_ATTACH_TITLE = 0x8010
# A real attachment has about ten attributes, a message a few dozen.
_MAX_ATTRIBUTES = 64


@record(kw_only=False)
class _Attribute:
    start: int
    end: int
    level: int
    name: int


def _attributes(data: bytes, limit: int) -> tuple[list[_Attribute], bool]:
    """The top-level attributes, at most `limit` of them; True if more were left out."""
    found: list[_Attribute] = []
    pos = _HEADER
    while pos + _FRAME + 1 < len(data):
        if len(found) >= limit:
            return found, True
        length = int.from_bytes(data[pos + 5 : pos + 9], "little")
        end = min(len(data), pos + _FRAME + length)
        found.append(
            _Attribute(pos, end, data[pos], int.from_bytes(data[pos + 1 : pos + 3], "little"))
        )
        pos = end
    return found, False


def _stream(data: bytes, parts: list[_Attribute]) -> bytes:
    return data[:_HEADER] + b"".join(data[a.start : a.end] for a in parts)


def _text(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", "replace") if value else b""


def _codec(data: bytes, codepage: list[_Attribute]) -> str:
    """The Python codec of the stream's OEM code page (attOemCodepage), if it has one."""
    for attribute in codepage:
        number = int.from_bytes(data[attribute.start + 9 : attribute.start + 13], "little")
        try:
            return codecs.lookup(f"cp{number}").name
        except LookupError:
            break
    return "utf-8"


def _name(attachment: object, title: bytes, codec: str, index: int) -> str:
    """The long file name (MAPI) if tnefparse could decode it, else attAttachTitle."""
    try:
        name = attachment.long_filename()  # type: ignore[attr-defined]
    except Exception:  # tnefparse decodes 8-bit titles as UTF-8; Japanese ones are cp932
        name = title.split(b"\x00", 1)[0].decode(codec, "replace")
    if isinstance(name, bytes):
        name = name.split(b"\x00", 1)[0].decode(codec, "replace")
    name = str(name or "").strip("\x00").strip()
    return name or f"attachment-{index + 1}"


def open_tnef(request: OpenRequest) -> Opened:
    session = Session(request)
    data = request.data
    limit = (session.limits.max_archive_members + 1) * _MAX_ATTRIBUTES
    attributes, cut = _attributes(data, limit)
    message = [a for a in attributes if a.level != _ATTACHMENT][:_MAX_ATTRIBUTES]
    codepage = [a for a in message if a.name == _ATT_OEM_CODEPAGE][:1]
    groups: list[list[_Attribute]] = []
    for attribute in attributes:
        if attribute.level != _ATTACHMENT:
            continue
        if attribute.name == _ATT_ATTACH_REND_DATA or not groups:
            groups.append([])
        groups[-1].append(attribute)
    if cut or any(len(group) > _MAX_ATTRIBUTES for group in groups):
        session.unreadable("tnef", "more attributes than a real TNEF stream holds", "truncated")
    codec = _codec(data, codepage)
    members: list[tuple[str, bytes]] = []
    for index, group in enumerate(groups):
        try:
            parsed = TNEF(_stream(data, codepage + group[:_MAX_ATTRIBUTES]), do_checksum=False)
            attachment = parsed.attachments[0]
            payload = attachment.data
        except Exception as exc:  # one damaged attachment must not hide the others
            session.unreadable("tnef", f"damaged attachment {index + 1} ({type(exc).__name__})")
            continue
        if isinstance(payload, bytes):
            title = next((a for a in group if a.name == _ATT_ATTACH_TITLE), None)
            raw = data[title.start + 9 : title.end - 2] if title else b""
            members.append((_name(attachment, raw, codec, index), payload))
    try:  # the body comes last: attachments matter more when the member bound is near
        parsed = TNEF(_stream(data, message), do_checksum=False)
        members += [("body.html", _text(parsed.htmlbody)), ("body.txt", _text(parsed.body))]
    except Exception as exc:  # the message part is damaged; attachments may still be fine
        session.unreadable("tnef", f"damaged message attributes ({type(exc).__name__})")
    for name, payload in members:
        if not payload:
            continue
        if not session.admit(name):
            if session.listing:
                continue
            break
        drained = session.drain(io.BytesIO(payload).read, packed=len(payload), claimed=len(payload))
        session.add(name, drained, packed=len(payload), claimed=len(payload))
    return session.opened()
