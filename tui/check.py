"""What a proposal being edited is right now: built by the library, or sketched with its problems.

:func:`build` asks the library for the proposal of a file model. While the diagram is
unfinished the library refuses it; the *sketch* is then the instances as boxes and the
wires that fit, checked by the wiring diagram's own checker, so that every problem can
point at a box and a port (:class:`Problem`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from markovwire import Parameter
from markovwire.diagrams.syntax import parse_diagram, parse_type
from markovwire.diagrams.wiring import WiringDiagram
from markovwire.errors import MarkovwireError, ParameterError, WiringError
from markovwire.library import Component, Library, Proposal, load_library, proposal_from_data
from markovwire.library.constructions import to_expr
from markovwire.library.loader import component_in, flatten
from markovwire.library.schema import ProposalFile

FILE_PLACE = re.compile(r"^[^\s:]+:\d+: ?")
"""The ``file:line:`` in front of a place: a file the library wrote itself, meaningless to the user."""


@dataclass(frozen=True)
class Problem:
    """A problem of the proposal, with the box and port it is about (when it is about one)."""

    error: MarkovwireError
    box: str | None = None
    port: str | None = None

    @property
    def where(self) -> str:
        return FILE_PLACE.sub("", self.error.where or "")

    @property
    def text(self) -> str:
        head = f"{self.where}: {self.error.what}" if self.where else self.error.what
        return head + (f"\n  fix: {self.error.fix}" if self.error.fix else "")


@dataclass
class Check:
    """What the document is now: the built proposal (or None), the diagram to draw, and its problems."""

    proposal: Proposal | None
    wiring: WiringDiagram
    problems: list[Problem]
    libraries: list[Library]
    components: dict[str, Component]                 # instance name -> component
    parameters: dict[str, Parameter]                 # the ones that matter, defaults = values in force
    all_parameters: dict[str, Parameter] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.proposal is not None and not self.problems


def build(spec: ProposalFile, path: Path | None = None) -> Check:
    """The proposal of ``spec`` through the library, or (while it does not build) a sketch and its problems."""
    data = spec.model_dump(mode="python", exclude_defaults=True)
    complete = bool(spec.instances) and (spec.diagram is not None or bool(spec.wiring and spec.wiring.wires))
    errors: list[MarkovwireError] = []
    proposal = None
    if complete:
        try:
            proposal = proposal_from_data(data, path, f"{spec.name}.yaml")
        except MarkovwireError as e:
            errors = flatten(e)
    if proposal is not None:
        comps = {n: component_in(proposal.libraries, i.component, "") for n, i in spec.instances.items()}
        params = {n: proposal.all_parameters[n] for n in proposal.parameters}
        return Check(proposal, proposal.wiring, [], proposal.libraries, comps, params, dict(proposal.all_parameters))
    return _sketch(spec, path, errors)


def _sketch(spec: ProposalFile, path: Path | None, build_errors: list[MarkovwireError]) -> Check:
    """The boxes and the wires that fit, for a proposal the library cannot build yet."""
    errors: list[MarkovwireError] = []
    libs: list[Library] = []
    for ref in spec.libraries:
        try:
            libs.append(load_library(ref, path, where=f"library {ref!r}"))
        except MarkovwireError as e:
            errors += flatten(e)
    types: dict = {}
    all_params: dict[str, Parameter] = {}
    for lib in libs:
        all_params.update({n: p for n, p in lib.parameters.items() if n not in all_params})
        try:
            for n, t in lib.types(lib.sizes(lib.parameters)).items():
                types.setdefault(n, t)
        except MarkovwireError as e:
            errors += flatten(e)
    for n, v in spec.parameters.items():
        try:
            if hasattr(v, "domain"):
                all_params[n] = Parameter(n, tuple(v.domain), v.default, v.doc, v.integer)
            elif n in all_params:
                old = all_params[n]
                all_params[n] = Parameter(n, old.domain, constant(v, f"parameter {n!r}"), old.doc, old.integer)
        except MarkovwireError as e:
            errors.append(e)
    wd = WiringDiagram(spec.name or "draft")
    comps: dict[str, Component] = {}
    boxes: dict[str, object] = {}
    for name, inst in spec.instances.items():
        try:
            comp = component_in(libs, inst.component, f"instance {name!r}")
            boxes[name] = comp.instantiate(name)
            comps[name] = comp
        except MarkovwireError as e:
            errors += flatten(e)
    wired = 0
    if spec.wiring is not None:
        for side, add in (("inputs", wd.add_input), ("outputs", wd.add_output)):
            for n, text in getattr(spec.wiring, side).items():
                try:
                    add(n, parse_type(text, types, f"outer {side[:-1]} {n!r}"))
                except MarkovwireError as e:
                    errors += flatten(e)
        for n, b in boxes.items():
            wd.add_box(n, b)
        for a, b in pairs(spec.wiring.wires):
            try:
                wd.connect(a, b)
                wired += 1
            except MarkovwireError as e:
                errors.append(e)
        errors += wd.problems()
    elif spec.diagram is not None:
        try:
            wd = WiringDiagram.from_diagram(parse_diagram(spec.diagram, boxes, types, "expression"), spec.name)
            errors += wd.problems()
        except MarkovwireError as e:
            errors += flatten(e)
            for n, b in boxes.items():
                wd.add_box(n, b)
    if not errors and not build_errors and spec.instances and not wired and spec.diagram is None:
        errors = [WiringError("diagram", "has no wires yet", fix="connect ports (c) and make outer outputs (e)")]
    if not errors:
        errors = build_errors
    else:   # the build's own problems that the sketch does not already show (queries, parameters, ...)
        shown = {e.what for e in errors}
        errors += [e for e in build_errors if e.what not in shown and not _about_wiring(e)]
    used = {n for c in comps.values() for n in c.spec.parameters}
    params = {n: p for n, p in all_params.items() if n in used}
    return Check(None, wd, [_problem(e) for e in errors], libs, comps, params, all_params)


def _about_wiring(e: MarkovwireError) -> bool:
    where = FILE_PLACE.sub("", e.where or "")
    return where.startswith(("wiring", "instances", "diagram"))


_BOX_PORT = re.compile(r"([A-Za-z_][\w-]*)\.([^\s.→:']+)")


def _problem(e: MarkovwireError) -> Problem:
    """The error with the box and port it points at, read from its place (fixes said in the UI's keys)."""
    where = FILE_PLACE.sub("", e.where or "")
    if where.startswith("input ") and e.what.endswith("is not connected"):
        e = type(e)(e.where, e.what, "connect it (c) or expose it (e)")
    elif where.startswith("output out.") and e.what.endswith("is not connected"):
        e = type(e)(e.where, e.what, "connect a box output into it (c)")
    m = re.match(r"wire (\S+) → (\S+)", where)
    if m:
        box, _, port = m.group(2).partition(".")
        return Problem(e, box, port)
    m = re.match(r"(?:input|output) (\S+)", where)
    if m:
        box, _, port = m.group(1).partition(".")
        return Problem(e, box, port)
    m = re.search(r"(?:box|instance) '([^']+)'", where) or re.search(r"instances\.(\w+)", where)
    if m:
        return Problem(e, m.group(1), None)
    m = re.match(r"loop (\S+)", where)
    if m:
        box, _, port = m.group(1).partition(".")
        return Problem(e, box, port)
    return Problem(e)




def pairs(wires) -> list[tuple[str, str]]:
    """Wires ``"a.x -> b.y"`` as ``(source, target)`` text."""
    out = []
    for w in wires:
        a, _, b = str(w).partition("->")
        out.append((a.strip(), b.strip()))
    return out


def constant(value, where: str) -> float:
    """A number or a constant expression (``71/18000``) as a float; parameters are not allowed here."""
    import math
    e = to_expr(value, {}, where)
    v = float(e)
    if not math.isfinite(v):
        raise ParameterError(where, f"{value!r} is not a finite number", fix="give a finite value")
    return v
