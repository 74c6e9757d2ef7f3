"""The read side: sessions, laps, best laps, and telemetry as polars DataFrames.

Functions take an engine and return plain dicts (for the CLI's --json and the UI) or DataFrames.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import polars as pl
from sqlalchemy import Engine, delete, func, insert, select

from .blocks import DISTANCE, decode
from .tables import anomalies_table, blocks_table, drivers_table, events_table, laps_table, sessions_table

LAP_FIELDS = ("id", "session_id", "driver", "plid", "car", "track", "lap", "time_ms", "splits_ms", "sectors_ms",
              "clean", "reason", "reasons", "notes", "penalty", "pit_stops", "fuel_fraction", "top_speed_mps",
              "t_start", "t_end")
SESSION_FIELDS = ("id", "track", "layout", "cars", "mode", "race_laps", "race_hours", "weather", "wind", "lfs_version",
                  "started_at", "t_start", "t_end", "source", "source_path", "source_index")


def _row(obj: Any, fields: Sequence[str]) -> dict[str, Any]:
    out = {f: obj._mapping[f] for f in fields}
    for key, value in out.items():
        if isinstance(value, datetime):
            out[key] = value.isoformat()
    return out


def create_session(engine: Engine, *, source: str = "live", **fields: Any) -> int:
    """A new session row (the live writer opens its own); returns its id."""
    fields.setdefault("started_at", datetime.now(UTC))
    with engine.begin() as conn:
        return int(conn.execute(insert(sessions_table).values(source=source, **fields)).inserted_primary_key[0])  # type: ignore[index]


def sessions(engine: Engine) -> list[dict[str, Any]]:
    """Every session, oldest first, with its lap and driver counts."""
    laps = select(laps_table.c.session_id, func.count().label("laps")).group_by(laps_table.c.session_id).subquery()
    drivers = (select(drivers_table.c.session_id, func.count().label("drivers"))
               .group_by(drivers_table.c.session_id).subquery())
    query = (select(sessions_table, laps.c.laps, drivers.c.drivers)
             .outerjoin(laps, laps.c.session_id == sessions_table.c.id)
             .outerjoin(drivers, drivers.c.session_id == sessions_table.c.id)
             .order_by(sessions_table.c.id))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    out = []
    for row in rows:
        item = {f: getattr(row, f) for f in SESSION_FIELDS}
        if isinstance(item["started_at"], datetime):
            item["started_at"] = item["started_at"].isoformat()
        item["laps"], item["drivers"] = row.laps or 0, row.drivers or 0
        out.append(item)
    return out


def session(engine: Engine, session_id: int) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(select(sessions_table).where(sessions_table.c.id == session_id)).first()
    return None if row is None else {f: getattr(row, f) for f in SESSION_FIELDS}


def laps(engine: Engine, session_id: int | None = None, *, driver: str | None = None, plid: int | None = None,
         clean: bool | None = None) -> list[dict[str, Any]]:
    """Laps in the order they were completed, by session, driver (name, any case), PLID, cleanliness."""
    query = select(laps_table)
    if session_id is not None:
        query = query.where(laps_table.c.session_id == session_id)
    if driver is not None:
        query = query.where(func.lower(laps_table.c.driver) == driver.lower())
    if plid is not None:
        query = query.where(laps_table.c.plid == plid)
    if clean is not None:
        query = query.where(laps_table.c.clean == clean)
    query = query.order_by(laps_table.c.session_id, laps_table.c.t_end, laps_table.c.id)
    with engine.connect() as conn:
        return [_row(r, LAP_FIELDS) for r in conn.execute(query).all()]


def lap(engine: Engine, lap_id: int) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(select(laps_table).where(laps_table.c.id == lap_id)).first()
    return None if row is None else _row(row, LAP_FIELDS)


def best_laps(engine: Engine, track: str | None = None, car: str | None = None, *,
              limit: int = 10) -> list[dict[str, Any]]:
    """The fastest clean laps per (track, car), `limit` of each, fastest first within a group."""
    query = select(laps_table).where(laps_table.c.clean == True)  # noqa: E712
    if track is not None:
        query = query.where(laps_table.c.track == track)
    if car is not None:
        query = query.where(laps_table.c.car == car)
    query = query.order_by(laps_table.c.track, laps_table.c.car, laps_table.c.time_ms, laps_table.c.id)
    out: list[dict[str, Any]] = []
    counts: dict[tuple[str, str], int] = {}
    with engine.connect() as conn:
        for row in conn.execute(query):
            key = (row.track, row.car)
            if counts.get(key, 0) < limit:
                counts[key] = counts.get(key, 0) + 1
                out.append(_row(row, LAP_FIELDS))
    return out


def events(engine: Engine, session_id: int, *, kind: str | Sequence[str] | None = None,
           plid: int | None = None) -> list[dict[str, Any]]:
    query = select(events_table).where(events_table.c.session_id == session_id)
    if kind is not None:
        kinds = [kind] if isinstance(kind, str) else list(kind)
        query = query.where(events_table.c.kind.in_(kinds))
    if plid is not None:
        query = query.where(events_table.c.plid == plid)
    query = query.order_by(events_table.c.t, events_table.c.id)
    fields = ("id", "session_id", "kind", "plid", "lap", "t", "time_ms", "detail")
    with engine.connect() as conn:
        return [{f: r._mapping[f] for f in fields} for r in conn.execute(query).all()]


def telemetry(engine: Engine, session_id: int, *, plid: int | None = None, lap: int | None = None,
              source: str = "cars", channels: Sequence[str] | None = None,
              distance: tuple[float, float] | None = None, time: tuple[float, float] | None = None) -> pl.DataFrame:
    """Samples of one source as a DataFrame (columns t, plid, lap and the channels), in time order.

    `distance` (lap metres) and `time` (feed seconds) are inclusive ranges; blocks outside them
    are not even read. `channels` None means all.
    """
    query = select(blocks_table.c.plid, blocks_table.c.lap, blocks_table.c.data).where(
        blocks_table.c.session_id == session_id, blocks_table.c.source == source)
    if plid is not None:
        query = query.where(blocks_table.c.plid == plid)
    if lap is not None:
        query = query.where(blocks_table.c.lap == lap)
    if time is not None:
        query = query.where(blocks_table.c.t_end >= time[0], blocks_table.c.t_start <= time[1])
    if distance is not None:
        query = query.where(blocks_table.c.distance_max_m >= distance[0],
                            blocks_table.c.distance_min_m <= distance[1])
    query = query.order_by(blocks_table.c.plid, blocks_table.c.t_start)
    wanted = None
    if channels is not None:
        wanted = ["t", *(c for c in channels if c != "t")]
        if distance is not None and DISTANCE not in wanted:
            wanted.append(DISTANCE)
    frames = []
    with engine.connect() as conn:
        for block_plid, block_lap, data in conn.execute(query):
            frame = decode(data, wanted)
            frames.append(frame.with_columns(pl.lit(block_plid, pl.Int32).alias("plid"),
                                             pl.lit(block_lap, pl.Int32).alias("lap")))
    if not frames:
        return pl.DataFrame({"t": [], "plid": [], "lap": []},
                            schema={"t": pl.Float64, "plid": pl.Int32, "lap": pl.Int32})
    frame = pl.concat(frames, how="diagonal_relaxed").sort(["plid", "t"])
    if time is not None:
        frame = frame.filter(pl.col("t").is_between(time[0], time[1]))
    if distance is not None:
        frame = frame.filter(pl.col(DISTANCE).is_between(distance[0], distance[1]))
    first = ["t", "plid", "lap"]
    rest = [c for c in frame.columns if c not in first]
    if channels is not None:
        rest = [c for c in channels if c in frame.columns and c not in first]
    return frame.select(first + rest)


def lap_telemetry(engine: Engine, lap_id: int, *, source: str = "cars", channels: Sequence[str] | None = None,
                  distance: tuple[float, float] | None = None) -> pl.DataFrame:
    """One lap's samples (see `telemetry`)."""
    found = lap(engine, lap_id)
    if found is None:
        raise KeyError(f"no lap {lap_id}")
    return telemetry(engine, found["session_id"], plid=found["plid"], lap=found["lap"], source=source,
                     channels=channels, distance=distance)


