"""Diagram files: wiring diagrams saved to and loaded from YAML, validated by pydantic models.

A diagram file declares its finite types and parameters, then the diagram:
outer ports, boxes and wires. A box is an inline kernel (a table by labels,
inputs first, then outputs; entries are numbers or expressions in the
parameters, parsed by :func:`markovwire.expr.parse_expression`), a library
component (``component: NAME``, resolved by the ``resolve`` callback the
caller passes), a nested wiring diagram (``diagram:``), or plumbing
(``plumbing: copy``). Wires are ``"box.port -> box.port"`` strings or
``{from: ..., to: ...}`` mappings.

.. code-block:: yaml

    name: control
    types:
      Act: [clean, attack]
      Verdict: [pass, flag]
    parameters:
      recall: {domain: [0, 1], default: 0.7, doc: monitor recall on attacks}
    outputs: {verdict: Verdict}
    boxes:
      policy:
        outputs: {act: Act}
        kernel: {clean: 0.9, attack: 0.1}
      monitor:
        inputs: {act: Act}
        outputs: {verdict: Verdict}
        kernel:
          clean: {pass: 0.95, flag: 0.05}
          attack: {pass: 1 - recall, flag: recall}
    wires:
      - policy.act -> monitor.act
      - monitor.verdict -> out.verdict

Every mistake is reported with its file, line and key, all at once:

>>> bad = "name: d\\ntypes: {V: [pass, flag]}\\nboxes:\\n  m:\\n    outputs: {v: V}\\n    kernel: {pass: 0.5}\\n"
>>> parse_diagram(bad, filename="proposal.yaml")
Traceback (most recent call last):
...
markovwire.errors.NotStochastic: proposal.yaml:6: boxes.m.kernel: the distribution sums to 0.5, not 1
  fix: make each row sum to one

The models are the schema (:func:`diagram_json_schema`); a saved file loads back
to the same diagram, with kernels equal entry for entry.
"""
from __future__ import annotations

import difflib
import itertools
import os
import re
from dataclasses import replace
from typing import Any, Callable, Literal, Mapping, Optional

import sympy
import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from typing_extensions import Annotated

from markovwire import FAMILIES, FinSet, Kernel, Parameter, Port
from markovwire.errors import (
    ErrorList,
    ExpressionError,
    FileFormatError,
    MarkovwireError,
    NotStochastic,
    ParameterError,
    TypeMismatch,
    UnknownName,
)
from markovwire.expr import format_expression, parse_expression

from .atomic import write_atomic
from .compile import is_stateful
from .expression import Box
from .wiring import PortRef, Wire, WiringDiagram
from .yamlsafe import MAX_BYTES, Located, dotted, load_yaml, read_text, written

VERSION = 1
MAX_BOXES, MAX_WIRES, MAX_PORTS, MAX_TYPES, MAX_PARAMS = 2_000, 20_000, 64, 2_000, 2_000
MAX_LABELS = 100_000  # elements of one declared type
MAX_ENTRIES = 10_000_000  # entries of one kernel written in a file (diagram or library), checked before allocation
MAX_ERRORS = 100  # problems reported from one file
MAX_TEXT = 10_000


def check_entries(ports, where, fix: str) -> int:
    """The number of entries of a kernel on ``ports`` (inputs then outputs), refused past :data:`MAX_ENTRIES`.

    Both kinds of file call it before a kernel's array is allocated or its table read, so a
    ``Range(1000000) -> Range(1000000)`` entry is refused at once instead of asking for terabytes.

    >>> check_entries([Port("a", FinSet("T", range(1000))), Port("b", FinSet("U", range(100_000)))], "kernel", "fix")
    Traceback (most recent call last):
    ...
    markovwire.errors.FileFormatError: kernel: would have 100,000,000 entries (a: T of 1,000 × b: U of 100,000), \
more than the limit of 10,000,000
      fix: fix
    """
    sizes = [len(p.type) for p in ports]
    size = 1
    for n in sizes:  # whole numbers: no overflow, however many ports
        size *= n
    if size > MAX_ENTRIES:
        shown = " × ".join(f"{p.name}: {p.type.name} of {n:,}" for p, n in zip(ports[:8], sizes))
        shown += f" × ... ({len(ports)} ports)" if len(ports) > 8 else ""
        raise FileFormatError(where, f"would have {size:,} entries ({shown}), more than the limit of {MAX_ENTRIES:,}",
                              fix=fix)
    return size

