"""ONNX export: the exported graph computes what predict / predict_proba do."""

import copy
import json
import subprocess
import sys

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from torch import nn

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from sklstm import LSTMClassifier, LSTMForecaster, LSTMRegressor  # noqa: E402
from sklstm.export import to_onnx  # noqa: E402

ATOL = 1e-5
N_FEATURES = 2
TRAIN_STEPS = 7


def _session(model):
    return ort.InferenceSession(model, providers=["CPUExecutionProvider"])


def _train_data(seed=0, tokens=False):
    rng = np.random.RandomState(seed)
    if tokens:
        X = rng.randint(1, 9, size=(20, TRAIN_STEPS)).astype(np.int64)
        X[::3, -2:] = 0  # some padded rows
        y = (X[:, 0] > 4).astype(int)
        return X, y
    X = rng.normal(size=(20, TRAIN_STEPS, N_FEATURES)).astype(np.float32)
    y = np.where(X[:, :, 0].mean(axis=1) > 0, "up", "down")
    return X, y


def _fit(est_cls, tokens=False, y2d=False, **params):
    X, y = _train_data(tokens=tokens)
    if est_cls is LSTMRegressor:
        y = X[:, :, 0].mean(axis=1) if not tokens else X[:, 0].astype(float)
        if y2d:
            y = np.column_stack([y, -2 * y])
    base = dict(hidden_size=6, max_epochs=1, batch_size=8, random_state=0,
                conv_filters=0, patch_size=1, n_threads=1)
    base.update(params)
    return est_cls(**base).fit(X, y)


def _padded(seqs, fill=np.nan):
    """Sequences padded at the end with ``fill`` (NaN: padding must not leak)."""
    lengths = np.array([len(s) for s in seqs], dtype=np.int64)
    tail = seqs[0].shape[1:]
    dtype = seqs[0].dtype
    out = np.full((len(seqs), int(lengths.max()) + 2, *tail), fill, dtype=dtype)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = s
    return out, lengths


def _expected(est, X):
    if isinstance(est, LSTMClassifier):
        return est.predict_proba(X)
    return est.predict(X)


def _check_outputs(est, outputs, X):
    expected = _expected(est, X)
    got = outputs[0]
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=0, atol=ATOL)
    if isinstance(est, LSTMClassifier):
        index = outputs[1]
        assert index.dtype == np.int64
        np.testing.assert_array_equal(est.classes_[index], est.predict(X))


# every pooling in both directions; cells, depths, patch sizes (with a
# partial last patch: the lengths below are not multiples of them), the
# convolutional branch and dropout (between layers and before the head: it
# must be off in the model) vary between the cases
ARCHITECTURES = [
    dict(cell="lstm", bidirectional=False, num_layers=1, pooling="last"),
    dict(cell="gru", bidirectional=True, num_layers=2, pooling="last",
         patch_size=3, conv_filters=2),
    dict(cell="gru", bidirectional=False, num_layers=2, pooling="mean",
         patch_size=2, dropout=0.5),
    dict(cell="lstm", bidirectional=True, num_layers=1, pooling="mean",
         conv_filters=3),
    dict(cell="lstm", bidirectional=False, num_layers=1, pooling="max",
         conv_filters=4, patch_size=3),
    dict(cell="gru", bidirectional=True, num_layers=1, pooling="max"),
    dict(cell="gru", bidirectional=False, num_layers=1, pooling="attention",
         conv_filters=2),
    dict(cell="lstm", bidirectional=True, num_layers=2, pooling="attention",
         patch_size=2, conv_filters=2, dropout=0.3),
]
CASES = [(LSTMClassifier, arch) for arch in ARCHITECTURES] + [
    (LSTMRegressor, dict(bidirectional=True, num_layers=2, pooling="last",
                         patch_size=3, conv_filters=2)),
    (LSTMRegressor, dict(cell="gru", pooling="attention", patch_size=2)),
    (LSTMRegressor, dict(bidirectional=True, pooling="mean", conv_filters=3,
                         y2d=True)),
]


def _case_id(case):
    est_cls, arch = case
    return est_cls.__name__[4:] + "-" + "-".join(f"{k}={v}" for k, v in arch.items())


_FITTED = {}


def _fitted_case(case):
    """Each case is fitted and exported once, shared by the tests below."""
    key = _case_id(case)
    if key not in _FITTED:
        est_cls, arch = case
        est = _fit(est_cls, **arch)
        _FITTED[key] = est, _session(to_onnx(est))
    return _FITTED[key]


