"""Ask a new question of the proposal: a probability, an expectation or a distribution of wires.

Fields are written as in a proposal file, one line each:
``episode = running, shutdown; answer = correct`` for an event, ``intent = scheming``
for fixed inputs, ``correct: (1 - u_T)/(u_U - u_T); _: 0`` for the values of an
expectation (``_`` is every other label).
"""
from __future__ import annotations

from typing import Callable

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Select, Static

from markovwire.errors import FileFormatError

from .dialog import Dialog

KINDS = [("probability of an event", "probability"), ("expectation of a table of values", "expectation"),
         ("distribution of wires", "distribution")]
HINTS = {"probability": "wire = label, label; wire = label", "expectation": "one wire, e.g. answer",
         "distribution": "wire, wire"}


def pairs(text: str, where: str, sep: str = "=") -> dict[str, str]:
    """``a = x; b = y`` as a mapping (values as written).

    >>> pairs("episode = running, shutdown; intent=scheming", "event")
    {'episode': 'running, shutdown', 'intent': 'scheming'}
    """
    out = {}
    for part in [p for p in text.split(";") if p.strip()]:
        key, found, value = part.replace(":", sep).partition(sep) if sep == "=" else part.partition(sep)
        if not found or not key.strip() or not value.strip():
            raise FileFormatError(where, f"{part.strip()!r} is not of the form name {sep} value",
                                  fix=f"write e.g. episode {sep} catastrophe; separate entries with ';'")
        out[key.strip()] = value.strip()
    return out


def query_data(kind: str, of: str, values: str, inputs: str, given: str, steps: str) -> dict:
    """The file entry of a query from the dialog's fields."""
    data: dict = {}
    if kind == "probability":
        event = pairs(of, "event")
        if not event:
            raise FileFormatError("event", "is empty", fix="write e.g. episode = catastrophe")
        data["probability"] = {w: (labels[0] if len(labels) == 1 else labels)
                               for w, v in event.items() for labels in [[x.strip() for x in v.split(",") if x.strip()]]}
    elif kind == "distribution":
        wires = [w.strip() for w in of.split(",") if w.strip()]
        if not wires:
            raise FileFormatError("wires", "are empty", fix="name one or more wires, e.g. episode, answer")
        data["distribution"] = wires
    else:
        wires = [w.strip() for w in of.split(",") if w.strip()]
        if len(wires) != 1:
            raise FileFormatError("wire", "an expectation here reads one wire",
                                  fix="name one wire (several wires: write the query in the file)")
        table = pairs(values, "values", ":")
        if not table:
            raise FileFormatError("values", "are empty", fix="write e.g. correct: 1; _: 0")
        data["expectation"] = {"of": wires, "values": {k: _number(v) for k, v in table.items()}}
    if inputs.strip():
        data["inputs"] = pairs(inputs, "inputs")
    if given.strip():
        data["given"] = pairs(given, "given")
    if steps.strip():
        data["steps"] = int(steps) if steps.strip().isdigit() else steps.strip()
    return data


def _number(text: str):
    try:
        return float(text)
    except ValueError:
        return text


class QueryScreen(Dialog[str]):
    """Returns the new query's name; ``apply(name, data)`` adds it to the proposal."""

    def __init__(self, apply: Callable[[str, dict], object], inputs: str = ""):
        super().__init__()
        self.apply, self.inputs = apply, inputs

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label("Add a query", classes="dialog-title")
            with Horizontal(classes="dialog-row"):
                yield Label("name", classes="dialog-field")
                yield Input(placeholder="e.g. p_catastrophe", id="query-name")
            yield Select(KINDS, value="probability", allow_blank=False, id="query-kind")
            with Horizontal(classes="dialog-row"):
                yield Label("of", classes="dialog-field")
                yield Input(placeholder=HINTS["probability"], id="query-of")
            with Horizontal(classes="dialog-row", id="query-values-row"):
                yield Label("values", classes="dialog-field")
                yield Input(placeholder="label: number or expression; _: the rest", id="query-values")
            with Horizontal(classes="dialog-row"):
                yield Label("inputs", classes="dialog-field")
                yield Input(self.inputs, placeholder="outer input = label (every outer input)", id="query-inputs")
            with Horizontal(classes="dialog-row"):
                yield Label("given", classes="dialog-field")
                yield Input(placeholder="wire = label  (optional evidence)", id="query-given")
            with Horizontal(classes="dialog-row"):
                yield Label("steps", classes="dialog-field")
                yield Input(placeholder="episodes: ask about step n (optional)", id="query-steps")
            yield self.error_line()
            yield Static("Wires: outer ports by name, box.port, or a stateful box for its state.   "
                         "Enter: add   Tab: next field   Esc: cancel", classes="dialog-keys")

    def on_mount(self) -> None:
        self.query_one("#query-values-row").display = False
        self.query_one("#query-name", Input).focus()

    @on(Select.Changed, "#query-kind")
    def _kind(self, event: Select.Changed) -> None:
        self.query_one("#query-values-row").display = event.value == "expectation"
        self.query_one("#query-of", Input).placeholder = HINTS[str(event.value)]

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        field = lambda k: self.query_one(f"#query-{k}", Input).value
        name = field("name").strip()
        kind = str(self.query_one("#query-kind", Select).value)

        def run():
            if not name:
                raise FileFormatError("query", "has no name", fix="give it a name such as p_catastrophe")
            self.apply(name, query_data(kind, field("of"), field("values"), field("inputs"), field("given"),
                                        field("steps")))

        if self.attempt(run):
            self.dismiss(name)
