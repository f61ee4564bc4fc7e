"""The editing model of the terminal UI: one proposal file being edited, with undo, redo and checks.

A :class:`Document` holds the proposal as its file model, an immutable
:class:`~markovwire.library.schema.ProposalFile`, and the file itself as a round-trip
YAML tree (:mod:`.roundtrip`). Every edit makes a new model (``model_copy``), validated
as a file would be, carries exactly what changed into the tree (comments, key order and
quoting stay), and the proposal is rebuilt from the model by the library
(:func:`~markovwire.library.proposal_from_data`), so the UI and the files can never
disagree. Undo and redo are stacks of (model, tree).

A file that does not open (bad YAML, or not a proposal) opens read-only, its errors
among the problems, and is never written over; a file shipped with markovwire opens
as an untitled copy.

While a diagram is being put together it is incomplete (inputs still open), and
the library cannot build it; :mod:`.check` then sketches it, with every problem
pointing at a box and a port. A bad edit (an unknown component, a wire between
ports of different types, a value outside a parameter's domain) raises a
:class:`~markovwire.errors.MarkovwireError` and leaves the document as it was.

>>> doc = Document.new("demo")
>>> doc.add_instance("task_source", "task")
'task'
>>> doc.add_instance("untrusted_policy", "policy")
'policy'
>>> doc.connect("task.query", "policy.query")
>>> [p.text.splitlines()[0] for p in doc.check.problems]
['input policy.intent: takes Intent but is not connected']
>>> doc.connect("task.query", "policy.intent")
Traceback (most recent call last):
...
markovwire.errors.TypeMismatch: wire task.query → policy.intent: Query does not match Intent
  fix: connect an output of type Intent to policy.intent, or insert a box Query → Intent
>>> doc.undo()
True
>>> doc.wires()
[]
"""
from __future__ import annotations

import ast
import dataclasses
import datetime as _dt
import difflib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import yaml

from markovwire import Parameter
from markovwire.diagrams.atomic import write_atomic
from markovwire.diagrams.syntax import MAX_NODES, MAX_TEXT, PLUMBING
from markovwire.diagrams.wiring import PortRef
from markovwire.diagrams.yamlsafe import Located, load_yaml, read_text
from markovwire.errors import (
    ErrorList,
    FileFormatError,
    MarkovwireError,
    ParameterError,
    Place,
    TypeMismatch,
    UnknownName,
    WiringError,
)
from markovwire.library import Component, Library, load_library, load_proposal, proposal_from_data
from markovwire.library.constructions import constant
from markovwire.library.game import red_entries
from markovwire.library.loader import component_in, flatten, validate
from markovwire.library.proposal import dump_spec, spec_data
from markovwire.library.schema import (
    AdversarySpec,
    ClaimSpec,
    CredalSpec,
    EpisodeSpec,
    InstanceSpec,
    ParameterSpec,
    ProposalFile,
    QuerySpec,
    SweepSpec,
    WiringSpec,
)
from markovwire.types import names_apart

from . import roundtrip
from .check import Check, Problem, build, pairs, place_text
from .expression import expression_of

RESERVED = set(PLUMBING) | {"in", "out"}
NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
HISTORY = 500
_PLACEHOLDER = "zz_placeholder"


@dataclass(frozen=True)
class PortInfo:
    """One port of a box as the inspector shows it: side, name, type and the wires at it."""

    box: str
    name: str
    side: str                 # "input" or "output"
    type: Any                 # a FinSet
    links: tuple[str, ...]    # the other ends

    @property
    def ref(self) -> str:
        return f"{self.box}.{self.name}"


