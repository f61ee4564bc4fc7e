"""PDF from a plain install (graphviz-pure's SVG through svglib and reportlab) and TikZ from graphviz's layout.

The PDF is read back without the converter: its content streams are inflated with zlib and its text drawn
with ``Tj`` compared with the figure's labels; its page size with the SVG's. The TikZ is checked by parsing
(balanced braces, every box, port and wire of the figure, every polygon of graphviz's SVG at the same
coordinates) and, where pdflatex is installed (not in CI), by compiling it.
"""
from __future__ import annotations

import base64
import re
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import limits
import pytest
from hypothesis import given, strategies as st

from markovwire import FinSet, Kernel, Net, RenderError
from markovwire.diagrams.dot import to_dot
from markovwire.diagrams.figure import figure
from markovwire.diagrams.pdf import svg_to_pdf
from markovwire.diagrams.render import ENV, find_renderer, render
from markovwire.diagrams.tikz import HEADER, escape, to_tikz
from markovwire.library.proposal import load_proposal
from markovwire.library.shipped import proposals_dir

GRAPHVIZ_PURE = shutil.which("graphviz-pure", path=str(Path(sys.executable).parent)) or shutil.which("graphviz-pure")
HOSTILE = "a_b&c%d#e{f}~g^h\\i$j<k>l|m\"n--o"
TEX = shutil.which("pdflatex") and subprocess.run(["kpsewhich", "standalone.cls"], capture_output=True).stdout
needs_tex = pytest.mark.skipif(not TEX, reason="pdflatex with the standalone class is not installed (CI has no TeX)")


@pytest.fixture(autouse=True)
def pure(monkeypatch):
    """graphviz-pure, as a plain install has it (no system dot, even where one is installed)."""
    assert GRAPHVIZ_PURE, "graphviz-pure is a dependency of markovwire and must be installed"
    monkeypatch.setenv(ENV, GRAPHVIZ_PURE)


def shipped(name: str = "trusted_monitoring"):
    return load_proposal(proposals_dir() / f"{name}.yaml").wiring


def hostile_net() -> Net:
    """A box, a port and a wire type named with every LaTeX special, and a reader."""
    T = FinSet(HOSTILE, ["0", "1"])
    net = Net()
    net.add_box(HOSTILE, Kernel([0.5, 0.5], [], [("p" + HOSTILE, T)]), [], ["w"])
    net.add_box("reader", Kernel([[1.0, 0.0], [0.0, 1.0]], [("x", T)], [("y", T)]), ["w"], ["v"])
    net.set_outputs("v")
    return net


# ----- reading a PDF without the converter -------------------------------------------------------
def pdf_text(pdf: bytes) -> str:
    """Every string drawn with Tj in the PDF's content streams (decoded: ASCII85, Flate), one a line."""
    streams = []
    for m in re.finditer(rb"/Filter ([^>]*)>>\s*stream\r?\n(.*?)\s*endstream", pdf, re.S):
        data = m.group(2)
        if b"ASCII85Decode" in m.group(1):
            data = base64.a85decode(data, adobe=True)
        if b"FlateDecode" in m.group(1):
            data = zlib.decompress(data)
        streams.append(data.decode("latin-1"))
    strings = re.findall(r"\(((?:[^()\\]|\\.)*)\)\s*Tj", "\n".join(streams))
    return "\n".join(re.sub(r"\\(.)", r"\1", s) for s in strings)


def pdf_pages(pdf: bytes) -> list[tuple[float, ...]]:
    """The MediaBox of each page object (a PDF with one page has one)."""
    pages = re.findall(rb"/Type /Page\b(?!s)", pdf)
    boxes = [tuple(float(v) for v in b.split()) for b in re.findall(rb"/MediaBox \[\s*([\d.\s-]+)\]", pdf)]
    assert len(pages) == len(boxes)
    return boxes


def labels(fig) -> set[str]:
    """The texts a figure shows: box names, port names, boundary ports, wire types."""
    out = {n.label for n in fig.nodes.values() if n.kind in ("box", "in", "out") and n.label}
    out |= {p for n in fig.nodes.values() for p, _ in n.inputs + n.outputs}
    out |= {w.type for w in fig.wires}
    return out


