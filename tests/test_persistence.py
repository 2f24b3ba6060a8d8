"""Saving and loading with sklstm.persistence: exact round trips, no code run."""

import io
import json
import os
import pickle
import stat
import warnings
import zipfile

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.feature_selection import VarianceThreshold
from sklearn.model_selection import KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, StandardScaler
from skopt.space import Categorical, Real

from sklstm import (
    BayesSearchCV, GeneticSearchCV, LSTMClassifier, LSTMForecaster, LSTMRegressor,
)
from sklstm.persistence import (
    FORMAT_VERSION, FormatError, UntrustedTypeError, allowed_classes, load, save,
)
from sklstm.preprocessing import (
    PerTimestepTransformer, SequencePadder, SequenceScaler, TextToSequences,
)

TINY = dict(hidden_size=4, conv_filters=2, max_epochs=2, batch_size=8, random_state=0)


def make_3d(n=20, t=6, f=2, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, t, f)).astype(np.float32)
    y = np.where(X[:, :, 0].mean(axis=1) > 0, "up", "down")
    return X, y


def make_ragged(n=16, f=2, seed=0):
    rng = np.random.RandomState(seed)
    X = [rng.normal(size=(rng.randint(3, 9), f)) for _ in range(n)]
    y = np.array([int(x[:, 0].mean() > 0) for x in X])
    return X, y


def roundtrip(obj, tmp_path, **kwargs):
    path = tmp_path / "model.sklstm"
    save(obj, path, trusted=kwargs.get("trusted", ()))
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        assert names[0] == "model.json"
        for name in names[1:]:
            arr = np.load(io.BytesIO(archive.read(name)), allow_pickle=False)
            assert arr.dtype != object
    torch_state, numpy_state = torch.get_rng_state(), np.random.get_state()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a clean load says nothing
        loaded = load(path, **kwargs)
    # and leaves the global random generators as they were
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert all(np.array_equal(a, b) for a, b in zip(np.random.get_state(), numpy_state))
    return loaded


def document(path):
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("model.json"))


