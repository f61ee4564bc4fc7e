"""A proposal file as a round-trip YAML tree: an edit changes only what it edits, comments and layout stay.

The UI edits the file model (a :class:`~markovwire.library.schema.ProposalFile`); each edit is carried
into the file's ruamel.yaml tree by :func:`patch`, which compares the old and new models in their
normal form (:func:`~markovwire.library.proposal.spec_data`) and changes only the keys and items that
differ. :func:`text` then writes the tree out and keeps every line the edit did not touch exactly as
it was in the file (ruamel normalises indentation, so untouched regions are taken from the file, by a
three-way merge of the file, the tree as read and the tree as edited).

>>> original = ("# my proposal\\nname: demo   # the name\\n"
...             "parameters:\\n  beta: \\"1/3\\"  # from the paper\\n  a: 0.02\\n")
>>> tree = load(original, "demo.yaml")
>>> edited = patch(tree, {"name": "demo", "parameters": {"beta": "1/3", "a": 0.02}},
...                {"name": "demo", "parameters": {"beta": "1/4", "a": 0.02}})
>>> print(text(original, dump(tree), dump(edited)), end="")
# my proposal
name: demo   # the name
parameters:
  beta: "1/4"  # from the paper
  a: 0.02

Loading stays safe: the text is first read by markovwire's own safe loader (which bounds size and
nesting and refuses every tag), and ruamel's round-trip loader refuses any tag it does not know.

>>> try:
...     load("a: !!python/object/apply:os.system [ls]\\n", "evil.yaml")
... except FileFormatError as e:
...     print(e.place, "|", e.fix)
evil.yaml:1 | remove the tag: these files hold plain YAML only (no !!python or other tags)
"""
from __future__ import annotations

import copy
import difflib
import io
import json
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import CommentMark
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, FoldedScalarString, ScalarString
from ruamel.yaml.tokens import CommentToken

from markovwire.diagrams.yamlsafe import LineLoader, load_yaml
from markovwire.errors import FileFormatError, Place

WIDTH = 4096          # never fold a line the user wrote on one line
FLOW_WIDTH = 60       # a new mapping or list this short (as JSON) is written on one line


# ----- reading and writing ---------------------------------------------------------------------------
class _Constructor(RoundTripConstructor):
    """ruamel's round-trip constructor, refusing any tag it does not know (it would otherwise keep it)."""

    def construct_undefined(self, node):
        raise FileFormatError(Place(file=getattr(self.loader, "filename", None), line=node.start_mark.line + 1),
                              f"has the tag {node.tag!s}",
                              fix="remove the tag: these files hold plain YAML only (no !!python or other tags)")


_Constructor.add_constructor(None, _Constructor.construct_undefined)


class _Representer(RoundTripRepresenter):
    """Writes what markovwire's loader reads back as the same value: a string it would read as a number or a
    date is quoted, a float always has a dot (``1.0e-05``; YAML 1.1 reads ``1e-05`` as text)."""

    def represent_str(self, data):
        if _read_as_other(data) or not _plain_anywhere(data):
            return self.represent_scalar("tag:yaml.org,2002:str", data, style='"')
        return super().represent_str(data)

    def represent_float(self, data):
        if data == data and abs(data) != float("inf"):
            out = repr(float(data))
            if "e" in out and "." not in out.split("e")[0]:
                mantissa, exp = out.split("e")
                out = f"{mantissa}.0e{exp}"
            return self.represent_scalar("tag:yaml.org,2002:float", out)
        return super().represent_float(data)


_Representer.add_representer(str, _Representer.represent_str)
_Representer.add_representer(float, _Representer.represent_float)


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.Constructor = _Constructor
    y.Representer = _Representer
    y.preserve_quotes = True
    y.width = WIDTH
    y.indent(mapping=2, sequence=4, offset=2)
    return y


_SAFE: LineLoader | None = None


