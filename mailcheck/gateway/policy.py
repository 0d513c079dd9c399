"""What the gateway does with a message, per outcome of its scan (the [gateway] settings).

Outcomes are the three verdicts and `failed` (the scan timed out, its worker died, or it
raised): a gateway must decide for those too, and the safe default is to ask the sender to
retry (tempfail), so that nothing passes unscanned and nothing is lost.
"""

from __future__ import annotations

from typing import Literal, get_args

from ..records import record

Action = Literal["accept", "tag", "quarantine", "reject", "tempfail"]
ACTIONS: tuple[Action, ...] = get_args(Action)
Outcome = Literal["clean", "suspicious", "malicious", "failed"]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)


@record
class GatewayPolicy:
    """The action per outcome, and how suspicious mail is tagged."""

    clean: Action = "accept"
    suspicious: Action = "tag"
    malicious: Action = "quarantine"
    failed: Action = "tempfail"
    # Put in front of the subject of tagged mail, e.g. "[要注意]" or "[Suspicious]".
    subject_prefix: str = ""

    def action(self, outcome: Outcome) -> Action:
        chosen: Action = getattr(self, outcome)
        return chosen


DEFAULT_POLICY = GatewayPolicy()
