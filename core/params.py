"""Named parameters with declared domains.

A :class:`Parameter` is a sympy symbol plus a closed interval domain, an
optional default and a line of documentation. Kernel entries are sympy
expressions in such symbols; values are checked against the domain before
they are substituted.

>>> beta = Parameter("beta", (0, 1), default=0.05, doc="attack probability")
>>> beta.check(0.2)
0.2
>>> beta.check(1.5)
Traceback (most recent call last):
...
markovwire.errors.ParameterError: parameter 'beta': value 1.5 is outside its domain [0, 1]
  fix: choose a value in [0, 1]

A parameter takes part in arithmetic as its sympy symbol, so kernel entries
can be written directly:

>>> 1 - beta
1 - beta
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import sympy

from .errors import ParameterError

NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


def check_name(name: str, what: str = "parameter") -> str:
    """Refuse names that are not plain identifiers (they reach sympy and lambdify)."""
    if not isinstance(name, str) or not NAME.match(name) or len(name) > 64:
        raise ParameterError(
            f"{what} {name!r}", "is not a valid name",
            fix="use letters, digits and '_', starting with a letter (at most 64 characters)",
        )
    return name


@dataclass(frozen=True)
class Parameter:
    """A named real parameter with a closed domain ``[lo, hi]``."""

    name: str
    domain: tuple[float, float] = (-math.inf, math.inf)
    default: float | None = None
    doc: str = ""
    integer: bool = False
    symbol: sympy.Symbol = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        check_name(self.name)
        lo, hi = self.domain
        if not lo <= hi:
            raise ParameterError(f"parameter {self.name!r}", f"empty domain [{lo}, {hi}]",
                                 fix="give the domain as [low, high] with low <= high")
        object.__setattr__(self, "domain", (lo, hi))
        object.__setattr__(self, "symbol", sympy.Symbol(self.name, real=True))
        if self.default is not None:
            self.check(self.default)

    # arithmetic acts on the symbol, so that ``[beta, 1 - beta]`` is a row of a symbolic kernel
    def _sympy_(self):
        return self.symbol

    __add__ = lambda self, o: self.symbol + o
    __radd__ = lambda self, o: o + self.symbol
    __sub__ = lambda self, o: self.symbol - o
    __rsub__ = lambda self, o: o - self.symbol
    __mul__ = lambda self, o: self.symbol * o
    __rmul__ = lambda self, o: o * self.symbol
    __truediv__ = lambda self, o: self.symbol / o
    __rtruediv__ = lambda self, o: o / self.symbol
    __pow__ = lambda self, o: self.symbol ** o
    __rpow__ = lambda self, o: o ** self.symbol
    __neg__ = lambda self: -self.symbol

    def _fmt_domain(self) -> str:
        lo, hi = self.domain
        f = lambda v: f"{v:g}" if isinstance(v, float) else str(v)
        return f"[{f(lo)}, {f(hi)}]"

    def check(self, value):
        """Return ``value`` if it lies in the domain (elementwise for arrays), else raise."""
        if (type(value) is float and self.domain[0] <= value <= self.domain[1] and math.isfinite(value)
                and not self.integer):
            return value  # the common case, checked without numpy (re-evaluation is on a hot path)
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise ParameterError(f"parameter {self.name!r}", f"value {value!r} is not a number",
                                 fix=f"choose a number in {self._fmt_domain()}") from None
        lo, hi = self.domain
        bad = ~np.isfinite(arr) | (arr < lo) | (arr > hi)
        if self.integer:
            bad |= np.isfinite(arr) & (arr != np.round(arr))
        if np.any(bad):
            first = arr[bad].flat[0] if arr.ndim else arr.item()
            inside = np.isfinite(first) and lo <= first <= hi
            problem = "is not an integer" if inside else f"is outside its domain {self._fmt_domain()}"
            kind = "an integer " if self.integer else "a value "
            raise ParameterError(f"parameter {self.name!r}", f"value {first:g} {problem}",
                                 fix=f"choose {kind}in {self._fmt_domain()}")
        return value


def resolve_values(params: Mapping[str, Parameter], values: Mapping[str, object],
                   needed: set[str], where: str = "evaluation") -> dict[str, object]:
    """Values for every ``needed`` parameter: given ones checked, missing ones defaulted."""
    out: dict[str, object] = {}
    unknown = set(values) - set(params)
    if unknown:
        name = sorted(unknown)[0]
        known = ", ".join(sorted(params)) or "none"
        raise ParameterError(f"{where}", f"unknown parameter {name!r}",
                             fix=f"use one of the declared parameters: {known}")
    for name in sorted(needed):
        p = params[name]
        if name in values:
            out[name] = p.check(values[name])
        elif p.default is not None:
            out[name] = p.default
        else:
            raise ParameterError(f"parameter {name!r}", "has no value and no default",
                                 fix=f"give it a value, e.g. --set {name}=...")
    return out
