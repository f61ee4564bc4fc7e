"""Natural-latent errors and factorisation, against brute-force enumeration with scipy's entropy."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy.stats import entropy as sp_entropy

from markovwire import FinSet, Kernel, Net, Parameter
from markovwire.analysis.latents import errors, factors_through, joint_law, natural_latent
from markovwire.errors import MarkovwireError, ShapeError, UnknownName

Bit = FinSet("Bit", ["0", "1"])
Tri = FinSet("Tri", ["a", "b", "c"])


# ----- an oracle sharing no code with the module ------------------------------------------------
def H(p) -> float:
    p = np.asarray(p, dtype=float).ravel()
    return float(sp_entropy(p)) if p.sum() > 0 else 0.0


def cond_H(joint, a, b) -> float:
    """H(A | B) = Σ_b P(b) H(A | B = b), by enumeration of b (axes a, b of a joint over all variables)."""
    other = tuple(i for i in range(joint.ndim) if i not in a + b)
    m = joint.sum(axis=other) if other else joint
    kept = sorted(a + b)
    m = np.transpose(m, [kept.index(i) for i in b + a])
    m = m.reshape(int(np.prod([joint.shape[i] for i in b])), -1)
    return sum(row.sum() * H(row / row.sum()) for row in m if row.sum() > 0)


def mediation_kl(joint) -> float:
    """D_KL(P[Λ, X] ‖ P[Λ] Π P[Xi | Λ]) by enumeration of every joint label."""
    n = joint.ndim - 1
    q = np.zeros_like(joint)
    pl = joint.reshape(joint.shape[0], -1).sum(axis=1)
    for idx in itertools.product(*(range(s) for s in joint.shape)):
        lam = idx[0]
        if pl[lam] == 0:
            continue
        v = pl[lam]
        for i in range(1, n + 1):
            other = tuple(k for k in range(1, n + 1) if k != i)
            pli = joint.sum(axis=other)[lam, idx[i]] if other else joint[lam, idx[i]]
            v *= pli / pl[lam]
        q[idx] = v
    return float(sp_entropy(joint.ravel(), q.ravel()))


def redundancy_kl(joint, i) -> float:
    """D_KL(P[Λ, X] ‖ P[X] P[Λ | Xi]) by enumeration."""
    n = joint.ndim - 1
    px = joint.sum(axis=0)
    other = tuple(k for k in range(1, n + 1) if k != i)
    pli = joint.sum(axis=other) if other else joint            # (λ, xi)
    pi = pli.sum(axis=0)
    q = np.zeros_like(joint)
    for idx in itertools.product(*(range(s) for s in joint.shape)):
        if pi[idx[i]] > 0:
            q[idx] = px[idx[1:]] * pli[idx[0], idx[i]] / pi[idx[i]]
    return float(sp_entropy(joint.ravel(), q.ravel()))


def joints(max_vars=3):
    def build(draw):
        n = draw(st.integers(1, max_vars))
        shape = [draw(st.integers(1, 3)) for _ in range(n + 1)]
        size = int(np.prod(shape))
        w = draw(st.lists(st.one_of(st.just(0.0), st.floats(0.01, 1.0)), min_size=size, max_size=size))
        w = np.array(w)
        if w.sum() == 0:
            w[0] = 1.0
        return (w / w.sum()).reshape(shape)
    return st.composite(lambda draw: build(draw))()


@settings(max_examples=150, deadline=None)
@given(joints())
def test_every_error_matches_brute_force_and_the_two_mediation_forms_are_equal(p):
    e = errors(p)
    n = p.ndim - 1
    X = tuple(range(1, n + 1))
    total_corr = sum(cond_H(p, (i,), (0,)) for i in X) - cond_H(p, X, (0,))
    assert e.mediation == pytest.approx(total_corr, abs=1e-9)
    assert e.mediation_kl == pytest.approx(mediation_kl(p), abs=1e-9)
    assert e.mediation == pytest.approx(e.mediation_kl, abs=1e-9)         # the identity, on every joint
    for i in X:
        assert e.redundancy[i - 1] == pytest.approx(cond_H(p, (0,), (i,)), abs=1e-9)
        assert e.redundancy_kl[i - 1] == pytest.approx(redundancy_kl(p, i), abs=1e-9)
        # the KL form is I(Λ; X_{-i} | Xi) = H(Λ|Xi) − H(Λ|X) <= H(Λ|Xi)
        assert e.redundancy_kl[i - 1] == pytest.approx(cond_H(p, (0,), (i,)) - cond_H(p, (0,), X), abs=1e-9)
        assert e.redundancy_kl[i - 1] <= e.redundancy[i - 1] + 1e-9
    assert all(np.isfinite([e.mediation, e.mediation_kl, *e.redundancy, *e.redundancy_kl]))


@settings(max_examples=60, deadline=None)
@given(joints(2))
def test_bits_are_nats_over_ln2(p):
    a, b = errors(p), errors(p, unit="bits")
    assert b.mediation == pytest.approx(a.mediation / np.log(2), abs=1e-12)
    assert b.redundancy[0] == pytest.approx(a.redundancy[0] / np.log(2), abs=1e-12)


# ----- on a net -----------------------------------------------------------------------------------
def noisy_net(flip1=0.1, flip2=0.3, p=0.4):
    net = Net()
    net.add_box("source", Kernel([1 - p, p], [], [Bit]), [], ["lam"])
    net.add_box("s1", Kernel([[1 - flip1, flip1], [flip1, 1 - flip1]], [Bit], [Bit]), ["lam"], ["x1"])
    net.add_box("s2", Kernel([[1 - flip2, flip2], [flip2, 1 - flip2]], [Bit], [Bit]), ["lam"], ["x2"])
    net.add_box("s3", Kernel([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]], [Bit], [Tri]), ["lam"], ["x3"])
    return net


def enumerated(flip1=0.1, flip2=0.3, p=0.4):
    """P[lam, x1, x2, x3] written out by hand."""
    out = np.zeros((2, 2, 2, 3))
    t3 = [[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]]
    for lam, a, b, c in itertools.product(range(2), range(2), range(2), range(3)):
        out[lam, a, b, c] = ([1 - p, p][lam] * (flip1 if a != lam else 1 - flip1)
                             * (flip2 if b != lam else 1 - flip2) * t3[lam][c])
    return out


def test_a_net_gives_the_enumerated_errors():
    r = natural_latent(noisy_net(), "lam", ["x1", "x2", "x3"], epsilon=0.01)
    p = enumerated()
    assert r.mediation == pytest.approx(0.0, abs=1e-12)          # the three are independent given lam
    assert r.mediation_kl == pytest.approx(0.0, abs=1e-12)
    for i in (1, 2, 3):
        assert r.redundancy[i - 1] == pytest.approx(cond_H(p, (0,), (i,)), abs=1e-12)
        assert r.redundancy_kl[i - 1] == pytest.approx(redundancy_kl(p, i), abs=1e-12)
    assert r.natural is False and r.natural_kl is False
    assert "not natural within ε = 0.01" in str(r)
    d = r.to_dict()
    assert d["latent"] == ["lam"] and d["observables"] == [["x1"], ["x2"], ["x3"]] and d["natural"] is False


def test_observables_taken_jointly_and_a_latent_holding_an_observable():
    p = enumerated()
    r = natural_latent(noisy_net(), "lam", [["x1", "x2"], "x3"])
    joint = p.reshape(2, 4, 3)
    assert r.redundancy[0] == pytest.approx(cond_H(joint, (0,), (1,)), abs=1e-12)
    assert r.mediation == pytest.approx(0.0, abs=1e-12)
    # the "everything" latent (x1, x2) of x1 and x2: mediates exactly; redundancy over x1 is H(x2 | x1)
    r = natural_latent(noisy_net(), ["x1", "x2"], ["x1", "x2"])
    assert r.mediation == pytest.approx(0.0, abs=1e-12)
    assert r.redundancy[0] == pytest.approx(cond_H(p, (2,), (1,)), abs=1e-12)
    assert r.redundancy[1] == pytest.approx(cond_H(p, (1,), (2,)), abs=1e-12)


def test_a_sweep_gives_arrays_of_the_pointwise_values():
    f = Parameter("f", (0, 0.5), default=0.1)
    net = Net()
    net.add_box("source", Kernel([0.5, 0.5], [], [Bit]), [], ["lam"])
    net.add_box("s1", Kernel([[1 - f, f], [f, 1 - f]], [Bit], [Bit], params=[f]), ["lam"], ["x1"])
    net.add_box("s2", Kernel([[0.8, 0.2], [0.2, 0.8]], [Bit], [Bit]), ["lam"], ["x2"])
    r = natural_latent(net, "lam", ["x1", "x2"], values={"f": [0.0, 0.1, 0.5]}, epsilon=0.51)
    assert r.redundancy[0].shape == (3,)
    for k, fv in enumerate([0.0, 0.1, 0.5]):
        assert r.redundancy[0][k] == pytest.approx(natural_latent(net, "lam", ["x1", "x2"],
                                                                  values={"f": fv}).redundancy[0], abs=1e-12)
    assert r.redundancy[0][0] == pytest.approx(0.0, abs=1e-12)      # a perfect copy recovers lam
    assert r.redundancy[0][2] == pytest.approx(np.log(2), abs=1e-12)  # a coin says nothing
    assert list(r.natural) == [True, True, False]


def test_a_joint_kernel_with_named_outputs_is_a_source():
    p = enumerated()
    k = Kernel(p, [], [("lam", Bit), ("x1", Bit), ("x2", Bit), ("x3", Tri)])
    a = natural_latent(k, "lam", ["x2", "x1"])
    b = natural_latent(noisy_net(), "lam", ["x2", "x1"])
    assert a.redundancy == pytest.approx(b.redundancy, abs=1e-12)
    with pytest.raises(UnknownName, match="has no output 'y'"):
        natural_latent(k, "lam", ["y"])


def test_joint_law_copies_a_wire_in_two_groups():
    law = joint_law(noisy_net(), [["x1"], ["x1", "x2"]])
    p = enumerated().sum(axis=(0, 3))
    expect = np.zeros((2, 4))
    for a, b in itertools.product(range(2), range(2)):
        expect[a, 2 * a + b] = p[a, b]
    np.testing.assert_allclose(law, expect, atol=1e-12)


def test_mistakes_are_markovwire_errors_with_a_fix():
    with pytest.raises(ShapeError) as e:
        natural_latent(noisy_net(), "lam", [])
    assert "names no observables" in str(e.value) and e.value.fix
    with pytest.raises(UnknownName, match="'lamb' is not a wire of the net"):
        natural_latent(noisy_net(), "lamb", ["x1"])
    with pytest.raises(ShapeError, match="epsilon -1 is not a number >= 0"):
        natural_latent(noisy_net(), "lam", ["x1"], epsilon=-1)
    with pytest.raises(ShapeError, match="unknown unit 'bats'"):
        natural_latent(noisy_net(), "lam", ["x1"], unit="bats")
    with pytest.raises(MarkovwireError, match="is not a joint law"):
        natural_latent(Kernel([[1.0, 0.0], [0.0, 1.0]], [Bit], [Bit]), "bit", ["bit"])


# ----- factorisation ------------------------------------------------------------------------------------
def slip_net():
    """difficulty z and a slip s; x1 = z xor s (a noisy reading), x2 = z."""
    net = Net()
    net.add_box("z", Kernel([0.7, 0.3], [], [Bit]), [], ["z"])
    net.add_box("s", Kernel([0.9, 0.1], [], [Bit]), [], ["s"])
    net.add_box("x1", Kernel.deterministic(lambda z, s: str(int(z) ^ int(s)), [("z", Bit), ("s", Bit)], [Bit]),
                ["z", "s"], ["x1"])
    net.add_box("x2", Kernel(np.eye(2), [Bit], [Bit]), ["z"], ["x2"])
    return net


def reproduced(net, latent, through, obs, w):
    """Σ_λ2 P[λ2, X] w(λ1 | λ2) and P[λ1, X], enumerated from the net's joint."""
    full = net.joint()
    names = [p.name for p in full.cod]
    arr = np.asarray(full.array)
    def law(ws):
        keep = [names.index(x) for x in ws]
        m = arr.sum(axis=tuple(i for i in range(arr.ndim) if i not in keep))
        return np.transpose(m, np.argsort(np.argsort(keep)))
    lhs = law(latent + obs).reshape(w.shape[1], -1)
    rhs = np.einsum("ax,ab->bx", law(through + obs).reshape(w.shape[0], -1), w)
    return lhs, rhs


