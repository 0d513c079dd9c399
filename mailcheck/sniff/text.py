"""Text formats told by their content: mail, HTML, XML, shortcut files kept as text and
scripts (sniff.scripts), also behind padding, prose or a missing byte-order mark."""

from __future__ import annotations

import codecs
import re

from .kinds import _HEAD, Sniffed, _mk, _script

# --- text ------------------------------------------------------------------------------------

_CTRL = re.compile("[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f\ufffd]")
_FIELD = re.compile(r"([!-9;-~]+):")
_STRONG = frozenset(
    {
        "received",
        "return-path",
        "message-id",
        "mime-version",
        "delivered-to",
        "dkim-signature",
        "authentication-results",
        "x-mailer",
        "in-reply-to",
    }
)
_MAIL = _STRONG | {
    "from",
    "subject",
    "date",
    "to",
    "cc",
    "reply-to",
    "sender",
    "references",
    "content-type",
    "thread-topic",
    "x-originating-ip",
    "arc-seal",
}
_TRANSPORT = frozenset(
    {
        "received",
        "return-path",
        "message-id",
        "delivered-to",
        "to",
        "cc",
        "dkim-signature",
        "authentication-results",
    }
)
_HTML_TAGS = (
    "<!doctype html",
    "<html",
    "<head",
    "<body",
    "<script",
    "<iframe",
    "<meta",
    "<title",
    "<div",
    "<form",
    "<table",
    "<style",
    "<img",
    "<a href",
)


