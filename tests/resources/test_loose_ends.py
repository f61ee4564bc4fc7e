"""Loose ends of the hostile-input work (issue #11): each case ends in a right answer or a placed markovwire error.

1. a sweep of a parameter only a query's value table uses; 2. mismatch messages between two types of one
name; 3. a box with 40 parents; 4. unreadable library directories; 5. two library files of one name;
6. a table that leaves [0, 1] inside its declared domain, refused when it is checked.
"""
from __future__ import annotations

import json
from pathlib import Path

import limits
import numpy as np
import pytest

from markovwire import FinSet, Kernel, Net, Parameter
from markovwire.analysis.query import Query
from markovwire.errors import MarkovwireError, NotStochastic, TypeMismatch
from markovwire.library import load_proposal
from markovwire.library.loader import load_library_text


def _tm() -> str:
    from markovwire.library import shipped_proposals
    return str(next(p for p in shipped_proposals() if p.stem == "trusted_monitoring"))


# ----- 1. a parameter only a query's table uses, swept ----------------------------------------------------
COIN_LIB = """\
name: coins
version: "1"
types:
  Side: [heads, tails]
parameters:
  p: {domain: [0, 1], default: 0.3}
components:
  coin:
    outputs: {side: Side}
    parameters: [p]
    kernel: {table: {heads: p, tails: "1 - p"}}
"""
COIN = """\
name: bet
libraries: [coins.yaml]
parameters:
  w: {domain: [0, 10], default: 1}
instances:
  c: {component: coin}
wiring:
  outputs: {side: Side}
  wires:
    - c.side -> out.side
queries:
  payoff:
    expectation:
      of: [side]
      values: {heads: "w", tails: "1 - w"}
"""


def test_the_reported_sweep_of_u_T_gives_the_numbers_of_set_at_each_point():
    r = limits.run_cli(["eval", _tm(), "--sweep", "u_T=0:0.4:5", "--set", "u_U=0.5", "-q", "usefulness", "--json"])
    assert r.clean and r.returncode == 0, r
    swept = json.loads(r.stdout)["queries"]["usefulness"]
    p = load_proposal(_tm())
    for u, v in zip(np.linspace(0, 0.4, 5), swept):
        assert v == pytest.approx(p.value("usefulness", {"u_T": float(u), "u_U": 0.5}))
    assert swept == pytest.approx([1.0] * 5)   # honest U is correct with probability u_U: scaled usefulness 1
    r = limits.run_cli(["eval", _tm(), "--sweep", "u_T=0:0.4:5", "--set", "u_U=0.5", "-q", "usefulness"])
    assert r.clean and r.returncode == 0 and "ValueError" not in r.stderr, r


def test_a_swept_table_parameter_agrees_on_every_surface(tmp_path):
    (tmp_path / "coins.yaml").write_text(COIN_LIB)
    path = limits.write(tmp_path, "bet.yaml", COIN)
    expected = [0.7, 0.3, -0.1, -0.5, -0.9]   # E = p*w + (1-p)*(1-w) = 0.7 - 0.4*w at w = 0 ... 4, by hand
    p = load_proposal(path)
    assert p.evaluate({"w": np.linspace(0, 4, 5)}, ["payoff"])["payoff"] == pytest.approx(expected)
    assert [p.value("payoff", {"w": float(w)}) for w in np.linspace(0, 4, 5)] == pytest.approx(expected)
    both = p.evaluate({"w": np.linspace(0, 4, 5), "p": np.full(5, 0.3)}, ["payoff"])["payoff"]  # net swept too
    assert both == pytest.approx(expected)
    r = limits.run_cli(["eval", str(path), "--sweep", "w=0:4:5", "--json"])
    assert r.clean and r.returncode == 0, r
    assert json.loads(r.stdout)["queries"]["payoff"] == pytest.approx(expected)
    r = limits.run_cli(["eval", str(path), "--sweep", "w=0:4:5"])
    assert r.clean and r.returncode == 0, r
    assert "-0.9" in r.stdout and "0.7" in r.stdout


