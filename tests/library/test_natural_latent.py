"""natural_latent: in proposal files: the worked example against enumeration, the CLI, and the file's mistakes."""
from __future__ import annotations

import doctest
import itertools
import json
import math
from pathlib import Path

import limits
import numpy as np
import pytest
from click.testing import CliRunner
from scipy.stats import entropy as sp_entropy

from markovwire.errors import MarkovwireError
from markovwire.library import load_library, load_proposal
from markovwire.library.proposal import proposal_from_text
from markovwire.library.shipped import proposals_dir
from markovwire.tui.cli import cli

PATH = proposals_dir() / "natural_latents.yaml"


@pytest.fixture(scope="module")
def stack():
    return load_proposal(PATH)


# ----- an oracle: the stack written out by hand -----------------------------------------------------
def slip_law(me, mh):
    return {"always": me, "if_hard": mh - me, "never": 1 - mh}


def missed(z, slip) -> int:
    return int(slip == "always" or (slip == "if_hard" and z == "hard"))


def difficulty_joint(layers, me=0.02, mh=0.18, p_hard=0.5):
    """P[z, miss_1..miss_layers], enumerating every slip."""
    out = np.zeros((2,) + (2,) * layers)
    for z, pz in (("easy", 1 - p_hard), ("hard", p_hard)):
        for slips in itertools.product(slip_law(me, mh).items(), repeat=layers):
            idx = (int(z == "hard"),) + tuple(missed(z, s) for s, _ in slips)
            out[idx] += pz * math.prod(p for _, p in slips)
    return out


def H_given(joint, a, b) -> float:
    """H(A | B) = Σ_b P(b) H(A | B = b) (axes a, b; the rest summed out)."""
    other = tuple(i for i in range(joint.ndim) if i not in a + b)
    m = joint.sum(axis=other) if other else joint
    kept = sorted(a + b)
    m = np.transpose(m, [kept.index(i) for i in b + a]).reshape(int(np.prod([joint.shape[i] for i in b])), -1)
    return sum(r.sum() * sp_entropy(r / r.sum()) for r in m if r.sum() > 0)


def total_correlation(joint, groups, given) -> float:
    return sum(H_given(joint, g, given) for g in groups) - H_given(joint, tuple(i for g in groups for i in g), given)


# ----- the worked example ---------------------------------------------------------------------------
def test_the_layers_are_alignments_swiss_cheese_layers(stack):
    out = stack.evaluate()
    cheese = load_proposal(proposals_dir() / "swiss_cheese.yaml").evaluate()
    assert out["p_miss_one_layer"] == pytest.approx(cheese["p_miss_one_layer"], abs=1e-15)
    assert out["p_miss_all_three"] == pytest.approx(cheese["p_pass_common"], abs=1e-15)


@pytest.mark.parametrize("me, mh", [(0.02, 0.18), (0.0, 1.0), (0.1, 0.1), (0.07, 0.6)])
def test_a_slip_then_a_slipping_layer_is_a_swiss_cheese_layer(me, mh):
    """Σ_slip P(slip) slipping_layer(z, slip) = swiss_cheese_layer(passed, z) with m_easy = me, m_hard = mh."""
    lib = load_library("alignment")
    slip = lib.components["layer_slip"].instantiate("s").kernel.subs({"miss_easy": me, "miss_hard": mh})
    layer = lib.components["slipping_layer"].instantiate("l").kernel
    cheese = lib.components["swiss_cheese_layer"].instantiate("c").kernel.subs({"m_easy": me, "m_hard": mh})
    composed = np.einsum("s,zsy->zy", np.asarray(slip.array, dtype=float), np.asarray(layer.array, dtype=float))
    np.testing.assert_allclose(composed, np.asarray(cheese.array, dtype=float)[1], atol=1e-15)   # threat = passed
    for name in ("layer_slip", "slipping_layer"):
        c = lib.components[name]
        assert "C21" in c.doc + c.source and len(c.doc) > 40


