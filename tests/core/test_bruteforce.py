"""Random nets evaluated by the contraction engine against brute-force enumeration.

The reference sums, in a Python loop over ``itertools.product`` of all wire values,
the product of the box entries; it shares no code with the evaluator. Agreement is
required to 1e-12.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

from markovwire import EvidenceError

from strategies import brute_force, nets

TOL = 1e-12


def expected(spec, values=None):
    """The conditional kernel and the evidence probability by brute force (None if impossible)."""
    joint, p_evidence = brute_force(spec.net, spec.outputs, spec.evidence, values)
    if np.any(p_evidence == 0):
        return None, p_evidence
    return joint / p_evidence.reshape(p_evidence.shape + (1,) * (joint.ndim - p_evidence.ndim)), p_evidence


def check_against_brute_force(spec):
    kernel, p_evidence = expected(spec)
    if kernel is None:
        with pytest.raises(EvidenceError, match="has probability zero under the net"):
            spec.net.evaluate(evidence=spec.evidence, outputs=spec.outputs)
    else:
        got = spec.net.evaluate(evidence=spec.evidence, outputs=spec.outputs)
        assert got.array.shape == kernel.shape
        np.testing.assert_allclose(got.array, kernel, rtol=0, atol=TOL)
        assert [p.type for p in got.dom] == [spec.net.wires[w] for w in spec.net.inputs]
        assert [p.type for p in got.cod] == [spec.net.wires[w] for w in spec.outputs]
    np.testing.assert_allclose(spec.net.probability(spec.evidence), p_evidence, rtol=0, atol=TOL)


@settings(max_examples=150)
@given(nets(shape="chain", max_wires=7))
def test_chains(spec):
    check_against_brute_force(spec)


@settings(max_examples=150)
@given(nets(shape="tree", max_wires=7))
def test_trees(spec):
    check_against_brute_force(spec)


@settings(max_examples=300)
@given(nets(shape="dag"))
def test_dags_with_shared_parents_fan_out_and_discards(spec):
    check_against_brute_force(spec)


@settings(max_examples=100)
@given(nets(shape="dag", inputs=2, max_wires=5))
def test_dags_with_outer_inputs(spec):
    check_against_brute_force(spec)


@settings(max_examples=100)
@given(nets(shape="dag", evidence=False))
def test_dags_without_evidence(spec):
    check_against_brute_force(spec)


@settings(max_examples=60)
@given(nets(shape="dag", max_wires=5))
def test_all_marginals_and_the_joint(spec):
    net = spec.net
    if np.any(expected(spec)[1] == 0):
        return
    marginals = net.marginals(evidence=spec.evidence)
    assert set(marginals) == {w for w in net.wires if w not in net.inputs}
    for w, got in marginals.items():
        joint, pe = brute_force(net, (w,), spec.evidence)
        np.testing.assert_allclose(got, joint / pe.reshape(pe.shape + (1,)), rtol=0, atol=TOL)
    if not spec.evidence:
        wires = tuple(w for w in net.wires if w not in net.inputs)
        np.testing.assert_allclose(net.joint().array, brute_force(net, wires)[0], rtol=0, atol=TOL)


@settings(max_examples=40)
@given(nets(shape="dag", max_wires=4, symbolic=True), st.floats(0, 1), st.floats(0, 1))
def test_symbolic_evaluation_against_numeric_substitution(spec, p, q):
    values = {k: v for k, v in {"p": p, "q": q}.items() if k in spec.net.params}
    kernel, p_evidence = expected(spec, values)
    if kernel is None:
        with pytest.raises(EvidenceError):
            spec.net.evaluate(values, evidence=spec.evidence, outputs=spec.outputs)
        return
    numeric = spec.net.evaluate(values, evidence=spec.evidence, outputs=spec.outputs)
    np.testing.assert_allclose(numeric.array, kernel, rtol=0, atol=1e-10)
    symbolic = spec.net.evaluate(evidence=spec.evidence, outputs=spec.outputs, symbolic=True)
    symbols = {s: values[s.name] for s in symbolic.free_symbols} if symbolic.is_symbolic else {}
    at = np.array([float(e.xreplace(symbols)) if hasattr(e, "xreplace") else float(e)
                   for e in np.asarray(symbolic.array, dtype=object).flat]).reshape(kernel.shape)
    np.testing.assert_allclose(at, kernel, rtol=0, atol=1e-10)


@settings(max_examples=40)
@given(nets(shape="dag", max_wires=5, symbolic=True),
       st.lists(st.floats(0, 1), min_size=1, max_size=4), st.lists(st.floats(0, 1), min_size=1, max_size=3))
def test_sweeps_against_single_evaluations(spec, ps, qs):
    net = spec.net
    grid = {k: v for k, v in {"p": ps, "q": qs}.items() if k in net.params}
    assume(grid)
    singles = {point: expected(spec, dict(zip(grid, point)))[0] for point in itertools.product(*grid.values())}
    if any(k is None for k in singles.values()):
        with pytest.raises(EvidenceError, match="sweep point"):
            net.sweep(grid, evidence=spec.evidence, outputs=spec.outputs)
        return
    swept = net.sweep(grid, evidence=spec.evidence, outputs=spec.outputs)
    shape = tuple(len(v) for v in grid.values())
    assert swept.shape == shape + next(iter(singles.values())).shape
    for index in np.ndindex(shape):
        point = tuple(v[i] for v, i in zip(grid.values(), index))
        np.testing.assert_allclose(swept[index], singles[point], rtol=0, atol=1e-10)
    # array-valued parameters of one common shape sweep pointwise, in one evaluation
    mesh = np.meshgrid(*grid.values(), indexing="ij")
    batch = net.evaluate(dict(zip(grid, mesh)), evidence=spec.evidence, outputs=spec.outputs)
    np.testing.assert_allclose(batch, swept, rtol=0, atol=1e-12)
