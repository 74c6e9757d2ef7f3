"""Session state from hand-built packet sequences: who drove which lap, splits, and why a lap is not clean."""

from __future__ import annotations

from typing import Any

import pytest

from lfs_ayats.packets.constants import CCI, TINY
from lfs_ayats.telemetry import events as E
from lfs_ayats.telemetry.feed import Feed

from . import builders as b

CONTACT_CAR = dict(Info=0, Steer=0, ThrBrk=0, CluHan=0, GearSp=3 << 4, Speed=30, Direction=0, Heading=0, AccelF=0,
                   AccelR=0, X=0, Y=0)
OBJECT_CAR = dict(Direction=0, Heading=0, Speed=20, Zbyte=0, X=0, Y=0)


class Race:
    """A feed with two players (PLID 1 on UCID 1, PLID 2 on UCID 2) and the events it gave."""

    def __init__(self, start: bool = True, requests: list[Any] | None = None) -> None:
        self.events: list[E.Event] = []
        self.feed = Feed([self.events.append], request=None if requests is None else requests.append)
        self.t = 0.0
        self.elapsed = {1: 0, 2: 0}
        self.send(b.ncn(1, "alice", "^1Alice"), b.ncn(2, "bob", "^2Bob"))
        if start:
            self.send(b.npl(1, 1, "^1Alice"), b.npl(2, 2, "^2Bob"), b.rst(laps=10))

    def send(self, *frames: bytes) -> None:
        for frame in frames:
            self.t += 0.01
            self.feed.feed_frame(self.t, frame)

    def drive(self, plid: int, lap_ms: int, laps_done: int, *during: bytes, splits: tuple[int, ...] = ()) -> None:
        """A lap of `lap_ms` with its splits, `during` packets in the middle of it, then IS_LAP."""
        start = self.elapsed[plid]
        self.send(*during)
        for k, split in enumerate(splits, start=1):
            self.send(b.spx(plid, split, start + split, k))
        self.elapsed[plid] = start + lap_ms
        self.send(b.lap(plid, lap_ms, start + lap_ms, laps_done))

    def laps(self, plid: int | None = None) -> list[E.LapCompleted]:
        return [e for e in self.events if isinstance(e, E.LapCompleted) and plid in (None, e.plid)]

    def last_lap(self, plid: int = 1) -> E.LapCompleted:
        return self.laps(plid)[-1]

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


def test_laps_go_to_their_driver_with_exact_times_and_splits() -> None:
    race = Race()
    race.drive(1, 100_000, 1, splits=(30_000, 65_000))
    race.drive(2, 101_500, 1, splits=(30_500, 66_000))
    race.drive(1, 95_000, 2, splits=(29_000, 61_000))
    first, second = race.laps(1)
    assert (first.driver, first.user_name, first.ucid, first.lap, first.lap_time_ms) == ("Alice", "alice", 1, 1,
                                                                                         100_000)
    assert first.splits_ms == (30_000, 65_000) and first.sectors_ms == (30_000, 35_000, 35_000)
    assert first.reasons == ("race_start",) and not first.clean
    assert second.clean and second.reasons == () and second.splits_ms == (29_000, 61_000)
    assert second.elapsed_ms == 195_000 and second.start_ms == 100_000
    bob = race.last_lap(2)
    assert (bob.driver, bob.lap_time_ms, bob.splits_ms) == ("Bob", 101_500, (30_500, 66_000))
    splits = race.of(E.SplitCompleted)
    assert [(s.plid, s.lap, s.split) for s in splits] == [(1, 1, 1), (1, 1, 2), (2, 1, 1), (2, 1, 2), (1, 2, 1),
                                                          (1, 2, 2)]


def test_a_split_missed_or_from_another_lap_is_not_taken() -> None:
    race = Race()
    race.drive(1, 100_000, 1, splits=(30_000,))  # split 2 never arrived
    assert race.last_lap().splits_ms == (30_000, None)
    assert race.last_lap().sectors_ms == (30_000, None, None)
    race.send(b.spx(1, 20_000, 50_000, 1))  # an IS_SPX whose ETime does not fit this lap's start
    race.drive(1, 98_000, 2, splits=(29_500, 64_000))
    assert race.last_lap().splits_ms == (29_500, 64_000)


