"""The app under load: frame cost and frames per second, packet-to-screen latency, CPU share.

    python benchmarks/ui.py [--seconds 10]

The simulator runs in its own process (as LFS would), so this process's CPU time is the app's:
the live source (InSim client, UDP listeners, feed, ring buffers, standings) plus the Textual app
in headless mode at 120x36 on the live screen.

- Frame cost and fps at 10 and 20 Hz with 48 cars, IS_MCI every 10 ms and OutGauge/OutSim at
  100 Hz: the UI clock's tick (copy under the lock, update the widgets) and the whole process's CPU
  per frame. Baseline in the same run: a stock Textual app with four `Sparkline`s fed the same
  number of samples per frame (what architecture.md measured at ~12 ms).
- Latency: at each frame, how old the newest frame drawn is (arrival at the socket to the tick
  that copies it); p50 and p95.
- CPU share with 20 cars at LFS's usual rates (IS_MCI 100 ms, OutGauge/OutSim 60 Hz), 10 Hz UI,
  against the live source alone without the app (the baseline), goal under half a core.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lfs_ayats.config import load
from lfs_ayats.telemetry.live import LiveOptions, LiveSource
from lfs_ayats.wire.tcp import ClientOptions, LinkState

SIZE = (120, 36)


def free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_sim(cars: int, hz: float, og: int, os_: int) -> tuple[subprocess.Popen[str], int]:
    port = free_port(socket.SOCK_STREAM)
    proc = subprocess.Popen(
        [sys.executable, "-m", "lfs_ayats", "sim", "--port", str(port), "--cars", str(cars), "--laps", "50",
         "--hz", str(hz), "--outgauge", f"127.0.0.1:{og}", "--outsim", f"127.0.0.1:{os_}", "--seed", "3"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not re.search(r"listening", line):
        proc.kill()
        raise SystemExit(f"the simulator did not start: {line}")
    return proc, port


def cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


def live_source(port: int, og: int, os_: int, interval_ms: int) -> LiveSource:
    source = LiveSource(LiveOptions(ClientOptions(port=port, interval_ms=interval_ms), og, os_,
                                    udp_host="127.0.0.1"))
    source.start()
    deadline = time.monotonic() + 5
    while source.link.state is not LinkState.CONNECTED and time.monotonic() < deadline:
        time.sleep(0.01)
    return source


async def run_app(source: LiveSource, hz: int, seconds: float) -> dict[str, float]:
    from lfs_ayats.ui.app import make_app

    settings = load(Path("/nonexistent.yaml"), environ={}).with_overrides({"ui.refresh_hz": hz})
    app = make_app(settings, source, None)
    async with app.run_test(size=SIZE, headless=True) as pilot:
        await asyncio.sleep(2.0)  # warm up: players known, buffers filling
        app.record_frames = True
        app.frame_seconds.clear()
        app.shown_arrival.clear()
        app.frame_started.clear()
        started, cpu0 = time.perf_counter(), cpu_seconds()
        await asyncio.sleep(seconds)
        wall, cpu = time.perf_counter() - started, cpu_seconds() - cpu0
        app.record_frames = False
        frames = np.array(app.frame_seconds)
        latency = np.array([t - a for t, a in zip(app.frame_started, app.shown_arrival, strict=True) if a > 0])
        await pilot.pause()
    return {"fps": len(frames) / wall, "tick_ms": float(frames.mean() * 1000) if len(frames) else float("nan"),
            "tick_p95_ms": float(np.percentile(frames, 95) * 1000) if len(frames) else float("nan"),
            "cpu_share": cpu / wall, "cpu_per_frame_ms": cpu / max(1, len(frames)) * 1000,
            "latency_p50_ms": float(np.percentile(latency, 50) * 1000) if len(latency) else float("nan"),
            "latency_p95_ms": float(np.percentile(latency, 95) * 1000) if len(latency) else float("nan")}


async def stock_sparklines(hz: int, seconds: float, samples: int) -> dict[str, float]:
    """Baseline: Textual's own Sparkline, four of them, new tuples every frame."""
    from textual.app import App, ComposeResult
    from textual.widgets import Sparkline

    rng = np.random.default_rng(0)

    class Stock(App[None]):
        def compose(self) -> ComposeResult:
            for _ in range(4):
                yield Sparkline([])

        def on_mount(self) -> None:
            self.cost: list[float] = []
            self.set_interval(1 / hz, self.tick)

        def tick(self) -> None:
            t = time.perf_counter()
            for spark in self.query(Sparkline):
                spark.data = tuple(rng.random(samples).tolist())
            self.cost.append(time.perf_counter() - t)

    app = Stock()
    async with app.run_test(size=SIZE, headless=True) as pilot:
        await asyncio.sleep(0.5)
        app.cost.clear()
        started, cpu0 = time.perf_counter(), cpu_seconds()
        await asyncio.sleep(seconds)
        wall, cpu = time.perf_counter() - started, cpu_seconds() - cpu0
        frames = len(app.cost)
        await pilot.pause()
    return {"fps": frames / wall, "cpu_per_frame_ms": cpu / max(1, frames) * 1000, "cpu_share": cpu / wall}


