"""The limits dialog (Ctrl+K, "Limits…"): a query over the cost budget is refused with the UI's way to raise it,
raised in the dialog, and then answered as Python answers it; mistakes stay in the dialog and change nothing."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from markovwire import limits
from markovwire.errors import ContractionTooLarge, ParameterError, TypeMismatch
from markovwire.library import load_proposal
from markovwire.library.shipped import default_proposal
from markovwire.tui.app import MarkovwireApp
from markovwire.tui.screens.limits import LIMITS, in_the_ui, parse, set_limits, shown

OFF_SWITCH = Path(default_proposal()).parent / "off_switch.yaml"     # a small proposal: 44 operations a query


@pytest.fixture(autouse=True)
def limits_kept():
    """The limits are the process's: every test leaves them as it found them."""
    saved = {lim.name: lim.get() for lim in LIMITS}
    yield
    for lim in LIMITS:
        lim.set(saved[lim.name])


def status(app) -> str:
    return str(app.main.query_one("#results-status").render())


def dialog_error(app) -> str:
    return str(app.screen.query_one("#dialog-error").render())


async def test_a_query_over_the_cost_budget_is_answered_once_the_budget_is_raised_in_the_dialog(driver):
    limits.set_cost_budget(10)
    app = MarkovwireApp(OFF_SWITCH)
    async with app.run_test(size=(80, 24)) as pilot:
        k = driver(app, pilot)
        await k.settle()
        said = " ".join(status(app).split())
        assert "queries.value_defer: contraction: needs 44 operations, 4.4x the cost budget of 10" in said
        assert "fix: press ^k (Limits) to change the budgets for this session; or raise the budget: " \
               "--max-cost 44 on the command line" in said
        assert app.main.results == {}

        await k.press("ctrl+k")
        assert k.screen_name() == "LimitsScreen"
        assert app.focused is app.screen.query_one("#limit-memory")
        assert app.screen.query_one("#limit-cost").value == "10"
        await k.press("tab")
        assert app.focused is app.screen.query_one("#limit-cost")
        await k.clear_and_type("1e9")
        await k.press("enter")
        await k.settle()
        assert k.screen_name() == "MainScreen"
        assert limits.cost_budget() == 1e9
        assert limits.memory_budget() == limits.DEFAULT_MEMORY_BUDGET      # left as shown: untouched

        expected = load_proposal(OFF_SWITCH).evaluate()                     # Python, at the same budget
        assert set(app.main.results) == set(expected) and expected
        for name, value in expected.items():
            assert app.main.results[name] == pytest.approx(value, rel=1e-12, abs=1e-15), name
        assert app.main.results["value_defer"] == pytest.approx(1.0)       # E[max(U, 0)], eta = 0
        assert app.main.results["value_act"] == pytest.approx(0.25)        # E[U]
        assert "Limits for this session: cost 1e+09" in "\n".join(n.message for n in app._notifications)
        assert "✗" not in status(app)


async def test_a_mistake_stays_in_the_dialog_and_changes_no_limit(driver):
    app = MarkovwireApp(OFF_SWITCH)
    async with app.run_test(size=(120, 40)) as pilot:
        k = driver(app, pilot)
        await k.settle()
        before = {lim.name: lim.get() for lim in LIMITS}
        await k.press("ctrl+k")
        await k.clear_and_type("8 gigs")                   # memory: not a size
        await k.press("tab")
        await k.clear_and_type("1e12")                     # cost: fine, but not set alone
        await k.press("enter")
        assert k.screen_name() == "LimitsScreen"
        assert "memory: '8 gigs' is not a memory size" in dialog_error(app)
        assert "write e.g. memory 8GiB" in dialog_error(app)
        assert {lim.name: lim.get() for lim in LIMITS} == before

        app.screen.query_one("#limit-memory").value = "8GiB"
        app.screen.query_one("#limit-points").value = "0"  # not positive
        await k.press("enter")
        assert k.screen_name() == "LimitsScreen"
        assert "sweep points: 0 is not a positive number" in dialog_error(app)
        assert {lim.name: lim.get() for lim in LIMITS} == before

        app.screen.query_one("#limit-points").value = "lots"
        await k.press("enter")
        assert "sweep points: 'lots' is not a number" in dialog_error(app)
        assert "write a number such as 10000000" in dialog_error(app)

        await k.press("escape")                            # Escape: nothing changes
        assert k.screen_name() == "MainScreen"
        assert {lim.name: lim.get() for lim in LIMITS} == before


