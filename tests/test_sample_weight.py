"""sample_weight: a weighted loss that counts a sample as often as its weight.

In a full batch (``batch_size >= n``) with a deterministic optimizer, a
weight of 2 must give the fit of a duplicated row and a weight of 0 the fit
without the row, up to float32 rounding. The convolutional branch's batch
statistics are weighted too, so this holds for the default architecture.
"""

import numpy as np
import pytest
import sklearn
from sklearn.model_selection import KFold, cross_validate
from sklearn.pipeline import make_pipeline

from sklstm import BayesSearchCV, GeneticSearchCV, LSTMClassifier, LSTMRegressor
from sklstm.preprocessing import SequenceScaler

FULL_BATCH = dict(hidden_size=8, conv_filters=4, max_epochs=4, batch_size=256,
                  random_state=0)


def _data(n=24, steps=12, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, steps, 2)).astype(np.float32)
    y_clf = (X[:, :, 0].mean(axis=1) > 0).astype(int)
    y_reg = X[:, :, 1].mean(axis=1) + 0.5 * X[:, :, 0].std(axis=1)
    w = rng.randint(0, 4, size=n)
    w[:2] = [1, 2]  # at least one kept row and one doubled row
    return X, y_clf, y_reg, w


def _outputs(est, X):
    if hasattr(est, "predict_proba"):
        return est.predict_proba(X)
    return est.predict(X)


@pytest.mark.parametrize("Est", [LSTMClassifier, LSTMRegressor])
@pytest.mark.parametrize("config", [
    # the default architecture (convolutional branch, attention, patches)
    # with SGD: every gradient is the duplicated fit's up to rounding
    dict(optimizer="sgd", lr=0.05),
    # Adam on the recurrent network alone
    dict(conv_filters=0, pooling="last", lr_schedule=None),
])
def test_integer_weights_equal_repeated_rows(Est, config):
    X, y_clf, y_reg, w = _data()
    y = y_clf if Est is LSTMClassifier else y_reg
    params = dict(FULL_BATCH, **config)
    weighted = Est(**params).fit(X, y, sample_weight=w)
    repeated = Est(**params).fit(X.repeat(w, axis=0), y.repeat(w))
    np.testing.assert_allclose(_outputs(weighted, X), _outputs(repeated, X), atol=1e-5)
    np.testing.assert_allclose(weighted.loss_curve_, repeated.loss_curve_, rtol=1e-5)
    # and the weights changed the fit
    plain = Est(**params).fit(X, y)
    assert np.abs(_outputs(plain, X) - _outputs(weighted, X)).max() > 1e-3


def test_zero_weights_equal_removed_rows_ragged():
    X, y, _, _ = _data(n=30)
    seqs = [x[: 6 + i % 7] for i, x in enumerate(X)]
    w = np.ones(len(seqs))
    w[::3] = 0
    params = dict(FULL_BATCH, optimizer="sgd", lr=0.05)
    weighted = LSTMClassifier(**params).fit(seqs, y, sample_weight=w)
    kept = [s for s, wi in zip(seqs, w) if wi > 0]
    removed = LSTMClassifier(**params).fit(kept, y[w > 0])
    np.testing.assert_allclose(weighted.predict_proba(seqs), removed.predict_proba(seqs),
                               atol=1e-5)


def test_partial_fit_takes_weights():
    X, y, _, w = _data()
    params = dict(FULL_BATCH, optimizer="sgd", lr=0.05)
    a, b = LSTMClassifier(**params), LSTMClassifier(**params)
    for _ in range(2):
        a.partial_fit(X, y, classes=[0, 1], sample_weight=w)
        b.partial_fit(X.repeat(w, axis=0), y.repeat(w), classes=[0, 1])
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), atol=1e-5)
    r = LSTMRegressor(**params).partial_fit(X, X[:, 0, 0], sample_weight=w)
    assert r.n_iter_ == 1


@pytest.mark.parametrize("Est", [LSTMClassifier, LSTMRegressor])
def test_equal_weights_are_the_unweighted_fit(Est):
    X, y_clf, y_reg, _ = _data()
    y = y_clf if Est is LSTMClassifier else y_reg
    params = dict(FULL_BATCH, batch_size=8)  # minibatches, shuffled
    plain = Est(**params).fit(X, y)
    for weights in (np.ones(len(X)), np.full(len(X), 3.0), 2.5):
        same = Est(**params).fit(X, y, sample_weight=weights)
        np.testing.assert_array_equal(_outputs(same, X), _outputs(plain, X))


def test_weights_with_minibatches_and_early_stopping():
    X, y, _, w = _data(n=40)
    clf = LSTMClassifier(**dict(FULL_BATCH, batch_size=8, early_stopping=True,
                                n_iter_no_change=2, max_epochs=5))
    clf.fit(X, y, sample_weight=w)
    assert len(clf.validation_scores_) == clf.n_iter_ >= 1
    assert np.isfinite(clf.loss_curve_).all()
    # a batch that draws only zero weights adds nothing (no NaN)
    w0 = np.zeros(len(X))
    w0[:3] = 1
    w0[20:23] = 1
    LSTMClassifier(**dict(FULL_BATCH, batch_size=2)).fit(X, y, sample_weight=w0)


