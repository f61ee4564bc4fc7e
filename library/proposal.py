"""A loaded proposal: component instances, how they are wired, and the questions asked of them.

:func:`load_proposal` reads a proposal file, loads the libraries it names, builds
one box per instance, wires them (a string-diagram expression or a wiring
diagram), type-checks the result and prepares its queries. Every problem is
reported at once, each with the file, line and key it comes from. The result
evaluates exactly:

>>> from markovwire.library.shipped import proposals_dir
>>> p = load_proposal(proposals_dir() / "trusted_monitoring.yaml")
>>> round(p.evaluate()["safety"], 4)
0.6487
>>> p.evaluate({"beta": [0.001, 0.01]})["safety"].round(4).tolist()
[0.6746, 0.6486]

A proposal with stateful components (an episode of many tasks) is a
:class:`~markovwire.diagrams.stateful.System`; its queries ask about the states
after ``episode.steps`` steps. ``adversary`` entries re-optimise parameters
(the red team's attack rate) for the worst case of a query.
"""
from __future__ import annotations

import dataclasses
import difflib
import math
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import sympy
import yaml

from markovwire import Net, Parameter
from markovwire.analysis import worst_case
from markovwire.analysis.query import REFERENCE_FIX, Query, broadcast_sweep, distribution_problem
from markovwire.diagrams.atomic import write_atomic
from markovwire.diagrams.expression import Diagram
from markovwire.diagrams.files import MAX_ENTRIES
from markovwire.diagrams.syntax import PLUMBING, parse_diagram, parse_type
from markovwire.diagrams.wiring import WiringDiagram
from markovwire.diagrams.yamlsafe import Located, load_yaml
from markovwire.errors import (
    ContractionTooLarge,
    ErrorList,
    FileFormatError,
    MarkovwireError,
    NotStochastic,
    ParameterError,
    Place,
    TypeMismatch,
    UnknownName,
    WiringError,
)
from markovwire.estimate import Estimate
from markovwire.limits import check_points, human_bytes, memory_budget, memory_fix
from markovwire.model import Model
from markovwire.types import FinSet, names_apart

from .bounds import band, bounds, credal, imprecise_box, intervals_of, kernel_adversary
from .claims import checklist, claim
from .compile import compile_model
from .constructions import constant, to_expr
from .data import measure
from .display import Results, descriptions, proposal_bundle
from .game import check_blue, check_choice, frontier as game_frontier, measured_range, solve as solve_game
from .latents import natural_latents, prepare as prepare_latent
from .loader import (
    Library,
    TypeScope,
    _display,
    component_in,
    flatten,
    in_scope,
    is_new_library,
    load_library,
    make_parameter,
    placed,
    raise_all,
    read_document,
    validate,
)
from .schema import AdversarySpec, CredalSpec, ParameterSpec, ProposalFile, QuerySpec, SweepSpec

RESERVED = set(PLUMBING) | {"in", "out"}
CHUNKS = 20  # sweeps are evaluated in this many vectorised chunks, for progress reports


@dataclass(frozen=True)
class PreparedQuery:
    """A query of a proposal, its wire names resolved to wires of the net or of the system's step."""

    name: str
    spec: QuerySpec
    wires: tuple[str, ...]            # the wires the query reads, in order
    types: tuple[FinSet, ...]
    given: tuple[tuple[str, str], ...]
    inputs: dict[str, str]
    text: str
    against: tuple[str, ...] | str | None = None  # a divergence's reference: wires, a distribution query, or a table

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def is_linear(self) -> bool:
        return self.spec.is_linear

    def __str__(self) -> str:
        return self.text


