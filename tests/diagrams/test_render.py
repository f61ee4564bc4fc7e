"""Figures: the drawn SVG has exactly the nodes, edges and clusters of the diagram, the DOT is
deterministic, and the renderer is found (or its absence explained) as documented."""
from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import textwrap
import warnings
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from markovwire import FinSet, Kernel, Net, RenderError
from markovwire.diagrams import Box, WiringDiagram
from markovwire.diagrams.dot import to_dot
from markovwire.diagrams.figure import figure
from markovwire.diagrams.render import ENV, find_renderer, mimebundle, render
from markovwire.diagrams.stateful import StatefulBox

Task = FinSet("Task", ["easy", "hard"])
Act = FinSet("Act", ["clean", "attack"])
V = FinSet("Verdict", ["pass", "flag"])
Out = FinSet("Outcome", ["safe", "caught", "catastrophe"])
Log = FinSet("Log", ["short", "long"])
Count = FinSet("Alarms", ["0", "1", "2"])

SVG = "{http://www.w3.org/2000/svg}"
CAT = shutil.which("cat")  # the stand-in executables run with an empty PATH
GRAPHVIZ_PURE = shutil.which("graphviz-pure", path=str(Path(sys.executable).parent)) or shutil.which("graphviz-pure")


def uniform(dom, cod, name="k"):
    shape = [len(t) for _, t in dom] + [len(t) for _, t in cod]
    a = np.ones(shape)
    return Kernel(a / a.sum(axis=tuple(range(len(dom), len(shape))), keepdims=True), dom, cod, name=name)


# ----- the example diagrams ----------------------------------------------------------------
def chain_net() -> Net:
    """policy → monitor → auditor; ``act`` and ``verdict`` fan out, ``log`` is discarded."""
    n = Net()
    n.add_box("policy", uniform([("task", Task)], [("act", Act), ("log", Log)]), ["task"], ["act", "log"])
    n.add_box("monitor", uniform([("act", Act)], [("verdict", V)]), ["act"], ["verdict"])
    n.add_box("auditor", uniform([("act", Act), ("verdict", V)], [("outcome", Out)]), ["act", "verdict"],
              ["outcome"])
    n.set_inputs("task", types=[Task])
    n.set_outputs("outcome", "verdict")
    return n


def nested_net() -> Net:
    """Box paths ``audit/…`` and ``audit/review/…``: two nested clusters."""
    n = Net()
    n.add_box("policy", uniform([("task", Task)], [("act", Act)]), ["task"], ["act"])
    n.add_box("audit/monitor", uniform([("act", Act)], [("verdict", V)]), ["act"], ["audit/verdict"])
    n.add_box("audit/auditor", uniform([("act", Act), ("verdict", V)], [("outcome", Out), ("note", Log)]),
              ["act", "audit/verdict"], ["outcome", "audit/note"])
    n.add_box("audit/review/judge", uniform([("note", Log)], [("ok", V)]), ["audit/note"], ["ok"])
    n.set_inputs("task", types=[Task])
    n.set_outputs("outcome", "ok")
    return n


def nested_wiring() -> WiringDiagram:
    audit = WiringDiagram("audit_protocol", inputs=[("act", Act)], outputs=[("outcome", Out)])
    audit.add_box("monitor", uniform([("act", Act)], [("verdict", V)]))
    audit.add_box("auditor", uniform([("act", Act), ("verdict", V)], [("outcome", Out), ("note", Log)]))
    audit.connect("in.act", "monitor.act")
    audit.connect("in.act", "auditor.act")
    audit.connect("monitor.verdict", "auditor.verdict")
    audit.connect("auditor.outcome", "out.outcome")
    wd = WiringDiagram("protocol", inputs=[("task", Task)], outputs=[("outcome", Out)])
    wd.add_box("policy", uniform([("task", Task)], [("act", Act)]))
    wd.add_box("audit", audit)
    wd.connect("in.task", "policy.task")
    wd.connect("policy.act", "audit.act")
    wd.connect("audit.outcome", "out.outcome")
    return wd


