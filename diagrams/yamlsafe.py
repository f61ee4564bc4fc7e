"""Safe YAML with line numbers: every key and list item of a document knows its line.

Files from elsewhere are untrusted. :func:`read_text` reads only regular files (never a FIFO
or a device, which would block or never end) of at most :data:`MAX_BYTES`; :func:`load_yaml`
composes the document from the parser's events, counting values as they come (those reached
through aliases too) and refusing it at the line where it passes :data:`MAX_NODES` values or
:data:`MAX_DEPTH` levels, so an oversized document is refused before it is built. It then
constructs plain data (no Python tags, no tags beyond YAML's core ones), refuses duplicate
keys, and returns a :class:`Located` document: the data, plus the line of every path so that
any later error ("``boxes.monitor.kernel``") can name ``file:line``.

Plain scalars are read by the YAML 1.2 core schema, as ruamel.yaml (with which the UI saves)
reads them: ``010`` is ten, ``0o10`` eight, ``1:20`` and ``yes``/``no``/``on``/``off`` are text,
``1e3`` is a number. A number written other than by its plain digits remembers its text, so a
label keeps what the user wrote (:func:`written`):

>>> doc = load_yaml("T: 010\\nwhen: 1:20\\nAnswer: [yes, no, 010]\\nstrict: true\\n")
>>> doc.data
{'T': 10, 'when': '1:20', 'Answer': ['yes', 'no', 10], 'strict': True}
>>> written(doc.data["Answer"][2])
'010'

Merge keys (``<<``) follow YAML's merge type: the mapping's own keys win, then earlier merged
mappings over later ones, a merged mapping's own merges resolved first:

>>> load_yaml("a: &a {k: 0, m: 0}\\nb: &b {<<: *a, k: 1}\\nc: {<<: [*b, {m: 3, n: 4}], n: 5}\\n").data["c"]
{'n': 5, 'k': 1, 'm': 0}

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

import errno
import functools
import os
import re
import stat
from dataclasses import dataclass, field
from typing import Any, Sequence

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.events import AliasEvent, MappingEndEvent, ScalarEvent, SequenceEndEvent, SequenceStartEvent, StreamEndEvent
from yaml.nodes import MappingNode, ScalarNode, SequenceNode
from yaml.resolver import BaseResolver

from markovwire.errors import FileFormatError, Place, dotted  # noqa: F401 (dotted is used from here)

try:  # libyaml's parser: the same events as PyYAML's own, several times faster
    from yaml.cyaml import CParser as _Parser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, Parser):  # type: ignore[no-redef]
        def __init__(self, stream):
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)

MAX_BYTES = 5_000_000   # bytes of one file
MAX_NODES = 100_000     # keys and values of one document, counting those reached through aliases
MAX_DEPTH = 64          # levels of nested lists and mappings
FIXED = "these are fixed safety limits"

TAG = "tag:yaml.org,2002:"
BOOL, INT, FLOAT, NULL, STR, SEQ, MAP, MERGE, TIMESTAMP, VALUE = (
    TAG + t for t in ("bool", "int", "float", "null", "str", "seq", "map", "merge", "timestamp", "value"))

# The YAML 1.2 core schema as ruamel.yaml reads it (it also allows '_' between digits, and 0b binary).
RESOLVERS = [
    (BOOL, r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    (FLOAT, r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
                |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
                |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
                |[-+]?\.(?:inf|Inf|INF)
                |\.(?:nan|NaN|NAN))$""", "-+0123456789."),
    (INT, r"^(?:[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?[0-9_]+|[-+]?0x[0-9a-fA-F_]+)$", "-+0123456789"),
    (MERGE, r"^(?:<<)$", "<"),
    (NULL, r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    (TIMESTAMP, next(r for t, r in yaml.resolver.Resolver.yaml_implicit_resolvers["0"] if t == TIMESTAMP),
     "0123456789"),
    (VALUE, r"^(?:=)$", "="),
]
NON_PRINTABLE = yaml.reader.Reader.NON_PRINTABLE


class WrittenInt(int):
    """A whole number written other than by its plain digits (``010``, ``+1``, ``1_000``, ``0x1f``).

    It is the number (equal, hashed and computed with as one), and keeps its text, which a label uses.
    """

    text: str

    def __new__(cls, value: int, text: str):
        self = super().__new__(cls, value)
        self.text = text
        return self

    def __reduce__(self):
        return (WrittenInt, (int(self), self.text))


