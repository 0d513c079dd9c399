"""The VBA built-in functions the folder evaluates: string slicing and building,
conversions and the character functions, each returning None when the result is unknown."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Protocol

from ..codepage import HANDLER
from .limits import MAX_ARRAY_ITEMS, MAX_VALUE_CHARS
from .values import Value, _int_result, _integer, _numeric, text_of


class _Folder(Protocol):
    """What a built-in needs of the folder that calls it: a memory for the fillers a
    `Replace` or `Split` removes from text the folder cannot see."""

    def remember_filter(self, find: str, new: str) -> None: ...


Builtin = Callable[[_Folder, list[Value]], Value]



def _left(f: _Folder, a: list[Value]) -> Value:
    s, n = (text_of(a[0]), _integer(a[1])) if len(a) == 2 else (None, None)
    return None if s is None or n is None or n < 0 else s[:n]


def _right(f: _Folder, a: list[Value]) -> Value:
    s, n = (text_of(a[0]), _integer(a[1])) if len(a) == 2 else (None, None)
    if s is None or n is None or n < 0:
        return None
    return s[len(s) - n :] if n < len(s) else s


def _mid(f: _Folder, a: list[Value]) -> Value:
    if len(a) not in (2, 3):
        return None
    s, start = text_of(a[0]), _integer(a[1])
    length = _integer(a[2]) if len(a) == 3 else MAX_VALUE_CHARS
    if s is None or start is None or length is None or start < 1 or length < 0:
        return None
    return s[start - 1 : start - 1 + length]


def _chr(limit: int) -> Builtin:
    def chr_(f: _Folder, a: list[Value]) -> Value:
        code = _integer(a[0]) if len(a) == 1 else None
        if code is None:
            return None
        if limit > 0xFF and -0x8000 <= code < 0:  # ChrW(-1) is ChrW(&HFFFF)
            code += 0x10000
        if not 0 <= code <= limit:
            return None
        if code < 0x80 or limit > 0xFF:
            return chr(code)
        return bytes([code]).decode("cp1252", HANDLER)

    return chr_


def _asc(f: _Folder, a: list[Value]) -> Value:
    """The character code as `Asc` gives it: the ANSI (cp1252) byte where there is one."""
    s = text_of(a[0]) if len(a) == 1 else None
    if not s:
        return None
    try:
        return s[0].encode("cp1252")[0]
    except UnicodeEncodeError:
        # Windows keeps the five bytes cp1252 leaves undefined as the same code points;
        # any other character the code page lacks is "?", as VBA answers.
        return ord(s[0]) if ord(s[0]) < 0x100 else 63


def _ascw(f: _Folder, a: list[Value]) -> Value:
    s = text_of(a[0]) if len(a) == 1 else None
    return ord(s[0]) if s else None


def _len(f: _Folder, a: list[Value]) -> Value:
    s = text_of(a[0]) if len(a) == 1 else None
    return None if s is None else len(s)


def _replace(f: _Folder, a: list[Value]) -> Value:
    if not 3 <= len(a) <= 6:
        return None
    s, find, new = (text_of(v) for v in a[:3])
    start = _integer(a[3]) if len(a) > 3 and a[3] is not None else 1
    count = _integer(a[4]) if len(a) > 4 and a[4] is not None else -1
    text_compare = len(a) > 5 and _integer(a[5]) == 1
    if find is None or new is None or start is None or count is None or start < 1:
        return None
    if s is None:
        f.remember_filter(find, new)  # a filler removed from text the folder cannot see
        return None
    s = s[start - 1 :]
    if not find or count == 0:
        return s
    pattern = re.compile(re.escape(find), re.I if text_compare else 0)
    hits = len(pattern.findall(s)) if text_compare else s.count(find)
    replaced = hits if count < 0 else min(count, hits)
    if len(s) + replaced * (len(new) - len(find)) > MAX_VALUE_CHARS:
        return None
    if text_compare:
        return pattern.sub(lambda _match: new, s, count=max(count, 0))
    return s.replace(find, new, count)


def _unary_text(function: Callable[[str], str]) -> Builtin:
    def apply(f: _Folder, a: list[Value]) -> Value:
        s = text_of(a[0]) if len(a) == 1 else None
        return None if s is None else function(s)

    return apply


def _split(f: _Folder, a: list[Value]) -> Value:
    if not 1 <= len(a) <= 4:
        return None
    s = text_of(a[0])
    delimiter = text_of(a[1]) if len(a) > 1 and a[1] is not None else " "
    limit = _integer(a[2]) if len(a) > 2 and a[2] is not None else -1
    if delimiter is None or limit is None:
        return None
    if s is None:
        f.remember_filter(delimiter, "")  # Join(Split(form text, filler), "")
        return None
    if limit == 0:
        return ()
    if not delimiter or limit == 1:
        return (s,)
    parts = s.split(delimiter, limit - 1 if limit > 0 else -1)
    return tuple(parts) if len(parts) <= MAX_ARRAY_ITEMS else None


def _join(f: _Folder, a: list[Value]) -> Value:
    if not 1 <= len(a) <= 2 or not isinstance(a[0], tuple):
        return None
    delimiter = text_of(a[1]) if len(a) == 2 else " "
    if delimiter is None:
        return None
    size = sum(map(len, a[0])) + len(delimiter) * len(a[0])
    return delimiter.join(a[0]) if size <= MAX_VALUE_CHARS else None


def _array(f: _Folder, a: list[Value]) -> Value:
    items = [text_of(v) for v in a]
    return None if None in items else tuple(i for i in items if i is not None)


def _string(f: _Folder, a: list[Value]) -> Value:
    if len(a) != 2:
        return None
    n = _integer(a[0])
    c = a[1] if isinstance(a[1], str) else _chr(0xFFFF)(f, [a[1]])
    if n is None or not isinstance(c, str) or not c or not 0 <= n <= MAX_VALUE_CHARS:
        return None
    return c[0] * n


def _space(f: _Folder, a: list[Value]) -> Value:
    n = _integer(a[0]) if len(a) == 1 else None
    return None if n is None or not 0 <= n <= MAX_VALUE_CHARS else " " * n


def _instr(f: _Folder, a: list[Value]) -> Value:
    start: int | None = 1
    if len(a) >= 3 and isinstance(a[0], (int, float)):
        start, a = _integer(a[0]), a[1:]
    if len(a) not in (2, 3) or start is None or start < 1:
        return None
    s, find = text_of(a[0]), text_of(a[1])
    if s is None or find is None:
        return None
    return s.find(find, start - 1) + 1


def _environ(f: _Folder, a: list[Value]) -> Value:
    # What the variable stands for in a command line: %TEMP%\x.exe still names an .exe.
    name = text_of(a[0]) if len(a) == 1 else None
    return f"%{name}%" if name and len(name) < 64 else None


def _numeric_function(function: Callable[[float], float | int]) -> Builtin:
    def apply(f: _Folder, a: list[Value]) -> Value:
        number = _numeric(a[0]) if len(a) == 1 else None
        if number is None:
            return None
        try:
            return _int_result(function(number))
        except (ArithmeticError, ValueError):
            return None

    return apply


def _hex(f: _Folder, a: list[Value]) -> Value:
    n = _integer(a[0]) if len(a) == 1 else None
    return None if n is None else format(n & 0xFFFFFFFF if n < 0 else n, "X")


def _oct(f: _Folder, a: list[Value]) -> Value:
    n = _integer(a[0]) if len(a) == 1 else None
    return None if n is None else format(n & 0xFFFFFFFF if n < 0 else n, "o")


def _val(f: _Folder, a: list[Value]) -> Value:
    s = text_of(a[0]) if len(a) == 1 else None
    match = re.match(r"\s*[-+]?\d+(?:\.\d+)?", s or "")
    return 0 if s is not None and match is None else _numeric(match.group() if match else None)


def _identity(f: _Folder, a: list[Value]) -> Value:
    return a[0] if len(a) == 1 else None


def _cstr(f: _Folder, a: list[Value]) -> Value:
    return text_of(a[0]) if len(a) == 1 else None


_BUILTINS: dict[str, Builtin] = {
    "chr": _chr(0xFF),
    "chrb": _chr(0xFF),
    "chrw": _chr(0xFFFF),
    "asc": _asc,
    "ascw": _ascw,
    "ascb": _asc,
    "len": _len,
    "left": _left,
    "leftb": _left,
    "right": _right,
    "rightb": _right,
    "mid": _mid,
    "midb": _mid,
    "replace": _replace,
    "strreverse": _unary_text(lambda s: s[::-1]),
    "lcase": _unary_text(str.lower),
    "ucase": _unary_text(str.upper),
    "trim": _unary_text(lambda s: s.strip(" ")),
    "ltrim": _unary_text(lambda s: s.lstrip(" ")),
    "rtrim": _unary_text(lambda s: s.rstrip(" ")),
    "cstr": _cstr,
    "cvar": _identity,
    "split": _split,
    "join": _join,
    "array": _array,
    "string": _string,
    "space": _space,
    "instr": _instr,
    "environ": _environ,
    "val": _val,
    "hex": _hex,
    "oct": _oct,
    "cint": _numeric_function(round),
    "clng": _numeric_function(round),
    "clnglng": _numeric_function(round),
    "cbyte": _numeric_function(round),
    "cdbl": _numeric_function(float),
    "csng": _numeric_function(float),
    "int": _numeric_function(math.floor),
    "fix": _numeric_function(math.trunc),
    "abs": _numeric_function(abs),
    "sgn": _numeric_function(lambda x: (x > 0) - (x < 0)),
}
