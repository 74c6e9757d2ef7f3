"""InSim 10 numbers: packet types, TINY_/SMALL_/TTC_ subtypes and flag bits, as InSim.txt names them.

`ISP.MCI` is InSim.txt's `ISP_MCI`, `TINY.NONE` is `TINY_NONE`, `CCI.LAST` is `CCI_LAST`, and so on.
Every number is pinned explicitly (never implicit enum order: a library once shifted every packet
number by inserting one in the middle). Flags are IntFlag so unknown bits survive.
"""

from __future__ import annotations

from enum import IntEnum, IntFlag

INSIM_VERSION = 10

# Maximum entries in the variable-sized packets (InSim.txt's `const int`s).
MCI_MAX_CARS = 16  # IS_MCI CompCar entries
NLP_MAX_CARS = 48  # IS_NLP NodeLap entries
REO_MAX_PLAYERS = 48  # IS_REO PLIDs
PLH_MAX_PLAYERS = 48  # IS_PLH PlayerHCap entries
MAL_MAX_MODS = 120  # IS_MAL SkinIDs
IPB_MAX_BANS = 120  # IS_IPB BanIPs
AXM_MAX_OBJECTS = 60  # IS_AXM ObjectInfo entries
AIC_MAX_INPUTS = 20  # IS_AIC AIInputVal entries

# Recommended button area for IS_BTN (L/T/W/H run 0 - 200); LFS keeps it clear of its own buttons.
IS_X_MIN = 0
IS_X_MAX = 110
IS_Y_MIN = 30
IS_Y_MAX = 170


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
    RESERVED_2 = 2
    RESERVED_4 = 4
    SAI_NON_SOLID = 8
    SAI_0 = 16
    SAI_1 = 32


# SAIType = (RIFlags & RIF_SAI_MASK) >> RIF_SAI_SHIFTS, one of SAI.
RIF_SAI_MASK = RIF.SAI_0 | RIF.SAI_1
RIF_SAI_SHIFTS = 4


class SAI(IntEnum):
    """SAIType (as in /sai) from IS_NPL.RIFlags: how an unmovable-object player behaves."""

    MOVE = 0
    FLOAT = 1
    GROUND = 2
    ANGLE = 3


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


CONF_DISQ = CONF.PENALTY_DT | CONF.PENALTY_SG | CONF.DID_NOT_PIT
CONF_TIME = CONF.PENALTY_30 | CONF.PENALTY_45


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


# --- Messages -------------------------------------------------------------------------------------


class SND(IntEnum):
    """IS_MSL.Sound / IS_MTC.Sound: message sound effect."""

    SILENT = 0
    MESSAGE = 1
    SYSMESSAGE = 2
    INVALIDKEY = 3
    ERROR = 4


class ACR(IntEnum):
    """IS_ACR.Result (InSim.txt gives only the field comment; the names are ours)."""

    PROCESSED = 1
    REJECTED = 2
    UNKNOWN_COMMAND = 3


# --- Car switches and lights ----------------------------------------------------------------------


class LCS(IntFlag):
    """SMALL_LCS UVal bits 0-7: which local car switches to set (values in the LCS_*_MASK bits)."""

    SET_SIGNALS = 1  # should now use SMALL_LCL
    SET_FLASH = 2
    SET_HEADLIGHTS = 4  # should now use SMALL_LCL
    SET_HORN = 8
    SET_SIREN = 0x10


# SMALL_LCS value fields (InSim.txt gives the masks in comments only; the names are ours).
LCS_SIGNALS_MASK = 0x0300  # bits 8-9: 0 off / 1 left / 2 right / 3 hazard
LCS_SIGNALS_SHIFT = 8
LCS_FLASH_MASK = 0x0400  # bit 10
LCS_HEADLIGHTS_MASK = 0x0800  # bit 11
LCS_HORN_MASK = 0x070000  # bits 16-18: 0 off / 1 to 5 horn type
LCS_HORN_SHIFT = 16
LCS_SIREN_MASK = 0x300000  # bits 20-21: 0 off / 1 fast / 2 slow
LCS_SIREN_SHIFT = 20


class LCL(IntFlag):
    """SMALL_LCL UVal bits 0-7: which local car lights to set (values in the LCL_*_MASK bits)."""

    SET_SIGNALS = 1
    SPARE_2 = 2  # do not set
    SET_LIGHTS = 4
    SPARE_8 = 8  # do not set
    SET_FOG_REAR = 0x10
    SET_FOG_FRONT = 0x20
    SET_EXTRA = 0x40


# SMALL_LCL value fields (InSim.txt gives the masks in comments only; the names are ours).
LCL_SIGNALS_MASK = 0x030000  # bits 16-17: 0 off / 1 left / 2 right / 3 hazard
LCL_SIGNALS_SHIFT = 16
LCL_LIGHTS_MASK = 0x0C0000  # bits 18-19: 0 off / 1 side / 2 low / 3 high
LCL_LIGHTS_SHIFT = 18
LCL_FOG_REAR_MASK = 0x100000  # bit 20
LCL_FOG_FRONT_MASK = 0x200000  # bit 21
LCL_EXTRA_MASK = 0x400000  # bit 22


