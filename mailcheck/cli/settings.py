"""The settings file (TOML): the organisation's `Config` every scan gets, and the gateway policy.

Pure: the environment is an argument and nothing is cached, so a daemon or a test can load
any file under any environment. Every problem is one `ConfigError` line naming the file,
and where it can, the key or the line and column.

    [organisation]
    internal_domains = ["corp.example.co.jp"]
    trusted_domains = ["partner.example.jp"]
    authserv_ids = ["mx.corp.example.co.jp"]
    arc_sealers = ["google.com", "microsoft.com"]

    [[correspondents]]
    name = "山田 太郎"
    addresses = ["yamada@partner.example.jp"]
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path

from ..config import Config, Correspondent
from ..gateway.policy import ACTIONS, DEFAULT_POLICY, OUTCOMES, Action, GatewayPolicy
from ..people.identity import name_keys
from ..records import record

__all__ = [
    "ENV_VAR",
    "ConfigError",
    "Settings",
    "default_locations",
    "load_settings",
    "parse_settings",
]

ENV_VAR = "MAILCHECK_CONFIG"
SYSTEM_PATH = Path("/etc/mailcheck/config.toml")
MAX_BYTES = 4 * 1024 * 1024  # a configuration, not a data set

_DOMAIN_KEYS = ("internal_domains", "trusted_domains")
_ORGANISATION_KEYS = (*_DOMAIN_KEYS, "authserv_ids", "arc_sealers")
_CORRESPONDENT_KEYS = ("name", "addresses")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# Local parts as mailers really write them (RFC 5321 dot-atoms); quoted ones are not supported.
_LOCAL = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_TOML_WHERE = re.compile(r"^(?P<msg>.*?) \(at line (?P<line>\d+), column (?P<col>\d+)\)$")


class ConfigError(ValueError):
    """A configuration that cannot be used: `source` (file, and line:column when known) and a
    one-line `reason`; `str()` is both, fit for a user."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


def default_locations(environ: Mapping[str, str]) -> tuple[Path, ...]:
    """Where a configuration is looked for when none is named, in order.

    `$MAILCHECK_CONFIG` is not among them: when set it names the file (see `load_config`).
    """
    out: list[Path] = []
    xdg = environ.get("XDG_CONFIG_HOME", "")
    home = environ.get("HOME", "")
    # The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
    if xdg and Path(xdg).is_absolute():
        out.append(Path(xdg) / "mailcheck" / "config.toml")
    elif home:
        out.append(Path(home) / ".config" / "mailcheck" / "config.toml")
    out.append(SYSTEM_PATH)
    return tuple(out)


@record
class Settings:
    """A settings file read: what every scan gets (`config`) and what only the mail
    gateway applies to its verdicts (`gateway`, the [gateway] table)."""

    config: Config = Config()
    gateway: GatewayPolicy = DEFAULT_POLICY


