"""Folding the string obfuscation of PowerShell droppers, so that their URLs can be read.

The scripts macros start (decoded from `powershell -e`) hide their download list the same
way across families: literals cut into pieces and joined with `+` inside parentheses,
`"{1}{0}" -f 'b','a'` format strings, backticks inside names, `[char]92`, a filler token
replaced by `/` (`.'RepLaCE'('Q)(qdd)(', '/')`), and the list split on `@` or `,`. This
module rewrites such text until no rule applies, with regular expressions only (nothing
runs), bounded in passes and size. What comes out is for reading URLs, not for running.
"""

from __future__ import annotations

import re
from collections.abc import Callable

MAX_CHARS = 256 * 1024
MAX_PASSES = 64
_LITERAL = r"'(?:[^'\n]|'')*'|\"(?:[^\"`$\n]|\"\")*\""
_JOIN = re.compile(rf"({_LITERAL})\s*\+\s*({_LITERAL})")
_PAREN = re.compile(rf"\(\s*({_LITERAL})\s*\)")
_CHAR = re.compile(r"\[char\]\s*\(?\s*(\d{1,5})\s*\)?", re.I)
_FORMAT = re.compile(rf"({_LITERAL})\s*-f\s*((?:{_LITERAL})(?:\s*,\s*(?:{_LITERAL}))*)", re.I)
_REPLACE = re.compile(
    rf"({_LITERAL})\s*\.\s*[\"']?replace[\"']?\s*\(\s*({_LITERAL})\s*,\s*({_LITERAL})\s*\)",
    re.I,
)
_REPLACE_OPERATOR = re.compile(rf"({_LITERAL})\s*-replace\s*({_LITERAL})\s*,\s*({_LITERAL})", re.I)
_FIRST_OF_ARRAY = re.compile(
    rf"\(\s*\[array\]\s*({_LITERAL})\s*,\s*(?:{_LITERAL})\s*\)\s*\[\s*0\s*\]", re.I
)
_PLACEHOLDER = re.compile(r"\{(\d{1,3})\}")


def _value(literal: str) -> str:
    quote = literal[0]
    return literal[1:-1].replace(quote * 2, quote)


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _format(match: re.Match[str]) -> str:
    template = _value(match.group(1))
    args = [_value(a) for a in re.findall(_LITERAL, match.group(2))]

    def fill(placeholder: re.Match[str]) -> str:
        index = int(placeholder.group(1))
        return args[index] if index < len(args) else placeholder.group(0)

    return _quote(_PLACEHOLDER.sub(fill, template))


def _replace(match: re.Match[str]) -> str:
    text, old, new = (_value(match.group(n)) for n in (1, 2, 3))
    if not old or len(text) + text.count(old) * len(new) > MAX_CHARS:
        return match.group(0)
    return _quote(text.replace(old, new))


def _char(match: re.Match[str]) -> str:
    code = int(match.group(1))
    return _quote(chr(code)) if code < 0x110000 else match.group(0)


_RULES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (_CHAR, _char),
    (_JOIN, lambda m: _quote(_value(m.group(1)) + _value(m.group(2)))),
    (_PAREN, lambda m: m.group(1)),
    (_FIRST_OF_ARRAY, lambda m: m.group(1)),
    (_FORMAT, _format),
    (_REPLACE, _replace),
    (_REPLACE_OPERATOR, _replace),
)


def simplify(script: str) -> str:
    """`script` with its string obfuscation folded as far as the rules go."""
    text = script[:MAX_CHARS].replace("`", "")
    for _pass in range(MAX_PASSES):
        before = text
        for pattern, rule in _RULES:
            text = pattern.sub(rule, text)
            if len(text) > MAX_CHARS:
                return before
        if text == before:
            break
    return text


def looks_obfuscated(text: str) -> bool:
    """Worth folding: pieces joined with `+`, format strings or backticks."""
    return bool(re.search(r"['\"]\s*\+\s*['\"]|-f\s*['\"]|`", text[:MAX_CHARS]))
