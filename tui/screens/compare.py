"""Two proposals side by side: their diagrams, and every query evaluated on both.

The queries are the union of both files' queries (this proposal's definition wins
where both define one), asked of each proposal; a query that names a wire the other
proposal does not have says so in its row instead of a number.
"""
from __future__ import annotations

import math

import numpy as np
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from markovwire.errors import MarkovwireError

from ..widgets.diagram_view import DiagramView
from ..widgets.results_table import bar, number


def same_queries(a, b) -> dict:
    """The query entries to ask of both proposals (``a``'s definitions first)."""
    return {**b.spec.queries, **a.spec.queries}


def answer(proposal, queries: dict) -> dict:
    """Each query's value on ``proposal``, or the error that says why it has none."""
    out = {}
    try:
        p = proposal.replace(queries=queries, adversary={}, sweeps=[])
        values = p.evaluate()
        return {n: values[n] for n in queries}
    except MarkovwireError:
        pass
    for name, q in queries.items():     # one by one, to say which ones do not fit
        try:
            out[name] = proposal.replace(queries={name: q}, adversary={}, sweeps=[]).evaluate()[name]
        except MarkovwireError as e:
            out[name] = e
    return out


class CompareScreen(Screen):
    """Proposal A (the one being edited) beside proposal B, on the same queries."""

    BINDINGS = [Binding("escape,q", "app.pop_screen", "Back"), Binding("w", "swap", "Swap sides")]

    def __init__(self, a, b):
        super().__init__()
        self.a, self.b = a, b

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="compare-diagrams"):
            yield DiagramView(id="compare-a", classes="panel")
            yield DiagramView(id="compare-b", classes="panel")
        with Vertical(id="compare-bottom", classes="panel"):
            yield Static("evaluating both…", id="compare-status")
            yield DataTable(id="compare-table", cursor_type="row")
            yield Static("", id="compare-params")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#compare-table", DataTable).add_columns("query", "A", "", "B", "", "B − A")
        self.query_one("#compare-bottom").border_title = "The same queries on both"
        self._draw()
        self.query_one("#compare-table").focus()

    def _draw(self) -> None:
        tallest = 0
        for key, p in (("a", self.a), ("b", self.b)):
            view = self.query_one(f"#compare-{key}", DiagramView)
            comps = {n: i.component.rpartition(".")[2] for n, i in p.spec.instances.items()}
            view.show(p.wiring, comps, [])
            where = f" ({p.path.name})" if p.path else ""
            view.border_title = f"{key.upper()}: {p.name}{where}"
            view.border_subtitle = f"{len(p.instances)} boxes"
            tallest = max(tallest, view.picture.height if view.picture else 1)
        self.query_one("#compare-diagrams").styles.height = tallest + 3     # borders and a scroll bar
        self._parameters()
        self._evaluate(self.a, self.b)

    def _parameters(self) -> None:
        pa, pb = self.a.parameters, self.b.parameters
        differ = [n for n in sorted(set(pa) & set(pb)) if pa[n].default != pb[n].default]
        only_a = sorted(set(pa) - set(pb))
        only_b = sorted(set(pb) - set(pa))
        text = Text()
        if differ:
            text.append("parameters that differ: ", "bold")
            text.append(", ".join(f"{n} {_g(pa[n].default)} → {_g(pb[n].default)}" for n in differ))
        if only_a:
            text.append("\nonly A uses: ", "bold").append(", ".join(only_a))
        if only_b:
            text.append("\nonly B uses: ", "bold").append(", ".join(only_b))
        if not text.plain:
            text.append("Both use the same parameters at the same values.", "dim")
        self.query_one("#compare-params", Static).update(text)

    @work(thread=True, exclusive=True)
    def _evaluate(self, a, b) -> None:
        queries = same_queries(a, b)
        ra, rb = answer(a, queries), answer(b, queries)
        self.app.call_from_thread(self._show, ra, rb)

    def _show(self, ra: dict, rb: dict) -> None:
        table = self.query_one("#compare-table", DataTable)
        table.clear()
        for name in ra:
            va, vb = ra[name], rb[name]
            cells = [Text(name, "bold")]
            for v in (va, vb):
                if isinstance(v, MarkovwireError):
                    cells += [Text("n/a", "red"), Text(v.what[:40], "dim")]
                elif isinstance(v, dict):
                    cells += [Text("distribution", "dim"), Text("")]
                else:
                    cells += [Text(number(v)), Text(bar(float(v), 12), "green")]
            if all(isinstance(v, (float, int, np.floating)) for v in (va, vb)):
                d = float(vb) - float(va)
                cells.append(Text(f"{d:+.4g}", "green" if d > 0 else "red" if d < 0 else "dim")
                             if math.isfinite(d) else Text(""))
            else:
                cells.append(Text(""))
            table.add_row(*cells, key=name)
        self.query_one("#compare-status", Static).update(
            Text(f"A: {self.a.name}   B: {self.b.name}   ({len(ra)} queries; n/a: the query names a wire the "
                 "proposal does not have)", "dim"))

    def action_swap(self) -> None:
        self.a, self.b = self.b, self.a
        self.query_one("#compare-status", Static).update("evaluating both…")
        self._draw()


def _g(v) -> str:
    return "—" if v is None else f"{v:g}"
