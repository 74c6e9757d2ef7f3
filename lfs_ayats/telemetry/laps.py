"""Laps per car: the lap in progress, its splits, and why it is not clean.

A lap collects *marks* (reason + note) from the InSim events that arrive while it is driven; at
IS_LAP it is classified. Reasons, in the order they are reported:

    partial      the feed did not see the lap begin (joined mid-lap, or the link was lost)
    race_start   lap 1 of a race
    out_lap      the car left the pit lane during the lap, or the lap began in the pit lane
    in_lap       the car entered the pit lane during the lap
    pit          the car stopped in its box during the lap (IS_PIT)
    hlv          IS_HLV: hotlap invalid (ground, wall, speeding, out of bounds)
    contact      IS_CON with this car
    object_hit   IS_OBH
    penalty      IS_PEN handing out a penalty (DT, SG, 30 s, 45 s)
    yellow_flag  the car caused a yellow (IS_FLG, CCI_YELLOW) or passed a car that was causing one
    slow         over 107 % of the player's best lap among laps with no other reason

`slow` is decided at IS_LAP with the best so far, and re-checked when a later lap sets a new best:
the laps before it then get `slow` (a `LapReclassified` each). Deciding it once would leave the
first laps of a session judged against a best that is itself slow; deciding only at the end
would give live views no answer. The other reasons are final at IS_LAP.

After joining from the garage a car drives to the line untimed (LFS starts the lap there); what
happens on that stretch (the pit exit) belongs to no lap, so the first timed lap is a flying lap.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from itertools import pairwise

from .events import LapCompleted, LapReclassified, SplitCompleted

REASONS = ("partial", "race_start", "out_lap", "in_lap", "pit", "hlv", "contact", "object_hit", "penalty",
           "yellow_flag", "slow")
SLOW_FACTOR = 1.07
SPLIT_TOLERANCE_MS = 2
"""A split belongs to a lap when its ETime - STime is the lap's start (ETime - LTime) within this."""


def lap_clock(ms: int) -> str:
    """89799 -> "1:29.799"."""
    return f"{ms // 60000}:{ms % 60000 / 1000:06.3f}"


@dataclass
class LapState:
    """One car's lap in progress (mutable; only the lap book changes it)."""

    plid: int
    lap: int = 0  # the lap being driven (laps done + 1); 0 = not known yet
    seen_start: bool = False  # the feed saw this lap begin
    timed: bool = True  # False between leaving the garage and the first line crossing
    join_seen: bool = False  # the feed saw the car join, so an untimed stretch hides nothing
    in_pit_lane: bool = False
    marks: list[tuple[str, str]] = field(default_factory=list)
    prelude: list[tuple[str, str]] = field(default_factory=list)  # marks while untimed
    splits: dict[int, tuple[int, int]] = field(default_factory=dict)  # split -> (split ms, elapsed ms)

    def mark(self, reason: str, note: str) -> None:
        (self.marks if self.timed else self.prelude).append((reason, note))

    def begin(self, lap: int, seen: bool) -> None:  # LapBook keeps `untimed` in step
        """A new lap starts (at the line, or at a race start)."""
        self.lap = lap
        self.seen_start = seen
        self.timed = True
        self.marks = []
        self.prelude = []
        self.splits = {}
        if self.in_pit_lane:
            self.mark("out_lap", "began in the pit lane")


@dataclass
class _Done:
    lap: int
    time_ms: int
    reasons: tuple[str, ...]
    notes: tuple[str, ...]