def test_a_swept_table_on_a_net_with_a_free_outer_input():
    B = FinSet("B", ["0", "1"])
    net = Net()
    net.add_box("flip", Kernel([[0.9, 0.1], [0.2, 0.8]], [("x", B)], [("y", B)]), ["x"], ["y"])
    net.inputs = ["x"]
    net.set_outputs("y")
    w = Parameter("w", (0, 5), default=1.0)
    q = Query.expectation("y", {"0": w.symbol, "1": 1 - w.symbol}, params=[w])
    grid = np.array([0.0, 1.0, 2.5])
    out = np.asarray(q.value(net, {"w": grid}))
    assert out.shape == (3, 2)                          # sweep axis, then the outer input's
    for i, v in enumerate(grid):
        assert out[i] == pytest.approx(q.value(net, {"w": float(v)}))
        assert out[i] == pytest.approx([0.9 * v + 0.1 * (1 - v), 0.2 * v + 0.8 * (1 - v)])


# ----- 2. two types of one name ----------------------------------------------------------------------------
MINE = """\
name: mine
version: "1"
types:
  Act: [x, y, z]
components:
  judge:
    inputs: {act: Act}
    outputs: {v: Act}
    kernel: {function: {_: z}}
"""
CLASH = """\
name: clash
libraries: [alignment, mine.yaml]
instances:
  policy: {component: untrusted_policy}
  judge: {component: judge}
wiring:
  inputs: {intent: alignment.Intent}
  outputs: {v: mine.Act}
  wires:
    - in.intent -> policy.intent
    - policy.act -> judge.act
    - judge.v -> out.v
"""


def test_kernels_and_nets_name_two_types_of_one_name_apart():
    a, b = FinSet("Act", ["clean", "attack"]), FinSet("Act", ["x", "y"])
    with pytest.raises(TypeMismatch) as e:
        Kernel([0.5, 0.5], [], [a]) >> Kernel([[1, 0], [0, 1]], [b], [b])
    assert "Act{clean, attack} does not match Act{x, y}" in str(e.value)
    left, right = Net.from_kernel(Kernel([0.5, 0.5], [], [a])), Net.from_kernel(Kernel([[1, 0], [0, 1]], [b], [b]))
    with pytest.raises(TypeMismatch) as e:
        left >> right
    assert "Act{clean, attack} does not match Act{x, y}" in str(e.value)
    net = Net()
    net.add_wire("w", a)
    with pytest.raises(TypeMismatch) as e:
        net.add_wire("w", b)
    assert "already has type Act{clean, attack}, not Act{x, y}" in str(e.value)


def test_library_types_of_one_name_are_shown_qualified_in_python_a_file_and_the_ui(tmp_path):
    (tmp_path / "mine.yaml").write_text(MINE)
    path = limits.write(tmp_path, "clash.yaml", CLASH)
    with pytest.raises(MarkovwireError) as e:
        load_proposal(path)
    text = str(e.value)
    assert "alignment.Act" in text and "mine.Act" in text and "Act does not match Act" not in text
    # the same two components composed in Python
    from markovwire.library import load_library
    from markovwire.library.loader import in_scope
    alignment, mine = in_scope([load_library("alignment"), load_library(tmp_path / "mine.yaml")])
    policy = alignment.component("untrusted_policy").instantiate("policy")
    judge = mine.component("judge").instantiate("judge")
    act = next(p for p in policy.kernel.cod if p.name == "act")
    with pytest.raises(TypeMismatch) as e:
        Kernel(np.full(len(act.type), 1 / len(act.type)), [], [act]) >> judge.kernel
    assert "alignment.Act does not match mine.Act" in str(e.value)
    # the UI's document, the same two boxes not yet wired
    from markovwire.tui.document import Document
    doc = Document.open(limits.write(tmp_path, "draft.yaml", CLASH.replace("    - policy.act -> judge.act\n", "")))
    with pytest.raises(TypeMismatch) as e:
        doc.connect("policy.act", "judge.act")
    assert "alignment.Act does not match mine.Act" in str(e.value) and e.value.port == "act"


