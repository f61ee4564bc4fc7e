"""Builders shared by the analysis tests: small control-style nets and random nets."""
import numpy as np

from markovwire import FinSet, Kernel, Net, Parameter

ACT = FinSet("Act", ["clean", "attack"])
VERDICT = FinSet("Verdict", ["pass", "flag"])


def random_net(rng: np.random.Generator, n_boxes: int = 4, alpha: float = 0.5, max_outputs: int = 2,
               inputs: int = 0) -> Net:
    """A random closed net (or with ``inputs`` outer inputs): boxes read earlier wires, kernels are Dirichlet."""
    net = Net()
    wires: list[str] = []
    for i in range(inputs):
        w = f"in{i}"
        net.add_wire(w, FinSet(f"T{w}", [f"a{j}" for j in range(int(rng.integers(2, 4)))]))
        wires.append(w)
    net.set_inputs(*wires)
    for b in range(n_boxes):
        k_in = int(rng.integers(0, min(2, len(wires)) + 1))
        reads = list(rng.choice(wires, size=k_in, replace=False)) if k_in else []
        outs = [f"w{b}_{j}" for j in range(int(rng.integers(1, max_outputs + 1)))]
        cod = [(o, FinSet(f"T{o}", [f"v{j}" for j in range(int(rng.integers(2, 4)))])) for o in outs]
        dom = [(f"x{j}", net.wires[w]) for j, w in enumerate(reads)]
        shape_in = [len(t) for _, t in dom]
        n_out = int(np.prod([len(t) for _, t in cod]))
        arr = rng.dirichlet(np.full(n_out, alpha), size=int(np.prod(shape_in, dtype=int)))
        arr = arr.reshape(shape_in + [len(t) for _, t in cod])
        net.add_box(f"b{b}", Kernel(arr, dom, cod, name=f"b{b}"), reads, outs)
        wires += outs
    net.set_outputs(*[w for w in wires if w not in net.inputs])
    return net


def monitor_net(beta_domain=(0.0, 1.0), beta_default=0.1, r_default=0.7) -> Net:
    """policy (attack rate beta) → monitor (recall r, false-positive rate 0.05)."""
    beta = Parameter("beta", beta_domain, default=beta_default)
    r = Parameter("r", (0, 1), default=r_default)
    net = Net()
    net.add_box("policy", Kernel([1 - beta, beta], [], [ACT], params=[beta]), [], ["act"])
    net.add_box("monitor", Kernel([[0.95, 0.05], [1 - r, r]], [ACT], [VERDICT], params=[r]), ["act"], ["verdict"])
    net.set_outputs("act", "verdict")
    return net


def random_query(rng: np.random.Generator, net, kind: str):
    """A query on one random output of ``net``: an event, an expectation of random values, or an event given the
    last label of another output."""
    from markovwire.analysis import Query
    wires = list(net.outputs)
    target = wires[int(rng.integers(len(wires)))]
    if kind == "event":
        return Query.probability({target: net.wires[target].elements[0]})
    if kind == "expectation":
        return Query.expectation(target, {x: float(rng.normal()) for x in net.wires[target].elements})
    other = [w for w in wires if w != target] or [target]
    return Query.probability({target: net.wires[target].elements[0]},
                             given={other[0]: net.wires[other[0]].elements[-1]})
