"""InSim constants against the numbers in LFS's InSim.txt (written out literally, never computed)."""

from __future__ import annotations

import enum

import pytest

from lfs_ayats.packets import constants as C

#: Every enum class in the module, found by introspection, so a new class cannot dodge the checks below.
CLASSES: dict[str, type[enum.Enum]] = {
    name: obj
    for name, obj in vars(C).items()
    if isinstance(obj, type) and issubclass(obj, enum.Enum) and obj.__module__ == C.__name__
}
FLAG_CLASSES = {name: cls for name, cls in CLASSES.items() if issubclass(cls, enum.IntFlag)}

#: (class, member, number in InSim.txt). At least one row per class; the C name is in the comment where it is
#: not simply CLASS_MEMBER.
SPOT_CHECKS: list[tuple[str, str, int]] = [
    ("ISP", "ISI", 1),
    ("ISP", "MCI", 38),
    ("ISP", "SET", 70),
    ("TINY", "NONE", 0),
    ("TINY", "GTM", 8),
    ("TINY", "LCL", 30),
    ("SMALL", "NLI", 7),
    ("SMALL", "AII", 11),
    ("TTC", "SEL_STOP", 3),
    ("ISF", "LOCAL", 4),
    ("ISF", "SET", 0x1000),
    ("ISS", "MULTI", 512),
    ("ISS", "TEXT_ENTRY", 32768),
    ("CCI", "LAG", 32),
    ("CCI", "LAST", 128),
    ("PIF", "FLEXIBLE_STEER", 0x20),
    ("PIF", "CUSTOM_VIEW", 0x2000),
    ("RIF", "LATE_START", 1),
    ("RIF", "RESERVED_4", 4),
    ("RIF", "SAI_1", 0x20),
    ("SAI", "MOVE", 0),
    ("SAI", "ANGLE", 3),
    ("PENALTY", "SG_VALID", 4),
    ("PENALTY", "P45", 6),  # PENALTY_45
    ("PENR", "STOP_LATE", 6),
    ("CONF", "DID_NOT_PIT", 64),
    ("PITLANE", "SG", 4),
    ("PSE", "REFUEL", 17),
    ("TYRE", "KNOBBLY", 7),
    ("TYRE", "NOT_CHANGED", 255),  # const int NOT_CHANGED
    ("SETF", "ABS_ENABLE", 4),
    ("HOSTF", "CAN_RESET", 128),
    ("HOSTF", "NO_FLOOD", 0x8000),
    ("VIEW", "CUSTOM", 4),
    ("VIEW", "ANOTHER", 255),  # const int VIEW_ANOTHER
    ("LEAVR", "HACK", 9),
    ("MSO", "O", 3),
    ("VOTE", "QUALIFY", 3),
    ("HLVC", "OUT_OF_BOUNDS", 5),  # IS_HLV field comment
    ("OBH", "ON_SPOT", 8),
    ("UCO", "CP_REV", 3),
    ("CSC", "START", 1),
    ("OG", "BAR", 32768),
    ("DL", "SIGNAL_ANY", 1 << 7),
    ("DL", "NEUTRAL", 1 << 17),
    ("DL", "ENGINE_SEVERE", 0x10000000),  # DLF_ENGINE_SEVERE
    ("OSO", "EXTRA_1", 0x100),  # docs/OutSimPack.txt, not InSim.txt
    ("LID", "KOREAN", 9),  # MSO code page, not InSim.txt
    ("SND", "SILENT", 0),
    ("SND", "ERROR", 4),
    ("ACR", "PROCESSED", 1),  # IS_ACR.Result field comment
    ("ACR", "UNKNOWN_COMMAND", 3),
    ("LCS", "SET_SIGNALS", 1),
    ("LCS", "SET_HEADLIGHTS", 4),
    ("LCS", "SET_SIREN", 0x10),
    ("LCL", "SET_LIGHTS", 4),
    ("LCL", "SPARE_8", 8),
    ("LCL", "SET_EXTRA", 0x40),
    ("CAR", "XFG", 1),  # XF GTI
    ("CAR", "FXO", 0x10),  # FXO TURBO
    ("CAR", "FZ5", 0x400),  # FZ50
    ("CAR", "FO8", 0x4000),  # FORMULA V8
    ("CAR", "FBM", 0x80000),  # FORMULA BMW FB02
    ("PTYPE", "AI", 2),  # IS_NPL.PType field comment
    ("PTYPE", "REMOTE", 4),
    ("PLHF", "SET_TRES", 2),  # PlayerHCap.Flags field comment
    ("PLHF", "SILENT", 0x80),
    ("LFS", "ENGLISH", 0),
    ("LFS", "TURKISH", 8),
    ("LFS", "TRADITIONAL_CHINESE", 28),
    ("LFS", "ROMANIAN", 36),
    ("JRR", "REJECT", 0),
    ("JRR", "SPAWN", 1),
    ("JRR", "RESET", 4),
    ("JRR", "RESET_NO_REPAIR", 5),
    ("JRR", "J7", 7),  # JRR_7
    ("CIM", "GARAGE", 3),
    ("CIM", "SHIFTU", 6),
    ("NRM", "PIT_INSTRUCTIONS", 4),
    ("GRG", "BRAKE_TC", 2),
    ("GRG", "PASS", 8),
    ("FVM", "EDIT", 2),
    ("MARSH", "IS_CP", 252),
    ("MARSH", "ROUTE", 255),
    ("OCO", "ZERO", 0),
    ("OCO", "LIGHTS_RESET", 4),
    ("OCO", "LIGHTS_UNSET", 6),
    ("OCO_INDEX", "AXO_START_LIGHTS1", 149),
    ("OCO_INDEX", "AXO_START_LIGHTS3", 151),
    ("OCO_INDEX", "MAIN", 240),  # OCO_INDEX_MAIN
    ("PMO", "LOADING_FILE", 0),
    ("PMO", "TTC_SEL", 5),
    ("PMO", "GET_Z", 8),
    ("PMO_FLAGS", "FILE_END", 1),  # PMO_FILE_END
    ("PMO_FLAGS", "SELECTION_REAL", 4),  # PMO_SELECTION_REAL
    ("PMO_FLAGS", "AVOID_CHECK", 8),  # PMO_AVOID_CHECK
    ("CS", "MSX", 0),
    ("CS", "GEAR", 14),
    ("CS", "FOGFRONT", 19),
    ("CS", "SEND_AI_INFO", 240),
    ("CS", "REPEAT_AI_INFO", 241),
    ("CS", "SET_HELP_FLAGS", 253),
    ("CS", "STOP_CONTROL", 255),
    ("AIFLAGS", "IGNITION", 1),
    ("AIFLAGS", "CHDN", 8),
    ("RIP", "OK", 0),
    ("RIP", "DEST_OOB", 8),
    ("RIP", "OOS", 11),
    ("RIPOPT", "LOOP", 1),
    ("RIPOPT", "FULL_PHYS", 4),
    ("SSH", "DEDICATED", 1),
    ("SSH", "NO_SAVE", 3),
    ("BFN", "DEL_BTN", 0),
    ("BFN", "REQUEST", 3),
    ("INST", "ALWAYS_ON", 128),
    ("ISB", "C4", 4),
    ("ISB", "CLICK", 8),
    ("ISB", "RIGHT", 128),
    ("ISB_CFLAGS", "LMB", 1),  # ISB_LMB
    ("ISB_CFLAGS", "CTRL", 4),  # ISB_CTRL
    ("ISB_CFLAGS", "SHIFT", 8),  # ISB_SHIFT
]

