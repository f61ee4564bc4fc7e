"""Puts this folder on the path so tests can ``import analysis_helpers``; fixtures over it."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from analysis_helpers import random_net  # noqa: E402


@pytest.fixture(scope="session")
def make_random_net():
    return random_net
