"""The finding catalog and report wording, in English and Japanese.

Loaded once per process from the TOML files beside this module; immutable afterwards,
so one instance can be shared by every scan in a daemon. Each finding's entry is parsed
when it is first asked for: a scan that finds two things reads two entries, not ninety.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Literal, cast

from ..model import FINDING_KINDS, SEVERITIES, Finding, FindingKind, Hit, Severity
from ..records import record

Lang = Literal["en", "ja"]
LANGS: tuple[Lang, ...] = ("en", "ja")
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
# A bracketed aside that holds a fact: "（{scheme}）", " ({file_name})", "（表示: {shown_host}）".
_FACT_ASIDE = re.compile(r" ?[（(][^（）()]*\{[a-z_][a-z0-9_]*\}[^（）()]*[）)]")
_ATTACHMENT = "attachment "
_NESTED = ": "  # between an attached message's prefix and a place inside it


class UnknownFindingError(KeyError):
    """A finding id that the catalog does not define: a programming error, never ignored."""


@record
class Texts:
    title: str
    explanation: str
    advice: str


@record
class Entry:
    id: str
    severity: Severity
    score: int
    texts: dict[Lang, Texts]
    # What the finding proves for the verdict; None: what its namespace says (score.py).
    kind: FindingKind | None = None

    def placeholders(self, lang: Lang) -> set[str]:
        texts = self.texts[lang]
        joined = texts.title + texts.explanation + texts.advice
        return set(_PLACEHOLDER.findall(joined))


class _Defaults(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "-"


def fill(template: str, facts: dict[str, str]) -> str:
    """Fill {placeholders}; a fact that is absent reads as '-', never as an error."""
    return _PLACEHOLDER.sub(lambda m: _Defaults(facts)[m.group(1)], template)


# A top-level table line of findings.toml: `["sender.display_name_has_address"]`.
_ENTRY_START = re.compile(r'^\["([^"\n]+)"\]\s*$', re.MULTILINE)


class _Entries(Mapping[str, Entry]):
    """Finding id -> Entry, each parsed from its own slice of the file on first use."""

    def __init__(self, text: str) -> None:
        starts = [(m.group(1), m.start()) for m in _ENTRY_START.finditer(text)]
        ends = [start for _id, start in starts[1:]] + [len(text)]
        self._chunks = {
            fid: text[start:end] for (fid, start), end in zip(starts, ends, strict=True)
        }
        self._parsed: dict[str, Entry] = {}

    def __getitem__(self, finding_id: str) -> Entry:
        entry = self._parsed.get(finding_id)
        if entry is None:
            chunk = self._chunks[finding_id]  # KeyError for an unknown id
            raw = tomllib.loads(chunk)[finding_id]
            entry = self._parsed[finding_id] = _entry(finding_id, raw)
        return entry

    def __iter__(self) -> Iterator[str]:
        return iter(self._chunks)

    def __len__(self) -> int:
        return len(self._chunks)


@record(kw_only=False)
class Catalog:
    entries: Mapping[str, Entry]
    ui: dict[str, dict[str, object]]

    def entry(self, finding_id: str) -> Entry:
        try:
            return self.entries[finding_id]
        except KeyError:
            raise UnknownFindingError(finding_id) from None

    def texts(self, finding_id: str, lang: Lang, facts: dict[str, str]) -> Texts:
        raw = self.entry(finding_id).texts[lang]
        if "location" in facts:  # a place in the mail, said in the reader's words
            facts = {**facts, "location": self.place(facts["location"], lang)}
        return Texts(
            title=fill(raw.title, facts),
            explanation=fill(raw.explanation, facts),
            advice=fill(raw.advice, facts),
        )

    def title_without_facts(self, finding_id: str, lang: Lang) -> str:
        """A finding's title for a count over many messages, where no one message's facts
        belong: an aside that only holds a fact goes ("（{scheme}）"), any other fact reads
        as "…"."""
        title = _FACT_ASIDE.sub("", self.entry(finding_id).texts[lang].title)
        return _PLACEHOLDER.sub("…", title)

    def place(self, location: str, lang: Lang) -> str:
        """An evidence location (a stable machine key such as "header From", "part 1",
        "attachment 2/invoice.zip" or "attachment 2/fwd.eml: header From") in the reader's
        words; a location of another shape is shown as it is."""
        own = self._place(location, lang)
        if own is not None:
            return own
        if not location.startswith(_ATTACHMENT):
            return location
        rest = location[len(_ATTACHMENT) :]
        cut = rest.find(_NESTED)
        while cut != -1:
            # The prefix of a message attached as a file ("attachment 2/fwd.eml: "): the first
            # cut after which a place of a message follows (a file name may hold ": " too).
            path, inner = rest[:cut], rest[cut + len(_NESTED) :]
            if inner == "message":
                return fill(self.word("place.attached_message", lang), {"path": path})
            shown = self._place(inner, lang)
            if shown is not None:
                words = {"path": path, "place": shown}
                return fill(self.word("place.in_attached_message", lang), words)
            cut = rest.find(_NESTED, cut + 1)
        # A file, or a place inside one ("attachment 2/a.docm: word/document.xml").
        return fill(self.word("place.attachment", lang), {"path": rest})

    def _place(self, location: str, lang: Lang) -> str | None:
        """A place of one message (not of an attached one), or None."""
        if location in ("message", "headers", "body"):
            return self.word(f"place.{location}", lang)
        if location == "part body":  # a .msg's plain text
            return self.word("place.body", lang)
        if location == "part html":  # a .msg's HTML text
            return self.word("place.body_html", lang)
        kind, _, what = location.partition(" ")
        if kind == "header" and what:
            return fill(self.word("place.header", lang), {"name": what})
        if kind == "part" and what:
            return fill(self.word("place.part", lang), {"path": what})
        return None

    def kind(self, finding_id: str) -> FindingKind | None:
        """The kind the catalog declares for `finding_id` (None: its namespace decides)."""
        return self.entry(finding_id).kind

    def word(self, key: str, lang: Lang) -> str:
        """A UI string such as 'verdict.malicious' or 'label.findings'."""
        section, _, name = key.partition(".")
        table = self.ui.get(section, {})
        item = table.get(name)
        if not isinstance(item, dict):
            raise KeyError(key)
        return str(item[lang])


def _text(name: str) -> str:
    # Beside this module (the package is installed as files): importlib.resources would
    # cost more to import than the two files cost to read.
    return Path(__file__).with_name(name).read_text(encoding="utf-8")


def _entry(finding_id: str, raw: dict[str, object]) -> Entry:
    severity = raw["severity"]
    if severity not in SEVERITIES:
        raise ValueError(f"{finding_id}: unknown severity {severity!r}")
    kind = raw.get("kind")
    if kind is not None and kind not in FINDING_KINDS:
        raise ValueError(f"{finding_id}: unknown kind {kind!r}")
    texts: dict[Lang, Texts] = {}
    for lang in LANGS:
        block = cast(dict[str, str], raw[lang])
        texts[lang] = Texts(
            title=block["title"], explanation=block["explanation"], advice=block["advice"]
        )
    return Entry(
        id=finding_id,
        severity=severity,
        score=int(cast(int, raw["score"])),
        texts=texts,
        kind=kind,
    )


@functools.cache
def load() -> Catalog:
    ui = cast(dict[str, dict[str, object]], tomllib.loads(_text("ui.toml")))
    return Catalog(entries=_Entries(_text("findings.toml")), ui=ui)


def to_finding(catalog: Catalog, hit: Hit, analyzer: str) -> Finding:
    """What an analyzer found, with the severity and score the catalog gives its id."""
    entry = catalog.entry(hit.id)  # an unknown id raises: a bug, never hidden
    return Finding(
        id=hit.id,
        severity=entry.severity,
        score=entry.score,
        confidence=hit.confidence,
        evidence=hit.evidence,
        analyzer=analyzer,
    )
