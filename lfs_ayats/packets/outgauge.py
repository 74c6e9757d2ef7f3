"""OutGauge: LFS's dashboard stream, one UDP datagram per update, no InSim header.

92 bytes, or 96 when cfg.txt sets an `OutGauge ID` (then appended as `ID`; None when absent).
Pedals are Throttle, Brake, Clutch, in that order (insim.rs swaps the last two; LFS does not).
"""

from __future__ import annotations

import construct as cs

from .fields import CarName, RawText, f32, s32, u8, u16, u32

OUTGAUGE_SIZE = 92
OUTGAUGE_ID_SIZE = 96

OutGaugePack = cs.Struct(
    "Time" / u32,  # time in ms (to check order)
    "Car" / CarName(),  # car name
    "Flags" / u16,  # info (OG_*)
    "Gear" / u8,  # Reverse: 0, Neutral: 1, First: 2...
    "PLID" / u8,  # unique id of viewed player (0 = none)
    "Speed" / f32,  # m/s
    "RPM" / f32,  # RPM
    "Turbo" / f32,  # bar
    "EngTemp" / f32,  # C
    "Fuel" / f32,  # 0 to 1
    "OilPressure" / f32,  # bar
    "OilTemp" / f32,  # C
    "DashLights" / u32,  # dash lights available (DL_*)
    "ShowLights" / u32,  # dash lights currently switched on
    "Throttle" / f32,  # 0 to 1
    "Brake" / f32,  # 0 to 1
    "Clutch" / f32,  # 0 to 1
    "Display1" / RawText(16),  # usually fuel
    "Display2" / RawText(16),  # usually settings
    "ID" / cs.Optional(s32),  # only if OutGauge ID is specified
)
