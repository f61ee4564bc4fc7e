"""Errors from files carry file, line and key path as fields; composed places nest structurally."""
from __future__ import annotations

import pytest

from markovwire.diagrams.yamlsafe import load_yaml
from markovwire.errors import ErrorList, MarkovwireError, Place, TypeMismatch, UnknownName
from markovwire.library import proposal_from_text
from markovwire.library.loader import flatten, load_library_text, placed
from markovwire.library.shipped import default_proposal


def errors_of(text: str, filename: str = "typo.yaml") -> list[MarkovwireError]:
    with pytest.raises(MarkovwireError) as info:
        proposal_from_text(text, filename)
    return flatten(info.value)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_a_typo_in_a_proposal_is_placed_by_fields():
    text = open(default_proposal(), encoding="utf-8").read()
    assert "  monitor: {component: trusted_monitor" in text and "    probability:" in text
    typo = text.replace("    probability:", "    probablity:", 1)
    errs = errors_of(typo)
    e = next(e for e in errs if "probablity" in e.what)
    assert e.file == "typo.yaml" and e.line == line_of(typo, "probablity")
    assert e.keys[0] == "queries" and e.keys[-1] == "probablity"
    assert e.where == f"typo.yaml:{e.line}: {'.'.join(map(str, e.keys))}"  # the text is the fields'
    d = e.to_dict()
    assert (d["file"], d["line"], d["keys"]) == ("typo.yaml", e.line, list(e.keys))


def test_an_unknown_component_is_placed_by_fields():
    text = open(default_proposal(), encoding="utf-8").read()
    typo = text.replace("{component: trusted_monitor", "{component: trusted_monitr", 1)
    e = next(e for e in errors_of(typo) if "trusted_monitr" in e.what)
    assert (e.file, e.line, e.keys) == ("typo.yaml", line_of(typo, "trusted_monitr"), ("instances", "monitor",
                                                                                       "component"))


def test_a_type_mismatch_in_a_proposal_has_box_port_file_and_line():
    text = open(default_proposal(), encoding="utf-8").read()
    wire = next(line for line in text.splitlines() if line.strip() == "- policy.act -> monitor.act")
    bad = text.replace(wire, wire.replace("policy.act", "task.query"), 1)
    e = next(e for e in errors_of(bad) if isinstance(e, TypeMismatch))
    assert (e.box, e.port) == ("monitor", "act")
    assert e.file == "typo.yaml" and e.line == line_of(bad, "task.query -> monitor.act")
    assert e.keys[:2] == ("wiring", "wires")


def test_library_file_errors_have_fields():
    text = "name: coins\nversion: '1'\ncomponents:\n  coin: {outputs: {side: Coin}, kernal: {}}\n"
    with pytest.raises(ErrorList) as info:
        load_library_text(text, "coins.yaml")
    got = {(e.file, e.line, e.keys) for e in info.value.errors}
    assert got == {("coins.yaml", 4, ("components", "coin")), ("coins.yaml", 4, ("components", "coin", "kernal"))}


def test_yaml_errors_have_file_and_line():
    with pytest.raises(MarkovwireError) as info:
        load_yaml("a: 1\na: 2\n", "p.yaml")
    assert (info.value.file, info.value.line, str(info.value.where)) == ("p.yaml", 2, "p.yaml:2: key 'a'")
    with pytest.raises(MarkovwireError) as info:
        load_yaml("a: [1\n", "p.yaml")
    assert info.value.file == "p.yaml" and info.value.line is not None


def test_placed_nests_the_place_structurally():
    doc = load_yaml("instances:\n  monitor: {component: m}\n", "p.yaml")
    inner = TypeMismatch(Place(box="monitor", port="act"), "expected Act", fix="wire an Act")
    e = placed(inner, doc.where(("instances", "monitor")))
    assert str(e) == "p.yaml:2: instances.monitor: box 'monitor', port 'act': expected Act\n  fix: wire an Act"
    assert type(e) is TypeMismatch and (e.file, e.line, e.keys, e.box, e.port) == (
        "p.yaml", 2, ("instances", "monitor"), "monitor", "act")
    assert e.place.detail == "box 'monitor', port 'act'"
    # already in that file: unchanged; an ErrorList: each placed, fields kept
    assert placed(e, doc.where(("instances",))) is e
    many = placed(ErrorList([inner, UnknownName("wire x", "dangles", box="b")]), doc.where(("instances",)))
    assert [(x.file, x.line, x.keys, x.box) for x in flatten(many)] == [("p.yaml", 1, ("instances",), "monitor"),
                                                                         ("p.yaml", 1, ("instances",), "b")]
    # an error in another file keeps its own file and line; the outer place becomes its context
    other = UnknownName(Place(file="lib.yaml", line=9, keys=("types", "X")), "unknown type")
    e = placed(other, doc.where(("instances", "monitor")))
    assert e.where == "p.yaml:2: instances.monitor: lib.yaml:9: types.X"
    assert (e.file, e.line, e.keys) == ("lib.yaml", 9, ("types", "X"))
