"""The organisation configuration file: parsing, errors, default locations and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, eml

from mailcheck.cli import EXIT_CLEAN, EXIT_ERROR, EXIT_SUSPICIOUS, main
from mailcheck.cli import settings as config_file
from mailcheck.cli.settings import ConfigError, default_locations, load_settings, parse_settings
from mailcheck.config import Config, Correspondent

VALID = """
[organisation]
internal_domains = [" Corp.Example.co.jp ", "corp.example.com."]
trusted_domains = ["partner.example.jp"]

[[correspondents]]
name = "  山田　 太郎 "
addresses = [
    "Yamada@Partner.example.jp", " t.yamada@partner.example.jp", "yamada@partner.example.jp",
]
"""


def load_config(path: Path | None, environ: dict[str, str]) -> Config:
    return load_settings(path, environ).config


def parse_config(text: str, source: str = "<config>") -> Config:
    return parse_settings(text, source).config


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_file_is_normalised(tmp_path: Path) -> None:
    config = load_config(write(tmp_path / "c.toml", VALID), {})
    assert config == Config(
        internal_domains=("corp.example.co.jp", "corp.example.com"),
        trusted_domains=("partner.example.jp",),
        known_correspondents=(
            Correspondent(
                name="山田 太郎",
                addresses=("yamada@partner.example.jp", "t.yamada@partner.example.jp"),
            ),
        ),
    )


def test_empty_file_and_idn_domains() -> None:
    assert parse_config("") == Config()
    config = parse_config('[organisation]\ninternal_domains = ["例え.jp"]')
    assert config.internal_domains == ("xn--r8jz45g.jp",)


def test_the_example_configuration_loads() -> None:
    config = load_config(ROOT / "examples" / "mailcheck.toml", {})
    assert config.internal_domains and config.trusted_domains and config.known_correspondents


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[organisation\n", "c.toml:1:14: invalid TOML"),
        ('x = 1\ny = "unterminated\n', "c.toml:2:18: invalid TOML: Illegal character"),
        ("organisation = 3", "organisation must be a table"),
        ('[organisation]\ninternal_domains = "corp.example"', "internal_domains must be a list"),
        ("[organisation]\ntrusted_domains = [1]", "trusted_domains must be a list of strings"),
        (
            '[organisation]\ninternal_domain = ["a.example"]',
            "unknown key organisation.internal_domain",
        ),
        ("[other]\n", "unknown key other"),
        (
            '[organisation]\ninternal_domains = ["corp"]',
            "internal_domains[0]: 'corp' is not a domain",
        ),
        (
            '[organisation]\ninternal_domains = ["ok.example", "bad_.example"]',
            "internal_domains[1]: 'bad_.example' is not a domain",
        ),
        ('correspondents = "x"', "correspondents must be an array of tables"),
        ('[[correspondents]]\naddresses = ["a@b.example"]', "correspondents[0].name must be"),
        ('[[correspondents]]\nname = " "\naddresses = ["a@b.example"]', "name must be a non-empty"),
        ('[[correspondents]]\nname = "Support"\naddresses = ["a@b.example"]', "names a role"),
        ('[[correspondents]]\nname = "山"\naddresses = ["a@b.example"]', "is too short"),
        ('[[correspondents]]\nname = "Ann Lee"\naddresses = []', "must list at least one address"),
        (
            '[[correspondents]]\nname = "Ann Lee"\naddresses = "a@b.example"',
            "must be a list of strings",
        ),
        (
            '[[correspondents]]\nname = "Ann Lee"\naddresses = ["a b@c.example"]',
            "correspondents[0].addresses[0]: 'a b@c.example' is not a mail address",
        ),
        ('[[correspondents]]\nname = "Ann Lee"\naddresses = ["nobody"]', "is not a mail address"),
        ('[[correspondents]]\nname = "Ann Lee"\naddresses = ["a@localhost"]', "is not a domain"),
        (
            '[[correspondents]]\nname = "Ann Lee"\nemail = ["a@b.example"]',
            "unknown key correspondents[0]",
        ),
    ],
)
def test_errors_are_one_line_and_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path / "c.toml", text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, {})
    assert message in str(caught.value)
    assert str(caught.value).startswith(str(path))
    assert "\n" not in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_a_named_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "missing.toml", {})
    with pytest.raises(ConfigError, match="is a directory"):
        load_config(tmp_path, {})
    with pytest.raises(ConfigError, match="no such file"):
        load_config(None, {"MAILCHECK_CONFIG": str(tmp_path / "missing.toml")})


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_bytes(b'[[correspondents]]\nname = "\x8eR\x93c"\n')
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(path, {})


def marker(domain: str) -> str:
    return f'[organisation]\ninternal_domains = ["{domain}"]\n'


@pytest.fixture
def places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A fake home, XDG directory, system path and explicit file, each naming itself."""
    system = tmp_path / "etc" / "mailcheck" / "config.toml"
    monkeypatch.setattr(config_file, "SYSTEM_PATH", system)
    return {
        "home": tmp_path / "home",
        "xdg": tmp_path / "xdg",
        "system": system,
        "env": tmp_path / "env.toml",
        "home_file": tmp_path / "home" / ".config" / "mailcheck" / "config.toml",
        "xdg_file": tmp_path / "xdg" / "mailcheck" / "config.toml",
    }


def domain_from(environ: dict[str, str]) -> tuple[str, ...]:
    return load_config(None, environ).internal_domains


