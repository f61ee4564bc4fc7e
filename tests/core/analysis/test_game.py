"""Control games: every equilibrium checked against brute force over the finite strategy sets.

The oracles here share no code with :mod:`markovwire.analysis.game`: payoff tables are written down by
hand or computed by replacing a box's kernel and evaluating the net, and the dynamic programme is checked
against every time-dependent deterministic policy of a tiny episode.
"""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy.optimize import linprog

from markovwire import Episode, FinSet, Kernel, Net, Parameter, ShapeError, UnknownName
from markovwire.analysis import Choice, Constraint, Query, frontier, solve
from markovwire.errors import ParameterError
from markovwire.model import Model

TOL = 1e-7


# ----- builders -------------------------------------------------------------------------------
def matrix_game(M: np.ndarray) -> Model:
    """A net whose payoff is ``M[blue move, red move]``: each side's move is the output of its own box."""
    nb, nr = M.shape
    B = FinSet("BlueMove", [f"b{i}" for i in range(nb)])
    R = FinSet("RedMove", [f"r{j}" for j in range(nr)])
    net = Net()
    net.add_box("blue", Kernel.uniform([("m", B)]), [], ["b"])
    net.add_box("red", Kernel.uniform([("m", R)]), [], ["r"])
    table = {(f"b{i}", f"r{j}"): float(M[i, j]) for i in range(nb) for j in range(nr)}
    return Model(net, {}, {"payoff": Query.expectation(["b", "r"], table)})


def kernel_options(model: Model, box: str) -> list[Kernel]:
    """The deterministic kernels of a box with no inputs, in the order of its outputs."""
    kern = model.target.box(box).kernel
    n = kern.array.shape[-1]
    return [Kernel(np.eye(n)[i], kern.dom, kern.cod) for i in range(n)]


def check_equilibrium(M: np.ndarray, eq, blue_index, red_index) -> None:
    """Both best-response conditions and the value, from the strategies and the payoff table alone."""
    x = np.zeros(M.shape[0])
    y = np.zeros(M.shape[1])
    for o, w in zip(eq.blue.options, eq.blue.weights):
        x[blue_index(o)] += w
    for o, w in zip(eq.red.options, eq.red.weights):
        y[red_index(o)] += w
    assert x.sum() == pytest.approx(1) and y.sum() == pytest.approx(1)
    assert x @ M @ y == pytest.approx(eq.value, abs=TOL)
    assert np.max(M @ y) <= eq.value + TOL            # no pure blue option does better against red's mixture
    assert np.min(x @ M) >= eq.value - TOL            # no pure red option does better against blue's mixture


def move(side: str):
    return lambda o: int(o[side][""].split("=")[1][1:])


# ----- finite games by LP ---------------------------------------------------------------------------
def test_matching_pennies_as_kernels_is_a_fair_coin_for_both():
    m = matrix_game(np.eye(2))
    eq = solve(m, "payoff", [Choice(instance="blue")], [Choice(instance="red")])
    assert eq.value == pytest.approx(0.5, abs=1e-12)
    assert eq.blue.weights == pytest.approx([0.5, 0.5]) and eq.red.weights == pytest.approx([0.5, 0.5])
    assert eq.blue.options == [{"blue": {"": "m=b0"}}, {"blue": {"": "m=b1"}}]
    assert eq.concept.startswith("mixed equilibrium") and eq.bracket == (eq.value, eq.value)
    check_equilibrium(np.eye(2), eq, move("blue"), move("red"))
    pure = solve(m, "payoff", [Choice(instance="blue")], [Choice(instance="red")], mixed=False)
    assert pure.value == 0.0 and pure.concept.startswith("Stackelberg") and len(pure.blue.options) == 1
    assert set(eq.to_dict()) >= {"value", "blue", "red", "concept", "bracket", "guarantee", "constraints"}


def test_rock_paper_scissors():
    M = np.array([[0.5, 0.0, 1.0], [1.0, 0.5, 0.0], [0.0, 1.0, 0.5]])      # rows beat the next column
    eq = solve(matrix_game(M), "payoff", [Choice(instance="blue")], [Choice(instance="red")])
    assert eq.value == pytest.approx(0.5, abs=1e-9)
    assert eq.blue.weights == pytest.approx([1 / 3] * 3) and eq.red.weights == pytest.approx([1 / 3] * 3)
    check_equilibrium(M, eq, move("blue"), move("red"))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), nb=st.integers(1, 5), nr=st.integers(1, 5))
