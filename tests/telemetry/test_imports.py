"""The telemetry layer loads no UI toolkit, ML or storage library (the layering contract, checked at runtime)."""

from __future__ import annotations

import subprocess
import sys

HEAVY = {"textual", "plotext", "textual_plotext", "sklearn", "polars", "sqlmodel", "sqlalchemy"}


def test_telemetry_loads_nothing_heavy() -> None:
    code = ("import sys, lfs_ayats.telemetry.feed, lfs_ayats.telemetry.sources, lfs_ayats.telemetry.buffers; "
            "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = set(out.split())
    assert not loaded & HEAVY
