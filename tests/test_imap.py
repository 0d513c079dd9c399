"""`mailcheck audit imaps://...`: the audit of mail where it is, against a real Dovecot
started by the tests (testkit/dovecot.py), with real ham from the shared corpus and the
tests' attack mails."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, corpus_dir
from folder_cases import many_names_folder, ppap_folder
from test_report_folders import groups_of

from mailcheck.audit import AuditError, Options, Stop, run_audit
from mailcheck.audit.remote import RemoteError, parse_target, with_all_folders
from mailcheck.config import DEFAULT_CONFIG
from mailcheck.limits import DEFAULT
from mailcheck.records import replace
from testkit.dovecot import DroppingProxy, PrivateDovecot, dovecot_available
from testkit.samples import build_all

USER, PASSWORD = "taro", "correct horse"
_URL_TAIL = re.compile(r";UIDVALIDITY=\d+/;UID=\d+$")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[PrivateDovecot]:
    reason = dovecot_available()
    if reason is not None:
        pytest.skip(reason)
    with PrivateDovecot(tmp_path / "dovecot", {USER: PASSWORD}) as running:
        yield running


@pytest.fixture(autouse=True)
def password(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MAILCHECK_IMAP_PASSWORD", PASSWORD)
    monkeypatch.delenv("MAILCHECK_IMAP_OAUTH2_TOKEN", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no ~/.netrc of the machine's


def messages(ham: int = 12) -> list[bytes]:
    """Real ham of the shared corpus and the built attack mails (samples, PPAP, one address
    under many names), each with a Message-ID of its own to match results by."""
    folder = corpus_dir("ham", "spamassassin-easy-ham-1")
    # The corpus files start with an mbox "From " line: the envelope, not the message.
    found = [
        re.sub(rb"\AFrom [^\n]*\n", b"", path.read_bytes())
        for path in sorted(folder.iterdir())[:ham]
    ]
    found += [data for name, data in sorted(build_all().items()) if name.endswith(".eml")]
    found += [data for _, data in ppap_folder()]
    found += [data for _, data in many_names_folder()]
    return [
        b"Message-ID: <imap-test-%d@mailcheck.test>\r\n" % n + data for n, data in enumerate(found)
    ]


def audit(out: Path, *paths: str, **changes: object) -> object:
    # Whole results for every message: the findings of clean ones are compared too.
    options = Options(
        paths=paths, out=out, lang="en", limits=DEFAULT, config=DEFAULT_CONFIG, jobs=2, full=True
    )
    built, _ = run_audit(replace(options, **changes), Stop())
    return built


def results(out: Path) -> list[dict]:  # type: ignore[type-arg]
    lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def by_id(items: list[dict]) -> dict[str, tuple[str, list[str]]]:  # type: ignore[type-arg]
    return {
        i["message"]["message_id"]: (i["verdict"], sorted(f["id"] for f in i["findings"]))
        for i in items
    }


def settings(server: PrivateDovecot) -> object:
    from mailcheck.audit.remote import ImapSettings

    return ImapSettings(cafile=str(server.ca))


def url(server: PrivateDovecot, folder: str = "INBOX", *, port: int = 0) -> str:
    return f"imaps://{USER}@127.0.0.1:{port or server.imaps_port}/{folder}"


def test_same_verdicts_as_the_files_and_nothing_marked_read(
    server: PrivateDovecot, tmp_path: Path
) -> None:
    mails = messages()
    files = tmp_path / "files"
    files.mkdir()
    for n, data in enumerate(mails):
        (files / f"{n:03d}.eml").write_bytes(data)
        server.deliver(USER, data, folder="INBOX" if n % 3 else "Archive")
    server.deliver(USER, mails[0].replace(b"imap-test-0@", b"already-read@"), flags="S")
    before = {box: server.flags(USER, box) for box in ("INBOX", "Archive")}
    audit(tmp_path / "from-files", str(files))
    built = audit(tmp_path / "from-imap", url(server, "*"), imap=settings(server))
    local, remote = results(tmp_path / "from-files"), results(tmp_path / "from-imap")
    remote_by_id = by_id(remote)
    assert remote_by_id.pop("<already-read@mailcheck.test>")[0] == "clean"
    assert remote_by_id == by_id(local)
    labels = {verdict for verdict, _ in remote_by_id.values()}
    assert {"malicious", "suspicious", "clean"} <= labels
    ids = {finding for _, found in remote_by_id.values() for finding in found}
    # The folder analyses run over the server's mail as over files.
    assert {"audit.password_in_other_message", "audit.one_address_many_names"} <= ids
    # Each result names its mailbox and UID, so a person can find it in a mail client.
    paths = [item["source"]["path"] for item in remote]
    assert all(_URL_TAIL.search(path) for path in paths)
    assert {path.split("/")[3].split(";")[0] for path in paths} == {"Archive", "INBOX"}
    # report.html: one group per server folder, its counts and rows those of its results.
    page = (tmp_path / "from-imap" / "report.html").read_text(encoding="utf-8")
    flagged: dict[str, list[tuple[str, str]]] = {}  # folder: (verdict, path) of its results
    for item in remote:
        if item["verdict"] != "clean":
            path = item["source"]["path"]
            flagged.setdefault(path.split("/")[3].split(";")[0], []).append((item["verdict"], path))
    groups = {g.name: g for g in groups_of(page).groups}
    assert set(groups) == set(flagged) == {"Archive", "INBOX"}
    for box, found in flagged.items():
        group = groups[box]
        assert group.server == f"imaps://{USER}@127.0.0.1:{server.imaps_port}"
        verdicts = [verdict for verdict, _ in found]
        assert group.counts == {v: verdicts.count(v) for v in ("malicious", "suspicious")}
        assert sorted(group.keys) == sorted(path for _, path in found)
    # Read-only: no flag changed on the disk (\Seen is the Maildir letter S).
    assert {box: server.flags(USER, box) for box in ("INBOX", "Archive")} == before
    assert sum("S" in flags for flags in before["INBOX"].values()) == 1
    assert built.fresh == len(mails) + 1  # type: ignore[attr-defined]


def test_resume_fetches_only_new_mail_and_a_renumbered_folder_is_scanned_again(
    server: PrivateDovecot, tmp_path: Path
) -> None:
    mails = messages(ham=6)
    for data in mails[:8]:
        server.deliver(USER, data)
    out = tmp_path / "out"
    first = audit(out, url(server), imap=settings(server))
    assert first.fresh == 8  # type: ignore[attr-defined]
    for data in mails[8:11]:
        server.deliver(USER, data)
    said: list[str] = []
    again = audit(out, resume=True, paths=(), imap=settings(server), notify=said.append)
    assert again.fresh == 3  # type: ignore[attr-defined]
    assert len(results(out)) == 11
    assert said == []
    # The server forgets its UIDs (UIDVALIDITY changes): the folder is scanned again, and
    # the audit says so.
    server.stop()
    for path in server.maildir(USER).glob("dovecot*"):
        path.unlink()
    server.start()
    third = audit(out, resume=True, paths=(), imap=settings(server), notify=said.append)
    assert third.fresh == 11  # type: ignore[attr-defined]
    assert len(said) == 1 and "UIDVALIDITY changed" in said[0]
    assert len(results(out)) == 11  # the old numbering is gone from the reports


def test_a_dropped_connection_loses_nothing(server: PrivateDovecot, tmp_path: Path) -> None:
    mails = messages(ham=30)
    for data in mails:
        server.deliver(USER, data)
    # Connection 1 lists the folder; 2 is the first fetcher, cut after 40 kB.
    with DroppingProxy(server.imaps_port, after=40_000, cut=(2,)) as proxy:
        audit(
            tmp_path / "out",
            url(server, port=proxy.port),
            imap=replace(settings(server), connections=1),  # type: ignore[type-var]
        )
        assert proxy.cut == 1
        assert proxy.connections >= 3  # it came back
    got = results(tmp_path / "out")
    assert len(got) == len(mails)
    errors = (tmp_path / "out" / "errors.csv").read_text(encoding="utf-8-sig").splitlines()
    assert errors == ["path,index,reason"]


def test_too_large_is_an_error_row_and_never_fetched(
    server: PrivateDovecot, tmp_path: Path
) -> None:
    small, large = messages(ham=1)[0], b"Subject: big\r\n\r\n" + b"x" * 300_000
    server.deliver(USER, small)
    server.deliver(USER, large)
    out = tmp_path / "out"
    audit(
        out,
        url(server),
        imap=settings(server),
        limits=replace(DEFAULT, max_input_bytes=200_000),
    )
    assert len(results(out)) == 1
    errors = (out / "errors.csv").read_text(encoding="utf-8-sig")
    assert "too large" in errors and ";UID=2" in errors
    # Dovecot logs bytes sent per session: the big body never went out.
    assert "big" not in (out / "results.jsonl").read_text()


def mailcheck(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mailcheck", "audit", *args],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        check=False,
    )


def test_cli_starttls_all_folders(server: PrivateDovecot, tmp_path: Path) -> None:
    for data in messages(ham=3)[:5]:
        server.deliver(USER, data, folder="Archive")
    done = mailcheck(
        "--out",
        str(tmp_path / "out"),
        "--cafile",
        str(server.ca),
        "--all-folders",
        f"imap://{USER}@127.0.0.1:{server.imap_port}",
    )
    assert done.returncode in (0, 1, 4), done.stderr
    assert "5 messages" in done.stdout
    table = (tmp_path / "out" / "results.csv").read_text("utf-8-sig")
    assert "/Archive;UIDVALIDITY=" in table
    assert "<imap-test-0@mailcheck.test>" in table  # the Message-ID column


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("wrong password", "login failed for taro"),
        ("wrong CA", "TLS certificate not trusted"),
        ("missing folder", "cannot open the folder"),
        ("no password", "no password"),
        ("password in the address", "does not belong in the address"),
    ],
)
def test_cli_failures_are_one_clear_line(
    server: PrivateDovecot, tmp_path: Path, case: str, expected: str
) -> None:
    env = {"MAILCHECK_IMAP_PASSWORD": PASSWORD, "HOME": str(tmp_path)}
    target, cafile = url(server), str(server.ca)
    if case == "wrong password":
        env["MAILCHECK_IMAP_PASSWORD"] = "wrong"
    elif case == "wrong CA":
        other = PrivateDovecot(tmp_path / "other")  # another test CA, never started
        from testkit.dovecot import make_tls

        cafile = str(make_tls(other.root / "tls")[0])
    elif case == "missing folder":
        target = url(server, "Nowhere")
    elif case == "no password":
        env["MAILCHECK_IMAP_PASSWORD"] = ""
    else:
        target = target.replace(f"{USER}@", f"{USER}:secret@")
    done = mailcheck("--out", str(tmp_path / "out"), "--cafile", cafile, target, **env)
    assert done.returncode == 3
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert expected in lines[0]
    assert "Traceback" not in done.stderr
    assert PASSWORD not in done.stderr and "secret" not in done.stderr


# --- without a server ---------------------------------------------------------------------


def test_addresses() -> None:
    target = parse_target("imaps://taro%40corp@mail.example/Archive/2022")
    assert (target.server.user, target.server.port, target.folder) == (
        "taro@corp",
        993,
        "Archive/2022",
    )
    assert parse_target("imap://u@h").folder == "INBOX"
    assert parse_target("imap://u@h:1143/").server.port == 1143
    assert parse_target(with_all_folders("imaps://u@h")).pattern
    assert with_all_folders("imaps://u@h/Sent") == "imaps://u@h/Sent"
    with pytest.raises(RemoteError, match="does not belong"):
        parse_target("imaps://u:pw@h/INBOX")
    with pytest.raises(RemoteError, match="name the user"):
        parse_target("imaps://h/INBOX")


def test_netrc_supplies_the_password(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from mailcheck.audit.imap import credentials

    monkeypatch.delenv("MAILCHECK_IMAP_PASSWORD")
    home = tmp_path / "home"
    home.mkdir()
    (home / ".netrc").write_text("machine mail.example login taro password from-netrc\n")
    (home / ".netrc").chmod(0o600)
    server = parse_target("imaps://taro@mail.example/INBOX").server
    assert credentials(server, None).password == "from-netrc"
    assert "from-netrc" not in repr(credentials(server, None))
    other = parse_target("imaps://hanako@mail.example/INBOX").server
    with pytest.raises(RemoteError, match="no password"):
        credentials(other, None)
    assert credentials(other, lambda _: "typed").password == "typed"


def test_a_missing_server_is_an_audit_error(tmp_path: Path) -> None:
    from testkit.postfix import free_port

    with pytest.raises(AuditError, match="cannot connect"):
        audit(tmp_path / "out", f"imaps://u@127.0.0.1:{free_port()}/INBOX")


class LyingServer:
    """An IMAPS server that claims a 100-byte message and then announces a body of a
    gigabyte: the audit must refuse the literal before reading it."""

    def __init__(self, directory: Path) -> None:
        import socket
        import ssl
        import threading

        from testkit.dovecot import make_tls

        self.ca, cert, key = make_tls(directory)
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._context.load_cert_chain(cert, key)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self.fetches = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._listener.close()

    def _accept(self) -> None:
        import threading

        while True:
            try:
                raw, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw: object) -> None:
        import contextlib

        with contextlib.suppress(OSError), self._context.wrap_socket(raw, server_side=True) as tls:  # type: ignore[arg-type]
            reader = tls.makefile("rb")
            tls.sendall(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] lying server\r\n")
            for line in reader:
                tag, _, command = line.decode().strip().partition(" ")
                word = command.upper()
                if word.startswith("EXAMINE"):
                    tls.sendall(b"* 1 EXISTS\r\n* OK [UIDVALIDITY 5] ok\r\n")
                elif word.startswith("UID SEARCH"):
                    tls.sendall(b"* SEARCH 1\r\n")
                elif word.startswith("UID FETCH") and "RFC822.SIZE" in word:
                    tls.sendall(b"* 1 FETCH (UID 1 RFC822.SIZE 100)\r\n")
                elif word.startswith("UID FETCH"):
                    self.fetches += 1
                    tls.sendall(b"* 1 FETCH (UID 1 BODY[] {1000000000}\r\n" + b"x" * 4096)
                    continue
                elif word.startswith("CAPABILITY"):
                    tls.sendall(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n")
                elif word.startswith("LOGOUT"):
                    tls.sendall(b"* BYE\r\n" + f"{tag} OK bye\r\n".encode())
                    return
                tls.sendall(f"{tag} OK done\r\n".encode())


def test_a_server_announcing_more_than_the_limit_is_cut_off(tmp_path: Path) -> None:
    from mailcheck.audit.remote import ImapSettings

    liar = LyingServer(tmp_path / "tls")
    try:
        out = tmp_path / "out"
        started = time.monotonic()
        audit(
            out,
            f"imaps://u@127.0.0.1:{liar.port}/INBOX",
            imap=ImapSettings(cafile=str(liar.ca), timeout=10),
        )
    finally:
        liar.close()
    assert time.monotonic() - started < 60
    assert liar.fetches == 1  # refused at once, not tried again
    errors = (out / "errors.csv").read_text(encoding="utf-8-sig")
    assert "1000000000 bytes, over the input limit" in errors
    assert results(out) == []
