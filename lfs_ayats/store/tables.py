"""The tables. They hold no behaviour: writing is writer.py's, reading is queries.py's.

Times LFS measured are integer milliseconds (`*_ms`); feed times (`t_*`) are seconds on the
feed's clock (capture time for imports). Lists (splits, reasons, notes, details) are JSON.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import JSON, Column, Index, LargeBinary, Table, UniqueConstraint
from sqlmodel import Field, SQLModel

SOURCES = ("live", "capture", "import")


class SchemaVersion(SQLModel, table=True):
    __tablename__ = "schema_version"

    id: int = Field(default=1, primary_key=True)  # always 1: one row
    version: int
    written_by: str = ""  # the lfs-ayats version that last upgraded it


class StoredSession(SQLModel, table=True):
    """One race, qualifying or practice session (a restart makes a new one)."""

    __tablename__ = "sessions"
    __table_args__ = (
        UniqueConstraint("source_hash", "source_index"),
        Index("ix_sessions_track_started", "track", "started_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    track: str = ""  # e.g. "BL1"
    layout: str = ""  # an autocross layout name, if any
    cars: str = ""  # the car codes in the session, comma-separated
    mode: str = ""  # "race", "qualify", "practice"
    race_laps: int = 0
    race_hours: int = 0
    weather: int = 0
    wind: int = 0
    lfs_version: str = ""
    started_at: datetime | None = None  # wall clock, when known (capture header)
    t_start: float = 0.0
    t_end: float | None = None
    source: str = "live"  # one of SOURCES
    source_path: str = ""
    source_hash: str | None = None  # capture SHA-256: a second import is a no-op
    source_index: int = 0  # the n-th session of that capture


class Driver(SQLModel, table=True):
    """A player in a session (a PLID; a takeover or a rejoin under another name is another row)."""

    __tablename__ = "drivers"
    __table_args__ = (Index("ix_drivers_session_plid", "session_id", "plid"), Index("ix_drivers_name", "name"))

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="sessions.id", ondelete="CASCADE")
    plid: int
    ucid: int = 0
    name: str = ""
    user_name: str = ""
    plate: str = ""
    car: str = ""
    ai: bool = False


class Lap(SQLModel, table=True):
    """A completed lap. `lap` counts laps done (1 = the first); its samples have the same number."""

    __tablename__ = "laps"
    __table_args__ = (
        UniqueConstraint("session_id", "plid", "lap", "t_end"),
        Index("ix_laps_session_plid_lap", "session_id", "plid", "lap"),
        Index("ix_laps_driver", "driver"),
        Index("ix_laps_best", "track", "car", "clean", "time_ms"),
    )

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="sessions.id", ondelete="CASCADE")
    driver_id: int | None = Field(default=None, foreign_key="drivers.id")
    plid: int
    driver: str = ""  # denormalised: the laps table answers "laps of a driver" alone
    track: str = ""
    car: str = ""
    lap: int
    time_ms: int
    elapsed_ms: int = 0
    splits_ms: list[int | None] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    sectors_ms: list[int | None] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    clean: bool = False
    reason: str = ""  # the first reason (laps.REASONS order), "" when clean
    reasons: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    notes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    penalty: str = "none"
    pit_stops: int = 0
    fuel_fraction: float | None = None
    top_speed_mps: float | None = None
    t_start: float = 0.0
    t_end: float = 0.0


class StoredEvent(SQLModel, table=True):
    """Incidents, pits, penalties, flags, starts and finishes: `kind` says which, `detail` the rest."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_session_kind", "session_id", "kind"),
                      Index("ix_events_session_plid", "session_id", "plid", "lap"))

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="sessions.id", ondelete="CASCADE")
    kind: str  # see writer.EVENT_KINDS
    plid: int = 0  # 0: not about one car
    lap: int = 0  # the lap the car was driving (laps done + 1), 0 if unknown
    t: float = 0.0
    time_ms: int | None = None  # LFS's own time, when the packet has one
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class SampleBlock(SQLModel, table=True):
    """A block of one car's samples from one source within one lap, as compressed Arrow IPC.

    A lap is normally one block per source; the live writer's timed flushes (~1 s) may split it
    into several, which the read side concatenates by `t_start`.
    """

    __tablename__ = "sample_blocks"
    __table_args__ = (Index("ix_blocks_lookup", "session_id", "plid", "lap", "source", "t_start"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="sessions.id", ondelete="CASCADE")
    plid: int
    lap: int  # the lap being driven (laps done + 1): matches Lap.lap once completed
    source: str  # "cars" (IS_MCI), "gauge" (OutGauge), "motion" (OutSim)
    rows: int
    t_start: float
    t_end: float
    distance_min_m: float | None = None
    distance_max_m: float | None = None
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class CornerDef(SQLModel, table=True):
    """A corner of a track layout, detected once from a lap's path (analysis.corners) and renamable.

    Distances are on the lap that defined it (`length_m` long); laps of another length use the same
    fractions of their own length.
    """

    __tablename__ = "corner_defs"
    __table_args__ = (UniqueConstraint("track", "layout", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    track: str
    layout: str = ""
    number: int  # 1, 2, ... in lap order
    name: str = ""  # "T1" until renamed
    entry_m: float
    apex_m: float
    exit_m: float
    direction: str = ""  # "left" or "right"
    turn_deg: float = 0.0
    length_m: float = 0.0  # the defining lap's length on its axis
    axis: str = ""  # "indexed" or "projected"
    source_lap_id: int | None = None
    created_at: datetime | None = None


class AnomalyFlag(SQLModel, table=True):
    """A lap or a stretch of it that analysis.anomalies found unusual for that driver, with the reason in words.

    One row per flagged (lap, segment); `segment` is a corner ("T3"), a straight ("S3-4") or "lap".
    A new detection run for a session replaces that session's rows.
    """

    __tablename__ = "anomalies"
    __table_args__ = (Index("ix_anomalies_session", "session_id", "plid", "lap"),
                      Index("ix_anomalies_track_car", "track", "car"))

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="sessions.id", ondelete="CASCADE")
    lap_id: int | None = Field(default=None, foreign_key="laps.id", ondelete="CASCADE")
    plid: int
    lap: int
    driver: str = ""
    track: str = ""
    car: str = ""
    segment: str = "lap"
    start_m: float | None = None  # the segment on the lap's distance axis (None: the whole lap)
    end_m: float | None = None
    score: float = 0.0  # IsolationForest score_samples (lower = stranger); NaN-free: 0 with robust z alone
    max_z: float = 0.0  # the largest robust |z| behind the explanation
    method: str = "iforest"  # "iforest" or "robust_z" (too few laps for a forest)
    explanation: str = ""
    details: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime | None = None


# The Core tables, typed: the writer and the read side build statements on these (`.c.<column>`).
schema_version_table = cast(Table, SchemaVersion.__table__)  # type: ignore[attr-defined]
sessions_table = cast(Table, StoredSession.__table__)  # type: ignore[attr-defined]
drivers_table = cast(Table, Driver.__table__)  # type: ignore[attr-defined]
laps_table = cast(Table, Lap.__table__)  # type: ignore[attr-defined]
events_table = cast(Table, StoredEvent.__table__)  # type: ignore[attr-defined]
blocks_table = cast(Table, SampleBlock.__table__)  # type: ignore[attr-defined]
corner_defs_table = cast(Table, CornerDef.__table__)  # type: ignore[attr-defined]
anomalies_table = cast(Table, AnomalyFlag.__table__)  # type: ignore[attr-defined]
TABLES = [schema_version_table, sessions_table, drivers_table, laps_table, events_table, blocks_table,
          corner_defs_table, anomalies_table]
