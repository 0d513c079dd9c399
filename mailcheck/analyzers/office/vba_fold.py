"""Bounded constant folding of VBA string expressions: what an obfuscated macro's strings
become when it runs.

Emotet-style droppers never write their command line as one literal: they slice it out of
random-looking literals (`Left(Right(x, 26), 7)`), assemble it from `Chr()` pieces, remove a
filler token with `Replace`, reverse, split and join it, spread it over procedures, or read
it from a form, between lines of junk arithmetic on undefined variables. The dropper-trait
patterns (vba_traits) see none of that. This module evaluates each statement's string
expression in source order and without control flow (a statement that read a name assigned
further down runs once more), so that what would reach `Shell`, `WScript.Shell.Run` or
`Win32_Process.Create` can be checked like a literal.

It is a folder of a small, pure subset, not an emulator: literals, `&` and `+`, `Chr`,
`Left/Right/Mid`, `Replace`, `StrReverse`, case and trim functions, `Split/Join/Array`,
`String/Space`, integer arithmetic, comparisons and `Xor`, and variables (one global
environment, so a name assigned in one procedure is read in another). A call of one of the
project's own Functions or Subs with arguments is run in a scope of its own, with its loops
and `If` blocks followed under a step budget (`oie(109) & oie(105)` where `oie = Chr(x - 22)`,
a decoding `For` loop over `Mid`/`Asc`/`Xor`). What the document keeps for the macro to read
(`stores`: form controls by name, the document's body text, variables and properties) is
what such names and member chains read. A name that nothing ever assigns is Empty, as in VBA.
Anything else is "unknown" and is skipped. Every bound (steps, string sizes, nesting, calls,
input size) ends the work quietly with what was recovered so far; no input makes it raise.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

from ...records import record
from . import ps_fold
from .codepage import HANDLER

MAX_CODE_CHARS = 1024 * 1024  # source looked at
MAX_STEPS = 400_000  # expression nodes evaluated, over the whole source
MAX_CALL_DEPTH = 8  # nested calls of the project's own procedures
MAX_CALLS = 20_000  # calls of the project's own procedures, over the whole source
MAX_ITERATIONS = 100_000  # iterations of one loop
MAX_VALUE_CHARS = 64 * 1024  # a longer string value is unknown
MAX_TOTAL_CHARS = 4 * 1024 * 1024  # characters of all strings the folder creates
MAX_DEPTH = 80  # nesting of one expression
MAX_ARRAY_ITEMS = 4096
MAX_FILTERS = 16  # Replace/Split fillers remembered for the form strings
MAX_STRINGS = 32  # recovered strings returned
MAX_FORMS = 256  # form strings looked at
MIN_STRING = 6  # shorter recovered strings say nothing
JUNK_MIN_LINES = 10
JUNK_MIN_SHARE = 0.2

# A value: a string, a number, an array (Split, Array) or None for "unknown".
Value: TypeAlias = str | int | float | tuple[str, ...] | None
Token: TypeAlias = tuple[str, str]  # (kind, text): s string, n number, i name, o operator

_TOKEN = re.compile(
    r"""
    (?P<cont>[ \t]*(?<!\w)_[ \t]*\r?\n)                # line continuation
    |(?P<nl>\r\n|\n|\r|:(?!=))                         # end of a statement
    |(?P<ws>[ \t\f\v]+)
    |(?P<comment>'[^\r\n]*)
    |(?P<str>"(?:[^"\r\n]|"")*")
    |(?P<badstr>"[^\r\n]*)
    |(?P<num>&[Hh][0-9A-Fa-f]+&?|&[Oo]?[0-7]+&?|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?[%&!#@]?)
    |(?P<id>[A-Za-z][A-Za-z0-9_]*[$%!#@]?|\[[^\]\r\n]{1,255}\])
    |(?P<op>:=|<=|>=|<>|[-&+*/\\^=<>(),.!;#])
    |(?P<other>.)
    """,
    re.X | re.S,
)
_SUFFIXES = "$%&!#@"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_MODIFIERS = frozenset({"private", "public", "global", "friend", "static"})
_DECLARATIONS = frozenset({"sub", "function", "property", "declare", "event", "type", "enum"})
# Statements with no string expression to fold (block structure, file I/O, error handling).
_SKIPPED = _words(
    """
    end exit for next do loop while wend with else elseif select case option attribute on goto
    gosub resume return stop close print put input line error
    """
)
_LIBRARIES = frozenset({"vba", "strings", "conversion", "interaction", "math"})
_OPERATOR_WORDS = frozenset({"mod", "and", "or", "xor", "not", "like", "is", "eqv", "imp"})
# Operator precedence, loosest first, as VBA binds them (unary minus above * and below ^).
_LEVELS: tuple[str, ...] = ("imp", "eqv", "xor", "or", "and", "not", "= <> < > <= >= like is")
_LEVELS += ("&", "+ -", "mod", "\\", "* /", "negation", "^")
_PRECEDENCE = {op: level for level, ops in enumerate(_LEVELS, 1) for op in ops.split()}
_BINARY = {op: level for op, level in _PRECEDENCE.items() if op not in ("not", "negation")}
_LETTERS = [chr(code) for code in range(ord("A"), ord("Z") + 1)]
_CONSTANTS: dict[str, Value] = {
    "vbcrlf": "\r\n",
    "vbnewline": "\r\n",
    "vbcr": "\r",
    "vblf": "\n",
    "vbtab": "\t",
    "vbnullstring": "",
    "vbnullchar": "\0",
    "vbback": "\b",
    "vbformfeed": "\f",
    "vbverticaltab": "\v",
    "vbbinarycompare": 0,
    "vbtextcompare": 1,
    "vbhide": 0,
    "vbnormalfocus": 1,
    "true": -1,
    "false": 0,
    "vbmethod": 1,
    "vbget": 2,
    "vblet": 4,
    "vbset": 8,
    "empty": "",
    # Word's and VBA's key codes spell letters: ChrW(wdKeyS) is "S".
    **{f"{prefix}key{c.lower()}": ord(c) for prefix in ("wd", "vb") for c in _LETTERS},
    **{f"{prefix}key{d}": ord(str(d)) for prefix in ("wd", "vb") for d in range(10)},
}
# Calls whose arguments are what a dropper runs, fetches or writes.
_SINKS = _words(
    """
    shell createobject getobject run exec create get shellexecute callbyname execquery open
    urldownloadtofile urldownloadtofilea urldownloadtofilew savetofile copyfile createtextfile
    navigate
    """
)
# Conversion and math functions of Emotet's junk lines: `a = (b - CDbl(661607) + Fix(c))`.
JUNK_FUNCTIONS = _words(
    """
    cdbl clng fix sqr sin cos atn int hex oct round abs log exp tan rnd cint cbyte csng sgn
    """
)
_TELLING = re.compile(
    r"https?:|\\\\|powershell|pwsh|\bcmd\b|mshta|rundll32|regsvr32|[wc]script|certutil"
    r"|bitsadmin|winmgmts|win32_process|\.(?:exe|dll|scr|hta|ps1|bat|vbs|js)\b"
    r"|downloadfile|downloadstring|new-object|invoke-",
    re.I,
)
_NUMERIC = re.compile(r"\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*")
_PS_ENCODED = re.compile(
    r"(?:powershell|pwsh)\b.{0,400}?(?<![\w-])[-/]e(?:c|n[a-z]{0,12})?\s+[\"']?"
    r"([A-Za-z0-9+/]{16,}={0,2})",
    re.I | re.S,
)


@record
class Folded:
    """What folding recovered from one VBA project."""

    strings: tuple[str, ...]  # recovered strings, the most telling first
    junk_lines: int  # assignments of arithmetic over undefined names (Emotet's filler)
    code_lines: int  # statements looked at
    junk_excerpt: str = ""  # the first junk line, as tokens
    exhausted: bool = False  # a bound was reached: the strings are what came before it
    # The document's stored values the macro read (store keys: "form.control", "@body"...).
    store_reads: tuple[str, ...] = ()

    @property
    def junk_arithmetic(self) -> bool:
        """Enough junk arithmetic to be obfuscation rather than a numeric routine."""
        return self.junk_lines >= JUNK_MIN_LINES and self.junk_lines >= JUNK_MIN_SHARE * max(
            self.code_lines, 1
        )


class _Budget(Exception):
    """A bound of the whole run was reached: stop and keep what was recovered."""


class _Skip(Exception):
    """The statement is beyond the subset: go on with the next one."""


# --- tokens ---------------------------------------------------------------------------------


def _name(text: str) -> str:
    """An identifier as the folder keys it: `[Left$]` and `left` are one name."""
    return text.strip("[]").rstrip(_SUFFIXES).lower()


def tokenise(code: str) -> tuple[list[list[Token]], set[str]]:
    """The statements of `code` (comments, continuations and `:` handled) and its literals."""
    statements: list[list[Token]] = []
    literals: set[str] = set()
    current: list[Token] = []
    in_rem = False
    for match in _TOKEN.finditer(code[:MAX_CODE_CHARS]):
        kind, text = match.lastgroup, match.group()
        if kind == "nl":
            in_rem = in_rem and text == ":"  # `Rem` comments out the rest of its line
            if current:
                statements.append(current)
                current = []
        elif in_rem or kind in ("ws", "cont", "comment", "other"):
            continue
        elif kind == "id":
            name = _name(text)
            if name == "rem" and not current:
                in_rem = True
            elif name:
                current.append(("i", name))
        elif kind in ("str", "badstr"):
            value = text[1:-1] if kind == "str" else text[1:]
            value = value.replace('""', '"')
            literals.add(value)
            current.append(("s", value))
        else:
            current.append(("n" if kind == "num" else "o", text))
    if current:
        statements.append(current)
    return statements, literals


# --- values ---------------------------------------------------------------------------------


def _number(text: str) -> int | float | None:
    """A VBA numeric literal: decimal, `&H` hex, `&O` octal, with or without a type suffix."""
    try:
        if text.startswith("&"):
            body = text[1:].rstrip("&")
            hexadecimal = body[:1] in ("H", "h")
            value = int(
                body[1:][:16] if hexadecimal else body.lstrip("Oo")[:16], 16 if hexadecimal else 8
            )
            # Without the `&` suffix &H8000..&HFFFF is a negative Integer, as VBA reads it.
            if not text[1:].endswith("&") and 0x7FFF < value <= 0xFFFF:
                return value - 0x10000
            return value - (1 << 32) if 0x7FFFFFFF < value <= 0xFFFFFFFF else value
        text = text.rstrip(_SUFFIXES)
        if len(text) > 18 or any(c in text for c in ".eE"):
            return _finite(float(text))
        return int(text)
    except ValueError:
        return None


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _int_result(value: int | float | None) -> int | float | None:
    """Numbers past what VBA holds exactly are unknown (VBA would overflow)."""
    if value is None:
        return None
    if isinstance(value, float):
        return _finite(value)
    return value if abs(value) <= 1 << 53 else None


def text_of(value: Value) -> str | None:
    """A value as VBA converts it to a string (None when it cannot be)."""
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, tuple):
        return None
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(value, ".15g").replace("e+", "E+").replace("e-", "E-")
    return str(value)


def _numeric(value: Value) -> int | float | None:
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str) and len(value) < 40 and _NUMERIC.fullmatch(value):
        number = float(value)  # VBA converts numeric strings: "12" + 1 is 13
        return int(number) if number.is_integer() and abs(number) <= 1 << 53 else _finite(number)
    return None


def _integer(value: Value) -> int | None:
    """A number rounded as VBA rounds arguments (to even)."""
    number = _numeric(value)
    if number is None or abs(number) > 1 << 53:
        return None
    return round(number) if isinstance(number, float) else number


# --- built-in functions -----------------------------------------------------------------------

Builtin = Callable[["_Folder", list[Value]], Value]


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


# --- procedures and blocks ----------------------------------------------------------------------

_PARAM_WORDS = frozenset({"optional", "byval", "byref", "paramarray"})
# Where a multi-line block opens, and the statement that closes it.
_BLOCKS = {"for": "next", "do": "loop", "while": "wend"}


@dataclass(slots=True)
class _Procedure:
    """A Sub, Function or Property of the project: its parameters and its statements."""

    params: list[str]
    body: list[list[Token]]
    jumps: dict[int, int] = field(default_factory=dict)  # block opener -> its closer
    branches: dict[int, list[int]] = field(default_factory=dict)  # If -> ElseIf/Else/End If


def _head(tokens: list[Token]) -> tuple[str, int]:
    """The first word of a statement after its modifiers, and where it is."""
    at = 0
    while at < len(tokens) and tokens[at][0] == "i" and tokens[at][1] in _MODIFIERS:
        at += 1
    return (tokens[at][1] if at < len(tokens) and tokens[at][0] == "i" else ""), at


def _params(tokens: list[Token], start: int) -> list[str]:
    """The parameter names of a declaration whose `(` is at `start`."""
    names: list[str] = []
    expect_name = True
    depth = 0
    for kind, text in tokens[start + 1 :]:
        if kind == "o" and text == "(":
            depth += 1
        elif kind == "o" and text == ")":
            if depth == 0:
                break
            depth -= 1
        elif kind == "o" and text == "," and depth == 0:
            expect_name = True
        elif kind == "i" and expect_name and text not in _PARAM_WORDS:
            names.append(text)
            expect_name = False
    return names


def _is_block_if(tokens: list[Token]) -> bool:
    return tokens[0] == ("i", "if") and tokens[-1] == ("i", "then")


def _structure(body: list[list[Token]]) -> tuple[dict[int, int], dict[int, list[int]]]:
    """For each For/Do/While the index of its Next/Loop/Wend; for each block If the indexes
    of its ElseIf, Else and End If. Unclosed blocks are left out (run as plain lines)."""
    jumps: dict[int, int] = {}
    branches: dict[int, list[int]] = {}
    stack: list[tuple[str, int]] = []
    for index, tokens in enumerate(body):
        word = tokens[0][1] if tokens[0][0] == "i" else ""
        if word in _BLOCKS:
            stack.append((_BLOCKS[word], index))
        elif _is_block_if(tokens):
            stack.append(("end if", index))
            branches[index] = []
        elif word in ("elseif", "else") and stack and stack[-1][0] == "end if":
            branches[stack[-1][1]].append(index)
        elif word == "end" and len(tokens) > 1 and tokens[1] == ("i", "if"):
            while stack and stack[-1][0] != "end if":
                stack.pop()
            if stack:
                _closer, opener = stack.pop()
                branches[opener].append(index)
        elif word in ("next", "loop", "wend"):
            while stack and stack[-1][0] != word:
                stack.pop()  # an If left open inside the loop
            if stack:
                jumps[stack.pop()[1]] = index
    for opener in [o for _c, o in stack if o in branches]:
        del branches[opener]
    return jumps, branches


def procedures(statements: list[list[Token]]) -> tuple[dict[str, _Procedure], set[str]]:
    """The project's procedures by name, and the names declared outside them (module
    variables, shared by every procedure)."""
    found: dict[str, _Procedure] = {}
    module: set[str] = set()
    current: _Procedure | None = None
    for tokens in statements:
        word, at = _head(tokens)
        if word in ("sub", "function", "property") and at + 1 < len(tokens):
            at += 1 + (word == "property")  # Property Get/Let/Set Name
            if at < len(tokens) and tokens[at][0] == "i":
                name = tokens[at][1]
                opening = at + 1 < len(tokens) and tokens[at + 1] == ("o", "(")
                current = _Procedure(params=_params(tokens, at + 1) if opening else [], body=[])
                if name not in found:
                    found[name] = current
            continue
        if word == "end" and len(tokens) > 1 and tokens[1][1] in ("sub", "function", "property"):
            current = None
            continue
        if current is not None:
            current.body.append(tokens)
        elif word in ("dim", "const") or (at > 0 and word not in _DECLARATIONS):
            module.update(t[1] for t in tokens[at:] if t[0] == "i")
    for procedure in found.values():
        procedure.jumps, procedure.branches = _structure(procedure.body)
    return found, module


class _Exit(Exception):
    """`Exit Function` / `Exit Sub`: leave the procedure being run."""


# --- the evaluator ------------------------------------------------------------------------------


class _Folder:
    """Evaluates statements one at a time over a global environment."""

    def __init__(
        self,
        literals: set[str],
        procs: dict[str, _Procedure] | None = None,
        module: set[str] | None = None,
        stores: Mapping[str, str] | None = None,
        defined: set[str] | None = None,
    ) -> None:
        self.env: dict[str, Value] = {}
        self.literals = literals
        self.procs = procs or {}
        self.module = module or set()  # module-level names: shared by every procedure
        self.stores = stores or {}
        # Names some statement assigns or declares; any other plain name is Empty.
        self.defined = defined
        self.frames: list[dict[str, Value]] = []  # scopes of the procedures being run
        self.current = ""  # the procedure the linear pass is in
        self.calls = 0
        self.store_reads: dict[str, None] = {}  # the stored values the macro read
        self.documents: set[str] = set()  # module names that are the document itself
        self.steps = 0
        self.created = 0
        self.filters: dict[tuple[str, str], None] = {}
        # Recovered strings -> priority (2 for a sink's argument, 0 for an assignment).
        self.found: dict[str, int] = {}
        self.unbound: set[str] = set()  # names read while unknown, in this statement
        self.tokens: list[Token] = []
        self.pos = 0
        self.depth = 0

    # -- bookkeeping

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise _Budget

    def made(self, value: Value) -> Value:
        """Charge a newly made string to the budget; an over-long one is unknown."""
        if isinstance(value, str):
            if len(value) > MAX_VALUE_CHARS:
                return None
            self.created += len(value)
            if self.created > MAX_TOTAL_CHARS:
                raise _Budget
        elif isinstance(value, tuple):
            self.created += sum(map(len, value))
            if self.created > MAX_TOTAL_CHARS:
                raise _Budget
        return value

    def remember_filter(self, find: str, new: str) -> None:
        if len(find) >= 2 and len(self.filters) < MAX_FILTERS and len(find) + len(new) < 256:
            self.filters[(find, new)] = None

    def bind(self, name: str, value: Value) -> None:
        """Assign: to the running procedure's scope, unless the name is a module's."""
        if self.frames and name not in self.module:
            self.frames[-1][name] = value
        else:
            self.env[name] = value

    def keep(self, value: Value, plain: bool, priority: int) -> None:
        """A folded string worth returning: not a literal the source already shows."""
        if (
            isinstance(value, str)
            and not plain
            and len(value.strip()) >= MIN_STRING
            and value not in self.literals
        ):
            self.found[value] = max(priority, self.found.get(value, 0))

    # -- tokens

    def peek(self, offset: int = 0) -> Token:
        at = self.pos + offset
        return self.tokens[at] if at < len(self.tokens) else ("", "")

    def at(self, kind: str, text: str) -> bool:
        return self.peek() == (kind, text)

    def next(self) -> Token:
        token = self.peek()
        if not token[0]:
            raise _Skip
        self.pos += 1
        return token

    def expect(self, kind: str, text: str) -> None:
        if self.next() != (kind, text):
            raise _Skip

    # -- statements

    def run(self, tokens: list[Token]) -> set[str]:
        """Evaluate one statement; the names it read while they were unknown."""
        self.tokens, self.pos, self.depth = tokens, 0, 0
        self.unbound = set()
        try:
            self.statement()
        except _Budget:
            raise
        except Exception:  # _Skip, or hostile input past what the subset understands
            pass
        return self.unbound

    def statement(self) -> None:
        modified = False
        while self.peek()[0] == "i" and self.peek()[1] in _MODIFIERS:
            self.pos += 1
            modified = True
        kind, head = self.peek()
        if (kind, head) == ("o", "."):  # `.Run cmd` inside a With block
            self.assign_or_call()
        elif kind != "i" or head in _DECLARATIONS or head in _SKIPPED:
            return
        elif head in ("dim", "redim", "const") or (modified and self.peek(1)[1] != "="):
            self.declare()
        elif head in ("set", "let", "call"):
            self.pos += 1
            self.assign_or_call()
        elif head == "if":
            self.single_line_if()
        else:
            self.assign_or_call()

    def declare(self) -> None:
        """`Dim s As String, t` (a String starts as ""), `Const k = expr, j = expr`."""
        const = self.peek()[1] == "const"
        if self.peek()[1] in ("dim", "redim", "const"):
            self.pos += 1
        while self.peek()[0]:
            if self.peek() == ("i", "preserve"):
                self.pos += 1
            kind, name = self.next()
            if kind != "i":
                raise _Skip
            if self.at("o", "("):  # an array's bounds
                self.skip_group()
            if self.at("i", "as"):
                self.pos += 1
                if self.at("i", "new"):
                    self.pos += 1
                if self.next() == ("i", "string") and not const:
                    self.bind(name, "")
                if self.at("o", "*"):  # String * 10
                    self.pos += 2
            if self.at("o", "="):
                self.pos += 1
                plain = self.plain_literal()
                value = self.expression()
                self.bind(name, value)
                self.keep(value, plain, 0)
            if not self.at("o", ","):
                return
            self.pos += 1

    def skip_group(self) -> None:
        depth = 0
        while True:
            kind, text = self.next()
            depth += (text == "(") - (text == ")") if kind == "o" else 0
            if depth == 0:
                return

    def single_line_if(self) -> None:
        """`If c Then x = a Else x = b`: the branch the condition picks, both when it is
        unknown."""
        tokens = self.tokens
        then = next((i for i, t in enumerate(tokens) if t == ("i", "then")), len(tokens))
        rest = tokens[then + 1 :]
        split = next((i for i, t in enumerate(rest) if t == ("i", "else")), len(rest))
        holds = self.truth(tokens[1:then]) if rest else None
        for taken, branch in ((True, rest[:split]), (False, rest[split + 1 :])):
            if branch and holds in (None, taken):
                self.tokens, self.pos, self.depth = branch, 0, 0
                with contextlib.suppress(_Skip):
                    self.statement()

    def assign_or_call(self) -> None:
        if self.peek()[0] == "i" and self.peek(1) == ("o", "="):  # name = expression
            name = self.peek()[1]
            self.pos += 2
            plain = self.plain_literal()
            value = self.expression()
            self.bind(name, value)
            self.keep(value, plain, 0)
            return
        if self.peek() in (("i", "mid"), ("i", "midb")) and self.peek(1) == ("o", "("):
            self.mid_statement()
            return
        bare = self.peek()[0] == "i" and self.peek()[1] in self.procs
        _value, callee = self.chain()
        if self.at("o", "="):  # obj.Caption = ..., arr(1) = ...: nothing to bind
            self.pos += 1
            plain = self.plain_literal()
            self.keep(self.expression(), plain, 0)
        elif self.peek()[0]:  # Shell cmd, 0 / obj.Run cmd: a call without parentheses
            values, plains = self.arguments(end="")
            if bare and callee in self.procs:  # MySub a, b: run it with its arguments
                self.invoke(callee, values)
            if callee in _SINKS:
                for value, plain in zip(values, plains, strict=True):
                    self.keep(value, plain, 2)

    def mid_statement(self) -> None:
        """`Mid(s, start[, length]) = text`: overwrite characters of `s` in place."""
        self.pos += 2
        kind, name = self.next()
        if kind != "i":
            raise _Skip
        self.expect("o", ",")
        start = _integer(self.expression())
        length: int | None = MAX_VALUE_CHARS
        if self.at("o", ","):
            self.pos += 1
            length = _integer(self.expression())
        self.expect("o", ")")
        self.expect("o", "=")
        text = text_of(self.expression())
        current = text_of(self.read(name))
        if current is None or text is None or start is None or length is None or start < 1:
            self.bind(name, None)
            return
        count = max(0, min(len(text), length, len(current) - start + 1))
        self.bind(name, current[: start - 1] + text[:count] + current[start - 1 + count :])

    # -- the project's own procedures

    def invoke(self, name: str, values: list[Value]) -> Value:
        """Run procedure `name` with `values` in a scope of its own; what it returns."""
        procedure = self.procs[name]
        if len(self.frames) >= MAX_CALL_DEPTH or self.calls >= MAX_CALLS:
            return None
        self.calls += 1
        frame: dict[str, Value] = dict.fromkeys(procedure.params)
        frame.update(zip(procedure.params, values, strict=False))
        frame[name] = None
        saved = (self.tokens, self.pos, self.depth, self.unbound)
        self.frames.append(frame)
        try:
            self.block(procedure, 0, len(procedure.body))
        except (_Exit, _Break):
            pass
        finally:
            self.frames.pop()
            self.tokens, self.pos, self.depth, self.unbound = saved
        return frame.get(name)

    def block(self, procedure: _Procedure, start: int, end: int) -> None:
        """Run statements `start` to `end` of `procedure`, following loops and Ifs."""
        index = start
        body = procedure.body
        while index < end:
            tokens = body[index]
            word = tokens[0][1] if tokens[0][0] == "i" else ""
            close = procedure.jumps.get(index)
            if close is not None and close < end:
                if word == "for":
                    self.for_loop(procedure, index, close)
                else:
                    self.do_loop(procedure, index, close)
                index = close + 1
                continue
            marks = procedure.branches.get(index)
            if marks is not None and marks[-1] < end:
                self.if_block(procedure, index, marks)
                index = marks[-1] + 1
                continue
            if word == "exit" and len(tokens) > 1:
                if tokens[1][1] in ("for", "do"):
                    raise _Break
                if tokens[1][1] in ("function", "sub", "property"):
                    raise _Exit
            self.run(tokens)
            index += 1

    def truth(self, tokens: list[Token]) -> bool | None:
        """A condition's value: True, False, or None when it is unknown."""
        if not tokens:
            return None
        self.tokens, self.pos, self.depth = tokens, 0, 0
        try:
            value = self.expression()
        except _Skip:
            return None
        number = _numeric(value)
        return None if number is None or self.pos != len(tokens) else number != 0

    def for_loop(self, procedure: _Procedure, index: int, close: int) -> None:
        tokens = procedure.body[index]
        self.tokens, self.pos, self.depth = tokens, 1, 0
        items: tuple[Value, ...] | None = None
        name = ""
        try:
            if self.at("i", "each"):
                self.pos += 1
                name = self.next()[1]
                self.expect("i", "in")
                sequence = self.expression()
                items = sequence if isinstance(sequence, tuple) else None
            else:
                name = self.next()[1]
                self.expect("o", "=")
                first, last = _numeric(self.expression()), None
                self.expect("i", "to")
                last = _numeric(self.expression())
                step: int | float | None = 1
                if self.at("i", "step"):
                    self.pos += 1
                    step = _numeric(self.expression())
                if first is not None and last is not None and step:
                    count = int((last - first) // step) + 1
                    if 0 <= count <= MAX_ITERATIONS:
                        items = tuple(first + step * n for n in range(count))
                    elif count < 0:
                        items = ()
        except _Skip:
            items = None
        if items is None:  # bounds unknown: the body once, as the linear pass would
            if name:
                self.bind(name, None)
            with contextlib.suppress(_Break):
                self.block(procedure, index + 1, close)
            return
        for item in items:
            self.bind(name, item)
            try:
                self.block(procedure, index + 1, close)
            except _Break:
                return

    def do_loop(self, procedure: _Procedure, index: int, close: int) -> None:
        """Do [While|Until c] ... Loop [While|Until c], While c ... Wend; an unknown
        condition runs the body once."""
        opening, closing = procedure.body[index], procedure.body[close]
        if opening[0] == ("i", "while"):
            top: list[Token] | None = opening[1:]
            negate_top = False
        else:
            top = opening[2:] if len(opening) > 1 else None
            negate_top = len(opening) > 1 and opening[1] == ("i", "until")
        bottom = closing[2:] if len(closing) > 1 else None
        negate_bottom = len(closing) > 1 and closing[1] == ("i", "until")
        for count in range(MAX_ITERATIONS):
            go: bool | None = None
            if top is not None:
                go = self.truth(top)
                if (go is None and count) or (go is not None and go == negate_top):
                    return
            try:
                self.block(procedure, index + 1, close)
            except _Break:
                return
            if bottom is not None:
                after = self.truth(bottom)
                if after is None or after == negate_bottom:
                    return
            elif top is not None and go is None:
                return

    def if_block(self, procedure: _Procedure, index: int, marks: list[int]) -> None:
        """The branch whose condition holds; every branch when a condition is unknown."""
        starts = [index, *marks[:-1]]
        for start, end in zip(starts, marks, strict=True):
            tokens = procedure.body[start]
            if tokens[0] == ("i", "else"):
                holds: bool | None = True
            else:
                then = next((i for i, t in enumerate(tokens) if t == ("i", "then")), len(tokens))
                holds = self.truth(tokens[1:then])
            if holds is False:
                continue
            self.block(procedure, start + 1, end)
            if holds:
                return

    # -- expressions

    def plain_literal(self) -> bool:
        """Whether the expression at the cursor is one literal (nothing folded)."""
        following = self.peek(1)
        return self.peek()[0] == "s" and (not following[0] or following in (("o", ","), ("o", ")")))

    def expression(self, level: int = 0) -> Value:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Skip
        left = self.unary()
        while True:
            kind, op = self.peek()
            precedence = _BINARY.get(op) if kind in ("o", "i") else None
            if precedence is None or precedence < level:
                break
            self.pos += 1
            right = self.expression(precedence + 1)
            left = self.binary(op, left, right)
        self.depth -= 1
        return left

    def unary(self) -> Value:
        if self.at("o", "-") or self.at("o", "+"):
            negative = self.next()[1] == "-"
            value = _numeric(self.expression(_PRECEDENCE["negation"]))
            return None if value is None else (-value if negative else value)
        if self.at("i", "not"):
            self.pos += 1
            operand = _integer(self.expression(_PRECEDENCE["not"]))
            return None if operand is None else ~operand
        return self.primary()

    def primary(self) -> Value:
        self.step()
        kind, text = self.peek()
        if kind == "s":
            self.pos += 1
            return text
        if kind == "n":
            self.pos += 1
            return _number(text)
        if (kind, text) == ("o", "("):
            self.pos += 1
            value = self.expression()
            self.expect("o", ")")
            return value
        if kind == "i" and text == "new":
            self.pos += 1
            self.chain()
            return None
        if (kind == "i" and text not in _OPERATOR_WORDS) or (kind, text) in (
            ("o", "."),
            ("o", "!"),
        ):
            return self.chain()[0]
        raise _Skip

    def chain(self) -> tuple[Value, str]:
        """`name`, `name(args)`, `a.b(c).d`, `Split(s)(2)`, `.Caption` (inside With).
        Returns the value and the last name called or read (for sinks)."""
        context = "object"  # how the current name is reached: bare, library or object
        path: list[tuple[str, list[Value] | None]] = []  # the chain, for stored values
        if self.peek()[0] == "i":
            name = self.next()[1]
            context = "library" if name in _LIBRARIES and self.at("o", ".") else "bare"
            path.append((name, None))
        else:
            name = ""
        value: Value = None
        if name and not self.at("o", "(") and context == "bare":
            value = self.read(name)
        last = name
        while True:
            if self.at("o", "("):
                self.pos += 1
                values, plains = self.arguments(end=")")
                if path and path[-1][1] is None:
                    path[-1] = (path[-1][0], values)
                if name:
                    value = self.call(name, values, plains, context)
                    name = ""
                else:  # indexing what came before: Split(s, ",")(2)
                    value = _index(value, values)
            elif self.at("o", ".") or self.at("o", "!"):
                self.pos += 1
                kind, member = self.next()
                if kind != "i":
                    raise _Skip
                library = context == "library" and (not name or name in _LIBRARIES)
                context = "library" if library else "object"
                name = last = member
                value = None
                path.append((member, None))
            else:
                if value is None and self.stores and len(path) > 1:
                    value = self.stored(path)
                return value, last

    def arguments(self, end: str) -> tuple[list[Value], list[bool]]:
        """Comma-separated arguments up to `end` (")" or the end of the statement);
        missing ones are None and `name:=value` is taken by position."""
        values: list[Value] = []
        plains: list[bool] = []
        while True:
            if self.at_end(end):
                self.pos += 1
                return values, plains
            if self.at("o", ","):
                values.append(None)
                plains.append(False)
                self.pos += 1
                continue
            if self.peek()[0] == "i" and self.peek(1) == ("o", ":="):
                self.pos += 2
            plains.append(self.plain_literal())
            values.append(self.expression())
            if self.at("o", ","):
                self.pos += 1
                if self.at_end(end):
                    values.append(None)
                    plains.append(False)
            elif not self.at_end(end):
                raise _Skip

    def at_end(self, end: str) -> bool:
        return self.at("o", end) if end else not self.peek()[0]

    def read(self, name: str) -> Value:
        if self.frames and name in self.frames[-1]:
            value = self.frames[-1][name]
        elif self.frames and self.local_is_empty(name):
            return ""  # a local the running procedure has not assigned yet: Empty
        elif name in self.procs and (self.frames or name != self.current):
            procedure = self.procs[name]
            return self.invoke(name, []) if not procedure.params else None
        elif name in self.env:
            value = self.env[name]
        elif name in _CONSTANTS:
            return _CONSTANTS[name]
        else:
            stored = self.stored([(name, None)])
            if stored is not None:
                return stored
            if self.defined is not None and name not in self.defined:
                return ""  # never assigned anywhere: Empty, which is "" as text
            value = None
        if value is None:
            self.unbound.add(name)
        return value

    def local_is_empty(self, name: str) -> bool:
        """In a running procedure, a name that is no module variable, procedure, constant
        or stored value is one of its locals (VBA makes undeclared names local)."""
        return (
            name not in self.module
            and name not in self.procs
            and name not in _CONSTANTS
            and self.stored([(name, None)]) is None
        )

    def stored(self, path: list[tuple[str, list[Value] | None]]) -> Value:
        """What a name or member chain reads from the document (`stores`), None if nothing:
        `UserForm1.TextBox1.Text`, `ThisDocument.Content`, `Variables("x").Value`..."""
        if not self.stores:
            return None
        at = 0
        while at < len(path) - 1 and (
            path[at][0] in _DOCUMENT_OBJECTS or path[at][0] in self.documents
        ):
            at += 1
        found = store_key(self.stores, path[at:])
        if found is None:
            return None
        key, value = found
        self.store_reads[key] = None
        return value

    def call(self, name: str, values: list[Value], plains: list[bool], context: str) -> Value:
        self.step()
        result: Value = None
        if context != "object":
            local = self.frames[-1].get(name) if self.frames else None
            if context == "bare" and isinstance(local, tuple):
                result = _index(local, values)
            elif context == "bare" and name in self.procs:
                result = self.invoke(name, values)
            elif context == "bare" and name in self.env:
                # An array, or the value a Function assigned to its own name.
                bound = self.env[name]
                result = _index(bound, values) if isinstance(bound, tuple) and values else bound
            elif name in _BUILTINS:
                result = self.made(_BUILTINS[name](self, values))
            elif context == "bare":
                self.unbound.add(name)
        if name in _SINKS:
            for value, plain in zip(values, plains, strict=True):
                self.keep(value, plain, 2)
        return result

    def binary(self, op: str, a: Value, b: Value) -> Value:
        self.step()
        if a is None or b is None:
            return None
        if op == "&" or (op == "+" and isinstance(a, str) and isinstance(b, str)):
            left, right = text_of(a), text_of(b)
            if left is None or right is None or len(left) + len(right) > MAX_VALUE_CHARS:
                return None
            return self.made(left + right)
        if op in _COMPARISONS:
            return _compare(op, a, b)
        if op in ("and", "or", "xor", "eqv", "imp"):
            x, y = _integer(a), _integer(b)
            if x is None or y is None:
                return None
            return {"and": x & y, "or": x | y, "xor": x ^ y, "eqv": ~(x ^ y), "imp": ~x | y}[op]
        return _arithmetic(op, _numeric(a), _numeric(b))


_COMPARISONS = frozenset({"=", "<>", "<", ">", "<=", ">="})
# Where a chain starts at the document itself rather than at one of its parts.
_DOCUMENT_OBJECTS = frozenset(
    {"me", "thisdocument", "activedocument", "thisworkbook", "activeworkbook", "application"}
)
# Properties that read a control's text (its value, caption or one of its text fields).
_CONTROL_PROPERTIES = frozenset({"text", "value", "caption", "controltiptext", "groupname", "tag"})
_BODY = frozenset({"content", "range", "storyranges", "formattedtext", "wholestory"})


def _key_argument(args: list[Value] | None) -> str | None:
    if not args:
        return None
    text = text_of(args[0])
    return text.lower() if text is not None else None


def store_key(
    stores: Mapping[str, str], path: list[tuple[str, list[Value] | None]]
) -> tuple[str, str] | None:
    """(store key, value) for a chain of names with their arguments, None if it reads none.

    Keys: `form.control` and `control` (with `.groupname`, `.tag`, `.controltiptext` for
    those fields), `@body` (a Word document's text), `@paragraph.N`, `@var.NAME` (document
    variables), `@prop.NAME` (custom properties), `@builtin.NAME`, `@shape.NAME` and
    `@alt.NAME` (a shape's text and alternative text, by name or 1-based index).
    """
    if not path:
        return None
    names = [name for name, _args in path]
    dotted = ".".join(names)
    candidates = [dotted]
    if len(names) > 1 and names[-1] in ("text", "value", "caption"):
        candidates.append(".".join(names[:-1]))
    first, args = path[0]
    rest = [n for n in names[1:] if n not in ("text", "value", "item", "range")]
    argument = _key_argument(args) or (
        _key_argument(path[1][1]) if len(path) > 1 and path[1][0] == "item" else None
    )
    if first in _BODY and not rest:
        candidates.append("@body")
    elif first == "paragraphs" and argument and not rest:
        candidates.append(f"@paragraph.{argument}")
    elif first == "variables" and argument:
        candidates.append(f"@var.{argument}")
    elif first == "customdocumentproperties" and argument:
        candidates.append(f"@prop.{argument}")
    elif first == "builtindocumentproperties" and argument:
        candidates.append(f"@builtin.{argument}")
    elif first in ("shapes", "inlineshapes") and argument:
        alternative = names[-1] in ("alternativetext", "title")
        candidates.append(f"@{'alt' if alternative else 'shape'}.{argument}")
    if len(names) > 1:  # a form whose controls could not be told apart (doc_stores)
        candidates.append(f"{names[0]}.*")
    for key in candidates:
        value = stores.get(key)
        if value is not None:
            return (".".join(names[:2]) if key.endswith(".*") else key), value
    return None


class _Break(Exception):
    """`Exit For` / `Exit Do`: leave the loop being run."""


def _compare(op: str, a: Value, b: Value) -> Value:
    """A comparison as VBA makes it, True as -1 and False as 0."""
    x: object
    y: object
    if isinstance(a, tuple) or isinstance(b, tuple):
        return None
    if isinstance(a, str) and isinstance(b, str):
        x, y = a, b
    else:
        x, y = _numeric(a), _numeric(b)
        if x is None or y is None:
            return None
    outcome = {
        "=": x == y,
        "<>": x != y,
        "<": x < y,  # type: ignore[operator]
        ">": x > y,  # type: ignore[operator]
        "<=": x <= y,  # type: ignore[operator]
        ">=": x >= y,  # type: ignore[operator]
    }[op]
    return -1 if outcome else 0


def _index(value: Value, args: list[Value]) -> Value:
    index = _integer(args[0]) if len(args) == 1 else None
    if isinstance(value, tuple) and index is not None and 0 <= index < len(value):
        return value[index]
    return None


def _arithmetic(op: str, x: int | float | None, y: int | float | None) -> Value:
    if x is None or y is None:
        return None
    try:
        if op == "+":
            return _int_result(x + y)
        if op == "-":
            return _int_result(x - y)
        if op == "*":
            return _int_result(x * y)
        if op == "/":
            return _finite(x / y)
        if op == "^":
            power = float(x) ** float(y)
            return _finite(power) if isinstance(power, float) else None
        a, b = round(x), round(y)  # \ and Mod round their operands first
        if op == "\\":
            return int(a / b)
        if op == "mod":
            return int(math.fmod(a, b))
    except (ArithmeticError, ValueError):
        return None
    return None  # comparisons and logic: not needed for strings


# --- junk arithmetic ---------------------------------------------------------------------------


def _defined_names(statements: list[list[Token]]) -> set[str]:
    """Every name the code assigns, declares or takes as a parameter."""
    names: set[str] = set()
    for tokens in statements:
        kinds = [t for t in tokens if t[0] == "i"]
        head = next((t[1] for t in kinds if t[1] not in _MODIFIERS), "")
        if head in _DECLARATIONS or head in ("dim", "redim", "const", "for") or not head:
            names.update(t[1] for t in kinds)  # declarations: every word is a name (or a type)
        elif kinds and tokens[0][1] in _MODIFIERS:
            names.update(t[1] for t in kinds)
        for at, token in enumerate(tokens[:-1]):
            first = at == 0 or tokens[at - 1][1] in ("set", "let")
            if first and token[0] == "i" and tokens[at + 1] == ("o", "="):
                names.add(token[1])
    return names


def _is_junk(tokens: list[Token], defined: set[str]) -> bool:
    """`a = (b - CDbl(661607) + c + Fix(d / CLng(26661 * Sqr(e))))`, also into an array
    element (`X(53148) = 955 + Int(U946439) + B2152371`): numbers, conversion and math
    functions, and names nothing assigns; no strings, no objects, no other calls."""
    if len(tokens) < 6 or tokens[0][0] != "i":
        return False
    if tokens[1] == ("o", "="):
        rhs = tokens[2:]
    elif (
        tokens[1] == ("o", "(")
        and tokens[2][0] == "n"
        and tokens[3:5] == [("o", ")"), ("o", "=")]
    ):
        rhs = tokens[5:]
    else:
        return False
    functions = numbers = undefined = 0
    for at, (kind, text) in enumerate(rhs):
        if kind == "s" or (kind == "o" and text in (".", "!", "&")):
            return False
        if kind == "n":
            numbers += 1
        elif kind == "i" and text not in _OPERATOR_WORDS:
            called = at + 1 < len(rhs) and rhs[at + 1] == ("o", "(")
            if text in JUNK_FUNCTIONS and called:
                functions += 1
            elif called or text in _CONSTANTS or text in defined:
                return False
            else:
                undefined += 1
    return functions > 0 and numbers > 0 and undefined > 0


def _junk(statements: list[list[Token]]) -> tuple[int, int, str]:
    defined = _defined_names(statements)
    code = [t for t in statements if t[0] != ("i", "attribute")]
    junk = [t for t in code if _is_junk(t, defined)]
    excerpt = " ".join(text for _kind, text in junk[0])[:80] if junk else ""
    return len(junk), len(code), excerpt


# --- PowerShell -EncodedCommand ---------------------------------------------------------------


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


# --- the entry point ----------------------------------------------------------------------------


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


def evaluate(expression: str, code: str = "", stores: Mapping[str, str] | None = None) -> Value:
    """The value of one VBA `expression` once `code` has run, None when unknown: what the
    folder makes of a single expression (tests, looking at a sample)."""
    statements, literals = tokenise(code)
    procs, module = procedures(statements)
    folder = _Folder(literals, procs, module, dict(stores or {}))
    folder.documents = _document_modules(statements)
    try:
        for tokens in statements:
            folder.run(tokens)
        parsed = tokenise(expression)[0]
        if len(parsed) != 1:
            return None
        folder.tokens, folder.pos, folder.depth = parsed[0], 0, 0
        value = folder.expression()
        return value if folder.pos == len(parsed[0]) else None
    except (_Budget, _Skip):
        return None


def fold(
    code: str, forms: Sequence[str] = (), stores: Mapping[str, str] | None = None
) -> Folded:
    """Fold the string expressions of VBA `code`; `forms` are the project's form strings
    (captions, texts), which macros often read their payload from; `stores` what the
    document keeps under names the macro can read (see `store_key`)."""
    forms = bounded_forms(forms)
    statements, literals = tokenise(code)
    procs, module = procedures(statements)
    defined = _defined_names(statements) | set(procs)
    folder = _Folder(literals, procs, module, _bounded_stores(stores or {}), defined)
    folder.documents = _document_modules(statements)
    exhausted = False
    try:
        later: list[tuple[list[Token], set[str]]] = []
        for tokens in statements:
            word, at = _head(tokens)
            if word in ("sub", "function", "property") and at + 1 < len(tokens):
                folder.current = tokens[at + 1 + (word == "property")][1]
            unbound = folder.run(tokens)
            if unbound:
                later.append((tokens, unbound))
        # Procedures often call ones written below them: run again what read names that
        # are known by now.
        for tokens, unbound in later:
            if any(folder.env.get(name) is not None for name in unbound):
                folder.run(tokens)
    except _Budget:
        exhausted = True
    found = dict(folder.found)
    for text in _filtered_forms(forms, folder.filters):
        found.setdefault(text, 1)
    junk_lines, code_lines, excerpt = _junk(statements)
    return Folded(
        strings=_with_scripts(_ranked(found), literals, forms),
        junk_lines=junk_lines,
        code_lines=code_lines,
        junk_excerpt=excerpt,
        exhausted=exhausted,
        store_reads=tuple(folder.store_reads),
    )


# The VB_Base of a module that is the document itself (Word's ThisDocument, a workbook).
_DOCUMENT_BASES = (
    "1normal.thisdocument",
    "0{00020819-0000-0000-c000-000000000046}",  # ThisWorkbook
    "0{00020820-0000-0000-c000-000000000046}",  # a worksheet (its controls: Sheet1.TextBox1)
)
MAX_STORES = 4096


def _document_modules(statements: list[list[Token]]) -> set[str]:
    """Names of the modules that are the document (their name reads the document)."""
    found: set[str] = set()
    name = ""
    for tokens in statements:
        if len(tokens) == 4 and tokens[0] == ("i", "attribute") and tokens[3][0] == "s":
            if tokens[1] == ("i", "vb_name"):
                name = tokens[3][1].lower()
            elif tokens[1] == ("i", "vb_base") and tokens[3][1].lower() in _DOCUMENT_BASES:
                found.add(name)
    return found - {""}


def _bounded_stores(stores: Mapping[str, str]) -> dict[str, str]:
    """At most MAX_STORES values, each and all of them within the folder's bounds."""
    out: dict[str, str] = {}
    total = 0
    for key, value in list(stores.items())[:MAX_STORES]:
        value = value[:MAX_VALUE_CHARS]
        total += len(value)
        if total > MAX_TOTAL_CHARS:
            break
        out[key] = value
    return out


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
