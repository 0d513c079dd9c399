"""Windows shortcuts (.lnk): the only module that imports LnkParse3.

Emotet and its successors mailed shortcuts (often inside ZIP or ISO files) whose target is
cmd.exe, PowerShell or a script host, with arguments padded by whitespace so that the
Properties dialog shows nothing. Any shortcut in a mail is odd; one that starts a command
interpreter is a payload.

LnkParse3 copies the remaining input once per extra-data block and per ID-list item, so
hostile files with thousands of tiny blocks cost quadratic time. The structure is therefore
measured first with a bounded walk of the [MS-SHLLINK] layout, and the parser only sees
the shortcut proper plus a small window of extra data.
"""

from __future__ import annotations

import itertools
import re
import warnings
from collections.abc import Iterator
from typing import Any

from ..model import Evidence
from ..records import record
from .interface import AttachmentContext, Hit

# LnkParse3 reports every oddity of a malformed file as a warning: data, not news.
warnings.filterwarnings("ignore", module=r"LnkParse3(\.|$)")

_HEADER_SIZE = 0x4C
_MAX_STRUCTURE = 1024 * 1024  # header + ID list + LinkInfo + strings handed to the parser
_EXTRA_WINDOW = 32 * 1024  # real extra data is a few KiB; beyond this it is not a shortcut
_MAX_EXTRA_BLOCKS = 64
_MAX_ID_ITEMS = 64
_RAW_SCAN = 256 * 1024  # fallback string search on unparsable shortcuts

# LinkFlags ([MS-SHLLINK] 2.1.1)
_HAS_ID_LIST, _HAS_LINK_INFO, _IS_UNICODE, _FORCE_NO_LINK_INFO = 0x1, 0x2, 0x80, 0x100
_STRING_FLAGS = (0x4, 0x8, 0x10, 0x20, 0x40)  # name, relative path, work dir, args, icon

_PROGRAMS = (
    "findstr|powershell|pwsh|cmd|mshta|wscript|cscript|rundll32|regsvr32|certutil|bitsadmin|"
    "curl|msiexec|wmic|forfiles|conhost"
)
_PROGRAM = re.compile(rf"(?<![\w.-])({_PROGRAMS})(?:\.exe)?(?![\w.-])|%(comspec)%", re.I)
_SCRIPT_EXT = re.compile(r"\.(?:vbs|vbe|js|jse|hta|bat|cmd|ps1|psm1|wsf|wsh)(?![\w-])", re.I)
_NAME_STOPS = frozenset(" \t\r\n\\/\"'=&|<>(),;:%")
_MAX_SCRIPT_MATCHES = 32
_PADDING_RUN = re.compile(r"\s{64,}")
_LONG_ARGUMENTS = 1024
_SHOW_MIN_NO_ACTIVE = 7


@record
class Shortcut:
    """What a shortcut would run, as far as it could be read. Strings may be empty."""

    parsed: bool
    error: str = ""
    target: str = ""
    arguments: str = ""
    working_dir: str = ""
    icon: str = ""
    description: str = ""
    show_command: int = 0
    appended_bytes: int = 0  # data after the end of the shortcut structure


# --- layout ----------------------------------------------------------------------------------


def _u16(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 2], "little")


def _u32(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 4], "little")


def _layout(data: bytes) -> tuple[int, int]:
    """(end of the string data, end of the extra data) by the declared sizes, unchecked."""
    flags = _u32(data, 0x14)
    pos = _HEADER_SIZE
    if flags & _HAS_ID_LIST:
        pos += 2 + _u16(data, pos)
    if flags & _HAS_LINK_INFO and not flags & _FORCE_NO_LINK_INFO:
        pos += max(_u32(data, pos), 4)
    width = 2 if flags & _IS_UNICODE else 1
    for bit in _STRING_FLAGS:
        if flags & bit:
            pos += 2 + _u16(data, pos) * width
    strings_end = pos
    for _ in range(_MAX_EXTRA_BLOCKS):
        size = _u32(data, pos)
        if size < 4 or pos + size > len(data):
            pos += 4  # the terminal block (or a damaged size): the structure ends here
            break
        pos += size
    return strings_end, pos


# --- LnkParse3 adapter -----------------------------------------------------------------------


def _text(obj: Any, accessor: str) -> str:
    """One LnkParse3 accessor; they unpack lazily, so each may raise on hostile data."""
    try:
        value = getattr(obj, accessor)()
    except Exception:
        return ""
    return value if isinstance(value, str) else ""


def _id_list_path(lnk: object) -> str:
    targets = getattr(lnk, "targets", None)
    if targets is None:
        return ""
    parts: list[str] = []
    try:
        for target in itertools.islice(iter(targets), _MAX_ID_ITEMS):
            try:
                item = target.as_item()
            except Exception:
                continue
            if not isinstance(item, dict):
                continue
            if isinstance(item.get("volume_name"), str):
                parts = [item["volume_name"].rstrip("\\")]
            elif isinstance(item.get("primary_name"), str):
                parts.append(item["primary_name"])
    except Exception:
        pass
    return "\\".join(parts) if len(parts) > 1 else ""


def _link_info_path(info: Any) -> str:
    """LinkInfo's local (or network) base path joined with its common suffix."""
    if info is None:
        return ""
    base = _text(info, "local_base_path_unicode") or _text(info, "local_base_path")
    if not base:
        base = _text(info, "net_name_unicode") or _text(info, "net_name")
    suffix = _text(info, "common_path_suffix_unicode") or _text(info, "common_path_suffix")
    if base and suffix:
        return base.rstrip("\\") + "\\" + suffix
    return base or suffix


