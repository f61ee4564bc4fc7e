"""Queries: the numbers an analysis asks of a net.

A :class:`Query` is the probability of an event on some wires, or the
expectation of a function of their labels (a table of values), optionally
conditioned on evidence and at fixed outer-input labels. ``query.value(target,
values)`` evaluates it through ``target.evaluate``, where the target is a
:class:`~markovwire.Net` or an :class:`~markovwire.episode.Episode`; array values
sweep in one contraction. A table's entries may be expressions in parameters
(``params``), evaluated at the same values. Every analysis takes a query in this form.

>>> from markovwire import FinSet, Kernel, Net
>>> Act = FinSet("Act", ["clean", "attack"]); V = FinSet("Verdict", ["pass", "flag"])
>>> net = Net()
>>> _ = net.add_box("policy", Kernel([0.9, 0.1], [], [Act]), [], ["act"])
>>> _ = net.add_box("monitor", Kernel([[0.95, 0.05], [0.3, 0.7]], [Act], [V]), ["act"], ["verdict"])
>>> flag = Query.probability({"verdict": "flag"})
>>> print(flag)
P(verdict=flag)
>>> round(flag.value(net), 6)
0.115
>>> round(Query.probability({"act": "attack"}, given={"verdict": "flag"}).value(net), 6)
0.608696
>>> cost = Query.expectation(["act", "verdict"], {("attack", "pass"): 100.0, ("clean", "flag"): 1.0})
>>> round(cost.value(net), 6)
3.045

Information queries are functions of the joint law of their wires (:mod:`~markovwire.analysis.information`),
in nats unless ``unit="bits"``; they are not linear in the law, so bounds that rely on linearity refuse them:

>>> print(Query.mutual_information(["act"], ["verdict"], unit="bits"))
I(act; verdict) in bits
>>> round(Query.mutual_information(["act"], ["verdict"], unit="bits").value(net), 6)
0.168929
>>> round(Query.kl(["act"], {"clean": 0.5, "attack": 0.5}).value(net), 6)
0.368064
"""
from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import sympy

from ..errors import EvidenceError, ExpressionError, ParameterError, ShapeError, UnknownName

Labels = tuple[str, ...]