def test_class_weight_and_sample_weight_combine():
    X, y, _, w = _data()
    params = dict(FULL_BATCH, optimizer="sgd", lr=0.05)
    cw = {0: 1.0, 1: 3.0}
    a = LSTMClassifier(class_weight=cw, **params).fit(X, y, sample_weight=w)
    b = LSTMClassifier(class_weight=cw, **params).fit(X.repeat(w, axis=0), y.repeat(w))
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), atol=1e-5)


@pytest.mark.parametrize("weights, match", [
    (np.ones(5), "5 weights but X has 24"),
    (np.ones((24, 2)), "must be 1-D"),
    (np.r_[np.ones(23), np.nan], "NaN or inf"),
    (np.r_[np.ones(23), -1.0], "negative weight"),
    (np.zeros(24), "at least one non-zero"),
    (np.array(["a"] * 24), "must hold numbers"),
])
def test_bad_weights_are_refused(weights, match):
    X, y, _, _ = _data()
    with pytest.raises(ValueError, match=match):
        LSTMClassifier(**FULL_BATCH).fit(X, y, sample_weight=weights)


def test_weights_that_leave_one_class_are_refused():
    X, y, _, _ = _data()
    with pytest.raises(ValueError, match="only one class"):
        LSTMClassifier(**FULL_BATCH).fit(X, y, sample_weight=(y == 1).astype(float))


# -- routing -------------------------------------------------------------------

class WeightRecorder(LSTMClassifier):
    """Records the number of weights every fit receives (in this process)."""

    calls = []

    def fit(self, X, y, sample_weight=None):
        WeightRecorder.calls.append(None if sample_weight is None else len(sample_weight))
        return super().fit(X, y, sample_weight=sample_weight)


def test_pipeline_and_cross_validate_route_weights():
    X, y, _, w = _data(n=30)
    pipe = make_pipeline(SequenceScaler(), LSTMClassifier(**FULL_BATCH))
    direct = LSTMClassifier(**FULL_BATCH).fit(SequenceScaler().fit_transform(X), y,
                                              sample_weight=w)
    pipe.fit(X, y, lstmclassifier__sample_weight=w)
    np.testing.assert_array_equal(pipe.predict_proba(X),
                                  direct.predict_proba(SequenceScaler().fit_transform(X)))
    cv = KFold(3)
    weighted = cross_validate(pipe, X, y, cv=cv, return_estimator=True,
                              params={"lstmclassifier__sample_weight": w})
    plain = cross_validate(pipe, X, y, cv=cv, return_estimator=True)
    for a, b in zip(weighted["estimator"], plain["estimator"]):
        assert np.abs(a.predict_proba(X) - b.predict_proba(X)).max() > 1e-5
    # by hand: each fold's fit gets its own rows' weights
    for (train, test), score in zip(cv.split(X), weighted["test_score"]):
        model = sklearn.base.clone(pipe).fit(X[train], y[train],
                                             lstmclassifier__sample_weight=w[train])
        assert model.score(X[test], y[test]) == score


@pytest.mark.parametrize("Search", [BayesSearchCV, GeneticSearchCV])
def test_searchers_route_weights_with_metadata_routing(Search):
    X, y, _, w = _data(n=30)
    space = {"hidden_size": [4, 8]}
    extra = ({"n_iter": 2} if Search is BayesSearchCV
             else {"population_size": 2, "n_generations": 0})
    with sklearn.config_context(enable_metadata_routing=True):
        est = (LSTMClassifier(**FULL_BATCH).set_fit_request(sample_weight=True)
               .set_score_request(sample_weight=False))
        search = Search(est, space, cv=KFold(2), refit=True, random_state=0, **extra)
        search.fit(X, y, sample_weight=w)
        for i, params in enumerate(search.cv_results_["params"]):
            manual = cross_validate(sklearn.base.clone(est).set_params(**params), X, y,
                                    cv=KFold(2), params={"sample_weight": w})
            for k in range(2):
                assert search.cv_results_[f"split{k}_test_score"][i] == \
                    manual["test_score"][k]
        refit = LSTMClassifier(**FULL_BATCH).set_params(**search.best_params_)
        refit.fit(X, y, sample_weight=w)
        np.testing.assert_array_equal(search.predict_proba(X), refit.predict_proba(X))


def test_multi_fidelity_rungs_keep_the_weights():
    X, y, _, w = _data(n=30)
    WeightRecorder.calls = []
    pipe = make_pipeline(SequenceScaler(), WeightRecorder(**dict(FULL_BATCH, max_epochs=4)))
    search = GeneticSearchCV(
        pipe, {"weightrecorder__hidden_size": [4, 8, 12, 16]},
        population_size=4, n_generations=0, cv=KFold(2), n_jobs=1, random_state=0,
        resource="max_epochs", min_resource=1, reduction_factor=2,
        rescore_top=0, prefer_estimator=False,
    )
    search.fit(X, y, weightrecorder__sample_weight=w)
    # every fold fit and every continued rung received the fold's 15 weights;
    # the refit all 30
    assert WeightRecorder.calls and set(WeightRecorder.calls[:-1]) == {15}
    assert WeightRecorder.calls[-1] == 30
    assert max(search.cv_results_["n_resources"]) == 4
    # 4 candidates x 2 folds on the first rung, then the promoted ones continue
    assert len(WeightRecorder.calls) - 1 > 4 * 2
