"""The file schema: strict models, bounded sizes, the JSON Schema, and the messages of refusals."""
from __future__ import annotations

import doctest
import json

import pytest
from pydantic import ValidationError

import markovwire.library.schema as schema
from markovwire.errors import ErrorList, FileFormatError
from markovwire.library.loader import load_library_text
from markovwire.library.proposal import proposal_from_text
from markovwire.library.schema import (
    MAX_ITEMS,
    ComponentSpec,
    KernelSpec,
    LibraryFile,
    ParameterSpec,
    ProposalFile,
    QuerySpec,
    json_schemas,
)

LIB = """\
name: coins
version: "1"
types: {Coin: [heads, tails]}
parameters: {p: {domain: [0, 1], default: 0.5}}
components:
  coin: {outputs: {side: Coin}, parameters: [p], kernel: {table: {heads: p, tails: "1 - p"}}}
"""


def errors_of(text: str, loader=load_library_text) -> list[str]:
    try:
        loader(text, "f.yaml")
    except ErrorList as e:
        return [str(x) for x in e.errors]
    except FileFormatError as e:
        return [str(e)]
    return []


def test_doctests():
    assert doctest.testmod(schema).failed == 0


def test_json_schema_of_both_file_kinds():
    s = json_schemas()
    assert set(s) == {"library", "proposal"}
    assert s["library"]["additionalProperties"] is False
    assert set(s["library"]["required"]) == {"name", "version"}
    assert "instances" in s["proposal"]["required"]
    for kind in ("KernelSpec", "ComponentSpec", "ParameterSpec"):
        assert kind in s["library"]["$defs"]
    for kind in ("QuerySpec", "SweepSpec", "AdversarySpec", "WiringSpec", "EpisodeSpec"):
        assert kind in s["proposal"]["$defs"]
    json.dumps(s)  # serialisable as it is


def test_strict_no_coercion_and_closed():
    with pytest.raises(ValidationError):
        ParameterSpec.model_validate({"domain": [0, "1"]})      # text for a number
    with pytest.raises(ValidationError):
        ParameterSpec.model_validate({"domain": [0, 1], "integer": "yes"})
    with pytest.raises(ValidationError):
        ParameterSpec.model_validate({"domain": [0, 1], "dflt": 1})  # unknown key
    with pytest.raises(ValidationError):
        ParameterSpec.model_validate({"domain": [0, 1, 2]})
    spec = ParameterSpec.model_validate({"domain": [0, 1], "default": 1})
    with pytest.raises(ValidationError):
        spec.default = 0.5                                     # frozen


def test_integers_are_labels_but_booleans_are_not():
    k = KernelSpec.model_validate({"table": {1: 0.5, 2: 0.5}})
    assert list(k.table) == ["1", "2"]
    with pytest.raises(ValidationError):
        KernelSpec.model_validate({"table": {True: 1}})


def test_exactly_one_kind_of_kernel_and_of_query():
    with pytest.raises(ValidationError, match="exactly one of 'table', 'function' or 'construction'"):
        KernelSpec.model_validate({"table": {"a": 1}, "function": {"a": "b"}})
    with pytest.raises(ValidationError, match="'args' belongs to a 'construction'"):
        KernelSpec.model_validate({"table": {"a": 1}, "args": {"n": 1}})
    with pytest.raises(ValidationError, match="exactly one of 'probability', 'expectation', 'distribution', 'entropy'"):
        QuerySpec.model_validate({"given": {"x": "a"}})
    with pytest.raises(ValidationError, match="exactly one of 'diagram'"):
        ProposalFile.model_validate({"name": "p", "instances": {"a": {"component": "c"}}})


