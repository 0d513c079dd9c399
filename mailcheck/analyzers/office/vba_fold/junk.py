"""Emotet's filler lines: arithmetic over names nothing assigns, counted as a trait."""

from __future__ import annotations

from .tokens import _DECLARATIONS, _MODIFIERS, _OPERATOR_WORDS, Token, _words
from .values import _CONSTANTS

# Conversion and math functions of Emotet's junk lines: `a = (b - CDbl(661607) + Fix(c))`.
JUNK_FUNCTIONS = _words(
    """
    cdbl clng fix sqr sin cos atn int hex oct round abs log exp tan rnd cint cbyte csng sgn
    """
)


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
