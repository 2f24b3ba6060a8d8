"""Reliability of the estimators: interrupts, threads, inputs left alone."""

import os
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback

from sklstm import LSTMClassifier, LSTMRegressor
from sklstm import _training

TINY = dict(hidden_size=4, conv_filters=4, max_epochs=3, batch_size=8, random_state=0)


def make_3d(n=24, t=6, f=2, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, t, f)).astype(np.float32)
    y = (X[:, :, 0].mean(axis=1) > 0).astype(int)
    return X, y


# ---------------------------------------------------------------- interrupts
def _interrupt_at(monkeypatch, hook, when):
    """Make DivergenceGuard's ``hook`` raise KeyboardInterrupt on call ``when``.

    skorch runs callbacks inside the loop that catches KeyboardInterrupt, so
    this is what a Ctrl-C at that moment does.
    """
    calls = []
    original = getattr(_training.DivergenceGuard, hook, Callback.on_epoch_end)

    def interrupting(self, net, **kwargs):
        calls.append(1)
        if len(calls) == when:
            raise KeyboardInterrupt
        return original(self, net, **kwargs)

    monkeypatch.setattr(_training.DivergenceGuard, hook, interrupting)


@pytest.mark.parametrize("hook, when", [
    ("on_batch_end", 4),  # in the middle of the second epoch
    ("on_epoch_end", 1),  # between the first and the second epoch
])
@pytest.mark.parametrize("early_stopping", [False, True])
def test_interrupt_during_fit_propagates(monkeypatch, hook, when, early_stopping):
    X, y = make_3d()
    _interrupt_at(monkeypatch, hook, when)
    clf = LSTMClassifier(**dict(TINY, max_epochs=5), early_stopping=early_stopping)
    with pytest.raises(KeyboardInterrupt, match=r"interrupted after [01] of 5 epoch"):
        clf.fit(X, y)


@pytest.mark.parametrize("early_stopping", [False, True])
def test_interrupt_in_the_last_epochs_end_hooks_propagates(monkeypatch, early_stopping):
    # the last epoch's history row is complete when its on_epoch_end hooks
    # run; skorch swallows a Ctrl-C there all the same, and fit must not
    # return as if nothing happened
    X, y = make_3d()
    _interrupt_at(monkeypatch, "on_epoch_end", 3)
    clf = LSTMClassifier(**TINY, early_stopping=early_stopping, n_iter_no_change=50)
    with pytest.raises(KeyboardInterrupt, match=r"interrupted after 3 of 3 epoch"):
        clf.fit(X, y)


def test_interrupt_during_partial_fit_propagates(monkeypatch):
    X, y = make_3d()
    reg = LSTMRegressor(**TINY).partial_fit(X, y.astype(float))
    _interrupt_at(monkeypatch, "on_batch_end", 2)
    with pytest.raises(KeyboardInterrupt):
        reg.partial_fit(X, y.astype(float))


def test_early_stopping_is_not_an_interrupt():
    X, y = make_3d()
    clf = LSTMClassifier(**dict(TINY, max_epochs=40), early_stopping=True,
                         n_iter_no_change=1, tol=10.0).fit(X, y)
    assert clf.n_iter_ < 40


def test_sigint_during_fit_raises_keyboard_interrupt():
    # the real thing, in a child process: Ctrl-C while the network trains
    code = textwrap.dedent("""
        import os, signal, sys, threading
        import numpy as np
        from sklstm import LSTMClassifier
        # Ctrl-C may be ignored where the suite runs in the background
        signal.signal(signal.SIGINT, signal.default_int_handler)
        rng = np.random.RandomState(0)
        X = rng.normal(size=(20, 5, 1)).astype("float32")
        y = np.arange(20) % 2
        clf = LSTMClassifier(hidden_size=4, max_epochs=100000, random_state=0)
        threading.Timer(2.0, os.kill, (os.getpid(), signal.SIGINT)).start()
        try:
            clf.fit(X, y)
        except KeyboardInterrupt as exc:
            print("KeyboardInterrupt:", exc)
            sys.exit(3)
        except BaseException as exc:
            print("other:", type(exc).__name__, exc)
            sys.exit(4)
    """)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    child = subprocess.run([sys.executable, "-c", code], capture_output=True,
                           text=True, timeout=120, env=env)
    # (skorch used to swallow it, and the fit failed with a KeyError)
    assert child.returncode == 3, child.stdout + child.stderr


