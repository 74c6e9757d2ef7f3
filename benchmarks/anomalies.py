"""Anomaly precision/recall against the simulator's truth, lap-time prediction error and coverage, scan speed.

    python benchmarks/anomalies.py [--laps 20] [--cars 12] [--seed 11] [--mistakes 2.0] [--cache DIR]
                                   [--other-seeds 12,13,14,15,16,17,18,19,20] [--mci-ms 100] [--other-mci-ms 50]

The scenario: a seeded GM1 race of XFGs recorded through the simulator host, imported into SQLite.
Cached in the temp folder. IS_MCI at 10 Hz (100 ms) is the standard: it is lfs-ayats's default
`insim.interval_ms` (and the InSim default most tools ask for), so it is what a user's recordings
hold. The anomaly scores are also printed for the other seeds and for the standard seed at 20 Hz
(50 ms, what a league may set): it did not help, measured.

Tuning and held-out seeds (each line says which): the detector's rules and constants were chosen
on seeds 13, 15, 16, 17 and 18 (TUNING_SEEDS), never on 11 (the standard scenario), 12, 14, 19
and 20. Seed 15 began held out; its first score (precision 0.65, 0.62 before drive gaps) showed a
fault, so it was looked into (quick laps flagged for their braking points) and became a tuning
seed; seeds 19 and 20 were then added, unseen, as held-out in its place. The totals of 11, 12
and 14 had been printed once before that last change; none of their laps were looked at.

Anomalies: the truth's incidents that change how the car moves (lockup, spin, off_track,
missed_shift, contact) are the positives; `cut` and `over_rev` leave the IS_MCI trace untouched
(LFS reports a cut as IS_HLV, an over-rev shows only in the viewed car's OutGauge), so they are
listed but not counted. A flagged lap with a positive is a true positive; "right corner" is the
share of those whose flag covers the incident's distance (±30 m), and the strict precision and
recall count only those.

Prediction: for every comparable lap, the model is fitted on the same driver's earlier laps
(what a live view knows), against their best clean lap so far; it predicts at half distance.
Baselines in the same run: "reference + Δ so far" (no remaining-Δ model) and "the last lap again".

Scan: 1,000 laps (the scenario's laps repeated under new driver names) through `detect`, against
feature extraction alone (the forest's cost is the difference).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

POSITIVE = {"lockup", "spin", "off_track", "missed_shift", "contact"}
INVISIBLE = {"cut", "over_rev", "hotlap_invalid", "object_hit"}  # no trace in IS_MCI speed, or a consequence
MARGIN_M = 30.0
TUNING_SEEDS = frozenset({13, 15, 16, 17, 18})


def scenario(cache: Path, laps: int, cars: int, seed: int, mistakes: float,
             mci_ms: int = 100) -> tuple[Path, dict[str, Any]]:
    from lfs_ayats.sim.field import Field
    from lfs_ayats.store.engine import open_store
    from lfs_ayats.store.ingest import import_capture
    from tests.analysis.simsession import record_field

    name = f"anomalies-v1-GM1-{cars}x{laps}-s{seed}-m{mistakes:g}" + ("" if mci_ms == 100 else f"-mci{mci_ms}")
    db = cache / f"{name}.sqlite"
    truth_file = cache / f"{name}.truth.json"
    if not (db.exists() and truth_file.exists()):
        cache.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        sim = Field("GM1", cars, "race", laps=laps, seed=seed, pit_probability=0.3, mistake_scale=mistakes,
                    tick_ms=20)
        truth = asyncio.run(record_field(sim, cache / f"{name}.lfscap", interval_ms=mci_ms))
        db.unlink(missing_ok=True)
        import_capture(cache / f"{name}.lfscap", open_store(f"sqlite:///{db}"))
        truth_file.write_text(json.dumps(truth))
        print(f"recorded and imported the scenario in {time.perf_counter() - t0:.1f} s ({cache})")
    return db, json.loads(truth_file.read_text())


def corner_segments(engine: Any, inputs: list[Any], track: str = "GM1") -> list[Any] | None:
    """The layout's corners (analysis.corners, from geometry) as segments; None when there are none."""
    from lfs_ayats.analysis.anomalies import segments_from_corners
    from lfs_ayats.analysis.corners import corner_map

    length = min(float(i.trace.distance_m[-1]) for i in inputs)
    corners = corner_map(engine, track)
    return segments_from_corners(corners.scaled(length), length) if corners.corners else None


