"""BayesSearchCV specifics: surrogates, penalties, batches, budgets."""

import math
import re
import warnings

import numpy as np
import pytest
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression

from sklstm.search import BayesSearchCV

from ._utils import FlakyClassifier, data, make_search

X, y = data()


@pytest.mark.parametrize("base_estimator", ["GP", "RF", "ET", "GBRT"])
def test_surrogates(base_estimator):
    search = make_search(
        "bayes", n_iter=3, cv=2,
        optimizer_kwargs={"base_estimator": base_estimator, "n_initial_points": 2,
                          "acq_optimizer": "sampling",
                          "acq_optimizer_kwargs": {"n_points": 200}},
    ).fit(X, y)
    (opt,) = search.optimizers_
    assert len(opt.Xi) == 3 and len(opt.models) >= 1
    assert search.stop_reason_ == "n_iter"


def test_failures_are_told_as_penalty():
    space = {"mode": ["ok", "fail", "nan"], "C": (0.1, 10.0)}
    search = make_search("bayes", FlakyClassifier(), space, n_iter=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitFailedWarning)
        search.fit(X, y)
    (opt,) = search.optimizers_
    assert len(opt.yi) == 10 and all(math.isfinite(v) for v in opt.yi)
    res = search.cv_results_
    finite = {-s for s in res["mean_test_score"] if math.isfinite(s)}
    mode_index = list(opt.space.dimension_names).index("mode")
    told_failed = [v for x, v in zip(opt.Xi, opt.yi) if x[mode_index] != 0]
    assert told_failed and all(any(math.isclose(v, f) for f in finite) for v in told_failed)


def test_repeated_proposals_are_not_refitted():
    search = make_search("bayes", space={"C": [0.1, 1.0]}, n_iter=6).fit(X, y)
    n_rows = len(search.cv_results_["params"])
    assert n_rows <= 2
    assert search.n_fits_ == 3 * n_rows
    assert len(search.optimizers_[0].Xi) == 6  # every proposal was told


def test_batches_of_points():
    search = make_search("bayes", n_iter=6, n_points=3).fit(X, y)
    assert list(np.bincount(search.cv_results_["iteration"])) == [3, 3]


def test_subspaces_share_n_iter():
    space = [{"C": (0.01, 10.0)}, {"C": (0.01, 10.0), "fit_intercept": [False]}]
    search = make_search("bayes", space=space, n_iter=5).fit(X, y)
    assert [len(o.Xi) for o in search.optimizers_] == [3, 2]
    assert list(search.cv_results_["iteration"]) == [0, 1, 2, 3, 4]


def test_no_improvement_stops():
    search = make_search("bayes", space={"C": [1.0]}, n_iter=20,
                         n_iter_no_change=2).fit(X, y)
    assert search.stop_reason_ == "no_improvement"
    assert len(search.optimizers_[0].Xi) == 3


def _budget_warnings(fit):
    """The budget warnings of BayesSearchCV that ``fit()`` gives.

    Every warning is recorded, and only BayesSearchCV's own are kept: what
    scikit-learn, scipy or skopt warn about on the way (deprecations differ
    between their versions) does not change the outcome.
    """
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        fit()
    return [str(w.message) for w in record
            if issubclass(w.category, UserWarning)
            and any(text in str(w.message) for text in
                    ("BayesSearchCV", "The search space", "has been evaluated at point"))]


def test_warns_when_every_candidate_is_random():
    space = {"C": (0.01, 10.0)}
    (message,) = _budget_warnings(
        lambda: BayesSearchCV(FlakyClassifier(), space, n_iter=4, cv=2,
                              initial_candidates=None).fit(X, y))
    assert re.search(r"all 4 candidates at random.*n_initial_points=10", message)
    # the estimator's own configuration is given, not drawn
    (message,) = _budget_warnings(
        lambda: BayesSearchCV(FlakyClassifier(), space, n_iter=4, cv=2).fit(X, y))
    assert re.search(r"all 3 candidates beyond the 1 given at random", message)
    subspaces = [space, {"C": (0.01, 10.0), "fit_intercept": [False]}]
    (message,) = _budget_warnings(
        lambda: BayesSearchCV(LogisticRegression(), subspaces, n_iter=5, cv=2,
                              optimizer_kwargs={"n_initial_points": 2}).fit(X, y))
    assert re.search(r"all 2 candidates of subspace 1 at random.*"
                     r"n_initial_points=2.*e\.g\. to 1", message)
    (message,) = _budget_warnings(
        lambda: BayesSearchCV(FlakyClassifier(), space, n_iter=1, cv=2,
                              initial_candidates=None).fit(X, y))
    assert re.search(r"all 1 candidates at random.*Raise n_iter\.$", message)
    # the surrogate proposes the last candidate
    assert _budget_warnings(
        lambda: BayesSearchCV(FlakyClassifier(), space, n_iter=3, cv=2,
                              optimizer_kwargs={"n_initial_points": 2}).fit(X, y)) == []
    # random draws may cover a space this small anyway: no advice to give
    assert _budget_warnings(
        lambda: BayesSearchCV(FlakyClassifier(), {"C": [0.1, 1.0]}, n_iter=2,
                              cv=2).fit(X, y)) == []
    # every candidate given: nothing is drawn at random
    assert _budget_warnings(
        lambda: BayesSearchCV(FlakyClassifier(), space, n_iter=2, cv=2,
                              initial_candidates=[{"C": 0.1}, {"C": 1.0}]).fit(X, y)) == []
    # a subspace without budget (n_iter below the number of subspaces) is not
    # said to draw "all 0 candidates at random"
    messages = _budget_warnings(
        lambda: BayesSearchCV(LogisticRegression(), [{"C": (0.1, 1.0)}, {"C": (1.0, 2.0)}],
                              n_iter=1, cv=2, initial_candidates=None).fit(X, y))
    assert len(messages) == 1 and "all 1 candidates of subspace 0" in messages[0]


