"""Password candidates harvested from Japanese and English subjects and bodies."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailcheck.containers.passwords import MAX_CANDIDATES, candidates


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Japanese business mail (PPAP done wrong, and Emotet's copies of it)
        ("パスワード：Ab12#xy", "Ab12#xy"),
        ("パスワード: Ab12#xy", "Ab12#xy"),
        ("パスワードは Ab12 です", "Ab12"),
        ("パスワードはAb12です。", "Ab12"),
        ("パスワードは、Kp-77xz となります。", "Kp-77xz"),
        ("解凍パスワード：x9y8z7", "x9y8z7"),
        ("暗号化パスワード（半角英数字）：Kx8Pq2", "Kx8Pq2"),
        ("解凍パスワードは「xy 9」です", "xy 9"),
        ("パスワード『Zq9!』", "Zq9!"),
        ("添付ファイルのパスワードは【5577aa】です", "5577aa"),
        ("パス：abc123", "abc123"),
        ("パスは abc123 です", "abc123"),
        ("ＰＷ：ｐａｓｓ１２３", "pass123"),
        ("パスワード　Ab12Cd", "Ab12Cd"),
        ("ﾊﾟｽﾜｰﾄﾞ：Tk2024", "Tk2024"),
        ("暗証番号：8841", "8841"),
        ("> パスワード：Quoted1", "Quoted1"),
        ("パスワード：abc123(半角)", "abc123"),
        # English
        ("Password: sa", "sa"),
        ("password: hunter22", "hunter22"),
        ("The password is Xy99!", "Xy99!"),
        ("The password is: Xy99", "Xy99"),
        ("zip password - k9k9k9", "k9k9k9"),
        ("pwd=hunter2", "hunter2"),
        ("PW: 2024-INV", "2024-INV"),
        ("PASS: 7777", "7777"),
        ("Passcode: 4242", "4242"),
        ("Password for the attached file: Zz11", "Zz11"),
        ("The password for the invoice is Rt56", "Rt56"),
        ('Password: "open sesame"', "open sesame"),
        ("Archive password = Q1w2e3", "Q1w2e3"),
        ("The password is Abc123.", "Abc123"),
    ],
)
def test_password_phrasings(text: str, expected: str) -> None:
    assert candidates("", [text])[:1] == (expected,)


@pytest.mark.parametrize(
    "text",
    [
        "パスワード\n  Ab12#xy\n",
        "パスワード：\nAb12#xy",
        "解凍パスワードは以下の通りです。\n\nAb12#xy\n",
        "パスワードは下記になります\n「Ab12#xy」",
        "Password:\n\n  Ab12#xy\n",
        "The password is below:\nAb12#xy",
        "> パスワード\n> Ab12#xy",
    ],
)
def test_password_on_the_line_after_the_keyword(text: str) -> None:
    assert candidates("", [text]) == ("Ab12#xy",)


@pytest.mark.parametrize(
    "text",
    [
        "パスワードは別途お送りします。",
        "パスワードは別メールにてお知らせいたします。",
        "解凍パスワードは後ほど送付します\nよろしくお願いいたします。\n",
        "パスワードを入力してください",
        "パスワードの有効期限が近づいています",
        "パスワード変更のお知らせ",
        "パスポートの写しを添付します: AB1234",
        "コンパス：北を指す",
        "Your password will expire soon.",
        "Please reset your password at https://example.com/reset",
        "Password: https://example.com/reset",
        "The file is password-protected.",
        "Password reset requested",
        "Password Manager is enabled",
        "We passed the review; bypass: 1234",
        "password: (same as before)",
        "The password is the same as last time.",
        "Password:\n\nThank you for your order and have a nice day.",
        "Hello, the meeting is at 10:00 in room B12. Regards, Taro",
        "お世話になっております。請求書を送付いたします。",
        "Password: ********",
        'I have to pass "pci=bios,biosirq" to the kernel',
        "Please pass 2024-INV to accounting",
        "Tools such as password crackers).",
    ],
)
def test_ordinary_text_yields_no_password(text: str) -> None:
    assert candidates("", [text]) == ()


def test_full_width_password_is_kept_normalised_and_as_written() -> None:
    assert candidates("", ["パスワード：ＡＢ１２ｃｄ"]) == ("AB12cd", "ＡＢ１２ｃｄ")


def test_subject_is_searched_too() -> None:
    assert candidates("【解凍パスワード】Ab12", ["本文"]) == ("Ab12",)
    assert candidates("Re: 請求書 (PW: 5566)", []) == ("5566",)


def test_explicit_values_come_before_guesses_and_duplicates_go() -> None:
    body = "パスワード Zz998877\nパスワード：Ab12\nPW: 「Qq 1」\nパスワード：Ab12\n"
    assert candidates("", [body]) == ("Qq 1", "Ab12", "Zz998877")


def test_trailing_punctuation_is_tried_both_ways() -> None:
    assert candidates("", ["The password is Abc123."]) == ("Abc123", "Abc123.")


def test_candidates_are_bounded() -> None:
    body = "\n".join(f"パスワード：pw{i:03d}" for i in range(MAX_CANDIDATES + 50))
    found = candidates("", [body])
    assert len(found) == MAX_CANDIDATES
    assert found[0] == "pw000"


def test_large_text_is_fast() -> None:
    body = ("ordinary line with the word password in prose, nothing else\n" * 50_000)[:3_000_000]
    started = time.monotonic()
    assert candidates("", [body + "パスワード：zz9"]) == ()  # beyond what is read
    assert time.monotonic() - started < 10  # generous hang guard


@settings(max_examples=200, deadline=None)
@given(
    subject=st.text(max_size=200),
    texts=st.lists(st.text(max_size=2000), max_size=3),
)
def test_any_text_gives_a_bounded_tuple_of_strings(subject: str, texts: list[str]) -> None:
    found = candidates(subject, texts)
    assert isinstance(found, tuple) and len(found) <= MAX_CANDIDATES
    assert len(set(found)) == len(found)
    assert all(isinstance(c, str) and 0 < len(c) <= 64 for c in found)


_PASSWORD_LIKE = r"[A-Za-z#!$%&*+\-_]{1,10}[0-9][A-Za-z0-9#!$%&*+\-_]{0,10}"


@settings(max_examples=100, deadline=None)
@given(value=st.from_regex(_PASSWORD_LIKE, fullmatch=True))
def test_any_plausible_password_after_a_keyword_is_found_first(value: str) -> None:
    for text in (f"パスワード：{value}\n", f"Password: {value}", f"パスワード\n{value}\n"):
        assert candidates("", [text])[:1] == (value,)


def test_a_password_beside_the_attachment_ranks_before_decoys() -> None:
    decoys = "".join(f"Password: decoy{i:02d}\n" for i in range(40))
    body = decoys + "invoice.zip のパスワード：R3al!\n" + decoys
    assert candidates("", [body], ["invoice.zip"])[0] == "R3al!"
    # Without a line about the attachment the order is the text's own.
    assert candidates("", [decoys + "Password: R3al!\n"])[0] == "decoy00"
