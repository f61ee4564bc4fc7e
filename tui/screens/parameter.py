"""Set a parameter: its domain and meaning are shown; a value outside the domain is refused."""
from __future__ import annotations

from typing import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from .dialog import Dialog


class ParameterScreen(Dialog[str]):
    """Returns the value as typed (a number, or a constant such as ``71/18000``); ``apply`` sets it."""

    def __init__(self, parameter, written, apply: Callable[[str], object]):
        super().__init__()
        self.parameter, self.written, self.apply = parameter, written, apply

    def compose(self) -> ComposeResult:
        p = self.parameter
        current = "" if p.default is None else (self.written if isinstance(self.written, str) else f"{p.default:g}")
        kind = "a whole number" if p.integer else "a number or a constant such as 71/18000"
        with Vertical(classes="dialog"):
            yield Label(f"Set {p.name}", classes="dialog-title")
            yield Static(Text.assemble(("domain ", "dim"), (p._fmt_domain(), "bold"), (f"   {kind}", "dim")),
                         classes="dialog-note")
            if p.doc:
                yield Static(Text(p.doc.strip(), "dim"), classes="dialog-note")
            yield Input(current, id="parameter-input")
            yield self.error_line()
            yield Static("Enter: set   Esc: keep the old value", classes="dialog-keys")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.attempt(lambda: self.apply(event.value)):
            self.dismiss(event.value.strip())
