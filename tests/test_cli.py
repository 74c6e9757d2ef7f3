"""The command line: version, help, config commands, and one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lfs_ayats import __version__


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lfs_ayats", *args], capture_output=True, text=True,
                          env=env, timeout=60)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    import os

    values = dict(os.environ)
    values["LFS_AYATS_CONFIG_DIR"] = str(tmp_path / "config")
    values["LFS_AYATS_DATA_DIR"] = str(tmp_path / "data")
    return values


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"lfs-ayats {__version__}"


def test_help_lists_commands() -> None:
    result = run("--help")
    assert result.returncode == 0
    assert "config" in result.stdout


def test_config_init_show_path(env: dict[str, str], tmp_path: Path) -> None:
    assert run("config", "path", env=env).stdout.strip() == str(tmp_path / "config" / "config.yaml")
    created = run("config", "init", env=env)
    assert created.returncode == 0, created.stderr
    assert (tmp_path / "config" / "config.yaml").exists()
    again = run("config", "init", env=env)
    assert again.returncode == 2
    assert "already exists" in again.stderr and "--force" in again.stderr
    shown = run("config", "show", env=env)
    assert "insim.port" in shown.stdout and "29999" in shown.stdout


def test_bad_config_is_one_line_not_a_traceback(env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text("insim:\n  port: nope\n", encoding="utf-8")
    result = run("config", "show", env=env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "insim.port: expected a whole number" in result.stderr