# Data read by this module can be written with yaml.safe_dump: a WrittenInt is written as it was read (010 stays 010).
yaml.add_representer(WrittenInt, lambda dumper, data: dumper.represent_scalar(INT, data.text), Dumper=yaml.SafeDumper)


def written(value) -> str:
    """The text of a scalar as the file wrote it: ``010`` → ``"010"``, other values as ``str`` gives them."""
    return value.text if isinstance(value, WrittenInt) else str(value)


class LineLoader(_Parser, SafeConstructor, BaseResolver):
    """Composes a document from parser events within the limits, then constructs it recording lines.

    Every mapping key and list item records its line; duplicate keys, Python and unknown tags, cycles of
    aliases and documents past :data:`MAX_NODES` values or :data:`MAX_DEPTH` levels are refused.
    """

    yaml_constructors: dict = {}
    yaml_multi_constructors: dict = {}
    yaml_implicit_resolvers: dict = {}

    def __init__(self, stream, filename: str = "<text>"):
        _Parser.__init__(self, stream)
        SafeConstructor.__init__(self)
        BaseResolver.__init__(self)
        self.filename = filename
        self.key_lines: dict[int, tuple[Any, dict]] = {}  # id(container) -> (container, key or index -> line)
        self.anchors: dict[str, Any] = {}
        self.sizes: dict[int, tuple[int, int]] = {}  # id(anchored node) -> (values, levels of nesting) once composed
        self.values = 0             # values composed so far, those reached through aliases counted each time
        self.path: list = []        # key nodes and indices down to the node being composed
        self.deepest = 0            # the longest path to a collection seen inside the collection being composed

    # ----- composing, within the limits -----------------------------------------------------------------
    def get_single_node(self):
        self.get_event()  # stream start
        node = None
        if not self.check_event(StreamEndEvent):
            self.get_event()  # document start
            node = self.compose_node()
            self.get_event()  # document end
        if not self.check_event(StreamEndEvent):
            event = self.get_event()
            raise yaml.composer.ComposerError("expected a single document in the stream", None,
                                              "but found another document", event.start_mark)
        self.get_event()
        return node

    def place(self, event) -> Place:
        """The place of the node being composed (at ``event``): its key path, and the line of its key."""
        keys = tuple(k if isinstance(k, int) else k.value if isinstance(k, ScalarNode) else "?" for k in self.path)
        last = self.path[-1] if self.path else None
        line = (last if not isinstance(last, int) else event).start_mark.line + 1
        return Place(file=self.filename, line=line, keys=keys)

    def compose_node(self):
        event = self.get_event()
        depth = len(self.path)
        if isinstance(event, ScalarEvent):
            self.values += 1
            if self.values > MAX_NODES:
                raise self.too_many(event)
            tag = event.tag
            if tag is None or tag == "!":
                tag = (_plain_tag(event.value) if len(event.value) <= 64 else _plain_tag.__wrapped__(event.value)) \
                    if event.implicit[0] else STR
            node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
            if event.anchor is not None:
                self.anchors[event.anchor] = node
                self.sizes[id(node)] = (1, 0)
            return node
        if isinstance(event, AliasEvent):
            return self.compose_alias(event, depth)
        self.values += 1
        if self.values > MAX_NODES:
            raise self.too_many(event)
        if depth >= MAX_DEPTH:
            raise self.too_deep(event)
        start, outer, self.deepest = self.values, self.deepest, depth
        path = self.path
        tag = event.tag
        if isinstance(event, SequenceStartEvent):
            node = SequenceNode(SEQ if tag is None or tag == "!" else tag, [], event.start_mark, None,
                                flow_style=event.flow_style)
            if event.anchor is not None:
                self.anchors[event.anchor] = node
            items = node.value
            while not self.check_event(SequenceEndEvent):
                path.append(len(items))
                items.append(self.compose_node())
                path.pop()
        else:
            node = MappingNode(MAP if tag is None or tag == "!" else tag, [], event.start_mark, None,
                               flow_style=event.flow_style)
            if event.anchor is not None:
                self.anchors[event.anchor] = node
            pairs = node.value
            while not self.check_event(MappingEndEvent):
                key = self.compose_node()
                path.append(key)
                pairs.append((key, self.compose_node()))
                path.pop()
        node.end_mark = self.get_event().end_mark
        if event.anchor is not None:
            self.sizes[id(node)] = (self.values - start + 1, self.deepest - depth + 1)
        self.deepest = max(outer, self.deepest)
        return node

    def compose_alias(self, event, depth: int):
        """The node an alias names, counted again (its values and levels), refused if it is not finished (a cycle)."""
        if event.anchor not in self.anchors:
            raise yaml.composer.ComposerError(None, None, f"found undefined alias {event.anchor!r}", event.start_mark)
        node = self.anchors[event.anchor]
        if id(node) not in self.sizes:
            kind = "list" if isinstance(node, SequenceNode) else "mapping"
            raise FileFormatError(self.place(event).replace(line=event.start_mark.line + 1),
                                  f"the alias *{event.anchor} is inside the {kind} it names (a cycle)",
                                  fix=f"write out the values instead of *{event.anchor}")
        values, levels = self.sizes[id(node)]
        self.values += values
        if self.values > MAX_NODES:
            raise self.too_many(event, f"; the alias *{event.anchor} repeats {values:,} values")
        if levels and depth + levels - 1 >= MAX_DEPTH:
            raise self.too_deep(event, f" (through the alias *{event.anchor})")
        self.deepest = max(self.deepest, depth + levels - 1)
        return node

    def too_many(self, event, how: str = "") -> FileFormatError:
        return FileFormatError(self.place(event).replace(line=event.start_mark.line + 1),
                               f"the document holds more than {MAX_NODES:,} values by here (counting those repeated "
                               f"through aliases{how})",
                               fix=f"split it into several files, or write it without long chains of anchors and "
                                   f"aliases ({FIXED}: at most {MAX_NODES:,} values and {MAX_BYTES:,} bytes a file)")

    def too_deep(self, event, how: str = "") -> FileFormatError:
        return FileFormatError(self.place(event), f"is nested more than {MAX_DEPTH} levels deep{how}",
                               fix="flatten the document")

    # ----- constructing, with lines -----------------------------------------------------------------------
    def fail(self, node, what: str, fix: str) -> FileFormatError:
        return FileFormatError(Place(file=self.filename, line=node.start_mark.line + 1), what, fix=fix)

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as err:  # a number or date too large or malformed for Python
            raise self.fail(node, f"{_short(node.value)!s} cannot be read as {node.tag.removeprefix(TAG)} ({err})",
                            "write it as a number or date Python can hold, or quote it to make it text") from None

    def construct_pairs(self, node) -> tuple[dict, dict]:
        """The mapping of ``node`` and the line of each key: its own keys (in order), then merged keys."""
        if not isinstance(node, MappingNode):
            raise self.fail(node, "'<<' merges mappings only", "merge a mapping (*anchor) or a list of them")
        mapping: dict = {}
        lines: dict = {}
        merges = []
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if key_node.tag == MERGE:
                if merges:
                    raise FileFormatError(Place("key '<<'", file=self.filename, line=line),
                                          f"appears twice (first on line {merges[0][0].start_mark.line + 1})",
                                          fix="merge several mappings with one key: '<<: [*a, *b]'")
                merges.append((key_node, value_node))
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise FileFormatError(Place(file=self.filename, line=line), "a list or mapping is used as a key",
                                      fix="use a string as the key") from None
            if key in mapping:
                raise FileFormatError(Place(f"key {key!r}", file=self.filename, line=line),
                                      f"appears twice (first on line {lines[key]})", fix="keep one of the two entries")
            mapping[key] = self.construct_object(value_node)
            lines[key] = line
        for _, value_node in merges:
            for source in value_node.value if isinstance(value_node, SequenceNode) else [value_node]:
                merged, merged_lines = self.construct_pairs(source)
                for key, value in merged.items():
                    if key not in mapping:
                        mapping[key] = value
                        lines[key] = merged_lines[key]
        return mapping, lines

    def construct_yaml_map(self, node):
        data: dict = {}
        yield data
        mapping, lines = self.construct_pairs(node)
        data.update(mapping)
        self.key_lines[id(data)] = (data, lines)

    def construct_yaml_seq(self, node):
        data: list = []
        yield data
        data.extend(self.construct_sequence(node))
        self.key_lines[id(data)] = (data, {i: n.start_mark.line + 1 for i, n in enumerate(node.value)})

    def construct_yaml_int(self, node):
        text = self.construct_scalar(node)
        digits = text.replace("_", "")
        sign = -1 if digits[:1] == "-" else 1
        digits = digits[1:] if digits[:1] in ("+", "-") else digits
        base = {"0b": 2, "0o": 8, "0x": 16}.get(digits[:2], 10)
        value = sign * int(digits[2:] if base != 10 else digits, base)
        return value if text == str(value) else WrittenInt(value, text)

    def construct_yaml_float(self, node):
        text = self.construct_scalar(node).replace("_", "").lower()
        sign = -1.0 if text[:1] == "-" else 1.0
        text = text[1:] if text[:1] in ("+", "-") else text
        if text in (".inf", ".nan"):
            return sign * float(text[1:])
        return sign * float(text)

    def construct_yaml_bool(self, node):
        value = self.construct_scalar(node)
        if value.lower() not in self.bool_values:
            raise ValueError("it is not true or false")
        return self.bool_values[value.lower()]

    def construct_yaml_timestamp(self, node):
        if not self.timestamp_regexp.match(self.construct_scalar(node)):   # an explicit !!timestamp on other text
            raise ValueError("it is not a date or a time")
        return super().construct_yaml_timestamp(node)

    def construct_undefined(self, node):
        if node.tag == VALUE:
            raise self.fail(node, "'=' alone is read by YAML as a value key", "quote it: '='")
        raise ConstructorError(None, None, f"could not determine a constructor for the tag {node.tag!r}",
                               node.start_mark)


