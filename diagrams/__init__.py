"""markovwire.diagrams: string diagrams, wiring diagrams (nested, with feedback), diagram files."""
from .box import Box
from .expression import Diagram
from .wiring import PortRef, Wire, WiringDiagram

__all__ = ["Box", "Diagram", "WiringDiagram", "Wire", "PortRef"]
