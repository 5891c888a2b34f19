"""Model and dataset identity: two models that compute different codes never share a result key,
a model whose weights change gets a new one, a non-deterministic encoder keeps one across runs,
and datasets differing in any array or split differ (identity scheme 2, :mod:`latentbench.identity`)."""

from __future__ import annotations

import sqlite3
import warnings

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.decomposition import PCA
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from torch import nn

import latentbench
from latentbench.adapters import CallableAdapter, PrecomputedAdapter, SklearnAdapter, TorchAdapter
from latentbench.data import load_dataset
from latentbench.data.base import Dataset
from latentbench.data.loaders import load_npz
from latentbench.identity import IDENTITY_SCHEME, probe_rows, state_digest
from latentbench.store import JOB_KEY, ResultStore


@pytest.fixture(scope="module")
def digits_ds():
    return load_dataset("digits")


def _flat(d: Dataset, rows: np.ndarray) -> np.ndarray:
    return d.get_x(rows, flat=True).astype(np.float64)


# ------------------------------------------------------------------------------------------ scikit-learn
def test_two_pipelines_fitted_on_different_data_differ(digits_ds, tmp_path):
    # the reported defect: get_params() and top-level fitted attributes are equal for two pipelines,
    # so the second one was served the first one's results
    x = _flat(digits_ds, digits_ds.split("train"))
    a = make_pipeline(StandardScaler(), PCA(5, random_state=0)).fit(x[:600])
    b = make_pipeline(StandardScaler(), PCA(5, random_state=0)).fit(x[600:])
    same_as_a = make_pipeline(StandardScaler(), PCA(5, random_state=0)).fit(x[:600])
    fa, fb = SklearnAdapter(a).fingerprint(), SklearnAdapter(b).fingerprint()
    assert fa != fb
    assert SklearnAdapter(same_as_a).fingerprint() == fa  # the same fit, the same identity (resume works)
    db = str(tmp_path / "r.db")
    ra = latentbench.evaluate(a, tasks="intrinsic-dimension/digits", store=db, device="cpu", name="pipe", n_bootstrap=20)
    rb = latentbench.evaluate(b, tasks="intrinsic-dimension/digits", store=db, device="cpu", name="pipe", n_bootstrap=20)
    assert not any(r.get("cached") for r in rb)  # computed, not served from a's rows
    assert ra.value("intrinsic-dimension/digits", "twonn_latent") != rb.value("intrinsic-dimension/digits", "twonn_latent")
    again = latentbench.evaluate(same_as_a, tasks="intrinsic-dimension/digits", store=db, device="cpu", name="pipe", n_bootstrap=20)
    assert all(r.get("cached") for r in again)


def test_unpicklable_pipeline_is_still_identified(digits_ds):
    x = _flat(digits_ds, digits_ds.split("train"))
    a = make_pipeline(FunctionTransformer(lambda v: v * 2.0), PCA(3)).fit(x)
    b = make_pipeline(FunctionTransformer(lambda v: v * 3.0), PCA(3)).fit(x)
    assert SklearnAdapter(a).fingerprint() != SklearnAdapter(b).fingerprint()


# ------------------------------------------------------------------------------------------ callables
WEIGHTS = np.random.default_rng(0).standard_normal((64, 4))


def encode_with_module_weights(x):
    return x.reshape(len(x), -1) @ WEIGHTS


def test_callable_reading_module_level_weights_gets_a_new_identity_when_they_change(digits_ds, tmp_path):
    global WEIGHTS
    db = str(tmp_path / "r.db")
    before = CallableAdapter(encode_with_module_weights).fingerprint()
    r1 = latentbench.evaluate(encode_with_module_weights, tasks="intrinsic-dimension/digits", store=db, device="cpu", name="f")
    saved = WEIGHTS
    try:
        WEIGHTS = np.random.default_rng(1).standard_normal((64, 2))  # another model: a 2-D code
        assert CallableAdapter(encode_with_module_weights).fingerprint() != before
        r2 = latentbench.evaluate(encode_with_module_weights, tasks="intrinsic-dimension/digits", store=db, device="cpu", name="f")
        assert not any(r.get("cached") for r in r2)
        v1, v2 = (r.value("intrinsic-dimension/digits", "twonn_latent") for r in (r1, r2))
        assert v2 < 2.5 < v1  # a 2-D linear code has dimension at most 2: it was not served the 4-D code's value
    finally:
        WEIGHTS = saved
    assert CallableAdapter(encode_with_module_weights).fingerprint() == before