@pytest.mark.parametrize("case", CASES, ids=_case_id)
@pytest.mark.parametrize("batch, steps", [(5, 11), (1, 4), (3, TRAIN_STEPS)])
def test_equal_length_batch(case, batch, steps):
    # batch sizes and lengths other than those of the example traced
    est, session = _fitted_case(case)
    rng = np.random.RandomState(batch * 100 + steps)
    X = rng.normal(size=(batch, steps, N_FEATURES)).astype(np.float32)
    lengths = np.full(batch, steps, dtype=np.int64)
    _check_outputs(est, session.run(None, {"X": X, "lengths": lengths}), X)


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_ragged_batch(case):
    est, session = _fitted_case(case)
    rng = np.random.RandomState(1)
    seqs = [rng.normal(size=(n, N_FEATURES)).astype(np.float32)
            for n in (3, 10, 1, 6, 13, 2, 5)]
    X, lengths = _padded(seqs)
    assert (lengths < X.shape[1]).all() and np.isnan(X).any()
    _check_outputs(est, session.run(None, {"X": X, "lengths": lengths}), seqs)


@pytest.mark.parametrize("case", CASES[:2], ids=_case_id)
def test_ragged_batch_zero_padding_and_one_sample(case):
    # the same sample alone and padded in a batch gives the same output
    est, session = _fitted_case(case)
    rng = np.random.RandomState(2)
    seqs = [rng.normal(size=(n, N_FEATURES)).astype(np.float32) for n in (4, 9)]
    X, lengths = _padded(seqs, fill=0.0)
    batched = session.run(None, {"X": X, "lengths": lengths})[0]
    alone = session.run(None, {"X": seqs[0][None], "lengths": lengths[:1]})[0]
    np.testing.assert_allclose(batched[:1], alone, rtol=0, atol=ATOL)
    np.testing.assert_allclose(batched, _expected(est, seqs), rtol=0, atol=ATOL)


@pytest.mark.parametrize("est_cls", [LSTMClassifier, LSTMRegressor])
@pytest.mark.parametrize("arch", [
    dict(bidirectional=True, pooling="attention", patch_size=3, conv_filters=2),
    dict(cell="gru", pooling="last", num_layers=2),
], ids=["bi-attention-patch3-conv", "gru-last-2layers"])
def test_2d_input(est_cls, arch):
    rng = np.random.RandomState(3)
    X = rng.normal(size=(20, 8)).astype(np.float32)
    y = X.mean(axis=1) if est_cls is LSTMRegressor else (X[:, 0] > 0).astype(int)
    params = dict(hidden_size=5, max_epochs=1, batch_size=8, random_state=0,
                  conv_filters=0, patch_size=1, n_threads=1)
    params.update(arch)
    est = est_cls(**params).fit(X, y)
    assert est._input_kind == "2d"
    model = onnx.load_from_string(to_onnx(est))
    (x_input,) = model.graph.input
    dims = [d.dim_param or d.dim_value for d in x_input.type.tensor_type.shape.dim]
    assert x_input.name == "X" and dims == ["batch", 8]
    session = _session(model.SerializeToString())
    Xt = rng.normal(size=(6, 8)).astype(np.float32)
    _check_outputs(est, session.run(None, {"X": Xt}), Xt)
    _check_outputs(est, session.run(None, {"X": Xt[:1]}), Xt[:1])
    with pytest.raises(Exception):  # the number of steps is fixed, as in predict
        session.run(None, {"X": Xt[:, :5]})


@pytest.mark.parametrize("est_cls", [LSTMClassifier, LSTMRegressor])
@pytest.mark.parametrize("arch", [
    dict(bidirectional=True, pooling="mean", patch_size=2, conv_filters=2),
    dict(cell="gru", pooling="attention", num_layers=2),
], ids=["bi-mean-patch2-conv", "gru-attention-2layers"])
def test_token_input(est_cls, arch):
    est = _fit(est_cls, tokens=True, embedding_dim=4, **arch)
    session = _session(to_onnx(est))
    rng = np.random.RandomState(4)
    # ids up to 12: those above the fitted vocabulary read as unknown (1)
    seqs = [rng.randint(1, 13, size=n).astype(np.int64) for n in (3, 9, 1, 6)]
    assert max(s.max() for s in seqs) >= est.n_tokens_
    X, lengths = _padded(seqs, fill=-7)
    _check_outputs(est, session.run(None, {"X": X, "lengths": lengths}), seqs)
    # a 2-D id array padded with 0: predict's lengths (last non-zero id + 1)
    X0, _ = _padded(seqs, fill=0)
    _check_outputs(est, session.run(None, {"X": X0, "lengths": lengths}), X0)
    # equal lengths, and a batch of one
    Xe = rng.randint(1, 9, size=(5, 8)).astype(np.int64)
    full = np.full(5, 8, dtype=np.int64)
    _check_outputs(est, session.run(None, {"X": Xe, "lengths": full}), Xe)
    _check_outputs(est, session.run(None, {"X": Xe[:1], "lengths": full[:1]}), Xe[:1])


