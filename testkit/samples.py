"""Generate the bundled `samples/` deterministically (fixed dates, ids and boundaries).

    python tools/make_samples.py [OUTDIR]      # default: samples/

A test regenerates them and compares byte for byte, so a change here must be followed by
running this script and committing the result. Every name, address and domain is
invented (example domains and documentation IP ranges).
"""

from __future__ import annotations

import base64
from email.header import Header
from pathlib import Path

from testkit.msg_writer import build_msg
from testkit.office import (
    DROPPER_MACRO,
    build_docm,
    build_vba_project,
    build_xlsm,
)

CRLF = "\r\n"


def jis_ms(text: str) -> bytes:
    """ISO-2022-JP in the CP50220 flavour: cp932 characters (①, ㈱) written as JIS pairs."""
    out = bytearray()
    in_kanji = False
    for char in text:
        if ord(char) < 0x80:
            if in_kanji:
                out += b"\x1b(B"
                in_kanji = False
            out += char.encode("ascii")
            continue
        lead, trail = char.encode("cp932")
        # Shift_JIS to JIS X 0208 row/cell arithmetic.
        lead -= 0x70 if lead < 0xA0 else 0xB0
        lead *= 2
        if trail >= 0x9F:
            trail -= 0x7E
        else:
            lead -= 1
            trail -= 0x1F if trail < 0x80 else 0x20
        if not in_kanji:
            out += b"\x1b$B"
            in_kanji = True
        out += bytes((lead, trail))
    if in_kanji:
        out += b"\x1b(B"
    return bytes(out)


def word(text: str, charset: str = "utf-8") -> str:
    """An RFC 2047 encoded word (B encoding) for a header."""
    if charset == "iso-2022-jp-ms":
        return f"=?ISO-2022-JP?B?{base64.b64encode(jis_ms(text)).decode()}?="
    return Header(text, charset).encode(linesep=CRLF)


def b64(data: bytes) -> str:
    return base64.encodebytes(data).decode("ascii").replace("\n", CRLF)


def headers(*pairs: tuple[str, str]) -> str:
    return "".join(f"{name}: {value}{CRLF}" for name, value in pairs)


def part(content_type: str, body: str, *extra: tuple[str, str], encoding: str = "7bit") -> str:
    return (
        headers(("Content-Type", content_type), ("Content-Transfer-Encoding", encoding), *extra)
        + CRLF
        + body
    )


def multipart(kind: str, boundary: str, parts: list[str]) -> str:
    inner = "".join(f"--{boundary}{CRLF}{p}{CRLF}" for p in parts)
    return f'multipart/{kind}; boundary="{boundary}"', inner + f"--{boundary}--{CRLF}"


def message(head: str, content_type: str, body: str, encoding: str = "7bit") -> bytes:
    top = head + headers(
        ("MIME-Version", "1.0"),
        ("Content-Type", content_type),
        ("Content-Transfer-Encoding", encoding),
    )
    return (top + CRLF + body).encode("ascii")


def text_jis(text: str) -> str:
    return jis_ms(text.replace("\n", CRLF)).decode("ascii")


# --- the samples -----------------------------------------------------------------------

THREAD_JA = (
    "佐藤様\n\nお世話になっております。\nご依頼の請求書を添付いたしますのでご確認ください。\n\n"
    "-----Original Message-----\n"
    "From: 佐藤 花子 <sato@corp.example.co.jp>\n"
    "Sent: Monday, February 28, 2022 5:12 PM\n"
    "To: 山田 太郎 <yamada@partner.example.jp>\n"
    "Subject: 見積書の件\n\n"
    "山田様\n\n先日の見積書について、請求書の発行をお願いいたします。\n\n佐藤\n"
)


