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
from textual.widgets import Checkbox, Input, Label, Select, Static

from markovwire.diagrams.style import DIRECTIONS, LABELS, THEMES, RenderOptions
from markovwire.errors import Place, RenderError

from .dialog import Dialog

FORMATS = [("svg", "svg (scalable)"), ("png", "png (image)"), ("pdf", "pdf"), ("tex", "tex (TikZ)"),
           ("dot", "dot (graphviz)")]
AUTO = "auto"  # the direction select's "no direction given": LR, or TB when that fits the width better


class ExportScreen(Dialog[Path]):
    """Returns the file written; ``apply(path, options)`` renders to it (the format is the file's suffix)."""

    def __init__(self, default: Path, apply: Callable[[Path, RenderOptions], object],
                 options: RenderOptions | None = None):
        super().__init__()
        self.default, self.apply = default, apply
        self.start = options or RenderOptions()
        # the last width, rounded for reading; left as shown, it stands for the exact last width
        self._width_shown = "" if self.start.width is None else f"{self.start.width:.3g}in"

    def compose(self) -> ComposeResult:
        o = self.start
        pick = lambda pairs, value, name: Select(pairs, value=value, allow_blank=False, compact=True,  # noqa: E731
                                                 id=f"export-{name}")
        with Vertical(classes="dialog", id="export"):
            yield Label("Export the figure", classes="dialog-title")
            yield Label("file (its suffix is the format)", classes="dialog-field")
            yield Input(str(self.default), id="export-path")
            with Horizontal(classes="dialog-row"):
                yield Label("format", classes="dialog-field")
                yield pick([(text, k) for k, text in FORMATS], self._suffix(self.default) or "svg", "format")
                yield Label("direction", classes="dialog-field")
                yield pick([(d, d) for d in (AUTO,) + DIRECTIONS], o.direction or AUTO, "direction")
            with Horizontal(classes="dialog-row"):
                yield Label("theme", classes="dialog-field")
                yield pick([(t, t) for t in THEMES], o.theme, "theme")
                yield Label("labels", classes="dialog-field")
                yield pick([(k, k) for k in LABELS], o.labels, "labels")
            with Horizontal(classes="dialog-row"):
                yield Label("width", classes="dialog-field")
                yield Input(self._width_shown, placeholder="column, page, 8cm", id="export-width")
                yield Label("font", classes="dialog-field")
                yield Input(o.font or "", placeholder=o.look.font, id="export-font")
            with Horizontal(classes="dialog-row"):
                yield Label("png dpi", classes="dialog-field")
                yield Input(str(o.dpi), id="export-dpi")
                yield Checkbox("hide types", o.hide_types, compact=True, id="export-hide-types")
            yield self.error_line()
            yield Static("Enter in a field: export   Tab: next field   Esc: cancel", classes="dialog-keys")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#export-path", Input).focus()

    @staticmethod
    def _suffix(path: Path | str) -> str | None:
        """The format a file's suffix names, if it names one of :data:`FORMATS`."""
        suffix = Path(str(path)).suffix.lower().lstrip(".")
        return suffix if suffix in dict(FORMATS) else None

    def options(self) -> RenderOptions:
        """The render options the fields say (the last options, changed where a field is set)."""
        direction = self.query_one("#export-direction", Select).value
        width = self.query_one("#export-width", Input).value.strip()
        font = self.query_one("#export-font", Input).value.strip()
        dpi = self.query_one("#export-dpi", Input).value.strip()
        if dpi and not dpi.isdigit():
            raise RenderError(Place("render option --dpi"), f"{dpi!r} is not a whole number",
                              fix="pass e.g. --dpi 300 (print) or --dpi 144 (screen)")
        return RenderOptions.of(self.start, direction=None if direction == AUTO else direction,
                                theme=self.query_one("#export-theme", Select).value,
                                labels=self.query_one("#export-labels", Select).value,
                                width=self.start.width if width and width == self._width_shown else width or None,
                                font=font or None, dpi=int(dpi) if dpi else self.start.dpi,
                                hide_types=self.query_one("#export-hide-types", Checkbox).value)

    @on(Select.Changed, "#export-format")
    def _format(self, event: Select.Changed) -> None:
        event.stop()
        box = self.query_one("#export-path", Input)
        if event.value == event.select.value and self._suffix(box.value) != event.value:  # not a stale change
            box.value = str(Path(box.value or self.default).with_suffix(f".{event.value}"))

    @on(Input.Changed, "#export-path")
    def _path(self, event: Input.Changed) -> None:
        fmt, pick = self._suffix(event.value), self.query_one("#export-format", Select)
        if event.value == event.input.value and fmt is not None and pick.value != fmt:
            pick.value = fmt

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        path = Path(self.query_one("#export-path", Input).value.strip()).expanduser()
        if self.attempt(lambda: self.apply(path, self.options())):
            self.dismiss(path)
