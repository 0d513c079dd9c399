"""A linear pre-pass over a raw message, so that the stdlib parser sees a safe skeleton.

The stdlib parser recurses once per nesting level (a thousand nested parts raise
RecursionError and hide whatever lies below) and keeps every body line as a string (a 64 MB
message costs ten times that in memory). This pass follows the same line and boundary rules
as the stdlib's feed parser, with an explicit stack, and returns the bytes to give it:

- header blocks repaired where the stdlib would end them early (`header_block.repair`);
- parts nested deeper than the bound cut out, and reported as `limit.max_depth`;
- large base64 bodies and every attached message body moved aside: the part keeps its headers
  and gets a reference header instead; `Prepared.body()` decodes the body straight from the
  original bytes, and attached messages are parsed on their own (by the extract stage).

When unsure (a boundary that never comes, a header block without its blank line) nothing is
moved: the stdlib then sees exactly what it would have seen.
"""

from __future__ import annotations

import binascii
import contextlib
import email.message
import re
import secrets
from dataclasses import dataclass, field
from email._encoded_words import decode_b  # type: ignore[import-not-found, unused-ignore]

# email._policybase, not email.policy: the latter loads the header registry, which the
# compat32 policy never uses (a tenth of the start-up of a scan).
from email._policybase import compat32

from ..records import record
from .header_block import Repair, field_name, repair, scrub, strip_lead

_EOL = re.compile(rb"\r\n|\r|\n")
_DASHES = re.compile(rb"(?:\r\n|\r|\n)--")  # a line that may be a boundary
_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/=\s]")
_TOKEN = re.compile(r"[a-z0-9][a-z0-9._-]*")
MOVE_BYTES = 64 * 1024  # base64 bodies from this size are decoded outside the stdlib
# A header block longer than this is left to the stdlib as it is (nothing of it is moved).
_MAX_BLOCK_LINES = 10_000
_MAX_BLOCK_BYTES = 4 * 1024 * 1024
# How far into a body a header block cut off by a relay is looked for.
_SPLIT_BLOCK_BYTES = 64 * 1024
_SPLIT_BLOCK_LINES = 200


def transfer_encoding(value: str | None) -> str:
    """The Content-Transfer-Encoding token as a mail client reads it: ' Base64 ' is base64."""
    match = _TOKEN.search((value or "").strip().strip('"').lower())
    return match.group(0) if match else ""


@record(kw_only=False)
class Moved:
    """A body kept out of the stdlib's parse: where it is in the original bytes, how encoded."""

    start: int
    end: int
    encoding: str  # the Content-Transfer-Encoding token: base64 and quoted-printable decoded


@dataclass(slots=True)
class Prepared:
    """The bytes for the stdlib, and what was moved, cut or repaired on the way."""

    data: bytes
    original: bytes
    marker: str = ""  # header name that carries a moved body's reference, unique per scan
    moved: dict[str, Moved] = field(default_factory=dict)
    repairs: list[tuple[str, Repair]] = field(default_factory=list)  # (part path, repair)
    depth_cut: str = ""  # the part path where nesting went past the bound
    parts_cut: bool = False  # parts beyond the bound were cut out
    parts_seen: int = 0

    def moved_body(self, part: email.message.Message) -> Moved | None:
        if not self.moved:
            return None
        reference = part.get(self.marker)
        return self.moved.get(str(reference).strip()) if reference is not None else None

    def body(self, moved: Moved) -> tuple[bytes, list[str]]:
        """A moved body's bytes, decoded; plus stdlib defect names if it was malformed."""
        view = memoryview(self.original)[moved.start : moved.end]
        if moved.encoding == "quoted-printable":
            return binascii.a2b_qp(view), []
        if moved.encoding != "base64":
            return bytes(view), []
        if _NOT_BASE64.search(view) is None:
            try:
                return binascii.a2b_base64(view), []
            except binascii.Error:
                pass
            with contextlib.suppress(binascii.Error):
                return _unpadded_base64(view)
        # Invalid characters: decode as the stdlib would, with its defects.
        value, defects = decode_b(b"".join(bytes(view).split()))
        return value, [type(d).__name__ for d in defects]


