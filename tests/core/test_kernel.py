"""Kernels: constructors, validation (asserted by message), queries, parameters and display."""
from __future__ import annotations

import math

import numpy as np
import pytest
import sympy
from hypothesis import given, settings, strategies as st

from markovwire import (
    EvidenceError,
    FinSet,
    Kernel,
    NotStochastic,
    Parameter,
    ParameterError,
    ShapeError,
    TypeMismatch,
    TypeVar,
    UnknownName,
    copy,
    discard,
    identity,
    swap,
)

from strategies import bounded, finsets, hostile_expressions, kernel_of, kernels, seeds

Act = FinSet("Act", ["clean", "backdoor"])
Verdict = FinSet("Verdict", ["pass", "flag"])
Bit = FinSet("Bit", ["0", "1"])
Three = FinSet("Three", ["a", "b", "c"])

MONITOR = {"clean": {"pass": 0.98, "flag": 0.02}, "backdoor": {"pass": 0.3, "flag": 0.7}}


def monitor() -> Kernel:
    return Kernel.from_table(MONITOR, [Act], [Verdict], name="monitor")


# ----- constructors ----------------------------------------------------------------
def test_from_array():
    k = Kernel([[0.98, 0.02], [0.3, 0.7]], [Act], [Verdict], name="monitor")
    assert k.array.dtype == float and k.array.shape == (2, 2)
    assert [p.name for p in k.dom] == ["act"] and [p.name for p in k.cod] == ["verdict"]
    assert k.prob("flag", act="backdoor") == 0.7
    assert not k.is_symbolic and k.n_in == 1


def test_distribution_has_no_inputs():
    d = Kernel([0.25, 0.75], [], [Verdict])
    assert d.dom == () and d.prob("flag") == 0.75


def test_integer_arrays_become_float():
    assert Kernel(np.array([[1, 0], [0, 1]]), [Bit], [Bit]).array.dtype == float


def test_from_table_nested_equals_array():
    assert np.array_equal(monitor().array, [[0.98, 0.02], [0.3, 0.7]])


def test_from_table_missing_entries_are_zero():
    k = Kernel.from_table({"clean": {"pass": 1.0}, "backdoor": {"flag": 1.0}}, [Act], [Verdict])
    assert np.array_equal(k.array, np.eye(2))


def test_from_table_tuple_keys():
    """Tuple keys stand for several levels of nesting, inputs and outputs alike."""
    by_tuples = Kernel.from_table({("clean", "pass"): 0.98, ("clean", "flag"): 0.02,
                                   ("backdoor", "pass"): 0.3, ("backdoor", "flag"): 0.7}, [Act], [Verdict])
    assert np.array_equal(by_tuples.array, monitor().array)
    joint = Kernel.from_table({("clean", "pass"): 0.5, ("backdoor", "flag"): 0.5}, [], [Act, Verdict])
    assert joint.prob("clean", "pass") == 0.5 and joint.prob("clean", "flag") == 0.0
    mixed = Kernel.from_table({"0": {("clean", "pass"): 1.0}, "1": {("backdoor", "pass"): 1.0}}, [Bit], [Act, Verdict])
    assert mixed.prob("backdoor", "pass", bit="1") == 1.0


def test_from_table_errors():
    with pytest.raises(UnknownName) as e:
        Kernel.from_table({"clean": {"pass": 1.0}, "dirty": {"pass": 1.0}}, [Act], [Verdict], name="m")
    assert str(e.value) == ("table of kernel 'm', port 'act': 'dirty' is not an element of Act\n"
                            "  fix: use one of: clean, backdoor")
    with pytest.raises(ShapeError) as e:
        Kernel.from_table({"clean": 0.5}, [Act], [Verdict], name="m")
    assert str(e.value) == ("table of kernel 'm', entry (act=clean): expected a mapping by verdict labels, got 0.5\n"
                            "  fix: nest one mapping per input, then per output")
    with pytest.raises(ShapeError) as e:
        Kernel.from_table({"clean": {"pass": "0.98"}}, [Act], [Verdict], name="m")
    assert str(e.value) == ("table of kernel 'm', entry (act=clean, verdict=pass): is '0.98', not a number or "
                            "expression\n"
                            "  fix: nest one mapping per input, then per output, with numbers at the leaves")
    with pytest.raises(ShapeError) as e:
        Kernel.from_table({("clean", "pass"): 1.0, "clean": {"pass": 1.0}}, [Act], [Verdict], name="m")
    assert str(e.value) == ("table of kernel 'm', entry (act=clean, verdict=pass): is given twice\n"
                            "  fix: give each entry once")
    with pytest.raises(ShapeError) as e:
        Kernel.from_table({("clean", "pass", "x"): 1.0}, [Act], [Verdict], name="m")
    assert str(e.value) == ("table of kernel 'm': key ('clean', 'pass', 'x') has too many labels\n"
                            "  fix: one label per port: act, verdict")


