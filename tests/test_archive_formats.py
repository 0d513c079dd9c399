"""RAR, CAB, tar and LZH archives through libarchive (issue: payloads that slip past): a
program inside is found like one inside a ZIP, a locked RAR still gives its names, ACE is
reported as not opened, and an honest release or document archive stays clean."""

from __future__ import annotations

import io
import tarfile

import pytest
from cases import with_attachment
from cases_containers import tiny_exe
from conftest import corpus_dir

from mailcheck.api import scan_bytes
from mailcheck.model import ScanResult
from testkit.payloads import build_cab, build_lzh, build_rar, build_xar

OCTET = "application/octet-stream"
JA = "お世話になっております。\r\n請求書を送付いたします。ご確認ください。\r\n"
EN = "Hello,\r\nplease find the invoice attached.\r\n"


def tar(members: list[tuple[str, bytes]], mode: str = "w") -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode=mode) as archive:  # type: ignore[call-overload]
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 1_700_000_000
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


BUILDERS = {
    "invoice.rar": build_rar,
    "invoice.cab": build_cab,
    "invoice.lzh": build_lzh,
    "invoice.tar": tar,
    "invoice.xar": build_xar,
}


def ids(result: ScanResult) -> set[str]:
    return {f.id for f in result.findings}


@pytest.mark.parametrize("text", [JA, EN], ids=["ja", "en"])
@pytest.mark.parametrize("archive_name", sorted(BUILDERS))
def test_a_program_inside_is_found(archive_name: str, text: str) -> None:
    archive = BUILDERS[archive_name]([("readme.txt", b"see invoice"), ("invoice.exe", tiny_exe())])
    result = scan_bytes(with_attachment(archive, archive_name, OCTET, text=text))
    found = [f for f in result.findings if f.id == "attachment.executable"]
    assert found, ids(result)
    assert found[0].evidence[0].location == f"attachment 2/{archive_name}/invoice.exe"
    assert result.verdict.label == "malicious"
    assert "attachment.archive_unsupported" not in ids(result)


def test_a_program_in_a_tar_gz_is_found() -> None:
    archive = tar([("invoice.exe", tiny_exe())], "w:gz")
    result = scan_bytes(with_attachment(archive, "invoice.tar.gz", OCTET, text=EN))
    assert "attachment.executable" in ids(result) and result.verdict.label == "malicious"


def test_a_source_release_tar_gz_stays_clean() -> None:
    files = [
        ("tool-1.2/README.md", b"# tool\n\nBuild with make.\n"),
        ("tool-1.2/src/main.c", b"int main(void) { return 0; }\n"),
        ("tool-1.2/Makefile", b"all:\n\tcc -o tool src/main.c\n"),
    ]
    result = scan_bytes(with_attachment(tar(files, "w:gz"), "tool-1.2.tar.gz", OCTET, text=EN))
    assert result.verdict.label == "clean", ids(result)


@pytest.mark.parametrize("archive_name", sorted(BUILDERS))
def test_documents_in_an_archive_stay_clean(archive_name: str) -> None:
    members = [("見積書.pdf", b"%PDF-1.4\n%%EOF\n"), ("notes.txt", b"hello\n")]
    if archive_name != "invoice.tar":  # RAR 4, CAB and LHA headers carry ASCII names here
        members = [("mitsumori.pdf", b"%PDF-1.4\n%%EOF\n"), ("notes.txt", b"hello\n")]
    result = scan_bytes(
        with_attachment(BUILDERS[archive_name](members), archive_name, OCTET, text=JA)
    )
    assert result.verdict.label == "clean", ids(result)


def test_an_ace_archive_is_reported_as_not_opened() -> None:
    ace = bytes(7) + b"**ACE**" + bytes(64)
    result = scan_bytes(with_attachment(ace, "invoice.ace", OCTET, text=EN))
    facts = next(f for f in result.findings if f.id == "attachment.archive_unsupported").facts()
    assert facts["format"] == "ace" and result.verdict.incomplete


def test_a_path_that_leaves_the_folder_is_a_finding() -> None:
    archive = tar([("../../Startup/invoice.txt", b"hello")])
    result = scan_bytes(with_attachment(archive, "files.tar", OCTET, text=EN))
    assert "attachment.archive_path_traversal" in ids(result)


# --- third-party archives --------------------------------------------------------------------

FIXTURES = ("office", "strelka_fixtures", "src", "python", "strelka", "tests", "fixtures")


@pytest.mark.parametrize("name", ["test.rar", "test_lzx.cab", "test_zip.cab", "test.tar"])
def test_real_archives_open_with_every_member(name: str) -> None:
    data = (corpus_dir(*FIXTURES) / name).read_bytes()
    result = scan_bytes(with_attachment(data, name, OCTET, text=EN))
    members = {n.path for top in result.attachments for n in top.walk()}
    assert f"2/{name}/lorem.txt" in members or f"2/{name}/hidden/lorem.txt" in members
    assert result.verdict.label == "clean" and not result.verdict.incomplete


def test_a_locked_rar_lists_its_names_and_is_incomplete() -> None:
    data = (corpus_dir(*FIXTURES) / "test_password.rar").read_bytes()
    result = scan_bytes(with_attachment(data, "test_password.rar", OCTET, text=EN))
    facts = next(f for f in result.findings if f.id == "attachment.encrypted_archive").facts()
    assert int(facts["locked"]) >= 3 and result.verdict.incomplete


def test_a_rar_with_locked_names_is_reported() -> None:
    data = (corpus_dir(*FIXTURES) / "test_password_encrypted_headers.rar").read_bytes()
    result = scan_bytes(with_attachment(data, "locked.rar", OCTET, text=EN))
    assert "attachment.archive_unsupported" in ids(result) and result.verdict.incomplete


@pytest.mark.parametrize("text", [JA, EN], ids=["ja", "en"])
def test_a_locked_rar_stays_locked_with_its_password_in_the_body(text: str) -> None:
    # libarchive 3.6/3.7 cannot decrypt RAR 4 or 5 (given the right passphrase it reads the
    # ciphertext as data and fails), so the body's password is not tried on a RAR: the names
    # are judged as locked, the result is incomplete and no password is claimed to fit.
    data = (corpus_dir(*FIXTURES) / "test_password.rar").read_bytes()
    body = text + "パスワード: password\r\nPassword: password\r\n"
    result = scan_bytes(with_attachment(data, "test_password.rar", OCTET, text=body))
    locked = next(f for f in result.findings if f.id == "attachment.encrypted_archive")
    assert locked.facts()["tried"] == "0" and result.verdict.incomplete
    assert "attachment.archive_password_in_body" not in ids(result)


def test_names_libarchive_cannot_decode_are_read_as_cp932() -> None:
    # libarchive hands over raw bytes for a name that is not UTF-8: never a crash, and a
    # Japanese archiver's cp932 name reads as it was written.
    archive = bytearray(build_cab([("xx.exe", tiny_exe())]))
    at = archive.find(b"xx.exe")
    archive[at : at + 2] = "請".encode("cp932")
    result = scan_bytes(with_attachment(bytes(archive), "invoice.cab", OCTET, text=JA))
    found = [f for f in result.findings if f.id == "attachment.executable"]
    assert found and found[0].evidence[0].location == "attachment 2/invoice.cab/請.exe"
