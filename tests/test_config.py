"""Settings: defaults, file, environment and flags, with one-line errors naming what and where."""

from __future__ import annotations

from pathlib import Path

import pytest

from lfs_ayats import config
from lfs_ayats.config import ConfigError


def test_defaults_without_a_file(tmp_path: Path) -> None:
    settings = config.load(tmp_path / "absent.yaml", environ={})
    assert settings["insim.port"] == 29999
    assert settings.source("insim.port") == "default"


def test_file_then_environment_then_flags(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("insim:\n  port: 30000\n  host: lfs.local\n", encoding="utf-8")
    settings = config.load(path, environ={"LFS_AYATS_INSIM_PORT": "31000", "LFS_AYATS_DB": "sqlite://"})
    assert settings["insim.host"] == "lfs.local"
    assert settings["insim.port"] == 31000
    assert settings.source("insim.port") == "$LFS_AYATS_INSIM_PORT"
    assert settings["db.url"] == "sqlite://"
    flagged = settings.with_overrides({"insim.port": 32000, "insim.host": None})
    assert flagged["insim.port"] == 32000 and flagged["insim.host"] == "lfs.local"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("insim:\n  port: abc\n", "insim.port: expected a whole number"),
        ("insim:\n  port: 70000\n", "insim.port: 70000 is above the maximum 65535"),
        ("insim:\n  prot: 1\n", "unknown setting 'insim.prot' (did you mean 'insim.port'?)"),
        ("export:\n  format: xlsx\n", "export.format: 'xlsx' is not one of csv, json, parquet"),
        ("insim: [1, 2]\n", "'insim' should be a section of settings"),
        ("insim:\n  port: [\n", "at line"),
        ("- a list\n", "expected sections"),
        ("insim:\n  app_name: a-very-long-program-name\n", "insim.app_name: 'a-very-long-program-name' is longer "
         "than 15 characters"),
    ],
)
def test_bad_files_give_one_line_naming_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        config.load(path, environ={})
    assert message in str(caught.value)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_bad_environment_value_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"environment variable LFS_AYATS_UI_REFRESH_HZ: ui\.refresh_hz"):
        config.load(tmp_path / "absent.yaml", environ={"LFS_AYATS_UI_REFRESH_HZ": "100"})


def test_template_documents_every_setting_and_loads_back(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(config.render_template(), encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    for setting in config.SETTINGS:
        assert setting.doc in text
        assert setting.env_name in text
    settings = config.load(path, environ={})
    assert all(settings[s.key] == s.default for s in config.SETTINGS)


def test_secrets_are_masked() -> None:
    settings = config.Settings({"insim.password": "hunter2"}, {"insim.password": "default"})
    assert config.shown(settings, "insim.password") == "********"