@dataclass(frozen=True)
class Query:
    """``P(event | given)`` or ``E[f(wires) | given]`` on the wires of a net.

    ``entries`` holds the table as ``(labels, value)`` pairs over ``wires``
    (missing label tuples count ``default``; a value may be a sympy expression in
    ``params``); a predicate (``allowed``) holds, per wire, the labels the event
    allows. ``at`` fixes outer-input labels. A ``distribution`` query asks for the
    joint law of its wires: its value has one more axis, over their joint labels.
    """

    kind: str
    wires: Labels
    entries: tuple[tuple[Labels, float], ...] = ()
    allowed: tuple[tuple[str, Labels], ...] = ()
    default: float = 0.0
    given: tuple[tuple[str, str], ...] = ()
    at: tuple[tuple[str, str], ...] = ()
    name: str | None = None
    params: tuple = ()           # the Parameters the table's expressions use
    parts: tuple[Labels, ...] = ()   # an information query's groups of wires (see INFORMATION)
    unit: str = "nats"
    reference: "Query | None" = None  # kl / tv against the law of other wires (a distribution query)

    # ----- constructors ----------------------------------------------------
    @classmethod
    def probability(cls, event, wires: Sequence[str] | None = None, *, given: Mapping[str, str] | None = None,
                    at: Mapping[str, str] | None = None, name: str | None = None) -> "Query":
        """The probability of an event: a mapping wire → allowed label(s), or label tuples over ``wires``.

        >>> print(Query.probability({"outcome": ["catastrophe", "breach"]}, given={"audit": "pass"}))
        P(outcome∈{catastrophe, breach} | audit=pass)
        >>> print(Query.probability({("a", "x"), ("b", "y")}, wires=["w1", "w2"]))
        P((w1, w2)∈{(a, x), (b, y)})
        """
        if isinstance(event, Mapping):
            if wires is not None:
                raise ShapeError("query", "give the event either as a mapping wire → labels or with wires=, not both",
                                 fix="drop wires= when the event is a mapping")
            allowed = tuple((str(w), _labels(v)) for w, v in event.items())
            if not allowed:
                raise ShapeError("query", "the event names no wire", fix="give at least one wire and its labels")
            return cls("probability", tuple(w for w, _ in allowed), allowed=allowed, given=_pairs(given),
                       at=_pairs(at), name=name)
        if wires is None:
            raise ShapeError("query", "an event given as label tuples needs wires=",
                             fix="pass wires=[...] naming the wire of each position in the tuples")
        wires = tuple(str(w) for w in wires)
        tuples = sorted({_tuple(t, len(wires)) for t in event})
        return cls("probability", wires, entries=tuple((t, 1.0) for t in tuples), given=_pairs(given),
                   at=_pairs(at), name=name)

    @classmethod
    def expectation(cls, wires: Sequence[str] | str, table: Mapping, *, default: float = 0.0,
                    given: Mapping[str, str] | None = None, at: Mapping[str, str] | None = None,
                    name: str | None = None, params: Sequence = ()) -> "Query":
        """The expectation of a function of the wires' labels, given as a table (missing entries: ``default``).

        Entries may be sympy expressions in the :class:`~markovwire.Parameter` s ``params``:

        >>> from markovwire import Parameter
        >>> u = Parameter("u", (0, 10), default=2.0)
        >>> Query.expectation("w", {"a": u.symbol, "b": 1}, params=[u]).params[0].name
        'u'
        """
        wires = (wires,) if isinstance(wires, str) else tuple(str(w) for w in wires)
        entries = tuple(sorted(((_tuple(k, len(wires)), _entry(v)) for k, v in table.items()), key=lambda e: e[0]))
        used = {sym.name for _, v in entries for sym in getattr(v, "free_symbols", ())}
        declared = {p.name: p for p in params}
        missing = sorted(used - set(declared))
        if missing:
            raise ShapeError("query", f"the table uses {missing[0]!r}, which is not among its parameters",
                             fix=f"pass params=[...] including the Parameter {missing[0]!r}")
        return cls("expectation", wires, entries=entries, default=float(default), given=_pairs(given),
                   at=_pairs(at), name=name, params=tuple(declared[n] for n in sorted(used)))

    @classmethod
    def distribution(cls, wires: Sequence[str] | str, *, given: Mapping[str, str] | None = None,
                     at: Mapping[str, str] | None = None, name: str | None = None) -> "Query":
        """The joint law of the wires: the value's last axis runs over their joint labels (:meth:`labels`)."""
        wires = (wires,) if isinstance(wires, str) else tuple(str(w) for w in wires)
        return cls("distribution", wires, given=_pairs(given), at=_pairs(at), name=name)

    @classmethod
    def entropy(cls, of: Sequence[str] | str, *, conditional_on: Sequence[str] = (), unit: str = "nats",
                given: Mapping[str, str] | None = None, at: Mapping[str, str] | None = None,
                name: str | None = None) -> "Query":
        """``H(of | conditional_on)``, the entropy of the wires' joint law (conditional on other wires).

        ``given`` is evidence (observed labels), as for every query; ``conditional_on`` names wires whose
        value is averaged over: ``H(A | C) = Σ_c P(c) H(A | C = c)``.
        """
        of, cond = _wires(of), _wires(conditional_on)
        return cls("entropy", _disjoint(of, cond), parts=(of, cond), unit=_unit(unit), given=_pairs(given),
                   at=_pairs(at), name=name)

    @classmethod
    def mutual_information(cls, a: Sequence[str] | str, b: Sequence[str] | str, *,
                           conditional_on: Sequence[str] = (), unit: str = "nats",
                           given: Mapping[str, str] | None = None, at: Mapping[str, str] | None = None,
                           name: str | None = None) -> "Query":
        """``I(a; b | conditional_on)``: how much the wires ``a`` tell about the wires ``b`` (zero iff independent)."""
        a, b, cond = _wires(a), _wires(b), _wires(conditional_on)
        return cls("mutual_information", _disjoint(a, b, cond), parts=(a, b, cond), unit=_unit(unit),
                   given=_pairs(given), at=_pairs(at), name=name)

    @classmethod
    def kl(cls, of: Sequence[str] | str, against, *, unit: str = "nats", given: Mapping[str, str] | None = None,
           at: Mapping[str, str] | None = None, name: str | None = None, params: Sequence = ()) -> "Query":
        """``KL(law of ``of`` ‖ reference)``; ``against`` is other wires (their law, same types, same evidence),
        a distribution :class:`Query`, or a table label(s) → probability (entries may use ``params``).
        Infinite exactly when the law gives mass to a label the reference does not (:meth:`why_infinite`)."""
        return cls._divergence("kl", of, against, _unit(unit), given, at, name, params)

    @classmethod
    def tv(cls, of: Sequence[str] | str, against, *, given: Mapping[str, str] | None = None,
           at: Mapping[str, str] | None = None, name: str | None = None, params: Sequence = ()) -> "Query":
        """The total-variation distance between the law of ``of`` and a reference (as for :meth:`kl`)."""
        return cls._divergence("tv", of, against, "probability", given, at, name, params)

    @classmethod
    def _divergence(cls, kind, of, against, unit, given, at, name, params) -> "Query":
        of = _wires(of)
        if isinstance(against, Query):
            if against.kind != "distribution":
                raise ShapeError("query", f"{kind} against {against} needs the law of wires, not a {against.kind}",
                                 fix="compare with a distribution query, other wires, or a table of probabilities")
            return cls(kind, of, parts=(of,), unit=unit, given=_pairs(given), at=_pairs(at), name=name,
                       reference=against)
        if isinstance(against, Mapping):
            table = cls.expectation(of, against, params=params)
            return dataclasses.replace(table, kind=kind, parts=(of,), unit=unit, given=_pairs(given), at=_pairs(at),
                                       name=name)
        other = _wires(against)
        return cls(kind, of, parts=(of,), unit=unit, given=_pairs(given), at=_pairs(at), name=name,
                   reference=cls.distribution(other, given=given, at=at))

    @property
    def is_linear(self) -> bool:
        """Whether the query is linear in the law of its wires (a probability or an expectation): the
        analyses that bound or optimise through linearity (credal bounds, TV bands, adversaries) need it."""
        return self.kind in ("probability", "expectation")

    def labels(self, net) -> list[str]:
        """The joint labels of the wires, in the order of a distribution query's last axis."""
        import itertools
        return [",".join(t) for t in itertools.product(*(self._wire_type(net, w).elements for w in self.wires))]

    def bound(self, values: Mapping[str, object] | None = None) -> "Query":
        """The same query with its table's expressions evaluated at scalar ``values`` (defaults elsewhere).

        >>> from markovwire import Parameter
        >>> u = Parameter("u", (0, 10), default=2.0)
        >>> Query.expectation("w", {"a": 3 * u.symbol}, params=[u]).bound({"u": 1.5}).entries
        ((('a',), 4.5),)
        """
        if not self.params:
            return self
        values = dict(values or {})
        args = [float(p.check(values.get(p.name, p.default))) for p in self.params]
        cols = _compiled(self.entries, tuple(p.symbol for p in self.params))(*args)
        entries = tuple((labels, float(c)) for (labels, _), c in zip(self.entries, cols))
        return dataclasses.replace(self, entries=entries, params=())

    def conditioned(self, **given: str) -> "Query":
        """The same query with more evidence."""
        merged = dict(self.given) | {k: str(v) for k, v in given.items()}
        return dataclasses.replace(self, given=tuple(merged.items()))

    # ----- meaning on a net ------------------------------------------------
    def weights(self, net, values: Mapping[str, object] | None = None) -> np.ndarray:
        """The function being averaged, as an array over the wires' labels (an indicator for an event);
        a table of expressions is evaluated at ``values`` (defaults elsewhere), sweep axes first."""
        self.require_linear("has no table of weights")
        return self._over_labels(net, values)

    def require_linear(self, why: str = "cannot be bounded through linearity") -> None:
        """Raise a clear error unless the query is a probability or an expectation (:attr:`is_linear`)."""
        if self.kind in INFORMATION:
            raise ShapeError(f"query {self}", f"is {INFORMATION[self.kind]}, not linear in the law of its wires, so it "
                             f"{why}", fix="bound or optimise a probability or an expectation query; information "
                                           "quantities are evaluated and swept")

    def _over_labels(self, net, values) -> np.ndarray:
        """The table (or event indicator) as an array over the wires' labels, sweep axes first."""
        types = [self._wire_type(net, w) for w in self.wires]
        if self.params:
            return self._table(types, values or {})
        if self.allowed:
            out = np.ones([len(t) for t in types])
            for axis, ((w, labels), t) in enumerate(zip(self.allowed, types)):
                ind = np.zeros(len(t))
                ind[[self._index(t, w, x) for x in labels]] = 1.0
                shape = [1] * len(types)
                shape[axis] = len(t)
                out = out * ind.reshape(shape)
            return out
        out = np.full([len(t) for t in types], self.default)
        for labels, v in self.entries:
            out[tuple(self._index(t, w, x) for t, w, x in zip(types, self.wires, labels))] = v
        return out

    def _table(self, types, values) -> np.ndarray:
        """The table of expressions at ``values``: ``(sweep…, labels…)``."""
        fn = _compiled(self.entries, tuple(p.symbol for p in self.params))
        args = []
        for p in self.params:
            v = values.get(p.name, p.default)
            if v is None:
                raise ParameterError(f"query {self}", f"parameter {p.name!r} has no value",
                                     fix=f"give {p.name!r} a value")
            args.append(np.asarray(p.check(v), dtype=float))
        cols = fn(*args)
        sweep = np.broadcast_shapes(*(np.shape(c) for c in cols)) if cols else ()
        for (labels, v), col in zip(self.entries, cols):  # no NaN or infinity leaves as a result
            if not np.all(np.isfinite(col)):
                from ..expr import explain_nonfinite
                i = int(np.argmax(~np.isfinite(np.broadcast_to(col, sweep).reshape(-1))))
                point = [float(np.broadcast_to(a, sweep).reshape(-1)[i]) for a in args]
                at = ", ".join(f"{p.name}={x:g}" for p, x in zip(self.params, point))
                why = explain_nonfinite(sympy.sympify(v), [p.symbol for p in self.params], point)
                raise ExpressionError(f"query {self}, value of {', '.join(labels)}", f"{why} at {at}",
                                      fix=f"rewrite the value so that it is defined there, or exclude {at} from the "
                                          "parameters' domains in parameters:")
        out = np.full(sweep + tuple(len(t) for t in types), self.default, dtype=float)
        for (labels, _), col in zip(self.entries, cols):
            idx = tuple(self._index(t, w, x) for t, w, x in zip(types, self.wires, labels))
            out[(Ellipsis,) + idx] = col
        return out

    def range(self, net, values: Mapping[str, object] | None = None) -> tuple[float, float]:
        """The smallest and largest value of the function (``(0, 1)`` for an event)."""
        self.require_linear("has no range of values to bound")
        if self.kind != "expectation":
            return 0.0, 1.0
        w = self.weights(net, values)
        return float(w.min()), float(w.max())

    def value(self, net, values: Mapping[str, object] | None = None, *, symbolic: bool = False):
        """The query on ``net`` at parameter ``values``.

        Scalars give a float; arrays (broadcast together) sweep in one contraction and give
        an array of their shape, with ``nan`` where the evidence has probability zero. If the
        net has outer inputs not fixed by ``at``, their axes follow the sweep axes.
        ``symbolic=True`` gives a sympy expression in the parameters not in ``values``.
        """
        if getattr(net, "is_episode", False) and self.at:   # an episode's inputs take their label at every step
            return dataclasses.replace(self, at=()).value(net.fed(dict(self.at)), values, symbolic=symbolic)
        if self.kind in INFORMATION:
            return self._information(net, values, symbolic)
        for w in self.wires:
            self._wire_type(net, w)
        values = dict(values or {})
        shape, flat = broadcast_sweep(values)
        own = {p.name for p in self.params}
        net_values = {k: v for k, v in flat.items() if k not in own or k in net.params}
        evidence = dict(self.given)
        if symbolic:
            raw = net.evaluate(evidence=evidence, outputs=self.wires, normalize=False, symbolic=True)
            raw = np.asarray(raw, dtype=object)
        else:
            raw = np.asarray(net.evaluate(net_values, evidence=evidence, outputs=self.wires, normalize=False))
        batched = raw.ndim == 1 + len(net.inputs) + len(self.wires)
        raw = self._at_inputs(net, raw, batched)
        if self.kind == "distribution":
            num = raw.reshape(raw.shape[: raw.ndim - len(self.wires)] + (-1,))
            if symbolic:
                raise ShapeError(f"query {self}", "a distribution has no single symbolic value",
                                 fix="ask for the probability of one label symbolically")
            return self._finish(num, num.sum(axis=-1, keepdims=True), shape, batched, evidence)
        weights = self.weights(net, {k: v for k, v in flat.items() if k in own})
        if weights.ndim > len(self.wires) and not batched:       # swept table, unswept net
            raw = raw[None]
            batched = True
        axes = tuple(range(raw.ndim - len(self.wires), raw.ndim))   # the wires' axes, after any sweep axis
        if weights.ndim > len(self.wires):                          # the sweep axis first, then the outer inputs'
            free = raw.ndim - 1 - len(self.wires)
            weights = weights.reshape(weights.shape[:1] + (1,) * free + weights.shape[1:])
        num = (raw * weights).sum(axis=axes) if axes else raw * weights
        if symbolic:
            return self._symbolic(net, raw, num, axes, values)
        den = (raw.sum(axis=axes) if axes else raw) if evidence else None
        return self._finish(num, den, shape, batched, evidence)

    def _information(self, net, values, symbolic: bool):
        """An entropy, a mutual information or a divergence of the wires' joint law (sweep axes first)."""
        from . import information

        if symbolic:
            raise ShapeError(f"query {self}", f"{INFORMATION[self.kind]} has no symbolic value here",
                             fix="evaluate it at parameter values (sweep them for a curve)")
        law = np.asarray(self._law(net, values))
        sizes = tuple(len(self._wire_type(net, w)) for w in self.wires)
        place = {w: i for i, w in enumerate(self.wires)}
        at = lambda ws: [place[w] for w in ws]
        if self.kind in ("kl", "tv"):
            ref = self._reference_law(net, values, sizes)
            ref = ref.reshape(ref.shape[:-1] + (1,) * (law.ndim - ref.ndim) + ref.shape[-1:])
            value = (information.kl if self.kind == "kl" else information.tv)(law, ref)
            unknown = np.isnan(law).any(axis=-1) | np.isnan(ref).any(axis=-1)
        else:
            joint = law.reshape(law.shape[:-1] + sizes)
            if self.kind == "entropy":
                value = information.entropy(joint, at(self.parts[0]), at(self.parts[1]), len(sizes))
            else:
                value = information.mutual_information(joint, *(at(p) for p in self.parts), len(sizes))
            unknown = np.isnan(law).any(axis=-1)
        value = np.where(unknown, np.nan, value)   # evidence of probability zero at a sweep point, as for others
        if self.unit == "bits":
            value = value / information.NATS_PER_BIT
        return float(value) if value.ndim == 0 else value

    def _law(self, net, values):
        return Query.distribution(self.wires, given=dict(self.given), at=dict(self.at)).value(net, values)

    def _reference_law(self, net, values, sizes) -> np.ndarray:
        """The reference of a divergence as probabilities over the joint labels (sweep axes first)."""
        if self.reference is not None:
            mine = [self._wire_type(net, w) for w in self.wires]
            theirs = [self.reference._wire_type(net, w) for w in self.reference.wires]
            if [t.elements for t in mine] != [t.elements for t in theirs]:
                from ..types import names_apart
                shown = lambda a, b: ", ".join(names_apart(x, y)[0] for x, y in zip(a, b))
                raise ShapeError(f"query {self}", f"compares {', '.join(self.wires)} ({shown(mine, theirs)}) with "
                                 f"{', '.join(self.reference.wires)} ({shown(theirs, mine)}), whose labels differ",
                                 fix="compare wires of the same types, in the same order")
            return np.asarray(self.reference.value(net, values))
        table = self._over_labels(net, values)
        table = table.reshape(table.shape[:table.ndim - len(sizes)] + (-1,))
        what = distribution_problem(table)
        if what:
            raise ShapeError(f"query {self}, reference table", f"{what}: it is not a probability distribution",
                             fix=REFERENCE_FIX)
        return table

    def why_infinite(self, net, values: Mapping[str, object] | None = None) -> str | None:
        """Why a KL divergence is infinite at scalar ``values``: a label the law gives mass and the reference not.

        >>> from markovwire import FinSet, Kernel, Net
        >>> net = Net(); _ = net.add_box("coin", Kernel([0.5, 0.5], [], [FinSet("Bit", ["0", "1"])]), [], ["c"])
        >>> q = Query.kl(["c"], {"0": 1.0})
        >>> q.value(net), q.why_infinite(net)
        (inf, 'the law gives c=1 probability 0.5, the reference gives it 0')
        """
        if self.kind != "kl":
            return None
        law = np.asarray(self._law(net, values)).reshape(-1, self._n_labels(net))
        sizes = tuple(len(self._wire_type(net, w)) for w in self.wires)
        ref = np.broadcast_to(self._reference_law(net, values, sizes).reshape(-1, law.shape[-1]), law.shape)
        bad = np.argwhere((law > 0) & (ref <= 0))
        if not len(bad):
            return None
        point, i = bad[0]
        shown = ", ".join(f"{w}={x}" for w, x in zip(self.wires, self.labels(net)[i].split(",")))
        return f"the law gives {shown} probability {law[point, i]:.3g}, the reference gives it 0"

    def _n_labels(self, net) -> int:
        return int(np.prod([len(self._wire_type(net, w)) for w in self.wires]))

    def _finish(self, num, den, shape, batched, evidence):
        """Divide by the evidence's probability (``nan`` where it is zero in a sweep) and shape like the sweep."""
        if evidence:
            if not batched and not shape and np.any(np.asarray(den) <= 0):
                raise EvidenceError(f"query {self}", "the evidence has probability zero under the net",
                                    fix="condition on observations the proposal can produce")
            with np.errstate(invalid="ignore", divide="ignore"):
                num = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
        num = np.asarray(num, dtype=float)
        if batched:  # a sweep's shape, or a batch of tables' one axis
            num = num.reshape((shape or num.shape[:1]) + num.shape[1:])
        elif shape:
            num = np.broadcast_to(num, shape + num.shape).copy()
        return float(num) if num.ndim == 0 else num

    def _symbolic(self, net, raw, num, axes, values):
        subs = {net.params[k].symbol: v for k, v in values.items() if k in net.params}
        if self.given:
            den = raw.sum(axis=axes) if axes else raw
            num = np.vectorize(lambda a, b: sympy.cancel(a / b), otypes=[object])(num, den)
        num = np.vectorize(lambda e: sympy.sympify(e).subs(subs) if subs else sympy.sympify(e),
                           otypes=[object])(num)
        return num.item() if num.ndim == 0 else num

    def _at_inputs(self, net, raw, batched):
        if not self.at:
            return raw
        lead = 1 if batched else 0
        index: list = [slice(None)] * raw.ndim
        for w, label in self.at:
            if w not in net.inputs:
                raise UnknownName(f"query {self}", f"fixes {w!r}, which is not an outer input of the net",
                                  fix=f"fix one of the outer inputs: {', '.join(net.inputs) or 'the net has none'}")
            index[lead + net.inputs.index(w)] = self._index(net.wires[w], w, label)
        return raw[tuple(index)]

    def _wire_type(self, net, w):
        if w not in net.wires:
            raise UnknownName(f"query {self}", f"wire {w!r} is not a wire of the net",
                              fix=f"use one of: {', '.join(net.wires)}")
        return net.wires[w]

    def _index(self, t, w, label) -> int:
        if label not in t:
            raise UnknownName(f"query {self}, wire {w!r}", f"type {t.name} has no label {label!r}",
                              fix=f"use one of: {t.shown()}")
        return t.index(label)

    # ----- display and data ------------------------------------------------
    def __str__(self) -> str:
        if self.name:
            return self.name
        cond = " | " + ", ".join(f"{w}={x}" for w, x in self.given + self.at) if self.given or self.at else ""
        if self.kind == "distribution":
            return f"distribution of {', '.join(self.wires)}{cond}"
        if self.kind in INFORMATION:
            return self._information_text(cond)
        if self.kind == "probability":
            if self.allowed:
                event = ", ".join(f"{w}={ls[0]}" if len(ls) == 1 else f"{w}∈{{{', '.join(ls)}}}"
                                  for w, ls in self.allowed)
            else:
                tup = lambda t: t[0] if len(t) == 1 else "(" + ", ".join(t) + ")"
                event = f"{tup(self.wires)}∈{{{', '.join(tup(t) for t, _ in self.entries)}}}"
            return f"P({event}{cond})"
        return f"E[f({', '.join(self.wires)}){cond}]"

    def _information_text(self, cond: str) -> str:
        """``H(a | c)``, ``I(a; b | c)``, ``KL(a ‖ b)``, ``TV(a, table)``, with evidence and unit after."""
        group = lambda ws: ", ".join(ws)
        bar = lambda ws: f" | {group(ws)}" if ws else ""
        if self.kind == "entropy":
            text = f"H({group(self.parts[0])}{bar(self.parts[1])})"
        elif self.kind == "mutual_information":
            text = f"I({group(self.parts[0])}; {group(self.parts[1])}{bar(self.parts[2])})"
        else:
            other = "reference table" if self.reference is None else \
                self.reference.name or group(self.reference.wires)
            text = f"KL({group(self.wires)} ‖ {other})" if self.kind == "kl" else f"TV({group(self.wires)}, {other})"
        evidence = " given " + cond[3:] if cond else ""
        return text + evidence + (" in bits" if self.unit == "bits" else "")

    def to_dict(self) -> dict:
        """A JSON-ready description; :meth:`from_dict` inverts it."""
        out: dict = {"kind": self.kind, "wires": list(self.wires), "text": str(self)}
        if self.kind in INFORMATION:
            out["parts"] = [list(p) for p in self.parts]
            out["unit"] = self.unit
            if self.reference is not None:
                out["against"] = list(self.reference.wires)
        if self.allowed:
            out["event"] = {w: list(ls) for w, ls in self.allowed}
        else:
            out["table"] = [[list(t), v] for t, v in self.entries]
            if self.kind == "expectation":
                out["default"] = self.default
        if self.given:
            out["given"] = dict(self.given)
        if self.at:
            out["at"] = dict(self.at)
        if self.name:
            out["name"] = self.name
        return out

    @classmethod
    def from_dict(cls, data: Mapping) -> "Query":
        """The query described by :meth:`to_dict` output."""
        kw = dict(given=data.get("given"), at=data.get("at"), name=data.get("name"))
        kind = data.get("kind")
        if kind == "distribution":
            return cls.distribution(data["wires"], **kw)
        if kind in INFORMATION:
            parts, unit = data.get("parts") or [data["wires"], []], data.get("unit", "nats")
            if kind == "entropy":
                return cls.entropy(parts[0], conditional_on=parts[1], unit=unit, **kw)
            if kind == "mutual_information":
                return cls.mutual_information(parts[0], parts[1], conditional_on=parts[2], unit=unit, **kw)
            against = data.get("against") or {tuple(t): v for t, v in data.get("table", [])}
            return cls.kl(data["wires"], against, unit=unit, **kw) if kind == "kl" else \
                cls.tv(data["wires"], against, **kw)
        if kind not in ("probability", "expectation"):
            raise ShapeError("query", f"unknown kind {kind!r}",
                             fix=f"use one of: probability, expectation, distribution, {', '.join(INFORMATION)}")
        if "event" in data:
            return cls.probability(data["event"], **kw)
        table = {tuple(t): v for t, v in data.get("table", [])}
        if data["kind"] == "probability":
            return cls.probability(set(table), wires=data["wires"], **kw)
        return cls.expectation(data["wires"], table, default=data.get("default", 0.0), **kw)


