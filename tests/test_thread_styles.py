"""Reply hijacks in the quoting styles our first fixtures did not have, whole messages.

Gmail, Apple, Outlook mobile and Thunderbird attribution lines in eleven languages, Outlook
header blocks labelled in eight more, forwards, and header blocks that name people without
addresses. Each hijack has a genuine counterpart that must stay clean: the greeted
recipient, a colleague of the quoted author, a participant forwarding, a forwarded
newsletter or notice.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cases import formatting_xlsm
from cases_thread import (
    ALICE,
    ASK_EN,
    ASK_JA,
    ATTRIBUTION_LINES,
    BOB,
    CAROL,
    HIJACKED,
    OUTLOOK_LABELS,
    REPLY_EN,
    REPLY_JA,
    SATO,
    SUZUKI,
    YAMADA,
    Person,
    attachment,
    attributed,
    build,
    forward_en,
    forward_ja,
    outlook_ja,
    outlook_lang,
)

from mailcheck.api import scan_bytes
from mailcheck.config import Config
from mailcheck.model import Finding, ScanResult

Make = Callable[..., bytes]
XLSM = "application/vnd.ms-excel.sheet.macroEnabled.12"
THREAD_IDS = {
    "thread.sender_not_in_thread",
    "thread.display_name_impersonates_participant",
    "thread.fake_reply",
    "thread.quote_unparsed",
}


def macro() -> str:
    return attachment(formatting_xlsm(), "請求書.xlsm", XLSM)


def pdf() -> str:
    return attachment(
        b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n", "PO-2022-02.pdf", "application/pdf"
    )


def ids(result: ScanResult) -> set[str]:
    return {f.id for f in result.findings}


def finding(result: ScanResult, finding_id: str) -> Finding:
    found = [f for f in result.findings if f.id == finding_id]
    assert found, ids(result)
    return found[0]


def assert_clean(data: bytes) -> None:
    result = scan_bytes(data, config=Config())
    assert ids(result) & THREAD_IDS == set(), ids(result)
    assert result.verdict.label == "clean", ids(result)


# --- attribution lines: English and Japanese ---------------------------------------------


def gmail_reply_en(sender: Person, parts: list[str], style: str = "en-gmail") -> bytes:
    """Alice (northwind) asked Bob (contoso), greeting him: "Hi Bob," … "Alice"."""
    body = REPLY_EN + attributed(style, ALICE, ASK_EN)
    return build(sender=sender, to=[ALICE], subject="Re: Q2 purchase order", body=body, parts=parts)


def gmail_reply_ja(sender: Person, parts: list[str], style: str = "ja-gmail") -> bytes:
    """Sato (corp) asked Yamada (partner), greeting him: "山田様" … "佐藤"."""
    body = REPLY_JA + attributed(style, SATO, ASK_JA)
    return build(sender=sender, to=[SATO], subject="RE: 見積書の件", body=body, parts=parts)


@pytest.mark.parametrize(
    ("make", "style", "author"),
    [
        (gmail_reply_en, "en-gmail", ALICE),
        (gmail_reply_en, "en-apple", ALICE),
        (gmail_reply_en, "en-outlook-mobile", ALICE),
        (gmail_reply_ja, "ja-gmail", SATO),
        (gmail_reply_ja, "ja-apple", SATO),
    ],
)
def test_hijacked_reply_under_an_attribution_line_is_malicious(
    make: Make, style: str, author: Person
) -> None:
    result = scan_bytes(make(HIJACKED, [macro()], style))
    hit = finding(result, "thread.sender_not_in_thread")
    assert [e.location for e in hit.evidence] == ["header From", "part 1"]
    # The evidence names the attribution line, and the quoted author is a participant.
    line = ATTRIBUTION_LINES[style].split("{who}")[0]
    assert hit.evidence[1].excerpt.startswith(line.rstrip())
    assert author[1] in hit.facts()["participants"]
    assert hit.facts()["from_address"] == HIJACKED[1]
    assert result.verdict.label == "malicious"


@pytest.mark.parametrize(
    ("quote", "to"),
    [(attributed("en-gmail", ALICE, ASK_EN), ALICE), (attributed("ja-gmail", SATO, ASK_JA), SATO)],
    ids=["en", "ja"],
)
def test_link_in_a_hijacked_reply_is_a_payload_too(quote: str, to: Person) -> None:
    text = "Please see https://blog.compromised-site.example/wp/Q2-order.doc\n\n" + quote
    result = scan_bytes(build(sender=HIJACKED, to=[to], subject="Re: Q2 order", body=text))
    assert "thread.sender_not_in_thread" in ids(result)
    assert result.verdict.label == "malicious", ids(result)  # identity + link.payload


@pytest.mark.parametrize("make", [gmail_reply_en, gmail_reply_ja], ids=["en", "ja"])
def test_attribution_reply_to_a_greeting_for_someone_else_is_suspicious(make: Make) -> None:
    # Nothing to open, but the quote greets the one who should answer ("Hi Bob," / 「山田様」)
    # and the sender is neither them nor of any organisation in the thread.
    result = scan_bytes(make(HIJACKED, []))
    hit = finding(result, "thread.sender_not_in_thread")
    assert [e.location for e in hit.evidence] == ["header From", "part 1"]
    assert result.verdict.label == "suspicious", ids(result)


@pytest.mark.parametrize(
    ("make", "sender"),
    [(gmail_reply_en, BOB), (gmail_reply_en, CAROL), (gmail_reply_ja, YAMADA)],
    ids=["en-greeted", "en-colleague", "ja-greeted"],
)
def test_genuine_attribution_reply_without_anything_to_open(make: Make, sender: Person) -> None:
    assert_clean(make(sender, []))


@pytest.mark.parametrize(
    "sender",
    [("Dave Li", "dave.li@contoso.example.org"), ("Dave Li", "dave.li.1987@gmail.com")],
    ids=["colleague-of-a-recipient", "free-mail"],
)
def test_attribution_reply_the_recipients_or_free_mail_explain(sender: Person) -> None:
    # Bob's colleague answers for him with Bob in Cc; someone writing from a personal
    # mailbox. Without a payload, neither is enough to call the sender a stranger.
    body = REPLY_EN + attributed("en-gmail", ALICE, ASK_EN)
    data = build(sender=sender, to=[ALICE], cc=[BOB], subject="Re: Q2 purchase order", body=body)
    assert_clean(data)


@pytest.mark.parametrize(
    ("ask", "to", "style", "subject"),
    [
        ("Could we move the meeting to Thursday?\n\nAlice", ALICE, "en-gmail", "Re: meeting"),
        ("木曜日に変更できますか。\n\n佐藤", SATO, "ja-gmail", "Re: 打ち合わせ"),
    ],
    ids=["en", "ja"],
)
def test_newcomer_in_a_group_thread_without_anything_to_open(
    ask: str, to: Person, style: str, subject: str
) -> None:
    # A quote that greets nobody does not say whom it was written to: someone Cc'd from a
    # third organisation joining with a view is everyday mail, so nothing is said.
    body = "Thursday works for me too.\n\n" + attributed(style, to, ask)
    assert_clean(build(sender=HIJACKED, to=[to], subject=subject, body=body))


@pytest.mark.parametrize(
    ("make", "sender"),
    [
        (gmail_reply_en, BOB),  # greeted: "Hi Bob,"
        (gmail_reply_en, ("Bob", "bob@bobs-consulting.example")),  # greeted, own business
        (gmail_reply_en, CAROL),  # the author's colleague
        (gmail_reply_en, ALICE),  # the author follows up
        (gmail_reply_ja, YAMADA),  # greeted: "山田様"
        (gmail_reply_ja, ("山田太郎", "t.yamada@yamada-office.example")),  # greeted, unspaced
        (gmail_reply_ja, SUZUKI),  # the author's colleague
    ],
    ids=["en-greeted", "en-greeted-elsewhere", "en-colleague", "en-author", "ja-greeted",
         "ja-greeted-elsewhere", "ja-colleague"],
)  # fmt: skip
def test_genuine_replies_under_an_attribution_line(make: Make, sender: Person) -> None:
    assert_clean(make(sender, [pdf()]))


def test_sender_whose_organisation_the_quote_shows_is_clean() -> None:
    # Alice's signature names the partner company's address: it took part.
    text = ASK_EN + "\n--\nAlice Walker, Northwind\ncc: orders@fabrikam.example.net"
    body = REPLY_EN + attributed("en-gmail", ALICE, text)
    data = build(
        sender=("Ravi Patel", "ravi@fabrikam.example.net"),
        to=[ALICE],
        subject="Re: Q2 purchase order",
        body=body,
        parts=[pdf()],
    )
    assert_clean(data)


@pytest.mark.parametrize(
    ("sender", "flagged"),
    [
        (HIJACKED, True),
        (("王伟", "wang.wei@huaxin.example.cn"), False),  # greeted: "王经理："
        (("王 伟", "wei.wang@huaxin-trading.example.com"), False),
    ],
    ids=["hijacked", "greeted", "greeted-spaced"],
)
def test_chinese_title_greeting_names_who_should_answer(
    sender: Person, flagged: bool
) -> None:
    zhang: Person = ("张丽", "zhang.li@dongfang.example.cn")
    ask = "王经理：\n\n您好！请确认附件中的订单。\n\n谢谢\n张丽"
    body = "请查收。\n\n" + attributed("zh-gmail", zhang, ask)
    result = scan_bytes(build(sender=sender, to=[zhang], subject="回复: 订单确认", body=body))
    assert ("thread.sender_not_in_thread" in ids(result)) is flagged, ids(result)
    assert result.verdict.label == ("suspicious" if flagged else "clean"), ids(result)


# --- attribution lines in other languages ---------------------------------------------------

OTHER_LANGUAGES = [k for k in ATTRIBUTION_LINES if not k.startswith(("en-", "ja-"))]


@pytest.mark.parametrize("style", OTHER_LANGUAGES)
def test_hijacked_reply_in_other_languages(style: str) -> None:
    result = scan_bytes(gmail_reply_en(HIJACKED, [macro()], style))
    hit = finding(result, "thread.sender_not_in_thread")
    assert hit.facts()["quoted_style"] == "gmail-" + style.split("-")[0]
    assert ALICE[1] in hit.facts()["participants"]
    assert result.verdict.label == "malicious"


@pytest.mark.parametrize("style", OTHER_LANGUAGES)
def test_greeted_reply_in_other_languages(style: str) -> None:
    assert_clean(gmail_reply_en(BOB, [pdf()], style))


# --- Outlook header blocks in other languages -------------------------------------------------


@pytest.mark.parametrize("lang", sorted(OUTLOOK_LABELS))
def test_outlook_blocks_in_other_languages(lang: str) -> None:
    body = REPLY_EN + outlook_lang(lang, ALICE, [BOB], "Q2 order", ASK_EN)

    def reply(sender: Person) -> bytes:
        return build(sender=sender, to=[ALICE], subject="AW: Q2 order", body=body)

    # A known audience (To:): no payload needed to say so, as for English blocks.
    hit = finding(scan_bytes(reply(HIJACKED)), "thread.sender_not_in_thread")
    assert hit.facts()["quoted_style"] == f"outlook-{lang}"
    assert hit.facts()["quoted_subject"] == "Q2 order"
    assert_clean(reply(BOB))


# --- forwards ---------------------------------------------------------------------------------


def forward(
    sender: Person,
    body: str,
    parts: list[str],
    subject: str = "FW: Q2 purchase order",
    to: Person = BOB,
) -> bytes:
    return build(sender=sender, to=[to], subject=subject, body=body, parts=parts, reply=False)


FORWARDED_EN = "FYI, see attached.\n\n" + forward_en(ALICE, [BOB], "Q2 purchase order", ASK_EN)
FORWARDED_JA = "ご確認ください。\n\n" + forward_ja(SATO, [YAMADA], "見積書の件", ASK_JA)


@pytest.mark.parametrize(
    ("body", "subject"),
    [
        (FORWARDED_EN, "FW: Q2 purchase order"),
        (FORWARDED_EN, "WG: Q2 purchase order"),
        (FORWARDED_EN, "TR: Q2 purchase order"),
        (FORWARDED_JA, "転送: 見積書の件"),
        (FORWARDED_JA, "Fwd: 見積書の件"),
    ],
    ids=["en-fw", "de-wg", "fr-tr", "ja-tensou", "ja-fwd"],
)
def test_forwarded_thread_with_a_payload_from_outside_is_malicious(body: str, subject: str) -> None:
    # Sent back to a person of the forwarded thread (Bob, Yamada): the hijacker's audience.
    to = BOB if body is FORWARDED_EN else YAMADA
    result = scan_bytes(forward(HIJACKED, body, [macro()], subject, to))
    hit = finding(result, "thread.sender_not_in_thread")
    assert hit.evidence[1].excerpt.startswith("----------")  # the forward banner
    assert hit.facts()["quoted_style"] in ("forward", "forward-ja")
    assert result.verdict.label == "malicious"


@pytest.mark.parametrize(
    ("body", "sender"),
    [
        (FORWARDED_EN, BOB),  # the recipient forwards
        (FORWARDED_EN, ("Dan Smith", "dan.smith@eu.contoso.example.org")),  # their colleague
        (FORWARDED_JA, YAMADA),
        (FORWARDED_JA, ("田中 美紀", "tanaka@mail.partner.example.jp")),
    ],
    ids=["en-participant", "en-colleague", "ja-participant", "ja-colleague"],
)
def test_forwards_from_the_thread_are_clean(body: str, sender: Person) -> None:
    assert_clean(forward(sender, body, [pdf()]))


def test_forward_without_a_payload_is_clean() -> None:
    assert_clean(forward(HIJACKED, FORWARDED_EN, []))


def test_forward_to_someone_new_is_clean() -> None:
    # Forwarding brings a thread to a new reader, from a personal account too (seen in the
    # mail gem's fixtures: work mail forwarded from gmail with its attachments).
    to = ("Eve Park", "eve.park@newcustomer.example")
    assert_clean(forward(("Alice W.", "alice.w.1985@gmail.com"), FORWARDED_EN, [pdf()], to=to))


@pytest.mark.parametrize(
    ("quoted", "text"),
    [
        (("Contoso News", "news@mail.contoso.example.org"), "This month at Contoso..."),
        (("GitHub", "notifications@github.example.com"), "A new issue was opened."),
        (("Fabrikam", "info@fabrikam.example.net"), "Sale! To unsubscribe click here."),
        (("楽天市場", "mailmagazine@rakuten.example.co.jp"), "今月のお得情報\n配信停止はこちら"),
    ],
    ids=["newsletter", "notification", "unsubscribe", "ja-mailmagazine"],
)
def test_forwarded_newsletters_and_notices_are_clean(quoted: Person, text: str) -> None:
    body = "Interesting, have a look.\n\n" + forward_en(
        quoted, [("", "undisclosed-recipients:;")], "News", text
    )
    assert_clean(forward(("田村 優", "tamura@another.example.com"), body, [pdf()], "Fwd: News"))


# --- header blocks that name people without addresses ----------------------------------------

ISHII: Person = ("石井 由美", "")
KOBAYASHI: Person = ("小林 誠", "")


def name_only_thread(sender: Person, lang: str = "ja") -> bytes:
    """Ishii and Kobayashi (one organisation, Outlook names only) and a reply to Ishii."""
    ishii = ("石井 由美", "ishii@kaisha.example.co.jp")
    if lang == "ja":
        ask = "小林さん\n\n来期の発注書を添付します。\n\n石井"
        body = "ご確認ください。\n\n" + outlook_ja(ISHII, [KOBAYASHI], "発注書", ask)
        subject = "RE: 発注書"
    else:
        ask = "Hi Makoto,\n\nthe order for next term is attached.\n\nYumi"
        names = (("Ishii Yumi", ""), [("Kobayashi Makoto", "")])
        body = "Please see attached.\n\n" + outlook_lang("de", *names, "Order", ask)
        subject = "AW: Order"
    return build(sender=sender, to=[ishii], subject=subject, body=body, parts=[pdf()])


@pytest.mark.parametrize(
    ("lang", "copied"),
    [
        ("ja", "小林 誠"),
        ("ja", "小林誠 様"),
        ("en", "Makoto Kobayashi"),
        ("en", "KOBAYASHI Makoto"),
    ],
    ids=["ja", "ja-honorific", "en-order", "en-case"],
)
def test_name_only_participant_copied_onto_an_unrelated_address(lang: str, copied: str) -> None:
    result = scan_bytes(name_only_thread((copied, "m.kobayashi@hacked-shop.example"), lang))
    hit = finding(result, "thread.display_name_impersonates_participant")
    assert hit.facts()["participant_address"] == "-"
    assert hit.confidence == "medium"
    assert "thread.sender_not_in_thread" not in ids(result)
    assert result.verdict.label == "suspicious"


@pytest.mark.parametrize(
    "sender",
    [
        ("小林 誠", "kobayashi@kaisha.example.co.jp"),  # the participant, from the organisation
        ("Kobayashi Makoto", "kobayashi@mail.kaisha.example.co.jp"),
        ("小林 誠", "makoto.kobayashi@gmail.com"),  # own name on free mail, as before
    ],
    ids=["ja-own", "en-own-host", "free-mail"],
)
def test_name_only_participant_replying_from_their_organisation(sender: Person) -> None:
    assert_clean(name_only_thread(sender, "ja" if not sender[0].isascii() else "en"))
