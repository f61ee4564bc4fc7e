"""What a component is: its signature, parameters, documentation and source."""
from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.widgets import Static


class ComponentDetails(Static):
    """The highlighted component of the library tree, in full."""

    def show(self, component, parameters=None) -> None:
        """Show ``component`` (None: a hint); ``parameters`` gives the values in force, by name."""
        if component is None:
            self.update(Text("Highlight a component to read about it; Enter adds an instance.", "dim"))
            return
        parts = [Text.assemble((component.name, "bold"), ("  " + component.library.name, "dim")),
                 Text(component.signature, "cyan")]
        if component.is_stateful:
            parts.append(Text(f"stateful: state {component.spec.state}", "magenta"))
        lib_params = component.library.parameters
        if component.spec.parameters:
            table = Table.grid(padding=(0, 1))
            for n in component.spec.parameters:
                p = (parameters or {}).get(n) or lib_params.get(n)
                if p is None:
                    continue
                value = "—" if p.default is None else f"{p.default:g}"
                table.add_row(Text(n, "bold"), Text(value), Text(p._fmt_domain(), "dim"))
            parts.append(table)
        if component.doc:
            parts.append(Text(component.doc.strip()))
        if component.source:
            parts.append(Text("Source: " + component.source.strip(), "dim italic"))
        self.update(Group(*parts))
