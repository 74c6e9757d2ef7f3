"""The headless live link: LFS (here the simulator) -> InSim client + UDP listeners -> feed -> live snapshot."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

import pytest

from lfs_ayats.sim.field import Field
from lfs_ayats.sim.host import HostConfig, SimHost
from lfs_ayats.telemetry.live_link import DemoLink, DemoOptions, LinkOptions, LiveLink
from lfs_ayats.wire.tcp import ClientOptions
from lfs_ayats.wire.udp import UdpPortError

CARS = 6
WAIT_STEPS = 2000


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def until(condition: Callable[[], bool], host: SimHost | None = None) -> None:
    """Let the loop (and the simulated clock, if given) run until `condition` holds, in bounded steps."""
    for _ in range(WAIT_STEPS):
        if condition():
            return
        if host is not None:
            await host.advance(20)
        await asyncio.sleep(0.005)
    raise AssertionError("the condition never held")


async def test_the_link_retries_until_lfs_listens_then_fills_the_snapshot() -> None:
    port, og, os_ = free_port(), free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM)
    link = LiveLink(LinkOptions(ClientOptions(port=port, backoff_first_s=0.05, backoff_max_s=0.1),
                                outgauge_port=og, outsim_port=os_, udp_host="127.0.0.1"))
    await link.start()
    await until(lambda: link.snapshot.link.state in ("lost", "retrying"))  # nobody listens yet
    host = SimHost(Field("GM1", CARS, "race", laps=2, seed=3),
                   HostConfig(port=port, outgauge=("127.0.0.1", og), outsim=("127.0.0.1", os_), out_hz=20))
    await host.start()
    try:
        await until(lambda: link.snapshot.link.state == "connected")
        state = link.snapshot.state
        await until(lambda: len(state()["field"]) == CARS and state()["viewed"] is not None
                    and state()["viewed"]["gauge"] is not None and state()["viewed"]["motion"] is not None, host)
        final = state()
        assert final["link"]["source"] == "live" and final["session"]["track"] == "GM1"
        assert all(car["driver"] for car in final["field"])
        assert link.feed.counters.packets["OutGauge"] > 0 and link.feed.counters.packets["IS_MCI"] > 0
    finally:
        await link.stop()
        await host.stop()
    assert link.snapshot.link.state == "stopped"


async def test_a_udp_port_in_use_is_reported_and_nothing_is_left_open() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
        busy.bind(("127.0.0.1", 0))
        taken = busy.getsockname()[1]
        link = LiveLink(LinkOptions(ClientOptions(port=free_port()), outgauge_port=free_port(socket.SOCK_DGRAM),
                                    outsim_port=taken, udp_host="127.0.0.1"))
        with pytest.raises(UdpPortError, match=f"UDP port {taken} for OutSim is already in use"):
            await link.start()
    assert link.udp == [] and link.client is None


async def test_the_demo_link_runs_the_simulator_on_its_own_thread() -> None:
    link = DemoLink(DemoOptions(cars=CARS, laps=1, seed=5))
    await link.start()
    try:
        state = link.snapshot.state
        await until(lambda: len(state()["field"]) == CARS and state()["link"]["state"] == "connected")
        assert state()["link"]["source"] == "demo"
    finally:
        await link.stop()
    assert link.sim is not None and not link.sim._thread.is_alive()


async def test_the_demo_starts_the_next_session_when_one_ends() -> None:
    link = DemoLink(DemoOptions(cars=2, laps=1, seed=5, speed=0))  # unpaced: a lap in a moment
    await link.start()
    try:
        assert link.sim is not None
        sim = link.sim
        await until(lambda: sim.sessions >= 1)
        # The same port again: the client's reconnection finds the next session's host.
        await until(lambda: link.client is not None and link.client.connections >= 2)
    finally:
        await link.stop()
