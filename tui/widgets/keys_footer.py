"""The footer of keys, fitted to the terminal's width so that no key is cut off or drawn over.

When the keys do not fit, the command palette's key goes first, then the app's own keys
(Compare, Export, Undo, Save …, last first), keeping Quit, Help and the keys of the
part that has the focus. Every key stays listed on the help screen (F1) and in the
command palette (Ctrl+P). The keys are built again only when what they show changes
(Textual's footer rebuilds them on every focus move and every dialog that closes).
"""
from __future__ import annotations

from rich.cells import cell_len
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from ..commands import ACTIONS

KEPT = frozenset({"app.quit_app", "app.help"})
APP_ONLY = frozenset(a.action for a in ACTIONS if a.area == "app") - KEPT
"""The app's keys that give way when the footer is too narrow (save, undo, export, compare …)."""
PALETTE = 3          # the palette key's separator and padding, beyond its text


def key_width(key: FooterKey) -> int:
    """Cells a key takes in the compact footer: ``key description`` and a space after it."""
    return cell_len(key.key_display) + 1 + cell_len(key.description) + 1 + (PALETTE if is_palette(key) else 0)


def is_palette(key) -> bool:
    return isinstance(key, FooterKey) and key.has_class("-command-palette")


def fitted(widgets: list, width: int) -> list:
    """``widgets`` without the ones that give way, until the keys fit in ``width`` cells."""
    keys = [w for w in widgets if isinstance(w, FooterKey)]
    used = sum(key_width(k) for k in keys)
    give_way = [k for k in keys if is_palette(k)] + [k for k in reversed(keys) if k.action in APP_ONLY]
    gone = []
    for key in give_way:
        if used <= width:
            break
        gone.append(key)
        used -= key_width(key)
    return [w for w in widgets if all(w is not g for g in gone)]


class KeysFooter(Footer):
    """A compact footer; see the module docstring."""

    def __init__(self, **kw):
        super().__init__(compact=True, **kw)
        self._width: int | None = None
        self._shown: tuple | None = None          # what the keys were built from (see _showing)

    def _showing(self) -> tuple:
        """What the keys are built from: every active binding as the footer reads it, and the width."""
        return self.app.size.width, tuple((key, b.key, b.action, b.description, b.show, enabled, tooltip)
                                          for key, (_, b, enabled, tooltip) in self.screen.active_bindings.items())

    def compose(self):
        self._width = self.app.size.width
        self._shown = self._showing() if self._bindings_ready else None
        yield from fitted(list(super().compose()), self._width)

    def bindings_changed(self, screen) -> None:
        if self._shown is not None and self.is_attached and screen is self.screen and self._showing() == self._shown:
            return                                 # the same keys: nothing to rebuild
        super().bindings_changed(screen)

    def on_resize(self) -> None:
        if self._width is not None and self.app.size.width != self._width:
            self.recompose()