@pytest.mark.parametrize(("during", "reason"), [
    ([b.frame("IS_HLV", PLID=1, HLVC=0, Time=1, C=OBJECT_CAR)], "hlv"),
    ([b.frame("IS_CON", SpClose=40, Time=1, A=dict(PLID=1, **CONTACT_CAR), B=dict(PLID=2, **CONTACT_CAR))],
     "contact"),
    ([b.frame("IS_OBH", PLID=1, SpClose=30, Time=1, C=OBJECT_CAR, OBHFlags=0)], "object_hit"),
    ([b.frame("IS_PEN", PLID=1, OldPen=0, NewPen=1, Reason=3)], "penalty"),
    ([b.frame("IS_PEN", PLID=1, OldPen=0, NewPen=6, Reason=4)], "penalty"),
    ([b.frame("IS_FLG", PLID=1, OffOn=1, Flag=2, CarBehind=0), b.frame("IS_FLG", PLID=1, OffOn=0, Flag=2,
                                                                        CarBehind=0)], "yellow_flag"),
    ([b.frame("IS_PLA", PLID=1, Fact=1)], "in_lap"),
    ([b.frame("IS_PLA", PLID=1, Fact=3), b.frame("IS_PLA", PLID=1, Fact=0)], "out_lap"),
    ([b.frame("IS_PIT", PLID=1, LapsDone=1, Tyres=[255] * 4, Work=2)], "pit"),
])
def test_each_insim_incident_makes_its_lap_not_clean(during: list[bytes], reason: str) -> None:
    race = Race()
    race.drive(1, 100_000, 1)
    race.drive(1, 100_000, 2, *during)
    lap = race.last_lap()
    assert reason in lap.reasons and not lap.clean and lap.notes
    race.drive(1, 100_000, 3)
    if reason not in ("in_lap",):  # an in lap ends in the pit lane: the next lap is an out lap
        assert race.last_lap().clean


def test_a_contact_marks_both_cars_and_says_where() -> None:
    race = Race()
    race.send(b.mci(b.car(1, node=150), b.car(2, node=149)))
    race.drive(2, 100_000, 1)
    race.drive(1, 100_000, 1, b.frame("IS_CON", SpClose=58, Time=1, A=dict(PLID=1, **CONTACT_CAR),
                                      B=dict(PLID=2, **CONTACT_CAR)))
    race.drive(2, 100_000, 2)
    assert "contact" in race.last_lap(1).reasons and "contact" in race.last_lap(2).reasons
    assert "contact with PLID 2, 5.8 m/s closing" in race.last_lap(1).notes[-1]


def test_a_served_penalty_is_not_a_new_one() -> None:
    race = Race()
    race.drive(1, 100_000, 1)
    race.drive(1, 100_000, 2, b.frame("IS_PEN", PLID=1, OldPen=1, NewPen=2, Reason=3),
               b.frame("IS_PEN", PLID=1, OldPen=2, NewPen=0, Reason=0))
    assert race.last_lap().clean


def test_in_lap_then_out_lap_with_a_stop() -> None:
    race = Race()
    race.drive(1, 100_000, 1)
    race.drive(1, 104_000, 2, b.frame("IS_PLA", PLID=1, Fact=1))  # the lap ends in the pit lane
    assert race.last_lap().reasons == ("in_lap",)
    race.drive(1, 130_000, 3, b.frame("IS_PIT", PLID=1, LapsDone=2, Tyres=[255] * 4, Work=2),
               b.frame("IS_PSF", PLID=1, STime=20_000), b.frame("IS_PLA", PLID=1, Fact=0))
    assert race.last_lap().reasons == ("out_lap", "pit")
    race.drive(1, 100_000, 4)
    assert race.last_lap().clean


def test_107_percent_at_the_line_and_again_when_a_better_lap_comes() -> None:
    race = Race()
    race.drive(1, 110_000, 1)  # race start
    race.drive(1, 100_000, 2)
    race.drive(1, 106_000, 3)  # within 107 % of 100 s
    race.drive(1, 108_000, 4)
    assert [lap.clean for lap in race.laps(1)] == [False, True, True, False]
    assert race.last_lap().reasons == ("slow",) and "1:40.000" in race.last_lap().notes[0]
    race.drive(1, 98_000, 5)  # 1.07 x 98 s = 104.86 s: lap 3 becomes slow
    (changed,) = race.of(E.LapReclassified)
    assert (changed.plid, changed.lap, changed.clean, changed.reasons) == (1, 3, False, ("slow",))
    assert race.last_lap().best_lap_ms == 98_000 and race.feed.session.laps.best_ms(1) == 98_000


