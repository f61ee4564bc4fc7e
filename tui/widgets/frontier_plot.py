"""The safety-usefulness frontier in the terminal (plotext): usefulness across, safety up."""
from __future__ import annotations

from textual_plotext import PlotextPlot


class FrontierPlot(PlotextPlot):
    """The Pareto points of a :class:`~markovwire.analysis.game.Frontier`, joined from least to most useful."""

    shown: tuple | None = None
    """What the plot shows: ``(usefulness values, safety values)``."""

    def show(self, frontier) -> None:
        plt = self.plt
        plt.clear_figure()
        if frontier is None or not frontier.points:
            self.shown = None
            self.refresh()
            return
        pts = sorted(frontier.points, key=lambda p: p.usefulness)
        u, s = [p.usefulness for p in pts], [p.safety for p in pts]
        self.shown = (u, s)
        plt.plot(u, s, marker="braille", color="cyan")
        plt.scatter(u, s, marker="dot", color="cyan")
        plt.xlabel(frontier.usefulness)
        plt.ylabel(f"{frontier.safety} (red's best reply)")
        self.refresh()
