"""The figure gallery: ``python docs/figures/make_figures.py`` regenerates every figure in this folder.

``--only NAME`` (repeatable, shell patterns such as ``'proposals/*'``) makes some of them, ``--out DIR``
writes elsewhere, ``--list`` prints the names. A full run also rewrites ``README.md``, the list of figures
with the command that makes each one, from :data:`FIGURES` (so the list and the files never disagree).

Everything is drawn through public APIs, so the gallery is also a test of them:
:func:`markovwire.diagrams.render.render` with :class:`~markovwire.diagrams.RenderOptions` for diagrams,
:mod:`markovwire.library.plots` (``markovwire plot``'s figures) for plots. The example diagrams
(``chain``, ``nested``, ``feedback``) have uniform kernels: they show the wiring, not the numbers.
"""
from __future__ import annotations

import argparse
import contextlib
import fnmatch
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from markovwire import FinSet, Kernel
from markovwire.diagrams import WiringDiagram
from markovwire.diagrams.render import render
from markovwire.diagrams.stateful import StatefulBox
from markovwire.errors import MarkovwireError
from markovwire.library.loader import read_document
from markovwire.library.plots import save_figure, sensitivity_figure, sweep_figure
from markovwire.library.proposal import load_proposal
from markovwire.library.shipped import proposal_paths, proposals_dir

HERE = Path(__file__).parent
PAPER = {"theme": "paper", "width": "column"}
PDF_TOO = ("trusted_monitoring", "budgeted_monitoring", "swiss_cheese")   # proposals also drawn as PDF
SLIDES = ("trusted_monitoring", "budgeted_monitoring", "swiss_cheese")    # proposals also in the default look


@dataclass(frozen=True)
class Figure:
    """One figure of the gallery: ``draw()`` returns a diagram (rendered with ``options``) or a matplotlib
    figure (saved by :func:`~markovwire.library.plots.save_figure`), written as ``name.<format>``."""

    name: str                       # the path below the gallery, without suffix
    what: str                       # one line for the README
    command: str                    # the command line that makes the same figure (or this script's --only)
    draw: Callable[[], object]
    formats: tuple[str, ...] = ("svg", "png")
    options: dict = field(default_factory=dict)


# ----- the example diagrams ---------------------------------------------------------------------------
Task = FinSet("Task", ["easy", "hard"])
Act = FinSet("Act", ["clean", "attack"])
Verdict = FinSet("Verdict", ["pass", "flag"])
Outcome = FinSet("Outcome", ["safe", "caught", "catastrophe"])
Log = FinSet("Log", ["short", "long"])
Alarms = FinSet("Alarms", ["0", "1", "2"])


def uniform(dom, cod) -> Kernel:
    shape = [len(t) for _, t in dom] + [len(t) for _, t in cod]
    return Kernel(np.full(shape, 1.0 / np.prod(shape[len(dom):], dtype=float)), dom, cod)


def chain() -> WiringDiagram:
    """A policy whose action fans out to a monitor and an auditor, its log discarded."""
    wd = WiringDiagram("control", inputs=[("task", Task)], outputs=[("outcome", Outcome), ("verdict", Verdict)])
    wd.add_box("policy", uniform([("task", Task)], [("act", Act), ("log", Log)]))
    wd.add_box("monitor", uniform([("act", Act)], [("verdict", Verdict)]))
    wd.add_box("auditor", uniform([("act", Act), ("verdict", Verdict)], [("outcome", Outcome)]))
    for a, b in [("in.task", "policy.task"), ("policy.act", "monitor.act"), ("policy.act", "auditor.act"),
                 ("monitor.verdict", "auditor.verdict"), ("monitor.verdict", "out.verdict"),
                 ("auditor.outcome", "out.outcome")]:
        wd.connect(a, b)
    return wd


def nested() -> WiringDiagram:
    """The audit as a nested wiring diagram with its own ports."""
    audit = WiringDiagram("audit", inputs=[("act", Act)], outputs=[("outcome", Outcome)])
    audit.add_box("monitor", uniform([("act", Act)], [("verdict", Verdict)]))
    audit.add_box("auditor", uniform([("act", Act), ("verdict", Verdict)], [("outcome", Outcome), ("note", Log)]))
    for a, b in [("in.act", "monitor.act"), ("in.act", "auditor.act"), ("monitor.verdict", "auditor.verdict"),
                 ("auditor.outcome", "out.outcome")]:
        audit.connect(a, b)
    wd = WiringDiagram("protocol", inputs=[("task", Task)], outputs=[("outcome", Outcome)])
    wd.add_box("policy", uniform([("task", Task)], [("act", Act)]))
    wd.add_box("audit", audit)
    for a, b in [("in.task", "policy.task"), ("policy.act", "audit.act"), ("audit.outcome", "out.outcome")]:
        wd.connect(a, b)
    return wd