def _read_as_other(s: str) -> bool:
    """Whether markovwire's safe loader reads the plain scalar ``s`` as something other than text."""
    global _SAFE
    if _SAFE is None:
        _SAFE = LineLoader("")
    return _SAFE.resolve(yaml.ScalarNode, s, (True, False)) != "tag:yaml.org,2002:str"


_EMITTER: yaml.emitter.Emitter | None = None


def _plain_anywhere(s: str) -> bool:
    """Whether ``s`` can be written unquoted both inside ``{...}`` and on a line of its own (PyYAML's analysis)."""
    global _EMITTER
    if _EMITTER is None:
        _EMITTER = yaml.emitter.Emitter(io.StringIO())
    analysis = _EMITTER.analyze_scalar(s)
    return bool(analysis.allow_flow_plain and analysis.allow_block_plain and not analysis.multiline)


def load(source: str, filename: str = "<text>") -> CommentedMap:
    """The round-trip tree of a YAML mapping, read safely (see the module docstring)."""
    located = load_yaml(source, filename)
    if not isinstance(located.data, dict):
        raise FileFormatError(Place(file=filename, line=1), "is not a mapping of keys", fix="start with 'name: ...'")
    y = _yaml()
    try:
        tree = y.load(source)
    except FileFormatError:
        raise
    except Exception as err:          # ruamel reads YAML 1.2, PyYAML 1.1: a rare text only one of them accepts
        mark = getattr(err, "problem_mark", None)
        raise FileFormatError(Place(file=filename, line=mark.line + 1 if mark else 1), f"is not valid YAML: {err}",
                              fix="fix the YAML syntax at that line") from None
    if not isinstance(tree, CommentedMap):
        raise FileFormatError(Place(file=filename, line=1), "is not a mapping of keys", fix="start with 'name: ...'")
    return tree


def dump(tree: Any) -> str:
    """The text of a round-trip tree."""
    out = io.StringIO()
    _yaml().dump(tree, out)
    return out.getvalue()


def tree_of(data: dict) -> CommentedMap:
    """A fresh tree for plain data (a proposal with no file yet), short mappings and lists on one line."""
    return fresh(data, None)


