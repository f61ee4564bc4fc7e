"""markovwire.diagrams: string diagrams, wiring diagrams (nested, with feedback), diagram files, figures.

>>> from markovwire import FinSet, Kernel
>>> Act = FinSet("Act", ["clean", "attack"])
>>> policy = Box.of(Kernel([0.9, 0.1], [], [("act", Act)], name="policy"))
>>> print(policy >> Box.copy())
policy >> copy[Act]
"""
from .box import Box
from .expression import Diagram
from .wiring import PortRef, Wire, WiringDiagram
from .files import diagram_json_schema, dump_diagram, load_diagram, parse_diagram, save_diagram
from .stateful import StatefulBox, System
from .render import figure, render, to_dot

__all__ = ["Box", "Diagram", "WiringDiagram", "Wire", "PortRef",
           "load_diagram", "save_diagram", "dump_diagram", "parse_diagram", "diagram_json_schema",
           "StatefulBox", "System", "render", "to_dot", "figure"]
