"""Benchmark of `mailcheck audit` over IMAP: the same messages audited as files and from a
private Dovecot on loopback (imaps://, TLS verified against a test CA), whole processes
timed, start-up, listing and reports included. Target: IMAP >= 0.5x the files' speed.

    python tools/bench_imap.py [--messages 2500] [--jobs N] [--connections N] [--folder DIR]

The messages are the shared easy-ham corpus (../shared/corpus/ham/spamassassin-easy-ham-1)
or any folder of message files (--folder), cycled to --messages. Needs dovecot-imapd (see
testkit/dovecot.py); run as root, the server runs as nobody.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from testkit.dovecot import PrivateDovecot, dovecot_available  # noqa: E402
from tools.benchmark import HAM  # noqa: E402


def _audit(out: Path, *args: str, env: dict[str, str], expect: int) -> float:
    command = [sys.executable, "-m", "mailcheck", "audit", "--out", str(out), *args]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1, 4):
        raise SystemExit(f"audit failed ({done.returncode}): {done.stderr[-2000:]}")
    with (out / "results.jsonl").open("rb") as handle:
        found = sum(1 for _ in handle)
    if found != expect:
        raise SystemExit(f"{out.name}: {found} results for {expect} messages")
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2500)
    parser.add_argument("--jobs", type=int, default=0, help="default: all cores")
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--folder", type=Path, default=HAM)
    args = parser.parse_args(argv)
    reason = dovecot_available()
    if reason is not None:
        print(f"cannot run: {reason}", file=sys.stderr)
        return 2
    if not args.folder.is_dir():
        print(f"cannot run: no folder of messages at {args.folder}", file=sys.stderr)
        return 2
    sources = sorted(p for p in args.folder.iterdir() if p.is_file())
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    with tempfile.TemporaryDirectory(prefix="mailcheck-bench-imap-") as temporary:
        root = Path(temporary)
        files = root / "files"
        files.mkdir()
        with PrivateDovecot(root / "dovecot", {"bench": "bench password"}) as server:
            for n in range(args.messages):
                # An mbox "From " line is the envelope, not the message.
                data = re.sub(rb"\AFrom [^\n]*\n", b"", sources[n % len(sources)].read_bytes())
                (files / f"{n:05d}.eml").write_bytes(data)
                server.deliver("bench", data)
            env = {
                **os.environ,
                "PYTHONPATH": str(ROOT),
                "MAILCHECK_IMAP_PASSWORD": "bench password",
            }
            url = f"imaps://bench@127.0.0.1:{server.imaps_port}/INBOX"
            as_files = _audit(root / "out-files", *jobs, str(files), env=env, expect=args.messages)
            over_imap = _audit(
                root / "out-imap",
                *jobs,
                "--cafile",
                str(server.ca),
                "--connections",
                str(args.connections),
                url,
                env=env,
                expect=args.messages,
            )
    files_rate, imap_rate = args.messages / as_files, args.messages / over_imap
    print(f"messages: {args.messages}")
    print(f"files: {as_files:.1f} s, {files_rate:.0f} msg/s")
    print(f"imap:  {over_imap:.1f} s, {imap_rate:.0f} msg/s")
    print(f"imap / files: {imap_rate / files_rate:.2f} (target >= 0.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
