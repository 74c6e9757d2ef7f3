"""The headless layers import no UI toolkit or ML library, and the CLI starts without heavy imports."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("textual", "plotext", "textual_plotext", "sklearn", "polars", "sqlmodel", "sqlalchemy")


def _loaded_after(statement: str) -> set[str]:
    code = (
        f"import sys; {statement}; "
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(out.split())


@pytest.mark.parametrize("module", ["lfs_ayats.packets", "lfs_ayats.wire.framing", "lfs_ayats.sim"])
def test_headless_packages_load_no_heavy_modules(module: str) -> None:
    loaded = _loaded_after(f"import {module}")
    assert not loaded & set(HEAVY), f"{module} pulled in {sorted(loaded & set(HEAVY))}"


@pytest.mark.parametrize("module", ["lfs_ayats.analysis.compare", "lfs_ayats.analysis.corners"])
def test_analysis_loads_no_ui_toolkit(module: str) -> None:
    loaded = _loaded_after(f"import {module}")
    assert not loaded & {"textual", "plotext", "textual_plotext"}, f"{module} pulled in a UI toolkit"


def test_cli_module_is_light() -> None:
    loaded = _loaded_after("import lfs_ayats.cli")
    assert not loaded & {*HEAVY, "construct", "numpy"}
