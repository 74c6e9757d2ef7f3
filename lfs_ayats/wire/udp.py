"""UDP listeners for OutGauge and OutSim (and InSim's position packets over UDP), with a relay.

LFS sends OutGauge and OutSim to one address each, and users often run other tools (a dashboard,
a motion rig) beside ours: every datagram can be forwarded unchanged to further ports. Datagrams
go to `on_datagram(channel, data)` as they arrive; decoding is the caller's business.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


class UdpPortError(OSError):
    """A UDP port that cannot be listened on; the message says which and why, with a hint."""


@dataclass
class UdpStats:
    datagrams: int = 0
    bytes: int = 0
    relayed: int = 0
    relay_errors: int = 0


@dataclass
class _Protocol(asyncio.DatagramProtocol):
    channel: int
    on_datagram: Callable[[int, bytes], None]
    relay_to: Sequence[tuple[str, int]]
    stats: UdpStats = field(default_factory=UdpStats)
    transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self.stats.datagrams += 1
        self.stats.bytes += len(data)
        for target in self.relay_to:
            try:
                assert self.transport is not None
                self.transport.sendto(data, target)
                self.stats.relayed += 1
            except OSError:
                self.stats.relay_errors += 1
        self.on_datagram(self.channel, data)

    def error_received(self, exc: Exception) -> None:
        # An ICMP "port unreachable" for a relay target nobody listens on: not our problem.
        self.stats.relay_errors += 1


class UdpListener:
    """Listen on one UDP port; `await start()`, then datagrams flow until `close()`."""

    def __init__(
        self,
        name: str,
        channel: int,
        port: int,
        on_datagram: Callable[[int, bytes], None],
        host: str = "0.0.0.0",
        relay_to: Sequence[tuple[str, int]] = (),
    ) -> None:
        self.name = name
        self.port = port
        self.host = host
        self._protocol = _Protocol(channel, on_datagram, tuple(relay_to))
        self._transport: asyncio.DatagramTransport | None = None

    @property
    def stats(self) -> UdpStats:
        return self._protocol.stats

    async def start(self) -> int:
        """Bind; returns the port (useful with port 0). Raises UdpPortError with a hint."""
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind((self.host, self.port))
        except OSError as exc:
            sock.close()
            if exc.errno == errno.EADDRINUSE:
                raise UdpPortError(
                    exc.errno,
                    f"UDP port {self.port} for {self.name} is already in use: another program is listening "
                    f"there. Close it, or choose another port (and set the same one in LFS's cfg.txt)",
                ) from None
            raise UdpPortError(exc.errno, f"cannot listen for {self.name} on UDP {self.host}:{self.port}: "
                                          f"{exc.strerror or exc}") from None
        transport, _ = await loop.create_datagram_endpoint(lambda: self._protocol, sock=sock)
        self._transport = transport
        self.port = int(sock.getsockname()[1])
        return self.port

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None
