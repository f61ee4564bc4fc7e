"""A wiring diagram drawn with box-drawing characters: layered left to right, wires in channels.

Boxes are placed in layers by the longest path from the sources (outer inputs in the
first column, outer outputs in the last); a wire that skips layers runs through a
one-row slot in each layer it crosses. Between two layers a channel holds the vertical
runs, one track per source, so that a copy (a source read by several inputs) is one
branching line. Cells remember which directions lines leave them in, so crossings and
branches get the right glyph.

>>> pic = draw([Shape("policy", "untrusted_policy", (), ("act",)), Shape("monitor", "", ("act",), ("sus",))],
...            [], ["sus"], [("policy", "act", "monitor", "act"), ("monitor", "sus", "out", "sus")])
>>> print(pic.text())
┌─policy─────┐  ┌─monitor─┐
│         act├──┤act   sus├───sus
└untrusted_p…┘  └─────────┘
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

N, S, E, W = 1, 2, 4, 8
GLYPH = {N | S: "│", E | W: "─", S | E: "┌", S | W: "┐", N | E: "└", N | W: "┘", N | S | E: "├",
         N | S | W: "┤", E | W | S: "┬", E | W | N: "┴", N | S | E | W: "┼", N: "│", S: "│", E: "─", W: "─"}
GAP = 1          # blank rows between items of a layer
SUBTITLE = 12    # boxes widen to show this much of the component's name


@dataclass(frozen=True)
class Shape:
    """A box as drawn: its instance name, a subtitle (the component) and its port names."""

    name: str
    title: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]


@dataclass
class Item:
    """Something placed in a layer: a box, an outer port, or the slot of a wire crossing the layer."""

    key: str
    kind: str                      # "box", "in", "out", "slot"
    width: int
    height: int
    shape: Shape | None = None
    layer: int = 0
    x: int = 0
    y: int = 0

    def port_row(self, side: str, index: int) -> int:
        return self.y + (index + 1 if self.kind == "box" else 0)


@dataclass
class Picture:
    """The drawn diagram: rows of characters with a style tag per cell, and where each box went."""

    width: int
    height: int
    chars: list[list[str]]
    tags: list[list[str]]
    regions: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)   # box -> x, y, w, h
    layers: dict[str, int] = field(default_factory=dict)

    def text(self) -> str:
        return "\n".join("".join(row).rstrip() for row in self.chars).rstrip("\n")


def draw(boxes: Sequence[Shape], inputs: Sequence[str], outputs: Sequence[str],
         wires: Iterable[tuple[str, str, str, str]], problems: Iterable[tuple[str, str]] = ()) -> Picture:
    """Lay out and draw boxes, outer ports ("in"/"out") and wires ``(box, port, box, port)``.

    ``problems`` marks ports ``(box, port)`` drawn as faulty (an open input, a mismatched wire).
    """
    wires = [w for w in wires if _known(w, boxes, inputs, outputs)]
    problems = set(problems)
    items = _items(boxes, inputs, outputs)
    _assign_layers(items, wires)
    routes = _slots(items, wires)
    layers = _order(items, routes)
    _place(layers, routes)
    return _paint(layers, items, routes, problems)


def _known(w, boxes, inputs, outputs) -> bool:
    names = {b.name: b for b in boxes}
    sb, sp, tb, tp = w
    ok_source = (sb == "in" and sp in inputs) or (sb in names and sp in names[sb].outputs)
    ok_target = (tb == "out" and tp in outputs) or (tb in names and tp in names[tb].inputs)
    return ok_source and ok_target


def _items(boxes, inputs, outputs) -> dict[str, Item]:
    items: dict[str, Item] = {}
    for name in inputs:
        items[f"in.{name}"] = Item(f"in.{name}", "in", len(name) + 1, 1)
    for b in boxes:
        inner = max((len(p) for p in b.inputs), default=0) + max((len(p) for p in b.outputs), default=0) + 1
        width = max(len(b.name) + 4, inner + 2, min(len(b.title), SUBTITLE) + 2, 8)
        items[b.name] = Item(b.name, "box", width, max(len(b.inputs), len(b.outputs), 1) + 2, b)
    for name in outputs:
        items[f"out.{name}"] = Item(f"out.{name}", "out", len(name) + 1, 1)
    return items


def _end(box: str, port: str) -> str:
    return f"{box}.{port}" if box in ("in", "out") else box


def _assign_layers(items: dict[str, Item], wires) -> None:
    """Longest path from the sources; wires that close loops are ignored (drawn backwards)."""
    boxes = [k for k, it in items.items() if it.kind == "box"]
    preds = {k: set() for k in boxes}
    for sb, sp, tb, tp in wires:
        if tb != "out" and sb != "in" and sb != tb:
            preds[tb].add(sb)
    first = 1 if any(it.kind == "in" for it in items.values()) else 0
    wired = {b for w in wires for b in (w[0], w[2])}
    done: dict[str, int] = {}
    pending = list(boxes)
    while pending:
        ready = [k for k in pending if preds[k] <= set(done)]
        if not ready:                    # a loop: place the earliest remaining box and go on
            ready = [pending[0]]
        for k in ready:
            done[k] = max((done[p] + 1 for p in preds[k] if p in done), default=first)
            pending.remove(k)
    isolated = [k for k in boxes if k not in wired]      # boxes without wires yet: a row of their own
    top = max((done[k] for k in boxes if k in wired), default=first - 1)
    for i, k in enumerate(isolated):
        done[k] = top + 1 + i
    for k, it in items.items():
        it.layer = 0 if it.kind == "in" else done.get(k, 0)
    last = max(done.values(), default=first - 1) + 1
    for it in items.values():
        if it.kind == "out":
            it.layer = last


@dataclass
class Route:
    """One wire: its source end, target end, and the slots it runs through in between."""

    source: tuple[str, int]         # item key, port index
    target: tuple[str, int]
    slots: list[str]
    wire: tuple[str, str, str, str]
    backwards: bool = False


def _slots(items: dict[str, Item], wires) -> list[Route]:
    routes = []
    for n, w in enumerate(wires):
        sb, sp, tb, tp = w
        s = items[_end(sb, sp)]
        t = items[_end(tb, tp)]
        si = s.shape.outputs.index(sp) if s.kind == "box" else 0
        ti = t.shape.inputs.index(tp) if t.kind == "box" else 0
        slots = []
        lo, hi = sorted((s.layer, t.layer))
        backwards = t.layer <= s.layer
        for layer in range(lo + 1, hi) if not backwards else range(lo, hi + 1):
            if backwards and layer in (s.layer, t.layer) and s.layer != t.layer:
                continue
            key = f"~{n}.{layer}"
            items[key] = Item(key, "slot", 1, 1, layer=layer)
            slots.append(key)
        if backwards:
            slots = []            # drawn as a lane under the picture instead
        routes.append(Route((s.key, si), (t.key, ti), slots, w, backwards))
    return routes


def _order(items: dict[str, Item], routes: list[Route]) -> list[list[Item]]:
    """Items per layer, ordered by the barycentre of their neighbours (a few sweeps)."""
    count = max(it.layer for it in items.values()) + 1 if items else 0
    layers = [[it for it in items.values() if it.layer == k] for k in range(count)]
    links: dict[str, list[str]] = {k: [] for k in items}
    for r in routes:
        chain = [r.source[0]] + r.slots + [r.target[0]]
        for a, b in zip(chain, chain[1:]):
            links[a].append(b)
            links[b].append(a)
    for sweep in range(4):
        seq = range(1, count) if sweep % 2 == 0 else range(count - 2, -1, -1)
        for k in seq:
            ref = {it.key: i for i, it in enumerate(layers[k - 1 if sweep % 2 == 0 else k + 1])}
            here = {it.key: i for i, it in enumerate(layers[k])}

            def centre(it, ref=ref, here=here):
                near = [ref[m] for m in links[it.key] if m in ref]
                return sum(near) / len(near) if near else here[it.key]
            layers[k].sort(key=centre)
    return layers


def _place(layers: list[list[Item]], routes: list[Route]) -> None:
    """x by layer (channels sized by their tracks), y stacked so that wires run straight where they can."""
    source_of: dict[str, list[tuple[Item, int, int]]] = {}
    index = {it.key: it for layer in layers for it in layer}
    for r in routes:
        chain = [r.source] + [(k, 0) for k in r.slots] + [r.target]
        for (a, ai), (b, bi) in zip(chain, chain[1:]):
            source_of.setdefault(b, []).append((index[a], ai, bi))
    for k, layer in enumerate(layers):
        bottom = 0
        for it in layer:
            wanted = bottom
            feeds = [(a, ai, bi) for a, ai, bi in source_of.get(it.key, []) if a.layer < it.layer]
            if feeds:
                a, ai, bi = min(feeds, key=lambda f: f[2])
                wanted = max(bottom, a.port_row("out", ai) - (bi + 1 if it.kind == "box" else 0))
            it.y = wanted
            bottom = it.y + it.height + GAP
    x = 0
    for k, layer in enumerate(layers):
        width = max((it.width for it in layer), default=1)
        for it in layer:
            it.x = x + (width - it.width if it.kind == "out" else 0)
            if it.kind == "slot":
                it.width = width
                it.x = x
        x += width + _channel_width(k, layers, routes, index)


def _channel_width(k: int, layers, routes, index) -> int:
    tracks = len(_channel_nets(k, routes, index))
    return max(2, 2 * tracks + 1)


def _channel_nets(k: int, routes: list[Route], index) -> dict[tuple[str, int], list]:
    """The wires crossing the channel after layer ``k``, grouped by the end they leave from."""
    nets: dict[tuple[str, int], list] = {}
    for r in routes:
        chain = [r.source] + [(s, 0) for s in r.slots] + [r.target]
        for (a, ai), (b, bi) in zip(chain, chain[1:]):
            left, right = (index[a], index[b])
            if r.backwards:
                continue
            if left.layer == k and right.layer == k + 1:
                ys = left.port_row("out", ai)
                yt = right.port_row("in", bi)
                nets.setdefault((a, ai), []).append((ys, yt, (b, bi)))
    return {key: v for key, v in nets.items() if any(ys != yt for ys, yt, _ in v) or len(v) > 1}


def _paint(layers, items, routes, problems) -> Picture:
    index = {it.key: it for layer in layers for it in layer}
    width = max((it.x + it.width for it in index.values()), default=0) + 2
    height = max((it.y + it.height for it in index.values()), default=0) + 1
    backwards = [r for r in routes if r.backwards]
    height += 2 * len(backwards)
    lines = [[0] * width for _ in range(height)]
    line_tags = [[""] * width for _ in range(height)]
    chars = [[" "] * width for _ in range(height)]
    tags = [[""] * width for _ in range(height)]

    def line(x0, y0, x1, y1, tag="wire"):
        if y0 == y1:
            for x in range(min(x0, x1), max(x0, x1)):
                lines[y0][x] |= E
                lines[y0][x + 1] |= W
                line_tags[y0][x] = line_tags[y0][x] or tag
                line_tags[y0][x + 1] = line_tags[y0][x + 1] or tag
        else:
            for y in range(min(y0, y1), max(y0, y1)):
                lines[y][x0] |= S
                lines[y + 1][x0] |= N
                line_tags[y][x0] = line_tags[y][x0] or tag
                line_tags[y + 1][x0] = line_tags[y + 1][x0] or tag

    def bad(r: Route) -> bool:
        sb, sp, tb, tp = r.wire
        return (tb, tp) in problems or (sb, sp) in problems and False

    # wires: horizontal through slots, channels between layers
    for k in range(len(layers) - 1):
        nets = _channel_nets(k, routes, index)
        right_edge = max((it.x + it.width for it in layers[k]), default=0)
        for t, (key, ends) in enumerate(sorted(nets.items(), key=lambda kv: kv[1][0][0])):
            tx = right_edge + 1 + 2 * t
            ys = ends[0][0]
            line(_right(index[key[0]]), ys, tx, ys)
            top, bottom = min([ys] + [yt for _, yt, _ in ends]), max([ys] + [yt for _, yt, _ in ends])
            line(tx, top, tx, bottom)
            for _, yt, (b, bi) in ends:
                line(tx, yt, index[b].x, yt)
    for r in routes:
        if r.backwards:
            continue
        chain = [r.source] + [(s, 0) for s in r.slots] + [r.target]
        for (a, ai), (b, bi) in zip(chain, chain[1:]):
            left, right = index[a], index[b]
            ys, yt = left.port_row("out", ai), right.port_row("in", bi)
            key = (a, ai)
            if key not in _channel_nets(left.layer, routes, index) and ys == yt:
                line(_right(left), ys, right.x, yt)
        for s in r.slots:
            it = index[s]
            line(it.x, it.y, it.x + it.width, it.y)
    # wires that run backwards (through state): under the picture
    for n, r in enumerate(backwards):
        s, t = index[r.source[0]], index[r.target[0]]
        ys, yt = s.port_row("out", r.source[1]), t.port_row("in", r.target[1])
        low = height - 2 * len(backwards) + 2 * n
        xs, xt = _right(s) + 1, t.x - 1
        line(_right(s), ys, xs, ys, "back")
        line(xs, ys, xs, low, "back")
        line(xt, low, xs, low, "back")
        line(xt, low, xt, yt, "back")
        line(xt, yt, t.x, yt, "back")
    for y in range(height):
        for x in range(width):
            if lines[y][x]:
                chars[y][x] = GLYPH[lines[y][x]]
                tags[y][x] = line_tags[y][x]
    regions, layer_of = {}, {}
    problem_boxes = {b for b, _ in problems}
    for it in index.values():
        if it.kind == "box":
            _box(chars, tags, it, lines, problems, it.key in problem_boxes)
            regions[it.key] = (it.x, it.y, it.width, it.height)
            layer_of[it.key] = it.layer
        elif it.kind == "in":
            name = it.key[3:]
            _put(chars, tags, it.x, it.y, name, "outer")
            regions[it.key] = (it.x, it.y, it.width, 1)
            layer_of[it.key] = it.layer
        elif it.kind == "out":
            name = it.key[4:]
            _put(chars, tags, it.x + 1, it.y, name, "problem" if ("out", name) in problems else "outer")
            regions[it.key] = (it.x, it.y, it.width, 1)
            layer_of[it.key] = it.layer
    return Picture(width, height, chars, tags, regions, layer_of)


def _right(it: Item) -> int:
    """The column a wire leaves an item from (just right of a box's border, or after an outer input's name)."""
    return it.x + it.width - 1 if it.kind == "box" else it.x + it.width - 1 if it.kind == "in" else it.x + it.width


def _put(chars, tags, x, y, text, tag) -> None:
    for i, ch in enumerate(text):
        if 0 <= y < len(chars) and 0 <= x + i < len(chars[y]):
            chars[y][x + i] = ch
            tags[y][x + i] = tag


def _box(chars, tags, it: Item, lines, problems, faulty: bool) -> None:
    b, x, y, w, h = it.shape, it.x, it.y, it.width, it.height
    border = "problem" if faulty else "border"
    _put(chars, tags, x, y, "┌─" + b.name + "─" * (w - 3 - len(b.name)) + "┐", border)
    _put(chars, tags, x + 2, y, b.name, "title")
    sub = b.title if len(b.title) <= w - 2 else b.title[: max(w - 3, 0)] + "…"
    bottom = sub + "─" * (w - 2 - len(sub))
    _put(chars, tags, x, y + h - 1, "└" + bottom + "┘", border)
    if sub:
        _put(chars, tags, x + 1, y + h - 1, sub, "subtitle")
    for row in range(1, h - 1):
        _put(chars, tags, x, y + row, "│" + " " * (w - 2) + "│", border)
    for i, p in enumerate(b.inputs):
        open_ = (b.name, p) in problems
        wired = lines[y + 1 + i][x] & W
        _put(chars, tags, x, y + 1 + i, "!" if open_ else "┤" if wired else "│", "problem" if open_ else border)
        _put(chars, tags, x + 1, y + 1 + i, p, "problem" if open_ else "port")
    for j, q in enumerate(b.outputs):
        wired = lines[y + 1 + j][x + w - 1] & E
        _put(chars, tags, x + w - 1, y + 1 + j, "├" if wired else "│", border)
        _put(chars, tags, x + w - 1 - len(q), y + 1 + j, q, "port")
