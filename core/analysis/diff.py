"""Proposal diff: what changed between two nets, and what that does to each query.

Boxes are matched by name, wires by name, parameters by name. A box is reported as
changed when its signature, its wiring or its kernel differs (with the TV distance
between the old and new kernels when both can be evaluated).

>>> from markovwire import FinSet, Kernel, Net
>>> from markovwire.analysis.query import Query
>>> Act = FinSet("Act", ["clean", "attack"]); V = FinSet("Verdict", ["pass", "flag"])
>>> old = Net()
>>> _ = old.add_box("policy", Kernel([0.9, 0.1], [], [Act]), [], ["act"])
>>> _ = old.add_box("monitor", Kernel([[0.95, 0.05], [0.3, 0.7]], [Act], [V]), ["act"], ["verdict"])
>>> new = Net()
>>> _ = new.add_box("policy", Kernel([0.9, 0.1], [], [Act]), [], ["act"])
>>> _ = new.add_box("monitor", Kernel([[0.9, 0.1], [0.1, 0.9]], [Act], [V]), ["act"], ["verdict"])
>>> print(diff(old, new, [Query.probability({"act": "attack", "verdict": "pass"})]))
~ box monitor: kernel changed (TV distance 0.2)
queries:
  P(act=attack, verdict=pass): 0.03 → 0.01 (-0.02)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import sympy

from ..errors import MarkovwireError
from ..kernel import Kernel
from ..net import Net
from .query import as_query, one_table_each


@dataclass
class QueryChange:
    """A query on both nets: old and new values, or why one could not be evaluated."""

    query: str
    old: float | None
    new: float | None
    error: str = ""

    @property
    def delta(self) -> float | None:
        return None if self.old is None or self.new is None else self.new - self.old

    def __str__(self) -> str:
        show = lambda v: "—" if v is None else f"{v:.6g}"
        tail = f" ({self.delta:+.6g})" if self.delta is not None else f" ({self.error})" if self.error else ""
        return f"{self.query}: {show(self.old)} → {show(self.new)}{tail}"

    def to_dict(self) -> dict:
        return {"query": self.query, "old": self.old, "new": self.new, "delta": self.delta, "error": self.error}


@dataclass
class NetDiff:
    """The structural difference between two nets and the change in each query."""

    boxes_added: list[str] = field(default_factory=list)
    boxes_removed: list[str] = field(default_factory=list)
    boxes_changed: dict[str, list[str]] = field(default_factory=dict)
    wires_added: dict[str, str] = field(default_factory=dict)
    wires_removed: dict[str, str] = field(default_factory=dict)
    wires_retyped: dict[str, tuple[str, str]] = field(default_factory=dict)
    outer: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)
    params_added: dict[str, str] = field(default_factory=dict)
    params_removed: dict[str, str] = field(default_factory=dict)
    params_changed: dict[str, list[str]] = field(default_factory=dict)
    queries: list[QueryChange] = field(default_factory=list)

    @property
    def structural(self) -> bool:
        """Whether anything besides query values differs."""
        return any((self.boxes_added, self.boxes_removed, self.boxes_changed, self.wires_added, self.wires_removed,
                    self.wires_retyped, self.outer, self.params_added, self.params_removed, self.params_changed))

    def __str__(self) -> str:
        lines = [f"+ box {b}" for b in self.boxes_added] + [f"- box {b}" for b in self.boxes_removed]
        lines += [f"~ box {b}: {'; '.join(what)}" for b, what in self.boxes_changed.items()]
        lines += [f"+ wire {w}: {t}" for w, t in self.wires_added.items()]
        lines += [f"- wire {w}: {t}" for w, t in self.wires_removed.items()]
        lines += [f"~ wire {w}: {a} → {b}" for w, (a, b) in self.wires_retyped.items()]
        lines += [f"~ outer {k}: {', '.join(a) or 'none'} → {', '.join(b) or 'none'}"
                  for k, (a, b) in self.outer.items()]
        lines += [f"+ parameter {p}" + (f" {d}" if d else "") for p, d in self.params_added.items()]
        lines += [f"- parameter {p}" + (f" {d}" if d else "") for p, d in self.params_removed.items()]
        lines += [f"~ parameter {p}: {'; '.join(what)}" for p, what in self.params_changed.items()]
        if not lines:
            lines.append("no structural change")
        if self.queries:
            lines.append("queries:")
            lines += [f"  {q}" for q in self.queries]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"boxes": {"added": self.boxes_added, "removed": self.boxes_removed, "changed": self.boxes_changed},
                "wires": {"added": self.wires_added, "removed": self.wires_removed,
                          "retyped": {w: list(t) for w, t in self.wires_retyped.items()}},
                "outer": {k: [list(a), list(b)] for k, (a, b) in self.outer.items()},
                "parameters": {"added": self.params_added, "removed": self.params_removed,
                               "changed": self.params_changed},
                "queries": [q.to_dict() for q in self.queries]}


def diff(old: Net, new: Net, queries: Sequence = (), values: Mapping[str, float] | None = None,
         values_new: Mapping[str, float] | None = None) -> NetDiff:
    """What changed from ``old`` to ``new``, and each query's value on both (``values_new`` overrides for ``new``)."""
    one_table_each(old, "a comparison")
    one_table_each(new, "a comparison")
    out = NetDiff()
    old_boxes, new_boxes = {b.name: b for b in old.boxes}, {b.name: b for b in new.boxes}
    out.boxes_added = [b for b in new_boxes if b not in old_boxes]
    out.boxes_removed = [b for b in old_boxes if b not in new_boxes]
    vals_old = dict(values or {})
    vals_new = {**vals_old, **(values_new or {})}
    for name in old_boxes:
        if name in new_boxes:
            what = _box_changes(old_boxes[name], new_boxes[name], vals_old, vals_new)
            if what:
                out.boxes_changed[name] = what
    out.wires_added = {w: t.name for w, t in new.wires.items() if w not in old.wires}
    out.wires_removed = {w: t.name for w, t in old.wires.items() if w not in new.wires}
    out.wires_retyped = {w: (t.name if t.name != new.wires[w].name else repr(t),
                             new.wires[w].name if t.name != new.wires[w].name else repr(new.wires[w]))
                         for w, t in old.wires.items() if w in new.wires and t != new.wires[w]}
    for k in ("inputs", "outputs"):
        a, b = list(getattr(old, k)), list(getattr(new, k))
        if a != b:
            out.outer[k] = (a, b)
    po, pn = old.params, new.params
    out.params_added = {p: _describe(pn[p]) for p in pn if p not in po}
    out.params_removed = {p: _describe(po[p]) for p in po if p not in pn}
    for p in po:
        if p in pn:
            what = _param_changes(po[p], pn[p])
            if what:
                out.params_changed[p] = what
    for q in queries:
        q = as_query(q)
        a, ea = _try(lambda: q.value(old, _known(old, vals_old)))
        b, eb = _try(lambda: q.value(new, _known(new, vals_new)))
        err = "; ".join(f"{side}: {e}" for side, e in (("old", ea), ("new", eb)) if e)
        out.queries.append(QueryChange(str(q), a, b, err))
    return out


