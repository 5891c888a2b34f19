"""Metrics: pure functions of arrays, one module per family.

The conventions every metric follows (return types, ``*_score`` floats with ``return_details=True``,
argument checks, ``rng``) are in :mod:`latentbench.metrics._convention`.
"""
