"""Exports through one interface with a format registry: CSV, JSON and Parquet; and copying a session.

Public API
----------
- ``Export(kind, meta, tables)``: what is written, built by ``lap_export(source, lap_id)``,
  ``session_export(source, session_id)`` or ``comparison_export(comparison, report=None)``.
- ``get_format(name) -> ExportFormat`` (the factory over ``FORMATS``; ``register`` adds one) and
  ``write_export(export, fmt, path, force=False) -> list[Path]`` / ``read_export(path) -> Export``.
  JSON is one file; CSV and Parquet write one file per table, ``<stem>.<table>.<suffix>``. Every
  file carries ``SCHEMA_VERSION`` (CSV: a ``#`` header line; Parquet: file metadata; JSON: a field)
  and the column types, so a file read back with polars equals what was written.
- ``copy_session(source_engine, session_id, target_engine) -> int``: the session with its drivers,
  laps, events and samples, under new ids in another database.

Existing files are never overwritten unless ``force`` (the CLI's --force).
"""

from __future__ import annotations

import io
import json
import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar

import polars as pl
from sqlalchemy import Engine, insert, select

from lfs_ayats.store import queries
from lfs_ayats.store.tables import blocks_table, drivers_table, events_table, laps_table, sessions_table

from .compare import Comparison
from .load import LapNotFound, LapSource

SCHEMA_VERSION = 1
MAGIC = "lfs-ayats-export"


class ExportError(Exception):
    """A one-line problem with an export (a file exists, an unknown format, an unreadable file)."""


@dataclass
class Export:
    kind: str  # "lap", "session" or "comparison"
    meta: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)


# -- column types as text (every format stores them, so reading back restores them exactly) ----------------

_SIMPLE: dict[str, pl.DataType] = {str(t): t for t in (
    pl.Int8(), pl.Int16(), pl.Int32(), pl.Int64(), pl.UInt8(), pl.UInt16(), pl.UInt32(), pl.UInt64(),
    pl.Float32(), pl.Float64(), pl.Boolean(), pl.String(), pl.Null())}


def dtype_from_text(text: str) -> pl.DataType:
    if text in _SIMPLE:
        return _SIMPLE[text]
    if text.startswith("List(") and text.endswith(")"):
        return pl.List(dtype_from_text(text[5:-1]))
    raise ExportError(f"unsupported column type {text!r} in an export")


