"""The private Postfix harness on its own, without a milter.

Skips, saying why, where Postfix is not installed or the tests do not run as root; CI
installs it with the apt-get command in testkit.postfix's docstring.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit import postfix as postfix_harness
from testkit.postfix import PrivatePostfix, postfix_available, throughput

REASON = postfix_available()
pytestmark = pytest.mark.skipif(REASON is not None, reason=f"private Postfix: {REASON}")


def message(subject: str, body: str = "Hello from the harness test.\n") -> bytes:
    # Bare LF on purpose: the harness must turn it into CRLF for SMTP.
    return (
        f"From: a@example.test\nTo: user@example.test\nSubject: {subject}\n"
        f"Message-ID: <{subject.replace(' ', '-')}@example.test>\n\n{body}"
    ).encode()


def queue_name(postfix: PrivatePostfix, queue_id: str) -> str | None:
    return next((e["queue_name"] for e in postfix.queue() if e["queue_id"] == queue_id), None)


@pytest.fixture(scope="module")
def postfix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivatePostfix]:
    with PrivatePostfix(tmp_path_factory.mktemp("postfix")) as instance:
        yield instance


def test_delivers_to_a_mailbox(postfix: PrivatePostfix) -> None:
    before = len(postfix.delivered("user@example.test"))
    result = postfix.send(message("first delivery"))
    assert result.accepted, result
    assert result.code == 250
    assert result.queue_id and result.queue_id in result.response

    delivered = postfix.wait_delivered(before + 1, timeout=15, recipient="user@example.test")
    mail = delivered[-1]
    assert b"Subject: first delivery" in mail
    assert b"Hello from the harness test.\n" in mail
    assert b"Delivered-To: user@example.test" in mail  # added by the virtual agent
    assert f"{result.queue_id}: to=<user@example.test>" in postfix.log()
    assert "status=sent" in postfix.log()


def test_unknown_local_user_is_refused_with_5xx(postfix: PrivatePostfix) -> None:
    result = postfix.send(message("nobody home"), recipients=("ghost@example.test",))
    assert not result.accepted
    assert result.code == 550
    assert "5.1.1" in result.response and "User unknown" in result.response
    assert result.queue_id is None
    assert "ghost@example.test" in result.refused


def test_partly_refused_recipients_are_reported(postfix: PrivatePostfix) -> None:
    result = postfix.send(
        message("half known"), recipients=("other@example.test", "ghost@example.test")
    )
    assert result.accepted and result.queue_id
    assert set(result.refused) == {"ghost@example.test"}
    assert result.refused["ghost@example.test"][0] == 550
    postfix.wait_delivered(1, timeout=15, recipient="other@example.test")


def test_relaying_elsewhere_is_refused(postfix: PrivatePostfix) -> None:
    # Only example.test is served: nothing may leave the machine.
    result = postfix.send(message("open relay?"), recipients=("someone@example.com",))
    assert not result.accepted
    assert result.code == 554 and "Relay access denied" in result.response


def test_throughput_reports_rate_and_latency(postfix: PrivatePostfix) -> None:
    before = len(postfix.delivered("user@example.test"))
    batch = [message(f"bulk {n}") for n in range(20)]
    stats = throughput(postfix, batch, concurrency=4)
    assert stats["messages"] == 20 and stats["accepted"] == 20, stats
    assert stats["codes"] == {250: 20}
    assert stats["messages_per_second"] > 0
    assert 0 < stats["p50_s"] <= stats["p99_s"] <= stats["max_s"]
    postfix.wait_delivered(before + 20, timeout=30, recipient="user@example.test")


def test_held_mail_shows_in_queue(tmp_path: Path) -> None:
    # defer_transports keeps the mail queued, so it can be moved to the hold queue the way
    # a quarantining milter would leave it.
    with PrivatePostfix(tmp_path, extra_main_cf={"defer_transports": "virtual"}) as postfix:
        result = postfix.send(message("keep me"))
        assert result.accepted and result.queue_id

        # Wait for the deferred queue: mail still in the active queue may not stay put.
        deadline = time.monotonic() + 15
        while queue_name(postfix, result.queue_id) != "deferred":
            assert time.monotonic() < deadline, postfix.log()
            time.sleep(0.05)
        postfix.hold("ALL")
        assert postfix.held() == [result.queue_id]
        entry = next(e for e in postfix.queue() if e["queue_id"] == result.queue_id)
        assert entry["queue_name"] == "hold"
        assert entry["recipients"][0]["delay_reason"] == "deferred transport"
        assert entry["sender"] == "a@example.test"
        assert [r["address"] for r in entry["recipients"]] == ["user@example.test"]

        assert postfix.delivered() == []
        postfix.release("ALL")
        postfix.flush()  # a flush delivers even through defer_transports
        assert b"Subject: keep me" in postfix.wait_delivered(1, timeout=15)[0]
        assert postfix.held() == []


def test_instances_run_one_after_another_and_stop_cleanly(tmp_path: Path) -> None:
    ports: list[int] = []
    for n in range(2):
        instance = PrivatePostfix(tmp_path / f"instance{n}")
        with instance:
            assert instance.running
            ports.append(instance.port)
            assert instance.send(message(f"instance {n}")).accepted
            assert len(instance.wait_delivered(1, timeout=15)) == 1
        assert not instance.running
        assert instance._pids() == []  # master and every child are gone
        with pytest.raises(OSError), socket.create_connection(("127.0.0.1", ports[-1]), 2):
            pass
        assert "stopping the Postfix mail system" in instance.log()
        instance.stop()  # a second stop is harmless


def test_refusals_after_stop_are_results_not_exceptions(tmp_path: Path) -> None:
    instance = PrivatePostfix(tmp_path)
    with instance:
        pass
    result = instance.send(message("too late"))
    assert not result.accepted
    assert result.code == 0
    assert "ConnectionRefusedError" in result.response


def test_a_port_taken_meanwhile_is_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Someone grabs the probed port before Postfix binds it: start() picks another one.
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        ports = iter([taken])
        real = postfix_harness.free_port
        monkeypatch.setattr(postfix_harness, "free_port", lambda: next(ports, None) or real())
        with PrivatePostfix(tmp_path) as instance:
            assert instance.port != taken
            assert instance.send(message("second port")).accepted
