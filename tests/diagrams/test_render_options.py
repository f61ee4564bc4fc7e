"""Render options (issue 16): each option's effect read off the DOT and the laid-out SVG, the values refused with
their option and fix, and one RenderOptions built alike by Python, the command line and the export dialog."""
from __future__ import annotations

import importlib
import re
import struct
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, strategies as st

from markovwire import FinSet, Kernel, RenderError
from markovwire.diagrams import Box, WiringDiagram
from markovwire.diagrams.dot import to_dot
from markovwire.diagrams.render import render
from markovwire.diagrams.stateful import StatefulBox
from markovwire.diagrams.style import PAGE_HEIGHT, THEMES, UNITS, RenderOptions, parse_width
from markovwire.library import load_proposal
from markovwire.library.shipped import proposals_dir
from markovwire.tui.cli import cli

SVG = "{http://www.w3.org/2000/svg}"
Task = FinSet("Task", ["easy", "hard"])
Act = FinSet("Act", ["clean", "attack"])
V = FinSet("Verdict", ["pass", "flag"])
Count = FinSet("Alarms", ["0", "1", "2"])
PROPOSALS = proposals_dir()


def uniform(dom, cod, name="k"):
    shape = [len(t) for _, t in dom] + [len(t) for _, t in cod]
    a = np.ones(shape)
    return Kernel(a / a.sum(axis=tuple(range(len(dom), len(shape))), keepdims=True), dom, cod, name=name)


def protocol() -> WiringDiagram:
    """policy → (audit: monitor, auditor), the boxes carrying library components as the loader sets them."""
    audit = WiringDiagram("audit_protocol", inputs=[("act", Act)], outputs=[("verdict", V)])
    audit.add_box("monitor", Box.of(uniform([("act", Act)], [("verdict", V)]), "monitor",
                                    component="alignment.trusted_monitor_table"))
    audit.add_box("auditor", Box.of(uniform([("verdict", V)], [("verdict", V)]), "auditor",
                                    component="alignment.human_auditor"))
    audit.connect("in.act", "monitor.act")
    audit.connect("monitor.verdict", "auditor.verdict")
    audit.connect("auditor.verdict", "out.verdict")
    wd = WiringDiagram("protocol", inputs=[("task", Task)], outputs=[("verdict", V)])
    wd.add_box("policy", Box.of(uniform([("task", Task)], [("act", Act)]), "policy",
                                component="alignment.untrusted_policy"))
    wd.add_box("audit", audit)
    wd.connect("in.task", "policy.task")
    wd.connect("policy.act", "audit.act")
    wd.connect("audit.verdict", "out.verdict")
    return wd


def loop() -> WiringDiagram:
    """A feedback wire through a stateful memory of the monitor's verdicts."""
    update = uniform([("count", Count), ("verdict", V)], [("count", Count)])
    readout = Kernel(np.eye(3), [("count", Count)], [("alarms", Count)])
    memory = StatefulBox.moore("memory", Count, Kernel.point([Count], "0"), update, readout)
    wd = WiringDiagram("loop", inputs=[("task", Task)], outputs=[("verdict", V)])
    wd.add_box("policy", uniform([("task", Task), ("alarms", Count)], [("act", Act)]))
    wd.add_box("monitor", uniform([("act", Act)], [("verdict", V)]))
    wd.add_box("memory", memory)
    wd.connect("in.task", "policy.task")
    wd.connect("policy.act", "monitor.act")
    wd.connect("monitor.verdict", "memory.verdict")
    wd.connect("monitor.verdict", "out.verdict")
    wd.connect("memory.alarms", "policy.alarms")
    return wd


def chain(n: int) -> WiringDiagram:
    """n boxes in a row: wide laid out left to right, narrow top to bottom."""
    wd = WiringDiagram("chain", inputs=[("x", Act)], outputs=[("x", Act)])
    for k in range(n):
        wd.add_box(f"step{k}", uniform([("x", Act)], [("x", Act)]))
        wd.connect(f"step{k - 1}.x" if k else "in.x", f"step{k}.x")
    wd.connect(f"step{n - 1}.x", "out.x")
    return wd


def svg_root(diagram, **options) -> ET.Element:
    return ET.fromstring(render(diagram, "svg", **options))


def texts(root: ET.Element, kind: str) -> list[str]:
    """The texts drawn in groups of class ``kind`` (``edge``, ``cluster``, ``box``)."""
    return [t.text for g in root.iter(f"{SVG}g") if kind in g.get("class", "").split()
            for t in g.iter(f"{SVG}text") if t.text]


