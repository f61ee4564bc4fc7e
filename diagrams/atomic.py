"""Atomic file writes: a file is either the old one or the new one, never half of either.

The text goes to a temporary file beside the target, ``.NAME.PID.XXXXXXXX.tmp`` (the writer's process
id in the name), which is then renamed over the target. A link is followed: its target is written
and the link stays a link. A write that was killed half-way leaves its temporary behind; the next
write of the same file removes it once it is stale (its writer is gone, or it is older than a minute).
Every OS error becomes a :class:`FileFormatError` naming the file, the reason and a fix.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = write_atomic(folder / "p.yaml", "name: p\\n")
>>> sorted(f.name for f in folder.iterdir())
['p.yaml']
"""
from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
import time
from pathlib import Path

from markovwire.errors import FileFormatError, Place

STALE_SECONDS = 60.0
"""A temporary of ours this old is stale even if a process with its writer's id still runs."""

_FIXES = {
    errno.EROFS: "the file system is read-only: save to a folder on a writable disk (another path), "
                 "or remount it writable",
    errno.EACCES: "you may not write there: save to another path, or give yourself write permission "
                  "(chmod u+w on the file and its folder)",
    errno.ENOSPC: "the disk is full: free some space, or save to another disk",
    errno.EDQUOT: "your disk quota is used up: free some space, or save to another disk",
    errno.ENOENT: "the folder does not exist: create it (mkdir -p) or save to an existing folder",
    errno.ENOTDIR: "a part of the path is a file, not a folder: choose another path",
    errno.EISDIR: "the path is a folder: name a file inside it",
    errno.ENAMETOOLONG: "the name is too long for the file system: choose a shorter path",
    errno.ELOOP: "the path goes through a loop of links: save to the real file's path",
}
_FIXES[errno.EPERM] = _FIXES[errno.EACCES]


def write_error(path: str | os.PathLike, err: OSError, target: str | os.PathLike | None = None) -> FileFormatError:
    """The markovwire error for ``err``, raised while writing ``path`` (through a link to ``target``).

    >>> print(write_error("p.yaml", OSError(errno.EROFS, "x")))
    p.yaml: cannot be written (Read-only file system)
      fix: the file system is read-only: save to a folder on a writable disk (another path), or remount it writable
    """
    reason = os.strerror(err.errno) if err.errno else str(err)
    linked = target is not None and Path(target) != Path(path)
    what = f"cannot be written ({reason}; it is a link to {target})" if linked else f"cannot be written ({reason})"
    fix = _FIXES.get(err.errno, "check that the path is writable, or save to another path")
    return FileFormatError(Place(file=str(path)), what, fix=fix)


def pid_alive(pid: int) -> bool:
    """Whether a process with id ``pid`` runs (on this machine); unknown counts as alive."""
    if not 0 < pid < 2**31:     # no process has such an id (and os.kill would overflow)
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True          # someone else's process, or we cannot tell: keep its file
    return True


def _temporaries(name: str) -> re.Pattern:
    """Our temporaries of the file ``name``: ``.NAME.PID.XXXXXXXX.tmp`` (and ``.NAME.XXXXXXXX.tmp``, from before
    the pid was in the name)."""
    return re.compile(rf"\.{re.escape(name)}\.(?:(\d+)\.)?[a-z0-9_]{{8}}\.tmp")


def clean_stale(path: str | os.PathLike, now: float | None = None) -> list[Path]:
    """Remove the stale temporaries of ``path`` that killed writes left behind; returns those removed.

    Only files of our naming pattern for this one file are touched, and only when their writer is gone or they
    are older than :data:`STALE_SECONDS`. Nothing here raises: a temporary that cannot be removed stays.
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    pattern = _temporaries(path.name)
    now = time.time() if now is None else now
    removed = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if not match:
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            old = now - entry.stat(follow_symlinks=False).st_mtime > STALE_SECONDS
            gone = match.group(1) is not None and not pid_alive(int(match.group(1)))
            if old or gone:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except (OSError, ValueError):
            continue
    return removed


def write_atomic(path: str | os.PathLike, data: str | bytes, make_dirs: bool = False) -> Path:
    """Write ``data`` through a temporary file in the same folder, then ``os.replace`` it over ``path``.

    A link is followed (its target is written, the link kept); the file keeps its permissions; stale
    temporaries of earlier killed writes are removed; any OS error becomes a :class:`FileFormatError` naming
    the path, the reason and a fix, and leaves the old file as it was. ``make_dirs`` creates missing folders
    (figure exports); documents are never written into a folder that does not exist. Returns ``path`` as given.
    """
    path = Path(path)
    target = path
    tmp = None
    try:
        if path.is_symlink():
            target = Path(os.path.realpath(path))
        directory = target.parent if str(target.parent) else Path(".")
        if make_dirs:
            directory.mkdir(parents=True, exist_ok=True)
        try:
            mode = target.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = 0o644
        clean_stale(target)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=directory)
        with os.fdopen(fd, "wb" if isinstance(data, bytes) else "w",
                       **({} if isinstance(data, bytes) else {"encoding": "utf-8"})) as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
        tmp = None
    except OSError as err:
        raise write_error(path, err, target) from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):     # left behind (a read-only disk): the next write cleans it
                os.unlink(tmp)
    return path