def test_default_location_precedence(places: dict[str, Path]) -> None:
    environ = {
        "HOME": str(places["home"]),
        "XDG_CONFIG_HOME": str(places["xdg"]),
        "MAILCHECK_CONFIG": str(places["env"]),
    }
    environ_no_env = {k: v for k, v in environ.items() if k != "MAILCHECK_CONFIG"}
    assert domain_from(environ_no_env) == ()  # nothing exists: defaults
    write(places["system"], marker("system.example"))
    assert domain_from(environ_no_env) == ("system.example",)
    write(places["home_file"], marker("home.example"))
    # XDG_CONFIG_HOME replaces ~/.config rather than adding to it.
    assert domain_from(environ_no_env) == ("system.example",)
    assert domain_from({"HOME": str(places["home"])}) == ("home.example",)
    write(places["xdg_file"], marker("xdg.example"))
    assert domain_from(environ_no_env) == ("xdg.example",)
    write(places["env"], marker("env.example"))
    assert domain_from(environ) == ("env.example",)
    # An explicit path beats everything.
    explicit = write(places["home"] / "explicit.toml", marker("explicit.example"))
    assert load_config(explicit, environ).internal_domains == ("explicit.example",)


def test_relative_xdg_config_home_is_ignored(places: dict[str, Path]) -> None:
    write(places["home_file"], marker("home.example"))
    environ = {"HOME": str(places["home"]), "XDG_CONFIG_HOME": "relative/dir"}
    assert default_locations(environ)[0] == places["home_file"]
    assert domain_from(environ) == ("home.example",)


def test_empty_variables_are_unset(places: dict[str, Path]) -> None:
    assert default_locations({"MAILCHECK_CONFIG": "", "XDG_CONFIG_HOME": ""}) == (places["system"],)
    assert load_config(None, {"MAILCHECK_CONFIG": ""}) == Config()


# The CLI: a message that copies a known correspondent's name, with no quoted thread and no
# other recipient by that name, is only recognised when the configuration knows the person.
IMPERSONATION = eml(
    "From: =?utf-8?b?5bGx55SwIOWkqumDjg==?= <ohno.k@hacked-shop.example>",  # 山田 太郎
    "To: sato@corp.example.co.jp",
    "Subject: invoice",
)
KNOWN = '[[correspondents]]\nname = "山田 太郎"\naddresses = ["yamada@partner.example.jp"]\n'


def run(args: list[str], tmp_path: Path, **env: str) -> tuple[int, str, str]:
    # A clean environment: the developer's own ~/.config or $MAILCHECK_CONFIG must not leak in.
    environ = {"HOME": str(tmp_path / "nohome"), "XDG_CONFIG_HOME": "", "MAILCHECK_CONFIG": ""}
    result = CliRunner().invoke(main, args, input=IMPERSONATION, env={**environ, **env})
    return result.exit_code, result.stdout, result.stderr


def ids(out: str) -> set[str]:
    return {f["id"] for f in json.loads(out)["findings"]}


def test_cli_config_changes_the_result(tmp_path: Path) -> None:
    code, out, _ = run(["scan", "--json", "-"], tmp_path)
    assert code == EXIT_CLEAN and "sender.impersonates_known_correspondent" not in ids(out)
    config = write(tmp_path / "known.toml", KNOWN)
    code, out, _ = run(["scan", "--json", "--config", str(config), "-"], tmp_path)
    assert code == EXIT_SUSPICIOUS and "sender.impersonates_known_correspondent" in ids(out)


def test_cli_uses_the_default_location(tmp_path: Path) -> None:
    write(tmp_path / "xdg" / "mailcheck" / "config.toml", KNOWN)
    code, out, _ = run(["scan", "--json", "-"], tmp_path, XDG_CONFIG_HOME=str(tmp_path / "xdg"))
    assert code == EXIT_SUSPICIOUS and "sender.impersonates_known_correspondent" in ids(out)
    env_file = write(tmp_path / "env.toml", KNOWN)
    code, _, _ = run(["scan", "--json", "-"], tmp_path, MAILCHECK_CONFIG=str(env_file))
    assert code == EXIT_SUSPICIOUS


@pytest.mark.parametrize("text", [None, "[organisation\n", '[organisation]\nbad = ["x"]\n'])
def test_cli_bad_configuration_stops_before_scanning(tmp_path: Path, text: str | None) -> None:
    path = tmp_path / "bad.toml"
    if text is not None:
        write(path, text)
    code, out, err = run(["scan", "--json", "--config", str(path), "-"], tmp_path)
    assert code == EXIT_ERROR
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and str(path) in err


def test_the_gateway_policy_is_read_and_checked() -> None:
    from mailcheck.gateway.policy import DEFAULT_POLICY

    assert parse_settings("").gateway == DEFAULT_POLICY
    assert DEFAULT_POLICY.action("failed") == "tempfail"  # fail closed by default
    loaded = parse_settings('[gateway]\nmalicious = "reject"\nsubject_prefix = " [要注意] "\n')
    assert loaded.gateway.malicious == "reject" and loaded.gateway.suspicious == "tag"
    assert loaded.gateway.subject_prefix == "[要注意]"
    example = load_settings(ROOT / "examples" / "mailcheck.toml", {})
    assert example.gateway.action("malicious") == "quarantine"
    for text, message in (
        ('[gateway]\nmalicious = "drop"', "gateway.malicious: 'drop' is not one of accept"),
        ('[gateway]\nclean_action = "accept"', "unknown key gateway.clean_action"),
        ('[gateway]\nsubject_prefix = "a\\nb"', "gateway.subject_prefix must be one short line"),
        ("gateway = 1", "gateway must be a table"),
    ):
        with pytest.raises(ConfigError) as caught:
            parse_config(text, "c.toml")
        assert message in str(caught.value)
