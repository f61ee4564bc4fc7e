"""The workspace: the diagram, its expression and problems, the library, parameters, results and sweep.

Every edit is a call on the document (``app.document``), after which :meth:`MainScreen.refresh_document`
redraws every panel from the document's check and starts one evaluation worker: the
queries at the current values first (shown as soon as they are known), then the
adversaries, then the sweep with a progress bar. A newer edit cancels an older
evaluation; Escape cancels a running sweep.
"""
from __future__ import annotations

import time

import numpy as np
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Static, TabbedContent, TabPane
from textual.worker import get_current_worker

from markovwire import parallel
from markovwire.errors import MarkovwireError

from ..commands import bindings
from ..messages import BoxSelected, ComponentChosen, ComponentHighlighted, ExpressionSubmitted, ProblemChosen
from ..widgets.component_details import ComponentDetails
from ..widgets.diagram_view import DiagramView
from ..widgets.error_panel import ErrorPanel
from ..widgets.expression_editor import ExpressionEditor
from ..widgets.inspector import Inspector
from ..widgets.keys_footer import KeysFooter
from ..widgets.library_tree import LibraryTree
from ..widgets.parameter_table import ParameterTable
from ..widgets.results_table import ResultsTable
from ..widgets.sweep_plot import SweepPlot
from .add_component import AddComponentScreen
from .choose import ChooseScreen
from .connect import ConnectScreen
from .file_dialog import FileScreen
from .parameter import ParameterScreen
from .prompt import PromptScreen
from .query import QueryScreen
from .sweep import SweepScreen

PROGRESS_SECONDS = 0.1
"""The least time between two progress reports of an evaluation to the screen (the last one always comes)."""


class Cancelled(Exception):
    """Raised inside an evaluation worker when a newer edit (or Escape) cancelled it."""


