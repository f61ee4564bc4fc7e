"""Named built-in kernel constructions that library files refer to by name.

A component's kernel may be ``construction: <name>`` with ``args``. Each
construction reads its arguments through a :class:`Context` (which knows the
component's ports, its parameters and where in the file it is written) and
returns the kernel's entries as an array with axes ``[inputs…, outputs…]``.
Entries are sympy expressions wherever a parameter enters, so the kernel stays
symbolic and sweeps in one vectorised evaluation.

>>> import sympy
>>> from markovwire import FinSet, Parameter
>>> Act = FinSet("Act", ["clean", "attack"]); Sus = FinSet("Sus", ["low", "mid", "high"])
>>> mu = Parameter("mu", (0, 10), default=1.636)
>>> ctx = Context("monitor", [("act", Act)], [("sus", Sus)], {"mu": mu},
...               {"mu": "mu", "fpr": [0.05, 0.02], "positive": ["attack"]})
>>> k = build("binormal_buckets", ctx)
>>> [round(float(x), 4) for x in k.subs({"mu": 1.636}).array[1]]   # attack: low, mid, high
[0.5035, 0.1584, 0.3381]
>>> sorted(CONSTRUCTIONS)[:3]
['best_of_n', 'binomial', 'binormal_buckets']
"""
from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Mapping, Sequence

import numpy as np
import sympy

from markovwire import Kernel, Parameter
from markovwire.errors import FileFormatError, MarkovwireError, UnknownName
from markovwire.expr import FUNCTIONS, constant_value, parse_expression
from markovwire.types import FinSet, Port, bundle

_PHI = FUNCTIONS["Phi"][2]
_PHI_INV = FUNCTIONS["Phi_inv"][2]


