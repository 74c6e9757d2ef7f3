"""Hand-built packets for the telemetry tests, as LFS would send them (encoded to bytes)."""

from __future__ import annotations

import math
from typing import Any

from lfs_ayats import packets as P
from lfs_ayats.packets.codec import OutGauge, OutSim, OutSim2
from lfs_ayats.packets.constants import CCI

NUM_NODES = 400
FINISH = 100
SPLITS = (200, 300)


def frame(name: str, **fields: Any) -> bytes:
    return P.encode(P.packet_class(name)(**fields))


def rst(reqi: int = 0, laps: int = 5, qual: int = 0, nodes: int = NUM_NODES, finish: int = FINISH) -> bytes:
    return frame("IS_RST", ReqI=reqi, RaceLaps=laps, QualMins=qual, NumP=3, Timing=0x40 | len(SPLITS),
                 Track="BL1", NumNodes=nodes, Finish=finish, Split1=SPLITS[0], Split2=SPLITS[1], Split3=0)


def ncn(ucid: int, user: str, name: str, reqi: int = 0) -> bytes:
    return frame("IS_NCN", ReqI=reqi, UCID=ucid, UName=user, PName=name, Admin=0, Total=3, Flags=4)


def npl(plid: int, ucid: int, name: str, reqi: int = 0, car: str = "XRT") -> bytes:
    return frame("IS_NPL", ReqI=reqi, PLID=plid, UCID=ucid, PType=4, Flags=0, PName=name, Plate="ABC",
                 CName=car, SName="skin", Tyres=[5, 5, 5, 5], NumP=3, Fuel=40)


def lap(plid: int, lap_ms: int, elapsed_ms: int, laps_done: int, penalty: int = 0) -> bytes:
    return frame("IS_LAP", PLID=plid, LTime=lap_ms, ETime=elapsed_ms, LapsDone=laps_done, Flags=0, Penalty=penalty,
                 NumStops=0, Fuel200=80)


def spx(plid: int, split_ms: int, elapsed_ms: int, split: int) -> bytes:
    return frame("IS_SPX", PLID=plid, STime=split_ms, ETime=elapsed_ms, Split=split, Penalty=0, NumStops=0,
                 Fuel200=80)


def car(plid: int, node: int = 0, lap: int = 1, position: int = 0, info: int = 0, x: float = 0.0, y: float = 0.0,
        z: float = 0.0, speed: float = 0.0, direction: float = 0.0, heading: float | None = None,
        yaw: float = 0.0) -> dict[str, Any]:
    """One CompCar from SI values."""
    heading = direction if heading is None else heading
    return dict(Node=node, Lap=lap, PLID=plid, Position=position, Info=info, X=round(x * 65536),
                Y=round(y * 65536), Z=round(z * 65536), Speed=min(65535, round(speed * 327.68)),
                Direction=round(direction / (2 * math.pi) * 65536) % 65536,
                Heading=round(heading / (2 * math.pi) * 65536) % 65536,
                AngVel=max(-32768, min(32767, round(yaw / (2 * math.pi) * 16384))))


def mci(*cars: dict[str, Any], reqi: int = 0, first: bool = True, last: bool = True) -> bytes:
    """One IS_MCI packet; by default a whole set (CCI_FIRST on the first car, CCI_LAST on the last)."""
    rows = [dict(c) for c in cars]
    if first:
        rows[0]["Info"] |= CCI.FIRST
    if last:
        rows[-1]["Info"] |= CCI.LAST
    return frame("IS_MCI", ReqI=reqi, Info=rows)


def outgauge(plid: int = 1, speed: float = 30.0, rpm: float = 5000.0, gear_raw: int = 3, throttle: float = 1.0,
             brake: float = 0.0, clutch: float = 0.0, fuel: float = 0.5, time_ms: int = 1000) -> bytes:
    packet = OutGauge(Time=time_ms, Car="XRT", Flags=0, Gear=gear_raw, PLID=plid, Speed=speed, RPM=rpm, Turbo=0.5,
                      EngTemp=90.0, Fuel=fuel, OilPressure=3.0, OilTemp=95.0, DashLights=0, ShowLights=0,
                      Throttle=throttle, Brake=brake, Clutch=clutch, Display1="Fuel", Display2="", ID=None)
    return P.encode_outgauge(packet)


def outsim2(distance: float, x: float = 0.0, y: float = 0.0, vx: float = 0.0, vy: float = 30.0, time_ms: int = 0,
            throttle: float = 1.0, gear_raw: int = 3, heading: float = 0.0) -> bytes:
    """OutSimPack2 with Opts 0x1ff (every block)."""
    wheel = dict(SuspDeflect=0.05, Steer=0.0, XForce=0.0, YForce=100.0, VerticalLoad=3000.0, AngVel=100.0,
                 LeanRelToRoad=0.0, AirTemp=20, SlipFraction=51, Touching=1, SlipRatio=0.02, TanSlipAngle=0.01)
    packet = OutSim2(
        Opts=0x1FF, ID=0, Time=time_ms,
        OSMain=dict(AngVel=(0.0, 0.0, 0.5), Heading=heading, Pitch=0.0, Roll=0.0, Accel=(0.0, 1.0, 0.0),
                    Vel=(vx, vy, 0.0), Pos=(round(x * 65536), round(y * 65536), 0)),
        OSInputs=dict(Throttle=throttle, Brake=0.0, InputSteer=0.1, Clutch=0.0, Handbrake=0.0),
        OSDrive=dict(Gear=gear_raw, EngineAngVel=500.0, MaxTorqueAtVel=200.0),
        OSDistance=dict(CurrentLapDist=distance + 3.0, IndexedDistance=distance),
        OSWheels=[wheel] * 4, OSExtra1=dict(SteerTorque=1.5),
    )
    return P.encode_outsim(packet)


def outsim_legacy(x: float = 10.0, time_ms: int = 500) -> bytes:
    packet = OutSim(Time=time_ms, AngVel=(0.0, 0.0, 0.1), Heading=0.5, Pitch=0.0, Roll=0.0, Accel=(0.0, 0.0, 0.0),
                    Vel=(3.0, 4.0, 0.0), Pos=(round(x * 65536), 0, 0), ID=None)
    return P.encode_outsim(packet)