def test_from_table_rows_are_checked():
    with pytest.raises(NotStochastic) as e:
        Kernel.from_table({"clean": {"pass": 1.0}, "backdoor": {"pass": 0.5, "flag": 0.4}}, [Act], [Verdict],
                          name="monitor")
    assert str(e.value) == "kernel 'monitor', row (act=backdoor): sums to 0.9, not 1\n  fix: make each row sum to one"


def test_deterministic_from_a_function():
    xor = Kernel.deterministic(lambda a, b: str(int(a) ^ int(b)), [Bit, Bit], [Bit], name="xor")
    for a in "01":
        for b in "01":
            assert xor.prob(str(int(a) ^ int(b)), bit1=a, bit2=b) == 1.0
    assert xor.is_deterministic
    split = Kernel.deterministic(lambda a: (a, "flag" if a == "backdoor" else "pass"), [Act], [Act, Verdict])
    assert split.prob("backdoor", "flag", act="backdoor") == 1.0


def test_deterministic_errors_name_the_input():
    with pytest.raises(ShapeError) as e:
        Kernel.deterministic(lambda a: ("pass", "pass"), [Act], [Verdict], name="judge")
    assert str(e.value) == ("function of kernel 'judge' at (act=clean): returned 2 label(s) for 1 output(s)\n"
                            "  fix: return one label per output port (a tuple for several)")
    with pytest.raises(UnknownName) as e:
        Kernel.deterministic(lambda a: "pass" if a == "clean" else "maybe", [Act], [Verdict], name="judge")
    assert str(e.value) == ("function of kernel 'judge' at (act=backdoor): returned 'maybe', not an element of "
                            "Verdict\n  fix: return one of: pass, flag")


def test_point_and_uniform():
    assert np.array_equal(Kernel.point([Verdict], "flag").array, [0.0, 1.0])
    assert np.array_equal(Kernel.point([Act, Verdict], "backdoor", "pass").array, [[0, 0], [1, 0]])
    u = Kernel.uniform([Three], [Act])
    assert np.allclose(u.array, 1 / 3) and u.dom[0].type == Act


# ----- symbolic entries --------------------------------------------------------------
beta = Parameter("beta", (0, 1), default=0.1, doc="attack rate")
recall = Parameter("recall", (0, 1), default=0.7)


def test_symbolic_entries_from_parameters():
    policy = Kernel([1 - beta, beta], [], [Act], params=[beta], name="policy")
    assert policy.is_symbolic and policy.free_symbols == {beta.symbol}
    assert policy.prob("backdoor") == beta.symbol
    assert np.allclose(policy.subs({"beta": 0.2}).array, [0.8, 0.2])
    assert np.allclose(policy.subs().array, [0.9, 0.1])  # the default
    assert not policy.subs().is_symbolic


def test_symbolic_with_sympy_expressions_and_numbers():
    r = recall.symbol
    m = Kernel([[sympy.Rational(49, 50), sympy.Rational(1, 50)], [1 - r, r]], [Act], [Verdict], params=[recall])
    assert m.prob("pass", act="clean") == sympy.Rational(49, 50)
    assert np.allclose(m.numeric({"recall": 0.5}), [[0.98, 0.02], [0.5, 0.5]])


def test_numeric_batches_array_values_on_a_leading_axis():
    policy = Kernel([1 - beta, beta], [], [Act], params=[beta])
    batch = policy.numeric({"beta": np.array([0.0, 0.5, 1.0])})
    assert np.allclose(batch, [[1, 0], [0.5, 0.5], [0, 1]])


def test_symbolic_row_must_sum_to_one_identically():
    with pytest.raises(NotStochastic) as e:
        Kernel([[1 - beta, beta], [beta, beta]], [Act], [Verdict], params=[beta], name="m")
    assert str(e.value) == ("kernel 'm', row (act=backdoor): entries sum to 2*beta, not identically 1\n"
                            "  fix: make the row's entries sum to one for every parameter value "
                            "(e.g. write the last entry as 1 - the others)")


def test_symbolic_rows_with_float_round_off_are_accepted():
    b = beta.symbol
    k = Kernel([0.1 * b + 0.7 * (1 - b), 0.2 * b + 0.1 * (1 - b), 0.7 * b + 0.2 * (1 - b)], [], [Three],
               params=[beta])
    assert np.isclose(k.subs({"beta": 0.3}).array.sum(), 1.0)


def test_symbolic_rows_that_simplify_to_one():
    b = beta.symbol
    Kernel([sympy.sin(b) ** 2, sympy.cos(b) ** 2], [], [Verdict], params=[beta])


def test_undeclared_parameter():
    with pytest.raises(ParameterError) as e:
        Kernel([1 - beta, beta], [], [Act], name="policy")
    assert str(e.value) == ("kernel 'policy': uses undeclared parameter(s) beta\n"
                            "  fix: declare every parameter the entries use (params=[...])")


