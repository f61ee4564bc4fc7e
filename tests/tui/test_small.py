"""Small terminals (issue 12): at 80x24 (and 120x40) every table's cells are shown whole, the footer's keys fit,
and the diagram, the results and the bounds can be read off the rendered screen."""
from __future__ import annotations

import re

import pytest
from rich.text import Text
from textual.widgets import DataTable
from textual.widgets._footer import FooterKey

from markovwire.library import load_proposal
from markovwire.library.shipped import default_proposal
from markovwire.tui.app import MarkovwireApp
from markovwire.tui.widgets.keys_footer import KeysFooter
from markovwire.tui.widgets.results_table import bar, number

SIZES = [(80, 24), (120, 40)]


def screen_lines(app) -> list[str]:
    """The screen as the terminal shows it, line by line (notifications cleared first)."""
    update = app.screen._compositor.render_full_update(simplify=True)
    return ["".join(seg.text for strip in line for seg in strip) for line in update.strips]


def line_with(lines: list[str], *parts: str) -> str:
    """The first line showing every one of ``parts`` (fails with the screen when there is none)."""
    found = [line for line in lines if all(p in line for p in parts)]
    assert found, f"no line shows {parts!r}; the screen was:\n" + "\n".join(lines)
    return found[0]


def assert_fits(table: DataTable) -> None:
    """Every column inside the table's visible width, every cell's text inside its column (in a wrapping column: the
    row tall enough for all its lines)."""
    room = table.scrollable_content_region.width
    columns = list(table.columns.values())
    used = sum(c.get_render_width(table) for c in columns)
    assert used <= room, f"{type(table).__name__}: columns need {used} cells, the table shows {room}"
    assert table.screen.region.contains_region(table.region), f"{type(table).__name__} is cut off by the screen"
    for row_key, row in table.rows.items():
        for column, cell in zip(columns, table.get_row(row_key)):
            text = cell if isinstance(cell, Text) else Text(str(cell))
            width = column.content_width if column.auto_width else column.width
            longest = max((len(line) for line in text.plain.splitlines()), default=0)
            if longest <= width:
                continue
            lines = len(text.wrap(table.app.console, width))
            assert lines <= row.height, \
                f"{type(table).__name__}: {text.plain!r} does not fit a column of {width}"


def assert_footer_fits(app) -> None:
    footer = app.screen.query_one(KeysFooter)
    keys = list(footer.query(FooterKey))
    assert keys
    for key in keys:
        assert footer.region.contains_region(key.region), f"footer key {key.action} is cut off"
    right = max(k.region.right for k in keys)
    assert right <= app.size.width
    for a in keys:                                    # none drawn over another (the palette key is docked right)
        for b in keys:
            assert a is b or not a.region.overlaps(b.region), f"footer keys {a.action} and {b.action} overlap"


async def settle(pilot) -> None:
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    pilot.app.clear_notifications()
    await pilot.pause()


@pytest.fixture(scope="module")
def expected():
    p = load_proposal(default_proposal())
    return p.evaluate(queries=list(p.queries))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_workspace_results_and_bounds_are_readable(size, expected):
    app = MarkovwireApp()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        main = app.main
        diagram = main.query_one("#diagram")
        assert diagram.size.height >= 6 and diagram.size.width >= 70          # room for a few boxes
        for table in main.query(DataTable):
            if table.display and table.size.area:
                assert_fits(table)
        assert_footer_fits(app)
        lines = screen_lines(app)
        for name, value in expected.items():                                  # the results, as computed, with bars
            line_with(lines, name, number(value), bar(value))
        params = main.query_one("#parameters")
        assert line_with(lines, "beta", "sweep")                              # its role, not cut
        assert "sweep" in str(params.get_row("beta")[2])

        await pilot.press("4", "z")                                           # the results, zoomed: every row
        await settle(pilot)
        table = main.query_one("#results")
        assert table.virtual_size.height <= table.size.height + 1, "zoomed results still scroll"
        lines = screen_lines(app)
        worst = app.main.results["worst_safety"]
        line_with(lines, "worst_safety", number(worst.value))
        line_with(lines, "any_policy", number(app.main.results["any_policy"].value))
        flowing = re.sub(r"[│\s]+", " ", "\n".join(lines))                   # lines wrapped in a cell, joined
        for inputs, out in app.main.results["any_policy"].policy.items():    # each input and the action taken
            assert f"{inputs} → {out}" in flowing
        await pilot.press("z", "escape")

        await pilot.press("b")
        await settle(pilot)
        assert type(app.screen).__name__ == "BoundsScreen"
        for table in app.screen.query(DataTable):
            if table.display and table.size.area:
                assert_fits(table)
        assert_footer_fits(app)
        lines = screen_lines(app)
        line_with(lines, "safety_monitor_ci", "0.405966", "0.827826", "exact (both)")
        for name in ("p_catastrophe", "safety", "p_caught", "usefulness"):
            v = number(expected[name])
            line_with(lines, name, f"[{v}, {v}]")


