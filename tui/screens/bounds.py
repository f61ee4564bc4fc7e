"""Bounds: lower and upper values of the queries, and the robustness band of each value.

Above, the proposal's credal entries (parameters in intervals, instances given as credal
sets), each with its interval, how far it is certified and the choices attaining its
ends; then, when the user has let parameters range over intervals (``i``, like
``eval --interval``), the bounds of every query. Below, each query's total-variation
band from the instances' radii (``t``, like ``tv_radius`` in the file). Radii and kept
credal entries (``k``) are edits of the document (undoable, saved, recovered); the
ad-hoc intervals are not. Everything is computed in a worker; errors go to the panel
at the bottom.
"""
from __future__ import annotations

import re

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static
from textual.worker import get_current_worker

from markovwire import parallel
from markovwire.errors import Cancelled, MarkovwireError, ParameterError
from markovwire.library.constructions import constant

from ..check import Problem
from ..commands import view_bindings
from ..widgets.bands_table import BandsTable
from ..widgets.bounds_table import BoundsRow, BoundsTable
from ..widgets.error_panel import ErrorPanel
from ..widgets.keys_footer import KeysFooter
from ..widgets.results_table import number
from .choose import ChooseScreen
from .prompt import PromptScreen


def shown_intervals(intervals: dict) -> str:
    """``beta ∈ [0.01, 0.05], r_ok ∈ [0.6, 0.9]``"""
    return ", ".join(f"{n} ∈ [{lo:g}, {hi:g}]" for n, (lo, hi) in intervals.items())


def parse_interval(text: str, where: str) -> tuple[float, float]:
    """Two numbers (or constants) ``lo, hi`` — also ``lo:hi``, ``[lo, hi]`` or ``lo hi``."""
    parts = [x for x in re.split(r"[,:;\s]+", text.strip().strip("[]()")) if x]
    if len(parts) != 2:
        raise ParameterError(where, f"{text.strip()!r} is not two numbers", fix="write low, high (e.g. 0.01, 0.05)")
    lo, hi = (constant(x, where) for x in parts)
    return lo, hi


def _guarded(fn):
    """``fn()``, or the error that says why not (an unexpected one is reported as a bug, not raised)."""
    try:
        return fn()
    except MarkovwireError as e:
        from .limits import in_the_ui
        return in_the_ui(e)              # too large for the budgets: the fix says how to raise them here
    except Exception as e:  # noqa: BLE001 - shown in the error panel rather than ending the app
        return MarkovwireError("bounds", f"failed unexpectedly ({type(e).__name__}: {e})",
                               fix="this is a bug in markovwire: please report it with the proposal file")


