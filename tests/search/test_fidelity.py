"""Multi-fidelity search: successive halving over LSTM training epochs."""

import math
import warnings

import numpy as np
import pytest
import torch
from joblib import parallel_backend
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline

from sklstm import LSTMClassifier, LSTMRegressor
from sklstm.search import BayesSearchCV, GeneticSearchCV
from sklstm.search import _bayes, _genetic
from sklstm.search._fidelity import _SuccessiveHalving, rung_resources

torch.set_num_threads(1)

KINDS = ["bayes", "genetic"]
SPACE = {"lr": (1e-3, 1e-1, "log-uniform")}


def _data(n=40, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, 6, 2).astype("float32")
    y = (X[:, :, 0].mean(axis=1) > 0).astype(int)
    return X, y


X, y = _data()


def _lstm(**kwargs):
    kwargs.setdefault("hidden_size", 4)
    kwargs.setdefault("conv_filters", 4)
    kwargs.setdefault("max_epochs", 4)
    kwargs.setdefault("batch_size", 16)
    return LSTMClassifier(**kwargs)


def _search(kind, estimator=None, space=SPACE, n=6, optimizer_kwargs=None, **kwargs):
    estimator = _lstm() if estimator is None else estimator
    kwargs.setdefault("cv", 2)
    kwargs.setdefault("random_state", 0)
    kwargs.setdefault("resource", "max_epochs")
    kwargs.setdefault("min_resource", 1)
    kwargs.setdefault("reduction_factor", 2)
    # re-scoring the best (tested in test_rescore.py) would add rungs here
    kwargs.setdefault("rescore_top", 0)
    if kind == "bayes":
        return BayesSearchCV(estimator, space, n_iter=n, n_points=n,
                             optimizer_kwargs=optimizer_kwargs or {"n_initial_points": 100},
                             **kwargs)
    return GeneticSearchCV(estimator, space, population_size=n, n_generations=0,
                           **kwargs)


class _Recorder:
    """Wraps make_fidelity to record every rung's survivors and fold models."""

    def __init__(self, monkeypatch, module):
        self.rungs = []
        original = module.make_fidelity

        def make(search, subspaces):
            fidelity = original(search, subspaces)
            if fidelity is not None:
                fidelity.on_rung = self.record
                self.fidelity = fidelity
            return fidelity

        monkeypatch.setattr(module, "make_fidelity", make)

    def record(self, k, alive, models):
        lstm = {key: (m[-1] if hasattr(m, "steps") else m) for key, m in models.items()}
        self.rungs.append({
            "k": k,
            "alive": alive,
            "n_iter": {key: m.n_iter_ for key, m in lstm.items()},
            "curves": {key: list(m.loss_curve_) for key, m in lstm.items()},
            "ids": {key: id(m) for key, m in lstm.items()},
        })


class CountingScaler(TransformerMixin, BaseEstimator):
    """Identity transformer counting its fits and transforms (per class)."""

    fits = 0
    transforms = 0

    def fit(self, X, y=None):
        type(self).fits += 1
        self.n_features_in_ = X.shape[-1]
        return self

    def transform(self, X):
        type(self).transforms += 1
        return X


# ---------------------------------------------------------------- schedule
def test_rung_resources():
    assert rung_resources(1, 27, 3) == [1, 3, 9, 27]
    assert rung_resources(2, 30, 3) == [3, 10, 30]
    assert rung_resources(5, 5, 3) == [5]
    assert rung_resources(1, 4, 2) == [1, 2, 4]
    assert rung_resources(4, 30, 3) == [10, 30]


def test_n_promoted_follows_factor():
    sh = _SuccessiveHalving("", [1, 3, 9], 3)
    assert [sh.n_promoted(n) for n in (9, 8, 3, 2, 1)] == [3, 2, 1, 1, 1]


