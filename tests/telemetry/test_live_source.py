"""The live source as the API uses it: LFS (here the simulator) -> link thread -> feed -> live snapshot."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

import pytest

from lfs_ayats.sim.field import Field
from lfs_ayats.sim.host import HostConfig, SimHost
from lfs_ayats.sim.run import SimOptions
from lfs_ayats.telemetry.demo import DemoSource
from lfs_ayats.telemetry.events import Event, RaceStarted
from lfs_ayats.telemetry.live import LiveOptions, LiveSource
from lfs_ayats.telemetry.snapshot import follow
from lfs_ayats.wire.tcp import ClientOptions

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


async def test_the_source_retries_until_lfs_listens_then_fills_the_snapshot() -> None:
    port, og, os_ = free_port(), free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM)
    source = LiveSource(LiveOptions(ClientOptions(port=port, backoff_first_s=0.05, backoff_max_s=0.1),
                                    outgauge_port=og, outsim_port=os_, udp_host="127.0.0.1"))
    snapshot = follow(source, "live")
    source.start()
    await until(lambda: snapshot.link.state in ("lost", "retrying"))  # nobody listens yet
    host = SimHost(Field("GM1", CARS, "race", laps=2, seed=3),
                   HostConfig(port=port, outgauge=("127.0.0.1", og), outsim=("127.0.0.1", os_), out_hz=20))
    await host.start()
    try:
        await until(lambda: snapshot.link.state == "connected")
        state = snapshot.state
        await until(lambda: len(state()["field"]) == CARS and state()["viewed"] is not None
                    and state()["viewed"]["gauge"] is not None and state()["viewed"]["motion"] is not None, host)
        final = state()
        assert final["link"]["source"] == "live" and final["session"]["track"] == "GM1"
        assert all(car["driver"] for car in final["field"])
        with source.lock:
            assert source.feed.counters.packets["OutGauge"] > 0 and source.feed.counters.packets["IS_MCI"] > 0
    finally:
        source.stop()
        await host.stop()
    assert snapshot.link.state == "stopped" and snapshot.state()["link"]["state"] == "stopped"


def test_a_udp_port_in_use_is_reported_and_nothing_is_left_open() -> None:
    og = free_port(socket.SOCK_DGRAM)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
        busy.bind(("127.0.0.1", 0))
        taken = busy.getsockname()[1]
        source = LiveSource(LiveOptions(ClientOptions(port=free_port()), outgauge_port=og, outsim_port=taken,
                                        udp_host="127.0.0.1"))
        source.start()
        source.stop()
    assert len(source.problems) == 1
    assert f"UDP port {taken} for OutSim is already in use" in source.problems[0]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as again:  # the port it did get was closed
        again.bind(("127.0.0.1", og))


def test_strict_udp_never_connects_when_a_udp_port_is_busy() -> None:
    og = free_port(socket.SOCK_DGRAM)
    with socket.socket() as lfs, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
        lfs.bind(("127.0.0.1", 0))
        lfs.listen()
        lfs.setblocking(False)  # after stop(), a connection made would already wait in the backlog
        busy.bind(("127.0.0.1", 0))
        taken = busy.getsockname()[1]
        source = LiveSource(LiveOptions(ClientOptions(port=lfs.getsockname()[1]), outgauge_port=og,
                                        outsim_port=taken, udp_host="127.0.0.1", strict_udp=True))
        source.start()
        assert source.problems and f"UDP port {taken}" in source.problems[0]
        source.stop()
        with pytest.raises(BlockingIOError):  # a server that stops on it must not have connected first
            lfs.accept()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as again:
        again.bind(("127.0.0.1", og))


async def test_the_demo_runs_the_simulator_on_its_own_thread() -> None:
    source = DemoSource(SimOptions(cars=CARS, laps=1, seed=5))
    snapshot = follow(source, "demo")
    source.start()
    try:
        state = snapshot.state
        await until(lambda: len(state()["field"]) == CARS and state()["link"]["state"] == "connected")
        assert state()["link"]["source"] == "demo"
    finally:
        source.stop()
    assert not source.sim._thread.is_alive()


async def test_the_demo_starts_the_next_race_when_one_ends() -> None:
    races: list[RaceStarted] = []

    def listener(event: Event) -> None:
        if isinstance(event, RaceStarted):
            races.append(event)

    source = DemoSource(SimOptions(cars=2, laps=1, seed=5, speed=0), [listener], pause_s=0)  # a lap in a moment
    source.start()
    try:
        sim = source.sim
        await until(lambda: sim.sessions >= 1)
        # The same port again: the link's reconnection finds the next race, and the feed sees it start.
        await until(lambda: len(races) >= 2)
        assert sim.field.seed == 5 + sim.sessions
    finally:
        source.stop()
