"""The schema of component-library and proposal files, as strict pydantic models.

The models are the file format: unknown keys are refused, nothing is coerced
(``"2"`` is not a number), every list, mapping and string is bounded so that a
file cannot ask for unbounded memory. ``markovwire schema`` prints their JSON
Schema so that editors can validate YAML as it is typed.

>>> spec = LibraryFile.model_validate({"name": "coins", "version": "1",
...     "types": {"Coin": ["heads", "tails"]},
...     "parameters": {"p": {"domain": [0, 1], "default": 0.5}},
...     "components": {"coin": {"outputs": {"coin": "Coin"}, "parameters": ["p"],
...                             "kernel": {"table": {"heads": "p", "tails": "1 - p"}}}}})
>>> spec.components["coin"].kernel.kind
'table'

Integers are accepted where a label is expected (``Score: [1, 2, 3]``) and become
strings; everything else is taken exactly as written.
"""
from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Union

from annotated_types import Len
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator
from typing_extensions import TypeAliasType

from markovwire.diagrams.yamlsafe import written

MAX_ITEMS = 4096          # entries of one list or mapping
MAX_NAME = 64
MAX_LABEL = 64
MAX_TEXT = 20_000          # docs
MAX_EXPR = 2_000           # expressions and diagram syntax


def _label(value):
    """Integers (not booleans) written as labels become strings, as the file wrote them (``010`` stays ``"010"``)."""
    return written(value) if isinstance(value, int) and not isinstance(value, bool) else value


Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", max_length=MAX_NAME)]
QualName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)?$",
                                            max_length=2 * MAX_NAME + 1)]
Label = Annotated[str, BeforeValidator(_label, json_schema_input_type=Union[str, int]),
                  StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.+\-]*$", max_length=MAX_LABEL)]
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
Expr = Annotated[str, StringConstraints(min_length=1, max_length=MAX_EXPR)]
TypeRef = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Number = float
Value = Union[Number, Expr]
"""A number, or an expression in parameters such as ``"1 - r"`` or ``"Phi(mu - 1)"``."""

TableNode = TypeAliasType("TableNode", Union[Value, Annotated[dict[Label, "TableNode"], Len(1, MAX_ITEMS)]])
FunctionNode = TypeAliasType("FunctionNode", Union[
    Label, Annotated[list[Label], Len(1, 64)], Annotated[dict[Label, "FunctionNode"], Len(1, MAX_ITEMS)]])
Argument = TypeAliasType("Argument", Union[
    Value, bool, Annotated[list["Argument"], Len(0, MAX_ITEMS)],
    Annotated[dict[Label, "Argument"], Len(0, MAX_ITEMS)]])