class Document:
    """A proposal being edited; see the module docstring."""

    def __init__(self, spec: ProposalFile, path: Path | None = None, text: str | None = None):
        self.spec = spec
        self.path = Path(path) if path is not None else None
        self.saved = spec
        self.broken: MarkovwireError | None = None     # why the file did not open: read-only, never saved over
        self.origin: Path | None = None                # the shipped file this is an untitled copy of
        name = self.path.name if self.path is not None else f"{spec.name}.yaml"
        self._tree = roundtrip.load(text, name) if text is not None else roundtrip.tree_of(spec_data(spec))
        self._data = spec_data(spec)                   # the model in normal form (what the tree is patched by)
        self._file = (text, self._tree, roundtrip.dump(self._tree) if text is not None else None)
        self._undo: list[tuple[ProposalFile, Any]] = []     # (model, tree) before each edit
        self._redo: list[tuple[ProposalFile, Any]] = []
        self._check: tuple[ProposalFile, Check] | None = None

    # ----- making one -------------------------------------------------------------------------
    @classmethod
    def new(cls, name: str = "untitled", libraries: tuple[str, ...] = ()) -> "Document":
        """An empty proposal: no instances, no wires, and no library until the user asks for one."""
        spec = ProposalFile.model_construct(name=name, libraries=list(libraries), instances={},
                                            wiring=WiringSpec.model_construct(inputs={}, outputs={}, wires=[]))
        return cls(spec)

    @classmethod
    def open(cls, path: str | Path) -> "Document":
        """The proposal in ``path``; a file whose diagram is unfinished opens as a draft with its problems.

        A file that is not a proposal (bad YAML, keys the schema refuses) opens read-only: an empty
        proposal whose problems are the file's errors, each at its line, and which is never saved over
        (:attr:`broken`). A file shipped with markovwire opens as an untitled copy (:attr:`origin`).
        A file that cannot be read at all raises (the caller keeps the work it has).
        """
        path = Path(path)
        text = read_text(path)
        try:
            doc = cls(load_proposal(path).spec, path, text)
        except MarkovwireError as first:
            try:
                located = load_yaml(text, path.name)
                doc = cls(draft_spec(located.data, path.name, located), path, text)
            except MarkovwireError:
                doc = cls.new(name_of(path))
                doc.path, doc.broken = path, first
                return doc
        if is_shipped(path):
            doc.path, doc.origin = None, path
        return doc

    @classmethod
    def from_recovery(cls, text: str) -> "Document":
        """The document autosaved in a recovery file (unsaved, attached to its original path)."""
        doc = load_yaml(text, "recovery file")
        data = doc.data if isinstance(doc.data, dict) else {}
        if not isinstance(data.get("proposal"), dict):
            raise FileFormatError("recovery file", "holds no proposal", fix="discard it")
        spec = draft_spec(data["proposal"], "recovery file")
        path = data.get("path")
        path = Path(path) if isinstance(path, str) and path else None
        out = cls(spec, path)
        file_text = data.get("text")
        if isinstance(file_text, str):          # the file as edited: its comments and layout come back too
            try:
                with_text = cls(spec, path, file_text)
                if with_text._reads_back(file_text):
                    out = with_text
            except MarkovwireError:
                pass
        out.saved = None  # unsaved work
        return out

    def recovery_text(self) -> str:
        """The YAML written to the recovery file: the proposal, the file's text as edited (comments kept),
        where it belongs and when it was written."""
        data = {"markovwire_recovery": 1, "path": str(self.path) if self.path else "",
                "written": _dt.datetime.now().isoformat(timespec="seconds"),
                "proposal": self.spec.model_dump(mode="python", exclude_defaults=True),
                "text": self.to_yaml()}
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)

    # ----- state ----------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def dirty(self) -> bool:
        """Whether there are changes not saved to the file."""
        return self.saved is None or self.spec != self.saved

    @property
    def read_only(self) -> str | None:
        """Why Ctrl+S cannot write the document back where it came from (None: it can)."""
        if self.broken is not None:
            n = len(flatten(self.broken))
            return (f"{self.path} did not open ({n} error{'s' if n != 1 else ''}, see Problems), so it is never "
                    "saved over")
        if self.origin is not None and self.path is None:
            return f"{self.origin.name} is shipped with markovwire; this is an untitled copy"
        return None

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def check(self) -> Check:
        """The proposal built from the current model (cached until the next edit); a file that did not open
        has its errors first among the problems."""
        if self._check is None or self._check[0] is not self.spec:
            check = build(self.spec, self.path)
            if self.broken is not None:
                check = dataclasses.replace(check, problems=[Problem(e, in_file=True) for e in flatten(self.broken)]
                                            + list(check.problems))
            self._check = (self.spec, check)
        return self._check[1]

    def undo(self) -> bool:
        """Go back one edit; False if there is none."""
        if not self._undo:
            return False
        self._redo.append((self.spec, self._tree))
        self._restore(*self._undo.pop())
        return True

    def redo(self) -> bool:
        """Redo the last undone edit; False if there is none."""
        if not self._redo:
            return False
        self._undo.append((self.spec, self._tree))
        self._restore(*self._redo.pop())
        return True

    def _restore(self, spec: ProposalFile, tree) -> None:
        self.spec, self._tree, self._data = spec, tree, spec_data(spec)

    def _commit(self, spec: ProposalFile) -> None:
        """Make ``spec`` (validated as a file) the current model, remembering the old one for undo."""
        spec = draft_spec(spec.model_dump(mode="python", exclude_defaults=True), self.spec.name)
        data = spec_data(spec)
        if roundtrip.same(data, self._data):
            return
        self._undo.append((self.spec, self._tree))
        del self._undo[:-HISTORY]
        self._redo.clear()
        self._replace(spec, data)

    def _replace(self, spec: ProposalFile, data: dict | None = None) -> None:
        """Make ``spec`` the model and carry the change into the file's tree (no undo step of its own)."""
        data = spec_data(spec) if data is None else data
        self._tree = roundtrip.patch(self._tree, self._data, data)
        self.spec, self._data = spec, data

    # ----- saving ------------------------------------------------------------------------------------
    def to_yaml(self) -> str:
        """The file's text: every line an edit did not touch as it was in the file (comments, key order and
        quoting kept), the edited values changed in place. A text that would not read back as this proposal
        is never written: then the tree's own dump, and failing that a clean dump of the model."""
        text, tree, dumped = self._file
        if text is not None and self._tree is tree:
            return text
        after = roundtrip.dump(self._tree)
        candidates = ([roundtrip.text(text, dumped, after)] if text is not None else []) + [after]
        for candidate in candidates:
            if self._reads_back(candidate):
                return candidate
        return dump_spec(self.spec)

    def _reads_back(self, text: str) -> bool:
        try:
            return roundtrip.same(spec_data(draft_spec(load_yaml(text, f"{self.name}.yaml").data)), self._data)
        except MarkovwireError:
            return False

    def save(self, path: str | Path | None = None) -> Path:
        """Write the file atomically (to ``path``, default where it came from).

        Never over a file that did not open, nor over a file shipped with markovwire; an error the
        file system reports (read-only, no permission, disk full) is a markovwire error naming the file.
        """
        target = Path(path) if path is not None else self.path
        if target is None:
            copy = f" (a copy of {self.origin.name}, which is shipped with markovwire)" if self.origin else ""
            raise FileFormatError(f"proposal {self.name!r}", f"has no file yet{copy}",
                                  fix="save it as a new file of your own (Ctrl+W)")
        if target.suffix.lower() not in (".yaml", ".yml"):
            raise FileFormatError(Place(file=str(target)), "is not a .yaml file", fix="name the file …/name.yaml")
        if self.broken is not None and self.path is not None and _same_path(target, self.path):
            n = len(flatten(self.broken))
            raise FileFormatError(Place(file=str(target)), f"did not open ({n} error{'s' if n != 1 else ''}, "
                                  "see Problems), so it is never saved over",
                                  fix="save your work as another file (Ctrl+W), or fix the file in a text editor "
                                      "and open it again (Ctrl+O)")
        if is_shipped(target):
            raise FileFormatError(Place(file=str(target)), "is shipped with markovwire and is read-only",
                                  fix="save the proposal as a file of your own (Ctrl+W, in your working folder)")
        libraries = self._rebased_libraries(target)
        if libraries != list(self.spec.libraries):       # relative library paths follow the file to its folder
            self._replace(self.spec.model_copy(update={"libraries": libraries}))
        text = self.to_yaml()
        write_atomic(target, text)
        self.path, self.saved, self.broken, self.origin = target, self.spec, None, None
        self._file = (text, self._tree, roundtrip.dump(self._tree))
        self._check = None
        return target

    # ----- composing ---------------------------------------------------------------------------------
    def add_instance(self, component: str, name: str | None = None) -> str:
        """Add an instance of ``component`` (``comp`` or ``library.comp``); returns its name."""
        comp, libraries = self._component(component)
        base = name.strip() if name else comp.name
        if not name:
            base = _fresh(base, set(self.spec.instances))
        self._check_instance_name(base)
        ref = comp.name if _unique_component(comp, self.check.libraries) else comp.qualname
        instances = {**self.spec.instances, base: InstanceSpec(component=ref)}
        update: dict = {"instances": instances, "libraries": libraries}
        if comp.is_stateful and self.spec.episode is None:
            update["episode"] = EpisodeSpec(steps=self._default_steps())
        self._commit(self.spec.model_copy(update=update))
        return base

    def rename_instance(self, old: str, new: str) -> None:
        """Rename an instance, and every reference to it in the file: its wires (or its name in the diagram's
        expression), the queries' events, conditions, distributions and expectations that name its ports or its
        state, adversaries that replace it, credal sets of it and claims about it. (Its TV radius and parameter
        bindings are part of its entry; sweeps, episode steps and adversaries ``over`` name parameters.)"""
        self._instance(old)
        new = new.strip()
        if new == old:
            return
        self._check_instance_name(new)
        instances = {(new if k == old else k): v for k, v in self.spec.instances.items()}
        queries = {k: _renamed_query(q, old, new) for k, q in self.spec.queries.items()}
        credal = {k: c.model_copy(update={"imprecise": {(new if i == old else i): s for i, s in c.imprecise.items()}})
                  for k, c in self.spec.credal.items()}
        claims = [_renamed_claim(c, old, new) for c in self.spec.claims]
        adversary = {k: a.model_copy(update={"instance": new}) if a.instance == old else a
                     for k, a in self.spec.adversary.items()}
        blue = {k: b.model_copy(update={"instance": new}) if b.instance == old else b
                for k, b in self.spec.blue.items()}
        update = {"instances": instances, "queries": queries, "credal": credal, "claims": claims,
                  "adversary": adversary, "blue": blue}
        if self.spec.diagram is not None:
            update["diagram"] = _renamed_expression(self.spec.diagram, old, new)
        else:
            ws = self._wiring()
            move = lambda ref: _renamed_ref(ref, old, new)
            update.update(self._with_wires(ws, [f"{move(a)} -> {move(b)}" for a, b in pairs(ws.wires)]))
        self._commit(self.spec.model_copy(update=update))

    def remove_instance(self, name: str) -> None:
        """Remove an instance and every wire at it (outer ports left without wires go too)."""
        self._instance(name)
        ws = self._wiring()
        wires = [(a, b) for a, b in pairs(ws.wires) if PortRef.parse(a).box != name and PortRef.parse(b).box != name]
        instances = {k: v for k, v in self.spec.instances.items() if k != name}
        update = {"instances": instances, **self._with_wires(ws, [f"{a} -> {b}" for a, b in wires])}
        comps = {k: c for k, c in self.check.components.items() if k != name}
        if self.spec.episode is not None and not any(c.is_stateful for c in comps.values()):
            update["episode"] = None
        self._commit(self.spec.model_copy(update=update))

    def connect(self, source: str, target: str) -> None:
        """Wire ``source`` (``box.output`` or ``in.x``) to ``target`` (``box.input`` or ``out.y``)."""
        source, target = source.strip(), target.strip()
        problem = self.connection_problem(source, target)
        if problem is not None:
            raise problem
        ws = self._wiring()
        self._commit(self.spec.model_copy(update=self._with_wires(ws, list(ws.wires) + [f"{source} -> {target}"])))

    def connect_text(self, text: str) -> tuple[str, str]:
        """Wire from text ``box.port -> box.port`` (also ``→``); returns the two ends."""
        source, arrow, target = text.replace("→", "->").partition("->")
        if not arrow or not source.strip() or not target.strip():
            raise WiringError(f"wire {text.strip()!r}", "is not of the form box.port -> box.port",
                              fix="write e.g. policy.act -> monitor.act (in.x and out.y for outer ports)")
        self.connect(source, target)
        return source.strip(), target.strip()

    def disconnect(self, source: str, target: str) -> None:
        """Remove the wire ``source -> target`` (an outer port left without wires goes too)."""
        ws = self._wiring()
        present = pairs(ws.wires)
        if (source, target) not in present:
            raise WiringError(f"wire {source} → {target}", "is not in the diagram",
                              fix="choose one of the listed wires")
        wires = [f"{a} -> {b}" for a, b in present if (a, b) != (source, target)]
        self._commit(self.spec.model_copy(update=self._with_wires(ws, wires)))

    def expose(self, port: str, name: str | None = None) -> str:
        """Make a box's port an outer port: an open input becomes an outer input, an output an outer output."""
        info = self.port(port)
        if info.box in ("in", "out"):
            raise WiringError(f"port {port}", "is already an outer port", fix="expose a port of a box")
        ws = self._wiring()
        outer = dict(ws.inputs if info.side == "input" else ws.outputs)
        name = (name or "").strip() or _fresh(info.name, set(outer))
        if not NAME.match(name):
            raise WiringError(f"outer port {name!r}", "is not a valid name",
                              fix="use letters, digits and '_', starting with a letter")
        if name in outer:
            raise WiringError(f"outer {info.side} {name!r}", "already exists", fix="choose another name")
        if info.side == "input" and info.links:
            raise WiringError(Place(f"input {port}", box=info.box, port=info.name),
                              f"is already connected to {info.links[0]}",
                              fix="disconnect it first, or expose another input")
        outer[name] = info.type.name
        if info.side == "input":
            wires = list(ws.wires) + [f"in.{name} -> {port}"]
            wiring = WiringSpec.model_construct(inputs=outer, outputs=dict(ws.outputs), wires=wires)
        else:
            wires = list(ws.wires) + [f"{port} -> out.{name}"]
            wiring = WiringSpec.model_construct(inputs=dict(ws.inputs), outputs=outer, wires=wires)
        self._commit(self.spec.model_copy(update={"wiring": wiring, "diagram": None}))
        return name

    def set_expression(self, text: str) -> None:
        """Rewire the instances by a string-diagram expression (outer ports keep their names where they fit)."""
        text = text.strip()
        if self.spec.diagram is not None:
            self._commit(self.spec.model_copy(update={"diagram": text, "wiring": None}))
            return
        trial = self.spec.model_copy(update={"diagram": text, "wiring": None, "queries": {}, "adversary": {},
                                             "sweeps": [], "credal": {}, "claims": [], "blue": {}})
        try:
            p = proposal_from_data(trial.model_dump(mode="python", exclude_defaults=True), self.path, "expression")
        except MarkovwireError as e:
            errors = [x for x in flatten(e) if x.keys[:1] == ("diagram",)] or flatten(e)
            raise _reworded(errors) from None
        wd = p.wiring
        extra = [n for n in wd.boxes if n not in self.spec.instances]
        if extra:
            raise WiringError("expression", f"uses an instance twice (made {extra[0]!r})",
                              fix="use each instance once; add another instance for a second copy")
        old = self._wiring()
        ins = _outer_names(wd.inputs, old.inputs, {w.source.port: w.target.port for w in wd.wires
                                                   if w.source.box == "in"})
        outs = _outer_names(wd.outputs, old.outputs, {w.target.port: w.source.port for w in wd.wires
                                                      if w.target.box == "out"})
        name = lambda ref: (f"in.{ins[ref.port]}" if ref.box == "in" else f"out.{outs[ref.port]}"
                            if ref.box == "out" else str(ref))
        wiring = WiringSpec.model_construct(inputs={ins[p.name]: p.type.name for p in wd.inputs},
                                            outputs={outs[p.name]: p.type.name for p in wd.outputs},
                                            wires=[f"{name(w.source)} -> {name(w.target)}" for w in wd.wires])
        self._commit(self.spec.model_copy(update={"wiring": wiring, "diagram": None}))

    def expression(self) -> tuple[str, bool, str]:
        """``(text, editable, note)``: the string-diagram text of the diagram, or why there is none."""
        if self.spec.diagram is not None:
            return self.spec.diagram, True, "as written in the file; Enter applies, Escape reverts"
        try:
            text = expression_of(self.check.wiring)
        except MarkovwireError as e:
            return "", False, f"{place_text(e.place)} {e.what}".strip()
        size = sum(1 for _ in ast.walk(ast.parse(text, mode="eval").body))
        if size > MAX_NODES or len(text) > MAX_TEXT:
            return text, False, f"too large to edit as an expression ({size} names and operators, at most {MAX_NODES})"
        return text, True, "Enter applies, Escape reverts"

    def add_library(self, ref: str) -> Library:
        """Use another component library (a name, or a path to a .yaml file, kept relative to the proposal)."""
        ref = self._library_ref(ref.strip())
        lib = load_library(ref, self.path, where=f"library {ref!r}")
        same = next((known for known in self.check.libraries if known.name == lib.name), None)
        if same is not None and same.path is not None and lib.path is not None and \
                same.path.resolve() != lib.path.resolve():
            raise FileFormatError(f"library {ref!r}", f"is named {lib.name!r}, like the library of "
                                  f"{same.filename} that this proposal already uses",
                                  fix=f"change the 'name:' of one of the two files, or remove {lib.name!r} first (L)")
        if ref not in self.spec.libraries and same is None:
            self._commit(self.spec.model_copy(update={"libraries": list(self.spec.libraries) + [ref]}))
        return lib

    def remove_library(self, ref: str) -> None:
        """Stop using a library (by its entry in ``libraries:`` or its name); refused while instances use it.
        Values the proposal gave to parameters only that library declares go with it (undo brings them back)."""
        ref = ref.strip()
        libs = self.check.libraries
        index = next((i for i, r in enumerate(self.spec.libraries) if r == ref), None)
        if index is None:
            index = next((i for i, r in enumerate(self.spec.libraries)
                          if any(lib.name == ref and _same_file(lib, r, self.path) for lib in libs)), None)
        if index is None:
            raise UnknownName(f"library {ref!r}", "is not used by this proposal",
                              fix=f"use one of: {', '.join(self.spec.libraries) or 'there are none'}")
        entry = self.spec.libraries[index]
        lib = next((x for x in libs if _same_file(x, entry, self.path)), None)
        if lib is not None:
            users = [n for n, c in self.check.components.items() if c.library is lib]
            if users:
                raise WiringError(Place(keys=("libraries", index)), f"library {lib.name!r} is used by "
                                  f"{', '.join(users[:5])}{', …' if len(users) > 5 else ''}",
                                  fix="remove those instances first (x), then the library")
        rest = [r for i, r in enumerate(self.spec.libraries) if i != index]
        others = {n for x in libs if x is not lib for n in x.parameters}
        own = set(lib.parameters) - others if lib is not None else set()
        params = {n: v for n, v in self.spec.parameters.items() if n not in own or isinstance(v, ParameterSpec)}
        self._commit(self.spec.model_copy(update={"libraries": rest, "parameters": params}))

    def library_entries(self) -> list[tuple[str, Library | None]]:
        """The proposal's ``libraries:`` entries as written, each with the library it loads (None: it does not)."""
        libs = self.check.libraries
        return [(r, next((x for x in libs if _same_file(x, r, self.path)), None)) for r in self.spec.libraries]

    def _library_ref(self, ref: str) -> str:
        """How ``libraries:`` names a library: a name as given, a file relative to the proposal's folder (the
        working directory while the proposal has no file)."""
        from markovwire.library.discovery import find_library, is_path
        if not is_path(ref):
            return ref
        target = find_library(ref, self.path, where=f"library {ref!r}").resolve()
        base = (self.path.parent if self.path is not None else Path.cwd()).resolve()
        try:
            return Path(os.path.relpath(target, base)).as_posix()
        except ValueError:          # another drive (Windows): only an absolute path reaches it
            return str(target)

    def _rebased_libraries(self, target: Path) -> list[str]:
        """The ``libraries:`` entries for the proposal saved at ``target``: relative paths rewritten so that they
        still name the same files from the new folder."""
        from markovwire.library.discovery import is_path
        old = (self.path.parent if self.path is not None else Path.cwd()).resolve()
        new = target.parent.resolve()
        if old == new:
            return list(self.spec.libraries)
        out = []
        for r in self.spec.libraries:
            if is_path(r) and not Path(r).expanduser().is_absolute():
                try:
                    r = Path(os.path.relpath(old / r, new)).as_posix()
                except ValueError:
                    r = str(old / r)
            out.append(r)
        return out

    # ----- per-instance parameters and the user's own components ------------------------------------
    def instance_parameters(self, instance: str) -> list[tuple[str, Parameter | None, str | None]]:
        """``(parameter, the parameter in force, binding)`` for each parameter of an instance's component; the
        binding is what the instance gives it in the file (``tpr2``, ``0.9``, ``1 - fpr``) or None (shared)."""
        inst = self._instance(instance)
        comp = self._component_of(instance)
        known = self.check.all_parameters
        return [(n, known.get(n), None if n not in inst.parameters else _shown_value(inst.parameters[n]))
                for n in comp.spec.parameters]

    def bind_parameter(self, instance: str, parameter: str, value) -> str | None:
        """Give an instance its own value of one of its component's parameters: the name of a proposal parameter
        (a new name is declared with the component parameter's domain and value), a number, or an expression
        in parameters. Empty text (or the parameter's own name) removes the binding. Returns what is bound."""
        inst = self._instance(instance)
        comp = self._component_of(instance)
        key = ("instances", instance, "parameters", parameter)
        if parameter not in comp.spec.parameters:
            close = difflib.get_close_matches(parameter, comp.spec.parameters, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ParameterError(Place(keys=key, box=instance), f"component {comp.name!r} has no parameter "
                                 f"{parameter!r}{hint}", fix=f"its parameters are: "
                                 f"{', '.join(comp.spec.parameters) or 'none'}")
        known = dict(self.check.all_parameters)
        par = known.get(parameter) or comp.library.parameters[parameter]
        text = "" if value is None else str(value).strip()
        bound = {k: v for k, v in inst.parameters.items() if k != parameter}
        update: dict = {}
        if text and text != parameter:
            if NAME.match(text) and text not in known:
                if len(text) > 64:
                    raise ParameterError(Place(keys=key, box=instance), "the new parameter's name is too long",
                                         fix="use at most 64 characters")
                lo, hi = par.domain
                decl = ParameterSpec(domain=[float(lo), float(hi)], default=None if par.default is None
                                     else float(par.default), integer=par.integer,
                                     doc=f"{instance}'s {parameter} (its own value; the others share "
                                         f"{parameter})")
                update["parameters"] = {**self.spec.parameters, text: decl}
                known[text] = dataclasses.replace(par, name=text)
            from markovwire.library.constructions import to_expr
            where = Place(keys=key, box=instance)
            e = to_expr(text, known, where)
            if not e.free_symbols:                      # a constant: evaluated with bounded work, then in the domain
                value = constant(text, where)
                try:
                    par.check(value)
                except ParameterError as err:
                    raise ParameterError(where, err.what, err.fix) from None
            bound[parameter] = float(text) if _plain_number(text) else text
        instances = {**self.spec.instances, instance: inst.model_copy(update={"parameters": bound})}
        update["instances"] = instances
        self._commit_checked(self.spec.model_copy(update=update), key)
        return bound.get(parameter) if parameter in bound else None

    def user_library_path(self, name: str | None = None) -> Path:
        """The file of the user's own library: ``name`` (default ``mine.yaml``) in the proposal's folder."""
        from .user_library import DEFAULT_FILE
        name = (name or DEFAULT_FILE).strip()
        if not name.lower().endswith((".yaml", ".yml")):
            name += ".yaml"
        p = Path(name).expanduser()
        return p if p.is_absolute() else (self.path.parent if self.path is not None else Path.cwd()) / p

    def define_component(self, draft, library: str | None = None, replace: bool = False) -> Component:
        """Write a new component (a :class:`~.user_library.ComponentDraft`) into the user's library file, with the
        types and parameters it uses, and use that library; the loader checks it before anything is written."""
        target, text, comp = self.try_component(draft, library, replace)
        write_atomic(target, text)
        self._check = None                            # the library file changed under the same spec
        ref = self._library_ref(str(target))
        if ref not in self.spec.libraries:
            self._commit(self.spec.model_copy(update={"libraries": list(self.spec.libraries) + [ref]}))
        return comp

    def try_component(self, draft, library: str | None = None, replace: bool = False,
                      layout: bool = True) -> tuple[Path, str, Component]:
        """What :meth:`define_component` would write, ``(file, text, component)``, checked by the library loader
        (its mistakes raised, placed in that file), without writing anything (``layout=False``: faster, the
        file's comments not kept, for a check on every key)."""
        from .user_library import check_component, library_name_of, library_text
        if not NAME.match(draft.name or "") or len(draft.name) > 64:
            raise FileFormatError(f"component name {draft.name!r}", "is not a valid name",
                                  fix="use letters, digits and '_', starting with a letter")
        target = self.user_library_path(library)
        existing = read_text(target) if target.is_file() else None
        params: dict = {}
        for lib in self.check.libraries:
            if lib.path is None or not target.exists() or lib.path.resolve() != target.resolve():
                for n, p in lib.parameters.items():
                    params.setdefault(n, p)
        for n, v in self.spec.parameters.items():
            if isinstance(v, ParameterSpec) and n in self.check.all_parameters:
                params[n] = self.check.all_parameters[n]
        written = {}                                  # each type as its library writes it (first library first)
        for lib in self.check.libraries:
            for n, spec in lib.spec.types.items():
                written.setdefault(n, spec)
        text = library_text(existing, library_name_of(target), draft, written, params, replace, layout)
        return target, text, check_component(text, target.name, draft.name, target)

    def known_types(self) -> dict:
        """The finite types of the libraries in use, by name (the first library's where two share a name)."""
        types: dict = {}
        for lib in self.check.libraries:
            try:
                for n, t in lib.types(lib.sizes(lib.parameters)).items():
                    types.setdefault(n, t)
            except MarkovwireError:
                pass
        return types

    def _component_of(self, instance: str) -> Component:
        comp = self.check.components.get(instance)
        if comp is None:
            comp = component_in(self.check.libraries, self._instance(instance).component,
                                Place(keys=("instances", instance, "component"), box=instance))
        return comp

    def set_name(self, name: str) -> None:
        if not NAME.match(name or ""):
            raise FileFormatError(f"proposal name {name!r}", "is not a valid name",
                                  fix="use letters, digits and '_', starting with a letter")
        self._commit(self.spec.model_copy(update={"name": name}))

    # ----- parameters, sweeps, adversaries ------------------------------------------------------------
    def set_parameter(self, name: str, text: str) -> float:
        """Give a parameter a value (a number, or a constant such as ``71/18000``) within its domain."""
        par = self.parameter(name)
        text = str(text).strip()
        value = constant(text, f"parameter {name!r}")
        par.check(value)
        stored: float | str = float(value) if _plain_number(text) else text
        declared = self.spec.parameters.get(name)
        if isinstance(declared, ParameterSpec):          # the proposal declares it: its default is the value
            stored = declared.model_copy(update={"default": float(value)})
        params = {**self.spec.parameters, name: stored}
        self._commit(self.spec.model_copy(update={"parameters": params}))
        return value

    def parameter(self, name: str) -> Parameter:
        """A parameter in scope (of the libraries or declared by the proposal), with its value as default."""
        known = self.check.all_parameters
        if name not in known:
            close = difflib.get_close_matches(name, list(known), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ParameterError(f"parameter {name!r}", f"is not a parameter of this proposal{hint}",
                                 fix=f"use one of: {', '.join(sorted(known)) or 'none'}")
        return known[name]

    def set_sweep(self, name: str, start: float, stop: float, count: int) -> SweepSpec:
        """Sweep ``name`` over ``count`` points from ``start`` to ``stop`` (replacing the sweep there was)."""
        par = self.parameter(name)
        where = f"sweep of {name!r}"
        if not (isinstance(count, int) and 2 <= count <= 2000):
            raise ParameterError(where, f"{count!r} points", fix="sweep over 2 to 2000 points")
        for v in (start, stop):
            try:
                par.check(v)
            except ParameterError as e:
                raise ParameterError(where, e.what, e.fix) from None
        if par.integer and count > abs(stop - start) + 1:
            count = int(abs(stop - start)) + 1
        sweep = SweepSpec(parameter=name, start=float(start), stop=float(stop), count=count)
        self._commit(self.spec.model_copy(update={"sweeps": [sweep]}))
        return sweep

    def clear_sweeps(self) -> None:
        self._commit(self.spec.model_copy(update={"sweeps": []}))

    def adversary_of(self, name: str) -> str | None:
        """The adversary entry that chooses parameter ``name``, if any."""
        return next((k for k, a in self.spec.adversary.items() if name in a.over), None)

    def hand_to_adversary(self, name: str, query: str, sense: str = "min") -> str:
        """Let an adversary choose ``name`` to ``sense``-imise ``query``; returns the entry's name."""
        self.parameter(name)
        if query not in self.spec.queries:
            raise UnknownName(f"adversary over {name!r}", f"there is no query {query!r}",
                              fix=f"use one of: {', '.join(self.spec.queries) or 'add a query first'}")
        if not self.spec.queries[query].is_linear:
            raise FileFormatError(f"adversary over {name!r}", f"query {query!r} is {self.spec.queries[query].what}",
                                  fix="optimise a probability or an expectation")
        if sense not in ("min", "max"):
            raise FileFormatError(f"adversary over {name!r}", f"sense {sense!r}", fix="use min or max")
        entries = dict(self.spec.adversary)
        key = f"worst_{query}" if sense == "min" else f"best_{query}"
        old = entries.get(key)
        if old is not None and old.query == query and old.sense == sense:
            entries[key] = old.model_copy(update={"over": list(dict.fromkeys(list(old.over) + [name]))})
        else:
            entries[key] = AdversarySpec(query=query, over=[name], sense=sense)
        self._commit(self.spec.model_copy(update={"adversary": entries}))
        return key

    def release_from_adversary(self, name: str) -> None:
        """The adversary no longer chooses ``name`` (an entry choosing nothing else goes)."""
        entries = {}
        for k, a in self.spec.adversary.items():
            over = [n for n in a.over if n != name]
            if a.instance is not None:
                entries[k] = a
            elif over:
                entries[k] = a.model_copy(update={"over": over, "bounds": {b: v for b, v in a.bounds.items()
                                                                           if b in over}})
        self._commit(_with_red(self.spec.model_copy(update={"adversary": entries})))

    def set_steps(self, text: str) -> None:
        """The length of the episode: a whole number or the name of an integer parameter."""
        text = str(text).strip()
        steps: int | str = int(text) if text.isdigit() else text
        if isinstance(steps, str) and steps not in self.check.all_parameters:
            raise ParameterError(f"episode steps {text!r}", "is neither a whole number nor a parameter",
                                 fix="give a number such as 5000, or an integer parameter such as T")
        self._commit(self.spec.model_copy(update={"episode": EpisodeSpec(steps=steps)}))

    # ----- queries ---------------------------------------------------------------------------------
    def add_query(self, name: str, data: Mapping) -> None:
        """Add (or replace) a query from its file entry, e.g. ``{"probability": {"episode": "catastrophe"}}``."""
        name = name.strip()
        if not NAME.match(name):
            raise FileFormatError(f"query {name!r}", "is not a valid name",
                                  fix="use letters, digits and '_', starting with a letter")
        if name in self.spec.adversary:
            raise FileFormatError(f"query {name!r}", "is the name of an adversary entry", fix="choose another name")
        query = _validated_piece(QuerySpec, data, ("queries", name))
        self._commit(self.spec.model_copy(update={"queries": {**self.spec.queries, name: query}}))

    def remove_query(self, name: str) -> None:
        """Remove a query (or an adversary, blue or credal entry); adversaries, blue and credal entries of a removed
        query go too (and blue entries left without a red team)."""
        if name in self.spec.adversary:
            entries = {k: a for k, a in self.spec.adversary.items() if k != name}
            self._commit(_with_red(self.spec.model_copy(update={"adversary": entries})))
            return
        if name in self.spec.blue:
            self._commit(self.spec.model_copy(update={"blue": {k: b for k, b in self.spec.blue.items() if k != name}}))
            return
        if name in self.spec.credal:
            self.remove_credal(name)
            return
        if name not in self.spec.queries:
            raise UnknownName(f"query {name!r}", "does not exist", fix="choose a listed query")
        queries = {k: q for k, q in self.spec.queries.items() if k != name}
        entries = {k: a for k, a in self.spec.adversary.items() if a.query != name}
        credal = {k: c for k, c in self.spec.credal.items() if c.query != name}
        blue = {k: b for k, b in self.spec.blue.items()
                if b.query != name and name not in [c.query for c in b.constraints]}
        self._commit(self.spec.model_copy(update={"queries": queries, "adversary": entries, "credal": credal,
                                                  "blue": blue}))

    def import_queries(self, path: str | Path) -> int:
        """Copy the queries, sweeps, adversaries and credal entries of another proposal file; returns how many
        entries."""
        path = Path(path)
        other = draft_spec(load_yaml(read_text(path), path.name).data, path.name)
        queries = {**self.spec.queries, **other.queries}
        adversary = {**self.spec.adversary, **other.adversary}
        credal = {**self.spec.credal, **other.credal}
        update = {"queries": queries, "adversary": adversary, "credal": credal,
                  "blue": {**self.spec.blue, **other.blue}}
        if other.sweeps:
            update["sweeps"] = list(other.sweeps)
        self._commit(self.spec.model_copy(update=update))
        return len(other.queries) + len(other.adversary) + len(other.credal) + len(other.blue)

    # ----- bounds and claims ------------------------------------------------------------------------
    def set_tv_radius(self, instance: str, value) -> float | None:
        """Give an instance a total-variation radius in [0, 1] (reality's kernel is within it of the model's,
        row by row); empty text or None removes it."""
        inst = self._instance(instance)
        text = "" if value is None else str(value).strip()
        radius = None
        if text:
            where = f"TV radius of {instance!r}"
            radius = constant(text, where)
            if not 0 <= radius <= 1:
                raise ParameterError(where, f"{radius:g} is outside [0, 1]",
                                     fix="give a total-variation radius between 0 and 1 (empty text removes it)")
        instances = {**self.spec.instances, instance: inst.model_copy(update={"tv_radius": radius})}
        self._commit(self.spec.model_copy(update={"instances": instances}))
        return radius

    def add_credal(self, name: str, query: str, intervals: Mapping[str, tuple[float, float]], doc: str = "") -> None:
        """Add (or replace) a credal entry: lower and upper values of ``query`` with parameters in ``intervals``."""
        name = name.strip()
        key = ("credal", name)
        if not NAME.match(name):
            raise FileFormatError(f"credal entry {name!r}", "is not a valid name",
                                  fix="use letters, digits and '_', starting with a letter")
        if name in self.spec.queries or name in self.spec.adversary:
            raise FileFormatError(f"credal entry {name!r}", "is the name of a query or adversary entry",
                                  fix="choose another name")
        if query not in self.spec.queries:
            raise UnknownName(Place(keys=key + ("query",)), f"there is no query {query!r}",
                              fix=f"use one of: {', '.join(self.spec.queries) or 'add a query first'}")
        for n, (lo, hi) in intervals.items():
            par = self.parameter(n)
            par.check(lo), par.check(hi)
            if lo > hi:
                raise ParameterError(Place(keys=key + ("intervals", n)), f"[{lo:g}, {hi:g}] is empty",
                                     fix="give low <= high")
        data: dict = {"query": query, "intervals": {n: [float(lo), float(hi)] for n, (lo, hi) in intervals.items()}}
        if doc.strip():
            data["doc"] = doc.strip()
        entry = _validated_piece(CredalSpec, data, key)
        self._commit_checked(self.spec.model_copy(update={"credal": {**self.spec.credal, name: entry}}), key)

    def remove_credal(self, name: str) -> None:
        if name not in self.spec.credal:
            raise UnknownName(f"credal entry {name!r}", "does not exist",
                              fix=f"use one of: {', '.join(self.spec.credal) or 'there are none'}")
        self._commit(self.spec.model_copy(update={"credal": {k: c for k, c in self.spec.credal.items() if k != name}}))

    def add_claim(self, kind: str, value: list, doc: str = "") -> int:
        """Add an information-flow claim (``never_sees``, ``cannot_affect`` or ``independent``); returns its index."""
        i = len(self.spec.claims)
        data: dict = {kind: value}
        if doc.strip():
            data["doc"] = doc.strip()
        claim = _validated_piece(ClaimSpec, data, ("claims", i))
        if any(getattr(c, kind) == getattr(claim, kind) for c in self.spec.claims if c.kind == kind):
            raise FileFormatError(f"claims[{i}]", "is already one of the file's claims", fix="check another claim")
        self._commit_checked(self.spec.model_copy(update={"claims": list(self.spec.claims) + [claim]}),
                             ("claims", i))
        return i

    def remove_claim(self, index: int) -> None:
        if not 0 <= index < len(self.spec.claims):
            raise UnknownName(f"claim {index}", "does not exist", fix="choose a listed claim")
        self._commit(self.spec.model_copy(update={"claims": [c for i, c in enumerate(self.spec.claims)
                                                            if i != index]}))

    def _commit_checked(self, spec: ProposalFile, key: tuple) -> None:
        """Commit ``spec``, unless it makes a proposal that built stop building because of entry ``key``."""
        built = self.check.proposal is not None
        self._commit(spec)
        if not built or self.check.proposal is not None:
            return
        mine = [p.error for p in self.check.problems if p.error.keys[:len(key)] == key]
        if mine:
            self.undo()
            self._redo.pop()
            raise _reworded(mine)

    # ----- questions the screens ask --------------------------------------------------------------
    def ports(self, box: str) -> list[PortInfo]:
        """The ports of a box (or ``in``/``out``: the outer ports), with what each is wired to."""
        wd = self.check.wiring
        links: dict[str, list[str]] = {}
        for w in wd.wires:
            links.setdefault(str(w.source), []).append(str(w.target))
            links.setdefault(str(w.target), []).append(str(w.source))
        if box == "in":
            return [PortInfo("in", p.name, "output", p.type, tuple(links.get(f"in.{p.name}", ()))) for p in wd.inputs]
        if box == "out":
            return [PortInfo("out", p.name, "input", p.type, tuple(links.get(f"out.{p.name}", ()))) for p in wd.outputs]
        if box not in wd.boxes:
            self._instance(box)
            return []
        b = wd.boxes[box]
        return ([PortInfo(box, p.name, "input", p.type, tuple(links.get(f"{box}.{p.name}", ()))) for p in b.dom]
                + [PortInfo(box, q.name, "output", q.type, tuple(links.get(f"{box}.{q.name}", ()))) for q in b.cod])

    def port(self, ref: str) -> PortInfo:
        r = PortRef.parse(ref)
        for p in self.ports(r.box):
            if p.name == r.port:
                return p
        names = [p.name for p in self.ports(r.box)]
        raise UnknownName(f"port {ref}", f"box {r.box!r} has no port {r.port!r}",
                          fix=f"use one of: {', '.join(names) or 'none'}")

    def candidates(self, box: str | None = None) -> list[tuple[str, str, str]]:
        """Wires that could be added, ``(source, target, type)``: every target open and of the source's type."""
        wd = self.check.wiring
        fed = {str(w.target) for w in wd.wires}
        have = {(str(w.source), str(w.target)) for w in wd.wires}
        sources = [(f"in.{p.name}", "in", p.type) for p in wd.inputs]
        sources += [(f"{n}.{q.name}", n, q.type) for n, b in wd.boxes.items() for q in b.cod]
        targets = [(f"{n}.{p.name}", n, p.type) for n, b in wd.boxes.items() for p in b.dom]
        targets += [(f"out.{p.name}", "out", p.type) for p in wd.outputs]
        out = []
        for s, sb, st in sources:
            for t, tb, tt in targets:
                if t in fed or sb == tb or st != tt or (s, t) in have:
                    continue
                if box is None or box in (sb, tb):
                    out.append((s, t, st.name))
        if box is not None:
            out.sort(key=lambda c: (c[0].split(".")[0] != box, c[0], c[1]))
        return out

    def connection_problem(self, source: str, target: str) -> MarkovwireError | None:
        """Why ``source -> target`` cannot be wired (unknown port, wrong direction, other type, taken), or None."""
        try:
            s, t = PortRef.parse(source), PortRef.parse(target)
            trial = self.check.wiring.clone()
            trial.connect(s, t)
        except MarkovwireError as e:
            return e
        st, tt = self.port(str(s)).type, self.port(str(t)).type
        if st != tt:
            sn, tn = names_apart(st, tt)
            return TypeMismatch(Place(f"wire {s} → {t}", box=t.box, port=t.port), f"{sn} does not match {tn}",
                                fix=f"connect an output of type {tn} to {t}, or insert a box {sn} → {tn}")
        taken = [str(w.source) for w in self.check.wiring.wires if w.target == t]
        if taken:
            return WiringError(Place(f"input {t}", box=t.box, port=t.port), f"already has a source ({taken[0]})",
                               fix="disconnect that wire first (d), then connect")
        if s.box == t.box:
            return WiringError(Place(f"wire {s} → {t}", box=t.box, port=t.port), "runs from a box into itself",
                               fix="a box's state is its own memory; wire it to another box")
        return None

    def wires(self) -> list[tuple[str, str]]:
        """The wires as ``(source, target)`` text pairs, in file order."""
        return [(str(w.source), str(w.target)) for w in self.check.wiring.wires]

    # ----- helpers ---------------------------------------------------------------------------------
    def _component(self, ref: str) -> tuple[Component, list[str]]:
        """The component ``ref`` from the proposal's libraries, else from any available library (then added)."""
        ref = ref.strip()
        libs = self.check.libraries
        try:
            return component_in(libs, ref, f"component {ref!r}"), list(self.spec.libraries)
        except MarkovwireError as first:
            from markovwire.library import find_component
            try:
                comp = find_component(ref)
            except MarkovwireError:
                raise first from None
            return comp, list(self.spec.libraries) + [comp.library.name]

    def _instance(self, name: str) -> InstanceSpec:
        if name not in self.spec.instances:
            close = difflib.get_close_matches(name, list(self.spec.instances), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise UnknownName(f"instance {name!r}", f"does not exist{hint}",
                              fix=f"use one of: {', '.join(self.spec.instances) or 'add a component first'}")
        return self.spec.instances[name]

    def _check_instance_name(self, name: str) -> None:
        if not NAME.match(name) or len(name) > 64:
            raise WiringError(f"instance {name!r}", "is not a valid name",
                              fix="use letters, digits and '_', starting with a letter")
        if name in RESERVED:
            raise WiringError(f"instance {name!r}", "is a reserved word",
                              fix=f"choose another name (not {', '.join(sorted(RESERVED))})")
        if name in self.spec.instances:
            raise WiringError(f"instance {name!r}", "already exists", fix="choose another name")

    def _default_steps(self) -> int | str:
        T = self.check.all_parameters.get("T")
        return "T" if T is not None and T.integer and T.default is not None else 100

    def _wiring(self) -> WiringSpec:
        """The wiring as a file gives it (a diagram written as an expression is converted)."""
        if self.spec.wiring is not None:
            return self.spec.wiring
        wd = self.check.wiring
        if self.check.proposal is None and (not self.check.expression_ok or any(
                p.error.keys[:1] == ("diagram",) for p in self.check.problems)):
            raise WiringError("expression", "does not parse, so it cannot be rewired",
                              fix="fix the expression first")
        copies = [n for n in wd.boxes if n not in self.spec.instances]
        if copies:
            raise WiringError("diagram", f"uses instances more than once ({', '.join(copies[:3])}, …), so it has "
                              "no wiring of its own", fix="edit it as an expression (Ctrl+T)")
        return WiringSpec.model_construct(inputs={p.name: p.type.name for p in wd.inputs},
                                          outputs={p.name: p.type.name for p in wd.outputs},
                                          wires=[f"{w.source} -> {w.target}" for w in wd.wires])

    def _with_wires(self, ws: WiringSpec, wires: list[str]) -> dict:
        """The update that sets the wires (dropping outer ports no wire uses any more)."""
        used = {PortRef.parse(x) for pair in pairs(wires) for x in pair}
        inputs = {k: v for k, v in ws.inputs.items() if PortRef("in", k) in used}
        outputs = {k: v for k, v in ws.outputs.items() if PortRef("out", k) in used}
        return {"wiring": WiringSpec.model_construct(inputs=inputs, outputs=outputs, wires=wires), "diagram": None}


# ----- file models --------------------------------------------------------------------------------
def is_shipped(path: str | Path) -> bool:
    """Whether ``path`` is one of the files shipped with markovwire (read-only in the UI)."""
    from markovwire.library.shipped import proposals_dir
    try:
        return Path(path).resolve().is_relative_to(proposals_dir().parent.resolve())
    except (OSError, ValueError):
        return False


def _same_path(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except (OSError, ValueError):
        return a == b


def name_of(path: str | Path) -> str:
    """A proposal name from a file name (``my-file.yaml`` -> ``my_file``)."""
    stem = re.sub(r"[^A-Za-z0-9_]", "_", Path(path).stem)[:64] or "untitled"
    return stem if stem[0].isalpha() else f"p_{stem}"[:64]


def draft_spec(data: Any, filename: str = "proposal", located: Located | None = None) -> ProposalFile:
    """A :class:`ProposalFile` validated as a file, except that it may have no instances or wires yet.

    ``located`` (the document ``data`` was read from) places errors at their lines; data the UI made
    is validated directly, and only a mistake in it is written out to be placed."""
    if not isinstance(data, dict):
        raise FileFormatError(Place(file=filename, line=1), "is not a mapping of keys", fix="start with 'name: ...'")
    original, data = data, dict(data)
    empty_instances = not data.get("instances")
    wiring = data.get("wiring")
    empty_wires = isinstance(wiring, dict) and not wiring.get("wires") and data.get("diagram") is None
    if empty_instances:
        data["instances"] = {_PLACEHOLDER: {"component": _PLACEHOLDER}}
    if empty_wires:
        data["wiring"] = {**wiring, "wires": [f"{_PLACEHOLDER}.x -> {_PLACEHOLDER}.y"]}
    try:
        spec = ProposalFile.model_validate(data)
    except Exception:           # say where: validate again with the places of a file
        if located is not None:
            lines = dict(located.key_lines)
            if id(original) in lines:
                lines[id(data)] = (data, lines[id(original)][1])
            doc = Located(data, filename, lines)
        else:
            doc = load_yaml(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100), filename)
        spec = validate(ProposalFile, doc)
    if empty_instances:
        spec = spec.model_copy(update={"instances": {}})
    if empty_wires:
        spec = spec.model_copy(update={"wiring": spec.wiring.model_copy(update={"wires": []})})
    return spec


def _validated_piece(model, data: Mapping, key: tuple):
    """``model`` validated from ``data``, errors naming ``key`` (the place it will have in the file)."""
    try:
        return model.model_validate(dict(data))
    except Exception:            # say where: validate again as a file would be read
        pass
    text = yaml.safe_dump({"entry": dict(data)}, sort_keys=False, allow_unicode=True)
    doc = load_yaml(text, str(Place(keys=key)))
    try:
        return validate(model, type(doc)(doc.data["entry"], doc.filename, doc.key_lines))
    except MarkovwireError as e:
        raise _reworded(flatten(e), key) from None


def _reworded(errors: list[MarkovwireError], key: tuple = ()) -> MarkovwireError:
    """Errors with file places (``name.yaml:3: key``) turned into places in the UI (``key``, under ``key``)."""
    out = []
    for e in errors:
        p = e.place
        if p.file is not None and p.line is not None and not p.context:   # a file the UI wrote: its keys are ours
            p = Place(p.detail, keys=tuple(key) + p.keys, box=p.box, port=p.port)
        elif key:
            p = Place(keys=key).nest(p)
        out.append(e.relocated(p))
    return out[0] if len(out) == 1 else ErrorList(out)


def _renamed_ref(ref: str, old: str, new: str) -> str:
    box, dot, port = ref.partition(".")
    return f"{new}.{port}" if box == old and dot else ref


def _renamed_expression(text: str, old: str, new: str) -> str:
    """The diagram expression with instance ``old`` written ``new`` (the arguments of plumbing calls are types).

    >>> _renamed_expression("policy >> copy(policy) >> (policy @ policy2)", "policy", "u")
    'u >> copy(policy) >> (u @ policy2)'
    """
    spots: list[tuple[int, int]] = []

    def walk(node) -> None:
        if isinstance(node, ast.Call):
            return
        if isinstance(node, ast.Name) and node.id == old:
            spots.append((node.lineno, node.col_offset))
        for child in ast.iter_child_nodes(node):
            walk(child)

    try:
        walk(ast.parse(text, mode="eval"))
    except (SyntaxError, ValueError, RecursionError):
        raise WiringError(Place(keys=("diagram",)), "does not parse, so the instance cannot be renamed in it",
                          fix="fix the expression first (Ctrl+T)") from None
    lines = [line.encode() for line in text.split("\n")]
    for lineno, col in sorted(spots, reverse=True):      # offsets are in UTF-8 bytes
        line = lines[lineno - 1]
        lines[lineno - 1] = line[:col] + new.encode() + line[col + len(old.encode()):]
    return "\n".join(line.decode() for line in lines)


def _renamed_query(q: QuerySpec, old: str, new: str) -> QuerySpec:
    """The query with wire names of instance ``old`` (``old.port`` or, for a state, ``old``) renamed."""
    ren = lambda w: new if w == old else _renamed_ref(w, old, new)
    update: dict = {"given": {ren(k): v for k, v in q.given.items()}}
    if q.probability is not None:
        update["probability"] = {ren(k): v for k, v in q.probability.items()}
    if q.distribution is not None:
        update["distribution"] = [ren(k) for k in q.distribution]
    if q.expectation is not None:
        update["expectation"] = q.expectation.model_copy(update={"of": [ren(k) for k in q.expectation.of]})
    return q.model_copy(update=update)


def _renamed_claim(c: ClaimSpec, old: str, new: str) -> ClaimSpec:
    """The claim with instance ``old`` (and its ``old.port`` wires) renamed."""
    ren = lambda w: new if w == old else _renamed_ref(w, old, new)
    value = getattr(c, c.kind)
    value = [[ren(w) for w in side] for side in value] if c.kind == "independent" else [ren(w) for w in value]
    return c.model_copy(update={c.kind: value})


def _outer_names(ports, old: Mapping[str, str], inner: Mapping[str, str]) -> dict[str, str]:
    """Names for outer ports made by an expression: the old name at that position if the type fits,
    else the name of the inner port the wire meets."""
    old_items = list(old.items())
    names: dict[str, str] = {}
    for i, p in enumerate(ports):
        if i < len(old_items) and old_items[i][1] == p.type.name:
            wanted = old_items[i][0]
        else:
            wanted = inner.get(p.name, p.name)
        names[p.name] = _fresh(wanted, set(names.values()))
    return names


def _fresh(name: str, taken: set[str]) -> str:
    out, k = name, 2
    while out in taken:
        out, k = f"{name}{k}", k + 1
    return out


def _unique_component(comp: Component, libs: list[Library]) -> bool:
    return sum(comp.name in lib.components for lib in libs) <= 1


def _same_file(lib: Library, ref: str, proposal: Path | None) -> bool:
    """Whether the ``libraries:`` entry ``ref`` is the library ``lib`` (a name, or a path to its file)."""
    from markovwire.library.discovery import is_path
    if not is_path(ref):
        return lib.name == ref
    p = Path(ref).expanduser()
    if not p.is_absolute():
        p = (proposal.parent if proposal is not None else Path.cwd()) / p
    try:
        return lib.path is not None and lib.path.resolve() == p.resolve()
    except OSError:
        return False


def _shown_value(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _plain_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _with_red(spec: ProposalFile) -> ProposalFile:
    """``spec`` without the blue entries whose red team (adversary entries) is gone."""
    blue = {k: b for k, b in spec.blue.items()
            if set(b.against or []) <= set(spec.adversary) and red_entries(spec, k)}
    return spec.model_copy(update={"blue": blue})
