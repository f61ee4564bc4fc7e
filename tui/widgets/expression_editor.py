"""The diagram as a string-diagram expression, editable: Enter applies it, Escape puts back the current one (and
leaves the editor)."""
from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.widgets import TextArea

from ..messages import ExpressionSubmitted


class ExpressionEditor(TextArea):
    """A wrapped text area over the expression; kept in step with the wiring view by the screen."""

    BINDINGS = [Binding("ctrl+end", "document_end", "End", show=False),
                Binding("ctrl+home", "document_start", "Start", show=False)]

    def __init__(self, **kw):
        super().__init__("", soft_wrap=True, show_line_numbers=False, tab_behavior="focus", **kw)
        self.current = ""

    def show(self, text: str, editable: bool, note: str) -> None:
        """Show the expression of the diagram (not while the user is editing it)."""
        if self.has_focus and self.text != self.current:
            return
        shown = text if text else f"({note})"
        if not (text == self.current and self.text == shown and self.read_only == (not editable)):
            self.current = text
            self.read_only = not editable
            self.load_text(shown)                # (the same text is not loaded again: the cursor stays)
        self.border_subtitle = note if editable else f"read only: {note}" if text else "no expression"

    def on_blur(self) -> None:
        self.remove_class("-editing")

    def action_document_end(self) -> None:
        self.move_cursor(self.document.end)

    def action_document_start(self) -> None:
        self.move_cursor((0, 0))

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            if not self.read_only:
                self.post_message(ExpressionSubmitted(self.text.replace("\n", " ")))
            return
        if event.key == "escape":              # put back the current expression; the screen then moves focus
            event.prevent_default()
            if self.text != self.current:
                self.load_text(self.current)
            return
        await super()._on_key(event)
