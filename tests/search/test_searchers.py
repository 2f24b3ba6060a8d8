"""Behaviour shared by BayesSearchCV and GeneticSearchCV."""

import json
import pickle
import random
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest
import sklearn
import torch
from joblib import parallel_backend
from sklearn.base import clone
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.metrics import get_scorer
from sklearn.model_selection import GroupKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.tree import DecisionTreeClassifier

from ._utils import (
    SPACE,
    CountingClassifier,
    FlakyClassifier,
    ThreadProbe,
    data,
    make_search,
    rows,
)

KINDS = ["bayes", "genetic"]
X, y = data()


@pytest.mark.parametrize("kind", KINDS)
def test_basic_fit(kind):
    search = make_search(kind).fit(X, y)
    res = search.cv_results_
    assert set(search.best_params_) == {"C", "fit_intercept", "random_state"}
    assert 1e-3 <= search.best_params_["C"] <= 1e2
    assert search.best_score_ == pytest.approx(np.max(res["mean_test_score"]))
    assert search.predict(X).shape == (len(X),)
    assert search.n_fits_ == len(res["params"]) * 3
    # one row per distinct configuration
    configs = [(p["C"], p["fit_intercept"]) for p in res["params"]]
    assert len(set(configs)) == len(configs)
    column = "iteration" if kind == "bayes" else "generation"
    assert len(res[column]) == len(configs)


@pytest.mark.parametrize("kind", KINDS)
def test_candidate_seed_depends_on_configuration_only(kind):
    search = make_search(kind, DecisionTreeClassifier(), {"max_depth": (1, 6)}).fit(X, y)
    seeds = {p["max_depth"]: p["random_state"] for p in search.cv_results_["params"]}
    other = make_search(kind, DecisionTreeClassifier(), {"max_depth": (1, 6)},
                        random_state=1).fit(X, y)
    # the same configuration gets the same seed whatever order it came in ...
    for p in search.cv_results_["params"]:
        assert seeds[p["max_depth"]] == p["random_state"]
    # ... and the seed depends on the search's random_state
    common = {p["max_depth"] for p in other.cv_results_["params"]} & set(seeds)
    assert any(seeds[d] != p["random_state"] for p in other.cv_results_["params"]
               for d in common if p["max_depth"] == d)
    # a random_state in the space, or set by the user, is left alone
    fixed = make_search(kind, DecisionTreeClassifier(random_state=3), {"max_depth": (1, 6)})
    assert "random_state" not in fixed.fit(X, y).best_params_
    searched = make_search(kind, DecisionTreeClassifier(),
                           {"max_depth": (1, 6), "random_state": [5]}).fit(X, y)
    assert {p["random_state"] for p in searched.cv_results_["params"]} == {5}


@pytest.mark.parametrize("kind", KINDS)
def test_failed_and_nan_candidates_are_recorded_and_search_goes_on(kind):
    space = {"mode": ["ok", "fail", "nan"], "C": (0.1, 10.0)}
    search = make_search(kind, FlakyClassifier(), space, n_iter=12, population_size=6)
    with pytest.warns(FitFailedWarning):
        search.fit(X, y)
    res = search.cv_results_
    modes = np.array([p["mode"] for p in res["params"]])
    assert {"ok", "fail", "nan"} <= set(modes)
    assert np.isnan(res["mean_test_score"][modes != "ok"]).all()
    assert np.isfinite(res["mean_test_score"][modes == "ok"]).all()
    assert search.best_params_["mode"] == "ok"
    assert search.best_estimator_.mode == "ok"
    worst = res["rank_test_score"].max()
    assert (res["rank_test_score"][modes != "ok"] == worst).all()
    assert len(res["params"]) == len(res["mean_fit_time"]) == len(res["split0_test_score"])


