"""Reply-thread messages built in code, and one case per thread finding id.

The builders write what real clients write: Outlook's "-----Original Message-----" and
"差出人: / 送信日時: / 宛先: / 件名:" blocks, Gmail's "On … wrote:" and "2022年2月28日(月)
17:12 … :" attribution lines, with fixed dates and ids. All names and domains are invented.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from email.header import Header

from mailcheck.limits import DEFAULT, Limits

# Not imported from cases.py: that module imports this one, and the tests import this first.
Case = Callable[[], tuple[bytes, Limits]]

CRLF = "\r\n"
Person = tuple[str, str]  # (display name, address); either may be ""

SATO: Person = ("佐藤 花子", "sato@corp.example.co.jp")
YAMADA: Person = ("山田 太郎", "yamada@partner.example.jp")
SUZUKI: Person = ("鈴木 一郎", "suzuki@corp.example.co.jp")
ALICE: Person = ("Alice Walker", "alice.walker@northwind.example.com")
BOB: Person = ("Bob Chen", "bob.chen@contoso.example.org")
CAROL: Person = ("Carol Diaz", "carol.diaz@northwind.example.com")
HIJACKED: Person = ("Ohno Kenji", "ohno.k@hacked-shop.example")


def _word(text: str) -> str:
    return text if text.isascii() else Header(text, "utf-8").encode()


def show(person: Person) -> str:
    """A person as a header value (a name with specials such as '@' is quoted)."""
    name, addr = person
    if not name:
        return addr
    if name.isascii() and any(c in name for c in '@<>,;:."()[]'):
        name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{_word(name)} <{addr}>" if addr else _word(name)


def quoted(person: Person) -> str:
    """A person as a quoted header shows it (Outlook drops the address of colleagues)."""
    name, addr = person
    if name and addr:
        return f"{name} <{addr}>"
    return name or addr


def outlook_en(
    sender: Person, to: Sequence[Person], subject: str, text: str, cc: Sequence[Person] = ()
) -> str:
    lines = [
        "-----Original Message-----",
        f"From: {quoted(sender)}",
        "Sent: Monday, February 28, 2022 5:12 PM",
        f"To: {'; '.join(quoted(p) for p in to)}",
    ]
    if cc:
        lines.append(f"Cc: {'; '.join(quoted(p) for p in cc)}")
    lines += [f"Subject: {subject}", "", text]
    return "\n".join(lines)


def outlook_ja(
    sender: Person, to: Sequence[Person], subject: str, text: str, cc: Sequence[Person] = ()
) -> str:
    lines = [
        f"差出人: {quoted(sender)}",
        "送信日時: 2022年2月28日 17:12",
        f"宛先: {'; '.join(quoted(p) for p in to)}",
    ]
    if cc:
        lines.append(f"CC: {'; '.join(quoted(p) for p in cc)}")
    lines += [f"件名: {subject}", "", text]
    return "\n".join(lines)


def gmail_en(sender: Person, text: str) -> str:
    quoted_text = "\n".join(f"> {line}" if line else ">" for line in text.split("\n"))
    return f"On Mon, Feb 28, 2022 at 5:12 PM {quoted(sender)} wrote:\n{quoted_text}"


def gmail_ja(sender: Person, text: str) -> str:
    quoted_text = "\n".join(f"> {line}" if line else ">" for line in text.split("\n"))
    return f"2022年2月28日(月) 17:12 {quoted(sender)}:\n{quoted_text}"


def forward_en(sender: Person, to: Sequence[Person], subject: str, text: str) -> str:
    return "\n".join(
        [
            "---------- Forwarded message ---------",
            f"From: {quoted(sender)}",
            "Date: Mon, Feb 28, 2022 at 5:12 PM",
            f"Subject: {subject}",
            f"To: {', '.join(quoted(p) for p in to)}",
            "",
            text,
        ]
    )


def forward_ja(sender: Person, to: Sequence[Person], subject: str, text: str) -> str:
    """Gmail in Japanese: a Japanese banner over English labels."""
    return "\n".join(
        [
            "---------- 転送されたメッセージ ---------",
            f"From: {quoted(sender)}",
            "Date: 2022年2月28日(月) 17:12",
            f"Subject: {subject}",
            f"To: {', '.join(quoted(p) for p in to)}",
            "",
            text,
        ]
    )


# Attribution lines as each client and language writes them ({who} is "Name <addr>").
ATTRIBUTION_LINES = {
    "en-gmail": "On Mon, Feb 28, 2022 at 5:12 PM {who} wrote:",
    "ja-gmail": "2022年2月28日(月) 17:12 {who}:",
    "en-outlook-mobile": "On Mon, Feb 28, 2022 at 5:12 PM +0900, {who} wrote:",
    "en-apple": "On Feb 28, 2022, at 17:12, {who} wrote:",
    "ja-apple": "2022/02/28 17:12、{who}のメール:",
    "de-gmail": "Am Mo., 28. Feb. 2022 um 17:12 Uhr schrieb {who}:",
    "fr-gmail": "Le lun. 28 févr. 2022 à 17:12, {who} a écrit :",
    "es-gmail": "El lun, 28 feb 2022 a las 17:12, {who} escribió:",
    "it-gmail": "Il giorno lun 28 feb 2022 alle ore 17:12 {who} ha scritto:",
    "pt-gmail": "Em seg., 28 de fev. de 2022 às 17:12, {who} escreveu:",
    "nl-gmail": "Op ma 28 feb. 2022 om 17:12 schreef {who}:",
    "zh-gmail": "{who} 于2022年2月28日周一 17:12写道：",
    "ko-gmail": "2022년 2월 28일 (월) 오후 5:12, {who}님이 작성:",
}


def attributed(style: str, sender: Person, text: str) -> str:
    """`text` quoted under the attribution line of `style` (a key of ATTRIBUTION_LINES)."""
    line = ATTRIBUTION_LINES[style].format(who=quoted(sender))
    quoted_text = "\n".join(f"> {line}" if line else ">" for line in text.split("\n"))
    return f"{line}\n{quoted_text}"


# Outlook's quoted header labels: From, Sent, To, Subject.
OUTLOOK_LABELS = {
    "de": ("Von", "Gesendet", "An", "Betreff", "Montag, 28. Februar 2022 17:12"),
    "fr": ("De ", "Envoyé ", "À ", "Objet ", "lundi 28 février 2022 17:12"),
    "es": ("De", "Enviado el", "Para", "Asunto", "lunes, 28 de febrero de 2022 17:12"),
    "it": ("Da", "Inviato", "A", "Oggetto", "lunedì 28 febbraio 2022 17:12"),
    "pt": ("De", "Enviada em", "Para", "Assunto", "segunda-feira, 28 de fevereiro de 2022 17:12"),
    "nl": ("Van", "Verzonden", "Aan", "Onderwerp", "maandag 28 februari 2022 17:12"),
    "zh": ("发件人", "发送时间", "收件人", "主题", "2022年2月28日 17:12"),
    "ko": ("보낸 사람", "보낸 날짜", "받는 사람", "제목", "2022년 2월 28일 월요일 오후 5:12"),
}


def outlook_lang(lang: str, sender: Person, to: Sequence[Person], subject: str, text: str) -> str:
    """Outlook's quoted header block under its rule of underscores, labelled in `lang`."""
    from_, sent, to_, subject_, date = OUTLOOK_LABELS[lang]
    lines = [
        "________________________________",
        f"{from_}: {quoted(sender)}",
        f"{sent}: {date}",
        f"{to_}: {'; '.join(quoted(p) for p in to)}",
        f"{subject_}: {subject}",
        "",
        text,
    ]
    return "\n".join(lines)


