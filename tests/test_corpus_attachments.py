"""SpamAssassin's OLEVBMacro test mails end to end: ground truth by file name."""

from __future__ import annotations

import pytest
from conftest import corpus_dir

from mailcheck.api import ScanError, scan_path
from mailcheck.model import ScanResult

MACRO_IDS = {
    "attachment.macro",
    "attachment.macro.autoexec",
    "attachment.macro.autoexec_exec",
    "attachment.xlm_macro",
}


def scan(name: str) -> ScanResult:
    (result,) = list(scan_path(corpus_dir("macro-mail", "spamassassin") / name))
    assert not isinstance(result, ScanError)
    return result


def located(result: ScanResult, finding_id: str) -> set[str]:
    return {e.location for f in result.findings if f.id == finding_id for e in f.evidence}


@pytest.mark.parametrize("name", ["nomacro.eml", "goodcsv.eml"])
def test_negatives_have_no_macro_findings(name: str) -> None:
    result = scan(name)
    assert not MACRO_IDS & {f.id for f in result.findings}
    assert result.verdict.label == "clean"


def test_macro_workbook() -> None:
    assert located(scan("macro.eml"), "attachment.macro") == {"attachment 2/macro.xlsm"}


def test_auto_run_macro_names_its_trigger_but_a_message_box_is_not_malicious() -> None:
    result = scan("malicemacro.eml")
    macro = next(f for f in result.findings if f.id == "attachment.macro")
    assert macro.facts()["autoexec"] != "-"
    assert result.verdict.label != "malicious"


def test_renamed_macro_workbook_is_a_type_mismatch() -> None:
    result = scan("renamedmacro.eml")
    assert located(result, "attachment.type_mismatch") == {"attachment 2/renamed.jpg"}
    assert located(result, "attachment.macro") == {"attachment 2/renamed.jpg"}
    assert result.verdict.label == "suspicious"


def test_encrypted_document_opens_with_the_password_from_the_body() -> None:
    result = scan("encrypted.eml")
    hit = next(f for f in result.findings if f.id == "attachment.office_password_in_body")
    assert hit.facts()["password"] == "password"


def test_password_zip_opens_and_the_macro_inside_is_found() -> None:
    result = scan("zippwmacro.eml")
    hit = next(f for f in result.findings if f.id == "attachment.archive_password_in_body")
    assert hit.facts()["password"] == "sa"
    assert located(result, "attachment.macro") == {"attachment 2/macro.zip/macro.xlsm"}
    assert result.verdict.label == "suspicious"


def test_hyperlink_target_is_not_template_injection() -> None:
    result = scan("target_uri.eml")
    assert not {f.id for f in result.findings} & {
        "attachment.template_injection",
        "attachment.template_injection.file_share",
    }
