"""Rendering: a diagram's figure as DOT, SVG, PNG or PDF, in a file or in Jupyter.

The figure (:mod:`~markovwire.diagrams.figure`) is written as DOT
(:mod:`~markovwire.diagrams.dot`) and laid out by a Graphviz ``dot`` executable,
looked for in this order: the path in the environment variable
``MARKOVWIRE_DOT``; a system ``dot`` on ``PATH``; the ``graphviz-pure`` command
(a wheel that ships a ``dot`` port, installed with markovwire) beside
``sys.executable`` or on ``PATH``. graphviz-pure writes svg and png but no pdf: its
SVG is converted to PDF in Python (:mod:`~markovwire.diagrams.pdf`). TeX (``.tex``) is a
TikZ picture drawn from the renderer's layout (:mod:`~markovwire.diagrams.tikz`).

>>> from markovwire import FinSet, Kernel, Net
>>> Act = FinSet("Act", ["clean", "attack"])
>>> net = Net()
>>> _ = net.add_box("policy", Kernel([0.9, 0.1], [], [("act", Act)]), [], ["act"])
>>> net.set_outputs("act")
>>> render(net, "svg").count('class="node box"')
1
>>> find_renderer().run("digraph { a -> b }", "svg").startswith(b"<?xml")
True
"""
from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

from markovwire.errors import MarkovwireError, RenderError
from markovwire.limits import figure_limit

from .atomic import write_atomic
from .dot import to_dot
from .figure import Figure, figure
from .pdf import svg_to_pdf
from .style import PAGE_HEIGHT, RenderOptions
from .tikz import to_tikz

ENV = "MARKOVWIRE_DOT"
IMAGES = ("svg", "png", "pdf")  # what a renderer may be asked for
FORMATS = ("dot",) + IMAGES + ("tex",)  # "dot" needs no renderer; "tex" is drawn from its layout ("json")
TIMEOUT = 60.0
# graphviz-pure's complaint about its font metrics; harmless, and not the user's concern
_NOISE = ("no value for width of non-ASCII character",)


# ----- rendering a diagram ------------------------------------------------------------------
def render(diagram, path_or_format: str | os.PathLike = "svg", *, depth: int | None = None,
           options: RenderOptions | None = None, **changes):
    """Render to a file (format from its suffix; returns the Path) or to a format name.

    Given a format name: ``"dot"``, ``"svg"`` and ``"tex"`` return text, ``"png"`` and ``"pdf"`` bytes.
    ``options`` (a :class:`~markovwire.diagrams.style.RenderOptions`) and keyword arguments naming
    its fields (``theme="paper"``, ``width="column"``, ``labels="both"``, ...) say how to draw it.
    """
    options = RenderOptions.of(options, **changes)
    text = str(path_or_format)
    if text.lower() in FORMATS:
        return _render(diagram, text.lower(), depth, options)
    path = Path(path_or_format)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise RenderError(f"render to {text!r}", f"unknown format {path.suffix or '(no suffix)'!r}",
                          fix="name a file ending in .svg, .png, .pdf, .tex or .dot, or pass one of those format names")
    data = _render(diagram, fmt, depth, options)
    write_atomic(path, data.encode("utf-8") if isinstance(data, str) else data, make_dirs=True)
    return path


def _render(diagram, fmt: str, depth: int | None = None, options: RenderOptions | None = None):
    options = options or RenderOptions()
    fig = figure(diagram, depth, options.collapse)
    source = to_dot(fig, depth, fitted(fig, options))
    if fmt == "dot":
        return source
    check_size(fig)
    renderer = find_renderer()
    if fmt == "tex":
        return to_tikz(renderer.run(source, "json"), title=fig.title or None, doubled_backslashes=renderer.pure)
    if fmt not in renderer.formats:  # pdf from graphviz-pure: its SVG converted in Python
        return svg_to_pdf(renderer.run(source, "svg"))
    out = renderer.run(source, fmt, dpi=options.dpi if fmt == "png" else None)
    return out.decode("utf-8") if fmt == "svg" else out


def fitted(fig: Figure, options: RenderOptions) -> RenderOptions:
    """``options`` with a direction chosen for the target width, when they give a width and no direction.

    The figure is laid out left to right; if that does not fit the target (its width, and the
    :data:`~markovwire.diagrams.style.PAGE_HEIGHT` of a page's text), it is laid out top to bottom
    too, and the one that needs less shrinking to fit is kept (ties: left to right). Graphviz's
    ``size`` then scales it down to fit. Without a renderer, or for a figure too large to lay out,
    it stays left to right.
    """
    if options.width is None or options.direction is not None:
        return options
    lr, tb = replace(options, direction="LR", width=None), replace(options, direction="TB", width=None)
    try:
        check_size(fig)
        renderer = find_renderer()
        shrink = lambda o: _scale(renderer.run(to_dot(fig, None, o), "svg"), options.width)  # noqa: E731
        across = shrink(lr)
        if across >= 1 or shrink(tb) <= across:
            return replace(options, direction="LR")
    except RenderError:
        return replace(options, direction="LR")
    return replace(options, direction="TB")


