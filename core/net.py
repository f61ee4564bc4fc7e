"""Nets: the one intermediate form every diagram compiles to.

A :class:`Net` has typed wires, boxes whose ports attach to wires, and outer
input and output wires. A wire read by several boxes is a copy; a wire read by
none is discarded. Every wire is one einsum index, and :meth:`Net.evaluate`
contracts the whole net as one tensor network, planned once per structure.

>>> from markovwire import FinSet, Kernel
>>> Act = FinSet("Act", ["clean", "attack"]); V = FinSet("Verdict", ["pass", "flag"])
>>> net = Net()
>>> _ = net.add_box("policy", Kernel([0.9, 0.1], [], [Act]), [], ["act"])
>>> _ = net.add_box("monitor", Kernel([[0.95, 0.05], [0.3, 0.7]], [Act], [V]), ["act"], ["verdict"])
>>> net.set_outputs("act", "verdict")
>>> round(net.evaluate().marginal("verdict").prob("flag"), 6)
0.115
>>> round(net.evaluate(evidence={"verdict": "flag"}).marginal("act").prob("attack"), 6)
0.608696

The structure is read-only from outside (``boxes`` is a tuple, ``wires`` a
read-only mapping): every change goes through a method or a setter and bumps
:attr:`Net.version`, and the checks and plans cached for one version are never
used for another.

>>> net.boxes[0] = net.boxes[1]
Traceback (most recent call last):
...
TypeError: 'tuple' object does not support item assignment
>>> before = net.version
>>> net.boxes = [NetBox("policy", Kernel([0.5, 0.5], [], [Act]), (), ("act",)), net.boxes[1]]
>>> net.version > before, round(net.evaluate().marginal("verdict").prob("flag"), 6)
(True, 0.375)
"""
from __future__ import annotations

import functools
import heapq
import itertools
import math
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from types import MappingProxyType
from typing import Iterable, Mapping, Sequence

import numpy as np
import sympy

from .contract import Program, out_of_memory
from .errors import (
    ContractionTooLarge,
    ErrorList,
    EvidenceError,
    MarkovwireError,
    ShapeError,
    TypeMismatch,
    UnknownName,
    WiringError,
)
from .kernel import Kernel, _merge_params
from .limits import bytes_option, check_points, human_bytes, memory_budget
from .operands import Factored, Operands
from .params import Parameter
from .prune import requisite
from .types import FinSet, names_apart

BATCH = -1  # the einsum index of a sweep's batch axis
MIN_WHOLE = 4096  # a sweep of at most this many points is first tried in one piece


@dataclass(frozen=True)
class NetBox:
    """A box of a net: a kernel whose ports attach to named wires (in port order)."""

    name: str
    kernel: Kernel
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]


