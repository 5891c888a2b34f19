"""One case per public metric function: how to call it on small valid inputs, which of its
arguments are data arrays, and which invariances it claims.

The common metric tests (``tests/test_metrics_common.py``) and the fuzz harness build on this table;
a public function of ``latentbench.metrics`` that is neither here nor in :data:`NOT_METRICS` fails
``test_every_public_metric_function_has_a_case``, so a new metric cannot skip the common checks.

Invariances (checked by transforming the named arrays and comparing the result):

* ``"rotation"``: a random orthogonal rotation of the codes (and, for input/latent metrics, of the inputs);
* ``"isotropic_scale"``: the codes times a positive constant (1e-3 and 1e3);
* ``"translation"``: the codes plus a constant vector;
* ``"dim_permutation"``: the latent dimensions in another order;
* ``"dim_scale"``: each latent dimension times its own positive constant (axis-wise scores).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from latentbench.metrics import anomaly, cka, collapse, dimension, disentanglement, factor_semantics, fairness, likelihood
from latentbench.metrics import neighborhood, privacy, ranking, reconstruction, semantics, topology, transfer


@dataclass(frozen=True)
class Case:
    """How to call one metric function.

    ``build(rng)`` returns ``(args, kwargs)`` of valid inputs; ``arrays`` names the positional
    arguments (by index: name) that hold data arrays; ``codes`` the indices of latent-code arrays the
    invariances transform; ``value(result)`` the number(s) compared; ``invariances`` what is claimed; ``nan_ok`` and
    ``any_ndim`` name arguments where NaN (a documented marker) or any number of dimensions is accepted;
    ``categorical`` names label arguments, where strings are labels (never read as numbers).
    """

    fn: Callable[..., Any]
    build: Callable[[np.random.Generator], tuple[list[Any], dict[str, Any]]]
    arrays: dict[int, str]
    codes: tuple[int, ...] = ()
    inputs: tuple[int, ...] = ()
    value: Callable[[Any], Any] = lambda r: r
    invariances: frozenset[str] = frozenset()
    nan_ok: frozenset[str] = frozenset()
    any_ndim: frozenset[str] = frozenset()
    categorical: frozenset[str] = frozenset()  # class or group labels: strings are labels too
    rtol: float = 1e-9
    slow: bool = False
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # "scale_each": each code array alone may be rescaled (cosines)


def _codes(rng: np.random.Generator, n: int = 120, d: int = 3) -> np.ndarray:
    return rng.normal(size=(n, d))


def _questions(rng: np.random.Generator, n_words: int, n: int) -> np.ndarray:
    """Analogy questions: four distinct row indices per question."""
    return np.stack([rng.choice(n_words, 4, replace=False) for _ in range(n)])


def _manifold(rng: np.random.Generator, n: int = 150) -> tuple[np.ndarray, np.ndarray]:
    """Inputs on a noisy 2-D sheet in 6-D and latents that are a smooth map of it."""
    t = rng.uniform(-1, 1, size=(n, 2))
    x = np.concatenate([t, np.sin(2 * t), t**2], axis=1) + 0.01 * rng.normal(size=(n, 6))
    z = np.concatenate([t + 0.05 * rng.normal(size=(n, 2)), 0.1 * rng.normal(size=(n, 1))], axis=1)
    return x, z


def _factors(rng: np.random.Generator, n: int = 300) -> tuple[np.ndarray, np.ndarray]:
    f = np.stack([rng.integers(0, 4, n), rng.integers(0, 3, n)], axis=1)
    codes = np.stack([f[:, 0] + 0.3 * rng.normal(size=n), f[:, 1] + 0.3 * rng.normal(size=n), rng.normal(size=n)], axis=1)
    return codes, f


def _posterior(rng: np.random.Generator, n: int = 200, d: int = 3) -> tuple[np.ndarray, np.ndarray]:
    return rng.normal(size=(n, d)), rng.normal(-1.0, 0.3, size=(n, d))


def _binary(rng: np.random.Generator, n: int) -> np.ndarray:
    v = rng.integers(0, 2, n)
    v[:2] = [0, 1]
    return v


def _domains(rng: np.random.Generator, n: int = 120, d: int = 3, shift: float = 0.7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Codes of two domains (the target's first coordinate shifted and scaled), their 0/1 domain and a binary label."""
    dom = np.repeat([0, 1], n // 2)
    z = rng.normal(size=(n, d))
    z[dom == 1, 0] = 1.3 * z[dom == 1, 0] + shift
    y = (z[:, 1] + 0.3 * rng.normal(size=n) > 0).astype(np.int64)
    return z, dom, y


def _transfer_gap_args(rng: np.random.Generator) -> tuple[list[Any], dict[str, Any]]:
    z, dom, y = _domains(rng, 200)
    z2, dom2, y2 = _domains(rng, 120)
    return ([z[dom == 0], y[dom == 0], z2[dom2 == 0], y2[dom2 == 0], z2[dom2 == 1], y2[dom2 == 1]],
            {"rng": 0, "n_resamples": 50, "codes_target_train": z[dom == 1], "labels_target_train": y[dom == 1]})


def _diagrams(rng: np.random.Generator) -> list[np.ndarray]:
    b = rng.uniform(0, 1, size=(6, 1))
    return [np.concatenate([b, b + rng.uniform(0.1, 1, size=(6, 1))], axis=1), np.array([[0.2, 0.5], [0.3, 0.4]])]


CASES: dict[str, Case] = {
    # ------------------------------------------------------------------ cka
    "cka.linear_cka_score": Case(cka.linear_cka_score, lambda r: ([_codes(r, 60, 3), _codes(r, 60, 3)], {}), {0: "X", 1: "Y"},
                                 codes=(0, 1), invariances=frozenset({"rotation", "isotropic_scale", "translation", "dim_permutation"}),
                                 extra={"scale_each": True}),
    "cka.rbf_cka_score": Case(cka.rbf_cka_score, lambda r: ([_codes(r, 60, 3), _codes(r, 60, 3)], {}), {0: "X", 1: "Y"},
                              codes=(0, 1), invariances=frozenset({"rotation", "isotropic_scale", "translation", "dim_permutation"}),
                              extra={"scale_each": True}),
    "cka.cka_estimate": Case(cka.cka_estimate, lambda r: ([_codes(r, 40, 3), _codes(r, 40, 3)], {"rng": 0, "n_rounds": 10}),
                             {0: "X", 1: "Y"}, codes=(0, 1), value=lambda r: r.value,
                             invariances=frozenset({"rotation", "isotropic_scale", "translation", "dim_permutation"}),
                             extra={"scale_each": True}),
    "cka.hsic": Case(cka.hsic, lambda r: ([(lambda a: a @ a.T)(_codes(r, 30, 3)), (lambda a: a @ a.T)(_codes(r, 30, 2))], {}),
                     {0: "K", 1: "L"}),
    # ------------------------------------------------------------------ collapse
    "collapse.active_units": Case(collapse.active_units, lambda r: ([_posterior(r)[0]], {}), {0: "mean"}, codes=(0,),
                                  value=lambda r: r[0], invariances=frozenset({"dim_permutation", "translation"})),
    "collapse.kl_per_dimension": Case(collapse.kl_per_dimension, lambda r: (list(_posterior(r)), {}), {0: "mean", 1: "logvar"},
                                      value=lambda r: float(np.sum(r))),
    "collapse.mutual_information_aggregate": Case(collapse.mutual_information_aggregate, lambda r: (list(_posterior(r)), {"rng": 0}),
                                                  {0: "mean", 1: "logvar"}),
    "collapse.kl_decomposition": Case(collapse.kl_decomposition, lambda r: (list(_posterior(r)), {"rng": 0}), {0: "mean", 1: "logvar"},
                                      value=lambda r: {k: float(v.mean()) for k, v in r.items()}),
    # ------------------------------------------------------------------ dimension
    "dimension.twonn": Case(dimension.twonn, lambda r: ([_manifold(r)[0]], {}), {0: "x"}, codes=(0,),
                            invariances=frozenset({"rotation", "isotropic_scale", "translation", "dim_permutation"})),
    "dimension.mle": Case(dimension.mle, lambda r: ([_manifold(r)[0]], {}), {0: "x"}, codes=(0,),
                          invariances=frozenset({"rotation", "isotropic_scale", "translation", "dim_permutation"})),
    "dimension.corrint": Case(dimension.corrint, lambda r: ([_manifold(r)[0]], {}), {0: "x"}, codes=(0,),
                              invariances=frozenset({"rotation", "isotropic_scale", "translation", "dim_permutation"})),
    "dimension.correlation_dimension": Case(dimension.correlation_dimension, lambda r: ([_manifold(r, 300)[0]], {"rng": 0, "n_rounds": 4}),
                                            {0: "x"}, codes=(0,), value=lambda r: r["dimension"],
                                            invariances=frozenset({"rotation", "isotropic_scale", "translation", "dim_permutation"})),
    "dimension.id_scale_curve": Case(dimension.id_scale_curve, lambda r: ([_manifold(r)[0]], {"max_rank": 16}), {0: "x"}, codes=(0,),
                                     value=lambda r: r["dimension"].tolist(),
                                     invariances=frozenset({"rotation", "isotropic_scale", "translation", "dim_permutation"})),
    "dimension.intrinsic_dimension": Case(dimension.intrinsic_dimension, lambda r: ([_manifold(r)[0]], {}), {0: "x"}, codes=(0,),
                                          value=lambda r: (r["twonn"], r["mle"], r["corrint"]),
                                          invariances=frozenset({"rotation", "isotropic_scale", "translation", "dim_permutation"})),
    # ------------------------------------------------------------------ disentanglement
    "disentanglement.mig_score": Case(disentanglement.mig_score, lambda r: (list(_factors(r)), {}), {0: "codes", 1: "factors"}, codes=(0,),
                                      invariances=frozenset({"dim_permutation", "dim_scale", "isotropic_scale", "translation"})),
    "disentanglement.modularity_score": Case(disentanglement.modularity_score, lambda r: (list(_factors(r)), {}), {0: "codes", 1: "factors"},
                                             codes=(0,), invariances=frozenset({"dim_permutation", "dim_scale", "isotropic_scale", "translation"})),
    "disentanglement.mig_sampled_score": Case(disentanglement.mig_sampled_score,
                                              lambda r: ([*_posterior(r, 300), _factors(r)[1]], {"rng": 0, "n_samples": 500}),
                                              {0: "mean", 1: "logvar", 2: "factors"}),
    "disentanglement.dci_score": Case(disentanglement.dci_score,
                                      lambda r: ([*_factors(r), *_factors(r, 150)], {"rng": 0, "predictor": "lasso"}),
                                      {0: "codes_train", 1: "factors_train", 2: "codes_test", 3: "factors_test"}, codes=(0, 2),
                                      invariances=frozenset({"translation", "isotropic_scale", "dim_scale"}), rtol=1e-6,
                                      notes="lasso on codes standardized with the training statistics"),
    "disentanglement.sap_score": Case(disentanglement.sap_score, lambda r: ([*_factors(r), *_factors(r, 150)], {"classifier": "threshold"}),
                                      {0: "codes_train", 1: "factors_train", 2: "codes_test", 3: "factors_test"}, codes=(0, 2),
                                      invariances=frozenset({"dim_permutation", "dim_scale", "translation", "isotropic_scale"})),
    "disentanglement.explicitness_score": Case(disentanglement.explicitness_score, lambda r: ([*_factors(r), *_factors(r, 150)], {}),
                                               {0: "codes_train", 1: "factors_train", 2: "codes_test", 3: "factors_test"}, codes=(0, 2),
                                               invariances=frozenset({"translation", "isotropic_scale", "dim_scale"}), rtol=1e-4),
    "disentanglement.factor_vae_score": Case(disentanglement.factor_vae_score,
                                             lambda r: (list(_factors(r)), {"rng": 0, "n_train": 200, "n_eval": 100, "n_variance": 300}),
                                             {0: "codes", 1: "factors"}, codes=(0,), invariances=frozenset({"dim_permutation"})),
    "disentanglement.beta_vae_score": Case(disentanglement.beta_vae_score,
                                           lambda r: (list(_factors(r)), {"rng": 0, "n_train": 200, "n_eval": 100}),
                                           {0: "codes", 1: "factors"}),
    "disentanglement.bootstrap_accuracy": Case(disentanglement.bootstrap_accuracy,
                                               lambda r: ([r.integers(0, 2, (80, 2)).astype(float)], {"rng": 0, "n_resamples": 50}),
                                               {0: "correct"}, value=lambda r: r.value, nan_ok=frozenset({"correct"})),
    # ------------------------------------------------------------------ factor semantics
    "factor_semantics.factor_analogy_score": Case(factor_semantics.factor_analogy_score, lambda r: (list(_factors(r)), {"rng": 0, "n_questions": 100}),
                                                  {0: "z", 1: "factors"}, codes=(0,),
                                                  invariances=frozenset({"rotation", "isotropic_scale", "translation", "dim_permutation"})),
    "factor_semantics.factor_distance_spearman": Case(factor_semantics.factor_distance_spearman, lambda r: (list(_factors(r)), {"rng": 0, "n_pairs": 500}),
                                                      {0: "z", 1: "factors"}, codes=(0,),
                                                      invariances=frozenset({"rotation", "isotropic_scale", "translation", "dim_permutation"})),
    "factor_semantics.analogy_questions": Case(factor_semantics.analogy_questions, lambda r: ([_factors(r)[1]], {"rng": 0, "n_questions": 50}),
                                               {0: "factors"}, value=lambda r: r.tolist()),
    # ------------------------------------------------------------------ fairness
    "fairness.group_metrics": Case(fairness.group_metrics, lambda r: ([_binary(r, 100), _binary(r, 100), _binary(r, 100)], {}),
                                   {0: "y_true", 1: "y_pred", 2: "sensitive"}, value=lambda r: r["dp_diff"],
                                   categorical=frozenset({"sensitive"})),
    "fairness.group_stats_weighted": Case(fairness.group_stats_weighted,
                                          lambda r: ([_binary(r, 100), _binary(r, 100), _binary(r, 100), np.ones((3, 100))], {}),
                                          {0: "y_true", 1: "y_pred", 2: "sensitive", 3: "weights"}, value=lambda r: r["dp_diff"].tolist(),
                                          categorical=frozenset({"sensitive"})),
    "fairness.bias_amplification": Case(fairness.bias_amplification,
                                        lambda r: ([_binary(r, 100), _binary(r, 100), _binary(r, 100), _binary(r, 100)],
                                                   {"rng": 0, "n_resamples": 50}),
                                        {0: "y_true", 1: "pred_latent", 2: "pred_input", 3: "sensitive"},
                                        value=lambda r: r["stats"]["dp_diff"]["amplification"].value, categorical=frozenset({"sensitive"})),
    "fairness.directional_bias_amplification": Case(fairness.directional_bias_amplification,
                                                    lambda r: ([_binary(r, 100), _binary(r, 100)], {"t_pred": _binary(r, 100)}),
                                                    {0: "a_true", 1: "t_true"}, categorical=frozenset({"a_true", "t_true"})),
    "fairness.label_only_scores": Case(fairness.label_only_scores, lambda r: ([_binary(r, 100), _binary(r, 100), _binary(r, 50)], {}),
                                       {0: "s_train", 1: "y_train", 2: "y_test"}, value=lambda r: r.tolist(),
                                       categorical=frozenset({"s_train", "y_train", "y_test"})),
    "fairness.leakage_auroc": Case(fairness.leakage_auroc, lambda r: ([r.normal(size=100), _binary(r, 100)], {"rng": 0, "n_resamples": 50}),
                                   {0: "scores", 1: "sensitive"}, value=lambda r: r.value),
    "fairness.weat": Case(fairness.weat, lambda r: ([_codes(r, 4, 5), _codes(r, 4, 5), _codes(r, 3, 5), _codes(r, 3, 5)], {"rng": 0}),
                          {0: "X", 1: "Y", 2: "A", 3: "B"}, codes=(0, 1, 2, 3), value=lambda r: r["effect_size"],
                          invariances=frozenset({"rotation", "isotropic_scale", "dim_permutation"}),
                          extra={"scale_each": True}),
    "fairness.fit_probe": Case(fairness.fit_probe, lambda r: ([_codes(r), _binary(r, 120)], {}), {0: "x", 1: "y"}, categorical=frozenset({"y"}),
                               value=lambda r: r.predict(np.zeros((1, 3))).tolist()),
    # ------------------------------------------------------------------ likelihood
    "likelihood.diag_gaussian_log_prob": Case(likelihood.diag_gaussian_log_prob,
                                              lambda r: ([_codes(r, 50), *_posterior(r, 50)], {}), {0: "z", 1: "mean", 2: "logvar"},
                                              value=lambda r: float(r.sum())),
    "likelihood.standard_normal_kl": Case(likelihood.standard_normal_kl, lambda r: (list(_posterior(r)), {}), {0: "mean", 1: "logvar"},
                                          value=lambda r: float(r.sum())),
    "likelihood.elbo_from_log_weights": Case(likelihood.elbo_from_log_weights, lambda r: ([r.normal(size=(8, 40))], {}), {0: "log_w"},
                                             value=lambda r: float(r[0].sum())),
    "likelihood.iwae_from_log_weights": Case(likelihood.iwae_from_log_weights, lambda r: ([r.normal(size=(8, 40))], {}), {0: "log_w"},
                                             value=lambda r: float(r[0].sum())),
    # ------------------------------------------------------------------ neighbourhood
    "neighborhood.trustworthiness": Case(neighborhood.trustworthiness, lambda r: (list(_manifold(r)), {}), {0: "x", 1: "z"},
                                         codes=(1,), inputs=(0,), value=lambda r: r[10],
                                         invariances=frozenset({"rotation", "isotropic_scale", "translation", "dim_permutation"})),
    "neighborhood.continuity": Case(neighborhood.continuity, lambda r: (list(_manifold(r)), {}), {0: "x", 1: "z"},
                                    codes=(1,), inputs=(0,), value=lambda r: r[10],
                                    invariances=frozenset({"rotation", "isotropic_scale", "translation", "dim_permutation"})),
    "neighborhood.trustworthiness_continuity": Case(neighborhood.trustworthiness_continuity, lambda r: (list(_manifold(r)), {}),
                                                    {0: "x", 1: "z"}, codes=(1,), inputs=(0,),
                                                    value=lambda r: (r["trustworthiness"][10], r["continuity"][10]),
                                                    invariances=frozenset({"rotation", "isotropic_scale", "translation", "dim_permutation"})),
    "neighborhood.knn_recall": Case(neighborhood.knn_recall, lambda r: (list(_manifold(r)), {}), {0: "x", 1: "z"},
                                    codes=(1,), inputs=(0,), value=lambda r: r[10],
                                    invariances=frozenset({"rotation", "isotropic_scale", "translation", "dim_permutation"})),
    "neighborhood.distortion": Case(neighborhood.distortion, lambda r: (list(_manifold(r)), {"rng": 0, "n_pairs": 500}), {0: "x", 1: "z"},
                                    codes=(1,), value=lambda r: r["distortion_quantile"],
                                    invariances=frozenset({"rotation", "isotropic_scale", "translation", "dim_permutation"}), rtol=1e-7),
    # ------------------------------------------------------------------ privacy
    "privacy.ssim": Case(privacy.ssim, lambda r: ([r.uniform(size=(3, 1, 12, 12)), r.uniform(size=(3, 1, 12, 12))], {}), {0: "x", 1: "y"},
                         value=lambda r: r.tolist()),
    "privacy.mean_baseline": Case(privacy.mean_baseline, lambda r: ([_codes(r)], {"n": 5}), {0: "x_aux"}, value=lambda r: r.tolist()),
    "privacy.nearest_neighbour_baseline": Case(privacy.nearest_neighbour_baseline, lambda r: ([_codes(r), _codes(r, 120, 6), _codes(r, 10)], {}),
                                               {0: "z_aux", 1: "x_aux", 2: "z"}, value=lambda r: r.tolist()),
    "privacy.inversion_risk": Case(privacy.inversion_risk, lambda r: ([{"a": r.uniform(size=50)}, {"b": r.uniform(1, 2, size=50)}],
                                                                      {"rng": 0, "n_resamples": 50}),
                                   {}, value=lambda r: r["risk"].value),
    "privacy.balanced_accuracy_weighted": Case(privacy.balanced_accuracy_weighted, lambda r: ([_binary(r, 100), _binary(r, 100)], {}),
                                               {0: "y_true", 1: "y_pred"}, categorical=frozenset({"y_true", "y_pred"})),
    "privacy.advantage_over_chance": Case(privacy.advantage_over_chance, lambda r: ([np.array([0.5, 0.7])], {"n_classes": 2}),
                                          {0: "balanced_accuracy"}, value=lambda r: r.tolist(), any_ndim=frozenset({"balanced_accuracy"})),
    "privacy.tpr_at_fpr": Case(privacy.tpr_at_fpr, lambda r: ([r.normal(size=60), r.normal(size=60)], {"fpr": 0.1}),
                               {0: "signal_members", 1: "signal_non_members"}),
    "privacy.latent_distance_signal": Case(privacy.latent_distance_signal, lambda r: ([_codes(r, 20), _codes(r, 30), _codes(r, 40)], {}),
                                           {0: "z_candidates", 1: "z_reference_members", 2: "z_population"}, codes=(0, 1, 2),
                                           value=lambda r: r.tolist(), invariances=frozenset({"translation", "dim_permutation"}), rtol=1e-7),
    "privacy.membership_auroc": Case(privacy.membership_auroc, lambda r: ([r.normal(size=60), r.normal(size=60)], {"rng": 0, "n_resamples": 50}),
                                     {0: "signal_members", 1: "signal_non_members"}, value=lambda r: r.value),
    "privacy.train_mlp_inverter": Case(privacy.train_mlp_inverter, lambda r: ([_codes(r, 64), r.uniform(size=(64, 5))], {"steps": 5, "hidden": [8]}),
                                       {0: "z_aux", 1: "x_aux"}, value=lambda r: r[0](np.zeros((1, 3))).shape),
    # ------------------------------------------------------------------ ranking (AUROC, average precision, TPR at FPR)
    "ranking.auroc_score": Case(ranking.auroc_score, lambda r: ([_binary(r, 100), r.normal(size=100)], {}), {0: "y_true", 1: "y_score"}),
    "ranking.auroc_placements": Case(ranking.auroc_placements, lambda r: ([_binary(r, 100), r.normal(size=100)], {}),
                                     {0: "y_true", 1: "y_score"}, value=lambda r: float(r.mean())),
    "ranking.average_precision_score": Case(ranking.average_precision_score, lambda r: ([_binary(r, 100), r.normal(size=100)], {}),
                                            {0: "y_true", 1: "y_score"}),
    "ranking.tpr_at_fpr_score": Case(ranking.tpr_at_fpr_score, lambda r: ([_binary(r, 100), r.normal(size=100)], {"max_fpr": 0.1}),
                                     {0: "y_true", 1: "y_score"}),
    "ranking.weighted_auroc": Case(ranking.weighted_auroc, lambda r: ([r.normal(size=100), _binary(r, 100)], {}),
                                   {0: "scores", 1: "labels"}),
    "ranking.weighted_average_precision": Case(ranking.weighted_average_precision, lambda r: ([r.normal(size=100), _binary(r, 100)], {}),
                                               {0: "scores", 1: "labels"}),
    "ranking.weighted_tpr_at_fpr": Case(ranking.weighted_tpr_at_fpr, lambda r: ([r.normal(size=100), _binary(r, 100)], {"max_fpr": 0.1}),
                                        {0: "scores", 1: "labels"}),
    # ------------------------------------------------------------------ anomaly
    "anomaly.knn_distance": Case(anomaly.knn_distance, lambda r: ([_codes(r), _codes(r, 40)], {"k": 3}), {0: "z_train", 1: "z_test"},
                                 codes=(0, 1), value=lambda r: r.tolist(), rtol=1e-7,
                                 invariances=frozenset({"rotation", "translation", "dim_permutation"})),
    "anomaly.mahalanobis_distance": Case(anomaly.mahalanobis_distance, lambda r: ([_codes(r), _codes(r, 40)], {}), {0: "z_train", 1: "z_test"},
                                         codes=(0, 1), value=lambda r: r.tolist(), rtol=1e-6,
                                         invariances=frozenset({"rotation", "translation", "isotropic_scale", "dim_permutation"})),
    "anomaly.isolation_forest_scores": Case(anomaly.isolation_forest_scores, lambda r: ([_codes(r), _codes(r, 40)], {"rng": 0, "n_estimators": 20}),
                                            {0: "z_train", 1: "z_test"}, codes=(0, 1), value=lambda r: r.tolist()),
    "anomaly.lof_scores": Case(anomaly.lof_scores, lambda r: ([_codes(r), _codes(r, 40)], {"k": 10}), {0: "z_train", 1: "z_test"},
                               codes=(0, 1), value=lambda r: r.tolist(), rtol=1e-6,
                               invariances=frozenset({"rotation", "translation", "isotropic_scale", "dim_permutation"})),
    "anomaly.pyod_scores": Case(anomaly.pyod_scores, lambda r: ([_codes(r), _codes(r, 40)], {"detector": "ECOD", "rng": 0}),
                                {0: "z_train", 1: "z_test"}, codes=(0, 1), value=lambda r: r.tolist()),
    "anomaly.detection_estimates": Case(anomaly.detection_estimates, lambda r: ([r.normal(size=100), _binary(r, 100)], {"rng": 0, "n_resamples": 50}),
                                        {0: "scores", 1: "is_anomaly"}, value=lambda r: (r["auroc"].value, r["average_precision"].value)),
    "anomaly.paired_auroc_difference": Case(anomaly.paired_auroc_difference,
                                            lambda r: ([r.normal(size=100), r.normal(size=100), _binary(r, 100)], {"rng": 0, "n_resamples": 50}),
                                            {0: "scores_a", 1: "scores_b", 2: "is_anomaly"}, value=lambda r: r.value),
    # ------------------------------------------------------------------ reconstruction
    "reconstruction.per_sample_squared_error": Case(reconstruction.per_sample_squared_error,
                                                    lambda r: ([r.uniform(size=(20, 5)), r.uniform(size=(20, 5))], {}), {0: "x", 1: "x_hat"},
                                                    value=lambda r: r.tolist(), any_ndim=frozenset({"x", "x_hat"})),
    "reconstruction.binary_cross_entropy_per_sample": Case(reconstruction.binary_cross_entropy_per_sample,
                                                           lambda r: ([r.integers(0, 2, (20, 5)).astype(float), r.uniform(0.1, 0.9, (20, 5))], {}),
                                                           {0: "x", 1: "p"}, value=lambda r: r.tolist(), any_ndim=frozenset({"x", "p"})),
    "reconstruction.psnr_per_sample": Case(reconstruction.psnr_per_sample, lambda r: ([r.uniform(0.01, 0.1, 20)], {}), {0: "mse"},
                                           value=lambda r: r.tolist()),
    "reconstruction.error_quantiles": Case(reconstruction.error_quantiles, lambda r: ([r.uniform(size=20)], {}), {0: "errors"}),
    # ------------------------------------------------------------------ semantics
    "semantics.analogy_accuracy_score": Case(semantics.analogy_accuracy_score, lambda r: ([_codes(r, 40, 5), _questions(r, 40, 30)], {}),
                                             {0: "vectors", 1: "questions"}, codes=(0,),
                                             invariances=frozenset({"rotation", "isotropic_scale", "dim_permutation"})),
    "semantics.pair_cosines": Case(semantics.pair_cosines, lambda r: ([_codes(r, 30), _codes(r, 30)], {}), {0: "x", 1: "y"},
                                   codes=(0, 1), value=lambda r: r.tolist(), rtol=1e-9,
                                   invariances=frozenset({"rotation", "isotropic_scale", "dim_permutation"}),
                                   extra={"scale_each": True}),
    "semantics.word_similarity_score": Case(semantics.word_similarity_score, lambda r: ([r.uniform(-1, 1, 50), r.uniform(0, 10, 50)], {}),
                                            {0: "similarities", 1: "human_scores"}),
    # ------------------------------------------------------------------ topology
    "topology.farthest_point_sampling": Case(topology.farthest_point_sampling, lambda r: ([_manifold(r)[0]], {"n_landmarks": 20}), {0: "x"},
                                             codes=(0,), value=lambda r: r[0].tolist(),
                                             invariances=frozenset({"rotation", "isotropic_scale", "translation", "dim_permutation"})),
    "topology.covering_radius": Case(topology.covering_radius, lambda r: ([_manifold(r)[0], np.arange(0, 150, 10)], {}), {0: "x"}),
    "topology.persistence_diagrams": Case(topology.persistence_diagrams, lambda r: ([_manifold(r, 60)[0]], {}), {0: "points"},
                                          codes=(0,), value=lambda r: [len(d) for d in r],
                                          invariances=frozenset({"rotation", "translation", "dim_permutation"})),
    "topology.h0_diagram_mst": Case(topology.h0_diagram_mst, lambda r: ([_manifold(r, 60)[0]], {}), {0: "points"}, codes=(0,),
                                    value=lambda r: sorted(r[:, 1].tolist()),
                                    invariances=frozenset({"rotation", "translation", "dim_permutation"}), rtol=1e-7),
    "topology.betti_numbers": Case(topology.betti_numbers, lambda r: ([_diagrams(r)], {"threshold": 0.05}), {}),
    "topology.total_persistence": Case(topology.total_persistence, lambda r: ([_diagrams(r)], {}), {}),
    "topology.diagram_distances": Case(topology.diagram_distances, lambda r: ([_diagrams(r), _diagrams(r)], {}), {},
                                       value=lambda r: r["bottleneck"]),
    "topology.landmark_persistence": Case(topology.landmark_persistence, lambda r: ([_manifold(r, 120)[0]], {"n_landmarks": 40}), {0: "x"},
                                          codes=(0,), value=lambda r: r["betti"],
                                          invariances=frozenset({"rotation", "isotropic_scale", "translation", "dim_permutation"})),
    "topology.compare_topology": Case(topology.compare_topology, lambda r: (list(_manifold(r, 120)), {"n_landmarks": 40, "n_draws": 2, "rng": 0}),
                                      {0: "x", 1: "z"}, codes=(1,), value=lambda r: r["bottleneck"][1]["mean"],
                                      invariances=frozenset({"rotation", "isotropic_scale", "translation", "dim_permutation"}), rtol=1e-6),
    # ------------------------------------------------------------------ transfer
    "transfer.proxy_a_distance": Case(transfer.proxy_a_distance, lambda r: ([*_domains(r)[:2], *_domains(r)[:2]], {"rng": 0, "n_resamples": 50}),
                                      {0: "codes_train", 1: "domain_train", 2: "codes_test", 3: "domain_test"}, codes=(0, 2),
                                      value=lambda r: r.value, invariances=frozenset({"translation", "isotropic_scale"}),
                                      categorical=frozenset({"domain_train", "domain_test"}), rtol=1e-6,
                                      notes="logistic regression on codes standardized with the training rows' statistics"),
    "transfer.mmd2_unbiased": Case(transfer.mmd2_unbiased, lambda r: (list(domain_split(_domains(r))), {}), {0: "source", 1: "target"},
                                   codes=(0, 1), invariances=frozenset({"rotation", "isotropic_scale", "translation", "dim_permutation"}),
                                   rtol=1e-7),
    "transfer.mmd_test": Case(transfer.mmd_test, lambda r: (list(domain_split(_domains(r))), {"rng": 0, "n_permutations": 50, "n_rounds": 4}),
                              {0: "source", 1: "target"}, codes=(0, 1), value=lambda r: (r["p_value"], r["mmd2"].value),
                              invariances=frozenset({"rotation", "isotropic_scale", "translation", "dim_permutation"}), rtol=1e-7),
    "transfer.median_bandwidth": Case(transfer.median_bandwidth, lambda r: (list(domain_split(_domains(r))), {}), {0: "source", 1: "target"},
                                      codes=(0, 1), invariances=frozenset({"rotation", "translation", "dim_permutation"}), rtol=1e-7),
    "transfer.coral_distance": Case(transfer.coral_distance, lambda r: (list(domain_split(_domains(r))), {}), {0: "source", 1: "target"},
                                    codes=(0, 1), invariances=frozenset({"rotation", "translation", "dim_permutation"}), rtol=1e-7),
    "transfer.coral_bootstrap": Case(transfer.coral_bootstrap, lambda r: (list(domain_split(_domains(r))), {"rng": 0, "n_resamples": 30}),
                                     {0: "source", 1: "target"}, codes=(0, 1), value=lambda r: r.value,
                                     invariances=frozenset({"rotation", "translation", "dim_permutation"}), rtol=1e-7),
    "transfer.domain_arrays": Case(transfer.domain_arrays, lambda r: (list(_domains(r)[:2]), {}), {0: "codes", 1: "domain"}, codes=(0,),
                                   value=lambda r: (r[0].shape, r[1].shape), categorical=frozenset({"domain"}),
                                   invariances=frozenset({"rotation", "isotropic_scale", "translation", "dim_permutation"})),
    "transfer.transfer_gap": Case(transfer.transfer_gap, _transfer_gap_args,
                                  {0: "codes_source_train", 1: "labels_source_train", 2: "codes_source_test", 3: "labels_source_test",
                                   4: "codes_target_test", 5: "labels_target_test"}, codes=(0, 2, 4),
                                  value=lambda r: (r["target_accuracy"].value, r["source_accuracy"].value),
                                  categorical=frozenset({"labels_source_train", "labels_source_test", "labels_target_test"}),
                                  invariances=frozenset({"translation", "isotropic_scale"}),
                                  notes="the probes standardize codes with their training rows' statistics"),
}


def domain_split(parts: tuple[np.ndarray, np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    z, dom, _ = parts
    return z[dom == 0], z[dom == 1]

#: Public functions of ``latentbench.metrics`` that are not metrics of data (helpers, constants,
#: verdict wording, unit conversions on scalars), with the reason.
NOT_METRICS: dict[str, str] = {
    "likelihood.nats_to_bits_per_dim": "a unit conversion of scalars",
    "likelihood.check_logvar": "an argument validator (tested through every function that takes a log-variance)",
    "privacy.low_fpr_level": "picks a false-positive level from a count",
    "privacy.risk_verdict": "words for an interval's lower end",
    "topology.rips_backend": "names the installed Rips engine",
}