def source_alone(source: LiveSource, seconds: float) -> tuple[float, str]:
    """CPU share of the live source with no app, and the packet rates it handled."""
    before = dict(source.feed.counters.packets)
    started, cpu0 = time.perf_counter(), cpu_seconds()
    time.sleep(seconds)
    wall = time.perf_counter() - started
    share = (cpu_seconds() - cpu0) / wall
    after = source.feed.counters.packets
    rates = ", ".join(f"{name} {(after[name] - before.get(name, 0)) / wall:.0f}/s"
                      for name in ("IS_MCI", "OutGauge", "OutSim2"))
    return share, rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    results: dict[str, Any] = {}

    og, os_ = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM)
    sim, port = start_sim(48, 100.0, og, os_)
    try:
        source = live_source(port, og, os_, interval_ms=10)
        try:
            time.sleep(1.0)
            results["source48"], results["rates48"] = source_alone(source, args.seconds / 2)
            for hz in (10, 20):
                results[f"app48_{hz}"] = asyncio.run(run_app(source, hz, args.seconds))
                results[f"stock_{hz}"] = asyncio.run(stock_sparklines(hz, args.seconds / 2, 1200))
            results["drops48"] = source.feed.drops
        finally:
            source.stop()
    finally:
        sim.terminate()
        sim.wait(5)

    og, os_ = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM)
    sim, port = start_sim(20, 60.0, og, os_)
    try:
        source = live_source(port, og, os_, interval_ms=100)
        try:
            time.sleep(1.0)
            results["source20"], results["rates20"] = source_alone(source, args.seconds / 2)
            results["app20_10"] = asyncio.run(run_app(source, 10, args.seconds))
            results["drops20"] = source.feed.drops
        finally:
            source.stop()
    finally:
        sim.terminate()
        sim.wait(5)

    print("lfs-ayats UI benchmark (headless Textual, 120x36, live screen; simulator in its own process)")
    print(f"48 cars, IS_MCI 100 Hz, OutGauge+OutSim 100 Hz ({results['rates48']}); "
          f"live source alone: {results['source48']:.0%} of a core")
    for hz in (10, 20):
        r, s = results[f"app48_{hz}"], results[f"stock_{hz}"]
        print(f"  {hz:>2} Hz: {r['fps']:5.1f} fps, tick {r['tick_ms']:5.2f} ms (p95 {r['tick_p95_ms']:.2f}), "
              f"process CPU {r['cpu_per_frame_ms']:5.1f} ms/frame, {r['cpu_share']:.0%} of a core; "
              f"latency p50 {r['latency_p50_ms']:.0f} ms, p95 {r['latency_p95_ms']:.0f} ms")
        ratio = r["cpu_per_frame_ms"] / s["cpu_per_frame_ms"]
        print(f"        baseline, stock Textual: four Sparklines of 1200 samples: {s['fps']:.1f} fps, "
              f"{s['cpu_per_frame_ms']:.1f} ms CPU/frame -> ours {ratio:.2f}x (ours includes the feed)")
    print(f"  dropped packets: {results['drops48']}")
    r = results["app20_10"]
    print(f"20 cars, IS_MCI 10 Hz, OutGauge+OutSim 60 Hz, UI 10 Hz: app process {r['cpu_share']:.0%} of a core "
          f"(goal < 50 %), live source alone {results['source20']:.0%} -> the screen adds "
          f"{r['cpu_share'] - results['source20']:.0%}; {r['fps']:.1f} fps; latency p50 {r['latency_p50_ms']:.0f} ms, "
          f"p95 {r['latency_p95_ms']:.0f} ms; dropped {results['drops20']} ({results['rates20']})")


if __name__ == "__main__":
    main()
