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
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import sympy

from .contract import Program
from .errors import (ErrorList, EvidenceError, MarkovwireError, TypeMismatch, UnknownName, WiringError)
from .kernel import Kernel, _merge_params
from .operands import Factored, Operands
from .params import Parameter
from .types import FinSet

BATCH = -1  # the einsum index of a sweep's batch axis


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
        self.wires: dict[str, FinSet] = {}
        self.boxes: list[NetBox] = []
        self.inputs: tuple[str, ...] = ()
        self.outputs: tuple[str, ...] = ()
        self._plans: dict = {}
        self._checked = False

    # ----- building --------------------------------------------------------
    def _changed(self):
        self._plans.clear()
        self._checked = False

    def add_wire(self, name: str, type: FinSet) -> str:
        """Declare a wire; re-declaring with another type is an error."""
        if name in self.wires and self.wires[name] != type:
            raise TypeMismatch(f"wire {name!r}", f"already has type {self.wires[name].name}, not {type.name}",
                               fix="give the new wire another name")
        self.wires[name] = type
        self._changed()
        return name

    def add_box(self, name: str, kernel: Kernel, inputs: Sequence[str] = (), outputs: Sequence[str] = ()) -> NetBox:
        """Attach ``kernel`` to wires; unknown wire names are declared with the port's type."""
        if any(b.name == name for b in self.boxes):
            raise WiringError(f"box {name!r}", "already exists", fix="give each box a distinct name")
        for wires, ports in ((inputs, kernel.dom), (outputs, kernel.cod)):
            for w, p in zip(wires, ports):
                self.wires.setdefault(w, p.type)
        box = NetBox(name, kernel, tuple(inputs), tuple(outputs))
        self.boxes.append(box)
        self._changed()
        return box

    def set_inputs(self, *wires: str, types: Sequence[FinSet] | None = None) -> None:
        """Choose the outer input wires (declaring them if types are given)."""
        for w, t in zip(wires, types or ()):
            self.add_wire(w, t)
        self.inputs = tuple(wires)
        self._changed()

    def set_outputs(self, *wires: str) -> None:
        """Choose the outer output wires, in order."""
        self.outputs = tuple(wires)
        self._changed()

    @classmethod
    def from_kernel(cls, kernel: Kernel, name: str | None = None) -> "Net":
        """The net of one box: inputs named by the ports, outputs ``box.port``."""
        net = cls()
        name = name or _ident(kernel.name)
        ins = [p.name for p in kernel.dom]
        outs = [f"{name}.{p.name}" for p in kernel.cod]
        for w, p in zip(ins, kernel.dom):
            net.add_wire(w, p.type)
        net.add_box(name, kernel, ins, outs)
        net.set_inputs(*ins)
        net.set_outputs(*outs)
        return net

    def copy(self) -> "Net":
        """A shallow copy sharing the kernels."""
        other = Net()
        other.wires = dict(self.wires)
        other.boxes = list(self.boxes)
        other.inputs, other.outputs = self.inputs, self.outputs
        return other

    def renamed(self, prefix: str) -> "Net":
        """All boxes and wires prefixed with ``prefix/`` (for nesting)."""
        r = lambda w: f"{prefix}/{w}"
        other = Net()
        other.wires = {r(w): t for w, t in self.wires.items()}
        other.boxes = [NetBox(r(b.name), b.kernel, tuple(map(r, b.inputs)), tuple(map(r, b.outputs)))
                       for b in self.boxes]
        other.inputs, other.outputs = tuple(map(r, self.inputs)), tuple(map(r, self.outputs))
        return other

    def substitute(self, mapping: Mapping[str, str]) -> "Net":
        """Rename wires by ``mapping`` (wires mapped to one name are merged)."""
        m = lambda w: mapping.get(w, w)
        other = Net()
        for w, t in self.wires.items():
            other.wires[m(w)] = t
        other.boxes = [NetBox(b.name, b.kernel, tuple(map(m, b.inputs)), tuple(map(m, b.outputs)))
                       for b in self.boxes]
        other.inputs, other.outputs = tuple(map(m, self.inputs)), tuple(map(m, self.outputs))
        return other

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
                                   f"{_type_name(left.wires.get(a))} does not match {_type_name(other.wires.get(b))}",
                                   fix="insert a converting box or fix the order of ports")
        right = _fresh(other, self)
        right = right.substitute(dict(zip(right.inputs, left.outputs)))
        net = left.copy()
        net.wires.update(right.wires)
        net.boxes += right.boxes
        net.outputs = right.outputs
        # an outer input passed straight through to the outputs stays an input
        return net

    def __matmul__(self, other: "Net") -> "Net":
        """Tensor product: the two nets side by side."""
        if isinstance(other, Kernel):
            other = Net.from_kernel(other)
        right = _fresh(other, self)
        net = self.copy()
        net.wires.update(right.wires)
        net.boxes += right.boxes
        net.inputs += right.inputs
        net.outputs += right.outputs
        return net

    def __rrshift__(self, other: Kernel) -> "Net":
        """``kernel >> net``: the kernel's box first."""
        return Net.from_kernel(other) >> self if isinstance(other, Kernel) else NotImplemented

    def __rmatmul__(self, other: Kernel) -> "Net":
        """``kernel @ net``: the kernel's box on the left."""
        return Net.from_kernel(other) @ self if isinstance(other, Kernel) else NotImplemented

    # ----- inspection ------------------------------------------------------
    @property
    def params(self) -> dict[str, Parameter]:
        return _merge_params(*(b.kernel for b in self.boxes))

    @property
    def free_parameters(self) -> set[str]:
        return {s.name for b in self.boxes for s in b.kernel.free_symbols}

    def box(self, name: str) -> NetBox:
        for b in self.boxes:
            if b.name == name:
                return b
        raise UnknownName("net", f"has no box {name!r}", fix=f"use one of: {', '.join(b.name for b in self.boxes)}")

    def drivers(self) -> dict[str, list[str]]:
        """For each wire, what drives it: ``'input'`` or ``'box.port'`` entries."""
        out: dict[str, list[str]] = {w: [] for w in self.wires}
        for w in self.inputs:
            out.setdefault(w, []).append("outer input")
        for b in self.boxes:
            for w, p in zip(b.outputs, b.kernel.cod):
                out.setdefault(w, []).append(f"{b.name}.{p.name}")
        return out

    def readers(self) -> dict[str, list[str]]:
        """For each wire, the box ports that read it."""
        out: dict[str, list[str]] = {w: [] for w in self.wires}
        for b in self.boxes:
            for w, p in zip(b.inputs, b.kernel.dom):
                out.setdefault(w, []).append(f"{b.name}.{p.name}")
        return out

    def problems(self) -> list[MarkovwireError]:
        """Every structural and type problem of the net, each naming box, port and types."""
        errs: list[MarkovwireError] = []
        for b in self.boxes:
            for kind, wires, ports in (("input", b.inputs, b.kernel.dom), ("output", b.outputs, b.kernel.cod)):
                if len(wires) != len(ports):
                    errs.append(WiringError(f"box {b.name!r}", f"has {len(ports)} {kind} port(s) but {len(wires)} "
                                            f"wire(s) attached", fix=f"attach one wire per {kind} port"))
                for w, p in zip(wires, ports):
                    t = self.wires.get(w)
                    if t is None:
                        errs.append(UnknownName(f"box {b.name!r}, port {p.name!r}", f"refers to unknown wire {w!r}",
                                                fix="declare the wire or fix its name"))
                    elif t != p.type:
                        errs.append(TypeMismatch(
                            f"box {b.name!r}, port {p.name!r}",
                            f"wire {w!r} carries {t.name} but the port expects {p.type.name}",
                            fix=f"connect a wire of type {p.type.name} to {b.name}.{p.name}"))
        drivers = self.drivers()
        readers = self.readers()
        for w in self.wires:
            d = drivers.get(w, [])
            if len(d) > 1:
                errs.append(WiringError(f"wire {w!r}", f"is driven by {len(d)} sources: {', '.join(d)}",
                                        fix="give each wire exactly one source; merge them with an explicit box"))
            elif not d and (readers.get(w) or w in self.outputs):
                used = ", ".join(readers.get(w) or ["the outer outputs"])
                errs.append(WiringError(f"wire {w!r}", f"is read by {used} but nothing drives it",
                                        fix="connect an output or an outer input to it"))
        for w in self.inputs + self.outputs:
            if w not in self.wires:
                errs.append(UnknownName(f"outer port {w!r}", "is not a wire of the net",
                                        fix="declare it with add_wire, or fix its name"))
        cycle = self._find_cycle()
        if cycle:
            errs.append(WiringError("net", f"has a cycle through boxes {' → '.join(cycle)}",
                                    fix="break the loop with a stateful box (a feedback wire through state)"))
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

    def _find_cycle(self) -> list[str] | None:
        producer = {w: b.name for b in self.boxes for w in b.outputs}
        deps = {b.name: [producer[w] for w in b.inputs if w in producer] for b in self.boxes}
        state: dict[str, int] = {}
        stack: list[str] = []

        def visit(n):
            state[n] = 1
            stack.append(n)
            for m in deps.get(n, []):
                if state.get(m) == 1:
                    return stack[stack.index(m):] + [m]
                if m not in state:
                    found = visit(m)
                    if found:
                        return found
            state[n] = 2
            stack.pop()
            return None

        for b in self.boxes:
            if b.name not in state:
                found = visit(b.name)
                if found:
                    return found
        return None

    def topological(self) -> list[NetBox]:
        """Boxes ordered so that every box comes after the boxes it reads from."""
        producer = {w: i for i, b in enumerate(self.boxes) for w in b.outputs}
        order, seen = [], set()

        def visit(i):
            if i in seen:
                return
            seen.add(i)
            for w in self.boxes[i].inputs:
                if w in producer:
                    visit(producer[w])
            order.append(self.boxes[i])

        for i in range(len(self.boxes)):
            visit(i)
        return order

    # ----- evaluation ------------------------------------------------------
    def evaluate(self, values: Mapping[str, object] | None = None, *, evidence: Mapping[str, str] | None = None,
                 outputs: Sequence[str] | None = None, symbolic: bool = False, normalize: bool = True):
        """The kernel from the outer inputs to ``outputs`` (default: the net's outputs).

        ``values`` gives parameters; array values (of one common shape) sweep, and the
        result is then an array with the sweep's axes first. ``evidence`` conditions on
        observed labels of any wires. ``symbolic=True`` keeps parameters as sympy symbols.
        """
        self.check()
        outputs = tuple(self.outputs if outputs is None else outputs)
        evidence = dict(evidence or {})
        obs = self._evidence_indices(evidence, outputs)
        arrays, batch = self._operand_arrays(values or {}, symbolic, factored=True)
        flags = tuple(2 if isinstance(a, Factored) else a.ndim > nd
                      for a, nd in zip(arrays, self._operands()[1].ndims)) if batch else ()
        plan = self._plan(outputs, tuple(sorted(obs)), flags, batch[0] if batch else 0, symbolic)
        arrays = plan.observe(arrays, obs)
        if symbolic:
            raw = np.vectorize(sympy.expand, otypes=[object])(_contract_objects(plan.program, arrays + plan.extra))
        else:
            raw = plan.run(arrays)
        result = self._finish(raw, plan, outputs, obs, evidence, batch, normalize, symbolic)
        if batch:
            return result
        if not symbolic and any(np.ndim(v) for v in (values or {}).values()):  # swept, but used by no box
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

    def sweep(self, grid: Mapping[str, Sequence[float]], **kw) -> np.ndarray:
        """Evaluate on the outer product of the given value lists: axes in the grid's order first."""
        names = list(grid)
        mesh = np.meshgrid(*(np.asarray(grid[n], dtype=float) for n in names), indexing="ij")
        values = dict(kw.pop("values", {}) or {})
        values.update(zip(names, mesh))
        return self.evaluate(values, **kw)

    def marginals(self, values: Mapping[str, object] | None = None, *,
                  evidence: Mapping[str, str] | None = None, wires: Sequence[str] | None = None) -> dict[str, np.ndarray]:
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
        """The boxes in topological order and their numeric evaluator, built once per structure."""
        cached = self._plans.get("operands")
        if cached is None or cached[2] != (len(self.boxes), len(self.wires)):
            boxes = self.topological()
            cached = self._plans["operands"] = (boxes, Operands([b.kernel for b in boxes], self.params),
                                                (len(self.boxes), len(self.wires)))
        return cached[0], cached[1]

    def _operand_arrays(self, values, symbolic, factored: bool = False):
        """One array per box (topological order) and the sweep ``()`` or ``(n, shape)``.

        With ``factored``, a swept kernel may come as :class:`~markovwire.operands.Factored`.
        """
        boxes, operands = self._operands()
        if symbolic:
            return [b.kernel.array for b in boxes], ()
        return operands(values, factored)

    def _plan(self, outputs, observed, flags, batch, symbolic) -> "_NetPlan":
        key = (outputs, observed, flags, batch, symbolic)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = _NetPlan(self, outputs, set(observed), flags, batch, symbolic)
        return plan

    def _finish(self, raw, plan, outputs, obs, evidence, batch, normalize, symbolic):
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
                raise self._zero_evidence(np.argwhere(zero)[0][:lead], evidence, batch)
            if symbolic:
                return np.vectorize(sympy.cancel, otypes=[object])(raw / total)
            raw = raw / total
        if batch:
            raw = raw.reshape(batch[1] + raw.shape[1:])
        return raw

    def _zero_evidence(self, at, evidence, batch) -> EvidenceError:
        """The error for evidence of probability zero, naming the sweep point and inputs where it is."""
        shown = ", ".join(f"{k}={v}" for k, v in evidence.items())
        where = []
        if batch:
            point = np.unravel_index(int(at[0]), batch[1])
            where.append(f"sweep point {point[0] if len(point) == 1 else tuple(map(int, point))}")
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