@pytest.mark.parametrize("me, mh", [(0.02, 0.18), (0.1, 0.1), (0.05, 0.5), (0.01, 0.9), (0.0, 1.0)])
def test_difficulty_mediates_exactly_and_its_redundancy_error_is_the_enumerated_one(stack, me, mh):
    r = stack.natural_latents({"miss_easy": me, "miss_hard": mh})
    one, two, three = (difficulty_joint(k, me, mh) for k in (2, 4, 6))
    assert r["difficulty"].mediation == 0 and r["difficulty"].mediation_kl == pytest.approx(0, abs=1e-15)
    assert r["difficulty"].redundancy == pytest.approx([H_given(one, (0,), (1,)), H_given(one, (0,), (2,))],
                                                       abs=1e-12)
    assert r["difficulty_banks_of_2"].redundancy[0] == pytest.approx(H_given(two, (0,), (1, 2)), abs=1e-12)
    assert r["difficulty_banks_of_3"].redundancy[1] == pytest.approx(H_given(three, (0,), (4, 5, 6)), abs=1e-12)
    # the KL form of redundancy: I(Λ; X_-i | Xi) = H(Λ | Xi) − H(Λ | X)
    assert r["difficulty"].redundancy_kl[0] == pytest.approx(
        H_given(one, (0,), (1,)) - H_given(one, (0,), (1, 2)), abs=1e-12)


def test_the_worked_examples_numbers(stack):
    r = stack.natural_latents()
    assert [round(r[n].redundancy[0], 3) for n in ("difficulty", "difficulty_banks_of_2", "difficulty_banks_of_3")] \
        == [0.653, 0.615, 0.579]                        # falls as each observable holds more layers
    assert all(r[n].natural is False for n in r)        # not natural at ε = 0.01
    assert r["first_slip"].mediation == pytest.approx(0.0147691, abs=1e-7)
    sep = stack.natural_latents({"miss_easy": 0.0, "miss_hard": 1.0})
    assert sep["difficulty"].natural and sep["difficulty"].redundancy == (0.0, 0.0)
    assert sep["first_slip"].mediation == pytest.approx(2 * math.log(2), abs=1e-12)   # three copies of z
    rows = [stack.natural_latents({"miss_easy": me, "miss_hard": mh})["difficulty"].redundancy[0]
            for me, mh in [(0.1, 0.1), (0.02, 0.18), (0.05, 0.5), (0.01, 0.9), (0.0, 1.0)]]
    assert rows == sorted(rows, reverse=True) and rows[0] == pytest.approx(math.log(2), abs=1e-12)


def test_a_per_layer_noise_latent_fails_mediation_as_enumerated(stack):
    r = stack.natural_latents()["first_slip"]
    law = np.zeros((3, 2, 2, 2))                         # P[slip1, miss1, miss2, miss3]
    slips = list(slip_law(0.02, 0.18).items())
    for (z, pz), (k, (s1, p1)) in itertools.product((("easy", 0.5), ("hard", 0.5)), enumerate(slips)):
        for (s2, p2), (s3, p3) in itertools.product(slips, repeat=2):
            law[k, missed(z, s1), missed(z, s2), missed(z, s3)] += pz * p1 * p2 * p3
    assert r.mediation == pytest.approx(total_correlation(law, [(1,), (2,), (3,)], (0,)), abs=1e-12)
    assert r.mediation == pytest.approx(r.mediation_kl, abs=1e-12)
    assert r.redundancy == pytest.approx([H_given(law, (0,), (i,)) for i in (1, 2, 3)], abs=1e-12)
    assert r.mediation > 0.01 and r.natural is False


def test_bits_in_the_file():
    text = PATH.read_text().replace("    epsilon: 0.01\n  difficulty_banks_of_2:",
                                    "    epsilon: 0.01\n    unit: bits\n  difficulty_banks_of_2:")
    p = proposal_from_text(text, str(PATH), PATH)
    r = p.natural_latents()["difficulty"]
    assert r.unit == "bits" and r.redundancy[0] == pytest.approx(0.652781 / math.log(2), abs=1e-6)


# ----- the command line ---------------------------------------------------------------------------------
def test_eval_json_reports_natural_latents_from_the_same_model(stack):
    r = CliRunner().invoke(cli, ["eval", str(PATH), "--json", "--set", "miss_hard=0.5", "--set", "miss_easy=0.05"])
    assert r.exit_code == 0, r.output
    got = json.loads(r.output)["natural_latents"]
    want = stack.natural_latents({"miss_hard": 0.5, "miss_easy": 0.05})
    assert set(got) == {"difficulty", "difficulty_banks_of_2", "difficulty_banks_of_3", "first_slip"}
    assert got["difficulty"]["redundancy"] == pytest.approx(list(want["difficulty"].redundancy), abs=1e-15)
    assert got["difficulty"]["observables"] == [["miss1"], ["miss2"]]
    assert got["difficulty"]["natural"] is False and got["difficulty"]["epsilon"] == 0.01
    assert got["first_slip"]["mediation"] == pytest.approx(want["first_slip"].mediation, abs=1e-15)


