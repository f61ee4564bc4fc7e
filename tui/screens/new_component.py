"""Define a new component: its name, typed input and output ports, and a table whose entries are numbers or
expressions in parameters, checked as it is typed and saved into the user's library file next to the proposal.

The table has one row per combination of input labels and one column per combination of output labels;
an empty cell is zero. Every check is the library loader's own (the file is loaded and the component built
on every change), so what is accepted here is exactly what a file would be. Types come from the libraries in
use (they are copied into the user's file) or are declared here; so are parameters.
"""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.widgets import Input, Label, Static

from markovwire.errors import MarkovwireError

from ..check import place_text
from ..user_library import (
    DEFAULT_FILE,
    ComponentDraft,
    grid,
    nested_table,
    parse_parameters,
    parse_ports,
    parse_types,
    port_types,
)
from .dialog import Dialog

FIELDS = (("name", "Name", "e.g. either_flags"),
          ("inputs", "Inputs", "name: Type, …   e.g. a: Verdict, b: Verdict"),
          ("outputs", "Outputs", "name: Type, …   e.g. verdict: Verdict"),
          ("types", "New types", "optional: Name: [label, label]; …"),
          ("parameters", "New parameters", "optional: name in [low, high] = default; …"),
          ("doc", "What it does", "optional: one line"),
          ("library", "Library file", DEFAULT_FILE))
CHECK_DELAY = 0.15
"""Seconds after the last key before the library checks the component as typed."""


