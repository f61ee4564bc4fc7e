"""Episodes: the evaluable form of a stateful system, next to :class:`~markovwire.Net`.

An :class:`Episode` is a Markov chain on the joint state of some boxes, run for a
fixed number of ``steps``: its one-step kernel is a net (``step``) that reads the
current states (and outer inputs, fed the same label or law at every step) and
writes the next states and any other wires; the states start from ``initial``.
It answers the same call as a net, :meth:`evaluate`, so every query and analysis
takes either: a state wire is read after the last step, any other wire of the
step net during the last step. Multi-step questions are linear algebra on the
step (:mod:`markovwire.multistep`).

A coin that is flipped to heads half the time and then stays there:

>>> from markovwire import FinSet, Kernel, Net
>>> Coin = FinSet("Coin", ["tails", "heads"])
>>> step = Net()
>>> _ = step.add_box("flip", Kernel([[0.5, 0.5], [0.0, 1.0]], [("s", Coin)], [("s", Coin)]), ["coin.state"],
...                  ["coin.state'"])
>>> step.set_inputs("coin.state"); step.set_outputs("coin.state'")
>>> ep = Episode(step, [Kernel.point([Coin], "tails")], steps=3)
>>> ep.evaluate(outputs=["coin.state"]).round(6).tolist()
[0.125, 0.875]
>>> ep.reach_probability({"coin.state": "heads"}), ep.expected_time({"coin.state": "heads"})
(0.875, 2.0)

A size or structural change (the number of steps, what the inputs are fed) makes a
new episode: :meth:`after` and :meth:`fed` never change this one.
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np

from . import display, multistep
from .errors import EvidenceError, ParameterError, ShapeError, TypeMismatch, UnknownName
from .kernel import Kernel
from .limits import check_memory_bytes
from .net import Net
from .params import Parameter, resolve_values
from .types import FinSet


class Episode:
    """``steps`` steps of the chain whose step is the net ``step``; see the module docstring.

    ``step`` reads the state wires first (``"<box>.state"``, one per initial law) and then
    its outer inputs; it writes the next states first (``"<box>.state'"``).
    """

    is_episode = True

    def __init__(self, step: Net, initial: Sequence[Kernel], steps: int, *, feed: Mapping[str, object] | None = None,
                 name: str = "episode"):
        k = len(initial)
        if isinstance(steps, bool) or int(steps) != steps or steps < 0:
            raise ShapeError(f"episode {name!r}", f"{steps!r} steps is not a whole number >= 0",
                             fix="give the number of steps as a whole number")
        for b in step.boxes:
            if b.kernel.batch is not None:  # the step's array would carry the batch's axis into the chain's algebra
                raise ShapeError(f"episode {name!r}", f"box {b.name!r} is a batch of {b.kernel.batch} tables; an "
                                 "episode's step takes one table per box",
                                 fix="build one episode per table (the box's kernel[i])", box=b.name)
        self.name, self.step, self.steps = name, step, int(steps)
        self.initial = tuple(initial)
        self.state_wires = tuple(step.inputs[:k])
        self.next_wires = tuple(step.outputs[:k])
        self.outer_inputs = tuple(step.inputs[k:])
        self.feed = dict(feed or {})
        for w in self.feed:
            if w not in self.outer_inputs:
                raise UnknownName(f"episode {name!r}", f"has no outer input {w!r}",
                                  fix=f"feed one of: {', '.join(self.outer_inputs) or 'it has none'}")
        self.states: tuple[FinSet, ...] = tuple(step.wires[w] for w in self.state_wires)
        self.size = math.prod(len(s) for s in self.states)
        check_memory_bytes(8 * self.size**2, f"episode {name!r}", f" for its transition matrix over "
                           f"{' x '.join(f'{len(s):,}' for s in self.states)} = {self.size:,} joint states")

    def __repr__(self) -> str:
        states = " ⊗ ".join(f"{w}: {t.name}" for w, t in zip(self.state_wires, self.states)) or "I"
        return f"Episode({self.name}: state {states}; {self.steps} steps)"

    def _repr_html_(self) -> str:
        """The steps, inputs and state wires as tables, and the diagram of one step, for Jupyter."""
        return display.chain("episode", self.name, list(zip(self.state_wires, self.states)), [
            ("steps", self.steps), ("joint states", self.size), ("outer inputs", ", ".join(self.outer_inputs)),
            ("fed", ", ".join(self.feed))], self.step)

    # ----- new episodes ----------------------------------------------------------------------
    def after(self, steps: int) -> "Episode":
        """The same chain run for ``steps`` steps."""
        return Episode(self.step, self.initial, steps, feed=self.feed, name=self.name)

    def fed(self, inputs: Mapping[str, object]) -> "Episode":
        """The same chain with outer inputs fed (a label, a distribution kernel or probabilities) at every step."""
        return Episode(self.step, self.initial, self.steps, feed={**self.feed, **dict(inputs)}, name=self.name)

    # ----- what a net also has ---------------------------------------------------------------
    @property
    def wires(self) -> dict[str, FinSet]:
        return self.step.wires

    @property
    def inputs(self) -> tuple[str, ...]:
        """Outer inputs not fed yet (a query fixes them with ``at``)."""
        return tuple(w for w in self.outer_inputs if w not in self.feed)

    @property
    def params(self) -> dict[str, Parameter]:
        """The step's parameters and those the initial laws use."""
        out = dict(self.step.params)
        for k in self.initial:
            out.update({s.name: k.params[s.name] for s in k.free_symbols if s.name not in out})
        return out

    @property
    def free_parameters(self) -> set[str]:
        return self.step.free_parameters | {s.name for k in self.initial for s in k.free_symbols}

    # ----- evaluation ------------------------------------------------------------------------
    def evaluate(self, values: Mapping[str, object] | None = None, *, evidence: Mapping[str, str] | None = None,
                 outputs: Sequence[str] | None = None, normalize: bool = True, symbolic: bool = False) -> np.ndarray:
        """The joint law of ``outputs`` (states after the last step, other wires during it), as an array
        with the sweep's axes first; ``evidence`` keeps only the mass where observed wires have their labels
        (divided by its probability when ``normalize``)."""
        if symbolic:
            raise ParameterError(f"episode {self.name!r}", "is evaluated numerically only",
                                 fix="give parameter values (derivatives of episodes are numeric)")
        values = self._values(values)
        outputs = tuple(self.next_wires if outputs is None else outputs)
        evidence = dict(evidence or {})
        for w in list(outputs) + list(evidence):
            if w not in self.step.wires or w in self.outer_inputs:
                raise UnknownName(f"episode {self.name!r}", f"has no wire {w!r} to ask about",
                                  fix=f"ask about a state ({', '.join(self.state_wires)}) or a wire of the step")
        wires = list(dict.fromkeys(outputs + tuple(evidence)))
        arr = self._joint(values, wires)
        lead = arr.ndim - len(wires)
        for w, label in evidence.items():
            t = self.step.wires[w]
            if label not in t:
                raise EvidenceError(f"evidence on {w!r}", f"{label!r} is not an element of {t.name}",
                                    fix=f"observe one of: {', '.join(t.elements)}")
            mask = np.zeros(len(t))
            mask[t.index(label)] = 1.0
            shape = [1] * arr.ndim
            shape[lead + wires.index(w)] = len(t)
            arr = arr * mask.reshape(shape)
        drop = tuple(lead + i for i, w in enumerate(wires) if w not in outputs)
        arr = arr.sum(axis=drop) if drop else arr
        if normalize and evidence:
            total = arr.sum(axis=tuple(range(lead, arr.ndim)), keepdims=True)
            with np.errstate(invalid="ignore", divide="ignore"):
                arr = np.where(total > 0, arr / np.where(total > 0, total, 1.0), np.nan)
        kept = [w for w in wires if w in outputs]
        return np.moveaxis(arr, [lead + kept.index(w) for w in outputs], list(range(lead, lead + len(outputs))))

    def _joint(self, values, wires: Sequence[str]) -> np.ndarray:
        """The joint of the states after the last step and the other ``wires`` during it, in ``wires`` order."""
        states = list(self.state_wires)
        extra = [w for w in wires if w not in states]
        if extra and self.steps < 1:
            raise ShapeError(f"episode {self.name!r}", f"{', '.join(extra)} during step {self.steps}: there is no "
                             "step before the first", fix="ask about states only, or run at least one step")
        init = self.initial_law(values)
        if not extra:
            x = multistep.distribution_after(self.step_array(values), init, self.steps)
            sizes = [len(t) for t in self.states]
        else:
            J = self.step_array(values, extra)
            sweep = J.shape[: J.ndim - 2 - len(extra)]
            J = J.reshape(sweep + (self.size, -1))
            P = J.reshape(sweep + (self.size, self.size, -1)).sum(axis=-1)
            x = multistep.distribution_after(P, init, self.steps - 1)
            x = np.matmul(x[..., None, :], J)[..., 0, :]
            sizes = [len(t) for t in self.states] + [len(self.step.wires[w]) for w in extra]
        arr = x.reshape(x.shape[:-1] + tuple(sizes))
        lead = arr.ndim - len(sizes)
        order = states + extra
        arr = arr.sum(axis=tuple(lead + i for i, w in enumerate(order) if w not in wires)) if \
            any(w not in wires for w in order) else arr
        kept = [w for w in order if w in wires]
        return np.moveaxis(arr, [lead + kept.index(w) for w in wires], list(range(lead, lead + len(wires))))

    def initial_law(self, values: Mapping[str, object] | None = None) -> np.ndarray:
        """The joint initial law of the states, flattened: ``(sweep…, size)`` (the boxes start independently)."""
        values = dict(values or {})
        x = np.ones(1)
        for k in self.initial:
            v = k.numeric({n: v for n, v in values.items() if n in k.params})
            sweep = np.broadcast_shapes(x.shape[:-1], v.shape[:-1])
            x = (x[..., :, None] * v[..., None, :]).reshape(sweep + (-1,))
        return x

    def step_array(self, values: Mapping[str, object] | None = None, extra: Sequence[str] = ()) -> np.ndarray:
        """The step as an array ``(sweep…, size, size, extra wires…)``, the outer inputs fed."""
        values = dict(values or {})
        feed = self.feed_law()
        net_values = {k: v for k, v in values.items() if k in self.step.params}
        arr = np.asarray(self.step.evaluate(net_values, outputs=self.next_wires + tuple(extra), normalize=False))
        extra_shape = tuple(len(self.step.wires[w]) for w in extra)
        n_in = len(self.step.inputs)
        sweep = arr.shape[: arr.ndim - n_in - len(self.next_wires) - len(extra)]
        arr = arr.reshape((-1, self.size, feed.size, self.size, int(np.prod(extra_shape, dtype=int))))
        arr = np.einsum("bixjc,x->bijc", arr, feed)
        return arr.reshape(sweep + (self.size, self.size) + extra_shape)

    def feed_law(self) -> np.ndarray:
        """The law of the outer inputs at every step, flattened in input order."""
        if self.inputs:
            w = self.inputs[0]
            raise ShapeError(f"episode {self.name!r}, outer input {w!r}", "is not fed",
                             fix=f"give inputs={{{w!r}: a label of {self.step.wires[w].name} or a distribution "
                                 "over it}")
        feed = np.ones(())
        for w in self.outer_inputs:
            t = self.step.wires[w]
            feed = np.multiply.outer(feed, _distribution(self.feed[w], t, f"episode {self.name!r}, outer input {w!r}"))
        return feed.reshape(-1)

    def _values(self, values) -> dict:
        values = dict(values or {})
        resolve_values(self.params, values, set(), where=f"episode {self.name!r}")  # refuses unknown names
        return values

    # ----- hitting times ---------------------------------------------------------------------
    def reach_probability(self, event: Mapping[str, object], values: Mapping[str, object] | None = None,
                          within: bool = True):
        """P(the event happens within the episode's steps; ``within=False``: ever, as steps → ∞).

        ``event`` maps wires to labels (a label, a set of labels, or a predicate); all entries must
        hold. On states it is checked at times ``0 … steps``, on other wires during steps ``1 … steps``.
        """
        P, init, target = self._chain(event, self._values(values))
        return multistep.reach_probability(P, init, target, self.steps if within else None)

    def expected_time(self, event: Mapping[str, object], values: Mapping[str, object] | None = None,
                      strict: bool = False):
        """E[the first time the event happens] (``inf`` when it may never happen), ignoring ``steps``."""
        P, init, target = self._chain(event, self._values(values))
        return multistep.expected_hitting_time(P, init, target, strict=strict)

    def _chain(self, event, values):
        """``(P, init, target mask)``: the chain on the states, or extended by an absorbing
        'happened' state for an event on the wires of a step."""
        kind, mask, wires = self._event(event)
        init = self.initial_law(values)
        if kind == "state":
            return self.step_array(values), init, mask
        J = self.step_array(values, wires)
        sweep = J.shape[: J.ndim - 2 - len(wires)]
        J = J.reshape(sweep + (self.size, self.size, -1))
        n = self.size
        P = np.zeros(sweep + (n + 1, n + 1))
        P[..., :n, :n] = J[..., ~mask].sum(axis=-1)
        P[..., :n, n] = J[..., mask].sum(axis=(-2, -1))
        P[..., n, n] = 1.0
        init = np.concatenate([init, np.zeros(init.shape[:-1] + (1,))], axis=-1)
        return P, init, [n]

    def _event(self, event: Mapping[str, object]):
        """``("state", mask over the joint state, ())`` or ``("step", mask over the wires' joint, wires)``."""
        if not isinstance(event, Mapping) or not event:
            raise ShapeError(f"episode {self.name!r}, event", f"{event!r} is not a mapping from wires to labels",
                             fix="write e.g. {'episode.state': {'catastrophe'}}")
        states = {w: v for w, v in event.items() if w in self.state_wires}
        others = {w: v for w, v in event.items() if w not in self.state_wires}
        if states and others:
            raise ShapeError(f"episode {self.name!r}, event", "mixes states and wires of a step",
                             fix="ask about states and about step wires separately")
        if states:
            mask = np.ones((), bool)
            for w, t in zip(self.state_wires, self.states):
                m = label_mask(states[w], t, w) if w in states else np.ones(len(t), bool)
                mask = np.logical_and.outer(mask, m)
            return "state", mask.reshape(-1), ()
        for w in others:
            if w not in self.step.wires or w in self.outer_inputs:
                raise UnknownName(f"episode {self.name!r}", f"has no wire {w!r} in its step",
                                  fix=f"use a state ({', '.join(self.state_wires)}) or a wire of the step net")
        mask = np.ones((), bool)
        for w, labels in others.items():
            mask = np.logical_and.outer(mask, label_mask(labels, self.step.wires[w], w))
        return "step", mask.reshape(-1), tuple(others)


