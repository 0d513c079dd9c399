"""report.html: an audit's Outline as one self-contained page.

The page is opened on the reader's own machine, often next to the mail it describes, so it
loads nothing (no CDN, fonts or images: a report must not tell anyone it was opened) and its
Content-Security-Policy forbids every fetch. Every string from a message is attacker-controlled:
it reaches the page only through Jinja2's autoescape, never `|safe`, never inside <script>.
The charts are plain markup computed here; the inline script only sorts and filters rows that
are already in the page, so without it the report is still complete.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING

from .. import catalog
from ..records import record
from ..text import clean_text, defang
from .iocs import defanged
from .outline import Flagged, Folder, Outline

if TYPE_CHECKING:
    import jinja2

_TEMPLATES = Path(__file__).with_name("templates")
_TEMPLATE = "report.html.j2"
# Longer than any clip the outline applies: here only control and bidi characters go.
_MAX_TEXT = 4000
IOCS_SHOWN = 500  # indicators listed in the page; all are in iocs.csv / iocs.json
# A timeline spanning more days than this (a forged 1970 date) shows only days with mail.
_MAX_FILLED_DAYS = 400
_VERDICT_RANK = {"clean": 0, "suspicious": 1, "malicious": 2}
# Where a line may break in an address (before "@" and ".") and in a path (after "/").
_ADDRESS_BREAK = re.compile(r"(?=[@.])")
_PATH_BREAK = re.compile(r"(?<=/)")


Counts = tuple[tuple[str, int, int], ...]


@record
class Day:
    """One column of the timeline."""

    label: str  # YYYY-MM-DD, or the "unknown date" word
    malicious: int
    suspicious: int

    @property
    def total(self) -> int:
        return self.malicious + self.suspicious


@record
class Group:
    """One folder's part of the flagged table: a header row, then its listed messages."""

    number: int  # 1, 2, ...: the folder filter's value and the rows' data-folder
    folder: Folder
    malicious: int  # flagged in the folder, listed or not
    suspicious: int
    messages: tuple[Flagged, ...]  # those listed, worst first

    @property
    def total(self) -> int:
        return self.malicious + self.suspicious


def folder_groups(outline: Outline) -> list[Group]:
    """The listed messages by folder, the folder with the most malicious (then suspicious)
    mail first. Counts cover every flagged message when the outline has them; a folder none
    of whose messages is listed has no group (results.csv lists them)."""
    listed: dict[Folder, list[Flagged]] = {}
    counts: dict[Folder, tuple[int, int]] = {}
    for message in outline.flagged:
        listed.setdefault(message.folder, []).append(message)
    for folder, messages in listed.items():
        malicious = sum(message.verdict == "malicious" for message in messages)
        counts[folder] = (malicious, len(messages) - malicious)
    counts.update((folder, (m, s)) for folder, m, s in outline.folders if folder in listed)
    ranked = sorted(listed, key=lambda f: (-counts[f][0], -counts[f][1], f.server, f.name))
    return [
        Group(
            number=n,
            folder=folder,
            malicious=counts[folder][0],
            suspicious=counts[folder][1],
            messages=tuple(listed[folder]),
        )
        for n, folder in enumerate(ranked, 1)
    ]


def _shown(text: object) -> str:
    """Message text for display: one line, no control/bidi characters, links defanged."""
    return clean_text(defang(str(text)), _MAX_TEXT)


def _plain(text: object) -> str:
    """A path or key: cleaned but not defanged, so the reader can find the file."""
    return clean_text(str(text), _MAX_TEXT)


def _address_pieces(text: str) -> list[str]:
    """An e-mail address cut where a line may break; the page joins them with <wbr>."""
    return [piece for piece in _ADDRESS_BREAK.split(text) if piece]


def _path_pieces(text: str) -> list[str]:
    """A path cut after each "/", never inside a file name."""
    return [piece for piece in _PATH_BREAK.split(text) if piece]


def _parse_day(day: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(day)
    except ValueError:
        return None


def day_counts(flagged: tuple[Flagged, ...]) -> tuple[tuple[str, int, int], ...]:
    """(day, malicious, suspicious) of the messages given."""
    tally: dict[str, list[int]] = {}
    for message in flagged:
        counts = tally.setdefault(message.day, [0, 0])
        counts[0 if message.verdict == "malicious" else 1] += 1
    return tuple((day, malicious, suspicious) for day, (malicious, suspicious) in tally.items())


def timeline(flagged: tuple[Flagged, ...], unknown: str, counted: Counts = ()) -> list[Day]:
    """Flagged mail per day, oldest first, gaps filled; undated mail last as `unknown`.
    `counted` (over every flagged message of the audit) when given, else `flagged`."""
    tally: dict[dt.date | None, list[int]] = {}
    for day_text, malicious, suspicious in counted or day_counts(flagged):
        counts = tally.setdefault(_parse_day(day_text), [0, 0])
        counts[0] += malicious
        counts[1] += suspicious
    dated = sorted(day for day in tally if day is not None)
    if dated and (dated[-1] - dated[0]).days < _MAX_FILLED_DAYS:
        # Empty days are shown: a burst reads as a burst only against quiet days.
        span = (dated[-1] - dated[0]).days + 1
        dated = [dated[0] + dt.timedelta(days=n) for n in range(span)]
    days = [Day(label=day.isoformat(), malicious=0, suspicious=0) for day in dated]
    for n, day in enumerate(dated):
        if day in tally:
            days[n] = Day(label=day.isoformat(), malicious=tally[day][0], suspicious=tally[day][1])
    if None in tally:
        days.append(Day(label=unknown, malicious=tally[None][0], suspicious=tally[None][1]))
    return days


def top_reason(message: Flagged) -> str:
    """The title of the strongest finding (reasons are finding ids, strongest first)."""
    titles = {shown.id: shown.title for shown in message.findings}
    if message.reasons:
        return titles.get(message.reasons[0], message.reasons[0])
    return message.findings[0].title if message.findings else ""


def _generated(stamp: str) -> str:
    try:
        when = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    return when.strftime("%Y-%m-%d %H:%M:%S %z").strip()


def _environment() -> jinja2.Environment:
    import jinja2  # here, not at the top: `mailcheck` starts without it

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a misspelt name fails the tests, not the reader
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(outline: Outline) -> str:
    """The whole report page, in `outline.lang`."""
    words = catalog.load()
    lang = outline.lang

    def word(key: str, **facts: object) -> str:
        text = words.word(key, lang)
        return catalog.fill(text, {k: str(v) for k, v in facts.items()}) if facts else text

    env = _environment()
    env.filters["shown"] = _shown
    env.filters["plain"] = _plain
    env.filters["ioc"] = defanged
    env.filters["address_pieces"] = _address_pieces
    env.filters["path_pieces"] = _path_pieces
    days = timeline(outline.flagged, word("audit.unknown_date"), outline.days)
    groups = folder_groups(outline)
    return env.get_template(_TEMPLATE).render(
        o=outline,
        w=word,
        generated=_generated(outline.generated),
        days=days,
        groups=groups,
        day_max=max((day.total for day in days), default=0),
        verdict_max=max((count for _, count in outline.counts), default=0),
        finding_max=max((count for _, _, count in outline.top_findings), default=0),
        top_reason=top_reason,
        ioc_limit=IOCS_SHOWN,
        rank=_VERDICT_RANK,
        # Campaign keys link to their rows when the row is among those shown. Numbered in
        # the outline's order (worst first), whichever folder group a row ends up in.
        anchors={message.key: f"msg-{n}" for n, message in enumerate(outline.flagged, 1)},
    )
