"""Ingest speed: a one-hour, 32-car league race imported end to end, against the practical limit and the naive way.

    python benchmarks/ingest.py [--minutes 60] [--cars 32] [--cache DIR]

The capture is made once with the simulator (unpaced, through the real recorder) and cached
(default: the system temp folder): IS_MCI for every car at 20 Hz, OutGauge and OutSim for the
viewed car. The simulator sends OutGauge/OutSim at whole steps of its clock: 5 ms steps and a
70 Hz request give 66.7 Hz (60 Hz exactly is not reachable; 10 ms steps would give 50 Hz), so the
benchmark carries slightly more than the 60 Hz asked for.

Each measurement runs in its own process, so its peak memory (max RSS) is its own:

  end to end    `import_capture`: read + decode + telemetry + store (per-lap Arrow blocks) into SQLite;
                the store builds and writes each batch in a process of its own while the feed decodes
                the next, so "store stage alone" (its own work) overlaps the rest of the wall time;
                peak memory is the larger of the import's and its writer process's
  row limit     the same sample rows (one row per car sample / datagram) through raw
                `sqlite3.executemany` into a SQLite file with the store's pragmas: decoding not timed
  Core rows     the same rows through SQLAlchemy Core `insert()` executemany (first 10 minutes)
  naive         lfs-insim 0.9 decoding IS_MCI + one SQLModel object per car sample, `add_all` and a
                commit per 1,000 (a few thousand rows: it is slow)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

CACHE_VERSION = 1
MCI_INTERVAL_MS = 50
OUT_HZ = 70.0  # -> 66.7 Hz with 5 ms steps (see the docstring)
STEP_MS = 5
SEED = 11
FLUSH = 200_000  # rows per executemany batch in the row-limit measurement


def max_rss_mb() -> float:
    """Peak RSS of this process or of any child it waited for (the import's writer process)."""
    kb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
             resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)  # kilobytes on Linux
    return kb / 1024 if sys.platform != "darwin" else kb / 2**20


# -- the capture ----------------------------------------------------------------------------------


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def record(path: Path, cars: int, minutes: float) -> None:
    from lfs_ayats.sim.field import Field
    from lfs_ayats.sim.host import HostConfig, SimHost
    from lfs_ayats.wire.capture import CaptureWriter
    from lfs_ayats.wire.recorder import Recorder, RecorderOptions
    from lfs_ayats.wire.tcp import ClientOptions, LinkState

    og, os_ = _free_udp_port(), _free_udp_port()
    field = Field("HR1", cars, "race", laps=99, seed=SEED, pit_probability=0.3, tick_ms=20)
    host = SimHost(field, HostConfig(port=0, outgauge=("127.0.0.1", og), outsim=("127.0.0.1", os_), out_hz=OUT_HZ,
                                     step_ms=STEP_MS))
    await host.start()
    options = RecorderOptions(ClientOptions(port=host.port, interval_ms=MCI_INTERVAL_MS), outgauge_port=og,
                              outsim_port=os_, udp_host="127.0.0.1")
    recorder = Recorder(options, CaptureWriter(path, {"source": "benchmark"}, clock=lambda: host.now_ms / 1000))
    await recorder.start_listeners()
    task = asyncio.ensure_future(recorder.run())
    while recorder.client.state is not LinkState.CONNECTED:
        await asyncio.sleep(0.005)
    end_ms = int(minutes * 60_000)
    while host.now_ms < end_ms and not field.finished:
        await host.advance(MCI_INTERVAL_MS)
        for _ in range(3):  # let the recorder take the TCP and UDP traffic of this step
            await asyncio.sleep(0)
    await asyncio.sleep(0.1)
    recorder.stop()
    await task
    recorder.writer.close()
    await host.stop()


