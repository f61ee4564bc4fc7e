"""The UI reads box, port and key path from an error's fields, never from its text."""
from __future__ import annotations

from textual import on
from textual.app import App, ComposeResult

from markovwire.errors import ParameterError, Place, TypeMismatch, UnknownName, WiringError
from markovwire.tui.check import Problem, place_text
from markovwire.tui.document import Document
from markovwire.tui.messages import ProblemChosen
from markovwire.tui.widgets.error_panel import ErrorPanel


def test_a_problem_takes_box_and_port_from_the_fields():
    # the text names neither: only the fields do
    p = Problem(TypeMismatch(Place("somewhere", box="monitor", port="act"), "expected Act"))
    assert (p.box, p.port) == ("monitor", "act")
    # a place at an instance's entry is about that box
    p = Problem(UnknownName(Place(file="d.yaml", line=3, keys=("instances", "policy", "component")), "unknown"))
    assert (p.box, p.port, p.where) == ("policy", None, "instances.policy.component")
    # text that looks like a place is not parsed
    p = Problem(WiringError("wire a.x → b.y", "dangles"))
    assert (p.box, p.port, p.where) == (None, None, "wire a.x → b.y")
    assert Problem(WiringError(None, "x", box="b"), "other", "p").box == "other"   # given explicitly


def test_the_ui_shows_places_without_the_file_it_wrote():
    assert place_text(Place("wire a.x → b.y", file="draft.yaml", line=4, keys=("wiring", "wires", 0))) == \
        "wiring.wires[0]: wire a.x → b.y"
    assert place_text(Place("library 'x'").nest(Place(file="lib.yaml", line=2, keys=("types",)))) == \
        "library 'x': lib.yaml:2: types"
    assert place_text(Place(file="lib.yaml")) == "lib.yaml"


def test_a_sketch_points_its_problems_at_box_and_port():
    doc = Document.new("demo")
    doc.add_instance("task_source", "task")
    doc.add_instance("untrusted_policy", "policy")
    doc.connect("task.query", "policy.query")
    [p] = doc.check.problems
    assert (p.box, p.port) == ("policy", "intent") == (p.error.box, p.error.port)
    assert p.error.fix == "connect it (c) or expose it (e)"
    bad = doc.connection_problem("task.query", "policy.intent")
    assert isinstance(bad, TypeMismatch) and (bad.box, bad.port) == ("policy", "intent")


def test_a_refused_credal_entry_names_its_keys():
    doc = Document.new("demo")
    doc.add_instance("task_source", "task")
    try:
        doc.add_credal("r", "nosuch", {})
    except UnknownName as e:
        assert e.keys == ("credal", "r", "query") and str(e.where) == "credal.r.query"
    else:
        raise AssertionError("not refused")


class Panel(App):
    def __init__(self, problems):
        super().__init__()
        self.problems, self.chosen = problems, []

    def compose(self) -> ComposeResult:
        yield ErrorPanel(id="problems")

    def on_mount(self) -> None:
        panel = self.query_one(ErrorPanel)
        panel.show(self.problems)
        panel.focus()

    @on(ProblemChosen)
    def _chosen(self, event: ProblemChosen) -> None:
        self.chosen.append((event.box, event.port))


async def test_the_problem_list_shows_box_and_port_from_fields():
    problems = [Problem(ParameterError("parameter 'a'", "is outside [0, 1]")),
                Problem(TypeMismatch(Place("a mismatch", box="monitor", port="act"), "expected Act", fix="rewire"))]
    app = Panel(problems)
    async with app.run_test() as pilot:
        panel = app.query_one(ErrorPanel)
        labels = [str(panel.get_option_at_index(i).prompt) for i in range(panel.option_count)]
        assert labels == ["✗ parameter 'a': is outside [0, 1]", "✗ a mismatch: expected Act  → rewire"]
        await pilot.press("down", "enter")
        await pilot.pause()
    assert app.chosen == [("monitor", "act")]