Resolver = Callable[[str, Mapping[str, Any]], Any]


# ----- the schema -----------------------------------------------------------------------
def _label(value):
    """Element labels are text; YAML integers are accepted as their digits."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{value!r} is read by YAML as {'a boolean' if value is not None else 'null'}, "
                         "not a label; quote it")
    if isinstance(value, int):
        return written(value)  # as the file wrote it: 010 stays "010"
    if isinstance(value, float):
        raise ValueError(f"{value!r} is a number, not a label; quote it")
    return value


Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Label = Annotated[str, BeforeValidator(_label), StringConstraints(min_length=1, max_length=200)]
TypeRef = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Ports = Annotated[dict[Name, TypeRef], Field(max_length=MAX_PORTS)]
_TABLE_SCHEMA = {"type": "object", "description": "nested mappings by element labels, one level per input and "
                 "then per output; leaves are probabilities: numbers or expressions in the parameters",
                 "additionalProperties": {"anyOf": [{"type": "number"}, {"type": "string"}, {"type": "object"}]}}
Table = Annotated[dict, Field(max_length=MAX_LABELS), WithJsonSchema(_TABLE_SCHEMA)]  # checked when built


class _Model(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, populate_by_name=True)


class ParameterModel(_Model):
    """A real parameter with a closed domain, a default and a line of documentation."""

    domain: Optional[Annotated[list[float], Field(min_length=2, max_length=2)]] = None
    default: Optional[float] = None
    doc: Text = ""
    integer: bool = False


class WireModel(_Model):
    """A wire ``from`` an output (or ``in.port``) ``to`` an input (or ``out.port``)."""

    source: Name = Field(alias="from")
    target: Name = Field(alias="to")

    @model_validator(mode="before")
    @classmethod
    def _arrow(cls, data):
        if isinstance(data, str):
            parts = re.split(r"\s*(?:->|→)\s*", data.strip())
            if len(parts) != 2 or not all(parts):
                raise ValueError(f"{data!r} is not a wire; write 'box.port -> box.port'")
            return {"from": parts[0], "to": parts[1]}
        return data


class BoxModel(_Model):
    """An inner box: exactly one of ``kernel``, ``component``, ``diagram`` or ``plumbing``."""

    name: Optional[Name] = None
    doc: Text = ""
    inputs: Optional[Ports] = None
    outputs: Optional[Ports] = None
    kernel: Optional[Table] = None
    parameters: Optional[Annotated[list[Name], Field(max_length=MAX_PARAMS)]] = None
    component: Optional[Name] = None
    with_: Optional[Annotated[dict[Name, Any], Field(max_length=MAX_PARAMS)]] = Field(None, alias="with")
    diagram: Optional["WiringModel"] = None
    plumbing: Optional[Literal["copy", "discard", "identity", "swap", "permute"]] = None
    types: Optional[Annotated[list[TypeRef], Field(max_length=MAX_PORTS)]] = None
    n: Optional[Annotated[int, Field(ge=0, le=MAX_PORTS)]] = None
    order: Optional[Annotated[list[int], Field(max_length=MAX_PORTS)]] = None
    port: Optional[Name] = None

    @model_validator(mode="after")
    def _one_kind(self):
        kinds = [k for k in ("kernel", "component", "diagram", "plumbing") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("give exactly one of kernel, component, diagram or plumbing"
                             + (f" (found {', '.join(kinds)})" if kinds else ""))
        kind = kinds[0]
        allowed = {"kernel": {"name", "doc", "inputs", "outputs", "kernel", "parameters"},
                   "component": {"name", "inputs", "outputs", "component", "with_"},
                   "diagram": {"diagram"},
                   "plumbing": {"plumbing", "types", "n", "order", "port"}}[kind]
        extra = [f.rstrip("_") for f in self.model_fields_set if f not in allowed]
        if extra:
            raise ValueError(f"a {kind} box does not take {', '.join(sorted(extra))}")
        if kind == "kernel" and self.outputs is None:
            raise ValueError("a kernel box needs outputs (and inputs, unless it is a distribution)")
        return self


class WiringModel(_Model):
    """A (nested) wiring diagram: outer ports, inner boxes by instance name, wires."""

    name: Optional[Name] = None
    doc: Text = ""
    inputs: Ports = {}
    outputs: Ports = {}
    boxes: Annotated[dict[Name, BoxModel], Field(max_length=MAX_BOXES)] = {}
    wires: Annotated[list[WireModel], Field(max_length=MAX_WIRES)] = []


class DiagramFile(WiringModel):
    """A diagram file: finite types and parameters, then a wiring diagram."""

    version: Literal[1] = VERSION
    name: Name
    types: Annotated[dict[Name, Annotated[list[Label], Field(min_length=1, max_length=MAX_LABELS)]],
                     Field(max_length=MAX_TYPES)] = {}
    parameters: Annotated[dict[Name, ParameterModel], Field(max_length=MAX_PARAMS)] = {}


BoxModel.model_rebuild()


def diagram_json_schema() -> dict:
    """The JSON Schema of diagram files (for editors that validate YAML)."""
    return DiagramFile.model_json_schema(by_alias=True)


# ----- loading ----------------------------------------------------------------------------
def load_diagram(path: str | os.PathLike, resolve: Resolver | None = None) -> WiringDiagram:
    """The wiring diagram of a file; ``resolve(name, args)`` gives the box of a ``component:`` reference."""
    return parse_diagram(read_text(path, MAX_BYTES), filename=os.fspath(path), resolve=resolve)


def parse_diagram(text: str, filename: str = "<text>", resolve: Resolver | None = None) -> WiringDiagram:
    """The wiring diagram written in ``text`` (see :func:`load_diagram`)."""
    doc = load_yaml(text, filename)
    if doc.data is None:
        raise FileFormatError(filename, "is empty", fix="write a diagram: name, types, boxes, wires")
    try:
        model = DiagramFile.model_validate(doc.data)
    except ValidationError as err:
        _raise(_pydantic_errors(err, doc))
    return _Builder(doc, resolve).diagram(model)


class _Builder:
    """Builds a wiring diagram from a validated file, collecting every located problem."""

    def __init__(self, doc: Located, resolve: Resolver | None):
        self.doc, self.resolve = doc, resolve
        self.errors: list[MarkovwireError] = []
        self.types: dict[str, FinSet] = {}
        self.params: dict[str, Parameter] = {}

    def fail(self, path: tuple, err: MarkovwireError) -> None:
        """Record ``err`` at ``path`` of the file."""
        if isinstance(err, ErrorList):
            for e in err.errors:
                self.fail(path, e)
            return
        where = self.doc.where(path)
        self.errors.append(type(err)(f"{where}: {err.where}" if err.where else where, err.what, err.fix))

    def diagram(self, model: DiagramFile) -> WiringDiagram:
        for name, elements in model.types.items():
            try:
                self.types[name] = FinSet(name, elements)
            except MarkovwireError as err:
                self.fail(("types", name), err)
        for name, p in model.parameters.items():
            try:
                domain = tuple(p.domain) if p.domain is not None else (-float("inf"), float("inf"))
                self.params[name] = Parameter(name, domain, p.default, p.doc, p.integer)
            except MarkovwireError as err:
                self.fail(("parameters", name), err)
        _raise(self.errors)  # boxes read the types and parameters: stop before a cascade of errors
        wd = self.wiring(model, (), model.name)
        if not self.errors:
            for key, err in wd._located_problems():
                self.fail(key, err)
        _raise(self.errors)
        return wd

    def wiring(self, model: WiringModel, path: tuple, name: str) -> WiringDiagram:
        wd = WiringDiagram(name)
        wd.doc = model.doc
        for side in ("inputs", "outputs"):
            for port, ref in getattr(model, side).items():
                try:
                    t = self.type(ref)
                    (wd.add_input if side == "inputs" else wd.add_output)(port, t)
                except MarkovwireError as err:
                    self.fail(path + (side, port), err)
        for bname, bm in model.boxes.items():
            at = path + ("boxes", bname)
            try:
                box = self.box(bm, at, bname)
                if box is not None:
                    wd.add_box(bname, box)
            except MarkovwireError as err:
                self.fail(at, err)
        for i, w in enumerate(model.wires):
            try:
                wd.wires.append(Wire(PortRef.parse(w.source), PortRef.parse(w.target)))
            except MarkovwireError as err:
                self.fail(path + ("wires", i), err)
        return wd

    def type(self, ref: str) -> FinSet:
        """A declared type, or a family such as ``Range(3)`` or ``Vec(Verdict, 2)``."""
        if ref in self.types:
            return self.types[ref]
        return _type_expression(ref, self.types)

    def ports(self, ports: Mapping[str, str] | None, path: tuple) -> list[Port] | None:
        """The ports, or None when a type is wrong (recorded at the port's line)."""
        out, ok = [], True
        for n, t in (ports or {}).items():
            try:
                out.append(Port(n, self.type(t)))
            except MarkovwireError as err:
                self.fail(path + (n,), err)
                ok = False
        return out if ok else None

    def box(self, bm: BoxModel, path: tuple, name: str):
        if bm.diagram is not None:
            return self.wiring(bm.diagram, path + ("diagram",), bm.diagram.name or name)
        if bm.plumbing is not None:
            return self.plumbing(bm)
        if bm.component is not None:
            return self.component(bm)
        dom, cod = self.ports(bm.inputs, path + ("inputs",)), self.ports(bm.outputs, path + ("outputs",))
        if dom is None or cod is None:
            return None
        return self.kernel_box(bm, path, name, dom, cod)

    def plumbing(self, bm: BoxModel) -> Box:
        types = [self.type(t) for t in bm.types or []]
        want = {"copy": 1, "discard": 1, "identity": 1, "swap": 2}.get(bm.plumbing, len(bm.order or []))
        if types and len(types) != want:
            raise TypeMismatch("types", f"{bm.plumbing} takes {want} type(s), got {len(types)}",
                               fix="give one type per input, or none to infer them from the wires")
        if bm.plumbing != "copy" and bm.n is not None or bm.plumbing != "permute" and bm.order is not None \
                or bm.plumbing != "identity" and bm.port is not None:
            raise FileFormatError("", f"n applies to copy, order to permute and port to identity, not {bm.plumbing}",
                                  fix="remove the key")
        if bm.plumbing == "copy":
            return Box.copy(*types, n=2 if bm.n is None else bm.n)
        if bm.plumbing == "discard":
            return Box.discard(*types)
        if bm.plumbing == "identity":
            return Box.identity(*(types or [None]), port=bm.port)
        if bm.plumbing == "swap":
            return Box.swap(*types)
        if bm.order is None:
            raise FileFormatError("", "permute needs its order",
                                  fix="give order: [...], output j carries input order[j]")
        return Box.permute(bm.order, types or None)

    def component(self, bm: BoxModel):
        if self.resolve is None:
            raise UnknownName(f"component {bm.component!r}", "cannot be resolved: no library was given",
                              fix="load the file through markovwire.library (which resolves components), or "
                                  "inline the box's kernel")
        box = self.resolve(bm.component, dict(bm.with_ or {}))
        if isinstance(box, Kernel):
            box = Box.of(box)
        if not all(hasattr(box, a) for a in ("name", "dom", "cod")):
            raise UnknownName(f"component {bm.component!r}", f"resolved to {type(box).__name__}, not a box",
                              fix="the library's resolver must return a Box, Kernel, WiringDiagram or stateful box")
        if isinstance(box, Box):
            if not box.component:
                box = replace(box, component=bm.component, args=tuple((bm.with_ or {}).items()))
            if bm.name is not None:
                box = box.rename(bm.name)
        for side, ports, given in (("inputs", box.dom, bm.inputs), ("outputs", box.cod, bm.outputs)):
            if given is not None:
                want = [(n, self.type(t)) for n, t in given.items()]
                if [(p.name, p.type) for p in ports] != want:
                    show = lambda ps: ", ".join(f"{n}: {getattr(t, 'name', t)}" for n, t in ps) or "none"
                    raise TypeMismatch(side, f"the file says ({show(want)}) but component {bm.component!r} has "
                                       f"({show((p.name, p.type) for p in ports)})",
                                       fix=f"correct the file's {side}, or remove them to take the component's")
        return box

    def kernel_box(self, bm: BoxModel, path: tuple, name: str, dom: list[Port], cod: list[Port]) -> Box | None:
        label = bm.name or name
        check_entries(dom + cod, "kernel", fix="use smaller types, or a library component that computes the kernel")
        if bm.parameters is not None:
            unknown = [p for p in bm.parameters if p not in self.params]
            if unknown:
                raise ParameterError("parameters", f"{', '.join(unknown)} not declared",
                                     fix="declare them under parameters: at the top of the file")
        symbols = {n: p.symbol for n, p in self.params.items()}
        before = len(self.errors)
        keys: dict[tuple, tuple] = {}
        table = self.table(bm.kernel, dom + cod, len(dom), 0, path + ("kernel",), symbols, keys, ())
        if len(self.errors) > before:
            return None
        used = set().union(*(e.free_symbols for e in _leaves(table) if isinstance(e, sympy.Basic)))
        names = bm.parameters if bm.parameters is not None else [n for n, p in self.params.items() if p.symbol in used]
        undeclared = sorted(s.name for s in used if s.name not in names)
        if undeclared:
            raise ParameterError("kernel", f"uses {', '.join(undeclared)}, not listed in parameters",
                                 fix="list every parameter the kernel uses")
        try:
            kernel = Kernel.from_table(table, dom, cod, params=[self.params[n] for n in names], name=label)
        except NotStochastic as err:
            line = self.doc.line(path + ("kernel",) + _bad_row(err, dom, keys))
            head = err.where.removeprefix(f"kernel {label!r}, ")
            self.errors.append(NotStochastic(f"{self.doc.filename}:{line}: {dotted(path + ('kernel',))}",
                                             f"{head} {err.what}", err.fix))
            return None
        return Box.of(kernel, name=label, doc=bm.doc, source=self.doc.where(path))

    def table(self, node, ports, n_in, depth, path, symbols, keys, labels):
        """The kernel table with labels as text and entries parsed; problems recorded with their lines."""
        if depth == len(ports):
            if isinstance(node, bool) or not isinstance(node, (int, float, str)):
                self.fail(path, FileFormatError("", f"entry {node!r} is not a number or an expression",
                                                fix="write a probability: a number, or an expression such as "
                                                    "'1 - recall'"))
                return 0
            if isinstance(node, str):
                try:
                    return parse_expression(node, symbols, where=self.doc.where(path))
                except ExpressionError as err:
                    self.errors.append(err)
                    return 0
            return node
        port = ports[depth]
        if not isinstance(node, dict):
            self.fail(path, FileFormatError("", f"expected a mapping by {port.name} labels ({port.type.name}), "
                                            f"got {node!r}", fix="nest one mapping per input, then per output; "
                                            f"labels of {port.type.name}: {', '.join(port.type.elements[:20])}"))
            return {}
        out = {}
        for key, sub in node.items():
            label = written(key) if isinstance(key, int) and not isinstance(key, bool) else key
            if not isinstance(label, str) or label not in port.type:
                close = difflib.get_close_matches(str(label), port.type.elements, n=1)
                self.fail(path + (key,), UnknownName("", f"{label!r} is not an element of {port.type.name} "
                                                     f"(port {port.name})" + (f"; did you mean {close[0]!r}?"
                                                                              if close else ""),
                                                     fix=f"use one of: {port.type.shown()}"))
                continue
            if depth < n_in:
                keys[labels + (label,)] = keys.get(labels, ()) + (key,)
            out[label] = self.table(sub, ports, n_in, depth + 1, path + (key,), symbols, keys, labels + (label,))
        return out


def _leaves(table):
    if isinstance(table, dict):
        for v in table.values():
            yield from _leaves(v)
    else:
        yield table


def _bad_row(err: NotStochastic, dom: list[Port], keys: dict) -> tuple:
    """The file keys of the row a :class:`NotStochastic` error names (``()`` if not found)."""
    if not dom:
        return ()
    for labels in itertools.islice(itertools.product(*(p.type.elements for p in dom)), 200_000):
        text = "row (" + ", ".join(f"{p.name}={x}" for p, x in zip(dom, labels)) + ")"
        if err.where.endswith(text):
            for k in range(len(labels), 0, -1):
                if labels[:k] in keys:
                    return keys[labels[:k]]
            return ()
    return ()


def _type_expression(text: str, declared: Mapping[str, FinSet]) -> FinSet:
    """``Name``, or a family applied to types and integers: ``Range(3)``, ``Vec(Verdict, 2)``, ``Product(A, B)``."""
    tokens = re.findall(r"\s*(?:(\d+)|([A-Za-z_][A-Za-z0-9_]*)|(\S))", text)
    pos = 0

    def fail(what):
        raise UnknownName(f"type {text!r}", what, fix="declare it under types:, or use " + ", ".join(
            list(declared)[:10] + ["Range(n)", "Vec(T, n)", "Product(A, B)"]))

    def expr(depth):
        nonlocal pos
        if depth > 8 or pos >= len(tokens):
            fail("is not a type")
        num, ident, other = tokens[pos]
        pos += 1
        if num:
            if len(num) > 9:
                fail(f"has a number too large ({num})")
            return int(num)
        if not ident:
            fail(f"has an unexpected {other!r}")
        if pos < len(tokens) and tokens[pos][2] == "(":
            if ident not in ("Range", "Vec", "Candidates", "Product"):
                fail(f"{ident} is not a type family")
            pos += 1
            args = [expr(depth + 1)]
            while pos < len(tokens) and tokens[pos][2] == ",":
                pos += 1
                args.append(expr(depth + 1))
            if pos >= len(tokens) or tokens[pos][2] != ")":
                fail("has an unclosed '('")
            pos += 1
            kinds = [isinstance(a, int) for a in args]
            expected = {"Range": [True], "Vec": [False, True], "Candidates": [False, True]}.get(ident)
            if (expected is not None and kinds != expected) or (ident == "Product" and any(kinds)):
                fail(f"gives {ident} the wrong arguments")
            return FAMILIES[ident](*args)
        if ident not in declared:
            close = difflib.get_close_matches(ident, list(declared), n=1)
            fail("is not declared" + (f" (did you mean {close[0]!r}?)" if close else ""))
        return declared[ident]

    result = expr(0)
    if pos != len(tokens):
        fail(f"has an unexpected {''.join(tokens[pos])!r}")
    if not isinstance(result, FinSet):
        fail("is a number, not a type")
    return result


# ----- pydantic errors, with lines ------------------------------------------------------------
_KINDS = {"string_type": "text", "float_type": "a number", "int_type": "an integer", "dict_type": "a mapping",
          "list_type": "a list", "bool_type": "true or false", "model_type": "a mapping"}


def _pydantic_errors(err: ValidationError, doc: Located) -> list[MarkovwireError]:
    out, seen = [], set()
    for e in err.errors(include_url=False):
        loc = tuple(e["loc"])
        known = doc.known(loc)
        rest = [str(x) for x in loc[len(known):] if not (isinstance(x, str) and x.startswith("["))]
        kind = e["type"]
        if kind == "missing":
            what, fix = f"{'.'.join(rest) or 'a key'} is required", "add it"
        elif kind == "extra_forbidden":
            allowed = _allowed(loc[:-1])
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            what = f"unknown key {loc[-1]!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
            fix = f"use one of: {', '.join(allowed)}" if allowed else "remove it"
        elif kind in _KINDS:
            what = f"expected {_KINDS[kind]}, got {_show(e.get('input'))}"
            fix = "see diagram_json_schema() for the file format"
        elif kind == "value_error":
            what, fix = str(e.get("ctx", {}).get("error", e["msg"])), None
        else:
            what, fix = e["msg"], "see diagram_json_schema() for the file format"
        if rest and kind not in ("missing",):
            what = f"{'.'.join(rest)}: {what}"
        key = (doc.where(loc), what)
        if key not in seen:
            seen.add(key)
            out.append(FileFormatError(doc.where(loc), what, fix=fix))
    return out


def _allowed(loc: tuple) -> list[str]:
    """The keys the model at ``loc`` takes (by their names in files)."""
    model: Any = DiagramFile
    i = 0
    while i < len(loc):
        if model is DiagramFile or model is WiringModel:
            if loc[i] == "boxes":
                model, i = BoxModel, i + 2
                continue
            if loc[i] == "parameters":
                model, i = ParameterModel, i + 2
                continue
            if loc[i] == "wires":
                model, i = WireModel, i + 2
                continue
            return []
        if model is BoxModel and loc[i] == "diagram":
            model, i = WiringModel, i + 1
            continue
        return []
    return [f.alias or n for n, f in model.model_fields.items()]


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _raise(errs: list[MarkovwireError]) -> None:
    errs = errs[:MAX_ERRORS]
    if len(errs) == 1:
        raise errs[0]
    if errs:
        raise ErrorList(errs)


# ----- saving -----------------------------------------------------------------------------
def dump_diagram(diagram, name: str | None = None) -> str:
    """The YAML text of a wiring diagram (a string diagram is converted with ``WiringDiagram.from_diagram``)."""
    if not isinstance(diagram, WiringDiagram):
        diagram = WiringDiagram.from_diagram(diagram, name or "diagram")
    writer = _Writer()
    body = writer.wiring(diagram, top=True)
    data: dict[str, Any] = {"version": VERSION, "name": name or diagram.name}
    if writer.types:
        data["types"] = {n: list(t.elements) for n, t in writer.types.items()}
    if writer.params:
        data["parameters"] = {n: _param(p) for n, p in writer.params.items()}
    data.update(body)
    try:
        DiagramFile.model_validate(data)  # what is written is what loads
        return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100,
                         default_flow_style=None)
    except ValidationError as err:
        first = err.errors(include_url=False)[0]
        raise FileFormatError(f"diagram {data['name']!r}, {dotted(first['loc'])}", f"cannot be written: {first['msg']}",
                              fix="see diagram_json_schema() for what a diagram file can hold") from None
    except yaml.YAMLError as err:
        raise FileFormatError(f"diagram {data['name']!r}", f"holds a value YAML cannot write ({err})",
                              fix="give components arguments that are numbers, text, lists or mappings") from None


