"""`mailcheck filter`: the message out byte for byte with verdict headers, never lost."""

from __future__ import annotations

import base64
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT

from mailcheck.gateway.headers import rewrite_header_block
from testkit.payloads import build_pe_stub

TIMEOUT = 120


def run(data: bytes, *args: str, **env: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "mailcheck", "filter", *args],
        input=data,
        capture_output=True,
        timeout=TIMEOUT,
        env={**os.environ, **env},
        check=False,
    )


def headers_and_rest(out: bytes, original: bytes) -> tuple[list[bytes], bytes]:
    """Our added lines, and what follows them (which must be the original message)."""
    lines = out.splitlines(keepends=True)
    ours = [line for line in lines[:4] if line.startswith(b"X-Mailcheck-")]
    return ours, out[sum(map(len, ours)) :]


@pytest.mark.parametrize("newline", [b"\r\n", b"\n"])
def test_clean_message_round_trips_with_headers(newline: bytes) -> None:
    original = newline.join(
        [b"From: a@example.com", b"Subject: hi", b"", b"Body line \xe3\x81\x82", b"  spaced  ", b""]
    )
    done = run(original)
    assert done.returncode == 0
    ours, rest = headers_and_rest(done.stdout, original)
    assert [line.split(b":")[0] for line in ours] == [
        b"X-Mailcheck-Verdict",
        b"X-Mailcheck-Score",
        b"X-Mailcheck-Reasons",
        b"X-Mailcheck-Version",
    ]
    assert all(line.endswith(newline) and not line.endswith(b"\r\r\n") for line in ours)
    assert ours[0] == b"X-Mailcheck-Verdict: clean" + newline
    assert rest == original  # byte for byte


def test_incoming_verdict_headers_are_removed_with_their_continuations() -> None:
    original = (
        b"X-Mailcheck-Verdict: clean\r\n\tfolded on\r\nFrom: a@example.com\r\n"
        b"x-mailcheck-score: 0\r\nSubject: hi\r\n\r\nX-Mailcheck-Verdict: in the body stays\r\n"
    )
    done = run(original)
    out = done.stdout
    assert out.count(b"X-Mailcheck-Verdict: clean") == 1  # ours only
    assert b"folded on" not in out and b"x-mailcheck-score: 0" not in out
    assert out.endswith(b"\r\n\r\nX-Mailcheck-Verdict: in the body stays\r\n")
    assert b"From: a@example.com\r\nSubject: hi\r\n" in out


def exe_mail() -> bytes:
    encoded = base64.encodebytes(build_pe_stub()).replace(b"\n", b"\r\n")
    return (
        b"From: a@example.com\r\nSubject: inv\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n'
        b"--B\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="a.exe"\r\n\r\n' + encoded + b"--B--\r\n"
    )


def test_exit_status_follows_the_verdict_unless_sysexits() -> None:
    malicious = run(exe_mail())
    assert malicious.returncode == 4
    assert malicious.stdout.startswith(b"X-Mailcheck-Verdict: malicious\r\n")
    assert b"X-Mailcheck-Reasons: attachment.executable" in malicious.stdout
    suspicious = run(b'From: "boss@corp.example" <x@hacked.example>\r\nSubject: pay\r\n\r\nnow\r\n')
    assert suspicious.returncode == 1
    assert run(exe_mail(), "--sysexits").returncode == 0


def test_a_scan_past_its_timeout_passes_the_original_and_asks_for_a_retry() -> None:
    original = exe_mail()
    done = run(original, "--timeout", "0.01")
    assert done.returncode == 75
    assert done.stdout == original
    assert b"timeout" in done.stderr


def test_a_killed_worker_passes_the_original_and_asks_for_a_retry() -> None:
    payload = base64.encodebytes(os.urandom(40 * 1024 * 1024)).replace(b"\n", b"\r\n")
    original = (
        b'From: a@example.com\r\nContent-Type: multipart/mixed; boundary="B"\r\n\r\n--B\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + payload + b"--B--\r\n"
    )
    filter_process = subprocess.Popen(
        [sys.executable, "-m", "mailcheck", "filter"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert filter_process.stdin is not None
    filter_process.stdin.write(original)
    filter_process.stdin.close()
    filter_process.stdin = None  # written in full: communicate() only reads
    children = Path(f"/proc/{filter_process.pid}/task/{filter_process.pid}/children")

    def scan_worker() -> int | None:
        for pid in children.read_text().split():
            with contextlib.suppress(OSError):
                if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    return int(pid)
        return None

    deadline = time.monotonic() + 60
    while (worker := scan_worker()) is None:  # the scan worker has started
        assert time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.5)  # and is busy with the 54 MB message
    os.kill(worker, signal.SIGKILL)
    out, err = filter_process.communicate(timeout=TIMEOUT)
    assert filter_process.returncode == 75
    assert out == original
    assert b"worker_died" in err


def test_an_unusable_configuration_passes_the_original_and_asks_for_a_retry(
    tmp_path: Path,
) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[gateway]\nmalicious = 'explode'\n")
    original = exe_mail()
    done = run(original, "--config", str(broken))
    assert done.returncode == 75
    assert done.stdout == original
    assert b"gateway.malicious" in done.stderr


def test_the_rewrite_keeps_a_message_without_a_body() -> None:
    out, removed = rewrite_header_block(b"From: a@b.example\r\nX-Mailcheck-Score: 9", [("A", "1")])
    assert (out, removed) == (b"A: 1\r\nFrom: a@b.example\r\n", 1)


ENVELOPE = b"From MAILER-DAEMON@example.test  Tue Mar  1 09:00:00 2022"


@pytest.mark.parametrize("newline", [b"\r\n", b"\n"])
def test_the_rewrite_keeps_an_mbox_envelope_line_first(newline: bytes) -> None:
    # What pipe(8) with flags=F, procmail and maildrop hand a filter: the headers go below.
    message = newline.join(
        [ENVELOPE, b"X-Mailcheck-Verdict: clean", b"From: a@b.example", b"", b"From the body", b""]
    )
    out, removed = rewrite_header_block(message, [("A", "1"), ("B", "2")])
    assert removed == 1
    assert out == newline.join(
        [ENVELOPE, b"A: 1", b"B: 2", b"From: a@b.example", b"", b"From the body", b""]
    )
    only, _ = rewrite_header_block(ENVELOPE + newline, [("A", "1")])
    assert only == ENVELOPE + newline + b"A: 1" + newline


def test_the_filter_keeps_an_mbox_envelope_line_first() -> None:
    done = run(ENVELOPE + b"\r\n" + exe_mail())
    assert done.returncode == 4, done.stderr
    lines = done.stdout.split(b"\r\n")
    assert lines[0] == ENVELOPE
    assert lines[1] == b"X-Mailcheck-Verdict: malicious"
    assert done.stdout.endswith(exe_mail())
    assert done.stdout.count(ENVELOPE) == 1


def test_samples_round_trip() -> None:
    for sample in sorted((ROOT / "samples").glob("*.eml")):
        original = sample.read_bytes()
        done = run(original, "--sysexits")
        assert done.returncode == 0, sample.name
        _ours, rest = headers_and_rest(done.stdout, original)
        assert rest == original, sample.name
