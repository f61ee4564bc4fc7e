"""The text syntax of string diagrams and of finite types, parsed safely.

A diagram in a file is written as a Python-like expression over instance names:
``>>`` composes in sequence, ``@`` side by side, parentheses group, and the
plumbing calls ``copy(A)``, ``copy(A, 3)``, ``discard(A)``, ``swap(A, B)`` and
``id(A)`` take type names (written bare, ``copy``, their types are inferred).
The text is parsed by :func:`ast.parse` in eval mode and walked with an
allow-list; nothing is ever evaluated.

>>> from markovwire import FinSet, Kernel
>>> from markovwire.diagrams import Box
>>> Act = FinSet("Act", ["clean", "attack"]); V = FinSet("Verdict", ["pass", "flag"])
>>> boxes = {"policy": Box.of(Kernel([0.9, 0.1], [], [("act", Act)], name="policy")),
...          "monitor": Box.of(Kernel([[0.95, 0.05], [0.3, 0.7]], [("act", Act)], [("verdict", V)], name="monitor"))}
>>> d = parse_diagram("policy >> copy(Act) >> (monitor @ id(Act))", boxes, {"Act": Act})
>>> print(d)
policy >> copy[Act] >> (monitor ⊗ id[Act])
>>> parse_diagram("policy >> monitr", boxes, {})
Traceback (most recent call last):
...
markovwire.errors.UnknownName: diagram: unknown name 'monitr' (did you mean 'monitor'?) (column 11)
  fix: use an instance name (monitor, policy) or copy, discard, swap, id
>>> parse_diagram("policy.__class__", boxes, {})
Traceback (most recent call last):
...
markovwire.errors.ExpressionError: diagram: attribute access is not allowed (column 1)
  fix: write instance names joined by >> and @, with parentheses and copy(A), discard(A), swap(A, B), id(A)

Types are written the same way: a declared name, or a family applied to types and
whole numbers (``Range(5)``, ``Vec(Verdict, 3)``, ``Product(Act, Verdict)``, and
``Sum(A, B)``, the labels of ``A`` then those of ``B``); sizes may be integer
expressions in named sizes (``Range(B + 1)``):

>>> parse_type("Vec(Verdict, n - 1)", {"Verdict": V}, sizes={"n": 3}).elements
('pass,pass', 'pass,flag', 'flag,pass', 'flag,flag')
"""
from __future__ import annotations

import ast
import difflib
from typing import Mapping

from markovwire import FinSet, Product, Range, Vec
from markovwire.errors import ExpressionError, MarkovwireError, ShapeError, UnknownName

from .expression import Box, Diagram

MAX_TEXT = 2000
MAX_NODES = 1000           # names, calls and operators (at most one per character of MAX_TEXT, in practice)
MAX_DEPTH = 40
MAX_SIZE = 1_000_000
PLUMBING = ("copy", "discard", "swap", "id")
FAMILIES = ("Range", "Vec", "Candidates", "Product", "Sum")
_DIAGRAM_FIX = "write instance names joined by >> and @, with parentheses and copy(A), discard(A), swap(A, B), id(A)"
_TYPE_FIX = "write a type name, or Range(n), Vec(A, n), Product(A, B), Sum(A, B) with whole numbers n"


def parse_diagram(text: str, boxes: Mapping[str, object], types: Mapping[str, FinSet], where: str = "diagram",
                  sizes: Mapping[str, int] | None = None) -> Diagram:
    """The :class:`Diagram` written in ``text`` over the named ``boxes`` (see the module docstring)."""
    tree = _parse(text, where, _DIAGRAM_FIX)
    walker = _Walker(text, where, types, sizes or {})
    walker.check(tree)
    return walker.diagram(tree.body, boxes)


def parse_type(text: str, types: Mapping[str, FinSet], where: str = "type",
               sizes: Mapping[str, int] | None = None) -> FinSet:
    """The finite set written in ``text``: a name in ``types`` or a family applied to types and sizes."""
    tree = _parse(text, where, _TYPE_FIX)
    walker = _Walker(text, where, types, sizes or {})
    walker.check(tree)
    return walker.type(tree.body)


