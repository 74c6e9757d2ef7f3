"""Packets -> events, one packet type at a time, with the values LFS would send."""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest

from lfs_ayats import packets as P
from lfs_ayats.packets.constants import CCI, OBH
from lfs_ayats.telemetry import convert
from lfs_ayats.telemetry import events as E
from lfs_ayats.telemetry.validate import Invalid

from . import builders as b


def one(data: bytes, t: float = 1.5) -> E.Event:
    event = convert.convert(P.decode(data), t)
    assert event is not None
    return event


def test_car_samples_column_wise() -> None:
    cars = P.decode(b.mci(b.car(3, node=120, lap=2, position=1, x=-100.5, y=250.25, z=12.0, speed=55.0,
                                direction=math.pi / 2, heading=math.pi / 2 + 0.1, yaw=-1.0),
                          b.car(7, node=90, lap=1, position=2, info=CCI.YELLOW | CCI.BLUE, speed=0.0))).Info.array
    ev = convert.car_samples(2.0, cars)
    assert ev.t == 2.0 and len(ev) == 2 and ev.row(7) == 1 and ev.row(9) is None
    assert ev.plid.tolist() == [3, 7] and ev.node.tolist() == [120, 90] and ev.lap.tolist() == [2, 1]
    assert ev.position.tolist() == [1, 2]
    assert ev.info.tolist() == [0, CCI.YELLOW | CCI.BLUE]  # CCI_FIRST / CCI_LAST belong to the set, not the car
    assert ev.x_m[0] == -100.5 and ev.y_m[0] == 250.25 and ev.z_m[0] == 12.0
    assert ev.speed_mps[0] == pytest.approx(55.0, abs=0.002)
    assert ev.direction_rad[0] == pytest.approx(math.pi / 2, abs=1e-4)
    assert ev.heading_rad[0] == pytest.approx(math.pi / 2 + 0.1, abs=1e-4)
    assert ev.yaw_rate_radps[0] == pytest.approx(-1.0, abs=1e-3)
    assert ev.invalid.tolist() == [0, 0]
    assert np.isnan(ev.lap_distance_m).all() and np.isnan(ev.gap_to_leader_s).all()  # the session fills these


def test_implausible_cars_are_flagged_not_refused() -> None:
    # (CompCar.AngVel cannot exceed 4π rad/s, so the yaw-rate limit only ever trips on OutSim.)
    cars = P.decode(b.mci(b.car(1, speed=180.0), b.car(2, y=-7000.0), b.car(3, x=6000.0), b.car(4, speed=40.0)))
    ev = convert.car_samples(0.0, cars.Info.array)
    assert ev.invalid.tolist() == [Invalid.SPEED, Invalid.POSITION, Invalid.POSITION, 0]
    assert ev.speed_mps[0] == pytest.approx(180.0, abs=0.01)  # kept as received


def test_node_laps() -> None:
    data = b.frame("IS_NLP", ReqI=3, Info=[dict(Node=5, Lap=2, PLID=4, Position=1), dict(Node=9, Lap=1, PLID=6,
                                                                                      Position=2)])
    ev = one(data)
    assert isinstance(ev, E.NodeLaps) and ev.reply
    assert ev.plid.tolist() == [4, 6] and ev.node.tolist() == [5, 9] and ev.lap.tolist() == [2, 1]


def test_gauge_sample() -> None:
    ev = convert.gauge_sample(P.decode_outgauge(b.outgauge(plid=4, speed=41.5, rpm=6200, gear_raw=0, throttle=0.25,
                                                           brake=0.5, fuel=0.3, time_ms=1234)), 3.0)
    assert (ev.t, ev.time_ms, ev.plid, ev.car) == (3.0, 1234, 4, "XRT")
    assert ev.gear == -1 and ev.speed_mps == 41.5 and ev.rpm == 6200.0
    assert (ev.throttle, ev.brake, ev.clutch) == (0.25, 0.5, 0.0)
    assert ev.fuel_fraction == pytest.approx(0.3) and ev.turbo_pa == pytest.approx(50_000.0)
    assert ev.oil_pressure_pa == pytest.approx(300_000.0) and ev.engine_temp_c == 90.0
    assert ev.display1 == "Fuel" and ev.invalid == 0
    neutral = convert.gauge_sample(P.decode_outgauge(b.outgauge(gear_raw=1)), 0.0)
    assert neutral.gear == 0