def test_values_outside_the_domain():
    policy = Kernel([1 - beta, beta], [], [Act], params=[beta], name="policy")
    with pytest.raises(ParameterError) as e:
        policy.subs({"beta": 1.5})
    assert str(e.value) == "parameter 'beta': value 1.5 is outside its domain [0, 1]\n  fix: choose a value in [0, 1]"
    with pytest.raises(ParameterError) as e:
        policy.numeric({"beta": np.array([0.5, -0.1])})
    assert str(e.value) == "parameter 'beta': value -0.1 is outside its domain [0, 1]\n  fix: choose a value in [0, 1]"


def test_unknown_parameter_in_subs():
    policy = Kernel([1 - beta, beta], [], [Act], params=[beta], name="policy")
    with pytest.raises(ParameterError) as e:
        policy.subs({"betta": 0.5})
    assert str(e.value) == "kernel 'policy': unknown parameter 'betta'\n  fix: use one of the declared parameters: beta"


def test_entries_negative_at_the_given_values_name_row_and_values():
    wide = Parameter("x", (0, 1))
    with pytest.raises(NotStochastic, match=r"at x=1: has negative entry -1 .*\(x=1 is inside the declared domain\)"):
        Kernel([2 * wide.symbol, 1 - 2 * wide.symbol], [], [Verdict], params=[wide], name="k")  # refused when written
    k = Kernel([2 * wide.symbol, 1 - 2 * wide.symbol], [], [Verdict], params=[wide], name="k", check=False)
    assert np.allclose(k.subs({"x": 0.25}).array, [0.5, 0.5])
    with pytest.raises(NotStochastic) as e:
        k.subs({"x": 0.75})
    assert str(e.value) == ("kernel 'k', the distribution at x=0.75: has negative entry -0.5 at output verdict=flag\n"
                            "  fix: restrict x's domain to [0, 0.5] in parameters: (there every entry of this row is "
                            "non-negative), or rewrite the entry")
    assert e.value.box == "k"
    with pytest.raises(NotStochastic):
        k.check({"x": 0.75})


def test_missing_value_without_default():
    x = Parameter("x", (0, 1))
    k = Kernel([x, 1 - x], [], [Verdict], params=[x], name="k")
    with pytest.raises(ParameterError) as e:
        k.subs()
    assert str(e.value) == "parameter 'x': has no value and no default\n  fix: give it a value, e.g. --set x=..."


def test_parameter_declared_twice_with_different_domains():
    other = Parameter("beta", (0, 0.5))
    a = Kernel([1 - beta, beta], [], [Act], params=[beta])
    b = Kernel([1 - other, other], [], [Act], params=[other])
    with pytest.raises(ParameterError) as e:
        a @ b
    assert str(e.value) == ("parameter 'beta': is declared twice with different domains or defaults\n"
                            "  fix: declare each parameter once, or rename one of them")


def test_parameter_checks():
    n = Parameter("n", (1, 10), default=3, integer=True)
    assert n.check(4) == 4
    with pytest.raises(ParameterError) as e:
        n.check(2.5)
    assert str(e.value) == "parameter 'n': value 2.5 is not an integer\n  fix: choose an integer in [1, 10]"
    with pytest.raises(ParameterError) as e:
        n.check([3, 11])
    assert str(e.value) == "parameter 'n': value 11 is outside its domain [1, 10]\n  fix: choose an integer in [1, 10]"
    with pytest.raises(ParameterError) as e:
        n.check("three")
    assert str(e.value) == "parameter 'n': value 'three' is not a number\n  fix: choose a number in [1, 10]"
    with pytest.raises(ParameterError) as e:
        Parameter("p", (0, 1)).check(float("nan"))
    assert str(e.value) == "parameter 'p': value nan is outside its domain [0, 1]\n  fix: choose a value in [0, 1]"
    with pytest.raises(ParameterError) as e:
        Parameter("p", (1, 0))
    assert str(e.value) == "parameter 'p': empty domain [1, 0]\n  fix: give the domain as [low, high] with low <= high"
    with pytest.raises(ParameterError) as e:
        Parameter("p", (0, 1), default=2)
    assert str(e.value) == "parameter 'p': value 2 is outside its domain [0, 1]\n  fix: choose a value in [0, 1]"
    with pytest.raises(ParameterError) as e:
        Parameter("1p")
    assert str(e.value) == ("parameter '1p': is not a valid name\n"
                            "  fix: use letters, digits and '_', starting with a letter (at most 64 characters)")


def test_parameter_arithmetic_is_on_its_symbol():
    assert 1 - beta == 1 - beta.symbol
    assert beta * 2 == 2 * beta.symbol and beta / 2 == beta.symbol / 2 and -beta == -beta.symbol
    assert sympy.sympify(beta) is beta.symbol


