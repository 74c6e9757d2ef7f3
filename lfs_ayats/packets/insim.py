"""The InSim 10 grammar: one Construct Struct per IS_* packet, fields named as in InSim.txt.

Each body starts at ReqI (byte 2); the codec owns the Size and Type bytes, so the ÷4 size rule
lives in one place. Spares are unnamed `Padding`; counts are `Rebuild`s of what they count, so a
packet built from a list of cars gets the right NumC. Variable-length text runs to the end of the
packet and the codec pads it to a multiple of 4.
"""

from __future__ import annotations

import construct as cs
from construct import this

from .constants import ISP
from .fields import (
    ButtonText,
    CarContact,
    CarContOBJ,
    CarName,
    CompCar,
    IPv4,
    NodeLap,
    ObjectInfo,
    OSMain,
    RawText,
    Text,
    VarText,
    Vec,
    f32,
    mso_codepage,
    s16,
    s32,
    u8,
    u16,
    u32,
)

Pad = cs.Padding

# -- 4.1 session and connection -------------------------------------------------------------------

IS_ISI = cs.Struct(
    "ReqI" / u8,  # if non-zero LFS will send an IS_VER packet
    Pad(1),  # Zero
    "UDPPort" / u16,  # port for UDP replies from LFS (0 to 65535)
    "Flags" / u16,  # ISF_* bit flags for options
    "InSimVer" / u8,  # the InSim version used by the program (10)
    "Prefix" / RawText(1),  # special host message prefix character (one byte, no terminator)
    "Interval" / u16,  # time in ms between NLP or MCI (0 = none)
    "Admin" / Text(16),  # admin password (if set in LFS)
    "IName" / Text(16),  # a short name for the program
)

IS_VER = cs.Struct(
    "ReqI" / u8,  # ReqI as received in the request packet
    Pad(1),  # Zero
    "Version" / Text(8),  # LFS version, e.g. 0.3G
    "Product" / Text(6),  # product: DEMO / S1 / S2 / S3
    "InSimVer" / u8,  # InSim version
    Pad(1),  # Spare
)

IS_TINY = cs.Struct(
    "ReqI" / u8,  # 0 unless it is an info request or a reply to an info request
    "SubT" / u8,  # subtype, from TINY_* enumeration
)

IS_SMALL = cs.Struct(
    "ReqI" / u8,
    "SubT" / u8,  # subtype, from SMALL_* enumeration
    "UVal" / u32,  # value (e.g. for SMALL_SSP this would be the OutSim packet rate)
)

IS_TTC = cs.Struct(
    "ReqI" / u8,
    "SubT" / u8,  # subtype, from TTC_* enumeration
    "UCID" / u8,  # connection's unique id (0 = local)
    "B1" / u8,  # may be used in various ways depending on SubT
    "B2" / u8,
    "B3" / u8,
)

IS_STA = cs.Struct(
    "ReqI" / u8,
    Pad(1),  # Zero
    "ReplaySpeed" / f32,  # 4-byte float: 1.0 is normal speed
    "Flags" / u16,  # ISS_* state flags
    "InGameCam" / u8,  # which type of camera is selected (VIEW_*)
    "ViewPLID" / u8,  # unique ID of viewed player (0 = none)
    "NumP" / u8,  # number of players in race
    "NumConns" / u8,  # number of connections including host
    "NumFinished" / u8,  # number finished or qualified
    "RaceInProg" / u8,  # 0 = no race / 1 = race / 2 = qualifying
    "QualMins" / u8,
    "RaceLaps" / u8,  # see "RaceLaps" in InSim.txt
    Pad(1),  # Sp2
    "ServerStatus" / u8,  # 0 = unknown / 1 = success / > 1 = fail
    "Track" / Text(6),  # short name for track, e.g. FE2R
    "Weather" / u8,  # 0,1,2...
    "Wind" / u8,  # 0 = off / 1 = weak / 2 = strong
)

