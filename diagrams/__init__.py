"""markovwire.diagrams: string diagrams, wiring diagrams (nested, with feedback), diagram files, figures.

>>> from markovwire import FinSet, Kernel
>>> Act = FinSet("Act", ["clean", "attack"])
>>> policy = Box.of(Kernel([0.9, 0.1], [], [("act", Act)], name="policy"))
>>> print(policy >> Box.copy())
policy >> copy[Act]
"""
from .dot import to_dot
from .expression import Box, Diagram
from .figure import figure
from .files import diagram_json_schema, dump_diagram, load_diagram, parse_diagram, save_diagram
from .render import render
from .stateful import StatefulBox, System
from .style import RenderOptions
from .wiring import PortRef, Wire, WiringDiagram

__all__ = ["Box", "Diagram", "WiringDiagram", "Wire", "PortRef",
           "load_diagram", "save_diagram", "dump_diagram", "parse_diagram", "diagram_json_schema",
           "StatefulBox", "System", "render", "RenderOptions", "to_dot", "figure"]
