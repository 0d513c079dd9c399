"""`mailcheck milter` driven over its UNIX socket with the milter protocol, as an MTA would.

The daemon runs in a process of its own (`python -m mailcheck milter`); the MTA side is
the pure-Python miltertest client. Each policy action is checked by what the milter tells
the MTA: headers added, incoming X-Mailcheck-* removed, the subject tagged, quarantine,
550 / 451 replies.
"""

from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from nul_shapes import NUL_SHAPES, as_an_mta_hands_it

from testkit.payloads import build_pe_stub as tiny_exe
from testkit.postfix import start_milter

pytest.importorskip("Milter", reason="pymilter is not installed (pip install '.[milter]')")
constants = pytest.importorskip("miltertest.constants")
client = pytest.importorskip("miltertest.client")


@dataclass
class Reply:
    """What the milter told the MTA at the end of a message."""

    actions: list[tuple[str, dict[str, object]]]

    @property
    def final(self) -> str:
        return self.actions[-1][0]

    def added(self) -> dict[str, str]:
        return {
            str(a["name"]): str(a["value"])
            for code, a in self.actions
            if code == constants.SMFIR_ADDHEADER
        }

    def changed(self) -> list[tuple[str, int, str]]:
        return [
            (str(a["name"]), int(str(a["index"])), str(a["value"]))
            for code, a in self.actions
            if code == constants.SMFIR_CHGHEADER
        ]

    def of(self, code: str) -> list[dict[str, object]]:
        return [a for c, a in self.actions if c == code]


class Milter:
    def __init__(self, folder: Path, *, config: str = "", timeout: float = 60) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "milter.sock"
        settings = folder / "mailcheck.toml"
        settings.write_text(config, encoding="utf-8")
        self.log = folder / "milter.log"
        self.process = start_milter(
            self.path,
            self.log,
            *("--workers", "1", "--timeout", str(timeout), "--config", str(settings)),
        )

    def send(self, headers: list[tuple[str, str]], body: bytes) -> Reply:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(120)
            sock.connect(str(self.path))
            mta = client.MilterConnection(sock)
            _actions, protocol = mta.optneg_mta()

            skipped = {
                constants.SMFIC_CONNECT: constants.SMFIP_NOCONNECT,
                constants.SMFIC_HELO: constants.SMFIP_NOHELO,
                constants.SMFIC_MAIL: constants.SMFIP_NOMAIL,
                constants.SMFIC_RCPT: constants.SMFIP_NORCPT,
                constants.SMFIC_HEADER: constants.SMFIP_NOHDRS,
                constants.SMFIC_EOH: constants.SMFIP_NOEOH,
                constants.SMFIC_BODY: constants.SMFIP_NOBODY,
            }

            def step(command: str, no_reply: int, **args: object) -> None:
                if protocol & skipped.get(command, 0):  # the milter asked not to get it
                    return
                if protocol & no_reply:
                    mta._send(command, **args)
                else:
                    assert mta.send_ar(command, **args)[0] == constants.SMFIR_CONTINUE

            step(
                constants.SMFIC_CONNECT,
                constants.SMFIP_NR_CONN,
                hostname="client.example",
                family="4",
                port=25,
                address="192.0.2.1",
            )
            step(constants.SMFIC_HELO, constants.SMFIP_NR_HELO, helo="client.example")
            step(constants.SMFIC_MAIL, constants.SMFIP_NR_MAIL, args=["<a@example.com>"])
            step(constants.SMFIC_RCPT, constants.SMFIP_NR_RCPT, args=["<user@corp.example>"])
            for name, value in headers:
                step(constants.SMFIC_HEADER, constants.SMFIP_NR_HDR, name=name, value=value)
            step(constants.SMFIC_EOH, constants.SMFIP_NR_EOH)
            for start in range(0, len(body), constants.MILTER_CHUNK_SIZE):
                chunk = body[start : start + constants.MILTER_CHUNK_SIZE]
                # miltertest encodes str as UTF-8: the test bodies are ASCII (base64).
                step(constants.SMFIC_BODY, constants.SMFIP_NR_BODY, buf=chunk.decode("ascii"))
            replies = mta.send_eom()
            if replies[-1][0] == constants.SMFIR_QUARANTINE:  # an action, then the answer
                replies.append(mta.recv())
            return Reply([(code, dict(args)) for code, args in replies])

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(60)