for _tag, _method in [(NULL, SafeConstructor.construct_yaml_null), (BOOL, LineLoader.construct_yaml_bool),
                      (STR, SafeConstructor.construct_yaml_str),
                      (TIMESTAMP, LineLoader.construct_yaml_timestamp), (INT, LineLoader.construct_yaml_int),
                      (FLOAT, LineLoader.construct_yaml_float), (SEQ, LineLoader.construct_yaml_seq),
                      (MAP, LineLoader.construct_yaml_map), (None, LineLoader.construct_undefined)]:
    LineLoader.add_constructor(_tag, _method)
for _tag, _pattern, _first in RESOLVERS:
    LineLoader.add_implicit_resolver(_tag, re.compile(_pattern, re.X) if isinstance(_pattern, str) else _pattern,
                                     list(_first))


@functools.lru_cache(maxsize=4096)
def _plain_tag(value: str) -> str:
    """The tag of a plain (unquoted) scalar by :data:`RESOLVERS`: what ``LineLoader.resolve`` gives, remembered."""
    for tag, regexp in LineLoader.yaml_implicit_resolvers.get(value[:1], ()):
        if regexp.match(value):
            return tag
    return STR


def _short(text, n: int = 40) -> str:
    text = str(text)
    return repr(text if len(text) <= n else text[:n] + "…")


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


