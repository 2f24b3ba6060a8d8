"""Sequence transformers and forecasting helpers of sklstm.preprocessing."""

import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, cross_val_score, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    Binarizer,
    FunctionTransformer,
    MinMaxScaler,
    PowerTransformer,
    QuantileTransformer,
    StandardScaler,
)
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklstm.datasets import (
    make_sequence_classification,
    make_sequence_regression,
    make_text_classification,
)
from sklstm.preprocessing import (
    PerTimestepTransformer,
    SequencePadder,
    SequenceScaler,
    TextToSequences,
    make_windows,
    seasonal_naive_forecast,
    train_test_split_series,
)


# ---------------------------------------------------------------- helpers
def _flatten(X):
    return np.asarray(X).reshape(len(X), -1)


def flatten():
    """Cheap stand-in for a sequence model: flatten 3-D to 2-D."""
    return FunctionTransformer(_flatten)


def ragged(n=12, n_features=2, seed=0):
    rng = np.random.RandomState(seed)
    return [rng.normal(3.0, 2.0, size=(rng.randint(2, 7), n_features)) for _ in range(n)]


def stacked(seqs):
    return np.concatenate([np.asarray(s).reshape(len(s), -1) for s in seqs])


# ------------------------------------------------- scikit-learn's own checks
@parametrize_with_checks(
    [
        SequenceScaler(),
        SequenceScaler(method="minmax", feature_range=(-1, 1)),
        PerTimestepTransformer(PowerTransformer()),
        SequencePadder(),
    ]
)
def test_sklearn_compatible_transformer(estimator, check):
    check(estimator)


# ---------------------------------------------------------- SequenceScaler
def test_scaler_ragged_ignores_padding_and_keeps_lengths():
    X = ragged()
    scaler = SequenceScaler().fit(X)
    rows = stacked(X)
    np.testing.assert_allclose(scaler.mean_, rows.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(scaler.scale_, rows.std(axis=0), rtol=1e-5)
    assert scaler.n_features_in_ == 2 and scaler.n_timesteps_seen_ == len(rows)
    Xt = scaler.transform(X)
    assert isinstance(Xt, list)
    assert [x.shape for x in Xt] == [x.shape for x in X]
    out = stacked(Xt)
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=0), 1, atol=1e-5)
    back = scaler.inverse_transform(Xt)
    for a, b in zip(back, X):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_scaler_univariate_ragged_keeps_1d_sequences():
    X = [np.arange(3.0), np.arange(5.0)]
    Xt = SequenceScaler().fit_transform(X)
    assert [x.shape for x in Xt] == [(3,), (5,)]


def test_scaler_3d_per_feature():
    rng = np.random.RandomState(0)
    X = rng.normal([0.0, 100.0], [1.0, 50.0], size=(8, 5, 2))
    Xt = SequenceScaler().fit_transform(X)
    assert Xt.shape == X.shape and Xt.dtype == np.float32
    np.testing.assert_allclose(Xt.reshape(-1, 2).mean(axis=0), 0, atol=1e-5)
    # the number of time steps may change after fit
    assert SequenceScaler().fit(X).transform(X[:, :3]).shape == (8, 3, 2)


def test_scaler_2d_is_one_feature():
    X = np.array([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]])
    scaler = SequenceScaler().fit(X)
    assert scaler.mean_.shape == (1,) and scaler.mean_[0] == pytest.approx(2.5)
    assert scaler.n_features_in_ == 3
    Xt = scaler.transform(X)
    assert Xt.shape == (2, 3)
    assert Xt.mean() == pytest.approx(0, abs=1e-6)
    # a 2-D fit is one channel: univariate 3-D input is accepted
    assert scaler.transform(X[:, :, None]).shape == (2, 3, 1)
    with pytest.raises(ValueError, match="X has 2 features, but SequenceScaler is expecting 3"):
        scaler.transform(X[:, :2])


