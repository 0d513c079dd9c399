"""Long mutation runs over real mail: count inputs, crashes, hangs and the slowest input.

    python tools/fuzz.py [--inputs 100000] [--jobs 2] [--seed 1] [--save DIR]

Seeds are the bundled samples and, when present, the third-party corpora beside the clone
(../shared/corpus: parser test mail, real ham, macro mail, Outlook .msg). Each input is a
seed with one to three mutations: byte flips, truncation, a duplicated header block, removed
or duplicated boundary lines, a junk or indented header line, 8-bit bytes in a header name,
deep nesting, a spliced second message, line-ending changes, a huge header line, NUL and
other control bytes in header names, values and bodies, a line of NULs among the headers.
Every input is scanned in-process with `scan_bytes` (the gateway preset's bounds); anything
but a `ScanResult` or `NotAMessageError` is a crash, an input that runs past the hang bound
is a hang, and an input called "not a message" although the standard library still reads two
well-known header fields from it is lost (a folder scan would pass it over). Crashing,
hanging and lost inputs are written to --save for a regression test.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import re
import signal
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from email._policybase import compat32
from email.parser import BytesParser
from pathlib import Path
from types import FrameType

from mailcheck.api import scan_bytes
from mailcheck.engine import Engine
from mailcheck.limits import GATEWAY
from mailcheck.parse import NotAMessageError
from mailcheck.parse.header_block import KNOWN_FIELDS

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
SEED_FOLDERS = ("parsers", "ham", "macro-mail", "msg")
MAX_SEED_BYTES = 512 * 1024
HANG_SECONDS = 30


def load_seeds() -> list[tuple[str, bytes]]:
    seeds = [(p.name, p.read_bytes()) for p in sorted((ROOT / "samples").iterdir())]
    for folder in SEED_FOLDERS:
        base = CORPUS / folder
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if path.is_file() and 0 < path.stat().st_size <= MAX_SEED_BYTES:
                seeds.append((str(path.relative_to(CORPUS)), path.read_bytes()))
    return seeds


# --- mutations --------------------------------------------------------------------------------

Mutation = Callable[[random.Random, bytes, bytes], bytes]
_BOUNDARY_LINE = re.compile(rb"^--[^\r\n]*\r?\n", re.M)


def _head_end(data: bytes) -> int:
    ends = [i for i in (data.find(b"\r\n\r\n"), data.find(b"\n\n")) if i >= 0]
    return min(ends) if ends else len(data)


def flip_bytes(rng: random.Random, data: bytes, _other: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 16)):
        if out:
            out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def truncate(rng: random.Random, data: bytes, _other: bytes) -> bytes:
    return data[: rng.randint(0, len(data))]


def duplicate_headers(rng: random.Random, data: bytes, _other: bytes) -> bytes:
    end = _head_end(data)
    return data[:end] + b"\r\n" + data[:end] + data[end:]


def drop_boundaries(rng: random.Random, data: bytes, _other: bytes) -> bytes:
    lines = _BOUNDARY_LINE.findall(data)
    if not lines:
        return data
    return data.replace(rng.choice(lines), b"", rng.choice((1, -1)))


def repeat_boundaries(rng: random.Random, data: bytes, _other: bytes) -> bytes:
    lines = _BOUNDARY_LINE.findall(data)
    if not lines:
        return data
    line = rng.choice(lines)
    return data.replace(line, line * rng.randint(2, 50), 1)


def junk_header(rng: random.Random, data: bytes, _other: bytes) -> bytes:
    end = _head_end(data)
    cut = data.rfind(b"\n", 0, max(1, rng.randint(0, end))) + 1
    junk = rng.choice((b"this line is not a header\r\n", b" \r\n", b":\r\n", b"\x00\r\n"))
    return data[:cut] + junk + data[cut:]


def indent_first(rng: random.Random, data: bytes, _other: bytes) -> bytes:
    return rng.choice((b" ", b"\t", b"\r\n", b"\xef\xbb\xbf")) + data


def eight_bit_name(rng: random.Random, data: bytes, _other: bytes) -> bytes:
    end = _head_end(data)
    colon = data.find(b":", 0, end)
    if colon <= 0:
        return data
    return data[:colon] + bytes([rng.randrange(0x80, 0x100)]) + data[colon:]


_CONTROL_RUNS = (b"\x00", b"\x00" * 40, b"\x01", b"\x08", b"\x0b", b"\x0c", b"\x1f", b"\x7f")


def control_bytes(rng: random.Random, data: bytes, _other: bytes) -> bytes:
    """NUL and control bytes in header names, values and (sometimes) the body."""
    end = _head_end(data)
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        at = rng.randint(0, end if rng.random() < 0.8 else len(out))
        out[at:at] = rng.choice(_CONTROL_RUNS)
    return bytes(out)


def nul_line(rng: random.Random, data: bytes, _other: bytes) -> bytes:
    end = _head_end(data)
    cut = data.rfind(b"\n", 0, max(1, rng.randint(0, end))) + 1
    return data[:cut] + b"\x00" * rng.choice((1, 8, 1000)) + b"\r\n" + data[cut:]


def stdlib_reads_mail(data: bytes) -> bool:
    """True if the standard library's parser reads two well-known header fields from `data`:
    a mail client would show it as mail, so a scanner must not call it "not a message"."""
    head = BytesParser(policy=compat32).parsebytes(data[: 256 * 1024], headersonly=True)
    names = [name.lower().encode("ascii", "replace") for name in head]
    return sum(name in KNOWN_FIELDS for name in names) >= 2


def nest(rng: random.Random, data: bytes, _other: bytes) -> bytes:
    depth = rng.choice((5, 40, 300, 2000))
    kind = rng.choice(("multipart", "message"))
    for level in range(depth):
        if kind == "message":
            data = b"Content-Type: message/rfc822\r\n\r\n" + data
        else:
            boundary = f"n{level}".encode()
            data = (
                b'Content-Type: multipart/mixed; boundary="'
                + boundary
                + b'"\r\n\r\n--'
                + boundary
                + b"\r\n"
                + data
                + b"\r\n--"
                + boundary
                + b"--\r\n"
            )
    return b"From: fuzz@example.com\r\nMIME-Version: 1.0\r\n" + data


def splice(rng: random.Random, data: bytes, other: bytes) -> bytes:
    return data[: rng.randint(0, len(data))] + other[rng.randint(0, len(other)) :]


def line_endings(rng: random.Random, data: bytes, _other: bytes) -> bytes:
    choice = rng.choice(("crlf", "lf", "cr"))
    plain = data.replace(b"\r\n", b"\n")
    return {"crlf": plain.replace(b"\n", b"\r\n"), "lf": plain, "cr": plain.replace(b"\n", b"\r")}[
        choice
    ]


def huge_line(rng: random.Random, data: bytes, _other: bytes) -> bytes:
    filler = rng.choice((b"A", b"=?utf-8?B?5bGx?= ", b'"', b"<", b"\xff"))
    return b"X-Fuzz: " + filler * rng.choice((1_000, 100_000, 600_000)) + b"\r\n" + data


MUTATIONS: dict[str, Mutation] = {
    f.__name__: f
    for f in (
        flip_bytes,
        truncate,
        duplicate_headers,
        drop_boundaries,
        repeat_boundaries,
        junk_header,
        indent_first,
        eight_bit_name,
        nest,
        splice,
        line_endings,
        huge_line,
        control_bytes,
        nul_line,
    )
}


# --- the run ----------------------------------------------------------------------------------


class Hang(Exception):
    pass


def _alarm(_signum: int, _frame: FrameType | None) -> None:
    raise Hang


@dataclass
class Tally:
    inputs: int = 0
    results: int = 0
    not_messages: int = 0
    lost: int = 0  # "not a message" although the stdlib reads it as mail
    crashes: int = 0
    hangs: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)
    slowest: tuple[float, str] = (0.0, "")
    crash_kinds: Counter[str] = field(default_factory=Counter)


def run_share(
    args: tuple[int, int, int, str, list[tuple[str, bytes]]],
) -> Tally:
    """One worker's share of the inputs (its own random stream and engine)."""
    worker, count, seed, save, seeds = args
    rng = random.Random(seed * 1_000_003 + worker)
    tally = Tally()
    signal.signal(signal.SIGALRM, _alarm)
    with Engine() as engine:
        for number in range(count):
            name, data = rng.choice(seeds)
            _, other = rng.choice(seeds)
            applied = rng.sample(sorted(MUTATIONS), rng.randint(1, 3))
            for mutation in applied:
                data = MUTATIONS[mutation](rng, data, other)
            label = f"{name} + {'+'.join(applied)}"
            tally.inputs += 1
            started = time.monotonic()
            signal.alarm(HANG_SECONDS)
            try:
                result = scan_bytes(data, limits=GATEWAY, engine=engine)
                tally.results += 1
                tally.verdicts[result.verdict.label] += 1
            except NotAMessageError:
                tally.not_messages += 1
                if stdlib_reads_mail(data):
                    tally.lost += 1
                    _save(save, f"lost-{worker}-{number}", data, label)
            except Hang:
                tally.hangs += 1
                _save(save, f"hang-{worker}-{number}", data, label)
            except Exception as exc:
                tally.crashes += 1
                tally.crash_kinds[f"{type(exc).__name__}: {str(exc)[:80]}"] += 1
                _save(save, f"crash-{worker}-{number}", data, label + "\n" + traceback.format_exc())
            finally:
                signal.alarm(0)
            took = time.monotonic() - started
            if took > tally.slowest[0]:
                tally.slowest = (took, label)
    return tally