# ------------------------------------------------------------------ threads
def _fit_proba(rs, X, y):
    clf = LSTMClassifier(hidden_size=8, max_epochs=3, dropout=0.3, batch_size=8,
                         random_state=rs)
    return clf.fit(X, y).predict_proba(X)


def test_fits_in_threads_equal_serial_fits_and_keep_the_global_rng():
    X, y = make_3d()
    torch.manual_seed(123)
    state = torch.get_rng_state()
    serial = [_fit_proba(rs, X, y) for rs in range(4)]
    assert torch.equal(torch.get_rng_state(), state)
    with ThreadPoolExecutor(2) as pool:
        threaded = list(pool.map(lambda rs: _fit_proba(rs, X, y), range(4)))
    for a, b in zip(serial, threaded):
        np.testing.assert_array_equal(a, b)
    assert torch.equal(torch.get_rng_state(), state)


def test_rng_lock_is_reentrant():
    # a fit that trains another estimator inside it must not deadlock
    with _training.TORCH_RNG_LOCK:
        X, y = make_3d()
        LSTMClassifier(**TINY).fit(X, y)


def test_search_under_the_threading_backend_equals_the_serial_search():
    from joblib import parallel_backend

    from sklstm.search import GeneticSearchCV

    X, y = make_3d()

    def search(n_jobs):
        est = LSTMClassifier(hidden_size=4, max_epochs=2, dropout=0.3, batch_size=8)
        return GeneticSearchCV(
            est, {"hidden_size": [4, 6], "lr": (1e-3, 1e-1, "log-uniform")},
            population_size=3, n_generations=1, cv=2, random_state=0,
            n_jobs=n_jobs, refit=False,
        ).fit(X, y)

    torch.manual_seed(7)
    state = torch.get_rng_state()
    serial = search(1)
    with parallel_backend("threading", n_jobs=2):
        threaded = search(2)
    assert threaded.cv_results_["params"] == serial.cv_results_["params"]
    np.testing.assert_array_equal(threaded.cv_results_["mean_test_score"],
                                  serial.cv_results_["mean_test_score"])
    assert torch.equal(torch.get_rng_state(), state)


# ------------------------------------------------------------- inputs kept
def test_predict_on_token_ids_leaves_the_input_alone():
    rng = np.random.RandomState(0)
    X = rng.randint(1, 6, size=(20, 5)).astype(np.int64)
    y = np.arange(20) % 2
    clf = LSTMClassifier(**TINY, embedding_dim=3).fit(X, y)
    unseen = X.copy()
    unseen[0, :2] = [50, 99]  # ids beyond the vocabulary learned in fit
    kept = unseen.copy()
    expected = clf.predict_proba(np.where(unseen >= clf.n_tokens_, 1, unseen))
    np.testing.assert_allclose(clf.predict_proba(unseen), expected)
    np.testing.assert_array_equal(unseen, kept)
    unseen.setflags(write=False)  # a read-only array is fine too
    np.testing.assert_allclose(clf.predict_proba(unseen), expected)


@pytest.mark.parametrize("embedding_dim", [None, 3])
def test_fit_and_predict_accept_read_only_input(embedding_dim):
    rng = np.random.RandomState(0)
    if embedding_dim:
        X = rng.randint(1, 6, size=(20, 5)).astype(np.int64)
    else:
        X = rng.normal(size=(20, 5, 2)).astype(np.float32)
    y = np.arange(20) % 2
    kept = X.copy()
    X.setflags(write=False)
    clf = LSTMClassifier(**TINY, embedding_dim=embedding_dim).fit(X, y)
    clf.predict(X)
    np.testing.assert_array_equal(X, kept)


@pytest.mark.parametrize("make", ["SequenceScaler", "PerTimestepTransformer",
                                  "SequencePadder"])
