"""A body as lines with a quote depth: `>` prefixes, `<blockquote>` nesting, and the rarer
marks people quote with (`| `, Supercite's initials `DQ> `).

Lines that only look quoted go back to depth 0: mbox's `>From ` escape and a shell's `> `
continuation prompt under a command line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .html_lines import HtmlLine
from .patterns import MAX_LINE_CHARS, supercite

MAX_DEPTH = 50
_QUOTE_MARKS = (">", "＞")
# A shell prompt: `$ cat <<EOF`, `user@host:~# echo \`; `>` lines right under it are the
# shell's continuation prompt, not a quote.
_PROMPT = re.compile(r"^\s{0,4}[\w.@~:/\[\]-]{0,60}[$#%] \S")
# Supercite's quote prefix: the quoted author's initials, as in `  DQ> text`.
_NICK = re.compile(r"^\s{0,8}([A-Z]{1,4})>(?: |$)")
_ENDINGS = (":", "：")


@dataclass(slots=True)
class Line:
    no: int  # 1-based line of the body (for HTML: of the source)
    raw: str  # as written (HTML: as rendered, with "> " per blockquote)
    depth: int
    text: str  # without quote marks and surrounding space
    cut: bool = False  # HTML: first line of a client's quoted-history container
    attr: bool = False  # HTML: first line of a client's attribution container
    client: str = ""  # HTML: the client that container belongs to
    nick: str = ""  # a Supercite attribution line's initials


def unquote(raw: str) -> tuple[int, str]:
    """Quote depth and content of `> > text`, `>>text`, `  > text`."""
    if not raw.startswith((" ", *_QUOTE_MARKS)):
        return 0, raw.strip()
    lead = 0
    while lead < len(raw) and lead < 4 and raw[lead] == " ":
        lead += 1
    if lead > 3 or raw[lead : lead + 1] not in _QUOTE_MARKS:
        return 0, raw.strip()
    depth, index = 0, lead
    while index < len(raw) and depth < MAX_DEPTH:
        if raw[index] in _QUOTE_MARKS:
            depth += 1
        elif not (raw[index] == " " and raw[index + 1 : index + 2] in _QUOTE_MARKS):
            break
        index += 1
    return depth, raw[index:].strip()


def text_lines(raws: list[str]) -> list[Line]:
    lines: list[Line] = []
    for number, raw in enumerate(raws, 1):
        gnus = supercite(raw) if raw.startswith(">>>>> ") else None
        if gnus is not None:
            lines.append(Line(number, raw, 0, raw.strip(), nick=gnus[0]))
        else:
            depth, content = unquote(raw)
            lines.append(Line(number, raw, depth, content))
    _other_marks(lines)
    _lookalikes(lines)
    return lines


def html_text_lines(rendered: list[HtmlLine]) -> list[Line]:
    lines: list[Line] = []
    for item in rendered:
        depth, content = unquote(item.text)
        raw = "> " * item.depth + item.text
        line = Line(item.source_line, raw, item.depth + depth, content, item.cut, item.attr)
        line.client = item.client
        lines.append(line)
    return lines


def _next_text(lines: list[Line], index: int) -> int:
    for probe in range(index, min(len(lines), index + 3)):
        if lines[probe].raw.strip():
            return probe
    return len(lines)


def _other_marks(lines: list[Line]) -> None:
    """Quotes marked with `|` or with initials, under a line ending in a colon."""
    nick = ""
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if line.nick:
            nick = line.nick
            continue
        if line.depth:
            continue
        stripped = line.raw.lstrip(" ")
        if nick and stripped.startswith(nick + ">") and len(line.raw) - len(stripped) <= 8:
            line.depth, line.text = 1, stripped[len(nick) + 1 :].strip()
            continue
        if not line.text.endswith(_ENDINGS) or len(line.text) > MAX_LINE_CHARS:
            continue
        start = _next_text(lines, index)
        if start == len(lines) or lines[start].depth:
            continue
        initials = _NICK.match(lines[start].raw)
        if initials is not None:
            nick = initials.group(1)  # the lines are marked as the loop reaches them
        elif lines[start].raw.startswith("|"):
            index = start
            while index < len(lines) and lines[index].raw.startswith("|"):
                lines[index].depth, lines[index].text = 1, lines[index].raw[1:].strip()
                index += 1


def _lookalikes(lines: list[Line]) -> None:
    """Put back at depth 0 the `>` lines that are not quotes.

    mbox writers escape a body line "From ..." as ">From " (and ">From " as ">>From "):
    alone between unquoted lines it is text. `> ` lines right under a shell prompt line
    are the shell's continuation prompt.
    """
    for index, line in enumerate(lines):
        if line.depth and line.raw.startswith(">") and line.raw.lstrip(">").startswith("From "):
            before = lines[index - 1].depth if index else 0
            after = lines[index + 1].depth if index + 1 < len(lines) else 0
            if before == 0 and after == 0:
                line.depth, line.text = 0, line.raw.strip()
    for index in range(1, len(lines)):
        above = lines[index - 1]
        if not lines[index].depth or above.depth or len(above.raw) > MAX_LINE_CHARS:
            continue
        if _PROMPT.match(above.raw) or above.raw.rstrip().endswith("\\"):
            run = index
            while run < len(lines) and lines[run].depth and lines[run].raw.strip():
                lines[run].depth, lines[run].text = 0, lines[run].raw.strip()
                run += 1