class Net:
    """Boxes on typed wires with outer inputs and outputs; see the module docstring."""

    def __init__(self):
        self._wires: dict[str, FinSet] = {}
        self._boxes: list[NetBox] = []
        self._index: dict[str, int] = {}  # box name -> position of its first box
        self._inputs: tuple[str, ...] = ()
        self._outputs: tuple[str, ...] = ()
        self._version = 0
        self._changed()

    @classmethod
    def _of(cls, wires: Mapping[str, FinSet], boxes: Iterable[NetBox], inputs: Sequence[str],
            outputs: Sequence[str]) -> "Net":
        """A net made of these parts (taken as they are; check it before trusting it)."""
        net = cls()
        net._wires = dict(wires)
        net.boxes = boxes
        net._inputs, net._outputs = tuple(inputs), tuple(outputs)
        return net

    # ----- the structure, read-only from outside ------------------------------------
    @property
    def version(self) -> int:
        """A number that every change of the structure increases (caches are keyed on it)."""
        return self._version

    def _changed(self) -> None:
        """Bump the version and drop everything derived from the structure (views, order, check, plans)."""
        self._version += 1
        self._boxes_view: tuple[NetBox, ...] | None = None
        self._order: tuple[list[int] | None, list[str] | None] | None = None
        self._checked = False
        self._plans: dict = {}

    @property
    def wires(self) -> Mapping[str, FinSet]:
        """Wire name → type, in declaration order (read-only; declare wires with :meth:`add_wire`)."""
        return MappingProxyType(self._wires)

    @wires.setter
    def wires(self, wires: Mapping[str, FinSet]) -> None:
        self._wires = dict(wires)
        self._changed()

    @property
    def boxes(self) -> tuple[NetBox, ...]:
        """The boxes in the order they were added (assign a new sequence to replace them)."""
        if self._boxes_view is None:
            self._boxes_view = tuple(self._boxes)
        return self._boxes_view

    @boxes.setter
    def boxes(self, boxes: Iterable[NetBox]) -> None:
        self._boxes = list(boxes)
        self._index = {}
        for i, b in enumerate(self._boxes):
            self._index.setdefault(b.name, i)
        self._changed()

    @property
    def inputs(self) -> tuple[str, ...]:
        """The outer input wires, in order."""
        return self._inputs

    @inputs.setter
    def inputs(self, wires: Sequence[str]) -> None:
        self._inputs = tuple(wires)
        self._changed()

    @property
    def outputs(self) -> tuple[str, ...]:
        """The outer output wires, in order."""
        return self._outputs

    @outputs.setter
    def outputs(self, wires: Sequence[str]) -> None:
        self._outputs = tuple(wires)
        self._changed()

    # ----- building --------------------------------------------------------
    def add_wire(self, name: str, type: FinSet) -> str:
        """Declare a wire; re-declaring with another type is an error."""
        if name in self._wires and self._wires[name] != type:
            had, new = names_apart(self._wires[name], type)
            raise TypeMismatch(f"wire {name!r}", f"already has type {had}, not {new}",
                               fix="give the new wire another name")
        self._wires[name] = type
        self._changed()
        return name

    def add_box(self, name: str, kernel: Kernel, inputs: Sequence[str] = (), outputs: Sequence[str] = ()) -> NetBox:
        """Attach ``kernel`` to wires; unknown wire names are declared with the port's type."""
        if name in self._index:
            raise WiringError(None, "already exists", fix="give each box a distinct name", box=name)
        for wires, ports in ((inputs, kernel.dom), (outputs, kernel.cod)):
            for w, p in zip(wires, ports):
                self._wires.setdefault(w, p.type)
        box = NetBox(name, kernel, tuple(inputs), tuple(outputs))
        self._index[name] = len(self._boxes)
        self._boxes.append(box)
        self._changed()
        return box

    def set_inputs(self, *wires: str, types: Sequence[FinSet] | None = None) -> None:
        """Choose the outer input wires (declaring them if types are given)."""
        for w, t in zip(wires, types or ()):
            self.add_wire(w, t)
        self.inputs = wires

    def set_outputs(self, *wires: str) -> None:
        """Choose the outer output wires, in order."""
        self.outputs = wires

    @classmethod
    def from_kernel(cls, kernel: Kernel, name: str | None = None) -> "Net":
        """The net of one box: inputs named by the ports, outputs ``box.port``."""
        name = name or _ident(kernel.name)
        ins = [p.name for p in kernel.dom]
        outs = [f"{name}.{p.name}" for p in kernel.cod]
        wires = {w: p.type for w, p in zip(ins + outs, [*kernel.dom, *kernel.cod])}
        return cls._of(wires, [NetBox(name, kernel, tuple(ins), tuple(outs))], ins, outs)

    def clone(self) -> "Net":
        """A new net with the same wires, boxes and outer ports (sharing the kernels), to change apart."""
        return Net._of(self._wires, self._boxes, self._inputs, self._outputs)

    def renamed(self, prefix: str) -> "Net":
        """All boxes and wires prefixed with ``prefix/`` (for nesting)."""
        r = lambda w: f"{prefix}/{w}"
        return Net._of({r(w): t for w, t in self._wires.items()},
                       (NetBox(r(b.name), b.kernel, tuple(map(r, b.inputs)), tuple(map(r, b.outputs)))
                        for b in self._boxes),
                       tuple(map(r, self._inputs)), tuple(map(r, self._outputs)))

    def rename_wires(self, mapping: Mapping[str, str]) -> "Net":
        """The net with wires renamed by ``mapping`` (wires mapped to one name are merged).

        >>> B = FinSet("B", ["0", "1"])
        >>> net = Net.from_kernel(Kernel([[0.9, 0.1], [0.2, 0.8]], [B], [B], name="f"))
        >>> net.outputs, net.rename_wires({"f.b": "out"}).outputs
        (('f.b',), ('out',))
        """
        m = lambda w: mapping.get(w, w)
        return Net._of({m(w): t for w, t in self._wires.items()},
                       (NetBox(b.name, b.kernel, tuple(map(m, b.inputs)), tuple(map(m, b.outputs)))
                        for b in self._boxes),
                       tuple(map(m, self._inputs)), tuple(map(m, self._outputs)))

    def __rshift__(self, other: "Net") -> "Net":
        """Sequential composition: this net's outputs feed ``other``'s inputs, in order."""
        if isinstance(other, Kernel):
            other = Net.from_kernel(other)
        left = self
        if len(left.outputs) != len(other.inputs):
            raise TypeMismatch("composition >>", f"{len(left.outputs)} output(s) feed {len(other.inputs)} input(s)",
                               fix="compose nets whose outputs match the next inputs one for one")
        for a, b in zip(left.outputs, other.inputs):  # checked under the user's names, before renaming
            if left.wires.get(a) != other.wires.get(b):
                raise TypeMismatch(f"composition >>, wire {a!r} into {b!r}",
                                   "{} does not match {}".format(*_type_names(left.wires.get(a), other.wires.get(b))),
                                   fix="insert a converting box or fix the order of ports")
        right = _fresh(other, self)
        right = right.rename_wires(dict(zip(right.inputs, left.outputs)))
        # an outer input passed straight through to the outputs stays an input
        return Net._of({**left._wires, **right._wires}, left._boxes + right._boxes, left.inputs, right.outputs)

    def __matmul__(self, other: "Net") -> "Net":
        """Tensor product: the two nets side by side."""
        if isinstance(other, Kernel):
            other = Net.from_kernel(other)
        right = _fresh(other, self)
        return Net._of({**self._wires, **right._wires}, self._boxes + right._boxes,
                       self.inputs + right.inputs, self.outputs + right.outputs)

    def __rrshift__(self, other: Kernel) -> "Net":
        """``kernel >> net``: the kernel's box first."""
        return Net.from_kernel(other) >> self if isinstance(other, Kernel) else NotImplemented

    def __rmatmul__(self, other: Kernel) -> "Net":
        """``kernel @ net``: the kernel's box on the left."""
        return Net.from_kernel(other) @ self if isinstance(other, Kernel) else NotImplemented

    # ----- inspection ------------------------------------------------------
    @property
    def params(self) -> dict[str, Parameter]:
        return _merge_params(*(b.kernel for b in self._boxes))

    @property
    def free_parameters(self) -> set[str]:
        return {s.name for b in self._boxes for s in b.kernel.free_symbols}

    def box(self, name: str) -> NetBox:
        """The box called ``name``."""
        i = self._index.get(name)
        if i is None:
            raise UnknownName("net", f"has no box {name!r}",
                              fix=f"use one of: {', '.join(b.name for b in self._boxes)}")
        return self._boxes[i]

    def drivers(self) -> dict[str, list[str]]:
        """For each wire, what drives it: ``'input'`` or ``'box.port'`` entries."""
        out: dict[str, list[str]] = {w: [] for w in self._wires}
        for w in self._inputs:
            out.setdefault(w, []).append("outer input")
        for b in self._boxes:
            for w, p in zip(b.outputs, b.kernel.cod):
                out.setdefault(w, []).append(f"{b.name}.{p.name}")
        return out

    def readers(self) -> dict[str, list[str]]:
        """For each wire, the box ports that read it."""
        out: dict[str, list[str]] = {w: [] for w in self._wires}
        for b in self._boxes:
            for w, p in zip(b.inputs, b.kernel.dom):
                out.setdefault(w, []).append(f"{b.name}.{p.name}")
        return out

    def problems(self) -> list[MarkovwireError]:
        """Every structural and type problem of the net, each naming box, port and types."""
        errs: list[MarkovwireError] = []
        if len(self._index) < len(self._boxes):
            counts: dict[str, int] = {}
            for b in self._boxes:
                counts[b.name] = counts.get(b.name, 0) + 1
            errs += [WiringError(None, f"is the name of {k} boxes", fix="give each box a distinct name", box=name)
                     for name, k in counts.items() if k > 1]
        for b in self._boxes:
            for kind, wires, ports in (("input", b.inputs, b.kernel.dom), ("output", b.outputs, b.kernel.cod)):
                if len(wires) != len(ports):
                    errs.append(WiringError(None, f"has {len(ports)} {kind} port(s) but {len(wires)} "
                                            f"wire(s) attached", fix=f"attach one wire per {kind} port", box=b.name))
                for w, p in zip(wires, ports):
                    t = self._wires.get(w)
                    if t is p.type:
                        continue
                    if t is None:
                        errs.append(UnknownName(None, f"refers to unknown wire {w!r}",
                                                fix="declare the wire or fix its name", box=b.name, port=p.name))
                    elif t != p.type:
                        carried, expected = names_apart(t, p.type)
                        errs.append(TypeMismatch(
                            None, f"wire {w!r} carries {carried} but the port expects {expected}",
                            fix=f"connect a wire of type {expected} to {b.name}.{p.name}", box=b.name, port=p.name))
        sources = dict.fromkeys(self._wires, 0)  # counted first; the ports are named only for a faulty wire
        for w in self._inputs:
            sources[w] = sources.get(w, 0) + 1
        for b in self._boxes:
            for w in b.outputs[:len(b.kernel.cod)]:
                sources[w] = sources.get(w, 0) + 1
        read = {w for b in self._boxes for w in b.inputs[:len(b.kernel.dom)]}.union(self._outputs)
        faulty = [w for w in self._wires if sources[w] > 1 or (not sources[w] and w in read)]
        drivers, readers = (self.drivers(), self.readers()) if faulty else ({}, {})
        for w in faulty:
            d = drivers[w]
            if len(d) > 1:
                errs.append(WiringError(f"wire {w!r}", f"is driven by {len(d)} sources: {', '.join(d)}",
                                        fix="give each wire exactly one source; merge them with an explicit box"))
            else:
                used = ", ".join(readers[w] or ["the outer outputs"])
                errs.append(WiringError(f"wire {w!r}", f"is read by {used} but nothing drives it",
                                        fix="connect an output or an outer input to it"))
        for w in self._inputs + self._outputs:
            if w not in self._wires:
                errs.append(UnknownName(f"outer port {w!r}", "is not a wire of the net",
                                        fix="declare it with add_wire, or fix its name"))
        _, cycle = self._topological_order()
        if cycle:
            errs.append(_cycle_error(cycle))
        return errs

    def check(self) -> "Net":
        """Raise every problem at once (one error, or an :class:`ErrorList`)."""
        if self._checked:
            return self
        errs = self.problems()
        if len(errs) == 1:
            raise errs[0]
        if errs:
            raise ErrorList(errs)
        self._checked = True
        return self

    def topological(self) -> list[NetBox]:
        """Boxes ordered so that every box comes after the boxes it reads from.

        Among the orders that do, the one closest to the order the boxes were added
        (that very order when it already is one). A cycle is a :class:`WiringError`.
        """
        order, cycle = self._topological_order()
        if cycle:
            raise _cycle_error(cycle)
        return [self._boxes[i] for i in order]

    def _topological_order(self) -> tuple[list[int] | None, list[str] | None]:
        """``(positions of the boxes in topological order, None)``, or ``(None, names on a cycle)``.

        Boxes added producers first keep their order; otherwise ``graphlib`` finds the
        order or a cycle without recursion (a chain of any length is fine), taking the
        earliest added of the boxes ready at each step.
        """
        if self._order is None:
            producers: dict[str, list[int]] = {}
            for i, b in enumerate(self._boxes):
                for w in b.outputs:
                    producers.setdefault(w, []).append(i)
            reads = [dict.fromkeys(j for w in b.inputs for j in producers.get(w, ())) for b in self._boxes]
            if all(j < i for i, js in enumerate(reads) for j in js):
                self._order = list(range(len(self._boxes))), None
                return self._order
            graph = TopologicalSorter()
            for i, js in enumerate(reads):
                graph.add(i, *js)
            try:
                graph.prepare()
            except CycleError as e:  # e.args[1]: each box feeds the next, the first repeated at the end
                self._order = None, [self._boxes[i].name for i in e.args[1]]
                return self._order
            ready = list(graph.get_ready())
            heapq.heapify(ready)
            order = []
            while ready:
                i = heapq.heappop(ready)
                order.append(i)
                graph.done(i)
                for j in graph.get_ready():
                    heapq.heappush(ready, j)
            self._order = order, None
        return self._order

    # ----- evaluation ------------------------------------------------------
    def evaluate(self, values: Mapping[str, object] | None = None, *, evidence: Mapping[str, str] | None = None,
                 outputs: Sequence[str] | None = None, symbolic: bool = False, normalize: bool = True):
        """The kernel from the outer inputs to ``outputs`` (default: the net's outputs).

        ``values`` gives parameters; array values (of one common shape) sweep, and the
        result is then an array with the sweep's axes first. Boxes holding a batch of ``n``
        tables (``Kernel(..., batch=n)``) share that axis: the result's first axis is the
        table's index, and swept values must then be ``n`` long (point ``i`` uses table ``i``).
        ``evidence`` conditions on observed labels of any wires. ``symbolic=True`` keeps
        parameters as sympy symbols. Boxes that cannot move the answer are left out of its
        contraction (:mod:`markovwire.prune`).
        """
        self.check()
        outputs = tuple(self.outputs if outputs is None else outputs)
        evidence = dict(evidence or {})
        obs = self._evidence_indices(evidence, outputs)
        arrays, batch = self._operand_arrays(values or {}, symbolic, factored=True)
        unused_sweep = not batch and not symbolic and any(np.ndim(v) for v in (values or {}).values())
        flags = tuple(2 if isinstance(a, Factored) else a.ndim > nd
                      for a, nd in zip(arrays, self._operands()[1].ndims)) if batch else ()
        plan = self._plan(outputs, tuple(sorted(obs)), flags, batch[0] if batch else 0, symbolic)
        with out_of_memory(plan.program):
            raw = plan.contract(arrays, obs, symbolic)
            result = self._finish(raw, plan, outputs, obs, evidence, batch, normalize, symbolic, unused_sweep)
        if batch:
            return result
        if unused_sweep:  # swept, but used by no box: the same answer at every point
            shape = np.broadcast_shapes(*(np.shape(v) for v in values.values()))
            return np.broadcast_to(result, shape + np.shape(result)).copy()
        dom = [(w, self.wires[w]) for w in self.inputs]
        cod = [(name, self.wires[w]) for name, w in zip(_port_names(outputs), outputs)]
        if not normalize:
            return result
        return Kernel(result, dom, cod, params=self.params if symbolic else (), name="net", check=False)

    def probability(self, evidence: Mapping[str, str], values: Mapping[str, object] | None = None):
        """``P(evidence)`` (per outer input, per sweep point)."""
        return self.evaluate(values, evidence=evidence, outputs=(), normalize=False)

    def sweep(self, grid: Mapping[str, Sequence[float]], *, out=None, chunk: int | None = None, progress=None,
              **kw) -> np.ndarray:
        """Evaluate on the outer product of the given value lists: axes in the grid's order first.

        A grid that does not fit in the memory budget at once is evaluated in pieces
        (:mod:`markovwire.parallel`: on threads, or on the cluster of :func:`markovwire.set_engine`),
        ``chunk`` points each if given; the result is the same whatever runs the pieces. With ``out``
        (a directory) the result is written there piece by piece and opened as a
        :class:`~markovwire.parallel.SweepFile` (memmaps) instead, so the sweep need not fit in memory.
        ``progress(done, pieces)`` is called as pieces finish.
        """
        from .parallel import chunks, run, write_sweep
        names = list(grid)
        total = check_points({n: np.size(grid[n]) for n in names}, "Net.sweep")
        axes = {n: np.asarray(grid[n], dtype=float).reshape(-1) for n in names}
        task = _SweepPoints(self, dict(kw.pop("values", {}) or {}), kw)
        if not names:
            return task({})
        pieces = [(0, total)] if chunk is None and out is None and total <= MIN_WHOLE else None
        if pieces is not None:
            try:
                return task.reshaped(axes, [task.on(axes, (0, total))])
            except ContractionTooLarge:
                pieces = None  # too large at once: in pieces
        point = task.point_bytes(axes, total) if chunk is None else 0
        pieces = chunks(total, point, size=chunk)
        if out is not None:
            return write_sweep(out, axes, task.named, {"result": None}, pieces=pieces, progress=progress,
                               point_bytes=point * (pieces[0][1] - pieces[0][0]))
        rows = task.result_bytes(axes, total)
        if rows > memory_budget():
            raise ContractionTooLarge("Net.sweep", f"the result of {total:,} points needs {human_bytes(rows)}, more "
                                      f"than the memory budget of {human_bytes(memory_budget())}",
                                      fix="write it to disk piece by piece: net.sweep(grid, out='results.npyd') "
                                          "(markovwire eval FILE --sweep … -o results.npyd), then "
                                          "markovwire.open_sweep('results.npyd'); or raise the budget "
                                          f"(--max-memory {bytes_option(rows * 2)})")
        parts = list(run(functools.partial(task.on, axes), pieces, progress=progress,
                         piece_bytes=point * (pieces[0][1] - pieces[0][0])))
        return task.reshaped(axes, parts)

    def marginals(self, values: Mapping[str, object] | None = None, *, evidence: Mapping[str, str] | None = None,
                  wires: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        """The distribution of every wire a box drives (or of ``wires``), all from one junction-tree pass.

        Each marginal has the sweep's axes first, then one axis per outer input (the
        distribution given each input value), then the wire's axis; see :mod:`markovwire.marginals`.
        """
        from .marginals import all_marginals
        return all_marginals(self, values or {}, evidence or {}, wires)

    def joint(self, values: Mapping[str, object] | None = None, **kw) -> Kernel:
        """The joint distribution of every wire (for checks; exponential in the number of wires)."""
        wires = [w for w in self.wires if w not in self.inputs]
        return self.evaluate(values, outputs=wires, **kw)

    # ----- evaluation internals --------------------------------------------
    def _evidence_indices(self, evidence, outputs) -> dict[str, int]:
        obs = {}
        for w, label in evidence.items():
            if w not in self.wires:
                raise EvidenceError(f"evidence on {w!r}", "is not a wire of the net",
                                    fix=f"observe one of: {', '.join(self.wires)}")
            if w in self.inputs:
                raise EvidenceError(f"evidence on {w!r}", "is an outer input, not a random wire",
                                    fix="give the input's value as the kernel's argument (row) instead")
            if label not in self.wires[w]:
                raise EvidenceError(f"evidence on {w!r}", f"{label!r} is not an element of {self.wires[w].name}",
                                    fix=f"observe one of: {', '.join(self.wires[w].elements)}")
            obs[w] = self.wires[w].index(label)
        for w in outputs:
            if w not in self.wires:
                raise UnknownName(f"output {w!r}", "is not a wire of the net",
                                  fix=f"choose among: {', '.join(self.wires)}")
        return obs

    def _operands(self) -> tuple[list[NetBox], Operands]:
        """The boxes in topological order and their numeric evaluator, built once per version."""
        cached = self._plans.get("operands")
        if cached is None:
            boxes = self.topological()
            cached = self._plans["operands"] = (boxes, Operands([b.kernel for b in boxes], self.params,
                                                               [b.name for b in boxes]))
        return cached

    def _operand_arrays(self, values, symbolic, factored: bool = False):
        """One array per box (topological order) and the sweep ``()`` or ``(n, shape)``.

        With ``factored``, a swept kernel may come as :class:`~markovwire.operands.Factored`.
        """
        boxes, operands = self._operands()
        if symbolic:
            if operands.tables:
                raise ShapeError(None, f"is a batch of {operands.tables[0]} numeric tables, which has no symbolic "
                                 "evaluation", fix="evaluate numerically (symbolic=False): every table at once",
                                 box=operands.tables[1])
            return [b.kernel.array for b in boxes], ()
        return operands(values, factored)

    def _plan(self, outputs, observed, flags, batch, symbolic) -> "_NetPlan":
        key = (outputs, observed, flags, batch, symbolic)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = _NetPlan(self, outputs, set(observed), flags, batch, symbolic)
        else:
            plan.program.check()  # the budgets may have been lowered since it was planned
        return plan

    def _finish(self, raw, plan, outputs, obs, evidence, batch, normalize, symbolic, unused_sweep=False):
        lead = (1 if batch else 0) + len(self.inputs)
        if obs and any(w in obs for w in outputs):  # observed outputs: re-insert a one-hot axis
            for k, w in enumerate(outputs):
                if w in obs:
                    n = len(self.wires[w])
                    raw = np.expand_dims(raw, lead + k)
                    hot = np.zeros(n, dtype=raw.dtype)
                    hot[obs[w]] = 1
                    shape = [1] * raw.ndim
                    shape[lead + k] = n
                    raw = raw * hot.reshape(shape)
        if not normalize:
            return raw.reshape(batch[1] + raw.shape[1:]) if batch else raw
        if obs:
            axes = tuple(range(lead, raw.ndim))
            total = raw.sum(axis=axes, keepdims=True) if axes else raw
            zero = _is_zero(total) if symbolic else (np.asarray(total) <= 0)
            if np.any(zero):
                raise self._zero_evidence(np.argwhere(zero)[0][:lead], evidence, batch, unused_sweep)
            if symbolic:
                return np.vectorize(sympy.cancel, otypes=[object])(raw / total)
            raw = raw / total
        if batch:
            raw = raw.reshape(batch[1] + raw.shape[1:])
        return raw

    def _zero_evidence(self, at, evidence, batch, unused_sweep=False) -> EvidenceError:
        """The error for evidence of probability zero, naming the sweep point and inputs where it is."""
        shown = ", ".join(f"{k}={v}" for k, v in evidence.items())
        where = ["every sweep point"] if unused_sweep else []
        if batch:
            point = np.unravel_index(int(at[0]), batch[1])
            where.append(f"sweep point {point[0] if len(point) == 1 else tuple(map(int, point))}")
            if self._operands()[1].tables:
                where[-1] += f", table {point[0]} of the batch of box {self._operands()[1].tables[1]!r}"
            at = at[1:]
        where += [f"{w}={self.wires[w].elements[i]}" for w, i in zip(self.inputs, at)]
        return EvidenceError(f"evidence {shown}", "has probability zero under the net"
                             + (f" (at {', '.join(where)})" if where else ""),
                             fix="condition on observations the proposal can produce")

    def _repr_mimebundle_(self, include=None, exclude=None):
        """SVG and text in Jupyter; the figure comes from markovwire.diagrams when it is installed."""
        try:
            from markovwire.diagrams.render import mimebundle
        except ImportError:
            return {"text/plain": repr(self)}
        return mimebundle(self, include, exclude)

    def __repr__(self) -> str:
        ins = ", ".join(f"{w}: {self.wires[w].name}" for w in self.inputs) or "I"
        outs = ", ".join(f"{w}: {self.wires[w].name}" for w in self.outputs) or "I"
        return f"Net({len(self.boxes)} boxes, {len(self.wires)} wires; {ins} → {outs})"


class _SweepPoints:
    """A net evaluated at points of a sweep (picklable, so that pieces can run in worker processes)."""

    PROBE = 64  # points evaluated to measure the memory a point needs

    def __init__(self, net: Net, values: Mapping[str, object], kw: Mapping[str, object]):
        self.net, self.values, self.kw = net, dict(values), dict(kw)

    def __call__(self, points: Mapping[str, np.ndarray]):
        return self.net.evaluate({**self.values, **points}, **self.kw)

    def on(self, axes: Mapping[str, np.ndarray], piece: tuple[int, int]) -> np.ndarray:
        """The points ``piece`` of the grid over ``axes``; impossible evidence is placed at its point of the grid."""
        from .parallel import grid_points
        shape = tuple(len(a) for a in axes.values())
        points = grid_points(axes, piece)
        try:
            return self(points)
        except EvidenceError:
            evidence = self.kw.get("evidence")
            if not evidence:
                raise
            weight = np.asarray(self.net.probability(evidence, {**self.values, **points}))
            at = np.argwhere(weight.reshape((piece[1] - piece[0],) + weight.shape[1:]) <= 0)
            if not len(at):
                raise
            at[0][0] += piece[0]
            raise self.net._zero_evidence(at[0], evidence, (math.prod(shape), shape)) from None

    def named(self, points: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {"result": self(points)}

    def reshaped(self, axes: Mapping[str, np.ndarray], parts: list) -> np.ndarray:
        out = parts[0] if len(parts) == 1 else np.concatenate(parts)
        return out.reshape(tuple(len(a) for a in axes.values()) + out.shape[1:])

    def point_bytes(self, axes, total: int) -> float:
        """The bytes one point of the sweep needs at once, from the plan of a few points (an upper bound)."""
        from .parallel import probe as largest_probe
        probe = largest_probe(functools.partial(self.on, axes), total, self.PROBE)
        peaks = [p.program.peak + (p.apart.program.peak if getattr(p, "apart", None) is not None else 0)
                 for key, p in self.net._plans.items() if isinstance(p, _NetPlan) and key[3] == probe]
        return max(peaks, default=0) / probe

    def result_bytes(self, axes, total: int) -> float:
        """The bytes of the whole sweep's result."""
        return float(total) * np.asarray(self.on(axes, (0, 1))).nbytes


class _NetPlan:
    """The einsum of a net for given outputs, evidence wires and batch layout, planned once."""

    def __init__(self, net: Net, outputs, observed: set, flags, batch: int, symbolic: bool,
                 keep: Sequence[int] | None = None):
        boxes = net._operands()[0]
        flags = flags or (False,) * len(boxes)
        self.apart = None  # the plan of the boxes that only weigh the evidence (see markovwire.prune)
        if keep is None:
            keep, apart = requisite([(b.inputs, b.outputs) for b in boxes], outputs, observed, net.inputs)
            if apart:
                self.apart = _NetPlan(net, (), observed, flags, batch, symbolic, keep=apart)
        self.keep = list(keep)
        wires = [w for w in net.wires if w not in observed]
        index = {w: i for i, w in enumerate(wires)}
        sizes = {i: len(net.wires[w]) for w, i in index.items()}
        names = {i: w for w, i in index.items()}
        operands, self.extra = [], []
        self.observed_axes = []
        self.factored = 2 in flags
        for k in self.keep:
            b, batched = boxes[k], flags[k]
            wl = list(b.inputs) + list(b.outputs)
            self.observed_axes.append([(ax + (1 if batched else 0), w) for ax, w in enumerate(wl) if w in observed])
            lead = (BATCH,) if batched else ()
            if batched == 2:  # coefficients (inputs, basis, outputs), then the basis values per sweep point
                basis, n_in = BATCH - 1 - k, len(b.inputs)
                sizes[basis], names[basis] = net._operands()[1].rank(k), f"basis of {b.name}"
                self.observed_axes[-1] = [(ax + (ax >= n_in), w) for ax, w in enumerate(wl) if w in observed]
                operands.append(tuple(index[w] for w in wl[:n_in] if w not in observed) + (basis,)
                                + tuple(index[w] for w in wl[n_in:] if w not in observed))
                operands.append((BATCH, basis))
                self.observed_axes.append([])
                continue
            operands.append(lead + tuple(index[w] for w in wl if w not in observed))
        self.observed_boxes = [k for k, axes in enumerate(self.observed_axes) if axes]
        read = {i for op in operands for i in op}
        out_idx: list[int] = [BATCH] if batch else []
        nxt = len(wires)
        for w in net.inputs:
            if index[w] not in read:  # an input nobody reads: a constant factor of ones
                self.extra.append(np.ones(sizes[index[w]]))
                operands.append((index[w],))
            out_idx.append(index[w])
        seen = set(out_idx)
        for w in outputs:
            if w in observed:
                continue
            i = index[w]
            if i in seen:  # an output that repeats a wire: route it through an identity
                sizes[nxt] = sizes[i]
                names[nxt] = w
                self.extra.append(np.eye(sizes[i]))
                operands.append((i, nxt))
                i, nxt = nxt, nxt + 1
            out_idx.append(i)
            seen.add(i)
        if batch:
            sizes[BATCH] = batch
            names[BATCH] = "sweep" if net._operands()[1].tables is None else "batch of tables"
            if not any(BATCH in op for op in operands):  # swept only in pruned boxes: the same at every point
                self.extra.append(np.ones(batch))
                operands.append((BATCH,))
        if not operands:
            operands.append(())
            self.extra.append(np.ones(()))
        itemsize = 8 if not symbolic else 64
        self.program = Program(operands, tuple(out_idx), sizes, names, itemsize=itemsize)

    def slicers(self, obs: Mapping[str, int]):
        """Per operand, the index tuple that fixes observed wires (or None)."""
        out = []
        for axes in self.observed_axes:
            if not axes:
                out.append(None)
                continue
            sl: list = [slice(None)] * (max(a for a, _ in axes) + 1)
            for ax, w in axes:
                sl[ax] = obs[w]
            out.append(tuple(sl))
        return out

    def observe(self, arrays: list, obs: Mapping[str, int]) -> list:
        """The kept boxes' operand arrays (factored kernels as two), observed wires fixed at their observed values."""
        arrays = [arrays[k] for k in self.keep]
        if self.factored:
            arrays = [x for a in arrays for x in ((a.coef, a.basis) if isinstance(a, Factored) else (a,))]
        if not self.observed_boxes:
            return arrays
        arrays = list(arrays)
        for k, sl in zip(self.observed_boxes, (s for s in self.slicers(obs) if s is not None)):
            arrays[k] = arrays[k][sl]
        return arrays

    def run(self, arrays):
        extra = self.extra
        if arrays and arrays[0].dtype == object:
            extra = [np.asarray(e, dtype=object) for e in extra]
        return self.program(*arrays, *extra)

    def contract(self, arrays: list, obs: Mapping[str, int], symbolic: bool) -> np.ndarray:
        """The unnormalised result from every box's array: the kept boxes' contraction, times the weight of
        the evidence the boxes set apart give (one number per sweep point and input value)."""
        ops = self.observe(arrays, obs)
        if symbolic:
            raw = _contract_objects(self.program, ops + [np.asarray(e, dtype=object) for e in self.extra])
        else:
            raw = self.run(ops)
        if self.apart is not None:
            weight = self.apart.contract(arrays, obs, symbolic)
            raw = raw * weight.reshape(weight.shape + (1,) * (raw.ndim - weight.ndim))
        return np.vectorize(sympy.expand, otypes=[object])(raw) if symbolic else raw


def _contract_objects(program: Program, arrays) -> np.ndarray:
    """Contract object (sympy) arrays along the planned path, one einsum per pair.

    numpy reduces object arrays to bare scalars where float arrays stay arrays, so
    the compiled numeric steps do not serve; symbolic nets are small, this is plenty.
    """
    live = {k: (np.asarray(a, dtype=object), op) for k, (a, op) in enumerate(zip(arrays, program.operands))}
    n = len(live)
    for step, (a, b) in enumerate(program.path):
        (x, ix), (y, iy) = live.pop(a), live.pop(b)
        needed = set(program.output).union(*(op for _, op in live.values()))
        res = tuple(i for i in dict.fromkeys(ix + iy) if i in needed)
        live[n + step] = (_einsum_objects([(x, ix), (y, iy)], res), res)
    ((x, ix),) = live.values()
    return _einsum_objects([(x, ix)], program.output)


def _einsum_objects(operands, out) -> np.ndarray:
    """``einsum`` of object arrays on any integer indices, relabelled to einsum's 0..51; always an array."""
    label = {i: k for k, i in enumerate(dict.fromkeys(i for _, ix in operands for i in ix))}
    args = [v for x, ix in operands for v in (x, [label[i] for i in ix])]
    return np.asarray(np.einsum(*args, [label[i] for i in out], optimize=False), dtype=object)


def _is_zero(arr) -> np.ndarray:
    """Elementwise: the sympy entry is zero (sympy's ``Float(0.0) == 0`` is False, ``.is_zero`` is not)."""
    return np.vectorize(lambda e: sympy.sympify(e).is_zero is True, otypes=[bool])(np.asarray(arr, dtype=object))


def _type_names(a, b) -> tuple[str, str]:
    """Two wires' types as a mismatch message shows them (:func:`names_apart`); no type: an undeclared wire."""
    if isinstance(a, FinSet) and isinstance(b, FinSet):
        return names_apart(a, b)
    return tuple(t.name if isinstance(t, FinSet) else "an undeclared wire" for t in (a, b))


def _port_names(wires: Sequence[str]) -> list[str]:
    """Port names for output wires: a wire output twice is named ``w``, then ``w#2``."""
    seen: dict[str, int] = {}
    out = []
    for w in wires:
        seen[w] = seen.get(w, 0) + 1
        out.append(w if seen[w] == 1 else f"{w}#{seen[w]}")
    return out


def _ident(name: str) -> str:
    return "".join(c if c.isalnum() or c in "_-" else "_" for c in name).strip("_") or "box"


def _cycle_error(cycle: Sequence[str]) -> WiringError:
    return WiringError("net", f"has a cycle through boxes {' → '.join(cycle)}",
                       fix="break the loop with a stateful box (a feedback wire through state)")


def _fresh(net: Net, avoid: Net) -> Net:
    """``net`` with boxes and wires renamed so that none clash with ``avoid``'s."""
    taken_w, taken_b = set(avoid.wires), {b.name for b in avoid.boxes}
    if taken_w.isdisjoint(net.wires) and taken_b.isdisjoint(b.name for b in net.boxes):
        return net

    def fresh(name, taken):
        out = name
        if name in taken:
            out = next(c for k in itertools.count(2) if (c := f"{name}#{k}") not in taken)
        taken.add(out)
        return out
    bmap = {b.name: fresh(b.name, taken_b) for b in net.boxes}
    other = net.rename_wires({w: fresh(w, taken_w) for w in net.wires})
    other.boxes = [NetBox(bmap[b.name], b.kernel, b.inputs, b.outputs) for b in other.boxes]
    return other