class BoundsScreen(Screen):
    """Credal bounds and TV bands of the proposal being edited; see the module docstring."""

    VIEW = "bounds"
    BINDINGS = view_bindings("bounds")

    def __init__(self):
        super().__init__()
        self.generation = 0
        self.rows: list[BoundsRow] = []
        self.bands: dict = {}
        self._known: tuple = (None, None, {})    # (proposal, limits, {credal entry: bounds}) computed for it

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="bounds-panel", classes="panel"):
            yield Static("", id="bounds-status")
            yield BoundsTable(id="bounds-table")
            with VerticalScroll(id="bounds-detail-scroll"):
                yield Static("", id="bounds-detail")
        with Vertical(id="bands-panel", classes="panel"):
            yield Static("", id="bands-status")
            yield BandsTable(id="bands-table")
            yield Static("", id="bands-detail")
        yield ErrorPanel(id="bounds-problems", classes="panel")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#bounds-panel").border_title = "Bounds: lower and upper values"
        self.query_one("#bands-panel").border_title = "Robustness: total-variation bands"
        self.refresh_document()
        self.query_one("#bounds-table").focus()

    # ----- showing ----------------------------------------------------------------------------------
    @property
    def proposal(self):
        return self.app.document.check.proposal

    def refresh_document(self) -> None:
        """Show the current document's entries (pending) and compute them in a worker."""
        self.generation += 1
        p = self.proposal
        intervals = dict(self.app.intervals)
        if p is None:
            self.workers.cancel_group(self, "bounds")
            self.rows, self.bands = [], {}
            self._draw()
            why = Text("The proposal does not build now (see Problems in the workspace): nothing to bound. "
                       "Undo (u) or go back (Esc).", "yellow")
            self.query_one("#bounds-status", Static).update(why)
            self.query_one("#bands-status", Static).update("")
            return
        numeric = [n for n, q in p.queries.items() if q.is_linear]
        # the file's credal entries of the same compiled proposal under the same limits are known already (an
        # ad-hoc interval changes only the ad-hoc rows): shown again, not computed again
        known = self._known[2] if self._known[0] is p and self._known[1] == _limits() else {}
        self._known = (p, _limits(), known)
        self.rows = [BoundsRow(f"credal:{n}", n, c.query, known.get(n), c.doc) for n, c in p.credal.items()]
        if intervals:
            self.rows += [BoundsRow(f"adhoc:{q}", "", q) for q in numeric]
        self.bands = {q: None for q in numeric}
        self._draw()
        asked = [(r.key, r.entry, r.query) for r in self.rows if r.result is None]
        self._compute(p, intervals, numeric, asked, self.generation)

    def _draw(self) -> None:
        p = self.proposal
        intervals = self.app.intervals
        status = Text()
        if p is not None:
            n = len(p.credal)
            status.append(f"{n} credal entr{'y' if n == 1 else 'ies'} in the file" if n else
                          "No credal entries in the file", "" if n else "dim")
            if intervals:
                status.append(" · ad hoc: ", "dim").append(shown_intervals(intervals), "bold")
            else:
                status.append(" · i: give a parameter an interval", "dim")
        self.query_one("#bounds-status", Static).update(status)
        self.query_one("#bounds-table", BoundsTable).show(self.rows)
        self.query_one("#bands-table", BandsTable).show(self.bands)
        radii = p.radii if p is not None else {}
        line = Text("TV radii: ", "dim")
        if radii:
            line.append(", ".join(f"{i} {e:g}" for i, e in radii.items()), "bold")
            line.append(" · t changes one", "dim")
        else:
            line.append("none yet · t gives an instance one (how far reality may be from the model)", "dim")
        self.query_one("#bands-status", Static).update(line if p is not None else "")
        self._details()
        errors = [r.result for r in self.rows if isinstance(r.result, MarkovwireError)]
        errors += [b for b in self.bands.values() if isinstance(b, MarkovwireError)]
        self.query_one("#bounds-problems", ErrorPanel).show([Problem(e) for e in errors])

    def _details(self) -> None:
        table = self.query_one("#bounds-table", BoundsTable)
        text = table.detail(shown_intervals(self.app.intervals))
        if not table.row_count:
            text = Text("Nothing to bound yet: give a parameter an interval (i), or add entries under 'credal:' "
                        "in the file (k keeps ad-hoc intervals as one).", "dim")
        self.query_one("#bounds-detail", Static).update(text)
        self.query_one("#bands-detail", Static).update(self.query_one("#bands-table", BandsTable).detail())

    @work(thread=True, exclusive=True, group="bounds")
    def _compute(self, proposal, intervals: dict, numeric: list[str], asked: list[tuple], generation: int) -> None:
        worker = get_current_worker()

        def stop_if_cancelled(done: int, total: int):   # between pieces of a search or a vertex enumeration
            if worker.is_cancelled:
                raise Cancelled(None, "bounds cancelled")
        bands = {}
        for q in numeric:                                   # bands first: they are quick
            if worker.is_cancelled:
                return
            bands[q] = _guarded(lambda: proposal.band(q))
        self.app.call_from_thread(self._bands_done, generation, bands)
        results = {}
        for key, entry, query in asked:
            if worker.is_cancelled:
                return
            with parallel.reporting(stop_if_cancelled):
                if entry:
                    results[key] = _guarded(lambda: proposal.evaluate(queries=[entry])[entry])
                else:
                    results[key] = _guarded(lambda: proposal.bounds(query, intervals))
            if worker.is_cancelled:
                return
            self.app.call_from_thread(self._bounds_done, generation, dict(results))

    def _bands_done(self, generation: int, bands: dict) -> None:
        if generation == self.generation and self.is_attached:
            self.bands = bands
            self._draw()

    def _bounds_done(self, generation: int, results: dict) -> None:
        if generation == self.generation and self.is_attached:
            for r in self.rows:
                if r.key in results:
                    r.result = results[r.key]
                    if r.entry and not isinstance(r.result, MarkovwireError):
                        self._known[2][r.entry] = r.result
            self._draw()

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._details()

    # ----- actions ------------------------------------------------------------------------------------
    def action_set_interval(self) -> None:
        p = self.proposal
        if p is None:
            return
        intervals = self.app.intervals
        entries = []
        for n, par in p.parameters.items():
            if n in p.structural or par.integer:
                continue
            now = f"  ∈ [{intervals[n][0]:g}, {intervals[n][1]:g}]" if n in intervals else ""
            value = "—" if par.default is None else f"{par.default:g}"
            entries.append((n, f"{n}  = {value}   domain {par._fmt_domain()}{now}"))

        def ask(name):
            if not name:
                return
            par = p.parameters[name]
            now = intervals.get(name)
            self.app.push_screen(PromptScreen(
                f"Let {name} range over an interval", f"{now[0]:g}, {now[1]:g}" if now else "",
                note=f"low, high inside its domain {par._fmt_domain()} (now {number(par.default)}); every query "
                     "is then bounded over it. Empty text removes the interval.",
                apply=lambda text: self._set_interval(name, text), placeholder="low, high"),
                lambda text: self.refresh_document() if text is not None else None)

        self.app.push_screen(ChooseScreen("Which parameter ranges over an interval?", entries,
                                          empty="No real-valued parameter to bound."), ask)

    def _set_interval(self, name: str, text: str) -> None:
        from markovwire.library.bounds import intervals_of
        if not text.strip():
            self.app.intervals.pop(name, None)
            return
        lo, hi = parse_interval(text, f"interval of {name!r}")
        self.app.intervals[name] = intervals_of(self.proposal, {name: (lo, hi)})[name]

    def action_tv_radius(self) -> None:
        doc = self.app.document
        radii = {n: i.tv_radius for n, i in doc.spec.instances.items()}
        entries = [(n, f"{n}  ε = {'—' if e is None else f'{e:g}'}   ({doc.spec.instances[n].component})")
                   for n, e in radii.items()]

        def ask(name):
            if name:
                self.app.push_screen(tv_radius_prompt(doc, name),
                                     lambda text: self.app.document_changed() if text is not None else None)

        self.app.push_screen(ChooseScreen("Which instance gets a TV radius?", entries, empty="No instances."), ask)

    def action_keep_bounds(self) -> None:
        intervals = dict(self.app.intervals)
        if not intervals:
            self.app.notify("Give a parameter an interval first (i); k keeps it as a credal entry of the file.",
                            severity="warning", timeout=5)
            return
        key = self.query_one("#bounds-table", BoundsTable).current() or ""
        if key.startswith("adhoc:"):
            self._keep(key.partition(":")[2], intervals)
            return
        numeric = [(q, q) for q in self.bands]
        self.app.push_screen(ChooseScreen(f"Keep {shown_intervals(intervals)} for which query?", numeric),
                             lambda q: self._keep(q, intervals) if q else None)

    def _keep(self, query: str, intervals: dict) -> None:
        doc = self.app.document
        taken = set(doc.spec.queries) | set(doc.spec.adversary) | set(doc.spec.credal)
        name, k = f"{query}_range", 2
        while name in taken:
            name, k = f"{query}_range{k}", k + 1

        def done(text):
            if text is not None:
                self.app.document_changed()
                self.app.notify(f"Kept as credal entry {text} (Ctrl+S writes the file; u undoes).", timeout=4)

        self.app.push_screen(PromptScreen(
            f"Keep the bounds of {query} as a credal entry", name,
            note=f"With {shown_intervals(intervals)}. It goes under 'credal:' in the file, so eval and this screen "
                 "report it every time.",
            apply=lambda text: doc.add_credal(text, query, intervals)), done)

    def action_remove_entry(self) -> None:
        key = self.query_one("#bounds-table", BoundsTable).current() or ""
        if not key.startswith("credal:"):
            self.app.notify("Highlight a credal entry of the file to remove it (ad-hoc bounds go when their "
                            "intervals do: i, then empty text).", severity="warning", timeout=5)
            return
        name = key.partition(":")[2]
        try:
            self.app.document.remove_credal(name)
        except MarkovwireError as e:
            self.app.notify(str(e), title="Not removed", severity="error", timeout=8)
            return
        self.app.document_changed()
        self.app.notify(f"Removed credal entry {name} (u undoes).", timeout=3)

    def action_recompute(self) -> None:
        self._known = (None, None, {})
        self.refresh_document()


def _limits() -> tuple:
    """The session's limits (a bound refused by one, or computed under it, is asked again when they change)."""
    from markovwire import limits
    return limits.memory_budget(), limits.cost_budget(), limits.sweep_limit(), limits.figure_limit()


def tv_radius_prompt(doc, instance: str, apply=None) -> PromptScreen:
    """The dialog that sets an instance's TV radius (``apply(text)`` defaults to the document's edit)."""
    now = doc.spec.instances[instance].tv_radius
    return PromptScreen(f"TV radius of {instance}", "" if now is None else f"{now:g}",
                        note="How far reality's kernel may be from the model's, in total variation, in every row "
                             "(0 … 1). Each query's band on the bounds screen (b) widens by it. Empty text removes "
                             "it.",
                        apply=apply or (lambda text: doc.set_tv_radius(instance, text)), placeholder="e.g. 0.01")
