"""Closed centre lines built from straights and constant-radius turns.

A layout is a list of :class:`Straight` and :class:`Turn` pieces. Their curvature is
smoothed with a circular Gaussian (which keeps the total turning exactly 360°), then
integrated into x, y; two chosen straights are lengthened or shortened by Newton's
method until the loop closes exactly. The result has continuous, bounded curvature,
like a circuit designed from straights, transition curves and arcs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

FINE_STEP_M = 0.25
"""Spacing of the working grid; the published grid takes every fourth point (≈1 m)."""


@dataclass(frozen=True)
class Straight:
    """A straight piece; ``flex`` marks one of the two straights adjusted to close the loop."""

    length_m: float
    flex: bool = False


@dataclass(frozen=True)
class Turn:
    """A constant-radius turn; positive ``angle_deg`` turns left (counter-clockwise)."""

    angle_deg: float
    radius_m: float


Piece = Straight | Turn


@dataclass(frozen=True)
class CentreLine:
    """A closed centre line on a uniform distance grid starting at the start/finish line.

    ``theta`` is the mathematical direction of travel (0 = +X, counter-clockwise), unwrapped,
    so ``theta[-1] + curvature[-1] * step`` continues smoothly into ``theta[0] ± 2π``.
    """

    step_m: float
    x: FloatArray
    y: FloatArray
    theta: FloatArray
    curvature: FloatArray

    @property
    def length_m(self) -> float:
        return self.step_m * len(self.x)


def _turning_function(pieces: list[Piece], lengths: list[float], s: FloatArray) -> FloatArray:
    """Cumulative turning angle (rad) of the unsmoothed layout at distances ``s``."""
    edges = [0.0]
    rates = []
    for piece, length in zip(pieces, lengths, strict=True):
        edges.append(edges[-1] + length)
        rates.append(0.0 if isinstance(piece, Straight) else math.copysign(1.0 / piece.radius_m, piece.angle_deg))
    edge_arr = np.asarray(edges)
    rate_arr = np.asarray(rates)
    turned_at_edge = np.concatenate(([0.0], np.cumsum(rate_arr * np.diff(edge_arr))))
    k = np.clip(np.searchsorted(edge_arr, s, side="right") - 1, 0, len(rates) - 1)
    out: FloatArray = turned_at_edge[k] + rate_arr[k] * (s - edge_arr[k])
    return out


def _piece_lengths(pieces: list[Piece], flex_lengths: tuple[float, float]) -> list[float]:
    lengths = []
    flex_iter = iter(flex_lengths)
    for piece in pieces:
        if isinstance(piece, Straight):
            lengths.append(next(flex_iter) if piece.flex else piece.length_m)
        else:
            lengths.append(abs(math.radians(piece.angle_deg)) * piece.radius_m)
    return lengths


def _integrate(
    pieces: list[Piece],
    flex_lengths: tuple[float, float],
    n_fine: int,
    smoothing_m: float,
    theta0: float,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, float]:
    lengths = _piece_lengths(pieces, flex_lengths)
    total = float(sum(lengths))
    ds = total / n_fine
    edges = np.arange(n_fine + 1, dtype=np.float64) * ds
    turned = _turning_function(pieces, lengths, edges)
    # Cell averages keep the total turning exact, whatever the grid.
    kappa_raw = np.diff(turned) / ds
    freq = np.fft.rfftfreq(n_fine, d=ds)
    kernel = np.exp(-0.5 * (2.0 * math.pi * freq * smoothing_m) ** 2)
    kappa = np.fft.irfft(np.fft.rfft(kappa_raw) * kernel, n=n_fine)
    theta = theta0 + np.concatenate(([0.0], np.cumsum(kappa[:-1] * ds)))
    mid = theta + 0.5 * kappa * ds
    x = np.concatenate(([0.0], np.cumsum(np.cos(mid[:-1]) * ds)))
    y = np.concatenate(([0.0], np.cumsum(np.sin(mid[:-1]) * ds)))
    return x, y, theta, kappa, ds


def _closure_error(
    pieces: list[Piece], flex: tuple[float, float], n_fine: int, smoothing_m: float, theta0: float
) -> FloatArray:
    x, y, theta, kappa, ds = _integrate(pieces, flex, n_fine, smoothing_m, theta0)
    mid = theta[-1] + 0.5 * kappa[-1] * ds
    return np.array([x[-1] + math.cos(mid) * ds, y[-1] + math.sin(mid) * ds])


def _close(pieces: list[Piece], flex: FloatArray, n_fine: int, smoothing_m: float, theta0: float) -> FloatArray:
    """Newton's method on the two flexible straights until the end meets the start."""
    for _ in range(30):
        err = _closure_error(pieces, (flex[0], flex[1]), n_fine, smoothing_m, theta0)
        if float(np.hypot(*err)) < 1e-9:
            return flex
        jac = np.empty((2, 2))
        for j in range(2):
            bumped = flex.copy()
            bumped[j] += 1e-3
            jac[:, j] = (_closure_error(pieces, (bumped[0], bumped[1]), n_fine, smoothing_m, theta0) - err) / 1e-3
        flex = flex - np.linalg.solve(jac, err)
        if np.any(flex <= 0.0):
            raise ValueError(f"layout cannot close: flexible straights became {flex.tolist()}")
    raise ValueError("layout did not close")


def build_centre_line(
    pieces: list[Piece],
    *,
    smoothing_m: float = 6.0,
    heading0_rad: float = 0.0,
) -> CentreLine:
    """Close the layout and sample it on a ≈1 m grid.

    ``heading0_rad`` is the LFS heading at the start/finish line (0 = north, +Y).
    The turns must add up to ±360°.
    """
    total_turn = sum(p.angle_deg for p in pieces if isinstance(p, Turn))
    if abs(abs(total_turn) - 360.0) > 1e-6:
        raise ValueError(f"turns add up to {total_turn}°, not ±360°")
    flex_init = tuple(p.length_m for p in pieces if isinstance(p, Straight) and p.flex)
    if len(flex_init) != 2:
        raise ValueError("exactly two straights must be marked flex=True")
    flex = np.array(flex_init, dtype=float)
    theta0 = heading0_rad + math.pi / 2.0
    n_fine = 4 * round(sum(_piece_lengths(pieces, (flex[0], flex[1]))))
    # Closing the loop changes its length; solve again until the grid is ≈1 m.
    for _ in range(5):
        flex = _close(pieces, flex, n_fine, smoothing_m, theta0)
        wanted = 4 * round(sum(_piece_lengths(pieces, (flex[0], flex[1]))))
        if wanted == n_fine:
            break
        n_fine = wanted
    x, y, theta, kappa, ds = _integrate(pieces, (flex[0], flex[1]), n_fine, smoothing_m, theta0)
    return CentreLine(
        step_m=4.0 * ds,
        x=np.ascontiguousarray(x[::4]),
        y=np.ascontiguousarray(y[::4]),
        theta=np.ascontiguousarray(theta[::4]),
        curvature=np.ascontiguousarray(kappa[::4]),
    )
