"""Attacker-controlled message text made safe to print, defanged and writable: the ground
floor every layer borrows from (analyzers, renderers, the audit's reports, the commands).

Subjects, names, file names and excerpts come straight from the message. Printed raw they
could move the cursor or recolour the terminal (ESC/CSI sequences), disguise a name with
bidi overrides ("invoice\u202efdp.exe" shows as "invoiceexe.pdf"), or put a clickable
malicious link in front of the reader; header bytes kept as surrogate escapes cannot be
written as UTF-8 at all. Every function here is pure, linear and never raises.
"""

from __future__ import annotations

import re

ELLIPSIS = "…"

_WHITESPACE_RUN = re.compile(r"[\t\n\r]+")


def _build_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    # C0, DEL and C1 (C1 includes the one-byte CSI U+009B, as dangerous as ESC "[").
    for code in (*range(0x00, 0x20), *range(0x7F, 0xA0)):
        table[code] = None
    # Line/paragraph separators break lines in some terminals, like \n.
    table[0x2028] = table[0x2029] = " "
    # Bidi embeddings/overrides/isolates, the Arabic letter mark, zero-width characters,
    # word joiner, invisible operators and deprecated format characters: all invisible,
    # all usable to make a name read differently from what it is.
    for code in (
        0x061C,
        *range(0x200B, 0x2010),
        *range(0x202A, 0x202F),
        *range(0x2060, 0x2065),
        *range(0x2066, 0x2070),
        0xFEFF,
    ):
        table[code] = None
    # Lone surrogates (from surrogateescape/surrogatepass decoding) cannot be encoded
    # for output; writing them would raise in the middle of a report.
    for code in range(0xD800, 0xE000):
        table[code] = "\ufffd"
    return table


_TABLE = _build_table()


def clean_text(text: str, max_len: int = 500) -> str:
    """One printable line: no control, bidi or zero-width characters, at most max_len."""
    if max_len <= 0:
        return ""
    # Cut early so a multi-megabyte header costs no more than a short one; the slack
    # leaves room for characters that the table removes.
    bound = max_len * 4 + 64
    cut = len(text) > bound
    if cut:
        text = text[:bound]
    text = _WHITESPACE_RUN.sub(" ", text).translate(_TABLE)
    if cut or len(text) > max_len:
        text = text[: max_len - 1] + ELLIPSIS
    return text


# scheme://[userinfo@]host[:port] -- the authority ends at the first path/query/fragment
# delimiter, whitespace, quote or bracket (so "<http://a.example>" stays well-formed).
_URL = re.compile(r"(h)(tt)(ps?)://([^\s/?#<>\"'`\\\[\]()]*)", re.IGNORECASE)
# Bare "www." hosts: terminals and mail clients linkify them too. Not after "@", a word
# character or a dot, so an address like taro@www.example.com stays readable.
_WWW = re.compile(r"(?<![\w@.])(www)\.([\w\-.\u3002\uff0e\uff61]+)", re.IGNORECASE)
# ASCII dot plus the ideographic/fullwidth/halfwidth dots that IDNA treats as dots.
_DOTS = re.compile(r"[.\u3002\uff0e\uff61]")


def _defang_url(match: re.Match[str]) -> str:
    h, tt, rest, authority = match.groups()
    xx = "XX" if tt.isupper() else "xx"
    userinfo, at, host = authority.rpartition("@")
    return f"{h}{xx}{rest}://{userinfo}{at}{_DOTS.sub('[.]', host)}"


def _defang_www(match: re.Match[str]) -> str:
    return match.group(1) + "[.]" + _DOTS.sub("[.]", match.group(2))


def defang(text: str) -> str:
    """hxxp(s):// and [.] in URL hosts so evidence is never a clickable link.

    Plain email addresses are left readable: the reader has to compare the real
    address, and an address is not something a terminal opens on a click.
    """
    return _WWW.sub(_defang_www, _URL.sub(_defang_url, text))


_SURROGATE = re.compile("[\ud800-\udfff]")
_BAD_SURROGATE = re.compile("[\ud800-\udc7f\udd00-\udfff]")

def raw_text(raw: str) -> str:
    """A raw header value fit for a report: surrogate-escaped bytes read as UTF-8 or U+FFFD.

    The stdlib keeps non-ASCII header bytes as lone surrogates, which no UTF-8 writer accepts.
    """
    if _SURROGATE.search(raw) is None:  # the common case, at C speed
        return raw
    raw = _BAD_SURROGATE.sub("\ufffd", raw)  # lone surrogates that are not escaped bytes
    return raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
