"""Memory, cost and size guards (issue 11): questions too large for one machine are refused before they start.

Each case runs in a bounded child process (``limits``: timeout and address space) and must end with a
markovwire message naming the file and the entry, what is too large and by how much, and a fix the user can
apply from the command line (``--max-memory``, ``--max-cost``, ``--max-points``, ``--max-boxes``, ``--set``)
and from Python, or with the right answer. Smaller cases check the estimates against independent arithmetic.
"""
from __future__ import annotations

import itertools
import json
import math
import tracemalloc
from pathlib import Path

import limits
import numpy as np
import pytest
from limits import grid, grid_outputs

from markovwire import FinSet, Kernel, Net, cost_budget, set_cost_budget
from markovwire.contract import Program
from markovwire.errors import ContractionTooLarge, ParameterError, RenderError
from markovwire.library.shipped import proposals_dir
from markovwire.limits import (
    bytes_option,
    check_points,
    figure_limit,
    parse_bytes,
    set_figure_limit,
    set_sweep_limit,
    sweep_limit,
)

AND = {(0, 0): 0.1, (0, 1): 0.2, (1, 0): 0.3, (1, 1): 0.9}   # P(b = 1 | x, y) of noisy_and
COPY = {0: 0.1, 1: 0.8}                                    # P(b = 1 | x) of copy_bit


def coins(d: Path, n: int) -> Path:
    """``n`` independent fair coins, and the query that all show 1."""
    (d / "bits.yaml").write_text(limits.BITS)
    lines = ["name: coins", "libraries: [bits.yaml]", "instances:"]
    lines += [f"  c{i}: {{component: coin}}" for i in range(n)]
    lines += ["wiring:", "  outputs: {" + ", ".join(f"o{i}: Bit" for i in range(n)) + "}", "  wires:"]
    lines += [f"    - c{i}.b -> out.o{i}" for i in range(n)]
    lines += ["queries:", "  all_heads:", "    probability: {" + ", ".join(f"o{i}: '1'" for i in range(n)) + "}"]
    path = d / f"coins{n}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def grid_by_enumeration(k: int, event: int) -> float:
    """P(event) of :func:`grid` by summing over every assignment of the k*k bits (shares no code with markovwire)."""
    outs = grid_outputs(k, event)
    total = 0.0
    for bits in itertools.product((0, 1), repeat=k * k):
        b = lambda i, j: bits[i * k + j]
        if not all(b(i, j) for i, j in outs):
            continue
        p = 0.5
        for i, j in itertools.product(range(k), range(k)):
            if i == j == 0:
                continue
            one = COPY[b(i, j - 1)] if i == 0 else COPY[b(i - 1, j)] if j == 0 else AND[(b(i - 1, j), b(i, j - 1))]
            p *= one if b(i, j) else 1 - one
        total += p
    return total


def refused(r, *texts: str) -> None:
    """The child ended cleanly, with exit 1 and a message holding every text."""
    assert r.clean and r.returncode == 1, r
    for t in texts:
        assert t in r.stderr, (t, r.stderr)


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


# ----- 1. total live memory ------------------------------------------------------------------
def test_an_event_on_27_independent_outputs_is_refused_before_the_1_gib_joint(tmp_path):
    path = coins(tmp_path, 27)
    r = limits.run_cli(["eval", str(path)])
    refused(r, f"{path}:{line_of(path, 'all_heads:')}: queries.all_heads: contraction: needs 3.0 GiB at once "
               "(its largest array, over the wires",
            "… (27 wires), is 1.0 GiB), more than the memory budget of 2.0 GiB",
            "fix: raise the budget: --max-memory 4GiB on the command line, or markovwire.set_memory_budget(",
            ") in Python")


def test_40_outputs_name_the_file_the_query_and_the_cli_option(tmp_path):
    path = coins(tmp_path, 40)
    r = limits.run_cli(["eval", str(path), "--json"])
    assert r.clean and r.returncode == 1, r
    err = json.loads(r.stdout)["error"]
    assert (err["type"], err["file"], err["keys"]) == ("ContractionTooLarge", str(path), ["queries", "all_heads"])
    assert "needs 24.0 TiB at once" in err["what"] and "--max-memory 25TiB" in err["fix"]


def test_raising_the_budget_from_the_command_line_lets_the_question_through(tmp_path):
    path = coins(tmp_path, 20)
    r = limits.run_cli(["--max-memory", "1MiB", "eval", str(path)])
    refused(r, "more than the memory budget of 1.0 MiB", "--max-memory 25MiB")
    r = limits.run_cli(["eval", str(path), "--max-memory", "25MiB", "--json"])
    assert r.returncode == 0, r
    assert json.loads(r.stdout)["queries"]["all_heads"] == pytest.approx(0.5**20)


