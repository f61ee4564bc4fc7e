"""The text syntax of string diagrams and types: what it builds, and what it refuses (and where)."""
from __future__ import annotations

import doctest

import numpy as np
import pytest
from hypothesis import given, strategies as st

import markovwire.diagrams.syntax as syntax
from markovwire import ExpressionError, FinSet, Kernel, UnknownName, copy, discard, identity, swap
from markovwire.diagrams import Box
from markovwire.diagrams.syntax import parse_diagram, parse_type, type_names
from markovwire.errors import MarkovwireError, TypeMismatch

Act = FinSet("Act", ["clean", "attack"])
V = FinSet("Verdict", ["pass", "flag"])
TYPES = {"Act": Act, "Verdict": V}

POLICY = Kernel([0.9, 0.1], [], [("act", Act)], name="policy")
MONITOR = Kernel([[0.95, 0.05], [0.3, 0.7]], [("act", Act)], [("verdict", V)], name="monitor")
AUDIT = Kernel([[[1, 0], [0.2, 0.8]], [[1, 0], [0.1, 0.9]]], [("verdict", V), ("act", Act)], [("alarm", V)],
               name="audit")
BOXES = {"policy": Box.of(POLICY), "monitor": Box.of(MONITOR), "audit": Box.of(AUDIT)}


def kernel_of(text: str) -> Kernel:
    return parse_diagram(text, BOXES, TYPES).evaluate()


def test_doctests():
    assert doctest.testmod(syntax).failed == 0


def test_a_pipeline_equals_the_kernel_algebra():
    got = kernel_of("policy >> copy(Act) >> (monitor @ id(Act)) >> audit")
    want = POLICY >> copy(Act) >> (MONITOR @ identity(Act)) >> AUDIT
    assert np.allclose(got.array, want.array)


def test_bare_plumbing_infers_its_types():
    got = kernel_of("policy >> copy >> (monitor @ id)")
    want = POLICY >> copy(Act) >> (MONITOR @ identity(Act))
    assert np.allclose(got.array, want.array)


def test_copy_n_swap_and_discard():
    got = kernel_of("policy >> copy(Act, 3) >> (monitor @ swap(Act, Act)) >> (id(Verdict) @ discard(Act) @ id(Act))")
    want = POLICY >> copy(Act, 3) >> (MONITOR @ swap(Act, Act)) >> (identity(V) @ discard(Act) @ identity(Act))
    assert np.allclose(got.array, want.array)


def test_sizes_in_plumbing_may_be_named():
    d = parse_diagram("policy >> copy(Act, n)", BOXES, TYPES, sizes={"n": 4})
    assert len(d.cod) == 4


def test_at_binds_tighter_than_then_as_in_python():
    got = kernel_of("policy >> monitor @ policy")
    want = POLICY >> (MONITOR @ POLICY)
    assert np.allclose(got.array, want.array)
    grouped = kernel_of("(policy >> monitor) @ policy")
    assert np.allclose(grouped.array, ((POLICY >> MONITOR) @ POLICY).array)


@pytest.mark.parametrize("text, what, column", [
    ("policy >> monitr", "unknown name 'monitr' (did you mean 'monitor'?)", 11),
    ("policy.__class__", "attribute access is not allowed", 1),
    ("policy[0]", "indexing is not allowed", 1),
    ("lambda: policy", "lambda is not allowed", 1),
    ("policy >> monitor + audit", "operator '+' does not combine diagrams", 11),
    ("policy >> eval(monitor)", "'eval' cannot be called; only copy, discard, swap and id take arguments", 11),
    ("policy >> copy(A=Act)", "keyword arguments are not allowed", 11),
    ("policy >> 3", "the constant 3 is not a diagram", 11),
    ("policy >> (monitor, audit)", "tuples are not allowed", 11),
    ("policy >> copy(Act, 100)", "copy makes between 1 and 64 copies, not 100", 11),
    ("policy >> swap(Act)", "swap takes swap(A, B), not these arguments", 11),
    ("policy >> copy(Actt)", "unknown type 'Actt' (did you mean 'Act'?)", 16),
    ("policy >> -monitor", "unary operators are not allowed", 11),
])
def test_refusals_name_what_and_the_column(text, what, column):
    with pytest.raises((ExpressionError, UnknownName)) as info:
        parse_diagram(text, BOXES, TYPES, where="p.yaml:7: diagram")
    assert info.value.where == "p.yaml:7: diagram"
    assert info.value.what == f"{what} (column {column})"
    assert info.value.fix


