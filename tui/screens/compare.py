"""Two proposals side by side: their diagrams, what changed from A to B, and every query on both.

A is the proposal being edited, B the one chosen (``w`` swaps them). The changes are the
library's :func:`~markovwire.library.diff.proposal_diff`: boxes, wires, outer ports and
parameters added, removed or changed, and each entry both files define (queries,
adversaries, credal entries) evaluated on each by its own definition. A query that only
one file defines is asked of both with that definition; where it names a wire the other
proposal does not have, its row says so instead of a number.
"""
from __future__ import annotations

import math

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from markovwire.errors import MarkovwireError

from ..commands import bindings
from ..widgets.changes_view import ChangesView
from ..widgets.diagram_view import DiagramView
from ..widgets.keys_footer import KeysFooter
from ..widgets.results_table import bar, number, span

BAR = 8


def same_queries(a, b) -> dict:
    """The query entries to ask of both proposals (``a``'s definitions first)."""
    return {**b.spec.queries, **a.spec.queries}


def answer(proposal, queries: dict) -> dict:
    """Each query's value on ``proposal``, or the error that says why it has none."""
    out = {}
    bare = dict(adversary={}, credal={}, sweeps=[])
    try:
        p = proposal.replace(queries=queries, **bare)
        values = p.evaluate()
        return {n: values[n] for n in queries}
    except MarkovwireError:
        pass
    for name, q in queries.items():     # one by one, to say which ones do not fit
        try:
            out[name] = proposal.replace(queries={name: q}, **bare).evaluate()[name]
        except MarkovwireError as e:
            out[name] = e
    return out


def compare(a, b) -> dict:
    """Everything the compare screen shows: the diff (or why there is none), and the queries only one defines."""
    from markovwire.analysis import diff
    from markovwire.library.diff import proposal_diff
    out: dict = {"error": None}
    try:
        d = proposal_diff(a, b)
    except MarkovwireError as e:            # a query fails on one side: the structure still differs
        out["error"] = e
        d = diff(a.net(), b.net())
        shared = {n: q for n, q in a.spec.queries.items() if n in b.spec.queries}
        out["shared"] = (answer(a, shared), answer(b, shared))
    out["diff"] = d
    only = {**{n: q for n, q in a.spec.queries.items() if n not in b.spec.queries},
            **{n: q for n, q in b.spec.queries.items() if n not in a.spec.queries}}
    out["only"] = (answer(a, only), answer(b, only))
    both = [n for n in a.credal if n in b.credal]
    out["credal"] = {n: (_try(lambda: a.value(n)), _try(lambda: b.value(n))) for n in both}
    return out


