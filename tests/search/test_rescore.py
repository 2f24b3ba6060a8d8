"""Re-scoring the best candidates with fresh weight seeds before the refit."""

import zlib

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from sklstm import LSTMClassifier
from sklstm.preprocessing import SequenceScaler
from sklstm.search import BayesSearchCV, GeneticSearchCV

from ._utils import data

torch.set_num_threads(1)
KINDS = ["bayes", "genetic"]


def _sequences(n=30, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 5, 2)).astype(np.float32)
    return X, (X[:, :, 0].mean(axis=1) > 0).astype(int)


X, y = _sequences()
_FIRST = X[0]


class LuckyLSTM(LSTMClassifier):
    """Scores a fixed quality of its ``lr`` plus luck drawn from its seed.

    Training is one tiny epoch; the score makes the choice of the search
    checkable: a candidate's mean over its runs is known from its rows.
    """

    def score(self, X, y):
        luck = np.random.RandomState(self.random_state % 2**31).uniform(0, 1.0)
        return float(-abs(np.log10(self.lr) + 2) + luck)


def _search(kind, estimator=None, **kwargs):
    estimator = estimator if estimator is not None else LuckyLSTM(
        hidden_size=2, max_epochs=1, batch_size=30)
    space = kwargs.pop("space", {"lr": (1e-4, 1.0, "log-uniform")})
    kwargs.setdefault("cv", 2)
    kwargs.setdefault("random_state", 0)
    # these tests are about re-scoring alone; prefer_estimator has its own below
    kwargs.setdefault("prefer_estimator", False)
    if kind == "bayes":
        return BayesSearchCV(estimator, space, n_iter=8,
                             optimizer_kwargs={"n_initial_points": 8}, **kwargs)
    return GeneticSearchCV(estimator, space, population_size=4, n_generations=1, **kwargs)


@pytest.mark.parametrize("kind", KINDS)
def test_best_candidates_are_rescored_and_the_best_mean_is_refitted(kind):
    search = _search(kind, rescore_top=3).fit(X, y)
    res = search.cv_results_
    again = np.flatnonzero(res["rescored"])
    first = np.flatnonzero(~np.asarray(res["rescored"], dtype=bool))
    assert len(again) == 3
    means = np.asarray(res["mean_test_score"])
    # the three best first runs were re-scored, with only the seed changed
    top = first[np.argsort(-means[first], kind="stable")[:3]]
    column = res["rescored_mean_test_score"]
    assert sorted(np.flatnonzero(np.isfinite(column))) == sorted(top)
    for i in top:
        twin = [j for j in again
                if res["params"][j]["lr"] == res["params"][i]["lr"]]
        assert len(twin) == 1
        j = twin[0]
        assert res["params"][j]["random_state"] != res["params"][i]["random_state"]
        assert column[i] == pytest.approx((means[i] + means[j]) / 2)
    # the refitted candidate is the best two-run mean, ranked first
    chosen = top[np.argmax(column[top])]
    assert search.best_index_ == chosen
    assert res["rank_test_score"][chosen] == 1
    assert search.best_params_ == res["params"][chosen]
    assert search.best_estimator_.lr == res["params"][chosen]["lr"]


def test_rescoring_can_change_the_winner():
    # the luck of one run decides the plain maximum; the two-run mean differs
    search = _search("bayes", rescore_top=3).fit(X, y)
    res = search.cv_results_
    first = ~np.asarray(res["rescored"], dtype=bool)
    means = np.where(first, res["mean_test_score"], -np.inf)
    assert search.best_index_ != int(np.argmax(means))
    plain = _search("bayes", rescore_top=0).fit(X, y)
    assert "rescored_mean_test_score" not in plain.cv_results_
    assert not np.any(plain.cv_results_["rescored"])
    assert plain.best_index_ == int(np.argmax(plain.cv_results_["mean_test_score"]))
    assert plain.best_params_["lr"] != search.best_params_["lr"]