# ----- reading files ------------------------------------------------------------------------------------
_KINDS = [(stat.S_ISDIR, "a directory, not a file"),
          (stat.S_ISFIFO, "a FIFO (named pipe), not a regular file"),
          (stat.S_ISCHR, "a character device, not a regular file"),
          (stat.S_ISBLK, "a block device, not a regular file"),
          (stat.S_ISSOCK, "a socket, not a regular file")]


def file_error(name: str, err: OSError, where: str | Place | None = None) -> FileFormatError:
    """The markovwire error for an ``OSError`` met looking for or reading the file ``name`` (its ``errno`` kept)."""
    place = Place.of(where).nest(Place(file=name)) if where else Place(file=name)
    if err.errno == errno.ENOENT:
        out = FileFormatError(place, "does not exist", fix="check the path")
    elif err.errno == errno.ENAMETOOLONG:
        out = FileFormatError(place, f"cannot be opened: {os.strerror(err.errno)} (the path is {len(name):,} "
                              "characters)", fix="use a shorter path, e.g. relative to the proposal's directory")
    else:
        reason = os.strerror(err.errno) if err.errno else str(err)
        out = FileFormatError(place, f"cannot be read: {reason}", fix="check the path and its permissions")
    out.errno = err.errno
    return out


def regular_file(path: str | os.PathLike, where: str | Place | None = None) -> os.stat_result:
    """The status of ``path`` if it is a regular file (following links); else the markovwire error saying what it is.

    >>> regular_file("/dev/null")
    Traceback (most recent call last):
    ...
    markovwire.errors.FileFormatError: /dev/null: is a character device, not a regular file
      fix: give the path of a YAML file
    """
    name = os.fspath(path)
    try:
        st = os.stat(name)
    except (OSError, ValueError) as err:  # ValueError: a NUL character in the path
        raise (file_error(name, err, where) if isinstance(err, OSError) else
               FileFormatError(Place(file=repr(name)), "is not a valid path (it holds a NUL character)",
                               fix="check the path")) from None
    _check_kind(name, st, where)
    return st