@pytest.mark.parametrize("kind", KINDS)
def test_numeric_error_score(kind):
    space = {"mode": ["ok", "fail"], "C": (0.1, 10.0)}
    for error_score in (-1.0, 2.0):  # below, then above every real accuracy
        search = make_search(kind, FlakyClassifier(), space, error_score=error_score,
                             n_iter=10, population_size=6)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FitFailedWarning)
            search.fit(X, y)
        res = search.cv_results_
        modes = np.array([p["mode"] for p in res["params"]])
        assert (res["mean_test_score"][modes == "fail"] == error_score).all()
        # a failed candidate ranks last whatever its error_score
        assert search.best_params_["mode"] == "ok"
        assert (res["rank_test_score"][modes == "fail"]
                > res["rank_test_score"][modes == "ok"].max()).all()


@pytest.mark.parametrize("kind", KINDS)
def test_trailing_failures_are_recorded(kind, monkeypatch):
    # every fit after the 4th fails: the last batches fail entirely
    monkeypatch.setattr(CountingClassifier, "fits", 0)
    search = make_search(kind, CountingClassifier(), {"C": (0.1, 10.0)}, cv=2,
                         n_iter=4, population_size=2, n_generations=1, refit=False)
    with pytest.warns(FitFailedWarning):
        search.fit(X, y)
    res = search.cv_results_
    n = len(res["params"])
    assert n >= 3  # the GA's second generation may repeat a configuration
    assert np.isfinite(res["mean_test_score"][:2]).all()
    assert np.isnan(res["mean_test_score"][2:]).all()
    assert search.best_index_ in (0, 1)
    assert list(res["rank_test_score"][2:]) == [3] * (n - 2)
    assert search.n_fits_ == 2 * n


@pytest.mark.parametrize("kind", KINDS)
def test_one_failure_warning_per_search_as_grid_search_cv_gives(kind):
    from sklearn.model_selection import GridSearchCV

    def failure_warnings(search):
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            search.fit(X, y)
        return [str(w.message).split("Traceback")[0] for w in record
                if issubclass(w.category, FitFailedWarning)]

    space = {"mode": ["fail", "ok"]}
    expected = failure_warnings(GridSearchCV(FlakyClassifier(), space, cv=3))
    # two batches (one candidate each), counted together as GridSearchCV counts
    search = make_search(kind, FlakyClassifier(), space, n_iter=2, population_size=2,
                         n_generations=0, rescore_top=0, initial_candidates=None)
    ours = failure_warnings(search)
    assert len(expected) == 1 and ours == expected
    assert "3 fits failed out of a total of 6." in ours[0]


@pytest.mark.parametrize("kind", KINDS)
def test_errors_in_grid_search_cvs_words(kind):
    from sklearn.model_selection import KFold

    # an exhausted generator of splits
    splits = KFold(3).split(X)
    list(splits)
    with pytest.raises(ValueError, match=r"No fits were performed\. Was the CV "
                                         r"iterator empty\? Were there no candidates\?"):
        make_search(kind, cv=splits).fit(X, y)
    # score parameters without metadata routing
    search = make_search(kind, n_iter=1, population_size=2, n_generations=0,
                         rescore_top=0).fit(X, y)
    with pytest.raises(ValueError, match=r"score is only supported if "
                                         r"enable_metadata_routing=True.*\['metadata'\]"):
        search.score(X, y, metadata=1)


@pytest.mark.parametrize("kind", KINDS)
def test_all_failed_raises(kind):
    search = make_search(kind, FlakyClassifier(), {"mode": ["fail"], "C": (0.1, 1.0)})
    with pytest.raises(ValueError, match="fits failed"), warnings.catch_warnings():
        warnings.simplefilter("ignore", FitFailedWarning)
        search.fit(X, y)


@pytest.mark.parametrize("kind", KINDS)
def test_error_score_raise_propagates(kind):
    search = make_search(kind, FlakyClassifier(), {"mode": ["fail"], "C": (0.1, 1.0)},
                         error_score="raise")
    with pytest.raises(ValueError, match="flaky failure"):
        search.fit(X, y)


