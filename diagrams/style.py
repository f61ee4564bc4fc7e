"""Render options: how a figure is drawn (direction, target width, font, labels, theme), as one value.

:class:`RenderOptions` is the one place the options and their defaults live: the command line
(``markovwire render --theme paper --width column``), the UI's export dialog and Python
(``render(d, "fig.svg", theme="paper", width="column")``) all build it, and it checks its values
once, raising a :class:`~markovwire.RenderError` that names the option and how to fix it.

>>> o = RenderOptions(width="8cm", theme="paper", labels="both")
>>> round(o.width, 3), o.theme, o.labels, o.direction
(3.15, 'paper', 'both', None)
>>> RenderOptions(width="column").width, RenderOptions(width="page").width, RenderOptions(width=4).width
(3.3, 6.5, 4.0)
>>> RenderOptions(theme="papr")
Traceback (most recent call last):
...
markovwire.errors.RenderError: render option --theme: unknown theme 'papr' (did you mean 'paper'?)
  fix: pass --theme slides or --theme paper (theme= in Python)
"""
from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, fields, replace

from markovwire.errors import Place, RenderError

DIRECTIONS = ("LR", "TB")
LABELS = ("instance", "component", "both")
WIDTHS = {"column": 3.3, "page": 6.5}  # named target widths, inches (a two-column paper's column, its text width)
UNITS = {"in": 1.0, "cm": 1 / 2.54, "mm": 1 / 25.4, "pt": 1 / 72}
SPELLINGS = {"inch": "in", "inches": "in", '"': "in"}  # other ways of writing a unit
PAGE_HEIGHT = 9.0  # inches: a page's text height (letter or A4 with margins); no figure is laid out taller
MAX_WIDTH = 100.0  # inches: a poster; a wider target is a typo
DPI = (36, 1200)  # what a PNG may be asked for: 1200 dpi is print quality; more only fills memory


@dataclass(frozen=True)
class Theme:
    """Colours, sizes (points) and line widths of one look."""

    font: str
    title_size: int  # the outer frame's title
    cluster_size: int  # a nested diagram's title
    name_size: int  # a box's name
    port_size: int  # a port cell's name
    note_size: int  # a box's second line (its state type)
    wire_size: int  # a wire's label
    pill_size: int  # an outer port
    wire_text: str  # colour of wire labels
    line: float  # pen width of wires
    feedback: str  # colour of feedback wires (dashed in every theme)
    frame: str  # the outer frame's colour
    cluster: str  # a nested diagram's frame colour
    fill: str  # port cells and outer ports


THEMES = {
    # today's look: sized for a screen or a slide, feedback in red
    "slides": Theme("Helvetica", 12, 11, 10, 9, 8, 8, 9, "#444444", 0.9, "#b2182b", "#888888", "#555555", "#eeeeee"),
    # for a paper's text: black on white, small sans-serif text, thin lines, light grey the only fill
    "paper": Theme("Helvetica", 9, 8, 8, 7, 7, 7, 7, "black", 0.6, "black", "black", "black", "#eeeeee"),
}


