"""The `mailcheck` command: inputs, JSON lines, rendering, languages and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SAMPLES, eml

from mailcheck.cli import (
    EXIT_CLEAN,
    EXIT_ERROR,
    EXIT_MALICIOUS,
    EXIT_NO_MESSAGE,
    EXIT_SUSPICIOUS,
    default_lang,
    main,
)

JPCERT = "https://blogs.jpcert.or.jp/ja/2019/12/emotetfaq.html"
SERVICE = "https://www.fujifilm.com/fb/support/service/ma_ep/faq_00035.html"


def run(*args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_exit_codes_are_distinct_and_not_usage_error() -> None:
    codes = {EXIT_CLEAN, EXIT_SUSPICIOUS, EXIT_ERROR, EXIT_MALICIOUS, EXIT_NO_MESSAGE}
    assert len(codes) == 5 and 2 not in codes and EXIT_CLEAN == 0


def test_scan_samples_directory_reports_every_message(tmp_path: Path) -> None:
    code, out, _ = run("scan", "--lang", "en", str(SAMPLES))
    assert code == EXIT_MALICIOUS
    assert out.count("Verdict") == 12
    assert "MALICIOUS" in out and "SUSPICIOUS" in out and "CLEAN" in out
    assert JPCERT in out and SERVICE in out


def test_japanese_report() -> None:
    code, out, _ = run("scan", "--lang", "ja", str(SAMPLES / "02-display-name-address.en.eml"))
    assert code == EXIT_SUSPICIOUS
    assert "不審" in out
    assert "差出人の表示名に別のメールアドレスが含まれています" in out
    assert "noreply@mailer.hacked.example" in out


def test_json_lines_schema(tmp_path: Path) -> None:
    code, out, _ = run("scan", "--json", str(SAMPLES / "08-mailbox.mbox"))
    assert code == EXIT_SUSPICIOUS
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["source"]["index"] for line in lines] == [0, 1, 2]
    second = lines[1]
    assert second["schema_version"] == 1
    assert second["verdict"] == "suspicious"
    assert second["message"]["from"] == {
        "name": "billing@supplier.example",
        "address": "noreply@mailer.hacked.example",
    }
    assert {"to", "subject", "date", "message_id", "in_reply_to"} <= set(second["message"])
    finding = second["findings"][0]
    assert finding["id"] == "sender.display_name_has_address"
    assert {"severity", "title", "explanation", "evidence"} <= set(finding)
    assert finding["evidence"][0]["location"] == "header From"
    assert isinstance(second["score"], int) and second["incomplete"] is False
    assert [link["url"] for link in second["advice"]["links"]] == [JPCERT, SERVICE]
    assert second["advice"]["text"]


def test_json_attachment_tree() -> None:
    _, out, _ = run("scan", "--json", str(SAMPLES / "05-forwarded-invoice.en.eml"))
    tree = json.loads(out)["attachments"]
    nested = tree[1]
    assert nested["declared_type"] == "message/rfc822"
    leaf = nested["children"][1]
    assert leaf["filename"] == "scan_0302.jpg"
    assert leaf["declared_type"] == "image/jpeg"
    assert leaf["detected_type"] == "application/vnd.ms-excel.sheet.macroEnabled.12"
    assert len(leaf["sha256"]) == 64 and leaf["size"] > 0 and leaf["status"] == "ok"


def test_render_saved_json_in_another_language(tmp_path: Path) -> None:
    _, out, _ = run(
        "scan", "--json", "--lang", "en", str(SAMPLES / "01-hijacked-reply-macro.ja.eml")
    )
    saved = tmp_path / "scan.jsonl"
    saved.write_text(out, encoding="utf-8")
    code, rendered, _ = run("render", "--lang", "ja", str(saved))
    assert code == EXIT_MALICIOUS
    assert "危険" in rendered
    assert "開くと自動で動き" in rendered


def test_render_rejects_lines_that_are_not_results(tmp_path: Path) -> None:
    saved = tmp_path / "bad.jsonl"
    saved.write_text('{"hello": 1}\nnot json\n', encoding="utf-8")
    code, _, err = run("render", str(saved))
    assert code == EXIT_ERROR
    assert err.count("\n") >= 2


def test_stdin_is_scanned() -> None:
    data = eml('From: "ceo@corp.example" <x@hacked.example>', "Subject: urgent")
    code, out, _ = run("scan", "--json", "-", stdin=data)
    assert code == EXIT_SUSPICIOUS
    assert json.loads(out)["source"]["path"] == "-"


def test_non_message_gets_one_line_error_and_the_rest_is_scanned(tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("shopping list: eggs\n", encoding="utf-8")
    code, out, err = run(
        "scan",
        "--json",
        str(junk),
        str(tmp_path / "missing.eml"),
        str(SAMPLES / "04-newsletter.en.eml"),
    )
    assert code == EXIT_ERROR
    assert len(err.strip().splitlines()) == 2
    assert "notes.txt" in err and "missing.eml" in err
    assert json.loads(out)["verdict"] == "clean"


def test_directory_skips_files_that_are_not_messages(tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("not mail\n", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "mail").write_bytes(eml("From: a@example.com"))
    code, out, err = run("scan", "--json", str(tmp_path))
    assert code == EXIT_CLEAN
    assert len(out.splitlines()) == 1 and err == ""


@pytest.mark.parametrize("files", [0, 3])
def test_a_folder_without_mail_is_not_clean_and_says_so(tmp_path: Path, files: int) -> None:
    for number in range(files):
        (tmp_path / f"notes{number}.txt").write_text("shopping list: eggs\n", encoding="utf-8")
    code, out, err = run("scan", "--lang", "en", str(tmp_path))
    assert code == EXIT_NO_MESSAGE and out == ""
    expected = f"mailcheck: no message was found in {tmp_path}"
    if files:
        expected += f" ({files} files skipped as not mail)"
    assert err.splitlines() == [expected]


def test_no_message_notice_in_japanese(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("shopping list: eggs\n", encoding="utf-8")
    code, _, err = run("scan", "--lang", "ja", str(tmp_path))
    assert code == EXIT_NO_MESSAGE
    found = f"mailcheck: {tmp_path} にメールは見つかりませんでした"
    assert err.strip() == found + "（メール以外のファイル 1 件は対象外）"


def test_an_empty_folder_among_messages_ranks_above_clean_only(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    clean = str(SAMPLES / "04-newsletter.en.eml")
    suspicious = str(SAMPLES / "02-display-name-address.en.eml")
    code, _, err = run("scan", "--json", clean, str(empty))
    assert code == EXIT_NO_MESSAGE and f"no message was found in {empty}" in err
    code, _, err = run("scan", "--json", suspicious, str(empty))
    assert code == EXIT_SUSPICIOUS and f"no message was found in {empty}" in err


def test_a_scan_of_several_messages_ends_with_a_summary_on_stderr(tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("not mail\n", encoding="utf-8")
    names = ("02-display-name-address.en.eml", "03-genuine-reply.ja.eml", "04-newsletter.en.eml")
    for name in names:
        (tmp_path / name).write_bytes((SAMPLES / name).read_bytes())
    missing = str(tmp_path / "missing.eml")
    code, out, err = run("scan", "--json", "--lang", "en", str(tmp_path), missing)
    assert code == EXIT_ERROR
    assert len([json.loads(line) for line in out.splitlines()]) == 3  # stdout stays JSON
    assert err.splitlines()[-1] == (
        "mailcheck: 3 messages scanned: MALICIOUS 0   SUSPICIOUS 1   CLEAN 2   errors 1"
        "   not mail (skipped) 1"
    )
    code, out, err = run("scan", "--lang", "en", str(SAMPLES / "02-display-name-address.en.eml"))
    assert "messages scanned" not in err + out  # one message: its report says it all


def test_clean_exit_code() -> None:
    code, _, _ = run("scan", str(SAMPLES / "03-genuine-reply.ja.eml"))
    assert code == EXIT_CLEAN


def test_plain_output_has_no_escape_codes() -> None:
    _, out, _ = run("scan", "--lang", "en", str(SAMPLES / "01-hijacked-reply-macro.ja.eml"))
    assert "\x1b" not in out


@pytest.mark.parametrize(
    ("env", "lang"),
    [
        ({"LANG": "ja_JP.UTF-8"}, "ja"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LC_ALL": "ja_JP.eucJP", "LANG": "C"}, "ja"),
        ({}, "en"),
    ],
)
def test_default_language_follows_locale(env: dict[str, str], lang: str) -> None:
    assert default_lang(env) == lang


def test_help_explains_exit_codes() -> None:
    code, out, _ = run("scan", "--help")
    assert code == 0
    assert "Exit status" in out and "malicious" in out


def test_top_level_help_shows_whole_descriptions_and_examples() -> None:
    result = CliRunner().invoke(main, ["--help"], prog_name="mailcheck", terminal_width=80)
    assert result.exit_code == 0
    commands = result.output.partition("Commands:")[2].partition("Examples:")[0]
    text = " ".join(commands.split())  # the list wraps long lines
    assert "..." not in text
    for command in ("audit", "filter", "milter", "render", "scan"):
        first = main.commands[command].help or ""
        sentence = " ".join(first.split("\n\n")[0].split())
        assert f"{command} {sentence}" in text
    assert "Examples:" in result.output and "mailcheck scan invoice.eml" in result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80


def test_render_names_finding_ids_it_does_not_know(tmp_path: Path) -> None:
    _, out, _ = run("scan", "--json", str(SAMPLES / "02-display-name-address.en.eml"))
    saved = tmp_path / "future.jsonl"
    saved.write_text(out.replace("sender.display_name_has_address", "sender.future_check"))
    code, _, err = run("render", str(saved))
    assert code == EXIT_ERROR
    assert "sender.future_check" in err


def test_the_scan_page_shows_the_real_scan_help() -> None:
    from conftest import ROOT

    result = CliRunner().invoke(main, ["scan", "--help"], prog_name="mailcheck", terminal_width=100)
    page = (ROOT / "docs" / "scanning.md").read_text(encoding="utf-8")
    assert result.output.strip() in page


def test_reader_closing_the_pipe_is_an_error_not_a_traceback() -> None:
    import subprocess
    import sys

    newsletter = str(SAMPLES / "04-newsletter.en.eml")
    proc = subprocess.Popen(
        [sys.executable, "-m", "mailcheck", "scan", "--lang", "en", *[newsletter] * 300],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.read(100)
    proc.stdout.close()  # like `| head -c 100`
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == EXIT_ERROR
    assert b"Traceback" not in err


def test_json_is_valid_utf8_when_headers_carry_raw_8bit_bytes() -> None:
    data = (
        b"From: a@example.com\r\nSubject: costs \xa380m\r\nMessage-ID: <\xff@x>\r\n"
        b"To: b\xe9@example.com\r\n\r\nbody\r\n"
    )
    code, out, _ = run("scan", "--json", "-", stdin=data)
    line = out.encode("utf-8", "surrogateescape")
    decoded = json.loads(line.decode("utf-8"))  # strict: no lone surrogates, no raw bytes
    assert decoded["message"]["subject"].startswith("costs ")
    assert code == EXIT_CLEAN


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('"verdict": "suspicious"', '"verdict": "bogus"'),
        ('"severity": "high"', '"severity": "bogus"'),
        ('"status": "ok"', '"status": "bogus"'),
    ],
)
def test_render_reports_values_outside_the_schema(tmp_path: Path, old: str, new: str) -> None:
    _, out, _ = run("scan", "--json", str(SAMPLES / "02-display-name-address.en.eml"))
    assert old in out
    saved = tmp_path / "bad.jsonl"
    saved.write_text(out.replace(old, new, 1) + "[" * 100_000 + "\n", encoding="utf-8")
    code, _, err = run("render", str(saved))
    assert code == EXIT_ERROR
    assert len(err.strip().splitlines()) == 2  # the bad value and the absurd nesting


def test_mbox_on_stdin_is_every_message() -> None:
    code, out, _ = run("scan", "--json", "-", stdin=(SAMPLES / "08-mailbox.mbox").read_bytes())
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(d["source"]["index"], d["verdict"]) for d in lines] == [
        (0, "clean"),
        (1, "suspicious"),
        (2, "clean"),
    ]
    assert code == EXIT_SUSPICIOUS