def test_the_peak_counts_intermediates_alive_together_not_only_the_largest(budget):
    # two products of 1000 x 1000 are made before they meet: each is 7.6 MiB, both together 15.3 MiB
    ops = [(0, 1), (1, 2), (3, 4), (4, 5), (2, 5)]
    sizes = {0: 1000, 1: 2, 2: 1000, 3: 1000, 4: 2, 5: 1000}
    prog = Program(ops, (0, 3), sizes, strategy="greedy")
    held = sum(math.prod(sizes[i] for i in op) for op in ops)
    assert prog.largest[0] == 1000 * 1000 * 8
    assert prog.peak >= (held + 2 * 1000 * 1000) * 8 > 2 * prog.largest[0]
    budget(prog.peak - 1)
    with pytest.raises(ContractionTooLarge, match="at once"):
        Program(ops, (0, 3), sizes, strategy="greedy")


def test_lowering_the_budget_after_planning_still_refuses(budget):
    A = FinSet("A", range(300))
    net = Net()
    net.add_box("a", Kernel(np.full(300, 1 / 300), [], [A]), [], ["x"])
    net.add_box("b", Kernel(np.full(300, 1 / 300), [], [A]), [], ["y"])
    net.set_outputs("x", "y")
    assert net.evaluate().array.shape == (300, 300)   # planned and cached
    budget(10_000)
    with pytest.raises(ContractionTooLarge, match="more than the memory budget of 9.8 KiB"):
        net.evaluate()


def test_numpy_out_of_memory_becomes_the_budgets_error():
    # the budget is raised past what the child may allocate (1.5 GiB of address space): numpy fails, the user
    # gets a markovwire error saying to lower the budget, and no traceback
    r = limits.run_python("""
        import numpy as np, markovwire
        from markovwire import FinSet, Kernel, Net
        markovwire.set_memory_budget(2**40)
        markovwire.set_cost_budget(float("inf"))
        A = FinSet("A", range(20000))      # the joint of x and y: 3.0 GiB
        net = Net()
        net.add_box("a", Kernel(np.full(20000, 1 / 20000), [], [A]), [], ["x"])
        net.add_box("b", Kernel(np.full(20000, 1 / 20000), [], [A]), [], ["y"])
        net.set_outputs("x", "y")
        try:
            net.evaluate()
        except markovwire.ContractionTooLarge as e:
            print(e)
    """, address_space=int(1.5 * 1024**3))
    assert r.clean and r.returncode == 0, r
    assert "contraction: ran out of memory (planned to need" in r.stdout
    assert "lower the budget to what the machine has free (--max-memory" in r.stdout


# ----- 2. contraction cost -------------------------------------------------------------------
def test_a_12_by_12_grid_asked_about_24_bits_is_refused_with_its_cost(tmp_path):
    path = grid(tmp_path, 12, 24)
    r = limits.run_cli(["eval", str(path)])
    refused(r, f"{path}:{line_of(path, 'corner:')}: queries.corner: contraction: needs 9.66e+09 operations, "
               "9.66x the cost budget of 1e+09",
            "fix: raise the budget: --max-cost 9.7e+09 on the command line, or markovwire.set_cost_budget(9.7e+09) "
            "in Python")


def test_a_small_grid_within_the_budget_gives_the_enumerated_answer(tmp_path, cost):
    from markovwire.library.proposal import load_proposal

    path = grid(tmp_path, 3, 4)
    got = load_proposal(path).evaluate()["corner"]
    assert got == pytest.approx(grid_by_enumeration(3, 4), abs=1e-12)
    cost(10.0)
    with pytest.raises(ContractionTooLarge) as e:
        load_proposal(path).evaluate()
    assert (Path(e.value.file).resolve(), e.value.keys) == (path.resolve(), ("queries", "corner"))
    assert "--max-cost" in e.value.fix and "markovwire.set_cost_budget(" in e.value.fix


def test_every_shipped_proposal_is_within_the_default_budgets():
    from markovwire.library.proposal import load_proposal

    assert cost_budget() == 1e9
    for f in sorted(proposals_dir().glob("*.yaml")):
        p = load_proposal(f)
        p.evaluate(queries=list(p.queries))
        plans = [v.program for k, v in p.net()._plans.items() if k != "operands"]
        assert all(prog.work < 1e8 for prog in plans), f


