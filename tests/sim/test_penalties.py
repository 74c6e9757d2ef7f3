"""Penalties (false start, pit-lane speeding, serving, 45 s) and object hits, in the field and on the wire."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from lfs_ayats.packets.constants import CONF, ISF, OBH, PENALTY, PENR, PITLANE
from lfs_ayats.sim.drivers import Driver, make_drivers
from lfs_ayats.sim.events import (
    Event,
    Finished,
    Incident,
    LapCompleted,
    ObjectHit,
    PenaltyChanged,
    PitLane,
    PitStopFinished,
    PitStopStarted,
    SplitCompleted,
)
from lfs_ayats.sim.field import Field
from lfs_ayats.sim.host import HostConfig, SimHost

from .test_host import connect, settle

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

DT, DT_VALID, SG, SG_VALID, P45 = PENALTY.DT, PENALTY.DT_VALID, PENALTY.SG, PENALTY.SG_VALID, PENALTY.P45


def race(track: str, laps: int, seed: int = 1, n: int = 3, **first: Any) -> tuple[Field, list[Event]]:
    """A small race in which driver 1 is told what to do; returns the field and every event."""
    drivers = make_drivers(n, seed=seed)
    drivers[0] = Driver(drivers[0].name, pace=drivers[0].pace, **first)
    f = Field(track, drivers, "race", laps=laps, seed=seed, tick_ms=100)
    return f, f.run(dt_ms=1000)


def of(events: list[Event], kind: type[Event], plid: int = 1) -> list[Any]:
    return [e for e in events if isinstance(e, kind) and e.plid == plid]


def transitions(events: list[Event], plid: int = 1) -> list[tuple[int, int, int]]:
    return [(e.old, e.new, e.reason) for e in of(events, PenaltyChanged, plid)]


def penalty_at(events: list[Event], plid: int, t_ms: int) -> int:
    """The car's penalty value just before anything else happening at ``t_ms``."""
    value = 0
    for e in of(events, PenaltyChanged, plid):
        if e.time_ms < t_ms:
            value = e.new
    return value


def assert_truth_matches(f: Field, events: list[Event]) -> None:
    truth = [(p["plid"], p["time_ms"], p["old"], p["new"], p["reason"]) for p in f.truth()["penalties"]]
    got = [(e.plid, e.time_ms, e.old, e.new, e.reason) for e in events if isinstance(e, PenaltyChanged)]
    assert got == truth


def test_a_false_start_drive_through_is_served_and_cleared() -> None:
    f, events = race("PK1", 5, false_start=True, serve_after_laps=1)
    assert transitions(events) == [(0, DT, PENR.FALSE_START), (DT, DT_VALID, PENR.FALSE_START), (DT_VALID, 0, 0)]
    given, valid, cleared = of(events, PenaltyChanged)
    assert given.time_ms == 0
    assert_truth_matches(f, events)
    # In at the end of lap 2 to serve it, out on lap 3 without stopping: valid at the box, cleared at the exit.
    entry, exit_ = of(events, PitLane)
    assert entry.entered and entry.serving == DT and entry.lap == 2
    assert not exit_.entered and exit_.time_ms == cleared.time_ms
    assert entry.time_ms < valid.time_ms < cleared.time_ms
    assert not of(events, PitStopStarted)
    laps = {lap["lap"]: lap for lap in f.truth()["laps"] if lap["plid"] == 1}
    assert "in_lap" in laps[2]["reasons"] and {"out_lap", "drive_through"} <= set(laps[3]["reasons"])
    assert "pit_stop" not in laps[3]["reasons"]
    # Lap and split events carry the penalty the car had at that moment.
    for e in of(events, LapCompleted) + of(events, SplitCompleted):
        assert e.penalty == penalty_at(events, 1, e.time_ms + 1)
    assert [e.penalty for e in of(events, LapCompleted)] == [DT, DT, 0, 0, 0]  # cleared during lap 3
    (fin,) = of(events, Finished)
    assert fin.penalty == 0 and fin.penalty_s == 0 and fin.confirm == CONF.CONFIRMED