def test_random_matrix_games_meet_both_best_response_conditions(seed, nb, nr):
    M = np.round(np.random.default_rng(seed).uniform(0, 1, size=(nb, nr)), 3)
    m = matrix_game(M)
    eq = solve(m, "payoff", [Choice(instance="blue")], [Choice(instance="red")])
    check_equilibrium(M, eq, move("blue"), move("red"))
    pure = solve(m, "payoff", [Choice(instance="blue")], [Choice(instance="red")], mixed=False)
    assert pure.value == pytest.approx(M.min(axis=1).max(), abs=1e-12)     # max_i min_j, by enumeration
    assert pure.value <= eq.value + TOL                                    # committing to a pure option costs
    i = move("blue")(pure.blue.options[0])
    assert M[i, move("red")(pure.red.options[0])] == pytest.approx(M[i].min())   # red best-replies


def test_the_payoff_table_is_the_net_evaluated_at_each_pair_of_kernels():
    rng = np.random.default_rng(3)
    A, V = FinSet("A", ["x", "y"]), FinSet("V", ["p", "q", "r"])
    net = Net()
    net.add_box("src", Kernel(rng.dirichlet(np.ones(2)), [], [("a", A)]), [], ["a"])
    net.add_box("red", Kernel.uniform([("v", V)], [("a", A)]), ["a"], ["v"])
    net.add_box("blue", Kernel.uniform([("w", A)], [("v", V)]), ["v"], ["w"])
    net.add_box("out", Kernel(rng.dirichlet(np.ones(2), size=(2, 2)), [("a", A), ("w", A)], [("o", A)]),
                ["a", "w"], ["o"])
    model = Model(net, {}, {"o": Query.probability({"o": "x"})})
    eq = solve(model, "o", [Choice(instance="blue")], [Choice(instance="red", observes=())])
    from markovwire.analysis.adversary import deterministic_kernels
    blues = deterministic_kernels(net.box("blue").kernel)
    reds = deterministic_kernels(net.box("red").kernel, observes=[])
    M = np.zeros((len(blues), len(reds)))
    for i, j in itertools.product(range(len(blues)), range(len(reds))):
        other = net.clone()
        other.boxes = [type(b)(b.name, {"blue": blues[i], "red": reds[j]}.get(b.name, b.kernel), b.inputs, b.outputs)
                       for b in net.boxes]
        M[i, j] = Query.probability({"o": "x"}).value(other)
    policies_b = [solve_policy(net, "blue", k) for k in blues]
    policies_r = [solve_policy(net, "red", k, []) for k in reds]
    check_equilibrium(M, eq, lambda o: policies_b.index(o["blue"]), lambda o: policies_r.index(o["red"]))


def solve_policy(net, box, k, observes=None):
    from markovwire.analysis.adversary import policy
    kern = net.box(box).kernel
    return policy(kern, [p.name for p in kern.dom] if observes is None else observes, k)


# ----- parameters, constraints ------------------------------------------------------------------
def audit_game() -> Model:
    """Red attacks with probability beta; blue audits a fraction a of tasks (catching an attack it audits);
    honest tasks are audited at the same rate a."""
    Act, Aud = FinSet("Act", ["clean", "attack"]), FinSet("Audit", ["no", "yes"])
    beta, a = Parameter("beta", (0, 1), default=0.5), Parameter("a", (0, 1), default=0.1)
    net = Net()
    net.add_box("policy", Kernel([1 - beta, beta], [], [("act", Act)], params=[beta]), [], ["act"])
    net.add_box("auditor", Kernel([[1 - a, a], [1 - a, a]], [("act", Act)], [("audit", Aud)], params=[a]),
                ["act"], ["audit"])
    net.add_box("honest", Kernel([1 - a, a], [], [("audit", Aud)], params=[a]), [], ["honest_audit"])
    queries = {"safety": Query.expectation(["act", "audit"], {("attack", "no"): 0.2}, default=1.0),
               "audit_rate": Query.probability({"honest_audit": "yes"}),
               "usefulness": Query.expectation(["honest_audit"], {"no": 1.0, "yes": 0.7}),
               "attacks": Query.probability({"act": "attack"})}
    return Model(net, {"beta": beta, "a": a}, queries)


