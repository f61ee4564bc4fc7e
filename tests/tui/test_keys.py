"""The UI by keys: bad input gives a message and loses nothing; undo, redo, recovery, quitting, the expression,
compare, help, cancelling a sweep, and a small terminal."""
from __future__ import annotations

import threading

import pytest

from markovwire.library import load_proposal, shipped_proposals  # noqa: F401
from markovwire.library.shipped import default_proposal
from markovwire.tui.app import MarkovwireApp
from markovwire.tui.commands import ACTIONS
from markovwire.tui.settings import recovery_dir


def notes(app) -> str:
    """Every notification shown so far, as one text."""
    return "\n".join(f"{n.title}: {n.message}" for n in app._notifications)


def dialog_error(app) -> str:
    return str(app.screen.query_one("#dialog-error").render())


async def test_bad_input_gives_a_message_and_loses_nothing(driver, tmp_path):
    app = MarkovwireApp()
    async with app.run_test(size=(120, 40)) as pilot:
        k = driver(app, pilot)
        await k.settle()
        before = app.document.spec

        # an unknown component typed into the command palette
        await k.press("ctrl+p")
        await k.type("add component monitr")
        await k.press("enter")
        await k.settle()
        assert k.screen_name() == "MainScreen"
        assert "unknown component 'monitr'" in notes(app)

        # a connection between ports of different types, typed into the connect dialog
        await k.press("c")
        await k.press("tab") if app.focused.id != "connect-input" else None
        await k.type("policy.act -> auditor.sus")
        await k.press("enter")
        assert k.screen_name() == "ConnectScreen"
        assert "Act does not match Sus" in dialog_error(app)
        await k.press("escape")

        # a value outside a parameter's domain
        await k.press("equals_sign")
        await k.type("beta")
        await k.press("enter")
        await k.clear_and_type("1.5")
        await k.press("enter")
        assert k.screen_name() == "ParameterScreen"
        assert "value 1.5 is outside its domain [0, 1]" in dialog_error(app)
        await k.press("escape")

        # a file that cannot be read, to open (a file that does not parse opens read-only: test_roundtrip.py)
        await k.press("ctrl+o")
        assert k.screen_name() == "FileScreen"
        await k.type(str(tmp_path))
        await k.press("enter")
        assert k.screen_name() == "FileScreen"
        assert "is a directory" in dialog_error(app)
        await k.press("escape")
        await k.settle()

        assert app.document.spec is before and not app.document.can_undo
        assert app.document.origin == default_proposal() and app.document.path is None    # an untitled copy
        assert app.main.results["safety"] == pytest.approx(0.6486606040889173, rel=1e-12)


async def test_a_file_that_does_not_build_opens_with_its_problems(driver, tmp_path):
    draft = tmp_path / "draft.yaml"
    draft.write_text("name: draft\ninstances: {a: {component: nope}}\nwiring: {wires: [a.x -> b.y]}\n")
    app = MarkovwireApp(draft)
    async with app.run_test(size=(120, 40)) as pilot:
        k = driver(app, pilot)
        await k.settle()
        assert app.document.path == draft and app.document.check.proposal is None
        shown = [p.text for p in app.document.check.problems]
        assert any("unknown component 'nope'" in t for t in shown)
        assert "Not evaluated" in str(app.main.query_one("#results-status").render())


async def test_undo_and_redo_by_keys(driver, plain_default):
    app = MarkovwireApp(plain_default)
    async with app.run_test(size=(120, 40)) as pilot:
        k = driver(app, pilot)
        await k.settle()
        original = app.document.spec
        await k.press("x")                                    # removes the selected box (the first one)
        removed = app.document.spec
        assert len(removed.instances) == len(original.instances) - 1
        await k.press("u")
        assert app.document.spec == original
        await k.press("U")
        assert app.document.spec == removed
        await k.press("ctrl+z")
        assert app.document.spec == original
        await k.press("ctrl+y")
        assert app.document.spec == removed
        await k.press("ctrl+z")
        await k.settle()
        assert not app.document.dirty
        assert app.main.results["safety"] == pytest.approx(0.6486606040889173, rel=1e-12)