IS_MSO = cs.Struct(
    "ReqI" / u8,
    "MSOData" / u8,  # bits 0-3: code page (LID_*) of the message, 0.8C27 (was Zero)
    "UCID" / u8,  # connection's unique id (0 = host)
    "PLID" / u8,  # player's unique id (if zero, use UCID)
    "UserType" / u8,  # MSO_* (0 = system / 1 = user / 2 = prefix / 3 = O)
    "TextStart" / u8,  # first character of the actual text (after player name)
    "Msg" / VarText(128, codepage=mso_codepage),  # 4, 8, 12 ... 128 characters, last byte zero
)

IS_MST = cs.Struct(
    "ReqI" / u8,  # 0
    Pad(1),  # Zero
    "Msg" / Text(64),  # last byte must be zero
)

IS_NCN = cs.Struct(
    "ReqI" / u8,  # 0 unless this is a reply to a TINY_NCN request
    "UCID" / u8,  # new connection's unique id (0 = host)
    "UName" / Text(24),  # username
    "PName" / Text(24),  # nickname
    "Admin" / u8,  # 1 if admin
    "Total" / u8,  # number of connections including host
    "Flags" / u8,  # bit 2: remote
    Pad(1),  # Sp3
)

IS_CNL = cs.Struct(
    "ReqI" / u8,
    "UCID" / u8,  # unique id of the connection which left
    "Reason" / u8,  # leave reason (LEAVR_*)
    "Total" / u8,  # number of connections including host
    Pad(2),  # Sp2, Sp3
)

IS_CPR = cs.Struct(
    "ReqI" / u8,
    "UCID" / u8,  # unique id of the connection
    "PName" / Text(24),  # new name
    "Plate" / RawText(8),  # number plate - NO ZERO AT END!
)

# -- 4.2 players ----------------------------------------------------------------------------------

IS_NPL = cs.Struct(
    "ReqI" / u8,  # 0 unless this is a reply to a TINY_NPL request
    "PLID" / u8,  # player's newly assigned unique id
    "UCID" / u8,  # connection's unique id
    "PType" / u8,  # bit 0: female / bit 1: AI / bit 2: remote
    "Flags" / u16,  # player flags (PIF_*)
    "PName" / Text(24),  # nickname
    "Plate" / RawText(8),  # number plate - NO ZERO AT END!
    "CName" / CarName(),  # car name
    "SName" / Text(16),  # skin name - MAX_CAR_TEX_NAME
    "Tyres" / cs.Array(4, u8),  # compounds (TYRE_*), rear left, rear right, front left, front right
    "H_Mass" / u8,  # added mass (kg)
    "H_TRes" / u8,  # intake restriction
    "Model" / u8,  # driver model
    "Pass" / u8,  # passengers byte
    "RWAdj" / u8,  # low 4 bits: tyre width reduction (rear)
    "FWAdj" / u8,  # low 4 bits: tyre width reduction (front)
    "RIFlags" / u8,  # RIF_* (0.8B36; was Sp2)
    Pad(1),  # Sp3
    "SetF" / u8,  # setup flags (SETF_*)
    "NumP" / u8,  # number in race - ZERO if this is a join request
    "Config" / u8,  # car configuration
    "Fuel" / u8,  # /showfuel yes: fuel percent / no: 255
)

def _player_only() -> cs.Struct:
    """The 4-byte packets that only name a player: IS_PLP, IS_PLL, IS_CRS, IS_AXO."""
    return cs.Struct(
        "ReqI" / u8,
        "PLID" / u8,  # player's unique id
    )


IS_PLP = _player_only()  # PLayer Pits (go to settings - stays in player list)
IS_PLL = _player_only()  # PLayer Leave race (spectate - removed from player list)
IS_CRS = _player_only()  # Car ReSet
IS_AXO = _player_only()  # AutoX Object hit

IS_TOC = cs.Struct(
    "ReqI" / u8,
    "PLID" / u8,  # player's unique id
    "OldUCID" / u8,  # old connection's unique id
    "NewUCID" / u8,  # new connection's unique id
    Pad(2),  # Sp2, Sp3
)

