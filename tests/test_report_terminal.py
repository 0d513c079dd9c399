"""The terminal report: content in both languages, and safety of attacker-controlled text."""

from __future__ import annotations

import io
import re
import time
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console

from mailcheck.catalog import Lang
from mailcheck.model import (
    Address,
    Advice,
    Attachment,
    Evidence,
    Finding,
    Link,
    MessageSummary,
    ScanResult,
    Severity,
    Source,
    Verdict,
)
from mailcheck.records import replace
from mailcheck.report.terminal import make_console, render, render_error
from mailcheck.text import clean_text, defang

JPCERT = "https://blogs.jpcert.or.jp/ja/2019/12/emotetfaq.html"
SERVICE = "https://www.fujifilm.com/fb/support/service/ma_ep/faq_00035.html"
SHA_DOC = "0123456789abcdef" * 4
SHA_ZIP = "fedcba9876543210" * 4
EVIL_SUBJECT = "Re: 請求書 hello\x1b[31mworld [bold]red[/bold]"

TITLES = {
    "en": (
        "A macro runs automatically and can write files or start programs",
        "The sender's name shows a different address",
        "An attachment is not what its name or type says",
    ),
    "ja": (
        "開くと自動で動き、ファイル書き込みやプログラム実行ができるマクロがあります",
        "差出人の表示名に別のメールアドレスが含まれています",
        "添付ファイルの名前や種類と中身が一致しません",
    ),
}


def _finding(fid: str, severity: Severity, score: int, evidence: Evidence) -> Finding:
    return Finding(
        id=fid,
        severity=severity,
        score=score,
        confidence="high",
        evidence=(evidence,),
        analyzer="test",
    )


FINDINGS = (
    # Deliberately not in severity order: the report must sort them.
    _finding(
        "attachment.type_mismatch",
        "medium",
        25,
        Evidence(
            location="1/2",
            excerpt="payload from http://evil.example.com/a.doc",
            facts=(
                ("attachment", "1/2"),
                ("filename", "invoice\u202efdp.exe"),
                ("declared_type", "application/pdf"),
                ("detected_type", "PE executable"),
            ),
        ),
    ),
    _finding(
        "sender.display_name_has_address",
        "high",
        40,
        Evidence(
            location="header:From",
            excerpt='"taro@partner.example" <x@hacked.example>',
            facts=(("shown_address", "taro@partner.example"), ("from_address", "x@hacked.example")),
        ),
    ),
    _finding(
        "attachment.macro.autoexec_exec",
        "critical",
        100,
        Evidence(
            location="1/1/word/vbaProject.bin",
            excerpt="Sub AutoOpen() Shell",
            facts=(
                ("attachment", "report.doc"),
                ("autoexec", "AutoOpen"),
                ("actions", "Shell, CreateObject"),
            ),
        ),
    ),
)

ATTACHMENTS = (
    Attachment(
        path="1",
        filename="archive.zip",
        declared_type="application/zip",
        sniffed_type="zip",
        size=2048,
        sha256=SHA_ZIP,
        depth=1,
        status="ok",
        children=(
            Attachment(
                path="1/1",
                filename="report.doc",
                declared_type="application/msword",
                sniffed_type="ole2",
                size=40960,
                sha256=SHA_DOC,
                depth=2,
                status="ok",
            ),
            Attachment(
                path="1/2",
                filename="invoice\u202efdp.exe",
                declared_type="application/pdf",
                sniffed_type="exe",
                size=10,
                sha256="",
                depth=2,
                status="encrypted",
            ),
        ),
    ),
)

ADVICE_KEYS = ("advice.do_not_open", "advice.check_address", "advice.incomplete")
LINKS = (
    Link(title_key="link.jpcert_emotet_faq", url=JPCERT),
    Link(title_key="link.service_faq", url=SERVICE),
)

RESULT = ScanResult(
    schema_version=1,
    tool_version="0.1.0",
    source=Source(path="samples/inbox.mbox", index=7, format="mbox"),
    message=MessageSummary(
        from_=Address(display_name="Taro Yamada", addr="x@hacked.example"),
        to=(Address(display_name="", addr="hanako@corp.example"),),
        subject=EVIL_SUBJECT,
        date="Tue, 3 Dec 2019 10:00:00 +0900",
    ),
    attachments=ATTACHMENTS,
    findings=FINDINGS,
    verdict=Verdict(label="malicious", score=165, reasons=(), incomplete=True),
    advice=Advice(keys=ADVICE_KEYS, links=LINKS),
)

CLEAN = replace(
    RESULT,
    attachments=(),
    findings=(),
    verdict=Verdict(label="clean", score=0, reasons=(), incomplete=False),
    advice=Advice(keys=("advice.clean",), links=LINKS),
)


def _render(result: ScanResult, lang: Lang, mode: str) -> str:
    buf = io.StringIO()
    if mode == "plain":
        console = make_console(file=buf, force_plain=True)
    else:
        console = Console(file=buf, force_terminal=True, color_system="truecolor", width=200)
    render(result, lang=lang, console=console)
    return buf.getvalue()


