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
    """The structural difference of the two nets (each at its own parameter values) and each shared query's change."""
    out = diff(old.net(), new.net(), values=_defaults(old), values_new=_defaults(new))
    names = [n for n in _entries(old) if n in _entries(new)]
    va, vb = old.evaluate(queries=names), new.evaluate(queries=names)
    for n in names:
        x, y = va[n], vb[n]
        if isinstance(x, dict) and isinstance(y, dict):
            out.queries += [QueryChange(f"{n}[{lab}]", x.get(lab), y.get(lab)) for lab in dict.fromkeys([*x, *y])]
        elif isinstance(x, dict) or isinstance(y, dict):
            out.queries.append(QueryChange(n, None, None, "a distribution in one proposal only"))
        else:
            out.queries.append(QueryChange(n, _number(x), _number(y)))
    return out


def _entries(p) -> list[str]:
    return list(p.queries) + list(p.adversary) + list(p.credal)


def _defaults(p) -> dict:
    return {n: par.default for n, par in p.all_parameters.items() if par.default is not None}


def _number(v) -> float:
    """A query's number: a value, a worst case's value, or the lower end of credal bounds."""
    return float(getattr(v, "value", getattr(v, "lower", v)))
