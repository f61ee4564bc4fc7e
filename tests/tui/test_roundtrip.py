"""The UI edits the file as a round-trip YAML document: an edit changes what it edits and nothing else.

Checked against the file itself (difflib on its lines), never against markovwire's own dump: comments,
key order, quoting and layout of every other line stay as the user wrote them.
"""
from __future__ import annotations

import difflib
import shutil

import pytest
from hypothesis import given, settings, strategies as st

from markovwire.diagrams.yamlsafe import load_yaml
from markovwire.errors import FileFormatError, MarkovwireError
from markovwire.library import load_proposal
from markovwire.library.schema import ParameterSpec
from markovwire.library.shipped import default_proposal, proposal_paths, proposals_dir
from markovwire.tui import roundtrip
from markovwire.tui.document import Document


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """The lines only in ``before`` and the lines only in ``after`` (difflib)."""
    diff = list(difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0))
    minus = [x[1:] for x in diff if x.startswith("-") and not x.startswith("---")]
    plus = [x[1:] for x in diff if x.startswith("+") and not x.startswith("+++")]
    return minus, plus


def comments(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("#")]


def copy_of(path, tmp_path):
    target = tmp_path / path.name
    shutil.copy(path, target)
    return target


@pytest.mark.parametrize("path", proposal_paths(), ids=lambda p: p.stem)
def test_one_parameter_edit_changes_exactly_that_line(path, tmp_path):
    """Every shipped proposal: a parameter's value (or a declared parameter's default) changes in one line."""
    target = copy_of(path, tmp_path)
    original = target.read_text()
    doc = Document.open(target)
    name, entry = next(iter(doc.spec.parameters.items()))
    par = doc.parameter(name)
    lo, hi = par.domain
    if par.integer:
        value = int(par.default) - 1 if par.default - 1 >= lo else int(par.default) + 1
    else:
        value = round((par.default + lo) / 2 if par.default != lo else (lo + min(hi, lo + 1)) / 2, 6)
    doc.set_parameter(name, str(value))
    doc.save()
    saved = target.read_text()
    minus, plus = changed_lines(original, saved)
    assert len(minus) == len(plus) == 1, (minus, plus)
    assert minus[0].lstrip().startswith(f"{name}:") and plus[0].lstrip().startswith(f"{name}:")
    assert original.splitlines().index(minus[0]) == saved.splitlines().index(plus[0])
    assert comments(saved) == comments(original)
    again = Document.open(target).spec.parameters[name]
    assert (again.default if isinstance(entry, ParameterSpec) else again) == pytest.approx(value)


def test_a_string_keeps_its_quotes_and_its_comment(tmp_path):
    target = copy_of(default_proposal(), tmp_path)
    original = target.read_text()
    doc = Document.open(target)
    doc.set_parameter("beta", "1/50")
    doc.save()
    minus, plus = changed_lines(original, target.read_text())
    assert (minus, plus) == (['  beta: "71/18000"'], ['  beta: "1/50"'])


def test_many_edits_keep_every_comment_and_undo_gives_the_file_back(tmp_path):
    target = copy_of(default_proposal(), tmp_path)
    original = target.read_text()
    doc = Document.open(target)
    doc.set_parameter("a", "0.05")
    doc.add_instance("trusted_monitor_table", "monitor2")
    doc.connect("policy.act", "monitor2.act")
    doc.rename_instance("auditor", "human")
    doc.set_sweep("beta", 0.0, 0.1, 11)
    doc.remove_query("p_caught")
    doc.save()
    saved = target.read_text()
    assert comments(saved) == comments(original)
    minus, plus = changed_lines(original, saved)
    assert all("auditor" in x or "a: 0.02" in x or "beta, start" in x or "p_caught" in x or "shutdown" in x
               or "shut down" in x or "scheming" in x for x in minus), minus
    assert "  monitor2: {component: trusted_monitor_table}" in plus          # in the style of its neighbours
    assert "    - policy.act -> monitor2.act" in plus
    assert Document.open(target).spec == doc.spec
    while doc.undo():
        pass
    doc.save()
    assert target.read_text() == original


def test_removing_a_key_keeps_the_comment_above_the_next_one():
    text = "name: p\n# about a\na: 1\n# about b\nb: 2\nc: [1, 2]  # the c\n"
    tree = roundtrip.load(text, "p.yaml")
    edited = roundtrip.patch(tree, {"a": 1, "b": 2, "c": [1, 2]}, {"b": 2, "c": [1, 2, 3]})
    out = roundtrip.text(text, roundtrip.dump(tree), roundtrip.dump(edited))
    assert out.startswith("name: p\n# about a\n# about b\nb: 2\nc: [1, 2, 3]") and out.endswith(" # the c\n")