def type_names(text: str) -> set[str]:
    """The bare names a type text refers to (to order type definitions); empty if it does not parse."""
    try:
        tree = ast.parse(text.strip(), mode="eval") if len(text) <= MAX_TEXT else None
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    if tree is None:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - set(FAMILIES)


def _qualified(node: ast.Attribute) -> bool:
    """Whether ``node`` is ``library.Name`` (two plain names, no underscore first: never a dunder)."""
    return isinstance(node.value, ast.Name) and node.value.id[:1].isalpha() and node.attr[:1].isalpha()


def _parse(text: str, where: str, fix: str) -> ast.Expression:
    if not isinstance(text, str):
        raise ExpressionError(where, f"expected text, got {type(text).__name__}", fix=fix)
    if len(text) > MAX_TEXT:
        raise ExpressionError(where, f"is {len(text)} characters long (at most {MAX_TEXT})",
                              fix="split the diagram into a wiring diagram or shorter parts")
    if not text.strip():
        raise ExpressionError(where, "is empty", fix=fix)
    depth = 0
    for col, ch in enumerate(text, start=1):
        if not (" " <= ch <= "~" or ch in "\t\n\r"):
            raise ExpressionError(where, f"character {ch!r} is not allowed (column {col})",
                                  fix="use plain ASCII; write ⊗ as @ and ; as >>")
        depth += ch in "([{"
        depth -= ch in ")]}"
        if depth > MAX_DEPTH:
            raise ExpressionError(where, f"brackets are nested more than {MAX_DEPTH} deep (column {col})", fix=fix)
    stripped = text.strip()
    lead = len(text) - len(text.lstrip())
    try:
        return ast.parse(stripped, mode="eval")
    except SyntaxError as e:
        col = (e.offset or 1) + lead
        raise ExpressionError(where, f"is not well formed: {e.msg} (column {col})", fix=fix) from None
    except (ValueError, RecursionError, MemoryError):
        raise ExpressionError(where, "is not well formed", fix=fix) from None


