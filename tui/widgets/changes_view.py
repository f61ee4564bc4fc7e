"""What changed between two proposals: boxes, wires, outer ports and parameters, one line each (+, −, ~)."""
from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

SIGNS = {"+": "green", "−": "red", "~": "yellow"}


def changes_text(d) -> Text:
    """A :class:`~markovwire.analysis.diff.NetDiff` as grouped lines."""
    groups = [
        ("Boxes", [(sign, ", ".join(names), "") for sign, names in (("+", d.boxes_added), ("−", d.boxes_removed))
                   if names] + [("~", b, "; ".join(what)) for b, what in d.boxes_changed.items()]),
        ("Wires", [("+", w, t) for w, t in d.wires_added.items()] + [("−", w, t) for w, t in d.wires_removed.items()]
         + [("~", w, f"{a} → {b}") for w, (a, b) in d.wires_retyped.items()]),
        ("Outer ports", [("~", k, f"{', '.join(a) or 'none'} → {', '.join(b) or 'none'}")
                         for k, (a, b) in d.outer.items()]),
        ("Parameters", [("+", p, t) for p, t in d.params_added.items()] + [("−", p, t) for p, t in
                                                                            d.params_removed.items()]
         + [("~", p, "; ".join(what)) for p, what in d.params_changed.items()]),
    ]
    out = Text()
    for title, lines in groups:
        if not lines:
            continue
        if out:
            out.append("\n")
        out.append(title, "bold underline")
        for sign, name, what in lines:
            out.append("\n")
            out.append(f" {sign} ", f"bold {SIGNS[sign]}")
            out.append(name, "bold")
            if what:
                out.append(f": {what}" if sign == "~" else f"  {what}", "" if sign == "~" else "dim")
    if not out:
        out.append("No structural change: the same boxes, wires and parameters.", "dim")
    return out


class ChangesView(Static):
    """The structural difference from A to B (see :func:`changes_text`)."""

    def show(self, d) -> None:
        self.update(changes_text(d))