@pytest.mark.parametrize("layout", ["2d", "3d", "ragged"])
def test_transformers_leave_read_only_input_alone(make, layout):
    from sklstm import preprocessing

    rng = np.random.RandomState(0)
    if layout == "2d":
        X = rng.normal(size=(6, 5))
    elif layout == "3d":
        X = rng.normal(size=(6, 5, 2))
    else:
        X = [rng.normal(size=(n, 2)) for n in (3, 5, 4)]
    arrays = [X] if layout != "ragged" else X
    kept = [a.copy() for a in arrays]
    for a in arrays:
        a.setflags(write=False)
    step = getattr(preprocessing, make)()
    out = step.fit_transform(X)
    if hasattr(step, "inverse_transform"):
        step.inverse_transform(out)
    for a, b in zip(arrays, kept):
        np.testing.assert_array_equal(a, b)


# ----------------------------------------------------------------- blow-ups
@pytest.mark.parametrize("Est", [LSTMClassifier, LSTMRegressor])
def test_a_finite_blow_up_stops_training_with_a_clear_error(Est):
    X, y = make_3d()
    y = y if Est is LSTMClassifier else y.astype(float)
    est = Est(hidden_size=8, max_epochs=5, batch_size=8, lr=1e6, random_state=0)
    with pytest.raises(_training.DivergedError, match="blew up from .* lower learning"):
        est.fit(X, y)


@pytest.mark.parametrize("Est", [LSTMClassifier, LSTMRegressor])
def test_a_bumpy_but_sane_fit_is_not_a_blow_up(Est):
    X, y = make_3d()
    y = y if Est is LSTMClassifier else y.astype(float)
    # the plain recurrent net at lr=1.0: its loss rises some 45x, a bumpy fit
    # (with the convolutional branch the same lr really blows up)
    est = Est(hidden_size=8, max_epochs=5, batch_size=8, lr=1.0, random_state=0,
              conv_filters=0, pooling="last", patch_size=1)
    est.fit(X, y)
    assert max(est.loss_curve_) > est.net_.history[0, "batches"][0]["train_loss"]


# -------------------------------------------------------- transformer memory
def _ragged(n, low=10, high=500, n_features=4, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((t, n_features), dtype=np.float32)
            for t in rng.integers(low, high + 1, size=n)]


def _peak(call):
    """Bytes allocated by ``call`` at its peak, above what was live before."""
    import gc
    import tracemalloc

    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        call()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def test_transformers_stay_within_twice_the_data_on_ragged_input():
    from sklstm.preprocessing import PerTimestepTransformer, SequencePadder, SequenceScaler

    X = _ragged(1500)
    data = sum(x.nbytes for x in X)
    for method in ("standard", "minmax"):
        scaler = SequenceScaler(method=method)
        assert _peak(lambda: scaler.fit(X)) < 2 * data
        assert _peak(lambda: scaler.transform(X)) < 2 * data
        out = scaler.transform(X)
        assert _peak(lambda: scaler.inverse_transform(out)) < 2 * data
    step = PerTimestepTransformer().fit(X)
    assert _peak(lambda: step.transform(X)) < 2 * data
    padder = SequencePadder(padding="post").fit(X)
    padded_size = len(X) * padder.max_len_ * 4 * 4
    # the output itself is padded; nothing more than it is needed
    assert _peak(lambda: padder.transform(X)) < 1.2 * padded_size


def _padded_float64_reference(X):
    from sklstm._data import pad_sequences

    values, lengths = pad_sequences(X)
    mask = np.arange(values.shape[1])[None, :] < lengths[:, None]
    rows = values[mask].astype(np.float64)
    mean, var = rows.mean(axis=0), rows.var(axis=0)
    out = ((values - mean) / np.sqrt(var)).astype(np.float32)
    return mean, var, rows.min(axis=0), rows.max(axis=0), [
        o[:n] for o, n in zip(out, lengths)]