# ----- carrying an edit into the tree --------------------------------------------------------------------
def same(a: Any, b: Any) -> bool:
    """Equal, with mapping keys in the same order (the order of outer ports and queries means something)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


def patch(tree: CommentedMap, old: dict, new: dict) -> CommentedMap:
    """A copy of ``tree`` with the change from ``old`` to ``new`` (plain data in normal form) made in it.

    Only keys and list items whose values differ are touched; where the file's shape differs from the
    normal form (a value the file gives in another form), the differing value is replaced whole.
    """
    out = copy.deepcopy(tree)
    _patch_map(out, old, new)
    return out


def _patch_map(node: CommentedMap, old: dict, new: dict) -> None:
    keys = list(node)
    gone, came = [k for k in old if k not in new], [k for k in new if k not in old]
    if len(gone) == len(came) == 1 and _key(node, gone[0]) is not None and _key(node, came[0]) is None:
        _rename_key(node, _key(node, gone[0]), came[0])       # a renamed entry keeps its place, layout, comments
        old = {(came[0] if k == gone[0] else k): v for k, v in old.items()}
    for k in old:
        if k not in new:
            tk = _key(node, k)
            if tk is not None:
                _delete_key(node, tk)
    for i, k in enumerate(new):
        tk = _key(node, k)
        if tk is None:
            after = next((_key(node, p) for p in reversed(list(new)[:i]) if _key(node, p) is not None), None)
            pos = list(node).index(after) + 1 if after is not None else 0
            node.insert(pos, k, fresh(new[k], _sibling(node)))
        elif k not in old:
            node[tk] = fresh(new[k], node[tk])
        elif not same(old[k], new[k]):
            node[tk] = _patched(node[tk], old[k], new[k])
    common = [k for k in new if k in old]
    if common != [k for k in old if k in new]:                 # the edit reordered keys: follow it
        order = [_key(node, k) for k in new]
        present = [k for k in node if k in order]
        rank = {k: i for i, k in enumerate(order)}
        for k in sorted(present, key=rank.__getitem__):
            node.move_to_end(k)
        for k in [k for k in keys if k in node and k not in rank]:
            node.move_to_end(k)


def _patched(node: Any, old: Any, new: Any) -> Any:
    """``node`` (a value in the tree, ``old`` in normal form) changed to ``new``. A node with an anchor is
    replaced, never changed in place: its aliases elsewhere in the file keep what they were."""
    if getattr(getattr(node, "anchor", None), "value", None) is not None:
        return fresh(new, node)
    if isinstance(new, dict) and isinstance(old, dict) and isinstance(node, CommentedMap):
        _patch_map(node, old, new)
        return node
    if isinstance(new, list) and isinstance(old, list) and isinstance(node, CommentedSeq) and len(node) == len(old):
        _patch_seq(node, old, new)
        return node
    if not isinstance(new, (dict, list)):
        return scalar(new, node)
    return fresh(new, node)


def _patch_seq(node: CommentedSeq, old: list, new: list) -> None:
    keyed = lambda xs: [json.dumps(x, sort_keys=False, default=str) for x in xs]
    ops = difflib.SequenceMatcher(None, keyed(old), keyed(new), autojunk=False).get_opcodes()
    for tag, i1, i2, j1, j2 in reversed(ops):
        if tag == "equal":
            continue
        if tag == "replace" and i2 - i1 == j2 - j1:
            for d in range(i2 - i1):
                node[i1 + d] = _patched(node[i1 + d], old[i1 + d], new[j1 + d])
            continue
        for i in reversed(range(i1, i2)):
            _delete_item(node, i)
        for d, value in enumerate(new[j1:j2]):
            node.insert(i1 + d, fresh(value, node[i1 - 1] if i1 > 0 and len(node) >= i1 else _sibling(node)))


def _key(node: CommentedMap, k: Any) -> Any:
    """The tree's key for ``k``: the same, or the integer a label was written as (``1`` for ``"1"``)."""
    if k in node:
        return k
    for tk in node:
        if isinstance(tk, int) and not isinstance(tk, bool) and str(tk) == k:
            return tk
    return None


def _sibling(node: Any) -> Any:
    """A value of ``node`` to take the style of new values from."""
    values = list(node.values()) if isinstance(node, dict) else list(node)
    return next((v for v in values if isinstance(v, (CommentedMap, CommentedSeq))), None)


def _rename_key(node: CommentedMap, key: Any, new: Any) -> None:
    pos = list(node).index(key)
    comment = node.ca.items.pop(key, None)
    value = node.pop(key)
    node.insert(pos, new, value)
    if comment is not None:
        node.ca.items[new] = comment


def _delete_key(node: CommentedMap, key: Any) -> None:
    """Delete ``key``, keeping the comment lines below its value (ruamel files them under the key above)."""
    keys = list(node)
    i = keys.index(key)
    kept = _tail(node.ca.items.get(key), 2)
    del node[key]
    node.ca.items.pop(key, None)
    if kept and i > 0:
        _add_tail(node.ca.items, keys[i - 1], 2, kept)


def _delete_item(node: CommentedSeq, i: int) -> None:
    kept = _tail(node.ca.items.get(i), 0)
    del node[i]
    if kept and i > 0:
        _add_tail(node.ca.items, i - 1, 0, kept)


def _tail(entry: list | None, slot: int) -> str:
    """The whole-line comments in a comment slot, after the end-of-line comment of the value itself."""
    token = entry[slot] if entry and len(entry) > slot else None
    if not isinstance(token, CommentToken):
        return ""
    return token.value.partition("\n")[2]


def _add_tail(items: dict, key: Any, slot: int, lines: str) -> None:
    entry = items.setdefault(key, [None, None, None, None])
    token = entry[slot]
    if isinstance(token, CommentToken):
        token.value = token.value + lines if token.value.endswith("\n") else token.value + "\n" + lines
    else:
        entry[slot] = CommentToken("\n" + lines, CommentMark(0), None)


