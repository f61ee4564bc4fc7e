"""HTML for Jupyter: small escaped tables and a figure inline, shared by every object that shows itself.

Labels, names and docs come from untrusted files, so every text goes through :func:`html.escape`;
only :class:`Html` (markup this package made, such as a rendered SVG) passes unescaped.

>>> t = table(["query", "value"], [["p_<x>", 0.25], [Sub("label a"), 0.5]])
>>> print(t.replace("<tr>", "\\n<tr>"))
<table><thead>
<tr><th>query</th><th>value</th></tr></thead><tbody>
<tr><td>p_&lt;x&gt;</td><td>0.25</td></tr>
<tr><td style="padding-left: 2em">label a</td><td>0.5</td></tr></tbody></table>
>>> brief(0.123456789), brief(float("inf")), brief(None)
('0.123457', 'inf', '—')
"""
from __future__ import annotations

import html
from typing import Iterable, Sequence

import numpy as np

SHOWN = 8   # values of a sweep shown in a table cell before "…"


class Html(str):
    """Markup made by markovwire (not from a file): put into a page as it is."""


class Sub(str):
    """The first cell of a sub-row (a label of a distribution under its query): indented."""


def cell(value) -> str:
    """One value as HTML text: markup as it is, numbers briefly, anything else escaped."""
    return value if isinstance(value, Html) else html.escape(brief(value))


def brief(value) -> str:
    """A value in a few characters: numbers to 6 significant digits, a sweep as its first values and range,
    an interval as ``[lower, upper]``, a worst case as its value, anything else its first line."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, float, np.integer, np.floating)):
        return f"{float(value):.6g}" if isinstance(value, (float, np.floating)) else str(int(value))
    if isinstance(value, np.ndarray):
        return _sweep(value)
    if hasattr(value, "lower") and hasattr(value, "upper") and np.ndim(value.lower) == 0:
        return f"[{brief(value.lower)}, {brief(value.upper)}]"
    if hasattr(value, "value") and np.ndim(value.value) == 0 and not isinstance(value.value, str):
        return brief(value.value)
    text = str(value)
    return text.splitlines()[0] if text else ""


def _sweep(values: np.ndarray) -> str:
    flat = values.reshape(-1)
    if flat.dtype == object:
        shown = [brief(v) for v in flat[:SHOWN]]
    else:
        shown = [f"{float(v):.4g}" for v in flat[:SHOWN]]
    more = f", … ({flat.size} points)" if flat.size > SHOWN else ""
    span = ""
    if flat.dtype != object and flat.size > 1 and np.isfinite(flat).any():
        span = f"; from {np.nanmin(flat):.4g} to {np.nanmax(flat):.4g}"
    return ", ".join(shown) + more + span


def row(cells: Sequence) -> str:
    """A table row; a :class:`Sub` first cell is indented."""
    out = []
    for i, c in enumerate(cells):
        pad = ' style="padding-left: 2em"' if i == 0 and isinstance(c, Sub) else ""
        out.append(f"<td{pad}>{cell(c)}</td>")
    return "<tr>" + "".join(out) + "</tr>"


def table(header: Sequence[str], rows: Iterable[Sequence], caption: str | None = None) -> str:
    """An HTML table of escaped cells (see :func:`cell`), with an optional caption."""
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(row(r) for r in rows)}</tbody></table>"


def fields(title: str, pairs: Iterable[tuple[str, object]]) -> str:
    """A two-column table of ``name: value`` for one result (a band, bounds, a worst case); empty values left out."""
    kept = [(Html(f"<b>{html.escape(k)}</b>"), v) for k, v in pairs if not _empty(v)]
    body = "".join(row(r) for r in kept)
    return f"<table><caption>{html.escape(title)}</caption><tbody>{body}</tbody></table>"


def _empty(v) -> bool:
    return v is None or (isinstance(v, (str, dict, list, tuple)) and not v)


def heading(name: str, kind: str, doc: str = "") -> str:
    """A title line and the doc under it."""
    out = f"<h4>{html.escape(kind)} <code>{html.escape(name)}</code></h4>"
    return out + (f"<p>{html.escape(doc)}</p>" if doc else "")


def svg(bundle: dict) -> str:
    """The SVG of a mime bundle as inline markup (its XML prolog dropped), or ``""`` when there is none."""
    text = bundle.get("image/svg+xml", "")
    start = text.find("<svg")
    return Html(f"<div>{text[start:]}</div>") if start >= 0 else ""



def chain(kind: str, name: str, states: Sequence[tuple[str, object]], facts: Sequence[tuple[str, object]],
          net) -> str:
    """A system or an episode: a few facts, its state wires with their types, and the diagram of one step."""
    rows = [[w, t.name, len(t), ", ".join(map(str, t.elements[:SHOWN])) + (", …" if len(t) > SHOWN else "")]
            for w, t in states]
    return (heading(name, kind) + fields("facts", facts)
            + table(["state", "type", "size", "labels"], rows, "state") + svg(net._repr_mimebundle_()))
