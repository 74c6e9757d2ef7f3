"""Settings: defaults < YAML file < `LFS_AYATS_*` environment variables < CLI flags.

Every setting is declared once in `SETTINGS` with its type, default, limits and a line of
documentation; `lfs-ayats config init` writes that documentation into the file it creates.
A bad file or value raises `ConfigError` with one line naming where, the key and the problem.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A setting that cannot be used; the message names the source and the key."""


@dataclass(frozen=True)
class Setting:
    """One documented setting, addressed as `section.name`."""

    key: str
    kind: type
    default: Any
    doc: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    secret: bool = False
    max_chars: int | None = None  # text settings with a fixed-size wire field
    env: str | None = None  # an extra, shorter environment variable name

    @property
    def env_name(self) -> str:
        return "LFS_AYATS_" + self.key.replace(".", "_").upper()


SETTINGS: tuple[Setting, ...] = (
    Setting("insim.host", str, "127.0.0.1", "Host where LFS (or a dedicated server) listens for InSim."),
    Setting("insim.port", int, 29999, "InSim TCP port: the number you typed in LFS as /insim PORT.",
            1, 65535),
    Setting("insim.password", str, "", "LFS admin password, if the host has one. Prefer the environment "
            "variable LFS_AYATS_INSIM_PASSWORD to writing it here.", secret=True),
    Setting("insim.app_name", str, "lfs-ayats", "Name shown to LFS for this program (at most 15 characters).",
            max_chars=15),
    Setting("insim.interval_ms", int, 100, "Milliseconds between IS_MCI updates of every car's position.",
            10, 8000),
    Setting("insim.udp_port", int, 0, "Receive IS_MCI by UDP on this port instead of TCP (0 = use TCP).",
            0, 65535),
    Setting("outgauge.port", int, 30000, "UDP port for OutGauge (cfg.txt: OutGauge Port). 0 = off.", 0, 65535),
    Setting("outsim.port", int, 30001, "UDP port for OutSim (cfg.txt: OutSim Port). 0 = off.", 0, 65535),
    Setting("outsim.opts", int, -1, "OutSim Opts as set in cfg.txt (hex there, e.g. 0x1ff); -1 = recognise "
            "from the packet size.", -1, 0x1FF),
    Setting("db.url", str, "", "Database URL (SQLAlchemy form). Empty = SQLite in the data folder. "
            "PostgreSQL: postgresql+psycopg://user@host/dbname.", env="LFS_AYATS_DB"),
    Setting("ui.refresh_hz", int, 10, "Screen updates per second of the live view.", 1, 20),
    Setting("ui.theme", str, "textual-dark", "Textual colour theme."),
    Setting("export.format", str, "csv", "File format of exports.", choices=("csv", "json", "parquet")),
    Setting("export.folder", str, "", "Folder for exports. Empty = the data folder's exports/."),
)

_BY_KEY = {s.key: s for s in SETTINGS}


class Settings(Mapping[str, Any]):
    """Validated settings, read as `settings["insim.port"]` or `settings.value("insim.port")`."""

    def __init__(self, values: Mapping[str, Any], sources: Mapping[str, str]) -> None:
        self._values = dict(values)
        self._sources = dict(sources)

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def value(self, key: str) -> Any:
        return self._values[key]

    def source(self, key: str) -> str:
        """Where a value came from: default, the file, an environment variable or a flag."""
        return self._sources[key]

    def with_overrides(self, overrides: Mapping[str, Any], source: str = "command line") -> Settings:
        """A copy with CLI flags applied (None means the flag was not given)."""
        values, sources = dict(self._values), dict(self._sources)
        for key, raw in overrides.items():
            if raw is None:
                continue
            values[key] = _coerce(_setting(key, source), raw, source)
            sources[key] = source
        return Settings(values, sources)