# ----- PDF -----------------------------------------------------------------------------------------
def test_pdf_from_a_plain_install_has_one_page_the_svgs_size_and_every_label():
    wiring = shipped()
    assert find_renderer().pure
    pdf = render(wiring, "pdf")
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    svg = render(wiring, "svg")
    w, h = (float(v) for v in re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups())
    [box] = pdf_pages(pdf)
    assert box[0] == box[1] == 0 and box[2] == pytest.approx(w, abs=1) and box[3] == pytest.approx(h, abs=1)
    text = pdf_text(pdf).splitlines()
    want = labels(figure(wiring)) | {"trusted_monitoring"}
    assert want <= set(text), want - set(text)
    for box_name in ("policy", "monitor", "auditor", "solution", "task", "episode"):
        assert box_name in text


def test_pdf_file_is_written_and_a_system_dot_is_not_needed(tmp_path):
    out = render(shipped("budgeted_monitoring"), tmp_path / "figs" / "bm.pdf")
    assert out == tmp_path / "figs" / "bm.pdf" and out.read_bytes().startswith(b"%PDF-")
    assert "monitor" in pdf_text(out.read_bytes())


def test_a_system_dot_still_writes_the_pdf_itself(tmp_path, monkeypatch):
    dot = tmp_path / "dot"
    dot.write_text("#!/bin/sh\ncat > /dev/null\nprintf 'SYSTEM %s' \"$*\"\n")
    dot.chmod(0o755)
    monkeypatch.setenv(ENV, str(dot))
    assert render(shipped(), "pdf") == b"SYSTEM -Tpdf"


def test_svg_with_known_text_keeps_its_text_and_size():
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" width="200pt" height="50pt" viewBox="0 0 200 50">'
           b'<rect x="1" y="1" width="100" height="30" fill="#eeeeee" stroke="black"/>'
           b'<text x="10" y="20" font-family="Helvetica" font-size="10">alpha (beta) \\ gamma</text></svg>')
    pdf = svg_to_pdf(svg)
    assert pdf_text(pdf) == "alpha (beta) \\ gamma"
    assert pdf_pages(pdf) == [(0.0, 0.0, 200.0, 50.0)]


def test_hostile_labels_reach_the_pdf_as_text():
    text = pdf_text(render(hostile_net(), "pdf"))
    assert HOSTILE in text.splitlines() and "p" + HOSTILE in text.splitlines()


@pytest.mark.parametrize("svg", [b"", b"not svg at all", b"\x00\xff" * 10])
def test_a_failed_conversion_is_a_render_error_with_a_fix(svg):
    with pytest.raises(RenderError) as err:
        svg_to_pdf(svg)
    assert str(err.value).startswith("PDF conversion (svglib): could not convert the figure's SVG to PDF (")
    assert err.value.fix == ("render to svg (-o figure.svg) and convert it with another tool, or install a system "
                             "graphviz (apt-get install graphviz), which writes PDF itself; please report the figure "
                             "as a bug in markovwire")


def test_without_svglib_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "svglib", None)
    monkeypatch.setitem(sys.modules, "svglib.svglib", None)
    with pytest.raises(RenderError) as err:
        render(shipped(), "pdf")
    assert "PDF conversion (svglib): needs the packages svglib and reportlab, which are not installed" in str(err.value)
    assert err.value.fix.startswith("run `pip install svglib reportlab` (they are dependencies of markovwire)")


# ----- TikZ ----------------------------------------------------------------------------------------
def balanced(tex: str) -> bool:
    """Braces balance once escaped braces (\\{ \\}) and comments are left out."""
    depth = 0
    for line in tex.splitlines():
        line = re.sub(r"\\[{}%]", "", line.replace("\\\\", ""))
        for ch in line.split("%", 1)[0]:
            depth += {"{": 1, "}": -1}.get(ch, 0)
            if depth < 0:
                return False
    return depth == 0


def svg_polygons(svg: str) -> list[list[tuple[float, float]]]:
    """Every polygon of graphviz's SVG in layout coordinates (its y flipped back), but the page's."""
    polys = []
    for pts in re.findall(r'<polygon [^>]*points="([^"]+)"', svg)[1:]:
        polys.append([(round(float(x), 1), round(-float(y), 1)) for x, y in (p.split(",") for p in pts.split())])
    return polys