@pytest.mark.parametrize("kind", KINDS)
def test_user_fixed_seed_is_varied_only_for_the_rescoring_runs(kind):
    pipe = make_pipeline(SequenceScaler(), LuckyLSTM(hidden_size=2, max_epochs=1,
                                                     batch_size=30, random_state=7))
    space = {"luckylstm__lr": (1e-4, 1.0, "log-uniform")}
    search = _search(kind, pipe, space=space, rescore_top=2).fit(X, y)
    res = search.cv_results_
    seeds = [p.get("luckylstm__random_state", 7) for p in res["params"]]
    flags = np.asarray(res["rescored"], dtype=bool)
    assert all(s == 7 for s, f in zip(seeds, flags) if not f)
    assert all(s != 7 for s, f in zip(seeds, flags) if f) and flags.sum() == 2


@pytest.mark.parametrize("kind", KINDS)
def test_no_rescoring_without_an_lstm_estimator(kind):
    Xd, yd = data()
    space = {"C": (1e-3, 1e2, "log-uniform")}
    search = _search(kind, LogisticRegression(), space=space, rescore_top=3).fit(Xd, yd)
    assert not np.any(search.cv_results_["rescored"])
    assert "rescored_mean_test_score" not in search.cv_results_


@pytest.mark.parametrize("kind", KINDS)
def test_rescoring_is_reproducible(kind):
    a = _search(kind).fit(X, y).cv_results_
    b = _search(kind).fit(X, y).cv_results_
    assert a["params"] == b["params"]
    np.testing.assert_array_equal(a["rescored_mean_test_score"], b["rescored_mean_test_score"])


@pytest.mark.parametrize("kind", KINDS)
def test_multi_fidelity_rescoring_trains_the_full_budget(kind):
    lstm = LSTMClassifier(hidden_size=3, max_epochs=4, batch_size=16)
    extra = dict(n_points=6) if kind == "bayes" else {}
    search = _search(kind, lstm, space={"lr": (1e-3, 1e-1, "log-uniform")},
                     resource="max_epochs", min_resource=1, max_resource=4,
                     reduction_factor=2, rescore_top=2, **extra).fit(X, y)
    res = search.cv_results_
    flags = np.asarray(res["rescored"], dtype=bool)
    assert flags.sum() == 2
    assert all(n == 4 for n in np.asarray(res["n_resources"])[flags])
    # only candidates that got the full budget are re-scored
    originals = np.isfinite(res["rescored_mean_test_score"])
    assert originals.sum() == 2
    assert all(n == 4 for n in np.asarray(res["n_resources"])[originals])
    assert res["n_resources"][search.best_index_] == 4


@pytest.mark.parametrize("kind", KINDS)
def test_checkpoint_resume_replays_the_rescoring(kind, tmp_path):
    path = tmp_path / "search.ckpt"
    full = _search(kind, checkpoint=path).fit(X, y)
    resumed = _search(kind, checkpoint=path).fit(X, y)
    assert resumed.cv_results_["params"] == full.cv_results_["params"]
    np.testing.assert_array_equal(resumed.cv_results_["rescored_mean_test_score"],
                                  full.cv_results_["rescored_mean_test_score"])
    assert resumed.best_index_ == full.best_index_


# -- prefer_estimator: the estimator as given stays unless beaten beyond noise
class NoisyLSTM(LSTMClassifier):
    """Scores ``slope`` times a quality of its ``lr`` (best at 1e-2) plus luck
    drawn from its seed and the fold, uniform on ``[0, amplitude)``."""

    slope = 1.0
    amplitude = 1.0

    def score(self, X, y):
        fold = zlib.crc32(np.ascontiguousarray(X).tobytes())
        luck = np.random.RandomState((self.random_state + fold) % 2**31).uniform(
            0, self.amplitude)
        return float(-self.slope * abs(np.log10(self.lr) + 2) + luck)


class FlatLSTM(LSTMClassifier):
    """Configurations far from lr=1e-3 are better by a hair (at most 0.03),
    and every run has large luck that cancels over the two folds: the fold
    scores differ by far more than the means, whatever the seeds drawn."""

    def score(self, X, y):
        luck = np.random.RandomState(self.random_state % 2**31).uniform(0, 1.0)
        first_fold = bool(np.all(X == _FIRST, axis=(1, 2)).any())
        hair = 0.01 * abs(np.log10(self.lr) + 3)
        return float(hair + (luck if first_fold else -luck))


class ClearLSTM(NoisyLSTM):
    """Configurations differ far beyond their luck."""

    amplitude = 0.01