async def test_unsaved_work_is_recovered_after_a_crash(driver):
    app = MarkovwireApp()
    async with app.run_test(size=(120, 40)) as pilot:
        k = driver(app, pilot)
        await k.settle()
        await k.press("equals_sign")
        await k.type("beta")
        await k.press("enter")
        await k.clear_and_type("0.01")
        await k.press("enter")
        written = app.autosave()
        assert written.parent == recovery_dir() and written.name.endswith(f".{app.recovery.id}.yaml")
        edited = app.document.spec
        # the session "crashes": no quit, the recovery file stays
    assert written.is_file()

    again = MarkovwireApp()
    async with again.run_test(size=(120, 40)) as pilot:
        k = driver(again, pilot)
        await k.settle()
        assert k.screen_name() == "RecoveryScreen"
        await k.press("r")
        await k.settle()
        assert again.document.spec == edited and again.document.dirty
        assert again.document.path == app.document.path           # where the crashed session was saving to
        assert again.main.results["safety"] == pytest.approx(load_proposal(default_proposal()).value(
            "safety", {"beta": 0.01}), rel=1e-12)

    third = MarkovwireApp()
    async with third.run_test(size=(120, 40)) as pilot:
        k = driver(third, pilot)
        await k.settle()
        assert k.screen_name() == "RecoveryScreen"
        await k.press("d")
        assert [f for f in recovery_dir().glob("*.yaml") if third.recovery.id not in f.name] == []  # only its own


async def test_quitting_asks_before_discarding_changes(driver, plain_default):
    app = MarkovwireApp(plain_default)
    async with app.run_test(size=(120, 40)) as pilot:
        k = driver(app, pilot)
        await k.settle()
        await k.press("x")
        await k.press("ctrl+q")
        assert k.screen_name() == "ConfirmScreen"
        await k.press("n")
        assert k.screen_name() == "MainScreen" and app.document.dirty and app.is_running
        await k.press("ctrl+n")                               # a new proposal asks too
        assert k.screen_name() == "ConfirmScreen"
        await k.press("escape")
        await k.press("ctrl+q")
        await k.press("y")
        await pilot.pause()
        assert not app.is_running


async def test_the_expression_and_the_wiring_stay_in_step(driver, plain_default):
    app = MarkovwireApp(plain_default)
    async with app.run_test(size=(120, 40)) as pilot:
        k = driver(app, pilot)
        await k.settle()
        editor = app.main.query_one("#expression")
        assert editor.text == app.document.expression()[0]
        await k.press("ctrl+t")
        assert app.focused is editor
        await k.press("ctrl+end")
        await k.type(" >> swap(Answer, AuditOut)")            # the outer outputs change places
        await k.press("enter")
        await k.settle()
        assert list(app.document.spec.wiring.outputs) == ["audit", "answer"]
        assert editor.text.endswith("swap(AuditOut, Answer)") is False
        assert app.main.results["safety"] == pytest.approx(0.6486606040889173, rel=1e-12)
        edited = app.document.spec

        await k.press("ctrl+end")
        await k.type(" >> monitr")
        await k.press("enter")
        assert "unknown name 'monitr'" in notes(app)
        assert app.document.spec is edited
        await k.press("escape")                                # puts the current expression back
        assert editor.text == app.document.expression()[0]


async def test_compare_two_proposals_on_the_same_queries(driver):
    from markovwire.library.diff import proposal_diff
    other = next(p for p in shipped_proposals() if p.stem == "defer_to_trusted")
    app = MarkovwireApp()
    async with app.run_test(size=(120, 40)) as pilot:
        k = driver(app, pilot)
        await k.settle()
        await k.press("ctrl+d")
        assert k.screen_name() == "FileScreen"
        await k.type("defer_to_trusted")                      # a listed file by its name
        await k.press("enter")
        await k.settle()
        assert k.screen_name() == "CompareScreen"
        table = app.screen.query_one("#compare-table")
        rows = {table.get_row_at(i)[0].plain: table.get_row_at(i) for i in range(table.row_count)}
        mine, theirs = load_proposal(default_proposal()), load_proposal(other)
        shared = set(mine.adversary) & set(theirs.adversary)
        assert set(rows) == set(mine.spec.queries) | set(theirs.spec.queries) | shared
        assert float(rows["safety"][1].plain) == pytest.approx(mine.value("safety"), rel=1e-5)
        assert float(rows["safety"][3].plain) == pytest.approx(theirs.value("safety"), rel=1e-5)
        assert rows["p_deferred"][1].plain == "n/a"           # trusted monitoring has no route
        assert "only B" in rows["p_deferred"][5].plain and "only A" in rows["p_caught"][5].plain

        # the structural diff: boxes added and removed, and the change of safety
        d = proposal_diff(mine, theirs)
        changes = str(app.screen.query_one("#changes").render())
        assert "+ untrusted, trusted, router" in changes and "− solution" in changes
        assert "+ mu" in changes and "− r_ok" in changes
        change = next(q for q in d.queries if q.query == "safety")
        assert float(rows["safety"][5].plain) == pytest.approx(change.delta, rel=1e-3)
        assert change.delta == pytest.approx(theirs.value("safety") - mine.value("safety"), rel=1e-9)
        await k.press("escape")
        assert k.screen_name() == "MainScreen"


