"""report.html of `mailcheck audit`: every count and message shown, in the chosen language,
with all message text escaped and nothing loaded from the network."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from mailcheck import catalog
from mailcheck.audit.html import render_html, timeline
from mailcheck.audit.outline import Campaign, Flagged, Outline, Shown
from mailcheck.catalog import Lang
from mailcheck.records import replace

JA_SUBJECT = "【至急】請求書の件"
# A subject and a name that would run in the page if they were not escaped.
HOSTILE = (
    "<script>document.title='pwned';document.body.setAttribute('data-pwned','1')</script>"
    "<img src=x onerror=alert(1)>"
)
EXPLANATION = "The attached Word document holds a macro that runs as soon as content is enabled."
LINKS = (
    ("JPCERT/CC: Emotet FAQ", "https://blogs.jpcert.or.jp/ja/2019/12/emotetfaq.html"),
    ("Service FAQ", "https://www.fujifilm.com/fb/support/service/ma_ep/faq_00035.html"),
)


def _macro(explanation: str = EXPLANATION) -> Shown:
    return Shown(
        id="office.vba_autoexec",
        severity="critical",
        title="Macro that runs on opening",
        explanation=explanation,
        advice="Do not open the attachment or enable content.",
        # A raw link in evidence is defanged by the page as well as by the outline.
        evidence=(("attachment 請求書.docm", "AutoOpen -> http://evil.example/payload.bin"),),
    )


def sample_outline(lang: Lang = "ja", *, interrupted: bool = True) -> Outline:
    """A folder of 45 messages: two malicious, three suspicious (three of them listed)."""
    flagged = (
        Flagged(
            key="inbox/invoice.eml",
            path="inbox/invoice.eml",
            index=None,
            date="Tue, 05 Mar 2024 09:12:00 +0900",
            day="2024-03-05",
            from_name="山田 太郎",
            from_addr="taro.yamada@evil.example",
            subject=JA_SUBJECT,
            verdict="malicious",
            score=180,
            incomplete=False,
            reasons=("office.vba_autoexec", "sender.display_name_mismatch"),
            attachments=("請求書.docm",),
            findings=(
                _macro(),
                Shown(
                    id="sender.display_name_mismatch",
                    severity="high",
                    title="Known name, unknown address",
                    explanation="The name is a correspondent's; the address is not theirs.",
                    advice="Check the address.",
                    evidence=(("From", "山田 太郎 <taro.yamada@evil.example>"),),
                ),
            ),
        ),
        Flagged(
            key="saved.mbox#3",
            path="saved.mbox",
            index=3,
            date="garbage",
            day="",
            from_name=HOSTILE,
            from_addr="x@hostile.example",
            subject=HOSTILE,
            verdict="suspicious",
            score=45,
            incomplete=True,
            reasons=("archive.encrypted",),
            # A bidi override would make "exe.pdf" read as "fdp.exe" on screen.
            attachments=('"><svg onload=alert(2)>.zip', "invoice\u202efdp.exe"),
            findings=(
                Shown(
                    id="archive.encrypted",
                    severity="medium",
                    title="Password-protected archive",
                    explanation="The archive is encrypted, so its content could not be checked.",
                    advice="Do not open it.",
                    evidence=(("attachment", "</code></td><script>alert(3)</script>"),),
                ),
            ),
        ),
        Flagged(
            key="inbox/reply.eml",
            path="inbox/reply.eml",
            index=None,
            date="Thu, 07 Mar 2024 18:00:00 +0900",
            day="2024-03-07",
            from_name="Sato Hanako",
            from_addr="hanako@evil.example",
            subject="Re: 打ち合わせの件",
            verdict="malicious",
            score=150,
            incomplete=False,
            reasons=("office.vba_autoexec",),
            attachments=("議事録.docm",),
            findings=(_macro(),),
        ),
    )
    return Outline(
        lang=lang,
        tool_version="9.8.7",
        generated="2024-03-08T10:20:30+09:00",
        inputs=("inbox", "saved.mbox"),
        counts=(("clean", 40), ("suspicious", 3), ("malicious", 2)),
        errors=(("inbox/broken.msg", "not an Outlook message: bad OLE header"),),
        not_mail=5,
        incomplete=1,
        top_findings=(
            ("office.vba_autoexec", "Macro that runs on opening", 2),
            ("archive.encrypted", "Password-protected archive", 1),
        ),
        flagged=flagged,
        flagged_total=5,
        campaigns=(
            Campaign(kind="sha256", value="ab" * 32, keys=("inbox/invoice.eml", "inbox/reply.eml")),
            Campaign(kind="domain", value="evil.example", keys=("inbox/invoice.eml", "x#9")),
        ),
        links=LINKS,
        interrupted=interrupted,
        seconds=12.34,
    )


def _count(page: str, name: str) -> int:
    found = re.search(rf'id="count-{name}">(\d+)<', page)
    assert found, f"no element id=count-{name}"
    return int(found.group(1))


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_counts_are_in_their_elements(lang: Lang) -> None:
    page = render_html(sample_outline(lang))
    expected = {
        "total": 45,
        "malicious": 2,
        "suspicious": 3,
        "clean": 40,
        "errors": 1,
        "not-mail": 5,
        "incomplete": 1,
    }
    assert {name: _count(page, name) for name in expected} == expected


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_messages_findings_and_evidence_are_shown(lang: Lang) -> None:
    page = render_html(sample_outline(lang))
    assert JA_SUBJECT in page
    assert "taro.yamada@evil.example" in page
    assert EXPLANATION in page
    assert "請求書.docm" in page
    assert "hxxp://evil[.]example/payload.bin" in page  # defanged, never a raw link
    assert "saved.mbox#3" in page
    assert "not an Outlook message: bad OLE header" in page
    assert "ab" * 32 in page
    # Campaign keys link to their rows; a key that is not listed stays text.
    assert 'href="#msg-1"' in page and 'href="#msg-3"' in page
    assert '<li class="mono">x#9</li>' in page


def test_message_text_is_only_ever_escaped() -> None:
    page = render_html(sample_outline("ja"))
    assert "&lt;script&gt;document.title=&#39;pwned&#39;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&#34;&gt;&lt;svg onload=alert(2)&gt;.zip" in page
    assert "&lt;/code&gt;&lt;/td&gt;&lt;script&gt;alert(3)" in page
    assert page.count("<script") == 1  # ours, at the end
    for raw in ("<img", "<svg", "document.title='pwned'", "\u202e"):
        assert raw not in page, raw
    assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", page)  # no event handler in any tag
    assert "invoicefdp.exe" in page


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_nothing_is_loaded_from_the_network(lang: Lang) -> None:
    page = render_html(sample_outline(lang))
    assert (
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:" in page
    )
    # The advice links are the only URLs, and only as links the reader may follow.
    for _title, url in LINKS:
        link = f'<a href="{url}" rel="noreferrer noopener" target="_blank">'
        assert link in page
        page = page.replace(link, "")
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"\b(src|srcset|href|action|poster|data)\s*=\s*[\"']?(https?:)?//", page)
    assert "@import" not in page and "url(" not in page


def test_only_https_links_become_links() -> None:
    outline = replace(
        sample_outline("en"),
        links=(("Bad", "javascript:alert(1)"), ("Local", "file:///etc/passwd")),
    )
    page = render_html(outline)
    assert 'href="javascript:' not in page and 'href="file:' not in page
    assert "javascript:alert(1)" in page  # shown as text


def test_labels_follow_the_language() -> None:
    ja = render_html(sample_outline("ja"))
    en = render_html(sample_outline("en"))
    assert '<html lang="ja">' in ja and '<html lang="en">' in en
    for japanese, english in [
        ("メール監査レポート", "Mail audit report"),
        ("読めなかったファイル", "Files that could not be read"),
        ("危険", "MALICIOUS"),
        ("不審", "SUSPICIOUS"),
        ("問題なし", "CLEAN"),
        ("日付不明", "unknown date"),
        ("重大", "critical"),
    ]:
        # As element text (">word<"): "critical" is also a CSS class name.
        assert f">{japanese}<" in ja and f">{japanese}<" not in en
        assert f">{english}<" in en and f">{english}<" not in ja


def test_an_interrupted_audit_says_so_and_how_to_resume() -> None:
    stopped = render_html(sample_outline("ja", interrupted=True))
    finished = render_html(sample_outline("ja", interrupted=False))
    assert 'id="interrupted"' in stopped and "mailcheck audit --resume" in stopped
    assert 'id="interrupted"' not in finished and "--resume" not in finished


def test_a_partial_list_says_where_the_rest_is() -> None:
    page = render_html(sample_outline("en"))
    assert 'id="flagged-truncated"' in page
    assert "Only the 3 worst of 5 flagged messages" in page and "results.csv" in page
    whole = replace(sample_outline("en"), flagged_total=3)
    assert 'id="flagged-truncated"' not in render_html(whole)


def test_an_audit_with_nothing_flagged_has_no_table() -> None:
    outline = replace(
        sample_outline("en", interrupted=False),
        counts=(("clean", 7), ("suspicious", 0), ("malicious", 0)),
        flagged=(),
        flagged_total=0,
        campaigns=(),
        errors=(),
        top_findings=(),
    )
    page = render_html(outline)
    assert _count(page, "total") == 7
    assert 'id="flagged-table"' not in page
    assert "No malicious or suspicious mail was found." in page
    assert "Every file could be read." in page


def test_the_timeline_fills_empty_days_and_puts_undated_mail_last() -> None:
    days = timeline(sample_outline().flagged, "?")
    assert [(d.label, d.malicious, d.suspicious) for d in days] == [
        ("2024-03-05", 1, 0),
        ("2024-03-06", 0, 0),
        ("2024-03-07", 1, 0),
        ("?", 0, 1),
    ]


def test_a_forged_ancient_date_does_not_fill_decades() -> None:
    first, *rest = sample_outline().flagged
    old = replace(first, day="1970-01-01")
    assert [d.label for d in timeline((old, *rest), "?")] == ["1970-01-01", "2024-03-07", "?"]


def test_every_audit_word_is_used_and_every_used_word_exists() -> None:
    here = Path(catalog.__file__).parents[1] / "audit"
    sources = (here / "templates" / "report.html.j2").read_text(encoding="utf-8")
    sources += (here / "html.py").read_text(encoding="utf-8")
    used = set(re.findall(r"w\(\s*[\"']audit\.([a-z0-9_]+)", sources))
    defined = set(catalog.load().ui["audit"])
    assert used == defined


def test_importing_the_renderer_does_not_load_jinja2() -> None:
    probe = "import sys, mailcheck.audit.html; print('jinja2' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.strip() == "False"


def test_addresses_and_paths_break_only_at_sensible_points() -> None:
    first, *rest = sample_outline("en").flagged
    hostile = replace(first, from_addr='"><script>alert(4)</script>@evil.example')
    page = render_html(replace(sample_outline("en"), flagged=(hostile, *rest)))
    # <wbr> before "@" and "." of an address, after "/" of a path, nowhere else.
    assert "hanako<wbr>@evil<wbr>.example" in page
    assert "inbox/<wbr>reply.eml" in page and "saved.mbox#3" in page
    assert "&#34;&gt;&lt;script&gt;alert(4)&lt;/script&gt;<wbr>@evil<wbr>.example" in page
    assert "<script>alert(4)" not in page
