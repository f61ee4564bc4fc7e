"""What changed between two proposals: boxes, wires and parameters of their nets, and every query both ask.

>>> from markovwire.library.shipped import proposals_dir
>>> from markovwire.library.proposal import load_proposal
>>> d = proposal_diff(load_proposal(proposals_dir() / "trusted_monitoring.yaml"),
...                   load_proposal(proposals_dir() / "defer_to_trusted.yaml"))
>>> d.boxes_added
['untrusted', 'trusted', 'router']
"""
from __future__ import annotations

from markovwire.analysis import NetDiff, QueryChange, diff


def proposal_diff(old, new) -> NetDiff:
    """The structural difference of the two nets (each at its own parameter values), the proposals' other
    parameters (episode length, sizes of types), and each shared query's change (credal bounds: both ends)."""
    out = diff(old.net(), new.net(), values=_defaults(old), values_new=_defaults(new))
    covered = set(out.params_added) | set(out.params_removed) | set(out.params_changed)
    pa, pb = old.parameters, new.parameters
    for n in sorted(set(pa) & set(pb) - covered):
        if pa[n].default != pb[n].default:
            out.params_changed[n] = [f"default {pa[n].default:g} → {pb[n].default:g}"]
    names = [n for n in _entries(old) if n in _entries(new)]
    va, vb = old.evaluate(queries=names), new.evaluate(queries=names)
    for n in names:
        x, y = va[n], vb[n]
        if isinstance(x, dict) and isinstance(y, dict):
            out.queries += [QueryChange(f"{n}[{lab}]", x.get(lab), y.get(lab)) for lab in dict.fromkeys([*x, *y])]
        elif isinstance(x, dict) or isinstance(y, dict):
            out.queries.append(QueryChange(n, None, None, "a distribution in one proposal only"))
        elif hasattr(x, "lower") and hasattr(y, "lower"):
            out.queries += [QueryChange(f"{n} lower", x.lower, y.lower), QueryChange(f"{n} upper", x.upper, y.upper)]
        else:
            out.queries.append(QueryChange(n, float(x.value if hasattr(x, "value") else x),
                                           float(y.value if hasattr(y, "value") else y)))
    return out


def _entries(p) -> list[str]:
    return list(p.queries) + list(p.adversary) + list(p.credal)


def _defaults(p) -> dict:
    return {n: par.default for n, par in p.all_parameters.items() if par.default is not None}