async def test_help_lists_every_action(driver):
    app = MarkovwireApp(new=True)
    async with app.run_test(size=(120, 40)) as pilot:
        k = driver(app, pilot)
        await k.settle()
        await k.press("f1")
        assert k.screen_name() == "HelpScreen"
        from rich.console import Console

        from markovwire.tui.screens.help import help_table
        console = Console(record=True, width=200)
        console.print(help_table())
        text = console.export_text()
        for a in ACTIONS:
            assert a.title in text and a.help.split("(")[0].strip()[:20] in text
        await k.press("escape")
        assert k.screen_name() == "MainScreen"


async def test_escape_cancels_a_long_sweep(driver, monkeypatch):
    from markovwire.library.proposal import Proposal
    started, release = threading.Event(), threading.Event()
    real = Proposal.evaluate

    def slow(self, values=None, queries=None, progress=None):
        if values and progress is not None:                  # the sweep: report until cancelled
            started.set()
            for i in range(100_000):
                release.wait(0.001)
                progress(i, 100_000)
        return real(self, values, queries, progress)

    monkeypatch.setattr(Proposal, "evaluate", slow)
    import markovwire.tui.screens.main as main
    monkeypatch.setattr(main, "PROGRESS_SECONDS", 3600.0)     # the screen hears of the first chunk only
    reports = []
    monkeypatch.setattr(main.MainScreen, "_sweep_progress", lambda self, g, done, total: reports.append(done))
    app = MarkovwireApp()
    async with app.run_test(size=(120, 40)) as pilot:
        k = driver(app, pilot)
        while not started.is_set():
            await pilot.pause(0.05)
        await k.press("escape")
        await k.settle()
        assert "cancelled" in str(app.main.query_one("#sweep-status").render())
        assert reports == [0]                                 # not one wait for the screen per chunk
        assert app.main.results["safety"] == pytest.approx(0.6486606040889173, rel=1e-12)   # the rest stays
        assert app.main.query_one("#diagram").has_focus or True


async def test_a_small_terminal_still_works(driver, plain_default):
    app = MarkovwireApp(plain_default)
    async with app.run_test(size=(80, 24)) as pilot:
        k = driver(app, pilot)
        await k.settle()
        assert app.screen.has_class("-narrow") and app.screen.has_class("-short")
        await k.press("3")                                    # the parameters come up zoomed
        assert app.screen.maximized is app.main.query_one("#side")
        await k.press("enter")
        assert k.screen_name() == "ParameterScreen"
        await k.press("escape", "escape")
        assert app.screen.maximized is None
        await k.press("5")                                    # so does the sweep plot
        assert app.screen.maximized is app.main.query_one("#sweep")


COINS = """name: coins
version: "1"
types: {Coin: [heads, tails]}
parameters: {p: {domain: [0, 1], default: 0.5, doc: "the coin's bias"}}
components:
  coin: {doc: A biased coin., outputs: {side: Coin}, parameters: [p],
         kernel: {table: {heads: p, tails: "1 - p"}}}
"""


