"""Programs and scripts sent as attachments, and names that hide what a file is.

Windows decides how to open a file by its extension, so the name says whether a
double-click runs it; the bytes say whether it is really a program. A file counts as
executable when both agree (a `.js` file holding text, an `.exe` holding a PE) or when
the bytes alone are a native program (a PE is a payload whatever it is called). A `.txt`
that mentions PowerShell opens in Notepad and is not executable.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..extract import Item
from ..model import Evidence
from ..names import BINARY_EXTS as _BINARY_EXTS
from ..names import EXECUTABLE_EXTS, real_extension
from ..names import INSTALLER_EXTS as _INSTALLER_EXTS
from ..names import SCRIPT_EXTS as _SCRIPT_EXTS
from ..sniff import Sniffed
from .interface import AttachmentAnalyzer, AttachmentContext, Hit


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_NATIVE = {"pe": "PE", "elf": "ELF", "macho": "Mach-O"}
# What sniff may call the bytes of a file each kind of extension can actually run.
_RUNS_AS_BINARY = frozenset({"pe", "unknown"})
_RUNS_AS_INSTALLER = frozenset({"ole", "unknown"})
_RUNS_AS_SCRIPT = frozenset({"text", "script", "html", "xml", "unknown"})
# Script languages that Windows runs on a double-click (sniff's first extension for them).
_WINDOWS_SCRIPTS = {
    ".js": "JScript",
    ".vbs": "VBScript",
    ".ps1": "PowerShell",
    ".bat": "batch",
    ".hta": "HTA",
    ".wsf": "WSF",
}
# Extensions that make a name look like a document when the real extension is hidden.
_DECOY_EXTS = _words(
    ".pdf .doc .docx .docm .dot .xls .xlsx .xlsm .xlsb .ppt .pptx .pptm .rtf .odt "
    ".ods .txt .csv .xml .htm .html .eml .msg .one .jpg .jpeg .png .gif .bmp .tif "
    ".tiff .svg .mp3 .mp4 .wav .avi .mov .wmv .zip .rar .7z .lzh"
)
_DISGUISABLE_EXTS = EXECUTABLE_EXTS | {".lnk"}
_RLO = "\u202e"
_BIDI_END = "\u202c\u2069"
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_BLANK_RUN = re.compile(r"\s{3,}")


# Files Windows hands to something that runs or installs code on a double-click, with what
# sniff may call their bytes: Java runs a .jar, App Installer installs packages, a .reg is
# imported into the registry, a .settingcontent-ms runs its DeepLink command.
_RUNNABLE_BY_HANDLER = {
    ".jar": (frozenset({"zip"}), "Java archive"),
    **dict.fromkeys(
        _words(".appx .msix .appxbundle .msixbundle"), (frozenset({"zip"}), "app package")
    ),
    ".appinstaller": (frozenset({"xml", "text"}), "App Installer file"),
    ".reg": (frozenset({"text", "unknown"}), "registry file"),
    ".settingcontent-ms": (frozenset({"xml", "text"}), "settings shortcut"),
}


def _handled_as(
    table: dict[str, tuple[frozenset[str], str]], filename: str, sniffed: Sniffed
) -> str:
    """The label `table` gives the file's extension when its bytes are of a kind listed."""
    kinds, label = table.get(real_extension(filename), (frozenset(), ""))
    return label if sniffed.kind in kinds else ""


def _script_language(sniffed: Sniffed) -> str:
    if sniffed.kind != "script" or not sniffed.extensions:
        return ""
    return _WINDOWS_SCRIPTS.get(sniffed.extensions[0], "")


def executable_kind(filename: str, sniffed: Sniffed) -> str:
    """A short label for what would run ("PE", ".vbs (VBScript)"), or "" if nothing would."""
    if sniffed.kind in _NATIVE:
        return _NATIVE[sniffed.kind]
    ext = real_extension(filename)
    if ext in _INSTALLER_EXTS and (
        sniffed.kind in _RUNS_AS_INSTALLER or sniffed.mime == "application/x-msi"
    ):
        return f"{ext} (Windows Installer)"
    if ext in _BINARY_EXTS and sniffed.kind in _RUNS_AS_BINARY:
        return ext
    language = _script_language(sniffed)
    if ext in _SCRIPT_EXTS and sniffed.kind in _RUNS_AS_SCRIPT:
        return f"{ext} ({language})" if language else ext
    handler = _handled_as(_RUNNABLE_BY_HANDLER, filename, sniffed)
    if handler:
        return f"{ext} ({handler})"
    if not ext and language:  # an archive member without a name extension, say
        return language
    return ""


