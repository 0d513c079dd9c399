"""PDF documents for tests, written with pypdf's writer, and hostile ones written by hand.

`build_pdf` makes a small valid document (a page of text, links, embedded files, actions)
through pypdf's low-level objects, so that it works with every pypdf the project accepts.
`raw_pdf` writes objects and a cross-reference table byte by byte, for shapes no writer
would produce: reference cycles, a hundred thousand annotations, dangling references.
Output is deterministic (pypdf writes no /ID unless it encrypts).
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Sequence

from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    PdfObject,
    StreamObject,
    TextStringObject,
)

Action = DictionaryObject


def _name(value: str) -> NameObject:
    return NameObject(value)


def _dict(**entries: PdfObject) -> DictionaryObject:
    out = DictionaryObject()
    for key, value in entries.items():
        out[NameObject(f"/{key}")] = value
    return out


# --- actions (ISO 32000-1 12.6.4) -------------------------------------------------------------


def launch(file: str, parameters: str = "") -> Action:
    """A /Launch action; with `parameters`, the Windows form (/Win /F /P)."""
    if parameters:
        win = _dict(F=TextStringObject(file), P=TextStringObject(parameters))
        return _dict(Type=_name("/Action"), S=_name("/Launch"), Win=win)
    return _dict(Type=_name("/Action"), S=_name("/Launch"), F=TextStringObject(file))


def javascript(code: str) -> Action:
    return _dict(Type=_name("/Action"), S=_name("/JavaScript"), JS=TextStringObject(code))


def uri(address: str) -> Action:
    return _dict(Type=_name("/Action"), S=_name("/URI"), URI=TextStringObject(address))


def remote(kind: str, target: str) -> Action:
    """/SubmitForm, /ImportData, /GoToR or /GoToE naming `target` as its file."""
    action = _dict(Type=_name("/Action"), S=_name(f"/{kind}"), F=TextStringObject(target))
    if kind == "GoToR":
        action[NameObject("/D")] = ArrayObject([NumberObject(0), _name("/Fit")])
    return action


# --- documents -------------------------------------------------------------------------------


def _content(text: str) -> DecodedStreamObject:
    stream = DecodedStreamObject()
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    lines = "".join(f"({line}) Tj 0 -16 Td " for line in escaped.splitlines())
    stream.set_data(f"BT /F1 12 Tf 72 760 Td {lines}ET".encode("latin-1", "replace"))
    return stream


def _rect(index: int) -> ArrayObject:
    top = 700 - 30 * index
    return ArrayObject([FloatObject(72), FloatObject(top), FloatObject(400), FloatObject(top + 20)])


def _file_spec(writer: PdfWriter, name: str, data: bytes) -> DictionaryObject:
    stream = StreamObject()
    stream._data = zlib.compress(data)
    stream[NameObject("/Type")] = _name("/EmbeddedFile")
    stream[NameObject("/Filter")] = _name("/FlateDecode")
    stream[NameObject("/Params")] = _dict(Size=NumberObject(len(data)))
    return _dict(
        Type=_name("/Filespec"),
        F=TextStringObject(name),
        UF=TextStringObject(name),
        EF=_dict(F=writer._add_object(stream)),
    )


def build_pdf(
    *,
    text: str = "",
    links: Sequence[str] = (),
    attachments: Sequence[tuple[str, bytes]] = (),
    annotation_files: Sequence[tuple[str, bytes]] = (),
    open_action: Action | None = None,
    page_actions: dict[str, Action] | None = None,
    link_actions: Sequence[Action] = (),
    document_scripts: Sequence[str] = (),
    field_scripts: dict[str, str] | None = None,
    password: str = "",
) -> bytes:
    """One A4 page of `text`, with link annotations to `links` (and to `link_actions`),
    files in the /EmbeddedFiles name tree (`attachments`) or in file-attachment annotations
    (`annotation_files`), an /OpenAction, page actions (/AA keys such as "/O"), document
    JavaScript, a text field with format scripts, and a user password."""
    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    font = _dict(Type=_name("/Font"), Subtype=_name("/Type1"), BaseFont=_name("/Helvetica"))
    page[NameObject("/Resources")] = _dict(Font=_dict(F1=writer._add_object(font)))
    page[NameObject("/Contents")] = writer._add_object(_content(text or " "))
    root = writer._root_object
    annotations = ArrayObject()
    actions = [uri(address) for address in links] + list(link_actions)
    for index, action in enumerate(actions):
        link = _dict(Type=_name("/Annot"), Subtype=_name("/Link"), Rect=_rect(index), A=action)
        link[NameObject("/Border")] = ArrayObject([NumberObject(0)] * 3)
        annotations.append(writer._add_object(link))
    for index, (name, data) in enumerate(annotation_files, len(actions)):
        note = _dict(
            Type=_name("/Annot"),
            Subtype=_name("/FileAttachment"),
            Rect=_rect(index),
            FS=_file_spec(writer, name, data),
            Contents=TextStringObject(name),
        )
        annotations.append(writer._add_object(note))
    if field_scripts:
        field = _dict(
            Type=_name("/Annot"),
            Subtype=_name("/Widget"),
            FT=_name("/Tx"),
            T=TextStringObject("Total"),
            Rect=_rect(len(annotations)),
            AA=_dict(**{key: javascript(code) for key, code in field_scripts.items()}),
        )
        reference = writer._add_object(field)
        annotations.append(reference)
        root[NameObject("/AcroForm")] = _dict(Fields=ArrayObject([reference]))
    if annotations:
        page[NameObject("/Annots")] = annotations
    if page_actions:
        page[NameObject("/AA")] = _dict(**{k.lstrip("/"): v for k, v in page_actions.items()})
    names = DictionaryObject()
    if attachments:
        pairs = ArrayObject()
        for name, data in attachments:
            pairs += [TextStringObject(name), writer._add_object(_file_spec(writer, name, data))]
        names[NameObject("/EmbeddedFiles")] = _dict(Names=pairs)
    if document_scripts:
        pairs = ArrayObject()
        for index, code in enumerate(document_scripts):
            pairs += [TextStringObject(f"script{index}"), writer._add_object(javascript(code))]
        names[NameObject("/JavaScript")] = _dict(Names=pairs)
    if names:
        root[NameObject("/Names")] = writer._add_object(names)
    if open_action is not None:
        root[NameObject("/OpenAction")] = writer._add_object(open_action)
    if password:
        writer.encrypt(password, algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- hostile documents, byte by byte ---------------------------------------------------------


def raw_pdf(objects: Sequence[bytes], *, root: int = 1, xref: bool = True) -> bytes:
    """Objects numbered from 1 (`objects[0]` is "1 0 obj"), a cross-reference table and a
    trailer naming `root` as the catalog. Without `xref`, the table and startxref are left
    out, as in damaged files that viewers repair."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    if not xref:
        return bytes(out + b"trailer\n<< /Root %d 0 R >>\n%%%%EOF\n" % root)
    start = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\n" % (len(objects) + 1, root)
    out += b"startxref\n%d\n%%%%EOF\n" % start
    return bytes(out)


