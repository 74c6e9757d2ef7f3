"""Recording a live session: everything LFS sends, as it arrives, into a capture file.

The recorder wires the InSim client and the OutGauge/OutSim listeners to a `CaptureWriter`.
Frames are written the moment they arrive (capture files are append-only and write-through, so a
killed recorder loses at most the last second), link changes become gap markers, and the LFS
version from IS_VER goes into the capture's header. Live consumers (the app) read from a bounded
`FrameQueue`: when they fall behind, the oldest frames are dropped and counted, never piled up.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from lfs_ayats import __version__
from lfs_ayats.packets.constants import ISP

from .capture import CaptureWriter, Channel
from .tcp import ClientOptions, InSimClient, LinkEvent, LinkState
from .udp import UdpListener

FRAME_QUEUE_LIMIT = 50_000  # about a minute of a 32-car race at 20 Hz with OutGauge and OutSim at 60 Hz


class FrameQueue:
    """A bounded hand-over from the link to a slower consumer: the oldest are dropped, and counted."""

    def __init__(self, limit: int = FRAME_QUEUE_LIMIT) -> None:
        self._items: deque[tuple[float, Channel, bytes]] = deque(maxlen=limit)
        self._ready = asyncio.Event()
        self.limit = limit
        self.dropped: Counter[Channel] = Counter()
        self.queued = 0

    def put(self, t: float, channel: Channel, data: bytes) -> None:
        if len(self._items) == self.limit:
            self.dropped[self._items[0][1]] += 1
        self._items.append((t, channel, data))
        self.queued += 1
        self._ready.set()

    async def get(self) -> tuple[float, Channel, bytes]:
        while not self._items:
            self._ready.clear()
            await self._ready.wait()
        return self._items.popleft()

    def get_nowait(self) -> tuple[float, Channel, bytes] | None:
        return self._items.popleft() if self._items else None

    def __len__(self) -> int:
        return len(self._items)


_CHANNEL_NAMES = {Channel.INSIM_TCP: "InSim", Channel.INSIM_UDP: "InSim UDP", Channel.OUTGAUGE: "OutGauge",
                  Channel.OUTSIM: "OutSim"}


@dataclass
class RecorderStats:
    """Counts per channel since the start, and the link's state, for the status line."""

    packets: Counter[Channel] = field(default_factory=Counter)
    bytes: int = 0
    started: float = field(default_factory=time.monotonic)
    state: str = "starting"
    detail: str = ""

    def totals(self) -> str:
        """`InSim 25,301  OutGauge 3,900  OutSim 3,900 packets, 12.4 MB in 00:01:05`."""
        elapsed = int(time.monotonic() - self.started)
        clock = f"{elapsed // 3600:02d}:{elapsed % 3600 // 60:02d}:{elapsed % 60:02d}"
        counts = "  ".join(f"{name} {self.packets[ch]:,}" for ch, name in _CHANNEL_NAMES.items() if self.packets[ch])
        return f"{counts + ' packets' if counts else 'no packets'}, {self.bytes / 1e6:.1f} MB in {clock}"

    def line(self, previous: Counter[Channel] | None = None, interval: float = 1.0) -> str:
        """`InSim 412/s  OutGauge 60/s  OutSim 60/s  1.2 MB  00:01:05  connected`."""
        previous = previous or Counter()
        rates = "  ".join(
            f"{name} {(self.packets[ch] - previous[ch]) / interval:.0f}/s" for ch, name in _CHANNEL_NAMES.items()
            if self.packets[ch] or ch in (Channel.INSIM_TCP, Channel.OUTGAUGE, Channel.OUTSIM)
        )
        elapsed = int(time.monotonic() - self.started)
        clock = f"{elapsed // 3600:02d}:{elapsed % 3600 // 60:02d}:{elapsed % 60:02d}"
        state = self.state + (f" ({self.detail})" if self.detail and self.state != "connected" else "")
        return f"{rates}  {self.bytes / 1e6:.1f} MB  {clock}  {state}"