# ----- validation of numeric arrays ---------------------------------------------------
def test_shape_error():
    with pytest.raises(ShapeError) as e:
        Kernel([0.5, 0.5], [Act], [Verdict], name="m")
    assert str(e.value) == ("kernel 'm': array has shape (2,) but act: Act → verdict: Verdict needs (2, 2)\n"
                            "  fix: give one axis per input then per output, each as long as its type")
    with pytest.raises(ShapeError) as e:
        Kernel([[0.5, 0.5], [1.0]], [Act], [Verdict], name="m")
    assert str(e.value) == ("kernel 'm': rows of the array have different lengths\n"
                            "  fix: give one axis per input then per output, each as long as its type")


def test_text_entries_are_refused_not_parsed():
    with pytest.raises(ShapeError) as e:
        Kernel([beta, "1 - beta"], [], [Act], params=[beta], name="policy")
    assert str(e.value) == ("kernel 'policy': has an entry '1 - beta' that is not a number or a sympy expression\n"
                            "  fix: give numbers, or sympy expressions in declared parameters "
                            "(parse text with markovwire.expr.parse_expression)")
    with pytest.raises(ShapeError, match="has an entry '0.5'"):
        Kernel(["0.5", "0.5"], [], [Act])


def test_type_variables_must_be_resolved():
    with pytest.raises(TypeMismatch) as e:
        Kernel(np.eye(2), [TypeVar("A")], [Bit], name="id")
    assert str(e.value) == ("kernel 'id', port 'a': has unresolved type variable A\n"
                            "  fix: instantiate polymorphic kernels with concrete finite sets")


def test_negative_entry_names_row_and_output():
    with pytest.raises(NotStochastic) as e:
        Kernel([[1.0, 0.0], [1.2, -0.2]], [Act], [Verdict], name="monitor")
    assert str(e.value) == ("kernel 'monitor', row (act=backdoor): has negative entry -0.2 at output verdict=flag\n"
                            "  fix: probabilities must be non-negative")


def test_row_sum_tolerance_is_1e_9():
    Kernel([[0.5, 0.5 + 5e-10], [0.3, 0.7]], [Act], [Verdict])
    with pytest.raises(NotStochastic) as e:
        Kernel([[1.0, 0.0], [0.3, 0.7 + 2e-9]], [Act], [Verdict], name="monitor")
    assert str(e.value) == ("kernel 'monitor', row (act=backdoor): sums to 1.000000002, not 1\n"
                            "  fix: make each row sum to one")


def test_row_names_every_input():
    arr = np.full((2, 2, 2), 0.5)
    arr[1, 0] = [0.5, 0.6]
    with pytest.raises(NotStochastic) as e:
        Kernel(arr, [Act, Bit], [Verdict], name="judge")
    assert str(e.value) == ("kernel 'judge', row (act=backdoor, bit=0): sums to 1.1, not 1\n"
                            "  fix: make each row sum to one")


def test_distribution_not_summing_to_one():
    with pytest.raises(NotStochastic) as e:
        Kernel([0.5, 0.6], [], [Verdict], name="prior")
    assert str(e.value) == "kernel 'prior', the distribution: sums to 1.1, not 1\n  fix: make each row sum to one"


def test_non_finite_entry():
    with pytest.raises(NotStochastic) as e:
        Kernel([[np.nan, 1.0], [0.5, 0.5]], [Act], [Verdict], name="m")
    assert str(e.value) == "kernel 'm', row (act=clean): has a non-finite entry\n  fix: use finite probabilities"


# ----- queries --------------------------------------------------------------------------
def test_prob_and_row_errors():
    m = monitor()
    assert m.row("backdoor").prob("flag") == 0.7
    with pytest.raises(ShapeError) as e:
        m.prob("flag")
    assert str(e.value) == "kernel 'monitor': prob needs every input by name\n  fix: pass act=..."
    with pytest.raises(ShapeError) as e:
        m.prob("flag", act="clean", bit="0")
    assert str(e.value) == "kernel 'monitor': has no input(s) bit\n  fix: pass act=..."
    with pytest.raises(ShapeError) as e:
        m.prob(act="clean")
    assert str(e.value) == ("kernel 'monitor': prob needs 1 output label(s), got 0\n"
                            "  fix: give one label per output: verdict: Verdict (or take a marginal first)")
    with pytest.raises(ShapeError) as e:
        m.row()
    assert str(e.value) == "kernel 'monitor': needs 1 input label(s), got 0\n  fix: give one label per input: act: Act"


@given(seeds)
def test_marginal_of_a_tensor_is_the_factor(seed):
    rng = np.random.default_rng(seed)
    f, g = kernel_of(rng, [Act], [Verdict, Three]), kernel_of(rng, [Bit], [Act])
    fg = f @ g
    assert [p.name for p in fg.cod] == ["verdict", "three", "act"]
    assert fg.marginal("verdict", "three").allclose(f @ discard(Bit))
    assert fg.marginal("act").allclose(discard(Act) @ g)
    # a marginal in another order permutes the axes
    assert np.allclose(f.marginal("three", "verdict").array, f.array.transpose(0, 2, 1))
    assert f.marginal().allclose(discard(Act))


