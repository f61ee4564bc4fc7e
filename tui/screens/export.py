"""Export the figure of the diagram: SVG, PNG or DOT, through graphviz (diagrams/render.py)."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from .dialog import Dialog

FORMATS = [("svg", "SVG: scalable, for papers and the web"), ("png", "PNG: an image"),
           ("dot", "DOT: graphviz source, to edit by hand")]


class ExportScreen(Dialog[Path]):
    """Returns the file written; ``apply(path)`` renders to it (the format is the file's suffix)."""

    def __init__(self, default: Path, apply: Callable[[Path], object]):
        super().__init__()
        self.default, self.apply = default, apply

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Export the figure", classes="dialog-title")
            yield Label("file (its suffix is the format)", classes="dialog-field")
            yield Input(str(self.default), id="export-path")
            yield Label("or pick a format", classes="dialog-field")
            yield OptionList(*[Option(f"{k}  {text}", id=k) for k, text in FORMATS], id="export-formats")
            yield self.error_line()
            yield Static("Enter on the file: export   Tab: to the formats   Esc: cancel",
                         classes="dialog-keys")

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    @on(OptionList.OptionSelected)
    def _format(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        box = self.query_one("#export-path", Input)
        box.value = str(Path(box.value or self.default).with_suffix(f".{event.option.id}"))
        box.focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        path = Path(event.value.strip()).expanduser()
        if self.attempt(lambda: self.apply(path)):
            self.dismiss(path)
