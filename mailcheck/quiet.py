"""Keep third-party parsers from writing to the terminal or the host's logs.

extract-msg and oletools log (with tracebacks) every oddity of hostile input, and extract-msg
calls the module-level `logging.warning()`, which installs a stderr handler on the root
logger as a side effect. mailcheck reports those oddities as findings instead, so a scan
silences logging while a library runs and removes any handler the library added.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator


@contextlib.contextmanager
def silenced_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers = list(root.handlers)
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        yield
    finally:
        logging.disable(previous)
        for handler in root.handlers[:]:
            if handler not in handlers:  # added behind our back (logging.basicConfig)
                root.removeHandler(handler)
