"""Figures for papers (matplotlib): queries along a sweep, their bounds and bands, sensitivities.

Every number drawn comes from the proposal's compiled model through the methods ``eval`` uses:
:meth:`Proposal.evaluate` for the curves, :meth:`Proposal.bounds` (credal bounds, ``--interval``)
and :meth:`Proposal.band` (TV bands and their exact worst case, ``--tv``) at each sweep point, and
:func:`~markovwire.library.sensitivity.sensitivities_of` for the elasticities. Nothing here evaluates.

The x axis is the first swept parameter; each value of the other swept parameters is a curve of its own
(its line style). A distribution query draws one curve per label, ``name[label]`` as in ``eval``'s
sweep table. Adversary entries draw their optimum, credal entries their lower and upper values as a band.

matplotlib is imported when a figure is made, never with markovwire; figures are drawn on the Agg
canvas (no display, no global pyplot state). The functions return the :class:`matplotlib.figure.Figure`.

>>> from markovwire.library import load_proposal
>>> from markovwire.library.shipped import default_proposal
>>> fig = sweep_figure(load_proposal(default_proposal()), queries=["safety"])
>>> ax = fig.axes[0]
>>> ax.get_xlabel().split(":")[0], ax.get_ylabel()      # labels wrap to the figure's width
('beta', 'P(episode∈{running, shutdown} |\\nintent=scheming)')
>>> len(ax.lines[0].get_ydata())       # the file's sweep: beta over 26 points
26
"""
from __future__ import annotations

import difflib
import io
import os
import re
import textwrap
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from markovwire.errors import ParameterError, Place, RenderError, UnknownName

FORMATS = ("svg", "png", "pdf")
WIDTH = 3.3                 # inches: one column of a two-column paper
MIN_WIDTH, MAX_WIDTH = 1.5, 48.0    # inches: room for the axes and their labels; a poster
DPI = 300                   # PNG
CHARS = 18                  # characters of 7 pt type per inch, for wrapping labels
INSIDE = 4                  # legends of at most this many entries sit inside the axes, longer ones below
MARKED = 30                 # sweeps of at most this many points mark each point evaluated
STYLE = {"font.family": "sans-serif", "font.size": 7, "axes.titlesize": 7, "axes.labelsize": 7,
         "legend.fontsize": 6, "xtick.labelsize": 6, "ytick.labelsize": 6, "axes.linewidth": 0.5,
         "lines.linewidth": 1.0, "xtick.major.width": 0.5, "ytick.major.width": 0.5, "xtick.major.size": 2.5,
         "ytick.major.size": 2.5, "axes.spines.top": False, "axes.spines.right": False, "legend.frameon": False,
         "svg.fonttype": "none", "pdf.fonttype": 42, "hatch.linewidth": 0.4,
         "figure.constrained_layout.h_pad": 0.02, "figure.constrained_layout.w_pad": 0.02}   # exactly the width asked
COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",    # Okabe-Ito, then
          "#8C564B", "#7F7F7F", "#BCBD22", "#9467BD"]                                    # tab10's distinct rest
DASHES = ["-", "--", ":", "-."]
BANDS = ("credal bounds and TV bands", "--interval and --tv (and without the file's tv_radius)")
UNITS = {"probability": "probability", "distribution": "probability", "tv": "TV distance"}


@dataclass(frozen=True)
class Band:
    """A region around a curve: ``kind`` is ``"credal bounds"``, ``"TV band"`` or ``"TV exact worst case"``."""

    kind: str
    lower: np.ndarray
    upper: np.ndarray


@dataclass(frozen=True)
class Curve:
    """One line of a sweep figure: ``y`` against ``x`` (None for a credal entry, drawn as its band only)."""

    entry: str                      # the query, adversary or credal entry of the file
    label: str                      # its legend entry
    x: np.ndarray
    y: np.ndarray | None
    fixed: dict[str, float] = field(default_factory=dict)     # the other swept parameters' values
    bands: tuple[Band, ...] = ()