REFERENCE_FIX = "give the reference's probabilities, non-negative and summing to one (missing labels count 0)"


def distribution_problem(table: np.ndarray) -> str | None:
    """Why the rows of ``table`` (its last axis; any leading axes are a sweep) are not probability distributions:
    the first negative entry or wrong sum, or None when every row is one."""
    low, total = table.min(axis=-1), table.sum(axis=-1)
    bad = (low < -1e-12) | (np.abs(total - 1) > 1e-9)
    if not np.any(bad):
        return None
    i = int(np.argmax(bad))
    lowest, sum_ = float(np.reshape(low, -1)[i]), float(np.reshape(total, -1)[i])
    return f"has a negative entry {lowest:g}" if lowest < -1e-12 else f"sums to {sum_:.12g}, not 1"


INFORMATION = {"entropy": "an entropy", "mutual_information": "a mutual information", "kl": "a KL divergence",
               "tv": "a total-variation distance"}


def as_query(query) -> Query:
    """Accept a :class:`Query` or a mapping wire → label(s) meaning the probability of that event."""
    if isinstance(query, Query):
        return query
    if isinstance(query, Mapping):
        return Query.probability(query)
    raise ShapeError("query", f"expected a Query or a mapping wire → labels, got {type(query).__name__}",
                     fix="build one with Query.probability({...}) or Query.expectation(...)")


