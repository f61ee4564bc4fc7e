"""The bounds, flow and compare screens by keys: the numbers shown are the library's, edits that belong to the
file (TV radii, credal entries, claims) are undoable and saved, mistakes give messages."""
from __future__ import annotations

import io
import shutil

import pytest
from rich.console import Console

from markovwire.library import load_proposal
from markovwire.library.diff import proposal_diff
from markovwire.library.shipped import proposals_dir
from markovwire.tui.app import MarkovwireApp

CREDAL = proposals_dir() / "credal_control.yaml"
TRUSTED = proposals_dir() / "trusted_monitoring.yaml"


def cells(table) -> dict[str, list[str]]:
    """A DataTable's rows as text, by row key."""
    return {row.key.value: [c.plain for c in table.get_row(row.key)] for row in table.ordered_rows}


def close(text: str, value: float) -> bool:
    return float(text) == pytest.approx(value, rel=1e-5, abs=1e-9)


def interval(text: str) -> tuple[float, float]:
    lo, hi = text.strip("[]").split(",")
    return float(lo), float(hi)


def shown(widget) -> str:
    """What a Static shows, as plain text (its lines unwrapped up to 300 columns)."""
    console = Console(width=300, file=io.StringIO())
    console.print(widget.content)
    return console.file.getvalue()


def notes(app) -> str:
    return "\n".join(f"{n.title}: {n.message}" for n in app._notifications)


def dialog_error(app) -> str:
    return shown(app.screen.query_one("#dialog-error"))


@pytest.fixture
def credal_copy(tmp_path):
    """credal_control.yaml in a folder of the test's own (saving must not touch the shipped file)."""
    target = tmp_path / "credal_control.yaml"
    shutil.copy(CREDAL, target)
    return target


async def open_bounds(k):
    await k.settle()
    await k.press("b")
    await k.settle()
    assert k.screen_name() == "BoundsScreen"
    return k.app.screen


@pytest.mark.parametrize("path", [CREDAL, TRUSTED], ids=["credal_control", "trusted_monitoring"])
async def test_the_bounds_screen_shows_the_librarys_numbers(driver, path):
    p = load_proposal(path)
    app = MarkovwireApp(path)
    async with app.run_test(size=(120, 40)) as pilot:
        k = driver(app, pilot)
        screen = await open_bounds(k)
        rows = cells(screen.query_one("#bounds-table"))
        assert list(rows) == [f"credal:{n}" for n in p.credal]
        for name in p.credal:
            b = p.value(name)
            entry, query, lower, upper, certified, _, fixed = rows[f"credal:{name}"]
            assert (entry, query) == (name, p.credal[name].query)
            assert close(lower, b.lower) and close(upper, b.upper)
            assert certified == ("exact (both)" if b.tight else "exact (adaptive)" if b.exact else "inner bound")
            assert interval(fixed) == pytest.approx((b.fixed.lower, b.fixed.upper), rel=1e-5)
        bands = cells(screen.query_one("#bands-table"))
        numeric = [n for n, q in p.queries.items() if q.kind != "distribution"]
        assert list(bands) == numeric
        for q in numeric:
            band = p.band(q)
            _, value, half, certified_band, radii, exact, _ = bands[q]
            assert close(value, band.value) and float(half) == pytest.approx(band.half_width, rel=1e-2)
            assert (exact == "not computed" if band.exact_lower is None else
                    interval(exact) == pytest.approx((band.exact_lower, band.exact_upper), rel=1e-5))
            assert interval(certified_band) == pytest.approx((band.lower, band.upper), rel=1e-5)
            assert radii.startswith(", ".join(f"{b} {e:g}" for b, e in band.radii.items()) or "none")
        # the detail of the highlighted entry: the choices attaining lower and upper, the method and the doc
        detail = shown(screen.query_one("#bounds-detail"))
        first = next(iter(p.credal))
        assert "lower at: " in detail and "upper at: " in detail and "method: " in detail
        assert p.credal[first].doc.split()[0] in detail