# --- Cars, players, connections -------------------------------------------------------------------


class CAR(IntFlag):
    """IS_PLC.Cars / SMALL_ALC UVal: InSim.txt's CARS bits, named by LFS's short car codes."""

    XFG = 1  # XF GTI
    XRG = 2  # XR GT
    XRT = 4  # XR GT TURBO
    RB4 = 8  # RB4 GT
    FXO = 0x10  # FXO TURBO
    LX4 = 0x20  # LX4
    LX6 = 0x40  # LX6
    MRT = 0x80  # MRT5
    UF1 = 0x100  # UF 1000
    RAC = 0x200  # RACEABOUT
    FZ5 = 0x400  # FZ50
    FOX = 0x800  # FORMULA XR
    XFR = 0x1000  # XF GTR
    UFR = 0x2000  # UF GTR
    FO8 = 0x4000  # FORMULA V8
    FXR = 0x8000  # FXO GTR
    XRR = 0x10000  # XR GTR
    FZR = 0x20000  # FZ50 GTR
    BF1 = 0x40000  # BMW SAUBER F1.06
    FBM = 0x80000  # FORMULA BMW FB02


class PTYPE(IntFlag):
    """IS_NPL.PType (InSim.txt gives only "bit 0: female / bit 1: AI / bit 2: remote"; the names are ours)."""

    FEMALE = 1  # not reported on a dedicated host
    AI = 2
    REMOTE = 4


class PLHF(IntFlag):
    """PlayerHCap.Flags in IS_PLH (InSim.txt gives only the field comment; the names are ours)."""

    SET_MASS = 1
    SET_TRES = 2
    SILENT = 0x80  # no message on the player's screen


class LFS(IntEnum):
    """IS_NCI.Language: the LFS_ language identifiers."""

    ENGLISH = 0
    DEUTSCH = 1
    PORTUGUESE = 2
    FRENCH = 3
    SUOMI = 4
    NORSK = 5
    NEDERLANDS = 6
    CATALAN = 7
    TURKISH = 8
    CASTELLANO = 9
    ITALIANO = 10
    DANSK = 11
    CZECH = 12
    RUSSIAN = 13
    ESTONIAN = 14
    SERBIAN = 15
    GREEK = 16
    POLSKI = 17
    CROATIAN = 18
    HUNGARIAN = 19
    BRAZILIAN = 20
    SWEDISH = 21
    SLOVAK = 22
    GALEGO = 23
    SLOVENSKI = 24
    BELARUSSIAN = 25
    LATVIAN = 26
    LITHUANIAN = 27
    TRADITIONAL_CHINESE = 28
    SIMPLIFIED_CHINESE = 29
    JAPANESE = 30
    KOREAN = 31
    BULGARIAN = 32
    LATINO = 33
    UKRAINIAN = 34
    INDONESIAN = 35
    ROMANIAN = 36


class JRR(IntEnum):
    """IS_JRR.JRRAction."""

    REJECT = 0
    SPAWN = 1
    J2 = 2  # JRR_2
    J3 = 3  # JRR_3
    RESET = 4
    RESET_NO_REPAIR = 5
    J6 = 6  # JRR_6
    J7 = 7  # JRR_7


# --- Interface mode (IS_CIM) ----------------------------------------------------------------------


class CIM(IntEnum):
    """IS_CIM.Mode."""

    NORMAL = 0
    OPTIONS = 1
    HOST_OPTIONS = 2
    GARAGE = 3
    CAR_SELECT = 4
    TRACK_SELECT = 5
    SHIFTU = 6


class NRM(IntEnum):
    """IS_CIM.SubMode when Mode is CIM_NORMAL."""

    NORMAL = 0
    WHEEL_TEMPS = 1  # F9
    WHEEL_DAMAGE = 2  # F10
    LIVE_SETTINGS = 3  # F11
    PIT_INSTRUCTIONS = 4  # F12


class GRG(IntEnum):
    """IS_CIM.SubMode when Mode is CIM_GARAGE."""

    INFO = 0
    COLOURS = 1
    BRAKE_TC = 2
    SUSP = 3
    STEER = 4
    DRIVE = 5
    TYRES = 6
    AERO = 7
    PASS = 8


class FVM(IntEnum):
    """IS_CIM.SubMode when Mode is CIM_SHIFTU (free view)."""

    PLAIN = 0
    BUTTONS = 1
    EDIT = 2


class MARSH(IntEnum):
    """IS_CIM.SelType special values (otherwise an AXO_ object index); 252/253 also mark IS_UCO objects."""

    IS_CP = 252  # InSim checkpoint
    IS_AREA = 253  # InSim circle
    MARSHAL = 254  # restricted area
    ROUTE = 255  # route checker


# --- Object control and autocross objects ---------------------------------------------------------


