"""Write a folder of hostile inputs: every shape that once crashed, hung or fooled mailcheck.

    python tools/hostile_corpus.py DIR

Built by code at test time (no binary blobs in the repository). `EXPECTED` says what each
message must at least come out as; the tests scan the folder with `mailcheck scan` and CI
runs the same scan as a smoke test that must end without a traceback. The folder also holds
a FIFO and a file whose name is not UTF-8: a scan must pass over the one and report the other.
"""

from __future__ import annotations

import base64
import io
import os
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pyzipper  # type: ignore[import-untyped, unused-ignore]

from testkit.payloads import build_pe_stub
from testkit.pdf import build_pdf, cyclic_pdf, launch, many_annotations_pdf

# Each file and the verdicts it may come out as (the first listed is what it is today).
EXPECTED: dict[str, tuple[str, ...]] = {}
BUILDERS: dict[str, Callable[[], bytes]] = {}
_PASSWORD = "Ab12-secret"


def case(name: str, *verdicts: str) -> Callable[[Callable[[], bytes]], Callable[[], bytes]]:
    def register(build: Callable[[], bytes]) -> Callable[[], bytes]:
        BUILDERS[name] = build
        EXPECTED[name] = verdicts
        return build

    return register


def _b64(data: bytes) -> str:
    return base64.encodebytes(data).decode().replace("\n", "\r\n")


def _exe_part(name: str = "invoice.exe") -> str:
    return (
        "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
        f'Content-Disposition: attachment; filename="{name}"\r\n\r\n{_b64(build_pe_stub())}'
    )


def _message(head: str, body: str, boundary: str = "B") -> bytes:
    return (
        f'{head}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="{boundary}"'
        f"\r\n\r\n--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
        f"--{boundary}\r\n{_exe_part()}--{boundary}--\r\n"
    ).encode("utf-8", "surrogateescape")


_HEAD = "From: Accounts <accounts@example.com>\r\nTo: you@example.org\r\nSubject: invoice"


@case("01-junk-header-line.eml", "malicious")
def junk_header_line() -> bytes:
    data = _message(_HEAD, "See the invoice.")
    return data.replace(b"MIME-Version", b"this line is not a header\r\nMIME-Version", 1)


@case("02-indented-first-header.eml", "malicious")
def indented_first_header() -> bytes:
    return b" " + _message(_HEAD, "See the invoice.")


@case("03-8bit-header-name.eml", "malicious")
def eight_bit_header_name() -> bytes:
    return _message(_HEAD, "See the invoice.").replace(b"Subject:", b"Subject\xd1:", 1)


@case("04-deep-multipart.eml", "suspicious", "malicious")
def deep_multipart() -> bytes:
    depth = 1_000
    opening = "".join(
        f'--b{i}\r\nContent-Type: multipart/mixed; boundary="b{i + 1}"\r\n\r\n'
        for i in range(depth)
    )
    closing = "".join(f"--b{i}--\r\n" for i in reversed(range(depth)))
    body = opening + f"--b{depth}\r\n{_exe_part('evil.exe')}" + closing
    return (
        f'{_HEAD}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b0"\r\n\r\n'
        + body
    ).encode()


@case("05-deep-attached-messages.eml", "suspicious", "malicious")
def deep_attached_messages() -> bytes:
    data = _message(_HEAD, "innermost")
    for _ in range(1_000):
        data = (
            b"From: a@example.com\r\nMIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n\r\n"
            + data
        )
    return data


@case("06-emoji-subject.eml", "clean")
def emoji_subject() -> bytes:
    return (
        "From: a@example.com\r\nSubject: 請求書 \U0001f389 ご確認ください\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nお世話になっております \U0001f389\r\n"
    ).encode()


def _aes_zip(name: str, data: bytes, password: str) -> bytes:
    buffer = io.BytesIO()
    with pyzipper.AESZipFile(
        buffer, "w", compression=zipfile.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
    ) as archive:
        archive.setpassword(password.encode())
        archive.writestr(name, data)
    return buffer.getvalue()


def _file_message(data: bytes, text: str, name: str, content_type: str, boundary: str) -> bytes:
    """A text part and `data` attached as `name`."""
    return (
        f'{_HEAD}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="{boundary}"'
        f"\r\n\r\n--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
        f"--{boundary}\r\nContent-Type: {content_type}\r\nContent-Transfer-Encoding: base64\r\n"
        f'Content-Disposition: attachment; filename="{name}"\r\n\r\n{_b64(data)}--{boundary}--\r\n'
    ).encode()


