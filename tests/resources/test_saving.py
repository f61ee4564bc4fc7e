"""Saving never loses work: a file system that fails mid-save, links, killed saves, recovery files shared by two UIs,
and command lines that would overwrite the proposal or keep one of two values without a word (issue 11)."""
from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import limits
import pytest
from hypothesis import given, settings, strategies as st

from markovwire.diagrams.atomic import STALE_SECONDS, clean_stale, write_atomic
from markovwire.errors import FileFormatError
from markovwire.library.shipped import default_proposal
from markovwire.tui import recovery
from markovwire.tui.recovery import Instance, document_key, forget, orphans


def fail(code: int):
    def raise_(*args, **kwargs):
        raise OSError(code, os.strerror(code))
    return raise_


def temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# ----- a file system that turns read-only between the temporary write and the rename -----------------------------
def test_a_read_only_file_system_mid_save_is_a_placed_error_and_the_old_file_stays(tmp_path, monkeypatch):
    target = tmp_path / "p.yaml"
    target.write_text("old\n")
    monkeypatch.setattr(os, "replace", fail(errno.EROFS))
    monkeypatch.setattr(os, "unlink", fail(errno.EROFS))       # the cleanup fails too: it used to escape raw
    with pytest.raises(FileFormatError) as err:
        write_atomic(target, "new\n")
    assert str(err.value) == (f"{target}: cannot be written (Read-only file system)\n  fix: the file system is "
                              "read-only: save to a folder on a writable disk (another path), or remount it writable")
    assert err.value.file == str(target)
    monkeypatch.undo()
    assert target.read_text() == "old\n"
    [left] = temporaries(tmp_path)                 # the temporary could not be removed on a read-only disk ...
    assert left.startswith(f".p.yaml.{os.getpid()}.")
    old = time.time() - 2 * STALE_SECONDS            # ... and a save once it is stale removes it (here its writer,
    os.utime(tmp_path / left, (old, old))            # this process, still runs: it goes by age)
    write_atomic(target, "new\n")
    assert target.read_text() == "new\n" and temporaries(tmp_path) == []


@pytest.mark.parametrize("code, reason, fix", [
    (errno.EACCES, "Permission denied", "you may not write there"),
    (errno.ENOSPC, "No space left on device", "the disk is full"),
    (errno.EIO, "Input/output error", "check that the path is writable, or save to another path"),
])
def test_every_os_error_while_saving_names_the_file_the_reason_and_a_fix(tmp_path, monkeypatch, code, reason, fix):
    target = tmp_path / "p.yaml"
    monkeypatch.setattr(os, "fsync", fail(code))
    with pytest.raises(FileFormatError) as err:
        write_atomic(target, "x\n")
    assert err.value.what == f"cannot be written ({reason})" and err.value.fix.startswith(fix)
    assert not target.exists() and temporaries(tmp_path) == []    # the temporary is cleaned when it can be


def test_a_save_that_fails_in_a_child_process_prints_the_message_not_a_traceback(tmp_path):
    target = limits.write(tmp_path, "p.yaml", "old\n")
    r = limits.run_python(f"""
        import errno, os, sys
        from markovwire.diagrams.atomic import write_atomic
        from markovwire.errors import MarkovwireError
        def fail(*a, **k):
            raise OSError(errno.EROFS, "Read-only file system")
        os.replace = os.unlink = fail
        try:
            write_atomic({str(target)!r}, "new")
        except MarkovwireError as e:
            print(e)
            sys.exit(1)
    """)
    assert r.clean and r.returncode == 1, r
    assert f"{target}: cannot be written (Read-only file system)" in r.stdout and "fix: " in r.stdout
    assert target.read_text() == "old\n"


