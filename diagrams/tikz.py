r"""TikZ: a figure as a standalone LaTeX document, drawn from graphviz's layout.

Graphviz lays the figure out (``-Tjson``: every node, cluster and edge with its
drawing operations, in points) and each operation becomes one TikZ command at the
same coordinates (``x=1bp, y=1bp``): polygons and port cells as ``\filldraw ... --
cycle``, wires as ``\draw ... .. controls ...`` Bézier paths, arrowheads, copy
dots and discard bars as filled shapes, text as ``\node`` in the document's
sans-serif font. So the picture has exactly the figure's look (port cells, copy
dots, dashed feedback wires) and compiles with pdflatex, no package beyond TikZ.
Each object is preceded by a comment naming it (``% box/monitor``), to edit by
hand; text is centred where graphviz centred it, so TeX's font metrics can differ
from graphviz's without text leaving its cell.

>>> layout = {"name": "g", "bb": "0,0,60,20", "objects": [{"name": "box/a_b", "_draw_": [
...     {"op": "c", "color": "#000000"}, {"op": "p", "points": [[0, 0], [0, 20], [60, 20], [60, 0]]}],
...     "_ldraw_": [{"op": "F", "size": 10, "face": "Helvetica"},
...                 {"op": "T", "pt": [30, 7], "align": "c", "width": 20, "text": "a_b & 50%"}]}]}
>>> print("\n".join(picture(layout)))  # doctest: +NORMALIZE_WHITESPACE
\begin{tikzpicture}[x=1bp, y=1bp, line width=1bp, mw text/.style={inner sep=0pt, anchor=base, font=\sffamily}]
\useasboundingbox (0,0) rectangle (60,20);
% box/a_b
\draw[draw=mw0] (0,0) -- (0,20) -- (60,20) -- (60,0) -- cycle;
\node[mw text, font=\fontsize{10}{12}\selectfont] at (30,7) {a\_b \& 50\%};
\end{tikzpicture}
"""
from __future__ import annotations

import json
import re
import unicodedata

from markovwire.errors import RenderError

# characters with a meaning in LaTeX, written as text
_SPECIALS = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "_": r"\_", "&": r"\&", "%": r"\%", "#": r"\#",
             "$": r"\$", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "<": r"\ensuremath{<}",
             ">": r"\ensuremath{>}", "|": r"\ensuremath{|}", '"': "''", "-": "-{}"}
# symbols pdflatex knows only in mathematics; Greek letters are found by name
_SYMBOLS = {"×": r"\times", "·": r"\cdot", "⊗": r"\otimes", "∘": r"\circ", "→": r"\to", "←": r"\leftarrow",
            "↔": r"\leftrightarrow", "≤": r"\le", "≥": r"\ge", "≠": r"\ne", "≈": r"\approx", "∞": r"\infty",
            "∈": r"\in", "±": r"\pm", "∑": r"\sum", "∏": r"\prod", "√": r"\surd", "…": r"\ldots"}
HEADER = "% markovwire figure"  # the first line's start: what `render -o x.tex` may overwrite
_LATIN = 0x17F  # pdflatex's UTF-8 input knows Latin-1 and Latin Extended-A; past that, few characters
_DASHES = {"dashed": "dash pattern=on 5bp off 2bp", "dotted": "dash pattern=on 1bp off 5bp", "solid": "solid"}
_NAMED = {"black": "000000", "white": "FFFFFF", "red": "FF0000", "green": "00FF00", "blue": "0000FF",
          "gray": "C0C0C0", "grey": "C0C0C0", "lightgrey": "D3D3D3", "lightgray": "D3D3D3"}


def escape(text: str) -> str:
    r"""``text`` as LaTeX that prints it: specials escaped, symbols and Greek letters in math mode.

    >>> print(escape("p_{audit} & 5% #1 ~x^2"))
    p\_\{audit\} \& 5\% \#1 \textasciitilde{}x\textasciicircum{}2
    >>> print(escape("\\ α≤β"))
    \textbackslash{} \ensuremath{\alpha}\ensuremath{\le}\ensuremath{\beta}
    """
    out = []
    for ch in text:
        if ch in _SPECIALS:
            out.append(_SPECIALS[ch])
        elif ch in _SYMBOLS:
            out.append(rf"\ensuremath{{{_SYMBOLS[ch]}}}")
        elif ch == "\n" or ch == "\r" or ch == "\t":
            out.append(" ")
        elif ord(ch) < 32 or ord(ch) == 127:
            continue  # control characters print nothing
        elif _greek(ch):
            out.append(rf"\ensuremath{{{_greek(ch)}}}")
        else:
            out.append(ch)  # ASCII, or accented letters (pdflatex reads UTF-8); others need lualatex
    return "".join(out)


