"""The editing model: edits through the library, undo/redo, refusals that change nothing, files and recovery."""
from __future__ import annotations

import pytest

from markovwire.errors import MarkovwireError, WiringError
from markovwire.library import load_proposal, shipped_proposals
from markovwire.library.shipped import default_proposal
from markovwire.tui.document import Document, draft_spec

PARTS = [("task_source", "task"), ("untrusted_policy", "policy"), ("trusted_monitor_table", "monitor"),
         ("human_auditor", "auditor"), ("untrusted_answer", "solution"), ("episode", "episode")]
WIRES = [("task.query", "policy.query"), ("policy.act", "monitor.act"), ("policy.act", "auditor.act"),
         ("monitor.sus", "auditor.sus"), ("policy.act", "solution.act"), ("auditor.audit", "episode.audit"),
         ("solution.answer", "episode.answer")]
VALUES = {"beta": "71/18000", "sigma": "19/71", "r_ok": "6/19", "r_broken": "9/26", "a": "0.02", "T": "5000"}


def trusted_monitoring() -> Document:
    doc = Document.new("tm")
    for comp, name in PARTS:
        doc.add_instance(comp, name)
    for a, b in WIRES:
        doc.connect(a, b)
    doc.expose("policy.intent")
    doc.expose("solution.answer")
    doc.expose("auditor.audit")
    for n, v in VALUES.items():
        doc.set_parameter(n, v)
    doc.import_queries(default_proposal())
    return doc


@pytest.fixture(scope="module")
def built():
    return trusted_monitoring()


def test_built_by_edits_is_the_shipped_proposal(built):
    ref = load_proposal(default_proposal())
    assert built.check.ok
    assert set(built.spec.wiring.wires) == set(ref.spec.wiring.wires)
    assert built.spec.wiring.inputs == ref.spec.wiring.inputs and built.spec.wiring.outputs == ref.spec.wiring.outputs
    mine, theirs = built.check.proposal.evaluate(queries=list(ref.queries)), ref.evaluate(queries=list(ref.queries))
    assert mine == pytest.approx(theirs, rel=1e-12)


def test_an_unfinished_diagram_is_sketched_with_problems_at_box_and_port():
    doc = Document.new()
    doc.add_instance("untrusted_policy", "policy")
    doc.add_instance("trusted_monitor", "monitor")
    check = doc.check
    assert check.proposal is None
    assert sorted((p.box, p.port) for p in check.problems) == [("monitor", "act"), ("policy", "intent"),
                                                               ("policy", "query")]
    assert "takes Act but is not connected" in next(p.text for p in check.problems if p.box == "monitor")
    assert set(check.wiring.boxes) == {"policy", "monitor"}


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.add_instance("monitr"), "unknown component 'monitr'"),
    (lambda d: d.add_instance("trusted_monitor", "policy"), "instance 'policy': already exists"),
    (lambda d: d.add_instance("trusted_monitor", "in"), "is a reserved word"),
    (lambda d: d.connect("policy.act", "auditor.sus"), "wire policy.act → auditor.sus: Act does not match Sus"),
    (lambda d: d.connect("policy.act", "monitor.act"), "wire policy.act → monitor.act: already exists"),
    (lambda d: d.connect("policy.acts", "monitor.act"), "box 'policy' has no output 'acts'"),
    (lambda d: d.connect("monitor.act", "policy.act"), "monitor.act is an input of 'monitor', not an output"),
    (lambda d: d.connect_text("policy.act monitor.act"), "is not of the form box.port -> box.port"),
    (lambda d: d.set_parameter("beta", "1.5"), "parameter 'beta': value 1.5 is outside its domain [0, 1]"),
    (lambda d: d.set_parameter("T", "12.5"), "value 12.5 is not an integer"),
    (lambda d: d.set_parameter("beta", "beta + 1"), "unknown name 'beta'"),
    (lambda d: d.set_parameter("betta", "0.1"), "(did you mean 'beta'?)"),
    (lambda d: d.set_sweep("beta", 0, 2, 11), "value 2 is outside its domain [0, 1]"),
    (lambda d: d.rename_instance("policy", "monitor"), "already exists"),
    (lambda d: d.remove_instance("polcy"), "(did you mean 'policy'?)"),
    (lambda d: d.add_query("q1", {"probability": {"episode": "cat"}, "distribution": ["episode"]}),
     "give exactly one of 'probability', 'expectation', 'distribution', 'entropy', 'mutual_information', 'kl', 'tv'"),
    (lambda d: d.hand_to_adversary("beta", "nosuch"), "there is no query 'nosuch'"),
    (lambda d: d.set_expression("task >> monitr"), "unknown name 'monitr'"),
    (lambda d: d.expose("policy.intent"), "is already connected to in.intent"),
])
def test_a_bad_edit_says_why_and_changes_nothing(built, edit, message):
    doc = Document(built.spec)
    before = doc.spec
    with pytest.raises(MarkovwireError) as err:
        edit(doc)
    assert message in str(err.value)
    assert doc.spec is before and not doc.can_undo


