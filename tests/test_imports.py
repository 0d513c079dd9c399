"""What starting mailcheck costs: which libraries a command loads.

Start-up is all imports, so each heavy library is loaded only where its input appears:
extract-msg for .msg files, oletools only inside the isolated worker, archive libraries
for their archives. Checked in a fresh interpreter (this one has loaded everything).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import ROOT

HEAVY = (
    "extract_msg",
    "oletools",
    "pcodedmp",
    "py7zr",
    "pycdlib",
    "pyzipper",
    "msoffcrypto",
    "tnefparse",
    "LnkParse3",
    "mailparser",
    "olefile",
    "pypdf",
)


def loaded_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nimport json\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, check=True, timeout=120, cwd=ROOT
    )
    return {name.split(".")[0] for name in json.loads(done.stdout.splitlines()[-1])}


def test_importing_the_command_line_loads_no_heavy_library() -> None:
    loaded = loaded_after("import mailcheck.cli")
    assert loaded.isdisjoint(HEAVY), loaded & set(HEAVY)
    assert "rich" not in loaded  # the terminal renderer comes with the first report


def test_scanning_plain_mail_loads_no_heavy_library() -> None:
    code = (
        "from mailcheck.api import scan_bytes\n"
        "scan_bytes(b'From: a@example.com\\r\\nSubject: hi\\r\\nContent-Type: text/plain"
        "\\r\\n\\r\\nhello, see you\\r\\n')"
    )
    loaded = loaded_after(code)
    assert loaded.isdisjoint(HEAVY), loaded & set(HEAVY)
    assert "multiprocessing" not in loaded  # no worker without an Office attachment


@pytest.mark.parametrize("body", ["text/plain", "text/html"])
def test_a_message_body_loads_no_attachment_analyzer(body: str) -> None:
    # Analyzers of attachment kinds that a body shares (text, HTML) are loaded by the first
    # such attachment, not by every message's own text.
    code = (
        "from mailcheck.api import scan_bytes\n"
        f"scan_bytes(b'From: a@example.com\\r\\nSubject: hi\\r\\nContent-Type: {body}"
        "\\r\\n\\r\\n<html><body><p>hello, see you</p></body></html>\\r\\n')\n"
        "import sys\n"
        "print([m for m in sys.modules if m.startswith('mailcheck.')])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, check=True, timeout=120, cwd=ROOT
    )
    modules = set(json.loads(done.stdout.decode().strip().replace("'", '"')))
    deferred = {
        "mailcheck.analyzers.smuggling",
        "mailcheck.pages",
        "mailcheck.analyzers.shortcut_files",
        "mailcheck.analyzers.shortcut",
        "mailcheck.analyzers.onenote",
        "mailcheck.analyzers.office.analyzer",
        # Nor is an HTML body opened as a page, or the body searched for archive passwords.
        "mailcheck.containers.html_blob",
        "mailcheck.containers.passwords",
        "mailcheck.containers.pdf",
    }
    assert modules.isdisjoint(deferred), modules & deferred


def test_a_pdf_attachment_is_read_in_the_worker_only() -> None:
    # The scanning process hands the document to the isolated worker: pypdf loads there.
    code = (
        "import base64\n"
        "from mailcheck.api import scan_bytes\n"
        "from testkit.pdf import build_pdf\n"
        "pdf = build_pdf(text='Invoice', attachments=[('a.txt', b'x')])\n"
        "pdf = base64.encodebytes(pdf).decode()\n"
        "import sys; [sys.modules.pop(m) for m in list(sys.modules) if m.startswith('pypdf')]\n"
        "mail = ('From: a@example.com\\r\\nContent-Type: application/pdf\\r\\n'\n"
        "        'Content-Transfer-Encoding: base64\\r\\n\\r\\n' + pdf)\n"
        "result = scan_bytes(mail.encode())\n"
        "assert result.attachments[0].children, result.attachments\n"
    )
    assert "pypdf" not in loaded_after(code)


def test_the_office_worker_entry_point_is_light() -> None:
    # The scanning process pickles the entry point by name; oletools loads in the worker.
    loaded = loaded_after("from mailcheck.analyzers.office import run_in_worker")
    assert "oletools" not in loaded


def test_the_limits_choices_name_every_preset() -> None:
    from mailcheck.cli import PRESET_NAMES
    from mailcheck.limits import PRESETS

    assert sorted(PRESET_NAMES) == sorted(PRESETS)