IS_PFL = cs.Struct(
    "ReqI" / u8,
    "PLID" / u8,  # player's unique id
    "Flags" / u16,  # player flags (PIF_*)
    Pad(2),  # Spare
)

# -- 4.3 timing -----------------------------------------------------------------------------------

IS_LAP = cs.Struct(
    "ReqI" / u8,
    "PLID" / u8,  # player's unique id
    "LTime" / u32,  # lap time (ms)
    "ETime" / u32,  # total time (ms)
    "LapsDone" / u16,  # laps completed
    "Flags" / u16,  # player flags (PIF_*)
    Pad(1),  # Sp0
    "Penalty" / u8,  # current penalty value (PENALTY_*)
    "NumStops" / u8,  # number of pit stops
    "Fuel200" / u8,  # /showfuel yes: double fuel percent / no: 255
)

IS_SPX = cs.Struct(
    "ReqI" / u8,
    "PLID" / u8,  # player's unique id
    "STime" / u32,  # split time (ms)
    "ETime" / u32,  # total time (ms)
    "Split" / u8,  # split number 1, 2, 3
    "Penalty" / u8,  # current penalty value (PENALTY_*)
    "NumStops" / u8,  # number of pit stops
    "Fuel200" / u8,  # /showfuel yes: double fuel percent / no: 255
)

IS_PIT = cs.Struct(
    "ReqI" / u8,
    "PLID" / u8,  # player's unique id
    "LapsDone" / u16,  # laps completed
    "Flags" / u16,  # player flags (PIF_*)
    "FuelAdd" / u8,  # /showfuel yes: fuel added percent / no: 255
    "Penalty" / u8,  # current penalty value (PENALTY_*)
    "NumStops" / u8,  # number of pit stops
    Pad(1),  # Sp3
    "Tyres" / cs.Array(4, u8),  # tyres changed (TYRE_*, 255 = not changed)
    "Work" / u32,  # pit work (1 << PSE_* bits)
    Pad(4),  # Spare
)

IS_PSF = cs.Struct(
    "ReqI" / u8,
    "PLID" / u8,  # player's unique id
    "STime" / u32,  # stop time (ms)
    Pad(4),  # Spare
)

IS_PLA = cs.Struct(
    "ReqI" / u8,
    "PLID" / u8,  # player's unique id
    "Fact" / u8,  # pit lane fact (PITLANE_*)
    Pad(3),  # Sp1, Sp2, Sp3
)

IS_PEN = cs.Struct(
    "ReqI" / u8,
    "PLID" / u8,  # player's unique id
    "OldPen" / u8,  # old penalty value (PENALTY_*)
    "NewPen" / u8,  # new penalty value (PENALTY_*)
    "Reason" / u8,  # penalty reason (PENR_*)
    Pad(1),  # Sp3
)

IS_FLG = cs.Struct(
    "ReqI" / u8,
    "PLID" / u8,  # player's unique id
    "OffOn" / u8,  # 0 = off / 1 = on
    "Flag" / u8,  # 1 = given blue / 2 = causing yellow
    "CarBehind" / u8,  # unique id of obstructed player
    Pad(1),  # Sp3
)

IS_FIN = cs.Struct(
    "ReqI" / u8,
    "PLID" / u8,  # player's unique id (0 = player left before result was sent)
    "TTime" / u32,  # race time (ms)
    "BTime" / u32,  # best lap (ms)
    Pad(1),  # SpA
    "NumStops" / u8,  # number of pit stops
    "Confirm" / u8,  # confirmation flags (CONF_*)
    Pad(1),  # SpB
    "LapsDone" / u16,  # laps completed
    "Flags" / u16,  # player flags (PIF_*)
)

