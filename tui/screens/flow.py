"""Information flow: the file's claims as a checklist, and ad-hoc independence checks ``A ⊥ B | given``.

Claims are checked by the library exactly as ``markovwire flow`` checks them
(d-separation on the wiring: a "yes" holds for every choice of kernels; a "no" comes
with a path along which information can flow). An ad-hoc check names wires as queries
do (an outer port, ``box.port``, a stateful instance); ``k`` keeps the last one as a
claim of the file (an edit of the document: undoable, saved, recovered).
"""
from __future__ import annotations

import re

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Static

from markovwire.errors import MarkovwireError, ShapeError, UnknownName

from ..commands import view_bindings
from ..widgets.claims_table import ClaimsTable
from ..widgets.keys_footer import KeysFooter
from .prompt import PromptScreen


def split_wires(text: str) -> list[str]:
    """``"a, b c"`` → ``["a", "b", "c"]``"""
    return [w for w in re.split(r"[,\s]+", text.strip()) if w]


def check_independence(proposal, a: list[str], b: list[str], given: list[str]):
    """``a ⊥ b | given`` on the proposal's wiring, as its claims are checked (names resolved with clear errors)."""
    from markovwire.library.claims import claim
    from markovwire.library.schema import ClaimSpec
    for side, names in (("A", a), ("B", b)):
        if not names:
            raise ShapeError(f"wires {side}", "are empty", fix=f"name at least one wire for {side}")
    for side, names in (("A", a), ("B", b), ("given", given)):
        for w in names:
            proposal.wire(w, side)
    spec = ClaimSpec(independent=[a, b] + ([given] if given else []))
    return claim(proposal, spec, len(proposal.spec.claims))


class FlowScreen(Screen):
    """The claims checklist and the ad-hoc independence check; see the module docstring."""

    VIEW = "flow"
    BINDINGS = view_bindings("flow", back="back")

    def __init__(self):
        super().__init__()
        self.last: tuple[list[str], list[str], list[str]] | None = None    # the last ad-hoc check that ran

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="claims-panel", classes="panel"):
            yield Static("", id="flow-status")
            yield ClaimsTable(id="claims-table")
            yield Static("", id="claim-detail")
        with Vertical(id="check-panel", classes="panel"):
            with Horizontal(id="check-row"):
                yield Input(placeholder="A: wires, by commas", id="check-a")
                yield Static("⊥", classes="check-sign")
                yield Input(placeholder="B: wires", id="check-b")
                yield Static("|", classes="check-sign")
                yield Input(placeholder="given (optional)", id="check-given")
            yield Static("", id="check-result")
            yield Static("", id="check-wires")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#claims-panel").border_title = "Claims of the file"
        self.query_one("#check-panel").border_title = "Check A ⊥ B | given"
        self.refresh_document()
        self.query_one("#claims-table").focus()

    # ----- showing ----------------------------------------------------------------------------------
    def refresh_document(self) -> None:
        p = self.app.document.check.proposal
        table = self.query_one("#claims-table", ClaimsTable)
        status = self.query_one("#flow-status", Static)
        if p is None:
            table.show([], [])
            status.update(Text("The proposal does not build now (see Problems in the workspace): nothing to "
                               "check. Undo (u) or go back (Esc).", "yellow"))
            self.query_one("#check-wires", Static).update("")
            self._detail()
            return
        try:
            checks = p.claims().checks
        except MarkovwireError as e:
            table.show([], [])
            status.update(Text(f"✗ {e}", "red"))
            return
        table.show(checks, [c.doc for c in p.spec.claims])
        failing = sum(not c.holds for c in checks)
        if not checks:
            status.update(Text("No claims in the file yet: check one below (n) and keep it (k).", "dim"))
        elif failing:
            status.update(Text(f"✗ {failing} of {len(checks)} claims {'does' if failing == 1 else 'do'} not hold",
                               "bold red"))
        else:
            status.update(Text(f"✓ all {len(checks)} claims hold, for every choice of kernels", "green"))
        self.query_one("#check-wires", Static).update(
            Text.assemble(("wires: ", "dim"), (", ".join(p.wire_names()), "")))
        self._detail()

    def _detail(self) -> None:
        self.query_one("#claim-detail", Static).update(self.query_one("#claims-table", ClaimsTable).detail())

    @on(DataTable.RowHighlighted, "#claims-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail()

    # ----- the ad-hoc check -------------------------------------------------------------------------
    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        fields = [self.query_one(f"#check-{k}", Input) for k in ("a", "b")]
        empty = next((f for f in fields if not f.value.strip()), None)
        if empty is not None:
            empty.focus()
            return
        self.run_check()

    def run_check(self) -> None:
        """Check the wires typed in the three fields; the verdict (or what is wrong) shows under them."""
        p = self.app.document.check.proposal
        result = self.query_one("#check-result", Static)
        if p is None:
            result.update(Text("The proposal does not build now: nothing to check.", "yellow"))
            return
        a, b, given = (split_wires(self.query_one(f"#check-{k}", Input).value) for k in ("a", "b", "given"))
        try:
            check = check_independence(p, a, b, given)
        except MarkovwireError as e:
            self.last = None
            shown = f"{e.where}: {e.what}" if isinstance(e, UnknownName) else str(e)   # the wires are listed below
            result.update(Text(f"✗ {shown}", "red"))
            return
        self.last = (a, b, given)
        if check.holds:
            line = Text.assemble(("✓ ", "green"), (check.claim, "bold"), (": holds for every choice of kernels",
                                                                             "green"))
        else:
            line = Text.assemble(("✗ ", "red"), (check.claim, "bold"), (": does not hold; information can flow "
                                                                           "along ", "red"), (check.path or "", ""))
        line.append("   (k keeps it as a claim)", "dim")
        result.update(line)
        self.query_one("#claims-table").focus()          # so that k works at once; n returns to the fields

    # ----- actions ------------------------------------------------------------------------------------
    def action_back(self) -> None:
        if isinstance(self.focused, Input):
            self.query_one("#claims-table").focus()
            return
        self.app.pop_screen()

    def action_new_check(self) -> None:
        self.query_one("#check-a", Input).focus()

    def action_keep_claim(self) -> None:
        if self.last is None:
            self.app.notify("Check an independence first (n, type the wires, Enter); k then keeps it.",
                            severity="warning", timeout=5)
            return
        a, b, given = self.last
        doc = self.app.document
        text = f"{', '.join(a)} ⊥ {', '.join(b)}" + (f" | {', '.join(given)}" if given else "")

        def done(answer):
            if answer is not None:
                self.app.document_changed()
                table = self.query_one("#claims-table", ClaimsTable)
                table.move_cursor(row=table.row_count - 1)
                self.app.notify(f"Added the claim {text} (Ctrl+S writes the file; u undoes).", timeout=4)

        self.app.push_screen(PromptScreen(
            f"Keep {text} as a claim", "", placeholder="why it should hold (optional)",
            note="One line saying why it should hold (the claim's doc; it may be left empty).",
            apply=lambda why: doc.add_claim("independent", [a, b] + ([given] if given else []), why)), done)

    def action_remove_claim(self) -> None:
        i = self.query_one("#claims-table", ClaimsTable).current()
        if i is None:
            self.app.notify("There is no claim to remove.", severity="warning")
            return
        try:
            self.app.document.remove_claim(i)
        except MarkovwireError as e:
            self.app.notify(str(e), title="Not removed", severity="error", timeout=8)
            return
        self.app.document_changed()
        self.app.notify(f"Removed claim {i + 1} (u undoes).", timeout=3)
