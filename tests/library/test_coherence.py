"""One question, one number: every surface that shows a query's value shows the same number.

For every shipped proposal and random in-domain settings of all its parameters (sizes of
types and episode lengths included), each query's point value is asked of the compiled
model directly, of ``Proposal.evaluate``, of ``markovwire eval --json``, of
``--sensitivity`` (the value the derivatives are taken at), of a degenerate ``--interval``
(both ends) and of ``markovwire eval`` as text (to its six printed digits). The UI's
results table is checked in ``tests/tui`` (it shows ``Proposal.evaluate``'s numbers).
"""
from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
from click.testing import CliRunner

from markovwire.errors import MarkovwireError
from markovwire.library import load_proposal, shipped_proposals
from markovwire.tui.cli import cli

SETTINGS = 2          # random settings per proposal
SMALL = 4             # integer parameters (sizes, steps) are drawn from [lo, lo + SMALL]


def _settings(p, rng):
    """In-domain random values of every parameter that matters (integers kept small), that build."""
    out, tries = [], 0
    while len(out) < SETTINGS and tries < 40:
        tries += 1
        values = {}
        for n, par in sorted(p.parameters.items()):
            lo, hi = par.domain
            if par.integer:
                top = min(hi, max(lo, par.default or lo) + SMALL)
                values[n] = int(rng.integers(int(lo), int(top) + 1))
            else:
                lo, hi = max(lo, -1e3), min(hi, 1e3)
                values[n] = float(rng.uniform(lo, hi))
        try:
            p.evaluate(values)     # every query, adversary and credal entry
            p.claims()
        except MarkovwireError:
            continue    # e.g. rates whose sum leaves the simplex: not a setting of this proposal
        out.append(values)
    return out


def _cases():
    rng = np.random.default_rng(20261204)
    for path in shipped_proposals():
        p = load_proposal(path)
        for i, values in enumerate(_settings(p, rng)):
            yield pytest.param(path, values, id=f"{path.stem}-{i}")


def _sets(values):
    return [a for n, v in values.items() for a in ("--set", f"{n}={v!r}")]


@pytest.mark.slow
@pytest.mark.parametrize("path,values", list(_cases()))
def test_every_surface_gives_the_same_number(path, values):
    p = load_proposal(path)
    numbers = {n: q for n, q in p.queries.items() if q.kind != "distribution"}
    model = p.model(values)
    direct = {n: model.value(n, {k: v for k, v in values.items() if k not in p.structural}) for n in p.queries}
    python = p.evaluate(values, list(p.queries))
    runner = CliRunner()
    res = runner.invoke(cli, ["eval", str(path), "--point", "--json", *_sets(values)])
    assert res.exit_code == 0, res.output
    as_json = json.loads(res.output)["queries"]
    for n in p.queries:
        if p.queries[n].kind == "distribution":
            for i, lab in enumerate(model.labels(n)):
                assert python[n][lab] == pytest.approx(direct[n][i], abs=1e-12)
                assert as_json[n][lab] == pytest.approx(direct[n][i], abs=1e-12)
        else:
            assert python[n] == pytest.approx(direct[n], abs=1e-12), n
            assert as_json[n] == pytest.approx(direct[n], abs=1e-12), n
    if not numbers:
        return
    res = runner.invoke(cli, ["eval", str(path), "--point", "--json", "--sensitivity", *_sets(values),
                              *(a for n in numbers for a in ("-q", n))])
    assert res.exit_code == 0, res.output
    for n, table in json.loads(res.output)["sensitivities"].items():
        assert table["value"] == pytest.approx(direct[n], abs=1e-12), n
    kernel_params = sorted(n for n in values if n not in p.structural and n in model.target.params)
    if kernel_params and not p.measured:   # a kernel measured from data widens every bound by its credal set
        k = kernel_params[0]
        res = runner.invoke(cli, ["eval", str(path), "--point", "--json", *_sets(values),
                                  "--interval", f"{k}={values[k]!r}:{values[k]!r}",
                                  *(a for n in numbers for a in ("-q", n))])
        assert res.exit_code == 0, res.output
        for n, b in json.loads(res.output)["bounds"].items():
            assert b["lower"] == pytest.approx(direct[n], abs=1e-12), n
            assert b["upper"] == pytest.approx(direct[n], abs=1e-12), n
    res = runner.invoke(cli, ["eval", str(path), "--point", *_sets(values), *(a for n in numbers for a in ("-q", n))],
                        terminal_width=250)
    assert res.exit_code == 0, res.output
    for n in numbers:
        row = next(line for line in res.output.splitlines() if re.match(rf"^│ {re.escape(n)}\s+│", line))
        shown = float(row.rstrip("│ ").split("│")[-1])
        assert math.isclose(shown, direct[n], rel_tol=5e-6, abs_tol=5e-7), (n, shown, direct[n])


@pytest.mark.parametrize("name", ["trusted_monitoring", "swiss_cheese", "budgeted_monitoring"])
async def test_the_ui_results_table_shows_the_models_numbers(name):
    """The UI shows six significant figures of the same compiled model's values (and a worst case's set)."""
    from markovwire.library.shipped import proposals_dir
    from markovwire.tui.app import MarkovwireApp
    from markovwire.tui.widgets.results_table import ResultsTable

    path = proposals_dir() / f"{name}.yaml"
    model = load_proposal(path).model()
    app = MarkovwireApp(path)
    async with app.run_test(size=(160, 48)) as pilot:
        for _ in range(3):
            await pilot.pause()
            await app.workers.wait_for_complete()
        table = app.screen.query_one("#results", ResultsTable)
        rows = {row.key.value: [c.plain for c in table.get_row(row.key)] for row in table.ordered_rows}
    checked = 0
    for n, q in model.queries.items():
        if q.kind == "distribution":
            for i, lab in enumerate(model.labels(n)):
                assert float(rows[f"{n}\x00{lab}"][1]) == pytest.approx(model.value(n)[i], rel=5e-6, abs=5e-7)
        else:
            assert float(rows[n][1]) == pytest.approx(model.value(n), rel=5e-6, abs=5e-7), n
        checked += 1
    assert checked == len(model.queries)
