"""The indicators as a STIX 2.1 bundle (iocs.stix.json), for teams that share indicators
(MISP, OpenCTI, a TIP): one Indicator per value with a STIX pattern, created by an Identity
for mailcheck. The only importer of `stix2`, imported only when the bundle is written.

Ids are derived from the values (UUIDv5), so the same URL gets the same indicator id in
every audit and a receiving platform updates it instead of adding a copy.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Protocol


class Indicator(Protocol):
    """What the bundle needs of an indicator (iocs.Indicator). A protocol, not an import of
    that class: iocs imports this module, and the layers allow no cycle."""

    @property
    def kind(self) -> str: ...
    @property
    def value(self) -> str: ...
    @property
    def findings(self) -> tuple[str, ...]: ...
    @property
    def first_seen(self) -> str: ...
    @property
    def messages(self) -> int: ...

# A fixed namespace for mailcheck's object ids (a random UUID chosen once).
_NAMESPACE = uuid.UUID("6f1c1e52-9f0b-4d43-9a57-5d2d3c1c7a10")
_IDENTITY_ID = f"identity--{uuid.uuid5(_NAMESPACE, 'mailcheck')}"


def _literal(value: str) -> str:
    """A STIX pattern string literal: backslash and quote escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def pattern_of(item: Indicator) -> str | None:
    """The STIX pattern of an indicator; None for kinds that are no indicator alone (a file
    name: the same name is on harmless files too)."""
    value = _literal(item.value)
    if item.kind == "url":
        return f"[url:value = {value}]"
    if item.kind in ("host", "domain"):
        kind = "ipv6-addr" if ":" in item.value else "ipv4-addr" if _ipv4(item.value) else None
        if kind:
            return f"[{kind}:value = {_literal(item.value.strip('[]'))}]"
        return f"[domain-name:value = {value}]"
    if item.kind == "email":
        return f"[email-addr:value = {value}]"
    if item.kind == "email-domain":
        return f"[email-addr:value LIKE {_literal('%@' + item.value)}]"
    if item.kind == "sha256":
        return f"[file:hashes.'SHA-256' = {value}]"
    return None


def _ipv4(value: str) -> bool:
    parts = value.split(".")
    return len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts)


def _stamp(iso: str, default: datetime) -> datetime:
    try:
        return datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return default


def bundle_json(indicators: Iterable[Indicator], *, tool_version: str) -> str:
    """The serialised bundle (each pattern checked by stix2 as it is built)."""
    import stix2

    now = datetime.now(UTC).replace(microsecond=0)
    identity = stix2.Identity(
        id=_IDENTITY_ID,
        name="mailcheck",
        identity_class="system",
        description=f"mailcheck {tool_version}: indicators from flagged email",
        created=datetime(2022, 3, 1, tzinfo=UTC),
        modified=datetime(2022, 3, 1, tzinfo=UTC),
    )
    objects: list[object] = [identity]
    seen: set[str] = set()
    for item in indicators:
        pattern = pattern_of(item)
        if pattern is None or pattern in seen:
            continue  # a host that is its own registrable domain: one indicator
        seen.add(pattern)
        first = _stamp(item.first_seen, now)
        objects.append(
            stix2.Indicator(
                id=f"indicator--{uuid.uuid5(_NAMESPACE, pattern)}",
                created_by_ref=_IDENTITY_ID,
                created=now,
                modified=now,
                name=f"{item.kind} seen in {item.messages} flagged message(s)",
                description="mailcheck findings: " + ", ".join(item.findings),
                indicator_types=["malicious-activity"],
                pattern=pattern,
                pattern_type="stix",
                valid_from=first,
                labels=[f"mailcheck:{item.kind}"],
            )
        )
    bundle = stix2.Bundle(objects=objects, allow_custom=False)
    return str(bundle.serialize(pretty=True, ensure_ascii=False)) + "\n"
