"""Recovery files: unsaved work autosaved per document and per running UI, offered back only when that UI is gone.

Each running UI is an :class:`Instance` with an id (``PID-TOKEN``) and a lock file ``ID.lock`` in the
recovery folder that holds its pid and is locked (``flock``) for as long as it runs; the system
releases the lock when the process dies, however it dies. The instance autosaves a document to
``KEY.ID.yaml``, where ``KEY`` names the document: its resolved path (a readable stem and a hash),
or ``untitled-N`` for one never saved. A recovery file whose instance still holds its lock is someone's
live work and is never offered; one whose instance is gone is offered for its document.

>>> import tempfile, pathlib
>>> me = Instance(pathlib.Path(tempfile.mkdtemp()))
>>> f = me.write("untitled-1", "proposal: {}\\n")
>>> f.name == f"untitled-1.{me.id}.yaml", orphans(me.folder)
(True, [])
>>> me.release()                                    # the UI stops without saving: its work is offered
>>> [o.key for o in orphans(me.folder)]
['untitled-1']
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from markovwire.diagrams.atomic import pid_alive, write_atomic

try:
    import fcntl
except ImportError:          # not on POSIX: a lock is alive while its pid is
    fcntl = None

_RECOVERY = re.compile(r"(?P<key>[A-Za-z0-9_-]+)\.(?P<id>(?P<pid>\d+)-[0-9a-f]+)\.yaml")


def document_key(path: str | os.PathLike | None, untitled: int = 1) -> str:
    """The name a document's recovery files start with: its resolved path, or ``untitled-N``.

    >>> document_key(None, 2)
    'untitled-2'
    >>> document_key("/tmp/x/prop.yaml") == document_key("/tmp/x/../x/prop.yaml")
    True
    """
    if path is None:
        return f"untitled-{untitled}"
    resolved = os.path.realpath(path)
    stem = re.sub(r"[^A-Za-z0-9_-]", "_", Path(resolved).stem)[:40] or "proposal"
    return f"{stem}-{hashlib.sha256(resolved.encode('utf-8', 'surrogateescape')).hexdigest()[:12]}"


@dataclass(frozen=True)
class Orphan:
    """A recovery file left by a UI that no longer runs."""

    path: Path
    key: str
    instance: str
    mtime: float


def _held(lock: Path, pid: int) -> bool:
    """Whether the instance owning ``lock`` still runs (its lock is held)."""
    if fcntl is None:
        return lock.exists() and pid_alive(pid)
    try:
        fd = os.open(lock, os.O_RDONLY)
    except FileNotFoundError:
        return False
    except OSError:
        return True        # cannot tell: treat as live, never offer someone's live work
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def orphans(folder: Path, key: str | None = None) -> list[Orphan]:
    """The recovery files in ``folder`` (of the document ``key``, or all) whose UI is gone, newest first."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    found = []
    for entry in entries:
        m = _RECOVERY.fullmatch(entry.name)
        if not m or (key is not None and m["key"] != key):
            continue
        if _held(folder / f"{m['id']}.lock", int(m["pid"])):
            continue
        try:
            found.append(Orphan(Path(entry.path), m["key"], m["id"], entry.stat().st_mtime))
        except OSError:
            continue
    return sorted(found, key=lambda o: -o.mtime)


def forget(orphan: Orphan) -> None:
    """Delete an orphan recovery file (the user discarded it), and its instance's lock if nothing else needs it."""
    with contextlib.suppress(OSError):
        orphan.path.unlink(missing_ok=True)
    lock = orphan.path.parent / f"{orphan.instance}.lock"
    if not any(o.instance == orphan.instance for o in orphans(orphan.path.parent)) and \
            not _held(lock, int(orphan.instance.split("-")[0])):
        with contextlib.suppress(OSError):
            lock.unlink(missing_ok=True)


def adopt_legacy(old: Path, folder: Path) -> None:
    """Move the single ``recovery.yaml`` of earlier versions into ``folder`` as a file of a UI that is gone, so that
    it is offered for its document like any other (nothing is lost on an upgrade)."""
    if not old.is_file():
        return
    import yaml
    try:
        meta = yaml.safe_load(old.read_text(encoding="utf-8"))
        path = meta.get("path") if isinstance(meta, dict) else None
        folder.mkdir(parents=True, exist_ok=True)
        old.replace(folder / f"{document_key(path or None)}.0-0.yaml")
    except (OSError, ValueError, yaml.YAMLError):
        return       # left where it was; offered by nothing, deleted by nothing


class Instance:
    """This running UI: its lock and the recovery files it writes (only these it ever deletes unasked)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.id = f"{os.getpid()}-{secrets.token_hex(4)}"
        self._fd: int | None = None

    @property
    def lock(self) -> Path:
        return self.folder / f"{self.id}.lock"

    def path(self, key: str) -> Path:
        """Where this instance autosaves the document ``key``."""
        return self.folder / f"{key}.{self.id}.yaml"

    def acquire(self) -> None:
        """Take the lock (once): from now on, this instance's recovery files are live work."""
        if self._fd is not None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        except OSError:
            os.close(fd)
            raise
        self._fd = fd

    def write(self, key: str, text: str) -> Path:
        """Autosave ``text`` for the document ``key``; raises a markovwire error when it cannot be written."""
        try:
            self.acquire()
        except OSError as err:
            from markovwire.diagrams.atomic import write_error
            raise write_error(self.lock, err) from None
        return write_atomic(self.path(key), text)

    def drop(self, key: str | None = None) -> None:
        """Delete this instance's recovery file of ``key`` (or all of them): the work was saved or discarded."""
        for f in self.folder.glob(f"*.{self.id}.yaml") if key is None else [self.path(key)]:
            with contextlib.suppress(OSError):
                f.unlink(missing_ok=True)

    def release(self) -> None:
        """Stop running: unlock (recovery files left now are offered by the next UI), and remove the lock file
        when no recovery file needs it."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        if not any(self.folder.glob(f"*.{self.id}.yaml")):
            with contextlib.suppress(OSError):
                self.lock.unlink(missing_ok=True)
