"""A headless live link on the caller's event loop: InSim + OutGauge/OutSim -> Feed -> LiveSnapshot.

    link = LiveLink(LinkOptions(ClientOptions(host="127.0.0.1", port=29999), outgauge_port=30000))
    await link.start()         # binds the UDP ports (UdpPortError names a port in use), then connects
    version, state = link.snapshot.latest()
    await link.stop()

`DemoLink` does the same against the built-in simulator, which runs on a thread of its own (as a
separate LFS process would) on free loopback ports, one seeded session after another.
The InSim client reconnects with backoff by itself, so LFS may start after the link does.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from lfs_ayats.sim.field import Field
from lfs_ayats.sim.host import HostConfig, SimHost
from lfs_ayats.wire.capture import Channel
from lfs_ayats.wire.tcp import ClientOptions, InSimClient, LinkEvent, LinkState
from lfs_ayats.wire.udp import UdpListener

from .feed import Feed, Listener
from .snapshot import LiveSnapshot

STOP_TIMEOUT_S = 5.0


@dataclass
class LinkOptions:
    client: ClientOptions = field(default_factory=ClientOptions)
    outgauge_port: int = 0  # 0 = do not listen
    outsim_port: int = 0
    udp_host: str = "0.0.0.0"


class LiveLink:
    """Frames from LFS go straight into the feed, on the loop that called `start()`."""

    source = "live"

    def __init__(self, options: LinkOptions, listeners: Iterable[Listener] = ()) -> None:
        self.options = options
        self.feed = Feed(listeners, request=self._request)
        self.snapshot = LiveSnapshot(self.feed.session)
        self.feed.add_listener(self.snapshot)
        self.client: InSimClient | None = None
        self.udp: list[UdpListener] = []
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        opts = self.options
        for name, channel, port in (("OutGauge", Channel.OUTGAUGE, opts.outgauge_port),
                                    ("OutSim", Channel.OUTSIM, opts.outsim_port),
                                    ("InSim UDP", Channel.INSIM_UDP, opts.client.udp_port)):
            if port:
                listener = UdpListener(name, channel, port, self._datagram, opts.udp_host)
                try:
                    await listener.start()
                except OSError:
                    self._close_udp()
                    raise
                self.udp.append(listener)
        self.client = InSimClient(opts.client, self._frame, self._link)
        self._task = asyncio.ensure_future(self.client.run())

    async def stop(self) -> None:
        if self.client is not None:
            self.client.stop()
        if self._task is not None:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(self._task, STOP_TIMEOUT_S)
        self._close_udp()
        self.snapshot.set_link(self.source, LinkState.STOPPED.value)

    def _close_udp(self) -> None:
        for listener in self.udp:
            listener.close()
        self.udp.clear()

    def _frame(self, frame: bytes) -> None:
        self.feed.feed_frame(None, frame)

    def _datagram(self, channel: int, data: bytes) -> None:
        if channel == Channel.OUTGAUGE:
            self.feed.feed_outgauge(None, data)
        elif channel == Channel.OUTSIM:
            self.feed.feed_outsim(None, data)
        else:
            self.feed.feed_frame(None, data)

    def _link(self, event: LinkEvent) -> None:
        if event.state in (LinkState.LOST, LinkState.REFUSED):
            self.feed.gap(None, f"disconnected: {event.detail}" if event.detail else "disconnected")
        self.snapshot.set_link(self.source, event.state.value, event.detail)

    def _request(self, packet: object) -> None:
        if self.client is not None and self.client.state is LinkState.CONNECTED:
            self.client.send(packet)  # type: ignore[arg-type]


@dataclass
class DemoOptions:
    cars: int = 12
    track: str = "GM1"
    laps: int = 5
    seed: int = 0  # the first session's; each next session takes the next seed
    out_hz: float = 60.0  # OutGauge / OutSim rate
    interval_ms: int = 100  # IS_MCI interval
    speed: float = 1.0  # times real time (0: as fast as the machine can, for tests)


class DemoLink(LiveLink):
    """A `LiveLink` to the built-in simulator, started on free loopback ports."""

    source = "demo"

    def __init__(self, demo: DemoOptions | None = None, listeners: Iterable[Listener] = ()) -> None:
        self.demo = demo or DemoOptions()
        # A bad track or car fails here, before anything listens.
        Field(self.demo.track, self.demo.cars, "race", laps=self.demo.laps, seed=self.demo.seed)
        super().__init__(LinkOptions(outgauge_port=0, outsim_port=0, udp_host="127.0.0.1"), listeners)
        self.sim: _SimThread | None = None

    async def start(self) -> None:
        opts = self.options
        udp: list[int] = []
        for name, channel in (("OutGauge", Channel.OUTGAUGE), ("OutSim", Channel.OUTSIM)):
            listener = UdpListener(name, channel, 0, self._datagram, "127.0.0.1")
            udp.append(await listener.start())
            self.udp.append(listener)
        self.sim = _SimThread(self.demo, ("127.0.0.1", udp[0]), ("127.0.0.1", udp[1]))
        port = await asyncio.get_running_loop().run_in_executor(None, self.sim.start)
        opts.client = ClientOptions(host="127.0.0.1", port=port, interval_ms=self.demo.interval_ms,
                                    backoff_first_s=0.2, backoff_max_s=1.0)
        self.client = InSimClient(opts.client, self._frame, self._link)
        self._task = asyncio.ensure_future(self.client.run())

    async def stop(self) -> None:
        await super().stop()
        if self.sim is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.sim.stop)


class _SimThread:
    """The simulator on its own thread and event loop, one session after another until stopped."""

    def __init__(self, demo: DemoOptions, outgauge: tuple[str, int], outsim: tuple[str, int]) -> None:
        self.demo = demo
        self.outgauge, self.outsim = outgauge, outsim
        self.port = 0
        self.sessions = 0
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="lfs-ayats demo simulator", daemon=True)
        self._error: BaseException | None = None

    def start(self) -> int:
        """Start the thread; returns the InSim port once the first host listens."""
        self._thread.start()
        self._ready.wait(STOP_TIMEOUT_S)
        if self._error is not None:
            raise self._error
        return self.port

    def stop(self) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended
                loop.call_soon_threadsafe(stop.set)
        self._thread.join(STOP_TIMEOUT_S)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to start(); nothing else is waiting on this thread
            self._error = exc
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        d = self.demo
        while not self._stop.is_set():
            sim = Field(d.track, d.cars, "race", laps=d.laps, seed=d.seed + self.sessions)
            # The same port every session: the InSim client's reconnection finds the next one.
            host = SimHost(sim, HostConfig(port=self.port, outgauge=self.outgauge, outsim=self.outsim,
                                           out_hz=d.out_hz))
            self.port = await host.start()
            self._ready.set()
            runner = asyncio.ensure_future(host.run(speed=d.speed))
            stopper = asyncio.ensure_future(self._stop.wait())
            await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
            for task in (runner, stopper):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await host.stop()
            self.sessions += 1
