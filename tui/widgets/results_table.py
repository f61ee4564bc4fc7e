"""Query values as a table with inline bars of block characters; adversaries with the choice they made."""
from __future__ import annotations

import math

import numpy as np
from rich.text import Text

from ..commands import bindings
from .keyed_table import Column, KeyedTable

EIGHTHS = " ▏▎▍▌▋▊▉"
BAR = 10


def bar(fraction: float, width: int = BAR) -> str:
    """A bar of ``width`` cells filled to ``fraction`` (0 … 1), in eighths of a cell.

    >>> bar(0.5, 4), bar(1, 4), bar(0.3, 4)
    ('██  ', '████', '█▏  ')
    """
    if not math.isfinite(fraction):
        return " " * width
    cells = max(0.0, min(1.0, fraction)) * width
    full = int(cells)
    part = EIGHTHS[int((cells - full) * 8)] if full < width else ""
    return ("█" * full + part.strip()).ljust(width)


def span(lower: float, upper: float, width: int = BAR, at: float | None = None) -> str:
    """An interval of [0, 1] as a strip of ``width`` cells: ``█`` over the interval, ``·`` elsewhere;
    with ``at``, the interval is ``▒`` and ``█`` marks the point (a value inside its band).

    >>> span(0.25, 0.5, 8), span(0.3, 0.3, 4), span(0.0, 1.0, 4, at=0.6)
    ('··██····', '·█··', '▒▒█▒')
    """
    if not all(math.isfinite(x) and -1e-9 <= x <= 1 + 1e-9 for x in (lower, upper)):
        return " " * width
    cell = lambda x: min(max(int(x * width), 0), width - 1)
    inside = {i for i in range(width) if i / width < upper and (i + 1) / width > lower} or {cell(lower)}
    mark = cell(at) if at is not None and math.isfinite(at) else None
    return "".join("█" if i == mark or (i in inside and mark is None) else "▒" if i in inside else "·"
                   for i in range(width))


def number(v) -> str:
    """A result as text: six significant figures, or its range for an array."""
    if isinstance(v, (float, int, np.floating)):
        if math.isinf(float(v)):   # an infinite KL divergence
            return "∞" if v > 0 else "-∞"
        if not math.isfinite(float(v)):
            return "undefined"
        text = f"{float(v):.6g}"
        return text if len(text) <= 10 else f"{float(v):.3g}"
    return str(v)


EDGE = {"lower": "lo edge", "upper": "hi edge", "both": "flat"}   # where a worst case meets its search range


class ResultsTable(KeyedTable):
    """One row per query (a distribution gets one row per outcome); q adds a query, x removes one."""

    BINDINGS = bindings("results")
    COLUMNS = (Column("query", width=14, wrap=True), Column("value"), Column("", width=BAR, drop=1))

    def __init__(self, **kw):
        super().__init__(cursor_type="row", **kw)
        self.meaning: dict[str, str] = {}

    def show(self, results: dict, texts: dict[str, str]) -> None:
        """Show ``results`` (name → number, label → probability, or a worst case); ``texts`` describe queries."""
        self.meaning = dict(texts)
        rows = []
        scale = max([1.0] + [abs(float(v)) for v in results.values() if isinstance(v, (float, int, np.floating))
                             and math.isfinite(float(v))])
        for name, v in results.items():
            if isinstance(v, dict):
                rows.append((name, [Text(name, "bold"), Text(""), Text("")]))
                for label, p in v.items():
                    rows.append((f"{name}\x00{label}", [Text(f"  {label}"), Text(number(p)),
                                                         Text(bar(float(p)), "green")]))
            elif hasattr(v, "policy"):                          # an adversary replacing a whole instance
                rows.append((name, [Text(name, "bold magenta"), Text(number(v.value)),
                                    Text(bar(float(v.value)), "magenta")]))
                for k, out in v.policy.items():                 # the input, then what the policy does with it
                    rows.append((f"{name}\x00{k}", [Text.assemble((f"  {k or 'always'}", "dim"), (f" → {out}", "")),
                                                     Text(""), Text("")]))
            elif hasattr(v, "choice"):
                rows.append((name, [Text(name, "bold magenta"), Text(number(v.value)),
                                    Text(bar(float(v.value)), "magenta")]))
                for i, (k, x) in enumerate(v.choice.items()):     # where the adversary's optimum is: a set
                    lo, hi = v.optimum.get(k, (x, x))
                    where = f"{lo:.3g}–{hi:.3g}" if v.flat and hi > lo else f"{x:.4g}"
                    edge = v.on_edge.get(k)
                    rows.append((f"{name}\x00{k}", [Text(f"  {'at ' if i == 0 else '   '}{k}", "dim"),
                                                     Text(where, "dim"), Text(EDGE.get(edge, ""), "yellow")]))
            else:
                rows.append((name, [Text(name, "bold"), Text(number(v)), Text(bar(float(v) / scale), "green")]))
            m = getattr(v, "measured", None)
            if m is not None:                                   # kernels measured from data: their credal sets
                rows.append((f"{name}\x00measured", [Text("  measured", "dim"), Text(f"{number(m.lower)}–"
                             f"{number(m.upper)}", "dim"), Text(span(m.lower, m.upper, at=v.value), "magenta")]))
                rows.append((f"{name}\x00robust", [Text("  robust", "dim"), Text(number(m.robust), "dim"),
                                                     Text(bar(float(m.robust)), "magenta")]))
        self.fill(rows)

    def current_query(self) -> str | None:
        key = self.current()
        return key.split("\x00")[0] if key else None
