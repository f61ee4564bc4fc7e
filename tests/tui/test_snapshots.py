"""Snapshots of the main screens (pytest-textual-snapshot; update with --snapshot-update after a deliberate change)."""
from __future__ import annotations

from markovwire.library.shipped import proposals_dir
from markovwire.tui.app import MarkovwireApp


async def settled(pilot) -> None:
    """Evaluation finished, cursors still (no blinking), no toasts."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    for widget in pilot.app.screen.query("Input, TextArea"):
        widget.cursor_blink = False
    pilot.app.clear_notifications()              # toasts come and go with the machine's speed
    await pilot.pause()


def test_workspace(snap_compare, monkeypatch):
    monkeypatch.chdir(proposals_dir())           # the header names the file as trusted_monitoring.yaml
    assert snap_compare(MarkovwireApp("trusted_monitoring.yaml"), terminal_size=(120, 40), run_before=settled)


def test_workspace_small_terminal(snap_compare, monkeypatch):
    monkeypatch.chdir(proposals_dir())
    assert snap_compare(MarkovwireApp("trusted_monitoring.yaml"), terminal_size=(80, 24), run_before=settled)


def test_connect_dialog_while_building(snap_compare):
    """An unfinished diagram: open inputs marked, problems listed, the connect dialog offering typed wires."""
    async def build(pilot):
        app = pilot.app
        for comp, name in [("task_source", "task"), ("untrusted_policy", "policy"), ("trusted_monitor", "monitor")]:
            app.document.add_instance(comp, name)
        app.main.refresh_document()
        app.main.select_box("policy")
        await pilot.press("c")
        await settled(pilot)

    assert snap_compare(MarkovwireApp(new=True), terminal_size=(120, 40), run_before=build)
