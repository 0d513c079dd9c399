"""The hostile-input folder (tools/hostile_corpus.py) scanned as an operator would scan it."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

from testkit import hostile as hostile_corpus


def test_every_hostile_input_comes_out_as_expected_without_a_traceback(tmp_path: Path) -> None:
    folder = tmp_path / "hostile"
    written = hostile_corpus.write(folder)
    done = subprocess.run(
        [sys.executable, "-m", "mailcheck", "scan", "--json", str(folder)],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
        check=False,
    )
    assert b"Traceback" not in done.stderr
    assert done.returncode == 4  # malicious mail in the folder; nothing else went wrong
    records = [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]
    by_name: dict[str, dict[str, object]] = {}
    for record in records:
        source = record["source"]
        raw = base64.b64decode(source["path_bytes"]) if "path_bytes" in source else None
        path = os.fsdecode(raw) if raw is not None else source["path"]
        by_name[os.path.basename(path)] = record
    # Every file was scanned (the FIFO was passed over), each as badly as it deserves; a
    # file that begins as mail but cannot be read is an error line, not a silent gap.
    errors = {
        name for name, verdicts in hostile_corpus.EXPECTED.items() if verdicts == ("error",)
    }
    assert sorted(by_name) == sorted(p.name for p in written if p.name not in errors)
    for name, verdicts in hostile_corpus.EXPECTED.items():
        if name in errors:
            assert f"{name}: starts like a mail message".encode() in done.stderr, name
        else:
            assert by_name[name]["verdict"] in verdicts, name
