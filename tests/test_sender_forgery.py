"""Header tricks on the sender: forged From of someone known (scored authentication), two
From mailboxes, look-alike "@" in the display name, Reply-To to free mail, privacy relays.

Every shape in Japanese and English, each beside the genuine mail that looks like it and
must stay clean: a colleague replying from a second address the configuration knows, a
newsletter through a relay, an SPF failure on a sender nobody knows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from cases import formatting_xlsm, with_attachment
from cases_thread import (
    BOB,
    HIJACKED,
    YAMADA,
    Person,
    attachment,
    hijack_en,
    hijack_ja,
)
from conftest import eml

from mailcheck.api import scan_bytes
from mailcheck.catalog import LANGS, load
from mailcheck.cli.settings import ConfigError, parse_settings
from mailcheck.config import Config, Correspondent
from mailcheck.model import Finding, ScanResult

Reply = Callable[..., bytes]
SPOOFED = "sender.spoofed_address"
MULTIPLE = "sender.multiple_from"
HAS_ADDRESS = "sender.display_name_has_address"
VIA_RELAY = "sender.display_name_via_relay"
FREEMAIL = "sender.reply_to_freemail"
MISMATCH = "sender.reply_to_mismatch"
YAMADA_WORD = "=?utf-8?b?5bGx55SwIOWkqumDjg==?="  # 山田 太郎
XLSM = "application/vnd.ms-excel.sheet.macroEnabled.12"

DMARC_FAIL = (
    "mx.corp.example.co.jp; spf=fail smtp.mailfrom={d}; dkim=none; dmarc=fail header.from={d}"
)
SPF_FAIL = "mx.corp.example.co.jp; spf=fail smtp.mailfrom={d}; dkim=none"
# Forwarded by the partner's own relay: SPF breaks, their DKIM signature survives.
FORWARDED = (
    "mx.corp.example.co.jp; spf=fail smtp.mailfrom={d}; dkim=pass header.d={d};"
    " dmarc=pass header.from={d}"
)
PASS = "mx.corp.example.co.jp; spf=pass smtp.mailfrom={d}; dkim=pass header.d={d}; dmarc=pass"


def found(result: ScanResult, finding_id: str) -> Finding:
    hit = next((f for f in result.findings if f.id == finding_id), None)
    assert hit is not None, (finding_id, [f.id for f in result.findings])
    return hit


def ids(result: ScanResult) -> set[str]:
    return {f.id for f in result.findings}


def domain(person: Person) -> str:
    return person[1].rpartition("@")[2]


def reply_ja(sender: Person, *headers: tuple[str, str], parts: Sequence[str] = ()) -> bytes:
    """Sato asked Yamada for an invoice; `sender` answers."""
    return hijack_ja(sender, headers=headers, parts=parts)


def reply_en(sender: Person, *headers: tuple[str, str], parts: Sequence[str] = ()) -> bytes:
    """Alice asked Bob for a purchase order; `sender` answers."""
    return hijack_en(sender, headers=headers, parts=parts)


def auth(template: str, person: Person) -> tuple[str, str]:
    return ("Authentication-Results", template.format(d=domain(person)))


# --- 1. scored authentication: a forged From of someone known ---------------------------

REPLIES = pytest.mark.parametrize(
    ("reply", "participant"), [(reply_ja, YAMADA), (reply_en, BOB)], ids=["ja", "en"]
)


@REPLIES
@pytest.mark.parametrize("failure", [DMARC_FAIL, SPF_FAIL], ids=["dmarc", "spf"])
def test_a_participants_own_address_failing_authentication_is_forged(
    reply: Reply, participant: Person, failure: str
) -> None:
    result = scan_bytes(reply(participant, auth(failure, participant)))
    hit = found(result, SPOOFED)
    assert hit.severity == "high"
    assert [e.location for e in hit.evidence] == ["header From", "header Authentication-Results"]
    assert hit.facts()["copied"] == participant[1]
    assert hit.facts()["failed"] == (
        "dmarc=fail" if failure is DMARC_FAIL else "spf=fail dkim=none"
    )
    assert hit.facts()["server"] == "mx.corp.example.co.jp"
    assert result.verdict.label == "suspicious"  # one proof: identity evidence alone


@REPLIES
def test_forged_and_with_a_macro_is_malicious(reply: Reply, participant: Person) -> None:
    macro = [attachment(formatting_xlsm(), "order.xlsm", XLSM)]
    result = scan_bytes(reply(participant, auth(DMARC_FAIL, participant), parts=macro))
    assert SPOOFED in ids(result)
    assert result.verdict.label == "malicious"


@pytest.mark.parametrize(
    ("reply", "copied"),
    [
        (reply_ja, ("山田 太郎", "ohno.k@hacked-shop.example")),
        (reply_en, ("Bob Chen", "bob@hacked-shop.example")),
    ],
    ids=["ja", "en"],
)
def test_a_copied_name_and_a_failed_dmarc_are_two_proofs(reply: Reply, copied: Person) -> None:
    """A participant's name on an unrelated address, and that address's domain forged."""
    result = scan_bytes(reply(copied, auth(DMARC_FAIL, copied)))
    assert {SPOOFED, "thread.display_name_impersonates_participant"} <= ids(result)
    assert found(result, SPOOFED).facts()["copied"] == copied[0]
    assert result.verdict.label == "malicious"
    # Without the failure the same reply is one proof: suspicious.
    assert scan_bytes(reply(copied)).verdict.label == "suspicious"


@REPLIES
@pytest.mark.parametrize("template", [PASS, FORWARDED, None], ids=["pass", "forwarded", "none"])
def test_the_participant_passing_forwarded_or_unchecked_is_clean(
    reply: Reply, participant: Person, template: str | None
) -> None:
    headers = [auth(template, participant)] if template else []
    result = scan_bytes(reply(participant, *headers))
    assert SPOOFED not in ids(result)
    assert result.verdict.label == "clean"


COLLEAGUE_CONFIG = Config(
    internal_domains=("corp.example.co.jp",),
    known_correspondents=(
        Correspondent(
            name="山田 太郎", addresses=("yamada@partner.example.jp", "taro.y@home-isp.example")
        ),
        Correspondent(
            name="Bob Chen", addresses=("bob.chen@contoso.example.org", "bobchen@home-isp.example")
        ),
    ),
)


@pytest.mark.parametrize(
    ("reply", "second"),
    [
        (reply_ja, ("山田 太郎", "taro.y@home-isp.example")),
        (reply_en, ("Bob Chen", "bobchen@home-isp.example")),
    ],
    ids=["ja", "en"],
)
def test_a_colleague_replying_from_a_second_known_address_is_clean(
    reply: Reply, second: Person
) -> None:
    for template in (PASS, FORWARDED):
        result = scan_bytes(reply(second, auth(template, second)), config=COLLEAGUE_CONFIG)
        assert result.verdict.label == "clean", [f.id for f in result.findings]
    # The same known address, forged: the configuration knows it, so it counts.
    forged = scan_bytes(reply(second, auth(DMARC_FAIL, second)), config=COLLEAGUE_CONFIG)
    assert found(forged, SPOOFED).facts()["copied"] == second[1]


@pytest.mark.parametrize(
    "from_header",
    [
        "From: =?utf-8?b?5pyq55+l44Gu5Lya56S+?= <info@unknown-shop.example>",  # 未知の会社
        "From: Unknown Shop <info@unknown-shop.example>",
    ],
    ids=["ja", "en"],
)
def test_an_spf_failure_on_a_sender_nobody_knows_is_not_scored(from_header: str) -> None:
    result = scan_bytes(
        eml(
            "Authentication-Results: mx.corp.example.co.jp; spf=fail"
            " smtp.mailfrom=info@unknown-shop.example; dkim=none; dmarc=fail",
            from_header,
            "To: sato@corp.example.co.jp",
            "Subject: ご案内 / Notice",
        ),
        config=COLLEAGUE_CONFIG,
    )
    assert SPOOFED not in ids(result)
    assert result.verdict.label == "clean"


@pytest.mark.parametrize(
    "name", ["=?utf-8?b?6Yi05pyoIOS4gOmDjg==?=", "Ichiro Suzuki"], ids=["ja", "en"]
)
def test_an_internal_address_failing_authentication_is_forged(name: str) -> None:
    result = scan_bytes(
        eml(
            "Authentication-Results: mx.corp.example.co.jp; spf=fail"
            " smtp.mailfrom=suzuki@corp.example.co.jp; dkim=none; dmarc=fail",
            f"From: {name} <suzuki@corp.example.co.jp>",
            "To: sato@corp.example.co.jp",
            "Subject: 至急 / urgent",
        ),
        config=COLLEAGUE_CONFIG,
    )
    assert found(result, SPOOFED).facts()["copied"] == "suzuki@corp.example.co.jp"


def test_only_the_receiving_servers_results_count() -> None:
    """The first header of a configured authserv-id counts; without one, the topmost."""
    headers = (
        # A filter after our server, then ours, then one the sender wrote itself.
        (
            "Authentication-Results",
            "filter.vendor.example; dmarc=pass header.from=partner.example.jp",
        ),
        auth(DMARC_FAIL, YAMADA),
        (
            "Authentication-Results",
            "mx.corp.example.co.jp; dmarc=pass header.from=partner.example.jp",
        ),
    )
    topmost = scan_bytes(reply_ja(YAMADA, *headers))
    assert SPOOFED not in ids(topmost)
    ours = Config(authserv_ids=("corp.example.co.jp",))
    configured = scan_bytes(reply_ja(YAMADA, *headers), config=ours)
    assert found(configured, SPOOFED).facts()["server"] == "mx.corp.example.co.jp"
    # A pass the sender wrote below ours changes nothing.
    forged_pass = (auth(DMARC_FAIL, YAMADA), headers[2])
    assert SPOOFED in ids(scan_bytes(reply_ja(YAMADA, *forged_pass)))
    # Nothing from our server at all: nothing to weigh.
    elsewhere = scan_bytes(reply_ja(YAMADA, headers[0]), config=ours)
    assert SPOOFED not in ids(elsewhere)


def test_a_mailing_list_breaking_dmarc_is_not_forgery() -> None:
    result = scan_bytes(
        reply_en(BOB, auth(DMARC_FAIL, BOB), ("List-Id", "<buyers.lists.example.org>"))
    )
    assert SPOOFED not in ids(result)


def test_authserv_ids_in_the_settings_file() -> None:
    settings = parse_settings('[organisation]\nauthserv_ids = ["MX.Corp.Example.co.jp."]\n')
    assert settings.config.authserv_ids == ("mx.corp.example.co.jp",)
    with pytest.raises(ConfigError, match="authserv_ids"):
        parse_settings('[organisation]\nauthserv_ids = ["mx corp"]\n')


# Forwarded by a service that breaks SPF and DKIM (a mailbox forward, an alias): our server
# verifies the ARC chain and fails DMARC; the forwarder recorded what it saw on arrival.
ARC_OURS = (
    "mx.corp.example.co.jp; arc=pass (i=1); spf=fail smtp.mailfrom={d}; dkim=none;"
    " dmarc=fail header.from={d}"
)


def arc(sealer: str, recorded: str, person: Person) -> list[tuple[str, str]]:
    d = domain(person)
    return [
        ("ARC-Seal", f"i=1; a=rsa-sha256; t=1646093638; cv=none; d={sealer}; s=arc; b=AAAA"),
        ("ARC-Message-Signature", f"i=1; a=rsa-sha256; c=relaxed/relaxed; d={sealer}; b=BBBB"),
        ("ARC-Authentication-Results", f"i=1; mx.{sealer}; {recorded.format(d=d)}"),
    ]


ARC_PASSED = "dkim=pass header.d={d}; spf=pass smtp.mailfrom={d}; dmarc=pass header.from={d}"


@REPLIES
def test_a_trusted_forwarders_arc_record_explains_the_failure(
    reply: Reply, participant: Person
) -> None:
    headers = [auth(ARC_OURS, participant), *arc("google.com", ARC_PASSED, participant)]
    result = scan_bytes(reply(participant, *headers))
    assert SPOOFED not in ids(result)
    assert result.verdict.label == "clean"


@REPLIES
@pytest.mark.parametrize(
    ("ours", "sealer", "recorded"),
    [
        (ARC_OURS, "forwarder.example", ARC_PASSED),  # a sealer nobody configured
        (ARC_OURS, "google.com", "spf=fail smtp.mailfrom={d}; dmarc=fail header.from={d}"),
        (DMARC_FAIL, "google.com", ARC_PASSED),  # our server did not verify the chain
        (ARC_OURS, "google.com", "dmarc=pass header.from=hacked-shop.example"),  # another domain
    ],
    ids=["untrusted-sealer", "recorded-failure", "chain-unverified", "other-domain"],
)
def test_an_arc_record_that_proves_nothing_leaves_the_forgery(
    reply: Reply, participant: Person, ours: str, sealer: str, recorded: str
) -> None:
    headers = [auth(ours, participant), *arc(sealer, recorded, participant)]
    result = scan_bytes(reply(participant, *headers))
    assert found(result, SPOOFED).facts()["copied"] == participant[1]


def test_arc_sealers_in_the_settings_file() -> None:
    assert Config().arc_sealers == ("google.com", "microsoft.com")
    settings = parse_settings('[organisation]\narc_sealers = ["Relay.Example.JP"]\n')
    assert settings.config.arc_sealers == ("relay.example.jp",)
    none = parse_settings("[organisation]\narc_sealers = []\n").config
    headers = [auth(ARC_OURS, YAMADA), *arc("google.com", ARC_PASSED, YAMADA)]
    assert SPOOFED in ids(scan_bytes(reply_ja(YAMADA, *headers), config=none))
    with pytest.raises(ConfigError, match="arc_sealers"):
        parse_settings('[organisation]\narc_sealers = ["not a domain"]\n')


@REPLIES
def test_spf_softfail_is_not_scored_and_dmarc_without_enforcement_is(
    reply: Reply, participant: Person
) -> None:
    # ~all says "probably not", and forwarding or a sloppy record makes it common on genuine
    # mail; a DMARC failure under p=none is exactly the forgery a receiver lets through.
    soft = "mx.corp.example.co.jp; spf=softfail smtp.mailfrom={d}; dkim=none"
    assert SPOOFED not in ids(scan_bytes(reply(participant, auth(soft, participant))))
    p_none = (
        "mx.corp.example.co.jp; spf=softfail smtp.mailfrom={d}; dkim=none;"
        " dmarc=fail (p=NONE sp=NONE dis=NONE) header.from={d}"
    )
    result = scan_bytes(reply(participant, auth(p_none, participant)))
    assert found(result, SPOOFED).facts()["failed"] == "dmarc=fail"


# --- 2. two From mailboxes ----------------------------------------------------------------


@pytest.mark.parametrize(
    "from_headers",
    [
        (f"From: {YAMADA_WORD} <yamada@partner.example.jp>, ohno.k@hacked.example",),
        ("From: Bob Chen <bob.chen@contoso.example.org>", "From: ohno.k@hacked.example"),
    ],
    ids=["ja-one-header", "en-two-headers"],
)
def test_two_from_mailboxes(from_headers: tuple[str, ...]) -> None:
    result = scan_bytes(eml(*from_headers, "To: sato@corp.example.co.jp", "Subject: 見積 / quote"))
    hit = found(result, MULTIPLE)
    assert hit.evidence[0].location == "header From"
    assert hit.facts()["other_addresses"] == "ohno.k@hacked.example"
    # Several authors are legal (RFC 5322, with a Sender): a sign that weighs, not a verdict.
    assert (result.verdict.label, result.verdict.score) == ("clean", 25)


@pytest.mark.parametrize(
    "headers",
    [
        (
            "From: =?utf-8?b?5bGx55SwIOWkqumDjg==?= <yamada@partner.example.jp>",
            "Sender: assistant@partner.example.jp",
        ),  # 代理で送信: one From, a Sender
        ("From: Bob Chen <bob.chen@contoso.example.org>, Bob Chen <BOB.CHEN@contoso.example.org>",),
    ],
    ids=["ja-on-behalf", "en-same-twice"],
)
def test_one_sender_is_not_two(headers: tuple[str, ...]) -> None:
    result = scan_bytes(eml(*headers, "To: sato@corp.example.co.jp", "Subject: 見積 / quote"))
    assert MULTIPLE not in ids(result)
    assert result.verdict.label == "clean"


# --- 2. look-alike "@" in the display name --------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "yamada＠partner.example.jp",  # full-width
        "yamada﹫partner.example.jp",  # small form
        "yamada\u200b@\u200bpartner.example.jp",  # zero-width spaces around it
        "yamada\u2060@partner\u200c.example.jp",  # word joiner, zero-width non-joiner
        "山田 太郎 (yamada (at) partner.example.jp)",
        "Bob Chen [bob.chen[at]contoso[dot]example[dot]org]",
        "ｙａｍａｄａ＠ｐａｒｔｎｅｒ．ｅｘａｍｐｌｅ．ｊｐ",  # all full-width
    ],
)
def test_a_look_alike_at_is_an_address_in_the_name(name: str) -> None:
    from email.header import Header

    result = scan_bytes(
        eml(
            f"From: {Header(name, 'utf-8').encode()} <ohno.k@hacked.example>",
            "To: sato@corp.example.co.jp",
            "Subject: RE: 見積書の件",
        )
    )
    hit = found(result, HAS_ADDRESS)
    assert hit.facts()["shown_address"] in (
        "yamada@partner.example.jp",
        "bob.chen@contoso.example.org",
    )
    assert result.verdict.label == "suspicious"


@pytest.mark.parametrize(
    "from_header",
    [
        # 営業部 (at) 東京
        "From: =?utf-8?b?5Za25qWt6YOoIChhdCkg5p2x5Lqs?= <sales@partner.example.jp>",
        "From: Sales team [at] Partner <sales@partner.example.jp>",
        "From: =?utf-8?b?c3VwcG9ydO+8oHBhcnRuZXIuZXhhbXBsZS5qcA==?= <support@partner.example.jp>",
    ],
    ids=["ja-at-word", "en-at-word", "own-address-full-width"],
)
def test_at_words_without_another_address_are_clean(from_header: str) -> None:
    result = scan_bytes(eml(from_header, "To: sato@corp.example.co.jp", "Subject: ご案内"))
    assert HAS_ADDRESS not in ids(result)
    assert result.verdict.label == "clean"


# --- 3. Reply-To to free mail ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["請求書を添付いたします。ご確認ください。\r\n", "Please find the invoice attached.\r\n"],
    ids=["ja", "en"],
)
def test_reply_to_free_mail_weighs_only_beside_a_payload(text: str) -> None:
    def mail(reply_to: str, *, payload: bool) -> ScanResult:
        headers = (
            "From: Billing <billing@supplier.example.com>",
            f"Reply-To: {reply_to}",
            "To: sato@corp.example.co.jp",
            "Subject: Invoice / 請求書",
        )
        if payload:
            return scan_bytes(
                with_attachment(formatting_xlsm(), "invoice.xlsm", XLSM, *headers, text=text)
            )
        return scan_bytes(eml(*headers, body=text))

    alone = mail("partner.billing.desk@gmail.com", payload=False)
    hit = found(alone, FREEMAIL)
    assert hit.evidence[0].location == "header Reply-To"
    assert MISMATCH not in ids(alone)  # one Reply-To, one finding
    assert FREEMAIL not in alone.verdict.reasons
    assert (alone.verdict.label, alone.verdict.score) == ("clean", 0)
    with_payload = mail("partner.billing.desk@gmail.com", payload=True)
    assert FREEMAIL in with_payload.verdict.reasons
    # A Reply-To to another company with the same macro stays the weak note it was.
    company = mail("ar@collections.example.net", payload=True)
    assert MISMATCH in ids(company)
    assert with_payload.verdict.score == company.verdict.score + 30
    assert with_payload.verdict.label == "suspicious" and company.verdict.label == "clean"


@pytest.mark.parametrize(
    "headers",
    [
        ("From: Taro Yamada <taro.yamada@gmail.com>", "Reply-To: taro.yamada@gmail.com"),
        # Replies to the free-mail address the message was sent to (the group's own).
        (
            "From: PTA <info@school.example.jp>",
            "Reply-To: pta.group@gmail.com",
            "To: pta.group@gmail.com",
        ),
    ],
)
def test_reply_to_the_senders_own_free_mail_is_nothing(headers: tuple[str, ...]) -> None:
    result = scan_bytes(eml(*headers, "Subject: hello"))
    assert not {FREEMAIL, MISMATCH} & ids(result)


# --- 4. privacy relays are notes -------------------------------------------------------------


def newsletter(from_header: str, to: str) -> bytes:
    html = (
        '<p>This week: <a href="http://click.tss-mail.example.net/r?u=1">'
        "http://www.theserverside.com/news/thread.tss?id=1</a></p>"
    )
    return eml(
        from_header,
        f"To: {to}",
        "Subject: TheServerSide.com newsletter",
        body=html,
        content_type="text/html; charset=utf-8",
    )


@pytest.mark.parametrize(
    "from_header",
    [
        # The real shape: Sneakemail, address plus [alias/label] in the name.
        '"TheServerSide Connectionnewsletter@theserverside.com [mothlight/serverside.com]"'
        " <ticket_4qjz8k2x0p@sneakemail.com>",
        # The same shape from a relay nobody listed.
        '"TheServerSide Connectionnewsletter@theserverside.com [mothlight/serverside.com]"'
        " <alias-7d0c2f9e11@relay-mail.example>",
        # A Japanese shop's mail magazine through a relay.
        "=?utf-8?b?44Ki44Kv44Oh5ZWG5LqLIOODoeODq+ODnuOCrCBuZXdzQHNob3AuZXhhbXBsZS5qcCBb"
        "bW90aGxpZ2h0L3Nob3AuZXhhbXBsZS5qcF0=?= <ticket_93jd81kq7z@sneakemail.com>",
    ],
    ids=["sneakemail", "unlisted-relay", "ja"],
)
def test_a_newsletter_through_a_privacy_relay_is_a_note(from_header: str) -> None:
    result = scan_bytes(newsletter(f"From: {from_header}", "mothlight@serverside.example"))
    hit = found(result, VIA_RELAY)
    assert hit.severity == "low" and hit.score == 0
    assert HAS_ADDRESS not in ids(result)
    assert "link.anchor_mismatch" in ids(result)  # the tracking link: a note too
    assert result.verdict.label == "clean"


@pytest.mark.parametrize(
    ("reply", "participant"), [(reply_ja, YAMADA), (reply_en, BOB)], ids=["ja", "en"]
)
def test_the_relay_shape_is_no_excuse_for_a_participants_address(
    reply: Reply, participant: Person
) -> None:
    name = f"{participant[0]} {participant[1]} [inbox/{domain(participant)}]"
    result = scan_bytes(reply((name, "ticket_4qjz8k2x0p@relay-mail.example")))
    hit = found(result, HAS_ADDRESS)
    assert hit.facts()["participant_address"] == participant[1]
    assert VIA_RELAY not in ids(result)
    assert result.verdict.label == "suspicious"


def test_the_relay_shape_needs_a_ticket_address() -> None:
    """A person's mailbox (Emotet's hijacked ones) with the bracket is still the trick."""
    result = scan_bytes(
        newsletter(
            'From: "News newsletter@theserverside.com [mothlight/serverside.com]"'
            " <ohno.k@hacked-shop.example>",
            "mothlight@serverside.example",
        )
    )
    assert HAS_ADDRESS in ids(result)
    assert result.verdict.label == "suspicious"  # a tracking link does not make it malicious


def test_hijacker_from_a_relay_shape_with_a_payload_is_still_malicious() -> None:
    macro = [attachment(formatting_xlsm(), "order.xlsm", XLSM)]
    result = scan_bytes(reply_en(HIJACKED, parts=macro))
    assert "thread.sender_not_in_thread" in ids(result)
    assert result.verdict.label == "malicious"


# --- the texts -----------------------------------------------------------------------------


def test_new_findings_fill_their_texts_in_both_languages() -> None:
    catalog = load()
    results = {
        SPOOFED: scan_bytes(reply_ja(YAMADA, auth(DMARC_FAIL, YAMADA))),
        MULTIPLE: scan_bytes(eml("From: a@partner.example.jp, b@hacked.example")),
        FREEMAIL: scan_bytes(eml("From: a@supplier.example.com", "Reply-To: x.y@gmail.com")),
    }
    for finding_id, result in results.items():
        facts = found(result, finding_id).facts()
        for lang in LANGS:
            texts = catalog.texts(finding_id, lang, facts)
            assert "{" not in texts.explanation + texts.advice + texts.title
            assert " - " not in texts.explanation, (finding_id, lang)