def test_the_tree_refuses_tags_and_what_the_safe_loader_refuses():
    for text, what in [("a: !!python/object/apply:os.system [ls]\n", "tag"),
                       ("a: !custom 1\n", "tag"),
                       ("a: 1\na: 2\n", "appears twice"),
                       ("- 1\n- 2\n", "mapping")]:
        with pytest.raises(FileFormatError, match=what) as e:
            roundtrip.load(text, "evil.yaml")
        assert e.value.place.file == "evil.yaml" and e.value.place.line is not None


scalars = st.one_of(
    st.text(alphabet="0123456789:.-+eExyn_ ", min_size=1, max_size=8).filter(lambda s: s.strip() == s),
    st.sampled_from(["yes", "no", "on", "off", "null", "~", "010", "1:20", "0x1F", "1e-05", ".5", "1_000",
                     "2026-01-01", "true", "False"]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-10**6, 10**6))


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True), scalars, min_size=1, max_size=5),
       st.sampled_from(['k: "x"  # quoted\n', "k: x\n", "k: {a: 1}\n", "k: [1, 2]\n"]))
def test_what_is_written_reads_back_as_the_same_values(values, start):
    """A law: any value put into the tree is read back by markovwire's safe loader as that value."""
    tree = roundtrip.load(start, "p.yaml")
    old = {"k": load_yaml(start).data["k"]}
    new = {"k": values}
    out = roundtrip.text(start, roundtrip.dump(tree), roundtrip.dump(roundtrip.patch(tree, old, new)))
    assert load_yaml(out).data == new


def test_an_unchanged_merge_is_the_file_itself():
    text = "a:     1   # odd spacing\nb:\n    - 1\n    - 2\n"
    tree = roundtrip.load(text)
    assert roundtrip.text(text, roundtrip.dump(tree), roundtrip.dump(tree)) == text


# ----- renames follow every reference --------------------------------------------------------------------
def renamed(path, old, new, tmp_path):
    target = copy_of(path, tmp_path)
    original = target.read_text()
    doc = Document.open(target)
    doc.rename_instance(old, new)
    assert doc.check.proposal is not None, [p.text for p in doc.check.problems]
    doc.save()
    saved = target.read_text()
    minus, plus = changed_lines(original, saved)
    return doc, minus, plus, saved


def test_rename_follows_wires_adversary_instance_claims(tmp_path):
    doc, minus, plus, saved = renamed(default_proposal(), "policy", "untrusted", tmp_path)
    assert doc.spec.adversary["any_policy"].instance == "untrusted"
    assert doc.spec.claims[0].never_sees == ["untrusted", "monitor.sus"]
    assert "    instance: untrusted" in plus and "  - never_sees: [untrusted, monitor.sus]" in plus
    assert "    - untrusted.act -> monitor.act" in plus
    assert "independent: [[monitor.sus], [intent], [untrusted.act]]" in saved
    assert all("policy" in x for x in minus) and len(minus) == len(plus)
    assert "policy" not in "".join(plus).replace("untrusted_policy", "")


def test_rename_follows_a_state_in_queries_and_given(tmp_path):
    doc, minus, plus, _ = renamed(default_proposal(), "episode", "run", tmp_path)
    assert doc.spec.queries["safety"].probability == {"run": ["running", "shutdown"]}
    assert "    probability: {run: catastrophe}" in plus
    doc.add_query("caught_given", {"probability": {"run": "shutdown"}, "given": {"auditor.audit": "caught"},
                                   "inputs": {"intent": "scheming"}})
    doc.add_query("law", {"distribution": ["run", "monitor.sus"], "inputs": {"intent": "scheming"}})
    doc.add_query("mean", {"expectation": {"of": ["monitor.sus"], "values": {"high": 1, "_": 0}},
                           "inputs": {"intent": "scheming"}})
    doc.rename_instance("auditor", "human")
    doc.rename_instance("monitor", "tm")
    doc.rename_instance("run", "ep")
    q = doc.spec.queries
    assert q["caught_given"].given == {"human.audit": "caught"} and q["caught_given"].probability == {
        "ep": "shutdown"}
    assert q["law"].distribution == ["ep", "tm.sus"] and q["mean"].expectation.of == ["tm.sus"]
    assert doc.check.proposal is not None


def test_rename_follows_credal_sets_and_keeps_the_tv_radius(tmp_path):
    path = proposals_dir() / "credal_control.yaml"
    doc, minus, plus, saved = renamed(path, "monitor", "tm", tmp_path)
    assert "tm" in doc.spec.credal["imprecise_monitor"].imprecise
    assert doc.spec.instances["tm"].tv_radius == 0.001
    assert "  tm: {component: trusted_monitor_table, tv_radius: 0.001}" in plus
    assert "      tm:" in plus
    assert all("monitor" in x for x in minus) and len(minus) == len(plus)


