"""The `mailcheck` command: the only package that knows about argv, stdout and exit codes.

`app` holds the group and the entry point; each front-end registers its commands on it.
The scanning pipeline, the catalog and the renderers are imported by the commands that use
them: `mailcheck --help` and a scan of plain mail load only what they need.
"""

from __future__ import annotations

from ..exits import EXIT_CLEAN, EXIT_ERROR, EXIT_MALICIOUS, EXIT_NO_MESSAGE, EXIT_SUSPICIOUS
from . import audit, gateway, scan  # noqa: F401  (each registers its commands on `main`)
from .app import PRESET_NAMES, default_lang, main, run

__all__ = [
    "EXIT_CLEAN",
    "EXIT_ERROR",
    "EXIT_MALICIOUS",
    "EXIT_NO_MESSAGE",
    "EXIT_SUSPICIOUS",
    "PRESET_NAMES",
    "default_lang",
    "main",
    "run",
]