class Model(BaseModel):
    """Strict, closed and immutable: the settings every file model shares."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, populate_by_name=False)


# ----- component-library files ---------------------------------------------------
class ParameterSpec(Model):
    """A real parameter: its domain ``[lo, hi]``, an optional default and a line of doc."""

    domain: Annotated[list[Number], Len(2, 2)] = Field(description="closed interval [low, high]")
    default: Number | None = None
    doc: Text = ""
    integer: bool = False


TypeSpec = Union[Annotated[list[Label], Len(1, MAX_ITEMS)], TypeRef]
"""A finite set by its elements (``[pass, flag]``), or a family/alias (``Range(5)``, ``Vec(Verdict, 3)``)."""


class KernelSpec(Model):
    """A component's kernel: exactly one of a table, a function table or a named construction.

    ``table`` nests one mapping per input port (by label), then per output port;
    entries are numbers or expressions and missing entries are zero. ``function``
    nests one mapping per input port and ends in the output label (a list of
    labels for several outputs). ``construction`` names a built-in kernel
    construction (see ``markovwire.library.constructions``) with its ``args``.
    """

    table: Annotated[dict[Label, TableNode], Len(1, MAX_ITEMS)] | None = None
    function: Annotated[dict[Label, FunctionNode], Len(1, MAX_ITEMS)] | None = None
    construction: Name | None = None
    args: Annotated[dict[Name, Argument], Len(0, 64)] = {}

    @model_validator(mode="after")
    def _one_kind(self):
        given = [k for k in ("table", "function", "construction") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'table', 'function' or 'construction'"
                             + (f" (got {', '.join(given)})" if given else ""))
        if self.args and self.construction is None:
            raise ValueError("'args' belongs to a 'construction'")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in ("table", "function", "construction") if getattr(self, k) is not None)


Ports = Annotated[dict[Name, TypeRef], Len(0, 64)]


class ComponentSpec(Model):
    """A component: typed ports, the parameters its kernel uses, the kernel, its meaning and source."""

    doc: Text = ""
    source: Text = ""
    inputs: Ports = {}
    outputs: Ports = {}
    parameters: Annotated[list[Name], Len(0, 256)] = []
    kernel: KernelSpec
    state: TypeRef | None = Field(None, description="the state type of a stateful component; its kernel then "
                                  "reads and writes a port 'state' first, before the other ports")
    initial: Annotated[dict[Label, TableNode], Len(1, MAX_ITEMS)] | None = Field(
        None, description="the initial distribution of the state (label: probability)")


class LibraryFile(Model):
    """A component-library file."""

    name: Name
    version: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z.+\-]+$", max_length=32)]
    doc: Text = ""
    types: Annotated[dict[Name, TypeSpec], Len(0, MAX_ITEMS)] = {}
    parameters: Annotated[dict[Name, ParameterSpec], Len(0, MAX_ITEMS)] = {}
    components: Annotated[dict[Name, ComponentSpec], Len(0, MAX_ITEMS)] = {}


# ----- proposal files --------------------------------------------------------------
def _value(value):
    """A data file's value written as a YAML key: ``true`` as ``"true"``, ``1`` as ``"1"`` (how a row is read)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _label(value)


Column = Annotated[str, StringConstraints(min_length=1, max_length=200)]
ValueKey = Annotated[str, BeforeValidator(_value, json_schema_input_type=Union[str, int, bool]),
                     StringConstraints(max_length=200)]
LabelMap = TypeAliasType("LabelMap", Union[Label, Annotated[dict[ValueKey, "LabelMap"], Len(1, MAX_ITEMS)]])


class DataSpec(Model):
    """A component's kernel measured from samples (:mod:`markovwire.library.data`): the file, which column
    holds each port, and the credal set's method and confidence (:mod:`markovwire.estimate`)."""

    file: Annotated[str, StringConstraints(min_length=1, max_length=1000)] = Field(
        description="a CSV (.csv) or JSON Lines (.jsonl) file, one sample per row, relative to the proposal")
    columns: Annotated[dict[Name, Union[Column, Annotated[list[Column], Len(1, 8)]]], Len(1, 64)] = Field(
        description="port: the column holding it (or a list of columns read together, with 'labels')")
    labels: Annotated[dict[Name, Annotated[dict[ValueKey, LabelMap], Len(1, MAX_ITEMS)]], Len(0, 64)] = Field(
        {}, description="port: {column value: label} where they differ (nested per column, '_' for any value)")
    bins: Annotated[dict[Name, Annotated[list[Number], Len(2, MAX_ITEMS)]], Len(0, 64)] = Field(
        {}, description="port: increasing edges; a numeric column's bin i is the port's label i")
    method: Literal["clopper_pearson", "idm"] = "clopper_pearson"
    confidence: Annotated[float, Field(gt=0, lt=1)] = 0.95
    simultaneous: bool = Field(False, description="Clopper-Pearson with Bonferroni over the kernel's entries")
    s: Annotated[float, Field(gt=0, le=1000)] | None = Field(None, description="the IDM's prior strength (2)")
    empty: Literal["refuse", "uniform"] = Field(
        "refuse", description="the point kernel's rule for an input row without samples")

    @model_validator(mode="after")
    def _method_options(self):
        if self.s is not None and self.method != "idm":
            raise ValueError("'s' belongs to method: idm (write method: idm, or remove s)")
        if self.simultaneous and self.method != "clopper_pearson":
            raise ValueError("'simultaneous' belongs to method: clopper_pearson (remove it for the IDM)")
        return self


