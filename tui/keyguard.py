"""Keys typed blind while the screens change are dropped, never run as commands.

Someone typing a path does not see at once that the dialog closed under them (a
confirmation answered by the ``n`` of ``new.yaml``, an Enter typed a moment early):
without a guard the rest of the path runs one-letter commands on the screen below
(``t`` opens a dialog, ``x`` removes a box). So a key that types text (letters, digits,
Enter, Backspace, Delete, Tab) is dropped, unless a text field has the focus, when it was
typed before the last screen change but is handled after it (a terminal hands over a
burst of typing at once, and a busy app handles it late), or within
:data:`SETTLE_SECONDS` after the change; each dropped key extends the moment, so a whole
burst goes. Keys are judged by when they were typed (the event's time), not by when the
app got round to them. Keys with Ctrl, Escape and the arrows always pass. What was
dropped is shown once the burst is over.
"""
from __future__ import annotations

from textual import events
from textual._time import get_time
from textual.widget import Widget
from textual.widgets import Input, TextArea

SETTLE_SECONDS = 0.35
"""How long after a screen change (or a dropped key) text keys are dropped; longer than the gap between two
keys of someone typing, shorter than the time it takes to see a new screen and decide what to press."""

TEXT_KEYS = frozenset({"enter", "tab", "shift+tab", "backspace", "delete", "space"})


def types_text(event: events.Key) -> bool:
    """Whether ``event`` is a key someone types text with (not Ctrl+…, Escape, arrows or function keys)."""
    return event.is_printable or event.key in TEXT_KEYS


def takes_text(widget: Widget | None) -> bool:
    """Whether ``widget`` is a text field that would take the typed text."""
    return isinstance(widget, (Input, TextArea)) and not getattr(widget, "read_only", False)


class KeyGuard:
    """Decides, key by key, whether a key arrives too soon after the screens changed; collects what it drops."""

    def __init__(self, settle: float | None = None, clock=get_time):
        self.settle = settle
        self.clock = clock                           # the clock of the events' times
        self.stamp = lambda event: event.time        # when a key was typed
        self.changed = float("-inf")                 # when the screens last changed
        self.until = float("-inf")
        self.dropped: list[str] = []

    @property
    def seconds(self) -> float:
        return SETTLE_SECONDS if self.settle is None else self.settle

    def screens_changed(self, _screen=None) -> None:
        """A screen opened or closed: text keys typed before it and in the next moment are dropped."""
        self.changed = self.clock()
        self.until = self.changed + self.seconds

    def drops(self, event: events.Key, focused: Widget | None) -> bool:
        """Whether to drop ``event`` (and so extend the quiet moment)."""
        typed = self.stamp(event)
        blind = typed < self.changed or typed < self.until
        if not blind or not types_text(event) or takes_text(focused):
            return False
        self.until = max(self.until, typed + self.seconds)
        self.dropped.append(event.character if event.is_printable and event.character else f"[{event.key}]")
        return True

    def burst_over(self) -> bool:
        return self.clock() >= self.until

    def take(self) -> str:
        """The keys dropped so far, as typed (and forget them)."""
        text, self.dropped = "".join(self.dropped), []
        return text