def test_a_lap_with_an_incident_is_not_the_reference_for_107_percent() -> None:
    race = Race()
    race.drive(1, 110_000, 1)
    race.drive(1, 80_000, 2, b.frame("IS_HLV", PLID=1, HLVC=0, Time=1, C=OBJECT_CAR))  # a cut
    race.drive(1, 100_000, 3)
    assert race.last_lap().clean and race.last_lap().best_lap_ms == 100_000


def test_a_client_joining_mid_race_gives_every_lap_to_the_right_driver() -> None:
    requests: list[Any] = []
    race = Race(start=False, requests=requests)
    # What our client asks for on connecting: the replies carry ReqI.
    race.send(b.rst(reqi=5), b.npl(2, 2, "^2Bob", reqi=4), b.npl(1, 1, "^1Alice", reqi=4))
    race.elapsed = {1: 300_000, 2: 301_000}
    race.drive(1, 100_000, 3, splits=(31_000, 66_000))
    race.drive(2, 100_000, 3)
    race.drive(1, 100_000, 4, splits=(31_000, 66_000))
    first, second = race.laps(1)
    assert (first.driver, first.lap, first.reasons) == ("Alice", 3, ("partial",))  # we did not see it begin
    assert first.splits_ms == (31_000, 66_000)
    assert (second.driver, second.lap, second.clean) == ("Alice", 4, True)
    assert race.last_lap(2).driver == "Bob"
    assert not requests  # every PLID was known


def test_unknown_players_laps_are_kept_and_the_feed_asks_lfs_who_they_are() -> None:
    requests: list[Any] = []
    race = Race(start=False, requests=requests)
    race.send(b.lap(9, 100_000, 400_000, 4))
    (lap,) = race.laps(9)
    assert (lap.plid, lap.driver, lap.lap_time_ms) == (9, "", 100_000)
    assert len(requests) == 1 and requests[0].SubT == TINY.NPL and requests[0].ReqI != 0
    race.send(b.lap(9, 100_000, 500_000, 5))
    assert len(requests) == 1  # not again at once
    race.send(b.npl(9, 1, "^1Alice", reqi=250))
    race.send(b.lap(9, 100_000, 600_000, 6))
    assert race.last_lap(9).driver == "Alice"


def test_renames_and_takeovers() -> None:
    race = Race()
    race.drive(1, 100_000, 1)
    race.send(b.frame("IS_CPR", UCID=1, PName="^1Alicia", Plate="NEW"))
    race.drive(1, 100_000, 2)
    assert race.last_lap().driver == "Alicia"
    race.send(b.ncn(3, "carol", "Carol"), b.frame("IS_TOC", PLID=1, OldUCID=1, NewUCID=3))
    (toc,) = race.of(E.PlayerTookOver)
    assert toc.name == "Carol"
    race.drive(1, 100_000, 3)
    lap = race.last_lap()
    assert (lap.plid, lap.ucid, lap.driver, lap.user_name) == (1, 3, "Carol", "carol")


def test_the_race_start_npls_of_known_players_are_not_pit_exits() -> None:
    # The simulator (like a restart) announces every player again after IS_RST.
    race = Race(start=False)
    race.send(b.npl(1, 1, "^1Alice", reqi=4), b.npl(2, 2, "^2Bob", reqi=4))
    race.send(b.rst(laps=5), b.npl(1, 1, "^1Alice"), b.npl(2, 2, "^2Bob"))
    assert not any(p.rejoin for p in race.of(E.PlayerJoined))
    race.drive(1, 100_000, 1)
    assert race.last_lap().reasons == ("race_start",)


def test_leaving_the_garage_is_untimed_until_the_line() -> None:
    race = Race()
    race.drive(1, 100_000, 1)
    race.send(b.frame("IS_PLP", PLID=1), b.npl(1, 1, "^1Alice"))
    assert race.of(E.PlayerJoined)[-1].rejoin
    race.send(b.frame("IS_PLA", PLID=1, Fact=0))  # leaves the pit lane on the way to the line
    race.send(b.mci(b.car(1, node=b.FINISH - 3, lap=1)), b.mci(b.car(1, node=b.FINISH + 2, lap=1)))  # the line
    race.elapsed[1] = 300_000
    race.drive(1, 100_000, 2)
    assert race.last_lap().clean  # a flying lap: the pit exit was before timing started