def test_a_binding_constraint_against_brute_force_over_feasible_mixtures():
    m = audit_game()
    blue, red = [Choice(over=("a",), grid=11)], [Choice(over=("beta",), grid=3)]
    free = solve(m, "safety", blue, red)
    assert free.blue.options == [{"a": 1.0}] and free.value == pytest.approx(1.0)
    eq = solve(m, "safety", blue, red, constraints=[Constraint("audit_rate", at_most=0.25)])
    assert eq.constraints == {"audit_rate <= 0.25": pytest.approx(0.25)}
    # brute force: safety of pure a against beta is 1 - 0.8 beta (1 - a); the best feasible mixture
    a_s, b_s = np.linspace(0, 1, 11), np.array([0, 0.5, 1])
    M = 1 - 0.8 * np.outer(1 - a_s, b_s)
    res = linprog(np.r_[np.zeros(11), -1], A_ub=np.vstack([np.c_[-M.T, np.ones(3)], np.r_[a_s, 0]]),
                  b_ub=np.r_[np.zeros(3), 0.25], A_eq=[np.r_[np.ones(11), 0]], b_eq=[1],
                  bounds=[(0, None)] * 11 + [(None, None)])
    assert eq.value == pytest.approx(-res.fun, abs=1e-9) == pytest.approx(1 - 0.8 * 0.75)
    x = dict(zip((o["a"] for o in eq.blue.options), eq.blue.weights))
    assert sum(a * w for a, w in x.items()) == pytest.approx(0.25)
    assert eq.red.options == [{"beta": 1.0}]
    pure = solve(m, "safety", blue, red, constraints=[Constraint("audit_rate", at_most=0.25)], mixed=False)
    assert pure.blue.options == [{"a": pytest.approx(0.25)}]          # refined off the grid to the boundary
    assert pure.value == pytest.approx(1 - 0.8 * 0.75) and pure.value <= eq.value + 1e-12
    assert pure.constraints == {"audit_rate <= 0.25": pytest.approx(0.25)} and "refined" in pure.guarantee


def pennies() -> Model:
    """Matching pennies with continuous mixtures: blue's P(heads) p, red's q, payoff p q + (1 - p)(1 - q)."""
    C = FinSet("Coin", ["h", "t"])
    p, q = Parameter("p", (0, 1), default=0.5), Parameter("q", (0, 1), default=0.5)
    net = Net()
    net.add_box("red", Kernel([q, 1 - q], [], [C], params=[q]), [], ["coin"])
    net.add_box("blue", Kernel([p, 1 - p], [], [C], params=[p]), [], ["guess"])
    right = Query.probability([("h", "h"), ("t", "t")], ["coin", "guess"])
    return Model(net, {"p": p, "q": q}, {"right": right})


def test_a_pure_commitment_is_refined_between_grid_points_with_a_certified_bracket():
    m = pennies()
    pure = solve(m, "right", [Choice(over=("p",), grid=4)], [Choice(over=("q",), grid=3)], mixed=False,
                 lipschitz=1.0)                             # |d/dp| = |2q - 1| <= 1
    assert pure.blue.options == [{"p": pytest.approx(0.5, abs=1e-6)}] and pure.value == pytest.approx(0.5)
    lo, hi = pure.bracket
    assert lo - 1e-9 <= 0.5 <= hi + 1e-9 and hi - lo < 0.01 and pure.guarantee.startswith("certified")
    mixed = solve(m, "right", [Choice(over=("p",), grid=2)], [Choice(over=("q",), grid=2)], lipschitz=1.0)
    assert mixed.value == pytest.approx(0.5) and mixed.bracket[0] <= 0.5 + 1e-9 <= mixed.bracket[1] + 2e-9
    guess = solve(m, "right", [Choice(instance="blue")], [Choice(over=("q",), grid=3)], mixed=False, lipschitz=1.0)
    lo, hi = guess.bracket                                       # a sure guess is beaten: 0, to the grid's L·h/2
    assert guess.value == 0.0 and lo <= 0.0 <= hi and hi - lo <= 1 / 400 and guess.guarantee.startswith("certified")


def test_parameters_get_a_certified_bracket_with_a_lipschitz_constant():
    m = audit_game()
    eq = solve(m, "safety", [Choice(over=("a",), grid=5)], [Choice(over=("beta",), grid=5)],
               constraints=[Constraint("audit_rate", at_most=0.3)], lipschitz=1.0)
    lo, hi = eq.bracket
    assert lo - 1e-6 <= 1 - 0.8 * 0.7 <= hi + 1e-6 and eq.guarantee.startswith("certified")
    blind = solve(m, "safety", [Choice(over=("a",), grid=5)], [Choice(over=("beta",), grid=5)],
                  constraints=[Constraint("audit_rate", at_most=0.3)])
    assert blind.bracket is None and "not certified" in blind.guarantee