def test_every_edit_undoes_and_redoes(built):
    doc = Document(built.spec)
    states = [doc.spec]
    edits = [lambda: doc.set_parameter("beta", "0.01"), lambda: doc.rename_instance("monitor", "watcher"),
             lambda: doc.disconnect("policy.act", "solution.act"), lambda: doc.remove_instance("episode"),
             lambda: doc.add_instance("trusted_monitor", "second"), lambda: doc.set_sweep("beta", 0, 0.1, 5),
             lambda: doc.hand_to_adversary("sigma", "safety", "max"), lambda: doc.remove_query("p_caught")]
    for e in edits:
        e()
        states.append(doc.spec)
    assert len({id(s) for s in states}) == len(states)
    for s in reversed(states[:-1]):
        assert doc.undo() and doc.spec == s
    assert not doc.undo()
    for s in states[1:]:
        assert doc.redo() and doc.spec == s
    assert not doc.redo()


def test_rename_carries_wires_and_queries(built):
    doc = Document(built.spec)
    doc.rename_instance("episode", "run")
    assert "auditor.audit -> run.audit" in doc.spec.wiring.wires
    assert doc.spec.queries["safety"].probability == {"run": ["running", "shutdown"]}
    assert doc.check.ok
    assert doc.check.proposal.value("safety") == pytest.approx(built.check.proposal.value("safety"), rel=1e-12)


def test_removing_a_box_takes_its_wires_outer_ports_and_the_episode(built):
    doc = Document(built.spec)
    doc.remove_instance("auditor")
    assert not any("auditor" in w for w in doc.spec.wiring.wires)
    assert "audit" not in doc.spec.wiring.outputs               # the outer output only the auditor fed
    doc.remove_instance("episode")
    assert doc.spec.episode is None


def test_an_input_takes_one_source(built):
    doc = Document(built.spec)
    doc.add_instance("untrusted_policy", "rival")
    with pytest.raises(WiringError, match=r"input monitor.act: already has a source \(policy.act\)"):
        doc.connect("rival.act", "monitor.act")


def test_candidates_are_open_inputs_of_the_same_type():
    doc = Document.new()
    for comp, name in PARTS:
        doc.add_instance(comp, name)
    doc.connect("policy.act", "monitor.act")
    offered = doc.candidates("policy")
    assert ("policy.act", "monitor.act", "Act") not in offered          # taken
    assert {(s, t) for s, t, _ in offered} == {("task.query", "policy.query"), ("policy.act", "auditor.act"),
                                              ("policy.act", "solution.act")}
    for s, t, ty in doc.candidates():
        assert doc.port(s).type == doc.port(t).type and doc.port(s).type.name == ty
        assert doc.connection_problem(s, t) is None


def wires_of(doc) -> set[tuple[str, str]]:
    return set(doc.wires())


@pytest.mark.parametrize("path", [p for p in shipped_proposals()], ids=lambda p: p.stem)
def test_the_expression_view_gives_the_same_proposal(path):
    doc = Document.open(path)
    text, editable, note = doc.expression()
    if not editable:                                   # a loop through state, or too big to edit as text
        assert "loop" in note or "too large" in note
        return
    wires, ins, outs = wires_of(doc), doc.check.wiring.inputs, doc.check.wiring.outputs
    queries = [q for q in doc.check.proposal.queries]
    before = doc.check.proposal.evaluate(queries=queries)
    doc.set_expression(text)
    assert (wires_of(doc), doc.check.wiring.inputs, doc.check.wiring.outputs) == (wires, ins, outs)
    after = doc.check.proposal.evaluate(queries=queries)
    assert after == pytest.approx(before, rel=1e-12)


def test_an_expression_reordering_outputs_keeps_their_names(built):
    doc = Document(built.spec)
    text, _, _ = doc.expression()
    doc.set_expression(text + " >> swap(Answer, AuditOut)")
    assert list(doc.spec.wiring.outputs.items()) == [("audit", "AuditOut"), ("answer", "Answer")]
    assert doc.check.ok


