"""Findings to a verdict. The thresholds live here and nowhere else.

The rule: each finding id counts once (its highest score) and the scores add up, with
identity evidence (who sent it: names, addresses, where replies go) capped at
`IDENTITY_CAP` together; a failed authentication (`forgery`) counts beside the cap.
"malicious" needs a payload trait (something the mail carries or delivers: an attachment
trait, a link to a file), or two independent strong identity proofs: a copied identity
(a participant's or a known correspondent's name or address on another address) and a
failed authentication of a From the reader knows (`forgery`). Without either, the label
stops at "suspicious" and the score at `MALICIOUS_SCORE - 1`, however many weak delivery
notes (a link whose text shows another host, a limit) or relay-explained identity signs
add up.

What each finding is (its kind) is data: the catalog may declare it (`kind = "note"`),
otherwise its namespace says (`_NAMESPACE_KINDS`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .model import Attachment, Finding, FindingKind, Verdict, VerdictLabel, severity_rank

SUSPICIOUS_SCORE = 30
MALICIOUS_SCORE = 80
# A single finding of this severity decides the label on its own.
SUSPICIOUS_SEVERITY = severity_rank("high")
MALICIOUS_SEVERITY = severity_rank("critical")
INCOMPLETE_NAMESPACES = ("limit.", "analyzer.")
# Identity evidence (who sent it) is suspicious on its own however much of it there is;
# it takes a payload trait on top to make a message malicious (see the module docstring).
IDENTITY_CAP = 70
# An identity finding of this severity is a strong proof (relay notes and weak signs are not).
PROOF_SEVERITY = severity_rank("high")
# Kinds by namespace when the catalog declares none. An unknown namespace weighs as a payload
# trait, as every finding outside the identity namespaces did before kinds existed.
_NAMESPACE_KINDS: tuple[tuple[str, FindingKind], ...] = (
    ("sender.", "identity"),
    ("thread.", "identity"),
    ("audit.", "identity"),  # a folder's view of names and addresses
    ("attachment.", "payload"),
    ("link.", "payload"),
    ("limit.", "note"),
    ("analyzer.", "note"),
    ("parse.", "note"),
)
# Counted together, up to IDENTITY_CAP.
_CAPPED_KINDS: frozenset[FindingKind] = frozenset({"identity", "corroboration"})

KindOf = Callable[[str], "FindingKind | None"]


def _undeclared(_finding_id: str) -> FindingKind | None:
    return None


def kind_of(finding_id: str, declared: FindingKind | None = None) -> FindingKind:
    """What `finding_id` proves: the catalog's declared kind, else its namespace's."""
    if declared is not None:
        return declared
    return next((k for p, k in _NAMESPACE_KINDS if finding_id.startswith(p)), "payload")


def verdict(
    findings: Sequence[Finding],
    attachments: Sequence[Attachment],
    declared: KindOf = _undeclared,
) -> Verdict:
    """The verdict on `findings`; `declared` gives the catalog's kind of an id (or None)."""
    # Each kind of evidence counts once: forty renamed attachments are one trait, not forty.
    by_id: dict[str, int] = {}
    for finding in findings:
        by_id[finding.id] = max(by_id.get(finding.id, 0), finding.score)
    kinds = {finding_id: kind_of(finding_id, declared(finding_id)) for finding_id in by_id}
    payload = any(kinds[k] == "payload" and v > 0 for k, v in by_id.items())

    def weight(finding_id: str, score: int) -> int:
        # Corroborating evidence (replies diverted to free mail) weighs only beside a payload.
        return 0 if kinds[finding_id] == "corroboration" and not payload else score

    # A failed authentication is evidence independent of the name: outside the cap.
    identity = sum(weight(k, v) for k, v in by_id.items() if kinds[k] in _CAPPED_KINDS)
    other = sum(v for k, v in by_id.items() if kinds[k] not in _CAPPED_KINDS)
    score = min(identity, IDENTITY_CAP) + other
    worst = max((severity_rank(f.severity) for f in findings), default=0)
    if not payload and not _two_proofs(findings, kinds):
        score = min(score, MALICIOUS_SCORE - 1)
        worst = min(worst, MALICIOUS_SEVERITY - 1)
    label: VerdictLabel = "clean"
    if worst >= MALICIOUS_SEVERITY or score >= MALICIOUS_SCORE:
        label = "malicious"
    elif worst >= SUSPICIOUS_SEVERITY or score >= SUSPICIOUS_SCORE:
        label = "suspicious"
    reasons = tuple(
        f.id
        for f in sorted(findings, key=lambda f: (-severity_rank(f.severity), -f.score, f.id))
        if weight(f.id, f.score) > 0
    )
    incomplete = any(f.id.startswith(INCOMPLETE_NAMESPACES) for f in findings) or any(
        node.status != "ok" for top in attachments for node in top.walk()
    )
    return Verdict(
        label=label, score=score, reasons=tuple(dict.fromkeys(reasons)), incomplete=incomplete
    )


def _two_proofs(findings: Sequence[Finding], kinds: dict[str, FindingKind]) -> bool:
    """A copied identity and a failed authentication, both strong: independent proofs."""
    strong = {kinds[f.id] for f in findings if severity_rank(f.severity) >= PROOF_SEVERITY}
    return {"identity", "forgery"} <= strong