def _known(net: Net, values: dict) -> dict:
    """The values of the parameters this net declares (a parameter may exist on one side only)."""
    return {k: v for k, v in values.items() if k in net.params}


def _try(fn):
    try:
        return float(fn()), ""
    except MarkovwireError as err:
        return None, str(err).splitlines()[0]


def _box_changes(a, b, values_old, values_new) -> list[str]:
    what = []
    ka, kb = a.kernel, b.kernel
    sig = lambda k: ([(p.name, p.type) for p in k.dom], [(p.name, p.type) for p in k.cod])
    if sig(ka) != sig(kb):
        show = lambda ps: " ⊗ ".join(f"{n}: {t.name}" for n, t in ps) or "I"
        what.append(f"signature {show(sig(ka)[0])} → {show(sig(ka)[1])} became "
                    f"{show(sig(kb)[0])} → {show(sig(kb)[1])}")
    if a.inputs != b.inputs:
        what.append(f"reads {', '.join(a.inputs) or 'nothing'} → {', '.join(b.inputs) or 'nothing'}")
    if a.outputs != b.outputs:
        what.append(f"drives {', '.join(a.outputs) or 'nothing'} → {', '.join(b.outputs) or 'nothing'}")
    if sig(ka) == sig(kb) and not _same_entries(ka, kb):
        tv = _tv(ka, kb, values_old, values_new)
        kind = " (symbolic entries)" if ka.is_symbolic or kb.is_symbolic else ""
        what.append(f"kernel changed{kind}" + (f" (TV distance {tv:.6g})" if tv is not None else ""))
    return what


def _same_entries(ka: Kernel, kb: Kernel) -> bool:
    if not ka.is_symbolic and not kb.is_symbolic:
        return bool(np.allclose(ka.array, kb.array, atol=1e-12, rtol=0))
    return all(sympy.simplify(sympy.sympify(x) - sympy.sympify(y)) == 0 for x, y in zip(ka.array.flat, kb.array.flat))


def _tv(ka: Kernel, kb: Kernel, values_old, values_new) -> float | None:
    try:
        a = ka.subs({k: v for k, v in values_old.items() if k in ka.params})
        b = kb.subs({k: v for k, v in values_new.items() if k in kb.params})
        return a.tv(b)
    except MarkovwireError:
        return None


def _describe(p) -> str:
    lo, hi = p.domain
    return f"in [{lo:g}, {hi:g}]" + (f", default {p.default:g}" if p.default is not None else "")


def _param_changes(a, b) -> list[str]:
    what = []
    if a.domain != b.domain:
        what.append(f"domain [{a.domain[0]:g}, {a.domain[1]:g}] → [{b.domain[0]:g}, {b.domain[1]:g}]")
    if a.default != b.default:
        show = lambda v: "none" if v is None else f"{v:g}"
        what.append(f"default {show(a.default)} → {show(b.default)}")
    if a.integer != b.integer:
        what.append("now an integer" if b.integer else "no longer an integer")
    if a.doc != b.doc:
        what.append("documentation changed")
    return what