_NEVER = re.compile(rb"(?!)")
# A line ending followed by another: the second begins the empty line that ends a header block.
_EMPTY_LINE = re.compile(rb"(\r\n|\r(?!\n)|\n)(?:\r\n|\r|\n)")
# A line ending followed by a line that is neither a field nor a continuation (the block's
# first line is checked on its own): only blocks with such a line go through `repair`.
_ODD_LINE = re.compile(rb"[\r\n](?![ \t\r\n]|\Z)(?![!-9;-~]*:)")
_FIRST_LINE = re.compile(rb"[!-9;-~]*:|From ")
_CHUNK = 1024 * 1024
_WHITESPACE = b" \t\r\n\x0b\x0c"


def _unpadded_base64(view: memoryview) -> tuple[bytes, list[str]]:
    """Base64 whose last group is incomplete (a message cut short): decoded in chunks, so
    that no whitespace-free copy of the whole body is ever made."""
    pieces: list[bytes] = []
    carry = b""
    for start in range(0, len(view), _CHUNK):
        clean = carry + bytes(view[start : start + _CHUNK]).translate(None, _WHITESPACE)
        whole = len(clean) - len(clean) % 4
        pieces.append(binascii.a2b_base64(clean[:whole]))
        carry = clean[whole:]
    defects: list[str] = []
    if len(carry) == 1:  # a lone character cannot encode anything
        defects.append("InvalidBase64LengthDefect")
    elif carry:
        pieces.append(binascii.a2b_base64(carry + b"=" * (4 - len(carry))))
        defects.append("InvalidBase64PaddingDefect")
    return b"".join(pieces), defects


_MIME_FIELDS = (b"content-type", b"content-transfer-encoding")


def _mime_headers(lines: list[bytes]) -> email.message.Message:
    """The first Content-Type and Content-Transfer-Encoding of a header block, stored as the
    stdlib's feed parser stores them, so that its own accessors read the type, boundary and
    encoding exactly as they will in the full parse (without a parse per part)."""
    headers = email.message.Message(compat32)
    found: dict[bytes, list[bytes]] = {}
    current: list[bytes] | None = None
    for line in lines:
        if line[:1] in (b" ", b"\t"):
            if current is not None:
                current.append(line)
            continue
        current = None
        if line[:8].lower() != b"content-":  # most fields: one slice, one comparison
            continue
        name, colon, _rest = line.partition(b":")
        key = name.lower()
        if colon and key in _MIME_FIELDS and key not in found:
            current = found[key] = [line]
    for key in _MIME_FIELDS:
        if key in found:
            text = b"".join(found[key]).decode("ascii", "surrogateescape")
            field, _, value = text.partition(":")
            headers.set_raw(field, value.lstrip(" \t").rstrip("\r\n"))
    return headers


@dataclass(slots=True)
class _Frame:
    """An open multipart: its boundary test and the path of the multipart entity."""

    matcher: re.Pattern[bytes]
    path: str
    depth: int
    children: int = 0


