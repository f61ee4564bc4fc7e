"""Build the trusted-monitoring proposal from an empty one by keys alone, then evaluate, sweep, export,
save, reopen: the numbers must be the shipped proposal's, and nothing may be lost on the way."""
from __future__ import annotations

import re

import pytest

from markovwire.library import load_proposal
from markovwire.library.shipped import default_proposal
from markovwire.tui.app import MarkovwireApp

# (filter typed in the add dialog, instance name, how many wires into it the connect dialog offers)
INSTANCES = [("task_s", "task", 0), ("untrusted_p", "policy", 1), ("monitor_t", "monitor", 1),
             ("human", "auditor", 2), ("untrusted_a", "solution", 1), ("episode", "episode", 2)]
COMPONENTS = ["task_source", "untrusted_policy", "trusted_monitor_table", "human_auditor", "untrusted_answer",
              "episode"]
VALUES = {"beta": "71/18000", "sigma": "19/71", "r_ok": "6/19", "r_broken": "9/26", "a": "0.02", "T": "5000"}


@pytest.fixture(scope="module")
def shipped():
    p = load_proposal(default_proposal())
    return p, p.evaluate(queries=["safety", "p_catastrophe", "p_caught", "worst_safety"])   # the ones compared


async def add_and_wire(k) -> None:
    """Add each box (the first from the command palette, the rest with a) and wire it in at once with c:
    the connect dialog offers exactly the wires whose ends have the same type."""
    for i, (typed, name, wires) in enumerate(INSTANCES):
        if i == 0:
            await k.press("ctrl+p")
            await k.type(f"add component {COMPONENTS[0]}")
            await k.press("enter")
        else:
            await k.press("a")
            await k.type(typed)
            await k.press("enter")        # the first component that matches; focus moves to the name
        assert k.screen_name() == "AddComponentScreen"
        assert k.app.screen.chosen.endswith(COMPONENTS[i])
        await k.clear_and_type(name)
        await k.press("enter")
        assert k.screen_name() == "MainScreen", f"adding {name} did not close the dialog"
        for _ in range(wires):
            await k.press("c")
            assert k.screen_name() == "ConnectScreen"
            assert all(c[2] == k.app.document.port(c[0]).type.name == k.app.document.port(c[1]).type.name
                       for c in k.app.screen.candidates)
            await k.press("enter")
            assert k.screen_name() == "MainScreen"


async def select(k, name: str) -> None:
    await k.press("ctrl+p")
    await k.type(f"select {name}")
    await k.press("enter")


async def expose(k, box: str, port: str) -> None:
    await select(k, box)
    await k.press("e")
    assert k.screen_name() == "ChooseScreen"
    await k.type(f"{box}.{port}") if k.app.focused.id == "choose-filter" else None
    await k.press("enter")                # the port
    assert k.screen_name() == "PromptScreen"
    await k.press("enter")                # keep the port's name for the outer port


async def set_value(k, name: str, text: str) -> None:
    await k.press("equals_sign")
    await k.type(name)
    await k.press("enter")
    assert k.screen_name() == "ParameterScreen"
    await k.clear_and_type(text)
    await k.press("enter")
    assert k.screen_name() == "MainScreen", f"setting {name} = {text} did not close the dialog"