def tikz_paths(tex: str) -> list[list[tuple[float, float]]]:
    return [[(round(float(x), 1), round(float(y), 1)) for x, y in re.findall(r"\((-?[\d.]+),(-?[\d.]+)\)", line)]
            for line in tex.splitlines() if "-- cycle" in line]


@pytest.mark.parametrize("name", ["trusted_monitoring", "budgeted_monitoring", "swiss_cheese"])
def test_tikz_is_a_standalone_document_with_every_box_port_and_wire(name):
    wiring = shipped(name)
    tex = render(wiring, "tex")
    fig = figure(wiring)
    assert tex.startswith(HEADER + f": {fig.title},")
    assert "\\documentclass[tikz]{standalone}" in tex
    assert tex.count("\\begin{tikzpicture}") == tex.count("\\end{tikzpicture}") == 1
    assert tex.index("\\begin{document}") < tex.index("\\begin{tikzpicture}") < tex.index("\\end{document}")
    assert balanced(tex)
    drawn = set(re.findall(r"\\node\[mw text[^\]]*\] at \([^)]*\) \{(.*)\};", tex))
    assert {escape(t) for t in labels(fig) | {fig.title}} <= drawn
    comments = [ln[2:] for ln in tex.splitlines() if ln.startswith("% ")]
    assert {n.id for n in fig.nodes.values() if n.kind != "bend"} <= set(comments)
    # every visible edge of the DOT is one wire, drawn as a Bézier path
    dot = to_dot(wiring)
    edges = [ln for ln in dot.splitlines() if " -> " in ln and "invis" not in ln]
    wires = [i for i, ln in enumerate(tex.splitlines()) if ln.startswith("% wire ")]
    assert len(wires) == len(edges) > 0
    lines = tex.splitlines()
    for i in wires:
        assert lines[i + 1].startswith("\\draw[") and " .. controls " in lines[i + 1]
    # dashed: the outer frame and each feedback edge
    dashed = [ln for ln in tex.splitlines() if ln.startswith("\\draw[") and "dash pattern=on 5bp off 2bp" in ln]
    assert len(dashed) == 1 + sum("dashed" in ln for ln in edges)
    assert (name == "budgeted_monitoring") <= (len(dashed) > 1)


def test_tikz_draws_graphvizs_layout_every_svg_polygon_at_the_same_place():
    wiring = shipped()
    svg, tex = render(wiring, "svg"), render(wiring, "tex")
    polygons, paths = svg_polygons(svg), tikz_paths(tex)
    assert len(polygons) > 20
    for poly in polygons:
        corners = set(poly)
        assert any(corners == set(p) for p in paths), poly


def test_tikz_hostile_labels_are_escaped():
    tex = render(hostile_net(), "tex")
    assert balanced(tex)
    e = escape(HOSTILE)
    assert e == (r"a\_b\&c\%d\#e\{f\}\textasciitilde{}g\textasciicircum{}h\textbackslash{}i\$j\ensuremath{<}k"
                 r"\ensuremath{>}l\ensuremath{|}m''n-{}-{}o")
    body = [ln for ln in tex.splitlines() if ln.startswith("\\node")]
    assert sum(f"{{{e}}};" in ln for ln in body) >= 3  # the box's name, and the wire's type twice
    assert any(f"{{p{e}}};" in ln for ln in body)      # the port


def test_tikz_file_through_render(tmp_path):
    out = render(shipped(), tmp_path / "fig.tex")
    assert out.read_text().startswith(HEADER)


def test_tikz_of_unreadable_json_is_a_render_error():
    with pytest.raises(RenderError, match=r"TikZ from the renderer's layout: the renderer's JSON could not be read"):
        to_tikz(b"{not json")


def test_characters_pdflatex_lacks_are_declared_for_it_only():
    layout = {"name": "g", "objects": [{"name": "n", "_ldraw_": [
        {"op": "T", "pt": [0, 0], "align": "c", "width": 10, "text": "日 é α"}]}]}
    tex = to_tikz(layout)
    assert "\\ifdefined\\Umathcode\\else" in tex and "\\DeclareUnicodeCharacter{65E5}{?}" in tex
    assert "{日 é \\ensuremath{\\alpha}};" in tex
    assert "DeclareUnicodeCharacter" not in render(shipped(), "tex")


