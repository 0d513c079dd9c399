"""Raw header blocks: does a file start like mail, and what would make the stdlib stop early.

The stdlib ends a header block at the first line that is neither `Name:` nor a continuation,
and drops a first line that starts with white space. Mail clients are more forgiving, so an
attacker who knows the difference could hide a Content-Type (and with it every attachment) or
the From line from a scanner, or make the whole file "not a message". Blocks are therefore
judged loosely and repaired before the stdlib sees them; each repair is reported as a defect.
"""

from __future__ import annotations

import re

from ..records import record

# Field names a real message almost always carries near its top.
KNOWN_FIELDS = frozenset(
    {
        b"from",
        b"to",
        b"subject",
        b"date",
        b"received",
        b"return-path",
        b"message-id",
        b"mime-version",
        b"delivered-to",
        b"sender",
        b"reply-to",
        b"content-type",
        b"content-transfer-encoding",
        b"content-disposition",
        b"x-mailer",
        b"x-received",
        b"arc-seal",
        b"dkim-signature",
        b"authentication-results",
        b"in-reply-to",
        b"references",
        b"cc",
        b"x-original-to",
        b"envelope-to",
    }
)
# What the stdlib accepts as a field line (its headerRE without the continuation case).
_STRICT = re.compile(rb"[!-9;-~]*:")
# What a forgiving reader accepts: any bytes but controls, space and colon in the name, and
# white space before the colon.
_LOOSE = re.compile(rb"([^\x00-\x20\x7f:]{1,76})[ \t]*:")
_VALID_NAME = re.compile(rb"[!-9;-~]+")
_EOL = re.compile(rb"\r\n|\r|\n")
# C0 control bytes but tab, line endings and ESC (raw ISO-2022-JP headers carry ESC).
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f]")
_BOM = b"\xef\xbb\xbf"
MAX_LINES = 200  # lines looked at to decide whether a file starts like mail
_LONG_BLOCK = 50  # field lines with no end in sight: padding before From is still mail


@record(kw_only=False)
class Repair:
    """One change made to a header block, reported as a `parse.defect`."""

    code: str
    line: bytes
    detail: str = ""  # what the defect names instead of the line, when the line says too little


def field_name(line: bytes) -> bytes | None:
    """The name of a field line as a forgiving reader sees it (lower case), else None."""
    match = _LOOSE.match(line)
    return match.group(1).lower() if match else None


def strip_lead(head: bytes) -> bytes:
    """Without a UTF-8 byte-order mark and blank lines (or NUL bytes) before the first header."""
    if head.startswith(_BOM):
        head = head[len(_BOM) :]
    return head.lstrip(b"\r\n\x00")


def scrub(line: bytes) -> bytes:
    """A header line as mail clients read it: NUL bytes dropped wherever they are, and other
    control bytes dropped from the field name (a name cannot hold them, and a reader that
    stopped at them would lose the field: `Content-T\\x01ype` hides every attachment)."""
    line = line.replace(b"\x00", b"")
    colon = line.find(b":")
    if colon > 0 and _CONTROL.search(line, 0, colon):
        line = _CONTROL.sub(b"", line[:colon]) + line[colon:]
    return line


def _control_note(line: bytes) -> str:
    """`Subject: 0x00 x3` for a defect: which field, which bytes, how many."""
    match = _LOOSE.match(scrub(line))
    where = match.group(1).decode("ascii", "replace") if match else "line"
    colon = line.find(b":")
    counts: dict[int, int] = {}
    for index, byte in enumerate(line):
        if byte == 0 or (index < colon and _CONTROL.match(line, index, index + 1)):
            counts[byte] = counts.get(byte, 0) + 1
    found = ", ".join(f"0x{byte:02x} x{count}" for byte, count in sorted(counts.items()))
    return f"{where}: {found}"


