"""The help screen lists the app's own keys, grouped by where they work, and none of Textual's."""

from __future__ import annotations

from textual.binding import Binding

from lfs_ayats.ui.app import LfsAyatsApp
from lfs_ayats.ui.screens.help import help_groups


def test_the_keys_are_grouped_by_screen_with_the_current_one_first() -> None:
    app_groups, screens = help_groups(LfsAyatsApp.BINDINGS, LfsAyatsApp.ACTIONS, LfsAyatsApp.MODES, "laps")
    assert [g.title for g in app_groups] == ["Everywhere", "Replay (lfs-ayats replay FILE)"]
    assert screens[0].title == "Laps — this screen"
    assert [g.title for g in screens[1:]] == ["Live", "Sessions", "Compare", "Anomalies"]
    replay = {b.action for b in app_groups[1].bindings}
    assert replay == {"pause", "seek(-10)", "seek(10)", "speed(-1)", "speed(1)", "next_lap", "next_incident"}
    listed = [b.action for g in (*app_groups, *screens) for b in g.bindings]
    app_actions = [b.action for b in LfsAyatsApp.BINDINGS if isinstance(b, Binding)]
    assert set(app_actions) <= set(listed) and all(app_actions.count(a) == 1 for a in app_actions)
    for name, screen in LfsAyatsApp.MODES.items():  # every screen's keys, under that screen's name
        group = next(g for g in screens if g.title.split(" — ")[0] == name.capitalize())
        assert [b.action for b in group.bindings] == [b.action for b in screen.BINDINGS]  # type: ignore[union-attr]
    assert not {"focus_next", "focus_previous", "copy_text", "screen.copy_text"} & set(listed)
