"""Where component libraries are found: by path, in user directories, and in installed packages.

A library is named by its file: ``<name>.yaml``. Names are looked up, in order,

1. in the directories of ``MARKOVWIRE_LIBRARY_PATH`` (separated like ``PATH``) when it
   is set, else in the user directory ``platformdirs.user_data_dir("markovwire")/libraries``;
2. in installed packages through the entry-point group ``markovwire.libraries``: each
   entry point is named like its library and loads to a function returning the file's path
   (markovwire itself ships ``alignment`` this way).

A reference containing a path separator or ending in ``.yaml``/``.yml`` is a path,
resolved against the directory of the file that refers to it.

Installed packages are asked once per process (reading their metadata takes tens of
milliseconds); :func:`forget_installed` makes the next look-up ask again.

A plugin is code from elsewhere: one that fails to import, raises, exits (``sys.exit``),
lacks its attribute or returns something other than a path is skipped and the others
kept. Each broken plugin is reported once on standard error, listed by
:func:`plugin_problems` (and ``markovwire library list --json``), and raised when its
library is asked for by name.

>>> find_library("alignment").name
'alignment.yaml'
"""
from __future__ import annotations

import difflib
import errno
import functools
import os
import stat
import sys
from importlib.metadata import entry_points
from pathlib import Path

from markovwire.diagrams.yamlsafe import file_error, regular_file
from markovwire.errors import FileFormatError, Place, UnknownName

ENV = "MARKOVWIRE_LIBRARY_PATH"
GROUP = "markovwire.libraries"


def user_library_dirs() -> list[Path]:
    """The directories searched for ``<name>.yaml`` before installed packages."""
    env = os.environ.get(ENV)
    if env is not None:
        return [Path(p).expanduser() for p in env.split(os.pathsep) if p]
    from platformdirs import user_data_dir
    return [Path(user_data_dir("markovwire")) / "libraries"]


@functools.cache
def _entry_points() -> tuple:
    """The entry points of the group ``markovwire.libraries``, by name (cached: see :func:`forget_installed`)."""
    return tuple(sorted(entry_points(group=GROUP), key=lambda e: e.name))


_reported: set[str] = set()  # broken plugins and unreadable directories already reported on standard error


def forget_installed() -> None:
    """Look installed packages up again next time (after installing or removing one in this process, and in tests)."""
    _entry_points.cache_clear()
    _installed.cache_clear()


def installed_libraries() -> dict[str, Path | FileFormatError]:
    """Libraries of installed packages by name: the path, or the error that loading its entry point gave."""
    return dict(_installed())


def plugin_problems() -> list[FileFormatError]:
    """The broken plugins of the group ``markovwire.libraries``: one error each (entry point, value, reason)."""
    return [e for e in _installed().values() if isinstance(e, FileFormatError)]


@functools.cache
def _installed() -> dict[str, Path | FileFormatError]:
    """Each plugin loaded once (cached with the entry points); a broken one is reported on standard error once."""
    out: dict[str, Path | FileFormatError] = {}
    for ep in _entry_points():
        out[ep.name] = found = _load_plugin(ep)
        if isinstance(found, FileFormatError):
            _report("skipped a broken library plugin", found)
    return out


def _load_plugin(ep) -> Path | FileFormatError:
    """The library file an entry point names, or the error saying why it does not name one.

    Whatever the plugin does (an import error, an exception, ``sys.exit``) is caught, except Ctrl+C:
    a broken package from elsewhere must not stop markovwire nor hide the other libraries.
    """
    package = getattr(getattr(ep, "dist", None), "name", None)
    fix = "reinstall or remove the package that provides it" + (f" ({package})" if package else "")
    where = Place(f"entry point {ep.name!r} ({ep.value})")
    try:
        found = ep.load()
        found = found() if callable(found) else found
        if not isinstance(found, (str, os.PathLike)) or not os.fspath(found):
            return FileFormatError(where, f"returned {_short(found)} ({type(found).__name__}), not the path of a "
                                   "library file", fix=fix)
        return Path(found)
    except KeyboardInterrupt:
        raise
    except SystemExit as err:
        return FileFormatError(where, f"could not be loaded: it called sys.exit({_short(err.code)})", fix=fix)
    except BaseException as err:  # noqa: BLE001 (code from elsewhere: whatever it raises is its own fault)
        return FileFormatError(where, f"could not be loaded: {type(err).__name__}: {_short(err, 300)}", fix=fix)


def _short(value, limit: int = 120) -> str:
    """``repr(value)`` (an exception's text), cut to ``limit`` characters."""
    try:
        text = str(value) if isinstance(value, BaseException) else repr(value)
    except Exception:  # noqa: BLE001 (a plugin's object whose repr fails)
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[:limit - 3] + "..."