def test_scaler_minmax_and_constant_feature():
    X = [np.array([[0.0, 7.0], [10.0, 7.0]]), np.array([[5.0, 7.0]])]
    scaler = SequenceScaler(method="minmax", feature_range=(-1, 1)).fit(X)
    Xt = scaler.transform(X)
    np.testing.assert_allclose(Xt[0][:, 0], [-1, 1])
    np.testing.assert_allclose(Xt[1][:, 0], [0])
    np.testing.assert_allclose(stacked(Xt)[:, 1], -1)  # constant -> range min
    np.testing.assert_allclose(stacked(scaler.inverse_transform(Xt)), stacked(X))


def test_scaler_errors():
    X = ragged()
    with pytest.raises(ValueError, match="feature_range must be a tuple"):
        SequenceScaler(method="minmax", feature_range=(1, 0)).fit(X)
    with pytest.raises(ValueError, match="method"):
        SequenceScaler(method="robust").fit(X)
    scaler = SequenceScaler().fit(X)
    with pytest.raises(ValueError, match="X has 3 features, but SequenceScaler is expecting 2"):
        scaler.transform([np.ones((4, 3))])
    with pytest.raises(ValueError, match="NaN"):
        scaler.transform([np.array([[np.nan, 1.0]])])
    with pytest.raises(ValueError, match="zero length"):
        scaler.fit([np.ones((2, 2)), np.ones((0, 2))])


