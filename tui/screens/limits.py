"""The limits of one evaluation (memory, contraction cost, sweep points, figure boxes), shown and changed
for this session.

They are :mod:`markovwire.limits`, the same the command line sets with ``--max-memory``, ``--max-cost``,
``--max-points`` and ``--max-boxes``: a question larger than a limit is refused before it starts, and this
dialog is where the UI raises them (the refusal says so, see :func:`in_the_ui`). A memory size is read by
:func:`markovwire.limits.parse_bytes` (``8GiB``, ``512MB``), the others are numbers (``1e10``). The
limits hold for this session; a limit left as shown is not touched.

>>> shown("memory", 2 * 1024**3), shown("memory", 1536), shown("cost", 1e9), shown("points", 1_000_000)
('2GiB', '1536', '1e+09', '1000000')
>>> shown("cost", 10), shown("cost", 1.25e10), shown("cost", float("inf"))
('10', '1.25e+10', 'inf')
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Static

from markovwire import limits
from markovwire.errors import ContractionTooLarge, MarkovwireError, ParameterError

from ..commands import key_of
from .dialog import Dialog


@dataclass(frozen=True)
class Limit:
    """One limit as the dialog shows it: its label, its command-line option, how to read and set it."""

    name: str
    label: str
    option: str
    get: Callable[[], float]
    set: Callable[[float], float]
    default: float
    unit: str


LIMITS = (
    Limit("memory", "memory", "--max-memory", limits.memory_budget, limits.set_memory_budget,
          limits.DEFAULT_MEMORY_BUDGET, "held at once"),
    Limit("cost", "contraction cost", "--max-cost", limits.cost_budget, limits.set_cost_budget,
          limits.DEFAULT_COST_BUDGET, "operations"),
    Limit("points", "sweep points", "--max-points", limits.sweep_limit, limits.set_sweep_limit,
          limits.DEFAULT_SWEEP_POINTS, "points"),
    Limit("boxes", "figure boxes", "--max-boxes", limits.figure_limit, limits.set_figure_limit,
          limits.DEFAULT_FIGURE_BOXES, "boxes"),
)
BY_NAME = {lim.name: lim for lim in LIMITS}


def shown(name: str, value: float) -> str:
    """A limit's value as the field shows it, read back exactly (a memory size in the largest whole unit)."""
    if name == "memory":
        for unit, size in (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
            if value % size == 0:
                return f"{int(value) // size}{unit}"
        return str(int(value))
    if name == "cost":                         # the shortest text that reads back as the value
        exact = [t for t in (f"{value:.{digits}g}" for digits in range(1, 18)) if float(t) == value]
        return min(exact, key=len) if exact else repr(float(value))
    return str(int(value))


def parse(name: str, text: str) -> float:
    """The value typed for limit ``name`` (a memory size, or a number); a mistake names the field."""
    label = BY_NAME[name].label
    if name == "memory":
        return limits.parse_bytes(text, label)
    try:
        return float(text)
    except ValueError:
        raise ParameterError(label, f"{text.strip()!r} is not a number",
                             fix=f"write a number such as {shown(name, BY_NAME[name].default * 10)}") from None


def set_limits(texts: dict[str, str]) -> dict[str, float]:
    """Set the limits ``name -> text`` all together (none is set when one is wrong); returns the new values."""
    values = {n: parse(n, t) for n, t in texts.items()}
    old: dict[str, float] = {}
    try:
        for n, v in values.items():
            old[n] = BY_NAME[n].set(v)
    except MarkovwireError as e:
        for done, was in old.items():
            BY_NAME[done].set(was)
        raise e.relocated(BY_NAME[n].label) from None
    return {n: BY_NAME[n].get() for n in values}


def in_the_ui(error: MarkovwireError) -> MarkovwireError:
    """``error`` with the UI's way to change the limits (the key of this dialog) before its own fix, when it is
    a refusal for the budgets; any other error as it is."""
    if not isinstance(error, ContractionTooLarge):
        return error
    ui = f"press {key_of('app.limits')} (Limits) to change the budgets for this session"
    return error.relocated(error.where, fix=f"{ui}; or {error.fix}" if error.fix else ui)


class LimitsScreen(Dialog[dict]):
    """Returns the limits changed (``name -> new value``; empty when none was); None when cancelled."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="limits"):
            yield Label("Limits of one evaluation", classes="dialog-title")
            yield Static(Text("A question larger than a limit is refused before it starts. These hold for this "
                              "session (on the command line: the options shown).", "dim"), classes="dialog-note")
            for lim in LIMITS:
                with Horizontal(classes="dialog-row"):
                    yield Label(f"{lim.label:<16}", classes="dialog-field")
                    yield Input(shown(lim.name, lim.get()), id=f"limit-{lim.name}")
                    yield Label(f"{lim.unit}; default {shown(lim.name, lim.default)}, {lim.option}",
                                classes="dialog-field")
            yield self.error_line()
            yield Static("Enter: apply and evaluate again   Tab: next field   Esc: cancel", classes="dialog-keys")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(f"#limit-{LIMITS[0].name}", Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        texts = {lim.name: self.query_one(f"#limit-{lim.name}", Input).value for lim in LIMITS}
        changed = {n: t for n, t in texts.items() if t.strip() != shown(n, BY_NAME[n].get())}
        done: dict[str, float] = {}
        if self.attempt(lambda: done.update(set_limits(changed))):
            self.dismiss(done)
