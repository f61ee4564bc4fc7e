"""The control game: the blue team's best protocol against the red team's best reply, and the frontier.

The proposal's ``blue:`` entry (``n`` chooses another when the file has several) is solved as
``markovwire solve`` solves it (the value, both strategies with their mixture weights, the
solution concept, the constraints at the equilibrium and what is guaranteed), and its
safety-usefulness frontier traced as ``markovwire frontier`` traces it (``y`` chooses the
usefulness query; default: one named ``usefulness``), as a table and a plot. ``m`` switches
between mixtures and a pure commitment. Everything is computed in a worker, so the UI stays
responsive; errors go to the panel at the bottom.
"""
from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Static
from textual.worker import get_current_worker

from markovwire.errors import MarkovwireError
from markovwire.library.game import protocols

from ..check import Problem
from ..commands import view_bindings
from ..widgets.error_panel import ErrorPanel
from ..widgets.frontier_plot import FrontierPlot
from ..widgets.frontier_table import FrontierTable
from ..widgets.keys_footer import KeysFooter
from .choose import ChooseScreen

WEIGHTS = 21        # as markovwire frontier's default: the same points on both surfaces


def _guarded(fn):
    """``fn()``, or the error that says why not (an unexpected one is reported as a bug, not raised)."""
    try:
        return fn()
    except MarkovwireError as e:
        from .limits import in_the_ui
        return in_the_ui(e)
    except Exception as e:  # noqa: BLE001 - shown in the error panel rather than ending the app
        return MarkovwireError("control game", f"failed unexpectedly ({type(e).__name__}: {e})",
                               fix="this is a bug in markovwire: please report it with the proposal file")


def equilibrium_text(name: str, entry, eq) -> Text:
    """The solve result as ``markovwire solve`` prints it."""
    out = Text.assemble((f"{entry.query} = {eq.value:.6g}", "bold"), f"  blue entry {name}\n", (eq.concept, "dim"))
    for side, strategy, color in (("blue", eq.blue, "cyan"), ("red", eq.red, "magenta")):
        lines = protocols(strategy)
        out.append(f"\n{side}: ", "bold")
        out.append(lines[0] if len(lines) == 1 else "a mixture of " + str(len(lines)) + " protocols", color)
        for line in lines if len(lines) > 1 else []:
            out.append(f"\n  {line}", color)
    for k, v in eq.constraints.items():
        out.append(f"\nconstraint {k}: {v:.6g} at the equilibrium", "dim")
    out.append(f"\nguarantee: {eq.guarantee}", "dim italic")
    if eq.robust is not None:                  # kernels measured from data: nature joins red within their sets
        out.append(f"\n\nrobust {entry.query} = {eq.robust.value:.6g}", "bold")
        out.append(f"  [{eq.robust.value:.6g}, {eq.value:.6g}] over the measured kernels' credal sets\n")
        out.append(eq.robust.concept, "dim")
        for side, strategy, color in (("blue", eq.robust.blue, "cyan"), ("red", eq.robust.red, "magenta")):
            out.append(f"\nrobust {side}: ", "bold")
            out.append("; ".join(protocols(strategy)), color)
    return out


