"""Messages the widgets send up to the screens (handled there with ``@on``).

Widgets say what the user pointed at or asked for; the screen decides what that does
to the document. Each message is a small dataclass.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message


@dataclass
class ComponentHighlighted(Message):
    """The cursor of the library tree is on a component (or on a library: ``component`` is None)."""

    component: Any


@dataclass
class ComponentChosen(Message):
    """The user asked for an instance of this component (Enter in the library tree)."""

    component: Any


@dataclass
class BoxSelected(Message):
    """The selection of the diagram view moved to this box (or outer port: ``in.x``, ``out.y``);
    ``by_user`` when the user moved it (not when a redraw kept or reset it)."""

    name: str | None
    by_user: bool = False


@dataclass
class ProblemChosen(Message):
    """The user picked a problem in the error panel; its box (and port) should be shown."""

    box: str | None
    port: str | None


@dataclass
class ExpressionSubmitted(Message):
    """The user applied an edited string-diagram expression."""

    text: str


@dataclass
class ParameterChosen(Message):
    """The user picked a parameter in the table (to set it)."""

    name: str