def test_a_latent_factors_through_a_finer_one_with_a_witness_that_reproduces_the_joint():
    net = slip_net()
    f = factors_through(net, ["z"], ["z", "s"], ["x1", "x2"])
    assert f.factors and f.decided and f.violation <= 1e-12
    w = f.witness.array.reshape(4, 2)
    np.testing.assert_allclose(w, [[1, 0], [1, 0], [0, 1], [0, 1]], atol=1e-12)   # the projection
    lhs, rhs = reproduced(net, ["z"], ["z", "s"], ["x1", "x2"], w)
    np.testing.assert_allclose(lhs, rhs, atol=1e-12)
    assert [p.name for p in f.witness.dom] == ["z", "s"] and [p.name for p in f.witness.cod] == ["z"]


def test_a_finer_latent_does_not_factor_through_a_coarser_one():
    f = factors_through(slip_net(), ["z", "s"], ["z"], ["x1", "x2"])
    assert not f.factors and f.witness is None and f.decided
    assert f.violation > 0.01
    assert "does not factor through z: violation" in str(f)
    assert f.to_dict()["factors"] is False


def test_the_only_kernel_is_found_when_the_conditional_law_is_not_it():
    """x uniform; l2 a noisy copy (flip 0.1), l1 another (flip 0.2), independent given x. P[l1 | l2] flips
    with 0.26, but BSC(0.1) then BSC(0.125) is BSC(0.2): the only kernel, found and checked."""
    net = Net()
    net.add_box("x", Kernel([0.5, 0.5], [], [Bit]), [], ["x"])
    net.add_box("c2", Kernel([[0.9, 0.1], [0.1, 0.9]], [Bit], [Bit]), ["x"], ["l2"])
    net.add_box("c1", Kernel([[0.8, 0.2], [0.2, 0.8]], [Bit], [Bit]), ["x"], ["l1"])
    f = factors_through(net, "l1", "l2", "x")
    assert f.factors and f.how == "the only solution"
    np.testing.assert_allclose(f.witness.array, [[0.875, 0.125], [0.125, 0.875]], atol=1e-9)
    lhs, rhs = reproduced(net, ["l1"], ["l2"], ["x"], f.witness.array)
    np.testing.assert_allclose(lhs, rhs, atol=1e-12)
    g = factors_through(net, "l2", "l1", "x")     # the less noisy copy cannot come from the noisier one
    assert not g.factors and g.decided and g.violation > 0.01


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.05, 1.0), min_size=4, max_size=4), st.lists(st.floats(0.0, 1.0), min_size=6, max_size=6))
def test_a_kernel_after_a_latent_always_factors(prior, rows):
    """l1 = w(l2) for any kernel w, l2 a noisy function of x: l1 factors through l2 and the witness
    reproduces P[l1, X]."""
    net = Net()
    pr = np.array(prior) / sum(prior)
    net.add_box("x", Kernel(pr.reshape(2, 2), [], [Bit, Bit]), [], ["x", "y"])
    net.add_box("l2", Kernel(np.array([[1, 0, 0], [0.5, 0.5, 0], [0, 0, 1], [0, 0.2, 0.8]]).reshape(2, 2, 3),
                              [Bit, Bit], [Tri]),
                ["x", "y"], ["l2"])
    w = np.array(rows).reshape(3, 2)
    w[:, 1] = 1 - w[:, 0]
    net.add_box("l1", Kernel(w, [Tri], [Bit]), ["l2"], ["l1"])
    f = factors_through(net, "l1", "l2", ["x", "y"])
    assert f.factors
    lhs, rhs = reproduced(net, ["l1"], ["l2"], ["x", "y"], f.witness.array)
    np.testing.assert_allclose(lhs, rhs, atol=1e-9)


