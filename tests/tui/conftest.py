"""Pilot helpers for the terminal UI: a private state directory and working directory per test,
and a small driver that types text and waits for the evaluation workers."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def private_dirs(tmp_path, monkeypatch):
    """Each test gets its own recovery-file directory and works in its own folder."""
    monkeypatch.setenv("MARKOVWIRE_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.chdir(tmp_path)
    # a pilot types faster than any person: keys right after a dialog closes are meant, not typed blind
    # (tests/tui/test_keys.py turns the guard back on where it is the point)
    monkeypatch.setattr("markovwire.tui.keyguard.SETTLE_SECONDS", 0.0)
    return tmp_path


class Driver:
    """Keys and text into a running app, and waiting until it has finished what they started."""

    def __init__(self, app, pilot):
        self.app, self.pilot = app, pilot

    async def press(self, *keys: str) -> None:
        await self.pilot.press(*keys)
        await self.pilot.pause()

    async def type(self, text: str) -> None:
        await self.pilot.press(*text)
        await self.pilot.pause()

    async def clear_and_type(self, text: str) -> None:
        """Replace the focused field's text (select all, then type)."""
        widget = self.app.focused
        if hasattr(widget, "value"):
            widget.value = ""
        await self.type(text)

    async def settle(self) -> None:
        """Wait for screen switches and for every worker (evaluation, sweep) to finish."""
        await self.pilot.pause()
        await self.app.workers.wait_for_complete()
        await self.pilot.pause()
        await self.app.workers.wait_for_complete()
        await self.pilot.pause()

    def screen_name(self) -> str:
        return type(self.app.screen).__name__


@pytest.fixture
def driver():
    return Driver


@pytest.fixture
def plain_default(tmp_path):
    """The shipped default proposal (boxes, parameters, queries, comments) without its sweep, adversaries, credal
    entries, claims and blue team: the UI re-evaluates those after every edit, which a test of saving, recovery
    or undo does not look at."""
    from markovwire.library.shipped import default_proposal
    text = default_proposal().read_text(encoding="utf-8")
    path = tmp_path / "prop.yaml"
    kept = text.partition("\nsweeps:")[0] + "\n"
    assert "\nqueries:" in kept and "\nadversary:" not in kept, "the shipped file's sections moved: trim it anew"
    path.write_text(kept, encoding="utf-8")
    return path