def _greek(ch: str) -> str | None:
    """The TeX command of a Greek letter that has one (``α`` → ``\\alpha``, ``Δ`` → ``\\Delta``)."""
    m = re.fullmatch(r"GREEK (SMALL|CAPITAL) LETTER ([A-Z]+)", unicodedata.name(ch, ""))
    if not m:
        return None
    name = m.group(2).lower()
    small = {"lamda": "lambda"}.get(name, name)
    if m.group(1) == "SMALL":
        return None if small == "omicron" else "\\" + small
    capitals = ("gamma", "delta", "theta", "lambda", "xi", "pi", "sigma", "upsilon", "phi", "psi", "omega")
    return "\\" + small.capitalize() if small in capitals else None


def to_tikz(layout: bytes | str | dict, *, title: str | None = None, doubled_backslashes: bool = False) -> str:
    """A standalone LaTeX document of one ``tikzpicture`` from graphviz's ``-Tjson`` output.

    ``doubled_backslashes``: the layout's text has each backslash twice (graphviz-pure's JSON does).
    Characters pdflatex has no glyph for (past Latin Extended-A, and not a symbol or Greek letter
    :func:`escape` writes) print as ``?`` under pdflatex, and as themselves under lualatex or xelatex.
    """
    if not isinstance(layout, dict):
        try:
            layout = json.loads(layout)
        except ValueError as e:
            raise RenderError("TikZ from the renderer's layout", f"the renderer's JSON could not be read ({e})",
                              fix="render to svg or pdf instead, and report this figure as a bug in markovwire") \
                from None
    if doubled_backslashes:
        layout = _undouble(layout)
    colours: dict[str, str] = {}
    body = picture(layout, colours)
    unknown = sorted({ch for line in body if not line.startswith("%") for ch in line if ord(ch) > _LATIN})
    name = " ".join(str(title if title is not None else layout.get("name", "figure")).split())
    lines = [
        f"{HEADER}: {name}, drawn from graphviz's layout (1 unit = 1 bp).",
        "% Compiles with pdflatex (lualatex or xelatex for labels in other scripts). In a paper,",
        "% \\includegraphics its PDF, or copy the tikzpicture (and the colours) into the document.",
        "\\documentclass[tikz]{standalone}",
        "\\renewcommand{\\familydefault}{\\sfdefault}",
        *[f"\\definecolor{{{mw}}}{{HTML}}{{{rgb}}}" for rgb, mw in colours.items()],
        *(["\\ifdefined\\Umathcode\\else % pdflatex: characters it has no glyph for"]
          + [f"  \\DeclareUnicodeCharacter{{{ord(ch):04X}}}{{?}}" for ch in unknown] + ["\\fi"] if unknown else []),
        "\\begin{document}",
        *body,
        "\\end{document}",
        "",
    ]
    return "\n".join(lines)


def _undouble(layout):
    """The layout with each text's doubled backslashes made single again."""
    if isinstance(layout, dict):
        if layout.get("op") == "T" and isinstance(layout.get("text"), str):
            return {**layout, "text": layout["text"].replace("\\\\", "\\")}
        return {k: _undouble(v) for k, v in layout.items()}
    if isinstance(layout, list):
        return [_undouble(v) for v in layout]
    return layout


def picture(layout: dict, colours: dict[str, str] | None = None) -> list[str]:
    """The ``tikzpicture`` of a layout, line by line; ``colours`` collects the colours used (hex → name)."""
    colours = {} if colours is None else colours
    out = [r"\begin{tikzpicture}[x=1bp, y=1bp, line width=1bp, "
           r"mw text/.style={inner sep=0pt, anchor=base, font=\sffamily}]"]
    box = [float(v) for v in str(layout.get("bb", "")).split(",") if v.strip()]
    if len(box) == 4:  # the page graphviz laid out, margins included, as in its SVG and PDF
        out.append(f"\\useasboundingbox ({_n(box[0])},{_n(box[1])}) rectangle ({_n(box[2])},{_n(box[3])});")
    out += _ops(layout.get("_ldraw_", []), colours)  # the graph's own label, if any (its _draw_ is the page)
    objects = layout.get("objects", [])
    names = {o.get("_gvid"): str(o.get("name", "?")) for o in objects}
    clusters = [o for o in objects if "nodes" in o or "subgraphs" in o or "bb" in o]
    for obj in clusters + [o for o in objects if o not in clusters] + list(layout.get("edges", [])):
        lines = [ln for key in ("_draw_", "_ldraw_", "_tdraw_", "_hdraw_", "_tldraw_", "_hldraw_")
                 for ln in _ops(obj.get(key, []), colours)]
        if lines:
            out.append("% " + _comment(obj, names))
            out += lines
    out.append(r"\end{tikzpicture}")
    return out


def _comment(obj: dict, names: dict) -> str:
    """What an object is, for the reader of the TeX: a node's or cluster's name, an edge's ends."""
    if "tail" in obj:
        text = f"wire {names.get(obj['tail'], '?')} -> {names.get(obj['head'], '?')}"
    else:
        text = str(obj.get("name", "?"))
    return "".join(c if c.isprintable() else " " for c in text)  # one line, no control characters


