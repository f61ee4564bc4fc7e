"""Render the example figures in this folder: ``python docs/figures/make_figures.py``.

- ``chain.png``: a policy whose action fans out to a monitor and an auditor, its log discarded;
- ``nested.png``: the audit as a nested wiring diagram with its own ports;
- ``feedback.png``: a stateful memory of alarms fed back to the policy.

The kernels are uniform: a figure shows the wiring, not the numbers.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from markovwire import FinSet, Kernel
from markovwire.diagrams import WiringDiagram
from markovwire.diagrams.render import render
from markovwire.diagrams.stateful import StatefulBox

HERE = Path(__file__).parent
Task = FinSet("Task", ["easy", "hard"])
Act = FinSet("Act", ["clean", "attack"])
Verdict = FinSet("Verdict", ["pass", "flag"])
Outcome = FinSet("Outcome", ["safe", "caught", "catastrophe"])
Log = FinSet("Log", ["short", "long"])
Alarms = FinSet("Alarms", ["0", "1", "2"])


def uniform(dom, cod) -> Kernel:
    shape = [len(t) for _, t in dom] + [len(t) for _, t in cod]
    return Kernel(np.full(shape, 1.0 / np.prod(shape[len(dom):], dtype=float)), dom, cod)


def chain() -> WiringDiagram:
    wd = WiringDiagram("control", inputs=[("task", Task)], outputs=[("outcome", Outcome), ("verdict", Verdict)])
    wd.add_box("policy", uniform([("task", Task)], [("act", Act), ("log", Log)]))
    wd.add_box("monitor", uniform([("act", Act)], [("verdict", Verdict)]))
    wd.add_box("auditor", uniform([("act", Act), ("verdict", Verdict)], [("outcome", Outcome)]))
    for a, b in [("in.task", "policy.task"), ("policy.act", "monitor.act"), ("policy.act", "auditor.act"),
                 ("monitor.verdict", "auditor.verdict"), ("monitor.verdict", "out.verdict"),
                 ("auditor.outcome", "out.outcome")]:
        wd.connect(a, b)
    return wd


def nested() -> WiringDiagram:
    audit = WiringDiagram("audit", inputs=[("act", Act)], outputs=[("outcome", Outcome)])
    audit.add_box("monitor", uniform([("act", Act)], [("verdict", Verdict)]))
    audit.add_box("auditor", uniform([("act", Act), ("verdict", Verdict)], [("outcome", Outcome), ("note", Log)]))
    for a, b in [("in.act", "monitor.act"), ("in.act", "auditor.act"), ("monitor.verdict", "auditor.verdict"),
                 ("auditor.outcome", "out.outcome")]:
        audit.connect(a, b)
    wd = WiringDiagram("protocol", inputs=[("task", Task)], outputs=[("outcome", Outcome)])
    wd.add_box("policy", uniform([("task", Task)], [("act", Act)]))
    wd.add_box("audit", audit)
    for a, b in [("in.task", "policy.task"), ("policy.act", "audit.act"), ("audit.outcome", "out.outcome")]:
        wd.connect(a, b)
    return wd


def feedback() -> WiringDiagram:
    update = uniform([("count", Alarms), ("verdict", Verdict)], [("count", Alarms)])
    readout = Kernel(np.eye(3), [("count", Alarms)], [("alarms", Alarms)])
    memory = StatefulBox.moore("memory", Alarms, Kernel.point([Alarms], "0"), update, readout)
    wd = WiringDiagram("loop", inputs=[("task", Task)], outputs=[("act", Act), ("verdict", Verdict)])
    wd.add_box("policy", uniform([("task", Task), ("alarms", Alarms)], [("act", Act)]))
    wd.add_box("monitor", uniform([("act", Act)], [("verdict", Verdict)]))
    wd.add_box("memory", memory)
    for a, b in [("in.task", "policy.task"), ("policy.act", "monitor.act"), ("policy.act", "out.act"),
                 ("monitor.verdict", "memory.verdict"), ("monitor.verdict", "out.verdict"),
                 ("memory.alarms", "policy.alarms")]:
        wd.connect(a, b)
    return wd


if __name__ == "__main__":
    for make in (chain, nested, feedback):
        print(render(make(), HERE / f"{make.__name__}.png"))
