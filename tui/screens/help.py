"""Every key and action of the UI, grouped by where it works (made from the one table of actions)."""
from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Static

from ..commands import ACTIONS, AREAS
from ..widgets.keys_footer import KeysFooter

MOVING = [
    ("←→↑↓", "Diagram: move the selection between boxes (left/right by layer, up/down within one)"),
    ("Tab / Shift+Tab", "Move between panels (or 1 diagram, 2 library, 3 parameters, 4 results, 5 the sweep "
                        "plot, 6 problems; z zooms the focused panel, Esc returns)"),
    ("Enter", "Library: add the component · Parameters: set the value · Problems: show the box · "
              "Expression: apply it"),
    ("Esc", "Close a dialog without changing anything · leave a text field (the library search, the expression, "
            "which it reverts) · leave a zoomed panel · cancel a sweep · leave the bounds, flow, compare or help "
            "screen"),
    ("Ctrl+P", "Command palette: every action by name, and 'add component <name>'"),
]


def help_table() -> Group:
    """The keys of :data:`~markovwire.tui.commands.ACTIONS`, area by area, then how to move around."""
    parts = []
    sections = [(title, [(" / ".join([a.key_display] + [_k(x) for x in a.key.split(",")[1:]]), a.title, a.help)
                         for a in ACTIONS if a.area == area]) for area, title in AREAS.items()]
    sections.append(("Moving around", [(keys, "", text) for keys, text in MOVING]))
    for title, rows in sections:
        if not rows:
            continue
        table = Table(box=None, padding=(0, 1), show_header=False, expand=True)
        table.add_column(style="bold yellow", no_wrap=True, width=15)
        table.add_column(no_wrap=True, width=22)
        table.add_column(style="dim", ratio=1)
        for row in rows:
            table.add_row(*row)
        parts += [Text(title, "bold underline"), table, Text("")]
    return Group(*parts)


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
        yield KeysFooter()
