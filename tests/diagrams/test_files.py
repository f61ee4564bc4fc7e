"""Diagram files: exact round trips, every mistake located by file, line and key, and a fuzz test."""
from __future__ import annotations

import doctest
import importlib
import json
import os

import numpy as np
import pytest
import sympy
import yaml
from hypothesis import given, settings, strategies as st

from markovwire import (
    ErrorList,
    ExpressionError,
    FileFormatError,
    FinSet,
    Kernel,
    MarkovwireError,
    NotStochastic,
    Parameter,
    ParameterError,
    Port,
    Range,
    ShapeError,
    TypeMismatch,
    UnknownName,
    Vec,
    WiringError,
)
from markovwire.diagrams import (
    Box,
    WiringDiagram,
    diagram_json_schema,
    dump_diagram,
    load_diagram,
    parse_diagram,
    save_diagram,
)
from markovwire.diagrams.yamlsafe import load_yaml, read_text

Act = FinSet("Act", ["clean", "attack"])
V = FinSet("Verdict", ["pass", "flag"])
recall = Parameter("recall", (0, 1), default=0.7, doc="monitor recall on attacks")
beta = Parameter("beta", (0, 1), default=0.1)

PROPOSAL = """\
name: control
doc: a policy watched by a monitor
types:
  Act: [clean, attack]
  Verdict: [pass, flag]
parameters:
  recall: {domain: [0, 1], default: 0.7}
outputs: {verdict: Verdict}
boxes:
  policy: {outputs: {act: Act}, kernel: {clean: 0.9, attack: 0.1}}
  monitor:
    inputs: {act: Act}
    outputs: {verdict: Verdict}
    kernel:
      clean: {pass: 0.8, flag: 0.1}
      attack: {pass: 1 - recall, flag: recall}
wires:
  - policy.act -> monitor.act
  - {from: monitor.verdict, to: out.verdict}
"""


