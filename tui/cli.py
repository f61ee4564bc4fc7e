"""The command line ``markovwire``: check, evaluate, render and browse proposals and libraries.

With no arguments it opens the terminal UI on the shipped default proposal. A
mistake in a file or an option prints one message naming the place and the fix,
and exits with status 1 (with ``--json``, a JSON object ``{"error": {...}}`` on
standard output instead); usage errors exit with status 2. Heavy modules (sympy,
numpy, rich, textual) are imported inside the commands, so ``--help`` is quick.
"""
from __future__ import annotations

import functools
import json
import sys
import time

import click

EXIT_USER_ERROR = 1
EXIT_CANCELLED = 130  # Ctrl+C, as shells report it
MAX_ROWS = 200  # rows of a sweep printed as a table; --json prints them all


def error_dict(err) -> dict:
    """A markovwire error as a JSON object: its class, the place's fields, what went wrong and the fix.

    The error's own ``to_dict`` gives the fields (file, line, keys, box, port) when it has one; the
    place is never parsed out of the message. Several problems at once carry ``errors``, one object each.
    """
    to_dict = getattr(err, "to_dict", None)
    out = dict(to_dict()) if callable(to_dict) else {"type": type(err).__name__, "where": str(err.where or ""),
                                                     "what": err.what, "fix": err.fix, "message": str(err)}
    inner = getattr(err, "errors", None)
    if inner is not None and "errors" not in out:
        out["errors"] = [error_dict(e) for e in inner]
    return out


def json_errors(command):
    """With ``--json``, a user's mistake is printed as ``{"error": {...}}`` on standard output (exit 1).

    Without ``--json`` the error goes on to :func:`main`, which prints its message on standard error.
    """
    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except Exception as err:
            from markovwire.errors import MarkovwireError
            if not (kwargs.get("as_json") and isinstance(err, MarkovwireError)):
                raise
            click.echo(json.dumps({"error": error_dict(err)}, indent=2))
            sys.exit(EXIT_USER_ERROR)
    return run


def _set_limit(ctx: click.Context, param: click.Parameter, value):
    """Raise or lower one of :mod:`markovwire.limits` for this run (a bad value is a usage error, exit 2)."""
    if value is None:
        return
    from markovwire import limits
    from markovwire.errors import MarkovwireError
    option = param.opts[0]
    try:
        if param.name == "max_memory":
            limits.set_memory_budget(limits.parse_bytes(value, option))
            return
        try:
            number = float(value)
        except ValueError:
            raise click.BadParameter(f"{value!r} is not a number", ctx, param) from None
        {"max_cost": limits.set_cost_budget, "max_points": limits.set_sweep_limit,
         "max_boxes": limits.set_figure_limit}[param.name](number)
    except MarkovwireError as err:
        raise click.BadParameter(err.what, ctx, param) from None


def limit_options(command):
    """``--max-memory``, ``--max-cost``, ``--max-points``, ``--max-boxes``: the limits of :mod:`markovwire.limits`,
    accepted before the command (``markovwire --max-cost 1e11 eval …``) and after it."""
    for name, metavar, text in (
            ("--max-boxes", "N", "Lay out figures of up to N boxes (default 500; DOT output has no limit)."),
            ("--max-points", "N", "Allow sweeps of up to N points (default 1e6)."),
            ("--max-cost", "N", "Allow contractions of up to N multiply-adds (default 1e9)."),
            ("--max-memory", "SIZE", "Let one evaluation hold up to SIZE at once, e.g. 8GiB (default 2GiB).")):
        command = click.option(name, metavar=metavar, help=text, expose_value=False, callback=_set_limit)(command)
    return command


def _set_engine(ctx: click.Context, param: click.Parameter, value):
    """Run sweeps and searches on a local dask cluster (``--workers N``) or an existing one (``--scheduler``)."""
    if value is None:
        return
    from markovwire import parallel
    from markovwire.errors import MarkovwireError
    old = parallel.engine()
    try:
        if param.name == "workers":
            parallel.set_engine(workers=value)      # the local cluster starts when a sweep or search needs it
        else:
            parallel.set_engine(scheduler=value)
            parallel.client()                       # a wrong address is refused before any work
    except MarkovwireError as err:
        parallel.set_engine(old)
        raise click.BadParameter(err.what + (f"\n  fix: {err.fix}" if err.fix else ""), ctx, param) from None


