"""Excel 4.0 (XLM) macro sheets: what starts them and which dangerous functions they call.

Shared by the three places macro sheets live: BIFF8 .xls (oledump's plugin_biff output),
OOXML .xlsm/.xlsx (xl/macrosheets/*.xml, see ooxml.py) and SYLK. Pure text functions.
"""

from __future__ import annotations

import re

from .inspection import MAX_ITEMS, XlmReport, clip

# Excel runs a defined name starting with Auto_Open when the workbook opens, under its
# localised names too (French, Spanish/Portuguese, German, Italian, Dutch, Polish...);
# Auto_Close runs on closing, which droppers use as well.
_AUTO = re.compile(
    r"^(?:_xlnm\.)?auto_(?:open|ope\b|ouvrir|abrir|öffnen|oeffnen|aprire|openen|otwórz|otworz"
    r"|close|fermer|cerrar|schließen|schliessen|chiudere|sluiten|activate)",
    re.I,
)
# Functions that start programs or call into DLLs: the payload of every XLM dropper.
CRITICAL_FUNCTIONS = frozenset({"EXEC", "CALL", "REGISTER"})
_API = (
    "URLDownloadToFile[AW]?|ShellExecute[AW]?|WinExec|CreateProcess[AW]?|VirtualAlloc(?:Ex)?"
    "|WriteProcessMemory|CreateThread|RtlCopyMemory|DllRegisterServer"
)
_FUNCTION = re.compile(
    r"(?<![\w.])(EXEC|CALL|REGISTER|RUN|FORMULA(?:\.FILL|\.ARRAY)?|FOPEN|FWRITE(?:LN)?"
    r"|FILE\.DELETE|SET\.NAME|ON\.TIME|WORKBOOK\.HIDE)\s*\(|(?<![\w.])(" + _API + r")(?!\w)",
    re.I,
)


# A URL in a formula or a value the macro reads: what it downloads. Ends at a quote, a
# formula separator or markup.
_URL = re.compile(r"https?://[^\s\"'<>(),;&|^]{3,200}", re.I)


_CELL_URL = re.compile(rb"https?://[\x21-\x7e]{3,200}?(?=[\x00-\x20\x7f-\xff\"'<>]|$)", re.I)
_CELL_BYTES = 32 * 1024 * 1024
_NAMESPACE = re.compile(
    r"//(?:ns\.adobe\.com|schemas\.(?:openxmlformats\.org|microsoft\.com)|www\.w3\.org"
    r"|purl\.org|ns\.microsoft\.com)/",
    re.I,
)


def is_auto_open(name: str) -> bool:
    return bool(_AUTO.match(name.strip().strip("'\"")))


def functions_in(formula: str) -> list[str]:
    """Notable function names called (or DLL entry points named) in one formula."""
    out: list[str] = []
    for match in _FUNCTION.finditer(formula):
        name = match.group(1) or match.group(2)
        out.append(name.upper())
    return out


class Collector:
    """Accumulates one document's macro sheets, triggers and formulas, bounded."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.sheets: list[str] = []
        self.auto_open: list[str] = []
        self.functions: list[str] = []
        self.urls: list[str] = []
        self.excerpt = ""

    def sheet(self, name: str, visibility: str = "") -> None:
        label = clip(name, 60) + (f" ({visibility})" if visibility else "")
        if label not in self.sheets and len(self.sheets) < MAX_ITEMS:
            self.sheets.append(label)

    def name(self, name: str) -> None:
        label = clip(name, 60)
        if is_auto_open(name) and label not in self.auto_open and len(self.auto_open) < MAX_ITEMS:
            self.auto_open.append(label)

    def formula(self, text: str) -> None:
        found = functions_in(text)
        for function in found:
            if function not in self.functions and len(self.functions) < MAX_ITEMS:
                self.functions.append(function)
        if not self.excerpt and any(f in CRITICAL_FUNCTIONS for f in found):
            self.excerpt = clip(text, 120)
        for match in _URL.finditer(text[:65536]):
            url = clip(match.group().rstrip("."), 160)
            if url not in self.urls and len(self.urls) < MAX_ITEMS:
                self.urls.append(url)

    def cell_text(self, data: bytes) -> None:
        """URLs in the cell strings a macro sheet reads (BIFF's shared strings, OOXML's
        sharedStrings.xml): droppers keep their download list there, not in formulas.
        Schema and metadata namespaces (XMP in a picture) are not downloads."""
        for match in _CELL_URL.finditer(data[:_CELL_BYTES]):
            url = clip(match.group().decode("latin-1").rstrip("."), 160)
            if _NAMESPACE.search(url) or url in self.urls or len(self.urls) >= MAX_ITEMS:
                continue
            self.urls.append(url)

    def report(self) -> XlmReport | None:
        if not self.sheets:
            return None
        return XlmReport(
            source=self.source,
            sheets=tuple(self.sheets),
            auto_open=tuple(self.auto_open),
            functions=tuple(self.functions),
            excerpt=self.excerpt,
            urls=tuple(self.urls),
        )


# plugin_biff lines: "0085 ... BOUNDSHEET : ... - Excel 4.0 macro sheet, very hidden - Name",
# "0018 ... LABEL : ... - built-in-name 1 Auto_Open hidden len=...", "0018 ... - Name len=...",
# and CSV rows "sheet,cell,formula,value".
_BOUNDSHEET = re.compile(r"BOUNDSHEET\b.* - Excel 4\.0 macro sheet, ([\w ]+?) - (.*)$")
_LABEL = re.compile(r"^0018\s.*? - (?:built-in-name \d+ )?(\S+)")


def from_biff(lines: list[str], cells: bytes = b"") -> XlmReport | None:
    """`lines` from oledump's plugin_biff; `cells` the Workbook stream (its strings)."""
    collector = Collector("biff")
    collector.cell_text(cells)
    for line in lines:
        sheet = _BOUNDSHEET.search(line)
        if sheet:
            collector.sheet(sheet.group(2), sheet.group(1))
            continue
        label = _LABEL.match(line)
        if label:
            collector.name(label.group(1))
            continue
        collector.formula(line)
    return collector.report()


def from_slk(lines: list[str]) -> XlmReport | None:
    """olevba's lines for a SYLK file whose options mark it a macro sheet ("O;E")."""
    collector = Collector("slk")
    collector.sheet("SYLK")  # SYLK has no sheets: the file itself is the macro sheet
    for line in lines:
        head, _, rest = line.partition(": ")
        if head == "Named cell":
            collector.name(rest)
        elif head == "Formula or Macro":
            collector.formula(rest)
    return collector.report()
