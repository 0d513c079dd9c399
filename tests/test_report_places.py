"""Where things are, in the reader's words: evidence locations in the report's language (the
JSON keeps the English location as a machine key and adds a label), and finding titles counted
over many messages without an empty "（…）" where a fact would be."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_report_files import DRAFT, FORWARD, MACRO, audit, terminal

from mailcheck import catalog
from mailcheck.api import scan_path
from mailcheck.audit.summary import render_summary
from mailcheck.report import json_codec

# --- evidence locations in the reader's words -----------------------------------------------


@pytest.mark.parametrize(
    ("location", "ja", "en"),
    [
        ("header From", "ヘッダー From", "header From"),
        ("headers", "ヘッダー", "headers"),
        ("part 1", "パート 1", "part 1"),
        ("part 1.2", "パート 1.2", "part 1.2"),
        ("body", "本文", "body"),
        ("part body", "本文", "body"),  # a .msg's plain text
        ("part html", "本文 (HTML)", "body (HTML)"),  # a .msg's HTML text
        ("message", "メッセージ", "message"),
        ("attachment 2/invoice.zip", "添付ファイル 2/invoice.zip", "attachment 2/invoice.zip"),
        (
            "attachment 2/a.docm: word/document.xml",
            "添付ファイル 2/a.docm: word/document.xml",
            "attachment 2/a.docm: word/document.xml",
        ),
        (
            "attachment 2/fwd.eml: header From",
            "添付メール 2/fwd.eml のヘッダー From",
            "attachment 2/fwd.eml: header From",
        ),
        ("attachment 2/fwd.eml: part 1", "添付メール 2/fwd.eml のパート 1", None),
        ("attachment 2/fwd.eml: message", "添付メール 2/fwd.eml", "attached message 2/fwd.eml"),
        # A file name that holds ": " itself: the place of the message still reads right.
        (
            "attachment 2/re: x.eml: header Subject",
            "添付メール 2/re: x.eml のヘッダー Subject",
            None,
        ),
        # Shapes of no known kind are shown as they are.
        ("header:From", "header:From", "header:From"),
        ("1/1/word/vbaProject.bin", "1/1/word/vbaProject.bin", "1/1/word/vbaProject.bin"),
        ("", "", ""),
    ],
)
def test_a_location_reads_in_the_report_language(location: str, ja: str, en: str | None) -> None:
    words = catalog.load()
    assert words.place(location, "ja") == ja
    assert words.place(location, "en") == (location if en is None else en)


def test_the_japanese_terminal_report_names_places_in_japanese() -> None:
    (result,) = scan_path(MACRO)
    out = terminal(result, "ja")
    assert "- ヘッダー From: " in out
    assert "- パート 1: " in out
    assert "- 添付ファイル 2/請求書_0301.docm: " in out
    for english in ("- header From", "- part 1", "- attachment 2/"):
        assert english not in out, english
    assert "- header From: " in terminal(result, "en")


def test_a_nested_message_is_named_in_japanese() -> None:
    (result,) = scan_path(FORWARD)
    locations = {e.location for f in result.findings for e in f.evidence}
    nested = {loc for loc in locations if loc.startswith("attachment 2/Scanned invoice.eml: ")}
    out = terminal(result, "ja")
    for location in nested:
        assert catalog.load().place(location, "ja").startswith("添付メール 2/Scanned invoice.eml")
    assert "- 添付ファイル 2/Scanned invoice.eml/2/scan_0302.jpg: " in out


def test_json_keeps_the_location_key_and_adds_a_label() -> None:
    (result,) = scan_path(MACRO)
    ja = json_codec.to_dict(result, catalog.load(), "ja")
    en = json_codec.to_dict(result, catalog.load(), "en")
    pairs = {(e["location"], e["label"]) for f in ja["findings"] for e in f["evidence"]}
    assert ("header From", "ヘッダー From") in pairs
    assert ("part 1", "パート 1") in pairs
    assert ("attachment 2/請求書_0301.docm", "添付ファイル 2/請求書_0301.docm") in pairs
    assert [e["location"] for f in ja["findings"] for e in f["evidence"]] == [
        e["location"] for f in en["findings"] for e in f["evidence"]
    ]
    # The label is for readers: reading the JSON back rebuilds the same result.
    assert json_codec.from_dict(json.loads(json.dumps(ja))).findings == result.findings


def test_a_location_inside_an_explanation_is_in_the_report_language() -> None:
    (result,) = scan_path(DRAFT)
    texts = json_codec.to_dict(result, catalog.load(), "ja")["findings"]
    (missing,) = [f for f in texts if f["id"] == "parse.no_transport_headers"]
    assert missing["explanation"].startswith("メッセージ")
    assert "message" not in missing["explanation"]


def test_a_title_counted_over_many_messages_has_no_empty_aside() -> None:
    words = catalog.load()
    assert words.title_without_facts("link.handler", "ja") == (
        "Windows のハンドラーまたは外部の共有フォルダーを開くリンクがあります"
    )
    assert words.title_without_facts("link.payload", "en") == (
        "A link to a file that can run or hold code"
    )
    assert words.title_without_facts("link.payload", "ja") == (
        "実行できるファイルやマクロを含みうるファイルへのリンクがあります"
    )
    for finding_id in words.entries:
        for lang in catalog.LANGS:
            title = words.title_without_facts(finding_id, lang)
            assert "{" not in title and "}" not in title, (finding_id, title)
            for empty in ("（…）", "(…)", "（表示: …）", "  "):
                assert empty not in title, (finding_id, lang, title)


def test_the_audit_summary_and_chart_show_link_titles_without_a_literal_aside(
    tmp_path: Path,
) -> None:
    from cases_links import CASES as LINK_CASES

    folder = tmp_path / "in"
    folder.mkdir()
    for n, finding_id in enumerate(("link.handler", "link.payload_suspicious_host")):
        data, _ = LINK_CASES[finding_id]()
        (folder / f"{n}.eml").write_bytes(data)
    out = tmp_path / "out"
    outline = audit([folder], out, "ja")
    titles = {fid: title for fid, title, _ in outline.top_findings}
    assert "link.handler" in titles
    summary = render_summary(outline, out, ("report.html",))
    page = (out / "report.html").read_text(encoding="utf-8")
    for shown in (summary, page, *titles.values()):
        assert "（…）" not in shown and "(…)" not in shown
    assert titles["link.handler"] in summary and titles["link.handler"] in page


def test_the_audit_report_names_places_in_japanese(tmp_path: Path) -> None:
    outline = audit([MACRO], tmp_path / "out", "ja")
    (item,) = outline.flagged
    places = [location for f in item.findings for location, _ in f.evidence]
    assert "ヘッダー From" in places and "パート 1" in places
    assert "添付ファイル 2/請求書_0301.docm" in places
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert ">ヘッダー From<" in page and ">header From<" not in page
