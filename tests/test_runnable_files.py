"""Files that run code through the program Windows hands them to (issue: payloads that slip
past): a Java archive, an app package or App Installer file, a registry file, a settings
shortcut. Each is judged by its name and its bytes together, like a script."""

from __future__ import annotations

import pytest
from cases import with_attachment
from cases_containers import plain_zip

from mailcheck.analyzers.xll import dll_exports
from mailcheck.api import scan_bytes
from mailcheck.model import ScanResult
from testkit.payloads import build_dll

OCTET = "application/octet-stream"
JA = "お世話になっております。\r\n資料を送付いたします。\r\n"
EN = "Hello,\r\nthe tool you asked for is attached.\r\n"


JAR = plain_zip(
    [
        ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\r\nMain-Class: a.Main\r\n"),
        ("a/Main.class", b"\xca\xfe\xba\xbe" + bytes(40)),
    ]
)
MSIX = plain_zip([("AppxManifest.xml", b"<Package/>"), ("app/run.exe", b"placeholder")])
REG = (
    b"Windows Registry Editor Version 5.00\r\n\r\n"
    b"[HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run]\r\n"
    b'"upd"="C:\\\\Users\\\\Public\\\\a.exe"\r\n'
)
APPINSTALLER = (
    b'<?xml version="1.0" encoding="utf-8"?>\r\n<AppInstaller Version="1.0.0.0" '
    b'Uri="https://files.example/a.appinstaller" '
    b'xmlns="http://schemas.microsoft.com/appx/appinstaller/2018">'
    b'<MainPackage Name="A" Version="1.0.0.0" Uri="https://files.example/a.msix"/></AppInstaller>'
)
SETTING = (
    b'<?xml version="1.0" encoding="UTF-8"?>\r\n<PCSettings><SearchableContent '
    b'xmlns="http://schemas.microsoft.com/Search/2013/SettingContent"><ApplicationInformation>'
    b"<DeepLink>%windir%\\system32\\cmd.exe /c calc.exe</DeepLink>"
    b"</ApplicationInformation></SearchableContent></PCSettings>"
)


def ids(result: ScanResult) -> set[str]:
    return {f.id for f in result.findings}


@pytest.mark.parametrize("text", [JA, EN], ids=["ja", "en"])
@pytest.mark.parametrize(
    ("name", "data", "label"),
    [
        ("tool.jar", JAR, "Java archive"),
        ("viewer.msix", MSIX, "app package"),
        ("viewer.appinstaller", APPINSTALLER, "App Installer file"),
        ("fix.reg", REG, "registry file"),
        ("display.settingcontent-ms", SETTING, "settings shortcut"),
    ],
)
def test_a_file_handed_to_a_runner_is_an_executable(
    name: str, data: bytes, label: str, text: str
) -> None:
    result = scan_bytes(with_attachment(data, name, OCTET, text=text))
    found = [f for f in result.findings if f.id == "attachment.executable"]
    assert found, ids(result)
    assert found[0].evidence[0].location == f"attachment 2/{name}"
    assert label in found[0].facts()["kind"]
    assert result.verdict.label == "malicious"


def test_a_jar_inside_a_zip_is_found() -> None:
    result = scan_bytes(with_attachment(plain_zip([("tool.jar", JAR)]), "tool.zip", OCTET, text=EN))
    found = [f for f in result.findings if f.id == "attachment.executable"]
    assert found and found[0].evidence[0].location == "attachment 2/tool.zip/tool.jar"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("classes.zip", JAR),  # a Java archive under a .zip name opens as a folder
        ("settings.txt", REG),  # a .reg text under .txt opens in Notepad
        ("release.docx.xml", APPINSTALLER),
    ],
)
def test_the_same_bytes_under_a_harmless_name_stay_clean(name: str, data: bytes) -> None:
    result = scan_bytes(with_attachment(data, name, OCTET, text=EN))
    assert "attachment.executable" not in ids(result)
    assert result.verdict.label == "clean", ids(result)


def test_a_name_alone_is_not_a_program() -> None:
    # Java would refuse a picture called .jar: a name without bytes to match is a mismatch.
    result = scan_bytes(with_attachment(b"\x89PNG\r\n\x1a\n" + bytes(40), "logo.jar", OCTET))
    assert "attachment.executable" not in ids(result)
    assert "attachment.type_mismatch" in ids(result)


