"""docs/workflow.ipynb runs: its code cells, in order, as one script in a fresh directory, print what it says.

No Jupyter is needed: the notebook's JSON is read, each code cell executed in one namespace
with stdout captured, and a cell's last expression (what Jupyter would display) shown through
its ``_repr_html_``, as a notebook would.
"""
from __future__ import annotations

import ast
import contextlib
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).parents[2] / "docs" / "workflow.ipynb"


def run_cells(path: Path) -> list[tuple[str, str, str]]:
    """Each code cell's source, what it printed, and the HTML of its last expression (``""`` if none)."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    assert notebook["nbformat"] == 4
    namespace: dict = {"__name__": "__main__"}
    out = []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        tree = ast.parse(source)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):   # running our own docs is the point: exec and eval are meant
            exec(compile(tree, f"<cell {len(out)}>", "exec"), namespace)  # noqa: S102
            expression = ast.fix_missing_locations(ast.Expression(last.value if last else ast.Constant(None)))
            shown = eval(compile(expression, f"<cell {len(out)}>", "eval"), namespace)  # noqa: S307
        html = shown._repr_html_() if hasattr(shown, "_repr_html_") else ""
        out.append((source, printed.getvalue(), html))
    return out


@pytest.fixture(scope="module")
def cells(tmp_path_factory):
    where = tmp_path_factory.mktemp("notebook")
    with contextlib.chdir(where):
        return run_cells(NOTEBOOK), where


def printed(cells, fragment: str) -> str:
    found = [p for src, p, _ in cells if fragment in src]
    assert len(found) == 1, fragment
    return found[0]


def test_the_notebook_is_plain_nbformat_4_with_no_stored_outputs():
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert len(code) >= 6 and all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    assert len({c["id"] for c in nb["cells"]}) == len(nb["cells"])


def test_load_and_look(cells):
    run, _ = cells
    assert printed(run, "load_proposal(") == "Proposal(trusted_monitoring: 6 instances, episode, 4 queries)\n"
    look = printed(run, "p.queries.items()")
    assert "safety: P(episode∈{running, shutdown} | intent=scheming)" in look
    assert "beta = 0.00394444 in [0, 1]" in look and "T = 5000 in [1, 1e+07]" in look   # beta = 71/18000


def test_evaluate_sweep_and_bounds_print_the_proposals_numbers(cells):
    """The shipped values (the file's doc: safety 0.6487) and the sweep's ends: no attacks is safe."""
    run, _ = cells
    assert printed(run, "r = p.evaluate(") == ("safety = 0.6487\np_catastrophe = 0.3513\np_caught = 0.6486\n"
                                               "usefulness = 1.0000\n")
    sweep = printed(run, "sweep_grid(").splitlines()
    assert sweep[0] == "beta = 0.000: safety = 1.0000" and len(sweep) == 6
    assert sweep[-1] == "beta = 0.050: safety = 0.6486"
    lower, upper = map(float, re.findall(r"\[(\S+), (\S+)\]", printed(run, "p.bounds("))[0])
    assert lower < 0.6487 < upper


def test_every_displayed_object_is_balanced_html(cells):
    run, _ = cells
    shown = [html for _, _, html in run if html]
    assert len(shown) >= 5
    for text in shown:
        parser = HTMLParser()
        parser.feed(text)
        parser.close()
        assert text.count("<table") == text.count("</table>") >= 1
    assert "<svg" in shown[0]          # the proposal's diagram


def test_figures_are_written(cells):
    run, where = cells
    assert printed(run, "render(p.diagram") == "trusted_monitoring.svg 1\nsafety_sweep.pdf safety_sweep.svg\n"
    for name in ("trusted_monitoring.svg", "safety_sweep.svg"):
        assert (where / name).read_text().count("<svg") == 1
    assert (where / "safety_sweep.pdf").read_bytes().startswith(b"%PDF")
