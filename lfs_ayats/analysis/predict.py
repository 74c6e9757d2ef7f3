"""Lap-time prediction: the final time of the lap in progress, and the next laps of a stint, with p10-p90 intervals.

In a lap (analysis.md §6a "lap-time prediction with uncertainty"): with Δ(s) = t_elapsed - t_ref(s)
against a reference lap, the final time is T_ref + Δ(s) + R(s), where R(s) = Δ(L) - Δ(s) is what the
rest of the lap will add. `fit_lap_model` learns the p10/p50/p90 of R at knots every 50 m from the
driver's earlier laps; a prediction is then two binary searches and a few additions, cheap enough
for every UI frame (`LivePredictor`).

Deviation from §6a, measured: §6a suggests a quantile GradientBoostingRegressor over the Δ at every
minisector boundary. A driver has 5-40 comparable laps in a session; benchmarks/anomalies.py runs
such a regressor (per driver, on their earlier laps) next to this model on the same half-lap
predictions: it is less accurate and less well calibrated at that size, and each call costs
hundreds of microseconds against a few here (the numbers are in README.md).

Stint (§6b-5 stint drift): a Theil-Sen line through the stint's clean lap times (it tolerates about a
third of outliers), the next laps on that line, and the p10-p90 of its residuals around them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .trace import FloatArray, LapTimeline

KNOT_STEP_M = 50.0
MIN_HISTORY = 5
MIN_OUT_OF_SAMPLE = 4
"""Out-of-sample errors needed before the stint forecast's interval uses them instead of in-sample residuals."""
"""Laps needed for the empirical quantiles of R; with fewer, a spread that shrinks with the distance left."""
PRIOR_CV = 0.01
"""Lap-to-lap spread assumed before a driver has 2 laps (1 % of the lap time: a typical club driver's sigma)."""
Z10 = 1.2815515655446004  # the standard normal's 90th percentile


@dataclass(frozen=True)
class LapPrediction:
    """A predicted final lap time (s) at one point of a lap, with its p10-p90 interval."""

    distance_m: float
    elapsed_s: float
    delta_s: float  # Δ against the reference so far (positive: slower)
    predicted_s: float  # the median
    p10_s: float
    p90_s: float
    method: str  # "quantiles" (from the driver's laps) or "prior" (too few laps)


@dataclass(frozen=True)
class LapTimeModel:
    """The reference lap and the quantiles of the time the rest of a lap adds (R), at knots along the lap."""

    reference: LapTimeline
    knots_m: FloatArray
    rest_s: FloatArray  # shape (knots, 3): p10, p50, p90 of R at each knot
    laps_used: int
    method: str

    @property
    def length_m(self) -> float:
        return float(self.reference.distance_m[-1])


def _quantiles(values: FloatArray) -> FloatArray:
    """p10, p50, p90 per column, the tails stretched for a *new* lap: a sample's p10-p90 from n laps covers
    less than 80 % of the next one, so each half-width is scaled by t(0.9, n-1)·sqrt(1 + 1/n) / z(0.9), the
    normal-theory prediction interval's factor (1.31 at n = 5, 1.13 at n = 10)."""
    from scipy.stats import t as student

    q = np.quantile(values, [0.1, 0.5, 0.9], axis=0)
    n = values.shape[0]
    if n >= 2:
        widen = float(student.ppf(0.9, n - 1)) * float(np.sqrt(1.0 + 1.0 / n)) / Z10
        q[0] = q[1] + (q[0] - q[1]) * widen
        q[2] = q[1] + (q[2] - q[1]) * widen
    return q.T


def fit_lap_model(reference: LapTimeline, history: Sequence[LapTimeline], *,
                  knot_step_m: float = KNOT_STEP_M) -> LapTimeModel:
    """A model predicting a lap's final time against `reference` from the driver's earlier laps (`history`)."""
    length = float(reference.distance_m[-1])
    knots = np.r_[np.arange(0.0, length, knot_step_m), length]
    others = [h for h in history if h is not reference]
    times = np.array([h.lap_time_s for h in others])
    sigma = float(np.std(times, ddof=1)) if len(times) >= 2 else PRIOR_CV * reference.lap_time_s
    sigma = max(sigma, 0.002 * reference.lap_time_s)
    # Lap-to-lap noise builds up along the lap roughly like a random walk: the spread of what is left ∝ √(left).
    left = np.sqrt(np.clip(1.0 - knots / length, 0.0, 1.0))
    prior = Z10 * sigma * left
    if len(others) >= MIN_HISTORY:
        t_ref = reference.time_at(knots)
        rest = np.array([(h.lap_time_s - reference.lap_time_s) - (h.time_at(knots) - t_ref) for h in others])
        rest[:, -1] = 0.0
        q = _quantiles(rest)
        # The knots' quantiles come from 5-20 laps; the lap times' spread (the prior) is their floor. Measured on
        # the benchmark (208 half-lap predictions): coverage 72 % with the quantiles alone, 79 % with the floor.
        q[:, 0] = np.minimum(q[:, 0], q[:, 1] - prior)
        q[:, 2] = np.maximum(q[:, 2], q[:, 1] + prior)
        return LapTimeModel(reference, knots, q, len(others), "quantiles")
    rest = np.column_stack([-prior, np.zeros_like(left), prior])
    return LapTimeModel(reference, knots, rest, len(others), "prior")


