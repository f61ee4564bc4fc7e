"""Natural-latent checks too large for memory, in bounded children: refused with the check's place and the
budget's fix, never a MemoryError or a traceback; and an episode's check answered from its compiled model."""
from __future__ import annotations

import json

import limits
import numpy as np
import pytest

N = 40


def stack(n: int, checks: str) -> str:
    """A proposal of ``n`` slipping layers sharing one difficulty, misses as outputs miss1..missN."""
    lines = ["name: many_layers", "libraries: [alignment]", "instances:", "  latent: {component: difficulty}"]
    for i in range(1, n + 1):
        lines += [f"  s{i}: {{component: layer_slip}}", f"  l{i}: {{component: slipping_layer}}"]
    lines += ["wiring:", "  outputs: {" + ", ".join(f"miss{i}: Threat" for i in range(1, n + 1)) + "}", "  wires:"]
    for i in range(1, n + 1):
        lines += [f"    - latent.difficulty -> l{i}.difficulty", f"    - s{i}.slip -> l{i}.slip",
                  f"    - l{i}.threat -> out.miss{i}"]
    return "\n".join(lines) + "\nnatural_latent:\n" + checks


def misses(a: int, b: int) -> str:
    return "[" + ", ".join(f"miss{i}" for i in range(a, b + 1)) + "]"


def line_of(text: str, key: str) -> int:
    return text[:text.index(key)].count("\n") + 1


def test_a_joint_law_of_41_wires_is_refused_by_the_memory_budget(tmp_path):
    banks = ", ".join(misses(10 * b + 1, 10 * b + 10) for b in range(4))
    text = stack(N, f"  everything:\n    latent: latent.difficulty\n    observables: [{banks}]\n")
    f = limits.write(tmp_path, "many.yaml", text)
    r = limits.run_cli(["eval", str(f)])
    assert r.clean and r.returncode == 1, str(r)
    assert f"many.yaml:{line_of(text, '  everything:')}: natural_latent.everything:" in r.stderr
    assert "more than the memory budget" in r.stderr and "(41 wires)" in r.stderr
    assert "fix: raise the budget: --max-memory" in r.stderr


def test_a_latent_repeating_its_observables_is_refused_before_the_copies_are_made(tmp_path):
    """16 wires in the latent and twice among the observables: 2^48 entries of grouped law from a 2^16 joint."""
    text = stack(16, f"  overlap:\n    latent: {misses(1, 16)}\n    observables: [{misses(1, 16)}, {misses(1, 16)}]\n")
    f = limits.write(tmp_path, "overlap.yaml", text)
    r = limits.run_cli(["eval", str(f), "--json"])
    assert r.clean and r.returncode == 1, str(r)
    err = json.loads(r.stdout)["error"]
    assert err["type"] == "ContractionTooLarge" and err["keys"] == ["natural_latent", "overlap"]
    assert err["line"] == line_of(text, "  overlap:")
    assert "the joint law of 48 wires (281,474,976,710,656 entries)" in err["message"]
    assert "--max-memory" in err["fix"]


def test_the_python_surface_refuses_too(tmp_path):
    r = limits.run_python("""
        import numpy as np
        from markovwire import FinSet, Kernel, Net
        from markovwire.analysis import natural_latent
        from markovwire.errors import ContractionTooLarge
        Bit = FinSet("Bit", ["0", "1"])
        net = Net()
        net.add_box("z", Kernel([0.5, 0.5], [], [Bit]), [], ["z"])
        xs = [f"x{i}" for i in range(20)]
        for x in xs:
            net.add_box(x, Kernel(np.eye(2), [Bit], [Bit]), ["z"], [x])
        try:
            natural_latent(net, xs, [xs, xs])
        except ContractionTooLarge as e:
            print("refused:", e.what)
    """)
    assert r.clean and r.returncode == 0, str(r)
    assert "refused: needs" in r.stdout and "joint law of 60 wires" in r.stdout


def test_an_episodes_check_is_answered_from_its_model():
    """A natural-latent check of trusted monitoring's episode: the latent is the episode's state after T steps."""
    from markovwire.analysis.latents import natural_latent
    from markovwire.analysis.query import Query
    from markovwire.library import load_proposal
    from markovwire.library.proposal import proposal_from_text
    from markovwire.library.shipped import proposals_dir

    path = proposals_dir() / "trusted_monitoring.yaml"
    text = path.read_text() + ("natural_latent:\n  state:\n    latent: episode\n    observables: [episode]\n"
                               "    inputs: {intent: scheming}\n")
    p = proposal_from_text(text, str(path), path)
    r = p.natural_latents()["state"]
    model = load_proposal(path).model()
    law = np.asarray(Query.distribution([p.wire("episode")], at={"intent": "scheming"}).value(model.target, {}))
    h = float(-(law[law > 0] * np.log(law[law > 0])).sum())
    assert r.mediation == 0 and r.redundancy == (0.0,) and r.redundancy_kl == (0.0,)   # a wire is its own latent
    assert 0.1 < h < np.log(len(law))
    direct = natural_latent(model.target, [], [p.wire("episode"), p.wire("episode")], at={"intent": "scheming"})
    assert direct.mediation == pytest.approx(h, abs=1e-12)       # two copies share H(state) nats
