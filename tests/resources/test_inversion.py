"""Oversized inversions: refused before the work starts, with the size and the fix, in a bounded child process."""
from __future__ import annotations

import limits


def test_an_inversion_larger_than_the_memory_budget_is_refused_before_it_allocates():
    r = limits.run_python("""
        import numpy as np, markovwire
        from markovwire import FinSet, Kernel
        R = FinSet("R", [str(i) for i in range(9000)])      # 81 million entries, 648 MB; inverting needs four
        k = Kernel(np.full((9000, 9000), 1 / 9000), [R], [R], name="big")
        try:
            k.invert(Kernel.uniform([R]))
        except markovwire.ContractionTooLarge as e:
            print(e.box, "|", e)
    """)
    assert r.clean and r.returncode == 0, r
    assert r.stdout.startswith("big | kernel 'big'.invert: needs 2.4 GiB at once (4 tables of 81,000,000 entries), "
                               "more than the memory budget of 2.0 GiB"), r
    assert "--max-memory 3GiB" in r.stdout and "markovwire.set_memory_budget(2592000000)" in r.stdout, r


def test_a_large_symbolic_inversion_is_refused_before_sympy_works():
    r = limits.run_python("""
        import numpy as np, sympy, markovwire
        from markovwire import FinSet, Kernel, Parameter
        beta = Parameter("beta", (0, 1), default=0.1)
        R = FinSet("R", [str(i) for i in range(1000)])      # a wildcard row over a million cells
        codes = np.full((1000, 1000), 2); codes[:, 0], codes[:, 1] = 0, 1
        k = Kernel.from_coding(codes, [beta.symbol, 1 - beta.symbol, sympy.Integer(0)], [R], [R], params=[beta],
                               check=False, name="wide")
        try:
            k.invert(Kernel.uniform([R]))
        except markovwire.ParameterError as e:
            print(e.box, "|", e)
    """)
    assert r.clean and r.returncode == 0, r
    first = r.stdout.splitlines()[0]
    assert first == ("wide | kernel 'wide'.invert: has 1,000,000 symbolic entries to divide, more than the 10,000 "
                     "inverted symbolically (each quotient is simplified by sympy)"), r
    assert "fix: substitute parameter values first (.subs({'beta': ...})" in r.stdout, r
