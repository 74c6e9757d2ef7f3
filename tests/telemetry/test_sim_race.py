"""A seeded simulated race, recorded through the simulator host, run through the feed, against its ground truth.

Clean-lap mapping (simulator truth reason -> our reason). LFS sends nothing for a lock-up, a
missed shift, an over-rev, time lost in traffic or running wide without leaving the limits, so
those are invisible; everything else must show:

    race_start -> race_start      in_lap -> in_lap        out_lap -> out_lap
    pit_stop -> pit               drive_through, stop_go -> out_lap (LFS sends no IS_PIT for them)
    hotlap_invalid -> hlv         contact -> contact      object_hit -> object_hit
    spin -> yellow_flag (the spinning car causes a yellow: IS_FLG and CCI_YELLOW)
    truth["penalties"] handing out DT/SG/30 s/45 s on a lap -> penalty

Our extra reasons are `yellow_flag` for cars that passed a yellow and `slow` (107 %); `partial`
only for the client that joined mid-race.
"""

from __future__ import annotations

import bisect
from collections import Counter

import numpy as np
import pytest

from lfs_ayats.telemetry import events as E

from .conftest import FedRace
from .simrace import position_key

TRUTH_TO_OURS = {
    "race_start": "race_start", "in_lap": "in_lap", "out_lap": "out_lap", "pit_stop": "pit",
    "drive_through": "out_lap", "stop_go": "out_lap", "hotlap_invalid": "hlv", "contact": "contact",
    "object_hit": "object_hit", "spin": "yellow_flag",
}
INVISIBLE = frozenset({"lockup", "missed_shift", "over_rev", "traffic", "off_track"})
GIVEN_PENALTIES = frozenset({1, 3, 5, 6})  # PENALTY_DT, _SG, _30, _45
PENALTY_NAMES = {0: "none", 1: "dt", 2: "dt_valid", 3: "sg", 4: "sg_valid", 5: "p30", 6: "p45"}


def truth_laps(fed: FedRace) -> dict[tuple[int, int], dict]:  # type: ignore[type-arg]
    return {(lap["plid"], lap["lap"]): lap for lap in fed.race.truth["laps"]}


def our_laps(fed: FedRace) -> dict[tuple[int, int], E.LapCompleted]:
    laps = fed.of(E.LapCompleted)
    by_key = {(lap.plid, lap.lap): lap for lap in laps}
    assert len(by_key) == len(laps), "a lap was reported twice"
    return by_key


def expected_reasons(fed: FedRace) -> dict[tuple[int, int], set[str]]:
    """Our reasons each truth lap must carry."""
    out = {key: {TRUTH_TO_OURS[r] for r in lap["reasons"] if r in TRUTH_TO_OURS}
           for key, lap in truth_laps(fed).items()}
    for pen in fed.race.truth.get("penalties", []):
        if pen["new"] in GIVEN_PENALTIES and pen["new"] != pen["old"] and (pen["plid"], pen["lap"]) in out:
            out[(pen["plid"], pen["lap"])].add("penalty")
    return out


def test_the_seed_has_what_the_tests_need(fed_race: FedRace) -> None:
    truth = fed_race.race.truth
    kinds = Counter(i["kind"] for i in truth["incidents"])
    reasons = Counter(r for lap in truth["laps"] for r in lap["reasons"])
    assert kinds["contact"] and kinds["hotlap_invalid"] and kinds["spin"] and truth["pit_stops"], (
        f"the simulator changed: pick a seed with contacts, HLVs, spins and pit stops ({kinds}, {reasons})")
    assert sum(lap["clean"] for lap in truth["laps"]) >= 10


def test_every_lap_with_its_exact_time_splits_and_driver(fed_race: FedRace) -> None:
    truth = truth_laps(fed_race)
    ours = our_laps(fed_race)
    assert ours.keys() == truth.keys()
    names = {p["plid"]: (p["name"], p["user_name"]) for p in fed_race.race.truth["players"]}
    for key, lap in truth.items():
        mine = ours[key]
        assert mine.lap_time_ms == lap["time_ms"] and mine.elapsed_ms == lap["end_ms"], key
        assert list(mine.splits_ms) == lap["splits_ms"] and list(mine.sectors_ms) == lap["sectors_ms"], key
        assert (mine.driver, mine.user_name) == names[mine.plid]
    splits = Counter((s.plid, s.lap) for s in fed_race.of(E.SplitCompleted))
    assert splits == Counter({key: len(lap["splits_ms"]) for key, lap in truth.items()})


