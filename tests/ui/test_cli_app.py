"""The app's commands fail in one line, before any screen opens, when their input is wrong."""

from __future__ import annotations

from pathlib import Path

from tests.test_cli import env, run  # noqa: F401  (env is a fixture)


def test_replay_of_a_missing_file(env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    result = run("replay", str(tmp_path / "nope.lfscap"), env=env)
    assert result.returncode == 2
    assert result.stderr.strip() == f"lfs-ayats: {tmp_path / 'nope.lfscap'}: no such capture file"


def test_replay_of_a_file_that_is_not_a_capture(env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    result = run("replay", str(bad), env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(bad) in lines[0] and "Traceback" not in result.stderr


def test_demo_with_an_unknown_track(env: dict[str, str]) -> None:  # noqa: F811
    result = run("demo", "--track", "XX9", env=env)
    assert result.returncode == 2
    assert "--track XX9: unknown track" in result.stderr and "Traceback" not in result.stderr


def test_replay_speed_out_of_range(env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    result = run("replay", str(tmp_path / "x.lfscap"), "--speed", "32", env=env)
    assert result.returncode == 2 and "--speed" in result.stderr and "16" in result.stderr


def test_live_refuses_to_overwrite_a_recording(env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    existing = tmp_path / "taken.lfscap"
    existing.write_bytes(b"")
    result = run("live", "--record", str(existing), env=env)
    assert result.returncode == 2 and "already exists" in result.stderr