def _zip_message(archive: bytes, text: str) -> bytes:
    return _file_message(archive, text, "invoice.zip", "application/zip", "Z")


@case("07-decoy-passwords.eml", "malicious")
def decoy_passwords() -> bytes:
    decoys = "".join(f"Password: decoy{i:02d}\r\n" for i in range(40))
    archive = _aes_zip("invoice.exe", build_pe_stub(), _PASSWORD)
    return _zip_message(archive, decoys + f"Password: {_PASSWORD}")


@case("08-locked-program.eml", "malicious")
def locked_program() -> bytes:
    archive = _aes_zip("invoice.exe", build_pe_stub(), "never-in-the-mail")
    return _zip_message(archive, "パスワードは別途お送りします。")


@case("09-zip-bomb.eml", "clean", "suspicious", "malicious")
def zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.bin", bytes(200 * 1024 * 1024))
    return _zip_message(buffer.getvalue(), "see attached")


@case("10-huge-header.eml", "clean")
def huge_header() -> bytes:
    return (
        "X-Pad: " + "A" * (2 * 1024 * 1024) + "\r\nFrom: a@example.com\r\nSubject: padded\r\n\r\n"
        "hello\r\n"
    ).encode()


@case("11-traversal-names.eml", "clean", "suspicious", "malicious")
def traversal_names() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../../../etc/cron.d/evil", "* * * * * root true\n")
        archive.writestr("C:\\Windows\\evil.txt", "x")
    return _zip_message(buffer.getvalue(), "see attached")


@case("12-broken-charsets.eml", "clean")
def broken_charsets() -> bytes:
    return (
        b"From: =?x-unknown?B?5bGx55Sw?= <a@example.com>\r\nSubject: =?iso-2022-jp?B?GyRC?=\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        b"\xff\xfe\x00 \x1b$B\x1b(B \x82\xa0\r\n"
    )


@case("13-\udcff\udcfe-raw-name.eml", "malicious")
def raw_name() -> bytes:
    return _message(_HEAD, "name on disk is not UTF-8")


@case("15-nul-in-headers.eml", "malicious")
def nul_in_headers() -> bytes:
    # A NUL in a value, in a name and a line of NULs once made the message "not mail".
    data = _message(_HEAD.replace("Subject: invoice", "Subject: inv\x00oice"), "See it.")
    return data.replace(b"MIME-Version", b"X-Fo\x00o: 1\r\n\x00\x00\x00\r\nMIME-Version", 1)


@case("16-damaged-head.eml", "error")
def damaged_head() -> bytes:
    # Begins as mail does, but no header block can be read: an error line, never skipped.
    return b"Return-Path: <a@example.com>\r\n" + b"\x01\x02\x03 not a header\r\n" * 20


def _pdf_message(document: bytes, text: str) -> bytes:
    return _file_message(document, text, "invoice.pdf", "application/pdf", "P")


@case("17-pdf-loops.eml", "suspicious", "malicious")
def pdf_loops() -> bytes:
    # Pages, name tree, form fields and action chains that all lead back to themselves.
    return _pdf_message(cyclic_pdf(), "see attached")


@case("18-pdf-annotations.eml", "clean", "suspicious", "malicious")
def pdf_annotations() -> bytes:
    return _pdf_message(many_annotations_pdf(30_000), "see attached")


@case("19-pdf-dropper.eml", "malicious")
def pdf_dropper() -> bytes:
    document = build_pdf(
        text="Invoice",
        attachments=[("invoice.exe", build_pe_stub())],
        open_action=launch("cmd.exe", "/c start invoice.exe"),
    )
    return _pdf_message(document, "請求書を送付いたします。")


def write(folder: Path) -> list[Path]:
    """Write every case (and a FIFO) into `folder`; the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, build in BUILDERS.items():
        path = Path(os.fsdecode(os.path.join(os.fsencode(folder), os.fsencode(name))))
        path.write_bytes(build())
        written.append(path)
    fifo = folder / "14-fifo.eml"
    if not fifo.exists():
        os.mkfifo(fifo)  # opening it would block: a scan must pass over it
    return written


def main() -> int:
    if len(sys.argv) != 2:
        raise SystemExit("usage: python tools/hostile_corpus.py DIR")
    for written_path in write(Path(sys.argv[1])):
        print(os.fsencode(written_path).decode("ascii", "backslashreplace"))
    return 0
