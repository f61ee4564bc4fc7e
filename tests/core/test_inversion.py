"""Bayesian inversion and disintegration: the laws as properties, the zero-probability rows, the errors.

Random kernels and priors have Dirichlet rows with some entries zero (``strategies.stochastic``), so labels of
probability zero occur often. Every expected number is computed here by plain loops over the labels, sharing
no code with :mod:`markovwire.inversion`.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import sympy
from hypothesis import given, settings, strategies as st

from markovwire import (
    FinSet,
    Kernel,
    NotStochastic,
    Parameter,
    ParameterError,
    ShapeError,
    TypeMismatch,
    UnknownName,
    copy,
    disintegrate,
    identity,
    invert,
    swap,
)
from markovwire.inversion import MAX_SYMBOLIC

from strategies import finsets, kernel_of, mixing_parameters, seeds, stochastic, symbolic_kernel_of

bundles = st.lists(finsets(max_size=3), min_size=1, max_size=2)
Intent = FinSet("Intent", ["benign", "scheming"])
Verdict = FinSet("Verdict", ["pass", "flag"])
MONITOR = Kernel([[0.95, 0.05], [0.3, 0.7]], [Intent], [Verdict], name="monitor")
PRIOR = Kernel([0.9, 0.1], [], [Intent])


def cells(shape):
    return itertools.product(*(range(n) for n in shape))


def prior_of(rng, types) -> Kernel:
    return Kernel(stochastic(rng, [], [len(t) for t in types]), [], types, name="prior")


def brute_marginal(joint: np.ndarray, n_in: int, keep: list[int]) -> dict:
    """``{(inputs, kept labels): P}`` by summing the joint's cells one by one."""
    out: dict = {}
    for idx in cells(joint.shape):
        key = idx[:n_in] + tuple(idx[n_in + i] for i in keep)
        out[key] = out.get(key, 0.0) + float(joint[idx])
    return out


# ----- the inverse -------------------------------------------------------------------------------------------------
@given(seeds, bundles, bundles)
def test_the_defining_equation_of_the_inverse(seed, X, Y):
    rng = np.random.default_rng(seed)
    k, prior = kernel_of(rng, X, Y, name="k"), prior_of(rng, X)
    with np.errstate(all="raise"):  # no division by zero anywhere, no NaN made
        inv = k.invert(prior)
    assert [p.type for p in inv.dom] == [p.type for p in k.cod] and [p.type for p in inv.cod] == list(X)
    assert np.all(np.isfinite(inv.array))
    pushed = {}
    for x in cells(k.shape_in):
        for y in cells(k.shape_out):
            pushed[y] = pushed.get(y, 0.0) + prior.array[x] * k.array[x + y]
    for x in cells(k.shape_in):
        for y in cells(k.shape_out):
            assert prior.array[x] * k.array[x + y] == pytest.approx(pushed[y] * inv.array[y + x], abs=1e-12)
    # the rows of probability zero are the prior, and exactly they are recorded
    zero = [y for y in cells(k.shape_out) if pushed[y] == 0]
    assert inv.filled == tuple(tuple(p.type.elements[i] for p, i in zip(k.cod, y)) for y in zero)
    for y in zero:
        assert np.array_equal(inv.array[y], prior.array)
    for y in cells(k.shape_out):  # every row a distribution
        assert float(np.sum(inv.array[y])) == pytest.approx(1.0, abs=1e-12)


@given(seeds, bundles, bundles)
def test_inverting_twice_gives_the_kernel_back_on_the_support_of_the_prior(seed, X, Y):
    rng = np.random.default_rng(seed)
    k, prior = kernel_of(rng, X, Y), prior_of(rng, X)
    pushed = prior >> k
    twice = k.invert(prior).invert(pushed)
    assert [p.type for p in twice.dom] == [p.type for p in k.dom]
    off = []
    for x in cells(k.shape_in):
        if prior.array[x] > 0:
            assert np.allclose(twice.array[x], k.array[x], atol=1e-10, rtol=0)
        else:  # prior(x) = 0: the second inversion fills the row with its own prior, prior >> k
            off.append(tuple(p.type.elements[i] for p, i in zip(k.dom, x)))
            assert np.allclose(twice.array[x], pushed.array, atol=1e-12, rtol=0)
    assert twice.filled == tuple(off)