def test_eval_prints_the_table_at_a_point_and_over_a_sweep(stack):
    r = CliRunner().invoke(cli, ["eval", str(PATH)], env={"COLUMNS": "150"})
    assert r.exit_code == 0, r.output
    assert "natural latents" in r.output and "first_slip" in r.output and "0.0147691 nats" in r.output
    assert "no at ε = 0.01" in r.output
    r = CliRunner().invoke(cli, ["eval", str(PATH), "--set", "miss_easy=0", "--sweep", "miss_hard=0.18:1:2"],
                           env={"COLUMNS": "150"})
    assert r.exit_code == 0, r.output
    top = stack.natural_latents({"miss_easy": 0.0, "miss_hard": 0.18})["difficulty"].redundancy[0]
    assert f"0 … {top:.6g}" in r.output                  # H(difficulty | miss1) from miss_hard = 1 to 0.18
    assert "at 1 of 2 points, ε = 0.01" in r.output      # natural only where miss1 is the difficulty


def test_eval_json_over_a_sweep_lists_one_value_per_point(stack):
    r = CliRunner().invoke(cli, ["eval", str(PATH), "--json", "--sweep", "miss_hard=0.2:0.9:3",
                                 "--sweep", "miss_easy=0:0.1:2"])
    assert r.exit_code == 0, r.output
    got = json.loads(r.output)["natural_latents"]["difficulty_banks_of_2"]
    points = [(mh, me) for mh in (0.2, 0.55, 0.9) for me in (0.0, 0.1)]      # the last --sweep varies fastest
    want = [stack.natural_latents({"miss_hard": mh, "miss_easy": me})["difficulty_banks_of_2"] for mh, me in points]
    assert got["redundancy"][1] == pytest.approx([w.redundancy[1] for w in want], abs=1e-12)
    assert got["natural"] == [w.natural for w in want]


# ----- mistakes in the file --------------------------------------------------------------------------------
def line_of(text: str) -> int:
    """The line of the proposal file where ``text`` starts."""
    source = PATH.read_text()
    return source[:source.index(text)].count("\n") + 1


def problem(tmp_path, old, new) -> str:
    text = PATH.read_text()
    assert old in text
    f = tmp_path / "p.yaml"
    f.write_text(text.replace(old, new, 1))
    with pytest.raises(MarkovwireError):
        load_proposal(f)
    r = limits.run_cli(["eval", str(f)])
    assert r.clean and r.returncode == 1, str(r)
    return r.stderr


def test_an_unknown_observable_is_placed_with_did_you_mean(tmp_path):
    out = problem(tmp_path, "observables: [miss1, miss2]", "observables: [mis1, miss2]")
    line = line_of("observables: [miss1, miss2]")
    assert f"p.yaml:{line}: natural_latent.difficulty.observables[0]: no wire 'mis1' (did you mean 'miss1'?)" in out
    assert "fix: name an outer port, a stateful instance or box.port: miss1" in out


def test_an_unknown_latent_and_a_wire_inside_a_bank(tmp_path):
    out = problem(tmp_path, "latent: s1.slip", "latent: s1.slp")
    assert "natural_latent.first_slip.latent: no wire 's1.slp' (did you mean 's1.slip'?)" in out
    out = problem(tmp_path, "[[miss1, miss2], [miss3, miss4]]", "[[miss1, miss2], [miss3, mis4]]")
    assert "natural_latent.difficulty_banks_of_2.observables[1][1]: no wire 'mis4' (did you mean 'miss4'?)" in out


def test_no_observables_is_refused_with_a_fix(tmp_path):
    out = problem(tmp_path, "observables: [miss1, miss2]", "observables: []")
    line = line_of("observables: [miss1, miss2]")
    assert f"p.yaml:{line}: natural_latent.difficulty.observables: names no observables" in out
    assert "fix: list the wires the latent should explain, e.g. observables: [miss1, miss2]" in out


def test_other_mistakes(tmp_path):
    out = problem(tmp_path, "[[miss1, miss2], [miss3, miss4]]", "[[miss1, miss1], [miss3, miss4]]")
    assert "natural_latent.difficulty_banks_of_2.observables[0]: names one wire twice" in out
    out = problem(tmp_path, "    epsilon: 0.01\n  difficulty_banks_of_2:", "    epsilon: -1\n  difficulty_banks_of_2:")
    assert "natural_latent.difficulty.epsilon: -1: input should be greater than or equal to 0" in out
    out = problem(tmp_path, "    epsilon: 0.01\n  difficulty_banks_of_2:", "    unit: bats\n  difficulty_banks_of_2:")
    assert "natural_latent.difficulty.unit: expected one of 'nats' or 'bits', got 'bats'" in out
    out = problem(tmp_path, "    latent: s1.slip\n", "    latent: s1.slip\n    given: {miss4: missed}\n")
    assert "natural_latent.first_slip.given.miss4" in out and "missed" in out


