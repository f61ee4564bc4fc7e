"""Name a file to open, save to, compare with or import: type a path or pick a suggestion."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from .dialog import Dialog


class FileScreen(Dialog[Path]):
    """Returns the chosen path; ``apply(path)`` (if given) is tried first, e.g. opening the file."""

    def __init__(self, title: str, path: str = "", suggestions: list[Path] | None = None,
                 apply: Callable[[Path], object] | None = None, note: str = ""):
        super().__init__()
        self.title_text, self.path, self.apply, self.note = title, path, apply, note
        self.suggestions = list(dict.fromkeys(suggestions or []))

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(self.title_text, classes="dialog-title")
            if self.note:
                yield Static(self.note, classes="dialog-note")
            yield Input(self.path, placeholder="path/to/file.yaml", id="file-path")
            if self.suggestions:
                yield OptionList(*[Option(str(p), id=str(i)) for i, p in enumerate(self.suggestions)],
                                 id="file-list")
            yield self.error_line()
            yield Static("Enter: choose (a listed file by its name alone)   Tab: to the list   Esc: cancel",
                         classes="dialog-keys")

    def on_mount(self) -> None:
        self.query_one("#file-path", Input).focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._choose(self.suggestions[int(event.option.id)])

    @on(Input.Submitted)
    def _typed(self, event: Input.Submitted) -> None:
        event.stop()
        typed = event.value.strip()
        if not typed:
            self.show_error("type a path, or pick one from the list")
            return
        named = [p for p in self.suggestions if typed in (p.stem, p.name)] if "/" not in typed else []
        self._choose(named[0] if named and not Path(typed).exists() else Path(typed).expanduser())

    def _choose(self, path: Path) -> None:
        if self.apply is not None and not self.attempt(lambda: self.apply(path)):
            self.query_one("#file-path", Input).value = str(path)
            return
        self.dismiss(path)