class InstanceSpec(Model):
    """One use of a component, with parameters fixed to numbers or to expressions in other parameters."""

    component: QualName = Field(description="component name, or 'library.component'")
    parameters: Annotated[dict[Name, Value], Len(0, 256)] = {}
    tv_radius: Annotated[float, Field(ge=0, le=1)] | None = Field(
        None, description="reality's kernel is within this total-variation distance of the model's, in every row")
    data: DataSpec | None = Field(None, description="the kernel measured from samples, with its credal set")
    doc: Text = ""


Wire = Annotated[str, StringConstraints(
    pattern=r"^\s*[A-Za-z][A-Za-z0-9_]*\.[A-Za-z][A-Za-z0-9_]*\s*->\s*[A-Za-z][A-Za-z0-9_]*\.[A-Za-z][A-Za-z0-9_]*\s*$",
    max_length=300)]


class WiringSpec(Model):
    """A wiring diagram: outer ports and wires ``"box.port -> box.port"`` (``in.x``, ``out.y`` for outer ports)."""

    inputs: Ports = {}
    outputs: Ports = {}
    wires: Annotated[list[Wire], Len(1, MAX_ITEMS)]


WireName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)?$",
                                            max_length=2 * MAX_NAME + 1)]
Event = Annotated[dict[WireName, Union[Label, Annotated[list[Label], Len(1, MAX_ITEMS)]]], Len(1, 64)]


class ExpectationSpec(Model):
    """The expectation of a table of numbers over the labels of output wires (nested in ``of`` order)."""

    of: Annotated[list[WireName], Len(1, 8)]
    values: Annotated[dict[Label, TableNode], Len(1, MAX_ITEMS)]
    unit: Annotated[str, StringConstraints(max_length=40)] | None = Field(
        None, description="the unit of the values (nats, tasks, ...), written on plot axes")


Wires = Annotated[list[WireName], Len(1, 8)]
Unit = Literal["nats", "bits"]


class EntropySpec(Model):
    """``H(of | given)``: the entropy of the wires' joint law, conditional on other wires (averaged over them)."""

    of: Wires
    given: Annotated[list[WireName], Len(0, 8)] = []
    unit: Unit = "nats"


class MutualInformationSpec(Model):
    """``I(A; B | given)`` between two groups of wires."""

    between: Annotated[list[Wires], Len(2, 2)]
    given: Annotated[list[WireName], Len(0, 8)] = []
    unit: Unit = "nats"


class DivergenceSpec(Model):
    """The divergence of the law of ``of`` from a reference: other wires (a list, their law), the name of a
    ``distribution`` query, or a table of probabilities nested in ``of`` order (missing labels count 0)."""

    of: Wires
    against: Union[Wires, Name, Annotated[dict[Label, TableNode], Len(1, MAX_ITEMS)]]
    unit: Unit = "nats"


KINDS = ("probability", "expectation", "distribution", "entropy", "mutual_information", "kl", "tv")


class QuerySpec(Model):
    """A named question about the proposal's outputs: exactly one of probability, expectation, distribution,
    entropy, mutual_information, kl or tv.

    ``probability`` is an event (wire -> label or list of labels, all wires at once);
    ``given`` conditions on observed labels; ``inputs`` fixes labels of outer inputs.
    Wires are outer ports by name, ``box.port`` for any other wire, or a stateful
    instance's name for its state. In an episode, ``steps`` asks about an earlier step.
    Information quantities are in nats unless ``unit: bits``.
    """

    probability: Event | None = None
    expectation: ExpectationSpec | None = None
    distribution: Wires | None = None
    entropy: EntropySpec | None = None
    mutual_information: MutualInformationSpec | None = None
    kl: DivergenceSpec | None = None
    tv: DivergenceSpec | None = None
    given: Annotated[dict[WireName, Label], Len(0, 64)] = {}
    inputs: Annotated[dict[Name, Label], Len(0, 64)] = {}
    steps: Union[Annotated[int, Field(ge=1, le=10_000_000)], Name, None] = None
    doc: Text = ""

    @model_validator(mode="after")
    def _one_kind(self):
        given = [k for k in KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(repr(k) for k in KINDS)}"
                             + (f" (got {', '.join(given)})" if given else ""))
        return self

    @property
    def kind(self) -> str:
        return next(k for k in KINDS if getattr(self, k) is not None)

    @property
    def is_linear(self) -> bool:
        """A probability or an expectation: one number, linear in the law, which bounds and optimisers need."""
        return self.kind in ("probability", "expectation")

    @property
    def what(self) -> str:
        """What the query is, for a message: "a distribution", "an entropy", ..."""
        return {"probability": "a probability", "expectation": "an expectation", "distribution": "a distribution",
                "entropy": "an entropy", "mutual_information": "a mutual information", "kl": "a KL divergence",
                "tv": "a total-variation distance"}[self.kind]

    @property
    def read(self) -> list[str]:
        """The wire names the query reads, in order (a divergence's reference wires not included)."""
        spec = getattr(self, self.kind)
        if self.kind in ("probability", "distribution"):    # an event's wires, or the law's
            return list(spec)
        if self.kind == "mutual_information":
            return [*spec.between[0], *spec.between[1], *spec.given]
        return list(spec.of) + (list(spec.given) if self.kind == "entropy" else [])


