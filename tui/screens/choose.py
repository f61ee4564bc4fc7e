"""Pick one entry of a list (a wire to remove, a port to expose, a parameter, a query)."""
from __future__ import annotations

from typing import Callable

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList, Static
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
                yield Input(placeholder="type to filter (Enter takes the first match)", id="choose-filter")
                yield OptionList(*[Option(label, id=key) for key, label in self.entries], id="choose-list")
            else:
                yield Static(self.empty, classes="dialog-note")
            yield self.error_line()
            yield Static("Enter: choose   Esc: cancel", classes="dialog-keys")

    def on_mount(self) -> None:
        found = self.query("#choose-filter")
        if found:
            found.first().focus()
        elif self.entries:
            self.query_one("#choose-list").focus()

    @on(Input.Changed, "#choose-filter")
    def _filter(self, event: Input.Changed) -> None:
        q = event.value.strip().lower()
        ol = self.query_one("#choose-list", OptionList)
        ol.clear_options()
        ol.add_options([Option(label, id=key) for key, label in self.entries if q in str(label).lower()])
        if ol.option_count:
            ol.highlighted = 0

    @on(Input.Submitted, "#choose-filter")
    def _first(self, event: Input.Submitted) -> None:
        event.stop()
        exact = [key for key, _ in self.entries if key == event.value.strip()]
        if exact:
            self._pick(exact[0])
            return
        ol = self.query_one("#choose-list", OptionList)
        if ol.highlighted is None or not ol.option_count:
            self.show_error("nothing matches")
            return
        self._pick(ol.get_option_at_index(ol.highlighted).id)

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._pick(event.option.id)

    def _pick(self, key: str) -> None:
        if self.apply is not None and not self.attempt(lambda: self.apply(key)):
            return
        self.dismiss(key)
