"""Behaviour of LSTMClassifier / LSTMRegressor beyond scikit-learn's checks."""

import pickle
import random
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sklstm import LSTMClassifier, LSTMRegressor

TINY = dict(hidden_size=8, conv_filters=4, max_epochs=3, batch_size=16, random_state=0)


def make_3d(n=40, t=10, f=2, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, t, f)).astype(np.float32)
    y = (X[:, :, 0].mean(axis=1) > 0).astype(int)
    return X, y


def make_ragged(n=30, f=2, seed=0, low=3, high=12):
    rng = np.random.RandomState(seed)
    X = [rng.normal(size=(rng.randint(low, high), f)) for _ in range(n)]
    y = np.array([int(x[:, 0].mean() > 0) for x in X])
    return X, y


# --------------------------------------------------------------------- input
def test_3d_input_and_other_length_at_predict():
    X, y = make_3d()
    clf = LSTMClassifier(**TINY).fit(X, y)
    assert clf.n_features_in_ == 2
    assert clf.predict(X[:, :5]).shape == (40,)
    assert clf.predict_proba(np.concatenate([X, X], axis=1)).shape == (40, 2)


def test_2d_input_is_univariate_and_fixed_length():
    X, y = make_3d(f=1)
    X2 = X[:, :, 0]
    clf = LSTMClassifier(**TINY).fit(X2, y)
    assert clf.n_features_in_ == 10
    # the same data as 3-D with one feature gives the same predictions
    np.testing.assert_allclose(clf.predict_proba(X2), clf.predict_proba(X))
    with pytest.raises(ValueError, match="X has 9 features, but LSTMClassifier is expecting 10"):
        clf.predict(X2[:, :9])