def _b64(data: bytes) -> str:
    return base64.encodebytes(data).decode("ascii").replace("\n", CRLF)


def _text_part(text: str, subtype: str = "plain") -> str:
    return (
        f"Content-Type: text/{subtype}; charset=utf-8{CRLF}"
        f"Content-Transfer-Encoding: base64{CRLF}{CRLF}"
        + _b64(text.replace("\n", CRLF).encode("utf-8"))
    )


def build(
    *,
    sender: Person,
    to: Sequence[Person],
    subject: str,
    body: str,
    cc: Sequence[Person] = (),
    reply: bool = True,
    headers: Sequence[tuple[str, str]] = (),
    parts: Sequence[str] = (),
    content_type: str = "",
    subtype: str = "plain",
) -> bytes:
    """A message; `reply` adds In-Reply-To / References, `parts` more MIME parts after the
    text, `content_type` replaces the top-level type (a report, an invitation), `subtype`
    "html" makes the body HTML."""
    head = [
        ("From", show(sender)),
        ("To", ", ".join(show(p) for p in to)),
        *([("Cc", ", ".join(show(p) for p in cc))] if cc else []),
        ("Subject", _word(subject)),
        ("Date", "Tue, 01 Mar 2022 09:13:58 +0900"),
        ("Message-ID", "<20220301091358.7731@mail.example>"),
    ]
    if reply:
        head += [
            ("In-Reply-To", "<20220228171200.1142@mail.example>"),
            ("References", "<20220228171200.1142@mail.example>"),
        ]
    head += [*headers, ("MIME-Version", "1.0")]
    if parts or content_type:
        boundary = "=_thread_case_boundary"
        top = content_type or "multipart/mixed"
        head.append(("Content-Type", f'{top}; boundary="{boundary}"'))
        chunks = [_text_part(body, subtype), *parts]
        payload = "".join(f"--{boundary}{CRLF}{chunk}{CRLF}" for chunk in chunks)
        payload += f"--{boundary}--{CRLF}"
    else:
        head += [
            ("Content-Type", f"text/{subtype}; charset=utf-8"),
            ("Content-Transfer-Encoding", "base64"),
        ]
        payload = _b64(body.replace("\n", CRLF).encode("utf-8"))
    text = "".join(f"{name}: {value}{CRLF}" for name, value in head) + CRLF + payload
    return text.encode("utf-8")


