"""The safe YAML loader: YAML 1.2 booleans (yes/no/on/off stay labels), and duplicate keys refused by file:line."""
from __future__ import annotations

import numpy as np
import pytest
import yaml

from markovwire import ErrorList, FileFormatError, FinSet
from markovwire.diagrams import parse_diagram
from markovwire.diagrams.yamlsafe import load_yaml
from markovwire.library import load_library, load_library_text

WORDS = ["yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N", "tRue"]


@pytest.mark.parametrize("text, value", [("true", True), ("True", True), ("TRUE", True),
                                         ("false", False), ("False", False), ("FALSE", False)])
def test_only_true_and_false_are_booleans(text, value):
    assert load_yaml(f"{text}: {text}\nlist: [{text}]\n").data == {value: value, "list": [value]}
    assert load_yaml(f"'{text}': \"{text}\"\n").data == {text: text}  # quoted, it is text


@pytest.mark.parametrize("word", WORDS)
def test_yaml_1_1_booleans_stay_text(word):
    assert load_yaml(f"{word}: {word}\nlist: [{word}, {{{word}: {word}}}]\n").data == \
        {word: word, "list": [word, {word: word}]}


def test_the_other_scalars_are_unchanged():
    data = load_yaml("[1, -2, 0x1f, 1.5, .inf, ~, null, '', 2001-12-14, text]").data
    assert data[:5] == [1, -2, 31, 1.5, float("inf")] and data[5:7] == [None, None] and data[7] == ""
    assert str(data[8]) == "2001-12-14" and data[9] == "text"


def test_the_safe_loader_of_pyyaml_itself_is_left_alone():
    assert yaml.safe_load("on: yes") == {True: True}


ANSWER_LIB = """\
name: survey
version: "1"
types:
  Answer: [yes, no]
  Switch: [on, off]
components:
  respondent:
    outputs: {answer: Answer}
    kernel: {table: {yes: 0.3, no: 0.7}}
  relay:
    inputs: {answer: Answer}
    outputs: {switch: Switch}
    kernel:
      table:
        yes: {on: 0.9, off: 0.1}
        no: {on: 0.2, off: 0.8}
  wire:
    inputs: {answer: Answer}
    outputs: {switch: Switch}
    kernel: {function: {yes: on, no: off}}
"""


def test_a_library_whose_labels_are_yes_and_no(tmp_path):
    path = tmp_path / "survey.yaml"
    path.write_text(ANSWER_LIB)
    for lib in (load_library_text(ANSWER_LIB, "survey.yaml"), load_library(path)):
        respondent = lib.components["respondent"].instantiate("r").kernel
        assert respondent.cod[0].type == FinSet("Answer", ["yes", "no"])
        assert respondent.prob("yes") == pytest.approx(0.3) and respondent.prob("no") == pytest.approx(0.7)
        relay = lib.components["relay"].instantiate("s").kernel
        assert relay.cod[0].type == FinSet("Switch", ["on", "off"])
        assert relay.array == pytest.approx(np.array([[0.9, 0.1], [0.2, 0.8]]))  # rows yes, no; columns on, off
        wire = lib.components["wire"].instantiate("w").kernel
        assert wire.array.tolist() == [[1.0, 0.0], [0.0, 1.0]]
        # composed: P(switch = on) = 0.3 * 0.9 + 0.7 * 0.2
        assert (respondent >> relay).prob("on") == pytest.approx(0.3 * 0.9 + 0.7 * 0.2)


def test_a_diagram_whose_labels_are_yes_and_no():
    wd = parse_diagram("name: vote\ntypes: {Answer: [yes, no]}\noutputs: {a: Answer}\n"
                       "boxes: {voter: {outputs: {a: Answer}, kernel: {yes: 0.25, no: 0.75}}}\n"
                       "wires: [{from: voter.a, to: out.a}]\n", "vote.yaml")
    kernel = wd.boxes["voter"].kernel
    assert kernel.cod[0].type.elements == ("yes", "no")
    assert kernel.prob("no") == pytest.approx(0.75)