# ----- data -----------------------------------------------------------------------------------------
def sweep_curves(proposal, sweeps: Sequence | None = None, queries: Sequence[str] | None = None,
                 values: Mapping[str, float] | None = None, intervals: Mapping[str, tuple[float, float]] | None = None,
                 radii: Mapping[str, float] | None = None, where: str | Place | None = None) -> tuple[str, list[Curve]]:
    """``(parameter, curves)``: each query along the sweep (the file's ``sweeps:`` unless ``sweeps`` is given,
    as :class:`~markovwire.library.schema.SweepSpec` or ``(name, start, stop, count)``), with the credal bounds
    of ``intervals`` and the TV bands of ``radii`` (instance → ε, added to the file's) at every point."""
    from .proposal import sweep_grid

    chosen = list(sweeps) if sweeps else proposal.sweeps
    if not chosen:
        raise _no_sweep(proposal)
    values = dict(values or {})
    intervals = dict(intervals or {})
    radii = {**proposal.radii, **dict(radii or {})}
    axes, grid = sweep_grid(chosen, where or ("--sweep" if sweeps else proposal.where("sweeps")))
    for n in sorted(set(values) & set(axes)):
        raise ParameterError(f"--set {n}", f"gives {n!r} a value, but the plot sweeps it",
                             fix=f"drop --set {n}, or sweep another parameter (--sweep)")
    for n in intervals:
        if n in axes:
            raise ParameterError(f"--interval {n}", f"bounds parameter {n!r}, which the plot sweeps",
                                 fix=f"bound another parameter, or sweep another one than {n} (--sweep)")
    names = _entries(proposal, queries, BANDS if intervals or radii else None)
    results = proposal.evaluate({**values, **grid}, names)
    xname, shape = next(iter(axes)), tuple(len(a) for a in axes.values())
    rest = list(axes)[1:]
    curves = []
    for name in names:
        for label, ys in _series(proposal, name, results[name], shape):
            for index in np.ndindex(*shape[1:]):
                fixed = {n: float(axes[n][i]) for n, i in zip(rest, index)}
                pick = (slice(None), *index)
                flat = np.arange(int(np.prod(shape))).reshape(shape)[pick]
                y, bands = ys[pick], ()
                if isinstance(y, Band):
                    y, bands = None, (y,)
                elif name in proposal.queries and proposal.queries[name].is_linear and (intervals or radii):
                    points = [{**values, **{n: float(grid[n][i]) for n in grid}} for i in flat]
                    bands = _bands(proposal, name, points, intervals, radii)
                curves.append(Curve(name, label, np.asarray(axes[xname], dtype=float), y, fixed, bands))
    return xname, curves