@given(seeds, finsets(), finsets())
def test_the_inverse_law_as_kernels(seed, X, Y):
    """``prior ⊗ k = (prior >> k) ⊗ k†``: copy, then the kernel on one copy, written with markovwire's own plumbing."""
    rng = np.random.default_rng(seed)
    k, prior = kernel_of(rng, [X], [Y]), prior_of(rng, [X])
    joint = prior >> copy(X) >> (identity(X) @ k)
    back = (prior >> k) >> copy(Y) >> (identity(Y) @ k.invert(prior)) >> swap(Y, X)
    assert back.allclose(joint, atol=1e-12)


def test_the_monitor_numbers():
    belief = MONITOR.invert(PRIOR)
    assert repr(belief) == "Kernel(monitor†: verdict: Verdict → intent: Intent)"
    assert belief.prob("scheming", verdict="flag") == pytest.approx(0.07 / 0.115, abs=1e-15)
    assert belief.prob("benign", verdict="pass") == pytest.approx(0.855 / 0.885, abs=1e-15)
    assert belief.filled == ()
    assert invert(MONITOR, PRIOR).allclose(belief)
    # the prior as an array or as a mapping of labels
    assert MONITOR.invert([0.9, 0.1]).allclose(belief)
    assert MONITOR.invert({"benign": 0.9, "scheming": 0.1}).allclose(belief)


def test_a_bundle_of_inputs_is_inverted_jointly():
    A, B = FinSet("A", ["a0", "a1"]), FinSet("B", ["b0", "b1", "b2"])
    rng = np.random.default_rng(3)
    k = kernel_of(rng, [A, B], [Verdict], name="k")
    prior = Kernel(rng.dirichlet(np.ones(6)).reshape(2, 3), [], [A, B])
    inv = k.invert(prior)
    assert repr(inv) == "Kernel(k†: verdict: Verdict → a: A ⊗ b: B)"
    for a, b, v in cells((2, 3, 2)):
        total = sum(prior.array[i, j] * k.array[i, j, v] for i in range(2) for j in range(3))
        assert inv.array[v, a, b] == pytest.approx(prior.array[a, b] * k.array[a, b, v] / total, abs=1e-14)
    tabled = k.invert({(a, b): float(prior.array[i, j]) for i, a in enumerate(A.elements)
                       for j, b in enumerate(B.elements)})
    assert tabled.allclose(inv)


def test_a_state_inverts_to_the_discard():
    out = Kernel([0.25, 0.0, 0.75], [], [FinSet("C", ["x", "y", "z"])], name="s").invert(1.0)
    assert out.dom[0].name == "c" and out.cod == () and out.array.tolist() == [1.0, 1.0, 1.0]
    assert out.filled == (("y",),)


def test_the_same_port_name_in_and_out():
    B = FinSet("Bit", ["0", "1"])
    inv = Kernel([[0.9, 0.1], [0.2, 0.8]], [B], [B], name="noise").invert([0.5, 0.5])
    assert repr(inv) == "Kernel(noise†: bit: Bit → bit: Bit)"
    assert inv.prob("1", bit="0") == pytest.approx(0.1 / 0.55, abs=1e-15)


# ----- zero-probability rows ---------------------------------------------------------------------------------------
BLIND = Kernel([[1.0, 0.0], [1.0, 0.0]], [Intent], [Verdict], name="blind")  # never flags


def test_a_verdict_that_never_happens_gets_the_prior():
    inv = BLIND.invert(PRIOR)
    assert inv.filled == (("flag",),)
    assert inv.row("flag").array.tolist() == [0.9, 0.1] and inv.row("pass").array.tolist() == [0.9, 0.1]
    assert not np.isnan(inv.array).any()


def test_fill_uniform_and_fill_given():
    assert BLIND.invert(PRIOR, fill="uniform").row("flag").array.tolist() == [0.5, 0.5]
    inv = BLIND.invert(PRIOR, fill={"scheming": 1.0})
    assert inv.row("flag").array.tolist() == [0.0, 1.0] and inv.row("pass").array.tolist() == [0.9, 0.1]
    assert inv.filled == (("flag",),)


