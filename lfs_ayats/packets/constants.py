"""InSim 10 numbers: packet types, TINY_/SMALL_/TTC_ subtypes and flag bits, as InSim.txt names them.

`ISP.MCI` is InSim.txt's `ISP_MCI`, `TINY.NONE` is `TINY_NONE`, `CCI.LAST` is `CCI_LAST`, and so on.
Every number is pinned explicitly (never implicit enum order: a library once shifted every packet
number by inserting one in the middle). Flags are IntFlag so unknown bits survive.
"""

from __future__ import annotations

from enum import IntEnum, IntFlag

INSIM_VERSION = 10


class ISP(IntEnum):
    """Packet types (byte 1 of every InSim packet)."""

    NONE = 0
    ISI = 1
    VER = 2
    TINY = 3
    SMALL = 4
    STA = 5
    SCH = 6
    SFP = 7
    SCC = 8
    CPP = 9
    ISM = 10
    MSO = 11
    III = 12
    MST = 13
    MTC = 14
    MOD = 15
    VTN = 16
    RST = 17
    NCN = 18
    CNL = 19
    CPR = 20
    NPL = 21
    PLP = 22
    PLL = 23
    LAP = 24
    SPX = 25
    PIT = 26
    PSF = 27
    PLA = 28
    CCH = 29
    PEN = 30
    TOC = 31
    FLG = 32
    PFL = 33
    FIN = 34
    RES = 35
    REO = 36
    NLP = 37
    MCI = 38
    MSX = 39
    MSL = 40
    CRS = 41
    BFN = 42
    AXI = 43
    AXO = 44
    BTN = 45
    BTC = 46
    BTT = 47
    RIP = 48
    SSH = 49
    CON = 50
    OBH = 51
    HLV = 52
    PLC = 53
    AXM = 54
    ACR = 55
    HCP = 56
    NCI = 57
    JRR = 58
    UCO = 59
    OCO = 60
    TTC = 61
    SLC = 62
    CSC = 63
    CIM = 64
    MAL = 65
    PLH = 66
    IPB = 67
    AIC = 68
    AII = 69
    SET = 70


class TINY(IntEnum):
    NONE = 0
    VER = 1
    CLOSE = 2
    PING = 3
    REPLY = 4
    VTC = 5
    SCP = 6
    SST = 7
    GTM = 8
    MPE = 9
    ISM = 10
    REN = 11
    CLR = 12
    NCN = 13
    NPL = 14
    RES = 15
    NLP = 16
    MCI = 17
    REO = 18
    RST = 19
    AXI = 20
    AXC = 21
    RIP = 22
    NCI = 23
    ALC = 24
    AXM = 25
    SLC = 26
    MAL = 27
    PLH = 28
    IPB = 29
    LCL = 30


class SMALL(IntEnum):
    NONE = 0
    SSP = 1
    SSG = 2
    VTA = 3
    TMS = 4
    STP = 5
    RTP = 6
    NLI = 7
    ALC = 8
    LCS = 9
    LCL = 10
    AII = 11


class TTC(IntEnum):
    NONE = 0
    SEL = 1
    SEL_START = 2
    SEL_STOP = 3


class ISF(IntFlag):
    """IS_ISI.Flags."""

    RES_0 = 1
    RES_1 = 2
    LOCAL = 4
    MSO_COLS = 8
    NLP = 16
    MCI = 32
    CON = 64
    OBH = 128
    HLV = 256
    AXM_LOAD = 512
    AXM_EDIT = 1024
    REQ_JOIN = 2048
    SET = 4096


class ISS(IntFlag):
    """IS_STA.Flags."""

    GAME = 1
    REPLAY = 2
    PAUSED = 4
    SHIFTU = 8
    DIALOG = 16
    SHIFTU_FOLLOW = 32
    SHIFTU_NO_OPT = 64
    SHOW_2D = 128
    FRONT_END = 256
    MULTI = 512
    MPSPEEDUP = 1024
    WINDOWED = 2048
    SOUND_MUTE = 4096
    VIEW_OVERRIDE = 8192
    VISIBLE = 16384
    TEXT_ENTRY = 32768


class CCI(IntFlag):
    """CompCar.Info and CarContact.Info."""

    BLUE = 1
    YELLOW = 2
    OOB = 4
    RETIRED = 8
    LAG = 32
    FIRST = 64
    LAST = 128


class PIF(IntFlag):
    """Player flags (IS_NPL, IS_LAP, IS_PIT, IS_FIN, IS_RES, IS_PFL)."""

    LEFTSIDE = 1
    RESERVED_2 = 2
    RESERVED_4 = 4
    AUTOGEARS = 8
    SHIFTER = 16
    FLEXIBLE_STEER = 32
    HELP_B = 64
    AXIS_CLUTCH = 128
    INPITS = 256
    AUTOCLUTCH = 512
    MOUSE = 1024
    KB_NO_HELP = 2048
    KB_STABILISED = 4096
    CUSTOM_VIEW = 8192


class RIF(IntFlag):
    """IS_NPL.RIFlags (0.8B36)."""

    LATE_START = 1
    SAI_NON_SOLID = 8
    SAI_0 = 16
    SAI_1 = 32


class PENALTY(IntEnum):
    NONE = 0
    DT = 1
    DT_VALID = 2
    SG = 3
    SG_VALID = 4
    P30 = 5  # PENALTY_30
    P45 = 6  # PENALTY_45


class PENR(IntEnum):
    UNKNOWN = 0
    ADMIN = 1
    WRONG_WAY = 2
    FALSE_START = 3
    SPEEDING = 4
    STOP_SHORT = 5
    STOP_LATE = 6