class GameScreen(Screen):
    """The solve result and the frontier of one blue entry; see the module docstring."""

    VIEW = "game"
    BINDINGS = view_bindings("game")

    def __init__(self):
        super().__init__()
        self.generation = 0
        self.blue: str | None = None
        self.usefulness: str | None = None
        self.mixed = True
        self.equilibrium = None
        self.frontier = None
        self.line = Text("")

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="game-panel", classes="panel"):
            yield Static("", id="game-status")
            with VerticalScroll(id="game-solution-scroll"):
                yield Static("", id="game-solution")
        with Horizontal(id="frontier-panel", classes="panel"):
            yield FrontierTable(id="frontier-table")
            yield FrontierPlot(id="frontier-plot")
        yield ErrorPanel(id="game-problems", classes="panel")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#game-panel").border_title = "Control game: blue's best protocol against red's best reply"
        self.query_one("#frontier-panel").border_title = "Safety-usefulness frontier"
        self.refresh_document()
        self.query_one("#frontier-table").focus()

    @property
    def proposal(self):
        return self.app.document.check.proposal

    # ----- showing ----------------------------------------------------------------------------------
    def refresh_document(self) -> None:
        """Show what will be computed for the current document, and compute it in a worker."""
        self.generation += 1
        self.equilibrium = self.frontier = None
        p = self.proposal
        status = self.query_one("#game-status", Static)
        if p is None or not p.spec.blue:
            self.workers.cancel_group(self, "game")
            why = ("The proposal does not build now (see Problems in the workspace). Undo (u) or go back (Esc)."
                   if p is None else "No blue: entry in this file: add one beside adversary: (query, over: "
                   "[parameters], constraints) to solve the control game. Esc goes back.")
            status.update(Text(why, "yellow"))
            self._draw([])
            return
        if self.blue not in p.spec.blue:
            self.blue = next(iter(p.spec.blue))
        entry = p.spec.blue[self.blue]
        linear = [n for n, q in p.queries.items() if q.is_linear and n != entry.query]
        if self.usefulness not in linear:
            self.usefulness = "usefulness" if "usefulness" in linear else (linear[0] if linear else None)
        from markovwire.library.game import red_entries
        line = Text.assemble(("blue entry ", "dim"), (self.blue, "bold cyan"), (" against ", "dim"),
                             (", ".join(red_entries(p.spec, self.blue)), "bold magenta"),
                             (" · usefulness: ", "dim"), (self.usefulness or "none", "bold"),
                             (" · mixtures" if self.mixed else " · pure commitment", "dim"))
        self.line = line
        status.update(line + Text("  (computing…)", "dim italic"))
        self._draw([])
        self._compute(p, self.blue, self.usefulness, self.mixed, self.generation)

    def _draw(self, errors: list) -> None:
        p = self.proposal
        solution = self.query_one("#game-solution", Static)
        if self.equilibrium is not None and p is not None and self.blue in p.spec.blue:
            solution.update(equilibrium_text(self.blue, p.spec.blue[self.blue], self.equilibrium))
        else:
            solution.update("")
        self.query_one("#frontier-table", FrontierTable).show(self.frontier)
        self.query_one("#frontier-plot", FrontierPlot).show(self.frontier)
        self.query_one("#game-problems", ErrorPanel).show([Problem(e) for e in errors])

    @work(thread=True, exclusive=True, group="game")
    def _compute(self, proposal, blue: str, usefulness: str | None, mixed: bool, generation: int) -> None:
        worker = get_current_worker()
        eq = _guarded(lambda: proposal.solve(blue, mixed=mixed))
        if worker.is_cancelled:
            return
        self.app.call_from_thread(self._done, generation, eq, None, usefulness is None)
        if usefulness is None:
            return
        fr = _guarded(lambda: proposal.frontier(None, usefulness, blue, weights=WEIGHTS, mixed=mixed))
        if not worker.is_cancelled:
            self.app.call_from_thread(self._done, generation, eq, fr, True)

    def _done(self, generation: int, eq, fr, finished: bool) -> None:
        if generation != self.generation or not self.is_attached:
            return
        errors = [x for x in (eq, fr) if isinstance(x, MarkovwireError)]
        self.equilibrium = None if isinstance(eq, MarkovwireError) else eq
        self.frontier = None if fr is None or isinstance(fr, MarkovwireError) else fr
        if finished:
            self.query_one("#game-status", Static).update(self.line)
        self._draw(errors)

    # ----- actions ------------------------------------------------------------------------------------
    def action_choose_blue(self) -> None:
        p = self.proposal
        if p is None:
            return
        entries = [(n, f"{n}: {b.query} over {', '.join(b.over) or b.instance}") for n, b in p.spec.blue.items()]

        def chosen(name):
            if name:
                self.blue = name
                self.refresh_document()
        self.app.push_screen(ChooseScreen("Which blue entry?", entries, empty="No blue: entries."), chosen)

    def action_choose_usefulness(self) -> None:
        p = self.proposal
        if p is None or self.blue not in p.spec.blue:
            return
        query = p.spec.blue[self.blue].query
        entries = [(n, f"{n}: {q}") for n, q in p.queries.items() if q.is_linear and n != query]

        def chosen(name):
            if name:
                self.usefulness = name
                self.refresh_document()
        self.app.push_screen(ChooseScreen("Which query is usefulness (on the honest model)?", entries,
                                          empty="No other probability or expectation query."), chosen)

    def action_toggle_mixed(self) -> None:
        self.mixed = not self.mixed
        self.refresh_document()

    def action_recompute(self) -> None:
        self.refresh_document()
