"""Where the terminal UI keeps its own files: the recovery file and the settings, per user.

The state directory is ``platformdirs.user_state_dir("markovwire")``, or the directory
named by ``MARKOVWIRE_STATE_DIR`` (tests and sandboxes point it elsewhere).

>>> recovery_path().name
'recovery.yaml'
"""
from __future__ import annotations

import os
from pathlib import Path

STATE_ENV = "MARKOVWIRE_STATE_DIR"
AUTOSAVE_SECONDS = 3.0
"""How often unsaved work is written to the recovery file."""


def state_dir() -> Path:
    """The directory for the recovery file (created on first write, not here)."""
    env = os.environ.get(STATE_ENV)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_state_dir
    return Path(user_state_dir("markovwire"))


def recovery_path() -> Path:
    """The file unsaved work is autosaved to; it is deleted on a clean exit or a save."""
    return state_dir() / "recovery.yaml"
