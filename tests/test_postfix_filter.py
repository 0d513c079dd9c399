"""`mailcheck filter` as Postfix runs it: a pipe(8) transport with flags=F.

pipe(8) with flags=F hands the filter the message with an mbox `From sender date` line
first, as procmail and maildrop do. The filtered message must keep that line first (a
mailbox reads it as where the message starts) with the X-Mailcheck-* headers after it.
"""

from __future__ import annotations

import os
import pwd
import shlex
import shutil
import stat
import sys
import sysconfig
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT
from nul_shapes import exe_message

from testkit.postfix import DEFAULT_MAILBOXES, DOMAIN, PrivatePostfix, make_traversable
from testkit.postfix import postfix_available as _postfix_available

_UNAVAILABLE = _postfix_available()
if _UNAVAILABLE is not None:
    pytest.skip(f"Postfix cannot run here: {_UNAVAILABLE}", allow_module_level=True)

FILTERED = f"filtered@{DOMAIN}"


def _others_may_run(program: Path) -> bool:
    """Whether a user other than the owner (pipe(8) runs commands as `nobody`) can run it:
    every folder above searchable and the file executable by others."""
    real = program.resolve()
    folders_ok = all(folder.stat().st_mode & stat.S_IXOTH for folder in real.parents)
    return folders_ok and bool(real.stat().st_mode & stat.S_IXOTH)


def _interpreter() -> tuple[Path, list[str]]:
    """A Python that `nobody` can run, and the import path it needs for this checkout:
    this one, or else the system's of the same version with this one's packages (a
    virtualenv built from an interpreter under /root cannot be run by anyone else)."""
    packages = list(dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib")))
    if _others_may_run(Path(sys.executable)):
        return Path(sys.executable), [str(ROOT)]
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    found = shutil.which(version, path="/usr/bin:/usr/local/bin:/bin")
    if found is None or not _others_may_run(Path(found)):
        pytest.skip(f"no {version} that the nobody user may run (pipe(8) runs filters as it)")
    hidden = [
        p for p in packages if not all(f.stat().st_mode & stat.S_IXOTH for f in Path(p).parents)
    ]
    if hidden:
        pytest.skip(f"the nobody user cannot read this environment's packages in {hidden[0]}")
    return Path(found), [str(ROOT), *packages]


def _wrapper(folder: Path, out: Path) -> Path:
    """What pipe(8) runs: the filter, in this checkout, writing one file per queue id."""
    python, path = _interpreter()
    script = folder / "deliver.sh"
    target = shlex.quote(str(out))
    script.write_text(
        "#!/bin/sh\n"
        f"PYTHONPATH={shlex.quote(os.pathsep.join(path))}; export PYTHONPATH\n"
        f"exec {shlex.quote(str(python))} -m mailcheck filter --sysexits "
        f'> {target}/"$1".eml 2> {target}/"$1".err\n',
        encoding="utf-8",
    )
    script.chmod(0o755)
    return script


@pytest.fixture(scope="module")
def piped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PrivatePostfix, Path]]:
    folder = tmp_path_factory.mktemp("pipe")
    out = folder / "filtered"
    out.mkdir()
    nobody = pwd.getpwnam("nobody")
    os.chown(out, nobody.pw_uid, nobody.pw_gid)
    script = _wrapper(folder, out)
    make_traversable(folder)
    postfix = PrivatePostfix(
        folder / "postfix",
        mailboxes=(*DEFAULT_MAILBOXES, "filtered"),
        extra_main_cf={"transport_maps": f"inline:{{ {FILTERED}=mailcheck-filter: }}"},
        extra_master_cf=[
            f"mailcheck-filter unix - n n - 2 pipe flags=F user=nobody argv={script} ${{queue_id}}"
        ],
    )
    with postfix:
        yield postfix, out


def _filtered(postfix: PrivatePostfix, out: Path, queue_id: str, timeout: float = 120) -> bytes:
    path = out / f"{queue_id}.eml"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        delivery = _delivery_lines(postfix, queue_id)
        if "status=sent" in delivery and path.exists():
            return path.read_bytes()
        if "status=bounced" in delivery or "status=deferred" in delivery:
            break
        time.sleep(0.2)
    errors = out / f"{queue_id}.err"
    detail = errors.read_text(errors="replace") if errors.exists() else "no output"
    raise AssertionError(f"{queue_id} not filtered: {detail}\n{postfix.log()[-3000:]}")


def _delivery_lines(postfix: PrivatePostfix, queue_id: str) -> str:
    return "\n".join(line for line in postfix.log().splitlines() if f"{queue_id}: to=" in line)


def test_the_envelope_line_stays_first_with_the_headers_after_it(
    piped: tuple[PrivatePostfix, Path],
) -> None:
    postfix, out = piped
    sent = postfix.send(exe_message(subject=b"Subject: invoice 0301"), recipients=[FILTERED])
    assert sent.accepted and sent.queue_id, sent
    message = _filtered(postfix, out, sent.queue_id)
    lines = message.split(b"\n")
    assert lines[0].startswith(f"From a@{DOMAIN} ".encode()), lines[0]
    assert lines[1] == b"X-Mailcheck-Verdict: malicious"
    header_block = message.partition(b"\n\n")[0]
    assert header_block.count(b"\nFrom ") == 0  # the envelope is not among the headers
    assert b"X-Mailcheck-Reasons: attachment.executable" in header_block
    assert b"\nSubject: invoice 0301\n" in header_block
