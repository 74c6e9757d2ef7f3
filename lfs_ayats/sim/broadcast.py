"""What the simulated LFS says: the field's state and events as InSim, OutGauge and OutSim packets.

Units go from the simulation's SI to LFS's wire integers here and only here (65536 = 1 m,
32768 = 100 m/s, 65536 = 360°, 16384 = 360°/s, times in ms, Fuel200 = 2 x percent).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from lfs_ayats.packets import RecordArray, encode_outgauge, encode_outsim, packet_class
from lfs_ayats.packets.codec import OutGauge, OutSim2
from lfs_ayats.packets.constants import (
    CCI,
    DL,
    HOSTF,
    ISF,
    ISS,
    OG,
    PIF,
    PITLANE,
    PSE,
    TYRE,
    VIEW,
)
from lfs_ayats.packets.fields import CompCar, NodeLap
from lfs_ayats.packets.model import numpy_dtype, record_for, unwrap

from .cars import get_car
from .drivers import SessionMode
from .events import (
    Finished,
    Incident,
    LapCompleted,
    ObjectHit,
    PenaltyChanged,
    PitLane,
    PitStopFinished,
    PitStopStarted,
    Retired,
    SessionStarted,
    SplitCompleted,
)

if TYPE_CHECKING:
    from .field import Field
    from .host import HostConfig

MCI_MAX_CARS = 16
TWO_PI = 2.0 * math.pi
G = 9.81

P = {name: packet_class(name) for name in (
    "IS_STA", "IS_RST", "IS_NCN", "IS_NPL", "IS_RES", "IS_REO", "IS_ISM", "IS_CPP", "IS_MCI", "IS_NLP",
    "IS_LAP", "IS_SPX", "IS_PIT", "IS_PSF", "IS_PLA", "IS_CON", "IS_HLV", "IS_FLG", "IS_FIN", "IS_PLL",
)}
_COMPCAR = unwrap(CompCar)
_NODELAP = unwrap(NodeLap)
COMPCAR_DTYPE = numpy_dtype(_COMPCAR)
NODELAP_DTYPE = numpy_dtype(_NODELAP)
CompCarRecord = record_for(_COMPCAR)[0]
NodeLapRecord = record_for(_NODELAP)[0]
_PLAYER_FLAGS = int(PIF.AUTOCLUTCH | PIF.AXIS_CLUTCH | PIF.HELP_B)


def angle16(rad: Any) -> Any:
    """Radians (0 = world +Y, anticlockwise) -> LFS's u16 angle (65536 = 360°)."""
    return (np.asarray(rad) / TWO_PI * 65536.0).round().astype(np.int64) % 65536


def angle8(rad: float) -> int:
    """Radians -> CarContact's byte angle (256 = 360°)."""
    return round(rad / TWO_PI * 256.0) % 256


def clip(value: float, low: int, high: int) -> int:
    return int(min(high, max(low, round(value))))


