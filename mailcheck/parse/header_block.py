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
_BOM = b"\xef\xbb\xbf"
MAX_LINES = 200  # lines looked at to decide whether a file starts like mail
_LONG_BLOCK = 50  # field lines with no end in sight: padding before From is still mail


@record(kw_only=False)
class Repair:
    """One change made to a header block, reported as a `parse.defect`."""

    code: str
    line: bytes


def field_name(line: bytes) -> bytes | None:
    """The name of a field line as a forgiving reader sees it (lower case), else None."""
    match = _LOOSE.match(line)
    return match.group(1).lower() if match else None


def strip_lead(head: bytes) -> bytes:
    """Without a UTF-8 byte-order mark and blank lines before the first header."""
    if head.startswith(_BOM):
        head = head[len(_BOM) :]
    return head.lstrip(b"\r\n")


def looks_like_headers(head: bytes) -> bool:
    """True if `head` (the first bytes of a file) starts with a mail header block.

    Loose on purpose: odd lines, an indented first line or 8-bit bytes in a name must not turn
    a message into "not a message" (a scanner that skips it is an evasion). Two well-known
    fields, or one on the first line, are what makes a text file a message.
    """
    lines = _EOL.split(strip_lead(head), MAX_LINES)[:MAX_LINES]
    if not lines:
        return False
    known = fields = junk = 0
    first_is_field = field_name(lines[0].lstrip(b" \t")) is not None
    ended = False
    for number, line in enumerate(lines):
        if not line.strip():
            ended = True
            break
        if b"\x00" in line:  # binary data, not a header block
            return False
        if number and line[:1] in (b" ", b"\t"):
            continue
        name = field_name(line.lstrip(b" \t") if number == 0 else line)
        if name is None:
            junk += 1
            continue
        fields += 1
        known += name in KNOWN_FIELDS
    if junk * 2 > fields:  # markup or prose that mentions a field or two
        return False
    # A block that runs past what was read is a header block when it is a long run of
    # fields (padding before From) or one field line longer than the whole head.
    if not ended and (fields >= _LONG_BLOCK or (len(lines) == 1 and first_is_field)):
        return True
    return known >= 2 or (known >= 1 and first_is_field)


def repair(lines: list[bytes]) -> tuple[list[bytes], list[Repair], bool]:
    """`lines` (with line endings) of a header block up to, not including, its blank line.

    Returns the lines the stdlib should see, what was changed, and whether the body starts
    inside the block. A line that no reader could take for a field is dropped when more
    fields follow it; otherwise it is where the body starts (a part whose body follows its
    headers without a blank line), as the stdlib and mail clients read it.
    """
    out: list[bytes] = []
    repairs: list[Repair] = []
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
