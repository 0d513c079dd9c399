"""Payloads delivered as links: extraction (text, HTML, defanged), the judgement of each
shape in Japanese and English mail, the benign mail that must stay clean, the bounds, and
hijacked replies carrying such links."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from cases_links import TO, WP_ZIP, html_mail, many_urls, text_mail
from cases_thread import (
    ALICE,
    ASK_EN,
    ASK_JA,
    BOB,
    CAROL,
    HIJACKED,
    SATO,
    SUZUKI,
    YAMADA,
    build,
    outlook_en,
    outlook_ja,
)

from mailcheck.analyzers.links import PAYLOAD_EXTENSIONS
from mailcheck.api import scan_bytes
from mailcheck.body_links import find_links, refang, urls_in_text
from mailcheck.config import Config
from mailcheck.limits import DEFAULT
from mailcheck.model import Finding, ScanResult
from mailcheck.names import ONENOTE_EXTS, SCRIPT_EXTS, SHORTCUT_EXTS
from mailcheck.score import MALICIOUS_SCORE

LINK_IDS = ("link.payload", "link.payload_suspicious_host", "link.anchor_mismatch")
WP_ZIP_DEFANGED = (
    "hxxps://blog[.]victim-bakery[.]example/wp-content/uploads/2022/03/invoice_0301.zip"
)
COLLEAGUE = "From: Suzuki Ichiro <suzuki@corp.example.com>"
JA = "お世話になっております。\n請求書は下記よりダウンロードしてください。\n"
EN = "Hello,\nPlease download the invoice from the link below.\n"


def link_ids(result: ScanResult) -> set[str]:
    return {f.id for f in result.findings if f.id.startswith("link.")}


def finding(result: ScanResult, finding_id: str) -> Finding:
    found = [f for f in result.findings if f.id == finding_id]
    assert found, f"{finding_id} not in {[f.id for f in result.findings]}"
    return found[0]


# --- extraction -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "url"),
    [
        ("hxxp://evil.example/a.zip", "http://evil.example/a.zip"),
        ("hxxps://evil[.]example/a.zip", "https://evil.example/a.zip"),
        ("hXXps://evil(.)example/a.zip", "https://evil.example/a.zip"),
        ("https[:]//evil[.]example/a.zip", "https://evil.example/a.zip"),
        ("https[://]evil[.]example/a.zip", "https://evil.example/a.zip"),
        ("hxxp://198.51.100[.]7/x.iso", "http://198.51.100.7/x.iso"),
        ("www[.]evil[.]example/a.js", "http://www.evil.example/a.js"),
        ("fxp://files[dot]example/a.rar", "ftp://files.example/a.rar"),
    ],
)
def test_defanged_forms_are_read_back(written: str, url: str) -> None:
    assert list(urls_in_text(f"see {written} please")) == [(url, True)]
    assert refang(written) == (url, True)


def test_plain_urls_are_not_marked_defanged() -> None:
    text = "https://a.example/x.zip, (see http://b.example/y.doc). www.c.example/z.js!"
    assert list(urls_in_text(text)) == [
        ("https://a.example/x.zip", False),
        ("http://b.example/y.doc", False),
        ("http://www.c.example/z.js", False),
    ]


def test_a_url_ends_where_japanese_text_begins() -> None:
    text = "こちら→https://files.example/请求/invoice.zipをご確認ください。"
    # A non-ASCII path is cut where it starts (mail clients link it the same way).
    assert list(urls_in_text(text)) == [("https://files.example/", False)]
    text = "こちら→https://files.example/seikyu/invoice.zipをご確認ください。"
    assert list(urls_in_text(text)) == [("https://files.example/seikyu/invoice.zip", False)]


def test_brackets_around_a_url_are_not_part_of_it() -> None:
    text = "(https://a.example/x_(1).zip) [https://b.example/y.zip]"
    assert [u for u, _ in urls_in_text(text)] == [
        "https://a.example/x_(1).zip",
        "https://b.example/y.zip",
    ]


def test_html_hrefs_keep_their_anchor_text_and_bare_urls_are_found() -> None:
    html = (
        '<p>請求書: <a href="https://evil.example/a/invoice.xlsm?x=1&amp;y=2">'
        "https://<b>partner</b>.example/invoice</a>。詳細は https://info.example/page。"
        '<map><area href="http://203.0.113.9/img.iso"></map>'
        '<a href="mailto:a@example.com">mail</a><a href="#top">top</a></p>'
    )
    found = find_links([("1", "text/html", html)], max_urls=100, max_chars=10_000)
    assert not found.cut
    # Within a chunk of HTML the hrefs come first, so an href keeps its anchor text.
    assert sorted((link.url, link.shown) for link in found.links) == [
        ("http://203.0.113.9/img.iso", ""),
        ("https://evil.example/a/invoice.xlsm?x=1&y=2", "https://partner.example/invoice"),
        ("https://info.example/page", ""),
    ]


def test_a_url_seen_twice_is_one_link() -> None:
    bodies = [
        ("1", "text/plain", "https://a.example/x.zip https://a.example/x.zip"),
        ("2", "text/html", '<a href="https://a.example/x.zip">https://a.example/x.zip</a>'),
    ]
    found = find_links(bodies, max_urls=100, max_chars=10_000)
    assert [link.url for link in found.links] == ["https://a.example/x.zip"]


def test_extraction_is_bounded_by_count_and_text() -> None:
    text = " ".join(f"https://h{i}.example/p" for i in range(50))
    found = find_links([("1", "text/plain", text)], max_urls=10, max_chars=10_000)
    assert len(found.links) == 10 and found.cut
    found = find_links([("1", "text/plain", text)], max_urls=100, max_chars=100)
    assert len(found.links) < 10 and found.cut
    found = find_links([("1", "text/plain", text)], max_urls=100, max_chars=10_000)
    assert len(found.links) == 50 and not found.cut


@pytest.mark.parametrize("ext", PAYLOAD_EXTENSIONS)
def test_every_payload_type_is_reported(ext: str) -> None:
    url = f"https://files.toolvendor.example/dl/setup{ext}"
    result = scan_bytes(text_mail(f"{EN}{url}\n", "From: Dana <dana@contoso.example.org>", TO))
    # Notebooks, scripts and shortcuts on another organisation's server are a trick of
    # their own (tests/test_link_handlers.py); every other type is a note.
    rare = ext in ONENOTE_EXTS | SCRIPT_EXTS | SHORTCUT_EXTS
    assert link_ids(result) == {"link.payload_suspicious_host" if rare else "link.payload"}, ext


@pytest.mark.parametrize(
    "url",
    [
        "https://docs.example/guide.pdf",
        "https://www.example.com/",
        "http://cgi.shop.example/ws/eBayISAPI.dll?ViewItem&item=1566539449",  # ISAPI handler
        "http://boingboing.example/redhotjazz.com",  # a site name, not a DOS program
        "https://files.example/report.xlsx",
        "https://files.example/zip/",
        "https://files.example/.zip",
    ],
)
def test_links_that_are_not_payloads(url: str) -> None:
    result = scan_bytes(text_mail(f"{EN}{url}\n"))
    assert link_ids(result) == set() and result.verdict.label == "clean"


# --- each shape, in Japanese and English ------------------------------------------------------


@pytest.mark.parametrize("intro", [JA, EN], ids=["ja", "en"])
def test_wp_content_zip_from_an_unrelated_sender_is_suspicious(intro: str) -> None:
    result = scan_bytes(text_mail(f"{intro}{WP_ZIP}\n"))
    found = finding(result, "link.payload_suspicious_host")
    facts = found.facts()
    assert facts["url"] == WP_ZIP_DEFANGED
    assert found.evidence[0].excerpt == WP_ZIP_DEFANGED
    assert found.evidence[0].location == "part 1"
    assert facts["host"] == "blog[.]victim-bakery[.]example"
    assert facts["file_name"] == "invoice_0301.zip"
    assert facts["tricks"] == "/wp-content/"
    assert facts["sender_org"] == "hacked-shop.example"
    assert link_ids(result) == {"link.payload_suspicious_host"}  # one finding per link
    assert result.verdict.label == "suspicious"
    assert result.verdict.score < MALICIOUS_SCORE


@pytest.mark.parametrize("intro", [JA, EN], ids=["ja", "en"])
def test_anchor_showing_another_host_over_a_macro_workbook(intro: str) -> None:
    html = (
        f"<p>{intro}</p><p>"
        '<a href="https://cdn.evil-files.example/d/invoice.xlsm">'
        "https://partner.example.co.jp/invoice</a></p>"
    )
    result = scan_bytes(html_mail(html))
    found = finding(result, "link.payload_suspicious_host")
    assert found.facts()["url"] == "hxxps://cdn[.]evil-files[.]example/d/invoice.xlsm"
    assert found.facts()["tricks"] == "shown partner[.]example[.]co[.]jp"
    # The mismatch is this finding's fact, not a second finding.
    assert link_ids(result) == {"link.payload_suspicious_host"}
    assert result.verdict.label == "suspicious"


@pytest.mark.parametrize("intro", [JA, EN], ids=["ja", "en"])
def test_bare_ip_address_host(intro: str) -> None:
    result = scan_bytes(text_mail(f"{intro}http://198.51.100.23/files/scan_0301.img\n"))
    found = finding(result, "link.payload_suspicious_host")
    assert found.facts()["url"] == "hxxp://198[.]51[.]100[.]23/files/scan_0301.img"
    assert found.facts()["tricks"] == "IP address"


@pytest.mark.parametrize("intro", [JA, EN], ids=["ja", "en"])
def test_query_string_file_name(intro: str) -> None:
    plain = "https://files.toolvendor.example/download.php?file=invoice_0301.zip"
    result = scan_bytes(text_mail(f"{intro}{plain}\n"))
    assert link_ids(result) == {"link.payload"}
    assert finding(result, "link.payload").facts()["file_name"] == "invoice_0301.zip"
    assert result.verdict.label == "clean"
    cgi = "http://shop.victim.example/cgi-bin/get.cgi?name=docs/Rechnung.docm"
    result = scan_bytes(text_mail(f"{intro}{cgi}\n"))
    found = finding(result, "link.payload_suspicious_host")
    assert (found.facts()["file_name"], found.facts()["tricks"]) == ("rechnung.docm", "/cgi-bin/")


@pytest.mark.parametrize("intro", [JA, EN], ids=["ja", "en"])
def test_defanged_links_are_reported_but_only_as_a_note(intro: str) -> None:
    body = f"{intro}hxxps://blog[.]victim-bakery[.]example/wp-content/uploads/invoice.zip\n"
    result = scan_bytes(text_mail(body))
    found = finding(result, "link.payload")
    assert found.facts()["defanged"] == "yes"
    assert found.facts()["url"] == (
        "hxxps://blog[.]victim-bakery[.]example/wp-content/uploads/invoice.zip"
    )
    assert link_ids(result) == {"link.payload"}
    assert result.verdict.label == "clean"


@pytest.mark.parametrize("intro", [JA, EN], ids=["ja", "en"])
def test_anchor_mismatch_without_a_payload(intro: str) -> None:
    html = (
        f"<p>{intro}</p>"
        '<p><a href="https://login.evil-portal.example/s">https://partner.example.co.jp/orders</a></p>'
    )
    result = scan_bytes(html_mail(html))
    found = finding(result, "link.anchor_mismatch")
    assert found.facts()["shown_host"] == "partner[.]example[.]co[.]jp"
    assert found.facts()["url"] == "hxxps://login[.]evil-portal[.]example/s"
    assert found.facts()["shown"] == "hxxps://partner[.]example[.]co[.]jp/orders"
    assert result.verdict.label == "clean"


def test_the_shown_host_written_into_the_real_path_is_still_a_mismatch() -> None:
    html = (
        '<a href="https://evil-portal.example/partner.example.co.jp/orders">'
        "https://partner.example.co.jp/orders</a>"
    )
    result = scan_bytes(html_mail(html))
    assert link_ids(result) == {"link.anchor_mismatch"}


def test_payload_link_in_a_nested_message_names_its_place() -> None:
    inner = text_mail(f"{EN}{WP_ZIP}\n").decode()
    outer = (
        "--B\r\nContent-Type: text/plain\r\n\r\nFYI\r\n--B\r\n"
        "Content-Type: message/rfc822\r\n\r\n" + inner + "\r\n--B--\r\n"
    )
    message = "From: a@corp.example.com\r\nSubject: fwd\r\nMIME-Version: 1.0\r\n"
    message += f'Content-Type: multipart/mixed; boundary="B"\r\n\r\n{outer}'
    result = scan_bytes(message.encode())
    found = finding(result, "link.payload_suspicious_host")
    assert found.evidence[0].location.startswith("attachment ")


# --- benign mail ------------------------------------------------------------------------------


def test_newsletter_linking_a_pdf_and_its_tracker_on_its_own_domain() -> None:
    html = (
        '<p>Our spring catalogue: <a href="https://www.shop.example/media/catalogue.pdf">'
        "download (PDF)</a></p>"
        '<p><a href="https://click.mailer-esp.example/ls/click?upn=abc">https://www.shop.example/sale</a></p>'
        '<p><a href="https://nam02.safelinks.protection.outlook.com/?url=https%3A%2F%2Fpartner.example%2Fa&amp;data=1">'
        "https://partner.example/a</a></p>"
    )
    result = scan_bytes(html_mail(html, "From: Shop News <news@mail.shop.example>", TO))
    assert link_ids(result) == set()
    assert result.verdict.label == "clean"


def test_the_senders_own_download_is_only_a_note() -> None:
    body = f"{EN}https://www.toolvendor.example/wp-content/uploads/2022/03/tool-2.1.zip\n"
    result = scan_bytes(text_mail(body, "From: Support <support@toolvendor.example>", TO))
    assert link_ids(result) == {"link.payload"}
    assert result.verdict.label == "clean"


@pytest.mark.parametrize(
    "body",
    [
        "共有フォルダーに置きました: \\\\fileserver\\share\\経理\\report.xlsx\n",
        "Uploaded: https://intranet.corp.example.com/sites/finance/Shared/report.xlsx\n",
        "マクロ版はこちら https://intranet.corp.example.com/wp-content/uploads/report.xlsm\n",
    ],
)
def test_a_colleagues_link_to_an_internal_file_stays_clean(body: str) -> None:
    result = scan_bytes(text_mail(body, COLLEAGUE, TO))
    assert link_ids(result) <= {"link.payload"}
    assert result.verdict.label == "clean"


def test_internal_and_trusted_domains_are_related() -> None:
    body = f"{EN}https://files.partner-bank.example/cgi-bin/dl/statement.zip\n"
    config = Config(trusted_domains=("partner-bank.example",))
    result = scan_bytes(text_mail(body), config=config)
    assert link_ids(result) == {"link.payload"}
    result = scan_bytes(text_mail(body))
    assert link_ids(result) == {"link.payload_suspicious_host"}


def test_ordinary_links_stay_clean() -> None:
    body = (
        "Minutes: https://wiki.example.org/meetings/2022-03-01\n"
        "Slides (PDF): https://conf.example.net/talks/slides.pdf\n"
        "Repo: https://git.example.com/project/tree/main, see www.example.com.\n"
    )
    html = '<a href="https://www.example.org/">https://www.example.org/</a> <a href="https://x.example/">Example</a>'
    for message in (text_mail(body), html_mail(html)):
        result = scan_bytes(message)
        assert link_ids(result) == set() and result.verdict.label == "clean"


# --- bounds -----------------------------------------------------------------------------------


def test_100000_urls_stay_bounded_and_fast() -> None:
    started = time.monotonic()
    result = scan_bytes(many_urls(100_000))
    assert time.monotonic() - started < 60  # a hang guard, not a benchmark
    assert "limit.max_urls" in {f.id for f in result.findings}
    assert result.verdict.incomplete
    assert "link.payload_suspicious_host" not in link_ids(result)  # past the bound


def test_100000_html_anchors_stay_bounded_and_fast() -> None:
    anchors = "".join(
        f'<a href="https://s{i}.example/p">https://t{i}.example/</a>' for i in range(100_000)
    )
    started = time.monotonic()
    result = scan_bytes(html_mail(anchors))
    assert time.monotonic() - started < 60
    assert "limit.max_urls" in {f.id for f in result.findings}
    mismatch = finding(result, "link.anchor_mismatch")
    assert len(mismatch.evidence) == 5 and mismatch.facts()["links"] == str(DEFAULT.max_urls)


def test_hostile_url_text_is_linear() -> None:
    body = "https://a.example/" + ")" * 100_000 + " " + "hxxps://" + "[.]" * 100_000
    started = time.monotonic()
    scan_bytes(text_mail(body))
    assert time.monotonic() - started < 30


# --- with identity evidence: hijacked replies -------------------------------------------------


def hijack_link_ja(link: str) -> bytes:
    body = "佐藤様\n\nお世話になっております。\n請求書は下記からダウンロードしてください。\n"
    body += f"{link}\n\n" + outlook_ja(SATO, [YAMADA], "見積書の件", ASK_JA, cc=[SUZUKI])
    return build(sender=HIJACKED, to=[SATO], subject="RE: 見積書の件", body=body)


def hijack_link_en(link: str) -> bytes:
    body = f"Hi Alice,\n\nThe purchase order is here:\n{link}\n\nBest regards\n\n"
    body += outlook_en(ALICE, [BOB], "Q2 purchase order", ASK_EN, cc=[CAROL])
    return build(sender=HIJACKED, to=[ALICE], subject="RE: Q2 purchase order", body=body)


@pytest.mark.parametrize("make", [hijack_link_ja, hijack_link_en], ids=["ja", "en"])
@pytest.mark.parametrize(
    ("link", "link_id"),
    [
        (WP_ZIP, "link.payload_suspicious_host"),
        ("https://files.toolvendor.example/po_0301.xlsm", "link.payload"),
        # Served by a script, no file name in the link (Emotet 2019-2021).
        ("https://blog.victim-bakery.example/wp-admin/css/Q2/", "link.suspicious_target"),
        ("http://203.0.113.5/invoice/?id=0301", "link.suspicious_target"),
    ],
)
def test_a_hijacked_reply_with_a_payload_link_is_malicious(
    make: Callable[[str], bytes], link: str, link_id: str
) -> None:
    result = scan_bytes(make(link))
    ids = {f.id for f in result.findings}
    assert "thread.sender_not_in_thread" in ids
    assert link_ids(result) == {link_id}
    assert result.verdict.label == "malicious"


def test_a_payload_link_from_the_real_participant_is_not_malicious() -> None:
    body = "Hi Alice,\n\nThe order: https://files.toolvendor.example/po.xlsm\n\n"
    body += outlook_en(ALICE, [BOB], "Q2 purchase order", ASK_EN, cc=[CAROL])
    result = scan_bytes(build(sender=BOB, to=[ALICE], subject="RE: Q2 purchase order", body=body))
    assert link_ids(result) == {"link.payload"}
    assert result.verdict.label == "clean"


@pytest.mark.parametrize("intro", [JA, EN], ids=["ja", "en"])
@pytest.mark.parametrize(
    ("url", "tricks"),
    [
        ("https://blog.victim-bakery.example/wp-content/x7/", "/wp-content/"),
        ("https://shop.victim.example/wp-includes/Q2-0301/?d=1", "/wp-includes/"),
        ("http://198.51.100.23/", "IP address"),
    ],
)
def test_a_link_served_by_a_script_alone_is_a_clean_note(intro: str, url: str, tricks: str) -> None:
    result = scan_bytes(text_mail(f"{intro}{url}\n"))
    hit = finding(result, "link.suspicious_target")
    assert hit.facts()["tricks"] == tricks
    assert hit.evidence[0].location == "part 1"
    assert result.verdict.label == "clean"


@pytest.mark.parametrize(
    "url",
    [
        "https://news.example.com/wp-content/uploads/2022/03/banner.png",  # a newsletter image
        "https://www.example.org/wp-content/uploads/brochure.pdf",
        "https://www.example.org/cgi-bin/article.cgi?id=5",  # older sites' everyday pages
        "hxxp://203.0.113.5/invoice/",  # written defanged: not clickable
    ],
)
def test_links_into_site_folders_that_are_not_targets(url: str) -> None:
    result = scan_bytes(text_mail(f"{EN}{url}\n"))
    assert "link.suspicious_target" not in link_ids(result)


def test_the_senders_own_wordpress_site_is_no_target() -> None:
    body = f"{EN}https://www.contoso.example.org/wp-admin/post.php?post=12\n"
    result = scan_bytes(text_mail(body, "From: Dana Lee <dana.lee@contoso.example.org>", TO))
    assert link_ids(result) == set()


def test_the_weak_note_alone_stays_clean_and_the_strong_one_is_not_malicious() -> None:
    weak = scan_bytes(text_mail(f"{EN}https://files.toolvendor.example/a.zip\n"))
    assert weak.verdict.label == "clean"
    strong = scan_bytes(text_mail(f"{EN}{WP_ZIP}\nhttp://203.0.113.5/b.exe\n"))
    assert strong.verdict.label == "suspicious"
    assert finding(strong, "link.payload_suspicious_host").facts()["links"] == "2"
