"""Chunks of independent evaluations, run on dask: in this process, on a local cluster, or on a cluster.

A sweep's points, a search's grid, the vertex combinations of credal sets: each is a
batch of evaluations that do not depend on one another. :func:`chunks` splits such a
batch into contiguous pieces sized by the memory budget (:mod:`markovwire.limits`), and
:func:`run` evaluates them on dask, handing the results back in order, reporting
progress and stopping cleanly when cancelled. The pieces depend only on the batch and
the budget, never on where they run, so a result is the same to the last bit on
threads, on a local cluster and on a remote one.

Where pieces run is the *engine* (one per process, like the limits):

===================  ==================================  ==========================================
engine               command line                        Python
===================  ==================================  ==========================================
threads (default)    (nothing to set up)                 ``markovwire.set_engine()``
local cluster        ``--workers 4``                     ``markovwire.set_engine(workers=4)``
existing cluster     ``--scheduler tcp://host:8786``     ``markovwire.set_engine(scheduler="tcp://…")``
===================  ==================================  ==========================================

A cluster needs dask.distributed (``pip install 'markovwire[cluster]'``). Each worker
evaluates one piece at a time within the memory budget, so the budget is also what one
worker needs; on threads, as many pieces run at once as fit in the budget together.

>>> chunks(10, point_bytes=8, budget=32)                 # 4 points of 8 bytes fit in 32 bytes
[(0, 4), (4, 8), (8, 10)]
>>> list(run(lambda piece: sum(range(*piece)), chunks(10, point_bytes=8, budget=32)))
[6, 22, 17]

A sweep larger than memory goes to disk, piece by piece (:func:`write_sweep`), and
opens again in one line: ``markovwire.open_sweep("results.npyd")``.
"""
from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import math
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np

from .errors import Cancelled, EngineError, FileFormatError, Place
from .limits import (
    cost_budget,
    figure_limit,
    memory_budget,
    set_cost_budget,
    set_figure_limit,
    set_memory_budget,
    set_sweep_limit,
    sweep_limit,
)

CHUNKS = 64           # a large batch is split into at least this many pieces (for workers to share, for progress)
MIN_CHUNK = 4096      # ... but no piece smaller than this many points (per piece, dask costs about a millisecond)
CONNECT_TIMEOUT = 10  # seconds to wait for a scheduler given by --scheduler
FORMAT = "markovwire-sweep"  # the manifest's "format" field of a sweep written to disk
INSTALL_CLUSTER = "pip install 'markovwire[cluster]'"
ADDRESS = re.compile(r"((tcp|tls|ws|wss|ucx)://)?(\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.-]+):[0-9]{1,5}")  # a scheduler's

Piece = tuple[int, int]
Progress = Callable[[int, int], None]


# ----- the engine -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Engine:
    """Where pieces run: in-process ``threads`` (default: one per CPU), a local cluster of ``workers`` processes,
    or the cluster whose scheduler is at ``scheduler``."""

    workers: int | None = None
    scheduler: str | None = None
    threads: int | None = None

    @property
    def kind(self) -> str:
        return "scheduler" if self.scheduler else "workers" if self.workers else "threads"

    def __str__(self) -> str:
        if self.scheduler:
            return f"the dask cluster at {self.scheduler}"
        if self.workers:
            return f"a local dask cluster of {self.workers} worker process(es)"
        return f"{self.threads or os.cpu_count() or 1} thread(s) in this process"


_engine = Engine()
_clients: dict[tuple, Any] = {}
_reporter: contextvars.ContextVar[Progress | None] = contextvars.ContextVar("markovwire_progress", default=None)


def set_engine(engine: Engine | None = None, *, workers: int | None = None, scheduler: str | None = None,
               threads: int | None = None) -> Engine:
    """Choose where pieces run from now on (see the module docstring); returns the engine before.

    ``workers`` starts a local cluster on first use; ``scheduler`` connects to an existing one
    (both need dask.distributed). No argument: back to threads in this process.
    """
    global _engine
    new = engine or Engine(workers, scheduler, threads)
    if new.workers is not None and (isinstance(new.workers, bool) or int(new.workers) != new.workers
                                    or new.workers < 1):
        raise EngineError("--workers", f"{new.workers!r} is not a positive whole number of workers",
                          fix="give e.g. --workers 4 (or workers=4 in Python)")
    if new.workers and new.scheduler:
        raise EngineError("--workers and --scheduler", "both choose where to run",
                          fix="give --workers N for a local cluster, or --scheduler ADDRESS for an existing one")
    if new.kind != "threads":
        _require_distributed(new)
    old, _engine = _engine, new
    return old


