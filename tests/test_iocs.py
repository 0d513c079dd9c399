"""Indicators to block (iocs.csv, iocs.json, iocs.stix.json, the plain lists) from an audit
of built attack mails and ham, and from `mailcheck scan --iocs`."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
import stix2
from cases import dropper_docm
from cases_containers import tiny_exe
from cases_links import WP_ZIP
from conftest import ROOT
from ioc_cases import HOSTILE_NAME, attack_folder, exe_zip, hostile_zip, sha256
from stix2patterns.validator import run_validator

from mailcheck.audit import Options, Stop, run_audit
from mailcheck.config import DEFAULT_CONFIG, Config
from mailcheck.limits import DEFAULT

HOSTILE_EXACT = "https://cdn.evil-files.example/d/it's=cmd|'%20/C%20calc'!A0.zip"


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("iocs")
    folder = root / "in"
    folder.mkdir()
    for name, data in attack_folder():
        (folder / name).write_bytes(data)
    out = root / "out"
    options = Options(
        paths=(str(folder),), out=out, lang="en", limits=DEFAULT, config=DEFAULT_CONFIG, jobs=1
    )
    run_audit(options, Stop())
    return out


def table(out: Path) -> dict[tuple[str, str], dict[str, str]]:
    with (out / "iocs.csv").open(encoding="utf-8-sig", newline="") as handle:
        return {(row["kind"], row["value"]): row for row in csv.DictReader(handle)}


def test_the_exact_indicators_of_the_attacks(audited: Path) -> None:
    rows = table(audited)
    docm = sha256(dropper_docm())
    assert set(rows) == {
        ("url", WP_ZIP),
        ("url", HOSTILE_EXACT),
        ("host", "blog.victim-bakery.example"),
        ("domain", "victim-bakery.example"),
        ("host", "cdn.evil-files.example"),
        ("domain", "evil-files.example"),
        ("email", "ohno.k@hacked-shop.example"),
        ("email", "kato@other-hacked.example"),
        ("email", "billing@ppap-sender.example"),
        ("email", "mallory@quote-trick.example"),
        ("email", "trent@formula-trick.example"),
        ("email-domain", "hacked-shop.example"),
        ("email-domain", "other-hacked.example"),
        ("email-domain", "ppap-sender.example"),
        ("email-domain", "quote-trick.example"),
        ("email-domain", "formula-trick.example"),
        ("sha256", docm),
        ("sha256", sha256(exe_zip())),
        ("sha256", sha256(tiny_exe())),
        ("file-name", "請求書_0301.docm"),
        ("file-name", "invoice.zip"),
        ("file-name", "invoice.exe"),
        ("file-name", "scan.zip"),
        ("file-name", "'" + HOSTILE_NAME),  # shown as text by a spreadsheet
        ("sha256", sha256(hostile_zip())),
    }
    # The payload link: two messages from two hijacked mailboxes, two days apart.
    link = rows[("url", WP_ZIP)]
    assert link["findings"] == "link.payload_suspicious_host"
    assert (link["first_seen"], link["last_seen"], link["messages"]) == (
        "2022-03-01T00:00:00Z",
        "2022-03-03T09:30:00Z",
        "2",
    )
    # One hijacked mailbox behind the link and the macro reply.
    sender = rows[("email", "ohno.k@hacked-shop.example")]
    assert sender["messages"] == "2"
    assert sender["findings"].split() == [
        "link.payload_suspicious_host",
        "thread.sender_not_in_thread",
    ]
    macro = rows[("sha256", docm)]
    assert macro["findings"].split() == ["attachment.macro", "attachment.macro.autoexec_exec"]
    assert macro["first_seen"] == "2022-03-01T00:13:58Z"
    # The same program in two locked archives.
    program = rows[("sha256", sha256(tiny_exe()))]
    assert (program["findings"], program["messages"]) == ("attachment.executable", "2")


def test_ham_and_context_contribute_nothing(audited: Path) -> None:
    text = "\n".join(
        (audited / name).read_text(encoding="utf-8-sig")
        for name in ("iocs.csv", "iocs.json", "iocs.stix.json", "domains.txt", "senders.txt")
    )
    for absent in (
        "partner.example.jp",  # a ham sender, the thread's real participant, a link's text
        "corp.example",  # the recipients' own organisation
        "news.example.org",  # a newsletter
        "jpcert",  # the FAQ links mailcheck adds
        "fujifilm",
        "yamada@",
        "sato@",
    ):
        assert absent not in text


def test_plain_lists(audited: Path) -> None:
    def lines(name: str) -> list[str]:
        return (audited / name).read_text(encoding="utf-8").splitlines()

    assert lines("urls.txt") == [WP_ZIP, HOSTILE_EXACT]
    assert lines("domains.txt") == [
        "blog.victim-bakery.example",
        "cdn.evil-files.example",
        "evil-files.example",
        "victim-bakery.example",
    ]
    assert sha256(tiny_exe()) in lines("sha256.txt")
    assert lines("senders.txt")[:1] == ["billing@ppap-sender.example"]
    assert "hacked-shop.example" in lines("senders.txt")


def test_json_holds_real_values(audited: Path) -> None:
    document = json.loads((audited / "iocs.json").read_text(encoding="utf-8"))
    by_value = {i["value"]: i for i in document["indicators"]}
    assert by_value[HOSTILE_NAME]["kind"] == "file-name"  # raw: JSON is not a spreadsheet
    assert by_value[HOSTILE_EXACT]["kind"] == "url"
    assert all("\n" not in i["value"] and "[.]" not in i["value"] for i in document["indicators"])


def test_stix_bundle_parses_and_patterns_are_valid(audited: Path) -> None:
    text = (audited / "iocs.stix.json").read_text(encoding="utf-8")
    bundle = stix2.parse(text, allow_custom=False)
    identities = [o for o in bundle.objects if o.type == "identity"]
    indicators = [o for o in bundle.objects if o.type == "indicator"]
    assert [i.name for i in identities] == ["mailcheck"]
    assert all(i.created_by_ref == identities[0].id for i in indicators)
    patterns = {i.pattern for i in indicators}
    for pattern in patterns:
        assert run_validator(pattern) == [], pattern
    assert f"[url:value = '{WP_ZIP}']" in patterns
    quoted = "https://cdn.evil-files.example/d/it\\'s=cmd|\\'%20/C%20calc\\'!A0.zip"
    assert f"[url:value = '{quoted}']" in patterns
    assert "[domain-name:value = 'victim-bakery.example']" in patterns
    assert "[email-addr:value = 'ohno.k@hacked-shop.example']" in patterns
    assert f"[file:hashes.'SHA-256' = '{sha256(tiny_exe())}']" in patterns
    assert not any("file:name" in p for p in patterns)


def test_report_and_terminal_show_them_defanged(audited: Path) -> None:
    page = (audited / "report.html").read_text(encoding="utf-8")
    assert "hxxps://blog[.]victim-bakery[.]example/wp-content" in page
    assert "victim-bakery[.]example" in page
    assert "https://blog.victim-bakery.example" not in page
    assert "=cmd|&#39; calc&#39;!A0.exe" in page  # escaped text, not markup


def test_own_domains_from_the_configuration_are_left_out(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name, data in attack_folder()[:2]:
        (folder / name).write_bytes(data)
    config = Config(internal_domains=("victim-bakery.example", "hacked-shop.example"))
    options = Options(
        paths=(str(folder),), out=tmp_path / "out", lang="en", limits=DEFAULT, config=config, jobs=1
    )
    run_audit(options, Stop())
    kinds = {kind for kind, _ in table(tmp_path / "out")}
    assert kinds == {"sha256", "file-name"}


def mailcheck(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mailcheck", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
        timeout=120,
    )


def test_scan_iocs_writes_the_same_as_the_audit(audited: Path, tmp_path: Path) -> None:
    folder = audited.parent / "in"
    target = tmp_path / "found.csv"
    done = mailcheck("scan", "--iocs", str(target), str(folder))
    assert done.returncode == 4, done.stderr
    assert target.read_bytes() == (audited / "iocs.csv").read_bytes()
    assert "https://blog.victim-bakery.example" not in done.stdout  # the terminal: defanged
    stix = tmp_path / "found.stix.json"
    assert mailcheck("scan", "--iocs", str(stix), str(folder)).returncode == 4
    assert len(stix2.parse(stix.read_text(encoding="utf-8")).objects) > 10
    wrong = mailcheck("scan", "--iocs", str(tmp_path / "found.txt"), str(folder))
    assert wrong.returncode == 2 and not (tmp_path / "found.txt").exists()


def test_a_shortcuts_long_web_address_reaches_the_block_list_whole(tmp_path: Path) -> None:
    # The finding's own text clips the address at 200 characters; the block list needs it all.
    from cases import with_attachment

    url = "http://198.51.100.7/" + "a" * 260 + "/invoice.exe"
    shortcut = f"[InternetShortcut]\r\nURL={url}\r\n".encode()
    mail = tmp_path / "shortcut.eml"
    mail.write_bytes(with_attachment(shortcut, "invoice.url", "application/octet-stream"))
    target = tmp_path / "found.csv"
    done = mailcheck("scan", "--iocs", str(target), str(mail))
    assert done.returncode in (1, 4), done.stderr
    with target.open(encoding="utf-8-sig", newline="") as handle:
        urls = [row["value"] for row in csv.DictReader(handle) if row["kind"] == "url"]
    assert urls == [url]