IS_RES = cs.Struct(
    "ReqI" / u8,  # 0 unless this is a reply to a TINY_RES request
    "PLID" / u8,  # player's unique id (0 = player left before result was sent)
    "UName" / Text(24),  # username
    "PName" / Text(24),  # nickname
    "Plate" / RawText(8),  # number plate - NO ZERO AT END!
    "CName" / CarName(),  # skin prefix
    "TTime" / u32,  # (ms) race or autocross: total time / qualify: session time
    "BTime" / u32,  # (ms) best lap
    Pad(1),  # SpA
    "NumStops" / u8,  # number of pit stops
    "Confirm" / u8,  # confirmation flags (CONF_*)
    Pad(1),  # SpB
    "LapsDone" / u16,  # laps completed
    "Flags" / u16,  # player flags (PIF_*)
    "ResultNum" / u8,  # finish or qualify pos (0 = win / 255 = not added to table)
    "NumRes" / u8,  # total number of results (qualify doesn't always add a new one)
    "PSeconds" / u16,  # penalty time in seconds (already included in race time)
)

IS_RST = cs.Struct(
    "ReqI" / u8,  # 0 unless this is a reply to a TINY_RST request
    Pad(1),  # Zero
    "RaceLaps" / u8,  # 0 if qualifying
    "QualMins" / u8,  # 0 if race
    "NumP" / u8,  # number of players in race
    "Timing" / u8,  # lap timing (see InSim.txt)
    "Track" / Text(6),  # short track name
    "Weather" / u8,
    "Wind" / u8,
    "Flags" / u16,  # race flags (HOSTF_*)
    "NumNodes" / u16,  # total number of nodes in the path
    "Finish" / u16,  # node index - finish line
    "Split1" / u16,  # node index - split 1
    "Split2" / u16,  # node index - split 2
    "Split3" / u16,  # node index - split 3
)

IS_REO = cs.Struct(
    "ReqI" / u8,  # 0 unless this is a reply to a TINY_REO request
    "NumP" / u8,  # number of players in race
    "PLID" / cs.Array(48, u8),  # all PLIDs in new order
)

# -- 4.4 car tracking -----------------------------------------------------------------------------

IS_NLP = cs.Struct(
    "ReqI" / u8,  # 0 unless this is a reply to a TINY_NLP request
    "NumP" / cs.Rebuild(u8, cs.len_(this.Info)),  # number of players in race
    "Info" / cs.Array(this.NumP, NodeLap),  # node and lap of each player, 1 to NLP_MAX_CARS (48)
)

IS_MCI = cs.Struct(
    "ReqI" / u8,  # 0 unless this is a reply to a TINY_MCI request
    "NumC" / cs.Rebuild(u8, cs.len_(this.Info)),  # number of valid CompCar structs in this packet
    "Info" / cs.Array(this.NumC, CompCar),  # car info for each player, 1 to MCI_MAX_CARS (16)
)

# -- 4.5 contacts and incidents (v10 layouts) -----------------------------------------------------

IS_CON = cs.Struct(
    "ReqI" / u8,
    Pad(1),  # Zero
    "SpClose" / u16,  # low 12 bits: closing speed (10 = 1 m/s)
    Pad(2),  # SpW
    "Time" / u32,  # time stamp (ms)
    "A" / CarContact,
    "B" / CarContact,
)

IS_OBH = cs.Struct(
    "ReqI" / u8,
    "PLID" / u8,
    "SpClose" / u16,  # low 12 bits: closing speed (10 = 1 m/s)
    Pad(2),  # SpW
    "Time" / u32,  # time stamp (ms)
    "C" / CarContOBJ,
    "X" / s16,  # as in ObjectInfo
    "Y" / s16,  # as in ObjectInfo
    "Zbyte" / u8,  # if OBH_LAYOUT is set: Zbyte as in ObjectInfo
    Pad(1),  # Sp1
    "Index" / u8,  # AXO_x as in ObjectInfo or zero if it is an unknown object
    "OBHFlags" / u8,  # OBH_* flags
)

