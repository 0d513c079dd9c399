"""Quoted-thread parsing: the new text of a reply, its quoted history, and who took part.

    split_thread(text, html=False) -> ThreadSplit

A body is read as lines, each with a quote depth (`>` prefixes, or `<blockquote>` nesting
for HTML). Three things start quoted history:

- a separator: `-----Original Message-----`, a forward banner, Outlook's rule of
  underscores (only when a header block follows: Mailman's footer uses one too);
- a header block: `From:` / `差出人:` followed by `Sent:` / `To:` / `件名:` …;
- an attribution: `On DATE, NAME wrote:` and its Gmail, Apple, Thunderbird and Japanese
  forms, when a deeper quote follows it or (if it names a date or address) nothing else.

At depth 0 the first separator, header block or unquoted attribution cuts the body: what
follows is history (Outlook does not prefix it). Above the cut, `>` lines and their
attributions are history and everything else is new text, so inline replies keep the
sender's own lines. Separators, blocks and attributions inside quotes are older messages
of the thread and yield headers too.

Styles: outlook, outlook-ja (header blocks), forward, forward-ja (forward banners),
gmail, gmail-ja, apple, apple-ja, thunderbird, thunderbird-ja (attributions; "thunderbird"
is the family `[On DATE,] NAME wrote:` that mutt, pine and Evolution write too),
supercite (Gnus), and for HTML the client whose container held the attribution.

Choices on look-alikes (see `lines.py` and the tests): Outlook's rule of underscores needs
a header block under it; a lone `From:` line needs a second field, or (inside a quote) an
address; `X wrote:` without a date or address needs a quote under it; `-- ` signatures are
text; `>` lines directly under a shell prompt are text, other `>` lines are quotes.

For an on-behalf-of sender (`A on behalf of B`, `A が B の代理で送信`) the sender is B and
A, the mailbox that sent it, is kept as the header's delegate.

Work is linear: input and lines examined are capped, each recogniser looks at a bounded
window, and no regex repeats a group that itself repeats.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .greetings import greeting, signature
from .html_lines import html_lines
from .lines import Line, html_text_lines, text_lines
from .participants import parse_people, parse_sender
from .patterns import (
    CC,
    DATE,
    FROM,
    MAX_LINE_CHARS,
    OTHER,
    SUBJECT,
    TO,
    Attribution,
    Field,
    Separator,
    attribution,
    field,
    opens_attribution,
    separator,
    supercite,
)
from .types import Participant, QuotedHeader, ThreadSplit

MAX_CHARS = 4 * 1024 * 1024  # of text analysed; the rest joins the part it continues
MAX_BODY_LINES = 100_000  # lines given a quote depth
MAX_LINES = 20_000  # of those, lines examined for separators, header blocks and attributions
MAX_HEADERS = 200
MAX_EXCERPT = 300
_GREETING_LINES = 2  # a greeting is the first or (under a company name) second line
_SIGNATURE_LINES = 8  # a closing and the name under it are among a message's last lines
_GAP = 3  # blank lines allowed between an attribution and its quote, a banner and fields
_BLOCK_LINES = 16  # a quoted header block is never longer
_SENTENCE_ENDS = (".", "!", "?", "。", "！", "？")
_WRAP_CHARS = 80  # a wrapped piece of a header value is short
# A value that cannot end there: what follows on the next line(s) is the rest of it.
_UNFINISHED = ("on behalf of", ",", ";")
# A raw RFC 5322 header line pasted into a quote ("X-Mailer: …"): part of the block.
_RAW_FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9-]{1,40}:\s")


@dataclass(slots=True)
class _Block:
    fields: dict[str, Field]
    start: int
    end: int  # index after the block's last field line


def _field_block(lines: list[Line], start: int, *, any_field: bool) -> _Block | None:
    """The header block starting at `start`: field lines, wrapped values between them.

    A reply client that re-wraps a quote leaves a value's tail at a shallower depth
    ("> From: list [mailto:list] On Behalf Of" / "Adam" / "> L. Beberg"): short pieces at
    or above the block's depth continue the previous field.
    """
    if start >= len(lines):
        return None
    depth = lines[start].depth
    fields: dict[str, Field] = {}
    wrapped: list[str] = []
    last = ""
    end = start
    for index in range(start, min(len(lines), start + _BLOCK_LINES)):
        line = lines[index]
        if line.depth > depth or not line.text or len(line.text) > MAX_LINE_CHARS:
            break
        found = field(line.text) if line.depth == depth else None
        if found is None and line.depth == depth and _RAW_FIELD.match(line.text):
            found = Field(key=OTHER, value="", lang="")  # X-Mailer: and the like
        if found is None:
            if not fields or len(wrapped) >= 2 or len(line.text) > _WRAP_CHARS:
                break
            wrapped.append(line.text)  # Outlook wraps a long From/To onto the next line
            continue
        if found.key in fields and found.key != OTHER:
            break  # a second From: is the next block
        if wrapped:
            previous = fields[last]
            joined = " ".join((previous.value, *wrapped))
            fields[last] = Field(key=previous.key, value=joined, lang=previous.lang)
            wrapped = []
        fields[found.key] = found
        last, end = found.key, index + 1
    if wrapped and last in fields and fields[last].value.lower().endswith(_UNFINISHED):
        previous = fields[last]
        joined = " ".join((previous.value, *wrapped))
        fields[last] = Field(key=previous.key, value=joined, lang=previous.lang)
        end += len(wrapped)
    if not fields:
        return None
    if any_field:
        return _Block(fields, start, end)
    # Without a banner: From (or exmh's Date) first, and another field; or, inside a quote,
    # an address alone in its paragraph (repliers often keep only the "> From: Name
    # [mailto:addr]" of Outlook's block).
    first = field(lines[start].text)
    if FROM not in fields or first is None or first.key not in (FROM, DATE):
        return None
    if len(set(fields) - {OTHER}) >= 2:
        return _Block(fields, start, end)
    if not depth:
        return None
    sender = parse_sender(fields[FROM].value)[0]
    alone = (start == 0 or not lines[start - 1].text or lines[start - 1].depth != depth) and (
        end >= len(lines) or not lines[end].text
    )
    return _Block(fields, start, end) if alone and sender and sender.addr else None


def _next_text(lines: list[Line], index: int, depth: int) -> int:
    """Index of the first non-blank line at `depth` within _GAP lines, else len(lines)."""
    for probe in range(index, min(len(lines), index + _GAP + 1)):
        if lines[probe].depth != depth:
            break
        if lines[probe].text:
            return probe
    return len(lines)


def _quote_follows(lines: list[Line], index: int, depth: int) -> bool:
    for probe in range(index, min(len(lines), index + _GAP + 1)):
        if lines[probe].depth > depth:
            return True
        if lines[probe].text:
            return False
    return False


def _excerpt(lines: list[Line], *indexes: int) -> str:
    """The lines as written (without repeats), for evidence."""
    text = "\n".join(lines[index].raw.strip() for index in dict.fromkeys(indexes))
    return text[:MAX_EXCERPT]


def _recipients(fields: dict[str, Field]) -> tuple[Participant, ...]:
    people: dict[tuple[str, str], Participant] = {}
    for key in (TO, CC):
        if key in fields:
            for person in parse_people(fields[key].value):
                people.setdefault((person.name, person.addr), person)
    return tuple(people.values())


def _lang_suffix(fields: dict[str, Field], banner: Separator | None) -> str:
    """The style suffix ("-ja", "-de", …) of a block not labelled in English, else ""."""
    langs = [f.lang for f in fields.values() if f.lang]
    # Gmail in Japanese writes English labels under a Japanese banner; a Chinese banner
    # ("原始邮件") has Han characters too, and its labels say "zh".
    if banner is not None and banner.japanese and "zh" not in langs:
        langs.insert(0, "ja")
    lang = langs[0] if langs else "en"
    return "" if lang == "en" else "-" + lang


def _block_header(
    lines: list[Line], first: int, block: _Block | None, banner: Separator | None
) -> QuotedHeader:
    fields = block.fields if block else {}
    sender, delegate = parse_sender(fields[FROM].value) if FROM in fields else (None, None)
    forwarded = banner is not None and banner.forwarded
    style = ("forward" if forwarded else "outlook") + _lang_suffix(fields, banner)
    return QuotedHeader(
        style=style,
        sender=sender,
        recipients=_recipients(fields),
        subject=fields[SUBJECT].value if SUBJECT in fields else "",
        date=fields[DATE].value if DATE in fields else "",
        line=lines[first].no,
        excerpt=_excerpt(lines, first, block.start) if block else _excerpt(lines, first),
        forwarded=forwarded,
        delegate=delegate,
    )


def _attribution_at(lines: list[Line], index: int) -> tuple[Attribution | None, int]:
    """An attribution starting at `index` (wrapped over up to three lines) and its end."""
    line = lines[index]
    if line.nick:
        gnus = supercite(line.raw)
        return (gnus[1], index + 1) if gnus else (None, index)
    single = attribution(line.text)
    if single is not None:
        return single, index + 1
    # A sentence ("On Monday we will pay.") is not the first half of a wrapped attribution.
    if (opens_attribution(line.text) or line.attr) and not line.text.endswith(_SENTENCE_ENDS):
        joined = line.text
        for probe in range(index + 1, min(len(lines), index + 3)):
            if lines[probe].depth != line.depth or not lines[probe].text:
                break
            joined += " " + lines[probe].text
            wrapped = attribution(joined)
            if wrapped is not None:
                return wrapped, probe + 1
    if line.attr:  # a client's attribution container, in a wording we do not know
        return Attribution(line.client or "html", None, "", True), index + 1
    return None, index


def _attribution_header(
    lines: list[Line], start: int, end: int, found: Attribution
) -> QuotedHeader:
    style = found.style
    client = lines[start].client
    if client and client not in style:
        style = client + ("-ja" if style.endswith("-ja") else "")
    return QuotedHeader(
        style=style,
        sender=found.sender,
        recipients=(),
        subject="",
        date=found.date,
        line=lines[start].no,
        excerpt=_excerpt(lines, *range(start, end)),
        forwarded=False,
    )


@dataclass(slots=True)
class _Scan:
    headers: list[QuotedHeader]
    starts: list[int]  # index of each header's first line
    ends: list[int]  # index after each header's last line
    cut: int | None  # index of the first line of unprefixed history
    history: set[int]  # lines above the cut that belong to history whatever their depth


def _scan(lines: list[Line]) -> _Scan:
    scan = _Scan([], [], [], None, set())

    def cut_at(index: int) -> None:
        if lines[index].depth == 0 and (scan.cut is None or index < scan.cut):
            scan.cut = index

    index = 0
    limit = min(len(lines), MAX_LINES)
    while index < limit and len(scan.headers) < MAX_HEADERS:
        line = lines[index]
        if line.cut:
            cut_at(index)
        if not line.text or len(line.text) > MAX_LINE_CHARS:
            index += 1
            continue
        banner = separator(line.text)
        if banner is not None:
            start = _next_text(lines, index + 1, line.depth)
            block = _field_block(lines, start, any_field=True)
            if block is not None or not banner.weak:
                scan.headers.append(_block_header(lines, index, block, banner))
                scan.starts.append(index)
                cut_at(index)
                index = block.end if block else index + 1
                scan.ends.append(index)
                scan.history.update(range(start, index))
                continue
        first = field(line.text)
        if first is not None and first.key in (FROM, DATE):
            block = _field_block(lines, index, any_field=False)
            if block is not None:
                scan.headers.append(_block_header(lines, index, block, None))
                scan.starts.append(index)
                cut_at(index)
                scan.history.update(range(index, block.end))
                index = block.end
                scan.ends.append(index)
                continue
        found, end = _attribution_at(lines, index)
        if found is not None:
            follows = _quote_follows(lines, end, line.depth)
            if follows or found.strong:
                scan.headers.append(_attribution_header(lines, index, end, found))
                scan.starts.append(index)
                scan.ends.append(end)
                scan.history.update(range(index, end))
                if not follows:
                    cut_at(index)
                index = end
                continue
        index += 1
    return scan


def _named(lines: list[Line], scan: _Scan) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Whom the quoted messages greet, and the names they are signed with."""
    greeted: dict[str, None] = {}
    signed: dict[str, None] = {}
    for number, end in enumerate(scan.ends):
        # A message's text runs to the next header (or the end of what was examined).
        following = scan.starts[number + 1] if number + 1 < len(scan.starts) else len(lines)
        stop = min(max(end, following), len(lines), MAX_LINES)
        texts = [lines[i].text for i in range(end, stop) if lines[i].text][:_GREETING_LINES]
        for text in texts:  # a company line may come first: "株式会社ノースウィンド" / "高橋様"
            found = greeting(text)
            if found:
                greeted.update(dict.fromkeys(found))
                break
        tail = [lines[i].text for i in range(max(end, stop - _SIGNATURE_LINES), stop)]
        name = signature(tail)
        if name:
            signed[name] = None
    return tuple(greeted), tuple(signed)


