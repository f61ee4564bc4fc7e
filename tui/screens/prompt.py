"""A question with one line of text for an answer (a name, a path, a number of steps)."""
from __future__ import annotations

from typing import Callable

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from .dialog import Dialog


class PromptScreen(Dialog[str]):
    """Asks for text; ``apply(text)`` (if given) is tried first and its mistakes shown here."""

    def __init__(self, title: str, text: str = "", note: str = "", apply: Callable[[str], object] | None = None,
                 placeholder: str = ""):
        super().__init__()
        self.title_text, self.text, self.note, self.apply, self.placeholder = title, text, note, apply, placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            if self.note:
                yield Static(self.note, classes="dialog-note")
            yield Input(self.text, placeholder=self.placeholder, id="prompt-input")
            yield self.error_line()
            yield Static("Enter: OK   Esc: cancel", classes="dialog-keys")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        if self.apply is not None and not self.attempt(lambda: self.apply(value)):
            return
        self.dismiss(value)
