"""Errors a user can cause, each naming the place and the fix.

Every mistake a user can make raises a subclass of :class:`MarkovwireError`.
The message always has three parts: *where* (file and line, box and port,
row of a table), *what* went wrong, and *fix* (what would repair it).

>>> err = TypeMismatch("box 'monitor', port 'act'", "expected Act, got Verdict",
...                    fix="wire an Act-typed output into 'act'")
>>> print(err)
box 'monitor', port 'act': expected Act, got Verdict
  fix: wire an Act-typed output into 'act'

The place is a :class:`Place`: text as before, and fields that front ends read
(they never parse the text):

>>> err = TypeMismatch(Place(box="monitor", port="act"), "expected Act, got Verdict")
>>> err.where, err.box, err.port
("box 'monitor', port 'act'", 'monitor', 'act')
>>> outer = Place(file="p.yaml", line=7, keys=("instances", "monitor"))
>>> inner = outer.nest(err.place)
>>> print(inner)
p.yaml:7: instances.monitor: box 'monitor', port 'act'
>>> inner.file, inner.line, inner.keys, inner.box, inner.port
('p.yaml', 7, ('instances', 'monitor'), 'monitor', 'act')
"""
from __future__ import annotations

from typing import Any, Sequence


def dotted(path: Sequence) -> str:
    """``("boxes", "monitor", "kernel")`` → ``boxes.monitor.kernel``; indices as ``wires[3]``."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) and not isinstance(p, bool) else (f".{p}" if out else str(p))
    return out


def box_port(box: str | None, port: str | None) -> str:
    """``box 'monitor', port 'act'`` (either part may be missing)."""
    return ", ".join(x for x in (f"box {box!r}" if box is not None else "",
                                 f"port {port!r}" if port is not None else "") if x)


def _join(*parts: str) -> str:
    return ": ".join(p for p in parts if p)


class Place(str):
    """Where an error is: fields (file, line, key path, box, port, free text) and, as a ``str``, their text.

    The text is ``context: file:line: key.path: detail`` without the parts that are missing,
    so that a place is a drop-in for the strings places used to be (concatenated, compared,
    printed) while front ends read the fields. ``detail`` is free text (``wire a.x → b.y``,
    ``kernel 'k', row 3``); when it is not given, it is the box and port
    (``box 'monitor', port 'act'``). ``context`` is the text of outer places when the place is
    inside another file's entry (see :meth:`nest`); ``sep`` what stands between the key path
    and the detail (``": "``, or what :meth:`extend` was given).

    It is a ``str`` subclass rather than a plain dataclass because hundreds of raise sites
    and callers treat places as text (``f"{where}, port 3"``, ``where.startswith(...)``,
    equality with a literal in tests): those keep working unchanged, and their results are
    plain text without fields (:meth:`extend` and :meth:`nest` are the ways that keep them).
    Place text compares as text: compare :meth:`fields` when the structure matters.

    >>> p = Place(file="lib.yaml", line=4, keys=("components", "coin", "kernel"))
    >>> p
    'lib.yaml:4: components.coin.kernel'
    >>> p.local, p.file, p.line, p.keys
    ('components.coin.kernel', 'lib.yaml', 4, ('components', 'coin', 'kernel'))
    """

    file: str | None
    line: int | None
    keys: tuple
    box: str | None
    port: str | None
    detail: str
    context: str
    sep: str

    def __new__(cls, detail: str | None = None, *, file: str | None = None, line: int | None = None,
                keys: Sequence = (), box: str | None = None, port: str | None = None, context: str = "",
                sep: str = ": "):
        keys = tuple(keys)
        file = str(file) if file not in (None, "") else None
        detail = box_port(box, port) if detail is None else str(detail)
        head = (f"{file}:{line}" if line is not None else file) if file is not None else \
            (f"line {line}" if line is not None else "")
        prefix = _join(context, head, dotted(keys))
        self = super().__new__(cls, f"{prefix}{sep}{detail}" if prefix and detail else prefix or detail)
        self.__dict__.update(file=file, line=line, keys=keys, box=box, port=port, detail=detail, context=context,
                             sep=sep)
        return self

    @classmethod
    def of(cls, where: "str | Place | None") -> "Place":
        """``where`` as a place: a place as it is, plain text as the detail (never parsed), None as no place."""
        if isinstance(where, Place):
            return where
        return cls("" if where is None else str(where))

    def __setattr__(self, name, value):
        raise AttributeError("a Place is immutable: use replace()")

    __delattr__ = __setattr__

    def __reduce__(self):
        return (_place, (self.detail, self.fields(), self.context, self.sep))

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def fields(self) -> dict[str, Any]:
        """``{"file", "line", "keys", "box", "port"}``: what a front end needs to point at the place."""
        return {"file": self.file, "line": self.line, "keys": self.keys, "box": self.box, "port": self.port}

    def replace(self, **changes) -> "Place":
        """The place with some fields changed (its text follows: the detail is kept as it is)."""
        now = {**self.fields(), "detail": self.detail, "context": self.context, "sep": self.sep}
        unknown = set(changes) - set(now)
        if unknown:
            raise TypeError(f"Place has no field(s) {', '.join(sorted(unknown))}")
        now.update(changes)
        return Place(now.pop("detail"), **now)

    @property
    def local(self) -> str:
        """The place within its file: key path and detail, without context, file and line."""
        keys = dotted(self.keys)
        return f"{keys}{self.sep}{self.detail}" if keys and self.detail else keys or self.detail

    def extend(self, text: str, sep: str = ", ") -> "Place":
        """The place with ``text`` after it (``f"{place}{sep}{text}"``), its fields kept: the structured form of
        ``f"{where}, port {i}"`` (a plain-text place gets ``text`` alone, as ``f"{where}, x" if where else "x"``).

        >>> p = Place(file="f.yaml", line=3, keys=("diagram",)).extend("(column 8, '>>')", sep=" ")
        >>> p, p.keys, p.detail
        ("f.yaml:3: diagram (column 8, '>>')", ('diagram',), "(column 8, '>>')")
        """
        if not self:
            return self.replace(detail=text)
        if self.detail:
            return self.replace(detail=f"{self.detail}{sep}{text}")
        return self.replace(detail=text, sep=sep)

    def nest(self, inner: "str | Place | None") -> "Place":
        """``inner`` inside this place (its text ``"{self}: {inner}"``), composed from the fields.

        File, line and key path come from the place that names a file (the inner one if both
        do: that is where the mistake is, and the outer one is then context); an inner place that
        names no file is detail of the outer one; box and port are the inner place's if it has
        them, else this one's.
        """
        inner = Place.of(inner)
        box, port = (inner.box, inner.port) if (inner.box, inner.port) != (None, None) else (self.box, self.port)
        if not inner:
            return self if (box, port) == (self.box, self.port) else self.replace(box=box, port=port)
        if not self:
            return inner if (box, port) == (inner.box, inner.port) else inner.replace(box=box, port=port)
        if inner.file is not None or (self.file is None and not self.keys and not self.context and inner.keys):
            # the inner place names its own file (or starts the key path): this place is its context
            return Place(inner.detail, file=inner.file, line=inner.line, keys=inner.keys, box=box, port=port,
                         context=_join(str(self), inner.context), sep=inner.sep)
        return Place(_join(self.detail, str(inner)), file=self.file, line=self.line, keys=self.keys, box=box,
                     port=port, context=self.context, sep=self.sep if self.detail else ": ")


def _place(detail: str, fields: dict, context: str, sep: str = ": ") -> Place:
    return Place(detail, context=context, sep=sep, **fields)


class MarkovwireError(Exception):
    """Base class of every error a user of markovwire can cause.

    ``where`` is a :class:`Place` or text (kept as the place's detail); ``box=`` and ``port=``
    say which box and port the error is about, as fields (the text is ``where`` as given, or
    ``box 'b', port 'p'`` when there is no ``where``).
    """

    def __init__(self, where: str | Place | None, what: str, fix: str | None = None, *,
                 box: str | None = None, port: str | None = None):
        place = Place.of(where) if where else Place(box=box, port=port) if (box, port) != (None, None) else Place()
        if (box, port) != (None, None) and (place.box, place.port) != (box, port):
            place = place.replace(box=place.box if box is None else box, port=place.port if port is None else port)
        self.place = place
        self.what = what
        self.fix = fix
        super().__init__(self._render())

    # ----- the place, as fields ----------------------------------------------------------------
    @property
    def where(self) -> Place:
        """The place (a :class:`Place`, which is also its text)."""
        return self.place

    @where.setter
    def where(self, value: str | Place | None) -> None:
        self.place = Place.of(value)
        self.args = (self._render(),)

    @property
    def file(self) -> str | None:
        return self.place.file

    @property
    def line(self) -> int | None:
        return self.place.line

    @property
    def keys(self) -> tuple:
        return self.place.keys

    @property
    def box(self) -> str | None:
        return self.place.box

    @property
    def port(self) -> str | None:
        return self.place.port

    def relocated(self, place: str | Place | None, what: str | None = None, fix: str | None = None):
        """The same error (same class, other attributes kept) at another place (or with another what, fix)."""
        new = type(self).__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.place = Place.of(place)
        if what is not None:
            new.what = what
        if fix is not None:
            new.fix = fix
        Exception.__init__(new, new._render())
        return new

    def to_dict(self) -> dict[str, Any]:
        """The error as a JSON object: its class, its place's fields, and the texts.

        >>> TypeMismatch(Place(box="m", port="act"), "expected Act", fix="wire an Act").to_dict()["box"]
        'm'
        """
        p = self.place
        return {"type": type(self).__name__, "file": p.file, "line": p.line,
                "keys": [k if isinstance(k, str) or type(k) is int else str(k) for k in p.keys],
                "box": p.box, "port": p.port, "where": str(p), "what": self.what, "fix": self.fix,
                "message": str(self)}

    def _render(self) -> str:
        head = f"{self.where}: {self.what}" if self.where else self.what
        return head + (f"\n  fix: {self.fix}" if self.fix else "")

    def __str__(self) -> str:
        return self._render()

    def __reduce__(self):
        return (_restore, (type(self), self.__dict__.copy()))


def _restore(cls, state: dict) -> MarkovwireError:
    err = cls.__new__(cls)
    err.__dict__.update(state)
    Exception.__init__(err, err._render())
    return err


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


class EngineError(MarkovwireError):
    """Where pieces of a batch were to run cannot be used: no dask.distributed, no scheduler at an address."""


class Cancelled(MarkovwireError):
    """A long run was cancelled by its user (Ctrl+C, the UI's cancel key); what was written says so."""


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

    def to_dict(self) -> dict[str, Any]:
        """As :meth:`MarkovwireError.to_dict`, with ``errors``: each problem's own object."""
        return {**super().to_dict(), "errors": [e.to_dict() for e in self.errors]}
