"""Add a component instance: pick the component (type to filter), then name the instance."""
from __future__ import annotations

from collections import Counter
from typing import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from .dialog import Dialog


class AddComponentScreen(Dialog[str]):
    """Returns the new instance's name; ``apply(component, name)`` adds it (mistakes are shown here)."""

    def __init__(self, components: list, apply: Callable[[str, str], str], chosen: str | None = None):
        super().__init__()
        self.components, self.apply, self.chosen = components, apply, chosen

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label("Add a component", classes="dialog-title")
            yield Input(placeholder="type to filter components", id="add-filter")
            yield OptionList(id="add-list")
            yield Label("Instance name", classes="dialog-field")
            yield Input(placeholder="a name for the new box", id="add-name")
            yield self.error_line()
            yield Static("Enter on a component: name it   Enter on the name: add   Esc: cancel",
                         classes="dialog-keys")

    def on_mount(self) -> None:
        self._fill("")
        if self.chosen:
            comp = next((c for c in self.components if self.chosen in (c.qualname, c.name)), None)
            if comp is not None:
                self._pick(comp.qualname)
                return
            self.query_one("#add-filter", Input).value = self.chosen
        self.query_one("#add-filter", Input).focus()

    def _fill(self, text: str) -> None:
        q = text.strip().lower()
        ol = self.query_one("#add-list", OptionList)
        names = Counter(c.name for c in self.components)
        options = []
        for c in self.components:
            shown = c.qualname if names[c.name] > 1 else c.name      # a name two libraries share: qualified
            if not q or q in shown.lower() or q in c.signature.lower():
                options.append(Option(Text.assemble((shown, "bold"), ("  " + c.signature, "dim")), id=c.qualname))
        ol.set_options(options)          # at once: one option at a time measures and resizes the list each time
        if ol.option_count:
            ol.highlighted = 0

    @on(Input.Changed, "#add-filter")
    def _filter(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#add-filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        ol = self.query_one("#add-list", OptionList)
        if ol.highlighted is not None and ol.option_count:
            self._pick(ol.get_option_at_index(ol.highlighted).id)
        else:
            typed = event.value.strip()
            self.attempt(lambda: self.apply(typed, ""))  # says why there is no such component

    @on(OptionList.OptionSelected, "#add-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._pick(event.option.id)

    def _pick(self, qualname: str) -> None:
        self.chosen = qualname
        name = self.query_one("#add-name", Input)
        name.value = qualname.rpartition(".")[2]
        self.query_one(".dialog-title", Label).update(f"Add {qualname}")
        name.focus()

    @on(Input.Submitted, "#add-name")
    def _named(self, event: Input.Submitted) -> None:
        if not self.chosen:
            self.show_error("choose a component first")
            return
        made: list[str] = []
        if self.attempt(lambda: made.append(self.apply(self.chosen, event.value.strip()))):
            self.dismiss(made[0])