# -------------------------------------------------- PerTimestepTransformer
def test_per_timestep_matches_scaler_and_clones():
    X = ragged()
    inner = StandardScaler()
    step = PerTimestepTransformer(inner).fit(X)
    assert not hasattr(inner, "mean_")  # the parameter is cloned, not fitted
    np.testing.assert_allclose(step.transformer_.mean_, SequenceScaler().fit(X).mean_,
                               rtol=1e-5)
    a, b = step.transform(X), SequenceScaler().fit_transform(X)
    for u, v in zip(a, b):
        np.testing.assert_allclose(u, v, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("make_X", [
    lambda: ragged(),
    lambda: np.random.RandomState(0).lognormal(size=(6, 4, 2)),
    lambda: np.random.RandomState(0).lognormal(size=(6, 4)),
])
def test_per_timestep_layouts_round_trip(make_X):
    X = make_X()
    step = PerTimestepTransformer(QuantileTransformer(n_quantiles=10))
    Xt = step.fit_transform(X)
    if isinstance(X, list):
        assert [x.shape for x in Xt] == [x.shape for x in X]
    else:
        assert Xt.shape == X.shape
    assert 0 <= stacked(Xt).min() and stacked(Xt).max() <= 1
    back = step.inverse_transform(Xt)
    np.testing.assert_allclose(stacked(back), stacked(X), rtol=1e-3, atol=1e-3)


def test_per_timestep_rejects_column_changing_transformer():
    X = ragged()
    with pytest.raises(ValueError, match="keeps the number of features"):
        PerTimestepTransformer(PCA(n_components=1)).fit(X).transform(X)
    assert not hasattr(PerTimestepTransformer(Binarizer()), "inverse_transform")
    assert hasattr(PerTimestepTransformer(), "inverse_transform")


# ----------------------------------------------------------- SequencePadder
def test_padder_positions():
    X = [np.array([1.0, 2.0]), np.array([3.0, 4.0, 5.0, 6.0])]
    expected = {
        ("pre", "pre"): [[9, 1, 2], [4, 5, 6]],
        ("post", "post"): [[1, 2, 9], [3, 4, 5]],
        ("pre", "post"): [[9, 1, 2], [3, 4, 5]],
        ("post", "pre"): [[1, 2, 9], [4, 5, 6]],
    }
    for (padding, truncating), want in expected.items():
        pad = SequencePadder(max_len=3, padding=padding, truncating=truncating, value=9)
        out = pad.fit_transform(X)
        assert out.shape == (2, 3, 1) and out.dtype == np.float32
        assert out[:, :, 0].tolist() == want, (padding, truncating)


def test_padder_learns_length_from_training_data():
    X = ragged(n_features=3)
    pad = SequencePadder().fit(X)
    assert pad.max_len_ == max(len(x) for x in X)
    longer = [np.ones((pad.max_len_ + 4, 3))]
    assert pad.transform(longer).shape == (1, pad.max_len_, 3)
    out = pad.transform(X)
    for x, row in zip(X, out):  # pre-padding keeps the data at the end
        np.testing.assert_allclose(row[pad.max_len_ - len(x):], x, rtol=1e-6)
    # 2-D stays 2-D, 3-D is padded along time
    X2 = np.arange(6.0).reshape(2, 3)
    assert SequencePadder(max_len=5).fit_transform(X2).shape == (2, 5)
    assert SequencePadder(max_len=2).fit_transform(X2[:, :, None]).shape == (2, 2, 1)


def test_padder_errors():
    with pytest.raises(ValueError, match="max_len"):
        SequencePadder(max_len=0).fit(ragged())
    with pytest.raises(ValueError, match="padding"):
        SequencePadder(padding="middle").fit(ragged())
    pad = SequencePadder().fit(ragged(n_features=2))
    with pytest.raises(ValueError, match="X has 1 features, but SequencePadder is expecting 2"):
        pad.transform([np.ones(3)])


# ---------------------------------------------------------- TextToSequences
def test_text_vocabulary_and_ids():
    texts = ["the cat sat", "The dog sat", "the cat ran"]
    tts = TextToSequences().fit(texts)
    # by frequency, ties alphabetical; ids from 2
    assert tts.vocabulary_ == {"the": 2, "cat": 3, "sat": 4, "dog": 5, "ran": 6}
    assert tts.n_tokens_ == 7 and tts.max_len_ == 3
    ids = tts.transform(["the bird sat on the cat", "", "DOG"])
    assert ids.dtype == np.int64 and ids.shape == (3, 3)
    # unseen words -> 1 (OOV), empty text -> [1], longer texts truncated
    assert ids.tolist() == [[2, 1, 4], [1, 0, 0], [5, 0, 0]]
    assert tts.inverse_transform(ids) == ["the <unk> sat", "<unk>", "dog"]


def test_text_caps():
    texts = ["a a a b b c", "a b d", "e"]
    tts = TextToSequences(max_features=2, max_len=4).fit(texts)
    assert tts.vocabulary_ == {"a": 2, "b": 3} and tts.n_tokens_ == 4
    assert tts.transform(texts).tolist() == [[2, 2, 2, 3], [2, 3, 1, 0], [1, 0, 0, 0]]
    assert set(TextToSequences(min_df=2).fit(texts).vocabulary_) == {"a", "b"}
    assert set(TextToSequences(min_df=0.5).fit(texts).vocabulary_) == {"a", "b"}
    assert TextToSequences(lowercase=False).fit(["A a"]).vocabulary_ == {"A": 2, "a": 3}


@pytest.mark.parametrize("X, match", [
    ([], "empty list of texts"),
    ("just one string", "string object received"),
    (["fine", None], "text 1 is NoneType"),
    (["", "  ", "!!"], "empty vocabulary"),
])
def test_text_errors(X, match):
    with pytest.raises(ValueError, match=match):
        TextToSequences().fit(X)


def test_text_accepts_arrays_and_series():
    texts = ["good film", "bad film"]
    a = TextToSequences().fit_transform(np.array(texts, dtype=object))
    b = TextToSequences().fit_transform(pd.Series(texts))
    c = TextToSequences().fit_transform(pd.DataFrame({"text": texts}).to_numpy())
    assert a.tolist() == b.tolist() == c.tolist()


# ------------------------------------------------------ forecasting helpers
def test_make_windows_alignment():
    series = np.arange(20.0)
    lookback, horizon, step = 4, 3, 2
    X, y = make_windows(series, lookback, horizon=horizon, step=step)
    n = (20 - lookback - horizon) // step + 1
    assert X.shape == (n, lookback, 1) and y.shape == (n, horizon)
    for i in range(n):
        np.testing.assert_array_equal(X[i, :, 0], series[i * step: i * step + lookback])
        np.testing.assert_array_equal(
            y[i], series[i * step + lookback: i * step + lookback + horizon])
    # the last window ends within the series
    assert y[-1, -1] <= series[-1]


def test_make_windows_multivariate_target():
    series = np.column_stack([np.arange(10.0), 100 + np.arange(10.0)])
    X, y = make_windows(series, lookback=3, horizon=1, target=1)
    assert X.shape == (7, 3, 2) and y.shape == (7, 1)
    assert X[0].tolist() == [[0, 100], [1, 101], [2, 102]]
    assert y[:, 0].tolist() == (103 + np.arange(7.0)).tolist()
    frame = pd.DataFrame(series, columns=["load", "sales"])
    Xf, yf = make_windows(frame, lookback=3, target="sales")
    np.testing.assert_array_equal(yf, y)
    Xs, ys = make_windows(pd.Series(np.arange(5.0)), lookback=2)
    assert ys.ravel().tolist() == [2.0, 3.0, 4.0]


@pytest.mark.parametrize("kwargs, match", [
    (dict(lookback=0), "lookback must be a positive integer"),
    (dict(lookback=2, horizon=0), "horizon must be a positive integer"),
    (dict(lookback=2, horizon=-1), "horizon must be a positive integer"),
    (dict(lookback=2, step=0), "step must be a positive integer"),
    (dict(lookback=2.5), "lookback must be a positive integer"),
    (dict(lookback=8, horizon=3), "longer than the series"),
])
def test_make_windows_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_windows(np.arange(10.0), **kwargs)


def test_make_windows_bad_series():
    with pytest.raises(ValueError, match=r"NaN or infinity at time step\(s\) \[3\]"):
        make_windows([1.0, 2.0, 3.0, np.nan, 5.0], lookback=2)
    with pytest.raises(ValueError, match="pass target="):
        make_windows(np.ones((10, 2)), lookback=2)
    with pytest.raises(ValueError, match="out of range"):
        make_windows(np.ones((10, 2)), lookback=2, target=5)


def test_train_test_split_series():
    X, y = make_windows(np.arange(30.0), lookback=5, horizon=3)
    X_tr, X_te, y_tr, y_te = train_test_split_series(X, y, test_size=0.25, gap=2)
    assert len(X_te) == 6 and len(X_tr) == len(X) - 6 - 2
    # time order kept, and the gap removes overlapping targets
    assert y_tr.max() < y_te.min()
    np.testing.assert_array_equal(X_te, X[-6:])
    with pytest.raises(ValueError, match="test_size"):
        train_test_split_series(X, test_size=1.5)
    with pytest.raises(ValueError, match="No training samples left"):
        train_test_split_series(X, test_size=len(X) - 1, gap=1)
    with pytest.raises(ValueError, match="gap must be a non-negative integer"):
        train_test_split_series(X, gap=-1)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        train_test_split_series(X, y[:-1])


def test_seasonal_naive_forecast():
    series = np.array([1.0, 2, 3, 10, 20, 30])
    assert seasonal_naive_forecast(series, horizon=5, season_length=3).tolist() == [
        10, 20, 30, 10, 20]
    assert seasonal_naive_forecast(series, horizon=2).tolist() == [30, 30]
    X, y = make_windows(np.arange(12.0), lookback=4, horizon=2)
    pred = seasonal_naive_forecast(X, horizon=2)
    assert pred.shape == y.shape
    np.testing.assert_array_equal(pred[:, 0], X[:, -1, 0])
    with pytest.raises(ValueError, match="season_length=12 is longer than the history"):
        seasonal_naive_forecast(series, season_length=12)
    with pytest.raises(ValueError, match="NaN"):
        seasonal_naive_forecast([1.0, np.nan])
    with pytest.raises(ValueError, match="horizon must be a positive integer"):
        seasonal_naive_forecast(series, horizon=0)


# --------------------------------------- pipelines, model selection, leakage
def test_pipelines_cross_val_and_grid_search():
    X, y = make_sequence_classification(n_samples=24, n_timesteps=8, n_features=2,
                                        ragged=True, min_timesteps=4, random_state=0)
    pipe = make_pipeline(SequenceScaler(), PerTimestepTransformer(),
                         SequencePadder(max_len=8), flatten(),
                         LogisticRegression())
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,)
    grid = GridSearchCV(pipe, {
        "sequencescaler__method": ["standard", "minmax"],
        "pertimesteptransformer__transformer": [StandardScaler(), MinMaxScaler()],
        "sequencepadder__padding": ["pre", "post"],
    }, cv=2).fit(X, y)
    assert len(grid.cv_results_["params"]) == 8
    assert len(grid.predict(X[:3])) == 3

    texts, labels = make_text_classification(n_samples=24, random_state=0)
    text_pipe = make_pipeline(TextToSequences(), LogisticRegression(max_iter=1000))
    assert cross_val_score(text_pipe, texts, labels, cv=3).shape == (3,)
    GridSearchCV(text_pipe, {"texttosequences__max_features": [5, None]},
                 cv=2).fit(texts, labels)

    Xr, yr = make_sequence_regression(n_samples=20, n_timesteps=6, random_state=0)
    reg = make_pipeline(SequenceScaler(), flatten(), Ridge())
    assert cross_val_score(reg, Xr, yr, cv=2).shape == (2,)


