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
    """One thing a user can do: ``action`` is the Textual action string it runs."""

    action: str
    key: str
    title: str
    help: str
    area: str            # where the key is bound: app, main, diagram, library, parameters, results, expression
    show: bool = True    # shown in the footer when its area has focus

    @property
    def key_display(self) -> str:
        return _display(self.key.split(",")[0])


AREAS = {
    "app": "Everywhere",
    "main": "Workspace",
    "diagram": "Diagram (boxes and wires)",
    "library": "Library tree",
    "parameters": "Parameter table",
    "results": "Results table",
    "expression": "Expression editor",
    "problems": "Problem list",
}

ACTIONS: tuple[Action, ...] = (
    Action("app.help", "f1", "Help", "Every key and action, on one screen", "app"),
    Action("app.save", "ctrl+s", "Save", "Write the proposal file (atomically)", "app"),
    Action("app.save_as", "ctrl+w", "Save as", "Write the proposal to a new file", "app"),
    Action("app.open", "ctrl+o", "Open", "Open another proposal file", "app"),
    Action("app.new", "ctrl+n", "New", "Start an empty proposal", "app"),
    Action("app.export", "ctrl+e", "Export", "Export the figure as SVG, PNG or DOT", "app"),
    Action("app.compare", "ctrl+d", "Compare", "Compare this proposal with another, query by query", "app"),
    Action("app.undo", "ctrl+z", "Undo", "Undo the last edit (also u)", "app"),
    Action("app.redo", "ctrl+y", "Redo", "Redo the last undone edit (also U)", "app"),
    Action("app.quit_app", "ctrl+q", "Quit", "Leave (asks first if there are unsaved changes)", "app"),
    Action("app.undo", "u", "Undo", "Undo the last edit", "main", show=False),
    Action("app.redo", "U", "Redo", "Redo the last undone edit", "main", show=False),
    Action("screen.add_component", "a", "Add component", "Add an instance of a library component", "main"),
    Action("screen.connect", "c", "Connect", "Wire two ports (only type-compatible ends are offered)", "main"),
    Action("screen.disconnect", "d", "Disconnect", "Remove a wire", "main"),
    Action("screen.expose", "e", "Expose", "Make a port of the selected box an outer input or output", "main"),
    Action("screen.rename", "r", "Rename", "Rename the selected instance", "main"),
    Action("screen.remove", "x,delete", "Remove", "Remove the selected instance (or query) and its wires", "main"),
    Action("screen.set_parameter", "equals_sign", "Set parameter", "Give a parameter a value within its domain",
           "main"),
    Action("screen.sweep", "s", "Sweep", "Sweep a parameter over a range and plot the queries", "main"),
    Action("screen.adversary", "v", "Adversary", "Hand a parameter to the adversary (or take it back)", "main"),
    Action("screen.add_query", "q", "Add query", "Ask a new question of the proposal", "main"),
    Action("screen.import_queries", "I", "Import queries", "Copy queries, sweeps and adversaries from a file",
           "main", show=False),
    Action("screen.import_library", "l", "Import library", "Use another component-library file", "main",
           show=False),
    Action("screen.steps", "ctrl+l", "Episode length", "Set the number of steps of an episode", "main",
           show=False),
    Action("screen.search_library", "slash", "Search library", "Filter the library tree", "main", show=False),
    Action("screen.edit_expression", "ctrl+t", "Edit expression", "Edit the diagram as a string-diagram "
           "expression", "main", show=False),
    Action("screen.run", "ctrl+r", "Run", "Evaluate the queries and the sweep again", "main", show=False),
    Action("screen.cancel", "escape", "Cancel", "Cancel a running sweep", "main", show=False),
    Action("screen.zoom", "z", "Zoom", "Fill the screen with the focused panel (again to restore)", "main"),
    Action("screen.focus_panel('diagram')", "1", "Go to diagram", "Focus the diagram", "main", show=False),
    Action("screen.focus_panel('library')", "2", "Go to library", "Focus the library tree", "main", show=False),
    Action("screen.focus_panel('parameters')", "3", "Go to parameters", "Focus the parameter table", "main",
           show=False),
    Action("screen.focus_panel('results')", "4", "Go to results", "Focus the results table", "main", show=False),
    Action("screen.focus_panel('problems')", "5", "Go to problems", "Focus the problem list", "main", show=False),
)


def bindings(area: str) -> list[Binding]:
    """The key bindings of one area of the screen, from :data:`ACTIONS`."""
    out = []
    for a in ACTIONS:
        if a.area == area:
            out.append(Binding(a.key, a.action, a.title, show=a.show, key_display=a.key_display,
                               tooltip=a.help))
    return out


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
        seen = set()
        for a in ACTIONS:
            if a.action in seen:
                continue
            seen.add(a.action)
            yield a

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


class ComponentsProvider(Provider):
    """``add component <name>`` for every component of the libraries in use (and a message for a wrong name)."""

    PREFIX = "add component "

    def _components(self):
        check = self.app.document.check
        for lib in check.libraries:
            for comp in lib.components.values():
                yield comp

    async def discover(self) -> Hits:
        for comp in self._components():
            yield DiscoveryHit(f"{self.PREFIX}{comp.name}", partial(self.app.add_component, comp.qualname),
                               help=comp.signature)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        hits = 0
        for comp in self._components():
            text = f"{self.PREFIX}{comp.name}"
            score = matcher.match(text)
            if score > 0:
                hits += 1
                yield Hit(score, matcher.highlight(text), partial(self.app.add_component, comp.qualname),
                          text=text, help=comp.signature)
        words = query.split()
        if words and words[0].lower() == "add" and len(words) >= 2 and not hits:
            name = words[-1] if words[1:2] != ["component"] or len(words) > 2 else ""
            if name:
                yield Hit(0.01, f"add component {name!r}: no such component (choose to see why)",
                          partial(self.app.add_component, name), text=f"add component {name}")
