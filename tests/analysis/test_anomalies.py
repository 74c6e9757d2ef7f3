"""Anomalies: precision and recall on the seeded race, explanations on the right corner, the robust-z
fallback, determinism, storage and the CLI."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from lfs_ayats.analysis.anomalies import (
    MIN_LAPS_FOREST,
    LapInput,
    detect,
    detect_segments,
    drive_gaps,
    extract_features,
    lap_inputs,
    no_drive,
    segments_from_corners,
)
from lfs_ayats.analysis.trace import LapTimeline
from lfs_ayats.cli import app
from lfs_ayats.store import queries
from tests.analysis.anomaly_race import small_race


def _inputs() -> list[LapInput]:
    engine = small_race().engine()
    laps = queries.laps(engine, 1)
    return lap_inputs(queries.telemetry(engine, 1, channels=("lap_distance_m", "speed_mps")), laps)


@pytest.mark.parametrize(("segments", "precision"), [("corners", 0.8), ("speed", 0.7)])
def test_precision_and_recall_against_the_truth(segments: str, precision: float) -> None:
    from benchmarks.anomalies import anomaly_scores, corner_segments

    inputs = _inputs()
    chosen = corner_segments(small_race().engine(), inputs) if segments == "corners" else None
    assert segments == "speed" or (chosen and chosen[1].name == "T1")
    scores = anomaly_scores(inputs, small_race().truth, chosen)
    assert scores["positives"] >= 4 and scores["laps"] >= 50
    # Measured on this race with the layout's corners: precision 1.0, recall 1.0 (the three missed shifts by their
    # drive gaps); with the median speed's troughs instead of corners, precision 0.75.
    assert scores["precision"] >= precision
    assert scores["recall_without_missed_shifts"] >= 0.8
    assert segments == "speed" or scores["recall"] >= 0.8
    assert scores["right_corner"] >= 0.8  # the flag names the corner where the incident happened


def test_detection_is_deterministic() -> None:
    inputs = _inputs()
    assert [f.as_row() for f in detect(inputs)] == [f.as_row() for f in detect(inputs)]


def _slowed(trace: LapTimeline, start_m: float, end_m: float, loss_s: float, v_drop: float) -> LapTimeline:
    """The same lap with `loss_s` lost and the speed `v_drop` m/s lower between start_m and end_m."""
    s = trace.distance_m
    inside = (s >= start_m) & (s <= end_m)
    ramp = np.clip((s - start_m) / (end_m - start_m), 0.0, 1.0)
    return replace(trace, elapsed_s=trace.elapsed_s + loss_s * ramp, speed_mps=trace.speed_mps - v_drop * inside,
                   lap_time_s=trace.lap_time_s + loss_s)


def test_with_few_laps_robust_z_alone_flags_and_names_the_corner() -> None:
    inputs = _inputs()
    free = sorted({i.driver for i in inputs}, key=lambda d: (-sum(i.driver == d and not i.traffic for i in inputs), d))
    laps = [replace(i, traffic=()) for i in inputs if i.driver == free[0]]
    already = {f.lap_id for f in detect(laps, min_laps_forest=len(laps) + 1)}
    mine = [i for i in laps if i.lap_id not in already][:8]  # laps robust z finds nothing in
    assert 3 <= len(mine) < MIN_LAPS_FOREST and not detect(mine)
    segments = detect_segments([i.trace for i in inputs])
    corner = next(s for s in segments if s.kind == "corner" and s.name == "T3")
    bad = mine[-1]
    mine[-1] = replace(bad, trace=_slowed(bad.trace, corner.start_m, corner.end_m, 1.5, 5.0))
    flags = detect(mine, segments)
    assert flags and all(f.method == "robust_z" and f.lap_id == bad.lap_id for f in flags)
    t3 = [f for f in flags if f.segment == "T3"]
    assert t3 and t3[0].explanation.startswith("T3: ") and "km/h low" in t3[0].explanation
    assert "s lost" in t3[0].explanation


def test_traffic_explains_a_small_loss() -> None:
    inputs = [replace(i, traffic=()) for i in _inputs()]
    segments = detect_segments([i.trace for i in inputs])
    corner = next(s for s in segments if s.name == "T5")
    k = 20
    slowed = replace(inputs[k], trace=_slowed(inputs[k].trace, corner.start_m, corner.end_m, 0.25, 1.5))
    alone = detect([*inputs[:k], slowed, *inputs[k + 1:]], segments)
    assert any(f.lap_id == slowed.lap_id and f.segment == "T5" for f in alone)
    followed = replace(slowed, traffic=((corner.start_m - 50.0, corner.end_m),))
    with_traffic = detect([*inputs[:k], followed, *inputs[k + 1:]], segments)
    assert not any(f.lap_id == slowed.lap_id and f.segment == "T5" for f in with_traffic)


def test_a_lap_that_fell_back_from_the_car_ahead_is_not_excused_by_traffic() -> None:
    inputs = [replace(i, traffic=(), leaders=()) for i in _inputs()]
    segments = detect_segments([i.trace for i in inputs])
    corner = next(s for s in segments if s.name == "T6")
    clean = {f.lap_id for f in detect(inputs, segments)}
    k = next(n for n, i in enumerate(inputs) if n > 10 and i.lap_id not in clean)
    slowed = replace(inputs[k], trace=_slowed(inputs[k].trace, corner.start_m, corner.end_m, 0.7, 1.0))
    close = (corner.start_m - 50.0, corner.end_m)

    def t6(lap: LapInput) -> bool:
        return any(f.lap_id == lap.lap_id and f.segment == "T6" for f in detect([*inputs[:k], lap, *inputs[k + 1:]],
                                                                                 segments))

    assert t6(slowed)
    assert not t6(replace(slowed, traffic=(close,)))  # close behind someone, whoever it was: traffic
    # Behind a car that drove T6 as this lap normally does, it fell back 0.7 s: its own loss.
    assert t6(replace(slowed, traffic=(close,), leaders=((*close, inputs[k].trace),)))
    # Behind a car as slow as itself there: held up.
    assert not t6(replace(slowed, traffic=(close,), leaders=((*close, slowed.trace),)))


def _coasting(trace: LapTimeline, at_m: float, seconds: float, end_m: float) -> LapTimeline:
    """The lap without drive for `seconds` from `at_m` (speed held), the speed deficit fading out by `end_m`."""
    s, v = trace.distance_m, trace.speed_mps
    v0 = float(trace.speed_at(at_m))
    stop = at_m + v0 * seconds
    deficit = float(trace.speed_at(stop)) - v0
    new = np.where((s >= at_m) & (s <= stop), np.minimum(v, v0), v)
    new = np.where((s > stop) & (s < end_m), v - deficit * (end_m - s) / (end_m - stop), new)
    pace = 1 / new - 1 / v
    extra = np.r_[0.0, np.cumsum(np.diff(s) * 0.5 * (pace[1:] + pace[:-1]))]
    return replace(trace, speed_mps=new, elapsed_s=trace.elapsed_s + extra, lap_time_s=trace.lap_time_s + extra[-1])


def test_a_missed_shift_on_a_straight_is_time_without_drive() -> None:
    from benchmarks.anomalies import corner_segments

    inputs = [replace(i, traffic=(), leaders=()) for i in _inputs()]
    segments = corner_segments(small_race().engine(), inputs)
    assert segments is not None
    straight = next(s for s in segments if s.name == "T3-T4")
    k = 11
    laps = [*inputs[:k], replace(inputs[k], trace=_coasting(inputs[k].trace, straight.start_m + 30, 1.5,
                                                               straight.end_m)), *inputs[k + 1:]]
    coasting = no_drive(laps, segments)["T3-T4"]
    assert 1.3 <= coasting[k] <= 1.6  # 2 m grid at ~30 m/s: ±0.1 s
    assert np.median(coasting) < 0.2
    flags = [f for f in detect(laps, segments) if f.lap_id == laps[k].lap_id]
    assert [f.segment for f in flags] == ["T3-T4"] and "no drive for 1." in flags[0].explanation


def test_the_missed_shifts_of_the_seeded_race_are_flagged_where_they_happened() -> None:
    from benchmarks.anomalies import MARGIN_M, corner_segments

    inputs = _inputs()
    flags = detect(inputs, corner_segments(small_race().engine(), inputs))
    scored = {(i.plid, i.lap) for i in inputs}
    shifts = [i for i in small_race().truth["incidents"]
              if i["kind"] == "missed_shift" and (i["plid"], i["lap"]) in scored]
    assert len(shifts) >= 2  # the three of this race: 0.57-0.66 s in neutral, two at 126 km/h, one at 90
    for shift in shifts:
        at = shift["lap_distance_m"]
        mine = [f for f in flags
                if (f.plid, f.lap) == (shift["plid"], shift["lap"]) and "no drive for" in f.explanation]
        assert len(mine) == 1, shift
        flag = mine[0]
        assert flag.start_m is not None and flag.end_m is not None
        assert flag.start_m - MARGIN_M <= at <= flag.end_m + MARGIN_M
        assert flag.explanation.startswith(f"{flag.segment}: no drive for 0.") and "(missed shift?)" in flag.explanation
        assert "km/h down" in flag.explanation and " s lost" in flag.explanation
        gap = next(d for d in flag.details if d["feature"] == "no_drive_s")
        assert at <= gap["start_m"] <= at + MARGIN_M  # the gap begins once the speed stops rising: just after
        assert gap["lost_kmh"] > 1.0 and gap["value"] >= 0.3


def test_a_car_held_up_in_traffic_has_no_drive_gap_of_its_own() -> None:
    from benchmarks.anomalies import corner_segments

    inputs = [replace(i, traffic=(), leaders=()) for i in _inputs()]
    segments = corner_segments(small_race().engine(), inputs)
    assert segments is not None
    straight = next(s for s in segments if s.name == "T3-T4")
    k = 11
    own = inputs[k].trace
    lifted = _coasting(own, straight.start_m + 30, 0.8, straight.end_m)
    close = (straight.start_m, straight.start_m + 120.0)

    def gap_flags(lap: LapInput) -> list[str]:
        laps = [*inputs[:k], lap, *inputs[k + 1:]]
        return [f.explanation for f in detect(laps, segments) if f.lap_id == lap.lap_id and "no drive" in f.explanation]

    alone = gap_flags(replace(inputs[k], trace=lifted))
    # 0.8 s with the speed held: 0.7-0.8 s between 10 Hz samples.
    assert len(alone) == 1 and alone[0].startswith(("T3-T4: no drive for 0.7 s at ", "T3-T4: no drive for 0.8 s at "))
    assert "(missed shift?)" in alone[0]
    # Close behind a car that stopped accelerating there too: held up, the car ahead's doing.
    assert gap_flags(replace(inputs[k], trace=lifted, traffic=(close,), leaders=((*close, lifted),))) == []
    # Close behind someone unknown (no lap to compare with): given to the traffic as well.
    assert gap_flags(replace(inputs[k], trace=lifted, traffic=(close,))) == []
    # Close behind a car that drove on as usual: it pulled away, so the lost drive is this car's own.
    assert gap_flags(replace(inputs[k], trace=lifted, traffic=(close,), leaders=((*close, own),))) == alone


def test_a_lift_into_a_braking_zone_is_not_a_drive_gap() -> None:
    from benchmarks.anomalies import corner_segments

    inputs = [replace(i, traffic=(), leaders=()) for i in _inputs()]
    segments = corner_segments(small_race().engine(), inputs)
    assert segments is not None
    corner = next(s for s in segments if s.name == "T4")
    k = 11
    trace = inputs[k].trace
    brake = float(trace.distance_m[np.argmax(trace.speed_mps * (trace.distance_m < corner.apex_m) *
                                             (trace.distance_m > corner.start_m - 200))])
    # Speed held flat for the last ~60 m before the braking point: no drive, but no drive after it either.
    held = replace(trace, speed_mps=np.where((trace.distance_m > brake - 60) & (trace.distance_m <= brake),
                                             np.minimum(trace.speed_mps, trace.speed_at(brake - 60)), trace.speed_mps))
    laps = [*inputs[:k], replace(inputs[k], trace=held), *inputs[k + 1:]]
    assert drive_gaps(laps)[k] == []
    assert drive_gaps([replace(i, trace=_coasting(i.trace, corner.start_m - 150, 0.8, corner.start_m - 20))
                       if n == k else i for n, i in enumerate(inputs)])[k]  # the same car, driving on after: a gap


def test_the_straight_across_the_line_is_two_segments_with_their_own_features() -> None:
    from types import SimpleNamespace

    corners = [SimpleNamespace(name=f"T{i}", entry_m=e, apex_m=e + 20.0, exit_m=e + 40.0)
               for i, e in ((1, 200.0), (2, 900.0))]
    segments = segments_from_corners(corners, 1500.0)
    assert [s.name for s in segments] == ["line-T1", "T1", "T1-T2", "T2", "T2-line"]
    features = extract_features(_inputs()[:5], segments)
    assert {("line-T1", "time"), ("T2-line", "time")} <= set(features.columns)


def _cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("LFS_AYATS_CONFIG_DIR", str(tmp_path / "config"))
    import shutil

    race = small_race()
    copy = tmp_path / "race.sqlite3"
    shutil.copy(race.db_url.removeprefix("sqlite:///"), copy)
    return f"sqlite:///{copy}"


def test_cli_anomalies_stores_and_lists_the_flags(db: str) -> None:
    code, out, _ = _cli("anomalies", "1", "--json", "--db", db)
    assert code == 0
    flags = json.loads(out)
    assert flags and all(f["session_id"] == 1 and f["explanation"].startswith(f["segment"] + ": ") for f in flags)
    assert {f["method"] for f in flags} == {"iforest"}
    code, text, _ = _cli("anomalies", "1", "--db", db)
    assert code == 0 and len(text.strip().splitlines()) == len(flags)
    assert text.startswith(f"lap {flags[0]['lap']} ({flags[0]['driver']}): {flags[0]['explanation']}")
    from lfs_ayats.store.engine import open_store

    assert len(queries.anomalies(open_store(db), 1)) == len(flags)  # a second run replaced the first
    code, out, _ = _cli("db", "info", "--json", "--db", db)
    assert json.loads(out)["anomalies"] == len(flags)


def test_cli_predict_and_one_line_errors(db: str) -> None:
    code, out, _ = _cli("predict", "1", "--json", "--db", db)
    assert code == 0
    rows = json.loads(out)
    assert len(rows) == 6 and any(r["forecast"] for r in rows)
    f = next(r["forecast"] for r in rows if r["forecast"])
    assert all(x["p10_s"] <= x["predicted_s"] <= x["p90_s"] for x in f["laps"]) and len(f["laps"]) == 3
    name = rows[0]["driver"]
    code, out, _ = _cli("predict", "1", "--driver", name.upper(), "--laps", "2", "--db", db)
    assert code == 0 and out.startswith(f"{name}: L")
    for args, message in ((("anomalies", "99"), "no session 99"), (("predict", "99"), "no session 99"),
                          (("predict", "1", "--driver", "nobody"), "no laps of driver 'nobody' in session 1")):
        code, _, err = _cli(*args, "--db", db)
        assert code == 2 and err.startswith(f"lfs-ayats: {message}")


def test_the_benchmark_laps_flag_exactly_the_slowed_ones() -> None:
    from lfs_ayats.analysis.anomalies import synthetic_laps

    laps = synthetic_laps(100, seed=3)
    segments = detect_segments([lap.trace for lap in laps])
    assert {f.lap_id for f in detect(laps, segments)} == {k for k in range(100) if k % 25 == 12}


def test_cli_on_a_session_without_laps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lfs_ayats.store.engine import open_store

    monkeypatch.setenv("LFS_AYATS_CONFIG_DIR", str(tmp_path / "config"))
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    sid = queries.create_session(open_store(url), track="GM1")
    assert _cli("anomalies", str(sid), "--db", url)[:2] == (0, f"session {sid}: no anomalies (0 laps checked)\n")
    assert _cli("anomalies", str(sid), "--json", "--db", url)[:2] == (0, "[]\n")
    assert _cli("predict", str(sid), "--db", url)[:2] == (0, f"session {sid}: no laps yet\n")