def _check_kind(name: str, st: os.stat_result, where: str | Place | None) -> None:
    if not stat.S_ISREG(st.st_mode):
        what = next((text for test, text in _KINDS if test(st.st_mode)), "not a regular file")
        place = Place.of(where).nest(Place(file=name)) if where else Place(file=name)
        raise FileFormatError(place, f"is {what}", fix="give the path of a YAML file")


def read_text(path: str | os.PathLike, max_bytes: int = MAX_BYTES) -> str:
    """The text of a regular file, refusing a larger one than ``max_bytes`` (or a FIFO, a device) before reading.

    It is opened without blocking and checked again once open, so a file swapped for a FIFO in between
    cannot make it wait forever.
    """
    name = os.fspath(path)
    regular_file(name)
    try:
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as err:
        raise file_error(name, err) from None
    with open(fd, "rb") as f:
        st = os.fstat(fd)
        _check_kind(name, st, None)
        if st.st_size > max_bytes:
            raise FileFormatError(Place(file=name), f"is {st.st_size:,} bytes, {st.st_size - max_bytes:,} more than "
                                  f"the limit of {max_bytes:,}",
                                  fix=f"split it into several files, or check that it is the file you meant ({FIXED})")
        try:
            raw = f.read(max_bytes + 1)
        except OSError as err:
            raise file_error(name, err) from None
    if len(raw) > max_bytes:  # a file that grew, or one whose size the system does not know (/proc)
        raise FileFormatError(Place(file=name), f"is more than {max_bytes:,} bytes",
                              fix=f"split it into several files ({FIXED})")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise FileFormatError(Place(file=name, line=line), "is not valid UTF-8 text",
                              fix="save the file as UTF-8") from None


def load_yaml(text: str, filename: str = "<text>", max_bytes: int = MAX_BYTES) -> Located:
    """Parse one YAML document safely, with line numbers (see the module docstring)."""
    if len(text) > max_bytes:
        raise FileFormatError(Place(file=filename), f"is {len(text):,} characters, {len(text) - max_bytes:,} more than "
                              f"the limit of {max_bytes:,}", fix=f"split it into several files ({FIXED})")
    _check_characters(text, filename)
    _check_flow_depth(text, filename)
    loader = None
    try:
        loader = LineLoader(text, filename)
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        what = ", ".join(str(x) for x in (err.context, err.problem) if x)
        if isinstance(err, ConstructorError):
            fix = "remove the tag: these files hold plain YAML only (no !!python or other tags)"
        else:
            fix = "fix the YAML syntax at that line (indentation, quotes, colons)"
        raise FileFormatError(Place(file=filename, line=mark.line + 1 if mark else 1), f"is not valid YAML: {what}",
                              fix=fix) from None
    except yaml.YAMLError as err:
        raise FileFormatError(Place(file=filename), f"is not valid YAML: {err}", fix="fix the YAML syntax") from None
    except RecursionError:
        raise FileFormatError(Place(file=filename), "is nested too deeply",
                              fix=f"keep nesting below {MAX_DEPTH} levels") from None
    finally:
        if loader is not None:
            loader.dispose()
    return Located(data, filename, loader.key_lines)


def _check_characters(text: str, filename: str) -> None:
    """Refuse characters YAML does not allow in a file, naming the first (the parser would say less)."""
    bad = NON_PRINTABLE.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise FileFormatError(Place(file=filename, line=line), "is not valid YAML: special characters are not "
                              f"allowed (character {bad.group()!r})", fix="remove the control character")


def _check_flow_depth(text: str, filename: str) -> None:
    """Refuse deeply nested ``[`` and ``{`` before parsing: the YAML scanner is quadratic in their depth."""
    depth = 0
    for m in re.finditer(r"[\[\]{}]", text):
        depth += 1 if m.group() in "[{" else -1
        if depth > MAX_DEPTH:
            line = text.count("\n", 0, m.start()) + 1
            raise FileFormatError(Place(file=filename, line=line), f"nests brackets more than {MAX_DEPTH} levels deep",
                                  fix="flatten the document")
