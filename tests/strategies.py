"""Hypothesis strategies for random finite sets, kernels and nets, and a brute-force evaluator.

Random arrays come from a numpy generator seeded by hypothesis, so every
example is reproducible; rows are Dirichlet draws with some entries zeroed,
so that kernels with impossible outcomes (and deterministic rows) occur.
"""
from __future__ import annotations

import itertools
import string
from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st

from markovwire import FinSet, Kernel, Net, Parameter

NAMES = ["A", "B", "C", "Act", "Verdict", "X", "Y"]


@st.composite
def finsets(draw, min_size: int = 1, max_size: int = 4) -> FinSet:
    """A finite set of 1-4 distinct labels."""
    n = draw(st.integers(min_size, max_size))
    labels = draw(st.lists(st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=3),
                           min_size=n, max_size=n, unique=True))
    return FinSet(draw(st.sampled_from(NAMES)), labels)


def stochastic(rng: np.random.Generator, shape_in, shape_out, zeros: float = 0.3) -> np.ndarray:
    """An array ``shape_in + shape_out`` whose rows are Dirichlet draws, some entries zeroed."""
    n_in, n_out = int(np.prod(shape_in, dtype=int)), int(np.prod(shape_out, dtype=int))
    rows = rng.dirichlet(np.full(n_out, rng.choice([0.3, 1.0, 3.0])), size=n_in)
    mask = rng.random(rows.shape) < zeros
    mask[np.arange(n_in), rng.integers(0, n_out, n_in)] = False  # keep one entry per row
    rows = np.where(mask, 0.0, rows)
    rows /= rows.sum(axis=1, keepdims=True)
    return rows.reshape(tuple(shape_in) + tuple(shape_out))


def kernel_of(rng, dom, cod, name="k", zeros: float = 0.3) -> Kernel:
    """A random numeric kernel between the given bundles of types."""
    return Kernel(stochastic(rng, [len(t) for t in dom], [len(t) for t in cod], zeros), dom, cod, name=name)


def deterministic_of(rng, dom, cod, name="f") -> Kernel:
    """A random 0/1 kernel (a function) between the given bundles of types."""
    table = {}
    for xs in itertools.product(*(t.elements for t in dom)):
        table[xs] = tuple(t.elements[rng.integers(len(t))] for t in cod)
    return Kernel.deterministic(lambda *xs: table[xs], dom, cod, name=name)


seeds = st.integers(0, 2**32 - 1)


@st.composite
def kernels(draw, dom=None, cod=None, max_ports: int = 2) -> Kernel:
    """A random kernel; its domain and codomain types are drawn unless given."""
    if dom is None:
        dom = draw(st.lists(finsets(), max_size=max_ports))
    if cod is None:
        cod = draw(st.lists(finsets(), max_size=max_ports))
    return kernel_of(np.random.default_rng(draw(seeds)), dom, cod)


@dataclass
class NetSpec:
    """A random net with the data a brute-force evaluation needs."""

    net: Net
    outputs: tuple[str, ...]
    evidence: dict[str, str] = field(default_factory=dict)


def brute_force(net: Net, outputs, evidence=None, values=None) -> tuple[np.ndarray, np.ndarray]:
    """``(P(outputs, evidence | inputs), P(evidence | inputs))`` by summing over every wire assignment.

    Independent of the evaluator: a Python loop over ``itertools.product`` of all wire
    values, multiplying the box entries one by one.
    """
    evidence = evidence or {}
    wires = list(net.wires)
    types = [net.wires[w] for w in wires]
    values = values or {}
    arrays = [b.kernel.subs({k: v for k, v in values.items() if k in b.kernel.params}).array for b in net.boxes]
    shape_in = [len(net.wires[w]) for w in net.inputs]
    shape_out = [len(net.wires[w]) for w in outputs]
    joint = np.zeros(shape_in + shape_out)
    for assignment in itertools.product(*(range(len(t)) for t in types)):
        at = dict(zip(wires, assignment))
        if any(at[w] != net.wires[w].index(lab) for w, lab in evidence.items()):
            continue
        p = 1.0
        for b, arr in zip(net.boxes, arrays):
            p *= arr[tuple(at[w] for w in b.inputs + b.outputs)]
            if p == 0.0:
                break
        joint[tuple(at[w] for w in net.inputs) + tuple(at[w] for w in outputs)] += p
    axes = tuple(range(len(shape_in), joint.ndim))
    return joint, joint.sum(axis=axes) if axes else joint