def rewrite(path, doc, extra=()):
    """Write ``doc`` as the document of a new file at ``path`` (plus parts)."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("model.json", json.dumps(doc))
        for name, data in extra:
            archive.writestr(name, data)


def assert_same_fit(a, b):
    for name in ("n_features_in_", "patch_size_", "loss_curve_", "n_iter_",
                 "_input_kind", "n_tokens_", "n_outputs_", "validation_scores_"):
        assert (name in vars(a)) == (name in vars(b)), name
        if name in vars(a):
            assert getattr(a, name) == getattr(b, name), name
    if hasattr(a, "classes_"):
        np.testing.assert_array_equal(a.classes_, b.classes_)
        assert a.classes_.dtype == b.classes_.dtype
    assert torch.equal(a._torch_rng_state, b._torch_rng_state)
    assert a.get_params() == b.get_params() or a.device != b.device
    for (ka, va), (kb, vb) in zip(a.net_.module_.state_dict().items(),
                                  b.net_.module_.state_dict().items()):
        assert ka == kb and torch.equal(va.cpu(), vb.cpu())


# ---------------------------------------------------------------- estimators
ARCHITECTURES = [
    dict(),
    dict(cell="gru", bidirectional=True, num_layers=2, dropout=0.1, pooling="mean",
         patch_size=2),
    dict(pooling="max", conv_filters=0, class_weight="balanced"),
    dict(pooling="last", class_weight={"down": 2.0, "up": 1.0}, lr_schedule="plateau"),
    dict(early_stopping=True, validation_fraction=0.25, lr_schedule="step"),
    dict(optimizer=torch.optim.RMSprop, weight_decay=1e-3, lr_schedule=None),
]


@pytest.mark.parametrize("params", ARCHITECTURES, ids=range(len(ARCHITECTURES)))
def test_classifier_round_trip_predicts_exactly(params, tmp_path):
    X, y = make_3d()
    clf = LSTMClassifier(**{**TINY, **params}).fit(X, y)
    loaded = roundtrip(clf, tmp_path)
    assert type(loaded) is LSTMClassifier
    assert_same_fit(clf, loaded)
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    assert loaded.predict(X).dtype == clf.predict(X).dtype
    assert loaded.score(X, y) == clf.score(X, y)


def test_classifier_2d_int_labels_and_ragged_fit(tmp_path):
    rng = np.random.RandomState(1)
    X2 = rng.normal(size=(20, 7)).astype(np.float32)
    y2 = (X2.mean(axis=1) > 0).astype(np.int64) * 5
    clf = LSTMClassifier(**TINY).fit(X2, y2)
    loaded = roundtrip(clf, tmp_path)
    np.testing.assert_array_equal(loaded.predict_proba(X2), clf.predict_proba(X2))
    assert loaded.classes_.dtype == np.int64
    with pytest.raises(ValueError, match="features"):
        loaded.predict(X2[:, :5])  # the fitted layout is kept

    Xr, yr = make_ragged()
    clf = LSTMClassifier(**TINY).fit(Xr, yr)
    loaded = roundtrip(clf, tmp_path)
    assert loaded._input_kind == "sequences"
    np.testing.assert_array_equal(loaded.predict_proba(Xr), clf.predict_proba(Xr))


def test_classifier_object_labels_stay_objects(tmp_path):
    X, y = make_3d()
    labels = y.astype(object)
    clf = LSTMClassifier(**TINY).fit(X, labels)
    assert clf.classes_.dtype == object
    loaded = roundtrip(clf, tmp_path)
    assert loaded.classes_.dtype == object
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))


def test_regressor_round_trip_one_and_several_outputs(tmp_path):
    X, _ = make_3d()
    y1 = X[:, -1, 0].astype(np.float64)
    reg = LSTMRegressor(**TINY).fit(X, y1)
    loaded = roundtrip(reg, tmp_path)
    assert_same_fit(reg, loaded)
    np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))
    assert loaded.predict(X).shape == (len(X),)

    y2 = np.stack([y1, -y1], axis=1)
    reg = LSTMRegressor(**{**TINY, "cell": "gru", "pooling": "attention"}).fit(X, y2)
    loaded = roundtrip(reg, tmp_path)
    assert loaded.predict(X).shape == (len(X), 2)
    np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))


def test_regressor_fitted_on_a_dataframe_keeps_feature_names(tmp_path):
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(2)
    X = pd.DataFrame(rng.normal(size=(16, 5)), columns=[f"t{i}" for i in range(5)])
    y = X.mean(axis=1).to_numpy()
    reg = LSTMRegressor(**TINY).fit(X, y)
    loaded = roundtrip(reg, tmp_path)
    np.testing.assert_array_equal(loaded.feature_names_in_, reg.feature_names_in_)
    np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))
    with pytest.raises(ValueError, match="feature names"):
        loaded.predict(X.rename(columns={"t0": "other"}))


def test_token_input_pipeline_round_trip(tmp_path):
    texts = ["good film", "bad film", "a good one", "awful bad", "good good",
             "bad", "fine good film", "not bad at all", "bad plot", "good cast"] * 2
    y = np.array([1, 0, 1, 0, 1, 0, 1, 0, 0, 1] * 2)
    pipe = make_pipeline(TextToSequences(max_len=4),
                         LSTMClassifier(embedding_dim=3, **TINY)).fit(texts, y)
    loaded = roundtrip(pipe, tmp_path)
    assert loaded[0].vocabulary_ == pipe[0].vocabulary_
    assert loaded[-1].n_tokens_ == pipe[-1].n_tokens_
    new = ["unseen words here", "good"]
    np.testing.assert_array_equal(loaded.predict_proba(texts + new),
                                  pipe.predict_proba(texts + new))


def test_sequence_pipeline_round_trip(tmp_path):
    X, y = make_ragged()
    pipe = make_pipeline(
        SequenceScaler(), PerTimestepTransformer(StandardScaler()),
        PerTimestepTransformer(MinMaxScaler()), SequencePadder(max_len=8),
        LSTMClassifier(**TINY),
    ).fit(X, y)
    loaded = roundtrip(pipe, tmp_path)
    assert [name for name, _ in loaded.steps] == [name for name, _ in pipe.steps]
    np.testing.assert_array_equal(loaded.predict_proba(X), pipe.predict_proba(X))
    np.testing.assert_array_equal(loaded[:-1].transform(X), pipe[:-1].transform(X))


def test_scikit_learn_scaler_pipeline_round_trip(tmp_path):
    rng = np.random.RandomState(3)
    X = rng.normal(size=(16, 6)) * 10 + 3
    y = X.mean(axis=1)
    pipe = make_pipeline(StandardScaler(), LSTMRegressor(**TINY)).fit(X, y)
    loaded = roundtrip(pipe, tmp_path)
    np.testing.assert_array_equal(loaded[0].mean_, pipe[0].mean_)
    np.testing.assert_array_equal(loaded.predict(X), pipe.predict(X))
    # an unfitted pipeline round trips too, and fits as the original does
    fresh = roundtrip(clone(pipe), tmp_path)
    np.testing.assert_array_equal(fresh.fit(X, y).predict(X), pipe.predict(X))


def test_forecaster_round_trip(tmp_path):
    series = np.sin(np.arange(40) / 3.0) + np.arange(40) / 20.0
    fc = LSTMForecaster(lookback=6, horizon=3, hidden_size=4, max_epochs=2,
                        conv_filters=0, random_state=0).fit(series)
    loaded = roundtrip(fc, tmp_path)
    np.testing.assert_array_equal(loaded.predict(), fc.predict())
    np.testing.assert_array_equal(loaded.predict(horizon=5), fc.predict(horizon=5))
    assert loaded.cutoff_ == fc.cutoff_


# -------------------------------------------------------------- continuation
@pytest.mark.parametrize("schedule, extra", [
    ("cosine", {}), ("plateau", {}), ("step", {}), ("exponential", {}), (None, {}),
    ("plateau", {"early_stopping": True, "validation_fraction": 0.25, "dropout": 0.2,
                 "num_layers": 2}),
])
def test_partial_fit_after_load_continues_exactly(schedule, extra, tmp_path):
    X, y = make_3d()
    clf = LSTMClassifier(**{**TINY, "lr_schedule": schedule,
                            "lr_schedule_epochs": 6, **extra}).fit(X, y)
    loaded = roundtrip(clf, tmp_path)
    for _ in range(2):
        clf.partial_fit(X, y)
        loaded.partial_fit(X, y)
    assert loaded.loss_curve_ == clf.loss_curve_
    assert loaded.n_iter_ == clf.n_iter_ == 4
    assert ([g["lr"] for g in loaded.net_.optimizer_.param_groups]
            == [g["lr"] for g in clf.net_.optimizer_.param_groups])
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_warm_start_after_load_continues_exactly(tmp_path):
    X, _ = make_3d()
    y = X[:, 0, 0].astype(np.float64)
    reg = LSTMRegressor(**{**TINY, "warm_start": True, "lr_schedule": "step",
                           "early_stopping": True, "validation_fraction": 0.2}).fit(X, y)
    loaded = roundtrip(reg, tmp_path)
    reg.fit(X, y)
    loaded.fit(X, y)
    assert loaded.loss_curve_ == reg.loss_curve_
    assert loaded.validation_scores_ == reg.validation_scores_
    np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))


# ------------------------------------------------------------------ searches
def _check_search(search, loaded, X, y):
    assert loaded.best_params_ == search.best_params_
    assert loaded.best_score_ == search.best_score_
    assert loaded.best_index_ == search.best_index_
    assert set(loaded.cv_results_) == set(search.cv_results_)
    for key, value in search.cv_results_.items():
        got = loaded.cv_results_[key]
        if isinstance(value, np.ma.MaskedArray):
            assert isinstance(got, np.ma.MaskedArray)
            np.testing.assert_array_equal(np.ma.getmaskarray(got),
                                          np.ma.getmaskarray(value))
            assert got.dtype == value.dtype
        if isinstance(value, np.ndarray):
            assert got.dtype == value.dtype, key
            np.testing.assert_array_equal(got, value)
        else:
            assert got == value, key
    np.testing.assert_array_equal(loaded.predict(X), search.predict(X))
    np.testing.assert_array_equal(loaded.predict_proba(X), search.predict_proba(X))
    assert loaded.score(X, y) == search.score(X, y)
    np.testing.assert_array_equal(loaded.classes_, search.classes_)
    assert loaded.n_features_in_ == search.n_features_in_


def test_bayes_search_round_trip(tmp_path):
    X, y = make_3d()
    est = LSTMClassifier(hidden_size=4, conv_filters=0, max_epochs=1, random_state=0)
    search = BayesSearchCV(
        est, {"hidden_size": [3, 4], "lr": Real(1e-3, 1e-2, prior="log-uniform")},
        n_iter=2, cv=KFold(2), scoring="accuracy", random_state=0,
    ).fit(X, y)
    loaded = roundtrip(search, tmp_path)
    _check_search(search, loaded, X, y)
    assert isinstance(loaded.cv, KFold) and loaded.cv.n_splits == 2
    assert loaded.search_spaces["lr"] == search.search_spaces["lr"]
    assert not hasattr(loaded, "optimizers_")  # documented: not stored


def test_genetic_search_of_a_pipeline_round_trip(tmp_path):
    X, y = make_3d()
    pipe = make_pipeline(SequenceScaler(), LSTMClassifier(hidden_size=4, conv_filters=0,
                                                          max_epochs=1, random_state=0))
    search = GeneticSearchCV(
        pipe, {"lstmclassifier__cell": Categorical(["lstm", "gru"]),
               "lstmclassifier__hidden_size": (3, 5)},
        population_size=2, n_generations=1, cv=2, random_state=0,
    ).fit(X, y)
    loaded = roundtrip(search, tmp_path)
    _check_search(search, loaded, X, y)
    assert loaded.hall_of_fame_ == search.hall_of_fame_


def test_search_with_a_callable_scorer_is_refused_at_save(tmp_path):
    X, y = make_3d()
    search = BayesSearchCV(LSTMClassifier(**TINY), {"hidden_size": [3, 4]}, n_iter=1,
                           cv=2, scoring=lambda est, X, y: 0.0)
    with pytest.raises(UntrustedTypeError, match="callable"):
        save(search, tmp_path / "s.sklstm")
    assert not (tmp_path / "s.sklstm").exists()


# -------------------------------------------------------------------- device
def test_gpu_model_loads_on_cpu(tmp_path):
    if torch.cuda.is_available():  # pragma: no cover - GPU machines
        pytest.skip("needs a machine without CUDA")
    X, y = make_3d()
    clf = LSTMClassifier(**TINY).fit(X, y)
    expected = clf.predict_proba(X)
    clf.device = "cuda"  # as a model trained on a GPU
    path = tmp_path / "gpu.sklstm"
    save(clf, path)
    assert document(path)["object"]["params"]["device"] == "cuda"

    with pytest.warns(UserWarning, match="loaded on the CPU"):
        auto = load(path)
    assert auto.device == "cpu"
    assert next(auto.net_.module_.parameters()).device.type == "cpu"
    np.testing.assert_array_equal(auto.predict_proba(X), expected)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        explicit = load(path, device="cpu")
    assert explicit.device == "cpu"
    np.testing.assert_array_equal(explicit.predict_proba(X), expected)
    explicit.partial_fit(X, y)  # trains on the CPU

    with pytest.raises(ValueError, match="CUDA"):
        load(path, device="cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_model_round_trip_on_gpu_and_cpu(tmp_path):  # pragma: no cover - GPU only
    X, y = make_3d()
    clf = LSTMClassifier(device="cuda", **TINY).fit(X, y)
    on_gpu = roundtrip(clf, tmp_path)
    assert next(on_gpu.net_.module_.parameters()).is_cuda
    np.testing.assert_array_equal(on_gpu.predict_proba(X), clf.predict_proba(X))
    on_cpu = roundtrip(clf, tmp_path, device="cpu")
    np.testing.assert_allclose(on_cpu.predict_proba(X), clf.predict_proba(X), atol=1e-5)
    on_gpu.partial_fit(X, y)


# ---------------------------------------------------------- what is refused
def test_function_transformer_is_refused(tmp_path):
    X, y = make_3d()
    pipe = make_pipeline(FunctionTransformer(np.tanh), LSTMClassifier(**TINY))
    with pytest.raises(UntrustedTypeError, match="FunctionTransformer") as info:
        save(pipe, tmp_path / "p.sklstm")
    assert "trusted=" in str(info.value)
    # trusting the class is not enough: its function is never stored
    with pytest.raises(UntrustedTypeError, match="callable"):
        save(pipe, tmp_path / "p.sklstm", trusted=[FunctionTransformer])
    assert not (tmp_path / "p.sklstm").exists()
    assert not any("FunctionTransformer" in name for name in allowed_classes())


def test_unknown_class_needs_trusted(tmp_path):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(12, 5))
    y = X.mean(axis=1)
    pipe = make_pipeline(VarianceThreshold(), LSTMRegressor(**TINY)).fit(X, y)
    name = "sklearn.feature_selection._variance_threshold.VarianceThreshold"
    with pytest.raises(UntrustedTypeError, match="VarianceThreshold"):
        save(pipe, tmp_path / "v.sklstm")
    save(pipe, tmp_path / "v.sklstm", trusted=["sklearn.feature_selection.VarianceThreshold"])
    with pytest.raises(UntrustedTypeError, match=name):
        load(tmp_path / "v.sklstm")
    loaded = load(tmp_path / "v.sklstm", trusted=[VarianceThreshold])
    np.testing.assert_array_equal(loaded.predict(X), pipe.predict(X))


class Marker:
    """Creates a file when unpickled: the payload a pickle could carry."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_pickle_payload_does_not_run(tmp_path):
    marker = tmp_path / "marker"
    payload = pickle.dumps(Marker(marker))
    # the payload works: unpickling it creates the marker (then remove it)
    pickle.loads(payload).close()
    assert marker.exists()
    marker.unlink()

    # a pickle given as the model file
    (tmp_path / "model.pkl").write_bytes(payload)
    with pytest.raises(FormatError, match="pickle"):
        load(tmp_path / "model.pkl")

    # a pickled object array inside a model file, where an array belongs
    X, y = make_3d()
    clf = LSTMClassifier(**TINY).fit(X, y)
    save(clf, tmp_path / "ok.sklstm")
    doc = document(tmp_path / "ok.sklstm")
    buffer = io.BytesIO()
    np.save(buffer, np.array([Marker(marker)], dtype=object), allow_pickle=True)
    with zipfile.ZipFile(tmp_path / "ok.sklstm") as archive:
        parts = [(n, archive.read(n)) for n in archive.namelist() if n != "model.json"]
    doc["object"]["state"]["classes_"] = {"$array": "arrays/999.npy"}
    rewrite(tmp_path / "evil.sklstm", doc, parts + [("arrays/999.npy", buffer.getvalue())])
    with pytest.raises(FormatError, match="not a plain .npy array"):
        load(tmp_path / "evil.sklstm")
    assert not marker.exists()


