"""The boxes a query needs: barren boxes dropped, evidence-only parts set apart.

A net's answer ``P(query | evidence, inputs)`` depends only on the boxes that are
ancestors of a queried or observed wire: every other box is *barren* (its outputs
are summed out, and a Markov kernel sums to one), so it contributes a factor of
exactly one. Among the ancestors, fix the observed wires and the outer inputs and
join two boxes when they share any other wire: the boxes connected to a queried
wire are *requisite*; each other group only touches observed wires and inputs,
so it contributes one number per input value (the probability of its evidence),
never a function of the query. This is d-separation read on the moral graph of
the ancestral set (Lauritzen, Dawid, Larsen and Leimer 1990), which finds the same
requisite boxes as Shachter's Bayes-ball and, where a box's factor is a constant
given its observed outputs, fewer.

The evaluator contracts the requisite boxes for the answer and the evidence-only
boxes apart, for one weight per input value that it multiplies in: so ``P(evidence)``
(``normalize=False``) stays exact and evidence of probability zero is still refused,
while the query's own contraction never sees the boxes that cannot move it.

A chain ``a → b → c`` with a side box reading ``b``: the side box is barren for
``c``; with ``b`` observed, the boxes before it only weigh the evidence.

>>> boxes = [((), ("a",)), (("a",), ("b",)), (("b",), ("c",)), (("b",), ("side",))]
>>> requisite(boxes, query=["c"], observed=[])
([0, 1, 2], [])
>>> requisite(boxes, query=["c"], observed=["b"])
([2], [0, 1])
>>> requisite(boxes, query=[], observed=["side"])     # P(side): nothing is queried, all of it is evidence
([], [0, 1, 3])
"""
from __future__ import annotations

from typing import Iterable, Sequence


def requisite(boxes: Sequence[tuple[Sequence[str], Sequence[str]]], query: Iterable[str],
              observed: Iterable[str], fixed: Iterable[str] = ()) -> tuple[list[int], list[int]]:
    """``(kept, apart)``: positions of the boxes (given as ``(inputs, outputs)`` wire names) that the query needs,
    and of those that only weigh the evidence; every other box is barren. ``fixed`` wires (outer inputs) are given,
    like observed ones."""
    query, observed, fixed = set(query), set(observed), set(fixed)
    driver: dict[str, list[int]] = {}
    for k, (_, outs) in enumerate(boxes):
        for w in outs:
            driver.setdefault(w, []).append(k)
    ancestral: set[int] = set()
    stack = [k for w in query | observed for k in driver.get(w, ())]
    while stack:  # ancestors of the queried and observed wires: the rest is barren
        k = stack.pop()
        if k not in ancestral:
            ancestral.add(k)
            stack.extend(j for w in boxes[k][0] for j in driver.get(w, ()))
    given = observed | fixed
    touching: dict[str, list[int]] = {}
    for k in ancestral:
        for w in (*boxes[k][0], *boxes[k][1]):
            if w not in given:
                touching.setdefault(w, []).append(k)
    kept: set[int] = set()
    stack = [k for w in query - given for k in touching.get(w, ())]
    seen = set(query - given)
    while stack:  # boxes joined to a queried wire through wires that are neither observed nor fixed
        k = stack.pop()
        if k in kept:
            continue
        kept.add(k)
        for w in (*boxes[k][0], *boxes[k][1]):
            if w not in given and w not in seen:
                seen.add(w)
                stack.extend(touching[w])
    return sorted(kept), sorted(ancestral - kept)
