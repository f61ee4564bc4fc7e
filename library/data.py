"""Kernels measured from evaluation logs: an instance's ``data:`` entry read into counts and an estimate.

A proposal may take a plain component's kernel from samples instead of its table::

    monitor:
      component: trusted_monitor_table
      data: {file: trusted_monitoring_eval.csv, columns: {act: [mode, backdoor_works], sus: score},
             labels: {act: {honest: {_: clean}, attack: {"true": backdoor_ok, "false": backdoor_broken}}},
             bins: {sus: [-10, 1.645, 2.054, 10]}, confidence: 0.95}

The file is relative to the proposal; a bare file name that is not there names a log shipped with
markovwire (``library/shipped/data``). The component gives the signature; every port is read from a
column of the file (a CSV file with a header, ``.csv``, or JSON Lines, ``.jsonl``: one JSON object a
line), one sample per row.
A column's value is the port's label as it is, or mapped through ``labels`` (nested one level
per column when a port reads several; ``_`` matches any value), or a number put in a bin of
``bins`` (bin ``i`` is label ``i``). The counts give the point kernel (empirical) and its credal
set (:func:`markovwire.estimate.estimate`), which :mod:`.bounds` adds to every credal bound.

The file is untrusted: it is parsed by :mod:`csv` or :mod:`json` only (nothing is executed),
refused past :data:`MAX_DATA_BYTES` bytes or :data:`MAX_ROWS` rows before counting, and every
bad row (up to :data:`MAX_PROBLEMS`) is reported with ``file:line``, the column and a fix.
"""
from __future__ import annotations

import csv
import dataclasses
import difflib
import io
import json
import math
import os
from pathlib import Path
from typing import Callable, Iterator, Mapping

import numpy as np

from markovwire.diagrams.yamlsafe import read_text, regular_file
from markovwire.errors import FileFormatError, MarkovwireError, ParameterError, Place, UnknownName
from markovwire.estimate import Estimate, bin_index, check_edges, estimate

from .loader import _display, flatten, raise_all
from .schema import DataSpec

MAX_DATA_BYTES = 50_000_000   # bytes of one data file
MAX_ROWS = 1_000_000          # samples of one data file
MAX_PROBLEMS = 20             # bad rows reported before reading stops
MAX_COLUMNS = 10_000          # columns of a CSV file's header
SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def measure(spec: DataSpec, dom, cod, name: str, base: Path | None, where: Callable[..., Place]) -> Estimate:
    """The estimate of the kernel ``dom -> cod`` of instance ``name`` from its ``data:`` entry; ``where(*keys)`` is
    the place of a key of the entry in the proposal file, ``base`` the proposal's directory. Problems in the data
    file are placed at its ``file:line``; the caller places them inside the entry."""
    ports = {p.name: p.type for p in tuple(dom) + tuple(cod)}
    readers = _readers(spec, ports, where)
    kind = SUFFIXES.get(Path(spec.file).suffix.lower())
    if kind is None:
        raise FileFormatError(where("file"), f"{spec.file!r} is neither a CSV (.csv) nor a JSON Lines (.jsonl) file",
                              fix="give a file ending in .csv (a header line, then one sample a row) or .jsonl "
                                  "(one JSON object a line)")
    counts = _count(_path(spec.file, base), kind, readers, [len(ports[n]) for n in ports])
    return estimate(counts, dom, cod, method=spec.method, confidence=spec.confidence,
                    s=2.0 if spec.s is None else spec.s, simultaneous=spec.simultaneous, empty=spec.empty, name=name)


def _path(file: str, base: Path | None) -> Path:
    """The data file: relative to the proposal's directory; a bare file name found nowhere there is a shipped log's
    (so a copy of a shipped proposal saved anywhere still finds its data)."""
    path = Path(file) if os.path.isabs(file) or base is None else base / file
    if os.path.lexists(path):
        return path
    from .shipped import data_dir

    if Path(file).name == file and (data_dir() / file).is_file():
        return data_dir() / file
    shipped = ", ".join(sorted(p.name for p in data_dir().iterdir() if p.suffix in SUFFIXES))
    raise FileFormatError(Place(file=_display(path)), "does not exist",
                          fix="give the data file's path relative to the proposal's folder"
                              + (f" ({_display(base)})" if base is not None else "")
                              + f", or the name of a shipped log: {shipped}")


