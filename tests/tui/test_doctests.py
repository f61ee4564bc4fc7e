"""The examples in the terminal UI's module docstrings run as written."""
from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["markovwire.tui.document", "markovwire.tui.roundtrip", "markovwire.tui.drawing", "markovwire.tui.expression",
           "markovwire.tui.settings", "markovwire.tui.screens.query",
           "markovwire.tui.widgets.results_table"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
