"""What a proposal being edited is right now: built by the library, or sketched with its problems.

:func:`build` asks the library for the proposal of a file model. While the diagram is
unfinished the library refuses it; the *sketch* is then the instances as boxes and the
wires that fit, checked by the wiring diagram's own checker, so that every problem can
point at a box and a port (:class:`Problem`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from markovwire import Parameter
from markovwire.diagrams.syntax import parse_diagram, parse_type
from markovwire.diagrams.wiring import WiringDiagram
from markovwire.errors import MarkovwireError, Place, WiringError
from markovwire.library import Component, Library, Proposal, load_library, proposal_from_data
from markovwire.library.constructions import constant
from markovwire.library.loader import TypeScope, component_in, flatten, in_scope, is_new_library
from markovwire.library.schema import ProposalFile


def place_text(place: Place) -> str:
    """A place as the UI shows it: within the proposal, without the ``file:line`` in front of it (the file is
    one the library wrote itself from the document being edited, its name and lines meaningless to the user)."""
    return place.local if place.file is not None and place.line is not None and not place.context else str(place)


def about(error: MarkovwireError) -> tuple[str | None, str | None]:
    """The box and port an error is about, from its place's fields (an instance's entry is about its box)."""
    if error.box is not None or error.port is not None:
        return error.box, error.port
    keys = error.keys
    if len(keys) > 1 and keys[0] == "instances" and isinstance(keys[1], str):
        return keys[1], None
    return None, None


@dataclass(frozen=True)
class Problem:
    """A problem of the proposal, with the box and port it is about (when it is about one).

    Without ``box`` and ``port`` they are read from the error's fields (:func:`about`).
    """

    error: MarkovwireError
    box: str | None = None
    port: str | None = None
    in_file: bool = False      # a place in the user's own file (one that did not open): shown with file:line

    def __post_init__(self):
        if self.box is None and self.port is None:
            box, port = about(self.error)
            object.__setattr__(self, "box", box)
            object.__setattr__(self, "port", port)

    @property
    def where(self) -> str:
        return str(self.error.place) if self.in_file else place_text(self.error.place)

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
    expression_ok: bool = True                       # False: the diagram's expression does not parse or compose

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
            lib = load_library(ref, path, where=f"library {ref!r}")
            if is_new_library(lib, libs, f"library {ref!r}"):
                libs.append(lib)
        except MarkovwireError as e:
            errors += flatten(e)
    libs = in_scope(libs)  # the names the proposal sees, as the library builds them (library.Type where they clash)
    types: Mapping = {}
    all_params: dict[str, Parameter] = {}
    for lib in libs:
        all_params.update({n: p for n, p in lib.parameters.items() if n not in all_params})
    try:
        types = TypeScope(libs, libs[0].sizes(all_params) if libs else {})
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
            comp = component_in(libs, inst.component, Place(f"instance {name!r}", box=name))
            boxes[name] = comp.instantiate(name)
            comps[name] = comp
        except MarkovwireError as e:
            errors += flatten(e)
    wired = 0
    expression_ok = True
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
        errors += _with_ui_fixes(wd)
    elif spec.diagram is not None:
        try:
            wd = WiringDiagram.from_diagram(parse_diagram(spec.diagram, boxes, types, "expression"), spec.name)
            errors += _with_ui_fixes(wd)
        except MarkovwireError as e:
            errors += flatten(e)
            expression_ok = False
            for n, b in boxes.items():
                wd.add_box(n, b)
    if not errors and not build_errors and spec.instances and not wired and spec.diagram is None:
        errors = [WiringError("diagram", "has no wires yet", fix="connect ports (c) and make outer outputs (e)")]
    if not errors:
        errors = build_errors
    else:   # the build's own problems that the sketch does not already show (queries, parameters, ...)
        errors += [e for e in build_errors if not _about_wiring(e) and not any(_same(e, s) for s in errors)]
    used = {n for c in comps.values() for n in c.spec.parameters}
    params = {n: p for n, p in all_params.items() if n in used}
    return Check(None, wd, [Problem(e) for e in errors], libs, comps, params, all_params, expression_ok)


def _with_ui_fixes(wd: WiringDiagram) -> list[MarkovwireError]:
    """The diagram's problems, the fixes of open ports said in the UI's keys."""
    out = []
    for key, e in wd._located_problems():
        if key[0] == "outputs":         # an outer output nothing drives
            e = e.relocated(e.place, fix="connect a box output into it (c)")
        elif key[0] == "boxes" and e.port is not None and e.box == key[1]:   # an input of the box that is open
            e = e.relocated(e.place, fix="connect it (c) or expose it (e)")
        out.append(e)
    return out


def _about_wiring(e: MarkovwireError) -> bool:
    """Whether a problem of the built proposal is about its instances, wiring or diagram (the sketch shows those)."""
    return e.keys[:1] in (("wiring",), ("instances",), ("diagram",))


def _same(a: MarkovwireError, b: MarkovwireError) -> bool:
    """The same problem: same kind, what, box and port, and the same place in a file where both name one."""
    return (type(a), a.what, a.box, a.port) == (type(b), b.what, b.box, b.port) and (
        a.file is None or b.file is None or (a.file, a.line, a.keys) == (b.file, b.line, b.keys))


def pairs(wires) -> list[tuple[str, str]]:
    """Wires ``"a.x -> b.y"`` as ``(source, target)`` text."""
    out = []
    for w in wires:
        a, _, b = str(w).partition("->")
        out.append((a.strip(), b.strip()))
    return out
