"""Control games in proposal files: the blue team's ``blue:`` entries against the red team's ``adversary:`` entries.

A ``blue:`` entry names what the blue team chooses (parameters ``over``, or an instance's policy with what it
``observes``), the query it optimises (``sense``, default max: safety), the ``constraints`` its choice must keep
(queries that do not depend on the red team, such as the audit rate on honest traffic) and the red team's choices
(``against``: adversary entries, by default those on the same query). This module checks those entries when a file
is loaded (every mistake placed at its key, with a fix) and turns them into the core's
:class:`~markovwire.analysis.game.Choice` and :class:`~markovwire.analysis.game.Constraint`; the game itself is
solved by :func:`markovwire.analysis.game.solve` and :func:`~markovwire.analysis.game.frontier` on the proposal's
compiled model, so ``markovwire solve``, ``markovwire frontier``, Python and the UI give one answer.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, replace
from typing import Mapping

from markovwire.errors import FileFormatError, MarkovwireError, ParameterError, UnknownName


def _hint(name: str, names) -> str:
    close = difflib.get_close_matches(name, list(names), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _known_query(p, where, name: str, errors: list, purpose: str) -> bool:
    """Query ``name`` exists and is a probability or an expectation (else a placed error; False)."""
    queries = p.spec.queries
    if name not in queries:
        errors.append(UnknownName(where, f"unknown query {name!r}{_hint(name, queries)}",
                                  fix=f"use one of: {', '.join(queries) or 'no queries declared'}"))
        return False
    if not queries[name].is_linear:
        errors.append(FileFormatError(where, f"query {name!r} is {queries[name].what}",
                                      fix=f"{purpose} a probability or an expectation"))
        return False
    return True


def check_choice(p, section: str, name: str, entry, errors: list) -> None:
    """An ``adversary:`` or ``blue:`` entry names a linear query, parameters that exist and size no type, bounds
    inside their domains, or a plain instance and input ports of it."""
    where = lambda *k: p.where(section, name, *k)
    who = entry.WHO
    if name in p.spec.queries:
        errors.append(FileFormatError(where(), f"{name!r} is also the name of a query",
                                      fix=f"give {section} entries their own names"))
    _known_query(p, where("query"), entry.query, errors, "optimise")
    if entry.instance is not None:
        _check_instance(p, where, entry, errors)
    for i, n in enumerate(entry.over):
        if n not in p.all_parameters:
            errors.append(ParameterError(where("over", i), f"unknown parameter {n!r}{_hint(n, p.all_parameters)}",
                                         fix=f"choose among: {', '.join(sorted(p.parameters))}"))
        elif n in p.structural:
            errors.append(ParameterError(where("over", i), f"parameter {n!r} sizes a type",
                                         fix=f"{who} chooses parameters of kernels, not sizes of types"))
    for n, (lo, hi) in entry.bounds.items():
        if n not in entry.over:
            errors.append(ParameterError(where("bounds", n), f"{n!r} is not in 'over'",
                                         fix=f"give bounds only for parameters {who} chooses"))
        elif n in p.all_parameters:
            dlo, dhi = p.all_parameters[n].domain
            if not dlo <= lo <= hi <= dhi:
                errors.append(ParameterError(where("bounds", n),
                                             f"[{lo:g}, {hi:g}] is not inside the domain [{dlo:g}, {dhi:g}]",
                                             fix="give bounds low <= high inside the parameter's domain"))


def _check_instance(p, where, entry, errors: list) -> None:
    """The instance exists, is a plain component, and the ports it observes are its inputs."""
    boxes = {b.name: b for b in p.net().boxes}
    if entry.instance not in p.instances:
        errors.append(UnknownName(where("instance"), f"no instance {entry.instance!r}"
                                  f"{_hint(entry.instance, p.instances)}",
                                  fix=f"name one of: {', '.join(p.instances)}"))
    elif entry.instance not in boxes:
        errors.append(FileFormatError(where("instance"), f"instance {entry.instance!r} has a state or is a diagram",
                                      fix=f"let {entry.WHO} replace a plain component"))
    else:
        ports = [q.name for q in boxes[entry.instance].kernel.dom]
        for i, port in enumerate(entry.observes or []):
            if port not in ports:
                errors.append(UnknownName(where("observes", i), f"{entry.instance!r} has no input port {port!r}",
                                          fix=f"observe some of its inputs: {', '.join(ports) or 'it has none'}"))


def red_entries(spec, name: str) -> list[str]:
    """The adversary entries that are the red team's choices against blue entry ``name``."""
    blue = spec.blue[name]
    if blue.against is not None:
        return list(blue.against)
    return [k for k, a in spec.adversary.items() if a.query == blue.query]


