"""The first analyzers, the runner's isolation, and how findings become verdicts."""

from __future__ import annotations

import time

import pytest
from cases import a_zip, dropper_docm, formatting_xlsm, nested, with_attachment
from conftest import eml

from mailcheck.analyzers.interface import AttachmentAnalyzer, MessageAnalyzer, MessageContext
from mailcheck.analyzers.runner import Runner
from mailcheck.api import scan_bytes
from mailcheck.catalog import load
from mailcheck.config import DEFAULT_CONFIG
from mailcheck.engine import Engine
from mailcheck.extract import extract
from mailcheck.limits import DEFAULT, Budget
from mailcheck.model import Finding, ScanResult
from mailcheck.parse import parse_message


def ids(result: ScanResult) -> set[str]:
    return {f.id for f in result.findings}


def finding(result: ScanResult, finding_id: str) -> Finding:
    return next(f for f in result.findings if f.id == finding_id)


@pytest.mark.parametrize(
    "from_header",
    [
        'From: "taro@corp.example.co.jp" <x@hacked.example>',
        'From: "Taro <taro@corp.example.co.jp>" <x@hacked.example>',
        "From: =?UTF-8?B?VGFybyA8dGFyb0Bjb3JwLmV4YW1wbGUuY28uanA+?= <x@hacked.example>",
    ],
)
def test_display_name_with_another_address(from_header: str) -> None:
    result = scan_bytes(eml(from_header))
    hit = finding(result, "sender.display_name_has_address")
    assert hit.evidence[0].location == "header From"
    assert hit.facts()["shown_address"] == "taro@corp.example.co.jp"
    assert hit.facts()["from_address"] == "x@hacked.example"
    assert result.verdict.label == "suspicious"


@pytest.mark.parametrize(
    "from_header",
    [
        'From: "taro@corp.example.co.jp" <taro@corp.example.co.jp>',
        'From: "TARO@corp.example.co.jp" <taro@corp.example.co.jp>',
        "From: Taro Yamada <taro@corp.example.co.jp>",
        "From: taro@corp.example.co.jp",
    ],
)
def test_display_name_without_another_address_is_clean(from_header: str) -> None:
    result = scan_bytes(eml(from_header))
    assert "sender.display_name_has_address" not in ids(result)
    assert result.verdict.label == "clean"


def test_zip_named_pdf_is_a_type_mismatch_at_its_location() -> None:
    result = scan_bytes(with_attachment(a_zip(), "invoice.pdf", "application/pdf"))
    hit = finding(result, "attachment.type_mismatch")
    assert hit.evidence[0].location == "attachment 2/invoice.pdf"
    assert hit.facts()["detected_type"] == "application/zip"


def test_xlsm_named_jpg_is_a_type_mismatch() -> None:
    result = scan_bytes(with_attachment(formatting_xlsm(), "photo.jpg", "image/jpeg"))
    assert "attachment.type_mismatch" in ids(result)


def test_real_pdf_named_pdf_is_fine() -> None:
    result = scan_bytes(with_attachment(b"%PDF-1.4\n%%EOF\n", "invoice.pdf", "application/pdf"))
    assert "attachment.type_mismatch" not in ids(result)
    assert result.verdict.label == "clean"


def test_dropper_macro_is_malicious_with_keywords_as_evidence() -> None:
    result = scan_bytes(with_attachment(dropper_docm(), "invoice.docm", "application/octet-stream"))
    macro = finding(result, "attachment.macro")
    assert "Document_Open" in macro.facts()["autoexec"]
    assert "Shell" in macro.facts()["suspicious"]
    autoexec = finding(result, "attachment.macro.autoexec_exec")
    assert autoexec.evidence[0].location == "attachment 2/invoice.docm"
    assert result.verdict.label == "malicious"


def test_formatting_macro_is_reported_but_not_malicious() -> None:
    result = scan_bytes(
        with_attachment(formatting_xlsm(), "report.xlsm", "application/vnd.ms-excel")
    )
    assert "attachment.macro" in ids(result)
    assert "attachment.macro.autoexec_exec" not in ids(result)
    assert result.verdict.label == "clean"


def test_vba_looking_text_is_not_given_to_olevba() -> None:
    text = b'Sub AutoOpen()\r\n Shell "cmd /c calc"\r\nEnd Sub\r\n'
    result = scan_bytes(with_attachment(text, "notes.txt", "text/plain"))
    assert not {"attachment.macro", "attachment.macro.autoexec_exec"} & ids(result)


def test_macro_inside_nested_message_is_found_with_nested_location() -> None:
    inner = with_attachment(dropper_docm(), "invoice.docm", "application/octet-stream")
    result = scan_bytes(nested(inner, "outer"))
    hit = finding(result, "attachment.macro.autoexec_exec")
    assert hit.evidence[0].location == "attachment 2/2/invoice.docm"
    assert result.verdict.label == "malicious"
    assert [c.path for c in result.attachments[1].children] == ["2/1", "2/2/invoice.docm"]


def test_identity_finding_inside_nested_message_names_the_nested_header() -> None:
    inner = eml('From: "boss@corp.example" <x@hacked.example>')
    result = scan_bytes(nested(inner))
    hit = finding(result, "sender.display_name_has_address")
    assert hit.evidence[0].location == "attachment 2: header From"


