"""The folder's state and its expression evaluator: names, member chains, calls and
operators over the global environment and the running procedures' scopes."""

from __future__ import annotations

from collections.abc import Mapping

from .builtins import _BUILTINS
from .limits import MAX_DEPTH, MAX_FILTERS, MAX_STEPS, MAX_TOTAL_CHARS, MAX_VALUE_CHARS, MIN_STRING
from .procedures import _Procedure
from .stores import _DOCUMENT_OBJECTS, store_key
from .tokens import _BINARY, _LIBRARIES, _OPERATOR_WORDS, _PRECEDENCE, _SINKS, Token, _Budget, _Skip
from .values import (
    _COMPARISONS,
    _CONSTANTS,
    Value,
    _arithmetic,
    _compare,
    _index,
    _integer,
    _number,
    _numeric,
    text_of,
)


class _Expressions:
    """The folder's state and expressions; statements are in folder.py."""

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

    def invoke(self, name: str, values: list[Value]) -> Value:
        """Run one of the project's procedures with `values` (folder.py)."""
        raise NotImplementedError
