"""Record any simulated Field through the simulator host into a capture, as `lfs-ayats record` would.

tests/telemetry/simrace.py does this for the fixed store race (and keeps the simulator's state at
every instant); the anomaly and prediction tests and benchmarks/anomalies.py need longer races
with other seeds, and no snapshots.
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

from lfs_ayats.sim.field import Field
from lfs_ayats.sim.host import HostConfig, SimHost
from lfs_ayats.wire.capture import CaptureWriter
from lfs_ayats.wire.recorder import Recorder, RecorderOptions
from lfs_ayats.wire.tcp import ClientOptions, LinkState

CHUNK_MS = 100  # = the IS_MCI interval
YIELDS = 8  # turns of the loop for a frame to reach the recorder within its chunk


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def record_field(sim: Field, path: Path, *, out_hz: float = 10.0, interval_ms: int = CHUNK_MS) -> dict[str, Any]:
    """Run `sim` to its end through a host on loopback, recording InSim + OutGauge + OutSim to `path`; the truth.

    `interval_ms` is the IS_MCI interval the recorder asks for (IS_ISI Interval); the host is advanced in
    steps of it, so every IS_MCI reaches the recorder within its own step and is stamped with its own time.
    """
    og, os_ = _free_udp_port(), _free_udp_port()
    host = SimHost(sim, HostConfig(port=0, outgauge=("127.0.0.1", og), outsim=("127.0.0.1", os_), out_hz=out_hz,
                                   step_ms=20))
    await host.start()
    options = RecorderOptions(ClientOptions(port=host.port, interval_ms=interval_ms), outgauge_port=og,
                              outsim_port=os_, udp_host="127.0.0.1")
    recorder = Recorder(options, CaptureWriter(path, {"source": "test"}, clock=lambda: host.now_ms / 1000.0))
    await recorder.start_listeners()
    task = asyncio.ensure_future(recorder.run())
    try:
        for _ in range(2000):
            if recorder.client.state is LinkState.CONNECTED:
                break
            await asyncio.sleep(0.005)
        else:
            raise AssertionError("the recorder did not connect to the simulated host")
        await host.advance(20)
        while not sim.finished:
            await host.advance(interval_ms)
            for _ in range(YIELDS):
                await asyncio.sleep(0)
        await host.advance(2 * interval_ms)
        await asyncio.sleep(0.05)
    finally:
        recorder.stop()
        await asyncio.gather(task, return_exceptions=True)
        recorder.writer.close()
        await host.stop()
    return sim.truth()


def record(sim: Field, path: Path) -> dict[str, Any]:
    return asyncio.run(record_field(sim, path))