@pytest.mark.parametrize("kind", KINDS)
def test_candidates_per_rung_follow_factor(kind, monkeypatch):
    rec = _Recorder(monkeypatch, _bayes if kind == "bayes" else _genetic)
    search = _search(kind, n=9, reduction_factor=3, min_resource=1,
                     max_resource=9, estimator=_lstm(max_epochs=9)).fit(X, y)
    assert search.n_resources_ == [1, 3, 9]
    assert [len(r["alive"]) for r in rec.rungs] == [9, 3, 1]
    res = search.cv_results_
    assert sorted(res["rung"].tolist()) == [0] * 6 + [1] * 2 + [2]
    assert sorted(res["n_resources"].tolist()) == [1] * 6 + [3] * 2 + [9]
    # 9 candidates x 2 folds x 1 epoch + 3 x 2 x 2 more + 1 x 2 x 6 more
    assert search.n_epochs_spent_ == 18 + 12 + 12
    assert search.n_fits_ == (9 + 3 + 1) * 2


# ------------------------------------------------------------ continuation
def test_promoted_candidates_continue_training(monkeypatch):
    rec = _Recorder(monkeypatch, _bayes)
    search = _search("bayes", n=4, reduction_factor=2, min_resource=1,
                     estimator=_lstm(max_epochs=4)).fit(X, y)
    assert search.n_resources_ == [1, 2, 4]
    first, second, last = rec.rungs
    assert len(first["alive"]) == 4 and len(second["alive"]) == 2
    assert len(last["alive"]) == 1
    for prev, cur, budget in [(first, second, 2), (second, last, 4)]:
        for key, n_iter in cur["n_iter"].items():
            assert n_iter == budget
            # the loss curve goes on from the previous rung: not restarted
            assert cur["curves"][key][: len(prev["curves"][key])] == prev["curves"][key]
            assert len(cur["curves"][key]) == budget
        # only the promoted candidates' fold models are kept
        assert {key[0] for key in cur["n_iter"]} == set(cur["alive"])

    # continuing equals training for the full budget in one go
    (cand,) = last["alive"]
    params = search.cv_results_["params"][cand]
    folds = list(StratifiedKFold(2).split(X, y))
    for s, (train, _) in enumerate(folds):
        one_go = clone(_lstm()).set_params(**params, max_epochs=4).fit(X[train], y[train])
        np.testing.assert_allclose(one_go.loss_curve_, last["curves"][cand, s], rtol=1e-5)


def test_pipeline_preprocessing_fitted_once_per_fold(monkeypatch):
    rec = _Recorder(monkeypatch, _bayes)
    CountingScaler.fits = CountingScaler.transforms = 0
    pipe = make_pipeline(CountingScaler(), _lstm(max_epochs=4))
    search = _search("bayes", estimator=pipe, n=4,
                     space={"lstmclassifier__lr": (1e-3, 1e-1, "log-uniform")})
    search.set_params(refit=False).fit(X, y)
    # one fit per candidate and fold: later rungs reuse the fitted scaler
    assert CountingScaler.fits == 4 * 2
    assert search.n_resources_ == [1, 2, 4]
    assert [len(r["alive"]) for r in rec.rungs] == [4, 2, 1]
    last = rec.rungs[-1]
    assert all(n == 4 for n in last["n_iter"].values())
    assert "lstmclassifier__random_state" in search.cv_results_["params"][0]


def test_pipeline_default_space_and_refit():
    pipe = make_pipeline(CountingScaler(), _lstm(max_epochs=3))
    search = BayesSearchCV(pipe, n_iter=3, n_points=3, cv=2, random_state=0,
                           resource="max_epochs", min_resource=1,
                           optimizer_kwargs={"n_initial_points": 100})
    search.set_params(search_spaces={"lstmclassifier__hidden_size": [2, 4],
                                     "lstmclassifier__lr": (1e-3, 1e-1, "log-uniform")})
    search.fit(X, y)
    assert search.n_resources_ == [1, 3]
    assert search.best_estimator_[-1].n_iter_ == 3
    assert search.predict(X).shape == (len(X),)


