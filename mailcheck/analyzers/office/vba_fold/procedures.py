"""The project's procedures (Sub, Function, Property) and the block structure of their
bodies (For/Do/While and block If), for running them with their arguments."""

from __future__ import annotations

from dataclasses import dataclass, field

from .tokens import _DECLARATIONS, _MODIFIERS, Token

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


class _Break(Exception):
    """`Exit For` / `Exit Do`: leave the loop being run."""
