"""Hostile-testing regressions: hangs, silent gaps, crashes on output, lost names, decoys.

Each test here reproduces a defect found by trying mailcheck as an attacker or a careless
operator would (FIFOs in a mail folder, an unreadable subfolder, a cp932 console, a full
disk, Ctrl-C in the middle of a scan, forty decoy passwords, a locked invoice.exe).
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cases import with_attachment
from cases_containers import aes_zip, seven_zip, tiny_exe, zipcrypto_zip
from conftest import ROOT, eml

from mailcheck import api
from mailcheck.api import ScanError, scan_bytes, scan_path, scan_paths
from mailcheck.catalog import load
from mailcheck.model import ScanResult
from mailcheck.report import json_codec
from testkit.office import DROPPER_MACRO, build_docm, build_vba_project

HANG_GUARD_SECONDS = 60.0
ZIP = "application/zip"


def mailcheck(*args: str, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    """The installed command line in a process of its own, with no stdin."""
    env = {**os.environ, "LANG": "C.UTF-8", **kwargs.pop("env", {})}  # type: ignore[dict-item]
    return subprocess.run(
        [sys.executable, "-m", "mailcheck", *args],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=HANG_GUARD_SECONDS,
        env=env,
        cwd=kwargs.pop("cwd", None),  # type: ignore[arg-type]
        check=False,
    )


def ok_message() -> bytes:
    return eml("From: a@example.com", "Subject: fine")


# --- files that are not regular files, folders that cannot be listed ------------------------


def test_a_fifo_in_a_folder_is_passed_over_without_opening(tmp_path: Path) -> None:
    (tmp_path / "a.eml").write_bytes(ok_message())
    os.mkfifo(tmp_path / "b.eml")  # opening it for reading would block forever
    (tmp_path / "c.eml").write_bytes(ok_message())
    outcomes = list(scan_paths([tmp_path]))
    assert [Path(o.source.path).name for o in outcomes] == ["a.eml", "c.eml"]
    assert all(isinstance(o, ScanResult) for o in outcomes)


def test_a_fifo_named_on_the_command_line_is_an_error_line(tmp_path: Path) -> None:
    fifo = tmp_path / "mail.eml"
    os.mkfifo(fifo)
    done = mailcheck("scan", str(fifo), str(ROOT / "samples" / "04-newsletter.en.eml"))
    assert done.returncode == 3
    assert b"FIFO" in done.stderr
    assert b"Traceback" not in done.stderr
    assert b"CLEAN" in done.stdout  # the other input is still scanned


def test_a_device_is_refused_without_reading_it() -> None:
    (outcome,) = list(scan_path(Path("/dev/zero")))
    assert isinstance(outcome, ScanError)
    assert "character device" in outcome.reason


def test_an_unlistable_folder_is_an_error_not_a_gap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.eml").write_bytes(ok_message())
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "b.eml").write_bytes(ok_message())
    real = os.scandir

    def scandir(path: object) -> object:
        if Path(str(path)) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)  # type: ignore[arg-type]

    # Root (which CI runs as) may list any folder: refuse this one as the kernel would.
    monkeypatch.setattr(api.os, "scandir", scandir)
    outcomes = list(scan_paths([tmp_path]))
    errors = [o for o in outcomes if isinstance(o, ScanError)]
    assert [e.source.path for e in errors] == [str(locked)]
    assert "Permission denied" in errors[0].reason
    assert not errors[0].not_a_message  # the CLI reports it even inside a folder
    assert sum(isinstance(o, ScanResult) for o in outcomes) == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root lists every folder; covered by injection")
def test_an_unreadable_folder_on_disk_exits_3(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    (tmp_path / "a.eml").write_bytes(ok_message())
    locked.chmod(0)
    try:
        for target in (tmp_path, locked):
            done = mailcheck("scan", str(target))
            assert done.returncode == 3
            assert b"cannot list the directory" in done.stderr
    finally:
        locked.chmod(0o700)


# --- output -----------------------------------------------------------------------------------

EMOJI = eml("From: a@example.com", "Subject: 請求書 \U0001f389 invoice", body="hi \U0001f389\r\n")


@pytest.mark.parametrize("encoding", ["cp932", "euc_jp", "shift_jis", "ascii"])
def test_an_output_encoding_without_the_characters_never_ends_the_run(
    tmp_path: Path, encoding: str
) -> None:
    (tmp_path / "1.eml").write_bytes(EMOJI)
    (tmp_path / "2.eml").write_bytes(eml("From: b@example.com", "Subject: second"))
    done = mailcheck("scan", "--lang", "en", str(tmp_path), env={"PYTHONIOENCODING": encoding})
    assert done.returncode == 0, done.stderr
    assert b"Traceback" not in done.stderr
    assert b"second" in done.stdout  # later inputs are still reported
    as_json = mailcheck("scan", "--json", str(tmp_path), env={"PYTHONIOENCODING": encoding})
    lines = as_json.stdout.decode("utf-8").splitlines()  # JSON is UTF-8 whatever the locale
    assert json.loads(lines[0])["message"]["subject"] == "請求書 \U0001f389 invoice"


def test_a_full_disk_is_one_error_line_and_status_3() -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("this system has no /dev/full")
    for args in (["--json"], []):
        with open("/dev/full", "wb") as full:
            done = subprocess.run(
                [sys.executable, "-m", "mailcheck", "scan", *args, str(ROOT / "samples")],
                stdout=full,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                timeout=HANG_GUARD_SECONDS,
                check=False,
            )
        assert done.returncode == 3
        assert b"Traceback" not in done.stderr
        assert done.stderr.count(b"No space left on device") == 1


# --- interruption -----------------------------------------------------------------------------


def _blocked_scan(tmp_path: Path) -> subprocess.Popen[bytes]:
    """A scan of an mbox on stdin that has analysed one Office document (the worker is
    running) and now waits for the rest of the mailbox."""
    first = with_attachment(
        build_docm(build_vba_project(document_code=DROPPER_MACRO)),
        "invoice.docm",
        "application/vnd.ms-word.document.macroEnabled.12",
    )
    filler = b"X-Filler: " + b"a" * 70_000 + b"\r\n"  # past the 64 KiB format sniff
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    scan = subprocess.Popen(
        [sys.executable, "-m", "mailcheck", "scan", "--json", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert scan.stdin is not None and scan.stdout is not None
    scan.stdin.write(b"From a@b Mon Mar  7 09:00:00 2022\n" + filler + first)
    scan.stdin.write(b"\nFrom c@d Mon Mar  7 09:00:00 2022\nFrom: c@d.example\n")
    scan.stdin.flush()
    line = scan.stdout.readline()  # the first result: the worker has done its work
    assert json.loads(line)["verdict"] == "malicious"
    return scan


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_ends_the_scan_with_its_status_and_nothing_left_behind(
    tmp_path: Path, signum: int, status: int
) -> None:
    scan = _blocked_scan(tmp_path)
    scan.send_signal(signum)
    _out, err = scan.communicate(timeout=HANG_GUARD_SECONDS)
    assert scan.returncode == status
    assert b"Traceback" not in err
    assert b"BrokenPipeError" not in err
    time.sleep(0.5)  # the worker is ended by the parent's exit handler
    assert list(tmp_path.iterdir()) == []  # no copy of any attachment in the temp folder


# --- passwords and locked archives ------------------------------------------------------------


def ids(data: bytes) -> set[str]:
    return {f.id for f in scan_bytes(data).findings}


def decoys(count: int) -> str:
    return "".join(f"Password: decoy{i:02d}\r\n" for i in range(count))


def test_decoy_passwords_leave_a_limit_and_an_incomplete_verdict() -> None:
    archive = aes_zip([("invoice.exe", tiny_exe())], "Real-Pass9")
    text = decoys(40) + "Password: Real-Pass9\r\n"
    result = scan_bytes(with_attachment(archive, "invoice.zip", ZIP, text=text))
    limit = next(f for f in result.findings if f.id == "limit.max_password_tries")
    assert limit.evidence[0].location == "attachment 2/invoice.zip"
    assert result.verdict.incomplete
    assert result.verdict.label == "malicious"  # the locked invoice.exe, by its name


def test_the_password_next_to_the_attachment_is_tried_first() -> None:
    archive = aes_zip(
        [("invoice.docm", build_docm(build_vba_project(document_code=DROPPER_MACRO)))], "R3al!"
    )
    text = decoys(40) + "invoice.zip のパスワード：R3al!\r\n" + decoys(40)
    result = scan_bytes(with_attachment(archive, "invoice.zip", ZIP, text=text))
    found = {f.id for f in result.findings}
    assert {"attachment.archive_password_in_body", "attachment.macro.autoexec_exec"} <= found
    assert "limit.max_password_tries" not in found
    assert not result.verdict.incomplete


@pytest.mark.parametrize(
    "name", ["invoice.exe", "scan.js", "書類.lnk", "invoice.pdf.scr", "disk.iso", "a/b/run.bat"]
)
def test_a_locked_program_is_evidence_by_its_name(name: str) -> None:
    archive = zipcrypto_zip([(name, b"MZ" + bytes(100))], "not-in-the-mail")
    body = "パスワードは別途お送りします。\r\n"
    result = scan_bytes(with_attachment(archive, "invoice.zip", ZIP, text=body))
    finding = next(f for f in result.findings if f.id == "attachment.encrypted_program")
    assert name.rsplit("/", 1)[-1] in finding.facts()["names"]
    assert result.verdict.label == "malicious"
    assert result.verdict.incomplete


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("見積書.xlsm", "macro document"),
        ("請求書.xls", "Office document"),
        ("invoice.doc", "Office document"),
        ("slides.ppt", "Office document"),
        ("notes.one", "OneNote notebook"),
        ("tools.xla", "add-in"),
        ("manual.chm", "help file"),
        ("prices.iqy", "web query"),
    ],
)
def test_a_locked_document_that_runs_code_is_suspicious(name: str, kind: str) -> None:
    # Locked, cannot be checked, and of a kind that runs code: never clean; with a display
    # name holding another organisation's address, malicious.
    archive = zipcrypto_zip([(name, b"PK\x03\x04")], "not-in-the-mail")
    for text in ("PW は別送します\r\n", "The password follows in a separate mail.\r\n"):
        result = scan_bytes(with_attachment(archive, "files.zip", ZIP, text=text))
        finding = next(f for f in result.findings if f.id == "attachment.encrypted_macro_document")
        assert f"{name} ({kind})" in finding.facts()["names"]
        assert result.verdict.label == "suspicious"
    spoofed = with_attachment(
        archive, "files.zip", ZIP, 'From: "tanaka@partner.example.jp" <x@hacked.example>'
    )
    assert scan_bytes(spoofed).verdict.label == "malicious"


@pytest.mark.parametrize("name", ["addin.xll", "tool.jar"])
def test_a_locked_add_in_or_java_archive_runs_like_a_program(name: str) -> None:
    archive = zipcrypto_zip([(name, b"PK\x03\x04")], "not-in-the-mail")
    result = scan_bytes(with_attachment(archive, "files.zip", ZIP, text="PW は別送します\r\n"))
    assert "attachment.encrypted_program" in {f.id for f in result.findings}
    assert result.verdict.label == "malicious"


def test_a_locked_7z_lists_its_program_too() -> None:
    archive = seven_zip([("invoice.exe", tiny_exe())], "not-in-the-mail", encrypt_names=False)
    assert "attachment.encrypted_program" in ids(with_attachment(archive, "a.7z", "x/y"))


@pytest.mark.parametrize("name", ["invoice.pdf", "見積書.xlsx", "contract.docx", "photo.jpg"])
def test_locked_documents_that_run_no_code_stay_as_they_were(name: str) -> None:
    # Japanese PPAP as businesses send it: a PDF or a macro-free workbook, password later.
    archive = zipcrypto_zip([(name, b"%PDF-1.4\n")], "not-in-the-mail")
    result = scan_bytes(with_attachment(archive, "invoice.zip", ZIP, text="PW は別送します\r\n"))
    found = {f.id for f in result.findings}
    assert "attachment.encrypted_archive" in found
    assert not found & {"attachment.encrypted_program", "attachment.encrypted_macro_document"}
    assert result.verdict.label == "clean"


# --- names that are not UTF-8 -------------------------------------------------------------------


def test_a_non_utf8_file_name_on_disk_round_trips_through_json(tmp_path: Path) -> None:
    raw_name = b"\xff\xfe-invoice.eml"
    path = Path(os.fsdecode(os.path.join(os.fsencode(tmp_path), raw_name)))
    path.write_bytes(ok_message())
    (result,) = list(scan_paths([tmp_path]))
    assert isinstance(result, ScanResult)
    line = json_codec.dumps(result, load(), "en")
    record = json.loads(line)
    assert "\ufffd" in record["source"]["path"]  # readable text for people
    assert base64.b64decode(record["source"]["path_bytes"]).endswith(raw_name)
    again = json_codec.loads(line)
    assert os.fsencode(again.source.path) == os.fsencode(str(path))


def test_a_raw_8bit_attachment_name_keeps_its_bytes_and_its_extension() -> None:
    encoded = base64.encodebytes(tiny_exe()).decode()
    body = (
        "--B\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
        'Content-Disposition: attachment; filename="\udcff\udcfe.exe"\r\n\r\n'
        f"{encoded}--B--\r\n"
    )
    data = eml("From: a@example.com", body=body, content_type='multipart/mixed; boundary="B"')
    result = scan_bytes(data)
    node = result.attachments[0]
    assert node.filename.encode("utf-8", "surrogateescape") == b"\xff\xfe.exe"
    record = json.loads(json_codec.dumps(result, load(), "en"))
    attachment = record["attachments"][0]
    assert base64.b64decode(attachment["filename_bytes"]) == b"\xff\xfe.exe"
    assert json_codec.loads(json.dumps(record)).attachments[0].filename == node.filename
    hit = next(f for f in result.findings if f.id == "attachment.executable")
    assert hit.facts()["kind"] == "PE"


def test_a_japanese_raw_name_is_still_read_as_text() -> None:
    name = "請求書.pdf".encode("cp932").decode("ascii", "surrogateescape")
    body = (
        "--B\r\nContent-Type: application/pdf\r\n"
        f'Content-Disposition: attachment; filename="{name}"\r\n\r\n%PDF-1.4\r\n--B--\r\n'
    )
    data = eml("From: a@example.com", body=body, content_type='multipart/mixed; boundary="B"')
    assert scan_bytes(data).attachments[0].filename == "請求書.pdf"


def test_third_party_parsers_never_write_to_the_terminal(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    import logging

    from mailcheck.quiet import silenced_logging

    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])  # a process that configured no logging
    with silenced_logging():
        # What extract-msg does on a multipart .msg body: the module-level call installs a
        # stderr handler on the root logger, after which every library error would print.
        logging.warning("Found multipart node that did not return a list.")
        logging.getLogger("extract_msg").error("File does not contain a property stream.")
    assert root.handlers == []
    assert capfd.readouterr().err == ""