def test_saving_keeps_an_unchanged_file_as_written_and_writes_edits(tmp_path):
    doc = Document.open(default_proposal())
    target = tmp_path / "tm.yaml"
    doc.save(target)
    assert target.read_text() == default_proposal().read_text()        # comments and all
    doc.set_parameter("beta", "0.01")
    assert doc.dirty
    doc.save()
    assert not doc.dirty and Document.open(target).spec == doc.spec
    with pytest.raises(MarkovwireError, match="is not a .yaml file"):
        doc.save(tmp_path / "tm.txt")


def test_an_unfinished_proposal_saves_and_reopens_as_a_draft(tmp_path):
    doc = Document.new("draft")
    doc.add_instance("untrusted_policy", "policy")
    doc.save(tmp_path / "draft.yaml")
    again = Document.open(tmp_path / "draft.yaml")
    assert again.spec == doc.spec and again.check.proposal is None
    assert {(p.box, p.port) for p in again.check.problems} == {("policy", "query"), ("policy", "intent")}


def test_a_broken_file_opens_read_only_with_its_errors(tmp_path):
    """(More in test_roundtrip.py: it is never saved over.)"""
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ninstances: [1, 2\n")
    doc = Document.open(bad)
    assert doc.broken is not None and doc.path == bad and not doc.spec.instances
    assert "not valid YAML" in doc.check.problems[0].text
    bad.write_text("name: x\ninstances: {a: {component: policy, colour: red}}\nwiring: {wires: []}\n")
    doc = Document.open(bad)
    assert "unknown key 'colour'" in doc.check.problems[0].text and doc.check.problems[0].error.place.line == 2
    with pytest.raises(MarkovwireError, match="cannot be read|does not exist"):
        Document.open(tmp_path / "missing.yaml")


def test_recovery_round_trip(built):
    doc = Document(built.spec)
    doc.set_parameter("beta", "0.02")
    back = Document.from_recovery(doc.recovery_text())
    assert back.spec == doc.spec and back.dirty
    with pytest.raises(MarkovwireError, match="holds no proposal"):
        Document.from_recovery("written: yesterday\n")


def test_a_draft_needs_no_instances_but_is_otherwise_strict():
    assert draft_spec({"name": "x", "instances": {}, "wiring": {"wires": []}}).instances == {}
    with pytest.raises(MarkovwireError, match="unknown key 'instanses'"):
        draft_spec({"name": "x", "instanses": {}, "wiring": {"wires": []}})


def test_adversary_hands_over_and_takes_back(built):
    doc = Document(built.spec)
    doc.hand_to_adversary("sigma", "safety")
    assert doc.adversary_of("sigma") == "worst_safety"
    assert doc.spec.adversary["worst_safety"].over == ["beta", "sigma"]
    doc.release_from_adversary("beta")
    doc.release_from_adversary("sigma")
    assert "worst_safety" not in doc.spec.adversary


def test_queries_from_the_dialog_fields(built):
    from markovwire.tui.screens.query import query_data
    doc = Document(built.spec)
    doc.add_query("ok", query_data("probability", "episode = running, shutdown", "", "intent = scheming", "", ""))
    assert doc.check.proposal.value("ok") == pytest.approx(doc.check.proposal.value("safety"), rel=1e-15)
    doc.add_query("use", query_data("expectation", "answer", "correct: (1 - u_T)/(u_U - u_T); _: -u_T/(u_U - u_T)",
                                    "intent = honest", "", "1"))
    assert doc.check.proposal.value("use") == pytest.approx(1.0)
    with pytest.raises(MarkovwireError, match="is not of the form name = value"):
        query_data("probability", "episode running", "", "", "", "")


def test_sensitivities_of_an_episode_query_match_finite_differences():
    from markovwire.library.sensitivity import sensitivities_of
    p = load_proposal(default_proposal())
    table = sensitivities_of(p, "safety")
    sigma = p.all_parameters["sigma"].default
    h = 1e-4
    lo, hi = p.evaluate({"sigma": [sigma - h, sigma + h]}, queries=["safety"])["safety"]
    assert table["sigma"].derivative == pytest.approx((hi - lo) / (2 * h), rel=1e-5)
    assert table.value == pytest.approx(p.value("safety"), rel=1e-15)
    assert abs(table.rows[0].derivative) >= abs(table.rows[-1].derivative)       # ranked


# ----- TV radii, credal entries and claims ----------------------------------------------------------------
CREDAL = next(p for p in shipped_proposals() if p.stem == "credal_control")


@pytest.fixture(scope="module")
def credal():
    return Document.open(CREDAL)


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.set_tv_radius("monitor", "1.5"), "TV radius of 'monitor': 1.5 is outside [0, 1]"),
    (lambda d: d.set_tv_radius("monitr", "0.1"), "instance 'monitr': does not exist (did you mean 'monitor'?)"),
    (lambda d: d.set_tv_radius("monitor", "eps"), "unknown name 'eps'"),
    (lambda d: d.add_credal("safety", "safety", {"beta": (0.01, 0.05)}), "is the name of a query"),
    (lambda d: d.add_credal("r", "nosuch", {"beta": (0.01, 0.05)}), "there is no query 'nosuch'"),
    (lambda d: d.add_credal("r", "safety", {"beta": (0.05, 0.01)}), "credal.r.intervals.beta: [0.05, 0.01] is empty"),
    (lambda d: d.add_credal("r", "safety", {"beta": (0.5, 1.5)}), "value 1.5 is outside its domain [0, 1]"),
    (lambda d: d.add_credal("r", "safety", {"bta": (0.1, 0.2)}), "(did you mean 'beta'?)"),
    (lambda d: d.add_claim("independent", [["monitor.sus"], ["intent"], ["policy.act"]]),
     "claims[3]: is already one of the file's claims"),
    (lambda d: d.add_claim("independent", [["monitor.sus"], ["intnt"]]),
     "claims[3].independent[1][0]: no wire 'intnt' (did you mean 'intent'?)"),
    (lambda d: d.add_claim("never_sees", ["policy"]), "claims[3].never_sees"),
    (lambda d: d.remove_claim(7), "claim 7: does not exist"),
    (lambda d: d.remove_credal("nosuch"), "credal entry 'nosuch': does not exist"),
])
def test_a_bad_bounds_or_claims_edit_says_why_and_changes_nothing(credal, edit, message):
    doc = Document(credal.spec)
    before = doc.spec
    with pytest.raises(MarkovwireError) as err:
        edit(doc)
    assert message in str(err.value)
    assert doc.spec is before and not doc.can_undo and not doc.can_redo