def _scale(svg: bytes, width: float) -> float:
    """How much a graphviz SVG (its ``width="123pt" height="45pt"``) must shrink to fit ``width`` inches
    by :data:`~markovwire.diagrams.style.PAGE_HEIGHT` (1: not at all)."""
    size = [re.search(rb'<svg[^>]*\b' + key + rb'="([\d.]+)pt"', svg) for key in (b"width", b"height")]
    w, h = (float(m.group(1)) / 72 if m else 0.0 for m in size)
    return min(1.0, width / w if w else 1.0, PAGE_HEIGHT / h if h else 1.0)


def mimebundle(diagram, include=None, exclude=None) -> dict[str, str]:
    """Jupyter's display of a diagram: SVG when a renderer is found, and always text."""
    bundle = {"text/plain": repr(diagram)}
    try:
        bundle["image/svg+xml"] = _render(diagram, "svg")
    except MarkovwireError:
        pass  # no renderer, or a diagram too broken to draw: the text stands alone
    if include:
        bundle = {k: v for k, v in bundle.items() if k in include}
    if exclude:
        bundle = {k: v for k, v in bundle.items() if k not in exclude}
    return bundle


def check_size(fig: Figure) -> None:
    """Refuse to lay out a figure of more boxes than :func:`markovwire.limits.figure_limit` (default 500).

    Graphviz's layout grows faster than the number of boxes: 500 boxes take about two seconds, 2,000 ten,
    4,000 two minutes. DOT text (``-o fig.dot``) needs no layout and is always written.
    """
    boxes, limit = fig.counts()["box"], figure_limit()
    if boxes > limit:
        raise RenderError(f"figure of {fig.title or 'the diagram'!r}",
                          f"has {boxes:,} boxes, more than the {limit:,} a figure lays out (graphviz's layout "
                          "grows faster than the boxes: 4,000 take minutes)",
                          fix=f"write DOT instead (-o figure.dot, no layout), draw fewer levels (depth=0 in Python), "
                              f"or raise the limit: --max-boxes {boxes} on the command line, or "
                              f"markovwire.set_figure_limit({boxes}) in Python")


# ----- the renderer: a dot executable ---------------------------------------------------------
@dataclass(frozen=True)
class Renderer:
    """A dot executable and what it can write."""

    path: str
    pure: bool  # graphviz-pure: no pdf

    @property
    def formats(self) -> tuple[str, ...]:
        return tuple(f for f in IMAGES if not (self.pure and f == "pdf"))

    def run(self, source: str, fmt: str, *, timeout: float = TIMEOUT, dpi: int | None = None) -> bytes:
        """Lay out DOT ``source`` and return the figure in format ``fmt`` (svg, png, pdf)."""
        if fmt not in self.formats + ("json",):  # json: the layout, for TikZ
            if fmt == "pdf":
                raise RenderError(f"renderer {self.path}", "graphviz-pure cannot write PDF",
                                  fix="call render(diagram, 'pdf'), which converts the SVG in Python, or install "
                                      "Debian's graphviz (apt-get install graphviz) for a system `dot`")
            raise RenderError(f"renderer {self.path}", f"cannot write format {fmt!r}",
                              fix=f"use one of: {', '.join(self.formats + ('dot',))}")
        cmd = [self.path, f"-T{fmt}"] + ([f"-Gdpi={dpi}"] if dpi else [])
        try:
            done = subprocess.run(cmd, input=source.encode("utf-8"), capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise RenderError(f"renderer {self.path}", f"took longer than {timeout:g} s",
                              fix="render a smaller diagram, or pass a longer timeout") from None
        except OSError as e:
            raise RenderError(f"renderer {self.path}", f"could not be run ({e.strerror or e})",
                              fix=f"point {ENV} at a working dot, or reinstall with `pip install graphviz-pure`") \
                from None
        messages = _messages(done.stderr)
        if done.returncode != 0 or not done.stdout:
            raise RenderError(f"renderer {self.path}", f"failed (exit {done.returncode}): "
                              + ("; ".join(messages) or "no message"),
                              fix="report this figure as a bug in markovwire, with the diagram")
        if messages:
            warnings.warn(f"{self.path}: " + "; ".join(messages), RuntimeWarning, stacklevel=2)
        return done.stdout


def find_renderer() -> Renderer:
    """The renderer to use now (the environment and PATH are read on each call)."""
    override = os.environ.get(ENV)
    if override:
        path = shutil.which(override)
        if path is None:
            raise RenderError(f"environment variable {ENV}", f"names {override!r}, which is not an executable",
                              fix=f"point {ENV} at a dot executable, or unset it")
        return Renderer(path, _is_pure(path))
    for path in (shutil.which("dot"),
                 shutil.which("graphviz-pure", path=str(Path(sys.executable).parent)),
                 shutil.which("graphviz-pure")):
        if path:
            return Renderer(path, _is_pure(path))
    raise RenderError("rendering", "no Graphviz renderer found (neither `dot` nor `graphviz-pure`)",
                      fix="run `pip install graphviz-pure` (or install a system graphviz), "
                          f"or set {ENV} to a dot executable")


@functools.lru_cache(maxsize=None)
def _is_pure(path: str) -> bool:
    """Whether ``path`` is graphviz-pure (by name, else by its ``-V`` banner)."""
    if "graphviz-pure" in Path(path).name:
        return True
    try:
        done = subprocess.run([path, "-V"], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return b"graphviz-pure" in done.stdout + done.stderr


def _messages(stderr: bytes) -> list[str]:
    """The renderer's stderr without the known harmless noise."""
    lines = stderr.decode("utf-8", "replace").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not any(n in ln for n in _NOISE)]