def seed_scores(args: argparse.Namespace, seed: int, mci_ms: int) -> dict[str, Any]:
    """The anomaly scores of one more scenario (another seed or IS_MCI interval)."""
    from lfs_ayats.analysis.anomalies import lap_inputs
    from lfs_ayats.store import queries
    from lfs_ayats.store.engine import open_store

    db, truth = scenario(args.cache, args.laps, args.cars, seed, args.mistakes, mci_ms)
    engine = open_store(f"sqlite:///{db}")
    inputs = lap_inputs(queries.telemetry(engine, 1, channels=("lap_distance_m", "speed_mps")),
                        queries.laps(engine, 1))
    segments = corner_segments(engine, inputs) if args.segments == "corners" else None
    return anomaly_scores(inputs, truth, segments)


def anomaly_scores(inputs: list[Any], truth: dict[str, Any], segments: list[Any] | None = None) -> dict[str, Any]:
    from lfs_ayats.analysis.anomalies import detect, score

    flags = detect(inputs, segments)
    scored_laps = score(inputs, segments)
    local = np.array([not (name == "lap" or name.startswith("sector")) for name, _ in scored_laps.features.columns])
    worst_z = {(i.plid, i.lap): float(scored_laps.bad[k, local].max()) for k, i in enumerate(inputs)}
    scored = {(i.plid, i.lap) for i in inputs}
    incidents: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for inc in truth["incidents"]:
        incidents.setdefault((inc["plid"], inc["lap"]), []).append(inc)
    positives = {k for k, v in incidents.items() if k in scored and any(i["kind"] in POSITIVE for i in v)}
    flagged: dict[tuple[int, int], list[Any]] = {}
    for f in flags:
        flagged.setdefault((f.plid, f.lap), []).append(f)
    tp = set(flagged) & positives
    right = 0
    for key in tp:
        spots = [i["lap_distance_m"] for i in incidents[key] if i["kind"] in POSITIVE]
        if any(f.start_m is not None and f.end_m is not None and f.start_m - MARGIN_M <= d <= f.end_m + MARGIN_M
               for f in flagged[key] for d in spots):
            right += 1
    by_kind, z_by_kind = {}, {}
    for kind in sorted(POSITIVE | {"cut", "over_rev"}):
        laps = {k for k, v in incidents.items() if k in scored and any(i["kind"] == kind for i in v)}
        by_kind[kind] = f"{len(laps & set(flagged))}/{len(laps)}"
        if laps:
            z_by_kind[kind] = round(float(np.median([worst_z[k] for k in laps])), 1)
    visible = {k for k in positives if any(i["kind"] in POSITIVE - {"missed_shift"} for i in incidents[k])}
    return {"laps": len(inputs), "flags": len(flags), "flagged_laps": len(flagged), "positives": len(positives),
            "true_positives": len(tp), "precision": len(tp) / max(len(flagged), 1),
            "recall": len(tp) / max(len(positives), 1), "right_corner": right / max(len(tp), 1), "by_kind": by_kind,
            "recall_without_missed_shifts": len(tp & visible) / max(len(visible), 1),
            # Stricter matching: a hit only when a flag of the lap covers the incident's distance (±30 m).
            "strict_precision": right / max(len(flagged), 1), "strict_recall": right / max(len(positives), 1),
            "median_worst_z_by_kind": z_by_kind,
            "false_positive_laps": sorted(set(flagged) - positives)}


