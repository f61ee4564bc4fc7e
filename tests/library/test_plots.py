"""Plots for papers: the numbers drawn are the proposal's own (read back from the matplotlib Figure), the labels,
legends and bands, each output format, and the mistakes a user can make."""
from __future__ import annotations

import doctest
import json
import subprocess
import sys
import tempfile

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from markovwire.errors import MarkovwireError, ParameterError, RenderError, UnknownName
from markovwire.library import plots
from markovwire.library.plots import save_figure, sensitivity_figure, sweep_curves, sweep_figure
from markovwire.library.proposal import load_proposal, proposal_from_text
from markovwire.library.sensitivity import sensitivities_of
from markovwire.library.shipped import proposals_dir
from markovwire.tui.cli import cli

TM = proposals_dir() / "trusted_monitoring.yaml"
BON = proposals_dir() / "best_of_n_vs_rl.yaml"


@pytest.fixture(scope="module")
def tm():
    return load_proposal(TM)


@pytest.fixture(scope="module")
def bon():
    return load_proposal(BON)


def lines(fig: Figure) -> dict[str, np.ndarray]:
    """Legend entry → y data of every labelled line of the figure's axes."""
    return {ln.get_label(): np.asarray(ln.get_ydata(), float) for ln in fig.axes[0].lines
            if not ln.get_label().startswith("_")}


def legend(fig: Figure) -> list[str]:
    found = fig.axes[0].get_legend() or (fig.legends[0] if fig.legends else None)
    return [t.get_text() for t in found.get_texts()] if found else []


def test_doctests():
    assert doctest.testmod(plots).failed == 0


def test_matplotlib_is_imported_only_when_a_figure_is_made():
    code = ("import json, sys\nimport markovwire.library.plots, markovwire.tui.cli\n"
            "before = 'matplotlib' in sys.modules\n"
            "from markovwire.library import load_proposal\nfrom markovwire.library.shipped import default_proposal\n"
            "fig = markovwire.library.plots.sweep_figure(load_proposal(default_proposal()), [('beta', 0, 1, 2)],"
            " ['safety'])\n"
            "import matplotlib\n"
            "print(json.dumps({'before': before, 'after': 'matplotlib' in sys.modules,"
            " 'backend': type(fig.canvas).__name__, 'pyplot': 'matplotlib.pyplot' in sys.modules}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tempfile.gettempdir(),
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.splitlines()[-1]) == {"before": False, "after": True, "backend": "FigureCanvasAgg",
                                                       "pyplot": False}


# ----- the numbers are the proposal's --------------------------------------------------------------
def test_the_file_sweep_draws_every_query_as_evaluate_gives_it(tm):
    fig = sweep_figure(tm)
    beta = np.linspace(0.0, 0.05, 26)
    expected = tm.evaluate({"beta": beta}, list(tm.queries))    # the queries drawn (not the credal entry's bounds)
    drawn = lines(fig)
    assert list(drawn) == list(tm.queries) == legend(fig)
    for name, ys in drawn.items():
        np.testing.assert_allclose(ys, expected[name], rtol=1e-12, atol=1e-15)
    for ln in fig.axes[0].lines:
        np.testing.assert_allclose(ln.get_xdata(), beta)
    assert fig.get_size_inches()[0] == pytest.approx(3.3)