def _strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m|\x1b\]8;[^\x1b]*\x1b\\", "", text)


MODES = ("plain", "terminal")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("lang", "word"), [("en", "MALICIOUS"), ("ja", "危険")])
def test_verdict_word(lang: Lang, word: str, mode: str) -> None:
    out = _strip_ansi(_render(RESULT, lang, mode))
    assert word in out
    assert "165" in out
    incomplete = "INCOMPLETE" if lang == "en" else "未完了"
    assert incomplete in out
    assert incomplete not in _strip_ansi(_render(CLEAN, lang, mode))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("lang", ["en", "ja"])
def test_findings_titles_sorted_by_severity(lang: Lang, mode: str) -> None:
    out = _strip_ansi(_render(RESULT, lang, mode))
    positions = [out.index(title) for title in TITLES[lang]]
    assert positions == sorted(positions)  # critical, high, medium
    other = "ja" if lang == "en" else "en"
    assert not any(title in out for title in TITLES[other])


@pytest.mark.parametrize("mode", MODES)
def test_japanese_labels_and_explanations(mode: str) -> None:
    out = _strip_ansi(_render(RESULT, "ja", mode))
    for label in ("差出人:", "宛先:", "件名:", "日時:", "検出事項", "根拠", "添付ファイル"):
        assert label in out
    assert "対処方法" in out and "[重大]" in out
    assert "表示名ではなく" in out  # advice line from the ja side
    for english in ("Findings", "Evidence", "What to do", "Subject:", "MALICIOUS"):
        assert english not in out


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("lang", ["en", "ja"])
def test_header_evidence_attachments_links(lang: Lang, mode: str) -> None:
    out = _strip_ansi(_render(RESULT, lang, mode))
    assert "samples/inbox.mbox #7" in out
    assert '"Taro Yamada" <x@hacked.example>' in out
    assert "<hanako@corp.example>" in out
    for location in ("header:From", "1/1/word/vbaProject.bin", "1/2"):
        assert location in out
    for name in ("archive.zip", "report.doc", "(1/1)"):
        assert name in out
    assert SHA_DOC[:12] in out and SHA_ZIP[:12] in out
    assert SHA_DOC not in out
    # Our advice links are printed whole, never defanged.
    assert JPCERT in out and SERVICE in out
    assert "hxxps://blogs" not in out


@pytest.mark.parametrize("mode", MODES)
def test_attacker_markup_and_escapes_are_inert(mode: str) -> None:
    out = _render(RESULT, "en", mode)
    assert "[bold]red[/bold]" in out  # printed literally, not interpreted
    assert "hello[31mworld" in out  # the ESC byte is gone, the rest is harmless text
    assert "\x1b[31mworld" not in out


@pytest.mark.parametrize("mode", MODES)
def test_evidence_url_defanged_and_bidi_removed(mode: str) -> None:
    out = _render(RESULT, "en", mode)
    assert "hxxp://evil[.]example[.]com/a.doc" in out
    assert "http://evil" not in out
    assert "invoicefdp.exe" in out
    assert "\u202e" not in out
    assert "x@hacked.example" in out  # email addresses are not defanged


def test_encrypted_status_shown() -> None:
    assert "[encrypted]" in _render(RESULT, "en", "plain")
    assert "[暗号化]" in _render(RESULT, "ja", "plain")


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_plain_has_no_escapes_and_fits_width(lang: Lang) -> None:
    out = _render(RESULT, lang, "plain")
    assert "\x1b" not in out
    assert not any(ch in out for ch in "╭│└├─")  # no box drawing in files
    for line in out.splitlines():
        assert cell_len(line) <= 100
        assert line == line.rstrip()


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_terminal_uses_colour_and_tree(lang: Lang) -> None:
    out = _render(RESULT, lang, "terminal")
    assert "\x1b[" in out
    assert "└── " in out or "├── " in out


@pytest.mark.parametrize("mode", MODES)
def test_clean_without_findings_or_attachments(mode: str) -> None:
    out = _strip_ansi(_render(CLEAN, "en", mode))
    assert "CLEAN" in out and "No findings." in out and "No attachments." in out
    out_ja = _strip_ansi(_render(CLEAN, "ja", mode))
    assert "問題なし" in out_ja and "検出事項はありません。" in out_ja


@pytest.mark.parametrize("mode", MODES)
def test_deep_nesting_renders(mode: str) -> None:
    node = Attachment(
        path="x",
        filename="leaf.bin",
        declared_type="",
        sniffed_type="",
        size=1,
        sha256=SHA_DOC,
        depth=60,
        status="ok",
    )
    for level in range(60):
        node = replace(node, filename=f"level{level}.zip", children=(node,))
    out = _strip_ansi(_render(replace(CLEAN, attachments=(node,)), "en", mode))
    assert "leaf.bin" in out and "level59.zip" in out
    if mode == "plain":
        assert all(cell_len(line) <= 100 for line in out.splitlines())


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "error: samples/x.txt: not a mail message\n"),
        ("ja", "エラー: samples/x.txt: not a mail message\n"),
    ],
)
def test_render_error(lang: Lang, expected: str) -> None:
    buf = io.StringIO()
    console = make_console(file=buf, force_plain=True)
    render_error("samples/x.txt", "not a mail message", lang=lang, console=console)
    assert buf.getvalue() == expected


