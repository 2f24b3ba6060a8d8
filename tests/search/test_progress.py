"""Search progress: a redrawn bar in a terminal, plain lines elsewhere."""

import io
import sys

import pytest
from sklearn.tree import DecisionTreeClassifier

from sklstm.search import BayesSearchCV, GeneticSearchCV

from ._utils import data


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


SPACE = {"max_depth": (1, 8), "criterion": ["gini", "entropy"]}


def _search(kind, **kwargs):
    if kind == "bayes":
        return BayesSearchCV(DecisionTreeClassifier(), SPACE, n_iter=4, n_points=2,
                             cv=3, random_state=0,
                             optimizer_kwargs={"n_initial_points": 2}, **kwargs)
    return GeneticSearchCV(DecisionTreeClassifier(), SPACE, population_size=3,
                           n_generations=1, cv=3, random_state=0, **kwargs)


@pytest.mark.parametrize("kind", ["bayes", "genetic"])
def test_silent_by_default(kind, capsys):
    _search(kind).fit(*data())
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


@pytest.mark.parametrize("kind", ["bayes", "genetic"])
def test_plain_lines_when_not_a_terminal(kind, capsys):
    search = _search(kind, verbose=1).fit(*data())
    out = capsys.readouterr().out
    name = type(search).__name__
    lines = [line for line in out.splitlines() if line.startswith(f"[{name}]")]
    n_batches = len(set(search.cv_results_.get(
        "iteration", search.cv_results_.get("generation"))))
    assert len(lines) >= n_batches
    assert "\r" not in out and "\x1b" not in out  # no redrawing in logs
    n_rows = len(search.cv_results_["params"])
    assert f"{n_rows}/" in lines[-1] and "best score" in lines[-1]


@pytest.mark.parametrize("kind", ["bayes", "genetic"])
def test_bar_in_a_terminal(kind, monkeypatch):
    stream = FakeTTY()
    monkeypatch.setattr(sys, "stdout", stream)
    search = _search(kind, verbose=1).fit(*data())
    monkeypatch.undo()
    text = stream.getvalue()
    name = type(search).__name__
    n_rows = len(search.cv_results_["params"])
    assert "\r" in text  # redrawn in place
    assert name in text and "best" in text and "fits" in text
    # tqdm's bar: done/total and the elapsed time
    assert f"{n_rows}/" in text and "00:0" in text
    assert f"[{name}] " not in text  # no plain lines besides the bar


@pytest.mark.parametrize("kind", ["bayes", "genetic"])
def test_batch_and_fit_lines_as_scikit_learn_prints_them(kind, capsys):
    _search(kind, verbose=1).fit(*data())
    out = capsys.readouterr().out
    assert "Fitting 3 folds for each of" in out and "[CV " not in out
    _search(kind, verbose=2).fit(*data())
    lines = capsys.readouterr().out.splitlines()
    ends = [line for line in lines if line.startswith("[CV")]
    assert ends and all(line.startswith("[CV] END ") for line in ends)
    assert not any("score=" in line for line in ends)
    _search(kind, verbose=3).fit(*data())
    lines = capsys.readouterr().out.splitlines()
    ends = [line for line in lines if line.startswith("[CV")]
    assert ends and all(" END " in line and "score=" in line for line in ends)
    assert any(line.startswith("[CV 3/3] END ") and ";, score=" in line for line in ends)


def _fit_lines(search, capsys):
    """The per-fit lines of a search, without their durations."""
    capsys.readouterr()
    search.fit(*data())
    return sorted(line.split(" total time=")[0] for line in capsys.readouterr().out.splitlines()
                  if line.startswith("[CV"))


@pytest.mark.parametrize("kind", ["bayes", "genetic"])
@pytest.mark.parametrize("verbose", [2, 3])
@pytest.mark.parametrize("scoring", [None, ["accuracy", "balanced_accuracy"]])
def test_fit_lines_equal_grid_search_cv(kind, verbose, scoring, capsys):
    # the same lines, train scores included, as GridSearchCV prints for the
    # same candidates
    from sklearn.model_selection import GridSearchCV
    from sklearn.neighbors import KNeighborsClassifier

    space = {"n_neighbors": [3, 5]}
    refit = "accuracy" if scoring else True
    options = dict(cv=3, scoring=scoring, refit=refit, return_train_score=True,
                   verbose=verbose)
    grid = GridSearchCV(KNeighborsClassifier(), space, **options)
    if kind == "bayes":
        search = BayesSearchCV(KNeighborsClassifier(), space, n_iter=2, rescore_top=0,
                               initial_candidates=None, random_state=0, **options)
    else:
        search = GeneticSearchCV(KNeighborsClassifier(), space, population_size=2,
                                 n_generations=0, rescore_top=0, initial_candidates=None,
                                 random_state=0, **options)
    expected = _fit_lines(grid, capsys)
    assert expected and _fit_lines(search, capsys) == expected