@dataclasses.dataclass
class _Reader:
    """How one port is read from a row: its columns (positions among the columns read), and a value (or values) to
    the label's index, or a number to bin."""

    port: str
    columns: tuple[str, ...]
    type: object
    labels: object = None          # a (nested) mapping of column values to labels, or None
    edges: tuple | None = None     # bins of a numeric column, or None
    at: tuple[int, ...] = ()       # the columns' positions in a row as read
    seen: dict = dataclasses.field(default_factory=dict)   # values -> index, for the labels met so far

    def value(self, row: tuple):
        """The label's index for one row, or the number to bin; a markovwire error (placed by the caller) if none."""
        values = tuple(row[i] for i in self.at)
        if _MISSING in values:
            missing = self.columns[values.index(_MISSING)]
            raise FileFormatError(f"column {missing!r}", "is missing from this row",
                                  fix="give every row a value in every column the data entry reads")
        if self.edges is not None:
            return _number(values[0])
        try:
            return self.seen[values]
        except (KeyError, TypeError):   # TypeError: a JSON list or object as a value (refused by _text)
            index = self._index(values)
            if len(self.seen) < 100_000:
                self.seen[values] = index
            return index

    def _index(self, values: tuple) -> int:
        if self.labels is None:
            return self._plain(_text(values[0]))
        node = self.labels
        for depth, v in enumerate(values):
            if isinstance(node, Mapping):
                text = _text(v)
                if text in node:
                    node = node[text]
                elif "_" in node:
                    node = node["_"]
                elif len(self.columns) == 1:
                    return self._plain(text)
                else:
                    raise UnknownName(None, f"value {_shown(v)} has no entry in labels.{self.port}"
                                      + "".join("." + _text(u) for u in values[:depth]),
                                      fix=f"add {text!r} (or '_' for any value) under labels: {{{self.port}: ...}}")
        return self.type.index(str(node))

    def _plain(self, text: str) -> int:
        try:
            return self.type.index(self.type.label(text, None))
        except UnknownName as e:
            raise e.relocated(None, fix=f"{e.fix}; or map it to a label under labels: {{{self.port}: "
                                        f"{{{text}: LABEL}}}}") from None

    def outside(self, x: float) -> MarkovwireError:
        return FileFormatError(None, f"{x:g} is outside every bin [{self.edges[0]:g}, {self.edges[-1]:g}] of port "
                               f"{self.port!r}", fix=f"widen the first or last edge in bins: {{{self.port}: [...]}} to "
                               "take it in, or remove the row")


