"""Closed circuits for the simulator: centre line, width, timing lines, path nodes, pit lane.

Frames and conventions (as LFS): X east, Y north, Z up, metres. A heading is in radians,
0 = world +Y, counter-clockwise positive. Lap distance is measured along the centre line
from the start/finish line. A lateral offset is in metres, positive to the LEFT of the
direction of travel (the counter-clockwise side, the same sense as positive curvature).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lfs_ayats.sim.centreline import CentreLine, build_centre_line
from lfs_ayats.sim.layouts import LAYOUTS, Layout

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

NODE_SPACING_M = 6.0
"""Target distance between path nodes (LFS's PTH nodes are ≈0.2 s apart at racing speed)."""


def periodic_smooth(values: FloatArray, sigma_samples: float) -> FloatArray:
    """Circular Gaussian smoothing (keeps the mean, so total turning is unchanged)."""
    n = len(values)
    freq = np.fft.rfftfreq(n)
    kernel = np.exp(-0.5 * (2.0 * math.pi * freq * sigma_samples) ** 2)
    out: FloatArray = np.fft.irfft(np.fft.rfft(values) * kernel, n=n)
    return out


def periodic_gradient(values: FloatArray, step: float) -> FloatArray:
    out: FloatArray = (np.roll(values, -1) - np.roll(values, 1)) / (2.0 * step)
    return out


@dataclass(frozen=True)
class OffsetPath:
    """Geometry of a path that follows the centre line at a lateral offset ``n(s)``."""

    curvature: FloatArray
    """Curvature of the driven path, 1/m, positive turning left."""
    stretch: FloatArray
    """Path length per metre of centre line (1 on the centre line)."""
    direction_offset: FloatArray
    """Direction of motion relative to the centre-line heading, rad."""


def offset_path(kappa: FloatArray, offset: FloatArray, step: float, kappa_slope: FloatArray) -> OffsetPath:
    """Curvature, stretch and direction of the curve ``C(s) + n(s)·N(s)`` (non-periodic arrays).

    With u = 1 - κn: P' = u·T + n'·N and P'' = (u' - κn')·T + (κu + n'')·N.
    """
    dn = np.gradient(offset, step)
    ddn = np.gradient(dn, step)
    u = 1.0 - kappa * offset
    du = -kappa_slope * offset - kappa * dn
    speed_sq = u * u + dn * dn
    curvature = (u * (kappa * u + ddn) - dn * (du - kappa * dn)) / speed_sq**1.5
    return OffsetPath(curvature=curvature, stretch=np.sqrt(speed_sq), direction_offset=np.arctan2(dn, u))


@dataclass(frozen=True, eq=False)
class PathNodes:
    """LFS-like path nodes (PTH): one every ≈6 m, numbered from an arbitrary point.

    ``limit_*``/``drive_*`` are signed distances along the node's right axis (left is
    negative), as in the PTH file: drive = road edge, limit = outer limit.
    """

    distance: FloatArray
    x: FloatArray
    y: FloatArray
    z: FloatArray
    dir_x: FloatArray
    dir_y: FloatArray
    dir_z: FloatArray
    limit_left: FloatArray
    limit_right: FloatArray
    drive_left: FloatArray
    drive_right: FloatArray
    spacing_m: float
    finish_node: int

    def __len__(self) -> int:
        return len(self.x)


@dataclass(frozen=True, eq=False)
class PitLane:
    """A pit lane parallel to the main straight, on the left of the direction of travel.

    Distances are lap distances on the main centre line. The lane leaves the track at
    ``entry_distance`` (before the line), runs through the start/finish line and rejoins at
    ``exit_distance``. Boxes lie after the line, between ``box_first`` and ``box_last``.
    """

    entry_distance: float
    exit_distance: float
    ramp_m: float
    offset_m: float
    speed_limit_mps: float
    box_first: float
    box_last: float
    box_spacing_m: float
    length_m: float
    """Lap length of the main track, to unwrap distances around the line."""

    @property
    def limit_start(self) -> float:
        """Lap distance of the pit speed limit line on the way in."""
        return (self.entry_distance + self.ramp_m) % self.length_m

    @property
    def limit_end(self) -> float:
        """Lap distance of the pit speed limit line on the way out."""
        return self.exit_distance - self.ramp_m

    def signed_distance(self, distance: ArrayLike) -> FloatArray:
        """Lap distance unwrapped around the line: negative before it, within the pit span."""
        d = np.asarray(distance, dtype=float) % self.length_m
        out: FloatArray = np.where(d > 0.5 * (self.entry_distance + self.exit_distance), d - self.length_m, d)
        return out

    def lateral_offset(self, distance: ArrayLike) -> FloatArray:
        """Offset of the pit lane centre from the track centre line (0 where there is no lane)."""
        d = self.signed_distance(distance)
        start = self.entry_distance - self.length_m
        rise = np.clip((d - start) / self.ramp_m, 0.0, 1.0)
        fall = np.clip((self.exit_distance - d) / self.ramp_m, 0.0, 1.0)
        frac = np.minimum(rise, fall)
        smooth = frac * frac * (3.0 - 2.0 * frac)
        out: FloatArray = self.offset_m * smooth
        return out

    def box_distance(self, index: int, n_cars: int) -> float:
        """Lap distance of the box for the car with 0-based ``index`` among ``n_cars``."""
        slots = max(1, int((self.box_last - self.box_first) // self.box_spacing_m) + 1)
        if n_cars <= slots:
            spacing = (self.box_last - self.box_first) / max(n_cars - 1, 1) if n_cars > 1 else 0.0
            spacing = min(spacing, 2.0 * self.box_spacing_m)
            return self.box_first + index * spacing
        return self.box_first + (index % slots) * self.box_spacing_m


@dataclass(frozen=True, eq=False)
class Track:
    """A closed circuit sampled on a uniform ≈1 m grid of lap distance."""

    code: str
    name: str
    kind: str
    step_m: float
    x: FloatArray
    y: FloatArray
    z: FloatArray
    heading: FloatArray
    """LFS heading of the centre line (unwrapped), rad."""
    curvature: FloatArray
    grade: FloatArray
    """dz/ds of the centre line."""
    width: FloatArray
    racing_line_offset: FloatArray
    racing_line: OffsetPath
    split_distances: tuple[float, ...]
    nodes: PathNodes
    split_nodes: tuple[int, ...]
    pit: PitLane
    grid_front_m: float
    """Distance of the pole position behind the start/finish line."""
    grid_spacing_m: float
    """Distance between consecutive (staggered) grid slots."""
    total_turn_rad: float
    finish_distance: float = 0.0

    def __repr__(self) -> str:
        return f"Track({self.code!r}, {self.name!r}, {self.length_m:.1f} m)"

    @property
    def length_m(self) -> float:
        return self.step_m * len(self.x)

    @property
    def distance(self) -> FloatArray:
        """Lap distance of each grid point."""
        out: FloatArray = np.arange(len(self.x), dtype=np.float64) * self.step_m
        return out

    @property
    def finish_node(self) -> int:
        return self.nodes.finish_node

    # -- interpolation on the periodic grid -------------------------------------------------

    def _locate(self, distance: ArrayLike) -> tuple[IntArray, FloatArray]:
        u = (np.asarray(distance, dtype=float) % self.length_m) / self.step_m
        i = np.floor(u).astype(np.int64)
        frac = u - i
        i = np.minimum(i, len(self.x) - 1)
        return i, frac

    def sample(self, values: FloatArray, distance: ArrayLike) -> FloatArray:
        """Linear interpolation of a per-grid-point array at lap distances (periodic)."""
        i, frac = self._locate(distance)
        j = (i + 1) % len(values)
        out: FloatArray = values[i] * (1.0 - frac) + values[j] * frac
        return out

    def heading_at(self, distance: ArrayLike) -> FloatArray:
        """LFS heading of the centre line (unwrapped, interpolated)."""
        i, frac = self._locate(distance)
        return self._heading(i, frac)

    def _heading(self, i: IntArray, frac: FloatArray) -> FloatArray:
        g = len(self.heading)
        # The last segment closes the loop: the heading there continues past a full turn.
        nxt = np.where(i + 1 < g, self.heading[(i + 1) % g], self.heading[0] + self.total_turn_rad)
        out: FloatArray = self.heading[i] * (1.0 - frac) + nxt * frac
        return out

    @overload
    def point_at(self, distance: float, lateral_offset: float = 0.0) -> tuple[float, float, float, float]: ...

    @overload
    def point_at(
        self, distance: FloatArray, lateral_offset: ArrayLike = 0.0
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]: ...

    def point_at(self, distance: ArrayLike, lateral_offset: ArrayLike = 0.0) -> tuple[object, object, object, object]:
        """World position (x, y, z) and heading (LFS convention, wrapped to (-π, π]).

        Works on scalars and on numpy arrays; ``lateral_offset`` is positive to the left.
        """
        scalar = np.ndim(distance) == 0 and np.ndim(lateral_offset) == 0
        i, frac = self._locate(distance)
        j = (i + 1) % len(self.x)
        heading = self._heading(i, frac)
        n = np.asarray(lateral_offset, dtype=float)
        # The left normal of a heading h (direction (-sin h, cos h)) is (-cos h, -sin h).
        x = self.x[i] + (self.x[j] - self.x[i]) * frac - n * np.cos(heading)
        y = self.y[i] + (self.y[j] - self.y[i]) * frac - n * np.sin(heading)
        z = self.z[i] + (self.z[j] - self.z[i]) * frac + 0.0 * n
        wrapped = (heading + math.pi) % (2.0 * math.pi) - math.pi
        if scalar:
            return float(x), float(y), float(z), float(wrapped)
        return x, y, z, wrapped

    def frame_at(self, distance: FloatArray, lateral_offset: FloatArray) -> tuple[FloatArray, ...]:
        """x, y, z, heading (wrapped), grade and width at once, for many points (one lookup)."""
        i, frac = self._locate(distance)
        j = (i + 1) % len(self.x)
        heading = self._heading(i, frac)
        n = lateral_offset
        x = self.x[i] + (self.x[j] - self.x[i]) * frac - n * np.cos(heading)
        y = self.y[i] + (self.y[j] - self.y[i]) * frac - n * np.sin(heading)
        z = self.z[i] + (self.z[j] - self.z[i]) * frac
        grade = self.grade[i] + (self.grade[j] - self.grade[i]) * frac
        width = self.width[i] + (self.width[j] - self.width[i]) * frac
        wrapped = (heading + math.pi) % (2.0 * math.pi) - math.pi
        return x, y, z, wrapped, grade, width

    def node_at(self, distance: ArrayLike) -> IntArray | int:
        """Index of the path node whose span contains the lap distance."""
        d = np.asarray(distance, dtype=float) % self.length_m
        k = np.floor(d / self.nodes.spacing_m).astype(np.int64)
        out = (self.nodes.finish_node + k) % len(self.nodes)
        if np.ndim(distance) == 0:
            return int(out)
        return out

    def project(self, x: ArrayLike, y: ArrayLike) -> FloatArray | float:
        """Lap distance of the nearest centre-line point to (x, y); vectorised.

        Finds the nearest path node first, then the nearest segment of the fine grid
        within two node spans of it.
        """
        px = np.atleast_1d(np.asarray(x, dtype=float))
        py = np.atleast_1d(np.asarray(y, dtype=float))
        out = np.empty(len(px))
        g = len(self.x)
        window = math.ceil(2.5 * self.nodes.spacing_m / self.step_m)
        offsets = np.arange(-window, window + 1)
        for lo in range(0, len(px), 1024):
            qx = px[lo : lo + 1024, None]
            qy = py[lo : lo + 1024, None]
            d2 = (qx - self.nodes.x[None, :]) ** 2 + (qy - self.nodes.y[None, :]) ** 2
            nearest = np.argmin(d2, axis=1)
            centre = np.rint(self.nodes.distance[nearest] / self.step_m).astype(np.int64)
            idx = (centre[:, None] + offsets[None, :]) % g
            nxt = (idx + 1) % g
            ax, ay = self.x[idx], self.y[idx]
            bx, by = self.x[nxt], self.y[nxt]
            vx, vy = bx - ax, by - ay
            t = np.clip(((qx - ax) * vx + (qy - ay) * vy) / (vx * vx + vy * vy), 0.0, 1.0)
            dist2 = (ax + t * vx - qx) ** 2 + (ay + t * vy - qy) ** 2
            best = np.argmin(dist2, axis=1)
            rows = np.arange(len(best))
            out[lo : lo + 1024] = ((idx[rows, best] + t[rows, best]) * self.step_m) % self.length_m
        if np.ndim(x) == 0:
            return float(out[0])
        return out

    def lap_distance(self, distance: ArrayLike) -> FloatArray:
        out: FloatArray = np.asarray(distance, dtype=float) % self.length_m
        return out


def _build_nodes(line: CentreLine, z: FloatArray, width: FloatArray, finish_fraction: float) -> PathNodes:
    length = line.length_m
    n_nodes = max(8, round(length / NODE_SPACING_M))
    spacing = length / n_nodes
    finish_node = round(finish_fraction * n_nodes) % n_nodes
    k = np.arange(n_nodes)
    distance = (((k - finish_node) % n_nodes) * spacing).astype(np.float64)
    u = distance / line.step_m
    i = np.floor(u).astype(np.int64) % len(line.x)
    j = (i + 1) % len(line.x)
    frac = u - np.floor(u)
    x = line.x[i] * (1 - frac) + line.x[j] * frac
    y = line.y[i] * (1 - frac) + line.y[j] * frac
    zz = z[i] * (1 - frac) + z[j] * frac
    theta = line.theta[i] + line.curvature[i] * frac * line.step_m
    slope = periodic_gradient(z, line.step_m)[i]
    norm = np.sqrt(1.0 + slope * slope)
    half = 0.5 * width[i]
    return PathNodes(
        distance=distance,
        x=x,
        y=y,
        z=zz,
        dir_x=np.cos(theta) / norm,
        dir_y=np.sin(theta) / norm,
        dir_z=slope / norm,
        limit_left=-(half + 4.0),
        limit_right=half + 4.0,
        drive_left=-half,
        drive_right=half,
        spacing_m=spacing,
        finish_node=int(finish_node),
    )


def build_track(layout: Layout) -> Track:
    """Build a :class:`Track` from a layout description."""
    line = build_centre_line(list(layout.pieces), smoothing_m=layout.smoothing_m, heading0_rad=layout.heading0_rad)
    g = len(line.x)
    length = line.length_m
    s = np.arange(g) * line.step_m
    z = np.zeros(g)
    for amplitude, harmonic, phase in layout.elevation:
        z += amplitude * np.sin(2.0 * math.pi * harmonic * s / length + phase)
    width = np.full(g, layout.width_m)
    racing = _racing_line(
        line.curvature, line.step_m, layout.line_cutoff_m, 0.5 * layout.width_m - layout.line_margin_m
    )
    kappa_slope = periodic_gradient(line.curvature, line.step_m)
    racing_path = _periodic_offset_path(line.curvature, racing, line.step_m, kappa_slope)
    nodes = _build_nodes(line, z, width, layout.finish_node_fraction)
    # Splits sit on node boundaries, as IS_RST gives them as node indices.
    split_distances = []
    split_nodes = []
    for fraction in layout.split_fractions:
        k = round(fraction * length / nodes.spacing_m)
        split_distances.append(k * nodes.spacing_m)
        split_nodes.append((nodes.finish_node + k) % len(nodes))
    pit = PitLane(
        entry_distance=length - layout.pit_entry_before_m,
        exit_distance=layout.pit_exit_after_m,
        ramp_m=layout.pit_ramp_m,
        offset_m=0.5 * layout.width_m + layout.pit_gap_m,
        speed_limit_mps=layout.pit_speed_limit_kmh / 3.6,
        box_first=layout.pit_box_first_m,
        box_last=layout.pit_exit_after_m - layout.pit_ramp_m - 15.0,
        box_spacing_m=layout.pit_box_spacing_m,
        length_m=length,
    )
    return Track(
        code=layout.code,
        name=layout.name,
        kind=layout.kind,
        step_m=line.step_m,
        x=line.x,
        y=line.y,
        z=z,
        heading=line.theta - math.pi / 2.0,
        curvature=line.curvature,
        grade=periodic_gradient(z, line.step_m),
        width=width,
        racing_line_offset=racing,
        racing_line=racing_path,
        split_distances=tuple(split_distances),
        nodes=nodes,
        split_nodes=tuple(split_nodes),
        pit=pit,
        grid_front_m=layout.grid_front_m,
        grid_spacing_m=layout.grid_spacing_m,
        total_turn_rad=float(np.sum(line.curvature) * line.step_m),
    )


def _racing_line(kappa: FloatArray, step: float, cutoff_m: float, usable_m: float) -> FloatArray:
    """A gentle out-in-out line: the offset whose added curvature n'' low-passes κ.

    Minimising Σ(κ + n'')² + λΣn² gives N(ω) = ω²K(ω)/(ω⁴ + λ), so the path curvature
    κ + n'' becomes K·λ/(ω⁴ + λ): the corner's turning is spread over a longer distance.
    """
    omega = 2.0 * math.pi * np.fft.rfftfreq(len(kappa), d=step)
    lam = (2.0 * math.pi / cutoff_m) ** 4
    offset = np.fft.irfft(np.fft.rfft(kappa) * omega**2 / (omega**4 + lam), n=len(kappa))
    out: FloatArray = usable_m * np.tanh(offset / usable_m)
    return out


def _periodic_offset_path(kappa: FloatArray, offset: FloatArray, step: float, kappa_slope: FloatArray) -> OffsetPath:
    pad = 8
    ext = offset_path(
        np.concatenate((kappa[-pad:], kappa, kappa[:pad])),
        np.concatenate((offset[-pad:], offset, offset[:pad])),
        step,
        np.concatenate((kappa_slope[-pad:], kappa_slope, kappa_slope[:pad])),
    )
    cut = slice(pad, pad + len(kappa))
    return OffsetPath(ext.curvature[cut], ext.stretch[cut], ext.direction_offset[cut])


def _factory(code: str) -> Callable[[], Track]:
    def make() -> Track:
        return get_track(code)

    return make


def get_track(code: str) -> Track:
    """The track with this code (built once, then shared; tracks are immutable).

    Raises ``KeyError`` naming the known codes.
    """
    key = code.upper()
    if key not in LAYOUTS:
        known = ", ".join(sorted(LAYOUTS))
        raise KeyError(f"unknown track code {code!r}; known codes: {known}")
    return _built(key)


@cache
def _built(code: str) -> Track:
    return build_track(LAYOUTS[code])


TRACKS: dict[str, Callable[[], Track]] = {code: _factory(code) for code in LAYOUTS}
"""Track factories by code."""
