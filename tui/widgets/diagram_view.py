"""The diagram drawn in the terminal: boxes with their ports, wires between them; arrows move the selection."""
from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..commands import bindings
from ..drawing import Picture, Shape, draw
from ..messages import BoxSelected

STYLES = {
    "": Style(), "border": Style(color="white"), "title": Style(bold=True), "subtitle": Style(dim=True),
    "port": Style(color="cyan"), "wire": Style(color="bright_black"), "outer": Style(color="green", bold=True),
    "problem": Style(color="red", bold=True), "back": Style(color="magenta"),
}
SELECTED = Style(color="yellow", bold=True)
EMPTY = ("An empty diagram.  Add a component: a (or Enter on one in the library, or Ctrl+P and "
         "'add component …').")


class DiagramView(ScrollView, can_focus=True):
    """The wiring of the proposal, laid out left to right; the selected box is drawn in yellow."""

    BINDINGS = [
        Binding("left", "move(-1, 0)", "Left", show=False),
        Binding("right", "move(1, 0)", "Right", show=False),
        Binding("up", "move(0, -1)", "Up", show=False),
        Binding("down", "move(0, 1)", "Down", show=False),
        Binding("home", "first", "First box", show=False),
    ] + bindings("diagram")

    selected: reactive[str | None] = reactive(None)

    def __init__(self, **kw):
        super().__init__(**kw)
        self.picture: Picture | None = None
        self._drawn: tuple | None = None             # what the picture was drawn from
        self._strips: list[Strip] = []
        self._by_user = False

    # ----- drawing -----------------------------------------------------------------------
    def show(self, wiring, components: dict[str, str], problems) -> None:
        """Draw ``wiring`` (boxes subtitled by ``components``), marking the ports that ``problems`` point at."""
        shapes = [Shape(n, components.get(n, ""), tuple(p.name for p in b.dom), tuple(q.name for q in b.cod))
                  for n, b in wiring.boxes.items()]
        marks = [(p.box, p.port) for p in problems if p.box]
        wires = [(w.source.box, w.source.port, w.target.box, w.target.port) for w in wiring.wires]
        inputs, outputs = [p.name for p in wiring.inputs], [p.name for p in wiring.outputs]
        drawn = (shapes, inputs, outputs, wires, marks)
        if self.picture is not None and drawn == self._drawn:
            return                                 # the same picture (an edit elsewhere): not drawn again
        self._drawn = drawn
        self.picture = draw(shapes, inputs, outputs, wires, marks)
        if self.selected not in self.picture.regions:
            first = next((k for k in self.picture.regions if not k.startswith(("in.", "out."))), None)
            self.selected = first
        self._paint()

    def _paint(self) -> None:
        pic = self.picture
        if pic is None or not pic.regions:
            self._strips = [Strip([Segment(EMPTY, Style(dim=True))])]
            self.virtual_size = Size(len(EMPTY), 1)
            self.refresh()
            return
        box = pic.regions.get(self.selected) if self.selected else None
        strips = []
        for y in range(pic.height):
            segments, run, style = [], "", None
            for x in range(pic.width):
                s = STYLES.get(pic.tags[y][x], Style())
                if box and box[0] <= x < box[0] + box[2] and box[1] <= y < box[1] + box[3] and \
                        pic.tags[y][x] in ("border", "title", "outer", "problem"):
                    s = SELECTED if pic.tags[y][x] != "problem" else STYLES["problem"] + Style(underline=True)
                if s != style and run:
                    segments.append(Segment(run, style))
                    run = ""
                style = s
                run += pic.chars[y][x]
            if run:
                segments.append(Segment(run, style))
            strips.append(Strip(segments, pic.width))
        self._strips = strips
        self.virtual_size = Size(pic.width, pic.height)
        self.refresh()

    def render_line(self, y: int) -> Strip:
        sx, sy = self.scroll_offset
        row = sy + y
        width = self.size.width
        blank = self.rich_style      # padding carries a style: NO_COLOR's monochrome filter reads every segment's
        if row >= len(self._strips):
            return Strip.blank(width, blank)
        return self._strips[row].crop(sx, sx + width).extend_cell_length(width, blank)

    def watch_selected(self, old, new) -> None:
        if self.picture is None:
            return
        self._paint()
        region = self.picture.regions.get(new) if new else None
        if region is not None and self.size.width and self._by_user:
            view = Region(int(self.scroll_x), int(self.scroll_y), self.size.width, self.size.height)
            if not view.contains_region(Region(*region)):
                self.scroll_to_region(Region(*region), animate=False, force=True)
        self.post_message(BoxSelected(new, self._by_user))
        self._by_user = False

    def select(self, name: str | None) -> None:
        """Select a box (or outer port) as the user asked."""
        if self.picture is not None and name in self.picture.regions:
            self._by_user = True
            self.selected = name

    # ----- moving the selection ----------------------------------------------------------------
    def action_first(self) -> None:
        if self.picture and self.picture.regions:
            self._by_user = True
            self.selected = min(self.picture.regions, key=lambda k: (self.picture.layers[k],
                                                                     self.picture.regions[k][1]))

    def action_move(self, dx: int, dy: int) -> None:
        pic = self.picture
        if pic is None or not pic.regions:
            return
        if self.selected not in pic.regions:
            self.action_first()
            return
        self._by_user = True
        x, y, w, h = pic.regions[self.selected]
        layer = pic.layers[self.selected]
        centre = y + h / 2
        if dy:
            same = sorted((k for k in pic.regions if pic.layers[k] == layer), key=lambda k: pic.regions[k][1])
            i = same.index(self.selected) + dy
            if 0 <= i < len(same):
                self.selected = same[i]
            return
        layers = sorted({v for v in pic.layers.values()})
        here = layers.index(layer)
        while 0 <= here + dx < len(layers):
            here += dx
            near = [k for k in pic.regions if pic.layers[k] == layers[here]]
            if near:
                self.selected = min(near, key=lambda k: abs(pic.regions[k][1] + pic.regions[k][3] / 2 - centre))
                return
