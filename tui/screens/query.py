"""Ask a new question of the proposal: a probability, an expectation, a distribution of wires, or an
information quantity (entropy, mutual information, KL divergence, total variation).

Fields are written as in a proposal file, one line each:
``episode = running, shutdown; answer = correct`` for an event, ``intent = scheming``
for fixed inputs, ``correct: (1 - u_T)/(u_U - u_T); _: 0`` for the values of an
expectation (``_`` is every other label). Information quantities read ``act | sus``
(``H(act | sus)``), ``intent ; sus | query`` (``I(intent; sus | query)``), with ``in bits``
at the end for bits; a divergence's reference is other wires (``[base.act]``), the name of
a distribution query, or a table ``clean: 0.5; attack: 0.5``.
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
         ("distribution of wires", "distribution"), ("entropy H(A | C)", "entropy"),
         ("mutual information I(A; B | C)", "mutual_information"), ("KL divergence from a reference", "kl"),
         ("total variation from a reference", "tv")]
HINTS = {"probability": "wire = label, label; wire = label", "expectation": "one wire, e.g. answer",
         "distribution": "wire, wire", "entropy": "wires | conditioning wires (optional)  [in bits]",
         "mutual_information": "wires ; wires | conditioning wires (optional)  [in bits]",
         "kl": "wires  [in bits]", "tv": "wires"}
VALUES = {"expectation": "label: number or expression; _: the rest",
          "kl": "against: [wires], a distribution query's name, or label: probability; …",
          "tv": "against: [wires], a distribution query's name, or label: probability; …"}


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
    elif kind in ("entropy", "mutual_information", "kl", "tv"):
        data[kind] = information_data(kind, of, values)
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


def information_data(kind: str, of: str, against: str) -> dict:
    """The file entry of an information query from the dialog's ``of`` and ``values`` fields.

    >>> information_data("mutual_information", "intent ; sus | query in bits", "")
    {'between': [['intent'], ['sus']], 'given': ['query'], 'unit': 'bits'}
    >>> information_data("kl", "act", "clean: 0.5; attack: 0.5")
    {'of': ['act'], 'against': {'clean': 0.5, 'attack': 0.5}}
    """
    text = of.strip()
    bits = text.endswith("in bits")
    text = text[: -len("in bits")] if bits else text
    main, _, cond = text.partition("|")
    wires = lambda s: [w.strip() for w in s.strip().strip("[]").split(",") if w.strip()]
    spec: dict = {}
    if kind == "mutual_information":
        a, found, b = main.partition(";")
        if not found or not wires(a) or not wires(b):
            raise FileFormatError("wires", "a mutual information reads two groups of wires",
                                  fix="write e.g. intent ; sus (a condition after |: intent ; sus | query)")
        spec["between"] = [wires(a), wires(b)]
    elif not wires(main):
        raise FileFormatError("wires", "are empty", fix="name one or more wires, e.g. act")
    else:
        spec["of"] = wires(main)
    if cond.strip():
        if kind in ("kl", "tv"):
            raise FileFormatError("wires", "a divergence has no conditioning wires",
                                  fix="condition on observed labels with 'given', or compare conditional laws")
        spec["given"] = wires(cond)
    if kind in ("kl", "tv"):
        ref = against.strip()
        if not ref:
            raise FileFormatError("against", "is empty", fix="name [wires], a distribution query, or write a table")
        spec["against"] = {k: _number(v) for k, v in pairs(ref, "against", ":").items()} if ":" in ref else \
            wires(ref) if ref.startswith("[") or "," in ref or "." in ref else ref
    if bits:
        spec["unit"] = "bits"
    return spec


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
                yield Label("values", classes="dialog-field", id="query-values-label")
                yield Input(placeholder=VALUES["expectation"], id="query-values")
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
        kind = str(event.value)
        self.query_one("#query-values-row").display = kind in VALUES
        self.query_one("#query-of", Input).placeholder = HINTS[kind]
        if kind in VALUES:
            self.query_one("#query-values", Input).placeholder = VALUES[kind]
            self.query_one("#query-values-label", Label).update("values" if kind == "expectation" else "against")

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
