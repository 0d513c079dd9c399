"""Outlook .msg parsing: fixtures written by testkit/msg_writer.py, plus the real corpus."""

from __future__ import annotations

import base64
import dataclasses
import io
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import extract_msg
import pytest
from extract_msg.ole_writer import OleWriter

from mailcheck.limits import DEFAULT, Budget
from mailcheck.model import Address
from mailcheck.parse.msg import looks_like_msg, parse_msg
from mailcheck.parse.types import ParsedMessage
from testkit.msg_writer import build_msg  # importable via conftest's sys.path entry

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "msg"

TRANSPORT = (
    "Microsoft Mail Internet Headers Version 2.0\r\n"
    "Received: from mx.partner.example ([192.0.2.10]) by mx.corp.example.com; "
    "Mon, 14 Mar 2022 07:41:00 +0000\r\n"
    "From: Partner Billing <billing@partner.example>\r\n"
    "To: Alex Morgan <alex@corp.example.com>\r\n"
    "Cc: Finance <finance@corp.example.com>\r\n"
    "Subject: Invoice 2022-0311\r\n"
    "Date: Mon, 14 Mar 2022 07:40:51 +0000\r\n"
    "Message-ID: <inv-0311@partner.example>\r\n"
    "\r\n"
)


def build(**overrides: Any) -> bytes:
    spec: dict[str, Any] = {
        "subject": "Invoice 2022-0311",
        # Deliberately unlike the transport headers, to show which source was used.
        "sender_name": "Outlook Display Name",
        "sender_email": "props@partner.example",
        "to": (("Alex Morgan", "alex@corp.example.com"),),
        "cc": (("Finance", "finance@corp.example.com"),),
        "body": "Please find the invoice attached.\r\n",
        "transport_headers": TRANSPORT,
        "message_id": "<inv-0311@partner.example>",
        "sent": datetime(2022, 3, 14, 7, 40, 51, tzinfo=UTC),
    }
    spec.update(overrides)
    return build_msg(**spec)


def parse(data: bytes, budget: Budget | None = None) -> ParsedMessage:
    return parse_msg(data, budget or Budget(DEFAULT))


def codes(parsed: ParsedMessage) -> set[str]:
    return {d.code for d in parsed.defects}


# --- the writer ---------------------------------------------------------------------


def test_build_msg_is_deterministic() -> None:
    attachments = (("a.txt", "text/plain", b"hello"),)
    assert build(attachments=attachments) == build(attachments=attachments)
    assert build(subject="one") != build(subject="two")


def test_build_msg_reads_back_with_extract_msg() -> None:
    data = build(
        attachments=(("請求書.pdf", "application/pdf", b"%PDF-1.4 test"),),
        html_body=b"<html><body>hi</body></html>",
    )
    msg: Any
    with extract_msg.openMsg(data) as msg:
        assert msg.subject == "Invoice 2022-0311"
        assert msg.body == "Please find the invoice attached.\r\n"
        assert msg.headerText == TRANSPORT
        assert [(r.name, r.email) for r in msg.recipients] == [
            ("Alex Morgan", "alex@corp.example.com"),
            ("Finance", "finance@corp.example.com"),
        ]
        assert msg.getStringStream("__substg1.0_0C1A") == "Outlook Display Name"
        assert msg.htmlBody == b"<html><body>hi</body></html>"
        [att] = msg.attachments
        assert (att.longFilename, att.mimetype, att.data) == (
            "請求書.pdf",
            "application/pdf",
            b"%PDF-1.4 test",
        )


# --- headers ---------------------------------------------------------------------------


def test_headers_come_from_the_transport_stream_not_properties() -> None:
    parsed = parse(build())
    assert parsed.format == "msg"
    assert parsed.from_ == Address(display_name="Partner Billing", addr="billing@partner.example")
    assert parsed.summary.to == (Address(display_name="Alex Morgan", addr="alex@corp.example.com"),)
    assert parsed.summary.cc == (Address(display_name="Finance", addr="finance@corp.example.com"),)
    assert parsed.subject == "Invoice 2022-0311"
    assert parsed.summary.message_id == "<inv-0311@partner.example>"
    assert parsed.summary.date == "Mon, 14 Mar 2022 07:40:51 +0000"
    assert len(parsed.summary.received) == 1
    # The "Microsoft Mail Internet Headers" preamble is not taken for a header.
    assert [h.name for h in parsed.headers][:2] == ["Received", "From"]
    assert "no_transport_headers" not in codes(parsed)
    assert parsed.defects == ()