def test_rename_in_a_diagram_expression(tmp_path):
    path = proposals_dir() / "amplification.yaml"
    doc = Document.open(copy_of(path, tmp_path))
    before = doc.check.proposal.evaluate()
    doc.rename_instance("vote", "majority")
    assert "vote" not in doc.spec.diagram and doc.spec.wiring is None
    assert doc.check.proposal.evaluate() == pytest.approx(before)
    doc.save()
    minus, plus = changed_lines(path.read_text(), doc.path.read_text())
    assert all("vote" in x for x in minus) and not any("vote" in x for x in plus)
    assert sum("majority" in x for x in plus) == len(plus)


# ----- nothing the user made is lost ---------------------------------------------------------------------
@pytest.mark.parametrize("text, line, what", [
    ("name: x\ninstances: [1, 2\n", 3, "not valid YAML"),
    ("name: x\ninstances:\n  a: {component: policy, colour: red}\nwiring: {wires: []}\n", 3, "unknown key 'colour'"),
    ("name: x\nbad: !!python/object/apply:os.system [ls]\n", 2, "tag"),
])
def test_a_file_that_does_not_parse_opens_read_only_and_is_never_saved_over(tmp_path, text, line, what):
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    doc = Document.open(bad)
    assert doc.broken is not None and "never saved over" in doc.read_only
    first = doc.check.problems[0].error
    assert what in str(first) and first.place.file == "bad.yaml" and first.place.line == line
    doc.add_instance("untrusted_policy", "policy")              # work in it goes on
    with pytest.raises(MarkovwireError, match="never saved over") as e:
        doc.save()
    assert "Ctrl+W" in e.value.fix and e.value.place.file == str(bad)
    assert bad.read_text() == text
    doc.save(tmp_path / "mine.yaml")
    assert Document.open(tmp_path / "mine.yaml").spec == doc.spec and doc.broken is None


def test_a_shipped_file_opens_as_an_untitled_copy(tmp_path):
    shipped = default_proposal()
    text = shipped.read_text()
    doc = Document.open(shipped)
    assert doc.path is None and doc.origin == shipped and not doc.dirty and "shipped" in doc.read_only
    doc.set_parameter("beta", "0.01")
    with pytest.raises(MarkovwireError, match="has no file yet") as e:
        doc.save()
    assert "Ctrl+W" in e.value.fix
    with pytest.raises(MarkovwireError, match="shipped with markovwire and is read-only"):
        doc.save(shipped)
    assert shipped.read_text() == text
    doc.save(tmp_path / "tm.yaml")
    minus, plus = changed_lines(text, (tmp_path / "tm.yaml").read_text())
    assert (minus, plus) == (['  beta: "71/18000"'], ["  beta: 0.01"])


def test_a_file_that_cannot_be_written_says_so(tmp_path):
    target = copy_of(default_proposal(), tmp_path)
    doc = Document.open(target)
    doc.set_parameter("beta", "0.01")
    with pytest.raises(MarkovwireError) as e:
        doc.save(tmp_path / "no-such-folder" / "tm.yaml")
    assert e.value.place.file is not None and e.value.fix
    assert doc.dirty and doc.path == target


# ----- undo and redo ---------------------------------------------------------------------------------------
def test_every_kind_of_edit_undoes_and_redoes_with_the_file(tmp_path):
    target = copy_of(default_proposal(), tmp_path)
    doc = Document.open(target)
    (tmp_path / "mine.yaml").write_text("name: mine\nversion: '1'\ntypes: {Coin: [heads, tails]}\n")
    edits = [lambda: doc.set_parameter("beta", "0.01"),
             lambda: doc.rename_instance("monitor", "tm"),
             lambda: doc.add_library(str(tmp_path / "mine.yaml")),
             lambda: doc.remove_library("mine"),
             lambda: doc.set_name("renamed"),
             lambda: doc.set_tv_radius("tm", "0.01"),
             lambda: doc.set_steps("100"),
             lambda: doc.remove_instance("solution")]
    texts = [doc.to_yaml()]
    for edit in edits:
        edit()
        texts.append(doc.to_yaml())
    for text in reversed(texts[:-1]):
        assert doc.undo()
        assert doc.to_yaml() == text
    assert not doc.undo() and texts[0] == target.read_text()
    for text in texts[1:]:
        assert doc.redo()
        assert doc.to_yaml() == text


# ----- the UI: opening and saving ------------------------------------------------------------------------------
def notes(app) -> str:
    return "\n".join(f"{n.title}: {n.message}" for n in app._notifications)