def feedback() -> WiringDiagram:
    """A stateful memory of alarms fed back to the policy."""
    update = uniform([("count", Alarms), ("verdict", Verdict)], [("count", Alarms)])
    readout = Kernel(np.eye(3), [("count", Alarms)], [("alarms", Alarms)])
    memory = StatefulBox.moore("memory", Alarms, Kernel.point([Alarms], "0"), update, readout)
    wd = WiringDiagram("loop", inputs=[("task", Task)], outputs=[("act", Act), ("verdict", Verdict)])
    wd.add_box("policy", uniform([("task", Task), ("alarms", Alarms)], [("act", Act)]))
    wd.add_box("monitor", uniform([("act", Act)], [("verdict", Verdict)]))
    wd.add_box("memory", memory)
    for a, b in [("in.task", "policy.task"), ("policy.act", "monitor.act"), ("policy.act", "out.act"),
                 ("monitor.verdict", "memory.verdict"), ("monitor.verdict", "out.verdict"),
                 ("memory.alarms", "policy.alarms")]:
        wd.connect(a, b)
    return wd


# ----- the registry -----------------------------------------------------------------------------------
def _proposal(name: str):
    return load_proposal(proposals_dir() / f"{name}.yaml")


def _wiring(name: str) -> Callable[[], object]:
    return lambda: _proposal(name).wiring


def _first_line(name: str) -> str:
    """The first sentence of a proposal's doc, read from the file without compiling it (``--list`` is quick)."""
    doc = read_document(proposals_dir() / f"{name}.yaml").data.get("doc") or name
    doc = " ".join(str(doc).split()).split(". ")[0].rstrip(".")
    return textwrap.shorten(doc, 110, placeholder=" …")


def _render_line(name: str, out: str, options: dict) -> str:
    """The ``markovwire render`` line drawing ``name`` to ``out`` with ``options`` (render's keyword arguments)."""
    flags = "".join(f" --{k.replace('_', '-')}" + ("" if v is True else f" {v}") for k, v in options.items())
    return f"markovwire render library/shipped/proposals/{name}.yaml -o docs/figures/{out}{flags}"


def _plot_line(name: str, out: str, flags: str) -> str:
    return f"markovwire plot library/shipped/proposals/{name}.yaml {flags} -o docs/figures/{out}".replace("  ", " ")


TM_INTERVALS = {"r_ok": (0.1258, 0.5655), "r_broken": (0.1721, 0.5567)}   # trusted_monitoring's safety_monitor_ci


def figures() -> list[Figure]:
    """Every figure of the gallery, in the README's order."""
    out: list[Figure] = []
    for path in proposal_paths():
        name = path.stem
        fmts = ("svg", "png", "pdf") if name in PDF_TOO else ("svg", "png")
        out.append(Figure(f"proposals/{name}", _first_line(name), _render_line(name, f"proposals/{name}.pdf"
                          if "pdf" in fmts else f"proposals/{name}.svg", PAPER), _wiring(name), fmts, dict(PAPER)))
    wide = {"theme": "paper", "width": "page", "hide_types": True}
    out.append(Figure("page/amplification", "amplification's 68 boxes across a page, wires without their types "
                      "(at a column's width its text is about 2 pt)",
                      _render_line("amplification", "page/amplification.pdf", wide), _wiring("amplification"),
                      ("svg", "png", "pdf"), wide))
    for name in SLIDES:
        out.append(Figure(f"slides/{name}", f"{name} in the default look (no --theme), for slides",
                          _render_line(name, f"slides/{name}.png", {}), _wiring(name), ("png",)))
    for make in (chain, nested, feedback):
        out.append(Figure(make.__name__, make.__doc__.rstrip("."),
                          f"python docs/figures/make_figures.py --only {make.__name__}", make, ("png",)))
    plots = ("svg", "png", "pdf")
    out += [
        Figure("plots/trusted_monitoring_safety", "trusted_monitoring's safety against the attack rate beta (to 1%), "
               "shaded by the credal bounds of the monitor's audit rates (95% Clopper-Pearson intervals)",
               _plot_line("trusted_monitoring", "plots/trusted_monitoring_safety.pdf",
                           "-q safety --sweep beta=0:0.01:21 " + " ".join(
                   f"--interval {k}={lo}:{hi}" for k, (lo, hi) in TM_INTERVALS.items())),
               lambda: sweep_figure(_proposal("trusted_monitoring"), [("beta", 0.0, 0.01, 21)], ["safety"],
                                    intervals=TM_INTERVALS),
               plots),
        Figure("plots/best_of_n_gold", "best_of_n_vs_rl: the gold score of best-of-n and of RL against n, "
               "with and without reward hacks (eps_hack)",
               _plot_line("best_of_n_vs_rl", "plots/best_of_n_gold.pdf", "-q gold_bon -q gold_rl"),
               lambda: sweep_figure(_proposal("best_of_n_vs_rl"), queries=["gold_bon", "gold_rl"]), plots),
        Figure("plots/best_of_n_kl", "best_of_n_vs_rl: the KL divergence from the base policy of best-of-n, "
               "its analytic bound and RL against n",
               _plot_line("best_of_n_vs_rl", "plots/best_of_n_kl.pdf", "-q kl_bon -q kl_bound -q kl_rl"),
               lambda: sweep_figure(_proposal("best_of_n_vs_rl"), queries=["kl_bon", "kl_bound", "kl_rl"]), plots),
        Figure("plots/credal_control_tv_band", "credal_control's safety against beta with the TV band of its "
               "monitor (tv_radius 0.001 in the file) and the exact worst case",
               _plot_line("credal_control", "plots/credal_control_tv_band.pdf",
                          "-q safety --sweep beta=0:0.1:21"),
               lambda: sweep_figure(_proposal("credal_control"), [("beta", 0.0, 0.1, 21)], ["safety"]), plots),
        Figure("plots/trusted_monitoring_sensitivity", "trusted_monitoring: the elasticity of safety to each "
               "parameter at the file's values",
               _plot_line("trusted_monitoring", "plots/trusted_monitoring_sensitivity.pdf", "-q safety --sensitivity"),
               lambda: sensitivity_figure(_proposal("trusted_monitoring"), ["safety"]), plots),
    ]
    return out