class _Scanner:
    def __init__(self, data: bytes, max_depth: int, max_parts: int) -> None:
        self.data = data
        self.max_depth = max_depth
        self.max_parts = max_parts
        self.out = Prepared(data=data, original=data)
        self.edits: list[tuple[int, int, bytes]] = []  # replace data[a:b] with bytes
        self.frames: list[_Frame] = []
        self.marker = "X-Mailcheck-Moved-" + secrets.token_hex(6)

    # --- lines -------------------------------------------------------------------------

    def line_end(self, pos: int) -> int:
        """Index just past the line that starts at `pos` (its line ending included)."""
        match = _EOL.search(self.data, pos)
        return match.end() if match else len(self.data)

    def boundary_at(self, pos: int) -> tuple[int, bool] | None:
        """(frame index, closing) if the line at `pos` is a boundary of an open multipart."""
        if not self.data.startswith(b"--", pos):
            return None
        line = self.data[pos : self.line_end(pos)]
        for index in range(len(self.frames) - 1, -1, -1):  # innermost first, as the stdlib
            match = self.frames[index].matcher.match(line)
            if match:
                return index, bool(match.group("end"))
        return None

    def next_boundary(self, pos: int) -> tuple[int, int, bool] | None:
        """(line start, frame index, closing) of the next boundary line from `pos` on."""
        if not self.frames:
            return None
        found = self.boundary_at(pos)
        if found:
            return pos, *found
        for match in _DASHES.finditer(self.data, pos):
            start = match.start() + len(match.group()) - 2
            found = self.boundary_at(start)
            if found:
                return start, *found
        return None

    # --- header blocks -----------------------------------------------------------------

    def header_block(self, pos: int, path: str) -> tuple[email.message.Message, int, int]:
        """The entity's headers (as the stdlib will read them), where its blank line starts
        and where its body starts; the two are equal when the block did not end cleanly
        with a blank line (then nothing of this entity is moved)."""
        data = self.data
        if data.startswith((b"\n", b"\r"), pos):  # no headers at all
            block_end, clean = pos, True
        else:
            found = _EMPTY_LINE.search(data, pos, pos + _MAX_BLOCK_BYTES)
            clean = found is not None
            block_end = found.end(1) if found else min(len(data), pos + _MAX_BLOCK_BYTES)
        block = data[pos:block_end]
        lines = block.splitlines(keepends=True)  # \r, \n and \r\n, as the stdlib splits
        cut = len(lines) > _MAX_BLOCK_LINES
        if self.frames and b"--" in block:  # a part's block also ends at a boundary line
            for index, line in enumerate(lines):
                if line.startswith(b"--") and self.boundary_at(pos + len(b"".join(lines[:index]))):
                    lines, cut = lines[:index], True
                    break
        if cut:
            lines = lines[:_MAX_BLOCK_LINES]
            block_end, clean = pos + sum(map(len, lines)), False
            block = data[pos:block_end]
        if block and not (
            _FIRST_LINE.match(block) and _ODD_LINE.search(block) is None and b"\x00" not in block
        ):
            lines, repairs, body_inside = repair(lines)
            clean = clean and not body_inside
            if repairs:
                self.out.repairs.extend((path, r) for r in repairs)
                self.edits.append((pos, block_end, b"".join(lines)))
        headers = _mime_headers(lines)
        body_start = self.line_end(block_end) if clean else block_end
        return headers, block_end, body_start

    # --- entities ----------------------------------------------------------------------

    def move(self, block_end: int, start: int, end: int, encoding: str) -> None:
        reference = str(len(self.out.moved))
        self.out.moved[reference] = Moved(start=start, end=end, encoding=encoding)
        newline = b"\r\n" if self.data.startswith(b"\r\n", block_end) else b"\n"
        # The reference becomes the block's last header; the body itself goes away.
        self.edits.append((block_end, block_end, f"{self.marker}: {reference}".encode() + newline))
        self.edits.append((start, end, b""))

    def entity(self, pos: int, path: str, depth: int, *, digest: bool = False) -> int | None:
        """Scan one entity from its header block; the position of the boundary line that
        ends it (None at the end of the data). `digest`: a part of multipart/digest, whose
        parts are messages unless they say otherwise."""
        self.out.parts_seen += 1
        headers, block_end, body_start = self.header_block(pos, path)
        if digest and headers.get("Content-Type") is None:
            headers.set_default_type("message/rfc822")
        ctype = headers.get_content_type()
        maintype = headers.get_content_maintype()
        boundary = headers.get_boundary() if maintype == "multipart" else None
        if boundary is not None:
            return self.multipart(
                body_start, path, depth, boundary, digest=ctype.endswith("/digest")
            )
        found = self.next_boundary(body_start)
        body_end = self._before_eol(found[0]) if found else len(self.data)
        if block_end < body_start and body_end > body_start:
            cte = transfer_encoding(headers.get("Content-Transfer-Encoding"))
            if maintype == "message" and ctype != "message/delivery-status":
                # Parsed on its own later (extract stage): no recursion here, no
                # re-serialising, and the bytes stay as they were sent.
                self.move(block_end, body_start, body_end, cte)
            elif cte == "base64" and body_end - body_start >= MOVE_BYTES:
                self.move(block_end, body_start, body_end, cte)
        return found[0] if found else None

    def _before_eol(self, boundary_start: int) -> int:
        """The end of a body: the line ending before a boundary belongs to the boundary."""
        if boundary_start >= len(self.data):
            return boundary_start
        end = boundary_start
        if self.data[end - 2 : end] == b"\r\n":
            return end - 2
        if self.data[end - 1 : end] in (b"\n", b"\r"):
            return end - 1
        return end

    def multipart(
        self, body_start: int, path: str, depth: int, boundary: str, *, digest: bool
    ) -> int | None:
        try:
            separator = re.escape(b"--" + boundary.encode("ascii", "surrogateescape"))
            matcher = re.compile(
                rb"(?P<sep>" + separator + rb")(?P<end>--)?(?P<ws>[ \t]*)(?P<linesep>\r\n|\r|\n)?$"
            )
        except UnicodeEncodeError:
            # The stdlib replaced 8-bit bytes in the boundary with U+FFFD: no line of the
            # message can match it there either.
            matcher = _NEVER
        frame = _Frame(matcher=matcher, path=path, depth=depth)
        self.frames.append(frame)
        level = len(self.frames) - 1
        pos: int | None = body_start
        while pos is not None:
            found = self.next_boundary(pos)
            if found is None:
                del self.frames[level:]
                return None
            start, index, closing = found
            if index != level:  # an enclosing multipart's boundary ends this one
                del self.frames[level:]
                return start
            if closing:
                del self.frames[level:]
                epilogue = self.line_end(start)
                following = self.next_boundary(epilogue)
                return following[0] if following else None
            # Consecutive boundary lines are one separator.
            pos = self.line_end(start)
            while pos < len(self.data) and (again := self.boundary_at(pos)) and again[0] == level:
                pos = self.line_end(pos)
            frame.children += 1
            child = f"{path}.{frame.children}" if path else str(frame.children)
            too_deep = depth + 1 > self.max_depth
            if too_deep or self.out.parts_seen >= self.max_parts:
                # Cut the part out: the stdlib would recurse into it (too deep) or hold
                # parts that the walker will not look at anyway (too many).
                if too_deep and not self.out.depth_cut:
                    self.out.depth_cut = child
                elif not too_deep:
                    self.out.parts_cut = True
                following = self.next_boundary(pos)
                cut_end = following[0] if following else len(self.data)
                self.edits.append((pos, self._before_eol(cut_end), b""))
                pos = cut_end if following else None
                continue
            pos = self.entity(pos, child, depth + 1, digest=digest)
        return None

    def rejoin(self, pos: int) -> None:
        """Undo a header block cut in two by a relay.

        An MTA that meets a line it cannot take for a field (a NUL in a name, a line of
        NULs) ends the header block there and inserts a blank line: what follows, the
        sender's Content-Type included, becomes a plain-text body. A later reader that is
        more forgiving (or an attacker's own client) still sees the attachments, so when
        the top block has no Content-Type and the body opens with a block that has one,
        the two are read as the one block they were sent as.
        """
        data = self.data
        found = _EMPTY_LINE.search(data, pos, pos + _MAX_BLOCK_BYTES)
        if found is None:
            return
        top = data[pos : found.end(1)].splitlines()
        if any(field_name(scrub(line)) == b"content-type" for line in top):
            return
        body = found.end()
        ahead = _EMPTY_LINE.search(data, body, body + _SPLIT_BLOCK_BYTES)
        lines = data[body : ahead.end(1) if ahead else body].splitlines()[:_SPLIT_BLOCK_LINES]
        if not lines or not any(field_name(scrub(line)) == b"content-type" for line in lines):
            return
        first = lines[0]
        if field_name(scrub(first)) is None and scrub(first).strip() and b"\x00" not in first:
            return  # prose that mentions a Content-Type, not a block that was cut
        self.out.repairs.append(("", Repair("header_block_split", first, _split_note(first))))
        self.data = data[: found.end(1)] + data[body:]
        self.out.data = self.out.original = self.data

    def run(self) -> Prepared:
        lead = len(self.data) - len(strip_lead(self.data))
        if lead:
            nuls = self.data.count(b"\x00", 0, lead)
            note = f"before the headers: 0x00 x{nuls}"
            fix = (
                Repair("leading_control_bytes", self.data[:lead], note)
                if nuls
                else Repair("leading_blank_lines", self.data[:lead])
            )
            self.out.repairs.append(("", fix))
            self.edits.append((0, lead, b""))
        self.rejoin(lead)
        self.entity(lead, "", 0)
        if self.edits:
            self.out.data = _apply(self.data, self.edits)
            self.out.marker = self.marker
        return self.out


def _split_note(line: bytes) -> str:
    text = scrub(line)[:60].decode("ascii", "replace").strip()
    return f"the header block went on after a blank line, from: {text or 'a line of NUL bytes'}"


def _apply(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    view = memoryview(data)
    pieces: list[bytes | memoryview] = []
    at = 0
    for start, end, replacement in sorted(edits, key=lambda e: (e[0], e[1])):
        if start < at:  # overlapping edits cannot happen; never duplicate bytes if they do
            continue
        pieces.append(view[at:start])
        pieces.append(replacement)
        at = end
    pieces.append(view[at:])
    return b"".join(pieces)


def prepare(data: bytes, *, max_depth: int, max_parts: int) -> Prepared:
    """The skeleton of `data` for the stdlib parser, with the bodies it should not hold."""
    return _Scanner(data, max_depth, max_parts).run()