class CONF(IntFlag):
    MENTIONED = 1
    CONFIRMED = 2
    PENALTY_DT = 4
    PENALTY_SG = 8
    PENALTY_30 = 16
    PENALTY_45 = 32
    DID_NOT_PIT = 64


class PITLANE(IntEnum):
    EXIT = 0
    ENTER = 1
    NO_PURPOSE = 2
    DT = 3
    SG = 4


class PSE(IntEnum):
    """IS_PIT.Work bit positions (1 << PSE.X)."""

    NOTHING = 0
    STOP = 1
    FR_DAM = 2
    FR_WHL = 3
    LE_FR_DAM = 4
    LE_FR_WHL = 5
    RI_FR_DAM = 6
    RI_FR_WHL = 7
    RE_DAM = 8
    RE_WHL = 9
    LE_RE_DAM = 10
    LE_RE_WHL = 11
    RI_RE_DAM = 12
    RI_RE_WHL = 13
    BODY_MINOR = 14
    BODY_MAJOR = 15
    SETUP = 16
    REFUEL = 17


class TYRE(IntEnum):
    """Tyre compounds; arrays are ordered rear left, rear right, front left, front right."""

    R1 = 0
    R2 = 1
    R3 = 2
    R4 = 3
    ROAD_SUPER = 4
    ROAD_NORMAL = 5
    HYBRID = 6
    KNOBBLY = 7
    NOT_CHANGED = 255


class SETF(IntFlag):
    SYMM_WHEELS = 1
    TC_ENABLE = 2
    ABS_ENABLE = 4


class HOSTF(IntFlag):
    """IS_RST.Flags."""

    CAN_VOTE = 1
    CAN_SELECT = 2
    MID_RACE = 32
    MUST_PIT = 64
    CAN_RESET = 128
    FCV = 0x100
    CRUISE = 0x200
    SHOW_FUEL = 0x400
    CAN_REFUEL = 0x800
    ALLOW_MODS = 0x1000
    UNAPPROVED = 0x2000
    TEAMARROWS = 0x4000
    NO_FLOOD = 0x8000


class VIEW(IntEnum):
    FOLLOW = 0
    HELI = 1
    CAM = 2
    DRIVER = 3
    CUSTOM = 4
    ANOTHER = 255


class LEAVR(IntEnum):
    DISCO = 0
    TIMEOUT = 1
    LOSTCONN = 2
    KICKED = 3
    BANNED = 4
    SECURITY = 5
    CPW = 6
    OOS = 7
    JOOS = 8
    HACK = 9


class MSO(IntEnum):
    """IS_MSO.UserType."""

    SYSTEM = 0
    USER = 1
    PREFIX = 2
    O = 3


class VOTE(IntEnum):
    NONE = 0
    END = 1
    RESTART = 2
    QUALIFY = 3


class HLVC(IntEnum):
    """IS_HLV.HLVC: why a hotlap became invalid."""

    GROUND = 0
    WALL = 1
    SPEEDING = 4
    OUT_OF_BOUNDS = 5


class OBH(IntFlag):
    LAYOUT = 1
    CAN_MOVE = 2
    WAS_MOVING = 4
    ON_SPOT = 8


class UCO(IntEnum):
    CIRCLE_ENTER = 0
    CIRCLE_LEAVE = 1
    CP_FWD = 2
    CP_REV = 3


class CSC(IntEnum):
    STOP = 0
    START = 1


class OG(IntFlag):
    """OutGauge Flags."""

    SHIFT = 1
    CTRL = 2
    TURBO = 8192
    KM = 16384
    BAR = 32768


class DL(IntFlag):
    """OutGauge DashLights / ShowLights bits (1 << DL_x)."""

    SHIFT = 1 << 0
    FULLBEAM = 1 << 1
    HANDBRAKE = 1 << 2
    PITSPEED = 1 << 3
    TC = 1 << 4
    SIGNAL_L = 1 << 5
    SIGNAL_R = 1 << 6
    SIGNAL_ANY = 1 << 7
    OILWARN = 1 << 8
    BATTERY = 1 << 9
    ABS = 1 << 10
    ENGINE = 1 << 11
    FOG_REAR = 1 << 12
    FOG_FRONT = 1 << 13
    DIPPED = 1 << 14
    FUELWARN = 1 << 15
    SIDELIGHTS = 1 << 16
    NEUTRAL = 1 << 17
    ENGINE_SEVERE = 0x10000000  # DLF_ENGINE_SEVERE: outside the DL_ range, mask it before iterating


class OSO(IntFlag):
    """OutSim Opts (cfg.txt, hexadecimal): which OutSimPack2 blocks are sent, in this order."""

    HEADER = 0x01
    ID = 0x02
    TIME = 0x04
    MAIN = 0x08
    INPUTS = 0x10
    DRIVE = 0x20
    DISTANCE = 0x40
    WHEELS = 0x80
    EXTRA_1 = 0x100


class LID(IntEnum):
    """Code page of an IS_MSO message (MSOData & 0x0F, 0.8C27)."""

    LATIN = 0
    EUROPEAN = 1
    TURKISH = 2
    BALTIC = 3
    JAPANESE = 4
    CYRILLIC = 5
    GREEK = 6
    TRADITIONAL_CHINESE = 7
    SIMPLIFIED_CHINESE = 8
    KOREAN = 9


def race_laps(raw: int) -> tuple[str, int]:
    """Decode IS_STA/IS_RST RaceLaps: ("practice", 0), ("laps", n), ("hours", n) or ("untimed", 0)."""
    if raw == 0:
        return ("practice", 0)
    if raw <= 99:
        return ("laps", raw)
    if raw <= 190:
        return ("laps", (raw - 100) * 10 + 100)
    if raw <= 238:
        return ("hours", raw - 190)
    if raw == 255:
        return ("untimed", 0)
    return ("unknown", raw)