class SweepSpec(Model):
    """``count`` evenly spaced values of ``parameter`` from ``start`` to ``stop`` (inclusive)."""

    parameter: Name
    start: Number
    stop: Number
    count: Annotated[int, Field(ge=1, le=100_000)]


class ChoiceSpec(Model):
    """What one side of a game chooses to optimise a named query: parameters (``over``), or a whole instance's
    kernel, any kernel of its signature that reads only the ports it ``observes``."""

    WHO: ClassVar[str] = "the chooser"         # for messages: who chooses, and what the entry is called
    ENTRY: ClassVar[tuple[str, str]] = ("a", "choice")

    query: Name
    over: Annotated[list[Name], Len(0, 8)] = []
    instance: Name | None = Field(None, description="the instance whose kernel is chosen")
    observes: Annotated[list[Name], Len(0, 16)] | None = Field(
        None, description="the instance's input ports the choice sees (default: all)")
    sense: Literal["max", "min"]
    bounds: Annotated[dict[Name, Annotated[list[Number], Len(2, 2)]], Len(0, 8)] = Field(
        {}, description="narrower search ranges than the parameters' domains")
    grid: Annotated[int, Field(ge=3, le=100_000)] | None = Field(None, description="grid points per parameter")
    lipschitz: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = Field(
        None, description="a bound on the query's change per unit of each parameter chosen: certifies a bracket")
    doc: Text = ""

    @model_validator(mode="after")
    def _one_kind(self):
        if bool(self.over) == (self.instance is not None):
            raise ValueError(f"give exactly one of 'over' (parameters {self.WHO} chooses) or 'instance' "
                             "(an instance whose whole kernel it chooses)")
        if self.instance is None and self.observes is not None:
            raise ValueError(f"'observes' belongs to an 'instance' {self.ENTRY[1]}")
        if self.instance is not None and (self.bounds or self.grid is not None or self.lipschitz is not None):
            raise ValueError(f"'bounds', 'grid' and 'lipschitz' belong to {' '.join(self.ENTRY)} choosing "
                             "parameters ('over')")
        return self


class AdversarySpec(ChoiceSpec):
    """An adversary minimising or maximising a named query (a worst case): it chooses parameters (``over``), or
    replaces a whole instance by any kernel of its signature that reads only the ports it ``observes``."""

    WHO: ClassVar[str] = "the adversary"
    ENTRY: ClassVar[tuple[str, str]] = ("an", "adversary")


class ConstraintSpec(Model):
    """A bound the blue team's choice must keep: ``query`` (which must not depend on the red team's choice, such
    as the audit rate on honest traffic) at most ``at_most`` and/or at least ``at_least``."""

    query: Name
    at_most: Number | None = None
    at_least: Number | None = None
    doc: Text = ""

    @model_validator(mode="after")
    def _a_bound(self):
        if self.at_most is None and self.at_least is None:
            raise ValueError("give 'at_most' or 'at_least' (or both)")
        if self.at_most is not None and self.at_least is not None and self.at_least > self.at_most:
            raise ValueError(f"'at_least' {self.at_least:g} is above 'at_most' {self.at_most:g}")
        return self


