"""Every store route through the FastAPI test client, checked against the simulator's ground truth."""

from __future__ import annotations

import io

import polars as pl
import pytest

from lfs_ayats.store import queries

from .conftest import Api


def test_sessions_lists_both_with_counts(api: Api) -> None:
    body = api.get("/api/v1/sessions").json()
    assert body["total"] == 2 and body["limit"] == 50 and body["offset"] == 0
    by_id = {s["id"]: s for s in body["items"]}
    race = by_id[api.session_id]
    assert race["track"] == "GM1" and race["laps"] == len(api.race.truth["laps"])
    assert race["drivers"] == len(api.race.truth["players"])
    assert by_id[api.other_id]["track"] == "BL1" and by_id[api.other_id]["laps"] == 0


def test_sessions_paginate(api: Api) -> None:
    first = api.get("/api/v1/sessions", params={"limit": 1}).json()
    second = api.get("/api/v1/sessions", params={"limit": 1, "offset": 1}).json()
    past = api.get("/api/v1/sessions", params={"offset": 5}).json()
    assert first["total"] == second["total"] == past["total"] == 2
    assert [s["id"] for s in first["items"] + second["items"]] == sorted([api.session_id, api.other_id])
    assert past["items"] == []


@pytest.mark.parametrize(("params", "which"), [
    ({"track": "gm1"}, "race"),
    ({"track": "BL1"}, "other"),
    ({"car": "XFG"}, "race"),
    ({"car": "fbm"}, "other"),
    ({"driver": "OTHER DRIVER"}, "other"),
    ({"driver": "other"}, "other"),  # the LFS user name
    ({"since": "2026-01-01"}, "race"),
    ({"until": "2025-06-01T12:00:00Z"}, "other"),  # inclusive
    ({"since": "2025-06-01T13:00:00+01:00", "until": "2025-06-01T13:00:00+01:00"}, "other"),  # a zone
    ({"track": "GM1", "car": "FBM"}, None),
    ({"driver": "nobody at all"}, None),
])
def test_session_filters(api: Api, params: dict[str, str], which: str | None) -> None:
    body = api.get("/api/v1/sessions", params=params).json()
    expected = [] if which is None else [api.session_id if which == "race" else api.other_id]
    assert [s["id"] for s in body["items"]] == expected and body["total"] == len(expected)


def test_a_race_driver_finds_the_race(api: Api) -> None:
    name = api.race.truth["players"][3]["name"]
    body = api.get("/api/v1/sessions", params={"driver": name.upper()}).json()
    assert [s["id"] for s in body["items"]] == [api.session_id]


def test_session_detail_lists_its_players(api: Api) -> None:
    body = api.get(f"/api/v1/sessions/{api.session_id}").json()
    truth = {p["plid"]: p["name"] for p in api.race.truth["players"]}
    assert {p["plid"]: p["name"] for p in body["players"]} == truth
    assert body["track"] == "GM1" and body["laps"] == len(api.race.truth["laps"])


def test_session_laps_match_the_truth(api: Api) -> None:
    laps = api.get(f"/api/v1/sessions/{api.session_id}/laps").json()
    truth = {(lap["plid"], lap["lap"]): lap["time_ms"] for lap in api.race.truth["laps"]}
    assert {(lap["plid"], lap["lap"]): lap["time_ms"] for lap in laps} == truth
    clean = api.get(f"/api/v1/sessions/{api.session_id}/laps", params={"clean": "true"}).json()
    unclean = api.get(f"/api/v1/sessions/{api.session_id}/laps", params={"clean": "false"}).json()
    assert clean and unclean and all(lap["clean"] for lap in clean) and not any(lap["clean"] for lap in unclean)
    assert len(clean) + len(unclean) == len(laps)
    name = api.race.truth["players"][0]["name"]
    mine = api.get(f"/api/v1/sessions/{api.session_id}/laps", params={"driver": name.lower()}).json()
    assert mine and all(lap["driver"] == name for lap in mine)
    assert api.get(f"/api/v1/sessions/{api.other_id}/laps").json() == []


def test_best_laps_are_clean_and_fastest_first(api: Api) -> None:
    best = api.get("/api/v1/laps/best", params={"track": "GM1", "car": "XFG", "limit": 5}).json()
    clean_times = sorted(lap["time_ms"] for lap in queries.laps(api.engine, api.session_id, clean=True))
    assert [lap["time_ms"] for lap in best] == clean_times[:5] and all(lap["clean"] for lap in best)
    one = api.get("/api/v1/laps/best", params={"limit": 1}).json()
    assert [lap["time_ms"] for lap in one] == clean_times[:1]
    assert api.get("/api/v1/laps/best", params={"track": "BL1"}).json() == []