def test_best_of_n_against_closed_forms_one_curve_per_other_swept_value(bon):
    """p_hack_bon = 1 - (1 - eps_hack)^n and the KL bound log n - (n-1)/n, computed here without markovwire."""
    fig = sweep_figure(bon, queries=["p_hack_bon", "kl_bound", "gold_bon"])
    n = np.linspace(1, 2001, 21)
    drawn = lines(fig)
    assert list(drawn) == [f"{q}, eps_hack = {e:g}" for q in ("p_hack_bon", "kl_bound", "gold_bon")
                           for e in (0, 0.001)]
    np.testing.assert_allclose(drawn["p_hack_bon, eps_hack = 0.001"], 1 - (1 - 0.001) ** n, rtol=1e-9)
    np.testing.assert_allclose(drawn["p_hack_bon, eps_hack = 0"], 0, atol=1e-12)
    np.testing.assert_allclose(drawn["kl_bound, eps_hack = 0"], np.log(n) - (n - 1) / n, rtol=1e-9)
    gold = bon.evaluate({"n": n, "eps_hack": np.full_like(n, 0.001)}, ["gold_bon"])["gold_bon"]
    np.testing.assert_allclose(drawn["gold_bon, eps_hack = 0.001"], gold, rtol=1e-12)
    styles = {ln.get_label(): ln.get_linestyle() for ln in fig.axes[0].lines}
    assert styles["gold_bon, eps_hack = 0"] != styles["gold_bon, eps_hack = 0.001"]
    # the legend factors: a colour per query, a line style per eps_hack
    assert legend(fig) == ["p_hack_bon", "kl_bound", "gold_bon", "eps_hack = 0", "eps_hack = 0.001"]
    assert fig.get_size_inches()[1] > 3.3 * 0.68       # below the axes, it adds to the height, not eats the plot
    colour = {ln.get_label(): ln.get_color() for ln in fig.axes[0].lines}
    assert colour["gold_bon, eps_hack = 0"] == colour["gold_bon, eps_hack = 0.001"] != colour["kl_bound, eps_hack = 0"]
    one = sweep_figure(bon, queries=["gold_bon"])
    assert legend(one) == ["eps_hack = 0", "eps_hack = 0.001"]


def test_a_distribution_query_draws_one_curve_per_label_summing_to_one():
    text = TM.read_text().replace("queries:\n", "queries:\n  law:\n    distribution: [episode]\n"
                                  "    inputs: {intent: scheming}\n", 1)
    p = proposal_from_text(text, "dist.yaml", TM)
    fig = sweep_figure(p, [("beta", 0.0, 0.01, 5)], ["law", "p_catastrophe"])
    drawn = lines(fig)
    labels = [k for k in drawn if k.startswith("law[")]
    assert labels == [f"law[{lab}]" for lab in p.model().labels("law")]
    np.testing.assert_allclose(sum(drawn[k] for k in labels), 1, rtol=1e-12)
    np.testing.assert_allclose(drawn["law[catastrophe]"], drawn["p_catastrophe"], rtol=1e-12)


def test_an_adversary_entry_draws_its_optimum_at_each_point(tm):
    a = np.linspace(0.01, 0.05, 3)
    drawn = lines(sweep_figure(tm, [("a", 0.01, 0.05, 3)], ["worst_safety", "safety"]))
    np.testing.assert_allclose(drawn["worst_safety"], [w.value for w in tm.evaluate({"a": a}, ["worst_safety"])
                                                        ["worst_safety"]], rtol=1e-12)
    assert (drawn["worst_safety"] <= drawn["safety"] + 1e-9).all()      # the red team's best is no better for it


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.floats(0, 0.05), stop=st.floats(0, 0.05), count=st.integers(1, 5),
       names=st.lists(st.sampled_from(["p_catastrophe", "safety", "p_caught", "usefulness"]), min_size=1,
                      max_size=3, unique=True),
       lo=st.floats(0.01, 6 / 19), hi=st.floats(6 / 19, 0.99))
def test_any_sweep_draws_evaluate_and_credal_bounds_hold_the_curve(tm, start, stop, count, names, lo, hi):
    """For any grid and any interval around r_ok's value, the curves are evaluate's and the bounds hold them."""
    xs = np.linspace(start, stop, count)
    _, curves = sweep_curves(tm, [("beta", start, stop, count)], names, intervals={"r_ok": (lo, hi)})
    expected = tm.evaluate({"beta": xs}, names)
    assert [c.label for c in curves] == names
    for c in curves:
        np.testing.assert_allclose(c.x, xs)
        np.testing.assert_allclose(c.y, expected[c.label], rtol=1e-12, atol=1e-15)
        (band,) = c.bands
        assert (band.lower <= c.y + 1e-9).all() and (c.y <= band.upper + 1e-9).all()