@pytest.mark.parametrize("block_rows", [None, 7, 500])
def test_blockwise_scaling_equals_scaling_the_padded_data(monkeypatch, block_rows):
    from sklstm import preprocessing
    from sklstm.preprocessing import _sequence

    if block_rows is not None:  # many block boundaries, inside and between sequences
        monkeypatch.setattr(_sequence, "_BLOCK_ROWS", block_rows)
    X = _ragged(60, low=1, high=40, seed=1)
    mean, var, low, high, out = _padded_float64_reference(X)
    scaler = preprocessing.SequenceScaler().fit(X)
    np.testing.assert_allclose(scaler.mean_, mean, rtol=1e-12)
    np.testing.assert_allclose(scaler.var_, var, rtol=1e-12)
    for a, b in zip(scaler.transform(X), out):
        np.testing.assert_array_equal(a, b)
    back = scaler.inverse_transform(scaler.transform(X))
    for a, b in zip(back, X):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    minmax = preprocessing.SequenceScaler(method="minmax").fit(X)
    np.testing.assert_array_equal(minmax.data_min_, low)
    np.testing.assert_array_equal(minmax.data_max_, high)
    # arrays are worked through block by block as well
    arr = np.stack([x[:1] for x in X])
    np.testing.assert_array_equal(scaler.transform(arr),
                                  ((arr - scaler.mean_) / scaler.scale_).astype(np.float32))


def test_univariate_sequences_come_back_one_dimensional(monkeypatch):
    from sklstm import preprocessing
    from sklstm.preprocessing import _sequence

    monkeypatch.setattr(_sequence, "_BLOCK_ROWS", 5)
    X = [np.arange(n, dtype=float) for n in (3, 8, 2)] + [np.ones((4, 1))]
    for step in (preprocessing.SequenceScaler(), preprocessing.PerTimestepTransformer()):
        out = step.fit_transform(X)
        assert [o.shape for o in out] == [(3,), (8,), (2,), (4, 1)]
        assert all(o.dtype == np.float32 and o.flags.c_contiguous for o in out)


# -------------------------------------------------------------- odd input
def test_a_pandas_series_of_sequences_is_a_list_of_sequences():
    pd = pytest.importorskip("pandas")
    from sklstm.preprocessing import SequenceScaler

    rng = np.random.RandomState(0)
    seqs = [rng.normal(size=(n, 2)) for n in (3, 5, 4, 6)] * 3
    y = np.arange(len(seqs)) % 2
    # a non-default index: items are taken in order, not by label
    series = pd.Series(seqs, index=np.arange(len(seqs))[::-1] + 100)
    clf = LSTMClassifier(**TINY).fit(series, y)
    np.testing.assert_array_equal(clf.predict_proba(series), clf.predict_proba(seqs))
    out = SequenceScaler().fit(series).transform(series)
    for a, b in zip(out, SequenceScaler().fit(seqs).transform(seqs)):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="Expected 2D array"):
        LSTMClassifier(**TINY).fit(pd.Series([1.0, 2.0]), [0, 1])  # numbers: 1-D


def test_a_polars_series_of_sequences_is_a_list_of_sequences():
    pl = pytest.importorskip("polars")
    seqs = [[0.0, 1.0, 2.0], [1.0, 0.0], [2.0, 2.0, 1.0, 0.0]] * 4
    y = np.arange(len(seqs)) % 2
    clf = LSTMClassifier(**TINY).fit(pl.Series(seqs), y)
    np.testing.assert_array_equal(
        clf.predict_proba(pl.Series(seqs)),
        clf.predict_proba([np.asarray(s) for s in seqs]))


def test_masked_values_are_refused_not_ignored():
    X, y = make_3d()
    masked = np.ma.masked_array(X, mask=np.zeros(X.shape, dtype=bool))
    clf = LSTMClassifier(**TINY).fit(masked, y)  # nothing masked: fine
    masked[0, 2, 1] = np.ma.masked
    with pytest.raises(ValueError, match="masked array with 1 masked value.*filled"):
        LSTMClassifier(**TINY).fit(masked, y)
    with pytest.raises(ValueError, match="masked"):
        clf.predict(masked)
    with pytest.raises(ValueError, match=r"X\[1\] is a masked array"):
        clf.predict([X[0], masked[0]])
    with pytest.raises(ValueError, match="masked"):
        LSTMClassifier(**TINY).fit(masked[:, :, 1], y)  # the 2-D route too
    from sklstm.preprocessing import SequenceScaler

    with pytest.raises(ValueError, match="masked"):
        SequenceScaler().fit(masked)


def test_fit_transform_of_texts_from_a_generator():
    from sklstm.preprocessing import TextToSequences

    texts = ["a good film", "a bad film", "good"]
    ids = TextToSequences().fit_transform(t for t in texts)
    np.testing.assert_array_equal(ids, TextToSequences().fit(texts).transform(texts))