@pytest.mark.parametrize("name", ["markovwire.diagrams.files", "markovwire.diagrams.yamlsafe"])
def test_doctests(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted and result.failed == 0


def fixed(text: str = PROPOSAL) -> str:
    return text.replace("pass: 0.8", "pass: 0.9")


def raises(text: str, kind=MarkovwireError, filename: str = "proposal.yaml", **kw) -> str:
    with pytest.raises(kind) as err:
        parse_diagram(text, filename=filename, **kw)
    return str(err.value)


# ----- a rich diagram, and exact round trips -----------------------------------------------
def rich() -> WiringDiagram:
    """Nesting, plumbing (open and fixed), symbolic and multi-output kernels, a family type, docs."""
    R = Range(3)
    m = Kernel([[0.9, 0.1], [1 - recall.symbol, recall.symbol]], [("act", Act)], [("verdict", V)],
               params=[recall], name="monitor")
    two = Kernel(np.array([[[0.5, 0.25, 0.0], [0.125, 0.0, 0.125]], [[0.0, 0.0, 1.0], [0.0, 0.0, 0.0]]]),
                 [("verdict", V)], [("act", Act), ("level", R)], name="escalate")
    exact = Kernel([sympy.Rational(1, 3) * (1 - beta.symbol), sympy.Rational(2, 3) + beta.symbol / 3],
                   [], [("act", Act)], params=[beta], name="policy")
    inner = WiringDiagram("screen", inputs=[("act", Act)], outputs=[("verdict", V)])
    inner.doc = "the trusted screen"
    inner.add_box("monitor", Box.of(m, doc="a trusted monitor"))
    inner.chain("in", "monitor", "out")
    wd = WiringDiagram("rich", outputs=[("act", Act), ("level", R), ("seen", Act)])
    wd.add_box("policy", exact)
    wd.add_box("split", Box.copy())
    wd.add_box("audit", inner)
    wd.add_box("esc", Box.of(two, name="escalation"))
    wd.add_box("keep", Box.identity(Act, port="act"))
    wd.add_box("cross", Box.swap(Act, R))
    wd.connect("policy.act", "split.x")
    wd.connect("split.x1", "audit.act")
    wd.connect("split.x2", "keep.act")
    wd.connect("audit.verdict", "esc.verdict")
    wd.connect("esc.act", "out.act")
    wd.connect("keep.act", "cross.a")
    wd.connect("esc.level", "cross.b")
    wd.connect("cross.b", "out.level")
    wd.connect("cross.a", "out.seen")
    return wd


def same_kernels(a: WiringDiagram, b: WiringDiagram) -> None:
    na, nb = a.to_net(), b.to_net()
    assert [x.name for x in na.boxes] == [x.name for x in nb.boxes]
    for x, y in zip(na.boxes, nb.boxes):
        assert (x.inputs, x.outputs) == (y.inputs, y.outputs)
        assert x.kernel.dom == y.kernel.dom and x.kernel.cod == y.kernel.cod
        assert x.kernel.array.dtype == y.kernel.array.dtype
        assert all(type(p) is type(q) and p == q for p, q in zip(x.kernel.array.flat, y.kernel.array.flat))
        assert x.kernel.params == y.kernel.params


def test_a_rich_diagram_round_trips_exactly():
    wd = rich()
    text = dump_diagram(wd)
    back = parse_diagram(text, filename="rich.yaml")
    same_kernels(wd, back)
    assert dump_diagram(back) == text
    assert back.doc == "" and back["audit"].doc == "the trusted screen"
    assert back["audit"]["monitor"].doc == "a trusted monitor"
    assert back["esc"].name == "escalation"
    assert back["split"] == Box.copy() and back["cross"] == Box.swap(Act, Range(3))
    assert back["keep"] == Box.identity(Act, port="act")
    assert np.allclose(back.evaluate().array, wd.evaluate().array)
    assert back.evaluate(symbolic=True).array.dtype == object


def test_symbolic_entries_come_back_identical():
    back = parse_diagram(dump_diagram(rich()), filename="rich.yaml")
    entries = list(back.to_net().box("policy").kernel.array.flat)
    assert entries == [sympy.Rational(1, 3) - beta.symbol / 3, sympy.Rational(2, 3) + beta.symbol / 3]
    assert sympy.srepr(entries[0]) == sympy.srepr(rich().to_net().box("policy").kernel.array.flat[0])


def test_the_written_file_reads_like_a_hand_written_one():
    text = dump_diagram(rich())
    assert "types:\n  Act: [clean, attack]\n  Range(3): ['0', '1', '2']\n  Verdict: [pass, flag]\n" in text
    assert "parameters:\n  beta:\n    domain: [0.0, 1.0]\n    default: 0.1\n" in text
    assert "      attack: {pass: 1 - recall, flag: recall}\n" in text
    assert "  split: {plumbing: copy}\n" in text
    assert "wires:\n- policy.act -> split.x\n- split.x1 -> audit.act\n" in text


def test_a_hand_written_file_loads_and_round_trips():
    wd = parse_diagram(fixed(), filename="proposal.yaml")
    assert wd.doc == "a policy watched by a monitor"
    k = wd.evaluate()
    assert np.allclose(k.array, [0.9 * 0.9 + 0.1 * 0.3, 0.9 * 0.1 + 0.1 * 0.7])
    assert np.allclose(wd.evaluate({"recall": 0.5}).array, [0.9 * 0.9 + 0.05, 0.09 + 0.05])
    again = parse_diagram(dump_diagram(wd), filename="again.yaml")
    same_kernels(wd, again)
    assert wd["policy"].source == "proposal.yaml:10: boxes.policy"


def test_a_string_diagram_is_saved_through_its_wiring(tmp_path):
    policy = Box.of(Kernel([0.9, 0.1], [], [("act", Act)], name="policy"))
    monitor = Box.of(Kernel([[0.9, 0.1], [0.3, 0.7]], [("act", Act)], [("verdict", V)], name="monitor"))
    d = policy >> Box.copy() >> (monitor @ monitor)
    save_diagram(d, tmp_path / "d.yaml", name="two_monitors")
    wd = load_diagram(tmp_path / "d.yaml")
    assert wd.name == "two_monitors" and list(wd.boxes) == ["policy", "monitor", "monitor_2"]
    assert np.allclose(wd.evaluate().array, d.evaluate().array)
    assert np.allclose(wd.to_diagram().evaluate().array, d.evaluate().array)


def test_families_are_accepted_as_types():
    text = """\
name: fam
types: {Answer: [right, wrong]}
outputs: {pair: "Vec(Answer, 2)", n: Range(2)}
boxes:
  gen:
    outputs: {pair: "Vec(Answer, 2)", n: Range(2)}
    kernel: {"right,right": {0: 0.5, 1: 0.5}}
wires: [gen.pair -> out.pair, gen.n -> out.n]
"""
    wd = parse_diagram(text)
    assert wd.outputs[0].type == Vec(FinSet("Answer", ["right", "wrong"]), 2) and wd.outputs[1].type == Range(2)
    assert np.allclose(wd.evaluate().array[0], [0.5, 0.5])


# ----- components through the caller's resolver ---------------------------------------------------
MONITOR = Kernel([[0.9, 0.1], [0.3, 0.7]], [("act", Act)], [("verdict", V)], name="trusted_monitor")


def resolver(name, args):
    if name == "trusted_monitor":
        return Box.of(MONITOR, doc=f"threshold {args.get('threshold', 0)}")
    raise UnknownName(f"component {name!r}", "is not in the library", fix="use one of: trusted_monitor")


def with_component(extra: str = "") -> str:
    return fixed().replace("""  monitor:
    inputs: {act: Act}
    outputs: {verdict: Verdict}
    kernel:
      clean: {pass: 0.9, flag: 0.1}
      attack: {pass: 1 - recall, flag: recall}
""", f"""  monitor:
    component: trusted_monitor
    with: {{threshold: 3}}
{extra}""")


def test_components_are_resolved_by_the_callers_resolver_and_written_back_as_references():
    wd = parse_diagram(with_component(), resolve=resolver)
    box = wd["monitor"]
    assert box.component == "trusted_monitor" and dict(box.args) == {"threshold": 3}
    assert box.doc == "threshold 3"
    assert np.allclose(wd.evaluate().array, [0.9 * 0.9 + 0.1 * 0.3, 0.9 * 0.1 + 0.1 * 0.7])
    text = dump_diagram(wd)
    assert "  monitor:\n    component: trusted_monitor\n    with: {threshold: 3}\n" in text
    same_kernels(wd, parse_diagram(text, resolve=resolver))


def test_component_errors_are_located():
    assert raises(with_component(), UnknownName) == (
        "proposal.yaml:11: boxes.monitor: component 'trusted_monitor': cannot be resolved: no library was given\n"
        "  fix: load the file through markovwire.library (which resolves components), or inline the box's kernel")
    assert raises(with_component().replace("component: trusted_monitor", "component: trusted"), UnknownName,
                  resolve=resolver) == ("proposal.yaml:11: boxes.monitor: component 'trusted': is not in the library\n"
                                        "  fix: use one of: trusted_monitor")
    assert raises(with_component("    inputs: {action: Act}\n"), TypeMismatch, resolve=resolver) == (
        "proposal.yaml:11: boxes.monitor: inputs: the file says (action: Act) but component 'trusted_monitor' has "
        "(act: Act)\n"
        "  fix: correct the file's inputs, or remove them to take the component's")
    assert raises(with_component(), UnknownName, resolve=lambda n, a: 42) == (
        "proposal.yaml:11: boxes.monitor: component 'trusted_monitor': resolved to int, not a box\n"
        "  fix: the library's resolver must return a Box, Kernel, WiringDiagram or stateful box")


# ----- every mistake, with file, line and key -----------------------------------------------------
def test_a_row_that_does_not_sum_to_one():
    text = PROPOSAL.replace("recall}", "0.7}").replace("1 - recall", "0.3")
    assert raises(text, NotStochastic) == ("proposal.yaml:15: boxes.monitor.kernel: row (act=clean) sums to 0.9, "
                                           "not 1\n  fix: make each row sum to one")


def test_a_symbolic_row_that_does_not_sum_to_one():
    assert raises(PROPOSAL, NotStochastic).startswith(
        "proposal.yaml:15: boxes.monitor.kernel: row (act=clean) entries sum to 0.9")


@pytest.mark.parametrize("old, new, kind, message", [
    ("kernel: {clean", "kernal: {clean", FileFormatError,
     "proposal.yaml:10: boxes.policy.kernal: unknown key 'kernal' (did you mean 'kernel'?)\n"
     "  fix: use one of: name, doc, inputs, outputs, kernel, parameters, component, with, diagram, plumbing, "
     "types, n, order, port"),
    ("default: 0.7", "default: '0.7'", FileFormatError,
     "proposal.yaml:7: parameters.recall.default: expected a number, got '0.7'\n"
     "  fix: see diagram_json_schema() for the file format"),
    ("name: control\n", "", FileFormatError,
     "proposal.yaml:1: name is required\n  fix: add it"),
    ("attack: {pass", "atack: {pass", UnknownName,
     "proposal.yaml:16: boxes.monitor.kernel.atack: 'atack' is not an element of Act (port act); did you mean "
     "'attack'?\n  fix: use one of: clean, attack"),
    ("flag: recall}", "flag: recal}", ExpressionError,
     "proposal.yaml:16: boxes.monitor.kernel.attack.flag: unknown name 'recal' (did you mean 'recall'?) "
     "(column 1)\n  fix: use a declared parameter (recall) or the constants pi, e"),
    ("flag: recall}", "flag: [recall]}", FileFormatError,
     "proposal.yaml:16: boxes.monitor.kernel.attack.flag: entry ['recall'] is not a number or an expression\n"
     "  fix: write a probability: a number, or an expression such as '1 - recall'"),
    ("clean: {pass: 0.9, flag: 0.1}", "clean: 0.9", FileFormatError,
     "proposal.yaml:15: boxes.monitor.kernel.clean: expected a mapping by verdict labels (Verdict), got 0.9\n"
     "  fix: nest one mapping per input, then per output; labels of Verdict: pass, flag"),
    ("inputs: {act: Act}", "inputs: {act: Akt}", UnknownName,
     "proposal.yaml:12: boxes.monitor.inputs.act: type 'Akt': is not declared (did you mean 'Act'?)\n"
     "  fix: declare it under types:, or use Act, Verdict, Range(n), Vec(T, n), Product(A, B)"),
    ("- policy.act -> monitor.act", "- policy.act monitor.act", FileFormatError,
     "proposal.yaml:18: wires[0]: 'policy.act monitor.act' is not a wire; write 'box.port -> box.port'"),
    ("- policy.act -> monitor.act", "- polcy.act -> monitor.act", ErrorList,
     "2 problem(s):\n"
     "- proposal.yaml:18: wires[0]: wire polcy.act → monitor.act: there is no box 'polcy'\n"
     "    fix: use one of: policy, monitor\n"
     "- proposal.yaml:11: boxes.monitor: input monitor.act: takes Act but is not connected\n"
     "    fix: wire an output of type Act into it, e.g. wd.connect('<box>.<port>', 'monitor.act')"),
    ("{from: monitor.verdict, to: out.verdict}", "{from: policy.act, to: out.verdict}", TypeMismatch,
     "proposal.yaml:19: wires[1]: wire policy.act → out.verdict: Act does not match Verdict\n"
     "  fix: connect an output of type Verdict to out.verdict, or insert a box Act → Verdict"),
    ("{from: monitor.verdict, to: out.verdict}", "{from: monitor.verdict, too: out.verdict}", ErrorList,
     "2 problem(s):\n"
     "- proposal.yaml:19: wires[1]: to is required\n"
     "    fix: add it\n"
     "- proposal.yaml:19: wires[1].too: unknown key 'too' (did you mean 'to'?)\n"
     "    fix: use one of: from, to"),
    ("Act: [clean, attack]", "Act: [true, false]", ErrorList,
     "2 problem(s):\n"
     "- proposal.yaml:4: types.Act[0]: True is read by YAML as a boolean, not a label; quote it\n"
     "- proposal.yaml:4: types.Act[1]: False is read by YAML as a boolean, not a label; quote it"),
    ("Act: [clean, attack]", "Act: [clean, clean]", ShapeError,
     "proposal.yaml:4: types.Act: type 'Act': repeats the element(s) clean\n  fix: give each element a distinct label"),
    ("domain: [0, 1]", "domain: [1, 0]", ParameterError,
     "proposal.yaml:7: parameters.recall: parameter 'recall': empty domain [1.0, 0.0]\n"
     "  fix: give the domain as [low, high] with low <= high"),
    ("  policy: {outputs", "  in: {outputs", WiringError,
     "proposal.yaml:10: boxes.in: box 'in': is a reserved name (in/out are the outer ports)\n"
     "  fix: choose another instance name"),
    ("kernel: {clean: 0.9, attack: 0.1}", "kernel: {clean: 0.9, attack: 0.1}, component: x", FileFormatError,
     "proposal.yaml:10: boxes.policy: give exactly one of kernel, component, diagram or plumbing (found kernel, "
     "component)"),
    ("  policy: {outputs: {act: Act}, kernel", "  policy: {kernel", FileFormatError,
     "proposal.yaml:10: boxes.policy: a kernel box needs outputs (and inputs, unless it is a distribution)"),
    ("  policy: {outputs: {act: Act}, kernel: {clean: 0.9, attack: 0.1}}", "  policy: {plumbing: copy, n: -1}",
     FileFormatError, "proposal.yaml:10: boxes.policy.n: Input should be greater than or equal to 0\n"
     "  fix: see diagram_json_schema() for the file format"),
    ("  policy: {outputs: {act: Act}, kernel: {clean: 0.9, attack: 0.1}}", "  policy: {plumbing: copy, order: [0]}",
     FileFormatError, "proposal.yaml:10: boxes.policy: n applies to copy, order to permute and port to identity, "
     "not copy\n  fix: remove the key"),
    ("  policy: {outputs: {act: Act}, kernel: {clean: 0.9, attack: 0.1}}", "  policy: {plumbing: swap, types: [Act]}",
     TypeMismatch, "proposal.yaml:10: boxes.policy: types: swap takes 2 type(s), got 1\n"
     "  fix: give one type per input, or none to infer them from the wires"),
    ("  policy: {outputs: {act: Act}, kernel: {clean: 0.9, attack: 0.1}}", "  policy: {plumbing: permute}",
     FileFormatError, "proposal.yaml:10: boxes.policy: permute needs its order\n"
     "  fix: give order: [...], output j carries input order[j]"),
])
def test_mistakes_are_located(old, new, kind, message):
    assert old in fixed()
    assert raises(fixed().replace(old, new), kind) == message


def test_another_version_is_refused():
    assert raises("version: 2\n" + fixed(), FileFormatError) == (
        "proposal.yaml:1: version: Input should be 1\n  fix: see diagram_json_schema() for the file format")


def test_yaml_level_mistakes():
    assert raises("name: x\nname: y\n", FileFormatError) == (
        "proposal.yaml:2: key 'name': appears twice (first on line 1)\n  fix: keep one of the two entries")
    assert raises("name: x\nboxes: [1, 2\n", FileFormatError).startswith("proposal.yaml:3: is not valid YAML:")
    assert raises("name: !!python/object/apply:os.system [echo hi]\n", FileFormatError) == (
        "proposal.yaml:1: is not valid YAML: could not determine a constructor for the tag "
        "'tag:yaml.org,2002:python/object/apply:os.system'\n"
        "  fix: remove the tag: these files hold plain YAML only (no !!python or other tags)")
    assert raises("", FileFormatError) == "proposal.yaml: is empty\n  fix: write a diagram: name, types, boxes, wires"
    assert raises("- a\n- b\n", FileFormatError) == (
        "proposal.yaml:1: expected a mapping, got ['a', 'b']\n  fix: see diagram_json_schema() for the file format")
    assert raises("a:\n  b: " + "[" * 4_000_000, FileFormatError) == (
        "proposal.yaml:2: nests brackets more than 64 levels deep\n  fix: flatten the document")
    deep = "".join(" " * k + f"k{k}:\n" for k in range(70)) + " " * 70 + "x: 1\n"
    message = raises(deep, FileFormatError)
    assert message.startswith("proposal.yaml:64: k0.k1.k2.") and message.endswith(
        ".k62.k63: is nested more than 64 levels deep\n  fix: flatten the document")
    assert raises("- " * 1_000_000 + "x", FileFormatError) == ("proposal.yaml:1: " + "[0]" * 64 + ": is nested more "
                                                               "than 64 levels deep\n  fix: flatten the document")
    assert raises("a: \x1f", FileFormatError) == (
        "proposal.yaml:1: is not valid YAML: special characters are not allowed (character '\\x1f')\n"
        "  fix: remove the control character")


def test_alias_bombs_are_refused():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for k in range(1, 8):
        bomb += f"{chr(97 + k)}: &{chr(97 + k)} [" + ", ".join([f"*{chr(96 + k)}"] * 10) + "]\n"
    with pytest.raises(FileFormatError) as err:
        load_yaml(bomb, "bomb.yaml")
    assert str(err.value) == (
        "bomb.yaml:5: e[7]: the document holds more than 100,000 values by here (counting those repeated through "
        "aliases; the alias *d repeats 11,111 values)\n  fix: split it into several files, or write it without long "
        "chains of anchors and aliases (these are fixed safety limits: at most 100,000 values and 5,000,000 bytes a "
        "file)")


def test_large_kernels_are_refused_before_allocation():
    text = "name: big\ntypes: {T: [" + ", ".join(f"t{i}" for i in range(100)) + "]}\nboxes:\n  k:\n" \
           "    inputs: {a: T, b: T, c: T, d: T}\n    outputs: {e: T}\n    kernel: {}\n"
    assert raises(text, FileFormatError) == (
        "proposal.yaml:4: boxes.k: kernel: would have 10,000,000,000 entries (a: T of 100 × b: T of 100 × c: T of 100 "
        "× d: T of 100 × e: T of 100), more than the limit of 10,000,000\n"
        "  fix: use smaller types, or a library component that computes the kernel")


def test_files_too_large_or_missing(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * 100)
    with pytest.raises(FileFormatError) as err:
        read_text(big, max_bytes=50)
    assert str(err.value) == (f"{big}: is 100 bytes, 50 more than the limit of 50\n"
                              "  fix: split it into several files, or check that it is the file you meant (these are "
                              "fixed safety limits)")
    with pytest.raises(FileFormatError) as err:
        load_diagram(tmp_path / "nope.yaml")
    assert str(err.value) == f"{tmp_path / 'nope.yaml'}: does not exist\n  fix: check the path"
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"name: x\n\xff\n")
    with pytest.raises(FileFormatError) as err:
        load_diagram(bad)
    assert str(err.value) == f"{bad}:2: is not valid UTF-8 text\n  fix: save the file as UTF-8"