@pytest.fixture(scope="module")
def default_milter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Milter]:
    daemon = Milter(
        tmp_path_factory.mktemp("milter"),
        config='[gateway]\nsubject_prefix = "[要注意]"\n',
    )
    yield daemon
    assert daemon.stop() == 0


HEADERS = [
    ("From", "Accounts <accounts@example.com>"),
    ("To", "user@corp.example"),
    ("Subject", "invoice"),
    ("Message-ID", "<1@example.com>"),
    ("MIME-Version", "1.0"),
]


def exe_message() -> tuple[list[tuple[str, str]], bytes]:
    encoded = base64.encodebytes(tiny_exe()).decode().replace("\n", "\r\n")
    body = (
        "--B\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
        "--B\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
        f'Content-Disposition: attachment; filename="invoice.exe"\r\n\r\n{encoded}--B--\r\n'
    ).encode()
    return [*HEADERS, ("Content-Type", 'multipart/mixed; boundary="B"')], body


def test_clean_mail_is_accepted_with_headers(default_milter: Milter) -> None:
    reply = default_milter.send([*HEADERS, ("Content-Type", "text/plain")], b"Hello.\r\n")
    assert reply.final == constants.SMFIR_ACCEPT
    added = reply.added()
    assert added["X-Mailcheck-Verdict"] == "clean"
    assert added["X-Mailcheck-Score"] == "0"
    assert added["X-Mailcheck-Reasons"] == "none"
    assert "X-Mailcheck-Version" in added
    assert not reply.of(constants.SMFIR_QUARANTINE)


def test_a_sender_cannot_pre_label_their_own_mail(default_milter: Milter) -> None:
    forged = [
        ("X-Mailcheck-Verdict", "clean"),
        *HEADERS,
        ("x-mailcheck-score", "0"),
        ("X-MAILCHECK-VERDICT", "clean"),
        ("Content-Type", "text/plain"),
    ]
    reply = default_milter.send(forged, b"Hello.\r\n")
    removed = {(name.lower(), index) for name, index, value in reply.changed() if value == ""}
    assert removed == {("x-mailcheck-verdict", 1), ("x-mailcheck-score", 1),
                       ("x-mailcheck-verdict", 2)}  # fmt: skip
    assert reply.added()["X-Mailcheck-Verdict"] == "clean"


def test_suspicious_mail_is_tagged(default_milter: Milter) -> None:
    headers = [(n, v) for n, v in HEADERS if n != "From"]
    headers.append(("From", '"boss@corp.example" <x@hacked.example>'))
    reply = default_milter.send([*headers, ("Content-Type", "text/plain")], b"Pay now.\r\n")
    assert reply.final == constants.SMFIR_ACCEPT
    assert reply.added()["X-Mailcheck-Verdict"] == "suspicious"
    assert "sender.display_name_has_address" in reply.added()["X-Mailcheck-Reasons"]
    ((_name, index, subject),) = [c for c in reply.changed() if c[0] == "Subject"]
    assert index == 1
    assert subject == "=?UTF-8?B?" + base64.b64encode("[要注意]".encode()).decode() + "?= invoice"


def test_malicious_mail_is_quarantined(default_milter: Milter) -> None:
    reply = default_milter.send(*exe_message())
    assert reply.final == constants.SMFIR_ACCEPT
    assert reply.added()["X-Mailcheck-Verdict"] == "malicious"
    (quarantine,) = reply.of(constants.SMFIR_QUARANTINE)
    assert "attachment.executable" in str(quarantine["reason"])


def test_the_daemon_logs_one_line_per_message(default_milter: Milter) -> None:
    default_milter.send([*HEADERS, ("Content-Type", "text/plain")], b"Hello.\r\n")
    time.sleep(0.2)
    lines = [ln for ln in default_milter.log.read_text().splitlines() if "verdict=" in ln]
    assert any("message_id=<1@example.com>" in ln and "action=accept" in ln for ln in lines)
    assert all(" ms=" in ln for ln in lines)