def test_a_constraint_or_usefulness_that_depends_on_red_is_refused():
    m = audit_game()
    with pytest.raises(ShapeError) as err:
        solve(m, "safety", [Choice(over=("a",), grid=3)], [Choice(over=("beta",), grid=3)],
              constraints=[Constraint("attacks", at_most=0.5)])
    assert "depends on red's choice" in err.value.what and "beta = 0" in err.value.what
    assert "intent: honest" in err.value.fix
    with pytest.raises(ShapeError, match="depends on red's choice"):
        frontier(m, "safety", "attacks", [Choice(over=("a",), grid=3)], [Choice(over=("beta",), grid=3)])


def test_infeasible_constraints_say_what_blue_can_reach():
    with pytest.raises(ShapeError) as err:
        solve(audit_game(), "safety", [Choice(over=("a",), bounds={"a": (0.5, 1)}, grid=3)],
              [Choice(over=("beta",), grid=3)], constraints=[Constraint("audit_rate", at_most=0.25)])
    assert "no protocol" in err.value.what and "[0.5, 1]" in err.value.what and "relax" in err.value.fix


# ----- the frontier ------------------------------------------------------------------------------
def test_the_frontier_dominates_every_mixture_on_a_grid_and_its_points_are_attained():
    m = audit_game()
    a_s, b_s = np.linspace(0, 1, 6), np.linspace(0, 1, 3)
    fr = frontier(m, "safety", "usefulness", [Choice(over=("a",), grid=6)], [Choice(over=("beta",), grid=3)],
                  weights=11)
    S = 1 - 0.8 * np.outer(1 - a_s, b_s)                   # by hand: safety and usefulness of each pure option
    U = 1 - 0.3 * a_s
    for p in fr.points:                                    # each point's protocol gives what the point says
        x = np.zeros(6)
        for o, w in zip(p.blue.options, p.blue.weights):
            x[int(np.argmin(np.abs(a_s - o["a"])))] += w
        assert (x @ S).min() == pytest.approx(p.safety) and x @ U == pytest.approx(p.usefulness)
    assert [p.safety for p in fr.points] == sorted((p.safety for p in fr.points), reverse=True)
    rng = np.random.default_rng(0)
    for x in itertools.chain(np.eye(6), rng.dirichlet(np.ones(6), size=40)):
        assert fr.dominates((x @ S).min(), x @ U, tol=1e-9)
    assert not fr.dominates(1.0, 1.0)
    d = fr.to_dict()
    assert set(d["points"][0]) == {"weight", "safety", "usefulness", "blue", "red"}


def test_the_pure_frontier_is_its_points_only():
    m = matrix_game(np.array([[1.0, 0.0], [0.0, 1.0]]))
    m = Model(m.target, {}, {**m.queries, "use": Query.probability({"b": "b0"})})
    fr = frontier(m, "payoff", "use", [Choice(instance="blue")], [Choice(instance="red")], weights=5, mixed=False)
    assert [(p.safety, p.usefulness) for p in fr.points] == [(0.0, 1.0)]
    mixed = frontier(m, "payoff", "use", [Choice(instance="blue")], [Choice(instance="red")], weights=5)
    assert mixed.points[0].safety == pytest.approx(0.5) and mixed.dominates(0.25, 0.75)


# ----- episodes: dynamic programming -----------------------------------------------------------------
EP = FinSet("Ep", ["c1", "c0", "shut", "cat"])
SUS, BUDGET = FinSet("Sus", ["low", "high"]), FinSet("Budget", ["available", "exhausted"])
ACT, AUDIT = FinSet("Act", ["clean", "attack"]), FinSet("Audit", ["no", "yes"])


def world(state, act, audit):
    if state in ("shut", "cat"):
        return {state: 1.0}
    if audit == "yes" and state == "c1":
        return {"shut": 1.0} if act == "attack" else {"c0": 1.0}
    return {"cat": 0.5, state: 0.5} if act == "attack" else {state: 1.0}


