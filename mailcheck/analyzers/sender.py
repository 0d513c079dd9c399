"""Sender identity checks that need only the message's own headers."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..model import Evidence
from .interface import Hit, MessageAnalyzer, MessageContext

_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")


def display_name_has_address(ctx: MessageContext) -> Iterator[Hit]:
    sender = ctx.message.from_
    if sender is None or not sender.display_name:
        return
    for shown in _ADDRESS.findall(sender.display_name):
        if shown.lower() != sender.addr.lower():
            yield Hit(
                id="sender.display_name_has_address",
                evidence=(
                    Evidence(
                        location=f"{ctx.prefix}header From",
                        excerpt=f"{sender.display_name} <{sender.addr}>",
                        facts=(("shown_address", shown), ("from_address", sender.addr)),
                    ),
                ),
            )
            return


ANALYZERS = (
    MessageAnalyzer(
        name="sender.display_name",
        emits=("sender.display_name_has_address",),
        run=display_name_has_address,
    ),
)