def _require_distributed(eng: Engine) -> None:
    """Refuse a cluster engine when dask.distributed is not installed (the ``cluster`` extra)."""
    import importlib.util
    if importlib.util.find_spec("distributed") is None:
        option = "--scheduler" if eng.scheduler else "--workers"
        raise EngineError(Place(f"{option} {eng.scheduler or eng.workers}"),
                          "needs dask.distributed, which is not installed",
                          fix=f"{INSTALL_CLUSTER}; or drop {option} to run on threads in this process")


def engine() -> Engine:
    """The engine pieces run on now."""
    return _engine


@contextlib.contextmanager
def using(engine: Engine | None = None, **kw) -> Iterator[Engine]:
    """Run pieces on another engine inside a ``with`` block (see :func:`set_engine`)."""
    old = set_engine(engine, **kw)
    try:
        yield _engine
    finally:
        set_engine(old)


@contextlib.contextmanager
def reporting(progress: Progress | None) -> Iterator[None]:
    """Report the pieces of every :func:`run` inside the block to ``progress(done, total)`` (unless a run has its
    own); raising in ``progress`` cancels the run (the UI's cancel key, Ctrl+C)."""
    token = _reporter.set(progress)
    try:
        yield
    finally:
        _reporter.reset(token)


def reporter() -> Progress | None:
    """The ``progress`` of the enclosing :func:`reporting` block (``None`` outside one): a job of several runs
    reports its pieces to it as one count."""
    return _reporter.get()


def client(eng: Engine | None = None):
    """The dask.distributed client of a cluster engine (started or connected on first use, then kept)."""
    eng = eng or _engine
    key = (eng.workers, eng.scheduler)
    if key in _clients:
        return _clients[key]
    where = Place(f"--scheduler {eng.scheduler}" if eng.scheduler else f"--workers {eng.workers}")
    _require_distributed(eng)
    import distributed
    if eng.scheduler:
        if not ADDRESS.fullmatch(eng.scheduler):
            raise EngineError(where, f"{eng.scheduler!r} is not a dask scheduler address",
                              fix="give the address the scheduler prints, SCHEME://HOST:PORT (e.g. --scheduler "
                                  "tcp://10.0.0.5:8786)")
        try:
            made = distributed.Client(eng.scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError, ValueError, TypeError) as e:
            raise EngineError(where, f"no dask scheduler answers at {eng.scheduler!r} within {CONNECT_TIMEOUT} s "
                              f"({type(e).__name__}: {str(e).splitlines()[0] if str(e) else 'no reply'})",
                              fix="give the address the scheduler prints (e.g. --scheduler tcp://10.0.0.5:8786; "
                                  "start one with `dask scheduler` and workers with `dask worker ADDRESS`), "
                                  "or drop --scheduler to run in this process") from None
    else:
        import dask
        # dask's nannies set MALLOC_TRIM_THRESHOLD_ for long-lived workers; it turns off glibc's dynamic mmap
        # threshold, so every large array a piece allocates is a fresh mmap (page faults, zeroing): pieces ran
        # 15-30% slower than in this process, and two workers contended for memory bandwidth. Pieces are
        # bounded by the memory budget, so a worker allocates as this process does.
        with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
                              "distributed.worker.profile.enabled": False}):
            cluster = distributed.LocalCluster(n_workers=int(eng.workers), threads_per_worker=1, processes=True,
                                               dashboard_address=None, silence_logs=logging.CRITICAL)
        made = distributed.Client(cluster, set_as_default=False)
    _clients[key] = made
    return made


def shutdown() -> None:
    """Close the clients (and local clusters) this process started."""
    while _clients:
        _, c = _clients.popitem()
        cluster = getattr(c, "cluster", None)
        with contextlib.suppress(Exception):
            c.close()
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close()


