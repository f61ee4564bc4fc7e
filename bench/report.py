"""Rows of the benchmark table and their markdown rendering."""
from __future__ import annotations

from dataclasses import dataclass

from .timing import show


@dataclass
class Row:
    """One comparison: markovwire's median against a baseline's, with the target it must meet.

    ``speedup`` is baseline time / markovwire time (above 1: markovwire is faster);
    ``need`` is the least speed-up the target allows (None for absolute targets).
    """

    workload: str
    case: str
    ours: float
    baseline: str = ""
    theirs: float | None = None
    need: float | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""

    def __post_init__(self):
        if self.met is None and self.need is not None and self.theirs is not None:
            self.met = self.speedup >= self.need

    @property
    def speedup(self) -> float | None:
        return None if self.theirs is None else self.theirs / self.ours


HEADER = ["workload", "case", "markovwire", "baseline", "baseline median", "speed-up", "target", "met", "note"]


def table(rows: list[Row]) -> str:
    """A markdown table of the rows."""
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for r in rows:
        cells = [r.workload, r.case, show(r.ours), r.baseline, show(r.theirs) if r.theirs is not None else "",
                 f"{r.speedup:.2f}x" if r.speedup is not None else "", r.target,
                 {True: "yes", False: "**no**", None: ""}[r.met], r.note]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
