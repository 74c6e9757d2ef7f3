"""IS_MCI packets -> whole sets: LFS splits one update of up to 48 cars over up to 3 packets.

The first car of a set carries CCI_FIRST and the last CCI_LAST. Sets are joined as numpy
structured arrays (one concatenate, no per-car work); a set that lost a packet is still handed
on, marked incomplete, so one dropped datagram costs one update and not the stream.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from lfs_ayats.packets.constants import CCI

_FIRST, _LAST = int(CCI.FIRST), int(CCI.LAST)  # plain ints: IntFlag attribute access is slow


class CarSet(NamedTuple):
    t: float  # the feed time of the set's first packet
    cars: np.ndarray  # CompCar structured array
    complete: bool
    reply: bool


class CarSets:
    """Collects IS_MCI packets until CCI_LAST."""

    def __init__(self) -> None:
        self._parts: list[np.ndarray] = []
        self._t = 0.0
        self._opened = False
        self._reply = False
        self.incomplete = 0

    def add(self, t: float, packet: Any) -> list[CarSet]:
        """One IS_MCI packet; returns the sets it completes (none, one, or a broken one and this one)."""
        cars: np.ndarray = packet.Info.array
        if len(cars) == 0:
            return []
        info = cars["Info"]
        first = bool(info[0] & _FIRST)
        out = []
        if first and self._parts:
            out.append(self._take(complete=False))  # the rest of the previous set never came
        if not self._parts:
            self._t, self._opened, self._reply = t, first, bool(packet.ReqI)
        self._parts.append(cars)
        if info[-1] & _LAST:
            out.append(self._take(complete=self._opened))
        return out

    def flush(self) -> list[CarSet]:
        """Whatever is pending, as an incomplete set (end of a capture, a link gap)."""
        return [self._take(complete=False)] if self._parts else []

    def _take(self, complete: bool) -> CarSet:
        parts, self._parts = self._parts, []
        if len(parts) == 1:
            cars = parts[0]
        elif all(p.dtype == parts[0].dtype for p in parts):
            # Joining the bytes is a third of what concatenate costs on structured arrays (it
            # promotes their fields in Python); read-only like the packets' own arrays.
            cars = np.frombuffer(b"".join([p.tobytes() for p in parts]), parts[0].dtype)
        else:
            cars = np.concatenate(parts)
        if not complete:
            self.incomplete += 1
        return CarSet(self._t, cars, complete, self._reply)