# ----- pieces -----------------------------------------------------------------------------------
def chunks(n: int, point_bytes: float = 0, *, budget: float | None = None, size: int | None = None) -> list[Piece]:
    """Contiguous pieces ``(start, stop)`` of ``range(n)``: each holds at most ``budget / point_bytes`` points
    (the memory budget by default) and, for a large batch, about ``n / CHUNKS`` (never under ``MIN_CHUNK``);
    ``size`` fixes the points per piece. They depend on nothing else, so not on the engine."""
    n = int(n)
    if n <= 0:
        return []
    if size is None:
        budget = memory_budget() if budget is None else budget
        fit = int(budget // point_bytes) if point_bytes > 0 else n
        size = min(n, fit, max(MIN_CHUNK, math.ceil(n / CHUNKS)))
    size = max(1, int(size))
    return [(a, min(a + size, n)) for a in range(0, n, size)]


def probe(run: Callable[[Piece], Any], n: int, most: int) -> int:
    """The size ``k`` of the largest first piece ``(0, k)``, from ``min(n, most)`` halving, that ``run`` evaluates
    within the budgets: a plan of a few points, to measure what one point needs. One point still too large
    re-raises its own error (it says by how much)."""
    from .errors import ContractionTooLarge
    k = min(n, most)
    while True:
        try:
            run((0, k))
            return k
        except ContractionTooLarge:
            if k == 1:
                raise
            k //= 2


def grid_points(axes: Mapping[str, np.ndarray], piece: Piece) -> dict[str, np.ndarray]:
    """The points ``start .. stop - 1`` of the grid over ``axes`` (first axis slowest), without building the grid.

    >>> grid_points({"a": np.array([0., 1.]), "b": np.array([10., 20., 30.])}, (2, 5))
    {'a': array([0., 1., 1.]), 'b': array([30., 10., 20.])}
    """
    shape = tuple(len(v) for v in axes.values())
    idx = np.unravel_index(np.arange(*piece), shape) if shape else ()
    return {name: np.asarray(v, dtype=float)[i] for (name, v), i in zip(axes.items(), idx)}


def _limits() -> dict[str, float]:
    return {"memory": memory_budget(), "cost": cost_budget(), "points": sweep_limit(), "boxes": figure_limit()}


def _call(fn: Callable, piece, limits: Mapping[str, float]):
    """Run ``fn(piece)`` under the caller's limits (a worker process starts with the defaults)."""
    set_memory_budget(limits["memory"])
    set_cost_budget(limits["cost"])
    set_sweep_limit(limits["points"])
    set_figure_limit(limits["boxes"])
    return fn(piece)


def run(fn: Callable[[Any], Any], pieces: Sequence, *, engine: Engine | None = None,
        progress: Progress | None = None, piece_bytes: float = 0, already: int = 0) -> Iterator[Any]:
    """``fn(piece)`` for every piece, on the engine; the results come back in the order of ``pieces``.

    ``progress(done, total)`` is called after each result has been taken (default: the one of
    :func:`reporting`); an exception it raises, or Ctrl+C, cancels the pieces not yet done and propagates
    (Ctrl+C as :class:`~markovwire.errors.Cancelled`); ``already`` pieces of the same job were done before this
    run (progress and messages count them). On threads, as many pieces run at once as fit in
    the memory budget with ``piece_bytes`` each; a single piece runs in the calling thread. Results are
    yielded as they arrive, so a caller may write each away and keep none: at most a few per worker are
    held at once.
    """
    pieces = list(pieces)
    eng = engine or _engine
    tally = _Tally(already + len(pieces), progress or _reporter.get(), already)
    try:
        if eng.kind != "threads":
            results = _on_cluster(fn, pieces, client(eng), eng)
        elif len(pieces) <= 1:
            results = (fn(piece) for piece in pieces)
        else:
            results = _on_threads(fn, pieces, eng, piece_bytes)
        for out in results:
            yield out
            tally.step()
    except KeyboardInterrupt:
        raise Cancelled(None, f"cancelled (Ctrl+C) after {tally.done} of {tally.total} piece(s)") from None


class _Tally:
    """Pieces done of a run, reported as they are taken."""

    def __init__(self, total: int, progress: Progress | None, done: int = 0):
        self.total, self.done, self.progress = total, done, progress

    def step(self) -> None:
        self.done += 1
        if self.progress:
            self.progress(self.done, self.total)


def _on_threads(fn, pieces, eng: Engine, piece_bytes: float):
    """Windows of pieces, each computed by dask's threaded scheduler, so that only a window's results are held."""
    import dask
    threads = eng.threads or os.cpu_count() or 1
    if piece_bytes > 0:
        threads = max(1, min(threads, int(memory_budget() // piece_bytes)))
    limits = _limits()
    for start in range(0, len(pieces), 2 * threads):
        window = pieces[start:start + 2 * threads]
        tasks = [dask.delayed(_call, pure=False)(fn, p, limits) for p in window]
        yield from dask.compute(*tasks, scheduler="threads", num_workers=threads)


def _on_cluster(fn, pieces, c, eng: Engine):
    """Pieces submitted to a dask.distributed cluster, a few per worker at a time, results yielded in order."""
    from distributed import as_completed
    if not pieces:
        return
    limits = _limits()
    try:
        slots = max(2, 2 * sum(c.nthreads().values()))
    except Exception:  # pragma: no cover - a scheduler that does not answer the question
        slots = 4
    shipped = c.scatter(fn, broadcast=False, hash=False)  # the evaluator (a net, a model) goes over once
    order = iter(enumerate(pieces))
    index: dict = {}

    def submit():
        nxt = next(order, None)
        if nxt is None:
            return None
        f = c.submit(_call, shipped, nxt[1], limits, pure=False)
        index[f] = nxt[0]
        return f

    finished = as_completed([f for f in (submit() for _ in range(slots)) if f is not None], loop=c.loop)
    ready: dict[int, Any] = {}
    want = 0
    try:
        for f in finished:
            i = index.pop(f)
            try:
                ready[i] = f.result()
            except Exception as e:
                raise _worker_error(e, pieces[i], eng) from None
            f.release()
            new = submit()
            if new is not None:
                finished.add(new)
            while want in ready:
                yield ready.pop(want)
                want += 1
    finally:
        if index:
            with contextlib.suppress(Exception):
                c.cancel(list(index))
        with contextlib.suppress(Exception):
            shipped.release()


def _worker_error(e: Exception, piece, eng: Engine) -> Exception:
    """A piece's failure as the caller sees it: a markovwire error as it is, a dead worker as an EngineError."""
    from .errors import MarkovwireError
    if isinstance(e, MarkovwireError):
        return e
    if type(e).__name__ == "KilledWorker":
        return EngineError(Place(f"piece {piece} on {eng}"), "a worker died while evaluating it (most often: it ran "
                           "out of memory)", fix="lower the memory budget so that pieces are smaller (--max-memory "
                           "1GiB), or give the workers more memory")
    return e


# ----- sweeps on disk -----------------------------------------------------------------------------
@dataclass
class SweepFile:
    """A sweep written to disk (``path``, a directory): the swept ``axes`` (name → values, first slowest), one
    array per result as a read-only memmap of shape ``(*grid, *labels)`` (``sweep["p_catastrophe"]``), the
    ``labels`` of distribution results, and whether every piece was written (``complete``)."""

    path: Path
    axes: dict[str, np.ndarray]
    names: list[str]
    labels: dict[str, list[str]]
    complete: bool
    pieces_done: int
    pieces: int
    files: dict[str, str]

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(v) for v in self.axes.values())

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self.files:
            raise FileFormatError(Place(file=str(self.path)), f"holds no result {name!r}",
                                  fix=f"open one of: {', '.join(self.names)}")
        file = self.path / Path(self.files[name]).name   # never outside the directory, whatever the manifest says
        if not file.exists():
            raise FileFormatError(Place(file=str(self.path)), f"holds no piece of {name!r} yet (the sweep was "
                                  "stopped before its first piece was written)", fix="run the sweep again")
        arr = np.load(file, mmap_mode="r")
        return arr.reshape(self.shape + arr.shape[1:])

    def __iter__(self):
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)

    def __repr__(self) -> str:
        axes = " × ".join(f"{k} ({len(v)})" for k, v in self.axes.items())
        state = "complete" if self.complete else f"incomplete: {self.pieces_done} of {self.pieces} pieces"
        return f"SweepFile({self.path}: {axes}; {', '.join(self.names)}; {state})"


def open_sweep(path: str | os.PathLike) -> SweepFile:
    """A sweep that ``markovwire eval --sweep … -o PATH`` (or :func:`write_sweep`) wrote, as memmaps.

    An incomplete sweep (cancelled, or stopped by an error) opens too, with ``complete`` False:
    the pieces not written hold NaN (on a cluster, a piece that was running when the sweep stopped may
    still have written its own rows).
    """
    path = Path(path)
    where = Place(file=str(path))
    try:
        manifest = json.loads((path / "manifest.json").read_text())
    except FileNotFoundError:
        raise FileFormatError(where, "is not a sweep written by markovwire (no manifest.json in it)",
                              fix="give the directory that eval --sweep … -o wrote") from None
    except (OSError, ValueError) as e:
        raise FileFormatError(where, f"its manifest.json cannot be read ({e})",
                              fix="write the sweep again with eval --sweep … -o") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise FileFormatError(where, "its manifest.json is not a markovwire sweep's",
                              fix="give the directory that eval --sweep … -o wrote")
    results = manifest["results"]
    try:
        axes = {a["name"]: np.load(path / Path(a["file"]).name) for a in manifest["axes"]}
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise FileFormatError(where, f"an axis of the sweep cannot be read ({e})",
                              fix="write the sweep again with eval --sweep … -o") from None
    return SweepFile(path, axes,
                     [r["name"] for r in results], {r["name"]: r["labels"] for r in results if r.get("labels")},
                     bool(manifest["complete"]), int(manifest["pieces_done"]), int(manifest["pieces"]),
                     {r["name"]: r["file"] for r in results})


def write_sweep(path: str | os.PathLike, axes: Mapping[str, Sequence[float]], evaluate: Callable[[dict], dict],
                results: Mapping[str, Sequence[str] | None], *, point_bytes: float = 0,
                pieces: Sequence[Piece] | None = None, engine: Engine | None = None,
                progress: Progress | None = None, meta: Mapping[str, Any] | None = None) -> SweepFile:
    """Evaluate ``evaluate(values)`` over the grid ``axes`` piece by piece and write each piece to disk at once.

    ``evaluate`` takes a dict name → 1-D array of points and returns, for each name in ``results``,
    an array with one row per point (a distribution's rows over its ``labels``, given in ``results``).
    The directory ``path`` gets one ``.npy`` per result (the grid flattened first axis slowest) and
    ``manifest.json`` (axes, names, labels, pieces written, ``complete``); memory holds a few pieces,
    never the sweep. A cancelled or failed run leaves the manifest saying ``complete: false`` and how
    many pieces were written, and re-raises.
    """
    path = Path(path)
    axes = {k: np.asarray(v, dtype=float).reshape(-1) for k, v in axes.items()}
    n = math.prod(len(v) for v in axes.values())
    pieces = list(chunks(n, point_bytes) if pieces is None else pieces)
    eng = engine or _engine
    _prepare_dir(path)
    names = list(results)
    files = {name: f"r{i}.npy" for i, name in enumerate(names)}
    for i, v in enumerate(axes.values()):
        np.save(path / f"axis{i}.npy", v)
    manifest = {"format": FORMAT, "version": 1,
                "axes": [{"name": k, "file": f"axis{i}.npy", "count": len(v), "first": float(v[0]) if len(v) else None,
                          "last": float(v[-1]) if len(v) else None} for i, (k, v) in enumerate(axes.items())],
                "results": [{"name": name, "file": files[name], "labels": list(results[name] or [])}
                            for name in names],
                "points": n, "pieces": len(pieces), "pieces_done": 0, "complete": False, **dict(meta or {})}
    _write_manifest(path, manifest)
    task = GridPiece(evaluate, axes)
    writer = _PieceWriter(task, path, files)
    done_to = 0

    def written():
        """The pieces as they are done, in order. The first is computed here: its rows fix each file's shape.
        The rest are written by whatever runs them where it shares this disk (threads, a local cluster, a
        cluster on a shared file system), else handed back and written here (rows that need not travel back
        through this process leave its CPU to the workers)."""
        report = progress or _reporter.get()
        yield writer.create(pieces[0], n, task(pieces[0]))
        if report:
            report(1, len(pieces))
        in_place = _shares_disk(eng, path)
        rest = pieces[1:]
        outs = run(writer if in_place else task, rest, engine=eng, piece_bytes=point_bytes, progress=report,
                   already=1)
        for piece, out in zip(rest, outs):
            yield piece if in_place else writer.write(piece, out)

    try:
        if pieces:
            for _ in written():
                done_to += 1
                if done_to % 8 == 0 or done_to == len(pieces):
                    manifest["pieces_done"] = done_to
                    _write_manifest(path, manifest)
        manifest["complete"] = True
    except (Cancelled, KeyboardInterrupt) as e:      # Ctrl+C inside a piece's run, or while one is written
        if isinstance(e, KeyboardInterrupt):
            e = Cancelled(None, f"cancelled (Ctrl+C) after {done_to} of {len(pieces)} piece(s)")
        raise e.relocated(Place(file=str(path)), what=f"{e.what}; the directory holds {done_to} of {len(pieces)} "
                          "piece(s) and its manifest.json says complete: false",
                          fix=f"run the sweep again to write all of it; open_sweep({str(path)!r}) reads the pieces "
                              "written (NaN elsewhere)") from None
    finally:
        if done_to < len(pieces):
            writer.blank(pieces[done_to][0], n)
        manifest["pieces_done"] = done_to
        _write_manifest(path, manifest)
    return open_sweep(path)


class _PieceWriter:
    """Evaluate one piece of a sweep and write its rows into the sweep's ``.npy`` files (a picklable callable: a
    worker process on this machine writes its own rows, so that they never travel back through this process)."""

    def __init__(self, task: "GridPiece", path: Path, files: Mapping[str, str]):
        self.task, self.path, self.files = task, path, dict(files)

    def create(self, piece: Piece, n: int, out: Mapping[str, Any]) -> Piece:
        """Create each result's file for ``n`` points, shaped by the rows of the first piece, and write them."""
        for name, file in self.files.items():
            rows = self._rows(piece, out[name])
            np.lib.format.open_memmap(self.path / file, mode="w+", dtype=float, shape=(n,) + rows.shape[1:]).flush()
        return self.write(piece, out)

    def write(self, piece: Piece, out: Mapping[str, Any]) -> Piece:
        for name, file in self.files.items():
            arr = np.load(self.path / file, mmap_mode="r+")
            arr[piece[0]:piece[1]] = self._rows(piece, out[name])
            arr.flush()
            del arr
        return piece

    def blank(self, start: int, stop: int) -> None:
        """Fill the points ``start .. stop - 1`` with NaN (the pieces a stopped sweep did not write)."""
        for file in self.files.values():
            if (self.path / file).exists():
                arr = np.load(self.path / file, mmap_mode="r+")
                arr[start:stop] = np.nan
                arr.flush()
                del arr

    @staticmethod
    def _rows(piece: Piece, out) -> np.ndarray:
        rows = np.asarray(out, dtype=float)
        return rows.reshape((piece[1] - piece[0],) + rows.shape[1:] if rows.ndim else (piece[1] - piece[0],))

    def __call__(self, piece: Piece) -> Piece:
        return self.write(piece, self.task(piece))


class GridPiece:
    """``evaluate`` at the grid points of one piece (a picklable callable, for worker processes)."""

    def __init__(self, evaluate, axes):
        self.evaluate, self.axes = evaluate, axes

    def __call__(self, piece: Piece) -> dict:
        return self.evaluate(grid_points(self.axes, piece))


def _shares_disk(eng: Engine, path: Path) -> bool:
    """Whether every worker of the engine sees the directory ``path`` as this process does (always on threads):
    a token written here is read back by each worker."""
    if eng.kind == "threads":
        return True
    token = os.urandom(8).hex()
    probe = path / ".workers-see-this"
    probe.write_text(token)
    try:
        seen = client(eng).run(_reads, str(probe), token)
    except Exception:  # a worker that cannot answer: hand the rows back, which always works
        return False
    finally:
        probe.unlink(missing_ok=True)
    return bool(seen) and all(seen.values())


def _reads(file: str, token: str) -> bool:
    try:
        return Path(file).read_text() == token
    except OSError:
        return False


def _prepare_dir(path: Path) -> None:
    """An empty directory at ``path``: created, or an earlier sweep there replaced (never anything else)."""
    where = Place(file=str(path))
    fix = "write the sweep to a new directory, e.g. -o results.npyd (or delete the existing one first)"
    if path.exists():
        if not path.is_dir():
            raise FileFormatError(where, "exists and is not a directory: a sweep is written as a directory", fix=fix)
        if any(path.iterdir()):
            try:
                ours = json.loads((path / "manifest.json").read_text()).get("format") == FORMAT
            except (OSError, ValueError, AttributeError):
                ours = False
            if not ours:
                raise FileFormatError(where, "exists and holds files that are not a markovwire sweep: writing would "
                                      "mix them with the results", fix=fix)
            shutil.rmtree(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise FileFormatError(where, f"cannot be created ({e.strerror or e})",
                              fix="choose a directory you can write, e.g. -o ./results.npyd") from None


def _write_manifest(path: Path, manifest: dict) -> None:
    """Write the manifest atomically (a reader sees the old one or the new one, never half of one)."""
    tmp = path / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=1))
    os.replace(tmp, path / "manifest.json")
