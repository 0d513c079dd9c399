"""How the quoted-thread parser reads a folder of real mail.

    python tools/quote_report.py [FOLDER] [--show STYLE|unparsed|unquoted-wrote] [--limit N]

FOLDER defaults to ../shared/corpus/ham/spamassassin-easy-ham-1. For the first text/plain
body of every message, prints how many have quoted history, how many of those yield a
quoted header with a sender address, and the headers per style. `--show` prints the file
names and header excerpts of one group, to look at what the parser did.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from mailcheck.thread.quotes import split_thread
from mailcheck.thread.types import ThreadSplit

DEFAULT_FOLDER = (
    Path(__file__).resolve().parents[2] / "shared" / "corpus" / "ham" / "spamassassin-easy-ham-1"
)


@dataclass
class QuoteStats:
    messages: int = 0  # messages with a text/plain body
    quoted: int = 0
    with_sender_address: int = 0  # quoted, and at least one header names a sender address
    with_header: int = 0  # quoted, and at least one header
    styles: Counter[str] = field(default_factory=Counter)  # headers per style
    splits: dict[str, ThreadSplit] = field(default_factory=dict)  # file name -> split


def plain_body(path: Path) -> str | None:
    """The first text/plain body of a message file, or None."""
    with path.open("rb") as handle:
        message = email.message_from_binary_file(handle, policy=email.policy.default)
    try:
        assert isinstance(message, EmailMessage)
        part = message.get_body(("plain",))
        if part is None:
            return None
        content = part.get_content()
    except Exception:  # a damaged part or an unknown charset: not this tool's subject
        return None
    return content if isinstance(content, str) else None


def message_files(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix == ".eml":
            yield path


def corpus_stats(folder: Path) -> QuoteStats:
    stats = QuoteStats()
    for path in message_files(folder):
        text = plain_body(path)
        if text is None:
            continue
        split = split_thread(text)
        stats.messages += 1
        stats.splits[path.name] = split
        if not split.quoted:
            continue
        stats.quoted += 1
        stats.with_header += bool(split.headers)
        stats.with_sender_address += any(h.sender and h.sender.addr for h in split.headers)
        stats.styles.update(h.style for h in split.headers)
    return stats


def _show(stats: QuoteStats, group: str, limit: int) -> None:
    shown = 0
    for name, split in stats.splits.items():
        if group == "unparsed":
            chosen = split.quoted and not split.headers
        elif group == "unquoted":
            chosen = not split.quoted
        else:
            chosen = any(h.style == group for h in split.headers)
        if not chosen:
            continue
        print(f"== {name}")
        for header in split.headers:
            if group in ("unparsed", "unquoted") or header.style == group:
                print(f"   {header.style}: {header.excerpt!r}")
                print(f"      sender={header.sender} subject={header.subject!r}")
        if group == "unparsed":
            print("   " + "\n   ".join(split.quoted_text.splitlines()[:4]))
        shown += 1
        if shown >= limit:
            break


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--show", default="", help="a style, 'unparsed' or 'unquoted'")
    parser.add_argument("--limit", type=int, default=20)
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        print(f"no such folder: {args.folder}", file=sys.stderr)
        return 2
    stats = corpus_stats(args.folder)
    if args.show:
        _show(stats, args.show, args.limit)
        return 0
    print(f"messages with a text/plain body: {stats.messages}")
    print(f"quoted=True:                     {stats.quoted}")
    print(f"  with >=1 quoted header:        {stats.with_header}")
    print(f"  with a quoted sender address:  {stats.with_sender_address}")
    print("headers per style:")
    for style, count in stats.styles.most_common():
        print(f"  {style:16} {count}")
    return 0
