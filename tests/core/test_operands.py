"""Numeric operands of symbolic kernels (shared basis, factored sweeps) against Kernel.numeric.

``Kernel.numeric`` evaluates each entry on its own through the compiled expression;
the operands evaluator instead applies coefficients to a shared basis, and for a
sweep may leave a kernel factored. Both must agree, and so must nets evaluated
either way.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from markovwire import FinSet, Kernel, MarkovwireError, Net, Parameter
from markovwire.expr import parse_expression
from markovwire.operands import Factored, Operands

from strategies import kernel_of, seeds, stochastic

a = Parameter("a", (0, 1), default=0.3)
b = Parameter("b", (0, 1), default=0.6)
c = Parameter("c", (0.1, 5), default=1.0)
PARAMS = {p.name: p for p in (a, b, c)}
SYMBOLS = {n: p.symbol for n, p in PARAMS.items()}
Bit = FinSet("Bit", ["0", "1"])
Tri = FinSet("Tri", ["x", "y", "z"])

# rows over three outcomes whose entries sum to one for every parameter value
ROWS = [
    ["a", "(1 - a) * b", "(1 - a) * (1 - b)"],
    ["exp(-c) * a", "1 - exp(-c)", "exp(-c) * (1 - a)"],
    ["0.2", "0.3", "0.5"],
    ["min(a, b) / 2", "1/2", "1/2 - min(a, b) / 2"],
    ["a * b", "Phi(c - 2) * (1 - a * b)", "(1 - Phi(c - 2)) * (1 - a * b)"],
]


ENTRIES = [[parse_expression(e, SYMBOLS) for e in row] for row in ROWS]


def symbolic(picks) -> Kernel:
    """The kernel of the picked rows (each row's sum is identically one; not re-checked here)."""
    dom = FinSet("Row", [str(i) for i in range(len(picks))])
    arr = np.array([ENTRIES[i] for i in picks], dtype=object)
    return Kernel(arr, [dom], [Tri], params=PARAMS.values(), name="k", check=False)


def test_the_rows_are_stochastic():
    symbolic(range(len(ROWS))).check()


@settings(max_examples=60)
@given(st.lists(st.integers(0, len(ROWS) - 1), min_size=1, max_size=4),
       st.floats(0, 1), st.floats(0, 1), st.floats(0.1, 5))
def test_a_single_setting_agrees_with_kernel_numeric(picks, va, vb, vc):
    k = symbolic(picks)
    values = {"a": va, "b": vb, "c": vc}
    (got,), batch = Operands([k], PARAMS)(values)
    assert batch == ()
    np.testing.assert_allclose(got, k.numeric(values), rtol=1e-13, atol=1e-15)


@settings(max_examples=40)
@given(st.lists(st.integers(0, len(ROWS) - 1), min_size=1, max_size=4), st.integers(1, 5), seeds)
def test_a_sweep_agrees_dense_and_factored(picks, n, seed):
    k = symbolic([0] + picks)
    rng = np.random.default_rng(seed)
    values = {"a": rng.random(n), "b": rng.random(n), "c": 0.1 + 4.9 * rng.random(n)}
    want = k.numeric(values)
    ops = Operands([k], PARAMS)
    (dense,), batch = ops(values)
    assert batch == (n, (n,))
    np.testing.assert_allclose(dense, want, rtol=1e-13, atol=1e-15)
    (fact,), _ = ops(values, factored=True)
    if isinstance(fact, Factored):  # few basis functions: left as a contraction
        assert fact.basis.shape == (n, ops.rank(0))
        fact = np.einsum("nm,rmo->nro", fact.basis, fact.coef)  # axes: row (input), rank, outcome
    np.testing.assert_allclose(fact, want, rtol=1e-13, atol=1e-15)


def test_many_distinct_terms_use_the_sparse_form():
    """A kernel whose entries share no basis functions is not turned into a dense matrix."""
    x = [Parameter(f"x{i}", (0, 1), default=0.5) for i in range(30)]
    arr = np.empty((30, 2), dtype=object)
    for i, p in enumerate(x):
        arr[i] = [p.symbol ** 2 / 2, 1 - p.symbol ** 2 / 2]
    dom = FinSet("Row", [str(i) for i in range(30)])
    k = Kernel(arr, [dom], [Bit], params=x, name="wide")
    ops = Operands([k], {p.name: p for p in x})
    values = {p.name: (i + 1) / 31 for i, p in enumerate(x)}
    (got,), _ = ops(values)
    np.testing.assert_allclose(got, k.numeric(values), rtol=1e-14, atol=0)
    sweep = {p.name: np.linspace(0, 1, 4) * (i + 1) / 31 for i, p in enumerate(x)}
    (got,), _ = ops(sweep, factored=True)
    assert not isinstance(got, Factored)  # too many basis functions to stay factored
    np.testing.assert_allclose(got, k.numeric(sweep), rtol=1e-14, atol=0)


def test_numeric_kernels_pass_through_untouched():
    k = Kernel([[0.5, 0.5], [0.1, 0.9]], [Bit], [Bit])
    (got,), batch = Operands([k], {})({})
    assert got is k.array and batch == ()


def test_sweeps_of_different_shapes_are_refused():
    k = symbolic([0])
    with pytest.raises(MarkovwireError) as e:
        Operands([k], PARAMS)({"a": np.ones(3) / 2, "b": np.ones(4) / 2})
    assert str(e.value) == ("sweep: parameter arrays have different shapes [(3,), (4,)]\n  fix: give all swept "
                            "parameters arrays of one length (or use Net.sweep for a grid)")


# ----- nets evaluated through factored sweeps ---------------------------------------------
def mixing(rng, dom, cod, p: Parameter, name: str) -> Kernel:
    x = stochastic(rng, [len(t) for t in dom], [len(t) for t in cod])
    y = stochastic(rng, [len(t) for t in dom], [len(t) for t in cod])
    arr = np.empty(x.shape, dtype=object)
    for idx in np.ndindex(x.shape):
        arr[idx] = p.symbol * float(x[idx]) + (1 - p.symbol) * float(y[idx])
    return Kernel(arr, dom, cod, params=[p], name=name)


@settings(max_examples=40)
@given(seeds, st.integers(1, 6), st.booleans())
def test_a_swept_net_agrees_with_each_setting(seed, n, observe):
    """Factored kernels mid-chain, on a copied wire, with an observed wire and an unswept kernel."""
    rng = np.random.default_rng(seed)
    net = Net()
    net.add_box("start", kernel_of(rng, [], [Tri], zeros=0), [], ["s"])
    net.add_box("step1", mixing(rng, [Tri], [Bit], a, "step1"), ["s"], ["t"])
    net.add_box("step2", mixing(rng, [Bit, Tri], [Tri], b, "step2"), ["t", "s"], ["u"])
    net.add_box("fixed", mixing(rng, [Tri], [Bit], c.__class__("d", (0, 1), default=0.4), "fixed"), ["u"], ["v"])
    net.set_outputs("u", "v", "t")
    evidence = {"t": "1"} if observe else {}
    values = {"a": rng.random(n), "b": rng.random(n)}
    swept = net.evaluate(values, evidence=evidence)
    assert swept.shape == (n, 3, 2, 2)
    for k in range(n):
        single = net.evaluate({"a": float(values["a"][k]), "b": float(values["b"][k])}, evidence=evidence)
        np.testing.assert_allclose(swept[k], single.array, rtol=0, atol=1e-12)
    marginals = net.marginals(values, evidence=evidence)
    for w in ("u", "v"):
        np.testing.assert_allclose(marginals[w], net.evaluate(values, evidence=evidence, outputs=(w,)),
                                   rtol=0, atol=1e-12)


def test_the_planner_keeps_a_swept_chain_factored():
    """A sweep through affine kernels: vector x coefficients, then the basis, never n kernels."""
    rng = np.random.default_rng(0)
    S = FinSet("S", [str(i) for i in range(8)])
    net = Net()
    net.add_box("start", kernel_of(rng, [], [S], zeros=0), [], ["w0"])
    for i in range(20):
        net.add_box(f"k{i}", mixing(rng, [S], [S], a, f"k{i}"), [f"w{i}"], [f"w{i + 1}"])
    net.set_outputs("w20")
    ps = np.linspace(0, 1, 50)
    got = net.evaluate({"a": ps})
    (plan,) = [p for key, p in net._plans.items() if key != "operands"]
    assert plan.factored
    # per step: 50 x 8 vector times 2 x 8 x 8 coefficients, then 50 x 2 x 8 against the basis
    assert plan.program.cost <= 20 * (50 * 8 * 2 * 8 + 50 * 2 * 8) + 2 * 8 * 8
    for k in (0, 17, 49):
        np.testing.assert_allclose(got[k], net.evaluate({"a": float(ps[k])}).array, rtol=0, atol=1e-13)
