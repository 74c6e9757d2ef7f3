"""Lap fraction and lap distance for every car, from its path node and the viewed car's OutSim.

IS_MCI gives each car's path node; IS_RST gives the number of nodes and the finish node, so

    lap_fraction = ((node - finish) mod NumNodes) / NumNodes

LFS's nodes are spaced by time (≈0.2 s at racing speed), not by distance, so a fraction is not a
distance. OutSimPack2's IndexedDistance (the track ruler, for the viewed car only) supplies the
rest: its wrap at the line measures the track's length, and then pairing it with the viewed car's
node learns each node's distance. Other cars then get the mean ruler distance seen at their node;
nodes not yet learnt use fraction x length; with no OutSim at all, distances stay NaN (unless the
caller sets `length_m`). Integrated speed is not used: it measures the driven line, not the ruler.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

PAIR_RADIUS_M = 25.0  # an OutSim sample this close to the viewed car's IS_MCI position can be paired with it
PAIR_WINDOW_S = 0.25  # ...or, without positions, one this close in time
MAX_WRAP_DT_S = 0.5  # a line crossing measured across a longer gap is not used for the length
RECENT = 16


class TrackRuler:
    """Nodes -> lap fraction and distance, learning the ruler from the viewed car."""

    def __init__(self) -> None:
        self.num_nodes = 0
        self.finish_node = 0
        self.length_m = math.nan
        self.length_estimates: list[float] = []
        self._fixed_length = False
        self._sum = np.zeros(0)
        self._count = np.zeros(0, dtype=np.int64)
        # Per-node tables, so a set's fraction and distance are one lookup each.
        self._fraction_at = np.zeros(0)
        self._distance_at: np.ndarray | None = None  # for `_distance_length`; None: to be built
        self._distance_length = math.nan
        self._recent: deque[tuple[float, float, float, float, float, float, float]] = deque(maxlen=RECENT)
        self._last: tuple[float, float, float] | None = None  # t, distance, speed
        self._max_seen = 0.0

    @property
    def ready(self) -> bool:
        return self.num_nodes > 0

    def configure(self, num_nodes: int, finish_node: int) -> None:
        """IS_RST's path: a different path forgets what was learnt about the old one."""
        if (num_nodes, finish_node) == (self.num_nodes, self.finish_node):
            return
        self.num_nodes, self.finish_node = num_nodes, finish_node
        self._sum = np.zeros(num_nodes)
        self._count = np.zeros(num_nodes, dtype=np.int64)
        self._fraction_at = (np.arange(num_nodes, dtype=np.int64) - finish_node) % num_nodes / num_nodes
        self._distance_at = None
        if not self._fixed_length:
            self.length_m = math.nan
            self.length_estimates = []
        self._recent.clear()
        self._last = None
        self._max_seen = 0.0

    def set_length(self, length_m: float) -> None:
        """A track length known from elsewhere (a PTH file, a track table)."""
        self.length_m = float(length_m)
        self._fixed_length = True

    def fraction(self, nodes: np.ndarray) -> np.ndarray:
        if not self.num_nodes:
            return np.full(len(nodes), np.nan)
        out: np.ndarray = self._fraction_at[nodes.astype(np.intp) % self.num_nodes]
        return out

    # -- the viewed car's ruler ------------------------------------------------------------------

    def observe(self, t: float, distance: float, speed: float, x: float, y: float, vx: float, vy: float,
                lfs_t: float | None = None) -> None:
        """One OutSim IndexedDistance of the viewed car at feed time `t`.

        x, y, vx, vy are NaN when OutSim has no main block; `lfs_t` is OutSim's own time in seconds,
        steadier than arrival times for measuring the line crossing.
        """
        if not math.isfinite(distance):
            return
        when = t if lfs_t is None else lfs_t
        last = self._last
        if last is not None and not self._fixed_length:
            t0, d0, v0 = last
            reference = max(self._max_seen, d0)
            dt = when - t0
            if d0 - distance > 0.5 * reference and 0.0 <= dt <= MAX_WRAP_DT_S:
                # Crossed the line: the ruler ran from d0 to the end, then from 0 to `distance`.
                mean_speed = 0.5 * (v0 + speed) if math.isfinite(speed) and math.isfinite(v0) else 0.0
                self.length_estimates.append(d0 + mean_speed * dt - distance)
                self.length_m = float(np.median(self.length_estimates))
        self._max_seen = max(self._max_seen, distance)
        self._last = (when, distance, speed)
        self._recent.append((t, distance, x, y, vx, vy, speed))

    def view_distance(self, t: float, x: float, y: float) -> float:
        """The viewed car's ruler distance where IS_MCI saw it: the nearest OutSim sample, moved along its velocity."""
        if not self._recent:
            return math.nan
        best = None
        best_d2 = PAIR_RADIUS_M**2
        for sample in self._recent:
            d2 = (sample[2] - x) ** 2 + (sample[3] - y) ** 2
            if d2 <= best_d2:
                best, best_d2 = sample, d2
        if best is not None:
            _, distance, sx, sy, vx, vy, _ = best
            speed = math.hypot(vx, vy)
            along = ((x - sx) * vx + (y - sy) * vy) / speed if speed > 0.5 else 0.0
            return self._wrap(distance + along)
        t0, distance, sx, _, _, _, speed = self._recent[-1]
        if math.isnan(sx) and abs(t - t0) <= PAIR_WINDOW_S:
            # No positions to pair by: move the last distance on by its speed.
            return self._wrap(distance + (speed if math.isfinite(speed) else 0.0) * (t - t0))
        return math.nan

    def learn(self, node: int, distance: float) -> bool:
        """The viewed car was at `node` at ruler `distance`; whether that was learnt."""
        length = self.length_m
        # Until the length is known a distance near the line cannot be told from one a lap away.
        if not self.num_nodes or not math.isfinite(distance) or not math.isfinite(length) \
                or not 0 <= node < self.num_nodes:
            return False
        rel = (node - self.finish_node) % self.num_nodes
        # Near the line the node and the ruler may sit on different sides of it.
        if rel < self.num_nodes / 4 and distance > length / 2:
            distance -= length
        elif rel > 3 * self.num_nodes / 4 and distance < length / 2:
            distance += length
        self._sum[node] += distance
        self._count[node] += 1
        if self._distance_at is not None:
            self._fill(slice(node, node + 1))
        return True

    def distances(self, nodes: np.ndarray) -> np.ndarray:
        """Lap distance at each node: learnt means, else lap fraction x length, else NaN."""
        return self.locate(nodes)[1]

    def locate(self, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(lap fraction, lap distance) at each node: `fraction` and `distances` in one go."""
        if not self.num_nodes:
            return np.full(len(nodes), np.nan), np.full(len(nodes), np.nan)
        length = self.length_m
        same_length = length == self._distance_length or (math.isnan(length) and math.isnan(self._distance_length))
        if self._distance_at is None or not same_length:  # the length is learnt, or set, after the table
            self._distance_at, self._distance_length = np.empty(self.num_nodes), length
            self._fill(slice(None))
        at = nodes.astype(np.intp, copy=False) % self.num_nodes
        return self._fraction_at[at], self._distance_at[at]

    def _fill(self, at: slice) -> None:
        """(Re)compute the distance table at some nodes."""
        assert self._distance_at is not None
        count = self._count[at]
        learnt = np.divide(self._sum[at], count, out=np.full(len(count), np.nan), where=count > 0)
        out = np.where(count > 0, learnt, self._fraction_at[at] * self._distance_length)
        if math.isfinite(self._distance_length):
            out = out % self._distance_length
        self._distance_at[at] = out

    def forget_view(self) -> None:
        """OutSim is about to describe another car (or the stream had a gap): do not pair across."""
        self._recent.clear()
        self._last = None

    def learnt_nodes(self) -> int:
        return int(np.count_nonzero(self._count))

    def _wrap(self, distance: float) -> float:
        return distance % self.length_m if math.isfinite(self.length_m) else distance
