"""HTML bodies as lines of text, with quote depth and the mail clients' quote markers.

`<blockquote>` nesting becomes a quote depth, block elements and `<br>` end lines, and the
containers mail clients wrap quoted history in (Gmail's `gmail_quote` / `gmail_attr`,
Outlook's `divRplyFwdMsg` / `appendonsend`, Thunderbird's `moz-cite-prefix`) mark the
line they start on. The text patterns in `patterns.py` then read the lines as they would a
plain-text body.

The stdlib parser has quadratic corners on malformed markup (a run of `<a<a<a…`, an
attribute quote that never closes, unterminated `<![`), so `_sanitize` first turns every
`<` that does not open a short, complete tag into text, drops comments, declarations and
processing instructions, and removes unbalanced quotes from tags: after that each tag the
parser sees ends at its own `>`, and parsing is linear. It is also slow (a few µs a tag),
so only the first MAX_TAGS tags are read.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from ..records import record

MAX_HTML_CHARS = 4 * 1024 * 1024
MAX_TAGS = 100_000
MAX_STACK = 512
MAX_DEPTH = 20
MAX_LINES = 100_000

_VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
_SKIP = frozenset(["script", "style", "title", "template", "xml"])
_BLOCK = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "center",
        "dd",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "tr",
        "ul",
    ]
)
_CELL = frozenset(("td", "th"))
# Class names (also with Outlook's "x_" prefix on a forwarded copy) and what they mark.
_CUT_CLASSES = {
    "gmail_quote": "gmail",
    "gmail_quote_container": "gmail",
    "moz-forward-container": "thunderbird",
    "yahoo_quoted": "yahoo",
    "outlookmessageheader": "outlook",
}
_ATTR_CLASSES = {"gmail_attr": "gmail", "moz-cite-prefix": "thunderbird"}
_CUT_IDS = ("divrplyfwdmsg", "appendonsend")


@record(kw_only=False)
class HtmlLine:
    depth: int  # open <blockquote> elements
    text: str
    source_line: int  # 1-based line of the HTML source where the text starts
    cut: bool  # the first line of a client's quoted-history container
    attr: bool  # the first line of a client's attribution container
    client: str  # gmail, outlook, thunderbird, yahoo, or ""


# A tag longer than any we read (an inline `data:` image): dropped, not shown as text.
_LONG_TAG = re.compile(r"<[A-Za-z][^<>]{2000,}>")
# A `<` that does not open a tag closed within 2,000 characters, before any other `<`.
_NOT_A_TAG = re.compile(r"<(?![A-Za-z/!?][^<>]{0,2000}>)")
_DECLARATION = re.compile(r"<[!?][^<>]{0,2000}>")
_QUOTED_TAG = re.compile(r"<[A-Za-z/][^<>\"']{0,2000}[\"'][^<>]{0,2000}>")


def _blank_lines(found: re.Match[str]) -> str:
    return "\n" * found.group().count("\n")  # keeps source line numbers right


def _balance_quotes(found: re.Match[str]) -> str:
    tag = found.group()
    if tag.count('"') % 2 or tag.count("'") % 2:
        return tag.replace('"', "").replace("'", "")
    return tag


def _drop_comments(markup: str) -> str:
    out: list[str] = []
    copied = 0
    while True:
        start = markup.find("<!--", copied)
        if start < 0:
            break
        end = markup.find("-->", start + 4)
        if end < 0:  # no comment ends after here: the rest is text, browsers would hide it
            out.append(markup[copied:start])
            out.append(markup[start:].replace("<!--", "&lt;!--"))
            return "".join(out)
        out.append(markup[copied:start])
        out.append("\n" * markup.count("\n", start, end))
        copied = end + 3
    out.append(markup[copied:])
    return "".join(out)


def _sanitize(markup: str) -> str:
    markup = _LONG_TAG.sub(_blank_lines, _drop_comments(markup))
    markup = _NOT_A_TAG.sub("&lt;", markup)
    markup = _DECLARATION.sub(_blank_lines, markup)  # doctype, <![if …]>, <?xml …?>
    markup = _QUOTED_TAG.sub(_balance_quotes, markup)
    index = -1
    for _ in range(MAX_TAGS):
        index = markup.find("<", index + 1)
        if index < 0:
            return markup
    return markup[:index]  # more tags than any mail has: the rest is not read


class _Renderer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[HtmlLine] = []
        self._parts: list[str] = []
        self._source_line = 0
        self._stack: list[tuple[str, bool, bool, bool]] = []  # tag, quote, skip, pre
        self._depth = 0
        self._skip = 0
        self._pre = 0
        self._cut = False
        self._attr = False
        self._client = ""

    def _flush(self, *, force: bool = False) -> None:
        raw = "".join(self._parts)
        self._parts = []
        text = raw.rstrip() if self._pre else " ".join(raw.split())
        if not text and not force:
            return
        if not text and self.lines and not self.lines[-1].text:
            return  # one blank line is structure enough
        if len(self.lines) >= MAX_LINES:
            return
        marked = bool(text) and (self._cut or self._attr)
        self.lines.append(
            HtmlLine(
                depth=min(self._depth, MAX_DEPTH),
                text=text,
                source_line=self._source_line or self.getpos()[0],
                cut=marked and self._cut,
                attr=marked and self._attr,
                client=self._client if marked else "",
            )
        )
        if marked:
            self._cut = self._attr = False
            self._client = ""
        self._source_line = 0

    def _mark(self, attrs: list[tuple[str, str | None]]) -> None:
        cut = attr = False
        client = ""
        for name, value in attrs:
            if not value:
                continue
            if name == "id" and value.lower().endswith(_CUT_IDS):
                cut, client = True, "outlook"
            elif name == "class":
                for word in value.lower().split():
                    word = word.removeprefix("x_")
                    if word in _CUT_CLASSES:
                        cut, client = True, _CUT_CLASSES[word]
                    elif word in _ATTR_CLASSES:
                        attr, client = True, _ATTR_CLASSES[word]
        if cut or attr:
            self._flush()  # text before the container (an inline one) is not part of it
            self._cut, self._attr = self._cut or cut, self._attr or attr
            self._client = client

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK or tag == "br":
            self._flush(force=tag in ("br", "hr"))
            if tag != "br" and self._stack and self._stack[-1][0] == "p":
                self._stack.pop()  # a block closes an open <p>, as in browsers
        elif tag in _CELL and self._parts:
            self._parts.append(" ")
        if self._skip:
            if tag in _SKIP and len(self._stack) < MAX_STACK:
                self._stack.append((tag, False, True, False))
                self._skip += 1
            return
        self._mark(attrs)
        if tag in _VOID or len(self._stack) >= MAX_STACK:
            return
        quote, skip, pre = tag == "blockquote", tag in _SKIP, tag == "pre"
        self._stack.append((tag, quote, skip, pre))
        self._depth += quote
        self._skip += skip
        self._pre += pre

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK or tag == "br":
            self._flush(force=tag == "br")
        if not self._skip:
            self._mark(attrs)

    def handle_endtag(self, tag: str) -> None:
        # Close the nearest open element of this name and everything left open inside it;
        # an end tag with no open element is ignored, as browsers do.
        for position in range(len(self._stack) - 1, max(-1, len(self._stack) - 65), -1):
            if self._stack[position][0] == tag:
                break
        else:
            return
        if tag in _BLOCK:
            self._flush()  # before the depth changes: the text belongs inside
        for _, quote, skip, pre in self._stack[position:]:
            self._depth -= quote
            self._skip -= skip
            self._pre -= pre
        del self._stack[position:]

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._pre and "\n" in data:
            first, *rest = data.split("\n")
            self._data(first)
            for piece in rest:
                self._flush(force=True)
                self._data(piece)
            return
        self._data(data)

    def _data(self, data: str) -> None:
        if not self._source_line and data.strip():
            lead = len(data) - len(data.lstrip())  # the text starts after these newlines
            self._source_line = self.getpos()[0] + data.count("\n", 0, lead)
        self._parts.append(data.replace("\xa0", " "))

    def close(self) -> None:
        super().close()
        self._flush()


def html_lines(markup: str) -> list[HtmlLine]:
    """The text lines of an HTML body, in document order."""
    markup = markup[:MAX_HTML_CHARS].replace("\r\n", "\n").replace("\r", "\n")
    renderer = _Renderer()
    renderer.feed(_sanitize(markup))
    renderer.close()
    return renderer.lines