def test_statistics_come_from_training_fold_only():
    # two groups with very different levels; each fold trains on one group
    rng = np.random.RandomState(0)
    low = [rng.normal(0, 1, size=(rng.randint(3, 6), 2)) for _ in range(6)]
    high = [rng.normal(50, 1, size=(9, 2)) for _ in range(6)]
    X, y = low + high, np.array([0, 1] * 6)
    cv = [(np.arange(6), np.arange(6, 12)), (np.arange(6, 12), np.arange(6))]
    pipe = make_pipeline(SequenceScaler(), PerTimestepTransformer(),
                         SequencePadder(), flatten(), LogisticRegression())
    res = cross_validate(pipe, X, y, cv=cv, return_estimator=True)
    for (train, _), fitted in zip(cv, res["estimator"]):
        fold = [X[i] for i in train]
        np.testing.assert_allclose(fitted[0].mean_, stacked(fold).mean(axis=0), rtol=1e-5)
        # after the scaler, the inner scaler sees standardised data of the fold
        np.testing.assert_allclose(fitted[1].transformer_.mean_, 0, atol=1e-5)
        assert fitted[2].max_len_ == max(len(s) for s in fold)

    texts = ["alpha beta", "alpha gamma", "delta epsilon", "delta zeta"]
    cv = [([0, 1], [2, 3]), ([2, 3], [0, 1])]
    res = cross_validate(make_pipeline(TextToSequences(), LogisticRegression()),
                         texts, [0, 1, 0, 1], cv=cv, return_estimator=True)
    assert set(res["estimator"][0][0].vocabulary_) == {"alpha", "beta", "gamma"}
    assert set(res["estimator"][1][0].vocabulary_) == {"delta", "epsilon", "zeta"}


