"""`mailcheck milter` behind a real Postfix (Debian's package, installed by .ci/run).

A private Postfix (testkit/postfix.py) listens on loopback and delivers into Maildirs;
mail is sent with smtplib. What is checked is what a mail administrator cares about: clean
mail arrives with the headers, malicious mail is held (or refused), a dead milter means 451
and no delivery, a restarted one lets mail through again, and a milter killed under load
loses nothing: every message is delivered with headers, held, or refused with a code the
sender sees.
"""

from __future__ import annotations

import base64
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from nul_shapes import NUL_SHAPES

from testkit.payloads import build_pe_stub
from testkit.postfix import (
    PrivatePostfix,
    SendResult,
    make_traversable,
    postfix_available,
    start_milter,
)

pytest.importorskip("Milter", reason="pymilter is not installed (pip install '.[milter]')")
_UNAVAILABLE = postfix_available()
if _UNAVAILABLE is not None:
    pytest.skip(f"Postfix cannot run here: {_UNAVAILABLE}", allow_module_level=True)

Gateway = tuple[PrivatePostfix, "MilterProcess"]


class MilterProcess:
    """`mailcheck milter` on a UNIX socket that Postfix (the postfix user) may use."""

    def __init__(self, folder: Path, config: str = "") -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.socket = folder / "milter.sock"
        self.settings = folder / "mailcheck.toml"
        self.settings.write_text(config, encoding="utf-8")
        self.log = folder / "milter.log"
        self.process: subprocess.Popen[bytes] | None = None
        make_traversable(folder)

    def start(self) -> None:
        self.process = start_milter(
            self.socket,
            self.log,
            *("--socket-mode", "666", "--workers", "2", "--config", str(self.settings)),
        )

    def signal(self, signum: int) -> None:
        assert self.process is not None
        self.process.send_signal(signum)
        if signum in (signal.SIGKILL, signal.SIGTERM):
            self.process.wait(60)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.signal(signal.SIGTERM)


@pytest.fixture(scope="module")
def gateway(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[PrivatePostfix, MilterProcess]]:
    folder = tmp_path_factory.mktemp("gateway")
    milter = MilterProcess(folder / "milter")
    milter.start()
    with PrivatePostfix(folder / "postfix", milter=f"unix:{milter.socket}") as postfix:
        postfix.start()
        try:
            yield postfix, milter
        finally:
            milter.stop()


def plain(subject: str) -> bytes:
    return (
        f"From: Partner <partner@example.test>\r\nTo: user@example.test\r\nSubject: {subject}\r\n"
        f"Message-ID: <{subject.replace(' ', '.')}@example.test>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nThe minutes are below.\r\n"
    ).encode()


def malicious(subject: str) -> bytes:
    encoded = base64.encodebytes(build_pe_stub()).decode().replace("\n", "\r\n")
    return (
        f"From: Accounts <accounts@example.test>\r\nTo: user@example.test\r\nSubject: {subject}"
        '\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--B\r\n"
        "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
        f'Content-Disposition: attachment; filename="invoice.exe"\r\n\r\n{encoded}--B--\r\n'
    ).encode()


def has_subject(message: bytes, subject: str) -> bool:
    """Maildir files have LF line endings; SMTP had CRLF."""
    line = f"Subject: {subject}".encode()
    return line + b"\n" in message or line + b"\r\n" in message


def delivered_with(postfix: PrivatePostfix, subject: str, timeout: float = 30) -> bytes:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in postfix.delivered("user@example.test"):
            if has_subject(message, subject):
                return message
        postfix.flush()
        time.sleep(0.2)
    raise AssertionError(f"{subject!r} was not delivered")


def test_clean_mail_arrives_with_the_headers(gateway: Gateway) -> None:
    postfix, _milter = gateway
    sent = postfix.send(plain("weekly minutes"))
    assert sent.accepted, sent
    message = delivered_with(postfix, "weekly minutes")
    assert b"X-Mailcheck-Verdict: clean" in message
    assert b"X-Mailcheck-Version:" in message


def test_forged_verdict_headers_do_not_survive(
    gateway: Gateway,
) -> None:
    postfix, _milter = gateway
    forged = b"X-Mailcheck-Verdict: clean\r\nX-Mailcheck-Score: 0\r\n" + malicious("forged")
    sent = postfix.send(forged)
    assert sent.accepted
    deadline = time.monotonic() + 30
    while not postfix.held() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert postfix.held(), "the malicious message was not held"
    postfix.release()
    message = delivered_with(postfix, "forged")
    assert message.count(b"X-Mailcheck-Verdict:") == 1
    assert b"X-Mailcheck-Verdict: malicious" in message