def test_clean_flags_and_reasons_match_the_truth(fed_race: FedRace) -> None:
    truth = truth_laps(fed_race)
    ours = our_laps(fed_race)
    expected = expected_reasons(fed_race)
    for key, mine in ours.items():
        visible = expected[key]
        unknown = set(truth[key]["reasons"]) - INVISIBLE - set(TRUTH_TO_OURS)
        assert not unknown, f"the simulator has new lap reasons {unknown}: map them in TRUTH_TO_OURS"
        if mine.clean:
            assert not visible, (key, truth[key]["reasons"])
        assert visible <= set(mine.reasons), (key, truth[key]["reasons"], mine.reasons)
        extra = set(mine.reasons) - visible
        assert extra <= {"yellow_flag", "slow"}, (key, truth[key]["reasons"], mine.reasons, mine.notes)
        if mine.clean:
            assert truth[key]["clean"] or set(truth[key]["reasons"]) <= INVISIBLE
    assert sum(lap.clean for lap in ours.values()) >= 8  # the check above is not vacuous


def test_incidents_match_the_truth(fed_race: FedRace) -> None:
    truth = fed_race.race.truth
    incidents = truth["incidents"]
    contacts = [i for i in incidents if i["kind"] == "contact"]
    assert sorted(tuple(sorted(c.plids)) for c in fed_race.of(E.Contact)) == sorted(
        {(min(i["plid"], i["detail"]["other_plid"]), max(i["plid"], i["detail"]["other_plid"])): i
         for i in contacts}.keys())
    hlvs = [i for i in incidents if i["kind"] == "hotlap_invalid"]
    assert sorted((h.plid, h.time_ms, h.reason) for h in fed_race.of(E.HotlapViolation)) == sorted(
        (i["plid"], i["time_ms"], i["detail"]["hlvc"]) for i in hlvs)
    hits = [i for i in incidents if i["kind"] == "object_hit"]
    assert sorted((h.plid, h.time_ms) for h in fed_race.of(E.ObjectHit)) == sorted(
        (i["plid"], i["time_ms"]) for i in hits)
    spins = [i for i in incidents if i["kind"] == "spin"]
    yellows = [f for f in fed_race.of(E.FlagChanged) if f.flag == "yellow" and f.on]
    assert sorted(f.plid for f in yellows) == sorted(i["plid"] for i in spins)
    stops = fed_race.of(E.PitStopStarted)
    assert sorted((s.plid, s.laps_done) for s in stops) == sorted(
        (p["plid"], p["laps_done"]) for p in truth["pit_stops"])
    assert sorted((s.plid, s.stop_time_ms) for s in fed_race.of(E.PitStopFinished)) == sorted(
        (p["plid"], p["duration_ms"]) for p in truth["pit_stops"])
    penalties = [(p.plid, p.old, p.new) for p in fed_race.of(E.PenaltyChanged)]
    assert penalties == [(p["plid"], PENALTY_NAMES[p["old"]], PENALTY_NAMES[p["new"]])
                         for p in truth.get("penalties", [])]


def test_results(fed_race: FedRace) -> None:
    results = {r.plid: r for r in fed_race.of(E.ResultConfirmed)}
    for row in fed_race.race.truth["results"]:
        if row["finished"]:
            assert results[row["plid"]].position == row["position"]
            assert results[row["plid"]].total_time_ms == row["total_time_ms"]
    winner = next(r["plid"] for r in fed_race.race.truth["results"] if r["position"] == 1)
    assert [f.winner_plid for f in fed_race.of(E.RaceFinished)] == [winner]


def test_a_client_that_joins_mid_race_gives_every_lap_to_the_right_driver(fed_late: FedRace) -> None:
    join_ms = fed_late.race.join_ms
    truth = truth_laps(fed_late)
    ours = our_laps(fed_late)
    names = {p["plid"]: p["name"] for p in fed_late.race.truth["players"]}
    assert ours.keys() == {key for key, lap in truth.items() if lap["end_ms"] > join_ms}
    expected = expected_reasons(fed_late)
    partial = 0
    for key, mine in ours.items():
        lap = truth[key]
        assert mine.driver == names[mine.plid] and mine.lap_time_ms == lap["time_ms"], key
        if lap["start_ms"] < join_ms:
            partial += 1
            assert "partial" in mine.reasons and not mine.clean
            seen = [s for s in mine.splits_ms if s is not None]
            assert seen == [s for s in lap["splits_ms"] if lap["start_ms"] + s > join_ms]
        else:
            assert list(mine.splits_ms) == lap["splits_ms"]
            assert expected[key] <= set(mine.reasons) and set(mine.reasons) - expected[key] <= {"yellow_flag", "slow"}
    assert partial == len(fed_late.race.truth["players"])  # every car was mid-lap when we joined