@pytest.mark.parametrize("kind", KINDS)
def test_objects_as_choices(kind):
    unhashable = {"weights": [1, 2]}
    space = {"extra": [torch.optim.Adam, torch.optim.SGD, unhashable, None],
             "C": (0.1, 10.0)}
    search = make_search(kind, FlakyClassifier(), space, n_iter=8).fit(X, y)
    extras = [p["extra"] for p in search.cv_results_["params"]]
    assert all(e in (torch.optim.Adam, torch.optim.SGD, None) or e == unhashable
               for e in extras)
    assert pickle.loads(pickle.dumps(search)).best_params_ == search.best_params_
    pipe = make_pipeline(StandardScaler(), LogisticRegression())
    space = {"standardscaler": [StandardScaler(), MinMaxScaler(), "passthrough"],
             "logisticregression__C": (0.1, 10.0)}
    search = make_search(kind, pipe, space).fit(X, y)
    assert "standardscaler" in search.best_params_


@pytest.mark.parametrize("kind", KINDS)
def test_subspaces(kind):
    space = [{"C": (0.01, 10.0, "log-uniform")},
             {"C": [1.0], "fit_intercept": [False]}]
    search = make_search(kind, space=space, n_iter=6).fit(X, y)
    params = search.cv_results_["params"]
    assert any("fit_intercept" in p for p in params)
    assert any("fit_intercept" not in p for p in params)


@pytest.mark.parametrize("kind", KINDS)
def test_reproducible_across_n_jobs(kind):
    est = DecisionTreeClassifier()
    space = {"max_depth": (1, 8), "max_features": (0.2, 1.0)}
    one = make_search(kind, est, space, n_jobs=1).fit(X, y)
    two = make_search(kind, est, space, n_jobs=2).fit(X, y)
    assert rows(one) == rows(two)
    assert one.best_params_ == two.best_params_


_SCRIPT = """
import json
from sklearn.tree import DecisionTreeClassifier
from tests.search._utils import data, make_search, rows
X, y = data()
out = {}
for kind in ("bayes", "genetic"):
    search = make_search(kind, DecisionTreeClassifier(),
                         {"max_depth": (1, 8), "max_features": (0.2, 1.0)}).fit(X, y)
    out[kind] = rows(search)
print(json.dumps(out))
"""


def test_reproducible_in_another_process():
    out = subprocess.run(
        [sys.executable, "-c", _SCRIPT],
        capture_output=True, text=True, check=True,
        cwd=str(Path(__file__).parents[2]),
    )
    other = json.loads(out.stdout.strip().splitlines()[-1])
    for kind in KINDS:
        search = make_search(kind, DecisionTreeClassifier(),
                             {"max_depth": (1, 8), "max_features": (0.2, 1.0)}).fit(X, y)
        assert [tuple(r) for r in other[kind]] == rows(search)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("random_state", [0, None])
def test_global_random_states_untouched(kind, random_state):
    random.seed(11)
    np.random.seed(11)
    torch.manual_seed(11)
    before = (random.getstate(), np.random.get_state(), torch.get_rng_state())
    make_search(kind, DecisionTreeClassifier(), {"max_depth": (1, 5)},
                random_state=random_state).fit(X, y)
    after = (random.getstate(), np.random.get_state(), torch.get_rng_state())
    assert before[0] == after[0]
    assert all(np.array_equal(a, b) for a, b in zip(before[1][1:3], after[1][1:3]))
    assert torch.equal(before[2], after[2])


@pytest.mark.parametrize("kind", KINDS)
def test_pickle_fitted_search(kind):
    search = make_search(kind).fit(X, y)
    back = pickle.loads(pickle.dumps(search))
    np.testing.assert_array_equal(back.predict(X), search.predict(X))
    assert back.cv_results_["params"] == search.cv_results_["params"]
    assert not hasattr(back, "_search_run")


@pytest.mark.parametrize("kind", KINDS)
def test_multimetric_refit_by_name_and_callable(kind):
    scoring = {"acc": "accuracy", "bal": "balanced_accuracy"}
    search = make_search(kind, scoring=scoring, refit="bal").fit(X, y)
    res = search.cv_results_
    assert search.best_score_ == pytest.approx(np.max(res["mean_test_bal"]))
    assert "mean_test_acc" in res

    def refit(results):
        return int(np.argmin(results["mean_test_acc"]))

    search = make_search(kind, scoring=scoring, refit=refit).fit(X, y)
    assert search.best_index_ == int(np.argmin(search.cv_results_["mean_test_acc"]))
    assert hasattr(search, "best_estimator_")
    nothing = make_search(kind, scoring=["accuracy", "f1"], refit=False).fit(X, y)
    assert not hasattr(nothing, "best_estimator_")


