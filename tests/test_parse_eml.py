"""RFC 5322 / MIME parsing on real-world shapes: Japanese charsets, malformed input."""

from __future__ import annotations

import base64

from conftest import eml
from mailparser import parse_from_bytes
from mailparser.version import __version__ as mailparser_version

from mailcheck.limits import DEFAULT, Budget
from mailcheck.parse import detect_format, parse_message
from mailcheck.parse.eml import parse_eml
from mailcheck.parse.types import ParsedMessage
from testkit.samples import jis_ms


def parse(data: bytes) -> ParsedMessage:
    return parse_eml(data, Budget(DEFAULT))


def codes(message: ParsedMessage) -> set[str]:
    return {d.code for d in message.defects}


def b64word(text: str, charset: str, raw: bytes | None = None) -> str:
    data = raw if raw is not None else text.encode(charset)
    return f"=?{charset}?B?{base64.b64encode(data).decode()}?="


JA_BODY = "お世話になっております。見積書をお送りします。\r\n"


def iso2022jp_message() -> bytes:
    body = JA_BODY.encode("iso2022_jp")
    head = (
        b"From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@partner.example.jp>\r\n"
        b"To: sato@corp.example.co.jp\r\nSubject: test\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n"
        b"Content-Transfer-Encoding: 7bit\r\n\r\n"
    )
    return head + body


def test_iso2022jp_7bit_body_is_decoded_not_left_as_escape_sequences() -> None:
    message = parse(iso2022jp_message())
    assert message.bodies[0].text == JA_BODY
    assert "\x1b" not in message.bodies[0].text
    assert message.from_ is not None and message.from_.display_name == "山田"


def test_mail_parser_would_leave_escape_sequences_so_bodies_never_come_from_it() -> None:
    """mail-parser 4.8.0 returns ISO-2022-JP escapes; if it ever stops, this shows it."""
    theirs = parse_from_bytes(iso2022jp_message()).body
    ours = parse(iso2022jp_message()).bodies[0].text
    assert ours == JA_BODY
    if mailparser_version == "4.8.0":
        # The reason for the rule: this release hands back the undecoded 7bit bytes.
        assert "\x1b$B" in theirs and "見積書" not in theirs


def test_cp50220_subject_and_body_keep_cp932_characters() -> None:
    text = "①会議と㈱の表記"
    subject = f"=?ISO-2022-JP?B?{base64.b64encode(jis_ms(text)).decode()}?="
    head = f"From: a@b.example\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\n"
    head += "Content-Type: text/plain; charset=iso-2022-jp\r\n\r\n"
    message = parse(head.encode() + jis_ms(text + "\r\n"))
    assert message.subject == text
    assert message.bodies[0].text == text + "\r\n"


def test_shift_jis_mislabelled_as_latin1_is_repaired_and_reported() -> None:
    body = base64.b64encode("請求書を添付します".encode("cp932")).decode()
    data = eml(
        "From: a@b.example",
        "Subject: x",
        body=body,
        content_type="text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: base64",
    )
    message = parse(data)
    assert message.bodies[0].text == "請求書を添付します"
    assert "charset_mislabelled" in codes(message)


def test_euc_jp_and_utf8_bodies() -> None:
    for charset, codec in (("EUC-JP", "euc_jp"), ("UTF-8", "utf-8"), ("Shift_JIS", "cp932")):
        body = base64.b64encode("本日の定例会議".encode(codec)).decode()
        data = eml(
            "From: a@b.example",
            body=body,
            content_type=f"text/plain; charset={charset}\r\nContent-Transfer-Encoding: base64",
        )
        assert parse(data).bodies[0].text == "本日の定例会議", charset


def test_rfc2047_display_name_with_address_stays_in_the_name() -> None:
    name = b64word("山田 太郎 <yamada@partner.example.jp>", "utf-8")
    message = parse(eml(f'From: "{name}" <x@hacked.example>'))
    assert message.from_ is not None
    assert message.from_.display_name == "山田 太郎 <yamada@partner.example.jp>"
    assert message.from_.addr == "x@hacked.example"


