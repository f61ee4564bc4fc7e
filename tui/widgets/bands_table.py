"""The total-variation band of each query: its value ± the half-width the instances' radii certify, and the
exact worst case over the instances' TV balls."""
from __future__ import annotations

from rich.text import Text

from markovwire.errors import MarkovwireError

from .keyed_table import Column, KeyedTable
from .results_table import BAR, number, span


def radii_text(band) -> str:
    """The radii that count for a band, and those that cannot reach its query."""
    used = ", ".join(f"{b} {e:g}" for b, e in band.radii.items()) or "none"
    return used + (f"; cannot reach it: {', '.join(band.ignored)}" if band.ignored else "")


def exact_text(band) -> Text:
    """The exact worst case over the TV balls, or 'not computed' (the reason is in the band's detail)."""
    if band.exact_lower is None:
        return Text("not computed", "dim")
    return Text(f"[{number(band.exact_lower)}, {number(band.exact_upper)}]")


class BandsTable(KeyedTable):
    """One row per probability or expectation query: value, ±, the certified band, the radii that count."""

    COLUMNS = (Column("query"), Column("value"), Column("±"), Column("certified band"),
               Column("radii", width=8, wrap=True), Column("exact worst case", drop=1), Column("", width=BAR, drop=2))

    def __init__(self, **kw):
        super().__init__(cursor_type="row", **kw)
        self.bands: dict[str, object] = {}

    def show(self, bands: dict[str, object]) -> None:
        """``bands``: query name → RobustBand, a MarkovwireError, or None while computing."""
        self.bands = dict(bands)
        rows = []
        for name, b in bands.items():
            if b is None:
                cells = [Text("…", "dim"), Text(""), Text(""), Text("computing", "dim"), Text(""), Text("")]
            elif isinstance(b, MarkovwireError):
                cells = [Text("n/a", "red"), Text(""), Text(""), Text("see Problems", "dim"), Text(""), Text("")]
            else:
                cells = [Text(number(b.value)), Text(f"{b.half_width:.3g}"),
                         Text(f"[{number(b.lower)}, {number(b.upper)}]"), Text(radii_text(b)), exact_text(b),
                         Text(span(b.lower, b.upper, at=b.value), "green")]
            rows.append((name, [Text(name, "bold"), *cells]))
        self.fill(rows)


    def detail(self) -> Text:
        """The highlighted band as the library states it (with its note)."""
        b = self.bands.get(self.current() or "")
        if b is None:
            return Text("")
        if isinstance(b, MarkovwireError):
            return Text(str(b), "red")
        first, *rest = str(b).splitlines()
        out = Text(first, "bold")
        for line in rest:
            out.append("\n" + line.strip(), "dim")
        return out
