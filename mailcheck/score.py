"""Findings to a verdict. The thresholds live here and nowhere else."""

from __future__ import annotations

from collections.abc import Sequence

from .model import Attachment, Finding, Verdict, VerdictLabel, severity_rank

SUSPICIOUS_SCORE = 30
MALICIOUS_SCORE = 80
# A single finding of this severity decides the label on its own.
SUSPICIOUS_SEVERITY = severity_rank("high")
MALICIOUS_SEVERITY = severity_rank("critical")
INCOMPLETE_NAMESPACES = ("limit.", "analyzer.")
# Identity evidence (who sent it) is suspicious on its own however much of it there is;
# it takes a trait of the delivery or the attachment on top to make a message malicious.
IDENTITY_NAMESPACES = ("sender.", "thread.")
IDENTITY_CAP = 70


def verdict(findings: Sequence[Finding], attachments: Sequence[Attachment]) -> Verdict:
    # Each kind of evidence counts once: forty renamed attachments are one trait, not forty.
    by_id: dict[str, int] = {}
    for finding in findings:
        by_id[finding.id] = max(by_id.get(finding.id, 0), finding.score)
    identity = sum(v for k, v in by_id.items() if k.startswith(IDENTITY_NAMESPACES))
    other = sum(v for k, v in by_id.items() if not k.startswith(IDENTITY_NAMESPACES))
    score = min(identity, IDENTITY_CAP) + other
    worst = max((severity_rank(f.severity) for f in findings), default=0)
    label: VerdictLabel = "clean"
    if worst >= MALICIOUS_SEVERITY or score >= MALICIOUS_SCORE:
        label = "malicious"
    elif worst >= SUSPICIOUS_SEVERITY or score >= SUSPICIOUS_SCORE:
        label = "suspicious"
    reasons = tuple(
        f.id
        for f in sorted(findings, key=lambda f: (-severity_rank(f.severity), -f.score, f.id))
        if f.score > 0
    )
    incomplete = any(f.id.startswith(INCOMPLETE_NAMESPACES) for f in findings) or any(
        node.status != "ok" for top in attachments for node in top.walk()
    )
    return Verdict(
        label=label, score=score, reasons=tuple(dict.fromkeys(reasons)), incomplete=incomplete
    )