def test_reject_and_failed_policies(tmp_path: Path) -> None:
    config = '[gateway]\nmalicious = "reject"\nfailed = "tempfail"\n'
    daemon = Milter(tmp_path / "reject", config=config)
    try:
        reply = daemon.send(*exe_message())
        assert reply.final == constants.SMFIR_REPLYCODE
        (refusal,) = reply.of(constants.SMFIR_REPLYCODE)
        assert refusal["smtpcode"] == "550"
        assert "5.7.1" in str(refusal["text"]) and "attachment.executable" in str(refusal["text"])
    finally:
        assert daemon.stop() == 0
    # A scan that runs past the timeout is a failure: the sender is asked to retry. Decoding
    # 40 MB of base64 alone takes longer than the 20 ms allowed, on any machine.
    daemon = Milter(tmp_path / "timeout", config=config, timeout=0.02)
    try:
        huge = os.urandom(30 * 1024 * 1024)
        body = b"--B\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: "
        body += b"base64\r\n\r\n" + base64.encodebytes(huge) + b"--B--\r\n"
        headers = [*HEADERS, ("Content-Type", 'multipart/mixed; boundary="B"')]
        reply = daemon.send(headers, body)
        (temporary,) = reply.of(constants.SMFIR_REPLYCODE)
        assert temporary["smtpcode"] == "451" and "4.7.1" in str(temporary["text"])
    finally:
        assert daemon.stop() == 0


def test_sighup_reloads_the_policy(tmp_path: Path) -> None:
    daemon = Milter(tmp_path)
    try:
        assert daemon.send(*exe_message()).of(constants.SMFIR_QUARANTINE)
        (tmp_path / "mailcheck.toml").write_text('[gateway]\nmalicious = "reject"\n')
        daemon.process.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        reply = daemon.send(*exe_message())
        assert reply.of(constants.SMFIR_REPLYCODE)[0]["smtpcode"] == "550"
    finally:
        assert daemon.stop() == 0
    assert "event=reload status=ok" in daemon.log.read_text()


def test_a_clean_stop_removes_the_socket(tmp_path: Path) -> None:
    daemon = Milter(tmp_path)
    assert daemon.path.is_socket()
    assert daemon.stop() == 0
    assert not daemon.path.exists(), daemon.log.read_text()


def test_a_socket_in_a_folder_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "missing" / "dir"
    done = subprocess.run(
        [sys.executable, "-m", "mailcheck", "milter", "--socket", f"unix:{missing}/m.sock"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 3
    assert done.stderr.splitlines() == [
        f"error: mailcheck milter: --socket unix:{missing}/m.sock: the folder {missing} does "
        "not exist; create it (owned by the user the milter runs as, e.g. install -d -o "
        f"mailcheck -g postfix {missing}) or choose a socket path in an existing folder"
    ]
    assert not (tmp_path / "missing").exists()  # nothing created where the MTA won't look


def test_without_pymilter_the_command_says_how_to_install_it(tmp_path: Path) -> None:
    blocker = tmp_path / "Milter.py"
    blocker.write_text("raise ImportError('no pymilter here')\n")
    done = subprocess.run(
        [sys.executable, "-m", "mailcheck", "milter", "--socket", f"unix:{tmp_path}/s"],
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        timeout=60,
        check=False,
    )
    assert done.returncode == 3
    assert b"pip install '.[milter]' in the mailcheck clone" in done.stderr
    assert len(done.stderr.splitlines()) == 1


@pytest.mark.parametrize("shape", sorted(NUL_SHAPES))
def test_messages_with_nul_bytes_are_quarantined(default_milter: Milter, shape: str) -> None:
    # A header block that the MTA ended at a NUL (the rest handed over as body) is read as
    # the block it was sent as: the payload is found, not passed on as "clean" text.
    reply = default_milter.send(*as_an_mta_hands_it(NUL_SHAPES[shape][0]))
    assert reply.added()["X-Mailcheck-Verdict"] == "malicious"
    (quarantine,) = reply.of(constants.SMFIR_QUARANTINE)
    assert "attachment.executable" in str(quarantine["reason"])