class BlueSpec(ChoiceSpec):
    """The blue team's choice in a control game: parameters (``over``: thresholds, audit and defer rates) or an
    instance's policy (``instance`` with ``observes``) optimising ``query`` (``sense``, default max) against the
    red team's best reply (the adversary entries named in ``against``; default: those on the same query), keeping
    its ``constraints``. ``markovwire solve`` and ``markovwire frontier`` read it."""

    WHO: ClassVar[str] = "the blue team"
    ENTRY: ClassVar[tuple[str, str]] = ("a", "blue entry")

    sense: Literal["max", "min"] = "max"
    constraints: Annotated[list[ConstraintSpec], Len(0, 16)] = Field(
        [], description="bounds on queries that do not depend on the red team, e.g. the audit rate on honest "
                        "traffic at most 0.05")
    against: Annotated[list[Name], Len(1, 8)] | None = Field(
        None, description="the adversary entries that are the red team's choices (default: those on 'query')")
    stationary: bool = Field(False, description="in an episode, keep one kernel of the instance for every step "
                                                "(no policy by step and state from dynamic programming)")

    @model_validator(mode="after")
    def _stationary_instance(self):
        if self.stationary and self.instance is None:
            raise ValueError("'stationary' belongs to a blue entry choosing an 'instance'")
        return self


Bound = Annotated[list[Value], Len(2, 2)]
IntervalNode = TypeAliasType("IntervalNode", Union[Value, Bound, Annotated[dict[Label, "IntervalNode"],
                                                                         Len(1, MAX_ITEMS)]])


class ImpreciseSpec(Model):
    """An instance known only up to a credal set: a table whose entries may be intervals ``[lo, hi]``
    (nested like a component's table), or the finite list of its extreme tables."""

    table: Annotated[dict[Label, IntervalNode], Len(1, MAX_ITEMS)] | None = None
    vertices: Annotated[list[Annotated[dict[Label, TableNode], Len(1, MAX_ITEMS)]], Len(1, 256)] | None = None

    @model_validator(mode="after")
    def _one_kind(self):
        if (self.table is None) == (self.vertices is None):
            raise ValueError("give exactly one of 'table' (entries or intervals [lo, hi]) or 'vertices' "
                             "(a list of tables)")
        return self


class CredalSpec(Model):
    """Lower and upper values of a named query when parameters lie in intervals and instances in credal sets.

    Instances with a ``data:`` entry take part with their credal sets, as if listed in ``imprecise``.
    In an episode both semantics are reported: ``adaptive`` (the components may change at
    every step, as an adaptive red team would: exact, by the lower transition operator)
    and ``fixed`` (one unknown choice for the whole episode: the range over the vertices).
    """

    query: Name
    intervals: Annotated[dict[Name, Bound], Len(0, 16)] = Field(
        {}, description="parameter: [low, high] (numbers or constants)")
    imprecise: Annotated[dict[Name, ImpreciseSpec], Len(0, 16)] = Field(
        {}, description="instance: its credal set")
    max_combinations: Annotated[int, Field(ge=1, le=10_000_000)] = Field(
        20_000, description="for a net, the vertex combinations enumerated exactly (more are sampled); for an "
                            "episode, a cap on the enumeration when written here (otherwise the memory and cost "
                            "budgets decide)")
    doc: Text = ""



class ClaimSpec(Model):
    """A claim about information flow in the wiring, checked by d-separation: exactly one of
    ``never_sees`` (an instance never receives information from a wire), ``cannot_affect`` (no
    directed path from an instance or wire to a wire) or ``independent`` (``a ⊥ b | given``)."""

    never_sees: Annotated[list[WireName], Len(2, 2)] | None = Field(None, description="[instance, wire]")
    cannot_affect: Annotated[list[WireName], Len(2, 2)] | None = Field(None, description="[instance or wire, wire]")
    independent: Annotated[list[Annotated[list[WireName], Len(1, 16)]], Len(2, 3)] | None = Field(
        None, description="[[wires a], [wires b]] or [[a], [b], [given]]")
    doc: Text = ""

    @model_validator(mode="after")
    def _one_kind(self):
        given = [k for k in ("never_sees", "cannot_affect", "independent") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'never_sees', 'cannot_affect' or 'independent'"
                             + (f" (got {', '.join(given)})" if given else ""))
        return self

    @property
    def kind(self) -> str:
        return next(k for k in ("never_sees", "cannot_affect", "independent") if getattr(self, k) is not None)


