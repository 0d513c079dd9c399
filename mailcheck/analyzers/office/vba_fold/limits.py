"""Bounds of the folder: every one ends the work quietly with what was recovered."""

from __future__ import annotations

MAX_CODE_CHARS = 1024 * 1024  # source looked at


MAX_STEPS = 400_000  # expression nodes evaluated, over the whole source


MAX_CALL_DEPTH = 8  # nested calls of the project's own procedures


MAX_CALLS = 20_000  # calls of the project's own procedures, over the whole source


MAX_ITERATIONS = 100_000  # iterations of one loop


MAX_VALUE_CHARS = 64 * 1024  # a longer string value is unknown


MAX_TOTAL_CHARS = 4 * 1024 * 1024  # characters of all strings the folder creates


MAX_DEPTH = 80  # nesting of one expression


MAX_ARRAY_ITEMS = 4096


MAX_FILTERS = 16  # Replace/Split fillers remembered for the form strings


MAX_STRINGS = 32  # recovered strings returned


MAX_FORMS = 256  # form strings looked at


MIN_STRING = 6  # shorter recovered strings say nothing


JUNK_MIN_LINES = 10


JUNK_MIN_SHARE = 0.2


MAX_STORES = 4096
