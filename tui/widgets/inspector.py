"""The selected instance: its component, signature and ports, each with what it is wired to."""
from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.widgets import Static


class Inspector(Static):
    """Ports of the selected box (or outer port) and their wires; open inputs in red."""

    def show(self, name: str | None, document) -> None:
        if not name:
            self.update(Text("Select a box in the diagram (arrow keys) to see its ports.", "dim"))
            return
        check = document.check
        if name.startswith(("in.", "out.")):
            side, _, port = name.partition(".")
            info = document.port(name)
            kind = "outer input" if side == "in" else "outer output"
            links = ", ".join(info.links) or "not connected"
            self.update(Group(Text.assemble((port, "bold green"), (f"  {kind}: {info.type.name}", "")),
                              Text(("→ " if side == "in" else "← ") + links),
                              Text(f"labels: {', '.join(info.type.elements)}", "dim")))
            return
        comp = check.components.get(name)
        inst = document.spec.instances.get(name)
        head = [Text.assemble((name, "bold"), ("  " + (inst.component if inst else "?"), "dim"))]
        if comp is not None:
            head.append(Text(comp.signature, "cyan"))
        table = Table.grid(padding=(0, 1))
        for p in document.ports(name):
            arrow = "←" if p.side == "input" else "→"
            if p.links:
                links = Text(", ".join(p.links))
            elif p.side == "input":
                links = Text("open", "red")
            else:
                links = Text("unused", "dim")
            table.add_row(Text(p.side[:3], "dim"), Text(p.name, "bold"), Text(p.type.name, "cyan"),
                          Text(arrow), links)
        parts = head + [table]
        if inst is not None and inst.tv_radius is not None:
            parts.append(Text(f"TV radius {inst.tv_radius:g}: reality is within it of this kernel (t changes it)",
                              "magenta"))
        if inst is not None and inst.parameters:
            parts.append(Text("overrides: " + ", ".join(f"{k}={v}" for k, v in inst.parameters.items()), "yellow"))
        if comp is not None and comp.doc:
            parts.append(Text(comp.doc.strip(), "dim"))
        self.update(Group(*parts))