def test_sizes_are_bounded():
    big = {f"l{i}": 0.0 for i in range(MAX_ITEMS + 1)}
    with pytest.raises(ValidationError, match="at most 4096"):
        KernelSpec.model_validate({"table": big})
    with pytest.raises(ValidationError):
        ComponentSpec.model_validate({"doc": "x" * 20_001, "kernel": {"table": {"a": 1}}})
    with pytest.raises(ValidationError):
        LibraryFile.model_validate({"name": "n" * 65, "version": "1"})
    with pytest.raises(ValidationError):
        ProposalFile.model_validate({"name": "p", "diagram": "a" * 2001, "instances": {"a": {"component": "c"}}})


def test_a_good_file_validates():
    assert errors_of(LIB) == []


@pytest.mark.parametrize("change, message", [
    (("version: \"1\"", "version: 1"), "f.yaml:2: version: expected text, got 1\n  fix: write text"),
    (("default: 0.5", "default: '0.5'"),
     "f.yaml:4: parameters.p.default: expected a number, got '0.5'\n  fix: write the number without quotes"),
    (("domain: [0, 1]", "domian: [0, 1]"),
     "f.yaml:4: parameters.p.domian: unknown key 'domian' (did you mean 'domain'?)\n"
     "  fix: use one of: default, doc, domain, integer"),
    (("types: {Coin: [heads, tails]}", "types: {Coin: [true, false]}"),
     "f.yaml:3: types.Coin[0]: expected text, got True\n"
     "  fix: quote it, e.g. 'true' (YAML reads unquoted true/false as booleans)"),
    (("name: coins", "name: 3coins"),
     "f.yaml:1: name: '3coins' is not a name of letters, digits and '_', starting with a letter\n"
     "  fix: write a name of letters, digits and '_', starting with a letter"),
    (("kernel: {table:", "kernel: {tabel:"),
     "f.yaml:6: components.coin.kernel.tabel: unknown key 'tabel' (did you mean 'table'?)\n"
     "  fix: use one of: args, construction, function, table"),
])
def test_schema_refusals_name_file_line_key_and_fix(change, message):
    old, new = change
    errors = errors_of(LIB.replace(old, new))
    assert message in errors, errors


def test_a_missing_key_and_a_kernel_of_no_kind():
    errors = errors_of(LIB.replace(", kernel: {table: {heads: p, tails: \"1 - p\"}}", ", kernel: {}"))
    assert errors == ["f.yaml:6: components.coin.kernel: give exactly one of 'table', 'function' or "
                      "'construction'\n  fix: change it as said (markovwire schema shows every key)"]
    errors = errors_of("name: coins\n")
    assert errors == ["f.yaml:1: missing key 'version'\n  fix: add 'version:' here (markovwire schema shows every key)"]


def test_union_errors_report_the_branch_that_matched():
    text = LIB.replace('tails: "1 - p"', "tails: [1, 2]")
    assert errors_of(text) == ["f.yaml:6: components.coin.kernel.table.tails: expected a mapping or a number or text, "
                               "got a list\n  fix: write a mapping or a number or text"]


def test_proposal_parameters_take_numbers_constants_or_declarations():
    base = {"name": "p", "diagram": "a", "instances": {"a": {"component": "c"}}}
    spec = ProposalFile.model_validate({**base, "parameters": {"beta": 0.1, "sigma": "19/71",
                                                               "new": {"domain": [0, 1], "default": 0.5}}})
    assert isinstance(spec.parameters["new"], ParameterSpec)
    assert spec.parameters["sigma"] == "19/71"
    assert spec.libraries == ["alignment"]


def test_the_file_must_be_a_mapping():
    assert errors_of("- a\n- b\n") == ["f.yaml:1: the file is a list, not a mapping of keys\n"
                                       "  fix: start with 'name: ...' (markovwire schema shows every key)"]
    assert errors_of("") == ["f.yaml:1: the file is empty, not a mapping of keys\n"
                             "  fix: start with 'name: ...' (markovwire schema shows every key)"]
    assert errors_of("name: p\ninstances: 3\ndiagram: a\n", loader=proposal_from_text)[0].startswith(
        "f.yaml:2: instances: expected a mapping, got 3")