def test_errors_loading_from_a_path_name_the_path(tmp_path):
    path = tmp_path / "proposal.yaml"
    path.write_text(PROPOSAL.replace("recall}", "0.7}").replace("1 - recall", "0.3"))
    with pytest.raises(NotStochastic) as err:
        load_diagram(path)
    assert str(err.value).startswith(f"{path}:15: boxes.monitor.kernel: row (act=clean) sums to 0.9, not 1")


# ----- saving -----------------------------------------------------------------------------------------
def test_save_is_atomic_and_replaces_the_old_file(tmp_path):
    path = tmp_path / "d.yaml"
    path.write_text("old")
    save_diagram(rich(), path)
    assert path.read_text() == dump_diagram(rich())
    assert os.listdir(tmp_path) == ["d.yaml"]     # no temporary file left behind


def test_a_failed_save_keeps_the_old_file(tmp_path):
    path = tmp_path / "d.yaml"
    path.write_text("old")
    wd = rich()
    wd.add_box("blank", Box("blank", (), ()))
    with pytest.raises(FileFormatError) as err:
        save_diagram(wd, path)
    assert str(err.value) == ("box 'blank': has no kernel and no library component\n"
                              "  fix: give it a kernel (Box.of(kernel)) or a component")
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["d.yaml"]
    with pytest.raises(FileFormatError) as err:
        save_diagram(rich(), tmp_path / "missing" / "d.yaml")
    assert str(err.value).startswith(f"{tmp_path / 'missing' / 'd.yaml'}: cannot be written")


