"""The human report: one ScanResult rendered for a terminal or a plain-text file.

Every string taken from the message is attacker-controlled. It goes through
`text.clean_text` (and `defang` where it may hold a link) and is wrapped in a
`rich.text.Text`, never interpolated into markup, so "[bold]" in a subject prints as-is.
All wording comes from the catalog, so the same code speaks en and ja.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import TextIO

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.panel import Panel
from rich.style import Style
from rich.text import Text
from rich.tree import Tree

from .. import catalog
from ..catalog import Lang
from ..model import Address, Attachment, Finding, ScanResult, VerdictLabel, severity_rank
from ..parse.auth import summary as auth_summary
from ..text import clean_text, defang

PLAIN_WIDTH = 100
_MAX_SHOWN_DEPTH = 8
_VERDICT_STYLE: dict[VerdictLabel, str] = {
    "clean": "bold green",
    "suspicious": "bold yellow",
    "malicious": "bold red",
}
_BADGE_STYLE: dict[VerdictLabel, str] = {
    "clean": "bold white on green",
    "suspicious": "bold black on yellow",
    "malicious": "bold white on red",
}
_SEVERITY_STYLE = {
    "critical": "bold red",
    "high": "red",
    "medium": "yellow",
    "low": "cyan",
    "info": "dim",
}
# Line-breaking rules (kinsoku, simplified): no line starts or ends with these.
_NO_BREAK_BEFORE = frozenset("、。，．・：；？！）」』】〕ー…ゃゅょっャュョッ")
_NO_BREAK_AFTER = frozenset("（「『【〔")


class ReportConsole(Console):
    """A console that lets the front-end decide what a closed pipe means.

    rich exits with status 1 itself, which would read as "suspicious" here.
    """

    def on_broken_pipe(self) -> None:
        raise BrokenPipeError


def make_console(*, file: TextIO | None = None, force_plain: bool | None = None) -> Console:
    """A console for `file` (stdout by default); plain text unless it is a terminal."""
    out = file if file is not None else sys.stdout
    plain = force_plain if force_plain is not None else not _isatty(out)
    if plain:
        # Files and pipes get bare text: no escapes at all, a fixed width so wrapping
        # does not depend on whoever ran the command, no Jupyter/FORCE_COLOR detection.
        return ReportConsole(
            file=out,
            force_terminal=False,
            force_jupyter=False,
            force_interactive=False,
            color_system=None,
            no_color=True,
            width=PLAIN_WIDTH,
            highlight=False,
            markup=False,
            emoji=False,
        )
    return ReportConsole(
        file=out,
        force_terminal=True if force_plain is False else None,
        # https://no-color.org: set and non-empty means no colour (bold etc. stay).
        no_color=os.environ.get("NO_COLOR", "") != "",
        highlight=False,
        markup=False,
        emoji=False,
    )


def render_error(path: str, reason: str, *, lang: Lang, console: Console) -> None:
    """One line: "error: <path>: <reason>"."""
    line = Text.assemble(
        (_word("label.error", lang), "bold red"), ": ", clean_text(path), ": ", clean_text(reason)
    )
    console.print(line, soft_wrap=True)


def render(result: ScanResult, *, lang: Lang, console: Console) -> None:
    plain = _is_plain(console)
    findings = sorted(result.findings, key=lambda f: (-severity_rank(f.severity), -f.score))
    parts: list[RenderableType] = [_header(result, lang), Text(), _verdict(result, lang, plain)]
    parts += [Text(), _heading("label.findings", lang, plain)]
    if not findings:
        parts += [_Wrap(Text(_word("label.no_findings", lang)), indent=2), Text()]
    parts += [_finding(number, finding, lang) for number, finding in enumerate(findings, 1)]
    parts += [_attachments(result, lang, plain), Text(), _advice(result, lang, plain)]
    console.print(Group(*parts))


class _Wrap:
    """Text with an indent and a hanging prefix, broken by character cells.

    rich breaks lines only at whitespace, so a Japanese sentence is one long "word" and
    mixed ja/en text wraps raggedly; here a line may also break beside any wide character.
    """

    def __init__(self, text: Text, *, indent: int = 0, hang: str = "") -> None:
        self.text, self.indent, self.hang = text, indent, hang

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        first = " " * self.indent + self.hang
        rest = " " * cell_len(first)
        width = max(options.max_width - cell_len(first), 1)
        count = 0
        for paragraph in self.text.split("\n", allow_blank=True):
            for line in paragraph.divide(_breaks(paragraph.plain, width)):
                line.rstrip()
                yield Text(rest if count else first) + line
                count += 1


def _breaks(plain: str, width: int) -> list[int]:
    """Greedy break offsets: after a space, or before/after a wide character."""
    breaks: list[int] = []
    start = col = 0
    chance = chance_col = -1  # latest offset a new line could start at, and its column
    for i, char in enumerate(plain):
        cells = cell_len(char)
        wide = cells == 2
        if wide and i > start and char not in _NO_BREAK_BEFORE:
            chance, chance_col = i, col
        if col + cells > width and i > start:
            if chance > start:
                start, col = chance, col - chance_col
            else:  # one word longer than the line: fold it
                start, col = i, 0
            breaks.append(start)
        col += cells
        if char == " " or (wide and char not in _NO_BREAK_AFTER):
            nxt = plain[i + 1] if i + 1 < len(plain) else ""
            if nxt != " " and nxt not in _NO_BREAK_BEFORE:
                chance, chance_col = i + 1, col
    return breaks


def _isatty(out: TextIO) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _is_plain(console: Console) -> bool:
    return not console.is_terminal or console.is_dumb_terminal


def _word(key: str, lang: Lang) -> str:
    return catalog.load().word(key, lang)  # a missing word is a bug: the meta-tests catch it


def _heading(key: str, lang: Lang, plain: bool) -> Text:
    if plain:
        return Text(f"== {_word(key, lang)} ==")
    return Text(_word(key, lang), style="bold underline")


def _address(address: Address) -> str:
    # The real address is always shown: a trusted-looking name is the whole trick.
    addr = clean_text(address.addr, 320)
    name = defang(clean_text(address.display_name, 200))
    if not name:
        return f"<{addr}>"
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{quoted}" <{addr}>'


def _header(result: ScanResult, lang: Lang) -> RenderableType:
    source = clean_text(result.source.path)
    if result.source.index is not None:
        source += f" #{result.source.index}"
    message = result.message
    rows: list[tuple[str, str]] = [
        ("label.source", source),
        ("label.from", _address(message.from_) if message.from_ is not None else "-"),
        ("label.to", clean_text(", ".join(_address(a) for a in message.to[:20]), 1000) or "-"),
        ("label.subject", defang(clean_text(message.subject)) or "-"),
        ("label.date", clean_text(message.date, 100) or "-"),
    ]
    if message.auth:
        # As the receiving servers recorded them; a pass says nothing about a hijacked account.
        rows.append(("label.auth", clean_text(auth_summary(message.auth), 300)))
    labels = [_word(key, lang) + ":" for key, _ in rows]
    pad = max(cell_len(label) for label in labels) + 1
    return Group(
        *(
            _Wrap(Text(value), hang=label + " " * (pad - cell_len(label)))
            for label, (_, value) in zip(labels, rows, strict=True)
        )
    )


def _verdict(result: ScanResult, lang: Lang, plain: bool) -> RenderableType:
    verdict = result.verdict
    word = _word(f"verdict.{verdict.label}", lang)
    score = f"({_word('label.score', lang)} {verdict.score})"
    label = _word("label.verdict", lang)
    incomplete = _word("label.incomplete", lang) if verdict.incomplete else ""
    if plain:
        rule = Text("=" * 60)
        lines = [Text(f"{label}: {word}  {score}")]
        lines += [Text("!! " + incomplete)] if incomplete else []
        return Group(rule, *lines, rule)
    line = Text.assemble(
        (f"{label}: ", "bold"),
        (f" {word} ", _BADGE_STYLE[verdict.label]),
        "  ",
        (score, _VERDICT_STYLE[verdict.label]),
    )
    if incomplete:
        line.append("\n" + incomplete, style="bold magenta")
    return Panel(line, border_style=_VERDICT_STYLE[verdict.label], expand=False)


def _facts(finding: Finding) -> dict[str, str]:
    # Facts are message-derived and land inside our sentences.
    return {key: defang(clean_text(value, 200)) for key, value in finding.facts().items()}


def _finding(number: int, finding: Finding, lang: Lang) -> RenderableType:
    texts = catalog.load().texts(finding.id, lang, _facts(finding))
    severity = Text(f"[{_word(f'severity.{finding.severity}', lang)}] ")
    severity.stylize(_SEVERITY_STYLE.get(finding.severity, ""))
    parts: list[RenderableType] = [
        _Wrap(severity + Text(texts.title, style="bold"), hang=f"{number}. "),
        _Wrap(Text(clean_text(finding.id, 100), style="dim"), indent=3),
        _Wrap(Text(texts.explanation), indent=3),
        _Wrap(Text(texts.advice), indent=3, hang="→ "),
    ]
    if finding.evidence:
        parts.append(_Wrap(Text(_word("label.evidence", lang) + ":", style="bold"), indent=3))
    for item in finding.evidence:
        line = Text()
        line.append(clean_text(catalog.load().place(item.location, lang), 200), style="cyan")
        excerpt = defang(clean_text(item.excerpt, 300))
        if excerpt:
            line.append(": " + excerpt)
        parts.append(_Wrap(line, indent=5, hang="- "))
    return Group(*parts, Text())


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / (1024 * 1024):.1f} MiB"


def _node(node: Attachment, lang: Lang) -> Text:
    filename = clean_text(node.filename, 200)
    path = clean_text(node.path, 200)
    text = Text()
    text.append(filename or path or "-", style="bold")
    if filename and path and path != filename:
        text.append(f" ({path})", style="dim")
    declared = clean_text(node.declared_type, 100) or "-"
    detected = clean_text(node.sniffed_type, 100) or "-"
    text.append(f"  {_word('label.declared', lang)}: {declared}, ")
    text.append(f"{_word('label.detected', lang)}: {detected}, ")
    text.append(f"{_size(node.size)}, sha256 {clean_text(node.sha256, 64)[:12] or '-'}")
    if node.status != "ok":
        text.append(f"  [{_word(f'status.{node.status}', lang)}]", style="bold yellow")
    return text


def _walk(nodes: tuple[Attachment, ...]) -> Iterator[tuple[int, Attachment]]:
    # Iterative, so a deeply nested (hostile) tree cannot exhaust the Python stack; the
    # shown depth is capped so indentation never eats the line (the path keeps the truth).
    # A body text is the message itself, not an attachment: it is left out, and a file found
    # inside one (however unlikely) takes its place.
    stack = [(0, node) for node in reversed(nodes)]
    while stack:
        depth, node = stack.pop()
        below = depth
        if node.role != "body":
            yield min(depth, _MAX_SHOWN_DEPTH), node
            below = depth + 1
        stack.extend((below, child) for child in reversed(node.children))


def _attachments(result: ScanResult, lang: Lang, plain: bool) -> RenderableType:
    heading = _heading("label.attachments", lang, plain)
    files = list(_walk(result.attachments))
    if not files:
        return Group(heading, _Wrap(Text(_word("label.no_attachments", lang)), indent=2))
    if plain:
        lines = (_Wrap(_node(node, lang), indent=2 + 2 * depth, hang="- ") for depth, node in files)
        return Group(heading, *lines)
    tree = Tree(heading, guide_style="dim")
    branches: list[Tree] = [tree]
    for depth, node in files:
        del branches[depth + 1 :]
        branches.append(branches[depth].add(_Wrap(_node(node, lang))))
    return tree


def _advice(result: ScanResult, lang: Lang, plain: bool) -> RenderableType:
    parts: list[RenderableType] = [_heading("label.advice", lang, plain)]
    parts += [_Wrap(Text(_word(key, lang)), indent=2, hang="- ") for key in result.advice.keys]
    if result.advice.links:
        parts.append(Text(_word("label.links", lang) + ":", style="bold"))
    for link in result.advice.links:
        # Our own links: printed whole and never defanged, so the reader can open them.
        url = clean_text(link.url, 2000)
        style = Style() if plain else Style(color="cyan", underline=True, link=url)
        parts.append(_Wrap(Text(_word(link.title_key, lang) + ":"), indent=2, hang="- "))
        parts.append(_Wrap(Text(url, style=style), indent=4))
    return Group(*parts)
