"""The simulator on a thread of its own, for `lfs-ayats demo`, the screenshots and the benchmarks.

    sim = BackgroundSim(SimOptions(port=0, cars=12, outgauge=("127.0.0.1", 30000)), repeat=True)
    port = sim.start()      # listening when this returns
    ...
    sim.stop()

A thread with its own event loop keeps the simulator's clock independent of whatever the caller's
thread is busy with (a UI frame, say), as a separate LFS process would be. With `repeat`, a finished
race is followed (after `pause_s` of wall time, for the results) by the next one with the next seed,
on the same InSim port: the client's reconnection finds it, as it would find a restarted LFS.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import socket
import threading

from .field import Field
from .host import HostConfig, SimHost
from .run import SimOptions, build_field

POLL_S = 0.01
RECONNECT_WAIT_S = 5.0


def free_udp_port(host: str = "127.0.0.1") -> int:
    """A UDP port nobody listens on right now (for the simulator to send OutGauge/OutSim to)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class BackgroundSim:
    """A `SimHost` running at `options.speed` on a daemon thread; with `repeat`, one race after another."""

    def __init__(self, options: SimOptions, step_ms: int = 10, *, repeat: bool = False, pause_s: float = 0.0) -> None:
        self.options = options
        self.step_ms = step_ms
        self.repeat = repeat
        self.pause_s = pause_s
        self.field = build_field(options)  # ValueError naming the bad option, on the caller's thread
        self.host = self._host(self.field, options.port)
        self.port = 0
        self.sessions = 0  # races run to the end
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._go = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="lfs-ayats simulator", daemon=True)

    def start(self, timeout: float = 10.0, *, hold: bool = False) -> int:
        """Start listening; returns the InSim port. Raises OSError if the port cannot be had.

        With `hold`, the session's clock waits for `go()` (so a client can connect before the start).
        """
        if not hold:
            self._go.set()
        self._thread.start()
        if not self._ready.wait(timeout):
            raise OSError("the simulator did not start listening in time")
        if self._error is not None:
            raise self._error
        return self.port

    def go(self) -> None:
        """Start the session's clock (after `start(hold=True)`)."""
        self._go.set()

    def stop(self) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)
        self._go.set()
        if self._thread.is_alive():
            self._thread.join(10.0)

    @property
    def finished(self) -> bool:
        return bool(self.field.finished)

    def _run(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._main())
        except BaseException as exc:  # start-up failures go to the caller of start()
            self._error = exc
            self._ready.set()
        finally:
            loop.close()

    def _host(self, field: Field, port: int) -> SimHost:
        o = self.options
        return SimHost(field, HostConfig(port=port, admin=o.admin, outgauge=o.outgauge, outsim=o.outsim,
                                         out_hz=o.hz, step_ms=self.step_ms))

    async def _main(self) -> None:
        stop = self._stop = asyncio.Event()
        self.port = await self.host.start()
        self._ready.set()
        while not self._go.is_set() and not stop.is_set():
            await asyncio.sleep(POLL_S)
        while True:
            await self._race(stop)
            if stop.is_set() or not self.repeat:
                break
            with contextlib.suppress(asyncio.TimeoutError):  # the results stay on screen a moment
                await asyncio.wait_for(stop.wait(), self.pause_s)
            if stop.is_set():
                break
            await self.host.stop()
            # The next seed, the same port: build it before swapping, so `field` is never half made.
            next_field = build_field(dataclasses.replace(self.options, seed=self.options.seed + self.sessions))
            self.field, self.host = next_field, self._host(next_field, self.port)
            await self.host.start()
            await self._await_client(stop)
        await stop.wait()  # a finished session stays connectable until stopped
        await self.host.stop()

    async def _await_client(self, stop: asyncio.Event) -> None:
        """Give the programs of the last race a moment to reconnect, so they see this one start."""
        for _ in range(int(RECONNECT_WAIT_S / POLL_S)):
            if stop.is_set() or any(c.initialised and not c.closed for c in self.host.clients):
                return
            await asyncio.sleep(POLL_S)

    async def _race(self, stop: asyncio.Event) -> None:
        """Run the host's session until it ends or `stop` is set."""
        runner = asyncio.ensure_future(self.host.run(speed=self.options.speed))
        waiter = asyncio.ensure_future(stop.wait())
        await asyncio.wait({runner, waiter}, return_when=asyncio.FIRST_COMPLETED)
        for task in (runner, waiter):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.field.finished:
            self.sessions += 1
