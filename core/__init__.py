"""markovwire: typed components, string and wiring diagrams, exact Markov kernels.

The public API in one place:

>>> from markovwire import FinSet, Kernel, Net
>>> Coin = FinSet("Coin", ["heads", "tails"])
>>> fair = Kernel([0.5, 0.5], [], [Coin])
>>> fair.prob("heads")
0.5

The names are loaded on first use (PEP 562), so that ``import markovwire`` and
``markovwire --help`` do not pay for sympy and numpy.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

# submodule -> the public names it defines, in the order of __all__
_SOURCES = {
    "errors": ["MarkovwireError", "ContractionTooLarge", "ErrorList", "EvidenceError", "ExpressionError",
               "FileFormatError", "LoopWithoutState", "NotStochastic", "ParameterError", "RenderError", "ShapeError",
               "TypeMismatch", "UnknownName", "WiringError", "EngineError", "Cancelled"],
    "types": ["FinSet", "Port", "TypeVar", "Range", "Vec", "Candidates", "Product", "Sigma", "UNIT", "FAMILIES",
              "bundle", "show_bundle", "unify"],
    "params": ["Parameter"],
    "kernel": ["Kernel", "copy", "discard", "identity", "swap"],
    "inversion": ["invert", "disintegrate"],
    "contract": ["Program"],
    "limits": ["memory_budget", "set_memory_budget", "cost_budget", "set_cost_budget", "sweep_limit",
               "set_sweep_limit", "figure_limit", "set_figure_limit"],
    "net": ["Net", "NetBox"],
    "episode": ["Episode"],
    "model": ["Model"],
    "parallel": ["Engine", "set_engine", "open_sweep", "SweepFile"],
}
_LAZY = {name: module for module, names in _SOURCES.items() for name in names}

__all__ = [name for names in _SOURCES.values() for name in names]


def __getattr__(name: str):
    """A public name, imported from its submodule on first use; or a submodule (``markovwire.multistep``)."""
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    elif not name.startswith("_"):
        try:
            value = importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as err:
            if err.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    """The module's attributes including the public names not loaded yet (for completion and ``dir()``)."""
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # what static checkers and IDEs see
    from .contract import Program
    from .episode import Episode
    from .errors import (
        Cancelled,
        ContractionTooLarge,
        EngineError,
        ErrorList,
        EvidenceError,
        ExpressionError,
        FileFormatError,
        LoopWithoutState,
        MarkovwireError,
        NotStochastic,
        ParameterError,
        RenderError,
        ShapeError,
        TypeMismatch,
        UnknownName,
        WiringError,
    )
    from .inversion import disintegrate, invert
    from .kernel import Kernel, copy, discard, identity, swap
    from .limits import (
        cost_budget,
        figure_limit,
        memory_budget,
        set_cost_budget,
        set_figure_limit,
        set_memory_budget,
        set_sweep_limit,
        sweep_limit,
    )
    from .model import Model
    from .net import Net, NetBox
    from .parallel import Engine, SweepFile, open_sweep, set_engine
    from .params import Parameter
    from .types import (
        FAMILIES,
        UNIT,
        Candidates,
        FinSet,
        Port,
        Product,
        Range,
        Sigma,
        TypeVar,
        Vec,
        bundle,
        show_bundle,
        unify,
    )
