"""Hostile and huge input to the UI's composer: a table too large to edit on screen, a component too large to
build, a user library file carrying a Python tag, a constant that would never finish. Each runs in a bounded
child process and must end with a markovwire message naming the place, the size and a fix."""
from __future__ import annotations

import limits

PRELUDE = """
from pathlib import Path
from markovwire.errors import MarkovwireError
from markovwire.tui.document import Document
from markovwire.tui.user_library import ComponentDraft, grid, port_types
"""


def run(code: str, tmp_path):
    r = limits.run_python(PRELUDE + code, cwd=tmp_path)
    assert r.clean, r
    return r


def test_a_table_of_a_million_by_a_million_rows_is_refused_before_a_row_is_made(tmp_path):
    r = run("""
try:
    grid(port_types({"a": "Range(1000000)", "b": "Range(1000000)"}, {}), port_types({"c": "Range(2)"}, {}))
except MarkovwireError as e:
    print(e)
""", tmp_path)
    assert "table: has 1000000000000 rows × 2 columns = 2000000000000 cells, more than the 256 edited here" in r.stdout
    assert "write the component in the library file (docs/library-format.md" in r.stdout


def test_a_component_too_large_to_build_is_refused_and_nothing_is_written(tmp_path):
    r = run("""
doc = Document.new("p")
draft = ComponentDraft("huge", {"a": "Range(1000000)"}, {"b": "Range(1000000)"}, {"_": {"0": 1}})
try:
    doc.define_component(draft)
except MarkovwireError as e:
    print(e)
print("written:", Path("mine.yaml").exists(), doc.spec.libraries)
""", tmp_path)
    assert "mine.yaml" in r.stdout and "huge" in r.stdout, r
    assert "written: False []" in r.stdout


def test_a_user_library_with_a_python_tag_is_never_read_by_the_round_trip_loader(tmp_path):
    (tmp_path / "mine.yaml").write_text("name: mine\nversion: '1'\n"
                                        "doc: !!python/object/apply:os.system ['touch pwned']\n")
    r = run("""
doc = Document.new("p")
draft = ComponentDraft("coin", {}, {"side": "Side"}, {"h": 1}, types={"Side": ["h", "t"]})
try:
    doc.define_component(draft)
except MarkovwireError as e:
    print(e)
""", tmp_path)
    assert "mine.yaml:3" in r.stdout and "python" in r.stdout.lower(), r
    assert not (tmp_path / "pwned").exists()
    assert "!!python" in (tmp_path / "mine.yaml").read_text()           # left as it was


def test_a_constant_that_never_finishes_is_refused_as_a_binding(tmp_path):
    r = run("""
doc = Document.new("p")
doc.define_component(ComponentDraft("coin", {}, {"side": "Side"}, {"h": "p", "t": "1 - p"},
                                    types={"Side": ["h", "t"]}, parameters={"p": {"domain": [0, 1], "default": 0.5}}))
doc.add_instance("coin", "c")
for text in ("exp(exp(exp(100)))", "erfinv(2)", "2"):
    try:
        doc.bind_parameter("c", "p", text)
    except MarkovwireError as e:
        print(e)
print("bound:", dict(doc.spec.instances["c"].parameters))
""", tmp_path)
    lines = r.stdout
    assert lines.count("instances.c.parameters.p") >= 3, r
    assert "bound: {}" in lines
