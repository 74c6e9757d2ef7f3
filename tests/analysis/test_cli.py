"""lfs-ayats analyze / compare / corners / export / copy-session: JSON output, tables and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from lfs_ayats.analysis.export import read_export
from lfs_ayats.cli import app
from lfs_ayats.store import queries
from lfs_ayats.store.engine import open_store

from .conftest import Analysed


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LFS_AYATS_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("LFS_AYATS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("LFS_AYATS_DB", raising=False)


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_analyze_json_and_table(analysed: Analysed) -> None:
    code, out, _ = cli("analyze", str(analysed.session_id), "--json", "--db", analysed.url)
    assert code == 0
    doc = json.loads(out)
    assert len(doc["drivers"]) == len(analysed.race.truth["players"])
    first = doc["drivers"][0]
    assert first["best_ms"] == min(r["time_ms"] for r in first["lap_table"] if r["clean"])
    assert first["theoretical_best"]["split_ms"] <= first["best_ms"]
    assert {"sigma_ms", "cv", "iqr_ms", "within_half_percent"} <= set(first["consistency"])
    code, out, _ = cli("analyze", str(analysed.session_id), "--db", analysed.url)
    assert code == 0 and "theoretical: splits" in out and "consistency:" in out and first["driver"] in out


def test_compare_json_and_table(analysed: Analysed) -> None:
    lap = next(r for r in analysed.clean() if r["lap"] >= 3)
    code, out, _ = cli("compare", str(lap["id"]), "--ref", "envelope", "--json", "--db", analysed.url)
    doc = json.loads(out)
    assert code == 0 and doc["reference"] == "envelope" and doc["closure_ms"] <= 10 and doc["closure"] == "green"
    corners = [c for c in doc["corners"] if c["kind"] == "corner"]
    assert len(corners) == 9 and sum(c["delta_s"] for c in doc["corners"]) == pytest.approx(doc["delta_s"], abs=1e-3)
    code, out, _ = cli("compare", str(lap["id"]), "--ref", "last", "--db", analysed.url)
    assert code == 0 and "closure error" in out and "[green]" in out and "Δ at the line" in out
    other = next(r for r in analysed.clean() if r["id"] != lap["id"])
    code, out, _ = cli("compare", str(lap["id"]), "--ref", str(other["id"]), "--json", "--db", analysed.url)
    assert code == 0 and json.loads(out)["reference_ids"] == [other["id"]]


def test_corners_list_and_rename(analysed: Analysed, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'own.db'}"  # renaming changes the database: use a copy
    assert cli("copy-session", str(analysed.session_id), "--to", url, "--db", analysed.url)[0] == 0
    code, out, _ = cli("corners", "GM1", "--json", "--db", url)
    doc = json.loads(out)
    assert code == 0 and len(doc["corners"]) == 9 and doc["source_lap_id"] is not None
    code, out, _ = cli("corners", "GM1", "--rename", "2", "Esses", "--db", url)
    assert code == 0 and "Esses" in out
    code, out, _ = cli("corners", "GM1", "--json", "--db", url)
    assert [c["name"] for c in json.loads(out)["corners"]][:3] == ["T1", "Esses", "T3"]
    code, _, err = cli("corners", "GM1", "--rename", "42", "X", "--db", url)
    assert code == 2 and err.startswith("lfs-ayats: GM1 has no corner 42")
    code, _, err = cli("corners", "ZZ1", "--db", url)
    assert code == 2 and err.strip() == "lfs-ayats: no clean lap at ZZ1 with a path to detect corners on"


def test_export_every_kind_and_format(analysed: Analysed, tmp_path: Path) -> None:
    lap = analysed.clean()[0]
    for kind, value in (("--lap", lap["id"]), ("--session", analysed.session_id), ("--compare", lap["id"])):
        for fmt in ("csv", "json", "parquet"):
            base = tmp_path / f"{kind[2:]}.{fmt}"
            code, out, err = cli("export", kind, str(value), "--format", fmt, "-o", str(base), "--db", analysed.url)
            assert code == 0, err
            written = [Path(line.removeprefix("wrote ")) for line in out.splitlines()]
            assert written and all(p.exists() for p in written)
            back = read_export(base)
            assert back.kind == {"--lap": "lap", "--session": "session", "--compare": "comparison"}[kind]
    laps = read_export(tmp_path / "session.parquet").tables["laps"]
    assert laps.height == len(analysed.laps())
    code, _, err = cli("export", "--lap", str(lap["id"]), "--format", "json", "-o", str(tmp_path / "lap.json"),
                       "--db", analysed.url)
    assert code == 2 and "already exists" in err and "--force" in err
    code, _, _ = cli("export", "--lap", str(lap["id"]), "--format", "json", "-o", str(tmp_path / "lap.json"),
                     "--force", "--db", analysed.url)
    assert code == 0
    grid = pl.read_csv(tmp_path / "compare.grid.csv", comment_prefix="#")
    assert grid.columns[:4] == ["s_m", "t_s", "t_ref_s", "delta_s"]


def test_export_defaults_come_from_the_settings(analysed: Analysed, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    lap = analysed.clean()[0]
    monkeypatch.setenv("LFS_AYATS_EXPORT_FORMAT", "json")
    monkeypatch.setenv("LFS_AYATS_EXPORT_FOLDER", str(tmp_path / "exports"))
    code, out, err = cli("export", "--lap", str(lap["id"]), "--db", analysed.url)
    assert code == 0, err
    assert out.strip() == f"wrote {tmp_path / 'exports' / ('lap-' + str(lap['id']) + '.json')}"
    monkeypatch.delenv("LFS_AYATS_EXPORT_FOLDER")
    code, out, _ = cli("export", "--session", str(analysed.session_id), "--format", "parquet", "--db", analysed.url)
    assert code == 0 and out.startswith(f"wrote {tmp_path / 'data' / 'exports' / 'session-'}")


def test_copy_session(analysed: Analysed, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'other.db'}"
    code, out, _ = cli("copy-session", str(analysed.session_id), "--to", url, "--db", analysed.url)
    assert code == 0 and out.strip().endswith("as session 1")
    target = open_store(url)
    assert len(queries.laps(target, 1)) == len(analysed.laps())
    lap = queries.laps(target, 1)[5]
    assert_frame_equal(queries.lap_telemetry(target, lap["id"]),
                       queries.lap_telemetry(analysed.engine, analysed.laps()[5]["id"]))
    code, _, err = cli("copy-session", str(analysed.session_id), "--to", url, "--db", analysed.url)
    assert code == 2 and "already in the target database" in err


@pytest.mark.parametrize(("args", "message"), [
    (("analyze", "77"), "no session 77"),
    (("compare", "9999"), "no lap 9999"),
    (("compare", "1", "--ref", "fastest"), "--ref 'fastest': expected one of best, last, alltime, envelope"),
    (("export", "--format", "csv"), "give exactly one of --session, --lap or --compare"),
    (("export", "--lap", "1", "--session", "1", "--format", "csv"), "give exactly one of"),
    (("export", "--lap", "1", "--format", "xlsx"), "unknown export format 'xlsx'"),
    (("export", "--lap", "9999", "--format", "csv"), "no lap 9999"),
    (("copy-session", "77", "--to", "sqlite://"), "no session 77"),
    (("copy-session", "1", "--to", "nonsense"), "is not a database URL"),
])
def test_one_line_errors(analysed: Analysed, args: tuple[str, ...], message: str) -> None:
    code, _, err = cli(*args, "--db", analysed.url)
    assert code == 2 and message in err and err.startswith("lfs-ayats: ")
    assert "Traceback" not in err and len([line for line in err.splitlines() if not line.startswith("  hint")]) == 1


def test_the_first_lap_from_the_grid_says_why(analysed: Analysed) -> None:
    standing = next(r for r in analysed.laps() if r["lap"] == 1)
    code, _, err = cli("compare", str(standing["id"]), "--db", analysed.url)
    assert code == 2 and "started from the grid" in err


def test_the_tables_fit_an_80_column_terminal(analysed: Analysed, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    lap = next(r for r in analysed.clean() if r["lap"] >= 3)
    code, out, _ = cli("analyze", str(analysed.session_id), "--db", analysed.url)
    assert code == 0 and "…" not in out
    time_rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit() and ":" in line]
    assert time_rows and all(len(line) <= 80 for line in out.splitlines() if "  " in line.strip()[:4])
    header = next(line.split() for line in out.splitlines() if line.split()[:2] == ["lap", "time"])
    n = 1 + sum(1 for h in header if h[:1] == "S" and h[1:].isdigit())  # time and the sectors
    for cells in time_rows:  # lap, time, each sector and Δ whole: m:ss.mmm and ±s.mmm, never cut
        assert all(len(c) == 8 and c[1] == ":" for c in cells[1:1 + n]), cells
        assert cells[1 + n][0] in "+-" and cells[1 + n][-4] == ".", cells
    code, out, _ = cli("compare", str(lap["id"]), "--ref", "last", "--top", "5", "--db", analysed.url)
    table = out.split("corners that cost most")[1].splitlines()[1:]
    assert code == 0 and "…" not in out and table and all(len(line) <= 80 for line in table)
    for args in (("laps", str(analysed.session_id)), ("laps",), ("sessions",)):
        code, out, _ = cli(*args, "--db", analysed.url)
        assert code == 0 and all(len(line) <= 80 for line in out.splitlines()), (args, out)
    assert "splits" in cli("laps", str(analysed.session_id), "--db", analysed.url)[1].splitlines()[0]
