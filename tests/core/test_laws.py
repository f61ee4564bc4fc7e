"""The laws of a Markov category, as property tests over random finite sets and kernels.

Kernels are drawn with Dirichlet rows, some entries zero; finite sets have 1-4
elements. Equality is entrywise within 1e-10 with equal types.
"""
from __future__ import annotations

import numpy as np
import sympy
from hypothesis import given, strategies as st

from markovwire import FinSet, Kernel, Parameter, copy, discard, identity, swap

from strategies import deterministic_of, finsets, kernel_of, seeds

I = Kernel(1.0, [], [])  # noqa: E741 (the monoidal unit, as written in the laws): the kernel of the empty bundle


def rng_of(seed):
    return np.random.default_rng(seed)


def same(a: Kernel, b: Kernel) -> bool:
    return a.allclose(b, atol=1e-10)


types = finsets()
bundles = st.lists(finsets(), min_size=1, max_size=2)


def id_of(bundle) -> Kernel:
    """The identity on a bundle of types (the tensor of identities; I for the empty bundle)."""
    out = I
    for t in bundle:
        out = out @ identity(t)
    return out


@given(seeds, types, types, types, types)
def test_sequential_composition_is_associative(seed, A, B, C, D):
    r = rng_of(seed)
    f, g, h = kernel_of(r, [A], [B]), kernel_of(r, [B], [C]), kernel_of(r, [C], [D])
    assert same((f >> g) >> h, f >> (g >> h))


@given(seeds, bundles, bundles, bundles)
def test_composition_of_bundles_is_associative(seed, A, B, C):
    r = rng_of(seed)
    f, g, h = kernel_of(r, A, B), kernel_of(r, B, C), kernel_of(r, C, A)
    assert same((f >> g) >> h, f >> (g >> h))


@given(seeds, types, types)
def test_composition_is_matrix_product_in_diagrammatic_order(seed, A, B):
    r = rng_of(seed)
    f, g = kernel_of(r, [A], [B]), kernel_of(r, [B], [A])
    assert np.allclose((f >> g).array, f.array @ g.array, atol=1e-12)


@given(seeds, types, types, types, types, types, types)
def test_tensor_is_associative(seed, A, B, C, D, E, F):
    r = rng_of(seed)
    f, g, h = kernel_of(r, [A], [B]), kernel_of(r, [C], [D]), kernel_of(r, [E], [F])
    assert same((f @ g) @ h, f @ (g @ h))


@given(seeds, bundles, bundles)
def test_identities_are_units_of_composition(seed, A, B):
    f = kernel_of(rng_of(seed), A, B)
    assert same(id_of(A) >> f, f) and same(f >> id_of(B), f)


@given(seeds, bundles, bundles)
def test_empty_bundle_is_the_unit_of_tensor(seed, A, B):
    f = kernel_of(rng_of(seed), A, B)
    assert same(I @ f, f) and same(f @ I, f)
    assert same(Kernel(1.0, [], []) >> Kernel(1.0, [], []), I)


@given(seeds, types, types)
def test_tensor_of_distributions_is_the_outer_product(seed, A, B):
    r = rng_of(seed)
    p, q = kernel_of(r, [], [A]), kernel_of(r, [], [B])
    assert np.allclose((p @ q).array, np.outer(p.array, q.array), atol=1e-15)


@given(seeds, types, types, types, types, types, types)
def test_interchange_law(seed, A, B, C, D, E, F):
    r = rng_of(seed)
    f, g = kernel_of(r, [A], [B]), kernel_of(r, [C], [D])
    h, k = kernel_of(r, [B], [E]), kernel_of(r, [D], [F])
    assert same((f @ g) >> (h @ k), (f >> h) @ (g >> k))


@given(types, types)
def test_swap_is_its_own_inverse(A, B):
    assert same(swap(A, B) >> swap(B, A), identity(A) @ identity(B))


@given(seeds, types, types, types, types)
def test_swap_is_natural(seed, A, B, C, D):
    r = rng_of(seed)
    f, g = kernel_of(r, [A], [B]), kernel_of(r, [C], [D])
    assert same((f @ g) >> swap(B, D), swap(A, C) >> (g @ f))