class MainScreen(Screen):
    """The workspace; see the module docstring."""

    BINDINGS = bindings("main")
    ESCAPE_TO_MINIMIZE = False     # Escape first leaves a text field, then a zoomed panel (action_cancel)
    PANELS = {"diagram": "#diagram", "library": "#library", "parameters": "#parameters", "results": "#results",
              "problems": "#problems", "expression": "#expression", "sweep": "#sweep"}

    def __init__(self):
        super().__init__()
        self.generation = 0
        self._available: list | None = None
        self.search = ""
        self.results: dict = {}

    # ----- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="top"):
            yield DiagramView(id="diagram", classes="panel")
            yield ExpressionEditor(id="expression", classes="panel")
            yield ErrorPanel(id="problems", classes="panel")
        with Horizontal(id="bottom"):
            with TabbedContent(id="side", initial="tab-parameters"):
                with TabPane("Parameters", id="tab-parameters"):
                    yield ParameterTable(id="parameters")
                with TabPane("Library", id="tab-library"):
                    yield Input(placeholder="search components (/)", id="library-search")
                    yield LibraryTree(id="library")
                    with VerticalScroll(id="details-scroll"):
                        yield ComponentDetails(id="details")
                with TabPane("Selected", id="tab-inspector"):
                    with VerticalScroll(id="inspector-scroll"):
                        yield Inspector(id="inspector")
            with Vertical(id="results-panel", classes="panel"):
                yield Static("", id="results-status")
                yield ResultsTable(id="results")
                yield Static("", id="results-meaning")
            yield SweepPlot(id="sweep", classes="panel")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#diagram").border_title = "Diagram"
        self.query_one("#expression").border_title = "Expression"
        self.query_one("#results-panel").border_title = "Results"
        for panel in ("#side", "#results-panel"):
            self.query_one(panel).ALLOW_MAXIMIZE = True
        self.query_one("#sweep").border_title = "Sweep"
        self.query_one("#details", ComponentDetails).show(None)
        self.query_one("#diagram", DiagramView).focus()
        self.refresh_document()

    # ----- showing the document -----------------------------------------------------------------
    def refresh_document(self, evaluate: bool = True) -> None:
        """Redraw every panel from the document, then evaluate it in a worker."""
        doc = self.app.document
        check = doc.check
        components = {n: i.component.rpartition(".")[2] for n, i in doc.spec.instances.items()}
        diagram = self.query_one("#diagram", DiagramView)
        diagram.show(check.wiring, components, check.problems)
        n, w = len(check.wiring.boxes), len(check.wiring.wires)
        verdict = "✓ type-checks" if check.ok else f"✗ {len(check.problems)} problem(s)" if check.problems else ""
        diagram.border_subtitle = f"{n} box{'es' * (n != 1)}, {w} wire{'s' * (w != 1)}  {verdict}"
        self.query_one("#expression", ExpressionEditor).show(*doc.expression())
        self.query_one("#problems", ErrorPanel).show(check.problems)
        self.query_one("#library", LibraryTree).show(self._libraries(), self.search)
        self.query_one("#parameters", ParameterTable).show(check.parameters, doc.spec)
        self.query_one("#inspector", Inspector).show(diagram.selected, doc)
        self.app.show_title()
        if evaluate:
            self.evaluate_now()

    def _libraries(self) -> list:
        """The libraries in use, then any other available library (its components can be added too)."""
        libs = list(self.app.document.check.libraries)
        if self._available is None:
            self._available = []
            try:
                from markovwire.library import available_libraries, load_library
                self._available = [load_library(path) for path in available_libraries().values()]
            except MarkovwireError:
                pass
        return libs + [lib for lib in self._available if all(lib.name != mine.name for mine in libs)]

    def evaluate_now(self) -> None:
        """Start evaluating the current proposal (cancelling an evaluation under way)."""
        self.generation += 1
        status = self.query_one("#results-status", Static)
        sweep = self.query_one("#sweep", SweepPlot)
        check = self.app.document.check
        if check.proposal is None:
            self.workers.cancel_group(self, "evaluate")
            self.query_one("#results", ResultsTable).show({}, {})
            self.query_one("#results-meaning", Static).update("")
            why = "it is empty: add components (a)" if not self.app.document.spec.instances else \
                "see the problems under the diagram"
            status.update(Text(f"Not evaluated: {why}.", "yellow"))
            sweep.clear("No sweep until the proposal builds.")
            return
        p = check.proposal
        if not p.queries and not p.adversary:
            status.update(Text("No queries yet: add one with q (or import them with I).", "dim"))
        else:
            status.update(Text("evaluating…", "dim"))
        if not p.sweeps:
            sweep.clear("No sweep: pick a parameter and press s.")
        self._evaluate(p, self.generation)

    @work(thread=True, exclusive=True, group="evaluate")
    def _evaluate(self, proposal, generation: int) -> None:
        worker = get_current_worker()

        def check_cancel(done=0, total=0):
            if worker.is_cancelled:
                raise Cancelled()

        def paced(show):
            """``progress(done, total)`` that shows at most one report per PROGRESS_SECONDS, and always the last:
            the worker waits for the screen at each report, and a sweep is many small chunks."""
            last = [-float("inf")]

            def progress(done: int, total: int):
                check_cancel()
                now = time.monotonic()
                if done >= total or now - last[0] >= PROGRESS_SECONDS:
                    last[0] = now
                    self.app.call_from_thread(show, done, total)
            return progress

        report = paced(lambda done, total: self._sweep_progress(generation, done, total))
        # the pieces of an adversary's grid (markovwire.parallel)
        searching = paced(lambda done, total: self._search_progress(generation, len(results), done, total))

        results = {}
        try:
            if proposal.queries:
                with parallel.reporting(check_cancel):
                    results = proposal.evaluate(queries=list(proposal.queries), progress=check_cancel)
                self.app.call_from_thread(self._show_results, generation, dict(results), bool(proposal.adversary))
            if proposal.adversary:
                with parallel.reporting(searching):
                    results.update(proposal.evaluate(queries=list(proposal.adversary), progress=check_cancel))
                self.app.call_from_thread(self._show_results, generation, dict(results), False)
            if proposal.sweeps and proposal.queries:
                from markovwire.library import sweep_grid
                axes, grid = sweep_grid(proposal.sweeps)
                self.app.call_from_thread(self._sweep_started, generation, next(iter(axes)))
                curves = proposal.evaluate(grid, queries=list(proposal.queries), progress=report)
                self.app.call_from_thread(self._sweep_done, generation, axes, curves)
        except Cancelled:
            self.app.call_from_thread(self._cancelled, generation)
        except MarkovwireError as e:
            self.app.call_from_thread(self._failed, generation, e)

    def _current(self, generation: int) -> bool:
        """Whether a worker's result for ``generation`` is still wanted: the latest, and the app not shutting down
        (while it shuts down the screen is still attached but its widgets are being removed)."""
        return generation == self.generation and self.is_attached and self.app.is_running

    def _show_results(self, generation, results, more: bool) -> None:
        if not self._current(generation):
            return
        self.results = results
        p = self.app.document.check.proposal
        texts = {n: q.text for n, q in p.queries.items()} if p is not None else {}
        for n, v in results.items():      # an infinite KL divergence says which label makes it so
            if n in texts and isinstance(v, float) and v == float("inf"):
                why = p.model().why_infinite(n)
                texts[n] += f" is infinite: {why}" if why else ""
        if p is not None:
            texts.update({n: f"{a.sense} of {a.query} over "
                          + (', '.join(a.over) if a.over else f"every kernel of {a.instance}")
                          for n, a in p.adversary.items()})
        self.query_one("#results", ResultsTable).show(results, texts)
        tail = "; the adversary is searching…" if more else ""
        n = len(results)
        self.query_one("#results-status", Static).update(Text(f"{n} result{'s' * (n != 1)}, exact{tail}", "dim"))
        self._meaning()

    def _search_progress(self, generation, shown: int, done: int, total: int) -> None:
        if self._current(generation) and total > 1:
            self.query_one("#results-status", Static).update(Text(
                f"{shown} result{'s' * (shown != 1)}, exact; the adversary is searching… {done}/{total} pieces "
                "(Esc cancels)", "dim"))

    def _sweep_started(self, generation, parameter) -> None:
        if self._current(generation):
            self.query_one("#sweep", SweepPlot).started(f"sweeping {parameter}… (Esc cancels)")

    def _sweep_progress(self, generation, done, total) -> None:
        if self._current(generation):
            self.query_one("#sweep", SweepPlot).advance(done, total)

    def _sweep_done(self, generation, axes, curves) -> None:
        if not self._current(generation):
            return
        names = list(axes)
        shape = [len(a) for a in axes.values()]
        series = {}
        for q, v in curves.items():
            if isinstance(v, np.ndarray) and v.dtype != object and v.size == int(np.prod(shape)):
                series[q] = v.reshape(shape)[(slice(None),) + (0,) * (len(shape) - 1)]
        plot = self.query_one("#sweep", SweepPlot)
        xs = axes[names[0]]
        others = "" if len(names) == 1 else "; others at their first value"
        plot.stopped(f"{names[0]} from {xs[0]:g} to {xs[-1]:g}, {len(xs)} points{others}")
        plot.show(names[0], xs, series)

    def _cancelled(self, generation) -> None:
        if self._current(generation):
            self.query_one("#sweep", SweepPlot).stopped("sweep cancelled (Ctrl+R runs it again)")
            self.query_one("#results-status", Static).update(Text("evaluation cancelled", "yellow"))

    def _failed(self, generation, error: MarkovwireError) -> None:
        if not self._current(generation):
            return
        from .limits import in_the_ui
        self.query_one("#results-status", Static).update(Text(f"✗ {in_the_ui(error)}", "red"))
        self.query_one("#sweep", SweepPlot).stopped("")

    def _meaning(self) -> None:
        table = self.query_one("#results", ResultsTable)
        name = table.current_query()
        text = table.meaning.get(name, "") if name else ""
        doc = self.app.document.spec.queries.get(name) if name else None
        line = Text(text, "cyan")
        if doc is not None and doc.doc:
            line.append("\n" + doc.doc, "dim")
        self.query_one("#results-meaning", Static).update(line)

    # ----- what the widgets report ------------------------------------------------------------------
    @on(ComponentChosen)
    def _component_chosen(self, event: ComponentChosen) -> None:
        self.action_add_component(event.component.qualname)

    @on(ComponentHighlighted)
    def _component_highlighted(self, event: ComponentHighlighted) -> None:
        self.query_one("#details", ComponentDetails).show(event.component, self.app.document.check.all_parameters)

    @on(BoxSelected)
    def _box_selected(self, event: BoxSelected) -> None:
        self.query_one("#inspector", Inspector).show(event.name, self.app.document)
        if event.by_user:
            self.query_one("#side", TabbedContent).active = "tab-inspector"

    @on(ProblemChosen)
    def _problem_chosen(self, event: ProblemChosen) -> None:
        diagram = self.query_one("#diagram", DiagramView)
        if event.box:
            diagram.select(event.box if event.box not in ("in", "out") else f"{event.box}.{event.port}")
        diagram.focus()

    @on(ExpressionSubmitted)
    def _expression(self, event: ExpressionSubmitted) -> None:
        editor = self.query_one("#expression", ExpressionEditor)
        try:
            self.app.document.set_expression(event.text)
        except MarkovwireError as e:
            editor.border_subtitle = "not applied: see the message"
            self.app.notify(str(e), title="Expression not applied", severity="error", timeout=10)
            return
        editor.current = editor.text
        self.app.notify("The diagram follows the expression.", timeout=3)
        self.refresh_document()

    @on(DataTable.RowSelected, "#parameters")
    def _parameter_row(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_set_parameter()

    @on(DataTable.RowHighlighted, "#results")
    def _result_row(self, event: DataTable.RowHighlighted) -> None:
        self._meaning()

    @on(Input.Changed, "#library-search")
    def _search(self, event: Input.Changed) -> None:
        self.search = event.value
        self.query_one("#library", LibraryTree).show(self._libraries(), self.search)

    @on(Input.Submitted, "#library-search")
    def _search_done(self, event: Input.Submitted) -> None:
        self.query_one("#library", LibraryTree).focus()

    @on(TabbedContent.TabActivated)
    def _tab(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "tab-inspector":
            self.query_one("#inspector", Inspector).show(self.query_one("#diagram", DiagramView).selected,
                                                         self.app.document)

    def on_descendant_focus(self, event) -> None:
        widget = event.widget
        side = self.query_one("#side", TabbedContent)
        if widget.id in ("library", "library-search"):
            side.active = "tab-library"
        elif widget.id == "parameters":
            side.active = "tab-parameters"

    # ----- actions ------------------------------------------------------------------------------------
    @property
    def selected(self) -> str | None:
        return self.query_one("#diagram", DiagramView).selected

    def select_box(self, name: str) -> None:
        """Select a box (or outer port) in the diagram and focus the diagram."""
        diagram = self.query_one("#diagram", DiagramView)
        diagram.select(name)
        diagram.focus()

    def _box(self) -> str | None:
        """The selected instance (not an outer port), or None."""
        name = self.selected
        return name if name and name in self.app.document.spec.instances else None

    def _apply(self, fn, *args):
        """Make an edit and redraw (the workspace and any view open over it); the error (if any) goes back to
        the dialog that asked."""
        out = fn(*args)              # a mistake raises here, before anything is redrawn
        self.app.document_changed()
        return out

    def action_add_component(self, chosen: str | None = None) -> None:
        comps = [c for lib in self._libraries() for c in lib.components.values()]
        doc = self.app.document

        def done(name):
            if name:
                self.query_one("#diagram", DiagramView).select(name)
                self.app.notify(f"Added {name}. Connect its ports with c.", timeout=3)

        self.app.push_screen(AddComponentScreen(comps, lambda c, n: self._apply(doc.add_instance, c, n or None),
                                                chosen), done)

    def action_connect(self) -> None:
        doc = self.app.document
        box = self.selected if self.selected and not self.selected.startswith("out.") else None
        if box and box.startswith("in."):
            box = "in"
        candidates = doc.candidates(box)
        if box == "in":
            candidates = [c for c in candidates if c[0] == self.selected]
        self.app.push_screen(ConnectScreen(self.selected, candidates,
                                           lambda text: self._apply(doc.connect_text, text)))

    def action_disconnect(self) -> None:
        doc = self.app.document
        name = self.selected
        wires = doc.wires()
        if name:
            box = name if name in doc.spec.instances else None
            wires = [w for w in wires if (box and box in (w[0].split(".")[0], w[1].split(".")[0]))
                     or name in w] or wires
        entries = [(f"{a} -> {b}", f"{a}  →  {b}") for a, b in wires]

        def apply(key):
            a, _, b = key.partition(" -> ")
            self._apply(doc.disconnect, a, b)

        self.app.push_screen(ChooseScreen("Remove a wire", entries, apply=apply, empty="There are no wires."))

    def action_expose(self) -> None:
        doc = self.app.document
        box = self._box()
        if box is None:
            self.app.notify("Select a box first (arrow keys in the diagram).", severity="warning")
            return
        ports = [p for p in doc.ports(box) if p.side == "output" or not p.links]
        entries = [(p.ref, f"{p.ref}  ({p.type.name})  → outer {'input' if p.side == 'input' else 'output'}")
                   for p in ports]

        def named(ref):
            if not ref:
                return
            port = ref.partition(".")[2]
            self.app.push_screen(PromptScreen(f"Name the outer port for {ref}", port,
                                              apply=lambda n: self._apply(doc.expose, ref, n)))

        self.app.push_screen(ChooseScreen(f"Expose a port of {box}", entries, empty="No port to expose: every "
                                          "input is connected and there are no outputs."), named)

    def action_rename(self) -> None:
        doc = self.app.document
        box = self._box()
        if box is None:
            self.app.notify("Select a box to rename.", severity="warning")
            return

        def done(name):
            if name:
                self.query_one("#diagram", DiagramView).select(name)

        rename = lambda n: self._apply(doc.rename_instance, box, n)
        self.app.push_screen(PromptScreen(f"Rename {box}", box, apply=rename), done)

    def action_tv_radius(self) -> None:
        from .bounds import tv_radius_prompt
        doc = self.app.document
        box = self._box()
        if box is None:
            self.app.notify("Select a box first (arrow keys in the diagram): t gives it a TV radius.",
                            severity="warning")
            return
        self.app.push_screen(tv_radius_prompt(doc, box, lambda text: self._apply(doc.set_tv_radius, box, text)))

    def action_remove(self) -> None:
        doc = self.app.document
        if self.focused is self.query_one("#results"):
            name = self.query_one("#results", ResultsTable).current_query()
            if name:
                self._attempt(doc.remove_query, name, done=f"Removed query {name} (u undoes).")
            return
        name = self.selected
        if name and name.startswith(("in.", "out.")):
            before = doc.wires()
            for a, b in [w for w in before if name in w]:
                self._attempt(doc.disconnect, a, b)
            done = len(before) - len(doc.wires())
            if done:
                self.app.notify(f"Removed the outer port {name} ({done} wire{'s' * (done != 1)}; u undoes one at a "
                                "time).", timeout=4)
            return
        if name:
            self._attempt(doc.remove_instance, name, done=f"Removed {name} and its wires (u undoes).")

    def _attempt(self, fn, *args, done: str | None = None):
        """An edit from a key (no dialog): a mistake becomes a message, the document stays as it was."""
        try:
            out = self._apply(fn, *args)
        except MarkovwireError as e:
            self.app.notify(str(e), title="Not done", severity="error", timeout=8)
            return None
        if done:
            self.app.notify(done, timeout=3)
        return out

    def _parameter(self, then) -> None:
        """Run ``then(name)`` on the highlighted parameter, or on one chosen from a list."""
        table = self.query_one("#parameters", ParameterTable)
        if self.focused is table and table.current():
            then(table.current())
            return
        params = self.app.document.check.parameters
        entries = [(n, f"{n}  = {'—' if p.default is None else f'{p.default:g}'}  {p._fmt_domain()}")
                   for n, p in params.items()]
        self.app.push_screen(ChooseScreen("Which parameter?", entries, empty="No parameters yet: add components."),
                             lambda n: then(n) if n else None)

    def action_set_parameter(self) -> None:
        doc = self.app.document

        def edit(name):
            par = doc.parameter(name)
            self.app.push_screen(ParameterScreen(par, doc.spec.parameters.get(name),
                                                 lambda text: self._apply(doc.set_parameter, name, text)))

        self._parameter(edit)

    def action_sweep(self) -> None:
        doc = self.app.document

        def setup(name):
            current = doc.spec.sweeps[0] if doc.spec.sweeps else None
            self.app.push_screen(SweepScreen(doc.parameter(name), current,
                                             lambda n, a, b, k: self._apply(doc.set_sweep, n, a, b, k)))

        self._parameter(setup)

    def action_export_plot(self) -> None:
        """The sweep plot as a figure for a paper (``markovwire plot``): the file named here, its suffix the format."""
        from pathlib import Path

        doc, p = self.app.document, self.app.document.check.proposal
        if p is None or not p.sweeps:
            self.app.notify("No sweep to export: pick a parameter and press s." if p is not None else
                            "The proposal does not build yet (see Problems).", severity="warning")
            return
        base = doc.path.with_name(f"{doc.path.stem}-sweep.pdf") if doc.path else Path.cwd() / f"{doc.name}-sweep.pdf"

        def write(text: str) -> None:
            from markovwire.library.plots import save_figure, sweep_figure
            save_figure(sweep_figure(p), Path(text).expanduser())

        self.app.push_screen(PromptScreen("Export the sweep plot", str(base), note="The suffix is the format: .svg, "
                                          ".png or .pdf.", apply=write),
                             lambda path: self.app.notify(f"Exported {path}.", timeout=4) if path else None)

    def action_adversary(self) -> None:
        doc = self.app.document

        def toggle(name):
            if doc.adversary_of(name):
                self._attempt(doc.release_from_adversary, name, done=f"{name} is a plain parameter again.")
                return
            entries = [(f"{sense}:{q}", f"{'minimise' if sense == 'min' else 'maximise'} {q}")
                       for q, spec in doc.spec.queries.items() if spec.is_linear
                       for sense in ("min", "max")]
            self.app.push_screen(ChooseScreen(f"The adversary chooses {name} to …", entries,
                                              apply=lambda k: self._apply(doc.hand_to_adversary, name,
                                                                          k.partition(":")[2], k.partition(":")[0]),
                                              empty="Add a probability or expectation query first (q)."))

        self._parameter(toggle)

    def action_add_query(self) -> None:
        doc = self.app.document
        wd = doc.check.wiring
        inputs = "; ".join(f"{p.name} = {p.type.elements[0]}" for p in wd.inputs)
        self.app.push_screen(QueryScreen(lambda n, data: self._apply(doc.add_query, n, data), inputs))

    def action_sensitivities(self) -> None:
        p = self.app.document.check.proposal
        table = self.query_one("#results", ResultsTable)
        name = table.current_query() if self.focused is table else None
        if p is None:
            self.app.notify("The proposal does not build yet (see Problems).", severity="warning")
            return
        if name is None or name not in p.queries:
            entries = [(q, q) for q, spec in p.queries.items() if spec.is_linear]
            self.app.push_screen(ChooseScreen("Sensitivities of which query?", entries,
                                              empty="Add a probability or expectation query first (q)."),
                                 lambda q: self._sensitivities(p, q) if q else None)
            return
        self._sensitivities(p, name)

    @work(thread=True, exclusive=True, group="sensitivities")
    def _sensitivities(self, proposal, query: str) -> None:
        from markovwire.library.sensitivity import sensitivities_of

        from .sensitivity import SensitivityScreen
        try:
            table = sensitivities_of(proposal, query)
        except MarkovwireError as e:
            from .limits import in_the_ui
            self.app.call_from_thread(self.app.notify, str(in_the_ui(e)),
                                      title="No sensitivities", severity="error")
            return
        self.app.call_from_thread(self.app.push_screen, SensitivityScreen(table))

    def action_import_queries(self) -> None:
        from markovwire.library import shipped_proposals
        doc = self.app.document
        self.app.push_screen(FileScreen("Import queries, sweeps and adversaries from", "",
                                        shipped_proposals() + self.app.yaml_files(),
                                        apply=lambda path: self._apply(doc.import_queries, path)))

    def action_import_library(self) -> None:
        from markovwire.library import available_libraries
        doc = self.app.document

        def done(path):
            if path:
                self.app.notify(f"Library {path} is in use: its components are in the tree.", timeout=4)

        self.app.push_screen(FileScreen("Import a component library (a name or a .yaml file)", "",
                                        list(available_libraries().values()) + self.app.yaml_files(),
                                        apply=lambda path: self._apply(doc.add_library, str(path))), done)

    def action_instance_parameters(self) -> None:
        from .parameters_of import InstanceParametersScreen
        doc = self.app.document
        box = self._box()
        if box is None:
            self.app.notify("Select a box first (arrow keys in the diagram): p shows its parameters.",
                            severity="warning")
            return
        bind = lambda name, text: self._apply(doc.bind_parameter, box, name, text)
        self.app.push_screen(InstanceParametersScreen(doc, box, bind))

    def action_new_component(self) -> None:
        from .new_component import NewComponentScreen
        doc = self.app.document

        def done(qualname):
            if qualname:        # usable at once: the add dialog opens on it (Esc leaves it in the library)
                self.app.notify(f"{qualname} is saved in your library; name an instance of it.", timeout=4)
                self.action_add_component(qualname)

        define = lambda draft, library: self._apply(doc.define_component, draft, library)
        self.app.push_screen(NewComponentScreen(doc, define), done)

    def action_libraries(self) -> None:
        from markovwire.library import available_libraries

        from .libraries import LibrariesScreen
        doc = self.app.document
        self.app.push_screen(LibrariesScreen(doc, available_libraries(), lambda ref: self._apply(doc.add_library, ref),
                                             lambda ref: self._apply(doc.remove_library, ref)))

    def action_steps(self) -> None:
        doc = self.app.document
        current = doc.spec.episode.steps if doc.spec.episode else ""
        self.app.push_screen(PromptScreen("Episode length", str(current),
                                          note="A whole number of steps, or an integer parameter such as T.",
                                          apply=lambda t: self._apply(doc.set_steps, t)))

    def action_search_library(self) -> None:
        self.query_one("#side", TabbedContent).active = "tab-library"
        self.query_one("#library-search", Input).focus()

    def action_edit_expression(self) -> None:
        editor = self.query_one("#expression", ExpressionEditor)
        editor.add_class("-editing")                 # a short terminal shows the expression only while editing
        self.call_after_refresh(editor.focus)

    def action_run(self) -> None:
        self.evaluate_now()

    def action_cancel(self) -> None:
        """Escape: leave a text field (the search to the tree, the expression to the diagram), else leave a
        zoomed panel, else cancel a running sweep."""
        left = {"library-search": "#library", "expression": "#diagram"}.get(getattr(self.focused, "id", None))
        if left is not None:
            self.query_one(left).focus()
            return
        if self.maximized is not None:
            self.minimize()
            return
        running = [w for w in self.workers if w.group == "evaluate" and w.is_running]
        if running:
            self.workers.cancel_group(self, "evaluate")
            self.query_one("#sweep", SweepPlot).stopped("sweep cancelled (Ctrl+R runs it again)")

    def action_zoom(self) -> None:
        if self.maximized is not None:
            self.minimize()
        elif self.focused is not None:
            target = self.focused
            if target.id in ("library", "library-search", "parameters"):
                target = self.query_one("#side")
            elif target.id == "results":
                target = self.query_one("#results-panel")
            self.maximize(target, container=False)

    def action_focus_panel(self, name: str) -> None:
        if self.maximized is not None:
            self.minimize()
        if name in ("library", "parameters"):
            self.query_one("#side", TabbedContent).active = f"tab-{name}"
        widget = self.query_one(self.PANELS[name])
        if name == "sweep":
            self.maximize(widget, container=False)
            return
        widget.focus()
        if name in ("library", "parameters") and self.app.size.width < 100:
            self.maximize(self.query_one("#side"), container=False)