def test_the_cost_budget_is_set_and_restored_from_python():
    old = set_cost_budget(5.0)
    try:
        # 4 multiply-adds, and 2 + 4 x 2 + 2 entries times their axes moved
        with pytest.raises(ContractionTooLarge, match="needs 16 operations, 3.2x the cost budget of 5"):
            Program([(0,), (0, 1)], (1,), {0: 2, 1: 2})
    finally:
        assert set_cost_budget(old) == 5.0


# ----- 3. sweep sizes ----------------------------------------------------------------------------
TM = str(proposals_dir() / "trusted_monitoring.yaml")


def test_two_sweeps_of_100000_points_from_the_command_line_are_refused():
    r = limits.run_cli(["eval", TM, "--sweep", "beta=0:0.1:100000", "--sweep", "a=0:0.1:100000"])
    refused(r, "error: --sweep: the sweep has beta 100,000 x a 100,000 = 10,000,000,000 points, more than the "
               "limit of 1,000,000",
            "fix: sweep fewer points (a smaller COUNT, or one parameter at a time), or raise the limit: --max-points "
            "1e+10 on the command line, or markovwire.set_sweep_limit(10000000000) in Python")


def test_the_files_sweeps_are_refused_at_their_line(tmp_path):
    text = Path(TM).read_text().replace(
        "  - {parameter: beta, start: 0.0, stop: 0.05, count: 26}\n",
        "  - {parameter: beta, start: 0, stop: 0.1, count: 100000}\n"
        "  - {parameter: a, start: 0, stop: 0.1, count: 100000}\n")
    path = tmp_path / "tm.yaml"
    path.write_text(text)
    r = limits.run_cli(["eval", str(path)])
    refused(r, f"{path}:{line_of(path, 'sweeps:')}: sweeps: the sweep has beta 100,000 x a 100,000", "--max-points")


def test_an_adversarys_grid_of_100000_over_two_parameters_is_refused_at_its_entry(tmp_path):
    text = (proposals_dir() / "budgeted_monitoring.yaml").read_text()
    text = text.replace("    grid: 201", "    grid: 100000").replace("    over: [beta]", "    over: [beta, f]")
    text = text.replace("    bounds: {beta: [0, 0.2]}", "    bounds: {beta: [0, 0.2], f: [0, 0.1]}")
    path = tmp_path / "adv.yaml"
    path.write_text(text)
    r = limits.run_cli(["eval", str(path), "--point", "-q", "worst_safety"])
    refused(r, f"{path}:{line_of(path, 'worst_safety:')}: adversary.worst_safety: search grid: the search grid has "
               "beta 100,000 x f 100,000 = 10,000,000,000 points",
            "fix: give a smaller grid: (e.g. grid: 201), or raise the limit: --max-points 1e+10")


def test_swept_values_from_python_and_net_sweep_are_capped():
    from markovwire.library.proposal import load_proposal

    old = set_sweep_limit(10)
    try:
        with pytest.raises(ParameterError, match="beta 11 = 11 points, more than the limit of 10"):
            load_proposal(TM).evaluate({"beta": np.linspace(0, 0.1, 11)})
        B = FinSet("B", ["0", "1"])
        net = Net.from_kernel(Kernel([0.5, 0.5], [], [B]))
        with pytest.raises(ParameterError, match="u 2 x v 4 x w 3 = 24 points"):
            net.sweep({"u": [0.1, 0.2], "v": [1, 2, 3, 4], "w": [1, 2, 3]})
    finally:
        assert set_sweep_limit(old) == 10
    assert check_points({"a": 1000, "b": 1000}, "sweep") == sweep_limit() == 1_000_000


def test_a_long_sweep_prints_its_ends_and_json_has_every_row():
    r = limits.run_cli(["eval", TM, "--sweep", "beta=0:0.1:1000", "-q", "safety"])
    assert r.clean and r.returncode == 0, r
    assert "1,000 points: the first and last 100 are shown; --json prints every row" in r.stdout
    assert r.stdout.count("\n") < 400
    r = limits.run_cli(["eval", TM, "--sweep", "beta=0:0.1:1000", "-q", "safety", "--json"])
    assert r.clean and r.returncode == 0, r
    assert len(json.loads(r.stdout)["queries"]["safety"]) == 1000


# ----- 4. structural parameters --------------------------------------------------------------------
BM = proposals_dir() / "budgeted_monitoring.yaml"


