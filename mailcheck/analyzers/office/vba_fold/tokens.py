"""VBA source as statements of tokens, and the word sets the folder reads them by."""

from __future__ import annotations

import re
from typing import TypeAlias

from .limits import MAX_CODE_CHARS

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


class _Budget(Exception):
    """A bound of the whole run was reached: stop and keep what was recovered."""


class _Skip(Exception):
    """The statement is beyond the subset: go on with the next one."""


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


# Calls whose arguments are what a dropper runs, fetches or writes.
_SINKS = _words(
    """
    shell createobject getobject run exec create get shellexecute callbyname execquery open
    urldownloadtofile urldownloadtofilea urldownloadtofilew savetofile copyfile createtextfile
    navigate
    """
)
