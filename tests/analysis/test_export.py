"""Exports read back with polars equal what was written, in every format; copying a session."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from lfs_ayats.analysis import export as X
from lfs_ayats.analysis.compare import compare_laps
from lfs_ayats.analysis.corners import corner_map, corner_report
from lfs_ayats.analysis.load import LapNotFound
from lfs_ayats.store import queries
from lfs_ayats.store.engine import open_store

from .conftest import Analysed


def _exports(analysed: Analysed) -> list[X.Export]:
    viewed = next(lap for lap in analysed.clean() if lap["plid"] == 1)
    comparison = compare_laps(analysed.engine, viewed["id"], "envelope")
    report = corner_report(comparison, corner_map(analysed.engine, "GM1"))
    return [X.lap_export(analysed.engine, viewed["id"]), X.session_export(analysed.engine, analysed.session_id),
            X.comparison_export(comparison, report)]


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_every_export_reads_back_equal(analysed: Analysed, tmp_path: Path, fmt: str) -> None:
    for export in _exports(analysed):
        base = tmp_path / f"{export.kind}.{fmt}"
        files = X.write_export(export, fmt, base)
        assert all(f.exists() for f in files) and len(files) == (1 if fmt == "json" else len(export.tables))
        back = X.read_export(base)
        assert back.kind == export.kind and back.meta == json.loads(json.dumps(export.meta, default=str))
        assert set(back.tables) == set(export.tables)
        for name, frame in export.tables.items():
            assert frame.height > 0, name
            assert_frame_equal(back.tables[name], frame)
    lap = _exports(analysed)[0]
    assert {"lap", "cars", "gauge", "motion"} <= set(lap.tables)


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_each_file_carries_the_schema_version(analysed: Analysed, tmp_path: Path, fmt: str) -> None:
    export = _exports(analysed)[2]
    files = X.write_export(export, fmt, tmp_path / "cmp")
    for file in files:
        if fmt == "csv":
            header = json.loads(file.read_text().splitlines()[0][2:])
        elif fmt == "json":
            header = json.loads(file.read_text())
        else:
            header = json.loads(pl.read_parquet_metadata(file)[X.MAGIC])
        assert header["schema_version"] == X.SCHEMA_VERSION and header["kind"] == "comparison"
    # a plain polars reader gets the data too
    if fmt == "csv":
        grid = pl.read_csv(files[0], comment_prefix="#")
        assert grid["s_m"].to_list() == export.tables["grid"]["s_m"].to_list()
    elif fmt == "parquet":
        assert_frame_equal(pl.read_parquet(files[0]), export.tables["grid"])


def test_existing_files_are_not_overwritten_without_force(analysed: Analysed, tmp_path: Path) -> None:
    export = _exports(analysed)[0]
    X.write_export(export, "json", tmp_path / "lap.json")
    before = (tmp_path / "lap.json").read_bytes()
    with pytest.raises(X.ExportError, match="already exists"):
        X.write_export(export, "json", tmp_path / "lap.json")
    assert (tmp_path / "lap.json").read_bytes() == before
    X.write_export(export, "json", tmp_path / "lap.json", force=True)
    (tmp_path / "a.cars.csv").write_text("mine")
    with pytest.raises(X.ExportError, match=r"a\.cars\.csv already exists"):
        X.write_export(export, "csv", tmp_path / "a.csv")
    assert not (tmp_path / "a.lap.csv").exists()  # nothing written when one target is taken
    with pytest.raises(X.ExportError, match="no such folder"):
        X.write_export(export, "csv", tmp_path / "nowhere" / "a.csv")


def test_unknown_formats_and_foreign_files(tmp_path: Path) -> None:
    with pytest.raises(X.ExportError, match="unknown export format 'xlsx'"):
        X.get_format("xlsx")
    assert set(X.FORMATS) == {"csv", "json", "parquet"}
    (tmp_path / "x.json").write_text('{"hello": 1}')
    with pytest.raises(X.ExportError, match="not an lfs-ayats export"):
        X.read_export(tmp_path / "x.json")
    (tmp_path / "y.csv").write_text("a,b\n1,2\n")
    with pytest.raises(X.ExportError, match="not an lfs-ayats export"):
        X.read_export(tmp_path / "y.csv")


def test_copy_session_into_another_database(analysed: Analysed, tmp_path: Path) -> None:
    target = open_store(f"sqlite:///{tmp_path / 'copy.db'}")
    new_id = X.copy_session(analysed.engine, analysed.session_id, target)
    a, b = queries.laps(analysed.engine, analysed.session_id), queries.laps(target, new_id)
    strip = ("id", "session_id")
    assert [{k: v for k, v in r.items() if k not in strip} for r in a] == \
           [{k: v for k, v in r.items() if k not in strip} for r in b]
    assert len(queries.events(target, new_id)) == len(queries.events(analysed.engine, analysed.session_id))
    lap = next(r for r in b if r["clean"])
    original = next(r for r in a if (r["plid"], r["lap"]) == (lap["plid"], lap["lap"]))
    assert_frame_equal(queries.lap_telemetry(target, lap["id"]), queries.lap_telemetry(analysed.engine, original["id"]))
    assert compare_laps(target, lap["id"], "best").closure_ms <= 10.0  # the copy analyses like the original
    with pytest.raises(X.ExportError, match="already in the target database"):
        X.copy_session(analysed.engine, analysed.session_id, target)
    with pytest.raises(LapNotFound, match="no session 4242"):
        X.copy_session(analysed.engine, 4242, target)
