"""The parameters that matter, with their values, domains, and whether they are swept or adversarial."""
from __future__ import annotations

from rich.text import Text
from textual.binding import Binding

from ..commands import bindings
from .keyed_table import KeyedTable


class ParameterTable(KeyedTable):
    """One row per parameter (values set in the proposal in bold); Enter sets one, s sweeps it, v hands it to
    the adversary. Domains are shown where a value is set."""

    BINDINGS = [Binding("enter", "select_cursor", "Set", tooltip="Give this parameter a value"),
                *bindings("parameters")]

    def __init__(self, **kw):
        super().__init__(cursor_type="row", zebra_stripes=False, **kw)
        self.add_column("parameter", width=12)
        self.add_column("value", width=9)
        self.add_column("role", width=16)

    def show(self, parameters: dict, spec) -> None:
        """List ``parameters`` (values in force as defaults); ``spec`` says how each is written and used."""
        keep = self.current()
        self.clear()
        swept = {s.parameter for s in spec.sweeps}
        for name, p in parameters.items():
            written = spec.parameters.get(name)
            if p.default is None:
                value = Text("no value", "red")
            else:
                value = Text(f"{p.default:.5g}", "bold" if written is not None else "")
            roles = []
            if name in swept:
                roles.append(Text("sweep", "cyan"))
            for k, a in spec.adversary.items():
                if name in a.over:
                    roles.append(Text(f"{a.sense} {a.query}", "magenta"))
            role = Text(" ").join(roles) if roles else Text("")
            self.add_row(Text(name, "bold"), value, role, key=name)
        if keep in parameters:
            self.move_cursor(row=self.get_row_index(keep), animate=False)

