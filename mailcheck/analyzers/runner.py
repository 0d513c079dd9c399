"""Runs every registered analyzer in isolation and turns its hits into findings."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TypeVar

from ..catalog import Catalog, to_finding
from ..config import Config
from ..engine import Engine
from ..extract import Extraction
from ..limits import Budget
from ..model import Evidence, Finding
from ..parse.types import ParsedMessage
from . import ANALYZERS
from .interface import (
    Analyzer,
    AttachmentAnalyzer,
    AttachmentContext,
    Hit,
    MessageAnalyzer,
    MessageContext,
)
from .reply_hijack import read_quote

Ctx = TypeVar("Ctx", MessageContext, AttachmentContext)




class Runner:
    def __init__(
        self,
        catalog: Catalog,
        config: Config,
        budget: Budget,
        started: float,
        engine: Engine,
        analyzers: tuple[Analyzer, ...] = ANALYZERS,
    ) -> None:
        self.engine = engine
        self.catalog = catalog
        self.config = config
        self.budget = budget
        self.deadline = started + budget.limits.scan_timeout
        self.analyzers = analyzers
        self.findings: list[Finding] = []
        self.skipped: list[str] = []

    def _run(
        self,
        name: str,
        emits: tuple[str, ...],
        run: Callable[[Ctx], Iterable[Hit]],
        ctx: Ctx,
        location: str,
    ) -> None:
        if time.monotonic() > self.deadline:
            self.skipped.append(f"{name} on {location}")
            return
        try:
            hits = list(run(ctx))
        except Exception as exc:  # isolation: one failing check never stops the scan
            error = f"{type(exc).__name__}: {exc}"[:300]
            self.findings.append(
                to_finding(
                    self.catalog,
                    Hit(
                        id="analyzer.error",
                        evidence=(
                            Evidence(
                                location=location,
                                excerpt=error,
                                facts=(
                                    ("analyzer", name),
                                    ("location", location),
                                    ("error", error),
                                ),
                            ),
                        ),
                    ),
                    name,
                )
            )
            return
        for hit in hits:
            if hit.id not in emits:
                raise ValueError(f"analyzer {name} emitted undeclared finding {hit.id}")
            self.findings.append(to_finding(self.catalog, hit, name))

    def run(self, message: ParsedMessage, extraction: Extraction) -> None:
        items = tuple(extraction.items)
        messages = [("", message)] + [(n.prefix, n.message) for n in extraction.messages]
        contexts = [
            MessageContext(
                message=parsed,
                prefix=prefix,
                items=items,
                config=self.config,
                limits=self.budget.limits,
                quote=read_quote(parsed) if parsed.from_ is not None else None,
            )
            for prefix, parsed in messages
        ]
        for analyzer in self.analyzers:
            if isinstance(analyzer, MessageAnalyzer):
                for ctx in contexts:
                    where = ctx.prefix.rstrip(": ") or "message"
                    self._run(analyzer.name, analyzer.emits, analyzer.run, ctx, where)
            elif isinstance(analyzer, AttachmentAnalyzer):
                for item in items:
                    # A message's own text and HTML are shown, never opened as files: no
                    # attachment check applies to them (nor is its module loaded for them).
                    if item.role == "body":
                        continue
                    if analyzer.kinds and item.sniffed.kind not in analyzer.kinds:
                        continue
                    actx = AttachmentContext(
                        item=item, config=self.config, limits=self.budget.limits, engine=self.engine
                    )
                    self._run(analyzer.name, analyzer.emits, analyzer.run, actx, item.location)
        if self.skipped:
            self.budget.hit(
                "scan_timeout",
                "; ".join(self.skipped[:5]),
                limit=f"{self.budget.limits.scan_timeout:g}",
            )
