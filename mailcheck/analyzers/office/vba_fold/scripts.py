"""What the folder returns: ranked strings, the PowerShell scripts `-e` decodes to, the
form strings cleaned of the macro's fillers, and the URLs in all of them."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence

from .. import ps_fold
from .limits import MAX_CODE_CHARS, MAX_FORMS, MAX_STRINGS, MAX_TOTAL_CHARS, MAX_VALUE_CHARS

_TELLING = re.compile(
    r"https?:|\\\\|powershell|pwsh|\bcmd\b|mshta|rundll32|regsvr32|[wc]script|certutil"
    r"|bitsadmin|winmgmts|win32_process|\.(?:exe|dll|scr|hta|ps1|bat|vbs|js)\b"
    r"|downloadfile|downloadstring|new-object|invoke-",
    re.I,
)


_PS_ENCODED = re.compile(
    r"(?:powershell|pwsh)\b.{0,400}?(?<![\w-])[-/]e(?:c|n[a-z]{0,12})?\s+[\"']?"
    r"([A-Za-z0-9+/]{16,}={0,2})",
    re.I | re.S,
)


def decode_powershell(text: str) -> list[str]:
    """The scripts of `powershell -e <base64 UTF-16LE>` command lines in `text`."""
    scripts: list[str] = []
    for match in _PS_ENCODED.finditer(text[:MAX_VALUE_CHARS]):
        encoded = match.group(1)
        encoded += "=" * (-len(encoded) % 4)
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            continue
        script = raw[: len(raw) & ~1].decode("utf-16-le", "replace")
        readable = sum(c.isprintable() or c in "\r\n\t" for c in script)
        if script and readable >= 0.9 * len(script):
            scripts.append(script)
        if len(scripts) >= 4:
            break
    return scripts


def _ranked(found: dict[str, int]) -> list[str]:
    """Sinks' arguments first, then strings that look like commands or URLs, then longest;
    a string inside one already kept adds nothing."""
    order = sorted(found, key=lambda s: (found[s] + bool(_TELLING.search(s)), len(s)), reverse=True)
    kept: list[str] = []
    budget = MAX_TOTAL_CHARS // 4
    for text in order:
        if len(kept) >= MAX_STRINGS or budget < len(text):
            break
        if not any(text in other for other in kept):
            kept.append(text)
            budget -= len(text)
    return kept


def bounded_forms(forms: Sequence[str]) -> list[str]:
    """The form strings looked at: the first MAX_FORMS, each and all of them bounded."""
    out: list[str] = []
    total = 0
    for form in forms[:MAX_FORMS]:
        form = form[:MAX_VALUE_CHARS]
        total += len(form)
        if total > MAX_CODE_CHARS:
            break
        out.append(form)
    return out


def _filtered_forms(forms: Sequence[str], filters: dict[tuple[str, str], None]) -> list[str]:
    """Form strings with the fillers the macro removes from text it reads, removed."""
    out: list[str] = []
    for form in forms:
        cleaned = form
        for find, new in filters:
            if len(cleaned) + cleaned.count(find) * (len(new) - len(find)) > MAX_VALUE_CHARS:
                break
            cleaned = cleaned.replace(find, new)
        if cleaned != form:
            out.append(cleaned)
    return out


def _with_scripts(strings: list[str], literals: set[str], forms: Sequence[str]) -> tuple[str, ...]:
    """`strings`, each followed by the scripts its `powershell -e` decodes to; scripts
    encoded in plain literals and form strings (visible, but not readable) come first."""
    seen: set[str] = set(strings)

    def scripts(text: str) -> list[str]:
        new = [s for s in decode_powershell(text) if s not in seen]
        seen.update(new)
        return new

    visible = [t for t in sorted(literals) if "pwsh" in t.lower() or "powershell" in t.lower()]
    out = [s for text in [*visible, *forms][: MAX_STRINGS * 4] for s in scripts(text)]
    for text in strings:
        out += [text, *scripts(text)]
    return tuple(out[:MAX_STRINGS])


# Emotet lists its URLs joined by "@", "," or "*": those end a URL here.
_URL = re.compile(r"https?://[^\s\"'`<>()\[\]{}@,;|^*]{3,}", re.I)


def urls(strings: Sequence[str]) -> list[str]:
    """The http(s) URLs in `strings`, first seen first, without repeats; in PowerShell
    whose strings are cut up and formatted, the URLs of its folded text (ps_fold)."""
    found: dict[str, None] = {}
    for text in strings:
        readable = [text, ps_fold.simplify(text)] if ps_fold.looks_obfuscated(text) else [text]
        for variant in readable:
            for match in _URL.finditer(variant):
                found[match.group().rstrip(".")] = None
    return list(found)