class CompareScreen(Screen):
    """Proposal A (the one being edited) beside proposal B: what changed, and the queries on both."""

    VIEW = "compare"
    BINDINGS = [Binding("escape,q", "app.pop_screen", "Back")] + bindings("compare")

    def __init__(self, a, b):
        super().__init__()
        self.a, self.b = a, b

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="compare-diagrams"):
            yield DiagramView(id="compare-a", classes="panel")
            yield DiagramView(id="compare-b", classes="panel")
        with Horizontal(id="compare-bottom"):
            with Vertical(id="compare-queries", classes="panel"):
                yield Static("comparing…", id="compare-status")
                yield DataTable(id="compare-table", cursor_type="row")
                yield Static("", id="compare-note")
            with VerticalScroll(id="compare-changes", classes="panel"):
                yield ChangesView("", id="changes")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#compare-diagrams").display = self.app.size.height >= 32    # numbers first when short
        self.query_one("#compare-table", DataTable).add_columns("query", "A", "", "B", "", "B − A")
        self.query_one("#compare-queries").border_title = "Every query on both"
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
        self.query_one("#compare-changes").border_title = "What changed, A → B"
        self.query_one("#compare-table", DataTable).clear()
        self.query_one("#changes", ChangesView).update(Text("comparing…", "dim"))
        self._evaluate(self.a, self.b)

    @work(thread=True, exclusive=True)
    def _evaluate(self, a, b) -> None:
        try:
            found = compare(a, b)
        except MarkovwireError as e:
            found = {"error": e, "diff": None}
        self.app.call_from_thread(self._show, found)

    def _show(self, found: dict) -> None:
        table = self.query_one("#compare-table", DataTable)
        table.clear()
        self.notes: dict[str, Text] = {}
        d = found["diff"]
        status = Text(f"A: {self.a.name}   B: {self.b.name}", "dim")
        if found["error"] is not None:
            status.append(f"\n✗ {found['error']}", "red")
        self.query_one("#compare-status", Static).update(status)
        if d is None:
            self.query_one("#changes", ChangesView).update(Text("Not compared: see the message on the left.", "red"))
            return
        self.query_one("#changes", ChangesView).show(d)
        kinds = {**{n: "worst case" for n in {**self.a.adversary, **self.b.adversary}},
                 **{n: "credal bounds" for n in {**self.a.credal, **self.b.credal}}}

        def row(key: str, cells: list[Text], note: str, values=()) -> None:
            table.add_row(*cells, key=key)
            text = Text(key, "bold")
            reasons = [f"{side}: {v}" for side, v in zip("AB", values) if isinstance(v, MarkovwireError)]
            text.append(f": {note}" if note else "", "dim")
            for r in reasons:
                text.append("\n" + r, "red")
            self.notes[key] = text

        shared = 0
        if "shared" in found:
            ra, rb = found["shared"]
            for name in ra:
                row(name, _cells(name, ra[name], rb[name]), "both define it (A's definition asked of both)",
                    (ra[name], rb[name]))
                shared += 1
        for q in d.queries:
            base = q.query.partition("[")[0]
            if base in found["credal"]:
                continue
            kind = kinds.get(base, "")
            row(q.query, _cells(q.query, q.old, q.new, kind), ", ".join(x for x in (kind, "both define it, each "
                                                                                    "by its own definition",
                                                                                    q.error) if x))
            shared += 1
        for name, (va, vb) in found["credal"].items():
            row(name, _interval_cells(name, va, vb), "credal bounds [lower, upper] on both; the change of each end",
                (va, vb))
            shared += 1
        ra, rb = found["only"]
        for name in ra:
            side = "A" if name in self.a.spec.queries else "B"
            row(name, _cells(name, ra[name], rb[name], f"only {side}"),
                f"only {side} defines it; its definition is asked of both", (ra[name], rb[name]))
        self.summary = Text(f"{shared} entr{'y' if shared == 1 else 'ies'} both define"
                            + (f" · {len(ra)} only one defines (asked of both)" if ra else ""), "dim")
        for side, p, other in (("A", self.a, self.b), ("B", self.b, self.a)):
            alone = [n for n in [*p.adversary, *p.credal] if n not in other.adversary and n not in other.credal]
            if alone:
                self.summary.append(f" · only {side} has {', '.join(alone)} (not compared)")
        self._note()

    def _note(self) -> None:
        table = self.query_one("#compare-table", DataTable)
        note = Text("")
        if table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            note = self.notes.get(key, note)
        self.query_one("#compare-note", Static).update(Text.assemble(note, "\n", getattr(self, "summary", "")))

    @on(DataTable.RowHighlighted, "#compare-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._note()

    def action_diagrams(self) -> None:
        diagrams = self.query_one("#compare-diagrams")
        diagrams.display = not diagrams.display

    def action_swap(self) -> None:
        self.a, self.b = self.b, self.a
        self.query_one("#compare-status", Static).update("comparing…")
        self._draw()


def _cells(name: str, va, vb, kind: str = "") -> list[Text]:
    """A row: the name, each side's value with a bar (or why it has none), and the change."""
    cells = [Text(name, "bold magenta" if kind == "worst case" else "bold")]
    for v in (va, vb):
        if isinstance(v, MarkovwireError):
            cells += [Text("n/a", "red"), Text("")]
        elif isinstance(v, dict):
            cells += [Text("distribution", "dim"), Text("")]
        elif v is None:
            cells += [Text("—", "dim"), Text("")]
        else:
            v = float(getattr(v, "value", v))
            cells += [Text(number(v)), Text(bar(v, BAR), "magenta" if kind == "worst case" else "green")]
    numbers = [float(getattr(v, "value", v)) for v in (va, vb)
               if v is not None and not isinstance(v, (MarkovwireError, dict))]
    if len(numbers) == 2 and all(math.isfinite(x) for x in numbers):
        delta = numbers[1] - numbers[0]
        cells.append(Text(f"{delta:+.4g}", "green" if delta > 0 else "red" if delta < 0 else "dim"))
    else:
        cells.append(Text(""))
    if kind.startswith("only"):
        cells[-1].append(("  " if cells[-1].plain else "") + kind, "dim")
    return cells


def _interval_cells(name: str, va, vb) -> list[Text]:
    """A credal entry on both sides: ``[lower, upper]`` each, and the change of each end."""
    cells = [Text(name, "bold cyan")]
    for v in (va, vb):
        if isinstance(v, MarkovwireError):
            cells += [Text("n/a", "red"), Text("")]
        else:
            cells += [Text(f"[{number(v.lower)}, {number(v.upper)}]"), Text(span(v.lower, v.upper, BAR), "cyan")]
    if not any(isinstance(v, MarkovwireError) for v in (va, vb)):
        lo, hi = vb.lower - va.lower, vb.upper - va.upper
        cells.append(Text(f"{lo:+.3g} / {hi:+.3g}", "dim"))
    else:
        cells.append(Text(""))
    return cells


def _try(fn):
    try:
        return fn()
    except MarkovwireError as e:
        return e

