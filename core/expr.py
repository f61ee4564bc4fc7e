"""Expressions from files: a whitelisted grammar parsed into sympy, and back.

This module is the only way text from a file becomes a sympy expression. Text
is parsed with :func:`ast.parse` and walked with an allow-list; sympy objects are
built directly, so nothing is ever passed to ``eval``, ``sympify``, ``parse_expr``
or ``lambdify`` as text.

The grammar:

- numbers: integer and decimal literals with ``|x| <= 1e12`` and at most 100
  decimal places; decimals are exact (``0.1`` is ``1/10``);
- names: the declared parameters, then the constants ``pi`` and ``e`` (a declared
  parameter of the same name wins);
- ``+ - * / **``, unary ``-`` and ``+``, parentheses;
- calls by plain name, without keywords, to this table:

  ============  =====  ==========================================
  name          args   meaning
  ============  =====  ==========================================
  ``exp``       1      exponential
  ``log``       1      natural logarithm
  ``sqrt``      1      square root
  ``abs``       1      absolute value
  ``min``       2+     smallest argument
  ``max``       2+     largest argument
  ``floor``     1      largest integer ``<= x``
  ``ceil``      1      smallest integer ``>= x``
  ``erf``       1      error function
  ``erfinv``    1      inverse error function
  ``Phi``       1      standard normal CDF ``(1 + erf(x/sqrt(2)))/2``
  ``Phi_inv``   1      standard normal quantile ``sqrt(2)*erfinv(2*p - 1)``
  ``binomial``  2      binomial coefficient
  ``clip``      3      ``clip(x, lo, hi) = min(max(x, lo), hi)``
  ============  =====  ==========================================

Caps keep hostile text cheap to refuse: at most 2000 characters, 500 nodes and
nesting depth 50 (a long sum or product counts as one level); a constant
exponent is a number with ``|value| <= 1000``; a power whose exponent holds a
parameter may not have a power as its base; powers may not be chained
(``a**b**c``); exact numbers stay below about 1200 digits.

>>> import sympy
>>> beta, sigma = sympy.symbols("beta sigma", real=True)
>>> names = {"beta": beta, "sigma": sigma}
>>> parse_expression("1 - beta*sigma", names)
-beta*sigma + 1
>>> parse_expression("1 - 0.9", names)
1/10
>>> parse_expression("clip(2*beta, 0, 1)", names)
Min(1, Max(0, 2*beta))
>>> parse_expression("bta + 1", names)
Traceback (most recent call last):
...
markovwire.errors.ExpressionError: expression: unknown name 'bta' (did you mean 'beta'?) (column 1)
  fix: use a declared parameter (beta, sigma) or the constants pi, e
>>> parse_expression("beta.__class__", names)
Traceback (most recent call last):
...
markovwire.errors.ExpressionError: expression: attribute access is not allowed (column 5)
  fix: write only numbers, parameter names, + - * / **, parentheses and calls such as exp(x)
>>> format_expression(parse_expression("Phi(beta) / 10", names))
'0.05*erf(0.5*sqrt(2)*beta) + 0.05'
>>> f = compile_numeric([parse_expression("1 - beta", names), sympy.Rational(3, 10)], [beta])
>>> [a.tolist() for a in f(np.array([0.25, 0.5]))]
[[0.75, 0.5], [0.3, 0.3]]
"""
from __future__ import annotations

import ast
import difflib
import math
import statistics
import warnings
from decimal import Decimal, InvalidOperation
from typing import Callable, Mapping

import numpy as np
import sympy

from .errors import ExpressionError, ParameterError
from .params import check_name

__all__ = ["parse_expression", "format_expression", "compile_numeric", "constant_values", "constant_value",
           "explain_nonfinite", "FUNCTIONS",
           "MAX_LENGTH", "MAX_DEPTH", "MAX_NODES", "MAX_EXPONENT", "MAX_LITERAL"]

MAX_LENGTH = 2000          # characters of text
MAX_DEPTH = 50             # nesting levels (parentheses, calls, operators)
MAX_NODES = 500            # syntax-tree nodes
MAX_EXPONENT = 1000        # |constant exponent|
MAX_LITERAL = 10 ** 12     # |number literal|
MAX_DECIMALS = 100         # decimal places of a literal
MAX_BITS = 4000            # bits of an exact numerator or denominator (~1200 digits)
MAX_CONSTANT = 1e15        # |constant argument| of floor and ceil (they need its integer part)
MAX_BINOMIAL = 10_000      # |constant argument| of binomial (evaluated exactly)
# what sympy may raise while evaluating a hostile but grammatical expression
_SYMPY_FAILURES = (ArithmeticError, ValueError, TypeError, RuntimeError, MemoryError)

_GRAMMAR_FIX = ("write only numbers, parameter names, + - * / **, parentheses "
                "and calls such as exp(x)")


def _phi(x):
    """Standard normal CDF."""
    return (1 + sympy.erf(x / sympy.sqrt(2))) / 2


def _phi_inv(p):
    """Standard normal quantile."""
    return sympy.sqrt(2) * sympy.erfinv(2 * p - 1)


def _clip(x, lo, hi):
    """``x`` limited to ``[lo, hi]``."""
    return sympy.Min(sympy.Max(x, lo), hi)


# name -> (minimum arity, maximum arity or None for "no limit", builder)
FUNCTIONS: dict[str, tuple[int, int | None, Callable[..., sympy.Expr]]] = {
    "exp": (1, 1, sympy.exp),
    "log": (1, 1, sympy.log),
    "sqrt": (1, 1, sympy.sqrt),
    "abs": (1, 1, sympy.Abs),
    "min": (2, None, sympy.Min),
    "max": (2, None, sympy.Max),
    "floor": (1, 1, sympy.floor),
    "ceil": (1, 1, sympy.ceiling),
    "erf": (1, 1, sympy.erf),
    "erfinv": (1, 1, sympy.erfinv),
    "Phi": (1, 1, _phi),
    "Phi_inv": (1, 1, _phi_inv),
    "binomial": (2, 2, sympy.binomial),
    "clip": (3, 3, _clip),
}
_CONSTANTS = {"pi": sympy.pi, "e": sympy.E}
# functions whose automatic evaluation of a huge constant argument is expensive (exact integer parts)
_TAME_CONSTANT_ARGS = {"floor", "ceil", "binomial"}

