"""Compiling diagrams to nets: placing one box of a diagram on the wires of a net.

String diagrams (:mod:`~markovwire.diagrams.expression`) and wiring diagrams
(:mod:`~markovwire.diagrams.wiring`) find the wires their boxes read in their own
ways; what a box then becomes in the :class:`~markovwire.Net` is the same for both,
and is decided here: a kernel box is one net box whose outputs are wires
``path.port``; plumbing adds no box, its outputs are the wires it routes; a nested
wiring diagram is its own net with every name under ``path/``; a stateful box has
no single kernel and is refused (:class:`~markovwire.diagrams.System` compiles it).

>>> from markovwire import FinSet, Kernel, Net
>>> from markovwire.diagrams import Box
>>> Act = FinSet("Act", ["clean", "attack"])
>>> net = Net()
>>> place(net, "policy", Box.of(Kernel([0.9, 0.1], [], [("act", Act)])), [])
['policy.act']
>>> place(net, "split", Box.copy(Act), ["policy.act"])
['policy.act', 'policy.act']
"""
from __future__ import annotations

from typing import Sequence

from markovwire import Kernel, Net, Port
from markovwire.errors import WiringError


def is_stateful(box) -> bool:
    """Stateful boxes are recognised by having a state (see ``markovwire.diagrams.stateful``)."""
    return getattr(box, "state", None) is not None


def place(net: Net, path: str, box, inputs: Sequence[str]) -> list[str]:
    """Add ``box`` to ``net`` under the name ``path``, reading the wires ``inputs``; its output wires.

    A polymorphic box must be instantiated first (its types are the diagram's to infer).
    """
    if getattr(box, "plumbing", None) is not None:
        return [inputs[i] for i in box.plumbing]
    if is_stateful(box):
        raise WiringError(None, "is stateful, so it has no single kernel",
                          fix="compile its wiring diagram with markovwire.diagrams.System", box=path)
    if hasattr(box, "to_net"):  # a nested wiring diagram
        inner = box.to_net().renamed(path)
        inner = inner.rename_wires(dict(zip(inner.inputs, inputs)))
        for b in inner.boxes:
            net.add_box(b.name, b.kernel, b.inputs, b.outputs)
        return list(inner.outputs)
    kernel = getattr(box, "kernel", None)
    if kernel is None:
        raise WiringError(None, "has no kernel", fix="give it a kernel, e.g. Box.of(kernel)", box=path)
    outputs = [f"{path}.{q.name}" for q in box.cod]
    net.add_box(path, kernel, inputs, outputs)
    return outputs


def evaluate_net(net: Net, dom: Sequence[Port], cod: Sequence[Port], name: str, values=None, **kw):
    """``net.evaluate(values, **kw)``; when every output is asked for, the kernel ``dom → cod`` named ``name``."""
    result = net.evaluate(values, **kw)
    if isinstance(result, Kernel) and kw.get("outputs") is None:
        result = Kernel(result.array, dom, cod, params=result.params, name=name, check=False)
    return result
