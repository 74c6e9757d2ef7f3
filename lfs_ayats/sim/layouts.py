"""The simulator's circuits, described as straights and turns (codes of our own, LFS-style).

* ``GM1`` Glenmoor Club — 2.5 km, clockwise: a hairpin, esses, a chicane, medium corners.
* ``HR1`` Harrow Ridge GP — 5.4 km, anticlockwise: a 1.1 km back straight, fast sweepers,
  a tight first corner and a chicane; the most elevation.
* ``PK1`` Pine Knoll Kart — 1.0 km, clockwise: tight turns and short straights.
"""

from __future__ import annotations

from dataclasses import dataclass

from lfs_ayats.sim.centreline import Piece
from lfs_ayats.sim.centreline import Straight as S
from lfs_ayats.sim.centreline import Turn as T


@dataclass(frozen=True)
class Layout:
    code: str
    name: str
    kind: str
    pieces: tuple[Piece, ...]
    width_m: float
    smoothing_m: float
    elevation: tuple[tuple[float, int, float], ...]
    """(amplitude m, harmonic per lap, phase rad) terms of the height profile."""
    split_fractions: tuple[float, ...]
    line_cutoff_m: float
    """Wavelength below which the racing line straightens the centre line's curvature."""
    line_margin_m: float
    pit_entry_before_m: float
    pit_exit_after_m: float
    pit_ramp_m: float
    pit_gap_m: float
    pit_box_first_m: float
    pit_box_spacing_m: float
    grid_front_m: float
    grid_spacing_m: float
    pit_speed_limit_kmh: float = 80.0
    heading0_rad: float = 0.0
    finish_node_fraction: float = 0.87
    """Where the finish sits in the node numbering (LFS's AS1: node 250 of 288)."""


GLENMOOR_CLUB = Layout(
    code="GM1",
    name="Glenmoor Club",
    kind="club",
    pieces=(
        S(300, flex=True),
        T(-90, 35),
        S(150),
        T(40, 70),
        T(-40, 70),
        S(390),
        T(-90, 60),
        S(60),
        T(-70, 80),
        S(110),
        T(70, 55),
        S(330),
        T(-180, 15),
        S(150),
        T(90, 40),
        S(150, flex=True),
        T(-30, 40),
        T(30, 40),
        S(100),
        T(-90, 45),
        S(60),
    ),
    width_m=10.0,
    smoothing_m=6.0,
    elevation=((3.0, 1, 0.4), (1.2, 3, 1.9)),
    split_fractions=(0.31, 0.66),
    line_cutoff_m=70.0,
    line_margin_m=1.3,
    pit_entry_before_m=150.0,
    pit_exit_after_m=250.0,
    pit_ramp_m=50.0,
    pit_gap_m=9.0,
    pit_box_first_m=20.0,
    pit_box_spacing_m=6.0,
    grid_front_m=12.0,
    grid_spacing_m=8.0,
)

HARROW_RIDGE_GP = Layout(
    code="HR1",
    name="Harrow Ridge Grand Prix",
    kind="fast",
    pieces=(
        S(500, flex=True),
        T(100, 25),
        S(150),
        T(-30, 200),
        S(250),
        T(-28, 40),
        T(28, 40),
        S(200),
        T(60, 250),
        S(460),
        T(40, 300),
        S(250),
        T(-60, 80),
        T(60, 80),
        S(360),
        T(95, 60),
        S(1000, flex=True),
        T(95, 45),
        S(340),
    ),
    width_m=12.0,
    smoothing_m=9.0,
    elevation=((9.0, 1, 2.2), (4.0, 2, 0.3), (1.5, 5, 4.0)),
    split_fractions=(0.22, 0.47, 0.74),
    line_cutoff_m=90.0,
    line_margin_m=1.4,
    pit_entry_before_m=260.0,
    pit_exit_after_m=420.0,
    pit_ramp_m=70.0,
    pit_gap_m=10.0,
    pit_box_first_m=25.0,
    pit_box_spacing_m=6.0,
    grid_front_m=15.0,
    grid_spacing_m=8.0,
)

PINE_KNOLL_KART = Layout(
    code="PK1",
    name="Pine Knoll Kart",
    kind="kart",
    pieces=(
        S(150, flex=True),
        T(-100, 14),
        S(80, flex=True),
        T(60, 18),
        S(40),
        T(-150, 12),
        S(120),
        T(70, 20),
        S(50),
        T(-110, 16),
        S(80),
        T(-40, 30),
        S(60),
        T(70, 14),
        S(40),
        T(-70, 14),
        S(40),
        T(-90, 18),
        S(60),
    ),
    width_m=8.0,
    smoothing_m=4.0,
    elevation=((1.2, 1, 0.0), (0.4, 3, 2.0)),
    split_fractions=(0.36, 0.70),
    line_cutoff_m=45.0,
    line_margin_m=1.1,
    pit_entry_before_m=60.0,
    pit_exit_after_m=130.0,
    pit_ramp_m=25.0,
    pit_gap_m=6.0,
    pit_box_first_m=10.0,
    pit_box_spacing_m=3.5,
    grid_front_m=6.0,
    grid_spacing_m=5.0,
    pit_speed_limit_kmh=50.0,
)

LAYOUTS: dict[str, Layout] = {layout.code: layout for layout in (GLENMOOR_CLUB, HARROW_RIDGE_GP, PINE_KNOLL_KART)}
