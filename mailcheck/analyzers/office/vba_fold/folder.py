"""The folder's statements: assignments, declarations, calls (the project's own
procedures run with their arguments), loops, If blocks and the Mid statement."""

from __future__ import annotations

import contextlib

from .expressions import _Expressions
from .limits import MAX_CALL_DEPTH, MAX_CALLS, MAX_ITERATIONS, MAX_VALUE_CHARS
from .procedures import _Break, _Exit, _Procedure
from .tokens import _DECLARATIONS, _MODIFIERS, _SINKS, _SKIPPED, Token, _Budget, _Skip
from .values import Value, _integer, _numeric, text_of


class _Folder(_Expressions):
    """Evaluates statements one at a time over a global environment."""

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
