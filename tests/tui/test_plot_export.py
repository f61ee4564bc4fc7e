"""The sweep plot exported from the UI (P): the figure markovwire plot draws, in the format of the suffix typed."""
from __future__ import annotations

import numpy as np

from markovwire.library import load_proposal
from markovwire.library.shipped import proposals_dir
from markovwire.tui.app import MarkovwireApp

TRUSTED = proposals_dir() / "trusted_monitoring.yaml"


async def test_p_writes_the_sweep_plot_in_the_format_typed(driver, tmp_path, monkeypatch):
    drawn = {}
    import markovwire.library.plots as plots
    real = plots.sweep_figure

    def spy(*args, **kw):
        drawn["fig"] = real(*args, **kw)
        return drawn["fig"]

    monkeypatch.setattr(plots, "sweep_figure", spy)
    app = MarkovwireApp(TRUSTED)
    async with app.run_test(size=(120, 40)) as pilot:
        k = driver(app, pilot)
        await k.settle()
        await k.press("P")
        assert k.screen_name() == "PromptScreen"
        assert app.focused.value.endswith("trusted_monitoring-sweep.pdf")
        await k.clear_and_type(str(tmp_path / "plot.jpg"))
        await k.press("enter")
        assert k.screen_name() == "PromptScreen"         # refused, the dialog stays with the message
        error = str(app.screen.query_one("#dialog-error").render())
        assert "plots are written as .svg, .png or .pdf" in error
        await k.clear_and_type(str(tmp_path / "plot.png"))
        await k.press("enter")
        await k.settle()
        assert k.screen_name() == "MainScreen"
    assert (tmp_path / "plot.png").read_bytes().startswith(b"\x89PNG")
    assert not (tmp_path / "plot.jpg").exists()
    expected = load_proposal(TRUSTED).evaluate({"beta": np.linspace(0, 0.05, 26)}, ["safety"])["safety"]
    safety = [ln for ln in drawn["fig"].axes[0].lines if ln.get_label() == "safety"][0]
    np.testing.assert_allclose(safety.get_ydata(), expected, rtol=1e-12)


async def test_p_without_a_sweep_says_how_to_make_one(driver):
    app = MarkovwireApp(proposals_dir() / "credal_control.yaml")
    async with app.run_test(size=(120, 40)) as pilot:
        k = driver(app, pilot)
        await k.settle()
        await k.press("P")
        assert k.screen_name() == "MainScreen"
        assert any("No sweep to export: pick a parameter and press s." in n.message for n in app._notifications)
