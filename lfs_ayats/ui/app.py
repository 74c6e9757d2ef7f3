"""The app: one factory (`make_app`) for the CLI, the tests and the screenshots; bindings; the UI clock.

The clock (10 Hz by default, `ui.refresh_hz`) is the only thing that reads the telemetry source:
each tick copies what the visible screen draws under the source's lock, lets go, then draws. Only
the visible screen is fed, so hidden screens cost nothing. Queries, analysis and exports run in
thread workers that post messages (`messages.py`); nothing here blocks on the database.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from textual import work
from textual.app import App, ScreenStackError, SystemCommand
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from lfs_ayats.telemetry.live import Source

from . import data
from .messages import ExportWritten, LapsChanged
from .predictor import Predictions
from .screens.anomalies import AnomaliesScreen
from .screens.compare import CompareScreen
from .screens.help import HelpScreen, help_groups
from .screens.laps import LapsScreen
from .screens.live import LiveScreen
from .screens.sessions import SessionsScreen
from .view import packet_totals, take_live_view
from .widgets.replay_bar import ReplayBar
from .widgets.status import StatusBar

LFS_HINT = ("LFS is not answering on {where}. Start LFS and type  /insim {port}  in its chat "
            "(or set insim.port). Retrying; stored sessions are on key 2.")


class LfsAyatsApp(App[None]):
    """lfs-ayats: live telemetry, stored sessions, laps, comparison and anomalies."""

    CSS_PATH = "app.tcss"
    TITLE = "lfs-ayats"
    MODES = {"live": LiveScreen, "sessions": SessionsScreen, "laps": LapsScreen, "compare": CompareScreen,
             "anomalies": AnomaliesScreen}
    BINDINGS = [
        Binding("1", "show('live')", "Live"),
        Binding("2", "show('sessions')", "Sessions"),
        Binding("3", "show('laps')", "Laps"),
        Binding("4", "show('compare')", "Compare"),
        Binding("5", "show('anomalies')", "Anomalies"),
        Binding("e", "export", "Export"),
        Binding("question_mark,f1", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
        Binding("space", "pause", "Play/pause", show=False),
        Binding("left", "seek(-10)", "Back 10 s", show=False),
        Binding("right", "seek(10)", "On 10 s", show=False),
        Binding("minus", "speed(-1)", "Slower", show=False),
        Binding("plus,equals_sign", "speed(1)", "Faster", show=False),
        Binding("n", "next_lap", "Next lap", show=False),
        Binding("i", "next_incident", "Next incident", show=False),
    ]
    # Every action, for the command palette and the help screen: (action, title, help).
    ACTIONS = (
        ("show('live')", "Live", "The viewed car, the timing tower and the events"),
        ("show('sessions')", "Sessions", "Stored sessions: filter, open into Laps or Compare"),
        ("show('laps')", "Laps", "Lap tables, sectors, theoretical best; pick laps to compare"),
        ("show('compare')", "Compare", "Two or more laps against distance, Δt, corners, track map"),
        ("show('anomalies')", "Anomalies", "What looks wrong in the session, and where"),
        ("export", "Export", "Write the current view's data to the export folder"),
        ("help", "Help", "The keys"),
        ("pause", "Replay: play/pause", "Pause or resume the replay"),
        ("seek(-10)", "Replay: back 10 s", "Seek ten seconds back"),
        ("seek(10)", "Replay: on 10 s", "Seek ten seconds on"),
        ("speed(-1)", "Replay: slower", "Down to 0.1x"),
        ("speed(1)", "Replay: faster", "Up to 16x"),
        ("next_lap", "Replay: next lap", "To the viewed car's next lap"),
        ("next_incident", "Replay: next incident", "To the next contact, object hit or hotlap violation"),
    )

    def __init__(self, settings: Any, source: Source | None = None, store: Any = None, *,
                 database: str = "", frozen: bool = False, start_mode: str | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.source = source
        self.store = store
        self.database = database
        self.frozen = frozen  # snapshots: no wall-clock rates, no animation
        self.source_kind = source.kind if source is not None else ""
        self.hz = int(settings["ui.refresh_hz"])
        self.selection = data.Selection()
        self.follow = 0
        self.predictions = Predictions()
        self._rpm_max = 0.0
        self._laps_seen = -1
        self._link_noted = False
        self._all_time_key: tuple[int, str] | None = None  # (standings, track) the asked cars belong to
        self._all_time_asked: set[str] = set()
        self._rates: dict[str, float] = {}
        self._previous: tuple[float, dict[str, int]] | None = None
        self._start_mode = start_mode or ("live" if source is not None else "sessions")
        self.frame_started: list[float] = []  # perf_counter() at each tick (benchmarks)
        self.frame_seconds: list[float] = []  # cost of each tick
        self.shown_arrival: list[float] = []  # when the newest frame drawn arrived (latency benchmarks)
        self.record_frames = False
        theme = settings["ui.theme"]
        if theme in self.available_themes:
            self.theme = theme

    # -- start-up ----------------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.switch_mode(self._start_mode)
        self.set_interval(1.0 / self.hz, self.tick, name="ui clock")

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for action, title, helptext in self.ACTIONS:
            yield SystemCommand(title, helptext, lambda a=action: self.run_action(a))  # type: ignore[misc]

    # -- the clock ---------------------------------------------------------------------------------

    def tick(self) -> None:
        started = time.perf_counter()
        source = self.source
        try:
            screen = self.screen
        except ScreenStackError:  # starting up or shutting down
            return
        if source is None:
            self._status(screen, None, 0)
            return
        if not source.lock.acquire(timeout=0.02):  # a seek is swapping the feed: skip a frame, never wait
            return
        try:
            status = source.status()
            packets = packet_totals(source.feed.counters.packets)
            dropped = source.feed.drops
            laps_seen = source.standings.laps_seen
            view = (take_live_view(source, self.follow, self._rpm_max, self.predictions)
                    if isinstance(screen, LiveScreen) else None)
            arrival = source.newest_arrival
            wanted = self._all_time_wanted(source)
        finally:
            source.lock.release()
        for track, car in wanted:
            self._load_all_time(source, source.standings, track, car)
        self._rate(packets)
        try:
            if view is not None:
                self._rpm_max = view.rpm_max
                assert isinstance(screen, LiveScreen)
                screen.on_clock(view)
                screen.show_notice(self._notice(status, view))
            if status.kind == "replay":
                for bar in screen.query(ReplayBar):
                    bar.show(status)
            self._status(screen, status, dropped)
            self._follow_link(status)
        except NoMatches:  # the screen is still being composed: the next tick draws it
            return
        if laps_seen != self._laps_seen:
            if self._laps_seen >= 0:
                self.post_message(LapsChanged(laps_seen - self._laps_seen))
            self._laps_seen = laps_seen
        if self.record_frames:
            self.frame_started.append(started)
            self.frame_seconds.append(time.perf_counter() - started)
            self.shown_arrival.append(arrival)

    def _follow_link(self, status: Any) -> None:
        """LFS absent at start: show the stored sessions meanwhile; say so when it answers."""
        if status.kind != "live" or self.frozen:
            return
        if status.state in ("lost", "retrying", "refused") and not self._link_noted:
            self._link_noted = True
            port = status.where.rpartition(":")[2]
            self.notify(f"LFS is not answering on {status.where}: in LFS type /insim {port}. Retrying; "
                        "meanwhile, the stored sessions.", title="No LFS", severity="warning", timeout=12)
            if self.current_mode == "live" and self.store is not None:
                self.switch_mode("sessions")
        elif status.state == "connected" and self._link_noted:
            self._link_noted = False
            self.notify(f"Connected to {status.detail or 'LFS'}: press 1 for the live view.", title="LFS",
                        timeout=8)

    def _notice(self, status: Any, view: Any) -> str:
        if status.kind == "live" and status.state != "connected":
            port = status.where.rpartition(":")[2]
            text = LFS_HINT.format(where=status.where, port=port)
            if status.detail:
                text += f"\n{status.detail}"
            return text + "".join(f"\n{p}" for p in status.problems)
        if status.kind == "live" and status.problems:
            return "\n".join(status.problems)
        if not view.rows and status.kind == "live":
            return "Connected: waiting for LFS to report the players (join a race or a replay)."
        return ""

    def _rate(self, packets: dict[str, int]) -> None:
        if self.frozen:
            return
        now = time.monotonic()
        if self._previous is None:
            self._previous = (now, packets)
            return
        then, before = self._previous
        if now - then >= 1.0:
            self._rates = {k: (packets[k] - before.get(k, 0)) / (now - then) for k in packets}
            self._previous = (now, packets)

    def _all_time_wanted(self, source: Source) -> list[tuple[str, str]]:
        """The (track, car) pairs whose stored all-time best the standings were not given yet (lock held)."""
        standings, track = source.standings, source.feed.session.track
        if self.store is None or not track:
            return []
        key = (id(standings), track)  # a new session, track or replay seek starts over
        if key != self._all_time_key:
            self._all_time_key, self._all_time_asked = key, set()
            standings.all_time.clear()
        cars = {p.car for p in source.feed.session.players.values() if p.car} - self._all_time_asked
        self._all_time_asked |= cars
        return [(track, car) for car in sorted(cars)]

    @work(thread=True, group="all-time", exit_on_error=False)
    def _load_all_time(self, source: Source, standings: Any, track: str, car: str) -> None:
        ref = data.all_time_reference(self.store, track, car)
        if ref is None:
            return
        with source.lock:
            if source.standings is standings:
                standings.all_time[car] = ref

    def _status(self, screen: Screen[Any], status: Any, dropped: int) -> None:
        for bar in screen.query(StatusBar):
            bar.show(status, self._rates, dropped, self.database, self.hz)

    # -- actions -----------------------------------------------------------------------------------

    def action_show(self, mode: str) -> None:
        if self.current_mode != mode:
            self.switch_mode(mode)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(*help_groups(self.BINDINGS, self.ACTIONS, self.MODES, self.current_mode)))

    def _replay(self) -> Any:
        source = self.source
        if source is None or source.kind != "replay":
            self.notify("Replay controls work in 'lfs-ayats replay FILE'.", severity="warning")
            return None
        return source

    def action_pause(self) -> None:
        if (source := self._replay()) is not None:
            source.toggle_pause()

    def action_seek(self, seconds: float) -> None:
        if (source := self._replay()) is not None:
            source.seek_by(float(seconds))

    def action_speed(self, direction: int) -> None:
        if (source := self._replay()) is not None:
            (source.faster if direction > 0 else source.slower)()

    def action_next_lap(self) -> None:
        if (source := self._replay()) is not None:
            source.next_lap()

    def action_next_incident(self) -> None:
        if (source := self._replay()) is not None:
            source.next_incident()

    def action_export(self) -> None:
        request = getattr(self.screen, "export_request", None)
        job = request() if request is not None else None
        if job is None:
            self.notify("Nothing to export here yet.", severity="warning")
            return
        self.export(job)

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def export(self, job: data.ExportJob) -> None:
        paths = data.run_export(job, self.store, self.settings)
        self.post_message(ExportWritten(paths[0], job.what, len(paths)))

    def on_export_written(self, message: ExportWritten) -> None:
        more = f" (and {message.files - 1} more files beside it, one per table)" if message.files > 1 else ""
        self.notify(f"Exported {message.what} to {message.path}{more}", title="Export", timeout=8)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker errors surface: a notification, never a crash."""
        if event.state is WorkerState.ERROR:
            error = event.worker.error
            self.notify(f"{event.worker.name or event.worker.group}: {error}", title="Something failed",
                        severity="error", timeout=10)


def make_app(settings: Any, source: Source | None = None, store: Any = None, *, database: str = "",
             frozen: bool = False, start_mode: str | None = None) -> LfsAyatsApp:
    """The app, given its settings, an (already started) telemetry source and a store engine.

    `source` None: stored sessions only. `store` None: no database (the stored-session screens say so).
    `frozen`: deterministic output for snapshots (no wall-clock packet rates).
    """
    return LfsAyatsApp(settings, source, store, database=database, frozen=frozen, start_mode=start_mode)


def default_export_folder(settings: Any) -> Path:
    from lfs_ayats import paths

    folder = settings["export.folder"]
    return Path(folder).expanduser() if folder else paths.exports_dir()
