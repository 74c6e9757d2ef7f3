"""A seeded simulated race, recorded through the simulator host the way `lfs-ayats record` does.

Two recorders connect to one `SimHost`: one before the start (InSim, OutGauge and OutSim), one
mid-race (InSim only; our client asks for TINY_SST/NCN/NPL/RST/RES as it connects). Their capture
clocks read the host's simulated time, so record times (and so event times) are deterministic.
While the host steps, the simulator's own state is kept at every IS_MCI instant, keyed by the
cars' raw X positions, so a CarSamples event can be compared with what the simulator knew.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lfs_ayats.sim.field import Field
from lfs_ayats.sim.host import HostConfig, SimHost
from lfs_ayats.wire.capture import CaptureWriter
from lfs_ayats.wire.recorder import Recorder, RecorderOptions
from lfs_ayats.wire.tcp import ClientOptions, LinkState

SEED = 11
CARS = 12
LAPS = 4
JOIN_MS = 150_000  # the late client connects during lap 2
CHUNK_MS = 100  # = the IS_MCI interval, so each set is stamped with the instant it was built
OUT_HZ = 10.0
YIELDS = 8  # enough turns of the loop for a frame to reach the recorder within its chunk
SEND_PHASE_MS = 20  # a client connected at 0 gets IS_MCI at 20, 120, 220 ... (the host's first step)


@dataclass(repr=False)  # thousands of arrays: a repr (asyncio logs task results) would take seconds
class Snapshot:
    """The simulator's state at one IS_MCI instant (arrays indexed by PLID - 1)."""

    time_ms: int
    lap_distance_m: np.ndarray
    gap_to_leader_s: np.ndarray
    interval_s: np.ndarray
    accel_long_mps2: np.ndarray
    accel_lat_mps2: np.ndarray
    speed_mps: np.ndarray
    moving: np.ndarray


@dataclass(repr=False)
class RecordedRace:
    truth: dict[str, Any]
    full: Path
    late: Path
    join_ms: int
    length_m: float
    snapshots: dict[bytes, Snapshot] = field(default_factory=dict)  # by `position_key`
    outsim_distance: dict[int, float] = field(default_factory=dict)  # by OutSim Time (ms)


def position_key(x_raw: np.ndarray) -> bytes:
    """Every car's raw IS_MCI X, in PLID order: the same instant has the same key (no car retires here)."""
    return np.asarray(x_raw, dtype="<i4").tobytes()


def make_field() -> Field:
    return Field("GM1", CARS, "race", laps=LAPS, seed=SEED, pit_probability=0.3, mistake_scale=3.0, tick_ms=20)


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _connected(recorder: Recorder) -> None:
    for _ in range(2000):
        if recorder.client.state is LinkState.CONNECTED:
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the recorder did not connect to the simulated host")


async def record_race(folder: Path) -> RecordedRace:
    og, os_ = _free_udp_port(), _free_udp_port()
    sim = make_field()
    host = SimHost(sim, HostConfig(port=0, outgauge=("127.0.0.1", og), outsim=("127.0.0.1", os_), out_hz=OUT_HZ,
                                   step_ms=20))
    await host.start()
    race = RecordedRace(truth={}, full=folder / "full.lfscap", late=folder / "late.lfscap", join_ms=JOIN_MS,
                        length_m=sim.track.length_m)

    def sim_clock() -> float:
        return host.now_ms / 1000.0

    def on_tick(now_ms: int) -> None:
        c = sim.cars
        if True:
            race.snapshots[position_key(np.round(c.x_m * 65536))] = Snapshot(
                now_ms, c.lap_distance_m.copy(), c.gap_to_leader_s.copy(), c.interval_s.copy(),
                c.accel_long_mps2.copy(), c.accel_lat_mps2.copy(), c.speed_mps.copy(), ~c.parked & ~c.finished)
        race.outsim_distance[now_ms] = float(c.lap_distance_m[0])

    host.on_tick = on_tick
    options = RecorderOptions(ClientOptions(port=host.port, interval_ms=CHUNK_MS), outgauge_port=og,
                              outsim_port=os_, udp_host="127.0.0.1")
    full = Recorder(options, CaptureWriter(race.full, {"source": "test"}, clock=sim_clock))
    await full.start_listeners()
    tasks = [asyncio.ensure_future(full.run())]
    late: Recorder | None = None
    try:
        await _connected(full)
        await host.advance(SEND_PHASE_MS)  # chunks then end just as an IS_MCI set is built
        while not sim.finished:
            await host.advance(CHUNK_MS)
            for _ in range(YIELDS):
                await asyncio.sleep(0)
            if host.now_ms == JOIN_MS + SEND_PHASE_MS:
                late = Recorder(RecorderOptions(ClientOptions(port=host.port, interval_ms=CHUNK_MS)),
                                CaptureWriter(race.late, {"source": "test"}, clock=sim_clock))
                tasks.append(asyncio.ensure_future(late.run()))
                await _connected(late)
        await host.advance(2 * CHUNK_MS)  # the last results out
        await asyncio.sleep(0.05)
    finally:
        for recorder in (full, late):
            if recorder is not None:
                recorder.stop()
        await asyncio.gather(*tasks, return_exceptions=True)
        for recorder in (full, late):
            if recorder is not None:
                recorder.writer.close()
        await host.stop()
    race.truth = sim.truth()
    return race