def test_what_cannot_be_saved():
    wd = WiringDiagram("w", outputs=[("a", Act)])
    wd.add_box("x", Kernel([1.0, 0.0], [], [("a", Act)], name="x"))
    wd.add_box("y", Kernel([1.0], [], [("a", FinSet("Act", ["other"]))], name="y"))
    with pytest.raises(TypeMismatch) as err:
        dump_diagram(wd)
    assert str(err.value) == ("type 'Act': names two different finite sets: Act{clean, attack} and Act{other}\n"
                              "  fix: give different types different names before saving")
    other = Parameter("recall", (0, 0.5))
    wd = WiringDiagram("w")
    wd.add_box("x", Kernel([recall.symbol, 1 - recall.symbol], [], [("a", Act)], params=[recall], name="x"))
    wd.add_box("y", Kernel([other.symbol, 1 - other.symbol], [], [("a", Act)], params=[other], name="y"))
    with pytest.raises(ParameterError) as err:
        dump_diagram(wd)
    assert str(err.value) == ("parameter 'recall': is declared twice with different domains or defaults\n"
                              "  fix: declare each parameter once, or rename one of them")

    class Stateful:
        name, dom, cod, state, instantaneous = "mem", (), (), Act, False
    wd = WiringDiagram("w")
    wd.add_box("mem", Stateful())
    with pytest.raises(FileFormatError) as err:
        dump_diagram(wd)
    assert str(err.value).startswith("box 'mem': is a stateful box without a library component")


