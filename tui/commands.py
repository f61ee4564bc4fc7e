"""Every action of the UI in one table, and the command-palette providers built from it.

:data:`ACTIONS` is the one list of what a user can do: its key, its title, a line of
help, and the part of the screen whose key bindings carry it. The key bindings
(and so the footer), the command palette and the help screen are all made from
it, so they cannot drift apart. ``ComponentsProvider`` adds "add component <name>"
for every component of the libraries in use.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider


@dataclass(frozen=True)
class Action:
    """One thing a user can do: ``action`` is the Textual action string it runs.

    ``area`` is the part of the screen whose footer shows it (when that part has
    focus); the key works everywhere on the workspace unless ``area`` is ``app``
    (everywhere at all) or the key is typed into a text field.
    """

    action: str
    key: str
    title: str
    help: str
    area: str
    short: str = ""      # the footer's word for it (default: the title)
    show: bool = True

    @property
    def key_display(self) -> str:
        return _display(self.key.split(",")[0])


AREAS = {
    "app": "Everywhere",
    "diagram": "Diagram (boxes and wires)",
    "parameters": "Parameters",
    "results": "Results and queries",
    "library": "Library",
    "main": "Workspace",
    "bounds": "Bounds screen (b): credal bounds and TV bands",
    "flow": "Flow screen (f): information-flow claims",
    "compare": "Compare screen (Ctrl+D): two proposals and what changed",
    "game": "Control game screen (B): blue's best protocol and the safety-usefulness frontier",
}
WORKSPACE = ("diagram", "parameters", "results", "library", "main")
"""The areas of the workspace screen (the others are screens of their own)."""

ACTIONS: tuple[Action, ...] = (
    Action("app.help", "f1", "Help", "Every key and action, on one screen", "app"),
    Action("app.save", "ctrl+s", "Save", "Write the proposal file (atomically)", "app"),
    Action("app.undo", "ctrl+z", "Undo", "Undo the last edit (also u)", "app"),
    Action("app.redo", "ctrl+y", "Redo", "Redo the last undone edit (also U)", "app", show=False),
    Action("app.save_as", "ctrl+w", "Save as", "Write the proposal to a new file", "app", show=False),
    Action("app.open", "ctrl+o", "Open", "Open another proposal file", "app", show=False),
    Action("app.new", "ctrl+n", "New", "Start an empty proposal", "app", show=False),
    Action("app.export", "ctrl+e", "Export figure", "Export the diagram as SVG, PNG, PDF, TeX or DOT", "app", "Export"),
    Action("app.compare", "ctrl+d", "Compare", "Compare this proposal with another: what changed (boxes, wires, "
           "parameters) and every query on both", "app"),
    Action("app.limits", "ctrl+k", "Limits…", "The limits of one evaluation (memory, contraction cost, sweep "
           "points, figure boxes): raise them for this session and evaluate again", "app", "Limits", show=False),
    Action("app.quit_app", "ctrl+q", "Quit", "Leave (asks first if there are unsaved changes)", "app"),
    Action("screen.add_component", "a", "Add component", "Add an instance of a library component", "diagram",
           "Add"),
    Action("screen.connect", "c", "Connect", "Wire two ports (only type-compatible ends are offered)", "diagram",
           "Wire"),
    Action("screen.disconnect", "d", "Disconnect", "Remove a wire", "diagram", "Unwire"),
    Action("screen.expose", "e", "Expose port", "Make a port of the selected box an outer input or output",
           "diagram", "Expose"),
    Action("screen.rename", "r", "Rename", "Rename the selected instance", "diagram"),
    Action("screen.tv_radius", "t", "TV radius", "Give the selected instance a total-variation radius: how far "
           "reality's kernel may be from the model's (saved in the file; bands on the bounds screen)", "diagram",
           "TV ε"),
    Action("screen.remove", "x,delete", "Remove", "Remove the selected instance (in Results: the query)",
           "diagram"),
    Action("screen.set_parameter", "equals_sign", "Set parameter", "Give a parameter a value within its domain "
           "(Enter in the table)", "parameters", "Set", show=False),
    Action("screen.sweep", "s", "Sweep", "Sweep a parameter over a range and plot the queries", "parameters"),
    Action("screen.export_plot", "P", "Export plot", "Write the sweep plot as a figure for a paper: SVG, PNG or "
           "PDF (every query along the file's sweeps, as markovwire plot draws it)", "parameters", "Plot"),
    Action("screen.adversary", "v", "Adversary", "Hand a parameter to the adversary (or take it back)",
           "parameters"),
    Action("screen.add_query", "q", "Add query", "Ask a new question of the proposal", "results"),
    Action("screen.remove", "x,delete", "Remove query", "Remove the query under the cursor", "results", "Remove"),
    Action("screen.sensitivities", "g", "Sensitivities", "How much the highlighted query moves with each "
           "parameter (derivatives, ranked)", "results"),
    Action("screen.import_queries", "I", "Import queries", "Copy queries, sweeps, adversaries and credal entries "
           "from a file", "results", "Import"),
    Action("app.bounds", "b", "Bounds", "Lower and upper values (credal entries, parameter intervals) and the "
           "TV robustness band of every query", "results"),
    Action("app.game", "B", "Control game", "Solve the file's blue: entry (the blue team's best protocol against "
           "the red team's best reply) and trace the safety-usefulness frontier", "results", "Game"),
    Action("app.flow", "f", "Flow claims", "Check the file's information-flow claims and ad-hoc independences "
           "A ⊥ B | given", "results", "Flow"),
    Action("screen.instance_parameters", "p", "Instance parameters", "Give the selected instance its own "
           "parameters: bind tpr to a new tpr2 (declared with tpr's domain and value), a number or an expression",
           "diagram", "Params"),
    Action("screen.search_library", "slash", "Search library", "Filter the library tree", "library", "Search"),
    Action("screen.new_component", "N", "New component", "Define a component: typed ports and a table of "
           "expressions, checked as you type, saved in a library file next to the proposal (mine.yaml)", "library",
           "New"),
    Action("screen.libraries", "L", "Libraries", "Add or remove the proposal's libraries (files are kept as paths "
           "relative to the proposal)", "library", "Libraries"),
    Action("screen.import_library", "l", "Import library", "Use another component-library file", "library",
           "Import"),
    Action("screen.steps", "ctrl+l", "Episode length", "Set the number of steps of an episode", "main",
           show=False),
    Action("screen.edit_expression", "ctrl+t", "Edit expression", "Edit the diagram as a string-diagram "
           "expression (Enter applies)", "main", show=False),
    Action("screen.run", "ctrl+r", "Run again", "Evaluate the queries and the sweep again", "main", show=False),
    Action("screen.cancel", "escape", "Cancel sweep", "Cancel a running sweep (or leave a zoomed panel)", "main",
           show=False),
    Action("screen.zoom", "z", "Zoom", "Fill the screen with the focused panel (again to restore)", "main",
           show=False),
    Action("app.undo", "u", "Undo", "Undo the last edit", "main", show=False),
    Action("app.redo", "U", "Redo", "Redo the last undone edit", "main", show=False),
    Action("screen.focus_panel('diagram')", "1", "Go to diagram", "Focus the diagram", "main", show=False),
    Action("screen.focus_panel('library')", "2", "Go to library", "Show and focus the library tree", "main",
           show=False),
    Action("screen.focus_panel('parameters')", "3", "Go to parameters", "Show and focus the parameter table",
           "main", show=False),
    Action("screen.focus_panel('results')", "4", "Go to results", "Focus the results table", "main", show=False),
    Action("screen.focus_panel('sweep')", "5", "Show sweep", "Show the sweep plot large (Esc to return)", "main",
           show=False),
    Action("screen.focus_panel('problems')", "6", "Go to problems", "Focus the problem list", "main", show=False),
    # the bounds screen
    Action("screen.set_interval", "i", "Parameter interval", "Let a parameter range over an interval (low, high): "
           "bounds of every query (like eval --interval; empty text removes it)", "bounds", "Interval"),
    Action("screen.tv_radius", "t", "TV radius", "Give an instance a total-variation radius (saved in the file)",
           "bounds", "TV ε"),
    Action("screen.keep_bounds", "k", "Keep as credal entry", "Save the intervals as a credal entry of the file "
           "for the highlighted query", "bounds", "Keep"),
    Action("screen.remove_entry", "x,delete", "Remove credal entry", "Remove the highlighted credal entry from "
           "the file", "bounds", "Remove"),
    Action("screen.recompute", "ctrl+r", "Compute again", "Compute the bounds and bands again", "bounds",
           show=False),
    # the flow screen
    Action("screen.new_check", "n", "Check independence", "Type wires A and B (and given wires): Enter checks "
           "whether A ⊥ B | given holds for every choice of kernels", "flow", "Check"),
    Action("screen.keep_claim", "k", "Keep as claim", "Add the last independence checked as a claim of the file",
           "flow", "Keep"),
    Action("screen.remove_claim", "x,delete", "Remove claim", "Remove the highlighted claim from the file", "flow",
           "Remove"),
    # the control game screen
    Action("screen.choose_blue", "n", "Choose blue entry", "Solve another blue: entry of the file", "game",
           "Blue entry"),
    Action("screen.choose_usefulness", "y", "Usefulness query", "Choose the query the frontier trades safety "
           "against (on the honest model)", "game", "Usefulness"),
    Action("screen.toggle_mixed", "m", "Mixtures or pure", "Switch between mixed strategies and blue committing to "
           "one protocol", "game", "Mixed/pure"),
    Action("screen.recompute", "ctrl+r", "Compute again", "Solve the game and trace the frontier again", "game",
           show=False),
    # the compare screen
    Action("screen.swap", "w", "Swap sides", "Swap A and B (the changes then read from B to A)", "compare", "Swap"),
    Action("screen.diagrams", "v", "Show diagrams", "Show or hide the two diagrams (hidden at first in a short "
           "terminal)", "compare", "Diagrams"),
)


def view_bindings(view: str, back: str = "app.pop_screen") -> list[Binding]:
    """A view's keys: Esc goes back, u / U undo and redo the document's edits, then the view's own actions."""
    return [Binding("escape", back, "Back"), Binding("u", "app.undo", "Undo", show=False),
            Binding("U", "app.redo", "Redo", show=False)] + bindings(view)


