"""Real third-party messages (../shared/corpus): every one scans, none is called malicious."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import corpus_dir

from mailcheck.api import ScanError, scan_path
from mailcheck.model import ScanResult


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name != "SOURCE.txt")


def _scan_all(root: Path) -> tuple[list[ScanResult], list[ScanError]]:
    results: list[ScanResult] = []
    errors: list[ScanError] = []
    for path in _files(root):
        for outcome in scan_path(path):  # an exception here fails the test
            (errors if isinstance(outcome, ScanError) else results).append(outcome)
    return results, errors


# Real malware kept by a parser project as test input: one PE named sexy.scr ("here is my
# photo"), attached directly, zipped, or inline. Calling these malicious is the right answer.
KNOWN_MALICIOUS = {"sample_mime.eml", "sample_mime2.eml", "sample_mime_inline_binary.eml"}


@pytest.mark.parametrize(
    "folder",
    [
        "cpython_test_email",
        "enmime_testdata",
        "mail_gem_fixtures",
        "mime4j_testmsgs",
        "govcert_eml_parser",
    ],
)
def test_parser_corpus_scans_without_exception_and_nothing_is_malicious(folder: str) -> None:
    results, _errors = _scan_all(corpus_dir("parsers", folder))
    assert results, "no message in the folder was recognised"
    malicious = {Path(r.source.path).name for r in results if r.verdict.label == "malicious"}
    present = {Path(r.source.path).name for r in results} & KNOWN_MALICIOUS
    assert malicious == present


def test_msg_corpus_scans_without_exception_and_nothing_is_malicious() -> None:
    root = corpus_dir("msg")
    results: list[ScanResult] = []
    for path in sorted(root.rglob("*.msg")):
        for outcome in scan_path(path):
            if isinstance(outcome, ScanResult):
                results.append(outcome)
    assert len(results) > 50
    assert [r.source.path for r in results if r.verdict.label == "malicious"] == []
    formats = {r.source.format for r in results}
    assert formats == {"msg"}
    # Both kinds exist in the corpus: saved with transport headers, and without.
    missing = [r for r in results if any(f.id == "parse.no_transport_headers" for f in r.findings)]
    assert 0 < len(missing) < len(results)


def test_japanese_corpus_subjects_decode() -> None:
    root = corpus_dir("parsers", "mail_gem_fixtures")
    subjects = []
    for path in _files(root):
        if "multi_charset" not in str(path) and "japanese" not in path.name.lower():
            continue
        for outcome in scan_path(path):
            if isinstance(outcome, ScanResult):
                subjects.append(outcome.message.subject)
    assert subjects
    assert not [s for s in subjects if "\x1b" in s or "=?" in s.replace("=?=", "")]
