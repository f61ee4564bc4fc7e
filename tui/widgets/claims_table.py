"""The information-flow claims of a proposal as a checklist: the claim, whether it holds, the path breaking it."""
from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable


class ClaimsTable(DataTable):
    """One row per claim (a :class:`~markovwire.analysis.flow.FlowCheck`); :meth:`detail` adds the claim's doc."""

    def __init__(self, **kw):
        super().__init__(cursor_type="row", **kw)
        for label in ("claim", "holds", "path that breaks it"):
            self.add_column(label)
        self.checks: list = []
        self.docs: list[str] = []

    def show(self, checks: list, docs: list[str]) -> None:
        keep = self.cursor_row if self.row_count else 0
        self.clear()
        self.checks, self.docs = list(checks), list(docs)
        for i, c in enumerate(checks):
            holds = Text("✓ yes", "green") if c.holds else Text("✗ no", "bold red")
            self.add_row(Text(c.claim, "bold"), holds, Text(c.path or "", "red" if not c.holds else "dim"), key=str(i))
        if self.row_count:
            self.move_cursor(row=min(keep, self.row_count - 1), animate=False)

    def current(self) -> int | None:
        """The index (in the file's ``claims:``) of the highlighted claim."""
        return self.cursor_row if self.row_count else None

    def detail(self) -> Text:
        i = self.current()
        if i is None:
            return Text("")
        c, doc = self.checks[i], self.docs[i]
        out = Text(c.claim, "bold")
        out.append(": holds for every choice of kernels" if c.holds else ": does not hold", "green" if c.holds
                   else "red")
        if c.path and not c.holds:
            out.append("\ninformation can flow along ", "dim").append(c.path, "red")
        if doc:
            out.append("\n" + doc.strip(), "dim italic")
        return out