def bindings(area: str) -> list[Binding]:
    """Key bindings: ``app`` for the app; an area's shown bindings for its widget; ``main`` for the
    workspace screen, where every workspace key works (hidden there, shown by the focused area)."""
    out = []
    for a in ACTIONS:
        if area == "main" and a.area in WORKSPACE:
            out.append(Binding(a.key, a.action, a.short or a.title, show=False, tooltip=a.help))
        elif a.area == area and area != "main":
            out.append(Binding(a.key, a.action, a.short or a.title, show=a.show, key_display=a.key_display,
                               tooltip=a.help))
    return out


def key_of(action: str) -> str:
    """The key of ``action`` (a Textual action string of :data:`ACTIONS`) as the footer shows it.

    >>> key_of("app.limits")
    '^k'
    """
    return next(a.key_display for a in ACTIONS if a.action == action)


def _display(key: str) -> str:
    named = {"equals_sign": "=", "slash": "/", "escape": "esc", "delete": "del", "question_mark": "?"}
    if key in named:
        return named[key]
    if key.startswith("ctrl+"):
        return "^" + key[5:]
    return key.upper() if key.startswith("f") and key[1:].isdigit() else key


class ActionsProvider(Provider):
    """Every action of :data:`ACTIONS` in the command palette, with its key."""

    def _entries(self):
        """The actions that work where the palette was opened (the screen's own, and the app's), once each."""
        seen = set()
        for a in ACTIONS:
            if a.action in seen or not self._works(a):
                continue
            seen.add(a.action)
            yield a

    def _works(self, a: Action) -> bool:
        namespace, _, name = a.action.partition(".")
        target = self.app if namespace == "app" else self.screen
        return hasattr(target, "action_" + name.partition("(")[0])

    async def discover(self) -> Hits:
        for a in self._entries():
            yield DiscoveryHit(f"{a.title}  ({a.key_display})", partial(self.app.run_action, a.action),
                               text=a.title, help=a.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for a in self._entries():
            score = matcher.match(a.title)
            if score > 0:
                yield Hit(score, matcher.highlight(a.title), partial(self.app.run_action, a.action),
                          text=a.title, help=f"{a.help}   (key: {a.key_display})")


class BoxesProvider(Provider):
    """``select <box>``: move the diagram's selection to a box or outer port by name."""

    def _names(self):
        wd = self.app.document.check.wiring
        return list(wd.boxes) + [f"in.{p.name}" for p in wd.inputs] + [f"out.{p.name}" for p in wd.outputs]

    async def discover(self) -> Hits:
        for n in self._names():
            yield DiscoveryHit(f"select {n}", partial(self.app.main.select_box, n), help="show it in the diagram")

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for n in self._names():
            score = matcher.match(f"select {n}")
            if score > 0:
                yield Hit(score, matcher.highlight(f"select {n}"), partial(self.app.main.select_box, n),
                          text=f"select {n}", help="show it in the diagram")


class ComponentsProvider(Provider):
    """``add component <name>`` for every component of the libraries in use and of the other available libraries
    (choosing one of those adds its library); a name two libraries share is shown qualified (``mine.Act``)."""

    PREFIX = "add component "

    def _components(self):
        """``(component, name shown, help)`` for each component, the libraries in use first."""
        used = {lib.name for lib in self.app.document.check.libraries}
        libs = self.app.main._libraries()
        count: dict[str, int] = {}
        for lib in libs:
            for name in lib.components:
                count[name] = count.get(name, 0) + 1
        for lib in libs:
            adds = "" if lib.name in used else f"   (adds library {lib.name})"
            for comp in lib.components.values():
                shown = comp.qualname if count[comp.name] > 1 else comp.name
                yield comp, shown, comp.signature + adds

    async def discover(self) -> Hits:
        for comp, shown, help in self._components():
            yield DiscoveryHit(f"{self.PREFIX}{shown}", partial(self.app.add_component, comp.qualname), help=help)

    async def search(self, query: str) -> Hits:
        words = query.lower().split()
        named = words[2] if words[:2] == ["add", "component"] and len(words) == 3 else None
        if named is None:                                   # fuzzy, like every other command
            matcher = self.matcher(query)
            for comp, shown, help in self._components():
                text = f"{self.PREFIX}{shown}"
                score = matcher.match(text)
                if score > 0:
                    yield Hit(score, matcher.highlight(text), partial(self.app.add_component, comp.qualname),
                              text=text, help=help)
            return
        found = [(c, shown, help) for c, shown, help in self._components()
                 if named in shown.lower() or named == c.qualname.lower()]
        for comp, shown, help in found:                     # a name typed out: only components that contain it
            text = f"{self.PREFIX}{shown}"
            yield Hit(len(named) / len(shown), text, partial(self.app.add_component, comp.qualname),
                      text=text, help=help)
        if not found:
            yield Hit(1.0, f"add component {named!r}: there is no such component (Enter says more)",
                      partial(self.app.add_component, named), text=f"add component {named}")
