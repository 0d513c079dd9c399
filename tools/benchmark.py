"""Throughput and per-stage time of scan_bytes on a generated mixed corpus.

    python tools/benchmark.py [--messages 200] [--repeat-attachments 0.5]

Prints messages/s, latency percentiles and mean per-stage time, with the sha256 result
cache on and off. Attachments repeat across messages the way one campaign's file reaches
many mailboxes (`--repeat-attachments` is the share of messages that reuse a file).
This is a benchmark, not a test: figures depend on the machine.
"""

from __future__ import annotations

import argparse
import base64
import io
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pyzipper

from mailcheck.api import scan_bytes
from mailcheck.engine import Engine
from tools.office_fixtures import (
    DROPPER_MACRO,
    FORMATTING_MACRO,
    build_docm,
    build_vba_project,
    build_xlsm,
)


def _message(subject: str, body: str, attachment: tuple[str, str, bytes] | None) -> bytes:
    head = (
        "From: Sender <sender@partner.example.jp>\r\nTo: user@corp.example.co.jp\r\n"
        f"Subject: {subject}\r\nDate: Tue, 01 Mar 2022 09:00:00 +0900\r\n"
        "Message-ID: <bench@partner.example.jp>\r\nMIME-Version: 1.0\r\n"
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


def _aes_zip(password: str, name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with pyzipper.AESZipFile(buffer, "w", encryption=pyzipper.WZ_AES) as archive:
        archive.setpassword(password.encode())
        archive.writestr(name, data)
    return buffer.getvalue()


def corpus(count: int, repeat: float, seed: int = 7) -> list[bytes]:
    """A deterministic mix: plain mail, benign and malicious Office files, password zips."""
    rng = random.Random(seed)
    dropper = build_docm(build_vba_project(document_code=DROPPER_MACRO))
    formatting = build_xlsm(build_vba_project(host="excel", document_code=FORMATTING_MACRO))
    body_ja = "お世話になっております。資料をお送りします。\r\n" * 20

    def unique(data: bytes, i: int) -> bytes:
        # A distinct sha256 per message unless this one reuses the campaign's file.
        return data if rng.random() < repeat else data + f"\n{i}".encode()

    makers: list[Callable[[int], bytes]] = [
        lambda i: _message("定例会議", body_ja, None),
        lambda i: _message("Minutes", "Notes from today's meeting.\r\n" * 30, None),
        lambda i: _message(
            "月次報告", body_ja, ("report.xlsm", "application/vnd.ms-excel", unique(formatting, i))
        ),
        lambda i: _message(
            "請求書", body_ja, ("invoice.docm", "application/octet-stream", unique(dropper, i))
        ),
        lambda i: _message(
            "Invoice",
            "Please find the invoice attached.\r\nPassword: Inv2022\r\n",
            (
                "invoice.zip",
                "application/zip",
                _aes_zip("Inv2022", "invoice.docm", unique(dropper, i)),
            ),
        ),
        lambda i: _message(
            "見積書",
            "パスワードは別途お送りします。\r\n",
            (
                "mitsumori.zip",
                "application/zip",
                _aes_zip("S3cret!", "見積書.xlsm", unique(formatting, i)),
            ),
        ),
    ]
    return [makers[i % len(makers)](i) for i in range(count)]


def run(messages: list[bytes], cache: bool) -> dict[str, float]:
    latencies: list[float] = []
    stages: dict[str, list[float]] = {}
    with Engine(cache=cache) as engine:
        scan_bytes(messages[0], engine=engine)  # start the worker outside the measurement
        started = time.perf_counter()
        for data in messages:
            t0 = time.perf_counter()
            result = scan_bytes(data, engine=engine)
            latencies.append(time.perf_counter() - t0)
            for name, ms in result.timings_ms:
                stages.setdefault(name, []).append(ms)
        elapsed = time.perf_counter() - started
    latencies.sort()
    figures = {
        "messages_per_s": len(messages) / elapsed,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p95_ms": latencies[int(len(latencies) * 0.95)] * 1000,
        "max_ms": latencies[-1] * 1000,
    }
    for name, values in stages.items():
        figures[f"mean_{name}_ms"] = statistics.fmean(values)
    return figures


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--repeat-attachments", type=float, default=0.5)
    args = parser.parse_args(argv)
    messages = corpus(args.messages, args.repeat_attachments)
    size = sum(len(m) for m in messages)
    print(
        f"corpus: {len(messages)} messages, {size / 1e6:.1f} MB, "
        f"{args.repeat_attachments:.0%} of attachments repeated"
    )
    for cache in (True, False):
        figures = run(messages, cache)
        print(f"\nsha256 cache {'on' if cache else 'off'}:")
        for name, value in figures.items():
            print(f"  {name:22} {value:10.1f}")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS of this process: {peak_mib:.0f} MiB (the worker process not included)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