def titles(root: ET.Element, kind: str) -> list[str]:
    return [g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g") if kind in g.get("class", "").split()]


def points(root: ET.Element, key: str) -> float:
    return float(root.get(key).removesuffix("pt"))


# ----- the options object -------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, inches", [("column", 3.3), ("page", 6.5), ("3.3in", 3.3), ("8cm", 8 / 2.54),
                                          ("80mm", 80 / 25.4), ("240pt", 240 / 72), ("4", 4.0), (" 2.5 IN ", 2.5),
                                          ("3 inches", 3.0), ('2"', 2.0),
                                          (5, 5.0), (1.5, 1.5)])
def test_widths_in_inches(text, inches):
    assert parse_width(text) == pytest.approx(inches)
    assert RenderOptions(width=text).width == pytest.approx(inches)


@given(st.floats(0.01, 99.0), st.sampled_from(sorted(UNITS)))
def test_a_number_and_unit_is_that_many_inches(number, unit):
    if number * UNITS[unit] > 100:
        return
    assert parse_width(f"{number!r}{unit}") == pytest.approx(number * UNITS[unit], rel=1e-12)


@pytest.mark.parametrize("kw, what, fix", [
    ({"theme": "papr"}, "unknown theme 'papr' (did you mean 'paper'?)", "--theme slides or --theme paper"),
    ({"labels": "components"}, "unknown label choice 'components' (did you mean 'component'?)",
     "--labels instance or --labels component or --labels both"),
    ({"direction": "RL"}, "unknown direction 'RL'", "--direction LR or --direction TB"),
    ({"width": "-3cm"}, "-3cm is not a positive width", "--width column (3.3 in)"),
    ({"width": 0}, "0 in is not a positive width", "--width 8cm"),
    ({"width": "3furlong"}, "unknown unit 'furlong' in '3furlong'", "use one of in, cm, mm, pt"),
    ({"width": "3ptt"}, "unknown unit 'ptt' in '3ptt' (did you mean 'pt'?)", "use one of in, cm"),
    ({"width": "wide"}, "'wide' is not a width", "--width page (6.5 in)"),
    ({"width": "1e9in"}, "wider than the 100 in of a poster", "--width column"),
    ({"width": "nan"}, "'nan' is not a width", "--width column"),
    ({"dpi": 0}, "0 is not a resolution from 36 to 1200 dpi", "--dpi 300"),
    ({"dpi": 10**6}, "1000000 is not a resolution from 36 to 1200 dpi", "--dpi 300"),
    ({"font": 'Times" fontcolor="red'}, "is not a font name", "--font Helvetica"),
])
def test_bad_values_name_their_option_and_fix(kw, what, fix):
    with pytest.raises(RenderError) as e:
        RenderOptions(**kw)
    option = "--" + next(iter(kw)).replace("_", "-")
    assert e.value.where == f"render option {option}"
    assert what in e.value.what and fix in e.value.fix


def test_an_unknown_keyword_is_refused_with_did_you_mean():
    with pytest.raises(RenderError) as e:
        render(protocol(), "dot", thme="paper")
    assert "is not a render option (did you mean 'theme'?)" in str(e.value)


def test_keywords_and_an_options_object_are_one_thing():
    o = RenderOptions(theme="paper", width="column", labels="both", hide_types=True, direction="tb")
    assert o.direction == "TB"
    assert RenderOptions.of(theme="paper", width=3.3, labels="both", hide_types=True, direction="TB") == o
    assert render(protocol(), "dot", options=o) == render(protocol(), "dot", theme="paper", width="column",
                                                          labels="both", hide_types=True, direction="TB")


def test_defaults_draw_what_plain_render_draws():
    d = loop()
    assert render(d, "dot", options=RenderOptions()) == to_dot(d) == render(d, "dot")


# ----- each option's effect -------------------------------------------------------------------------------------
def test_direction_tb_runs_wires_top_to_bottom():
    d = chain(3)
    lr, tb = render(d, "dot", direction="LR"), render(d, "dot", direction="TB")
    assert "rankdir=LR" in lr and "rankdir=TB" in tb
    assert re.search(r":o0:e -> .*:i0:w", lr) and re.search(r":o0:s -> .*:i0:n", tb)
    # each box's input cell is above its name and its output cell below (in SVG y grows downwards)
    root = svg_root(d, direction="TB")
    for g in root.iter(f"{SVG}g"):
        if "box" in g.get("class", "").split():
            ys = {t.text: float(t.get("y")) for t in g.iter(f"{SVG}text")}
            assert len(ys) == 2  # the port cells share the name "x"; the box name
            name = next(k for k in ys if k.startswith("step"))
            assert ys["x"] != ys[name]
    boxes = [float(next(g.iter(f"{SVG}text")).get("y")) for g in root.iter(f"{SVG}g")
             if "box" in g.get("class", "").split()]
    assert boxes == sorted(boxes)  # step0 above step1 above step2