# ----- 3. a box with 40 parents ----------------------------------------------------------------------------
def _wide(tmp_path, n: int = 40):
    nest = "{_: " * n + "{0: 0.5, 1: 0.5}" + "}" * n
    limits.write(tmp_path, "wide.yaml", f"""\
        name: wide
        version: "1"
        types:
          Bit: [0, 1]
        components:
          coin:
            outputs: {{b: Bit}}
            kernel: {{table: {{0: 0.5, 1: 0.5}}}}
          gate:
            inputs: {{{", ".join(f"x{i}: Bit" for i in range(n))}}}
            outputs: {{y: Bit}}
            kernel:
              table: {nest}
        """)
    text = ("name: wideprop\nlibraries: [wide.yaml]\ninstances:\n"
            + "".join(f"  c{i}: {{component: coin}}\n" for i in range(n)) + "  g: {component: gate}\n"
            + "wiring:\n  outputs: {y: Bit}\n  wires:\n" + "".join(f"    - c{i}.b -> g.x{i}\n" for i in range(n))
            + "    - g.y -> out.y\nqueries:\n  q: {probability: {y: '1'}}\n")
    return limits.write(tmp_path, "prop.yaml", text)


def test_a_box_with_40_parents_is_refused_by_the_entry_cap_before_allocation(tmp_path):
    prop = _wide(tmp_path)
    r = limits.run_cli(["eval", str(prop)], address_space=2 * 1024**3)
    assert r.clean and r.returncode == 1, r
    assert f"{prop}:44: instances.g: {tmp_path / 'wide.yaml'}:12: components.gate.kernel: would have " \
           "2,199,023,255,552 entries (x0: Bit of 2 × " in r.stderr, r
    assert "× ... (41 ports)), more than the limit of 10,000,000" in r.stderr
    assert "fix: use smaller types for its ports, or fewer ports (split a box with many inputs" in r.stderr
    assert "--max-memory" not in r.stderr          # a larger budget would not lift the cap


# ----- 4. library directories that cannot be read ----------------------------------------------------------
def test_a_900_character_library_directory_is_a_problem_not_a_traceback(tmp_path):
    (tmp_path / "coins.yaml").write_text(COIN_LIB)
    long = "/tmp/" + "d" * 900
    env = {"MARKOVWIRE_LIBRARY_PATH": f"{long}:{tmp_path}"}
    r = limits.run_cli(["library", "list", "--json"], env=env)
    assert r.clean and r.returncode == 0, r
    data = json.loads(r.stdout)
    assert any(c["library"] == "coins" for c in data["components"])          # kept going
    assert any("cannot be opened: File name too long (the path is 905 characters)" in p
               and "MARKOVWIRE_LIBRARY_PATH" in p for p in data["problems"]), data["problems"]
    assert "skipped a library directory" in r.stderr and "fix: fix or remove this entry" in r.stderr
    r = limits.run_cli(["library", "list"], env=env)
    assert r.clean and r.returncode == 0 and r.stderr.count("skipped a library directory") == 1, r


def test_an_unreadable_library_directory_is_reported(tmp_path, monkeypatch):
    from markovwire.library import discovery
    (tmp_path / "coins.yaml").write_text(COIN_LIB)
    locked = tmp_path / "locked"
    locked.mkdir()
    real = discovery.os.scandir

    def scandir(path):
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)
    monkeypatch.setattr(discovery.os, "scandir", scandir)
    monkeypatch.setenv("MARKOVWIRE_LIBRARY_PATH", f"{locked}:{tmp_path}")
    assert "coins" in discovery.available_libraries()
    problems = [str(p) for p in discovery.library_problems()]
    assert f"library directory '{locked}' (in MARKOVWIRE_LIBRARY_PATH): cannot be read: Permission denied" \
        in problems[0]