def _setting(key: str, where: str) -> Setting:
    try:
        return _BY_KEY[key]
    except KeyError:
        close = difflib.get_close_matches(key, list(_BY_KEY), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ConfigError(f"{where}: unknown setting '{key}'{hint}") from None


def _coerce(setting: Setting, raw: Any, where: str) -> Any:
    """Turn a raw value (YAML scalar or environment string) into the setting's type, checked."""
    key = setting.key
    value: Any
    if setting.kind is int:
        if isinstance(raw, bool):
            raise ConfigError(f"{where}: {key}: expected a whole number, got {raw!r}")
        if isinstance(raw, int):
            value = raw
        elif isinstance(raw, str):
            try:
                value = int(raw.strip(), 0)
            except ValueError:
                raise ConfigError(f"{where}: {key}: expected a whole number, got {raw!r}") from None
        else:
            raise ConfigError(f"{where}: {key}: expected a whole number, got {raw!r}")
    elif setting.kind is str:
        if isinstance(raw, (dict, list)):
            raise ConfigError(f"{where}: {key}: expected text, got a {type(raw).__name__}")
        value = "" if raw is None else str(raw)
        if setting.max_chars is not None and len(value) > setting.max_chars:
            raise ConfigError(f"{where}: {key}: {value!r} is longer than {setting.max_chars} characters")
    else:  # pragma: no cover - every declared kind is handled above
        raise ConfigError(f"{where}: {key}: unsupported kind {setting.kind}")
    if setting.minimum is not None and value < setting.minimum:
        raise ConfigError(f"{where}: {key}: {value} is below the minimum {setting.minimum:g}")
    if setting.maximum is not None and value > setting.maximum:
        raise ConfigError(f"{where}: {key}: {value} is above the maximum {setting.maximum:g}")
    if setting.choices and value not in setting.choices:
        raise ConfigError(f"{where}: {key}: {value!r} is not one of {', '.join(setting.choices)}")
    return value


def _flatten(data: Mapping[str, Any], where: str) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for section, body in data.items():
        if not isinstance(body, Mapping):
            raise ConfigError(f"{where}: '{section}' should be a section of settings, got {body!r}")
        for name, raw in body.items():
            flat[f"{section}.{name}"] = raw
    return flat


def read_file(path: Path) -> dict[str, Any]:
    """The file's settings, flattened to `section.key`; an absent file is empty."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc.__class__.__name__}: {exc})") from None
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ConfigError(f"{path}: {problem}{at}") from None
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: expected sections such as 'insim:' at the top, got {type(data).__name__}")
    return _flatten(data, str(path))


def load(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Defaults, then the file, then the environment, each value validated."""
    from . import paths

    path = paths.config_file() if path is None else path
    environ = os.environ if environ is None else environ
    values = {s.key: s.default for s in SETTINGS}
    sources = {s.key: "default" for s in SETTINGS}
    for key, raw in read_file(path).items():
        setting = _setting(key, str(path))
        values[key] = _coerce(setting, raw, str(path))
        sources[key] = str(path)
    for setting in SETTINGS:
        for name in (setting.env_name, setting.env):
            if name and name in environ:
                values[setting.key] = _coerce(setting, environ[name], f"environment variable {name}")
                sources[setting.key] = f"${name}"
    return Settings(values, sources)


def render_template() -> str:
    """A config.yaml with every setting at its default, each with its documentation."""
    lines = ["# lfs-ayats settings. Every key can also be set with the environment variable named below.", ""]
    section = None
    for s in SETTINGS:
        head, name = s.key.split(".", 1)
        if head != section:
            if section is not None:
                lines.append("")
            lines.append(f"{head}:")
            section = head
        lines.append(f"  # {s.doc}")
        extra = f" or ${s.env}" if s.env else ""
        lines.append(f"  # environment: ${s.env_name}{extra}")
        lines.append(f"  {name}: {_yaml_scalar(s.default)}")
    return "\n".join(lines) + "\n"


def _yaml_scalar(value: Any) -> str:
    if isinstance(value, str):
        return '""' if value == "" else f'"{value}"'
    return str(value)


def shown(settings: Settings, key: str) -> str:
    """A value as `config show` prints it: secrets masked."""
    value = settings[key]
    if _BY_KEY[key].secret and value:
        return "********"
    return str(value)
