"""Places as fields: every constructor form keeps its text, and the fields say file, line, keys, box and port."""
from __future__ import annotations

import copy
import json
import pickle

import pytest

from markovwire.errors import ErrorList, FileFormatError, MarkovwireError, Place, TypeMismatch, UnknownName


@pytest.mark.parametrize("place, text", [
    (Place(), ""),
    (Place("net"), "net"),
    (Place(box="monitor"), "box 'monitor'"),
    (Place(box="monitor", port="act"), "box 'monitor', port 'act'"),
    (Place(port="act"), "port 'act'"),
    (Place(file="p.yaml"), "p.yaml"),
    (Place(file="p.yaml", line=3), "p.yaml:3"),
    (Place(file="p.yaml", line=3, keys=("wiring", "wires", 2)), "p.yaml:3: wiring.wires[2]"),
    (Place("key 'a'", file="p.yaml", line=2), "p.yaml:2: key 'a'"),
    (Place("wire a.x → b.y", box="b", port="y"), "wire a.x → b.y"),
    (Place(keys=("claims", 3, "never_sees")), "claims[3].never_sees"),
])
def test_a_place_is_its_text(place, text):
    assert place == text and str(place) == text and isinstance(place, str)
    assert f"{place}: x" == (f"{text}: x")


@pytest.mark.parametrize("make, text", [
    (lambda: TypeMismatch("box 'monitor', port 'act'", "expected Act", fix="wire an Act"),
     "box 'monitor', port 'act': expected Act\n  fix: wire an Act"),
    (lambda: TypeMismatch(Place(box="monitor", port="act"), "expected Act", fix="wire an Act"),
     "box 'monitor', port 'act': expected Act\n  fix: wire an Act"),
    (lambda: TypeMismatch(None, "expected Act", fix="wire an Act", box="monitor", port="act"),
     "box 'monitor', port 'act': expected Act\n  fix: wire an Act"),
    (lambda: TypeMismatch("wire a.x → b.y", "A does not match B", box="b", port="y"),
     "wire a.x → b.y: A does not match B"),
    (lambda: MarkovwireError("", "something broke"), "something broke"),
    (lambda: MarkovwireError(None, "something broke"), "something broke"),
    (lambda: MarkovwireError("net", "has a cycle", "break it"), "net: has a cycle\n  fix: break it"),
    (lambda: FileFormatError("p.yaml:3: queries.q", "unknown key"), "p.yaml:3: queries.q: unknown key"),
    (lambda: FileFormatError(Place(file="p.yaml", line=3, keys=("queries", "q")), "unknown key"),
     "p.yaml:3: queries.q: unknown key"),
])
def test_every_constructor_form_keeps_its_message(make, text):
    e = make()
    assert str(e) == text and e.args == (text,)
    assert isinstance(e.where, Place) and e.where == e.place


def test_fields_of_an_error():
    e = TypeMismatch(None, "expected Act", box="monitor", port="act")
    assert (e.file, e.line, e.keys, e.box, e.port) == (None, None, (), "monitor", "act")
    e = FileFormatError(Place(file="p.yaml", line=3, keys=("queries", "q")), "unknown key")
    assert (e.file, e.line, e.keys, e.box, e.port) == ("p.yaml", 3, ("queries", "q"), None, None)
    text = UnknownName("box 'm'", "no such port")      # text is never parsed: no fields
    assert (text.file, text.line, text.keys, text.box, text.port) == (None, None, (), None, None)
    assert UnknownName("box 'm'", "no such port", box="m").where == "box 'm'"   # box= adds the field, keeps the text


def test_to_dict_is_json():
    e = TypeMismatch(Place("wire a.x → b.y", file="p.yaml", line=7, keys=("wiring", "wires", 2), box="b", port="y"),
                     "A does not match B", fix="insert a box")
    d = json.loads(json.dumps(e.to_dict()))
    assert d == {"type": "TypeMismatch", "file": "p.yaml", "line": 7, "keys": ["wiring", "wires", 2], "box": "b",
                 "port": "y", "where": "p.yaml:7: wiring.wires[2]: wire a.x → b.y", "what": "A does not match B",
                 "fix": "insert a box", "message": str(e)}
    many = ErrorList([e, UnknownName("", "nothing")]).to_dict()
    assert many["type"] == "ErrorList" and [x["type"] for x in many["errors"]] == ["TypeMismatch", "UnknownName"]
    assert json.dumps(FileFormatError(Place(file="p.yaml", line=1, keys=(True, 2.5)), "odd keys").to_dict())


