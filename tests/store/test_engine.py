"""The engine factory and the schema: pragmas, URLs, masked passwords, versions and upgrades."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text, update

from lfs_ayats.store import schema
from lfs_ayats.store.engine import StoreError, make_engine, mask_url, open_store, sqlite_path
from lfs_ayats.store.tables import schema_version_table


def test_sqlite_file_gets_wal_and_pragmas(tmp_path: Path) -> None:
    engine = open_store(f"sqlite:///{tmp_path}/sub/dir/x.sqlite3")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 10_000
    assert sqlite_path(str(engine.url)) == tmp_path / "sub/dir/x.sqlite3"


def test_the_default_is_sqlite_in_the_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LFS_AYATS_DATA_DIR", str(tmp_path))
    engine = make_engine(None)
    assert sqlite_path(engine.url.render_as_string(False)) == tmp_path / "lfs-ayats.sqlite3"


def test_in_memory_sqlite_is_one_shared_database() -> None:
    engine = open_store("sqlite://")
    with engine.connect() as a, engine.connect() as b:
        assert a.connection.dbapi_connection is b.connection.dbapi_connection


def test_passwords_never_show() -> None:
    assert mask_url("postgresql+psycopg://bob:s3cret@db.example:5432/lfs") == \
        "postgresql+psycopg://bob:***@db.example:5432/lfs"
    with pytest.raises(StoreError) as caught:
        open_store("postgresql+psycopg://bob:s3cret@127.0.0.1:1/lfs")
    message = str(caught.value)
    assert message.startswith("cannot connect to postgresql+psycopg://bob:***@127.0.0.1:1/lfs: ")
    assert "s3cret" not in message and "\n" not in message


def test_not_a_url_is_one_line() -> None:
    with pytest.raises(StoreError, match="is not a database URL"):
        make_engine("nonsense")
    with pytest.raises(StoreError, match="cannot use"):
        make_engine("nosuchdb://x/y")


def test_a_database_from_a_newer_lfs_ayats_is_refused(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(update(schema_version_table).values(version=schema.SCHEMA_VERSION + 1))
    with pytest.raises(StoreError, match=r"written by a newer lfs-ayats \(schema 2; this one knows up to 1\)"):
        open_store(engine)


def test_an_older_schema_is_upgraded_step_by_step(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    steps: list[int] = []
    monkeypatch.setattr(schema, "SCHEMA_VERSION", 3)
    monkeypatch.setattr(schema, "UPGRADES", {2: lambda conn: steps.append(2), 3: lambda conn: steps.append(3)})
    assert schema.ensure_schema(engine) == 3
    assert steps == [2, 3]
    with engine.connect() as conn:
        assert schema.stored_version(conn) == 3
    assert schema.ensure_schema(engine) == 3 and steps == [2, 3]  # nothing more to do