def _schema(frame: pl.DataFrame) -> dict[str, str]:
    return {name: str(dtype) for name, dtype in frame.schema.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def frame_from_rows(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Rows (dicts from the store) as a frame: dates as ISO text, JSON lists/dicts as typed lists or text."""
    if not rows:
        return pl.DataFrame()
    clean = []
    for row in rows:
        out = {}
        for k, v in row.items():
            out[k] = json.dumps(v, sort_keys=True) if isinstance(v, dict) else _plain(v)
        clean.append(out)
    return pl.DataFrame(clean, infer_schema_length=None)


# -- the registry ----------------------------------------------------------------------------------------------


class ExportFormat(ABC):
    name: ClassVar[str]
    suffix: ClassVar[str]

    def targets(self, export: Export, path: Path) -> list[Path]:
        """The files `write` will create for `export` at `path` (one per table by default)."""
        stem = path.with_suffix("") if path.suffix == self.suffix else path
        return [stem.with_name(f"{stem.name}.{table}{self.suffix}") for table in export.tables]

    def write(self, export: Export, path: Path) -> list[Path]:
        files = self.targets(export, path)
        for target, (table, frame) in zip(files, export.tables.items(), strict=True):
            header = {"format": MAGIC, "schema_version": SCHEMA_VERSION, "kind": export.kind, "table": table,
                      "meta": export.meta, "columns": _schema(frame)}
            self.write_table(frame, header, target)
        return files

    @abstractmethod
    def write_table(self, frame: pl.DataFrame, header: dict[str, Any], path: Path) -> None: ...

    @abstractmethod
    def read_table(self, path: Path) -> tuple[dict[str, Any], pl.DataFrame]: ...

    def read(self, path: Path) -> Export:
        """Every table written next to `path` (or the one file `path` names)."""
        files = [path] if path.is_file() else sorted(path.parent.glob(f"{path.with_suffix('').name}.*{self.suffix}"))
        if not files:
            raise ExportError(f"{path}: no such export")
        export: Export | None = None
        for file in files:
            header, frame = self.read_table(file)
            if export is None:
                export = Export(header["kind"], header["meta"])
            export.tables[header["table"]] = frame
        assert export is not None
        return export


FORMATS: dict[str, type[ExportFormat]] = {}


def register(cls: type[ExportFormat]) -> type[ExportFormat]:
    FORMATS[cls.name] = cls
    return cls


def get_format(name: str) -> ExportFormat:
    """The exporter for a format name (the factory)."""
    try:
        return FORMATS[name.lower()]()
    except KeyError:
        raise ExportError(f"unknown export format {name!r}: expected one of {', '.join(sorted(FORMATS))}") from None


def _check_header(header: Any, path: Path) -> dict[str, Any]:
    if not isinstance(header, dict) or header.get("format") != MAGIC:
        raise ExportError(f"{path}: not an lfs-ayats export")
    if int(header.get("schema_version", 0)) > SCHEMA_VERSION:
        raise ExportError(f"{path}: export schema {header['schema_version']} is newer than this lfs-ayats "
                          f"({SCHEMA_VERSION})")
    return header


@register
class CsvFormat(ExportFormat):
    """One CSV per table; line 1 is `# {json header}`; list columns are JSON text."""

    name, suffix = "csv", ".csv"

    def write_table(self, frame: pl.DataFrame, header: dict[str, Any], path: Path) -> None:
        lists = [c for c, t in frame.schema.items() if isinstance(t, pl.List)]
        out = frame.with_columns(pl.col(c).map_elements(lambda v: json.dumps(v.to_list()), return_dtype=pl.String)
                                 for c in lists)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write("# " + json.dumps(header, default=str) + "\n")
            out.write_csv(f)

    def read_table(self, path: Path) -> tuple[dict[str, Any], pl.DataFrame]:
        with open(path, encoding="utf-8") as f:
            first = f.readline()
            body = f.read()
        try:
            header = _check_header(json.loads(first[1:]) if first.startswith("#") else None, path)
        except json.JSONDecodeError:
            raise ExportError(f"{path}: not an lfs-ayats export") from None
        types = {c: dtype_from_text(t) for c, t in header["columns"].items()}
        text = {c: (pl.String() if isinstance(t, pl.List) else t) for c, t in types.items()}
        frame = pl.read_csv(io.StringIO(body), schema=text) if body.strip() else pl.DataFrame(schema=text)
        frame = frame.with_columns(pl.col(c).str.json_decode(t) for c, t in types.items() if isinstance(t, pl.List))
        return header, frame


@register
class ParquetFormat(ExportFormat):
    """One Parquet file per table; the header is the file's key-value metadata."""

    name, suffix = "parquet", ".parquet"

    def write_table(self, frame: pl.DataFrame, header: dict[str, Any], path: Path) -> None:
        frame.write_parquet(path, metadata={MAGIC: json.dumps(header, default=str)})

    def read_table(self, path: Path) -> tuple[dict[str, Any], pl.DataFrame]:
        try:
            meta = pl.read_parquet_metadata(path)
            header = _check_header(json.loads(meta[MAGIC]) if MAGIC in meta else None, path)
            return header, pl.read_parquet(path)
        except (OSError, pl.exceptions.ComputeError) as exc:
            raise ExportError(f"{path}: not a readable Parquet file ({exc})") from None


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


_FLOATS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


@register
class JsonFormat(ExportFormat):
    """One JSON file: the header and every table as typed columns (NaN and ±inf as the strings JSON lacks)."""

    name, suffix = "json", ".json"

    def targets(self, export: Export, path: Path) -> list[Path]:
        return [path if path.suffix == self.suffix else path.with_name(path.name + self.suffix)]

    def write(self, export: Export, path: Path) -> list[Path]:
        target = self.targets(export, path)[0]
        tables = {}
        for table, frame in export.tables.items():
            floats = {c for c, t in frame.schema.items() if t.is_float()}
            tables[table] = {"columns": _schema(frame), "data": {
                c: [_json_value(v) for v in frame[c].to_list()] if c in floats else frame[c].to_list()
                for c in frame.columns}}
        doc = {"format": MAGIC, "schema_version": SCHEMA_VERSION, "kind": export.kind, "meta": export.meta,
               "tables": tables}
        target.write_text(json.dumps(doc, default=str, allow_nan=False), encoding="utf-8")
        return [target]

    def write_table(self, frame: pl.DataFrame, header: dict[str, Any], path: Path) -> None:
        raise NotImplementedError("JSON writes every table into one file (see write)")

    def read_table(self, path: Path) -> tuple[dict[str, Any], pl.DataFrame]:
        raise NotImplementedError("JSON reads every table from one file (see read)")

    def read(self, path: Path) -> Export:
        try:
            doc = _check_header(json.loads(path.read_text(encoding="utf-8")), path)
        except (OSError, json.JSONDecodeError) as exc:
            raise ExportError(f"{path}: not a readable JSON export ({exc})") from None
        export = Export(doc["kind"], doc["meta"])
        for table, body in doc["tables"].items():
            types = {c: dtype_from_text(t) for c, t in body["columns"].items()}
            data = {c: ([_FLOATS.get(v, v) if isinstance(v, str) else v for v in values] if types[c].is_float()
                        else values) for c, values in body["data"].items()}
            export.tables[table] = pl.DataFrame(data, schema=types)
        return export


# -- what is exported --------------------------------------------------------------------------------------------


def lap_export(source: LapSource | Engine, lap_id: int) -> Export:
    """A lap: its row and its samples from every source (cars, gauge, motion) that has them."""
    src = source if isinstance(source, LapSource) else LapSource(source)
    lap = src.lap(lap_id)
    tables = {"lap": frame_from_rows([lap])}
    for kind in ("cars", "gauge", "motion"):
        frame = queries.lap_telemetry(src.engine, lap_id, source=kind)
        if frame.height:
            tables[kind] = frame
    return Export("lap", {"lap_id": lap_id, "session_id": lap["session_id"], "driver": lap["driver"],
                          "track": lap["track"], "car": lap["car"]}, tables)


def session_export(source: LapSource | Engine, session_id: int) -> Export:
    """A session: its row, laps, events and every car's IS_MCI samples."""
    src = source if isinstance(source, LapSource) else LapSource(source)
    session = queries.session(src.engine, session_id)
    if session is None:
        raise LapNotFound(f"no session {session_id}")
    tables = {"session": frame_from_rows([session]), "laps": frame_from_rows(queries.laps(src.engine, session_id)),
              "events": frame_from_rows(queries.events(src.engine, session_id)),
              "cars": queries.telemetry(src.engine, session_id, source="cars")}
    return Export("session", {"session_id": session_id, "track": session["track"]},
                  {k: v for k, v in tables.items() if v.width})


def comparison_export(comparison: Comparison, report: pl.DataFrame | None = None) -> Export:
    """A comparison: its grid, its corner report (when given) and its summary as metadata."""
    tables = {"grid": comparison.frame}
    if report is not None:
        tables["corners"] = report
    return Export("comparison", comparison.summary(), tables)


def write_export(export: Export, fmt: str, path: Path, *, force: bool = False) -> list[Path]:
    """Write `export` (refusing to replace a file unless `force`); the files written."""
    writer = get_format(fmt)
    targets = writer.targets(export, Path(path))
    existing = [t for t in targets if t.exists()]
    if existing and not force:
        raise ExportError(f"{existing[0]} already exists")
    for target in targets:
        if not target.parent.is_dir():
            raise ExportError(f"{target.parent}: no such folder")
    try:
        return writer.write(export, Path(path))
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from None


def read_export(path: Path, fmt: str | None = None) -> Export:
    """Read an export back (the format from the suffix unless given)."""
    path = Path(path)
    name = fmt or path.suffix.lstrip(".")
    return get_format(name).read(path)


# -- copying a session into another database -----------------------------------------------------------------------


def copy_session(source: Engine, session_id: int, target: Engine, *,
                 progress: Callable[[str], None] | None = None) -> int:
    """Copy a session (drivers, laps, events, sample blocks) into `target` (an open store); its new id."""
    s, d, lp, ev, b = (t.c for t in (sessions_table, drivers_table, laps_table, events_table, blocks_table))
    with source.connect() as conn:
        session = conn.execute(select(sessions_table).where(s.id == session_id)).mappings().first()
        if session is None:
            raise LapNotFound(f"no session {session_id}")
        drivers = conn.execute(select(drivers_table).where(d.session_id == session_id)).mappings().all()
        laps = conn.execute(select(laps_table).where(lp.session_id == session_id)).mappings().all()
        events = conn.execute(select(events_table).where(ev.session_id == session_id)).mappings().all()
    with target.begin() as conn:
        if session["source_hash"] is not None:
            known = conn.execute(select(s.id).where(s.source_hash == session["source_hash"],
                                                    s.source_index == session["source_index"])).scalar()
            if known is not None:
                raise ExportError(f"session {session_id} is already in the target database (as session {known})")
        row = {k: v for k, v in session.items() if k != "id"}
        new_id = int(conn.execute(insert(sessions_table).values(**row)).inserted_primary_key[0])  # type: ignore[index]
        driver_ids: dict[int, int] = {}
        for driver in drivers:
            values = {**{k: v for k, v in driver.items() if k != "id"}, "session_id": new_id}
            driver_ids[driver["id"]] = int(conn.execute(insert(drivers_table).values(**values))
                                           .inserted_primary_key[0])  # type: ignore[index]
        if laps:
            conn.execute(insert(laps_table), [{**{k: v for k, v in r.items() if k != "id"}, "session_id": new_id,
                                               "driver_id": driver_ids.get(r["driver_id"])} for r in laps])
        if events:
            conn.execute(insert(events_table), [{**{k: v for k, v in r.items() if k != "id"}, "session_id": new_id}
                                                for r in events])
        copied = 0
        with source.connect() as read:
            result = read.execute(select(blocks_table).where(b.session_id == session_id).order_by(b.id))
            while batch := result.mappings().fetchmany(200):  # blocks are blobs: a few at a time
                conn.execute(insert(blocks_table), [{**{k: v for k, v in r.items() if k != "id"},
                                                     "session_id": new_id} for r in batch])
                copied += len(batch)
                if progress is not None:
                    progress(f"{copied} sample blocks")
    return new_id
