"""The parameters that matter, with their values, domains, and whether they are swept or adversarial."""
from __future__ import annotations

from rich.text import Text
from textual.binding import Binding

from ..commands import bindings
from .keyed_table import Column, KeyedTable


class ParameterTable(KeyedTable):
    """One row per parameter (values set in the proposal in bold); Enter sets one, s sweeps it, v hands it to
    the adversary. Domains are shown where a value is set."""

    BINDINGS = [Binding("enter", "select_cursor", "Set", tooltip="Give this parameter a value"),
                *bindings("parameters")]
    COLUMNS = (Column("parameter"), Column("value"), Column("role", width=6, wrap=True))

    def __init__(self, **kw):
        super().__init__(cursor_type="row", zebra_stripes=False, **kw)

    def show(self, parameters: dict, spec) -> None:
        """List ``parameters`` (values in force as defaults); ``spec`` says how each is written and used."""
        rows = []
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
            rows.append((name, [Text(name, "bold"), value, role]))
        self.fill(rows)