@pytest.mark.parametrize(("change", "flag"), [
    ({"rpm": -5.0}, Invalid.RPM), ({"rpm": 30_000.0}, Invalid.RPM), ({"throttle": 1.5}, Invalid.PEDAL),
    ({"brake": -0.2}, Invalid.PEDAL), ({"speed": 200.0}, Invalid.SPEED), ({"fuel": 2.0}, Invalid.FUEL),
    ({"gear_raw": 40}, Invalid.GEAR),
])
def test_gauge_values_out_of_range_are_flagged(change: dict[str, float], flag: Invalid) -> None:
    ev = convert.gauge_sample(P.decode_outgauge(b.outgauge(**change)), 0.0)  # type: ignore[arg-type]
    assert ev.invalid == flag


def test_motion_sample_every_block() -> None:
    ev = convert.motion_sample(P.decode_outsim(b.outsim2(812.5, x=10.0, y=-20.0, vx=3.0, vy=4.0, time_ms=777,
                                                         gear_raw=0, heading=0.25)), 4.0, plid=6)
    assert (ev.t, ev.time_ms, ev.plid) == (4.0, 777, 6)
    assert ev.lap_distance_m == 812.5 and ev.driven_distance_m == 815.5
    assert (ev.x_m, ev.y_m, ev.z_m) == (10.0, -20.0, 0.0) and ev.speed_mps == pytest.approx(5.0)
    assert ev.velocity_mps == (3.0, 4.0, 0.0) and ev.heading_rad == 0.25 and ev.ang_vel_radps == (0.0, 0.0, 0.5)
    assert ev.gear == -1 and ev.throttle == 1.0 and ev.steer_rad == pytest.approx(0.1)
    assert ev.engine_speed_radps == 500.0 and ev.max_torque_nm == 200.0 and ev.steer_torque_nm == 1.5
    assert len(ev.wheels) == 4 and ev.wheels[0].slip_fraction == pytest.approx(0.2) and ev.wheels[0].touching
    assert ev.invalid == 0


def test_implausible_motion_is_flagged() -> None:
    packet = P.decode_outsim(b.outsim2(10.0, vx=0.0, vy=160.0, throttle=1.2))
    spinning = packet.replace(OSMain=packet.OSMain.replace(AngVel=(0.0, 0.0, 25.0)))
    ev = convert.motion_sample(spinning, 0.0)
    assert ev.invalid == Invalid.SPEED | Invalid.YAW_RATE | Invalid.PEDAL


def test_legacy_outsim_has_no_distance() -> None:
    ev = convert.motion_sample(P.decode_outsim(b.outsim_legacy(x=10.0, time_ms=500)), 0.0)
    assert ev.x_m == 10.0 and ev.speed_mps == 5.0 and ev.time_ms == 500
    assert math.isnan(ev.lap_distance_m) and ev.gear is None and math.isnan(ev.throttle) and ev.wheels == ()


def test_corrupt_outsim_floats_become_nan_and_are_flagged() -> None:
    data = bytearray(b.outsim2(100.0))
    # IndexedDistance sits after the header, ID, time, main, inputs, drive blocks and CurrentLapDist.
    offset = 4 + 4 + 4 + 64 - 4 + 20 + 12 + 4
    assert struct.unpack_from("<f", data, offset)[0] == 100.0
    struct.pack_into("<f", data, offset, float("inf"))
    struct.pack_into("<f", data, 4 + 4 + 4 + 60 + 0, float("nan"))  # Throttle
    ev = convert.motion_sample(P.decode_outsim(bytes(data)), 0.0)
    assert math.isnan(ev.lap_distance_m) and math.isnan(ev.throttle)
    assert ev.invalid & Invalid.NOT_FINITE


