"""Dropper traits in VBA source, and the p-code/source comparison behind VBA stomping.

MacroRaptor's rule (auto-run and write-or-execute) also matches ordinary business macros:
xlwings and VBA-Web call Shell, WScript.Shell and WinHttp, and any Workbook_Open that uses
CreateObject("Scripting.Dictionary") "executes". What Emotet-style droppers do and those
do not is narrower: download a file, start a living-off-the-land binary (PowerShell, mshta,
regsvr32...), create a process through WMI, write an executable, or hide their strings.
Plain `cmd /c` is deliberately not a trait: xlwings starts Python through it.

Pure functions on text; they run in the worker next to olevba, on bounded source.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .inspection import MAX_ITEMS, Trait, clip

# "pow" & "ershell" -> "powershell": droppers split their strings to dodge keyword scans.
_CONCAT = re.compile(r'"\s*[&+]\s*(?:_\s*\r?\n\s*)?"')
_STRING = re.compile(r'"((?:[^"\n]|"")*)"')

_DOWNLOADER = re.compile(
    r"\bURLDownloadToFile[AW]?\b|\bNet\.WebClient\b|\bDownload(?:File|String|Data)\b"
    r"|\bInvoke-WebRequest\b|\biwr\s+-?\w|\bStart-BitsTransfer\b|\bbitsadmin\b[^\n]*/transfer"
    r"|\bcertutil\b[^\n]*-urlcache",
    re.I,
)
# An HTTP request whose body is saved to disk: the VBA-only way to download a payload.
_HTTP_OBJECT = re.compile(r"XMLHTTP|WinHttp\.WinHttpRequest|ServerXMLHTTP", re.I)
_SAVE_BODY = re.compile(r"\.ResponseBody\b", re.I)
_SAVE_TO_DISK = re.compile(r"\.SaveToFile\b|\bOpen\b[^\n]*\bFor\s+Binary\b", re.I)
_LOLBIN = re.compile(
    r"\b(?:powershell|pwsh|mshta|rundll32|regsvr32|certutil|bitsadmin|msiexec|schtasks|wmic)"
    r"(?:\.exe)?\b|\b[wc]script(?:\.exe)?\s+(?://?\w+\s+)*[\"']?[a-z%\\]",
    re.I,
)
# Process creation through WMI; other WMI queries (Win32_PingStatus...) are business as usual.
_WMI_PROCESS = re.compile(r"\bWin32_Process(?:Startup)?\b", re.I)
_WRITE_CALL = re.compile(
    r"\.SaveToFile\b|\bCreateTextFile\b|\bFileCopy\b|\bCopyFile\b|\bURLDownloadToFile[AW]?\b"
    r"|\bOpen\b[^\n]*\bFor\s+(?:Binary|Output)\b",
    re.I,
)
_EXE_NAME = re.compile(
    r"\.(?:exe|dll|scr|pif|com|cpl|ocx|hta|vbs|vbe|js|jse|wsf|ps1|bat|cmd|lnk)\b", re.I
)
_CHR_CHAIN = re.compile(
    r"(?:\bChr[WB]?\$?\(\s*[\d\s+\-*/x&H]+\)\s*[&+]\s*(?:_\s*\r?\n\s*)?){8,}", re.I
)
_STRREVERSE = re.compile(r"\bStrReverse\s*\(\s*\"[^\"\n]{6,}\"", re.I)
_BASE64 = re.compile(r"\"(?:[A-Za-z0-9+/]{4}){30,}(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?\"")
_HEX = re.compile(r"\"(?:[0-9A-Fa-f]{2}){60,}\"")


def _first(pattern: re.Pattern[str], text: str) -> str:
    match = pattern.search(text)
    return clip(match.group(0), 80) if match else ""


def _strings(code: str) -> str:
    """The string literals of `code`, one per line (where command lines live)."""
    return "\n".join(m.group(1).replace('""', '"') for m in _STRING.finditer(code))


def dropper_traits(code: str) -> tuple[Trait, ...]:
    """The dropper traits present in VBA `code`, at most one excerpt per kind."""
    joined = _CONCAT.sub("", code)
    literals = _strings(joined)
    found: list[Trait] = []

    def add(kind: str, excerpt: str) -> None:
        if excerpt:
            found.append(Trait(kind=kind, excerpt=excerpt))

    download = _first(_DOWNLOADER, joined)
    if not download and _HTTP_OBJECT.search(joined) and _SAVE_BODY.search(joined):
        download = _first(_SAVE_TO_DISK, joined)
    add("downloader", download)
    add("lolbin", _first(_LOLBIN, literals))
    add("wmi_process", _first(_WMI_PROCESS, joined))
    for line in joined.splitlines():
        if _WRITE_CALL.search(line) and _EXE_NAME.search(_strings(line)):
            add("exe_drop", clip(line, 80))
            break
    add(
        "obfuscation",
        _first(_CHR_CHAIN, code)
        or _first(_STRREVERSE, joined)
        or _first(_BASE64, joined)
        or _first(_HEX, joined),
    )
    return tuple(found)


def recovered_traits(strings: Sequence[str]) -> tuple[Trait, ...]:
    """Dropper traits of strings a macro builds at run time (vba_fold) or reads from its
    forms, each matched as a literal of its own. Never `obfuscation`: a base64 or hex blob
    there is data that was already decoded or shown, not a string hidden in the source."""
    lines: list[str] = []
    for text in strings:
        flat = text.replace("\r", " ").replace("\n", " ")
        for variant in dict.fromkeys((flat, flat.replace("^", ""))):  # cmd's ^ escapes
            lines.append('x = "' + variant.replace('"', '""') + '"')
    return tuple(t for t in dropper_traits("\n".join(lines)) if t.kind != "obfuscation")


# pcodedmp prints one instruction per tab-indented line: "\tLd Name", "\tLitStr 0x0005 "abc"".
_NAME_OPS = frozenset({"ArgsCall", "ArgsLd", "St", "Ld", "MemSt", "Label"})
_TYPE_SUFFIX = "$%&!#@"


def _normalise(name: str) -> str:
    # VBA accepts `[Name]` for `Name` and a type suffix (`Left$`, `count%`) that the editor
    # may drop from the source: olevba's own comparison flags both as stomping.
    return name.strip("[]").rstrip(_TYPE_SUFFIX).lower()


def pcode_names(disassembly: str) -> dict[str, str]:
    """Identifiers and string literals the compiled p-code uses: normalised -> as written."""
    names: dict[str, str] = {}
    for line in disassembly.splitlines():
        if not line.startswith("\t"):
            continue
        op, _, args = line.strip().partition(" ")
        args = args.strip()
        if op in _NAME_OPS and args:
            args = args.removeprefix("(Call) ")
            name = args.split(None, 1)[0] if args else ""
            if name and not name.startswith("id_"):  # anonymous ids never appear in source
                names.setdefault(_normalise(name), name)
        elif op == "LitStr":
            _length, _, literal = args.partition(" ")
            if len(literal) >= 2 and literal[0] == literal[-1] == '"':
                quoted = '"' + literal[1:-1].replace('"', '""') + '"'
                names.setdefault(quoted.lower(), quoted)
    names.pop("", None)
    return names


# Names the compiler writes that the source need not spell: a collection's default member
# (`c(1)` compiles to a call of `Item`), `_Default`, `_NewEnum` behind `For Each`, `Value`
# behind a control's default property. A benign PowerPoint named `Item` and nothing else.
_IMPLICIT_MEMBERS = frozenset({"item", "_default", "_newenum", "value", "me"})


def stomped_names(disassembly: str, source: str) -> tuple[str, ...]:
    """P-code names absent from the source, when too many to be a parser quirk.

    Office runs the p-code when the VBA version matches, so a source that disagrees with it
    hides what really runs. Real stomping replaces whole modules: a single missing name
    (pcodedmp and the decompressor disagree on rare constructs) and names the compiler adds
    on its own are tolerated; a string literal the source lacks never is (that is where a
    hidden command line lives).
    """
    names = pcode_names(disassembly)
    text = source.lower()
    # Substring tests, as olevba does: lenient on purpose, stomping removes whole modules.
    missing = sorted(
        original
        for key, original in names.items()
        if key not in text and key not in _IMPLICIT_MEMBERS
    )
    literal = any(name.startswith('"') for name in missing)
    if not missing or (not literal and len(missing) < 2):
        return ()
    return tuple(clip(n, 60) for n in missing[:MAX_ITEMS])


def pcode_traits(disassembly: str) -> tuple[Trait, ...]:
    """Dropper traits in the p-code's string literals: what a stomped macro really does."""
    literals = [n for n in pcode_names(disassembly).values() if n.startswith('"')]
    return dropper_traits("\n".join(f"x = {literal}" for literal in literals))