def budget_episode(T: int, auditor: Kernel | None = None, beta_default=0.3) -> tuple[Episode, Parameter]:
    """One audit coin over T tasks: an audit spends it and catches an attack; an unaudited attack is a
    catastrophe half the time. The auditor sees the monitor's score and whether the coin is left."""
    beta = Parameter("beta", (0, 1), default=beta_default)
    arr = np.zeros((4, 2, 2, 4))
    for (s, x), (a, y), (u, z) in itertools.product(enumerate(EP.elements), enumerate(ACT.elements),
                                                    enumerate(AUDIT.elements)):
        for nxt, p in world(x, y, z).items():
            arr[s, a, u, EP.index(nxt)] += p
    step = Net()
    step.add_box("budget", Kernel.deterministic(lambda s: "available" if s == "c1" else "exhausted",
                                                [("s", EP)], [("b", BUDGET)]), ["ep.state"], ["budget"])
    step.add_box("policy", Kernel([1 - beta, beta], [], [("act", ACT)], params=[beta]), [], ["act"])
    step.add_box("monitor", Kernel([[0.8, 0.2], [0.3, 0.7]], [("act", ACT)], [("sus", SUS)]), ["act"], ["sus"])
    default = Kernel.deterministic(lambda s, b: "yes" if (s, b) == ("high", "available") else "no",
                                   [("sus", SUS), ("budget", BUDGET)], [("audit", AUDIT)])
    step.add_box("auditor", auditor or default, ["sus", "budget"], ["audit"])
    step.add_box("world", Kernel(arr, [("s", EP), ("act", ACT), ("audit", AUDIT)], [("s", EP)]),
                 ["ep.state", "act", "audit"], ["ep.state'"])
    step.set_inputs("ep.state")
    step.set_outputs("ep.state'", "audit")
    return Episode(step, [Kernel.point([EP], "c1")], steps=T), beta


def budget_model(T: int) -> Model:
    ep, beta = budget_episode(T)
    safe = Query.probability({"ep.state": ["c1", "c0", "shut"]})
    return Model(ep, {"beta": beta}, {"safety": safe})


def deterministic_kernels(kern, observes=None):
    from markovwire.analysis.adversary import deterministic_kernels as every
    return every(kern, observes)


def brute_force_values(T: int, betas, observes=None) -> np.ndarray:
    """Safety of every time-dependent deterministic auditor (one of its 16 kernels per step) against each beta:
    ``(16**T, len(betas))``, from step matrices of episodes with the kernel put in."""
    from markovwire.analysis.adversary import deterministic_kernels
    ep, _ = budget_episode(T)
    kernels = deterministic_kernels(ep.step.box("auditor").kernel, observes)
    P = np.array([[budget_episode(T, k)[0].step_array({"beta": b}) for b in betas] for k in kernels])  # (16, B, 4, 4)
    safe = np.array([1.0, 1.0, 1.0, 0.0])
    out = np.zeros((len(kernels) ** T, len(betas)))
    for n, seq in enumerate(itertools.product(range(len(kernels)), repeat=T)):
        x = np.tile(np.eye(4)[0], (len(betas), 1))
        for k in seq:
            x = np.einsum("bs,bst->bt", x, P[k])
        out[n] = x @ safe
    return out


def test_dynamic_programme_against_every_time_dependent_policy_of_a_tiny_episode():
    T = 3
    m = budget_model(T)
    brute = brute_force_values(T, [0.3])[:, 0]
    eq = solve(m, "safety", [Choice(instance="auditor")], [Choice(over=("beta",), bounds={"beta": (0.3, 0.3)})])
    assert eq.value == pytest.approx(brute.max(), abs=1e-12)
    kept = max(budget_episode(T, k)[0].evaluate({"beta": 0.3}, outputs=["ep.state"])[:3].sum()
               for k in deterministic_kernels(budget_episode(T)[0].step.box("auditor").kernel))
    assert kept < brute.max() - 1e-3                                 # one kernel all episode is worse here
    assert eq.bracket == (eq.value, eq.value) and eq.guarantee.startswith("exact over every policy")
    assert "depend on the step" in eq.concept
    (opt,) = eq.blue.options
    runs = opt["auditor"]["by_state"]
    assert list(runs) == ["ep.state=c1"]                             # only with the coin does the choice matter
    assert runs["ep.state=c1"][-1]["steps"][-1] == T


def test_double_oracle_matches_the_lp_over_every_policy_and_red_option():
    T, betas = 2, [0.0, 0.5, 1.0]
    m = budget_model(T)
    B = brute_force_values(T, betas)                                   # 256 policies × 3 attack rates
    res = linprog(np.r_[np.zeros(len(B)), -1], A_ub=np.c_[-B.T, np.ones(3)], b_ub=np.zeros(3),
                  A_eq=[np.r_[np.ones(len(B)), 0]], b_eq=[1], bounds=[(0, None)] * len(B) + [(None, None)])
    eq = solve(m, "safety", [Choice(instance="auditor")], [Choice(over=("beta",), grid=3)])
    lo, hi = eq.bracket
    assert lo - 1e-9 <= -res.fun <= hi + 1e-9 and eq.value == pytest.approx(lo)
    pure = solve(m, "safety", [Choice(instance="auditor")], [Choice(over=("beta",), grid=3)], mixed=False)
    lo_p, hi_p = pure.bracket
    assert lo_p - 1e-9 <= B.min(axis=1).max() <= hi_p + 1e-9 and pure.value <= eq.value + 1e-12


