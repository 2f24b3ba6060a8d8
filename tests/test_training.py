"""The training loop's per-batch savings change no result.

The estimators train through skorch nets with a leaner per-batch path (see
``sklstm._training._LeanLoop``). Each case here trains once with it and once
with skorch's own ``NeuralNetClassifier`` / ``NeuralNetRegressor``, from the
same seed, and compares everything the fit records.
"""

import numpy as np
import pytest
import torch
from skorch import NeuralNetClassifier, NeuralNetRegressor
from skorch.callbacks import Callback

import sklstm._estimators as estimators
from sklstm import LSTMClassifier, LSTMRegressor
from sklstm._training import SequenceDataset, _batch_len, _overrides

TINY = dict(hidden_size=8, conv_filters=4, max_epochs=4, batch_size=16, random_state=0)


def _data(kind, seed=0):
    rng = np.random.RandomState(seed)
    if kind == "ragged":
        X = [rng.normal(size=(rng.randint(3, 12), 2)).astype(np.float32) for _ in range(40)]
        y = np.array([int(x[:, 0].mean() > 0) for x in X])
    else:
        X = rng.normal(size=(40, 10, 2)).astype(np.float32)
        y = (X[:, :, 0].mean(axis=1) > 0).astype(int)
    return X, y


#: case -> (estimator, parameters, fit keywords, input kind)
CASES = {
    "plain": (LSTMClassifier, {}, {}, "equal"),
    "dropout, two layers": (LSTMClassifier, dict(num_layers=2, dropout=0.4), {}, "equal"),
    # validation batches switch the network to evaluation mode every epoch
    "early stopping with dropout": (
        LSTMClassifier, dict(early_stopping=True, dropout=0.4, n_iter_no_change=10), {},
        "equal"),
    "gradient clipping": (LSTMClassifier, dict(clip_grad_norm=0.05, lr=0.05), {}, "equal"),
    "step schedule": (LSTMClassifier, dict(lr_schedule="step"), {}, "equal"),
    "sample weights": (
        LSTMClassifier, {}, dict(sample_weight=np.linspace(0, 1, 40)), "equal"),
    "ragged": (LSTMClassifier, {}, {}, "ragged"),
    "regressor": (LSTMRegressor, dict(lr_schedule="plateau"), {}, "equal"),
    "lbfgs (several loss evaluations per step)": (
        LSTMRegressor, dict(optimizer=torch.optim.LBFGS, lr=0.5, max_epochs=2), {}, "equal"),
}


def _fit(cls, params, fit_kw, kind):
    X, y = _data(kind)
    if cls is LSTMRegressor:
        y = np.asarray([np.mean(x) for x in X], dtype=np.float32)
    est = cls(**dict(TINY, **params)).fit(X, y, **fit_kw)
    return est, X


@pytest.mark.parametrize("case", list(CASES))
def test_lean_loop_trains_exactly_as_skorch_does(case, monkeypatch):
    cls, params, fit_kw, kind = CASES[case]
    lean, X = _fit(cls, params, fit_kw, kind)
    plain_classes = {NeuralNetClassifier, NeuralNetRegressor}
    assert type(lean.net_) not in plain_classes  # the lean net trained
    monkeypatch.setattr(estimators, "lean_net_class", lambda net_class: net_class)
    plain, _ = _fit(cls, params, fit_kw, kind)
    assert type(plain.net_) in plain_classes

    np.testing.assert_array_equal(lean.loss_curve_, plain.loss_curve_)
    np.testing.assert_array_equal(lean.predict(X), plain.predict(X))
    lean_rows, plain_rows = lean.net_.history, plain.net_.history
    assert len(lean_rows) == len(plain_rows)
    for a, b in zip(lean_rows, plain_rows):
        # every column, per epoch and per batch, except the timings
        assert set(a) == set(b)
        for key in set(a) - {"dur", "batches"}:
            assert a[key] == pytest.approx(b[key]), key
        assert [sorted(x) for x in a["batches"]] == [sorted(x) for x in b["batches"]]
        for x, z in zip(a["batches"], b["batches"]):
            assert x == pytest.approx(z)
    if params.get("early_stopping"):
        np.testing.assert_array_equal(lean.validation_scores_, plain.validation_scores_)


def test_lean_loop_calls_every_callback_that_has_a_hook():
    """A callback hook is skipped only where it is skorch's empty default."""
    class OnBatch(Callback):
        def on_batch_end(self, net, **kwargs):
            pass

    assert _overrides(OnBatch(), "on_batch_end")
    assert not _overrides(OnBatch(), "on_batch_begin")
    assert not _overrides(Callback(), "on_grad_computed")

    X, y = _data("equal")
    est = LSTMClassifier(**TINY).fit(X, y)
    calls = []

    class Counter(Callback):
        def on_batch_begin(self, net, training=False, **kwargs):
            calls.append(("begin", training))

        def on_grad_computed(self, net, named_parameters, **kwargs):
            calls.append(("grad", len(list(named_parameters))))

        def on_batch_end(self, net, training=False, loss=None, **kwargs):
            calls.append(("end", training, loss is not None))

    est.net_.callbacks_.append(("counter", Counter()))
    est.net_.partial_fit(_dataset(X, y), epochs=1)
    n_params = len(list(est.net_.module_.parameters()))
    assert calls == [("begin", True), ("grad", n_params), ("end", True, True)] * 3


def test_batch_size_of_any_batch():
    """Batches of the estimators' own form are read directly; any other
    form goes to skorch's ``get_len``, as skorch's loop does."""
    x = torch.zeros(5, 7, 2)
    assert _batch_len(({"x": x, "lengths": torch.full((5,), 7)}, torch.zeros(5))) == 5
    assert _batch_len((x, torch.zeros(5))) == 5
    assert _batch_len(({"ids": torch.zeros(3, 4)}, None)) == 3
    with pytest.raises(ValueError):  # skorch's own check of unequal lengths
        _batch_len(({"a": torch.zeros(3), "b": torch.zeros(4)}, None))


def _dataset(X, y):
    return SequenceDataset(X, np.full(len(X), X.shape[1]), y)