def test_a_penalty_not_served_within_three_laps_becomes_45_seconds() -> None:
    f, events = race("PK1", 5, false_start=True, serve_after_laps=3)
    assert transitions(events) == [(0, DT, PENR.FALSE_START), (DT, P45, PENR.FALSE_START)]
    _, late = of(events, PenaltyChanged)
    third = of(events, LapCompleted)[2]
    assert late.time_ms == third.time_ms and third.penalty == DT  # IS_LAP first, then the IS_PEN
    assert not of(events, PitLane)
    assert_truth_matches(f, events)
    (fin,) = of(events, Finished)
    last = of(events, LapCompleted)[-1]
    assert fin.total_time_ms == last.time_ms + 45_000
    assert fin.penalty == P45 and fin.penalty_s == 45 and fin.confirm == CONF.CONFIRMED | CONF.PENALTY_45
    result = next(r for r in f.truth()["results"] if r["plid"] == 1)
    assert result["total_time_ms"] == fin.total_time_ms and result["penalty_s"] == 45
    # The 45 s count in the classification: nobody who finished the same laps in less time is behind.
    results = f.truth()["results"]
    times = [r["total_time_ms"] for r in results if r["finished"] and r["laps_done"] == 5]
    assert times == sorted(times)


def test_too_late_to_serve_means_the_time_penalty_at_once() -> None:
    # Two laps: plans are fixed a lap ahead, so there is no lap left to come in on.
    _, events = race("PK1", 2, false_start=True)
    assert transitions(events) == [(0, P45, PENR.FALSE_START)]
    assert of(events, PenaltyChanged)[0].time_ms == 0
    (fin,) = of(events, Finished)
    assert fin.penalty_s == 45 and fin.total_time_ms == of(events, LapCompleted)[-1].time_ms + 45_000


def test_pit_lane_speeding_gives_a_drive_through() -> None:
    f, events = race("GM1", 6, pit_lap=2, pit_speeding_mps=3.0, serve_after_laps=1)
    assert transitions(events) == [(0, DT, PENR.SPEEDING), (DT, DT_VALID, PENR.SPEEDING), (DT_VALID, 0, 0)]
    assert_truth_matches(f, events)
    given = f.truth()["penalties"][0]
    assert given["lap"] == 2
    limit = f.track.pit.speed_limit_mps
    assert limit < given["detail"]["speed_mps"] <= limit + 3.0 + 0.01
    # Given on the way in to the planned stop, which still happens; served on the next visit.
    enter_stop, exit_stop, enter_dt, _ = of(events, PitLane)
    assert enter_stop.serving == 0 and enter_dt.serving == DT
    assert enter_stop.time_ms < of(events, PenaltyChanged)[0].time_ms < exit_stop.time_ms
    assert len(of(events, PitStopStarted)) == 1 and of(events, PitStopStarted)[0].penalty == DT
    # Only the first entry was too fast: the drive-through itself is clean.
    assert len(f.truth()["penalties"]) == 3


def test_much_too_fast_gives_a_stop_go_served_standing_10_seconds() -> None:
    f, events = race("PK1", 6, seed=2, pit_lap=2, pit_speeding_mps=9.0, serve_after_laps=1)
    assert transitions(events) == [(0, SG, PENR.SPEEDING), (SG, SG_VALID, PENR.SPEEDING), (SG_VALID, 0, 0)]
    given = f.truth()["penalties"][0]["detail"]
    assert given["speed_mps"] - given["limit_mps"] >= 20 / 3.6
    _, _, enter_sg, _ = of(events, PitLane)
    assert enter_sg.serving == SG
    # A stop-go is no pit stop: one IS_PIT/IS_PSF (the planned stop), and the stop-go lap loses 10 s more.
    assert len(of(events, PitStopStarted)) == len(of(events, PitStopFinished)) == 1
    laps = {lap["lap"]: lap for lap in f.truth()["laps"] if lap["plid"] == 1}
    sg_lap = next(n for n, lap in laps.items() if "stop_go" in lap["reasons"])
    assert laps[sg_lap]["time_ms"] > laps[sg_lap + 1]["time_ms"] + 10_000
    assert of(events, PenaltyChanged)[1].time_ms - enter_sg.time_ms > 10_000


def test_penalties_are_deterministic_in_any_step_size() -> None:
    def run(step_ms: int) -> list[Event]:
        drivers = make_drivers(4, seed=3)
        drivers[1] = Driver(drivers[1].name, false_start=True)
        return Field("PK1", drivers, "race", laps=4, seed=3, tick_ms=100, object_hit_chance=1.0).run(dt_ms=step_ms)

    a = run(100)
    assert a == run(900)
    assert any(isinstance(e, PenaltyChanged) for e in a)