async def test_plain_markovwire_edits_an_untitled_copy_of_the_shipped_proposal(driver, tmp_path):
    from markovwire.tui.app import MarkovwireApp
    shipped = default_proposal()
    text = shipped.read_text()
    app = MarkovwireApp()
    async with app.run_test(size=(120, 40)) as pilot:
        k = driver(app, pilot)
        await k.settle()
        assert app.document.path is None and app.document.origin == shipped
        assert "copy of trusted_monitoring.yaml" in app.sub_title
        app.document.set_parameter("beta", "0.01")
        app.document_changed()
        await k.press("ctrl+s")                                   # the first save asks where
        assert k.screen_name() == "FileScreen"
        assert app.screen.query_one("#file-path").value == str(tmp_path / "trusted_monitoring.yaml")
        await k.press("enter")
        await k.settle()
        assert k.screen_name() == "MainScreen" and app.document.path == tmp_path / "trusted_monitoring.yaml"
    assert shipped.read_text() == text
    minus, plus = changed_lines(text, (tmp_path / "trusted_monitoring.yaml").read_text())
    assert (minus, plus) == (['  beta: "71/18000"'], ["  beta: 0.01"])


async def test_a_broken_file_opens_read_only_and_ctrl_s_offers_another_path(driver, tmp_path):
    from markovwire.tui.app import MarkovwireApp
    bad = tmp_path / "bad.yaml"
    text = "name: bad\n# my notes\ninstances: {a: {component: policy, colour: red}}\n"
    bad.write_text(text)
    app = MarkovwireApp(bad)
    async with app.run_test(size=(120, 40)) as pilot:
        k = driver(app, pilot)
        await k.settle()
        assert app.document.broken is not None and "(read-only)" in app.sub_title
        assert "bad.yaml is read-only" in notes(app)
        assert any("bad.yaml:3" in p.text and "unknown key 'colour'" in p.text for p in app.document.check.problems)
        await k.press("ctrl+s")
        assert "never saved over" in notes(app)
        assert k.screen_name() == "FileScreen"
        assert app.screen.query_one("#file-path").value == str(tmp_path / "bad_copy.yaml")
        app.screen.query_one("#file-path").value = str(bad)         # the file itself is refused in the dialog
        await k.press("enter")
        assert k.screen_name() == "FileScreen" and "never saved over" in str(
            app.screen.query_one("#dialog-error").render())
        await k.press("escape")
    assert bad.read_text() == text


def test_recovered_work_keeps_the_files_comments(tmp_path):
    target = copy_of(default_proposal(), tmp_path)
    original = target.read_text()
    doc = Document.open(target)
    doc.set_parameter("beta", "0.01")
    back = Document.from_recovery(doc.recovery_text())
    assert back.dirty and back.path == target and back.spec == doc.spec
    back.save()
    assert changed_lines(original, target.read_text()) == (['  beta: "71/18000"'], ["  beta: 0.01"])


@settings(max_examples=12, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["beta", "sigma", "r_ok", "r_broken", "a"]),
                          st.sampled_from(["0", "0.5", "1/3", "1e-3", "0.25"])), min_size=1, max_size=4))
def test_any_parameter_edits_change_only_their_own_lines(tmp_path_factory, edits):
    """A law over sequences of edits: the saved file differs from the original only in the edited parameters'
    lines, one line each, and reads back as the document."""
    target = copy_of(default_proposal(), tmp_path_factory.mktemp("p"))
    original = target.read_text()
    doc = Document.open(target)
    for name, value in edits:
        doc.set_parameter(name, value)
    doc.save()
    minus, plus = changed_lines(original, target.read_text())
    first = load_proposal(default_proposal()).spec.parameters
    changed = {n for n, _ in edits if doc.spec.parameters[n] != first[n]}
    assert len(minus) == len(plus) == len(changed)
    assert {line.split(":")[0].strip() for line in plus} == changed
    assert Document.open(target).spec == doc.spec


def test_an_edit_under_an_anchor_leaves_its_aliases_as_they_were(tmp_path):
    """best_of_n_vs_rl.yaml shares a table between queries (&gold, *gold): changing one query's copy changes that
    query only, and the replaced table keeps its quoting."""
    path = proposals_dir() / "best_of_n_vs_rl.yaml"
    doc = Document.open(copy_of(path, tmp_path))
    other = doc.spec.queries["gold_rl"].expectation.values
    q = doc.spec.queries["gold_bon"].model_dump(exclude_defaults=True)
    q["expectation"]["values"]["x00"] = "-1.6*rho"
    doc.add_query("gold_bon", q)
    doc.save()
    again = Document.open(doc.path).spec
    assert again == doc.spec and again.queries["gold_rl"].expectation.values == other
    minus, plus = changed_lines(path.read_text(), doc.path.read_text())
    assert '        x00: "-1.6*rho"' in plus and '        x01: "-0.4598622293*rho"' in plus
