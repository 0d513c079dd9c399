"""Passwords as a person reads them (issue: payloads that slip past): from HTML-only mail (tags,
`<br>`, entities, a picture's alt text), in the languages and short forms senders use, and a
locked archive behind more decoys than the tries is never a silent clean."""

from __future__ import annotations

import base64
import time

import pytest
from cases import with_attachment
from cases_containers import tiny_exe, zipcrypto_zip
from conftest import eml

from mailcheck.api import scan_bytes
from mailcheck.containers.passwords import candidates, readable
from testkit.pdf import build_pdf

PASSWORD = "Kx82Lm"


def html_with_zip(html: str, archive: bytes, name: str = "invoice.zip") -> bytes:
    """An HTML-only message (no text part) with `archive` attached."""
    encoded = base64.encodebytes(archive).decode().replace("\n", "\r\n")
    body = (
        "--B\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"<html><body>{html}</body></html>\r\n--B\r\n"
        f'Content-Type: application/zip; name="{name}"\r\nContent-Transfer-Encoding: base64\r\n'
        f'Content-Disposition: attachment; filename="{name}"\r\n\r\n{encoded}--B--\r\n'
    )
    return eml(
        "From: Billing <billing@vendor.example>",
        "To: user@corp.example.com",
        "Subject: Invoice",
        "MIME-Version: 1.0",
        body=body,
        content_type='multipart/mixed; boundary="B"',
    )


@pytest.mark.parametrize(
    "html",
    [
        f"<p>添付ファイルのパスワード：{PASSWORD}<br>よろしくお願いいたします。</p>",
        f"<p>Password: {PASSWORD}</p><p>Regards</p>",
        f"<div>ZIP password&nbsp;:&nbsp;<b>{PASSWORD}</b></div>",
        f'<p>The file is attached.</p><img src="cid:pw" alt="Password: {PASSWORD}">',
        f"<table><tr><td>Passwort</td></tr><tr><td>{PASSWORD}</td></tr></table>",
    ],
)
def test_a_password_in_html_only_mail_opens_the_archive(html: str) -> None:
    archive = zipcrypto_zip([("invoice.exe", tiny_exe())], PASSWORD)
    result = scan_bytes(html_with_zip(html, archive))
    ids = {f.id for f in result.findings}
    assert "attachment.archive_password_in_body" in ids
    assert "attachment.executable" in ids and result.verdict.label == "malicious"


def test_a_benign_archive_with_its_password_in_html_stays_clean() -> None:
    # A real quotation (PDFs are opened now: a stub would be a damaged one, and unchecked).
    archive = zipcrypto_zip([("見積書.pdf", build_pdf(text="Quotation No. 1024"))], PASSWORD)
    html = f"<p>お見積書を送付いたします。<br>パスワード：{PASSWORD}</p>"
    result = scan_bytes(html_with_zip(html, archive, "mitsumori.zip"))
    assert "attachment.archive_password_in_body" in {f.id for f in result.findings}
    assert result.verdict.label == "clean"


@pytest.mark.parametrize(
    "line",
    [
        f"Dateipasswort: {PASSWORD}",
        f"Kennwort: {PASSWORD}",
        f"Mot de passe : {PASSWORD}",
        f"Contraseña: {PASSWORD}",
        f"Senha: {PASSWORD}",
        f"Wachtwoord: {PASSWORD}",
        f"密码：{PASSWORD}",
        f"비밀번호: {PASSWORD}",
        f"Archive code: {PASSWORD}",
        f"PW: {PASSWORD}",
        f"PIN: {PASSWORD}",
        f"解凍キー：{PASSWORD}",
    ],
)
def test_password_wordings_in_other_languages_and_short_forms(line: str) -> None:
    assert candidates("", [f"Hello,\n{line}\nRegards\n"])[:1] == (PASSWORD,)


@pytest.mark.parametrize(
    "prose",
    [
        "Please pin this to the board; we pass the salt.",
        "The access code of the building is on the badge.",  # no separator after the words
        "<p>Your <b>password</b> was changed yesterday.</p>",
    ],
)
def test_prose_that_mentions_the_words_gives_no_candidate(prose: str) -> None:
    assert candidates("", [prose]) == ()


