"""The proposal's libraries: those in use (Enter removes one), those available (Enter adds one), and a field
for any other library file. Files are kept in the proposal as paths relative to it."""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from .dialog import Dialog


class LibrariesScreen(Dialog[bool]):
    """``add(ref)`` and ``remove(ref)`` change the document (their mistakes are shown here, the dialog stays)."""

    def __init__(self, document, available: dict, add, remove):
        super().__init__()
        self.document, self.available, self.add, self.remove = document, available, add, remove
        self.changed = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label("Libraries of this proposal", classes="dialog-title")
            yield OptionList(id="libraries-list")
            yield Label("or add a library by name or file (relative to the proposal)", classes="dialog-field")
            yield Input(placeholder="e.g. alignment, or mine.yaml, or ../shared/monitors.yaml", id="libraries-input")
            yield self.error_line()
            yield Static("Enter on a library in use: remove it   on an available one: add it   Esc: close",
                         classes="dialog-keys")

    def on_mount(self) -> None:
        self.show_error(None)
        self._fill()
        self.query_one("#libraries-list", OptionList).focus()

    def _fill(self) -> None:
        ol = self.query_one("#libraries-list", OptionList)
        keep = ol.highlighted
        ol.clear_options()
        used = set()
        for ref, lib in self.document.library_entries():
            if lib is None:
                label = Text.assemble(("− ", "red"), (ref, "bold"), ("   does not load (see Problems)", "red"))
            else:
                used.add(lib.name)
                shown = ref if ref == lib.name else f"{lib.name}  ({ref})"
                label = Text.assemble(("− ", "red"), (shown, "bold"),
                                      (f"   in use, {len(lib.components)} component"
                                       f"{'s' * (len(lib.components) != 1)}", "dim"))
            ol.add_option(Option(label, id=f"remove:{ref}"))
        for name in sorted(self.available):
            if name not in used:
                ol.add_option(Option(Text.assemble(("+ ", "green"), (name, "bold"), ("   available", "dim")),
                                     id=f"add:{name}"))
        if ol.option_count:
            ol.highlighted = min(keep or 0, ol.option_count - 1)

    @on(OptionList.OptionSelected, "#libraries-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        kind, _, ref = event.option.id.partition(":")
        if self.attempt(lambda: (self.remove if kind == "remove" else self.add)(ref)):
            self.changed = True
            self._fill()

    @on(Input.Submitted, "#libraries-input")
    def _typed(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip() and self.attempt(lambda: self.add(event.value.strip())):
            self.changed = True
            event.input.value = ""
            self._fill()
            self.query_one("#libraries-list", OptionList).focus()

    def action_cancel(self) -> None:
        self.dismiss(self.changed)
