"""Messages carrying a program, with NUL and other control bytes where mutated and hostile
mail puts them. Each must be scanned (and found malicious), never called "not a message"."""

from __future__ import annotations

import base64
import re

from testkit.payloads import build_pe_stub


def exe_message(
    *,
    top: bytes = b"",
    sender: bytes = b"From: Accounts <accounts@example.test>",
    subject: bytes = b"Subject: Invoice 0301",
    extra: bytes = b"",
    text: bytes = b"Please see the attached invoice.",
    disposition: bytes = b'Content-Disposition: attachment; filename="invoice.exe"',
) -> bytes:
    """A multipart message with a text part and `invoice.exe`; each argument one line."""
    encoded = base64.encodebytes(build_pe_stub()).replace(b"\n", b"\r\n")
    return (
        top
        + sender
        + b"\r\nTo: user@example.test\r\n"
        + subject
        + b"\r\n"
        + extra
        + b"Date: Tue, 01 Mar 2022 09:00:00 +0900\r\nMessage-ID: <nul@example.test>\r\n"
        + b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="B"\r\n\r\n'
        + b"--B\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        + text
        + b"\r\n--B\r\nContent-Type: application/octet-stream\r\n"
        + b"Content-Transfer-Encoding: base64\r\n"
        + disposition
        + b"\r\n\r\n"
        + encoded
        + b"--B--\r\n"
    )


# name -> (message, the parse.defect excerpt that names the field and the bytes)
NUL_SHAPES: dict[str, tuple[bytes, str]] = {
    "nul in a header value": (
        exe_message(subject=b"Subject: Inv\x00oice 0301"),
        "Subject: 0x00 x1",
    ),
    "nul in a header name": (exe_message(extra=b"X-Fo\x00o: bar\r\n"), "X-Foo: 0x00 x1"),
    "run of nuls in From": (
        exe_message(sender=b"From: Accounts " + b"\x00" * 40 + b"<accounts@example.test>"),
        "From: 0x00 x40",
    ),
    "nul-only header line": (exe_message(extra=b"\x00" * 16 + b"\r\n"), "line: 0x00 x16"),
    "nul before the first header": (exe_message(top=b"\x00\x00"), "before the headers: 0x00 x2"),
    "control byte in a header name": (
        exe_message(extra=b"X-Mai\x01ler: x\r\n"),
        "X-Mailer: 0x01 x1",
    ),
    "nuls in a body part": (
        exe_message(text=b"Please\x00 see the \x00\x00attached invoice."),
        "0x00 x3 dropped",
    ),
    "nul in an attachment's header": (
        exe_message(disposition=b'Content-Dispo\x00sition: attachment; filename="invoice.e\x00xe"'),
        "Content-Disposition: 0x00 x2",
    ),
}


_FIELD = re.compile(rb"([!-9;-~]+):[ \t]?(.*)", re.S)


def as_an_mta_hands_it(data: bytes) -> tuple[list[tuple[str, str]], bytes]:
    """Header fields and body as Postfix passes them to a milter: the header block ends at
    the first line that is not a field (what follows is body), and a value ends at its
    first NUL (milter protocol strings are C strings)."""
    lines = data.split(b"\r\n")
    headers: list[tuple[str, str]] = []
    for index, line in enumerate(lines):
        match = _FIELD.fullmatch(line)
        if line[:1] in (b" ", b"\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + "\r\n" + line.decode("latin-1"))
            continue
        if match is None:
            body = lines[index + 1 :] if not line else lines[index:]
            return headers, b"\r\n".join(body)
        value = match.group(2).split(b"\x00")[0]
        headers.append((match.group(1).decode("ascii"), value.decode("latin-1")))
    return headers, b""