def test_marginal_errors():
    with pytest.raises(UnknownName) as e:
        monitor().marginal("verdikt")
    assert str(e.value) == "kernel 'monitor': has no output 'verdikt'\n  fix: use one of: verdict"
    assert monitor().marginal(0).allclose(monitor())
    with pytest.raises(UnknownName) as e:
        monitor().marginal(-1)
    assert str(e.value) == ("kernel 'monitor': has no output at position -1\n"
                            "  fix: use a position from 0 to 0, or an output's name")
    with pytest.raises(ShapeError) as e:
        monitor().marginal("verdict", "verdict")
    assert str(e.value) == ("kernel 'monitor': marginal names an output twice: verdict, verdict\n"
                            "  fix: name each output once (compose with copy to duplicate one)")


def bayes_joint(prior: Kernel, likelihood: Kernel) -> Kernel:
    """The joint of a prior and an observation kernel: prior >> copy >> (id ⊗ likelihood)."""
    A = prior.cod[0].type
    return prior >> copy(A) >> (identity(A) @ likelihood)


@given(seeds, finsets(), finsets())
def test_condition_is_bayes_rule(seed, A, B):
    rng = np.random.default_rng(seed)
    prior, lik = kernel_of(rng, [], [A]), kernel_of(rng, [A], [B])
    joint = bayes_joint(prior, lik)
    names = [p.name for p in joint.cod]
    for j, b in enumerate(B.elements):
        evidence = prior.array @ lik.array[:, j]
        if evidence == 0:
            with pytest.raises(EvidenceError):
                joint.condition({names[1]: b})
            continue
        post = joint.condition({names[1]: b})
        assert np.allclose(post.array, prior.array * lik.array[:, j] / evidence, atol=1e-12)
        assert [p.type for p in post.cod] == [A]


def test_condition_by_hand():
    prior = Kernel([0.99, 0.01], [], [Act])
    joint = bayes_joint(prior, monitor())  # ports act1, verdict
    post = joint.condition(verdict="flag")
    assert math.isclose(post.prob("backdoor"), 0.01 * 0.7 / (0.99 * 0.02 + 0.01 * 0.7), abs_tol=1e-15)


def test_condition_a_kernel_row_by_row():
    k = Kernel.from_table({"clean": {("pass", "0"): 0.5, ("flag", "1"): 0.5},
                           "backdoor": {("pass", "1"): 0.2, ("flag", "1"): 0.8}}, [Act], [Verdict, Bit])
    c = k.condition(bit="1")
    assert np.allclose(c.array, [[0.0, 1.0], [0.2, 0.8]])
    assert c.dom == k.dom


def test_condition_zero_probability():
    k = Kernel.from_table({"clean": {"pass": 1.0}, "backdoor": {"pass": 0.3, "flag": 0.7}}, [Act], [Verdict],
                          name="m")
    with pytest.raises(EvidenceError) as e:
        k.condition(verdict="flag")
    assert str(e.value) == ("kernel 'm', row (act=clean): evidence verdict=flag has probability zero\n"
                            "  fix: condition on an observation the kernel can produce")
    with pytest.raises(EvidenceError) as e:
        Kernel([1.0, 0.0], [], [Verdict], name="d").condition(verdict="flag")
    assert str(e.value) == ("kernel 'd', the distribution: evidence verdict=flag has probability zero\n"
                            "  fix: condition on an observation the kernel can produce")


def test_condition_unknown_label_and_output():
    with pytest.raises(EvidenceError) as e:
        monitor().condition(verdict="maybe")
    assert str(e.value) == ("kernel 'monitor', output 'verdict': observed 'maybe' is not an element of Verdict\n"
                            "  fix: observe one of: pass, flag")
    with pytest.raises(UnknownName, match="has no output 'act'"):
        monitor().condition(act="clean")


def test_condition_symbolic():
    b, r = beta.symbol, recall.symbol
    joint = Kernel([[(1 - b) * (1 - r), (1 - b) * r], [b * (1 - r), b * r]], [], [Act, Verdict],
                   params=[beta, recall])
    post = joint.condition(verdict="flag")
    assert sympy.simplify(post.prob("backdoor") - b) == 0  # act and verdict independent here


def test_tv_kl_entropy_closed_forms():
    p = Kernel([0.5, 0.5], [], [Verdict])
    q = Kernel([0.9, 0.1], [], [Verdict])
    assert math.isclose(p.tv(q), 0.4)
    assert math.isclose(p.kl(q), 0.5 * math.log(0.5 / 0.9) + 0.5 * math.log(0.5 / 0.1))
    assert math.isclose(q.kl(p), 0.9 * math.log(0.9 / 0.5) + 0.1 * math.log(0.1 / 0.5))
    assert math.isclose(p.entropy(), math.log(2))
    assert math.isclose(Kernel.uniform([Three]).entropy(), math.log(3))
    assert Kernel.point([Three], "b").entropy() == 0.0
    assert p.kl(Kernel.point([Verdict], "pass")) == math.inf
    assert Kernel.point([Verdict], "pass").kl(p) == pytest.approx(math.log(2))


