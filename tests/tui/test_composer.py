"""The composer: a proposal built in the UI alone, from an empty one, with components of the user's own.

The pilot test is issue 12's: a policy whose action goes to two monitors with their own false- and
true-positive rates, an auditor that flags if either monitor flags, and P(attack passes both), checked
against the closed form read off the components' tables. The rest test the document's composer methods
one by one, each mistake by its message, place and fix.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from markovwire.errors import FileFormatError, MarkovwireError, ParameterError, WiringError
from markovwire.library import load_library, load_proposal
from markovwire.tui.app import MarkovwireApp
from markovwire.tui.document import Document
from markovwire.tui.user_library import ComponentDraft, library_text, parse_parameters, parse_ports, parse_types

ROOT = Path(__file__).resolve().parents[2]
TPR, FPR, TPR2, FPR2, P_SCHEME = 0.9, 0.05, 0.7, 0.2, 0.5

MONITOR_CELLS = ["1 - fpr", "fpr", "1 - tpr", "tpr", "1 - tpr", "tpr"]      # rows clean, backdoor_ok, _broken
EITHER_CELLS = ["1", "", "", "1", "", "1", "", "1"]                          # rows (a, b): pass pass, pass flag, …


async def palette(k, text: str) -> None:
    await k.press("ctrl+p")
    await k.type(text)
    await k.press("enter")


async def name_instance(k, name: str) -> None:
    assert k.screen_name() == "AddComponentScreen"
    await k.clear_and_type(name)
    await k.press("enter")
    assert k.screen_name() == "MainScreen", f"adding {name} did not close the dialog"


async def checked(k) -> str:
    """The dialog's verdict on what was typed, once it has checked it (it waits for a pause in the typing)."""
    for _ in range(200):                                    # a guard only: the check runs 0.15 s after the last key
        if not k.app.screen.checking:
            break
        await k.pilot.pause(0.05)
    return str(k.app.screen.query_one("#nc-status").render())


async def define(k, name: str, inputs: str, outputs: str, parameters: str, cells: list[str]) -> None:
    """N, then every field and cell by Tab; Enter saves; the add dialog opens on the new component."""
    await k.press("N")
    assert k.screen_name() == "NewComponentScreen"
    for text in (name, inputs, outputs, "", parameters, "", None):       # None: keep the library file mine.yaml
        if text:
            await k.type(text)
        await k.press("tab")
    assert str(k.app.focused.id).startswith("nc-cell-"), k.app.focused
    for i, text in enumerate(cells):
        if i == len(cells) - 1:                  # one cell short: the last row does not sum to one, and it says so
            status = await checked(k)
            assert status.startswith("✗") and f"{name}.kernel.table" in status and "row (" in status, status
        if text:
            await k.type(text)
        if i < len(cells) - 1:
            await k.press("tab")
    status = await checked(k)
    assert status.startswith("✓") and "Markov kernel" in status, status
    await k.press("enter")
    await k.settle()


async def wire(k, text: str) -> None:
    await k.press("c")
    assert k.screen_name() == "ConnectScreen"
    if k.app.focused.id != "connect-input":
        await k.press("tab")
    await k.type(text)
    await k.press("enter")
    assert k.screen_name() == "MainScreen", f"wire {text} was refused: {k.app.screen.query_one('#dialog-error')}"


async def set_value(k, name: str, text: str) -> None:
    await k.press("equals_sign")
    await k.type(name)
    await k.press("enter")
    assert k.screen_name() == "ParameterScreen"
    await k.clear_and_type(text)
    await k.press("enter")
    assert k.screen_name() == "MainScreen"


def closed_form() -> float:
    """P(attack, both monitors pass) from the tables: the policy attacks with probability beta when scheming
    (whatever the task), and each monitor passes an attack with probability 1 - its tpr."""
    beta = load_library("alignment").parameters["beta"].default
    return P_SCHEME * beta * (1 - TPR) * (1 - TPR2)