def test_object_hits_happen_off_the_track_and_spoil_the_lap() -> None:
    f = Field("GM1", 8, "practice", minutes=8, seed=3, mistake_scale=4.0, object_hit_chance=1.0, tick_ms=200)
    events = f.run(dt_ms=2000)
    hits = [e for e in events if isinstance(e, ObjectHit)]
    assert hits
    records = [i for i in f.truth()["incidents"] if i["kind"] == "object_hit"]
    assert [(r["plid"], r["lap"], r["time_ms"]) for r in records] == [(e.plid, e.lap, e.time_ms) for e in hits]
    excursions = [
        e for e in events if isinstance(e, Incident) and (e.kind == "off_track" or e.detail.get("left_track"))
    ]
    laps = {(lap["plid"], lap["lap"]): lap for lap in f.truth()["laps"]}
    for hit, record in zip(hits, records, strict=True):
        assert hit.object_index == 0 and not hit.flags & OBH.LAYOUT
        assert hit.flags & ~int(OBH.CAN_MOVE | OBH.WAS_MOVING | OBH.ON_SPOT) == 0
        assert hit.closing_speed_mps > 0
        assert (record["detail"]["x_m"], record["detail"]["y_m"]) == (hit.x_m, hit.y_m)
        # After the car went off, on the same lap.
        assert any(x.plid == hit.plid and x.lap == hit.lap and x.time_ms <= hit.time_ms for x in excursions)
        lap = laps.get((hit.plid, hit.lap))
        if lap is not None:
            assert "object_hit" in lap["reasons"] and not lap["clean"]
    # A knocked object that is met again is still moving and no longer where it was.
    for hit in hits:
        if hit.flags & OBH.WAS_MOVING:
            assert hit.flags & OBH.CAN_MOVE and not hit.flags & OBH.ON_SPOT


async def test_the_host_sends_is_pen_is_pla_is_obh_and_penalised_results() -> None:
    drivers = make_drivers(4, seed=5)
    drivers[0] = Driver(drivers[0].name, pace=drivers[0].pace, false_start=True, serve_after_laps=1)
    drivers[1] = Driver(drivers[1].name, pace=drivers[1].pace, false_start=True, serve_after_laps=3)
    sim = Field("PK1", drivers, "race", laps=4, seed=5, mistake_scale=5.0, object_hit_chance=1.0)
    host = SimHost(sim, HostConfig(port=0))
    await host.start()
    try:
        obh = await connect(host, flags=ISF.OBH, interval=0)
        plain = await connect(host, flags=0, interval=0)
        while not sim.finished:
            await host.advance(2_000)
            await asyncio.sleep(0)
        await settle()
        truth = sim.truth()
        pens = [(p.PLID, p.OldPen, p.NewPen, p.Reason) for p in obh.named("IS_PEN")]
        assert pens == [(p["plid"], p["old"], p["new"], p["reason"]) for p in truth["penalties"]]
        assert [(p.PLID, p.OldPen, p.NewPen, p.Reason) for p in plain.named("IS_PEN")] == pens  # to everyone
        assert (1, DT, DT_VALID, PENR.FALSE_START) in pens and (2, DT, P45, PENR.FALSE_START) in pens
        facts = [(p.PLID, p.Fact) for p in obh.named("IS_PLA")]
        assert (1, PITLANE.DT) in facts and (1, PITLANE.EXIT) in facts
        # IS_LAP carries the penalty: car 2 still has its drive-through at the end of lap 3, then the 45 s.
        lap_pen = {(p.PLID, p.LapsDone): p.Penalty for p in obh.named("IS_LAP")}
        assert lap_pen[(2, 1)] == DT and lap_pen[(2, 3)] == DT and lap_pen[(2, 4)] == P45
        assert lap_pen[(1, 1)] == DT and lap_pen[(1, 4)] == 0
        # Object hits: only to the program that asked for them, one per truth record.
        hits = [i for i in truth["incidents"] if i["kind"] == "object_hit"]
        assert hits and len(obh.named("IS_OBH")) == len(hits) and not plain.named("IS_OBH")
        first, hit = obh.named("IS_OBH")[0], hits[0]
        assert (first.PLID, first.Time, first.Index) == (hit["plid"], hit["time_ms"], 0)
        assert first.SpClose & 0x0FFF == round(hit["detail"]["closing_speed_mps"] * 10)
        where = hit["detail"]
        assert [round(where["x_m"] * 16), round(where["y_m"] * 16)] == [first.X, first.Y]
        # Results: the 45 s are in TTime and PSeconds, flagged in Confirm; IS_FIN agrees.
        res = {r.PLID: r for r in obh.named("IS_RES")}
        fin = {f.PLID: f for f in obh.named("IS_FIN")}
        rows = {r["plid"]: r for r in truth["results"]}
        assert res[2].PSeconds == 45 and res[2].Confirm == CONF.CONFIRMED | CONF.PENALTY_45
        assert res[2].TTime == fin[2].TTime == rows[2]["total_time_ms"]
        assert fin[2].Confirm == res[2].Confirm
        assert res[1].PSeconds == 0 and res[1].Confirm == CONF.CONFIRMED
    finally:
        await host.stop()