IS_HLV = cs.Struct(
    "ReqI" / u8,
    "PLID" / u8,
    "HLVC" / u8,  # 0 = ground / 1 = wall / 4 = speeding / 5 = out of bounds
    Pad(1),  # Sp1
    Pad(2),  # SpW
    "Time" / u32,  # time stamp (ms)
    "C" / CarContOBJ,
)

IS_CSC = cs.Struct(
    "ReqI" / u8,
    "PLID" / u8,
    Pad(1),  # Sp0
    "CSCAction" / u8,  # CSC_* (0 = stop / 1 = start)
    Pad(2),  # Sp2, Sp3
    "Time" / u32,  # time stamp (ms)
    "C" / CarContOBJ,
)

IS_UCO = cs.Struct(
    "ReqI" / u8,
    "PLID" / u8,
    Pad(1),  # Sp0
    "UCOAction" / u8,  # UCO_*
    Pad(2),  # Sp2, Sp3
    "Time" / u32,  # time stamp (ms)
    "C" / CarContOBJ,
    "Info" / ObjectInfo,  # info about the checkpoint or circle
)

IS_AXI = cs.Struct(
    "ReqI" / u8,  # 0 unless this is a reply to a TINY_AXI request
    Pad(1),  # Zero
    "AXStart" / u8,  # autocross start position
    "NumCP" / u8,  # number of checkpoints
    "NumO" / u16,  # number of objects
    "LName" / Text(32),  # the name of the layout last loaded (if loaded locally)
)

# -- the rest of InSim 10, in InSim.txt's order ----------------------------------------------------

IS_SFP = cs.Struct(
    "ReqI" / u8,  # 0
    Pad(1),  # Zero
    "Flag" / u16,  # the state to set
    "OffOn" / u8,  # 0 = off / 1 = on
    Pad(1),  # Sp3
)

IS_MOD = cs.Struct(
    "ReqI" / u8,  # 0
    Pad(1),  # Zero
    "Bits16" / s32,  # set to choose 16-bit
    "RR" / s32,  # refresh rate - zero for default
    "Width" / s32,  # 0 means go to window
    "Height" / s32,  # 0 means go to window
)

IS_III = cs.Struct(
    "ReqI" / u8,  # 0
    Pad(1),  # Zero
    "UCID" / u8,  # connection's unique id (0 = host)
    "PLID" / u8,  # player's unique id (if zero, use UCID)
    Pad(2),  # Sp2, Sp3
    "Msg" / VarText(64),  # 4, 8, 12... 64 characters - last byte is zero
)

IS_ACR = cs.Struct(
    "ReqI" / u8,  # 0
    Pad(1),  # Zero
    "UCID" / u8,  # connection's unique id (0 = host)
    "Admin" / u8,  # set if user is an admin
    "Result" / u8,  # 1 - processed / 2 - rejected / 3 - unknown command
    Pad(1),  # Sp3
    "Text" / VarText(64),  # 4, 8, 12... 64 characters - last byte is zero
)

IS_MSX = cs.Struct(
    "ReqI" / u8,  # 0
    Pad(1),  # Zero
    "Msg" / Text(96),  # last byte must be zero
)

IS_MSL = cs.Struct(
    "ReqI" / u8,  # 0
    "Sound" / u8,  # sound effect (SND_*)
    "Msg" / Text(128),  # last byte must be zero
)

IS_MTC = cs.Struct(
    "ReqI" / u8,  # 0
    "Sound" / u8,  # sound effect (SND_*)
    "UCID" / u8,  # connection's unique id (0 = host / 255 = all)
    "PLID" / u8,  # player's unique id (if zero, use UCID)
    Pad(2),  # Sp2, Sp3
    "Text" / VarText(128),  # up to 128 characters of text - last byte must be zero
)

IS_SCH = cs.Struct(
    "ReqI" / u8,  # 0
    Pad(1),  # Zero
    "CharB" / u8,  # key to press
    "Flags" / u8,  # bit 0: SHIFT / bit 1: CTRL
    Pad(2),  # Spare2, Spare3
)

