"""The help screen: every key and every command, from the bindings themselves."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,f1,q", "dismiss", "Close")]

    def __init__(self, actions: tuple[tuple[str, str, str], ...], active: dict[str, Any]) -> None:
        super().__init__()
        self.actions = actions
        self.active = active

    def compose(self) -> ComposeResult:
        keys = Table(title="Keys", box=None, padding=(0, 2), title_style="bold", expand=True)
        keys.add_column("Key", style="bold cyan", no_wrap=True)
        keys.add_column("Does")
        seen = set()
        for _key, active in self.active.items():
            binding = active.binding
            if binding.action in seen or not binding.description:
                continue
            seen.add(binding.action)
            same = [k for k, a in self.active.items() if a.binding.action == binding.action]
            keys.add_row(" ".join(self.app.get_key_display(Binding(k, "")) for k in same), binding.description)
        keys.add_row("ctrl+p", "Command palette: every action by name")
        commands = Table(title="Commands (ctrl+p)", box=None, padding=(0, 2), title_style="bold", expand=True)
        commands.add_column("Command", style="bold", no_wrap=True)
        commands.add_column("What it does")
        for _, title, helptext in self.actions:
            commands.add_row(title, helptext)
        with VerticalScroll(id="help-body"):
            yield Static("lfs-ayats — help   (escape closes)", classes="screen-title")
            yield Static(keys)
            yield Static(commands)