@pytest.mark.parametrize("kind", KINDS)
def test_refit_trains_for_max_resource(kind):
    # the best candidate was scored after max_resource epochs, so the
    # refitted estimator gets as many, not the estimator's own max_epochs
    pipe = make_pipeline(CountingScaler(), _lstm(max_epochs=2, lr_schedule="cosine"))
    space = {"lstmclassifier__lr": (1e-3, 1e-1, "log-uniform")}
    search = _search(kind, estimator=pipe, space=space, n=4, max_resource=6).fit(X, y)
    assert search.n_resources_[-1] == 6
    best = search.best_estimator_[-1]
    assert best.n_iter_ == 6
    assert best.max_epochs == 6
    assert best.lr_schedule_epochs is None  # the schedule spans the 6 epochs
    assert search.cv_results_["n_resources"][search.best_index_] == 6
    # the user's estimator is left alone
    assert pipe[-1].max_epochs == 2
    assert search.estimator[-1].max_epochs == 2


# ------------------------------------------------------------ results
@pytest.mark.parametrize("kind", KINDS)
def test_cv_results_columns_and_ranking(kind):
    search = _search(kind, n=4).fit(X, y)
    res = search.cv_results_
    assert len(res["params"]) == 4
    assert res["n_resources"].tolist().count(4) == 1
    assert set(res["rung"].tolist()) == {0, 1, 2}
    # the candidate that got the full budget ranks first and is refitted
    full = int(np.flatnonzero(res["n_resources"] == 4)[0])
    assert res["rank_test_score"][full] == 1
    assert search.best_index_ == full
    assert search.best_score_ == res["mean_test_score"][full]
    assert search.best_estimator_.n_iter_ == 4
    assert np.all(res["mean_fit_time"] > 0)
    for s in range(2):
        assert np.all(np.isfinite(res[f"split{s}_test_score"]))


@pytest.mark.parametrize("kind", KINDS)
def test_rung_score_columns(kind):
    search = _search(kind, n=8, n_jobs=1).fit(X, y)
    res = search.cv_results_
    cols = [f"rung{k}_mean_test_score" for k in range(3)]
    assert [c for c in res if c.startswith("rung") and c != "rung"] == cols
    table = np.column_stack([res[c] for c in cols])
    for i, rung in enumerate(res["rung"]):
        # a score for every rung the candidate was trained on, NaN beyond
        assert np.all(np.isfinite(table[i, : rung + 1]))
        assert np.all(np.isnan(table[i, rung + 1:]))
        # the score at its highest rung is its mean_test_score
        assert table[i, rung] == pytest.approx(res["mean_test_score"][i])
    # the promoted candidates are the best by the previous rung's score
    for k in range(2):
        on_rung = np.flatnonzero(res["rung"] >= k)
        promoted = set(np.flatnonzero(res["rung"] >= k + 1).tolist())
        best_first = sorted(on_rung, key=lambda i: (-table[i, k], i))
        assert set(best_first[: len(promoted)]) == promoted
    # later rungs continue training, so their scores differ from the first
    assert not np.allclose(table[res["rung"] == 2, 0], table[res["rung"] == 2, 2])


def test_rung_score_columns_multimetric_and_failures():
    space = {"hidden_size": [0, 4], "lr": (1e-3, 1e-1, "log-uniform")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitFailedWarning)
        warnings.simplefilter("ignore", UserWarning)
        search = _search("bayes", space=space, n=6, scoring=["accuracy", "f1"],
                         refit="f1").fit(X, y)
    res = search.cv_results_
    for metric in ["accuracy", "f1"]:
        assert f"rung0_mean_test_{metric}" in res
        last = [res[f"rung{r}_mean_test_{metric}"][i] for i, r in enumerate(res["rung"])]
        np.testing.assert_allclose(last, res[f"mean_test_{metric}"])
    bad = np.array([p["hidden_size"] == 0 for p in res["params"]])
    assert bad.any()
    assert np.all(np.isnan(res["rung0_mean_test_f1"][bad]))
    assert np.all(np.isfinite(res["rung0_mean_test_f1"][~bad]))


