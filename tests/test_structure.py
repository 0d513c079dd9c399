"""The pre-pass before the stdlib parser: header repairs, nesting bounds, moved bodies.

Each header oddity here once made a message with an executable "not a message" (or hid its
attachments); deep nesting once hid an executable behind a RecursionError.
"""

from __future__ import annotations

import base64
import hashlib
import time
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from conftest import eml

from mailcheck.api import scan_bytes, scan_paths
from mailcheck.limits import DEFAULT, Budget
from mailcheck.model import ScanResult
from mailcheck.parse import detect_format, parse_message, structure
from testkit.payloads import build_pe_stub

HANG_GUARD_SECONDS = 10.0


def exe_message(head: bytes, *, newline: bytes = b"\n") -> bytes:
    encoded = base64.encodebytes(build_pe_stub())
    body = (
        b"--B\nContent-Type: text/plain\n\nSee the invoice.\n"
        b"--B\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n"
        b'Content-Disposition: attachment; filename="invoice.exe"\n\n' + encoded + b"--B--\n"
    )
    return (head + b"\n\n" + body).replace(b"\n", newline)


HEAD = (
    b"From: Accounts <accounts@example.com>\nTo: you@example.org\nSubject: invoice\n"
    b'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="B"'
)
ODD_HEADS = {
    "header_line_invalid": HEAD + b"\nthis line is not a header",
    "junk_before_content_type": HEAD.replace(b"MIME-Version", b"not a header\nMIME-Version"),
    "first_header_indented": b" " + HEAD,
    "header_name_invalid": HEAD.replace(b"Subject:", b"Subject\xd1:"),
    "header_space_before_colon": HEAD.replace(b"Content-Type:", b"Content-Type :"),
    "leading_blank_lines": b"\n\n" + HEAD,
    "byte_order_mark": b"\xef\xbb\xbf" + HEAD,
}


def ids(result: ScanResult) -> set[str]:
    return {f.id for f in result.findings}


def defect_codes(result: ScanResult) -> set[str]:
    return {f.facts().get("code", "") for f in result.findings if f.id == "parse.defect"}


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"])
@pytest.mark.parametrize("name", sorted(ODD_HEADS))
def test_odd_header_lines_never_hide_the_message(name: str, newline: bytes) -> None:
    data = exe_message(ODD_HEADS[name], newline=newline)
    assert detect_format(data[:65536]) == "eml"
    result = scan_bytes(data)
    assert "attachment.executable" in ids(result)
    assert result.verdict.label == "malicious"
    assert result.message.from_ is not None
    assert result.message.from_.addr == "accounts@example.com"


def test_each_repair_is_reported_where_it_was_made() -> None:
    result = scan_bytes(exe_message(ODD_HEADS["junk_before_content_type"]))
    defect = next(f for f in result.findings if f.id == "parse.defect")
    assert defect.facts()["code"] == "header_line_invalid"
    assert defect.evidence[0].location == "headers"
    assert "header_name_invalid" in defect_codes(
        scan_bytes(exe_message(ODD_HEADS["header_name_invalid"]))
    )


def test_odd_message_in_a_directory_is_scanned_not_skipped(tmp_path: Path) -> None:
    for name, head in ODD_HEADS.items():
        (tmp_path / f"{name}.eml").write_bytes(exe_message(head))
    results = [r for r in scan_paths([tmp_path]) if isinstance(r, ScanResult)]
    assert len(results) == len(ODD_HEADS)
    assert {r.verdict.label for r in results} == {"malicious"}


def test_a_part_whose_body_follows_its_headers_keeps_its_body() -> None:
    # No blank line after the part's headers: the first line is body, as every reader has it.
    body = "--foo\r\nContent-Type: text/plain\r\nbar\r\n\r\n--foo--\r\n"
    data = eml("From: a@example.com", body=body, content_type="multipart/mixed; boundary=foo")
    message = parse_message(data, Budget(DEFAULT))
    assert [b.text.strip() for b in message.bodies] == ["bar"]


