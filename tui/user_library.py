"""The user's own component library: a component defined in the UI goes into a YAML library file next to
the proposal (``mine.yaml`` unless the user names another), with the types and parameters it needs.

The file is edited as a round-trip YAML document (read and written by :mod:`markovwire.tui.roundtrip`, as
proposals are), so what is already in it keeps its comments and order. Before anything is written, the new
text is loaded by the library loader and the new component built, so its table is checked exactly as a file's
would be (labels, rows summing to one, parameters in their domains): there is no second copy of those checks here.

>>> draft = ComponentDraft("coin", {}, {"side": "Side"}, {"heads": "p", "tails": "1 - p"},
...                        types={"Side": ["heads", "tails"]}, parameters={"p": {"domain": [0, 1], "default": 0.5}})
>>> text = library_text(None, "mine", draft)
>>> print(text)
name: mine
version: "1"
doc: Components defined in the markovwire UI.
types:
  Side: [heads, tails]
parameters:
  p: {domain: [0, 1], default: 0.5}
components:
  coin:
    outputs: {side: Side}
    parameters: [p]
    kernel:
      table: {heads: p, tails: 1 - p}
<BLANKLINE>
>>> check_component(text, "mine.yaml", "coin").signature
'I → side: Side'
"""
from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import yaml

from markovwire import Parameter
from markovwire.diagrams.syntax import parse_type, type_names
from markovwire.diagrams.yamlsafe import load_yaml
from markovwire.errors import FileFormatError
from markovwire.library import Component
from markovwire.library.loader import load_library_text, validate
from markovwire.library.schema import LibraryFile
from markovwire.types import FinSet

DEFAULT_FILE = "mine.yaml"
MAX_CELLS = 256
"""The largest table (rows × columns) edited cell by cell on screen; larger ones are written in the file."""
NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


@dataclass(frozen=True)
class ComponentDraft:
    """A component as the UI collects it: ports ``name -> type text``, a nested table (input labels, then
    output labels, as in a file), and the types and parameters it declares."""

    name: str
    inputs: Mapping[str, str]
    outputs: Mapping[str, str]
    table: Mapping
    types: Mapping[str, list[str]] = field(default_factory=dict)
    parameters: Mapping[str, Mapping] = field(default_factory=dict)
    doc: str = ""


# ----- the fields of the dialog, as text ----------------------------------------------------------------
def parse_ports(text: str, what: str) -> dict[str, str]:
    """``"a: Verdict, b: Verdict"`` as ``{"a": "Verdict", "b": "Verdict"}`` (commas inside brackets kept)."""
    out: dict[str, str] = {}
    for part in _split(text, ","):
        name, colon, type_text = part.partition(":")
        name, type_text = name.strip(), type_text.strip()
        if not colon or not NAME.match(name) or not type_text:
            raise FileFormatError(f"{what} {part.strip()!r}", "is not of the form name: Type",
                                  fix=f"write the {what} as e.g. a: Verdict, b: Verdict")
        if name in out:
            raise FileFormatError(f"{what} {name!r}", "is given twice", fix="give each port its own name")
        out[name] = type_text
    return out


def parse_types(text: str) -> dict[str, list[str]]:
    """``"Gate: [open, shut]; Level: [lo, hi]"`` as a mapping of new types to their labels."""
    out: dict[str, list[str]] = {}
    for part in _split(text, ";"):
        name, colon, rest = part.partition(":")
        name, rest = name.strip(), rest.strip()
        if not colon or not NAME.match(name) or not (rest.startswith("[") and rest.endswith("]")):
            raise FileFormatError(f"type {part.strip()!r}", "is not of the form Name: [label, label]",
                                  fix="write new types as e.g. Gate: [open, shut]; Level: [lo, hi]")
        labels = [x.strip() for x in rest[1:-1].split(",") if x.strip()]
        if not labels:
            raise FileFormatError(f"type {name!r}", "has no labels", fix="list its labels, e.g. [open, shut]")
        out[name] = labels
    return out


_PARAM = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_]*)\s+in\s+\[\s*([^,\]]+?)\s*,\s*([^\]]+?)\s*\]\s*(?:=\s*(.+?))?\s*$")


