"""The audit_timing proposal at the ends of its domains, in one bounded child: the policy by step and state over
the longest episode and the most coins is refused with its cost and what would fix it; stationary policies over
the same sizes are answered; a misplaced ``stationary`` is refused at its key."""
from __future__ import annotations

import limits

from markovwire.library.shipped import proposals_dir

FILE = proposals_dir() / "audit_timing.yaml"

CODE = """
import re
from pathlib import Path
from markovwire.errors import MarkovwireError
from markovwire.library.proposal import load_proposal

p = load_proposal({file!r})
cases = [("long", "audit_policy", {{"T": 10_000_000}}), ("coins", "audit_policy", {{"c": 30}}),
         ("long_stationary", "stationary_policy", {{"T": 10_000_000}}), ("coins_threshold", "threshold", {{"c": 30}})]
for name, entry, values in cases:
    try:
        print(name, "value", round(p.solve(entry, values).value, 6))
    except MarkovwireError as e:
        print(name, "error", str(e).replace(chr(10), " "))
text = Path({file!r}).read_text()
for name, bad in (("over", "    over: [a]\\n    stationary: true\\n"), ("word", "    stationary: maybe\\n")):
    changed = text.replace("    instance: decide\\n    observes: [sus, spent]\\n    stationary: true\\n", bad, 1)
    path = Path({tmp!r}) / f"{{name}}.yaml"
    path.write_text(changed)
    try:
        load_proposal(path)
        print(name, "loaded")
    except MarkovwireError as e:
        print(name, "error", str(e).replace(chr(10), " "))
"""


def test_the_ends_of_audit_timings_domains(tmp_path):
    r = limits.run_python(CODE.format(file=str(FILE), tmp=str(tmp_path)))
    assert r.clean and r.returncode == 0, r
    out = dict(line.split(" ", 1) for line in r.stdout.splitlines())
    line = next(i for i, t in enumerate(FILE.read_text().splitlines(), 1) if t.startswith("  audit_policy:"))
    for case in ("long", "coins"):
        assert out[case].startswith("error ") and f"audit_timing.yaml:{line}: blue.audit_policy: " in out[case]
    assert "backward induction over 10,000,000 steps" in out["long"]
    assert "needs 1.38e+11 operations, 138x the cost budget" in out["long"]
    assert "--max-cost 1.4e+11" in out["long"] and "stationary: true" in out["long"] and "512 policies" in out["long"]
    assert "more than 10^19 deterministic policies" in out["coins"]
    assert "observes: [...]" in out["coins"]
    assert out["long_stationary"].startswith("value 0.1")            # one kernel for every step: matrix powers
    assert out["coins_threshold"].startswith("value ")
    assert "blue.stationary_policy" in out["over"] and "'stationary' belongs to a blue entry choosing an 'instance'" \
        in out["over"]
    assert "blue.stationary_policy.stationary" in out["word"] and "fix:" in out["word"]