class _NetPlan:
    """The einsum of a net for given outputs, evidence wires and batch layout, planned once."""

    def __init__(self, net: Net, outputs, observed: set, flags, batch: int, symbolic: bool):
        boxes = net._operands()[0]
        flags = flags or (False,) * len(boxes)
        wires = [w for w in net.wires if w not in observed]
        index = {w: i for i, w in enumerate(wires)}
        sizes = {i: len(net.wires[w]) for w, i in index.items()}
        names = {i: w for w, i in index.items()}
        operands, self.extra = [], []
        self.observed_axes = []
        self.factored = 2 in flags
        for k, (b, batched) in enumerate(zip(boxes, flags)):
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
        for w in outputs:
            if w in observed:
                continue
            i = index[w]
            if i in out_idx:  # an output that repeats a wire: route it through an identity
                sizes[nxt] = sizes[i]
                names[nxt] = w
                self.extra.append(np.eye(sizes[i]))
                operands.append((i, nxt))
                i, nxt = nxt, nxt + 1
            out_idx.append(i)
        if batch:
            sizes[BATCH] = batch
            names[BATCH] = "sweep"
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
        """The operand arrays (factored kernels as two) with observed wires fixed at their observed values."""
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


def _type_name(t) -> str:
    return t.name if isinstance(t, FinSet) else "an undeclared wire"


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


def _fresh(net: Net, avoid: Net) -> Net:
    """``net`` with boxes and wires renamed so that none clash with ``avoid``'s."""
    taken_w, taken_b = set(avoid.wires), {b.name for b in avoid.boxes}
    if not (taken_w & set(net.wires)) and not (taken_b & {b.name for b in net.boxes}):
        return net
    def fresh(name, taken):
        if name not in taken:
            return name
        for k in itertools.count(2):
            cand = f"{name}#{k}"
            if cand not in taken:
                return cand
    bmap = {}
    for b in net.boxes:
        bmap[b.name] = fresh(b.name, taken_b)
        taken_b.add(bmap[b.name])
    wmap = {}
    for w in net.wires:
        wmap[w] = fresh(w, taken_w | set(wmap.values()))
    other = net.substitute(wmap)
    other.boxes = [NetBox(bmap[b.name], b.kernel, b.inputs, b.outputs) for b in other.boxes]
    return other