def test_unused_declared_parameters_are_kept():
    k = Kernel([0.5, 0.5], [], [("a", Act)], params=[recall], name="k")
    wd = WiringDiagram("w", outputs=[("a", Act)])
    wd.add_box("k", k)
    wd.connect("k.a", "out.a")
    text = dump_diagram(wd)
    assert "    parameters: [recall]\n" in text
    assert parse_diagram(text)["k"].kernel.params == {"recall": recall}


def test_the_json_schema_describes_the_file():
    schema = diagram_json_schema()
    fields = {"name", "types", "parameters", "inputs", "outputs", "boxes", "wires", "version"}
    assert fields <= set(schema["properties"])
    box = schema["$defs"]["BoxModel"]["properties"]
    assert {"kernel", "component", "with", "diagram", "plumbing"} <= set(box)
    json.dumps(schema)


# ----- fuzzing: a mutated file loads or raises a markovwire error, nothing else ---------------------------
BASE = yaml.safe_load(dump_diagram(rich()))
BASE["boxes"]["audit"]["diagram"]["wires"].append({"from": "in.act", "to": "out.verdict"})   # both wire forms
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 10**12), st.floats(allow_nan=True),
                    st.text(max_size=12),
                    st.sampled_from(["Act", "x.y -> out.act", "in.a", "1 - beta", "Range(2)", "copy",
                                     "Vec(Act, 99999)", "beta**beta**beta", "__import__"]))


def paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from paths(v, prefix + (i,))


def mutate(data, path, how, value):
    import copy
    data = copy.deepcopy(data)
    if not path:
        return value if how != "delete" else {}
    parent = data
    for p in path[:-1]:
        parent = parent[p]
    key = path[-1]
    if how == "delete":
        del parent[key]
    elif how == "scalar":
        parent[key] = value
    elif how == "list":
        parent[key] = [parent[key], value]
    elif how == "dict":
        parent[key] = {"x": parent[key], str(value): value}
    elif how == "rename" and isinstance(parent, dict):
        parent[str(value)] = parent.pop(key)
    return data


ALL_PATHS = list(paths(BASE))


@settings(max_examples=100)
@given(st.lists(st.tuples(st.sampled_from(ALL_PATHS), st.sampled_from(["delete", "scalar", "list", "dict", "rename"]),
                          SCALARS), min_size=1, max_size=3))
def test_mutated_files_load_or_raise_a_markovwire_error(mutations):
    data = BASE
    for path, how, value in mutations:
        try:
            data = mutate(data, path, how, value)
        except (KeyError, IndexError, TypeError):
            continue
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    try:
        wd = parse_diagram(text, filename="fuzz.yaml")
    except MarkovwireError as err:
        assert str(err)
        return
    assert isinstance(wd, WiringDiagram)


