"""Information queries (entropy, mutual information, KL, TV) against brute-force enumeration and scipy."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy.stats import entropy as scipy_entropy

from markovwire import FinSet, Kernel, Net, Parameter
from markovwire.analysis import Query
from markovwire.errors import MarkovwireError, ShapeError


def rows(draw, n_in: int, n_out: int) -> np.ndarray:
    raw = np.array(draw(st.lists(st.lists(st.floats(0.0, 1.0), min_size=n_out, max_size=n_out),
                                 min_size=n_in, max_size=n_in)))
    raw[:, 0] += 1e-3                       # every row has some mass
    return raw / raw.sum(axis=1, keepdims=True)


@st.composite
def common_cause(draw):
    """a → b, a → c: three wires with random sizes and kernels, and the joint law written out by loops."""
    na, nb, nc = (draw(st.integers(2, 4)) for _ in range(3))
    A, B, C = (FinSet(n, [f"{n.lower()}{i}" for i in range(k)]) for n, k in (("A", na), ("B", nb), ("C", nc)))
    pa = rows(draw, 1, na)[0]
    kb, kc = rows(draw, na, nb), rows(draw, na, nc)
    net = Net()
    net.add_box("source", Kernel(pa, [], [A]), [], ["a"])
    net.add_box("left", Kernel(kb, [A], [B]), ["a"], ["b"])
    net.add_box("right", Kernel(kc, [A], [C]), ["a"], ["c"])
    joint = np.zeros((na, nb, nc))
    for i, j, k in itertools.product(range(na), range(nb), range(nc)):
        joint[i, j, k] = pa[i] * kb[i, j] * kc[i, k]
    return net, joint


def H(p) -> float:
    return float(scipy_entropy(np.asarray(p).reshape(-1)))


@settings(max_examples=40, deadline=None)
@given(common_cause())
def test_entropies_and_informations_equal_brute_force(case):
    net, joint = case
    pb, pc, pbc = joint.sum(axis=(0, 2)), joint.sum(axis=(0, 1)), joint.sum(axis=0)
    assert Query.entropy(["b"]).value(net) == pytest.approx(H(pb), abs=1e-12)
    assert Query.entropy(["b", "c"]).value(net) == pytest.approx(H(pbc), abs=1e-12)
    assert Query.entropy(["b"], conditional_on=["c"]).value(net) == pytest.approx(H(pbc) - H(pc), abs=1e-12)
    assert Query.mutual_information(["b"], ["c"]).value(net) == pytest.approx(H(pb) + H(pc) - H(pbc), abs=1e-12)
    # b and c are independent given their common cause a: I(b; c | a) = 0, and I(a; b) <= H(b)
    assert Query.mutual_information(["b"], ["c"], conditional_on=["a"]).value(net) == pytest.approx(0, abs=1e-12)
    assert Query.mutual_information(["a"], ["b"]).value(net) <= H(pb) + 1e-12
    bits = Query.entropy(["b"], unit="bits").value(net)
    assert bits == pytest.approx(float(scipy_entropy(pb, base=2)), abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(common_cause(), st.data())
def test_divergences_from_a_table_equal_brute_force(case, data):
    net, joint = case
    pb = joint.sum(axis=(0, 2))
    ref = rows(data.draw, 1, len(pb))[0]
    table = {f"b{i}": float(x) for i, x in enumerate(ref)}
    assert Query.kl(["b"], table).value(net) == pytest.approx(float(scipy_entropy(pb, ref)), abs=1e-10)
    assert Query.tv(["b"], table).value(net) == pytest.approx(0.5 * float(np.abs(pb - ref).sum()), abs=1e-12)


def test_divergence_between_two_wires_and_under_evidence():
    """KL(law of b ‖ law of c) for two wires of one type; evidence conditions both laws (brute force)."""
    A, B = FinSet("A", ["x", "y"]), FinSet("B", ["0", "1", "2"])
    kb = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
    kc = np.array([[0.5, 0.25, 0.25], [0.2, 0.2, 0.6]])
    net = Net()
    net.add_box("source", Kernel([0.4, 0.6], [], [A]), [], ["a"])
    net.add_box("left", Kernel(kb, [A], [B]), ["a"], ["b"])
    net.add_box("right", Kernel(kc, [A], [B]), ["a"], ["c"])
    pb, pc = np.array([0.4, 0.6]) @ kb, np.array([0.4, 0.6]) @ kc
    assert Query.kl(["b"], ["c"]).value(net) == pytest.approx(float(scipy_entropy(pb, pc)), abs=1e-12)
    assert Query.tv(["b"], ["c"]).value(net) == pytest.approx(0.5 * float(np.abs(pb - pc).sum()), abs=1e-12)
    assert str(Query.kl(["b"], ["c"])) == "KL(b ‖ c)"
    # given a = y, both laws are rows of the kernels
    q = Query.kl(["b"], ["c"], given={"a": "y"})
    assert q.value(net) == pytest.approx(float(scipy_entropy(kb[1], kc[1])), abs=1e-12)
    assert str(q) == "KL(b ‖ c) given a=y"
    # the law given evidence against the unconditional law (a distribution query as the reference)
    post = Query.kl(["b"], Query.distribution(["b"], name="prior law"), given={"c": "2"})
    pbc = np.array([[0.4 * kb[0, j] * kc[0, 2] + 0.6 * kb[1, j] * kc[1, 2] for j in range(3)]])[0]
    assert post.value(net) == pytest.approx(float(scipy_entropy(pbc / pbc.sum(), pb)), abs=1e-12)
    assert str(post) == "KL(b ‖ prior law) given c=2"


def test_a_sweep_is_evaluated_at_once_and_equals_each_point():
    p = Parameter("p", (0, 1), default=0.5)
    Bit = FinSet("Bit", ["0", "1"])
    net = Net()
    net.add_box("coin", Kernel([1 - p.symbol, p.symbol], [], [Bit], params=[p]), [], ["c"])
    net.add_box("copy", Kernel([[0.9, 0.1], [0.2, 0.8]], [Bit], [Bit]), ["c"], ["d"])
    points = np.array([0.0, 0.1, 0.5, 1.0])
    for q in (Query.entropy(["c"]), Query.mutual_information(["c"], ["d"]), Query.kl(["c"], {"0": 0.5, "1": 0.5}),
              Query.tv(["d"], ["c"]), Query.entropy(["d"], conditional_on=["c"], unit="bits")):
        swept = q.value(net, {"p": points})
        assert swept.shape == (4,)
        assert swept.tolist() == pytest.approx([q.value(net, {"p": float(x)}) for x in points], abs=1e-12)
    assert Query.entropy(["c"]).value(net, {"p": 0.0}) == 0.0    # 0 log 0 = 0, never NaN


def test_an_infinite_kl_is_infinite_with_its_reason():
    Bit = FinSet("Bit", ["0", "1"])
    net = Net()
    net.add_box("coin", Kernel([0.25, 0.75], [], [Bit]), [], ["c"])
    q = Query.kl(["c"], {"0": 1.0})
    assert q.value(net) == np.inf
    assert q.why_infinite(net) == "the law gives c=1 probability 0.75, the reference gives it 0"
    assert Query.kl(["c"], {"0": 0.25, "1": 0.75}).why_infinite(net) is None
    assert Query.kl(["c"], {"0": 0.5, "1": 0.5}).value(net) > 0


def test_information_queries_refuse_what_needs_linearity_and_bad_input():
    Bit = FinSet("Bit", ["0", "1"])
    net = Net()
    net.add_box("coin", Kernel([0.25, 0.75], [], [Bit]), [], ["c"])
    with pytest.raises(ShapeError) as e:
        Query.entropy(["c"]).weights(net)
    assert str(e.value) == ("query H(c): is an entropy, not linear in the law of its wires, so it has no table of "
                            "weights\n  fix: bound or optimise a probability or an expectation query; information "
                            "quantities are evaluated and swept")
    with pytest.raises(ShapeError, match="names wire 'c' twice"):
        Query.mutual_information(["c"], ["c"])
    with pytest.raises(ShapeError, match="(?s)unknown unit 'bit'.*use 'nats'"):
        Query.entropy(["c"], unit="bit")
    with pytest.raises(ShapeError, match="a KL divergence|needs the law of wires, not a probability"):
        Query.kl(["c"], Query.probability({"c": "0"}))
    with pytest.raises(ShapeError) as e:
        Query.tv(["c"], {"0": 0.5, "1": 0.4}).value(net)
    assert "reference table: sums to 0.9, not 1: it is not a probability distribution" in str(e.value)
    with pytest.raises(ShapeError, match="has no symbolic value"):
        Query.entropy(["c"]).value(net, symbolic=True)


def test_divergences_compare_wires_of_one_type_only():
    net = Net()
    net.add_box("coin", Kernel([0.25, 0.75], [], [FinSet("Bit", ["0", "1"])]), [], ["c"])
    net.add_box("die", Kernel([0.5, 0.5], [], [FinSet("Two", ["a", "b"])]), [], ["d"])
    with pytest.raises(MarkovwireError, match="compares c .* with d .*whose labels differ"):
        Query.kl(["c"], ["d"]).value(net)


@pytest.mark.parametrize("query", [
    Query.entropy(["a"], conditional_on=["b"], unit="bits", given={"c": "x"}),
    Query.mutual_information(["a"], ["b"], conditional_on=["c"]),
    Query.kl(["a"], ["b"]), Query.tv(["a"], {"x": 0.5, "y": 0.5}), Query.kl(["a", "b"], {("x", "y"): 1.0}),
    Query.distribution(["a", "b"], at={"i": "0"}),
])
def test_to_dict_and_from_dict_are_inverse(query):
    assert Query.from_dict(query.to_dict()) == query