def hijacked_reply_macro() -> bytes:
    docm = build_docm(build_vba_project(document_code=DROPPER_MACRO), text="Seikyusho")
    head = headers(
        ("Return-Path", "<ohno.k@hacked-shop.example>"),
        (
            "Received",
            "from mail.hacked-shop.example (mail.hacked-shop.example [203.0.113.45]) "
            "by mx.corp.example.co.jp (Postfix) with ESMTPS id 4K7Qx1; "
            "Tue, 1 Mar 2022 09:14:03 +0900",
        ),
        ("From", f'"{word("山田 太郎 <yamada@partner.example.jp>")}" <ohno.k@hacked-shop.example>'),
        ("To", f"{word('佐藤 花子', 'iso-2022-jp')} <sato@corp.example.co.jp>"),
        ("Subject", word("RE: 見積書の件", "iso-2022-jp")),
        ("Date", "Tue, 01 Mar 2022 09:13:58 +0900"),
        ("Message-ID", "<20220301091358.7731@hacked-shop.example>"),
        ("In-Reply-To", "<20220228171200.1142@corp.example.co.jp>"),
        ("References", "<20220228171200.1142@corp.example.co.jp>"),
    )
    ctype, body = multipart(
        "mixed",
        "=_sample1_boundary",
        [
            part('text/plain; charset="ISO-2022-JP"', text_jis(THREAD_JA)),
            part(
                "application/vnd.ms-word.document.macroEnabled.12",
                b64(docm),
                (
                    "Content-Disposition",
                    "attachment; filename*=UTF-8''%E8%AB%8B%E6%B1%82%E6%9B%B8_0301.docm",
                ),
                encoding="base64",
            ),
        ],
    )
    return message(head, ctype, body)


def display_name_address() -> bytes:
    head = headers(
        ("From", '"billing@supplier.example" <noreply@mailer.hacked.example>'),
        ("To", "Alex Morgan <alex.morgan@corp.example.com>"),
        ("Subject", "Overdue invoice 2022-0311: action required"),
        ("Date", "Fri, 11 Mar 2022 08:02:11 +0000"),
        ("Message-ID", "<c0ffee.20220311080211@mailer.hacked.example>"),
    )
    body = (
        "Hello Alex,\r\n\r\nOur records show invoice 2022-0311 is overdue. "
        "Please settle it today\r\n"
        "using the updated bank details we will send on request.\r\n\r\nBilling team\r\n"
    )
    return message(head, 'text/plain; charset="us-ascii"', body)


def genuine_reply() -> bytes:
    text = (
        "佐藤様\n\nお世話になっております。山田です。\n見積書を添付いたします。ご確認のほどよろしくお願いいたします。\n\n"
        "2022年2月27日(日) 16:00 佐藤 花子 <sato@corp.example.co.jp>:\n"
        "> 山田様\n> 先日の件、見積書をお送りいただけますでしょうか。\n> 佐藤\n"
    ).replace("\n", CRLF)
    pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    head = headers(
        ("From", f"{word('山田 太郎', 'iso-2022-jp')} <yamada@partner.example.jp>"),
        ("To", f"{word('佐藤 花子', 'iso-2022-jp')} <sato@corp.example.co.jp>"),
        ("Subject", word("Re: 見積書の件", "iso-2022-jp")),
        ("Date", "Mon, 28 Feb 2022 10:03:00 +0900"),
        ("Message-ID", "<20220228100300.5521@partner.example.jp>"),
        ("In-Reply-To", "<20220227160000.0042@corp.example.co.jp>"),
        ("References", "<20220227160000.0042@corp.example.co.jp>"),
    )
    ctype, body = multipart(
        "mixed",
        "=_sample3_boundary",
        [
            part('text/plain; charset="Shift_JIS"', b64(text.encode("cp932")), encoding="base64"),
            part(
                f'application/pdf; name="{word("見積書.pdf", "iso-2022-jp")}"',
                b64(pdf),
                (
                    "Content-Disposition",
                    f'attachment; filename="{word("見積書.pdf", "iso-2022-jp")}"',
                ),
                encoding="base64",
            ),
        ],
    )
    return message(head, ctype, body)