def _chosen(entry) -> set[str]:
    return set(entry.over) | ({f"instance {entry.instance}"} if entry.instance is not None else set())


def check_blue(p, errors: list) -> None:
    """Every ``blue:`` entry: its own choice (as :func:`check_choice`), its red team (adversary entries on the
    same query with the opposite sense, choosing other things than blue), and its constraints."""
    spec = p.spec
    for name, blue in spec.blue.items():
        where = lambda *k: p.where("blue", name, *k)
        if name in spec.adversary or name in spec.credal:
            errors.append(FileFormatError(where(), f"{name!r} is also the name of an adversary or credal entry",
                                          fix="give blue entries their own names"))
        check_choice(p, "blue", name, blue, errors)
        if blue.sense == "min":
            errors.append(FileFormatError(where("sense"), "the blue team maximises its query (the solver's payoff "
                                          "is what blue wants more of)",
                                          fix="give blue the query to maximise (safety rather than p_catastrophe) "
                                              "with sense: max, and its adversary entries sense: min"))
        reds = red_entries(spec, name)
        if not reds and blue.query in spec.queries:      # (an unknown query is reported once, above)
            others = ", ".join(f"{k} (on {a.query!r})" for k, a in spec.adversary.items())
            errors.append(FileFormatError(where("query") if blue.against is None else where("against"),
                                          f"no adversary entry optimises query {blue.query!r}: the red team has "
                                          "no choice to reply with",
                                          fix=f"add an adversary entry on {blue.query!r} (e.g. over: [beta], sense: "
                                              f"{_opposite(blue.sense)}), or name the red team's entries in "
                                              f"'against'{': ' + others if others else ''}"))
        mine = _chosen(blue)
        for i, red in enumerate(reds):
            at = where("against", i) if blue.against is not None else where("query")
            adv = spec.adversary.get(red)
            if adv is None:
                errors.append(UnknownName(at, f"no adversary entry {red!r}{_hint(red, spec.adversary)}",
                                          fix=f"name adversary entries: {', '.join(spec.adversary) or 'none yet'}"))
                continue
            if adv.query != blue.query:
                errors.append(FileFormatError(at, f"adversary entry {red!r} optimises {adv.query!r}, not "
                                              f"{blue.query!r}: a game has one payoff",
                                              fix=f"name adversary entries on {blue.query!r}, or set the query of "
                                                  f"{red!r} to {blue.query!r}"))
            elif adv.sense == blue.sense == "max":             # (blue minimising is refused above)
                errors.append(FileFormatError(at, f"adversary entry {red!r} also {_verb(adv.sense)} {blue.query!r}"
                                              ": in a zero-sum game red optimises against blue",
                                              fix=f"give {red!r} sense: {_opposite(blue.sense)} (or blue sense: "
                                                  f"{_opposite(adv.sense)})"))
            both = sorted(mine & _chosen(adv))
            if both:
                errors.append(FileFormatError(at, f"both teams choose {', '.join(both)}",
                                              fix=f"let one team choose each parameter or instance: drop it from "
                                                  f"{red!r} or from blue entry {name!r}"))
        for i, c in enumerate(blue.constraints):
            if _known_query(p, where("constraints", i, "query"), c.query, errors, "constrain"):
                if c.query == blue.query:
                    errors.append(FileFormatError(where("constraints", i, "query"),
                                                  f"the constraint is on {c.query!r}, the query blue optimises",
                                                  fix="constrain another query (the audit rate on honest traffic, "
                                                      "usefulness), or narrow blue's bounds"))
                red = [k for k in reds if k in spec.adversary and spec.adversary[k].query == c.query]
                if red and c.query != blue.query:
                    errors.append(FileFormatError(where("constraints", i, "query"),
                                                  f"query {c.query!r} is what the red team ({red[0]}) optimises",
                                                  fix="constrain a query that does not depend on the red team"))