def save_diagram(diagram, path: str | os.PathLike, name: str | None = None) -> None:
    """Write ``diagram`` to ``path`` atomically (a temporary file, then ``os.replace``)."""
    write_atomic(path, dump_diagram(diagram, name))


class _Lines(list):
    """A list written one item per line (wires), not in flow style."""


class _Dumper(yaml.SafeDumper):
    """Flow style for short lists and mappings of plain values (``[pass, flag]``), block style elsewhere."""


_Dumper.add_representer(_Lines, lambda d, data: d.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=False))


class _Writer:
    """Collects the types and parameters a diagram uses while writing its boxes."""

    def __init__(self):
        self.types: dict[str, FinSet] = {}
        self.params: dict[str, Parameter] = {}

    def type(self, t) -> str:
        if not isinstance(t, FinSet):
            raise TypeMismatch(f"type {t}", "is a type variable", fix="only plumbing may have open types")
        known = self.types.setdefault(t.name, t)
        if known != t:
            raise TypeMismatch(f"type {t.name!r}", f"names two different finite sets: {known!r} and {t!r}",
                               fix="give different types different names before saving")
        return t.name

    def ports(self, ports) -> dict[str, str]:
        return {p.name: self.type(p.type) for p in ports}

    def wiring(self, wd: WiringDiagram, top: bool = False, instance: str = "") -> dict:
        out: dict[str, Any] = {}
        if not top and wd.name != instance:
            out["name"] = wd.name
        if wd.doc:
            out["doc"] = wd.doc
        for side, ports in (("inputs", wd.inputs), ("outputs", wd.outputs)):
            if ports:
                out[side] = self.ports(ports)
        if wd.boxes:
            out["boxes"] = {n: self.box(n, b) for n, b in wd.boxes.items()}
        if wd.wires:
            out["wires"] = _Lines(f"{w.source} -> {w.target}" for w in wd.wires)
        return out

    def box(self, name: str, box) -> dict:
        if isinstance(box, WiringDiagram):
            return {"diagram": self.wiring(box, instance=name)}
        out: dict[str, Any] = {}
        if getattr(box, "component", ""):
            if box.name not in (name, box.component):
                out["name"] = box.name
            out["component"] = box.component
            if getattr(box, "args", ()):
                out["with"] = dict(box.args)
            return out
        if is_stateful(box):
            raise FileFormatError(f"box {name!r}", "is a stateful box without a library component, which a "
                                  "diagram file cannot hold inline", fix="define it as a component in a library "
                                  "file and give it its component name")
        if getattr(box, "plumbing", None) is not None:
            return self.plumbing(name, box)
        if box.kernel is None:
            raise FileFormatError(f"box {name!r}", "has no kernel and no library component",
                                  fix="give it a kernel (Box.of(kernel)) or a component")
        k = box.kernel
        if box.name != name:
            out["name"] = box.name
        if box.doc:
            out["doc"] = box.doc
        if box.dom:
            out["inputs"] = self.ports(box.dom)
        out["outputs"] = self.ports(box.cod)
        for p in k.dom + k.cod:
            self.type(p.type)
        out["kernel"] = _table(k, len(box.dom))
        used = {s.name for s in k.free_symbols}
        self._params(k)
        if set(k.params) != used:
            out["parameters"] = list(k.params)
        return out

    def _params(self, k) -> None:
        for n, p in (getattr(k, "params", None) or {}).items():
            known = self.params.setdefault(n, p)
            if known != p:
                raise ParameterError(f"parameter {n!r}", "is declared twice with different domains or defaults",
                                     fix="declare each parameter once, or rename one of them")

    def plumbing(self, name: str, box: Box) -> dict:
        kind = {"id": "identity"}.get(box.name, box.name)
        ts = [p.type for p in box.dom]
        concrete = all(isinstance(t, FinSet) for t in ts)
        out: dict[str, Any] = {"plumbing": kind}
        if kind == "copy":
            rebuilt = Box.copy(ts[0] if concrete else None, n=len(box.plumbing))
            if len(box.plumbing) != 2:
                out["n"] = len(box.plumbing)
        elif kind == "discard":
            rebuilt = Box.discard(ts[0] if concrete else None)
        elif kind == "identity":
            port = box.dom[0].name if box.dom[0].name != "x" else None
            rebuilt = Box.identity(ts[0] if concrete else None, port=port)
            if port:
                out["port"] = port
        elif kind == "swap":
            rebuilt = Box.swap(*(ts if concrete else []))
        elif kind == "permute":
            rebuilt = Box.permute(box.plumbing, ts if concrete else None)
            out["order"] = list(box.plumbing)
        else:
            rebuilt = None
        same = rebuilt is not None and (rebuilt.name, rebuilt.dom, rebuilt.cod, rebuilt.plumbing) == \
            (box.name, box.dom, box.cod, box.plumbing)
        if not same:
            raise FileFormatError(f"box {name!r}", "is plumbing with a signature of its own, which files cannot "
                                  "hold", fix="use Box.copy/discard/identity/swap/permute")
        if concrete and ts:
            out["types"] = [self.type(t) for t in (ts[:1] if kind in ("copy", "discard", "identity") else ts)]
        return out