@pytest.mark.parametrize("kind", KINDS)
def test_groups_and_metadata_routing(kind):
    groups = np.repeat(np.arange(6), 10)
    weights = np.linspace(0.5, 1.5, len(y))
    search = make_search(kind, cv=GroupKFold(3)).fit(X, y, groups=groups)
    assert search.n_splits_ == 3
    with sklearn.config_context(enable_metadata_routing=True):
        est = FlakyClassifier().set_fit_request(sample_weight=True)
        scorer = get_scorer("accuracy").set_score_request(sample_weight=True)
        search = make_search(kind, est, {"C": (0.1, 10.0)}, cv=GroupKFold(3),
                             scoring=scorer)
        search.fit(X, y, groups=groups, sample_weight=weights)
        assert np.isfinite(search.best_score_)
        assert search.best_estimator_.used_weights_
        with pytest.raises(Exception):  # an unrequested parameter is refused
            make_search(kind, cv=GroupKFold(3)).fit(X, y, groups=groups, foo=weights)


@pytest.mark.parametrize("kind", KINDS)
def test_verbose_shows_progress(kind, capsys):
    make_search(kind, verbose=2).fit(X, y)
    out = capsys.readouterr().out
    name = "BayesSearchCV" if kind == "bayes" else "GeneticSearchCV"
    assert f"[{name}]" in out and "best score" in out and "candidates" in out
    assert "best params" in out


@pytest.mark.parametrize("kind", KINDS)
def test_stop_by_time_and_callback(kind):
    search = make_search(kind, max_time=1e-9, n_iter=20, n_generations=20).fit(X, y)
    assert search.stop_reason_ == "max_time"
    seen = []

    def stop_soon(search_, record):
        seen.append(record)
        return len(seen) == 2

    search = make_search(kind, callbacks=stop_soon, n_iter=20, n_generations=20).fit(X, y)
    assert search.stop_reason_ == "callback" and len(seen) == 2
    assert {"best_score", "best_params", "cv_results", "n_fits", "elapsed"} <= set(seen[-1])
    assert np.isfinite(search.best_score_)


@pytest.mark.parametrize("kind", KINDS)
def test_torch_threads_shared_under_threading_backend(kind):
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with parallel_backend("threading", n_jobs=2):
            search = make_search(kind, ThreadProbe(), {"C": (0.1, 1.0)}, n_iter=2,
                                 population_size=2, n_generations=0).fit(X, y)
        assert set(search.cv_results_["mean_test_score"]) == {1.0}
        assert torch.get_num_threads() == 2  # restored
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("kind", KINDS)
def test_two_searches_in_threads(kind):
    results, errors = {}, []

    def work(seed):
        try:
            search = make_search(kind, random_state=seed).fit(X, y)
            results[seed] = rows(search)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(s,)) for s in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and set(results) == {0, 1}
    assert results[0] == rows(make_search(kind, random_state=0).fit(X, y))


@pytest.mark.parametrize("kind", KINDS)
def test_nested_search(kind):
    inner = make_search(kind, cv=2)
    outer_space = ({"n_iter": [2, 3]} if kind == "bayes" else {"population_size": [2, 3]})
    outer = make_search(kind, inner, outer_space, cv=2, n_iter=2,
                        population_size=2, n_generations=0).fit(X, y)
    assert outer.best_estimator_.best_params_
    scores = cross_val_score(make_search(kind, cv=2), X, y, cv=2)
    assert np.isfinite(scores).all()


