"""The simulator on a thread of its own, for `lfs-ayats demo`, the screenshots and the benchmarks.

    sim = BackgroundSim(SimOptions(port=0, cars=12, outgauge=("127.0.0.1", 30000)))
    port = sim.start()      # listening when this returns
    ...
    sim.stop()

A thread with its own event loop keeps the simulator's clock independent of whatever the caller's
thread is busy with (a UI frame, say), as a separate LFS process would be.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading

from .host import HostConfig, SimHost
from .run import SimOptions, build_field


def free_udp_port(host: str = "127.0.0.1") -> int:
    """A UDP port nobody listens on right now (for the simulator to send OutGauge/OutSim to)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class BackgroundSim:
    """A `SimHost` running at `options.speed` on a daemon thread."""

    def __init__(self, options: SimOptions, step_ms: int = 10) -> None:
        self.options = options
        self.field = build_field(options)  # ValueError naming the bad option, on the caller's thread
        self.host = SimHost(self.field, HostConfig(port=options.port, admin=options.admin, outgauge=options.outgauge,
                                                   outsim=options.outsim, out_hz=options.hz, step_ms=step_ms))
        self.port = 0
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

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        self.port = await self.host.start()
        self._ready.set()
        while not self._go.is_set() and not self._stop.is_set():
            await asyncio.sleep(0.01)
        runner = asyncio.ensure_future(self.host.run(speed=self.options.speed))
        waiter = asyncio.ensure_future(self._stop.wait())
        await asyncio.wait({runner, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if not runner.done():
            runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner
        await self._stop.wait()  # a finished session stays connectable until stopped
        waiter.cancel()
        await self.host.stop()
