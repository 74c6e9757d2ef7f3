"""Golden bytes for every InSim 10 packet (ISP 1..70), OutGauge and OutSim, written from the spec.

Every byte string below was worked out by hand from LFS's own header text (/work/ref/InSim.txt and
/work/ref/OutSimPack.txt) and the protocol reference (docs/insim-reference.md §3-§6): little-endian,
Size byte = total bytes / 4, spare and Zero bytes written as 00, signed fields negative somewhere,
multi-byte values whose bytes differ, floats exactly representable in float32. None of it is
computed with our codec or with `struct`; the hex is the spec, the codec is what is under test.

Notation of the hex strings: two hex digits per byte, whitespace ignored, `# ...` comments to the
end of the line, and `00*54` for a run of 54 zero bytes (NUL padding of text fields, spares).

Each InSim case checks that
  1. `decode(bytes).to_dict()` gives exactly the expected fields (and the right name and Type),
  2. `encode(decode(bytes)) == bytes`,
  3. `encode(packet_class(name)(**fields)) == bytes`,
  4. `decode_slow(compiled=True) == decode_slow(compiled=False) == decode()`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from lfs_ayats.packets import (
    OutGauge,
    OutSim,
    OutSim2,
    PacketError,
    decode,
    decode_outgauge,
    decode_outsim,
    decode_slow,
    encode,
    encode_outgauge,
    encode_outsim,
    packet_class,
)


def hexbytes(spec: str) -> bytes:
    """Hand-written hex -> bytes: `# comments`, whitespace, and `00*54` repetition allowed."""
    out = bytearray()
    for line in spec.splitlines():
        for token in line.split("#", 1)[0].split():
            byte, _, count = token.partition("*")
            if len(byte) != 2:
                raise ValueError(f"bad hex token {token!r}")
            out += bytes.fromhex(byte) * (int(count) if count else 1)
    return bytes(out)


@dataclass(frozen=True)
class Case:
    name: str  # InSim.txt struct name, e.g. "IS_LAP"
    size: int | None  # bytes on the wire per InSim.txt's `// 44` comment; None = variable size
    hex: str
    fields: dict[str, Any]
    id: str = ""  # pytest id when one packet type has more than one case

    @property
    def data(self) -> bytes:
        return hexbytes(self.hex)


# Reused sub-values (each still spelled out in the hex of every case that uses it).
OSMAIN_AII = {  # OutSimMain: AngVel, Heading, Pitch, Roll, Accel, Vel, Pos
    "AngVel": [1.5, -0.25, 1024.0],
    "Heading": 3.0,
    "Pitch": -0.5,
    "Roll": 0.125,
    "Accel": [2.0, -8.0, 0.75],
    "Vel": [12.5, -1.0, 0.25],
    "Pos": [-1_000_000, 2_000_000, 0x00012345],
}

# =================================================================================================
# InSim 10, in InSim.txt's order of sections
# =================================================================================================

INSIM_CASES: list[Case] = [
    # -- initialising InSim ------------------------------------------------------------------------
    # IS_ISI: InSim Init, 44 bytes; a 1-byte Prefix and two 16-byte strings.
    Case("IS_ISI", 44, """
        0b 01 01 00                         # Size 44/4, ISP_ISI, ReqI 1, Zero
        2f 75 64 01                         # UDPPort 29999, Flags LOCAL|MCI|CON|HLV = 0x0164
        0a 21 e8 03                         # InSimVer 10, Prefix '!', Interval 1000 ms
        73 33 63 72 65 74 00*10             # Admin "s3cret"
        6c 66 73 2d 61 79 61 74 73 00*7     # IName "lfs-ayats"
    """, {"ReqI": 1, "UDPPort": 29999, "Flags": 0x0164, "InSimVer": 10, "Prefix": "!",
          "Interval": 1000, "Admin": "s3cret", "IName": "lfs-ayats"}),

    # -- general purpose packets -------------------------------------------------------------------
    # IS_TINY: 4 bytes, a TINY_PING request.
    Case("IS_TINY", 4, "01 03 09 03   # Size 1, ISP_TINY, ReqI 9, SubT TINY_PING",
         {"ReqI": 9, "SubT": 3}),
    # IS_SMALL: 8 bytes, a SMALL_RTP reply (UVal = race time in ms).
    Case("IS_SMALL", 8, """
        02 04 2a 06                         # Size 2, ISP_SMALL, ReqI 42, SubT SMALL_RTP
        3d 2c 1b 0a                         # UVal 0x0a1b2c3d
    """, {"ReqI": 42, "SubT": 6, "UVal": 0x0A1B2C3D}),
    # IS_TTC: 8 bytes, a TTC_SEL request for connection 5.
    Case("IS_TTC", 8, "02 3d 03 01  05 11 22 33   # ReqI 3, TTC_SEL; UCID 5, B1 B2 B3",
         {"ReqI": 3, "SubT": 1, "UCID": 5, "B1": 0x11, "B2": 0x22, "B3": 0x33}),

    # -- version request ---------------------------------------------------------------------------
    # IS_VER: 20 bytes; Version and Product NUL-terminated inside their arrays.
    Case("IS_VER", 20, """
        05 02 07 00                         # Size 5, ISP_VER, ReqI 7, Zero
        30 2e 38 43 35 00 00 00             # Version "0.8C5"
        53 33 00 00 00 00                   # Product "S3"
        0a 00                               # InSimVer 10, Spare
    """, {"ReqI": 7, "Version": "0.8C5", "Product": "S3", "InSimVer": 10}),

    # -- state reporting and requests --------------------------------------------------------------
    # IS_STA: 28 bytes of state.
    Case("IS_STA", 28, """
        07 05 04 00                         # Size 7, ISP_STA, ReqI 4, Zero
        00 00 c0 3f                         # ReplaySpeed 1.5
        81 42 03 0c                         # Flags GAME|SHOW_2D|MULTI|VISIBLE = 0x4281, InGameCam 3, ViewPLID 12
        08 09 02 01                         # NumP 8, NumConns 9, NumFinished 2, RaceInProg 1
        0f 69 00 01                         # QualMins 15, RaceLaps 105 (150 laps), Sp2, ServerStatus 1
        42 4c 31 52 00 00  02 01            # Track "BL1R", Weather 2, Wind 1
    """, {"ReqI": 4, "ReplaySpeed": 1.5, "Flags": 0x4281, "InGameCam": 3, "ViewPLID": 12, "NumP": 8,
          "NumConns": 9, "NumFinished": 2, "RaceInProg": 1, "QualMins": 15, "RaceLaps": 105,
          "ServerStatus": 1, "Track": "BL1R", "Weather": 2, "Wind": 1}),
    # IS_SFP: 8 bytes, switch on SOUND_MUTE|SHIFTU_NO_OPT.
    Case("IS_SFP", 8, "02 07 00 00  40 10 01 00   # Flag 0x1040, OffOn 1, Sp3",
         {"ReqI": 0, "Flag": 0x1040, "OffOn": 1}),

    # -- screen mode -------------------------------------------------------------------------------
    # IS_MOD: 20 bytes, four signed ints.
    Case("IS_MOD", 20, """
        05 0f 00 00                         # Size 5, ISP_MOD, ReqI 0, Zero
        fe ff ff ff                         # Bits16 -2
        3c 00 00 00                         # RR 60
        80 07 00 00                         # Width 1920
        38 04 00 00                         # Height 1080
    """, {"ReqI": 0, "Bits16": -2, "RR": 60, "Width": 1920, "Height": 1080}),

    # -- text messages and key presses -------------------------------------------------------------
    # IS_MSO: variable; 14 chars + NUL + 1 zero = 16 bytes of Msg -> 24 bytes. Byte 3 is Zero in
    # InSim.txt and MSOData (code page, 0.8C27) in the reference: 00 either way.
    Case("IS_MSO", None, """
        06 0b 00 00                         # Size 24/4, ISP_MSO, ReqI 0, Zero/MSOData 0
        03 07 01 0a                         # UCID 3, PLID 7, UserType MSO_USER, TextStart 10
        5e 37 42 6f 62 20 5e 37 3a 20       # "^7Bob ^7: "
        5e 32 67 6f 00 00                   # "^2go", NUL, pad
    """, {"ReqI": 0, "MSOData": 0, "UCID": 3, "PLID": 7, "UserType": 1, "TextStart": 10,
          "Msg": "^7Bob ^7: ^2go"}),
    # IS_MSO with MSOData = 5 (LID_CYRILLIC, reference §4.1, 0.8C27): Msg bytes are cp1251, no "^C".
    Case("IS_MSO", None, """
        04 0b 00 05                         # Size 16/4, ISP_MSO, ReqI 0, MSOData 5
        03 07 00 00                         # UCID 3, PLID 7, UserType MSO_SYSTEM, TextStart 0
        cf f0 e8 e2 e5 f2 00 00             # Msg "Привет" in cp1251, NUL, pad
    """, {"ReqI": 0, "MSOData": 5, "UCID": 3, "PLID": 7, "UserType": 0, "TextStart": 0,
          "Msg": "Привет"}, id="IS_MSO-cp1251"),
    # IS_III: variable; "score 42" + NUL + 3 zeros -> 20 bytes.
    Case("IS_III", None, """
        05 0c 00 00                         # Size 5, ISP_III, ReqI 0, Zero
        04 09 00 00                         # UCID 4, PLID 9, Sp2, Sp3
        73 63 6f 72 65 20 34 32 00 00 00 00 # Msg "score 42"
    """, {"ReqI": 0, "UCID": 4, "PLID": 9, "Msg": "score 42"}),
    # IS_ACR: variable; "/kick Joe" + NUL + 2 zeros -> 20 bytes.
    Case("IS_ACR", None, """
        05 37 00 00                         # Size 5, ISP_ACR, ReqI 0, Zero
        02 01 03 00                         # UCID 2, Admin 1, Result 3 (unknown command), Sp3
        2f 6b 69 63 6b 20 4a 6f 65 00 00 00 # Text "/kick Joe"
    """, {"ReqI": 0, "UCID": 2, "Admin": 1, "Result": 3, "Text": "/kick Joe"}),
    # IS_MST: 68 bytes, Msg[64].
    Case("IS_MST", 68, """
        11 0d 00 00                         # Size 17, ISP_MST, ReqI 0, Zero
        2f 6d 73 67 20 68 65 6c 6c 6f 00*54 # Msg "/msg hello"
    """, {"ReqI": 0, "Msg": "/msg hello"}),
    # IS_MSX: 100 bytes, Msg[96].
    Case("IS_MSX", 100, """
        19 27 00 00                         # Size 25, ISP_MSX, ReqI 0, Zero
        5e 33 4c 6f 6e 67 20 6d 65 73 73 61 67 65 00*82   # Msg "^3Long message"
    """, {"ReqI": 0, "Msg": "^3Long message"}),
    # IS_MSL: 132 bytes, Sound in byte 3, Msg[128].
    Case("IS_MSL", 132, """
        21 28 00 02                         # Size 33, ISP_MSL, ReqI 0, Sound SND_SYSMESSAGE
        6c 6f 63 61 6c 20 6f 6e 6c 79 00*118   # Msg "local only"
    """, {"ReqI": 0, "Sound": 2, "Msg": "local only"}),
    # IS_MTC: 8 + TEXT_SIZE; "Welcome!" + NUL + 3 zeros -> 20 bytes, sent to all (UCID 255).
    Case("IS_MTC", None, """
        05 0e 00 01                         # Size 5, ISP_MTC, ReqI 0, Sound SND_MESSAGE
        ff 06 00 00                         # UCID 255, PLID 6, Sp2, Sp3
        57 65 6c 63 6f 6d 65 21 00 00 00 00 # Text "Welcome!"
    """, {"ReqI": 0, "Sound": 1, "UCID": 255, "PLID": 6, "Text": "Welcome!"}),
    # IS_SCH: 8 bytes, SHIFT+CTRL+V.
    Case("IS_SCH", 8, "02 06 00 00  56 03 00 00   # CharB 'V', Flags 3, Spare2, Spare3",
         {"ReqI": 0, "CharB": 0x56, "Flags": 3}),

    # -- multiplayer notification ------------------------------------------------------------------
    # IS_ISM: 40 bytes, HName[32].
    Case("IS_ISM", 40, """
        0a 0a 05 00                         # Size 10, ISP_ISM, ReqI 5, Zero
        01 00 00 00                         # Host 1, Sp1-3
        5e 31 54 65 73 74 20 5e 37 53 65 72 76 65 72 00*17   # HName "^1Test ^7Server"
    """, {"ReqI": 5, "Host": 1, "HName": "^1Test ^7Server"}),

    # -- vote notify and cancel --------------------------------------------------------------------
    # IS_VTN: 8 bytes, connection 14 votes to restart.
    Case("IS_VTN", 8, "02 10 00 00  0e 02 00 00   # UCID 14, Action VOTE_RESTART",
         {"ReqI": 0, "UCID": 14, "Action": 2}),

    # -- allowed cars ------------------------------------------------------------------------------
    # IS_PLC: 12 bytes; Cars = XRT|LX6|FXR|XRR|FZR.
    Case("IS_PLC", 12, """
        03 35 00 00                         # Size 3, ISP_PLC, ReqI 0, Zero
        08 00 00 00                         # UCID 8, Sp1-3
        44 80 03 00                         # Cars 0x00038044
    """, {"ReqI": 0, "UCID": 8, "Cars": 0x00038044}),

    # -- handicaps ---------------------------------------------------------------------------------
    # IS_HCP: 68 bytes, 32 x CarHCP (H_Mass, H_TRes); cars 0, 1, 2 and 31 set.
    Case("IS_HCP", 68, """
        11 38 00 00                         # Size 17, ISP_HCP, ReqI 0, Zero
        0a 05  14 00  1e 0f                 # XFG 10 kg 5 %, XRG 20 kg, XRT 30 kg 15 %
        00*56                               # cars 3..30
        c8 32                               # car 31: 200 kg, 50 %
    """, {"ReqI": 0, "Info": [{"H_Mass": 10, "H_TRes": 5}, {"H_Mass": 20, "H_TRes": 0},
                              {"H_Mass": 30, "H_TRes": 15}]
          + [{"H_Mass": 0, "H_TRes": 0}] * 28 + [{"H_Mass": 200, "H_TRes": 50}]}),
    # IS_PLH: 4 + NumP * 4; two PlayerHCap.
    Case("IS_PLH", None, """
        03 42 0b 02                         # Size 3, ISP_PLH, ReqI 11, NumP 2
        03 83 32 14                         # PLID 3, Flags mass|tres|silent, 50 kg, 20 %
        07 01 c8 00                         # PLID 7, Flags mass, 200 kg, 0 %
    """, {"ReqI": 11, "NumP": 2, "HCaps": [
        {"PLID": 3, "Flags": 0x83, "H_Mass": 50, "H_TRes": 20},
        {"PLID": 7, "Flags": 0x01, "H_Mass": 200, "H_TRes": 0}]}),

    # -- race tracking -----------------------------------------------------------------------------
    # IS_RST: 28 bytes, race start.
    Case("IS_RST", 28, """
        07 11 02 00                         # Size 7, ISP_RST, ReqI 2, Zero
        14 00 0c 42                         # RaceLaps 20, QualMins 0, NumP 12, Timing 0x42
        46 45 32 52 00 00  01 02            # Track "FE2R", Weather 1, Wind 2
        c3 14 ee 02                         # Flags 0x14c3, NumNodes 750
        c4 02 b4 00                         # Finish 708, Split1 180
        6d 01 29 02                         # Split2 365, Split3 553
    """, {"ReqI": 2, "RaceLaps": 20, "QualMins": 0, "NumP": 12, "Timing": 0x42, "Track": "FE2R",
          "Weather": 1, "Wind": 2, "Flags": 0x14C3, "NumNodes": 750, "Finish": 708, "Split1": 180,
          "Split2": 365, "Split3": 553}),
    # IS_NCN: 56 bytes, a new remote admin connection.
    Case("IS_NCN", 56, """
        0e 12 00 05                         # Size 14, ISP_NCN, ReqI 0, UCID 5
        62 6f 62 5f 77 00*19                # UName "bob_w"
        5e 31 42 6f 62 20 5e 37 57 00*15    # PName "^1Bob ^7W"
        01 06 04 00                         # Admin 1, Total 6, Flags 4 (remote), Sp3
    """, {"ReqI": 0, "UCID": 5, "UName": "bob_w", "PName": "^1Bob ^7W", "Admin": 1, "Total": 6,
          "Flags": 4}),
    # IS_NCI: 16 bytes; the IP address as its 4 bytes in order.
    Case("IS_NCI", 16, """
        04 39 00 05                         # Size 4, ISP_NCI, ReqI 0, UCID 5
        11 03 00 00                         # Language 17 (LFS_POLSKI), License 3 (S3), Sp2, Sp3
        40 e2 01 00                         # UserID 123456
        c0 a8 01 17                         # IPAddress 192.168.1.23
    """, {"ReqI": 0, "UCID": 5, "Language": 17, "License": 3, "UserID": 123456,
          "IPAddress": "192.168.1.23"}),
    # IS_SLC: 8 bytes; CName is a mod: SkinID 0x942dc9 little-endian.
    Case("IS_SLC", 8, "02 3e 00 05  c9 2d 94 00   # UCID 5, CName mod 942DC9",
         {"ReqI": 0, "UCID": 5, "CName": "942DC9"}),
    # IS_MAL: 8 + NumM * 4; two mod SkinIDs.
    Case("IS_MAL", None, """
        04 41 06 02                         # Size 4, ISP_MAL, ReqI 6, NumM 2
        03 00 00 00                         # UCID 3, Flags 0 (zero for now), Sp2, Sp3
        c9 2d 94 00                         # SkinID 0x00942dc9
        2e f1 db 00                         # SkinID 0x00dbf12e
    """, {"ReqI": 6, "NumM": 2, "UCID": 3, "Flags": 0, "SkinID": [0x00942DC9, 0x00DBF12E]}),
    # IS_IPB: 8 + NumB * 4; three in_addr.
    Case("IS_IPB", None, """
        05 43 00 03                         # Size 5, ISP_IPB, ReqI 0, NumB 3
        00 00 00 00                         # Sp0-3
        0a 00 00 01  c0 a8 02 fe  08 08 04 04   # 10.0.0.1, 192.168.2.254, 8.8.4.4
    """, {"ReqI": 0, "NumB": 3, "BanIPs": ["10.0.0.1", "192.168.2.254", "8.8.4.4"]}),
    # IS_CIM: 8 bytes; free view edit mode with an InSim checkpoint selected.
    Case("IS_CIM", 8, "02 40 00 02  06 02 fc 00   # UCID 2, CIM_SHIFTU, FVM_EDIT, MARSH_IS_CP",
         {"ReqI": 0, "UCID": 2, "Mode": 6, "SubMode": 2, "SelType": 252}),
    # IS_CNL: 8 bytes; connection 5 kicked.
    Case("IS_CNL", 8, "02 13 00 05  03 04 00 00   # Reason LEAVR_KICKED, Total 4",
         {"ReqI": 0, "UCID": 5, "Reason": 3, "Total": 4}),
    # IS_CPR: 36 bytes; Plate uses all 8 bytes, no NUL.
    Case("IS_CPR", 36, """
        09 14 00 05                         # Size 9, ISP_CPR, ReqI 0, UCID 5
        5e 34 52 6f 62 65 72 74 00*16       # PName "^4Robert"
        41 42 2d 31 32 33 43 44             # Plate "AB-123CD"
    """, {"ReqI": 0, "UCID": 5, "PName": "^4Robert", "Plate": "AB-123CD"}),
    # IS_NPL: 76 bytes; full 8-byte Plate, built-in car XRT.
    Case("IS_NPL", 76, """
        13 15 00 07                         # Size 19, ISP_NPL, ReqI 0, PLID 7
        05 05 50 22                         # UCID 5, PType female|remote, Flags 0x2250
        53 70 65 65 64 79 20 5e 33 47 00*14 # PName "Speedy ^3G"
        4c 46 53 2d 32 30 32 34             # Plate "LFS-2024"
        58 52 54 00                         # CName "XRT"
        44 45 46 41 55 4c 54 00*9           # SName "DEFAULT"
        01 02 04 05                         # Tyres RL R2, RR R3, FL ROAD_SUPER, FR ROAD_NORMAL
        1e 0f 02 41                         # H_Mass 30, H_TRes 15, Model 2, Pass 0x41
        03 02 19 00                         # RWAdj 3, FWAdj 2, RIFlags 0x19, Sp3
        06 09 01 4b                         # SetF TC|ABS, NumP 9, Config 1, Fuel 75
    """, {"ReqI": 0, "PLID": 7, "UCID": 5, "PType": 5, "Flags": 0x2250, "PName": "Speedy ^3G",
          "Plate": "LFS-2024", "CName": "XRT", "SName": "DEFAULT", "Tyres": [1, 2, 4, 5],
          "H_Mass": 30, "H_TRes": 15, "Model": 2, "Pass": 0x41, "RWAdj": 3, "FWAdj": 2,
          "RIFlags": 0x19, "SetF": 6, "NumP": 9, "Config": 1, "Fuel": 75}),
    # IS_PLP: 4 bytes, player 7 pits.
    Case("IS_PLP", 4, "01 16 00 07", {"ReqI": 0, "PLID": 7}),
    # IS_PLL: 4 bytes, player 8 spectates.
    Case("IS_PLL", 4, "01 17 00 08", {"ReqI": 0, "PLID": 8}),
    # IS_CRS: 4 bytes, player 9 resets the car.
    Case("IS_CRS", 4, "01 29 00 09", {"ReqI": 0, "PLID": 9}),
    # IS_LAP: 20 bytes; times in ms.
    Case("IS_LAP", 20, """
        05 18 00 03                         # Size 5, ISP_LAP, ReqI 0, PLID 3
        10 6d 01 00                         # LTime 93456 ms
        87 d6 12 00                         # ETime 1234567 ms
        0d 00 48 02                         # LapsDone 13, Flags 0x0248
        00 03 01 91                         # Sp0, Penalty SG, NumStops 1, Fuel200 145
    """, {"ReqI": 0, "PLID": 3, "LTime": 93456, "ETime": 1234567, "LapsDone": 13, "Flags": 0x0248,
          "Penalty": 3, "NumStops": 1, "Fuel200": 145}),
    # IS_SPX: 16 bytes (Size 4, not node-insim's 5).
    Case("IS_SPX", 16, """
        04 19 00 03                         # Size 4, ISP_SPX, ReqI 0, PLID 3
        69 7a 00 00                         # STime 31337 ms
        6f 5a 13 00                         # ETime 1268335 ms
        02 01 02 ff                         # Split 2, Penalty DT, NumStops 2, Fuel200 255 (hidden)
    """, {"ReqI": 0, "PLID": 3, "STime": 31337, "ETime": 1268335, "Split": 2, "Penalty": 1,
          "NumStops": 2, "Fuel200": 255}),
    # IS_PIT: 24 bytes; Work = PSE bits STOP|FR_WHL|BODY_MINOR|REFUEL.
    Case("IS_PIT", 24, """
        06 1a 00 03                         # Size 6, ISP_PIT, ReqI 0, PLID 3
        11 00 09 02                         # LapsDone 17, Flags 0x0209
        28 04 02 00                         # FuelAdd 40, Penalty SG_VALID, NumStops 2, Sp3
        01 02 03 ff                         # Tyres R2 R3 R4, front right not changed
        0a 40 02 00                         # Work 0x0002400a
        00 00 00 00                         # Spare
    """, {"ReqI": 0, "PLID": 3, "LapsDone": 17, "Flags": 0x0209, "FuelAdd": 40, "Penalty": 4,
          "NumStops": 2, "Tyres": [1, 2, 3, 255], "Work": 0x0002400A}),
    # IS_PSF: 12 bytes.
    Case("IS_PSF", 12, """
        03 1b 00 03                         # Size 3, ISP_PSF, ReqI 0, PLID 3
        45 23 01 00  00 00 00 00            # STime 74565 ms, Spare
    """, {"ReqI": 0, "PLID": 3, "STime": 74565}),
    # IS_PLA: 8 bytes; entered for a drive-through.
    Case("IS_PLA", 8, "02 1c 00 04  03 00 00 00   # PLID 4, Fact PITLANE_DT",
         {"ReqI": 0, "PLID": 4, "Fact": 3}),
    # IS_CCH: 8 bytes; camera changed to TV camera.
    Case("IS_CCH", 8, "02 1d 00 04  02 00 00 00   # PLID 4, Camera VIEW_CAM",
         {"ReqI": 0, "PLID": 4, "Camera": 2}),
    # IS_PEN: 8 bytes; drive-through becomes valid for speeding.
    Case("IS_PEN", 8, "02 1e 00 0b  01 02 04 00   # PLID 11, OldPen DT, NewPen DT_VALID, PENR_SPEEDING",
         {"ReqI": 0, "PLID": 11, "OldPen": 1, "NewPen": 2, "Reason": 4}),
    # IS_TOC: 8 bytes; driver swap from connection 3 to 5.
    Case("IS_TOC", 8, "02 1f 00 0b  03 05 00 00", {"ReqI": 0, "PLID": 11, "OldUCID": 3, "NewUCID": 5}),
    # IS_FLG: 8 bytes; yellow flag on, car 7 behind.
    Case("IS_FLG", 8, "02 20 00 0b  01 02 07 00   # OffOn 1, Flag 2 (yellow), CarBehind 7",
         {"ReqI": 0, "PLID": 11, "OffOn": 1, "Flag": 2, "CarBehind": 7}),
    # IS_PFL: 8 bytes; Flags LEFTSIDE|MOUSE, word Spare.
    Case("IS_PFL", 8, "02 21 00 0b  01 04 00 00   # Flags 0x0401, Spare",
         {"ReqI": 0, "PLID": 11, "Flags": 0x0401}),
    # IS_FIN: 20 bytes.
    Case("IS_FIN", 20, """
        05 22 00 0b                         # Size 5, ISP_FIN, ReqI 0, PLID 11
        80 ee 36 00                         # TTime 3600000 ms
        38 5b 01 00                         # BTime 88888 ms
        00 02 12 00                         # SpA, NumStops 2, Confirm CONFIRMED|PENALTY_30, SpB
        28 00 48 02                         # LapsDone 40, Flags 0x0248
    """, {"ReqI": 0, "PLID": 11, "TTime": 3600000, "BTime": 88888, "NumStops": 2, "Confirm": 0x12,
          "LapsDone": 40, "Flags": 0x0248}),
    # IS_RES: 84 bytes; full 8-byte Plate.
    Case("IS_RES", 84, """
        15 23 01 0b                         # Size 21, ISP_RES, ReqI 1, PLID 11
        73 70 65 65 64 79 00*18             # UName "speedy"
        53 70 65 65 64 79 20 5e 33 47 00*14 # PName "Speedy ^3G"
        31 32 33 34 35 36 37 38             # Plate "12345678"
        46 5a 52 00                         # CName "FZR"
        80 ee 36 00                         # TTime 3600000 ms
        38 5b 01 00                         # BTime 88888 ms
        00 02 12 00                         # SpA, NumStops 2, Confirm 0x12, SpB
        28 00 48 02                         # LapsDone 40, Flags 0x0248
        02 05 2c 01                         # ResultNum 2, NumRes 5, PSeconds 300
    """, {"ReqI": 1, "PLID": 11, "UName": "speedy", "PName": "Speedy ^3G", "Plate": "12345678",
          "CName": "FZR", "TTime": 3600000, "BTime": 88888, "NumStops": 2, "Confirm": 0x12,
          "LapsDone": 40, "Flags": 0x0248, "ResultNum": 2, "NumRes": 5, "PSeconds": 300}),
    # IS_REO: 52 bytes; PLID[48], five used.
    Case("IS_REO", 52, """
        0d 24 00 05                         # Size 13, ISP_REO, ReqI 0, NumP 5
        07 03 0b 04 09 00*43                # PLID 7, 3, 11, 4, 9, then zeros
    """, {"ReqI": 0, "NumP": 5, "PLID": [7, 3, 11, 4, 9] + [0] * 43}),

    # -- join request --------------------------------------------------------------------------------
    # IS_JRR: 16 bytes; move car 7 to a start point (ObjectInfo, X negative).
    Case("IS_JRR", 16, """
        04 3a 00 07                         # Size 4, ISP_JRR, ReqI 0, PLID 7
        02 05 00 00                         # UCID 2, JRRAction JRR_RESET_NO_REPAIR, Sp2, Sp3
        2e fb 37 02 08 80 00 40             # StartPos X -1234, Y 567, Zbyte 8, Flags 0x80, Index 0, Heading 64
    """, {"ReqI": 0, "PLID": 7, "UCID": 2, "JRRAction": 5,
          "StartPos": {"X": -1234, "Y": 567, "Zbyte": 8, "Flags": 0x80, "Index": 0, "Heading": 64}}),

    # -- autocross ---------------------------------------------------------------------------------
    # IS_AXI: 40 bytes.
    Case("IS_AXI", 40, """
        0a 2b 03 00                         # Size 10, ISP_AXI, ReqI 3, Zero
        02 03 23 01                         # AXStart 2, NumCP 3, NumO 291
        6d 79 20 6c 61 79 6f 75 74 00*23    # LName "my layout"
    """, {"ReqI": 3, "AXStart": 2, "NumCP": 3, "NumO": 291, "LName": "my layout"}),
    # IS_AXO: 4 bytes.
    Case("IS_AXO", 4, "01 2c 00 0c", {"ReqI": 0, "PLID": 12}),

    # -- car tracking ------------------------------------------------------------------------------
    # IS_NLP: 4 + 3 * 6 = 22, plus 2 padding bytes -> 24.
    Case("IS_NLP", None, """
        06 25 00 03                         # Size 6, ISP_NLP, ReqI 0, NumP 3
        23 01 05 00 07 01                   # Node 291, Lap 5, PLID 7, Position 1
        ee 02 04 00 03 02                   # Node 750, Lap 4, PLID 3, Position 2
        10 00 02 01 0b 03                   # Node 16, Lap 258, PLID 11, Position 3
        00 00                               # padding to a multiple of 4
    """, {"ReqI": 0, "NumP": 3, "Info": [
        {"Node": 291, "Lap": 5, "PLID": 7, "Position": 1},
        {"Node": 750, "Lap": 4, "PLID": 3, "Position": 2},
        {"Node": 16, "Lap": 258, "PLID": 11, "Position": 3}]}),
    # IS_MCI: 4 + 2 * 28 = 60 bytes; signed X/Y/Z/AngVel negative somewhere.
    Case("IS_MCI", None, """
        0f 26 00 02                         # Size 15, ISP_MCI, ReqI 0, NumC 2
        23 01 05 00 07 01 41 00             # Node 291, Lap 5, PLID 7, Position 1, Info FIRST|BLUE, Sp3
        c0 bd f0 ff  80 84 1e 00  45 23 01 00   # X -1000000, Y 2000000, Z 74565
        34 12 01 80 fe 7f d4 fe             # Speed 0x1234, Direction 0x8001, Heading 0x7ffe, AngVel -300
        ee 02 04 00 03 02 82 00             # Node 750, Lap 4, PLID 3, Position 2, Info LAST|YELLOW, Sp3
        ef cd ab 00  fe ff ff ff  00 00 ff ff   # X 0xabcdef, Y -2, Z -65536
        02 01 04 03 06 05 08 07             # Speed 0x0102, Direction 0x0304, Heading 0x0506, AngVel 0x0708
    """, {"ReqI": 0, "NumC": 2, "Info": [
        {"Node": 291, "Lap": 5, "PLID": 7, "Position": 1, "Info": 0x41, "X": -1_000_000,
         "Y": 2_000_000, "Z": 74565, "Speed": 0x1234, "Direction": 0x8001, "Heading": 0x7FFE,
         "AngVel": -300},
        {"Node": 750, "Lap": 4, "PLID": 3, "Position": 2, "Info": 0x82, "X": 0xABCDEF, "Y": -2,
         "Z": -65536, "Speed": 0x0102, "Direction": 0x0304, "Heading": 0x0506, "AngVel": 0x0708}]}),

    # -- contact -------------------------------------------------------------------------------------
    # IS_CON: 44 bytes (v10), two CarContact with signed Steer/AccelF/AccelR/X/Y.
    Case("IS_CON", 44, """
        0b 32 00 00                         # Size 11, ISP_CON, ReqI 0, Zero
        53 01 00 00                         # SpClose 339 (33.9 m/s), SpW
        2c 1b 0a 00                         # Time 0x000a1b2c
        03 20 00 f4 f0 03 30 28             # A: PLID 3, Info LAG, Sp2, Steer -12, ThrBrk, CluHan, GearSp, Speed 40
        40 42 fb 07 e0 fc 34 12             #    Direction 64, Heading 66, AccelF -5, AccelR 7, X -800, Y 0x1234
        07 01 00 19 0f 50 f0 03             # B: PLID 7, Info BLUE, Sp2, Steer 25, ThrBrk, CluHan, GearSp R, Speed 3
        c0 bf 0a f7 21 03 fe ff             #    Direction 192, Heading 191, AccelF 10, AccelR -9, X 0x321, Y -2
    """, {"ReqI": 0, "SpClose": 339, "Time": 0x000A1B2C,
          "A": {"PLID": 3, "Info": 0x20, "Steer": -12, "ThrBrk": 0xF0, "CluHan": 0x03, "GearSp": 0x30,
                "Speed": 40, "Direction": 64, "Heading": 66, "AccelF": -5, "AccelR": 7, "X": -800,
                "Y": 0x1234},
          "B": {"PLID": 7, "Info": 0x01, "Steer": 25, "ThrBrk": 0x0F, "CluHan": 0x50, "GearSp": 0xF0,
                "Speed": 3, "Direction": 192, "Heading": 191, "AccelF": 10, "AccelR": -9, "X": 0x321,
                "Y": -2}}),
    # IS_OBH: 28 bytes (v10); CarContOBJ then the object's X/Y/Zbyte/Index.
    Case("IS_OBH", 28, """
        07 33 00 07                         # Size 7, ISP_OBH, ReqI 0, PLID 7
        2a 00 00 00                         # SpClose 42, SpW
        56 34 12 00                         # Time 0x123456
        10 12 0f 18 c0 f9 40 06             # C: Direction 16, Heading 18, Speed 15, Zbyte 24, X -1600, Y 1600
        c2 f9 42 06                         # X -1598, Y 1602
        17 00 14 0b                         # Zbyte 23, Sp1, Index 20, OBHFlags LAYOUT|CAN_MOVE|ON_SPOT
    """, {"ReqI": 0, "PLID": 7, "SpClose": 42, "Time": 0x123456,
          "C": {"Direction": 16, "Heading": 18, "Speed": 15, "Zbyte": 24, "X": -1600, "Y": 1600},
          "X": -1598, "Y": 1602, "Zbyte": 23, "Index": 20, "OBHFlags": 0x0B}),
    # IS_HLV: 20 bytes (v10); out of bounds.
    Case("IS_HLV", 20, """
        05 34 00 07                         # Size 5, ISP_HLV, ReqI 0, PLID 7
        05 00 00 00                         # HLVC 5, Sp1, SpW
        ef cd ab 00                         # Time 0xabcdef
        80 7f 21 05 02 01 00 ff             # C: Direction 128, Heading 127, Speed 33, Zbyte 5, X 258, Y -256
    """, {"ReqI": 0, "PLID": 7, "HLVC": 5, "Time": 0xABCDEF,
          "C": {"Direction": 128, "Heading": 127, "Speed": 33, "Zbyte": 5, "X": 258, "Y": -256}}),
    # IS_SET: 136 bytes; Setup[120] as raw bytes.
    Case("IS_SET", 136, """
        22 46 00 07                         # Size 34, ISP_SET, ReqI 0, PLID 7
        58 52 54 00                         # CName "XRT"
        00 00 00 00                         # Spare
        2d 00 00 00                         # FuelLoad 45, Sp1-3
        01 02 03 04 05 06 07 08 00*112      # Setup
    """, {"ReqI": 0, "PLID": 7, "CName": "XRT", "FuelLoad": 45,
          "Setup": b"\x01\x02\x03\x04\x05\x06\x07\x08" + b"\x00" * 112}),

    # -- control: InSim checkpoints and circles ------------------------------------------------------
    # IS_UCO: 28 bytes; crossed checkpoint 1 forwards.
    Case("IS_UCO", 28, """
        07 3b 00 07                         # Size 7, ISP_UCO, ReqI 0, PLID 7
        00 02 00 00                         # Sp0, UCOAction UCO_CP_FWD, Sp2, Sp3
        45 23 01 00                         # Time 74565 ms
        20 22 1e 0c d0 ff 50 02             # C: Direction 32, Heading 34, Speed 30, Zbyte 12, X -48, Y 592
        ce ff 52 02 0c 01 fc 80             # Info: X -50, Y 594, Zbyte 12, Flags 1, Index 252, Heading 128
    """, {"ReqI": 0, "PLID": 7, "UCOAction": 2, "Time": 74565,
          "C": {"Direction": 32, "Heading": 34, "Speed": 30, "Zbyte": 12, "X": -48, "Y": 592},
          "Info": {"X": -50, "Y": 594, "Zbyte": 12, "Flags": 1, "Index": 252, "Heading": 128}}),
    # IS_CSC: 20 bytes; car started.
    Case("IS_CSC", 20, """
        05 3f 00 07                         # Size 5, ISP_CSC, ReqI 0, PLID 7
        00 01 00 00                         # Sp0, CSCAction CSC_START, Sp2, Sp3
        21 43 05 00                         # Time 0x054321
        01 02 01 09 00 10 00 f0             # C: Direction 1, Heading 2, Speed 1, Zbyte 9, X 4096, Y -4096
    """, {"ReqI": 0, "PLID": 7, "CSCAction": 1, "Time": 0x054321,
          "C": {"Direction": 1, "Heading": 2, "Speed": 1, "Zbyte": 9, "X": 4096, "Y": -4096}}),

    # -- object control ----------------------------------------------------------------------------
    # IS_OCO: 8 bytes; set main start lights' red1 + green.
    Case("IS_OCO", 8, "02 3c 00 00  05 f0 2a 09   # OCO_LIGHTS_SET, Index 240, Identifier 42, Data 9",
         {"ReqI": 0, "OCOAction": 5, "Index": 240, "Identifier": 42, "Data": 9}),

    # -- autocross objects -------------------------------------------------------------------------
    # IS_AXM: 8 + NumO * 8; two ObjectInfo.
    Case("IS_AXM", None, """
        06 36 00 02                         # Size 6, ISP_AXM, ReqI 0, NumO 2
        03 01 0a 00                         # UCID 3, PMO_ADD_OBJECTS, PMOFlags MOVE_MODIFY|AVOID_CHECK, Sp3
        c0 fe 40 06 10 03 14 90             # X -320, Y 1600, Zbyte 16, Flags 3, Index 20, Heading 144
        00 02 ff ff f0 80 fd 05             # X 512, Y -1, Zbyte 240, Flags 0x80, Index 253, Heading 5
    """, {"ReqI": 0, "NumO": 2, "UCID": 3, "PMOAction": 1, "PMOFlags": 0x0A, "Info": [
        {"X": -320, "Y": 1600, "Zbyte": 16, "Flags": 3, "Index": 20, "Heading": 144},
        {"X": 512, "Y": -1, "Zbyte": 240, "Flags": 0x80, "Index": 253, "Heading": 5}]}),

    # -- AI control --------------------------------------------------------------------------------
    # IS_AIC: 4 + 4 * inputs, no count field: the Inputs run to the end of the packet.
    Case("IS_AIC", None, """
        04 44 0d 07                         # Size 4, ISP_AIC, ReqI 13, PLID 7
        01 00 00 c0                         # CS_THROTTLE, Time 0, Value 0xc000
        03 0a 01 00                         # CS_CHUP, hold 0.1 s, Value 1
        f1 64 34 12                         # CS_REPEAT_AI_INFO, Time 100, Value 0x1234
    """, {"ReqI": 13, "PLID": 7, "Inputs": [
        {"Input": 1, "Time": 0, "Value": 0xC000},
        {"Input": 3, "Time": 10, "Value": 1},
        {"Input": 0xF1, "Time": 100, "Value": 0x1234}]}),
    # IS_AII: 96 bytes; OSMain (60) then Flags, Gear, RPM, ShowLights; spare floats/ints are 0.
    Case("IS_AII", 96, """
        18 45 0d 07                         # Size 24, ISP_AII, ReqI 13, PLID 7
        00 00 c0 3f  00 00 80 be  00 00 80 44   # AngVel 1.5, -0.25, 1024.0
        00 00 40 40                         # Heading 3.0
        00 00 00 bf                         # Pitch -0.5
        00 00 00 3e                         # Roll 0.125
        00 00 00 40  00 00 00 c1  00 00 40 3f   # Accel 2.0, -8.0, 0.75
        00 00 48 41  00 00 80 bf  00 00 80 3e   # Vel 12.5, -1.0, 0.25
        c0 bd f0 ff  80 84 1e 00  45 23 01 00   # Pos -1000000, 2000000, 74565
        05 03 00 00                         # Flags IGNITION|CHUP, Gear 3 (2nd), Sp2, Sp3
        00 80 bb 45                         # RPM 6000.0
        00*8                                # SpF0, SpF1
        12 04 01 00                         # ShowLights FULLBEAM|TC|ABS|SIDELIGHTS
        00*12                               # SPU1-3
    """, {"ReqI": 13, "PLID": 7, "OSData": OSMAIN_AII, "Flags": 5, "Gear": 3, "RPM": 6000.0,
          "ShowLights": 0x00010412}),

    # -- camera control ----------------------------------------------------------------------------
    # IS_SCC: 8 bytes; view player 7, camera unchanged (255).
    Case("IS_SCC", 8, "02 08 00 00  07 ff 00 00   # ViewPLID 7, InGameCam 255",
         {"ReqI": 0, "ViewPLID": 7, "InGameCam": 255}),
    # IS_CPP: 32 bytes; Vec Pos, H/P/R words, FOV float.
    Case("IS_CPP", 32, """
        08 09 0e 00                         # Size 8, ISP_CPP, ReqI 14, Zero
        00 00 f6 ff  56 34 12 00  00 80 01 00   # Pos -655360, 0x123456, 0x18000
        01 40 00 ff 02 01                   # H 0x4001, P 0xff00, R 0x0102
        07 04                               # ViewPLID 7, InGameCam VIEW_CUSTOM
        00 00 b4 42                         # FOV 90.0
        e8 03 28 20                         # Time 1000 ms, Flags SHIFTU|SHIFTU_FOLLOW|VIEW_OVERRIDE
    """, {"ReqI": 14, "Pos": [-655360, 0x123456, 0x18000], "H": 0x4001, "P": 0xFF00, "R": 0x0102,
          "ViewPLID": 7, "InGameCam": 4, "FOV": 90.0, "Time": 1000, "Flags": 0x2028}),

    # -- replay control ----------------------------------------------------------------------------
    # IS_RIP: 80 bytes; times in ms, RName[64].
    Case("IS_RIP", 80, """
        14 30 0f 08                         # Size 20, ISP_RIP, ReqI 15, Error RIP_DEST_OOB
        01 01 06 00                         # MPR 1, Paused 1, Options SKINS|FULL_PHYS, Sp3
        c0 d4 01 00                         # CTime 120000 ms
        80 ee 36 00                         # TTime 3600000 ms
        72 61 63 65 5f 31 00*58             # RName "race_1"
    """, {"ReqI": 15, "Error": 8, "MPR": 1, "Paused": 1, "Options": 6, "CTime": 120000,
          "TTime": 3600000, "RName": "race_1"}),

    # -- screenshots -------------------------------------------------------------------------------
    # IS_SSH: 40 bytes.
    Case("IS_SSH", 40, """
        0a 31 10 03                         # Size 10, ISP_SSH, ReqI 16, Error SSH_NO_SAVE
        00 00 00 00                         # Sp0-3
        73 68 6f 74 5f 30 31 00*25          # Name "shot_01"
    """, {"ReqI": 16, "Error": 3, "Name": "shot_01"}),

    # -- buttons -----------------------------------------------------------------------------------
    # IS_BFN: 8 bytes; SHIFT+B request, with a button range.
    Case("IS_BFN", 8, "02 2a 00 03  04 10 20 80   # SubT BFN_REQUEST, UCID 4, ClickID 16, ClickMax 32, Inst",
         {"ReqI": 0, "SubT": 3, "UCID": 4, "ClickID": 16, "ClickMax": 32, "Inst": 0x80}),
    # IS_BTN: 12 + TEXT_SIZE; "^2Click me" + NUL + 1 zero -> 24 bytes.
    Case("IS_BTN", None, """
        06 2d 01 ff                         # Size 6, ISP_BTN, ReqI 1, UCID 255
        05 80 29 8a                         # ClickID 5, Inst ALWAYS_ON, BStyle C1|CLICK|DARK, TypeIn 0x8a
        14 1e 28 08                         # L 20, T 30, W 40, H 8
        5e 32 43 6c 69 63 6b 20 6d 65 00 00 # Text "^2Click me"
    """, {"ReqI": 1, "UCID": 255, "ClickID": 5, "Inst": 0x80, "BStyle": 0x29, "TypeIn": 0x8A,
          "L": 20, "T": 30, "W": 40, "H": 8, "Text": "^2Click me"}),
    # IS_BTN with a caption, InSim.txt's own example: Text 0-65-66-67-0-68-69-70-71-0-0-0 shows
    # "DEFG" with dialog caption "ABC". Expected Text keeps both (proposed representation).
    Case("IS_BTN", None, """
        06 2d 01 ff                         # Size 6, ISP_BTN, ReqI 1, UCID 255
        05 80 29 88                         # ClickID 5, Inst, BStyle 0x29, TypeIn 0x88
        14 1e 28 08                         # L 20, T 30, W 40, H 8
        00 41 42 43 00 44 45 46 47 00 00 00 # Text: NUL "ABC" NUL "DEFG" NUL pad
    """, {"ReqI": 1, "UCID": 255, "ClickID": 5, "Inst": 0x80, "BStyle": 0x29, "TypeIn": 0x88,
          "L": 20, "T": 30, "W": 40, "H": 8, "Text": "\0ABC\0DEFG"}, id="IS_BTN-caption"),
    # IS_BTC: 8 bytes; LMB + CTRL click.
    Case("IS_BTC", 8, "02 2e 01 04  0c 80 05 00   # UCID 4, ClickID 12, Inst, CFlags LMB|CTRL",
         {"ReqI": 1, "UCID": 4, "ClickID": 12, "Inst": 0x80, "CFlags": 5}),
    # IS_BTT: 104 bytes; Text[96].
    Case("IS_BTT", 104, """
        1a 2f 01 04                         # Size 26, ISP_BTT, ReqI 1, UCID 4
        0c 80 8a 00                         # ClickID 12, Inst, TypeIn 0x8a, Sp3
        74 79 70 65 64 20 34 32 00*88       # Text "typed 42"
    """, {"ReqI": 1, "UCID": 4, "ClickID": 12, "Inst": 0x80, "TypeIn": 0x8A, "Text": "typed 42"}),
]

# Checks that fail because of a grammar bug: {(case id, check): reason}. Empty: the bugs found
# while writing these tests (struct.error escaping, the Prefix byte, button captions, the MSO code
# page on encode) are fixed; a new entry must say why.
KNOWN_BUGS: dict[tuple[str, str], str] = {}


def _case_id(case: Case) -> str:
    return case.id or case.name


def _run(known_bug: str | None, check: Callable[[], None]) -> None:
    """Run a check; for a known bug (strict xfail) report its failure in one line, no traceback."""
    if known_bug is None:
        check()
        return
    try:
        check()
    except Exception as exc:  # any failure is the known bug showing
        pytest.fail(f"{known_bug}: {type(exc).__name__}: {str(exc)[:300]}", pytrace=False)


def _params(cases: list[Case], check: str) -> list[Any]:
    out = []
    for case in cases:
        reason = KNOWN_BUGS.get((_case_id(case), check))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(pytest.param(case, id=_case_id(case), marks=marks))
    return out


# -- the golden data itself ---------------------------------------------------------------------------


def test_every_insim_packet_type_has_a_case() -> None:
    assert sorted({c.data[1] for c in INSIM_CASES}) == list(range(1, 71))


@pytest.mark.parametrize("case", _params(INSIM_CASES, "data"))
def test_golden_bytes_are_well_formed(case: Case) -> None:
    data = case.data
    assert len(data) % 4 == 0 and data[0] * 4 == len(data)
    if case.size is not None:
        assert len(data) == case.size


# -- the four checks ----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", _params(INSIM_CASES, "decode"))
def test_decode(case: Case) -> None:
    def check() -> None:
        data = case.data
        packet = decode(data)
        assert packet.name == case.name
        assert packet.Type == data[1]
        assert packet.to_dict() == case.fields

    _run(KNOWN_BUGS.get((_case_id(case), "decode")), check)


@pytest.mark.parametrize("case", _params(INSIM_CASES, "reencode"))
def test_reencode(case: Case) -> None:
    def check() -> None:
        assert encode(decode(case.data)) == case.data

    _run(KNOWN_BUGS.get((_case_id(case), "reencode")), check)


@pytest.mark.parametrize("case", _params(INSIM_CASES, "build"))
def test_encode_from_fields(case: Case) -> None:
    def check() -> None:
        packet = packet_class(case.name)(**case.fields)
        assert encode(packet) == case.data

    _run(KNOWN_BUGS.get((_case_id(case), "build")), check)


@pytest.mark.parametrize("case", _params(INSIM_CASES, "slow"))
def test_compiled_and_interpreted_parsers_agree(case: Case) -> None:
    def check() -> None:
        data = case.data
        fast = decode(data)
        compiled = decode_slow(data, compiled=True)
        interpreted = decode_slow(data, compiled=False)
        assert compiled == interpreted == fast
        assert compiled.to_dict() == interpreted.to_dict() == case.fields

    _run(KNOWN_BUGS.get((_case_id(case), "slow")), check)


# =================================================================================================
# OutGauge (InSim.txt "OutGauge"): 92 bytes, or 96 with the optional ID
# =================================================================================================

OUTGAUGE_CASES: list[Case] = [
    # 92 bytes: no ID; built-in car, Display1 fills all 16 bytes with no NUL.
    Case("OutGauge", 92, """
        40 e2 01 00                         # Time 123456 ms
        58 52 54 00                         # Car "XRT"
        01 e0 03 07                         # Flags SHIFT|TURBO|KM|BAR = 0xe001, Gear 3, PLID 7
        00 00 48 42                         # Speed 50.0
        00 80 bb 45                         # RPM 6000.0
        00 00 a0 3f                         # Turbo 1.25
        00 00 b4 42                         # EngTemp 90.0
        00 00 40 3f                         # Fuel 0.75
        00 00 80 40                         # OilPressure 4.0
        00 00 a0 42                         # OilTemp 80.0
        6e db 01 10                         # DashLights 0x1001db6e (with DLF_ENGINE_SEVERE)
        12 04 00 00                         # ShowLights 0x0412
        00 00 80 3f                         # Throttle 1.0
        00 00 00 3f                         # Brake 0.5
        00 00 00 3e                         # Clutch 0.125
        42 72 61 6b 65 20 42 61 6c 20 46 72 20 37 35 25   # Display1 "Brake Bal Fr 75%"
        46 75 65 6c 20 34 35 25 00*8        # Display2 "Fuel 45%"
    """, {"Time": 123456, "Car": "XRT", "Flags": 0xE001, "Gear": 3, "PLID": 7, "Speed": 50.0,
          "RPM": 6000.0, "Turbo": 1.25, "EngTemp": 90.0, "Fuel": 0.75, "OilPressure": 4.0,
          "OilTemp": 80.0, "DashLights": 0x1001DB6E, "ShowLights": 0x0412, "Throttle": 1.0,
          "Brake": 0.5, "Clutch": 0.125, "Display1": "Brake Bal Fr 75%", "Display2": "Fuel 45%",
          "ID": None}, id="OutGauge-92"),
    # 96 bytes: negative ID; mod car, negative turbo (vacuum).
    Case("OutGauge", 96, """
        78 56 34 12                         # Time 0x12345678
        2e f1 db 00                         # Car mod DBF12E
        02 00 01 0c                         # Flags CTRL, Gear 1 (neutral), PLID 12
        00 00 20 40                         # Speed 2.5
        00 00 80 44                         # RPM 1024.0
        00 00 80 be                         # Turbo -0.25
        00 00 c8 42                         # EngTemp 100.0
        00 00 00 3f                         # Fuel 0.5
        00 00 40 40                         # OilPressure 3.0
        00 00 80 42                         # OilTemp 64.0
        ff ff 03 00                         # DashLights 0x0003ffff
        00 00 02 00                         # ShowLights DL_NEUTRAL
        00 00 80 3e                         # Throttle 0.25
        00 00 c0 3e                         # Brake 0.375
        00 00 80 3f                         # Clutch 1.0
        47 65 61 72 20 4e 00*10             # Display1 "Gear N"
        5e 31 48 6f 74 00*11                # Display2 "^1Hot"
        f9 ff ff ff                         # ID -7
    """, {"Time": 0x12345678, "Car": "DBF12E", "Flags": 2, "Gear": 1, "PLID": 12, "Speed": 2.5,
          "RPM": 1024.0, "Turbo": -0.25, "EngTemp": 100.0, "Fuel": 0.5, "OilPressure": 3.0,
          "OilTemp": 64.0, "DashLights": 0x0003FFFF, "ShowLights": 0x00020000, "Throttle": 0.25,
          "Brake": 0.375, "Clutch": 1.0, "Display1": "Gear N", "Display2": "^1Hot", "ID": -7},
         id="OutGauge-96"),
]


@pytest.mark.parametrize("case", _params(OUTGAUGE_CASES, "outgauge"))
def test_outgauge(case: Case) -> None:
    data = case.data
    assert len(data) == case.size
    packet = decode_outgauge(data)
    assert packet.name == "OutGauge"
    assert packet.to_dict() == case.fields
    assert encode_outgauge(packet) == data
    assert encode_outgauge(OutGauge(**case.fields)) == data


# =================================================================================================
# OutSim: legacy OutSimPack (Opts 0; 64 bytes, 68 with ID) and OutSimPack2 (OutSimPack.txt)
# =================================================================================================

OUTSIM_MAIN = {  # the OutSimMain values used by the legacy and 0x1ff cases below
    "AngVel": [0.5, -1.5, 2.0],
    "Heading": -2.0,
    "Pitch": 0.25,
    "Roll": -0.125,
    "Accel": [9.0, -4.0, 0.375],
    "Vel": [20.0, -6.0, 1.0],
    "Pos": [0x123456, -655360, 65536],
}
OUTSIM_MAIN_HEX = """
        00 00 00 3f  00 00 c0 bf  00 00 00 40   # AngVel 0.5, -1.5, 2.0
        00 00 00 c0                         # Heading -2.0
        00 00 80 3e                         # Pitch 0.25
        00 00 00 be                         # Roll -0.125
        00 00 10 41  00 00 80 c0  00 00 c0 3e   # Accel 9.0, -4.0, 0.375
        00 00 a0 41  00 00 c0 c0  00 00 80 3f   # Vel 20.0, -6.0, 1.0
        56 34 12 00  00 00 f6 ff  00 00 01 00   # Pos 0x123456, -655360, 65536
