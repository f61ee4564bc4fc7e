"""The limits that keep one evaluation inside one machine: memory, cost, sweep points, figure size.

Each limit is checked *before* the work it bounds starts, from sizes known in advance
(a contraction's plan, a sweep's grid, a diagram's boxes), so a question that is too
large is refused at once with what it needs and how to raise the limit, instead of
running for minutes or exhausting memory. Every limit can be raised per run on the
command line (``markovwire --max-memory 8GiB eval …``) and in Python:

=================  ===================  ====================  =================================
limit              default              command line          Python
=================  ===================  ====================  =================================
memory             2 GiB live at once   ``--max-memory 8GiB``  ``markovwire.set_memory_budget``
contraction cost   1e9 operations       ``--max-cost 1e10``    ``markovwire.set_cost_budget``
sweep points       1,000,000            ``--max-points 1e7``   ``markovwire.set_sweep_limit``
figure boxes       500                  ``--max-boxes 5000``   ``markovwire.set_figure_limit``
=================  ===================  ====================  =================================

>>> old = set_cost_budget(1e6)
>>> try:
...     check_cost(2e6, "query 'q'")
... except ContractionTooLarge as e:
...     print(e)
query 'q': needs 2e+06 operations, 2x the cost budget of 1e+06
  fix: raise the budget: --max-cost 2e+06 on the command line, or markovwire.set_cost_budget(2e+06) in Python
>>> _ = set_cost_budget(old)
"""
from __future__ import annotations

import math
import re
from typing import Mapping

from .errors import ContractionTooLarge, ParameterError

DEFAULT_MEMORY_BUDGET = 2 * 1024**3   # bytes alive at once during one evaluation
DEFAULT_COST_BUDGET = 1e9             # operations of one contraction (a few seconds of numpy; shipped: <= 3e7)
DEFAULT_SWEEP_POINTS = 1_000_000      # points of one sweep (the product of the swept parameters' counts)
DEFAULT_FIGURE_BOXES = 500            # boxes laid out in one figure (graphviz: ~2 s for 500, ~10 s for 2,000)

_limits = {"memory": DEFAULT_MEMORY_BUDGET, "cost": DEFAULT_COST_BUDGET, "points": DEFAULT_SWEEP_POINTS,
           "boxes": DEFAULT_FIGURE_BOXES}


def _set(name: str, value) -> float:
    value = float(value)
    if not value > 0 or math.isinf(value) and name != "cost":
        raise ParameterError(f"limit {name!r}", f"{value:g} is not a positive number", fix="give a positive number")
    old = _limits[name]
    _limits[name] = value if name == "cost" else int(value)
    return old


def set_memory_budget(nbytes: int) -> int:
    """Set the memory one evaluation may hold at once (operands and intermediates), in bytes; returns the old one."""
    return _set("memory", nbytes)


def memory_budget() -> int:
    """The current memory budget of one evaluation, in bytes."""
    return _limits["memory"]


def set_cost_budget(multiply_adds: float) -> float:
    """Set the most operations (multiply-adds, and entries moved times their axes) one contraction may plan;
    returns the old budget."""
    return _set("cost", multiply_adds)


def cost_budget() -> float:
    """The current cost budget of one contraction, in operations."""
    return _limits["cost"]


def set_sweep_limit(points: int) -> int:
    """Set the most points one sweep (or an adversary's grid) may have; returns the old limit."""
    return _set("points", points)


def sweep_limit() -> int:
    """The current limit on the points of one sweep."""
    return _limits["points"]


def set_figure_limit(boxes: int) -> int:
    """Set the most boxes one figure may draw; returns the old limit."""
    return _set("boxes", boxes)


def figure_limit() -> int:
    """The current limit on the boxes of one figure."""
    return _limits["boxes"]