def _readers(spec: DataSpec, ports: Mapping[str, object], where: Callable[..., Place]) -> list[_Reader]:
    """Each port's reader, the entry checked against the component's ports: every problem reported at once."""
    errors: list[MarkovwireError] = []
    for key in ("columns", "labels", "bins"):
        for port in getattr(spec, key):
            if port not in ports:
                close = difflib.get_close_matches(port, list(ports), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                errors.append(UnknownName(where(key, port), f"the component has no port {port!r}{hint}",
                                          fix=f"its ports are: {', '.join(ports)}"))
    for port in ports:
        if port not in spec.columns:
            errors.append(FileFormatError(where("columns"), f"port {port!r} has no column",
                                          fix=f"add {port}: COLUMN to columns (every port of the component is "
                                              "read from the data)"))
    readers = []
    for port, column in spec.columns.items():
        if port not in ports:
            continue
        columns = (column,) if isinstance(column, str) else tuple(column)
        labels, edges = spec.labels.get(port), spec.bins.get(port)
        try:
            if labels is not None and edges is not None:
                raise FileFormatError(where("bins", port), f"port {port!r} has both labels and bins",
                                      fix="bin a numeric column, or map a column's values to labels: not both")
            if len(columns) > 1 and labels is None:
                raise FileFormatError(where("columns", port), f"port {port!r} reads {len(columns)} columns "
                                      "without labels", fix=f"map their values under labels: {{{port}: "
                                      "{VALUE1: {VALUE2: LABEL}}} (one level per column, '_' for any value)")
            if edges is not None:
                if len(columns) > 1:
                    raise FileFormatError(where("columns", port), "a binned port reads one column",
                                          fix="give one numeric column for a port with bins")
                check_edges(edges, len(ports[port]), where("bins", port))
            if labels is not None:
                _check_labels(labels, ports[port], len(columns), where, ("labels", port))
        except MarkovwireError as e:
            errors.append(e)
            continue
        readers.append(_Reader(port, columns, ports[port], labels, tuple(float(x) for x in edges) if edges else None))
    raise_all(errors)
    return readers


def _check_labels(node, type_, depth: int, where, keys: tuple) -> None:
    """The leaves of a labels mapping are labels of the port's type, at the depth of the port's columns."""
    for value, sub in node.items():
        if isinstance(sub, Mapping):
            if depth <= 1:
                raise FileFormatError(where(*keys, value), "nests deeper than the port's columns",
                                      fix="nest one mapping per column the port reads, ending in a label")
            _check_labels(sub, type_, depth - 1, where, keys + (value,))
        elif depth > 1:
            done, total = len(keys) - 1, len(keys) - 2 + depth
            raise FileFormatError(where(*keys, value), f"ends in a label after {done} of {total} columns",
                                  fix="nest one mapping per column (use '_' for any value)")
        else:
            type_.label(sub, where(*keys, value))


# ----- reading rows -------------------------------------------------------------------------------
def _count(path: Path, kind: str, readers: list[_Reader], sizes: list[int]) -> np.ndarray:
    """The counts array over the ports (in the component's order) from the rows of the file."""
    display = _display(path)
    try:
        st = regular_file(display)
    except FileFormatError as e:   # a device, a FIFO, a folder (an unreadable path carries its errno)
        raise e if hasattr(e, "errno") else e.relocated(e.place, fix="give the path of a CSV or JSON Lines file") \
            from None
    if st.st_size > MAX_DATA_BYTES:
        raise FileFormatError(Place(file=display), f"is {st.st_size:,} bytes, {st.st_size - MAX_DATA_BYTES:,} more "
                              f"than the limit of {MAX_DATA_BYTES:,} for a data file",
                              fix="keep only the columns and rows this component needs, or aggregate the samples "
                                  f"into a smaller file (at most {MAX_ROWS:,} rows)")
    text = read_text(display, MAX_DATA_BYTES)
    needed = list(dict.fromkeys(c for r in readers for c in r.columns))
    for r in readers:
        r.at = tuple(needed.index(c) for c in r.columns)
    rows = _csv_rows(text, display, needed) if kind == "csv" else _json_rows(text, display, needed)
    lines: list[int] = []
    columns: list[list] = [[] for _ in readers]   # per port: label indices, or numbers to bin
    errors: list[MarkovwireError] = []
    try:
        _tally(rows, readers, display, lines, columns, errors)
    except MarkovwireError as e:   # a line that is no row at all ends the reading; the rows before it are reported
        errors.extend(flatten(e))
    keep = np.ones(len(lines), dtype=bool)
    index = []
    for r, col in zip(readers, columns):
        if r.edges is None:
            index.append(np.asarray(col, dtype=np.intp))
            continue
        i = bin_index(col, r.edges)   # every number of the column at once
        for k in np.flatnonzero(i < 0)[: max(0, MAX_PROBLEMS - len(errors))]:
            errors.append(r.outside(col[k]).relocated(Place(f"column {r.columns[0]!r}", file=display, line=lines[k])))
        keep &= i >= 0
        index.append(i)
    raise_all(errors)
    if not lines:
        raise FileFormatError(Place(file=display), "has no samples",
                              fix="give one sample a row" + (" after the header line" if kind == "csv" else ""))
    counts = np.zeros(sizes)
    np.add.at(counts, tuple(i[keep] for i in index), 1)
    return counts


def _tally(rows, readers: list[_Reader], display: str, lines: list, columns: list, errors: list) -> None:
    """Each good row's line and values (a label's index, or a number to bin) per port; problems into ``errors``."""
    for line, row in rows:
        if len(lines) >= MAX_ROWS:
            raise FileFormatError(Place(file=display, line=line), f"has more than {MAX_ROWS:,} samples",
                                  fix="aggregate or subsample the rows into a smaller file (the counts are what "
                                      f"matters: at most {MAX_ROWS:,} rows a file)")
        got, bad = [], False
        for r in readers:
            try:
                got.append(r.value(row))
            except MarkovwireError as e:
                detail = e.where or f"column {', '.join(repr(c) for c in r.columns)}"
                errors.append(e.relocated(Place(detail, file=display, line=line)))
                bad = True
        if bad:
            if len(errors) >= MAX_PROBLEMS:
                errors.append(FileFormatError(Place(file=display), f"stopped reading after {len(errors)} problems",
                                              fix="fix these rows (or the data entry's mapping), then check again"))
                return
            continue
        lines.append(line)
        for col, v in zip(columns, got):
            col.append(v)


_MISSING = object()   # a column a JSON object does not have


def _check_header(header: list[str], needed: list[str], display: str) -> None:
    missing = [c for c in needed if c not in header]
    if missing:
        errors = []
        for c in missing:
            close = difflib.get_close_matches(c, header, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            errors.append(UnknownName(Place(file=display, line=1), f"has no column {c!r}{hint}",
                                      fix=f"name one of its columns in the data entry: {', '.join(header[:20])}"
                                          + (" ..." if len(header) > 20 else "")))
        raise_all(errors)


def _csv_rows(text: str, display: str, needed: list[str]) -> Iterator[tuple[int, tuple]]:
    """``(line, values of the needed columns)`` per row of a CSV file with a header line (blank lines skipped)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise FileFormatError(Place(file=display), "is empty", fix="give a header line, then one sample a row")
        if len(header) > MAX_COLUMNS:
            raise FileFormatError(Place(file=display, line=1), f"has {len(header):,} columns, more than the limit of "
                                  f"{MAX_COLUMNS:,}", fix="keep only the columns the data entry reads")
        _check_header(header, needed, display)
        at = [header.index(c) for c in needed]
        for fields in reader:
            if not fields:
                continue
            if len(fields) != len(header):
                raise FileFormatError(Place(file=display, line=reader.line_num),
                                      f"has {len(fields)} field(s), but the header has {len(header)}",
                                      fix="give every row one value per column of the header (quote values "
                                          "holding commas)")
            yield reader.line_num, tuple(fields[i] for i in at)
    except csv.Error as err:
        raise FileFormatError(Place(file=display, line=reader.line_num), f"is not valid CSV: {err}",
                              fix="check the quoting of that line") from None


def _json_rows(text: str, display: str, needed: list[str]) -> Iterator[tuple[int, tuple]]:
    """``(line, values of the needed keys)`` per non-blank line of a JSON Lines file (``_MISSING`` where absent)."""
    for i, raw in enumerate(io.StringIO(text, newline=None), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as err:
            raise FileFormatError(Place(file=display, line=i), f"is not a JSON value: {err.msg} (column {err.colno})",
                                  fix="write one JSON object a line, e.g. {\"mode\": \"attack\", \"score\": 3.2}") \
                from None
        except (ValueError, RecursionError):   # an integer of thousands of digits, arrays nested thousands deep
            raise FileFormatError(Place(file=display, line=i), "holds a number too long or values nested too deep "
                                  "to read", fix="write plain values: labels, and numbers of at most a few digits") \
                from None
        if not isinstance(obj, dict):
            raise FileFormatError(Place(file=display, line=i), f"is a JSON {type(obj).__name__}, not an object",
                                  fix="write one JSON object a line, e.g. {\"mode\": \"attack\", \"score\": 3.2}")
        yield i, tuple(_MISSING if obj.get(c) is None else obj[c] for c in needed)


# ----- values ---------------------------------------------------------------------------------------
def _text(v) -> str:
    """A column value as a label would be written: JSON ``true`` as ``true``, ``3`` as ``3``."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dict, list)):
        raise FileFormatError(None, f"is a JSON {'object' if isinstance(v, dict) else 'array'}, not a label",
                              fix="give a string, a number or true/false")
    return str(v)


def _number(v) -> float:
    """A value to bin as a float (JSON true is not a number, nor is a CSV "nan")."""
    try:
        x = math.nan if v is True or v is False else float(v)
    except (TypeError, ValueError, OverflowError):
        x = math.nan
    if not math.isfinite(x):
        raise ParameterError(None, f"{_shown(v)} is not a finite number", fix="give a number to bin, such as 3.5")
    return x


def _shown(v) -> str:
    text = repr(v) if isinstance(v, str) else json.dumps(v) if isinstance(v, (bool, dict, list)) or v is None else \
        str(v)
    return text if len(text) <= 60 else text[:57] + "..."