def _param(p: Parameter) -> dict:
    out: dict[str, Any] = {}
    if p.domain != (-float("inf"), float("inf")):
        out["domain"] = [float(x) for x in p.domain]
    if p.default is not None:
        out["default"] = float(p.default)
    if p.doc:
        out["doc"] = p.doc
    if p.integer:
        out["integer"] = True
    return out


def _table(k: Kernel, n_in: int) -> dict:
    """The kernel as nested mappings by labels; zero outputs left out (they read back as zero)."""
    ports = k.dom + k.cod

    def entry(v):
        if not k.is_symbolic:
            return float(v)
        if isinstance(v, sympy.Integer):
            return int(v)
        if isinstance(v, sympy.Float):
            return float(v)
        return format_expression(v)

    def zero(v) -> bool:
        return (v is sympy.S.Zero) if k.is_symbolic else (v == 0)

    def build(index: tuple, depth: int):
        if depth == len(ports):
            return entry(k.array[index])
        out = {}
        for i, label in enumerate(ports[depth].type.elements):
            if depth >= n_in and depth == len(ports) - 1 and zero(k.array[index + (i,)]):
                continue
            sub = build(index + (i,), depth + 1)
            if depth >= n_in and isinstance(sub, dict) and not sub:
                continue
            out[label] = sub
        return out

    return build((), 0)