# ----- links ---------------------------------------------------------------------------------------------------
def test_saving_through_a_link_writes_its_target_and_keeps_the_link(tmp_path):
    real = tmp_path / "real" / "p.yaml"
    real.parent.mkdir()
    real.write_text("old\n")
    real.chmod(0o640)
    link = tmp_path / "p.yaml"
    link.symlink_to(os.path.relpath(real, tmp_path))
    chain = tmp_path / "again.yaml"
    chain.symlink_to(link)

    assert write_atomic(link, "new\n") == link
    assert link.is_symlink() and real.read_text() == "new\n" and (real.stat().st_mode & 0o777) == 0o640
    write_atomic(chain, "newer\n")                          # a link to a link
    assert chain.is_symlink() and link.is_symlink() and real.read_text() == "newer\n"
    assert temporaries(tmp_path) == [] and temporaries(real.parent) == []


def test_the_ui_document_saved_through_a_link_writes_the_target(tmp_path):
    from markovwire.tui.document import Document
    real = tmp_path / "real.yaml"
    shutil.copy(default_proposal(), real)
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    doc = Document.open(link)
    doc.set_parameter("beta", "0.01")
    doc.save()
    assert link.is_symlink() and doc.path == link
    assert "0.01" in real.read_text() and not doc.dirty


def test_a_dangling_link_is_written_where_it_points(tmp_path):
    link = tmp_path / "p.yaml"
    link.symlink_to(tmp_path / "made.yaml")
    write_atomic(link, "x\n")
    assert link.is_symlink() and (tmp_path / "made.yaml").read_text() == "x\n"


# ----- temporaries that a killed save left behind ------------------------------------------------------------------
def dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_a_killed_save_leaves_a_temporary_that_the_next_save_removes(tmp_path):
    target = limits.write(tmp_path, "p.yaml", "old\n")
    r = limits.run_python(f"""
        import os
        from markovwire.diagrams import atomic
        os.replace = lambda *a: os.kill(os.getpid(), 9)     # killed between the write and the rename
        atomic.write_atomic({str(target)!r}, "half\\n")
    """)
    assert r.returncode == -signal.SIGKILL, r
    assert len(temporaries(tmp_path)) == 1 and target.read_text() == "old\n"
    write_atomic(target, "new\n")
    assert temporaries(tmp_path) == [] and target.read_text() == "new\n"


def test_only_our_stale_temporaries_of_that_file_are_removed(tmp_path):
    now = time.time()
    names = {
        f".p.yaml.{dead_pid()}.abcdefgh.tmp": True,           # its writer is gone
        f".p.yaml.{10**30}.abcdefgh.tmp": True,                # no process has such an id
        f".p.yaml.{os.getpid()}.abcdefgh.tmp": False,          # a live writer, and young: a save under way
        f".p.yaml.{os.getpid()}.zzzzzzzz.tmp": True,           # a live pid but two minutes old (the pid reused)
        ".p.yaml.k3j_x9a2.tmp": True,                          # from before the pid was in the name, old
        ".p.yaml.k3j_x9a3.tmp": False,                         # the same, young
        f".q.yaml.{dead_pid()}.abcdefgh.tmp": False,           # another file's
        ".p.yaml.notes.tmp": False,                            # not our pattern
        "p.yaml.tmp": False,
        f".p.yaml.{dead_pid()}.abcdefgh.tmp.keep": False,
    }
    for name in names:
        (tmp_path / name).write_text("x")
    for name in (f".p.yaml.{os.getpid()}.zzzzzzzz.tmp", ".p.yaml.k3j_x9a2.tmp"):
        os.utime(tmp_path / name, (now - 2 * STALE_SECONDS, now - 2 * STALE_SECONDS))
    removed = clean_stale(tmp_path / "p.yaml")
    assert sorted(p.name for p in removed) == sorted(n for n, gone in names.items() if gone)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(n for n, gone in names.items() if not gone)


@settings(max_examples=60)
@given(st.lists(st.one_of(
    st.text(st.sampled_from("p.yamltmpq0123456789_abc/\\ "), min_size=1, max_size=30),
    st.builds(lambda pid, rest, tail: f".p.yaml.{pid}{rest}.tmp{tail}",          # ours, and names close to ours
              st.sampled_from(["", "1.", "0.", "12345.", f"{10**20}.", "x."]),
              st.text(st.sampled_from("ab0_.Z"), min_size=6, max_size=10), st.sampled_from(["", "", ".bak", "~"]))),
    max_size=12))