def test_an_auditor_blind_to_the_score_is_solved_over_its_own_policies():
    T = 3
    m = budget_model(T)
    blind = solve(m, "safety", [Choice(instance="auditor", observes=("budget",))],
                  [Choice(over=("beta",), bounds={"beta": (0.3, 0.3)})])
    every = brute_force_values(T, [0.3], observes=["budget"])[:, 0]   # it must ignore the score: 4 kernels a step
    assert blind.value == pytest.approx(every.max(), abs=1e-12) and blind.guarantee.startswith("exact")


def test_a_policy_that_must_see_the_state_it_does_not_observe_is_refused():
    X, Act = FinSet("X", ["u", "v", "good", "bad"]), FinSet("Move", ["m0", "m1"])
    move = {("u", "m0"): "good", ("u", "m1"): "bad", ("v", "m0"): "bad", ("v", "m1"): "good"}
    step = Net()
    step.add_box("blue", Kernel.uniform([("a", Act)], [("s", X)]), ["x.state"], ["a"])
    step.add_box("world", Kernel.deterministic(lambda s, a: move.get((s, a), s), [("s", X), ("a", Act)],
                                               [("s", X)]), ["x.state", "a"], ["x.state'"])
    step.set_inputs("x.state")
    step.set_outputs("x.state'")
    coin = Parameter("c", (0, 1), default=0.5)
    ep = Episode(step, [Kernel([0.5, 0.5, 0.0, 0.0], [], [X])], steps=1)
    m = Model(ep, {"c": coin}, {"good": Query.probability({"x.state": "good"})})
    seeing = solve(m, "good", [Choice(instance="blue")], [Choice(over=("c",), grid=2)])
    assert seeing.value == pytest.approx(1.0)
    with pytest.raises(ShapeError) as err:
        solve(m, "good", [Choice(instance="blue", observes=())], [Choice(over=("c",), grid=2)])
    assert "'blue'" in str(err.value.where) and "does not tell apart" in err.value.what
    assert "at step 1" in err.value.what and "observe the ports that carry the episode's state" in err.value.fix
    assert err.value.box == "blue"


# ----- mistakes ----------------------------------------------------------------------------------------
def test_too_many_policies_are_refused_with_the_count_and_the_fix():
    big = FinSet("Big", [f"v{i}" for i in range(13)])
    net = Net()
    net.add_box("src", Kernel.uniform([("x", big)]), [], ["x"])
    net.add_box("auditor", Kernel.uniform([("a", AUDIT)], [("x", big)]), ["x"], ["a"])
    net.add_box("red", Kernel.uniform([("r", AUDIT)]), [], ["r"])
    m = Model(net, {}, {"q": Query.probability({"a": "yes"})})
    with pytest.raises(ShapeError) as err:
        solve(m, "q", [Choice(instance="auditor")], [Choice(instance="red")])
    assert "'auditor'" in str(err.value.where) and "8,192 deterministic policies" in err.value.what
    assert "observe fewer ports" in err.value.fix and err.value.box == "auditor"
    eq = solve(m, "q", [Choice(instance="auditor", observes=())], [Choice(instance="red")])
    assert eq.value == 1.0


def test_choices_that_name_nothing_or_something_unknown():
    m = audit_game()
    with pytest.raises(ShapeError, match="neither"):
        Choice()
    with pytest.raises(ShapeError, match="both"):
        Choice(over=("a",), instance="auditor")
    with pytest.raises(UnknownName, match="no instance 'auditr'"):
        solve(m, "safety", [Choice(instance="auditr")], [Choice(over=("beta",))])
    with pytest.raises(ParameterError, match="unknown parameter 'alpha'"):
        solve(m, "safety", [Choice(over=("alpha",))], [Choice(over=("beta",))])
    with pytest.raises(ShapeError, match="chosen by both sides"):
        solve(m, "safety", [Choice(over=("a", "beta"))], [Choice(over=("beta",))])
    with pytest.raises(UnknownName, match="no query"):
        solve(m, "safty", [Choice(over=("a",))], [Choice(over=("beta",))])