def one_table_each(target, what: str) -> None:
    """Refuse a net (or an episode's step) holding a batch of tables where ``what`` needs one table per box.

    A batch shares the sweep's axis (:class:`~markovwire.Kernel`), so an analysis that sweeps or
    searches the net's values on its own would mix the tables with its points.
    """
    for b in getattr(getattr(target, "step", target), "boxes", ()):
        if getattr(b.kernel, "batch", None) is not None:
            raise ShapeError(None, f"is a batch of {b.kernel.batch} tables; {what} takes one table per box",
                             fix="run it on one table at a time (the box's kernel[i]); net.evaluate, "
                                 "net.marginals and Query.value take the whole batch at once", box=b.name)


def params_of(target, query: Query) -> dict:
    """The parameters a query on ``target`` depends on: the target's and its table's."""
    return {**target.params, **{p.name: p for p in query.params}}


def _entry(v):
    """A table value: a float, or a sympy expression when it has parameters."""
    if isinstance(v, sympy.Basic):
        from ..expr import constant_value
        return v if v.free_symbols else constant_value(v, "query value")
    return float(v)


@functools.lru_cache(maxsize=256)
def _compiled(entries, symbols):
    from ..expr import compile_numeric
    return compile_numeric([sympy.sympify(v) for _, v in entries], list(symbols))