def test_cleaning_never_removes_anything_but_our_stale_temporaries(names):
    """Whatever else lies in the folder (names close to ours included), only ``.p.yaml[.PID].XXXXXXXX.tmp`` go."""
    import re
    import tempfile
    ours = re.compile(r"\.p\.yaml\.(\d+\.)?[a-z0-9_]{8}\.tmp")
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        (folder / "p.yaml").write_text("mine")
        made = set()
        for name in names:
            if "/" in name or "\\" in name or name in (".", "..", "p.yaml"):
                continue
            (folder / name).write_text("x")
            made.add(name)
        old = time.time() - 2 * STALE_SECONDS
        for name in made:
            os.utime(folder / name, (old, old))
        removed = {p.name for p in clean_stale(folder / "p.yaml")}
        assert all(ours.fullmatch(n) for n in removed)
        assert {p.name for p in folder.iterdir()} == (made - removed) | {"p.yaml"}
        assert (folder / "p.yaml").read_text() == "mine"


# ----- recovery files: one per document and running UI ----------------------------------------------------------
HOLDER = """
import sys, time
from pathlib import Path
from markovwire.tui.recovery import Instance
me = Instance(Path(sys.argv[1]))
me.write(sys.argv[2], "markovwire_recovery: 1\\npath: ''\\nproposal: {name: theirs}\\n")
print(me.id, flush=True)
time.sleep(120)
"""


class Other:
    """Another running UI (a child process) with unsaved work autosaved for the document ``key``."""

    def __init__(self, folder: Path, key: str):
        self.process = subprocess.Popen([sys.executable, "-c", HOLDER, str(folder), key], stdout=subprocess.PIPE,
                                        text=True)
        self.id = self.process.stdout.readline().strip()
        assert self.id, "the other UI did not start"

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()


@pytest.fixture
def other_ui():
    made = []

    def start(folder, key):
        made.append(Other(folder, key))
        return made[-1]
    yield start
    for o in made:
        o.kill()


def test_a_live_uis_recovery_file_is_never_offered_and_a_killed_ones_is(tmp_path, other_ui):
    key = document_key(tmp_path / "p.yaml")
    other = other_ui(tmp_path, key)
    assert (tmp_path / f"{key}.{other.id}.yaml").is_file()
    assert (tmp_path / f"{other.id}.lock").read_text().strip() == other.id.split("-")[0]     # the pid
    assert orphans(tmp_path) == []                          # someone's live work
    other.kill()                                            # killed: the system releases its lock
    [found] = orphans(tmp_path)
    assert (found.key, found.instance) == (key, other.id)
    assert orphans(tmp_path, document_key(tmp_path / "q.yaml")) == []        # offered for its document only
    forget(found)
    assert list(tmp_path.iterdir()) == []


def test_two_uis_that_die_with_unsaved_edits_both_keep_their_work(tmp_path):
    a, b = Instance(tmp_path), Instance(tmp_path)
    a.write(document_key(tmp_path / "x.yaml"), "a")
    b.write(document_key(tmp_path / "x.yaml"), "b")               # the same document, in two UIs
    b.write(document_key(None, 1), "b untitled")
    assert orphans(tmp_path) == []
    a.release()
    b.release()
    found = orphans(tmp_path)
    assert sorted((o.key, o.path.read_text()) for o in found) == sorted([
        (document_key(tmp_path / "x.yaml"), "a"), (document_key(tmp_path / "x.yaml"), "b"),
        ("untitled-1", "b untitled")])


def test_the_recovery_file_of_an_earlier_version_is_offered_for_its_document(tmp_path):
    legacy = tmp_path / "recovery.yaml"
    legacy.write_text(f"markovwire_recovery: 1\npath: {tmp_path / 'p.yaml'}\nproposal: {{name: p}}\n")
    recovery.adopt_legacy(legacy, tmp_path / "recovery")
    [found] = orphans(tmp_path / "recovery")
    assert found.key == document_key(tmp_path / "p.yaml") and "name: p" in found.path.read_text()
    assert not legacy.exists()


