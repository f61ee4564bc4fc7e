"""Loading component libraries from files: safe YAML, the schema, and errors that name file, line and key.

A file is read with the line-tracking safe loader of :mod:`markovwire.diagrams.yamlsafe`
(size limit, no Python tags, bounded aliases and nesting), validated against the
strict models of :mod:`.schema`, and then checked for meaning: types resolve,
parameters have sensible domains, every kernel is a Markov kernel. Every problem
is reported with the place it comes from, all of them at once:

>>> lib = load_library_text('''
... name: coins
... version: "1"
... types: {Coin: [heads, tails]}
... parameters: {p: {domain: [0, 1], default: 0.5}}
... components:
...   coin: {outputs: {side: Coin}, parameters: [p], kernel: {table: {heads: p, tails: "1 - p"}}}
... ''', "coins.yaml")
>>> lib.components["coin"].signature
'I → side: Coin'
>>> load_library_text("name: coins\\nversion: '1'\\ncomponents:\\n  coin: {outputs: {side: Coin}, kernal: {}}\\n",
...                   "coins.yaml")
Traceback (most recent call last):
...
markovwire.errors.ErrorList: 2 problem(s):
- coins.yaml:4: components.coin: missing key 'kernel'
    fix: add 'kernel:' here (markovwire schema shows every key)
- coins.yaml:4: components.coin.kernal: unknown key 'kernal' (did you mean 'kernel'?)
    fix: use one of: doc, initial, inputs, kernel, outputs, parameters, source, state
"""
from __future__ import annotations

import copy
import dataclasses
import difflib
import functools
import os
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np
import sympy
from pydantic import BaseModel, ValidationError

from markovwire import Kernel, Parameter
from markovwire.diagrams.expression import Box
from markovwire.diagrams.files import check_entries
from markovwire.diagrams.syntax import parse_type, type_names
from markovwire.diagrams.yamlsafe import Located, load_yaml, read_text
from markovwire.errors import ErrorList, FileFormatError, MarkovwireError, ParameterError, Place, UnknownName
from markovwire.expr import constant_values
from markovwire.types import FinSet

from . import constructions
from .discovery import find_library
from .schema import ComponentSpec, KernelSpec, LibraryFile

WILDCARD = "_"  # in tables and function tables: every label of that port not listed beside it
SCHEMA_FIX = "(markovwire schema shows every key)"


