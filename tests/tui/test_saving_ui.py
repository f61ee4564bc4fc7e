"""The UI never loses work: it starts without colours (NO_COLOR), a save that fails keeps the document unsaved and
says why, and recovery files are offered only for their document and only when the UI that wrote them is gone."""
from __future__ import annotations

import errno
import os
import re
import shutil

import pytest

from markovwire.tui.app import MarkovwireApp
from markovwire.tui.document import Document
from markovwire.tui.recovery import Instance, document_key, orphans
from markovwire.tui.settings import recovery_dir


def notes(app) -> str:
    """Every notification shown so far (kept by :func:`spy`: a toast expires, on a loaded machine even before it is
    read)."""
    return "\n".join(f"{title}: {message}" for message, title in app.shown)


def spy(app: MarkovwireApp) -> MarkovwireApp:
    app.shown = []
    notify = app.notify

    def keep(message, *args, title="", **kwargs):
        app.shown.append((str(message), title))
        return notify(message, *args, title=title, **kwargs)
    app.notify = keep
    return app


def beta(text: str) -> str | None:
    """The value of ``beta:`` in a proposal's text."""
    m = re.search(r'^\s*beta: "?([^"\s]+)"?', text, re.M)
    return m and m.group(1)


@pytest.fixture
def proposal(plain_default):
    return plain_default


async def test_the_app_starts_and_draws_without_colours(driver, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = MarkovwireApp()
    async with app.run_test(size=(200, 60)) as pilot:       # wider and taller than the diagram: padded
        k = driver(app, pilot)
        await k.settle()
        assert app.no_color and k.screen_name() == "MainScreen"
        await k.press("f1")
        await k.press("escape")
        await k.settle()
        assert k.screen_name() == "MainScreen" and app.is_running
        view = app.screen.query_one("DiagramView")
        assert "┌─policy" in "".join(view.render_line(y).text for y in range(view.size.height))
    assert app.return_code in (0, None) and app._exception is None


async def test_a_save_on_a_disk_gone_read_only_says_why_and_keeps_the_work(driver, proposal, monkeypatch):
    text = proposal.read_text()
    app = spy(MarkovwireApp(proposal))
    async with app.run_test(size=(120, 40)) as pilot:
        k = driver(app, pilot)
        await k.settle()
        app.document.set_parameter("beta", "0.01")
        app.document_changed()
        edited = app.document.spec

        def read_only(*args, **kwargs):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        monkeypatch.setattr(os, "replace", read_only)
        monkeypatch.setattr(os, "unlink", read_only)
        await k.press("ctrl+s")
        await k.settle()
        assert f"Not saved: {proposal}: cannot be written (Read-only file system)" in notes(app)
        assert "fix: the file system is read-only: save to a folder on a writable disk" in notes(app)
        assert app.is_running and app.document.dirty and app.document.spec == edited
        assert proposal.read_text() == text

        await k.press("ctrl+w")                              # save as: the dialog says why and stays open
        await k.settle()
        assert k.screen_name() == "FileScreen"
        await k.press("enter")
        await k.settle()
        assert k.screen_name() == "FileScreen"
        assert "cannot be written (Read-only file system)" in str(app.screen.query_one("#dialog-error").render())
        assert app.document.dirty

        monkeypatch.undo()                                   # the disk is writable again: the same keys save
        await k.press("enter")
        await k.settle()
        assert k.screen_name() == "MainScreen" and not app.document.dirty
        assert beta(proposal.read_text()) == "0.01"


def autosaved_by_another_ui(proposal) -> tuple[Instance, str]:
    """Another running UI, with an unsaved edit to ``proposal`` autosaved (beta = 0.03)."""
    other = Instance(recovery_dir())
    doc = Document.open(proposal)
    doc.set_parameter("beta", "0.03")
    other.write(document_key(proposal), doc.recovery_text())
    return other, doc


async def test_another_running_uis_work_is_never_offered(driver, proposal):
    other, theirs = autosaved_by_another_ui(proposal)
    app = spy(MarkovwireApp(proposal))
    async with app.run_test(size=(120, 40)) as pilot:
        k = driver(app, pilot)
        await k.settle()
        assert k.screen_name() == "MainScreen"                     # its work is live: not offered
        app.document.set_parameter("beta", "0.04")
        app.document_changed()
        mine = app.autosave()
        assert mine != other.path(document_key(proposal)) and mine.is_file()
        assert other.path(document_key(proposal)).is_file()        # both kept: one file per running UI
        await k.press("ctrl+q")
        await k.press("y")
    assert not mine.exists() and other.path(document_key(proposal)).is_file()
    other.release()                                                 # the other UI dies with its edit unsaved

    again = MarkovwireApp(proposal)
    async with again.run_test(size=(120, 40)) as pilot:
        k = driver(again, pilot)
        await k.settle()
        assert k.screen_name() == "RecoveryScreen"
        await k.press("r")
        await k.settle()
        assert again.document.spec == theirs.spec and again.document.dirty
        assert orphans(recovery_dir()) == []                        # taken over by this UI's own recovery file


async def test_escape_in_the_recovery_dialog_means_not_now_and_ctrl_q_quits(driver, proposal):
    other, _ = autosaved_by_another_ui(proposal)
    other.release()
    left = other.path(document_key(proposal))
    app = spy(MarkovwireApp(proposal))
    async with app.run_test(size=(120, 40)) as pilot:
        k = driver(app, pilot)
        await k.settle()
        assert k.screen_name() == "RecoveryScreen"
        await k.press("escape")
        await k.settle()
        assert k.screen_name() == "MainScreen"
        assert not app.document.dirty and beta(app.document.to_yaml()) == "71/18000"   # not recovered
        assert left.is_file() and "offered again next time" in notes(app)

    again = MarkovwireApp(proposal)
    async with again.run_test(size=(120, 40)) as pilot:
        k = driver(again, pilot)
        await k.settle()
        assert k.screen_name() == "RecoveryScreen"                  # offered again
        await k.press("ctrl+q")
        await k.settle()
        assert not again.is_running
    assert left.is_file()


async def test_work_is_offered_for_its_own_document(driver, proposal, tmp_path):
    second = tmp_path / "second.yaml"
    shutil.copy(proposal, second)
    for path, value in ((proposal, "0.03"), (second, "0.05")):    # two UIs die, each with an unsaved edit
        ui = Instance(recovery_dir())
        doc = Document.open(path)
        doc.set_parameter("beta", value)
        ui.write(document_key(path), doc.recovery_text())
        ui.release()

    app = spy(MarkovwireApp(second))
    async with app.run_test(size=(120, 40)) as pilot:
        k = driver(app, pilot)
        await k.settle()
        assert k.screen_name() == "RecoveryScreen"
        await k.press("r")
        await k.settle()
        assert app.document.path == second and beta(app.document.to_yaml()) == "0.05"
        assert "Unsaved work from a session that stopped is kept for" in notes(app) and str(proposal) in notes(app)
    # the other document's work is kept; the recovered one is now this UI's (which stopped without saving)
    assert sorted((o.key, o.instance == app.recovery.id) for o in orphans(recovery_dir())) == sorted([
        (document_key(proposal), False), (document_key(second), True)])