def test_two_blue_instances_in_an_episode_keep_their_kernels_all_episode_against_brute_force():
    T, betas = 3, [0.2, 1.0]
    m = budget_model(T)
    ep = m.target
    auditors = deterministic_kernels(ep.step.box("auditor").kernel)
    monitors = deterministic_kernels(ep.step.box("monitor").kernel, observes=[])    # a score blind to the act
    M = np.zeros((len(auditors) * len(monitors), len(betas)))
    for (i, a), (k, mon) in itertools.product(enumerate(auditors), enumerate(monitors)):
        step = ep.step.clone()
        step.boxes = [type(b)(b.name, {"auditor": a, "monitor": mon}.get(b.name, b.kernel), b.inputs, b.outputs)
                      for b in ep.step.boxes]
        other = Episode(step, ep.initial, T)
        M[i * len(monitors) + k] = other.evaluate({"beta": np.array(betas)}, outputs=["ep.state"])[:, :3].sum(axis=1)
    eq = solve(m, "safety", [Choice(instance="auditor"), Choice(instance="monitor", observes=())],
               [Choice(over=("beta",), bounds={"beta": (0.2, 1.0)}, grid=2)])
    policies_a = [solve_policy(ep.step, "auditor", k) for k in auditors]
    policies_m = [solve_policy(ep.step, "monitor", k, []) for k in monitors]
    index = lambda o: policies_a.index(o["auditor"]) * len(monitors) + policies_m.index(o["monitor"])
    check_equilibrium(M, eq, index, lambda o: betas.index(o["beta"]))
    assert "kept for the whole episode" in eq.concept and "several instances" in eq.guarantee


def test_whole_integer_ranges_are_searched_exhaustively_so_the_bracket_is_certified_without_lipschitz():
    C = FinSet("Coin", ["h", "t"])
    k, n = Parameter("k", (0, 3), default=0, integer=True), Parameter("n", (0, 3), default=0, integer=True)
    net = Net()
    net.add_box("red", Kernel([n / 3, 1 - n / 3], [], [C], params=[n]), [], ["coin"])
    net.add_box("blue", Kernel([k / 3, 1 - k / 3], [], [C], params=[k]), [], ["guess"])
    m = Model(net, {"k": k, "n": n}, {"right": Query.probability([("h", "h"), ("t", "t")], ["coin", "guess"])})
    eq = solve(m, "right", [Choice(over=("k",))], [Choice(over=("n",))])
    assert eq.value == pytest.approx(0.5) and eq.bracket == pytest.approx((0.5, 0.5))
    assert eq.guarantee.startswith("certified") and len(eq.blue.options) == 2
    pure = solve(m, "right", [Choice(over=("k",))], [Choice(over=("n",))], mixed=False)
    assert pure.value == pytest.approx(1 / 3) and pure.bracket == pytest.approx((1 / 3, 1 / 3))   # k = 1 or 2


def test_a_payoff_undefined_at_some_pair_of_options_names_the_pair():
    m = audit_game()
    m = Model(m.target, m.parameters, {**m.queries, "caught": Query.probability({"audit": "yes"},
                                                                              given={"act": "attack"})})
    with pytest.raises(ShapeError) as err:
        solve(m, "caught", [Choice(over=("a",), grid=2)], [Choice(over=("beta",), grid=2)])
    assert err.value.what.startswith("is nan at blue's a = 0 and red's beta = 0 (its evidence is impossible")
    assert "unconditional" in err.value.fix


