"""Car specifications for the simulator.

Named after LFS's car codes so the packets look familiar, with plausible numbers for cars of
that kind; they are not LFS's own data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

AIR_DENSITY_KG_M3 = 1.2
GRAVITY_MPS2 = 9.81
PETROL_DENSITY_KG_M3 = 745.0
DOWNSHIFT_FRACTION = 0.88


@dataclass(frozen=True)
class CarSpec:
    """A car: mass, engine, gearing, aerodynamics, tyres, brakes and fuel, in SI units."""

    code: str
    name: str
    mass_kg: float
    """Including the driver."""
    drive: str
    """"front", "rear" or "all": which wheels are driven."""
    driven_load_fraction: float
    """Share of the car's weight on the driven wheels (traction limit)."""
    torque_curve_rpm: tuple[float, ...]
    torque_curve_nm: tuple[float, ...]
    idle_rpm: float
    launch_rpm: float
    shift_rpm: float
    redline_rpm: float
    """Rev limiter."""
    gear_ratios: tuple[float, ...]
    final_drive: float
    wheel_radius_m: float
    drivetrain_efficiency: float
    drag_area_m2: float
    """Cd·A."""
    downforce_area_m2: float
    """Cl·A (0 for road cars)."""
    rolling_resistance: float
    tyre_mu: float
    max_brake_decel_mps2: float
    """What the brakes can do on their own (the tyres may limit them first)."""
    fuel_capacity_kg: float
    bsfc_kg_per_j: float
    """Brake-specific fuel consumption."""
    shift_time_s: float
    wheelbase_m: float
    max_steer_rad: float
    length_m: float
    width_m: float
    turbo: bool = False

    @property
    def gear_count(self) -> int:
        return len(self.gear_ratios)

    @property
    def peak_torque_nm(self) -> float:
        return max(self.torque_curve_nm)

    def torque_at(self, rpm: ArrayLike) -> FloatArray:
        """Full-throttle engine torque (N·m); nothing above the rev limiter."""
        r = np.asarray(rpm, dtype=float)
        torque = np.interp(r, self.torque_curve_rpm, self.torque_curve_nm)
        out: FloatArray = np.where(r > self.redline_rpm + 1.0, 0.0, torque)
        return out

    def overall_ratio(self, gear: ArrayLike) -> FloatArray:
        """Engine turns per wheel turn in ``gear`` (1-based; 0 = neutral gives 0)."""
        g = np.asarray(gear, dtype=np.int64)
        ratios = np.concatenate(([0.0], np.asarray(self.gear_ratios)))
        out: FloatArray = ratios[np.clip(g, 0, self.gear_count)] * self.final_drive
        return out

    def engine_rpm(self, speed_mps: ArrayLike, gear: ArrayLike) -> FloatArray:
        """Engine speed locked to the wheels (no clutch slip, no idle clamp)."""
        wheel_rad_s = np.asarray(speed_mps, dtype=float) / self.wheel_radius_m
        out: FloatArray = wheel_rad_s * self.overall_ratio(gear) * 60.0 / (2.0 * math.pi)
        return out

    def upshift_speeds(self) -> FloatArray:
        """Road speed at which each gear but the top reaches the shift RPM."""
        ratios = np.asarray(self.gear_ratios[:-1]) * self.final_drive
        out: FloatArray = self.shift_rpm * 2.0 * math.pi / 60.0 / ratios * self.wheel_radius_m
        return out

    def gear_for_speed(self, speed_mps: ArrayLike) -> IntArray:
        """The lowest gear that is below the shift RPM at this speed."""
        out: IntArray = np.searchsorted(self.upshift_speeds(), np.asarray(speed_mps, dtype=float), side="left") + 1
        return out

    def highest_gear_for_speed(self, speed_mps: ArrayLike) -> IntArray:
        """The highest gear a driver keeps at this speed before changing down.

        A driver changes down once the lower gear would run below ``DOWNSHIFT_FRACTION``
        of the shift RPM; the gap to :meth:`gear_for_speed` stops the gear from hunting.
        """
        thresholds = DOWNSHIFT_FRACTION * self.upshift_speeds()
        out: IntArray = np.searchsorted(thresholds, np.asarray(speed_mps, dtype=float), side="left") + 1
        return out

    def gears_along(self, speed_mps: FloatArray, start_gear: int | None = None) -> IntArray:
        """Gears along a speed trace, with hysteresis between up- and downshifts."""
        low = self.gear_for_speed(speed_mps)
        high = self.highest_gear_for_speed(speed_mps)
        if len(low) == 0:
            return low
        # The clamp is the same all along a run of equal bounds, so walk the runs, not the points.
        starts = np.concatenate(([0], np.nonzero((np.diff(low) != 0) | (np.diff(high) != 0))[0] + 1))
        gear = int(low[0]) if start_gear is None else start_gear
        run_gears = []
        for lo, hi in zip(low[starts].tolist(), high[starts].tolist(), strict=True):
            gear = lo if gear < lo else hi if gear > hi else gear
            run_gears.append(gear)
        lengths = np.diff(np.concatenate((starts, [len(low)])))
        out: IntArray = np.repeat(np.asarray(run_gears, dtype=np.int64), lengths)
        return out

    @property
    def top_speed_at_limiter_mps(self) -> float:
        return float(
            self.redline_rpm * 2.0 * math.pi / 60.0 / (self.gear_ratios[-1] * self.final_drive) * self.wheel_radius_m
        )

    def drag_force(self, speed_mps: ArrayLike) -> FloatArray:
        v = np.asarray(speed_mps, dtype=float)
        out: FloatArray = 0.5 * AIR_DENSITY_KG_M3 * self.drag_area_m2 * v * v
        return out

    def downforce(self, speed_mps: ArrayLike) -> FloatArray:
        v = np.asarray(speed_mps, dtype=float)
        out: FloatArray = 0.5 * AIR_DENSITY_KG_M3 * self.downforce_area_m2 * v * v
        return out


