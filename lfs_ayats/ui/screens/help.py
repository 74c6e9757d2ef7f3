"""The help screen: the app's own keys, grouped: everywhere, replay, then each screen (this one first).

Built from the bindings themselves (the app's and each screen's `BINDINGS`), so it cannot drift from
what the keys do; Textual's own keys (focus, copy) are left out: they are not the app's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

PALETTE = Binding("ctrl+p", "command_palette", "Command palette: any action by name")


@dataclass
class KeyGroup:
    title: str
    bindings: list[Binding]


def _bindings(items: Iterable[Any]) -> list[Binding]:
    return [b if isinstance(b, Binding) else Binding(*b) for b in items]


def help_groups(app_bindings: Iterable[Any], actions: Iterable[tuple[str, str, str]], modes: Mapping[str, Any],
                current: str) -> tuple[list[KeyGroup], list[KeyGroup]]:
    """(app-wide groups, one group per screen with `current` first): what the help screen lists."""
    replay = {action for action, title, _ in actions if title.startswith("Replay:")}
    bindings = _bindings(app_bindings)
    app_groups = [KeyGroup("Everywhere", [*(b for b in bindings if b.action not in replay), PALETTE]),
                  KeyGroup("Replay (lfs-ayats replay FILE)", [b for b in bindings if b.action in replay])]
    order = sorted(modes, key=lambda name: name != current)  # stable: the rest keep the app's order
    screens = [KeyGroup(name.capitalize() + (" — this screen" if name == current else ""),
                        _bindings(getattr(modes[name], "BINDINGS", ()))) for name in order]
    return app_groups, [g for g in screens if g.bindings]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,f1,q", "dismiss", "Close")]

    def __init__(self, app_groups: list[KeyGroup], screen_groups: list[KeyGroup]) -> None:
        super().__init__()
        self.app_groups = app_groups
        self.screen_groups = screen_groups

    def _keys(self, binding: Binding) -> str:
        return " ".join(self.app.get_key_display(Binding(key.strip(), "")) for key in binding.key.split(","))

    def _table(self, group: KeyGroup) -> Table:
        table = Table(title=group.title, title_justify="left", title_style="bold", box=None, padding=(0, 1),
                      show_header=False, expand=True)
        table.add_column("key", style="bold cyan", no_wrap=True, min_width=9)
        table.add_column("does", ratio=1)
        for binding in group.bindings:
            table.add_row(self._keys(binding), binding.description)
        return table

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static("lfs-ayats — keys   (escape closes)", classes="screen-title")
            with Horizontal(id="help-columns"):
                with Vertical(classes="help-column"):
                    for group in self.app_groups:
                        yield Static(self._table(group), classes="help-group")
                with Vertical(classes="help-column"):
                    for group in self.screen_groups:
                        yield Static(self._table(group), classes="help-group")