def _expected_keep(search, own_lr):
    """The documented rule, recomputed from ``cv_results_``: keep the
    estimator's configuration unless the best other re-scored candidate's
    fold-by-fold differences to it have a mean above one standard error."""
    res = search.cv_results_
    flags = np.asarray(res["rescored"], dtype=bool)
    lrs = [p["lr"] for p in res["params"]]

    def splits(i):
        rows = [i] + [j for j in np.flatnonzero(flags) if lrs[j] == lrs[i]]
        return np.array([[res[f"split{f}_test_score"][r] for f in range(search.n_splits_)]
                         for r in rows])

    own = [i for i in np.flatnonzero(~flags) if lrs[i] == own_lr]
    assert len(own) == 1, "the estimator's configuration was evaluated once"
    own = own[0]
    column = np.asarray(res["rescored_mean_test_score"])
    assert np.isfinite(column[own]), "the estimator's configuration was re-scored"
    others = [i for i in np.flatnonzero(np.isfinite(column)) if i != own]
    best = max(others, key=lambda i: column[i])
    diff = (splits(best) - splits(own)).ravel()
    keep = diff.mean() <= diff.std(ddof=1) / np.sqrt(diff.size)
    return keep, own, best


@pytest.mark.parametrize("kind", KINDS)
def test_estimator_is_kept_when_candidates_only_look_better_by_luck(kind):
    est = FlatLSTM(hidden_size=2, max_epochs=1, batch_size=30, lr=1e-3)
    search = _search(kind, est, prefer_estimator=True, rescore_top=3).fit(X, y)
    keep, own, best = _expected_keep(search, 1e-3)
    assert keep and search.kept_estimator_
    assert search.best_index_ == own and search.best_params_["lr"] == 1e-3
    assert search.cv_results_["rank_test_score"][own] == 1
    assert search.best_estimator_.lr == 1e-3
    # the estimator's row is one more re-scored candidate
    assert np.sum(search.cv_results_["rescored"]) == 4
    # without the preference the luckiest mean wins
    plain = _search(kind, est, prefer_estimator=False, rescore_top=3).fit(X, y)
    assert not plain.kept_estimator_
    assert plain.best_params_["lr"] != 1e-3


@pytest.mark.parametrize("kind", KINDS)
def test_a_candidate_that_beats_the_estimator_clearly_is_chosen(kind):
    est = ClearLSTM(hidden_size=2, max_epochs=1, batch_size=30, lr=1e-4)
    search = _search(kind, est, prefer_estimator=True, rescore_top=3).fit(X, y)
    keep, own, best = _expected_keep(search, 1e-4)
    assert not keep and not search.kept_estimator_
    assert search.best_index_ == best
    assert search.cv_results_["rank_test_score"][own] > 1


@pytest.mark.parametrize("kind", KINDS)
def test_prefer_estimator_needs_the_estimator_among_the_candidates(kind):
    est = FlatLSTM(hidden_size=2, max_epochs=1, batch_size=30, lr=1e-3)
    search = _search(kind, est, prefer_estimator=True, initial_candidates=None).fit(X, y)
    assert not search.kept_estimator_
    assert np.sum(search.cv_results_["rescored"]) == 3
    # a value outside the space: nothing to keep, re-scoring as before
    out = FlatLSTM(hidden_size=2, max_epochs=1, batch_size=30, lr=5.0)
    search = _search(kind, out, prefer_estimator=True).fit(X, y)
    assert not search.kept_estimator_


@pytest.mark.parametrize("kind", KINDS)
def test_a_kept_estimator_is_replayed_on_resume(kind, tmp_path):
    est = FlatLSTM(hidden_size=2, max_epochs=1, batch_size=30, lr=1e-3)
    path = tmp_path / "search.ckpt"
    full = _search(kind, est, prefer_estimator=True, checkpoint=path).fit(X, y)
    resumed = _search(kind, est, prefer_estimator=True, checkpoint=path).fit(X, y)
    assert full.kept_estimator_ and resumed.kept_estimator_
    assert resumed.best_index_ == full.best_index_
    np.testing.assert_array_equal(resumed.cv_results_["rank_test_score"],
                                  full.cv_results_["rank_test_score"])