def test_failing_analyzer_becomes_analyzer_error_and_scan_goes_on() -> None:
    def broken(ctx: MessageContext) -> list[object]:
        raise RuntimeError("boom")

    message = parse_message(eml('From: "a@corp.example" <x@hacked.example>'), Budget(DEFAULT))
    budget = Budget(DEFAULT)
    from mailcheck.analyzers import ANALYZERS

    analyzers = (MessageAnalyzer(name="broken", emits=(), run=broken), *ANALYZERS)  # type: ignore[arg-type]
    runner = Runner(load(), DEFAULT_CONFIG, budget, time.monotonic(), Engine(), analyzers)
    runner.run(message, extract(message, budget))
    found = {f.id: f for f in runner.findings}
    assert found["analyzer.error"].facts()["analyzer"] == "broken"
    assert "RuntimeError: boom" in found["analyzer.error"].facts()["error"]
    assert "sender.display_name_has_address" in found


def test_undeclared_finding_id_fails_loudly() -> None:
    from mailcheck.analyzers.interface import AttachmentContext, Hit

    def sneaky(ctx: AttachmentContext) -> list[Hit]:
        return [Hit(id="attachment.macro", evidence=())]

    message = parse_message(
        with_attachment(b"x", "a.bin", "application/octet-stream"), Budget(DEFAULT)
    )
    budget = Budget(DEFAULT)
    analyzer = AttachmentAnalyzer(name="sneaky", emits=(), run=sneaky)
    runner = Runner(load(), DEFAULT_CONFIG, budget, time.monotonic(), Engine(), (analyzer,))
    with pytest.raises(ValueError, match="undeclared"):
        runner.run(message, extract(message, budget))


def test_analyzer_error_marks_the_result_incomplete() -> None:
    broken_ole = bytes.fromhex("d0cf11e0a1b11ae1") + bytes(600)
    result = scan_bytes(with_attachment(broken_ole, "old.doc", "application/msword"))
    assert "analyzer.error" in ids(result)
    assert result.verdict.incomplete


def test_limits_are_findings_and_mark_incomplete() -> None:
    import dataclasses

    limits = dataclasses.replace(DEFAULT, max_parts=1)
    result = scan_bytes(with_attachment(b"%PDF-1.4\n", "a.pdf", "application/pdf"), limits=limits)
    hit = finding(result, "limit.max_parts")
    assert hit.facts()["limit"] == "1"
    assert hit.evidence[0].location == "part 2"
    assert result.verdict.incomplete


@pytest.mark.parametrize(
    ("data", "filename", "declared"),
    [
        (b"-----BEGIN PGP SIGNATURE-----\r\nabc\r\n", "signature.asc", "application/pgp-signature"),
        (b"\x89PNG\r\n\x1a\n" + bytes(40), "favicon.jpg", "image/jpeg"),
        (b"%PDF-1.4\n%%EOF\n", "Delivery No. 98908", "application/pdf"),
        (b"Reporting-MTA: dns; mx.example\r\n", "", "message/delivery-status"),
    ],
)
def test_sloppy_but_harmless_types_are_not_mismatches(
    data: bytes, filename: str, declared: str
) -> None:
    result = scan_bytes(with_attachment(data, filename, declared))
    assert "attachment.type_mismatch" not in ids(result)


def test_html_named_doc_is_a_mismatch() -> None:
    html = b"<html><body><script>location='http://203.0.113.9/'</script></body></html>"
    result = scan_bytes(with_attachment(html, "invoice.doc", "application/msword"))
    assert finding(result, "attachment.type_mismatch").facts()["detected_type"] == "text/html"


def test_attached_msg_is_scanned_as_a_nested_message() -> None:
    from testkit.msg_writer import build_msg

    inner = build_msg(
        subject="RE: order",
        sender_name="x",
        sender_email="x@hacked.example",
        to=(("Sato", "sato@corp.example.co.jp"),),
        body="see attached",
        transport_headers='From: "sato@corp.example.co.jp" <x@hacked.example>\r\nSubject: RE\r\n',
        message_id="<m@hacked.example>",
    )
    result = scan_bytes(with_attachment(inner, "order.msg", "application/vnd.ms-outlook"))
    hit = finding(result, "sender.display_name_has_address")
    assert hit.evidence[0].location == "attachment 2/order.msg: header From"
    assert result.attachments[1].children, "the .msg's own parts are in the tree"


def test_identity_evidence_alone_is_suspicious_however_much_of_it_there_is() -> None:
    from mailcheck.model import Evidence
    from mailcheck.score import verdict

    def make(finding_id: str, severity: str, score: int) -> Finding:
        return Finding(
            id=finding_id,
            severity=severity,  # type: ignore[arg-type]
            score=score,
            confidence="high",
            evidence=(Evidence(location="header From"),),
            analyzer="test",
        )

    identity = [
        make("sender.display_name_has_address", "high", 40),
        make("sender.impersonates_known_correspondent", "high", 50),
        make("thread.sender_not_in_thread", "high", 50),
    ]
    assert verdict(identity, ()).label == "suspicious"
    with_delivery = [*identity, make("attachment.archive_password_in_body", "medium", 25)]
    assert verdict(with_delivery, ()).label == "malicious"
