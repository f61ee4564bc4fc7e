"""Safe YAML with line numbers: every key and list item of a document knows its line.

Files from elsewhere are untrusted. :func:`load_yaml` reads at most
:data:`MAX_BYTES`, parses with a :class:`yaml.SafeLoader` subclass (no Python
tags), refuses duplicate keys, and bounds nesting and alias expansion. It
returns a :class:`Located` document: the data, plus the line of every path so
that any later error ("``boxes.monitor.kernel``") can name ``file:line``.

>>> doc = load_yaml("boxes:\\n  monitor:\\n    kernel: {a: 1}\\n", "proposal.yaml")
>>> doc.data["boxes"]["monitor"]["kernel"]
{'a': 1}
>>> doc.where(("boxes", "monitor", "kernel", "a"))
'proposal.yaml:3: boxes.monitor.kernel.a'
>>> load_yaml("a: 1\\na: 2\\n", "p.yaml")
Traceback (most recent call last):
...
markovwire.errors.FileFormatError: p.yaml:2: key 'a': appears twice (first on line 1)
  fix: keep one of the two entries
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Sequence

import yaml
from yaml.nodes import MappingNode, SequenceNode

from markovwire.errors import FileFormatError

MAX_BYTES = 5_000_000
MAX_NODES = 1_000_000  # values in the document, counting those reached through aliases
MAX_DEPTH = 64


class LineLoader(yaml.SafeLoader):
    """A SafeLoader that records the line of every mapping key and list item, and refuses duplicate keys."""

    def __init__(self, stream, filename: str = "<text>"):
        super().__init__(stream)
        self.filename = filename
        self.key_lines: dict[int, tuple[Any, dict]] = {}  # id(container) -> (container, key or index -> line)

    def construct_mapping(self, node, deep=False):
        if isinstance(node, MappingNode):
            self.flatten_mapping(node)
        mapping, lines = {}, {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                hash(key)
            except TypeError:
                raise FileFormatError(f"{self.filename}:{key_node.start_mark.line + 1}",
                                      "a list or mapping is used as a key", fix="use a string as the key") from None
            line = key_node.start_mark.line + 1
            if key in mapping:
                raise FileFormatError(f"{self.filename}:{line}: key {key!r}",
                                      f"appears twice (first on line {lines[key]})", fix="keep one of the two entries")
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


@dataclass
class Located:
    """A parsed document with the line of every path (tuples of keys and list indices)."""

    data: Any
    filename: str
    lines: dict[tuple, int] = field(default_factory=dict)

    def line(self, path: Sequence) -> int:
        """The line of the longest prefix of ``path`` that is in the document (1 for the root)."""
        path = tuple(path)
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)

    def known(self, path: Sequence) -> tuple:
        """The longest prefix of ``path`` that is in the document."""
        path = tuple(path)
        while path and path not in self.lines:
            path = path[:-1]
        return path

    def where(self, path: Sequence) -> str:
        """``file:line: key.path[3]`` for an error about ``path`` (the part of it that is in the file)."""
        key = dotted(self.known(path))
        return f"{self.filename}:{self.line(path)}" + (f": {key}" if key else "")


def dotted(path: Sequence) -> str:
    """``("boxes", "monitor", "kernel")`` → ``boxes.monitor.kernel``; indices as ``wires[3]``."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) and not isinstance(p, bool) else (f".{p}" if out else str(p))
    return out


def read_text(path: str | os.PathLike, max_bytes: int = MAX_BYTES) -> str:
    """The text of a file, refusing files larger than ``max_bytes`` before reading them."""
    name = os.fspath(path)
    try:
        size = os.path.getsize(name)
        if size > max_bytes:
            raise FileFormatError(name, f"is {size} bytes, more than the limit of {max_bytes}",
                                  fix="split the file, or check that it is the file you meant")
        with open(name, "rb") as f:
            raw = f.read(max_bytes + 1)
    except FileNotFoundError:
        raise FileFormatError(name, "does not exist", fix="check the path") from None
    except IsADirectoryError:
        raise FileFormatError(name, "is a directory, not a file", fix="give the path of a YAML file") from None
    except OSError as err:
        raise FileFormatError(name, f"cannot be read ({err.strerror or err})", fix="check the path and "
                              "its permissions") from None
    if len(raw) > max_bytes:
        raise FileFormatError(name, f"is more than {max_bytes} bytes", fix="split the file")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise FileFormatError(f"{name}:{line}", "is not valid UTF-8 text", fix="save the file as UTF-8") from None


def load_yaml(text: str, filename: str = "<text>", max_bytes: int = MAX_BYTES) -> Located:
    """Parse one YAML document safely, with line numbers (see the module docstring)."""
    if len(text) > max_bytes:
        raise FileFormatError(filename, f"is {len(text)} characters, more than the limit of {max_bytes}",
                              fix="split the file")
    loader = LineLoader(text, filename)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        what = ", ".join(str(x) for x in (err.context, err.problem) if x)
        if isinstance(err, yaml.constructor.ConstructorError):
            fix = "remove the tag: these files hold plain YAML only (no !!python or other tags)"
        else:
            fix = "fix the YAML syntax at that line (indentation, quotes, colons)"
        raise FileFormatError(f"{filename}:{mark.line + 1 if mark else 1}", f"is not valid YAML: {what}",
                              fix=fix) from None
    except yaml.YAMLError as err:
        raise FileFormatError(filename, f"is not valid YAML: {err}", fix="fix the YAML syntax") from None
    except RecursionError:
        raise FileFormatError(filename, "is nested too deeply", fix=f"keep nesting below {MAX_DEPTH} levels") from None
    finally:
        loader.dispose()
    doc = Located(data, filename)
    _index(doc, loader.key_lines)
    return doc


def _index(doc: Located, key_lines: dict) -> None:
    """Fill ``doc.lines`` by walking the data (aliases expanded, within the node and depth limits)."""
    count = 0
    stack = [(doc.data, ())]
    while stack:
        value, path = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise FileFormatError(doc.filename, f"expands to more than {MAX_NODES} values (through aliases?)",
                                  fix="write the document without deep chains of anchors and aliases")
        if len(path) > MAX_DEPTH:
            raise FileFormatError(doc.where(path), f"is nested more than {MAX_DEPTH} levels deep",
                                  fix="flatten the document")
        if isinstance(value, (dict, list)):
            lines = key_lines.get(id(value), (None, {}))[1]
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for k, v in items:
                sub = path + (k,)
                doc.lines.setdefault(sub, lines.get(k, doc.line(path)))
                stack.append((v, sub))