def feedback_wiring() -> WiringDiagram:
    """The policy reads the alarm count that a stateful memory keeps of the monitor's verdicts."""
    update = uniform([("count", Count), ("verdict", V)], [("count", Count)])
    readout = Kernel(np.eye(3), [("count", Count)], [("alarms", Count)])
    memory = StatefulBox.moore("memory", Count, Kernel.point([Count], "0"), update, readout)
    wd = WiringDiagram("loop", inputs=[("task", Task)], outputs=[("act", Act), ("verdict", V)])
    wd.add_box("policy", uniform([("task", Task), ("alarms", Count)], [("act", Act)]))
    wd.add_box("monitor", uniform([("act", Act)], [("verdict", V)]))
    wd.add_box("memory", memory)
    wd.connect("in.task", "policy.task")
    wd.connect("policy.act", "monitor.act")
    wd.connect("policy.act", "out.act")
    wd.connect("monitor.verdict", "memory.verdict")
    wd.connect("monitor.verdict", "out.verdict")
    wd.connect("memory.alarms", "policy.alarms")
    return wd


def string_diagram():
    policy = Box.of(uniform([], [("act", Act)], "policy"))
    monitor = Box.of(uniform([("act", Act)], [("verdict", V)], "monitor"))
    return policy >> Box.copy() >> (monitor @ Box.identity())


# ----- reading the SVG ---------------------------------------------------------------------
def drawn(svg: str) -> Counter:
    """Counts of drawn things by kind: our node classes, ``edge`` and ``cluster``."""
    root = ET.fromstring(svg)
    counts = Counter()
    for g in root.iter(f"{SVG}g"):
        classes = g.get("class", "").split()
        if "node" in classes:
            counts["node"] += 1
            counts[classes[-1]] += 1  # box, in, out, copy, discard, bend
        elif classes in (["edge"], ["cluster"]):
            counts[classes[0]] += 1
    return counts


def texts(svg: str, kind: str) -> list[str]:
    """The texts drawn in groups of class ``kind`` (``edge``, ``cluster``, ``box``), in order."""
    root = ET.fromstring(svg)
    out = []
    for g in root.iter(f"{SVG}g"):
        if kind in g.get("class", "").split():
            out += [t.text for t in g.iter(f"{SVG}text") if t.text]
    return out