@st.composite
def nets(draw, shape: str = "dag", max_wires: int = 6, inputs: int | None = None,
         evidence: bool = True, symbolic: bool = False) -> NetSpec:
    """A random net: ``chain``, ``tree`` (one parent per box) or ``dag`` (up to 3 shared parents).

    Some boxes have two outputs, some wires are read by several boxes (copies) or by
    none (discards), some boxes read only and return nothing; outputs may include outer
    inputs, repeated; evidence may fall on any non-input wire, outputs included. With
    ``symbolic``, some boxes are symbolic in the parameters ``p`` and ``q``.
    """
    params = mixing_parameters()
    rng = np.random.default_rng(draw(seeds))
    n_in = draw(st.integers(0, 2)) if inputs is None else inputs
    n_wires = draw(st.integers(max(1, n_in), max_wires))
    types = [FinSet(f"T{i}", [f"v{j}" for j in range(draw(st.integers(1, 3)))]) for i in range(n_wires)]
    net = Net()
    names = [f"w{i}" for i in range(n_wires)]
    net.set_inputs(*names[:n_in], types=types[:n_in])
    i, k = n_in, 0
    while i < n_wires:
        earlier = names[:i]
        if shape == "chain":
            parents = earlier[-1:]
        elif shape == "tree":
            parents = [earlier[draw(st.integers(0, i - 1))]] if earlier else []
        else:
            parents = draw(st.lists(st.sampled_from(earlier), max_size=3, unique=True)) if earlier else []
        n_out = 1 if shape == "chain" or i + 1 == n_wires else draw(st.integers(1, 2))
        outs = names[i:i + n_out]
        dom = [net.wires[w] for w in parents]
        cod = types[i:i + n_out]
        if symbolic and draw(st.booleans()):
            kernel = symbolic_kernel_of(rng, dom, cod, params[draw(st.integers(0, 1))], name=f"b{k}")
        else:
            kernel = kernel_of(rng, dom, cod, name=f"b{k}")
        net.add_box(f"b{k}", kernel, parents, outs)
        i, k = i + n_out, k + 1
    if shape == "dag" and draw(st.booleans()) and n_wires > n_in:  # a box with no outputs (an effect)
        w = names[draw(st.integers(n_in, n_wires - 1))]
        net.add_box(f"b{k}", Kernel(np.ones(len(net.wires[w])), [net.wires[w]], [], name="effect"), [w], [])
    outputs = tuple(draw(st.lists(st.sampled_from(names), max_size=3)))
    net.set_outputs(*outputs)
    ev = {}
    if evidence and n_wires > n_in:
        for w in draw(st.lists(st.sampled_from(names[n_in:]), max_size=2, unique=True)):
            ev[w] = draw(st.sampled_from(net.wires[w].elements))
    return NetSpec(net, outputs, ev)


def mixing_parameters() -> tuple[Parameter, Parameter]:
    """Two parameters on [0, 1] for symbolic kernels that mix two random rows."""
    return Parameter("p", (0, 1), default=0.25), Parameter("q", (0, 1), default=0.6)


def symbolic_kernel_of(rng, dom, cod, param: Parameter, name="s") -> Kernel:
    """``param * K1 + (1 - param) * K2`` for random kernels K1, K2: stochastic for every value."""
    a = stochastic(rng, [len(t) for t in dom], [len(t) for t in cod])
    b = stochastic(rng, [len(t) for t in dom], [len(t) for t in cod])
    p = param.symbol
    arr = np.empty(a.shape, dtype=object)
    for idx in np.ndindex(a.shape):
        arr[idx] = p * float(a[idx]) + (1 - p) * float(b[idx])
    return Kernel(arr, dom, cod, params=[param], name=name)


# ----- hostile expressions (issue 11) ------------------------------------------------------------------------------
HOSTILE_ATOMS = ["0", "1", "2", "-1", "0.5", "3.25", "1e12", "999999999999", "0.000000000001", "pi", "e"]
HOSTILE_FUNCTIONS = ["exp", "log", "sqrt", "erfinv", "Phi_inv", "erf", "abs", "floor", "ceil", "Phi"]


def hostile_expressions(names: tuple[str, ...] = ()):
    """Texts in the expression grammar built to break evaluation: nested exp, powers of +-1000, erfinv and log
    outside their domains, divisions by zero, huge and tiny literals (and the parameter ``names``)."""
    atoms = st.sampled_from(HOSTILE_ATOMS + list(names))
    return st.recursive(atoms, lambda inner: st.one_of(
        st.tuples(st.sampled_from(HOSTILE_FUNCTIONS), inner).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(lambda t: f"({t[0]}) {t[1]} ({t[2]})"),
        st.tuples(inner, st.sampled_from(["2", "3", "-1", "0.5", "-0.5", "1000", "-1000", "999"])).map(
            lambda t: f"({t[0]})**{t[1]}"),
        st.tuples(inner, inner).map(lambda t: f"min({t[0]}, {t[1]})"),
        st.tuples(inner, inner).map(lambda t: f"binomial({t[0]}, {t[1]})"),
        st.tuples(inner, inner, inner).map(lambda t: f"clip({t[0]}, {t[1]}, {t[2]})"),
    ), max_leaves=10)


class Hang(Exception):
    """An example that did not finish under :func:`bounded`'s alarm."""


def bounded(fn, seconds: int = 60):
    """Run ``fn`` under an alarm: a guard against a hang (it fails the example), never a timing assertion."""
    import signal

    def ring(*_):
        raise Hang(f"did not finish in {seconds} s")
    old = signal.signal(signal.SIGALRM, ring)
    signal.alarm(seconds)
    try:
        return fn()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