def test_budget_warnings_ignore_third_party_warnings():
    # a library warning inside every fit, even turned into an error by an
    # outer filter, is neither mistaken for BayesSearchCV's nor fails the
    # helper above
    class Noisy(FlakyClassifier):
        def fit(self, X, y, sample_weight=None):
            warnings.warn("a library deprecation", DeprecationWarning)
            return super().fit(X, y, sample_weight=sample_weight)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _budget_warnings(
            lambda: BayesSearchCV(Noisy(), {"C": [0.1, 1.0]}, n_iter=2,
                                  cv=2).fit(X, y)) == []


def test_every_given_candidate_is_evaluated_one_per_batch():
    # n_points=1: each given candidate opens a batch of its own, in order,
    # before the optimiser proposes anything
    given = [{"C": 0.01}, {"C": 0.1}, {"C": 1.0}]
    search = BayesSearchCV(LogisticRegression(), {"C": (1e-3, 1e3, "log-uniform")},
                           n_iter=5, initial_candidates=given, cv=2, random_state=0,
                           rescore_top=0).fit(X, y)
    res = search.cv_results_
    assert [p["C"] for p in res["params"][:3]] == [0.01, 0.1, 1.0]
    assert list(res["iteration"]) == [0, 1, 2, 3, 4]
    assert len(search.optimizers_[0].Xi) == 5
    # n_points=2: two batches of given candidates, then a proposed one
    search = BayesSearchCV(LogisticRegression(), {"C": (1e-3, 1e3, "log-uniform")},
                           n_iter=4, n_points=2, initial_candidates=given, cv=2,
                           random_state=0, rescore_top=0).fit(X, y)
    res = search.cv_results_
    assert [p["C"] for p in res["params"][:3]] == [0.01, 0.1, 1.0]
    assert list(res["iteration"]) == [0, 0, 1, 1]


def test_more_given_candidates_than_n_iter_are_refused():
    given = [{"C": 0.01}, {"C": 0.1}, {"C": 1.0}]
    search = BayesSearchCV(LogisticRegression(), {"C": (1e-3, 1e3, "log-uniform")},
                           n_iter=2, initial_candidates=given, cv=2)
    with pytest.raises(ValueError, match=r"holds 3 candidates, more than n_iter=2.*"
                                         r"at least 3"):
        search.fit(X, y)


def test_n_iter_is_shared_by_the_size_of_the_subspaces():
    # a subspace of two configurations gets two candidates, the other the
    # rest, and every given candidate of the larger one is evaluated
    small = {"C": [0.1, 1.0]}
    large = {"C": [1.0, 2.0, 3.0, 4.0], "fit_intercept": [False]}
    given = [{"C": c, "fit_intercept": False} for c in (1.0, 2.0, 3.0, 4.0)]
    messages = _budget_warnings(lambda: BayesSearchCV(
        LogisticRegression(), [small, large], n_iter=6, cv=2, random_state=0,
        rescore_top=0, initial_candidates=given).fit(X, y))
    assert messages == []
    search = BayesSearchCV(LogisticRegression(), [small, large], n_iter=6, cv=2,
                           random_state=0, rescore_top=0,
                           initial_candidates=given).fit(X, y)
    assert [len(o.Xi) for o in search.optimizers_] == [2, 4]
    params = search.cv_results_["params"]
    assert sorted(p["C"] for p in params if "fit_intercept" in p) == [1.0, 2.0, 3.0, 4.0]
    assert sorted(p["C"] for p in params if "fit_intercept" not in p) == [0.1, 1.0]
    # continuous subspaces share evenly, the given candidates counted first
    search = BayesSearchCV(LogisticRegression(), [{"C": (0.1, 1.0)}, {"C": (1.0, 2.0)}],
                           n_iter=5, cv=2, random_state=0, rescore_top=0,
                           initial_candidates=[{"C": 1.5}, {"C": 1.6}]).fit(X, y)
    assert [len(o.Xi) for o in search.optimizers_] == [3, 2]


