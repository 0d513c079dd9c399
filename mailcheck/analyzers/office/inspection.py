"""What the isolated Office inspection returns: small frozen, picklable records.

The worker fills these from oletools and the zip/XML checks; the analyzer in the parent
process turns them into findings. No bytes of the document travel back, only short
strings (keywords, names, targets, excerpts), each already cut to a bounded length.
"""

from __future__ import annotations

from ...records import record

MAX_ITEMS = 12  # of each kind of evidence: enough to explain, bounded for reports
MAX_TEXT = 200  # characters of any single string taken from the document


def clip(text: str, limit: int = MAX_TEXT) -> str:
    """`text` without control characters, cut to `limit` characters."""
    cleaned = "".join(c if c.isprintable() else " " for c in text).strip()
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


@record
class Options:
    """Bounds for one inspection, derived from the scan's `Limits`."""

    max_part_bytes: int  # bytes read from any one zip member or OLE stream
    max_parts: int  # zip members looked at
    max_code_chars: int  # VBA source kept for the keyword and trait checks
    stomping: bool = True  # compare p-code with source


@record
class Trait:
    """Something Emotet-style droppers do that business macros do not (see vba_traits)."""

    kind: str  # downloader, lolbin, wmi_process, exe_drop, obfuscation, junk_arithmetic
    excerpt: str


@record
class VbaReport:
    modules: int
    autoexec: tuple[str, ...]  # olevba AutoExec keywords
    suspicious: tuple[str, ...]  # olevba Suspicious keywords
    raptor_autoexec: str  # MacroRaptor's first match of each class, "" if none
    raptor_write: str
    raptor_execute: str
    traits: tuple[Trait, ...]
    # Names the p-code uses that the source does not contain: the source was replaced.
    stomped: tuple[str, ...] = ()
    pcode_traits: tuple[Trait, ...] = ()  # dropper traits of the stomped p-code's strings
    # Strings the macro builds at run time (vba_fold), the most telling first, clipped, and
    # the URLs in them: what an obfuscated dropper would run and fetch.
    recovered: tuple[str, ...] = ()
    recovered_urls: tuple[str, ...] = ()

    @property
    def autoexec_exec(self) -> bool:
        """MacroRaptor's rule: runs by itself and can write files or execute."""
        return bool(self.raptor_autoexec and (self.raptor_write or self.raptor_execute))


@record
class XlmReport:
    """Excel 4.0 macro sheets: where, what starts them, which dangerous functions they call."""

    source: str  # biff (.xls), ooxml (.xlsm/.xlsx), xlsb, slk
    sheets: tuple[str, ...]  # "name (visibility)"
    auto_open: tuple[str, ...]  # defined names / labels that run a macro on open
    functions: tuple[str, ...]  # dangerous functions seen in formulas, upper case
    excerpt: str = ""  # the first formula calling one of them
    urls: tuple[str, ...] = ()  # URLs in the sheets' formulas: what the macro downloads


@record
class ExternalTarget:
    """A relationship (or RTF destination) that makes Office fetch something when opened."""

    relation: str  # attachedTemplate, oleObject, frame, subDocument, rtf-template...
    target: str
    part: str  # where it was declared, e.g. word/_rels/settings.xml.rels


@record
class SlideAction:
    """A PowerPoint action setting that starts a program (see slides.py)."""

    trigger: str  # click, mouse-over
    action: str  # ppaction://program, or "" for a plain hyperlink
    target: str  # what it runs or opens
    part: str  # the slide, e.g. ppt/slides/slide1.xml


@record
class DdeField:
    command: str
    source: str  # docx, xlsx, rtf, doc, xls


@record
class EmbeddedObject:
    class_name: str
    clsid: str
    filename: str  # a Package's file name, "" otherwise
    exploit: str  # e.g. "CVE-2017-11882 (Equation Editor)", "" when none is known


@record
class PackagedFile:
    """A file carried by an OLE Package object (Ole10Native): what double-clicking its icon
    in the document saves and opens. The one record that carries bytes back: it becomes a
    member of the document, analysed like an attachment."""

    name: str  # the file name the object gives, as stored (display only)
    source: str  # the path it was packaged from on the author's computer
    data: bytes  # at most `Options.max_part_bytes`
    size: int  # the size the object declares


@record
class OfficeReport:
    vba: VbaReport | None = None
    xlm: XlmReport | None = None
    external: tuple[ExternalTarget, ...] = ()
    dde: tuple[DdeField, ...] = ()
    objects: tuple[EmbeddedObject, ...] = ()
    actions: tuple[SlideAction, ...] = ()
    # (check, error) for each part of the inspection that raised on this input.
    errors: tuple[tuple[str, str], ...] = ()
    # (bound, detail) for each part that was cut or skipped at a bound.
    limits: tuple[tuple[str, str], ...] = ()