def test_render_error_is_one_clean_line() -> None:
    buf = io.StringIO()
    path = "samples/" + "a" * 150 + "\x1b[2J\n.txt"
    render_error(path, "bad\r\nthing", lang="en", console=make_console(file=buf, force_plain=True))
    out = buf.getvalue()
    assert out.count("\n") == 1 and "\x1b" not in out and "bad thing" in out


def test_make_console_modes(monkeypatch: pytest.MonkeyPatch) -> None:
    auto = make_console(file=io.StringIO())  # not a tty: plain
    assert not auto.is_terminal and auto.width == 100 and auto.no_color
    monkeypatch.delenv("NO_COLOR", raising=False)
    forced = make_console(file=io.StringIO(), force_plain=False)
    assert forced.is_terminal and not forced.no_color
    monkeypatch.setenv("NO_COLOR", "1")
    assert make_console(file=io.StringIO(), force_plain=False).no_color
    buf = io.StringIO()
    render(RESULT, lang="en", console=make_console(file=buf, force_plain=False))
    assert "\x1b[31m" not in buf.getvalue()  # NO_COLOR: no colours (bold may stay)


# --- sanitize -------------------------------------------------------------------------

_INVISIBLE = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}
_INVISIBLE |= {chr(c) for c in (*range(0x200B, 0x2010), 0xFEFF)}


def test_clean_text_controls_and_whitespace() -> None:
    assert clean_text("a\x1b[31mb\x9b1mc\x7fd\x00e") == "a[31mb1mcde"
    assert clean_text("line1\r\n\tline2\nline3") == "line1 line2 line3"
    assert clean_text("a\u2028b") == "a b"
    assert clean_text("請求書のご確認") == "請求書のご確認"


def test_clean_text_bidi_zero_width_surrogates() -> None:
    assert clean_text("invoice\u202efdp.exe") == "invoicefdp.exe"
    assert clean_text("\u2066pay\u2069\u200bpal\ufeff\u200e") == "paypal"
    assert clean_text("bad\udc80byte") == "bad\ufffdbyte"


def test_clean_text_truncates() -> None:
    assert clean_text("abcdef", 4) == "abc…"
    assert clean_text("abcd", 4) == "abcd"
    assert clean_text("abc", 0) == ""
    long = clean_text("x" * 5_000_000, 10)
    assert long == "x" * 9 + "…"
    # Cut early but still marked as cut even when the removed characters dominate.
    assert clean_text("\x00" * 10_000 + "tail", 10).endswith("…")


def test_clean_text_is_fast_on_huge_input() -> None:
    start = time.perf_counter()
    clean_text("\u202e\x1b" * 5_000_000)
    defang("http://a." * 200_000)
    assert time.perf_counter() - start < 2.0


# Any character, with the dangerous kinds (controls, surrogates, bidi, zero-width) boosted.
_HOSTILE = st.text(
    alphabet=st.one_of(
        st.characters(exclude_categories=()),
        st.characters(categories=["Cc", "Cs", "Cf", "Zl", "Zp"]),
        st.sampled_from([*sorted(_INVISIBLE), "\x1b", "\x9b", "\r", "\n", "\t"]),
    )
)


@given(_HOSTILE, st.integers(-5, 600))
def test_clean_text_property(text: str, max_len: int) -> None:
    out = clean_text(text, max_len)
    assert len(out) <= max(max_len, 0)
    assert not any(unicodedata.category(ch) in ("Cc", "Cs") for ch in out)
    assert not any(ch in _INVISIBLE for ch in out)
    out.encode("utf-8")  # printable: no lone surrogates left


@given(_HOSTILE)
def test_defang_never_raises(text: str) -> None:
    out = defang(text)
    assert defang(out) == out  # idempotent
    assert "http://" not in out.lower() and "https://" not in out.lower()


def test_defang_urls() -> None:
    assert defang("see http://evil.example.com/a.b?c=d.e") == (
        "see hxxp://evil[.]example[.]com/a.b?c=d.e"
    )
    assert defang("HTTPS://user@evil.example:8443/x") == "HXXPS://user@evil[.]example:8443/x"
    assert defang("<https://a.example>") == "<hxxps://a[.]example>"
    assert defang("visit www.evil.example/x") == "visit www[.]evil[.]example/x"
    assert defang("http://例え。テスト/") == "hxxp://例え[.]テスト/"


def test_defang_keeps_email_addresses() -> None:
    text = '"taro@partner.example" <x@hacked.example>, y@www.corp.example'
    assert defang(text) == text
    assert defang("report.doc and archive.zip") == "report.doc and archive.zip"
