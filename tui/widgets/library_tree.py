"""The component libraries as a tree: libraries, then their components; Enter asks for an instance."""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.widgets import Tree

from ..commands import bindings
from ..messages import ComponentChosen, ComponentHighlighted


class LibraryTree(Tree[object]):
    """Libraries and their components; a search keeps the components whose name has it (else doc or ports)."""

    BINDINGS = [Binding("enter", "choose", "Add instance", tooltip="Add an instance of this component")] + \
        bindings("library")

    def __init__(self, **kw):
        super().__init__("libraries", **kw)
        self.show_root = False
        self.guide_depth = 2
        self._shown: tuple = ()

    def show(self, libraries, query: str = "") -> None:
        """List ``libraries``; with a ``query``, only components that mention it (all expanded)."""
        q = query.strip().lower()
        key = (tuple((lib.name, lib.version, id(lib)) for lib in libraries), q)
        if key == self._shown:
            return
        self._shown = key
        self.clear()
        first = None
        by_name = any(q in c.name.lower() for lib in libraries for c in lib.components.values())
        for lib in libraries:                  # names first: documentation only when no name matches
            comps = [c for c in lib.components.values() if not q or q in c.name.lower() or not by_name and
                     (q in c.doc.lower() or q in c.signature.lower())]
            if q and not comps:
                continue                       # searching: only libraries with a match
            node = self.root.add(Text.assemble((lib.name, "bold"), (f"  {lib.version}", "dim")), data=lib,
                                 expand=True)
            for c in comps:
                label = Text(c.name)
                if c.is_stateful:
                    label.append("  stateful", "dim italic")
                leaf = node.add_leaf(label, data=c)
                first = first or leaf
        if q and first is None:
            self.root.add_leaf(Text(f"no component mentions {query.strip()!r}", "dim italic"), data=None)
        if first is not None:
            self.call_after_refresh(self.move_cursor, first)

    def component(self):
        """The component under the cursor, if any."""
        node = self.cursor_node
        data = node.data if node is not None else None
        return data if hasattr(data, "signature") else None

    def action_choose(self) -> None:
        comp = self.component()
        if comp is not None:
            self.post_message(ComponentChosen(comp))
        elif self.cursor_node is not None:
            self.cursor_node.toggle()

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted) -> None:
        event.stop()
        data = event.node.data
        self.post_message(ComponentHighlighted(data if hasattr(data, "signature") else None))