@given(types, types, types)
def test_swap_hexagon(A, B, C):
    """Swapping A past B ⊗ C is two swaps."""
    past = Kernel.deterministic(lambda a, b, c: (b, c, a), [A, B, C], [B, C, A])
    assert same((swap(A, B) @ identity(C)) >> (identity(B) @ swap(A, C)), past)


@given(types)
def test_copy_is_commutative(A):
    assert same(copy(A) >> swap(A, A), copy(A))


@given(types)
def test_copy_is_associative(A):
    left = copy(A) >> (copy(A) @ identity(A))
    right = copy(A) >> (identity(A) @ copy(A))
    assert same(left, right) and same(left, copy(A, 3))


@given(types)
def test_copy_is_counital(A):
    assert same(copy(A) >> (discard(A) @ identity(A)), identity(A))
    assert same(copy(A) >> (identity(A) @ discard(A)), identity(A))


@given(types, types)
def test_copy_of_a_pair_is_two_copies_and_a_swap(A, B):
    pair = Kernel.deterministic(lambda a, b: (a, b, a, b), [A, B], [A, B, A, B])
    assert same((copy(A) @ copy(B)) >> (identity(A) @ swap(A, B) @ identity(B)), pair)


@given(types, types)
def test_discard_of_a_pair_is_two_discards(A, B):
    assert same(discard(A) @ discard(B), Kernel(np.ones((len(A), len(B))), [A, B], []))


@given(seeds, bundles, bundles)
def test_discard_is_natural_for_every_kernel(seed, A, B):
    f = kernel_of(rng_of(seed), A, B)
    discard_B = I
    for t in B:
        discard_B = discard_B @ discard(t)
    discard_A = I
    for t in A:
        discard_A = discard_A @ discard(t)
    assert same(f >> discard_B, discard_A)


@given(seeds, types, types)
def test_copy_is_natural_for_deterministic_kernels(seed, A, B):
    f = deterministic_of(rng_of(seed), [A], [B])
    assert f.is_deterministic
    assert same(f >> copy(B), copy(A) >> (f @ f))


@given(seeds, types, types, st.sampled_from([0.0, 0.3, 0.9]))
def test_copy_is_natural_exactly_when_the_kernel_is_deterministic(seed, A, B, zeros):
    f = kernel_of(rng_of(seed), [A], [B], zeros=zeros)
    assert same(f >> copy(B), copy(A) >> (f @ f)) == f.is_deterministic


def test_copy_naturality_fails_for_a_noisy_kernel():
    Bit = FinSet("Bit", ["0", "1"])
    noise = Kernel([[0.9, 0.1], [0.2, 0.8]], [Bit], [Bit])
    assert not same(noise >> copy(Bit), copy(Bit) >> (noise @ noise))
    # one draw copied is perfectly correlated; two draws are independent
    coin = Kernel([0.5, 0.5], [], [Bit])
    assert np.allclose((coin >> copy(Bit)).array, [[0.5, 0], [0, 0.5]])
    assert np.allclose((coin @ coin).array, 0.25)


@given(seeds, types, types)
def test_deterministic_kernels_compose_as_functions(seed, A, B):
    r = rng_of(seed)
    fa = {a: B[r.integers(len(B))] for a in A}
    gb = {b: A[r.integers(len(A))] for b in B}
    f = Kernel.deterministic(fa.get, [A], [B])
    g = Kernel.deterministic(gb.get, [B], [A])
    assert same(f >> g, Kernel.deterministic(lambda a: gb[fa[a]], [A], [A]))


def test_laws_hold_symbolically():
    p = Parameter("p", (0, 1))
    Bit = FinSet("Bit", ["0", "1"])
    s = p.symbol
    f = Kernel([[s, 1 - s], [1 - s, s]], [Bit], [Bit], params=[p])
    g = Kernel([[1 - s, s], [0, 1]], [Bit], [Bit], params=[p])
    lhs, rhs = (f @ g) >> (g @ f), (f >> g) @ (g >> f)
    assert all(sympy.expand(a - b) == 0 for a, b in zip(lhs.array.flat, rhs.array.flat))
    assert (f >> discard(Bit)).allclose(discard(Bit))  # entries cancel to numbers: the result is numeric