def test_an_in_domain_budget_of_100000_is_refused_before_its_step_kernel_is_built():
    r = limits.run_cli(["eval", str(BM), "--point", "--set", "B=100000", "-q", "p_caught"])
    # past the library files' entry cap, which a larger memory budget would not lift: the fix is B, not --max-memory
    refused(r, f"budgeted_monitoring.yaml:{line_of(BM, 'episode: {component: budgeted_episode}')}: instances.episode: ",
            "library/shipped/alignment.yaml:",
            "components.budgeted_episode.kernel: would have 180,010,800,162 entries (state: Ep of 100,003 × audit: "
            "AuditOut of 3 × answer: Answer of 3 × state: Ep of 100,003 × budget: Budget of 2), more than the limit of "
            "10,000,000",
            "fix: give smaller values to B = 100000 (in the file, or with --set on the command line)")
    assert "--max-memory" not in r.stderr


def test_disintegrate_allocates_one_array_of_the_steps_size():
    from markovwire.diagrams.stateful import _disintegrate

    S, X, Y = FinSet("S", range(60)), FinSet("X", range(5)), FinSet("Y", range(4))
    rng = np.random.default_rng(0)
    arr = rng.random((60, 5, 60, 4))
    arr[:, :, :, 0] = 0.0              # an output of probability zero: the update is uniform there
    arr /= arr.sum(axis=(2, 3), keepdims=True)
    step = Kernel(arr, [("s", S), ("x", X)], [("s", S), ("y", Y)], name="step")
    tracemalloc.start()
    readout, update = _disintegrate(step)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 1.3 * arr.nbytes      # was three arrays of the step's size
    R = arr.sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        want = np.where(R[..., None] > 0, np.moveaxis(arr, 2, -1) / R[..., None], 1 / 60)
    assert np.allclose(update.array, want)


# ----- 5. rendering size -------------------------------------------------------------------
def test_a_figure_of_more_boxes_than_the_limit_is_refused_but_dot_is_written(tmp_path):
    path = limits.chain(tmp_path, 8)
    r = limits.run_cli(["render", str(path), "-o", str(tmp_path / "f.svg"), "--max-boxes", "5"])
    refused(r, f"error: {path}: figure of 'chain': has 8 boxes, more than the 5 a figure lays out",
            "fix: write DOT instead (-o figure.dot, no layout), draw fewer levels (depth=0 in Python), or raise the "
            "limit: --max-boxes 8 on the command line, or markovwire.set_figure_limit(8) in Python")
    assert not (tmp_path / "f.svg").exists()
    r = limits.run_cli(["--max-boxes", "5", "render", str(path), "-o", str(tmp_path / "f.dot")])
    assert r.clean and r.returncode == 0 and (tmp_path / "f.dot").read_text().startswith("digraph"), r


def test_render_in_python_refuses_past_the_figure_limit():
    from markovwire.diagrams.render import render

    B = FinSet("B", ["0", "1"])
    net = Net()
    net.add_box("b0", Kernel([0.5, 0.5], [], [B]), [], ["w0"])
    for i in range(1, figure_limit() + 1):
        net.add_box(f"b{i}", Kernel(np.eye(2), [B], [B]), [f"w{i - 1}"], [f"w{i}"])
    with pytest.raises(RenderError, match=f"has {figure_limit() + 1:,} boxes"):
        render(net, "svg")
    assert render(net, "dot").startswith("digraph")
    old = set_figure_limit(3)
    try:
        with pytest.raises(RenderError, match="more than the 3 a figure lays out"):
            render(net, "png")
    finally:
        set_figure_limit(old)


# ----- the options themselves ------------------------------------------------------------------
def test_memory_sizes_as_the_command_line_takes_them():
    assert parse_bytes("8GiB") == 8 * 1024**3 and parse_bytes("512MB") == 512 * 10**6
    assert parse_bytes("2e9") == 2 * 10**9 and parse_bytes("1.5k") == 1536
    assert [bytes_option(b) for b in (3 * 1024**3 + 1, 1024**2, 5000)] == ["4GiB", "1MiB", "5KiB"]
    with pytest.raises(ParameterError, match="'lots' is not a memory size"):
        parse_bytes("lots")


@pytest.mark.parametrize("args", [["--max-memory", "lots"], ["--max-cost", "x"], ["--max-points", "-3"]])
def test_a_bad_limit_is_a_usage_error(args):
    r = limits.run_cli([*args, "eval", TM, "--point"])
    assert r.clean and r.returncode == 2 and f"Invalid value for '{args[0]}'" in r.stderr, r