ANOMALY_FIELDS = ("id", "session_id", "lap_id", "plid", "lap", "driver", "track", "car", "segment", "start_m", "end_m",
                  "score", "max_z", "method", "explanation", "details", "created_at")


def replace_anomalies(engine: Engine, session_id: int, flags: Sequence[dict[str, Any]]) -> int:
    """Store a detection run's flags for a session, replacing the session's earlier ones; returns the count."""
    now = datetime.now(UTC)
    columns = set(anomalies_table.c.keys()) - {"id"}
    rows = [{**{k: v for k, v in f.items() if k in columns}, "session_id": session_id, "created_at": now}
            for f in flags]
    with engine.begin() as conn:
        conn.execute(delete(anomalies_table).where(anomalies_table.c.session_id == session_id))
        if rows:
            conn.execute(insert(anomalies_table), rows)
    return len(rows)


def anomalies(engine: Engine, session_id: int | None = None, *, plid: int | None = None,
              lap: int | None = None) -> list[dict[str, Any]]:
    """Stored anomaly flags in lap order (by session, car, lap; all sessions when `session_id` is None)."""
    query = select(anomalies_table)
    if session_id is not None:
        query = query.where(anomalies_table.c.session_id == session_id)
    if plid is not None:
        query = query.where(anomalies_table.c.plid == plid)
    if lap is not None:
        query = query.where(anomalies_table.c.lap == lap)
    query = query.order_by(anomalies_table.c.session_id, anomalies_table.c.plid, anomalies_table.c.lap,
                           anomalies_table.c.start_m, anomalies_table.c.id)
    with engine.connect() as conn:
        return [_row(r, ANOMALY_FIELDS) for r in conn.execute(query).all()]