class LapBook:
    """Every car's lap in progress, and each player's completed laps (for the 107 % rule)."""

    def __init__(self) -> None:
        self.cars: dict[int, LapState] = {}
        self.untimed: set[int] = set()
        self._done: dict[int, list[_Done]] = {}
        self._best: dict[int, int] = {}

    def car(self, plid: int) -> LapState:
        state = self.cars.get(plid)
        if state is None:
            state = self.cars[plid] = LapState(plid)
        return state

    def best_ms(self, plid: int) -> int:
        """The player's best lap among laps with no reason but pace (0: none yet)."""
        return self._best.get(plid, 0)

    # -- session events ------------------------------------------------------------------------------

    def reset(self) -> None:
        """A new session (race start, qualifying start): bests and histories start again."""
        self._done.clear()
        self._best.clear()
        for state in self.cars.values():
            state.in_pit_lane = False

    def grid(self, plid: int, race: bool) -> None:
        """The car starts the session on the grid: lap 1 runs from the start signal."""
        state = self.car(plid)
        state.in_pit_lane = False
        state.begin(1, seen=True)
        self.untimed.discard(plid)
        state.join_seen = True
        if race:
            state.mark("race_start", "first lap of the race")

    def garage(self, plid: int, joined_seen: bool) -> None:
        """The car is in its box (joined, or left the garage): untimed until it crosses the line."""
        state = self.car(plid)
        state.in_pit_lane = False  # so that `begin` does not call the untimed run from the box an out lap
        state.begin(state.lap or 0, seen=False)
        state.timed = False
        state.join_seen = joined_seen
        state.in_pit_lane = True
        self.untimed.add(plid)

    def timing_started(self, plid: int) -> None:
        """The car crossed the line after leaving its box: its first timed lap starts here."""
        state = self.car(plid)
        if not state.timed:
            state.in_pit_lane = False  # the untimed stretch ends on the track
            state.begin(state.lap or 1, seen=state.join_seen)
        self.untimed.discard(plid)

    def gap(self) -> None:
        """The feed lost part of the stream: no lap in progress was fully seen."""
        for state in self.cars.values():
            state.seen_start = False
            state.join_seen = False

    def forget(self, plid: int) -> None:
        self.cars.pop(plid, None)
        self.untimed.discard(plid)

    # -- timing ----------------------------------------------------------------------------------------

    def split(self, event: SplitCompleted, fallback_lap: int) -> SplitCompleted:
        state = self.car(event.plid)
        state.splits[event.split] = (event.split_time_ms, event.elapsed_ms)
        lap = state.lap or fallback_lap
        return replace(event, lap=lap) if lap != event.lap else event

    def complete(self, event: LapCompleted, race: bool, splits: int) -> tuple[LapCompleted, list[LapReclassified]]:
        """Classify a finished lap, start the next one, and re-check earlier laps against a new best.

        `splits` is how many splits the track has (0: unknown, then the splits seen are used).
        """
        state = self.car(event.plid)
        marks = list(state.marks)
        seen = state.seen_start
        if not state.timed:
            # No line crossing was seen (no IS_MCI): the untimed stretch cannot be told apart.
            marks = state.prelude + marks
            seen = state.join_seen
        if not seen:
            marks.insert(0, ("partial", "the lap began before the feed saw this car"))
        if race and event.lap == 1 and not any(r == "race_start" for r, _ in marks):
            marks.append(("race_start", "first lap of the race"))
        splits_ms = self._splits(state, event, splits)
        reasons = _ordered(r for r, _ in marks)
        notes = tuple(note for _, note in marks)
        out: list[LapReclassified] = []
        best = self._best.get(event.plid, 0)
        if not reasons:
            if best == 0 or event.lap_time_ms < best:
                out = self._new_best(event, event.lap_time_ms)
                best = event.lap_time_ms
            elif event.lap_time_ms > SLOW_FACTOR * best:
                reasons, notes = ("slow",), (f"over 107 % of the best, {lap_clock(best)}",)
        self._done.setdefault(event.plid, []).append(_Done(event.lap, event.lap_time_ms, reasons, notes))
        bounds = [0, *splits_ms, event.lap_time_ms]
        sectors = tuple(None if a is None or b is None else b - a for a, b in pairwise(bounds))
        result = replace(event, splits_ms=splits_ms, sectors_ms=sectors, clean=not reasons, reasons=reasons,
                         notes=notes, best_lap_ms=best)
        state.begin(event.lap + 1, seen=True)
        self.untimed.discard(event.plid)
        return result, out

    def _splits(self, state: LapState, event: LapCompleted, count: int) -> tuple[int | None, ...]:
        start = event.elapsed_ms - event.lap_time_ms
        mine = {
            k: split_ms for k, (split_ms, elapsed) in state.splits.items()
            if abs(elapsed - split_ms - start) <= SPLIT_TOLERANCE_MS and 0 < split_ms < event.lap_time_ms
        }
        count = count or max(state.splits, default=0)
        return tuple(mine.get(k) for k in range(1, count + 1))

    def _new_best(self, event: LapCompleted, best: int) -> list[LapReclassified]:
        self._best[event.plid] = best
        out = []
        for done in self._done.get(event.plid, []):
            if not done.reasons and done.time_ms > SLOW_FACTOR * best:
                done.reasons = ("slow",)
                done.notes = (f"over 107 % of the best, {lap_clock(best)} (lap {event.lap})",)
                out.append(LapReclassified(event.t, plid=event.plid, lap=done.lap, clean=False, reasons=done.reasons,
                                           notes=done.notes))
        return out


def _ordered(reasons: object) -> tuple[str, ...]:
    found = set(reasons)  # type: ignore[call-overload]
    return tuple(r for r in REASONS if r in found) + tuple(sorted(found - set(REASONS)))