# ----- a network like munin1 (pgmpy's; 1,041 wires of up to 21 states): single queries ---------------------
MUNIN_LIKE = """
import numpy as np, markovwire
from markovwire import FinSet, Kernel, Net
rng = np.random.default_rng(0)
net, types = Net(), []
for i in range(70):
    k = int(rng.integers(2, 22))
    t = FinSet(f"V{i}", [str(j) for j in range(k)]); types.append(t)
    parents = sorted(rng.choice(i, size=min(i, int(rng.integers(0, 4))), replace=False).tolist()) if i else []
    arr = rng.random([len(types[p]) for p in parents] + [k]); arr /= arr.sum(-1, keepdims=True)
    net.add_box(f"v{i}", Kernel(arr, [(f"p{j}", types[p]) for j, p in enumerate(parents)], [("x", t)]),
                [f"w{p}" for p in parents], [f"w{i}"])
"""


@pytest.mark.parametrize("budget, says", [
    (None, "more than the memory budget of 2.0 GiB"),
    ("64 * 2**30", "ran out of memory (planned to need"),     # raised past the machine: numpy fails
])
def test_a_joint_query_on_a_munin_like_network_too_large_to_hold_ends_in_a_markovwire_error(budget, says):
    """Pruning answers a single wire's law from its ancestors alone, and slicing bounds every intermediate, but a
    joint law of the widest wires, 3 to 16 GiB as one array, cannot be sliced away: it is the answer."""
    raised = f"markovwire.set_memory_budget({budget}); markovwire.set_cost_budget(float('inf'))\n"
    code = MUNIN_LIKE + (raised if budget else "") + """
widest, nbytes = [], 8
for i in sorted(range(70), key=lambda i: -len(types[i])):    # the widest wires until their joint passes 3 GiB
    if nbytes > 3 * 2**30:
        break
    widest.append(i); nbytes *= len(types[i])
print(3 * 2**30 < nbytes < 16 * 2**30)
try:
    net.evaluate(outputs=[f"w{i}" for i in widest])
except markovwire.ContractionTooLarge as e:
    print(e)
"""
    r = limits.run_python(code)
    assert r.clean and r.returncode == 0, r
    assert r.stdout.startswith("True") and says in r.stdout and "--max-memory" in r.stdout, r


def test_an_episode_whose_transition_matrix_would_not_fit_is_refused_when_it_is_made():
    from markovwire.episode import Episode

    T = FinSet("T", range(20000))
    step = Net()
    step.add_wire("a.state", T)
    step.add_wire("a.state'", T)
    step.set_inputs("a.state")
    step.set_outputs("a.state'")
    with pytest.raises(ContractionTooLarge) as e:
        Episode(step, [Kernel.point([T], "0")], 2)
    assert str(e.value).startswith("episode 'episode': needs 3.0 GiB at once for its transition matrix over "
                                   "20,000 = 20,000 joint states, more than the memory budget of 2.0 GiB")
    assert "--max-memory 3GiB" in e.value.fix


def test_a_proposal_of_4000_boxes_loads_and_its_figure_is_refused_at_once(tmp_path):
    """Loading is linear in the boxes (kernels built once per signature, wires checked against a set): the
    figure's refusal comes after seconds, not the minutes a 4,000-box proposal took to load and lay out."""
    limits.write(tmp_path, "chainlib.yaml", """\
        version: "1"
        name: chainlib
        types: {A: [x, y]}
        components:
          step:
            inputs: {a: A}
            outputs: {b: A}
            kernel: {table: {x: {x: 0.9, y: 0.1}, y: {x: 0.2, y: 0.8}}}
        """)
    n = 4000
    lines = ["name: chain", "libraries: [chainlib.yaml]", "instances:"]
    lines += [f"  s{i}: {{component: step}}" for i in range(n)]
    lines += ["wiring:", "  inputs: {a: A}", "  outputs: {b: A}", "  wires:", "    - in.a -> s0.a"]
    lines += [f"    - s{i}.b -> s{i + 1}.a" for i in range(n - 1)] + [f"    - s{n - 1}.b -> out.b"]
    path = tmp_path / "chain.yaml"
    path.write_text("\n".join(lines) + "\n")
    r = limits.run_cli(["render", str(path), "-o", str(tmp_path / "f.svg")])
    assert r.clean and r.returncode == 1, str(r)
    assert "has 4,000 boxes, more than the 500 a figure lays out" in r.stderr and "--max-boxes 4000" in r.stderr
