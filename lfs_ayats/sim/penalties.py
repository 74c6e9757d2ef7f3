"""Race penalties as LFS hands them out: false starts, pit-lane speeding, serving, time penalties.

Values are LFS's own (PENALTY_x, PENR_x, CONF_x from InSim.txt). The sequence a client sees:

* given: IS_PEN(0 -> DT or SG, reason). Moving before the green light gives a drive-through;
  pit-lane speeding a drive-through, or a stop-go when 20 km/h or more over the limit (LFS
  manual, "Penalties"). A second penalty while one is still to serve makes it a stop-go.
* served: the car drives into the pit lane on a following lap (IS_PLA PITLANE_DT / _SG). A
  drive-through is done once the car has passed its own box without stopping, a stop-go once
  it has stood there for 10 s: IS_PEN(DT -> DT_VALID) or (SG -> SG_VALID), same reason
  ("VALID means the penalty can now be cleared"). When it leaves the lane LFS clears it:
  IS_PEN(DT_VALID -> 0, PENR_UNKNOWN), InSim.txt's "unknown or cleared penalty".
* not served: a penalty not served within 3 laps, or one given too late in the race to be
  served, becomes a 45 s time penalty: IS_PEN(DT -> PENALTY_45, reason); the 45 s go into the
  race time (IS_FIN/IS_RES TTime, IS_RES PSeconds, CONF_PENALTY_45). LFS can disqualify
  instead; the simulator always chooses the time penalty.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from lfs_ayats.packets.constants import CONF, PENALTY, PENR

FALSE_START_CHANCE = 0.03
"""Chance that a driver jumps a race start."""
PIT_SPEEDING_CHANCE = 0.05
"""Chance that a driver enters the pit lane too fast (each entry, in a race)."""
PIT_SPEEDING_EXCESS_MPS = (1.0, 8.0)
"""Range of the excess speed of a driver who enters too fast."""
STOP_GO_EXCESS_MPS = 20.0 / 3.6
"""Speeding by this much or more earns a stop-go instead of a drive-through."""
PIT_SPEED_TOLERANCE_MPS = 0.3
"""Excess the pit-lane check ignores (rounding in a plan, not a driver's doing)."""
STOP_GO_S = 10.0
SERVE_WITHIN_LAPS = 3
TIME_PENALTY = PENALTY.P45
TIME_PENALTY_S = 45
SERVE_DELAY_WEIGHTS: dict[int | None, float] = {1: 0.7, 2: 0.25, None: 0.05}
"""Laps after the penalty at whose end a driver drives in to serve it (None: never bothers)."""

PENDING = (PENALTY.DT, PENALTY.SG)
VALID = {PENALTY.DT: PENALTY.DT_VALID, PENALTY.SG: PENALTY.SG_VALID}


@dataclass
class CarPenalty:
    """One car's penalty state during a race."""

    value: int = int(PENALTY.NONE)
    reason: int = int(PENR.UNKNOWN)
    given_laps: int = 0
    """Laps the car had done when the pending penalty was given."""
    serve_at: int | None = None
    """The lap at whose end the car drives into the pit lane to serve it (None: it will not)."""
    serving: int = 0
    """The penalty this pit-lane visit serves (PENALTY_DT or _SG), 0 outside such a visit."""
    seconds: int = 0
    confirm: int = 0
    """CONF_PENALTY_x flags of the time penalties taken."""
    entered_pits: bool = False

    @property
    def pending(self) -> bool:
        return self.value in PENDING


def speeding_penalty(excess_mps: float) -> int:
    """DT or SG for entering the pit lane ``excess_mps`` over the limit."""
    return int(PENALTY.SG if excess_mps >= STOP_GO_EXCESS_MPS else PENALTY.DT)


def combined(current: int, new: int) -> int:
    """The penalty a car has after ``new`` is given on top of ``current``."""
    if current in PENDING:
        # One still to serve: a second one makes it a stop-go.
        return int(PENALTY.SG)
    return new


def draw_serve_delay(rng: random.Random) -> int | None:
    delays = list(SERVE_DELAY_WEIGHTS)
    return rng.choices(delays, list(SERVE_DELAY_WEIGHTS.values()))[0]


def serve_lap(laps_done: int, race_laps: int, delay: int | None, in_pit_visit: bool) -> int | None:
    """The lap at whose end the car drives in to serve a penalty given now, None if it will not.

    Plans are fixed a lap ahead, so the earliest is the end of the next lap (after the out lap
    when the penalty comes on a visit to the pits). A serve lap past the deadline is no serve.
    Raises ValueError when no lap is left to serve it in (the race ends first).
    """
    earliest = laps_done + (3 if in_pit_visit else 2)
    latest = min(laps_done + SERVE_WITHIN_LAPS, race_laps - 1)
    if earliest > latest:
        raise ValueError("too late in the race to serve a penalty")
    if delay is None or laps_done + 1 + delay > laps_done + SERVE_WITHIN_LAPS:
        return None
    return min(max(laps_done + 1 + delay, earliest), latest)


def take_time_penalty(pen: CarPenalty) -> int:
    """Book LFS's 45-second time penalty instead of a drive-through or stop-go; returns its value."""
    pen.serve_at = None
    pen.seconds += TIME_PENALTY_S
    pen.confirm |= int(CONF.PENALTY_45)
    return int(TIME_PENALTY)


def overdue(pen: CarPenalty, laps_done: int) -> bool:
    """A penalty still to serve after its deadline (a car in the lane to serve it is in time)."""
    return pen.pending and not pen.serving and laps_done >= pen.given_laps + SERVE_WITHIN_LAPS
