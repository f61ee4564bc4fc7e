"""A proposal written back as YAML (what the UI saves) loads to the same proposal."""
from __future__ import annotations

import pytest

from markovwire.library.proposal import dump_spec, load_proposal, proposal_from_text
from markovwire.library.shipped import proposals_dir


@pytest.mark.parametrize("path", sorted(proposals_dir().glob("*.yaml")), ids=lambda p: p.stem)
def test_a_clean_dump_loads_back_to_the_same_proposal(path):
    """Saving from the UI writes dump_spec: same spec back, and whole numbers stay whole (T: 5000, not 5000.0)."""
    p = load_proposal(path)
    text = dump_spec(p.spec)
    assert proposal_from_text(text, "dumped.yaml", path).spec == p.spec
    assert ".0\n" not in text