async def test_two_monitors_built_by_keys_from_an_empty_proposal(driver, tmp_path):
    app = MarkovwireApp(new=True)
    async with app.run_test(size=(100, 32)) as pilot:       # the wide, tall layout at its smallest: fewer cells drawn
        k = driver(app, pilot)
        await k.settle()
        doc = lambda: app.document
        assert doc().spec.libraries == [] and not doc().spec.instances        # nothing included unasked

        await palette(k, "add component untrusted_policy")                    # offered from alignment, which it adds
        await name_instance(k, "policy")
        assert doc().spec.libraries == ["alignment"]
        for typed, name in (("task_s", "task"), ("alignment_p", "prior")):
            await k.press("a")
            await k.type(typed)
            await k.press("enter")
            await name_instance(k, name)

        await define(k, "monitor", "act: Act", "verdict: Verdict", f"tpr in [0, 1] = {TPR}; fpr in [0, 1] = {FPR}",
                     MONITOR_CELLS)
        assert (tmp_path / "mine.yaml").is_file()
        assert doc().spec.libraries == ["alignment", "mine.yaml"]           # relative to the proposal's folder
        await name_instance(k, "m1")
        await palette(k, "add component monitor")
        await name_instance(k, "m2")
        await define(k, "either", "a: Verdict, b: Verdict", "verdict: Verdict", "", EITHER_CELLS)
        await name_instance(k, "auditor")

        # the second monitor gets its own rates: p on it, Enter on tpr takes the suggested tpr2, the same for fpr
        await palette(k, "select m2")
        await k.press("p")
        assert k.screen_name() == "InstanceParametersScreen"
        await k.press("enter")
        assert app.focused.id == "bind-input" and app.focused.value == "tpr2"
        await k.press("enter")
        await k.press("down", "enter")
        assert app.focused.value == "fpr2"
        await k.press("enter")
        await k.press("escape")
        assert k.screen_name() == "MainScreen"
        assert dict(doc().spec.instances["m2"].parameters) == {"tpr": "tpr2", "fpr": "fpr2"}
        assert "tpr" not in doc().spec.instances["m1"].parameters

        for text in ("task.query -> policy.query", "prior.intent -> policy.intent", "policy.act -> m1.act",
                     "policy.act -> m2.act", "m1.verdict -> auditor.a", "m2.verdict -> auditor.b"):
            await wire(k, text)
        await palette(k, "select auditor")
        await k.press("e", "enter", "enter")                                   # auditor.verdict -> out.verdict
        assert doc().check.ok, [p.text for p in doc().check.problems]
        for name, text in (("tpr2", str(TPR2)), ("fpr2", str(FPR2)), ("p_scheme", str(P_SCHEME))):
            await set_value(k, name, text)

        await k.press("q")
        await k.type("p_pass")
        await k.press("tab", "tab")
        await k.type("policy.act = backdoor_ok, backdoor_broken; verdict = pass")
        await k.press("enter")
        assert k.screen_name() == "MainScreen"
        await k.settle()
        assert app.main.results["p_pass"] == pytest.approx(closed_form(), rel=1e-12)

        await k.press("ctrl+s")                                                # no file yet: asks, here by default
        await k.press("enter")
        await k.settle()
        saved = tmp_path / "untitled.yaml"
        assert saved.is_file() and not doc().dirty

    data = yaml.safe_load(saved.read_text())
    assert data["libraries"] == ["alignment", "mine.yaml"]
    assert data["parameters"]["tpr2"]["domain"] == [0, 1] and data["parameters"]["tpr2"]["default"] == TPR2
    p = load_proposal(saved)
    assert p.evaluate()["p_pass"] == pytest.approx(closed_form(), rel=1e-12)
    # the false alarms follow the two monitors' own rates: P(flag | clean) = 1 - (1 - fpr)(1 - fpr2)
    d = Document.open(saved)
    d.add_query("false_alarm", {"probability": {"verdict": "flag"}, "given": {"policy.act": "clean"}})
    assert d.check.proposal.evaluate(queries=["false_alarm"])["false_alarm"] == \
        pytest.approx(1 - (1 - FPR) * (1 - FPR2), rel=1e-12)