# ----- the README's worked example ----------------------------------------------------------------------
README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readmes_table_is_what_the_proposal_computes(stack):
    text = README.read_text(encoding="utf-8")
    for (me, mh), row in zip([(0.1, 0.1), (0.02, 0.18), (0.05, 0.5), (0.01, 0.9), (0.0, 1.0)],
                             ["| 0.1 / 0.1 (no common cause) |", "| 0.02 / 0.18 (the default) |", "| 0.05 / 0.5 |",
                              "| 0.01 / 0.9 |", "| 0 / 1 (the miss is the difficulty) |"]):
        line = next(t for t in text.splitlines() if t.startswith(row))
        cells = [c.strip().split(" ")[0] for c in line.split("|")[2:-1]]
        r = stack.natural_latents({"miss_easy": me, "miss_hard": mh})
        got = [r["difficulty"].redundancy[0], r["difficulty_banks_of_2"].redundancy[0],
               r["difficulty_banks_of_3"].redundancy[0], r["difficulty"].mediation, r["first_slip"].mediation]
        assert [float(c) for c in cells] == pytest.approx(got, abs=6e-4, rel=2e-3), row


def test_the_readmes_minimal_latent_example(monkeypatch):
    text = README.read_text(encoding="utf-8")
    block = text[text.index("**Minimal latents.**"):]
    block = block[block.index("```python") + len("```python"):]
    block = block[:block.index("```")]
    monkeypatch.chdir(README.parent)
    test = doctest.DocTestParser().get_doctest(block, {}, "README minimal latents", str(README), 0)
    runner = doctest.DocTestRunner()
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


def test_swept_values_give_arrays_of_the_pointwise_checks(stack):
    r = stack.natural_latents({"miss_hard": [0.18, 0.5, 1.0]})["difficulty"]
    for k, mh in enumerate([0.18, 0.5, 1.0]):
        point = stack.natural_latents({"miss_hard": mh})["difficulty"]
        assert r.redundancy[0][k] == pytest.approx(point.redundancy[0], abs=1e-15)
        assert r.natural[k] == point.natural


def test_evidence_in_a_check_and_evidence_of_probability_zero(stack):
    text = PATH.read_text().replace("    latent: s1.slip\n", "    latent: s1.slip\n    given: {miss4: passed}\n")
    p = proposal_from_text(text, str(PATH), PATH)
    r = p.natural_latents()["first_slip"]
    slips = list(slip_law(0.02, 0.18).items())
    law = np.zeros((3, 2, 2, 2))            # P[slip1, miss1, miss2, miss3, miss4 = passed], then normalised
    for (z, pz), (k, (s1, p1)) in itertools.product((("easy", 0.5), ("hard", 0.5)), enumerate(slips)):
        for (s2, p2), (s3, p3), (s4, p4) in itertools.product(slips, repeat=3):
            if missed(z, s4):
                law[k, missed(z, s1), missed(z, s2), missed(z, s3)] += pz * p1 * p2 * p3 * p4
    law /= law.sum()
    assert r.mediation == pytest.approx(total_correlation(law, [(1,), (2,), (3,)], (0,)), abs=1e-12)
    with pytest.raises(MarkovwireError) as e:
        p.natural_latents({"miss_easy": 0.0, "p_hard_case": 0.0})      # no layer ever misses
    assert e.value.keys == ("natural_latent", "first_slip") and "probability zero" in str(e.value)


def test_a_sweep_point_of_impossible_evidence_is_nan_and_null_never_a_verdict():
    text = PATH.read_text().replace("    latent: s1.slip\n", "    latent: s1.slip\n    given: {miss4: passed}\n")
    p = proposal_from_text(text, str(PATH), PATH)
    r = p.natural_latents({"miss_easy": 0.0, "p_hard_case": [0.0, 0.5]})["first_slip"]
    point = p.natural_latents({"miss_easy": 0.0, "p_hard_case": 0.5})["first_slip"]
    assert np.isnan(r.mediation[0]) and r.mediation[1] == pytest.approx(point.mediation, abs=1e-15)
    assert all(np.isnan(x[0]) for x in r.redundancy + r.redundancy_kl)
    d = json.loads(json.dumps(r.to_dict()))
    assert d["mediation"][0] is None and d["redundancy"][1][0] is None and d["natural"] == [None, point.natural]
    assert "and nan]" in str(r)


def test_the_modules_doctests():
    import markovwire.library.latents as module
    assert doctest.testmod(module, optionflags=doctest.ELLIPSIS).failed == 0
