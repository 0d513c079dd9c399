"""Files written inline in a text body (issue: payloads that slip past): a uuencoded or yEnc
block is shown as an attachment by Outlook and Thunderbird, so it is unpacked and judged like
one; ordinary text that merely starts with "begin" stays text."""

from __future__ import annotations

import base64
import binascii

import pytest
from cases import with_attachment  # noqa: F401  (loads the case modules in their order)
from cases_containers import tiny_exe
from conftest import eml

from mailcheck.api import scan_bytes
from mailcheck.parse.inline_files import inline_files


def uuencode(name: str, data: bytes) -> str:
    lines = [f"begin 644 {name}"]
    for start in range(0, len(data), 45):
        lines.append(binascii.b2a_uu(data[start : start + 45]).decode().rstrip("\n"))
    lines += ["`", "end"]
    return "\r\n".join(lines) + "\r\n"


def yencode(name: str, data: bytes) -> str:
    out = bytearray()
    for byte in data:
        value = (byte + 42) & 0xFF
        if value in (0x00, 0x0A, 0x0D, 0x3D):
            out += bytes((0x3D, (value + 64) & 0xFF))
        else:
            out.append(value)
    body = b"\r\n".join(out[i : i + 128] for i in range(0, len(out), 128))
    head = f"=ybegin line=128 size={len(data)} name={name}\r\n".encode()
    tail = f"\r\n=yend size={len(data)}\r\n".encode()
    return (head + body + tail).decode("latin-1")


def text_mail(body: str, charset: str = "utf-8") -> bytes:
    return eml(
        "From: Accounts <accounts@vendor.example>",
        "To: user@corp.example.com",
        "Subject: Re: 請求書の件",
        body=body,
        content_type=f"text/plain; charset={charset}",
    )


@pytest.mark.parametrize(
    "body",
    [
        "ご確認ください。\r\n\r\n"
        + uuencode("請求書.exe", tiny_exe())
        + "\r\nよろしくお願いします。\r\n",
        "Please see the invoice.\r\n\r\n" + uuencode("invoice.scr", tiny_exe()),
    ],
    ids=["ja", "en"],
)
def test_a_uuencoded_program_in_the_body_is_an_attachment(body: str) -> None:
    result = scan_bytes(text_mail(body))
    found = [f for f in result.findings if f.id == "attachment.executable"]
    assert found, [f.id for f in result.findings]
    assert ".uuencode1/" in found[0].evidence[0].location
    assert result.verdict.label == "malicious"


def test_a_yenc_program_in_the_body_is_an_attachment() -> None:
    body = "See attached.\r\n" + yencode("invoice.exe", tiny_exe())
    # yEnc is 8-bit: the body travels as latin-1 so every byte survives.
    result = scan_bytes(
        text_mail(body, "iso-8859-1").replace(body.encode("utf-8"), body.encode("latin-1"))
    )
    found = [f for f in result.findings if f.id == "attachment.executable"]
    assert found and ".yenc1/invoice.exe" in found[0].evidence[0].location
    assert result.verdict.label == "malicious"


def test_blocks_decode_to_the_original_bytes() -> None:
    data = bytes(range(256)) * 3
    text = ("x\r\n" + uuencode("a.bin", data) + "y\r\n").encode() + yencode("b.bin", data).encode(
        "latin-1"
    )
    files = list(inline_files(text))
    assert [(name, kind) for name, _, kind in files] == [("a.bin", "uuencode"), ("b.bin", "yenc")]
    assert all(blob == data for _, blob, _ in files)


def test_a_uuencoded_text_file_stays_clean() -> None:
    body = "議事録を送ります。\r\n" + uuencode("minutes.txt", "会議の議事録です。\n".encode())
    result = scan_bytes(text_mail(body))
    assert result.verdict.label == "clean", [f.id for f in result.findings]
    nodes = {n.path: n for top in result.attachments for n in top.walk()}
    assert "1.uuencode1/minutes.txt" in nodes  # unpacked and judged, not skipped


@pytest.mark.parametrize(
    "body",
    [
        "begin 644 is how the old tools started a block, without an end line\r\nthanks\r\n",
        "Let's begin the meeting at 10.\r\nend of notes\r\n",
        "=ybegin without a name\r\n=yend\r\n",
    ],
)
def test_text_that_only_looks_like_a_block_stays_text(body: str) -> None:
    assert list(inline_files(body.encode())) == []
    assert scan_bytes(text_mail(body)).verdict.label == "clean"


def test_blocks_per_body_are_bounded() -> None:
    body = "".join(uuencode(f"f{n}.txt", b"hello\n") for n in range(40))
    assert len(list(inline_files(body.encode()))) == 16


