"""The InSim client: connect to LFS, introduce ourselves, keep the link alive, come back after a drop.

It sends IS_ISI (InSim 10, ReqI 1) and checks the IS_VER reply, answers TINY_NONE, notices a link
that has gone silent for 70 s, reconnects with capped exponential backoff, and after every
(re)connect asks LFS for the state (TINY_SST, NCN, NPL, RST, RES) so a client started mid-race knows
every player. Every frame received goes to `on_frame` at once, in order; every state change goes to
`on_state`. The admin password is sent to LFS and nowhere else: not to a log, an error or a capture.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from lfs_ayats.packets import PacketError, decode, encode, packet_class
from lfs_ayats.packets.constants import INSIM_VERSION, ISF, ISP, TINY
from lfs_ayats.packets.model import Packet

from .framing import Framer, FramingError

log = logging.getLogger(__name__)

SILENCE_LIMIT_S = 70.0  # LFS sends TINY_NONE every 30 s; nothing for 70 s means the link is gone
VERSION_TIMEOUT_S = 5.0
CONNECT_TIMEOUT_S = 5.0
STATE_REQUESTS = (TINY.SST, TINY.NCN, TINY.NPL, TINY.RST, TINY.RES, TINY.ISM)
DEFAULT_FLAGS = ISF.MCI | ISF.CON | ISF.OBH | ISF.HLV | ISF.LOCAL

IS_ISI = packet_class("IS_ISI")
IS_TINY = packet_class("IS_TINY")


class LinkState(enum.Enum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    LOST = "lost"
    RETRYING = "retrying"
    REFUSED = "refused"
    STOPPED = "stopped"


@dataclass(frozen=True)
class LinkEvent:
    """A change in the link, with a one-line explanation fit to show a user."""

    state: LinkState
    detail: str = ""
    retry_in: float | None = None
    version: str | None = None  # "0.8C S3" once IS_VER arrived
    insim_version: int | None = None


class InSimRefused(Exception):
    """LFS closed the link in answer to our IS_ISI: wrong admin password, or not accepting programs."""


@dataclass
class ClientOptions:
    host: str = "127.0.0.1"
    port: int = 29999
    password: str = ""
    app_name: str = "lfs-ayats"
    flags: int = int(DEFAULT_FLAGS)
    interval_ms: int = 100
    udp_port: int = 0
    reconnect: bool = True
    backoff_first_s: float = 0.5
    backoff_max_s: float = 30.0

    def __repr__(self) -> str:  # the password stays out of reprs, and so out of logs and tracebacks
        return (f"ClientOptions(host={self.host!r}, port={self.port}, password={'***' if self.password else ''!r}, "
                f"app_name={self.app_name!r}, flags={self.flags:#x}, interval_ms={self.interval_ms})")


class InSimClient:
    """One InSim connection to LFS, kept up until `stop()`."""

    def __init__(
        self,
        options: ClientOptions,
        on_frame: Callable[[bytes], None],
        on_state: Callable[[LinkEvent], None] | None = None,
        on_sent: Callable[[bytes], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.options = options
        self._on_frame = on_frame
        self._on_state = on_state or (lambda event: None)
        self._on_sent = on_sent
        self._clock = clock
        self._writer: asyncio.StreamWriter | None = None
        self._stopping = asyncio.Event()
        self.state = LinkState.STOPPED
        self.version: str | None = None
        self.insim_version: int | None = None
        self.connections = 0
        self.frames = 0
        self.bytes = 0

    @property
    def where(self) -> str:
        return f"{self.options.host}:{self.options.port}"

    def _state(self, state: LinkState, detail: str = "", retry_in: float | None = None) -> None:
        self.state = state
        event = LinkEvent(state, detail, retry_in, self.version, self.insim_version)
        (log.warning if state in (LinkState.LOST, LinkState.REFUSED) else log.info)(
            "InSim %s: %s%s", self.where, state.value, f" ({detail})" if detail else ""
        )
        self._on_state(event)

    # -- public ----------------------------------------------------------------------------------

    async def run(self) -> None:
        """Connect and keep connected until `stop()` (or, without reconnect, until the link ends)."""
        delay = self.options.backoff_first_s
        while not self._stopping.is_set():
            self._state(LinkState.CONNECTING, self.where)
            try:
                await self._session()
                delay = self.options.backoff_first_s  # a session that got going resets the backoff
            except InSimRefused as exc:
                self._state(LinkState.REFUSED, str(exc))
            except (TimeoutError, OSError) as exc:
                self._state(LinkState.LOST, self._explain(exc))
            if self._stopping.is_set() or not self.options.reconnect:
                break
            self._state(LinkState.RETRYING, f"retrying in {delay:g} s", retry_in=delay)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=delay)
            delay = min(delay * 2, self.options.backoff_max_s)
        self._state(LinkState.STOPPED)

    def stop(self) -> None:
        self._stopping.set()
        if self._writer is not None:
            self._writer.close()

    def send(self, packet: Packet) -> None:
        """Send a packet to LFS now (dropped with a log line when not connected)."""
        self._send_bytes(encode(packet))

    # -- one connection ---------------------------------------------------------------------------

    def _explain(self, exc: BaseException) -> str:
        if isinstance(exc, ConnectionRefusedError):
            return (f"cannot reach LFS at {self.where}: nothing is listening. Is LFS running, "
                    f"and did you type /insim {self.options.port} in it?")
        if isinstance(exc, asyncio.TimeoutError):
            return f"no answer from {self.where} (is LFS running there? is a firewall in the way?)"
        if isinstance(exc, ConnectionError):
            return f"the link to {self.where} broke ({exc.__class__.__name__})"
        return f"{self.where}: {exc.strerror or exc}" if isinstance(exc, OSError) else str(exc)

    async def _session(self) -> None:
        opts = self.options
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(opts.host, opts.port), timeout=CONNECT_TIMEOUT_S
        )
        self._writer = writer
        framer = Framer()
        try:
            self._send_bytes(encode(IS_ISI(
                ReqI=1, UDPPort=opts.udp_port, Flags=opts.flags, InSimVer=INSIM_VERSION, Prefix="",
                Interval=opts.interval_ms, Admin=opts.password, IName=opts.app_name[:15],
            )))
            first = await self._await_version(reader, framer)
            self.connections += 1
            self._state(LinkState.CONNECTED, f"LFS {self.version}, InSim {self.insim_version}")
            for frame in first:
                self._deliver(frame)
            for reqi, subt in enumerate(STATE_REQUESTS, start=2):
                self.send(IS_TINY(ReqI=reqi, SubT=subt))
            await self._read(reader, framer)
        finally:
            self._writer = None
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _await_version(self, reader: asyncio.StreamReader, framer: Framer) -> list[bytes]:
        """Read until IS_VER; returns frames that arrived with it (delivered after the state change)."""
        deadline = self._clock() + VERSION_TIMEOUT_S
        pending: list[bytes] = []
        while True:
            left = deadline - self._clock()
            if left <= 0:
                raise InSimRefused(f"LFS at {self.where} did not answer IS_ISI with IS_VER")
            chunk = await asyncio.wait_for(reader.read(65536), timeout=left)
            if not chunk:
                raise InSimRefused(
                    f"LFS at {self.where} closed the link after IS_ISI: wrong admin password? "
                    "(set it with LFS_AYATS_INSIM_PASSWORD or --password-env)"
                )
            self.bytes += len(chunk)
            for frame in framer.feed(chunk):
                if frame[1] == ISP.VER and not self.version:
                    packet = decode(frame)
                    self.version = f"{packet.Version} {packet.Product}".strip()
                    self.insim_version = int(packet.InSimVer)
                    if self.insim_version != INSIM_VERSION:
                        log.warning("LFS at %s speaks InSim %d, lfs-ayats speaks %d: some packets may not "
                                    "decode", self.where, self.insim_version, INSIM_VERSION)
                    self._deliver(frame)
                    continue
                pending.append(frame)
            if self.version:
                return pending

    async def _read(self, reader: asyncio.StreamReader, framer: Framer) -> None:
        while not self._stopping.is_set():
            try:
                chunk = await asyncio.wait_for(reader.read(65536), timeout=SILENCE_LIMIT_S)
            except TimeoutError:
                raise ConnectionError("no packet from LFS for 70 s") from None
            if not chunk:
                if self._stopping.is_set():
                    return
                raise ConnectionResetError("LFS closed the connection")
            self.bytes += len(chunk)
            try:
                frames = framer.feed(chunk)
            except FramingError as exc:
                for frame in exc.frames:
                    self._deliver(frame)
                raise ConnectionError(f"corrupt InSim stream from LFS: {exc}") from None
            for frame in frames:
                self._deliver(frame)

    def _deliver(self, frame: bytes) -> None:
        self.frames += 1
        if frame[1] == ISP.TINY and frame[3] == TINY.NONE:
            self._send_bytes(b"\x01\x03\x00\x00")  # keep-alive: answer in kind
        self._on_frame(frame)

    def _send_bytes(self, data: bytes) -> None:
        if self._writer is None or self._writer.is_closing():
            log.info("InSim %s: not connected, a %d-byte packet was not sent", self.where, len(data))
            return
        self._writer.write(data)
        if self._on_sent is not None:
            self._on_sent(data)


def frame_name(frame: bytes) -> str:
    """The packet name of a frame, for status lines ("IS_MCI", or "type 99")."""
    try:
        return f"IS_{ISP(frame[1]).name}"
    except ValueError:
        return f"type {frame[1]}"


__all__ = ["ClientOptions", "InSimClient", "InSimRefused", "LinkEvent", "LinkState", "PacketError", "frame_name"]
