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


def _invoke(env: dict[str, str], *args: str) -> tuple[int, str]:
    from typer.testing import CliRunner

    from lfs_ayats.cli import app

    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


@pytest.mark.parametrize(("args", "says"), [
    (["sim", "--port", "70000"], "Invalid value for '--port'"),
    (["sim", "--port", "-5"], "Invalid value for '--port'"),
    (["sim", "--speed", "-1"], "Invalid value for '--speed'"),
    (["sim", "--mode", "qualify", "--minutes", "-3"], "Invalid value for '--minutes'"),
    (["sim", "--car", "ABC"], "unknown car 'ABC'; known: FBM, FXR, MRT, XFG, XRT"),
    (["sim", "--mode", "drag"], "not 'drag'"),
    (["demo", "--car", "abc"], "unknown car 'abc'; known:"),
    (["record", "x.lfscap", "--duration", "-1"], "Invalid value for '--duration'"),
])
def test_bad_simulator_and_recorder_flags_exit_2(env: dict[str, str], args: list[str], says: str) -> None:
    code, output = _invoke(env, *args)
    assert code == 2 and says in output


def test_record_with_a_udp_port_in_use_is_one_line(env: dict[str, str], tmp_path: Path) -> None:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
        busy.bind(("0.0.0.0", 0))
        taken = str(busy.getsockname()[1])
        code, output = _invoke(env, "record", str(tmp_path / "x.lfscap"), "--port", "1", "--outgauge-port", taken,
                               "--outsim-port", "0")
    assert code == 2 and f"lfs-ayats: UDP port {taken} for OutGauge is already in use" in output
    assert "Errno" not in output


@pytest.mark.parametrize("command", ["import", "replay"])
def test_a_folder_given_as_a_capture_is_named_as_such(env: dict[str, str], tmp_path: Path, command: str) -> None:
    code, output = _invoke(env, command, str(tmp_path))
    assert code == 2 and f"{tmp_path}: a folder, not a capture file" in output


def test_config_show_of_a_missing_file_says_so(env: dict[str, str], tmp_path: Path) -> None:
    code, output = _invoke(env, "config", "show", "--config", str(tmp_path / "nope.yaml"))
    assert code == 2 and f"--config {tmp_path / 'nope.yaml'}: no such file" in output


@pytest.mark.parametrize("command", [["demo"], ["live"], ["replay", "__capture__"]])
def test_an_unknown_theme_is_refused_before_the_app_opens(env: dict[str, str], tmp_path: Path,
                                                           command: list[str]) -> None:
    capture = tmp_path / "c.lfscap"
    capture.write_bytes(b"")
    env = {**env, "LFS_AYATS_UI_THEME": "no-such-theme"}
    code, output = _invoke(env, *[str(capture) if a == "__capture__" else a for a in command])
    assert code == 2
    assert "environment variable LFS_AYATS_UI_THEME: ui.theme: 'no-such-theme' is not a Textual theme" in output


@pytest.mark.parametrize(("args", "says"), [
    (["record", "x.lfscap", "--port", "70000"], "lfs-ayats: --port: insim.port: 70000 is above the maximum 65535"),
    (["record", "x.lfscap", "--interval", "5"], "lfs-ayats: --interval: insim.interval_ms: 5 is below the minimum 10"),
    (["live", "--port", "0"], "lfs-ayats: --port: insim.port: 0 is below the minimum 1"),
])
def test_a_bad_flag_value_names_the_flag(env: dict[str, str], args: list[str], says: str) -> None:
    code, output = _invoke(env, *args)
    assert code == 2 and says in output and "config show" not in output


def test_sim_piped_into_head_ends_quietly(env: dict[str, str]) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "lfs_ayats", "sim", "--port", "0", "--speed", "0", "--cars", "2",
                             "--laps", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    assert "1 lap, seed 0" in proc.stdout.readline()  # the listening line, in the singular
    proc.stdout.close()  # as `| head -1` does: the classification then meets a closed pipe
    assert proc.wait(timeout=60) == 0
    assert "Broken pipe" not in proc.stderr.read()
    proc.stderr.close()