def test_malicious_mail_lands_in_the_hold_queue(
    gateway: Gateway,
) -> None:
    postfix, _milter = gateway
    before = set(postfix.held())
    sent = postfix.send(malicious("invoice 0301"))
    assert sent.accepted and sent.queue_id
    deadline = time.monotonic() + 30
    while sent.queue_id not in postfix.held() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert sent.queue_id in set(postfix.held()) - before
    assert not any(b"invoice 0301" in m for m in postfix.delivered("user@example.test"))


def test_reject_policy_refuses_with_550_after_a_reload(
    gateway: Gateway,
) -> None:
    postfix, milter = gateway
    milter.settings.write_text('[gateway]\nmalicious = "reject"\n', encoding="utf-8")
    milter.signal(signal.SIGHUP)
    time.sleep(1)
    try:
        refused = postfix.send(malicious("refused invoice"))
        assert not refused.accepted
        assert refused.code == 550 and "5.7.1" in refused.response
        assert "attachment.executable" in refused.response
    finally:
        milter.settings.write_text("", encoding="utf-8")
        milter.signal(signal.SIGHUP)
        time.sleep(1)


def test_a_killed_milter_means_451_and_no_delivery_until_it_is_back(
    gateway: Gateway,
) -> None:
    postfix, milter = gateway
    milter.signal(signal.SIGKILL)
    try:
        refused = postfix.send(plain("while the milter is down"))
        assert not refused.accepted
        assert 400 <= refused.code < 500, refused
        time.sleep(1)
        assert not any(
            b"while the milter is down" in m for m in postfix.delivered("user@example.test")
        )
    finally:
        milter.start()
    time.sleep(1)
    sent = postfix.send(plain("after the restart"))
    assert sent.accepted, sent
    assert b"X-Mailcheck-Verdict: clean" in delivered_with(postfix, "after the restart")


def test_a_kill_under_load_loses_no_message(gateway: Gateway) -> None:
    postfix, milter = gateway
    count = 60
    results: dict[int, SendResult] = {}

    def send_all() -> None:
        for number in range(count):
            results[number] = postfix.send(plain(f"load {number}"))

    sender = threading.Thread(target=send_all)
    sender.start()
    time.sleep(1.0)
    milter.signal(signal.SIGKILL)  # mid-stream: some messages are in a scan right now
    time.sleep(1.0)
    milter.start()
    sender.join(300)
    assert len(results) == count
    deadline = time.monotonic() + 60
    accepted = {n for n, r in results.items() if r.accepted}
    refused = {n: r for n, r in results.items() if not r.accepted}
    assert all(400 <= r.code < 600 for r in refused.values()), refused  # the sender knows
    while time.monotonic() < deadline:
        delivered = postfix.delivered("user@example.test")
        arrived = {n for n in accepted if any(has_subject(m, f"load {n}") for m in delivered)}
        if arrived == accepted:
            break
        postfix.flush()
        time.sleep(0.5)
    assert arrived == accepted, sorted(accepted - arrived)
    for message in delivered:
        if b"Subject: load " in message:
            assert b"X-Mailcheck-Verdict: " in message  # nothing delivered unscanned


def test_messages_with_nul_bytes_are_scanned_and_held(gateway: Gateway) -> None:
    # What Postfix hands the milter of a header with a NUL is its business; whatever it is,
    # the payload must still be found: every shape is held, none delivered unscanned.
    postfix, _milter = gateway
    queued: dict[str, str] = {}
    for shape, (data, _named) in NUL_SHAPES.items():
        subject = f"nul shape {len(queued)}"
        sent = postfix.send(data.replace(b"Invoice 0301", subject.encode()))
        assert sent.accepted and sent.queue_id, (shape, sent)
        queued[sent.queue_id] = shape
    deadline = time.monotonic() + 60
    while not set(queued) <= set(postfix.held()) and time.monotonic() < deadline:
        time.sleep(0.2)
    missing = {queued[q] for q in set(queued) - set(postfix.held())}
    assert not missing, f"not held: {sorted(missing)}"
