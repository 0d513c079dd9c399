"""Folders that make each finding only an audit can see fire: the catalog meta-test's
evidence for the `audit.*` ids (a single message cannot show them)."""

from __future__ import annotations

from collections.abc import Callable

from cases import dropper_docm, with_attachment
from cases_containers import PASSWORD, aes_zip
from conftest import eml

Folder = list[tuple[str, bytes]]
FolderCase = Callable[[], Folder]


def mail(sender: str, subject: str, date: str, body: str = "Hello.\r\n", **extra: str) -> bytes:
    headers = [f"From: {sender}", "To: Hanako Sato <hanako@corp.example>", f"Subject: {subject}"]
    headers.append(f"Date: {date}")
    headers.extend(f"{name.replace('_', '-')}: {value}" for name, value in extra.items())
    return eml(*headers, body=body)


def ppap_folder(password_sender: str = "Ichiro Suzuki <suzuki@partner.example>") -> Folder:
    """An encrypted ZIP holding a macro document that downloads and runs a program, and
    no password in its mail; the password follows ten minutes later in a second mail."""
    archive = aes_zip([("請求書.docm", dropper_docm())], PASSWORD)
    locked = with_attachment(
        archive,
        "請求書.zip",
        "application/zip",
        "From: Ichiro Suzuki <suzuki@partner.example>",
        "Subject: 請求書送付の件",
        "Date: Tue, 01 Mar 2022 10:00:00 +0900",
        "Message-ID: <archive@partner.example>",
        text="請求書を送付します。パスワードは別途お送りします。\r\n",
    )
    password = mail(
        password_sender,
        "【パスワード】請求書送付の件",
        "Tue, 01 Mar 2022 10:10:00 +0900",
        body=f"先ほどのファイルのパスワードです。\r\nパスワード: {PASSWORD}\r\n",
    )
    return [("01-archive.eml", locked), ("02-password.eml", password)]


def many_names_folder() -> Folder:
    return [
        (f"{n:02d}.eml", mail(f"{name} <office@hijacked.example>", f"Re: {topic}", date))
        for n, (name, topic, date) in enumerate(
            [
                ("Taro Yamada", "見積書", "Tue, 01 Mar 2022 09:00:00 +0900"),
                ("Hanako Sato", "請求書", "Tue, 01 Mar 2022 09:05:00 +0900"),
                ("Jiro Tanaka", "発注書", "Tue, 01 Mar 2022 09:10:00 +0900"),
            ]
        )
    ]


def familiar_name_folder() -> Folder:
    usual = [
        (
            f"0{n}-usual.eml",
            mail(
                "Taro Yamada <taro.yamada@partner.example>",
                f"Update {n}",
                f"Tue, 0{n} Feb 2022 09:00:00 +0900",
            ),
        )
        for n in (1, 2, 3)
    ]
    new = mail(
        "Taro Yamada <t.yamada@elsewhere.example>",
        "Re: Update 3",
        "Tue, 01 Mar 2022 09:00:00 +0900",
    )
    return [*usual, ("04-new.eml", new)]


FOLDER_CASES: dict[str, FolderCase] = {
    "audit.password_in_other_message": ppap_folder,
    "audit.one_address_many_names": many_names_folder,
    "audit.familiar_name_new_address": familiar_name_folder,
}