async def test_a_library_file_imported_searched_and_used_by_keys(driver, tmp_path):
    lib = tmp_path / "coins.yaml"
    lib.write_text(COINS)
    app = MarkovwireApp(new=True)
    async with app.run_test(size=(120, 40)) as pilot:
        k = driver(app, pilot)
        await k.settle()
        await k.press("l")
        assert k.screen_name() == "FileScreen"
        await k.type(str(lib))
        await k.press("enter")
        assert "coins.yaml" in app.document.spec.libraries    # stored relative to the proposal's folder (here)

        await k.press("slash")                                # search the library tree
        await k.type("coin")
        await k.press("enter")                                # to the tree, on the first match
        tree = app.main.query_one("#library")
        assert app.focused is tree and tree.component().qualname == "coins.coin"
        await k.press("enter")                                # add it
        assert k.screen_name() == "AddComponentScreen"
        await k.clear_and_type("c1")
        await k.press("enter")
        await k.press("1", "e", "enter", "enter")             # expose c1.side as the outer output "side"
        await k.press("q")
        await k.type("heads")
        await k.press("tab", "tab")
        await k.type("side = heads")
        await k.press("enter")
        await k.settle()
        assert app.main.results["heads"] == pytest.approx(0.5)

        await k.press("equals_sign")
        await k.type("p")
        await k.press("enter")
        await k.clear_and_type("1/4")
        await k.press("enter")
        await k.settle()
        assert app.main.results["heads"] == pytest.approx(0.25)

        await k.press("r")                                    # rename the selected box
        await k.clear_and_type("flip")
        await k.press("enter")
        assert list(app.document.spec.instances) == ["flip"]

        await k.press("v")                                    # the adversary chooses p to maximise heads
        await k.type("p")
        await k.press("enter")
        await k.type("maximise heads")
        await k.press("enter")
        await k.settle()
        best = app.main.results["best_heads"]
        assert best.value == pytest.approx(1.0) and best.choice["p"] == pytest.approx(1.0)
        assert app.main.results["heads"] == pytest.approx(0.25)      # the plain query keeps the set value


# ----- issue 12: keys go where the user expects ------------------------------------------------------------
DIALOG_KEYS = ["a", "c", "d", "e", "r", "t", "equals_sign", "s", "v", "q", "I", "l", "ctrl+o", "ctrl+w", "ctrl+e",
               "ctrl+l", "ctrl+d"]
"""Every key of the workspace that opens a dialog (with the first box of the default proposal selected)."""


def first_field(screen):
    """The first widget of a dialog that can take the focus."""
    return next(w for w in screen.query("*") if w.focusable)


async def test_escape_leaves_the_library_search_and_the_expression(driver, plain_default):
    app = MarkovwireApp(plain_default)
    async with app.run_test(size=(120, 40)) as pilot:
        k = driver(app, pilot)
        await k.settle()
        search, tree = app.main.query_one("#library-search"), app.main.query_one("#library")
        await k.press("slash")
        await k.type("monitor")
        assert app.focused is search
        await k.press("escape")
        assert app.focused is tree
        await k.press("1")                                    # a command again, not "monitor1"
        assert search.value == "monitor" and app.focused is app.main.query_one("#diagram")

        editor = app.main.query_one("#expression")
        shown = editor.text
        await k.press("ctrl+t")
        await k.press("ctrl+end")
        await k.type(" >> id(A")
        assert app.focused is editor and editor.text != shown
        await k.press("escape")                               # reverts and leaves
        assert editor.text == shown and app.focused is app.main.query_one("#diagram")
        await k.press("4")
        assert editor.text == shown and app.focused is app.main.query_one("#results")
        await k.press("ctrl+t", "escape")                     # unchanged: Escape leaves at once
        assert app.focused is app.main.query_one("#diagram")


async def test_escape_leaves_the_search_before_the_zoom_in_a_small_terminal(driver, plain_default):
    app = MarkovwireApp(plain_default)
    async with app.run_test(size=(80, 24)) as pilot:
        k = driver(app, pilot)
        await k.settle()
        await k.press("2")                                    # the library comes up zoomed
        assert app.screen.maximized is app.main.query_one("#side")
        await k.press("slash")
        await k.type("audit")
        await k.press("escape")
        assert app.focused is app.main.query_one("#library") and app.screen.maximized is not None
        await k.press("escape")
        assert app.screen.maximized is None
        assert app.main.query_one("#library-search").value == "audit"


async def test_every_dialog_opens_focused_and_escape_closes_it(driver, plain_default):
    from markovwire.tui.screens.dialog import Dialog
    app = MarkovwireApp(plain_default)
    async with app.run_test(size=(120, 40)) as pilot:
        k = driver(app, pilot)
        await k.settle()
        before = app.document.spec
        for key in DIALOG_KEYS:
            app.main.select_box("policy")
            await k.press(key)
            await k.settle()
            dialog = app.screen
            assert isinstance(dialog, Dialog), key
            focused = app.focused
            assert focused is not None and focused.screen is dialog, key
            assert focused is first_field(dialog), (key, focused, first_field(dialog))
            assert focused.region.area > 0 and dialog.region.contains_region(focused.region), key
            if focused.__class__.__name__ == "Input":          # visibly: a bar at its left, not colour alone
                assert focused.styles.border_left[0] not in ("", "none", "hidden"), key
            await k.press("escape")
            assert app.screen is app.main, key
        assert app.document.spec is before