def lap_model(laps: Sequence[dict[str, object]], traces: dict[int, LapTimeline], *,
              reference_id: int | None = None) -> LapTimeModel | None:
    """The model for one driver's next lap from their laps so far (store.queries.laps rows, in order) and
    their timelines by lap id (trace.session_traces): the reference is `reference_id`, else their best clean
    lap (else their best comparable one); the history is every comparable lap. None without a reference."""
    from .trace import comparable

    usable = [lap for lap in laps if int(lap["id"]) in traces and comparable(lap)]  # type: ignore[call-overload]
    if reference_id is not None:
        if reference_id not in traces:
            return None
        reference = traces[reference_id]
    else:
        pool = [lap for lap in usable if lap.get("clean")] or usable
        if not pool:
            return None
        reference = traces[int(min(pool, key=lambda lap: int(lap["time_ms"]))["id"])]  # type: ignore[call-overload]
    return fit_lap_model(reference, [traces[int(lap["id"])] for lap in usable])  # type: ignore[call-overload]


def predict_lap(model: LapTimeModel, distance_m: float, elapsed_s: float) -> LapPrediction | None:
    """The predicted final time of a lap at `distance_m` after `elapsed_s`; None off the reference's axis."""
    if not (0.0 <= distance_m <= model.length_m) or not np.isfinite(elapsed_s):
        return None
    delta = float(elapsed_s - np.interp(distance_m, model.reference.distance_m, model.reference.elapsed_s))
    base = model.reference.lap_time_s + delta
    p10, p50, p90 = (float(np.interp(distance_m, model.knots_m, model.rest_s[:, i])) for i in range(3))
    return LapPrediction(float(distance_m), float(elapsed_s), delta, base + p50, base + p10, base + p90, model.method)


class LivePredictor:
    """Stateful helper for a live view: feed it (distance_m, elapsed_s) each frame, get a prediction or None.

    It says nothing after the lap has run past the reference's end. A new lap (the elapsed time going
    back, or the distance dropping by more than half a lap) restarts it by itself; `reset` does it by hand.
    """

    def __init__(self, model: LapTimeModel) -> None:
        self.model = model
        self.last: LapPrediction | None = None
        self._max_distance = -1.0
        self._elapsed = -1.0

    def reset(self) -> None:
        self.last = None
        self._max_distance = -1.0
        self._elapsed = -1.0

    def update(self, distance_m: float, elapsed_s: float) -> LapPrediction | None:
        if elapsed_s < self._elapsed or distance_m < self._max_distance - self.model.length_m / 2:
            self.reset()  # a new lap
        # The monotone rule of §6b: a spin or a reverse holds the axis where it was.
        distance = max(distance_m, self._max_distance)
        self._max_distance = distance
        self._elapsed = elapsed_s
        self.last = predict_lap(self.model, distance, elapsed_s)
        return self.last


@dataclass(frozen=True)
class StintForecast:
    """The next laps of a stint on its Theil-Sen line, with p10-p90 from the residuals."""

    laps: list[int]
    predicted_s: list[float]
    p10_s: list[float]
    p90_s: list[float]
    slope_s_per_lap: float
    laps_used: int


def theil_sen(x: FloatArray, y: FloatArray) -> tuple[float, float]:
    """(slope, intercept): the median of the pairwise slopes, and the median of y - slope·x."""
    i, j = np.triu_indices(len(x), k=1)
    dx = x[j] - x[i]
    ok = dx != 0
    slope = float(np.median((y[j] - y[i])[ok] / dx[ok])) if ok.any() else 0.0
    return slope, float(np.median(y - slope * x))


def forecast_stint(lap_numbers: Sequence[int], lap_times_s: Sequence[float], *, ahead: int = 3,
                   min_laps: int = 3) -> StintForecast | None:
    """The next `ahead` laps after the last of `lap_numbers` (a stint's clean laps); None with under `min_laps`."""
    x = np.asarray(lap_numbers, dtype=np.float64)
    y = np.asarray(lap_times_s, dtype=np.float64)
    if len(x) < min_laps:
        return None
    slope, intercept = theil_sen(x, y)
    if len(x) >= min_laps + MIN_OUT_OF_SAMPLE:
        # Out-of-sample errors: each lap predicted from the laps before it. In-sample residuals of a line
        # through few laps understate the next lap's spread (measured: 55 % coverage instead of 80 %).
        errors = []
        for k in range(min_laps, len(x)):
            m, b = theil_sen(x[:k], y[:k])
            errors.append(y[k] - (m * x[k] + b))
        resid = np.array(errors)
    else:
        resid = y - slope * x - intercept
    q = _quantiles(resid[:, None])[0]
    nxt = [int(x.max()) + k for k in range(1, ahead + 1)]
    mid = [intercept + slope * n for n in nxt]
    # The line is the forecast; the errors only give its interval (their median shift made it worse: measured).
    low, high = float(min(q[0], 0.0)), float(max(q[2], 0.0))
    return StintForecast(nxt, mid, [m + low for m in mid], [m + high for m in mid], slope, len(x))


STINT_BREAKS = frozenset({"in_lap", "pit", "out_lap"})


def stint_laps(laps: Sequence[dict[str, object]]) -> list[dict[str, object]]:
    """The laps of the last stint among one driver's laps (in order): those after the last pit visit.

    A stint ends at a lap through the pit lane (in lap, stop, out lap: IS_PIT / IS_PLA, §6b-5).
    """
    out: list[dict[str, object]] = []
    for lap in laps:
        reasons = set(lap.get("reasons") or [])  # type: ignore[call-overload]
        if reasons & STINT_BREAKS:
            out = []
            continue
        out.append(lap)
    return out