def test_a_prior_that_rules_out_an_input():
    inv = MONITOR.invert([1.0, 0.0])
    assert inv.filled == () and inv.array.tolist() == [[1.0, 0.0], [1.0, 0.0]]
    # and back: the row of the ruled-out input is the verdict's marginal, recorded
    back = inv.invert(Kernel([1.0, 0.0], [], [Intent]) >> MONITOR)
    assert back.prob("flag", intent="benign") == pytest.approx(0.05, abs=1e-15)
    assert back.filled == (("scheming",),) and back.row("scheming").array.tolist() == [0.95, 0.05]


# ----- disintegration ----------------------------------------------------------------------------------------------
@st.composite
def joints(draw, inputs: bool = False):
    """A random kernel with 1-3 outputs (and 0-1 inputs when ``inputs``), and a random choice of outputs to keep."""
    rng = np.random.default_rng(draw(seeds))
    dom = draw(st.lists(finsets(max_size=3), max_size=1 if inputs else 0))
    cod = draw(st.lists(finsets(max_size=3), min_size=1, max_size=3))
    keep = draw(st.permutations(range(len(cod))).flatmap(lambda p: st.integers(0, len(p)).map(lambda n: p[:n])))
    return kernel_of(rng, dom, cod, name="joint", zeros=0.5), list(keep)


@given(joints(inputs=True))
def test_the_disintegration_recomposes_the_joint(case):
    joint, keep = case
    with np.errstate(all="raise"):
        marginal, conditional = joint.disintegrate(*keep)
    n = joint.n_in
    rest = [i for i in range(len(joint.cod)) if i not in keep]
    assert [p.type for p in marginal.dom] == [p.type for p in joint.dom]
    assert [p.type for p in conditional.dom] == [p.type for p in joint.dom] + [joint.cod[i].type for i in keep]
    assert [p.type for p in conditional.cod] == [joint.cod[i].type for i in rest]
    for idx in cells(joint.array.shape):
        a, out = idx[:n], idx[n:]
        given_ = tuple(out[i] for i in keep)
        assert joint.array[idx] == pytest.approx(
            marginal.array[a + given_] * conditional.array[a + given_ + tuple(out[i] for i in rest)], abs=1e-12)


@given(joints(inputs=True))
def test_marginal_and_conditional_agree_with_enumeration(case):
    joint, keep = case
    marginal, conditional = disintegrate(joint, keep)
    n = joint.n_in
    rest = [i for i in range(len(joint.cod)) if i not in keep]
    kept = brute_marginal(joint.array, n, keep)
    others = brute_marginal(joint.array, n, rest)
    for key, p in kept.items():
        assert marginal.array[key] == pytest.approx(p, abs=1e-12)
    filled = []
    for idx in cells(conditional.array.shape):
        a, given_, other = idx[:n], idx[n:n + len(keep)], idx[n + len(keep):]
        p = kept[a + given_]
        if p > 0:
            cell = [0] * len(joint.cod)
            for i, v in zip(keep, given_):
                cell[i] = v
            for i, v in zip(rest, other):
                cell[i] = v
            expected = joint.array[a + tuple(cell)] / p
        else:  # the documented fill: the marginal of the other outputs (at the same inputs)
            expected = others[a + other]
            if idx[n + len(keep):] == (0,) * len(other):
                filled.append(tuple(t.type.elements[i] for t, i in zip(conditional.dom, a + given_)))
        assert conditional.array[idx] == pytest.approx(expected, abs=1e-12)
    assert conditional.filled == tuple(filled)
    assert np.all(np.isfinite(conditional.array))


