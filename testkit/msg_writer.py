"""A small, deterministic writer of Outlook .msg files ([MS-OXMSG] over [MS-CFB]).

Used to generate the bundled sample and the test fixtures from readable source, so no
fixture is an opaque binary of unknown origin. It writes only what a scanner reads:
message strings, sender, recipients, transport headers, bodies and attachments
(by value, or an embedded .msg). Every directory entry keeps a zero timestamp and
entries are added in a fixed order, so the same input always gives the same bytes.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Sequence
from datetime import UTC, datetime

import olefile
from extract_msg.ole_writer import OleWriter

# Property types ([MS-OXCDATA] 2.11.1).
PT_LONG = 0x0003
PT_SYSTIME = 0x0040
PT_UNICODE = 0x001F
PT_BINARY = 0x0102
PT_OBJECT = 0x000D

_READABLE_WRITABLE = 0x00000006  # property entry flags ([MS-OXMSG] 2.4.2.1)
_STORE_UNICODE_OK = 0x00040000  # PR_STORE_SUPPORT_MASK: string properties are UTF-16LE
_MSGFLAG_READ = 0x00000001  # sent and read: no MSGFLAG_UNSENT
_ATTACH_BY_VALUE = 1
_ATTACH_EMBEDDED_MSG = 5
_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
_NAMEID = "__nameid_version1.0"
_PROPS = "__properties_version1.0"

Value = str | bytes | int | datetime


class _PropertyBag:
    """The properties of one object: the fixed-size entries stream plus value streams."""

    def __init__(self) -> None:
        self.entries: list[bytes] = []
        self.streams: list[tuple[str, bytes]] = []

    def add(self, prop_id: int, prop_type: int, value: Value | None) -> None:
        if value is None:
            return
        tag = (prop_id << 16) | prop_type
        head = struct.pack("<II", tag, _READABLE_WRITABLE)
        if prop_type == PT_LONG:
            assert isinstance(value, int)
            self.entries.append(head + struct.pack("<Ii", value & 0xFFFFFFFF, 0))
        elif prop_type == PT_SYSTIME:
            assert isinstance(value, datetime)
            ticks = int((value - _FILETIME_EPOCH).total_seconds() * 10_000_000)
            self.entries.append(head + struct.pack("<Q", ticks))
        elif prop_type == PT_OBJECT:
            # An embedded message: its storage holds the value ([MS-OXMSG] 2.4.2.2).
            self.entries.append(head + struct.pack("<II", 0xFFFFFFFF, 0x00000001))
        else:
            if prop_type == PT_UNICODE:
                assert isinstance(value, str)
                # Size counts the terminating null character; the stream does not hold it.
                data, size = value.encode("utf-16-le"), len(value.encode("utf-16-le")) + 2
            else:
                assert isinstance(value, bytes)
                data, size = value, len(value)
            self.entries.append(head + struct.pack("<II", size, 0))
            self.streams.append((f"__substg1.0_{tag:08X}", data))

    def properties_stream(self, header: bytes) -> bytes:
        return header + b"".join(self.entries)


def _message_header(*, recipients: int, attachments: int, embedded: bool) -> bytes:
    # 8 reserved, next recipient id, next attachment id, recipient and attachment
    # counts; a top-level message adds 8 more reserved bytes, an embedded one does not.
    head = struct.pack("<8xIIII", recipients, attachments, recipients, attachments)
    return head if embedded else head + bytes(8)


def _embedded_entries(msg_bytes: bytes) -> list[tuple[list[str], bytes]]:
    """The streams of a standalone .msg, re-rooted for embedding in an attachment."""
    out: list[tuple[list[str], bytes]] = []
    with olefile.OleFileIO(io.BytesIO(msg_bytes)) as ole:
        for path in sorted(ole.listdir(streams=True, storages=False)):
            if path[0] == _NAMEID:
                continue  # an embedded message shares its parent's named properties
            data = ole.openstream(path).read()
            if path == [_PROPS]:
                data = data[:24] + data[32:]  # embedded messages have the short header
            out.append((path, data))
    return out


def write_ole(entries: list[tuple[list[str], bytes | None]]) -> bytes:
    """An OLE compound file of `entries` (path, bytes; None for a storage)."""
    writer = OleWriter()
    for path, data in entries:
        # Timestamps stay 0 (the OleWriter default) so the output is reproducible.
        if data is None:
            writer.addEntry(path, storage=True)
        else:
            writer.addEntry(path, data=data)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def build_msg(
    *,
    subject: str,
    sender_name: str,
    sender_email: str,
    to: Sequence[tuple[str, str]],
    body: str,
    transport_headers: str | None,
    message_id: str,
    cc: Sequence[tuple[str, str]] = (),
    attachments: Sequence[tuple[str, str, bytes]] = (),
    embedded: Sequence[tuple[str, bytes]] = (),
    html_body: bytes | None = None,
    internet_cpid: int | None = None,
    sent: datetime | None = None,
    message_class: str = "IPM.Note",
) -> bytes:
    """The bytes of an Outlook .msg file holding the given message.

    `to`/`cc` are (display name, address) pairs; `attachments` are (filename, MIME type,
    data); `embedded` are (display name, .msg bytes) attached as embedded messages.
    `transport_headers=None` leaves out PR_TRANSPORT_MESSAGE_HEADERS, as in a draft.
    """
    recipients = [(name, addr, 1) for name, addr in to] + [(name, addr, 2) for name, addr in cc]
    n_attach = len(attachments) + len(embedded)
    entries: list[tuple[list[str], bytes | None]] = [
        ([_NAMEID], None),
        # Empty GUID, entry and string streams: no named properties are used.
        *(([_NAMEID, f"__substg1.0_{n:04X}0102"], b"") for n in (2, 3, 4)),
    ]

    root = _PropertyBag()
    root.add(0x001A, PT_UNICODE, message_class)
    root.add(0x0037, PT_UNICODE, subject)
    root.add(0x0E1D, PT_UNICODE, subject)  # PR_NORMALIZED_SUBJECT
    root.add(0x1000, PT_UNICODE, body)
    root.add(0x1013, PT_BINARY, html_body)
    root.add(0x007D, PT_UNICODE, transport_headers)
    root.add(0x0C1A, PT_UNICODE, sender_name)
    root.add(0x0C1E, PT_UNICODE, "SMTP")
    root.add(0x0C1F, PT_UNICODE, sender_email)
    root.add(0x5D01, PT_UNICODE, sender_email)  # PR_SENDER_SMTP_ADDRESS
    root.add(0x0042, PT_UNICODE, sender_name)  # PR_SENT_REPRESENTING_NAME
    root.add(0x0065, PT_UNICODE, sender_email)  # PR_SENT_REPRESENTING_EMAIL_ADDRESS
    root.add(0x1035, PT_UNICODE, message_id)
    root.add(0x0E04, PT_UNICODE, "; ".join(name or addr for name, addr in to))
    root.add(0x0E03, PT_UNICODE, "; ".join(name or addr for name, addr in cc))
    root.add(0x0E07, PT_LONG, _MSGFLAG_READ)
    root.add(0x340D, PT_LONG, _STORE_UNICODE_OK)
    root.add(0x3FDE, PT_LONG, internet_cpid)  # PR_INTERNET_CPID
    root.add(0x0039, PT_SYSTIME, sent)  # PR_CLIENT_SUBMIT_TIME
    root.add(0x0E06, PT_SYSTIME, sent)  # PR_MESSAGE_DELIVERY_TIME
    header = _message_header(recipients=len(recipients), attachments=n_attach, embedded=False)
    entries.append(([_PROPS], root.properties_stream(header)))
    entries.extend(([name], data) for name, data in root.streams)

    for index, (name, addr, kind) in enumerate(recipients):
        storage = f"__recip_version1.0_#{index:08X}"
        bag = _PropertyBag()
        bag.add(0x0C15, PT_LONG, kind)  # PR_RECIPIENT_TYPE: 1 To, 2 Cc
        bag.add(0x3000, PT_LONG, index)  # PR_ROWID
        bag.add(0x3001, PT_UNICODE, name)
        bag.add(0x3002, PT_UNICODE, "SMTP")
        bag.add(0x3003, PT_UNICODE, addr)
        bag.add(0x39FE, PT_UNICODE, addr)  # PR_SMTP_ADDRESS
        entries.append(([storage], None))
        entries.append(([storage, _PROPS], bag.properties_stream(bytes(8))))
        entries.extend(([storage, stream], data) for stream, data in bag.streams)

    for index, (filename, mime, data) in enumerate(attachments):
        storage = f"__attach_version1.0_#{index:08X}"
        bag = _PropertyBag()
        bag.add(0x0E21, PT_LONG, index)  # PR_ATTACH_NUM
        bag.add(0x3705, PT_LONG, _ATTACH_BY_VALUE)
        bag.add(0x370B, PT_LONG, -1)  # PR_RENDERING_POSITION: not rendered in the body
        bag.add(0x3001, PT_UNICODE, filename)
        bag.add(0x3707, PT_UNICODE, filename)  # PR_ATTACH_LONG_FILENAME
        bag.add(0x3704, PT_UNICODE, filename[:12])  # PR_ATTACH_FILENAME (8.3, loosely)
        extension = "." + filename.rpartition(".")[2] if "." in filename else None
        bag.add(0x3703, PT_UNICODE, extension)
        bag.add(0x370E, PT_UNICODE, mime)
        bag.add(0x3701, PT_BINARY, data)  # PR_ATTACH_DATA_BIN
        entries.append(([storage], None))
        entries.append(([storage, _PROPS], bag.properties_stream(bytes(8))))
        entries.extend(([storage, stream], value) for stream, value in bag.streams)

    for offset, (display, msg_bytes) in enumerate(embedded):
        index = len(attachments) + offset
        storage = f"__attach_version1.0_#{index:08X}"
        bag = _PropertyBag()
        bag.add(0x0E21, PT_LONG, index)
        bag.add(0x3705, PT_LONG, _ATTACH_EMBEDDED_MSG)
        bag.add(0x370B, PT_LONG, -1)
        bag.add(0x3001, PT_UNICODE, display)
        bag.add(0x3701, PT_OBJECT, 0)  # PR_ATTACH_DATA_OBJ: the storage below
        entries.append(([storage], None))
        entries.append(([storage, _PROPS], bag.properties_stream(bytes(8))))
        entries.extend(([storage, stream], value) for stream, value in bag.streams)
        inner = [storage, "__substg1.0_3701000D"]
        entries.append((inner, None))
        entries.extend(([*inner, *path], data) for path, data in _embedded_entries(msg_bytes))
    return write_ole(entries)