# ----- the document's composer methods ---------------------------------------------------------------
MONITOR = ComponentDraft("monitor", {"act": "Act"}, {"verdict": "Verdict"},
                         {"clean": {"flag": "fpr", "pass": "1 - fpr"},
                          "backdoor_ok": {"flag": "tpr", "pass": "1 - tpr"},
                          "backdoor_broken": {"flag": "tpr", "pass": "1 - tpr"}},
                         parameters={"tpr": {"domain": [0, 1], "default": TPR}, "fpr": {"domain": [0, 1],
                                                                                       "default": FPR}})


def monitors(tmp_path) -> Document:
    doc = Document.new("two")
    doc.path = tmp_path / "two.yaml"
    doc.add_library("alignment")
    doc.define_component(MONITOR)
    doc.add_instance("monitor", "m1")
    doc.add_instance("monitor", "m2")
    return doc


def test_a_new_proposal_has_no_library():
    assert Document.new().spec.libraries == []


def test_binding_declares_the_new_parameter_with_the_components_domain_and_value(tmp_path):
    doc = monitors(tmp_path)
    assert doc.bind_parameter("m2", "tpr", "tpr2") == "tpr2"
    decl = doc.spec.parameters["tpr2"]
    assert (decl.domain, decl.default, decl.integer) == ([0.0, 1.0], TPR, False)
    assert doc.instance_parameters("m2")[0][2] == "tpr2" and doc.instance_parameters("m1")[0][2] is None
    doc.bind_parameter("m1", "fpr", "fpr")                      # its own name: shared, no binding
    assert doc.spec.instances["m1"].parameters == {}
    doc.bind_parameter("m2", "fpr", "0.25")                     # a number
    assert doc.spec.instances["m2"].parameters["fpr"] == 0.25
    doc.bind_parameter("m2", "fpr", "")                          # empty: shared again
    assert "fpr" not in doc.spec.instances["m2"].parameters
    doc.undo()
    assert doc.spec.instances["m2"].parameters["fpr"] == 0.25


@pytest.mark.parametrize("parameter, value, kind, what, fix", [
    ("tpr", "1.5", ParameterError, "outside its domain", "[0, 1]"),
    ("recall", "tpr2", ParameterError, "component 'monitor' has no parameter 'recall'", "its parameters are: tpr, fpr"),
    ("tpr", "1 - nosuch", MarkovwireError, "nosuch", ""),
])
def test_binding_mistakes_name_the_instance_and_the_parameter(tmp_path, parameter, value, kind, what, fix):
    doc = monitors(tmp_path)
    before = doc.spec
    with pytest.raises(kind) as e:
        doc.bind_parameter("m2", parameter, value)
    assert what in str(e.value) and fix in (e.value.fix or "")
    assert doc.spec == before
    if kind is ParameterError and parameter == "recall":
        assert e.value.keys == ("instances", "m2", "parameters", "recall") and e.value.box == "m2"