class Broadcaster:
    """Builds the packets a real LFS would send about a `Field`."""

    def __init__(self, sim: Field, config: HostConfig) -> None:
        self.field = sim
        self.config = config
        self.view_plid = 1
        self.results: list[Any] = []
        self._yellow_until: dict[int, int] = {}
        self._retired: set[int] = set()
        self._lap_start_fuel: dict[int, float] = {}

    # -- session state ---------------------------------------------------------------------------

    def _race_laps(self) -> int:
        f = self.field
        if f.mode is not SessionMode.RACE:
            return 0
        laps = f.laps
        if laps <= 99:
            return laps
        return min(190, 100 + (laps - 100) // 10)

    def sta(self, reqi: int = 0) -> Any:
        f = self.field
        in_progress = {SessionMode.RACE: 1, SessionMode.QUALIFY: 2}.get(f.mode, 0)
        finished = int(np.count_nonzero(f.cars.finished))
        return P["IS_STA"](
            ReqI=reqi, ReplaySpeed=1.0, Flags=int(ISS.GAME | ISS.MULTI | ISS.VISIBLE), InGameCam=VIEW.DRIVER,
            ViewPLID=self.view_plid, NumP=self._num_players(), NumConns=len(f.drivers) + 1, NumFinished=finished,
            RaceInProg=in_progress, QualMins=int(f.minutes or 0) if f.mode is SessionMode.QUALIFY else 0,
            RaceLaps=self._race_laps(), ServerStatus=1, Track=f.track.code, Weather=0, Wind=0,
        )

    def rst(self, reqi: int = 0) -> Any:
        f = self.field
        splits = [*list(f.track.split_nodes), 0, 0, 0]
        return P["IS_RST"](
            ReqI=reqi, RaceLaps=self._race_laps(),
            QualMins=int(f.minutes or 0) if f.mode is SessionMode.QUALIFY else 0,
            NumP=self._num_players(), Timing=0x40 | len(f.track.split_nodes), Track=f.track.code,
            Weather=0, Wind=0, Flags=int(HOSTF.CAN_VOTE | HOSTF.CAN_SELECT | HOSTF.CAN_RESET),
            NumNodes=len(f.track.nodes), Finish=f.track.finish_node,
            Split1=splits[0], Split2=splits[1], Split3=splits[2],
        )

    def _num_players(self) -> int:
        return len(self.field.drivers) - len(self._retired)

    def ism(self, reqi: int = 0) -> Any:
        return P["IS_ISM"](ReqI=reqi, Host=1, HName="lfs-ayats simulator")

    def ncn(self, reqi: int = 0) -> list[Any]:
        total = len(self.field.drivers) + 1
        out = [P["IS_NCN"](ReqI=reqi, UCID=0, UName="", PName="host", Admin=1, Total=total, Flags=0)]
        for plid, driver in enumerate(self.field.drivers, start=1):
            out.append(P["IS_NCN"](ReqI=reqi, UCID=plid, UName=driver.user_name or f"driver{plid}",
                                   PName=f"^7{driver.name}", Admin=0, Total=total, Flags=4))
        return out

    def npl(self, reqi: int = 0) -> list[Any]:
        return [self._npl(plid, reqi) for plid in self._active_plids()]

    def _npl(self, plid: int, reqi: int = 0) -> Any:
        f = self.field
        driver = f.driver(plid)
        car = get_car(driver.car)
        road = car.code in ("XFG", "XRG", "XRT", "RB4", "FXO", "LX4", "LX6")
        tyre = TYRE.ROAD_NORMAL if road else TYRE.R2
        return P["IS_NPL"](
            ReqI=reqi, PLID=plid, UCID=plid, PType=4, Flags=_PLAYER_FLAGS, PName=f"^7{driver.name}",
            Plate=driver.plate[:8], CName=car.code, SName=driver.skin, Tyres=[tyre] * 4, H_Mass=0, H_TRes=0,
            Model=0, Pass=0, RWAdj=0, FWAdj=0, RIFlags=0, SetF=0, NumP=len(f.drivers), Config=0,
            Fuel=clip(float(f.cars.fuel_fraction[plid - 1]) * 100, 0, 100),
        )

    def res(self, reqi: int = 0) -> list[Any]:
        return [r.replace(ReqI=reqi) for r in self.results]

    def reo(self, reqi: int = 0) -> Any:
        order = [int(p) for p in np.argsort(self.field.cars.race_position + (self.field.cars.race_position == 0) * 99)
                 + 1][:48]
        return P["IS_REO"](ReqI=reqi, NumP=len(order), PLID=order + [0] * (48 - len(order)))

    def cpp(self, reqi: int = 0) -> Any:
        c = self.field.cars
        i = self.view_plid - 1
        return P["IS_CPP"](
            ReqI=reqi, Pos=[int(c.x_m[i] * 65536), int(c.y_m[i] * 65536), int(c.z_m[i] * 65536)],
            H=int(angle16(c.heading_rad[i])), P=0, R=0, ViewPLID=self.view_plid, InGameCam=VIEW.DRIVER,
            FOV=90.0, Time=0, Flags=int(ISS.VISIBLE),
        )

    def _active_plids(self) -> list[int]:
        return [p for p in range(1, len(self.field.drivers) + 1) if p not in self._retired]

    # -- positions ---------------------------------------------------------------------------------

    def _compcars(self, everyone: bool = False) -> np.ndarray:
        c = self.field.cars
        keep = np.ones(len(c.plid), dtype=bool) if everyone else ~np.isin(c.plid, list(self._retired))
        idx = np.nonzero(keep)[0]
        cars = np.zeros(len(idx), dtype=COMPCAR_DTYPE)
        cars["Node"] = c.node[idx]
        cars["Lap"] = np.clip(c.lap[idx], 0, 65535)
        cars["PLID"] = c.plid[idx]
        cars["Position"] = np.clip(c.race_position[idx], 0, 255)
        info = np.zeros(len(idx), dtype=np.int64)
        info |= np.where(c.off_track[idx], int(CCI.OOB), 0)
        info |= np.where(c.retired[idx], int(CCI.RETIRED), 0)
        now = self.field.time_ms
        yellow = np.array([self._yellow_until.get(int(p), -1) > now for p in c.plid[idx]], dtype=bool)
        info |= np.where(yellow, int(CCI.YELLOW), 0)
        cars["Info"] = info
        cars["X"] = np.round(c.x_m[idx] * 65536)
        cars["Y"] = np.round(c.y_m[idx] * 65536)
        cars["Z"] = np.round(c.z_m[idx] * 65536)
        cars["Speed"] = np.clip(np.round(c.speed_mps[idx] * 327.68), 0, 65535)
        cars["Direction"] = angle16(c.direction_rad[idx])
        cars["Heading"] = angle16(c.heading_rad[idx])
        cars["AngVel"] = np.clip(np.round(c.yaw_rate_radps[idx] / TWO_PI * 16384), -32768, 32767)
        return cars

    def mci(self, reqi: int = 0, everyone: bool = False) -> list[Any]:
        """One MCI set: up to 16 cars a packet, CCI_FIRST on the first car and CCI_LAST on the last."""
        cars = self._compcars(everyone)
        if len(cars) == 0:
            return []
        cars["Info"][0] |= int(CCI.FIRST)
        cars["Info"][-1] |= int(CCI.LAST)
        return [
            P["IS_MCI"]._make((reqi, len(chunk), RecordArray(CompCarRecord, chunk)))
            for chunk in (cars[i : i + MCI_MAX_CARS] for i in range(0, len(cars), MCI_MAX_CARS))
        ]

    def nlp(self, reqi: int = 0) -> list[Any]:
        c = self.field.cars
        idx = np.array([p - 1 for p in self._active_plids()], dtype=np.int64)
        nodes = np.zeros(len(idx), dtype=NODELAP_DTYPE)
        nodes["Node"] = c.node[idx]
        nodes["Lap"] = np.clip(c.lap[idx], 0, 65535)
        nodes["PLID"] = c.plid[idx]
        nodes["Position"] = np.clip(c.race_position[idx], 0, 255)
        return [P["IS_NLP"]._make((reqi, len(nodes), RecordArray(NodeLapRecord, nodes)))]

    # -- events ------------------------------------------------------------------------------------

    def event_packets(self, event: object) -> Iterator[tuple[int, list[Any]]]:
        """(ISF_ flag the client needs, or 0 for everyone; packets) for one simulation event."""
        f = self.field
        if isinstance(event, SessionStarted):
            yield 0, [self.sta(), self.rst(), *self.npl()]
        elif isinstance(event, SplitCompleted):
            yield 0, [P["IS_SPX"](PLID=event.plid, STime=event.split_time_ms, ETime=event.elapsed_ms,
                                  Split=event.split, Penalty=event.penalty, NumStops=self._stops(event.plid),
                                  Fuel200=self._fuel200(event.plid))]
        elif isinstance(event, LapCompleted):
            yield 0, [P["IS_LAP"](PLID=event.plid, LTime=event.lap_time_ms, ETime=event.elapsed_ms,
                                  LapsDone=event.lap, Flags=_PLAYER_FLAGS, Penalty=event.penalty,
                                  NumStops=event.pit_stops,
                                  Fuel200=clip(event.fuel_fraction * 200, 0, 200))]
        elif isinstance(event, PitLane):
            yield 0, [P["IS_PLA"](PLID=event.plid, Fact=self._pit_fact(event))]
        elif isinstance(event, PenaltyChanged):
            yield 0, [packet_class("IS_PEN")(PLID=event.plid, OldPen=event.old, NewPen=event.new,
                                             Reason=event.reason)]
        elif isinstance(event, ObjectHit):
            yield int(ISF.OBH), [self._object_hit(event)]
        elif isinstance(event, PitStopStarted):
            capacity = get_car(f.driver(event.plid).car).fuel_capacity_kg
            work = (1 << PSE.STOP) | ((1 << PSE.REFUEL) if event.fuel_add_kg > 0 else 0)
            tyres = [TYRE.NOT_CHANGED] * 4
            if event.tyres_changed:
                work |= (1 << PSE.FR_WHL) | (1 << PSE.RE_WHL)
                tyres = [TYRE.ROAD_NORMAL] * 4
            yield 0, [P["IS_PIT"](PLID=event.plid, LapsDone=event.laps_done, Flags=_PLAYER_FLAGS | PIF.INPITS,
                                  FuelAdd=clip(event.fuel_add_kg / capacity * 100, 0, 100), Penalty=event.penalty,
                                  NumStops=self._stops(event.plid), Tyres=tyres, Work=work)]
        elif isinstance(event, PitStopFinished):
            yield 0, [P["IS_PSF"](PLID=event.plid, STime=event.duration_ms)]
        elif isinstance(event, Incident):
            yield from self._incident(event)
        elif isinstance(event, Finished):
            fin = P["IS_FIN"](PLID=event.plid, TTime=event.total_time_ms, BTime=event.best_lap_ms,
                              NumStops=self._stops(event.plid), Confirm=event.confirm,
                              LapsDone=event.laps_done, Flags=_PLAYER_FLAGS)
            driver = f.driver(event.plid)
            result = P["IS_RES"](
                PLID=event.plid, UName=driver.user_name, PName=f"^7{driver.name}", Plate=driver.plate[:8],
                CName=f.car_code(event.plid), TTime=event.total_time_ms, BTime=event.best_lap_ms,
                NumStops=self._stops(event.plid), Confirm=event.confirm, LapsDone=event.laps_done,
                Flags=_PLAYER_FLAGS, ResultNum=event.result_position - 1, NumRes=len(self.results) + 1,
                PSeconds=event.penalty_s,
            )
            self.results.append(result)
            yield 0, [fin, result]
        elif isinstance(event, Retired):
            self._retired.add(event.plid)
            yield 0, [P["IS_PLL"](PLID=event.plid)]

    def _incident(self, event: Incident) -> Iterator[tuple[int, list[Any]]]:
        if event.kind == "contact":
            other = int(event.detail.get("other_plid", 0))
            if other and event.plid < other:  # the field reports both cars; LFS sends one IS_CON
                speed = float(event.detail.get("closing_speed_mps", 0.0))
                yield int(ISF.CON), [P["IS_CON"](
                    SpClose=clip(speed * 10, 0, 4095), Time=event.time_ms,
                    A=self._car_contact(event.plid), B=self._car_contact(other),
                )]
        elif event.kind == "hotlap_invalid":
            hlvc = 1 if event.detail.get("hlvc") == "wall" else 0
            yield int(ISF.HLV), [P["IS_HLV"](PLID=event.plid, HLVC=hlvc, Time=event.time_ms,
                                             C=self._car_cont_obj(event.plid))]
        elif event.kind == "spin":
            # A car sitting sideways on the track: LFS waves the yellow for it.
            self._yellow_until[event.plid] = event.time_ms + 5000
            yield 0, [P["IS_FLG"](PLID=event.plid, OffOn=1, Flag=2, CarBehind=0)]

    @staticmethod
    def _pit_fact(event: PitLane) -> int:
        """PITLANE_x: entering to serve a drive-through (PENALTY_DT = 1) or stop-go (PENALTY_SG = 3)."""
        if not event.entered:
            return int(PITLANE.EXIT)
        return int({1: PITLANE.DT, 3: PITLANE.SG}.get(event.serving, PITLANE.ENTER))

    def _object_hit(self, event: ObjectHit) -> Any:
        # Zbyte is only meaningful for layout objects (OBH_LAYOUT); these are the track's own.
        return packet_class("IS_OBH")(
            PLID=event.plid, SpClose=clip(event.closing_speed_mps * 10, 0, 4095), Time=event.time_ms,
            C=self._car_cont_obj(event.plid), X=clip(event.x_m * 16, -32768, 32767),
            Y=clip(event.y_m * 16, -32768, 32767), Zbyte=0, Index=event.object_index, OBHFlags=event.flags,
        )

    def _car_contact(self, plid: int) -> dict[str, Any]:
        c = self.field.cars
        i = plid - 1
        gear = int(c.gear[i])
        return {
            "PLID": plid, "Info": 0, "Steer": clip(-math.degrees(float(c.steer_rad[i])), -128, 127),
            "ThrBrk": (clip(float(c.throttle[i]) * 15, 0, 15) << 4) | clip(float(c.brake[i]) * 15, 0, 15),
            "CluHan": clip(float(c.clutch[i]) * 15, 0, 15) << 4, "GearSp": (gear & 0x0F) << 4,
            "Speed": clip(float(c.speed_mps[i]), 0, 255), "Direction": angle8(float(c.direction_rad[i])),
            "Heading": angle8(float(c.heading_rad[i])), "AccelF": clip(float(c.accel_long_mps2[i]), -128, 127),
            "AccelR": clip(-float(c.accel_lat_mps2[i]), -128, 127),
            "X": clip(float(c.x_m[i]) * 16, -32768, 32767), "Y": clip(float(c.y_m[i]) * 16, -32768, 32767),
        }

    def _car_cont_obj(self, plid: int) -> dict[str, Any]:
        c = self.field.cars
        i = plid - 1
        return {
            "Direction": angle8(float(c.direction_rad[i])), "Heading": angle8(float(c.heading_rad[i])),
            "Speed": clip(float(c.speed_mps[i]), 0, 255), "Zbyte": clip(float(c.z_m[i]) * 4, 0, 255),
            "X": clip(float(c.x_m[i]) * 16, -32768, 32767), "Y": clip(float(c.y_m[i]) * 16, -32768, 32767),
        }

    def _stops(self, plid: int) -> int:
        return int(self.field.cars.pit_stops[plid - 1])

    def _fuel200(self, plid: int) -> int:
        return clip(float(self.field.cars.fuel_fraction[plid - 1]) * 200, 0, 200)

    # -- the viewed car's OutGauge and OutSim --------------------------------------------------------

    def outgauge(self, now_ms: int) -> bytes:
        f = self.field
        plid = self.view_plid
        i = plid - 1
        c = f.cars
        car = get_car(f.car_code(plid))
        rpm = float(c.rpm[i])
        shift = rpm >= 0.97 * car.shift_rpm
        lights = int(DL.SHIFT | DL.FULLBEAM | DL.HANDBRAKE | DL.PITSPEED | DL.TC | DL.SIGNAL_L | DL.SIGNAL_R
                     | DL.OILWARN | DL.BATTERY | DL.ABS | DL.NEUTRAL)
        on = (int(DL.SHIFT) if shift else 0) | (int(DL.PITSPEED) if c.in_pit_lane[i] else 0)
        on |= int(DL.NEUTRAL) if int(c.gear[i]) == 0 else 0
        fuel = float(c.fuel_fraction[i])
        flags = int(OG.KM | OG.BAR) | (int(OG.TURBO) if car.turbo else 0)
        packet = OutGauge(
            Time=now_ms & 0xFFFFFFFF, Car=car.code, Flags=flags, Gear=int(c.gear[i]) + 1, PLID=plid,
            Speed=float(c.speed_mps[i]), RPM=rpm, Turbo=0.0, EngTemp=90.0, Fuel=fuel, OilPressure=2.0 + rpm / 3000.0,
            OilTemp=85.0 + rpm / 1000.0, DashLights=lights, ShowLights=on, Throttle=float(c.throttle[i]),
            Brake=float(c.brake[i]), Clutch=float(c.clutch[i]), Display1=f"Fuel {fuel * 100:.1f}%",
            Display2="Brake Bal Fr 65%", ID=None,
        )
        return encode_outgauge(packet)

    def outsim(self, now_ms: int) -> bytes:
        f = self.field
        plid = self.view_plid
        i = plid - 1
        c = f.cars
        car = get_car(f.car_code(plid))
        speed = float(c.speed_mps[i])
        rpm = float(c.rpm[i])
        vel = [float(v) for v in c.velocity_mps[i]]
        acc = [float(a) for a in c.accel_mps2[i]]
        steer = float(c.steer_rad[i])
        slip = float(c.slip_ratio[i])
        tan_slip = float(c.tan_slip_angle[i])
        lateral = float(c.accel_lat_mps2[i])
        longitudinal = float(c.accel_long_mps2[i])
        static = car.mass_kg * G / 4.0
        wheels = []
        for k, (front, left) in enumerate(((False, True), (False, False), (True, True), (True, False))):
            transfer = (-1 if front else 1) * longitudinal * car.mass_kg * 0.06 + (1 if left else -1) * lateral * \
                car.mass_kg * 0.08
            wheels.append({
                "SuspDeflect": 0.05 + (static + transfer) / 600000.0, "Steer": steer if front else 0.0,
                "XForce": -lateral * car.mass_kg / 4.0, "YForce": longitudinal * car.mass_kg / 4.0,
                "VerticalLoad": max(0.0, static + transfer), "AngVel": speed / car.wheel_radius_m,
                "LeanRelToRoad": 0.0, "AirTemp": 20, "SlipFraction": clip(abs(slip) * 255, 0, 255),
                "Touching": 1, "SlipRatio": slip if k < 2 else slip * 0.3, "TanSlipAngle": tan_slip,
            })
        packet = OutSim2(
            Opts=self.config.outsim_opts, ID=0, Time=now_ms & 0xFFFFFFFF,
            OSMain={
                "AngVel": (0.0, 0.0, float(c.yaw_rate_radps[i])), "Heading": float(c.heading_rad[i]),
                "Pitch": float(c.pitch_rad[i]), "Roll": float(c.roll_rad[i]), "Accel": acc, "Vel": vel,
                "Pos": (int(c.x_m[i] * 65536), int(c.y_m[i] * 65536), int(c.z_m[i] * 65536)),
            },
            OSInputs={"Throttle": float(c.throttle[i]), "Brake": float(c.brake[i]), "InputSteer": steer,
                      "Clutch": float(c.clutch[i]), "Handbrake": 0.0},
            OSDrive={"Gear": int(c.gear[i]) + 1, "EngineAngVel": rpm * TWO_PI / 60.0,
                     "MaxTorqueAtVel": float(car.torque_at(rpm)) * float(car.overall_ratio(max(1, int(c.gear[i]))))},
            OSDistance={"CurrentLapDist": float(c.lap_distance_m[i]), "IndexedDistance": float(c.lap_distance_m[i])},
            OSWheels=wheels, OSExtra1={"SteerTorque": -lateral * 0.8},
        )
        return encode_outsim(packet)  # only the blocks Opts selects are written


__all__ = ["Broadcaster", "angle16"]
