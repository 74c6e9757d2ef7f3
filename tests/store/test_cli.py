"""lfs-ayats import / sessions / laps / db: JSON output and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lfs_ayats.cli import app
from lfs_ayats.store.engine import open_store
from lfs_ayats.store.schema import SCHEMA_VERSION
from lfs_ayats.store.tables import schema_version_table

from .conftest import POSTGRES_URL, RecordedRace, empty_postgres


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("LFS_AYATS_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("LFS_AYATS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("LFS_AYATS_DB", raising=False)
    if request.param == "postgresql":
        if not POSTGRES_URL:
            pytest.skip("LFS_AYATS_TEST_POSTGRES_URL is not set (.ci/run starts a PostgreSQL server)")
        empty_postgres(POSTGRES_URL).dispose()
        return POSTGRES_URL
    return f"sqlite:///{tmp_path}/cli.sqlite3"


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_import_sessions_laps_and_db(db: str, race: RecordedRace) -> None:
    code, out, _ = cli("import", str(race.full), "--db", db)
    assert code == 0 and "session 1:" in out and f"{len(race.truth['laps'])} laps" in out
    code, out, _ = cli("import", str(race.full), "--db", db)
    assert code == 0 and "already imported (session 1); nothing written" in out

    code, out, _ = cli("sessions", "--json", "--db", db)
    [session] = json.loads(out)
    assert code == 0 and session["id"] == 1 and session["track"] == "GM1" and session["laps"] == len(race.truth["laps"])

    code, out, _ = cli("laps", "1", "--json", "--db", db)
    laps = json.loads(out)
    assert code == 0 and len(laps) == len(race.truth["laps"])
    assert {"id", "session_id", "driver", "lap", "time_ms", "splits_ms", "clean", "reason"} <= set(laps[0])
    truth = {(lap["plid"], lap["lap"]): lap for lap in race.truth["laps"]}
    assert all(lap["time_ms"] == truth[lap["plid"], lap["lap"]]["time_ms"] for lap in laps)

    name = race.truth["players"][0]["name"]
    code, out, _ = cli("laps", "--driver", name, "--json", "--db", db)
    assert code == 0 and {lap["driver"] for lap in json.loads(out)} == {name}
    code, out, _ = cli("laps", "--clean", "--json", "--db", db)
    assert code == 0 and all(lap["clean"] for lap in json.loads(out))
    code, out, _ = cli("laps", "1", "--db", db)
    assert code == 0 and out.splitlines()[0].split()[:3] == ["id", "driver", "car"]

    code, out, _ = cli("db", "info", "--json", "--db", db)
    info = json.loads(out)
    assert code == 0 and info["sessions"] == 1 and info["schema_version"] == SCHEMA_VERSION
    assert info["laps"] == len(race.truth["laps"]) and info["samples"] > 0
    code, out, _ = cli("db", "vacuum", "--db", db)
    assert code == 0 and out.strip() == "vacuumed"


def test_db_path_follows_flag_env_and_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LFS_AYATS_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("LFS_AYATS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("LFS_AYATS_DB", raising=False)
    assert cli("db", "path")[1].strip() == str(tmp_path / "data" / "lfs-ayats.sqlite3")
    monkeypatch.setenv("LFS_AYATS_DB", "postgresql+psycopg://me:pw@db.example/lfs")
    assert cli("db", "path")[1].strip() == "postgresql+psycopg://me:***@db.example/lfs"
    assert cli("db", "path", "--db", f"sqlite:///{tmp_path}/x.db")[1].strip() == str(tmp_path / "x.db")


def test_one_line_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LFS_AYATS_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("LFS_AYATS_DATA_DIR", str(tmp_path / "data"))
    code, _, err = cli("sessions", "--db", "postgresql+psycopg://me:hunter2@127.0.0.1:1/lfs")
    assert code == 2 and err.startswith("lfs-ayats: cannot connect to postgresql+psycopg://me:***@127.0.0.1:1/lfs: ")
    assert "hunter2" not in err and len(err.strip().splitlines()) == 1

    code, _, err = cli("import", str(tmp_path / "missing.lfscap"))
    assert code == 2 and err.strip() == f"lfs-ayats: {tmp_path / 'missing.lfscap'}: no such capture file"

    junk = tmp_path / "junk.lfscap"
    junk.write_bytes(b"not a capture at all")
    code, _, err = cli("import", str(junk), "--db", f"sqlite:///{tmp_path}/a.db")
    assert code == 2 and "is not an lfs-ayats capture" in err and len(err.strip().splitlines()) == 1

    url = f"sqlite:///{tmp_path}/newer.db"
    engine = open_store(url)
    with engine.begin() as conn:
        conn.execute(schema_version_table.update().values(version=99))
    code, _, err = cli("laps", "--db", url)
    assert code == 2 and "written by a newer lfs-ayats (schema 99" in err and len(err.strip().splitlines()) == 1

    code, _, err = cli("laps", "42", "--db", f"sqlite:///{tmp_path}/a.db")
    assert code == 2 and err.startswith("lfs-ayats: no session 42")


def test_a_full_disk_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, race: RecordedRace) -> None:
    from sqlalchemy.exc import OperationalError

    from lfs_ayats import cli as cli_module
    from lfs_ayats.store import ingest

    monkeypatch.setenv("LFS_AYATS_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("LFS_AYATS_DATA_DIR", str(tmp_path / "data"))

    def disk_full(*_: object, **__: object) -> None:
        raise OperationalError("INSERT INTO laps", {}, Exception("database or disk is full"))

    monkeypatch.setattr(ingest, "import_capture", disk_full)
    url = f"sqlite:///{tmp_path}/full.db"
    code, _, err = cli("import", str(race.full), "--db", url)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert err.startswith(f"lfs-ayats: {race.full}: not imported into {url} (database error: database or disk is full)")

    # The net under every command: a machine failure outside a command's own handling is one line too.
    assert cli_module._environment_failure(OSError(28, "No space left on device", "/data/x.lfscap")) == \
        "/data/x.lfscap: No space left on device"
    assert cli_module._environment_failure(ValueError("a bug")) is None
