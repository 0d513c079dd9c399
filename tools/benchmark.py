"""mailcheck against baselines, measured side by side in one run, as ratios with targets.

    pip install '.[bench]'        # mail-parser and ms-ovba: the baselines and the fixtures
    python tools/benchmark.py [--quick] [--mbox-messages 100000]

Sections (each prints mailcheck's figure, the baseline's, the ratio and the target):

- start-up: `mailcheck --help` and `mailcheck scan --json` of one plain message, against
  `python -c "import email"` (medians of repeated whole-process runs);
- plain mail: `mailcheck scan --json` over the SpamAssassin easy-ham corpus (beside the
  clone in ../shared/corpus; a generated plain corpus otherwise), against the standard-library
  floor, a script that parses each file (policy.default), reads its main headers and the
  content of every part, and against the same with mail-parser (whole processes);
- Office documents: messages each carrying a distinct macro document, scanned in-process
  with the worker warmed and the result cache off, against a naive script doing mail-parser
  + olevba's VBA_Parser(...).analyze_macros() per attachment in one process;
- memory: peak RSS of the plain-mail run, and of mbox files of N/10 and N messages (flat).

Figures depend on the machine and on what else runs on it; run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROOT = Path(__file__).resolve().parents[1]
HAM = ROOT.parent / "shared" / "corpus" / "ham" / "spamassassin-easy-ham-1"
MB = 1024 * 1024

FLOOR_SCRIPT = textwrap.dedent(
    """
    import sys
    from email import policy
    from email.parser import BytesParser
    for name in sys.argv[1:]:
        with open(name, "rb") as handle:
            message = BytesParser(policy=policy.default).parsebytes(handle.read())
        for field in ("From", "To", "Cc", "Subject", "Date", "Message-ID"):
            message.get(field)
        for part in message.walk():
            if not part.is_multipart():
                try:
                    part.get_content()
                except Exception:
                    part.get_payload(decode=True)
    """
)
MAILPARSER_SCRIPT = textwrap.dedent(
    """
    import sys
    import mailparser
    for name in sys.argv[1:]:
        with open(name, "rb") as handle:
            mailparser.parse_from_bytes(handle.read())
    """
)


def naive_office(messages: list[bytes]) -> None:
    """The baseline: what a script built straight on mail-parser and olevba does."""
    import mailparser
    from oletools.olevba import VBA_Parser

    for data in messages:
        parsed = mailparser.parse_from_bytes(data)
        for attachment in parsed.attachments:
            payload = attachment["payload"]
            raw = base64.b64decode(payload) if attachment["binary"] else payload.encode()
            parser = VBA_Parser(attachment["filename"] or "attachment", data=raw)
            try:
                if parser.detect_vba_macros():
                    parser.analyze_macros()
            finally:
                parser.close()


# --- corpora ------------------------------------------------------------------------------------


def _message(subject: str, body: str, attachment: tuple[str, str, bytes] | None = None) -> bytes:
    head = (
        "From: Sender <sender@partner.example.jp>\r\nTo: user@corp.example.co.jp\r\n"
        f"Subject: {subject}\r\nDate: Tue, 01 Mar 2022 09:00:00 +0900\r\n"
        "Message-ID: <bench@partner.example.jp>\r\nMIME-Version: 1.0\r\n"
        "Received: from mail.partner.example.jp (mail.partner.example.jp [192.0.2.10])\r\n"
        "\tby mx.corp.example.co.jp (Postfix) with ESMTPS id 4ABC;\r\n"
        "\tTue, 1 Mar 2022 09:00:01 +0900 (JST)\r\n"
    )
    if attachment is None:
        return (head + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body).encode()
    name, ctype, data = attachment
    encoded = base64.encodebytes(data).decode().replace("\n", "\r\n")
    return (
        head + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        f"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
        f"--b\r\nContent-Type: {ctype}\r\nContent-Transfer-Encoding: base64\r\n"
        f'Content-Disposition: attachment; filename="{name}"\r\n\r\n{encoded}--b--\r\n'
    ).encode()


def plain_corpus(folder: Path, count: int) -> list[Path]:
    """The ham corpus when present; otherwise `count` generated plain replies."""
    if HAM.is_dir():
        return sorted(p for p in HAM.iterdir() if p.is_file())
    folder.mkdir(parents=True, exist_ok=True)
    quote = "".join(f"> line {n} of the earlier message\r\n" for n in range(15))
    paths = []
    for index in range(count):
        body = (
            f"Thanks, see below ({index}).\r\n\r\nOn Mon, 28 Feb 2022 at 18:00, Taro Yamada "
            f"<taro@partner.example.jp> wrote:\r\n{quote}"
        )
        path = folder / f"{index:05}.eml"
        path.write_bytes(_message(f"Re: weekly report {index}", body))
        paths.append(path)
    return paths


def office_corpus(count: int) -> list[bytes]:
    """`count` messages, each with a distinct macro document (docm or xlsm)."""
    from testkit.office import (
        DROPPER_MACRO,
        FORMATTING_MACRO,
        build_docm,
        build_vba_project,
        build_xlsm,
    )

    messages = []
    for index in range(count):
        code = (DROPPER_MACRO if index % 2 else FORMATTING_MACRO) + f"\n' revision {index}\n"
        if index % 3 == 2:
            document = build_xlsm(build_vba_project(host="excel", document_code=code))
            attachment = (f"book{index}.xlsm", "application/vnd.ms-excel", document)
        else:
            document = build_docm(build_vba_project(document_code=code))
            attachment = (f"invoice{index}.docm", "application/octet-stream", document)
        messages.append(_message(f"請求書 {index}", "資料をお送りします。\r\n", attachment))
    return messages


# --- measuring ----------------------------------------------------------------------------------


def mailcheck_command() -> list[str]:
    installed = shutil.which("mailcheck")
    return [installed] if installed else [sys.executable, "-m", "mailcheck"]


def run_process(args: list[str]) -> tuple[float, int]:
    """(seconds, peak RSS in bytes) of one whole process, its output discarded."""
    started = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, _status, usage = os.wait4(child.pid, 0)
    child.returncode = 0  # reaped by wait4
    return time.perf_counter() - started, usage.ru_maxrss * 1024


def median_time(args: list[str], runs: int) -> float:
    return statistics.median(run_process(args)[0] for _ in range(runs))


def best_time(function: Callable[[], None], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


class Table:
    def __init__(self) -> None:
        self.failed = 0
        print(f"{'measure':<46} {'mailcheck':>12} {'baseline':>12} {'ratio':>7}  target")

    def row(self, name: str, ours: str, base: str, ratio: float, target: str, ok: bool) -> None:
        self.failed += not ok
        mark = "ok" if ok else "MISSED"
        print(f"{name:<46} {ours:>12} {base:>12} {ratio:>7.2f}  {target} {mark}", flush=True)


# --- sections -----------------------------------------------------------------------------------


def startup(table: Table, runs: int) -> None:
    command = mailcheck_command()
    base = median_time([sys.executable, "-c", "import email"], runs)
    helped = median_time([*command, "--help"], runs)
    sample = str(ROOT / "samples" / "04-newsletter.en.eml")
    scanned = median_time([*command, "scan", "--json", sample], runs)
    table.row(
        "start-up: mailcheck --help / import email",
        f"{helped * 1000:.0f} ms",
        f"{base * 1000:.0f} ms",
        helped / base,
        "<= 5",
        helped / base <= 5,
    )
    table.row(
        "start-up: scan --json one plain .eml",
        f"{scanned * 1000:.0f} ms",
        f"{base * 1000:.0f} ms",
        scanned / base,
        "<= 10",
        scanned / base <= 10,
    )
    # The terminal report also loads rich (its renderer); shown for information.
    reported = median_time([*command, "scan", sample], runs)
    table.row(
        "start-up: scan one plain .eml, terminal report",
        f"{reported * 1000:.0f} ms",
        f"{base * 1000:.0f} ms",
        reported / base,
        "-",
        True,
    )


def plain_mail(table: Table, folder: Path, runs: int) -> None:
    files = plain_corpus(folder / "plain", 2500)
    names = [str(p) for p in files]
    source = "easy-ham" if HAM.is_dir() else "generated"
    floor_script = folder / "floor.py"
    floor_script.write_text(FLOOR_SCRIPT)
    floor = min(run_process([sys.executable, str(floor_script), *names])[0] for _ in range(runs))
    ours, peak = min(
        run_process([*mailcheck_command(), "scan", "--json", *names]) for _ in range(runs)
    )
    rate, floor_rate = len(files) / ours, len(files) / floor
    table.row(
        f"plain mail ({len(files)} {source}): msg/s vs stdlib",
        f"{rate:.0f}/s",
        f"{floor_rate:.0f}/s",
        rate / floor_rate,
        ">= 0.5",
        rate / floor_rate >= 0.5,
    )
    try:
        import mailparser  # noqa: F401
    except ImportError:
        print("  (mail-parser not installed: its baseline is skipped; pip install '.[bench]')")
    else:
        script = folder / "mailparser_floor.py"
        script.write_text(MAILPARSER_SCRIPT)
        parsed = min(run_process([sys.executable, str(script), *names])[0] for _ in range(runs))
        table.row(
            "plain mail: msg/s vs mail-parser (info)",
            f"{rate:.0f}/s",
            f"{len(files) / parsed:.0f}/s",
            parsed / ours,
            "-",
            True,
        )
    table.row(
        "memory: peak RSS, plain-mail run",
        f"{peak / MB:.0f} MB",
        "80 MB",
        peak / (80 * MB),
        "<= 1",
        peak <= 80 * MB,
    )


def office(table: Table, count: int, runs: int) -> None:
    try:
        messages = office_corpus(count)
    except ImportError:
        print("  (ms-ovba not installed: the Office section is skipped; pip install '.[bench]')")
        return
    from mailcheck.api import scan_bytes
    from mailcheck.engine import Engine

    naive = best_time(lambda: naive_office(messages), runs)
    with Engine(cache=False) as engine:
        scan_bytes(messages[0], engine=engine)  # start the worker before the clock

        def ours() -> None:
            for data in messages:
                scan_bytes(data, engine=engine)

        took = best_time(ours, runs)
    rate, base = count / took, count / naive
    table.row(
        f"Office ({count} distinct macro documents): msg/s",
        f"{rate:.1f}/s",
        f"{base:.1f}/s",
        rate / base,
        ">= 0.9",
        rate / base >= 0.9,
    )


def _write_mbox(path: Path, count: int) -> None:
    body = "Hello,\n\nthe minutes of today's meeting are below.\n\n" + "A line of notes.\n" * 12
    with path.open("wb") as handle:
        for index in range(count):
            handle.write(
                f"From sender{index}@example.com Tue Mar  1 09:00:00 2022\n"
                f"From: Sender {index} <sender{index}@example.com>\nTo: user@corp.example\n"
                f"Subject: minutes {index}\nMessage-ID: <{index}@example.com>\n\n{body}\n".encode()
            )


def mbox_memory(table: Table, folder: Path, count: int) -> None:
    small, large = folder / "small.mbox", folder / "large.mbox"
    for path, size in ((small, count // 10), (large, count)):
        subprocess.run([sys.executable, __file__, "--write-mbox", str(path), str(size)], check=True)
    command = [*mailcheck_command(), "scan", "--json"]
    _, small_peak = run_process([*command, str(small)])
    took, large_peak = run_process([*command, str(large)])
    table.row(
        f"memory: mbox of {count} vs {count // 10} messages",
        f"{large_peak / MB:.0f} MB",
        f"{small_peak / MB:.0f} MB",
        large_peak / small_peak,
        "<= 1.1",
        large_peak / small_peak <= 1.1,
    )
    print(f"  ({count} mbox messages scanned in {took:.0f} s, {count / took:.0f} msg/s)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs and messages")
    parser.add_argument("--office-messages", type=int, default=88)
    parser.add_argument("--mbox-messages", type=int, default=20_000)
    parser.add_argument("--write-mbox", nargs=2, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.write_mbox:
        _write_mbox(Path(options.write_mbox[0]), int(options.write_mbox[1]))
        return 0
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {mailcheck_command()[0]}")
    table = Table()
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        startup(table, 5 if options.quick else 11)
        plain_mail(table, folder, 1 if options.quick else 3)
        office(table, 24 if options.quick else options.office_messages, 1 if options.quick else 3)
        mbox_memory(table, folder, 2_000 if options.quick else options.mbox_messages)
    return 1 if table.failed else 0


if __name__ == "__main__":
    sys.exit(main())