#: Module-level numbers: InSim.txt's `const int`s and compound `#define`s, plus the field masks it describes.
MODULE_INTS: list[tuple[str, int]] = [
    ("INSIM_VERSION", 10),
    ("MCI_MAX_CARS", 16),
    ("NLP_MAX_CARS", 48),
    ("REO_MAX_PLAYERS", 48),
    ("PLH_MAX_PLAYERS", 48),
    ("MAL_MAX_MODS", 120),
    ("IPB_MAX_BANS", 120),
    ("AXM_MAX_OBJECTS", 60),
    ("AIC_MAX_INPUTS", 20),
    ("IS_X_MIN", 0),
    ("IS_X_MAX", 110),
    ("IS_Y_MIN", 30),
    ("IS_Y_MAX", 170),
    ("RIF_SAI_MASK", 0x30),
    ("RIF_SAI_SHIFTS", 4),
    ("CONF_DISQ", 4 | 8 | 64),
    ("CONF_TIME", 16 | 32),
    ("LCS_SIGNALS_MASK", 0x0300),
    ("LCS_FLASH_MASK", 0x0400),
    ("LCS_HEADLIGHTS_MASK", 0x0800),
    ("LCS_HORN_MASK", 0x070000),
    ("LCS_SIREN_MASK", 0x300000),
    ("LCL_SIGNALS_MASK", 0x00030000),
    ("LCL_LIGHTS_MASK", 0x000C0000),
    ("LCL_FOG_REAR_MASK", 0x00100000),
    ("LCL_FOG_FRONT_MASK", 0x00200000),
    ("LCL_EXTRA_MASK", 0x00400000),
    ("TYPEIN_MAX_CHARS_MASK", 0x7F),
    ("TYPEIN_INIT_TEXT", 0x80),
]