CHM = b"ITSF\x03\x00\x00\x00\x60\x00\x00\x00\x01\x00\x00\x00" + bytes(200)
IQY = b"WEB\r\n1\r\nhttps://files.example/q.php?id=1\r\n"


@pytest.mark.parametrize("text", [JA, EN], ids=["ja", "en"])
@pytest.mark.parametrize(
    ("name", "data", "label"),
    [("manual.chm", CHM, "compiled HTML help"), ("report.iqy", IQY, "Excel web query")],
)
def test_a_help_file_or_web_query_is_suspicious_not_malicious(
    name: str, data: bytes, label: str, text: str
) -> None:
    # A vendor's help file is a real business attachment: a warning, never proof alone.
    result = scan_bytes(with_attachment(data, name, OCTET, text=text))
    found = [f for f in result.findings if f.id == "attachment.code_file"]
    assert found, ids(result)
    assert found[0].facts()["kind"] == label
    assert found[0].evidence[0].location == f"attachment 2/{name}"
    assert result.verdict.label == "suspicious"


def test_a_help_file_inside_a_zip_is_found() -> None:
    result = scan_bytes(with_attachment(plain_zip([("manual.chm", CHM)]), "docs.zip", OCTET))
    found = [f for f in result.findings if f.id == "attachment.code_file"]
    assert found and found[0].evidence[0].location == "attachment 2/docs.zip/manual.chm"


def test_a_web_query_saved_as_text_stays_clean() -> None:
    result = scan_bytes(with_attachment(IQY, "query-notes.txt", OCTET, text=EN))
    assert result.verdict.label == "clean", ids(result)


# --- Excel add-ins (XLL) told by their bytes ---------------------------------------------------


def _xll_located(result: ScanResult) -> list[str]:
    return [
        e.location for f in result.findings if f.id == "attachment.xll_addin" for e in f.evidence
    ]


@pytest.mark.parametrize("text", [JA, EN], ids=["ja", "en"])
@pytest.mark.parametrize("name", ["report.xll", "report.dat", "invoice.pdf"])
def test_a_dll_exporting_xlautoopen_is_an_excel_addin_whatever_its_name(
    name: str, text: str
) -> None:
    dll = build_dll(("xlAutoOpen", "xlAutoClose", "Run"))
    result = scan_bytes(with_attachment(dll, name, OCTET, text=text))
    assert _xll_located(result) == [f"attachment 2/{name}"]
    facts = next(f for f in result.findings if f.id == "attachment.xll_addin").facts()
    assert facts["exports"] == "xlAutoOpen, xlAutoClose"
    assert result.verdict.label == "malicious"


@pytest.mark.parametrize("text", [JA, EN], ids=["ja", "en"])
def test_a_renamed_addin_in_a_zip_is_found_and_a_plain_dll_keeps_todays_result(text: str) -> None:
    addin = scan_bytes(
        with_attachment(plain_zip([("data.dat", build_dll())]), "a.zip", OCTET, text=text)
    )
    plain = scan_bytes(
        with_attachment(
            plain_zip([("data.dat", build_dll(("DllMain", "xlAutoOpenX")))]),
            "a.zip",
            OCTET,
            text=text,
        )
    )
    assert _xll_located(addin) == ["attachment 2/a.zip/data.dat"]
    assert "attachment.xll_addin" not in ids(plain)
    # Without the export the DLL is what it was before: a program, malicious.
    assert "attachment.executable" in ids(plain) and plain.verdict.label == "malicious"
    assert ids(addin) - ids(plain) == {"attachment.xll_addin"}


def test_damaged_dlls_are_never_addins_and_never_raise() -> None:
    dll = build_dll()
    assert dll_exports(dll) == ("xlAutoOpen",)
    assert dll_exports(dll[:0x180]) is None or "xlAutoOpen" not in (dll_exports(dll[:0x180]) or ())
    for cut in range(0, len(dll), 37):
        dll_exports(dll[:cut])
        dll_exports(dll[:cut] + bytes([cut % 256]) + dll[cut + 1 :])
    exe = bytearray(dll)
    exe[0x40 + 4 + 18 : 0x40 + 4 + 20] = (0x0102).to_bytes(2, "little")  # not a DLL
    assert dll_exports(bytes(exe)) is None