def test_width_sets_the_size_and_the_svg_fits_it():
    d = chain(12)
    dot = render(d, "dot", width="column", direction="LR")
    assert f'size="3.3,{PAGE_HEIGHT:g}"' in dot
    root = svg_root(d, width="column", direction="LR")
    assert points(root, "width") <= 3.3 * 72 + 1
    wide = svg_root(d, direction="LR")
    assert points(wide, "width") > 3 * 3.3 * 72  # the unfitted chain is much wider than a column


def test_width_without_direction_switches_a_wide_chain_to_tb_and_keeps_a_small_one_lr():
    assert "rankdir=TB" in render(chain(12), "dot", width="column")
    assert "rankdir=LR" in render(chain(1), "dot", width="page")  # it fits: nothing to gain
    root = svg_root(chain(12), width="column")
    assert points(root, "width") <= 3.3 * 72 + 1 and points(root, "height") <= PAGE_HEIGHT * 72 + 1
    # TB was chosen because it shrinks less: its text is drawn larger than the fitted LR's
    scale = lambda r: float(re.search(r"scale\(([\d.]+)", next(r.iter(f"{SVG}g")).get("transform")).group(1))
    assert scale(root) > scale(svg_root(chain(12), width="column", direction="LR"))


def test_font_is_the_svgs_font_family():
    root = svg_root(protocol(), font="Times")
    families = {t.get("font-family") for t in root.iter(f"{SVG}text")}
    assert families == {"Times"}
    default = {t.get("font-family").split(",")[0] for t in svg_root(protocol()).iter(f"{SVG}text")}
    assert default == {"Helvetica"}  # graphviz adds its generic fallback: "Helvetica,sans-Serif"


def test_hide_types_drops_the_wire_labels_and_keeps_the_port_names():
    shown, hidden = svg_root(protocol()), svg_root(protocol(), hide_types=True)
    assert {"Act", "Verdict"} <= set(texts(shown, "edge"))
    assert texts(hidden, "edge") == []
    assert texts(hidden, "box") == texts(shown, "box")  # port cells still say act, verdict, task
    assert "act" in texts(hidden, "box")


@pytest.mark.parametrize("labels, names", [
    ("instance", ["policy", "monitor", "auditor"]),
    ("component", ["untrusted_policy", "trusted_monitor_table", "human_auditor"]),
    ("both", ["policy", "untrusted_policy", "monitor", "trusted_monitor_table", "auditor", "human_auditor"]),
])
def test_labels_show_instance_component_or_both(labels, names):
    drawn = [t for t in texts(svg_root(protocol(), labels=labels), "box") if t not in ("task", "act", "verdict")]
    assert drawn == names


def test_a_box_without_a_component_shows_its_instance_name():
    assert "monitor" in texts(svg_root(loop(), labels="component"), "box")


def test_labels_of_a_loaded_proposal_come_from_the_loader_including_stateful_boxes():
    wiring = load_proposal(PROPOSALS / "budgeted_monitoring.yaml").wiring
    names = texts(svg_root(wiring, labels="both"), "box")
    for instance, component in [("monitor", "trusted_monitor_table"), ("auditor", "budgeted_auditor"),
                                ("episode", "budgeted_episode")]:  # episode is a StatefulBox
        assert names[names.index(instance) + 1] == component


def test_collapse_draws_a_nested_diagram_as_one_box():
    opened, closed = svg_root(protocol()), svg_root(protocol(), collapse=("audit",))
    assert titles(opened, "cluster") == ["cluster", "cluster/audit"]
    assert titles(closed, "cluster") == ["cluster"]
    assert sorted(titles(closed, "box")) == ["box/audit", "box/policy"]
    assert sorted(titles(opened, "box")) == ["box/audit/auditor", "box/audit/monitor", "box/policy"]
    assert "3 boxes" not in texts(closed, "box") and "2 boxes" in texts(closed, "box")
    assert "audit_protocol" in texts(svg_root(protocol(), collapse=["audit"], labels="component"), "box")


