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


class NodeClock:
    """Node passage times per car (rows indexed by PLID)."""

    def __init__(self, num_nodes: int) -> None:
        self.num_nodes = num_nodes
        self._pass = np.full((MAX_PLID, num_nodes), np.nan)
        self._before = np.full((MAX_PLID, num_nodes), np.nan)
        self.node = np.full(MAX_PLID, -1, dtype=np.int64)  # each car's node at its last sample
        self._t = np.full(MAX_PLID, np.nan)

    def update(self, t: float, plid: np.ndarray, node: np.ndarray,
               position: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Stamp the nodes passed since each car's last sample; return (gap to leader, interval) in s."""
        n = self.num_nodes
        rows = plid.astype(np.intp)
        now = node.astype(np.int64) % n
        prev = self.node[rows]
        steps = (now - prev) % n
        forward = (prev >= 0) & (steps > 0) & (steps <= MAX_STEP_FRACTION * n)
        if forward.any():
            self._stamp(t, rows[forward], prev[forward], steps[forward])
        jumped = (prev < 0) | ((steps != 0) & ~forward)
        if jumped.any():
            # First sight or a jump: the car is at its node now, which is the best stamp there is.
            r, k = rows[jumped], now[jumped]
            self._before[r, k] = self._pass[r, k]
            self._pass[r, k] = t
        self.node[rows] = now
        self._t[rows] = t
        return self._gaps(rows, now, position)

    def _stamp(self, t: float, rows: np.ndarray, prev: np.ndarray, steps: np.ndarray) -> None:
        t0 = self._t[rows]
        total = int(steps.sum())
        car = np.repeat(np.arange(len(rows)), steps)
        j = np.arange(total) - np.repeat(np.cumsum(steps) - steps, steps) + 1  # 1..k within each car
        r = rows[car]
        k = (prev[car] + j) % self.num_nodes
        stamp = t0[car] + (t - t0[car]) * j / steps[car]
        self._before[r, k] = self._pass[r, k]
        self._pass[r, k] = stamp

    def _gaps(self, rows: np.ndarray, node: np.ndarray, position: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        by_position = np.full(MAX_PLID, -1, dtype=np.intp)
        pos = position.astype(np.intp)
        by_position[pos[pos > 0]] = rows[pos > 0]
        mine = self._pass[rows, node]
        leader = by_position[1]
        ahead = by_position[np.maximum(pos - 1, 0)]
        gap = self._behind(mine, leader, node) if leader >= 0 else np.full(len(rows), np.nan)
        interval = np.where(ahead >= 0, self._behind(mine, np.maximum(ahead, 0), node), np.nan)
        gap = np.where(pos == 1, 0.0, np.where(pos > 0, gap, np.nan))
        interval = np.where(pos == 1, 0.0, np.where(pos > 1, interval, np.nan))
        return gap, interval

    def _behind(self, mine: np.ndarray, other: np.ndarray | np.intp, node: np.ndarray) -> np.ndarray:
        theirs = self._pass[other, node]
        # The other car passed here again since (it lapped this one): use its passage before that.
        theirs = np.where(theirs > mine, self._before[other, node], theirs)
        out: np.ndarray = mine - theirs
        return out

    def gap_stream(self) -> None:
        """After a gap in the stream, do not interpolate across it."""
        self.node[:] = -1

    def forget(self, plid: int) -> None:
        self._pass[plid] = np.nan
        self._before[plid] = np.nan
        self.node[plid] = -1