def test_tv_kl_entropy_of_kernels_are_worst_case_over_inputs():
    m = monitor()
    n = Kernel([[0.98, 0.02], [0.5, 0.5]], [Act], [Verdict])
    assert math.isclose(m.tv(n), 0.2)
    assert math.isclose(m.kl(n), 0.3 * math.log(0.3 / 0.5) + 0.7 * math.log(0.7 / 0.5))
    assert math.isclose(m.entropy(), -(0.3 * math.log(0.3) + 0.7 * math.log(0.7)))
    with pytest.raises(TypeMismatch) as e:
        m.tv(Kernel([0.5, 0.5], [], [Verdict]))
    assert str(e.value) == ("comparison (inputs): act: Act has 1 port(s) but I has 0\n"
                            "  fix: compose kernels whose outputs match the next inputs one for one")


@given(kernels(max_ports=1), seeds)
def test_tv_is_a_metric_bounded_by_pinsker(k, seed):
    other = kernel_of(np.random.default_rng(seed), [p.type for p in k.dom], [p.type for p in k.cod])
    assert k.tv(k) == 0.0 and 0.0 <= k.tv(other) <= 1.0 and math.isclose(k.tv(other), other.tv(k))
    assert k.tv(other) <= math.sqrt(k.kl(other) / 2) + 1e-12  # Pinsker


def test_sample_frequencies():
    d = Kernel([0.2, 0.5, 0.3], [], [Three])
    draws = d.sample(20_000, seed=7)
    freq = {x: draws.count((x,)) / len(draws) for x in Three}
    assert freq == pytest.approx({"a": 0.2, "b": 0.5, "c": 0.3}, abs=0.015)  # 5 standard errors
    assert d.sample(50, seed=1) == d.sample(50, seed=1)


def test_sample_of_a_kernel_at_an_input_and_of_a_joint():
    m = monitor()
    draws = m.sample(20_000, seed=3, act="backdoor")
    assert abs(draws.count(("flag",)) / 20_000 - 0.7) < 0.02
    joint = Kernel.from_table({("clean", "pass"): 0.25, ("backdoor", "flag"): 0.75}, [], [Act, Verdict])
    pairs = joint.sample(1000, seed=0)
    assert set(pairs) == {("clean", "pass"), ("backdoor", "flag")}
    with pytest.raises(ShapeError) as e:
        m.sample(5, seed=0)
    assert str(e.value) == "kernel 'monitor': sample needs every input by name\n  fix: pass act=..."


def test_is_deterministic():
    assert identity(Act).is_deterministic and copy(Act).is_deterministic and swap(Act, Bit).is_deterministic
    assert discard(Act).is_deterministic
    assert Kernel.point([Verdict], "flag").is_deterministic
    assert not monitor().is_deterministic
    assert not Kernel([1 - beta, beta], [], [Act], params=[beta]).is_deterministic


def test_structure_maps():
    assert copy(Bit, 3).array[1, 1, 1, 1] == 1.0 and copy(Bit, 3).array.sum() == 2
    assert [p.name for p in copy(Act).cod] == ["act1", "act2"]
    assert copy(Act, 0).allclose(discard(Act)) and copy(Act, 1).allclose(identity(Act))
    with pytest.raises(ShapeError) as e:
        copy(Act, -1)
    assert str(e.value) == ("copy[Act]: number of copies -1 is not a non-negative integer\n"
                            "  fix: use copy(A, n) with n >= 0")
    s = swap(Act, Bit)
    assert [p.name for p in s.dom] == ["act", "bit"] and [p.name for p in s.cod] == ["bit", "act"]
    assert s.prob("1", "backdoor", act="backdoor", bit="1") == 1.0
    assert [p.name for p in swap(Act, Act).dom] == ["a", "b"]
    assert [p.name for p in swap(FinSet("x", ["0"]), FinSet("X", ["1"])).dom] == ["a", "b"]


def test_compose_type_mismatch():
    with pytest.raises(TypeMismatch) as e:
        monitor() >> monitor()
    assert str(e.value) == ("monitor >> monitor, position 1 (verdict → act): Verdict does not match Act\n"
                            "  fix: insert a kernel Verdict → Act or fix the wiring")
    with pytest.raises(TypeMismatch) as e:
        monitor() >> discard(Verdict) >> monitor()
    assert "has 0 port(s) but act: Act has 1" in str(e.value)


def test_symbolic_composition_matches_numeric():
    policy = Kernel([1 - beta, beta], [], [Act], params=[beta], name="policy")
    r = recall.symbol
    m = Kernel([[1, 0], [1 - r, r]], [Act], [Verdict], params=[recall], name="monitor")
    both = policy >> m
    assert sympy.expand(both.prob("flag") - beta.symbol * r) == 0
    assert both.params == {"beta": beta, "recall": recall}
    at = {"beta": 0.3, "recall": 0.6}
    assert np.allclose(both.subs(at).array, (policy.subs({"beta": 0.3}) >> m.subs({"recall": 0.6})).array)
    assert sympy.expand(both.simplify().prob("flag") - beta.symbol * r) == 0