def test_collapse_naming_no_nested_diagram_says_which_there_are():
    with pytest.raises(RenderError) as e:
        render(protocol(), "dot", collapse=("audt",))
    assert e.value.where == "render option --collapse"
    assert e.value.what == "'audt' names no nested diagram (did you mean 'audit'?)"
    assert e.value.fix == "name one of the nested diagrams (audit), or leave out --collapse audt"
    with pytest.raises(RenderError) as e:
        render(loop(), "dot", collapse="memory")  # a stateful box is not a nested diagram
    assert "none: every box is a component" in e.value.fix


def test_themes_colours():
    slides, paper = render(loop(), "svg"), render(loop(), "svg", theme="paper")
    assert THEMES["slides"].feedback in slides and THEMES["slides"].feedback not in paper
    colours = set(re.findall(r'(?:stroke|fill)="([^"]+)"', paper))
    assert colours <= {"black", "white", "none", "#eeeeee", "#000000", "#ffffff"}, colours
    sizes = {float(s) for s in re.findall(r'font-size="([\d.]+)"', paper)}
    assert max(sizes) <= 9 < max(float(s) for s in re.findall(r'font-size="([\d.]+)"', slides))
    assert set(re.findall(r'stroke-width="([\d.]+)"', paper)) == {"0.6"}  # wires: thin lines
    assert set(re.findall(r'stroke-width="([\d.]+)"', slides)) == {"0.9"}
    assert "stroke-dasharray" in paper  # feedback stays dashed, in black


def test_dpi_sets_a_pngs_pixels():
    def pixels(png: bytes) -> tuple[int, int]:
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        return struct.unpack(">II", png[16:24])
    low, high = pixels(render(chain(2), "png", dpi=72)), pixels(render(chain(2), "png", dpi=288))
    assert high[0] == pytest.approx(4 * low[0], rel=0.05) and high[1] == pytest.approx(4 * low[1], rel=0.05)


# ----- the command line -------------------------------------------------------------------------------------------
def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_cli_builds_the_same_options(monkeypatch, tmp_path):
    seen = []
    module = importlib.import_module("markovwire.diagrams.render")  # the package's `render` is the function
    monkeypatch.setattr(module, "render", lambda d, path, options: seen.append(options) or path)
    r = invoke("render", str(PROPOSALS / "swiss_cheese.yaml"), "-o", str(tmp_path / "f.svg"), "--direction", "tb",
               "--width", "8cm", "--font", "Times", "--dpi", "300", "--hide-types", "--labels", "both",
               "--collapse", "x", "--collapse", "y", "--theme", "paper")
    assert r.exit_code == 0, r.output
    assert seen == [RenderOptions(direction="TB", width="8cm", font="Times", dpi=300, hide_types=True, labels="both",
                                  collapse=("x", "y"), theme="paper")]
    r = invoke("render", str(PROPOSALS / "swiss_cheese.yaml"), "-o", str(tmp_path / "g.svg"))
    assert r.exit_code == 0 and seen[-1] == RenderOptions()


def test_cli_options_reach_the_figure(tmp_path):
    out = tmp_path / "tm.dot"
    r = invoke("render", str(PROPOSALS / "trusted_monitoring.yaml"), "-o", str(out), "--labels", "component",
               "--direction", "TB", "--width", "column", "--hide-types", "--theme", "paper")
    assert r.exit_code == 0, r.output
    dot = out.read_text()
    assert "rankdir=TB" in dot and 'size="3.3,9"' in dot and "trusted_monitor_table" in dot
    assert "Verdict" not in dot and "AuditOut" not in dot and "#b2182b" not in dot


@pytest.mark.parametrize("args, message", [
    (["--theme", "papr"], "render option --theme: unknown theme 'papr' (did you mean 'paper'?)\n"
                          "  fix: pass --theme slides or --theme paper (theme= in Python)"),
    (["--width", "-3cm"], "render option --width: -3cm is not a positive width\n  fix: pass a width such as "
                          "--width column (3.3 in), --width page (6.5 in), --width 3.3in or --width 8cm"),
    (["--width", "3px"], "render option --width: unknown unit 'px' in '3px'\n"
                         "  fix: use one of in, cm, mm, pt (e.g. --width 8cm), or column or page"),
    (["--collapse", "monitr"], "trusted_monitoring.yaml: render option --collapse: 'monitr' names no nested diagram\n"
                               "  fix: name one of the nested diagrams (none: every box is a component), or leave "
                               "out --collapse monitr"),
])
def test_cli_errors(tmp_path, args, message):
    out = tmp_path / "f.svg"
    r = invoke("render", str(PROPOSALS / "trusted_monitoring.yaml"), "-o", str(out), *args)
    assert isinstance(r.exception, RenderError)
    assert str(r.exception).endswith(message)
    assert not out.exists()