def cached_capture(cache: Path, cars: int, minutes: float) -> Path:
    path = cache / f"lfs-ayats-ingest-v{CACHE_VERSION}-{cars}cars-{minutes:g}min.lfscap"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        started = time.perf_counter()
        print(f"making the capture with the simulator (once): {path}", file=sys.stderr)
        asyncio.run(record(partial, cars, minutes))
        partial.rename(path)
        print(f"  made in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return path


# -- the measurements (each in a child process) -------------------------------------------------


def end_to_end(capture: Path, folder: Path) -> dict[str, Any]:
    from lfs_ayats.store.engine import open_store
    from lfs_ayats.store.ingest import import_capture

    db = folder / "blocks.sqlite3"
    engine = open_store(f"sqlite:///{db}")
    started = time.perf_counter()
    result = import_capture(capture, engine)
    elapsed = time.perf_counter() - started
    c = result.counters
    return {"samples": c.samples, "seconds": elapsed, "store_seconds": result.store_seconds,
            "store_wait_seconds": result.store_wait_seconds, "laps": c.laps,
            "events": c.events, "blocks": c.blocks,
            "db_mb": db.stat().st_size / 2**20, "records": result.records}


def _sample_rows(capture: Path, minutes: float | None, sink: Any) -> int:
    """Run the capture through the feed and hand the sample rows to `sink(kind, rows)` in batches."""
    from lfs_ayats.store.sink import CAR_CHANNELS, GAUGE_CHANNELS, MOTION_CHANNELS
    from lfs_ayats.telemetry.events import CarSamples, Event, GaugeSample, MotionSample
    from lfs_ayats.telemetry.feed import Feed
    from lfs_ayats.wire.capture import CaptureReader

    cars: list[CarSamples] = []
    gauge: list[tuple[Any, ...]] = []
    motion: list[tuple[Any, ...]] = []
    count = 0

    def flush() -> None:
        nonlocal count
        if cars:
            n = np.fromiter((len(s) for s in cars), np.int64, len(cars))
            cols = [np.repeat(np.fromiter((s.t for s in cars), np.float64, len(cars)), n),
                    np.concatenate([s.plid for s in cars]).astype(np.float64),
                    np.concatenate([s.lap for s in cars]).astype(np.float64)]
            cols += [np.concatenate([getattr(s, c) for s in cars]).astype(np.float64) for c in CAR_CHANNELS]
            rows = list(map(tuple, np.column_stack(cols).tolist()))
            sink("cars", rows)
            count += len(rows)
            cars.clear()
        for kind, rows in (("gauge", gauge), ("motion", motion)):
            if rows:
                sink(kind, rows)
                count += len(rows)
                rows.clear()

    def listen(ev: Event) -> None:
        if isinstance(ev, CarSamples):
            cars.append(ev)
        elif isinstance(ev, GaugeSample):
            gauge.append(tuple(getattr(ev, c) for c in ("t", "plid", *GAUGE_CHANNELS)))
        elif isinstance(ev, MotionSample):
            motion.append(tuple(getattr(ev, c) for c in ("t", "plid", *MOTION_CHANNELS)))

    feed = Feed([listen])
    buffered = 0
    with CaptureReader(capture) as reader:
        end = None if minutes is None else minutes * 60
        for record in reader.records(0, end):
            for ev in feed.feed_record(record):
                if isinstance(ev, CarSamples):
                    buffered += len(ev)
                elif isinstance(ev, GaugeSample | MotionSample):
                    buffered += 1
            if buffered >= FLUSH:
                flush()
                buffered = 0
    feed.flush()
    flush()
    return count


def _columns(kind: str) -> list[str]:
    from lfs_ayats.store.sink import CAR_CHANNELS, GAUGE_CHANNELS, MOTION_CHANNELS

    names = {"cars": ("t", "plid", "lap", *CAR_CHANNELS), "gauge": ("t", "plid", *GAUGE_CHANNELS),
             "motion": ("t", "plid", *MOTION_CHANNELS)}[kind]
    return list(names)


def row_limit(capture: Path, folder: Path) -> dict[str, Any]:
    db = folder / "rows.sqlite3"
    conn = sqlite3.connect(db)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL"):
        conn.execute(f"PRAGMA {pragma}")
    for kind in ("cars", "gauge", "motion"):
        cols = _columns(kind)
        conn.execute(f"CREATE TABLE samples_{kind} (id INTEGER PRIMARY KEY, {', '.join(cols)})")
    spent = 0.0

    def insert(kind: str, rows: list[tuple[Any, ...]]) -> None:
        nonlocal spent
        cols = _columns(kind)
        sql = f"INSERT INTO samples_{kind} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        started = time.perf_counter()
        with conn:
            conn.executemany(sql, rows)
        spent += time.perf_counter() - started

    count = _sample_rows(capture, None, insert)
    conn.close()
    return {"samples": count, "seconds": spent, "db_mb": db.stat().st_size / 2**20}


def core_rows(capture: Path, folder: Path) -> dict[str, Any]:
    from sqlalchemy import Column, Float, Integer, MetaData, Table, insert

    from lfs_ayats.store.engine import make_engine

    engine = make_engine(f"sqlite:///{folder / 'core.sqlite3'}")
    meta = MetaData()
    tables = {kind: Table(f"samples_{kind}", meta, Column("id", Integer, primary_key=True),
                          *(Column(c, Float) for c in _columns(kind))) for kind in ("cars", "gauge", "motion")}
    meta.create_all(engine)
    spent = 0.0

    def write(kind: str, rows: list[tuple[Any, ...]]) -> None:
        nonlocal spent
        cols = _columns(kind)
        dicts = [dict(zip(cols, r, strict=True)) for r in rows]
        started = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(insert(tables[kind]), dicts)
        spent += time.perf_counter() - started

    count = _sample_rows(capture, 10.0, write)
    return {"samples": count, "seconds": spent}


def naive(capture: Path, folder: Path, limit: int = 5_000) -> dict[str, Any]:
    from lfs_insim.packets import unpack_insim
    from sqlmodel import Field, Session, SQLModel, create_engine

    from lfs_ayats.wire.capture import CaptureReader, Channel

    class CarSampleRow(SQLModel, table=True):
        id: int | None = Field(default=None, primary_key=True)
        t: float
        plid: int
        lap: int
        node: int
        position: int
        info: int
        x_m: float
        y_m: float
        z_m: float
        speed_mps: float
        direction_deg: float
        heading_deg: float
        angvel_dps: float

    engine = create_engine(f"sqlite:///{folder / 'naive.sqlite3'}")
    SQLModel.metadata.create_all(engine)
    done = 0
    started = time.perf_counter()
    with CaptureReader(capture) as reader, Session(engine) as session:
        batch: list[CarSampleRow] = []
        for record in reader.records():
            if record.channel != Channel.INSIM_TCP or record.data[1] != 38:  # one frame a record; ISP_MCI
                continue
            packet = unpack_insim(bytes(record.data))
            for car in packet.Info:
                batch.append(CarSampleRow(t=record.t, plid=car.PLID, lap=car.Lap, node=car.Node,
                                          position=car.Position, info=car.Info, x_m=car.x_m, y_m=car.y_m,
                                          z_m=car.z_m, speed_mps=car.speed_mps, direction_deg=car.direction_deg,
                                          heading_deg=car.heading_deg, angvel_dps=car.angvel_dps))
            if len(batch) >= 1000:
                session.add_all(batch)
                session.commit()
                done += len(batch)
                batch = []
            if done >= limit:
                break
    return {"samples": done, "seconds": time.perf_counter() - started}


PHASES = {"end_to_end": end_to_end, "row_limit": row_limit, "core_rows": core_rows, "naive": naive}


def child(phase: str, capture: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="lfs-ayats-ingest-") as folder:
        out = PHASES[phase](capture, Path(folder))
    out["max_rss_mb"] = max_rss_mb()
    print(json.dumps(out))


def run_phase(phase: str, capture: Path) -> dict[str, Any]:
    result = subprocess.run([sys.executable, __file__, "--phase", phase, "--capture", str(capture)],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{phase} failed:\n{result.stderr}")
    out: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    out["rate"] = out["samples"] / out["seconds"] if out["seconds"] else float("nan")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--cars", type=int, default=32)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--capture", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        child(args.phase, args.capture)
        return
    capture = cached_capture(args.cache, args.cars, args.minutes)
    from lfs_ayats.wire.capture import CaptureReader

    with CaptureReader(capture) as reader:
        print(f"capture: {capture.name}: {reader.duration / 60:.1f} min, {len(reader):,} records, "
              f"{capture.stat().st_size / 2**20:.0f} MiB")
    results = {phase: run_phase(phase, capture) for phase in PHASES}
    e2e, limit, core, slow = (results[p] for p in ("end_to_end", "row_limit", "core_rows", "naive"))
    store = {"rate": e2e["samples"] / e2e["store_seconds"], "seconds": e2e["store_seconds"],
             "max_rss_mb": e2e["max_rss_mb"]}
    print(f"samples (car samples + OutGauge + OutSim): {e2e['samples']:,}; "
          f"{e2e['laps']} laps, {e2e['events']} events, {e2e['blocks']} blocks")
    print("                                             samples/s    seconds   peak RSS MiB")
    rows = [("end to end: import_capture (blocks)", e2e), ("  of which the store stage alone", store),
            ("row limit: raw sqlite3.executemany", limit),
            ("Core insert executemany (rows, 10 min)", core), ("naive: lfs-insim + SQLModel add_all", slow)]
    for name, r in rows:
        print(f"  {name:<40} {r['rate']:>12,.0f} {r['seconds']:>10.1f} {r['max_rss_mb']:>14.0f}")
    print(f"  the import waited {e2e['store_wait_seconds']:.1f} s for the store's writer process "
          f"(mostly the last batch, written after the feed ends)")
    print(f"  database size: blocks {e2e['db_mb']:.0f} MiB, rows {limit['db_mb']:.0f} MiB")
    print(f"  end to end / row limit   {e2e['rate'] / limit['rate']:>8.2f}   (goal >= 0.5)")
    print(f"  end to end / naive       {e2e['rate'] / slow['rate']:>8.1f}   (goal >= 20)")
    print(f"  store stage / row limit  {store['rate'] / limit['rate']:>8.2f}   (the storage half alone)")
    print(f"  store stage / naive      {store['rate'] / slow['rate']:>8.1f}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
