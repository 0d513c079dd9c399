"""Parse problems as findings: malformed structure, missing transport headers, and a part
named two ways."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Evidence
from .interface import Hit, MessageAnalyzer, MessageContext

_MAX_EVIDENCE = 10


def parse_defects(ctx: MessageContext) -> Iterator[Hit]:
    defects = ctx.message.defects
    missing = [d for d in defects if d.code == "no_transport_headers"]
    if missing:
        yield Hit(
            id="parse.no_transport_headers",
            evidence=(
                Evidence(
                    location=missing[0].location,
                    excerpt=missing[0].detail,
                    facts=(("location", missing[0].location),),
                ),
            ),
        )
    for leaf in ctx.message.leaves:
        if leaf.other_name:
            location = f"{ctx.prefix}part {leaf.path}"
            facts = (
                ("location", location),
                ("filename", leaf.filename),
                ("other_name", leaf.other_name),
            )
            excerpt = f"{leaf.filename} / {leaf.other_name}"
            yield Hit(
                id="attachment.name_conflict",
                evidence=(Evidence(location=location, excerpt=excerpt, facts=facts),),
            )
    others = [d for d in defects if d.code != "no_transport_headers"]
    if not others:
        return
    codes = ", ".join(dict.fromkeys(d.code for d in others))
    evidence = tuple(
        Evidence(location=d.location, excerpt=d.detail, facts=(("codes", codes), ("code", d.code)))
        for d in others[:_MAX_EVIDENCE]
    )
    yield Hit(id="parse.defect", evidence=evidence)


ANALYZERS = (
    MessageAnalyzer(
        name="parse.defects",
        emits=("parse.defect", "parse.no_transport_headers", "attachment.name_conflict"),
        run=parse_defects,
    ),
)