def test_disintegrate_as_kernels():
    rng = np.random.default_rng(5)
    A, B = FinSet("A", ["a0", "a1", "a2"]), FinSet("B", ["b0", "b1"])
    joint = kernel_of(rng, [], [A, B], name="joint")
    marginal, conditional = joint.disintegrate("a")
    assert repr(conditional) == "Kernel(joint|a: a: A → b: B)"
    assert (marginal >> copy(A) >> (identity(A) @ conditional)).allclose(joint, atol=1e-12)
    marginal, conditional = joint.disintegrate("b")
    assert (marginal >> copy(B) >> (identity(B) @ conditional) >> swap(B, A)).allclose(joint, atol=1e-12)
    assert disintegrate(joint, "b")[1].allclose(conditional) and disintegrate(joint, [1])[1].allclose(conditional)


def test_disintegrate_on_nothing_and_on_everything():
    joint = Kernel([[0.1, 0.3], [0.0, 0.6]], [], [Intent, Verdict], name="joint")
    marginal, conditional = joint.disintegrate()
    assert marginal.cod == () and float(marginal.array) == pytest.approx(1.0) and conditional.allclose(joint)
    marginal, conditional = joint.disintegrate("intent", "verdict")
    assert marginal.allclose(joint) and conditional.cod == ()
    assert np.allclose(conditional.array, 1.0, atol=1e-15, rtol=0)
    assert conditional.filled == (("scheming", "pass"),)


def test_disintegrate_fills_with_the_marginal_of_the_rest():
    joint = Kernel([[0.25, 0.75], [0.0, 0.0]], [], [Intent, Verdict], name="joint")  # never scheming
    _, conditional = joint.disintegrate("intent")
    assert conditional.filled == (("scheming",),)
    assert conditional.row("scheming").array.tolist() == [0.25, 0.75]  # P(verdict), the other output's marginal
    assert joint.disintegrate("intent", fill="uniform")[1].row("scheming").array.tolist() == [0.5, 0.5]
    assert joint.disintegrate("intent", fill=[0.0, 1.0])[1].row("scheming").array.tolist() == [0.0, 1.0]


# ----- symbolic kernels --------------------------------------------------------------------------------------------
beta = Parameter("beta", (0, 1), default=0.1)
SYMBOLIC_PRIOR = Kernel([1 - beta.symbol, beta.symbol], [], [Intent], params=[beta])


def test_a_symbolic_prior_inverts_to_cancelled_fractions():
    inv = MONITOR.invert(SYMBOLIC_PRIOR)
    assert inv.is_symbolic and set(inv.params) == {"beta"}
    b = beta.symbol
    assert sympy.simplify(inv.prob("scheming", verdict="flag") - 0.7 * b / (0.05 * (1 - b) + 0.7 * b)) == 0
    for value in (0.0, 0.1, 0.5, 1.0):
        assert inv.subs({"beta": value}).allclose(MONITOR.invert([1 - value, value]), atol=1e-12)


@settings(max_examples=25)
@given(seeds, finsets(max_size=3), finsets(max_size=3), st.booleans())
def test_a_symbolic_inverse_agrees_with_the_numeric_one_at_every_point(seed, X, Y, symbolic_prior):
    """Inverting then substituting = substituting then inverting, wherever no label has probability zero; a kernel
    whose denominators vanish somewhere in the domain is refused with the fix."""
    rng = np.random.default_rng(seed)
    p, q = mixing_parameters()
    k = symbolic_kernel_of(rng, [X], [Y], p, name="k")
    prior = symbolic_kernel_of(rng, [], [X], q, name="prior") if symbolic_prior else prior_of(rng, [X])
    try:
        inv = k.invert(prior)
    except NotStochastic as err:
        assert err.box == "k" and err.fix.startswith("substitute parameter values first (.subs({")
        return
    for pv, qv in ((0.0, 0.0), (0.3, 0.7), (1.0, 0.5), (0.5, 1.0)):
        values = {"p": pv, "q": qv}
        numeric = k.subs({"p": pv}).invert(prior.subs({"q": qv} if symbolic_prior else {}))
        if not numeric.filled:
            at = inv.subs({n: v for n, v in values.items() if n in inv.params})
            assert at.allclose(numeric, atol=1e-9)