def engine_options(command):
    """``--workers N`` and ``--scheduler ADDRESS``: where the pieces of sweeps, search grids and vertex enumerations
    run (default: threads in this process; see :mod:`markovwire.parallel`)."""
    command = click.option("--scheduler", metavar="ADDRESS", expose_value=False, callback=_set_engine,
                           help="Run pieces of sweeps and searches on the dask cluster at ADDRESS "
                                "(e.g. tcp://10.0.0.5:8786; needs markovwire[cluster]).")(command)
    return click.option("--workers", metavar="N", type=click.IntRange(min=1), expose_value=False,
                        callback=_set_engine, help="Run pieces of sweeps and searches on a local cluster of N "
                        "worker processes (needs markovwire[cluster]).")(command)


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="markovwire", prog_name="markovwire")
@limit_options
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Compose AI-system proposals from typed components and get exact numbers out of them.

    Without a command, opens the terminal UI on the shipped default proposal
    (trusted monitoring with a 2% human audit budget).
    """
    if ctx.invoked_subcommand is None:
        _open_ui(None)


@cli.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False))
def tui(file: str | None) -> None:
    """Open the terminal UI on FILE (default: the shipped default proposal)."""
    _open_ui(file)


def _open_ui(file: str | None) -> None:
    from markovwire.library.shipped import default_proposal
    from markovwire.tui.app import run_app

    status = run_app(file if file is not None else str(default_proposal()))
    if status:
        sys.exit(status)


# ----- check ---------------------------------------------------------------------------------
@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: each file's kind and problems.")
@json_errors
def check(files: tuple[str, ...], as_json: bool) -> None:
    """Check library or proposal FILES: report every problem at once (exit 1 if there are any)."""
    from markovwire.library.proposal import check_file

    bad = 0
    reports = []
    for f in files:
        errors = check_file(f)
        if as_json:
            reports.append({"file": f, "kind": _file_kind(f), "ok": not errors,
                            "problems": [error_dict(e) for e in errors]})
            bad += len(errors)
        elif errors:
            bad += len(errors)
            click.echo(f"{f}: {len(errors)} problem(s)", err=True)
            for e in errors:
                click.echo("- " + str(e).replace("\n", "\n  "), err=True)
        else:
            click.echo(f"{f}: ok")
    if as_json:
        click.echo(json.dumps({"files": reports, "ok": not bad}, indent=2))
    if bad:
        sys.exit(EXIT_USER_ERROR)


def _file_kind(path: str) -> str | None:
    """``"library"``, ``"proposal"``, or None when the file cannot be read as either."""
    from markovwire.errors import MarkovwireError
    from markovwire.library.proposal import file_kind

    try:
        return file_kind(path)
    except MarkovwireError:
        return None


# ----- eval ----------------------------------------------------------------------------------------
@cli.command(name="eval")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--set", "sets", multiple=True, metavar="P=V", help="Give parameter P the value V (repeatable).")
@click.option("--sweep", "sweeps", multiple=True, metavar="P=START:STOP:COUNT",
              help="Sweep P over COUNT evenly spaced values (repeatable: a grid). Replaces the file's sweeps.")
@click.option("--point", is_flag=True, help="Evaluate at one point only, ignoring the file's sweeps.")
@click.option("--query", "-q", "queries", multiple=True, metavar="NAME", help="Only these queries (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@click.option("--sensitivity", is_flag=True,
              help="Also rank each query's derivatives with respect to the parameters (at the --set values).")
@click.option("--interval", "intervals", multiple=True, metavar="P=LO:HI",
              help="Let parameter P lie anywhere in [LO, HI] and bound every query (repeatable).")
@click.option("--tv", "radii", multiple=True, metavar="INSTANCE=EPS",
              help="Give INSTANCE a total-variation radius (repeatable; adds to the file's tv_radius entries).")
@click.option("--range", "search_ranges", multiple=True, metavar="P=LO:HI",
              help="Search adversary parameter P over [LO, HI] instead of the file's bounds (repeatable).")
@click.option("-o", "--output", "output", metavar="DIR", type=click.Path(file_okay=False),
              help="Write the sweep to directory DIR piece by piece (.npy arrays and manifest.json; in Python: "
                   "markovwire.open_sweep(DIR)), so that it need not fit in memory.")
@engine_options
@limit_options
@json_errors
def eval_(file: str, sets, sweeps, point: bool, queries, as_json: bool, sensitivity: bool, intervals,
          radii, search_ranges, output: str | None) -> None:
    """Evaluate the queries of proposal FILE (and its sweeps, unless --point).

    Credal entries of the file print lower and upper values; with --interval every query does.
    When instances carry TV radii (tv_radius in the file, or --tv), each query shows the band
    the composition bound certifies around its value. The file's flow claims are checked and its
    natural-latent checks computed (over the sweep, unless it sweeps a size). With -o DIR the sweep
    goes to disk instead, piece by piece; --workers and --scheduler run the pieces on a dask cluster.
    """
    from markovwire.library.proposal import load_proposal, sweep_grid, to_jsonable

    proposal = load_proposal(file)
    values = dict(_parse_set(s) for s in sets)
    _given_once([("--set", s) for s in sets] + [("--sweep", s) for s in sweeps])
    ranges = dict(_parse_interval(s) for s in intervals)
    searched = dict(_parse_interval(s, "--range") for s in search_ranges)
    tv = {**proposal.radii, **dict(_parse_radius(s) for s in radii)}
    chosen = [_parse_sweep(s) for s in sweeps] if sweeps else ([] if point else proposal.sweeps)
    if output is not None:
        _sweep_to_disk(proposal, chosen, "--sweep" if sweeps else proposal.where("sweeps"), output, values,
                       list(queries) or None, searched, as_json)
        return
    axes, grid = sweep_grid(chosen, "--sweep" if sweeps else proposal.where("sweeps"))
    clash = sorted(set(values) & set(axes))
    if clash:      # set on the command line, swept by the file's sweeps:
        typed = next(s for s in sets if s.partition("=")[0].strip() == clash[0])
        raise _error(f"--set {typed}", f"gives {clash[0]!r} a value, but the file's sweeps: section sweeps it",
                     "add --point to evaluate at the --set values only, or drop the --set to sweep it")
    start = time.perf_counter()
    with _progress(not as_json) as report:
        results = proposal.evaluate({**values, **grid}, list(queries) or None, progress=report, ranges=searched)
    seconds = time.perf_counter() - start
    params = {n: (grid[n].tolist() if n in grid else _number(values.get(n, p.default), p.integer))
              for n, p in sorted(proposal.parameters.items())}
    tables, notes = _sensitivities(proposal, values, list(queries) or None) if sensitivity else ({}, [])
    asked = [n for n in (list(queries) or proposal.queries) if n in proposal.queries
             and proposal.queries[n].is_linear]
    with _progress(not as_json, "bounds"):         # their enumerations' pieces show on the bar's second line
        bounds = {n: proposal.bounds(n, ranges, values=values) for n in asked} if ranges else {}
        bands = {n: proposal.band(n, tv, values) for n in asked} if tv else {}
    claims = proposal.claims()
    swept_latents = bool(grid) and not set(grid) & proposal.structural    # a size swept: at the point values
    latents = proposal.natural_latents({**values, **grid} if swept_latents else values)
    infinite = {} if grid else {n: proposal.model(values).why_infinite(n, values) for n, v in results.items()
                                if n in proposal.queries and isinstance(v, float) and v == float("inf")}
    if as_json:
        out = {"proposal": proposal.name, "parameters": params, "sweep": {n: a.tolist() for n, a in axes.items()},
               "queries": to_jsonable(results), "seconds": seconds}
        if sensitivity:
            out["sensitivities"] = {n: t.to_dict() for n, t in tables.items()}
            out["sensitivity_notes"] = notes
        if bounds:
            out["bounds"] = {n: b.to_dict() for n, b in bounds.items()}
        if bands:
            out["bands"] = {n: b.to_dict() for n, b in bands.items()}
        if claims.checks:
            out["claims"] = claims.to_dict()
        if latents:
            out["natural_latents"] = {n: r.to_dict() for n, r in latents.items()}
        if infinite:
            out["infinite"] = infinite
        click.echo(json.dumps(out, indent=2))
        return
    _print_results(proposal, params, axes, grid, results, seconds, infinite)
    if sensitivity:
        _print_sensitivities(tables, notes)
    _print_analyses(bounds, bands, claims, ranges, bool(grid))
    _print_latents(latents, bool(grid) and not swept_latents)
    unbounded = [n for n in (list(queries) or proposal.queries) if n in proposal.queries
                 and proposal.queries[n].kind != "distribution" and not proposal.queries[n].is_linear]
    if unbounded and (ranges or tv):
        click.echo("note: credal bounds and TV bands are for probability and expectation queries; not computed for "
                   + ", ".join(f"{n} ({proposal.queries[n].spec.what})" for n in unbounded))


def _sweep_to_disk(proposal, chosen, where, output: str, values, queries, searched, as_json: bool) -> None:
    """``eval --sweep … -o DIR``: the queries over the grid, written to DIR piece by piece (never whole in memory)."""
    import numpy as np

    from markovwire import parallel
    from markovwire.limits import check_points

    if not chosen:
        raise _error("-o " + output, "writes a sweep, and nothing is swept",
                     "give a sweep: --sweep P=START:STOP:COUNT (or drop -o to print the values)")
    clash = sorted(set(values) & {c[0] if isinstance(c, tuple) else c.parameter for c in chosen})
    if clash:
        raise _error(f"--set {clash[0]}=…", f"gives {clash[0]!r} a value, but it is swept",
                     "drop the --set, or sweep another parameter")
    specs = [c if isinstance(c, tuple) else (c.parameter, c.start, c.stop, c.count) for c in chosen]
    check_points({name: count for name, _, _, count in specs}, where)
    axes = {name: np.linspace(start, stop, int(count)) for name, start, stop, count in specs}
    piece = _ProposalPiece(proposal, values, queries, searched)
    first = piece(parallel.grid_points(axes, (0, 1)))   # the results' names and labels, and the file's mistakes
    results = {name: piece.labels.get(name) for name in first}
    start = time.perf_counter()
    with _progress(not as_json, "sweeping") as report:
        out = parallel.write_sweep(output, axes, piece, results, progress=report,
                                   meta={"proposal": proposal.name, "parameters": {k: float(v) for k, v in
                                                                                  values.items()}})
    seconds = time.perf_counter() - start
    if as_json:
        click.echo(json.dumps({"proposal": proposal.name, "output": str(out.path), "points": int(np.prod(out.shape)),
                               "sweep": {k: [float(v[0]), float(v[-1]), len(v)] for k, v in out.axes.items()},
                               "results": out.names, "pieces": out.pieces, "seconds": seconds}, indent=2))
        return
    shown = " × ".join(f"{k} {v[0]:g}…{v[-1]:g} ({len(v)})" for k, v in out.axes.items())
    click.echo(f"wrote {out.path}: {', '.join(out.names)} over {shown}, {out.pieces} piece(s), {seconds:.2f} s\n"
               f"open it with: markovwire.open_sweep({str(out.path)!r})")


class _ProposalPiece:
    """The queries of a proposal at points of a sweep, as arrays with one row per point (for worker processes)."""

    def __init__(self, proposal, values, queries, ranges):
        self.proposal, self.values, self.queries, self.ranges = proposal, dict(values), queries, dict(ranges)
        self.labels: dict[str, list[str]] = {}

    def __call__(self, points) -> dict:
        import numpy as np
        n = len(next(iter(points.values())))
        res = self.proposal.evaluate({**self.values, **points}, self.queries, ranges=self.ranges)
        out = {}
        for name, v in res.items():
            if isinstance(v, dict):           # a distribution: one column per label
                self.labels[name] = list(v)
                out[name] = np.stack([np.broadcast_to(np.asarray(x, dtype=float).reshape(-1), (n,))
                                      for x in v.values()], axis=1)
            elif getattr(getattr(v, "dtype", None), "kind", None) == "O":   # adversaries and bounds, per point
                flat = list(np.asarray(v).reshape(-1))
                if hasattr(flat[0], "lower"):
                    out[f"{name} lower"] = np.array([b.lower for b in flat], dtype=float)
                    out[f"{name} upper"] = np.array([b.upper for b in flat], dtype=float)
                else:
                    out[name] = np.array([w.value for w in flat], dtype=float)
            else:
                out[name] = np.broadcast_to(np.asarray(v, dtype=float).reshape(-1), (n,))
        return out


def _number(v, integer: bool):
    return int(v) if integer and v is not None else v


def _sensitivities(proposal, values, names):
    """Ranked derivatives of each probability / expectation query at ``values``, and notes on what was skipped."""
    from markovwire.library.sensitivity import sensitivities_of, table_depends_on_parameters

    tables, notes = {}, []
    for name in names or list(proposal.queries):
        q = proposal.queries.get(name)
        if q is None:
            continue  # an adversary or credal entry: an optimum, not a differentiable query
        if not q.is_linear:
            notes.append(f"{name}: {q.spec.what}, not a probability or an expectation; no sensitivity computed")
            continue
        if table_depends_on_parameters(proposal, name):
            notes.append(f"{name}: the table's own dependence on parameters is held fixed at the given values")
        tables[name] = sensitivities_of(proposal, name, values)
    return tables, notes


def _print_sensitivities(tables, notes) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(highlight=False)
    for name, t in tables.items():
        console.print(f"[bold]sensitivities of {escape(name)}[/bold]: {escape(t.query)} = {_fmt(t.value)} "
                      f"[dim]({escape(t.method)})[/dim]")
        st = Table()
        for col in ("parameter", "value", "dq/dp", "elasticity"):
            st.add_column(col, justify="left" if col == "parameter" else "right")
        for r in t.rows:
            st.add_row(r.parameter, _fmt(r.at), _fmt(r.derivative) + (" (Δ=1)" if r.kind != "derivative" else ""),
                       "—" if r.elasticity != r.elasticity else _fmt(r.elasticity))
        console.print(st)
    for n in notes:
        console.print(f"[dim]note: {escape(n)}[/dim]")


def _given_once(options: list[tuple[str, str]]) -> None:
    """Refuse a parameter given a value twice on the command line (by --set or --sweep), naming both.

    ``options`` are ``(option, text as typed)``; a malformed text is left to its own parser.
    """
    seen: dict[str, str] = {}
    for option, text in options:
        name = text.partition("=")[0].strip()
        typed = f"{option} {text}"
        if name and name in seen:
            first = seen[name]
            fix = (f"give {name} one value (keep {first} or {typed}); to compare values, sweep it: "
                   f"--sweep {name}=START:STOP:COUNT" if option == "--set" and first.startswith("--set") else
                   f"sweep {name} once (keep {first} or {typed})" if first.startswith("--sweep") and
                   option == "--sweep" else f"set {name} (--set) or sweep it (--sweep), not both")
            raise _error(f"{first} and {typed}", f"both give parameter {name!r} a value", fix)
        seen.setdefault(name, typed)


def _parse_set(text: str) -> tuple[str, float]:
    from markovwire.library.constructions import constant

    name, eq, value = text.partition("=")
    if not eq or not name.strip() or not value.strip():
        raise _error(f"--set {text!r}", "is not of the form P=V", "write e.g. --set beta=0.01")
    return name.strip(), constant(value.strip(), f"--set {name.strip()}")


def _parse_interval(text: str, option: str = "--interval") -> tuple[str, tuple[float, float]]:
    name, eq, rest = text.partition("=")
    parts = rest.split(":")
    try:
        if not eq or not name.strip() or len(parts) != 2:
            raise ValueError
        lo, hi = float(parts[0]), float(parts[1])
        if not lo <= hi:
            raise ValueError
    except ValueError:
        raise _error(f"{option} {text!r}", "is not of the form P=LO:HI with LO <= HI",
                     f"write e.g. {option} beta=0.01:0.05") from None
    return name.strip(), (lo, hi)


def _parse_radius(text: str) -> tuple[str, float]:
    name, eq, value = text.partition("=")
    try:
        if not eq or not name.strip():
            raise ValueError
        eps = float(value)
        if not 0 <= eps <= 1:
            raise ValueError
    except ValueError:
        raise _error(f"--tv {text!r}", "is not of the form INSTANCE=EPS with EPS in [0, 1]",
                     "write e.g. --tv monitor=0.01") from None
    return name.strip(), eps


def _parse_sweep(text: str) -> tuple[str, float, float, int]:
    name, eq, rest = text.partition("=")
    parts = rest.split(":")
    try:
        if not eq or not name.strip() or len(parts) != 3:
            raise ValueError
        start, stop, count = float(parts[0]), float(parts[1]), int(parts[2])
        if count < 1:
            raise ValueError
    except ValueError:
        raise _error(f"--sweep {text!r}", "is not of the form P=START:STOP:COUNT",
                     "write e.g. --sweep d=0.02:0.5:25 (COUNT a whole number, at least 1)") from None
    return name.strip(), start, stop, count


def _error(where: str, what: str, fix: str):
    from markovwire.errors import ParameterError
    return ParameterError(where, what, fix)


class _progress:
    """A rich progress bar on stderr that appears only once a sweep has taken more than a second.

    The pieces of every run of :mod:`markovwire.parallel` inside the block (a credal enumeration, an adversary's
    grid, a sweep's pieces) show on a second line. Only on a terminal and not under CI (``CI=true``): piped or
    captured, standard error keeps only the messages (no stray line from the bar).
    """

    def __init__(self, enabled: bool, label: str = "evaluating"):
        import os
        enabled = enabled and os.environ.get("CI", "").lower() not in ("true", "1")
        self.enabled, self.bar, self.start = enabled, None, time.perf_counter()
        self.label, self.tasks, self.inner = label, {}, None

    def __enter__(self):
        from markovwire import parallel
        self.inner = parallel.reporting(self.pieces)
        self.inner.__enter__()
        return self.report

    def report(self, done: int, total: int) -> None:
        self._show(self.label, done, total)

    def pieces(self, done: int, total: int) -> None:
        """The pieces of a run inside one evaluation, on a line of their own."""
        self._show("  pieces", done, total)

    def _show(self, line: str, done: int, total: int) -> None:
        if not self.enabled or total <= 1:
            return
        if self.bar is None:
            if time.perf_counter() - self.start < 1.0:
                return
            from rich.console import Console
            from rich.progress import Progress
            console = Console(stderr=True)
            if not console.is_terminal:
                self.enabled = False
                return
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TextColumn("pieces"), TimeRemainingColumn(), console=console, transient=True)
            self.bar.start()
        if line not in self.tasks:
            self.tasks[line] = self.bar.add_task(line, total=total)
        self.bar.update(self.tasks[line], completed=done, total=total)

    def __exit__(self, *exc):
        if self.inner is not None:
            self.inner.__exit__(None, None, None)
        if self.bar is not None:
            self.bar.stop()
        return False


def _fmt(v) -> str:
    return "nan" if v != v else f"{v:.6g}"


def _short(text: str, width: int = 60) -> str:
    """The first clause of a doc line, cut to ``width`` characters."""
    first = text.split("; ")[0].split(". ")[0].strip()
    return first if len(first) <= width else first[:width - 1] + "…"


def _print_results(proposal, params, axes, grid, results, seconds, infinite) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from markovwire.analysis.adversary import KernelAdversary, WorstCase

    console = Console(highlight=False)
    console.print(f"[bold]{escape(proposal.name)}[/bold]" + (f" — {escape(proposal.doc)}" if proposal.doc else ""))
    pt = Table(title="parameters", title_justify="left")
    for col in ("name", "value", "domain", "meaning"):
        pt.add_column(col)
    for n, v in params.items():
        p = proposal.all_parameters[n]
        shown = f"{_fmt(axes[n][0])} … {_fmt(axes[n][-1])} ({len(axes[n])} values)" if n in axes else \
            ("—" if v is None else _fmt(float(v)))
        pt.add_row(n, shown, escape(f"[{_fmt(p.domain[0])}, {_fmt(p.domain[1])}]"), escape(_short(p.doc)))
    console.print(pt)
    if not grid:
        qt = Table(title="queries", title_justify="left")
        for col in ("name", "question", "value"):
            qt.add_column(col)
        for name, v in results.items():
            if isinstance(v, WorstCase):
                shown = f"{_fmt(v.value)} at {v.location}" + "".join(f"\n{note}" for note in v.edge_notes)
                qt.add_row(name, escape(f"{v.sense} {v.query} over {', '.join(v.choice)}"),
                           escape(shown + _measured_text(v)))
            elif name in proposal.credal:
                qt.add_row(name, escape(f"bounds of {proposal.credal[name].query}"), escape(_interval(v)))
            elif isinstance(v, KernelAdversary):
                qt.add_row(name, escape(f"{v.sense} {v.query} over every kernel of {v.box}"),
                           escape(_fmt(v.value) + _measured_text(v)))
            elif isinstance(v, dict):
                qt.add_row(name, escape(str(proposal.queries[name])), "")
                for label, x in v.items():
                    qt.add_row("", escape(f"  {label}"), _fmt(x))
            else:
                why = f" ({infinite[name]})" if infinite.get(name) else ""
                qt.add_row(name, escape(str(proposal.queries[name])), escape(_fmt(v) + why))
        console.print(qt)
    else:
        st = Table(title="sweep", title_justify="left")
        swept = list(grid)
        cols = []
        for n in swept:
            st.add_column(n, justify="right")
        for name, v in results.items():
            if isinstance(v, dict):
                for label in v:
                    cols.append((f"{name}[{label}]", v[label].reshape(-1)))
            elif name in proposal.credal:
                flat = v.reshape(-1)
                cols += [(f"{name} lower", [b.lower for b in flat]), (f"{name} upper", [b.upper for b in flat])]
            elif getattr(getattr(v, "dtype", None), "kind", None) == "O":  # adversary outcomes, one per point
                flat = v.reshape(-1)
                cols.append((name, [w.value for w in flat]))
                for k in getattr(flat[0], "choice", ()):
                    cols.append((f"{name}: {k}", [w.choice[k] for w in flat]))
            else:
                cols.append((name, v.reshape(-1)))
        for c, _ in cols:
            st.add_column(c, justify="right")
        n_points = len(grid[swept[0]])
        shown = range(n_points) if n_points <= MAX_ROWS else [*range(MAX_ROWS // 2), *range(n_points - MAX_ROWS // 2,
                                                                                            n_points)]
        for k, i in enumerate(shown):
            if k == MAX_ROWS // 2 and n_points > MAX_ROWS:
                st.add_row(*(["…"] * (len(swept) + len(cols))))
            st.add_row(*([_fmt(grid[n][i]) for n in swept] + [_fmt(float(col[i])) for _, col in cols]))
        console.print(st)
        if n_points > MAX_ROWS:
            console.print(f"{n_points:,} points: the first and last {MAX_ROWS // 2} are shown; --json prints "
                          "every row (markovwire eval FILE --json > rows.json)")
    console.print(f"[dim]{seconds:.2f} s[/dim]")
    for name, v in results.items():
        if (name in proposal.credal or isinstance(v, KernelAdversary)) and not grid:
            console.print(f"[bold]{escape(name)}[/bold]: {escape(str(v))}")
        elif isinstance(v, WorstCase) and v.measured is not None and not grid:
            console.print(f"[bold]{escape(name)}[/bold]:\n{escape(str(v.measured))}")


def _measured_text(v) -> str:
    """A worst case's range over the measured kernels' credal sets, for its cell (empty when nothing is measured)."""
    m = v.measured
    if m is None:
        return ""
    return (f"\nmeasured ({', '.join(m.instances)}): [{_fmt(m.lower)}, {_fmt(m.upper)}] at red's optimum"
            f"\nrobust (nature with red): {_fmt(m.robust)}")


def _interval(b) -> str:
    """``[lower, upper]`` and how far it is certified, in one line."""
    kind = ("exact" if getattr(b, "tight", b.exact) else "exact (adaptive)" if b.exact else "inner bound")
    return f"[{_fmt(b.lower)}, {_fmt(b.upper)}] {kind}"


def _print_analyses(bounds, bands, claims, ranges, swept: bool) -> None:
    """Credal bounds from --interval, TV bands, and the file's flow claims, as tables."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(highlight=False)
    at = " (at the point values; sweeps are not bounded)" if swept else ""
    if bounds:
        shown = ", ".join(f"{n} ∈ [{_fmt(lo)}, {_fmt(hi)}]" for n, (lo, hi) in ranges.items())
        t = Table(title=f"credal bounds with {shown}{at}", title_justify="left")
        for col in ("query", "lower", "upper", "certified", "attained at (lower | upper)"):
            t.add_column(col)
        from markovwire.analysis.credal import show_choice
        for n, b in bounds.items():
            t.add_row(n, _fmt(b.lower), _fmt(b.upper), escape(_interval(b).split("] ")[1]),
                      escape(f"{show_choice(b.lower_choice)} | {show_choice(b.upper_choice)}"))
        console.print(t)
    if bands:
        t = Table(title=f"total-variation bands{at}", title_justify="left")
        for col in ("query", "value", "±", "certified band", "exact worst case", "radii that count"):
            t.add_column(col)
        for n, b in bands.items():
            radii = ", ".join(f"{k} {e:g}" for k, e in b.radii.items()) or "none reach it"
            exact = f"[{_fmt(b.exact_lower)}, {_fmt(b.exact_upper)}]" if b.exact_lower is not None else "not computed"
            t.add_row(n, _fmt(b.value), _fmt(b.half_width), f"[{_fmt(b.lower)}, {_fmt(b.upper)}]", exact,
                      escape(radii + (f" ({b.note})" if b.note else "")))
        console.print(t)
        why: dict[str, list[str]] = {}
        for n, b in bands.items():
            if b.exact_note and b.exact_lower is None:
                why.setdefault(b.exact_note, []).append(n)
        for note, names in why.items():
            console.print(escape(f"exact worst case not computed for {', '.join(names)}: {note}"))
    if claims.checks:
        t = Table(title="flow claims", title_justify="left")
        for col in ("claim", "holds", "path that breaks it"):
            t.add_column(col)
        for c in claims.checks:
            t.add_row(escape(c.claim), "yes" if c.holds else "[red]no[/red]", escape(c.path or ""))
        console.print(t)


def _print_latents(latents, unswept: bool) -> None:
    """The file's natural-latent checks: the mediation error, each redundancy error (both forms), the verdict;
    over a sweep, each error's lowest and highest value and at how many points the latent is natural."""
    import numpy as np
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    if not latents:
        return
    show = lambda v: _fmt(v) if np.ndim(v) == 0 else "nan" if np.isnan(v).all() else \
        f"{_fmt(np.nanmin(v))} … {_fmt(np.nanmax(v))}" + (" (nan: impossible evidence)" if np.isnan(v).any() else "")
    at = " (at the point values; sweeps of sizes are not checked)" if unswept else ""
    t = Table(title=f"natural latents{at}", title_justify="left")
    for col in ("check (latent)", "mediation", "over", "H(Λ | Xi)", "KL form", "natural"):
        t.add_column(col, overflow="fold")
    for n, r in latents.items():
        if r.natural is None:
            verdict = ""
        elif np.ndim(r.natural):
            verdict = f"at {int(np.sum(r.natural))} of {np.size(r.natural)} points, ε = {r.epsilon:g}"
        else:
            verdict = ("yes" if r.natural else "[red]no[/red]") + f" at ε = {r.epsilon:g}"
        for i, (o, h, k) in enumerate(zip(r.observables, r.redundancy, r.redundancy_kl)):
            first = i == 0
            name = n + (f"\n({', '.join(r.latent)})" if len(r.observables) == 1 else "")
            t.add_row(escape(name) if first else escape(f"({', '.join(r.latent)})") if i == 1 else "",
                      f"{show(r.mediation)} {r.unit}" if first else "", escape(", ".join(o)), show(h), show(k),
                      verdict if first else "", end_section=i == len(r.observables) - 1)
    Console(highlight=False).print(t)


# ----- render -----------------------------------------------------------------------------------
@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The figure to write: .svg, .png, .pdf, .dot or .tex (a standalone TikZ picture).")
@click.option("--direction", metavar="LR|TB", help="Wires run left to right (LR) or top to bottom (TB). "
              "Default LR, or TB when --width is given, LR does not fit it and TB shrinks less.")
@click.option("--width", metavar="WIDTH", help="Fit the figure to a width: column (3.3in), page (6.5in), or a "
              "length such as 3.3in, 8cm, 80mm, 240pt (it is scaled down, never up).")
@click.option("--font", metavar="NAME", help="The font family of all text (default Helvetica).")
@click.option("--dpi", type=int, metavar="N", help="Pixels per inch of a PNG (default 144).")
@click.option("--hide-types", is_flag=True, default=None, help="Wires without their type labels.")
@click.option("--labels", metavar="instance|component|both",
              help="What a box shows: its instance name (default), its library component, or both.")
@click.option("--collapse", metavar="NAME", multiple=True, help="Draw nested diagram NAME as one box (repeatable).")
@click.option("--theme", metavar="paper|slides",
              help="paper: black on white, small text, thin lines; slides: the default look.")
@limit_options
def render(file: str, output: str, **options) -> None:
    """Draw the wiring of proposal FILE to OUTPUT (the format follows the suffix), with the options of
    markovwire.diagrams.RenderOptions."""
    from markovwire.diagrams.render import render as draw
    from markovwire.diagrams.style import RenderOptions
    from markovwire.errors import MarkovwireError, Place
    from markovwire.library.proposal import load_proposal

    options = RenderOptions.of(**{k: v for k, v in options.items() if v not in (None, ())})
    _check_output(file, output)
    proposal = load_proposal(file)
    try:
        path = draw(proposal.wiring, output, options=options)
    except MarkovwireError as err:
        raise err if err.file else err.relocated(Place(file=file).nest(err.place)) from None
    click.echo(f"wrote {path}")


_FIGURE_STARTS = {".svg": (b"<?xml", b"<svg", b"<!DOCTYPE svg", b"<!--"), ".png": (b"\x89PNG",), ".pdf": (b"%PDF",),
                  ".dot": (b"digraph", b"graph", b"strict", b"//", b"/*"),
                  ".tex": (b"% markovwire figure",)}  # tikz.HEADER: a figure markovwire wrote, never a paper


def _check_output(file: str, output: str) -> None:
    """Refuse an OUTPUT that would overwrite something that is not a figure: the proposal being drawn, or an
    existing file whose contents are not a figure of its format (a proposal named ``x.svg``)."""
    import os

    from markovwire.errors import Place, RenderError

    fix = f"write the figure to another file, e.g. -o figure.svg (or delete {output} first to replace it)"
    try:
        if os.path.exists(output) and os.path.exists(file) and os.path.samefile(file, output):
            same = "" if output == file else f" ({file})"
            raise RenderError(Place(file=output), f"is the proposal being drawn{same}: rendering would overwrite it "
                              "with the figure", fix=fix)
        if not os.path.lexists(output):
            return
        if not os.path.isfile(output):
            raise RenderError(Place(file=output), "exists and is not a regular file", fix=fix)
        with open(output, "rb") as f:
            head = f.read(1024)
    except OSError:
        return          # the writer reports what is wrong with the path
    starts = _FIGURE_STARTS.get(os.path.splitext(output)[1].lower())
    if head.strip() and starts is not None and not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(starts):
        shown = head.split(b"\n", 1)[0][:40].decode("utf-8", "replace")
        raise RenderError(Place(file=output), f"exists and is not a {os.path.splitext(output)[1].lower()} figure "
                          f"(it starts {shown!r}): rendering would overwrite it", fix=fix)


# ----- plot -------------------------------------------------------------------------------------------
@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The figure to write: .svg, .png or .pdf.")
@click.option("--sweep", "sweeps", multiple=True, metavar="P=START:STOP:COUNT",
              help="Sweep P (repeatable: the first is the x axis, the others one curve per value). "
                   "Replaces the file's sweeps.")
@click.option("--query", "-q", "queries", multiple=True, metavar="NAME",
              help="Plot only these queries (repeatable; default: every query).")
@click.option("--set", "sets", multiple=True, metavar="P=V", help="Give parameter P the value V (repeatable).")
@click.option("--interval", "intervals", multiple=True, metavar="P=LO:HI",
              help="Shade each query's credal bounds with P anywhere in [LO, HI] (repeatable).")
@click.option("--tv", "radii", multiple=True, metavar="INSTANCE=EPS",
              help="Shade each query's TV band (and its exact worst case) with INSTANCE at TV radius EPS.")
@click.option("--sensitivity", is_flag=True,
              help="Draw each query's elasticities at the --set values as bars, instead of a sweep.")
@click.option("--width", metavar="WIDTH", default="column", show_default=True,
              help="Figure width: column (3.3in), page (6.5in), or a length such as 3.3in, 8cm, 80mm, 240pt.")
@click.option("--dpi", type=click.IntRange(min=50, max=1200), default=300, show_default=True,
              help="Resolution of a PNG.")
@engine_options
@limit_options
def plot(file: str, output: str, sweeps, queries, sets, intervals, radii, sensitivity: bool, width: str,
         dpi: int) -> None:
    """Plot the queries of proposal FILE along a sweep (the file's sweeps unless --sweep) to OUTPUT, for a paper.

    A distribution query draws one curve per label. --interval and --tv shade the bounds eval prints, computed at
    every point of the sweep.
    """
    from markovwire.diagrams.style import parse_width
    from markovwire.library.plots import check_format, save_figure, sensitivity_figure, sweep_figure
    from markovwire.library.proposal import load_proposal

    check_format(output)
    inches = parse_width(width)
    _check_output(file, output)
    proposal = load_proposal(file)
    _given_once([("--set", s) for s in sets] + [("--sweep", s) for s in sweeps])
    values = dict(_parse_set(s) for s in sets)
    if sensitivity:
        if sweeps or intervals or radii:
            raise _error("--sensitivity", "draws the elasticities at one point, not along a sweep or with bounds",
                         "drop --sweep, --interval and --tv (give the point with --set)")
        fig = sensitivity_figure(proposal, list(queries) or None, values, width=inches)
    else:
        fig = sweep_figure(proposal, [_parse_sweep(s) for s in sweeps] or None, list(queries) or None, values,
                           dict(_parse_interval(s) for s in intervals), dict(_parse_radius(s) for s in radii),
                           width=inches)
    click.echo(f"wrote {save_figure(fig, output, dpi=dpi)}")


# ----- control games ----------------------------------------------------------------------------------
def _game_options(command):
    """``--blue``, ``--set``, ``--pure``, ``--robust`` and ``--json``, shared by ``solve`` and ``frontier``."""
    for option in reversed([
            click.option("--blue", "blue", metavar="NAME", help="The blue: entry (default: the file's only one)."),
            click.option("--set", "sets", multiple=True, metavar="P=V", help="Give parameter P the value V."),
            click.option("--pure", is_flag=True, help="Blue commits to one protocol (Stackelberg, pure commitment) "
                         "instead of a mixture."),
            click.option("--robust/--no-robust", default=None,
                         help="Also solve with the kernels measured from data (data:) chosen anywhere in their "
                              "credal sets on the red team's side (default: robust when the file measures one)."),
            click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")]):
        command = option(command)
    return command


def _game_values(proposal, sets) -> dict:
    _given_once([("--set", s) for s in sets])
    return dict(_parse_set(s) for s in sets)


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@_game_options
@click.option("--lipschitz", type=click.FloatRange(min=0, min_open=True), metavar="L",
              help="A bound on the safety query's slope in each chosen parameter: the search over the parameters' "
                   "whole ranges then gives a certified bracket.")
@engine_options
@limit_options
@json_errors
def solve(file: str, blue: str | None, sets, pure: bool, robust: bool | None, as_json: bool,
          lipschitz: float | None) -> None:
    """The blue team's best protocol in FILE against the red team's best reply (a blue: entry and its adversary
    entries): the value, both strategies (mixtures with their weights), the solution concept and what is guaranteed.
    """
    from markovwire.library.game import blue_name, red_entries
    from markovwire.library.proposal import load_proposal

    proposal = load_proposal(file)
    values = _game_values(proposal, sets)
    name = blue_name(proposal, blue)
    eq = proposal.solve(name, values, mixed=not pure, robust=robust, lipschitz=lipschitz)
    entry = proposal.spec.blue[name]
    if as_json:
        click.echo(json.dumps({"proposal": proposal.name, "blue_entry": name, "query": entry.query,
                               "against": red_entries(proposal.spec, name), "parameters": values, **eq.to_dict()},
                              indent=2))
        return
    from rich.console import Console
    from rich.markup import escape

    console = Console(highlight=False)
    console.print(f"[bold]{escape(proposal.name)}[/bold]: blue entry {escape(name)} against "
                  f"{escape(', '.join(red_entries(proposal.spec, name)))}")
    console.print(f"value: {escape(entry.query)} = {_fmt(eq.value)}"
                  + (f" (robust {_fmt(eq.robust.value)}: [{_fmt(eq.robust.value)}, {_fmt(eq.value)}] over the "
                     "measured kernels' credal sets)" if eq.robust is not None else ""))
    for head, e in (("", eq), ("robust ", eq.robust)):
        if e is None:
            continue
        if head:
            console.print(f"robust value: {escape(entry.query)} = {_fmt(e.value)}")
        console.print(f"{head}concept: {escape(e.concept)}")
        for side, strategy in (("blue", e.blue), ("red", e.red)):
            _print_strategy(console, head + side, strategy)
        for k, v in e.constraints.items():
            console.print(f"{head}constraint: {escape(k)} (at the equilibrium: {_fmt(v)})")
        if e.bracket is not None:
            console.print(f"{head}bracket: [{_fmt(e.bracket[0])}, {_fmt(e.bracket[1])}]")
        console.print(f"{head}guarantee: {escape(e.guarantee)}")


def _print_strategy(console, side: str, strategy) -> None:
    """One side's strategy: its pure protocol, or each protocol of its mixture with its weight."""
    from rich.markup import escape

    from markovwire.library.game import protocols

    lines = protocols(strategy)
    if len(lines) == 1:
        console.print(f"{side}: {escape(lines[0])}")
        return
    console.print(f"{side}: a mixture of {len(lines)} protocols")
    for line in lines:
        console.print("  " + escape(line).replace("\n", "\n  "))       # a policy by step and state: its lines


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--safety", metavar="Q", help="The safety query (default: the blue entry's query).")
@click.option("--usefulness", metavar="Q", required=True, help="The usefulness query (measured on the honest model).")
@click.option("--weights", type=click.IntRange(min=2, max=1001), default=21, show_default=True, metavar="N",
              help="Trace the frontier at N evenly spaced weights of usefulness against safety.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Also draw it: .svg, .png or .pdf.")
@click.option("--published", multiple=True, metavar="S:U[:LABEL]",
              help="Overlay a published point (safety S, usefulness U) on the figure (repeatable).")
@click.option("--width", metavar="WIDTH", default="column", show_default=True,
              help="Figure width: column (3.3in), page (6.5in), or a length such as 3.3in, 8cm.")
@_game_options
@engine_options
@limit_options
@json_errors
def frontier(file: str, safety: str | None, usefulness: str, weights: int, output: str | None, published,
             width: str, blue: str | None, sets, pure: bool, robust: bool | None, as_json: bool) -> None:
    """The safety-usefulness Pareto frontier of FILE's blue: entry: for each weight of usefulness against safety,
    the blue team's best protocol, its safety against the red team's best reply, its usefulness, and red's reply.
    """
    from markovwire.library.game import blue_name, protocols
    from markovwire.library.proposal import load_proposal

    points = [_parse_published(p) for p in published]
    if output is not None:
        from markovwire.diagrams.style import parse_width
        from markovwire.library.plots import check_format, check_width
        check_format(output)
        inches = check_width(parse_width(width))
        _check_output(file, output)
    elif points:
        raise _error("--published", "draws points on the figure, and no figure is asked for",
                     "add -o frontier.svg (or .pdf, .png)")
    proposal = load_proposal(file)
    values = _game_values(proposal, sets)
    name = blue_name(proposal, blue)
    fr = proposal.frontier(safety, usefulness, name, values, weights=weights, mixed=not pure, robust=robust)
    if output is not None:
        from markovwire.library.plots import frontier_figure, save_figure
        written = save_figure(frontier_figure(proposal, fr, points, width=inches), output)
    if as_json:
        click.echo(json.dumps({"proposal": proposal.name, "blue_entry": name, "parameters": values, **fr.to_dict()},
                              indent=2))
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(highlight=False)
    console.print(f"[bold]{escape(proposal.name)}[/bold]: frontier of blue entry {escape(name)} "
                  f"({escape(fr.safety)} against the red team's best reply; {escape(fr.usefulness)})")
    table = Table()
    safety_col = fr.safety + (" [robust, point]" if fr.robust else "")
    for col in ("weight", safety_col, fr.usefulness, "blue", "red"):
        table.add_column(escape(col), justify="right" if col not in ("blue", "red") else "left")
    for p in fr.points:
        weight = "-" if p.weight is None else f"{p.weight:.3g}"     # a Pareto point no weight reaches: None
        safe = _fmt(p.safety) if p.robust_safety is None else f"[{_fmt(p.robust_safety)}, {_fmt(p.safety)}]"
        table.add_row(weight, safe, _fmt(p.usefulness), escape("\n".join(protocols(p.blue))),
                      escape("\n".join(protocols(p.red))))
    console.print(table)
    console.print(f"concept: {escape(fr.concept)}")
    if fr.robust:
        console.print(escape(fr.robust))
    if output is not None:
        console.print(f"wrote {escape(written)}")


def _parse_published(text: str):
    from markovwire.library.plots import Published

    parts = text.split(":", 2)
    try:
        if len(parts) < 2:
            raise ValueError
        return Published(float(parts[0]), float(parts[1]), parts[2] if len(parts) > 2 else "")
    except ValueError:
        raise _error(f"--published {text!r}", "is not of the form SAFETY:USEFULNESS[:LABEL]",
                     "write e.g. --published 0.62:0.97:'defer 0%'") from None


# ----- diff and flow --------------------------------------------------------------------------------
@cli.command(name="diff")
@click.argument("old", type=click.Path(dir_okay=False))
@click.argument("new", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@json_errors
def diff_(old: str, new: str, as_json: bool) -> None:
    """What changed from proposal OLD to NEW: boxes, wires, parameters, and every query both ask."""
    from markovwire.library.diff import proposal_diff
    from markovwire.library.proposal import load_proposal

    a, b = load_proposal(old), load_proposal(new)
    out = proposal_diff(a, b)
    if as_json:
        click.echo(json.dumps({"old": a.name, "new": b.name, **out.to_dict()}, indent=2))
        return
    click.echo(f"{a.name} → {b.name}" + ("" if out.queries else " (no query in common)"))
    click.echo(str(out))


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.argument("wire_a", required=False)
@click.argument("wire_b", required=False)
@click.option("--given", "given", multiple=True, metavar="W", help="Condition on wire W (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@json_errors
def flow(file: str, wire_a: str | None, wire_b: str | None, given, as_json: bool) -> None:
    """Check the flow claims of FILE, or whether WIRE_A is independent of WIRE_B (given the --given wires).

    Without wires, every claim under 'claims:' in the file is checked (exit 1 if one fails). With two
    wires, d-separation decides: "yes" holds for every choice of kernels; "no" shows an active path
    along which information can flow. Name wires as in queries: an outer port, box.port, or a wire of the net.
    """
    from markovwire.analysis import independent
    from markovwire.library.proposal import load_proposal

    proposal = load_proposal(file)
    if wire_a is None or wire_b is None:
        if wire_a is not None or given:
            raise _error("flow", "needs two wires to compare (or none, to check the file's claims)",
                         "give WIRE_A and WIRE_B, or leave out the wires and --given")
        claims = proposal.claims()
        if as_json:
            click.echo(json.dumps({"proposal": proposal.name, **claims.to_dict()}, indent=2))
        elif not claims.checks:
            click.echo(f"{proposal.name} makes no flow claims (add them under 'claims:')")
        else:
            click.echo(str(claims))
        if not claims.all_hold:
            sys.exit(EXIT_USER_ERROR)
        return
    a, b = proposal.wire(wire_a, "flow WIRE_A"), proposal.wire(wire_b, "flow WIRE_B")
    z = [proposal.wire(w, f"flow --given {w}") for w in given]
    check = independent(proposal.net(), [a], [b], z)
    if as_json:
        click.echo(json.dumps({"proposal": proposal.name, "independent": check.holds, **check.to_dict()}, indent=2))
        return
    click.echo(str(check))


# ----- library --------------------------------------------------------------------------------
@cli.group()
def library() -> None:
    """Browse and validate component libraries."""


@library.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@json_errors
def library_list(as_json: bool) -> None:
    """List the components of every library found, and the shipped proposals."""
    from markovwire.library import available_libraries, load_library, shipped_proposals

    components, problems = [], []
    for name, path in available_libraries().items():
        try:
            lib = load_library(path)
        except Exception as err:  # a broken library from elsewhere is reported, not fatal for the listing
            from markovwire.errors import MarkovwireError
            if not isinstance(err, MarkovwireError):
                raise
            problems.append(f"{name}: {err}")
            continue
        components += [{"library": lib.name, "name": c.name, "signature": c.signature, "doc": c.doc}
                       for c in lib.components.values()]
    proposals = [{"name": p.stem, "path": str(p)} for p in shipped_proposals()]
    if as_json:  # broken plugins are on standard error already (once per run); here they are listed too
        from markovwire.library.discovery import library_problems
        problems += [str(e) for e in library_problems()]
        click.echo(json.dumps({"components": [{k: c[k] for k in ("library", "name", "signature")} for c in components],
                               "proposals": proposals, "problems": problems}, indent=2))
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(highlight=False)
    t = Table(title="components", title_justify="left")
    for col in ("library", "component", "signature"):
        t.add_column(col)
    for c in components:
        t.add_row(escape(c["library"]), escape(c["name"]), escape(c["signature"]))
    console.print(t)
    pt = Table(title="shipped proposals", title_justify="left")
    pt.add_column("proposal")
    pt.add_column("path", overflow="fold")
    for p in proposals:
        pt.add_row(escape(p["name"]), escape(p["path"]))
    console.print(pt)
    for msg in problems:
        click.echo(f"could not load {msg}", err=True)


@library.command(name="show")
@click.argument("name")
def library_show(name: str) -> None:
    """Show library NAME (its components) or component NAME (signature, meaning, source, kernel)."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from markovwire.library import available_libraries, find_component, load_library

    console = Console(highlight=False)
    libs = available_libraries()
    if name in libs:
        lib = load_library(libs[name])
        console.print(f"[bold]{escape(lib.name)}[/bold] {escape(lib.version)}  ({escape(lib.filename)})\n"
                      f"{escape(lib.doc)}")
        t = Table(title="components", title_justify="left")
        for col in ("component", "signature", "meaning"):
            t.add_column(col)
        for c in lib.components.values():
            t.add_row(c.name, escape(c.signature), escape(_short(c.doc, 80)))
        console.print(t)
        return
    comp = find_component(name)
    console.print(f"[bold]{escape(comp.qualname)}[/bold]: {escape(comp.signature)}")
    console.print(escape(comp.doc))
    if comp.source:
        console.print(f"[dim]source:[/dim] {escape(comp.source)}")
    if comp.spec.parameters:
        t = Table(title="parameters", title_justify="left")
        for col in ("name", "default", "domain", "meaning"):
            t.add_column(col)
        for n in comp.spec.parameters:
            p = comp.library.parameters[n]
            t.add_row(n, "—" if p.default is None else _fmt(p.default),
                      escape(f"[{_fmt(p.domain[0])}, {_fmt(p.domain[1])}]"), escape(_short(p.doc, 80)))
        console.print(t)
    kernel = comp.instantiate(comp.name)
    k = getattr(kernel, "step", None) or kernel.kernel
    header, rows = k.table()
    kt = Table(title=f"kernel ({comp.spec.kernel.kind}"
               + (f" {comp.spec.kernel.construction}" if comp.spec.kernel.construction else "") + ")",
               title_justify="left")
    for h in header:
        kt.add_column(h)
    for r in rows[:60]:
        kt.add_row(*map(escape, r))
    console.print(kt)
    if len(rows) > 60:
        console.print(f"… {len(rows) - 60} more rows")


@library.command(name="validate")
@click.argument("file", type=click.Path(dir_okay=False))
def library_validate(file: str) -> None:
    """Validate the component library FILE: the schema, the types and every kernel."""
    from pathlib import Path

    from markovwire.library import load_library
    from markovwire.library.loader import flatten

    try:
        lib = load_library(Path(file))
        errors = lib.problems()
    except Exception as err:
        from markovwire.errors import MarkovwireError
        if not isinstance(err, MarkovwireError):
            raise
        errors = flatten(err)
    if errors:
        click.echo(f"{file}: {len(errors)} problem(s)", err=True)
        for e in errors:
            click.echo("- " + str(e).replace("\n", "\n  "), err=True)
        sys.exit(EXIT_USER_ERROR)
    click.echo(f"{file}: ok (library {lib.name} {lib.version}, {len(lib.components)} components)")


# ----- schema -------------------------------------------------------------------------------------
@cli.command()
@click.option("--kind", type=click.Choice(["both", "library", "proposal"]), default="both",
              help="Which file kind (default: both, keyed 'library' and 'proposal').")
def schema(kind: str) -> None:
    """Print the JSON Schema of library and proposal files (for editors that validate YAML)."""
    from markovwire.library.schema import json_schemas

    schemas = json_schemas()
    click.echo(json.dumps(schemas if kind == "both" else schemas[kind], indent=2))


# ----- entry point ------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    """Run the command line; a user's mistake prints its message (no traceback) and exits with status 1."""
    from markovwire.errors import Cancelled, MarkovwireError

    try:
        cli.main(args=argv, prog_name="markovwire", standalone_mode=True)
    except Cancelled as err:
        click.echo(f"{err}", err=True)
        sys.exit(EXIT_CANCELLED)
    except MarkovwireError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(EXIT_USER_ERROR)
    finally:
        parallel = sys.modules.get("markovwire.parallel")
        if parallel is not None:
            parallel.shutdown()   # a local cluster started by --workers
