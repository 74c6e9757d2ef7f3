"""The store's routes: sessions, laps, best laps, a lap's telemetry (JSON, CSV, Parquet), comparisons."""

from __future__ import annotations

import io
import json
from datetime import datetime
from typing import Annotated, Any, Literal

import polars as pl
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy import Engine

from lfs_ayats.store import queries
from lfs_ayats.store.sink import CAR_CHANNELS, GAUGE_CHANNELS, MOTION_CHANNELS
from lfs_ayats.telemetry.viewed_columns import MOTION_WHEEL_COLUMNS

from . import models
from .errors import BadParameter, NotFound

MAX_ID = 2**31 - 1  # ids are 32-bit integers in PostgreSQL: a larger one is simply not there
MAX_PAGE = 1000
SOURCE_CHANNELS = {"cars": CAR_CHANNELS, "gauge": GAUGE_CHANNELS, "motion": MOTION_CHANNELS + MOTION_WHEEL_COLUMNS}
ALWAYS = ("t", "plid", "lap")
PARQUET = "application/vnd.apache.parquet"
FORMATS = {"json": "application/json", "csv": "text/csv", "parquet": PARQUET}

# Names, codes and free text: printable, short (PostgreSQL refuses NUL bytes in text).
Text = Annotated[str | None, Query(max_length=64, pattern=r"^[^\x00-\x1f]*$")]
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
# An ISO 8601 date, or a date and time with an optional zone.
ISO_TIME = (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
            r"([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,6})?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)?$")


def get_engine(request: Request) -> Engine:
    return request.app.state.engine  # type: ignore[no-any-return]


EngineDep = Annotated[Engine, Depends(get_engine)]
router = APIRouter(prefix="/api/v1", responses={
    404: {"model": models.ApiError, "description": "No such session or lap."},
    422: {"model": models.ApiError, "description": "A parameter is missing, malformed or out of range."},
})


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, allow_nan=False, separators=(",", ":")), status, media_type="application/json")


def _session_or_404(engine: Engine, session_id: int) -> dict[str, Any]:
    rows, _ = queries.find_sessions(engine, session_id=session_id)
    if not rows:
        raise NotFound(f"no session {session_id}")
    return rows[0]


def _lap_or_404(engine: Engine, lap_id: int) -> dict[str, Any]:
    lap = queries.lap(engine, lap_id)
    if lap is None:
        raise NotFound(f"no lap {lap_id}")
    return lap