def test_closures_and_bound_methods_are_identified_by_what_they_hold():
    def make(w):
        return lambda x: x.reshape(len(x), -1) @ w

    w = np.ones((64, 2))
    assert CallableAdapter(make(w)).fingerprint() == CallableAdapter(make(w.copy())).fingerprint()
    assert CallableAdapter(make(w)).fingerprint() != CallableAdapter(make(w * 2)).fingerprint()

    class Enc:
        def __init__(self, scale):
            self.scale = scale

        def encode(self, x):
            return x.reshape(len(x), -1)[:, :3] * self.scale

    assert latentbench.adapt(Enc(1.0)).fingerprint() != latentbench.adapt(Enc(2.0)).fingerprint()
    assert latentbench.adapt(Enc(1.0)).fingerprint() == latentbench.adapt(Enc(1.0)).fingerprint()


# ------------------------------------------------------------------------------------------ torch
class Tempered(nn.Module):
    def __init__(self, temperature: float = 1.0, flip: bool = False, offset=None):
        super().__init__()
        torch.manual_seed(0)
        self.lin = nn.Linear(64, 3)
        self.temperature = temperature  # a plain attribute, not in the state_dict
        self.flip = flip
        self.offset = torch.zeros(3) if offset is None else offset  # a tensor that is not a registered buffer

    def encode(self, x):
        z = self.lin(x.reshape(len(x), -1)) / self.temperature + self.offset
        return -z if self.flip else z


def test_torch_modules_differing_outside_the_state_dict_differ(digits_ds):
    base = Tempered()
    assert Tempered().state_dict().keys() == base.state_dict().keys()
    variants = [Tempered(temperature=2.0), Tempered(flip=True), Tempered(offset=torch.ones(3))]
    fps = {TorchAdapter(m).fingerprint() for m in [base, *variants]}
    assert len(fps) == 4
    assert TorchAdapter(Tempered()).fingerprint() == TorchAdapter(base).fingerprint()
    ids = {TorchAdapter(m).bind(digits_ds).identity(digits_ds)[0] for m in [base, *variants]}
    assert len(ids) == 4


def test_a_torch_model_whose_weights_change_gets_a_new_identity(digits_ds):
    m = Tempered()
    adapter = TorchAdapter(m)
    before = adapter.fingerprint(), adapter.identity(digits_ds)[0]
    with torch.no_grad():
        m.lin.weight[0, 0] += 1e-3
    after = adapter.fingerprint(), adapter.identity(digits_ds)[0]  # the same adapter object: nothing is cached
    assert before[0] != after[0] and before[1] != after[1]


class SamplingEncoder(nn.Module):
    """Returns a reparameterised sample (torch's global generator): random, but seeded by the probe."""

    def __init__(self, seed: int = 0):
        super().__init__()
        torch.manual_seed(seed)
        self.lin = nn.Linear(64, 3)

    def encode(self, x):
        h = self.lin(x.reshape(len(x), -1))
        return h + torch.randn_like(h)