def test_japanese_subject_from_transport_headers() -> None:
    subject = "請求書の件について"
    word = "=?UTF-8?B?" + base64.b64encode(subject.encode()).decode() + "?="
    headers = TRANSPORT.replace("Subject: Invoice 2022-0311", f"Subject: {word}")
    parsed = parse(build(subject=subject, transport_headers=headers))
    assert parsed.subject == subject


def test_display_name_holding_another_address_stays_a_name() -> None:
    headers = TRANSPORT.replace(
        "From: Partner Billing <billing@partner.example>",
        'From: "taro@corp.co.jp" <x@hacked.example>',
    )
    parsed = parse(build(transport_headers=headers))
    assert parsed.from_ == Address(display_name="taro@corp.co.jp", addr="x@hacked.example")


def test_missing_transport_headers_fall_back_to_properties_with_a_defect() -> None:
    data = build(
        transport_headers=None,
        subject="会議室の予約",
        sender_name="佐藤 花子",
        sender_email="sato@corp.example.co.jp",
        to=(("鈴木 圭", "suzuki@corp.example.co.jp"),),
        cc=(),
    )
    parsed = parse(data)
    [defect] = [d for d in parsed.defects if d.code == "no_transport_headers"]
    assert defect.location == "message"
    assert parsed.from_ == Address(display_name="佐藤 花子", addr="sato@corp.example.co.jp")
    assert parsed.summary.to == (Address(display_name="鈴木 圭", addr="suzuki@corp.example.co.jp"),)
    assert parsed.summary.cc == ()
    assert parsed.subject == "会議室の予約"
    assert parsed.summary.message_id == "<inv-0311@partner.example>"
    assert parsed.summary.date == "Mon, 14 Mar 2022 07:40:51 +0000"
    assert parsed.summary.received == ()
    assert {h.name for h in parsed.headers} == {"From", "To", "Subject", "Date", "Message-ID"}


def test_property_sender_name_with_quotes_is_kept_verbatim() -> None:
    parsed = parse(build(transport_headers=None, sender_name='a "b" <c@d.example>'))
    assert parsed.from_ == Address(display_name='a "b" <c@d.example>', addr="props@partner.example")


def test_location_prefix_is_applied() -> None:
    parsed = parse_msg(build(transport_headers=None), Budget(DEFAULT), "part 2 > ")
    assert any(d.location == "part 2 > message" for d in parsed.defects)


# --- bodies and attachments -------------------------------------------------------------


def test_bodies_and_attachments_become_leaves() -> None:
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 20  # large enough for a regular FAT stream
    data = build(
        body="本文です。\r\n",
        html_body=b'<html><head><meta charset="utf-8"></head><body>\xe6\x9c\xac\xe6\x96\x87</body>',
        attachments=(
            ("請求書_0311.pdf", "Application/PDF", pdf),
            ("noname", "", b"raw"),
        ),
    )
    parsed = parse(data)
    plain, html = parsed.bodies
    assert (plain.location, plain.mime_type, plain.text) == ("body", "text/plain", "本文です。\r\n")
    assert (html.location, html.mime_type) == ("html", "text/html")
    assert "本文" in html.text and html.charset == "utf-8"
    body_leaf, html_leaf, pdf_leaf, raw_leaf = parsed.leaves
    assert (body_leaf.path, body_leaf.disposition, body_leaf.declared_type) == (
        "body",
        "body",
        "text/plain",
    )
    assert body_leaf.data == "本文です。\r\n".encode()
    assert (html_leaf.path, html_leaf.declared_type) == ("html", "text/html")
    assert (pdf_leaf.path, pdf_leaf.filename, pdf_leaf.declared_type, pdf_leaf.data) == (
        "1",
        "請求書_0311.pdf",
        "application/pdf",
        pdf,
    )
    assert pdf_leaf.disposition == "attachment" and not pdf_leaf.is_message
    assert (raw_leaf.path, raw_leaf.declared_type, raw_leaf.data) == (
        "2",
        "application/octet-stream",
        b"raw",
    )


def test_html_charset_from_meta_and_from_internet_cpid() -> None:
    text = "ご確認ください"
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset=shift_jis">{text}'
    parsed = parse(build(html_body=meta.encode("cp932")))
    assert text in parsed.bodies[1].text
    parsed = parse(build(html_body=f"<p>{text}</p>".encode("cp932"), internet_cpid=932))
    assert text in parsed.bodies[1].text