def test_state_and_race() -> None:
    sta = one(b.frame("IS_STA", ReqI=2, ReplaySpeed=1.0, Flags=1, InGameCam=3, ViewPLID=5, NumP=3, NumConns=4,
                      NumFinished=0, RaceInProg=1, QualMins=0, RaceLaps=105, ServerStatus=1, Track="BL1",
                      Weather=1, Wind=2))
    assert isinstance(sta, E.StateReported)
    assert (sta.view_plid, sta.race_in_progress, sta.race_laps, sta.track, sta.reply) == (5, "race", 150, "BL1", True)
    started = one(b.rst(reqi=0, laps=5))
    assert type(started) is E.RaceStarted
    assert (started.mode, started.race_laps, started.num_nodes, started.finish_node) == ("race", 5, 400, 100)
    assert started.split_nodes == (200, 300)
    reported = one(b.rst(reqi=5, laps=0, qual=20))
    assert type(reported) is E.RaceReported and reported.mode == "qualify" and reported.qual_minutes == 20
    hours = one(b.rst(laps=192))
    assert hours.race_hours == 2 and hours.race_laps == 0  # type: ignore[attr-defined]


def test_connections_and_players() -> None:
    conn = one(b.ncn(4, "racer1", "^1Red ^7Racer", reqi=3))
    assert conn == E.ConnectionJoined(1.5, ucid=4, user_name="racer1", name="Red Racer", admin=False, remote=True,
                                      reply=True)
    left = one(b.frame("IS_CNL", UCID=4, Reason=1, Total=2))
    assert left == E.ConnectionLeft(1.5, ucid=4, reason="timeout")
    renamed = one(b.frame("IS_CPR", UCID=4, PName="^3New", Plate="XY12"))
    assert renamed == E.PlayerRenamed(1.5, ucid=4, name="New", plate="XY12")
    joined = one(b.npl(7, 4, "^7Racer", reqi=0))
    assert isinstance(joined, E.PlayerJoined)
    assert (joined.plid, joined.ucid, joined.name, joined.car, joined.reply) == (7, 4, "Racer", "XRT", False)
    assert joined.tyres == ("road_normal",) * 4 and joined.fuel_fraction == 0.4 and joined.remote and not joined.ai
    assert one(b.frame("IS_PLP", PLID=7)) == E.PlayerPitted(1.5, plid=7)
    assert one(b.frame("IS_PLL", PLID=7)) == E.PlayerLeft(1.5, plid=7)
    toc = one(b.frame("IS_TOC", PLID=7, OldUCID=4, NewUCID=5))
    assert (toc.plid, toc.old_ucid, toc.new_ucid) == (7, 4, 5)  # type: ignore[attr-defined]
    assert one(b.frame("IS_REO", NumP=3, PLID=[3, 1, 2] + [0] * 45)) == E.GridOrdered(1.5, plids=(3, 1, 2))
    assert one(b.frame("IS_CRS", PLID=2)) == E.CarReset(1.5, plid=2)


def test_timing() -> None:
    lap = one(b.lap(3, 89_799, 250_000, 2, penalty=1))
    assert isinstance(lap, E.LapCompleted)
    assert (lap.plid, lap.lap, lap.lap_time_ms, lap.elapsed_ms, lap.penalty) == (3, 2, 89_799, 250_000, "dt")
    assert lap.lap_time_s == 89.799 and lap.start_ms == 160_201 and lap.fuel_fraction == 0.4
    split = one(b.spx(3, 31_286, 191_487, 1))
    assert isinstance(split, E.SplitCompleted)
    assert (split.split, split.split_time_ms, split.elapsed_ms, split.lap) == (1, 31_286, 191_487, 0)
    fin = one(b.frame("IS_FIN", PLID=3, TTime=365_820, BTime=89_799, NumStops=1, Confirm=2, LapsDone=4, Flags=0))
    assert fin == E.CarFinished(1.5, plid=3, total_time_ms=365_820, best_lap_ms=89_799, laps_done=4, pit_stops=1,
                                confirm=2, flags=0)
    res = one(b.frame("IS_RES", PLID=3, UName="u", PName="^7Name", Plate="P", CName="XRT", TTime=365_820,
                      BTime=89_799, NumStops=1, Confirm=2, LapsDone=4, Flags=0, ResultNum=0, NumRes=1, PSeconds=30))
    assert isinstance(res, E.ResultConfirmed) and res.position == 1 and res.penalty_s == 30 and res.name == "Name"
    unplaced = one(b.frame("IS_RES", PLID=3, ResultNum=255))
    assert unplaced.position is None  # type: ignore[attr-defined]