@settings(max_examples=60)
@given(st.integers(0, 10**6), st.integers(0, 20), st.text(max_size=6))
def test_mangled_text_loads_or_raises_a_markovwire_error(at, cut, insert):
    text = dump_diagram(rich())
    at %= len(text)
    mangled = text[:at] + insert + text[at + cut:]
    try:
        parse_diagram(mangled, filename="fuzz.yaml")
    except MarkovwireError:
        pass


# ----- more located mistakes: parameter lists, type expressions, what cannot be written ---------------
def test_kernel_parameter_lists_are_checked():
    listed = fixed().replace("    kernel:\n      clean: {pass: 0.9", "    parameters: [recall, gamma]\n    kernel:\n"
                             "      clean: {pass: 0.9")
    assert raises(listed, ParameterError) == ("proposal.yaml:11: boxes.monitor: parameters: gamma not declared\n"
                                              "  fix: declare them under parameters: at the top of the file")
    unlisted = fixed().replace("    kernel:\n      clean: {pass: 0.9", "    parameters: []\n    kernel:\n"
                               "      clean: {pass: 0.9")
    assert raises(unlisted, ParameterError) == ("proposal.yaml:11: boxes.monitor: kernel: uses recall, not listed in "
                                                "parameters\n  fix: list every parameter the kernel uses")