def looks_like_headers(head: bytes) -> bool:
    """True if `head` (the first bytes of a file) starts with a mail header block.

    Loose on purpose: odd lines, an indented first line, NUL bytes or 8-bit bytes in a name
    must not turn a message into "not a message" (a scanner that skips it is an evasion). Two
    well-known fields, or one on the first line, are what makes a text file a message; two
    well-known fields before any odd line always do, as they do for the stdlib and mail
    clients, whatever follows.
    """
    lines = _EOL.split(strip_lead(head), MAX_LINES)[:MAX_LINES]
    if not lines:
        return False
    known = fields = junk = 0
    leading_known = 0  # well-known fields before the first line that is not a field
    first_is_field = field_name(scrub(lines[0]).lstrip(b" \t")) is not None
    ended = False
    last_is_field = False
    for number, line in enumerate(lines):
        if not line:
            ended = True
            break
        line = scrub(line)  # NUL bytes and controls in names do not hide a message
        if not line.strip() or (number and line[:1] in (b" ", b"\t")):
            continue  # white space: to the stdlib (and here), a continuation line
        if _STRICT.fullmatch(line):  # ":" alone: a field with an empty name, to the stdlib
            fields += 1
            continue
        if number <= 1 and line.lstrip(b" \t").startswith(b"From "):
            continue  # an mbox From_ line, also when indented or after a junk line
        name = field_name(line.lstrip(b" \t") if number == 0 else line)
        if name is None:
            if number == 0 and line[:1] in (b" ", b"\t"):
                continue  # an indented first line: the stdlib reads it as a continuation
            junk += 1
            continue
        fields += 1
        known += name in KNOWN_FIELDS
        last_is_field = number == len(lines) - 1
        if not junk:
            leading_known = known
    if leading_known >= 2:
        return True
    if not ended and last_is_field and not junk and len(lines) < MAX_LINES:
        return True  # the head ends inside a field line longer than what was read
    if junk * 2 > fields:  # markup or prose that mentions a field or two
        return False
    # A block that runs past what was read is a header block when it is a long run of
    # fields (padding before From) or one field line longer than the whole head.
    if not ended and (fields >= _LONG_BLOCK or (len(lines) == 1 and first_is_field)):
        return True
    return known >= 2 or (known >= 1 and first_is_field)


def starts_like_mail(head: bytes) -> bool:
    """True if a file that is not readable as mail still begins as mail does: an mbox
    `From ` line or a well-known (or `X-`) field line, after at most one line of junk.

    Such a file is an error to report, never a file to pass over in silence: a damaged
    message, or one made to look damaged, must not vanish from a folder scan.
    """
    for line in _EOL.split(strip_lead(head), 2)[:2]:
        line = scrub(line).lstrip(b" \t")
        if line.startswith(b"From ") and len(line) > 5 and not line[5:6].isspace():
            return True
        name = field_name(line)
        if name is not None and (name in KNOWN_FIELDS or name.startswith(b"x-")):
            return True
    return False


def _scrub_lines(lines: list[bytes], repairs: list[Repair]) -> list[bytes]:
    """`lines` with NUL bytes and controls in field names dropped; a line that held only
    those is dropped whole, so that it cannot end the block as an empty line would."""
    if not any(b"\x00" in line or _CONTROL.search(line) for line in lines):
        return lines
    clean: list[bytes] = []
    for line in lines:
        fixed = scrub(line)
        if fixed == line:
            clean.append(line)
            continue
        code = "header_control_byte"
        if not fixed.strip():
            code = "header_line_control_bytes"
            fixed = b""
        repairs.append(Repair(code, line, _control_note(line)))
        if fixed:
            clean.append(fixed)
    return clean


def repair(lines: list[bytes]) -> tuple[list[bytes], list[Repair], bool]:
    """`lines` (with line endings) of a header block up to, not including, its blank line.

    Returns the lines the stdlib should see, what was changed, and whether the body starts
    inside the block. A line that no reader could take for a field is dropped when more
    fields follow it; otherwise it is where the body starts (a part whose body follows its
    headers without a blank line), as the stdlib and mail clients read it.
    """
    out: list[bytes] = []
    repairs: list[Repair] = []
    lines = _scrub_lines(lines, repairs)
    fields_after = [False] * (len(lines) + 1)
    for index in range(len(lines) - 1, -1, -1):
        fields_after[index] = fields_after[index + 1] or field_name(lines[index]) is not None
    for index, line in enumerate(lines):
        if index == 0 and line[:1] in (b" ", b"\t"):
            stripped = line.lstrip(b" \t")
            if field_name(stripped) is not None:
                repairs.append(Repair("first_header_indented", line))
                line = stripped
        if (
            _STRICT.match(line)
            or (out and line[:1] in (b" ", b"\t"))
            or (index == 0 and line.startswith(b"From "))  # an mbox From_ line
        ):
            out.append(line)
            continue
        match = _LOOSE.match(line)
        if match is not None:
            name = match.group(1)
            if _VALID_NAME.fullmatch(name):
                repairs.append(Repair("header_space_before_colon", line))
            else:
                repairs.append(Repair("header_name_invalid", line))
                name = re.sub(rb"[^!-9;-~]", b"?", name)
            out.append(name + b":" + line[match.end() :])
            continue
        if fields_after[index + 1] or line[:1] in (b" ", b"\t"):
            repairs.append(Repair("header_line_invalid", line))
            continue
        out.extend(lines[index:])  # the body starts here, as every reader agrees
        return out, repairs, True
    return out, repairs, False
