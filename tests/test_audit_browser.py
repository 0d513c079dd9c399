"""report.html in a real browser: headless Chromium opens the page as a reader would (a
file:// URL), runs its script, and the DOM it ends with shows the counts and the messages,
with no script from a message having run. A screenshot proves the page is drawn."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from test_audit_html import EXPLANATION, JA_SUBJECT, sample_outline

from mailcheck.audit.html import render_html

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def _browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("chromium is not installed: apt-get install chromium")


def _run(tmp_path: Path, *args: str) -> str:
    command = [
        _browser(),
        "--headless",
        # Containers (and root, which Chromium refuses to sandbox) lack the namespaces the
        # sandbox needs; the page is our own file and its CSP blocks every fetch anyway.
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",  # a container's /dev/shm is often 64 MB
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        *args,
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    except subprocess.TimeoutExpired:
        # Headless Chromium waits forever on a dialog: an alert() from a message that ran.
        pytest.fail("chromium did not finish in 60 s: did a script open a dialog (alert)?")
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(render_html(sample_outline("ja")), encoding="utf-8")
    return path


def test_the_page_runs_its_script_and_no_message_script(report: Path, tmp_path: Path) -> None:
    # The fragment points at the second message: our script opens its findings.
    url = report.as_uri() + "#msg-2"
    dom = _run(tmp_path, "--virtual-time-budget=2000", "--dump-dom", url)
    html_tag = re.search(r"<html[^>]*>", dom)
    assert html_tag and 'data-ready="1"' in html_tag.group(0), "the page's script did not run"

    for name, count in [("total", 45), ("malicious", 2), ("suspicious", 3), ("clean", 40)]:
        assert re.search(rf'id="count-{name}">{count}<', dom), name
    assert JA_SUBJECT in dom
    assert EXPLANATION in dom

    # The hostile subject and name are text on the page, never elements or script.
    body_tag = re.search(r"<body[^>]*>", dom)
    assert body_tag and "data-pwned" not in body_tag.group(0)
    assert not re.search(r"<[a-z][^>]*\sdata-pwned", dom)
    title = re.search(r"<title>(.*?)</title>", dom, re.DOTALL)
    assert title and "pwned" not in title.group(1) and "メール監査レポート" in title.group(1)
    assert "&lt;script&gt;document.title='pwned'" in dom
    assert '<img src="x"' not in dom and "<svg" not in dom

    # Our script showed the filter controls and opened the message the URL points at.
    assert re.search(r'<div class="controls" id="controls">', dom)
    second = re.search(r'<tbody class="msg" id="msg-2".*?</tbody>', dom, re.DOTALL)
    assert second and "<details open" in second.group(0)


def test_the_page_is_drawn(report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    _run(tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", report.as_uri())
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    # A blank 1280x2000 page compresses to a few kilobytes; text, cards and bars do not.
    assert len(data) > 40_000, len(data)
    if os.environ.get("MAILCHECK_KEEP_SCREENSHOT"):  # to look at it by hand
        shutil.copy(shot, os.environ["MAILCHECK_KEEP_SCREENSHOT"])
