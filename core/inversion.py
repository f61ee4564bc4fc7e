"""Bayesian inversion and disintegration: reading a kernel backwards.

A joint state ``ω`` on ``X ⊗ Y`` splits into its marginal ``ω_X`` and a conditional kernel
``c: X → Y`` with ``ω(x, y) = ω_X(x) c(y | x)``, i.e. ``ω = ω_X >> (copy ; id ⊗ c)``
(:func:`disintegrate`). The Bayesian inverse (the dagger) of ``k: X → Y`` with respect to a
prior ``π`` on ``X`` is the conditional of the joint ``π(x) k(y | x)`` given ``y``:
``k†(x | y) = π(x) k(y | x) / (π >> k)(y)`` (:func:`invert`). A monitor's P(verdict | intent)
and a prior on intent give P(intent | verdict):

>>> from markovwire import FinSet, Kernel, copy, identity, swap
>>> Intent = FinSet("Intent", ["benign", "scheming"]); Verdict = FinSet("Verdict", ["pass", "flag"])
>>> prior = Kernel([0.9, 0.1], [], [Intent])
>>> monitor = Kernel([[0.95, 0.05], [0.3, 0.7]], [Intent], [Verdict], name="monitor")
>>> belief = monitor.invert(prior)
>>> belief
Kernel(monitor†: verdict: Verdict → intent: Intent)
>>> round(belief.prob("scheming", verdict="flag"), 6), round(belief.prob("scheming", verdict="pass"), 6)
(0.608696, 0.033898)

The defining equation, ``π ⊗ k = (π >> k) ⊗ k†`` as joints (copy, then the kernel on one copy):

>>> joint = prior >> copy(Intent) >> (identity(Intent) @ monitor)
>>> back = (prior >> monitor) >> copy(Verdict) >> (identity(Verdict) @ belief) >> swap(Verdict, Intent)
>>> back.allclose(joint)
True

A disintegration recomposes the joint it came from:

>>> marginal, conditional = joint.disintegrate("verdict")
>>> (marginal >> copy(Verdict) >> (identity(Verdict) @ conditional) >> swap(Verdict, Intent)).allclose(joint)
True

**Rows of probability zero.** Where the conditioning label has probability zero (a verdict the
monitor never gives under the prior, ``(π >> k)(y) = 0``) the quotient is 0/0 and the equation
above says nothing about the row: any distribution there satisfies it, so the conditional is
unique only almost surely. markovwire fills such a row with the *marginal of the rest*, the
belief one has when the observation carries no information: the prior itself for
:func:`invert`, the joint's marginal on the other outputs for :func:`disintegrate`
(``fill="uniform"`` or ``fill=`` a distribution chooses another). Never NaN; the labels of the
filled rows are the result's ``filled`` attribute:

>>> blind = Kernel([[1.0, 0.0], [1.0, 0.0]], [Intent], [Verdict], name="blind")   # never flags
>>> inv = blind.invert(prior)
>>> inv.filled, inv.row("flag").array.tolist()
((('flag',),), [0.9, 0.1])

Symbolic kernels and priors invert too: entries are divided and ``sympy.cancel``-led (tables of
at most :data:`MAX_SYMBOLIC` entries; larger ones are refused with the fix to substitute values
first, ``k.subs({...})``). A denominator that vanishes at some parameter values inside the declared
domains is refused with a :class:`~markovwire.errors.NotStochastic` naming the point (substituted
values make such rows filled rows). A table whose inversion would not fit the memory budget is
refused before any work, as every evaluation is (:mod:`markovwire.limits`).
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import sympy

from .errors import NotStochastic, ParameterError, Place, ShapeError, TypeMismatch, UnknownName
from .kernel import ATOL, Kernel, _disjoint, _einsum, _merge_params
from .limits import check_memory_bytes
from .types import show_bundle

MAX_SYMBOLIC = 10_000  # entries divided and cancelled by sympy at most; larger symbolic tables: substitute first
TABLES = 4             # tables of the kernel's size alive at once: the joint, its transpose, the quotients, the result


def invert(kernel: Kernel, prior, *, fill=None) -> Kernel:
    """The Bayesian inverse ``k†: Y → X`` of ``k: X → Y`` with respect to ``prior`` on ``X``.

    ``k†(x | y) = prior(x) k(y | x) / Σ_x' prior(x') k(y | x')``. Several inputs (or outputs) are
    taken jointly: the inverse of ``A ⊗ B → Y`` is ``Y → A ⊗ B``. ``prior`` is a distribution
    :class:`Kernel` over the kernel's input types (in order), an array of the inputs' shape, or a
    mapping of input labels to probabilities (tuples of labels for several inputs). A row ``y`` of
    probability zero is the prior (or ``fill``: ``"uniform"`` or a distribution over the inputs);
    its labels are in the result's ``filled``.
    """
    where = Place(f"kernel {kernel.name!r}.invert", box=kernel.name)
    prior = _distribution(prior, kernel.dom, where.extend("prior"), "prior")
    _check_size(kernel.array.size, prior.free_symbols | kernel.free_symbols, where)
    m = kernel.n_in
    arr = _einsum(prior.array, list(range(m)), kernel.array, list(range(kernel.array.ndim)),
                  list(range(kernel.array.ndim)))
    joint = Kernel(arr, (), _disjoint(kernel.dom, kernel.cod), params=_merge_params(prior, kernel),
                   name=kernel.name, check=False)
    _, cond = _split(joint, list(range(m, joint.array.ndim)), _fill(fill, lambda: prior, kernel.dom, where), where,
                     name=f"{kernel.name}†")
    out = Kernel(cond.array, kernel.cod, kernel.dom, params=cond.params, name=f"{kernel.name}†", check=False)
    out.filled = cond.filled
    return out


def disintegrate(joint: Kernel, ports: str | int | Sequence[str | int], *, fill=None) -> tuple[Kernel, Kernel]:
    """``(marginal, conditional)``: the joint's marginal on ``ports`` and the kernel of its other outputs given them.

    ``joint = marginal >> (copy ; id ⊗ conditional)`` (outputs reordered). For a kernel with inputs
    ``A → X ⊗ Y`` the marginal is ``A → X`` and the conditional ``A ⊗ X → Y``. ``ports`` are output
    names or positions. A row of probability zero is the marginal of the other outputs (or ``fill``:
    ``"uniform"`` or a distribution over the other outputs); its input labels are the conditional's ``filled``.
    """
    ports = [ports] if isinstance(ports, (str, int, np.integer)) else list(ports)
    where = Place(f"kernel {joint.name!r}.disintegrate", box=joint.name)
    keep = _positions(joint, ports, where)
    rest = [i for i in range(len(joint.cod)) if i not in keep]
    fill = _fill(fill, lambda: joint.marginal(*rest), [joint.cod[i] for i in rest], where)
    _check_size(joint.array.size, joint.free_symbols | fill.free_symbols, where)
    return _split(joint, keep, fill, where)


def _check_size(size: int, symbols: set, where: Place) -> None:
    """Refuse tables too large for the memory budget (:data:`TABLES` copies at once) and symbolic tables of more
    than :data:`MAX_SYMBOLIC` entries (sympy would cancel each quotient)."""
    check_memory_bytes(TABLES * 8.0 * size, where, f" ({TABLES} tables of {size:,} entries)")
    if symbols and size > MAX_SYMBOLIC:
        values = ", ".join(f"{n!r}: ..." for n in sorted(s.name for s in symbols))
        raise ParameterError(where, f"has {size:,} symbolic entries to divide, more than the {MAX_SYMBOLIC:,} "
                             f"inverted symbolically (each quotient is simplified by sympy)",
                             fix=f"substitute parameter values first (.subs({{{values}}}) on the kernel and its "
                                 "prior or joint)")


def _positions(joint: Kernel, ports: list, where: Place) -> list[int]:
    names = [p.name for p in joint.cod]
    choices = f"name outputs of the joint: {', '.join(names)}" if names else "the joint has no outputs to condition on"
    out = []
    for p in ports:
        if isinstance(p, (int, np.integer)) and not isinstance(p, bool):
            if not 0 <= p < len(names):
                raise UnknownName(where.replace(port=str(p)), f"has no output at position {p}",
                                  fix=f"use a position from 0 to {len(names) - 1}, or " + choices)
            out.append(int(p))
        elif p in names:
            out.append(names.index(p))
        else:
            raise UnknownName(where.replace(port=str(p)), f"{p!r} is not an output of {show_bundle(joint.cod)}",
                              fix=choices)
    if len(set(out)) != len(out):
        twice = next(names[i] for i in out if out.count(i) > 1)
        raise ShapeError(where.replace(port=twice), f"names output {twice!r} twice", fix="name each output once")
    return out


def _fill(fill, default, ports, where: Place) -> Kernel:
    """The distribution that fills rows of probability zero: ``default()`` for None, uniform, or the one given."""
    if fill is None:
        return default()
    if isinstance(fill, str) and fill == "uniform":
        return Kernel.uniform(ports)
    return _distribution(fill, ports, where.extend("fill"), "fill")


def _split(joint: Kernel, keep: list[int], fill: Kernel, where: Place,
           name: str | None = None) -> tuple[Kernel, Kernel]:
    """The marginal on the outputs at positions ``keep`` and the conditional of the others, rows of probability
    zero filled by ``fill`` (a distribution over the others, or a kernel to them from the joint's inputs)."""
    n = joint.n_in
    rest = [i for i in range(len(joint.cod)) if i not in keep]
    marginal = joint.marginal(*keep)
    other = [joint.cod[i] for i in rest]
    table = np.transpose(joint.array, list(range(n)) + [n + i for i in keep] + [n + i for i in rest])
    lead, given = n, len(keep)
    out_axes = tuple(range(lead + given, table.ndim))
    total = np.asarray(table.sum(axis=out_axes, keepdims=True))
    symbolic = table.dtype == object or fill.array.dtype == object
    if table.dtype == object:
        zero = np.vectorize(lambda e: sympy.sympify(e).is_zero is True, otypes=[bool])(total)
    else:
        zero = total <= 0
    # the fill's axes are [inputs of the joint (if it has them), rest]: the given axes are inserted between
    fill_arr = np.asarray(fill.array, dtype=object if symbolic else float)
    if fill.n_in == 0 and lead:
        fill_arr = fill_arr.reshape((1,) * lead + fill_arr.shape)
    fill_arr = np.broadcast_to(np.expand_dims(fill_arr, tuple(range(lead, lead + given))), table.shape)
    if symbolic:
        safe = np.where(zero, sympy.Integer(1), total)
        quotient = np.vectorize(sympy.cancel, otypes=[object])(np.asarray(table, dtype=object) / safe)
        cond = np.where(np.broadcast_to(zero, table.shape), fill_arr, quotient)
    else:
        quotient = np.divide(table, total, out=np.zeros(table.shape), where=~zero)
        cond = np.where(np.broadcast_to(zero, table.shape), fill_arr, quotient)
    dom = _disjoint(joint.dom, [joint.cod[i] for i in keep])
    if name is None:
        label = ",".join(joint.cod[i].name for i in keep)
        name = f"{joint.name}|{label}" if label else joint.name
    conditional = Kernel(cond, dom, other, params=_merge_params(joint, fill), name=name, check=False)
    if symbolic:
        try:
            conditional._check_domain(ATOL)  # rows sum to one by construction; a denominator may vanish somewhere
        except NotStochastic as err:
            names = ", ".join(f"{n!r}: ..." for n in sorted(s.name for s in conditional.free_symbols))
            fix = (f"substitute parameter values first (.subs({{{names}}}) on the kernel and its prior or joint), "
                   "where rows of probability zero are filled, or narrow the parameters' domains to values where "
                   "every conditioning label has positive probability")
            raise err.relocated(where.nest(err.place).replace(box=where.box), fix=fix) from None
    rows = np.argwhere(zero.reshape(zero.shape[:lead + given]))
    conditional.filled = tuple(tuple(p.type.elements[i] for p, i in zip(dom, idx)) for idx in rows)
    return marginal, conditional


def _distribution(given, ports, where: Place, what: str) -> Kernel:
    """``given`` (a Kernel with no inputs, an array, or a mapping of labels) as a distribution over ``ports``' types;
    markovwire errors naming ``where`` otherwise."""
    ports = tuple(ports)
    types = [p.type for p in ports]
    over = show_bundle(ports)
    labels = "; ".join(f"{p.name}: {p.type.shown()}" for p in ports) or "no labels (the empty bundle)"
    fix = (f"give a distribution over {over} (Kernel([...], [], [{', '.join(t.name for t in types)}]), an array "
           f"of shape {tuple(len(t) for t in types)}, or a mapping of labels to probabilities: {labels})")
    if isinstance(given, Kernel):
        if given.dom:
            raise TypeMismatch(where, f"has inputs {show_bundle(given.dom)}: the {what} must be a distribution "
                               "(a kernel with no inputs)", fix=fix + "; compose it with a law of its inputs first")
        if [p.type for p in given.cod] != types:
            raise TypeMismatch(where, f"is over {show_bundle(given.cod)}, not {over}", fix=fix)
        dist = given
    else:
        table = isinstance(given, Mapping)
        try:
            dist = (Kernel.from_table if table else Kernel)(given, (), ports, name=what, check=False)
        except (ShapeError, UnknownName, ParameterError) as err:
            if isinstance(err, ParameterError):  # entries in parameters, which only a Kernel can declare
                fix = (f"give the {what} as a Kernel that declares them: Kernel([...], [], "
                       f"[{', '.join(t.name for t in types)}], params=[...])")
            raise err.relocated(where.extend(str(err.where), sep=": ") if table else where, fix=fix) from None
    try:
        dist.check()
    except NotStochastic as err:
        raise err.relocated(where, what=f"is not a distribution: {err.what}",
                            fix=f"give non-negative probabilities that sum to one over {over}") from None
    return dist
