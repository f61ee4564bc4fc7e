"""Sweep curves in the terminal (plotext), with a progress bar while a sweep runs."""
from __future__ import annotations

import numpy as np
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, ProgressBar
from textual_plotext import PlotextPlot


class SweepPlot(Vertical):
    """The queries against the swept parameter; Escape cancels a sweep that is running."""

    ALLOW_MAXIMIZE = True

    def compose(self) -> ComposeResult:
        yield Label("No sweep: pick a parameter and press s.", id="sweep-status")
        yield ProgressBar(total=1, show_eta=False, id="sweep-progress")
        yield PlotextPlot(id="sweep-plotext")

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
        self.status(text)

    def show(self, parameter: str, xs, series: dict[str, np.ndarray]) -> None:
        """Plot each query of ``series`` against the values ``xs`` of ``parameter``."""
        plot = self.query_one(PlotextPlot)
        plot.display = True
        plt = plot.plt
        plt.clear_figure()
        xs = [float(x) for x in np.asarray(xs).reshape(-1)]
        for name, ys in series.items():
            ys = np.asarray(ys, dtype=float).reshape(-1)
            if ys.shape[0] == len(xs) and np.all(np.isfinite(ys)):
                plt.plot(xs, ys.tolist(), label=name, marker="braille")
        plt.xlabel(parameter)
        plot.refresh()
