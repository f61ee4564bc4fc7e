"""Atomic file writes: a file is either the old one or the new one, never half of either."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from markovwire.errors import FileFormatError


def write_atomic(path: str | os.PathLike, data: str | bytes, make_dirs: bool = False) -> Path:
    """Write ``data`` through a temporary file in the same folder, then ``os.replace`` it over ``path``.

    The file keeps its permissions; an OS error becomes a :class:`FileFormatError` naming the path.
    ``make_dirs`` creates missing folders (figure exports); documents are never written into a folder that
    does not exist.
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    try:
        if make_dirs:
            directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as err:
        raise FileFormatError(str(path), f"cannot be written ({err.strerror or err})",
                              fix="check that the directory exists and is writable") from None
    try:
        with os.fdopen(fd, "wb" if isinstance(data, bytes) else "w", **({} if isinstance(data, bytes) else
                                                                        {"encoding": "utf-8"})) as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise FileFormatError(str(path), f"cannot be written ({err.strerror or err})",
                              fix="check that the path is writable") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