# ----- errors with places -------------------------------------------------------------------
def raise_all(errors: Sequence[MarkovwireError]) -> None:
    """Raise nothing, one error, or all of them as an :class:`ErrorList`."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ErrorList(list(errors))


def flatten(err: MarkovwireError) -> list[MarkovwireError]:
    """The errors inside an :class:`ErrorList` (or the error itself), each as it is (its place's fields kept)."""
    return [e for inner in err.errors for e in flatten(inner)] if isinstance(err, ErrorList) else [err]


def placed(err: MarkovwireError, where: str | Place) -> MarkovwireError:
    """``err`` inside ``where`` (``file:line: key``), unless it already names that file.

    The places are composed from their fields (:meth:`Place.nest`): the file, line and key
    path of ``where``, the box, port and detail of ``err``; the text is ``"{where}: {err.where}"``.

    >>> doc = load_yaml("types:\\n  Act: [a, b]\\n", "lib.yaml")
    >>> e = placed(UnknownName(None, "no such type", box="m", port="act"), doc.where(("types", "Act")))
    >>> print(e)
    lib.yaml:2: types.Act: box 'm', port 'act': no such type
    >>> e.file, e.line, e.keys, e.box, e.port
    ('lib.yaml', 2, ('types', 'Act'), 'm', 'act')
    """
    if isinstance(err, ErrorList):
        return ErrorList([placed(e, where) for e in err.errors])
    outer = Place.of(where)
    if outer.file is not None and err.place.file == outer.file:
        return err
    if outer.file is not None and err.place.file is None and err.where.startswith(f"{outer.file}:"):
        # a place written as text by code that does not build Places yet (``f"{where} (column 3)"``):
        # it already names the file, so it is not placed twice. Remove once every such site composes Places.
        return err
    return err.relocated(outer.nest(err.place))


def validate(model: type[BaseModel], doc: Located):
    """``model`` validated from the document, or one :class:`FileFormatError` per problem (all at once)."""
    if not isinstance(doc.data, dict):
        kind = "empty" if doc.data is None else f"a {_kind(doc.data)}"
        raise FileFormatError(Place(file=doc.filename, line=1), f"the file is {kind}, not a mapping of keys",
                              fix=f"start with 'name: ...' {SCHEMA_FIX}")
    try:
        return model.model_validate(doc.data)
    except ValidationError as err:
        errors = _translate(err, doc, model)
    except RecursionError:
        errors = [FileFormatError(Place(file=doc.filename), "is nested too deeply", fix="flatten the document")]
    raise_all(errors)


def _translate(err: ValidationError, doc: Located, model: type[BaseModel]) -> list[MarkovwireError]:
    """pydantic's errors as messages about the file's keys, one per place, deepest first."""
    by_path: dict[tuple, list[dict]] = {}
    for e in err.errors(include_url=False):
        path, rest = _data_path(doc.data, e["loc"])
        if "[key]" in rest:
            path, e = path + (("key", path[-1] if path else None),), {**e, "key": True}
        key = path + ((("missing", rest[-1]),) if e["type"] == "missing" and rest else ())
        by_path.setdefault(key, []).append(e)
    out = []
    paths = list(by_path)
    for path in paths:
        errs = by_path[path]
        deeper = any(len(q) > len(path) and q[:len(path)] == path and not isinstance(q[len(path)], tuple)
                     for q in paths)
        types = [e for e in errs if e["type"].endswith("_type") or e["type"] in ("model_type", "model_attributes_type")]
        if deeper and len(types) == len(errs):
            continue  # a union whose matching branch failed deeper: report the deeper problem
        out.append(_message(path, errs, doc, model))
    return out


def _data_path(data, loc) -> tuple[tuple, tuple]:
    """The part of a pydantic location that walks through the data, and what is left of it."""
    path: list = []
    cur = data
    for i, part in enumerate(loc):
        if part == "[key]":
            return tuple(path), tuple(loc[i:])
        if isinstance(cur, dict) and part in cur:
            path.append(part)
            cur = cur[part]
        elif isinstance(cur, dict) and isinstance(part, str) and any(str(k) == part for k in cur):
            k = next(k for k in cur if str(k) == part)
            path.append(k)
            cur = cur[k]
        elif isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            path.append(part)
            cur = cur[part]
        elif isinstance(cur, (dict, list)) or i == len(loc) - 1:
            continue  # a union member's tag, or a missing key
    return tuple(path), tuple(p for p in loc if p not in path)


_KINDS = {"string_type": "text", "float_type": "a number", "int_type": "a whole number", "bool_type": "true or false",
          "dict_type": "a mapping", "list_type": "a list", "model_type": "a mapping",
          "model_attributes_type": "a mapping",
          "int_from_float": "a whole number", "float_parsing": "a number", "literal_error": "one of the listed words"}
_PATTERNS = {
    "^[A-Za-z][A-Za-z0-9_]*$": "a name of letters, digits and '_', starting with a letter",
    "^[A-Za-z0-9_][A-Za-z0-9_.+\\-]*$": "a label of letters, digits, '_', '.', '+' and '-'",
    "^[0-9A-Za-z.+\\-]+$": "a version such as 1.0",
}


def _message(path: tuple, errs: list[dict], doc: Located, model) -> MarkovwireError:
    if path and isinstance(path[-1], tuple) and path[-1][0] == "missing":
        where, name = doc.where(path[:-1]), path[-1][1]
        return FileFormatError(where, f"missing key {name!r}", fix=f"add '{name}:' here {SCHEMA_FIX}")
    if path and isinstance(path[-1], tuple) and path[-1][0] == "key":
        key = path[-1][1]
        where = doc.where(path[:-1])
        if isinstance(key, bool):
            return FileFormatError(where, f"the key {key!r} is read as true/false, not as text",
                                   fix="quote it (YAML reads unquoted true/false as booleans)")
        want = _PATTERNS.get(errs[0].get("ctx", {}).get("pattern", ""), "text")
        return FileFormatError(where, f"the key {_show(key)} is not {want}", fix=f"write {want} as the key")
    where = doc.where(path)
    e = errs[0]
    value = _get(doc.data, path)
    kind = e["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model, path[:-1])
        close = difflib.get_close_matches(str(path[-1]), sorted(allowed), n=1) if allowed else []
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        fix = f"use one of: {', '.join(sorted(allowed))}" if allowed else f"remove it {SCHEMA_FIX}"
        return FileFormatError(where, f"unknown key {path[-1]!r}{hint}", fix=fix)
    if kind == "value_error":
        return FileFormatError(where, e["msg"].removeprefix("Value error, "), fix=f"change it as said {SCHEMA_FIX}")
    if kind == "string_pattern_mismatch":
        want = _PATTERNS.get(e.get("ctx", {}).get("pattern", ""), "text of the expected form")
        if "->" in e.get("ctx", {}).get("pattern", ""):
            want = "a wire 'box.port -> box.port' (in.x and out.y for outer ports)"
        return FileFormatError(where, f"{_show(value)} is not {want}", fix=f"write {want}")
    if kind in ("too_long", "string_too_long", "too_short", "string_too_short"):
        return FileFormatError(where, e["msg"].lower(), fix="shorten or lengthen it as the message says")
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return FileFormatError(where, f"{_show(value)}: {e['msg'].lower()}", fix="use a value in range")
    wanted = sorted({f"one of {x['ctx']['expected']}" if x["type"] == "literal_error" and x.get("ctx")
                     else _KINDS.get(x["type"], x["msg"].lower()) for x in errs})
    fix = "write " + " or ".join(wanted)
    if isinstance(value, bool) and "text" in wanted:
        fix = f"quote it, e.g. '{str(value).lower()}' (YAML reads unquoted true/false as booleans)"
    elif isinstance(value, str) and ("a number" in wanted or "a whole number" in wanted) and "text" not in wanted:
        fix = "write the number without quotes" if value and set(value) <= set("0123456789+-._eE") else \
            f"{fix} (YAML 1.2 reads {_show(value)} as text)"
    return FileFormatError(where, f"expected {' or '.join(wanted)}, got {_show(value)}", fix=fix)


def _get(data, path):
    for p in path:
        try:
            data = data[p]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _kind(value) -> str:
    return {dict: "mapping", list: "list", str: "text", bool: "true/false", int: "number", float: "number"}.get(
        type(value), type(value).__name__)


def _show(value) -> str:
    if isinstance(value, (dict, list)):
        return f"a {_kind(value)}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _allowed_keys(model, path: tuple) -> set[str]:
    """The keys a model accepts at ``path`` (walking mappings, lists and optional models), if it is a model."""
    t: Any = model
    for part in path:
        t = _model_in(t)
        if isinstance(t, type) and issubclass(t, BaseModel):
            if part not in t.model_fields:
                return set()
            t = t.model_fields[part].annotation
        else:
            t = _element(t)
            if t is None:
                return set()
    t = _model_in(t)
    return set(t.model_fields) if isinstance(t, type) and issubclass(t, BaseModel) else set()


def _model_in(t):
    """The model class inside ``Annotated``/``Optional``/``Union`` wrappers, or ``t``."""
    for _ in range(8):
        origin = typing.get_origin(t)
        if origin is typing.Annotated:
            t = typing.get_args(t)[0]
        elif origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
            models = [a for a in typing.get_args(t) if isinstance(a, type) and issubclass(a, BaseModel)]
            others = [a for a in typing.get_args(t) if a is not type(None)]
            t = models[0] if models else (others[0] if len(others) == 1 else t)
            if not models and len(others) != 1:
                return t
        else:
            return t
    return t


def _element(t):
    """The value type of a mapping or list annotation."""
    t = _model_in(t)
    args = typing.get_args(t)
    if typing.get_origin(t) is dict and len(args) == 2:
        return args[1]
    if typing.get_origin(t) is list and args:
        return args[0]
    return None


# ----- reading files ------------------------------------------------------------------------------
def read_document(path: str | os.PathLike, display: str | None = None) -> Located:
    """The parsed YAML of a file (size-limited, safe), named ``display`` in messages."""
    return load_yaml(read_text(path), display or os.fspath(path))


def _display(path: Path) -> str:
    """How a file is named in messages: as given, relative to the working directory when shorter."""
    try:
        rel = os.path.relpath(path)
        return rel if len(rel) < len(str(path)) else str(path)
    except ValueError:
        return str(path)


# ----- libraries ------------------------------------------------------------------------------------
@dataclass
class Component:
    """A component of a library: its specification, signature and documentation."""

    name: str
    library: "Library"
    spec: ComponentSpec
    built: dict = field(default_factory=dict, repr=False, compare=False)  # kernels by signature and parameters
    typed: dict = field(default_factory=dict, repr=False, compare=False)  # port types by sizes (see ports_at)

    @property
    def qualname(self) -> str:
        return f"{self.library.name}.{self.name}"

    @property
    def doc(self) -> str:
        return self.spec.doc

    @property
    def source(self) -> str:
        return self.spec.source

    @property
    def is_stateful(self) -> bool:
        return self.spec.state is not None

    @property
    def signature(self) -> str:
        """``act: Act ⊗ sus: Sus → audit: AuditOut`` (``; state S`` for a stateful component), as written."""
        side = lambda ports: " ⊗ ".join(f"{n}: {t}" for n, t in ports.items()) or "I"
        state = f"; state {self.spec.state}" if self.spec.state else ""
        return f"{side(self.spec.inputs)} → {side(self.spec.outputs)}{state}"

    def path(self, *keys) -> tuple:
        return ("components", self.name) + keys

    def where(self, *keys) -> Place:
        return self.library.document.where(self.path(*keys))

    def instantiate(self, name: str, params: Mapping[str, Parameter] | None = None,
                    sizes: Mapping[str, int] | None = None, fixed: Mapping[str, sympy.Expr] | None = None,
                    where: Callable[[tuple], Place] | None = None):
        """The component as a named box (a :class:`~markovwire.diagrams.StatefulBox` if it has a state).

        ``params`` are the parameters in force (the library's, with a proposal's values as
        defaults); ``sizes`` the whole numbers that size types; ``fixed`` replaces some of the
        component's parameters by numbers or expressions in others (instance overrides).
        """
        from markovwire.diagrams.stateful import StatefulBox

        lib = self.library
        params = dict(lib.parameters if params is None else params)
        sizes = {**lib.sizes(params), **dict(sizes or {})}    # sizes not given: the parameters' values
        for n, v in sizes.items():  # a size given for an integer parameter is its value here
            if n in params and params[n].default != v:
                params[n] = dataclasses.replace(params[n], default=v)
        used = self._parameters(params)
        dom, cod, state = self.ports_at(sizes)
        if state is not None:
            clash = [p for p, _ in dom + cod if p == "state"]
            if clash:
                raise FileFormatError(self.where("inputs" if any(p == "state" for p, _ in dom) else "outputs"),
                                      "a stateful component cannot have a port named 'state'",
                                      fix="rename the port; 'state' is the component's state")
            dom, cod = [("state", state)] + dom, [("state", state)] + cod
        sized_by = ", ".join(f"{n} = {sizes[n]}" for n in sorted(self.structural) if n in sizes)
        kernel = self._kernel(dom, cod, used, sized_by)
        if fixed:
            kernel = substitute(kernel, fixed, params)
        meta = dict(doc=self.doc, source=self.source, component=self.qualname)
        if state is None:
            return Box.of(kernel.named(name), name=name, **meta)
        initial = self._initial(state, used, fixed, params)
        try:
            return StatefulBox(name, state, initial, kernel.named(name), component=self.qualname)
        except MarkovwireError as e:
            raise placed(e, self.where("kernel")) from None

    def ports_at(self, sizes: Mapping[str, int]) -> tuple[list, list, FinSet | None]:
        """The input ports, output ports (``(name, type)`` pairs) and state type at ``sizes``, parsed once per sizes
        that matter to them and shared by the instances."""
        key = tuple(sorted((n, v) for n, v in sizes.items() if n in self.structural))
        if key not in self.typed:
            types = self.library.types(sizes)
            errors: list[MarkovwireError] = []

            def parsed(text, *path):
                try:
                    return parse_type(text, types, self.where(*path), sizes)
                except MarkovwireError as e:
                    errors.append(e)
            dom, cod = ([(port, parsed(text, side, port)) for port, text in getattr(self.spec, side).items()]
                        for side in ("inputs", "outputs"))
            state = parsed(self.spec.state, "state") if self.spec.state is not None else None
            raise_all(errors)
            self.typed[key] = (dom, cod, state)
        return self.typed[key]

    @functools.cached_property
    def structural(self) -> frozenset[str]:
        """The parameters that size the types of this component's ports and state (see Library.structural_of)."""
        return frozenset(self.library.structural_of(self))

    def _kernel(self, dom, cod, used: Mapping[str, Parameter], sized_by: str) -> Kernel:
        """The component's kernel for one signature and set of parameters, built once and shared by the instances
        that agree on them (kernels are immutable; each instance renames its own copy)."""
        key = (tuple(dom), tuple(cod), tuple(sorted(used.items())), sized_by)
        kernel = self.built.get(key)
        if kernel is None:
            kernel = build_kernel(self.spec.kernel, dom, cod, used, self.qualname,
                                  lambda path: self.where("kernel", *path), sized_by)
            if len(self.built) >= 64:  # a sweep of a size parameter: keep the most recent signatures
                self.built.pop(next(iter(self.built)))
            self.built[key] = kernel
        return kernel

    def _parameters(self, params: Mapping[str, Parameter]) -> dict[str, Parameter]:
        out, errors = {}, []
        for i, n in enumerate(self.spec.parameters):
            if n not in params:
                close = difflib.get_close_matches(n, list(params), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                errors.append(UnknownName(self.library.document.where(self.path("parameters", i)),
                                          f"unknown parameter {n!r}{hint}",
                                          fix=f"declare it under the library's 'parameters:' "
                                              f"({', '.join(sorted(params)) or 'none declared'})"))
            else:
                out[n] = params[n]
        raise_all(errors)
        return out

    def _initial(self, state: FinSet, used, fixed, params) -> Kernel:
        where = lambda path: self.where("initial", *path)
        if self.spec.initial is None:
            raise FileFormatError(self.where("state"), "a stateful component needs an initial distribution",
                                  fix=f"add 'initial: {{{state.elements[0]}: 1}}' (labels of {state.name})")
        k = build_kernel(KernelSpec(table=self.spec.initial), [], [("state", state)], used,
                         f"{self.qualname}.initial", where)
        return substitute(k, fixed, params) if fixed else k




def substitute(kernel: Kernel, fixed: Mapping[str, sympy.Expr], params: Mapping[str, Parameter]) -> Kernel:
    """The kernel with some parameters replaced by numbers or expressions in other parameters."""
    if not kernel.is_symbolic:
        return kernel
    mapping = {params[n].symbol: e for n, e in fixed.items() if n in kernel.params}
    if not mapping:
        return kernel
    arr = np.vectorize(lambda e: e.xreplace(mapping), otypes=[object])(kernel.array)
    names = {s.name for e in arr.flat if isinstance(e, sympy.Basic) for s in e.free_symbols}
    if not names:
        arr = arr.astype(float)
    return Kernel(arr, kernel.dom, kernel.cod, params={n: params[n] for n in names}, name=kernel.name, check=False)


class Library:
    """A loaded component library: types, parameters and components, with the document they came from."""

    def __init__(self, spec: LibraryFile, doc: Located, path: Path | None = None):
        self.spec, self.document, self.path = spec, doc, path
        self.doc = spec.doc
        self.name, self.version = spec.name, spec.version
        self.filename = doc.filename
        self._types: dict[tuple, dict[str, FinSet]] = {}
        self.qualified: frozenset[str] = frozenset()  # types named 'library.Type' (see scoped)
        errors: list[MarkovwireError] = []
        self.parameters: dict[str, Parameter] = {}
        for name, p in spec.parameters.items():
            try:
                self.parameters[name] = make_parameter(name, p, doc, ("parameters", name))
            except MarkovwireError as e:
                errors.append(e)
        self.components = {n: Component(n, self, c) for n, c in spec.components.items()}
        self.structural = self._structural()
        try:
            self.types(self.sizes(self.parameters))
        except MarkovwireError as e:
            errors += flatten(e)
        raise_all(errors)

    def __repr__(self) -> str:
        return f"Library({self.name} {self.version}: {len(self.components)} components)"

    def _structural(self) -> set[str]:
        """Parameters that size types (their values are fixed when a proposal is built, not swept)."""
        names = set()
        texts = [t for t in self.spec.types.values() if isinstance(t, str)]
        for c in self.spec.components.values():
            texts += list(c.inputs.values()) + list(c.outputs.values()) + ([c.state] if c.state else [])
        for t in texts:
            names |= type_names(t)
        return {n for n in names if n in self.spec.parameters}

    def structural_of(self, component: "Component") -> set[str]:
        """The parameters that size the types of one component's ports and state (through aliases)."""
        texts = list(component.spec.inputs.values()) + list(component.spec.outputs.values())
        texts += [component.spec.state] if component.spec.state else []
        seen: set[str] = set()
        todo = [n for t in texts for n in type_names(t)]
        while todo:
            n = todo.pop()
            if n in seen:
                continue
            seen.add(n)
            spec = self.spec.types.get(n)
            if isinstance(spec, str):
                todo += list(type_names(spec))
        return {n for n in seen if n in self.spec.parameters}

    def sizes(self, params: Mapping[str, Parameter]) -> dict[str, int]:
        """The whole numbers that size types: integer parameters with a value."""
        return {n: int(p.default) for n, p in params.items()
                if p.integer and p.default is not None and float(p.default).is_integer()}

    def types(self, sizes: Mapping[str, int]) -> dict[str, FinSet]:
        """The library's finite types, with families sized by ``sizes`` (aliases keep their own name)."""
        key = tuple(sorted(sizes.items()))
        if key in self._types:
            return self._types[key]
        out: dict[str, FinSet] = {}
        errors: list[MarkovwireError] = []
        pending = dict(self.spec.types)
        while pending:
            progress = False
            for name, spec in list(pending.items()):
                if isinstance(spec, str) and (type_names(spec) & set(pending)) - {name}:
                    continue
                del pending[name]
                progress = True
                shown = f"{self.name}.{name}" if name in self.qualified else name
                try:
                    if isinstance(spec, list):
                        out[name] = FinSet(shown, spec)
                    else:
                        t = parse_type(spec, out, self.document.where(("types", name)), sizes)
                        out[name] = FinSet(shown, t.elements)
                except MarkovwireError as e:
                    errors.append(placed(e, self.document.where(("types", name))))
            if not progress:
                cycle = ", ".join(sorted(pending))
                errors.append(FileFormatError(self.document.where(("types", sorted(pending)[0])),
                                              f"types refer to each other in a circle: {cycle}",
                                              fix="define each type from types defined without it"))
                break
        raise_all(errors)
        self._types[key] = out
        return out

    def scoped(self, qualified: frozenset[str]) -> "Library":
        """The library as one proposal sees it: its types in ``qualified`` (which another library of the proposal
        declares differently) are named ``library.Type``, so that no message can say "Act does not match Act"."""
        if not qualified:
            return self
        view = copy.copy(self)
        view.qualified, view._types = frozenset(qualified), {}
        view.components = {n: Component(n, view, c.spec) for n, c in self.components.items()}
        return view

    def declared(self, kind: str, name: str) -> str:
        """``library.name (file:line)``: which declaration of ``name`` (a type, parameter or component) this is."""
        place = self.document.where((kind, name))
        return f"{self.name}.{name} ({place.file}:{place.line})" if place.line is not None else \
            f"{self.name}.{name} ({self.filename})"

    def component(self, name: str, where: str | Place = "component") -> Component:
        """The component ``name``, or an error suggesting the closest name."""
        if name in self.components:
            return self.components[name]
        close = difflib.get_close_matches(name, list(self.components), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UnknownName(where, f"unknown component {name!r}{hint}",
                          fix=f"use a component of library {self.name!r}: {', '.join(sorted(self.components))}")

    def problems(self) -> list[MarkovwireError]:
        """Every problem of every component (each built once with the library's defaults)."""
        errors: list[MarkovwireError] = []
        for c in self.components.values():
            try:
                c.instantiate(c.name)
            except MarkovwireError as e:
                errors += flatten(e)
        return errors

    def check(self) -> "Library":
        raise_all(self.problems())
        return self


def component_in(libraries: Sequence["Library"], ref: str, where: str | Place) -> "Component":
    """The component ``ref`` (``name`` or ``library.name``) of one of ``libraries``; ``where`` places a mistake."""
    lib_name, _, comp_name = ref.rpartition(".")
    if lib_name:
        libs = [lib for lib in libraries if lib.name == lib_name]
        if not libs:
            raise UnknownName(where, f"no library {lib_name!r} is used by this proposal",
                              fix=f"add it to 'libraries:', or use one of: {', '.join(lib.name for lib in libraries)}")
        return libs[0].component(comp_name, where)
    found = [lib for lib in libraries if comp_name in lib.components]
    if len(found) > 1:
        raise UnknownName(where, f"component {comp_name!r} is in several libraries: "
                          f"{', '.join(lib.declared('components', comp_name) for lib in found)}",
                          fix=f"write the one you mean: {' or '.join(f'{lib.name}.{comp_name}' for lib in found)}")
    if found:
        return found[0].components[comp_name]
    known = [c for lib in libraries for c in lib.components]
    close = difflib.get_close_matches(comp_name, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise UnknownName(where, f"unknown component {comp_name!r}{hint}",
                      fix=f"use a component of {', '.join(lib.name for lib in libraries) or 'a library'} "
                          "(markovwire library list shows them)")


# ----- the names a proposal sees ------------------------------------------------------------------------------
def is_new_library(lib: Library, loaded: Sequence[Library], where: str | Place | None = None) -> bool:
    """Whether ``lib`` is not yet among a proposal's ``loaded`` libraries: False for the same file again, an error
    for another file of the same ``name:`` (``name.Type`` and ``name.component`` would silently mean the first)."""
    for other in loaded:
        if other.name != lib.name:
            continue
        if _file_of(other) == _file_of(lib):
            return False
        raise FileFormatError(where, f"library {lib.name!r} of {_named_at(lib)} has the name of another file this "
                              f"proposal uses, {_named_at(other)}",
                              fix=f"rename one of them (its 'name:' line, e.g. name: {lib.name}_2), or use only one")
    return True


def _file_of(lib: Library):
    """What tells two libraries' files apart: the resolved path, or the library itself when it has no file."""
    try:
        return lib.path.resolve() if lib.path is not None else id(lib)
    except (OSError, RuntimeError):
        return str(lib.path)


def _named_at(lib: Library) -> str:
    """``file:line`` of a library's ``name:`` (its file when the line is unknown)."""
    place = lib.document.where(("name",))
    return f"{place.file}:{place.line}" if place.line is not None else lib.filename


def in_scope(libraries: Sequence[Library]) -> list[Library]:
    """The libraries of one proposal, each type that two of them declare differently named ``library.Type``.

    A type is declared differently when its definitions differ, or when it is defined from
    such a type; the same definition in two libraries is one type, named as written.
    """
    defs: dict[str, list[tuple[Library, Any]]] = {}
    for lib in libraries:
        for n, spec in lib.spec.types.items():
            defs.setdefault(n, []).append((lib, spec))
    shared = {n: d for n, d in defs.items() if len({lib.name for lib, _ in d}) > 1}
    clash = {n for n, d in shared.items() if any(spec != d[0][1] for _, spec in d)}
    grown = True
    while grown:  # a type defined from a clashing one means different things in the two libraries
        more = {n for n, d in shared.items() if n not in clash
                and any(isinstance(spec, str) and type_names(spec) & clash for _, spec in d)}
        clash |= more
        grown = bool(more)
    return [lib.scoped(frozenset(clash & set(lib.spec.types))) for lib in libraries]


class TypeScope(Mapping):
    """The type names a proposal sees: every library's types as ``library.Type``, and by their short name
    unless libraries declare it differently (then the short name is an error listing where each comes from).

    Build it from the libraries :func:`in_scope` gives, with the proposal's sizes.
    """

    def __init__(self, libraries: Sequence[Library], sizes: Mapping[str, int]):
        self._types: dict[str, FinSet] = {}
        self._ambiguous: dict[str, list[Library]] = {}
        errors: list[MarkovwireError] = []
        for lib in libraries:
            try:
                types = lib.types(sizes)
            except MarkovwireError as e:
                errors += flatten(e)
                continue
            for n, t in types.items():
                self._types[f"{lib.name}.{n}"] = t
                if n in lib.qualified:
                    self._ambiguous.setdefault(n, []).append(lib)
                else:
                    self._types.setdefault(n, t)
        raise_all(errors)

    def __getitem__(self, name: str) -> FinSet:
        if name in self._ambiguous:
            libs = self._ambiguous[name]
            raise UnknownName(None, f"type {name!r} is declared differently by several libraries: "
                              f"{', '.join(lib.declared('types', name) for lib in libs)}",
                              fix=f"write the one you mean: {' or '.join(f'{lib.name}.{name}' for lib in libs)}")
        return self._types[name]

    def __contains__(self, name) -> bool:
        return name in self._types or name in self._ambiguous

    def __iter__(self) -> Iterator[str]:
        yield from self._types
        yield from (n for n in self._ambiguous if n not in self._types)

    def __len__(self) -> int:
        return len(self._types) + len(set(self._ambiguous) - set(self._types))


def make_parameter(name: str, spec, doc: Located, path: tuple) -> Parameter:
    """A :class:`Parameter` from its file entry, errors placed at the entry."""
    lo, hi = spec.domain
    try:
        if spec.default is not None and spec.integer and float(spec.default) != int(spec.default):
            raise ParameterError(f"parameter {name!r}", f"default {spec.default:g} is not a whole number",
                                 fix="give an integer parameter a whole-number default")
        default = int(spec.default) if spec.integer and spec.default is not None else spec.default
        return Parameter(name, (lo, hi), default=default, doc=spec.doc, integer=spec.integer)
    except MarkovwireError as e:
        raise placed(e, doc.where(path)) from None


def load_library_text(text: str, filename: str = "<library>", path: Path | None = None) -> Library:
    """A library from YAML text (``filename`` names it in messages)."""
    doc = load_yaml(text, filename)
    return Library(validate(LibraryFile, doc), doc, path)


_LIBRARY_CACHE: dict[tuple, Library] = {}


def load_library(ref: str | os.PathLike, relative_to: str | os.PathLike | None = None,
                 where: str | Place = "library") -> Library:
    """The library named ``ref`` (see :mod:`.discovery`) or at the path ``ref``.

    Loaded libraries are cached by file, size and modification time.
    """
    path = find_library(os.fspath(ref), relative_to, where) if not isinstance(ref, Path) else ref
    try:
        st = path.stat()
        key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    except OSError:
        key = None
    if key in _LIBRARY_CACHE:
        return _LIBRARY_CACHE[key]
    doc = read_document(path, _display(path))
    lib = Library(validate(LibraryFile, doc), doc, path)
    if key is not None:
        _LIBRARY_CACHE[key] = lib
    return lib


# ----- kernels from file entries -----------------------------------------------------------------------
def build_kernel(spec: KernelSpec, dom, cod, params: Mapping[str, Parameter], name: str,
                 where: Callable[[tuple], Place], sized_by: str = "") -> Kernel:
    """The kernel of a ``table``, ``function`` or ``construction`` entry on the given ports.

    Its size is checked first (:func:`~markovwire.diagrams.files.check_entries`, the cap diagram
    files have too); ``sized_by`` names the parameters that sized the ports (``B = 100000``).
    """
    from markovwire.types import bundle
    dom, cod = bundle(dom), bundle(cod)
    fix = ("use smaller types for its ports, or fewer ports (split a box with many inputs into a chain of boxes "
           "of a few inputs each): a kernel is a table of every input and output label")
    if sized_by:
        fix = f"give smaller values to {sized_by} (in the file, or with --set on the command line); or {fix[4:]}"
    check_entries(dom + cod, where(()), fix=fix)
    if spec.construction is not None:
        ctx = constructions.Context(name, dom, cod, params, spec.args,
                                    lambda path: where(("args",) + path if path else ("construction",)))
        return constructions.build(spec.construction, ctx)
    ports = dom + cod
    # each entry is written as the position of its expression among the distinct ones (0: zero, for missing ones)
    codes = np.zeros([len(p.type) for p in ports], dtype=np.int32)
    parsed: dict[tuple, tuple] = {("zero",): (0, sympy.Integer(0), ("table",))}  # key -> (position, expr, path)
    if spec.table is not None:
        _fill_table(spec.table, ports, len(dom), codes, (), (), params, where, name, parsed)
    else:
        parsed[("one",)] = (1, sympy.Integer(1), ("function",))
        _fill_function(spec.function, dom, cod, codes, (), (), where)
    distinct = sorted(parsed.values(), key=lambda v: v[0])
    exprs = [e for _, e, _ in distinct]
    if not any(e.free_symbols for e in exprs if isinstance(e, sympy.Basic)):
        # constants as finite floats, evaluated with bounded work, each distinct one once; a failure names its entry
        exprs = constant_values(exprs, lambda i: where(distinct[i][2]))
    try:
        return Kernel.from_coding(codes, exprs, dom, cod, params=params, name=name)
    except MarkovwireError as e:
        raise placed(e, where(("table",) if spec.table is not None else ("function",))) from None


def _fill_table(node, ports, n_in, arr, index, path, params, where, name, parsed=None):
    """Write a nested table into ``arr``; ``_`` at an input level stands for the labels not listed there.

    The rows a ``_`` stands for are filled once and copied. With ``parsed`` (``key -> (position,
    expression, key path)``), each distinct entry is parsed once and ``arr`` receives its position,
    so a wildcard over a large type costs one row, not one parse per label.
    """
    depth = len(index)
    here = ("table",) + path
    if depth == len(ports):
        if parsed is None:
            arr[index] = constructions.to_expr(node, params, where(here))
            return
        key = (type(node).__name__, node) if isinstance(node, (str, int, float)) else (id(node),)
        if key not in parsed:
            parsed[key] = (len(parsed), constructions.to_expr(node, params, where(here)), here)
        arr[index] = parsed[key][0]
        return
    if not isinstance(node, dict):
        p = ports[depth]
        raise FileFormatError(where(here),
                              f"expected a mapping by labels of {p.name} ({p.type.name}), got {_show(node)}",
                              fix="nest one mapping per port: inputs "
                                  f"({', '.join(q.name for q in ports[:n_in]) or 'none'})"
                                  f", then outputs ({', '.join(q.name for q in ports[n_in:])})")
    t = ports[depth].type
    listed = {str(k) for k in node if k != WILDCARD}
    for key, sub in node.items():
        if key == WILDCARD:
            if depth >= n_in:
                raise FileFormatError(where(here + (key,)), f"'{WILDCARD}' stands for other input labels; "
                                      f"{ports[depth].name} is an output",
                                      fix="list output labels one by one (missing ones are zero)")
            keep = np.ones(len(t), dtype=bool)
            keep[[t.index(x) for x in listed if x in t]] = False
            rows = np.flatnonzero(keep).tolist()
        else:
            rows = [t.index(t.label(key, where(here + (key,))))]
        if rows:
            _fill_table(sub, ports, n_in, arr, index + (rows[0],), path + (key,), params, where, name, parsed)
            _copy_rows(arr, index, rows[0], rows[1:])


def _fill_function(node, dom, cod, arr, index, path, where):
    """Write a deterministic function table (input labels → output label or list of labels) into ``arr``."""
    depth = len(index)
    here = ("function",) + path
    if depth == len(dom):
        outs = node if isinstance(node, list) else [node]
        if isinstance(node, dict) or len(outs) != len(cod):
            raise FileFormatError(where(here), f"expected {len(cod)} output label(s) "
                                  f"({', '.join(f'{p.name}: {p.type.name}' for p in cod)}), got {_show(node)}",
                                  fix="end each row with the output label (a list of labels for several outputs)")
        out_idx = tuple(p.type.index(p.type.label(o, where(here))) for p, o in zip(cod, outs))
        arr[index + out_idx] = 1  # the position of the entry 1 (see build_kernel)
        return
    p = dom[depth]
    if not isinstance(node, dict):
        raise FileFormatError(where(here),
                              f"expected a mapping by labels of {p.name} ({p.type.name}), got {_show(node)}",
                              fix=f"nest one mapping per input ({', '.join(q.name for q in dom)}), "
                                  "ending in output labels")
    listed = {str(k) for k in node if k != WILDCARD}
    for key, sub in node.items():
        rows = [i for i, x in enumerate(p.type.elements) if x not in listed] if key == WILDCARD else \
            [p.type.index(p.type.label(key, where(here + (key,))))]
        if rows:
            _fill_function(sub, dom, cod, arr, index + (rows[0],), path + (key,), where)
            _copy_rows(arr, index, rows[0], rows[1:])
    missing = [x for x in p.type.elements if x not in listed] if WILDCARD not in node else []
    if missing:
        raise FileFormatError(where(here), f"no row for {p.name} = {missing[0]!r}",
                              fix=f"give a row for every label of {p.type.name}, or a '{WILDCARD}' row for the rest")


def _copy_rows(arr: np.ndarray, index: tuple, first: int, others: list[int]) -> None:
    """Copy the block ``arr[index + (first,)]`` to the positions ``others`` of the same axis (a wildcard's rows)."""
    if others:
        arr[index + (np.asarray(others),)] = arr[index + (first,)]


