"""Seeded point clouds with known geometry, shared by the metric tests (plain numpy, no latentbench)."""

from __future__ import annotations

import numpy as np


def circle(n, rng, radius=1.0, center=(0.0, 0.0)):
    t = rng.uniform(0, 2 * np.pi, n)
    return np.column_stack([radius * np.cos(t) + center[0], radius * np.sin(t) + center[1]])


def sphere(n, rng):
    x = rng.normal(size=(n, 3))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def torus(n, rng, big=2.0, small=1.0):
    """Uniform on the surface of a torus in R^3 (rejection on the area element)."""
    out, have = [], 0
    while have < n:
        u, v, w = rng.uniform(0, 2 * np.pi, 4 * n), rng.uniform(0, 2 * np.pi, 4 * n), rng.uniform(size=4 * n)
        keep = w < (big + small * np.cos(v)) / (big + small)
        u, v = u[keep], v[keep]
        ring = big + small * np.cos(v)
        out.append(np.column_stack([ring * np.cos(u), ring * np.sin(u), small * np.sin(v)]))
        have += len(u)
    return np.vstack(out)[:n]


def rigid_motion(x, rng):
    q, _ = np.linalg.qr(rng.normal(size=(x.shape[1], x.shape[1])))
    return x @ q + rng.normal(size=x.shape[1])


def swiss_roll(n, rng):
    t = 1.5 * np.pi * (1 + 2 * rng.uniform(size=n))
    h = 21 * rng.uniform(size=n)
    return np.column_stack([t * np.cos(t), h, t * np.sin(t)])


def linear_subspace(n, rng, d=5, ambient=50, noise=1e-3):
    basis, _ = np.linalg.qr(rng.normal(size=(ambient, d)))
    return rng.normal(size=(n, d)) @ basis.T + noise * rng.normal(size=(n, ambient))

