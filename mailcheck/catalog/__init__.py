"""The finding catalog and report wording, in English and Japanese.

Loaded once per process from the TOML files beside this module; immutable afterwards,
so one instance can be shared by every scan in a daemon.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Literal, cast

from ..model import SEVERITIES, Severity

Lang = Literal["en", "ja"]
LANGS: tuple[Lang, ...] = ("en", "ja")
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


class UnknownFindingError(KeyError):
    """A finding id that the catalog does not define: a programming error, never ignored."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Texts:
    title: str
    explanation: str
    advice: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    id: str
    severity: Severity
    score: int
    texts: dict[Lang, Texts]

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


@dataclass(frozen=True, slots=True)
class Catalog:
    entries: dict[str, Entry]
    ui: dict[str, dict[str, object]]

    def entry(self, finding_id: str) -> Entry:
        try:
            return self.entries[finding_id]
        except KeyError:
            raise UnknownFindingError(finding_id) from None

    def texts(self, finding_id: str, lang: Lang, facts: dict[str, str]) -> Texts:
        raw = self.entry(finding_id).texts[lang]
        return Texts(
            title=fill(raw.title, facts),
            explanation=fill(raw.explanation, facts),
            advice=fill(raw.advice, facts),
        )

    def word(self, key: str, lang: Lang) -> str:
        """A UI string such as 'verdict.malicious' or 'label.findings'."""
        section, _, name = key.partition(".")
        table = self.ui.get(section, {})
        item = table.get(name)
        if not isinstance(item, dict):
            raise KeyError(key)
        return str(item[lang])


def _read(name: str) -> dict[str, object]:
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    return tomllib.loads(text)


def _entry(finding_id: str, raw: dict[str, object]) -> Entry:
    severity = raw["severity"]
    if severity not in SEVERITIES:
        raise ValueError(f"{finding_id}: unknown severity {severity!r}")
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
    )


@functools.cache
def load() -> Catalog:
    findings = _read("findings.toml")
    entries = {key: _entry(key, cast(dict[str, object], value)) for key, value in findings.items()}
    ui = cast(dict[str, dict[str, object]], _read("ui.toml"))
    return Catalog(entries=entries, ui=ui)
