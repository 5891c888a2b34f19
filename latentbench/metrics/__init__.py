"""Metrics: pure functions of arrays, one module per family."""