def _ops(ops: list[dict], colours: dict[str, str]) -> list[str]:
    """TikZ commands for one list of xdot drawing operations (graphviz's state machine: pen, fill, font)."""
    pen, fill, style, width, size, face, flags = "000000", None, "solid", None, 14.0, "Helvetica", 0
    out = []
    for op in ops:
        kind = op.get("op")
        if kind == "c":
            pen = _colour(op.get("color"))
        elif kind == "C":
            fill = _colour(op.get("color"))
        elif kind == "S":
            s = str(op.get("style", ""))
            m = re.fullmatch(r"setlinewidth\(([\d.]+)\)", s)
            if m:
                width = float(m.group(1))
            elif s in _DASHES:
                style = s
        elif kind == "F":
            size, face = float(op.get("size", size)), str(op.get("face", face))
        elif kind == "t":
            flags = int(op.get("fontchar", 0))
        elif kind == "T":
            out.append(_text(op, size, face, flags, pen, colours))
        elif kind in ("P", "p", "L", "B", "b"):
            points = op.get("points", [])
            if len(points) < 2:
                continue
            path = _path(points, bezier=kind in "Bb")
            closed = kind in "Pp" or (kind in "Bb" and points[0] == points[-1])
            # a closed Bézier is filled when a fill colour was set before it; graphviz-pure swaps B and b
            filled = fill is not None and (kind == "P" or (kind in "Bb" and closed))
            out.append(_shape(path + (" -- cycle" if closed else ""), pen, fill if filled else None,
                              style, width, colours))
        elif kind in ("E", "e"):
            x, y, rx, ry = op.get("rect", [0, 0, 0, 0])
            path = f"({_n(x)},{_n(y)}) ellipse [x radius={_n(rx)}bp, y radius={_n(ry)}bp]"
            out.append(_shape(path, pen, fill if kind == "E" else None, style, width, colours))
    return [ln for ln in out if ln]


def _shape(path: str, pen: str | None, fill: str | None, style: str, width: float | None,
           colours: dict[str, str]) -> str:
    opts = []
    if fill is not None:
        opts.append(f"fill={_name(fill, colours)}")
    if pen is not None:
        opts.append(f"draw={_name(pen, colours)}")
        if style != "solid":
            opts.append(_DASHES[style])
        if width is not None and width != 1:
            opts.append(f"line width={_n(width)}bp")
    if fill is None and pen is None:
        return ""
    command = "\\filldraw" if fill is not None and pen is not None else "\\fill" if fill is not None else "\\draw"
    return f"{command}[{', '.join(opts)}] {path};"


def _text(op: dict, size: float, face: str, flags: int, pen: str | None, colours: dict[str, str]) -> str:
    text = str(op.get("text", ""))
    if not text.strip() or pen is None:
        return ""
    (x, y), width = op.get("pt", [0, 0]), float(op.get("width", 0))
    x += {"l": width / 2, "r": -width / 2}.get(op.get("align", "c"), 0)  # centred: fonts differ in width
    font = rf"\fontsize{{{_n(size)}}}{{{_n(round(size * 1.2, 1))}}}\selectfont"
    lower = face.lower()
    if "times" in lower or "serif" in lower and "sans" not in lower:
        font += r"\rmfamily"
    elif "courier" in lower or "mono" in lower:
        font += r"\ttfamily"
    if flags & 1 or "bold" in lower:
        font += r"\bfseries"
    if flags & 2 or "italic" in lower or "oblique" in lower:
        font += r"\itshape"
    colour = "" if pen == "000000" else f", text={_name(pen, colours)}"
    return rf"\node[mw text, font={font}{colour}] at ({_n(x)},{_n(y)}) {{{escape(text)}}};"


def _path(points: list, bezier: bool) -> str:
    """Points joined by straight lines, or a cubic Bézier spline (start, then three points a segment)."""
    p = [f"({_n(x)},{_n(y)})" for x, y in points]
    if not bezier or (len(p) - 1) % 3:
        return " -- ".join(p)
    segments = [f" .. controls {p[k]} and {p[k + 1]} .. {p[k + 2]}" for k in range(1, len(p) - 1, 3)]
    return p[0] + "".join(segments)


def _colour(value) -> str | None:
    """A graphviz colour as RRGGBB, or None for a transparent one (``#rrggbb00``, ``none``)."""
    text = str(value or "").strip().lower()
    m = re.fullmatch(r"#([0-9a-f]{6})([0-9a-f]{2})?", text)
    if m:
        return None if m.group(2) == "00" else m.group(1).upper()
    if text in ("none", "transparent", "invis"):
        return None
    return _NAMED.get(text, "000000")


def _name(rgb: str, colours: dict[str, str]) -> str:
    return colours.setdefault(rgb, f"mw{len(colours)}")


def _n(x: float) -> str:
    """A coordinate, in at most two decimals and no trailing zeros."""
    return f"{float(x):.2f}".rstrip("0").rstrip(".")