def test_unquoted_true_as_a_label_is_still_explained():
    with pytest.raises(ErrorList) as err:
        load_library_text(ANSWER_LIB.replace("[yes, no]", "[true, false]"), "survey.yaml")
    assert [str(e) for e in err.value.errors] == [
        f"survey.yaml:4: types.Answer[{i}]: expected text, got {word.title()}\n"
        f"  fix: quote it, e.g. '{word}' (YAML reads unquoted true/false as booleans)"
        for i, word in enumerate(["true", "false"])]


# ----- duplicate keys ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, message", [
    ("a: 1\nb: 2\na: 3\n", "p.yaml:3: key 'a': appears twice (first on line 1)"),
    ("boxes:\n  m: {k: 1}\n  n:\n    k: 1\n    k: 2\n", "p.yaml:5: key 'k': appears twice (first on line 4)"),
    ("list:\n  - {x: 1, y: 2, x: 3}\n", "p.yaml:2: key 'x': appears twice (first on line 2)"),
    ("yes: 1\n'yes': 2\n", "p.yaml:2: key 'yes': appears twice (first on line 1)"),  # both are the text 'yes'
    ("true: 1\nTrue: 2\n", "p.yaml:2: key True: appears twice (first on line 1)"),
    ("1: a\n1: b\n", "p.yaml:2: key 1: appears twice (first on line 1)"),
    ("base: &b {k: 1}\nx:\n  <<: *b\n  k: 2\n  k: 3\n", "p.yaml:5: key 'k': appears twice (first on line 4)"),
])
def test_duplicate_keys_are_refused_naming_file_line_and_key(text, message):
    with pytest.raises(FileFormatError) as err:
        load_yaml(text, "p.yaml")
    assert str(err.value) == message + "\n  fix: keep one of the two entries"


def test_duplicate_keys_in_a_library_file_name_the_file(tmp_path):
    path = tmp_path / "survey.yaml"
    path.write_text(ANSWER_LIB.replace("        no: {on: 0.2, off: 0.8}\n",
                                       "        no: {on: 0.2, off: 0.8}\n        yes: {on: 0.5, off: 0.5}\n"))
    with pytest.raises(FileFormatError) as err:
        load_library(path)
    assert str(err.value).endswith("survey.yaml:17: key 'yes': appears twice (first on line 15)\n"
                                   "  fix: keep one of the two entries")


def test_the_same_key_in_different_mappings_is_fine():
    assert load_yaml("a: {k: 1}\nb: {k: 2}\n").data == {"a": {"k": 1}, "b": {"k": 2}}


def test_keys_written_beside_a_merge_override_it_as_yaml_says():
    text = "base: &b {k: 1, j: 2}\nother: &o {k: 3, i: 4}\nx:\n  <<: *b\n  k: 5\ny:\n  <<: [*o, *b]\n"
    doc = load_yaml(text, "p.yaml")
    assert doc.data == yaml.safe_load(text) == {"base": {"k": 1, "j": 2}, "other": {"k": 3, "i": 4},
                                                "x": {"k": 5, "j": 2}, "y": {"k": 3, "i": 4, "j": 2}}
    assert doc.where(("x", "k")) == "p.yaml:5: x.k"  # the key written here, not the merged one


def test_a_merge_of_a_mapping_that_itself_merged_follows_the_merge_spec():
    # ``b`` merges ``a``, which merged ``z`` and then set ``k`` itself: the merge spec gives b.k == 1 (``a``'s own key
    # wins over what ``a`` merged). PyYAML 6.0.4's own merge gives 0; markovwire does the merge itself.
    nested = "z: &z {k: 0, m: 0}\np:\n  q: &a {<<: *z, k: 1}\nb: {<<: *a, m: 2}\n"
    data = load_yaml(nested).data
    assert data == {"z": {"k": 0, "m": 0}, "p": {"q": {"k": 1, "m": 0}}, "b": {"m": 2, "k": 1}}