IS_ISM = cs.Struct(
    "ReqI" / u8,  # usually 0 / or if a reply: ReqI as received in the TINY_ISM
    Pad(1),  # Zero
    "Host" / u8,  # 0 = guest / 1 = host
    Pad(3),  # Sp1, Sp2, Sp3
    "HName" / Text(32),  # the name of the host joined or started
)

IS_VTN = cs.Struct(
    "ReqI" / u8,  # 0
    Pad(1),  # Zero
    "UCID" / u8,  # connection's unique id
    "Action" / u8,  # VOTE_*
    Pad(2),  # Spare2, Spare3
)

IS_PLC = cs.Struct(
    "ReqI" / u8,  # 0
    Pad(1),  # Zero
    "UCID" / u8,  # connection's unique id (0 = host / 255 = all)
    Pad(3),  # Sp1, Sp2, Sp3
    "Cars" / u32,  # allowed cars (bit per car, XF GTI = 1)
)

CarHCP = "CarHCP" / cs.Struct(
    "H_Mass" / u8,  # 0 to 200 - added mass (kg)
    "H_TRes" / u8,  # 0 to 50 - intake restriction
)

IS_HCP = cs.Struct(
    "ReqI" / u8,  # 0
    Pad(1),  # Zero
    "Info" / cs.Array(32, CarHCP),  # H_Mass and H_TRes for each car: XF GTI = 0 / XR GT = 1 etc
)

PlayerHCap = "PlayerHCap" / cs.Struct(
    "PLID" / u8,  # player's unique id
    "Flags" / u8,  # bit 0: set Mass / bit 1: set TRes / bit 7: silent
    "H_Mass" / u8,  # 0 to 200 - added mass (kg)
    "H_TRes" / u8,  # 0 to 50 - intake restriction
)

IS_PLH = cs.Struct(
    "ReqI" / u8,  # 0 unless this is a reply to a TINY_PLH request
    "NumP" / cs.Rebuild(u8, cs.len_(this.HCaps)),  # number of players in this packet
    "HCaps" / cs.Array(this.NumP, PlayerHCap),  # 0 to PLH_MAX_PLAYERS (48)
)

IS_NCI = cs.Struct(
    "ReqI" / u8,  # 0 unless this is a reply to a TINY_NCI request
    "UCID" / u8,  # connection's unique id (0 = host)
    "Language" / u8,  # LFS_* language
    "License" / u8,  # 0: demo / 1: S1 ...
    Pad(2),  # Sp2, Sp3
    "UserID" / u32,  # LFS UserID
    "IPAddress" / IPv4(),  # the connection's IP address
)

IS_SLC = cs.Struct(
    "ReqI" / u8,  # 0 unless this is a reply to a TINY_SLC request
    "UCID" / u8,  # connection's unique id (0 = host)
    "CName" / CarName(),  # car name
)

IS_MAL = cs.Struct(
    "ReqI" / u8,  # 0 unless this is a reply to a TINY_MAL request
    "NumM" / cs.Rebuild(u8, cs.len_(this.SkinID)),  # number of mods in this packet
    "UCID" / u8,  # unique id of the connection that updated the list
    "Flags" / u8,  # zero (for now)
    Pad(2),  # Sp2, Sp3
    "SkinID" / cs.Array(this.NumM, u32),  # SkinID of each mod in compressed format, 0 to 120
)

IS_IPB = cs.Struct(
    "ReqI" / u8,  # 0 unless this is a reply to a TINY_IPB request
    "NumB" / cs.Rebuild(u8, cs.len_(this.BanIPs)),  # number of bans in this packet
    Pad(4),  # Sp0, Sp1, Sp2, Sp3
    "BanIPs" / cs.Array(this.NumB, IPv4()),  # IP addresses, 0 to IPB_MAX_BANS (120)
)

