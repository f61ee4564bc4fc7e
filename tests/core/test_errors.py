"""User errors: three-part messages (where, what, fix), one base class, all problems listed together."""
from __future__ import annotations

import pytest

import markovwire
from markovwire import errors
from markovwire.errors import ErrorList, MarkovwireError, TypeMismatch, WiringError


def test_message_has_place_problem_and_fix():
    e = TypeMismatch("box 'monitor', port 'act'", "expected Act, got Verdict", fix="wire an Act into 'act'")
    assert str(e) == "box 'monitor', port 'act': expected Act, got Verdict\n  fix: wire an Act into 'act'"
    assert (e.where, e.what, e.fix) == ("box 'monitor', port 'act'", "expected Act, got Verdict",
                                        "wire an Act into 'act'")
    assert e.args == (str(e),)


def test_message_without_place_or_fix():
    assert str(MarkovwireError("", "something broke")) == "something broke"
    assert str(MarkovwireError("net", "has a cycle")) == "net: has a cycle"


def test_every_error_is_a_markovwire_error_and_exported():
    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, Exception)]
    assert {"TypeMismatch", "ContractionTooLarge", "EngineError", "Cancelled"} <= {c.__name__ for c in classes}
    for cls in classes:
        assert issubclass(cls, MarkovwireError)
        assert getattr(markovwire, cls.__name__) is cls
        assert cls.__doc__


def test_error_list_indents_each_problem():
    e = ErrorList([TypeMismatch("box 'a'", "bad type", fix="fix it"), WiringError("wire 'w'", "dangles")])
    assert str(e) == ("2 problem(s):\n"
                      "- box 'a': bad type\n"
                      "    fix: fix it\n"
                      "- wire 'w': dangles")
    assert [type(x) for x in e.errors] == [TypeMismatch, WiringError]


def test_errors_can_be_caught_by_the_base_class():
    with pytest.raises(MarkovwireError):
        markovwire.FinSet("Empty", [])