def _save(folder: str, name: str, data: bytes, note: str) -> None:
    if not folder:
        return
    os.makedirs(folder, exist_ok=True)
    Path(folder, name + ".eml").write_bytes(data)
    Path(folder, name + ".txt").write_text(note, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--save", default="", help="folder for crashing and hanging inputs")
    options = parser.parse_args()
    seeds = load_seeds()
    print(f"{len(seeds)} seeds, {options.inputs} inputs, {options.jobs} processes", flush=True)
    shares = [options.inputs // options.jobs] * options.jobs
    shares[0] += options.inputs - sum(shares)
    started = time.monotonic()
    work = [(w, n, options.seed, options.save, seeds) for w, n in enumerate(shares)]
    # Not multiprocessing.Pool: its daemonic workers may not start the engine's own worker.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(options.jobs, mp_context=context) as pool:
        tallies = list(pool.map(run_share, work))
    seconds = time.monotonic() - started
    total = Tally()
    for tally in tallies:
        total.inputs += tally.inputs
        total.results += tally.results
        total.not_messages += tally.not_messages
        total.lost += tally.lost
        total.crashes += tally.crashes
        total.hangs += tally.hangs
        total.verdicts.update(tally.verdicts)
        total.crash_kinds.update(tally.crash_kinds)
        total.slowest = max(total.slowest, tally.slowest)
    print(f"inputs:        {total.inputs} in {seconds:.0f} s ({total.inputs / seconds:.0f}/s)")
    print(f"results:       {total.results} {dict(total.verdicts)}")
    print(f"not a message: {total.not_messages}")
    print(f"lost (the stdlib reads mail, not a message here): {total.lost}")
    print(f"crashes:       {total.crashes}")
    for kind, count in total.crash_kinds.most_common(10):
        print(f"    {count:6}  {kind}")
    print(f"hangs (>{HANG_SECONDS} s): {total.hangs}")
    print(f"slowest:       {total.slowest[0]:.2f} s  {total.slowest[1]}")
    sys.exit(1 if total.crashes or total.hangs or total.lost else 0)