def _as_text(data: bytes) -> str | None:
    head = data[:_HEAD]
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if head.startswith(bom):
            text = head[len(bom) :].decode(codec, "replace")
            break
    else:
        if b"\x00" in head:
            # UTF-16 without a byte-order mark (PowerShell writes it): text in every other byte.
            if len(head) >= 16 and head[1::2].count(0) >= len(head) // 2 * 9 // 10:
                text = head[: len(head) // 2 * 2].decode("utf-16-le", "replace")
                return text if len(_CTRL.findall(text)) <= len(text) // 50 else None
            return None
        try:  # incremental, so a multi-byte character cut at _HEAD is not an error
            text = codecs.getincrementaldecoder("utf-8")().decode(head, final=len(data) <= _HEAD)
        except UnicodeDecodeError:
            text = head.decode("cp1252", "replace")  # legacy 8-bit text is still text
    return text if len(_CTRL.findall(text)) <= len(text) // 50 else None


def _headers(text: str) -> dict[str, str] | None:
    """The leading RFC 5322 header block as {name as written: value}, or None if there is none."""
    fields: dict[str, str] = {}
    last = ""
    lines = text.splitlines()[:300]
    if lines and lines[0].startswith("From "):  # mbox separator line
        lines = lines[1:]
    for line in lines:
        if not line.strip():
            break
        if line[0] in " \t" and last:
            fields[last] += " " + line.strip()
            continue
        match = _FIELD.match(line)
        if not match:
            return None
        last = match.group(1)
        fields.setdefault(last, line[match.end() :].strip())
    return fields or None


def _sniff_mail(fields: dict[str, str], text: str) -> Sniffed | None:
    names = {n.lower() for n in fields}
    known = names & _MAIL
    # Mail software writes canonical capitalised names; YAML/config keys are lower case.
    if not known or not any(n[0].isupper() for n in fields if n.lower() in _MAIL):
        return None
    ctype = " ".join(v for n, v in fields.items() if n.lower() == "content-type").lower()
    if not names & _TRANSPORT and (
        "multipart/related" in ctype or "QWN0aXZlTWltZQ" in text or "ActiveMime" in text
    ):
        return _mk("mht")  # saved web page / Word "single file web page": never transported
    if (len(known) >= 2 and known & _STRONG) or len(known) >= 3:
        return _mk("eml")
    return None


def _shebang_ext(body: str) -> str:
    parts = body[2:].split("\n", 1)[0].split()
    if parts and parts[0].endswith("/env"):
        parts = [p for p in parts[1:] if not p.startswith("-") and "=" not in p]
    prog = parts[0].rsplit("/", 1)[-1].lower() if parts else ""
    for prefix, ext in (
        ("python", ".py"),
        ("perl", ".pl"),
        ("ruby", ".rb"),
        ("node", ".js"),
        ("pwsh", ".ps1"),
        ("powershell", ".ps1"),
        ("php", ".php"),
    ):
        if prog.startswith(prefix):
            return ext
    return ".sh"


# Shortcut files kept as text: an INI file (.url, .scf, .desktop) whose first section is
# any header and which has the shortcut's section with its key, or Windows library / search
# XML by its root element. By content, so a .url renamed .txt or in an archive is found.
_INI_START = re.compile(r"(?:[;#][^\n]*\n\s*)*\[")
_INI_SECTION_KEY = r"^[ \t]*\[{}\][ \t]*\r?$(?:\n(?![ \t]*\[).*)*?\n[ \t]*{}[ \t]*="
_INI_SHORTCUTS = tuple(
    (kind, re.compile(_INI_SECTION_KEY.format(section, key), re.M))
    for kind, section, key in (
        ("internet-shortcut", "internetshortcut", "url"),
        ("scf", "shell", "(?:command|iconfile)"),
        ("desktop", "desktop entry", "(?:exec|url)"),
    )
)
_SHELL_XML = re.compile(
    r"(?:<\?xml[^>]{0,300}>\s*)?(?:<!--.{0,2000}?-->\s*)*"
    r"<(?:[\w.-]{1,32}:)?(?:librarydescription|searchconnectordescription|persistedquery)[\s>/]",
    re.S,
)


def _sniff_shortcut_text(low: str) -> Sniffed | None:
    if low.startswith("<"):
        return _mk("library-ms") if _SHELL_XML.match(low) else None
    if _INI_START.match(low):
        for kind, pattern in _INI_SHORTCUTS:
            if pattern.search(low):
                return _mk(kind)
    return None


def _sniff_text(data: bytes, scripts: bool) -> Sniffed | None:
    text = _as_text(data)
    if text is None:
        return None
    body = text.lstrip()
    low = body[:4096].lower()
    if body.startswith("#!"):
        return _script(_shebang_ext(body))
    fields = _headers(body)
    found = _sniff_mail(fields, text) if fields else None
    if found:
        return found
    found = _sniff_shortcut_text(body[:_HEAD].lower())
    if found:
        return found
    if "<hta:application" in low:
        return _script(".hta")
    if _is_scriptlet(data):  # behind any padding: regsvr32 runs it
        return _script(".sct")
    if re.match(r"(?:<\?xml[^>]*>\s*)?<(?:package|job)\b", low) and "<script" in low:
        return _script(".wsf")
    if low.startswith("<svg") or (low.startswith("<?xml") and "<svg" in low):
        return _mk("svg")
    if (
        "<!doctype html" in low[:1024]
        or "<html" in low[:1024]
        or (
            low.startswith("<")
            and not low.startswith("<?xml")
            and any(t in low for t in _HTML_TAGS)
        )
    ):
        return _mk("html")
    if low.startswith("<?xml") or (low.startswith("<") and "xmlns" in low[:1024]):
        return _mk("xml")
    if not scripts:
        return _mk("text")
    from .scripts import script_language  # attachments only: bodies never get here

    language = script_language(body)
    if not language and len(data) > _HEAD:
        # A script padded with prose or comments at the top hides from a look at its head:
        # look past its comment lines, at its middle and at its end (each a bounded read).
        windows = [_line_start(data, len(data) // 2), _line_start(data, len(data) - _HEAD)]
        if len(_COMMENT_LINE.findall(text)) * 2 >= text.count("\n"):
            windows.insert(0, _uncommented(data))
        for window in windows:
            decoded = _as_text(window)
            language = script_language(decoded) if decoded is not None else ""
            if language:
                break
    return _script(language) if language else _mk("text")


# A Windows Script Component (.sct/.wsc): a <scriptlet> or <component> element holding a
# <script language=...>; droppers pad the file with lines of symbols before it.
# Found script tag first, then the element looked for in the 64 KiB before it: a lazy
# `<component>.{0,65536}?<script` costs the square of the input on repeated elements.
_SCRIPT_LANGUAGE = re.compile(rb"<\s*script\s+language\s*=", re.I)
_COMPONENT = re.compile(rb"<\s*(?:scriptlet|component)\b[^<]{0,400}>", re.I)
_COMPONENT_REACH = 65536 + 400
_SCRIPT_TAGS = 16  # script tags looked behind


def _is_scriptlet(data: bytes) -> bool:
    for number, tag in enumerate(_SCRIPT_LANGUAGE.finditer(data, 0, _PADDING_SCAN)):
        if number >= _SCRIPT_TAGS:
            return False
        if _COMPONENT.search(data, max(0, tag.start() - _COMPONENT_REACH), tag.start()):
            return True
    return False


# Comment lines of batch (::, rem), VBScript ('), JScript and PowerShell (//, #).
_COMMENT_LINE = re.compile(r"^[ \t]*(?:::|@?rem\b|'|//|#)[^\n]*$", re.I | re.M)
# A line that is neither blank nor a comment: found by the regex engine, so a head of a
# million comment lines is skipped at C speed.
_CODE_LINE = re.compile(rb"^(?![ \t]*(?:::|@?rem\b|'|//|#))[ \t\r]*\S[^\n]*\n?", re.I | re.M)
_PADDING_SCAN = 4 * 1024 * 1024  # how far past a padded head the code is looked for


def _uncommented(data: bytes) -> bytes:
    """Up to `_HEAD` bytes of the lines that are not comments or blank, from the first
    `_PADDING_SCAN` bytes: the code a head of comment padding pushes out of view."""
    kept = bytearray()
    for line in _CODE_LINE.finditer(data, 0, _PADDING_SCAN):
        kept += line.group(0)
        if len(kept) >= _HEAD:
            break
    return bytes(kept[:_HEAD])


def _line_start(data: bytes, start: int) -> bytes:
    """`_HEAD` bytes of `data` from the first line that starts at or after `start`."""
    newline = data.find(b"\n", start, start + _HEAD)
    begin = newline + 1 if newline >= 0 else start
    return data[begin : begin + _HEAD]