def test_rung_columns_when_the_first_batch_fails_with_a_dict_scorer():
    # the first batch names no metric (every fit fails); the next one does
    def scoring(est, X, y):
        return {"acc": float((est.predict(X) == y).mean()), "one": 1.0}

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitFailedWarning)
        warnings.simplefilter("ignore", UserWarning)
        search = BayesSearchCV(
            _lstm(), {"hidden_size": [0, 2]}, n_iter=3, n_points=1, cv=2,
            random_state=2, resource="max_epochs", min_resource=1,
            reduction_factor=2, scoring=scoring, refit="acc",
            optimizer_kwargs={"n_initial_points": 100},
        ).fit(X, y)
    res = search.cv_results_
    assert not any(k.startswith("rung") and k.endswith("_score") for k in res)
    bad = np.array([p["hidden_size"] == 0 for p in res["params"]])
    assert bad[0] and not bad[1]  # the failing batch came first
    for metric in ["acc", "one"]:
        column = res[f"rung0_mean_test_{metric}"]
        assert column.dtype == float
        assert np.all(np.isnan(column[bad])) and np.all(np.isfinite(column[~bad]))


def test_multimetric_and_train_scores():
    search = _search("bayes", n=4, scoring=["accuracy", "neg_log_loss"],
                     refit="neg_log_loss", return_train_score=True).fit(X, y)
    res = search.cv_results_
    assert "mean_train_accuracy" in res and "mean_test_neg_log_loss" in res
    full = int(np.flatnonzero(res["n_resources"] == 4)[0])
    assert res["rank_test_neg_log_loss"][full] == 1
    assert search.best_index_ == full


@pytest.mark.parametrize("kind", KINDS)
def test_reproducible_with_random_state(kind):
    a = _search(kind, n=4).fit(X, y).cv_results_
    b = _search(kind, n=4).fit(X, y).cv_results_
    assert [repr(sorted(p.items())) for p in a["params"]] == [
        repr(sorted(p.items())) for p in b["params"]
    ]
    np.testing.assert_array_equal(a["mean_test_score"], b["mean_test_score"])
    np.testing.assert_array_equal(a["rung"], b["rung"])


def test_parallel_fold_tasks():
    # threads share torch's global generator, so only the schedule is compared
    a = _search("bayes", n=4).fit(X, y)
    with parallel_backend("threading"):
        b = _search("bayes", n=4, n_jobs=2).fit(X, y)
    assert sorted(a.cv_results_["rung"]) == sorted(b.cv_results_["rung"])
    assert a.n_epochs_spent_ == b.n_epochs_spent_
    assert a.cv_results_["params"] == b.cv_results_["params"]


def test_genetic_generations_and_regressor():
    Xr, _ = _data()
    yr = Xr[:, :, 0].mean(axis=1)
    search = GeneticSearchCV(
        LSTMRegressor(hidden_size=4, max_epochs=4), SPACE, population_size=4,
        n_generations=1, cv=2, random_state=0, resource="max_epochs",
        min_resource=1, reduction_factor=2,
    ).fit(Xr, yr)
    res = search.cv_results_
    assert set(res) >= {"generation", "n_resources", "rung"}
    assert search.n_resources_ == [1, 2, 4]
    for g in set(res["generation"].tolist()):
        rows = res["generation"] == g
        # every generation's new configurations went through the rungs
        assert res["n_resources"][rows].max() == 4
    # the hall of fame puts full-budget configurations first
    best = search.hall_of_fame_[0]
    assert res["n_resources"][best["index"]] == 4
    assert best["index"] == search.best_index_


def test_failed_candidates_are_not_promoted():
    space = {"hidden_size": [0, 4], "lr": (1e-3, 1e-1, "log-uniform")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitFailedWarning)
        warnings.simplefilter("ignore", UserWarning)
        search = _search("bayes", space=space, n=6).fit(X, y)
    res = search.cv_results_
    bad = np.array([p["hidden_size"] == 0 for p in res["params"]])
    assert bad.any() and (~bad).any()
    assert np.all(res["rung"][bad] == 0)
    assert np.all(np.isnan(res["mean_test_score"][bad]))
    assert search.best_params_["hidden_size"] == 4
    assert res["rank_test_score"][bad].min() > res["rank_test_score"][~bad].max()