async def test_credal_control_catastrophe_range_is_the_worked_example(driver):
    app = MarkovwireApp(CREDAL)
    async with app.run_test(size=(120, 40)) as pilot:
        k = driver(app, pilot)
        screen = await open_bounds(k)
        row = cells(screen.query_one("#bounds-table"))["credal:catastrophe_range"]
        assert row[2:5] == ["0.0633968", "0.397632", "exact (both)"]      # ALIGNMENT §6
        detail = shown(screen.query_one("#bounds-detail"))
        assert "lower at: beta = 0.01; r_ok = 0.9" in detail and "upper at: beta = 0.05; r_ok = 0.6" in detail
        assert "adaptive (components may change every step): [0.0633968, 0.397632]" in detail


async def test_intervals_bound_every_query_and_can_be_kept_in_the_file(driver, credal_copy):
    p = load_proposal(CREDAL)
    app = MarkovwireApp(credal_copy)
    async with app.run_test(size=(120, 40)) as pilot:
        k = driver(app, pilot)
        screen = await open_bounds(k)
        credal = {r.key: r.result for r in screen.rows if r.entry}
        assert credal and all(credal.values())
        await k.press("i")
        await k.type("beta")
        await k.press("enter")
        assert k.screen_name() == "PromptScreen"
        await k.type("0.05, 0.01")                            # the wrong way round: refused, the dialog stays
        await k.press("enter")
        assert k.screen_name() == "PromptScreen"
        assert "[0.05, 0.01] is not an interval inside the domain [0, 1] of 'beta'" in dialog_error(app)
        await k.clear_and_type("0.01, 0.05")
        await k.press("enter")
        await k.settle()
        assert app.intervals == {"beta": (0.01, 0.05)}
        assert {r.key: r.result for r in screen.rows if r.entry} == credal     # the file's entries: not asked again
        assert all(r.result is credal[r.key] for r in screen.rows if r.entry)
        rows = cells(screen.query_one("#bounds-table"))
        for q in p.queries:
            b = p.bounds(q, {"beta": (0.01, 0.05)})
            assert close(rows[f"adhoc:{q}"][2], b.lower) and close(rows[f"adhoc:{q}"][3], b.upper)
        assert "beta ∈ [0.01, 0.05]" in shown(screen.query_one("#bounds-status"))

        # keep the bounds of safety as a credal entry of the file
        table = screen.query_one("#bounds-table")
        table.move_cursor(row=table.get_row_index("adhoc:safety"))
        await k.press("k")
        assert k.screen_name() == "PromptScreen"
        await k.press("enter")                                # the name offered: safety_range
        await k.settle()
        spec = app.document.spec.credal["safety_range"]
        assert spec.query == "safety" and spec.intervals == {"beta": [0.01, 0.05]}
        rows = cells(screen.query_one("#bounds-table"))
        assert rows["credal:safety_range"][2:4] == rows["adhoc:safety"][2:4]
        await k.press("ctrl+s")
        saved = load_proposal(credal_copy)
        assert saved.value("safety_range").lower == pytest.approx(p.bounds("safety", {"beta": (0.01, 0.05)}).lower)

        # remove it again, then undo the removal
        table.move_cursor(row=table.get_row_index("credal:safety_range"))
        await k.press("x")
        await k.settle()
        assert "safety_range" not in app.document.spec.credal
        await k.press("u")
        await k.settle()
        assert "credal:safety_range" in cells(screen.query_one("#bounds-table"))