def _join(lines: list[str]) -> str:
    """Lines as text, without blank lines at either end or runs of blank lines."""
    kept: list[str] = []
    for text in lines:
        if text.strip() or (kept and kept[-1].strip()):
            kept.append(text if text.strip() else "")
    return "\n".join(kept).rstrip()


def _body_lines(text: str) -> tuple[list[str], str]:
    """The lines examined, and the unread rest of the text (past MAX_CHARS / MAX_BODY_LINES)."""
    body = text[:MAX_CHARS].replace("\r\n", "\n").replace("\r", "\n")
    rest = text[MAX_CHARS:]
    raws = body.split("\n", MAX_BODY_LINES)
    if len(raws) > MAX_BODY_LINES:
        rest = raws.pop() + rest
    return raws, rest


def split_thread(text: str, *, html: bool = False) -> ThreadSplit:
    """Split a text or HTML body into new text and quoted history, and read the history's
    headers (senders, recipients, subjects, dates) top to bottom.

    For HTML both parts are the rendered text. Text past the caps is not examined: it is
    appended to whichever part the examined text ended in (HTML past the caps is dropped).
    """
    if html:
        lines, rest = html_text_lines(html_lines(text)), ""
    else:
        raws, rest = _body_lines(text)
        lines = text_lines(raws)
    scan = _scan(lines)
    new: list[str] = []
    quoted: list[str] = []
    part = new
    for index, line in enumerate(lines):
        in_history = scan.cut is not None and index >= scan.cut
        part = quoted if in_history or line.depth or index in scan.history else new
        part.append(line.raw)
    if rest:
        part.append(rest)
    greeted, signed = _named(lines, scan)
    return ThreadSplit(
        new_text=_join(new),
        quoted_text=_join(quoted),
        headers=tuple(scan.headers),
        quoted=bool(scan.headers) or scan.cut is not None or any(x.depth for x in lines),
        greeted=greeted,
        signed=signed,
    )
