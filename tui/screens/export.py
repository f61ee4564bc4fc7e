"""Export the figure of the diagram: SVG, PNG, PDF, TeX (TikZ) or DOT, with the render options (diagrams/style.py).

The fields are those of :class:`~markovwire.diagrams.style.RenderOptions` (the command line's
``markovwire render`` options), started from the last options used; the dialog builds the same
object, and a bad value (a width of ``-3cm``) is shown in the dialog, which stays open.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Checkbox, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from markovwire.diagrams.style import DIRECTIONS, LABELS, THEMES, RenderOptions

from .dialog import Dialog

FORMATS = [("svg", "SVG: scalable, for papers and the web"), ("png", "PNG: an image (at the dpi of the options)"),
           ("pdf", "PDF: for LaTeX papers"), ("tex", "TeX: a TikZ picture, to restyle in LaTeX"),
           ("dot", "DOT: graphviz source, to edit by hand")]
AUTO = "auto"  # the direction select's "no direction given": LR, or TB when that fits the width better


class ExportScreen(Dialog[Path]):
    """Returns the file written; ``apply(path, options)`` renders to it (the format is the file's suffix)."""

    def __init__(self, default: Path, apply: Callable[[Path, RenderOptions], object],
                 options: RenderOptions | None = None):
        super().__init__()
        self.default, self.apply = default, apply
        self.start = options or RenderOptions()

    def compose(self) -> ComposeResult:
        o = self.start
        with Vertical(classes="dialog", id="export"):
            yield Label("Export the figure", classes="dialog-title")
            yield Label("file (its suffix is the format, or pick one below)", classes="dialog-field")
            yield Input(str(self.default), id="export-path")
            with Horizontal(classes="dialog-row"):
                yield Label("direction", classes="dialog-field")
                yield Select([(d, d) for d in (AUTO,) + DIRECTIONS], value=o.direction or AUTO, allow_blank=False,
                             compact=True, id="export-direction")
                yield Label("theme", classes="dialog-field")
                yield Select([(t, t) for t in THEMES], value=o.theme, allow_blank=False, compact=True,
                             id="export-theme")
            with Horizontal(classes="dialog-row"):
                yield Label("labels", classes="dialog-field")
                yield Select([(k, k) for k in LABELS], value=o.labels, allow_blank=False, compact=True,
                             id="export-labels")
                yield Label("width", classes="dialog-field")
                yield Input("" if o.width is None else f"{o.width:g}in", placeholder="column, page, 8cm",
                            id="export-width")
            with Horizontal(classes="dialog-row"):
                yield Label("font", classes="dialog-field")
                yield Input(o.font or "", placeholder=o.look.font, id="export-font")
                yield Checkbox("hide types", o.hide_types, compact=True, id="export-hide-types")
            yield OptionList(*[Option(f"{k}  {text}", id=k) for k, text in FORMATS], id="export-formats")
            yield self.error_line()
            yield Static("Enter in a field: export   Tab: next field   Esc: cancel", classes="dialog-keys")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#export-path", Input).focus()

    def show_error(self, err: Exception | str | None) -> None:
        """Show a mistake; on a short terminal the format list gives way to it (see the stylesheet)."""
        super().show_error(err)
        for box in self.query("#export"):
            box.set_class(err is not None, "-failed")

    def options(self) -> RenderOptions:
        """The render options the fields say (the last options, changed where a field is set)."""
        direction = self.query_one("#export-direction", Select).value
        width = self.query_one("#export-width", Input).value.strip()
        font = self.query_one("#export-font", Input).value.strip()
        return RenderOptions.of(self.start, direction=None if direction == AUTO else direction,
                                theme=self.query_one("#export-theme", Select).value,
                                labels=self.query_one("#export-labels", Select).value,
                                width=width or None, font=font or None,
                                hide_types=self.query_one("#export-hide-types", Checkbox).value)

    @on(OptionList.OptionSelected)
    def _format(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        box = self.query_one("#export-path", Input)
        box.value = str(Path(box.value or self.default).with_suffix(f".{event.option.id}"))
        box.focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        path = Path(self.query_one("#export-path", Input).value.strip()).expanduser()
        if self.attempt(lambda: self.apply(path, self.options())):
            self.dismiss(path)