Observable = Union[WireName, Annotated[list[WireName], Len(1, 16)]]


class NaturalLatentSpec(Model):
    """A natural-latent check: the mediation and redundancy errors of ``latent`` over ``observables`` (each a
    wire, or a list of wires taken jointly), and whether both are at most ``epsilon``
    (:mod:`markovwire.analysis.latents`; Wentworth and Lorell's definitions)."""

    latent: Observable = Field(description="the latent wire (or wires, jointly)")
    observables: Annotated[list[Observable], Len(0, 16)] = Field(   # none: refused with a fix when compiled
        description="the observables X1..Xn (at least one): each a wire or a list of wires taken jointly")
    epsilon: Annotated[Number, Field(ge=0)] | None = Field(
        None, description="judge the latent natural when every error is at most this (in unit)")
    unit: Literal["nats", "bits"] = "nats"
    given: Annotated[dict[WireName, Label], Len(0, 64)] = {}
    inputs: Annotated[dict[Name, Label], Len(0, 64)] = {}
    doc: Text = ""


class EpisodeSpec(Model):
    """A multi-step episode: the diagram (with stateful components) is one step, repeated ``steps`` times.

    ``steps`` is a whole number or the name of an integer parameter. Queries then ask
    about the states (named by their instance) after the last step, and about the
    other wires during it (or during step ``steps`` of the query, when it gives one).
    """

    steps: Union[Annotated[int, Field(ge=0, le=10_000_000)], Name]


class ProposalFile(Model):
    """A proposal: libraries, component instances, how they are wired, and what to ask."""

    name: Name
    doc: Text = ""
    libraries: Annotated[list[Annotated[str, StringConstraints(min_length=1, max_length=1000)]],
                         Len(0, 64)] = ["alignment"]
    parameters: Annotated[dict[Name, Union[Number, Expr, ParameterSpec]], Len(0, MAX_ITEMS)] = Field(
        {}, description="values for the libraries' parameters (a number or a constant such as '71/18000'), "
                        "or declarations of new ones")
    instances: Annotated[dict[Name, InstanceSpec], Len(1, MAX_ITEMS)]
    diagram: Annotated[str, StringConstraints(min_length=1, max_length=MAX_EXPR)] | None = None
    wiring: WiringSpec | None = None
    episode: EpisodeSpec | None = None
    queries: Annotated[dict[Name, QuerySpec], Len(0, 256)] = {}
    sweeps: Annotated[list[SweepSpec], Len(0, 4)] = []
    adversary: Annotated[dict[Name, AdversarySpec], Len(0, 64)] = {}
    blue: Annotated[dict[Name, BlueSpec], Len(0, 64)] = Field(
        {}, description="the blue team's choices in control games (markovwire solve, markovwire frontier)")
    credal: Annotated[dict[Name, CredalSpec], Len(0, 64)] = {}
    claims: Annotated[list[ClaimSpec], Len(0, 256)] = Field(
        [], description="information-flow claims about the wiring, checked by d-separation")
    natural_latent: Annotated[dict[Name, NaturalLatentSpec], Len(0, 64)] = Field(
        {}, description="natural-latent checks: mediation and redundancy errors of a latent over observables")

    @model_validator(mode="after")
    def _one_wiring(self):
        if (self.diagram is None) == (self.wiring is None):
            raise ValueError("give exactly one of 'diagram' (a string-diagram expression) or 'wiring'")
        return self


def json_schemas() -> dict:
    """The JSON Schema of both file kinds, keyed ``library`` and ``proposal``."""
    return {"library": LibraryFile.model_json_schema(), "proposal": ProposalFile.model_json_schema()}