def _wires(ws) -> Labels:
    return (ws,) if isinstance(ws, str) else tuple(str(w) for w in ws)


def _disjoint(*groups: Labels) -> Labels:
    """The wires of an information query's groups, in order; a wire in two groups is refused."""
    seen: list[str] = []
    for g in groups:
        for w in g:
            if w in seen:
                raise ShapeError("query", f"names wire {w!r} twice", fix="give each wire in one group only")
            seen.append(w)
    if not groups[0]:
        raise ShapeError("query", "names no wire", fix="give at least one wire")
    return tuple(seen)


def _unit(unit: str) -> str:
    if unit not in ("nats", "bits"):
        raise ShapeError("query", f"unknown unit {unit!r}", fix="use 'nats' (natural logarithms) or 'bits'")
    return unit


def _labels(v) -> Labels:
    return (str(v),) if isinstance(v, (str, int)) else tuple(dict.fromkeys(str(x) for x in v))


def _tuple(t, n: int) -> Labels:
    t = (t,) if isinstance(t, (str, int)) else tuple(t)
    if len(t) != n:
        raise ShapeError("query", f"label tuple {t!r} has {len(t)} label(s) for {n} wire(s)",
                         fix="give one label per wire, in the order of wires=")
    return tuple(str(x) for x in t)


def _pairs(m: Mapping[str, str] | None) -> tuple[tuple[str, str], ...]:
    return tuple((str(k), str(v)) for k, v in (m or {}).items())


def broadcast_sweep(values: Mapping) -> tuple[tuple[int, ...], dict]:
    """``(shape, values)``: array values broadcast to one shape and raveled (scalars stay scalars)."""
    arrays = {k: np.asarray(v, dtype=float) for k, v in values.items() if np.ndim(v) > 0}
    if not arrays:
        return (), values
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
    except ValueError:
        shown = ", ".join(f"{k}{tuple(a.shape)}" for k, a in arrays.items())
        raise ShapeError("sweep", f"parameter arrays of shapes {shown} do not broadcast together",
                         fix="give swept parameters arrays of one shape (or use a grid)") from None
    flat = dict(values)
    flat.update({k: np.broadcast_to(a, shape).reshape(-1) for k, a in arrays.items()})
    return shape, flat