class OCO(IntEnum):
    """IS_OCO.OCOAction."""

    ZERO = 0  # reserved
    O1 = 1  # OCO_1
    O2 = 2  # OCO_2
    O3 = 3  # OCO_3
    LIGHTS_RESET = 4
    LIGHTS_SET = 5
    LIGHTS_UNSET = 6


class OCO_INDEX(IntEnum):
    """IS_OCO.Index: OCO_INDEX_MAIN and the layout start lights InSim.txt lists as supported."""

    AXO_START_LIGHTS1 = 149
    AXO_START_LIGHTS2 = 150
    AXO_START_LIGHTS3 = 151
    MAIN = 240  # OCO_INDEX_MAIN: main start lights


class PMO(IntEnum):
    """IS_AXM.PMOAction."""

    LOADING_FILE = 0
    ADD_OBJECTS = 1
    DEL_OBJECTS = 2
    CLEAR_ALL = 3
    TINY_AXM = 4
    TTC_SEL = 5
    SELECTION = 6
    POSITION = 7
    GET_Z = 8


class PMO_FLAGS(IntFlag):
    """IS_AXM.PMOFlags (InSim.txt's PMO_ flag bits: PMO_FLAGS.FILE_END is PMO_FILE_END)."""

    FILE_END = 1
    MOVE_MODIFY = 2
    SELECTION_REAL = 4
    AVOID_CHECK = 8


# --- AI control -----------------------------------------------------------------------------------


class CS(IntEnum):
    """AIInputVal.Input in IS_AIC."""

    MSX = 0  # steer: 1 hard left / 32768 centre / 65535 hard right
    THROTTLE = 1
    BRAKE = 2
    CHUP = 3  # hold
    CHDN = 4  # hold
    IGNITION = 5  # toggle
    EXTRALIGHT = 6  # toggle
    HEADLIGHTS = 7  # 1 off / 2 side / 3 low / 4 high
    SIREN = 8  # hold: 1 fast / 2 slow
    HORN = 9  # hold: 1 to 5
    FLASH = 10  # hold: 1 on
    CLUTCH = 11
    HANDBRAKE = 12
    INDICATORS = 13  # 1 cancel / 2 left / 3 right / 4 hazard
    GEAR = 14  # shifter (255 for sequential control)
    LOOK = 15  # 0 none / 4 left / 5 left+ / 6 right / 7 right+
    PITSPEED = 16  # toggle
    TCDISABLE = 17  # toggle
    FOGREAR = 18  # toggle
    FOGFRONT = 19  # toggle
    SEND_AI_INFO = 240
    REPEAT_AI_INFO = 241
    SET_HELP_FLAGS = 253
    RESET_INPUTS = 254
    STOP_CONTROL = 255


class AIFLAGS(IntFlag):
    """IS_AII.Flags."""

    IGNITION = 1
    CHUP = 4
    CHDN = 8


# --- Replays and screenshots ----------------------------------------------------------------------


class RIP(IntEnum):
    """IS_RIP.Error."""

    OK = 0
    ALREADY = 1
    DEDICATED = 2
    WRONG_MODE = 3
    NOT_REPLAY = 4
    CORRUPTED = 5
    NOT_FOUND = 6
    UNLOADABLE = 7
    DEST_OOB = 8
    UNKNOWN = 9
    USER = 10
    OOS = 11


class RIPOPT(IntFlag):
    """IS_RIP.Options."""

    LOOP = 1
    SKINS = 2
    FULL_PHYS = 4


class SSH(IntEnum):
    """IS_SSH.Error."""

    OK = 0
    DEDICATED = 1
    CORRUPTED = 2
    NO_SAVE = 3


# --- Buttons --------------------------------------------------------------------------------------


class BFN(IntEnum):
    """IS_BFN.SubT."""

    DEL_BTN = 0
    CLEAR = 1
    USER_CLEAR = 2
    REQUEST = 3


class INST(IntFlag):
    """IS_BTN.Inst (and IS_BTC/IS_BTT.Inst)."""

    ALWAYS_ON = 128


class ISB(IntFlag):
    """IS_BTN.BStyle; the colour (0 - 7) is BStyle & (C1 | C2 | C4). Click flags are ISB_CFLAGS."""

    C1 = 1
    C2 = 2
    C4 = 4
    CLICK = 8
    LIGHT = 16
    DARK = 32
    LEFT = 64
    RIGHT = 128


class ISB_CFLAGS(IntFlag):
    """IS_BTC.CFlags: InSim.txt's second set of ISB_ bits (ISB_CFLAGS.LMB is ISB_LMB)."""

    LMB = 1
    RMB = 2
    CTRL = 4
    SHIFT = 8


# IS_BTN/IS_BTT.TypeIn (InSim.txt describes the bits in comments only; the names are ours).
TYPEIN_MAX_CHARS_MASK = 0x7F  # maximum characters to type in (0 - 95)
TYPEIN_INIT_TEXT = 0x80  # initialise the dialog with the button's text


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