def test_tv_radii_credal_entries_and_claims_are_edits_that_undo_save_and_recover(credal, tmp_path):
    doc = Document(credal.spec)
    doc.set_tv_radius("policy", "1/200")
    doc.set_tv_radius("monitor", "")                         # empty text removes a radius
    doc.add_credal("safety_range", "safety", {"beta": (0.01, 0.05)}, "the attack rate is uncertain")
    doc.add_claim("cannot_affect", ["monitor", "task.query"], "the monitor is downstream of the task")
    p = doc.check.proposal
    assert p.radii == {"policy": 0.005}
    assert p.value("safety_range").lower == pytest.approx(p.bounds("safety", {"beta": (0.01, 0.05)}).lower)
    assert [c.holds for c in p.claims().checks] == [True, True, True, True]
    back = Document.from_recovery(doc.recovery_text())
    assert back.spec == doc.spec
    doc.save(tmp_path / "edited.yaml")
    saved = load_proposal(tmp_path / "edited.yaml")
    assert saved.spec.instances["policy"].tv_radius == 0.005 and saved.spec.instances["monitor"].tv_radius is None
    assert saved.spec.credal["safety_range"].doc == "the attack rate is uncertain"
    assert saved.spec.claims[-1].cannot_affect == ["monitor", "task.query"]
    for _ in range(4):
        assert doc.undo()
    assert doc.spec == credal.spec


def test_rename_and_removal_carry_credal_entries_and_claims(credal):
    doc = Document(credal.spec)
    doc.rename_instance("monitor", "watcher")
    assert "watcher" in doc.spec.credal["imprecise_monitor"].imprecise
    assert doc.spec.claims[0].never_sees == ["policy", "watcher.sus"]
    assert doc.spec.claims[1].independent == [["watcher.sus"], ["intent"], ["policy.act"]]
    assert doc.check.ok
    assert doc.check.proposal.value("imprecise_monitor").upper == \
        pytest.approx(credal.check.proposal.value("imprecise_monitor").upper, rel=1e-12)
    doc.remove_query("p_catastrophe")                         # its credal entries go with it
    assert doc.spec.credal == {} and doc.check.ok