async def test_a_tv_radius_set_in_the_ui_changes_the_band_and_undo_restores_it(driver):
    p = load_proposal(CREDAL)
    app = MarkovwireApp(CREDAL)
    async with app.run_test(size=(120, 40)) as pilot:
        k = driver(app, pilot)
        screen = await open_bounds(k)
        half = lambda: float(cells(screen.query_one("#bands-table"))["p_catastrophe"][2])
        assert half() == pytest.approx(p.band("p_catastrophe").half_width)             # 100 · 0.001
        await k.press("t")
        await k.type("monitor")
        await k.press("enter")
        await k.clear_and_type("1.5")
        await k.press("enter")
        assert "TV radius of 'monitor': 1.5 is outside [0, 1]" in dialog_error(app)
        await k.clear_and_type("0.002")
        await k.press("enter")
        await k.settle()
        assert app.document.spec.instances["monitor"].tv_radius == 0.002
        assert half() == pytest.approx(p.band("p_catastrophe", {"monitor": 0.002}).half_width)
        assert half() == pytest.approx(0.2)
        await k.press("u")
        await k.settle()
        assert app.document.spec.instances["monitor"].tv_radius == 0.001
        assert half() == pytest.approx(0.1)

        # from the workspace: t on the selected instance; the inspector shows the radius
        await k.press("escape")
        await k.settle()
        app.main.select_box("policy")
        await k.press("t")
        await k.type("0.01")
        await k.press("enter")
        await k.settle()
        assert app.document.spec.instances["policy"].tv_radius == 0.01
        assert "TV radius 0.01" in shown(app.main.query_one("#inspector"))
        await k.press("b")
        await k.settle()
        screen = app.screen
        band = p.band("p_catastrophe", {"policy": 0.01})
        assert half() == pytest.approx(band.half_width)
        assert "policy 0.01" in cells(screen.query_one("#bands-table"))["p_catastrophe"][4]


async def test_a_query_that_cannot_be_bounded_says_why_in_the_error_panel(driver):
    app = MarkovwireApp(CREDAL)
    async with app.run_test(size=(120, 40)) as pilot:
        k = driver(app, pilot)
        await k.settle()
        app.document.add_query("p_given", {"probability": {"episode": "catastrophe"}, "given": {"audit": "unaudited"},
                                           "inputs": {"intent": "scheming"}})
        app.intervals = {"beta": (0.01, 0.05)}
        screen = await open_bounds(k)
        assert cells(screen.query_one("#bands-table"))["p_given"][1] == "n/a"
        assert cells(screen.query_one("#bounds-table"))["adhoc:p_given"][2] == "n/a"
        panel = screen.query_one("#bounds-problems")
        assert panel.display and len(panel.problems) == 2
        texts = "\n".join(p.text for p in panel.problems)
        assert "TV band of 'p_given': conditions on evidence in an episode" in texts
        assert "the query conditions on evidence ('given')" in texts


async def test_flow_claims_and_an_ad_hoc_check_kept_as_a_claim(driver, credal_copy):
    app = MarkovwireApp(credal_copy)
    async with app.run_test(size=(120, 40)) as pilot:
        k = driver(app, pilot)
        await k.settle()
        await k.press("f")
        await k.settle()
        assert k.screen_name() == "FlowScreen"
        screen = app.screen
        checks = load_proposal(CREDAL).claims().checks
        rows = list(cells(screen.query_one("#claims-table")).values())
        assert [(r[0], r[1]) for r in rows] == [(c.claim, "✓ yes" if c.holds else "✗ no") for c in checks]
        assert "The policy never learns the monitor's score" in shown(screen.query_one("#claim-detail"))

        await k.press("n")
        await k.type("monitor.sus")
        await k.press("enter")
        await k.type("intnt")
        await k.press("enter")
        result = lambda: shown(screen.query_one("#check-result"))
        assert "B: no wire 'intnt' (did you mean 'intent'?)" in result()
        await k.press("k")                                    # typed into the field: nothing was kept
        assert len(app.document.spec.claims) == 3
        screen.query_one("#check-b").value = "intent"
        await k.press("enter")
        assert "monitor.sus ⊥ intent: does not hold" in result()
        assert "monitor.sus ← policy.act ← intent" in result()
        await k.press("k")
        assert k.screen_name() == "PromptScreen"
        await k.type("the score depends on the model only through its submission")
        await k.press("enter")
        await k.settle()
        claim = app.document.spec.claims[-1]
        assert claim.independent == [["monitor.sus"], ["intent"]]
        assert cells(screen.query_one("#claims-table"))["3"][1] == "✗ no"
        assert "1 of 4 claims does not hold" in shown(screen.query_one("#flow-status"))

        await k.press("ctrl+s")
        saved = load_proposal(credal_copy)
        assert saved.spec.claims[-1] == claim and claim.doc.startswith("the score depends")
        assert [str(c) for c in saved.claims().checks][-1] == \
            "monitor.sus ⊥ intent: no (path: monitor.sus ← policy.act ← intent)"

        # the same check given the submission holds (it is the file's second claim)
        await k.press("n")
        screen.query_one("#check-given").value = "policy.act"
        await k.press("enter")
        assert "monitor.sus ⊥ intent | policy.act: holds for every choice of kernels" in result()
        await k.press("k")
        await k.press("enter")
        assert k.screen_name() == "PromptScreen"
        assert "is already one of the file's claims" in dialog_error(app)
        await k.press("escape")

        # remove the new claim and undo that
        table = screen.query_one("#claims-table")
        table.move_cursor(row=3)
        await k.press("x")
        await k.settle()
        assert len(app.document.spec.claims) == 3
        await k.press("u")
        await k.settle()
        assert len(app.document.spec.claims) == 4 and table.row_count == 4