# --- what the whole macro does, whatever its strings look like ----------------------------------

# Calls that run something. `Application.Run` runs another macro (business as usual), so a
# `.Run` is counted only on other objects.
_EXEC_CALL = re.compile(
    r"(?<![\w.])(?:VBA\.|Interaction\.)?\[?(?:Shell|ShellExecute[AW]?)\]?\b"
    r"|\.\[?(?:Run|Exec|Create|ShellExecute|ShellExecuteA|ShellExecuteW)\]?\b"
    r"|\bCallByName\b|\bExecuteExcel4Macro\b",
    re.I,
)
_APPLICATION_RUN = re.compile(r"\bApplication\s*\.\s*Run\b", re.I)
_WRITE_FILE = re.compile(
    r"\bPut\s*#|\bPrint\s*#|\.SaveToFile\b|\bCreateTextFile\b|\.Write(?:Text)?\b"
    r"|\bOpen\b[^\n]*\bFor\s+(?:Binary|Output|Append)\b",
    re.I,
)
_OWN_FILE = re.compile(
    r"\b(?:ActiveDocument|ThisDocument|ThisWorkbook|ActiveWorkbook)\.FullName\b", re.I
)
_READ_BYTES = re.compile(r"\bGet\s*#|\.LoadFromFile\b|\.ReadAll\b", re.I)
_ALLOCATE = re.compile(
    r"\bDeclare\b[^\n]*\b(?:VirtualAlloc(?:Ex)?|NtAllocateVirtualMemory|HeapCreate"
    r"|VirtualProtect)\b",
    re.I,
)
_COPY_MEMORY = re.compile(
    r"\b(?:RtlMoveMemory|RtlCopyMemory|WriteProcessMemory|CopyMemory)\b", re.I
)
# Ways to jump into copied bytes: a thread, an APC, or any API that calls back a pointer.
_RUN_MEMORY = re.compile(
    r"\b(?:CreateThread|CreateRemoteThread|QueueUserAPC|CallWindowProc[AW]?|SetTimer"
    r"|GrayString[AW]?|CertEnumSystemStore|Enum\w*(?:Formats|Locales|Windows|CodePages"
    r"|Languages|Info|Types|Families|Stores?|Procs?)[AW]?(?:Ex)?[AW]?)\b",
    re.I,
)
_XLM_CALL = re.compile(r"\b(?:CALL|REGISTER|EXEC)\s*\(", re.I)


