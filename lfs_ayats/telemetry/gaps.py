"""Gap to the leader and interval to the car ahead, from when each car passed each path node.

LFS's own timing screens work this way: every car's passage of every node is stamped, and the gap
between two cars at a node is the difference of their stamps. IS_MCI arrives a few times a
second while a car may pass several nodes in between, so the nodes passed since the previous
sample are stamped by linear interpolation in time. Passages are kept twice (the latest and the
one before), so a car a lap down still measures against the leader's previous passage.
"""

from __future__ import annotations

import numpy as np

MAX_PLID = 256
MAX_STEP_FRACTION = 0.25  # a car that moves more than a quarter lap between samples jumped (reset, pits)
NOBODY = MAX_PLID  # the row of a leader or car ahead that is not there


class NodeClock:
    """Node passage times per car (rows indexed by PLID, and one row for nobody)."""

    def __init__(self, num_nodes: int) -> None:
        self.num_nodes = num_nodes
        self._max_step = int(MAX_STEP_FRACTION * num_nodes)  # steps are whole nodes: the same bound
        # Row NOBODY never passes a node: a gap measured against it is NaN, with no masking.
        self._pass = np.full((NOBODY + 1, num_nodes), np.nan)
        self._before = np.full((NOBODY + 1, num_nodes), np.nan)
        self._pass_flat, self._before_flat = self._pass.reshape(-1), self._before.reshape(-1)  # views
        self.node = np.full(MAX_PLID, -1, dtype=np.int64)  # each car's node at its last sample
        self._t = np.full(MAX_PLID, np.nan)
        # Row by race position, kept between sets; slot 0 (unknown position) and slot -1 (read for
        # position 0's car ahead) always hold NOBODY.
        self._by_position = np.full(MAX_PLID + 1, NOBODY, dtype=np.intp)

    def update(self, t: float, plid: np.ndarray, node: np.ndarray,
               position: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Stamp the nodes passed since each car's last sample; return (gap to leader, interval) in s (read-only)."""
        n = self.num_nodes
        rows = plid.astype(np.intp, copy=False)
        now = node.astype(np.intp, copy=False) % n
        prev = self.node[rows]
        steps = (now - prev) % n
        jumped = (prev < 0) | (steps > self._max_step)  # first sight, or a jump (reset, pits)
        forward = ~jumped & (steps != 0)
        ahead = forward.nonzero()[0]
        if len(ahead):
            self._stamp(t, rows[ahead], prev[ahead], steps[ahead], now[ahead])
        if np.count_nonzero(jumped):
            # The car is at its node now, which is the best stamp there is.
            self._record(rows[jumped], now[jumped], t)
        self.node[rows] = now
        self._t[rows] = t
        return self._gaps(rows, now, position)

    def _stamp(self, t: float, rows: np.ndarray, prev: np.ndarray, steps: np.ndarray, now: np.ndarray) -> None:
        t0 = self._t[rows]
        if np.add.reduce(steps) == len(steps):
            # The usual case (nodes are ~0.2 s apart, samples 0.05-0.1 s): each car passed just the
            # node it is at. The same arithmetic as below with j = steps = 1, so the same stamps.
            r, k, stamp = rows, now, t0 + (t - t0)
        else:
            car = np.repeat(np.arange(len(rows)), steps)
            j = np.arange(int(steps.sum())) - np.repeat(np.cumsum(steps) - steps, steps) + 1  # 1..k within each car
            r = rows[car]
            k = (prev[car] + j) % self.num_nodes
            stamp = t0[car] + (t - t0[car]) * j / steps[car]
        self._record(r, k, stamp)

    def _record(self, rows: np.ndarray, nodes: np.ndarray, stamp: float | np.ndarray) -> None:
        """Passages of nodes by cars: the latest so far becomes the one before."""
        at = rows * self.num_nodes + nodes  # flat indices: a third of the cost of indexing by (row, node)
        self._before_flat[at] = self._pass_flat[at]
        self._pass_flat[at] = stamp

    def _gaps(self, rows: np.ndarray, node: np.ndarray, position: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pos = position.astype(np.intp)
        by_position = self._by_position
        by_position[pos] = rows
        by_position[0] = NOBODY  # cars of unknown position have neither leader nor car ahead
        other = np.empty((2, len(rows)), dtype=np.intp)
        other[0] = by_position[np.minimum(pos, 1)]  # the leader
        other[1] = by_position[pos - 1]  # the car ahead (NOBODY for the leader: its 0 is set below)
        by_position[pos] = NOBODY
        mine = self._pass[rows, node]
        theirs = self._pass[other, node]
        lapped = theirs > mine
        if np.count_nonzero(lapped):
            # The other car passed here again since (it lapped this one): use its passage before that.
            theirs = np.where(lapped, self._before[other, node], theirs)
        out = mine - theirs
        np.copyto(out, 0.0, where=pos == 1)  # the leader
        out.flags.writeable = False
        return out[0], out[1]

    def gap_stream(self) -> None:
        """After a gap in the stream, do not interpolate across it."""
        self.node[:] = -1

    def forget(self, plid: int) -> None:
        self._pass[plid] = np.nan
        self._before[plid] = np.nan
        self.node[plid] = -1