def test_interface_and_metadata(tmp_path):
    est, _ = _fitted_case(CASES[0])
    path = tmp_path / "model.onnx"
    data = to_onnx(est, path)
    assert path.read_bytes() == data
    model = onnx.load(str(path))
    onnx.checker.check_model(model)
    assert [i.name for i in model.graph.input] == ["X", "lengths"]
    assert [o.name for o in model.graph.output] == ["probabilities", "class_index"]
    x_dims = [d.dim_param for d in model.graph.input[0].type.tensor_type.shape.dim[:2]]
    assert x_dims == ["batch", "steps"]
    assert model.graph.input[1].type.tensor_type.elem_type == onnx.TensorProto.INT64
    meta = {p.key: p.value for p in model.metadata_props}
    assert json.loads(meta["classes"]) == est.classes_.tolist()
    assert meta["estimator"] == "LSTMClassifier"
    assert model.opset_import[0].version == 17
    for opset in (13, 14):
        older = to_onnx(est, opset=opset)
        assert onnx.load_from_string(older).opset_import[0].version == opset
        X = np.random.RandomState(6).normal(size=(2, 5, N_FEATURES)).astype(np.float32)
        _check_outputs(est, _session(older).run(
            None, {"X": X, "lengths": np.full(2, 5, np.int64)}), X)


def test_inputs_must_be_float32_and_int64():
    # predict casts float64 itself; the model takes float32 only, and
    # onnxruntime refuses anything else rather than casting it
    _, session = _fitted_case(CASES[0])
    X = np.zeros((2, 5, N_FEATURES))
    lengths = np.full(2, 5, np.int64)
    with pytest.raises(Exception, match="(?i)type"):
        session.run(None, {"X": X, "lengths": lengths})
    with pytest.raises(Exception, match="(?i)type"):
        session.run(None, {"X": X.astype(np.float32),
                           "lengths": lengths.astype(np.int32)})


def test_regressor_output_names_and_shapes():
    est, session = _fitted_case(CASES[-1])
    assert [o.name for o in session.get_outputs()] == ["predictions"]
    X = np.zeros((4, 5, N_FEATURES), dtype=np.float32)
    (pred,) = session.run(None, {"X": X, "lengths": np.full(4, 5, np.int64)})
    assert pred.shape == (4, 2) == est.predict(X).shape
    est1, session1 = _fitted_case(CASES[-2])
    (pred1,) = session1.run(None, {"X": X, "lengths": np.full(4, 5, np.int64)})
    assert pred1.shape == (4,) == est1.predict(X).shape


def test_export_leaves_the_estimator_alone():
    est = _fit(LSTMClassifier, bidirectional=True, conv_filters=2, dropout=0.5)
    X, _ = _train_data(seed=5)
    before = est.predict_proba(X)
    module = est.net_.module_
    to_onnx(est)
    assert est.net_.module_ is module
    np.testing.assert_array_equal(est.predict_proba(X), before)


def test_unfitted_estimator_is_refused():
    with pytest.raises(NotFittedError):
        to_onnx(LSTMClassifier())
    with pytest.raises(NotFittedError):
        to_onnx(LSTMRegressor())


def test_pipeline_is_refused_with_a_hint():
    est, _ = _fitted_case(CASES[0])
    pipe = make_pipeline(FunctionTransformer(), est)
    with pytest.raises(TypeError, match=r"final step \(pipe\[-1\]\)"):
        to_onnx(pipe)


def test_other_estimators_are_refused():
    X, y = np.random.RandomState(0).normal(size=(10, 3)), np.arange(10) % 2
    with pytest.raises(TypeError, match="LSTMClassifier or LSTMRegressor"):
        to_onnx(LogisticRegression().fit(X, y))
    with pytest.raises(TypeError, match=r"got a LSTMForecaster.*regressor_"):
        to_onnx(LSTMForecaster())
    with pytest.raises(TypeError, match="best_estimator_"):
        to_onnx(GridSearchCV(LSTMClassifier(), {"hidden_size": [4]}))


def test_unknown_network_parts_are_refused():
    # a part SequenceNet does not have today is named, not dropped silently
    est = copy.deepcopy(_fitted_case(CASES[0])[0])
    est.net_.module_.extra = nn.Linear(2, 2)
    with pytest.raises(ValueError, match=r"part\(s\) \['extra'\]"):
        to_onnx(est)
    est = copy.deepcopy(_fitted_case(CASES[0])[0])
    est.net_.module_.rnn = nn.RNN(N_FEATURES, 6, batch_first=True)
    with pytest.raises(ValueError, match="a RNN recurrent layer"):
        to_onnx(est)


@pytest.mark.parametrize("opset", [12, "17", 17.0, True])
def test_bad_opset(opset):
    est, _ = _fitted_case(CASES[0])
    with pytest.raises(ValueError, match="opset"):
        to_onnx(est, opset=opset)


def test_missing_onnx_says_what_to_install(monkeypatch):
    est, _ = _fitted_case(CASES[0])
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match="pip install onnx onnxruntime"):
        to_onnx(est)


def test_sklstm_imports_without_onnx():
    # onnx and onnxruntime are optional: only calling to_onnx needs onnx (a
    # None entry in sys.modules makes importing it raise ImportError)
    code = ("import sys; sys.modules['onnx'] = sys.modules['onnxruntime'] = None; "
            "import sklstm, sklstm.export")
    subprocess.run([sys.executable, "-c", code], check=True)
