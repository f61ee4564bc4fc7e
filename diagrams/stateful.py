"""Stateful components and the systems they form in wiring diagrams with feedback.

A :class:`StatefulBox` has a state type, an initial distribution ``I → state`` and
a step kernel ``state ⊗ inputs → state ⊗ outputs``. Its ports in a diagram are
the non-state ones. It is *instantaneous* when its outputs depend on its inputs
within a step; a feedback loop must pass through a non-instantaneous box, whose
outputs are computed from the current state before its inputs arrive.

A :class:`System` is a wiring diagram with stateful boxes seen as a Markov chain
on the joint state. Its one-step kernel is a :class:`~markovwire.Net` (the
current states and outer inputs in, the next states and outer outputs out),
evaluated by the same engine as any diagram; multi-step questions are linear
algebra on it (:mod:`markovwire.multistep`).

A lamp (its outputs read only its state) and a switch that flips an unlit lamp
half the time, wired in a loop:

>>> from markovwire import FinSet, Kernel
>>> from markovwire.diagrams import WiringDiagram
>>> Bit = FinSet("Bit", ["0", "1"])
>>> toggle = Kernel.deterministic(lambda s, f: str(int(s) ^ int(f)), [("s", Bit), ("flip", Bit)], [("s", Bit)])
>>> show = Kernel(np.eye(2), [("s", Bit)], [("on", Bit)])
>>> lamp = StatefulBox.moore("lamp", Bit, Kernel.point([Bit], "0"), toggle, show)
>>> lamp, lamp.instantaneous
(StatefulBox(lamp: flip: Bit → on: Bit; state Bit), False)
>>> room = WiringDiagram("room", boxes={"lamp": lamp, "switch": Kernel([[0.5, 0.5], [1.0, 0.0]], [("on", Bit)],
...                      [("flip", Bit)])}, wires=[("lamp.on", "switch.on"), ("switch.flip", "lamp.flip")])
>>> system = System(room)
>>> system.distribution_after(2).prob("1"), system.expected_time({"lamp": "1"})
(0.75, 2.0)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import sympy

from markovwire import Kernel, display
from markovwire.episode import Episode
from markovwire.errors import LoopWithoutState, ShapeError, TypeMismatch, UnknownName, WiringError
from markovwire.types import FinSet, Port, show_bundle

from .compile import is_stateful
from .expression import Box
from .wiring import WiringDiagram


@dataclass(frozen=True)
class StatefulBox:
    """A component with a state: ``step : state ⊗ inputs → state ⊗ outputs`` started from ``initial``.

    ``instantaneous`` (outputs depend on this step's inputs) is computed from the
    step kernel when not given; declaring ``False`` for a kernel whose outputs do
    read the inputs is an error.
    """

    name: str
    state: FinSet
    initial: Kernel
    step: Kernel
    instantaneous: bool | None = None
    readout: Kernel | None = field(default=None, compare=False, repr=False)   # state → outputs
    update: Kernel | None = field(default=None, compare=False, repr=False)    # state ⊗ inputs [⊗ outputs] → state
    component: str = field(default="", compare=False)  # the library component it instantiates, if any

    def __post_init__(self):
        where = f"stateful box {self.name!r}"
        if not isinstance(self.state, FinSet):
            raise TypeMismatch(where, f"state {self.state!r} is not a finite set", fix="give the state as a FinSet")
        if self.initial.dom or [p.type for p in self.initial.cod] != [self.state]:
            raise TypeMismatch(f"{where}, initial distribution",
                               f"has type {show_bundle(self.initial.dom)} → {show_bundle(self.initial.cod)}, "
                               f"not I → {self.state.name}",
                               fix=f"give a distribution over the state, e.g. Kernel.point([{self.state.name}], …)")
        for side, ports in (("input", self.step.dom), ("output", self.step.cod)):
            if not ports or ports[0].type != self.state:
                got = ports[0].type.name if ports else "nothing"
                raise TypeMismatch(f"{where}, step kernel", f"its first {side} is {got}, not the state "
                                   f"{self.state.name}",
                                   fix="write the step as state ⊗ inputs → state ⊗ outputs, state first on both "
                                       "sides")
        reads = _outputs_read_inputs(self.step)
        if self.instantaneous is False and reads:
            raise TypeMismatch(where, f"is declared not instantaneous but its outputs depend on its inputs ({reads})",
                               fix="declare instantaneous=True, or make the outputs read only the state "
                                   "(StatefulBox.moore)")
        object.__setattr__(self, "instantaneous", bool(reads) if self.instantaneous is None else self.instantaneous)

    @classmethod
    def moore(cls, name: str, state: FinSet, initial: Kernel, update: Kernel, readout: Kernel) -> "StatefulBox":
        """A box whose outputs read only the state: ``readout : state → outputs``,
        ``update : state ⊗ inputs → state``; feedback through it is always well founded."""
        where = f"stateful box {name!r}"
        if [p.type for p in update.cod] != [state] or not update.dom or update.dom[0].type != state:
            raise TypeMismatch(f"{where}, update", f"has type {show_bundle(update.dom)} → {show_bundle(update.cod)}, "
                               f"not {state.name} ⊗ inputs → {state.name}",
                               fix="write the update as state ⊗ inputs → state, state first")
        if [p.type for p in readout.dom] != [state]:
            raise TypeMismatch(f"{where}, readout", f"reads {show_bundle(readout.dom)}, not the state {state.name}",
                               fix="write the readout as state → outputs")
        n_in, n_out = len(update.dom), len(readout.cod)
        u, r = update.array, readout.array
        # step[s, x…, s', y…] = update[s, x…, s'] · readout[s, y…]
        idx_u = list(range(n_in + 1))
        idx_r = [0] + list(range(n_in + 1, n_in + 1 + n_out))
        obj = u.dtype == object or r.dtype == object
        arr = np.einsum(u.astype(object) if obj else u, idx_u, r.astype(object) if obj else r, idx_r,
                        list(range(n_in + 1 + n_out)), **({"optimize": False} if obj else {}))
        state_out = Port(_fresh(update.cod[0].name, [p.name for p in readout.cod]), state)
        step = Kernel(arr, update.dom, (state_out,) + readout.cod, params={**update.params, **readout.params},
                      name=f"{name}.step", check=False)
        return cls(name, state, initial, step, False, readout=readout, update=update)

    # ----- signature -----------------------------------------------------------------
    @property
    def dom(self) -> tuple[Port, ...]:
        """The input ports (the state excluded)."""
        return self.step.dom[1:]

    @property
    def cod(self) -> tuple[Port, ...]:
        """The output ports (the state excluded)."""
        return self.step.cod[1:]

    @property
    def params(self) -> dict:
        return {**self.initial.params, **self.step.params}

    def split(self) -> tuple[Kernel, Kernel]:
        """``(readout : state → outputs, update : state ⊗ inputs ⊗ outputs → state)`` with
        ``step = readout`` then ``update`` (exact disintegration; the update of a Moore box
        reads no outputs). Only defined when the box is not instantaneous."""
        if self.instantaneous:
            raise LoopWithoutState(f"stateful box {self.name!r}", "is instantaneous: its outputs need this step's "
                                   "inputs, so they cannot be read before them", fix="use a Moore box "
                                   "(StatefulBox.moore) whose outputs read only the state")
        if self.readout is None:
            readout, update = _disintegrate(self.step)
            object.__setattr__(self, "readout", readout)
            object.__setattr__(self, "update", update)
        return self.readout, self.update

    def __repr__(self) -> str:
        return f"StatefulBox({self.name}: {show_bundle(self.dom)} → {show_bundle(self.cod)}; state {self.state.name})"


# ----- kernels: dependence and disintegration -------------------------------------------------
def _output_marginal(step: Kernel) -> np.ndarray:
    """``R[s, x…, y…] = Σ_{s'} step[s, x…, s', y…]`` (object arrays stay symbolic)."""
    return step.array.sum(axis=len(step.dom))


def _outputs_read_inputs(step: Kernel) -> str:
    """A description of where the outputs depend on the inputs, or '' when they do not."""
    n_in = len(step.dom)
    if n_in == 1 or len(step.cod) == 1:
        return ""
    R = _output_marginal(step)
    flat = R.reshape((R.shape[0], -1) + R.shape[n_in:])  # [s, x, y…]
    for x in range(1, flat.shape[1]):
        diff = flat[:, x] - flat[:, 0]
        if step.is_symbolic:
            nz = [i for i, d in np.ndenumerate(diff) if sympy.simplify(d) != 0]
        else:
            nz = [tuple(i) for i in np.argwhere(np.abs(diff) > 1e-12)]
        if nz:
            s = nz[0][0]
            xs = np.unravel_index(x, R.shape[1:n_in])
            label = ", ".join(f"{p.name}={p.type.elements[i]}" for p, i in zip(step.dom[1:], xs))
            return f"at state {step.dom[0].type.elements[s]}, input {label} changes them"
    return ""


def _disintegrate(step: Kernel) -> tuple[Kernel, Kernel]:
    """Readout ``state → outputs`` and update ``state ⊗ inputs ⊗ outputs → state`` of a step
    whose outputs do not read the inputs: ``update = step(s' | s, x, y)``."""
    n_in, n_st = len(step.dom), len(step.cod[0].type)
    R = _output_marginal(step)                                            # [s, x…, y…]
    first = (slice(None),) + (0,) * (n_in - 1)
    readout = Kernel(R[first], step.dom[:1], step.cod[1:], params=step.params, name=f"{step.name}.readout",
                     check=False)
    moved = np.moveaxis(step.array, n_in, -1)                              # [s, x…, y…, s']
    if step.is_symbolic:
        Rb = R[..., None]
        arr = np.empty(moved.shape, dtype=object)
        for i in np.ndindex(moved.shape):
            den = Rb[i[:-1] + (0,)]
            arr[i] = sympy.Rational(1, n_st) if den == 0 else sympy.cancel(moved[i] / den)
    else:  # one new array of the step's size (moved is a view; the rows' totals are 1/n_st of it)
        Rb = R[..., None]
        empty = Rb <= 0
        arr = np.divide(moved, np.where(empty, 1.0, Rb))
        np.copyto(arr, 1.0 / n_st, where=empty)
    taken = [p.name for p in step.dom]
    read = []
    for q in step.cod[1:]:
        read.append(Port(_fresh(q.name, taken), q.type))
        taken.append(read[-1].name)
    update = Kernel(arr, step.dom + tuple(read), step.cod[:1], params=step.params, name=f"{step.name}.update",
                    check=False)
    return readout, update


def _fresh(name: str, taken: Sequence[str]) -> str:
    """``name``, or ``name_out``, ``name_out2``, … if it is taken."""
    if name not in taken:
        return name
    k, cand = 2, f"{name}_out"
    while cand in taken:
        cand, k = f"{name}_out{k}", k + 1
    return cand


# ----- systems: the composite of a wiring diagram with stateful boxes ------------------------------
class System:
    """A Markov chain on the joint state of stateful boxes, with its one-step kernel as a net.

    ``step_net`` reads the current states (wires ``"<box>.state"``, in the order of
    ``boxes``) and the outer inputs, and writes the next states (``"<box>.state'"``)
    and the outer outputs. Results are kernels, or arrays with the sweep's axes
    first when parameter values are arrays (as :meth:`Net.evaluate`).
    """

    def __init__(self, diagram):
        """The system of a wiring diagram whose feedback loops pass through stateful boxes."""
        net, boxes, ports = step_net(diagram)
        self._setup(diagram.name, net, boxes, ports, tuple(p.name for p in diagram.outputs))

    @classmethod
    def from_wiring(cls, diagram) -> "System":
        """The same as ``System(diagram)``."""
        return cls(diagram)

    @classmethod
    def from_step_net(cls, name: str, net, boxes: Mapping[str, StatefulBox]) -> "System":
        """A system from a hand-built step net (states first on both sides, named as above)."""
        system = cls.__new__(cls)
        system._setup(name, net, boxes, {})
        return system

    def _setup(self, name: str, net, boxes: Mapping[str, StatefulBox], ports: Mapping[str, str],
               outputs: tuple[str, ...] | None = None):
        self.name = name
        self.step_net = net
        self.boxes: dict[str, StatefulBox] = dict(boxes)
        self.state_wires = tuple(f"{path}.state" for path in self.boxes)
        self.next_wires = tuple(f"{path}.state'" for path in self.boxes)
        k = len(self.boxes)
        if net.inputs[:k] != self.state_wires or net.outputs[:k] != self.next_wires:
            raise ShapeError(f"system {name!r}", "its step net must read the states first and write the next "
                             "states first", fix="order the step net's inputs and outputs as the boxes")
        self.inputs = net.inputs[k:]
        self.ports = dict(ports)  # outer outputs and stateful boxes' outputs → the wires that carry them
        self.outputs = outputs if outputs is not None else net.outputs[k:]
        self.states = tuple(b.state for b in self.boxes.values())
        self.size = int(np.prod([len(s) for s in self.states], dtype=int))

    def __repr__(self) -> str:
        states = " ⊗ ".join(f"{p}: {b.state.name}" for p, b in self.boxes.items()) or "I"
        return f"System({self.name}: state {states}; {len(self.inputs)} input(s), {len(self.outputs)} output(s))"

    def _repr_html_(self) -> str:
        """The inputs, outputs and state wires as tables, and the diagram of one step, for Jupyter."""
        return display.chain("system", self.name, list(zip(self.state_wires, self.states)), [
            ("joint states", self.size), ("inputs", ", ".join(self.inputs)),
            ("outputs", ", ".join(self.outputs))], self.step_net)

    # ----- the evaluable form ---------------------------------------------------------------
    @property
    def params(self) -> dict:
        return self.episode(0).params

    def episode(self, steps: int, inputs=None) -> Episode:
        """The core's evaluable form: this system run for ``steps`` steps, outer inputs fed by ``inputs``
        (a mapping input → label or law, or a distribution kernel over the one input)."""
        initial = [b.initial for b in self.boxes.values()]
        return Episode(self.step_net, initial, steps, feed=self._feed(inputs), name=self.name)

    def _feed(self, inputs) -> dict:
        if isinstance(inputs, Kernel):
            if [p.type for p in inputs.cod] != [self.step_net.wires[w] for w in self.inputs] or inputs.dom:
                raise TypeMismatch(f"system {self.name!r}, inputs", f"the distribution {inputs!r} does not cover "
                                   f"the inputs {', '.join(self.inputs)} in order",
                                   fix="give a distribution over the outer inputs, or a mapping by input name")
            if len(self.inputs) > 1:
                raise ShapeError(f"system {self.name!r}, inputs", "one joint law over several inputs",
                                 fix="give a mapping by input name: a label or a law per input")
            return {self.inputs[0]: inputs}
        inputs = dict(inputs or {})
        if inputs and not self.inputs:
            raise UnknownName(f"system {self.name!r}", "has no outer inputs to feed",
                              fix="leave out the inputs argument")
        return {self.ports.get(w, w): v for w, v in inputs.items()}

    def initial(self, values: Mapping | None = None):
        """The joint initial distribution of the states (the boxes start independently)."""
        ep = self.episode(0)
        return self._shaped(ep.initial_law(ep._values(values)), (), self.state_wires)

    def step_kernel(self, values: Mapping | None = None, inputs=None):
        """The one-step kernel on the joint state (outer inputs fixed or fed i.i.d. by ``inputs``)."""
        ep = self.episode(1, inputs)
        return self._shaped(ep.step_array(ep._values(values)), self.state_wires, self.next_wires)

    def _shaped(self, arr: np.ndarray, dom: Sequence[str], cod: Sequence[str], extra: Sequence[FinSet] = ()):
        """A kernel on the named states (then wires of types ``extra``), or the unflattened
        array with the sweep's axes first."""
        types = list(self.states) * (2 if dom else 1) + list(extra)
        sweep = arr.shape[: arr.ndim - (2 if dom else 1)]  # the flattened axes: [dom,] cod
        arr = arr.reshape(sweep + tuple(len(t) for t in types))
        if sweep:
            return arr
        return Kernel(arr, list(zip(dom, types)), list(zip(cod, types[len(dom):])), name=self.name, check=False)

    # ----- multi-step questions ----------------------------------------------------------------
    def distribution_after(self, T: int, values: Mapping | None = None, inputs=None, outputs: Sequence[str] = ()):
        """The joint distribution of the states at time ``T`` and of ``outputs`` (any wires of
        the step net, e.g. the outer outputs) during step ``T``."""
        wires = self._wires(outputs)
        if outputs and T < 1:
            raise ShapeError(f"system {self.name!r}", f"outputs {', '.join(outputs)} at step {T}: there are no "
                             "outputs before the first step", fix="ask for T >= 1 or for the states alone")
        arr = self.episode(T, inputs).evaluate(values, outputs=self.state_wires + wires)
        sweep = arr.shape[: arr.ndim - len(self.state_wires) - len(wires)]
        types = [self.step_net.wires[w] for w in wires]
        return self._shaped(arr.reshape(sweep + (-1,)), (), self.state_wires + tuple(outputs), types)

    def reach_probability(self, event: Mapping[str, object], T: int | None = None, values: Mapping | None = None,
                          inputs=None):
        """P(the event happens within ``T`` steps; ``T=None``: ever).

        ``event`` maps wires to labels (a label, a set of labels, or a predicate on labels);
        several entries must all hold. On states (``"<box>.state"`` or just the box name)
        it is checked at times ``0 … T``; on other wires of the step net, during steps ``1 … T``.
        """
        ep = self.episode(T or 0, inputs)
        return ep.reach_probability(self._event(event), values, within=T is not None)

    def expected_time(self, event: Mapping[str, object], values: Mapping | None = None, inputs=None,
                      strict: bool = False):
        """E[the first time the event happens] (``inf`` when it may never happen)."""
        return self.episode(0, inputs).expected_time(self._event(event), values, strict=strict)

    def _wires(self, names: Sequence[str]) -> tuple[str, ...]:
        """The step-net wires of outer outputs (by port name) or of other wires (by wire name)."""
        out = []
        for w in names:
            w = self.ports.get(w, w)
            if w not in self.step_net.wires or w in self.state_wires:
                raise UnknownName(f"system {self.name!r}", f"has no output or wire {w!r} in its step",
                                  fix=f"use one of: {', '.join(self.ports or self.outputs) or '(no outputs)'}, "
                                      "or a wire of step_net")
            out.append(w)
        return tuple(out)

    def _event(self, event: Mapping[str, object]) -> dict:
        """The event with box names read as their states and output ports as their wires."""
        if not isinstance(event, Mapping) or not event:
            raise ShapeError(f"system {self.name!r}, event", f"{event!r} is not a mapping from wires to labels",
                             fix="write e.g. {'episode.state': {'catastrophe'}}")
        out = {}
        for w, v in event.items():
            state = w if w in self.state_wires else f"{w}.state" if w in self.boxes else None
            out[state if state else self._wires([w])[0]] = v
        return out


# ----- compiling a wiring diagram to its one-step net ------------------------------------------
def step_net(diagram) -> tuple:
    """``(net, boxes, ports)``: the one-step net of a wiring diagram with stateful boxes.

    Every stateful box becomes plain boxes on its state wires (readout and update
    when its outputs wait for the next step, else its whole step), the states are
    threaded out to the outer ports, and :meth:`WiringDiagram.to_net` flattens the
    result. ``boxes`` maps paths (``inner/counter``) to the stateful boxes in the
    order of the state wires; ``ports`` maps outer outputs to the wires carrying them.
    """
    diagram.check()  # reports every loop without state, naming it
    boxes: dict[str, StatefulBox] = {}
    threaded = _threaded(diagram, "", boxes)
    try:
        net = threaded.to_net()
    except (LoopWithoutState, WiringError) as err:  # a guard: a loop the diagram's check did not see
        if "cycle" not in err.what and not isinstance(err, LoopWithoutState):
            raise
        raise LoopWithoutState(f"diagram {diagram.name!r}", f"its one-step net has a loop without state "
                               f"({err.where}: {err.what})",
                               fix="put a stateful box whose outputs read only its state on the loop") from None
    k = len(boxes)
    rename = {w: f"{path}.state" for w, path in zip(net.inputs[:k], boxes)}
    rename.update({w: f"{path}.state'" for w, path in zip(net.outputs[:k], boxes)})
    net = net.rename_wires(rename)
    ports = {p.name: w for p, w in zip(diagram.outputs, net.outputs[k:])}
    for path, box in boxes.items():  # a stateful box's outputs by their names in the diagram
        inner, kernel = ("step", box.step) if box.instantaneous else ("readout", box.split()[0])
        outs = kernel.cod[len(kernel.cod) - len(box.cod):]
        ports.update({f"{path}.{p.name}": f"{path}/{inner}.{q.name}" for p, q in zip(box.cod, outs)})
    return net, boxes, ports


def _state_port(path: str) -> str:
    """The name of the outer port that threads a state through the diagrams above it."""
    return "state⟨" + path.replace("/", "|") + "⟩"


def _threaded(diagram, prefix: str, boxes: dict):
    """A copy of ``diagram`` with no stateful boxes: each is replaced by a small diagram of
    plain boxes, and each state enters by a new outer input and leaves by a new outer output."""
    replaced, threads = {}, []
    for name, box in diagram.boxes.items():
        path = prefix + name
        if isinstance(box, StatefulBox):
            boxes[path] = box
            replaced[name], new = _unfolded(box, path), [path]
        elif is_stateful(box):
            raise TypeMismatch(f"box {path!r}", f"{box!r} has a state but is not a StatefulBox",
                               fix="build stateful components with markovwire.diagrams.StatefulBox")
        elif isinstance(box, WiringDiagram):
            before = list(boxes)
            replaced[name] = _threaded(box, path + "/", boxes)
            new = [p for p in boxes if p not in before]
        else:
            replaced[name], new = box, []
        threads += [(name, p) for p in new]
    ins = [(_state_port(p), boxes[p].state) for _, p in threads] + list(diagram.inputs)
    outs = [(_state_port(p) + "'", boxes[p].state) for _, p in threads] + list(diagram.outputs)
    wires = [(w.source, w.target) for w in diagram.wires]
    for name, p in threads:
        wires += [(f"in.{_state_port(p)}", f"{name}.{_state_port(p)}"),
                  (f"{name}.{_state_port(p)}'", f"out.{_state_port(p)}'")]
    return WiringDiagram(diagram.name, ins, outs, replaced, wires)


def _unfolded(box: StatefulBox, path: str):
    """The stateful box as a diagram ``state ⊗ inputs → state' ⊗ outputs`` of plain boxes."""
    sp = _state_port(path)
    d = WiringDiagram(box.name, [(sp, box.state), *box.dom], [(sp + "'", box.state), *box.cod])
    if box.instantaneous:
        k = box.step
        d.add_box("step", Box.of(k, name="step"))
        wires = [(f"in.{sp}", f"step.{k.dom[0].name}"), (f"step.{k.cod[0].name}", f"out.{sp}'")]
        wires += [(f"in.{p.name}", f"step.{q.name}") for p, q in zip(box.dom, k.dom[1:])]
        wires += [(f"step.{q.name}", f"out.{p.name}") for p, q in zip(box.cod, k.cod[1:])]
    else:
        readout, update = box.split()
        d.add_box("readout", Box.of(readout, name="readout"))
        d.add_box("update", Box.of(update, name="update"))
        n_in = len(box.dom)
        wires = [(f"in.{sp}", f"readout.{readout.dom[0].name}"), (f"in.{sp}", f"update.{update.dom[0].name}"),
                 (f"update.{update.cod[0].name}", f"out.{sp}'")]
        wires += [(f"in.{p.name}", f"update.{q.name}") for p, q in zip(box.dom, update.dom[1:1 + n_in])]
        wires += [(f"readout.{q.name}", f"out.{p.name}") for p, q in zip(box.cod, readout.cod)]
        wires += [(f"readout.{q.name}", f"update.{r.name}") for q, r in zip(readout.cod, update.dom[1 + n_in:])]
    for w in wires:
        d.connect(*w)
    return d
