"""Where the terminal UI keeps its own files: the recovery files and the settings, per user.

The state directory is ``platformdirs.user_state_dir("markovwire")``, or the directory
named by ``MARKOVWIRE_STATE_DIR`` (tests and sandboxes point it elsewhere). Recovery files
(one per document and running UI, see :mod:`markovwire.tui.recovery`) are in its ``recovery`` folder.

>>> recovery_dir().name
'recovery'
"""
from __future__ import annotations

import os
from pathlib import Path

STATE_ENV = "MARKOVWIRE_STATE_DIR"
AUTOSAVE_SECONDS = 3.0
"""How often unsaved work is written to the recovery file."""


def state_dir() -> Path:
    """The directory for the UI's own files (created on first write, not here)."""
    env = os.environ.get(STATE_ENV)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_state_dir
    return Path(user_state_dir("markovwire"))


def recovery_dir() -> Path:
    """The folder unsaved work is autosaved to (a file per document and running UI, deleted on a save or a
    clean exit)."""
    return state_dir() / "recovery"
