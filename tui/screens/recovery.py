"""Offer back the work autosaved before the last session ended without saving it."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, Static

from .dialog import Dialog


class RecoveryScreen(Dialog[bool]):
    """Recover (r) or discard (d) the recovery file, or decide later (Escape, n: the file is kept and offered
    again); returns True to recover, False to discard, None for not now."""

    BINDINGS = [Binding("r", "answer(True)", "Recover"), Binding("d", "answer(False)", "Discard"),
                Binding("n", "cancel", "Not now")]

    def __init__(self, name: str, path: str, written: str):
        super().__init__()
        self.name_, self.path, self.written = name, path, written

    def compose(self) -> ComposeResult:
        where = self.path or "a proposal that was never saved"
        with Vertical(classes="dialog"):
            yield Label("Unsaved work was found", classes="dialog-title")
            yield Static(f"Proposal {self.name_!r} ({where}), autosaved {self.written}, was not saved before "
                         "markovwire last stopped.", classes="dialog-note")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Recover it (r)", variant="primary", id="recover")
                yield Button("Discard it (d)", variant="error", id="discard")
                yield Button("Not now (Esc)", id="later")

    def on_mount(self) -> None:
        self.query_one("#recover", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss({"recover": True, "discard": False}.get(event.button.id))

    def action_answer(self, recover: bool) -> None:
        self.dismiss(recover)