@dataclass
class RecorderOptions:
    client: ClientOptions
    outgauge_port: int = 0  # 0 = do not listen
    outsim_port: int = 0
    udp_host: str = "0.0.0.0"
    relay_outgauge: tuple[tuple[str, int], ...] = ()
    relay_outsim: tuple[tuple[str, int], ...] = ()


class Recorder:
    """The InSim client and UDP listeners, writing into one capture file."""

    def __init__(self, options: RecorderOptions, writer: CaptureWriter, queue: FrameQueue | None = None,
                 on_state: Callable[[LinkEvent], None] | None = None) -> None:
        self.options = options
        self.writer = writer
        self.queue = queue
        self.stats = RecorderStats()
        self._on_state = on_state
        self.client = InSimClient(options.client, self._insim_frame, self._state, self._sent)
        self.listeners: list[UdpListener] = []
        if options.client.udp_port:
            # IS_MCI / IS_NLP by UDP: LFS sends them to the UDPPort our IS_ISI names.
            self.listeners.append(UdpListener("InSim UDP", Channel.INSIM_UDP, options.client.udp_port,
                                              self._datagram, options.udp_host))
        if options.outgauge_port:
            self.listeners.append(UdpListener("OutGauge", Channel.OUTGAUGE, options.outgauge_port, self._datagram,
                                              options.udp_host, options.relay_outgauge))
        if options.outsim_port:
            self.listeners.append(UdpListener("OutSim", Channel.OUTSIM, options.outsim_port, self._datagram,
                                              options.udp_host, options.relay_outsim))

    async def start_listeners(self) -> None:
        """Bind the UDP ports first, so a port in use is reported before anything is recorded."""
        for listener in self.listeners:
            await listener.start()

    async def run(self, duration: float | None = None) -> None:
        """Record until `stop()` or for `duration` seconds."""
        task = asyncio.ensure_future(self.client.run())
        try:
            if duration is None:
                await task
            else:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(asyncio.shield(task), timeout=duration)
        finally:
            self.client.stop()
            with contextlib.suppress(asyncio.CancelledError, asyncio.TimeoutError):
                await asyncio.wait_for(task, timeout=5)
            for listener in self.listeners:
                listener.close()

    def stop(self) -> None:
        self.client.stop()

    # -- callbacks from the link -------------------------------------------------------------------

    def _record(self, channel: Channel, data: bytes) -> None:
        t = self.writer.write(channel, data)
        self.stats.packets[channel] += 1
        self.stats.bytes += len(data)
        if self.queue is not None:
            self.queue.put(t, channel, data)

    def _insim_frame(self, frame: bytes) -> None:
        self._record(Channel.INSIM_TCP, frame)
        if frame[1] == ISP.VER and self.client.version:
            self.writer.update_header(lfs_version=self.client.version.split()[0],
                                      product=" ".join(self.client.version.split()[1:]),
                                      insim_version=self.client.insim_version)

    def _sent(self, data: bytes) -> None:
        self.writer.write(Channel.SENT, data)  # the writer masks the admin password in IS_ISI

    def _datagram(self, channel: int, data: bytes) -> None:
        self._record(Channel(channel), data)

    def _state(self, event: LinkEvent) -> None:
        self.stats.state = event.state.value
        self.stats.detail = event.detail
        if event.state in (LinkState.CONNECTED, LinkState.LOST, LinkState.REFUSED):
            # Gap markers: replay and import know where the stream was interrupted, and why.
            self.writer.marker("connected" if event.state is LinkState.CONNECTED else "disconnected",
                               state=event.state.value, detail=event.detail)
        if self._on_state is not None:
            self._on_state(event)


def capture_header(options: RecorderOptions, source: str = "live") -> dict[str, object]:
    """What a live capture's header says before LFS has answered (never the password)."""
    return {
        "source": source, "host": options.client.host, "port": options.client.port,
        "app": f"lfs-ayats {__version__}", "outgauge_port": options.outgauge_port or None,
        "outsim_port": options.outsim_port or None,
    }