@pytest.mark.parametrize("kind", KINDS)
def test_cache_reset_between_fits(kind):
    search = make_search(kind, DecisionTreeClassifier(), {"max_depth": [1, 2, 3]},
                         n_iter=6)
    search.fit(X, y)
    first = dict(rows(search))
    y_shuffled = np.random.RandomState(0).permutation(y)
    search.fit(X, y_shuffled)
    second = dict(rows(search))
    assert set(first) == set(second)  # same configurations (all three) ...
    assert first != second  # ... scored again on the new labels
    assert search.n_fits_ == 3 * 3


def test_bad_constructor_values_raise():
    from sklstm.search import BayesSearchCV, GeneticSearchCV

    bad = [
        GeneticSearchCV(LogisticRegression(), SPACE, population_size=1),
        GeneticSearchCV(LogisticRegression(), SPACE, crossover_probability=1.5),
        GeneticSearchCV(LogisticRegression(), SPACE, mutation_probability=-0.1),
        GeneticSearchCV(LogisticRegression(), SPACE, algorithm="nsga2"),
        GeneticSearchCV(LogisticRegression(), SPACE, crossover_probability=0.9,
                        mutation_probability=0.2),
        GeneticSearchCV(LogisticRegression(), SPACE, algorithm="eaMuCommaLambda",
                        offspring_size=2),
        GeneticSearchCV(LogisticRegression(), SPACE, max_fits=2, cv=3),
        GeneticSearchCV(LogisticRegression(), {"C": "big"}),
        GeneticSearchCV(LogisticRegression(), {"nope": [1]}),
        GeneticSearchCV(LogisticRegression()),  # no LSTM, no space
        BayesSearchCV(LogisticRegression(), SPACE, n_iter=0),
        BayesSearchCV(LogisticRegression(), SPACE, optimizer_kwargs={"random_state": 1}),
        BayesSearchCV(LogisticRegression(), SPACE, optimizer_kwargs={"nope": 1}),
        BayesSearchCV(LogisticRegression(), SPACE, max_time=-1),
    ]
    for search in bad:
        with pytest.raises(ValueError):
            search.fit(X, y)


@pytest.mark.parametrize("kind", KINDS)
def test_scikit_learn_fit_callbacks(kind):
    pytest.importorskip("sklearn.callback")

    class Recorder:
        def __init__(self):
            self.tasks = []

        def setup(self, estimator, context):
            pass

        def teardown(self, estimator, context):
            pass

        def on_fit_task_begin(self, estimator, context, **kwargs):
            self.tasks.append(context.task_name)

        def on_fit_task_end(self, estimator, context, **kwargs):
            pass

    recorder = Recorder()
    search = make_search(kind)
    search.set_callbacks(recorder)
    search.fit(X, y)
    assert recorder.tasks.count("search") == 1
    assert recorder.tasks.count("candidate-split-evaluation") == search.n_fits_
    # GridSearchCV's tree: the root, the search, the fold fits, the refit
    assert len(recorder.tasks) == 1 + 1 + search.n_fits_ + 1


@pytest.mark.parametrize("kind", KINDS)
def test_html_display_shows_the_refitted_estimator(kind):
    search = make_search(kind, LogisticRegression(C=1.0), {"C": [0.01]}, n_iter=1,
                         population_size=2, n_generations=0, rescore_top=0,
                         initial_candidates=None)
    assert "estimator: LogisticRegression" in search._repr_html_()
    html = search.fit(X, y)._repr_html_()
    # GridSearchCV's display: the refitted best estimator, with its parameters
    assert "best_estimator_: LogisticRegression" in html
    assert "C=0.01" in html
    unrefitted = clone(search).set_params(refit=False).fit(X, y)._repr_html_()
    assert "best_estimator_" not in unrefitted


def _weight_warnings(search, weight):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        search.fit(X, y, sample_weight=weight)
    return [str(w.message) for w in record if "does not support sample_weight" in str(w.message)]


