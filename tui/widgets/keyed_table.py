"""A data table whose rows have keys and whose columns fit its width, so that no cell is cut off.

The highlighted row can be named and found again after a refresh (:meth:`KeyedTable.current`).
Rows are given whole (:meth:`KeyedTable.fill`); the table then lays out its
:class:`Column` s for the width it has: columns that may go (``drop``) go first,
most expendable first, and one column may ``wrap``, taking the width left and
breaking its text onto more lines. It lays them out again when its width changes.
"""
from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import DataTable

SCROLLBAR = 2
"""Room kept for the vertical scrollbar (the table may need one)."""


@dataclass(frozen=True)
class Column:
    """A column: ``width`` None is as wide as its widest cell; ``drop`` > 0 may be left out (highest first) when
    the table is too narrow; ``wrap`` takes the width left (at least ``width``) and wraps onto more lines."""

    label: str
    width: int | None = None
    drop: int = 0
    wrap: bool = False


def cell_width(cell) -> int:
    text = cell if isinstance(cell, Text) else Text(str(cell))
    return max((len(line) for line in text.plain.splitlines()), default=0)


def fit(columns: list[Column], rows: list[list], room: int, padding: int = 1) -> list[tuple[int, int]]:
    """The columns shown in ``room`` cells, as ``(index, width)``: droppable ones go, most expendable first, until the
    rest fit (a wrapping column counted at its least width); the wrapping column then gets what is left, and a word
    longer than that is folded onto the next line (shown whole, never cut off).

    >>> cols = [Column("name", width=6, wrap=True), Column("value"), Column("bar", width=10, drop=1)]
    >>> rows = [["P(caught | attack)", "0.35", "███"]]
    >>> fit(cols, rows, 40)                  # everything fits
    [(0, 18), (1, 5), (2, 10)]
    >>> fit(cols, rows, 30)                  # the name wraps onto two lines
    [(0, 9), (1, 5), (2, 10)]
    >>> fit(cols, rows, 24)                  # the bar goes first
    [(0, 15), (1, 5)]
    """
    natural = [c.width if c.width is not None and not c.wrap
               else max([len(c.label)] + [cell_width(r[i]) for r in rows]) for i, c in enumerate(columns)]
    least = [max(len(c.label), min(c.width or 1, natural[i])) if c.wrap else natural[i]      # labels do not wrap
             for i, c in enumerate(columns)]
    shown = list(range(len(columns)))
    for i in sorted((i for i, c in enumerate(columns) if c.drop), key=lambda i: -columns[i].drop):
        if sum(least[j] + 2 * padding for j in shown) <= room:
            break
        shown.remove(i)
    left = room - sum(natural[i] for i in shown if not columns[i].wrap) - 2 * padding * len(shown)
    return [(i, max(least[i], min(natural[i], left)) if columns[i].wrap else natural[i]) for i in shown]


class KeyedTable(DataTable):
    """A :class:`DataTable` of keyed rows over :class:`Column` s that fit its width; see the module docstring."""

    COLUMNS: tuple[Column, ...] = ()

    def __init__(self, **kw):
        super().__init__(**kw)
        self._rows: list[tuple[str, list]] = []
        self._layout: list[tuple[int, int]] | None = None

    def fill(self, rows: list[tuple[str, list]]) -> None:
        """Show ``rows`` (key, one cell per column), keeping the highlighted row where it still is."""
        rows = list(rows)
        if rows == self._rows and self._layout is not None:
            return                                   # the same rows: the table is not built again
        self._rows = rows
        self._lay_out(force=True)

    def _lay_out(self, force: bool = False) -> None:
        columns = list(self.COLUMNS)
        room = self.size.width - SCROLLBAR
        layout = fit(columns, [cells for _, cells in self._rows], room, self.cell_padding) if room > 0 else \
            [(i, c.width or max([len(c.label)] + [cell_width(r[i]) for _, r in self._rows]))
             for i, c in enumerate(columns)]
        if not force and layout == self._layout:
            return
        self._layout = layout
        keep = self.current()
        self.clear(columns=True)
        for i, width in layout:
            self.add_column(columns[i].label, width=width)
        wraps = any(columns[i].wrap for i, _ in layout)
        for key, cells in self._rows:
            self.add_row(*[cells[i] for i, _ in layout], key=key, height=None if wraps else 1)
        if keep is not None:
            for k in (keep, keep.split("\x00")[0]):
                try:
                    self.move_cursor(row=self.get_row_index(k), animate=False)
                    break
                except Exception:  # noqa: BLE001 - the row went away
                    continue

    def on_resize(self) -> None:
        self._lay_out()

    def current(self) -> str | None:
        """The key of the highlighted row (None on an empty or refreshing table, which has no cursor row)."""
        if not self.row_count:
            return None
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:  # noqa: BLE001 - no row under the cursor
            return None
