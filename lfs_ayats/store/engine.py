"""The one engine factory, and opening a store: connect, check the schema, upgrade it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

SQLITE_BUSY_TIMEOUT_MS = 10_000


class StoreError(Exception):
    """A database problem a user can act on; the message is one line, with the password masked."""


def mask_url(url: str) -> str:
    """The URL with its password replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return url.split("@")[-1] if "@" in url else url


def resolve_url(url: str | None) -> str:
    """An empty URL means SQLite in the data folder."""
    if url:
        return url
    from lfs_ayats.paths import default_database_url

    return default_database_url()


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for other engines and in-memory SQLite)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (the UI, `lfs-ayats laps`) run while the writer thread writes;
    # NORMAL sync is durable at checkpoints, which is all telemetry needs.
    cursor = dbapi_connection.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON",
                   f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}", "temp_store=MEMORY"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def make_engine(url: str | None = None) -> Engine:
    """An engine for a SQLAlchemy URL (None/"" = the default SQLite file); never connects by itself."""
    url = resolve_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(f"{mask_url(url)!r} is not a database URL (e.g. sqlite:///file.db, "
                         "postgresql+psycopg://user@host/dbname)") from None
    try:
        if parsed.get_backend_name() == "sqlite":
            memory = parsed.database in (None, "", ":memory:")
            if not memory:
                Path(parsed.database or "").expanduser().parent.mkdir(parents=True, exist_ok=True)
            kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
            if memory:
                kwargs["poolclass"] = StaticPool  # one connection, or each would see its own empty database
            engine = create_engine(parsed, **kwargs)
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        return create_engine(parsed, pool_pre_ping=True)
    except (NoSuchModuleError, ModuleNotFoundError, ImportError) as exc:
        hint = " (install lfs-ayats[postgres])" if parsed.get_backend_name() == "postgresql" else ""
        raise StoreError(f"cannot use {mask_url(url)}: {exc}{hint}") from None
    except FileExistsError as exc:  # a file where the folder should be
        raise StoreError(f"cannot use {mask_url(url)}: {exc.filename} is a file, not a folder") from None
    except NotADirectoryError as exc:
        raise StoreError(f"cannot use {mask_url(url)}: a part of {exc.filename} is a file, not a folder") from None
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        raise StoreError(f"cannot use {mask_url(url)}: {exc.strerror or exc}{where}") from None
    except ArgumentError as exc:
        raise StoreError(f"cannot use {mask_url(url)}: {exc}") from None


def open_store(url: str | Engine | None = None) -> Engine:
    """An engine whose database exists, is reachable and has the current schema (created or upgraded)."""
    from .schema import ensure_schema

    engine = url if isinstance(url, Engine) else make_engine(url)
    try:
        ensure_schema(engine)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise StoreError(f"cannot connect to {mask_url(str(engine.url.render_as_string(False)))}: "
                         f"{reason}") from None
    return engine
