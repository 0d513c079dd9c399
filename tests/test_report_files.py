"""What the reader is shown of a message's files and findings: findings strongest first (as
in the terminal), and the message's own text (an .eml's text parts, a .msg's plain and HTML
bodies) never listed or counted as an attachment, in the terminal, results.csv and report.html.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from conftest import SAMPLES, eml

from mailcheck import catalog
from mailcheck.api import scan_bytes, scan_path
from mailcheck.audit import Options, Stop, run_audit
from mailcheck.audit.outline import Outline
from mailcheck.catalog import Lang
from mailcheck.config import DEFAULT_CONFIG
from mailcheck.limits import DEFAULT
from mailcheck.model import ScanResult
from mailcheck.report import json_codec
from mailcheck.report.terminal import make_console, render
from testkit.msg_writer import build_msg

MACRO = SAMPLES / "01-hijacked-reply-macro.ja.eml"
NO_FILES = SAMPLES / "02-display-name-address.en.eml"
FORWARD = SAMPLES / "05-forwarded-invoice.en.eml"
OUTLOOK = SAMPLES / "09-outlook-saved.en.msg"
DRAFT = SAMPLES / "10-outlook-draft.ja.msg"


def terminal(result: ScanResult, lang: Lang) -> str:
    import io

    out = io.StringIO()
    render(result, lang=lang, console=make_console(file=out, force_plain=True))
    return out.getvalue()


def audit(paths: list[Path], out: Path, lang: Lang) -> Outline:
    options = Options(
        paths=tuple(str(p) for p in paths),
        out=out,
        lang=lang,
        limits=DEFAULT,
        config=DEFAULT_CONFIG,
        jobs=1,
    )
    built, _ = run_audit(options, Stop())
    return built.outline  # type: ignore[no-any-return]


# --- findings strongest first; bodies are not attachments -------------------------------------


def test_the_audit_report_lists_findings_strongest_first(tmp_path: Path) -> None:
    outline = audit([MACRO], tmp_path / "out", "en")
    (item,) = outline.flagged
    severities = [f.severity for f in item.findings]
    assert severities[0] == "critical"  # the scan found it last
    rank = ["info", "low", "medium", "high", "critical"]
    assert severities == sorted(severities, key=rank.index, reverse=True)
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert page.index('class="sev critical"') < page.index('class="sev high"')


def _csv(out: Path) -> dict[str, dict[str, str]]:
    raw = (out / "results.csv").read_text(encoding="utf-8-sig")
    return {Path(row["path"]).name + row["index"]: row for row in csv.DictReader(raw.splitlines())}


def test_body_texts_are_never_attachments_in_the_audit(tmp_path: Path) -> None:
    out = tmp_path / "out"
    outline = audit([NO_FILES, FORWARD, OUTLOOK, MACRO], out, "en")
    shown = {Path(m.path).name: m.attachments for m in outline.flagged}
    assert shown[NO_FILES.name] == ()
    assert shown[FORWARD.name] == ("Scanned invoice.eml", "scan_0302.jpg")
    assert shown[OUTLOOK.name] == ("price_list.csv",)
    assert shown[MACRO.name] == ("請求書_0301.docm",)
    rows = _csv(out)
    assert rows[NO_FILES.name]["attachments"] == "" and rows[NO_FILES.name]["sha256"] == ""
    assert rows[FORWARD.name]["attachments"] == "Scanned invoice.eml; scan_0302.jpg"
    assert rows[OUTLOOK.name]["attachments"] == "price_list.csv"
    assert len(rows[OUTLOOK.name]["sha256"]) == 64
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Attachments 0)" in page and "No attachments." in page
    assert "[1]" not in page and "[body]" not in page


def test_body_texts_are_never_attachments_in_the_terminal() -> None:
    for path in (NO_FILES, DRAFT):
        (result,) = scan_path(path)
        assert any(node.role == "body" for node in result.attachments)  # analysed, kept
        assert "No attachments." in terminal(result, "en")
    (forward,) = scan_path(FORWARD)
    out = terminal(forward, "en")
    assert "Scanned invoice.eml/1" not in out and "scan_0302.jpg" in out


def test_a_msg_html_body_is_a_body_and_its_files_are_attachments() -> None:
    data = build_msg(
        subject="Invoice",
        sender_name="Sato",
        sender_email="sato@partner.example",
        to=[("Alex", "alex@corp.example")],
        body="Please see the attached invoice.",
        transport_headers=None,
        message_id="<1@partner.example>",
        attachments=(("invoice.pdf", "application/pdf", b"%PDF-1.4 x"),),
        html_body=b"<html><body><p>Please see the attached invoice.</p></body></html>",
    )
    result = scan_bytes(data)
    roles = {node.path: node.role for node in result.attachments}
    assert roles["body"] == "body" and roles["html"] == "body"
    assert [r for p, r in roles.items() if p not in ("body", "html")] == ["attachment"]
    out = terminal(result, "en")
    assert "invoice.pdf" in out and "(body)" not in out and "(html)" not in out


def test_one_rule_for_eml_parts() -> None:
    named_text = eml(
        "From: a@example.com",
        "Subject: notes",
        body=(
            "--b\r\nContent-Type: text/plain\r\n\r\nSee the notes.\r\n"
            "--b\r\nContent-Type: text/html\r\n\r\n<p>See the notes.</p>\r\n"
            "--b\r\nContent-Type: text/plain\r\n"
            'Content-Disposition: attachment; filename="notes.txt"\r\n\r\nnotes\r\n--b--\r\n'
        ),
        content_type='multipart/mixed; boundary="b"',
    )
    result = scan_bytes(named_text)
    assert [(n.filename, n.role) for n in result.attachments] == [
        ("", "body"),
        ("", "body"),
        ("notes.txt", "attachment"),
    ]
    out = terminal(result, "en")
    assert "notes.txt" in out and "- 1  " not in out and "(1)" not in out


def test_saved_json_without_roles_still_hides_bodies() -> None:
    (result,) = scan_path(NO_FILES)
    raw: dict[str, Any] = json_codec.to_dict(result, catalog.load(), "en")
    for node in raw["attachments"]:
        del node["role"]  # as written before results named roles
    again = json_codec.from_dict(raw)
    assert [n.role for n in again.attachments] == ["body"]
    assert "No attachments." in terminal(again, "en")


def test_messages_that_share_only_a_body_are_not_a_shared_attachment(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    data = NO_FILES.read_bytes()
    (folder / "a.eml").write_bytes(data)
    (folder / "b.eml").write_bytes(data.replace(b"Subject:", b"Subject: again"))
    outline = audit([folder], tmp_path / "out", "en")
    assert len(outline.flagged) == 2
    assert [c for c in outline.campaigns if c.kind == "sha256"] == []
