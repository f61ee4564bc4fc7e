"""The sensitivities of one query: each parameter's derivative and elasticity, largest first."""
from __future__ import annotations

import math

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Label, Static

from .dialog import Dialog

NOISE = 1e-7     # central differences with h ≈ 6e-6 are not more accurate than this


class SensitivityScreen(Dialog[None]):
    """A table of ``dq/dp`` and ``(p/q)·dq/dp`` at the current values; Escape closes it."""

    def __init__(self, table):
        super().__init__()
        self.table = table

    def compose(self) -> ComposeResult:
        t = self.table
        with Vertical(classes="dialog wide"):
            yield Label(f"How {t.query} = {t.value:.6g} moves with each parameter", classes="dialog-title")
            yield Static(Text(f"{t.method}; elasticity = (p / q)·dq/dp, the relative change of the query per "
                              "relative change of the parameter", "dim"), classes="dialog-note")
            yield DataTable(id="sensitivity-table", cursor_type="row")
            yield Static("Esc: close", classes="dialog-keys")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("parameter", "value", "dq/dp", "elasticity")
        for r in self.table.rows:
            el = "—" if math.isnan(r.elasticity) else f"{r.elasticity:+.4g}"
            step = "  (Δ = 1)" if r.kind != "derivative" else ""
            if abs(r.derivative) < NOISE * max(1.0, abs(self.table.value)):     # below the differences' accuracy
                d = Text("≈ 0", "dim")
            else:
                d = Text(f"{r.derivative:+.4g}{step}", "green" if r.derivative > 0 else "red")
            table.add_row(Text(r.parameter, "bold"), f"{r.at:.6g}", d, el)
        table.focus()