def parse_parameters(text: str) -> dict[str, dict]:
    """``"tpr in [0, 1] = 0.9; fpr in [0, 1] = 0.05"`` as parameter declarations (domain and default)."""
    from markovwire.library.constructions import constant
    out: dict[str, dict] = {}
    for part in _split(text, ";"):
        m = _PARAM.match(part)
        if m is None:
            raise FileFormatError(f"parameter {part.strip()!r}", "is not of the form name in [low, high] = default",
                                  fix="write new parameters as e.g. tpr in [0, 1] = 0.9; fpr in [0, 1] = 0.05")
        name, lo, hi, default = m.groups()
        where = f"parameter {name!r}"
        entry: dict = {"domain": [_number(constant(lo, where)), _number(constant(hi, where))]}
        if default is not None:
            entry["default"] = _number(constant(default, where))
        out[name] = entry
    return out


def _split(text: str, sep: str) -> list[str]:
    """``text`` split at ``sep`` outside brackets; empty parts dropped."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == sep and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p for p in parts if p.strip()]


def _number(x: float) -> int | float:
    return int(x) if float(x).is_integer() and abs(x) < 2 ** 53 else float(x)


# ----- the table ----------------------------------------------------------------------------------------
def port_types(ports: Mapping[str, str], types: Mapping[str, FinSet]) -> list[FinSet]:
    """The finite sets of the ports, in order (type texts resolved in ``types``)."""
    return [parse_type(t, types, f"port {n!r}") for n, t in ports.items()]


def grid(inputs: list[FinSet], outputs: list[FinSet]) -> tuple[list[tuple], list[tuple]]:
    """The rows (every combination of input labels) and columns (of output labels) of a table on screen."""
    n_rows, n_cols = math.prod(len(t) for t in inputs), math.prod(len(t) for t in outputs)
    if n_rows * n_cols > MAX_CELLS:                     # counted before a single row is made
        raise FileFormatError("table", f"has {n_rows} rows × {n_cols} columns = {n_rows * n_cols} "
                              f"cells, more than the {MAX_CELLS} edited here",
                              fix="write the component in the library file (docs/library-format.md; '_' rows "
                                  "cover many labels at once)")
    return (list(itertools.product(*[t.elements for t in inputs])),
            list(itertools.product(*[t.elements for t in outputs])))


def nested_table(cells: Mapping[tuple[tuple, tuple], str]) -> dict:
    """The file's nested table from cells ``(row labels, column labels) -> entry text`` (empty cells are zero)."""
    out: dict = {}
    for (row, col), text in cells.items():
        text = str(text).strip()
        if not text:
            continue
        node = out
        keys = list(row) + list(col)
        for k in keys[:-1]:
            node = node.setdefault(k, {})
        node[keys[-1]] = _entry(text)
    return out


def _entry(text: str):
    """A number as a number (``1``, ``0.5``), anything else as the expression text."""
    try:
        return _number(float(text)) if re.fullmatch(r"[0-9.eE+\-]+", text) else text
    except ValueError:
        return text