def prediction_scores(traces: dict[int, Any], laps: list[dict[str, Any]]) -> dict[str, Any]:
    from sklearn.ensemble import GradientBoostingRegressor

    from lfs_ayats.analysis.predict import fit_lap_model, forecast_stint, predict_lap
    from lfs_ayats.analysis.trace import comparable

    err, cover, naive, last = [], [], [], []
    gbr_err, gbr_cover, gbr_call, model_call, same_err = [], [], [], [], []
    stint_err, stint_cover = [], []
    for plid in sorted({lap["plid"] for lap in laps}):
        history: list[tuple[Any, dict[str, Any]]] = []
        for lap in (x for x in laps if x["plid"] == plid):
            trace = traces.get(lap["id"])
            if trace is None or not comparable(lap):
                continue
            if history:
                clean = [h for h, row in history if row["clean"]] or [h for h, _ in history]
                reference = min(clean, key=lambda h: h.lap_time_s)
                model = fit_lap_model(reference, [h for h, _ in history])
                half = model.length_m / 2
                p = predict_lap(model, half, float(trace.time_at(half)))
                assert p is not None
                err.append(p.predicted_s - trace.lap_time_s)
                cover.append(p.p10_s <= trace.lap_time_s <= p.p90_s)
                naive.append(reference.lap_time_s + p.delta_s - trace.lap_time_s)
                last.append(history[-1][0].lap_time_s - trace.lap_time_s)
                t0 = time.perf_counter()
                predict_lap(model, half, float(trace.time_at(half)))
                model_call.append(time.perf_counter() - t0)
                earlier = [h for h, _ in history if h is not reference]
                if len(earlier) >= 5:  # §6a's model: quantile gradient boosting on the Δ at 100 m boundaries so far
                    knots = np.arange(100.0, half + 1.0, 100.0)
                    x = np.array([h.time_at(knots) - reference.time_at(knots) for h in earlier])
                    y = np.array([h.lap_time_s - reference.lap_time_s for h in earlier])
                    row = (trace.time_at(knots) - reference.time_at(knots))[None, :]
                    q = {}
                    for alpha in (0.1, 0.5, 0.9):
                        fitted = GradientBoostingRegressor(loss="quantile", alpha=alpha, n_estimators=50, max_depth=2,
                                                           random_state=0).fit(x, y)
                        t0 = time.perf_counter()
                        q[alpha] = reference.lap_time_s + float(fitted.predict(row)[0])
                        gbr_call.append(time.perf_counter() - t0)
                    gbr_err.append(abs(q[0.5] - trace.lap_time_s))
                    same_err.append(abs(err[-1]))
                    gbr_cover.append(q[0.1] <= trace.lap_time_s <= q[0.9])
                if lap["clean"]:
                    done = [(row["lap"], h.lap_time_s) for h, row in history if row["clean"]]
                    f = forecast_stint([n for n, _ in done], [t for _, t in done], ahead=1)
                    if f is not None:
                        stint_err.append(f.predicted_s[0] - trace.lap_time_s)
                        stint_cover.append(f.p10_s[0] <= trace.lap_time_s <= f.p90_s[0])
            history.append((trace, lap))
    def mean(values: list[Any]) -> float:
        return float(np.mean(values)) if values else float("nan")

    return {"laps": len(err), "mae_s": float(np.mean(np.abs(err))), "coverage": float(np.mean(cover)),
            "mae_naive_s": float(np.mean(np.abs(naive))), "mae_last_lap_s": float(np.mean(np.abs(last))),
            "gbr_laps": len(gbr_err), "gbr_mae_s": mean(gbr_err), "gbr_coverage": mean(gbr_cover),
            "mae_same_laps_s": mean(same_err),
            "model_call_us": float(np.median(model_call)) * 1e6,
            "gbr_call_us": 3 * float(np.median(gbr_call)) * 1e6 if gbr_call else float("nan"),
            "stint_laps": len(stint_err), "stint_mae_s": mean(list(np.abs(stint_err))),
            "stint_coverage": mean(stint_cover)}