def label_mask(labels, t: FinSet, wire: str) -> np.ndarray:
    """The elements of ``t`` selected by a label, a collection of labels, or a predicate."""
    if callable(labels):
        return np.array([bool(labels(e)) for e in t.elements])
    labels = [labels] if isinstance(labels, str) else list(labels)
    mask = np.zeros(len(t), bool)
    for lab in labels:
        if lab not in t:
            raise UnknownName(f"event on {wire!r}", f"{lab!r} is not an element of {t.name}",
                              fix=f"use labels among: {', '.join(t.elements)}")
        mask[t.index(lab)] = True
    return mask


def _distribution(value, t: FinSet, where: str) -> np.ndarray:
    """A label (a point mass), a distribution kernel over ``t``, or an array of probabilities."""
    if isinstance(value, str):
        if value not in t:
            raise UnknownName(where, f"{value!r} is not an element of {t.name}",
                              fix=f"use one of: {t.shown()}")
        return np.eye(len(t))[t.index(value)]
    if isinstance(value, Kernel):
        if value.dom or [p.type for p in value.cod] != [t]:
            raise TypeMismatch(where, f"{value!r} is not a distribution over {t.name}",
                               fix=f"give a kernel I → {t.name}")
        return value.subs().array
    arr = np.asarray(value, dtype=float)
    if arr.shape != (len(t),) or np.any(arr < 0) or abs(arr.sum() - 1) > 1e-9:
        raise ShapeError(where, f"{value!r} is not a distribution over the {len(t)} elements of {t.name}",
                         fix="give a label, a kernel I → type, or probabilities summing to one")
    return arr
