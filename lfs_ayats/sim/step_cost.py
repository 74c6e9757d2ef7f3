"""How long ``Field.step(10)`` takes for a full field: ``python -m lfs_ayats.sim.step_cost``.

Prints timings; asserts nothing (the host's benchmark owns the real-time budget).
"""

from __future__ import annotations

import statistics
import sys
import time

from lfs_ayats.sim.field import Field


def measure(track: str, cars: int = 48, seconds: float = 120.0, warm_up_s: float = 5.0) -> dict[str, float]:
    """Step a race of ``cars`` cars in 10 ms steps and time every step (milliseconds)."""
    started = time.perf_counter()
    field = Field(track, cars, "race", laps=50, seed=1)
    build_s = time.perf_counter() - started
    for _ in range(int(warm_up_s * 100)):
        field.step(10)
    samples = []
    for _ in range(int(seconds * 100)):
        t0 = time.perf_counter()
        field.step(10)
        samples.append((time.perf_counter() - t0) * 1000.0)
    samples.sort()
    return {
        "build_s": build_s,
        "mean_ms": statistics.fmean(samples),
        "median_ms": samples[len(samples) // 2],
        "p99_ms": samples[int(len(samples) * 0.99)],
        "max_ms": samples[-1],
        "sim_seconds": seconds,
    }


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    seconds = float(args[0]) if args else 120.0
    print(f"Field.step(10) with 48 cars, {seconds:.0f} s of racing after a 5 s warm-up")
    for track in ("GM1", "HR1", "PK1"):
        r = measure(track, seconds=seconds)
        print(
            f"  {track}: mean {r['mean_ms']:.3f} ms  median {r['median_ms']:.3f}  p99 {r['p99_ms']:.3f}  "
            f"max {r['max_ms']:.3f}  (field built in {r['build_s']:.2f} s; budget 10 ms per step)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