@pytest.mark.parametrize("kind", KINDS)
def test_sample_weight_and_a_scorer_that_cannot_take_it(kind):
    from sklearn.metrics import accuracy_score, make_scorer
    from sklearn.model_selection import GridSearchCV

    from sklstm._sklearn_compat import SEARCHES_WEIGH_SCORES

    weight = np.linspace(0.5, 2.0, len(y))
    seen = {}

    def weighted(estimator, X, y, sample_weight=None):
        seen.setdefault(len(seen), sample_weight is not None)
        return accuracy_score(y, estimator.predict(X), sample_weight=sample_weight)

    def unweighted(y_true, y_pred):
        return float(np.mean(y_true == y_pred))

    def new(scoring):
        return make_search(kind, FlakyClassifier(), {"C": [0.5, 1.0]}, n_iter=2,
                           population_size=2, n_generations=0, rescore_top=0,
                           scoring=scoring)

    def grid(scoring):
        return GridSearchCV(FlakyClassifier(), {"C": [0.5, 1.0]}, cv=3, scoring=scoring)

    cases = [make_scorer(unweighted), {"plain": make_scorer(unweighted),
                                       "accuracy": "accuracy"}, weighted, None]
    for scoring in cases:
        refit = "accuracy" if isinstance(scoring, dict) else True
        # the same warnings as GridSearchCV's (none before scikit-learn 1.8,
        # which never gives a scorer the weights without routing)
        expected = _weight_warnings(grid(scoring).set_params(refit=refit), weight)
        ours = _weight_warnings(new(scoring).set_params(refit=refit), weight)
        assert len(ours) == len(expected), (scoring, ours, expected)
        if SEARCHES_WEIGH_SCORES and not callable(scoring) and scoring is not None:
            assert ours and all("plain" in m or "unweighted" in m for m in ours)
    # a callable that names sample_weight gets the weights, as from GridSearchCV
    seen.clear()
    grid(weighted).fit(X, y, sample_weight=weight)
    grid_seen = set(seen.values())
    seen.clear()
    new(weighted).fit(X, y, sample_weight=weight)
    assert set(seen.values()) == grid_seen == {SEARCHES_WEIGH_SCORES}


class _MetadataRecorder:
    """A scikit-learn callback noting each fit task's sample weights."""

    def __init__(self):
        self.seen = []

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, *, metadata=None):
        weight = None if metadata is None else metadata.get("sample_weight")
        self.seen.append((context.task_name,
                          None if weight is None else round(float(np.sum(weight)), 6)))

    def on_fit_task_end(self, estimator, context, *, metadata=None):
        pass


@pytest.mark.parametrize("kind", KINDS)
def test_scikit_learn_callbacks_receive_the_sample_weights(kind):
    # as GridSearchCV gives them: the fold's weights to each fold fit, all of
    # them to the search's own fit and to the refit
    pytest.importorskip("sklearn.callback")
    from sklearn.model_selection import GridSearchCV, KFold

    weight = np.linspace(0.5, 2.0, len(y))
    cv = KFold(3)
    folds = sorted(round(float(weight[train].sum()), 6) for train, _ in cv.split(X))
    full = round(float(weight.sum()), 6)
    grid_recorder, recorder = _MetadataRecorder(), _MetadataRecorder()
    grid = GridSearchCV(FlakyClassifier(), {"C": [0.5, 1.0]}, cv=cv)
    grid.set_callbacks(grid_recorder)
    grid.fit(X, y, sample_weight=weight)
    search = make_search(kind, FlakyClassifier(), {"C": [0.5, 1.0]}, cv=cv, n_iter=2,
                         population_size=2, n_generations=0, rescore_top=0)
    search.set_callbacks(recorder)
    search.fit(X, y, sample_weight=weight)
    for seen in (grid_recorder.seen, recorder.seen):
        by_task = {}
        for task, value in seen:
            by_task.setdefault(task, []).append(value)
        assert sorted(by_task.pop("candidate-split-evaluation")) == sorted(folds * 2)
        assert by_task.pop("refit-with-best-params") == [full]
        assert full in by_task.pop("fit")  # the root task
        assert set(by_task) == {"search"}
    # without weights, no metadata
    recorder.seen.clear()
    search.fit(X, y)
    assert {value for _, value in recorder.seen} == {None}


