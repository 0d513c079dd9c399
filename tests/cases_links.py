"""Messages that link to payloads, and one case per link finding id (merged into
`cases.CASES` by tests/cases.py). All hosts and addresses are invented (.example, and IP
addresses from the documentation ranges)."""

from __future__ import annotations

from collections.abc import Callable

from conftest import eml

from mailcheck.limits import DEFAULT, Limits

Case = Callable[[], tuple[bytes, Limits]]

HIJACKED_FROM = "From: Ohno Kenji <ohno.k@hacked-shop.example>"
TO = "To: Alex Morgan <alex.morgan@corp.example.com>"
WP_ZIP = "https://blog.victim-bakery.example/wp-content/uploads/2022/03/invoice_0301.zip"


def text_mail(body: str, *headers: str, subject: str = "Invoice") -> bytes:
    """A plain-text mail (UTF-8, 8bit) from the hijacked mailbox unless `headers` say."""
    return eml(
        *(headers or (HIJACKED_FROM, TO)),
        f"Subject: {subject}",
        "Content-Transfer-Encoding: 8bit",
        body=body.replace("\n", "\r\n"),
        content_type="text/plain; charset=utf-8",
    )


def html_mail(html: str, *headers: str, subject: str = "Invoice") -> bytes:
    return eml(
        *(headers or (HIJACKED_FROM, TO)),
        f"Subject: {subject}",
        "Content-Transfer-Encoding: 8bit",
        body=f"<html><body>{html}</body></html>\r\n",
        content_type="text/html; charset=utf-8",
    )


def many_urls(count: int) -> bytes:
    """A body with `count` distinct URLs, the last one a payload link past any bound."""
    lines = "".join(f"https://site{i}.example/page/{i}\n" for i in range(count))
    return text_mail(lines + "https://late.example/wp-content/uploads/late.zip\n")


CASES: dict[str, Case] = {
    # A software download on a site that has nothing to do with the sender: a note only.
    "link.payload": lambda: (
        text_mail(
            "Hi,\n\nThe installer is here: https://downloads.toolvendor.example/setup/tool-2.1.zip\n",
            "From: Dana Lee <dana.lee@contoso.example.org>",
            TO,
        ),
        DEFAULT,
    ),
    "link.payload_suspicious_host": lambda: (
        text_mail(f"Please find the invoice here:\n{WP_ZIP}\n\nBest regards\n"),
        DEFAULT,
    ),
    # Emotet 2020: a script in a hacked WordPress site's folder serves the document.
    "link.suspicious_target": lambda: (
        text_mail("Please see the order:\nhttps://blog.victim-bakery.example/wp-admin/css/Q2/\n"),
        DEFAULT,
    ),
    "link.anchor_mismatch": lambda: (
        html_mail(
            '<p>Please sign in to review the order: <a href="https://login.evil-portal.example/s">'
            "https://partner.example.co.jp/orders</a></p>"
        ),
        DEFAULT,
    ),
    "limit.max_urls": lambda: (many_urls(DEFAULT.max_urls + 10), DEFAULT),
    # A Windows search window over a WebDAV share: the 2023 way to show a remote shortcut.
    "link.handler": lambda: (
        html_mail(
            '<p>請求書はこちらです: <a href="search-ms:query=invoice&amp;crumb=location:'
            '\\\\files.hacked-shop.example@SSL\\DavWWWRoot\\docs">請求書フォルダー</a></p>'
        ),
        DEFAULT,
    ),
}
