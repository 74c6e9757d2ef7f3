"""The simulated field: determinism, exact timing, truth, positions, incidents, pit stops, sessions."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lfs_ayats.sim.cars import get_car
from lfs_ayats.sim.drivers import Driver, make_drivers
from lfs_ayats.sim.events import (
    Event,
    Finished,
    Incident,
    LapCompleted,
    PitLane,
    PitStopFinished,
    PitStopStarted,
    SessionEnded,
    SessionStarted,
    SplitCompleted,
)
from lfs_ayats.sim.field import Field
from lfs_ayats.sim.incidents import MISTAKE_WEIGHTS

OFF_TRACK_KINDS = {"off_track", "spin", "hotlap_invalid"}


@dataclass
class Recording:
    field: Field
    events: list[Event]
    samples: list[dict[str, Any]] = field(default_factory=list)

    def of(self, kind: type[Event]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


def record(f: Field, step_ms: int = 100, sample_every: int = 5, until_ms: int = 3_000_000) -> Recording:
    rec = Recording(f, [])
    k = 0
    while not f.finished and f.time_ms < until_ms:
        rec.events.extend(f.step(step_ms))
        k += 1
        if k % sample_every == 0:
            s = f.cars
            rec.samples.append(
                {
                    name: np.array(getattr(s, name), copy=True)
                    for name in (
                        "lap",
                        "lap_distance_m",
                        "lateral_offset_m",
                        "x_m",
                        "y_m",
                        "z_m",
                        "heading_rad",
                        "speed_mps",
                        "rpm",
                        "gear",
                        "clutch",
                        "throttle",
                        "brake",
                        "in_pit_lane",
                        "retired",
                        "node",
                        "race_position",
                    )
                }
            )
    return rec


@pytest.fixture(scope="module")
def race() -> Recording:
    drivers = make_drivers(12, seed=11)
    drivers[3] = Driver(drivers[3].name, pace=drivers[3].pace, pit_lap=2, plate="PIT")
    return record(Field("GM1", drivers, "race", laps=4, seed=11, tick_ms=100))


@pytest.fixture(scope="module")
def qualifying() -> Recording:
    return record(Field("PK1", 8, "qualify", minutes=4, seed=5, tick_ms=100))


@pytest.fixture(scope="module")
def messy_practice() -> Recording:
    return record(Field("GM1", 10, "practice", minutes=16, seed=3, mistake_scale=4.0, tick_ms=200), step_ms=1000)


def test_same_seed_same_events_in_any_step_size() -> None:
    def run(seed: int, step_ms: int) -> list[Event]:
        return Field("PK1", 6, "race", laps=2, seed=seed, tick_ms=100).run(dt_ms=step_ms)

    a = run(7, 100)
    assert a == run(7, 700)
    assert a != run(8, 100)
    assert isinstance(a[0], SessionStarted) and isinstance(a[-1], SessionEnded)


def test_lap_and_split_times_are_exact_and_repeated_in_the_truth(race: Recording) -> None:
    truth = race.field.truth()
    laps = {(lap["plid"], lap["lap"]): lap for lap in truth["laps"]}
    completed = race.of(LapCompleted)
    assert len(completed) == len(laps) >= 12 * 3
    for e in completed:
        lap = laps[(e.plid, e.lap)]
        assert lap["time_ms"] == e.lap_time_ms
        assert lap["end_ms"] == e.time_ms == e.elapsed_ms
        assert lap["end_ms"] - lap["start_ms"] == e.lap_time_ms
        assert tuple(lap["splits_ms"]) == e.splits_ms
        assert sum(lap["sectors_ms"]) == e.lap_time_ms
        assert len(e.splits_ms) == len(race.field.track.split_distances)
        assert all(isinstance(t, int) for t in e.splits_ms)
    for e in race.of(SplitCompleted):
        lap = laps[(e.plid, e.lap)]
        assert lap["splits_ms"][e.split - 1] == e.split_time_ms
        assert e.elapsed_ms - e.split_time_ms == lap["start_ms"]
    # A player's laps follow one another without gaps and add up to the race time.
    for plid in race.field.plids:
        own = sorted((lap for lap in truth["laps"] if lap["plid"] == plid), key=lambda lap: lap["lap"])
        assert [lap["lap"] for lap in own] == list(range(1, len(own) + 1))
        assert own[0]["start_ms"] == 0
        assert all(a["end_ms"] == b["start_ms"] for a, b in pairwise(own))


def test_events_come_in_time_order(race: Recording) -> None:
    times = [e.time_ms for e in race.events]
    assert times == sorted(times)


def test_race_runs_to_the_flag(race: Recording) -> None:
    f = race.field
    finished = race.of(Finished)
    assert f.finished
    assert sorted(e.plid for e in finished) == sorted(f.plids)
    winner = finished[0]
    assert winner.result_position == 1 and winner.laps_done == 4
    assert [e.result_position for e in finished] == list(range(1, len(finished) + 1))
    assert all(e.laps_done >= 3 for e in finished)
    results = f.truth()["results"]
    assert [r["plid"] for r in results] == [e.plid for e in finished]
    # Race lap 1 starts from a standing grid, so it is the slowest.
    first = [lap for lap in f.truth()["laps"] if lap["lap"] == 1]
    assert all("race_start" in lap["reasons"] and not lap["clean"] for lap in first)


def test_positions_follow_the_order_on_track(race: Recording) -> None:
    for sample in race.samples[20:200:20]:
        pos = sample["race_position"]
        assert sorted(pos.tolist()) == list(range(1, len(pos) + 1))


def test_configured_pit_stop_happens(race: Recording) -> None:
    plid = 4
    started = [e for e in race.of(PitStopStarted) if e.plid == plid]
    done = [e for e in race.of(PitStopFinished) if e.plid == plid]
    lanes = [e for e in race.of(PitLane) if e.plid == plid]
    assert len(started) == len(done) == 1
    assert [e.entered for e in lanes] == [True, False]
    assert lanes[0].time_ms < started[0].time_ms < done[0].time_ms < lanes[1].time_ms
    assert started[0].laps_done == 2 and started[0].fuel_add_kg > 0
    stops = race.field.truth()["pit_stops"]
    assert len(stops) == 1
    stop = stops[0]
    assert stop["plid"] == plid and stop["duration_ms"] == done[0].duration_ms
    assert stop["entry_ms"] == lanes[0].time_ms and stop["exit_ms"] == lanes[1].time_ms
    laps = {lap["lap"]: lap for lap in race.field.truth()["laps"] if lap["plid"] == plid}
    assert "in_lap" in laps[2]["reasons"] and "pit_stop" in laps[3]["reasons"]
    assert laps[3]["time_ms"] > laps[4]["time_ms"] + 10_000


def test_cars_are_on_the_track(race: Recording, messy_practice: Recording) -> None:
    for rec in (race, messy_practice):
        track = rec.field.track
        incidents = rec.field.truth()["incidents"]
        for sample in rec.samples:
            d = sample["lap_distance_m"]
            half = 0.5 * track.sample(track.width, d)
            # The reported position is the point at that distance and offset, and projects back onto it.
            back = np.asarray(track.project(sample["x_m"], sample["y_m"]))
            err = (back - d + track.length_m / 2) % track.length_m - track.length_m / 2
            assert np.all(np.abs(err[~sample["in_pit_lane"]]) < 1.0)
            cx, cy, _, _ = track.point_at(d)
            from_centre = np.hypot(sample["x_m"] - cx, sample["y_m"] - cy)
            assert np.allclose(from_centre, np.abs(sample["lateral_offset_m"]), atol=1e-6)
            off = ~sample["in_pit_lane"] & (np.abs(sample["lateral_offset_m"]) > half + 1.0)
            for i in np.nonzero(off)[0].tolist():
                lap = int(sample["lap"][i])
                explained = any(
                    inc["plid"] == i + 1 and inc["kind"] in OFF_TRACK_KINDS and inc["lap"] in (lap, lap - 1)
                    for inc in incidents
                )
                assert explained or sample["retired"][i], (i + 1, lap, float(d[i]))


def test_speed_rpm_and_gear_agree_in_the_field(race: Recording) -> None:
    f = race.field
    checked = 0
    for sample in race.samples:
        for i in range(f.n_cars):
            gear = int(sample["gear"][i])
            speed = float(sample["speed_mps"][i])
            if gear < 1 or sample["clutch"][i] > 0.0 or speed < 3.0:
                continue
            car = get_car(f.car_code(i + 1))
            locked = float(car.engine_rpm(speed, gear))
            rpm = float(sample["rpm"][i])
            if rpm > car.redline_rpm:  # an over-rev: the engine follows the wheels past the limiter
                assert rpm == pytest.approx(locked, rel=0.03)
            else:
                assert rpm == pytest.approx(max(min(locked, car.redline_rpm), car.idle_rpm), rel=0.03)
            checked += 1
    assert checked > 1000
    for sample in race.samples:
        both = (sample["brake"] > 0.0) & (sample["throttle"] > 0.0)
        assert not both.any()


def test_nodes_and_headings_are_consistent(race: Recording) -> None:
    track = race.field.track
    for sample in race.samples[::10]:
        assert np.array_equal(sample["node"], track.node_at(sample["lap_distance_m"]))
        assert np.all(np.abs(sample["heading_rad"]) <= np.pi)


def test_qualifying_from_the_pits(qualifying: Recording) -> None:
    f = qualifying.field
    assert f.finished
    exits = [e for e in qualifying.of(PitLane) if not e.entered]
    assert {e.plid for e in exits} == set(f.plids)
    truth = f.truth()
    assert truth["mode"] == "qualify"
    kinds = Counter(lap["kind"] for lap in truth["laps"])
    assert kinds["flying"] > 8
    results = truth["results"]
    bests = [r["best_lap_ms"] for r in results if r["best_lap_ms"] > 0]
    assert bests == sorted(bests)
    for plid in f.plids:
        own = [lap for lap in truth["laps"] if lap["plid"] == plid]
        assert own, plid
    duration = f.duration_ms
    assert duration is not None
    assert all(e.time_ms >= duration for e in qualifying.of(Finished))


def test_incident_rates_are_roughly_as_configured(messy_practice: Recording) -> None:
    f = messy_practice.field
    truth = f.truth()
    laps = len(truth["laps"])
    assert laps > 40
    counts = Counter(i["kind"] for i in truth["incidents"])
    cuts = sum(1 for i in truth["incidents"] if i["kind"] == "hotlap_invalid" and i["detail"]["cause"] == "cut")
    mistakes = sum(counts[k] for k in MISTAKE_WEIGHTS if k != "cut") + cuts
    # Mistakes are planned on every timed lap and on the drive out of the garage.
    expected = laps * f.mistake_scale * float(np.mean([d.mistake_rate for d in f.drivers]))
    assert 0.5 * expected < mistakes < 1.6 * expected
    for kind in ("lockup", "off_track", "spin", "hotlap_invalid"):
        assert counts[kind] > 0, kind
    dirty = [lap for lap in truth["laps"] if lap["reasons"] and set(lap["reasons"]) & set(counts)]
    assert all(not lap["clean"] for lap in dirty)
    for inc in truth["incidents"]:
        assert 0.0 <= inc["lap_distance_m"] < f.track.length_m
        if inc["kind"] == "hotlap_invalid":
            assert inc["detail"]["hlvc"] in ("ground", "wall")
            lap = next(lap for lap in truth["laps"] if lap["plid"] == inc["plid"] and lap["lap"] == inc["lap"])
            assert not lap["hotlap_valid"]


def test_contacts_name_both_cars() -> None:
    events = Field("GM1", 20, "race", laps=2, seed=2, mistake_scale=3.0, tick_ms=50).run(dt_ms=1000)
    contacts = [e for e in events if isinstance(e, Incident) and e.kind == "contact"]
    assert contacts
    by_time = Counter((e.time_ms, frozenset((e.plid, e.detail["other_plid"]))) for e in contacts)
    assert set(by_time.values()) == {2}
    for e in contacts:
        other = next(o for o in contacts if o.time_ms == e.time_ms and o.plid == e.detail["other_plid"])
        assert other.detail["closing_speed_mps"] == e.detail["closing_speed_mps"] > 0
        assert {e.detail["role"], other.detail["role"]} == {"ahead", "behind"}


def test_forty_eight_cars_step_cheaply_enough_to_run() -> None:
    f = Field("HR1", 48, "race", laps=1, seed=1)
    for _ in range(300):
        f.step(10)
    s = f.cars
    assert s.x_m.shape == (48,) and s.velocity_mps.shape == (48, 3)
    assert np.all(s.speed_mps >= 0.0)
    assert len(set(f.plids)) == 48
    snap = f.snapshot(48)
    assert snap.plid == 48 and snap.car == "XFG" and snap.gear >= 0
    with pytest.raises(ValueError):
        Field("HR1", 49)


def test_truth_is_json(race: Recording, tmp_path: Path) -> None:
    truth = race.field.truth()
    text = json.dumps(truth)
    assert json.loads(text)["track"]["code"] == "GM1"
    assert {p["plid"] for p in truth["players"]} == set(race.field.plids)
    path = race.field.write_truth(tmp_path / "truth.json")
    assert json.loads(path.read_text())["seed"] == 11


def test_reported_motion_is_consistent_with_the_positions() -> None:
    f = Field("GM1", 3, "race", laps=1, seed=1)
    heading, yaw_rate, xy, velocity = [], [], [], []
    for _ in range(2500):
        f.step(10)
        s = f.cars
        heading.append(s.heading_rad[0])
        yaw_rate.append(s.yaw_rate_radps[0])
        xy.append((s.x_m[0], s.y_m[0]))
        velocity.append(s.velocity_mps[0, :2].copy())
    turn_rate = np.gradient(np.unwrap(np.array(heading)), 0.01)
    assert np.abs(turn_rate - np.array(yaw_rate))[100:].max() < 0.05
    moved = np.gradient(np.array(xy), 0.01, axis=0)
    assert np.abs(moved - np.array(velocity))[100:].max() < 0.5