CARS: dict[str, CarSpec] = {}


def _register(car: CarSpec) -> CarSpec:
    CARS[car.code] = car
    return car


XFG = _register(
    CarSpec(
        code="XFG",
        name="XF GTI-like light front-drive hatchback",
        mass_kg=1017.0,
        drive="front",
        driven_load_fraction=0.61,
        torque_curve_rpm=(800, 2000, 3000, 4000, 5000, 6000, 7000, 7500, 8000),
        torque_curve_nm=(80, 112, 126, 134, 140, 137, 124, 112, 90),
        idle_rpm=950.0,
        launch_rpm=4000.0,
        shift_rpm=7200.0,
        redline_rpm=7500.0,
        gear_ratios=(3.27, 2.13, 1.52, 1.16, 0.93),
        final_drive=4.10,
        wheel_radius_m=0.29,
        drivetrain_efficiency=0.90,
        drag_area_m2=0.64,
        downforce_area_m2=0.0,
        rolling_resistance=0.013,
        tyre_mu=1.08,
        max_brake_decel_mps2=11.0,
        fuel_capacity_kg=40.0 * 0.745,
        bsfc_kg_per_j=0.30 / 3.6e6,
        shift_time_s=0.14,
        wheelbase_m=2.39,
        max_steer_rad=0.62,
        length_m=3.8,
        width_m=1.7,
    )
)

XRT = _register(
    CarSpec(
        code="XRT",
        name="XR GT Turbo-like rear-drive turbo coupé",
        mass_kg=1298.0,
        drive="rear",
        driven_load_fraction=0.50,
        torque_curve_rpm=(800, 2000, 3000, 4000, 5000, 6000, 7000),
        torque_curve_nm=(140, 225, 318, 332, 318, 292, 238),
        idle_rpm=900.0,
        launch_rpm=3500.0,
        shift_rpm=6800.0,
        redline_rpm=7000.0,
        gear_ratios=(3.20, 2.05, 1.45, 1.10, 0.87),
        final_drive=3.70,
        wheel_radius_m=0.31,
        drivetrain_efficiency=0.90,
        drag_area_m2=0.70,
        downforce_area_m2=0.0,
        rolling_resistance=0.013,
        tyre_mu=1.12,
        max_brake_decel_mps2=11.5,
        fuel_capacity_kg=65.0 * 0.745,
        bsfc_kg_per_j=0.32 / 3.6e6,
        shift_time_s=0.12,
        wheelbase_m=2.55,
        max_steer_rad=0.60,
        length_m=4.3,
        width_m=1.8,
        turbo=True,
    )
)

