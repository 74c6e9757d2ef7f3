"""Pictures of the simulator for the docs: a simulated lap and the track maps.

Run by hand (matplotlib is needed only here, and is not a dependency of the package)::

    python -m lfs_ayats.sim.pictures docs/images
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np

from lfs_ayats.sim.layouts import LAYOUTS
from lfs_ayats.sim.physics import base_lap
from lfs_ayats.sim.track import get_track


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise SystemExit("matplotlib is needed for the pictures: pip install matplotlib") from exc
    return plt


def render_lap_speed(path: str | Path, track_code: str = "GM1", car_code: str = "XFG", pace: float = 1.0) -> Path:
    """Speed and gear against distance for one flying lap, with throttle and brake below."""
    plt = _pyplot()
    lap = base_lap(track_code, car_code, pace)
    p = lap.profile
    track = lap.track
    fig, (ax, ax_pedals) = plt.subplots(
        2, 1, figsize=(11, 5.6), sharex=True, gridspec_kw={"height_ratios": [3, 1]}, constrained_layout=True
    )
    ax.plot(p.distance, p.speed_mps * 3.6, color="#1f5fa8", lw=1.6, label="speed")
    ax.set_ylabel("speed (km/h)")
    ax.set_ylim(0, max(p.speed_mps) * 3.6 * 1.12)
    ax.grid(alpha=0.3)
    gear_ax = ax.twinx()
    gear_ax.step(p.distance, p.gear, where="post", color="#d9822b", lw=1.1, label="gear")
    gear_ax.set_ylabel("gear")
    gear_ax.set_ylim(0, lap.car.gear_count + 1.5)
    gear_ax.set_yticks(range(1, lap.car.gear_count + 1))
    for number, split in enumerate(track.split_distances, start=1):
        for a in (ax, ax_pedals):
            a.axvline(split, color="grey", ls=":", lw=1)
        ax.text(split, ax.get_ylim()[1] * 0.97, f" split {number}", va="top", fontsize=8, color="grey")
    for apex in lap.apexes.tolist():
        ax.plot(p.distance[apex], p.speed_mps[apex] * 3.6, "v", color="#b03030", ms=5)
    lines = ax.get_legend_handles_labels()
    more = gear_ax.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], loc="lower right", fontsize=8)
    ax.set_title(
        f"{lap.car.code} on {track.code} {track.name} ({track.length_m / 1000:.2f} km): "
        f"simulated flying lap {p.lap_time_s // 60:.0f}:{p.lap_time_s % 60:06.3f}"
    )
    ax_pedals.fill_between(p.distance, 0, p.throttle, color="#3a9a4a", alpha=0.7, step="post", label="throttle")
    ax_pedals.fill_between(p.distance, 0, -p.brake, color="#c0392b", alpha=0.7, step="post", label="brake")
    ax_pedals.set_ylim(-1.05, 1.05)
    ax_pedals.set_yticks([-1, 0, 1])
    ax_pedals.set_yticklabels(["brake", "0", "throttle"])
    ax_pedals.set_xlabel("lap distance (m)")
    ax_pedals.set_xlim(0, track.length_m)
    ax_pedals.grid(alpha=0.3)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(target, dpi=110)
    plt.close(fig)
    return target


def render_track_map(path: str | Path, codes: tuple[str, ...] | None = None) -> Path:
    """Each track: edges, start/finish, splits, pit lane and direction of travel."""
    plt = _pyplot()
    codes = tuple(LAYOUTS) if codes is None else codes
    fig, axes = plt.subplots(1, len(codes), figsize=(5.2 * len(codes), 5.6), constrained_layout=True)
    for ax, code in zip(np.atleast_1d(axes), codes, strict=True):
        track = get_track(code)
        d = track.distance
        for side in (-1.0, 1.0):
            x, y, _, _ = track.point_at(d, side * 0.5 * track.width)
            ax.plot(np.append(x, x[0]), np.append(y, y[0]), color="#333333", lw=0.8)
        pit = track.pit
        lane = pit.lateral_offset(d)
        x, y, _, _ = track.point_at(d, lane)
        order = np.argsort(pit.signed_distance(d))
        mask = lane[order] > 0
        ax.plot(x[order][mask], y[order][mask], color="#2e86c1", lw=1.2, ls="--", label="pit lane")
        half = 0.5 * float(track.width[0])
        for distance, label, colour in [(0.0, "S/F", "#c0392b")] + [
            (s, f"S{i}", "#7d3c98") for i, s in enumerate(track.split_distances, start=1)
        ]:
            xa, ya, _, _ = track.point_at(np.array([distance, distance]), np.array([-half - 3, half + 3]))
            ax.plot(xa, ya, color=colour, lw=2.2)
            ax.annotate(label, (xa[1], ya[1]), fontsize=9, color=colour, fontweight="bold")
        step = int(track.length_m / 7)
        for k in range(1, 7):
            x0, y0, _, h = track.point_at(k * step)
            dx, dy = -np.sin(h), np.cos(h)
            ax.annotate(
                "",
                xy=(x0 + 25 * dx, y0 + 25 * dy),
                xytext=(x0, y0),
                arrowprops={"arrowstyle": "->", "color": "#555555"},
            )
        ax.set_aspect("equal")
        ax.set_title(f"{track.code} {track.name}\n{track.length_m:.0f} m, {len(track.nodes)} path nodes", fontsize=10)
        ax.set_xlabel("X east (m)")
        ax.set_ylabel("Y north (m)")
        ax.grid(alpha=0.25)
        ax.legend(loc="best", fontsize=8)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(target, dpi=100)
    plt.close(fig)
    return target


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0] if args else "docs/images")
    print(render_lap_speed(folder / "sim-lap-speed.png"))
    print(render_track_map(folder / "sim-track-map.png"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
