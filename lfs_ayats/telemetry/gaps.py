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
_FIRST_BEHIND = np.array([[0], [1]])  # the positions that have a gap to the leader, an interval: above these


class NodeClock:
    """Node passage times per car (rows indexed by PLID)."""

    def __init__(self, num_nodes: int) -> None:
        self.num_nodes = num_nodes
        self._max_step = int(MAX_STEP_FRACTION * num_nodes)  # steps are whole nodes: the same bound
        self._pass = np.full((MAX_PLID, num_nodes), np.nan)
        self._before = np.full((MAX_PLID, num_nodes), np.nan)
        self.node = np.full(MAX_PLID, -1, dtype=np.int64)  # each car's node at its last sample
        self._t = np.full(MAX_PLID, np.nan)

    def update(self, t: float, plid: np.ndarray, node: np.ndarray,
               position: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Stamp the nodes passed since each car's last sample; return (gap to leader, interval) in s."""
        n = self.num_nodes
        rows = plid.astype(np.intp)
        now = node.astype(np.intp) % n
        prev = self.node[rows]
        steps = (now - prev) % n
        seen = prev >= 0
        moved = steps != 0
        forward = seen & moved & (steps <= self._max_step)
        ahead = forward.nonzero()[0]
        if len(ahead):
            self._stamp(t, rows[ahead], prev[ahead], steps[ahead], now[ahead])
        # Neither stepped forward nor stayed put: first sight, or a jump (reset, pits).
        if len(ahead) + np.count_nonzero(seen & ~moved) < len(rows):
            # The car is at its node now, which is the best stamp there is.
            jumped = ~seen | (moved & ~forward)
            r, k = rows[jumped], now[jumped]
            self._before[r, k] = self._pass[r, k]
            self._pass[r, k] = t
        self.node[rows] = now
        self._t[rows] = t
        return self._gaps(rows, now, position)

    def _stamp(self, t: float, rows: np.ndarray, prev: np.ndarray, steps: np.ndarray, now: np.ndarray) -> None:
        t0 = self._t[rows]
        if steps.max() == 1:
            # The usual case (nodes are ~0.2 s apart, samples 0.05-0.1 s): each car passed just the
            # node it is at. The same arithmetic as below with j = steps = 1, so the same stamps.
            r, k, stamp = rows, now, t0 + (t - t0)
        else:
            car = np.repeat(np.arange(len(rows)), steps)
            j = np.arange(int(steps.sum())) - np.repeat(np.cumsum(steps) - steps, steps) + 1  # 1..k within each car
            r = rows[car]
            k = (prev[car] + j) % self.num_nodes
            stamp = t0[car] + (t - t0[car]) * j / steps[car]
        self._before[r, k] = self._pass[r, k]
        self._pass[r, k] = stamp

    def _gaps(self, rows: np.ndarray, node: np.ndarray, position: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pos = position.astype(np.intp)
        by_position = np.full(MAX_PLID, -1, dtype=np.intp)
        # Position 0 (unknown) lands in slot 0 and -1 reads slot 255: only cars whose result is
        # masked below (position 0 or 1) read those slots, so they need no filtering.
        by_position[pos] = rows
        other = np.empty((2, len(rows)), dtype=np.intp)  # the leader's row, the row of the car ahead
        other[0] = by_position[1]
        other[1] = by_position[pos - 1]
        known = other >= 0
        np.maximum(other, 0, out=other)
        mine = self._pass[rows, node]
        theirs = self._pass[other, node]
        # The other car passed here again since (it lapped this one): use its passage before that.
        behind = mine - np.where(theirs > mine, self._before[other, node], theirs)
        # The leader counts for cars in a position, the car ahead for cars behind the leader.
        out = np.where(known & (pos > _FIRST_BEHIND), behind, np.nan)
        out[:, pos == 1] = 0.0
        return out[0], out[1]

    def gap_stream(self) -> None:
        """After a gap in the stream, do not interpolate across it."""
        self.node[:] = -1

    def forget(self, plid: int) -> None:
        self._pass[plid] = np.nan
        self._before[plid] = np.nan
        self.node[plid] = -1