def test_junk_between_part_headers_does_not_hide_the_encoding() -> None:
    encoded = base64.encodebytes(build_pe_stub()).decode()
    body = (
        "--B\r\nContent-Type: application/octet-stream\r\nX-Note: a\r\njunk line\r\n"
        'Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="a.exe"'
        f"\r\n\r\n{encoded}--B--\r\n"
    )
    data = eml("From: a@example.com", body=body, content_type='multipart/mixed; boundary="B"')
    result = scan_bytes(data)
    assert "attachment.executable" in ids(result)
    assert "header_line_invalid" in defect_codes(result)


@pytest.mark.parametrize("encoding", [" Base64", "BASE64 ", '"base64"', "base64 (sic)"])
def test_transfer_encoding_is_read_as_clients_read_it(encoding: str) -> None:
    encoded = base64.encodebytes(build_pe_stub()).decode()
    body = (
        f"--B\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding:{encoding}"
        f'\r\nContent-Disposition: attachment; filename="a.exe"\r\n\r\n{encoded}--B--\r\n'
    )
    data = eml("From: a@example.com", body=body, content_type='multipart/mixed; boundary="B"')
    assert "attachment.executable" in ids(scan_bytes(data))


def deep_multipart(depth: int, leaf: str) -> bytes:
    opening = "".join(
        f'--b{i}\r\nContent-Type: multipart/mixed; boundary="b{i + 1}"\r\n\r\n'
        for i in range(depth)
    )
    closing = "".join(f"--b{i}--\r\n" for i in reversed(range(depth)))
    return eml(
        "From: a@example.com",
        body=opening + f"--b{depth}\r\n{leaf}\r\n" + closing,
        content_type='multipart/mixed; boundary="b0"',
    )


EXE_PART = (
    "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
    'Content-Disposition: attachment; filename="evil.exe"\r\n\r\n'
    + base64.encodebytes(build_pe_stub()).decode()
)


@pytest.mark.parametrize("depth", [40, 1_000, 5_000])
def test_deep_multipart_nesting_is_a_limit_never_a_silent_clean(depth: int) -> None:
    started = time.monotonic()
    result = scan_bytes(deep_multipart(depth, EXE_PART))
    assert time.monotonic() - started < HANG_GUARD_SECONDS
    limit = next(f for f in result.findings if f.id == "limit.max_depth")
    assert limit.evidence[0].location.startswith("part 1.1.1.1")
    assert result.verdict.incomplete
    assert result.verdict.label != "clean"
    assert "mime_unparsable" not in defect_codes(result)


def test_deep_message_nesting_is_a_limit_never_a_silent_clean() -> None:
    inner = (
        b"From: z@example.com\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="Q"\r\n\r\n--Q\r\n'
        + EXE_PART.encode()
        + b"--Q--\r\n"
    )
    data = inner
    for _ in range(1_000):
        data = (
            b"From: a@example.com\r\nMIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n\r\n"
            + (data)
        )
    result = scan_bytes(data)
    assert "limit.max_depth" in ids(result)
    assert result.verdict.incomplete
    assert result.verdict.label != "clean"


def test_nesting_below_the_bound_still_finds_the_payload() -> None:
    result = scan_bytes(deep_multipart(20, EXE_PART))
    assert "attachment.executable" in ids(result)
    assert "limit.max_depth" not in ids(result)


def test_content_after_a_cut_subtree_is_still_seen() -> None:
    deep = deep_multipart(200, "Content-Type: text/plain\r\n\r\ndeep").decode()
    _head, _, deep_body = deep.partition("\r\n\r\n")
    body = (
        '--top\r\nContent-Type: multipart/mixed; boundary="b0"\r\n\r\n'
        + deep_body
        + "\r\n--top\r\n"
        + EXE_PART
        + "--top--\r\n"
    )
    data = eml("From: a@example.com", body=body, content_type='multipart/mixed; boundary="top"')
    result = scan_bytes(data)
    assert {"limit.max_depth", "attachment.executable"} <= ids(result)