def test_a_document_key_is_its_resolved_path(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "l.yaml").symlink_to(tmp_path / "d" / "p.yaml")
    assert document_key(tmp_path / "d" / ".." / "d" / "p.yaml") == document_key(tmp_path / "l.yaml")
    assert document_key(tmp_path / "p.yaml") != document_key(tmp_path / "d" / "p.yaml")
    assert document_key(tmp_path / "a b?.yaml").startswith("a_b_-")
    assert recovery._RECOVERY.fullmatch(f"{document_key(tmp_path / ('x' * 200 + '.yaml'))}.1-ab.yaml")


# ----- the command line: render onto the proposal, a parameter given twice -------------------------------------
@pytest.fixture
def proposal(tmp_path):
    path = tmp_path / "prop.yaml"
    shutil.copy(default_proposal(), path)
    return path


def refused(args, cwd, *texts):
    r = limits.run_cli(args, cwd=cwd)
    assert r.clean and r.returncode == 1, r
    for t in texts:
        assert t in r.stderr, r
    return r.stderr


def test_render_refuses_to_overwrite_the_proposal(proposal, tmp_path):
    text = proposal.read_text()
    svg = tmp_path / "prop.svg"
    shutil.copy(proposal, svg)                               # a proposal whose name ends in .svg
    (tmp_path / "sub").mkdir()
    refused(["render", "prop.svg", "-o", "prop.svg"], tmp_path,
            "error: prop.svg: is the proposal being drawn: rendering would overwrite it with the figure",
            "fix: write the figure to another file, e.g. -o figure.svg (or delete prop.svg first to replace it)")
    refused(["render", "prop.svg", "-o", "./sub/../prop.svg"], tmp_path, "is the proposal being drawn (prop.svg)")
    refused(["render", "prop.yaml", "-o", "prop.svg"], tmp_path,
            "prop.svg: exists and is not a .svg figure (it starts '# Trusted monitoring")
    refused(["render", "prop.yaml", "-o", "prop.yaml"], tmp_path, "is the proposal being drawn")
    assert proposal.read_text() == text and svg.read_text() == text
    r = limits.run_cli(["render", "prop.yaml", "-o", "fig.dot"], cwd=tmp_path)      # a figure is replaced
    assert r.clean and r.returncode == 0 and (tmp_path / "fig.dot").read_text().startswith("digraph"), r
    r = limits.run_cli(["render", "prop.yaml", "-o", "fig.dot"], cwd=tmp_path)
    assert r.clean and r.returncode == 0, r


def test_a_parameter_given_twice_is_refused_naming_both_values(proposal, tmp_path):
    refused(["eval", "prop.yaml", "--set", "beta=0.1", "--set", "beta=0.9"], tmp_path,
            "error: --set beta=0.1 and --set beta=0.9: both give parameter 'beta' a value",
            "fix: give beta one value (keep --set beta=0.1 or --set beta=0.9); to compare values, sweep it: "
            "--sweep beta=START:STOP:COUNT")
    refused(["eval", "prop.yaml", "--sweep", "beta=0:0.1:3", "--sweep", "beta=0:0.2:5"], tmp_path,
            "--sweep beta=0:0.1:3 and --sweep beta=0:0.2:5: both give parameter 'beta' a value",
            "fix: sweep beta once")
    refused(["eval", "prop.yaml", "--set", "beta=0.1", "--sweep", "beta=0:0.1:3"], tmp_path,
            "--set beta=0.1 and --sweep beta=0:0.1:3: both give parameter 'beta' a value",
            "fix: set beta (--set) or sweep it (--sweep), not both")
    refused(["eval", "prop.yaml", "--set", "beta=0.1"], tmp_path,          # the file's sweeps: sweep beta
            "--set beta=0.1: gives 'beta' a value, but the file's sweeps: section sweeps it",
            "fix: add --point to evaluate at the --set values only")
    r = limits.run_cli(["eval", "prop.yaml", "--set", "beta=0.1", "--point", "--json"], cwd=tmp_path)
    assert r.clean and r.returncode == 0 and '"beta": 0.1' in r.stdout, r