def scan_timing(inputs: list[Any], segments: list[Any] | None, n: int = 1000) -> dict[str, float]:
    """Best of 3: `detect` on n laps, against feature extraction + robust z alone (no forest, no wording)."""
    from lfs_ayats.analysis.anomalies import detect, extract_features, robust_z

    many = [replace(inputs[k % len(inputs)], lap_id=k, driver=f"{inputs[k % len(inputs)].driver} #{k // len(inputs)}")
            for k in range(n)]
    detect(many[:50], segments)  # imports (scikit-learn, scipy) out of the timing
    t_features = t_detect = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        robust_z(extract_features(many, segments))
        t_features = min(t_features, time.perf_counter() - t0)
        t0 = time.perf_counter()
        detect(many, segments)
        t_detect = min(t_detect, time.perf_counter() - t0)
    return {"laps": n, "features_s": t_features, "detect_s": t_detect}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--laps", type=int, default=20)
    parser.add_argument("--cars", type=int, default=12)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--mistakes", type=float, default=2.0)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "lfs-ayats-bench")
    parser.add_argument("--segments", choices=("corners", "speed"), default="corners",
                        help="corners from geometry (analysis.corners, the default) or troughs of the median speed")
    parser.add_argument("--mci-ms", type=int, default=100, help="IS_MCI interval of the scenario (ms)")
    parser.add_argument("--other-seeds", default="12,13,14,15,16,17,18,19,20",
                        help="more seeds to score anomalies on ('' for none)")
    parser.add_argument("--other-mci-ms", default="50", help="more IS_MCI intervals for --seed ('' for none)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from lfs_ayats.analysis.anomalies import lap_inputs
    from lfs_ayats.analysis.trace import session_traces
    from lfs_ayats.store import queries
    from lfs_ayats.store.engine import open_store

    db, truth = scenario(args.cache, args.laps, args.cars, args.seed, args.mistakes, args.mci_ms)
    engine = open_store(f"sqlite:///{db}")
    laps = queries.laps(engine, 1)
    samples = queries.telemetry(engine, 1, channels=("lap_distance_m", "speed_mps"))
    t0 = time.perf_counter()
    inputs = lap_inputs(samples, laps)
    t_inputs = time.perf_counter() - t0
    segments = corner_segments(engine, inputs) if args.segments == "corners" else None
    others = [(int(x), args.mci_ms) for x in args.other_seeds.split(",") if x.strip()]
    others += [(args.seed, int(x)) for x in args.other_mci_ms.split(",") if x.strip()]
    result = {"scenario": f"GM1, {args.cars} XFG, {args.laps} laps, seed {args.seed}, mistakes x{args.mistakes:g}, "
                          f"IS_MCI every {args.mci_ms} ms",
              "segments": args.segments,
              "anomalies": anomaly_scores(inputs, truth, segments),
              "anomalies_elsewhere": {f"seed {seed} ({'tuning' if seed in TUNING_SEEDS else 'held out'}), "
                                      f"IS_MCI every {ms} ms": seed_scores(args, seed, ms) for seed, ms in others},
              "prediction": prediction_scores(session_traces(samples, laps), laps),
              "scan": {**scan_timing(inputs, segments), "inputs_s": t_inputs, "input_laps": len(inputs)}}
    if args.json:
        print(json.dumps(result, indent=2, default=str))
        return
    a, p, s = result["anomalies"], result["prediction"], result["scan"]
    kind = "tuning" if args.seed in TUNING_SEEDS else "held out"
    print(f"{result['scenario']} ({kind}); segments: {args.segments}")
    print(f"anomalies: {a['laps']} comparable laps, {a['positives']} with a driving incident (lockup, spin, off "
          f"track, missed shift, contact); "
          f"{a['flagged_laps']} laps flagged ({a['flags']} flags)")
    print(f"  precision {a['precision']:.2f}  recall {a['recall']:.2f} ({a['recall_without_missed_shifts']:.2f} "
          f"without missed shifts)  (goal >= 0.8 both); flag on the incident's corner in {a['right_corner']:.0%} "
          f"of the hits")
    print(f"  matched on the incident's distance (a flag of the lap within {MARGIN_M:.0f} m of it), not only its lap: "
          f"precision {a['strict_precision']:.2f}  recall {a['strict_recall']:.2f}")
    print(f"  by kind (flagged/laps): {', '.join(f'{k} {v}' for k, v in a['by_kind'].items())}")
    print(f"  median of the lap's largest segment |z| by kind (flagged from 5): "
          f"{', '.join(f'{k} {v}' for k, v in a['median_worst_z_by_kind'].items())}")
    print(f"  false-positive laps (plid, lap): {a['false_positive_laps']}")
    for name, o in result["anomalies_elsewhere"].items():
        print(f"  {name}: {o['laps']} laps, {o['positives']} with an incident: precision {o['precision']:.2f}  recall "
              f"{o['recall']:.2f} ({o['recall_without_missed_shifts']:.2f} without missed shifts, "
              f"missed shifts {o['by_kind']['missed_shift']}); right corner {o['right_corner']:.0%}, "
              f"strict {o['strict_precision']:.2f}/{o['strict_recall']:.2f}")
    print(f"prediction at half lap over {p['laps']} laps: MAE {p['mae_s']:.3f} s, p10-p90 coverage "
          f"{p['coverage']:.0%} (goal ~80%); baselines: reference + delta so far {p['mae_naive_s']:.3f} s "
          f"({p['mae_naive_s'] / p['mae_s']:.2f}x), last lap again {p['mae_last_lap_s']:.3f} s "
          f"({p['mae_last_lap_s'] / p['mae_s']:.2f}x)")
    print(f"  quantile gradient boosting (analysis.md 6a) on the {p['gbr_laps']} laps with 5+ earlier ones: MAE "
          f"{p['gbr_mae_s']:.3f} s (this model {p['mae_same_laps_s']:.3f} s there), coverage "
          f"{p['gbr_coverage']:.0%}; a call {p['gbr_call_us']:.0f} us (three models) against "
          f"{p['model_call_us']:.0f} us for predict_lap ({p['gbr_call_us'] / p['model_call_us']:.0f}x)")
    print(f"stint, next lap over {p['stint_laps']} clean laps: MAE {p['stint_mae_s']:.3f} s, "
          f"p10-p90 coverage {p['stint_coverage']:.0%}")
    print(f"scan of {s['laps']} laps: detect {s['detect_s'] * 1000:.0f} ms, features + robust z alone "
          f"{s['features_s'] * 1000:.0f} ms (the forest and wording add {s['detect_s'] / s['features_s']:.2f}x); "
          f"traces + traffic from the store frame: {s['inputs_s'] * 1000:.0f} ms for {s['input_laps']} laps")


if __name__ == "__main__":
    main()
