"""Lower and upper values of queries, one row per credal entry (or ad-hoc bound), with how far they are certified.

A row's bounds come from the library: a
:class:`~markovwire.analysis.credal.CredalBounds` for a single-shot proposal, an
:class:`~markovwire.analysis.episodes.EpisodeBounds` for an episode, which also carries
the range for one unknown choice fixed for the whole episode (``fixed``) beside the
range when the components may change every step (``adaptive``: lower and upper).
"""
from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text

from markovwire.errors import MarkovwireError

from .keyed_table import Column, KeyedTable
from .results_table import BAR, number, span


@dataclass
class BoundsRow:
    """One row: a credal entry of the file (``entry`` its name) or an ad-hoc bound (``entry`` empty)."""

    key: str
    entry: str
    query: str
    result: object = None        # CredalBounds, EpisodeBounds, a MarkovwireError, or None while computing
    doc: str = ""


def certification(b) -> str:
    """How far bounds are certified, in a few words.

    An episode's bounds are exact for both semantics (``tight``), exact when the components
    may change every step (the fixed-choice range is then attained inside them), or inner bounds.
    """
    if hasattr(b, "fixed"):
        return "exact (both)" if b.tight else "exact (adaptive)" if b.exact else "inner bound"
    return "exact" if b.exact else "inner bound"


class BoundsTable(KeyedTable):
    """The bounds, one row each; :meth:`detail` explains the highlighted one (choices, method, note, doc)."""

    COLUMNS = (Column("entry"), Column("query", width=8, wrap=True), Column("lower"), Column("upper"),
               Column("certified"), Column("", width=BAR, drop=1), Column("fixed choice", drop=2))
    """In a narrow terminal the fixed-choice range (also in the detail under the table) goes first, then the strip."""

    def __init__(self, **kw):
        super().__init__(cursor_type="row", **kw)
        self.rows_shown: dict[str, BoundsRow] = {}

    def show(self, rows: list[BoundsRow]) -> None:
        self.rows_shown = {r.key: r for r in rows}
        shown = []
        for r in rows:
            entry = Text(r.entry, "bold") if r.entry else Text("ad hoc", "dim italic")
            b = r.result
            if b is None:
                cells = [Text("…", "dim"), Text(""), Text("computing", "dim"), Text(""), Text("")]
            elif isinstance(b, MarkovwireError):
                cells = [Text("n/a", "red"), Text(""), Text("see Problems", "dim"), Text(""), Text("")]
            else:
                fixed = Text(str(b.fixed)) if hasattr(b, "fixed") else Text("—", "dim")
                kind = certification(b)
                cells = [Text(number(b.lower)), Text(number(b.upper)),
                         Text(kind, "green" if kind.startswith("exact") else "yellow"),
                         Text(span(b.lower, b.upper), "green"), fixed]
            shown.append((r.key, [entry, Text(r.query), *cells]))
        self.fill(shown)


    def detail(self, intervals: str = "") -> Text:
        """The highlighted row in full: the library's account of the bounds, and the entry's doc."""
        row = self.rows_shown.get(self.current() or "")
        if row is None:
            return Text("")
        head = f"{row.entry}: " if row.entry else f"ad hoc ({intervals}): " if intervals else "ad hoc: "
        out = Text(head, "bold cyan")
        b = row.result
        if b is None:
            out.append("computing…", "dim")
        elif isinstance(b, MarkovwireError):
            out.append(str(b), "red")
        else:
            first, *rest = str(b).splitlines()
            out.append(first, "bold")
            for line in rest:
                label, colon, text = line.strip().partition(": ")
                out.append("\n")
                out.append(f"{label}: " if colon else "", "dim")
                out.append(text if colon else line.strip())
        if row.doc:
            out.append("\n" + row.doc.strip(), "dim italic")
        return out
