"""Names and member chains that read what the document keeps (doc_stores): form and
ActiveX controls, the body, variables, properties and shapes."""

from __future__ import annotations

from collections.abc import Mapping

from .limits import MAX_STORES, MAX_TOTAL_CHARS, MAX_VALUE_CHARS
from .tokens import Token
from .values import Value, text_of

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


# The VB_Base of a module that is the document itself (Word's ThisDocument, a workbook).
_DOCUMENT_BASES = (
    "1normal.thisdocument",
    "0{00020819-0000-0000-c000-000000000046}",  # ThisWorkbook
    "0{00020820-0000-0000-c000-000000000046}",  # a worksheet (its controls: Sheet1.TextBox1)
)


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