def test_all_failed_raises():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitFailedWarning)
        with pytest.raises(ValueError, match="fits failed"):
            _search("bayes", space={"hidden_size": [0, -1]}, n=2).fit(X, y)


def test_error_score_raise_propagates():
    with pytest.raises(ValueError, match="hidden_size"):
        _search("bayes", space={"hidden_size": [0, -1]}, n=2,
                error_score="raise").fit(X, y)


def test_surrogate_scores_penalise_stopped():
    sh = _SuccessiveHalving("", [1, 3], 3)
    # the highest rung of each candidate of the batch
    told = sh.surrogate_scores([1, 0, 0, 0], [0.6, 0.9, 0.5, math.nan])
    assert told[:3] == [0.6, 0.6, 0.5] and math.isnan(told[3])
    # no completed candidate in the batch: scores unchanged
    assert sh.surrogate_scores([0], [0.7]) == [0.7]


def test_default_off():
    search = BayesSearchCV(_lstm(max_epochs=2), SPACE, n_iter=2, cv=2, random_state=0)
    search.fit(X, y)
    assert "rung" not in search.cv_results_
    assert not hasattr(search, "n_resources_")


# ------------------------------------------------------------ validation
@pytest.mark.parametrize("kind", KINDS)
def test_min_resource_above_max(kind):
    with pytest.raises(ValueError, match="min_resource"):
        _search(kind, min_resource=5, max_resource=3).fit(X, y)


@pytest.mark.parametrize("kind", KINDS)
def test_factor_below_two(kind):
    with pytest.raises(ValueError, match="reduction_factor"):
        _search(kind, reduction_factor=1.5).fit(X, y)


@pytest.mark.parametrize("kind", KINDS)
def test_no_lstm_step(kind):
    with pytest.raises(ValueError, match="needs exactly one LSTM estimator") as info:
        _search(kind, estimator=LogisticRegression(), space={"C": (0.1, 1.0)}).fit(X[:, :, 0], y)
    # a space was given: the message must not ask for one
    assert "search_spaces" not in str(info.value)


@pytest.mark.parametrize("kind", KINDS)
def test_fidelity_options_without_resource_warn(kind):
    with pytest.warns(UserWarning, match="min_resource has no effect without"):
        _search(kind, n=2, resource=None, min_resource=2).fit(X, y)
    with pytest.warns(UserWarning, match="min_resource and max_resource have no"):
        _search(kind, n=2, resource=None, min_resource=2, max_resource=4).fit(X, y)


def test_bad_resource_name_and_searched_resource():
    with pytest.raises(ValueError, match=r"resource must be 'max_epochs', got 'batch_size'"):
        _search("bayes", resource="batch_size").fit(X, y)
    with pytest.raises(ValueError, match="cannot also be searched"):
        _search("bayes", space={"max_epochs": (1, 4)}).fit(X, y)


def test_lstm_not_final_step():
    from sklearn.compose import TransformedTargetRegressor

    Xr, _ = _data()
    est = TransformedTargetRegressor(LSTMRegressor(hidden_size=4, max_epochs=2))
    with pytest.raises(ValueError, match="final step"):
        _search("bayes", estimator=est,
                space={"regressor__lr": (1e-3, 1e-1, "log-uniform")}).fit(
            Xr, Xr[:, 0, 0])


def test_process_backend_same_results():
    # fold models travel to the workers and back between rungs
    a = _search("bayes", n=3).fit(X, y).cv_results_
    b = _search("bayes", n=3, n_jobs=2).fit(X, y).cv_results_
    np.testing.assert_array_equal(a["rung"], b["rung"])
    np.testing.assert_allclose(a["mean_test_score"], b["mean_test_score"])


