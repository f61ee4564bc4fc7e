"""The libraries and proposals shipped with markovwire (data files).

``alignment_path`` is the entry point of the ``alignment`` library in the group
``markovwire.libraries``; ``proposals_dir`` holds the worked proposals.

>>> alignment_path().name
'alignment.yaml'
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

DEFAULT_PROPOSAL = "trusted_monitoring"


def alignment_path() -> Path:
    """The path of the shipped ``alignment`` component library."""
    return Path(str(resources.files(__name__).joinpath("alignment.yaml")))


def proposals_dir() -> Path:
    """The directory of the shipped proposal files."""
    return Path(str(resources.files(__name__).joinpath("proposals")))


def data_dir() -> Path:
    """The directory of the shipped evaluation logs (a proposal's ``data:`` file may name one by its file name)."""
    return Path(str(resources.files(__name__).joinpath("data")))


def proposal_paths() -> list[Path]:
    """Every shipped proposal file, sorted by name."""
    return sorted(proposals_dir().glob("*.yaml"))


def default_proposal() -> Path:
    """The proposal the terminal UI opens when given none (trusted monitoring with a 2% audit budget)."""
    return proposals_dir() / f"{DEFAULT_PROPOSAL}.yaml"
