"""Proposal diffs: structure (boxes, wires, parameters) and the change in every query."""
import pytest

from markovwire import FinSet, Kernel, Net, Parameter
from markovwire.analysis import Query, diff

from analysis_helpers import ACT, VERDICT, monitor_net

BOOL = FinSet("Bool", ["no", "yes"])


def test_identical_nets_have_no_structural_change():
    d = diff(monitor_net(), monitor_net(), [Query.probability({"verdict": "flag"})])
    assert not d.structural
    assert str(d) == "no structural change\nqueries:\n  P(verdict=flag): 0.115 → 0.115 (+0)"


def test_every_kind_of_change_is_reported():
    old = monitor_net()
    new = monitor_net(beta_domain=(0, 0.5), beta_default=0.2)
    new.boxes = [b for b in new.boxes if b.name != "monitor"]
    strict = Kernel([[0.9, 0.1], [0.1, 0.9]], [ACT], [VERDICT])
    new.add_box("monitor", strict, ["act"], ["verdict"])
    new.add_box("auditor", Kernel([[1, 0], [0.5, 0.5]], [VERDICT], [BOOL]), ["verdict"], ["caught"])
    new.set_outputs("act", "verdict", "caught")
    d = diff(old, new, [Query.probability({"act": "attack", "verdict": "pass"}), Query.probability({"caught": "yes"})])
    assert d.boxes_added == ["auditor"] and d.boxes_removed == []
    assert d.boxes_changed == {"monitor": ["kernel changed (symbolic entries) (TV distance 0.2)"]}
    assert d.wires_added == {"caught": "Bool"}
    assert d.params_removed == {"r": "in [0, 1], default 0.7"}
    assert d.params_changed == {"beta": ["domain [0, 1] → [0, 0.5]", "default 0.1 → 0.2"]}
    assert d.outer == {"outputs": (["act", "verdict"], ["act", "verdict", "caught"])}
    missed, caught = d.queries
    assert missed.old == pytest.approx(0.1 * 0.3) and missed.new == pytest.approx(0.2 * 0.1)
    assert missed.delta == pytest.approx(0.02 - 0.03)
    assert caught.old is None and caught.new == pytest.approx(0.8 * 0.1 * 0.5 + 0.2 * 0.9 * 0.5)
    assert "old: query P(caught=yes): wire 'caught' is not a wire of the net" in caught.error
    text = str(d)
    for line in ("+ box auditor", "~ box monitor: kernel changed", "+ wire caught: Bool", "- parameter r",
                 "~ parameter beta: domain [0, 1] → [0, 0.5]; default 0.1 → 0.2",
                 "~ outer outputs: act, verdict → act, verdict, caught", "P(caught=yes): — → 0.13"):
        assert line in text
    assert d.to_dict()["boxes"]["changed"]["monitor"][0].startswith("kernel changed")


def test_rewiring_retyping_and_values_for_each_side():
    old, new = Net(), Net()
    old.add_box("src", Kernel([0.5, 0.5], [], [BOOL]), [], ["x"])
    other = FinSet("Bool", ["no", "yes", "maybe"])
    new.add_box("src", Kernel([0.5, 0.25, 0.25], [], [other]), [], ["x"])
    d = diff(old, new)
    assert d.wires_retyped == {"x": ("Bool{no, yes}", "Bool{no, yes, maybe}")}
    assert d.boxes_changed["src"][0] == "signature I → bool: Bool became I → bool: Bool"
    p = Parameter("p", (0, 1), default=0.5)
    a, b = Net(), Net()
    a.add_box("coin", Kernel([1 - p, p], [], [BOOL], params=[p]), [], ["x"])
    b.add_box("coin", Kernel([1 - p, p], [], [BOOL], params=[p]), [], ["y"])
    d2 = diff(a, b, [Query.probability({"x": "yes"})], values={"p": 0.2}, values_new={"p": 0.4})
    assert d2.boxes_changed == {"coin": ["drives x → y"]}
    assert d2.queries[0].new is None and "not a wire" in d2.queries[0].error
    d3 = diff(a, a, [Query.probability({"x": "yes"})], values={"p": 0.2}, values_new={"p": 0.4})
    assert d3.queries[0].delta == pytest.approx(0.2)
