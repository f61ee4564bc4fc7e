"""PDF and TikZ figures from hostile or large input, each in a bounded child process: refused past the box
limit before any layout (the same message as for svg), written for large figures below it, and hostile labels
from Python (every LaTeX special, control characters, other scripts) written without a traceback."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import limits
import pytest

GRAPHVIZ_PURE = shutil.which("graphviz-pure", path=str(Path(sys.executable).parent)) or shutil.which("graphviz-pure")
ENV = {"MARKOVWIRE_DOT": GRAPHVIZ_PURE or "graphviz-pure"}


@pytest.mark.parametrize("suffix", [".tex", ".pdf"])
def test_past_the_box_limit_tex_and_pdf_are_refused_before_layout(tmp_path, suffix):
    path = limits.chain(tmp_path, 8)
    out = tmp_path / f"f{suffix}"
    r = limits.run_cli(["render", str(path), "-o", str(out), "--max-boxes", "5"], env=ENV)
    assert r.clean and r.returncode == 1, r
    assert f"error: {path}: figure of 'chain': has 8 boxes, more than the 5 a figure lays out" in r.stderr, r
    assert "fix: write DOT instead (-o figure.dot, no layout), draw fewer levels (depth=0 in Python), or raise the " \
           "limit: --max-boxes 8 on the command line, or markovwire.set_figure_limit(8) in Python" in r.stderr, r
    assert not out.exists()


@pytest.mark.parametrize("suffix", [".tex", ".pdf"])
def test_a_long_chain_is_written(tmp_path, suffix):
    path = limits.chain(tmp_path, 120)
    out = tmp_path / f"f{suffix}"
    r = limits.run_cli(["render", str(path), "-o", str(out)], env=ENV)
    assert r.clean and r.returncode == 0, r
    data = out.read_bytes()
    if suffix == ".tex":
        text = data.decode()
        assert all(f"{{c{i}}};" in text for i in range(120)) and text.count("% wire ") == 120
    else:
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")


def test_hostile_labels_from_python(tmp_path):
    r = limits.run_python(f"""
        from markovwire import FinSet, Kernel, Net
        from markovwire.diagrams.render import render
        H = "\\\\" + "{{}}_&%#$~^<>|\\"--" + "\\x7f\\t\\n" + "日本 ε " + "x" * 300
        T = FinSet(H, ["0", "1"])
        net = Net()
        net.add_box(H, Kernel([0.5, 0.5], [], [("p" + H, T)]), [], ["w"])
        net.set_outputs("w")
        render(net, {str(tmp_path / "f.tex")!r})
        render(net, {str(tmp_path / "f.pdf")!r})
        print("ok")
    """, env=ENV)
    assert r.clean and r.returncode == 0 and r.stdout.strip() == "ok", r
    tex = (tmp_path / "f.tex").read_text()
    assert "\x7f" not in tex and "\\DeclareUnicodeCharacter{65E5}{?}" in tex and "\\ensuremath{\\epsilon}" in tex
    assert (tmp_path / "f.pdf").read_bytes().startswith(b"%PDF-")
