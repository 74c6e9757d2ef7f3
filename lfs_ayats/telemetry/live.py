"""Telemetry sources the app reads: a feed with ring buffers and standings, behind one lock.

    source = LiveSource(LiveOptions(ClientOptions(port=29999), outgauge_port=30000, outsim_port=30001),
                        listeners=[writer.queue])
    source.start()                 # a thread with its own event loop: InSim client, UDP listeners, feed
    with source.lock:              # the UI clock, 10-20 times a second
        rows = source.standings.rows()
        t, v = source.buffers.latest("gauge", plid, "speed_mps", 300)
    source.stop()

Readers that poll at their own pace (the HTTP API) add a listener such as `snapshot.LiveSnapshot`
(`snapshot.follow(source, "live")`) and watch the link through `source.link_watchers`.
`demo.DemoSource` is the same source connected to the built-in simulator.

The link runs on its own thread so that a busy screen never delays packets, and the screen never
waits for packets: the feed's thread holds the lock only while it feeds one batch of frames, and
the UI holds it only while it copies what it draws. Nothing here knows about a UI toolkit.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from lfs_ayats.wire.capture import CaptureRecord, CaptureWriter, Channel
from lfs_ayats.wire.recorder import FrameQueue, RecorderOptions, capture_header
from lfs_ayats.wire.tcp import ClientOptions, InSimClient, LinkEvent, LinkState
from lfs_ayats.wire.udp import UdpListener, UdpPortError

from .buffers import TelemetryBuffers
from .feed import Feed, Listener
from .standings import Standings

log = logging.getLogger(__name__)

BATCH = 512  # frames fed under one hold of the lock
BUFFER_SECONDS = 60.0


@dataclass
class SourceStatus:
    """What the status bar says about where the data comes from."""

    kind: str  # "live", "replay"
    state: str  # live: connecting, connected, lost, retrying, refused, stopped; replay: playing, paused, ended
    detail: str = ""
    where: str = ""
    problems: list[str] = field(default_factory=list)  # e.g. a UDP port that is in use
    position_s: float = 0.0  # replay only
    duration_s: float = 0.0
    speed: float = 1.0


class Source:
    """The feed, its ring buffers and standings; `lock` guards all three."""

    kind = "none"

    def __init__(self, listeners: Iterable[Listener] = (), buffer_seconds: float = BUFFER_SECONDS) -> None:
        self.lock = threading.RLock()
        self.extra: list[Listener] = list(listeners)
        self.buffer_seconds = buffer_seconds
        self.newest_arrival = 0.0  # perf_counter() when the newest frame fed had arrived (latency)
        self.feed, self.buffers, self.standings = self._build()

    def _build(self) -> tuple[Feed, TelemetryBuffers, Standings]:
        feed = Feed(request=self._request)
        buffers = TelemetryBuffers(self.buffer_seconds)
        standings = Standings(feed.session)
        feed.listeners = [buffers, standings, *self.extra]
        return feed, buffers, standings

    def add_listener(self, listener: Listener) -> None:
        """One more consumer of the feed's events (called on the feed's thread, under `lock`)."""
        with self.lock:
            self.extra.append(listener)
            self.feed.add_listener(listener)

    def _request(self, packet: object) -> None:
        """Requests the feed makes of LFS (who is that PLID?); sources without a link ignore them."""

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def status(self) -> SourceStatus:
        raise NotImplementedError


@dataclass
class LiveOptions:
    client: ClientOptions
    outgauge_port: int = 0  # 0 = do not listen
    outsim_port: int = 0
    udp_host: str = "0.0.0.0"
    outsim_opts: int | None = None
    record: Path | None = None  # also write everything into this capture file
    strict_udp: bool = False  # a busy UDP port: do not connect at all (a server stops; the app runs on)


class LiveSource(Source):
    """LFS over InSim (TCP) plus OutGauge and OutSim (UDP), kept connected, on a thread of its own."""

    kind = "live"

    def __init__(self, options: LiveOptions, listeners: Iterable[Listener] = (),
                 buffer_seconds: float = BUFFER_SECONDS) -> None:
        super().__init__(listeners, buffer_seconds)
        self.options = options
        self.feed.outsim_opts = options.outsim_opts
        self.queue = FrameQueue()
        self.received: Counter[Channel] = Counter()
        self.link = LinkEvent(LinkState.CONNECTING, options.client.host + ":" + str(options.client.port))
        self.problems: list[str] = []  # UDP ports that could not be had; the rest runs without them
        self.link_watchers: list[Callable[[LinkEvent], None]] = []  # called on the link's thread
        self.connected = threading.Event()  # set on the first connection
        self.writer: CaptureWriter | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._client: InSimClient | None = None
        self._stop: asyncio.Event | None = None
        self._started = threading.Event()
        self._t0 = time.monotonic()
        self._last_put = 0.0

    # -- control (any thread) ------------------------------------------------------------------------

    def start(self) -> None:
        """Open the capture (if recording) here, so a bad path fails now; then run the link's thread."""
        if self.options.record is not None:
            recorder = RecorderOptions(self.options.client, self.options.outgauge_port, self.options.outsim_port)
            self.writer = CaptureWriter(self.options.record, capture_header(recorder))
        self._thread = threading.Thread(target=self._run, name="lfs-ayats live link", daemon=True)
        self._thread.start()
        self._started.wait(5.0)

    def stop(self) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)
        if self._thread is not None:
            self._thread.join(10.0)
        if self.writer is not None:
            self.writer.close()

    def status(self) -> SourceStatus:
        link = self.link
        detail = link.detail
        if link.state is LinkState.CONNECTED and link.version:
            detail = f"LFS {link.version}"
        return SourceStatus("live", link.state.value, detail, self.options.client.host + ":"
                            + str(self.options.client.port), list(self.problems))

    # -- the link's thread ---------------------------------------------------------------------------

    def _run(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._main())
        finally:
            loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        opts = self.options
        self._client = InSimClient(opts.client, self._insim_frame, self._on_link, self._sent)
        listeners = []
        udp = [("OutGauge", Channel.OUTGAUGE, opts.outgauge_port), ("OutSim", Channel.OUTSIM, opts.outsim_port)]
        if opts.client.udp_port:
            udp.append(("InSim UDP", Channel.INSIM_UDP, opts.client.udp_port))
        for name, channel, port in udp:
            if not port:
                continue
            listener = UdpListener(name, channel, port, self._datagram, opts.udp_host)
            try:
                await listener.start()
                listeners.append(listener)
            except UdpPortError as exc:  # the rest still works: say so, do not stop
                self.problems.append(exc.strerror or str(exc))
        if opts.strict_udp and self.problems:
            for listener in listeners:
                listener.close()
            self._started.set()
            return
        self._started.set()
        tasks = [asyncio.ensure_future(self._client.run()), asyncio.ensure_future(self._consume())]
        await self._stop.wait()
        self._client.stop()
        with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(tasks[0], 5.0)
        tasks[1].cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await tasks[1]
        for listener in listeners:
            listener.close()

    def _put(self, channel: Channel, data: bytes) -> None:
        self.received[channel] += 1
        self._last_put = time.perf_counter()
        t = self.writer.write(channel, data) if self.writer is not None else time.monotonic() - self._t0
        self.queue.put(t, channel, data)

    def _insim_frame(self, frame: bytes) -> None:
        self._put(Channel.INSIM_TCP, frame)

    def _datagram(self, channel: int, data: bytes) -> None:
        self._put(Channel(channel), data)

    def _sent(self, data: bytes) -> None:
        if self.writer is not None:
            self.writer.write(Channel.SENT, data)

    def _on_link(self, event: LinkEvent) -> None:
        self.link = event
        if event.state is LinkState.CONNECTED:
            self.connected.set()
        for watcher in self.link_watchers:
            watcher(event)
        if event.state in (LinkState.LOST, LinkState.REFUSED) and self.received[Channel.INSIM_TCP]:
            # The laps in progress are partial now: a marker through the same queue, in order.
            note = json.dumps({"event": "disconnected", "state": event.state.value, "detail": event.detail})
            t = self.writer.marker("disconnected", state=event.state.value, detail=event.detail) \
                if self.writer is not None else time.monotonic() - self._t0
            self.queue.put(t, Channel.MARKER, note.encode())

    def _request(self, packet: object) -> None:
        if self._client is not None and self._client.state is LinkState.CONNECTED:
            self._client.send(packet)  # type: ignore[arg-type]

    async def _consume(self) -> None:
        queue, feed = self.queue, self.feed
        while True:
            item = await queue.get()
            with self.lock:
                feed.feed_record(CaptureRecord(*item))
                for _ in range(BATCH):
                    more = queue.get_nowait()
                    if more is None:
                        break
                    feed.feed_record(CaptureRecord(*more))
                feed.counters.frames_dropped = sum(queue.dropped.values())
                if not len(queue):
                    self.newest_arrival = self._last_put
            await asyncio.sleep(0)  # let the sockets be read between batches
