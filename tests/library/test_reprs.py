"""Rich display in Jupyter: proposals, results, systems, episodes, bounds and bands as escaped, balanced HTML.

Every table is read back with :mod:`html.parser` (sharing no code with the writer) and its cells compared with
what :meth:`Proposal.evaluate` computed and with values worked out by hand.
"""
from __future__ import annotations

import copy
import html
import json
import pickle
import sys
from html.parser import HTMLParser

import numpy as np
import pytest
import yaml
from hypothesis import given, settings, strategies as st

from markovwire import display
from markovwire.library import load_proposal, proposal_from_text, to_jsonable
from markovwire.library.display import Results
from markovwire.library.shipped import proposals_dir

VOID = {"br", "hr", "img", "meta", "input", "link", "col", "wbr"}
HOSTILE = "<script>alert('x')</script> & </table></td>"


class Page(HTMLParser):
    """Tags balanced, and every table as its caption and rows of cell texts."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.tables, self.cell = [], [], [], None
        self.svgs = 0
        self.feed(text)
        self.close()
        if self.stack:
            self.errors.append(f"never closed: {self.stack}")

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        self.stack.append(tag)
        if tag == "svg":
            self.svgs += 1
        if tag == "table":
            self.tables.append({"caption": "", "rows": []})
        elif tag == "tr":
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
            return
        self.stack.pop()
        if tag in ("td", "th"):
            self.tables[-1]["rows"][-1].append(self.cell)
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data
        elif self.stack and self.stack[-1] == "caption":
            self.tables[-1]["caption"] += data

    def table(self, caption_part: str) -> list[list[str]]:
        found = [t["rows"] for t in self.tables if caption_part in t["caption"]]
        assert len(found) == 1, [t["caption"] for t in self.tables]
        return found[0]


def page(text: str) -> Page:
    p = Page(text)
    assert not p.errors, p.errors[:3]
    assert text.count("<table") == text.count("</table>")
    return p


def by_name(rows: list[list[str]]) -> dict[str, list[str]]:
    return {r[0]: r for r in rows[1:]}


@pytest.fixture(scope="module")
def off_switch():
    return load_proposal(proposals_dir() / "off_switch.yaml")


@pytest.fixture(scope="module")
def hostile():
    """off_switch with hostile docs, a distribution query and an adversary."""
    data = yaml.safe_load((proposals_dir() / "off_switch.yaml").read_text())
    data["doc"] = HOSTILE
    data["queries"]["p_switched_off"]["doc"] = HOSTILE
    data["queries"]["dist"] = {"doc": "the overseer's choice", "distribution": ["switch"]}
    data["adversary"] = {"worst_defer": {"query": "value_defer", "over": ["eta"], "sense": "min", "doc": HOSTILE}}
    return proposal_from_text(yaml.safe_dump(data, sort_keys=False), "hostile.yaml")


# ----- results ----------------------------------------------------------------------------------
def test_results_are_the_dict_evaluate_always_returned(off_switch):
    r = off_switch.evaluate()
    assert isinstance(r, dict) and isinstance(r, Results)
    assert dict(r) == {"value_defer": 1.0, "value_act": 0.25, "p_switched_off": 0.5, "p_harm_allowed": 0.0}
    assert to_jsonable(r) == to_jsonable(dict(r)) and json.loads(json.dumps(r)) == dict(r)
    for again in (copy.deepcopy(r), pickle.loads(pickle.dumps(r)), copy.copy(r)):
        assert again == r and isinstance(again, Results) and again.described == r.described


def test_results_table_has_every_description_formula_and_value(off_switch):
    """Values by hand: deferring is worth 1 − 1.75·eta, acting E[U] = 0.25; the overseer errs with eta."""
    eta = 0.2
    r = off_switch.evaluate({"eta": eta})
    rows = by_name(page(r._repr_html_()).table("off_switch"))
    assert set(rows) == set(off_switch.queries)
    hand = {"value_defer": 1 - 1.75 * eta, "value_act": 0.25}
    for name, q in off_switch.queries.items():
        _, doc, formula, value = rows[name]
        assert doc == q.spec.doc and formula == q.text
        assert float(value) == pytest.approx(r[name], rel=1e-5)
        if name in hand:
            assert float(value) == pytest.approx(hand[name], rel=1e-5)


def test_distributions_are_sub_rows_and_analyses_have_details(hostile):
    r = hostile.evaluate({"eta": 0.1}, queries=["dist", "worst_defer"])
    p = page(r._repr_html_())
    rows = p.table("off_switch")
    labels = [row for row in rows if row[0] in ("allow", "switch_off")]
    assert {row[0]: float(row[3]) for row in labels} == pytest.approx(r["dist"])
    assert sum(float(row[3]) for row in labels) == pytest.approx(1.0)
    worst = by_name(rows)["worst_defer"]
    assert worst[1] == HOSTILE and worst[2] == "min " + hostile.queries["value_defer"].text
    # the worst case over eta in [0, 1] of 1 − 1.75·eta is at eta = 1: −0.75
    assert float(worst[3]) == pytest.approx(-0.75, abs=1e-6) == pytest.approx(r["worst_defer"].value, abs=1e-9)
    detail = by_name(p.table("min E[f(utility, switch)]"))
    assert "eta = 1" in detail["at"][1] or "eta ∈" in detail["at"][1]


def test_a_sweep_shows_a_plot_and_the_values(off_switch):
    etas = np.linspace(0, 0.5, 6)
    r = off_switch.evaluate({"eta": etas})
    text = r._repr_html_()
    p = page(text)
    assert p.svgs == 1 and "eta over 6 points" in p.tables[0]["caption"]
    cell = by_name(p.table("off_switch"))["value_defer"][3]
    assert cell.startswith(", ".join(f"{1 - 1.75 * e:.4g}" for e in etas))


def test_without_matplotlib_the_table_stands_alone(off_switch, monkeypatch):
    r = off_switch.evaluate({"eta": np.linspace(0, 0.5, 6)})
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    p = page(r._repr_html_())
    assert p.svgs == 0 and len(p.table("off_switch")) == 5


def test_hostile_docs_stay_text(hostile):
    results = hostile.evaluate({"eta": 0.1}, ["p_switched_off", "worst_defer"])
    for text in (hostile._repr_html_(), results._repr_html_()):
        p = page(text)
        assert "<script" not in text.lower() and html.escape(HOSTILE) in text
        assert any(HOSTILE in cell for t in p.tables for row in t["rows"] for cell in row)


# ----- proposals, systems, episodes -------------------------------------------------------------
def test_proposal_shows_parameters_queries_and_the_diagram(off_switch):
    bundle = off_switch._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html", "image/svg+xml"}
    p = page(bundle["text/html"])
    assert p.svgs == 1 and bundle["image/svg+xml"].count("<svg") == 1
    params = by_name(p.table("parameters"))
    assert params["eta"][1:3] == ["0", "[0, 1]"] and params["eta"][3] == off_switch.all_parameters["eta"].doc
    queries = by_name(p.table("queries"))
    assert {n: r[1:] for n, r in queries.items()} == {n: [q.spec.doc, q.text] for n, q in off_switch.queries.items()}
    assert off_switch.doc in bundle["text/html"]
    assert off_switch._repr_mimebundle_(include={"text/plain"}) == {"text/plain": repr(off_switch)}


def test_system_and_episode_show_their_states_and_step():
    prop = load_proposal(proposals_dir() / "trusted_monitoring.yaml")
    for obj, facts in ((prop.system, {"joint states": "3", "inputs": "intent", "outputs": "answer, audit"}),
                       (prop.model().target, {"steps": "5000", "joint states": "3", "outer inputs": "intent"})):
        p = page(obj._repr_html_())
        assert p.svgs == 1
        assert {r[0]: r[1] for r in p.table("facts")} == facts
        assert p.table("state")[1] == ["episode.state", "Status", "3", "running, shutdown, catastrophe"]


# ----- bounds and bands ------------------------------------------------------------------------
def test_credal_bounds_and_band_tables_hold_their_numbers():
    prop = load_proposal(proposals_dir() / "credal_control.yaml")
    b = prop.evaluate(queries=["catastrophe_range"])["catastrophe_range"]
    rows = {r[0]: r[1] for r in page(b._repr_html_()).table("credal bounds")}
    lo, hi = (1 - 0.9) * (1 - 0.99 ** 100), (1 - 0.6) * (1 - 0.95 ** 100)   # catastrophe = (1 − r)(1 − (1 − β)^T)
    assert rows["adaptive (components may change every step)"] == f"[{lo:.6g}, {hi:.6g}]"
    assert rows["lower at"] == "beta = 0.01; r_ok = 0.9"
    swiss = load_proposal(proposals_dir() / "swiss_cheese.yaml")
    c = swiss.evaluate(queries=["pass_imprecise"])["pass_imprecise"]
    rows = {r[0]: r[1] for r in page(c._repr_html_()).table("credal bounds")}
    assert float(rows["lower"]) == pytest.approx(c.lower, rel=1e-5) and float(rows["upper"]) == pytest.approx(
        c.upper, rel=1e-5)
    band = swiss.band("p_pass_common", {"monitor": 0.01})
    rows = {r[0]: r[1] for r in page(band._repr_html_()).table("TV band")}
    assert [float(rows[k]) for k in ("value", "half-width", "lower", "upper")] == pytest.approx(
        [band.value, band.half_width, band.lower, band.upper], rel=1e-5)
    assert rows["radii"] == "monitor 0.01" and band.lower <= band.value <= band.upper


# ----- the table writer ------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.text(max_size=30), min_size=3, max_size=3), max_size=5), st.text(max_size=30))
def test_any_text_reads_back_as_the_same_text(cells, caption):
    """Whatever a file says, the parsed table holds exactly that text and the markup stays balanced."""
    text = display.table(["a", "b", "c"], cells, caption or None)
    p = page(text)
    assert p.tables[0]["rows"][1:] == cells and p.tables[0]["caption"] == caption


def test_doctests():
    import doctest

    import markovwire.library.display as library_display

    for module in (display, library_display):
        assert doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE).failed == 0, module.__name__