IS_CIM = cs.Struct(
    "ReqI" / u8,  # 0
    "UCID" / u8,  # connection's unique id (0 = local)
    "Mode" / u8,  # mode identifier (CIM_*)
    "SubMode" / u8,  # submode identifier
    "SelType" / u8,  # selected object type
    Pad(1),  # Sp3
)

IS_CCH = cs.Struct(
    "ReqI" / u8,  # 0
    "PLID" / u8,  # player's unique id
    "Camera" / u8,  # view identifier (VIEW_*)
    Pad(3),  # Sp1, Sp2, Sp3
)

IS_JRR = cs.Struct(
    "ReqI" / u8,  # 0
    "PLID" / u8,  # ZERO when this is a reply to a join request - SET to move a car
    "UCID" / u8,  # set when this is a reply to a join request - ignored when moving a car
    "JRRAction" / u8,  # 1 - allow / 0 - reject
    Pad(2),  # Sp2, Sp3
    "StartPos" / ObjectInfo,  # 0: use default start point / Flags = 0x80: set start point
)

IS_SET = cs.Struct(
    "ReqI" / u8,  # 0
    "PLID" / u8,  # player's unique id
    "CName" / CarName(),  # skin prefix
    Pad(4),  # Spare
    "FuelLoad" / u8,  # FuelLoad at start
    Pad(3),  # Sp1, Sp2, Sp3
    "Setup" / cs.Bytes(120),  # nearly a setup file without its first 12 bytes
)

IS_OCO = cs.Struct(
    "ReqI" / u8,  # 0
    Pad(1),  # Zero
    "OCOAction" / u8,  # OCO_*
    "Index" / u8,  # AXO_* object index
    "Identifier" / u8,  # start lights object (0 to 63 or 255 = all)
    "Data" / u8,  # light bits
)

IS_AXM = cs.Struct(
    "ReqI" / u8,  # 0 unless this is a reply to a TINY_AXM request
    "NumO" / cs.Rebuild(u8, cs.len_(this.Info)),  # number of objects in this packet
    "UCID" / u8,  # unique id of the connection that sent the packet
    "PMOAction" / u8,  # PMO_*
    "PMOFlags" / u8,  # PMO_* flags
    Pad(1),  # Sp3
    "Info" / cs.Array(this.NumO, ObjectInfo),  # info about each object, 0 to AXM_MAX_OBJECTS (60)
)

AIInputVal = "AIInputVal" / cs.Struct(
    "Input" / u8,  # select input value to set (CS_*)
    "Time" / u8,  # time to hold (optional, hundredths of a second)
    "Value" / u16,  # value to set
)

IS_AIC = cs.Struct(
    "ReqI" / u8,  # optional - returned in any immediate response
    "PLID" / u8,  # unique id of AI driver to control
    "Inputs" / cs.GreedyRange(AIInputVal),  # up to AIC_MAX_INPUTS (20); count from Size
)

IS_AII = cs.Struct(
    "ReqI" / u8,  # ReqI from the SMALL_AII request packet
    "PLID" / u8,
    "OSData" / OSMain,  # identical to OutSimMain
    "Flags" / u8,  # AIFLAGS_*
    "Gear" / u8,  # Reverse: 0, Neutral: 1, First: 2...
    Pad(2),  # Sp2, Sp3
    "RPM" / f32,  # RPM
    Pad(8),  # SpF0, SpF1
    "ShowLights" / u32,  # dash lights currently switched on (DL_*)
    Pad(12),  # SPU1, SPU2, SPU3
)

IS_SCC = cs.Struct(
    "ReqI" / u8,  # 0
    Pad(1),  # Zero
    "ViewPLID" / u8,  # unique id of player to view
    "InGameCam" / u8,  # InGameCam (as reported in StatePack)
    Pad(2),  # Sp2, Sp3
)