@pytest.mark.parametrize("kwargs, match", [
    ({"n_initial_points": 0}, "n_initial_points must be an int >= 1"),
    ({"n_initial_points": 2.5}, "n_initial_points must be an int >= 1"),
    ({"space_constraint": 3}, "space_constraint must be a callable"),
])
def test_bad_optimizer_kwargs_are_refused_clearly(kwargs, match):
    search = BayesSearchCV(FlakyClassifier(), {"C": (0.01, 10.0)}, n_iter=3, cv=2,
                           optimizer_kwargs=kwargs)
    with pytest.raises(ValueError, match=match):
        search.fit(X, y)


def test_budget_larger_than_a_finite_space_warns_once():
    space = {"C": [0.1, 1.0], "fit_intercept": [True, False]}
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        search = BayesSearchCV(LogisticRegression(), space, n_iter=12, cv=2,
                               random_state=0,
                               optimizer_kwargs={"n_initial_points": 3}).fit(X, y)
    messages = [str(w.message) for w in record]
    # one warning, not also "draws all ... at random" with the opposite advice
    assert not [m for m in messages if "at random" in m]
    ours = [m for m in messages if "configurations, fewer than" in m]
    assert ours == [
        "The search space holds 4 configurations, fewer than the 12 candidates "
        "BayesSearchCV will propose: the rest repeat configurations already "
        "evaluated (they count towards n_iter but are not refitted). Lower n_iter, "
        "or use GridSearchCV for a space this small."
    ]
    # skopt's own warning at every repeated proposal is not passed on
    assert not [m for m in messages if "has been evaluated at point" in m]
    assert len(search.cv_results_["params"]) <= 4
    # an integer range counts its values; a real dimension makes it unbounded
    assert _budget_warnings(lambda: BayesSearchCV(
        LogisticRegression(), {"C": (0.1, 1.0), "max_iter": (100, 101)},
        n_iter=3, cv=2, optimizer_kwargs={"n_initial_points": 2}).fit(X, y)) == []
    with pytest.warns(UserWarning, match="holds 2 configurations, fewer than the 3"):
        BayesSearchCV(LogisticRegression(), {"max_iter": (100, 101)}, n_iter=3, cv=2,
                      optimizer_kwargs={"n_initial_points": 2}).fit(X, y)


def test_dummy_surrogate_is_refused_clearly():
    search = BayesSearchCV(FlakyClassifier(), {"C": (0.01, 10.0)}, n_iter=3, cv=2,
                           optimizer_kwargs={"base_estimator": "dummy"})
    with pytest.raises(ValueError, match="'DUMMY'.*RandomizedSearchCV"):
        search.fit(X, y)


def test_default_is_gaussian_process():
    search = BayesSearchCV(FlakyClassifier(), {"C": (0.1, 1.0)})
    assert search.optimizer_kwargs is None and search.n_iter == 15


def test_space_constraint_sees_parameter_values():
    def allowed(params):
        assert set(params) == {"C", "fit_intercept"}
        return params["fit_intercept"] is False and params["C"] < 1.0

    search = make_search("bayes", n_iter=4,
                         optimizer_kwargs={"n_initial_points": 100,
                                           "space_constraint": allowed}).fit(X, y)
    for p in search.cv_results_["params"]:
        assert p["fit_intercept"] is False and p["C"] < 1.0


@pytest.mark.parametrize("kwargs", [
    {},  # one candidate per batch
    {"n_points": 3},  # one batch of random draws
    {"n_points": 2},  # a batch, then one more
    {"optimizer_kwargs": {"initial_point_generator": "lhs"}},  # a fixed design
])
def test_a_small_space_is_covered_without_repeats_while_drawing_at_random(kwargs):
    # three values and three candidates: each value is evaluated once, and
    # there is nothing to warn about
    for seed in range(6):
        search = BayesSearchCV(LogisticRegression(), {"C": [0.01, 0.1, 1.0]},
                               n_iter=3, cv=2, random_state=seed, rescore_top=0,
                               initial_candidates=None, **kwargs)
        assert _budget_warnings(lambda: search.fit(X, y)) == []
        assert sorted(p["C"] for p in search.cv_results_["params"]) == [0.01, 0.1, 1.0]
        assert len(search.optimizers_[0].Xi) == 3


def test_repeats_of_the_surrogate_are_said_after_the_search():
    from types import SimpleNamespace

    from sklstm.search._bayes import _BayesStrategy
    from sklstm.search._space import _parse_search_spaces

    subspaces = _parse_search_spaces({"C": [0.01, 0.1, 1.0]})
    search = BayesSearchCV(LogisticRegression(), n_iter=3)
    strategy = _BayesStrategy(search, subspaces, [None], [3], [], None, [None])
    strategy.proposed = [3]
    run = SimpleNamespace(cache={(0, (0,)): 0.5, (0, (2,)): 0.6})
    (note,) = strategy.notes(run)
    assert note.startswith("BayesSearchCV proposed 3 candidates but evaluated only 2 "
                           "distinct configurations of the 3 the space holds")
    run.cache[(0, (1,))] = 0.7
    assert strategy.notes(run) == []
