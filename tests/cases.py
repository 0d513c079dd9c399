"""One message per finding id that makes it fire: the catalog meta-test's evidence.

Each case returns the message bytes and the limits to scan it with. Adding a finding to
the catalog without adding a case here fails `test_catalog.py`.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import zipfile
from collections.abc import Callable

from conftest import eml

from mailcheck.limits import DEFAULT, Limits
from testkit.msg_writer import build_msg
from testkit.office import (
    DROPPER_MACRO,
    FORMATTING_MACRO,
    build_docm,
    build_vba_project,
    build_xlsm,
)

Case = Callable[[], tuple[bytes, Limits]]


def with_attachment(
    data: bytes, filename: str, content_type: str, *headers: str, text: str = "See attached.\r\n"
) -> bytes:
    encoded = base64.encodebytes(data).decode().replace("\n", "\r\n")
    body = (
        f"--XB\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}"
        f"--XB\r\nContent-Type: {content_type}\r\nContent-Transfer-Encoding: base64\r\n"
        f'Content-Disposition: attachment; filename="{filename}"\r\n\r\n{encoded}--XB--\r\n'
    )
    return eml(
        *(headers or ("From: Sender <sender@example.com>", "Subject: attached")),
        body=body,
        content_type='multipart/mixed; boundary="XB"',
    )


def a_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("invoice.txt", "hello")
    return buffer.getvalue()


def dropper_docm() -> bytes:
    return build_docm(build_vba_project(document_code=DROPPER_MACRO))


def formatting_xlsm() -> bytes:
    return build_xlsm(build_vba_project(host="excel", document_code=FORMATTING_MACRO))


def nested(inner: bytes, boundary: str = "NB") -> bytes:
    body = (
        f"--{boundary}\r\nContent-Type: text/plain\r\n\r\nforwarded\r\n"
        f"--{boundary}\r\nContent-Type: message/rfc822\r\n\r\n"
        + inner.decode("utf-8", "surrogateescape")
        + f"\r\n--{boundary}--\r\n"
    )
    return eml(
        "From: a@example.com", body=body, content_type=f'multipart/mixed; boundary="{boundary}"'
    )


def limits(**changes: int | float) -> Limits:
    return dataclasses.replace(DEFAULT, **changes)  # type: ignore[arg-type]


CASES: dict[str, Case] = {
    "sender.display_name_has_address": lambda: (
        eml('From: "taro@corp.example.co.jp" <x@hacked.example>'),
        DEFAULT,
    ),
    "attachment.macro": lambda: (
        with_attachment(formatting_xlsm(), "report.xlsm", "application/vnd.ms-excel"),
        DEFAULT,
    ),
    "attachment.macro.autoexec_exec": lambda: (
        with_attachment(dropper_docm(), "invoice.docm", "application/octet-stream"),
        DEFAULT,
    ),
    "attachment.type_mismatch": lambda: (
        with_attachment(a_zip(), "invoice.pdf", "application/pdf"),
        DEFAULT,
    ),
    "parse.defect": lambda: (eml("Subject: no sender"), DEFAULT),
    "parse.no_transport_headers": lambda: (
        build_msg(
            subject="draft",
            sender_name="Sato",
            sender_email="sato@corp.example.co.jp",
            to=(("Suzuki", "suzuki@corp.example.co.jp"),),
            body="hello",
            transport_headers=None,
            message_id="<d@corp.example.co.jp>",
        ),
        DEFAULT,
    ),
    "limit.max_input_bytes": lambda: (
        eml("From: a@example.com", body="x" * 5000),
        limits(max_input_bytes=1000),
    ),
    "limit.max_header_bytes": lambda: (
        eml("From: a@example.com", "To: b@example.com", "Subject: s", "X-A: 1"),
        limits(max_headers=2),
    ),
    "limit.max_parts": lambda: (
        with_attachment(b"%PDF-1.4\n", "a.pdf", "application/pdf"),
        limits(max_parts=1),
    ),
    "limit.max_depth": lambda: (
        nested(nested(eml("From: c@example.com"), "inner"), "outer"),
        limits(max_depth=1),
    ),
    "limit.max_total_bytes": lambda: (
        with_attachment(b"%PDF-1.4\n" + b"0" * 4000, "a.pdf", "application/pdf"),
        limits(max_total_bytes=1000),
    ),
    "limit.scan_timeout": lambda: (eml("From: a@example.com"), limits(scan_timeout=0.0)),
    # olevba raises on an OLE header with nothing behind it: the scan must go on.
    "analyzer.error": lambda: (
        with_attachment(
            bytes.fromhex("d0cf11e0a1b11ae1") + bytes(600), "old.doc", "application/msword"
        ),
        DEFAULT,
    ),
    "attachment.unreadable": lambda: (nested(b"this is not a message at all\r\n"), DEFAULT),
}


def _merge_area_cases() -> None:
    """Each area keeps its cases in tests/cases_<area>.py; all of them count here."""
    import importlib
    import pkgutil
    from pathlib import Path

    here = Path(__file__).parent
    for info in pkgutil.iter_modules([str(here)]):
        if info.name.startswith("cases_"):
            module = importlib.import_module(info.name)
            clash = set(module.CASES) & set(CASES)
            assert not clash, f"cases defined twice: {clash}"
            CASES.update(module.CASES)


_merge_area_cases()
