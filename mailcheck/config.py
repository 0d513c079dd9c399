"""Organisation settings passed into every scan (never read from global state)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    # Domains of the organisation that receives the mail (lower case).
    internal_domains: tuple[str, ...] = ()
    # Partner domains whose mail is expected.
    trusted_domains: tuple[str, ...] = ()


DEFAULT_CONFIG = Config()
