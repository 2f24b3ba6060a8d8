"""The candidates a search evaluates first: the estimator's own values, or given ones."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from ._utils import data, make_search

KINDS = ["bayes", "genetic"]
X, y = data()
SPACE = {"C": (1e-3, 1e2, "log-uniform"), "fit_intercept": [True, False]}


def _first_rows(search):
    res = search.cv_results_
    column = "iteration" if "iteration" in res else "generation"
    return [p for p, g in zip(res["params"], res[column]) if g == 0]


def _same(params, expected):
    return all(
        params[k] == pytest.approx(v) if isinstance(v, float) else params[k] == v
        for k, v in expected.items()
    )


@pytest.mark.parametrize("kind", KINDS)
def test_the_estimator_as_given_is_a_first_candidate(kind):
    est = LogisticRegression(C=0.5, fit_intercept=False)
    search = make_search(kind, est, SPACE).fit(X, y)
    first = _first_rows(search)
    assert any(_same(p, {"C": 0.5, "fit_intercept": False}) for p in first)
    if kind == "bayes":  # it opens the first batch
        assert _same(search.cv_results_["params"][0], {"C": 0.5, "fit_intercept": False})


@pytest.mark.parametrize("kind", KINDS)
def test_given_candidates_are_evaluated_first(kind):
    given = [{"C": 0.02, "fit_intercept": True}, {"C": 7.0, "fit_intercept": False}]
    search = make_search(kind, LogisticRegression(), SPACE, n_points=2,
                         initial_candidates=given).fit(X, y)
    first = _first_rows(search)
    for candidate in given:
        assert any(_same(p, candidate) for p in first), candidate


@pytest.mark.parametrize("kind", KINDS)
def test_none_and_an_estimator_outside_the_space_add_nothing(kind):
    est = LogisticRegression(C=1e4)  # outside the C range
    a = make_search(kind, est, SPACE).fit(X, y)
    b = make_search(kind, est, SPACE, initial_candidates=None).fit(X, y)
    assert a.cv_results_["params"] == b.cv_results_["params"]
    assert not any(p["C"] == 1e4 for p in a.cv_results_["params"])
    c = make_search(kind, LogisticRegression(C=0.5), SPACE, initial_candidates=None).fit(X, y)
    assert not any(p["C"] == 0.5 for p in c.cv_results_["params"])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bad", [
    [{"C": 1e4, "fit_intercept": True}],  # out of range
    [{"C": 1.0}],  # a parameter missing
    [{"C": 1.0, "fit_intercept": True, "tol": 1.0}],  # one not searched
    ["C=1"],  # not a dict
])
def test_a_given_candidate_outside_the_space_is_refused(kind, bad):
    with pytest.raises(ValueError, match="initial"):
        make_search(kind, LogisticRegression(), SPACE, initial_candidates=bad).fit(X, y)


def test_space_constraint_applies_to_initial_candidates():
    def allowed(params):
        return params["C"] < 1.0

    kwargs = {"n_initial_points": 100, "space_constraint": allowed}
    search = make_search("bayes", LogisticRegression(C=5.0), SPACE,
                         optimizer_kwargs=kwargs).fit(X, y)
    assert all(p["C"] < 1.0 for p in search.cv_results_["params"])
    with pytest.raises(ValueError, match="space_constraint rejects"):
        make_search("bayes", LogisticRegression(), SPACE, optimizer_kwargs=kwargs,
                    initial_candidates=[{"C": 5.0, "fit_intercept": True}]).fit(X, y)


def test_initial_candidates_pick_the_right_subspace():
    space = [{"C": (0.01, 0.1)}, {"C": (1.0, 10.0), "fit_intercept": [False]}]
    search = make_search("bayes", LogisticRegression(C=2.0, fit_intercept=False), space,
                         n_iter=4).fit(X, y)
    # subspace 0 proposes first; the candidate opens subspace 1's first batch
    first = search.cv_results_["params"][1]
    assert first["C"] == pytest.approx(2.0) and first["fit_intercept"] is False
    assert np.sum([p["C"] == 2.0 for p in search.cv_results_["params"]]) == 1
