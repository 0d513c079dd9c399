"""Peak memory of `mailcheck scan` on one large message, against the documented bound.

    python tools/bench_memory.py [--mb 64 128] [--limits default forensic]

For each size a message carrying one base64 attachment of random bytes is written to a
temporary folder and scanned in a fresh process (`scan --json --limits PRESET`); the child's
peak resident set size is read from the kernel. The bound is 3 x the preset's input limit
+ 150 MB (issue: memory must be a small, documented multiple of the input bound); the
figure that matters more in practice is peak / message size.
"""

from __future__ import annotations

import argparse
import base64
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from mailcheck.limits import PRESETS

MB = 1024 * 1024


def write_message(path: Path, size: int) -> None:
    """A message of about `size` bytes: headers, a text part, one base64 attachment."""
    payload = os.urandom(size * 3 // 4)
    with path.open("wb") as handle:
        handle.write(
            b"From: a@example.com\r\nTo: b@example.org\r\nSubject: large\r\nMIME-Version: 1.0\r\n"
            b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n--B\r\n'
            b"Content-Type: text/plain\r\n\r\nSee the attachment.\r\n--B\r\n"
            b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
            b'Content-Disposition: attachment; filename="large.bin"\r\n\r\n'
        )
        handle.write(base64.encodebytes(payload).replace(b"\n", b"\r\n"))
        handle.write(b"--B--\r\n")


def peak_rss(args: list[str]) -> int:
    """Run a child and return its own peak resident set size in bytes.

    This process must stay small: a child's figure includes what it inherited at fork time,
    which is why the messages are written by a child of their own."""
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL)
    _pid, _status, usage = os.wait4(child.pid, 0)
    child.returncode = 0  # reaped by wait4: keep Popen from waiting again
    return usage.ru_maxrss * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--limits", nargs="+", default=["default"], choices=sorted(PRESETS))
    parser.add_argument("--write", nargs=2, metavar=("PATH", "BYTES"), help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.write:
        write_message(Path(options.write[0]), int(options.write[1]))
        return
    baseline = peak_rss([sys.executable, "-c", "import mailcheck.cli"])
    print(f"interpreter and imports: {baseline / MB:.0f} MB")
    print(f"{'preset':<10} {'message':>9} {'peak RSS':>9} {'peak/size':>9} {'bound':>9}  ok")
    with tempfile.TemporaryDirectory() as folder:
        for preset in options.limits:
            bound = 3 * PRESETS[preset].max_input_bytes + 150 * MB
            for size_mb in sorted(options.mb):
                path = Path(folder) / f"{size_mb}.eml"
                writer = [sys.executable, __file__, "--write", str(path), str(size_mb * MB)]
                subprocess.run(writer, check=True)
                command = [sys.executable, "-m", "mailcheck", "scan", "--json"]
                peak = peak_rss([*command, "--limits", preset, str(path)])
                ratio = peak / path.stat().st_size
                verdict = "yes" if peak <= bound else "NO"
                print(
                    f"{preset:<10} {size_mb:>6} MB {peak / MB:>6.0f} MB {ratio:>8.2f}x "
                    f"{bound / MB:>6.0f} MB  {verdict}"
                )
                path.unlink()


if __name__ == "__main__":
    main()