def test_syntax_errors_and_limits():
    with pytest.raises(ExpressionError, match=r"is not well formed: .* \(column \d+\)"):
        parse_diagram("policy >> (monitor", BOXES, TYPES)
    with pytest.raises(ExpressionError, match="is empty"):
        parse_diagram("   ", BOXES, TYPES)
    with pytest.raises(ExpressionError, match="characters long"):
        parse_diagram("policy >> " * 300 + "policy", BOXES, TYPES)
    with pytest.raises(ExpressionError, match="nested more than"):
        parse_diagram("(" * 60 + "policy" + ")" * 60, BOXES, TYPES)
    with pytest.raises(ExpressionError, match=r"character '⊗' is not allowed \(column 8\)"):
        parse_diagram("policy ⊗ policy", BOXES, TYPES)
    with pytest.raises(ExpressionError, match="too large"):
        parse_diagram(" @ ".join(["p"] * 401), {"p": BOXES["policy"]}, TYPES)


def test_type_errors_of_composition_are_placed_at_the_operator():
    with pytest.raises(TypeMismatch) as info:
        parse_diagram("policy >> audit", BOXES, TYPES, where="f.yaml:3: diagram")
    assert info.value.where == "f.yaml:3: diagram (column 8, '>>')"
    assert info.value.what.startswith("policy >> audit: policy has 1 output(s)") and "2 input(s)" in info.value.what


def test_nothing_is_ever_evaluated(tmp_path):
    flag = tmp_path / "pwned"
    payloads = [f"__import__('os').system('touch {flag}')", f"open('{flag}', 'w')",
                "().__class__.__bases__[0].__subclasses__()", f"copy(__import__('os').system('touch {flag}'))"]
    for text in payloads:
        with pytest.raises(MarkovwireError):
            parse_diagram(text, BOXES, TYPES)
    assert not flag.exists()


# ----- types ----------------------------------------------------------------------------------
def test_type_families():
    assert parse_type("Range(3)", {}).elements == ("0", "1", "2")
    assert parse_type("Vec(Verdict, 2)", TYPES).elements == ("pass,pass", "pass,flag", "flag,pass", "flag,flag")
    assert parse_type("Product(Act, Verdict)", TYPES).elements == ("clean,pass", "clean,flag", "attack,pass",
                                                                  "attack,flag")
    assert parse_type("Range(2 * n + 1)", {}, sizes={"n": 2}).elements == tuple("01234")
    Ended = FinSet("Ended", ["shutdown", "catastrophe"])
    assert parse_type("Sum(Range(2), Ended)", {"Ended": Ended}).elements == ("0", "1", "shutdown", "catastrophe")
    assert parse_type("Verdict", TYPES) is V


@pytest.mark.parametrize("text, kind, what", [
    ("Verdit", UnknownName, "unknown type 'Verdit' (did you mean 'Verdict'?) (column 1)"),
    ("Range(0)", ExpressionError, "size 0 is not a positive integer (column 1)"),
    ("Range(n)", UnknownName, "unknown size 'n' (column 7)"),
    ("Range(Act)", UnknownName, "unknown size 'Act' (column 7)"),
    ("Range(2.5)", ExpressionError, "is not a whole number (column 7)"),
    ("Vec(Verdict)", ExpressionError, "Vec takes Vec(A, n) (column 1)"),
    ("Foo(Act)", UnknownName, "'Foo' is not a type family (column 1)"),
    ("Range(10**9)", ExpressionError, "operator '**' is not allowed (column 7)"),
    ("Range(1000 * 1000 * 1000)", ExpressionError, "size 1000000000 is too large (at most 1000000) (column 7)"),
    ("Sum(Act, Act)", ExpressionError, "the label 'attack' is in more than one part of the Sum (column 1)"),
])
def test_type_refusals(text, kind, what):
    with pytest.raises(kind) as info:
        parse_type(text, TYPES, where="lib.yaml:4: types.X")
    assert info.value.where == "lib.yaml:4: types.X"
    assert info.value.what == what


def test_type_names_lists_the_names_a_type_refers_to():
    assert type_names("Sum(Range(B + 1), Ended)") == {"B", "Ended"}
    assert type_names("not ( valid") == set()


# ----- random expressions agree with composition by hand ----------------------------------------
LEAVES = {"policy": (POLICY, 0, [Act]), "monitor": (MONITOR, 1, [V])}


@st.composite
def pipelines(draw, depth: int = 3):
    """A text and the kernel it means: sequences and tensors of pipelines from no inputs."""
    if depth == 0 or draw(st.booleans()):
        if draw(st.booleans()):
            return "policy", POLICY
        return "(policy >> monitor)", POLICY >> MONITOR
    left_t, left_k = draw(pipelines(depth - 1))
    right_t, right_k = draw(pipelines(depth - 1))
    return f"({left_t} @ {right_t})", left_k @ right_k


@given(pipelines())
def test_random_tensors_of_pipelines_evaluate_like_the_kernel_algebra(case):
    text, want = case
    got = parse_diagram(text, BOXES, TYPES).evaluate()
    assert got.array.shape == want.array.shape
    assert np.allclose(got.array, want.array)