_CONSTRUCTS = {
    ast.Attribute: "attribute access is",
    ast.Subscript: "subscripts (indexing) are",
    ast.Slice: "slices are",
    ast.Lambda: "lambda is",
    ast.ListComp: "comprehensions are",
    ast.SetComp: "comprehensions are",
    ast.DictComp: "comprehensions are",
    ast.GeneratorExp: "comprehensions are",
    ast.Compare: "comparisons are",
    ast.BoolOp: "'and'/'or' are",
    ast.IfExp: "conditional expressions (x if c else y) are",
    ast.NamedExpr: "assignment expressions (:=) are",
    ast.JoinedStr: "f-strings are",
    ast.FormattedValue: "f-strings are",
    ast.Tuple: "tuples (a comma outside a call) are",
    ast.List: "lists are",
    ast.Dict: "dictionaries are",
    ast.Set: "sets are",
    ast.Starred: "starred arguments (*x) are",
    ast.Await: "await is",
    ast.Yield: "yield is",
    ast.YieldFrom: "yield is",
}
_BAD_BINOPS = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<",
               ast.RShift: ">>", ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&"}
_BAD_UNARY = {ast.Not: "'not'", ast.Invert: "'~'"}
_ADDITIVE = (ast.Add, ast.Sub)
_MULTIPLICATIVE = (ast.Mult, ast.Div)
_UNICODE_HINTS = {"\u2212": "-", "\u2013": "-", "\u00d7": "*", "\u00b7": "*", "\u22c5": "*",
                  "\u00f7": "/", "\u00b2": "**2", "\u03c0": "pi"}


# ----- parsing -----------------------------------------------------------------