async def test_limits_from_the_palette_and_the_help_and_the_dialog_fits_a_small_terminal(driver):
    app = MarkovwireApp(OFF_SWITCH)
    async with app.run_test(size=(80, 24)) as pilot:
        k = driver(app, pilot)
        await k.settle()
        await k.press("ctrl+p")
        await k.type("Limits")
        await k.press("enter")
        await k.settle()
        assert k.screen_name() == "LimitsScreen"
        dialog = app.screen.query_one("#limits")
        assert app.screen.region.contains_region(dialog.region)
        for lim in LIMITS:                                 # every field and its default visible at 80x24
            field = app.screen.query_one(f"#limit-{lim.name}")
            assert field.region.area > 0 and dialog.region.contains_region(field.region), lim.name
        assert app.focused is app.screen.query_one("#limit-memory")
        assert app.focused.styles.border_left[0] not in ("", "none", "hidden")     # visibly focused
        keys = app.screen.query(".dialog-keys").first()
        assert dialog.region.contains_region(keys.region)
        await k.press("escape")
        assert k.screen_name() == "MainScreen"

        await k.press("f1")
        from rich.console import Console

        from markovwire.tui.screens.help import help_table
        console = Console(record=True, width=200)
        console.print(help_table())
        row = next(line for line in console.export_text().splitlines() if "Limits…" in line)
        assert row.split()[:2] == ["^k", "Limits…"] and "raise them for this session" in row
        await k.press("ctrl+k")
        assert k.screen_name() == "LimitsScreen"
        await k.press("escape")


async def test_a_sweep_figure_and_memory_limit_set_in_the_dialog_hold_for_the_session(driver):
    app = MarkovwireApp(OFF_SWITCH)
    async with app.run_test(size=(120, 40)) as pilot:
        k = driver(app, pilot)
        await k.settle()
        await k.press("ctrl+k")
        for name, text in (("memory", "512MiB"), ("points", "2e7"), ("boxes", "5000")):
            app.screen.query_one(f"#limit-{name}").value = text
        await k.press("enter")
        await k.settle()
        assert (limits.memory_budget(), limits.sweep_limit(), limits.figure_limit()) == (512 * 2**20, 20_000_000, 5000)
        await k.press("ctrl+k")                            # shown as set
        assert [app.screen.query_one(f"#limit-{lim.name}").value for lim in LIMITS] == \
            ["512MiB", "1e+09", "20000000", "5000"]
        await k.press("escape")


def test_only_the_budgets_refusal_gets_the_ui_fix():
    refused = ContractionTooLarge("p.yaml:3: queries.q", "needs 2e+06 operations", fix="--max-cost 2e+06")
    shown_in_ui = in_the_ui(refused)
    assert isinstance(shown_in_ui, ContractionTooLarge) and shown_in_ui.where == refused.where
    assert shown_in_ui.fix == "press ^k (Limits) to change the budgets for this session; or --max-cost 2e+06"
    other = TypeMismatch("box 'm'", "expected Act")
    assert in_the_ui(other) is other


def test_set_limits_is_all_or_nothing():
    before = limits.cost_budget()
    with pytest.raises(ParameterError) as err:
        set_limits({"cost": "1e12", "boxes": "-3"})
    assert err.value.where == "figure boxes" and "not a positive number" in err.value.what
    assert limits.cost_budget() == before
    assert set_limits({"cost": "inf"}) == {"cost": float("inf")}       # no cost limit at all


@given(st.integers(1, 2**53))       # parse_bytes reads through a float: exact below 2**53 bytes (8 PiB)
def test_a_memory_size_shown_reads_back_exactly(nbytes):
    assert parse("memory", shown("memory", nbytes)) == nbytes


@given(st.floats(1e-3, 1e30))
def test_a_cost_shown_reads_back(cost):
    assert parse("cost", shown("cost", cost)) == pytest.approx(cost, rel=0)


async def test_the_bounds_screen_says_how_to_raise_the_budget_and_follows_it(driver):
    limits.set_cost_budget(10)
    app = MarkovwireApp(OFF_SWITCH)
    async with app.run_test(size=(120, 40)) as pilot:
        k = driver(app, pilot)
        await k.settle()
        await k.press("b")
        await k.settle()
        assert k.screen_name() == "BoundsScreen"
        refused = [b for b in app.screen.bands.values() if isinstance(b, ContractionTooLarge)]
        assert refused and all(b.fix.startswith("press ^k (Limits) to change the budgets for this session; or "
                                                "raise the budget: --max-cost") for b in refused)
        await k.press("ctrl+k")                            # from the bounds screen itself
        assert k.screen_name() == "LimitsScreen"
        app.screen.query_one("#limit-cost").value = "1e9"
        await k.press("enter")
        await k.settle()
        assert k.screen_name() == "BoundsScreen"
        assert app.screen.bands and not any(isinstance(b, Exception) for b in app.screen.bands.values())
        expected = load_proposal(OFF_SWITCH)
        for q, band in app.screen.bands.items():
            assert band == expected.band(q), q