# ----- display ----------------------------------------------------------------------------
def test_prints_as_a_labelled_table():
    assert str(monitor()) == (
        "Kernel(monitor: act: Act → verdict: Verdict)\n"
        "act      │ verdict  P\n"
        "-------- │ -------  ----\n"
        "clean    │ pass     0.98\n"
        "clean    │ flag     0.02\n"
        "backdoor │ pass     0.3\n"
        "backdoor │ flag     0.7")
    assert repr(monitor()) == "Kernel(monitor: act: Act → verdict: Verdict)"


def test_distribution_and_symbolic_tables():
    assert str(Kernel.point([Verdict], "flag", name="d")) == ("Kernel(d: I → verdict: Verdict)\n"
                                                              "verdict  P\n-------  -\nflag     1")
    policy = Kernel([1 - beta, beta], [], [Act], params=[beta], name="policy")
    assert str(policy).splitlines()[3:] == ["clean     1 - beta", "backdoor  beta"]


def test_long_tables_are_cut():
    k = Kernel.uniform([FinSet("Big", range(300))], name="u")
    lines = str(k).splitlines()
    assert len(lines) == 3 + 200 + 1 and lines[-1] == "… 100 more rows"


def test_html_table_for_jupyter():
    html = monitor()._repr_html_()
    assert html.startswith("<p><code>Kernel(monitor: act: Act → verdict: Verdict)</code></p><table>")
    assert '<thead><tr><th>act</th><th style="border-left: 2px solid">verdict</th><th>P</th></tr></thead>' in html
    assert '<tr><td>backdoor</td><td style="border-left: 2px solid">flag</td><td>0.7</td></tr>' in html
    assert html.count("<tr>") == 5
    odd = Kernel.point([FinSet("Tag", ["<b>", "&"])], "<b>")._repr_html_()
    assert "<td>&lt;b&gt;</td>" in odd and "<b>" not in odd  # labels are escaped


def test_empty_kernel_is_the_unit():
    e = Kernel(1.0, [], [])
    assert (e @ monitor()).allclose(monitor()) and (monitor() @ e).allclose(monitor())
    assert str(e) == "Kernel(kernel: I → I)\nP\n-\n1"


def test_allclose():
    m = monitor()
    assert m.allclose(Kernel([[0.98, 0.02], [0.3 + 1e-11, 0.7 - 1e-11]], [Act], [Verdict]))
    assert not m.allclose(Kernel([[0.98, 0.02], [0.3 + 1e-9, 0.7 - 1e-9]], [Act], [Verdict]))
    assert not m.allclose(Kernel(m.array, [Verdict], [Verdict]))  # same numbers, other types
    b = beta.symbol
    policy = Kernel([1 - beta, beta], [], [Act], params=[beta])
    assert policy.allclose(Kernel([(1 - b) * 1.0, b * 1.0], [], [Act], params=[beta]))
    assert not policy.allclose(Kernel([b, 1 - b], [], [Act], params=[beta]))
    assert not policy.allclose(Kernel([0.9, 0.1], [], [Act]))


def test_a_look_alike_symbol_is_not_the_parameter():
    x = sympy.Symbol("beta")  # not real=True, so not beta.symbol
    with pytest.raises(ParameterError) as e:
        Kernel([x, 1 - x], [], [Act], params=[beta], name="policy")
    assert str(e.value) == ("kernel 'policy': uses a symbol 'beta' that is not the parameter's own symbol (other "
                            "sympy assumptions)\n  fix: write entries with the Parameter itself or its .symbol")


# ----- every evaluated table is a probability table (issue 11) -------------------------------------------------
def _two_box_net(entries, param):
    """A net whose monitor is not checked when built (a table that leaves its domain is refused then): these
    tests are of the second line, the check of every evaluated table."""
    from markovwire import Net
    B = FinSet("B", ["0", "1"])
    net = Net()
    net.add_box("prior", Kernel([0.5, 0.5], [], [B]), [], ["x"])
    net.add_box("monitor", Kernel(entries, [("x", B)], [("y", Verdict)], params=[param], name="m", check=False),
                ["x"], ["y"])
    net.set_outputs("y")
    return net


def test_a_sweep_names_its_first_offending_point_and_the_box():
    fpr = Parameter("fpr", (0, 1), default=0.1)
    f = fpr.symbol
    net = _two_box_net([[1 - 2 * f, 2 * f], [0.3, 0.7]], fpr)
    good = net.evaluate({"fpr": np.linspace(0, 0.5, 6)})
    assert np.asarray(good).shape == (6, 2) and np.all(np.asarray(good) >= 0)
    with pytest.raises(NotStochastic) as e:
        net.evaluate({"fpr": np.linspace(0, 1, 11)})
    assert str(e.value) == ("box 'monitor' (kernel 'm'), row (x=0) at fpr=0.6: has negative entry -0.2 at output "
                            "y=pass\n  fix: restrict fpr's domain to [0, 0.5] in parameters: (there every entry of "
                            "this row is non-negative), or rewrite the entry")
    assert e.value.box == "monitor"


