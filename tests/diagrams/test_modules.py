"""The modules of markovwire.diagrams: each imports on its own, they import one another in one
direction (no cycle, not even through an import inside a function), and their examples hold."""
from __future__ import annotations

import ast
import doctest
import importlib
import pkgutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import markovwire.diagrams

PACKAGE = "markovwire.diagrams"
MODULES = sorted(m.name for m in pkgutil.iter_modules(markovwire.diagrams.__path__))


def imports(module: str) -> set[str]:
    """The sibling modules that ``module`` imports anywhere in its source (functions included)."""
    tree = ast.parse(Path(importlib.import_module(f"{PACKAGE}.{module}").__file__).read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            name = node.module or ""
            if node.level == 1:  # from .x import …, or from . import x
                out |= {name.split(".")[0]} if name else {a.name for a in node.names}
            elif name.startswith(PACKAGE + "."):
                out.add(name[len(PACKAGE) + 1:].split(".")[0])
            elif name == PACKAGE:
                out |= {a.name for a in node.names if a.name in MODULES}
        elif isinstance(node, ast.Import):
            out |= {a.name[len(PACKAGE) + 1:].split(".")[0] for a in node.names if a.name.startswith(PACKAGE + ".")}
    return (out & set(MODULES)) - {module}


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of the graph as a path that ends where it starts, or None (depth-first search)."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return None

    return next((found for node in sorted(graph) if node not in state and (found := visit(node))), None)


def test_the_modules_are_found():
    assert {"expression", "wiring", "compile", "figure", "dot", "render", "files", "stateful"} <= set(MODULES)
    assert "box" not in MODULES and "renderer" not in MODULES


def test_the_modules_import_one_another_in_one_direction():
    graph = {m: imports(m) for m in MODULES}
    assert cycle(graph) is None, " → ".join(cycle(graph))
    assert "wiring" in graph["stateful"] and "expression" in graph["wiring"]  # the graph is read, not empty


def test_a_cycle_would_be_found():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.slow
@pytest.mark.parametrize("module", MODULES)
def test_each_module_imports_alone_in_a_fresh_interpreter(module):
    done = subprocess.run([sys.executable, "-c", f"import {PACKAGE}.{module}"], capture_output=True, text=True,
                          cwd=tempfile.gettempdir(), timeout=120)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("module", MODULES)
def test_doctests(module):
    result = doctest.testmod(importlib.import_module(f"{PACKAGE}.{module}"), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