class _Parser:
    """One parse of one text: positions for messages, then the checked walk to sympy."""

    def __init__(self, text: str, symbols: Mapping[str, sympy.Symbol], where: str,
                 lead: str = ""):
        self.text, self.symbols, self.where = text, symbols, where
        self.lines = text.split("\n")
        # ``text`` is the stripped original; ``lead`` the whitespace stripped before it
        self.line_shift = lead.count("\n")
        self.col_shift = len(lead) - (lead.rfind("\n") + 1)
        self.multiline = len(self.lines) > 1 or self.line_shift > 0

    def fail(self, what: str, fix: str = _GRAMMAR_FIX, at: tuple[int, int] | None = None):
        """Raise the refusal, with the 1-based (line, column) in the original text if known."""
        if at is not None:
            line, col = at
            col += self.col_shift if line == 1 else 0
            line += self.line_shift
            what += f" (line {line}, column {col})" if self.multiline else f" (column {col})"
        raise ExpressionError(self.where, what, fix)

    @staticmethod
    def pos(node: ast.AST) -> tuple[int, int]:
        """1-based line and column of a node (the text is ASCII, so bytes are characters)."""
        return node.lineno, node.col_offset + 1

    def op_pos(self, node: ast.BinOp) -> tuple[int, int]:
        """Position of a binary operator's symbol, found between its operands."""
        left, right = node.left, node.right
        if left.end_lineno == right.lineno:
            line = self.lines[left.end_lineno - 1]
            for i in range(left.end_col_offset, right.col_offset):
                if line[i] not in " \t()\\":
                    return left.end_lineno, i + 1
        return self.pos(node)

    def attr_pos(self, node: ast.Attribute) -> tuple[int, int]:
        """Position of the dot of an attribute access."""
        value = node.value
        line = self.lines[value.end_lineno - 1]
        for i in range(value.end_col_offset, len(line)):
            if line[i] == ".":
                return value.end_lineno, i + 1
        return self.pos(node)

    def source(self, node: ast.AST) -> str:
        """The text of a node."""
        return ast.get_source_segment(self.text, node) or ""

    # -- checks before the walk --
    def prescan(self):
        """Refuse characters outside printable ASCII and too-deep brackets, before parsing."""
        depth = 0
        line, col = 1, 0
        for ch in self.text:
            col += 1
            if ch == "\n":
                line, col = line + 1, 0
                continue
            if not (" " <= ch <= "~" or ch in "\t\r"):
                name = f"character {ch!r} (U+{ord(ch):04X})"
                hint = _UNICODE_HINTS.get(ch)
                fix = (f"write {hint!r} instead" if hint else
                       "use plain ASCII: + - * / ** for operators and names of letters, digits and _")
                self.fail(f"{name} is not allowed", fix, (line, col))
            if ch in "([{":
                depth += 1
                if depth > MAX_DEPTH:
                    self.fail(f"brackets are nested more than {MAX_DEPTH} deep",
                              "simplify the expression or split it with extra parameters", (line, col))
            elif ch in ")]}":
                depth = max(depth - 1, 0)

    def check_tree(self, tree: ast.Expression):
        """Refuse constructs outside the grammar, too many nodes, too much nesting (no recursion)."""
        count = 0
        bad: list[tuple[tuple[int, int], str]] = []
        stack: list[tuple[ast.AST, int]] = [(tree.body, 1)]
        deepest: tuple[int, ast.AST] | None = None
        while stack:
            node, depth = stack.pop()
            count += 1
            if count > MAX_NODES:
                self.fail(f"is too large (more than {MAX_NODES} terms, names and operators)",
                          "simplify it, or give parts of it their own parameters")
            if depth > MAX_DEPTH and deepest is None:
                deepest = (depth, node)
            kind = type(node)
            if kind in _CONSTRUCTS:
                at = self.attr_pos(node) if kind is ast.Attribute else self.pos(node)
                bad.append((at, f"{_CONSTRUCTS[kind]} not allowed"))
            elif kind is ast.BinOp and type(node.op) in _BAD_BINOPS:
                bad.append((self.op_pos(node), f"operator '{_BAD_BINOPS[type(node.op)]}' is not allowed"))
            elif kind is ast.UnaryOp and type(node.op) in _BAD_UNARY:
                bad.append((self.pos(node), f"operator {_BAD_UNARY[type(node.op)]} is not allowed"))
            elif kind not in (ast.BinOp, ast.UnaryOp, ast.Call, ast.Name, ast.Constant):
                bad.append((self.pos(node), f"{kind.__name__} is not allowed"))
            for child in ast.iter_child_nodes(node):
                if not isinstance(child, ast.expr):
                    continue                      # operators, contexts, keywords' wrappers
                same_chain = (kind is ast.BinOp and child is node.left and isinstance(child, ast.BinOp)
                              and _group(child.op) is not None and _group(child.op) == _group(node.op))
                stack.append((child, depth if same_chain else depth + 1))
            if kind is ast.Call:
                for kw in node.keywords:
                    stack.append((kw.value, depth + 1))
        if bad:
            at, what = min(bad)
            self.fail(what, _GRAMMAR_FIX, at)
        if deepest is not None:
            self.fail(f"is nested more than {MAX_DEPTH} levels deep",
                      "simplify the expression or split it with extra parameters", self.pos(deepest[1]))

    # -- the walk --
    def build(self, node: ast.expr) -> sympy.Expr:
        """The sympy expression of a checked node."""
        kind = type(node)
        if kind is ast.Constant:
            return self.number(node)
        if kind is ast.Name:
            return self.name(node)
        if kind is ast.UnaryOp:
            operand = self.build(node.operand)
            return self.checked(-operand if isinstance(node.op, ast.USub) else operand, node)
        if kind is ast.BinOp:
            if isinstance(node.op, ast.Pow):
                return self.power(node)
            return self.chain(node)
        if kind is ast.Call:
            return self.call(node)
        self.fail(f"{kind.__name__} is not allowed", at=self.pos(node))  # unreachable after check_tree

    def number(self, node: ast.Constant) -> sympy.Expr:
        """An exact integer or decimal literal within the caps."""
        value = node.value
        at = self.pos(node)
        if isinstance(value, bool) or value is None or value is Ellipsis:
            self.fail(f"{value!r} is not a number", at=at)
        if isinstance(value, (str, bytes)):
            self.fail("text (string) literals are not allowed", at=at)
        if isinstance(value, complex):
            self.fail("complex numbers are not allowed", "use real numbers only", at)
        text = self.source(node)
        too_big = (f"number {_short(text)} is too large (at most 1e12 in absolute value)",
                   "write large numbers as products or powers, e.g. 3*10**15")
        if isinstance(value, int):
            if abs(value) > MAX_LITERAL:
                self.fail(*too_big, at)
            return sympy.Integer(value)
        if not math.isfinite(value) or abs(value) > MAX_LITERAL:
            self.fail(*too_big, at)
        try:
            dec = Decimal(text.replace("_", ""))
        except InvalidOperation:
            self.fail(f"number {_short(text)} is not understood", at=at)
        if dec.is_zero():
            return sympy.Integer(0)
        if dec.as_tuple().exponent < -MAX_DECIMALS:
            self.fail(f"number {_short(text)} has more than {MAX_DECIMALS} decimal places",
                      "round it, or write it as a quotient such as 1/10**150", at)
        num, den = dec.as_integer_ratio()
        return sympy.Rational(num, den)

    def name(self, node: ast.Name) -> sympy.Expr:
        """A declared parameter or a constant."""
        ident = node.id
        if ident in self.symbols:
            return self.symbols[ident]
        if ident in _CONSTANTS:
            return _CONSTANTS[ident]
        at = self.pos(node)
        if ident in FUNCTIONS:
            self.fail(f"'{ident}' is a function", f"call it, e.g. {ident}(x)", at)
        known = sorted(self.symbols)
        close = difflib.get_close_matches(ident, known + list(_CONSTANTS), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        declared = ", ".join(known) if known else "none declared"
        self.fail(f"unknown name {_short(ident)!r}{hint}",
                  f"use a declared parameter ({declared}) or the constants pi, e", at)

    def chain(self, node: ast.BinOp) -> sympy.Expr:
        """A left-nested run of ``+ -`` (or ``* /``) built as one Add (or Mul)."""
        group = _group(node.op)
        operands: list[tuple[type, ast.expr]] = []
        cur: ast.expr = node
        while isinstance(cur, ast.BinOp) and _group(cur.op) == group:
            operands.append((type(cur.op), cur.right))
            cur = cur.left
        operands.append((ast.Add if group == "add" else ast.Mult, cur))
        operands.reverse()
        parts = []
        for op, operand in operands:
            value = self.build(operand)
            if op is ast.Sub:
                value = -value
            elif op is ast.Div:
                if value == 0:
                    self.fail("division by zero", "do not divide by an expression equal to 0",
                              self.pos(operand))
                value = sympy.Pow(value, -1)
            parts.append(value)
        return self.checked(sympy.Add(*parts) if group == "add" else sympy.Mul(*parts), node)

    def power(self, node: ast.BinOp) -> sympy.Expr:
        """``base ** exponent`` with the tower, exponent and size caps."""
        at = self.op_pos(node)
        for inner in ast.walk(node.right):
            if isinstance(inner, ast.BinOp) and isinstance(inner.op, ast.Pow):
                self.fail("chained powers (a**b**c) are not allowed",
                          "compute the inner power separately, e.g. as its own parameter", self.op_pos(inner))
        base = self.build(node.left)
        expo = self.build(node.right)
        if expo.free_symbols:
            if any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.Pow) for n in ast.walk(node.left)):
                self.fail("a power with a parameter in its exponent cannot have a power as its base",
                          "write (a**b)**x as a**(b*x) or exp(x*log(a**b))", at)
        else:
            if not isinstance(expo, sympy.Rational) or abs(expo) > MAX_EXPONENT:
                self.fail(f"a constant exponent must be a number between -{MAX_EXPONENT} and {MAX_EXPONENT}, "
                          f"not {_short(str(expo))}", "use exp(x*log(a)) for other exponents", at)
            if isinstance(base, sympy.Rational) and abs(base) not in (0, 1):
                bits = max(abs(base.p).bit_length(), base.q.bit_length()) * abs(expo)
                if bits > MAX_BITS:
                    self.fail(f"the power is too large to compute exactly (about {int(bits * 0.30103)} digits)",
                              "use smaller numbers", at)
            if base == 0 and expo < 0:
                self.fail("division by zero (0 to a negative power)", "do not divide by 0", at)
        return self.checked(sympy.Pow(base, expo), node, at)

    def call(self, node: ast.Call) -> sympy.Expr:
        """A call of a table function with the right number of plain arguments."""
        at = self.pos(node)
        if not isinstance(node.func, ast.Name):
            self.fail("only functions called by their plain name are allowed", at=at)
        fname = node.func.id
        if node.keywords:
            kw = node.keywords[0]
            self.fail(f"keyword arguments are not allowed in a call to {_short(fname)!r}",
                      f"pass arguments by position, e.g. {fname}(x)",
                      self.pos(kw))
        if fname not in FUNCTIONS:
            close = difflib.get_close_matches(fname, list(FUNCTIONS), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            extra = " ('%s' is a parameter, not a function)" % fname if fname in self.symbols else ""
            self.fail(f"function {_short(fname)!r} is not available{hint}{extra}; "
                      f"available: {', '.join(FUNCTIONS)}",
                      "use one of the available functions", at)
        lo, hi, builder = FUNCTIONS[fname]
        n = len(node.args)
        if n < lo or (hi is not None and n > hi):
            want = f"at least {lo}" if hi is None else (f"{lo}" if lo == hi else f"{lo} to {hi}")
            self.fail(f"function '{fname}' takes {want} argument{'s' if want != '1' else ''}, got {n}",
                      f"call it as {_signature(fname)}", at)
        args = [self.build(a) for a in node.args]
        if fname in _TAME_CONSTANT_ARGS:
            for arg, arg_node in zip(args, node.args):
                self.check_tame_constant(arg, fname, arg_node)
        try:
            result = builder(*args)
        except _SYMPY_FAILURES as exc:
            self.fail(f"cannot evaluate {fname}(...): {type(exc).__name__}", "use smaller arguments", at)
        return self.checked(result, node, at)

    def check_tame_constant(self, arg: sympy.Expr, fname: str, node: ast.expr):
        """Refuse constant arguments whose exact integer part would be expensive to find."""
        if arg.free_symbols:
            return
        limit = MAX_BINOMIAL if fname == "binomial" else MAX_CONSTANT
        if isinstance(arg, sympy.Rational):
            ok = abs(arg) <= limit
        else:
            try:
                value = complex(arg.evalf(20))
                ok = math.isfinite(value.real) and abs(value.real) <= limit and value.imag == 0
            except _SYMPY_FAILURES:
                ok = False
        if not ok:
            shown = "1e15" if limit == MAX_CONSTANT else str(limit)
            self.fail(f"constant argument of '{fname}' is too large (at most {shown})",
                      "use a smaller argument", self.pos(node))

    def checked(self, value: sympy.Expr, node: ast.expr, at: tuple[int, int] | None = None) -> sympy.Expr:
        """Refuse a new node that is infinite, complex, or holds a too large exact number."""
        at = at or self.pos(node)
        near = [value, *value.args]
        near += [y for x in value.args for y in x.args]
        for x in near:
            if isinstance(x, sympy.Rational) and max(abs(x.p).bit_length(), x.q.bit_length()) > MAX_BITS:
                self.fail("an exact number in the expression is too large (more than about 1200 digits)",
                          "use smaller numbers", at)
            if x in _BAD_VALUES:
                self.fail(_INFINITE[0], _INFINITE[1], at)
            if _is_complex_atom(x):
                self.fail(_COMPLEX[0], _COMPLEX[1], at)
        return value


def _group(op: ast.operator) -> str | None:
    """'add' for + -, 'mul' for * /, else None (chains of one group are one level deep)."""
    if isinstance(op, _ADDITIVE):
        return "add"
    if isinstance(op, _MULTIPLICATIVE):
        return "mul"
    return None


def _short(text: str, n: int = 40) -> str:
    """A string cut to at most ``n`` characters for a message."""
    return text if len(text) <= n else text[: n - 3] + "..."


def _signature(fname: str) -> str:
    """How to call a table function, for messages."""
    return {"min": "min(a, b, ...)", "max": "max(a, b, ...)", "binomial": "binomial(n, k)",
            "clip": "clip(x, lo, hi)"}.get(fname, f"{fname}(x)")


_BAD_VALUES = (sympy.zoo, sympy.oo, -sympy.oo, sympy.nan)
_INFINITE = ("the value is infinite or undefined (a division by zero, log(0), Phi_inv(0)?)",
             "check divisions, logarithms and quantiles of constants")
_COMPLEX = ("the value is complex (a root or logarithm of a negative constant?)",
            "keep square roots and logarithms of constants positive")


def _is_complex_atom(x: sympy.Basic) -> bool:
    """Whether ``x`` is the imaginary unit or a non-integer power of a negative number."""
    return x is sympy.I or (isinstance(x, sympy.Pow) and x.base.is_Number and x.base < 0
                            and x.exp.is_Number and not x.exp.is_Integer)


def _check_value(expr: sympy.Expr, parser: _Parser):
    """Refuse results that are infinite, undefined or complex anywhere inside."""
    for sub in sympy.preorder_traversal(expr):
        if sub in _BAD_VALUES:
            parser.fail(*_INFINITE)
        if _is_complex_atom(sub):
            parser.fail(*_COMPLEX)


def parse_expression(text: str, symbols: Mapping[str, sympy.Symbol],
                     where: str = "expression") -> sympy.Expr:
    """Parse untrusted ``text`` into a sympy expression over ``symbols``, refusing anything else.

    Every refusal is an :class:`~markovwire.errors.ExpressionError` naming the construct and
    its column; ``where`` says where the text came from (file and line, box and port).
    """
    if not isinstance(text, str):
        raise ExpressionError(where, f"expected an expression as text, got {type(text).__name__}",
                              "write the expression as a string, e.g. '1 - beta'")
    if not all(isinstance(v, sympy.Basic) for v in symbols.values()):
        raise TypeError("symbols must map names to sympy symbols (Parameter.symbol)")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(where, f"is {len(text)} characters long (at most {MAX_LENGTH})",
                              "simplify it, or give parts of it their own parameters")
    stripped = text.strip()
    if not stripped:
        raise ExpressionError(where, "is empty", "write an expression such as 1 - beta")
    parser = _Parser(stripped, symbols, where, lead=text[: len(text) - len(text.lstrip())])
    parser.prescan()
    try:
        with warnings.catch_warnings():           # e.g. "invalid decimal literal" for 1e12beta
            warnings.simplefilter("ignore")
            tree = ast.parse(stripped, mode="eval")
    except SyntaxError as exc:
        msg = exc.msg or "invalid syntax"
        if "nested" in msg:
            parser.fail(f"is nested more than {MAX_DEPTH} levels deep",
                        "simplify the expression or split it with extra parameters")
        line, col = exc.lineno or 1, max(exc.offset or 1, 1)
        parser.fail(f"syntax error: {msg}", "check brackets and operators near that column", (line, col))
    except (ValueError, RecursionError, MemoryError) as exc:
        parser.fail(f"cannot be parsed ({type(exc).__name__})", "simplify the expression")
    parser.check_tree(tree)
    try:
        result = parser.build(tree.body)
    except _SYMPY_FAILURES as exc:
        parser.fail(f"cannot be evaluated exactly ({type(exc).__name__})", "use smaller numbers")
    result = _settle(result, parser)
    _check_value(result, parser)
    return result


def _settle(expr: sympy.Expr, parser: _Parser) -> sympy.Expr:
    """Rebuild the tree bottom-up until nothing changes, so that re-parsing its text gives it back.

    sympy's automatic evaluation is not idempotent: ``abs(-abs(b))`` gives ``Abs(Abs(b))`` and
    ``min(max(s, 0), clip(s, 1, b))`` leaves an unevaluated ``Min(0, 1)`` inside. A Min or Max
    whose arguments are unchanged and hold no number, Min or Max is taken as settled (its
    evaluation, which compares arguments through the assumptions system, is the slow part).
    """
    lattice = (sympy.Min, sympy.Max)

    def rebuild(e: sympy.Basic) -> sympy.Basic:
        if not e.args:
            return e
        args = [rebuild(a) for a in e.args]
        if (isinstance(e, lattice) and all(a is b for a, b in zip(args, e.args))
                and not any(isinstance(a, lattice) or a.is_Number for a in args)):
            return e
        return e.func(*args)

    for _ in range(3):
        try:
            again = rebuild(expr)
        except _SYMPY_FAILURES as exc:
            parser.fail(f"cannot be evaluated exactly ({type(exc).__name__})", "use smaller numbers")
        if again == expr:
            break
        expr = again
    return expr


# ----- formatting --------------------------------------------------------------

_ATOM, _POW, _MUL, _NEG, _ADD = 100, 40, 20, 15, 10
_FORMAT_NAMES = {sympy.exp: "exp", sympy.log: "log", sympy.Abs: "abs", sympy.Min: "min",
                 sympy.Max: "max", sympy.floor: "floor", sympy.ceiling: "ceil", sympy.erf: "erf",
                 sympy.erfinv: "erfinv", sympy.binomial: "binomial"}
_CHUNK = 10 ** 12


def format_expression(expr) -> str:
    """Text for ``expr`` that :func:`parse_expression` reads back as the same expression.

    Used when saving files. Raises :class:`ExpressionError` for a sympy object outside the
    grammar (e.g. ``sin``, complex numbers).
    """
    expr = _as_expr(expr, "format_expression")
    return _Formatter().fmt(expr, False)[0]


class _Formatter:
    """Renders sympy into the grammar; inside exponents (``nopow``) it avoids ``**``."""

    def fmt(self, e: sympy.Expr, nopow: bool) -> tuple[str, int]:
        """The text of ``e`` and its precedence."""
        if isinstance(e, sympy.Rational):
            return self.rational(e, nopow)
        if isinstance(e, sympy.Float):
            value = float(e)
            if not math.isfinite(value):
                raise ExpressionError("format_expression", f"cannot write the number {e}",
                                      "use finite numbers")
            num, den = Decimal(repr(value)).as_integer_ratio()     # the shortest decimal of the float
            return self.rational(sympy.Rational(num, den), nopow)
        if isinstance(e, sympy.Symbol):
            return e.name, _ATOM
        if e is sympy.pi:
            return "pi", _ATOM
        if e is sympy.E:
            return "exp(1)", _ATOM
        if isinstance(e, sympy.Add):
            return self.add(e, nopow)
        if isinstance(e, sympy.Mul):
            return self.mul(e, nopow)
        if isinstance(e, sympy.Pow):
            return self.power(e, nopow)
        name = _FORMAT_NAMES.get(type(e))
        if name is not None:
            return f"{name}({', '.join(self.fmt(a, nopow)[0] for a in e.args)})", _ATOM
        raise ExpressionError("format_expression", f"{_short(str(e))} cannot be written in the grammar",
                              "use only the functions of markovwire.expr.FUNCTIONS")

    def paren(self, e: sympy.Expr, nopow: bool, above: int) -> str:
        """Text of ``e``, in parentheses unless its precedence is above ``above``."""
        text, prec = self.fmt(e, nopow)
        return text if prec > above else f"({text})"

    def integer(self, n: int, nopow: bool) -> tuple[str, int]:
        """An integer, split into literals of at most 1e12 when larger."""
        if abs(n) <= MAX_LITERAL:
            return str(n), (_NEG if n < 0 else _ATOM)
        sign, n = ("-", -n) if n < 0 else ("", n)
        digits = []
        while n:
            n, d = divmod(n, _CHUNK)
            digits.append(d)
        if nopow:                               # Horner form: no '**' inside exponents
            text = str(digits[-1])
            for d in reversed(digits[:-1]):
                text = f"({text})*{_CHUNK}" + (f" + {d}" if d else "")
            return (f"-({text})" if sign else text), (_NEG if sign else _ADD)
        terms = []
        for i in range(len(digits) - 1, -1, -1):
            d = digits[i]
            if not d:
                continue
            scale = "" if i == 0 else (f"10**{12 * i}" if 12 * i <= MAX_EXPONENT else f"(10**12)**{i}")
            terms.append(scale if d == 1 and scale else (f"{d}*{scale}" if scale else str(d)))
        text = " + ".join(terms)
        if sign:
            return (f"-({text})" if len(terms) > 1 else f"-{text}"), _NEG
        return text, (_ADD if len(terms) > 1 else (_POW if terms[0].startswith("10**") else _MUL))

    def rational(self, r: sympy.Rational, nopow: bool) -> tuple[str, int]:
        """An exact number: integer, short decimal, or quotient."""
        if r.q == 1:
            return self.integer(int(r.p), nopow)
        dec = _decimal(r)
        if dec is not None:
            return dec, (_NEG if r < 0 else _ATOM)
        num = self.wrap(self.integer(abs(int(r.p)), nopow), _MUL)
        den = self.wrap(self.integer(int(r.q), nopow), _MUL)
        return (f"-{num}/{den}" if r < 0 else f"{num}/{den}"), (_NEG if r < 0 else _MUL)

    @staticmethod
    def wrap(item: tuple[str, int], above: int) -> str:
        """A formatted item, in parentheses unless its precedence is above ``above``."""
        text, prec = item
        return text if prec > above else f"({text})"

    def add(self, e: sympy.Add, nopow: bool) -> tuple[str, int]:
        """A sum, negative terms written with ' - '."""
        out = ""
        for i, term in enumerate(e.as_ordered_terms()):
            if i == 0:
                out = self.paren(term, nopow, _ADD)
            elif term.could_extract_minus_sign():
                out += " - " + self.paren(-term, nopow, _NEG)
            else:
                out += " + " + self.paren(term, nopow, _NEG)
        return out, _ADD

    def mul(self, e: sympy.Mul, nopow: bool) -> tuple[str, int]:
        """A product as ``[-]numerator/denominator``."""
        coeff, rest = e.as_coeff_Mul()
        negative = coeff.is_negative
        coeff = -coeff if negative else coeff
        numer: list[tuple[str, int]] = []
        denom: list[tuple[str, int]] = []
        if coeff != 1:
            if isinstance(coeff, sympy.Rational) and coeff.q != 1 and _decimal(coeff) is None:
                if coeff.p != 1:
                    numer.append(self.integer(int(coeff.p), nopow))
                denom.append(self.integer(int(coeff.q), nopow))
            else:
                numer.append(self.fmt(coeff, nopow))
        for f in (rest.as_ordered_factors() if isinstance(rest, sympy.Mul) else [rest]):
            if isinstance(f, sympy.Pow) and isinstance(f.exp, sympy.Rational) and f.exp.is_negative:
                d = f.base if f.exp == -1 else sympy.Pow(f.base, -f.exp, evaluate=False)
                denom.append(self.fmt(d, nopow))
            elif f != 1:
                numer.append(self.fmt(f, nopow))
        if len(numer) == 1 and not denom:
            text, prec = numer[0]
        else:
            text = "*".join(self.wrap(n, _MUL) for n in numer) if numer else "1"
            if denom:
                text += "/" + (self.wrap(denom[0], _MUL) if len(denom) == 1
                               else "(" + "*".join(self.wrap(d, _MUL) for d in denom) + ")")
            prec = _MUL
        if negative:
            return "-" + (text if prec > _NEG else f"({text})"), _NEG
        return text, prec

    def power(self, e: sympy.Pow, nopow: bool) -> tuple[str, int]:
        """A power, written so that the parser's power rules accept it."""
        base, expo = e.base, e.exp
        if expo == sympy.S.Half:
            return f"sqrt({self.fmt(base, nopow)[0]})", _ATOM
        if isinstance(expo, sympy.Rational):
            if expo.is_negative:
                inv = base if expo == -1 else sympy.Pow(base, -expo, evaluate=False)
                return "1/" + self.paren(inv, nopow, _MUL), _MUL
            if nopow:                           # exp(c*log(b)) evaluates back to b**c
                return f"exp({self.paren(expo, True, _MUL)}*log({self.fmt(base, True)[0]}))", _ATOM
            if expo > MAX_EXPONENT:             # b**n as (b**q)**1000 * b**r * b**frac
                whole = int(expo.p // expo.q)
                q, r = divmod(whole, MAX_EXPONENT)
                parts = [sympy.Pow(sympy.Pow(base, q, evaluate=False), MAX_EXPONENT, evaluate=False)]
                if r:
                    parts.append(sympy.Pow(base, r, evaluate=False))
                if expo - whole:
                    parts.append(sympy.Pow(base, expo - whole, evaluate=False))
                return "*".join(self.paren(p, nopow, _MUL) for p in parts), _MUL
            return f"{self.paren(base, False, _POW)}**{self.paren(expo, False, _POW)}", _POW
        if expo.free_symbols:
            if nopow:
                raise ExpressionError("format_expression", f"{_short(str(e))} cannot be written in the expression "
                                      "grammar", "avoid powers with parameters inside exponents")
            return f"{self.paren(base, True, _POW)}**{self.paren(expo, True, _POW)}", _POW
        # a constant exponent that is not a number (sqrt(2), pi): exp(c*log(b)) evaluates to b**c
        return f"exp({self.paren(expo, True, _MUL)}*log({self.fmt(base, True)[0]}))", _ATOM


def _decimal(r: sympy.Rational) -> str | None:
    """``r`` as a short exact decimal literal, or None if it has none."""
    q, twos, fives = int(r.q), 0, 0
    while q % 2 == 0:
        q, twos = q // 2, twos + 1
    while q % 5 == 0:
        q, fives = q // 5, fives + 1
    places = max(twos, fives)
    if q != 1 or places > 20 or abs(r) > MAX_LITERAL:
        return None
    digits = str(abs(int(r.p)) * 10 ** places // int(r.q)).rjust(places + 1, "0")
    text = digits[:-places] + "." + digits[-places:]
    return ("-" if r < 0 else "") + text


# ----- numeric evaluation ------------------------------------------------------

def _as_expr(value, where: str) -> sympy.Expr:
    """A sympy expression from a sympy object or a plain number (never from text)."""
    if isinstance(value, sympy.Basic):
        return value
    if isinstance(value, (bool, np.bool_)):
        raise ExpressionError(where, f"expected a number or sympy expression, got {value!r}")
    if isinstance(value, (int, np.integer)):
        return sympy.Integer(int(value))
    if isinstance(value, (float, np.floating)):
        return sympy.Float(float(value))
    raise ExpressionError(where, f"expected a number or sympy expression, got {type(value).__name__}",
                          "parse text with parse_expression first")


def _ndtri_scalar(p: float) -> float:
    """Standard normal quantile of one float (inf at 0 and 1, nan outside)."""
    if not 0 < p < 1:
        return -math.inf if p == 0 else (math.inf if p == 1 else math.nan)
    return _NORMAL.inv_cdf(p)


def _binomial_scalar(n: float, k: float) -> float:
    """Binomial coefficient of real ``n``, ``k`` (exact for integers, gamma functions otherwise)."""
    if math.isnan(n) or math.isnan(k):
        return math.nan
    if k == int(k) and abs(k) <= 10_000:
        k = int(k)
        if k < 0:
            return 0.0 if n == int(n) and n >= 0 else _binomial_gamma(n, k)
        if n == int(n) and n >= 0:
            if k > n:
                return 0.0
            try:
                return float(math.comb(int(n), k)) if n <= 100_000 else _binomial_gamma(n, k)
            except OverflowError:
                return math.inf
        out = 1.0
        for i in range(k):                      # falling factorial / k!
            out *= (n - i) / (i + 1)
        return out
    return _binomial_gamma(n, k)


def _binomial_gamma(n: float, k: float) -> float:
    """Gamma(n+1) / (Gamma(k+1) Gamma(n-k+1)), with poles of the denominator giving 0."""
    def rgamma(x):                              # 1/Gamma(x) as (sign, log|.|), None if zero
        if x <= 0 and x == int(x):
            return None
        return (1.0 if x > 0 or math.floor(x) % 2 == 0 else -1.0), -math.lgamma(x)
    try:
        num = rgamma(n + 1)
        if num is None:
            return math.nan
        a, b = rgamma(k + 1), rgamma(n - k + 1)
        if a is None or b is None:
            return 0.0
        return a[0] * b[0] / num[0] * math.exp(a[1] + b[1] - num[1])
    except (OverflowError, ValueError):
        return math.nan


_NORMAL = statistics.NormalDist()
_ERF = np.vectorize(math.erf, otypes=[float])
_ERFC = np.vectorize(math.erfc, otypes=[float])
_NDTRI = np.vectorize(_ndtri_scalar, otypes=[float])
_BINOMIAL = np.vectorize(_binomial_scalar, otypes=[float])
_ndtri = sympy.Function("mw_ndtri")      # undefined functions: sympy leaves them unevaluated
_erfc = sympy.Function("mw_erfc")


def _gamma_scalar(x: float) -> float:
    """Gamma function of one float: inf where it overflows or has a pole, nan where undefined (no exception)."""
    try:
        return math.gamma(x)
    except OverflowError:
        return math.inf
    except ValueError:
        return math.nan if math.isnan(x) or x == -math.inf else math.inf


_GAMMA = np.vectorize(_gamma_scalar, otypes=[float])
_NUMERIC = {"erf": _ERF, "erfc": _ERFC, "mw_erfc": _ERFC, "mw_ndtri": _NDTRI,
            "binomial": _BINOMIAL, "gamma": _GAMMA}


def _numeric_form(expr: sympy.Expr) -> sympy.Expr:
    """Rewrite for floating point: erfinv via the normal quantile, ``c ± c*erf(z)`` via erfc.

    ``Phi_inv(p)`` then evaluates as the quantile of ``p`` itself, and ``Phi(x)`` and
    ``1 - Phi(x)`` keep full relative precision in the tails.
    """
    expr = expr.replace(sympy.erfinv, lambda z: _ndtri((z + 1) / 2) / sympy.sqrt(2))

    def is_erf_pair(e):
        return isinstance(e, sympy.Add) and e.has(sympy.erf) and _erf_pair(e) is not None

    expr = expr.replace(is_erf_pair, lambda e: _erf_pair(e))
    expr = expr.replace(lambda e: isinstance(e, sympy.Mul) and _fold_coefficient(e) is not None, _fold_coefficient)
    big = {r: sympy.Float(r, 17) for r in expr.atoms(sympy.Rational)
           if abs(r.p) > 2 ** 53 or r.q > 2 ** 53}
    return expr.xreplace(big) if big else expr


def _fold_coefficient(e: sympy.Mul):
    """``c * b**n`` with ``c`` beyond the float range as ``(c**(1/n) * b)**n``, or None.

    ``(p + q)**1000 / 10**1000`` is then ``((p + q)/10)**1000``: a float at every ``p, q`` where
    the value is one, instead of ``0 * inf``.
    """
    c, rest = e.as_coeff_Mul()
    if not isinstance(c, sympy.Rational) or c == 0 or 1e-300 < abs(c) < 1e300:
        return None
    factors = sympy.Mul.make_args(rest)
    powers = [f for f in factors if isinstance(f, sympy.Pow) and f.exp.is_Integer and abs(f.exp) >= 2
              and isinstance(f.base, sympy.Add)]      # a scaled sum stays a sum, which sympy keeps inside the power
    if not powers:
        return None
    f = max(powers, key=lambda f: abs(f.exp))
    n = int(f.exp)
    root = sympy.Float(sympy.Pow(abs(c), sympy.Rational(1, n)).evalf(20), 17)
    others = [g for g in factors if g is not f]
    folded = sympy.Mul(*others, sympy.Pow(sympy.expand_mul(root * f.base), n))
    return -folded if c < 0 else folded


def _erf_pair(e: sympy.Add):
    """``c + c*erf(z) + rest`` as ``c*erfc(-z) + rest`` (and ``c - c*erf(z)`` as ``c*erfc(z)``)."""
    c, rest = e.as_coeff_Add()
    if c == 0:
        return None
    for term in sympy.Add.make_args(rest):
        k, f = term.as_coeff_Mul()
        if isinstance(f, sympy.erf) and abs(k) == abs(c):
            z = f.args[0]
            arg = -z if k == c else z
            return sympy.Add(rest - term, c * _erfc(arg))
    return None


def compile_numeric(exprs: list, symbols: list[sympy.Symbol]) -> Callable[..., list[np.ndarray]]:
    """A vectorised numpy evaluator of ``exprs`` at values of ``symbols`` (in that order).

    The returned function takes one scalar or array per symbol (arrays broadcast together)
    and returns one float array per expression, of the common shape (constants included).
    Symbols must have plain names (``params.check_name``); the code is generated by lambdify
    from sympy objects only, with dummy argument names.
    """
    where = "numeric evaluation"
    exprs = [_as_expr(e, where) for e in exprs]
    symbols = list(symbols)
    for s in symbols:
        if not isinstance(s, sympy.Symbol):
            raise ParameterError(where, f"expected a sympy Symbol, got {type(s).__name__}",
                                 "pass the .symbol of each Parameter")
        check_name(s.name)
    allowed = set(symbols)
    for e in exprs:
        extra = e.free_symbols - allowed
        if extra:
            name = sorted(str(s) for s in extra)[0]
            raise ParameterError(where, f"the expression {_short(str(e))} uses {name!r}, which is not "
                                 "among the evaluated parameters", f"declare the parameter {name!r}")
    fn = sympy.lambdify(symbols, [_numeric_form(e) for e in exprs], modules=[_NUMERIC, "numpy"],
                        dummify=True, cse=True)
    n = len(symbols)

    def evaluate(*values) -> list[np.ndarray]:
        """The expressions at ``values`` (one per symbol), each broadcast to the common shape."""
        if len(values) != n:
            raise ParameterError(where, f"expected {n} value(s) ({', '.join(s.name for s in symbols)}), "
                                 f"got {len(values)}", "pass one value per parameter, in order")
        args = [np.asarray(v, dtype=float) for v in values]
        try:
            shape = np.broadcast_shapes(*(a.shape for a in args)) if args else ()
        except ValueError:
            shapes = ", ".join(str(a.shape) for a in args)
            raise ParameterError(where, f"values of shapes {shapes} do not broadcast together",
                                 "give arrays of one common shape, or scalars") from None
        with np.errstate(all="ignore"):
            try:
                raw = fn(*args)
            except (ArithmeticError, ValueError) as exc:     # a math-module function refusing its argument
                raise ExpressionError(where, f"cannot be evaluated in floating point ({exc})",
                                      "use smaller arguments, or functions defined on the parameters' domains") \
                    from None
        out = []
        for r in raw:
            a = np.asarray(r, dtype=float)
            out.append(a if a.shape == shape else np.broadcast_to(a, shape).copy())
        return out

    return evaluate


# ----- values that must be finite real numbers ----------------------------------

_LARGEST = "about 1.8e308, the largest float"


def constant_values(exprs, where: "str | Callable[[int], str]" = "expression") -> np.ndarray:
    """The float values of parameter-free expressions, each a finite real number, or an error saying why not.

    Evaluation is in floating point (one compiled numpy call, bounded work), never by sympy's
    arbitrary precision, which may not finish (``exp(exp(exp(100)))``) or raises a raw
    error (``erfinv(2)``). ``where`` is the place of the expressions, or a function of an expression's
    position giving its place (called only for the one that fails).

    >>> constant_values([sympy.Rational(71, 18000), sympy.sqrt(2)]).round(6).tolist()
    [0.003944, 1.414214]
    >>> constant_values([sympy.erfinv(2)], "--set r")
    Traceback (most recent call last):
    ...
    markovwire.errors.ExpressionError: --set r: erfinv(2) is not a real number (erfinv is defined on (-1, 1))
      fix: give a constant whose every function is defined and finite
    >>> constant_value(sympy.exp(sympy.exp(sympy.exp(100))), "parameters.x")
    Traceback (most recent call last):
    ...
    markovwire.errors.ExpressionError: parameters.x: exp(exp(exp(100))) is infinite: exp(exp(100)) overflows \
(it exceeds about 1.8e308, the largest float)
      fix: give a constant whose every function is defined and finite
    """
    place = where if callable(where) else (lambda i: where)
    exprs = [_as_expr(e, place(i)) for i, e in enumerate(exprs)]
    out = np.empty(len(exprs))
    rest = []
    for i, e in enumerate(exprs):
        if e.free_symbols:
            name = sorted(s.name for s in e.free_symbols)[0]
            raise ExpressionError(place(i),
                                  f"{_short(str(e))} uses the parameter {name!r}; a constant is needed here",
                                  "write a number or an expression of numbers")
        if isinstance(e, (sympy.Rational, sympy.Float)):
            try:
                out[i] = float(e)
                continue
            except OverflowError:
                out[i] = math.inf
        else:
            rest.append(i)
    if rest:
        values = compile_numeric([exprs[i] for i in rest], [])()
        for i, v in zip(rest, values):
            out[i] = float(v)
    for i in np.flatnonzero(~np.isfinite(out)):
        raise ExpressionError(place(i), explain_nonfinite(exprs[i]),
                              "give a constant whose every function is defined and finite")
    return out


def constant_value(expr, where: str = "expression") -> float:
    """The float value of one parameter-free expression, a finite real number (see :func:`constant_values`)."""
    return float(constant_values([expr], where)[0])


def explain_nonfinite(expr, symbols: list | None = None, point: list | None = None) -> str:
    """Why ``expr`` is not a finite real number at ``point`` (values of ``symbols``): the innermost culprit.

    >>> p = sympy.Symbol("p", real=True)
    >>> explain_nonfinite(p / (p + p**2), [p], [0.0])
    'p/(p**2 + p) is undefined (0/0 or similar): it divides by p**2 + p, which is 0'
    """
    symbols, point = list(symbols or []), list(point or [])
    expr = _as_expr(expr, "expression")
    subs = list(dict.fromkeys(sympy.postorder_traversal(expr)))
    subs = [s for s in subs if isinstance(s, sympy.Expr)]
    with np.errstate(all="ignore"):
        values = {s: float(np.asarray(v).reshape(-1)[0]) for s, v in zip(subs, compile_numeric(subs, symbols)(*point))}
    whole = values.get(expr, math.nan)
    state = "infinite" if math.isinf(whole) else "undefined (0/0 or similar)" if symbols else "not a real number"
    head = f"{_text(expr)} is {state}"
    for s in subs:
        v = values[s]
        args = [values.get(a, 0.0) for a in s.args if isinstance(a, sympy.Expr)]
        if math.isfinite(v) or not all(math.isfinite(a) for a in args):
            continue
        reason = _culprit(s, args)
        return head if s == expr and not reason else (f"{head} ({reason})" if s == expr else f"{head}: {reason}")
    return head


def _text(e: sympy.Expr) -> str:
    """Short text of an expression for a message (in the grammar when possible)."""
    try:
        return _short(format_expression(e), 60)
    except ExpressionError:
        return _short(str(e), 60)


def _culprit(s: sympy.Expr, args: list[float]) -> str:
    """What goes wrong in ``s`` whose arguments have the finite values ``args``."""
    if isinstance(s, sympy.erfinv):
        return "erfinv is defined on (-1, 1)"
    if isinstance(s, sympy.log):
        return f"log is defined for positive numbers; its argument {_text(s.args[0])} is {args[0]:g}"
    if isinstance(s, sympy.Pow):
        base, expo = args
        if base == 0 and expo < 0:
            return f"it divides by {_text(s.args[0])}, which is 0"
        if base < 0 and expo != int(expo):
            return f"{_text(s)} is complex: {_text(s.args[0])} is negative ({base:g})"
    if isinstance(s, sympy.Mul) and any(isinstance(a, sympy.Pow) and a.exp.is_negative for a in s.args):
        for a in s.args:
            if isinstance(a, sympy.Pow) and a.exp.is_negative:
                return f"it divides by {_text(a.base)}, which is 0"
    if isinstance(s, sympy.binomial):
        return "binomial is undefined or too large there"
    return f"{_text(s)} overflows (it exceeds {_LARGEST})"
