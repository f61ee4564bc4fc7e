"""Figures of wide fan-out in a bounded child: a wire read by thousands of boxes is written as DOT (no layout limit)
through a tree of copy dots of at most three branches each, its depth the logarithm of the readers; node ids are
given in time linear in the dots (they once counted from 1 for each dot of one wire); an image past the box limit
is refused with the limit's message and fix."""
from __future__ import annotations

import limits

FAN_NET = """
    import numpy as np
    from collections import Counter
    from markovwire import FinSet, Kernel, Net
    from markovwire.diagrams.dot import to_dot
    A = FinSet("A", ["a", "b"])
    n = Net()
    n.add_box("source", Kernel([0.5, 0.5], [], [("x", A)]), [], ["x"])
    ident = Kernel(np.eye(2), [("x", A)], [("y", A)])
    for k in range({readers}):
        n.add_box(f"r{{k}}", ident, ["x"], [f"y{{k}}"])
    n.set_outputs(*[f"y{{k}}" for k in range({readers})])
"""


def test_ten_thousand_readers_are_written_through_a_tree_of_dots():
    r = limits.run_python(FAN_NET.format(readers=10_000) + """
    import re
    dot = to_dot(n)
    edges = re.findall(r'^\\t"([^"]+)"\\S* -> "([^"]+)"', dot, re.M)
    out = Counter(t for t, _ in edges)
    dots = {t for t, _ in edges if t.startswith("copy/")}
    parent = {h: t for t, h in edges}
    depth = 0
    for k in range(10_000):
        node, hops = parent[f"box/r{k}"], 0
        while node.startswith("copy/"):
            node, hops = parent[node], hops + 1
        assert node == "box/source"
        depth = max(depth, hops)
    print(len(dots), max(out[d] for d in dots), depth)
    """)
    assert r.clean and r.returncode == 0, r
    count, widest, depth = map(int, r.stdout.split())
    assert widest <= 3 and depth == 9  # 3**8 < 10,000 <= 3**9
    # a tree whose inner nodes split in 2 or 3 has from (leaves - 1) / 2 to leaves - 1 of them: here
    # 3334 + 1112 + 371 + 124 + 42 + 14 + 5 + 2 + 1 (groups of three, as even as possible, level by level)
    assert count == 5005


def test_an_image_of_a_wide_fan_out_past_the_box_limit_is_refused(tmp_path):
    out = tmp_path / "fan.png"
    r = limits.run_python(FAN_NET.format(readers=600) + f"""
    from markovwire import RenderError
    from markovwire.diagrams.render import render
    try:
        render(n, {str(out)!r})
    except RenderError as e:
        print(e)
    """)
    assert r.clean and r.returncode == 0, r
    assert "has 601 boxes, more than the 500 a figure lays out" in r.stdout, r
    assert "fix: write DOT instead (-o figure.dot, no layout)" in r.stdout and "--max-boxes 601" in r.stdout, r
    assert not out.exists()
