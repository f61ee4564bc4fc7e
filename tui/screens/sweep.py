"""Set up a sweep: a parameter, a range within its domain and a number of points."""
from __future__ import annotations

from typing import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Static

from markovwire.errors import ParameterError

from .dialog import Dialog


class SweepScreen(Dialog[str]):
    """Returns the swept parameter's name; ``apply(name, start, stop, count)`` sets the sweep."""

    def __init__(self, parameter, current, apply: Callable[[str, float, float, int], object]):
        super().__init__()
        self.parameter, self.current, self.apply = parameter, current, apply

    def compose(self) -> ComposeResult:
        p = self.parameter
        lo, hi = p.domain
        if self.current is not None and self.current.parameter == p.name:
            start, stop, count = self.current.start, self.current.stop, self.current.count
        else:
            start, stop = lo, hi
            count = int(min(hi - lo + 1, 21)) if p.integer else 21
        with Vertical(classes="dialog"):
            yield Label(f"Sweep {p.name}", classes="dialog-title")
            yield Static(Text.assemble(("domain ", "dim"), (p._fmt_domain(), "bold"),
                                       ("   the queries are plotted against it; this replaces the sweep there was",
                                        "dim")), classes="dialog-note")
            with Horizontal(classes="dialog-row"):
                yield Label("from", classes="dialog-field")
                yield Input(f"{start:g}", id="sweep-start")
                yield Label("to", classes="dialog-field")
                yield Input(f"{stop:g}", id="sweep-stop")
                yield Label("points", classes="dialog-field")
                yield Input(str(count), id="sweep-count")
            yield self.error_line()
            yield Static("Enter: sweep   Tab: next field   Esc: cancel", classes="dialog-keys")

    def on_mount(self) -> None:
        self.query_one("#sweep-start", Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        values = [self.query_one(f"#sweep-{k}", Input).value.strip() for k in ("start", "stop", "count")]

        def run():
            try:
                start, stop = float(values[0]), float(values[1])
            except ValueError:
                raise ParameterError(f"sweep of {self.parameter.name!r}", "the range is not two numbers",
                                     fix="write numbers such as 0 and 0.05") from None
            if not values[2].isdigit():
                raise ParameterError(f"sweep of {self.parameter.name!r}", f"{values[2]!r} points",
                                     fix="give a whole number of points, 2 to 2000")
            self.apply(self.parameter.name, start, stop, int(values[2]))

        if self.attempt(run):
            self.dismiss(self.parameter.name)
