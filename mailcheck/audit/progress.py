"""The progress bar of an audit: on a terminal's stderr only, never in a pipe or a log."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..catalog import Lang


class Progress(Protocol):
    def start(self, total: int) -> None: ...

    def advance(self, verdicts: Counter[str], errors: int) -> None: ...

    def detail(self, text: str) -> None:
        """A line of what is being read (an IMAP folder, messages and bytes fetched)."""

    def stop(self) -> None: ...


class Silent:
    def start(self, total: int) -> None:
        pass

    def advance(self, verdicts: Counter[str], errors: int) -> None:
        pass

    def detail(self, text: str) -> None:
        pass

    def stop(self) -> None:
        pass


class Bar:
    """Messages done of the total, rate, time left, and the running verdict counts."""

    def __init__(self, lang: Lang) -> None:
        from rich.console import Console, RenderableType
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        from ..catalog import load

        catalog = load()
        self._words = {
            label: catalog.word(f"verdict.{label}", lang)
            for label in ("malicious", "suspicious", "clean")
        }
        self._error_word = catalog.word("label.error", lang)
        self._counts: Counter[str] = Counter()
        self._errors = 0
        self._detail = ""
        counts = self._counts_line

        class TwoLines(Progress):
            """The bar, and the running verdict counts on a line of their own (they
            would not fit beside the bar on an 80-column terminal)."""

            def get_renderables(self) -> Iterator[RenderableType]:
                yield self.make_tasks_table(self.tasks)
                yield Text.from_markup(counts())

        self._progress = TwoLines(
            BarColumn(bar_width=30),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            console=Console(file=sys.stderr),
            transient=True,
        )
        self._task = self._progress.add_task("audit", total=None, rate="", start=False)

    def start(self, total: int) -> None:
        self._progress.update(self._task, total=total)
        self._progress.start_task(self._task)
        self._progress.start()

    def advance(self, verdicts: Counter[str], errors: int) -> None:
        self._counts.update(verdicts)
        self._errors += errors
        done = sum(verdicts.values()) + errors
        task = self._progress.tasks[0]
        speed = task.speed
        rate = f"{speed:.0f} msg/s" if speed else ""
        self._progress.update(self._task, advance=done, rate=rate)

    def _counts_line(self) -> str:
        counts = "  ".join(
            f"[{style}]{self._words[label]} {self._counts[label]}[/]"
            for label, style in (("malicious", "red"), ("suspicious", "yellow"), ("clean", "green"))
        )
        line = f"{counts}  {self._error_word} {self._errors}"
        if self._detail:
            from rich.markup import escape

            line += f"\n[dim]{escape(self._detail)}[/]"
        return line

    def detail(self, text: str) -> None:
        from ..text import clean_text

        self._detail = clean_text(text, 100)

    def stop(self) -> None:
        self._progress.stop()


def make_progress(lang: Lang) -> Progress:
    return Bar(lang) if sys.stderr.isatty() else Silent()
