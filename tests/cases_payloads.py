"""One message per payload finding id (merged into `cases.CASES` by tests/cases.py)."""

from __future__ import annotations

import base64

from cases import Case, with_attachment

from mailcheck.limits import DEFAULT
from testkit.payloads import (
    HTA,
    JSCRIPT,
    build_cab,
    build_dll,
    build_lnk,
    build_one,
    build_pe_stub,
)

CMD = r"C:\Windows\System32\cmd.exe"
DROPPER_ARGUMENTS = (
    " " * 260 + r'/c findstr /b "rem" invoice.lnk > %TEMP%\x.vbs & cscript //nologo %TEMP%\x.vbs'
)


def encoded_name(name: str) -> str:
    """An RFC 2047 encoded word, as mailers write non-ASCII file names."""
    return "=?utf-8?b?" + base64.b64encode(name.encode("utf-8")).decode("ascii") + "?="


def dropper_lnk() -> bytes:
    return build_lnk(
        target=CMD,
        arguments=DROPPER_ARGUMENTS,
        icon=r"C:\Windows\System32\shell32.dll",
        show_command=7,
    )


def benign_lnk() -> bytes:
    return build_lnk(target=r"C:\Users\Public\report.pdf", working_dir=r"C:\Users\Public")


OCTET = "application/octet-stream"

CASES: dict[str, Case] = {
    "attachment.lnk": lambda: (with_attachment(dropper_lnk(), "invoice.lnk", OCTET), DEFAULT),
    "attachment.lnk_shortcut": lambda: (
        with_attachment(benign_lnk(), "report.lnk", OCTET),
        DEFAULT,
    ),
    "attachment.onenote_embedded": lambda: (
        with_attachment(build_one(HTA), "notes.one", "application/onenote"),
        DEFAULT,
    ),
    "attachment.onenote_files": lambda: (
        with_attachment(build_one(b"%PDF-1.4\n%%EOF\n"), "notes.one", "application/onenote"),
        DEFAULT,
    ),
    "attachment.onenote_unchecked": lambda: (
        with_attachment(build_cab([("a.one", build_one(HTA))], "lzx"), "nb.onepkg", OCTET),
        DEFAULT,
    ),
    # A DLL exporting xlAutoOpen, renamed: Excel loads it as an add-in whatever its name.
    "attachment.xll_addin": lambda: (with_attachment(build_dll(), "report.dat", OCTET), DEFAULT),
    "attachment.executable": lambda: (with_attachment(JSCRIPT, "invoice.js", OCTET), DEFAULT),
    "attachment.double_extension": lambda: (
        with_attachment(build_pe_stub(), "invoice.pdf.exe", OCTET),
        DEFAULT,
    ),
    "attachment.code_file": lambda: (
        with_attachment(b"WEB\r\n1\r\nhttps://files.example/q.php?id=1\r\n", "report.iqy", OCTET),
        DEFAULT,
    ),
    # Content-Type says a script, Content-Disposition says text.
    "attachment.name_conflict": lambda: (
        with_attachment(b"WScript.Echo(1)\r\n", "readme.txt", 'text/plain; name="readme.js"'),
        DEFAULT,
    ),
}
