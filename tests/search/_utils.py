"""Small estimators and data shared by the search tests."""

import math

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from sklstm.search import BayesSearchCV, GeneticSearchCV


def data(n_samples=60, random_state=0):
    return make_classification(
        n_samples=n_samples, n_features=5, n_informative=3, random_state=random_state
    )


class FlakyClassifier(ClassifierMixin, BaseEstimator):
    """A logistic regression that fails (``mode="fail"``) or scores NaN (``"nan"``).

    ``extra`` accepts any object and is ignored; ``random_state`` is stored in
    ``seen_random_state_``.
    """

    def __init__(self, mode="ok", C=1.0, extra=None, random_state=None):
        self.mode = mode
        self.C = C
        self.extra = extra
        self.random_state = random_state

    def fit(self, X, y, sample_weight=None):
        if self.mode == "fail":
            raise ValueError("flaky failure")
        self.model_ = LogisticRegression(C=self.C).fit(X, y, sample_weight=sample_weight)
        self.classes_ = self.model_.classes_
        self.seen_random_state_ = self.random_state
        self.used_weights_ = sample_weight is not None
        return self

    def predict(self, X):
        return self.model_.predict(X)

    def score(self, X, y, sample_weight=None):
        if self.mode == "nan":
            return math.nan
        return super().score(X, y, sample_weight=sample_weight)


class CountingClassifier(ClassifierMixin, BaseEstimator):
    """Fails on every fit after the first ``limit`` fits (counted per class)."""

    fits = 0
    limit = 4

    def __init__(self, C=1.0):
        self.C = C

    def fit(self, X, y):
        type(self).fits += 1
        if type(self).fits > type(self).limit:
            raise ValueError("out of luck")
        self.model_ = LogisticRegression(C=self.C).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        return self.model_.predict(X)


class ThreadProbe(ClassifierMixin, BaseEstimator):
    """Scores the number of torch threads it saw while fitting."""

    def __init__(self, C=1.0):
        self.C = C

    def fit(self, X, y):
        import torch

        self.threads_ = torch.get_num_threads()
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])

    def score(self, X, y):
        return float(self.threads_)


SPACE = {"C": (1e-3, 1e2, "log-uniform"), "fit_intercept": [True, False]}


def make_search(kind, estimator=None, space=SPACE, **kwargs):
    """A small, fast search of either kind (Bayes stays in its random phase).

    Keyword arguments that the other searcher only knows are dropped, so one
    call can configure both.
    """
    estimator = LogisticRegression() if estimator is None else estimator
    cls = BayesSearchCV if kind == "bayes" else GeneticSearchCV
    kwargs = {k: v for k, v in kwargs.items() if k in cls._get_param_names()}
    kwargs.setdefault("cv", 3)
    kwargs.setdefault("random_state", 0)
    if kind == "bayes":
        kwargs.setdefault("n_iter", 6)
        kwargs.setdefault("optimizer_kwargs", {"n_initial_points": 100})
        return BayesSearchCV(estimator, space, **kwargs)
    kwargs.setdefault("population_size", 4)
    kwargs.setdefault("n_generations", 2)
    return GeneticSearchCV(estimator, space, **kwargs)


def rows(search):
    """(params repr, mean score) of each cv_results_ row, for comparisons."""
    res = search.cv_results_
    return [
        (repr(sorted(p.items())), float(s))
        for p, s in zip(res["params"], res["mean_test_score"])
    ]


def distributed_searches():
    """Both searchers over a tree, with several batches: the distributed tests' pair."""
    space = {"max_depth": (1, 10), "criterion": ["gini", "entropy"],
             "min_samples_leaf": (1, 20)}
    tree = DecisionTreeClassifier()
    return [
        BayesSearchCV(tree, space, n_iter=6, n_points=2, cv=3, random_state=0,
                      optimizer_kwargs={"n_initial_points": 4}),
        GeneticSearchCV(tree, space, population_size=4, n_generations=2, cv=3,
                        random_state=0),
    ]


def assert_same_search(remote, local_results, local_best):
    """``remote`` found the candidates, scores, ranks and best of a local run."""
    assert remote.cv_results_["params"] == local_results["params"]
    np.testing.assert_array_equal(remote.cv_results_["mean_test_score"],
                                  local_results["mean_test_score"])
    np.testing.assert_array_equal(remote.cv_results_["rank_test_score"],
                                  local_results["rank_test_score"])
    assert remote.best_params_ == local_best
