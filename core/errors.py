"""Errors a user can cause, each naming the place and the fix.

Every mistake a user can make raises a subclass of :class:`MarkovwireError`.
The message always has three parts: *where* (file and line, box and port,
row of a table), *what* went wrong, and *fix* (what would repair it).

>>> err = TypeMismatch("box 'monitor', port 'act'", "expected Act, got Verdict",
...                    fix="wire an Act-typed output into 'act'")
>>> print(err)
box 'monitor', port 'act': expected Act, got Verdict
  fix: wire an Act-typed output into 'act'
"""
from __future__ import annotations


class MarkovwireError(Exception):
    """Base class of every error a user of markovwire can cause."""

    def __init__(self, where: str, what: str, fix: str | None = None):
        self.where = where
        self.what = what
        self.fix = fix
        super().__init__(self._render())

    def _render(self) -> str:
        head = f"{self.where}: {self.what}" if self.where else self.what
        return head + (f"\n  fix: {self.fix}" if self.fix else "")

    def __str__(self) -> str:
        return self._render()


class TypeMismatch(MarkovwireError):
    """Two things that must have the same finite type do not."""


class ShapeError(MarkovwireError):
    """An array's shape does not fit the types it is declared with."""


class NotStochastic(MarkovwireError):
    """A kernel row is negative or does not sum to one."""


class ParameterError(MarkovwireError):
    """A parameter is unknown, missing, or outside its domain."""


class ExpressionError(MarkovwireError):
    """An expression from a file is outside the whitelisted grammar."""


class EvidenceError(MarkovwireError):
    """Conditioning on evidence of probability zero, or on an unknown wire."""


class LoopWithoutState(MarkovwireError):
    """A feedback loop in a wiring diagram passes through no stateful box."""


class ContractionTooLarge(MarkovwireError):
    """A contraction would allocate more memory than the configured budget."""


class WiringError(MarkovwireError):
    """A wire is dangling, doubly driven, or refers to something unknown."""


class FileFormatError(MarkovwireError):
    """A library, proposal or diagram file is malformed."""


class UnknownName(MarkovwireError):
    """A component, type, parameter or library that is not defined."""


class RenderError(MarkovwireError):
    """A figure cannot be produced (no renderer, unsupported format)."""


class ErrorList(MarkovwireError):
    """Several problems found at once (the type checker reports all of them)."""

    def __init__(self, errors: list[MarkovwireError]):
        self.errors = list(errors)
        lines = [f"{len(self.errors)} problem(s):"]
        lines += [f"- {e}".replace("\n", "\n  ") for e in self.errors]
        super().__init__("", "\n".join(lines))