IS_CPP = cs.Struct(
    "ReqI" / u8,  # instruction: 0 / or reply: ReqI as received in the TINY_SCP
    Pad(1),  # Zero
    "Pos" / Vec,  # position vector (65536 = 1 m)
    "H" / u16,  # heading - 0 points along Y axis
    "P" / u16,  # pitch
    "R" / u16,  # roll
    "ViewPLID" / u8,  # unique id of viewed player (0 = none)
    "InGameCam" / u8,  # InGameCam (as reported in StatePack)
    "FOV" / f32,  # FOV in degrees
    "Time" / u16,  # time in ms to get there (0 means instant)
    "Flags" / u16,  # ISS_* state flags
)

IS_RIP = cs.Struct(
    "ReqI" / u8,  # request: non-zero / reply: same value returned
    "Error" / u8,  # 0 or 1 = OK / other values are RIP_*
    "MPR" / u8,  # 0 = SPR / 1 = MPR
    "Paused" / u8,  # request: pause on arrival / reply: paused state
    "Options" / u8,  # RIPOPT_*
    Pad(1),  # Sp3
    "CTime" / u32,  # (ms) request: destination / reply: position
    "TTime" / u32,  # (ms) request: zero / reply: replay length
    "RName" / Text(64),  # zero or replay name - last byte must be zero
)

IS_SSH = cs.Struct(
    "ReqI" / u8,  # request: non-zero / reply: same value returned
    "Error" / u8,  # 0 = OK / other values are SSH_*
    Pad(4),  # Sp0, Sp1, Sp2, Sp3
    "Name" / Text(32),  # name of screenshot file - last byte must be zero
)

IS_BFN = cs.Struct(
    "ReqI" / u8,  # 0
    "SubT" / u8,  # subtype, from BFN_* enumeration
    "UCID" / u8,  # connection to send to or received from (0 = local / 255 = all)
    "ClickID" / u8,  # if SubT is BFN_DEL_BTN: ID of single button to delete or first in range
    "ClickMax" / u8,  # if SubT is BFN_DEL_BTN: ID of last button in range
    "Inst" / u8,  # used internally by InSim
)

IS_BTN = cs.Struct(
    "ReqI" / u8,  # non-zero (returned in IS_BTC and IS_BTT packets)
    "UCID" / u8,  # connection to display the button (0 = local / 255 = all)
    "ClickID" / u8,  # button ID (0 to 239)
    "Inst" / u8,  # some extra flags (INST_*)
    "BStyle" / u8,  # button style flags (ISB_*)
    "TypeIn" / u8,  # max chars to type in
    "L" / u8,  # left: 0 - 200
    "T" / u8,  # top: 0 - 200
    "W" / u8,  # width: 0 - 200
    "H" / u8,  # height: 0 - 200
    "Text" / ButtonText(240),  # 0 to 240 characters of text ("\0caption\0text" for a caption)
)

IS_BTC = cs.Struct(
    "ReqI" / u8,  # ReqI as received in the IS_BTN
    "UCID" / u8,  # connection that clicked the button (zero if local)
    "ClickID" / u8,  # button identifier originally sent in IS_BTN
    "Inst" / u8,  # used internally by InSim
    "CFlags" / u8,  # button click flags (ISB_*)
    Pad(1),  # Sp3
)

IS_BTT = cs.Struct(
    "ReqI" / u8,  # ReqI as received in the IS_BTN
    "UCID" / u8,  # connection that typed into the button (zero if local)
    "ClickID" / u8,  # button identifier originally sent in IS_BTN
    "Inst" / u8,  # used internally by InSim
    "TypeIn" / u8,  # from original button specification
    Pad(1),  # Sp3
    "Text" / Text(96),  # typed text, zero to TypeIn specified in IS_BTN
)

# Filled in below by packet type; the codec reads this table.
BODIES: dict[int, tuple[str, cs.Struct]] = {}


def _register() -> None:
    for isp in ISP:
        body = globals().get(f"IS_{isp.name}")
        if isinstance(body, cs.Struct):
            BODIES[int(isp)] = (f"IS_{isp.name}", body)


_register()