def test_libraries_are_relative_to_the_proposal_removed_when_unused_and_follow_a_save_elsewhere(tmp_path):
    doc = monitors(tmp_path)
    assert doc.spec.libraries == ["alignment", "mine.yaml"]
    with pytest.raises(WiringError) as e:
        doc.remove_library("mine")
    assert "is used by m1, m2" in e.value.what and e.value.keys == ("libraries", 1)
    assert "remove those instances first" in e.value.fix
    doc.add_instance("task_source", "task")
    doc.set_parameter("p_benign", "0.7")
    doc.remove_instance("task")
    doc.remove_library("alignment")                             # its parameters' values go with it
    assert doc.spec.libraries == ["mine.yaml"] and "p_benign" not in doc.spec.parameters
    with pytest.raises(MarkovwireError) as e:
        doc.remove_library("alignment")
    assert "is not used by this proposal" in e.value.what
    (tmp_path / "sub").mkdir()
    target = tmp_path / "sub" / "moved.yaml"
    doc.path = tmp_path / "two.yaml"
    doc.save(target)
    assert yaml.safe_load(target.read_text())["libraries"] == ["../mine.yaml"]
    other = tmp_path / "elsewhere" / "lib.yaml"
    other.parent.mkdir()
    other.write_text((tmp_path / "mine.yaml").read_text().replace("name: mine", "name: lib"))
    doc.add_library(str(other))                                 # an absolute path is stored relative
    assert doc.spec.libraries[-1] == "../elsewhere/lib.yaml"
    doc.add_library(str(tmp_path / "mine.yaml"))                # the same file again: nothing to do
    assert doc.spec.libraries == ["../mine.yaml", "../elsewhere/lib.yaml"]
    clash = tmp_path / "elsewhere" / "mine.yaml"
    clash.write_text((tmp_path / "mine.yaml").read_text())
    with pytest.raises(FileFormatError) as e:                   # another file of the same name: said, not ignored
        doc.add_library(str(clash))
    assert "is named 'mine', like the library of mine.yaml" in e.value.what and "change the 'name:'" in e.value.fix


def test_a_non_stochastic_table_is_refused_by_the_loader_and_nothing_is_written(tmp_path):
    doc = Document.new("p")
    doc.path = tmp_path / "p.yaml"
    doc.add_library("alignment")
    bad = ComponentDraft("either", {"a": "Verdict", "b": "Verdict"}, {"verdict": "Verdict"},
                         {"pass": {"pass": {"pass": 1}, "flag": {"flag": 1}}, "flag": {"pass": {"flag": 0.5}}})
    with pytest.raises(MarkovwireError) as e:
        doc.define_component(bad)
    text = str(e.value)
    assert "mine.yaml" in text and "either" in text and "sum" in text, text
    assert not (tmp_path / "mine.yaml").exists() and doc.spec.libraries == ["alignment"]
    with pytest.raises(MarkovwireError) as e:
        doc.define_component(ComponentDraft("g", {"a": "Nope"}, {"verdict": "Verdict"}, {"_": {"pass": 1}}))
    assert "Nope" in str(e.value)


def test_a_component_on_a_librarys_parameters_copies_their_declarations_and_builds_beside_it(tmp_path):
    doc = Document.new("p")
    doc.path = tmp_path / "p.yaml"
    doc.add_library("alignment")
    doc.set_parameter("beta", "0.5")                 # the proposal's value is not the declaration copied
    attack = ComponentDraft("attack", {}, {"act": "Act"}, {"clean": "1 - beta", "backdoor_ok": "beta"})
    doc.define_component(attack)
    mine = load_library(tmp_path / "mine.yaml")
    assert mine.parameters["beta"] == load_library("alignment").parameters["beta"]
    assert mine.components["attack"].spec.parameters == ["beta"]
    doc.add_instance("attack", "a")
    doc.expose("a.act")
    doc.add_query("p", {"probability": {"act": "backdoor_ok"}})
    assert doc.check.ok, [p.text for p in doc.check.problems]
    assert doc.check.proposal.evaluate()["p"] == pytest.approx(0.5)


def test_a_family_type_is_copied_as_written_with_what_it_is_written_in(tmp_path):
    """alignment's Coins is Range(B + 1): the user library declares it the same way (and B as alignment does), so
    the two libraries agree on it and a wire between them type-checks."""
    doc = Document.new("p")
    doc.path = tmp_path / "p.yaml"
    doc.add_library("alignment")
    doc.define_component(ComponentDraft("spent", {"coins": "Coins"}, {"flag": "Verdict"},
                                        {"_": {"pass": 1}}))
    data = yaml.safe_load((tmp_path / "mine.yaml").read_text())
    alignment = load_library("alignment")
    assert data["types"]["Coins"] == "Range(B + 1)" and data["types"]["Verdict"] == ["pass", "flag"]
    assert load_library(tmp_path / "mine.yaml").parameters["B"] == alignment.parameters["B"]
    mine = load_library(tmp_path / "mine.yaml")
    assert mine.types(mine.sizes(mine.parameters))["Coins"] == \
        alignment.types(alignment.sizes(alignment.parameters))["Coins"]