@router.get("/sessions", response_model=models.SessionPage, summary="Sessions, filtered and paginated")
def list_sessions(
    engine: EngineDep,
    track: Annotated[Text, Query(description="Track code, e.g. BL1 (any case).")] = None,
    car: Annotated[Text, Query(description="Sessions with this car in them, e.g. XFG.")] = None,
    driver: Annotated[Text, Query(description="Sessions this driver drove in (name or LFS user name, any case).")]
    = None,
    since: Annotated[str | None, Query(pattern=ISO_TIME, description="Started at or after: an ISO 8601 date or "
                                       "time, e.g. 2026-11-24 or 2026-11-24T18:30:00+01:00 (UTC if no zone).")]
    = None,
    until: Annotated[str | None, Query(pattern=ISO_TIME, description="Started at or before (as since).")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> Response:
    start, end = _time("since", since), _time("until", until)
    if start is not None and end is not None and queries.as_utc(start) > queries.as_utc(end):
        raise BadParameter("query parameter since", "is after until")
    rows, total = queries.find_sessions(engine, track=track, car=car, driver=driver, since=start, until=end,
                                        limit=limit, offset=offset)
    return _json({"total": total, "limit": limit, "offset": offset, "items": rows})


def _time(name: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise BadParameter(f"query parameter {name}", f"{value!r} is not a date or time: {exc}") from None


@router.get("/sessions/{session_id}", response_model=models.SessionDetail, summary="One session and its players")
def get_session(engine: EngineDep, session_id: Id) -> Response:
    found = _session_or_404(engine, session_id)
    return _json({**found, "players": queries.drivers(engine, session_id)})


@router.get("/sessions/{session_id}/laps", response_model=list[models.Lap], summary="A session's laps")
def session_laps(
    engine: EngineDep,
    session_id: Id,
    driver: Annotated[Text, Query(description="Only this driver (name, any case).")] = None,
    clean: Annotated[bool | None, Query(description="Only clean (true) or only unclean (false) laps.")] = None,
) -> Response:
    _session_or_404(engine, session_id)
    return _json(queries.laps(engine, session_id, driver=driver, clean=clean))


@router.get("/laps/best", response_model=list[models.Lap], summary="The fastest clean laps per track and car")
def best_laps(
    engine: EngineDep,
    track: Annotated[Text, Query(description="Only this track code (exact, e.g. BL1).")] = None,
    car: Annotated[Text, Query(description="Only this car code (exact, e.g. XFG).")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Laps per track and car.")] = 10,
) -> Response:
    return _json(queries.best_laps(engine, track, car, limit=limit))


@router.get("/laps/{lap_id}", response_model=models.Lap, summary="One lap")
def get_lap(engine: EngineDep, lap_id: Id) -> Response:
    return _json(_lap_or_404(engine, lap_id))


def _channels(source: str, asked: list[str] | None) -> list[str] | None:
    if not asked:
        return None
    names = [name.strip() for item in asked for name in item.split(",") if name.strip()]
    known = SOURCE_CHANNELS[source]
    for name in names:
        if name not in known and name not in ALWAYS:
            raise BadParameter("query parameter channels",
                               f"no channel {name!r} in source {source}; known: {', '.join(known)}")
    return names


def _format(asked: str | None, accept: str) -> str:
    if asked is not None:
        return asked
    accept = accept.lower()
    if "text/csv" in accept:
        return "csv"
    if "parquet" in accept:
        return "parquet"
    return "json"


@router.get(
    "/laps/{lap_id}/telemetry",
    response_model=models.Telemetry,
    summary="A lap's samples as JSON, CSV or Parquet",
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}},
                                 PARQUET: {"schema": {"type": "string", "format": "binary"}}},
                     "description": "JSON columns by default; CSV or Parquet by `format` or the Accept header."}},
)
def lap_telemetry(
    request: Request,
    engine: EngineDep,
    lap_id: Id,
    source: Annotated[Literal["cars", "gauge", "motion"], Query(
        description="cars: IS_MCI (every car, ~10 Hz); gauge: OutGauge; motion: OutSim (the viewed car).")] = "cars",
    channels: Annotated[list[str] | None, Query(
        description="Channels to return (repeat, or comma-separated); t, plid and lap always come.")] = None,
    distance_min: Annotated[float | None, Query(ge=0, allow_inf_nan=False, description="Lap metres, from.")] = None,
    distance_max: Annotated[float | None, Query(ge=0, allow_inf_nan=False, description="Lap metres, to.")] = None,
    format: Annotated[Literal["json", "csv", "parquet"] | None, Query(
        description="Overrides the Accept header (text/csv, application/vnd.apache.parquet).")] = None,
) -> Response:
    lap = _lap_or_404(engine, lap_id)
    wanted = _channels(source, channels)
    distance = None
    if distance_min is not None or distance_max is not None:
        if source == "gauge":
            raise BadParameter("query parameter distance_min", "the gauge source has no lap distance: "
                               "use source=cars or source=motion")
        lo = distance_min if distance_min is not None else 0.0
        hi = distance_max if distance_max is not None else float("inf")
        if lo > hi:
            raise BadParameter("query parameter distance_min", "is greater than distance_max")
        distance = (lo, hi)
    frame = queries.telemetry(engine, lap["session_id"], plid=lap["plid"], lap=lap["lap"], source=source,
                              channels=wanted, distance=distance)
    if wanted is not None:  # the distance filter may have brought its own column along
        frame = frame.select([c for c in (*ALWAYS, *wanted) if c in frame.columns])
        frame = frame.select(list(dict.fromkeys(frame.columns)))
    kind = _format(format, request.headers.get("accept", ""))
    if kind == "csv":
        return Response(frame.write_csv(), media_type="text/csv",
                        headers={"content-disposition": f'attachment; filename="lap-{lap_id}-{source}.csv"'})
    if kind == "parquet":
        out = io.BytesIO()
        frame.write_parquet(out)
        return Response(out.getvalue(), media_type=PARQUET,
                        headers={"content-disposition": f'attachment; filename="lap-{lap_id}-{source}.parquet"'})
    return _json({"lap_id": lap_id, "source": source, "rows": frame.height, "channels": frame.columns,
                  "columns": columns(frame)})


def columns(frame: pl.DataFrame) -> dict[str, list[Any]]:
    """Column lists with NaN and infinities as null (JSON has neither)."""
    floats = [c for c, t in frame.schema.items() if t.is_float()]
    if floats:
        frame = frame.with_columns([pl.when(pl.col(c).is_finite()).then(pl.col(c)).otherwise(None).alias(c)
                                    for c in floats])
    return frame.to_dict(as_series=False)


@router.get("/compare", response_model=models.Comparison, summary="A lap against a reference, aligned by distance")
def compare(
    engine: EngineDep,
    lap: Annotated[int, Query(ge=1, le=MAX_ID, description="The lap's id.")],
    ref: Annotated[str, Query(max_length=16, pattern=r"^(best|last|alltime|envelope|[1-9][0-9]{0,9})$",
                              description="best, last, alltime, envelope, or another lap's id.")] = "best",
    step_m: Annotated[float, Query(ge=0.5, le=50, allow_inf_nan=False, description="Grid step in metres.")] = 2.0,
) -> Response:
    from lfs_ayats.analysis.compare import NoReference, compare_laps
    from lfs_ayats.analysis.load import LapNotFound

    reference: str | int = int(ref) if ref.isdigit() else ref
    if isinstance(reference, int) and reference > MAX_ID:
        raise NotFound(f"no lap {reference}")
    try:
        result = compare_laps(engine, lap, reference, step_m=step_m)
    except LapNotFound as exc:
        raise NotFound(str(exc.args[0]) if exc.args else f"no lap {lap}") from None
    except NoReference as exc:
        raise NotFound(str(exc)) from None
    frame = result.frame
    return _json({
        "lap_id": result.lap_id, "label": result.label, "reference": result.reference,
        "reference_ids": list(result.reference_ids), "reference_label": result.reference_label, "axis": result.axis,
        "step_m": result.step_m, "length_m": result.length_m, "lap_time_ms": result.lap_time_ms,
        "reference_time_ms": _finite(result.reference_time_ms), "delta_s": _finite(result.delta_s),
        "official_delta_s": _finite(result.official_delta_s), "closure_ms": _finite(result.closure_ms),
        "rows": frame.height, "columns": columns(frame),
    })


def _finite(value: float | None) -> float | None:
    import math

    return None if value is None or not math.isfinite(value) else float(value)