# ---------------------------------------------- end to end with the LSTMs
try:
    from sklstm import LSTMClassifier, LSTMRegressor
except ImportError:  # pragma: no cover - the estimators are optional here
    LSTMClassifier = LSTMRegressor = None

needs_lstm = pytest.mark.skipif(LSTMClassifier is None, reason="estimators missing")
TINY = dict(hidden_size=4, conv_filters=4, max_epochs=2, batch_size=8, random_state=0)


@needs_lstm
def test_lstm_with_scaler_on_ragged():
    X, y = make_sequence_classification(n_samples=16, n_timesteps=8, n_features=2,
                                        ragged=True, random_state=0)
    pipe = make_pipeline(SequenceScaler(), LSTMClassifier(**TINY)).fit(X, y)
    assert set(pipe.predict(X[:4])) <= {0, 1}


@needs_lstm
def test_lstm_with_per_timestep_transformer():
    X, y = make_sequence_regression(n_samples=16, n_timesteps=6, n_features=2,
                                    random_state=0)
    pipe = make_pipeline(PerTimestepTransformer(QuantileTransformer(n_quantiles=10)),
                         LSTMRegressor(**TINY))
    assert cross_val_score(pipe, X, y, cv=2).shape == (2,)


@needs_lstm
def test_lstm_with_padder():
    X, y = make_sequence_classification(n_samples=16, n_timesteps=9, ragged=True,
                                        random_state=0)
    pipe = make_pipeline(SequencePadder(max_len=6), LSTMClassifier(**TINY)).fit(X, y)
    assert pipe.predict(X[:3]).shape == (3,)