def _opposite(sense: str) -> str:
    return "min" if sense == "max" else "max"


def _verb(sense: str) -> str:
    return "maximises" if sense == "max" else "minimises"


@dataclass(frozen=True)
class Game:
    """A blue entry read for the core: blue's and red's choices, the constraints, and the places of each
    (for errors the core raises while solving)."""

    name: str
    query: str
    sense: str
    blue: tuple
    red: tuple
    constraints: tuple
    red_names: tuple[str, ...]


def game_of(proposal, name: str | None = None) -> Game:
    """The game of blue entry ``name`` (the only one when None) as the core's choices and constraints."""
    from markovwire.analysis.game import Choice, Constraint

    spec = proposal.spec
    name = blue_name(proposal, name)
    blue = spec.blue[name]
    reds = red_entries(spec, name)
    return Game(name, blue.query, blue.sense, (_choice(Choice, blue),),
                tuple(_choice(Choice, spec.adversary[r]) for r in reds),
                tuple(Constraint(c.query, at_most=c.at_most, at_least=c.at_least) for c in blue.constraints),
                tuple(reds))


def _choice(Choice, entry):
    return Choice(over=tuple(entry.over), instance=entry.instance,
                  observes=tuple(entry.observes) if entry.observes is not None else None,
                  bounds={k: (float(lo), float(hi)) for k, (lo, hi) in entry.bounds.items()} or None,
                  grid=entry.grid, stationary=getattr(entry, "stationary", False))


def blue_name(proposal, name: str | None) -> str:
    """``name`` checked against the file's blue entries; when None, the file's only one."""
    entries = proposal.spec.blue
    if name is None:
        if len(entries) == 1:
            return next(iter(entries))
        where = f"proposal {proposal.name!r}"
        if not entries:
            raise UnknownName(where, "has no blue: entry (the blue team's choice)",
                              fix="add one, e.g. blue: {best_protocol: {query: safety, over: [d]}} beside "
                                  "adversary:")
        raise UnknownName(where, f"has {len(entries)} blue entries: {', '.join(entries)}",
                          fix=f"choose one with --blue NAME (e.g. --blue {next(iter(entries))})")
    if name not in entries:
        raise UnknownName(f"--blue {name}", f"proposal {proposal.name!r} has no blue entry {name!r}"
                          f"{_hint(name, entries)}", fix=f"use one of: {', '.join(entries) or 'none declared'}")
    return name


def nature(proposal, game: Game, robust: bool | None) -> dict:
    """The credal sets that join the red team when the game is solved robustly: every instance measured from data
    (``data:``) that neither team chooses. ``robust=None`` (the default) means robust exactly when the proposal has
    measured instances, so a data-driven result always shows its sampling uncertainty; ``False``: none."""
    if robust is False:
        return {}
    chosen = {c.instance for c in game.blue + game.red}
    out = {n: e.credal for n, e in proposal.measured.items() if n not in chosen}
    if robust and not out:
        raise ParameterError("--robust", f"proposal {proposal.name!r} has no instance measured from data that the "
                             "teams leave to nature", fix="drop --robust, or give an instance a data: entry")
    return out


def solve(proposal, name: str | None = None, values: Mapping[str, object] | None = None, mixed: bool = True,
          robust: bool | None = None, lipschitz: float | None = None):
    """The equilibrium of blue entry ``name`` at ``values`` (see :func:`markovwire.analysis.game.solve`), with its
    robust counterpart when instances are measured from data (see :func:`nature`)."""
    from markovwire.analysis.game import solve as solve_game

    game = game_of(proposal, name)
    model, values = _model(proposal, values)
    sets = nature(proposal, game, robust)               # a mistake of --robust's, placed there
    with proposal._asking(game.name):
        return solve_game(model, game.query, game.blue, game.red, constraints=game.constraints, values=values,
                          mixed=mixed, nature=sets,
                          lipschitz=lipschitz if lipschitz is not None else proposal.spec.blue[game.name].lipschitz)