# ----- 5. two library files of one name --------------------------------------------------------------------
def test_two_files_of_one_library_name_are_refused_with_both_paths(tmp_path):
    for d, elements in (("a", "[x, y]"), ("b", "[x, y, z]")):
        (tmp_path / d).mkdir()
        (tmp_path / d / "mine.yaml").write_text(MINE.replace("[x, y, z]", elements))
    text = CLASH.replace("[alignment, mine.yaml]", "[a/mine.yaml, b/mine.yaml]").replace(
        "policy: {component: untrusted_policy}\n", "").replace("    - in.intent -> policy.intent\n", "")
    path = limits.write(tmp_path, "two.yaml", text)
    r = limits.run_cli(["check", str(path)])
    assert r.clean and r.returncode == 1, r
    assert (f"{path}:2: libraries[1]: library 'mine' of {tmp_path / 'b' / 'mine.yaml'}:1 has the name of another "
            f"file this proposal uses, {tmp_path / 'a' / 'mine.yaml'}:1") in r.stdout + r.stderr, r
    assert "fix: rename one of them (its 'name:' line, e.g. name: mine_2), or use only one" in r.stdout + r.stderr


def test_the_same_library_file_named_twice_is_loaded_once(tmp_path):
    (tmp_path / "coins.yaml").write_text(COIN_LIB)
    path = limits.write(tmp_path, "bet.yaml", COIN.replace("[coins.yaml]", "[coins.yaml, ./coins.yaml]"))
    p = load_proposal(path)
    assert [lib.name for lib in p.libraries] == ["coins"]
    assert p.value("payoff") == pytest.approx(0.3)


# ----- 6. a table that leaves [0, 1] inside its declared domain --------------------------------------------
NEG = """\
name: neg
version: "1"
types:
  Verdict: [pass, flag]
parameters:
  fpr: {domain: [0, 1], default: 0.1}
components:
  monitor:
    outputs: {v: Verdict}
    parameters: [fpr]
    kernel:
      table: {flag: "2*fpr", pass: "1 - 2*fpr"}
"""


def test_check_refuses_a_table_negative_inside_its_domain(tmp_path):
    lib = limits.write(tmp_path, "neg.yaml", NEG)
    r = limits.run_cli(["check", str(lib)])
    assert r.clean and r.returncode == 1, r
    assert (f"{lib}:12: components.monitor.kernel.table: kernel 'neg.monitor', the distribution at fpr=1: has "
            "negative entry -1 at output v=pass (fpr=1 is inside the declared domain)") in r.stderr, r
    assert "fix: restrict fpr's domain to [0, 0.5] in parameters:" in r.stderr
    fixed = limits.write(tmp_path, "ok.yaml", NEG.replace("domain: [0, 1]", "domain: [0, 0.5]"))
    r = limits.run_cli(["check", str(fixed)])
    assert r.clean and r.returncode == 0, r


@pytest.mark.parametrize("entry, why", [
    ('{flag: "fpr/(fpr + fpr**2)", pass: "1 - fpr/(fpr + fpr**2)"}', "is undefined"),
    ('{flag: "1.5*fpr", pass: "1 - 1.5*fpr"}', "has negative entry"),
])
def test_undefined_or_out_of_range_entries_are_refused_when_loaded(entry, why):
    text = NEG.replace('{flag: "2*fpr", pass: "1 - 2*fpr"}', entry)
    with pytest.raises(NotStochastic) as e:
        load_library_text(text, "neg.yaml").check()
    assert why in str(e.value) and "inside the declared domain" in str(e.value) and e.value.line == 12


def test_a_table_valid_on_its_whole_domain_passes():
    p = Parameter("p", (0, 1), default=0.5)
    V = FinSet("V", ["a", "b"])
    k = Kernel([p.symbol**2, 1 - p.symbol**2], [], [V], params=[p])
    assert k.subs({"p": 0.5}).array == pytest.approx([0.25, 0.75])
    with pytest.raises(NotStochastic, match=r"p=1 is inside the declared domain"):
        Kernel([2 * p.symbol, 1 - 2 * p.symbol], [], [V], params=[p])