class _Walker:
    """One walk of one parsed text: the allow-list check, then building."""

    def __init__(self, text: str, where: str, types: Mapping[str, FinSet], sizes: Mapping[str, int]):
        self.text, self.where, self.types, self.sizes = text, where, types, sizes
        self.lead = len(text) - len(text.lstrip())

    def col(self, node: ast.AST) -> int:
        return getattr(node, "col_offset", 0) + 1 + self.lead

    def fail(self, node, what: str, fix: str = _DIAGRAM_FIX, kind=ExpressionError):
        raise kind(self.where, f"{what} (column {self.col(node)})", fix=fix)

    def check(self, tree: ast.Expression) -> None:
        """Refuse any construct outside the grammar (before anything is built)."""
        nodes = [n for n in ast.walk(tree.body) if not isinstance(n, ast.expr_context)]
        if len(nodes) > MAX_NODES:
            raise ExpressionError(self.where, f"is too large (more than {MAX_NODES} names and operators)",
                                  fix="split it into a wiring diagram")
        allowed = (ast.BinOp, ast.Call, ast.Name, ast.Constant, ast.Load, ast.RShift, ast.MatMult,
                   ast.Add, ast.Sub, ast.Mult)
        symbols = {ast.Pow: "**", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%", ast.LShift: "<<",
                   ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&"}
        for node in nodes:
            if isinstance(node, ast.BinOp) and type(node.op) in symbols:
                self.fail(node, f"operator '{symbols[type(node.op)]}' is not allowed")
            if isinstance(node, ast.operator):
                continue
            if isinstance(node, ast.Attribute):
                if not _qualified(node):  # only library.Type, a type of one library where libraries clash
                    self.fail(node, "attribute access is not allowed")
                continue
            if isinstance(node, ast.Call) and node.keywords:
                self.fail(node, "keyword arguments are not allowed", fix="give types positionally: copy(Act, 3)")
            if not isinstance(node, allowed):
                what = {ast.Subscript: "indexing is", ast.Lambda: "lambda is", ast.Compare: "comparisons are",
                        ast.Tuple: "tuples are", ast.List: "lists are", ast.Starred: "starred arguments are",
                        ast.UnaryOp: "unary operators are", ast.BoolOp: "'and'/'or' are"}.get(
                    type(node), f"{type(node).__name__} is")
                self.fail(node, f"{what} not allowed")

    # ----- diagrams ------------------------------------------------------------------
    def diagram(self, node: ast.expr, boxes: Mapping[str, object]) -> Diagram:
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.RShift, ast.MatMult)):
            left, right = self.diagram(node.left, boxes), self.diagram(node.right, boxes)
            try:
                return left >> right if isinstance(node.op, ast.RShift) else left @ right
            except MarkovwireError as e:
                if type(e).__init__ is not MarkovwireError.__init__:
                    raise
                op = ">>" if isinstance(node.op, ast.RShift) else "@"
                what = f"{e.where}: {e.what}" if e.where else e.what
                raise type(e)(f"{self.where} (column {self._op_col(node)}, '{op}')", what, e.fix) from None
        if isinstance(node, ast.BinOp):
            op = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*"}.get(type(node.op), "?")
            self.fail(node, f"operator '{op}' does not combine diagrams",
                      fix="use >> for sequence and @ for side by side")
        if isinstance(node, ast.Name):
            if node.id in PLUMBING:
                return Diagram.box(self.plumbing(node.id, [], node))
            if node.id in boxes:
                return Diagram.box(boxes[node.id])
            self.unknown(node, node.id, list(boxes))
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in PLUMBING:
                name = node.func.id if isinstance(node.func, ast.Name) else "this"
                self.fail(node, f"{name!r} cannot be called; only copy, discard, swap and id take arguments")
            args = [a if self.is_size(a) else self.type(a) for a in node.args]
            return Diagram.box(self.plumbing(node.func.id, args, node))
        if isinstance(node, ast.Constant):
            self.fail(node, f"the constant {node.value!r} is not a diagram")
        if isinstance(node, ast.Attribute):
            self.fail(node, "attribute access is not allowed")
        self.fail(node, f"{type(node).__name__} is not allowed")

    def plumbing(self, name: str, args: list, node) -> Box:
        types = [a for a in args if isinstance(a, FinSet)]
        counts = [a for a in args if not isinstance(a, FinSet)]
        arity = {"copy": (0, 1), "discard": (0, 1), "id": (0, 1), "swap": (0, 2)}[name]
        if len(types) not in (arity[0], arity[1]) or (counts and (name != "copy" or len(types) != 1)) \
                or len(counts) > 1 or (args and not isinstance(args[0], FinSet)):
            usage = {"copy": "copy(A) or copy(A, n)", "discard": "discard(A)", "id": "id(A)",
                     "swap": "swap(A, B)"}[name]
            self.fail(node, f"{name} takes {usage}, not these arguments", fix=f"write {usage} with type names")
        if name == "copy":
            n = self.size(counts[0]) if counts else 2
            if not 1 <= n <= 64:
                self.fail(node, f"copy makes between 1 and 64 copies, not {n}", fix="use copy(A, n) with 1 <= n <= 64")
            return Box.copy(types[0] if types else None, n)
        if name == "discard":
            return Box.discard(*types)
        if name == "id":
            return Box.identity(*types)
        return Box.swap(*types)

    def unknown(self, node, name: str, known: list[str]):
        close = difflib.get_close_matches(name, known + list(PLUMBING), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        shown = ", ".join(sorted(known)[:20]) or "none yet"
        self.fail(node, f"unknown name {name!r}{hint}",
                  fix=f"use an instance name ({shown}) or copy, discard, swap, id", kind=UnknownName)

    def _op_col(self, node: ast.BinOp) -> int:
        line = self.text.strip().split("\n")[0]
        for i in range(node.left.end_col_offset or 0, node.right.col_offset):
            if i < len(line) and line[i] in ">@":
                return i + 1 + self.lead
        return self.col(node)

    # ----- types -----------------------------------------------------------------------
    def is_size(self, node) -> bool:
        """Whether an argument is written as a whole number rather than a type."""
        if isinstance(node, ast.Name):
            return node.id in self.sizes and node.id not in self.types
        return (isinstance(node, ast.Constant) and type(node.value) is int) or \
            (isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult)))

    def type(self, node: ast.expr) -> FinSet:
        if isinstance(node, (ast.Name, ast.Attribute)):
            name = node.id if isinstance(node, ast.Name) else f"{node.value.id}.{node.attr}"
            if name in self.types:
                return self.types[name]
            close = difflib.get_close_matches(name, list(self.types), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            self.fail(node, f"unknown type {name!r}{hint}",
                      fix=f"use a declared type ({', '.join(sorted(self.types)[:20]) or 'none declared'}) "
                          "or Range(n), Vec(A, n), Product(A, B)", kind=UnknownName)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FAMILIES:
            fam, args = node.func.id, node.args
            try:
                if fam == "Range" and len(args) == 1:
                    return Range(self.size(args[0]))
                if fam in ("Vec", "Candidates") and len(args) == 2:
                    return Vec(self.type(args[0]), self.size(args[1]))
                if fam == "Product" and 1 <= len(args) <= 16:
                    return Product(*(self.type(a) for a in args))
                if fam == "Sum" and 1 <= len(args) <= 16:
                    return self.sum([self.type(a) for a in args], node)
            except ShapeError as e:
                self.fail(node, e.what, fix=e.fix or _TYPE_FIX)
            usage = {"Range": "Range(n)", "Vec": "Vec(A, n)", "Candidates": "Candidates(A, n)",
                     "Product": "Product(A, B, ...)", "Sum": "Sum(A, B, ...)"}[fam]
            self.fail(node, f"{fam} takes {usage}", fix=f"write {usage}")
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else "this"
            self.fail(node, f"{name!r} is not a type family", fix=_TYPE_FIX, kind=UnknownName)
        self.fail(node, "is not a type", fix=_TYPE_FIX)

    def sum(self, parts: list[FinSet], node) -> FinSet:
        """The disjoint union: the labels of each part in turn (they must differ)."""
        labels = [x for t in parts for x in t.elements]
        if len(set(labels)) != len(labels):
            clash = sorted({x for x in labels if labels.count(x) > 1})[0]
            self.fail(node, f"the label {clash!r} is in more than one part of the Sum",
                      fix="give the parts of a Sum distinct labels")
        if len(labels) > MAX_SIZE:
            self.fail(node, f"Sum has {len(labels)} labels (at most {MAX_SIZE})", fix="use smaller finite types")
        return FinSet(f"Sum({', '.join(t.name for t in parts)})", labels)

    def size(self, node: ast.expr) -> int:
        """A whole number: a literal, a named size, or + - * of those (bounded)."""
        if isinstance(node, ast.Constant) and type(node.value) is int:
            value = node.value
        elif isinstance(node, ast.Name):
            if node.id not in self.sizes:
                self.fail(node, f"unknown size {node.id!r}",
                          fix=f"use a whole number or an integer parameter ({', '.join(sorted(self.sizes)) or 'none'})",
                          kind=UnknownName)
            value = self.sizes[node.id]
        elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult)):
            a, b = self.size(node.left), self.size(node.right)
            value = a + b if isinstance(node.op, ast.Add) else a - b if isinstance(node.op, ast.Sub) else a * b
        else:
            self.fail(node, "is not a whole number", fix="write sizes as whole numbers, e.g. Range(5)")
        if abs(value) > MAX_SIZE:
            self.fail(node, f"size {value} is too large (at most {MAX_SIZE})", fix="use smaller finite types")
        return value