# ----- the library file ---------------------------------------------------------------------------------
def library_text(existing: str | None, library_name: str, draft: ComponentDraft,
                 known_types: Mapping[str, FinSet | list | str] | None = None,
                 known_parameters: Mapping[str, Parameter] | None = None, replace: bool = False,
                 layout: bool = True) -> str:
    """The library file's text with ``draft`` added (``existing``: the file's text, or None for a new file).

    Types and parameters the draft uses but does not declare are copied from ``known_types`` (as another
    library writes them: labels, or a family such as ``Range(B + 1)``) and ``known_parameters``, so that the
    file stands on its own and declares them exactly as the other library does. With
    ``layout=False`` the existing file's comments and layout are not kept (the same content, written
    several times faster: what the dialog checks on every key).
    """
    from ruamel.yaml.comments import CommentedMap

    from .roundtrip import dump, fresh, load
    known_types, known_parameters = known_types or {}, known_parameters or {}
    if existing is not None:
        filename = f"{library_name}.yaml"
        located = load_yaml(existing, filename)
        validate(LibraryFile, located)                 # safe and valid before ruamel reads it
        data = load(existing, filename) if layout else fresh(located.data, None)
    else:
        data = CommentedMap([("name", library_name), ("version", "1"),
                             ("doc", "Components defined in the markovwire UI.")])
    if draft.name in (data.get("components") or {}) and not replace:
        raise FileFormatError(f"component {draft.name!r}", f"already exists in library {data['name']!r}",
                              fix="choose another name")

    def section(key):
        if data.get(key) is None:
            data[key] = CommentedMap()
        return data[key]

    declared_types = set(data.get("types") or {})
    declared = set(data.get("parameters") or {})

    def declare_parameter(n: str) -> bool:
        """Copy parameter ``n``'s declaration from another library (as declared there, so the two agree)."""
        if n in declared:
            return True
        if n not in known_parameters:
            return False
        p = known_parameters[n]
        entry: dict = {"domain": [_number(p.domain[0]), _number(p.domain[1])]}
        if p.default is not None:
            entry["default"] = _number(p.default)
        if p.integer:
            entry["integer"] = True
        if p.doc:
            entry["doc"] = p.doc
        section("parameters")[n] = fresh(entry, None)
        declared.add(n)
        return True

    def declare_type(n: str) -> None:
        """Declare type ``n`` as the draft or another library does (a family with the types and parameters it
        is written in), so that it is the same type as theirs."""
        if n in declared_types:
            return
        spec = draft.types.get(n, known_types.get(n))
        if spec is None:
            return                                   # the loader says it is unknown, with the place
        declared_types.add(n)
        if isinstance(spec, str):                    # a family or an alias: what it is written in first
            for m in sorted(type_names(spec)):
                if m in known_types or m in draft.types:
                    declare_type(m)
                else:
                    declare_parameter(m)
            section("types")[n] = spec
        else:
            section("types")[n] = fresh(list(spec.elements if isinstance(spec, FinSet) else spec), None)

    for text in list(draft.inputs.values()) + list(draft.outputs.values()):
        for n in sorted(type_names(text)):
            declare_type(n)
    for n in draft.types:
        declare_type(n)

    params: list[str] = []
    for n, entry in draft.parameters.items():
        section("parameters")[n] = fresh(dict(entry), None)
        declared.add(n)
        params.append(n)
    for n in sorted(_names_in(draft.table)):
        if n not in params and declare_parameter(n):
            params.append(n)
    comp = CommentedMap()
    if draft.doc.strip():
        comp["doc"] = draft.doc.strip()
    if draft.inputs:
        comp["inputs"] = fresh(dict(draft.inputs), None)
    comp["outputs"] = fresh(dict(draft.outputs), None)
    if params:
        comp["parameters"] = fresh(params, None)
    comp["kernel"] = CommentedMap([("table", fresh(_plain(draft.table), None))])
    section("components")[draft.name] = comp
    for key in ("types", "parameters", "components"):          # keep the schema's order of sections
        if key in data:
            data.move_to_end(key)
    if not layout:
        return yaml.safe_dump(_builtin(data), sort_keys=False, allow_unicode=True, width=100)
    return dump(data)


def _builtin(node):
    """ruamel's mappings and sequences as plain dicts and lists (for the fast dump)."""
    if isinstance(node, Mapping):
        return {k: _builtin(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_builtin(v) for v in node]
    return str(node) if isinstance(node, str) else node          # a quoted string is a str subclass


def check_component(text: str, filename: str, name: str, path: Path | None = None) -> Component:
    """The component ``name`` of the library ``text``, built once: every problem of it raised, placed in the file."""
    lib = load_library_text(text, filename, path)
    comp = lib.component(name)
    comp.instantiate(name)
    return comp


def _names_in(table) -> set[str]:
    """The names an expression table could mean as parameters (the loader checks what they really are)."""
    names: set[str] = set()
    if isinstance(table, Mapping):
        for v in table.values():
            names |= _names_in(v)
    elif isinstance(table, str):
        names |= set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", table))
    return names


def _plain(node):
    return {k: _plain(v) for k, v in node.items()} if isinstance(node, Mapping) else node


def library_name_of(path: Path) -> str:
    """The name a library file gets from its file name (``mine.yaml`` -> ``mine``)."""
    stem = re.sub(r"[^A-Za-z0-9_]", "_", path.stem) or "mine"
    return stem if stem[0].isalpha() else f"lib_{stem}"