def stdlib_leaves(data: bytes) -> list[bytes]:
    message = BytesParser(policy=policy.compat32).parsebytes(data)
    out = []
    for part in message.walk():
        if not part.is_multipart():
            payload = part.get_payload(decode=True)
            out.append(payload if isinstance(payload, bytes) else b"")
    return out


def test_moved_bodies_decode_exactly_as_the_stdlib_decodes_them() -> None:
    blob = bytes(range(256)) * 2000  # 512 KB, well past the move threshold
    encoded = base64.encodebytes(blob).decode()
    body = (
        "--B\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
        "--B\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
        f'Content-Disposition: attachment; filename="blob.bin"\r\n\r\n{encoded}\r\n--B--\r\n'
    )
    data = eml("From: a@example.com", body=body, content_type='multipart/mixed; boundary="B"')
    prepared = structure.prepare(data, max_depth=32, max_parts=100)
    assert len(prepared.moved) == 1
    assert len(prepared.data) < 1000  # the stdlib only sees the skeleton
    result = scan_bytes(data)
    node = result.attachments[1]
    assert node.sha256 == hashlib.sha256(blob).hexdigest()
    assert node.sha256 == hashlib.sha256(stdlib_leaves(data)[1]).hexdigest()


def test_a_broken_moved_body_is_decoded_with_the_stdlib_defects() -> None:
    encoded = base64.encodebytes(bytes(200_000)).decode().replace("AAAA", "A!AA", 3)[:-3]
    body = (
        "--B\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
        f"\r\n{encoded}\r\n--B--\r\n"
    )
    data = eml("From: a@example.com", body=body, content_type='multipart/mixed; boundary="B"')
    result = scan_bytes(data)
    assert result.attachments[0].sha256 == hashlib.sha256(stdlib_leaves(data)[0]).hexdigest()
    assert "invalid_base64_characters" in defect_codes(result)


def test_attached_messages_keep_their_own_bytes() -> None:
    inner = b"From: b@example.org\r\nSubject: inner\r\n\r\nkeep   these    spaces\r\n"
    body = (
        b"--B\r\nContent-Type: text/plain\r\n\r\nfwd\r\n"
        b"--B\r\nContent-Type: message/rfc822\r\n\r\n" + inner + b"\r\n--B--\r\n"
    )
    data = eml(
        "From: a@example.com", body=body.decode(), content_type='multipart/mixed; boundary="B"'
    )
    result = scan_bytes(data)
    assert result.attachments[1].sha256 == hashlib.sha256(inner).hexdigest()


def test_base64_encoded_attached_message_is_opened() -> None:
    inner = b"From: b@example.org\r\nSubject: inner\r\n\r\nhello\r\n"
    body = (
        "--B\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(inner).decode()
        + "--B--\r\n"
    )
    data = eml("From: a@example.com", body=body, content_type='multipart/mixed; boundary="B"')
    result = scan_bytes(data)
    node = result.attachments[0]
    assert node.sha256 == hashlib.sha256(inner).hexdigest()
    assert node.status == "ok"


def test_a_sender_cannot_forge_the_move_reference() -> None:
    body = (
        "--B\r\nContent-Type: application/octet-stream\r\nX-Mailcheck-Moved-0: 0\r\n\r\n"
        "plain\r\n--B--\r\n"
    )
    data = eml("From: a@example.com", body=body, content_type='multipart/mixed; boundary="B"')
    result = scan_bytes(data)
    assert result.attachments[0].size == len(b"plain")


def test_an_8bit_boundary_is_no_crash() -> None:
    # Found by tools/fuzz.py: the stdlib reads 8-bit bytes in a boundary as U+FFFD.
    body = "--abc\udcff\r\nContent-Type: text/plain\r\n\r\nx\r\n--abc\udcff--\r\n"
    data = eml(
        "From: a@example.com", body=body, content_type='multipart/mixed; boundary="abc\udcff"'
    )
    result = scan_bytes(data)
    assert "prepass_failed" not in defect_codes(result)
