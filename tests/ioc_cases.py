"""A folder of built attack mails and ham for the indicators to block (test_iocs.py)."""

from __future__ import annotations

import hashlib

from cases import dropper_docm, with_attachment
from cases_containers import JA_PASSWORD_BODY, PASSWORD, ZIP, tiny_exe, zipcrypto_zip
from cases_links import HIJACKED_FROM, TO, WP_ZIP, html_mail, text_mail
from cases_thread import attachment, hijack_ja
from conftest import SAMPLES
from folder_cases import mail

DOCM = "application/vnd.ms-word.document.macroEnabled.12"
HOSTILE_URL = "https://cdn.evil-files.example/d/it's\n=cmd|' /C calc'!A0.zip"
HOSTILE_NAME = "=cmd|' calc'!A0.exe"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def exe_zip() -> bytes:
    return zipcrypto_zip([("invoice.exe", tiny_exe())], PASSWORD)


def hostile_zip() -> bytes:
    return zipcrypto_zip([(HOSTILE_NAME, tiny_exe())], PASSWORD)


def attack_folder() -> list[tuple[str, bytes]]:
    """Three Emotet-style attacks (one sender twice), a hostile link and a hostile member
    name, and ham that must add nothing."""
    link = text_mail(
        f"Please find the invoice here:\n{WP_ZIP}\n\nBest regards\n",
        HIJACKED_FROM,
        TO,
        "Date: Tue, 01 Mar 2022 09:00:00 +0900",
    )
    again = text_mail(
        f"請求書はこちらです。\n{WP_ZIP}\n",
        "From: Kato <kato@other-hacked.example>",
        TO,
        "Date: Thu, 03 Mar 2022 18:30:00 +0900",
    )
    macro = hijack_ja(parts=[attachment(dropper_docm(), "請求書_0301.docm", DOCM)])
    locked = with_attachment(
        exe_zip(),
        "invoice.zip",
        ZIP,
        "From: Billing <billing@ppap-sender.example>",
        "To: Alex Morgan <alex.morgan@corp.example.com>",
        "Subject: 請求書",
        "Date: Wed, 02 Mar 2022 10:00:00 +0900",
        text=JA_PASSWORD_BODY,
    )
    hostile = html_mail(
        # The text shows the partner's real site: context, never an indicator.
        f'<p>Invoice: <a href="{HOSTILE_URL}">https://www.partner.example.jp/invoice.zip</a></p>',
        "From: Mallory <mallory@quote-trick.example>",
        TO,
        "Date: Fri, 04 Mar 2022 12:00:00 +0000",
    )
    hostile_name = with_attachment(
        hostile_zip(),
        "scan.zip",
        ZIP,
        "From: Trent <trent@formula-trick.example>",
        "To: Alex Morgan <alex.morgan@corp.example.com>",
        "Subject: scan",
        "Date: Fri, 04 Mar 2022 13:00:00 +0000",
        text=JA_PASSWORD_BODY,
    )
    ham_link = text_mail(
        "Hi,\n\nThe agenda is on https://www.partner.example.jp/events/2022.html\n",
        "From: Taro Yamada <yamada@partner.example.jp>",
        TO,
        "Date: Mon, 28 Feb 2022 10:00:00 +0900",
    )
    return [
        ("01-link.eml", link),
        ("02-hijacked-macro.eml", macro),
        ("03-password-zip.eml", locked),
        ("04-link-again.eml", again),
        ("05-hostile-link.eml", hostile),
        ("06-hostile-name.eml", hostile_name),
        ("10-ham-reply.eml", (SAMPLES / "03-genuine-reply.ja.eml").read_bytes()),
        ("11-ham-newsletter.eml", (SAMPLES / "04-newsletter.en.eml").read_bytes()),
        ("12-ham-link.eml", ham_link),
        ("13-ham.eml", mail("Kei <kei@corp.example.com>", "Lunch", "Tue, 01 Mar 2022 12:00 +0900")),
    ]