async def test_trusted_monitoring_claims_hold(driver):
    app = MarkovwireApp(TRUSTED)
    async with app.run_test(size=(80, 24)) as pilot:
        k = driver(app, pilot)
        await k.settle()
        await k.press("ctrl+p")
        await k.type("Flow claims")
        await k.press("enter")
        await k.settle()
        assert k.screen_name() == "FlowScreen"
        rows = list(cells(app.screen.query_one("#claims-table")).values())
        assert [r[0] for r in rows] == ["policy never sees monitor.sus", "monitor.sus ⊥ intent | policy.act"]
        assert "✓ all 2 claims hold" in shown(app.screen.query_one("#flow-status"))
        await k.press("ctrl+p")                               # the palette offers this screen's actions ...
        await k.type("Bounds")
        await k.press("enter")
        await k.settle()
        assert k.screen_name() == "BoundsScreen"              # ... and the other views, in place of this one
        assert [type(s).__name__ for s in app.screen_stack[1:]] == ["MainScreen", "BoundsScreen"]


async def test_the_palette_offers_only_what_works_on_the_screen(driver):
    from markovwire.tui.commands import ActionsProvider
    app = MarkovwireApp(CREDAL)
    async with app.run_test(size=(120, 40)) as pilot:
        k = driver(app, pilot)
        screen = await open_bounds(k)
        titles = {a.title for a in ActionsProvider(screen)._entries()}
        assert {"Parameter interval", "TV radius", "Keep as credal entry", "Undo", "Flow claims"} <= titles
        assert "Add component" not in titles and "Keep as claim" not in titles
        titles = {a.title for a in ActionsProvider(app.main)._entries()}
        assert {"Add component", "TV radius", "Bounds"} <= titles and "Parameter interval" not in titles


async def test_compare_shows_what_changed_and_credal_intervals(driver):
    mine, theirs = load_proposal(TRUSTED), load_proposal(CREDAL)
    app = MarkovwireApp(TRUSTED)
    async with app.run_test(size=(80, 24)) as pilot:
        k = driver(app, pilot)
        await k.settle()
        await k.press("ctrl+d")
        await k.type(str(CREDAL))
        await k.press("enter")
        await k.settle()
        assert k.screen_name() == "CompareScreen"
        changes = shown(app.screen.query_one("#changes"))
        d = proposal_diff(mine, theirs)
        for p, what in d.params_changed.items():
            assert f"~ {p}: {'; '.join(what)}" in changes
        assert "~ T: default 5000 → 100" in changes            # the episode length is not a parameter of the nets
        rows = cells(app.screen.query_one("#compare-table"))
        change = next(q for q in d.queries if q.query == "safety")
        assert close(rows["safety"][1], change.old) and close(rows["safety"][3], change.new)
        assert "only B has catastrophe_range, imprecise_monitor" in shown(app.screen.query_one("#compare-note"))
        await k.press("w")                                    # swap: credal_control is A
        await k.settle()
        assert "~ T: default 100 → 5000" in shown(app.screen.query_one("#changes"))
