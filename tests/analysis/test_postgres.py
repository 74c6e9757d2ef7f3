"""The analyses on PostgreSQL: a session copied from SQLite into it analyses like the original.

Skipped unless LFS_AYATS_TEST_POSTGRES_URL names a throwaway database (CI starts one).
"""

from __future__ import annotations

import pytest

from lfs_ayats.analysis import corners
from lfs_ayats.analysis.compare import compare_laps
from lfs_ayats.analysis.export import copy_session, session_export
from lfs_ayats.analysis.laps import analyze_session
from lfs_ayats.store import queries
from tests.store.conftest import fresh_engine

from .conftest import Analysed


def test_copy_into_postgresql_and_analyse_there(analysed: Analysed) -> None:
    target = fresh_engine("postgresql")
    try:
        new_id = copy_session(analysed.engine, analysed.session_id, target)
        original = analyze_session(analysed.engine, analysed.session_id).summary()["drivers"]
        copied = analyze_session(target, new_id).summary()["drivers"]
        assert copied == original
        lap = next(r for r in queries.laps(target, new_id) if r["clean"] and r["lap"] >= 3)
        c = compare_laps(target, lap["id"], "envelope")
        assert c.closure_ms <= 10.0
        cmap = corners.corner_map(target, "GM1", redetect=True)
        assert len(cmap.corners) == 9 and corners.rename(target, "GM1", "", 1, "First")
        assert corners.corner_map(target, "GM1").corners[0].name == "First"
        report = corners.corner_report(c, cmap)
        assert report["delta_s"].sum() == pytest.approx(c.delta_s, abs=1e-9)
        ours, theirs = session_export(target, new_id), session_export(analysed.engine, analysed.session_id)
        assert ours.tables["cars"].equals(theirs.tables["cars"])
    finally:
        target.dispose()
