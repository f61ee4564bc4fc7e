"""The parameters of one instance: each shared with every instance of its component, or bound to the
instance's own proposal parameter (a new name is declared with the component parameter's domain and value).

Enter on a parameter puts its binding in the field below (a new name is suggested); Enter there binds it
and returns to the list. Empty text makes the parameter shared again.
"""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from .dialog import Dialog


class InstanceParametersScreen(Dialog[bool]):
    """Bindings of ``instance``'s parameters; ``apply(parameter, text)`` binds one (mistakes are shown here)."""

    def __init__(self, document, instance: str, apply):
        super().__init__()
        self.document, self.instance, self.apply = document, instance, apply
        self.current: str | None = None
        self.changed = False

    def compose(self) -> ComposeResult:
        comp = self.document.check.components.get(self.instance)
        kind = f" ({comp.name})" if comp is not None else ""
        with Vertical(classes="dialog wide"):
            yield Label(f"Parameters of {self.instance}{kind}", classes="dialog-title")
            yield Static("Shared: the same value as every other instance of the component. Bound: this "
                         "instance's own parameter (a new name is declared with the same domain and value), "
                         "a number, or an expression.", classes="dialog-note")
            yield OptionList(id="bind-list")
            yield Label("Bind to", classes="dialog-field", id="bind-label")
            yield Input(placeholder="a name (new or existing), a number or an expression; empty: shared",
                        id="bind-input")
            yield self.error_line()
            yield Static("Enter on a parameter: edit its binding   Enter in the field: bind   Esc: close",
                         classes="dialog-keys")

    def on_mount(self) -> None:
        self.show_error(None)
        self._fill()
        self.query_one("#bind-list", OptionList).focus()

    def _fill(self) -> None:
        ol = self.query_one("#bind-list", OptionList)
        keep = ol.highlighted
        ol.clear_options()
        for name, par, bound in self.document.instance_parameters(self.instance):
            value = "—" if par is None or par.default is None else f"{par.default:g}"
            domain = par._fmt_domain() if par is not None else ""
            if bound is None:
                label = Text.assemble((name, "bold"), f" = {value}  ", (domain, "dim"), ("   shared", "dim"))
            else:
                label = Text.assemble((name, "bold"), " → ", (bound, "bold cyan"), "  ", (domain, "dim"))
            ol.add_option(Option(label, id=name))
        if ol.option_count:
            ol.highlighted = min(keep or 0, ol.option_count - 1)

    @on(OptionList.OptionSelected, "#bind-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.current = event.option.id
        bound = dict((n, b) for n, _, b in self.document.instance_parameters(self.instance)).get(self.current)
        field = self.query_one("#bind-input", Input)
        field.value = bound if bound is not None else self._suggestion(self.current)
        self.query_one("#bind-label", Label).update(f"Bind {self.instance}.{self.current} to")
        field.focus()

    def _suggestion(self, parameter: str) -> str:
        """A fresh name for the instance's own parameter: ``tpr2`` for the second monitor's ``tpr``."""
        taken = set(self.document.check.all_parameters)
        k = 2
        while f"{parameter}{k}" in taken:
            k += 1
        return f"{parameter}{k}"

    @on(Input.Submitted, "#bind-input")
    def _bind(self, event: Input.Submitted) -> None:
        event.stop()
        if self.current is None:
            self.show_error("choose a parameter first (Enter on it)")
            return
        if self.attempt(lambda: self.apply(self.current, event.value)):
            self.changed = True
            self._fill()
            self.query_one("#bind-list", OptionList).focus()

    def action_cancel(self) -> None:
        self.dismiss(self.changed)
