"""Links inside attached Office documents are judged like links in the body (issue: payloads
that slip past, item 6): a .docx or .xlsx whose only content is a link to `search-ms:`, a
share, or a ZIP on a hacked site is the same trick as that link in the mail."""

from __future__ import annotations

import io
import zipfile

import pytest
from cases import with_attachment

from mailcheck.api import scan_bytes
from mailcheck.containers.office_embeddings import hyperlinks
from mailcheck.model import ScanResult
from testkit.office import build_docx

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
HYPERLINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
JA = ("From: 経理部 <keiri@partner.example>", "Subject: =?utf-8?b?6KuL5rGC5pu4?=")
EN = ("From: Accounts <accounts@partner.example>", "Subject: invoice")


def linked_docx(*targets: str) -> bytes:
    body = "".join(
        f'<w:p><w:hyperlink r:id="rId{n + 2}"><w:r><w:t>Open the invoice</w:t></w:r>'
        "</w:hyperlink></w:p>"
        for n in range(len(targets))
    )
    rels = [(HYPERLINK, target, True) for target in targets]
    return build_docx(body, document_rels=rels)


def located(result: ScanResult, finding_id: str) -> list[str]:
    return [e.location for f in result.findings if f.id == finding_id for e in f.evidence]


@pytest.mark.parametrize("headers", [JA, EN], ids=["ja", "en"])
@pytest.mark.parametrize(
    "target",
    [
        "search-ms:query=invoice&amp;crumb=location:\\\\203.0.113.7@80\\share",
        "ms-msdt:/id PCWDiagnostic /skip force",
        "file://203.0.113.7/share/invoice.lnk",
    ],
)
def test_a_handler_link_in_a_document_is_critical(target: str, headers: tuple[str, ...]) -> None:
    data = with_attachment(linked_docx(target), "請求書.docx", DOCX, *headers)
    result = scan_bytes(data)
    assert located(result, "link.handler") == ["attachment 2/請求書.docx"]
    assert result.verdict.label == "malicious"


def test_a_payload_link_on_a_hacked_site_in_a_document_is_suspicious() -> None:
    target = "https://shop.example.net/wp-content/uploads/2022/03/invoice_0301.zip"
    result = scan_bytes(with_attachment(linked_docx(target), "invoice.docx", DOCX, *EN))
    assert located(result, "link.payload_suspicious_host") == ["attachment 2/invoice.docx"]
    assert result.verdict.label == "suspicious"


def test_a_document_with_ordinary_links_stays_clean() -> None:
    targets = ("https://www.partner.example/about", "mailto:accounts@partner.example")
    result = scan_bytes(with_attachment(linked_docx(*targets), "案内.docx", DOCX, *JA))
    assert not [f.id for f in result.findings if f.id.startswith("link.")]
    assert result.verdict.label == "clean"


def test_only_external_hyperlinks_are_read_and_their_number_is_bounded() -> None:
    buffer = io.BytesIO()
    rels = "".join(
        f'<Relationship Id="r{n}" Type="{HYPERLINK}" Target="https://h{n}.example/"'
        ' TargetMode="External"/>'
        for n in range(50)
    )
    rels += f'<Relationship Id="x" Type="{HYPERLINK}" Target="#bookmark"/>'
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/_rels/document.xml.rels", f"<Relationships>{rels}</Relationships>")
    with zipfile.ZipFile(buffer) as archive:
        found = hyperlinks(archive, 10)
    assert found == tuple(f"https://h{n}.example/" for n in range(10))