def test_one_lap(api: Api) -> None:
    lap = queries.laps(api.engine, api.session_id)[7]
    assert api.get(f"/api/v1/laps/{lap['id']}").json() == lap


def _a_lap(api: Api) -> dict:  # type: ignore[type-arg]
    """A clean lap of the viewed car (PLID 1), which has OutGauge and OutSim samples too."""
    return next(lap for lap in queries.laps(api.engine, api.session_id, plid=1, clean=True) if lap["lap"] >= 2)


def test_telemetry_as_json_columns(api: Api) -> None:
    lap = _a_lap(api)
    body = api.get(f"/api/v1/laps/{lap['id']}/telemetry").json()
    frame = queries.lap_telemetry(api.engine, lap["id"])
    assert body["lap_id"] == lap["id"] and body["source"] == "cars" and body["rows"] == frame.height > 100
    assert body["channels"] == frame.columns and set(body["columns"]) == set(frame.columns)
    assert body["columns"]["t"] == frame["t"].to_list()
    assert set(body["columns"]["plid"]) == {1} and set(body["columns"]["lap"]) == {lap["lap"]}


def test_telemetry_channels_and_distance(api: Api) -> None:
    lap = _a_lap(api)
    body = api.get(f"/api/v1/laps/{lap['id']}/telemetry", params={
        "source": "motion", "channels": "speed_mps,throttle", "distance_min": 200, "distance_max": 400}).json()
    assert body["channels"] == ["t", "plid", "lap", "speed_mps", "throttle"] and body["rows"] > 10
    whole = queries.lap_telemetry(api.engine, lap["id"], source="motion", channels=["lap_distance_m"])
    inside = whole.filter(pl.col("lap_distance_m").is_between(200, 400))
    assert body["rows"] == inside.height and body["columns"]["t"] == inside["t"].to_list()
    repeated = api.get(f"/api/v1/laps/{lap['id']}/telemetry",
                       params=[("source", "gauge"), ("channels", "rpm"), ("channels", "gear")]).json()
    assert repeated["channels"] == ["t", "plid", "lap", "rpm", "gear"] and repeated["rows"] > 100


def test_telemetry_as_csv_and_parquet(api: Api) -> None:
    lap = _a_lap(api)
    url = f"/api/v1/laps/{lap['id']}/telemetry"
    frame = queries.lap_telemetry(api.engine, lap["id"], channels=["speed_mps", "lap_distance_m"])
    csv = api.get(url, params={"format": "csv", "channels": "speed_mps,lap_distance_m"})
    assert csv.headers["content-type"].startswith("text/csv")
    assert pl.read_csv(io.StringIO(csv.text)).equals(frame, null_equal=True)
    by_accept = api.get(url, params={"channels": "speed_mps,lap_distance_m"}, headers={"accept": "text/csv"})
    assert by_accept.text == csv.text
    parquet = api.get(url, params={"channels": "speed_mps,lap_distance_m"},
                      headers={"accept": "application/vnd.apache.parquet"})
    assert parquet.headers["content-type"] == "application/vnd.apache.parquet"
    assert pl.read_parquet(io.BytesIO(parquet.content)).equals(frame)
    assert api.get(url, params={"format": "parquet"}).content[:4] == b"PAR1"


def test_compare_with_the_best_lap(api: Api) -> None:
    from lfs_ayats.analysis.compare import compare_laps

    lap = _a_lap(api)
    body = api.get("/api/v1/compare", params={"lap": lap["id"]}).json()
    expected = compare_laps(api.engine, lap["id"], "best")
    assert body["lap_id"] == lap["id"] and body["reference"] == "best"
    assert body["reference_ids"] == list(expected.reference_ids) and body["rows"] == expected.frame.height > 100
    assert body["delta_s"] == pytest.approx(expected.delta_s) and body["lap_time_ms"] == lap["time_ms"]
    assert body["columns"]["s_m"] == expected.frame["s_m"].to_list()
    assert len(body["columns"]["delta_s"]) == body["rows"]


