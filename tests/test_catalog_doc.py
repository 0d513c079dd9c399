"""docs/findings.md is made from the catalog, and says what the catalog says."""

from __future__ import annotations

from mailcheck.catalog import Catalog, Texts, load
from mailcheck.records import replace
from testkit.catalog_doc import OUTPUT, _escape, render


def test_the_findings_page_is_current() -> None:
    on_disk = OUTPUT.read_text(encoding="utf-8")
    assert on_disk == render(), "docs/findings.md is out of date: run python tools/catalog_doc.py"


def test_every_finding_has_its_section_with_severity_score_and_both_titles() -> None:
    catalog = load()
    page = render(catalog)
    for finding_id in catalog.entries:
        entry = catalog.entry(finding_id)
        section = page.split(f"\n### {finding_id}\n", 1)[1].split("\n### ", 1)[0]
        assert f"**{entry.severity}**, score {entry.score}," in section
        assert f"**{_escape(entry.texts['en'].title)}**" in section
        assert f"日本語: {_escape(entry.texts['ja'].title)}" in section


def test_a_changed_catalog_text_changes_the_page() -> None:
    # The freshness test above can fail: an edit of findings.toml shows in the page.
    catalog = load()
    entry = catalog.entry("attachment.executable")
    texts = dict(entry.texts)
    texts["en"] = Texts(title="A title nobody wrote", explanation="x", advice="y")
    entries = dict(catalog.entries)
    entries["attachment.executable"] = replace(entry, texts=texts, score=99)
    changed = render(Catalog(entries, catalog.ui))
    assert changed != render(catalog)
    assert "A title nobody wrote" in changed and "score 99," in changed


def test_markdown_shows_catalog_prose_literally() -> None:
    catalog = load()
    entry = catalog.entry("link.handler")
    texts = dict(entry.texts)
    prose = r"a share (\\host@SSL\DavWWWRoot\a.lnk), <a href> and *stars* _x_"
    texts["en"] = Texts(title="t", explanation=prose, advice="a")
    page = render(Catalog({"link.handler": replace(entry, texts=texts)}, catalog.ui))
    assert r"\\\\host@SSL\\DavWWWRoot\\a.lnk" in page
    assert "&lt;a href&gt;" in page and r"\*stars\*" in page and r"\_x\_" in page