def catalog(extra: bytes = b"", pages: int = 2) -> bytes:
    return b"<< /Type /Catalog /Pages %d 0 R %s >>" % (pages, extra)


def cyclic_pdf() -> bytes:
    """Every tree loops: pages whose kids are their parents, a name tree that is its own
    kid, actions whose /Next leads back to themselves, and a field that is its own kid."""
    return raw_pdf(
        [
            catalog(
                b"/OpenAction 5 0 R /Names << /JavaScript 7 0 R >> /AcroForm << /Fields [8 0 R] >>"
            ),
            b"<< /Type /Pages /Kids [3 0 R 2 0 R] /Count 1 >>",
            b"<< /Type /Pages /Kids [4 0 R 2 0 R 3 0 R] /Parent 2 0 R >>",
            b"<< /Type /Page /Parent 3 0 R /MediaBox [0 0 595 842] /Annots [9 0 R 9 0 R] >>",
            b"<< /S /JavaScript /JS (app.alert\\(1\\)) /Next 6 0 R >>",
            b"<< /S /JavaScript /JS (app.alert\\(2\\)) /Next [5 0 R 6 0 R] >>",
            b"<< /Kids [7 0 R] /Names [(a) 5 0 R] >>",
            b"<< /T (loop) /Kids [8 0 R] /AA << /K 5 0 R >> >>",
            b"<< /Type /Annot /Subtype /Link /Rect [0 0 1 1] /A 10 0 R /Parent 9 0 R >>",
            b"<< /S /URI /URI (https://www.example.com/) /Next 10 0 R >>",
        ]
    )


def many_annotations_pdf(count: int) -> bytes:
    """One page with `count` link annotations, each its own object, the last one a /Launch."""
    annotation = (
        b"<< /Type /Annot /Subtype /Link /Rect [0 0 1 1]"
        b" /A << /S /URI /URI (https://example.com/%d) >> >>"
    )
    objects = [catalog(), b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"]
    refs = b" ".join(b"%d 0 R" % (4 + i) for i in range(count))
    objects.append(
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [" + refs + b"] >>"
    )
    objects += [annotation % i for i in range(count - 1)]
    objects.append(
        b"<< /Type /Annot /Subtype /Link /Rect [0 0 1 1] /A << /S /Launch /F (cmd.exe) >> >>"
    )
    return raw_pdf(objects)


def deep_pdf(depth: int) -> bytes:
    """An /OpenAction whose value is an array nested `depth` levels deep."""
    nested = b"[" * depth + b"]" * depth
    return raw_pdf([catalog(b"/OpenAction 3 0 R"), b"<< /Type /Pages /Kids [] /Count 0 >>", nested])


def long_chain_pdf(count: int) -> bytes:
    """An /OpenAction followed by a /Next chain of `count` distinct actions."""
    objects = [catalog(b"/OpenAction 3 0 R"), b"<< /Type /Pages /Kids [] /Count 0 >>"]
    for i in range(count):
        objects.append(b"<< /S /URI /URI (https://example.com/%d) /Next %d 0 R >>" % (i, 4 + i))
    objects.append(b"<< /S /Launch /F (cmd.exe) >>")
    return raw_pdf(objects)


def bomb_pdf(size: int, name: str = "invoice.doc") -> bytes:
    """A document embedding `name`: `size` zero bytes, Flate-compressed (a decompression bomb)."""
    engine = zlib.compressobj(9)
    block = bytes(1024 * 1024)
    packed = b"".join(engine.compress(block) for _ in range(size // len(block)))
    packed += engine.compress(bytes(size % len(block))) + engine.flush()
    return raw_pdf(
        [
            catalog(b"/Names << /EmbeddedFiles << /Names [(%s) 4 0 R] >> >>" % name.encode()),
            b"<< /Type /Pages /Kids [] /Count 0 >>",
            b"<< /Type /EmbeddedFile /Filter /FlateDecode /Length %d >>\nstream\n" % len(packed)
            + packed
            + b"\nendstream",
            b"<< /Type /Filespec /F (%s) /EF << /F 3 0 R >> >>" % name.encode(),
        ]
    )