# ----- labels and units ------------------------------------------------------------------------------
def test_axis_labels_say_the_parameter_and_the_query(tm, bon):
    ax = sweep_figure(tm, queries=["p_catastrophe"]).axes[0]
    assert ax.get_xlabel().startswith("beta: attack probability per task of a scheming")
    assert ax.get_ylabel() == "P(episode=catastrophe | intent=scheming)" == tm.queries["p_catastrophe"].text
    lo, hi = ax.get_ylim()
    assert 0 <= lo and hi <= 1                     # a probability axis stays inside [0, 1]
    assert legend(sweep_figure(tm, queries=["p_catastrophe"])) == []   # one curve: the axis label says it all
    ax = sweep_figure(bon, [("n", 1, 101, 5)], ["kl_bon"]).axes[0]
    assert ax.get_ylabel() == bon.queries["kl_bon"].text + " (nats)"
    assert ax.get_xlabel() == "n: best-of-n: the number of candidates drawn"
    assert sweep_figure(tm, queries=["safety", "p_caught"]).axes[0].get_ylabel() == "probability"
    assert sweep_figure(bon, [("n", 1, 101, 3)], ["gold_bon", "gold_rl"]).axes[0].get_ylabel() == "expected value"
    assert sweep_figure(bon, [("n", 1, 101, 3)], ["gold_bon", "p_hack_bon"]).axes[0].get_ylabel() == "value"
    # an expectation's description only says E[f(bon_pick)]: its doc's first clause names the axis
    assert sweep_figure(bon, [("n", 1, 101, 3)], ["gold_bon"]).axes[0].get_ylabel() == \
        "E[gold score Y] of the best-of-n pick"
    assert sweep_figure(bon, [("n", 1, 101, 3)], ["gold_rl"]).axes[0].get_ylabel() == \
        "E[gold score Y] of the tilted policy's\npick"          # wrapped to the axis' height
    wide = sweep_figure(bon, [("n", 1, 101, 3)], ["gold_rl"], width=6.5).axes[0]
    assert wide.get_ylabel() == "E[gold score Y] of the tilted policy's pick"


def test_width_is_the_figure_width(tm, tmp_path):
    assert sweep_figure(tm, [("beta", 0, 0.05, 3)], ["safety"], width=6.5).get_size_inches()[0] == 6.5
    r = CliRunner().invoke(cli, ["plot", str(TM), "--sweep", "beta=0:0.05:3", "-q", "safety", "--width", "8cm",
                                 "-o", str(tmp_path / "w.svg")], catch_exceptions=False)
    assert r.exit_code == 0
    assert b'width="226.77' in (tmp_path / "w.svg").read_bytes()       # exactly 8 cm = 3.15 in = 226.77 pt
    with pytest.raises(RenderError) as e:
        sensitivity_figure(tm, ["safety"], width=0.5)
    assert e.value.what == "0.5 in is too narrow for a plot (from 1.5 in to 48 in)"
    assert "--width column" in e.value.fix


# ----- bands --------------------------------------------------------------------------------------
def band_polygons(fig: Figure) -> list[PolyCollection]:
    return [c for c in fig.axes[0].collections if isinstance(c, PolyCollection)]


def test_credal_bounds_along_a_sweep_are_proposal_bounds_at_each_point_and_hold_the_curve(tm):
    intervals = {"r_ok": (0.1258, 0.5655)}
    xs = [0.002, 0.02, 0.04]
    _, curves = sweep_curves(tm, [("beta", 0.002, 0.04, 3)], ["safety"], intervals=intervals)
    (band,) = curves[0].bands
    assert band.kind == "credal bounds"
    for i, beta in enumerate(np.linspace(0.002, 0.04, 3)):
        b = tm.bounds("safety", intervals, values={"beta": beta})
        assert (band.lower[i], band.upper[i]) == (b.lower, b.upper)
        assert b.lower < curves[0].y[i] < b.upper
    fig = sweep_figure(tm, [("beta", 0.002, 0.04, 3)], ["safety"], intervals=intervals)
    (poly,) = band_polygons(fig)
    ys = lines(fig) or {"": fig.axes[0].lines[0].get_ydata()}
    inside = poly.get_paths()[0].contains_points(np.column_stack([xs, next(iter(ys.values()))]))
    assert inside.all()
    assert "credal bounds" in legend(fig)


