"""What every dialog shares: a titled box over the workspace, a line for errors, Escape to cancel.

A dialog that changes the document is given the change as a function (``apply``): a
mistake (a value out of its domain, a wire between ports of different types) is shown
in the dialog, which stays open with the text as typed, and the document is not touched.
"""
from __future__ import annotations

from typing import Callable, Generic, TypeVar

from rich.text import Text
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Static

from markovwire.errors import MarkovwireError

T = TypeVar("T")


class Dialog(ModalScreen[T], Generic[T]):
    """A modal dialog returning a ``T`` (or None when cancelled)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    TITLE_TEXT = ""

    def error_line(self) -> Static:
        return Static("", classes="dialog-error", id="dialog-error")

    def show_error(self, err: Exception | str | None) -> None:
        """Show a mistake under the fields (``None`` clears it)."""
        found = self.query("#dialog-error")
        if not found:
            return
        line = found.first(Static)
        if err is None:
            line.update("")
            line.display = False
            return
        line.display = True
        line.update(Text(str(err), "bold red"))

    def on_mount(self) -> None:
        self.show_error(None)

    def attempt(self, fn: Callable[[], object]) -> bool:
        """Run ``fn``; a :class:`MarkovwireError` is shown in the dialog and False returned."""
        try:
            fn()
        except MarkovwireError as e:
            self.show_error(e)
            return False
        self.show_error(None)
        return True

    def action_cancel(self) -> None:
        self.dismiss(None)
