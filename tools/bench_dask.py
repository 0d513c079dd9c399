"""`mailcheck audit --dask local` against `--jobs` with the same number of workers, on one
machine: for mboxes of 10,000 (and 100,000) plain ham messages, the time and the peak of the
summed resident memory of the audit's whole process tree (the driver, which holds a
LocalCluster's scheduler and nannies, and the worker processes), and the two ratios against
their targets (time <= 1.2, memory <= 1.3).

    python tools/bench_dask.py [--sizes 10000,100000] [--jobs 2] [--runs 1]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools.bench_audit import measure
from tools.benchmark import HAM, MB, mailcheck_command, plain_corpus
from tools.scale import write_mbox


def run(box: Path, out: Path, jobs: int, runs: int, *extra: str) -> tuple[float, int]:
    """(best time, peak memory of that run) of `runs` audits of `box`."""
    best: tuple[float, int] | None = None
    for _ in range(runs):
        shutil.rmtree(out, ignore_errors=True)
        command = [*mailcheck_command(), "audit", "--out", str(out), "--jobs", str(jobs)]
        took, peak = measure([*command, *extra, str(box)], sample=True)
        if not (out / "results.csv").exists():
            raise SystemExit(f"the audit {' '.join(extra) or '--jobs'} wrote no report")
        if best is None or took < best[0]:
            best = (took, peak)
    assert best is not None
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--runs", type=int, default=1)
    options = parser.parse_args()
    failed = False
    with tempfile.TemporaryDirectory(prefix="bench-dask-") as temp:
        work = Path(temp)
        sources = (
            sorted(p for p in HAM.iterdir() if p.is_file())
            if HAM.is_dir()
            else plain_corpus(work / "plain", 500)
        )
        for count in (int(n) for n in options.sizes.split(",")):
            box = work / f"ham-{count}.mbox"
            write_mbox(box, count, sources)
            jobs = run(box, work / "jobs", options.jobs, options.runs)
            dask = run(box, work / "dask", options.jobs, options.runs, "--dask", "local")
            box.unlink()
            time_ratio, memory_ratio = dask[0] / jobs[0], dask[1] / jobs[1]
            ok = time_ratio <= 1.2 and memory_ratio <= 1.3
            failed = failed or not ok
            print(
                f"{count:>7} msgs, {options.jobs} workers: --jobs {jobs[0]:6.1f} s "
                f"{jobs[1] / MB:4.0f} MB; --dask local {dask[0]:6.1f} s {dask[1] / MB:4.0f} MB; "
                f"time {time_ratio:.2f} (<= 1.2), memory {memory_ratio:.2f} (<= 1.3) "
                f"{'ok' if ok else 'MISSED'}"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
