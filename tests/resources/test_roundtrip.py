"""Hostile and huge proposal files opened in the UI's document (the round-trip tree): each opens read-only with a
placed error, or refuses to open, in a bounded child process; none hangs, exhausts memory or shows a traceback."""
from __future__ import annotations

import json

import limits
import pytest

OPEN = """
import json, sys
from markovwire.tui.document import Document
from markovwire.errors import MarkovwireError
try:
    doc = Document.open(sys.argv[1] if len(sys.argv) > 1 else {path!r})
except MarkovwireError as e:
    print(json.dumps({{"raised": str(e), "line": e.place.line, "fix": e.fix}}))
else:
    first = doc.check.problems[0].error if doc.broken is not None else None
    print(json.dumps({{"broken": str(first) if first else None, "line": first.place.line if first else None,
                       "fix": first.fix if first else None, "path": str(doc.path)}}))
"""

BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
    for i in range(9))


CASES = {
    "python tag": ("name: p\ninstances: !!python/object/apply:os.system [echo pwned]\n", 2, "tag"),
    "custom tag": ("name: p\ninstances: {a: !thing {component: x}}\n", 2, "tag"),
    "alias bomb": ("name: p\n" + BOMB, None, "values"),
    "deep nesting": ("name: p\ninstances: " + "[" * 200 + "]" * 200 + "\n", 2, "nests"),
    "deep block nesting": ("name: p\n" + "".join("  " * i + f"k{i}:\n" for i in range(200)) + "  " * 200 + "v: 1\n",
                           None, "nested"),
    "duplicate key": ("name: p\nname: q\n", 2, "appears twice"),
    "not a mapping": ("- 1\n- 2\n", 1, "mapping"),
    "control character": ("name: p\x07\n", 1, "control"),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_a_hostile_file_opens_read_only_with_a_placed_error(case, tmp_path):
    text, line, what = CASES[case]
    path = tmp_path / "hostile.yaml"
    path.write_text(text)
    r = limits.run_python(OPEN.format(path=str(path)))
    assert r.clean, str(r)
    assert "pwned" not in r.stdout
    out = r.stdout.strip().splitlines()[-1]
    result = json.loads(out)
    message = result.get("broken") or result.get("raised")
    assert message and what in message, out
    assert result["fix"], out
    if line is not None:
        assert result["line"] == line, out
    assert path.read_text() == text


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_text("name: p\nitems:\n" + "  - x\n" * 1_500_000)       # 9 MB of list items
    r = limits.run_python(OPEN.format(path=str(path)))
    assert r.clean, str(r)
    assert "9,000,015 bytes" in r.stdout and "split" in r.stdout