def test_labels_with_one_law_of_the_observables_are_merged_and_the_answer_stays_exact():
    """l2 is a noisy copy of x with an independent coin beside it: the coin's two labels carry one law of x,
    so the only kernel (BSC(0.125) whatever the coin) is found after merging them."""
    net = Net()
    net.add_box("x", Kernel([0.5, 0.5], [], [Bit]), [], ["x"])
    net.add_box("c2", Kernel([[0.9, 0.1], [0.1, 0.9]], [Bit], [Bit]), ["x"], ["l2"])
    net.add_box("coin", Kernel([0.3, 0.7], [], [Bit]), [], ["coin"])
    net.add_box("c1", Kernel([[0.8, 0.2], [0.2, 0.8]], [Bit], [Bit]), ["x"], ["l1"])
    f = factors_through(net, "l1", ["l2", "coin"], "x")
    assert f.factors and f.decided and f.how == "the only solution"
    np.testing.assert_allclose(f.witness.array, [[[0.875, 0.125]] * 2, [[0.125, 0.875]] * 2], atol=1e-9)
    lhs, rhs = reproduced(net, ["l1"], ["l2", "coin"], ["x"], f.witness.array.reshape(4, 2))
    np.testing.assert_allclose(lhs, rhs, atol=1e-12)


def test_an_undecided_case_says_so():
    """Three labels of l2 whose laws of x are linearly dependent (x=0, x=1, a coin): no kernel exists here,
    but deciding it would take a linear programme, so the answer is undecided rather than a guess."""
    Three = FinSet("Three", ["a", "b", "c"])
    net = Net()
    net.add_box("x", Kernel([0.5, 0.5], [], [Bit]), [], ["x"])
    net.add_box("l2", Kernel([[0.5, 0.0, 0.5], [0.0, 0.5, 0.5]], [Bit], [Three]), ["x"], ["l2"])
    net.add_box("l1", Kernel(np.eye(2), [Bit], [Bit]), ["x"], ["l1"])
    f = factors_through(net, "l1", "l2", "x")
    assert not f.factors and not f.decided and f.violation > 0.1
    assert str(f).endswith("(undecided: other kernels were not searched)")
    assert f.to_dict()["decided"] is False