def test_doubled_backslashes_of_graphviz_pure_are_made_single():
    layout = {"objects": [{"name": "n", "_ldraw_": [{"op": "T", "pt": [0, 0], "text": "a\\\\b"}]}]}
    assert "{a\\textbackslash{}b};" in to_tikz(layout, doubled_backslashes=True)
    assert "{a\\textbackslash{}\\textbackslash{}b};" in to_tikz(layout)


LATEX_UNESCAPE = [(r"\textbackslash{}", "\\"), (r"\textasciitilde{}", "~"), (r"\textasciicircum{}", "^"),
                  (r"\ensuremath{<}", "<"), (r"\ensuremath{>}", ">"), (r"\ensuremath{|}", "|"), ("''", '"'),
                  ("-{}", "-"), (r"\_", "_"), (r"\&", "&"), (r"\%", "%"), (r"\#", "#"), (r"\$", "$"),
                  (r"\{", "{"), (r"\}", "}")]


def unescape(tex: str) -> str:
    """What LaTeX prints for escape()'s output over printable ASCII (an oracle written from LaTeX's rules)."""
    out, i = [], 0
    while i < len(tex):
        for seq, ch in LATEX_UNESCAPE:
            if tex.startswith(seq, i):
                out.append(ch)
                i += len(seq)
                break
        else:
            assert tex[i] not in "\\{}_&%#$~^<>|\"", f"unescaped {tex[i]!r} in {tex!r}"
            out.append(tex[i])
            i += 1
    return "".join(out)


@given(st.text(st.characters(min_codepoint=32, max_codepoint=126, exclude_characters="'")))
def test_escape_prints_exactly_the_text(text):
    assert unescape(escape(text)) == text  # (an apostrophe is itself; two would read as the escaped ")


@given(st.text())
def test_escape_of_any_text_keeps_braces_balanced_and_no_control_characters(text):
    e = escape(text)
    assert balanced("{" + e + "}") and "\n" not in e and not any(ord(c) < 32 for c in e)


# ----- the command line -----------------------------------------------------------------------------
def test_cli_renders_tex_and_pdf(tmp_path):
    src = proposals_dir() / "trusted_monitoring.yaml"
    for suffix, start in ((".tex", HEADER.encode()), (".pdf", b"%PDF-")):
        out = tmp_path / f"fig{suffix}"
        for _ in range(2):  # the second time over its own figure, which it replaces
            r = limits.run_cli(["render", str(src), "-o", str(out)], env={ENV: GRAPHVIZ_PURE})
            assert r.clean and r.returncode == 0 and r.stdout == f"wrote {out}\n", r
            assert out.read_bytes().startswith(start)


def test_cli_never_overwrites_a_paper_with_a_figure(tmp_path):
    paper = tmp_path / "paper.tex"
    paper.write_text("\\documentclass{article}\n\\begin{document}Results\\end{document}\n")
    src = proposals_dir() / "trusted_monitoring.yaml"
    r = limits.run_cli(["render", str(src), "-o", str(paper)], env={ENV: GRAPHVIZ_PURE})
    assert r.clean and r.returncode != 0, r
    assert f"error: {paper}: exists and is not a .tex figure (it starts '\\\\documentclass{{article}}'): " \
           "rendering would overwrite it" in r.stderr, r
    assert f"fix: write the figure to another file, e.g. -o figure.svg (or delete {paper} first to replace it)" \
        in r.stderr, r
    assert paper.read_text().startswith("\\documentclass{article}")


# ----- TeX itself, where it is installed ----------------------------------------------------------------
@needs_tex
@pytest.mark.parametrize("net", ["trusted_monitoring", "hostile"])
def test_pdflatex_compiles_the_picture(tmp_path, net):
    diagram = hostile_net() if net == "hostile" else shipped(net)
    render(diagram, tmp_path / "fig.tex")
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "fig.tex"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:]
    assert (tmp_path / "fig.pdf").read_bytes().startswith(b"%PDF-")