def test_texts_are_unicode_normalised():
    from sklstm.preprocessing import TextToSequences

    nfc, nfd = "caf\u00e9", "cafe\u0301"  # the same word, two encodings
    tts = TextToSequences().fit([nfc + " noir", "the " + nfd])
    assert tts.transform([nfc])[0, 0] == tts.transform([nfd])[0, 0]
    assert len(tts.vocabulary_) == 3
    raw = TextToSequences(normalization=None).fit([nfc, nfd])
    assert len(raw.vocabulary_) == 2
    assert TextToSequences(normalization="NFKC").fit(["\ufb01ne"]).vocabulary_ == {"fine": 2}


def test_absurd_network_sizes_are_refused_before_allocating():
    X, y = make_3d()
    with pytest.raises(ValueError, match=r"4,000,\d{3},\d{3},\d{3} parameters.*"
                                         r"hidden_size=1000000.*Lower hidden_size"):
        LSTMClassifier(hidden_size=10**6, max_epochs=1).fit(X, y)
    state = torch.get_rng_state()
    LSTMClassifier(**TINY).fit(X, y)  # an ordinary size is fine
    assert torch.equal(torch.get_rng_state(), state)


@pytest.mark.parametrize("device, match", [
    ("meta", "holds no data"),
    ("mps", "Metal|cannot train"),
    ("xla", "device type 'xla'"),
])
def test_unsupported_devices_are_refused_clearly(device, match):
    if device == "mps" and torch.backends.mps.is_available():  # pragma: no cover
        pytest.skip("this machine has MPS")
    X, y = make_3d()
    with pytest.raises(ValueError, match=match):
        LSTMClassifier(**TINY, device=device).fit(X, y)


@pytest.mark.parametrize("weight", [-1.0, float("nan"), float("inf"), "1"])
def test_class_weights_must_be_finite_and_non_negative(weight):
    X, y = make_3d()
    with pytest.raises(ValueError, match="class_weight has weights.*>= 0"):
        LSTMClassifier(**TINY, class_weight={0: weight, 1: 1.0}).fit(X, y)
    LSTMClassifier(**TINY, class_weight={0: 0.0, 1: 2.0}).fit(X, y)  # zero is fine


@pytest.mark.parametrize("layout", ["3d", "2d", "ragged"])
def test_input_too_large_for_float32_is_refused(layout):
    # finite in float32, but squares overflow and the gates saturate: such a
    # fit used to train without learning anything and without an error
    X, y = make_3d()
    huge = X * 1e30
    if layout == "2d":
        huge = huge[:, :, 0]
    elif layout == "ragged":
        huge = list(huge)
    with pytest.raises(ValueError, match=r"as large as [0-9.]+e\+30 in magnitude.*"
                                         r"SequenceScaler"):
        LSTMClassifier(**TINY).fit(huge, y)
    clf = LSTMClassifier(**dict(TINY, max_epochs=1)).fit(X, y)
    with pytest.raises(ValueError, match="as large as"):
        clf.predict(X * 1e30)


def test_scaling_huge_input_in_a_pipeline_trains():
    from sklearn.pipeline import make_pipeline

    from sklstm.preprocessing import SequenceScaler

    X, y = make_3d()
    pipe = make_pipeline(SequenceScaler(), LSTMClassifier(**dict(TINY, max_epochs=1)))
    pipe.fit(X * 1e30, y)
    np.testing.assert_allclose(pipe[0].transform(X * 1e30), pipe[0].fit(X).transform(X),
                               rtol=1e-4, atol=1e-4)


def test_interrupt_in_the_last_epochs_end_hooks_stops_a_serial_search(monkeypatch):
    from sklstm import GeneticSearchCV

    X, y = make_3d()
    _interrupt_at(monkeypatch, "on_epoch_end", 2)  # the first fit's last epoch
    search = GeneticSearchCV(LSTMClassifier(**dict(TINY, max_epochs=2)),
                             {"hidden_size": [3, 4]}, population_size=2,
                             n_generations=1, cv=2, random_state=0)
    with pytest.raises(KeyboardInterrupt, match="interrupted after 2 of 2 epoch"):
        search.fit(X, y)
    assert not hasattr(search, "cv_results_")