def test_the_cheap_bounds_may_fail_where_the_exact_check_passes():
    # p - p**2 >= 0 on [0, 1], but the bound over the basis {p, p**2} is 0 - 1: the exact check must clear it
    p = Parameter("p", (0, 1))
    s = p.symbol
    net = _two_box_net([[s - s**2, 1 - s + s**2], [0.3, 0.7]], p)
    grid = np.linspace(0, 1, 101)
    out = np.asarray(net.evaluate({"p": grid}))
    expected = 0.5 * (grid - grid**2) + 0.5 * 0.3
    assert out[:, 0] == pytest.approx(expected)


def test_an_undefined_entry_names_the_culprit_and_the_values():
    p = Parameter("p", (0, 1))
    s = p.symbol
    net = _two_box_net([[s / (s + s**2), 1 - s / (s + s**2)], [0.3, 0.7]], p)
    assert np.asarray(net.evaluate({"p": 0.5}).array)[0] == pytest.approx(0.5 / 1.5 + 0.15)
    with pytest.raises(NotStochastic) as e:
        net.evaluate({"p": np.array([0.5, 0.0])})
    assert e.value.what == ("entry y=pass: p/(p**2 + p) is undefined (0/0 or similar): it divides by p**2 + p, "
                            "which is 0")
    assert str(e.value.where) == "box 'monitor' (kernel 'm'), row (x=0) at p=0"


def test_table_violation_finds_the_first_point_row_and_entry():
    from markovwire.kernel import table_violation
    ok = np.array([[[0.5, 0.5], [1.0, 0.0]]] * 3)
    assert table_violation(ok) is None
    bad = ok.copy()
    bad[2, 1] = [0.5, 0.4]
    bad[1, 0] = [np.nan, 1.0]
    assert table_violation(bad) == (1, 0, 0, "nonfinite")
    bad[1, 0] = [0.5, 0.5]
    assert table_violation(bad) == (2, 1, -1, "sum")


def test_a_huge_symbolic_row_is_checked_numerically_not_expanded():
    from markovwire.kernel import _expansion_size
    p, q = Parameter("p", (0, 1)), Parameter("q", (0, 1))
    big = (p.symbol + q.symbol + p.symbol * q.symbol + 2 * q.symbol) ** 1000 / sympy.Integer(10) ** 1000
    assert _expansion_size(big) > 500
    Kernel([big, 1 - big], [], [Verdict], params=[p, q])           # sums to one: accepted
    with pytest.raises(NotStochastic) as e:
        Kernel([big, sympy.Rational(1, 2) + (p.symbol + q.symbol) ** 900 / 2**900], [], [Verdict], params=[p, q])
    assert e.value.what.startswith("entries sum to 0.5 at p=0, q=0, not 1 (the sum is too large to simplify")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1, 2), min_size=1, max_size=8))
def test_every_sweep_point_outside_the_tables_domain_is_refused(values):
    # the entry a + (1 - a)*x is a probability for x in [0, 1] only; the answer is right or refused
    from markovwire.errors import MarkovwireError
    x = Parameter("x", (-1, 2))
    net = _two_box_net([[0.2 + 0.8 * x.symbol, 0.8 - 0.8 * x.symbol], [0.3, 0.7]], x)
    grid = np.array(values)
    inside = bool(np.all((grid >= -0.25 - 1e-12) & (grid <= 1 + 1e-12)))
    try:
        out = np.asarray(net.evaluate({"x": grid}))
    except MarkovwireError as err:
        assert not inside and isinstance(err, NotStochastic)
        return
    assert inside
    assert out[:, 0] == pytest.approx(0.5 * (0.2 + 0.8 * grid) + 0.5 * 0.3)


@settings(max_examples=60, deadline=None)
@given(hostile_expressions(("beta",)), hostile_expressions(("beta",)))
def test_hostile_rows_are_checked_with_bounded_work(first, second):
    # a row [e, 1 - f] of hostile expressions: a kernel whose values are probabilities, or a markovwire error
    from markovwire.errors import MarkovwireError
    from markovwire.expr import parse_expression
    b = Parameter("beta", (0, 1), default=0.5)

    def run():
        try:
            e, f = (parse_expression(t, {"beta": b.symbol}) for t in (first, second))
            k = Kernel([e, 1 - f], [], [Verdict], params=[b])
            arr = k.numeric({"beta": np.array([0.0, 0.3, 1.0])})
        except MarkovwireError:
            return
        assert np.all(np.isfinite(arr)) and np.all(arr >= -1e-9) and np.allclose(arr.sum(axis=-1), 1)
    bounded(run)