def random_controlled_episode(rng, T: int):
    """A random chain on three states: blue's box reads the state and picks a move, red's coin (P(1) = q) and the
    move drive the walk, a sensor reads the next state."""
    X, Move, Bit, Obs = (FinSet("X", ["x0", "x1", "x2"]), FinSet("Move", ["m0", "m1"]), FinSet("Bit", ["0", "1"]),
                         FinSet("Obs", ["o0", "o1"]))
    q = Parameter("q", (0, 1), default=0.5)
    step = Net()
    step.add_box("red", Kernel([1 - q, q], [], [("r", Bit)], params=[q]), [], ["r"])
    step.add_box("blue", Kernel.uniform([("m", Move)], [("s", X)]), ["x.state"], ["m"])
    step.add_box("walk", Kernel(rng.dirichlet(np.full(3, 0.6), size=(3, 2, 2)), [("s", X), ("m", Move), ("r", Bit)],
                                [("s", X)]), ["x.state", "m", "r"], ["x.state'"])
    step.add_box("sensor", Kernel(rng.dirichlet(np.ones(2), size=3), [("s", X)], [("o", Obs)]), ["x.state'"], ["obs"])
    step.set_inputs("x.state")
    step.set_outputs("x.state'", "obs")
    return Episode(step, [Kernel(rng.dirichlet(np.ones(3)), [], [X])], steps=T), q


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), T=st.integers(1, 3), on_state=st.booleans(), q=st.sampled_from([0.0, 0.7]))
def test_backward_induction_equals_the_best_of_every_time_dependent_policy(seed, T, on_state, q):
    ep, qp = random_controlled_episode(np.random.default_rng(seed), T)
    query = Query.probability({"x.state": "x2"}) if on_state else Query.probability({"obs": "o0"})
    m = Model(ep, {"q": qp}, {"goal": query})
    eq = solve(m, "goal", [Choice(instance="blue")], [Choice(over=("q",), bounds={"q": (q, q)})])
    kernels = deterministic_kernels(ep.step.box("blue").kernel)               # 8: a move for each state
    arrays = []
    for k in kernels:                                                          # the step with kernel k put in
        step = ep.step.clone()
        step.boxes = [type(b)(b.name, k if b.name == "blue" else b.kernel, b.inputs, b.outputs)
                      for b in ep.step.boxes]
        arrays.append(Episode(step, ep.initial, T).step_array({"q": q}, ["obs"]))   # (3, 3, 2)
    arrays = np.array(arrays)
    f = np.array([0.0, 0.0, 1.0]) if on_state else np.array([1.0, 0.0])
    x0 = ep.initial_law()
    best = -1.0
    for seq in itertools.product(range(len(kernels)), repeat=T):
        x = x0
        for k in seq[:-1]:
            x = x @ arrays[k].sum(axis=2)
        last = arrays[seq[-1]]
        v = x @ (last.sum(axis=2) @ f) if on_state else x @ (last.sum(axis=1) @ f)
        best = max(best, float(v))
    assert eq.value == pytest.approx(best, abs=1e-12) and eq.guarantee.startswith("exact over every policy")


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), nb=st.integers(2, 4), nr=st.integers(1, 3))
def test_random_frontiers_dominate_every_mixture_and_attain_their_points(seed, nb, nr):
    rng = np.random.default_rng(seed)
    M, u = np.round(rng.uniform(0, 1, size=(nb, nr)), 3), np.round(rng.uniform(0, 1, size=nb), 3)
    m = matrix_game(M)
    m = Model(m.target, {}, {**m.queries, "use": Query.expectation(["b"], {f"b{i}": u[i] for i in range(nb)})})
    fr = frontier(m, "payoff", "use", [Choice(instance="blue")], [Choice(instance="red")], weights=9)
    for p in fr.points:
        x = np.zeros(nb)
        for o, w in zip(p.blue.options, p.blue.weights):
            x[move("blue")(o)] += w
        assert (x @ M).min() == pytest.approx(p.safety, abs=1e-9) and x @ u == pytest.approx(p.usefulness, abs=1e-9)
    for x in itertools.chain(np.eye(nb), rng.dirichlet(np.ones(nb), size=20)):
        assert fr.dominates((x @ M).min(), x @ u, tol=1e-7)
    pure = frontier(m, "payoff", "use", [Choice(instance="blue")], [Choice(instance="red")], weights=3, mixed=False)
    worst = M.min(axis=1)
    assert all(pure.dominates(worst[i], u[i]) for i in range(nb))          # every pure protocol, none missed
    assert all(not any(worst[i] > p.safety + 1e-12 and u[i] >= p.usefulness or
                       worst[i] >= p.safety and u[i] > p.usefulness + 1e-12 for i in range(nb)) for p in pure.points)


def test_the_frontier_finds_a_vertex_between_the_weights_asked():
    m = matrix_game(np.array([[1.0], [0.8], [0.0]]))                     # safety of three protocols
    m = Model(m.target, {}, {**m.queries, "use": Query.expectation(["b"], {"b0": 0.0, "b1": 0.8, "b2": 1.0})})
    fr = frontier(m, "payoff", "use", [Choice(instance="blue")], [Choice(instance="red")], weights=2)
    assert [(p.safety, p.usefulness) for p in fr.points] == pytest.approx([(1.0, 0.0), (0.8, 0.8), (0.0, 1.0)])
    assert fr.points[1].weight == pytest.approx(0.5)                     # where the ends tie, it is optimal
    assert [p.weight for p in frontier(m, "payoff", "use", [Choice(instance="blue")], [Choice(instance="red")],
                                       weights=2, mixed=False).points] == [0.0, None, 1.0]