def titles(svg: str, kind: str) -> list[str]:
    root = ET.fromstring(svg)
    return [g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g") if kind in g.get("class", "").split()]


# ----- one node per box, one edge per wire segment, one cluster per nesting level -----------
def test_chain_net_draws_every_box_port_copy_and_discard():
    svg = render(chain_net(), "svg")
    # 3 boxes; 1 outer input, 2 outer outputs; copies of act and verdict; log discarded
    # edges: task→policy; act: policy→dot→monitor, dot→auditor; log→discard; verdict: 3; outcome→out
    assert drawn(svg) == Counter(node=9, box=3, **{"in": 1, "out": 2}, copy=2, discard=1, edge=9, cluster=1)
    assert sorted(titles(svg, "box")) == ["box/auditor", "box/monitor", "box/policy"]
    # each box shows its name and one cell per port
    assert texts(svg, "box") == ["task", "policy", "act", "log", "act", "monitor", "verdict",
                                 "act", "auditor", "outcome", "verdict"]
    # each wire is labelled once with its type (the branches after a copy dot are not)
    assert sorted(texts(svg, "edge")) == ["Act", "Log", "Outcome", "Task", "Verdict"]


def test_edges_attach_to_port_cells():
    dot = to_dot(chain_net())
    assert '"in/task" -> "box/policy":i0:w' in dot
    assert '"box/policy":o1:e -> "discard/policy.o1"' in dot
    assert '"copy/policy.o0" -> "box/auditor":i0:w' in dot
    assert '"copy/monitor.o0" -> "box/auditor":i1:w' in dot
    assert dot.count('PORT="i0"') == 3 and dot.count('PORT="o1"') == 1


def test_nested_net_box_paths_become_labelled_clusters():
    svg = render(nested_net(), "svg")
    assert drawn(svg) == Counter(node=8, box=4, **{"in": 1, "out": 2}, copy=1, edge=8, cluster=3)
    assert titles(svg, "cluster") == ["cluster", "cluster/audit", "cluster/audit/review"]
    assert texts(svg, "cluster") == ["audit", "review"]  # the outer frame of a net has no title
    assert "box/audit/review/judge" in titles(svg, "box")
    assert "judge" in texts(svg, "box") and "audit/review/judge" not in texts(svg, "box")


def test_nested_wiring_diagram_is_a_cluster_with_its_own_ports():
    svg = render(nested_wiring(), "svg")
    # boxes policy, monitor, auditor; ports: outer task/outcome and the nested act/outcome;
    # in.act fans out inside; auditor.note is discarded
    # edges: task→policy, policy→audit.act, audit.act→dot→monitor,auditor, verdict, outcome→audit.out,
    # note→discard, audit.out→out.outcome
    assert drawn(svg) == Counter(node=9, box=3, **{"in": 2, "out": 2}, copy=1, discard=1, edge=9, cluster=2)
    assert texts(svg, "cluster") == ["protocol", "audit: audit_protocol"]
    assert sorted(titles(svg, "in")) == ["in/audit/act", "in/task"]


def test_feedback_wire_is_dashed_red_and_routed_through_two_bends():
    wd = feedback_wiring()
    svg = render(wd, "svg")
    # memory.alarms → policy.alarms: source → bend, bend ← bend (the long way back), bend → reader
    assert drawn(svg) == Counter(node=10, box=3, **{"in": 1, "out": 2}, copy=2, bend=2, edge=10, cluster=1)
    root = ET.fromstring(svg)
    red = [g for g in root.iter(f"{SVG}g") if g.get("class") == "edge"
           and any(p.get("stroke") == "#b2182b" and p.get("stroke-dasharray") for p in g.iter(f"{SVG}path"))]
    assert len(red) == 3
    assert [w for w in wd.wires if wd.is_feedback(w)] == [next(w for w in wd.wires if w.source.box == "memory")]
    assert "Alarms" in texts(svg, "edge")


def test_stateful_box_has_a_double_border_and_shows_its_state():
    svg = render(feedback_wiring(), "svg")
    root = ET.fromstring(svg)
    memory = next(g for g in root.iter(f"{SVG}g") if g.findtext(f"{SVG}title") == "box/memory")
    policy = next(g for g in root.iter(f"{SVG}g") if g.findtext(f"{SVG}title") == "box/policy")
    assert "state: Alarms" in [t.text for t in memory.iter(f"{SVG}text")]
    frames = lambda g: sum(1 for p in g.iter() if p.tag in (f"{SVG}polygon", f"{SVG}path")
                           and p.get("stroke") not in (None, "none", "transparent"))
    # one outline per cell (ports and name), and the stateful box one more around them all
    assert (frames(policy), frames(memory)) == (2 + 1 + 1, 1 + 1 + 1 + 1)


def test_boundary_ports_stand_left_and_right_of_everything_inside():
    svg = render(feedback_wiring(), "svg")
    root = ET.fromstring(svg)
    x = {}  # the horizontal extent of each node's outline
    for g in root.iter(f"{SVG}g"):
        if "node" in g.get("class", "").split():
            xs = [float(e.get("cx")) for e in g.iter(f"{SVG}ellipse")]
            xs += [float(m) for e in g.iter() for m in re.findall(r"(-?[\d.]+),-?[\d.]+",
                                                                   (e.get("points") or "") + (e.get("d") or ""))]
            x[g.findtext(f"{SVG}title")] = (min(xs), max(xs))
    inside = [v for k, v in x.items() if not k.startswith(("in/", "out/"))]  # with the feedback's bends
    boxes = [v for k, v in x.items() if k.startswith("box/")]
    assert x["in/task"][0] <= min(lo for lo, _ in inside)  # the entering bend may share the ports' column
    assert x["in/task"][1] < min(lo for lo, _ in boxes)
    assert max(hi for _, hi in inside) < min(x["out/act"][0], x["out/verdict"][0])


def test_depth_draws_deeper_diagrams_as_boxes():
    shallow = render(nested_wiring(), "svg", depth=0)
    # policy and the closed audit box; only the outer ports; no fan-out or discard left to see
    assert drawn(shallow) == Counter(node=4, box=2, **{"in": 1, "out": 1}, edge=3, cluster=1)
    assert texts(shallow, "box")[3:] == ["act", "audit", "2 boxes", "outcome"]
    assert drawn(render(nested_wiring(), "svg", depth=1)) == drawn(render(nested_wiring(), "svg"))
    assert to_dot(nested_net(), depth=0) == to_dot(nested_net())  # a net's boxes are flat already


def test_string_diagram_plumbing_is_drawn_as_wires():
    svg = render(string_diagram(), "svg")
    # policy, monitor; the copy is a dot, the identity a plain wire to the outer output
    assert drawn(svg) == Counter(node=5, box=2, out=2, copy=1, edge=4, cluster=1)
    assert sorted(titles(svg, "box")) == ["box/monitor", "box/policy"]


def test_plumbing_boxes_in_a_wiring_diagram_are_dots_and_marks():
    wd = WiringDiagram("plumbed", outputs=[("verdict", V)])
    wd.add_box("policy", uniform([], [("act", Act), ("log", Log)]))
    wd.add_box("split", Box.copy(Act))
    wd.add_box("drop", Box.discard(Log))
    wd.add_box("monitor", uniform([("act", Act)], [("verdict", V)]))
    wd.add_box("shadow", uniform([("act", Act)], [("verdict", V)]))
    wd.connect("policy.act", "split.x")
    wd.connect("policy.log", "drop.x")
    wd.connect("split.x1", "monitor.act")
    wd.connect("split.x2", "shadow.act")
    wd.connect("monitor.verdict", "out.verdict")
    counts = drawn(render(wd, "svg"))
    # act: policy → dot → monitor, shadow; log → discard mark; shadow.verdict → discard mark
    assert counts == Counter(node=7, box=3, out=1, copy=1, discard=2, edge=6, cluster=1)


def test_a_loop_in_a_net_is_drawn_as_feedback():
    n = Net()
    n.add_box("a", uniform([("x", V)], [("y", V)]), ["x"], ["y"])
    n.add_box("b", uniform([("y", V)], [("x", V)]), ["y"], ["x"])
    n.set_outputs("y")
    svg = render(n, "svg")
    # b comes first in topological order (a reads x from it), so y closes the loop:
    # y: a → dot → out, and dot → bend, bend ← bend, bend → b; x: b → a
    assert drawn(svg) == Counter(node=6, box=2, out=1, copy=1, bend=2, edge=6, cluster=1)
    assert '"box/a":o0:e -> "copy/a.o0"' in to_dot(n) and '"bend/b.i0.in" -> "box/b":i0:w' in to_dot(n)
    # labelled before the dot, and on x (the way back is the dot's wire: its type is written once, by its source)
    assert texts(svg, "edge") == ["Verdict"] * 2


def test_kernel_draws_as_one_box_with_its_ports():
    k = uniform([("act", Act)], [("verdict", V)], "monitor")
    assert drawn(render(k, "svg")) == Counter(node=3, box=1, **{"in": 1, "out": 1}, edge=2, cluster=1)


@pytest.mark.parametrize("make", [chain_net, nested_net, nested_wiring, feedback_wiring, string_diagram])
def test_figure_bookkeeping_matches_the_svg(make):
    counts = figure(make()).counts()
    svg = drawn(render(make(), "svg"))
    for kind in ("box", "in", "out", "copy", "discard", "bend"):
        assert svg[kind] == counts[kind], kind
    assert (svg["edge"], svg["cluster"]) == (counts["edges"], counts["clusters"])


def test_box_cells_spread_evenly_when_port_counts_differ():
    k = uniform([("a", V), ("b", V)], [("x", V), ("y", V), ("z", V)], "mixer")
    dot = to_dot(k)
    # six rows: each input spans three, each output two
    assert dot.count('ROWSPAN="3"') == 2 and dot.count('ROWSPAN="2"') == 3 and 'ROWSPAN="6"' in dot
    svg = render(k, "svg")
    root = ET.fromstring(svg)
    box = next(g for g in root.iter(f"{SVG}g") if g.findtext(f"{SVG}title") == "box/mixer")
    y = {t.text: float(t.get("y")) for t in box.iter(f"{SVG}text")}
    assert y["y"] == pytest.approx((y["a"] + y["b"]) / 2, abs=1.0)  # the middle output sits between the inputs
    assert y["y"] - y["x"] == pytest.approx(y["z"] - y["y"], abs=1.0)


def test_labels_are_escaped_and_avoid_glyphs_the_png_fonts_lack():
    T = FinSet("A⊗B", ["0", "1"])
    wd = WiringDiagram("odd <names> & co", inputs=[("x<y", T)], outputs=[("a&b", T)])
    wd.add_box("f", uniform([("in<", T)], [("out>", T)]))
    wd.connect("in.x<y", "f.in<")
    wd.connect("f.out>", "out.a&b")
    dot = to_dot(wd)
    assert "⊗" not in dot and "A×B" in dot
    svg = render(wd, "svg")
    assert "in&lt;" in svg and "a&amp;b" in svg
    assert drawn(svg)["box"] == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # graphviz-pure's non-ASCII width notes are not passed on
        assert render(wd, "png").startswith(b"\x89PNG")


def test_unknown_object_is_refused_with_a_fix():
    with pytest.raises(RenderError, match=r"int object: is not a diagram that can be drawn\n  fix: render a Net"):
        to_dot(3)


# ----- determinism -------------------------------------------------------------------------
EXAMPLES = ["chain_net", "nested_net", "nested_wiring", "feedback_wiring", "string_diagram"]


def test_dot_is_byte_identical_across_runs_and_hash_seeds():
    here = {name: to_dot(globals()[name]()) for name in EXAMPLES}
    assert here == {name: to_dot(globals()[name]()) for name in EXAMPLES}
    script = textwrap.dedent(f"""
        import json, runpy
        ns = runpy.run_path({str(Path(__file__))!r})
        print(json.dumps({{n: ns["to_dot"](ns[n]()) for n in {EXAMPLES!r}}}))
    """)
    seed = "12345" if os.environ.get("PYTHONHASHSEED") != "12345" else "54321"  # another seed than ours
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONHASHSEED": seed})
    assert json.loads(done.stdout) == here
    assert "0x" not in "".join(here.values())  # no ids from memory addresses


def test_svg_from_graphviz_pure_is_byte_identical(monkeypatch):
    monkeypatch.setenv(ENV, GRAPHVIZ_PURE)
    assert render(feedback_wiring(), "svg") == render(feedback_wiring(), "svg")


# ----- export ------------------------------------------------------------------------------
def test_render_to_files_by_suffix(tmp_path):
    net = chain_net()
    assert render(net, tmp_path / "fig.dot").read_text() == to_dot(net)
    assert render(net, tmp_path / "sub" / "fig.svg").read_text().lstrip().startswith("<?xml")
    assert (tmp_path / "fig.png").exists() is False
    assert render(net, str(tmp_path / "fig.PNG")).read_bytes().startswith(b"\x89PNG")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fig.PNG", "fig.dot", "sub"]  # no temporary left
    assert stat.S_IMODE((tmp_path / "fig.dot").stat().st_mode) == 0o644
    assert isinstance(render(net, "png"), bytes) and isinstance(render(net, "svg"), str)


def test_unknown_format_is_refused(tmp_path):
    with pytest.raises(RenderError, match=r"unknown format '\.gif'\n  fix: name a file ending in \.svg, \.png"):
        render(chain_net(), tmp_path / "fig.gif")
    with pytest.raises(RenderError, match=r"unknown format '\(no suffix\)'"):
        render(chain_net(), "figure")


# ----- finding the renderer ----------------------------------------------------------------
def fake(folder: Path, name: str, banner: str = "dot - graphviz version 2.42.2", stderr: str = "",
         code: int = 0) -> Path:
    """A stand-in executable: prints ``banner`` for -V, else echoes its arguments (and ``stderr``)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(f"""\
        #!/bin/sh
        if [ "$1" = "-V" ]; then echo "{banner}" >&2; exit 0; fi
        {CAT} > /dev/null
        printf '%s\\n' "{stderr}" >&2
        printf 'FAKE %s' "$*"
        exit {code}
    """))
    path.chmod(0o755)
    return path


@pytest.fixture
def bare(monkeypatch, tmp_path):
    """No override, an empty PATH, and a python with nothing beside it."""
    monkeypatch.delenv(ENV, raising=False)
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(sys, "executable", str(tmp_path / "venv" / "bin" / "python"))
    return tmp_path


def test_no_renderer_says_what_to_install(bare):
    with pytest.raises(RenderError) as err:
        render(chain_net(), "svg")
    assert str(err.value) == ("rendering: no Graphviz renderer found (neither `dot` nor `graphviz-pure`)\n"
                              "  fix: run `pip install graphviz-pure` (or install a system graphviz), "
                              "or set MARKOVWIRE_DOT to a dot executable")
    assert render(chain_net(), "dot").startswith("digraph")  # DOT needs no renderer


def test_graphviz_pure_beside_python_is_found(bare):
    beside = fake(bare / "venv" / "bin", "graphviz-pure", banner="graphviz-pure version 0.2.2")
    fake(bare / "elsewhere", "graphviz-pure")
    bare_path = os.environ["PATH"]
    os.environ["PATH"] = f"{bare / 'elsewhere'}{os.pathsep}{bare_path}"
    r = find_renderer()
    assert (r.path, r.pure, r.formats) == (str(beside), True, ("svg", "png"))


def test_graphviz_pure_on_path_is_found(bare):
    on_path = fake(bare / "empty", "graphviz-pure")
    assert find_renderer().path == str(on_path) and find_renderer().pure


def test_system_dot_is_preferred_and_writes_pdf(bare):
    fake(bare / "venv" / "bin", "graphviz-pure")
    dot = fake(bare / "empty", "dot")
    r = find_renderer()
    assert (r.path, r.pure) == (str(dot), False)
    assert render(chain_net(), "pdf") == b"FAKE -Tpdf"
    assert render(chain_net(), "png") == b"FAKE -Tpng -Gdpi=144"


def test_override_beats_system_dot(bare, monkeypatch):
    fake(bare / "empty", "dot")
    mine = fake(bare / "mine", "my-dot")
    monkeypatch.setenv(ENV, str(mine))
    assert find_renderer().path == str(mine)


def test_override_that_is_not_executable_is_named(bare, monkeypatch):
    monkeypatch.setenv(ENV, str(bare / "nowhere" / "dot"))
    with pytest.raises(RenderError, match=r"environment variable MARKOVWIRE_DOT: names '.*nowhere/dot', which is "
                                          r"not an executable\n  fix: point MARKOVWIRE_DOT at a dot"):
        render(chain_net(), "svg")


def test_pdf_without_a_system_dot_is_graphviz_pures_svg_converted(monkeypatch):
    assert GRAPHVIZ_PURE, "graphviz-pure is a dependency of markovwire and must be installed"
    monkeypatch.setenv(ENV, GRAPHVIZ_PURE)
    assert render(chain_net(), "pdf").startswith(b"%PDF-")  # more in test_pdf_tikz.py


def test_a_dot_calling_itself_graphviz_pure_is_treated_as_one(bare):
    fake(bare / "empty", "dot", banner="graphviz-pure - graphviz-pure version 0.2.2")
    # asked for svg (its echo is no SVG), never for pdf
    with pytest.raises(RenderError, match=r"could not convert the figure's SVG to PDF"):
        render(chain_net(), "pdf")


def test_renderer_noise_is_dropped_and_real_warnings_are_passed_on(bare):
    fake(bare / "empty", "dot", stderr="Warning: no value for width of non-ASCII character 226. Falling back")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert render(chain_net(), "svg") == "FAKE -Tsvg"
    fake(bare / "other", "dot", stderr="Warning: node x, port y unrecognized")
    os.environ["PATH"] = str(bare / "other")
    with pytest.warns(RuntimeWarning, match="port y unrecognized"):
        render(chain_net(), "svg")


def test_renderer_failure_is_reported_with_its_message(bare):
    fake(bare / "empty", "dot", stderr="Error: syntax error in line 3", code=1)
    with pytest.raises(RenderError, match=r"failed \(exit 1\): Error: syntax error in line 3"):
        render(chain_net(), "svg")


# ----- Jupyter -----------------------------------------------------------------------------
@pytest.mark.parametrize("make", [chain_net, nested_wiring, string_diagram])
def test_jupyter_shows_svg_and_text(make):
    d = make()
    bundle = d._repr_mimebundle_()
    assert set(bundle) == {"image/svg+xml", "text/plain"}
    assert bundle["text/plain"] == repr(d)
    assert drawn(bundle["image/svg+xml"])["box"] >= 2
    assert set(d._repr_mimebundle_(include={"text/plain"})) == {"text/plain"}


@pytest.mark.parametrize("make", [chain_net, nested_wiring, string_diagram])
def test_jupyter_falls_back_to_text_without_a_renderer(bare, make):
    d = make()
    assert d._repr_mimebundle_() == {"text/plain": repr(d)}
    assert mimebundle(d) == {"text/plain": repr(d)}
