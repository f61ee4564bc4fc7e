"""The package root loads its public names on first use: ``import markovwire`` and ``--help`` stay free of sympy."""
from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import markovwire

ROOT = Path(markovwire.__file__)


def run(code: str) -> dict:
    """What ``code``, run in a fresh interpreter outside the repository, prints as JSON."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tempfile.gettempdir(),
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def static_imports() -> dict[str, str]:
    """Public name -> defining submodule, as written in the ``if TYPE_CHECKING:`` block that static checkers read."""
    tree = ast.parse(ROOT.read_text())
    block = next(n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING")
    return {alias.name: f"markovwire.{node.module}" for node in block.body if isinstance(node, ast.ImportFrom)
            for alias in node.names}


@pytest.mark.slow
def test_importing_the_package_loads_neither_sympy_nor_numpy():
    seen = run("import json, sys, markovwire\n"
               "print(json.dumps({'heavy': sorted(m for m in ('sympy', 'numpy', 'opt_einsum') if m in sys.modules),\n"
               "                  'ours': sorted(m for m in sys.modules if m.startswith('markovwire')),\n"
               "                  'dir': sorted(set(markovwire.__all__) - set(dir(markovwire))),\n"
               "                  'version': markovwire.__version__}))")
    assert seen == {"heavy": [], "ours": ["markovwire"], "dir": [], "version": "0.1.0"}


@pytest.mark.slow
def test_the_command_line_help_loads_no_sympy():
    seen = run("import json, sys\n"
               "sys.argv = ['markovwire', '--help']\n"
               "from markovwire.tui.cli import main\n"
               "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\n"
               "print(json.dumps({'code': code, 'sympy': 'sympy' in sys.modules}))")
    assert seen == {"code": 0, "sympy": False}


@pytest.mark.slow
def test_star_import_and_first_use_in_a_fresh_interpreter():
    seen = run("import json, sys\n"
               "from markovwire import *\n"
               "import markovwire\n"
               "names = sorted(k for k in dir() if not k.startswith('_') and k not in ('json', 'sys', 'markovwire'))\n"
               "p = Kernel([0.25, 0.75], [], [FinSet('C', ['a', 'b'])]).prob('b')\n"
               "print(json.dumps({'names': names, 'all': sorted(markovwire.__all__), 'p': p,\n"
               "                  'multistep': markovwire.multistep.__name__, 'sympy': 'sympy' in sys.modules}))")
    assert seen["names"] == seen["all"]
    assert seen["p"] == 0.75
    assert seen["multistep"] == "markovwire.multistep"  # submodules are reachable as attributes, as before
    assert seen["sympy"]  # using Kernel loads it, of course


def test_every_public_name_resolves_to_the_object_its_submodule_defines():
    static = static_imports()
    assert sorted(static) == sorted(markovwire.__all__)
    assert len(markovwire.__all__) == len(set(markovwire.__all__)) == 54
    for name in markovwire.__all__:
        assert getattr(markovwire, name) is getattr(importlib.import_module(static[name]), name), name
    assert set(markovwire.__all__) <= set(dir(markovwire))


def test_the_public_names_keep_their_order():
    assert markovwire.__all__[:3] == ["MarkovwireError", "ContractionTooLarge", "ErrorList"]
    assert markovwire.__all__[-17:] == ["Program", "memory_budget", "set_memory_budget", "cost_budget",
                                        "set_cost_budget", "sweep_limit", "set_sweep_limit", "figure_limit",
                                        "set_figure_limit", "Net", "NetBox", "Episode", "Model",
                                        "Engine", "set_engine", "open_sweep", "SweepFile"]


def test_unknown_names_are_attribute_and_import_errors():
    with pytest.raises(AttributeError, match="module 'markovwire' has no attribute 'Kernal'"):
        markovwire.Kernal
    with pytest.raises(AttributeError, match="module 'markovwire' has no attribute 'no_such_module'"):
        markovwire.no_such_module
    with pytest.raises(AttributeError, match="has no attribute '_private'"):
        markovwire._private
    with pytest.raises(ImportError, match="cannot import name 'Kernal' from 'markovwire'"):
        from markovwire import Kernal  # noqa: F401
    assert not hasattr(markovwire, "__wrapped__")  # doctest and inspect probe such names
