"""``shapes-grid``: a small factorial sub-grid of the shapes images, for factor analogies.

Analogies ``a - b + c = d`` need the answer ``d`` among the candidates: in a random subset of the
737,280-cell grid (the ``test`` rows of ``shapes``) a cell whose factors are ``a - b + c`` is
almost never present. This dataset renders every combination of a few equally spaced levels of
each factor instead: shape {square, ellipse, heart}, scale {0, 2, 4}, orientation {0, 3, 6, 9}
(within one symmetry period of the square, so no two rows are the same image), pos_x and pos_y
{0, 10, 20, 30}: 576 cells, whose factor values are those of the full grid.

Held out from the references: the cells that are ``train`` rows of the base ``shapes`` draw
(``base_n``, ``base_seed``, ``base_test_fraction``; by default the draw the ``shapes`` references are
trained on) are left out, so a model trained on that draw is scored only on images it never saw
(:func:`latentbench.data.fairness.derived_binding`, row map ``grid_cells``). The sub-grid's cells are
the ``test`` split; the ``train`` split holds the base draw's train rows, for what must be fitted
before scoring (the null baselines' PCA), never scored by the semantics tasks.
"""

from __future__ import annotations

import itertools

import numpy as np

from ..validation import check_param
from .base import Dataset
from .shapes import FACTOR_NAMES, FACTOR_SIZES, indices_from_factors, make_shapes, render

__all__ = ["GRID_LEVELS", "make_shapes_grid"]

#: The factor levels of the sub-grid, per factor (full-grid values).
GRID_LEVELS: tuple[tuple[int, ...], ...] = ((0, 1, 2), (0, 2, 4), (0, 3, 6, 9), (0, 10, 20, 30), (0, 10, 20, 30))


def make_shapes_grid(*, base_n: int = 10000, base_seed: int = 0, base_test_fraction: float = 0.1) -> Dataset:
    """Shapes sub-grid for factor analogies: 576 cells (3 x 3 x 4 x 4 x 4), minus the base draw's train cells."""
    check_param(base_n, "base_n", low=1, high=int(np.prod(FACTOR_SIZES)), integer=True)
    check_param(base_seed, "base_seed", low=0, integer=True)
    base = make_shapes(base_n, seed=base_seed, test_fraction=base_test_fraction)
    cells = np.array(list(itertools.product(*GRID_LEVELS)), dtype=np.int64)
    grid_index = indices_from_factors(cells)
    trained = np.isin(grid_index, base.grid_index[base.split("train")])
    grid_index, factors = grid_index[~trained], cells[~trained]
    n = len(grid_index)
    train = base.split("train")  # the base draw's train rows, for what must be fitted (the null baselines' PCA)
    x = np.concatenate([render(grid_index), base.x[train]])
    return Dataset(
        name="shapes-grid", x=x, obs_shape=base.obs_shape, kind=base.kind, storage=base.storage, version=1,
        params={"base_n": base_n, "base_seed": base_seed, "base_test_fraction": base_test_fraction},
        factors=np.concatenate([factors, base.factors[train]]), factor_names=FACTOR_NAMES, factor_sizes=FACTOR_SIZES,
        labels=np.concatenate([factors[:, 0], base.factors[train, 0]]),
        grid_index=np.concatenate([grid_index, base.grid_index[train]]),
        splits={"test": np.arange(n, dtype=np.int64), "train": n + np.arange(len(train), dtype=np.int64)},
        metadata={"levels": {name: list(levels) for name, levels in zip(FACTOR_NAMES, GRID_LEVELS)},
                  "categorical_factors": ["shape"], "left_out_train_cells": int(trained.sum()),
                  "derived_from": {"name": base.name, "fingerprint": base.fingerprint, "row_map": "grid_cells",
                                   "params": {"n": base_n, "seed": base_seed, "test_fraction": base_test_fraction}},
                  "source": "latentbench shapes renderer, a factorial sub-grid"},
    )