@needs_lstm
def test_lstm_forecasting_windows():
    series = np.sin(np.arange(60) / 3.0) + np.arange(60) / 30.0
    X, y = make_windows(series, lookback=6, horizon=1)
    X_tr, X_te, y_tr, y_te = train_test_split_series(X, y.ravel(), test_size=10)
    pipe = make_pipeline(SequenceScaler(), LSTMRegressor(**TINY)).fit(X_tr, y_tr)
    assert pipe.predict(X_te).shape == (10,)
    assert seasonal_naive_forecast(X_te).shape == (10, 1)


@needs_lstm
def test_lstm_on_raw_text():
    texts, y = make_text_classification(n_samples=24, random_state=0)
    pipe = make_pipeline(TextToSequences(), LSTMClassifier(embedding_dim=8, **TINY))
    pipe.fit(texts, y)
    pred = pipe.predict(["a wonderful film", "completely unseen words here", ""])
    assert set(pred) <= {"negative", "positive"}
    assert pipe[-1].n_tokens_ <= pipe[0].n_tokens_


def test_estimators_and_transformers_share_the_layout_rule():
    from sklstm import LSTMClassifier

    X3 = np.random.RandomState(0).normal(size=(12, 5, 2)).astype(np.float32)
    y = np.arange(12) % 2
    lstm = {"hidden_size": 2, "max_epochs": 1, "random_state": 0}
    scaler = SequenceScaler().fit(X3)
    clf = LSTMClassifier(**lstm).fit(X3, y)
    # fitted on sequences: a 2-D array is univariate series, refused the same way
    for name, call in (("SequenceScaler", scaler.transform),
                       ("LSTMClassifier", clf.predict)):
        with pytest.raises(ValueError, match=rf"X has 1 features, but {name} is "
                           r"expecting 2 features as input: it was fitted on "
                           r"sequences.*read as 12 univariate series"):
            call(X3[:, :, 0])
    # fitted on 2-D rows: columns and their names, as scikit-learn keeps them
    frame = pd.DataFrame(X3[:, :, 0], columns=[f"t{i}" for i in range(5)])
    scaler = SequenceScaler().fit(frame)
    clf = LSTMClassifier(**lstm).fit(frame, y)
    for est in (scaler, clf):
        assert est.n_features_in_ == 5
        assert list(est.feature_names_in_) == list(frame.columns)
    # univariate sequences are accepted: of any length by a transformer, of
    # the fitted length by a network
    assert scaler.transform(X3[:, :3, :1]).shape == (12, 3, 1)
    assert clf.predict(X3[:, :, :1]).shape == (12,)
    with pytest.raises(ValueError, match=r"fitted on 2-D input of 5 time steps.*"
                       r"univariate sequences of 5 time steps"):
        clf.predict(X3[:, :3, :1])
    with pytest.raises(ValueError, match=r"SequenceScaler was fitted on 2-D input"):
        scaler.transform(X3)
