"""OneNote sections (.one) that carry embedded files; a package's (.onepkg) sections are
opened by `containers.libarchive_formats` and come here one by one.

From December 2022 Emotet, Qakbot and others mailed OneNote notebooks with a script,
HTA, batch file or shortcut embedded behind a "double-click to view" picture. OneNote
keeps each embedded file as a FileDataStoreObject ([MS-ONESTORE] 2.6.13): a header GUID,
a 64-bit length, 12 unused bytes, the file, padding to 8 bytes and a footer GUID. Finding
those objects needs no other part of the format. Pictures are stored the same way and are
what ordinary notebooks hold, so images alone say nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from ..limits import Limits
from ..model import Evidence
from ..records import record
from ..sniff import sniff
from .interface import AttachmentContext, Hit

_HEADER_GUID = bytes.fromhex("e716e3bd65261145a4c48d4d0b7a9eac")  # {BDE316E7-2665-4511-...}
_FOOTER_GUID = bytes.fromhex("22a7fb71790f0b4abb13899256426b24")  # {71FBA722-0F79-4A0B-...}
_DATA_OFFSET = 16 + 8 + 4 + 8
_HEAD = 64 * 1024  # what is sniffed and searched for script markers
_MAX_EVIDENCE = 8
_NATIVE = {"pe": "PE", "elf": "ELF", "macho": "Mach-O", "lnk": "LNK"}
_SCRIPTS = {
    ".hta": "HTA",
    ".bat": "batch",
    ".vbs": "VBScript",
    ".js": "JScript",
    ".ps1": "PowerShell",
    ".wsf": "WSF",
    ".sh": "shell script",
    ".py": "Python",
}
_MARKERS = (
    "<hta:application",
    "<script",
    "wscript.shell",
    "wscript.createobject",
    "activexobject",
    "powershell",
    "@echo off",
    "cmd /c",
    "cmd.exe",
    "mshta",
)
_TEXTUAL = frozenset({"text", "html", "xml", "svg", "script", "unknown"})


@record
class Embedded:
    index: int
    label: str  # "HTA", "PE", "application/pdf"...
    dangerous: bool
    size: int
    sha256: str  # of the bytes present; "" when the object was damaged
    head: str  # the first bytes, printable ASCII only


def _printable(data: bytes, limit: int = 24) -> str:
    return "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in data[:limit])


def _marker(head: bytes) -> str:
    text = head.decode("latin-1").lower()
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or head.count(0) > len(head) // 4:
        text += "\n" + head.decode("utf-16-le", "replace").lower()
    return next((marker for marker in _MARKERS if marker in text), "")


def classify(head: bytes, whole: bytes | None) -> tuple[str, bool]:
    """(label, runs code) for one embedded file, from its bytes."""
    sniffed = sniff(whole if whole is not None else head)
    if sniffed.kind in _NATIVE:
        return _NATIVE[sniffed.kind], True
    if sniffed.kind == "script":
        return _SCRIPTS.get(sniffed.extensions[0] if sniffed.extensions else "", "script"), True
    if sniffed.kind in _TEXTUAL:
        marker = _marker(head)
        if marker:
            return f"{sniffed.mime} with {marker}", True
    return sniffed.mime, False


def embedded_files(data: bytes, limits: Limits) -> tuple[list[Embedded], bool]:
    """Every FileDataStoreObject in `data` up to the limits, and whether any were left out.

    A complete object (footer where its length says) is skipped over whole, so files
    nested inside it are not counted twice; after a damaged one the search resumes just
    past its header, and only its first bytes are looked at.
    """
    found: list[Embedded] = []
    pos = 0
    while True:
        at = data.find(_HEADER_GUID, pos)
        if at < 0:
            return found, False
        if len(found) >= limits.max_archive_members:
            return found, True
        start = at + _DATA_OFFSET
        declared = int.from_bytes(data[at + 16 : at + 24], "little")
        # The specification pads FileData to 8 bytes; OneNote itself writes no padding.
        footer = next(
            (
                end
                for end in (start + declared, start + declared + (-declared % 8))
                if data[end : end + 16] == _FOOTER_GUID
            ),
            -1,
        )
        complete = footer >= 0
        head = data[start : start + min(declared, _HEAD)]
        fits = complete and declared <= limits.max_member_bytes
        whole = data[start : start + declared] if fits else None
        label, dangerous = classify(head, whole)
        found.append(
            Embedded(
                index=len(found) + 1,
                label=label,
                dangerous=dangerous,
                size=declared,
                sha256=hashlib.sha256(whole).hexdigest() if whole is not None else "",
                head=_printable(head),
            )
        )
        pos = footer + 16 if complete else at + 16


def _summary(files: list[Embedded]) -> str:
    parts = [f"#{f.index} {f.label} ({f.size:,} B)" for f in files[:_MAX_EVIDENCE]]
    if len(files) > _MAX_EVIDENCE:
        parts.append(f"+{len(files) - _MAX_EVIDENCE} more")
    return "; ".join(parts)


def _evidence(location: str, path: str, files: list[Embedded], cut: bool) -> tuple[Evidence, ...]:
    common = [("attachment", path), ("files", _summary(files)), ("count", str(len(files)))]
    if cut:
        common.append(("more_not_read", "yes"))
    out: list[Evidence] = []
    for f in files[:_MAX_EVIDENCE]:
        facts = [
            *(common if not out else []),
            ("index", str(f.index)),
            ("type", f.label),
            ("size", str(f.size)),
            ("sha256", f.sha256 or "-"),
            ("head", f.head or "-"),
        ]
        excerpt = f"embedded file #{f.index}: {f.label}, {f.size:,} bytes, starts {f.head!r}"
        out.append(Evidence(location=location, excerpt=excerpt, facts=tuple(facts)))
    return tuple(out)


def notebooks(ctx: AttachmentContext) -> Iterator[Hit]:
    item = ctx.item
    data = item.data
    location = item.location
    if data.startswith(b"MSCF"):  # a .onepkg: its sections are members, each analysed alone
        return
    files, cut = embedded_files(data, ctx.limits)
    dangerous = [f for f in files if f.dangerous]
    if dangerous:
        yield Hit(
            id="attachment.onenote_embedded",
            evidence=_evidence(location, item.path, dangerous, cut),
        )
    others = [f for f in files if not f.dangerous and not f.label.startswith("image/")]
    if others:
        yield Hit(
            id="attachment.onenote_files", evidence=_evidence(location, item.path, others, cut)
        )
