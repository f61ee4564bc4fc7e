"""Workload (e): re-evaluating a planned 20-box control proposal with new parameter values.

A trusted-monitoring proposal with an untrusted policy, two monitors, an audit
budget, a human auditor, deferral to a trusted model and an outcome: 20 boxes,
eight parameters, types of two to four elements, wires read by several boxes. The
first evaluation plans (type check, compiled parameter basis, contraction order);
every later one with new values only computes. Both are reported.
"""
from __future__ import annotations

import time

import numpy as np

from markovwire import FinSet, Kernel, Net, Parameter

from .report import Row
from .timing import Contender, medians

Task = FinSet("Task", ["easy", "hard", "agentic"])
Intent = FinSet("Intent", ["honest", "scheming"])
Act = FinSet("Act", ["clean", "subtle", "blatant"])
Verdict = FinSet("Verdict", ["pass", "flag"])
Suspicion = FinSet("Suspicion", ["low", "mid", "high", "max"])
Audit = FinSet("Audit", ["skip", "audit"])
Finding = FinSet("Finding", ["clear", "caught"])
Bit = FinSet("Bit", ["no", "yes"])
Outcome = FinSet("Outcome", ["useful", "useless", "caught", "catastrophe"])

P = {p.name: p for p in [
    Parameter("beta", (0, 1), 0.05, "probability the policy schemes"),
    Parameter("subtlety", (0, 1), 0.7, "share of attacks made subtle"),
    Parameter("recall", (0, 1), 0.6, "monitor recall on subtle attacks"),
    Parameter("fpr", (0, 1), 0.02, "monitor false-positive rate"),
    Parameter("budget", (0, 1), 0.3, "share of flagged actions audited"),
    Parameter("human", (0, 1), 0.9, "auditor accuracy"),
    Parameter("skill", (0, 1), 0.8, "untrusted model's skill"),
    Parameter("trusted", (0, 1), 0.5, "trusted model's skill"),
]}


def kernel(rows, dom, cod, name):
    """A kernel from nested rows whose entries may use the parameters by name."""
    s = {n: p.symbol for n, p in P.items()}
    arr = np.array(rows(s), dtype=object)
    return Kernel(arr, dom, cod, params=list(P.values()), name=name)


def det(fn, dom, cod, name):
    return Kernel.deterministic(fn, dom, cod, name=name)


def build() -> Net:
    net = Net()
    add = net.add_box
    add("tasks", Kernel([0.5, 0.3, 0.2], [], [Task], name="tasks"), [], ["task"])
    add("intent", kernel(lambda s: [1 - s["beta"], s["beta"]], [], [Intent], "intent"), [], ["intent"])
    add("policy", kernel(lambda s: [[[1, 0, 0], [0, s["subtlety"], 1 - s["subtlety"]]]] * 3,
                         [Task, Intent], [Act], "policy"), ["task", "intent"], ["act"])
    add("monitor", kernel(lambda s: [[1 - s["fpr"], s["fpr"]], [1 - s["recall"], s["recall"]], [0.05, 0.95]],
                          [Act], [Verdict], "monitor"), ["act"], ["verdict1"])
    add("scorer", Kernel([[0.7, 0.2, 0.08, 0.02], [0.3, 0.3, 0.3, 0.1], [0.05, 0.15, 0.3, 0.5]], [Act],
                         [Suspicion], name="scorer"), ["act"], ["score"])
    add("threshold", det(lambda x: "flag" if x in ("high", "max") else "pass", [Suspicion], [Verdict],
                         "threshold"), ["score"], ["verdict2"])
    add("either", det(lambda a, b: "flag" if "flag" in (a, b) else "pass", [Verdict, Verdict], [Verdict],
                      "either"), ["verdict1", "verdict2"], ["flagged"])
    add("gate", kernel(lambda s: [[1, 0], [1 - s["budget"], s["budget"]]], [Verdict], [Audit], "gate"),
        ["flagged"], ["audit"])
    add("auditor", kernel(lambda s: [[[1, 0], [s["human"], 1 - s["human"]]],   # clean: false accusations
                                     [[1, 0], [1 - s["human"], s["human"]]],   # subtle
                                     [[1, 0], [0.02, 0.98]]], [Act, Audit], [Finding], "auditor"),
        ["act", "audit"], ["finding"])
    add("shutdown", det(lambda f: "yes" if f == "caught" else "no", [Finding], [Bit], "shutdown"),
        ["finding"], ["stopped"])
    add("solve", kernel(lambda s: [[[1 - s["skill"], s["skill"]]] * 3, [[1 - s["skill"] * 0.8, s["skill"] * 0.8]] * 3,
                                   [[1 - s["skill"] * 0.6, s["skill"] * 0.6]] * 3],
                        [Task, Act], [Bit], "solve"), ["task", "act"], ["u_correct"])
    add("trusted", kernel(lambda s: [[1 - s["trusted"], s["trusted"]], [1 - s["trusted"] / 2, s["trusted"] / 2],
                                     [1 - s["trusted"] / 4, s["trusted"] / 4]], [Task], [Bit], "trusted"),
        ["task"], ["t_correct"])
    add("defer", det(lambda v, u, t: t if v == "flag" else u, [Verdict, Bit, Bit], [Bit], "defer"),
        ["flagged", "u_correct", "t_correct"], ["answer"])
    add("harm", det(lambda a, v: "yes" if a == "blatant" or (a == "subtle" and v == "pass") else "no",
                    [Act, Verdict], [Bit], "harm"), ["act", "flagged"], ["harmful"])
    add("escape", Kernel([[1.0, 0.0], [0.4, 0.6]], [Bit], [Bit], name="escape"), ["harmful"], ["escaped"])
    add("outcome", det(lambda stop, esc, ans: "caught" if stop == "yes" else "catastrophe" if esc == "yes"
                       else "useful" if ans == "yes" else "useless", [Bit, Bit, Bit], [Outcome], "outcome"),
        ["stopped", "escaped", "answer"], ["outcome"])
    add("log", Kernel([[0.99, 0.01], [0.5, 0.5]], [Verdict], [Bit], name="log"), ["flagged"], ["logged"])
    add("report", det(lambda o, logged: "yes" if o == "caught" or logged == "yes" else "no", [Outcome, Bit], [Bit],
                      "report"), ["outcome", "logged"], ["reported"])
    add("review", kernel(lambda s: [[1, 0], [1 - s["human"] / 2, s["human"] / 2]], [Bit], [Bit], "review"),
        ["reported"], ["reviewed"])
    add("audit_cost", Kernel(np.ones(2), [Audit], [], name="audit cost"), ["audit"], [])
    net.set_outputs("outcome", "reviewed")
    return net


def run(quick: bool) -> list[Row]:
    rng = np.random.default_rng(3)
    net = build()
    assert len(net.boxes) == 20
    t0 = time.perf_counter()
    first = net.evaluate()
    planning = time.perf_counter() - t0
    assert np.isclose(first.array.sum(), 1.0)
    settings = [{n: float(rng.uniform(*p.domain)) for n, p in P.items()} for _ in range(64)]
    k = [0]

    def again():
        k[0] = (k[0] + 1) % len(settings)
        return net.evaluate(settings[k[0]])

    t = medians({"ours": Contender(again)}, repeat=9 if quick else 41)
    return [Row("(e) 20-box proposal", "re-evaluate with new values", t["ours"], target="< 1 ms",
                met=t["ours"] < 1e-3, note=f"first evaluation (check + plan + compile) {planning * 1e3:.0f} ms"),
            ]