def human_bytes(nbytes: float) -> str:
    """``1536 -> '1.5 KiB'``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if nbytes < 1024 or unit == "PiB":
            return f"{nbytes:.1f} {unit}"
        nbytes /= 1024
    return f"{nbytes:.1f} PiB"


def bytes_option(nbytes: float) -> str:
    """A memory size as the command line takes it, rounded up: ``3 * 2**30 + 1 -> '4GiB'``."""
    for unit, size in (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2)):
        if nbytes >= size:
            return f"{math.ceil(nbytes / size)}{unit}"
    return f"{math.ceil(nbytes / 1024)}KiB"


def parse_bytes(text: str, where: str = "--max-memory") -> int:
    """``'8GiB'``, ``'512MB'``, ``'2e9'`` → bytes (binary and decimal units, case-insensitive).

    >>> parse_bytes("8GiB"), parse_bytes("1.5k"), parse_bytes("2e9")
    (8589934592, 1536, 2000000000)
    """
    m = re.fullmatch(r"\s*([0-9.]+(?:e[+-]?[0-9]+)?)\s*([kmgtp]?)(i?b?)\s*", str(text), re.IGNORECASE)
    try:
        if m is None:
            raise ValueError
        value = float(m.group(1))
        unit = m.group(2).lower()
        base = 1000 if m.group(3).lower() == "b" and unit else 1024
        nbytes = value * base ** "_kmgtp".index(unit) if unit else value
        if not 0 < nbytes < 2**63:
            raise ValueError
    except ValueError:
        raise ParameterError(where, f"{text!r} is not a memory size", fix=f"write e.g. {where} 8GiB") from None
    return int(nbytes)


def check_memory_bytes(nbytes: float, what: str, detail: str = "") -> float:
    """Refuse an evaluation that would hold ``nbytes`` at once, more than the memory budget."""
    if nbytes > _limits["memory"]:
        raise ContractionTooLarge(
            what, f"needs {human_bytes(nbytes)} at once{detail}, more than the memory budget of "
            f"{human_bytes(_limits['memory'])}", fix=memory_fix(nbytes))
    return nbytes


def memory_fix(nbytes: float, also: str = "; or condition on or marginalise wires, or sweep fewer points at once") \
        -> str:
    """How to raise the memory budget to ``nbytes`` (and what else would help)."""
    return (f"raise the budget: --max-memory {bytes_option(nbytes)} on the command line, or "
            f"markovwire.set_memory_budget({int(math.ceil(nbytes))}) in Python{also}")


def check_cost(operations: float, what: str) -> float:
    """Refuse a contraction planned to take more operations (multiply-adds and entries moved) than the budget."""
    if operations > _limits["cost"]:
        need = _round_up(operations)
        raise ContractionTooLarge(
            what, f"needs {operations:.3g} operations, {operations / _limits['cost']:.3g}x the cost budget "
            f"of {_limits['cost']:.3g}",
            fix=f"raise the budget: --max-cost {need} on the command line, or markovwire.set_cost_budget({need}) "
                "in Python")
    return operations


def _round_up(x: float) -> str:
    """``x`` rounded up to two significant digits, as text: ``9.71e9 -> '9.8e+09'``."""
    if not math.isfinite(x) or x <= 0:
        return f"{x:g}"
    step = 10.0 ** (math.floor(math.log10(x)) - 1)
    return f"{math.ceil(x / step - 1e-9) * step:.2g}"


def check_points(sizes: Mapping[str, int], where: str, what: str = "sweep") -> int:
    """Refuse a grid whose points (the product of ``sizes``) exceed the sweep limit; returns the product."""
    total = math.prod(int(n) for n in sizes.values())
    if total > _limits["points"]:
        fewer = ("give a smaller grid: (e.g. grid: 201)" if "grid" in what
                 else "sweep fewer points (a smaller COUNT, or one parameter at a time)")
        shown = " x ".join(f"{k} {int(n):,}" for k, n in sizes.items())
        raise ParameterError(
            where, f"the {what} has {shown} = {total:,} points, more than the limit of {_limits['points']:,}",
            fix=f"{fewer}, or raise the limit: "
                f"--max-points {total:.3g} on the command line, or markovwire.set_sweep_limit({total}) in Python")
    return total