def test_embedded_msg_is_a_reparseable_message_leaf() -> None:
    inner_inner = build(subject="Innermost", transport_headers=None)
    inner = build(
        subject="Inner message",
        embedded=(("deeper", inner_inner),),
        attachments=(("x.bin", "", b"\x00\x01"),),
    )
    parsed = parse(build(embedded=(("Fwd: Inner message", inner),)))
    [leaf] = [leaf for leaf in parsed.leaves if leaf.is_message]
    assert leaf.path == "1" and leaf.filename == "Fwd: Inner message"
    assert looks_like_msg(leaf.data)
    again = parse(leaf.data)
    assert again.subject == "Invoice 2022-0311"  # from the inner transport headers
    assert [x.data for x in again.leaves if x.path == "1"] == [b"\x00\x01"]
    [deeper] = [x for x in again.leaves if x.is_message]
    assert parse(deeper.data).header("Subject") == "Innermost"


def test_budget_parts_and_bytes_are_respected() -> None:
    data = build(attachments=tuple((f"{i}.txt", "text/plain", b"x" * 100) for i in range(5)))
    budget = Budget(dataclasses.replace(DEFAULT, max_parts=3))
    parsed = parse(data, budget)
    assert [leaf.path for leaf in parsed.leaves if not leaf.skipped] == ["body", "1", "2"]
    # Past the bound the files are listed by name, never read.
    listed = [leaf for leaf in parsed.leaves if leaf.skipped]
    assert [(leaf.path, leaf.filename, leaf.data) for leaf in listed] == [
        ("3", "2.txt", b""),
        ("4", "3.txt", b""),
        ("5", "4.txt", b""),
    ]
    assert [hit.name for hit in budget.hits] == ["max_parts"]

    budget = Budget(dataclasses.replace(DEFAULT, max_total_bytes=150))
    parsed = parse(data, budget)
    kept = [leaf for leaf in parsed.leaves if not leaf.truncated]
    assert [leaf.path for leaf in kept] == ["body", "1"]
    assert all(leaf.data == b"" for leaf in parsed.leaves if leaf.truncated)


# --- hostile and wrong input -------------------------------------------------------------


def _other_ole() -> bytes:
    writer = OleWriter()
    writer.addEntry(["WordDocument"], data=b"\x00" * 5000)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_looks_like_msg() -> None:
    assert looks_like_msg(build())
    assert not looks_like_msg(b"")
    assert not looks_like_msg(b"From: a@b.example\r\n\r\nhello")
    assert not looks_like_msg(_other_ole())
    assert not looks_like_msg(build()[:1000])


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not ole at all",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\xff" * 5000,
    ],
)
def test_unreadable_input_raises_value_error(data: bytes) -> None:
    with pytest.raises(ValueError, match=r"not an Outlook \.msg file"):
        parse(data)


def test_other_ole_document_is_not_a_message() -> None:
    with pytest.raises(ValueError, match="without MAPI properties"):
        parse(_other_ole())


def test_damaged_messages_give_a_result_or_value_error_only() -> None:
    original = build(
        html_body=b"<p>hi</p>",
        attachments=(("a.bin", "application/octet-stream", bytes(range(256)) * 30),),
        embedded=(("inner", build(subject="inner")),),
    )
    rng = random.Random(20220314)
    outcomes = set()
    for _ in range(150):
        damaged = bytearray(original)
        if rng.random() < 0.3:
            damaged = damaged[: rng.randrange(len(damaged))]
        else:
            for _ in range(rng.randrange(1, 40)):
                damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        try:
            parsed = parse(bytes(damaged))
        except ValueError:
            outcomes.add("error")
        else:
            assert isinstance(parsed, ParsedMessage)
            outcomes.add("parsed")
        looks_like_msg(bytes(damaged))  # never raises either
    assert outcomes == {"error", "parsed"}


# --- the real corpus ---------------------------------------------------------------------


def test_corpus_parses_or_raises_value_error_and_embedded_messages_reparse() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"third-party corpus not present: {CORPUS}")
    files = sorted(CORPUS.rglob("*.msg"))
    assert files
    parsed_count = embedded = with_headers = 0
    for path in files:
        try:
            parsed = parse(path.read_bytes())
        except ValueError:
            continue
        parsed_count += 1
        with_headers += "no_transport_headers" not in codes(parsed)
        for leaf in parsed.leaves:
            if leaf.is_message:
                embedded += 1
                assert leaf.data, f"{path.name} part {leaf.path}"
                assert isinstance(parse(leaf.data), ParsedMessage), path.name
    assert parsed_count == len(files)  # every corpus file is a readable .msg
    assert embedded > 0
    assert 0 < with_headers < parsed_count
