"""`mailcheck audit` at archive scale: for mboxes of 10,000 and 100,000 plain ham messages
(the shared easy-ham corpus cycled, or generated replies without it), the time, messages
per second, the peak of the summed resident memory of the audit and all its workers, and
the size of the input and of the output (per file, and per message); then report.html for
100,000 flagged messages (built by the report writer from one real result varied): its
size, the time to write it and the time headless Chromium takes to open it and filter it.
`--plan` measures the driver's plan alone (count, cut into ranges, batched, as an audit
streams it) for mboxes of tiny messages, in seconds for a million: its peak must not grow
with the number of messages.

    python tools/scale.py [--sizes 10000,100000] [--flagged 100000] [--jobs 2]
                          [--plan 100000,1000000] [--no-variants]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools.bench_audit import measure
from tools.benchmark import HAM, MB, mailcheck_command, plain_corpus, run_process

ROOT = Path(__file__).resolve().parents[1]

# The driver's side of an audit's plan: every unit made and batched, none kept.
PLAN_CODE = """
import sys
sys.path.insert(0, sys.argv[1])
from mailcheck.audit.outputs import remaining
from mailcheck.audit.plan import batches, make_plan
plan = make_plan([sys.argv[2]])
assert sum(u.messages for b in batches(remaining(plan, set())) for u in b) == plan.messages
"""


def write_mbox(path: Path, count: int, sources: list[Path]) -> None:
    """`count` messages from `sources` (cycled), each as one mbox message."""
    bodies = [p.read_bytes().replace(b"\r\n", b"\n") for p in sources]
    bodies = [b[b.index(b"\n") + 1 :] if b.startswith(b"From ") else b for b in bodies]
    with path.open("wb") as handle:
        for n in range(count):
            body = bodies[n % len(bodies)].replace(b"\nFrom ", b"\n>From ")
            handle.write(b"From archive@example.com Tue Mar  1 09:00:00 2022\n")
            handle.write(body.rstrip(b"\n") + b"\n\n")


def sizes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in sorted(folder.iterdir()) if p.is_file()}


def audit_run(box: Path, out: Path, count: int, jobs: int, *extra: str) -> None:
    shutil.rmtree(out, ignore_errors=True)
    command = [*mailcheck_command(), "audit", "--out", str(out), "--jobs", str(jobs), *extra]
    took, peak = measure([*command, str(box)], sample=True)
    files = sizes(out)
    total = sum(files.values())
    given = box.stat().st_size
    label = " ".join(extra) or "(default)"
    print(
        f"{count:>7} msgs {label:<11} {took:7.1f} s {count / took:6.0f} msg/s "
        f"peak {peak / MB:5.0f} MB  input {given / MB:7.1f} MB  output {total / MB:7.1f} MB "
        f"({total / given:.2f} of the input, {total / count:.0f} B/msg)"
    )
    big = {k: v for k, v in files.items() if v > 1024}
    print("          " + ", ".join(f"{k} {v / MB:.1f} MB" for k, v in big.items()))


def plan_run(count: int, work: Path) -> None:
    box = work / f"tiny-{count}.mbox"
    with box.open("wb") as handle:
        for n in range(count):
            handle.write(
                b"From a@example.com Tue Mar  1 09:00:00 2022\nFrom: a@example.com\n"
                b"Subject: message %d\n\nhello\n\n" % n
            )
    took, peak = run_process([sys.executable, "-c", PLAN_CODE, str(ROOT), str(box)])
    print(f"plan of {count:>8} msgs: {took:5.1f} s, peak {peak / MB:4.0f} MB")
    box.unlink()


def report_run(count: int, work: Path) -> None:
    from testkit.flagged_report import FILTER_PROBE, write_report

    out = work / "flagged"
    out.mkdir()
    started = time.perf_counter()
    write_report(out, count)
    wrote = time.perf_counter() - started
    page = out / "report.html"
    size = page.stat().st_size
    page.write_text(
        page.read_text(encoding="utf-8").replace("</body>", FILTER_PROBE + "</body>"),
        encoding="utf-8",
    )
    browsers = ("chromium", "chromium-browser", "google-chrome")
    browser = next((shutil.which(b) for b in browsers if shutil.which(b)), None)
    if browser is None:
        print("report: chromium is not installed")
        return
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        f"--user-data-dir={work / 'profile'}",
        "--dump-dom",
        page.as_uri(),
    ]
    started = time.perf_counter()
    dom = subprocess.run(command, capture_output=True, text=True, timeout=600, check=True).stdout
    opened = time.perf_counter() - started
    ran = "data-probe" in dom
    print(
        f"report.html of {count} flagged: {size / MB:.1f} MB, written in {wrote:.1f} s; "
        f"Chromium opened and filtered it in {opened:.1f} s (probe ran: {ran})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--flagged", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--plan", default="", help="mbox sizes for the plan alone")
    parser.add_argument(
        "--no-variants",
        action="store_true",
        help="skip the --compress and --full runs of the smallest size",
    )
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="scale-") as temp:
        work = Path(temp)
        for count in (int(n) for n in options.plan.split(",") if n):
            plan_run(count, work)
        sources = (
            sorted(p for p in HAM.iterdir() if p.is_file())
            if HAM.is_dir()
            else plain_corpus(work / "plain", 500)
        )
        print(f"{len(sources)} distinct ham messages ({'corpus' if HAM.is_dir() else 'generated'})")
        for count in (int(n) for n in options.sizes.split(",")):
            box = work / f"ham-{count}.mbox"
            write_mbox(box, count, sources)
            audit_run(box, work / "out", count, options.jobs)
            smallest = count == min(int(n) for n in options.sizes.split(","))
            if smallest and not options.no_variants:
                audit_run(box, work / "out", count, options.jobs, "--compress")
                audit_run(box, work / "out", count, options.jobs, "--full")
            box.unlink()
        if options.flagged:
            report_run(options.flagged, work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