def newsletter() -> bytes:
    plain = "Monthly product news\r\n\r\nRead online: https://news.example.org/2022/03\r\n"
    html = (
        "<html><body><h1>Monthly product news</h1>"
        '<p><a href="https://news.example.org/2022/03">Read online</a></p></body></html>\r\n'
    )
    head = headers(
        ("From", "Example News <news@news.example.org>"),
        ("To", "alex.morgan@corp.example.com"),
        ("Subject", "Product news, March 2022"),
        ("Date", "Tue, 01 Mar 2022 00:00:00 +0000"),
        ("Message-ID", "<news-2022-03@news.example.org>"),
        ("List-Id", "Example News <news.example.org>"),
        ("List-Unsubscribe", "<https://news.example.org/unsubscribe?u=42>"),
    )
    ctype, body = multipart(
        "alternative",
        "=_sample4_boundary",
        [
            part('text/plain; charset="us-ascii"', plain),
            part('text/html; charset="us-ascii"', html),
        ],
    )
    return message(head, ctype, body)


def forwarded_invoice() -> bytes:
    xlsm = build_xlsm(
        build_vba_project(
            host="excel", document_code=DROPPER_MACRO.replace("Document_Open", "Workbook_Open")
        )
    )
    inner_head = headers(
        ("From", "Payables <payables@vendor.example>"),
        ("To", "jordan.lee@corp.example.com"),
        ("Subject", "Scanned invoice"),
        ("Date", "Wed, 02 Mar 2022 11:00:00 +0000"),
        ("Message-ID", "<scan-0302@vendor.example>"),
    )
    ctype, inner_body = multipart(
        "mixed",
        "=_inner_boundary",
        [
            part('text/plain; charset="us-ascii"', "Please see the scanned invoice.\r\n"),
            part(
                'image/jpeg; name="scan_0302.jpg"',
                b64(xlsm),
                ("Content-Disposition", 'attachment; filename="scan_0302.jpg"'),
                encoding="base64",
            ),
        ],
    )
    inner = message(inner_head, ctype, inner_body).decode("ascii")
    head = headers(
        ("From", "Jordan Lee <jordan.lee@corp.example.com>"),
        ("To", "Security Desk <security@corp.example.com>"),
        ("Subject", "Fwd: Scanned invoice"),
        ("Date", "Wed, 02 Mar 2022 11:20:00 +0000"),
        ("Message-ID", "<fwd-0302@corp.example.com>"),
    )
    ctype, body = multipart(
        "mixed",
        "=_sample5_boundary",
        [
            part(
                'text/plain; charset="us-ascii"', "Is this one safe? It came from a new vendor.\r\n"
            ),
            part(
                "message/rfc822",
                inner,
                ("Content-Disposition", 'attachment; filename="Scanned invoice.eml"'),
            ),
        ],
    )
    return message(head, ctype, body)


def cp50220_notice() -> bytes:
    text = (
        "各位\n\n①健康診断のお知らせ\n②株式会社と㈱の表記統一について\n"
        "日時：３月１０日（木）～１１日（金）\n\n総務部\n"
    )
    head = headers(
        ("From", f"{word('総務部', 'iso-2022-jp')} <soumu@corp.example.co.jp>"),
        ("To", "all@corp.example.co.jp"),
        ("Subject", word("①健康診断と㈱表記のお知らせ", "iso-2022-jp-ms")),
        ("Date", "Thu, 03 Mar 2022 13:00:00 +0900"),
        ("Message-ID", "<notice-0303@corp.example.co.jp>"),
    )
    return message(head, 'text/plain; charset="ISO-2022-JP"', text_jis(text))


def malformed() -> bytes:
    head = headers(
        ("From", "Old Mailer <old@legacy.example>"),
        ("To", '"'),
        ("Subject", "=?x-unknown?B?SGVsbG8=?= broken"),
        ("Date", "not a date"),
    )
    ctype = 'multipart/mixed; boundary="never-closed"'
    body = (
        "--never-closed\r\nContent-Type: text/plain\r\n\r\nBody text.\r\n"
        "--never-closed\r\nContent-Type: application/octet-stream\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        'Content-Disposition: attachment; filename="data.bin"\r\n\r\n'
        "SGVsbG8gd29ybGQ!!!*\r\n"
    )
    return message(head, ctype, body)


MEMO_JA = "本日の定例会議のメモです。\r\nFrom now on, minutes go to the shared folder.\r\n"