"""

OUTSIM_CASES: list[Case] = [
    # Legacy OutSimPack, 64 bytes: no ID.
    Case("OutSim", 64, "78 56 34 12   # Time 0x12345678\n" + OUTSIM_MAIN_HEX,
         {"Time": 0x12345678, **OUTSIM_MAIN, "ID": None}, id="OutSim-64"),
    # Legacy OutSimPack, 68 bytes: ID appended.
    Case("OutSim", 68, "78 56 34 12   # Time 0x12345678\n" + OUTSIM_MAIN_HEX
         + "04 03 02 01   # ID 0x01020304",
         {"Time": 0x12345678, **OUTSIM_MAIN, "ID": 0x01020304}, id="OutSim-68"),
]

OUTSIM2_CASES: list[tuple[int, Case]] = [
    # Opts 0x1ff: every block, 280 bytes (header, ID, time, main, inputs, drive, distance, wheels, extra1).
    (0x1FF, Case("OutSim2", 280, """
        4c 46 53 54                         # "LFST"
        fd ff ff ff                         # ID -3
        60 ea 00 00                         # Time 60000 ms
    """ + OUTSIM_MAIN_HEX + """
        # OSInputs: Throttle 0.75, Brake 0.25, InputSteer -0.5, Clutch 0.125, Handbrake 1.0
        00 00 40 3f  00 00 80 3e  00 00 00 bf  00 00 00 3e  00 00 80 3f
        04 00 00 00  00 00 00 44  00 00 80 43   # OSDrive: Gear 4, Sp1-3, EngineAngVel 512.0, MaxTorqueAtVel 256.0
        00 00 80 44  00 00 7a 44            # OSDistance: CurrentLapDist 1024.0, IndexedDistance 1000.0
        # OSWheels[0]: SuspDeflect, Steer, XForce, YForce, VerticalLoad, AngVel, LeanRelToRoad,
        #              AirTemp, SlipFraction, Touching, Sp3, SlipRatio, TanSlipAngle
        00 00 00 3e  00 00 80 be  00 00 80 c3  00 00 00 44  00 00 00 45  00 00 80 42  00 00 00 bf
        1e 40 01 00  00 00 00 3f  00 00 00 be
        # OSWheels[1]
        00 00 80 3e  00 00 00 3f  00 00 00 43  00 00 00 c4  00 00 80 45  00 00 80 c2  00 00 80 3e
        1f 80 01 00  00 00 80 be  00 00 80 3d
        # OSWheels[2]
        00 00 c0 3e  00 00 c0 3f  00 00 80 c4  00 00 80 43  00 00 80 44  00 00 00 42  00 00 80 be
        28 ff 01 00  00 00 00 40  00 00 80 bf
        # OSWheels[3]
        00 00 00 3f  00 00 c0 bf  00 00 00 41  00 00 00 c1  00 00 80 41  00 00 00 c2  00 00 80 3f
        29 01 01 00  00 00 00 c0  00 00 80 40
        00 00 48 c1  00 00 00 00            # OSExtra1: SteerTorque -12.5, spare
    """, {"Opts": 0x1FF, "ID": -3, "Time": 60000, "OSMain": OUTSIM_MAIN,
          "OSInputs": {"Throttle": 0.75, "Brake": 0.25, "InputSteer": -0.5, "Clutch": 0.125,
                       "Handbrake": 1.0},
          "OSDrive": {"Gear": 4, "EngineAngVel": 512.0, "MaxTorqueAtVel": 256.0},
          "OSDistance": {"CurrentLapDist": 1024.0, "IndexedDistance": 1000.0},
          "OSWheels": [
              {"SuspDeflect": 0.125, "Steer": -0.25, "XForce": -256.0, "YForce": 512.0,
               "VerticalLoad": 2048.0, "AngVel": 64.0, "LeanRelToRoad": -0.5, "AirTemp": 30,
               "SlipFraction": 0x40, "Touching": 1, "SlipRatio": 0.5, "TanSlipAngle": -0.125},
              {"SuspDeflect": 0.25, "Steer": 0.5, "XForce": 128.0, "YForce": -512.0,
               "VerticalLoad": 4096.0, "AngVel": -64.0, "LeanRelToRoad": 0.25, "AirTemp": 31,
               "SlipFraction": 0x80, "Touching": 1, "SlipRatio": -0.25, "TanSlipAngle": 0.0625},
              {"SuspDeflect": 0.375, "Steer": 1.5, "XForce": -1024.0, "YForce": 256.0,
               "VerticalLoad": 1024.0, "AngVel": 32.0, "LeanRelToRoad": -0.25, "AirTemp": 40,
               "SlipFraction": 0xFF, "Touching": 1, "SlipRatio": 2.0, "TanSlipAngle": -1.0},
              {"SuspDeflect": 0.5, "Steer": -1.5, "XForce": 8.0, "YForce": -8.0,
               "VerticalLoad": 16.0, "AngVel": -32.0, "LeanRelToRoad": 1.0, "AirTemp": 41,
               "SlipFraction": 0x01, "Touching": 1, "SlipRatio": -2.0, "TanSlipAngle": 4.0}],
          "OSExtra1": {"SteerTorque": -12.5}}, id="OutSim2-0x1ff")),
    # Opts 0x4c = TIME|MAIN|DISTANCE: no header, 4 + 60 + 8 = 72 bytes.
    (0x4C, Case("OutSim2", 72, """
        ef cd ab 00                         # Time 0xabcdef
        00 00 00 bf  00 00 80 3e  00 00 00 41   # AngVel -0.5, 0.25, 8.0
        00 00 c0 3f                         # Heading 1.5
        00 00 80 be                         # Pitch -0.25
        00 00 80 3d                         # Roll 0.0625
        00 00 80 3f  00 00 00 40  00 00 10 c1   # Accel 1.0, 2.0, -9.0
        00 00 48 c1  00 00 80 40  00 00 00 3f   # Vel -12.5, 4.0, 0.5
        ff ff ff ff  ff ff ff 7f  04 03 02 01   # Pos -1, 0x7fffffff, 0x01020304
        00 00 7a 44  00 00 00 44            # OSDistance: CurrentLapDist 1000.0, IndexedDistance 512.0
    """, {"Opts": 0x4C, "ID": None, "Time": 0xABCDEF,
          "OSMain": {"AngVel": [-0.5, 0.25, 8.0], "Heading": 1.5, "Pitch": -0.25, "Roll": 0.0625,
                     "Accel": [1.0, 2.0, -9.0], "Vel": [-12.5, 4.0, 0.5],
                     "Pos": [-1, 0x7FFFFFFF, 0x01020304]},
          "OSInputs": None, "OSDrive": None,
          "OSDistance": {"CurrentLapDist": 1000.0, "IndexedDistance": 512.0},
          "OSWheels": None, "OSExtra1": None}, id="OutSim2-0x4c")),
]


@pytest.mark.parametrize("case", _params(OUTSIM_CASES, "outsim"))
def test_outsim_legacy(case: Case) -> None:
    data = case.data
    assert len(data) == case.size
    packet = decode_outsim(data)
    assert packet.name == "OutSim"
    assert packet.to_dict() == case.fields
    assert decode_outsim(data, 0) == packet
    assert encode_outsim(packet) == data
    assert encode_outsim(OutSim(**case.fields)) == data


@pytest.mark.parametrize(("opts", "case"), [
    pytest.param(opts, case, id=_case_id(case)) for opts, case in OUTSIM2_CASES
])
def test_outsim2(opts: int, case: Case) -> None:
    data = case.data
    assert len(data) == case.size
    packet = decode_outsim(data, opts)
    assert packet.name == "OutSim2"
    assert packet.to_dict() == case.fields
    assert encode_outsim(packet) == data
    assert encode_outsim(OutSim2(**case.fields)) == data


def test_outsim2_full_pack_is_recognised_by_size() -> None:
    opts, case = OUTSIM2_CASES[0]
    assert decode_outsim(case.data) == decode_outsim(case.data, opts)


# =================================================================================================
# Bytes that are not a valid packet, and packet types this version does not know
# =================================================================================================

LAP = next(c for c in INSIM_CASES if c.name == "IS_LAP").data  # 20 bytes, Size byte 5
MCI = next(c for c in INSIM_CASES if c.name == "IS_MCI").data  # 60 bytes, NumC 2
AXM = next(c for c in INSIM_CASES if c.name == "IS_AXM").data  # 24 bytes, NumO 2
PLH = next(c for c in INSIM_CASES if c.name == "IS_PLH").data  # 12 bytes, NumP 2
MAL = next(c for c in INSIM_CASES if c.name == "IS_MAL").data  # 16 bytes, NumM 2


def _with_count(frame: bytes, count: int) -> bytes:
    """The same frame with byte 3 (NumC / NumO / NumP / NumM) replaced."""
    return frame[:3] + bytes([count]) + frame[4:]


# (id, frame, packet name the error must name)
BAD_FRAMES: list[tuple[str, bytes, str]] = [
    # Size byte says 20 bytes, the frame has 24.
    ("IS_LAP-size-byte-too-small", LAP + bytes(4), "IS_LAP"),
    # Size byte says 24 bytes, the frame has 20.
    ("IS_LAP-size-byte-too-big", bytes([6]) + LAP[1:], "IS_LAP"),
    # Size byte 0.
    ("IS_LAP-size-zero", bytes([0]) + LAP[1:4], "IS_LAP"),
    # Consistent Size byte (4 = 16 bytes), but IS_LAP needs 20: truncated body.
    ("IS_LAP-truncated", bytes([4]) + LAP[1:16], "IS_LAP"),
    # NumC 3, but the 60 bytes hold only 2 CompCar.
    ("IS_MCI-NumC-too-big", _with_count(MCI, 3), "IS_MCI"),
    # The other count-driven packets: the count claims one record more than the bytes hold.
    ("IS_AXM-NumO-too-big", _with_count(AXM, 3), "IS_AXM"),
    ("IS_PLH-NumP-too-big", _with_count(PLH, 3), "IS_PLH"),
    ("IS_MAL-NumM-too-big", _with_count(MAL, 3), "IS_MAL"),
]

DECODERS: dict[str, Callable[[bytes], Any]] = {
    "decode": decode,
    "compiled": lambda b: decode_slow(b, compiled=True),
    "interpreted": lambda b: decode_slow(b, compiled=False),
}

BAD_FRAME_BUGS: dict[tuple[str, str], str] = {}


def _bad_frame_params() -> list[Any]:
    out = []
    for case_id, frame, name in BAD_FRAMES:
        for decoder in DECODERS:
            reason = BAD_FRAME_BUGS.get((case_id, decoder))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            out.append(pytest.param(frame, name, decoder, reason, id=f"{case_id}-{decoder}", marks=marks))
    return out


@pytest.mark.parametrize(("frame", "name", "decoder", "known_bug"), _bad_frame_params())
def test_bad_frames_raise_packet_error(frame: bytes, name: str, decoder: str, known_bug: str | None) -> None:
    def check() -> None:
        with pytest.raises(PacketError) as caught:
            DECODERS[decoder](frame)
        message = str(caught.value)
        assert name in message
        assert caught.value.packet == name
        assert re.search(r"\bat byte \d+", message)
        assert 0 <= caught.value.offset <= len(frame)

    _run(known_bug, check)


def test_truncated_fixed_packet_error_points_at_the_end_of_the_data() -> None:
    frame = bytes([4]) + LAP[1:16]
    with pytest.raises(PacketError) as caught:
        decode(frame)  # the fast path for fixed-size packets
    assert caught.value.offset == 16


def test_mci_with_too_few_cars_points_at_the_end_of_the_data() -> None:
    with pytest.raises(PacketError) as caught:
        decode(_with_count(MCI, 3))
    assert caught.value.offset == 60


UNKNOWN = hexbytes("02 63 05 aa bb cc dd ee   # Size 2, Type 99, ReqI 5, then 5 bytes")


@pytest.mark.parametrize("decoder", list(DECODERS))
def test_unknown_type_decodes_raw_and_reencodes(decoder: str) -> None:
    packet = DECODERS[decoder](UNKNOWN)
    assert packet.name == "IS_RAW"
    assert packet.Type == 99
    assert packet.ReqI == 5
    assert bytes(packet.Data) == bytes.fromhex("aabbccddee")
    assert encode(packet) == UNKNOWN