def test_outsim_indexed_distance_is_the_sims_lap_distance(fed_race: FedRace) -> None:
    samples = fed_race.of(E.MotionSample)
    assert len(samples) > 1000 and all(s.plid == 1 for s in samples)
    distance = fed_race.race.outsim_distance
    errors = [abs(s.lap_distance_m - distance[s.time_ms]) for s in samples]
    assert max(errors) < 1e-3  # float32 on the wire


def test_lap_distance_and_fraction_of_every_car(fed_race: FedRace) -> None:
    race = fed_race.race
    ruler = fed_race.feed.session.ruler
    assert ruler.length_m == pytest.approx(race.length_m, abs=0.05)  # from IndexedDistance at the line
    nodes = race.truth["track"]["nodes"]
    spacing = race.length_m / nodes
    learnt_ms = truth_laps(fed_race)[(1, 1)]["end_ms"]  # the viewed car has been round once
    errors, fraction_errors = [], []
    for ev in fed_race.of(E.CarSamples):
        snap = race.snapshots.get(position_key(np.round(ev.x_m * 65536)))
        if snap is None:
            continue
        truth = snap.lap_distance_m[ev.plid.astype(int) - 1]
        if ev.t * 1000 < learnt_ms:
            continue
        wrap = (ev.lap_distance_m - truth + race.length_m / 2) % race.length_m - race.length_m / 2
        errors.extend(np.abs(wrap).tolist())
        off = (ev.lap_fraction - truth / race.length_m + 0.5) % 1.0 - 0.5
        fraction_errors.extend(np.abs(off).tolist())
    assert len(errors) > 30_000
    assert np.percentile(errors, 99) < spacing and max(errors) < 1.5 * spacing  # within a path node
    assert max(fraction_errors) < 1.01 / nodes


def test_gap_and_interval_at_the_line_match_the_truth(fed_race: FedRace) -> None:
    samples = fed_race.of(E.CarSamples)
    times = [round(s.t * 1000) for s in samples]
    ends = {(lap["plid"], lap["lap"]): lap["end_ms"] for lap in fed_race.race.truth["laps"]}
    gap_errors: list[float] = []
    interval_errors: list[float] = []
    for (plid, lap), end in ends.items():
        i = bisect.bisect_left(times, end)
        ev = samples[i] if i < len(samples) else None
        if ev is None or (row := ev.row(plid)) is None:
            continue
        position = ev.position.astype(int)
        for errors, other, value in ((gap_errors, 1, ev.gap_to_leader_s[row]),
                                     (interval_errors, position[row] - 1, ev.interval_s[row])):
            if other < 1:
                continue
            them = int(ev.plid[position == other][0])
            if (them, lap) in ends and ends.get((them, lap + 1), 1 << 40) > ev.t * 1000:
                errors.append(abs(value - (end - ends[(them, lap)]) / 1000))
    assert len(gap_errors) >= 40 and len(interval_errors) >= 30
    assert max(gap_errors) < 0.15 and max(interval_errors) < 0.15


def test_accelerations_agree_with_the_simulator(fed_race: FedRace) -> None:
    along, across = [], []
    for ev in fed_race.of(E.CarSamples):
        snap = fed_race.race.snapshots.get(position_key(np.round(ev.x_m * 65536)))
        if snap is None:
            continue
        rows = ev.plid.astype(int) - 1
        moving = snap.moving[rows] & (snap.speed_mps[rows] > 10.0)
        along.extend(np.abs(ev.accel_long_mps2 - snap.accel_long_mps2[rows])[moving].tolist())
        across.extend(np.abs(ev.accel_lat_mps2 - snap.accel_lat_mps2[rows])[moving].tolist())
    along_a, across_a = np.array(along), np.array(across)
    assert np.isfinite(along_a).mean() > 0.99
    # The simulator reports its plan's acceleration; ours is the measured change over 0.1 s.
    assert np.nanmedian(along_a) < 0.3 and np.nanmedian(across_a) < 0.3
    assert np.nanpercentile(across_a, 90) < 1.0


def test_the_feed_counted_everything_and_found_nothing_wrong(fed_race: FedRace) -> None:
    counters = fed_race.feed.counters
    assert counters.decode_errors == counters.invalid == counters.incomplete_sets == counters.listener_errors == 0
    assert counters.packets["IS_MCI"] == counters.events["CarSamples"] > 3000  # 12 cars: one packet per set
    assert counters.packets["IS_LAP"] == counters.events["LapCompleted"] == len(fed_race.race.truth["laps"])
    assert counters.packets["OutSim2"] == counters.events["MotionSample"] > 1000
    assert counters.sent > 0 and counters.markers >= 1