def _environment_target(lnk: object) -> str:
    for extra in getattr(getattr(lnk, "extras", None), "data", ()):
        if type(extra).__name__ == "Environment":
            return _text(extra, "target_unicode") or _text(extra, "target_ansi")
    return ""


def read_shortcut(data: bytes) -> Shortcut:
    """Parse a shortcut from bytes. Never raises: a damaged file gives `parsed=False`."""
    if len(data) < _HEADER_SIZE:
        return Shortcut(parsed=False, error="shorter than a shortcut header")
    strings_end, end = _layout(data)
    appended = max(len(data) - end, 0)
    window = min(len(data), min(strings_end, _MAX_STRUCTURE) + _EXTRA_WINDOW)
    try:
        import LnkParse3  # type: ignore[import-untyped]  # loaded for shortcuts only

        lnk = LnkParse3.lnk_file(indata=data[:window])
        strings = lnk.string_data
    except Exception as exc:  # LnkParse3 raises struct/Index/Attribute errors on bad input
        return Shortcut(parsed=False, error=type(exc).__name__, appended_bytes=appended)
    relative = _text(strings, "relative_path")
    target = (
        _link_info_path(getattr(lnk, "info", None))
        or _environment_target(lnk)
        or _id_list_path(lnk)
        or relative
    )
    return Shortcut(
        parsed=True,
        target=target,
        arguments=_text(strings, "command_line_arguments"),
        working_dir=_text(strings, "working_directory"),
        icon=_text(strings, "icon_location"),
        description=_text(strings, "description"),
        show_command=_u32(data, 0x3C),
        appended_bytes=appended,
    )


# --- rules -----------------------------------------------------------------------------------


@record
class Signs:
    """What makes a shortcut a payload; each field is language-neutral data."""

    programs: tuple[str, ...]  # command interpreters and download/launch tools it starts
    scripts: tuple[str, ...]  # script files it names
    padded: bool  # arguments long or blank-padded enough to hide from the Properties dialog

    def __bool__(self) -> bool:
        return bool(self.programs or self.scripts or self.padded)


def _script_name(text: str, match: re.Match[str]) -> str:
    """The file name ending at a script extension (a bounded look back, never quadratic)."""
    end = match.start()
    start = end
    while start > max(end - 80, 0) and text[start - 1] not in _NAME_STOPS:
        start -= 1
    return text[start:end] + match.group(0)


def signs(command: str, arguments: str) -> Signs:
    programs = dict.fromkeys(
        (m.group(1) or "cmd").lower() + ".exe" for m in _PROGRAM.finditer(command)
    )
    matches = itertools.islice(_SCRIPT_EXT.finditer(command), _MAX_SCRIPT_MATCHES)
    scripts = dict.fromkeys(_script_name(command, m) for m in matches)
    padded = bool(_PADDING_RUN.search(arguments)) or len(arguments) > _LONG_ARGUMENTS
    return Signs(programs=tuple(programs)[:6], scripts=tuple(scripts)[:4], padded=padded)


def _raw_strings(data: bytes) -> str:
    """Readable text of a damaged shortcut: ASCII and both UTF-16 alignments."""
    head = data[:_RAW_SCAN]
    return "\n".join(
        (
            head.decode("latin-1"),
            head.decode("utf-16-le", "replace"),
            head[1:].decode("utf-16-le", "replace"),
        )
    )


def shorten(text: str, limit: int = 200) -> str:
    """One readable line: long whitespace runs named, not printed, and a bounded length."""
    text = _PADDING_RUN.sub(lambda m: f" [{len(m.group(0)):,} blank characters] ", text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shortcuts(ctx: AttachmentContext) -> Iterator[Hit]:
    item = ctx.item
    shortcut = read_shortcut(item.data)
    command = f"{shortcut.target} {shortcut.arguments}".strip()
    found = signs(command, shortcut.arguments)
    excerpt = shorten(command, 300)
    if not command:
        # Nothing usable was parsed: names in the raw bytes are the only evidence left.
        found = signs(_raw_strings(item.data), "")
        excerpt = "(no target could be read" + (", but its raw bytes name " if found else ")")
        if found:
            excerpt += ", ".join(found.programs + found.scripts) + ")"
    facts: list[tuple[str, str]] = [
        ("attachment", item.path),
        ("target", shorten(shortcut.target) or "-"),
        ("arguments", shorten(shortcut.arguments) or "-"),
        ("arguments_length", str(len(shortcut.arguments))),
        ("programs", ", ".join(found.programs) or "-"),
        ("scripts", ", ".join(found.scripts) or "-"),
    ]
    for key, value in (
        ("padded", "yes" if found.padded else ""),
        ("working_dir", shorten(shortcut.working_dir)),
        ("icon", shorten(shortcut.icon)),
        ("description", shorten(shortcut.description)),
        ("window", "minimized" if shortcut.show_command == _SHOW_MIN_NO_ACTIVE else ""),
        ("appended_bytes", str(shortcut.appended_bytes) if shortcut.appended_bytes else ""),
        ("parse_error", shortcut.error if not shortcut.parsed else ""),
    ):
        if value:
            facts.append((key, value))
    evidence = (Evidence(location=item.location, excerpt=excerpt, facts=tuple(facts)),)
    yield Hit(id="attachment.lnk" if found else "attachment.lnk_shortcut", evidence=evidence)
