"""The WEAT part of the audit report of a word model: one table of the association tests
(effect size, permutation p-value, vocabulary coverage) and a finding per test, from stored rows."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = ["is_weat", "weat_findings", "weat_settings", "weat_table"]


def is_weat(t: Mapping[str, Any]) -> bool:
    """Whether a task's stored rows are a WEAT test's (effect size, p-value and coverage)."""
    return {"effect_size", "p_value", "coverage"} <= set(t.get("metrics", {}))


def _v(t: Mapping[str, Any], key: str) -> float | None:
    r = t["metrics"].get(key)
    v = None if r is None else r.get("value")
    return None if v is None or (isinstance(v, float) and not math.isfinite(v)) else float(v)


def _f(v: float | None, digits: int = 3) -> str:
    return "–" if v is None else f"{v:.{digits}g}"


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.0f}%"


def _test_label(name: str, t: Mapping[str, Any]) -> str:
    est = t["params"].get("estimator", {}).get("params", {})
    return str(est.get("test") or name)


def weat_findings(name: str, t: Mapping[str, Any]) -> list[tuple[str, str]]:
    """One ``(severity, plain-words line)`` per test: high for a significant large effect, medium for a
    significant smaller one, info otherwise (not measured, or not significant)."""
    d, p, cov = _v(t, "effect_size"), _v(t, "p_value"), _v(t, "coverage")
    info = t["params"].get("info", {})
    label = _test_label(name, t)
    if d is None:
        why = info.get("undefined") or "the effect size is undefined"
        return [("info", f"{label.upper()} (`{name}`): not measured: {why}; the model encodes {_pct(cov)} of the test's words.")]
    strength = "large" if abs(d) >= 0.8 else "medium" if abs(d) >= 0.5 else "small" if abs(d) >= 0.2 else "negligible"
    sig = "significant" if p is not None and p < 0.05 else "not significant"
    severity = ("high" if strength == "large" else "medium") if sig == "significant" and strength != "negligible" else "info"
    return [(severity, f"{label.upper()} (`{name}`): effect size d = {_f(d)} ({strength}; X with A over B when positive), one-sided "
            f"permutation p = {_f(p)} ({sig} at 0.05, one test; several tests are not corrected), on {_pct(cov)} of the words.")]


def weat_table(tasks: Mapping[str, Mapping[str, Any]]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Header and rows of the combined WEAT table (tests in numeric order)."""
    rows = []

    def order(item: tuple[str, Mapping[str, Any]]) -> tuple[int, str]:
        label = _test_label(*item)
        digits = "".join(ch for ch in label if ch.isdigit())
        return (int(digits) if digits else 0, item[0])

    for name, t in sorted(((n, t) for n, t in tasks.items() if is_weat(t)), key=order):
        info = t["params"].get("info", {})
        exact = info.get("exact_p")
        rows.append((_test_label(name, t), _f(_v(t, "effect_size")), _f(_v(t, "p_value")) + (" (exact)" if exact else ""),
                     _f(_v(t, "coverage"), 3), _f(_v(t, "min_set_coverage"), 3), t["status"]))
    return ["test", "effect size d", "p-value (one-sided permutation)", "coverage", "least covered set", "status"], rows


def weat_settings(t: Mapping[str, Any]) -> list[str]:
    """The settings lines of one WEAT task."""
    est = t["params"].get("estimator", {}).get("params", {})
    info = t["params"].get("info", {})
    out = [f"Word sets: Caliskan et al. (2017) as replicated in WEFE (dataset `weat`); "
           f"{'replication sets (the names the paper left out are left out)' if est.get('replication_sets', True) else 'full sets'}; "
           f"a set covered below {est.get('min_coverage', 0.8)} leaves the test unmeasured."]
    if info.get("missing"):
        out.append("Words the model does not encode: " + ", ".join(info["missing"][:20]) + (" ..." if len(info["missing"]) > 20 else "") + ".")
    if info.get("n_partitions"):
        out.append(f"p-value from {info['n_partitions']} {'(all) ' if info.get('exact_p') else 'random '}re-partitions of the targets.")
    return out
