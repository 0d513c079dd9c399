"""A locked archive whose password "follows in another mail" (PPAP): a trait, in every
language the password harvest reads, and never on its own a reason to flag business mail."""

from __future__ import annotations

import pytest
from cases import eml, with_attachment
from cases_containers import PASSWORD, ZIP, plain_zip, zipcrypto_zip

from mailcheck.api import scan_bytes
from mailcheck.containers.passwords import promised_elsewhere

ID = "attachment.password_sent_separately"
PROMISES = [
    "パスワードは別途お送りします。",
    "解凍パスワードは後ほど別メールにてご連絡いたします。",
    "The password will follow in a separate email.",
    "Password to be sent in the next mail.",
    "Das Passwort folgt separat.",
    "Le mot de passe suivra dans un autre mail.",
    "La contraseña se enviará por separado.",
    "A senha será enviada em outro e-mail.",
    "Het wachtwoord wordt apart verstuurd.",
    "密码另行发送。",
    "비밀번호는 별도로 보내드립니다.",
]


@pytest.mark.parametrize("line", PROMISES)
def test_promise_is_read_in_each_language(line: str) -> None:
    assert promised_elsewhere([f"Hello,\n\n{line}\n"]) == line


def test_promise_in_html_and_on_the_next_line() -> None:
    html = "<p>ZIPファイルのパスワードは</p><p>別途お送りいたします。</p>"
    assert promised_elsewhere([html]) == "ZIPファイルのパスワードは"


@pytest.mark.parametrize(
    "text",
    [
        "Please reset your password.\nWe will send the report separately.\n\n\nThanks",
        "別途お見積りをお送りします。",  # "separately", but not about a password
        "Your password: Ab12cd",
    ],
)
def test_other_lines_are_not_a_promise(text: str) -> None:
    assert promised_elsewhere([text]) == ""


def _locked(text: str, name: str = "請求書.pdf", *headers: str) -> bytes:
    archive = zipcrypto_zip([(name, b"%PDF-1.4\n")], PASSWORD)
    return with_attachment(archive, "請求書.zip", ZIP, *headers, text=text)


def test_locked_archive_with_a_promise_is_a_trait_not_a_verdict() -> None:
    result = scan_bytes(_locked("請求書を送付します。\r\nパスワードは別途お送りします。\r\n"))
    hit = next(f for f in result.findings if f.id == ID)
    assert hit.evidence[0].location == "attachment 2/請求書.zip"
    assert hit.facts()["line"] == "パスワードは別途お送りします。"
    assert result.verdict.label == "clean"  # everyday PPAP: a trait, not a reason alone


def test_promise_with_locked_code_names_and_a_lookalike_sender_is_malicious() -> None:
    headers = ('From: "tanaka@partner.example.co.jp" <x@hacked.example>', "Subject: 請求書")
    text = "請求書を送付します。\r\nパスワードは別途お送りします。\r\n"
    result = scan_bytes(_locked(text, "請求書.doc", *headers))
    assert {ID, "attachment.encrypted_macro_document"} <= {f.id for f in result.findings}
    assert result.verdict.label == "malicious"


def test_no_promise_without_a_locked_archive_or_with_the_password_given() -> None:
    plain = with_attachment(
        plain_zip([("a.pdf", b"%PDF-1.4\n")]), "a.zip", ZIP, text="Password will follow separately."
    )
    assert ID not in {f.id for f in scan_bytes(plain).findings}
    given = _locked(f"パスワードは別途お送りします。\r\nパスワード：{PASSWORD}\r\n")
    assert ID not in {f.id for f in scan_bytes(given).findings}
    assert ID not in {f.id for f in scan_bytes(eml("From: a@example.com")).findings}
