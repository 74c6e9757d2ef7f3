"""OutSim: LFS's motion stream, one UDP datagram per update, no InSim header.

`OutSim Opts 0` sends the legacy OutSimPack (64 bytes, 68 with an ID). Any other Opts value sends
OutSimPack2, whose blocks are present only when their OSO_* bit is set, always in this order.
"""

from __future__ import annotations

from functools import lru_cache

import construct as cs

from .constants import OSO
from .fields import OSMain, f32, s32, u8, u32

OUTSIM_SIZE = 64
OUTSIM_ID_SIZE = 68

OutSimPack = cs.Struct(
    "Time" / u32,  # time in ms (to check order)
    *OSMain.subcons,  # AngVel, Heading, Pitch, Roll, Accel, Vel, Pos
    "ID" / cs.Optional(s32),  # only if OutSim ID is specified
)

OutSimInputs = "OutSimInputs" / cs.Struct(
    "Throttle" / f32,  # 0 to 1
    "Brake" / f32,  # 0 to 1
    "InputSteer" / f32,  # radians
    "Clutch" / f32,  # 0 to 1
    "Handbrake" / f32,  # 0 to 1
)

OutSimDrive = "OutSimDrive" / cs.Struct(
    "Gear" / u8,  # 0 = R, 1 = N, 2 = first gear
    cs.Padding(3),  # Sp1, Sp2, Sp3
    "EngineAngVel" / f32,  # radians/s
    "MaxTorqueAtVel" / f32,  # Nm: output torque for throttle 1.0
)

OutSimDistance = "OutSimDistance" / cs.Struct(
    "CurrentLapDist" / f32,  # m - travelled by car
    "IndexedDistance" / f32,  # m - track ruler measurement
)

OutSimWheel = "OutSimWheel" / cs.Struct(
    "SuspDeflect" / f32,  # compression from unloaded
    "Steer" / f32,  # including Ackermann and toe
    "XForce" / f32,  # force right
    "YForce" / f32,  # force forward
    "VerticalLoad" / f32,  # perpendicular to surface
    "AngVel" / f32,  # radians/s
    "LeanRelToRoad" / f32,  # radians a-c viewed from rear
    "AirTemp" / u8,  # degrees C
    "SlipFraction" / u8,  # 0 to 255
    "Touching" / u8,  # touching ground
    cs.Padding(1),  # Sp3
    "SlipRatio" / f32,  # slip ratio
    "TanSlipAngle" / f32,  # tangent of slip angle
)

OutSimExtra1 = "OutSimExtra1" / cs.Struct(
    "SteerTorque" / f32,  # Nm, proportional to force feedback
    cs.Padding(4),  # spare
)

# (bit, field name, declaration) in wire order.
BLOCKS: tuple[tuple[OSO, str, cs.Construct], ...] = (
    (OSO.HEADER, "Header", cs.Const(b"LFST")),
    (OSO.ID, "ID", s32),
    (OSO.TIME, "Time", u32),
    (OSO.MAIN, "OSMain", OSMain),
    (OSO.INPUTS, "OSInputs", OutSimInputs),
    (OSO.DRIVE, "OSDrive", OutSimDrive),
    (OSO.DISTANCE, "OSDistance", OutSimDistance),
    (OSO.WHEELS, "OSWheels", cs.Array(4, OutSimWheel)),  # rear left, rear right, front left, front right
    (OSO.EXTRA_1, "OSExtra1", OutSimExtra1),
)
ALL_OPTS = 0x1FF


@lru_cache(maxsize=64)
def outsim2_struct(opts: int) -> cs.Struct:
    """The OutSimPack2 layout for one `OutSim Opts` value."""
    if not 0 < opts <= ALL_OPTS:
        raise ValueError(f"OutSim Opts must be 0x001..0x1ff for OutSimPack2, got {opts:#x}")
    return cs.Struct(*(name / decl for bit, name, decl in BLOCKS if opts & bit))


@lru_cache(maxsize=512)
def outsim2_size(opts: int) -> int:
    """Bytes of an OutSimPack2 datagram for these Opts (cached: sizeof() walks the whole Struct)."""
    return int(outsim2_struct(opts).sizeof())


@lru_cache(maxsize=1)
def opts_by_size() -> dict[int, int]:
    """Datagram size -> Opts for the sizes only one Opts value (with the LFST header) produces.

    Without a header the size is ambiguous too often to guess; the common full set (0x1ff, 280
    bytes, and 0xff, 272 bytes) is recognised with or without being unique.
    """
    sizes: dict[int, list[int]] = {}
    for opts in range(1, ALL_OPTS + 1):
        if opts & OSO.HEADER:
            sizes.setdefault(outsim2_struct(opts).sizeof(), []).append(opts)
    found = {size: options[0] for size, options in sizes.items() if len(options) == 1}
    found[outsim2_struct(0x1FF).sizeof()] = 0x1FF
    found[outsim2_struct(0x0FF).sizeof()] = 0x0FF
    return found
