"""Received-chain parsing, the one place mail-parser is used.

mail-parser's clause tokenizer copes with the many shapes MTAs write (comments, HELO
names, envelope-from in odd places) and orders the hops first-to-last; we keep only the
fields the report shows. Bodies are never taken from mail-parser: 4.8.0 returns raw
ISO-2022-JP escape sequences for 7bit ISO-2022-JP text.
"""

from __future__ import annotations

from mailparser.utils import receiveds_parsing

from ..model import ReceivedHop
from .charset import raw_text

# A real chain is rarely longer than a dozen hops; loops and forged padding are not
# worth parsing in full.
MAX_HOPS = 50


def parse_received(raw_values: list[str]) -> tuple[ReceivedHop, ...]:
    """Hops in transit order (the first MTA first) from raw Received header values."""
    values = raw_values[:MAX_HOPS]
    if not values:
        return ()
    try:
        parsed = receiveds_parsing(values)
    except Exception:  # a third-party parser on hostile input: keep the raw values
        return tuple(ReceivedHop(raw=raw_text(value[:500])) for value in reversed(values))
    hops: list[ReceivedHop] = []
    for item in parsed:
        if not isinstance(item, dict):
            continue
        hops.append(
            ReceivedHop(
                from_host=str(item.get("from", ""))[:300],
                by_host=str(item.get("by", ""))[:300],
                with_protocol=str(item.get("with", ""))[:100],
                date=str(item.get("date_utc", item.get("date", ""))),
                raw=str(item.get("raw", ""))[:500],
            )
        )
    return tuple(hops)