def test_compare_with_a_lap_by_id_and_an_envelope(api: Api) -> None:
    lap = _a_lap(api)
    other = next(r for r in queries.laps(api.engine, api.session_id, clean=True) if r["id"] != lap["id"]
                 and r["lap"] >= 2)
    by_id = api.get("/api/v1/compare", params={"lap": lap["id"], "ref": str(other["id"]), "step_m": 5}).json()
    assert by_id["reference"] == "lap" and by_id["reference_ids"] == [other["id"]] and by_id["step_m"] == 5
    assert by_id["official_delta_s"] == pytest.approx((lap["time_ms"] - other["time_ms"]) / 1000)
    envelope = api.get("/api/v1/compare", params={"lap": lap["id"], "ref": "envelope"}).json()
    assert envelope["reference"] == "envelope" and len(envelope["reference_ids"]) >= 2
    assert "delta_p10_s" in envelope["columns"]


def test_compare_without_a_reference(api: Api) -> None:
    first = next(r for r in queries.laps(api.engine, api.session_id, plid=1) if r["lap"] == 1)
    response = api.get("/api/v1/compare", params={"lap": first["id"], "ref": "last"})
    assert response.status_code == 404 and "cannot be cut at the line" in response.json()["message"]
    assert api.get("/api/v1/compare", params={"lap": 999999}).status_code == 404


@pytest.mark.parametrize(("url", "status", "words"), [
    ("/api/v1/sessions/999999", 404, "no session 999999"),
    ("/api/v1/sessions/999999/laps", 404, "no session 999999"),
    ("/api/v1/laps/999999", 404, "no lap 999999"),
    ("/api/v1/laps/999999/telemetry", 404, "no lap 999999"),
    ("/api/v1/sessions/abc", 422, "path parameter session_id"),
    ("/api/v1/sessions/0", 422, "path parameter session_id"),
    ("/api/v1/laps/99999999999999999999", 422, "path parameter lap_id"),
    ("/api/v1/sessions?limit=0", 422, "query parameter limit"),
    ("/api/v1/sessions?limit=100000", 422, "query parameter limit"),
    ("/api/v1/sessions?since=yesterday", 422, "query parameter since"),
    ("/api/v1/sessions?since=2026-02-01&until=2026-01-01", 422, "since: is after until"),
    ("/api/v1/sessions?track=%00", 422, "query parameter track"),
    ("/api/v1/laps/best?limit=-1", 422, "query parameter limit"),
    ("/api/v1/laps/1/telemetry?source=radio", 422, "query parameter source"),
    ("/api/v1/laps/1/telemetry?format=xml", 422, "query parameter format"),
    ("/api/v1/laps/1/telemetry?channels=warp_factor", 422, "no channel 'warp_factor' in source cars"),
    ("/api/v1/laps/1/telemetry?distance_min=nan", 422, "query parameter distance_min"),
    ("/api/v1/laps/1/telemetry?distance_min=500&distance_max=100", 422, "greater than distance_max"),
    ("/api/v1/laps/1/telemetry?source=gauge&distance_max=100", 422, "gauge source has no lap distance"),
    ("/api/v1/compare", 422, "query parameter lap"),
    ("/api/v1/compare?lap=1&ref=fastest", 422, "query parameter ref"),
    ("/api/v1/compare?lap=1&step_m=0", 422, "query parameter step_m"),
    ("/api/v1/compare?lap=999999", 404, "no lap 999999"),
    ("/api/v1/nowhere", 404, "Not Found"),
])
def test_errors_are_json_with_a_message(api: Api, url: str, status: int, words: str) -> None:
    response = api.get(url)
    assert response.status_code == status and response.headers["content-type"] == "application/json"
    assert words in response.json()["message"]


def test_status_and_openapi(api: Api) -> None:
    status = api.get("/api/v1/status").json()
    assert status["sessions"] == 2 and status["live"] is None
    assert status["websocket"]["path"] == "/api/v1/telemetry/live"
    doc = api.get("/openapi.json").json()
    assert {"/api/v1/sessions", "/api/v1/sessions/{session_id}", "/api/v1/sessions/{session_id}/laps",
            "/api/v1/laps/best", "/api/v1/laps/{lap_id}", "/api/v1/laps/{lap_id}/telemetry", "/api/v1/compare",
            "/api/v1/status"} <= set(doc["paths"])
    assert doc["paths"]["/api/v1/laps/{lap_id}"]["get"]["responses"]["422"]["content"]["application/json"][
        "schema"]["$ref"].endswith("/ApiError")
    assert api.get("/docs").status_code == 200