#: Pairs of members that share a value because InSim.txt itself gives them the same number. There are none:
#: InSim.txt reuses the ISB_ prefix for BStyle and CFlags, but those are two classes here (ISB, ISB_CFLAGS).
ALIASES: dict[str, set[frozenset[str]]] = {}


@pytest.mark.parametrize(("cls", "member", "number"), SPOT_CHECKS, ids=[f"{c}.{m}" for c, m, _ in SPOT_CHECKS])
def test_member_number(cls: str, member: str, number: int) -> None:
    assert CLASSES[cls][member].value == number
    assert CLASSES[cls](number) is CLASSES[cls][member]


def test_every_class_is_spot_checked() -> None:
    assert {cls for cls, _, _ in SPOT_CHECKS} == set(CLASSES)


@pytest.mark.parametrize(("name", "number"), MODULE_INTS, ids=[n for n, _ in MODULE_INTS])
def test_module_int(name: str, number: int) -> None:
    value = getattr(C, name)
    assert isinstance(value, int)
    assert value == number


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_no_duplicate_values(name: str) -> None:
    by_value: dict[int, set[str]] = {}
    for member_name, member in CLASSES[name].__members__.items():  # __members__ includes aliases
        by_value.setdefault(member.value, set()).add(member_name)
    shared = {frozenset(names) for names in by_value.values() if len(names) > 1}
    assert shared == ALIASES.get(name, set())


def test_isp_covers_0_to_70_without_gaps() -> None:
    values = sorted(m.value for m in C.ISP)
    assert values == list(range(71))
    assert C.ISP.NONE.value == 0
    assert C.ISP.SET.value == 70


@pytest.mark.parametrize("name", sorted(FLAG_CLASSES))
def test_flag_members_are_single_bits(name: str) -> None:
    for member_name, member in FLAG_CLASSES[name].__members__.items():
        value = member.value
        assert value > 0 and value & (value - 1) == 0, f"{name}.{member_name} = {value:#x}"


@pytest.mark.parametrize("name", sorted(FLAG_CLASSES))
def test_flag_unknown_bits_survive(name: str) -> None:
    raw = 0x8000_0000 | 1
    assert int(FLAG_CLASSES[name](raw)) == raw


def test_sai_type_from_rif_flags() -> None:
    rif_flags = C.RIF.LATE_START | C.RIF.SAI_1 | C.RIF.SAI_0  # SAIType 3
    assert (rif_flags & C.RIF_SAI_MASK) >> C.RIF_SAI_SHIFTS == C.SAI.ANGLE
    assert (C.RIF.SAI_1 & C.RIF_SAI_MASK) >> C.RIF_SAI_SHIFTS == C.SAI.GROUND


def test_lcs_and_lcl_value_fields() -> None:
    # SMALL_LCS: hazard signals (3) and horn type 5; SMALL_LCL: high beam (3) and front fog.
    lcs = C.LCS.SET_SIGNALS | C.LCS.SET_HORN | (3 << C.LCS_SIGNALS_SHIFT) | (5 << C.LCS_HORN_SHIFT)
    assert int(lcs) == 0x1 | 0x8 | 0x0300 | 0x050000
    assert (lcs & C.LCS_SIGNALS_MASK) >> C.LCS_SIGNALS_SHIFT == 3
    assert (lcs & C.LCS_HORN_MASK) >> C.LCS_HORN_SHIFT == 5
    assert (2 << C.LCS_SIREN_SHIFT) & C.LCS_SIREN_MASK == 0x200000
    lcl = C.LCL.SET_LIGHTS | C.LCL.SET_FOG_FRONT | (3 << C.LCL_LIGHTS_SHIFT) | C.LCL_FOG_FRONT_MASK
    assert int(lcl) == 0x04 | 0x20 | 0x0C0000 | 0x200000
    assert (lcl & C.LCL_LIGHTS_MASK) >> C.LCL_LIGHTS_SHIFT == 3
    assert (1 << C.LCL_SIGNALS_SHIFT) & C.LCL_SIGNALS_MASK == 0x010000


def test_car_bits_cover_the_twenty_cars() -> None:
    assert len(C.CAR) == 20
    assert int(C.CAR(0xFFFFFFFF)) == 0xFFFFFFFF  # "all the host's available cars"
    assert sum(m.value for m in C.CAR) == 0xFFFFF


def test_language_count() -> None:
    assert len(C.LFS) == 37  # LFS_NUM_LANG