def test_pits() -> None:
    pla = one(b.frame("IS_PLA", PLID=3, Fact=3))
    assert pla == E.PitLaneChanged(1.5, plid=3, entered=True, purpose="drive_through")
    assert one(b.frame("IS_PLA", PLID=3, Fact=0)) == E.PitLaneChanged(1.5, plid=3, entered=False, purpose="exit")
    pit = one(b.frame("IS_PIT", PLID=3, LapsDone=2, Flags=256, FuelAdd=25, Penalty=0, NumStops=1,
                      Tyres=[255, 255, 4, 4], Work=(1 << 1) | (1 << 17)))
    assert isinstance(pit, E.PitStopStarted)
    assert pit.tyres == (None, None, "road_super", "road_super") and pit.fuel_added_fraction == 0.25
    assert pit.work == (1 << 1) | (1 << 17) and pit.laps_done == 2
    assert one(b.frame("IS_PSF", PLID=3, STime=5131)) == E.PitStopFinished(1.5, plid=3, stop_time_ms=5131)


def test_incidents() -> None:
    contact_car = dict(Info=0, Steer=-3, ThrBrk=0xD2, CluHan=0x1F, GearSp=15 << 4, Speed=26, Direction=64,
                       Heading=64, AccelF=2, AccelR=-6, X=160, Y=-320)
    con = one(b.frame("IS_CON", SpClose=58, Time=235_940, A=dict(PLID=4, **contact_car),
                      B=dict(PLID=11, **contact_car)))
    assert isinstance(con, E.Contact) and con.plids == (4, 11)
    assert con.time_ms == 235_940 and con.closing_speed_mps == pytest.approx(5.8)
    a = con.a
    assert (a.gear, a.speed_mps, a.x_m, a.y_m, a.accel_long_mps2, a.accel_lat_mps2) == (-1, 26.0, 10.0, -20.0, 2.0, 6.0)
    assert a.throttle == pytest.approx(13 / 15) and a.brake == pytest.approx(2 / 15) and a.handbrake == 1.0
    assert a.steer_rad == pytest.approx(math.radians(3)) and a.direction_rad == pytest.approx(math.pi / 2)
    obj_car = dict(Direction=0, Heading=0, Speed=20, Zbyte=9, X=16, Y=32)
    obh = one(b.frame("IS_OBH", PLID=2, SpClose=32, Time=5000, C=obj_car, X=-160, Y=80, Zbyte=8, Index=0,
                      OBHFlags=OBH.LAYOUT | OBH.WAS_MOVING))
    assert isinstance(obh, E.ObjectHit)
    assert (obh.closing_speed_mps, obh.object_x_m, obh.object_y_m, obh.object_z_m) == (3.2, -10.0, 5.0, 2.0)
    assert obh.layout and obh.was_moving and not obh.can_move and obh.car.speed_mps == 20.0 and obh.car.y_m == 2.0
    track_object = one(b.frame("IS_OBH", PLID=2, C=obj_car, OBHFlags=0))
    assert track_object.object_z_m is None  # type: ignore[attr-defined]
    hlv = one(b.frame("IS_HLV", PLID=2, HLVC=1, Time=28_593, C=obj_car))
    assert isinstance(hlv, E.HotlapViolation) and hlv.reason == "wall" and hlv.time_ms == 28_593
    assert one(b.frame("IS_HLV", PLID=2, HLVC=9, C=obj_car)).reason == "hlvc_9"  # type: ignore[attr-defined]
    flg = one(b.frame("IS_FLG", PLID=4, OffOn=1, Flag=2, CarBehind=0))
    assert flg == E.FlagChanged(1.5, plid=4, flag="yellow", on=True, car_behind=0)
    blue = one(b.frame("IS_FLG", PLID=4, OffOn=0, Flag=1, CarBehind=6))
    assert blue == E.FlagChanged(1.5, plid=4, flag="blue", on=False, car_behind=6)
    pen = one(b.frame("IS_PEN", PLID=4, OldPen=0, NewPen=3, Reason=4))
    assert pen == E.PenaltyChanged(1.5, plid=4, old="none", new="sg", reason="speeding")


def test_packets_telemetry_does_not_use() -> None:
    assert convert.convert(P.decode(b.frame("IS_TINY", ReqI=0, SubT=0)), 0.0) is None
    assert convert.convert(P.decode(b.frame("IS_VER", ReqI=1, Version="0.8C", Product="S3", InSimVer=10)), 0.0) is None
