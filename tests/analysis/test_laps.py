"""Lap table, clean set, theoretical bests and consistency on the seeded race (and on hand-made numbers)."""

from __future__ import annotations

import numpy as np
import pytest

from lfs_ayats.analysis.consistency import consistency, speed_band, stint_drift, theil_sen
from lfs_ayats.analysis.laps import analyze_session, clean_set, minisector_theoretical_best, split_theoretical_best

from .conftest import Analysed


def _lap(i: int, time_ms: int, *, clean: bool = True, sectors: list[int] | None = None, pit_stops: int = 0,
         lap: int | None = None) -> dict:  # type: ignore[type-arg]
    return {"id": i, "lap": lap or i, "plid": 1, "driver": "A", "car": "XFG", "time_ms": time_ms, "clean": clean,
            "reason": "" if clean else "contact", "reasons": [] if clean else ["contact"],
            "sectors_ms": sectors or [], "splits_ms": [], "pit_stops": pit_stops}


def test_the_clean_set_drops_mad_outliers_and_keeps_reasons() -> None:
    laps = [_lap(1, 90_000), _lap(2, 90_200), _lap(3, 90_100), _lap(4, 95_000), _lap(5, 89_000, clean=False)]
    reasons = clean_set(laps)
    assert reasons == {1: [], 2: [], 3: [], 4: ["outlier"], 5: ["contact"]}


def test_split_theoretical_best_is_the_sum_of_best_sectors() -> None:
    laps = [_lap(1, 90_000, sectors=[30_000, 30_000, 30_000]), _lap(2, 90_100, sectors=[29_900, 30_300, 29_900]),
            _lap(3, 85_000, clean=False, sectors=[20_000, 30_000, 35_000])]
    assert split_theoretical_best(laps, clean_set(laps)) == 29_900 + 30_000 + 29_900
    assert split_theoretical_best([_lap(1, 90_000, clean=False)], {1: ["contact"]}) is None


def test_minisector_bests_naive_below_realistic() -> None:
    times = np.array([[10.0, 20.0, 30.0], [11.0, 19.0, 31.0], [10.5, 19.5, 29.0]])
    naive, realistic = minisector_theoretical_best(times)
    assert naive == pytest.approx(10 + 19 + 29)
    assert naive <= realistic <= times.sum(axis=1).min() + 1.0


def test_consistency_figures() -> None:
    c = consistency([90_000, 90_300, 90_600, 90_900, 91_200, 95_000])
    assert c.n == 6 and c.best_ms == 90_000 and c.median_ms == 90_750
    assert c.sigma_ms == pytest.approx(np.std([90_000, 90_300, 90_600, 90_900, 91_200, 95_000], ddof=1))
    assert c.cv == pytest.approx(c.sigma_ms / c.median_ms)  # type: ignore[operator]
    assert c.best5_avg_ms == 90_600 and c.best10_avg_ms is None
    assert c.within_half_percent == pytest.approx(2 / 6)  # 90 000 and 90 300 are within 450 ms
    assert consistency([]).n == 0 and consistency([1.0]).sigma_ms is None


def test_theil_sen_ignores_an_outlier_and_stints_split_at_pit_stops() -> None:
    x = np.arange(1, 11)
    y = 90 + 0.1 * x
    y[4] += 5.0
    slope, intercept = theil_sen(x, y)
    assert slope == pytest.approx(0.1) and intercept == pytest.approx(90.0)
    laps = [_lap(i, 90_000 + 100 * i, pit_stops=0 if i <= 5 else 1) for i in range(1, 11)]
    drift = stint_drift(laps)
    assert [d.stint for d in drift] == [1, 2] and drift[0].laps == (1, 2, 3, 4, 5)
    assert drift[0].slope_s_per_lap == pytest.approx(0.1) and drift[1].slope_s_per_lap == pytest.approx(0.1)


def test_speed_band() -> None:
    grid = np.array([0.0, 2.0, 4.0])
    band = speed_band([np.array([10.0, 20.0, 30.0]), np.array([12.0, 20.0, 26.0])], grid)
    assert band["median_mps"].to_list() == [11.0, 20.0, 28.0] and band["sigma_mps"].to_list() == [1.0, 0.0, 2.0]


def test_session_analysis_on_the_seeded_race(analysed: Analysed) -> None:
    result = analyze_session(analysed.engine, analysed.session_id)
    truth = analysed.race.truth
    assert {d.plid for d in result.drivers} == {p["plid"] for p in truth["players"]}
    with_best = [d for d in result.drivers if d.best_ms is not None]
    assert [d.best_ms for d in with_best] == sorted(d.best_ms for d in with_best)  # type: ignore[type-var]
    for d in with_best:
        table = d.table
        assert table["lap"].to_list() == sorted(table["lap"].to_list())
        assert d.best_ms == table.filter(table["clean"])["time_ms"].min()
        assert table.filter(table["time_ms"] == d.best_ms)["delta_to_best_ms"][0] == 0
        assert d.tb_split_ms is not None and d.tb_split_ms <= d.best_ms
        assert d.tb_mini_naive_ms is not None and d.tb_mini_realistic_ms is not None
        assert d.tb_mini_naive_ms <= d.best_ms + 5  # measured, not official, times: within the timing tolerance
        assert d.tb_mini_naive_ms <= d.tb_mini_realistic_ms
        assert d.gain(d.tb_split_ms) is not None and d.gain(d.tb_split_ms) >= 0  # type: ignore[operator]
        assert d.consistency.n == int(table["clean"].sum())
        flying = table.filter(table["lap"] > 1)
        assert flying["timing_mismatch"].to_list() == [False] * flying.height
        assert d.band is not None and d.band["sigma_mps"].min() >= 0
    summary = result.summary()
    assert summary["session"]["id"] == analysed.session_id
    assert set(summary["drivers"][0]) >= {"theoretical_best", "potential_gain", "consistency", "stint_drift"}


def test_minisector_size_is_a_parameter(analysed: Analysed) -> None:
    coarse = analyze_session(analysed.engine, analysed.session_id, minisector_m=200.0).drivers[0]
    fine = analyze_session(analysed.engine, analysed.session_id, minisector_m=50.0).drivers[0]
    assert fine.tb_mini_naive_ms <= coarse.tb_mini_naive_ms + 1e-6  # type: ignore[operator]  # finer: more optimistic
