"""Pick one entry of a list (a wire to remove, a port to expose, a parameter, a query)."""
from __future__ import annotations

from typing import Callable

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from .dialog import Dialog


class ChooseScreen(Dialog[str]):
    """A list of ``(id, label)`` entries; Enter picks one. ``apply(id)`` (if given) is tried first."""

    def __init__(self, title: str, entries: list[tuple[str, object]], note: str = "",
                 apply: Callable[[str], object] | None = None, empty: str = "Nothing to choose from."):
        super().__init__()
        self.title_text, self.entries, self.note, self.apply, self.empty = title, entries, note, apply, empty

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            if self.note:
                yield Static(self.note, classes="dialog-note")
            if self.entries:
                yield OptionList(*[Option(label, id=key) for key, label in self.entries], id="choose-list")
            else:
                yield Static(self.empty, classes="dialog-note")
            yield self.error_line()
            yield Static("Enter: choose   Esc: cancel", classes="dialog-keys")

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        key = event.option.id
        if self.apply is not None and not self.attempt(lambda: self.apply(key)):
            return
        self.dismiss(key)
