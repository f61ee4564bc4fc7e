"""Benchmarks of markovwire's evaluation against numpy, opt_einsum, pyAgrum and pgmpy.

Run ``python -m bench.run`` (or ``python bench/run.py``) from the repository root,
with ``--quick`` for a short run. Needs the ``bench`` extra:
``pip install -e '.[bench]'``. Not part of the test suite: these are timings.
"""