def test_tv_band_and_its_exact_worst_case_along_a_sweep(tm):
    radii = {"monitor": 0.0001}
    grid = np.linspace(0.01, 0.05, 3)
    _, curves = sweep_curves(tm, [("beta", 0.01, 0.05, 3)], ["p_catastrophe"], radii=radii)
    band, exact = curves[0].bands
    assert (band.kind, exact.kind) == ("TV band", "TV exact worst case")
    for i, beta in enumerate(grid):
        b = tm.band("p_catastrophe", radii, {"beta": beta})
        assert (band.lower[i], band.upper[i], exact.lower[i], exact.upper[i]) == \
            (b.lower, b.upper, b.exact_lower, b.exact_upper)
        assert band.lower[i] <= exact.lower[i] <= curves[0].y[i] <= exact.upper[i] <= band.upper[i]
    fig = sweep_figure(tm, [("beta", 0.01, 0.05, 3)], ["p_catastrophe"], radii=radii)
    wide = band_polygons(fig)[0].get_paths()[0]
    assert wide.contains_points(np.column_stack([grid, curves[0].y])).all()
    # the exact worst case is far too thin to see at this radius: its legend says how thin
    width = max(exact.upper - exact.lower)
    assert legend(fig) == ["TV band", f"TV exact worst case (width ≤ {width:.2g})"]


def test_a_credal_entry_is_drawn_as_its_band(tm):
    fig = sweep_figure(tm, [("beta", 0.01, 0.05, 2)], ["safety_monitor_ci"])
    (poly,) = band_polygons(fig)
    got = tm.evaluate({"beta": np.linspace(0.01, 0.05, 2)}, ["safety_monitor_ci"])["safety_monitor_ci"]
    edge = [ln for ln in fig.axes[0].lines]
    np.testing.assert_allclose(edge[0].get_ydata(), [b.lower for b in got])
    np.testing.assert_allclose(edge[1].get_ydata(), [b.upper for b in got])


# ----- sensitivities ---------------------------------------------------------------------------------
def test_sensitivity_bars_are_the_elasticities_eval_prints(tm):
    fig = sensitivity_figure(tm, ["safety"])
    ax = fig.axes[0]
    names = [t.get_text().rstrip("†") for t in ax.get_yticklabels()]
    widths = dict(zip(names, [bar.get_width() for bar in ax.patches]))
    table = sensitivities_of(tm, "safety")
    top = max(abs(r.elasticity) for r in table.rows)
    for r in table.rows:
        if abs(r.elasticity) > 1e-6 * top:
            assert widths[r.parameter] == pytest.approx(r.elasticity, rel=1e-12)
    ranked = [abs(widths[n]) for n in names]
    assert ranked == sorted(ranked, reverse=True)
    label = ax.get_xlabel().replace("\n", " ")
    assert label.startswith("elasticity of P(episode∈{running, shutdown}")
    # p_false_trip is 0 by default, where every elasticity is 0: it is drawn with its slope, marked †
    slope = next(r.derivative for r in table.rows if r.parameter == "p_false_trip")
    assert "p_false_trip†" in [t.get_text() for t in ax.get_yticklabels()] and f"∂q/∂p = {slope:.3g}" in label
    # the parameters safety does not depend on are named under the axis, not drawn as empty rows
    assert {"p_benign", "p_hard"} <= set(label.split("no effect: ")[1].replace(",", " ").split())
    assert "p_benign" not in names


# ----- mistakes ----------------------------------------------------------------------------------------
def test_unknown_query_says_did_you_mean(tm):
    with pytest.raises(UnknownName) as e:
        sweep_figure(tm, queries=["safty"])
    assert "has no query 'safty' (did you mean 'safety'?)" in e.value.what
    assert e.value.file == str(TM) and "-q safty" in str(e.value.where)
    assert "p_catastrophe, safety" in e.value.fix