def visible(filename: str) -> str:
    """The name with invisible and direction-changing characters shown as [U+XXXX]."""
    name = _INVISIBLE.sub(lambda m: f"[U+{ord(m.group(0)):04X}]", filename)
    name = _BLANK_RUN.sub(lambda m: f" [{len(m.group(0))} blanks] ", name)
    return name if len(name) <= 200 else name[:199] + "…"


def shown_name(filename: str) -> str:
    """Roughly what a reader sees: an RLO run reversed, a hidden real extension dropped."""
    if _RLO in filename:
        head, _, rest = filename.partition(_RLO)
        end = min((i for i, ch in enumerate(rest) if ch in _BIDI_END), default=len(rest))
        shown = head + rest[:end][::-1] + rest[end + 1 :]
        return _INVISIBLE.sub("", shown)
    stem = filename.rstrip(" .").rpartition(".")[0]
    return _INVISIBLE.sub("", stem.rstrip())


def disguise(filename: str) -> str:
    """Why a name misleads: "rlo", "double", "padded", or "" when it does not."""
    if _RLO in filename:
        return "rlo"
    ext = real_extension(filename)
    if ext not in _DISGUISABLE_EXTS:
        return ""
    stem = filename.rstrip(" .").rpartition(".")[0]
    if real_extension(stem.rstrip(" ._-")) in _DECOY_EXTS:
        return "double"
    if _BLANK_RUN.search(stem[-3:] if len(stem) >= 3 else ""):
        return "padded"
    return ""


def _base_facts(item: Item) -> list[tuple[str, str]]:
    return [("attachment", item.path), ("filename", visible(item.filename) or "-")]


def executables(ctx: AttachmentContext) -> Iterator[Hit]:
    item = ctx.item
    if item.role == "body" or not item.data:
        return
    kind = executable_kind(item.filename, item.sniffed)
    if not kind:
        return
    yield Hit(
        id="attachment.executable",
        evidence=(
            Evidence(
                location=item.location,
                excerpt=f"{visible(item.filename) or '-'}: {kind}, {len(item.data):,} bytes",
                facts=(*_base_facts(item), ("kind", kind), ("size", str(len(item.data)))),
            ),
        ),
    )


# Files that fetch or run content through an Office or Windows component when opened, but
# that some businesses do exchange (a vendor's help file): suspicious, not malicious alone.
_CODE_FILES = {
    ".chm": (frozenset({"chm", "unknown"}), "compiled HTML help"),
    ".iqy": (frozenset({"text", "unknown"}), "Excel web query"),
}


def code_files(ctx: AttachmentContext) -> Iterator[Hit]:
    item = ctx.item
    label = _handled_as(_CODE_FILES, item.filename, item.sniffed)
    if item.role == "body" or not item.data or not label:
        return
    yield Hit(
        id="attachment.code_file",
        evidence=(
            Evidence(
                location=item.location,
                excerpt=f"{visible(item.filename)}: {label}",
                facts=(*_base_facts(item), ("kind", label)),
            ),
        ),
    )


def double_extensions(ctx: AttachmentContext) -> Iterator[Hit]:
    item = ctx.item
    if item.role == "body" or not item.filename:
        return
    trick = disguise(item.filename)
    if not trick:
        return
    shown = shown_name(item.filename)
    ext = real_extension(item.filename) or "-"
    yield Hit(
        id="attachment.double_extension",
        evidence=(
            Evidence(
                location=item.location,
                excerpt=f"{visible(item.filename)} shows as {shown!r}, opens as {ext}",
                facts=(
                    *_base_facts(item),
                    ("shown_name", shown or "-"),
                    ("real_extension", ext),
                    ("trick", trick),
                ),
            ),
        ),
    )


ANALYZERS = (
    AttachmentAnalyzer(
        name="payload.executable",
        emits=("attachment.executable",),
        run=executables,
    ),
    AttachmentAnalyzer(
        name="payload.code_file",
        emits=("attachment.code_file",),
        run=code_files,
    ),
    AttachmentAnalyzer(
        name="payload.double_extension",
        emits=("attachment.double_extension",),
        run=double_extensions,
    ),
)
