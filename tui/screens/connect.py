"""Connect two ports: the type-compatible wires are listed; a wire can also be typed."""
from __future__ import annotations

from typing import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from .dialog import Dialog


class ConnectScreen(Dialog[str]):
    """Lists ``(source, target, type)`` candidates; returns the wire made as ``source -> target``.

    ``apply(text)`` makes the wire from ``box.port -> box.port`` text; a wire between
    ports of different types, or to a port that does not exist, is refused here.
    """

    def __init__(self, box: str | None, candidates: list[tuple[str, str, str]], apply: Callable[[str], object]):
        super().__init__()
        self.box, self.candidates, self.apply = box, candidates, apply

    def compose(self) -> ComposeResult:
        title = f"Connect {self.box}" if self.box else "Connect two ports"
        with Vertical(classes="dialog wide"):
            yield Label(title, classes="dialog-title")
            if self.candidates:
                yield Static("Wires that fit (open inputs of the same type):", classes="dialog-note")
                yield OptionList(*[Option(Text.assemble((s, "bold"), "  →  ", (t, "bold"), (f"   {ty}", "cyan")),
                                          id=f"{s} -> {t}") for s, t, ty in self.candidates], id="connect-list")
            else:
                yield Static("No open input of a matching type" + (f" at or from {self.box}" if self.box else "")
                             + ". Expose a port (e) or add a component (a).", classes="dialog-note")
            yield Label("or type a wire", classes="dialog-field")
            yield Input(placeholder="box.port -> box.port   (in.x, out.y for outer ports)", id="connect-input")
            yield self.error_line()
            yield Static("Enter: connect   Tab: next field   Esc: cancel", classes="dialog-keys")

    def on_mount(self) -> None:
        if self.candidates:
            self.query_one("#connect-list", OptionList).focus()
        else:
            self.query_one("#connect-input", Input).focus()

    @on(OptionList.OptionSelected, "#connect-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._make(event.option.id)

    @on(Input.Submitted, "#connect-input")
    def _typed(self, event: Input.Submitted) -> None:
        self._make(event.value)

    def _make(self, text: str) -> None:
        if self.attempt(lambda: self.apply(text)):
            self.dismiss(text)
