"""VBA values as the folder holds them (strings, numbers, arrays or unknown) and the
operations on them: numeric literals, conversions, comparisons, arithmetic, indexing."""

from __future__ import annotations

import math
import re
from typing import TypeAlias

from .tokens import _SUFFIXES

# A value: a string, a number, an array (Split, Array) or None for "unknown".
Value: TypeAlias = str | int | float | tuple[str, ...] | None


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


_NUMERIC = re.compile(r"\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*")


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


_COMPARISONS = frozenset({"=", "<>", "<", ">", "<=", ">="})


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