def test_attachment_names_rfc2231_and_rfc2047() -> None:
    parts = (
        "--B\r\nContent-Type: text/plain\r\n\r\nbody\r\n"
        "--B\r\nContent-Type: application/pdf\r\n"
        "Content-Disposition: attachment; filename*=UTF-8''%E8%AB%8B%E6%B1%82%E6%9B%B8.pdf\r\n\r\n"
        "%PDF-1.4\r\n"
        '--B\r\nContent-Type: application/pdf; name="'
        + b64word("見積書.pdf", "iso-2022-jp")
        + '"\r\n\r\n%PDF-1.4\r\n'
        "--B\r\nContent-Type: application/pdf\r\n"
        "Content-Disposition: attachment; filename*=iso-2022-jp''"
        + "".join(f"%{b:02X}" for b in "注文書.pdf".encode("iso2022_jp"))
        + "\r\n\r\n%PDF-1.4\r\n--B--\r\n"
    )
    message = parse(
        eml("From: a@b.example", body=parts, content_type='multipart/mixed; boundary="B"')
    )
    names = [leaf.filename for leaf in message.leaves if leaf.disposition != "body"]
    assert names == ["請求書.pdf", "見積書.pdf", "注文書.pdf"]


def test_to_with_lone_quote_does_not_raise_and_other_fields_survive() -> None:
    message = parse(eml("From: Taro <taro@corp.example>", 'To: "', "Subject: still here"))
    assert message.subject == "still here"
    assert message.from_ is not None and message.from_.addr == "taro@corp.example"
    assert message.summary.to == ()


def test_missing_from_is_a_defect_not_an_error() -> None:
    message = parse(eml("Subject: no sender", "Date: Tue, 1 Mar 2022 09:00:00 +0900"))
    assert message.from_ is None
    assert "from_missing" in codes(message)


def test_bad_boundary_and_broken_base64_are_defects() -> None:
    body = (
        "--never-closed\r\nContent-Type: text/plain\r\n\r\nBody text.\r\n"
        "--never-closed\r\nContent-Type: application/octet-stream\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\nSGVsbG8gd29ybGQ!!!*\r\n"
    )
    message = parse(
        eml("From: a@b.example", body=body, content_type='multipart/mixed; boundary="never-closed"')
    )
    found = codes(message)
    assert "close_boundary_not_found" in found
    assert message.bodies[0].text.startswith("Body text.")
    assert len(message.leaves) == 2


def test_crlf_and_lf_give_the_same_message() -> None:
    crlf = iso2022jp_message()
    lf = crlf.replace(b"\r\n", b"\n")
    a, b = parse(crlf), parse(lf)
    assert a.from_ == b.from_
    assert a.bodies[0].text.replace("\r\n", "\n") == b.bodies[0].text.replace("\r\n", "\n")


def test_received_chain_is_parsed_first_hop_first() -> None:
    data = eml(
        "Received: from mx.corp.example (mx.corp.example [192.0.2.1])\r\n"
        "\tby mailbox.corp.example (Postfix) with LMTP id 1A2B;\r\n"
        "\tTue, 1 Mar 2022 09:14:05 +0900",
        "Received: from mail.hacked-shop.example (mail.hacked-shop.example [203.0.113.45])"
        " by mx.corp.example (Postfix) with ESMTPS id 4K7Qx1; Tue, 1 Mar 2022 09:14:03 +0900",
        "From: a@b.example",
    )
    hops = parse(data).summary.received
    assert len(hops) == 2
    assert hops[0].from_host.startswith("mail.hacked-shop.example")
    assert hops[0].with_protocol == "ESMTPS"
    assert hops[1].by_host.startswith("mailbox.corp.example")
    assert hops[0].date.startswith("2022-03-01T00:14:03")


def test_detect_format() -> None:
    assert detect_format(b"From: a@b.example\r\nSubject: x\r\n\r\nhi") == "eml"
    assert detect_format(b"From a@b Mon Mar  7 09:00:00 2022\nFrom: a@b\n\nhi\n") == "mbox"
    assert detect_format(b"%PDF-1.4\n") is None
    assert detect_format(b"just some words: here\nand more\n") is None
    assert detect_format(b"") is None


def test_unix_from_line_in_single_eml_is_accepted() -> None:
    data = b"From someone@example Mon Mar  7 09:00:00 2022\nFrom: a@b.example\nSubject: x\n\nhi\n"
    message = parse_message(data, Budget(DEFAULT))
    assert message.subject == "x"


def test_long_header_block_before_from_is_still_a_message() -> None:
    padding = "".join(f"X-Filler-{i}: {'a' * 300}\r\n" for i in range(250))
    data = (padding + "From: a@b.example\r\nSubject: late\r\n\r\nbody\r\n").encode()
    assert detect_format(data[:65536]) == "eml"
    # One field line longer than the whole head: padding must not make it "not a message".
    one_long = ("X-Long: " + "b" * 70_000 + "\r\nFrom: a@b.example\r\n\r\nx").encode()
    assert detect_format(one_long[:65536]) == "eml"
    assert detect_format(b"key: value\nother: thing\n") is None
