"""End to end: run ``markovwire`` in a real terminal (tmux, detached), send keys, read the screen."""
from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

TMUX = shutil.which("tmux") or ("/usr/bin/tmux" if Path("/usr/bin/tmux").exists() else None)
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(TMUX is None, reason="tmux is not installed (apt-get install tmux), so there is "
                                                      "no terminal to run the app in")]
COMMAND = Path(sys.executable).with_name("markovwire")


class Terminal:
    """A detached tmux session running one command."""

    def __init__(self, folder: Path, command: str, env: dict, width: int = 120, height: int = 40):
        self.name = f"mw-{uuid.uuid4().hex[:8]}"
        exports = " ".join(f"{k}={shlex.quote(str(v))}" for k, v in env.items())
        # a moment's wait, so that the pane has its final size before the app asks for it
        line = f"sleep 0.5; cd {shlex.quote(str(folder))} && env {exports} {command}; echo EXITED rc=$?; sleep 30"
        subprocess.run([TMUX, "new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height), line],
                       check=True)
        # keep the size fixed: no client is attached, and tmux must not shrink the window to a default
        subprocess.run([TMUX, "set-option", "-t", self.name, "window-size", "manual"], check=True)
        subprocess.run([TMUX, "resize-window", "-t", self.name, "-x", str(width), "-y", str(height)], check=True)

    def size(self) -> str:
        return subprocess.run([TMUX, "display", "-p", "-t", self.name, "#{window_width}x#{window_height}"],
                              capture_output=True, text=True).stdout.strip()

    def screen(self) -> str:
        return subprocess.run([TMUX, "capture-pane", "-t", self.name, "-p"], capture_output=True, text=True).stdout

    def keys(self, *keys: str, literal: bool = False) -> None:
        for k in keys:
            subprocess.run([TMUX, "send-keys", "-t", self.name] + (["-l"] if literal else []) + [k], check=True)
            time.sleep(0.3)

    def wait_for(self, text: str, limit: float = 60.0) -> str:
        """The screen once it shows ``text`` and has stopped changing (fails with the screen if it never does)."""
        end = time.monotonic() + limit
        last = None
        while time.monotonic() < end:
            shown = self.screen()
            if text in shown and shown == last:
                return shown
            last = shown
            time.sleep(0.25)
        raise AssertionError(f"{text!r} never appeared; the screen was:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run([TMUX, "kill-session", "-t", self.name], capture_output=True)


@pytest.fixture
def terminal(tmp_path):
    made = []

    def start(args: str = "", width: int = 120, height: int = 40, env: dict | None = None) -> Terminal:
        env = {"MARKOVWIRE_STATE_DIR": tmp_path / "state", **(env or {})}
        t = Terminal(tmp_path, f"{shlex.quote(str(COMMAND))} {args}", env, width, height)
        made.append(t)
        return t

    yield start
    for t in made:
        t.close()


@pytest.mark.skipif(not COMMAND.exists(), reason="the markovwire command is not installed beside this Python")
def test_markovwire_opens_on_the_default_proposal_and_answers_keys(terminal):
    t = terminal()
    screen = t.wait_for("type-checks")                                 # the default proposal, checked
    assert "trusted_monitoring" in screen and "┌─policy" in screen
    t.wait_for("safety")                                               # its queries, evaluated
    screen = t.wait_for("0.648661")
    assert "p_catastrophe" in screen and "0.351339" in screen

    t.keys("F1")
    t.wait_for("Every key and action")     # the help screen ("Help" alone is already in the footer)
    t.keys("Escape")
    screen = t.wait_for("type-checks")     # back on the main screen
    assert "Every key and action" not in screen and "Diagram" in screen

    t.keys("C-p")
    t.keys("add component monitr", literal=True)
    t.keys("Enter")
    assert "No such component" in t.wait_for("No such component")

    t.keys("C-p")
    t.keys("add component trusted_monitor", literal=True)
    t.wait_for("add component trusted_monitor_table")
    t.keys("Enter")
    t.wait_for("Instance name")
    t.keys("C-u")
    t.keys("second", literal=True)
    t.keys("Enter")
    screen = t.wait_for("┌─second")
    assert "7 boxes" in screen and "mod" in screen

    t.keys("C-q")
    t.wait_for("discard the unsaved changes")
    t.keys("y")
    assert "EXITED rc=0" in t.wait_for("EXITED")


def test_markovwire_in_a_small_terminal(terminal):
    t = terminal(width=80, height=24)
    screen = t.wait_for("type-checks")
    assert "Parameters" in screen and "Results" in screen
    t.keys("3")
    screen = t.wait_for("beta")
    assert "sweep" in screen.split("beta")[1].splitlines()[0]          # beta is the swept parameter
    t.keys("Escape", "C-q")
    assert "EXITED rc=0" in t.wait_for("EXITED")


def test_markovwire_without_colours(terminal):
    """NO_COLOR=1: the app starts, draws the diagram and quits with status 0 (it used to crash at start)."""
    t = terminal("tui", env={"NO_COLOR": "1"})
    screen = t.wait_for("type-checks")
    assert "┌─policy" in screen and "Traceback" not in screen
    t.keys("C-q")
    screen = t.wait_for("EXITED")
    assert "EXITED rc=0" in screen and "Traceback" not in screen
