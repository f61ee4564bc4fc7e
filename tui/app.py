"""The terminal UI of markovwire: assemble, check, evaluate, compare and export proposals.

``run_app(path)`` opens a proposal file (``None``: the shipped default proposal) in
:class:`MarkovwireApp`. The app holds the :class:`~markovwire.tui.document.Document`
being edited and the top-level actions (open, save, export, compare, undo, quit);
the workspace screen holds the panels. Unsaved work is written to a recovery file
every few seconds and offered back on the next start if the app did not exit cleanly.
"""
from __future__ import annotations

import contextlib
import os
from dataclasses import replace
from pathlib import Path

from textual import events
from textual.app import App
from textual.binding import Binding

from markovwire.errors import MarkovwireError

from .commands import ActionsProvider, BoxesProvider, ComponentsProvider, bindings
from .document import Document, name_of
from .keyguard import KeyGuard
from .recovery import Instance, Orphan, adopt_legacy, document_key, forget, orphans
from .settings import AUTOSAVE_SECONDS, recovery_dir


class MarkovwireApp(App[None]):
    """The app; see the module docstring."""

    CSS_PATH = "markovwire.tcss"
    TITLE = "markovwire"
    COMMANDS = App.COMMANDS | {ActionsProvider, ComponentsProvider, BoxesProvider}
    # Ctrl+Q is a priority binding: it works on every screen, dialogs included (they hide the app's other keys)
    BINDINGS = [replace(b, priority=True) if b.action == "app.quit_app" else b for b in bindings("app")] + \
        [Binding("question_mark", "help", "Help", show=False)]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]

    def __init__(self, path: str | os.PathLike | None = None, *, new: bool = False):
        super().__init__()
        self.start_path = Path(path) if path is not None else None
        self.start_new = new
        self.document = Document.new()
        self._autosaved = None
        self.recovery = Instance(recovery_dir())     # this UI's lock and recovery files
        self._recovery_key: str | None = None        # the document its recovery file holds
        self._untitled: tuple[Document | None, int] = (None, 0)
        self.intervals: dict[str, tuple[float, float]] = {}   # ad-hoc parameter intervals (the bounds screen)
        self.keyguard = KeyGuard()                    # drops keys typed blind as screens open and close
        self.render_options = None                    # the last export's RenderOptions (the next one starts there)

    # ----- starting -----------------------------------------------------------------------------------
    def on_mount(self) -> None:
        from .screens.main import MainScreen
        self.main = MainScreen()
        # immediate: the keys already queued behind the one that changed the screen must see the change
        self.screen_change_signal.subscribe(self, self.keyguard.screens_changed, immediate=True)
        self._open_start()
        self.push_screen(self.main)
        self.set_interval(AUTOSAVE_SECONDS, self.autosave)
        self.call_after_refresh(self.offer_recovery, self.document.path, True)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded and self._drop(event):
            return
        await super().on_event(event)

    def on_key(self, event: events.Key) -> None:
        """A key back from the widgets, before the bindings run: a key already on its way to a dialog when the dialog
        closed would otherwise run a command of the screen below."""
        if self._drop(event):
            event.prevent_default()

    def _drop(self, event: events.Key) -> bool:
        if not self.keyguard.drops(event, self.focused):
            return False
        if len(self.keyguard.dropped) == 1:
            self.set_timer(self.keyguard.seconds, self._keys_dropped)
        return True

    def _keys_dropped(self) -> None:
        """Once a burst of dropped keys is over, say what was dropped."""
        if not self.keyguard.burst_over():
            self.set_timer(self.keyguard.seconds, self._keys_dropped)
            return
        text = self.keyguard.take()
        if text:
            self.notify(f"Ignored {text!r}: typed while a dialog opened or closed, so not run as commands.",
                        severity="warning", timeout=5)

    def on_unmount(self) -> None:
        self.recovery.release()        # recovery files left now are offered by the next UI

    def _open_start(self) -> None:
        if self.start_new:
            return
        path = self.start_path
        if path is None:
            from markovwire.library.shipped import default_proposal
            path = default_proposal()
        if not Path(path).exists() and Path(path).suffix.lower() in (".yaml", ".yml"):
            self.document = Document.new(name_of(path))        # a new file: Ctrl+S writes it there
            self.document.path = Path(path)
            self.notify(f"{path} does not exist yet: a new, empty proposal that Ctrl+S saves there.", timeout=6)
            return
        try:
            self.document = Document.open(path)
        except MarkovwireError as e:             # not readable at all: an untitled proposal, the file untouched
            self.document = Document.new(name_of(path))
            self.document.path = None
            self.notify(str(e), title=f"Could not open {path}", severity="error", timeout=15)
            return
        self._say_read_only(self.document, explicit=self.start_path is not None)

    def _say_read_only(self, doc: Document, explicit: bool = True) -> None:
        """Tell the user when the document just opened cannot be saved where it came from, and why."""
        if doc.broken is not None:
            self.notify(f"{doc.read_only}. Fix it in a text editor and open it again (Ctrl+O), or build here and "
                        "save as another file (Ctrl+W).", title=f"{doc.path.name} is read-only",
                        severity="error", timeout=15)
        elif doc.origin is not None and explicit:
            self.notify(f"{doc.read_only}: the first Ctrl+S asks where to save it.", timeout=6)

    def offer_recovery(self, path: Path | None, untitled: bool = False) -> None:
        """Offer the work a UI that no longer runs autosaved for the document at ``path`` (and, with ``untitled``,
        for documents never saved); name the other documents that have some."""
        key = document_key(path) if path is not None else None
        if untitled:
            adopt_legacy(self.recovery.folder.parent / "recovery.yaml", self.recovery.folder)
        found = orphans(self.recovery.folder)
        mine = [o for o in found if o.key == key or (untitled and o.key.startswith("untitled-"))]
        if untitled:
            others = sorted({self._recovery_meta(o).get("path") or o.key for o in found if o not in mine})
            if others:
                self.notify("Unsaved work from a session that stopped is kept for " + ", ".join(map(str, others))
                            + ": open the file to recover it.", timeout=10)
        if mine:
            self._offer_recovery(mine[0])

    @staticmethod
    def _recovery_meta(orphan: Orphan) -> dict:
        import yaml
        try:
            meta = yaml.safe_load(orphan.path.read_text(encoding="utf-8"))
        except (OSError, ValueError, yaml.YAMLError):
            return {}
        return meta if isinstance(meta, dict) else {}

    def _offer_recovery(self, orphan: Orphan) -> None:
        from .screens.recovery import RecoveryScreen
        try:
            found = Document.from_recovery(orphan.path.read_text(encoding="utf-8"))
        except (MarkovwireError, OSError, ValueError) as e:
            self.notify(f"The recovery file {orphan.path} cannot be read ({e}); it was set aside.",
                        severity="warning", timeout=10)
            with contextlib.suppress(OSError):
                orphan.path.replace(orphan.path.with_suffix(".unreadable"))
            return
        meta = self._recovery_meta(orphan)

        def answer(recover: bool | None) -> None:
            if recover is None:              # not now: the file stays, and is offered again next time
                self.notify(f"Kept the unsaved work in {orphan.path}; it is offered again next time.", timeout=6)
            elif recover:
                self.document = found
                self._autosaved = None
                self.document_changed()
                if self.autosave() is not None:     # this UI's recovery file holds it now
                    forget(orphan)
                self.notify("Recovered your unsaved work. Save it with Ctrl+S.", timeout=6)
            else:
                forget(orphan)

        self.push_screen(RecoveryScreen(found.name, str(meta.get("path") or ""), str(meta.get("written", "?"))),
                         answer)

    # ----- editing --------------------------------------------------------------------------------------
    def add_component(self, name: str) -> None:
        """From the command palette: add an instance of ``name`` (an unknown name gets a message)."""
        try:
            self.document._component(name)
        except MarkovwireError as e:
            self.notify(str(e), title="No such component", severity="error", timeout=10)
            return
        self.main.action_add_component(name)

    def document_changed(self, evaluate: bool = True) -> None:
        """Redraw the workspace, and the analysis screens open over it, from the document."""
        self.main.refresh_document(evaluate)
        for screen in self.screen_stack:
            if screen is not self.main and hasattr(screen, "refresh_document"):
                screen.refresh_document()

    def show_title(self) -> None:
        doc = self.document
        where = (_shown(doc.path) + ("  (read-only)" if doc.broken is not None else "") if doc.path
                 else f"copy of {doc.origin.name}, not saved yet" if doc.origin else "not saved yet")
        self.sub_title = f"{doc.name} — {where}{'  • modified' if doc.dirty else ''}"

    def yaml_files(self) -> list[Path]:
        """Proposal-like files near here (the working directory and the document's folder)."""
        folders = [Path.cwd()] + ([self.document.path.parent] if self.document.path else [])
        out = []
        for d in dict.fromkeys(folders):
            try:
                out += sorted(d.glob("*.yaml"))[:50]
            except OSError:
                pass
        return out

    # ----- files --------------------------------------------------------------------------------------
    def action_save(self) -> None:
        if self.document.broken is not None and self.document.path is not None:   # never saved over: say why
            self.notify(f"{self.document.read_only}. Choose another file for your work.", title="Not saved",
                        severity="warning", timeout=8)
            self.action_save_as()
            return
        if self.document.path is None:
            self.action_save_as()
            return
        self._save(None)

    def _save(self, path) -> None:
        try:
            target = self._write(path)
        except MarkovwireError as e:       # the document stays unsaved (and autosaved): nothing is lost
            self.notify(str(e), title="Not saved", severity="error", timeout=10)
            return
        self.drop_recovery()
        problems = len(self.document.check.problems)
        note = f" It has {problems} problem(s) still." if problems else ""
        self.notify(f"Saved {target}.{note}", timeout=4)
        self.main.refresh_document(evaluate=False)

    def action_save_as(self) -> None:
        from .screens.file_dialog import FileScreen
        doc = self.document
        default = doc.path or Path.cwd() / f"{doc.name}.yaml"
        if doc.broken is not None and doc.path is not None:       # not the file that did not open
            default = default.with_name(f"{default.stem}_copy{default.suffix}")
        self.push_screen(FileScreen("Save the proposal as", str(default), apply=self._save_as))

    def _save_as(self, path: Path) -> None:
        self._write(path)      # a mistake is shown in the dialog, which stays open
        self.drop_recovery()
        self.notify(f"Saved {path}.", timeout=4)
        self.main.refresh_document(evaluate=False)

    def _write(self, path) -> Path:
        """Save the document; every failure is a markovwire error naming the file (the document stays dirty)."""
        try:
            return self.document.save(path)
        except OSError as err:
            from markovwire.diagrams.atomic import write_error
            raise write_error(path or self.document.path, err) from None

    def action_open(self) -> None:
        self._unless_discarding(self._ask_open, "Open another file")

    def _ask_open(self) -> None:
        from markovwire.library import shipped_proposals

        from .screens.file_dialog import FileScreen
        self.push_screen(FileScreen("Open a proposal", "", shipped_proposals() + self.yaml_files(),
                                    apply=self.open_path))

    def open_path(self, path: str | os.PathLike) -> None:
        """Open ``path``: a file that does not parse opens read-only with its errors, a shipped one as an untitled
        copy; a file that cannot be read raises (the caller shows why) and the current work stays."""
        doc = Document.open(Path(path))
        self.document = doc
        self._autosaved = doc.spec
        self.intervals = {}
        self.drop_recovery()
        self.document_changed()
        self.call_after_refresh(self.offer_recovery, doc.path)     # work on it a stopped UI left unsaved
        problems = len(doc.check.problems)
        if doc.read_only:
            self._say_read_only(doc)
        elif problems:
            self.notify(f"Opened {path} with {problems} problem(s): see Problems.", severity="warning", timeout=6)

    def action_new(self) -> None:
        def fresh():
            self.document = Document.new()
            self._autosaved = self.document.spec
            self.intervals = {}
            self.document_changed()
            self.notify("A new, empty proposal. Add components with a.", timeout=4)
        self._unless_discarding(fresh, "Start a new proposal")

    def _unless_discarding(self, then, doing: str) -> None:
        """Run ``then`` now, or after the user agrees to drop unsaved changes."""
        if not self.document.dirty:
            then()
            return
        from .screens.confirm import ConfirmScreen
        self.push_screen(ConfirmScreen(f"{doing}: discard the unsaved changes to {self.document.name}?",
                                       "They are not in any file yet (Ctrl+S saves them)."),
                         lambda yes: then() if yes else None)

    def action_export(self) -> None:
        from markovwire.diagrams.render import render

        from .screens.export import ExportScreen
        check = self.document.check
        doc = self.document
        base = doc.path.with_suffix(".svg") if doc.path else Path.cwd() / f"{doc.name}.svg"

        def apply(path: Path, options) -> None:
            if check.proposal is None and not check.wiring.boxes:
                raise MarkovwireError("export", "the diagram is empty", "add components first")
            render(check.wiring, path, options=options)
            self.render_options = options  # the next export starts from these

        self.push_screen(ExportScreen(base, apply, self.render_options),
                         lambda path: self.notify(f"Exported {path}.", timeout=4) if path else None)

    def action_compare(self) -> None:
        from markovwire.library import load_proposal, shipped_proposals

        from .screens.compare import CompareScreen
        from .screens.file_dialog import FileScreen
        mine = self.document.check.proposal
        if not self._builds("proposal to compare"):
            return
        chosen = {}

        def apply(path: Path) -> None:
            chosen["other"] = load_proposal(path)

        def done(path):
            if path:
                self.show_view(CompareScreen(mine, chosen["other"]))

        self.push_screen(FileScreen("Compare with", "", shipped_proposals() + self.yaml_files(), apply=apply,
                                    note="A is this proposal, B the one you choose: what changed from A to B, "
                                         "and every query on both."), done)

    def action_limits(self) -> None:
        from .screens.limits import LimitsScreen, shown

        def done(changed: dict | None) -> None:
            if changed:
                said = ", ".join(f"{n} {shown(n, v)}" for n, v in changed.items())
                self.notify(f"Limits for this session: {said}. Evaluating again.", timeout=4)
                self.document_changed()
        if not isinstance(self.screen, LimitsScreen):
            self.push_screen(LimitsScreen(), done)

    def action_bounds(self) -> None:
        from .screens.bounds import BoundsScreen
        if self._builds("bounds to compute"):
            self.show_view(BoundsScreen())

    def action_game(self) -> None:
        from .screens.game import GameScreen
        if self._builds("control game to solve"):
            self.show_view(GameScreen())

    def action_flow(self) -> None:
        from .screens.flow import FlowScreen
        if self._builds("wiring to check"):
            self.show_view(FlowScreen())

    def _builds(self, nothing: str) -> bool:
        if self.document.check.proposal is None:
            self.notify(f"This proposal does not build yet (see Problems), so there is no {nothing}.",
                        severity="warning", timeout=6)
            return False
        return True

    def show_view(self, screen) -> None:
        """Show an analysis screen (bounds, flow, compare) over the workspace, or in place of the one showing."""
        current = self.screen
        if not getattr(current, "VIEW", False):
            self.push_screen(screen)
        elif type(current) is not type(screen) or screen.VIEW == "compare":     # another view, or comparison
            self.switch_screen(screen)

    # ----- undo, help, quit ---------------------------------------------------------------------------
    def action_undo(self) -> None:
        if self.document.undo():
            self.document_changed()
        else:
            self.notify("Nothing to undo.", timeout=2)

    def action_redo(self) -> None:
        if self.document.redo():
            self.document_changed()
        else:
            self.notify("Nothing to redo.", timeout=2)

    def action_help(self) -> None:
        from .screens.help import HelpScreen
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_quit_app(self) -> None:
        def leave():
            self.drop_recovery()
            self.exit()
        self._unless_discarding(leave, "Quit")

    # ----- autosave -------------------------------------------------------------------------------------
    def autosave(self) -> Path | None:
        """Write unsaved work to this UI's recovery file of the document (when it changed since the last time);
        returns the file that holds it (None when there is no unsaved work)."""
        doc = self.document
        if not doc.dirty:
            self.drop_recovery()
            return None
        key = self._document_key()
        target = self.recovery.path(key)
        if doc.spec is self._autosaved and key == self._recovery_key and target.is_file():
            return target
        try:
            self.recovery.write(key, doc.recovery_text())
        except MarkovwireError as e:
            self.notify(f"Autosave failed: {e}", severity="warning", timeout=6)
            return None
        if self._recovery_key not in (None, key):       # the document was saved elsewhere, or another opened
            self.recovery.drop(self._recovery_key)
        self._autosaved, self._recovery_key = doc.spec, key
        return target

    def drop_recovery(self) -> None:
        """Delete this UI's recovery files: the work was saved, or the user chose to discard it."""
        if self._recovery_key is not None:
            self.recovery.drop()
            self._recovery_key = None

    def _document_key(self) -> str:
        doc = self.document
        if doc.path is not None:
            return document_key(doc.path)
        if self._untitled[0] is not doc:
            self._untitled = (doc, self._untitled[1] + 1)
        return document_key(None, self._untitled[1])


def _shown(path: Path, width: int = 48) -> str:
    """A path as the user would write it (relative to the working directory when shorter), cut to ``width``."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        rel = str(path)
    text = rel if len(rel) < len(str(path)) else str(path)
    if len(text) > width:
        parts = Path(text).parts
        text = "…/" + "/".join(parts[-2:]) if len(parts) > 2 else text
    return text


def run_app(path: str | os.PathLike | None = None) -> int:
    """Open the terminal UI on ``path`` (None: the shipped default proposal); returns the exit status (not 0 when
    the app stopped on an error)."""
    app = MarkovwireApp(path)
    app.run()
    return app.return_code or 0
