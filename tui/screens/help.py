"""Every key and action of the UI, grouped by where it works (made from the one table of actions)."""
from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from ..commands import ACTIONS, AREAS

MOVING = [
    ("←→↑↓", "Diagram: move the selection between boxes (left/right by layer, up/down within one)"),
    ("Tab / Shift+Tab", "Move between panels (or 1 diagram, 2 library, 3 parameters, 4 results, 5 problems)"),
    ("Enter", "Library: add the component · Parameters: set the value · Problems: show the box · "
              "Expression: apply it"),
    ("Esc", "Close a dialog without changing anything · revert the expression · cancel a sweep"),
    ("Ctrl+P", "Command palette: every action by name, and 'add component <name>'"),
]


def help_table() -> Table:
    """The keys of :data:`~markovwire.tui.commands.ACTIONS` as a table, area by area."""
    table = Table(box=None, padding=(0, 2), show_header=False, expand=False)
    table.add_column(style="bold yellow", no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(style="dim")
    for area, title in AREAS.items():
        rows = [a for a in ACTIONS if a.area == area]
        if not rows:
            continue
        table.add_row(Text(title, "bold underline"), "", "")
        for a in rows:
            keys = " / ".join(k for k in (a.key_display, *[_k(x) for x in a.key.split(",")[1:]]))
            table.add_row(keys, a.title, a.help)
        table.add_row("", "", "")
    table.add_row(Text("Moving around", "bold underline"), "", "")
    for keys, text in MOVING:
        table.add_row(keys, "", text)
    return table


def _k(key: str) -> str:
    return {"delete": "del"}.get(key, key)


class HelpScreen(Screen):
    """The help screen; Escape, q or F1 closes it."""

    BINDINGS = [Binding("escape,q,f1", "app.pop_screen", "Close help")]

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="help"):
            yield Static(Text("markovwire: compose proposals from typed components and read exact numbers off them. "
                              "Every change is checked at once; numbers update as you edit; "
                              "Ctrl+Z undoes anything.", "italic"), id="help-intro")
            yield Static(help_table(), id="help-table")
        yield Footer()
