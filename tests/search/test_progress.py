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
    ends = [line for line in lines if line.startswith("[CV ")]
    assert ends and all(" END " in line and "score=" in line for line in ends)
    assert any(line.startswith("[CV 3/3] END criterion=") for line in ends)