@dataclass(frozen=True)
class RenderOptions:
    """How to draw a figure; every field has the default of a plain ``render(d, "fig.svg")``.

    - ``direction``: ``"LR"`` (wires run left to right) or ``"TB"`` (top to bottom; a box's inputs
      on its top edge, outputs on its bottom). ``None``: LR, unless ``width`` is given and the
      figure laid out LR does not fit it: then TB is laid out too, and the one shrunk less to fit is kept.
    - ``width``: a target width in inches (a number, or text: ``"3.3in"``, ``"8cm"``, ``"80mm"``,
      ``"240pt"``, ``"column"`` = 3.3 in, ``"page"`` = 6.5 in). The layout is scaled down to fit
      it and :data:`PAGE_HEIGHT` (graphviz ``size``; never scaled up: fonts keep their size in a small figure).
    - ``font``: the font family of all text (default: the theme's, Helvetica).
    - ``dpi``: pixels per inch of a PNG (36 to 1200).
    - ``hide_types``: wires without their type labels (ports keep their names).
    - ``labels``: a box shows its ``"instance"`` name, its ``"component"`` (the library component
      it instantiates, e.g. ``trusted_monitor_table``; the instance name when it has none), or ``"both"``.
    - ``collapse``: names of nested diagrams drawn as one box each (an instance name at any level,
      or a path ``outer/inner``).
    - ``theme``: ``"slides"`` (the default look) or ``"paper"`` (black on white, small, thin lines).
    """

    direction: str | None = None
    width: float | None = None
    font: str | None = None
    dpi: int = 144
    hide_types: bool = False
    labels: str = "instance"
    collapse: tuple[str, ...] = ()
    theme: str = "slides"

    def __post_init__(self):
        if self.direction is not None:
            direction = str(self.direction).upper()
            _choice("--direction", "direction", direction, DIRECTIONS, "direction")
            object.__setattr__(self, "direction", direction)
        _choice("--theme", "theme", self.theme, tuple(THEMES), "theme")
        _choice("--labels", "labels", self.labels, LABELS, "label choice")
        if self.width is not None:
            object.__setattr__(self, "width", parse_width(self.width))
        if self.font is not None and (not str(self.font).strip() or len(str(self.font)) > 200
                                      or any(c in str(self.font) for c in '"<>\\\n')):
            raise RenderError(_where("--font"), f"{str(self.font)[:60]!r} is not a font name",
                              fix="pass a font family such as --font Helvetica or --font 'Times New Roman'")
        if isinstance(self.dpi, bool) or not isinstance(self.dpi, int) or not DPI[0] <= self.dpi <= DPI[1]:
            raise RenderError(_where("--dpi"), f"{self.dpi!r} is not a resolution from {DPI[0]} to {DPI[1]} dpi",
                              fix="pass e.g. --dpi 300 (print) or --dpi 144 (screen)")
        collapse = (self.collapse,) if isinstance(self.collapse, str) else tuple(self.collapse)
        object.__setattr__(self, "collapse", collapse)

    @classmethod
    def of(cls, options: "RenderOptions | None" = None, **changes) -> "RenderOptions":
        """``options`` (default: the defaults) with ``changes``; unknown names are refused."""
        unknown = sorted(set(changes) - {f.name for f in fields(cls)})
        if unknown:
            raise RenderError(_where(unknown[0]), "is not a render option"
                              + did_you_mean(unknown[0], [f.name for f in fields(cls)]),
                              fix="use: " + ", ".join(f.name for f in fields(cls)))
        options = options if options is not None else cls()
        return replace(options, **changes) if changes else options

    @property
    def look(self) -> Theme:
        """The theme, with the font replaced when one is given."""
        theme = THEMES[self.theme]
        return replace(theme, font=self.font) if self.font else theme


def parse_width(value) -> float:
    """A target width in inches, from a number (inches) or text such as ``3.3in``, ``8cm``, ``column``.

    >>> round(parse_width("8cm"), 4), parse_width(" 3.3 IN "), parse_width("page")
    (3.1496, 3.3, 6.5)
    """
    fix = "pass a width such as --width column (3.3 in), --width page (6.5 in), --width 3.3in or --width 8cm"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        inches, shown = float(value), f"{value!r} in"
    else:
        text = str(value).strip().lower()
        if text in WIDTHS:
            return WIDTHS[text]
        m = re.fullmatch(r'([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)\s*([a-z]*|")', text)
        if m is None:
            raise RenderError(_where("--width"), f"{str(value)[:60]!r} is not a width", fix=fix)
        number, unit = m.groups()
        unit = SPELLINGS.get(unit, unit)
        if unit and unit not in UNITS:
            raise RenderError(_where("--width"), f"unknown unit {unit!r} in {str(value)!r}" + did_you_mean(unit, UNITS),
                              fix=f"use one of {', '.join(UNITS)} (e.g. --width 8cm), or column or page")
        inches, shown = float(number) * UNITS[unit or "in"], text
    if not math.isfinite(inches) or inches <= 0:
        raise RenderError(_where("--width"), f"{shown} is not a positive width", fix=fix)
    if inches > MAX_WIDTH:
        raise RenderError(_where("--width"), f"{shown} is {inches:g} in, wider than the {MAX_WIDTH:g} in of a poster",
                          fix=fix)
    return inches


def _choice(option: str, name: str, value, allowed: tuple[str, ...], what: str) -> None:
    if value in allowed:
        return
    raise RenderError(_where(option), f"unknown {what} {value!r}" + did_you_mean(str(value), allowed),
                      fix=f"pass {' or '.join(f'{option} {a}' for a in allowed)} ({name}= in Python)")


def _where(option: str) -> Place:
    return Place(f"render option {option}")


def did_you_mean(name: str, names) -> str:
    """`` (did you mean 'x'?)`` when a name in ``names`` is close to ``name``, else nothing."""
    close = difflib.get_close_matches(name, sorted(names), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
