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


def test_a_file_where_the_data_folder_should_be_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(StoreError, match=f"{blocker} is a file, not a folder"):
        make_engine(f"sqlite:///{blocker}/lfs-ayats.sqlite3")
    with pytest.raises(StoreError, match=f"a part of {blocker}/sub is a file, not a folder"):
        make_engine(f"sqlite:///{blocker}/sub/lfs-ayats.sqlite3")


def test_a_database_from_a_newer_lfs_ayats_is_refused(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(update(schema_version_table).values(version=schema.SCHEMA_VERSION + 1))
    newer, known = schema.SCHEMA_VERSION + 1, schema.SCHEMA_VERSION
    pattern = rf"written by a newer lfs-ayats \(schema {newer}; this one knows up to {known}\)"
    with pytest.raises(StoreError, match=pattern):
        open_store(engine)


def test_an_older_schema_is_upgraded_step_by_step(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    steps: list[int] = []
    now = schema.SCHEMA_VERSION
    a, b = now + 1, now + 2
    monkeypatch.setattr(schema, "SCHEMA_VERSION", b)
    monkeypatch.setattr(schema, "UPGRADES", {a: lambda conn: steps.append(a), b: lambda conn: steps.append(b)})
    assert schema.ensure_schema(engine) == b
    assert steps == [a, b]
    with engine.connect() as conn:
        assert schema.stored_version(conn) == b
    assert schema.ensure_schema(engine) == b and steps == [a, b]  # nothing more to do


def test_a_version_1_database_gains_the_corner_table(engine: Engine) -> None:
    from sqlalchemy import inspect

    from lfs_ayats.store.tables import corner_defs_table

    with engine.begin() as conn:
        corner_defs_table.drop(conn)
        conn.execute(update(schema_version_table).values(version=1))
    assert schema.ensure_schema(engine) == schema.SCHEMA_VERSION >= 2
    with engine.connect() as conn:
        assert inspect(conn).has_table("corner_defs") and schema.stored_version(conn) == schema.SCHEMA_VERSION


def test_a_version_2_database_gains_the_anomalies_table(engine: Engine) -> None:
    from sqlalchemy import inspect

    from lfs_ayats.store.tables import anomalies_table

    with engine.begin() as conn:
        anomalies_table.drop(conn)
        conn.execute(update(schema_version_table).values(version=2))
    assert not inspect(engine).has_table("anomalies")
    assert open_store(engine) is engine
    assert inspect(engine).has_table("anomalies")
    with engine.connect() as conn:
        assert schema.stored_version(conn) == schema.SCHEMA_VERSION
