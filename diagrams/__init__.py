"""markovwire.diagrams: string diagrams, wiring diagrams (nested, with feedback), diagram files, figures."""
from .box import Box
from .expression import Diagram
from .wiring import PortRef, Wire, WiringDiagram
from .stateful import StatefulBox, System
from .files import diagram_json_schema, dump_diagram, load_diagram, parse_diagram, save_diagram

__all__ = ["Box", "Diagram", "WiringDiagram", "Wire", "PortRef", "StatefulBox", "System",
           "load_diagram", "save_diagram", "dump_diagram", "parse_diagram", "diagram_json_schema"]