class Context:
    """What a construction sees: its component's ports, parameters, arguments and place in the file."""

    def __init__(self, component: str, dom, cod, params: Mapping[str, Parameter], args: Mapping,
                 place: Callable[[tuple], str] | None = None):
        self.component = component
        self.dom: tuple[Port, ...] = bundle(dom)
        self.cod: tuple[Port, ...] = bundle(cod)
        self.params = dict(params)
        self.args = dict(args)
        self._place = place or (lambda path: f"component {component!r}, " + ".".join(map(str, ("args",) + path)))
        self._used: set[str] = set()

    def where(self, *path) -> str:
        """The place of an argument (``file:line: components.x.kernel.args.key``)."""
        return self._place(tuple(path))

    def fail(self, what: str, fix: str, *path) -> None:
        raise FileFormatError(self.where(*path), what, fix)

    # ----- signature -----------------------------------------------------------------
    def ports(self, n_in: int | None, n_out: int | None, usage: str) -> None:
        """Refuse a component whose numbers of inputs and outputs the construction cannot build."""
        if (n_in is not None and len(self.dom) != n_in) or (n_out is not None and len(self.cod) != n_out):
            raise FileFormatError(self._place(()), f"construction needs {usage}, but component {self.component!r} "
                                  f"has {len(self.dom)} input(s) and {len(self.cod)} output(s)",
                                  fix=f"declare the ports as {usage}")

    # ----- arguments -------------------------------------------------------------------
    def get(self, key: str, default=..., kinds: str = "a value"):
        if key not in self.args:
            if default is ...:
                self.fail(f"missing argument {key!r} ({kinds})", f"add '{key}:' under args")
            return default
        self._used.add(key)
        return self.args[key]

    def expr(self, key: str, default=..., value=None, path: tuple = ()) -> sympy.Expr:
        """A number or an expression in the component's parameters."""
        raw = self.get(key, default, "a number or an expression") if value is None else value
        return to_expr(raw, self.params, self.where(key, *path))

    def number(self, key: str, default=..., value=None, path: tuple = ()) -> float:
        """A plain number (no parameters)."""
        raw = self.get(key, default, "a number") if value is None else value
        if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw):
            self.fail(f"expected a finite number, got {raw!r}", "write a plain number here", key, *path)
        return float(raw)

    def whole(self, key: str, default=...) -> int:
        """A whole number: an integer literal or the value of an integer parameter."""
        raw = self.get(key, default, "a whole number")
        value = raw
        if isinstance(raw, str) and raw in self.params and self.params[raw].default is not None:
            value = self.params[raw].default
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
            self.fail(f"expected a whole number, got {raw!r}", "write an integer", key)
        return int(value)

    def labels(self, key: str, t: FinSet, default=...) -> list[str]:
        """A label or a list of labels of ``t``."""
        raw = self.get(key, default, f"labels of {t.name}")
        items = [raw] if isinstance(raw, (str, int)) and not isinstance(raw, bool) else raw
        if not isinstance(items, list) or not items:
            self.fail(f"expected a label or a list of labels of {t.name}", f"use labels among: {', '.join(t)}", key)
        return [self.label_of(str(x), t, key, i) for i, x in enumerate(items)]

    def label_of(self, label: str, t: FinSet, *path) -> str:
        return t.label(label, self.where(*path))

    def by_label(self, key: str, t: FinSet, numbers: bool = False) -> dict[str, object]:
        """A mapping label of ``t`` → number (or expression), missing labels left out."""
        raw = self.get(key, ..., f"a mapping from labels of {t.name} to numbers")
        if not isinstance(raw, Mapping) or not raw:
            self.fail(f"expected a mapping from labels of {t.name} to numbers", "write label: value lines", key)
        out = {}
        for label, v in raw.items():
            self.label_of(str(label), t, key, label)
            out[str(label)] = self.number(key, value=v, path=(label,)) if numbers else \
                self.expr(key, value=v, path=(label,))
        return out

    def finish(self) -> None:
        """Refuse arguments the construction does not read (a typo would otherwise be ignored)."""
        extra = sorted(set(self.args) - self._used)
        if extra:
            close = difflib.get_close_matches(extra[0], list(self._known), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            self.fail(f"unknown argument {extra[0]!r}{hint}", f"this construction reads: {', '.join(self._known)}",
                      extra[0])

    _known: tuple[str, ...] = ()


def to_expr(value, params: Mapping[str, Parameter], where: str) -> sympy.Expr:
    """A number (exact decimal) or an expression text in ``params`` as sympy, through the expression grammar."""
    symbols = {n: p.symbol for n, p in params.items()}
    if isinstance(value, bool):
        raise FileFormatError(where, f"expected a number or an expression, got {value!r}",
                              fix="write a number such as 0.5 or an expression such as '1 - beta'")
    if isinstance(value, int):
        return parse_expression(str(value), symbols, where)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise FileFormatError(where, f"{value!r} is not a finite number", fix="write a finite number")
        text = repr(value)
        if "e" in text or "E" in text:
            text = format(Decimal(text), "f")
        return parse_expression(text, symbols, where)
    if isinstance(value, str):
        return parse_expression(value, symbols, where)
    raise FileFormatError(where, f"expected a number or an expression, got {type(value).__name__}",
                          fix="write a number such as 0.5 or an expression such as '1 - beta'")


# ----- the registry ---------------------------------------------------------------------
@dataclass(frozen=True)
class Construction:
    """A named way to build a kernel: its builder, its one-line meaning and the arguments it reads."""

    name: str
    build: Callable[[Context], np.ndarray]
    doc: str
    args: tuple[str, ...]
    signature: str
    normalised: bool = False  # rows sum to one by construction: checked numerically at the defaults only


CONSTRUCTIONS: dict[str, Construction] = {}


def construction(name: str, signature: str, args: Sequence[str], normalised: bool = False):
    """Register a construction under ``name`` (its docstring is its documentation).

    ``normalised`` constructions divide by their own total, so the symbolic check that rows
    sum to one (slow for sums of exponentials) is replaced by a numeric check at the defaults.
    """
    def register(fn):
        CONSTRUCTIONS[name] = Construction(name, fn, (fn.__doc__ or "").strip().split("\n")[0], tuple(args),
                                           signature, normalised)
        return fn
    return register


def build(name: str, ctx: Context) -> Kernel:
    """The kernel of the construction ``name`` for the component described by ``ctx``."""
    if name not in CONSTRUCTIONS:
        close = difflib.get_close_matches(name, list(CONSTRUCTIONS), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UnknownName(ctx._place(()),
                          f"unknown construction {name!r}{hint}",
                          fix=f"use one of: {', '.join(sorted(CONSTRUCTIONS))}")
    c = CONSTRUCTIONS[name]
    ctx._known = c.args
    arr = c.build(ctx)
    ctx.finish()
    try:
        kernel = Kernel(arr, ctx.dom, ctx.cod, params=ctx.params, name=ctx.component, check=not c.normalised)
        if c.normalised and not kernel.is_symbolic:
            kernel.check()
        elif c.normalised and all(ctx.params[s.name].default is not None for s in kernel.free_symbols):
            kernel.subs()  # a numeric kernel is checked when it is made
        return kernel
    except MarkovwireError as e:
        raise type(e)(ctx._place(()), f"construction {name!r}: {e.where}: {e.what}", e.fix) from None


def _exact(x: float) -> sympy.Rational:
    """The exact decimal value of a number as written (``0.1`` is ``1/10``)."""
    return sympy.Rational(*Decimal(repr(float(x))).as_integer_ratio())


def _entries(ctx: Context) -> np.ndarray:
    shape = [len(p.type) for p in ctx.dom + ctx.cod]
    arr = np.empty(shape, dtype=object)
    arr[...] = sympy.Integer(0)
    return arr


def _integers(t: FinSet, ctx: Context, port: str) -> list[int]:
    """The labels of a counting type (``Range(n)`` or an alias of it): ``0 … n-1``."""
    if list(t.elements) != [str(i) for i in range(len(t))]:
        ctx.fail(f"port {port!r} has type {t.name}, whose labels are not 0 … n-1",
                 f"give {port!r} a counting type such as Range(n)")
    return list(range(len(t)))


# ----- monitors --------------------------------------------------------------------------
@construction("binormal_buckets", "x: X → bucket: S", ("mu", "fpr", "positive", "sd"))
def binormal_buckets(ctx: Context) -> np.ndarray:
    """Suspicion buckets of a binormal monitor, thresholds set as quantiles of the honest scores (C5).

    Scores are N(0, 1) for labels not in ``positive`` and N(``mu``, ``sd``) for those
    in it (``mu`` may be a mapping label → mean). ``fpr`` lists, for each bucket after
    the first, the fraction of honest scores at or above it (``[d, a]`` for
    ``[low, mid, high]``); a later, smaller fraction also caps the earlier ones.
    """
    ctx.ports(1, 1, "one input and one output (x: X → bucket: S)")
    X, S = ctx.dom[0].type, ctx.cod[0].type
    fpr = ctx.get("fpr", kinds=f"a list of {len(S) - 1} fractions")
    if not isinstance(fpr, list) or len(fpr) != len(S) - 1:
        ctx.fail(f"expected a list of {len(S) - 1} honest fractions (one per bucket after {S.elements[0]!r})",
                 f"write e.g. fpr: [{', '.join(['0.1'] * (len(S) - 1))}]", "fpr")
    f = [ctx.expr("fpr", value=v, path=(i,)) for i, v in enumerate(fpr)]
    m = [sympy.Max(*f[j:]) if len(f[j:]) > 1 else f[j] for j in range(len(f))]   # honest P(score ≥ t_j)
    positive = ctx.labels("positive", X)
    raw_mu = ctx.get("mu", kinds="a mean or a mapping label → mean")
    if isinstance(raw_mu, Mapping):
        mus = ctx.by_label("mu", X)
        missing = [x for x in positive if x not in mus]
        if missing:
            ctx.fail(f"no mean for positive label {missing[0]!r}", "give a mean for every positive label", "mu")
    else:
        mus = {x: ctx.expr("mu", value=raw_mu) for x in positive}
    sd = ctx.expr("sd", 1)
    t = [_PHI_INV(1 - mj) for mj in m]
    arr = _entries(ctx)
    for i, x in enumerate(X.elements):
        if x in mus:
            F = [_PHI((tj - mus[x]) / sd) for tj in t]
            cells = [F[0]] + [F[j + 1] - F[j] for j in range(len(F) - 1)] + [1 - F[-1]]
        else:
            cells = [1 - m[0]] + [m[j] - m[j + 1] for j in range(len(m) - 1)] + [m[-1]]
        arr[i] = cells
    return arr


# ----- optimisation against a proxy --------------------------------------------------------
def _base_and_score(ctx: Context):
    ctx.ports(0, 1, "no inputs and one output (→ y: Y)")
    Y = ctx.cod[0].type
    base = ctx.by_label("base", Y)    # numbers, or expressions in parameters (a mixture weight such as eps_hack)
    score = ctx.by_label("score", Y, numbers=True)
    defaults = {p.symbol: p.default for p in ctx.params.values() if p.default is not None}
    fixed = [v for v in (w.subs(defaults) for w in base.values()) if v.is_number]   # at the defaults
    if any(v < 0 for v in fixed) or (len(fixed) == len(base) and sum(fixed) <= 0):
        ctx.fail("base weights must be non-negative and not all zero", "give a weight (probability) per label",
                 "base")
    missing = [y for y, w in base.items() if w != 0 and y not in score]
    if missing:
        ctx.fail(f"label {missing[0]!r} has base weight but no score", "give every label with weight a score",
                 "score")
    weights = {y: w for y, w in base.items() if w != 0}
    return Y, weights, sum(weights.values(), sympy.Integer(0)), score


@construction("best_of_n", "→ y: Y", ("base", "score", "n"), normalised=True)
def best_of_n(ctx: Context) -> np.ndarray:
    """The best of ``n`` draws from ``base`` by proxy ``score``, ties broken uniformly (C12).

    With distinct score levels ``ℓ_1 < … < ℓ_L`` of base masses ``m_j`` and CDF ``F_j``,
    level ``j`` gets ``F_j^n − F_{j−1}^n``, split within the level in proportion to
    the base. Exact for finite support; ``n`` may be an expression, and so may the base
    weights (a mixture weight such as ``eps_hack``), provided they stay non-negative.
    """
    Y, w, total, score = _base_and_score(ctx)
    n = ctx.expr("n")
    levels = sorted({score[y] for y in w})
    arr = _entries(ctx)
    F_prev = None
    cum = sympy.Integer(0)   # base weight up to this level; the CDF is cum/total, one division (exact at the top)
    for j, level in enumerate(levels):
        members = [y for y in w if score[y] == level]
        mass = sum((w[y] for y in members), sympy.Integer(0))
        cum = cum + mass
        below = F_prev ** n if F_prev is not None else 0
        share = 1 - below if j == len(levels) - 1 else (cum / total) ** n - below  # the last level closes to 1
        for y in members:
            arr[Y.index(y)] = w[y] / mass * share
        F_prev = cum / total
    return arr


@construction("exponential_tilt", "→ y: Y", ("base", "score", "lam"), normalised=True)
def exponential_tilt(ctx: Context) -> np.ndarray:
    """The KL-regularised optimum ``π(y) ∝ base(y)·exp(score(y)/lam)`` (C13, the RLHF stand-in).

    It maximises ``E[score] − lam·KL(π ‖ base)``; scores are shifted by their maximum
    so that small ``lam`` does not overflow.
    """
    Y, weights, total, score = _base_and_score(ctx)
    p = {y: v / total for y, v in weights.items()}
    lam = ctx.expr("lam")
    top = max(score[y] for y in p)
    w = {y: p[y] * sympy.exp((_exact(score[y]) - _exact(top)) / lam) for y in p}
    Z = sum(w.values(), sympy.Integer(0))
    arr = _entries(ctx)
    for y, v in w.items():
        arr[Y.index(y)] = v / Z
    return arr


# ----- counting ------------------------------------------------------------------------------
@construction("binomial", "→ k: Range(n + 1)", ("p",))
def binomial(ctx: Context) -> np.ndarray:
    """The number of successes in ``n`` independent trials of probability ``p`` (the output is ``Range(n+1)``)."""
    ctx.ports(0, 1, "no inputs and one output (→ k: Range(n + 1))")
    K = ctx.cod[0].type
    ks = _integers(K, ctx, ctx.cod[0].name)
    p = ctx.expr("p")
    n = len(ks) - 1
    arr = _entries(ctx)
    for k in ks:
        arr[k] = sympy.binomial(n, k) * p ** k * (1 - p) ** (n - k)
    return arr


@construction("counter", "count: Range(n) ⊗ x: X → count: Range(n) [⊗ flag: F]", ("when", "at", "below", "above"))
def counter(ctx: Context) -> np.ndarray:
    """Add one to a count when ``x`` is one of the labels ``when``, stopping at the top (spent audit coins, C22).

    With a second output, it is a flag of the count *before* the step: ``below`` while the
    count is under ``at`` (default: the top), ``above`` from there on. The flag reads only
    the count, so a stateful counter can close a feedback loop (a budget).
    """
    ctx.ports(2, None, "a count and one more input, and the count (and a flag) out "
                       "(count: Range(n) ⊗ x: X → count: Range(n) [⊗ flag: F])")
    if len(ctx.cod) not in (1, 2):
        ctx.ports(2, 2, "count: Range(n) ⊗ x: X → count: Range(n) [⊗ flag: F]")
    C, X = ctx.dom[0].type, ctx.dom[1].type
    if ctx.cod[0].type != C:
        ctx.fail(f"the output type {ctx.cod[0].type.name} differs from the count's type {C.name}",
                 "give the first output the count's type")
    ks = _integers(C, ctx, ctx.dom[0].name)
    on = set(ctx.labels("when", X))
    flag = _flags(ctx, C, ctx.cod[1].type) if len(ctx.cod) == 2 else None
    arr = np.zeros([len(p.type) for p in ctx.dom + ctx.cod])
    for k in ks:
        for j, x in enumerate(X.elements):
            nxt = min(k + 1, len(C) - 1) if x in on else k
            arr[(k, j, nxt) + ((flag[k],) if flag is not None else ())] = 1.0
    return arr


def _flags(ctx: Context, C: FinSet, F: FinSet) -> list[int]:
    """For each count, the index of its flag label (``below`` under ``at``, ``above`` from there)."""
    at = ctx.whole("at", len(C) - 1)
    below, above = ctx.labels("below", F), ctx.labels("above", F)
    if len(below) != 1 or len(above) != 1:
        ctx.fail("below and above each name one label", f"write e.g. below: {F.elements[0]}, above: {F.elements[-1]}")
    return [F.index(below[0] if k < at else above[0]) for k in range(len(C))]


@construction("threshold", "count: Range(n) → flag: F", ("at", "below", "above"))
def threshold(ctx: Context) -> np.ndarray:
    """Label ``below`` while a count is under ``at`` (default: the top), ``above`` from there on."""
    ctx.ports(1, 1, "one counting input and one output (count: Range(n) → flag: F)")
    C, F = ctx.dom[0].type, ctx.cod[0].type
    _integers(C, ctx, ctx.dom[0].name)
    arr = np.zeros([len(C), len(F)])
    for k, f in enumerate(_flags(ctx, C, F)):
        arr[k, f] = 1.0
    return arr


@construction("budgeted_episode", "state: S ⊗ inputs… → state: S ⊗ budget: F [⊗ spent: Range(B + 1)]",
              ("spend", "end", "at", "below", "above"))
def budgeted_episode(ctx: Context) -> np.ndarray:
    """An episode with audit coins (C22): the state counts coins spent (labels 0 … B) or has ended.

    The state type holds the counts ``0 … B`` and absorbing end labels (``Sum(Coins, Ended)``).
    ``end`` maps input ports to {input label: end label}, checked in order (a caught attack
    shuts down, an uncaught catastrophe ends it); otherwise ``spend`` ({port: labels})
    spends one coin. The other outputs read the state alone: a flag of the budget, ``below``
    while fewer than ``at`` (default: B) coins are spent, ``above`` after that or once ended;
    or, when an output's type is the counts ``0 … B`` themselves, the coins spent (B once
    ended), so that a policy can see how much budget is left.
    """
    if len(ctx.dom) < 2 or len(ctx.cod) not in (2, 3):
        ctx.ports(2, 2, "the state and inputs in, the state and a budget flag (or the coins spent) out "
                        "(state: S ⊗ inputs… → state: S ⊗ budget: F [⊗ spent: Range(B + 1)])")
    S = ctx.dom[0].type
    if ctx.cod[0].type != S:
        ctx.fail(f"the first output has type {ctx.cod[0].type.name}, not the state's {S.name}",
                 "give the first output the state's type")
    counts = [x for x in S.elements if x.isdigit()]
    if counts != [str(i) for i in range(len(counts))] or not counts:
        ctx.fail(f"the state {S.name} does not start with the counts 0 … B", "use Sum(Range(B + 1), Ended)")
    ended = [x for x in S.elements if not x.isdigit()]
    ports = {p.name: (i, p.type) for i, p in enumerate(ctx.dom) if i > 0}

    def port_rules(key: str, ends: bool):
        raw = ctx.get(key, {} if ends else ..., "a mapping from input ports to labels")
        if not isinstance(raw, Mapping):
            ctx.fail("expected a mapping from input ports to labels", f"write e.g. {key}: {{audit: ...}}", key)
        rules = []
        for port, labels in raw.items():
            if port not in ports:
                ctx.fail(f"{port!r} is not an input port", f"use one of: {', '.join(ports)}", key, port)
            i, t = ports[port]
            if ends:
                if not isinstance(labels, Mapping):
                    ctx.fail("expected a mapping input label → end label", "write e.g. {caught: shutdown}", key, port)
                for lab, end in labels.items():
                    ctx.label_of(str(lab), t, key, port, lab)
                    if str(end) not in ended:
                        ctx.fail(f"{end!r} is not an end label of {S.name}",
                                 f"use one of: {', '.join(ended) or 'none (add them to the state type)'}",
                                 key, port, lab)
                    rules.append((i, t.index(str(lab)), S.index(str(end))))
            else:
                items = [labels] if isinstance(labels, str) else labels
                if not isinstance(items, list):
                    ctx.fail("expected a label or a list of labels", "write e.g. [clean, caught]", key, port)
                rules += [(i, t.index(ctx.label_of(str(x), t, key, port)), None) for x in items]
        return rules

    ends = port_rules("end", True)
    spends = port_rules("spend", False)
    top = len(counts) - 1
    reads = [_state_reading(ctx, p.type, counts) for p in ctx.cod[1:]]
    shape = [len(p.type) for p in ctx.dom + ctx.cod]
    arr = np.zeros(shape)
    import itertools
    for s_idx, s_label in enumerate(S.elements):
        flag = tuple(read(s_label) for read in reads)
        for xs in itertools.product(*(range(len(p.type)) for p in ctx.dom[1:])):
            full = (s_idx,) + xs
            if not s_label.isdigit():
                nxt = s_idx
            else:
                nxt = next((end for i, lab, end in ends if full[i] == lab), None)
                if nxt is None:
                    k = int(s_label)
                    spent = any(full[i] == lab for i, lab, _ in spends)
                    nxt = S.index(str(min(k + 1, top) if spent else k))
            arr[full + (nxt,) + flag] = 1.0
    return arr


def _state_reading(ctx: Context, F: FinSet, counts: list[str]):
    """How an output of a budgeted episode reads its state label: the coins spent when ``F`` is the counts
    ``0 … B`` (B once ended), else the budget flag (``below`` under ``at`` coins spent, ``above`` from there)."""
    top = len(counts) - 1
    if list(F.elements) == counts:
        return lambda s: int(s) if s.isdigit() else top
    at = ctx.whole("at", top)
    below, above = ctx.labels("below", F), ctx.labels("above", F)
    if len(below) != 1 or len(above) != 1:
        ctx.fail("below and above each name one label", f"write e.g. below: {F.elements[0]}, above: {F.elements[-1]}")
    return lambda s: F.index(below[0] if s.isdigit() and int(s) < at else above[0])


def constant(v, where: str) -> float:
    """A number, or an expression without parameters (``"71/18000"``), as a float."""
    return constant_value(to_expr(v, {}, where), where)
