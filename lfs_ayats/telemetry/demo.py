"""The live source connected to the built-in simulator, for `lfs-ayats demo` and `lfs-ayats serve --demo`.

    source = DemoSource(SimOptions(cars=12, track="GM1", laps=5, seed=1))   # ValueError names a bad option
    source.start()     # the simulator listens on loopback, the link connects, then the race starts
    ...
    source.stop()

The simulator runs on a thread of its own (as a separate LFS process would), one race after another:
when a race has ended and its results were shown for `pause_s`, the next starts with the next seed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from lfs_ayats.sim.background import BackgroundSim, free_udp_port
from lfs_ayats.sim.run import SimOptions
from lfs_ayats.wire.tcp import ClientOptions, LinkEvent, LinkState

from .feed import Listener
from .live import BUFFER_SECONDS, LiveOptions, LiveSource

LOOPBACK = "127.0.0.1"
CONNECT_TIMEOUT_S = 3.0
RESULTS_PAUSE_S = 10.0


class DemoSource(LiveSource):
    """A `LiveSource` whose LFS is a `BackgroundSim` on free loopback ports."""

    def __init__(self, sim: SimOptions, listeners: Iterable[Listener] = (), buffer_seconds: float = BUFFER_SECONDS,
                 *, repeat: bool = True, pause_s: float = RESULTS_PAUSE_S) -> None:
        og, os_ = free_udp_port(), free_udp_port()
        options = dataclasses.replace(sim, port=0, outgauge=(LOOPBACK, og), outsim=(LOOPBACK, os_))
        self.sim = BackgroundSim(options, repeat=repeat, pause_s=pause_s)  # a bad track or car fails here
        # A short backoff: between two races the client finds the next one within a second.
        client = ClientOptions(host=LOOPBACK, port=0, interval_ms=100, backoff_first_s=0.2, backoff_max_s=1.0)
        super().__init__(LiveOptions(client, og, os_, udp_host=LOOPBACK), listeners, buffer_seconds)

    def start(self) -> None:
        """The simulator listens (OSError if it cannot), the link connects, then the race starts.

        Holding the start until the link is up lets the feed see the grid and every lap.
        """
        port = self.options.client.port = self.sim.start(hold=True)
        self.link = LinkEvent(LinkState.CONNECTING, f"{LOOPBACK}:{port}")
        super().start()
        self.connected.wait(CONNECT_TIMEOUT_S)
        self.sim.go()

    def stop(self) -> None:
        super().stop()
        self.sim.stop()