class NewComponentScreen(Dialog[str]):
    """Returns the new component's ``library.name``; ``apply(draft, library_file)`` saves it (mistakes shown here)."""

    DEFAULT_CSS = """
    NewComponentScreen .nc-row { height: 1; }
    NewComponentScreen .nc-row Label { width: 16; margin: 0 1 0 0; color: $text-muted; }
    NewComponentScreen .nc-row Input { width: 1fr; }
    NewComponentScreen #nc-known { margin: 0; height: 1; }
    NewComponentScreen #nc-scroll { height: auto; max-height: 12; margin-top: 1; }
    NewComponentScreen.-short #nc-scroll { max-height: 6; }
    NewComponentScreen #nc-table { height: auto; grid-rows: 1; grid-gutter: 0 1; grid-size: 2; }
    NewComponentScreen #nc-table Input { width: 1fr; }
    NewComponentScreen #nc-table Label { width: 1fr; }
    NewComponentScreen #nc-status { margin-top: 1; }
    """

    def __init__(self, document, apply):
        super().__init__()
        self.document, self.apply = document, apply
        self.cells: dict[tuple[tuple, tuple], str] = {}        # (row labels, column labels) -> entry text
        self.keys: dict[str, tuple[tuple, tuple]] = {}         # cell input id -> its labels
        self.shape: tuple | None = None
        self.checking = False                                   # a check of what was typed is due
        self._timer = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label("Define a new component", classes="dialog-title")
            known = ", ".join(sorted(self.document.known_types())) or "none yet (declare them below)"
            yield Static(Text.assemble(("types in use: ", "dim"), known, no_wrap=True, overflow="ellipsis"),
                         classes="dialog-note", id="nc-known")
            for key, label, hint in FIELDS:
                with Horizontal(classes="nc-row"):
                    yield Label(label)
                    yield _flat(Input(DEFAULT_FILE if key == "library" else "", placeholder=hint, id=f"nc-{key}"))
            with VerticalScroll(id="nc-scroll", can_focus=False):
                yield Grid(id="nc-table")
            yield Static("", id="nc-status")
            yield self.error_line()
            yield Static("Tab: next field or cell   Enter: save into the library file   Esc: cancel",
                         classes="dialog-keys")

    def on_mount(self) -> None:
        self.show_error(None)
        self.query_one("#nc-name", Input).focus()
        self._status()

    # ----- reading the fields ---------------------------------------------------------------------
    def value(self, key: str) -> str:
        return self.query_one(f"#nc-{key}", Input).value.strip()

    def draft(self) -> ComponentDraft:
        """The component as the fields give it (a mistake in a field raises, naming the field)."""
        types = parse_types(self.value("types"))
        return ComponentDraft(self.value("name"), parse_ports(self.value("inputs"), "inputs"),
                              parse_ports(self.value("outputs"), "outputs"), nested_table(self.cells),
                              types=types, parameters=parse_parameters(self.value("parameters")),
                              doc=self.value("doc"))

    def _types(self, draft: ComponentDraft) -> dict:
        from markovwire.types import FinSet
        types = dict(self.document.known_types())
        types.update({n: FinSet(n, labels) for n, labels in draft.types.items()})
        return types

    # ----- the table --------------------------------------------------------------------------------
    @on(Input.Changed)
    async def _changed(self, event: Input.Changed) -> None:
        event.stop()
        wid = event.input.id or ""
        if wid in self.keys:
            self.cells[self.keys[wid]] = event.value
        elif wid in ("nc-inputs", "nc-outputs", "nc-types"):
            await self._rebuild()
        self._check_soon()

    def _check_soon(self) -> None:
        """Check what was typed once typing pauses (a check loads the library file: a few hundredths of a
        second, too long to run on every key of a fast typist)."""
        if self._timer is not None:
            self._timer.stop()
        self.checking = True
        self._timer = self.set_timer(CHECK_DELAY, self._status)

    async def _rebuild(self) -> None:
        """The grid of cells for the ports as typed (kept as it is while the ports do not parse)."""
        try:
            draft = self.draft()
            types = self._types(draft)
            rows, cols = grid(port_types(draft.inputs, types), port_types(draft.outputs, types))
        except MarkovwireError:
            return
        if not draft.outputs or (rows, cols) == self.shape:
            return
        self.shape = (rows, cols)
        table = self.query_one("#nc-table", Grid)
        await table.remove_children()
        table.styles.grid_size_columns = len(cols) + 1
        ins = ", ".join(draft.inputs) or "(no inputs)"
        outs = ", ".join(draft.outputs)
        widgets = [Label(Text(f"{ins} ↓  {outs} →", "dim"))]
        widgets += [Label(Text(" ".join(c), "bold")) for c in cols]
        self.keys = {}
        for i, r in enumerate(rows):
            widgets.append(Label(Text(" ".join(r) or "—", "bold")))
            for j, c in enumerate(cols):
                wid = f"nc-cell-{i}-{j}"
                self.keys[wid] = (r, c)
                widgets.append(_flat(Input(self.cells.get((r, c), ""), placeholder="0", id=wid)))
        self.cells = {k: v for k, v in self.cells.items() if k in set(self.keys.values())}
        await table.mount(*widgets)

    # ----- checking and saving ---------------------------------------------------------------------
    def _status(self) -> None:
        """The library's verdict on the component as typed, on every change."""
        self.checking = False
        line = self.query_one("#nc-status", Static)
        if not self.value("name"):
            line.update(Text("Name the component, give its ports, then fill the table.", "dim"))
            return
        try:
            target, _, comp = self.document.try_component(self.draft(), self.value("library") or None, layout=False)
        except MarkovwireError as e:
            where = place_text(e.place)
            line.update(Text(f"✗ {where}: {e.what}" if where else f"✗ {e.what}", "yellow"))
            return
        line.update(Text(f"✓ {comp.name}: {comp.signature} is a Markov kernel; Enter saves it into {target.name}",
                         "green"))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        made = []
        if self.attempt(lambda: made.append(self.apply(self.draft(), self.value("library") or None))):
            self.dismiss(made[0].qualname)


def _flat(field: Input) -> Input:
    """A field on one line with no space above it (the app's dialogs space their fields; this one has many)."""
    field.styles.margin = 0
    return field