@pytest.mark.parametrize("ref, what", [
    ("Range(1234567890)", "has a number too large (1234567890)"),
    ("Sigma(Act)", "Sigma is not a type family"),
    ("Vec(2, Act)", "gives Vec the wrong arguments"),
    ("Range(2", "has an unclosed '('"),
    ("Act$", "has an unexpected '$'"),
    ("Range(Range(2))", "gives Range the wrong arguments"),
    ("3", "is a number, not a type"),
    ("Act Verdict", "has an unexpected 'Verdict'"),
    ("", None),
])
def test_type_expressions_are_checked(ref, what):
    text = fixed().replace("outputs: {verdict: Verdict}\nboxes", f"outputs: {{verdict: '{ref}'}}\nboxes")
    if what is None:
        assert raises(text, FileFormatError) == ("proposal.yaml:8: outputs.verdict: String should have at least 1 "
                                                 "character\n  fix: see diagram_json_schema() for the file format")
        return
    assert raises(text, UnknownName) == (f"proposal.yaml:8: outputs.verdict: type '{ref}': {what}\n"
                                         "  fix: declare it under types:, or use Act, Verdict, Range(n), Vec(T, n), "
                                         "Product(A, B)")


def test_plumbing_with_a_signature_of_its_own_cannot_be_written():
    wd = WiringDiagram("w")
    wd.add_box("odd", Box("copy", Box.copy(Act).dom, Box.copy(Act, n=3).cod[:2] + (Box.copy(V).cod[0],),
                          plumbing=(0, 0, 0)))
    with pytest.raises(FileFormatError) as err:
        dump_diagram(wd)
    assert str(err.value) == ("box 'odd': is plumbing with a signature of its own, which files cannot hold\n"
                              "  fix: use Box.copy/discard/identity/swap/permute")
    from markovwire import TypeVar
    wd = WiringDiagram("w")
    wd.add_box("poly", Box("poly", (Port("x", TypeVar("A")),), (), kernel=Kernel([1.0, 1.0], [Act], [])))
    with pytest.raises(TypeMismatch) as err:
        dump_diagram(wd)
    assert str(err.value) == "type A: is a type variable\n  fix: only plumbing may have open types"


def test_more_file_level_refusals(tmp_path):
    with pytest.raises(FileFormatError) as err:
        read_text(tmp_path)
    assert str(err.value) == f"{tmp_path}: is a directory, not a file\n  fix: give the path of a YAML file"
    assert raises("? [1]\n: 2\n", FileFormatError) == ("proposal.yaml:1: a list or mapping is used as a key\n"
                                                       "  fix: use a string as the key")
    with pytest.raises(FileFormatError) as err:
        load_yaml("x" * 20, "long.yaml", max_bytes=10)
    assert str(err.value) == ("long.yaml: is 20 characters, 10 more than the limit of 10\n"
                              "  fix: split it into several files (these are fixed safety limits)")


def test_values_a_file_cannot_hold_are_refused_when_writing():
    wd = WiringDiagram("w", outputs=[("verdict", V)])
    wd.add_box("m", Box.of(MONITOR, component="trusted_monitor", args=(("types", Act),)))
    with pytest.raises(FileFormatError) as err:
        dump_diagram(wd)
    assert str(err.value).startswith("diagram 'w': holds a value YAML cannot write (")
    wd = WiringDiagram("w" * 300)
    with pytest.raises(FileFormatError) as err:
        dump_diagram(wd)
    assert str(err.value) == (f"diagram '{'w' * 300}', name: cannot be written: String should have at most 200 "
                              "characters\n  fix: see diagram_json_schema() for what a diagram file can hold")


def test_a_component_instance_may_be_renamed_in_the_file():
    wd = parse_diagram(with_component("    name: watcher\n"), resolve=resolver)
    assert wd["monitor"].name == "watcher" and wd["monitor"].component == "trusted_monitor"
    text = dump_diagram(wd)
    assert "  monitor:\n    name: watcher\n    component: trusted_monitor\n" in text
    assert parse_diagram(text, resolve=resolver)["monitor"].name == "watcher"
    assert raises(with_component("    doc: mine\n"), FileFormatError, resolve=resolver) == (
        "proposal.yaml:11: boxes.monitor: a component box does not take doc")