FXR = _register(
    CarSpec(
        code="FXR",
        name="FXO GTR-like four-wheel-drive GT race car",
        mass_kg=1211.0,
        drive="all",
        driven_load_fraction=1.0,
        torque_curve_rpm=(1500, 3000, 4000, 5000, 6000, 7000, 7800),
        torque_curve_nm=(330, 450, 520, 540, 530, 490, 440),
        idle_rpm=1300.0,
        launch_rpm=5000.0,
        shift_rpm=7500.0,
        redline_rpm=7800.0,
        gear_ratios=(2.90, 2.10, 1.65, 1.35, 1.13, 0.97),
        final_drive=3.40,
        wheel_radius_m=0.32,
        drivetrain_efficiency=0.88,
        drag_area_m2=0.85,
        downforce_area_m2=1.6,
        rolling_resistance=0.015,
        tyre_mu=1.50,
        max_brake_decel_mps2=16.0,
        fuel_capacity_kg=100.0 * 0.745,
        bsfc_kg_per_j=0.30 / 3.6e6,
        shift_time_s=0.06,
        wheelbase_m=2.55,
        max_steer_rad=0.52,
        length_m=4.3,
        width_m=1.9,
        turbo=True,
    )
)

FBM = _register(
    CarSpec(
        code="FBM",
        name="Formula BMW-like junior single-seater",
        mass_kg=540.0,
        drive="rear",
        driven_load_fraction=0.60,
        torque_curve_rpm=(2000, 4000, 6000, 7000, 8000, 9000, 9500),
        torque_curve_nm=(70, 98, 118, 125, 122, 110, 100),
        idle_rpm=2000.0,
        launch_rpm=6000.0,
        shift_rpm=9200.0,
        redline_rpm=9500.0,
        gear_ratios=(2.80, 2.10, 1.70, 1.42, 1.22, 1.07),
        final_drive=3.40,
        wheel_radius_m=0.28,
        drivetrain_efficiency=0.90,
        drag_area_m2=0.72,
        downforce_area_m2=2.2,
        rolling_resistance=0.015,
        tyre_mu=1.55,
        max_brake_decel_mps2=17.0,
        fuel_capacity_kg=35.0 * 0.745,
        bsfc_kg_per_j=0.29 / 3.6e6,
        shift_time_s=0.05,
        wheelbase_m=2.6,
        max_steer_rad=0.40,
        length_m=4.2,
        width_m=1.7,
    )
)

MRT = _register(
    CarSpec(
        code="MRT",
        name="MRT5-like motorbike-engined mini single-seater",
        mass_kg=296.0,
        drive="rear",
        driven_load_fraction=0.62,
        torque_curve_rpm=(2500, 4000, 6000, 8000, 10000, 11000, 12000),
        torque_curve_nm=(24, 30, 38, 42, 41, 38, 33),
        idle_rpm=2500.0,
        launch_rpm=7000.0,
        shift_rpm=11500.0,
        redline_rpm=12000.0,
        gear_ratios=(2.60, 1.95, 1.55, 1.30, 1.13, 1.00),
        final_drive=7.0,
        wheel_radius_m=0.25,
        drivetrain_efficiency=0.88,
        drag_area_m2=0.50,
        downforce_area_m2=0.6,
        rolling_resistance=0.016,
        tyre_mu=1.45,
        max_brake_decel_mps2=14.0,
        fuel_capacity_kg=12.0 * 0.745,
        bsfc_kg_per_j=0.32 / 3.6e6,
        shift_time_s=0.05,
        wheelbase_m=1.9,
        max_steer_rad=0.45,
        length_m=3.0,
        width_m=1.5,
    )
)


def get_car(code: str) -> CarSpec:
    """The car with this code; raises ``KeyError`` listing the known codes."""
    key = code.upper()
    if key not in CARS:
        raise KeyError(f"unknown car code {code!r}; known codes: {', '.join(sorted(CARS))}")
    return CARS[key]
