"""Module-level functions the isolated worker can import (tests only)."""

from __future__ import annotations

import os
import time


def add(a: int, b: int) -> int:
    return a + b


def pid() -> int:
    return os.getpid()


def hang() -> None:
    time.sleep(3600)


def fail() -> None:
    raise ValueError("bad input")


def die() -> None:
    os._exit(9)


def allocate(megabytes: int) -> int:
    return len(bytearray(megabytes * 1024 * 1024))
