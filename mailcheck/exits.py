"""Exit statuses of every command, ordered by how much attention the outcome needs.

2 is click's usage error; a signal ends a run as shells report it (128 + its number), never
read as a verdict; 75 is sysexits.h's "temporary failure", what a delivery agent retries.
"""

from __future__ import annotations

import signal

EXIT_CLEAN = 0
EXIT_SUSPICIOUS = 1
EXIT_ERROR = 3
EXIT_MALICIOUS = 4
EXIT_INTERRUPTED = 128 + signal.SIGINT
EXIT_TERMINATED = 128 + signal.SIGTERM
EX_TEMPFAIL = 75
BY_VERDICT = {"clean": EXIT_CLEAN, "suspicious": EXIT_SUSPICIOUS, "malicious": EXIT_MALICIOUS}
