"""What the API answers, as pydantic models: they make the OpenAPI document, and responses are checked against it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ApiError(BaseModel):
    """Every error: a one-line message, and for bad parameters which ones and why."""

    message: str = Field(description="What went wrong, in one line.")
    errors: list[dict[str, Any]] | None = Field(default=None, description="Each bad parameter: where, what.")


class Session(BaseModel):
    id: int
    track: str = Field(description="Track code, e.g. BL1.")
    layout: str
    cars: str = Field(description="The car codes in the session, comma-separated.")
    mode: str = Field(description="race, qualify or practice.")
    race_laps: int
    race_hours: int
    weather: int
    wind: int
    lfs_version: str
    started_at: str | None = Field(description="Wall-clock start (ISO 8601, UTC), when known.")
    t_start: float
    t_end: float | None
    source: str = Field(description="live, capture or import.")
    source_path: str
    source_index: int
    laps: int = Field(description="Completed laps stored.")
    drivers: int


class SessionDriver(BaseModel):
    plid: int
    ucid: int
    name: str
    user_name: str
    plate: str
    car: str
    ai: bool


class SessionDetail(Session):
    players: list[SessionDriver]


class SessionPage(BaseModel):
    total: int = Field(description="Sessions matching the filters, on every page.")
    limit: int
    offset: int
    items: list[Session]


class Lap(BaseModel):
    id: int
    session_id: int
    driver: str
    plid: int
    car: str
    track: str
    lap: int = Field(description="Laps done: 1 is the first lap.")
    time_ms: int
    splits_ms: list[int | None]
    sectors_ms: list[int | None]
    clean: bool
    reason: str = Field(description="The first reason the lap is not clean, empty when clean.")
    reasons: list[str]
    notes: list[str]
    penalty: str
    pit_stops: int
    fuel_fraction: float | None
    top_speed_mps: float | None
    t_start: float
    t_end: float


class Telemetry(BaseModel):
    lap_id: int
    source: str = Field(description="cars (IS_MCI, every car), gauge (OutGauge) or motion (OutSim).")
    rows: int
    channels: list[str]
    columns: dict[str, list[float | int | None]] = Field(
        description="One list per channel, all of the same length; null where a value is unknown.")


class Comparison(BaseModel):
    lap_id: int | None
    label: str
    reference: str = Field(description="lap, best, last, alltime or envelope.")
    reference_ids: list[int | None]
    reference_label: str
    axis: str = Field(description="indexed (OutSim distance) or projected (onto the reference's path).")
    step_m: float
    length_m: float
    lap_time_ms: int | None
    reference_time_ms: float | None
    delta_s: float | None = Field(description="The lap's time minus the reference's, measured on the grid.")
    official_delta_s: float | None
    closure_ms: float | None
    rows: int
    columns: dict[str, list[float | int | None]] = Field(
        description="One row per grid point: s_m, delta_s, channels and their _ref, ...")


class LiveLinkStatus(BaseModel):
    source: str = Field(description="live (LFS), demo (the built-in simulator).")
    state: str = Field(description="connecting, connected, lost, retrying, refused or stopped.")
    detail: str
    clients: int = Field(description="WebSocket clients connected now.")


class Status(BaseModel):
    version: str
    sessions: int
    live: LiveLinkStatus | None = Field(description="null when the server has no live feed.")
    websocket: dict[str, Any]
