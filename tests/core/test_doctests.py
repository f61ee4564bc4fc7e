"""The docstring examples of every core module stay true."""
from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import markovwire

MODULES = sorted(["markovwire"] + [m.name for m in pkgutil.walk_packages(markovwire.__path__, "markovwire.")])


def test_the_core_modules_are_found():
    assert {"markovwire.types", "markovwire.kernel", "markovwire.net", "markovwire.params"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name}"