def _entries(proposal, queries: Sequence[str] | None, linear: tuple[str, str] | None = None) -> list[str]:
    """The entries to plot: those named (each checked, with a did-you-mean), else every query. With ``linear``
    (what needs them, what to drop), only probability and expectation queries: ``eval`` bounds and
    differentiates only those."""
    known = list(proposal.queries) + list(proposal.spec.adversary) + list(proposal.spec.credal)
    if not queries:
        return [n for n, q in proposal.queries.items() if q.is_linear or not linear]
    for n in queries:
        if n not in known:
            close = difflib.get_close_matches(n, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise UnknownName(Place(f"-q {n}", file=_file(proposal)), f"proposal {proposal.name!r} has no query "
                              f"{n!r}{hint}", fix=f"plot one of: {', '.join(known) or 'no queries declared'}")
        q = proposal.queries.get(n)
        if linear and (q is None or not q.is_linear):
            what = q.spec.what if q is not None else "an adversary entry (an optimum)" \
                if n in proposal.spec.adversary else "a credal entry (bounds already)"
            raise ParameterError(Place(f"-q {n}", file=_file(proposal)), f"{n!r} is {what}; {linear[0]} are for "
                                 "probability and expectation queries",
                                 fix=f"plot {n} without {linear[1]}, or choose a probability or expectation query")
    return list(dict.fromkeys(queries))


def _series(proposal, name: str, result, shape: tuple[int, ...]):
    """``(label, values of the grid's shape)`` of one entry's result: a number per point, one per label of a
    distribution, an adversary's optimum, or a credal entry's bounds (a :class:`Band`)."""
    if isinstance(result, dict):
        return [(f"{name}[{label}]", np.asarray(v, dtype=float).reshape(shape)) for label, v in result.items()]
    scalar = not isinstance(result, np.ndarray)     # an entry that does not depend on the swept parameters
    arr = np.array(result, dtype=float if isinstance(result, (int, float)) else object) if scalar else result
    flat = np.broadcast_to(arr, (int(np.prod(shape)),))
    if flat.dtype != object:
        return [(name, flat.astype(float).reshape(shape))]
    if name in proposal.spec.credal:
        lo = np.array([b.lower for b in flat], dtype=float).reshape(shape)
        hi = np.array([b.upper for b in flat], dtype=float).reshape(shape)
        return [(name, _BandGrid("credal bounds", lo, hi))]
    return [(name, np.array([w.value for w in flat], dtype=float).reshape(shape))]


class _BandGrid:
    """A credal entry's lower and upper values over the grid; indexing gives the :class:`Band` of a curve."""

    def __init__(self, kind: str, lower: np.ndarray, upper: np.ndarray):
        self.kind, self.lower, self.upper = kind, lower, upper

    def __getitem__(self, pick) -> Band:
        return Band(self.kind, self.lower[pick], self.upper[pick])


def _bands(proposal, name: str, points: list[dict], intervals, radii) -> tuple[Band, ...]:
    """The credal bounds and the TV band (and its exact worst case, where computed) at each point."""
    out = []
    if intervals:
        bs = [proposal.bounds(name, intervals, values=p) for p in points]
        out.append(Band("credal bounds", np.array([b.lower for b in bs]), np.array([b.upper for b in bs])))
    if radii:
        bs = [proposal.band(name, radii, p) for p in points]
        out.append(Band("TV band", np.array([b.lower for b in bs], float), np.array([b.upper for b in bs], float)))
        if all(b.exact_lower is not None for b in bs):
            out.append(Band("TV exact worst case", np.array([b.exact_lower for b in bs], float),
                            np.array([b.exact_upper for b in bs], float)))
    return tuple(out)


def _no_sweep(proposal) -> ParameterError:
    free = [p for n, p in sorted(proposal.parameters.items()) if n not in proposal.structural]
    p = next((p for p in free if all(np.isfinite(p.domain))), free[0] if free else None)
    swept, (lo, hi) = (p.name, p.domain) if p is not None else ("p", (0.0, 1.0))
    lo, hi = (lo, hi) if np.isfinite(lo) and np.isfinite(hi) else (0.0, 1.0)
    return ParameterError(Place(file=_file(proposal)), "has no sweep to plot: no sweeps: section, and no --sweep given",
                          fix=f"give one on the command line, e.g. --sweep {swept}={lo:g}:{hi:g}:21, or add "
                              f"'sweeps: [{{parameter: {swept}, start: {lo:g}, stop: {hi:g}, count: 21}}]' to the file")


def _file(proposal) -> str | None:
    return str(proposal.path) if proposal.path is not None else None


# ----- labels --------------------------------------------------------------------------------------
def unit(proposal, name: str) -> str | None:
    """The unit of an entry's values: ``probability``, ``nats``, ``bits``, ``TV distance`` or None (an
    expectation, in the units of its table)."""
    entry = proposal.spec.adversary.get(name) or proposal.spec.credal.get(name)
    q = proposal.queries[entry.query if entry is not None else name]
    return UNITS.get(q.kind) or getattr(getattr(q.spec, q.kind), "unit", None)


def parameter_label(proposal, name: str, width: int = 60) -> str:
    """``name: what it is`` from the parameter's doc (its first clause, without citations), on at most two
    lines of ``width`` characters."""
    doc = proposal.all_parameters[name].doc if name in proposal.all_parameters else ""
    clause = re.sub(r"\s*\([A-Z]\d+[a-z]?(, [A-Z]\d+[a-z]?)*\)", "", re.split(r"; |\. |, ", doc)[0]).strip()
    text = f"{name}: {clause}" if clause else name
    return _two_lines(text, width)


def _two_lines(text: str, width: int) -> str:
    """``text`` wrapped to at most two lines of ``width`` characters (cut with " …")."""
    return "\n".join(textwrap.wrap(text, width, max_lines=2, placeholder=" …"))


def entry_text(proposal, name: str) -> str:
    """What an entry asks: the query's description (``P(episode=catastrophe | intent=scheming)``), or an
    adversary's or credal entry's sense and query."""
    if name in proposal.queries:
        return proposal.queries[name].text
    if name in proposal.spec.adversary:
        adv = proposal.spec.adversary[name]
        return f"{adv.sense} {proposal.queries[adv.query].text}"
    return f"bounds of {proposal.queries[proposal.spec.credal[name].query].text}"


def axis_text(proposal, name: str, width: int = 50) -> str:
    """The y axis of one entry: what it asks (:func:`entry_text`), except that an expectation, whose description
    only says ``E[f(wires)]``, is named by the first clause of its doc when it has one (``E[gold score Y] of the
    best-of-n pick``)."""
    q = proposal.queries.get(name)
    clause = re.split(r"; |\. |\s\(", q.spec.doc)[0].strip().rstrip(".") if q is not None else ""
    text = clause if q is not None and q.kind == "expectation" and clause else entry_text(proposal, name)
    return _two_lines(text, width)


# ----- figures -------------------------------------------------------------------------------------
def sweep_figure(proposal, sweeps: Sequence | None = None, queries: Sequence[str] | None = None,
                 values: Mapping[str, float] | None = None, intervals: Mapping[str, tuple[float, float]] | None = None,
                 radii: Mapping[str, float] | None = None, width: float = WIDTH, where: str | Place | None = None):
    """Each query against the swept parameter, with its bounds and bands shaded (see :func:`sweep_curves`)."""
    check_width(width)
    xname, curves = sweep_curves(proposal, sweeps, queries, values, intervals, radii, where)
    return curves_figure(proposal, xname, curves, width)


def curves_figure(proposal, xname: str, curves: Sequence[Curve], width: float = WIDTH):
    """The figure of curves already computed (by :func:`sweep_curves`, or from a notebook's results)."""
    entries = list(dict.fromkeys(c.entry for c in curves))
    labels = list(dict.fromkeys(c.label for c in curves))
    fixings = list(dict.fromkeys(tuple(c.fixed.items()) for c in curves))
    units = list(dict.fromkeys(unit(proposal, e) for e in entries))
    kinds = list(dict.fromkeys(b.kind for c in curves for b in c.bands))
    marked = len(curves[0].x) <= MARKED
    with _style():
        keys = _keys(labels, fixings, _band_names(curves, kinds), marked)
        rows = 0 if len(keys) <= INSIDE else -(-len(keys) // 2)
        fig, ax = _figure(width, width * 0.68 + rows * 0.12)     # the axes keep their size under a long legend
        for c in curves:
            color = COLORS[labels.index(c.label) % len(COLORS)]
            dash = DASHES[fixings.index(tuple(c.fixed.items())) % len(DASHES)]
            name = ", ".join([c.label] + [f"{k} = {v:g}" for k, v in c.fixed.items()])
            for band in c.bands:
                ax.fill_between(c.x, band.lower, band.upper, **_shade(band.kind, color), label="_band")
            if c.y is not None:
                ax.plot(c.x, c.y, color=color, linestyle=dash, label=name, marker="o" if marked else None,
                        markersize=1.8)
            elif c.bands:
                for k, edge in enumerate((c.bands[0].lower, c.bands[0].upper)):
                    ax.plot(c.x, edge, color=color, linestyle=dash, linewidth=0.6, label=name if k == 0 else "_edge")
        ax.set_xlabel(parameter_label(proposal, xname, int(width * CHARS)))
        shown = [u for u in units if u is not None]
        if len(entries) == 1:
            in_unit = f" ({units[0]})" if units[0] in ("nats", "bits") else ""
            ax.set_ylabel(axis_text(proposal, entries[0], int(width * 0.68 * CHARS)) + in_unit)
        else:
            ax.set_ylabel(" / ".join(shown) if len(shown) == len(units) else "expected value" if not shown else "value")
        if units == ["probability"]:
            lo, hi = ax.get_ylim()
            ax.set_ylim(max(lo, 0.0), min(hi, 1.0))
        if len(curves[0].x) > 1:
            ax.set_xlim(float(np.min(curves[0].x)), float(np.max(curves[0].x)))     # a sweep may run downwards
        if rows:
            fig.legend(handles=keys, loc="outside lower center", ncols=2, handlelength=1.8)
        elif keys:
            ax.legend(handles=keys, loc="best", handlelength=1.8)
    return fig


def _shade(kind: str, color: str) -> dict:
    """How a band is filled: the TV band light, its exact worst case darker, credal bounds hatched."""
    if kind == "credal bounds":
        return {"facecolor": "none", "edgecolor": color, "hatch": "////", "linewidth": 0, "alpha": 0.6}
    return {"color": color, "linewidth": 0, "alpha": 0.3 if kind == "TV exact worst case" else 0.12}


def _band_names(curves: Sequence[Curve], kinds: list[str]) -> dict[str, str]:
    """The legend's name of each kind of band: the kind, with its greatest width when that is too thin to see
    (under 2% of the range the curves and bands span), e.g. ``TV exact worst case (width ≤ 0.0021)``."""
    lows = [np.min(v) for c in curves for v in [c.y, *(b.lower for b in c.bands)] if v is not None]
    highs = [np.max(v) for c in curves for v in [c.y, *(b.upper for b in c.bands)] if v is not None]
    span = float(max(highs) - min(lows)) if lows else 0.0
    out = {}
    for k in kinds:
        width = max(float(np.max(b.upper - b.lower)) for c in curves for b in c.bands if b.kind == k)
        out[k] = f"{k} (width ≤ {width:.2g})" if span and width < 0.02 * span else k
    return out


def _keys(labels: list[str], fixings: list[tuple], kinds: Mapping[str, str], marked: bool) -> list:
    """The legend: a colour per curve label, a line style per value of the other swept parameters (each curve
    once when only one of them varies), then one grey swatch per kind of band."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    marker = {"marker": "o" if marked else None, "markersize": 1.8}
    fixed = [", ".join(f"{k} = {v:g}" for k, v in f) for f in fixings]
    if len(labels) > 1 and len(fixings) > 1:
        keys = [Line2D([], [], color=COLORS[i % len(COLORS)], label=lab, **marker) for i, lab in enumerate(labels)]
        keys += [Line2D([], [], color="0.3", linestyle=DASHES[i % len(DASHES)], label=f) for i, f in enumerate(fixed)]
    elif len(fixings) > 1:
        keys = [Line2D([], [], color=COLORS[0], linestyle=DASHES[i % len(DASHES)], label=f, **marker)
                for i, f in enumerate(fixed)]
    else:
        keys = [Line2D([], [], color=COLORS[i % len(COLORS)], label=lab, **marker) for i, lab in enumerate(labels)]
        keys = keys if len(labels) > 1 else []       # one curve: the axis label says what it is
    return keys + [Patch(**_shade(k, "0.35"), label=name) for k, name in kinds.items()]


def sensitivity_figure(proposal, queries: Sequence[str] | None = None, values: Mapping[str, float] | None = None,
                       width: float = WIDTH):
    """A horizontal bar per parameter: the elasticity ``(p/q) dq/dp`` of each query at ``values`` (defaults
    elsewhere), as ``eval --sensitivity`` computes it; parameters ranked by the largest |elasticity|."""
    from .sensitivity import sensitivities_of

    check_width(width)
    names = _entries(proposal, queries, ("sensitivities", "--sensitivity"))
    tables = {n: sensitivities_of(proposal, n, values) for n in names}
    rows = {n: {r.parameter: r.elasticity for r in t.rows if r.elasticity == r.elasticity} for n, t in tables.items()}
    size = {p: max(abs(r.get(p, 0)) for r in rows.values()) for r in rows.values() for p in r}
    # at p = 0 the elasticity is 0 whatever the slope: such a parameter is shown with its derivative
    at_zero = {r.parameter: r.derivative for t in tables.values() for r in t.rows
               if r.at == 0 and r.derivative == r.derivative and r.derivative != 0}
    visible = max(size.values(), default=0) * 1e-6
    params = sorted((p for p in size if size[p] > visible or p in at_zero), key=lambda p: -size[p])
    unmoved = sorted(p for p in size if p not in params)
    height = max(1.2, 0.35 + 0.16 * len(params) * max(1, len(names)) ** 0.5)
    with _style():
        fig, ax = _figure(width, height)
        step = 0.8 / max(1, len(names))
        for k, n in enumerate(names):
            ys = [i - 0.4 + step * (k + 0.5) for i in range(len(params))]
            ax.barh(ys, [rows[n].get(p, 0.0) for p in params], height=step * 0.9, color=COLORS[k % len(COLORS)],
                    label=n if len(names) > 1 else None, linewidth=0)
        ax.set_yticks(range(len(params)), [f"{p}†" if p in at_zero else p for p in params])
        ax.invert_yaxis()
        ax.axvline(0, color="black", linewidth=0.5)
        ax.spines["left"].set_visible(False)
        ax.tick_params(axis="y", length=0)
        what = f" of {entry_text(proposal, names[0])}" if len(names) == 1 else ""
        slopes = ", ".join(f"{at_zero[p]:.3g}" for p in params if p in at_zero)
        notes = "; ".join([f"† at 0, where ∂q/∂p = {slopes}"] * bool(at_zero)
                          + [f"no effect: {', '.join(unmoved)}"] * bool(unmoved))
        ax.set_xlabel("\n".join(textwrap.wrap(f"elasticity{what}, (p/q) ∂q/∂p", int(width * CHARS), max_lines=2,
                                               placeholder=" …")
                                 + textwrap.wrap(notes, int(width * CHARS), max_lines=2, placeholder=" …")))
        if len(names) > 1:
            ax.legend(loc="best")
    return fig


@dataclass(frozen=True)
class Published:
    """A published (safety, usefulness) point to draw beside a frontier, e.g. a row of Greenblatt et al.'s Table 7."""

    safety: float
    usefulness: float
    label: str = ""


def frontier_figure(proposal, frontier, published: Sequence[Published] = (), width: float = WIDTH):
    """The safety-usefulness frontier (:meth:`Proposal.frontier`): usefulness across, safety up, one marker per
    Pareto protocol joined by the segments mixtures reach (a step when blue commits to pure protocols), and
    ``published`` points overlaid as open markers, labelled."""
    check_width(width)
    pts = sorted(frontier.points, key=lambda p: p.usefulness)
    u = np.array([p.usefulness for p in pts])
    s = np.array([p.safety for p in pts])
    mixed = frontier.concept.startswith("mixed")
    with _style():
        fig, ax = _figure(width, width * 0.75)
        drawn = "steps-pre" if not mixed else "default"
        ax.plot(u, s, color=COLORS[0], marker="o", markersize=2.2, drawstyle=drawn,
                label="frontier (mixtures)" if mixed else "frontier (pure protocols)")
        for i, p in enumerate(published):
            ax.plot([p.usefulness], [p.safety], linestyle="none", marker="s", markersize=3, markerfacecolor="none",
                    markeredgecolor=COLORS[1], markeredgewidth=0.7, label="published" if i == 0 else "_published")
            if p.label:
                ax.annotate(p.label, (p.usefulness, p.safety), xytext=(2, -6), textcoords="offset points",
                            fontsize=5, color=COLORS[1])
        ax.set_xlabel(axis_text(proposal, frontier.usefulness, int(width * CHARS)))
        ax.set_ylabel(_two_lines(f"{frontier.safety} against the red team's best reply", int(width * 0.75 * CHARS)))
        for setter, values, name in ((ax.set_xlim, [*u, *(p.usefulness for p in published)], frontier.usefulness),
                                     (ax.set_ylim, [*s, *(p.safety for p in published)], frontier.safety)):
            lo, hi = float(min(values)), float(max(values))
            pad = max(0.02, 0.05 * (hi - lo))
            if unit(proposal, name) == "probability":
                setter(max(0.0, lo - pad), min(1.0, hi + pad) if hi <= 1.0 else hi + pad)
            else:
                setter(lo - pad, hi + pad)
        ax.legend(loc="best", handlelength=1.8)
    return fig


def save_figure(fig, path: str | os.PathLike, dpi: int = DPI) -> str:
    """Write ``fig`` to ``path`` (its suffix is the format: svg, png or pdf), atomically; returns the path."""
    from markovwire.diagrams.atomic import write_atomic

    fmt = check_format(path)
    buf = io.BytesIO()
    with _style():
        fig.savefig(buf, format=fmt, dpi=dpi, metadata={"svg": {"Date": None}, "pdf": {"CreationDate": None}}.get(fmt))
    write_atomic(path, buf.getvalue(), make_dirs=True)
    return str(path)


def check_format(path: str | os.PathLike) -> str:
    """The format of a figure file from its suffix; anything but svg, png and pdf is refused."""
    suffix = os.path.splitext(str(path))[1].lower().lstrip(".")
    if suffix not in FORMATS:
        shown = f".{suffix}" if suffix else "no suffix"
        raise RenderError(Place(file=str(path)), f"has {shown}: plots are written as .svg, .png or .pdf",
                          fix=f"name the figure with one of those suffixes, e.g. -o "
                              f"{os.path.splitext(os.path.basename(str(path)))[0] or 'figure'}.pdf")
    return suffix


def _style():
    import matplotlib

    return matplotlib.rc_context(STYLE)


def check_width(width: float) -> float:
    """A figure width in inches with room for the axes and their labels (refused before anything is computed)."""
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        raise RenderError(Place("--width"), f"{width:g} in is too {'narrow' if width < MIN_WIDTH else 'wide'} for a "
                          f"plot (from {MIN_WIDTH:g} in to {MAX_WIDTH:g} in)",
                          fix="give a width in that range, e.g. --width column (3.3 in) or --width page (6.5 in)")
    return width


def _figure(width: float, height: float):
    """A figure on the Agg canvas (no display, no pyplot state) and its one axes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure


    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()

