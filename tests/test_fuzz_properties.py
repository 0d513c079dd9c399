"""Property tests: structurally valid and hostile messages, built by hypothesis.

Invariants: a scan never raises (every generated input starts like mail, so it is never
"not a message" either); a message that a mail client would show an executable attachment
for is never clean-and-complete, also with NUL and control bytes in its header blocks and
bodies; a bound that is crossed is reported; a message with NUL and control bytes inserted
anywhere that the standard library still reads two well-known fields from is scanned, never
"not a message". Bounded for CI; the long mutation runs are `tools/fuzz.py`.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import os
import zipfile
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailcheck.api import scan_bytes
from mailcheck.limits import DEFAULT
from mailcheck.model import ScanResult
from mailcheck.parse import NotAMessageError
from testkit.fuzzing import stdlib_reads_mail
from testkit.payloads import build_pe_stub

# A few hundred examples in CI; MAILCHECK_FUZZ_EXAMPLES=5000 for a long local run.
_COUNT = int(os.environ.get("MAILCHECK_FUZZ_EXAMPLES", "120"))
EXAMPLES = settings(
    max_examples=_COUNT, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
LIMITS = dataclasses.replace(DEFAULT, max_depth=4)  # nesting bound of 16 MIME levels


@dataclass(frozen=True)
class Node:
    kind: str  # text, exe, zip_exe, locked_exe, multipart, message
    children: tuple[Node, ...] = ()
    name: str = ""

    def depth(self) -> int:
        return 1 + max((c.depth() for c in self.children), default=0)

    def holds_executable(self) -> bool:
        return self.kind in ("exe", "zip_exe", "locked_exe") or any(
            c.holds_executable() for c in self.children
        )


names = st.sampled_from(["invoice.exe", "請求書.exe", "a b.scr", "x.pdf.exe", "ＲＥＡＤＭＥ.exe"])
leaves = st.one_of(
    st.just(Node("text")),
    st.builds(Node, st.just("exe"), st.just(()), names),
    st.builds(Node, st.just("zip_exe"), st.just(()), names),
    st.builds(Node, st.just("locked_exe"), st.just(()), names),
)
trees = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.builds(Node, st.just("multipart"), st.lists(inner, min_size=1, max_size=3).map(tuple)),
        st.builds(Node, st.just("message"), st.tuples(inner)),
    ),
    max_leaves=8,
)


@dataclass(frozen=True)
class Style:
    """How the message is written: line endings and the header oddities clients tolerate."""

    newline: str
    junk_line: bool
    indented_first: bool
    space_before_colon: bool
    encoding_case: str
    boundary_prefix: str
    controls: str  # where NUL / control bytes go in each header block (see Writer.styled)


styles = st.builds(
    Style,
    newline=st.sampled_from(["\r\n", "\n"]),
    junk_line=st.booleans(),
    indented_first=st.booleans(),
    space_before_colon=st.booleans(),
    encoding_case=st.sampled_from(["base64", "BASE64", " Base64 ", "base64 (x)"]),
    boundary_prefix=st.sampled_from(["b", "=_Part_", "----=_NextPart_", "a'b(c)"]),
    controls=st.sampled_from(["", "value", "name", "run", "line", "control", "body"]),
)


def _with_controls(head: list[str], where: str) -> list[str]:
    """One header block with NUL or control bytes where hostile and broken mail has them."""
    last = head[-1]
    colon = last.find(":")
    if where == "value":
        return [*head[:-1], last[: colon + 4] + "\x00" + last[colon + 4 :]]
    if where == "name" and colon > 3:
        return [*head[:-1], last[:3] + "\x00" + last[3:]]
    if where == "control" and colon > 3:
        return [*head[:-1], last[:3] + "\x01" + last[3:]]
    if where == "run":
        first = head[0]
        at = first.find(":") + 2
        return [first[:at] + "\x00" * 40 + first[at:], *head[1:]]
    if where == "line" and len(head) > 1:
        return [head[0], "\x00" * 8, *head[1:]]
    return head


def _zip(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


def _locked_zip(name: str, data: bytes) -> bytes:
    import pyzipper  # type: ignore[import-untyped, unused-ignore]

    buffer = io.BytesIO()
    with pyzipper.AESZipFile(buffer, "w", encryption=pyzipper.WZ_AES) as archive:
        archive.setpassword(b"never-in-the-mail")
        archive.writestr(name, data)
    return buffer.getvalue()


class Writer:
    def __init__(self, style: Style) -> None:
        self.style = style
        self.count = 0

    def styled(self, head: list[str], body: list[str]) -> list[str]:
        """A header block written with the style's oddities, its blank line and the body."""
        style = self.style
        if style.space_before_colon:
            head = [ln.replace("Content-Type:", "Content-Type :", 1) for ln in head]
        if style.junk_line and len(head) > 1:
            head = [head[0], "this line is not a header", *head[1:]]
        if style.indented_first:
            head = [" " + head[0], *head[1:]]
        head = _with_controls(head, style.controls)
        if style.controls == "body" and body:
            body = ["\x00" + body[0], *body[1:]] if body[0][:2] != "--" else body
        return [*head, "", *body]

    def attachment(self, filename: str, data: bytes) -> tuple[list[str], list[str]]:
        head = [
            "Content-Type: application/octet-stream",
            f"Content-Transfer-Encoding: {self.style.encoding_case}",
            f'Content-Disposition: attachment; filename="{filename}"',
        ]
        return head, base64.encodebytes(data).decode().strip().split("\n")

    def entity(self, node: Node) -> tuple[list[str], list[str]]:
        """(header lines, body lines) of one entity, unstyled."""
        self.count += 1
        if node.kind == "text":
            return ["Content-Type: text/plain; charset=utf-8"], ["hello"]
        if node.kind == "exe":
            return self.attachment(node.name, build_pe_stub())
        if node.kind == "zip_exe":
            return self.attachment("files.zip", _zip(node.name, build_pe_stub()))
        if node.kind == "locked_exe":
            return self.attachment("files.zip", _locked_zip(node.name, build_pe_stub()))
        if node.kind == "message":
            return ["Content-Type: message/rfc822"], self.message(node.children[0])
        boundary = f"{self.style.boundary_prefix}{self.count}"
        body: list[str] = []
        for child in node.children:
            body += [f"--{boundary}", *self.styled(*self.entity(child))]
        return [f'Content-Type: multipart/mixed; boundary="{boundary}"'], [*body, f"--{boundary}--"]

    def message(self, node: Node) -> list[str]:
        top = ["From: Sender <sender@example.com>", "To: you@example.org", "Subject: files"]
        head, body = self.entity(node)
        return self.styled([*top, "MIME-Version: 1.0", *head], body)

    def render(self, node: Node) -> bytes:
        return self.style.newline.join(self.message(node)).encode("utf-8")


