"""Shared test helpers: repository paths, the third-party corpus, message builders."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
# Real third-party material lives beside the clone, never inside it.
CORPUS = ROOT.parent / "shared" / "corpus"

sys.path.insert(0, str(ROOT))  # for tools/ (sample and fixture builders)


def corpus_dir(*parts: str) -> Path:
    """A folder of ../shared/corpus, or skip the test cleanly when it is absent."""
    path = CORPUS.joinpath(*parts)
    if not path.is_dir():
        pytest.skip(f"third-party corpus not present: {'/'.join(parts)}")
    return path


def eml(*headers: str, body: str = "Hello.\r\n", content_type: str = "text/plain") -> bytes:
    """A small RFC 5322 message from header lines and a body."""
    head = "\r\n".join(headers)
    return (f"{head}\r\nMIME-Version: 1.0\r\nContent-Type: {content_type}\r\n\r\n{body}").encode(
        "utf-8", "surrogateescape"
    )
