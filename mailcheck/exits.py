"""Exit statuses of every command, ordered by how much attention the outcome needs.

2 is click's usage error; a signal ends a run as shells report it (128 + its number), never
read as a verdict; 75 is sysexits.h's "temporary failure", what a delivery agent retries.
5 says that a command found no message at all where it was pointed (an empty folder, a
folder of other files): never "clean", so a script cannot take an empty run for a clean one.
"""

from __future__ import annotations

import signal

EXIT_CLEAN = 0
EXIT_SUSPICIOUS = 1
EXIT_ERROR = 3
EXIT_MALICIOUS = 4
EXIT_NO_MESSAGE = 5
EXIT_INTERRUPTED = 128 + signal.SIGINT
EXIT_TERMINATED = 128 + signal.SIGTERM
EX_TEMPFAIL = 75
BY_VERDICT = {"clean": EXIT_CLEAN, "suspicious": EXIT_SUSPICIOUS, "malicious": EXIT_MALICIOUS}
# How much attention each status needs, least first: the worst outcome of a run wins. "No
# message found" is only above clean: anything scanned that is suspicious or worse says more.
_ORDER = (EXIT_CLEAN, EXIT_NO_MESSAGE, EXIT_SUSPICIOUS, EXIT_ERROR, EXIT_MALICIOUS)


def worst(*statuses: int) -> int:
    """The status of the outcome that needs the most attention (0 for none)."""
    return max(statuses, key=_ORDER.index, default=EXIT_CLEAN)