def scalar(value: Any, like: Any) -> Any:
    """``value`` written as ``like`` was: a quoted string stays quoted in the same way."""
    if isinstance(value, str) and isinstance(like, ScalarString):
        out = type(like)(value)
        if isinstance(like, FoldedScalarString) and getattr(like, "fold_pos", None):
            out.fold_pos = _folds(like, value)
        return out
    if isinstance(value, str) and (_read_as_other(value) or not _plain_anywhere(value)):
        return DoubleQuotedScalarString(value)
    return value


def _folds(old: FoldedScalarString, new: str) -> list[int]:
    """Where a folded text breaks its lines, carried over to ``new``: at the same spaces, counted from the start
    (a renamed name moves the breaks with it); none if ``new`` has other spaces."""
    spaces = [i for i, c in enumerate(old) if c == " "]
    moved = [i for i, c in enumerate(new) if c == " "]
    if len(spaces) != len(moved):
        return []
    rank = {p: k for k, p in enumerate(spaces)}
    return [moved[rank[p]] for p in old.fold_pos if p in rank]


def fresh(value: Any, like: Any) -> Any:
    """Plain data as tree nodes: on one line where ``like`` (a neighbour, or the node replaced) is, or where it is
    short; a value under a key ``like`` has too is quoted as it was there."""
    if isinstance(value, dict):
        was = (lambda k: like[_key(like, k)] if _key(like, k) is not None else None) if isinstance(
            like, CommentedMap) else (lambda k: None)
        node = CommentedMap((k, fresh(v, was(k))) for k, v in value.items())
    elif isinstance(value, list):
        was_at = (lambda i: like[i] if i < len(like) else None) if isinstance(like, CommentedSeq) else (lambda i: None)
        node = CommentedSeq(fresh(v, was_at(i)) for i, v in enumerate(value))
    else:
        return scalar(value, like)
    on_one_line = isinstance(like, (CommentedMap, CommentedSeq)) and like.fa.flow_style()
    if on_one_line or len(json.dumps(value, default=str)) <= FLOW_WIDTH:
        node.fa.set_flow_style()
    return node


# ----- the text -----------------------------------------------------------------------------------------
def text(original: str, before: str, after: str) -> str:
    """``after`` (the dump of the edited tree), with every region the edit did not change taken from
    ``original`` (the file) rather than from ``before`` (the dump of the tree as read from it).

    A three-way merge by lines: the file and ``before`` differ only where ruamel normalises layout, and
    ``before`` and ``after`` only where the edit is; a region unchanged by the edit is the file's.
    """
    if before == after:
        return original
    if original == before:
        return after
    T, B0, B1 = original.splitlines(True), before.splitlines(True), after.splitlines(True)
    to_t = _positions(B0, T)
    to_b1 = _positions(B0, B1)
    anchors = sorted(p for p in to_t if p in to_b1)
    out: list[str] = []
    for p, q in zip(anchors, anchors[1:]):
        if B0[p:q] == B1[to_b1[p]:to_b1[q]]:
            out += T[to_t[p]:to_t[q]]
        else:
            out += B1[to_b1[p]:to_b1[q]]
    return "".join(out)


def _positions(a: list[str], b: list[str]) -> dict[int, int]:
    """Line boundaries of ``a`` that have exactly one place in ``b`` (0 and the end always do)."""
    valid: dict[int, int] = {0: 0, len(a): len(b)}
    bad: set[int] = set()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            for d in range(i2 - i1 + 1):
                valid.setdefault(i1 + d, j1 + d)
        elif i1 == i2:                          # lines only in b: the boundary has two places
            bad.add(i1)
        else:
            valid.setdefault(i1, j1)
            valid.setdefault(i2, j2)
            bad.update(range(i1 + 1, i2))
    for p in bad - {0, len(a)}:
        valid.pop(p, None)
    return valid
