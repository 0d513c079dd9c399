"""Reply-hijack checks: names, organisations, mail kinds, each decision, whole messages.

The decision tests hand `judge` a quoted history built directly (ThreadSplit), so they pin
the rules whatever the quote parser reads; the scan tests run whole messages through
`scan_bytes`: hijacked replies, their verdicts with payloads, and the legitimate mail that
looks similar (each must stay clean), in Japanese and English.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from cases import formatting_xlsm
from cases_containers import JA_PASSWORD_BODY, PASSWORD, PPAP_BODY, zipcrypto_zip
from cases_thread import (
    ALICE,
    ASK_EN,
    ASK_JA,
    BOB,
    CAROL,
    HIJACKED,
    REPLY_EN,
    REPLY_JA,
    SATO,
    SUZUKI,
    YAMADA,
    Person,
    attachment,
    build,
    forward_en,
    gmail_en,
    gmail_ja,
    hijack_en,
    hijack_ja,
    outlook_en,
    outlook_html_ja,
    outlook_ja,
)
from conftest import corpus_dir

from mailcheck import score
from mailcheck.api import scan_bytes
from mailcheck.config import DEFAULT_CONFIG, Config, Correspondent
from mailcheck.limits import DEFAULT, Budget
from mailcheck.model import Evidence, Finding, Hit, ScanResult
from mailcheck.parse import parse_message
from mailcheck.people.identity import name_keys, names_match, organisation, same_org
from mailcheck.people.mail_kind import list_address, subject_kind
from mailcheck.score import MALICIOUS_SCORE
from mailcheck.thread.display import shown_address
from mailcheck.thread.hijack import Quote, foreign_shown_address, judge, shown_address_evidence
from mailcheck.thread.types import Participant, QuotedHeader, ThreadSplit
from testkit.ham import measure
from testkit.msg_writer import build_msg

# --- names and organisations --------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("山田 太郎", "山田太郎"),
        ("山田 太郎 様", "山田太郎"),
        ("山田太郎（営業部）", "山田 太郎"),
        ("【社外】山田 太郎", "山田　太郎"),
        ("山田・太郎", "山田 太郎"),
        ("ＹＡＭＡＤＡ Ｔａｒｏ", "Taro Yamada"),
        ("Yamada, Taro", "Taro Yamada"),
        ("Chen, Bob [ext]", "Bob Chen"),
        ("Bob Chen via Partners List", "Bob Chen"),
        ("Mr. Bob Chen", "bob chen"),
        ('"Bob Chen" <bob.chen@contoso.example.org>', "Bob Chen"),
        ("佐藤さん", "佐藤"),
        ("株式会社ノースウィンド 御中", "株式会社ノースウィンド"),
        ("Front Desk on behalf of Bob Chen", "Bob Chen"),
        ("受付 が 山田 太郎 の代理で送信", "山田太郎"),
    ],
)
def test_names_that_are_the_same_person(a: str, b: str) -> None:
    assert names_match(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("山田 太郎", "山田 次郎"),
        ("Bob Chen", "Bob Cheng"),
        ("すがわら", "すがわら みき"),
        ("Info", "info"),  # a role, not a person
        ("営業部", "営業部"),
        ("JM", "JM"),  # too short to mean anyone
        ("yamada@partner.example.jp", "yamada@partner.example.jp"),  # an address is no name
    ],
)
def test_names_that_prove_nothing(a: str, b: str) -> None:
    assert not names_match(a, b)


def test_name_keys_ignore_case_width_and_order() -> None:
    assert name_keys("ＢＯＢ　ＣＨＥＮ") == {"bobchen", "bob chen"}
    assert name_keys("chen bob") == {"chenbob", "bob chen"}


@pytest.mark.parametrize(
    ("domain", "org"),
    [
        ("mail.corp.example.co.jp", "example.co.jp"),
        ("corp.example.co.jp", "example.co.jp"),
        ("lists.sourceforge.net", "sourceforge.net"),
        ("x.blogspot.com", "x.blogspot.com"),  # a private suffix: each blog is its own
        ("MAIL.Example.COM.", "example.com"),
        ("gmail.com", "gmail.com"),
        ("localhost", "localhost"),
        ("192.0.2.1", "192.0.2.1"),
        ("", ""),
    ],
)
def test_organisation_is_the_registrable_domain(domain: str, org: str) -> None:
    assert organisation(domain) == org


def test_same_org_but_never_on_free_mail() -> None:
    assert same_org("sato@corp.example.co.jp", "suzuki@mail.example.co.jp")
    assert not same_org("taro.yamada@gmail.com", "yamada.t@gmail.com")
    assert same_org("Taro.Yamada@gmail.com", "taro.yamada@gmail.com")
    assert not same_org("a@example.co.jp", "b@other.co.jp")


@pytest.mark.parametrize(
    ("subject", "kind"),
    [
        ("RE: 見積書の件", "reply"),
        ("Re: Q2 order", "reply"),
        ("RE: RE: Q2 order", "reply"),
        ("Re[2]: Q2 order", "reply"),
        ("Re(3): Q2 order", "reply"),
        ("Re^2: Q2 order", "reply"),
        ("AW: Bestellung", "reply"),
        ("SV: Order", "reply"),
        ("VS: Order", "reply"),
        ("ODP: Zamówienie", "reply"),
        ("RIF: Ordine", "reply"),
        ("返信: 見積書の件", "reply"),
        ("返: 見積書の件", "reply"),
        ("ＲＥ：見積書の件", "reply"),
        ("[ILUG] Re: freeserve", "reply"),
        ("【重要】RE: 見積書", "reply"),
        ("Fwd: Q2 order", "forward"),
        ("FW: Q2 order", "forward"),
        ("Fw: Re: Q2 order", "forward"),
        ("転送: 見積書の件", "forward"),
        ("Re: Fwd: Q2 order", "reply"),
        ("Regarding the order", None),
        ("Request: quote", None),
        ("Review of Q2", None),
        ("見積書の件", None),
    ],
)
def test_subject_kind(subject: str, kind: str | None) -> None:
    assert subject_kind(subject) == kind


# --- decisions on a given quoted history -------------------------------------------------


def p(person: Person) -> Participant:
    return Participant(name=person[0], addr=person[1].lower())


def header(
    sender: Person | None,
    recipients: Sequence[Person] = (),
    *,
    subject: str = "見積書の件",
    forwarded: bool = False,
    style: str = "outlook-ja",
) -> QuotedHeader:
    return QuotedHeader(
        style=style,
        sender=p(sender) if sender else None,
        recipients=tuple(p(r) for r in recipients),
        subject=subject,
        date="2022年2月28日 17:12",
        line=7,
        excerpt=f"差出人: {sender[0] if sender else ''}",
        forwarded=forwarded,
    )


def split(*headers: QuotedHeader, quoted: bool = True) -> ThreadSplit:
    return ThreadSplit(
        new_text="お世話になっております。",
        quoted_text="> 以前の本文",
        headers=headers,
        quoted=quoted,
    )


# Sato (corp) asked Yamada (partner), copying Suzuki (corp).
THREAD = split(header(SATO, [YAMADA, SUZUKI]))


def run(
    data: bytes, thread: ThreadSplit | None = THREAD, config: Config = DEFAULT_CONFIG
) -> list[Hit]:
    message = parse_message(data, Budget(DEFAULT))
    quote = Quote(split=thread, location="part 1") if thread is not None else None
    return judge(message, quote, config)


def hit_ids(hits: list[Hit]) -> set[str]:
    return {h.id for h in hits}


def reply(
    sender: Person,
    *,
    subject: str = "RE: 見積書の件",
    threaded: bool = True,
    headers: Sequence[tuple[str, str]] = (),
    parts: Sequence[str] = (),
    content_type: str = "",
    to: Sequence[Person] = (SATO,),
) -> bytes:
    return build(
        sender=sender,
        to=to,
        subject=subject,
        body="承知しました。",
        reply=threaded,
        headers=headers,
        parts=parts,
        content_type=content_type,
    )


def test_sender_outside_the_thread_fires_with_its_evidence() -> None:
    hits = run(reply(HIJACKED))
    assert hit_ids(hits) == {"thread.sender_not_in_thread"}
    hit = hits[0]
    assert [e.location for e in hit.evidence] == ["header From", "part 1"]
    facts = dict(hit.evidence[0].facts)
    assert facts["from_address"] == "ohno.k@hacked-shop.example"
    assert "yamada@partner.example.jp" in facts["participants"]
    assert facts["quoted_subject"] == "見積書の件"


def test_sender_outside_an_english_thread_fires() -> None:
    thread = split(header(ALICE, [BOB], subject="Q2 purchase order", style="outlook"))
    hits = run(reply(HIJACKED, subject="RE: Q2 purchase order", to=[ALICE]), thread)
    assert hit_ids(hits) == {"thread.sender_not_in_thread"}


def test_nested_message_locations_carry_the_prefix() -> None:
    message = parse_message(reply(HIJACKED), Budget(DEFAULT))
    hits = judge(message, Quote(split=THREAD, location="part 1"), Config(), "attachment 2/fw.eml: ")
    assert [e.location for e in hits[0].evidence] == [
        "attachment 2/fw.eml: header From",
        "attachment 2/fw.eml: part 1",
    ]


@pytest.mark.parametrize(
    "sender",
    [
        YAMADA,  # the recipient of the quoted mail answers
        SATO,  # the asker follows up on her own mail
        ("Yamada Taro", "YAMADA@partner.example.jp"),  # case of the address
        ("鈴木 一郎", "suzuki@corp.example.co.jp"),  # the Cc'd colleague
        ("田中 美紀", "tanaka@mail.partner.example.jp"),  # Yamada's colleague, another host
    ],
)
def test_people_and_organisations_of_the_thread_are_clean(sender: Person) -> None:
    assert run(reply(sender)) == []


def test_colleagues_across_configured_internal_domains_are_clean() -> None:
    config = Config(internal_domains=("corp.example.co.jp", "kaisha-group.example.ne.jp"))
    assert run(reply(("高橋 健", "takahashi@kaisha-group.example.ne.jp")), config=config) == []
    assert hit_ids(run(reply(("高橋 健", "takahashi@kaisha-group.example.ne.jp")))) == {
        "thread.sender_not_in_thread"
    }


def test_free_mail_shares_no_organisation() -> None:
    thread = split(header(("Yamada", "yamada.taro@gmail.com"), [SATO]))
    hits = run(reply(("Ohno", "ohno.k1988@gmail.com")), thread)
    assert hit_ids(hits) == {"thread.sender_not_in_thread"}


def test_known_alias_of_a_participant_is_clean() -> None:
    config = Config(
        known_correspondents=(
            Correspondent(
                name="山田 太郎", addresses=("yamada@partner.example.jp", "t.yamada@home.example")
            ),
        )
    )
    assert run(reply(("Taro", "t.yamada@home.example")), config=config) == []


def test_on_behalf_of_a_participant_is_clean() -> None:
    data = reply(
        ("営業部 共有", "eigyo-shared@office.example.net"),
        headers=[("Sender", "山田 太郎 <yamada@partner.example.jp>")],
    )
    assert run(data) == []


def test_quoted_on_behalf_of_names_both_people() -> None:
    thread = split(header(("受付 が 山田 太郎 の代理で送信", ""), [SATO]))
    assert run(reply(("山田 太郎", "yamada@partner.example.jp")), thread) == []


def test_name_only_outlook_thread_with_the_senders_name_is_clean() -> None:
    # A block without any address is one organisation's address book: its people write
    # from that organisation (the recipient's), a trusted or known one.
    thread = split(header((SATO[0], ""), [(SUZUKI[0], ""), ("山田 太郎", "")]))
    assert run(reply(SUZUKI), thread) == []
    assert run(reply(YAMADA), thread, Config(trusted_domains=("partner.example.jp",))) == []
    known = Correspondent(name="山田 太郎", addresses=(YAMADA[1],))
    assert run(reply(YAMADA), thread, Config(known_correspondents=(known,))) == []
    # Free mail under one's own name stays a participant, as before.
    assert run(reply(("山田 太郎", "taro.yamada@gmail.com")), thread) == []


def test_name_only_participant_copied_from_an_unrelated_address() -> None:
    # "From: 佐藤 花子" / "To: 山田 太郎" without addresses; the name on an address of an
    # organisation neither the thread nor the recipients show.
    thread = split(header((SATO[0], ""), [(SUZUKI[0], ""), ("山田 太郎", "")]))
    hits = run(reply(YAMADA), thread)
    assert hit_ids(hits) == {"thread.display_name_impersonates_participant"}
    assert hits[0].confidence == "medium"  # the participant's real address is unknown
    facts = dict(hits[0].evidence[0].facts)
    assert (facts["participant"], facts["participant_address"]) == ("山田 太郎", "-")
    assert [e.location for e in hits[0].evidence] == ["header From", "part 1"]
    # Where the block shows addresses, a bare name is the replier's own colleague.
    partly = split(header(SATO, [("山田 太郎", "")]))
    assert run(reply(YAMADA), partly) == []


def test_name_only_thread_from_a_stranger_fires_with_medium_confidence() -> None:
    thread = split(header((SATO[0], ""), [(SUZUKI[0], "")]))
    hits = run(reply(HIJACKED), thread)
    assert hit_ids(hits) == {"thread.sender_not_in_thread"}
    assert hits[0].confidence == "medium"


def test_name_only_internal_thread_from_an_insider_is_clean() -> None:
    thread = split(header((SATO[0], ""), [(SUZUKI[0], "")]))
    config = Config(internal_domains=("corp.example.co.jp",))
    assert run(reply(("高橋 健", "takahashi@corp.example.co.jp")), thread, config) == []


def test_internal_name_only_thread_continued_from_outside_under_an_insiders_name() -> None:
    thread = split(header((SATO[0], ""), [(SUZUKI[0], "")]))
    config = Config(internal_domains=("corp.example.co.jp",))
    impostor = reply(("鈴木 一郎", "suzuki.ichiro@hacked-shop.example"))
    for settings in (config, DEFAULT_CONFIG):  # the recipient's organisation says it as well
        hits = run(impostor, thread, settings)
        assert hit_ids(hits) == {"thread.display_name_impersonates_participant"}
    assert run(reply(SUZUKI), thread, config) == []


def test_display_name_copying_a_participant_fires_instead_of_not_in_thread() -> None:
    hits = run(reply(("山田 太郎", "ohno.k@hacked-shop.example")))
    assert hit_ids(hits) == {"thread.display_name_impersonates_participant"}
    facts = dict(hits[0].evidence[0].facts)
    assert facts["participant_address"] == "yamada@partner.example.jp"
    assert facts["from_name"] == "山田 太郎"
    assert hits[0].evidence[1].location == "part 1"


def test_display_name_copying_with_honorific_and_department() -> None:
    hits = run(reply(("山田太郎（営業部）様", "ohno.k@hacked-shop.example")))
    assert hit_ids(hits) == {"thread.display_name_impersonates_participant"}


def test_display_name_copied_into_a_reply_to_a_forward_fires() -> None:
    thread = split(header(ALICE, [BOB], subject="Q2 order", forwarded=True, style="forward"))
    hits = run(reply(("Alice Walker", HIJACKED[1]), subject="RE: Fwd: Q2 order"), thread)
    assert hit_ids(hits) == {"thread.display_name_impersonates_participant"}


def test_forwarding_your_own_mail_from_another_account_is_clean() -> None:
    # Seen in real mail (mime4j's frag.msg): "FW:" from work of a mail sent from home.
    thread = split(header(("Shawn Morgan", "cephalos@home.example.net"), [("Shawn Morgan", "")]))
    data = reply(("Shawn Morgan", "shawnm@snesystems.example.com"), subject="FW: A moment")
    assert run(data, thread) == []


def test_same_name_within_the_organisation_is_not_impersonation() -> None:
    assert run(reply(("山田 太郎", "t-yamada@partner.example.jp"))) == []


@pytest.mark.parametrize(
    ("shown", "matched"),
    [
        ("yamada@partner.example.jp", "yamada@partner.example.jp"),  # a participant
        ("tanaka@corp.example.co.jp", "example.co.jp"),  # the recipient's organisation
    ],
)
def test_display_name_showing_a_familiar_address(shown: str, matched: str) -> None:
    # sender.display_name_has_address reports it; the thread only lends its evidence.
    data = reply((shown, "ohno.k@hacked-shop.example"))
    assert run(data) == []
    facts, _quoted = evidence_of(data)
    assert facts["matched"] == matched


def test_display_name_showing_an_internal_address_without_a_thread() -> None:
    config = Config(internal_domains=("corp.example.co.jp",))
    data = reply(("sato@corp.example.co.jp", "x@hacked.example"), to=[ALICE])
    assert evidence_of(data, None, config)[0] == {"matched": "example.co.jp"}
    assert evidence_of(data, None) == ({}, ())


def test_display_name_showing_the_senders_own_organisation_is_not_escalated() -> None:
    data = reply(("sato@corp.example.co.jp", "sato.h@corp.example.co.jp"))
    assert run(data) == []
    shown = shown_address(parse_message(data, Budget(DEFAULT)))
    assert shown is not None and shown.kind == "own"


def evidence_of(
    data: bytes, thread: ThreadSplit | None = THREAD, config: Config = DEFAULT_CONFIG
) -> tuple[dict[str, str], tuple[Evidence, ...]]:
    """What the thread lends sender.display_name_has_address about the shown address."""
    message = parse_message(data, Budget(DEFAULT))
    quote = Quote(split=thread, location="part 1") if thread is not None else None
    shown = foreign_shown_address(message, quote, config)
    assert shown, "the display name shows no address of another organisation"
    facts, quoted = shown_address_evidence(message, quote, shown, config, "")
    return dict(facts), quoted


def test_name_and_address_of_a_participant_is_one_finding_with_its_evidence() -> None:
    data = reply(("山田 太郎 <yamada@partner.example.jp>", "ohno.k@hacked-shop.example"))
    assert run(data) == []  # neither impersonates_participant nor sender_not_in_thread
    facts, quoted = evidence_of(data)
    assert facts["participant"] == "山田 太郎 <yamada@partner.example.jp>"
    assert facts["participant_address"] == "yamada@partner.example.jp"
    assert facts["quoted_subject"] == "見積書の件"
    assert [e.location for e in quoted] == ["part 1"]


def test_participants_name_beside_an_unrelated_address_lends_the_participant() -> None:
    data = reply(("山田 太郎 <taro@elsewhere.example>", "ohno.k@hacked-shop.example"))
    assert run(data) == []
    facts, _quoted = evidence_of(data)
    assert facts["participant_address"] == "yamada@partner.example.jp"
    assert "matched" not in facts  # the shown address itself is nobody's here


def test_unrelated_address_in_the_name_leaves_the_thread_check_its_own_finding() -> None:
    # The name shows a stranger's address and the sender is outside the thread: two facts.
    data = reply(("billing@supplier.example", "ohno.k@hacked-shop.example"))
    assert hit_ids(run(data)) == {"thread.sender_not_in_thread"}
    assert evidence_of(data) == ({}, ())


def test_relayed_display_name_is_not_the_thread_checks_either() -> None:
    data = reply(
        ("yamada@partner.example.jp", "yamada_at_partner_example_jp_x1@privaterelay.appleid.com")
    )
    message = parse_message(data, Budget(DEFAULT))
    assert foreign_shown_address(message, None, DEFAULT_CONFIG) == ""
    # Yamada writing through Apple's relay is Yamada: the relay spells his address out.
    assert run(data) == []
    # A relay address that stands for nobody in the thread is judged as any sender.
    stranger = reply(("yamada@partner.example.jp", "reply+k3j4h5g6f7@simplelogin.co"))
    assert hit_ids(run(stranger)) == {"thread.sender_not_in_thread"}
    # The same spelling on an ordinary domain is the account owner's choice, not a relay's.
    chosen = reply(("Yamada", "yamada_at_partner_example_jp@hacked-shop.example"))
    assert hit_ids(run(chosen)) == {"thread.sender_not_in_thread"}


@pytest.mark.parametrize(
    "subject",
    ["RE: 見積書の件", "Re[2]: Q2 order", "AW: Bestellung", "返信: 見積書", "ＲＥ：請求書"],
)
def test_reply_subject_without_threading_headers_is_a_fake_reply(subject: str) -> None:
    hits = run(reply(YAMADA, subject=subject, threaded=False), None)
    assert hit_ids(hits) == {"thread.fake_reply"}
    assert hits[0].evidence[0].location == "header Subject"


def test_outlook_thread_index_counts_as_threading() -> None:
    data = reply(YAMADA, threaded=False, headers=[("Thread-Index", "AdgtQ0c2YWNk")])
    assert run(data, None) == []


def test_fake_reply_gives_way_to_the_identity_finding() -> None:
    assert hit_ids(run(reply(HIJACKED, threaded=False))) == {"thread.sender_not_in_thread"}


def test_ppap_password_notice_is_no_fake_reply() -> None:
    data = build(
        sender=YAMADA,
        to=[SATO],
        subject="RE: 見積書の件 [パスワード通知]",
        body="先ほどお送りした添付ファイルのパスワードは次のとおりです。\nパスワード: Xk29#pQ",
        reply=False,
    )
    assert run(data, None) == []


def test_saved_outlook_item_without_transport_headers_is_no_fake_reply() -> None:
    data = build_msg(
        subject="RE: 見積書の件",
        sender_name="山田 太郎",
        sender_email=YAMADA[1],
        to=(SATO,),
        body="承知しました。",
        transport_headers=None,
        message_id="<saved@partner.example.jp>",
    )
    assert run(data, None) == []


def test_quote_without_any_header_cannot_be_checked() -> None:
    hits = run(reply(YAMADA), split())
    assert hit_ids(hits) == {"thread.quote_unparsed"}
    assert hits[0].evidence[0].location == "part 1"


def test_attribution_without_recipients_leaves_the_audience_unknown() -> None:
    # "On …, Alice wrote:" names no recipients: anyone she wrote to may answer.
    thread = split(header(ALICE, [], style="gmail"))
    assert run(reply(CAROL, subject="Re: Q2 order", to=[ALICE]), thread) == []
    assert run(reply(HIJACKED, subject="Re: Q2 order", to=[ALICE]), thread) == []


@pytest.mark.parametrize(
    ("subject", "thread"),
    [
        ("Fwd: 見積書の件", THREAD),  # a forward comes from outside the thread by design
        ("転送: 見積書の件", THREAD),
        ("RE: 見積書の件", split(header(SATO, [YAMADA], forwarded=True, style="forward"))),
    ],
)
def test_forwards_are_not_replies(subject: str, thread: ThreadSplit) -> None:
    assert run(reply(("田村 優", "tamura@another.example.com"), subject=subject), thread) == []


LIST_HEADERS = [
    [("List-Id", "Partners <partners.lists.example.org>")],
    [("List-Post", "<mailto:partners@lists.example.org>")],
    [("List-Unsubscribe", "<mailto:leave-partners@lists.example.org>")],
    [("X-Original-Sender", "bob.chen@contoso.example.org"), ("Precedence", "list")],
    [("X-ML-Name", "partners"), ("X-Mail-Count", "01234")],
    [("Sender", "partners-bounces@lists.example.org"), ("X-Mailman-Version", "2.1.39")],
]


@pytest.mark.parametrize("extra", LIST_HEADERS)
def test_mailing_lists_are_exempt(extra: list[tuple[str, str]]) -> None:
    assert run(reply(("田村 優", "tamura@another.example.com"), headers=extra)) == []
    fake = reply(("Tamura", "tamura@another.example.com"), threaded=False, headers=extra)
    assert run(fake, None) == []
    assert run(reply(("Bob Chen via Partners", "partners@lists.example.org"), headers=extra)) == []


def test_thread_addressed_to_a_list_has_an_open_audience() -> None:
    # Any subscriber may answer a message that went to a list (the ham corpus is full of it).
    thread = split(header(ALICE, [("Partners", "partners-ml@example.jp"), BOB]))
    assert run(reply(HIJACKED, to=[ALICE]), thread) == []
    cc_list = reply(HIJACKED, to=[("", "spamassassin-talk@lists.example.net")])
    assert run(cc_list) == []


@pytest.mark.parametrize(
    ("addr", "is_list"),
    [
        ("python-list@python.org", True),
        ("spamassassin-talk@example.sourceforge.net", True),
        ("tmda-users@tmda.net", True),
        ("partners-ml@example.jp", True),
        ("SEC-L@listserv.example.edu", True),
        ("team@googlegroups.com", True),
        ("anyone@lists.example.org", True),
        ("callista@example.com", False),
        ("alice.l@example.com", False),
        ("sales@example.com", False),
    ],
)
def test_list_addresses(addr: str, is_list: bool) -> None:
    assert list_address(addr) is is_list


def test_out_of_office_notice_without_auto_submitted_is_no_fake_reply() -> None:
    data = build(
        sender=YAMADA,
        to=[SATO],
        subject="Re: 見積書の件",
        body="This is an automated response. I will be out of the office until Monday.",
        reply=False,
    )
    assert run(data, None) == []


def test_bounce_calendar_and_auto_reply_are_exempt() -> None:
    report = reply(
        ("Mail Delivery System", "MAILER-DAEMON@mx.partner.example.jp"),
        subject="Undelivered Mail Returned to Sender",
        parts=["Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n"],
        content_type="multipart/report",
    )
    invite = reply(
        ("田村 優", "tamura@another.example.com"),
        parts=[attachment(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "invite.ics", "text/calendar")],
    )
    auto = reply(
        ("田村 優", "tamura@another.example.com"),
        subject="自動応答: 見積書の件",
        headers=[("Auto-Submitted", "auto-replied")],
    )
    for data in (report, invite, auto):
        assert run(data) == []


def test_ticketing_system_of_a_participants_organisation_is_clean() -> None:
    thread = split(header(("Contoso Support", "support@contoso.example.org"), [ALICE]))
    data = reply(
        ("Contoso Support", "support@contoso.zendesk.example.com"),
        subject="Re: [#4711] Login problem",
        headers=[("X-Zendesk-From-Account-Id", "12ab")],
        to=[ALICE],
    )
    assert run(data, thread) == []
    noreply = reply(("Contoso", "no-reply@notify.contoso.example.org"), to=[ALICE])
    assert run(noreply, thread) == []


# --- whole messages ----------------------------------------------------------------------

THREAD_IDS = {
    "thread.sender_not_in_thread",
    "thread.display_name_impersonates_participant",
    "thread.fake_reply",
    "thread.quote_unparsed",
}
XLSM = "application/vnd.ms-excel.sheet.macroEnabled.12"
# The findings a display name that copies someone can give: one of them per message.
DISPLAY_NAME_IDS = {
    "sender.display_name_has_address",
    "thread.display_name_impersonates_participant",
}
IDENTITY_IDS = {*THREAD_IDS, *DISPLAY_NAME_IDS, "sender.impersonates_known_correspondent"}


def ids(result: ScanResult) -> set[str]:
    return {f.id for f in result.findings}


def finding(result: ScanResult, finding_id: str) -> Finding:
    return next(f for f in result.findings if f.id == finding_id)


# --- hijacked replies ---------------------------------------------------------------------


@pytest.mark.parametrize("make", [hijack_ja, hijack_en], ids=["ja", "en"])
def test_reply_from_outside_the_thread_is_suspicious(make: Callable[..., bytes]) -> None:
    result = scan_bytes(make())
    hit = finding(result, "thread.sender_not_in_thread")
    assert [e.location for e in hit.evidence] == ["header From", "part 1"]
    assert hit.facts()["from_address"] == HIJACKED[1]
    assert result.verdict.label == "suspicious"


@pytest.mark.parametrize(
    ("make", "name", "real"),
    [(hijack_ja, "山田 太郎", YAMADA[1]), (hijack_en, "Bob Chen", BOB[1])],
    ids=["ja", "en"],
)
def test_display_name_of_a_participant_on_another_address(
    make: Callable[..., bytes], name: str, real: str
) -> None:
    result = scan_bytes(make(sender=(name, HIJACKED[1])))
    hit = finding(result, "thread.display_name_impersonates_participant")
    assert hit.facts()["participant_address"] == real
    assert [e.location for e in hit.evidence] == ["header From", "part 1"]
    assert "thread.sender_not_in_thread" not in ids(result)  # one fact, one finding
    assert result.verdict.label == "suspicious"


@pytest.mark.parametrize(
    ("body", "sender"),
    [
        (REPLY_JA + gmail_ja(SATO, ASK_JA), ("佐藤 花子", "hanako.sato@hacked-shop.example")),
        (REPLY_EN + gmail_en(ALICE, ASK_EN), ("Alice Walker", "a.walker@hacked-shop.example")),
    ],
    ids=["ja", "en"],
)
def test_gmail_attribution_name_copied(body: str, sender: Person) -> None:
    result = scan_bytes(build(sender=sender, to=[BOB], subject="Re: 見積書の件", body=body))
    assert "thread.display_name_impersonates_participant" in ids(result)


def test_outlook_html_only_reply_from_outside_the_thread() -> None:
    body = (
        "<html><body><p>ご確認ください。</p>"
        + outlook_html_ja(SATO, [YAMADA], "見積書の件", ASK_JA)
        + "</body></html>"
    )
    data = build(sender=HIJACKED, to=[SATO], subject="RE: 見積書の件", body=body, subtype="html")
    hit = finding(scan_bytes(data), "thread.sender_not_in_thread")
    assert hit.evidence[1].location == "part 1"
    genuine = build(sender=YAMADA, to=[SATO], subject="RE: 見積書の件", body=body, subtype="html")
    assert ids(scan_bytes(genuine)) & THREAD_IDS == set()


@pytest.mark.parametrize(
    ("make", "shown"), [(hijack_ja, YAMADA[1]), (hijack_en, BOB[1])], ids=["ja", "en"]
)
def test_display_name_showing_a_participants_address(
    make: Callable[..., bytes], shown: str
) -> None:
    result = scan_bytes(make(sender=(shown, HIJACKED[1])))
    hit = finding(result, "sender.display_name_has_address")
    assert hit.facts()["shown_address"] == shown
    assert hit.facts()["participant_address"] == shown == hit.facts()["matched"]
    assert [e.location for e in hit.evidence] == ["header From", "part 1"]
    # One trick, one finding: the participant and the thread are its evidence, not the
    # thread check's own findings (this used to be three of them).
    assert ids(result) & IDENTITY_IDS == {"sender.display_name_has_address"}
    assert result.verdict.label == "suspicious"


def test_display_name_showing_a_colleagues_address_without_a_thread() -> None:
    data = build(
        sender=("suzuki@corp.example.co.jp", HIJACKED[1]),
        to=[SATO],
        subject="請求書の送付",
        body="請求書を送付します。",
        reply=False,
    )
    result = scan_bytes(data)
    hit = finding(result, "sender.display_name_has_address")
    assert hit.facts()["matched"] == "example.co.jp"
    assert ids(result) & IDENTITY_IDS == {"sender.display_name_has_address"}
    assert result.verdict.label == "suspicious"


@pytest.mark.parametrize(
    "sender",
    [
        ("山田 太郎 <yamada@partner.example.jp>", HIJACKED[1]),  # name and address (sample 01)
        ("yamada@partner.example.jp", HIJACKED[1]),  # a participant's address
        ("suzuki@corp.example.co.jp", HIJACKED[1]),  # a colleague of the recipient
        ("山田 太郎", HIJACKED[1]),  # the name alone: the thread check's own finding
    ],
    ids=["name-and-address", "participant-address", "colleague-address", "name"],
)
def test_one_display_name_trick_is_one_finding_and_keeps_its_verdicts(sender: Person) -> None:
    # Before the merge these were two or three identity findings worth 70 together (the
    # cap); the one left must weigh the same, alone and with the weakest payload trait.
    alone = scan_bytes(hijack_ja(sender=sender))
    assert len(ids(alone) & DISPLAY_NAME_IDS) == 1
    assert ids(alone) & {"thread.sender_not_in_thread", "thread.fake_reply"} == set()
    assert (alone.verdict.label, alone.verdict.score) == ("suspicious", score.IDENTITY_CAP)
    macro = [attachment(formatting_xlsm(), "請求書.xlsm", XLSM)]
    loaded = scan_bytes(hijack_ja(sender=sender, parts=macro))
    assert loaded.verdict.label == "malicious"


def test_gmail_reply_showing_a_participants_address_keeps_its_weight() -> None:
    # An attribution line names no recipients, so sender_not_in_thread cannot speak: the
    # display-name finding alone must carry what it and address_is_participant carried.
    body = REPLY_JA + gmail_ja(YAMADA, ASK_JA)
    data = build(
        sender=("yamada@partner.example.jp", HIJACKED[1]),
        to=[SATO],
        subject="Re: 見積書の件",
        body=body,
        parts=[attachment(formatting_xlsm(), "請求書.xlsm", XLSM)],
    )
    result = scan_bytes(data)
    hit = finding(result, "sender.display_name_has_address")
    assert hit.facts()["participant_address"] == YAMADA[1]
    assert result.verdict.label == "malicious"


def test_identity_cap_leaves_room_for_the_weakest_payload_trait() -> None:
    # The weakest attachment traits score 10: identity evidence must count for 80 - 10.
    assert score.IDENTITY_CAP + 10 >= MALICIOUS_SCORE > score.IDENTITY_CAP


@pytest.mark.parametrize(
    "parts",
    [
        [attachment(formatting_xlsm(), "請求書.xlsm", XLSM)],  # attachment.macro (low, 10)
        [
            attachment(
                zipcrypto_zip([("a.pdf", b"%PDF-1.4\n")], PASSWORD), "a.zip", "application/zip"
            )
        ],
    ],
    ids=["macro", "encrypted-zip"],
)
def test_hijacked_reply_with_any_payload_trait_is_malicious(parts: list[str]) -> None:
    result = scan_bytes(hijack_ja(parts=parts))
    assert "thread.sender_not_in_thread" in ids(result)
    assert result.verdict.label == "malicious"


def test_hijacked_reply_with_the_password_in_the_body_is_malicious() -> None:
    zipped = zipcrypto_zip([("請求書.pdf", b"%PDF-1.4\n")], PASSWORD)
    body = JA_PASSWORD_BODY + outlook_ja(SATO, [YAMADA], "見積書の件", ASK_JA)
    data = build(
        sender=HIJACKED,
        to=[SATO],
        subject="RE: 見積書の件",
        body=body,
        parts=[attachment(zipped, "請求書.zip", "application/zip")],
    )
    result = scan_bytes(data)
    assert {"thread.sender_not_in_thread", "attachment.archive_password_in_body"} <= ids(result)
    assert result.verdict.label == "malicious"


@pytest.mark.parametrize(
    ("subject", "sender"),
    [("RE: ご請求書の件", ("経理 担当", "keiri@invoices.example.net")), ("Re: Invoice", ALICE)],
    ids=["ja", "en"],
)
def test_fake_reply_is_weak(subject: str, sender: Person) -> None:
    result = scan_bytes(build(sender=sender, to=[BOB], subject=subject, body="Hi", reply=False))
    assert finding(result, "thread.fake_reply").evidence[0].location == "header Subject"
    assert result.verdict.label == "clean"


@pytest.mark.parametrize(
    "body",
    [
        "承知しました。\n\n> 見積書をお送りください。\n> 佐藤\n",
        "OK.\n\n> Could you send it?\n> Alice\n",
    ],
    ids=["ja", "en"],
)
def test_quote_that_names_nobody_is_reported_not_cleared(body: str) -> None:
    result = scan_bytes(build(sender=YAMADA, to=[SATO], subject="Re: 見積書の件", body=body))
    hit = finding(result, "thread.quote_unparsed")
    assert hit.evidence[0].location == "part 1"
    assert result.verdict.label == "clean" and not result.verdict.incomplete


# --- legitimate mail that looks similar ---------------------------------------------------


def clean(data: bytes, config: Config | None = None) -> None:
    result = scan_bytes(data, config=config or Config())
    assert ids(result) & THREAD_IDS == set(), ids(result)
    assert result.verdict.label == "clean"


@pytest.mark.parametrize(
    "sender",
    [YAMADA, SUZUKI, SATO, ("田中 美紀", "tanaka@mail.partner.example.jp")],
    ids=["recipient", "cc", "asker", "colleague"],
)
def test_genuine_japanese_replies(sender: Person) -> None:
    clean(hijack_ja(sender=sender))


@pytest.mark.parametrize(
    "sender",
    [BOB, CAROL, ("Dan Smith", "dan.smith@eu.contoso.example.org")],
    ids=["recipient", "cc", "colleague"],
)
def test_genuine_english_replies(sender: Person) -> None:
    clean(hijack_en(sender=sender))


def test_configured_group_domains_are_one_organisation() -> None:
    config = Config(internal_domains=("corp.example.co.jp", "kaisha-group.example.ne.jp"))
    clean(hijack_ja(sender=("高橋 健", "takahashi@kaisha-group.example.ne.jp")), config)


def test_outlook_name_only_internal_thread() -> None:
    body = "了解です。\n\n" + outlook_ja((SATO[0], ""), [(SUZUKI[0], "")], "会議室", "明日の件")
    data = build(sender=SUZUKI, to=[SATO], subject="RE: 会議室", body=body)
    clean(data, Config(internal_domains=("corp.example.co.jp",)))


@pytest.mark.parametrize(
    "headers",
    [
        [
            ("X-ML-Name", "partners"),
            ("X-Mail-Count", "00123"),
            ("Sender", "owner-partners@ml.example.jp"),
        ],
        [("List-Id", "<partners.lists.example.org>"), ("X-Original-Sender", BOB[1])],
    ],
    ids=["fml-ja", "google-groups-en"],
)
def test_mailing_list_replies(headers: list[tuple[str, str]]) -> None:
    body = REPLY_JA + outlook_ja(SATO, [YAMADA], "見積書の件", ASK_JA)
    for sender in [
        ("田村 優", "tamura@another.example.com"),
        ("Bob Chen via Partners", "partners@lists.example.org"),
    ]:
        clean(
            build(
                sender=sender,
                to=[SATO],
                subject="Re: [partners:123] 見積書",
                body=body,
                headers=headers,
            )
        )


@pytest.mark.parametrize(
    ("body", "sender"),
    [
        (
            "了解です。\n\n差出人: 受付 <uketsuke@services.example.net> が 山田 太郎 の代理で送信\n"
            "送信日時: 2022年2月28日 17:12\n宛先: 佐藤 花子 <sato@corp.example.co.jp>\n"
            "件名: 見積書の件\n\n本文",
            YAMADA,
        ),
        (
            "OK.\n\nFrom: Front Desk <desk@services.example.net> On Behalf Of Bob Chen\n"
            "Sent: Monday, February 28, 2022 5:12 PM\nTo: Alice Walker <alice.walker@northwind"
            ".example.com>\nSubject: Q2 order\n\nHi",
            BOB,
        ),
    ],
    ids=["ja", "en"],
)
def test_quoted_on_behalf_of_principal_replies(body: str, sender: Person) -> None:
    clean(build(sender=sender, to=[ALICE], subject="RE: Q2 order", body=body))


def test_sender_header_on_behalf_of_a_participant() -> None:
    data = build(
        sender=("営業部 共有", "eigyo@office.example.net"),
        to=[SATO],
        subject="RE: 見積書の件",
        body=REPLY_JA + outlook_ja(SATO, [YAMADA], "見積書の件", ASK_JA),
        headers=[("Sender", f"山田 太郎 <{YAMADA[1]}>")],
    )
    clean(data)


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        (
            "転送: 見積書の件",
            "ご参考まで転送します。\n\n" + outlook_ja(SATO, [YAMADA], "見積書の件", ASK_JA),
        ),
        (
            "Fwd: Q2 purchase order",
            "FYI\n\n" + forward_en(ALICE, [BOB], "Q2 purchase order", ASK_EN),
        ),
    ],
    ids=["ja", "en"],
)
def test_forwards_from_outside_the_thread(subject: str, body: str) -> None:
    sender = ("田村 優", "tamura@another.example.com")
    clean(build(sender=sender, to=[("", "boss@another.example.com")], subject=subject, body=body))


def test_ticketing_system_of_the_same_organisation() -> None:
    body = "Your request has been updated.\n\n" + outlook_en(
        ("Contoso Support", "support@contoso.example.org"), [ALICE], "[#4711] Login problem", "Hi"
    )
    data = build(
        sender=("Contoso Support", "support@contoso.zendesk.example.com"),
        to=[ALICE],
        subject="Re: [#4711] Login problem",
        body=body,
        headers=[("X-Zendesk-From-Account-Id", "12ab")],
    )
    clean(data)


def test_bounce_quoting_the_original() -> None:
    report = "Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n"
    body = "This message could not be delivered.\n\n" + outlook_en(ALICE, [BOB], "Q2", ASK_EN)
    data = build(
        sender=("Mail Delivery System", "MAILER-DAEMON@mx.contoso.example.org"),
        to=[ALICE],
        subject="Undelivered Mail Returned to Sender",
        body=body,
        parts=[report],
        content_type="multipart/report",
    )
    clean(data)


def test_calendar_invitation_in_a_thread() -> None:
    ics = b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"
    data = build(
        sender=("田村 優", "tamura@another.example.com"),
        to=[SATO],
        subject="RE: 打ち合わせ日程",
        body="日程をお送りします。\n\n" + outlook_ja(SATO, [YAMADA], "打ち合わせ日程", "候補日"),
        parts=[attachment(ics, "invite.ics", "text/calendar")],
    )
    clean(data)


def test_ppap_reply_and_its_password_mail() -> None:
    zipped = zipcrypto_zip([("見積書.pdf", b"%PDF-1.4\n")], PASSWORD)
    body = PPAP_BODY + outlook_ja(SATO, [YAMADA], "見積書の件", ASK_JA)
    first = build(
        sender=YAMADA,
        to=[SATO],
        subject="RE: 見積書の件",
        body=body,
        parts=[attachment(zipped, "見積書.zip", "application/zip")],
    )
    assert ids(scan_bytes(first)) & THREAD_IDS == set()
    password = build(
        sender=YAMADA,
        to=[SATO],
        subject="RE: 見積書の件 [パスワードのお知らせ]",
        body=f"先ほどお送りしたファイルのパスワードをお知らせします。\nパスワード: {PASSWORD}\n",
        reply=False,
    )
    clean(password)


def test_newsletter() -> None:
    data = build(
        sender=("Contoso News", "news@mail.contoso.example.org"),
        to=[ALICE],
        subject="Contoso monthly: March",
        body="This month at Contoso...\n",
        reply=False,
        headers=[("List-Unsubscribe", "<https://contoso.example.org/u/1>")],
    )
    clean(data)


# --- real mail ----------------------------------------------------------------------------

# 2,500 real benign messages (mostly list threads). Measured: no message gets a high thread
# finding, 2 end suspicious (both sender.* findings), none malicious. Without the list and
# open-audience rules about 50 would; 5 leaves room for quote-parser changes and still
# catches such a regression. The overall bound is 1%: a "check by phone" warning on one
# message in a hundred of ordinary mail is already the most a reader will tolerate.
HAM_THREAD_SUSPICIOUS = 5
HAM_SUSPICIOUS = 25


def test_ham_corpus_stays_clean() -> None:
    report = measure(corpus_dir("ham", "spamassassin-easy-ham-1"))
    assert report.scanned > 2000
    assert report.verdicts["malicious"] == 0
    assert report.verdicts["suspicious"] <= HAM_SUSPICIOUS
    high_thread = [
        r
        for r in report.flagged
        if any(f.id.startswith("thread.") and f.severity == "high" for f in r.findings)
    ]
    assert len(high_thread) <= HAM_THREAD_SUSPICIOUS, [r.source.path for r in high_thread]
