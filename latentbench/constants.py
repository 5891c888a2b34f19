"""Numerical constants shared across the layers (defined once)."""

from __future__ import annotations

import math

__all__ = ["LOG_2PI"]

#: log(2 pi), the normalising constant of a Gaussian density per dimension.
LOG_2PI = math.log(2.0 * math.pi)
