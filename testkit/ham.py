"""How often the identity checks fire on real, benign mail (the false-positive rate).

    python tools/ham_report.py [FOLDER] [--top N]

FOLDER defaults to ../shared/corpus/ham/spamassassin-easy-ham-1 beside the repository:
2,500 hand-labelled ham messages, mostly mailing-list and personal threads. Prints how many
messages get a thread.* or sender.* finding above info, how many end suspicious or
malicious, the count per finding id, and the worst messages with a one-line reason each.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from mailcheck.api import ScanError, scan_path
from mailcheck.model import Finding, ScanResult, severity_rank

DEFAULT_FOLDER = (
    Path(__file__).resolve().parents[2] / "shared" / "corpus" / "ham" / "spamassassin-easy-ham-1"
)
IDENTITY_PREFIXES = ("thread.", "sender.")


@dataclass(slots=True)
class HamReport:
    scanned: int = 0
    errors: int = 0
    flagged: list[ScanResult] = field(default_factory=list)  # identity finding above info
    verdicts: Counter[str] = field(default_factory=Counter)
    by_id: Counter[str] = field(default_factory=Counter)

    def with_verdict(self, label: str) -> list[ScanResult]:
        return [r for r in self.flagged if r.verdict.label == label]


def identity_findings(result: ScanResult) -> list[Finding]:
    return [
        f
        for f in result.findings
        if f.id.startswith(IDENTITY_PREFIXES) and severity_rank(f.severity) > 0
    ]


def measure(folder: Path) -> HamReport:
    report = HamReport()
    for path in sorted(p for p in folder.iterdir() if p.is_file() and p.name != "SOURCE.txt"):
        for outcome in scan_path(path):
            if isinstance(outcome, ScanError):
                report.errors += 1
                continue
            report.scanned += 1
            report.verdicts[outcome.verdict.label] += 1
            found = identity_findings(outcome)
            if found:
                report.flagged.append(outcome)
                report.by_id.update({f.id for f in found})
    return report


def reason(result: ScanResult) -> str:
    """One line: the ids, the sender, and what each identity finding compared."""
    parts = []
    for finding in identity_findings(result):
        facts = finding.facts()
        detail = (
            facts.get("participants")
            or facts.get("participant")
            or facts.get("shown_address")
            or facts.get("person")
            or facts.get("reply_to")
            or facts.get("subject")
            or facts.get("location")
            or ""
        )
        parts.append(f"{finding.id}[{detail[:70]}]")
    sender = result.message.from_.addr if result.message.from_ else "-"
    return f"from {sender}: " + "; ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--top", type=int, default=25, help="messages to list (default 25)")
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        print(f"no such folder: {args.folder}", file=sys.stderr)
        return 2
    report = measure(args.folder)
    rank = {"malicious": 0, "suspicious": 1, "clean": 2}
    print(f"messages scanned: {report.scanned} (errors: {report.errors})")
    print(f"with a thread.*/sender.* finding above info: {len(report.flagged)}")
    for finding_id, count in report.by_id.most_common():
        print(f"  {finding_id}: {count}")
    print(
        f"verdicts: suspicious {report.verdicts['suspicious']}, "
        f"malicious {report.verdicts['malicious']}, clean {report.verdicts['clean']}"
    )
    worst = sorted(
        report.flagged, key=lambda r: (rank[r.verdict.label], -r.verdict.score, r.source.path)
    )
    for result in worst[: args.top]:
        name = Path(result.source.path).name
        print(f"{result.verdict.label:10} {result.verdict.score:4} {name[:12]}  {reason(result)}")
    return 0