@pytest.mark.parametrize("tag, name", [
    ("$estimator", "builtins.eval"),
    ("$estimator", "posix.system"),
    ("$object", "os.system"),
    ("$type", "builtins.exec"),
    ("$estimator", "sklearn.preprocessing._function_transformer.FunctionTransformer"),
    ("$dimension", "subprocess.Popen"),
])
def test_file_naming_a_dangerous_callable_is_refused(tag, name, tmp_path):
    marker = tmp_path / "marker"
    value = {tag: name, "params": {"func": None}, "state": {}, "attrs": {},
             "args": {"$dict": {"args": ["touch", str(marker)]}}}
    doc = {"format": "sklstm-model", "format_version": FORMAT_VERSION, "versions": {},
           "object": {"$estimator": "sklearn.pipeline.Pipeline",
                      "params": {"steps": [{"$tuple": ["bad", value]}]}, "state": {}}}
    rewrite(tmp_path / "bad.sklstm", doc)
    with pytest.raises(UntrustedTypeError, match=name.replace(".", r"\.")):
        load(tmp_path / "bad.sklstm")
    assert not marker.exists()


# -------------------------------------------------------------- damaged files
def test_truncated_and_damaged_files_give_clear_errors(tmp_path):
    X, y = make_3d()
    path = tmp_path / "m.sklstm"
    save(LSTMClassifier(**TINY).fit(X, y), path)
    data = path.read_bytes()

    (tmp_path / "half").write_bytes(data[: len(data) // 2])
    with pytest.raises(FormatError, match="truncated or damaged"):
        load(tmp_path / "half")

    # flip bytes in the middle of the stored data: a CRC mismatch
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("model.json")
    start = info.header_offset + 30 + len(info.filename) + 10
    flipped = bytearray(data)
    for i in range(start, start + 8):
        flipped[i] ^= 0xFF
    (tmp_path / "flipped").write_bytes(bytes(flipped))
    with pytest.raises(FormatError):
        load(tmp_path / "flipped")

    (tmp_path / "text").write_text("hello")
    with pytest.raises(FormatError, match="not an sklstm model file"):
        load(tmp_path / "text")

    with zipfile.ZipFile(tmp_path / "other.zip", "w") as archive:
        archive.writestr("readme.txt", "hi")
    with pytest.raises(FormatError, match="no model.json"):
        load(tmp_path / "other.zip")

    doc = document(path)
    doc["object"]["state"]["classes_"] = {"$array": "arrays/999.npy"}
    rewrite(tmp_path / "missing", doc)
    with pytest.raises(FormatError, match="lacks its part"):
        load(tmp_path / "missing")

    rewrite(tmp_path / "tag", {**doc, "object": {"$unknown": 1}})
    with pytest.raises(FormatError, match="unknown tag"):
        load(tmp_path / "tag")


def test_future_format_version_is_refused(tmp_path):
    path = tmp_path / "s.sklstm"
    save(SequenceScaler(), path)
    doc = document(path)
    doc["format_version"] = FORMAT_VERSION + 1
    doc["versions"]["sklstm"] = "99.0"
    rewrite(path, doc)
    with pytest.raises(FormatError, match=f"format version {FORMAT_VERSION + 1}.*Upgrade"):
        load(path)


def test_other_scikit_learn_version_warns(tmp_path):
    path = tmp_path / "s.sklstm"
    X = np.arange(12.0).reshape(2, 3, 2)
    save(SequenceScaler().fit(X), path)
    doc = document(path)
    doc["versions"]["scikit-learn"] = "0.1"
    with zipfile.ZipFile(path) as archive:
        parts = [(n, archive.read(n)) for n in archive.namelist() if n != "model.json"]
    rewrite(path, doc, parts)
    with pytest.warns(UserWarning, match="scikit-learn 0.1"):
        loaded = load(path)
    np.testing.assert_array_equal(loaded.transform(X), SequenceScaler().fit(X).transform(X))


def test_file_objects_and_plain_values(tmp_path):
    buffer = io.BytesIO()
    est = LSTMClassifier(class_weight={0: 1.5, 1: 1.0}, random_state=np.random.RandomState(3),
                         optimizer=torch.optim.AdamW)
    save(est, buffer)
    buffer.seek(0)
    loaded = load(buffer)
    assert loaded.class_weight == {0: 1.5, 1: 1.0}
    assert loaded.optimizer is torch.optim.AdamW
    assert loaded.random_state.randint(1000) == np.random.RandomState(3).randint(1000)


def test_attributes_may_not_hide_methods(tmp_path):
    path = tmp_path / "s.sklstm"
    X = np.arange(12.0).reshape(2, 3, 2)
    save(SequenceScaler().fit(X), path)
    doc = document(path)
    with zipfile.ZipFile(path) as archive:
        parts = [(n, archive.read(n)) for n in archive.namelist() if n != "model.json"]
    # a class where a method belongs: calling "transform" would build an object
    doc["object"]["state"]["transform"] = {"$type": "sklstm._estimators.LSTMClassifier"}
    rewrite(path, doc, parts)
    with pytest.raises(FormatError, match="'transform' would hide"):
        load(path)


def test_deeply_nested_document_is_refused(tmp_path):
    path = tmp_path / "deep.sklstm"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("model.json", '{"format": "sklstm-model", "format_version": 1, '
                         '"object": ' + "[" * 100000 + "]" * 100000 + "}")
    with pytest.raises(FormatError):
        load(path)


# ------------------------------------------------------- values kept exactly
def test_plain_values_keep_their_type_shape_and_bits(tmp_path):
    from pathlib import Path

    fortran = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    np.save(tmp_path / "m.npy", np.arange(4))
    values = {
        "zero_d": np.array(2.5), "str_scalar": np.str_("ab"),
        "bytes_scalar": np.bytes_(b"x"), "long": np.longdouble(1) / 3,
        "c128": np.complex128(1 + 2j), "when": np.datetime64("2020-01-02T03:04", "m"),
        "py_complex": 1 - 0.5j, "raw": b"\x00\xff", "path": Path("runs") / "a",
        "fortran": fortran, "memmap": np.load(tmp_path / "m.npy", mmap_mode="r"),
        "i8": np.int8(-3), "u64": np.uint64(2**64 - 1), "f16": np.float16(0.1),
        "flag": np.bool_(True), "nan": float("nan"),
        "masked": np.ma.MaskedArray([1.0, 2.0], mask=[False, True], fill_value=-7.0),
        1: "int key", (2, "a"): frozenset({3}),
    }
    est = LSTMRegressor(random_state=0)
    est.extra_ = values  # any attribute of plain data is kept
    got = roundtrip(est, tmp_path).extra_
    assert set(got) == set(values)
    for key, value in values.items():
        if isinstance(value, np.ma.MaskedArray):
            assert got[key].fill_value == -7.0
            np.testing.assert_array_equal(got[key].mask, value.mask)
        elif isinstance(value, np.ndarray):
            assert got[key].shape == value.shape and got[key].dtype == value.dtype
            np.testing.assert_array_equal(got[key], value)
        elif isinstance(value, float) and np.isnan(value):
            assert np.isnan(got[key])
        else:
            assert type(got[key]) is type(value) or isinstance(value, Path), key
            assert got[key] == value, key
    assert got["fortran"].flags.f_contiguous
    assert type(got["memmap"]) is np.ndarray


def test_values_that_cannot_be_stored_are_refused_clearly(tmp_path):
    from collections import OrderedDict

    est = LSTMRegressor()
    est.extra_ = OrderedDict(a=1)
    with pytest.raises(UntrustedTypeError, match="C type") as info:
        save(est, tmp_path / "a.sklstm")
    # trusting it would lose its items: it is refused even then
    assert "trusted=" not in str(info.value)
    with pytest.raises(UntrustedTypeError, match="C type"):
        save(est, tmp_path / "a.sklstm", trusted=[OrderedDict])
    est.extra_ = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(UntrustedTypeError, match="class only"):
        save(est, tmp_path / "a.sklstm")
    assert not (tmp_path / "a.sklstm").exists()
    assert issubclass(UntrustedTypeError, TypeError)
    assert issubclass(FormatError, ValueError)


# ----------------------------------------------- pandas, routing, logbooks
def test_forecaster_fitted_on_pandas_series_round_trip(tmp_path):
    pd = pytest.importorskip("pandas")
    values = np.sin(np.arange(40) / 3.0) + np.arange(40) / 20.0
    cases = [
        pd.Series(values, index=pd.date_range("2020-03-01", periods=40, freq="D",
                                              tz="Europe/Berlin", name="day")),
        pd.Series(values, index=pd.date_range("2021-01-01", periods=40, freq="MS")),
        pd.Series(values),  # a RangeIndex
        pd.Series(values, index=pd.Index(np.arange(40) * 2.0)),
        # periods: the index and a Period cutoff
        pd.Series(values, index=pd.period_range("2001Q1", periods=40, freq="Q",
                                                name="quarter")),
        pd.Series(values, index=pd.period_range("1990", periods=40, freq="Y")),
    ]
    for series in cases:
        fc = LSTMForecaster(lookback=6, horizon=3, hidden_size=4, max_epochs=1,
                            conv_filters=0, random_state=0).fit(series)
        loaded = roundtrip(fc, tmp_path)
        index = loaded._indexes[0]
        assert type(index) is type(series.index)
        assert index.equals(series.index) and index.dtype == series.index.dtype
        assert index.name == series.index.name
        assert getattr(index, "freq", None) == getattr(series.index, "freq", None)
        assert loaded.cutoff_ == fc.cutoff_ and type(loaded.cutoff_) is type(fc.cutoff_)
        expected, got = fc.predict(), loaded.predict()
        if isinstance(expected, pd.Series):
            pd.testing.assert_series_equal(got, expected)
        else:
            np.testing.assert_array_equal(got, expected)


def test_bad_periods_are_refused(tmp_path):
    pytest.importorskip("pandas")
    from sklstm.persistence import _Reader

    reader = _Reader.__new__(_Reader)
    for bad in ({"$pd_period": 3, "freq": "no such"}, {"$pd_period": 3, "freq": 7},
                {"$pd_period": 2**70, "freq": "M"}, {"$pd_period": True, "freq": "M"}):
        with pytest.raises(FormatError, match="period"):
            _Reader._pd_period(reader, bad, "x")


def test_other_pandas_objects_are_refused_clearly(tmp_path):
    pd = pytest.importorskip("pandas")
    est = LSTMRegressor()
    est.extra_ = pd.DataFrame({"a": [1]})
    with pytest.raises(UntrustedTypeError, match="pandas DataFrame.*NumPy array"):
        save(est, tmp_path / "p.sklstm")


def test_metadata_requests_round_trip(tmp_path):
    import sklearn

    X, y = make_3d()
    weights = np.linspace(0.5, 1.5, len(y))
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(
            SequenceScaler(),
            LSTMClassifier(**TINY).set_fit_request(sample_weight=True)
            .set_score_request(sample_weight="w"),
        ).fit(X, y, sample_weight=weights)
        loaded = roundtrip(pipe, tmp_path)
        assert (loaded.get_metadata_routing().consumes("fit", ["sample_weight"])
                == {"sample_weight"})
        assert (loaded[-1].get_metadata_routing().score.requests
                == pipe[-1].get_metadata_routing().score.requests)
        np.testing.assert_array_equal(loaded.predict_proba(X), pipe.predict_proba(X))
        # and it trains again as the original, with the routed weights
        loaded.fit(X, y, sample_weight=weights)
        np.testing.assert_array_equal(loaded.predict_proba(X), pipe.predict_proba(X))


def test_genetic_search_keeps_its_logbook(tmp_path):
    X, y = make_3d()
    search = GeneticSearchCV(
        LSTMClassifier(hidden_size=4, conv_filters=0, max_epochs=1, random_state=0),
        {"hidden_size": [3, 4]}, population_size=2, n_generations=1, cv=2,
        random_state=0,
    ).fit(X, y)
    loaded = roundtrip(search, tmp_path)
    assert type(loaded.logbook_) is type(search.logbook_)
    assert list(loaded.logbook_) == list(search.logbook_)
    assert loaded.logbook_.header == search.logbook_.header
    assert loaded.logbook_.select("generation") == search.logbook_.select("generation")
    assert str(loaded.logbook_) == str(search.logbook_)


def test_multimetric_search_rebuilds_its_scorers(tmp_path):
    X, y = make_3d()
    search = BayesSearchCV(
        LSTMClassifier(hidden_size=4, conv_filters=0, max_epochs=1, random_state=0),
        {"hidden_size": [3, 4]}, n_iter=2, cv=2, scoring=["accuracy", "f1_macro"],
        refit="f1_macro", random_state=0,
    ).fit(X, y)
    loaded = roundtrip(search, tmp_path)
    assert set(loaded.scorer_) == {"accuracy", "f1_macro"}
    assert loaded.score(X, y) == search.score(X, y)
    assert "scorer_" not in document(tmp_path / "model.sklstm")["object"]["state"]


# ------------------------------------------------------- saving to a path
def test_save_replaces_a_file_whole_and_follows_links(tmp_path, monkeypatch):
    X = np.arange(12.0).reshape(2, 3, 2)
    path = tmp_path / "s.sklstm"
    save(SequenceScaler(), path)
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", broken)
    with pytest.raises(OSError, match="disk full"):
        save(SequenceScaler().fit(X), path)
    monkeypatch.undo()
    assert path.read_bytes() == before  # the previous model is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.sklstm"]  # no temp

    # a new file gets the permissions of any new file; a replaced one keeps its own
    umask = os.umask(0)
    os.umask(umask)
    fresh = tmp_path / "fresh.sklstm"
    save(SequenceScaler(), fresh)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask
    fresh.chmod(0o600)
    save(SequenceScaler(), fresh)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
    fresh.unlink()

    link = tmp_path / "link.sklstm"
    link.symlink_to(path)
    save(SequenceScaler().fit(X), link)
    assert link.is_symlink()
    np.testing.assert_array_equal(load(path).transform(X),
                                  SequenceScaler().fit(X).transform(X))


# --------------------------------------------------------- crafted files
def _fitted_parts(tmp_path, est=None):
    X, y = make_3d()
    path = tmp_path / "ok.sklstm"
    save(est if est is not None else LSTMClassifier(**TINY).fit(X, y), path)
    with zipfile.ZipFile(path) as archive:
        parts = [(n, archive.read(n)) for n in archive.namelist() if n != "model.json"]
    return document(path), parts


@pytest.mark.parametrize("tag", ["$object", "$estimator"])
@pytest.mark.parametrize("name", ["torch.optim.adam.Adam", "builtins.int"])
def test_classes_allowed_as_types_are_not_built_as_objects(tag, name, tmp_path):
    doc = {"format": "sklstm-model", "format_version": FORMAT_VERSION, "versions": {},
           "object": {tag: name, "attrs": {}, "params": {}, "state": {}}}
    rewrite(tmp_path / "t.sklstm", doc)
    with pytest.raises(FormatError, match="class only"):
        load(tmp_path / "t.sklstm")


def test_crafted_network_sizes_are_refused_before_allocation(tmp_path):
    doc, parts = _fitted_parts(tmp_path)
    big = json.loads(json.dumps(doc))
    big["object"]["params"]["hidden_size"] = 10**7  # about 10**15 weights
    rewrite(tmp_path / "big.sklstm", big, parts)
    with pytest.raises(FormatError, match="would build a network"):
        load(tmp_path / "big.sklstm")

    wide = json.loads(json.dumps(doc))
    wide["object"]["net"]["output_size"] = 10**12
    rewrite(tmp_path / "wide.sklstm", wide, parts)
    with pytest.raises(FormatError, match="would build a network"):
        load(tmp_path / "wide.sklstm")

    split = json.loads(json.dumps(doc))
    split["object"]["params"]["early_stopping"] = True
    split["object"]["params"]["validation_fraction"] = 1 - 1e-12
    rewrite(tmp_path / "split.sklstm", split, parts)
    with pytest.raises(FormatError, match="too close to 1"):
        load(tmp_path / "split.sklstm")

    wrong = json.loads(json.dumps(doc))
    wrong["object"]["params"]["hidden_size"] = "many"
    rewrite(tmp_path / "wrong.sklstm", wrong, parts)
    with pytest.raises(FormatError, match="hidden_size"):
        load(tmp_path / "wrong.sklstm")


def test_array_references_are_checked(tmp_path):
    doc, parts = _fitted_parts(tmp_path)
    first = doc["object"]["state"]["classes_"]["$array"]
    for ref, message in [("model.json", "not the name of an array part"),
                         ("../arrays/0.npy", "not the name of an array part"),
                         (["arrays/0.npy"], "not the name of an array part"),
                         (first, "referred to twice")]:
        crafted = json.loads(json.dumps(doc))
        crafted["object"]["state"]["extra_"] = {"$array": ref}
        if ref == first:  # the same part where the classes already are
            crafted["object"]["state"]["extra_"] = {"$array": first}
        rewrite(tmp_path / "r.sklstm", crafted, parts)
        with pytest.raises(FormatError, match=message):
            load(tmp_path / "r.sklstm")

    # an .npz archive where a .npy belongs (np.load would open it lazily)
    buffer = io.BytesIO()
    np.savez(buffer, a=np.arange(3))
    crafted = json.loads(json.dumps(doc))
    crafted["object"]["state"]["extra_"] = {"$array": "arrays/999.npy"}
    rewrite(tmp_path / "z.sklstm", crafted, parts + [("arrays/999.npy", buffer.getvalue())])
    with pytest.raises(FormatError, match="not a plain .npy array"):
        load(tmp_path / "z.sklstm")

    # a truncated .npy part
    crafted_parts = [(n, d[:-7] if n == first else d) for n, d in parts]
    rewrite(tmp_path / "t.sklstm", doc, crafted_parts)
    with pytest.raises(FormatError, match=first.replace(".", r"\.")):
        load(tmp_path / "t.sklstm")


def test_crafted_attributes_are_refused(tmp_path):
    doc, parts = _fitted_parts(tmp_path)
    for key, value, message in [
        ("hidden_size", 5, "both as a parameter and as an attribute"),
        ("net_", None, "network stored as an attribute"),
        ("__class__", None, "would hide"),
        ("predict", None, "would hide"),
        ("_criterion", None, "would hide"),
    ]:
        crafted = json.loads(json.dumps(doc))
        crafted["object"]["state"][key] = value
        rewrite(tmp_path / "a.sklstm", crafted, parts)
        with pytest.raises(FormatError, match=message):
            load(tmp_path / "a.sklstm")

    # a trusted-looking plain object of a C type (its state is not attributes)
    crafted = json.loads(json.dumps(doc))
    crafted["object"]["state"]["extra_"] = {"$object": "collections.OrderedDict",
                                            "attrs": {}}
    rewrite(tmp_path / "o.sklstm", crafted, parts)
    with pytest.raises(FormatError, match="C type"):
        load(tmp_path / "o.sklstm", trusted=["collections.OrderedDict"])


def test_untrusted_class_at_load_does_not_invite_trusting_it(tmp_path):
    doc = {"format": "sklstm-model", "format_version": FORMAT_VERSION, "versions": {},
           "object": {"$object": "subprocess.Popen", "attrs": {}}}
    rewrite(tmp_path / "u.sklstm", doc)
    with pytest.raises(UntrustedTypeError, match="subprocess.Popen") as info:
        load(tmp_path / "u.sklstm")
    message = str(info.value)
    assert "u.sklstm" in message and "nothing of it was built" in message
    assert "Do not trust a class only because a file you did not write" in message


def test_other_archives_and_encrypted_parts(tmp_path):
    torch.save({"w": torch.zeros(2)}, tmp_path / "weights.pt")
    with pytest.raises(FormatError, match="torch.save"):
        load(tmp_path / "weights.pt")
    np.savez(tmp_path / "arrays.npz", a=np.arange(3))
    with pytest.raises(FormatError, match="npz"):
        load(tmp_path / "arrays.npz")

    # a password-protected part: zipfile raises RuntimeError, load a FormatError
    path = tmp_path / "s.sklstm"
    save(SequenceScaler(), path)
    data = bytearray(path.read_bytes())
    entry = data.index(b"PK\x01\x02")  # the central directory entry of model.json
    data[entry + 8] |= 1  # "encrypted"
    path.write_bytes(bytes(data))
    with pytest.raises(FormatError, match="encrypted"):
        load(path)


def test_crafted_network_states_are_refused(tmp_path):
    X, y = make_3d()
    doc, parts = _fitted_parts(tmp_path, LSTMClassifier(**{**TINY, "lr_schedule": "step"})
                               .fit(X, y))
    net = doc["object"]["net"]
    assert net["lr_scheduler"] is not None
    for key, value, message in [
        ("get_lr", {"$type": "sklstm._estimators.LSTMClassifier"}, "holds 'type'"),
        ("get_lr", 1, "would hide"),
        ("optimizer", 1, "'optimizer'"),
    ]:
        crafted = json.loads(json.dumps(doc))
        crafted["object"]["net"]["lr_scheduler"]["$dict"][key] = value
        rewrite(tmp_path / "n.sklstm", crafted, parts)
        with pytest.raises(FormatError, match=message):
            load(tmp_path / "n.sklstm")
    crafted = json.loads(json.dumps(doc))
    crafted["object"]["net"]["history"] = [{"$type": "builtins.int"}]
    rewrite(tmp_path / "h.sklstm", crafted, parts)
    with pytest.raises(FormatError, match="holds 'type'"):
        load(tmp_path / "h.sklstm")


def test_time_zones_without_a_name_are_refused(tmp_path):
    pd = pytest.importorskip("pandas")
    import datetime

    fixed = datetime.timezone(datetime.timedelta(hours=1))
    series = pd.Series(np.arange(40.0), index=pd.date_range(
        "2020-01-01", periods=40, freq="h", tz=fixed))
    fc = LSTMForecaster(lookback=6, horizon=3, hidden_size=4, max_epochs=1,
                        conv_filters=0, random_state=0).fit(series)
    with pytest.raises(UntrustedTypeError, match="time zone.*convert to UTC"):
        save(fc, tmp_path / "tz.sklstm")
    fc.cutoff_ = pd.Timestamp("2020-01-02", tz="UTC")  # a named zone is fine
    fc._indexes = [series.index.tz_convert("UTC")]
    loaded = roundtrip(fc, tmp_path)
    assert loaded.cutoff_ == fc.cutoff_ and str(loaded.cutoff_.tz) == "UTC"
    assert loaded._indexes[0].equals(fc._indexes[0])
