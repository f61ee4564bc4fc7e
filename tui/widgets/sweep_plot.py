"""Sweep curves in the terminal (plotext), with a progress bar while a sweep runs."""
from __future__ import annotations

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, ProgressBar, Static
from textual_plotext import PlotextPlot

COLORS = ["cyan", "magenta", "green", "yellow", "red", "blue", "white"]


class SweepPlot(Vertical):
    """The queries against the swept parameter; Escape cancels a sweep that is running."""

    ALLOW_MAXIMIZE = True
    plotted: tuple | None = None
    """What the plot shows: ``(parameter, xs, {query: ys})``."""

    def compose(self) -> ComposeResult:
        yield Label("No sweep: pick a parameter and press s.", id="sweep-status")
        yield ProgressBar(total=1, show_eta=False, id="sweep-progress")
        yield PlotextPlot(id="sweep-plotext")
        yield Static("", id="sweep-legend")

    def on_mount(self) -> None:
        self.query_one(ProgressBar).display = False
        self.query_one(PlotextPlot).display = False

    def status(self, text: str) -> None:
        self.query_one("#sweep-status", Label).update(text)

    def started(self, text: str) -> None:
        bar = self.query_one(ProgressBar)
        bar.update(total=1, progress=0)
        bar.display = True
        self.status(text)

    def advance(self, done: int, total: int) -> None:
        self.query_one(ProgressBar).update(total=total, progress=done)

    def stopped(self, text: str) -> None:
        self.query_one(ProgressBar).display = False
        self.status(text)

    def clear(self, text: str) -> None:
        self.query_one(ProgressBar).display = False
        self.query_one(PlotextPlot).display = False
        self.query_one("#sweep-legend", Static).update("")
        self.status(text)

    def show(self, parameter: str, xs, series: dict[str, np.ndarray]) -> None:
        """Plot each query of ``series`` against the values ``xs`` of ``parameter``."""
        self.plotted = (parameter, np.asarray(xs, dtype=float), dict(series))
        plot = self.query_one(PlotextPlot)
        plot.display = True
        plt = plot.plt
        plt.clear_figure()
        xs = [float(x) for x in np.asarray(xs).reshape(-1)]
        legend, width, room = Text(), 0, max(self.size.width - 4, 20)
        for i, (name, ys) in enumerate(series.items()):
            ys = np.asarray(ys, dtype=float).reshape(-1)
            if ys.shape[0] == len(xs) and np.all(np.isfinite(ys)):
                color = COLORS[i % len(COLORS)]
                plt.plot(xs, ys.tolist(), marker="braille", color=color)
                if width and width + len(name) + 4 > room:      # an entry never breaks across lines
                    legend.append("\n")
                    width = 0
                legend.append("■ ", color).append(name + "  ")
                width += len(name) + 4
        plt.xlabel(parameter)
        plot.refresh()
        self.query_one("#sweep-legend", Static).update(legend)