def load_settings(path: Path | None, environ: Mapping[str, str]) -> Settings:
    """The settings to run with.

    `path` (from `--config`) or else `$MAILCHECK_CONFIG` names a file that must exist;
    otherwise the first of `default_locations` that exists; none at all means defaults.
    """
    named = path
    if named is None and environ.get(ENV_VAR):
        # Named by the operator: a typo must not silently mean "no configuration".
        named = Path(environ[ENV_VAR])
    if named is None:
        named = next((p for p in default_locations(environ) if p.is_file()), None)
        if named is None:
            return Settings()
    elif not named.is_file():
        reason = "is a directory" if named.is_dir() else "no such file"
        raise ConfigError(str(named), reason)
    try:
        with named.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ConfigError(str(named), exc.strerror or str(exc)) from exc
    if len(data) > MAX_BYTES:
        raise ConfigError(str(named), f"larger than {MAX_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(str(named), f"not UTF-8 (byte {exc.start})") from exc
    return parse_settings(text, str(named))


def parse_settings(text: str, source: str = "<config>") -> Settings:
    """`Settings` from TOML text; `source` names it in error messages."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        where = _TOML_WHERE.match(str(exc))
        if where is None:
            raise ConfigError(source, f"invalid TOML: {exc}") from None
        line, col, msg = where["line"], where["col"], where["msg"]
        raise ConfigError(f"{source}:{line}:{col}", f"invalid TOML: {msg}") from None
    _known(raw, ("organisation", "correspondents", "gateway"), "", source)
    organisation = raw.get("organisation", {})
    if not isinstance(organisation, dict):
        raise ConfigError(source, "organisation must be a table ([organisation])")
    _known(organisation, _ORGANISATION_KEYS, "organisation.", source)
    internal, trusted = (
        _unique(
            _domain(item, f"organisation.{key}[{n}]", source)
            for n, item in enumerate(_strings(organisation, key, "organisation.", source))
        )
        for key in _DOMAIN_KEYS
    )
    authserv_ids = _unique(
        _authserv_id(item, f"organisation.authserv_ids[{n}]", source)
        for n, item in enumerate(_strings(organisation, "authserv_ids", "organisation.", source))
    )
    # Absent: the defaults; an empty list trusts no forwarder's record.
    arc_sealers = Config().arc_sealers
    if "arc_sealers" in organisation:
        arc_sealers = _unique(
            _domain(item, f"organisation.arc_sealers[{n}]", source)
            for n, item in enumerate(_strings(organisation, "arc_sealers", "organisation.", source))
        )
    people = raw.get("correspondents", [])
    if not isinstance(people, list):
        raise ConfigError(source, "correspondents must be an array of tables ([[correspondents]])")
    config = Config(
        internal_domains=internal,
        trusted_domains=trusted,
        authserv_ids=authserv_ids,
        arc_sealers=arc_sealers,
        known_correspondents=tuple(
            _correspondent(person, f"correspondents[{n}]", source)
            for n, person in enumerate(people)
        ),
    )
    return Settings(config=config, gateway=_gateway(raw.get("gateway", {}), source))


_GATEWAY_KEYS = (*OUTCOMES, "subject_prefix")


def _gateway(raw: object, source: str) -> GatewayPolicy:
    if not isinstance(raw, dict):
        raise ConfigError(source, "gateway must be a table ([gateway])")
    _known(raw, _GATEWAY_KEYS, "gateway.", source)
    actions: dict[str, Action] = {}
    for outcome in OUTCOMES:
        value = raw.get(outcome, getattr(DEFAULT_POLICY, outcome))
        if value not in ACTIONS:
            expected = ", ".join(ACTIONS)
            raise ConfigError(source, f"gateway.{outcome}: {value!r} is not one of {expected}")
        actions[outcome] = value
    prefix = raw.get("subject_prefix", "")
    if not isinstance(prefix, str) or len(prefix) > 40 or any(ord(c) < 32 for c in prefix):
        raise ConfigError(source, "gateway.subject_prefix must be one short line of text")
    return GatewayPolicy(
        clean=actions["clean"],
        suspicious=actions["suspicious"],
        malicious=actions["malicious"],
        failed=actions["failed"],
        subject_prefix=prefix.strip(),
    )


def _known(table: Mapping[str, object], keys: tuple[str, ...], prefix: str, source: str) -> None:
    # A misspelt key would otherwise be ignored silently and its protection with it.
    for key in table:
        if key not in keys:
            expected = ", ".join(keys)
            raise ConfigError(source, f"unknown key {prefix}{key} (expected {expected})")


def _strings(table: Mapping[str, object], key: str, prefix: str, source: str) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(source, f"{prefix}{key} must be a list of strings")
    return [item for item in value if isinstance(item, str)]


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _domain(value: str, key: str, source: str) -> str:
    domain = value.strip().lower().removesuffix(".")
    try:
        # Internationalised names are compared in the A-label (xn--) form mail carries.
        ascii_domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError:
        ascii_domain = ""
    labels = ascii_domain.split(".")
    if len(labels) < 2 or len(ascii_domain) > 253 or not all(_LABEL.fullmatch(x) for x in labels):
        raise ConfigError(source, f"{key}: {value!r} is not a domain name such as example.co.jp")
    return ascii_domain


def _authserv_id(value: str, key: str, source: str) -> str:
    # RFC 8601 recommends a host name of the receiving organisation; one label ("mx") is
    # allowed, since some servers write their short name.
    server = value.strip().lower().removesuffix(".")
    if not server or len(server) > 253 or not all(_LABEL.fullmatch(x) for x in server.split(".")):
        raise ConfigError(
            source, f"{key}: {value!r} is not a server name such as mx.corp.example.co.jp"
        )
    return server


def _address(value: str, key: str, source: str) -> str:
    local, at, domain = value.strip().lower().rpartition("@")
    if not at or len(local) > 64 or not _LOCAL.fullmatch(local):
        raise ConfigError(source, f"{key}: {value!r} is not a mail address such as name@example.jp")
    return f"{local}@{_domain(domain, key, source)}"


def _correspondent(raw: object, key: str, source: str) -> Correspondent:
    if not isinstance(raw, dict):
        raise ConfigError(source, f"{key} must be a table ([[correspondents]])")
    _known(raw, _CORRESPONDENT_KEYS, f"{key}.", source)
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(source, f"{key}.name must be a non-empty string")
    if not name_keys(name):
        # Otherwise the entry would silently never match anyone.
        raise ConfigError(
            source, f"{key}.name: {name!r} is too short or names a role, not a person"
        )
    items = _strings(raw, "addresses", f"{key}.", source)
    if not items:
        raise ConfigError(source, f"{key}.addresses must list at least one address")
    addresses = _unique(
        _address(item, f"{key}.addresses[{n}]", source) for n, item in enumerate(items)
    )
    return Correspondent(name=" ".join(name.split()), addresses=addresses)
