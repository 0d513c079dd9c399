"""Every bound on hostile input, in one immutable object, and the per-scan budget.

Presets follow the `email.policy` pattern: pick one and override fields with
`dataclasses.replace(GATEWAY, max_parts=200)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import Evidence
from .records import record


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    max_input_bytes: int = 64 * 1024 * 1024
    max_header_bytes: int = 1024 * 1024
    max_headers: int = 2_000
    max_parts: int = 1_000
    max_depth: int = 8
    max_archive_members: int = 1_000
    max_member_bytes: int = 64 * 1024 * 1024
    max_total_bytes: int = 256 * 1024 * 1024
    max_compression_ratio: int = 200
    max_password_tries: int = 20
    # Key-derivation rounds spent per encrypted Office file: the file sets its own count.
    max_key_iterations: int = 2_000_000
    archive_timeout: float = 30.0  # time to open one archive (decryption included)
    # Objects of one PDF looked at (pages, annotations, form fields, actions, name-tree
    # nodes): a document of 100,000 annotations or an endless chain of actions stops here.
    max_pdf_objects: int = 20_000
    max_urls: int = 2_000
    max_text_chars: int = 4 * 1024 * 1024
    analyzer_timeout: float = 30.0
    scan_timeout: float = 120.0


# A mail gateway wants an answer quickly and holds many messages in memory at once.
GATEWAY = Limits(
    max_input_bytes=50 * 1024 * 1024,
    max_parts=500,
    max_total_bytes=128 * 1024 * 1024,
    analyzer_timeout=10.0,
    scan_timeout=60.0,
)
# An analyst looking at one message can afford to wait and dig deeper.
FORENSIC = Limits(
    max_input_bytes=512 * 1024 * 1024,
    max_parts=10_000,
    max_depth=16,
    max_archive_members=10_000,
    max_pdf_objects=200_000,
    max_member_bytes=512 * 1024 * 1024,
    max_total_bytes=2 * 1024 * 1024 * 1024,
    analyzer_timeout=120.0,
    scan_timeout=900.0,
)
DEFAULT = Limits()
# Files per scan opened past a count or depth bound because their names say they run code.
RESCUE_LIMIT = 16

PRESETS: dict[str, Limits] = {"default": DEFAULT, "gateway": GATEWAY, "forensic": FORENSIC}


@record
class LimitHit:
    """A bound that was reached; becomes a `limit.<name>` finding."""

    name: str
    evidence: Evidence


@dataclass(slots=True)
class Budget:
    """Counts what one scan has consumed against its `Limits`. Not shared between scans."""

    limits: Limits
    parts: int = 0
    total_bytes: int = 0
    hits: list[LimitHit] = field(default_factory=list)
    # Files that run code by their names, opened although a count or depth bound had
    # stopped the walk before them (`rescue`): a limit must not hide the payload.
    rescued: int = 0

    def hit(self, name: str, location: str, **facts: str) -> None:
        evidence = Evidence(location=location, facts=tuple(sorted(facts.items())))
        self.hits.append(LimitHit(name=name, evidence=evidence))

    def take_part(self, location: str) -> bool:
        """Account for one more MIME part or archive member; False once over the bound."""
        self.parts += 1
        if self.parts == self.limits.max_parts + 1:
            self.hit("max_parts", location, limit=str(self.limits.max_parts))
        return self.parts <= self.limits.max_parts

    def rescue(self, claimed: str) -> bool:
        """Whether a file past a count or depth bound is opened all the same: only when its
        name claims a kind that runs code (`claimed`, from `names.claimed_kind`), and only
        so many per scan, so that padding cannot turn the rescue into the work itself."""
        if not claimed or self.rescued >= RESCUE_LIMIT:
            return False
        self.rescued += 1
        return True

    def take_bytes(self, size: int, location: str) -> bool:
        """Account for decoded bytes kept in memory; False once over the total bound."""
        if self.total_bytes + size > self.limits.max_total_bytes:
            self.hit("max_total_bytes", location, limit=str(self.limits.max_total_bytes))
            return False
        self.total_bytes += size
        return True

    def depth_ok(self, depth: int, location: str) -> bool:
        if depth > self.limits.max_depth:
            self.hit("max_depth", location, limit=str(self.limits.max_depth))
            return False
        return True
