"""The short summary an audit prints on stdout: counts, the most frequent findings and one
line per flagged message. Full explanations stay in the report files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..catalog import load
from ..text import clean_text
from .iocs import defanged
from .outline import Flagged, Outline

LISTED = 50  # flagged messages listed on stdout; all are in the reports
LISTED_IOCS = 20  # indicators listed on stdout; all are in iocs.csv


def _line(item: Flagged, word: Callable[[str], str]) -> str:
    title = next((f.title for f in item.findings if item.reasons and f.id == item.reasons[0]), "")
    return "  ".join(
        (
            f"{word('verdict.' + item.verdict):<10}",
            clean_text(item.key, 80),
            item.day or "-",
            clean_text(item.from_addr, 60) or "-",
            clean_text(item.subject, 60) or "-",
            clean_text(title, 80),
        )
    )


def render_summary(
    outline: Outline,
    directory: Path,
    files: tuple[str, ...],
    fresh: int | None = None,
    before: int = 0,
) -> str:
    """The summary; `fresh` is how many messages this run scanned (None: all of them),
    `before` how many an earlier run of a resumed audit did: the rate is this run's."""
    catalog = load()

    def word(key: str) -> str:
        return catalog.word(key, outline.lang)

    if fresh == 0 and outline.total and not outline.interrupted:
        # A resumed audit with nothing left: no rate, which would only measure the reports.
        lines = [word("notice.resume_done").format(messages=outline.total)]
    else:
        done = outline.total if fresh is None else fresh
        rate = done / outline.seconds if outline.seconds > 0 else 0.0
        lines = [
            word("audit_summary.heading").format(
                messages=done, seconds=f"{outline.seconds:.1f}", rate=f"{rate:.0f}"
            )
        ]
        if before:
            lines.append(word("audit_summary.before").format(before=before, total=outline.total))
    if outline.interrupted:
        lines.append(word("audit_summary.interrupted"))
    counts = [f"{word('verdict.' + label)} {outline.count(label)}" for label, _ in outline.counts]
    counts.append(f"{word('audit_summary.errors')} {len(outline.errors)}")
    if outline.not_mail:
        counts.append(f"{word('audit_summary.not_mail')} {outline.not_mail}")
    if outline.incomplete:
        counts.append(f"{word('audit_summary.incomplete')} {outline.incomplete}")
    lines.append("  " + "   ".join(counts))
    if outline.top_findings:
        lines.append(word("audit_summary.top_findings"))
        for finding_id, title, count in outline.top_findings[:10]:
            lines.append(f"  {count:>6}  {finding_id}  {title}")
    if outline.flagged:
        lines.append(word("audit_summary.flagged"))
        lines.extend("  " + _line(item, word) for item in outline.flagged[:LISTED])
        more = outline.flagged_total - min(LISTED, len(outline.flagged))
        if more > 0:
            lines.append("  " + word("audit_summary.more").format(count=more))
    if outline.indicators:
        lines.append(word("audit_summary.iocs").format(count=len(outline.indicators)))
        listed = [i for i in outline.indicators if i.kind != "file-name"][:LISTED_IOCS]
        lines.extend(f"  {item.kind:<12}  {defanged(item)}" for item in listed)
        more = len(outline.indicators) - len(listed)
        if more > 0:
            lines.append("  " + word("audit_summary.more").format(count=more))
    if outline.errors:
        lines.append(word("audit_summary.error_list"))
        for path, reason in outline.errors[:20]:
            lines.append(f"  {clean_text(path, 100)}: {clean_text(reason, 120)}")
        if len(outline.errors) > 20:
            lines.append("  " + word("audit_summary.more").format(count=len(outline.errors) - 20))
    lines.append(word("audit_summary.reports").format(directory=clean_text(str(directory), 200)))
    lines.extend(f"  {name}" for name in files)
    return "\n".join(lines) + "\n"