def test_ragged_uses_each_sequence_own_last_step():
    X, y = make_ragged()
    clf = LSTMClassifier(**TINY).fit(X, y)
    proba = clf.predict_proba(X)
    # predicting one sample alone (no padding) equals predicting it in a batch
    for i in [0, 7, 13]:
        alone = clf.predict_proba([X[i]])
        np.testing.assert_allclose(alone[0], proba[i], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("pooling", ["last", "mean", "max"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_padding_never_changes_predictions(pooling, bidirectional):
    X, y = make_ragged(n=12)
    clf = LSTMClassifier(pooling=pooling, bidirectional=bidirectional, **TINY).fit(X, y)
    batched = clf.predict_proba(X)
    alone = np.vstack([clf.predict_proba([x]) for x in X])
    np.testing.assert_allclose(batched, alone, rtol=1e-5, atol=1e-6)


def test_ragged_univariate_1d_sequences():
    rng = np.random.RandomState(0)
    X = [rng.normal(size=rng.randint(4, 9)) for _ in range(20)]
    y = rng.normal(size=20)
    reg = LSTMRegressor(**TINY).fit(X, y)
    assert reg.n_features_in_ == 1
    assert reg.predict(X).shape == (20,)


def test_string_labels_and_proba_order():
    X, y = make_3d()
    labels = np.array(["zebra", "ant"])[y]
    clf = LSTMClassifier(**TINY).fit(X, labels)
    assert clf.classes_.tolist() == ["ant", "zebra"]
    pred = clf.predict(X)
    assert set(pred) <= {"ant", "zebra"}
    proba = clf.predict_proba(X)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(1)], pred)
    np.testing.assert_allclose(proba.sum(1), 1.0)


def test_multiclass():
    X, _ = make_3d(n=60)
    y = np.digitize(X[:, :, 0].mean(1), [-0.2, 0.2])
    clf = LSTMClassifier(**TINY).fit(X, y)
    assert clf.predict_proba(X).shape == (60, 3)


def test_multioutput_regression_keeps_shape():
    X, _ = make_3d()
    Y = X[:, -3:, 0]
    reg = LSTMRegressor(**TINY).fit(X, Y)
    assert reg.n_outputs_ == 3
    assert reg.predict(X).shape == (40, 3)
    assert not hasattr(reg, "predict_proba")
    reg1 = LSTMRegressor(**TINY).fit(X, Y[:, 0])
    assert reg1.predict(X).shape == (40,)
    assert reg1.predict(X).dtype == np.float64


def test_regressor_learns():
    X, _ = make_3d(n=200, t=8, f=1)
    y = X[:, -1, 0] * 2.0
    reg = LSTMRegressor(hidden_size=16, max_epochs=60, lr=0.01, random_state=0).fit(X, y)
    assert reg.score(X, y) > 0.8


@pytest.mark.parametrize("scale, shift", [(1e-3, 0.0), (1e4, -50.0)])
def test_regressor_is_invariant_to_the_target_scale(scale, shift):
    # the network learns standardised targets: a target in other units or
    # with an offset trains the same network (up to float32 rounding, which
    # training amplifies), and predictions follow the units
    X, _ = make_3d(n=60, t=8, f=2)
    y = np.c_[X[:, -1, 0] * 2.0, X[:, 0, 1]]
    params = dict(hidden_size=8, conv_filters=4, max_epochs=5, random_state=0)
    ref = LSTMRegressor(**params).fit(X, y)
    moved = LSTMRegressor(**params).fit(X, y * scale + shift)
    np.testing.assert_allclose(moved.target_mean_, y.mean(0) * scale + shift,
                               rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(moved.target_scale_, y.std(0) * scale, rtol=1e-6)
    np.testing.assert_allclose(moved.predict(X), ref.predict(X) * scale + shift,
                               rtol=1e-2, atol=1e-2 * scale)
    np.testing.assert_allclose(moved.loss_curve_, ref.loss_curve_, rtol=1e-2)


def test_regressor_has_no_convolutional_branch_by_default():
    X, _ = make_3d(n=20, t=6, f=1)
    reg = LSTMRegressor(hidden_size=4, max_epochs=1, random_state=0).fit(X, X[:, -1, 0])
    assert reg.conv_filters == 0 and reg.net_.module_.conv is None
    clf = LSTMClassifier(hidden_size=4, max_epochs=1, random_state=0).fit(X, X[:, -1, 0] > 0)
    assert clf.conv_filters == 64 and clf.net_.module_.conv is not None


def test_regressor_target_scaling_is_weighted_and_constant_safe():
    X, _ = make_3d(n=30, t=6, f=1)
    y = np.linspace(0.0, 1.0, 30)
    w = np.ones(30)
    w[:10] = 0.0
    reg = LSTMRegressor(**TINY).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(reg.target_mean_, [y[10:].mean()])
    np.testing.assert_allclose(reg.target_scale_, [y[10:].std()])
    const = LSTMRegressor(**TINY).fit(X, np.full(30, 7.0))
    assert const.target_scale_.tolist() == [1.0]
    assert np.isfinite(const.predict(X)).all()


def _fewer_auto_steps(monkeypatch):
    """"auto" at 150 steps and at least 5 epochs: the rule, ten times faster."""
    import sklstm._estimators as estimators

    monkeypatch.setattr(estimators, "_AUTO_STEPS", 150)
    monkeypatch.setattr(estimators, "_AUTO_MIN_EPOCHS", 5)


def test_max_epochs_auto_trains_small_sets_for_enough_steps(monkeypatch):
    _fewer_auto_steps(monkeypatch)
    X, y = make_3d(n=40, t=4, f=1)
    params = dict(hidden_size=2, conv_filters=0, batch_size=4, random_state=0)
    # 40 sequences in batches of 4: 10 batches an epoch, 150 steps = 15 epochs
    clf = LSTMClassifier(max_epochs="auto", **params).fit(X, y)
    assert clf.max_epochs_ == 15
    assert clf.n_iter_ == 15 and len(clf.loss_curve_) == 15
    # the early-stopping hold-out is not trained on: 36 sequences, 9 batches
    es = LSTMClassifier(max_epochs="auto", early_stopping=True, n_iter_no_change=1000,
                        **params).fit(X, y)
    assert es.max_epochs_ == 17
    # an int is kept as it is
    assert LSTMRegressor(max_epochs=3, **params).fit(X, y * 1.0).max_epochs_ == 3
    # never fewer than the floor of epochs; a set in one batch gets all steps
    from sklstm._estimators import _resolve_max_epochs
    assert _resolve_max_epochs("auto", 10_000, 16) == 5
    assert _resolve_max_epochs("auto", 16, 16) == 150
    # the classifier's default is "auto"; the regressor's stays 100
    assert LSTMClassifier().max_epochs == "auto"
    assert LSTMRegressor().max_epochs == 100


def test_max_epochs_auto_defaults():
    from sklstm._estimators import _resolve_max_epochs

    # 36 sequences in batches of 16 make 3 steps an epoch: 1500 steps
    assert _resolve_max_epochs("auto", 36, 16) == 500
    assert _resolve_max_epochs("auto", 10_000, 16) == 100  # the floor


def test_max_epochs_auto_sets_the_schedule_length(monkeypatch):
    _fewer_auto_steps(monkeypatch)
    X, y = make_3d(n=40, t=4, f=1)
    clf = LSTMClassifier(max_epochs="auto", hidden_size=2, conv_filters=0,
                         batch_size=8, lr_schedule="cosine", random_state=0)
    clf.fit(X, y)  # 5 batches an epoch: 30 epochs
    assert clf.max_epochs_ == 30
    # the cosine schedule spans the epochs "auto" chose
    scheduler = dict(clf.net_.callbacks_)["lr_schedule"]
    assert scheduler.lr_scheduler_.T_max == 30


def test_token_input_with_embedding():
    rng = np.random.RandomState(0)
    # class 1 sequences contain token 5; padding 0 at the end
    X = rng.randint(2, 5, size=(60, 8))
    y = rng.randint(0, 2, size=60)
    X[y == 1, 3] = 5
    X[::3, 6:] = 0
    clf = LSTMClassifier(embedding_dim=4, hidden_size=8, max_epochs=30, lr=0.05,
                         random_state=0).fit(X, y)
    assert clf.n_tokens_ == 6
    assert clf.score(X, y) > 0.9
    # ids unseen in fit are read as the unknown id instead of crashing
    X_new = X.copy()
    X_new[0, 0] = 99
    assert clf.predict(X_new).shape == (60,)
    # lists of token arrays of different lengths work too
    assert clf.predict([np.array([2, 3, 5]), np.array([4])]).shape == (2,)


def test_token_input_rejects_floats():
    with pytest.raises(ValueError, match="integer ids"):
        LSTMClassifier(embedding_dim=4, **TINY).fit(np.full((4, 3), 0.5), [0, 1, 0, 1])


# ------------------------------------------------------------- composition
def test_pipeline_gridsearch_cross_val_score():
    X, y = make_3d(n=48)
    flip = FunctionTransformer(lambda Z: Z[:, ::-1])
    pipe = make_pipeline(flip, LSTMClassifier(**TINY))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,)
    gs = GridSearchCV(pipe, {"lstmclassifier__hidden_size": [4, 8]}, cv=2).fit(X, y)
    assert gs.best_params_["lstmclassifier__hidden_size"] in (4, 8)
    assert gs.predict(X).shape == (48,)


def test_gridsearch_on_ragged_input():
    X, y = make_ragged(n=24)
    gs = GridSearchCV(LSTMClassifier(**TINY), {"cell": ["lstm", "gru"]}, cv=2).fit(X, y)
    assert len(gs.cv_results_["params"]) == 2


def test_clone_and_pickle_round_trip():
    X, y = make_3d()
    clf = LSTMClassifier(**TINY).fit(X, y)
    c = clone(clf)
    assert not hasattr(c, "net_")
    assert c.get_params() == clf.get_params()
    loaded = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_model_pickle_predicts_on_cpu():  # pragma: no cover - GPU only
    X, y = make_3d()
    clf = LSTMClassifier(device="cuda", **TINY).fit(X, y)
    blob = pickle.dumps(clf)
    code = textwrap.dedent(
        """
        import pickle, sys, warnings
        import torch
        torch.cuda.is_available = lambda: False
        warnings.simplefilter("ignore")
        clf = pickle.loads(sys.stdin.buffer.read())
        import numpy as np
        rng = np.random.RandomState(0)
        X = rng.normal(size=(40, 10, 2)).astype(np.float32)
        print(clf.predict(X).shape)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], input=blob, capture_output=True, check=True)
    assert b"(40,)" in out.stdout


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_model_unpickled_keeps_packed_weights():  # pragma: no cover - GPU only
    X, y = make_3d()
    clf = LSTMClassifier(device="cuda", **TINY).fit(X, y)
    loaded = pickle.loads(pickle.dumps(clf))
    assert next(loaded.net_.module_.parameters()).is_cuda
    with warnings.catch_warnings():
        # cuDNN warns when the weights are not in one chunk
        warnings.filterwarnings("error", message=".*single contiguous chunk.*")
        np.testing.assert_allclose(loaded.predict_proba(X), clf.predict_proba(X),
                                   rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------- reproducibility
def test_same_random_state_bit_identical_and_global_rng_untouched():
    X, y = make_3d()
    random.seed(1)
    np.random.seed(1)
    torch.manual_seed(1)
    states = (random.getstate(), np.random.get_state()[1].copy(), torch.get_rng_state())
    params = dict(TINY, dropout=0.3, num_layers=2)
    a = LSTMClassifier(**params).fit(X, y).predict_proba(X)
    b = LSTMClassifier(**params).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert random.getstate() == states[0]
    np.testing.assert_array_equal(np.random.get_state()[1], states[1])
    assert torch.equal(torch.get_rng_state(), states[2])
    c = LSTMClassifier(**dict(params, random_state=1)).fit(X, y).predict_proba(X)
    assert not np.array_equal(a, c)


def test_reproducible_across_processes():
    code = textwrap.dedent(
        """
        import numpy as np
        from sklstm import LSTMRegressor
        rng = np.random.RandomState(0)
        X = rng.normal(size=(30, 6, 2)).astype(np.float32)
        reg = LSTMRegressor(hidden_size=8, max_epochs=3, dropout=0.2, random_state=3)
        print(reg.fit(X, X[:, -1, 0]).predict(X).tobytes().hex())
        """
    )
    outs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       check=True).stdout
        for _ in range(2)
    ]
    assert outs[0] == outs[1] and len(outs[0]) > 100


# -------------------------------------------------------------- training
def test_early_stopping_holds_out_and_restores_best():
    X, y = make_3d(n=60)
    clf = LSTMClassifier(early_stopping=True, n_iter_no_change=2, tol=10.0,
                         **dict(TINY, max_epochs=30)).fit(X, y)
    # tol=10 means no epoch ever counts as improvement: stops after patience
    assert clf.n_iter_ == 3
    assert len(clf.validation_scores_) == clf.n_iter_
    assert len(clf.loss_curve_) == clf.n_iter_
    valid_loss = clf.net_.history[:, "valid_loss"]
    assert len(valid_loss) == 3
    # without early stopping no data is held out
    plain = LSTMClassifier(**TINY).fit(X, y)
    assert not hasattr(plain, "validation_scores_")
    assert plain.net_.train_split is None


def test_warm_start_and_partial_fit_continue_training():
    X, y = make_3d()
    # one schedule (the default cosine) spans both fits
    clf = LSTMClassifier(warm_start=True, lr_schedule_epochs=6, **TINY).fit(X, y)
    weights = [p.detach().clone() for p in clf.net_.module_.parameters()]
    first_curve = list(clf.loss_curve_)
    clf.fit(X, y)
    assert clf.n_iter_ == 6
    assert clf.loss_curve_[:3] == first_curve
    assert any(not torch.equal(w, p) for w, p in
               zip(weights, clf.net_.module_.parameters()))
    # continuing in two steps equals one longer run (same RNG stream)
    long = LSTMClassifier(**dict(TINY, max_epochs=6), lr_schedule_epochs=6).fit(X, y)
    np.testing.assert_allclose(long.predict_proba(X), clf.predict_proba(X), rtol=1e-5)

    pf = LSTMClassifier(**TINY)
    pf.partial_fit(X[:20], y[:20], classes=[0, 1])
    pf.partial_fit(X[20:], y[20:])
    assert pf.n_iter_ == 2 and len(pf.loss_curve_) == 2
    with pytest.raises(ValueError, match="not in classes_"):
        pf.partial_fit(X[:4], np.array([0, 1, 2, 1]))


@pytest.mark.parametrize("schedule", ["step", "exponential", "cosine", "plateau"])
def test_lr_schedules_change_the_learning_rate(schedule):
    X, y = make_3d()
    clf = LSTMClassifier(lr_schedule=schedule, **dict(TINY, max_epochs=9, lr=0.1)).fit(X, y)
    lrs = [g["lr"] for g in clf.net_.optimizer_.param_groups]
    if schedule == "plateau":
        assert lrs[0] <= 0.1
    else:
        assert lrs[0] < 0.1


@pytest.mark.parametrize("schedule", ["step", "exponential", "cosine", "plateau"])
def test_lr_schedule_goes_on_across_warm_start_fits(schedule):
    X, y = make_3d()
    kw = dict(TINY, lr=0.05, lr_schedule=schedule)
    one = LSTMClassifier(**dict(kw, max_epochs=8)).fit(X, y)
    split = LSTMClassifier(**dict(kw, max_epochs=4), lr_schedule_epochs=8,
                           warm_start=True).fit(X, y)
    copied = pickle.loads(pickle.dumps(split))  # e.g. sent to a worker process
    for est in (split, copied):
        est.set_params(max_epochs=2).fit(X, y)
        est.fit(X, y)
        lrs = [row["event_lr"] for row in est.net_.history]
        np.testing.assert_allclose(lrs, [row["event_lr"] for row in one.net_.history])
        np.testing.assert_allclose(est.loss_curve_, one.loss_curve_, rtol=1e-5)
        state = dict(est.net_.callbacks_)["lr_schedule"].lr_scheduler_.state_dict()
        expected = dict(one.net_.callbacks_)["lr_schedule"].lr_scheduler_.state_dict()
        assert state.keys() == expected.keys()
        for key in ("last_epoch", "num_bad_epochs", "best"):
            if key in expected:
                assert state[key] == pytest.approx(expected[key]), key
    # partial_fit: one epoch per call, one schedule
    pf = LSTMClassifier(**dict(kw, max_epochs=8))
    for _ in range(3):
        pf.partial_fit(X, y, classes=[0, 1])
    np.testing.assert_allclose([row["event_lr"] for row in pf.net_.history],
                               [row["event_lr"] for row in one.net_.history][:3])


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "sgd", "rmsprop", "adagrad",
                                       "adadelta", torch.optim.NAdam])
def test_optimizers(optimizer):
    X, y = make_3d()
    clf = LSTMClassifier(optimizer=optimizer, **TINY).fit(X, y)
    expected = optimizer if isinstance(optimizer, type) else None
    if expected is not None:
        assert isinstance(clf.net_.optimizer_, expected)


def test_gru_cell_and_clipping():
    X, y = make_3d()
    clf = LSTMRegressor(cell="gru", clip_grad_norm=0.5, num_layers=2, **TINY).fit(X, y)
    assert isinstance(clf.net_.module_.rnn, torch.nn.GRU)


def test_dropout_acts_for_one_layer():
    X, y = make_3d()
    clf = LSTMClassifier(dropout=0.5, **TINY).fit(X, y)
    module = clf.net_.module_
    assert module.dropout.p == 0.5
    module.train()
    with torch.no_grad():
        x = torch.from_numpy(X[:8]).to(next(module.parameters()).device)
        lengths = torch.full((8,), 10)
        assert not torch.equal(module(x, lengths), module(x, lengths))


def test_class_weight_shifts_predictions():
    X, y = make_3d(n=80)
    heavy = LSTMClassifier(class_weight={0: 100.0, 1: 0.01},
                           **dict(TINY, max_epochs=10, lr=0.05)).fit(X, y)
    assert np.mean(heavy.predict(X) == 0) > 0.9
    bal = LSTMClassifier(class_weight="balanced", **TINY).fit(X, y)
    assert bal.net_.criterion_.weight.shape == (2,)


# ------------------------------------------------------------- bad input
BAD_X = [
    ("nan", lambda X: np.where(np.arange(X.size).reshape(X.shape) == 5, np.nan, X),
     "NaN"),
    ("inf", lambda X: np.where(np.arange(X.size).reshape(X.shape) == 5, np.inf, X),
     "infinity"),
    ("empty", lambda X: X[:0], "0 sample"),
    ("4d", lambda X: X[..., None], "4 dimensions"),
    ("complex", lambda X: X.astype(np.complex64), "Complex data not supported"),
    ("strings", lambda X: np.where(np.arange(X.size).reshape(X.shape) == 3, "abc",
                                   X.astype(object)), "could not convert"),
    ("sparse", lambda X: sp.csr_matrix(X[:, :, 0]), "sparse"),
]


@pytest.mark.parametrize("name, corrupt, match", BAD_X, ids=[b[0] for b in BAD_X])
@pytest.mark.parametrize("Est", [LSTMClassifier, LSTMRegressor])
def test_bad_x_raises_value_error(Est, name, corrupt, match):
    X, y = make_3d()
    with pytest.raises(ValueError, match=match):
        Est(**TINY).fit(corrupt(X), y)


def test_ragged_bad_input():
    X, y = make_ragged(n=6)
    bad = list(X)
    bad[2] = np.ones((4, 3))
    with pytest.raises(ValueError, match="sequence 2 has 3 features but sequence 0 has 2"):
        LSTMClassifier(**TINY).fit(bad, y)
    bad = list(X)
    bad[1] = np.ones((0, 2))
    with pytest.raises(ValueError, match="sequence 1 has zero length"):
        LSTMClassifier(**TINY).fit(bad, y)
    bad = list(X)
    bad[3] = np.full((4, 2), np.nan)
    with pytest.raises(ValueError, match="NaN"):
        LSTMClassifier(**TINY).fit(bad, y)
    with pytest.raises(ValueError, match="empty list of sequences"):
        LSTMClassifier(**TINY).fit([], [])


def test_ragged_validation_direct_route(monkeypatch):
    # plain numeric sequences skip scikit-learn's check_array (half a
    # millisecond per call, once per sequence); anything else still gets
    # its checks and messages
    from sklstm import _data

    calls = []
    original = _data.check_array
    monkeypatch.setattr(
        _data, "check_array", lambda *a, **k: calls.append(1) or original(*a, **k)
    )
    seqs = [(np.arange(2 * n) % 3).astype(dtype).reshape(n, 2)
            for n, dtype in zip(range(1, 9), [np.float64, np.float32, np.int64, bool] * 2)]
    batch = _data.check_sequences(seqs)
    assert calls == []
    assert batch.values.dtype == np.float32
    assert batch.lengths.tolist() == list(range(1, 9))
    for seq, row, n in zip(seqs, batch.values, batch.lengths):
        np.testing.assert_array_equal(row[:n], seq.astype(np.float32))
    with_nan = seqs[:2] + [np.array([[1.0, np.nan]])]
    with pytest.raises(ValueError, match=r"Input X\[2\] contains NaN"):
        _data.check_sequences(with_nan)
    assert np.isnan(_data.check_sequences(with_nan, ensure_all_finite="allow-nan")
                    .values[2, 0, 1])
    with pytest.raises(ValueError, match=r"Input X\[0\] contains infinity"):
        _data.check_sequences([np.array([[np.inf, 1.0]])], ensure_all_finite="allow-nan")
    with pytest.raises(ValueError, match="could not convert string to float"):
        _data.check_sequences([np.ones((2, 2)), np.array([["a", "b"]])])
    with pytest.raises(ValueError, match=r"0 feature\(s\)"):
        _data.check_sequences([np.ones((3, 0))])


def test_feature_mismatch_at_predict():
    X, y = make_3d(f=3)
    clf = LSTMClassifier(**TINY).fit(X, y)
    with pytest.raises(ValueError, match="X has 2 features, but LSTMClassifier is expecting 3"):
        clf.predict(X[:, :, :2])
    with pytest.raises(ValueError, match="X has 2 features"):
        clf.predict([x[:, :2] for x in X])


def test_classifier_target_errors():
    X, y = make_3d()
    with pytest.raises(ValueError, match="Unknown label type"):
        LSTMClassifier(**TINY).fit(X, np.linspace(0, 1, len(X)))
    with pytest.raises(ValueError, match="only one class"):
        LSTMClassifier(**TINY).fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        LSTMClassifier(**TINY).fit(X, y[:-1])


def test_bad_hyperparameter_is_reported():
    X, y = make_3d()
    with pytest.raises(ValueError, match="'optimizer' parameter"):
        LSTMClassifier(optimizer="adamax", **TINY).fit(X, y)
    with pytest.raises(ValueError, match="'hidden_size' parameter"):
        LSTMClassifier(**dict(TINY, hidden_size=0)).fit(X, y)


def test_diverging_fit_names_epoch_and_lr():
    X, y = make_3d()
    X = X * 1e6
    with pytest.raises(ValueError, match=r"diverged at epoch \d+.*lower learning rate "
                                         r"\(lr=1000000.0") as info:
        LSTMRegressor(optimizer="sgd", lr=1e6, **dict(TINY, max_epochs=20)).fit(X, y * 1e6)
    # the regressor standardises its target itself: no advice to do it
    assert "TransformedTargetRegressor" not in str(info.value)


def test_verbose_levels(capsys):
    X, y = make_3d()
    LSTMClassifier(**TINY).fit(X, y)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
    # not a terminal here: one plain line per epoch instead of a redrawn bar
    LSTMClassifier(verbose=1, **TINY).fit(X, y)
    err = capsys.readouterr().err
    assert "epoch 1/3" in err and "epoch 3/3" in err and "train_loss" in err
    LSTMClassifier(verbose=2, **TINY).fit(X, y)
    assert "train_loss" in capsys.readouterr().out


def test_progress_bar_in_a_terminal():
    import io

    from sklstm._training import EpochProgress

    class FakeTTY(io.StringIO):
        def isatty(self):
            return True

    stream = FakeTTY()
    X, y = make_3d()
    clf = LSTMClassifier(**TINY)
    clf.fit(X, y)
    cb = EpochProgress(total=3, stream=stream)
    cb.on_train_begin(clf.net_)
    for _ in range(3):
        cb.on_epoch_end(clf.net_)
    cb.on_train_end(clf.net_)
    assert "3/3" in stream.getvalue() and "\r" in stream.getvalue()


def test_random_state_none_leaves_numpy_global_state_alone():
    X, y = make_3d()
    np.random.seed(5)
    before = np.random.get_state()[1].copy()
    a = LSTMClassifier(**dict(TINY, random_state=None)).fit(X, y).predict_proba(X)
    b = LSTMClassifier(**dict(TINY, random_state=None)).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(np.random.get_state()[1], before)
    assert not np.array_equal(a, b)  # fresh randomness each time


# ------------------------------------------------- common mistakes, clear errors
def test_numpy_integer_sizes_are_accepted():
    # e.g. a grid built with np.arange hands NumPy integers to set_params
    X, y = make_3d()
    clf = LSTMClassifier(**{**TINY, "hidden_size": np.int64(4),
                            "num_layers": np.int64(2)}).fit(X, y)
    assert clf.net_.module_.rnn.hidden_size == 4 and clf.net_.module_.rnn.num_layers == 2
    search = GridSearchCV(LSTMClassifier(**TINY), {"hidden_size": np.arange(2, 4)}, cv=2,
                          error_score="raise").fit(X, y)
    assert search.best_params_["hidden_size"] in (2, 3)
    tokens = np.random.RandomState(0).randint(1, 6, size=(40, 5))
    emb = LSTMClassifier(embedding_dim=np.int64(3), **TINY).fit(tokens, y)
    assert emb.net_.module_.embedding.embedding_dim == 3


@pytest.mark.parametrize("device, match", [
    ("gpu", "'gpu' is not a torch device"),
    ("CPU ", "is not a torch device"),
])
def test_bad_device_is_refused_clearly(device, match):
    X, y = make_3d()
    with pytest.raises(ValueError, match=match):
        LSTMClassifier(device=device, **TINY).fit(X, y)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_gpu_is_refused_clearly():
    X, y = make_3d()
    with pytest.raises(ValueError, match="torch sees none here.*device='auto'"):
        LSTMRegressor(device="cuda", **TINY).fit(X, y.astype(float))


@pytest.mark.parametrize("y_bad", [
    np.array(["a", np.nan] * 20, dtype=object),
    np.array(["a", None] * 20, dtype=object),
    np.array([0.0, np.nan] * 20),
], ids=["str-nan", "str-none", "float-nan"])
def test_missing_labels_are_refused_clearly(y_bad):
    X, _ = make_3d()
    with pytest.raises(ValueError, match=r"20 missing labels.*rows \[1, 3, 5,.*\.\.\.\]"):
        LSTMClassifier(**TINY).fit(X, y_bad)


def test_2d_input_to_a_sequence_model_says_how_to_pass_one_sequence():
    X, y = make_3d()
    clf = LSTMClassifier(**TINY).fit(X, y)
    with pytest.raises(ValueError, match=r"read as 10 univariate series.*X\[None\]"):
        clf.predict(X[0])
    with pytest.raises(ValueError, match=r"shape \(n_samples, n_timesteps, 2\)"):
        clf.predict(X[:, :, 0])


def test_class_weight_keys_must_be_classes():
    X, y = make_3d()
    with pytest.raises(ValueError, match=r"class_weight has keys \['0', '1'\].*\[0, 1\] have"):
        LSTMClassifier(class_weight={"0": 1, "1": 5}, **TINY).fit(X, y)
    with pytest.raises(ValueError, match=r"keys \[5\].*classes \[1\] have no weight"):
        LSTMClassifier(class_weight={0: 1, 5: 2}, **TINY).fit(X, y)
    clf = LSTMClassifier(class_weight={1: 5}, **TINY).fit(X, y)
    assert clf.net_.criterion_.weight.tolist() == [1.0, 5.0]
    # a key for a class this training set lacks (a CV fold, say) is fine
    clf = LSTMClassifier(class_weight={0: 1, 1: 3, 2: 5}, **TINY).fit(X, y)
    assert clf.net_.criterion_.weight.tolist() == [1.0, 3.0]


def test_optimizer_without_weight_decay():
    X, y = make_3d()
    # the default weight_decay=0 is not passed to an optimizer without it
    LSTMClassifier(optimizer=torch.optim.LBFGS, **TINY).fit(X, y)
    with pytest.raises(ValueError, match="LBFGS takes no weight_decay"):
        LSTMClassifier(optimizer=torch.optim.LBFGS, weight_decay=0.1, **TINY).fit(X, y)
    clf = LSTMClassifier(optimizer="adamw", weight_decay=0.05, **TINY).fit(X, y)
    assert clf.net_.optimizer_.param_groups[0]["weight_decay"] == 0.05


def test_partial_fit_classes_are_fixed_by_the_first_call():
    X, y = make_3d()
    clf = LSTMClassifier(**TINY).partial_fit(X, y, classes=[0, 1])
    clf.partial_fit(X, y, classes=[1, 0])  # the same set, in any order
    with pytest.raises(ValueError, match=r"classes=\[0, 1, 2\] is not the same"):
        clf.partial_fit(X, y, classes=[0, 1, 2])


def test_validation_fraction_leaving_nothing_to_train_on():
    X, y = make_3d()
    with pytest.raises(ValueError, match="validation_fraction=0.99 holds out 40 of 40"):
        LSTMClassifier(early_stopping=True, validation_fraction=0.99, **TINY).fit(X, y)


def test_uneven_time_steps_inside_a_sequence():
    X = [[[1.0, 2.0], [3.0]], [[1.0, 2.0], [3.0, 4.0]]] * 5
    y = np.array([0, 1] * 5)
    with pytest.raises(ValueError, match="sequence 0 could not be read.*different numbers"):
        LSTMClassifier(**TINY).fit(X, y)
    X = [np.ones((3, 2)), [[1.0, 2.0], [3.0]]] * 5
    with pytest.raises(ValueError, match="sequence 1 could not be read"):
        LSTMClassifier(**TINY).fit(X, y)


def test_huge_token_ids_are_refused_before_allocating():
    X = np.ones((10, 4), dtype=np.int64)
    X[3, 2] = 10**9
    y = np.array([0, 1] * 5)
    with pytest.raises(ValueError, match="largest token id is 1000000000.*re-encode"):
        LSTMClassifier(embedding_dim=2, **TINY).fit(X, y)


# ------------------------------------------------------------ torch threads
class _ThreadLog:
    """Records torch's thread count whenever the network runs forward."""

    def __init__(self, monkeypatch):
        self.seen = []
        from sklstm import _modules

        original = _modules.SequenceNet.forward
        log = self.seen

        def forward(module, *args, **kwargs):
            log.append(torch.get_num_threads())
            return original(module, *args, **kwargs)

        monkeypatch.setattr(_modules.SequenceNet, "forward", forward)


@pytest.fixture
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("cls", [LSTMClassifier, LSTMRegressor])
def test_small_fits_run_with_one_thread_and_restore_the_setting(cls, monkeypatch,
                                                                 two_threads):
    X, y = make_3d()
    log = _ThreadLog(monkeypatch)
    est = cls(**TINY).fit(X, y.astype(float) if cls is LSTMRegressor else y)
    assert set(log.seen) == {1} and torch.get_num_threads() == 2
    log.seen.clear()
    est.predict(X)
    assert set(log.seen) == {1} and torch.get_num_threads() == 2


def test_n_threads_int_none_and_large_work(monkeypatch, two_threads):
    from sklstm import _training

    X, y = make_3d()
    log = _ThreadLog(monkeypatch)
    LSTMClassifier(n_threads=None, **TINY).fit(X, y)
    assert set(log.seen) == {2}
    log.seen.clear()
    LSTMClassifier(n_threads=3, **TINY).fit(X, y).predict(X)
    assert set(log.seen) == {3} and torch.get_num_threads() == 2
    # above the work threshold "auto" keeps torch's setting ...
    monkeypatch.setattr(_training, "AUTO_THREADS_MIN_WORK", 0)
    log.seen.clear()
    LSTMClassifier(**TINY).fit(X, y)
    assert set(log.seen) == {2}
    # ... and never goes above it (a search's one thread per fit holds)
    torch.set_num_threads(1)
    log.seen.clear()
    LSTMClassifier(**TINY).fit(X, y)
    assert set(log.seen) == {1}


def test_thread_setting_is_restored_when_a_fit_fails(monkeypatch, two_threads):
    from sklstm import _modules

    def boom(module, *args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(_modules.SequenceNet, "forward", boom)
    with pytest.raises(RuntimeError, match="boom"):
        LSTMClassifier(n_threads=1, **TINY).fit(*make_3d())
    assert torch.get_num_threads() == 2


@pytest.mark.parametrize("bad", [0, -1, 1.5, "all"])
def test_invalid_n_threads_is_refused(bad):
    with pytest.raises(ValueError, match="n_threads"):
        LSTMClassifier(n_threads=bad, **TINY).fit(*make_3d())
