"""Every install hint installs this project, never the other projects named "mailcheck".

On the package index, "mailcheck" and "mailcheck-dev" are other people's projects: a hint
such as `pip install 'mailcheck[milter]'` would fetch one of them. Hints install from the
clone (`pip install '.[milter]'`) or by this project's distribution name.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TAKEN = {"mailcheck", "mailcheck-dev"}
# Options of `pip install` whose next word is their value, not a requirement.
_VALUED = {"-r", "--requirement", "-c", "--constraint", "-i", "--index-url",
           "--extra-index-url", "-t", "--target", "--prefix", "-f", "--find-links"}
_COMMAND = re.compile(r"\bpip3?\s+install\b([^\n`;&|)#]*)")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_names(text: str) -> list[str]:
    """The distribution names the `pip install` commands in `text` would fetch by name."""
    names: list[str] = []
    for command in _COMMAND.finditer(text):
        words = command.group(1).split()
        skip = False
        first = True
        for word in words:
            if skip:
                skip = False
                continue
            if word.startswith("-"):
                skip = word in _VALUED
                continue
            quoted = word[:1] in "'\""
            bare = word.strip("'\"")
            # After the first requirement, only quoted or bracketed words are requirements:
            # "pip install '.[milter]' in the mailcheck clone" names no second project.
            if not first and not (quoted or "[" in bare):
                break
            first = False
            match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", bare)
            if match and not bare.startswith((".", "/")):
                names.append(_normal(match.group(0)))
    return names


def _texts() -> list[Path]:
    files = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", ROOT / "pyproject.toml",
             ROOT / ".ci" / "run"]
    files += sorted((ROOT / "docs").rglob("*.md"))
    for folder, pattern in (("mailcheck", "*"), ("examples", "*"), ("tools", "*.py"),
                            ("testkit", "*.py")):
        files += sorted(p for p in (ROOT / folder).rglob(pattern) if p.is_file())
    return [p for p in files if p.exists() and p.suffix not in (".pyc",)]


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("pip install 'mailcheck[milter]'", ["mailcheck"]),
        ("run `pip install mailcheck-dev` first", ["mailcheck-dev"]),
        ('python -m pip install --quiet "Mail_Check[dask]"', ["mail-check"]),
        ("pip install -r reqs.txt 'mailcheck[test]'", ["mailcheck"]),
        ("needs pymilter: pip install '.[milter]' in the mailcheck clone", []),
        ('python -m pip install --quiet ".[$extras]"', []),
        ("pip install -e '.[test,milter]'", []),
        ("pip install mailcheck-inspect", ["mailcheck-inspect"]),
    ],
)
def test_the_names_a_hint_installs(text: str, names: list[str]) -> None:
    assert installed_names(text) == names


def test_no_install_hint_fetches_another_project() -> None:
    offenders = []
    for path in _texts():
        text = path.read_text(encoding="utf-8", errors="replace")
        for name in installed_names(text):
            if name in TAKEN:
                offenders.append(f"{path.relative_to(ROOT)}: pip install {name}")
    assert offenders == []


def test_the_distribution_name_is_not_one_taken_on_the_index() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert _normal(project["name"]) not in TAKEN
    assert project["scripts"]["mailcheck"] == "mailcheck.cli:run"