def test_a_symbolic_row_of_probability_zero_is_the_symbolic_prior():
    inv = BLIND.invert(SYMBOLIC_PRIOR)
    assert inv.filled == (("flag",),)
    assert [sympy.simplify(e - f) for e, f in zip(inv.row("flag").array, [1 - beta.symbol, beta.symbol])] == [0, 0]


def test_a_symbolic_denominator_that_vanishes_inside_the_domain_is_refused():
    I3 = FinSet("Intent", ["benign", "probing", "scheming"])
    p, q = Parameter("p", (0, 0.5), default=0.1), Parameter("q", (0, 0.5), default=0.1)
    prior = Kernel([1 - p.symbol - q.symbol, p.symbol, q.symbol], [], [I3], params=[p, q])
    monitor = Kernel([[1, 0], [0.5, 0.5], [0.3, 0.7]], [I3], [Verdict], name="monitor")
    with pytest.raises(NotStochastic) as info:
        monitor.invert(prior)
    err = info.value
    assert err.box == "monitor"
    assert str(err.where).startswith("kernel 'monitor'.invert: kernel 'monitor†', row (verdict=flag) at p=0, q=0")
    assert "0.5*p + 0.7*q, which is 0" in err.what
    assert err.fix.startswith("substitute parameter values first (.subs({'p': ..., 'q': ...}) on the kernel")
    # the fix works: at p = q = 0 the flag row is filled with the prior
    inv = monitor.invert(prior.subs({"p": 0, "q": 0}))
    assert inv.filled == (("flag",),) and inv.row("flag").array.tolist() == [1.0, 0.0, 0.0]


def test_a_large_symbolic_table_is_refused_before_any_sympy_work():
    n = int(MAX_SYMBOLIC ** 0.5) + 1
    R = FinSet("R", [str(i) for i in range(n)])
    codes = np.full((n, n), 2)
    codes[:, 0], codes[:, 1] = 0, 1  # every row: beta, 1 - beta, then zeros (a wildcard row, one object per entry)
    k = Kernel.from_coding(codes, [beta.symbol, 1 - beta.symbol, sympy.Integer(0)], [R], [R], params=[beta],
                           check=False, name="big")
    with pytest.raises(ParameterError) as info:
        k.invert(Kernel.uniform([R]))
    assert (str(info.value.where), info.value.box) == ("kernel 'big'.invert", "big")
    assert info.value.what == (f"has {n * n:,} symbolic entries to divide, more than the {MAX_SYMBOLIC:,} inverted "
                               "symbolically (each quotient is simplified by sympy)")
    assert info.value.fix.startswith("substitute parameter values first (.subs({'beta': ...})")


# ----- errors ------------------------------------------------------------------------------------------------------
def raised(cls, fn):
    with pytest.raises(cls) as info:
        fn()
    return info.value


PRIOR_FIX = ("give a distribution over intent: Intent (Kernel([...], [], [Intent]), an array of shape (2,), or a "
             "mapping of labels to probabilities: intent: benign, scheming)")


@pytest.mark.parametrize("prior, cls, what, fix", [
    (Kernel([0.5, 0.5], [], [Verdict]), TypeMismatch, "is over verdict: Verdict, not intent: Intent", PRIOR_FIX),
    (Kernel([[1.0, 0.0], [0.0, 1.0]], [Verdict], [Intent]), TypeMismatch,
     "has inputs verdict: Verdict: the prior must be a distribution (a kernel with no inputs)",
     PRIOR_FIX + "; compose it with a law of its inputs first"),
    ([0.5, 0.4], NotStochastic, "is not a distribution: sums to 0.9, not 1",
     "give non-negative probabilities that sum to one over intent: Intent"),
    ([1.5, -0.5], NotStochastic, "is not a distribution: has negative entry -0.5 at output intent=scheming",
     "give non-negative probabilities that sum to one over intent: Intent"),
    ({"benign": 0.2}, NotStochastic, "is not a distribution: sums to 0.2, not 1",
     "give non-negative probabilities that sum to one over intent: Intent"),
    ([0.5, 0.5, 0.0], ShapeError, "array has shape (3,) but I → intent: Intent needs (2,)", PRIOR_FIX),
    ({"benign": 0.5, "evil": 0.5}, UnknownName, "'evil' is not an element of Intent", PRIOR_FIX),
    ([1 - beta.symbol, beta.symbol], ParameterError, "uses undeclared parameter(s) beta",
     "give the prior as a Kernel that declares them: Kernel([...], [], [Intent], params=[...])"),
])
def test_a_bad_prior(prior, cls, what, fix):
    err = raised(cls, lambda: MONITOR.invert(prior))
    assert str(err.where).startswith("kernel 'monitor'.invert, prior")
    assert (err.what, err.fix, err.box) == (what, fix, "monitor")


