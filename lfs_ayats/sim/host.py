"""A simulated LFS host on loopback: InSim 10 over TCP, OutGauge and OutSim over UDP.

It behaves as LFS does towards InSim programs: it waits for IS_ISI, checks the admin password,
answers IS_VER, honours the ISF_ flags and the Interval, answers TINY requests, sends TINY_NONE
every 30 s and drops a client it has not heard from for 70 s, and serves several clients at once.
What it reports comes from a `sim.field.Field` stepped on the host's own clock; packets are built
in `sim.broadcast`.

The clock is simulated time in milliseconds. `run()` paces it against the wall clock at `speed`
(10 = ten times real time, 0 = as fast as the machine goes); tests call `advance(ms)` instead, so
every packet a client sees depends only on the seed and the order of requests, never on timing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from lfs_ayats.packets import PacketError, decode, encode, packet_class
from lfs_ayats.packets.constants import INSIM_VERSION, ISF, SMALL, TINY
from lfs_ayats.wire.framing import Framer, FramingError

from . import broadcast
from .field import Field

log = logging.getLogger(__name__)

KEEPALIVE_MS = 30_000
SILENCE_LIMIT_MS = 70_000
ISI_TIMEOUT_MS = 10_000  # a connection that never sends IS_ISI is closed like a silent one
MAX_CLIENTS = 8  # LFS accepts up to 8 InSim programs
WRITE_BUFFER_LIMIT = 4 * 1024 * 1024  # a client that stops reading is dropped, not buffered forever

# Packets LFS no longer sends to programs that ask for an InSim version below 10 (InSim.txt's "(*)").
V10_ONLY = frozenset({"IS_PLH", "IS_REO", "IS_OBH", "IS_HLV", "IS_CON", "IS_RIP"})

IS_TINY = packet_class("IS_TINY")
IS_SMALL = packet_class("IS_SMALL")
IS_VER = packet_class("IS_VER")


@dataclass
class HostConfig:
    """How the simulated host listens and what it sends."""

    host: str = "127.0.0.1"
    port: int = 29999  # 0 = any free port (see SimHost.port once started)
    admin: str = ""
    outgauge: tuple[str, int] | None = None
    outsim: tuple[str, int] | None = None
    out_hz: float = 60.0  # OutGauge / OutSim rate, in simulated time
    outsim_opts: int = 0x1FF
    step_ms: int = 10  # simulation step
    version: str = "0.8C"
    product: str = "S3"


@dataclass
class Client:
    """One InSim connection."""

    writer: asyncio.StreamWriter
    peer: str
    connected_ms: int
    last_heard_ms: int
    initialised: bool = False
    flags: int = 0
    interval_ms: int = 0
    next_positions_ms: int = 0
    udp_port: int = 0
    outgauge_ms: int = 0  # SMALL_SSG interval (0 = off)
    outsim_ms: int = 0  # SMALL_SSP interval (0 = off)
    next_outgauge_ms: int = 0
    next_outsim_ms: int = 0
    closed: bool = False
    sent: int = 0
    name: str = ""
    insim_version: int = INSIM_VERSION
    extra: dict[str, object] = field(default_factory=dict)


class SimHost:
    """The simulated LFS: a `Field`, a clock, and the InSim/OutGauge/OutSim endpoints."""

    def __init__(self, sim: Field, config: HostConfig | None = None) -> None:
        self.field = sim
        self.config = config or HostConfig()
        self.now_ms = 0
        self.clients: list[Client] = []
        self._server: asyncio.Server | None = None
        self._udp: socket.socket | None = None
        self._next_keepalive_ms = KEEPALIVE_MS
        self._next_out_ms = 0
        self._out_period_ms = max(1, round(1000 / self.config.out_hz)) if self.config.out_hz > 0 else 0
        self._builder = broadcast.Broadcaster(sim, self.config)
        self.on_tick: Callable[[int], None] | None = None
        self._serving: set[asyncio.Task[None]] = set()
        self.finished = asyncio.Event()
        self.stats = {"steps": 0, "insim_packets": 0, "insim_udp_packets": 0, "outgauge_packets": 0,
                      "outsim_packets": 0}

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> int:
        """Listen; returns the TCP port (useful with port 0)."""
        self._server = await asyncio.start_server(
            self._serve, self.config.host, self.config.port, limit=64 * 1024, reuse_address=True
        )
        self._udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._udp.setblocking(False)
        return self.port

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the host first"
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Close every connection and stop listening."""
        if self._server is not None:
            self._server.close()
        for client in list(self.clients):
            self._drop(client, "host stopped")
        if self._serving:
            # Let each connection's task see its closed socket and end before the loop does.
            await asyncio.wait(self._serving, timeout=2.0)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
        if self._udp is not None:
            self._udp.close()
            self._udp = None

    async def run(self, speed: float = 1.0, until_ms: int | None = None) -> None:
        """Advance the clock against the wall clock at `speed` until the session ends (or until_ms)."""
        step = self.config.step_ms
        started = time.monotonic()
        start_ms = self.now_ms
        while not self.field.finished and (until_ms is None or self.now_ms < until_ms):
            await self.advance(step)
            if speed > 0:
                due = started + (self.now_ms - start_ms) / 1000.0 / speed
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                elif delay < -1.0:  # far behind (machine too slow): do not try to catch up in a burst
                    started += -delay - 1.0
                    await asyncio.sleep(0)
                else:
                    await asyncio.sleep(0)
            elif self.stats["steps"] % 20 == 0:
                await asyncio.sleep(0)  # let clients read even at full speed
        self.finished.set()

    async def advance(self, ms: int) -> None:
        """Run the simulation forward by `ms` of simulated time, sending what LFS would send."""
        step = self.config.step_ms
        target = self.now_ms + ms
        while self.now_ms < target:
            dt = min(step, target - self.now_ms)
            events = self.field.step(dt)
            self.now_ms += dt
            self.stats["steps"] += 1
            self._tick(events)
            if self.on_tick is not None:
                self.on_tick(self.now_ms)
            if self.stats["steps"] % 50 == 0:
                # Let clients read and answer (keep-alives) as simulated time goes by.
                for _ in range(3):
                    await asyncio.sleep(0)
        await self._drain()

    # -- the per-step work -----------------------------------------------------------------------

    def _tick(self, events: Sequence[object]) -> None:
        now = self.now_ms
        live = [c for c in self.clients if c.initialised and not c.closed]
        for event in events:
            for flag, packets in self._builder.event_packets(event):
                for client in live:
                    if flag == 0 or client.flags & flag:
                        self._send_all(client, self._for_version(client, packets))
        for client in live:
            if client.interval_ms and client.flags & (ISF.MCI | ISF.NLP) and now >= client.next_positions_ms:
                client.next_positions_ms = now + client.interval_ms
                if client.flags & ISF.MCI:
                    self._send_positions(client, self._builder.mci())
                if client.flags & ISF.NLP:
                    self._send_positions(client, self._builder.nlp())
            self._client_outstreams(client, now)
        if now >= self._next_keepalive_ms:
            self._next_keepalive_ms = now + KEEPALIVE_MS
            for client in live:
                self._send(client, IS_TINY(ReqI=0, SubT=TINY.NONE))
        for client in list(self.clients):
            limit = SILENCE_LIMIT_MS if client.initialised else ISI_TIMEOUT_MS
            if not client.closed and now - client.last_heard_ms >= limit:
                self._drop(client, "no packet for 70 s" if client.initialised else "no IS_ISI")
        if self._out_period_ms and now >= self._next_out_ms:
            self._next_out_ms = now + self._out_period_ms
            if self.config.outgauge is not None:
                self._udp_send(self.config.outgauge, self._builder.outgauge(now), "outgauge_packets")
            if self.config.outsim is not None:
                self._udp_send(self.config.outsim, self._builder.outsim(now), "outsim_packets")

    def _client_outstreams(self, client: Client, now: int) -> None:
        """OutGauge/OutSim started by SMALL_SSG/SSP go to the client's UDPPort, as in LFS."""
        if not client.udp_port:
            return
        address = (self.config.host, client.udp_port)
        if client.outgauge_ms and now >= client.next_outgauge_ms:
            client.next_outgauge_ms = now + client.outgauge_ms
            self._udp_send(address, self._builder.outgauge(now), "outgauge_packets")
        if client.outsim_ms and now >= client.next_outsim_ms:
            client.next_outsim_ms = now + client.outsim_ms
            self._udp_send(address, self._builder.outsim(now), "outsim_packets")

    def _udp_send(self, address: tuple[str, int], data: bytes, counter: str) -> None:
        if self._udp is None:
            return
        try:
            self._udp.sendto(data, address)
            self.stats[counter] += 1
        except (BlockingIOError, ConnectionRefusedError, OSError):
            pass  # UDP to nobody is not an error: LFS does not care either

    # -- connections -----------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._serving.add(task)
            task.add_done_callback(self._serving.discard)
        peer = "{}:{}".format(*writer.get_extra_info("peername")[:2])
        if len([c for c in self.clients if not c.closed]) >= MAX_CLIENTS:
            log.warning("InSim: refusing %s, already %d programs connected", peer, MAX_CLIENTS)
            writer.close()
            return
        client = Client(writer=writer, peer=peer, connected_ms=self.now_ms, last_heard_ms=self.now_ms)
        with contextlib.suppress(Exception):
            writer.transport.set_write_buffer_limits(high=WRITE_BUFFER_LIMIT)
        self.clients.append(client)
        framer = Framer()
        try:
            while not client.closed:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                try:
                    frames = framer.feed(chunk)
                except FramingError as exc:
                    log.warning("InSim: %s sent a corrupt stream (%s); closing", peer, exc)
                    for frame in exc.frames:
                        self._receive(client, frame)
                    break
                for frame in frames:
                    self._receive(client, frame)
                    if client.closed:
                        break
                await self._drain_one(client)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self._drop(client, "connection closed")

    def _receive(self, client: Client, frame: bytes) -> None:
        client.last_heard_ms = self.now_ms
        try:
            packet = decode(frame)
        except PacketError as exc:
            log.warning("InSim: %s sent a bad packet: %s", client.peer, exc)
            return
        if not client.initialised:
            self._initialise(client, packet)
            return
        if packet.name == "IS_TINY":
            self._tiny(client, packet)
        elif packet.name == "IS_SMALL":
            self._small(client, packet)
        elif packet.name == "IS_ISI":
            self._initialise(client, packet)  # LFS lets a program re-initialise

    def _initialise(self, client: Client, packet: object) -> None:
        name = getattr(packet, "name", "")
        if name != "IS_ISI":
            log.warning("InSim: %s sent %s before IS_ISI; closing", client.peer, name)
            self._drop(client, "no IS_ISI")
            return
        isi = packet
        if self.config.admin and str(isi.Admin) != self.config.admin:  # type: ignore[attr-defined]
            # LFS says so on its own screen and closes the connection; it sends nothing back.
            log.warning("InSim: admin password does not match (%s)", client.peer)
            self._drop(client, "admin password does not match")
            return
        client.initialised = True
        client.flags = int(isi.Flags)  # type: ignore[attr-defined]
        client.interval_ms = int(isi.Interval) if isi.Interval else 0  # type: ignore[attr-defined]
        if client.interval_ms:
            client.interval_ms = max(10, min(8000, client.interval_ms))
        client.next_positions_ms = self.now_ms
        client.udp_port = int(isi.UDPPort)  # type: ignore[attr-defined]
        client.name = str(isi.IName)  # type: ignore[attr-defined]
        client.insim_version = int(isi.InSimVer)  # type: ignore[attr-defined]
        log.info("InSim: %s connected as %r (InSimVer %d)", client.peer, client.name, isi.InSimVer)  # type: ignore[attr-defined]
        if isi.ReqI:  # type: ignore[attr-defined]
            # LFS cannot go back to older layouts: it answers with the version it speaks (InSim.txt).
            self._send(client, self._version(isi.ReqI))  # type: ignore[attr-defined]

    def _version(self, reqi: int) -> object:
        return IS_VER(ReqI=reqi, Version=self.config.version, Product=self.config.product, InSimVer=INSIM_VERSION)

    def _tiny(self, client: Client, packet: object) -> None:
        subt, reqi = int(packet.SubT), int(packet.ReqI)  # type: ignore[attr-defined]
        b = self._builder
        replies: dict[int, Callable[[], list[object]]] = {
            TINY.VER: lambda: [self._version(reqi)],
            TINY.PING: lambda: [IS_TINY(ReqI=reqi, SubT=TINY.REPLY)],
            TINY.SST: lambda: [b.sta(reqi)],
            TINY.RST: lambda: [b.rst(reqi)],
            TINY.NCN: lambda: b.ncn(reqi),
            TINY.NPL: lambda: b.npl(reqi),
            TINY.RES: lambda: b.res(reqi),
            TINY.REO: lambda: self._for_version(client, [b.reo(reqi)]),
            TINY.NLP: lambda: b.nlp(reqi),
            TINY.MCI: lambda: b.mci(reqi, everyone=True),
            TINY.ISM: lambda: [b.ism(reqi)],
            TINY.GTM: lambda: [IS_SMALL(ReqI=reqi, SubT=SMALL.RTP, UVal=self._race_time(client))],
            TINY.SCP: lambda: [b.cpp(reqi)],
        }
        if subt == TINY.CLOSE:
            self._drop(client, "TINY_CLOSE")
            return
        reply = replies.get(subt)
        if reply is not None and reqi:  # LFS answers info requests only when ReqI is non-zero
            if subt in (TINY.MCI, TINY.NLP):
                self._send_positions(client, reply())
            else:
                self._send_all(client, reply())

    def _small(self, client: Client, packet: object) -> None:
        subt, value = int(packet.SubT), int(packet.UVal)  # type: ignore[attr-defined]
        if subt == SMALL.NLI:
            client.interval_ms = 0 if value == 0 else max(10, min(8000, value))
            client.next_positions_ms = self.now_ms
        elif subt == SMALL.SSG:
            client.outgauge_ms = value * 10  # hundredths of a second, like cfg.txt's Delay
            client.next_outgauge_ms = self.now_ms
        elif subt == SMALL.SSP:
            client.outsim_ms = value * 10
            client.next_outsim_ms = self.now_ms

    # -- sending ---------------------------------------------------------------------------------

    def _race_time(self, client: Client) -> int:
        """SMALL_RTP: ms since InSim 10, hundredths for older programs (InSim.txt's (#) rule)."""
        ms = self.now_ms if client.insim_version >= INSIM_VERSION else self.now_ms // 10
        return ms & 0xFFFFFFFF

    @staticmethod
    def _for_version(client: Client, packets: list[object]) -> list[object]:
        """InSim.txt's (*) rule: LFS sends these only to programs that asked for InSim 10 or later."""
        if client.insim_version >= INSIM_VERSION:
            return packets
        return [p for p in packets if getattr(p, "name", "") not in V10_ONLY]

    def _send_positions(self, client: Client, packets: list[object]) -> None:
        """IS_MCI / IS_NLP: by UDP to the program's UDPPort when it gave one, as LFS does."""
        if client.udp_port:
            for packet in packets:
                self._udp_send((self.config.host, client.udp_port), encode(packet), "insim_udp_packets")  # type: ignore[arg-type]
        else:
            self._send_all(client, packets)

    def _send(self, client: Client, packet: object) -> None:
        self._write(client, encode(packet), 1)  # type: ignore[arg-type]

    def _send_all(self, client: Client, packets: list[object]) -> None:
        if packets:
            self._write(client, b"".join(encode(p) for p in packets), len(packets))  # type: ignore[arg-type]

    def _write(self, client: Client, data: bytes, count: int) -> None:
        if client.closed:
            return
        transport = client.writer.transport
        if transport.is_closing():
            self._drop(client, "connection closed")
            return
        if transport.get_write_buffer_size() > WRITE_BUFFER_LIMIT:
            self._drop(client, "not reading (send buffer full)")
            return
        client.writer.write(data)
        client.sent += count
        self.stats["insim_packets"] += count

    async def _drain(self) -> None:
        for client in list(self.clients):
            await self._drain_one(client)

    async def _drain_one(self, client: Client) -> None:
        if client.closed:
            return
        try:
            if client.writer.transport.get_write_buffer_size() > 256 * 1024:
                await asyncio.wait_for(client.writer.drain(), timeout=1.0)
        except (TimeoutError, ConnectionError):
            self._drop(client, "connection lost")

    def _drop(self, client: Client, reason: str) -> None:
        if client.closed:
            return
        client.closed = True
        log.info("InSim: %s disconnected (%s)", client.peer, reason)
        with contextlib.suppress(Exception):
            client.writer.close()
        with contextlib.suppress(ValueError):
            self.clients.remove(client)