def test_a_second_component_keeps_what_the_file_had(tmp_path):
    (tmp_path / "mine.yaml").write_text("# my monitors\nname: mine\nversion: '2'  # bumped by hand\n"
                                        "types:\n  Verdict: [pass, flag]\n")
    doc = monitors(tmp_path)
    text = (tmp_path / "mine.yaml").read_text()
    assert text.startswith("# my monitors\nname: mine\nversion: '2'  # bumped by hand\n")
    assert "Act: [clean, backdoor_ok, backdoor_broken]" in text            # copied from alignment: stands alone
    with pytest.raises(FileFormatError) as e:
        doc.define_component(MONITOR)
    assert "already exists in library 'mine'" in e.value.what and e.value.fix == "choose another name"


async def test_the_palette_offers_libraries_not_in_use_and_qualifies_shared_names(tmp_path, monkeypatch):
    lib = tmp_path / "libs" / "mine.yaml"
    lib.parent.mkdir()
    lib.write_text(library_text(None, "mine", ComponentDraft("task_source", {}, {"query": "Query"},
                                                             {"benign": 1}, types={"Query": ["benign"]})))
    monkeypatch.setenv("MARKOVWIRE_LIBRARY_PATH", str(lib.parent))
    from markovwire.library.discovery import forget_installed
    from markovwire.tui.commands import ComponentsProvider
    forget_installed()
    app = MarkovwireApp(new=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        hits = [h async for h in ComponentsProvider(app.screen).search("add component task_source")]
        app.main.action_add_component()
        await pilot.pause()
        await pilot.press(*"task_source")
        await pilot.pause()
        ol = app.screen.query_one("#add-list")
        listed = [str(ol.get_option_at_index(i).prompt).split()[0] for i in range(ol.option_count)]
    forget_installed()
    assert sorted(listed) == ["alignment.task_source", "mine.task_source"]
    shown = {str(h.text): h.help for h in hits}
    assert set(shown) == {"add component alignment.task_source", "add component mine.task_source"}
    assert all(h.endswith("(adds library alignment)") or h.endswith("(adds library mine)") for h in shown.values())


# ----- the dialog's fields -----------------------------------------------------------------------------
def test_fields_parse_and_say_how_to_write_them():
    assert parse_ports("a: Verdict, v: Vec(Verdict, 2)", "inputs") == {"a": "Verdict", "v": "Vec(Verdict, 2)"}
    assert parse_types("Gate: [open, shut]; L: [lo, hi]") == {"Gate": ["open", "shut"], "L": ["lo", "hi"]}
    assert parse_parameters("tpr in [0, 1] = 0.9; n in [1, 10]") == {"tpr": {"domain": [0, 1], "default": 0.9},
                                                                      "n": {"domain": [1, 10]}}
    for fn, text, fix in ((lambda t: parse_ports(t, "inputs"), "a Verdict", "a: Verdict, b: Verdict"),
                          (parse_types, "Gate = open", "Gate: [open, shut]"),
                          (parse_parameters, "tpr = 0.9", "tpr in [0, 1] = 0.9")):
        with pytest.raises(FileFormatError) as e:
            fn(text)
        assert fix in e.value.fix


# ----- the guide ---------------------------------------------------------------------------------------
def test_every_yaml_block_of_the_library_guide_loads(tmp_path):
    from markovwire.library.loader import load_library_text
    guide = (ROOT / "docs" / "library-format.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", guide, re.S)
    assert len(blocks) >= 2
    libs = [load_library_text(b, f"guide block {i}").check() for i, b in enumerate(blocks) if b.startswith("name:")]
    assert libs and any("or_gate" in lib.components for lib in libs)
    assert "library-format.md" in (ROOT / "README.md").read_text()