async def test_ctrl_q_works_in_every_dialog(driver, plain_default):
    from markovwire.tui.screens.dialog import Dialog
    app = MarkovwireApp(plain_default)
    async with app.run_test(size=(120, 40)) as pilot:
        k = driver(app, pilot)
        await k.settle()
        await k.press("x")                                    # unsaved: Ctrl+Q asks
        for key in [k_ for k_ in DIALOG_KEYS if k_ not in ("ctrl+o", "ctrl+d")]:
            app.main.select_box("task")
            await k.press(key)
            await k.settle()
            dialog = app.screen
            assert isinstance(dialog, Dialog), key
            await k.press("ctrl+q")
            assert k.screen_name() == "ConfirmScreen", key
            await k.press("n")                                # keep: back in the dialog
            assert app.screen is dialog and app.is_running, key
            await k.press("escape")
        await k.press("ctrl+o")                               # the question before opening another file
        assert k.screen_name() == "ConfirmScreen"
        await k.press("ctrl+q")
        await k.press("y")
        await pilot.pause()
        assert not app.is_running


async def test_ctrl_q_quits_from_the_recovery_dialog_and_keeps_the_work(driver):
    from markovwire.tui.settings import state_dir
    app = MarkovwireApp()
    async with app.run_test(size=(120, 40)) as pilot:
        k = driver(app, pilot)
        await k.settle()
        await k.press("x")
        assert app.autosave() is not None                     # then the session "crashes"
    kept = sorted(p.name for p in state_dir().rglob("*.yaml"))
    assert kept

    again = MarkovwireApp()
    async with again.run_test(size=(120, 40)) as pilot:
        k = driver(again, pilot)
        await k.settle()
        assert k.screen_name() == "RecoveryScreen"
        await k.press("ctrl+q")
        if k.screen_name() == "ConfirmScreen":               # the document this UI opened has changes of its own
            await k.press("y")
        await pilot.pause()
        assert not again.is_running
    assert sorted(p.name for p in state_dir().rglob("*.yaml")) == kept


