"""Regressions of issue 10: the same question asked through bounds, sensitivities, adversaries and sizes of types.

Each case once gave a second number beside the evaluator's; each now goes through the proposal's compiled model.
"""
from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from markovwire.errors import ParameterError
from markovwire.library import load_proposal
from markovwire.library.shipped import proposals_dir
from markovwire.tui.cli import cli


@pytest.fixture(scope="module")
def budgeted():
    return load_proposal(proposals_dir() / "budgeted_monitoring.yaml")


def test_bounds_are_taken_at_the_given_size(budgeted):
    """B = 1 changes the compiled episode: the bounds over r must contain the point value at B = 1, r = 0.6."""
    point = budgeted.value("safety", {"B": 1})
    b = budgeted.bounds("safety", {"r": (0.5, 0.7)}, values={"B": 1})
    assert b.lower <= point <= b.upper
    assert b.lower == pytest.approx(budgeted.value("safety", {"B": 1, "r": 0.5}), abs=1e-12) or \
        b.upper == pytest.approx(budgeted.value("safety", {"B": 1, "r": 0.5}), abs=1e-12)
    four = budgeted.bounds("safety", {"r": (0.5, 0.7)})
    assert (four.lower, four.upper) != pytest.approx((b.lower, b.upper))


def test_the_fixed_range_searches_inside_the_interval(budgeted):
    """T = 8, B = 1, beta in [0, 1]: the episode's safety is a polynomial in beta with an interior minimum."""
    values = {"T": 8, "B": 1}
    b = budgeted.bounds("safety", {"beta": (0.0, 1.0)}, values=values)
    grid = budgeted.value("safety", {**values, "beta": np.linspace(0, 1, 2001)})
    assert grid.min() < min(grid[0], grid[-1]) - 0.01         # the minimum is inside the interval
    assert b.fixed.lower == pytest.approx(grid.min(), abs=1e-6)
    assert b.fixed.upper == pytest.approx(grid.max(), abs=1e-6)
    assert b.adaptive.lower <= b.fixed.lower + 1e-12
    assert "searched inside the intervals" in str(b)


def test_degenerate_intervals_and_table_parameters_keep_the_given_values():
    p = load_proposal(proposals_dir() / "best_of_n_vs_rl.yaml")
    values = {"n": 7.0, "lam": 0.3}
    for q in ("kl_bon", "kl_rl"):
        point = p.value(q, values)
        b = p.bounds(q, {"lam": (0.3, 0.3)}, values={"n": 7.0})
        assert b.lower == pytest.approx(point, abs=1e-12) and b.upper == pytest.approx(point, abs=1e-12)
        assert point >= -1e-12      # a KL divergence


def test_intervals_of_parameters_a_query_does_not_use_are_noted():
    """``--interval`` applies to every query; one that does not depend on the parameter says so."""
    p = load_proposal(proposals_dir() / "trusted_monitoring.yaml")
    unused = sorted(n for n in p.parameters if n not in p.model().used("safety") and n not in p.structural)
    assert unused, "trusted_monitoring declares parameters its safety query does not use (eps_tv, u_T)"
    lo, hi = p.all_parameters[unused[0]].domain
    b = p.bounds("safety", {unused[0]: (lo, min(hi, lo + 1))})
    assert unused[0] in b.note and b.lower == pytest.approx(p.value("safety"), abs=1e-12)


def test_sensitivities_are_taken_at_the_given_episode_length():
    p = load_proposal(proposals_dir() / "trusted_monitoring.yaml")
    res = CliRunner().invoke(cli, ["eval", str(proposals_dir() / "trusted_monitoring.yaml"), "--point", "--json",
                                   "--set", "T=100", "-q", "safety", "--sensitivity"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["sensitivities"]["safety"]["value"] == pytest.approx(out["queries"]["safety"], abs=1e-12)
    assert out["queries"]["safety"] == pytest.approx(p.value("safety", {"T": 100}), abs=1e-12)
    assert out["queries"]["safety"] != pytest.approx(p.value("safety"), abs=1e-6)


def test_the_default_proposal_evaluates_as_json():
    res = CliRunner().invoke(cli, ["eval", str(proposals_dir() / "trusted_monitoring.yaml"), "--json",
                                   "-q", "worst_safety", "-q", "safety"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    swept = out["queries"]["worst_safety"]
    assert len(swept["value"]) == len(swept["points"]) and "optimum" in swept["points"][0]


def test_range_widens_an_adversary_search_from_the_command_line():
    path = str(proposals_dir() / "budgeted_monitoring.yaml")
    args = ["eval", path, "--point", "--json", "-q", "worst_safety"]
    narrow = json.loads(CliRunner().invoke(cli, [*args, "--range", "beta=0:0.01"]).output)["queries"]["worst_safety"]
    wide = json.loads(CliRunner().invoke(cli, [*args, "--range", "beta=0:1"]).output)["queries"]["worst_safety"]
    assert narrow["on_edge"] == {"beta": "upper"} and narrow["ranges"]["beta"] == [0.0, 0.01]
    assert wide["value"] <= narrow["value"] + 1e-12
    bad = CliRunner().invoke(cli, [*args, "--range", "sigma=0:1"])
    assert bad.exit_code == 1 and "no adversary entry searches over 'sigma'" in bad.output


def test_a_model_refuses_another_size_than_it_was_compiled_with(budgeted):
    model = budgeted.model({"B": 2})
    assert model.value("safety") == pytest.approx(budgeted.value("safety", {"B": 2}), abs=1e-12)
    with pytest.raises(ParameterError, match="compile the proposal again"):
        model.value("safety", {"B": 3})
    assert budgeted.model({"B": 2}) is model