def _exec_call(code: str) -> str:
    for match in _EXEC_CALL.finditer(code):
        start = max(0, match.start() - 14)
        if not _APPLICATION_RUN.search(code, start, match.end()):
            return clip(match.group(0), 40)
    return ""


def behaviour_traits(
    code: str, store_reads: Sequence[str], strings: Sequence[str]
) -> tuple[Trait, ...]:
    """Traits of what the macro does as a whole, so that dressing the strings cannot hide
    them: text the document keeps (a form control, the body, a variable) handed to a call
    that runs something; a file written from the document's own data or bytes and then run;
    shellcode copied into allocated memory and called; Excel 4.0 `CALL`/`REGISTER` run from
    VBA. `store_reads` are the stored values the folder saw the macro read (vba_fold);
    `strings` what it recovered."""
    found: list[Trait] = []
    runs = _exec_call(code)
    reads = ", ".join(key for key in store_reads[:3])
    if runs and store_reads:
        found.append(Trait(kind="stored_command", excerpt=clip(f"reads {reads}; {runs}", 80)))
    # Its own file counts when its bytes are read back (an archive appended to the document).
    own = _first(_OWN_FILE, code) if _READ_BYTES.search(code) else ""
    write = _first(_WRITE_FILE, code)
    if runs and write and (store_reads or own):
        source = reads or own
        found.append(
            Trait(kind="document_drop", excerpt=clip(f"{source} -> {write}; {runs}", 80))
        )
    if _ALLOCATE.search(code) and _COPY_MEMORY.search(code):
        jump = _first(_RUN_MEMORY, code)
        if jump:
            copy = _first(_COPY_MEMORY, code)
            found.append(Trait(kind="shellcode_runner", excerpt=clip(f"{copy}, {jump}", 80)))
    if re.search(r"\bExecuteExcel4Macro\b", code, re.I):
        called = next((s for s in [*strings, _strings(code)] if _XLM_CALL.search(s)), "")
        if called:
            found.append(Trait(kind="xlm_call", excerpt=clip(called, 80)))
    return tuple(found)
