"""Safe YAML with line numbers: every key and list item of a document knows its line.

Files from elsewhere are untrusted. :func:`load_yaml` reads at most
:data:`MAX_BYTES`, parses with a :class:`yaml.SafeLoader` subclass (no Python
tags), refuses duplicate keys, and bounds nesting and alias expansion. It
returns a :class:`Located` document: the data, plus the line of every path so
that any later error ("``boxes.monitor.kernel``") can name ``file:line``.

Booleans are those of YAML 1.2 (``true``/``false``), not YAML 1.1's ``yes``, ``no``,
``on`` and ``off``, which are natural labels:

>>> load_yaml("Answer: [yes, no]\\nstrict: true\\n").data
{'Answer': ['yes', 'no'], 'strict': True}

>>> doc = load_yaml("boxes:\\n  monitor:\\n    kernel: {a: 1}\\n", "proposal.yaml")
>>> doc.data["boxes"]["monitor"]["kernel"]
{'a': 1}
>>> doc.where(("boxes", "monitor", "kernel", "a"))
'proposal.yaml:3: boxes.monitor.kernel.a'
>>> place = doc.where(("boxes", "monitor", "nosuch"))
>>> place, place.file, place.line, place.keys
('proposal.yaml:2: boxes.monitor', 'proposal.yaml', 2, ('boxes', 'monitor'))
>>> load_yaml("a: 1\\na: 2\\n", "p.yaml")
Traceback (most recent call last):
...
markovwire.errors.FileFormatError: p.yaml:2: key 'a': appears twice (first on line 1)
  fix: keep one of the two entries
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Sequence

import yaml
from yaml.nodes import MappingNode

from markovwire.errors import FileFormatError, Place, dotted  # noqa: F401 (dotted is used from here)

MAX_BYTES = 5_000_000
MAX_NODES = 1_000_000  # values in the document, counting those reached through aliases
MAX_DEPTH = 64


class LineLoader(yaml.SafeLoader):
    """A SafeLoader that records the line of every mapping key and list item, and refuses duplicate keys."""

    def __init__(self, stream, filename: str = "<text>"):
        super().__init__(stream)
        self.filename = filename
        self.key_lines: dict[int, tuple[Any, dict]] = {}  # id(container) -> (container, key or index -> line)
        self.merged: dict[int, int] = {}  # id(mapping node) -> how many of its first pairs came from `<<` merges

    def flatten_mapping(self, node):
        """Merge ``<<`` keys as SafeLoader does, remembering how many pairs the merges put in front."""
        own = sum(1 for key_node, _ in node.value if key_node.tag != "tag:yaml.org,2002:merge")
        super().flatten_mapping(node)
        if len(node.value) > own:
            self.merged[id(node)] = len(node.value) - own

    def construct_mapping(self, node, deep=False):
        if isinstance(node, MappingNode):
            self.flatten_mapping(node)
        merged = self.merged.get(id(node), 0)
        mapping, lines, own = {}, {}, set()
        for i, (key_node, value_node) in enumerate(node.value):
            key = self.construct_object(key_node, deep=deep)
            try:
                hash(key)
            except TypeError:
                raise FileFormatError(Place(file=self.filename, line=key_node.start_mark.line + 1),
                                      "a list or mapping is used as a key", fix="use a string as the key") from None
            line = key_node.start_mark.line + 1
            if i >= merged:  # a key written here (merged keys may be overridden, as YAML says)
                if key in own:
                    raise FileFormatError(Place(f"key {key!r}", file=self.filename, line=line),
                                          f"appears twice (first on line {lines[key]})",
                                          fix="keep one of the two entries")
                own.add(key)
            mapping[key] = self.construct_object(value_node, deep=deep)
            lines[key] = line
        self._last_lines = lines
        return mapping

    def construct_yaml_map(self, node):
        data: dict = {}
        yield data
        data.update(self.construct_mapping(node))
        self.key_lines[id(data)] = (data, self._last_lines)

    def construct_yaml_seq(self, node):
        data: list = []
        yield data
        data.extend(self.construct_sequence(node))
        self.key_lines[id(data)] = (data, {i: n.start_mark.line + 1 for i, n in enumerate(node.value)})


LineLoader.add_constructor("tag:yaml.org,2002:map", LineLoader.construct_yaml_map)
LineLoader.add_constructor("tag:yaml.org,2002:seq", LineLoader.construct_yaml_seq)

# YAML 1.2 booleans only: SafeLoader's YAML 1.1 resolver also reads yes/no/on/off (any case) as true/false.
BOOL_TAG = "tag:yaml.org,2002:bool"
LineLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != BOOL_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
LineLoader.add_implicit_resolver(BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


@dataclass
class Located:
    """A parsed document that can tell the line of any path (a tuple of keys and list indices)."""

    data: Any
    filename: str
    key_lines: dict[int, tuple[Any, dict]] = field(default_factory=dict, repr=False)

    def _walk(self, path: Sequence) -> tuple[tuple, int]:
        """The longest prefix of ``path`` present in the document, and the line of its last key."""
        node, line, found = self.data, 1, ()
        for key in path:
            entry = self.key_lines.get(id(node))
            if entry is None or entry[0] is not node or key not in entry[1]:
                break
            line, node, found = entry[1][key], node[key], found + (key,)
        return found, line

    def line(self, path: Sequence) -> int:
        """The line of the longest prefix of ``path`` that is in the document (1 for the root)."""
        return self._walk(path)[1]

    def known(self, path: Sequence) -> tuple:
        """The longest prefix of ``path`` that is in the document."""
        return self._walk(path)[0]

    def where(self, path: Sequence, detail: str | None = None, *, box: str | None = None,
              port: str | None = None) -> Place:
        """The :class:`~markovwire.errors.Place` of ``path`` (the part of it that is in the file): file, line and
        key path as fields, ``file:line: key.path[3]`` as text (then ``detail``, or the box and port, if given)."""
        found, line = self._walk(path)
        if detail is None and box is None and port is None:
            detail = ""
        return Place(detail, file=self.filename, line=line, keys=found, box=box, port=port)


def read_text(path: str | os.PathLike, max_bytes: int = MAX_BYTES) -> str:
    """The text of a file, refusing files larger than ``max_bytes`` before reading them."""
    name = os.fspath(path)
    try:
        size = os.path.getsize(name)
        if size > max_bytes:
            raise FileFormatError(Place(file=name), f"is {size} bytes, more than the limit of {max_bytes}",
                                  fix="split the file, or check that it is the file you meant")
        with open(name, "rb") as f:
            raw = f.read(max_bytes + 1)
    except FileNotFoundError:
        raise FileFormatError(Place(file=name), "does not exist", fix="check the path") from None
    except IsADirectoryError:
        raise FileFormatError(Place(file=name), "is a directory, not a file",
                              fix="give the path of a YAML file") from None
    except OSError as err:
        raise FileFormatError(Place(file=name), f"cannot be read ({err.strerror or err})", fix="check the path and "
                              "its permissions") from None
    if len(raw) > max_bytes:
        raise FileFormatError(Place(file=name), f"is more than {max_bytes} bytes", fix="split the file")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise FileFormatError(Place(file=name, line=line), "is not valid UTF-8 text",
                              fix="save the file as UTF-8") from None


def load_yaml(text: str, filename: str = "<text>", max_bytes: int = MAX_BYTES) -> Located:
    """Parse one YAML document safely, with line numbers (see the module docstring)."""
    if len(text) > max_bytes:
        raise FileFormatError(Place(file=filename), f"is {len(text)} characters, more than the limit of {max_bytes}",
                              fix="split the file")
    _check_flow_depth(text, filename)
    loader = None
    try:
        loader = LineLoader(text, filename)
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        what = ", ".join(str(x) for x in (err.context, err.problem) if x)
        if isinstance(err, yaml.constructor.ConstructorError):
            fix = "remove the tag: these files hold plain YAML only (no !!python or other tags)"
        else:
            fix = "fix the YAML syntax at that line (indentation, quotes, colons)"
        raise FileFormatError(Place(file=filename, line=mark.line + 1 if mark else 1), f"is not valid YAML: {what}",
                              fix=fix) from None
    except yaml.reader.ReaderError as err:
        line = text[: err.position].count("\n") + 1
        raise FileFormatError(Place(file=filename, line=line), f"is not valid YAML: {err.reason} "
                              f"(character {chr(err.character)!r})", fix="remove the control character") from None
    except yaml.YAMLError as err:
        raise FileFormatError(Place(file=filename), f"is not valid YAML: {err}", fix="fix the YAML syntax") from None
    except RecursionError:
        raise FileFormatError(Place(file=filename), "is nested too deeply",
                              fix=f"keep nesting below {MAX_DEPTH} levels") from None
    finally:
        if loader is not None:
            loader.dispose()
    doc = Located(data, filename, loader.key_lines)
    _measure(doc)
    return doc


def _check_flow_depth(text: str, filename: str) -> None:
    """Refuse deeply nested ``[`` and ``{`` before parsing: the YAML scanner is quadratic in their depth."""
    depth = 0
    for m in re.finditer(r"[\[\]{}]", text):
        depth += 1 if m.group() in "[{" else -1
        if depth > MAX_DEPTH:
            line = text.count("\n", 0, m.start()) + 1
            raise FileFormatError(Place(file=filename, line=line), f"nests brackets more than {MAX_DEPTH} levels deep",
                                  fix="flatten the document")


def _measure(doc: Located) -> None:
    """Refuse documents nested too deeply, or expanding through aliases to too many values."""
    sizes: dict[int, int] = {}

    def size(node, path: tuple) -> int:
        if not isinstance(node, (dict, list)):
            return 1
        if id(node) in sizes:
            return sizes[id(node)]
        if len(path) >= MAX_DEPTH:
            raise FileFormatError(doc.where(path), f"is nested more than {MAX_DEPTH} levels deep",
                                  fix="flatten the document")
        items = node.items() if isinstance(node, dict) else enumerate(node)
        total = 1 + sum(size(v, path + (k,)) for k, v in items)
        if total > MAX_NODES:
            raise FileFormatError(Place(file=doc.filename), f"holds more than {MAX_NODES} values (counting those "
                                  "repeated through aliases)", fix="split the document, or write it without deep "
                                  "chains of anchors and aliases")
        sizes[id(node)] = total
        return total

    size(doc.data, ())
