"""One message per PDF finding id (merged into `cases.CASES` by tests/cases.py)."""

from __future__ import annotations

from cases import Case, limits, with_attachment

from mailcheck.limits import DEFAULT
from testkit.pdf import build_pdf, javascript, launch, many_annotations_pdf, uri

PDF = "application/pdf"
PASSWORD = "Kx9-p2mQ"


def pdf_mail(data: bytes, text: str = "請求書を送付いたします。\r\n") -> bytes:
    return with_attachment(data, "invoice.pdf", PDF, text=text)


CASES: dict[str, Case] = {
    "attachment.pdf_launch": lambda: (
        pdf_mail(build_pdf(text="Invoice", open_action=launch("cmd.exe", "/c calc.exe"))),
        DEFAULT,
    ),
    "attachment.pdf_javascript": lambda: (
        pdf_mail(build_pdf(text="Invoice", open_action=javascript("app.alert('Loading…');"))),
        DEFAULT,
    ),
    "attachment.pdf_script": lambda: (
        pdf_mail(build_pdf(text="Order form", field_scripts={"F": "AFNumber_Format(0);"})),
        DEFAULT,
    ),
    "attachment.pdf_auto_action": lambda: (
        pdf_mail(build_pdf(text="Invoice", open_action=uri("https://login.evil.example/s"))),
        DEFAULT,
    ),
    "attachment.pdf_encrypted": lambda: (
        pdf_mail(
            build_pdf(text="Invoice", password=PASSWORD), "パスワードは別途お送りします。\r\n"
        ),
        DEFAULT,
    ),
    "attachment.pdf_password_in_body": lambda: (
        pdf_mail(build_pdf(text="Invoice", password=PASSWORD), f"パスワード：{PASSWORD}\r\n"),
        DEFAULT,
    ),
    "attachment.pdf_unreadable": lambda: (
        pdf_mail(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catal"),  # cut in transit
        DEFAULT,
    ),
    "limit.max_pdf_objects": lambda: (
        pdf_mail(many_annotations_pdf(200)),
        limits(max_pdf_objects=50),
    ),
}
