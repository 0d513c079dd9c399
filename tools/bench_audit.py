"""Benchmark of `mailcheck audit`: messages per second with --jobs 1 and --jobs 2 against
`scan --json`, on plain mail and on Office-attachment mail, and peak memory as the number
of messages grows (one mbox of --mbox-messages against a tenth of it).

Whole processes are timed, start-up and report writing included. Memory is the peak of
the sum of the resident sizes of the audit and all its worker processes, sampled every
50 ms. Targets: --jobs 2 >= 1.7x --jobs 1 (on a machine with 2 cores or more) and a
peak that stays flat (<= 1.25x for ten times the messages).

    python tools/bench_audit.py [--quick] [--office-messages N] [--mbox-messages N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools.benchmark import (
    MB,
    Table,
    _write_mbox,
    mailcheck_command,
    office_corpus,
    plain_corpus,
)


def _tree(root: int) -> list[int]:
    """The process and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending.extend(children.get(pid, []))
    return found


def _rss(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm", "rb") as handle:
                total += int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    return total


def measure(args: list[str], *, sample: bool = False) -> tuple[float, int]:
    """(seconds, peak summed RSS of the process tree when `sample`) of one whole run. The
    sampler reads /proc and costs CPU: throughput runs go without it."""
    peak = 0
    started = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    done = threading.Event()

    def sample_rss() -> None:
        nonlocal peak
        while not done.wait(0.05):
            peak = max(peak, _rss(_tree(child.pid)))

    sampler = threading.Thread(target=sample_rss, daemon=True)
    if sample:
        sampler.start()
    child.wait()
    took = time.perf_counter() - started
    done.set()
    if sample:
        sampler.join()
    return took, peak


def audit(paths: list[Path], out: Path, jobs: int, *, sample: bool = False) -> tuple[float, int]:
    shutil.rmtree(out, ignore_errors=True)
    command = [*mailcheck_command(), "audit", "--out", str(out), "--jobs", str(jobs)]
    return measure([*command, *(str(p) for p in paths)], sample=sample)


def throughput(table: Table, name: str, folder: Path, count: int, runs: int, work: Path) -> None:
    scan = min(
        measure([*mailcheck_command(), "scan", "--json", str(folder)])[0] for _ in range(runs)
    )
    one = min(audit([folder], work / "one", 1)[0] for _ in range(runs))
    two = min(audit([folder], work / "two", 2)[0] for _ in range(runs))
    print(
        f"  {name}: {count} messages; scan --json {count / scan:.0f} msg/s, "
        f"audit --jobs 1 {count / one:.0f} msg/s, --jobs 2 {count / two:.0f} msg/s"
    )
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    table.row(
        f"{name}: audit --jobs 2 vs --jobs 1",
        f"{count / two:.0f}/s",
        f"{count / one:.0f}/s",
        one / two,
        ">= 1.7",
        one / two >= 1.7 or cores < 2,
    )
    table.row(
        f"{name}: audit --jobs 1 vs scan --json",
        f"{count / one:.0f}/s",
        f"{count / scan:.0f}/s",
        scan / one,
        "(information)",
        True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs and messages")
    parser.add_argument("--office-messages", type=int, default=600)
    parser.add_argument("--mbox-messages", type=int, default=100_000)
    options = parser.parse_args()
    runs = 1 if options.quick else 3
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {mailcheck_command()[0]}")
    table = Table()
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        plain = work / "plain"
        paths = plain_corpus(plain, 2_500)
        folder = paths[0].parent
        throughput(table, "plain mail", folder, len(paths), runs, work)

        office = work / "office"
        office.mkdir()
        count = 40 if options.quick else options.office_messages
        for index, message in enumerate(office_corpus(count)):
            (office / f"{index:04}.eml").write_bytes(message)
        throughput(table, "Office attachments", office, count, runs, work)

        large = 10_000 if options.quick else options.mbox_messages
        small_box, large_box = work / "small.mbox", work / "large.mbox"
        _write_mbox(small_box, large // 10)
        _write_mbox(large_box, large)
        _, small_peak = audit([small_box], work / "small", 2, sample=True)
        took, large_peak = audit([large_box], work / "large", 2, sample=True)
        table.row(
            f"memory: audit of {large} vs {large // 10} messages",
            f"{large_peak / MB:.0f} MB",
            f"{small_peak / MB:.0f} MB",
            large_peak / small_peak,
            "<= 1.25",
            large_peak / small_peak <= 1.25,
        )
        print(f"  ({large} mbox messages audited in {took:.0f} s, {large / took:.0f} msg/s)")
    return 1 if table.failed else 0


if __name__ == "__main__":
    sys.exit(main())