def test_nesting_composes_fields_and_keeps_the_text():
    outer = Place(file="p.yaml", line=7, keys=("instances", "monitor"))
    inner = Place(box="monitor", port="act")
    both = outer.nest(inner)
    assert both == "p.yaml:7: instances.monitor: box 'monitor', port 'act'"
    assert (both.file, both.line, both.keys, both.box, both.port) == ("p.yaml", 7, ("instances", "monitor"), "monitor",
                                                                      "act")
    assert both.local == "instances.monitor: box 'monitor', port 'act'"
    # an inner place in another file is where the mistake is: the outer place is its context
    lib = Place("kernel 'k'", file="lib.yaml", line=4, keys=("components", "c"))
    there = Place("library 'alignment'").nest(lib)
    assert there == "library 'alignment': lib.yaml:4: components.c: kernel 'k'"
    assert (there.file, there.line, there.keys, there.context) == ("lib.yaml", 4, ("components", "c"),
                                                                   "library 'alignment'")
    assert outer.nest(lib) == f"{outer}: {lib}" and outer.nest(lib).file == "lib.yaml"
    # empty sides
    assert outer.nest("") is outer and Place().nest(inner) is inner
    assert outer.nest(Place(box="m")).box == "m" and outer.nest("text").detail == "text"


def test_places_and_errors_copy_and_pickle():
    p = Place("wire a.x → b.y", file="p.yaml", line=3, keys=("wiring",), box="b", port="y")
    for q in (copy.copy(p), copy.deepcopy(p), pickle.loads(pickle.dumps(p))):
        assert q == p and q.fields() == p.fields() and q.detail == p.detail
    e = TypeMismatch(p, "A does not match B", fix="f")
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is TypeMismatch and str(back) == str(e) and back.place.fields() == p.fields()
    many = pickle.loads(pickle.dumps(ErrorList([e, e])))
    assert str(many) == str(ErrorList([e, e])) and many.errors[1].box == "b"
    with pytest.raises(AttributeError):
        p.line = 4


def test_relocated_keeps_class_and_texts():
    e = UnknownName("box 'm'", "no such port", fix="f", box="m")
    moved = e.relocated(Place(file="p.yaml", line=2).nest(e.place))
    assert type(moved) is UnknownName and str(moved) == "p.yaml:2: box 'm': no such port\n  fix: f"
    assert (moved.file, moved.line, moved.box) == ("p.yaml", 2, "m") and e.file is None
    assert e.relocated(e.place, fix="other").fix == "other"


@pytest.mark.parametrize("where, text, sep, expected", [
    ("", "port 0", ", ", "port 0"),
    ("box 'm'", "port 'x'", ", ", "box 'm', port 'x'"),
    (Place(file="f.yaml", line=3, keys=("diagram",)), "(column 8, '>>')", " ", "f.yaml:3: diagram (column 8, '>>')"),
    (Place("kernel 'k'", file="f.yaml", line=3, keys=("components", "c")), "row 2", ", ",
     "f.yaml:3: components.c: kernel 'k', row 2"),
])
def test_extend_is_the_text_it_replaces_with_the_fields_kept(where, text, sep, expected):
    old = f"{where}{sep}{text}" if where else text
    new = Place.of(where).extend(text, sep=sep)
    assert new == old == expected
    assert (new.file, new.line, new.keys) == (Place.of(where).file, Place.of(where).line, Place.of(where).keys)
    nested = new.nest(Place(box="b", port="p"))
    assert nested == f"{expected}: box 'b', port 'p'" and (nested.file, nested.box) == (new.file, "b")
    assert pickle.loads(pickle.dumps(new)) == new and pickle.loads(pickle.dumps(new)).sep == new.sep
