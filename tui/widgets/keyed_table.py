"""A data table whose rows have keys, so that the highlighted row can be named and found again after a refresh."""
from __future__ import annotations

from textual.widgets import DataTable


class KeyedTable(DataTable):
    """A :class:`DataTable` with :meth:`current`: the key of the row under the cursor."""

    def current(self) -> str | None:
        """The key of the highlighted row (None on an empty or refreshing table, which has no cursor row)."""
        if not self.row_count:
            return None
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:  # noqa: BLE001 - no row under the cursor
            return None