def test_a_column_that_does_not_fit_wraps_then_goes():
    from markovwire.tui.widgets.keyed_table import Column, fit
    cols = [Column("entry"), Column("query", width=8, wrap=True), Column("lower"), Column("bar", width=10, drop=1),
            Column("fixed choice", drop=2)]
    rows = [["safety_monitor_ci", "P(episode = catastrophe)", "0.405966", "·" * 10, "[0.405966, 0.827826]"]]
    assert fit(cols, rows, 200) == [(0, 17), (1, 24), (2, 8), (3, 10), (4, 20)]     # room: all on one line
    assert fit(cols, rows, 76) == [(0, 17), (1, 11), (2, 8), (3, 10), (4, 20)]      # the query wraps first
    assert fit(cols, rows, 60) == [(0, 17), (1, 17), (2, 8), (3, 10)]               # then the fixed choice goes
    assert fit(cols, rows, 45) == [(0, 17), (1, 14), (2, 8)]                        # then the strip
    assert fit(cols, rows, 30) == [(0, 17), (1, 8), (2, 8)]                         # too narrow: at least 8 wide


async def test_a_short_terminal_shows_the_expression_while_it_is_edited():
    app = MarkovwireApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        editor = app.main.query_one("#expression")
        assert not editor.display and editor.size.height == 0               # the rows go to the diagram and results
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert editor.display and app.focused is editor and editor.size.height > 0
        await pilot.press("ctrl+end", *" >> x")
        await pilot.press("escape")                                         # reverts, leaves, and hides it again
        await pilot.pause()
        assert app.focused is app.main.query_one("#diagram") and not editor.display
        assert editor.text == app.document.expression()[0]


async def test_the_footer_follows_the_focus_and_is_rebuilt_only_when_its_keys_change():
    """The footer shows the keys of the panel that has the focus; a dialog that closes on the same panel leaves the
    footer's keys as they were (Textual's footer would build all of them again)."""
    app = MarkovwireApp(new=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        footer = app.main.query_one(KeysFooter)
        shown = lambda: {k.action for k in footer.query(FooterKey)}
        assert app.focused is app.main.query_one("#diagram")
        assert "screen.connect" in shown()                                   # the diagram's keys
        await pilot.press("3")                                                # the parameters
        await settle(pilot)
        assert app.focused is app.main.query_one("#parameters")
        assert "screen.connect" not in shown() and "select_cursor" in shown()   # Enter sets a parameter
        await pilot.press("1")
        await settle(pilot)
        assert "screen.connect" in shown() and "select_cursor" not in shown()
        keys = list(footer.query(FooterKey))
        await pilot.press("a")                                                # a dialog, then back
        await settle(pilot)
        assert type(app.screen).__name__ == "AddComponentScreen"
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.main and app.focused is app.main.query_one("#diagram")
        assert list(footer.query(FooterKey)) == keys and all(k.is_attached for k in keys)
        assert_footer_fits(app)



async def test_an_edit_redraws_only_the_panels_it_changes(plain_default):
    """Every edit redraws the workspace from the document; a panel whose content did not change keeps what it shows
    (the diagram is not drawn again for a parameter's value, the expression keeps its cursor)."""
    app = MarkovwireApp(plain_default)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        main = app.main
        diagram, editor = main.query_one("#diagram"), main.query_one("#expression")
        problems, params = main.query_one("#problems"), main.query_one("#parameters")
        listed = lambda: [problems.get_option_at_index(i) for i in range(problems.option_count)]
        editor.move_cursor(editor.document.end)
        picture, options, cursor = diagram.picture, listed(), editor.cursor_location
        assert cursor != (0, 0)

        app.document.set_parameter("beta", "0.01")
        app.document_changed()
        await settle(pilot)
        assert "0.01" in str(params.get_row("beta")[1])                     # the changed panel shows the change
        assert app.main.results["safety"] == pytest.approx(load_proposal(default_proposal()).value(
            "safety", {"beta": 0.01}), rel=1e-12)
        assert diagram.picture is picture and listed() == options           # the others are as they were
        assert editor.cursor_location == cursor and editor.text == app.document.expression()[0]

        app.main.select_box("monitor")
        await pilot.press("x")                                               # a box goes: all of it is redrawn
        await settle(pilot)
        assert "monitor" not in app.document.spec.instances and diagram.picture is not picture
        assert "monitor" not in diagram.picture.regions
        assert problems.problems and listed() != options                    # the auditor's input is left open
        assert "auditor.sus is not connected" in editor.text                 # no expression now, and it says why