def test_without_positions_a_garage_exit_counts_against_the_first_lap() -> None:
    race = Race()
    race.send(b.frame("IS_PLP", PLID=1), b.npl(1, 1, "^1Alice"), b.frame("IS_PLA", PLID=1, Fact=0))
    race.drive(1, 100_000, 1)
    assert "out_lap" in race.last_lap().reasons and "partial" not in race.last_lap().reasons


def test_qualifying_starts_in_the_garage_and_has_no_race_start_lap() -> None:
    race = Race(start=False)
    race.send(b.npl(1, 1, "^1Alice"), b.rst(laps=0, qual=20))
    race.send(b.mci(b.car(1, node=b.FINISH - 2, lap=0)), b.mci(b.car(1, node=b.FINISH + 1, lap=1)))
    race.elapsed[1] = 60_000
    race.drive(1, 100_000, 1)
    assert race.last_lap().clean


def test_a_gap_in_the_stream_makes_the_laps_in_progress_partial() -> None:
    race = Race()
    race.drive(1, 100_000, 1)
    race.feed.gap(None, "link lost")
    race.drive(1, 100_000, 2)
    race.drive(1, 100_000, 3)
    assert [lap.reasons for lap in race.laps(1)] == [("race_start",), ("partial",), ()]
    assert race.of(E.FeedGap)[0].reason == "link lost"


def test_yellow_flags_for_the_car_causing_one_and_a_car_passing_it() -> None:
    race = Race()
    race.send(b.mci(b.car(1, node=150), b.car(2, node=140)))
    race.send(b.mci(b.car(1, node=151, info=CCI.YELLOW), b.car(2, node=146)))
    race.send(b.mci(b.car(1, node=151, info=CCI.YELLOW), b.car(2, node=153)))  # Bob passes the spun car
    race.send(b.mci(b.car(1, node=152), b.car(2, node=160)))
    race.drive(1, 100_000, 1)
    race.drive(2, 100_000, 1)
    race.drive(1, 100_000, 2)
    race.drive(2, 100_000, 2)
    assert "caused a yellow" in race.laps(1)[0].notes  # (no track length known: no "at ... m")
    assert race.laps(1)[0].reasons == ("race_start", "yellow_flag")
    assert race.laps(2)[0].reasons == ("race_start", "yellow_flag")
    assert any("passed PLID 1" in note for note in race.laps(2)[0].notes)
    assert race.laps(1)[1].clean and race.laps(2)[1].clean


def test_the_first_finisher_ends_the_race() -> None:
    race = Race()
    fin = b.frame("IS_FIN", PLID=2, TTime=1000, BTime=90, LapsDone=10, Confirm=2)
    race.send(fin, b.frame("IS_FIN", PLID=1, TTime=1200, BTime=90, LapsDone=10, Confirm=2))
    (finished,) = race.of(E.RaceFinished)
    assert finished.winner_plid == 2 and len(race.of(E.CarFinished)) == 2


def test_the_viewed_player_gets_the_outsim_samples() -> None:
    race = Race()
    race.send(b.frame("IS_STA", ViewPLID=2, RaceInProg=1, RaceLaps=10, Track="BL1"))
    (view,) = race.of(E.ViewChanged)
    assert view.plid == 2
    race.feed.feed_outsim(1.0, b.outsim2(100.0))
    assert race.of(E.MotionSample)[0].plid == 2
    race.feed.feed_outgauge(1.1, b.outgauge(plid=1))
    assert race.of(E.ViewChanged)[-1].plid == 1 and race.feed.session.view_plid == 1


def test_players_leaving() -> None:
    race = Race()
    race.send(b.frame("IS_PLL", PLID=2), b.frame("IS_CNL", UCID=2, Reason=0, Total=2))
    session = race.feed.session
    assert 2 not in session.players and session.driver_name(2) == "Bob"  # late packets still find a name
    assert 2 not in session.connections and session.player(2) is not None
