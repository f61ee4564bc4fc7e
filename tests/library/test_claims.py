"""Flow claims in proposal files and the proposal diff, checked against paths traced by hand."""
from __future__ import annotations

import doctest

import pytest

import markovwire.library.claims as claims_mod
import markovwire.library.diff as diff_mod
from markovwire.errors import MarkovwireError
from markovwire.library.diff import proposal_diff
from markovwire.library.proposal import load_proposal, proposal_from_text
from markovwire.library.shipped import proposals_dir

BUDGETED = proposals_dir() / "budgeted_monitoring.yaml"


@pytest.mark.parametrize("module", [claims_mod, diff_mod])
def test_doctests(module):
    assert doctest.testmod(module).failed == 0


def with_claims(path, claims: str):
    text = path.read_text()
    return proposal_from_text(text + "\nclaims:\n" + claims, "claims.yaml", path)


def test_flow_through_the_state_reaches_later_steps():
    """Within a step the auditor cannot see its own audit; through the budget it sees earlier ones."""
    p = with_claims(BUDGETED, "  - never_sees: [auditor, auditor.audit]\n"
                              "  - never_sees: [monitor, auditor.audit]\n"
                              "  - never_sees: [policy, episode]\n"
                              "  - cannot_affect: [monitor, answer]\n"
                              "  - cannot_affect: [episode, audit]\n")
    checks = p.claims().checks
    assert [c.holds for c in checks] == [False, True, True, True, False]
    assert checks[0].path == "auditor.audit → [episode/update] → episode.state → [episode/readout] → " \
                             "episode/readout.budget → [auditor]"
    assert checks[4].claim == "episode cannot affect audit"
    assert checks[4].path.startswith("[episode] → episode/readout.budget → [auditor]")
    assert not p.claims().all_hold


def test_independence_within_a_step_by_d_separation():
    p = with_claims(BUDGETED, "  - independent: [[monitor.sus], [intent], [policy.act]]\n"
                              "  - independent: [[monitor.sus], [answer]]\n"
                              "  - independent: [[monitor.sus], [answer], [policy.act]]\n")
    assert [c.holds for c in p.claims().checks] == [True, False, True]
    assert p.claims().checks[1].claim == "monitor.sus ⊥ answer"


def test_unknown_names_in_claims_are_placed():
    with pytest.raises(MarkovwireError) as e:
        with_claims(BUDGETED, "  - never_sees: [auditr, audit]\n  - independent: [[monitor.suss], [intent]]\n")
    msg = str(e.value)
    assert "claims.yaml:" in msg and "claims[0].never_sees[0]" in msg and "no instance 'auditr'" in msg
    assert "claims[1].independent" in msg and "no wire 'monitor.suss' (did you mean 'monitor.sus'?)" in msg


def test_a_claim_needs_exactly_one_kind():
    with pytest.raises(MarkovwireError, match="exactly one of 'never_sees', 'cannot_affect' or 'independent'"):
        with_claims(BUDGETED, "  - never_sees: [auditor, audit]\n    cannot_affect: [auditor, audit]\n")


def test_diff_reports_structure_and_every_shared_query():
    old = load_proposal(proposals_dir() / "trusted_monitoring.yaml")
    new = load_proposal(proposals_dir() / "defer_to_trusted.yaml")
    d = proposal_diff(old, new)
    assert d.boxes_added == ["untrusted", "trusted", "router"] and d.boxes_removed == ["solution"]
    assert "r_ok" in d.params_removed and "mu" in d.params_added
    shorter = load_proposal(proposals_dir() / "credal_control.yaml")
    assert proposal_diff(old, shorter).params_changed["T"] == ["default 5000 → 100"]   # not a parameter of the nets
    changes = {q.query: q for q in d.queries}
    assert changes["safety"].old == pytest.approx(old.value("safety"), abs=1e-15)
    assert changes["safety"].new == pytest.approx(new.value("safety"), abs=1e-15)
    assert changes["safety"].delta == pytest.approx(new.value("safety") - old.value("safety"), abs=1e-15)


def test_diff_of_a_proposal_with_itself_is_empty_and_credal_entries_compare_both_ends():
    p = load_proposal(proposals_dir() / "credal_control.yaml")
    d = proposal_diff(p, p)
    assert not d.structural
    assert {q.query for q in d.queries} == {"p_catastrophe", "safety", "catastrophe_range lower",
                                            "catastrophe_range upper", "imprecise_monitor lower",
                                            "imprecise_monitor upper"}
    assert all(q.delta == 0 for q in d.queries)