def test_checkpoint_resume_tells_surrogate_the_same(tmp_path):
    # the surrogate is told capped scores for stopped candidates; a resumed
    # search must tell the replayed batches the same, or its proposals differ
    kwargs = dict(n=3, optimizer_kwargs={
        "n_initial_points": 3, "base_estimator": "ET",
        "acq_optimizer": "sampling", "acq_optimizer_kwargs": {"n_points": 200}})
    full = _search("bayes", **kwargs).set_params(n_iter=6, refit=False).fit(X, y)
    path = tmp_path / "search.ckpt"
    _search("bayes", **kwargs).set_params(
        n_iter=6, refit=False, checkpoint=path, callbacks=lambda search, record: True
    ).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a diverging resume would warn
        resumed = _search("bayes", **kwargs).set_params(
            n_iter=6, refit=False, checkpoint=path).fit(X, y)
    a, b = full.cv_results_, resumed.cv_results_
    assert [repr(sorted(p.items())) for p in a["params"]] == [
        repr(sorted(p.items())) for p in b["params"]
    ]
    np.testing.assert_array_equal(a["rung"], b["rung"])
    np.testing.assert_allclose(a["mean_test_score"], b["mean_test_score"])
    # the replayed rows keep their scores at every rung
    for k in range(3):
        column = f"rung{k}_mean_test_score"
        np.testing.assert_allclose(np.asarray(b[column], dtype=float), a[column])
    # epochs trained before the interruption count too
    assert resumed.n_epochs_spent_ == full.n_epochs_spent_ > 0
    assert resumed.n_fits_ == full.n_fits_


def test_checkpoint_replay_keeps_hall_of_fame(tmp_path):
    path = tmp_path / "ga.ckpt"
    first = _search("genetic", n=4, checkpoint=path).set_params(refit=False).fit(X, y)
    again = _search("genetic", n=4, checkpoint=path).set_params(refit=False).fit(X, y)
    assert [h["index"] for h in again.hall_of_fame_] == [
        h["index"] for h in first.hall_of_fame_
    ]
    assert again.cv_results_["n_resources"][again.hall_of_fame_[0]["index"]] == 4


@pytest.mark.parametrize("kind, schedule, n_jobs", [
    ("bayes", "step", 1), ("bayes", "cosine", 1), ("genetic", "step", 1),
    ("genetic", "cosine", 1), ("genetic", "step", 2),  # fold models in workers
])
def test_lr_schedule_spans_the_rungs(kind, schedule, n_jobs, monkeypatch):
    # one schedule over max_resource epochs, continued (not restarted) at
    # every rung: the full-budget fold models equal one fit of 8 epochs
    rec = _Recorder(monkeypatch, _bayes if kind == "bayes" else _genetic)
    est = _lstm(max_epochs=8, lr_schedule=schedule, lr=0.05)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        # the Bayesian search stays in its random phase on purpose
        warnings.filterwarnings("ignore", "BayesSearchCV draws all", UserWarning)
        search = _search(kind, estimator=est, n=4, n_jobs=n_jobs).fit(X, y)
    assert search.n_resources_ == [1, 2, 4, 8]
    (cand,) = rec.rungs[-1]["alive"]
    params = search.cv_results_["params"][cand]
    for s, (train, _) in enumerate(StratifiedKFold(2).split(X, y)):
        one_go = clone(est).set_params(**params).fit(X[train], y[train])
        np.testing.assert_allclose(one_go.loss_curve_, rec.rungs[-1]["curves"][cand, s],
                                   rtol=1e-5)


@pytest.mark.parametrize("cls", [BayesSearchCV, GeneticSearchCV])
def test_auto_epochs_need_a_fixed_budget(cls):
    # "auto" depends on each fold's size; the rungs need one number
    X = np.random.RandomState(0).normal(size=(12, 4, 1)).astype(np.float32)
    y = np.arange(12) % 2
    pipe = make_pipeline(LSTMClassifier(max_epochs="auto", hidden_size=2))
    search = cls(pipe, {"lstmclassifier__lr": (1e-3, 1e-1, "log-uniform")},
                 resource="max_epochs", cv=2)
    with pytest.raises(ValueError, match=r"lstmclassifier__max_epochs='auto'.*max_resource"):
        search.fit(X, y)
