"""NUL and control bytes never hide a message: every front-end scans it and finds the payload.

A NUL in a header made mailcheck call a message carrying a program "not a message", which a
folder scan passes over in silence and the gateway passed on unscanned. Each shape of
`nul_shapes.NUL_SHAPES` must now be malicious through `scan_bytes`, `mailcheck scan DIR`,
`mailcheck audit` and `mailcheck filter`, with a `parse.defect` that names the field and the
byte; a file that starts like mail but still cannot be read is an error, never skipped.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from nul_shapes import NUL_SHAPES, exe_message

from mailcheck.api import scan_bytes
from mailcheck.audit import Options, Stop, run_audit
from mailcheck.cli import EXIT_ERROR, EXIT_MALICIOUS, main
from mailcheck.config import DEFAULT_CONFIG
from mailcheck.limits import DEFAULT
from mailcheck.parse import NotAMessageError
from mailcheck.parse.header_block import looks_like_headers, starts_like_mail
from testkit.fuzzing import stdlib_reads_mail

SHAPES = sorted(NUL_SHAPES)
EXE = "attachment 2/invoice.exe"


def file_name(shape: str) -> str:
    return shape.replace(" ", "-").replace("'", "") + ".eml"


def finding_locations(result: object, finding: str) -> list[str]:
    return [
        e.location
        for f in result.findings  # type: ignore[attr-defined]
        if f.id == finding
        for e in f.evidence
    ]


@pytest.mark.parametrize("shape", SHAPES)
def test_each_shape_is_scanned_and_malicious(shape: str) -> None:
    data, named = NUL_SHAPES[shape]
    result = scan_bytes(data)
    assert result.verdict.label == "malicious"
    assert EXE in finding_locations(result, "attachment.executable")
    defects = [e.excerpt for f in result.findings if f.id == "parse.defect" for e in f.evidence]
    assert named in defects, defects
    assert [a.filename for a in result.attachments] == ["", "invoice.exe"]


def test_the_header_values_are_read_without_the_nuls() -> None:
    result = scan_bytes(NUL_SHAPES["nul in a header value"][0])
    assert result.message.subject == "Invoice 0301"
    sender = scan_bytes(NUL_SHAPES["run of nuls in From"][0]).message.from_
    assert sender is not None and sender.addr == "accounts@example.test"
    assert sender.display_name == "Accounts"


def test_a_nul_only_line_does_not_end_the_header_block() -> None:
    # Read as an empty line, it would move Content-Type (and the attachment) into the body.
    data = exe_message(extra=b"\x00\r\n")
    result = scan_bytes(data)
    assert result.message.message_id == "<nul@example.test>"
    assert EXE in finding_locations(result, "attachment.executable")


def test_without_the_nuls_nothing_is_reported_as_a_defect() -> None:
    result = scan_bytes(exe_message())
    assert result.verdict.label == "malicious"
    assert "parse.defect" not in {f.id for f in result.findings}


def test_mbox_messages_with_nuls_are_each_scanned(tmp_path: Path) -> None:
    folder = tmp_path / "mail.mbox"
    folder.write_bytes(
        b"".join(
            b"From accounts@example.test Tue Mar  1 09:00:00 2022\r\n" + NUL_SHAPES[s][0] + b"\r\n"
            for s in SHAPES
        )
    )
    code, out, _err = _scan_cli("--json", str(folder))
    verdicts = [json.loads(line)["verdict"] for line in out.splitlines()]
    assert code == EXIT_MALICIOUS
    assert verdicts == ["malicious"] * len(SHAPES)


def _scan_cli(*args: str) -> tuple[int, str, str]:
    """Exit status, standard output (the JSON lines) and standard error (notes, the summary)."""
    result = CliRunner().invoke(main, ["scan", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def _write_shapes(folder: Path) -> Path:
    folder.mkdir()
    for shape in SHAPES:
        (folder / file_name(shape)).write_bytes(NUL_SHAPES[shape][0])
    return folder


def test_scan_of_a_folder_reports_every_shape(tmp_path: Path) -> None:
    folder = _write_shapes(tmp_path / "mail")
    code, out, _err = _scan_cli("--json", str(folder))
    results = {Path(r["source"]["path"]).name: r for r in map(json.loads, out.splitlines())}
    assert code == EXIT_MALICIOUS
    assert set(results) == {file_name(s) for s in SHAPES}
    assert {r["verdict"] for r in results.values()} == {"malicious"}


def test_audit_reports_every_shape_as_malicious(tmp_path: Path) -> None:
    folder = _write_shapes(tmp_path / "mail")
    out = tmp_path / "audit"
    options = Options(
        paths=(str(folder),), out=out, lang="en", limits=DEFAULT, config=DEFAULT_CONFIG, jobs=2
    )
    run_audit(options, Stop())
    lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    verdicts = {Path(r["source"]["path"]).name: r["verdict"] for r in map(json.loads, lines)}
    assert verdicts == {file_name(s): "malicious" for s in SHAPES}


def _filter(data: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "mailcheck", "filter"],
        input=data,
        capture_output=True,
        timeout=120,
        env={**os.environ},
        check=False,
    )


@pytest.mark.parametrize("shape", SHAPES)
def test_filter_scans_each_shape(shape: str) -> None:
    data = NUL_SHAPES[shape][0]
    done = _filter(data)
    assert done.returncode == EXIT_MALICIOUS, done.stderr
    assert done.stdout.startswith(b"X-Mailcheck-Verdict: malicious\r\n")
    assert done.stdout.endswith(data)  # the message itself passes byte for byte


def test_filter_scans_a_message_whose_head_is_not_a_header_block() -> None:
    # What the MTA hands over is mail: scanned (with the problem as a defect), never refused.
    data = b"\x01\x02 garbage before the headers\r\n" * 6 + exe_message()
    with pytest.raises(NotAMessageError):
        scan_bytes(data)  # a file like this in a folder is not a message
    result = scan_bytes(data, as_mail=True)
    codes = {
        dict(e.facts)["code"] for f in result.findings if f.id == "parse.defect" for e in f.evidence
    }
    assert "header_block_unrecognised" in codes
    assert EXE in finding_locations(result, "attachment.executable")
    done = _filter(data)
    assert done.returncode == EXIT_MALICIOUS, done.stderr
    assert done.stdout.startswith(b"X-Mailcheck-Verdict: malicious\r\n")


# --- files that start like mail are never passed over -----------------------------------

DAMAGED = [
    pytest.param(b"Subject: notes\r\n" + b"<<binary>>\r\n" * 8, id="known field then junk"),
    pytest.param(b"X-Spam: yes\r\n" + b"\x01\x02\x03\r\n" * 8, id="x- field then junk"),
    pytest.param(
        b"\xff\xfe junk\r\nReturn-Path: <a@b>\r\n" + b"?" * 9 + b"\r\n" * 8, id="one junk line"
    ),
]
NOT_MAIL = [
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", id="png"),
    pytest.param(b"name: value\nother: thing\n- item\n", id="yaml"),
    pytest.param(b"<html><body>From: a@b To: c@d</body></html>\n", id="html"),
    pytest.param(b"one\r\ntwo\r\nSubject: third line\r\n", id="field on the third line"),
]


@pytest.mark.parametrize("data", DAMAGED)
def test_damaged_files_that_start_like_mail_are_error_lines(tmp_path: Path, data: bytes) -> None:
    assert starts_like_mail(data)
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "damaged.eml").write_bytes(data)
    (folder / "good.eml").write_bytes(exe_message())
    code, _out, err = _scan_cli("--json", str(folder))
    assert code == EXIT_MALICIOUS  # the worst outcome wins; the error line is still there
    assert "damaged.eml: starts like a mail message" in err
    audited = tmp_path / "audit"
    options = Options(
        paths=(str(folder),), out=audited, lang="en", limits=DEFAULT, config=DEFAULT_CONFIG
    )
    run_audit(options, Stop())
    with (audited / "errors.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert any(row and row[0].endswith("damaged.eml") for row in rows[1:]), rows


@pytest.mark.parametrize("data", NOT_MAIL)
def test_other_files_in_a_folder_are_passed_over(tmp_path: Path, data: bytes) -> None:
    assert not starts_like_mail(data)
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "other.bin").write_bytes(data)
    (folder / "good.eml").write_bytes(exe_message())
    code, out, _err = _scan_cli("--json", str(folder))
    assert code == EXIT_MALICIOUS
    assert [Path(json.loads(line)["source"]["path"]).name for line in out.splitlines()] == [
        "good.eml"
    ]


def test_a_damaged_file_named_on_the_command_line_is_still_an_error(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_bytes(b"hello world\n")
    code, _out, err = _scan_cli(str(path))
    assert code == EXIT_ERROR and "not a mail message" in err


def test_two_known_fields_before_junk_make_a_message() -> None:
    # As the stdlib reads it: the fields, then a body that starts at the odd line.
    head = b"From: a@example.test\r\nTo: b@example.test\r\n" + b"\x01junk\r\n" * 40
    assert looks_like_headers(head)
    assert not looks_like_headers(b"Subject: x\r\n" + b"prose line\r\n" * 40)


# --- a header block that a relay cut at the bad line --------------------------------------

POSTFIX_ADDED = b"Received: by mx.example.test (Postfix)\r\nFrom: accounts@example.test\r\n"


@pytest.mark.parametrize(
    "shape", ["nul in a header name", "nul-only header line", "control byte in a header name"]
)
def test_a_block_cut_by_a_relay_is_read_whole(shape: str) -> None:
    # Postfix ends the header block at a line it cannot read and inserts a blank line: the
    # Maildir file (and the milter) then hold the sender's Content-Type in the body.
    data = NUL_SHAPES[shape][0]
    cut = data.index(b"\r\n", data.index(b"Subject:")) + 2
    delivered = POSTFIX_ADDED + data[:cut] + b"\r\n" + data[cut:]
    result = scan_bytes(delivered)
    assert EXE in finding_locations(result, "attachment.executable")
    codes = {
        dict(e.facts)["code"] for f in result.findings if f.id == "parse.defect" for e in f.evidence
    }
    assert "header_block_split" in codes


@pytest.mark.parametrize(
    "body",
    [
        b"Content-Type: multipart/mixed is what the other list said.\r\n",
        b"Please note:\r\nContent-Type: text/html broke the page.\r\n",
        b"\r\nContent-Type: multipart/mixed; boundary=B\r\n",
    ],
)
def test_a_body_that_mentions_a_content_type_stays_a_body(body: bytes) -> None:
    data = b"From: a@example.test\r\nTo: b@example.test\r\nSubject: list\r\n\r\n" + body
    result = scan_bytes(data)
    assert "parse.defect" not in {f.id for f in result.findings}
    assert result.verdict.label == "clean"


def test_a_message_with_its_own_content_type_is_never_rejoined() -> None:
    inner = exe_message()
    data = (
        b"From: a@example.test\r\nSubject: fwd\r\nContent-Type: text/plain\r\n\r\n"
        + inner.replace(b"From: Accounts", b"X-Fo\x00o: 1\r\nFrom: Accounts", 1)
    )
    result = scan_bytes(data)
    assert "attachment.executable" not in {f.id for f in result.findings}


# --- what the stdlib still reads as mail is mail here too (found by tools/fuzz.py) --------

FIELDS = b"Return-Path: <a@example.test>\r\nDelivered-To: b@example.test\r\n"


@pytest.mark.parametrize(
    "head",
    [
        pytest.param(
            b" From a@example.test  Sun Oct  6 22:57:39 2002\r\n" + FIELDS, id="indented From_"
        ),
        pytest.param(
            b" \r\nFrom a@example.test  Sun Oct  6 22:57:39 2002\r\n" + FIELDS,
            id="blank-ish first line",
        ),
        pytest.param(
            b"\tFrom a@example.test Tue Oct  8 2002\r\n" + FIELDS[:31] + b" \r\n" + FIELDS[31:],
            id="white space line",
        ),
        pytest.param(
            b" \r\nX-Fuzz: " + b"<" * 100_000 + b"\r\n" + FIELDS, id="field longer than the head"
        ),
        pytest.param(b":\r\nX-Fuzz: " + b"A" * 100_000 + b"\r\n" + FIELDS, id="empty field name"),
    ],
)
def test_heads_the_stdlib_reads_are_mail(head: bytes) -> None:
    data = head + b"Subject: x\r\n\r\nbody\r\n"
    assert stdlib_reads_mail(data)
    assert looks_like_headers(data[:65536])
    assert scan_bytes(data).verdict.label == "clean"
