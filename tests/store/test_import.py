"""A simulated race imported into the store agrees with the simulator's ground truth."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from lfs_ayats.store import queries
from lfs_ayats.store.engine import open_store
from lfs_ayats.store.ingest import import_capture
from lfs_ayats.store.tables import blocks_table, drivers_table, events_table, laps_table, sessions_table
from lfs_ayats.telemetry.events import LapCompleted
from tests.telemetry.simrace import RecordedRace

from .conftest import Imported

# truth reason -> the telemetry layer's reason for the same thing
MAPPED = {"race_start": "race_start", "in_lap": "in_lap", "out_lap": "out_lap", "pit_stop": "pit",
          "hotlap_invalid": "hlv", "contact": "contact", "object_hit": "object_hit"}
ONLY_TELEMETRY = {"yellow_flag", "slow", "penalty"}  # the simulator's truth has no such lap reasons


def test_one_session_with_the_race(imported: Imported) -> None:
    [session] = queries.sessions(imported.engine)
    truth = imported.race.truth
    assert session["track"] == truth["track"]["code"] and session["mode"] == "race"
    assert session["race_laps"] == truth["race_laps"] and session["source"] == "capture"
    assert session["lfs_version"] == "0.8C" and session["cars"] == "XFG"
    assert session["laps"] == len(truth["laps"]) and session["drivers"] == len(truth["players"])


def test_every_lap_has_the_exact_time_and_splits(imported: Imported) -> None:
    stored = {(lap["plid"], lap["lap"]): lap for lap in queries.laps(imported.engine, imported.session_id)}
    truth = imported.race.truth
    names = {p["plid"]: p["name"] for p in truth["players"]}
    assert len(stored) == len(truth["laps"])
    for lap in truth["laps"]:
        got = stored[lap["plid"], lap["lap"]]
        assert (got["time_ms"], got["splits_ms"], got["sectors_ms"]) == (lap["time_ms"], lap["splits_ms"],
                                                                          lap["sectors_ms"])
        assert got["driver"] == names[lap["plid"]] and got["car"] == "XFG"
        assert got["top_speed_mps"] is not None and 20 < got["top_speed_mps"] < 80


def test_clean_flags_and_reasons_match_the_truth(imported: Imported,
                                                 feed_laps: dict[tuple[int, int], LapCompleted]) -> None:
    stored = {(lap["plid"], lap["lap"]): lap for lap in queries.laps(imported.engine, imported.session_id)}
    for lap in imported.race.truth["laps"]:
        got = stored[lap["plid"], lap["lap"]]
        expected = {MAPPED[r] for r in lap["reasons"] if r in MAPPED}
        reasons = set(got["reasons"])
        assert reasons - ONLY_TELEMETRY == expected, (lap, got)
        assert got["clean"] == (not reasons)
        if lap["clean"]:
            assert reasons <= ONLY_TELEMETRY
        assert got["reason"] == (got["reasons"][0] if got["reasons"] else "")
        # and exactly what the telemetry layer decided
        feed = feed_laps[lap["plid"], lap["lap"]]
        assert (got["clean"], tuple(got["reasons"])) == (feed.clean, feed.reasons)


def test_incidents_are_stored_where_the_truth_has_them(imported: Imported) -> None:
    engine, sid, truth = imported.engine, imported.session_id, imported.race.truth
    events = queries.events(engine, sid)

    def stored(kind: str) -> list[tuple[int, int | None]]:
        return sorted((e["plid"], e["time_ms"]) for e in events if e["kind"] == kind)

    def expected(kind: str) -> list[tuple[int, int | None]]:
        return sorted((i["plid"], i["time_ms"]) for i in truth["incidents"] if i["kind"] == kind)

    assert stored("contact") == expected("contact")
    assert stored("hlv") == expected("hotlap_invalid")
    assert stored("object_hit") == expected("object_hit")
    for incident in truth["incidents"]:
        if incident["kind"] in ("contact", "hotlap_invalid", "object_hit"):
            [match] = [e for e in events if e["plid"] == incident["plid"] and e["time_ms"] == incident["time_ms"]
                       and e["kind"] != "penalty"]
            assert match["lap"] == incident["lap"]
    contacts = [e for e in events if e["kind"] == "contact"]
    assert {(e["plid"], e["detail"]["other_plid"]) for e in contacts} == {
        (i["plid"], i["detail"]["other_plid"]) for i in truth["incidents"] if i["kind"] == "contact"}
    assert sorted(e["plid"] for e in events if e["kind"] == "penalty") == sorted(p["plid"] for p in truth["penalties"])
    pits = [e for e in events if e["kind"] == "pit_stop"]
    assert sorted((e["plid"], e["detail"]["laps_done"]) for e in pits) == sorted(
        (p["plid"], p["laps_done"]) for p in truth["pit_stops"])
    results = sorted((e["detail"]["position"], e["plid"]) for e in events if e["kind"] == "result")
    assert [plid for _, plid in results] == [r["plid"] for r in sorted(truth["results"], key=lambda r: r["position"])]


def test_importing_the_same_capture_again_writes_nothing(imported: Imported) -> None:
    def counts() -> list[int]:
        with imported.engine.connect() as conn:
            return [conn.execute(select(func.count()).select_from(t)).scalar_one()
                    for t in (sessions_table, drivers_table, laps_table, events_table, blocks_table)]

    before = counts()
    again = import_capture(imported.race.full, imported.engine)
    assert again.already and again.session_ids == imported.result.session_ids
    assert counts() == before


def test_best_laps_per_track_and_car(imported: Imported) -> None:
    best = queries.best_laps(imported.engine, "GM1", "XFG", limit=3)
    stored_clean = sorted((lap["time_ms"], lap["plid"])
                          for lap in queries.laps(imported.engine, imported.session_id, clean=True))
    assert [(b["time_ms"], b["plid"]) for b in best] == stored_clean[:3]
    assert all(b["clean"] and b["track"] == "GM1" and b["car"] == "XFG" for b in best)
    assert queries.best_laps(imported.engine, "BL1") == []


def test_laps_of_a_driver_and_clean_filter(imported: Imported) -> None:
    name = imported.race.truth["players"][0]["name"]
    mine = queries.laps(imported.engine, driver=name.upper())
    assert [lap["lap"] for lap in mine] == [1, 2, 3, 4] and {lap["driver"] for lap in mine} == {name}
    assert all(lap["clean"] for lap in queries.laps(imported.engine, imported.session_id, clean=True))


def test_an_import_that_fails_half_way_keeps_nothing_and_can_be_retried(
        engine: Engine, race: RecordedRace, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError

    from lfs_ayats.store import sink as sink_module

    real_write = sink_module.EventSink._write
    calls = {"n": 0}

    def full_disk(self: sink_module.EventSink, batch: object) -> None:
        calls["n"] += 1
        if calls["n"] == 2:  # the session row and a first batch are in; then the disk fills up
            raise OperationalError("INSERT INTO sample_blocks", {}, Exception("database or disk is full"))
        real_write(self, batch)

    monkeypatch.setattr(sink_module.EventSink, "_write", full_disk)
    with pytest.raises(OperationalError):
        import_capture(race.full, engine, flush_rows=20_000, background="thread")  # where the patch reaches
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(sessions_table)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(laps_table)).scalar_one() == 0

    monkeypatch.setattr(sink_module.EventSink, "_write", real_write)
    again = import_capture(race.full, engine)
    assert not again.already and again.counters.laps == len(race.truth["laps"])


def test_a_capture_cut_short_imports_what_is_whole_and_says_so(race: RecordedRace, tmp_path: Path) -> None:
    whole = race.full.read_bytes()
    cut = tmp_path / "cut.lfscap"
    cut.write_bytes(whole[: len(whole) * 2 // 3])
    result = import_capture(cut, open_store("sqlite://"))
    assert result.session_ids and result.counters.laps > 0
    assert len(result.warnings) == 1 and "cut short" in result.warnings[0] and str(cut) in result.warnings[0]


def test_a_capture_damaged_in_the_middle_imports_what_follows_and_says_so(race: RecordedRace, tmp_path: Path) -> None:
    from lfs_ayats.wire.capture import CaptureReader, Channel

    with CaptureReader(race.full) as reader:
        gauge = [i for i, r in enumerate(reader.records()) if r.channel == Channel.OUTGAUGE]
        victim = gauge[len(gauge) // 2]
        offset = reader.offset_of(0)
        for i, record in enumerate(reader.records()):
            if i == victim:
                size = 15 + len(record.data)  # the record's head and its datagram
                break
            offset += 15 + len(record.data)
    damaged = bytearray(race.full.read_bytes())
    damaged[offset + 15 + 20] ^= 0xFF  # a byte of the OutGauge datagram half way through the race
    path = tmp_path / "damaged.lfscap"
    path.write_bytes(damaged)
    result = import_capture(path, open_store("sqlite://"))
    assert result.counters.laps == len(race.truth["laps"])  # every lap, those after the damage too
    [warning] = result.warnings
    assert f"dropped {size} bytes from offset {offset}" in warning and f"read on from offset {offset + size}" in warning