def mailbox() -> bytes:
    first = (
        headers(
            ("From", "Kei Suzuki <suzuki@corp.example.co.jp>"),
            ("To", "team@corp.example.co.jp"),
            ("Subject", word("定例会議のメモ", "iso-2022-jp")),
            ("Date", "Mon, 07 Mar 2022 18:00:00 +0900"),
            ("Message-ID", "<memo-0307@corp.example.co.jp>"),
            ("MIME-Version", "1.0"),
            ("Content-Type", 'text/plain; charset="EUC-JP"'),
            ("Content-Transfer-Encoding", "base64"),
        )
        + CRLF
        + b64(MEMO_JA.encode("euc_jp"))
    )
    second = display_name_address().decode("ascii")
    third = (
        headers(
            ("From", "Kei Suzuki <suzuki@corp.example.co.jp>"),
            ("To", "team@corp.example.co.jp"),
            ("Subject", "Lunch on Friday"),
            ("Date", "Tue, 08 Mar 2022 12:00:00 +0900"),
            ("Message-ID", "<lunch-0308@corp.example.co.jp>"),
        )
        + CRLF
        + "Shall we meet at noon?\r\n>From the usual place, as always.\r\n"
    )
    entries = [
        ("suzuki@corp.example.co.jp Mon Mar  7 09:00:00 2022", first),
        ("noreply@mailer.hacked.example Fri Mar 11 08:02:11 2022", second),
        ("suzuki@corp.example.co.jp Tue Mar  8 03:00:00 2022", third),
    ]
    text = "".join(f"From {line}\n{body.replace(CRLF, chr(10))}\n" for line, body in entries)
    return text.encode("ascii")


def outlook_saved() -> bytes:
    transport = headers(
        (
            "Received",
            "from smtp.hacked.example ([198.51.100.23]) by mx.corp.example.com with ESMTP; "
            "Mon, 14 Mar 2022 07:41:00 +0000",
        ),
        ("From", '"taro.yamada@partner.example.jp" <s.admin@hacked.example>'),
        ("To", "Alex Morgan <alex.morgan@corp.example.com>"),
        ("Subject", "RE: Updated price list"),
        ("Date", "Mon, 14 Mar 2022 07:40:51 +0000"),
        ("Message-ID", "<pricelist-0314@hacked.example>"),
        ("MIME-Version", "1.0"),
    )
    return build_msg(
        subject="RE: Updated price list",
        sender_name="taro.yamada@partner.example.jp",
        sender_email="s.admin@hacked.example",
        to=(("Alex Morgan", "alex.morgan@corp.example.com"),),
        body="Hi Alex,\r\n\r\nPlease find the updated price list attached.\r\n\r\nTaro\r\n",
        transport_headers=transport,
        message_id="<pricelist-0314@hacked.example>",
        attachments=(
            ("price_list.csv", "text/csv", b"item,price\r\nA-100,1200\r\nB-200,3400\r\n"),
        ),
    )


def outlook_draft() -> bytes:
    return build_msg(
        subject="会議室の予約",
        sender_name="佐藤 花子",
        sender_email="sato@corp.example.co.jp",
        to=(("鈴木 圭", "suzuki@corp.example.co.jp"),),
        body="鈴木さん\r\n\r\n来週の会議室を予約しました。\r\n\r\n佐藤\r\n",
        transport_headers=None,
        message_id="<draft-0315@corp.example.co.jp>",
    )


SAMPLES = {
    "01-hijacked-reply-macro.ja.eml": hijacked_reply_macro,
    "02-display-name-address.en.eml": display_name_address,
    "03-genuine-reply.ja.eml": genuine_reply,
    "04-newsletter.en.eml": newsletter,
    "05-forwarded-invoice.en.eml": forwarded_invoice,
    "06-cp50220-notice.ja.eml": cp50220_notice,
    "07-malformed.eml": malformed,
    "08-mailbox.mbox": mailbox,
    "09-outlook-saved.en.msg": outlook_saved,
    "10-outlook-draft.ja.msg": outlook_draft,
}


def build_all() -> dict[str, bytes]:
    return {name: make() for name, make in SAMPLES.items()}


def main(argv: list[str]) -> int:
    outdir = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[1] / "samples"
    outdir.mkdir(parents=True, exist_ok=True)
    for name, data in build_all().items():
        (outdir / name).write_bytes(data)
    return 0