def test_no_sweep_anywhere():
    p = load_proposal(proposals_dir() / "credal_control.yaml")
    with pytest.raises(ParameterError) as e:
        sweep_figure(p)
    assert e.value.file.endswith("credal_control.yaml")
    assert e.value.what == "has no sweep to plot: no sweeps: section, and no --sweep given"
    assert "--sweep " in e.value.fix and "sweeps: [{parameter:" in e.value.fix


def test_bands_of_an_information_query_are_refused(bon):
    with pytest.raises(ParameterError) as e:
        sweep_figure(bon, [("n", 1, 10, 3)], ["kl_bon"], radii={"bon": 0.01})
    assert e.value.what == "'kl_bon' is a KL divergence; credal bounds and TV bands are for probability and " \
        "expectation queries"
    assert e.value.fix.startswith("plot kl_bon without --interval and --tv")
    with pytest.raises(ParameterError) as e:
        sensitivity_figure(bon, ["kl_bon"])
    assert e.value.what == "'kl_bon' is a KL divergence; sensitivities are for probability and expectation queries"
    assert e.value.fix == "plot kl_bon without --sensitivity, or choose a probability or expectation query"
    with pytest.raises(ParameterError, match="'worst_safety' is an adversary entry"):
        sensitivity_figure(load_proposal(TM), ["worst_safety"])


def test_a_swept_parameter_given_a_value_or_bounded_is_refused(tm):
    with pytest.raises(ParameterError, match="the plot sweeps it"):
        sweep_figure(tm, values={"beta": 0.01})
    with pytest.raises(ParameterError, match="which the plot sweeps"):
        sweep_figure(tm, queries=["safety"], intervals={"beta": (0.0, 0.1)})


@pytest.mark.parametrize("name", ["fig.jpg", "fig", "fig.dot"])
def test_only_svg_png_pdf(tm, tmp_path, name):
    with pytest.raises(RenderError) as e:
        save_figure(Figure(), tmp_path / name)
    assert e.value.file == str(tmp_path / name)
    assert "plots are written as .svg, .png or .pdf" in e.value.what and e.value.fix.endswith("-o fig.pdf")
    assert not (tmp_path / name).exists()


# ----- the command line ------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt, head", [("svg", b"<?xml"), ("png", b"\x89PNG"), ("pdf", b"%PDF")])
def test_cli_writes_each_format(tmp_path, fmt, head):
    out = tmp_path / f"fig.{fmt}"
    r = CliRunner().invoke(cli, ["plot", str(TM), "--sweep", "beta=0:0.05:5", "-q", "safety", "-o", str(out)],
                           catch_exceptions=False)
    assert r.exit_code == 0 and r.output.strip() == f"wrote {out}"
    assert out.read_bytes().startswith(head)


def test_cli_sensitivity_and_bands(tmp_path):
    out = tmp_path / "s.svg"
    r = CliRunner().invoke(cli, ["plot", str(TM), "--sensitivity", "-q", "safety", "-o", str(out)],
                           catch_exceptions=False)
    assert r.exit_code == 0 and b"r_ok" in out.read_bytes()
    r = CliRunner().invoke(cli, ["plot", str(TM), "--sweep", "beta=0.01:0.05:3", "-q", "safety", "--interval",
                                 "r_ok=0.2:0.4", "--tv", "monitor=0.0001", "-o", str(tmp_path / "b.png")],
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output
    with pytest.raises(MarkovwireError, match="draws the elasticities at one point"):
        CliRunner().invoke(cli, ["plot", str(TM), "--sensitivity", "--sweep", "beta=0:1:3", "-o",
                                 str(tmp_path / "x.svg")], catch_exceptions=False)


def test_cli_never_overwrites_the_proposal(tmp_path):
    target = tmp_path / "p.svg"
    target.write_text(TM.read_text())
    with pytest.raises(RenderError, match="is not a .svg figure"):
        CliRunner().invoke(cli, ["plot", str(TM), "-o", str(target)], catch_exceptions=False)
    assert target.read_text() == TM.read_text()