JOINT = Kernel([[0.1, 0.3], [0.2, 0.4]], [], [Intent, Verdict], name="joint")


@pytest.mark.parametrize("ports, cls, what, port, fix", [
    (["nope"], UnknownName, "'nope' is not an output of intent: Intent ⊗ verdict: Verdict", "nope",
     "name outputs of the joint: intent, verdict"),
    ([5], UnknownName, "has no output at position 5", "5",
     "use a position from 0 to 1, or name outputs of the joint: intent, verdict"),
    (["intent", 0], ShapeError, "names output 'intent' twice", "intent", "name each output once"),
])
def test_ports_that_are_not_outputs_of_the_joint(ports, cls, what, port, fix):
    err = raised(cls, lambda: JOINT.disintegrate(*ports))
    assert (str(err.where), err.what, err.fix, err.box, err.port) == ("kernel 'joint'.disintegrate", what, fix,
                                                                     "joint", port)


def test_a_bad_fill():
    err = raised(NotStochastic, lambda: JOINT.disintegrate("intent", fill=[0.3, 0.3]))
    assert (str(err.where), err.what, err.fix) == ("kernel 'joint'.disintegrate, fill",
                                                   "is not a distribution: sums to 0.6, not 1",
                                                   "give non-negative probabilities that sum to one over verdict: "
                                                   "Verdict")
    err = raised(TypeMismatch, lambda: MONITOR.invert(PRIOR, fill=Kernel([0.5, 0.5], [], [Verdict])))
    assert (str(err.where), err.what) == ("kernel 'monitor'.invert, fill", "is over verdict: Verdict, not intent: "
                                          "Intent")


def test_errors_are_markovwire_errors_with_a_json_form():
    err = raised(UnknownName, lambda: disintegrate(JOINT, "nope"))
    assert err.to_dict()["box"] == "joint" and err.to_dict()["port"] == "nope"


def test_the_readme_example_runs_and_its_numbers_hold():
    from pathlib import Path
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = text.split("### Bayesian inversion and disintegration", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    scope: dict = {}
    exec(code, scope)  # noqa: S102 (the repository's own README)
    assert scope["belief"].prob("scheming", verdict="flag") == pytest.approx(0.6087, abs=5e-5)
    assert scope["belief"].prob("scheming", verdict="pass") == pytest.approx(0.0339, abs=5e-5)
    assert scope["p_verdict"].array.tolist() == pytest.approx([0.885, 0.115], abs=1e-12)
    assert scope["p_intent_given"].allclose(scope["belief"])
    assert "0.7*beta/(0.65*beta + 0.05)" in section


def test_a_disintegration_larger_than_the_memory_budget_is_refused(budget):
    from markovwire import ContractionTooLarge
    budget(1000)
    joint = Kernel.uniform([FinSet("A", ["a", "b", "c"]), FinSet("B", [str(i) for i in range(20)])], name="joint")
    err = raised(ContractionTooLarge, lambda: joint.disintegrate("a"))
    assert (str(err.where), err.box) == ("kernel 'joint'.disintegrate", "joint")
    assert err.what == "needs 1.9 KiB at once (4 tables of 60 entries), more than the memory budget of 1000.0 B"
    assert err.fix.startswith("raise the budget: --max-memory 2KiB on the command line, or "
                              "markovwire.set_memory_budget(1920) in Python")


def test_the_symbolic_inverse_prints_as_a_cancelled_fraction():
    assert str(MONITOR.invert(SYMBOLIC_PRIOR).prob("scheming", verdict="flag")) == "0.7*beta/(0.65*beta + 0.05)"
