"""Finite types: FinSet, families, dependent pairs, type variables and bundles."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given

from markovwire import (
    UNIT,
    Candidates,
    FinSet,
    Port,
    Product,
    Range,
    ShapeError,
    Sigma,
    TypeMismatch,
    TypeVar,
    UnknownName,
    Vec,
    bundle,
    show_bundle,
    unify,
)

from strategies import finsets

Verdict = FinSet("Verdict", ["pass", "flag"])
Act = FinSet("Act", ["clean", "backdoor"])


def test_finset_labels_order_and_lookup():
    assert Verdict.elements == ("pass", "flag")
    assert list(Verdict) == ["pass", "flag"]
    assert len(Verdict) == 2
    assert Verdict.index("flag") == 1
    assert Verdict[0] == "pass" and Verdict[-1] == "flag"
    assert "pass" in Verdict and "maybe" not in Verdict
    assert repr(Verdict) == "Verdict{pass, flag}"


def test_finset_labels_are_strings():
    R = FinSet("R", [0, 1, 2])
    assert R.elements == ("0", "1", "2")
    assert R.index(2) == 2 and 1 in R


def test_finset_equality_by_name_and_elements():
    assert FinSet("Verdict", ["pass", "flag"]) == Verdict
    assert hash(FinSet("Verdict", ["pass", "flag"])) == hash(Verdict)
    assert FinSet("Verdict", ["flag", "pass"]) != Verdict  # order matters: it fixes the array axis
    assert FinSet("Other", ["pass", "flag"]) != Verdict


def test_finset_long_repr_is_elided():
    assert repr(Range(20)) == "Range(20){0, 1, 2, 3, 4, 5, …, 19}"


def test_finset_duplicates():
    with pytest.raises(ShapeError) as e:
        FinSet("V", ["pass", "flag", "pass", "x", "x"])
    assert str(e.value) == "type 'V': repeats the element(s) pass, x\n  fix: give each element a distinct label"


def test_finset_duplicates_after_conversion_to_labels():
    with pytest.raises(ShapeError, match=r"repeats the element\(s\) 1"):
        FinSet("N", [1, "1"])


def test_finset_empty():
    with pytest.raises(ShapeError) as e:
        FinSet("Nothing", [])
    assert str(e.value) == "type 'Nothing': has no elements\n  fix: give at least one element"


def test_finset_unknown_label_and_position():
    with pytest.raises(UnknownName) as e:
        Verdict.index("maybe")
    assert str(e.value) == "type Verdict: has no element 'maybe'\n  fix: use one of: pass, flag"
    with pytest.raises(UnknownName) as e:
        Verdict[2]
    assert str(e.value) == "type Verdict: has no position 2 (it has 2 elements)\n  fix: use a position from 0 to 1"


def test_unit():
    assert len(UNIT) == 1


def test_range():
    assert Range(3).elements == ("0", "1", "2")
    assert Range(3).name == "Range(3)"
    assert Range(np.int64(2)) == Range(2)


@pytest.mark.parametrize("n", [0, -1, 2.5, True, "3"])
def test_range_refuses_non_positive_sizes(n):
    with pytest.raises(ShapeError) as e:
        Range(n)
    assert str(e.value) == f"Range(n): size {n!r} is not a positive integer\n  fix: use Range(n) with n >= 1"


def test_range_too_large():
    with pytest.raises(ShapeError) as e:
        Range(10**7)
    assert str(e.value) == ("type Range(10000000): would have 10000000 elements\n"
                            "  fix: keep finite types below 1000000 elements")


def test_vec_and_candidates():
    v = Vec(Verdict, 2)
    assert v.name == "Vec(Verdict, 2)"
    assert v.elements == ("pass,pass", "pass,flag", "flag,pass", "flag,flag")
    assert Candidates(Verdict, 3) == Vec(Verdict, 3)
    assert len(Vec(Range(3), 4)) == 81
    with pytest.raises(ShapeError) as e:
        Vec(Verdict, 0)
    assert str(e.value) == "Vec(A, n): length 0 is not a positive integer\n  fix: use Vec(A, n) with n >= 1"
    with pytest.raises(ShapeError) as e:
        Vec(Range(10), 7)
    assert str(e.value) == ("type Vec(Range(10), 7): would have 10000000 elements\n"
                            "  fix: keep finite types below 1000000 elements")


def test_vec_of_a_type_variable_is_refused():
    with pytest.raises(TypeMismatch) as e:
        Vec(TypeVar("A"), 2)
    assert str(e.value) == "Vec: A is not a finite set\n  fix: build families from FinSets"


@given(finsets(), finsets())
def test_product_is_the_cartesian_product(A, B):
    P = Product(A, B)
    assert len(P) == len(A) * len(B)
    assert P.elements == tuple(f"{a},{b}" for a, b in itertools.product(A, B))
    assert P.name == f"{A.name}×{B.name}"


def test_product_named():
    assert Product(Act, Verdict, name="Outcome").name == "Outcome"


def test_sigma_from_mapping_and_function():
    Tier = FinSet("Tier", ["low", "high"])
    S = Sigma(Tier, {"low": Range(1), "high": Range(2)})
    assert S.elements == ("low,0", "high,0", "high,1")
    assert S.name == "Sigma(Tier)"
    T = Sigma(Range(3), lambda a: Range(int(a) + 1), name="Triangle")
    assert T.name == "Triangle"
    assert T.elements == ("0,0", "1,0", "1,1", "2,0", "2,1", "2,2")


@given(finsets(max_size=3), finsets(max_size=3))
def test_sigma_with_a_constant_family_is_the_product(A, B):
    assert Sigma(A, lambda a: B).elements == Product(A, B).elements


def test_sigma_missing_fiber():
    Tier = FinSet("Tier", ["low", "high"])
    with pytest.raises(UnknownName) as e:
        Sigma(Tier, {"low": Range(1)})
    assert str(e.value) == ("Sigma(Tier, …): the family has no fiber for 'high'\n"
                            "  fix: give a finite set for every element of the index type")


def test_sigma_fiber_not_a_finset():
    with pytest.raises(TypeMismatch) as e:
        Sigma(Verdict, {"pass": Range(1), "flag": 3})
    assert str(e.value) == ("Sigma(Verdict, …), fiber over 'flag': 3 is not a finite set\n"
                            "  fix: build families from FinSets")


def test_bundle_naming():
    b = bundle([Verdict, Verdict, ("act", Act), Port("x", Verdict)])
    assert [p.name for p in b] == ["verdict1", "verdict2", "act", "x"]
    assert [p.type for p in b] == [Verdict, Verdict, Act, Verdict]
    assert bundle([Range(3)])[0].name == "range_3"
    assert show_bundle(b) == "verdict1: Verdict ⊗ verdict2: Verdict ⊗ act: Act ⊗ x: Verdict"
    assert show_bundle(bundle([])) == "I"


def test_bundle_refuses_repeated_names():
    with pytest.raises(TypeMismatch) as e:
        bundle([("a", Verdict), ("a", Act)])
    assert str(e.value) == ("port bundle: repeats the port name(s) a\n"
                            "  fix: give each port in a bundle a distinct name")


def test_type_variables_in_bundles():
    A = TypeVar("A")
    assert repr(bundle([A, A])) == "(a1: A, a2: A)"
    assert TypeVar("A") == A


def test_unify_success():
    A, B = TypeVar("A"), TypeVar("B")
    subst = unify([A, B, A], [Verdict, Act, Verdict], {})
    assert subst == {A: Verdict, B: Act}
    assert unify([A, Verdict], [Verdict, Verdict], {A: Verdict}) == {A: Verdict}  # extends a given substitution


def test_unify_conflict_on_a_type_variable():
    A = TypeVar("A")
    with pytest.raises(TypeMismatch) as e:
        unify([A, A], [Verdict, Act], {}, where="box 'copy'")
    assert str(e.value) == ("box 'copy', port 2: type variable A is Verdict (from port 1) but got Act\n"
                            "  fix: connect wires of one type to every port typed A")


def test_unify_conflict_with_a_previous_substitution():
    A = TypeVar("A")
    with pytest.raises(TypeMismatch) as e:
        unify([A], [Act], {A: Verdict})
    assert str(e.value) == ("port 1: type variable A is Verdict but got Act\n"
                            "  fix: connect wires of one type to every port typed A")


def test_unify_concrete_mismatch_and_arity():
    with pytest.raises(TypeMismatch) as e:
        unify([Verdict, Act], [Verdict, Verdict], {}, where="box 'm'")
    assert str(e.value) == "box 'm', port 2: expected Act, got Verdict\n  fix: connect a wire of type Act"
    with pytest.raises(TypeMismatch) as e:
        unify([Verdict], [Verdict, Act], {}, where="box 'm'")
    assert str(e.value) == "box 'm': expected 1 port(s), got 2\n  fix: match the number of wires to the number of ports"


def test_bundle_refuses_what_is_not_a_port():
    with pytest.raises(TypeMismatch) as e:
        bundle([Verdict, "act"])
    assert str(e.value) == ("port bundle: 'act' is not a port, a (name, type) pair or a type\n"
                            "  fix: give ports as Port(name, type), (name, FinSet) or a bare FinSet")
    with pytest.raises(TypeMismatch, match=r"\('act', 'Act'\) is not a port"):
        bundle([("act", "Act")])
