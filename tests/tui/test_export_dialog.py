"""The export dialog (issue 16): its fields build the RenderOptions that Python and the command line build, the
figure shows them, a bad value is shown with its fix while the dialog stays open, and it fits 80x24."""
from __future__ import annotations

import re

import pytest
from textual.widgets import Input, Select

from markovwire.diagrams.style import RenderOptions
from markovwire.tui.app import MarkovwireApp

SIZES = [(80, 24), (120, 40)]


def screen_lines(app) -> list[str]:
    update = app.screen._compositor.render_full_update(simplify=True)
    return ["".join(seg.text for strip in line for seg in strip) for line in update.strips]


async def open_export(k) -> None:
    await k.settle()
    await k.press("ctrl+e")
    assert k.screen_name() == "ExportScreen"


def fill(app, path, **fields) -> None:
    """Set the dialog's fields as a user would leave them, and focus the file field."""
    screen = app.screen
    for name, value in fields.items():
        screen.query_one(f"#export-{name.replace('_', '-')}").value = value  # a Select, Input or Checkbox
    box = screen.query_one("#export-path", Input)
    box.value = str(path)
    box.focus()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_dialogs_options_are_the_cli_and_python_options(driver, tmp_path, size, plain_default):
    app = MarkovwireApp(plain_default)        # the diagram only: no sweep or adversary to evaluate
    async with app.run_test(size=size) as pilot:
        k = driver(app, pilot)
        await open_export(k)
        lines = screen_lines(app)
        for shown in ("format", "direction", "theme", "labels", "width", "font", "png dpi", "hide types",
                      "Esc: cancel"):
            assert any(shown in line for line in lines), (shown, "\n".join(lines))
        out = tmp_path / "figure.dot"
        fill(app, tmp_path / "figure.svg", direction="TB", theme="paper", labels="both", width="8cm", hide_types=True)
        await k.settle()
        app.screen.query_one("#export-format", Select).value = "dot"  # picking a format changes the suffix
        await k.settle()
        assert app.screen.query_one("#export-path", Input).value == str(out)
        assert app.screen.options() == RenderOptions(direction="TB", theme="paper", labels="both", width="8cm",
                                                     hide_types=True)
        await k.press("enter")
        await k.settle()
        assert k.screen_name() == "MainScreen"
        dot = out.read_text()
        assert "rankdir=TB" in dot and 'size="3.15,9"' in dot
        assert "trusted_monitor_table" in dot and "#b2182b" not in dot and ">Verdict<" not in dot
        assert app.render_options == RenderOptions(direction="TB", theme="paper", labels="both", width="8cm",
                                                   hide_types=True)
        # the next export starts from the last options
        await k.press("ctrl+e")
        assert app.screen.query_one("#export-theme", Select).value == "paper"
        assert app.screen.query_one("#export-width", Input).value == "3.15in"
        assert app.screen.options() == app.render_options


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_a_bad_width_is_shown_with_its_fix_and_the_dialog_stays(driver, tmp_path, size, plain_default):
    app = MarkovwireApp(plain_default)
    async with app.run_test(size=size) as pilot:
        k = driver(app, pilot)
        await open_export(k)
        out = tmp_path / "figure.svg"
        fill(app, out, width="-3cm", dpi="300")
        await k.press("enter")
        assert k.screen_name() == "ExportScreen" and not out.exists()
        text = re.sub(r"[│█▌▐]", " ", "\n".join(screen_lines(app)))
        assert "render option --width: -3cm is not a positive width" in text
        assert "fix: pass a width such as --width column" in text
        assert "Esc: cancel" in text  # the whole message and the keys are on the screen
        fill(app, out, dpi="lots", width="column")
        await k.press("enter")
        assert "render option --dpi: 'lots' is not a whole number" in "\n".join(screen_lines(app))
        fill(app, out, dpi="300", width="column")  # corrected: it exports
        await k.press("enter")
        await k.settle()
        assert k.screen_name() == "MainScreen" and out.read_text().startswith("<?xml")
