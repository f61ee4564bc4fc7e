"""markovwire render options on hostile values, in a bounded child: refused with the option and a fix before any
layout (a PNG at two million dpi would fill memory), never a traceback; a width never lays out a figure too large."""
from __future__ import annotations

import limits
import pytest

from markovwire.library.shipped import proposals_dir

TM = str(proposals_dir() / "trusted_monitoring.yaml")


@pytest.mark.parametrize("args, message, fix", [
    (["--dpi", "2000000"], "render option --dpi: 2000000 is not a resolution from 36 to 1200 dpi",
     "fix: pass e.g. --dpi 300 (print) or --dpi 144 (screen)"),
    (["--width", "1e308in"], "render option --width: 1e308in is 1e+308 in, wider than the 100 in of a poster",
     "fix: pass a width such as --width column"),
    (["--width", "1e999cm"], "render option --width: 1e999cm is not a positive width", "fix: pass a width such as"),
    (["--font", "F" * 100_000], "render option --font: 'FFFFFFFF", "fix: pass a font family such as --font Helvetica"),
    (["--collapse", "x"] * 2000, "render option --collapse: 'x' names no nested diagram", "or leave out --collapse x"),
])
def test_hostile_values_are_refused_before_any_layout(tmp_path, args, message, fix):
    out = tmp_path / "fig.png"
    r = limits.run_cli(["render", TM, "-o", str(out), *args])
    assert r.clean and r.returncode == 1, r
    assert message in r.stderr and fix in r.stderr, r
    assert len(r.stderr) < 2000  # one message, not the value echoed back whole
    assert not out.exists()


def test_a_width_does_not_lay_out_a_figure_over_the_box_limit(tmp_path):
    """Choosing a direction for a width lays the figure out twice: over the limit it stays LR and only DOT is written
    (an image is refused with the limit's own message)."""
    r = limits.run_python("""
        import numpy as np
        from markovwire import FinSet, Kernel, RenderError
        from markovwire.diagrams import WiringDiagram, render
        A = FinSet("A", ["a", "b"])
        wd = WiringDiagram("chain", inputs=[("x", A)], outputs=[("x", A)])
        for k in range(600):
            wd.add_box(f"s{k}", Kernel(np.eye(2), [("x", A)], [("x", A)]))
            wd.connect(f"s{k - 1}.x" if k else "in.x", f"s{k}.x")
        wd.connect("s599.x", "out.x")
        dot = render(wd, "dot", width="column")
        print("rankdir=LR" in dot, 'size="3.3,9"' in dot)
        try:
            render(wd, "svg", width="column")
        except RenderError as e:
            print(e.what)
    """)
    assert r.clean and r.returncode == 0, r
    assert r.stdout.splitlines()[0] == "True True"
    assert "has 600 boxes, more than the 500 a figure lays out" in r.stdout