def outlook_html_ja(sender: Person, to: Sequence[Person], subject: str, text: str) -> str:
    """Outlook's HTML reply: the quoted header sits in a bordered <div>, names in <b>."""

    def people(group: Sequence[Person]) -> str:
        return "; ".join(quoted(p).replace("<", "&lt;").replace(">", "&gt;") for p in group)

    return (
        '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0mm 0mm 0mm">'
        f'<p class="MsoNormal"><b>差出人:</b> {people([sender])}<br>'
        "<b>送信日時:</b> 2022年2月28日 17:12<br>"
        f"<b>宛先:</b> {people(to)}<br><b>件名:</b> {subject}</p></div>"
        f'<p class="MsoNormal">{text.replace(chr(10), "<br>")}</p>'
    )


def attachment(data: bytes, filename: str, content_type: str) -> str:
    return (
        f'Content-Type: {content_type}; name="{filename}"{CRLF}'
        f"Content-Transfer-Encoding: base64{CRLF}"
        f'Content-Disposition: attachment; filename="{filename}"{CRLF}{CRLF}' + _b64(data)
    )


# --- one thread of each language ----------------------------------------------------------

ASK_JA = "山田様\n\n先日の見積書について、請求書の発行をお願いいたします。\n\n佐藤"
REPLY_JA = (
    "佐藤様\n\nお世話になっております。\nご依頼の請求書を添付いたしますのでご確認ください。\n\n"
)
ASK_EN = "Hi Bob,\n\nCould you send the signed purchase order for Q2?\n\nThanks,\nAlice"
REPLY_EN = "Hi Alice,\n\nPlease find the purchase order attached.\n\nBest regards\n\n"


def hijack_ja(
    sender: Person = HIJACKED,
    *,
    reply: bool = True,
    headers: Sequence[tuple[str, str]] = (),
    parts: Sequence[str] = (),
) -> bytes:
    """Sato asked Yamada for an invoice; `sender` answers the thread."""
    body = REPLY_JA + outlook_ja(SATO, [YAMADA], "見積書の件", ASK_JA, cc=[SUZUKI])
    return build(
        sender=sender,
        to=[SATO],
        subject="RE: 見積書の件",
        body=body,
        reply=reply,
        headers=headers,
        parts=parts,
    )


def hijack_en(
    sender: Person = HIJACKED,
    *,
    reply: bool = True,
    headers: Sequence[tuple[str, str]] = (),
    parts: Sequence[str] = (),
) -> bytes:
    """Alice asked Bob for a purchase order; `sender` answers the thread."""
    body = REPLY_EN + outlook_en(ALICE, [BOB], "Q2 purchase order", ASK_EN, cc=[CAROL])
    return build(
        sender=sender,
        to=[ALICE],
        subject="RE: Q2 purchase order",
        body=body,
        reply=reply,
        headers=headers,
        parts=parts,
    )


CASES: dict[str, Case] = {
    "thread.sender_not_in_thread": lambda: (hijack_ja(), DEFAULT),
    "thread.display_name_impersonates_participant": lambda: (
        hijack_en(sender=("Bob Chen", "ohno.k@hacked-shop.example")),
        DEFAULT,
    ),
    "thread.fake_reply": lambda: (
        build(
            sender=("Billing Desk", "billing@invoices.example.net"),
            to=[ALICE],
            subject="RE: Outstanding invoice",
            body="Hello,\n\nPlease review the attached statement.\n",
            reply=False,
        ),
        DEFAULT,
    ),
    "thread.quote_unparsed": lambda: (
        build(
            sender=YAMADA,
            to=[SATO],
            subject="Re: 見積書の件",
            body="承知しました。\n\n> 見積書をお送りいただけますでしょうか。\n> 佐藤\n",
        ),
        DEFAULT,
    ),
}
