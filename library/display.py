"""How a proposal and its results show themselves in Jupyter: escaped tables, the diagram and a sweep as SVG.

:meth:`Proposal.evaluate` returns :class:`Results`, a ``dict`` (query → value, as always)
that also knows each entry's description and the swept values, so that a notebook
shows it as a table and, along a sweep of one parameter, a small plot (when
matplotlib is installed; the table alone otherwise).

>>> r = Results({"p": 0.25, "dist": {"a": 0.5, "b": 0.5}}, described={"p": ("P(the <bad> case)", "P(x=bad)")})
>>> r == {"p": 0.25, "dist": {"a": 0.5, "b": 0.5}}, "P(the &lt;bad&gt; case)" in r._repr_html_()
(True, True)
"""
from __future__ import annotations

import html
import io
from typing import Mapping

import numpy as np

from markovwire.display import Html, Sub, heading, svg, table

LINES = 7       # curves at most in a sweep's plot (one per colour)
POINTS = 1000   # points at most per curve (a longer sweep is thinned evenly, its ends kept)
LABELS = 50     # labels of a distribution shown as sub-rows


class Results(dict):
    """Query → value, as :meth:`Proposal.evaluate` computed it, shown in Jupyter as a table of query, description,
    formula and value (distributions as sub-rows; analyses' details below; a plot along a sweep of one parameter)."""

    def __init__(self, values: Mapping, *, described: Mapping[str, tuple[str, str]] | None = None,
                 swept: Mapping[str, np.ndarray] | None = None, title: str = "", proposal=None):
        super().__init__(values)
        self.proposal = proposal                 # for the plot's labels and units (a copy or pickle leaves it out)
        self.described = dict(described or {})   # name → (doc, formula)
        self.swept = dict(swept or {})           # parameter → its values at the sweep's points
        self.title = title

    def __reduce__(self):   # copy and pickle as a plain dict of the same keys and values plus what it shows
        return (Results, (dict(self),), {"described": self.described, "swept": self.swept, "title": self.title})

    def _repr_html_(self) -> str:
        rows, details = [], []
        for name, value in self.items():
            doc, formula = self.described.get(name, ("", ""))
            if isinstance(value, dict):
                rows.append([name, doc, formula, ""])
                rows += [[Sub(label), "", "", v] for label, v in list(value.items())[:LABELS]]
                if len(value) > LABELS:
                    rows.append([Sub(f"… {len(value) - LABELS:,} more labels"), "", "", ""])
            else:
                rows.append([name, doc, formula, value])
                if hasattr(value, "_repr_html_"):
                    details.append(f"<details><summary>{html.escape(name)}</summary>{value._repr_html_()}</details>")
        at = "; ".join(f"{k} over {len(v)} points" for k, v in self.swept.items())
        caption = " — ".join(t for t in (self.title, f"swept: {at}" if at else "") if t)
        return table(["query", "description", "formula", "value"], rows, caption) + sweep_plot(self) + "".join(details)


def sweep_plot(results: Results) -> str:
    """The entries along a sweep of one parameter as inline SVG, drawn as ``markovwire plot`` draws them
    (:func:`~markovwire.library.plots.curves_figure`, a sweep longer than ``POINTS`` thinned evenly); ``""`` when
    the sweep is not along one parameter, the proposal is unknown (a copy) or matplotlib is not installed."""
    proposal = results.proposal
    if proposal is None or len(results.swept) != 1:
        return ""
    (xname, xs), = results.swept.items()
    if xs.ndim != 1 or len(xs) < 2:
        return ""
    try:
        import matplotlib  # noqa: F401 (optional: the table stands alone without it)
    except ImportError:
        return ""
    from .plots import Curve, _series, _style, curves_figure

    keep = np.unique(np.linspace(0, len(xs) - 1, min(len(xs), POINTS)).round().astype(int))
    x = np.asarray(xs, dtype=float)[keep]
    curves = []
    for name, value in results.items():
        for label, ys in _series(proposal, name, value, xs.shape):
            y = ys[keep]
            curves.append(Curve(name, label, x, None, bands=(y,)) if hasattr(y, "kind") else Curve(name, label, x, y))
    if not curves:
        return ""
    fig = curves_figure(proposal, xname, curves[:LINES], width=4.5)
    out = io.StringIO()
    with _style():
        fig.savefig(out, format="svg", metadata={"Date": None})
    return svg({"image/svg+xml": out.getvalue()})


def descriptions(proposal) -> dict[str, tuple[str, str]]:
    """Each query, adversary and credal entry of a proposal: name → (its doc, what it computes, as the plots say)."""
    from .plots import entry_text

    entries = [*proposal.queries.items(), *proposal.spec.adversary.items(), *proposal.spec.credal.items()]
    return {n: (getattr(e, "spec", e).doc, entry_text(proposal, n)) for n, e in entries}


def proposal_bundle(proposal) -> dict[str, str]:
    """A proposal in Jupyter: its name, doc, parameters with their domains, queries with their descriptions and the
    diagram (HTML with the SVG inline, the SVG alone, and text)."""
    from markovwire.diagrams.render import mimebundle
    figure = mimebundle(proposal.diagram) if proposal.diagram is not None else {}
    params = [[n, p.default, f"[{p.domain[0]:g}, {p.domain[1]:g}]", p.doc] for n, p in proposal.parameters.items()]
    entries = [[n, doc, formula] for n, (doc, formula) in descriptions(proposal).items()]
    steps = proposal.steps
    page = (heading(proposal.name, "proposal", proposal.doc)
            + (f"<p>an episode of {steps:,} steps</p>" if steps is not None else "")
            + table(["parameter", "value", "domain", "description"], params, "parameters")
            + table(["query", "description", "formula"], entries, "queries")
            + svg(figure))
    bundle = {"text/plain": repr(proposal), "text/html": Html(page)}
    if "image/svg+xml" in figure:
        bundle["image/svg+xml"] = figure["image/svg+xml"]
    return bundle

