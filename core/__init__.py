"""markovwire: typed components, string and wiring diagrams, exact Markov kernels.

The public API in one place:

>>> from markovwire import FinSet, Kernel, Net
>>> Coin = FinSet("Coin", ["heads", "tails"])
>>> fair = Kernel([0.5, 0.5], [], [Coin])
>>> fair.prob("heads")
0.5
"""
from .errors import (ContractionTooLarge, ErrorList, EvidenceError, ExpressionError, FileFormatError,
                     LoopWithoutState, MarkovwireError, NotStochastic, ParameterError, RenderError, ShapeError,
                     TypeMismatch, UnknownName, WiringError)
from .types import (FAMILIES, UNIT, Candidates, FinSet, Port, Product, Range, Sigma, TypeVar, Vec, bundle,
                    show_bundle, unify)
from .params import Parameter
from .kernel import Kernel, copy, discard, identity, swap
from .contract import Program, memory_budget, set_memory_budget
from .net import Net, NetBox

__version__ = "0.1.0"

__all__ = [
    "MarkovwireError", "ContractionTooLarge", "ErrorList", "EvidenceError", "ExpressionError", "FileFormatError",
    "LoopWithoutState", "NotStochastic", "ParameterError", "RenderError", "ShapeError", "TypeMismatch",
    "UnknownName", "WiringError",
    "FinSet", "Port", "TypeVar", "Range", "Vec", "Candidates", "Product", "Sigma", "UNIT", "FAMILIES", "bundle",
    "show_bundle", "unify",
    "Parameter", "Kernel", "copy", "discard", "identity", "swap",
    "Program", "memory_budget", "set_memory_budget", "Net", "NetBox",
]