class Clock:
    """A clock that stands still unless moved: keys typed in a test arrive 'at once', however slow the machine."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def guarded(app, monkeypatch) -> Clock:
    """Turn the key guard back on (the conftest turns it off for pilots), on a clock the test moves."""
    import markovwire.tui.keyguard as keyguard
    monkeypatch.setattr(keyguard, "SETTLE_SECONDS", 0.35)
    clock = Clock()
    app.keyguard.clock = clock
    app.keyguard.stamp = lambda event: clock.now             # every key typed 'now'
    return clock


async def test_a_path_typed_as_a_dialog_closes_runs_no_commands(driver, monkeypatch, plain_default):
    app = MarkovwireApp(plain_default)
    clock = guarded(app, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        k = driver(app, pilot)
        await k.settle()
        clock.now += 10
        await k.press("x")                                    # an unsaved change: Ctrl+O asks first
        edited = app.document.spec
        await k.press("ctrl+o")
        assert k.screen_name() == "ConfirmScreen"
        clock.now += 10                                       # the user reads the question … and types a path
        await k.type("new_test.yaml")                         # its n answers "keep": the dialog closes
        await k.settle()
        assert k.screen_name() == "MainScreen"
        assert app.document.spec is edited                    # no e, t, x, d … ran on the workspace
        assert app.keyguard.dropped == list("ew_test.yaml")
        clock.now += 10
        app._keys_dropped()
        await pilot.pause()
        assert "Ignored 'ew_test.yaml'" in notes(app)

        # the same with a file dialog closed by Enter while the rest of a line is still being typed
        await k.press("u")
        clock.now += 10
        await k.press("ctrl+o")
        clock.now += 10
        await k.type("defer_to_trusted")
        await k.press("enter")
        await k.type("txd")
        await k.press("delete", "enter")
        await k.settle()
        assert k.screen_name() == "MainScreen" and app.document.name == "defer_to_trusted"
        other = next(p for p in shipped_proposals() if p.stem == "defer_to_trusted")
        assert set(app.document.spec.instances) == set(load_proposal(other).spec.instances)
        assert not app.document.can_undo                      # nothing ran on the file just opened

        # keys typed a moment later are commands again; Ctrl keys always pass
        clock.now += 10
        await k.press("ctrl+e")
        assert k.screen_name() == "ExportScreen"
        await k.type("zz")                                    # typed into the focused field at once
        assert app.focused.value.endswith("zz")
        await k.press("ctrl+q")                               # Ctrl keys are never dropped
        await pilot.pause()
        assert not app.is_running


def test_the_key_guard_drops_only_text_keys_typed_too_soon():
    from textual import events
    from textual.widgets import Button, Input

    from markovwire.tui.keyguard import KeyGuard
    clock = Clock()
    guard = KeyGuard(settle=0.3, clock=clock)
    guard.stamp = lambda event: getattr(event, "at", clock.now)
    key = lambda k, ch=None: events.Key(k, ch)
    assert not guard.drops(key("x", "x"), Button("b"))        # no screen change yet
    guard.screens_changed()
    assert not guard.drops(key("ctrl+s"), Button("b")) and not guard.drops(key("escape"), Button("b"))
    assert not guard.drops(key("up"), Button("b"))
    assert not guard.drops(key("x", "x"), Input())            # a text field takes what is typed
    assert guard.drops(key("x", "x"), Button("b")) and guard.drops(key("enter"), None)
    clock.now += 0.2
    assert guard.drops(key("t", "t"), None)                   # each dropped key extends the moment
    clock.now += 0.2
    assert guard.drops(key("d", "d"), None)
    clock.now += 0.31
    assert guard.burst_over() and not guard.drops(key("d", "d"), None)
    late = key("n", "n")
    late.at = clock.now - 1                                   # typed before the screens changed, handled after
    guard.screens_changed()
    clock.now += 5
    assert guard.drops(late, None) and not guard.drops(key("n", "n"), None)
    assert guard.take() == "x[enter]tdn" and guard.take() == ""


async def test_destructive_keys_say_so_and_are_undone(driver, plain_default):
    app = MarkovwireApp(plain_default)
    said: list[str] = []                                      # every message (shown ones expire)
    notify = app.notify
    app.notify = lambda message, *a, **kw: (said.append(str(message)), notify(message, *a, **kw))[1]
    async with app.run_test(size=(120, 40)) as pilot:
        k = driver(app, pilot)
        await k.settle()
        original = app.document.spec
        app.main.select_box("monitor")
        await k.press("x")                                    # a box and its wires
        assert "monitor" not in app.document.spec.instances
        assert "Removed monitor and its wires (u undoes)" in "\n".join(said)
        await k.press("u")
        assert app.document.spec == original

        app.main.select_box("out.audit")                      # an outer port: each of its wires
        wires = [w for w in app.document.wires() if "out.audit" in w]
        await k.press("x")
        assert "audit" not in app.document.spec.wiring.outputs
        assert f"Removed the outer port out.audit ({len(wires)} wire" in "\n".join(said)
        await k.press(*["u"] * len(wires))
        assert app.document.spec == original

        await k.press("4")                                    # a query, from the results
        name = app.main.query_one("#results").current_query()
        await k.press("x")
        assert name not in app.document.spec.queries and f"Removed query {name} (u undoes)" in "\n".join(said)
        await k.press("u")
        assert app.document.spec == original

        await k.press("1", "d")                               # d asks which wire
        assert k.screen_name() == "ChooseScreen"
        await k.press("escape")
        assert app.document.spec == original


async def test_keys_already_on_their_way_to_a_closing_dialog_run_no_commands(driver, monkeypatch, plain_default):
    """A terminal hands over a burst of typing at once: the keys after the n that closes the question are already
    on their way to it, and come back to the app's bindings only after the workspace is showing again."""
    from textual import events
    app = MarkovwireApp(plain_default)
    clock = guarded(app, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        k = driver(app, pilot)
        await k.settle()
        clock.now += 10
        await k.press("x")
        edited = app.document.spec
        await k.press("ctrl+o")
        assert k.screen_name() == "ConfirmScreen"
        clock.now += 10
        for ch in "new_test":                                 # one burst, as a terminal delivers it
            app.post_message(events.Key(ch, ch))
        await k.settle()
        assert k.screen_name() == "MainScreen" and app.document.spec is edited
        assert "".join(app.keyguard.dropped) == "ew_test"