def available_libraries() -> dict[str, Path]:
    """Every library that can be named, user directories first (so they can override installed ones).

    A directory that cannot be read (its name too long, no permission) is skipped, reported once
    on standard error and listed by :func:`library_problems`; one that does not exist is skipped
    quietly, as ``PATH`` does.
    """
    out: dict[str, Path] = {}
    for d in user_library_dirs():
        files = _library_files(d)
        if isinstance(files, FileFormatError):
            _report("skipped a library directory", files)
            continue
        for f in files:
            out.setdefault(f.stem, f)
    for name, found in installed_libraries().items():
        if isinstance(found, Path):
            out.setdefault(name, found)
    return out


def library_problems() -> list[FileFormatError]:
    """Every library directory that cannot be read, then every broken plugin (:func:`plugin_problems`)."""
    found = (_library_files(d) for d in user_library_dirs())
    return [e for e in found if isinstance(e, FileFormatError)] + plugin_problems()


def _library_files(d: Path) -> list[Path] | FileFormatError:
    """The ``*.yaml`` and ``*.yml`` files of directory ``d`` (none if it does not exist or is not a directory), or
    the error saying why it cannot be read."""
    try:
        if not stat.S_ISDIR(os.stat(d).st_mode):
            return []
        with os.scandir(d) as entries:
            names = sorted(e.name for e in entries if e.name.endswith((".yaml", ".yml")))
    except (FileNotFoundError, NotADirectoryError):
        return []
    except (OSError, ValueError) as err:  # ValueError: a NUL character in the path
        if isinstance(err, OSError):
            why = file_error(str(d), err).what
        else:
            why = "is not a valid path (it holds a NUL character)"
        if os.environ.get(ENV) is not None:
            source, fix = f"in {ENV}", f"fix or remove this entry of {ENV} (entries are separated by {os.pathsep!r})"
        else:
            source, fix = "the user library directory", f"make it readable, or set {ENV} to your library directories"
        return FileFormatError(Place(f"library directory {_shown(str(d))!r} ({source})"), why, fix=fix)
    return [d / n for n in names]


def _report(what: str, err: FileFormatError) -> None:
    """Say ``err`` on standard error, once per process."""
    if str(err) not in _reported:
        _reported.add(str(err))
        print(f"markovwire: {what}: {err}", file=sys.stderr)


def is_path(ref: str) -> bool:
    """Whether a library reference is a file path rather than a name."""
    return "/" in ref or os.sep in ref or ref.endswith((".yaml", ".yml"))


def find_library(ref: str, relative_to: str | os.PathLike | None = None, where: str = "library") -> Path:
    """The file of the library ``ref`` (a name or a path; paths are relative to ``relative_to``'s directory)."""
    if is_path(ref):
        try:
            p = Path(ref).expanduser()
        except RuntimeError:  # ~user of an unknown user: the path as written
            p = Path(ref)
        if not p.is_absolute() and relative_to is not None:
            p = Path(relative_to).parent / p
        _check_file(p, where, "library file", "check the path (relative paths start at the proposal's directory)",
                    always=False)
        return p
    for d in user_library_dirs():
        for ext in (".yaml", ".yml"):
            candidate = d / f"{ref}{ext}"
            try:
                os.stat(candidate)
            except FileNotFoundError:
                continue
            except NotADirectoryError:
                break
            except (OSError, ValueError):
                pass  # said by _check_file
            _check_file(candidate, where, f"library {_shown(ref)!r}: file",
                        f"check the library name and the directories of {ENV}")
            return candidate
    installed = installed_libraries()
    found = installed.get(ref)
    if isinstance(found, FileFormatError):
        raise found
    if found is not None:
        _check_file(found, where, f"library {_shown(ref)!r} of an installed package: file",
                    "reinstall or remove the package that provides it")
        return found
    known = sorted(available_libraries())
    close = difflib.get_close_matches(ref, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise UnknownName(where, f"unknown library {ref!r}{hint}",
                      fix=f"use one of: {', '.join(known) or 'none installed'}, a path to a .yaml file, or put "
                          f"{ref}.yaml in {user_library_dirs()[0]}")


def _check_file(path: Path, where: str, what: str, fix: str, always: bool = True) -> None:
    """Refuse ``path`` unless it is a regular file, saying why (it does not exist, is a FIFO, its name is too long),
    with ``fix`` (if not ``always``, only when it does not exist: otherwise the fix for what it is)."""
    try:
        regular_file(path)
    except FileFormatError as err:
        missing = getattr(err, "errno", None) == errno.ENOENT
        raise FileFormatError(where, f"{what} {_shown(str(path))!r} {err.what}",
                              fix=fix if always or missing else err.fix) from None


def _shown(text: str) -> str:
    """A path or name short enough to read in a message (its start and end)."""
    return text if len(text) <= 160 else f"{text[:100]}…{text[-50:]}"
