"""Query values as a table with inline bars of block characters; adversaries with the choice they made."""
from __future__ import annotations

import math

import numpy as np
from rich.text import Text

from ..commands import bindings
from .keyed_table import KeyedTable

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
        if not math.isfinite(float(v)):
            return "undefined"
        text = f"{float(v):.6g}"
        return text if len(text) <= 10 else f"{float(v):.3g}"
    return str(v)


EDGE = {"lower": "lo edge", "upper": "hi edge", "both": "flat"}   # where a worst case meets its search range


class ResultsTable(KeyedTable):
    """One row per query (a distribution gets one row per outcome); q adds a query, x removes one."""

    BINDINGS = bindings("results")

    def __init__(self, **kw):
        super().__init__(cursor_type="row", **kw)
        self.add_column("query", width=14)
        self.add_column("value", width=10)
        self.add_column("", width=BAR)
        self.meaning: dict[str, str] = {}

    def show(self, results: dict, texts: dict[str, str]) -> None:
        """Show ``results`` (name → number, label → probability, or a worst case); ``texts`` describe queries."""
        keep = self.current()
        self.clear()
        self.meaning = dict(texts)
        scale = max([1.0] + [abs(float(v)) for v in results.values() if isinstance(v, (float, int, np.floating))
                             and math.isfinite(float(v))])
        for name, v in results.items():
            if isinstance(v, dict):
                self.add_row(Text(name, "bold"), Text(""), Text(""), key=name)
                for label, p in v.items():
                    self.add_row(Text(f"  {label}"), Text(number(p)), Text(bar(float(p)), "green"),
                                 key=f"{name}\x00{label}")
            elif hasattr(v, "policy"):                          # an adversary replacing a whole instance
                self.add_row(Text(name, "bold magenta"), Text(number(v.value)), Text(bar(float(v.value)), "magenta"),
                             key=name)
                for k, out in v.policy.items():
                    self.add_row(Text(f"  {k or 'always'}", "dim"), Text(""), Text(f"→ {out}", "dim"),
                                 key=f"{name}\x00{k}")
            elif hasattr(v, "choice"):
                self.add_row(Text(name, "bold magenta"), Text(number(v.value)), Text(bar(float(v.value)), "magenta"),
                             key=name)
                for i, (k, x) in enumerate(v.choice.items()):     # where the adversary's optimum is: a set
                    lo, hi = v.optimum.get(k, (x, x))
                    where = f"{lo:.3g}–{hi:.3g}" if v.flat and hi > lo else f"{x:.4g}"
                    edge = v.on_edge.get(k)
                    self.add_row(Text(f"  {'at ' if i == 0 else '   '}{k}", "dim"), Text(where, "dim"),
                                 Text(EDGE.get(edge, ""), "yellow"), key=f"{name}\x00{k}")
            else:
                self.add_row(Text(name, "bold"), Text(number(v)), Text(bar(float(v) / scale), "green"), key=name)
        if keep is not None:
            for key in (keep, keep.split("\x00")[0]):
                try:
                    self.move_cursor(row=self.get_row_index(key), animate=False)
                    break
                except Exception:  # noqa: BLE001 - the row went away
                    continue


    def current_query(self) -> str | None:
        key = self.current()
        return key.split("\x00")[0] if key else None
