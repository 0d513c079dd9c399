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

from collections.abc import Mapping, Sequence

from ....records import record
from .folder import _Folder
from .junk import _defined_names, _junk
from .limits import JUNK_MIN_LINES, JUNK_MIN_SHARE, MAX_STRINGS, MAX_VALUE_CHARS
from .procedures import _head, procedures
from .scripts import _filtered_forms, _ranked, _with_scripts, bounded_forms, decode_powershell, urls
from .stores import _bounded_stores, _document_modules, store_key
from .tokens import Token, _Budget, _Skip, tokenise
from .values import Value

__all__ = [
    "MAX_STRINGS",
    "MAX_VALUE_CHARS",
    "Folded",
    "bounded_forms",
    "decode_powershell",
    "evaluate",
    "fold",
    "store_key",
    "urls",
]


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