@pytest.mark.parametrize("kind", ["bayes", "genetic"])
def test_space_values_the_estimator_refuses_warn_before_fitting(kind):
    pipe = make_pipeline(StandardScaler(), LogisticRegression())
    cases = [  # (space, warning, every candidate fails)
        ({"logisticregression__C": (0.0, 1.0)}, r"'logisticregression__C' holds the value 0\.0",
         False),
        ({"logisticregression__max_iter": (50.0, 100.0)}, r"integer bounds, e\.g\. \(50, 100\)",
         True),
        ({"logisticregression__solver": ["lbfgs", "lbgfs"]}, r"holds the value 'lbgfs'", False),
    ]
    for space, match, all_fail in cases:
        search = make_search(kind, pipe, space, n_iter=4, population_size=4,
                             n_generations=0, error_score=np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FitFailedWarning)
            with pytest.warns(UserWarning, match=match) as record:
                if all_fail:
                    with pytest.raises(ValueError, match="fits failed"):
                        search.fit(X, y)
                else:
                    search.fit(X, y)
        # said once, before the fits, and pointing at the caller's line
        ours = [w for w in record if "search space of" in str(w.message)]
        assert len(ours) == 1 and ours[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", "BayesSearchCV draws all", UserWarning)
        make_search(kind, pipe, {"logisticregression__C": (0.1, 1.0),
                                 "logisticregression__solver": ["lbfgs", "liblinear"]},
                    n_iter=2, population_size=2, n_generations=0).fit(X, y)


def test_space_values_of_a_swapped_step_are_not_checked_against_the_old_one():
    pipe = make_pipeline(StandardScaler(), LogisticRegression())
    spaces = [
        {"logisticregression__C": (0.1, 1.0)},
        # 'svd' is a RidgeClassifier solver that LogisticRegression would refuse
        {"logisticregression": [RidgeClassifier()],
         "logisticregression__solver": ["svd", "cholesky"]},
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", "BayesSearchCV draws all", UserWarning)
        search = make_search("genetic", pipe, spaces, population_size=4,
                             n_generations=0).fit(X, y)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


class SlowFit(LogisticRegression):
    """A logistic regression whose fit takes at least ``FIT_SECONDS``."""

    FIT_SECONDS = 0.02

    def fit(self, X, y, sample_weight=None):
        import time

        time.sleep(self.FIT_SECONDS)
        return super().fit(X, y, sample_weight=sample_weight)


@pytest.mark.parametrize("kind", KINDS)
def test_timings_separate_the_fits_from_the_searchers_own_time(kind, tmp_path):
    import time

    pause = 0.05

    def slow_callback(search, record):
        time.sleep(pause)  # a callback's time is the search's own, not a fit's

    search = make_search(kind, SlowFit(), {"C": (1e-2, 1e2, "log-uniform")},
                         callbacks=slow_callback, checkpoint=tmp_path / "s.ckpt")
    search.fit(X, y)
    t = search.timings_
    assert set(t) == {"search", "candidates", "checkpoint", "searcher", "refit"}
    assert t["search"] == pytest.approx(t["candidates"] + t["checkpoint"] + t["searcher"])
    assert t["candidates"] >= search.n_fits_ * SlowFit.FIT_SECONDS
    n_batches = len(search.logbook_) if kind == "genetic" else len(
        set(search.cv_results_["iteration"]))
    assert t["searcher"] >= n_batches * pause
    assert t["checkpoint"] > 0 and t["refit"] >= SlowFit.FIT_SECONDS
    assert search.search_overhead_ == pytest.approx(t["searcher"] + t["checkpoint"])
    # a resumed search replays the fits from the file: no candidate time
    resumed = make_search(kind, SlowFit(), {"C": (1e-2, 1e2, "log-uniform")},
                          checkpoint=tmp_path / "s.ckpt").fit(X, y)
    assert resumed.timings_["candidates"] == 0.0
    assert resumed.n_fits_ == search.n_fits_
    plain = make_search(kind, SlowFit(), {"C": (1e-2, 1e2, "log-uniform")}, refit=False)
    plain.fit(X, y)
    assert plain.timings_["checkpoint"] == 0.0 and plain.timings_["refit"] == 0.0
