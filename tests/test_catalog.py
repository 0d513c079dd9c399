"""Meta-tests: the catalog, the analyzers and the test cases agree with each other."""

from __future__ import annotations

import pytest
from cases import CASES
from folder_cases import FOLDER_CASES

from mailcheck import containers
from mailcheck.analyzers import ANALYZERS
from mailcheck.api import scan_bytes
from mailcheck.audit import folder
from mailcheck.catalog import LANGS, UnknownFindingError, fill, load
from mailcheck.model import SEVERITIES

CATALOG = load()
# Ids the pipeline itself emits (limits, extraction, container openers), outside analyzers.
PIPELINE_IDS = (
    {i for i in CATALOG.entries if i.startswith("limit.")}
    | {"analyzer.error", "attachment.unreadable"}
    | set(getattr(containers, "EMITS", ()))
)
# Ids only an audit of a whole folder emits (tests/test_audit.py fires each on its folder).
FOLDER_IDS = set(folder.EMITS)


def test_every_declared_id_is_in_the_catalog() -> None:
    declared = {finding_id for analyzer in ANALYZERS for finding_id in analyzer.emits}
    assert declared - set(CATALOG.entries) == set()


def test_every_catalog_id_is_emitted_by_something() -> None:
    declared = {finding_id for analyzer in ANALYZERS for finding_id in analyzer.emits}
    assert set(CATALOG.entries) - declared - PIPELINE_IDS - FOLDER_IDS == set()


@pytest.mark.parametrize("finding_id", sorted(CATALOG.entries))
def test_both_languages_with_the_same_placeholders(finding_id: str) -> None:
    entry = CATALOG.entry(finding_id)
    assert set(entry.texts) == set(LANGS)
    assert entry.severity in SEVERITIES
    for lang in LANGS:
        texts = entry.texts[lang]
        assert texts.title and texts.explanation and texts.advice
    assert entry.placeholders("en") == entry.placeholders("ja")


def test_ids_are_dotted_and_stable_looking() -> None:
    for finding_id in CATALOG.entries:
        parts = finding_id.split(".")
        assert len(parts) >= 2 and all(p.replace("_", "").isalnum() for p in parts), finding_id


def test_every_catalog_id_has_a_case() -> None:
    assert set(CATALOG.entries) == set(CASES) | set(FOLDER_CASES)
    assert set(FOLDER_CASES) == FOLDER_IDS


@pytest.mark.parametrize("finding_id", sorted(CASES))
def test_case_fires_its_finding(finding_id: str) -> None:
    data, limits = CASES[finding_id]()
    result = scan_bytes(data, limits=limits)
    assert finding_id in {f.id for f in result.findings}


def test_placeholders_of_case_findings_are_filled() -> None:
    for finding_id, case in CASES.items():
        data, limits = case()
        for finding in scan_bytes(data, limits=limits).findings:
            if finding.id != finding_id:
                continue
            missing = CATALOG.entry(finding.id).placeholders("en") - set(finding.facts())
            assert missing == set(), f"{finding_id} lacks facts {missing}"


def test_unknown_id_fails_loudly() -> None:
    with pytest.raises(UnknownFindingError):
        CATALOG.entry("no.such.finding")


def test_ui_words_exist_in_both_languages() -> None:
    for section, table in CATALOG.ui.items():
        for name in table:
            for lang in LANGS:
                assert CATALOG.word(f"{section}.{name}", lang)


def test_fill_leaves_no_braces_for_missing_facts() -> None:
    assert fill("{a} and {b}", {"a": "x"}) == "x and -"


def test_the_lazy_catalog_reads_the_same_entries_as_a_whole_parse() -> None:
    import tomllib
    from pathlib import Path

    import mailcheck.catalog

    path = Path(mailcheck.catalog.__file__).with_name("findings.toml")
    whole = tomllib.loads(path.read_text(encoding="utf-8"))
    assert list(CATALOG.entries) == list(whole)
    for finding_id, raw in whole.items():
        entry = CATALOG.entry(finding_id)
        assert (entry.severity, entry.score) == (raw["severity"], raw["score"])
        assert entry.texts["ja"].advice == raw["ja"]["advice"]
