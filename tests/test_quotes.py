"""The quoted-thread parser: every quoting style in Japanese and English, built in code.

Each case is a realistic reply: the sender's new text, then the quoted history the way a
mail client writes it. The assertions cover what the thread analyzers read: the new text
(and that no quoted text leaks into it), the header's style, sender, recipients, subject,
forwarded flag, and `quoted`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest
from conftest import corpus_dir
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailcheck.thread.participants import parse_people, parse_sender
from mailcheck.thread.quotes import split_thread
from mailcheck.thread.types import Participant, QuotedHeader, ThreadSplit

TARO = Participant(name="Taro Yamada", addr="taro.yamada@example.co.jp")
HANAKO = Participant(name="Hanako Suzuki", addr="hanako@partner.example.com")
YAMADA = Participant(name="山田 太郎", addr="taro.yamada@example.co.jp")
SUZUKI = Participant(name="鈴木 花子", addr="hanako@partner.example.com")

NEW_EN = "Hi Hanako,\n\nPlease find the revised invoice attached.\nThe password follows.\n"
NEW_JA = "鈴木様\n\nお世話になっております。\n修正版の請求書を添付いたします。\n"
OLD_EN = "Could you send the March invoice again?\nThe first one was corrupted.\n"
OLD_JA = "3月分の請求書を再送いただけますでしょうか。\nよろしくお願いいたします。\n"


def prefixed(text: str, prefix: str = "> ") -> str:
    """`text` quoted the way clients do it (a bare ">" on blank lines)."""
    return "".join(
        f"{prefix}{line}\n" if line else f"{prefix.rstrip()}\n" for line in text.splitlines()
    )


@dataclass(frozen=True)
class Case:
    id: str
    body: str
    style: str
    sender: Participant | None
    recipients: tuple[Participant, ...] = ()
    subject: str = ""
    forwarded: bool = False
    html: bool = False
    new_start: str = "Hi Hanako,"
    new_end: str = "The password follows."
    leak: str = "March invoice"  # quoted text that must not reach new_text


def ja(
    case_id: str,
    body: str,
    style: str,
    sender: Participant | None,
    recipients: tuple[Participant, ...] = (),
    subject: str = "",
    *,
    forwarded: bool = False,
    html: bool = False,
) -> Case:
    """A Japanese case: NEW_JA above, OLD_JA quoted."""
    return Case(
        case_id,
        body,
        style,
        sender,
        recipients,
        subject,
        forwarded,
        html,
        new_start="鈴木様",
        new_end="修正版の請求書を添付いたします。",
        leak="再送",
    )


CASES = [
    # --- Outlook -------------------------------------------------------------------------
    Case(
        "outlook-en",
        NEW_EN + "\n-----Original Message-----\n"
        "From: Taro Yamada [mailto:Taro.Yamada@example.co.jp]\n"
        "Sent: Tuesday, March 1, 2022 9:00 AM\n"
        "To: Hanako Suzuki <hanako@partner.example.com>; Ichiro Sato\n"
        "Cc: 'accounts@example.co.jp'\n"
        "Subject: RE: March invoice\n\n" + OLD_EN,
        "outlook",
        TARO,
        (
            HANAKO,
            Participant(name="Ichiro Sato", addr=""),
            Participant(name="", addr="accounts@example.co.jp"),
        ),
        "RE: March invoice",
    ),
    ja(
        "outlook-ja-fullwidth-names-only",
        NEW_JA + "\n-----元のメッセージ-----\n"
        "差出人： 山田 太郎\n"
        "送信日時： 2022年3月1日 9:00\n"
        "宛先： 鈴木 花子; 佐藤 一郎\n"
        "CC： 経理部\n"
        "件名： RE: 3月分請求書の件\n\n" + OLD_JA,
        "outlook-ja",
        Participant(name="山田 太郎", addr=""),
        (
            Participant(name="鈴木 花子", addr=""),
            Participant(name="佐藤 一郎", addr=""),
            Participant(name="経理部", addr=""),
        ),
        "RE: 3月分請求書の件",
    ),
    Case(
        "outlook-en-underscores",
        NEW_EN + "\n________________________________\n"
        "From: Taro Yamada <taro.yamada@example.co.jp>\n"
        "Sent: Tuesday, March 1, 2022 9:00 AM\n"
        "To: Hanako Suzuki <hanako@partner.example.com>, Ichiro Sato <ichiro@example.co.jp>\n"
        "Subject: March invoice\n\n" + OLD_EN,
        "outlook",
        TARO,
        (HANAKO, Participant(name="Ichiro Sato", addr="ichiro@example.co.jp")),
        "March invoice",
    ),
    ja(
        "outlook-ja-underscores-sender-date",
        NEW_JA + "\n________________________________\n"
        "送信者: 山田 太郎 <taro.yamada@example.co.jp>\n"
        "日付: 2022年3月1日 9:00\n"
        "宛先: 鈴木 花子 <hanako@partner.example.com>\n"
        "件名: 請求書\n\n" + OLD_JA,
        "outlook-ja",
        YAMADA,
        (SUZUKI,),
        "請求書",
    ),
    Case(
        "outlook-en-on-behalf-of",
        NEW_EN + "\n-----Original Message-----\n"
        "From: Accounts Desk on behalf of Taro Yamada <taro.yamada@example.co.jp>\n"
        "Date: Tuesday, March 1, 2022 9:00 AM\n"
        "To: Hanako Suzuki <hanako@partner.example.com>\n"
        "Subject: March invoice\n\n" + OLD_EN,
        "outlook",
        TARO,
        (HANAKO,),
        "March invoice",
    ),
    ja(
        "outlook-ja-on-behalf-of",
        NEW_JA + "\n-----Original Message-----\n"
        "差出人: 経理部 が 山田 太郎 の代理で送信\n"
        "送信日時: 2022年3月1日 9:00\n"
        "宛先: 鈴木 花子\n"
        "件名: 請求書\n\n" + OLD_JA,
        "outlook-ja",
        Participant(name="山田 太郎", addr=""),
        (Participant(name="鈴木 花子", addr=""),),
        "請求書",
    ),
    # --- Gmail ---------------------------------------------------------------------------
    Case(
        "gmail-en-wrapped",
        NEW_EN + "\nOn Tue, Mar 1, 2022 at 9:00 AM Taro Yamada <\n"
        "taro.yamada@example.co.jp> wrote:\n\n" + prefixed(OLD_EN),
        "gmail",
        TARO,
    ),
    ja(
        "gmail-ja",
        NEW_JA
        + "\n2022年3月1日(火) 9:00 山田 太郎 <taro.yamada@example.co.jp>:\n\n"
        + prefixed(OLD_JA),
        "gmail-ja",
        YAMADA,
    ),
    # --- Thunderbird / Evolution ---------------------------------------------------------
    Case(
        "thunderbird-en-dated",
        NEW_EN + "\nOn 01/03/2022 09:00, Taro Yamada wrote:\n" + prefixed(OLD_EN),
        "thunderbird",
        Participant(name="Taro Yamada", addr=""),
    ),
    Case(
        "thunderbird-en-name-only",
        NEW_EN + "\nTaro Yamada wrote:\n" + prefixed(OLD_EN),
        "thunderbird",
        Participant(name="Taro Yamada", addr=""),
    ),
    ja(
        "thunderbird-ja",
        NEW_JA
        + "\n2022/03/01 9:00 に 山田 太郎 <taro.yamada@example.co.jp> さんは書きました:\n"
        + prefixed(OLD_JA),
        "thunderbird-ja",
        YAMADA,
    ),
    ja(
        "evolution-ja",
        NEW_JA
        + "\n2022-03-01 (火) の 09:00 +0900 に 山田 太郎 さんは書きました:\n"
        + prefixed(OLD_JA),
        "thunderbird-ja",
        Participant(name="山田 太郎", addr=""),
    ),
    ja(
        "becky-ja-no-message",
        NEW_JA
        + "\n2022/03/01 9:00 山田 太郎 <taro.yamada@example.co.jp> のメッセージ:\n"
        + prefixed(OLD_JA),
        "thunderbird-ja",
        YAMADA,
    ),
    # --- Apple Mail ----------------------------------------------------------------------
    Case(
        "apple-en",
        NEW_EN
        + "\n> On 1 Mar 2022, at 09:00, Taro Yamada <taro.yamada@example.co.jp> wrote:\n>\n"
        + prefixed(OLD_EN),
        "apple",
        TARO,
    ),
    ja(
        "apple-ja",
        NEW_JA
        + "\n2022/03/01 9:00、山田 太郎 <taro.yamada@example.co.jp>のメール:\n\n"
        + prefixed(OLD_JA),
        "apple-ja",
        YAMADA,
    ),
    # --- Forwards ------------------------------------------------------------------------
    Case(
        "forward-gmail-en",
        NEW_EN + "\n---------- Forwarded message ---------\n"
        "From: Taro Yamada <taro.yamada@example.co.jp>\n"
        "Date: Tue, Mar 1, 2022 at 9:00 AM\n"
        "Subject: March invoice\n"
        "To: Hanako Suzuki <hanako@partner.example.com>\n\n" + OLD_EN,
        "forward",
        TARO,
        (HANAKO,),
        "March invoice",
        forwarded=True,
    ),
    Case(
        "forward-apple-en",
        NEW_EN + "\nBegin forwarded message:\n\n"
        "From: Taro Yamada <taro.yamada@example.co.jp>\n"
        "Subject: March invoice\n"
        "Date: 1 March 2022 at 09:00:00 JST\n"
        "To: Hanako Suzuki <hanako@partner.example.com>\n\n" + OLD_EN,
        "forward",
        TARO,
        (HANAKO,),
        "March invoice",
        forwarded=True,
    ),
    Case(
        "forward-thunderbird-en",
        NEW_EN + "\n-------- Original Message --------\n"
        "Subject: March invoice\n"
        "Date: Tue, 1 Mar 2022 09:00:00 +0900\n"
        "From: Taro Yamada <taro.yamada@example.co.jp>\n"
        "To: Hanako Suzuki <hanako@partner.example.com>\n\n" + OLD_EN,
        "forward",
        TARO,
        (HANAKO,),
        "March invoice",
        forwarded=True,
    ),
    ja(
        "forward-gmail-ja",
        NEW_JA + "\n---------- 転送されたメッセージ ---------\n"
        "From: 山田 太郎 <taro.yamada@example.co.jp>\n"
        "Date: 2022年3月1日(火) 9:00\n"
        "Subject: 請求書\n"
        "To: 鈴木 花子 <hanako@partner.example.com>\n\n" + OLD_JA,
        "forward-ja",
        YAMADA,
        recipients=(SUZUKI,),
        subject="請求書",
        forwarded=True,
    ),
    ja(
        "forward-thunderbird-ja",
        NEW_JA + "\n-------- 転送メッセージ --------\n"
        "件名: 請求書\n"
        "日付: Tue, 1 Mar 2022 09:00:00 +0900\n"
        "差出人: 山田 太郎 <taro.yamada@example.co.jp>\n"
        "宛先: 鈴木 花子 <hanako@partner.example.com>\n\n" + OLD_JA,
        "forward-ja",
        YAMADA,
        recipients=(SUZUKI,),
        subject="請求書",
        forwarded=True,
    ),
    # --- HTML ----------------------------------------------------------------------------
    Case(
        "html-gmail-quote-en",
        '<div dir="ltr">Hi Hanako,<div><br></div><div>Please find the revised invoice '
        "attached.</div><div>The password follows.</div></div><br>"
        '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Tue, Mar 1, 2022 at '
        '9:00 AM Taro Yamada &lt;<a href="mailto:taro.yamada@example.co.jp">'
        "taro.yamada@example.co.jp</a>&gt; wrote:<br></div>"
        '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px '
        'solid rgb(204,204,204);padding-left:1ex"><div dir="ltr">Could you send the March '
        "invoice again?<br>The first one was corrupted.</div></blockquote></div>",
        "gmail",
        TARO,
        html=True,
        new_end="Please find the revised invoice attached.\nThe password follows.",
    ),
    ja(
        "html-gmail-quote-ja",
        '<div dir="ltr">鈴木様<br><br>お世話になっております。<br>修正版の請求書を添付いたします。'
        '</div><br><div class="gmail_quote gmail_quote_container"><div dir="ltr" '
        'class="gmail_attr">2022年3月1日(火) 9:00 山田 太郎 &lt;<a href="mailto:taro.yamada@'
        'example.co.jp">taro.yamada@example.co.jp</a>&gt;:<br></div><blockquote '
        'class="gmail_quote">3月分の請求書を再送いただけますでしょうか。</blockquote></div>',
        "gmail-ja",
        YAMADA,
        html=True,
    ),
    Case(
        "html-outlook-divrplyfwdmsg-en",
        "<html><head><style>p{margin:0}</style></head><body>"
        '<div dir="ltr">Hi Hanako,</div><div><br></div><div>Please find the revised invoice '
        "attached.</div><div>The password follows.</div>"
        '<div id="appendonsend"></div><hr style="display:inline-block;width:98%">'
        '<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri"><b>From:</b> Taro Yamada '
        "&lt;taro.yamada@example.co.jp&gt;<br>\n<b>Sent:</b> Tuesday, March 1, 2022 9:00 AM"
        "<br>\n<b>To:</b> Hanako Suzuki &lt;hanako@partner.example.com&gt;<br>\n"
        "<b>Subject:</b> March invoice</font><div>&nbsp;</div></div>"
        "<div>Could you send the March invoice again?</div></body></html>",
        "outlook",
        TARO,
        (HANAKO,),
        "March invoice",
        html=True,
    ),
    ja(
        "html-outlook-divrplyfwdmsg-ja",
        "<div>鈴木様</div><div><br></div><div>お世話になっております。</div><div>修正版の請求書を"
        '添付いたします。</div><div id="appendonsend"></div><hr>'
        '<div id="divRplyFwdMsg"><b>差出人：</b> 山田 太郎<br><b>送信日時：</b> 2022年3月1日 '
        "9:00<br><b>宛先：</b> 鈴木 花子; 佐藤 一郎<br><b>件名：</b> 請求書</div>"
        "<div>3月分の請求書を再送いただけますでしょうか。</div>",
        "outlook-ja",
        Participant(name="山田 太郎", addr=""),
        recipients=(Participant(name="鈴木 花子", addr=""), Participant(name="佐藤 一郎", addr="")),
        subject="請求書",
        html=True,
    ),
    Case(
        "html-outlook-border-top-en",
        '<div class="WordSection1"><p class="MsoNormal">Hi Hanako,<o:p></o:p></p>'
        '<p class="MsoNormal">Please find the revised invoice attached.</p>'
        '<p class="MsoNormal">The password follows.</p><div><div style="border:none;'
        'border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm"><p class="MsoNormal">'
        "<b>From:</b> Taro Yamada &lt;taro.yamada@example.co.jp&gt;<br><b>Sent:</b> "
        "Tuesday, March 1, 2022 9:00 AM<br><b>To:</b> Hanako Suzuki "
        "&lt;hanako@partner.example.com&gt;<br><b>Subject:</b> March invoice</p></div></div>"
        '<p class="MsoNormal">Could you send the March invoice again?</p></div>',
        "outlook",
        TARO,
        (HANAKO,),
        "March invoice",
        html=True,
    ),
    Case(
        "html-thunderbird-en",
        "<html><body><p>Hi Hanako,</p><p>Please find the revised invoice attached.<br>"
        'The password follows.</p><div class="moz-cite-prefix">On 01/03/2022 09:00, Taro '
        'Yamada wrote:<br></div><blockquote type="cite" cite="mid:1@example.co.jp"><p>Could '
        "you send the March invoice again?</p></blockquote></body></html>",
        "thunderbird",
        Participant(name="Taro Yamada", addr=""),
        html=True,
    ),
    ja(
        "html-thunderbird-ja",
        "<html><body><p>鈴木様</p><p>お世話になっております。<br>修正版の請求書を添付いたします。"
        '</p><div class="moz-cite-prefix">2022/03/01 9:00 に 山田 太郎 さんは書きました:<br>'
        '</div><blockquote type="cite">3月分の請求書を再送いただけますでしょうか。</blockquote>'
        "</body></html>",
        "thunderbird-ja",
        Participant(name="山田 太郎", addr=""),
        html=True,
    ),
    Case(
        "html-apple-blockquote-en",
        "<div>Hi Hanako,</div><div><br></div><div>Please find the revised invoice attached."
        '</div><div>The password follows.</div><div><br><blockquote type="cite"><div>On 1 '
        "Mar 2022, at 09:00, Taro Yamada &lt;taro.yamada@example.co.jp&gt; wrote:</div><br>"
        "<div><div>Could you send the March invoice again?</div></div></blockquote></div>",
        "apple",
        TARO,
        html=True,
    ),
]


def _check(case: Case, split: ThreadSplit) -> QuotedHeader:
    assert split.quoted
    assert split.new_text.startswith(case.new_start)
    assert split.new_text.endswith(case.new_end)
    assert case.leak not in split.new_text
    assert case.leak in split.quoted_text
    header = split.headers[0]
    assert header.style == case.style
    assert header.sender == case.sender
    assert header.recipients == case.recipients
    assert header.subject == case.subject
    assert header.forwarded is case.forwarded
    assert header.line >= 1 and header.excerpt
    return header


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_quoting_style(case: Case) -> None:
    _check(case, split_thread(case.body, html=case.html))


@pytest.mark.parametrize("case", [c for c in CASES if not c.html], ids=lambda c: c.id)
def test_quoting_style_with_crlf(case: Case) -> None:
    split = split_thread(case.body.replace("\n", "\r\n"))
    _check(case, split)
    assert "\r" not in split.new_text


def test_header_line_and_excerpt_point_at_the_block() -> None:
    split = split_thread(CASES[0].body)
    header = split.headers[0]
    assert header.line == 6  # four lines of new text, a blank line, then the banner
    assert header.excerpt.startswith("-----Original Message-----\nFrom: Taro Yamada")
    assert header.date == "Tuesday, March 1, 2022 9:00 AM"


# --- threads: nesting, chains, inline replies -----------------------------------------------


def test_nested_quotes_with_inner_attribution_are_older_messages() -> None:
    body = (
        NEW_EN + "\nOn Tue, Mar 1, 2022 at 9:00 AM Taro Yamada <taro.yamada@example.co.jp> wrote:\n"
        "> Sure, attached.\n"
        ">\n"
        "> On Mon, Feb 28, 2022 at 5:00 PM Hanako Suzuki <hanako@partner.example.com> wrote:\n"
        + prefixed(OLD_EN, "> > ")
    )
    split = split_thread(body)
    assert [h.sender for h in split.headers] == [TARO, HANAKO]
    assert [h.line for h in split.headers] == [6, 9]
    assert split.participants == (TARO, HANAKO)
    assert split.new_text == NEW_EN.strip()


def test_japanese_nested_outlook_chain_yields_every_block() -> None:
    body = (
        NEW_JA + "\n-----Original Message-----\n"
        "差出人: 山田 太郎 <taro.yamada@example.co.jp>\n"
        "送信日時: 2022年3月1日 9:00\n"
        "宛先: 鈴木 花子 <hanako@partner.example.com>\n"
        "件名: Re: 請求書\n\n"
        "承知しました。\n\n"
        "-----Original Message-----\n"
        "差出人: 鈴木 花子 <hanako@partner.example.com>\n"
        "送信日時: 2022年2月28日 17:00\n"
        "宛先: 山田 太郎 <taro.yamada@example.co.jp>\n"
        "件名: 請求書\n\n" + OLD_JA
    )
    split = split_thread(body)
    assert [h.sender for h in split.headers] == [YAMADA, SUZUKI]
    assert [h.subject for h in split.headers] == ["Re: 請求書", "請求書"]
    assert split.participants == (YAMADA, SUZUKI)
    assert "承知しました" not in split.new_text


def test_inline_reply_keeps_the_senders_own_lines() -> None:
    body = (
        "Taro Yamada wrote:\n> Could you send the March invoice again?\n\nAttached.\n\n"
        "> The first one was corrupted.\n\nSorry about that.\n"
    )
    split = split_thread(body)
    assert split.new_text == "Attached.\n\nSorry about that."
    assert "corrupted" in split.quoted_text and "Taro Yamada wrote:" in split.quoted_text
    assert split.headers[0].sender == Participant(name="Taro Yamada", addr="")


def test_trimmed_outlook_block_inside_a_quote() -> None:
    # Repliers often keep only the From line of Outlook's block; an address makes it a header.
    body = "Agreed.\n\n> From: Taro Yamada [mailto:taro.yamada@example.co.jp]\n>\n" + prefixed(
        OLD_EN
    )
    split = split_thread(body)
    assert [(h.style, h.sender) for h in split.headers] == [("outlook", TARO)]
    assert split.new_text == "Agreed."


def test_exmh_date_from_block_inside_a_quote() -> None:
    body = (
        "Fixed in CVS.\n\n"
        ">     Date:        Mon, 26 Aug 2002 09:27:56 -0500\n"
        ">     From:        Taro Yamada <taro.yamada@example.co.jp>\n"
        ">     Message-ID:  <1030804078.1@example.co.jp>\n>\n" + prefixed(OLD_EN)
    )
    split = split_thread(body)
    assert split.headers[0].sender == TARO
    assert split.headers[0].date == "Mon, 26 Aug 2002 09:27:56 -0500"


def test_gnus_supercite_quote() -> None:
    body = (
        '>>>>> "TY" == Taro Yamada <taro.yamada@example.co.jp> writes:\n\n'
        "    TY> Could you send the March invoice again?\n\nHere it is.\n"
    )
    split = split_thread(body)
    assert split.headers[0].style == "supercite"
    assert split.headers[0].sender == TARO
    assert split.new_text == "Here it is."


def test_full_width_quote_marks() -> None:
    split = split_thread("了解です。\n\n＞ 請求書を送ってください。\n＞＞ 以前の本文\n")
    assert split.quoted and split.new_text == "了解です。"
    assert "以前の本文" in split.quoted_text


def test_sentence_is_not_the_start_of_a_wrapped_attribution() -> None:
    body = (
        "On Monday we will send the invoice.\n"
        "Taro Yamada <taro.yamada@example.co.jp> wrote:\n" + prefixed(OLD_EN)
    )
    split = split_thread(body)
    assert split.new_text == "On Monday we will send the invoice."
    assert split.headers[0].sender == TARO


@pytest.mark.parametrize(
    ("line", "sender", "date"),
    [
        (
            "Taro Yamada wrote on 3/1/2022 9:00 AM:",
            Participant(name="Taro Yamada", addr=""),
            "3/1/2022 9:00 AM",
        ),
        (
            "2022年3月1日 9:00、山田 太郎 <taro.yamada@example.co.jp>のメール:",
            YAMADA,
            "2022年3月1日 9:00",
        ),
        (
            "On Thu, Aug 22, 2002 at 07:27:52AM -0700, Marc Perkel wrote:",
            Participant(name="Marc Perkel", addr=""),
            "Thu, Aug 22, 2002 at 07:27:52AM -0700",
        ),
        (
            "At 17:10 22/08/2002 +0100, Nick Hilliard wrote:",
            Participant(name="Nick Hilliard", addr=""),
            "17:10 22/08/2002 +0100",
        ),
        (
            "jm@example.org (Justin Mason) writes:",
            Participant(name="Justin Mason", addr="jm@example.org"),
            "",
        ),
        ("Once upon a time, Chris wrote :", Participant(name="Chris", addr=""), ""),
    ],
)
def test_attribution_variants(line: str, sender: Participant, date: str) -> None:
    split = split_thread(f"OK\n\n{line}\n> old text\n")
    assert split.new_text == "OK"
    assert (split.headers[0].sender, split.headers[0].date) == (sender, date)


def test_digits_in_an_address_are_not_a_date() -> None:
    split = split_thread(
        "OK\n\nOn Tue, Mar 1, 2022 at 9:00 AM Taro <taro-2022-03-01@example.co.jp> wrote:\n> x\n"
    )
    header = split.headers[0]
    assert header.sender == Participant(name="Taro", addr="taro-2022-03-01@example.co.jp")
    assert header.date == "Tue, Mar 1, 2022 at 9:00 AM"


# --- HTML details ----------------------------------------------------------------------------


def test_html_thunderbird_forward_header_table() -> None:
    body = (
        "<html><body><p>FYI</p>\n"
        '<div class="moz-forward-container"><br><br>\n'
        "-------- Forwarded Message --------\n"
        '<table class="moz-email-headers-table"><tbody>\n'
        "<tr><th>Subject: </th><td>March invoice</td></tr>\n"
        "<tr><th>Date: </th><td>Tue, 1 Mar 2022 09:00:00 +0900</td></tr>\n"
        '<tr><th>From: </th><td>Taro Yamada <a href="mailto:taro.yamada@example.co.jp">'
        "&lt;taro.yamada@example.co.jp&gt;</a></td></tr>\n"
        "<tr><th>To: </th><td>Hanako Suzuki &lt;hanako@partner.example.com&gt;</td></tr>\n"
        "</tbody></table><br><p>Could you send the invoice?</p></div></body></html>"
    )
    split = split_thread(body, html=True)
    assert split.new_text == "FYI"
    header = split.headers[0]
    assert (header.style, header.forwarded, header.sender) == ("forward", True, TARO)
    assert header.recipients == (HANAKO,)
    assert header.subject == "March invoice"
    assert header.line == 3  # the banner's line in the HTML source


def test_html_marker_on_an_inline_element_keeps_the_text_before_it() -> None:
    body = (
        'Thanks <span class="gmail_quote">On Tue, Mar 1, 2022 at 9:00 AM Taro Yamada '
        "&lt;taro.yamada@example.co.jp&gt; wrote:<blockquote>old</blockquote></span>"
    )
    split = split_thread(body, html=True)
    assert split.new_text == "Thanks"
    assert split.headers[0].sender == TARO


def test_html_yahoo_quote_with_offset_zone() -> None:
    body = (
        '<div>Hi</div><div class="yahoo_quoted"><div>On Tuesday, March 1, 2022, 09:00:00 AM '
        "GMT+9, Taro Yamada &lt;taro.yamada@example.co.jp&gt; wrote:</div><div><br></div>"
        "<div>Could you send the March invoice again?</div></div>"
    )
    split = split_thread(body, html=True)
    assert split.new_text == "Hi"
    assert split.headers[0].sender == TARO
    assert split.headers[0].date.endswith("GMT+9")


def test_html_drops_markup_it_does_not_render() -> None:
    body = (
        "<!DOCTYPE html><html><head><title>t</title><style>p {color: red}</style>"
        "<!--[if gte mso 9]><xml><o:OfficeDocumentSettings/></xml><![endif]--></head>"
        '<body><p>a &amp; b &lt; c</p><img src="data:image/png;base64,' + "A" * 5000 + '">'
        "<script>if (a < b) { x() }</script><p>d</p></body></html>"
    )
    split = split_thread(body, html=True)
    assert split.new_text == "a & b < c\nd"
    assert not split.quoted


# --- quoted history that cannot be read still counts as quoted ------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "I agree.\n\n> Could you send the March invoice again?\n> The first one was corrupted.\n",
        "I agree.\n\n-----Original Message-----\n\x00garbage ###\n%%%%\n",
        "ご確認ください。\n\n-----元のメッセージ-----\n（文字化け）\n",
        "See below.\n\n---------- Forwarded message ---------\nblah\n",
    ],
    ids=["bare-gt", "separator-garbage", "separator-garbage-ja", "forward-garbage"],
)
def test_history_without_a_readable_header_is_still_quoted(body: str) -> None:
    split = split_thread(body)
    assert split.quoted
    assert all(h.sender is None and not h.recipients for h in split.headers)
    assert split.new_text in ("I agree.", "ご確認ください。", "See below.")


def test_html_blockquote_without_attribution_is_quoted() -> None:
    split = split_thread(
        "<p>I agree.</p><blockquote>Could you send the March invoice again?</blockquote>",
        html=True,
    )
    assert split.quoted and not split.headers
    assert split.new_text == "I agree."
    assert split.quoted_text == "> Could you send the March invoice again?"


def test_forward_banner_followed_by_garbage_is_flagged_forwarded() -> None:
    split = split_thread("FYI\n\n-------- 転送メッセージ --------\n\n???\n")
    assert split.quoted
    assert [(h.style, h.forwarded, h.sender) for h in split.headers] == [("forward-ja", True, None)]


# --- what is not a quote ---------------------------------------------------------------------


def test_plain_message_has_no_quote() -> None:
    split = split_thread(NEW_EN + "\nBest regards,\nTaro\n")
    assert split == ThreadSplit(
        new_text=(NEW_EN + "\nBest regards,\nTaro").strip(),
        quoted_text="",
        headers=(),
        quoted=False,
    )


@pytest.mark.parametrize(
    "body",
    [
        # "From:" in prose, and a lone field line without a second field or an address.
        "The report came in.\nFrom: the accounts team, as usual.\n\nThanks.\n",
        "件名：打ち合わせの件\n\n明日の打ち合わせは10時からです。\n",
        # A signature separator, and Mailman's footer rule.
        "Thanks.\n\n-- \nTaro Yamada\nSales, Example Corp.\n",
        "Thanks.\n_______________________________________________\nilug mailing list\n"
        "ilug@example.org\nhttps://lists.example.org/mailman/listinfo/ilug\n",
        # A shell session: `>` is the continuation prompt, not a quote.
        "Try this:\n\n$ cat <<EOF > /tmp/x\n> hello\n> EOF\n\nIt works here.\n",
        'Run:\n\nuser@host:~$ for f in *.eml; do\n> grep -l wrote: "$f"\n> done\n',
        # mbox's escape of a body line that starts with "From ".
        "Hi all,\n>From the September issue of the magazine:\nit is out.\n",
        # Prose ending in "wrote:" with no quote under it.
        "As Einstein wrote:\nImagination is more important than knowledge.\n",
    ],
    ids=[
        "from-in-prose",
        "subject-in-prose-ja",
        "signature",
        "mailman-footer",
        "shell-heredoc",
        "shell-loop",
        "mbox-from",
        "wrote-in-prose",
    ],
)
def test_lookalikes_are_not_quotes(body: str) -> None:
    split = split_thread(body)
    assert not split.quoted
    assert split.headers == ()
    assert split.quoted_text == ""
    assert split.new_text == body.strip()


def test_empty_bodies() -> None:
    for html in (False, True):
        assert split_thread("", html=html) == ThreadSplit(
            new_text="", quoted_text="", headers=(), quoted=False
        )


# --- participants ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"Yamada, Taro" <Taro@Example.CO.JP>', [("Yamada, Taro", "taro@example.co.jp")]),
        ("Yamada, Taro <taro@example.co.jp>", [("Yamada, Taro", "taro@example.co.jp")]),
        ("'taro@example.co.jp'", [("", "taro@example.co.jp")]),
        ("taro@example.co.jp (Taro Yamada)", [("Taro Yamada", "taro@example.co.jp")]),
        ("Taro Yamada [mailto:taro@example.co.jp]", [("Taro Yamada", "taro@example.co.jp")]),
        ("taro@example.co.jp [mailto:taro@example.co.jp]", [("", "taro@example.co.jp")]),
        ("「山田 太郎」＜taro@example.co.jp＞", [("山田 太郎", "taro@example.co.jp")]),
        ("HAMILTON,DAVID (HP-Ireland,ex2)", [("HAMILTON,DAVID (HP-Ireland,ex2)", "")]),
        (
            "A <a@example.com>, B <b@example.com>, A <a@example.com>",
            [("A", "a@example.com"), ("B", "b@example.com")],
        ),
        ("鈴木 花子； 佐藤 一郎;", [("鈴木 花子", ""), ("佐藤 一郎", "")]),
        ('"D.McMann" <dmcmann@b...>', [("D.McMann", "")]),
        ("", []),
        ("<>; ;,,", []),
    ],
)
def test_parse_people(value: str, expected: list[tuple[str, str]]) -> None:
    assert [(p.name, p.addr) for p in parse_people(value)] == expected


def test_on_behalf_of_separates_sender_from_delegate() -> None:
    sender, delegate = parse_sender(
        "ilug-admin@example.org [mailto:ilug-admin@example.org]On Behalf Of Peter Staunton"
    )
    assert sender == Participant(name="Peter Staunton", addr="")
    assert delegate == Participant(name="", addr="ilug-admin@example.org")
    sender, delegate = parse_sender("経理部 が 山田 太郎 <taro.yamada@example.co.jp> の代理で送信")
    assert sender == YAMADA
    assert delegate == Participant(name="経理部", addr="")


def test_outlook_block_rewrapped_by_a_later_reply() -> None:
    # The replier's client re-wrapped the quote and left part of the name unprefixed.
    body = (
        "Me too.\n\n> -----Original Message-----\n"
        "> From: list-admin@example.org [mailto:list-admin@example.org] On Behalf Of\n"
        "Taro\n> Yamada\n> Sent: Tuesday, March 1, 2022 9:00 AM\n> To: list@example.org\n"
        "> Subject: March invoice\n>\n" + prefixed(OLD_EN)
    )
    split = split_thread(body)
    assert split.headers[0].sender == Participant(name="Taro Yamada", addr="")
    assert split.new_text == "Me too."


# --- hostile input ---------------------------------------------------------------------------

FRAGMENTS = [
    "> ",
    ">",
    "\n",
    "\r\n",
    " ",
    "wrote:",
    "On ",
    "From: ",
    "Sent: ",
    "To: ",
    "件名：",
    "差出人:",
    "-----Original Message-----",
    "_" * 32,
    "<",
    ">",
    "@",
    "[mailto:",
    "]",
    '"',
    ";",
    ",",
    "2022年3月1日",
    "9:00",
    "さんは書きました:",
    "の代理で送信",
    " on behalf of ",
    "<blockquote>",
    '<div class="gmail_quote">',
    '<div id="divRplyFwdMsg">',
    "</div>",
    "<!--",
    "&lt;",
    "a@b.cd",
]


def _assert_sane(split: ThreadSplit) -> None:
    assert isinstance(split.new_text, str) and isinstance(split.quoted_text, str)
    assert len(split.headers) <= 200
    for header in split.headers:
        people = ((header.sender,) if header.sender else ()) + header.recipients
        assert all(p.addr == p.addr.lower() for p in people)
        assert all(p.name == p.name.strip() for p in people)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=2000), st.booleans())
def test_random_text_never_raises(text: str, html: bool) -> None:
    _assert_sane(split_thread(text, html=html))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=8), max_size=80), st.booleans())
def test_pattern_soup_never_raises(pieces: list[str], html: bool) -> None:
    _assert_sane(split_thread("".join(pieces), html=html))


TWO_MB = 2 * 1024 * 1024
PATHOLOGICAL = {
    "gt-run": ">" * TWO_MB,
    "quote-lines": "> \n" * (TWO_MB // 3),
    "blank-lines": "\n" * TWO_MB,
    "one-long-line": "On " * (TWO_MB // 3) + "wrote:",
    "attributions": "On Tue, Mar 1, 2022 at 9:00 AM X <a@b.cd> wrote:\n" * (TWO_MB // 50),
    "header-blocks": "From: a <a@b.cd>\nSent: x\nTo: y; z\n" * (TWO_MB // 34),
    "banners": "-----Original Message-----\n" * (TWO_MB // 27),
    "recipients": "From: a\nTo: " + "a <b@c.de>; " * (TWO_MB // 12),
    "commas": "From: a\nTo: " + "a, " * (TWO_MB // 3),
    "lt-run": "<" * TWO_MB,
    "unclosed-tags": "<a" * (TWO_MB // 2),
    "unclosed-comments": "<!--" * (TWO_MB // 4),
    "unclosed-quotes": "<a b='>" * (TWO_MB // 7),
    "end-tags": "</" * (TWO_MB // 2),
    "marked-sections": "<![" * (TWO_MB // 3),
    "nested-blockquotes": "<blockquote>" * (TWO_MB // 12),
    "line-breaks": "<br>" * (TWO_MB // 4),
    "empty-tags": "<a>" * (TWO_MB // 3),
    "long-attributes": ("<a " + "a=" * 900 + ">") * (TWO_MB // 1800),
}


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_pathological_two_megabyte_bodies_finish_quickly(name: str) -> None:
    body = PATHOLOGICAL[name]
    for html in (False, True):
        started = time.monotonic()
        _assert_sane(split_thread(body, html=html))
        assert time.monotonic() - started < 5.0, (name, html)


def test_text_past_the_caps_is_kept_unread() -> None:
    body = "Hello.\n" + "x\n" * 150_000 + "> tail\n"
    split = split_thread(body)
    assert split.new_text.startswith("Hello.") and split.new_text.endswith("> tail")
    assert not split.quoted  # the quote past the line cap is not examined


# --- real mail -------------------------------------------------------------------------------


def test_spamassassin_ham_corpus() -> None:
    folder = corpus_dir("ham", "spamassassin-easy-ham-1")
    from testkit.quotes import corpus_stats  # the figures reported by tools/quote_report.py

    stats = corpus_stats(folder)  # an exception here fails the test
    assert stats.messages > 2000
    # Measured 2026-11: 1298 quoted, 1011 with a header, 350 with a sender address.
    assert stats.quoted > 1100
    assert stats.with_header > 0.7 * stats.quoted
    assert stats.with_sender_address > 250
    assert {"thunderbird", "outlook", "supercite", "apple", "forward"} <= set(stats.styles)


def test_on_behalf_of_keeps_the_sending_mailbox_as_a_participant() -> None:
    from mailcheck.thread.quotes import split_thread as split

    body = (
        "承知しました。\n\n"
        "-----Original Message-----\n"
        "差出人: 経理部 <keiri@corp.example.co.jp> が 山田 太郎 <yamada@corp.example.co.jp>"
        " の代理で送信\n"
        "送信日時: 2022年3月1日 9:00\n"
        "宛先: 佐藤 <sato@partner.example.jp>\n"
        "件名: 請求書\n\n本文\n"
    )
    header = split(body).headers[0]
    people = {p.addr for p in split(body).participants}
    assert header.delegate is not None
    assert {"keiri@corp.example.co.jp", "yamada@corp.example.co.jp"} <= people


# --- attribution lines and header blocks of other clients and languages ----------------------

LAURA = Participant(name="Laura Becker", addr="laura@example.com")
LAURA_NAME = Participant(name="Laura Becker", addr="")
KOBAYASHI = Participant(name="小林 誠", addr="kobayashi@example.co.jp")


@pytest.mark.parametrize(
    ("line", "style", "sender", "date"),
    [
        (
            "On Mon, Feb 28, 2022 at 5:12 PM Laura Becker <laura@example.com> wrote:",
            "gmail",
            LAURA,
            "Mon, Feb 28, 2022 at 5:12 PM",
        ),
        (  # Gmail wraps a long attribution inside the address
            "On Mon, Feb 28, 2022 at 5:12 PM Laura Becker <\nlaura@example.com> wrote:",
            "gmail",
            LAURA,
            "Mon, Feb 28, 2022 at 5:12 PM",
        ),
        (
            "2022年2月28日(月) 17:12 小林 誠 <kobayashi@example.co.jp>:",
            "gmail-ja",
            KOBAYASHI,
            "2022年2月28日(月) 17:12",
        ),
        (  # Outlook for iOS / Android
            'On Mon, Feb 28, 2022 at 5:12 PM +0900, "Laura Becker" <laura@example.com> wrote:',
            "thunderbird",
            LAURA,
            "Mon, Feb 28, 2022 at 5:12 PM +0900",
        ),
        ("On 28/02/2022 17:12, Laura Becker wrote:", "thunderbird", LAURA_NAME, "28/02/2022 17:12"),
        (
            "Am 28.02.2022 um 17:12 schrieb Laura Becker:",
            "thunderbird-de",
            LAURA_NAME,
            "28.02.2022 um 17:12",
        ),
        (
            "Am Mo., 28. Feb. 2022 um 17:12 Uhr schrieb Laura Becker <laura@example.com>:",
            "gmail-de",
            LAURA,
            "Mo., 28. Feb. 2022 um 17:12 Uhr",
        ),
        (
            "Le lun. 28 févr. 2022 à 17:12, Laura Becker <laura@example.com> a écrit :",
            "gmail-fr",
            LAURA,
            "lun. 28 févr. 2022 à 17:12",
        ),
        (
            "Le 28/02/2022 à 17:12, Laura Becker a écrit :",
            "thunderbird-fr",
            LAURA_NAME,
            "28/02/2022 à 17:12",
        ),
        (
            "El lun, 28 feb 2022 a las 17:12, Laura Becker (<laura@example.com>) escribió:",
            "gmail-es",
            LAURA,
            "lun, 28 feb 2022 a las 17:12",
        ),
        (
            "Il giorno lun 28 feb 2022 alle ore 17:12 Laura Becker <laura@example.com> ha scritto:",
            "gmail-it",
            LAURA,
            "lun 28 feb 2022 alle ore 17:12",
        ),
        (
            "Em seg., 28 de fev. de 2022 às 17:12, Laura Becker <laura@example.com> escreveu:",
            "gmail-pt",
            LAURA,
            "seg., 28 de fev. de 2022 às 17:12",
        ),
        (
            "Op ma 28 feb. 2022 om 17:12 schreef Laura Becker <laura@example.com>:",
            "gmail-nl",
            LAURA,
            "ma 28 feb. 2022 om 17:12",
        ),
        (  # Entourage writes the address in parentheses
            "Op 28-02-2022 17:12 schreef Laura Becker (laura@example.com):",
            "thunderbird-nl",
            LAURA,
            "28-02-2022 17:12",
        ),
        (
            "小林 誠 <kobayashi@example.co.jp> 于2022年2月28日周一 17:12写道：",
            "gmail-zh",
            KOBAYASHI,
            "2022年2月28日周一 17:12",
        ),
        (
            "2022년 2월 28일 (월) 오후 5:12, 김소영 <kim@example.co.kr>님이 작성:",
            "gmail-ko",
            Participant(name="김소영", addr="kim@example.co.kr"),
            "2022년 2월 28일 (월) 오후 5:12",
        ),
    ],
)
def test_attribution_lines_of_every_client_and_language(
    line: str, style: str, sender: Participant, date: str
) -> None:
    split = split_thread(f"Bitte sehen Sie den Anhang.\n\n{line}\n> Angebot anbei.\n")
    assert split.new_text == "Bitte sehen Sie den Anhang."
    header = split.headers[0]
    assert (header.style, header.sender, header.date) == (style, sender, date)
    assert header.excerpt.startswith(line.split("\n")[0])


@pytest.mark.parametrize(
    "line",
    [
        "Am Ende schrieb er noch etwas:",  # German prose, no date
        "Op de vergadering schreef Jan het volgende:",
        "Il giorno dopo ha scritto:",
    ],
)
def test_verb_first_prose_is_no_attribution(line: str) -> None:
    split = split_thread(f"{line}\nDas ist alles.\n")
    assert split.headers == ()


MARK = Participant(name="Mark Weber", addr="mark@contoso.example")


@pytest.mark.parametrize(
    ("block", "style", "subject"),
    [
        (
            "Von: Laura Becker <laura@example.com>\nGesendet: Montag, 28. Februar 2022 17:12\n"
            "An: Mark Weber <mark@contoso.example>\nBetreff: Angebot",
            "outlook-de",
            "Angebot",
        ),
        (
            "De : Laura Becker <laura@example.com>\nEnvoyé : lundi 28 février 2022 17:12\n"
            "À : Mark Weber <mark@contoso.example>\nObjet : Offre",
            "outlook-fr",
            "Offre",
        ),
        (
            "De: Laura Becker <laura@example.com>\nEnviado el: lunes, 28 de febrero de 2022 "
            "17:12\nPara: Mark Weber <mark@contoso.example>\nAsunto: Oferta",
            "outlook-es",
            "Oferta",
        ),
        (
            "Da: Laura Becker <laura@example.com>\nInviato: lunedì 28 febbraio 2022 17:12\n"
            "A: Mark Weber <mark@contoso.example>\nOggetto: Offerta",
            "outlook-it",
            "Offerta",
        ),
        (
            "De: Laura Becker <laura@example.com>\nEnviada em: segunda-feira, 28 de fevereiro "
            "de 2022 17:12\nPara: Mark Weber <mark@contoso.example>\nAssunto: Proposta",
            "outlook-pt",
            "Proposta",
        ),
        (
            "Van: Laura Becker <laura@example.com>\nVerzonden: maandag 28 februari 2022 17:12\n"
            "Aan: Mark Weber <mark@contoso.example>\nOnderwerp: Offerte",
            "outlook-nl",
            "Offerte",
        ),
        (
            "发件人: Laura Becker <laura@example.com>\n发送时间: 2022年2月28日 17:12\n"
            "收件人: Mark Weber <mark@contoso.example>\n主题: 报价",
            "outlook-zh",
            "报价",
        ),
        (
            "보낸 사람: Laura Becker <laura@example.com>\n보낸 날짜: 2022년 2월 28일 월요일 "
            "오후 5:12\n받는 사람: Mark Weber <mark@contoso.example>\n제목: 견적",
            "outlook-ko",
            "견적",
        ),
    ],
)
@pytest.mark.parametrize("banner", ["", "________________________________\n"])
def test_outlook_header_blocks_in_other_languages(
    block: str, style: str, subject: str, banner: str
) -> None:
    split = split_thread(f"Siehe Anhang.\n\n{banner}{block}\n\nDas alte Angebot.\n")
    assert split.new_text == "Siehe Anhang."
    assert "alte Angebot" in split.quoted_text
    header = split.headers[0]
    assert (header.style, header.sender, header.recipients) == (style, LAURA, (MARK,))
    assert header.subject == subject and header.date


@pytest.mark.parametrize(
    ("banner", "forwarded"),
    [
        ("-----Ursprüngliche Nachricht-----", False),
        ("-----Message d'origine-----", False),
        ("-----Mensaje original-----", False),
        ("-----原始邮件-----", False),
        ("-----원본 메시지-----", False),
        ("---------- Mensaje reenviado ---------", True),
        ("---------- Messaggio inoltrato ---------", True),
        ("---------- Doorgestuurd bericht ---------", True),
    ],
)
def test_separators_in_other_languages(banner: str, forwarded: bool) -> None:
    body = f"FYI\n\n{banner}\nFrom: Laura Becker <laura@example.com>\nSubject: x\n\nold\n"
    header = split_thread(body).headers[0]
    assert header.forwarded is forwarded and header.sender == LAURA


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("Hi Mark,", ("Mark",)),
        ("Dear Mr. Tanaka", ("Tanaka",)),
        ("Hello Mark and Laura,", ("Mark", "Laura")),
        ("Sehr geehrter Herr Becker,", ("Becker",)),
        ("Bonjour Laura,", ("Laura",)),
        ("高橋様", ("高橋",)),
        ("株式会社ノースウィンド 高橋様", ("高橋",)),
        ("田中さん、お疲れ様です。", ("田中",)),
        ("김소영님,", ("김소영",)),
        ("王经理：", ("王",)),
        ("李先生，您好！", ("李",)),
        ("張總:", ("張",)),
        ("王经理说明天到。", ()),
        ("Hi all,", ()),
        ("皆様", ()),
        ("お疲れ様です。", ()),
        ("Hi, could you check the invoice?", ()),
        ("佐藤さんから連絡がありました。", ()),
    ],
)
def test_greeting_lines(line: str, names: tuple[str, ...]) -> None:
    from mailcheck.thread.greetings import greeting

    assert greeting(line) == names


def test_quoted_messages_give_whom_they_greet_and_sign_as() -> None:
    body = (
        "Attached.\n\nOn Mon, Feb 28, 2022 at 5:12 PM Laura Becker <laura@example.com> wrote:\n"
        "> Hi Mark,\n>\n> could you send the offer?\n>\n> Thanks,\n> Laura\n>\n"
        "> 2022年2月27日(日) 9:00 小林 誠 <kobayashi@example.co.jp>:\n"
        ">> 株式会社エグザンプル\n>> 高橋様\n>>\n>> 資料をお送りします。\n>>\n"
        ">> よろしくお願いいたします。\n>> 小林\n"
    )
    split = split_thread(body)
    assert split.greeted == ("Mark", "高橋")
    assert split.signed == ("Laura", "小林")