# ----- making them ------------------------------------------------------------------------------------
def select(patterns: Sequence[str] | None = None) -> list[Figure]:
    """The figures whose names match one of ``patterns`` (shell patterns; all when None)."""
    every = figures()
    if not patterns:
        return every
    unknown = [p for p in patterns if not any(fnmatch.fnmatchcase(f.name, p) for f in every)]
    if unknown:
        raise SystemExit(f"--only {unknown[0]}: no figure of that name (see --list)")
    return [f for f in every if any(fnmatch.fnmatchcase(f.name, p) for p in patterns)]


def make(chosen: Sequence[Figure], out: Path = HERE) -> list[Path]:
    """Write each figure in ``chosen`` to ``out`` in each of its formats; returns the files written."""
    written = []
    with _reproducible():
        for fig in chosen:
            drawn = fig.draw()
            for fmt in fig.formats:
                path = out / f"{fig.name}.{fmt}"
                if hasattr(drawn, "savefig"):
                    written.append(Path(save_figure(drawn, path)))
                else:
                    written.append(render(drawn, path, **fig.options))
    return written


@contextlib.contextmanager
def _reproducible():
    """Byte-identical files from a second run, so a regenerated gallery changes only where a figure did:
    matplotlib's SVG ids from a fixed salt, reportlab's PDFs (graphviz-pure's SVG converted) without dates."""
    import matplotlib
    from reportlab import rl_config

    invariant, rl_config.invariant = rl_config.invariant, 1
    try:
        with matplotlib.rc_context({"svg.hashsalt": "markovwire"}):
            yield
    finally:
        rl_config.invariant = invariant


def readme(chosen: Sequence[Figure] | None = None) -> str:
    """The gallery's README: each figure, what it shows, its files and the command that makes it."""
    lines = ["# Figure gallery", "",
             "Regenerate every figure (and this list) with one command from the repository's root:", "",
             "```", "python docs/figures/make_figures.py", "```", "",
             "`--only NAME` (repeatable; shell patterns such as `'plots/*'`) makes some of them, `--out DIR` "
             "writes elsewhere, `--list` prints the names. Diagrams are drawn by `markovwire render` "
             "(`markovwire.diagrams.render.render`), plots by `markovwire plot` (`markovwire.library.plots`); "
             "each line below gives the command that makes the same figure on its own (one format; change the "
             "suffix for another).", ""]
    section = None
    titles = {"proposals": "Shipped proposals, for a paper's column (`--theme paper --width column`)",
              "page": "A large proposal across a page (`--theme paper --width page --hide-types`)",
              "slides": "The default look, for slides", "": "Examples of wiring (uniform kernels)",
              "plots": "Plots (`markovwire plot`, 3.3 in wide)"}
    for fig in chosen or figures():
        part = fig.name.rpartition("/")[0]
        if part != section:
            section = part
            lines += ([""] if lines[-1] else []) + [f"## {titles[part]}", ""]
        files = ", ".join(f"[{fmt}]({fig.name}.{fmt})" for fmt in fig.formats)
        end = "" if fig.what.endswith("…") else "."
        lines += [f"- **{fig.name}** ({files}): {fig.what}{end}", f"  `{fig.command}`"]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate the figure gallery in docs/figures.")
    parser.add_argument("--only", action="append", metavar="NAME", help="a figure's name or a shell pattern")
    parser.add_argument("--out", type=Path, default=HERE, help="the folder to write to (default: this one)")
    parser.add_argument("--list", action="store_true", help="print the figures' names and what each shows")
    args = parser.parse_args(argv)
    chosen = select(args.only)
    if args.list:
        for fig in chosen:
            print(f"{fig.name}: {fig.what}")
        return 0
    for path in make(chosen, args.out):
        print(path)
    if not args.only:
        (args.out / "README.md").write_text(readme(chosen), encoding="utf-8")
        print(args.out / "README.md")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except MarkovwireError as e:   # a figure the library refuses: its message and fix, never a traceback
        sys.exit(f"make_figures: {e}")
    except OSError as e:
        sys.exit(f"make_figures: cannot write {e.filename or 'the gallery'}: {e.strerror or e} "
                 "(give --out a folder you can write to)")