def two_names(type_name: str, file_name: str, data: bytes, text: str = "See attached.") -> bytes:
    """A message whose attachment has `name=` and `filename=` as given."""
    encoded = base64.encodebytes(data).decode().replace("\n", "\r\n")
    body = (
        f"--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
        f'--B\r\nContent-Type: application/octet-stream; name="{type_name}"\r\n'
        "Content-Transfer-Encoding: base64\r\n"
        f'Content-Disposition: attachment; filename="{file_name}"\r\n\r\n{encoded}--B--\r\n'
    )
    return text_mail(body).replace(
        b"text/plain; charset=utf-8\r\n\r\n--B", b'multipart/mixed; boundary="B"\r\n\r\n--B', 1
    )


@pytest.mark.parametrize(
    ("type_name", "file_name", "judged"),
    [
        ("請求書.js", "請求書.txt", "請求書.js"),  # the script hides behind the disposition
        ("invoice.txt", "invoice.exe", "invoice.exe"),  # judged by its bytes: a program
        ("scan.pdf", "scan.vbs", "scan.vbs"),
    ],
)
def test_a_part_named_two_ways_is_judged_by_the_name_that_runs(
    type_name: str, file_name: str, judged: str
) -> None:
    data = tiny_exe() if judged.endswith(".exe") else b"WScript.Echo(1)\r\n"
    result = scan_bytes(two_names(type_name, file_name, data))
    conflict = [f for f in result.findings if f.id == "attachment.name_conflict"]
    assert conflict, [f.id for f in result.findings]
    facts = conflict[0].facts()
    assert facts["filename"] == judged
    assert {facts["filename"], facts["other_name"]} == {type_name, file_name}
    assert conflict[0].evidence[0].location == "part 2"
    assert result.verdict.label == "malicious"


def test_two_names_that_differ_only_in_case_are_one_name() -> None:
    result = scan_bytes(two_names("Report.PDF", "Report.pdf", b"%PDF-1.4\n%%EOF\n"))
    assert "attachment.name_conflict" not in {f.id for f in result.findings}
    assert result.verdict.label == "clean"


def test_two_harmless_names_are_no_conflict() -> None:
    # A text file called .txt by one header and .csv by the other runs nothing either way.
    result = scan_bytes(two_names("notes.txt", "notes.csv", b"a,b\n1,2\n"))
    assert "attachment.name_conflict" not in {f.id for f in result.findings}
    assert result.verdict.label == "clean"
    # Judged under the Content-Disposition name, as before the two names were compared.
    assert {n.path for top in result.attachments for n in top.walk()} >= {"2/notes.csv"}


def two_encodings(first: str, second: str, payload: str, name: str = "invoice.exe") -> bytes:
    """An attachment with two Content-Transfer-Encoding headers, in the order given."""
    body = (
        "--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n添付をご確認ください。\r\n"
        f'--B\r\nContent-Type: application/octet-stream; name="{name}"\r\n'
        f"Content-Transfer-Encoding: {first}\r\nContent-Transfer-Encoding: {second}\r\n"
        f'Content-Disposition: attachment; filename="{name}"\r\n\r\n{payload}--B--\r\n'
    )
    return text_mail(body).replace(
        b"text/plain; charset=utf-8\r\n\r\n--B", b'multipart/mixed; boundary="B"\r\n\r\n--B', 1
    )


@pytest.mark.parametrize(("first", "second"), [("7bit", "base64"), ("base64", "7bit")])
def test_two_transfer_encodings_are_read_both_ways(first: str, second: str) -> None:
    payload = base64.encodebytes(tiny_exe()).decode().replace("\n", "\r\n")
    result = scan_bytes(two_encodings(first, second, payload))
    defects = [f for f in result.findings if f.id == "parse.defect"]
    assert any(e.fact("code") == "cte_duplicate" for f in defects for e in f.evidence)
    found = [f for f in result.findings if f.id == "attachment.executable"]
    assert found, [f.id for f in result.findings]
    expected = "attachment 2/" if first == "base64" else "attachment 2.base64/"
    assert found[0].evidence[0].location.startswith(expected)
    assert result.verdict.label == "malicious"


def test_a_harmless_part_with_two_encodings_stays_clean() -> None:
    payload = base64.encodebytes("議事録です。\n".encode()).decode().replace("\n", "\r\n")
    result = scan_bytes(two_encodings("base64", "7bit", payload, "minutes.txt"))
    assert result.verdict.label == "clean", [f.id for f in result.findings]
