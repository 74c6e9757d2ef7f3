"""What happens in a simulated session, as frozen dataclasses in the order it happens.

Every event has ``time_ms`` (session time, integer milliseconds since the session or race
start) and ``plid`` (0 for session-wide events). Lap and split times are exact integers
that the ground-truth file repeats.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Event:
    time_ms: int
    plid: int


@dataclass(frozen=True)
class SessionStarted(Event):
    """The session clock starts (a race: the lights go out). IS_RST territory."""

    mode: str
    laps: int
    minutes: float


@dataclass(frozen=True)
class SplitCompleted(Event):
    """A car crossed split ``split`` (1..3); ``split_time_ms`` is from the start of its lap."""

    lap: int
    split: int
    split_time_ms: int
    elapsed_ms: int
    penalty: int = 0
    """The car's current penalty (LFS PENALTY_x), as IS_SPX reports it."""


@dataclass(frozen=True)
class LapCompleted(Event):
    """A car crossed the finish line and completed ``lap`` (1-based)."""

    lap: int
    lap_time_ms: int
    elapsed_ms: int
    splits_ms: tuple[int, ...]
    """Split times from the start of the lap, as in IS_SPX (one per split point)."""
    fuel_fraction: float
    pit_stops: int
    penalty: int = 0
    """The car's current penalty (LFS PENALTY_x), as IS_LAP reports it."""


@dataclass(frozen=True)
class PitLane(Event):
    """A car entered (``entered=True``) or left the pit lane. IS_PLA.

    ``serving`` is the penalty (PENALTY_DT or PENALTY_SG) the car entered to serve, else 0.
    """

    lap: int
    entered: bool
    serving: int = 0


@dataclass(frozen=True)
class PitStopStarted(Event):
    """A car stopped in its pit box. IS_PIT."""

    lap: int
    laps_done: int
    fuel_add_kg: float
    tyres_changed: bool
    penalty: int = 0


@dataclass(frozen=True)
class PitStopFinished(Event):
    """A car's pit stop is over after ``duration_ms``. IS_PSF."""

    lap: int
    duration_ms: int


@dataclass(frozen=True)
class Incident(Event):
    """A mistake or a contact, with its ground truth.

    ``kind`` is one of "lockup", "spin", "off_track", "missed_shift", "over_rev", "contact",
    "hotlap_invalid" (object hits are :class:`ObjectHit` events). A contact carries
    ``other_plid`` and ``closing_speed_mps`` in ``detail``; a hotlap_invalid carries ``hlvc``
    ("ground" or "wall") and its ``cause``.
    """

    kind: str
    lap: int
    lap_distance_m: float
    detail: dict[str, Any] = field(default_factory=dict, compare=True, hash=False)


@dataclass(frozen=True)
class PenaltyChanged(Event):
    """A car's penalty was given, became valid, turned into a time penalty or was cleared. IS_PEN.

    ``old`` and ``new`` are LFS PENALTY_x values and ``reason`` a PENR_x value (0 when cleared).
    """

    old: int
    new: int
    reason: int


@dataclass(frozen=True)
class ObjectHit(Event):
    """A car hit an object beside the track (a cone or tyres; not a layout object). IS_OBH.

    Position is the object's, in metres; ``object_index`` is LFS's AXO_x (0 = unknown object)
    and ``flags`` its OBH_x flags.
    """

    lap: int
    lap_distance_m: float
    closing_speed_mps: float
    x_m: float
    y_m: float
    z_m: float
    object_index: int
    flags: int


@dataclass(frozen=True)
class Finished(Event):
    """A car took the chequered flag. IS_FIN."""

    result_position: int
    laps_done: int
    total_time_ms: int
    """Race time including time penalties (as IS_FIN and IS_RES report it)."""
    best_lap_ms: int
    penalty: int = 0
    """The car's penalty at the flag (LFS PENALTY_x)."""
    penalty_s: int = 0
    """Time penalties in seconds, already in ``total_time_ms`` (IS_RES PSeconds)."""
    confirm: int = 2
    """LFS CONF_x flags: CONF_CONFIRMED plus CONF_PENALTY_30/45 for time penalties."""


@dataclass(frozen=True)
class Retired(Event):
    """A car is out of the session (stuck after a spin)."""

    lap: int
    reason: str


@dataclass(frozen=True)
class SessionEnded(Event):
    """Every car has finished or retired."""