def test_html_reads_as_a_client_shows_it() -> None:
    text = readable(
        "<style>p{x:1}</style><p>A&amp;B<br>C</p><script>var p='Password: no'</script>"
        '<img alt="alt text" src="x">'
    )
    assert text.split() == ["A&B", "C", "alt", "text"]


def test_decoys_past_the_tries_never_leave_a_locked_archive_clean() -> None:
    # A harmless member name: only the bound on tries can keep this from a silent clean.
    decoys = "".join(f"ZIP password: Decoy{n:02d}x\r\n" for n in range(24))
    archive = zipcrypto_zip([("notes.txt", b"hello")], "Real-Pass9")
    text = decoys + "ZIP password: Real-Pass9\r\n"
    result = scan_bytes(with_attachment(archive, "files.zip", "application/zip", text=text))
    ids = {f.id for f in result.findings}
    assert "limit.max_password_tries" in ids
    assert "attachment.encrypted_macro_document" not in ids
    assert result.verdict.label == "suspicious" and result.verdict.incomplete


def test_unclosed_tags_cannot_stall_the_harvest() -> None:
    # "<a<a<a…" made the HTML parser rescan to the end from every "<": seconds per message.
    markup = "<p>Password: Kx82Lm</p><p>" + "<a" * 100_000
    started = time.monotonic()
    found = candidates("", [markup])
    assert time.monotonic() - started < 5  # a hang guard, not a speed target
    assert "Kx82Lm" in found


# --- decoys: hidden ones are not read, the emphasised one is tried first ---------------------

DECOYS = 24  # more than the default 20 tries


@pytest.mark.parametrize(
    "style",
    [
        "display:none",
        "visibility: hidden",
        "font-size:0px",
        "color:#ffffff",
        "mso-hide:all",
    ],
)
def test_decoys_hidden_by_style_are_not_read(style: str) -> None:
    decoys = "".join(f'<p style="{style}">ZIP password: Decoy{i:02d}x</p>' for i in range(DECOYS))
    html = f"<p>請求書を添付します。</p>{decoys}<p>ZIPパスワード：{PASSWORD}</p>"
    assert candidates("", [html]) == (PASSWORD,)
    archive = zipcrypto_zip([("invoice.exe", tiny_exe())], PASSWORD)
    result = scan_bytes(html_with_zip(html, archive))
    ids = {f.id for f in result.findings}
    assert "attachment.archive_password_in_body" in ids
    assert "limit.max_password_tries" not in ids
    assert result.verdict.label == "malicious"


def test_the_emphasised_password_is_tried_before_visible_decoys() -> None:
    decoys = "".join(f"<p>ZIP password: Decoy{i:02d}x</p>" for i in range(DECOYS))
    for mark in ("<b>{}</b>", '<span style="color:red">{}</span>', "<strong>{}</strong>"):
        html = f"<p>Invoice attached.</p>{decoys}<p>ZIP password: {mark.format(PASSWORD)}</p>"
        assert candidates("", [html])[0] == PASSWORD
    html = f"<p>Invoice attached.</p>{decoys}<p>ZIP password: <b>{PASSWORD}</b></p>"
    archive = zipcrypto_zip([("invoice.exe", tiny_exe())], PASSWORD)
    result = scan_bytes(html_with_zip(html, archive))
    password = next(f for f in result.findings if f.id == "attachment.archive_password_in_body")
    assert password.facts()["password"] == PASSWORD and password.facts()["tried"] == "1"
    assert result.verdict.label == "malicious"


def test_white_text_on_its_own_background_is_read() -> None:
    html = f'<td style="background:#003366;color:#fff">Password: {PASSWORD}</td>'
    assert candidates("", [html]) == (PASSWORD,)


def test_hidden_regions_end_where_their_element_ends() -> None:
    html = (
        f'<div style="display:none"><p>Password: Hidden1x</p><br></div><p>Password: {PASSWORD}</p>'
    )
    assert readable(html).split() == ["Password:", PASSWORD]
