"""The problems of the proposal, each naming its box and port; Enter shows the box in the diagram."""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ..messages import ProblemChosen


class ErrorPanel(OptionList):
    """One entry per problem (what is wrong, and the fix); the panel says so when there are none."""

    _labels: list | None = None          # what the list shows (the same problems are not listed again)

    def show(self, problems, note: str | None = None) -> None:
        self.problems = list(problems)
        self.set_class(not problems, "-clean")
        if not problems:
            labels = [Text("✓ no problems" + (f": {note}" if note else ""), "green")]
        else:
            labels = []
            for p in problems:
                head = f"{p.where}: {p.error.what}" if p.where else p.error.what
                label = Text.assemble(("✗ ", "red"), (head, ""))
                if p.error.fix:
                    label.append(f"  → {p.error.fix}", "dim")
                labels.append(label)
        self.border_title = f"Problems ({len(problems)})" if problems else "Problems"
        if labels == self._labels:
            return                       # the same problems: the list and its highlight stay
        self._labels = labels
        # at once: one option at a time measures and resizes the list each time
        self.set_options([Option(label, id=str(i) if problems else "ok") for i, label in enumerate(labels)])
        if problems:
            self.highlighted = 0

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id and event.option.id.isdigit():
            p = self.problems[int(event.option.id)]
            self.post_message(ProblemChosen(p.box, p.port))