class Proposal:
    """A proposal ready to evaluate; see the module docstring. Build one with :func:`load_proposal`."""

    def __init__(self, spec: ProposalFile, document: Located, path: Path | None, text: str | None):
        self.spec, self.document, self.path, self._text = spec, document, path, text
        self.name, self.doc = spec.name, spec.doc
        self.libraries: list[Library] = []
        self.all_parameters: dict[str, Parameter] = {}
        self.instances: dict[str, object] = {}
        self.wiring: WiringDiagram | None = None
        self.diagram: WiringDiagram | Diagram | None = None
        self.system = None
        self._net: Net | None = None
        self.queries: dict[str, PreparedQuery] = {}
        self.structural: set[str] = set()
        self._rebuilt: dict[tuple, Proposal] = {}
        self._model: Model | None = None
        self.measured: dict[str, Estimate] = {}   # instances whose kernel comes from data, with its credal set

    def __repr__(self) -> str:
        kind = "episode" if self.system is not None else "diagram"
        return f"Proposal({self.name}: {len(self.instances)} instances, {kind}, {len(self.queries)} queries)"

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, str]:
        """Jupyter's display: name, doc, parameters, queries and the diagram (HTML, SVG and text)."""
        bundle = proposal_bundle(self)
        return {k: v for k, v in bundle.items() if (not include or k in include) and not (exclude and k in exclude)}

    def _repr_html_(self) -> str:
        return proposal_bundle(self)["text/html"]

    # ----- what it is made of -------------------------------------------------------------
    def where(self, *path) -> str:
        """``file:line: key`` of a key of the proposal file."""
        return self.document.where(path)

    @property
    def sweeps(self) -> list[SweepSpec]:
        return list(self.spec.sweeps)

    @property
    def adversary(self) -> dict[str, AdversarySpec]:
        return dict(self.spec.adversary)

    @property
    def credal(self) -> dict[str, CredalSpec]:
        return dict(self.spec.credal)

    @property
    def radii(self) -> dict[str, float]:
        """The total-variation radii the instances carry (``tv_radius`` in the file)."""
        return {n: i.tv_radius for n, i in self.spec.instances.items() if i.tv_radius is not None}

    @property
    def steps(self) -> int | None:
        """The number of steps of the episode (None for a single-shot proposal)."""
        if self.spec.episode is None:
            return None
        s = self.spec.episode.steps
        return s if isinstance(s, int) else int(self.all_parameters[s].default)

    @property
    def parameters(self) -> dict[str, Parameter]:
        """The parameters that matter: those the kernels and query tables use, those that size types or count
        steps."""
        used = set(compile_model(self).used()) | self.structural
        return {n: p for n, p in self.all_parameters.items() if n in used}

    def net(self) -> Net:
        """The net of the proposal (for an episode: the net of one step)."""
        return self.system.step_net if self.system is not None else self._net

    # ----- evaluation --------------------------------------------------------------------------
    def model(self, values: Mapping[str, object] | None = None) -> Model:
        """The compiled model at the structural parameters' values in ``values`` (scalars; defaults for the
        rest): every number of this proposal is a question to it. A new size compiles a new model (cached)."""
        built = self.built(values)
        if built._model is None:
            built._model = compile_model(built)
        return built._model

    def built(self, values: Mapping[str, object] | None = None) -> "Proposal":
        """This proposal built with the structural parameters (type sizes, steps) in ``values`` (cached)."""
        fixed = {n: float(v) for n, v in dict(values or {}).items()
                 if n in self.structural and float(v) != self.all_parameters[n].default}
        return self._with_values(fixed) if fixed else self

    def evaluate(self, values: Mapping[str, object] | None = None, queries: Sequence[str] | None = None,
                 progress: Callable[[int, int], None] | None = None,
                 ranges: Mapping[str, tuple[float, float]] | None = None) -> Results:
        """Every query (and adversary and credal entry) at ``values``: name → number, label → probability,
        a worst case or bounds (a dict, :class:`~markovwire.library.display.Results`, that Jupyter shows as a table).

        Array values sweep: all arrays share one shape and results have that shape
        (a grid is :func:`sweep_grid`). ``progress(done, total)`` is called as chunks
        of a sweep finish. ``ranges`` widens or narrows adversaries' search ranges (``--range``).
        """
        values = self._checked_values(values)
        ranges = self._checked_ranges(ranges)
        entries = list(self.queries) + list(self.spec.adversary) + list(self.spec.credal)
        names = list(queries) if queries is not None else entries
        for n in names:
            if n not in entries:
                raise UnknownName(f"proposal {self.name!r}", f"has no query {n!r}",
                                  fix=f"use one of: {', '.join(entries)}")
        shape, flat = broadcast_sweep(values)
        flat = {k: v for k, v in flat.items() if np.ndim(v)}
        if flat:
            check_points({", ".join(flat): math.prod(shape)}, f"proposal {self.name!r}, swept values")
        values = {**values, **flat}
        plans = {n: self._plan(n, flat) for n in names}
        total = sum(len(chunks) for chunks in plans.values()) or 1
        done, out = 0, {}
        for n, chunks in plans.items():
            parts = []
            for a, b in chunks:
                if a is None:  # a single evaluation (at scalars, or one that ignores the swept values)
                    parts.append(self._one(n, {k: v for k, v in values.items() if k not in flat or k in b}, ranges))
                else:
                    chunk = {k: (v[a:b] if k in flat else v) for k, v in values.items()}
                    if b - a == 1 and self._loops(n, flat):
                        chunk = {k: (float(v[0]) if k in flat else v) for k, v in chunk.items()}
                    parts.append(self._one(n, chunk, ranges))
                done += 1
                if progress:
                    progress(done, total)
            out[n] = _assemble(parts, shape, chunks)
        swept = {k: np.asarray(v).reshape(shape) for k, v in flat.items()}
        return Results(out, described=descriptions(self), swept=swept, title=self.name, proposal=self)

    def _loops(self, name: str, flat: Mapping[str, object]) -> bool:
        """Whether a swept evaluation must go point by point (adversaries, bounds, sizes of types, steps)."""
        return name in self.spec.adversary or name in self.spec.credal or any(k in self.structural for k in flat)

    def _plan(self, name: str, flat: Mapping[str, object]) -> list[tuple]:
        """The chunks ``(start, stop)`` of the sweep to evaluate ``name`` on, or one ``(None, kept)``."""
        if not flat:
            return [(None, ())]
        if name in self.spec.adversary and set(flat) <= set(self.spec.adversary[name].over):
            return [(None, ())]  # the adversary chooses the swept parameters itself
        if name in self.spec.credal and set(flat) <= set(self.spec.credal[name].intervals):
            return [(None, ())]  # the swept parameters range over their intervals
        n = len(next(iter(flat.values())))
        step = 1 if self._loops(name, flat) else max(1, math.ceil(n / CHUNKS))
        return [(a, min(a + step, n)) for a in range(0, n, step)]

    def value(self, query: str, values: Mapping[str, object] | None = None):
        """One query at ``values`` (see :meth:`evaluate`)."""
        return self.evaluate(values, [query])[query]

    def _one(self, name: str, values: Mapping[str, object], ranges: Mapping[str, tuple] | None = None):
        """One query, adversary or credal entry at scalar values, or a query at arrays of one flat shape."""
        with self._asking(name):
            return self._answer(name, values, ranges)

    @contextmanager
    def _asking(self, name: str, placing: type[MarkovwireError] = MarkovwireError):
        """Errors (of class ``placing``) while answering entry ``name`` placed at the entry in the file: a question
        too large for the budgets, or for the machine (numpy's ``MemoryError``), is refused where the file asks it."""
        try:
            yield
        except placing as e:
            if e.file is not None or isinstance(e, ErrorList):
                raise
            raise placed(e, self._entry(name)) from None
        except MemoryError:
            raise ContractionTooLarge(self._entry(name), f"ran out of memory (the budget is "
                                      f"{human_bytes(memory_budget())}, more than this machine has free)",
                                      fix="lower the budget to what the machine has free (--max-memory 1GiB, or "
                                          "markovwire.set_memory_budget in Python) so that questions this large "
                                          "are refused before they start; or sweep fewer points") from None

    def _entry(self, name: str) -> Place:
        """The place of query, adversary, credal or blue entry ``name`` in the file."""
        section = ("adversary" if name in self.spec.adversary else "credal" if name in self.spec.credal
                   else "blue" if name in self.spec.blue else "queries")
        return self.document.where((section, name))

    def _answer(self, name: str, values: Mapping[str, object], ranges: Mapping[str, tuple] | None = None):
        built = self.built(values)
        model = built.model()
        rest = {n: v for n, v in values.items() if n not in self.structural}
        if name in self.spec.adversary:
            out = (kernel_adversary(built, model, name, rest) if self.spec.adversary[name].instance is not None else
                   self._worst_case(model, name, rest, dict(ranges or {})))
            out.measured = measured_range(built, model, name, rest, out, ranges)
            return out
        if name in self.spec.credal:
            return credal(built, model, name, rest)
        v = model.value(name, rest)
        if model.query(name).kind == "distribution":
            return {lab: _scalar(v[..., i]) for i, lab in enumerate(model.labels(name))}
        return v

    def _worst_case(self, model: Model, name: str, values: Mapping[str, object], ranges: Mapping[str, tuple]):
        adv = self.spec.adversary[name]
        target, q, vals = model.question(adv.query, values)
        bounds = {k: tuple(v) for k, v in adv.bounds.items()}
        bounds.update({k: r for k, r in ranges.items() if k in adv.over})
        fixed = {k: v for k, v in vals.items() if k not in adv.over}
        return worst_case(target, q, adv.over, adv.sense, values=fixed, bounds=bounds, grid=adv.grid,
                          lipschitz=adv.lipschitz)

    def _with_values(self, fixed: Mapping[str, float]) -> "Proposal":
        """The same proposal with structural parameters (type sizes, steps) set to other values (cached)."""
        key = tuple(sorted(fixed.items()))
        if key not in self._rebuilt:
            params = dict(self.spec.parameters)
            params.update({n: float(v) for n, v in fixed.items()})
            spec = self.spec.model_copy(update={"parameters": params})
            self._rebuilt[key] = build_proposal(spec, self.document, self.path, None)
        return self._rebuilt[key]

    def bounds(self, query: str, intervals: Mapping[str, tuple[float, float]] | None = None,
               imprecise: Mapping[str, object] | None = None, values: Mapping[str, object] | None = None,
               max_combinations: int | None = None):
        """Lower and upper values of ``query`` with parameters in ``intervals`` and instances in credal sets
        (``imprecise``: instance → IntervalKernel or CredalKernel); see :mod:`markovwire.library.bounds`."""
        self._known_query(query)
        values = self._checked_values(values)
        rest = {n: v for n, v in values.items() if n not in self.structural}
        built = self.built(values)
        with self._asking(query, ContractionTooLarge):   # other mistakes are the options' (--interval)
            return bounds(built, built.model(), query, intervals_of(self, dict(intervals or {})), imprecise, rest,
                          max_combinations)

    def band(self, query: str, radii: Mapping[str, float] | None = None, values: Mapping[str, object] | None = None):
        """``query``'s value and the band certified by the instances' TV radii (the file's, updated by ``radii``)."""
        self._known_query(query)
        values = self._checked_values(values)
        rest = {n: v for n, v in values.items() if n not in self.structural}
        built = self.built(values)
        with self._asking(query, ContractionTooLarge):   # other mistakes are the options' (--tv)
            return band(built, built.model(), query, radii, rest)

    def solve(self, blue: str | None = None, values: Mapping[str, object] | None = None, mixed: bool = True,
              robust: bool | None = None, lipschitz: float | None = None):
        """The control game of ``blue:`` entry ``blue`` (the only one when None): blue's best choice against the red
        team's best reply, an :class:`~markovwire.analysis.game.Equilibrium` (see :mod:`markovwire.library.game`).
        With instances measured from data (and ``robust`` not False) its ``robust`` field is the game with their
        credal sets on red's side. ``lipschitz`` (a bound on the safety query's slope in each chosen parameter)
        turns the search's result over the parameters' whole ranges into a certified bracket."""
        return solve_game(self, blue, values, mixed, robust, lipschitz)

    def frontier(self, safety: str | None, usefulness: str, blue: str | None = None,
                 values: Mapping[str, object] | None = None, weights=21, mixed: bool = True,
                 robust: bool | None = None):
        """The safety-usefulness frontier of ``blue:`` entry ``blue``: a :class:`~markovwire.analysis.game.Frontier`
        (each point's ``robust_safety`` too when instances are measured from data, unless ``robust`` is False)."""
        return game_frontier(self, safety, usefulness, blue, values, weights, mixed, robust)

    def claims(self):
        """The file's information-flow claims, each checked by d-separation (a :class:`FlowChecklist`)."""
        return checklist(self)

    def natural_latents(self, values: Mapping[str, object] | None = None) -> dict:
        """The file's natural-latent checks at scalar ``values``: name → :class:`~markovwire.analysis.NaturalLatent`."""
        return natural_latents(self, self._checked_values(values))

    def conditions(self, given: Mapping[str, str], inputs: Mapping[str, str], where: Callable[..., Place]):
        """Evidence and outer inputs of a query or check, resolved and checked (see :func:`conditions`)."""
        return conditions(self, given, inputs, where)

    def wire(self, name: str, where: str = "wire") -> str:
        """The wire of :meth:`net` that ``name`` denotes: a wire of the net, an outer port, a stateful
        instance (its state) or ``box.port``."""
        if name in self.net().wires and not name.endswith("'"):
            return name
        return _resolve_wire(self, name, where)

    def wire_names(self) -> list[str]:
        """The names a wire can be given by (in queries, claims, flow checks): outer ports, stateful instances
        (their state) and ``box.port`` of the net."""
        names = [q.name for q in self.wiring.outputs] + [q.name for q in self.wiring.inputs]
        if self.system is not None:
            names += list(self.system.boxes)
        names += sorted(w for w in self.net().wires if "." in w and "/" not in w and not w.endswith("'"))
        return list(dict.fromkeys(names))

    def _known_query(self, name: str) -> None:
        if name not in self.queries:
            raise UnknownName(f"proposal {self.name!r}", f"has no query {name!r}",
                              fix=f"use one of: {', '.join(self.queries) or 'no queries declared'}")

    def _checked_ranges(self, ranges) -> dict[str, tuple[float, float]]:
        """Search ranges for adversaries' parameters (``--range P=LO:HI``), inside the parameters' domains."""
        out = {}
        searched = {n for a in self.spec.adversary.values() for n in a.over}
        for n, (lo, hi) in dict(ranges or {}).items():
            where = f"--range {n}"
            if n not in searched:
                raise ParameterError(where, f"no adversary entry searches over {n!r}",
                                     fix=f"give ranges for: {', '.join(sorted(searched)) or 'no adversary searches'}")
            dlo, dhi = self.all_parameters[n].domain
            if not dlo <= lo <= hi <= dhi:
                raise ParameterError(where, f"[{lo:g}, {hi:g}] is not inside the domain [{dlo:g}, {dhi:g}]",
                                     fix="give LO <= HI inside the parameter's domain")
            out[n] = (float(lo), float(hi))
        return out

    def _checked_values(self, values) -> dict[str, object]:
        out = {}
        for n, v in dict(values or {}).items():
            if n not in self.all_parameters:
                close = difflib.get_close_matches(n, list(self.all_parameters), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ParameterError(f"proposal {self.name!r}", f"unknown parameter {n!r}{hint}",
                                     fix=f"use one of: {', '.join(sorted(self.parameters))}")
            arr = np.asarray(v, dtype=float)
            self.all_parameters[n].check(arr)
            out[n] = arr if arr.ndim else float(arr)
        return out

    def table_entries(self, q: PreparedQuery) -> np.ndarray:
        """The table of an expectation query (or a divergence's reference table) as sympy entries over its wires'
        labels, checked against them."""
        section = ("expectation", "values") if q.kind == "expectation" else (q.kind, "against")
        node = q.spec.expectation.values if q.kind == "expectation" else getattr(q.spec, q.kind).against
        entries = np.zeros([len(t) for t in q.types], dtype=object)
        entries[...] = sympy.Integer(0)

        def fill(node, depth, index, path):
            t = q.types[depth]
            if not isinstance(node, dict):
                raise FileFormatError(self.where("queries", q.name, *section, *path),
                                      f"expected a mapping by labels of {t.name}",
                                      fix="nest one mapping per wire of 'of'")
            listed = [k for k in node if k != "_"]
            for key, sub in node.items():
                labels = [x for x in t.elements if x not in listed] if key == "_" else [key]
                for lab in labels:
                    t.label(lab, self.where("queries", q.name, *section, *path, key))
                    idx = index + (t.index(lab),)
                    if depth + 1 == len(q.types):
                        entries[idx] = to_expr(sub, self.all_parameters,
                                               self.where("queries", q.name, *section, *path, key))
                    else:
                        fill(sub, depth + 1, idx, path + (key,))

        fill(node, 0, (), ())
        return entries

    # ----- editing and saving ----------------------------------------------------------------
    def replace(self, **changes) -> "Proposal":
        """A new proposal with top-level keys of the file replaced (validated and built afresh)."""
        data = self.spec.model_dump(mode="python", exclude_defaults=True)
        data.update({k: _plain(v) for k, v in changes.items()})
        return proposal_from_data(data, self.path, self.document.filename)

    def to_yaml(self) -> str:
        """The proposal file's text: the original text if unchanged, else a clean dump of the spec."""
        if self._text is not None:
            return self._text
        return dump_spec(self.spec)

    def save(self, path: str | os.PathLike | None = None) -> Path:
        """Write the proposal file atomically (to ``path``, default where it was loaded from)."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise FileFormatError(f"proposal {self.name!r}", "has no file to save to", fix="give a path")
        write_atomic(target, self.to_yaml())
        return target


# ----- building a proposal ---------------------------------------------------------------------
def load_proposal(path: str | os.PathLike) -> Proposal:
    """The proposal in the file ``path`` (every problem reported at once, each with file:line: key)."""
    path = Path(path)
    display = _display(path)
    from markovwire.diagrams.yamlsafe import read_text
    text = read_text(path)
    doc = load_yaml(text, display)
    spec = validate(ProposalFile, doc)
    return build_proposal(spec, doc, path, text)


def proposal_from_text(text: str, filename: str = "<proposal>", path: str | os.PathLike | None = None) -> Proposal:
    """A proposal from YAML text; library paths are relative to ``path``'s directory."""
    doc = load_yaml(text, filename)
    spec = validate(ProposalFile, doc)
    return build_proposal(spec, doc, Path(path) if path is not None else None, text)


def proposal_from_data(data: Mapping, path: str | os.PathLike | None = None,
                       filename: str = "<proposal>") -> Proposal:
    """A proposal from plain data (as a file would hold it), validated; the text is a clean dump."""
    text = yaml.safe_dump(_plain(data), sort_keys=False, allow_unicode=True, width=100)
    p = proposal_from_text(text, filename, path)
    p._text = None
    return p


def proposal_problems(data: Mapping, path: str | os.PathLike | None = None) -> list[MarkovwireError]:
    """Every problem of a proposal given as data (as an editor holds it); empty when it builds."""
    try:
        proposal_from_data(data, path)
        return []
    except MarkovwireError as e:
        return flatten(e)


def check_file(path: str | os.PathLike) -> list[MarkovwireError]:
    """Every problem of a library or proposal file (empty when it is fine)."""
    try:
        kind = file_kind(path)
        if kind == "library":
            lib = load_library(Path(path))
            return lib.problems()
        load_proposal(path)
        return []
    except MarkovwireError as e:
        return flatten(e)


def file_kind(path: str | os.PathLike) -> str:
    """``"library"`` or ``"proposal"``: a library file has ``components`` or ``version``, a proposal ``instances``."""
    doc = read_document(path, _display(Path(path)))
    data = doc.data if isinstance(doc.data, dict) else {}
    if "instances" in data:
        return "proposal"
    if "components" in data or "version" in data or "types" in data:
        return "library"
    raise FileFormatError(f"{doc.filename}:1", "is neither a component library nor a proposal",
                          fix="a library has 'name', 'version' and 'components'; a proposal has 'instances'")


def build_proposal(spec: ProposalFile, doc: Located, path: Path | None, text: str | None) -> Proposal:
    """Libraries, parameters, instances, wiring, queries: every problem collected, then raised at once."""
    p = Proposal(spec, doc, path, text)
    errors: list[MarkovwireError] = []

    def collector(into: list):
        def attempt(fn, *where):
            try:
                return fn()
            except MarkovwireError as e:
                into.extend(placed(x, doc.where(where)) for x in flatten(e))
                return None
        return attempt

    attempt = collector(errors)

    for i, ref in enumerate(spec.libraries):
        lib = attempt(lambda: load_library(ref, path, doc.where(("libraries", i))), "libraries", i)
        if lib is not None and attempt(lambda: is_new_library(lib, p.libraries), "libraries", i):
            p.libraries.append(lib)
    raise_all(errors)
    p.libraries = in_scope(p.libraries)  # a type two libraries declare differently is named library.Type
    _parameters(p, errors, attempt)  # a bad value keeps the library's, so that later problems show too
    sizes = p.libraries[0].sizes(p.all_parameters) if p.libraries else {}
    types = attempt(lambda: TypeScope(p.libraries, sizes), "libraries") or {}
    for name, inst in spec.instances.items():
        box = attempt(lambda: _instance(p, name, inst, sizes), "instances", name)
        if box is not None and inst.data is not None:
            box = attempt(lambda: _measured(p, name, inst, box), "instances", name, "data")
        if box is not None:
            p.instances[name] = box
            comp = component_in(p.libraries, inst.component, "")
            p.structural |= comp.structural
    if len(p.instances) < len(spec.instances):
        raise_all(errors)  # wiring a missing instance would only repeat the problem
    wiring_errors: list[MarkovwireError] = []
    _wire(p, types, sizes, wiring_errors, collector(wiring_errors))
    errors += wiring_errors
    if wiring_errors:
        raise_all(errors)
    for name, q in spec.queries.items():
        prepared = attempt(lambda: _prepare_query(p, name, q), "queries", name)
        if prepared is not None:
            p.queries[name] = prepared
    if spec.episode is not None and isinstance(spec.episode.steps, str):
        p.structural.add(spec.episode.steps)   # the number of steps shapes the compiled episode
    p.structural |= {q.steps for q in spec.queries.values() if isinstance(q.steps, str)}
    _check_rest(p, errors)
    _check_analyses(p, errors)
    raise_all(errors)
    return p


def _parameters(p: Proposal, errors, attempt) -> None:
    """The parameters in scope: the proposal's own declarations, then the libraries' (with the proposal's values)."""
    params: dict[str, Parameter] = {}
    owner: dict[str, Library] = {}
    own = {n for n, v in p.spec.parameters.items() if isinstance(v, ParameterSpec)}  # these win over libraries'
    for i, lib in enumerate(p.libraries):
        for n, par in lib.parameters.items():
            if n in params and params[n] != par and n not in own:
                errors.append(ParameterError(p.where("libraries", i), f"parameter {n!r} is declared differently by "
                                             f"{owner[n].declared('parameters', n)} and "
                                             f"{lib.declared('parameters', n)}",
                                             fix=f"declare {n!r} in the proposal's 'parameters:' "
                                                 "({domain: [lo, hi], default: ...}) to settle it"))
            params.setdefault(n, par)
            owner.setdefault(n, lib)
    for n, v in p.spec.parameters.items():
        where = p.where("parameters", n)
        if isinstance(v, ParameterSpec):
            made = attempt(lambda: make_parameter(n, v, p.document, ("parameters", n)), "parameters", n)
            if made is not None:
                params[n] = made
            continue
        if n not in params:
            close = difflib.get_close_matches(n, list(params), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            errors.append(ParameterError(where, f"unknown parameter {n!r}{hint}",
                                         fix="set a parameter of the libraries, or declare a new one with "
                                             "{domain: [lo, hi], default: ...}"))
            continue
        value = attempt(lambda: constant(v, where), "parameters", n)
        if value is None:
            continue
        old = params[n]
        if old.integer:
            if value != int(value):
                errors.append(ParameterError(where, f"{value:g} is not a whole number",
                                             fix=f"{n!r} is an integer parameter; give a whole number"))
                continue
            value = int(value)
        made = attempt(lambda: dataclasses.replace(old, default=value), "parameters", n)
        if made is not None:
            params[n] = made
    p.all_parameters = params


def _instance(p: Proposal, name: str, inst, sizes: Mapping[str, int]):
    """The box of one instance: its component, built with the proposal's parameters and the instance's overrides."""
    if name in RESERVED:
        raise WiringError(p.where("instances", name), f"{name!r} is reserved",
                          fix=f"choose another instance name (not {', '.join(sorted(RESERVED))})")
    comp = component_in(p.libraries, inst.component, p.where("instances", name, "component"))
    params = dict(p.all_parameters)
    fixed: dict[str, sympy.Expr] = {}
    inst_sizes = dict(sizes)
    errors = []
    for k, v in inst.parameters.items():
        where = p.where("instances", name, "parameters", k)
        if k not in comp.spec.parameters:
            close = difflib.get_close_matches(k, comp.spec.parameters, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            errors.append(ParameterError(where, f"component {comp.name!r} has no parameter {k!r}{hint}",
                                         fix=f"its parameters are: {', '.join(comp.spec.parameters) or 'none'}"))
            continue
        try:
            e = to_expr(v, p.all_parameters, where)
            if not e.free_symbols:
                params[k].check(float(e))
                params[k] = dataclasses.replace(params[k], default=int(e) if params[k].integer else float(e))
                if params[k].integer:
                    inst_sizes[k] = int(e)
            fixed[k] = e
        except MarkovwireError as err:
            errors.append(placed(err, where))
    raise_all(errors)
    _check_kernel_size(p, name, comp, inst_sizes)
    return comp.instantiate(name, params, inst_sizes, fixed)


def _measured(p: Proposal, name: str, inst, box):
    """The instance's box with its kernel measured from its ``data:`` entry (the estimate kept in ``p.measured``)."""
    from markovwire.diagrams.stateful import StatefulBox

    where = lambda *k: p.where("instances", name, "data", *k)
    if isinstance(box, StatefulBox):
        raise FileFormatError(where(), f"component {inst.component!r} has a state; only a plain component's kernel "
                              "can be measured from data", fix="give 'data:' to a component without a state")
    p.measured[name] = measure(inst.data, box.dom, box.cod, name, p.path.parent if p.path else None, where)
    return dataclasses.replace(box, kernel=p.measured[name].kernel,
                               source=f"measured from {inst.data.file} ({p.measured[name].describe()})")


def _check_kernel_size(p: Proposal, name: str, comp, sizes: Mapping[str, int]) -> None:
    """Refuse an instance whose kernel (its step kernel, with a state) would not fit in the memory budget at the
    sizes given (``--set B=100000``), naming the parameters that size it, before anything is built. A kernel past
    the entry cap is left to :func:`~markovwire.library.loader.build_kernel`, which refuses it before allocation
    with the component's place in its library."""
    spec = comp.spec
    where = p.where("instances", name)
    dom, cod, state_type = comp.ports_at(sizes)
    state = [len(state_type)] if state_type is not None else []
    ins = state + [len(t) for _, t in dom]
    outs = state + [len(t) for _, t in cod]
    entries = math.prod(ins) * math.prod(outs)
    nbytes = entries * 8
    if nbytes <= memory_budget() or entries > MAX_ENTRIES:
        return  # past the entry cap of library files, build_kernel refuses it (a larger budget would not help)
    by = sorted(comp.structural)
    shown = ", ".join(f"{n} = {sizes[n]:,}" for n in by if n in sizes)
    kind = "step kernel" if spec.state else "kernel"
    dims = lambda ns: " x ".join(f"{n:,}" for n in ns) or "1"
    raise ContractionTooLarge(
        where, f"component {comp.name!r}{' with ' + shown if shown else ''} has a {kind} of "
        f"{dims(ins)} -> {dims(outs)} = {math.prod(ins) * math.prod(outs):.3g} entries ({human_bytes(nbytes)}), more "
        f"than the memory budget of {human_bytes(memory_budget())}",
        fix=(f"give {' and '.join(by)} a smaller value (--set on the command line, or 'parameters:' in the file), "
             "or " if by else "use smaller port types, or ") + memory_fix(nbytes, ""))


def _wire(p: Proposal, types, sizes, errors, attempt) -> None:
    """The wiring diagram (from the expression or the wires), checked, and its net or system."""
    from markovwire.diagrams.stateful import StatefulBox, System

    spec = p.spec
    if spec.diagram is not None:
        d = attempt(lambda: parse_diagram(spec.diagram, p.instances, types, p.where("diagram"), sizes), "diagram")
        if d is None:
            return
        p.diagram = d
        p.wiring = attempt(lambda: WiringDiagram.from_diagram(d, spec.name), "diagram")
        if p.wiring is None:
            return
    else:
        w = spec.wiring
        ports = {}
        for side in ("inputs", "outputs"):
            ports[side] = []
            for n, t in getattr(w, side).items():
                typ = attempt(lambda: parse_type(t, types, p.where("wiring", side, n), sizes), "wiring", side, n)
                if typ is not None:
                    ports[side].append((n, typ))
        if errors:
            return
        wd = WiringDiagram(spec.name, inputs=ports["inputs"], outputs=ports["outputs"])
        for name, box in p.instances.items():
            attempt(lambda: wd.add_box(name, box), "instances", name)
        index = []
        for i, text in enumerate(w.wires):
            src, _, dst = text.partition("->")
            before = len(wd.wires)
            attempt(lambda: wd.connect(src.strip(), dst.strip()), "wiring", "wires", i)
            if len(wd.wires) > before:
                index.append(i)
        for key, e in wd._located_problems():
            errors.append(placed(e, p.where(*_file_key(key, index))))
        p.diagram = p.wiring = wd
    if errors:
        return
    stateful = [n for n, b in p.instances.items() if isinstance(b, StatefulBox)]
    if stateful and spec.episode is None:
        errors.append(FileFormatError(p.where("instances", stateful[0]), f"instance {stateful[0]!r} has a state, so "
                                      "the proposal is an episode of many steps",
                                      fix="add 'episode: {steps: T}' (a number, or an integer parameter)"))
        return
    if spec.episode is not None and not stateful:
        errors.append(FileFormatError(p.where("episode"), "an episode needs at least one stateful instance",
                                      fix="use a stateful component (such as 'episode'), or remove 'episode:'"))
        return
    if stateful:
        p.system = attempt(lambda: System(p.wiring), "wiring" if spec.wiring is not None else "diagram")
    else:
        p._net = attempt(lambda: p.wiring.to_net(), "wiring" if spec.wiring is not None else "diagram")


def _file_key(key: tuple, index: list[int]) -> tuple:
    """The key in the proposal file of a problem the wiring diagram reports by its own key."""
    if key and key[0] == "wires" and len(key) > 1 and isinstance(key[1], int) and key[1] < len(index):
        return ("wiring", "wires", index[key[1]])
    if key and key[0] == "boxes" and len(key) > 1:
        return ("instances", key[1])
    if key and key[0] in ("outputs", "inputs") and len(key) > 1:
        return ("wiring", key[0], key[1])
    return ("wiring",)


# ----- queries -------------------------------------------------------------------------------
def _resolve_wire(p: Proposal, name: str, where: str) -> str:
    """The net wire a query names: an outer port, a stateful instance (its state), ``box.port``."""
    wd = p.wiring
    if name in [q.name for q in wd.inputs]:
        raise FileFormatError(where, f"{name!r} is an outer input, fixed by the query rather than random",
                              fix=f"give its label under 'inputs:' ({name}: ...) instead")
    if p.system is not None:
        sys = p.system
        if name in sys.boxes:
            return f"{name}.state"
        if name in sys.ports:
            return sys.ports[name]
        net = sys.step_net
    else:
        net = p._net
        outs = [q.name for q in wd.outputs]
        if name in outs:
            return net.outputs[outs.index(name)]
    if name in net.wires and not name.endswith("'"):
        return name
    box, _, port = name.partition(".")
    for b in net.boxes:  # an input port names the wire that feeds it
        if b.name == box:
            for w, q in zip(b.inputs, b.kernel.dom):
                if q.name == port:
                    return w
    known = p.wire_names()
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise UnknownName(where, f"no wire {name!r}{hint}",
                      fix=f"name an outer port, a stateful instance or box.port: {', '.join(known[:30])}")


def _prepare_query(p: Proposal, name: str, q: QuerySpec) -> PreparedQuery:
    where = lambda *k: p.where("queries", name, *k)
    net = p.net()
    names, key = q.read, q.kind
    wires, errors = [], []
    for n in names:
        try:
            wires.append(_resolve_wire(p, n, where(key, n) if q.kind == "probability" else where(key)))
        except MarkovwireError as e:
            errors.append(e)
    raise_all(errors)
    if len(set(wires)) != len(wires):
        raise FileFormatError(where(key), "names one wire twice", fix="name each wire once")
    both = [n for n, w in zip(names, wires) if w in {_resolve_wire(p, g, where("given", g)) for g in q.given}]
    if both:
        raise FileFormatError(where("given", both[0]) if both[0] in q.given else where("given"),
                              f"{both[0]!r} is both asked about and given", fix="condition on other wires")
    types = tuple(net.wires[w] for w in wires)
    if q.kind == "probability":
        for n, w, t in zip(names, wires, types):
            labels = q.probability[n]
            for lab in [labels] if isinstance(labels, str) else labels:
                t.label(lab, where("probability", n))
    given, inputs = p.conditions(q.given, q.inputs, where)
    if q.steps is not None:
        if p.system is None:
            raise FileFormatError(where("steps"), "only an episode has steps", fix="remove 'steps:'")
        if isinstance(q.steps, str):
            _integer_parameter(p, q.steps, where("steps"))
    against = _reference(p, name, q, types) if q.kind in ("kl", "tv") else None
    prepared = PreparedQuery(name, q, tuple(wires), types, tuple(given.items()), inputs, _describe(name, q), against)
    if q.kind == "expectation":
        p.table_entries(prepared)              # its labels and expressions checked now, at their places
    elif q.kind in ("kl", "tv") and against is None:
        _check_reference_table(p, prepared, p.table_entries(prepared))
    return prepared


def conditions(p: Proposal, given: Mapping[str, str], inputs: Mapping[str, str],
               where: Callable[..., Place]) -> tuple[dict[str, str], dict[str, str]]:
    """Evidence (wire name → observed label) and outer inputs (every one fixed to a label) of a query or check,
    resolved to wires and checked, each mistake at ``where("given", name)`` or ``where("inputs", name)``."""
    net = p.net()
    observed = {}
    for n, lab in given.items():
        w = _resolve_wire(p, n, where("given", n))
        net.wires[w].label(lab, where("given", n))
        observed[w] = lab
    outer = list(p.system.inputs) if p.system is not None else list(net.inputs)
    for n, lab in inputs.items():
        if n not in outer:
            raise UnknownName(where("inputs", n), f"{n!r} is not an outer input",
                              fix=f"fix one of the outer inputs: {', '.join(outer) or 'there are none'}")
        net.wires[n].label(lab, where("inputs", n))
    missing = [n for n in outer if n not in inputs]
    if missing:
        t = net.wires[missing[0]]
        raise FileFormatError(where(), f"the outer input {missing[0]!r} is not fixed",
                              fix=f"add 'inputs: {{{missing[0]}: ...}}' with a label of {t.name} ({t.shown()})")
    return observed, dict(inputs)


def _reference(p: Proposal, name: str, q: QuerySpec, types: tuple) -> tuple[str, ...] | str | None:
    """A divergence's reference, checked: its wires (resolved), the name of a distribution query, or None for a
    table of probabilities (read by :meth:`Proposal.table_entries`)."""
    ref = getattr(q, q.kind).against
    where = lambda *k: p.where("queries", name, q.kind, "against", *k)
    if isinstance(ref, dict):
        return None
    if isinstance(ref, str):
        other = p.spec.queries.get(ref)
        laws = [n for n, s in p.spec.queries.items() if s.kind == "distribution"]
        if other is None:
            close = difflib.get_close_matches(ref, laws, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise UnknownName(where(), f"no query {ref!r}{hint}",
                              fix=f"name a distribution query ({', '.join(laws) or 'none declared'}), list wires, "
                                  "or give a table of probabilities")
        if other.kind != "distribution":
            raise FileFormatError(where(), f"query {ref!r} is {other.what}; a reference is a law",
                                  fix="name a distribution query, list wires, or give a table of probabilities")
        if other.steps != q.steps or other.inputs != q.inputs:
            raise FileFormatError(where(), f"query {ref!r} is asked at other steps or outer inputs",
                                  fix="compare laws at the same step and inputs (the same 'steps:' and 'inputs:')")
        names = list(other.distribution)
        wires = tuple(_resolve_wire(p, n, p.where("queries", ref, "distribution")) for n in names)
    else:
        names = list(ref)
        wires = tuple(_resolve_wire(p, n, where()) for n in names)
    theirs = tuple(p.net().wires[w] for w in wires)
    if [t.elements for t in theirs] != [t.elements for t in types]:
        shown = lambda ts: ", ".join(names_apart(a, b)[0] for a, b in zip(ts, theirs if ts is types else types))
        raise TypeMismatch(where(), f"compares {', '.join(getattr(q, q.kind).of)} ({shown(types)}) with "
                           f"{', '.join(names)} ({shown(theirs)}), whose labels differ",
                           fix="compare wires of the same types, in the same order")
    return ref if isinstance(ref, str) else wires


def _check_reference_table(p: Proposal, q: PreparedQuery, entries: np.ndarray) -> None:
    """A divergence's reference table of constants is a probability distribution, refused at its place in the file
    (tables of expressions are checked at every evaluation by the core, with the same words)."""
    if any(getattr(e, "free_symbols", None) for e in entries.flat):
        return
    what = distribution_problem(np.array([float(e) for e in entries.flat]))
    if what:
        raise NotStochastic(p.where("queries", q.name, q.kind, "against"),
                            f"{what}: it is not a probability distribution", fix=REFERENCE_FIX)




def _integer_parameter(p: Proposal, name: str, where: str) -> Parameter:
    if name not in p.all_parameters:
        close = difflib.get_close_matches(name, list(p.all_parameters), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ParameterError(where, f"unknown parameter {name!r}{hint}",
                             fix="give a whole number or an integer parameter")
    par = p.all_parameters[name]
    if not par.integer or par.default is None:
        raise ParameterError(where, f"parameter {name!r} is not an integer parameter with a default",
                             fix="declare it with 'integer: true' and a default, or give a whole number")
    return par


def _describe(name: str, q: QuerySpec) -> str:
    cond = list(q.given.items()) + list(q.inputs.items())
    tail = (" | " + ", ".join(f"{k}={v}" for k, v in cond)) if cond else ""
    if q.kind == "probability":
        ev = ", ".join(f"{w}={v}" if isinstance(v, str) else f"{w}∈{{{', '.join(v)}}}"
                       for w, v in q.probability.items())
        return f"P({ev}{tail})"
    if q.kind == "expectation":
        return f"E[f({', '.join(q.expectation.of)}){tail}]"
    if q.kind == "distribution":
        return f"distribution of {', '.join(q.distribution)}{tail}"
    spec = getattr(q, q.kind)     # an information quantity, written by the core in the file's wire names
    given, at = dict(q.given), dict(q.inputs)
    if q.kind == "entropy":
        return str(Query.entropy(spec.of, conditional_on=spec.given, unit=spec.unit, given=given, at=at))
    if q.kind == "mutual_information":
        return str(Query.mutual_information(*spec.between, conditional_on=spec.given, unit=spec.unit, given=given,
                                            at=at))
    against = spec.against if isinstance(spec.against, list) else \
        Query.distribution(["_"], name=spec.against) if isinstance(spec.against, str) else {}
    if q.kind == "kl":
        return str(Query.kl(spec.of, against, unit=spec.unit, given=given, at=at))
    return str(Query.tv(spec.of, against, given=given, at=at))


def _check_rest(p: Proposal, errors: list) -> None:
    """Episode steps, sweeps and adversary entries refer to parameters and queries that exist."""
    spec = p.spec
    if spec.episode is not None and isinstance(spec.episode.steps, str):
        try:
            _integer_parameter(p, spec.episode.steps, p.where("episode", "steps"))
        except MarkovwireError as e:
            errors.append(e)
    for i, s in enumerate(spec.sweeps):
        where = p.where("sweeps", i, "parameter")
        if s.parameter not in p.all_parameters:
            close = difflib.get_close_matches(s.parameter, list(p.all_parameters), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            errors.append(ParameterError(where, f"unknown parameter {s.parameter!r}{hint}",
                                         fix=f"sweep one of: {', '.join(sorted(p.parameters))}"))
            continue
        try:
            p.all_parameters[s.parameter].check(np.array([s.start, s.stop]))
        except MarkovwireError as e:
            errors.append(placed(e, p.where("sweeps", i)))
    for name, adv in spec.adversary.items():
        check_choice(p, "adversary", name, adv, errors)
    check_blue(p, errors)


def _check_analyses(p: Proposal, errors: list) -> None:
    """Credal entries name queries, parameters and instances that exist; claims name wires that exist."""
    spec = p.spec
    for name, c in spec.credal.items():
        where = lambda *k: p.where("credal", name, *k)
        if name in spec.queries or name in spec.adversary:
            errors.append(FileFormatError(where(), f"{name!r} is also the name of a query or adversary entry",
                                          fix="give credal entries their own names"))
        q = spec.queries.get(c.query)
        if q is None:
            close = difflib.get_close_matches(c.query, list(spec.queries), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            errors.append(UnknownName(where("query"), f"unknown query {c.query!r}{hint}",
                                      fix=f"use one of: {', '.join(spec.queries) or 'no queries declared'}"))
        elif not q.is_linear:
            errors.append(FileFormatError(where("query"), f"query {c.query!r} is {q.what}",
                                          fix="bound a probability or an expectation"))
        elif q.given and p.system is not None:
            errors.append(FileFormatError(where("query"), f"query {c.query!r} conditions on evidence in an episode",
                                          fix="bound an unconditional query (credal bounds of episodes need one)"))
        if not c.intervals and not c.imprecise and not p.measured:
            errors.append(FileFormatError(where(), "bounds nothing imprecise",
                                          fix="give 'intervals' (parameter: [lo, hi]) or 'imprecise' (instance: "
                                              "credal set), or measure an instance from data ('data:' on it)"))
        for i in c.imprecise:
            if i in p.measured:
                errors.append(FileFormatError(where("imprecise", i), f"instance {i!r} already has a credal set from "
                                              "its data: entry", fix=f"remove {i!r} here, or its 'data:' entry"))
        for attempt in (lambda: intervals_of(p, c.intervals, "credal", name, "intervals"),
                        *(lambda i=i, s=s: imprecise_box(p, i, s, {}, "credal", name, "imprecise", i)
                          for i, s in c.imprecise.items())):
            try:
                attempt()
            except MarkovwireError as e:
                errors.extend(flatten(e))
    for i, c in enumerate(spec.claims):
        try:
            claim(p, c, i)
        except MarkovwireError as e:
            errors.extend(flatten(e))
    for name, c in spec.natural_latent.items():
        try:
            prepare_latent(p, name, c)
        except MarkovwireError as e:
            errors.extend(flatten(e))


# ----- sweeps and results ---------------------------------------------------------------------
def sweep_grid(sweeps: Sequence[SweepSpec | tuple], where: str | Place = "sweep") -> tuple[dict[str, np.ndarray],
                                                                                         dict[str, np.ndarray]]:
    """``(axes, values)``: each swept parameter's points, and the flattened grid to pass as values.

    A grid of more points than the sweep limit (:func:`markovwire.limits.check_points`) is refused, at
    ``where``, before anything is allocated."""
    axes, counts = {}, {}
    for s in sweeps:
        name, start, stop, count = (s.parameter, s.start, s.stop, s.count) if isinstance(s, SweepSpec) else s
        if name in axes or name in counts:
            raise ParameterError(f"sweep of {name!r}", "is given twice", fix="sweep each parameter once")
        counts[name] = int(count)
    check_points(counts, where)
    for s in sweeps:
        name, start, stop, count = (s.parameter, s.start, s.stop, s.count) if isinstance(s, SweepSpec) else s
        axes[name] = np.linspace(start, stop, int(count))
    if not axes:
        return {}, {}
    mesh = np.meshgrid(*axes.values(), indexing="ij")
    return axes, {n: m.reshape(-1) for n, m in zip(axes, mesh)}


def to_jsonable(results: Mapping[str, Any], shape: tuple[int, ...] | None = None) -> dict:
    """Results as JSON-ready data: numbers, lists aligned with swept values, and analysis results (their
    ``to_dict()``; along a sweep, ``{"value" or "lower"/"upper": [...], "points": [one dict per point]}``)."""
    def conv(v):
        if hasattr(v, "to_dict"):   # worst cases, bounds
            return v.to_dict()
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        if isinstance(v, np.ndarray):
            if v.dtype == object:
                items = [conv(x) for x in v.reshape(-1)]
                if items and all(isinstance(x, dict) for x in items):   # one analysis result per sweep point
                    out = {k: [x[k] for x in items] for k in ("value", "lower", "upper") if all(k in x for x in items)}
                    return {**out, "points": items}
                return items
            return [number(x) for x in v.reshape(-1)]
        if isinstance(v, (float, np.floating)):
            return number(v)
        return v

    def number(x) -> float | str | None:   # NaN (evidence of probability zero at a sweep point) is null;
        x = float(x)                        # an infinite KL divergence is "inf", a value JSON can carry
        return None if x != x else x if abs(x) != math.inf else ("inf" if x > 0 else "-inf")
    return {k: conv(v) for k, v in results.items()}


def _assemble(parts: list, shape: tuple[int, ...], chunks: list[tuple]):
    """Chunks of one query's results joined and shaped like the sweep (a single result repeated)."""
    first = parts[0]
    if not shape:
        return first
    if isinstance(first, dict):
        return {k: _assemble([p[k] for p in parts], shape, chunks) for k in first}
    n = int(np.prod(shape))
    if not isinstance(first, (float, int, np.floating, np.ndarray)):
        arr = np.empty(n, dtype=object)
        for x, (a, b) in zip(parts, chunks):
            arr[slice(a, b) if a is not None else slice(None)] = [x] * ((b - a) if a is not None else n)
        return arr.reshape(shape)
    if chunks[0][0] is None:
        return np.broadcast_to(np.asarray(first, dtype=float), (n,)).reshape(shape).copy()
    flat = np.concatenate([np.broadcast_to(np.atleast_1d(np.asarray(x, dtype=float)), (b - a,))
                           for x, (a, b) in zip(parts, chunks)])
    return flat.reshape(shape)


def _scalar(x):
    x = np.asarray(x, dtype=float)
    return float(x) if x.ndim == 0 else x


# ----- files -----------------------------------------------------------------------------------
def _plain(value):
    """Plain Python data (dicts, lists, numbers, text) from models and tuples."""
    from pydantic import BaseModel
    if isinstance(value, BaseModel):
        return value.model_dump(mode="python", exclude_defaults=True)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def spec_data(spec: ProposalFile) -> dict:
    """A proposal as plain data in the normal form of its files: defaults left out, libraries named, the
    schema's order of keys, whole numbers as integers. Two specs differ exactly where their data differ."""
    data = spec.model_dump(mode="python", exclude_defaults=True)
    data.setdefault("libraries", list(spec.libraries))
    return {k: _whole(data[k]) for k in ProposalFile.model_fields if k in data}


def dump_spec(spec: ProposalFile) -> str:
    """The YAML text of a proposal (:func:`spec_data`); loading it gives the same spec back."""
    return yaml.safe_dump(spec_data(spec), sort_keys=False, allow_unicode=True, width=100)


def _whole(value):
    """Whole floats written as integers (``T: 5000``, not ``5000.0``); they load back as the same number."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
        return int(value)
    if isinstance(value, dict):
        return {k: _whole(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole(v) for v in value]
    return value