async def test_build_evaluate_sweep_export_save_reopen(driver, shipped, tmp_path):
    ref, ref_values = shipped
    app = MarkovwireApp(new=True)
    async with app.run_test(size=(120, 40)) as pilot:
        k = driver(app, pilot)
        await k.settle()
        assert not app.document.spec.instances

        await add_and_wire(k)
        assert [i.component for i in app.document.spec.instances.values()] == COMPONENTS
        assert app.document.spec.episode is not None          # a stateful instance makes it an episode
        assert len(app.document.wires()) == 7

        await k.press("6")                                   # the problem list: policy.intent is open
        assert [p.text.split(":")[0] for p in app.document.check.problems] == ["input policy.intent"]
        await k.press("enter")                               # shows policy in the diagram
        assert app.main.selected == "policy"
        await k.press("e", "enter", "enter")                 # expose policy.intent as outer input "intent"
        await expose(k, "solution", "answer")
        await expose(k, "auditor", "audit")
        assert app.document.check.ok, [p.text for p in app.document.check.problems]

        for name, text in VALUES.items():
            await set_value(k, name, text)

        # the queries: import the shipped file's, then ask one more by hand
        await k.press("I")
        assert k.screen_name() == "FileScreen"
        assert default_proposal() in app.screen.suggestions   # the shipped proposals are listed
        await k.type("trusted_monitoring")                    # one of them, by name
        await k.press("enter")
        await k.press("q")
        assert k.screen_name() == "QueryScreen"
        await k.type("p_shutdown")
        await k.press("tab", "tab")                          # past the kind (probability) to "of"
        await k.type("episode = shutdown")
        await k.press("tab")
        await k.clear_and_type("intent = scheming")
        await k.press("enter")
        assert k.screen_name() == "MainScreen"
        await k.settle()

        results = app.main.results
        assert results["safety"] == pytest.approx(ref_values["safety"], rel=1e-12)
        assert results["p_catastrophe"] == pytest.approx(ref_values["p_catastrophe"], rel=1e-12)
        assert results["p_shutdown"] == pytest.approx(ref_values["p_caught"], rel=1e-12)
        assert results["worst_safety"].value == pytest.approx(ref_values["worst_safety"].value, abs=1e-9)

        # sweep beta over 11 points and read the plot's data from the proposal itself
        await k.press("s")
        await k.type("beta")
        await k.press("enter")
        assert k.screen_name() == "SweepScreen"
        await k.clear_and_type("0")
        await k.press("tab")
        await k.clear_and_type("0.05")
        await k.press("tab")
        await k.clear_and_type("11")
        await k.press("enter")
        await k.settle()
        sweep = app.document.spec.sweeps[0]
        assert (sweep.parameter, sweep.start, sweep.stop, sweep.count) == ("beta", 0.0, 0.05, 11)
        status = str(app.main.query_one("#sweep-status").render())
        assert "beta from 0 to 0.05, 11 points" in status
        parameter, xs, curves = app.main.query_one("#sweep").plotted
        assert parameter == "beta" and xs.tolist() == pytest.approx([i * 0.005 for i in range(11)])
        expected = ref.evaluate({"beta": xs}, queries=["safety"])["safety"]
        assert curves["safety"] == pytest.approx(expected, rel=1e-12)
        assert curves["safety"][0] == 1.0                   # no attacks, no catastrophe

        # export the figure
        figure = tmp_path / "untitled.svg"                    # the default: here, named after the proposal
        await k.press("ctrl+e")
        assert k.screen_name() == "ExportScreen"
        await k.press("enter")
        await k.settle()
        assert figure.is_file()
        svg = figure.read_text()
        boxes = re.findall(r"<title>box/(\w+)</title>", svg)
        assert "<svg" in svg and sorted(boxes) == sorted(n for _, n, _ in INSTANCES)

        # save (no file yet: Ctrl+S asks where)
        saved = tmp_path / "untitled.yaml"
        await k.press("ctrl+s")
        assert k.screen_name() == "FileScreen"               # no file yet: Ctrl+S asks where, here by default
        await k.press("enter")
        await k.settle()
        assert saved.is_file() and not app.document.dirty
        spec = app.document.spec
        numbers = dict(app.main.results)

    again = MarkovwireApp(saved)
    async with again.run_test(size=(120, 40)) as pilot:
        k = driver(again, pilot)
        await k.settle()
        reopened = again.document.spec
        assert reopened.instances == spec.instances
        assert set(reopened.wiring.wires) == set(spec.wiring.wires)
        assert {n: again.document.parameter(n).default for n in VALUES} == \
               {n: app.document.parameter(n).default for n in VALUES}
        assert reopened.queries == spec.queries and reopened.sweeps == spec.sweeps
        assert reopened.adversary == spec.adversary
        for name in ("safety", "p_catastrophe", "p_shutdown", "usefulness"):
            assert again.main.results[name] == numbers[name]
        assert not again.document.dirty


def test_wires_match_the_shipped_file(shipped):
    """What the keys above build is the shipped diagram, wire for wire."""
    ref, _ = shipped
    assert COMPONENTS == [i.component for i in ref.spec.instances.values()]
    assert [n for _, n, _ in INSTANCES] == list(ref.spec.instances)
    into = {n: sum(w.split("->")[1].strip().startswith(n + ".") and not w.startswith("in.")
                   for w in ref.spec.wiring.wires) for n in ref.spec.instances}
    assert [w for _, _, w in INSTANCES] == list(into.values())
