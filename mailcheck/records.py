"""Frozen, slotted value classes that cost little to define.

`dataclasses.dataclass(frozen=True, slots=True, kw_only=True)` compiles six functions per
class and builds each class twice; with some seventy of them, defining mailcheck's data model
took a quarter of the time of scanning one message from the command line. `record` makes
classes with the same behaviour (keyword-only `__init__`, immutability, `__eq__`,
`__hash__`, `__repr__`, pickling, `replace`) compiling only `__init__`, and type checkers
read it as a dataclass (PEP 681).
"""

from __future__ import annotations

import dataclasses
import inspect
import operator
from collections.abc import Callable
from typing import Any, TypeVar, cast, dataclass_transform, overload

T = TypeVar("T")
_MISSING = object()
FrozenInstanceError = dataclasses.FrozenInstanceError


def _frozen_setattr(self: object, name: str, value: object) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: object, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def _getstate(self: Any) -> tuple[object, ...]:
    return tuple(getattr(self, name) for name in self.__slots__)


def _setstate(self: Any, state: tuple[object, ...]) -> None:
    for name, value in zip(self.__slots__, state, strict=True):
        object.__setattr__(self, name, value)


def _fields(cls: type) -> tuple[list[str], dict[str, object]]:
    names: list[str] = []
    defaults: dict[str, object] = {}
    for name, annotation in inspect.get_annotations(cls).items():
        if str(annotation).startswith(("ClassVar", "typing.ClassVar")):
            continue
        names.append(name)
        if name in cls.__dict__:
            value = cls.__dict__[name]
            if isinstance(value, dataclasses.Field):  # field(default=...), as dataclasses take
                value = value.default
            defaults[name] = value
    return names, defaults


def _build(cls: type[T], kw_only: bool) -> type[T]:
    names, defaults = _fields(cls)
    namespace = {
        key: value
        for key, value in cls.__dict__.items()
        if key not in names and key not in ("__dict__", "__weakref__")
    }
    namespace["__slots__"] = tuple(names)
    built = cast(type[T], type(cls.__name__, cls.__bases__, namespace))
    built.__qualname__ = cls.__qualname__
    params = ", ".join(f"{n}=_d_{n}" if n in defaults else n for n in names)
    star = "*, " if kw_only and names else ""
    sets = "".join(f"    _set(self, {n!r}, {n})\n" for n in names) or "    pass\n"
    # Only __init__ is compiled (it needs the field names as parameters); comparison and
    # hashing read all fields at once through one C-level attrgetter.
    scope: dict[str, Any] = {"_set": object.__setattr__}
    scope.update({f"_d_{name}": value for name, value in defaults.items()})
    source = f"def __init__(self, {star}{params}):\n{sets}"
    exec(compile(source, f"<record {cls.__qualname__}>", "exec"), scope)
    init = scope["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    values: Callable[[Any], tuple[object, ...]]
    if len(names) > 1:
        values = operator.attrgetter(*names)
    else:  # attrgetter of one name returns the value, not a tuple
        getters = [operator.attrgetter(name) for name in names]

        def values(obj: Any) -> tuple[object, ...]:
            return tuple(getter(obj) for getter in getters)

    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return values(self) == values(other)

    def __hash__(self: Any) -> int:
        return hash(values(self))

    def __repr__(self: Any) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{cls.__qualname__}({shown})"

    for function in (__eq__, __hash__, __repr__):
        function.__qualname__ = f"{cls.__qualname__}.{function.__name__}"
    extras = {
        "__init__": init,
        "__eq__": __eq__,
        "__hash__": __hash__,
        "__repr__": __repr__,
        "__setattr__": _frozen_setattr,
        "__delattr__": _frozen_delattr,
        "__getstate__": _getstate,  # pickling (the worker's reports) sets slots directly
        "__setstate__": _setstate,
        "__match_args__": tuple(names),
        "__record_fields__": tuple(names),
    }
    for key, value in extras.items():
        setattr(built, key, value)
    return built


@overload
def record(cls: type[T], /) -> type[T]: ...
@overload
def record(*, kw_only: bool = True) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(
    frozen_default=True, kw_only_default=True, field_specifiers=(dataclasses.field,)
)
def record(cls: type[T] | None = None, /, *, kw_only: bool = True) -> Any:
    """A frozen, slotted value class with a keyword-only `__init__` (see the module doc)."""
    if cls is None:
        return lambda inner: _build(inner, kw_only)
    return _build(cls, kw_only)


def replace(obj: T, **changes: object) -> T:
    """A copy of a record (or dataclass) with some fields changed."""
    names = getattr(type(obj), "__record_fields__", None)
    if names is None:
        return dataclasses.replace(obj, **changes)  # type: ignore[type-var]
    unknown = set(changes) - set(names)
    if unknown:
        raise TypeError(f"{type(obj).__name__} has no field(s) {', '.join(sorted(unknown))}")
    values = {name: changes.get(name, getattr(obj, name)) for name in names}
    return type(obj)(**values)
