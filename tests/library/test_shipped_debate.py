"""Debate against consultancy and naive judging (P5), next to Khan24's QuALITY numbers."""
from __future__ import annotations

import pytest

from markovwire.library import load_proposal
from markovwire.library.shipped import proposals_dir

KHAN24 = {"debate_llm": 0.76, "consultancy_llm": 0.54, "naive_llm": 0.48,          # [abstract]; consultancy [secondary]
          "debate_human": 0.88, "consultancy_human": 0.78, "naive_human": 0.60}


@pytest.fixture(scope="module")
def debate():
    return load_proposal(proposals_dir() / "debate.yaml")


def test_the_published_accuracies_are_reproduced(debate):
    out = debate.evaluate()
    assert {k: round(out[k], 6) for k in KHAN24} == KHAN24
    for judge in ("llm", "human"):
        assert out[f"debate_{judge}"] > out[f"consultancy_{judge}"] > out[f"naive_{judge}"]


def test_the_judges_are_symmetric_in_the_true_side(debate):
    for name in KHAN24:
        q = debate.queries[name]
        wire = next(iter(q.spec.probability))
        flipped = debate.spec.queries[name].model_copy(update={"probability": {wire: "B"},
                                                               "inputs": {**q.inputs, "truth": "B"}})
        again = debate.replace(queries={**debate.spec.queries, name: flipped})
        assert again.evaluate(queries=[name])[name] == pytest.approx(KHAN24[name])


def test_colluding_debaters_are_no_better_than_the_judge_alone(debate):
    out = debate.evaluate({"j_collude": [0.0, 0.24, 0.48]}, ["debate_colluding", "naive_llm"])
    assert list(out["debate_colluding"]) == pytest.approx([0.0, 0.24, 0.48])
    assert all(c <= n + 1e-12 for c, n in zip(out["debate_colluding"], out["naive_llm"]))
