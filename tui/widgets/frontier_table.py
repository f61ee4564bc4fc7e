"""The safety-usefulness frontier as a table: one row per Pareto protocol, with blue's protocol and red's reply."""
from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from markovwire.library.game import protocols


class FrontierTable(DataTable):
    """One row per point of a :class:`~markovwire.analysis.game.Frontier`, safest first."""

    def __init__(self, **kw):
        super().__init__(cursor_type="row", **kw)
        for label in ("weight", "safety", "usefulness", "blue", "red"):
            self.add_column(label)

    def show(self, frontier) -> None:
        self.clear()
        if frontier is None:
            return
        for i, p in enumerate(frontier.points):
            self.add_row(f"{p.weight:.3g}", Text(f"{p.safety:.6g}", "bold"), f"{p.usefulness:.6g}",
                         Text("; ".join(protocols(p.blue)), "cyan"),
                         Text("; ".join(protocols(p.red)), "magenta"), key=str(i))
