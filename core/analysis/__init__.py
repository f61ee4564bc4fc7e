"""Analyses beyond point estimates: adversaries, credal bounds, robustness, sensitivities, flow, diffs.

Every analysis is a plain function taking a :class:`~markovwire.Net`, a :class:`Query`
and parameter values, and returning a small result with a readable ``str`` and a
``to_dict()`` for JSON.

>>> from markovwire import FinSet, Kernel, Net, Parameter
>>> from markovwire.analysis import Query, worst_case, sensitivities
>>> Act = FinSet("Act", ["clean", "attack"]); V = FinSet("Verdict", ["pass", "flag"])
>>> beta = Parameter("beta", (0, 0.2), default=0.05)
>>> net = Net()
>>> _ = net.add_box("policy", Kernel([1 - beta, beta], [], [Act], params=[beta]), [], ["act"])
>>> _ = net.add_box("monitor", Kernel([[0.95, 0.05], [0.3, 0.7]], [Act], [V]), ["act"], ["verdict"])
>>> missed = Query.probability({"act": "attack", "verdict": "pass"})
>>> round(worst_case(net, missed, over=["beta"]).value, 6)
0.06
>>> sensitivities(net, missed)["beta"].derivative
0.3
"""
from .adversary import (
                        ControlEvaluation,
                        ControlFrontier,
                        KernelAdversary,
                        WorstCase,
                        control_evaluation,
                        control_frontier,
                        worst_case,
                        worst_case_kernel,
)
from .credal import (
                        ChainBounds,
                        CredalBounds,
                        CredalKernel,
                        Interval,
                        IntervalKernel,
                        TVBallKernel,
                        chain_bounds,
                        conjunction,
                        credal_bounds,
                        disjunction,
                        lower_transition,
)
from .diff import NetDiff, QueryChange, diff
from .flow import (
                        CannotAffect,
                        Dependencies,
                        FlowCheck,
                        FlowChecklist,
                        Independent,
                        NeverSees,
                        active_path,
                        ancestor_boxes,
                        ancestors,
                        checklist,
                        dependencies,
                        independent,
                        path,
                        sees,
)
from .game import Choice, Constraint, Equilibrium, Frontier, FrontierPoint, Strategy, frontier, solve
from .latents import Factorisation, NaturalLatent, factors_through, natural_latent
from .linear import BoxForm, Simplex, optimise
from .query import Query, as_query
from .robust import RobustBand, chain_tv_band, perturbed, tv_band, tv_from_kl
from .search import Axis, brent_min, maximise, minimise
from .sensitivity import Sensitivity, SensitivityTable, derivative, sensitivities

__all__ = [
    "Query", "as_query",
    "Axis", "brent_min", "maximise", "minimise",
    "BoxForm", "Simplex", "optimise",
    "WorstCase", "KernelAdversary", "ControlEvaluation", "ControlFrontier",
    "worst_case", "worst_case_kernel", "control_evaluation", "control_frontier",
    "IntervalKernel", "TVBallKernel", "CredalKernel", "Interval", "CredalBounds", "ChainBounds",
    "credal_bounds", "chain_bounds", "lower_transition", "conjunction", "disjunction",
    "RobustBand", "tv_band", "chain_tv_band", "tv_from_kl", "perturbed",
    "Sensitivity", "SensitivityTable", "sensitivities", "derivative",
    "Dependencies", "FlowCheck", "FlowChecklist", "NeverSees", "CannotAffect", "Independent",
    "dependencies", "independent", "checklist", "path", "sees", "ancestors", "ancestor_boxes", "active_path",
    "NetDiff", "QueryChange", "diff",
    "NaturalLatent", "Factorisation", "natural_latent", "factors_through",
    "Choice", "Constraint", "Strategy", "Equilibrium", "FrontierPoint", "Frontier", "solve", "frontier",
]