def frontier(proposal, safety: str | None, usefulness: str, name: str | None = None,
             values: Mapping[str, object] | None = None, weights=21, mixed: bool = True, robust: bool | None = None):
    """The safety-usefulness frontier of blue entry ``name`` (see :func:`markovwire.analysis.game.frontier`);
    ``safety`` is the blue entry's query (None: that one); each point's robust safety as in :func:`solve`."""
    from markovwire.analysis.game import frontier as frontier_of

    game = game_of(proposal, name)
    if safety is not None and safety != game.query:
        raise ParameterError(f"--safety {safety}", f"blue entry {game.name!r} plays its game on {game.query!r}",
                             fix=f"drop --safety (or give --safety {game.query}), or add a blue entry on {safety!r} "
                                 "with its adversary entries")
    for option, q in (("--safety", game.query), ("--usefulness", usefulness)):
        if q not in proposal.queries:
            raise UnknownName(f"{option} {q}", f"proposal {proposal.name!r} has no query {q!r}"
                              f"{_hint(q, proposal.queries)}", fix=f"use one of: {', '.join(proposal.queries)}")
    model, values = _model(proposal, values)
    sets = nature(proposal, game, robust)
    with proposal._asking(game.name):
        return frontier_of(model, game.query, usefulness, game.blue, game.red, weights=weights,
                           constraints=game.constraints, values=values, mixed=mixed, nature=sets)


def measured_range(proposal, model, name: str, values: Mapping[str, object], result,
                   ranges: Mapping[str, tuple] | None = None):
    """Adversary entry ``name``'s worst case ``result`` with the instances measured from data: the query at red's
    optimum over their credal sets (the credal bounds, :func:`markovwire.library.bounds.bounds`, red's choice
    fixed) and the robust worst case (red's options and the sets' vertices together,
    :func:`~markovwire.analysis.game.robust_worst_case`), a :class:`~markovwire.analysis.game.MeasuredRange`;
    None when nothing is measured."""
    from markovwire.analysis import CredalKernel
    from markovwire.analysis.game import Choice, MeasuredRange, robust_concept, robust_worst_case

    from .bounds import bounds

    adv = proposal.spec.adversary[name]
    nature = {n: e.credal for n, e in proposal.measured.items() if n != adv.instance}
    if not nature:
        return None
    if adv.instance is None:
        at = bounds(proposal, model, adv.query, values={**values, **result.choice})
        red = {k: float(v) for k, v in result.choice.items()}
    else:
        at = bounds(proposal, model, adv.query, boxes={adv.instance: CredalKernel([result.kernel])}, values=values)
        red = {adv.instance: dict(result.policy)}
    extreme = at.lower if adv.sense == "min" else at.upper
    note = at.note
    try:
        choice = _choice(Choice, adv)
        searched = {**dict(choice.bounds or {}), **{k: r for k, r in dict(ranges or {}).items() if k in adv.over}}
        choice = replace(choice, bounds=searched or None)
        robust, where = robust_worst_case(model, adv.query, choice, adv.sense, nature,
                                          {k: v for k, v in values.items() if k not in adv.over})
    except MarkovwireError as e:        # too many options to enumerate: the credal bound at red's optimum
        robust, where = extreme, {}
        note = "; ".join(x for x in (note, f"red's other options with nature's vertices not searched ({e.what})") if x)
    if (extreme < robust) if adv.sense == "min" else (extreme > robust):
        lower = at.lower_choice if adv.sense == "min" else at.upper_choice
        robust, where = extreme, {**red, **{k: "the kernel at the credal bound" for k in lower if k in nature}}
    concept = robust_concept(model, adv.query, nature) + ("; red's parameters on its grid" if adv.over else "")
    return MeasuredRange(tuple(nature), float(at.lower), float(at.upper), float(robust), where, adv.sense,
                         concept, note)


def _model(proposal, values):
    values = proposal._checked_values(values)
    built = proposal.built(values)
    return built.model(), {n: v for n, v in values.items() if n not in proposal.structural}


def protocols(strategy) -> list[str]:
    """A strategy as text, one protocol a line: the pure protocol itself, or each protocol of a mixture with its
    weight (``0.6 × d = 0.05``); the command line and the UI show strategies this way."""
    from markovwire.analysis.game import Strategy

    if len(strategy.options) == 1:
        return [str(strategy)]
    return [f"{w:.4g} × {Strategy([o], [1.0])}" for o, w in zip(strategy.options, strategy.weights)]