class UnseededEncoder(nn.Module):
    """Truly non-deterministic: a fresh unseeded NumPy generator per call."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.lin = nn.Linear(64, 3)

    def encode(self, x):
        noise = np.random.default_rng().standard_normal((len(x), 3)).astype(np.float32)
        return self.lin(x.reshape(len(x), -1)) + torch.from_numpy(noise)


def test_a_sampling_encoder_keeps_one_identity_across_runs(digits_ds):
    first = TorchAdapter(SamplingEncoder()).identity(digits_ds)
    second = TorchAdapter(SamplingEncoder()).identity(digits_ds)  # a new object, as in a new run
    assert first == second and first[1] == "deterministic"
    assert TorchAdapter(SamplingEncoder(seed=1)).identity(digits_ds)[0] != first[0]
    model = SamplingEncoder()  # its constructor seeds torch; the probe must not touch the state after it
    state = torch.random.get_rng_state()
    TorchAdapter(model).identity(digits_ds)
    assert torch.equal(torch.random.get_rng_state(), state)  # the probe leaves the caller's generator as it was


def test_a_nondeterministic_encoder_is_stable_warns_and_differs_from_others(digits_ds, tmp_path):
    with pytest.warns(UserWarning, match="different codes on the same probe rows"):
        a = TorchAdapter(UnseededEncoder()).identity(digits_ds)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b = TorchAdapter(UnseededEncoder()).identity(digits_ds)
        other = TorchAdapter(UnseededEncoder().requires_grad_(False)).identity(digits_ds)
    assert a == b and a[1] == "nondeterministic"
    m = UnseededEncoder()
    with torch.no_grad():
        m.lin.bias += 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert TorchAdapter(m).identity(digits_ds)[0] != a[0]
    assert other == a  # requires_grad is not behaviour: same weights, same identity
    db = str(tmp_path / "r.db")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        latentbench.evaluate(UnseededEncoder(), tasks="intrinsic-dimension/digits", store=db, device="cpu", name="u")
        again = latentbench.evaluate(UnseededEncoder(), tasks="intrinsic-dimension/digits", store=db, device="cpu", name="u")
    assert all(r.get("cached") for r in again)  # resume works
    desc = ResultStore(db).models()[0]
    assert '"probe": "nondeterministic"' in desc["description"]


# ------------------------------------------------------------------------------------------ property tests
_FINITE = st.floats(-3, 3, allow_nan=False, width=32)


def _weights(draw_list, shape):
    return np.asarray(draw_list, dtype=np.float64).reshape(shape)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(w1=st.lists(_FINITE, min_size=64 * 2, max_size=64 * 2), w2=st.lists(_FINITE, min_size=64 * 2, max_size=64 * 2))
def test_property_models_with_different_probe_codes_never_share_an_identity(w1, w2, digits_ds):
    a, b = _weights(w1, (64, 2)), _weights(w2, (64, 2))
    x_probe = _flat(digits_ds, probe_rows(len(digits_ds)))
    differ = not np.array_equal((x_probe.astype(np.float32) @ a.astype(np.float32)),
                                (x_probe.astype(np.float32) @ b.astype(np.float32)))

    def torch_model(w):
        lin = nn.Linear(64, 2, bias=False)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w.T.astype(np.float32)))

        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = lin

            def encode(self, x):
                return self.lin(x.reshape(len(x), -1))

        return M()

    kinds = {
        "torch": lambda w: TorchAdapter(torch_model(w)),
        "callable": lambda w: CallableAdapter(lambda x, w=w.astype(np.float32): x.reshape(len(x), -1) @ w),
        "precomputed": lambda w: PrecomputedAdapter(_flat(digits_ds, np.arange(len(digits_ds))) @ w, dataset="digits"),
    }
    for make in kinds.values():
        ia, ib = make(a).identity(digits_ds)[0], make(b).identity(digits_ds)[0]
        if differ:
            assert ia != ib
        if a.tobytes() == b.tobytes():  # equal state; np.array_equal would also call 0.0 and -0.0 weights equal, whose
            assert ia == ib           # states (and so identities) differ by design


@settings(max_examples=15, deadline=None)
@given(seed_a=st.integers(0, 10_000), seed_b=st.integers(0, 10_000))
def test_property_sklearn_fits_on_different_rows_differ(seed_a, seed_b):
    d = load_dataset("digits")
    x = _flat(d, d.split("train"))
    rows_a = np.random.default_rng(seed_a).choice(len(x), 300, replace=False)
    rows_b = np.random.default_rng(seed_b).choice(len(x), 300, replace=False)
    pa, pb = PCA(3).fit(x[rows_a]), PCA(3).fit(x[rows_b])
    fa, fb = SklearnAdapter(pa).fingerprint(), SklearnAdapter(pb).fingerprint()
    if np.array_equal(rows_a, rows_b):
        assert fa == fb
    if not (np.array_equal(pa.components_, pb.components_) and np.array_equal(pa.mean_, pb.mean_)):
        assert fa != fb


# ------------------------------------------------------------------------------------------ datasets
def _ds(**kw) -> Dataset:
    rng = np.random.default_rng(0)
    base = dict(name="d", x=rng.random((20, 3)).astype(np.float32), obs_shape=(3,), labels=np.arange(20) % 2,
                splits={"train": np.arange(15), "test": np.arange(15, 20)})
    base.update(kw)
    return Dataset(**base)


def test_datasets_differing_in_any_array_or_split_differ():
    ref = _ds().fingerprint
    x2 = _ds().x.copy()
    x2[3, 1] += 1e-6
    variants = {
        "x": _ds(x=x2),
        "labels": _ds(labels=(np.arange(20) + 1) % 2),
        "sensitive": _ds(sensitive=np.arange(20) % 3),
        "domain": _ds(domain=np.zeros(20, dtype=int)),
        "is_anomaly": _ds(is_anomaly=np.zeros(20, dtype=int)),
        "split rows": _ds(splits={"train": np.arange(14), "test": np.arange(14, 20)}),
        "extra split": _ds(splits={"train": np.arange(15), "test": np.arange(15, 20), "member": np.arange(5)}),
        "split name": _ds(splits={"train": np.arange(15), "holdout": np.arange(15, 20)}),
        "obs_shape": _ds(x=_ds().x.reshape(20, 3, 1), obs_shape=(3, 1)),
    }
    fps = {k: v.fingerprint for k, v in variants.items()}
    assert ref not in fps.values()
    assert len(set(fps.values())) == len(fps)
    assert _ds().fingerprint == ref


def test_npz_files_differing_only_in_their_splits_differ(tmp_path):
    # the reported defect: three files differing only in `split` got one fingerprint, so an audit with
    # member/non-member splits was served the results of an audit without them
    x = np.random.default_rng(0).random((40, 4)).astype(np.float32)
    split = np.array(["train"] * 30 + ["test"] * 10)
    np.savez(tmp_path / "a.npz", x=x, split=split)
    np.savez(tmp_path / "b.npz", x=x, split=np.array(["train"] * 28 + ["test"] * 12))
    np.savez(tmp_path / "c.npz", x=x, split=split, split_member=np.arange(10), split_non_member=np.arange(30, 40))
    fps = {p: load_npz(tmp_path / f"{p}.npz").fingerprint for p in "abc"}
    assert len(set(fps.values())) == 3


def test_probe_rows_are_fixed():
    assert np.array_equal(probe_rows(1000), probe_rows(1000))
    assert len(probe_rows(1000)) == 16 and np.all(np.diff(probe_rows(1000)) > 0)
    assert np.array_equal(probe_rows(5), np.arange(5))


def test_state_digest_handles_cycles_and_ufuncs():
    a: list = [1]
    a.append(a)
    assert state_digest(a) == state_digest(a)
    assert state_digest(lambda x: np.sin(x)) != state_digest(lambda x: np.cos(x))
    assert state_digest(np.sin) != state_digest(np.cos)


# ------------------------------------------------------------------------------------------ the store's scheme
def test_rows_of_the_old_identity_scheme_are_never_served_and_reports_flag_them(tmp_path, tiny_ae):
    db = tmp_path / "old.db"
    con = sqlite3.connect(db)  # a store as schema 1 wrote it: no model_id, no key_scheme
    con.executescript("""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
        CREATE TABLE results (model_fp TEXT NOT NULL, task TEXT NOT NULL, task_version INTEGER NOT NULL, params_hash TEXT NOT NULL,
            split_fp TEXT NOT NULL, seed INTEGER NOT NULL, metric TEXT NOT NULL, model TEXT, family TEXT, dataset TEXT, dataset_fp TEXT,
            split TEXT, value REAL, ci_low REAL, ci_high REAL, ci_method TEXT, stderr REAL, n INTEGER, direction TEXT, is_primary INTEGER,
            status TEXT NOT NULL, message TEXT, seconds REAL, params TEXT, run_id TEXT, created REAL,
            PRIMARY KEY (model_fp, task, task_version, params_hash, split_fp, seed, metric));
        INSERT INTO meta VALUES ('schema_version', '1');
    """)
    con.execute("INSERT INTO results (model_fp, task, task_version, params_hash, split_fp, seed, metric, model, status, value, "
                "direction, is_primary, dataset) VALUES ('m', 't', 1, 'p', 's', 0, 'mse', 'old-model', 'ok', 0.5, 'lower', 1, 'digits')")
    con.commit()
    con.close()
    store = ResultStore(db)  # migrated in place
    key = {"model_fp": "m", "task": "t", "task_version": 1, "params_hash": "p", "split_fp": "s", "seed": 0}
    assert store.job_status(key) is None and store.job_rows(key) == []  # never served to a lookup
    assert [r["key_scheme"] for r in store.rows()] == [1]
    from latentbench.report.data import ReportData

    only_old = ReportData(store)
    assert len(only_old.rows) == 1 and "identity scheme 1" in only_old.stale_note
    latentbench.evaluate(tiny_ae(), tasks="reconstruction/digits", store=store, device="cpu", name="new", n_bootstrap=20)
    mixed = ReportData(store)
    assert {r["model"] for r in mixed.rows} == {"new"} and {r["key_scheme"] for r in mixed.rows} == {IDENTITY_SCHEME}
    assert "1 stored rows keyed under an older identity scheme are not shown" in mixed.stale_note
    assert set(JOB_KEY) <= set(mixed.rows[0])


def test_a_model_on_two_datasets_is_one_model_with_two_keys(tmp_path, tiny_vae):
    res = latentbench.evaluate(tiny_vae(), tasks=["collapse/digits", "collapse/digits-binary"], store=str(tmp_path / "r.db"),
                               device="cpu", name="v")
    by_task = {r["task"]: r for r in res if r["is_primary"]}
    a, b = by_task["collapse/digits"], by_task["collapse/digits-binary"]
    assert a["model_id"] == b["model_id"] and a["model_fp"] != b["model_fp"]
    from latentbench.report.leaderboard import Leaderboard

    board = Leaderboard.from_rows(res.rows)
    assert board.models == ["v"]  # one column, not "v [id]" twice
