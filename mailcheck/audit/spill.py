"""Private SQLite databases for what an audit keeps per input: SQLite holds a small page
cache and spills the rest to a temporary file it deletes on close, so the driver's memory
stays flat however many files or messages an archive has."""

from __future__ import annotations

import sqlite3


def spill_table(schema: str) -> sqlite3.Connection:
    """A new private database holding the one table `schema` creates. Nothing in it has to
    survive a crash (it is rebuilt on every run), hence no journal and no syncs; one thread
    at a time may use it, whichever thread that is (an IMAP audit's feeder has its own)."""
    database = sqlite3.connect("", check_same_thread=False)
    database.execute("PRAGMA journal_mode = OFF")
    database.execute("PRAGMA synchronous = OFF")
    database.execute(schema)
    return database