def scan(node: Node, style: Style) -> ScanResult:
    return scan_bytes(Writer(style).render(node), limits=LIMITS)


@EXAMPLES
@given(trees, styles)
def test_an_executable_never_passes_as_clean_and_complete(node: Node, style: Style) -> None:
    result = scan(node, style)  # raises NotAMessageError if the message were dropped
    if node.holds_executable():
        assert result.verdict.label != "clean" or result.verdict.incomplete
    else:
        ids = {f.id for f in result.findings}
        assert not ids & {"attachment.executable", "attachment.encrypted_program"}


@EXAMPLES
@given(trees, styles, st.integers(min_value=20, max_value=60))
def test_nesting_past_the_bound_is_reported(node: Node, style: Style, extra: int) -> None:
    deep = node
    for _ in range(extra):
        deep = Node("multipart", (deep,))
    result = scan(deep, style)
    assert "limit.max_depth" in {f.id for f in result.findings}
    assert result.verdict.incomplete
    assert result.verdict.label != "clean"


@EXAMPLES
@given(trees, styles, st.data())
def test_cut_or_damaged_messages_still_give_a_result(
    node: Node, style: Style, data: st.DataObject
) -> None:
    raw = Writer(style).render(node)
    cut = data.draw(st.integers(min_value=min(40, len(raw)), max_value=len(raw)))
    flips = data.draw(st.lists(st.integers(min_value=0, max_value=max(0, cut - 1)), max_size=5))
    damaged = bytearray(raw[:cut])
    for at in flips:
        if at >= 80:  # keep the first header lines readable: this is about what follows
            damaged[at] ^= 0x5A
    try:
        result = scan_bytes(bytes(damaged), limits=LIMITS)
    except NotAMessageError:  # a head cut or damaged past recognition: an error line
        return
    assert result.verdict.label in ("clean", "suspicious", "malicious")


_CONTROL_RUNS = ["\x00", "\x00" * 40, "\x01", "\x08", "\x0b", "\x0c", "\x1f", "\x7f", "\x00\r\n"]


@EXAMPLES
@given(trees, styles, st.data())
def test_a_message_the_stdlib_still_reads_is_never_called_not_mail(
    node: Node, style: Style, data: st.DataObject
) -> None:
    raw = bytearray(Writer(style).render(node))
    head_end = raw.find(b"\n\n") if b"\n\n" in raw else len(raw)
    spots = data.draw(
        st.lists(
            st.tuples(
                st.integers(min_value=0, max_value=len(raw)), st.sampled_from(_CONTROL_RUNS)
            ),
            min_size=1,
            max_size=6,
        )
    )
    for at, run in sorted(spots, reverse=True):
        at = at if data.draw(st.booleans()) else min(at, head_end)  # mostly in the head
        raw[at:at] = run.encode("latin-1")
    mutant = bytes(raw)
    try:
        result = scan_bytes(mutant, limits=LIMITS)
    except NotAMessageError:
        assert not stdlib_reads_mail(mutant), "the stdlib reads it as mail: it was dropped"
        return
    assert result.verdict.label in ("clean", "suspicious", "malicious")
