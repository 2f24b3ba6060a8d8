"""Tests of sklstm.plotting: the figures hold the data they claim to show."""

import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.dummy import DummyClassifier  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402

from sklstm import LSTMClassifier, LSTMRegressor  # noqa: E402
from sklstm.datasets import (  # noqa: E402
    make_sequence_classification,
    make_sequence_regression,
)
from sklstm.plotting import (  # noqa: E402
    plot_generation_scores,
    plot_learning_curve,
    plot_param_scores,
    plot_rung_scores,
    plot_search_history,
)
from sklstm.preprocessing import SequenceScaler  # noqa: E402
from sklstm.search import GeneticSearchCV  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def one_thread():
    """Tiny fits are fastest, and fair to a shared machine, on one thread."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


@pytest.fixture(scope="module")
def tree_grid(iris):
    X, y = iris
    grid = {"max_depth": [1, 2, 3, None], "criterion": ["gini", "entropy"]}
    return GridSearchCV(DecisionTreeClassifier(random_state=0), grid, cv=3).fit(X, y)


class FakeSearch:
    """Just enough of a fitted search: cv_results_ (and optionally more)."""

    def __init__(self, cv_results, refit=True, **attributes):
        self.cv_results_ = cv_results
        self.refit = refit
        for name, value in attributes.items():
            setattr(self, name, value)


def _line(ax, label):
    [line] = [line for line in ax.get_lines() if line.get_label() == label]
    return line


def _points(ax, label="candidates"):
    [points] = [c for c in ax.collections if c.get_label() == label]
    return np.asarray(points.get_offsets())


# ---------------------------------------------------------------------------
# plot_learning_curve


def test_learning_curve_is_the_loss_curve(one_thread):
    X, y = make_sequence_classification(n_samples=20, n_timesteps=8, random_state=0)
    clf = LSTMClassifier(hidden_size=4, max_epochs=2, random_state=0).fit(X, y)
    fig, ax = plt.subplots()
    assert plot_learning_curve(clf, ax=ax) is ax
    line = _line(ax, "training loss")
    np.testing.assert_array_equal(line.get_xdata(), [1, 2])
    np.testing.assert_allclose(line.get_ydata(), clf.loss_curve_)
    assert [ln.get_label() for ln in ax.get_lines()] == ["training loss"]
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss"


def test_learning_curve_of_pipeline_with_validation_loss(one_thread):
    X, y = make_sequence_regression(n_samples=24, n_timesteps=6, random_state=0)
    pipe = make_pipeline(
        SequenceScaler(),
        LSTMRegressor(hidden_size=4, max_epochs=2, early_stopping=True,
                      validation_fraction=0.25, random_state=0),
    ).fit(X, y)
    reg = pipe[-1]
    ax = plot_learning_curve(pipe)
    np.testing.assert_allclose(_line(ax, "training loss").get_ydata(), reg.loss_curve_)
    valid = _line(ax, "validation loss")
    np.testing.assert_allclose(valid.get_ydata(), reg.net_.history[:, "valid_loss"])
    np.testing.assert_array_equal(valid.get_xdata(), [1, 2])
    best_epoch = 1 + int(np.argmin(valid.get_ydata()))
    [marker] = [ln for ln in ax.get_lines() if ln.get_label().startswith("lowest")]
    np.testing.assert_array_equal(marker.get_xdata(), [best_epoch, best_epoch])

    ax = plot_learning_curve(pipe, validation=False)
    assert [ln.get_label() for ln in ax.get_lines()] == ["training loss"]


def test_learning_curve_refuses_unfitted_and_curveless_estimators(iris):
    with pytest.raises(NotFittedError, match="not fitted"):
        plot_learning_curve(LSTMClassifier())
    with pytest.raises(ValueError, match="not fitted"):
        plot_learning_curve(make_pipeline(SequenceScaler(), LSTMRegressor()))
    dummy = DummyClassifier().fit(*iris)
    with pytest.raises(ValueError, match="loss curve"):
        plot_learning_curve(dummy)
    search = GridSearchCV(DecisionTreeClassifier(), {"max_depth": [1, 2]}, cv=2,
                          refit=False).fit(*iris)
    with pytest.raises(ValueError, match="refit=False"):
        plot_learning_curve(search)


# ---------------------------------------------------------------------------
# plot_search_history


def test_search_history_of_grid_search(tree_grid):
    scores = tree_grid.cv_results_["mean_test_score"]
    fig, ax = plt.subplots()
    assert plot_search_history(tree_grid, ax=ax) is ax
    points = _points(ax)
    assert len(points) == len(scores) == 8
    np.testing.assert_array_equal(points[:, 0], np.arange(8))
    np.testing.assert_allclose(points[:, 1], scores)

    best = _line(ax, "best so far").get_ydata()
    assert np.all(np.diff(best) >= 0)
    np.testing.assert_allclose(best, np.maximum.accumulate(scores))
    star = _line(ax, "best")
    assert star.get_xdata()[0] == tree_grid.best_index_
    assert star.get_ydata()[0] == pytest.approx(tree_grid.best_score_)
    assert ax.get_ylabel() == "mean test score"


def test_search_history_of_randomized_search(iris):
    search = RandomizedSearchCV(
        DecisionTreeClassifier(random_state=0), {"max_depth": range(1, 10)},
        n_iter=4, cv=2, random_state=0,
    ).fit(*iris)
    ax = plot_search_history(search)
    assert len(_points(ax)) == 4
    assert np.all(np.diff(_line(ax, "best so far").get_ydata()) >= 0)


def test_search_history_skips_failed_candidates():
    scores = np.array([np.nan, 0.5, np.nan, 0.4, 0.7, 0.6])
    ax = plot_search_history(FakeSearch({"mean_test_score": scores}))
    points = _points(ax)
    np.testing.assert_array_equal(points[:, 0], [1, 3, 4, 5])
    best = _line(ax, "best so far").get_ydata()
    assert np.isnan(best[0])
    np.testing.assert_allclose(best[1:], [0.5, 0.5, 0.5, 0.7, 0.7])
    assert _line(ax, "best").get_xdata()[0] == 4


def test_search_history_multimetric(iris):
    search = GridSearchCV(
        DecisionTreeClassifier(random_state=0), {"max_depth": [1, 2, 3]}, cv=2,
        scoring={"acc": "accuracy", "bal": "balanced_accuracy"}, refit="bal",
    ).fit(*iris)
    results = search.cv_results_
    ax = plot_search_history(search)
    np.testing.assert_allclose(_points(ax)[:, 1], results["mean_test_bal"])
    assert ax.get_ylabel() == "mean test bal"
    ax = plot_search_history(search, metric="acc")
    np.testing.assert_allclose(_points(ax)[:, 1], results["mean_test_acc"])
    with pytest.raises(ValueError, match="available metrics"):
        plot_search_history(search, metric="f1")
    unrefitted = FakeSearch(dict(results), refit=False)
    with pytest.raises(ValueError, match="'metric' argument"):
        plot_search_history(unrefitted)


def test_search_plots_refuse_what_is_not_a_search(tree_grid, iris):
    with pytest.raises(TypeError, match="not its cv_results_ dict"):
        plot_search_history(tree_grid.cv_results_)
    model = DecisionTreeClassifier().fit(*iris)
    for plot in (plot_search_history, plot_rung_scores):
        with pytest.raises(TypeError, match="got DecisionTreeClassifier.*plot_learning_curve"):
            plot(model)


def test_search_plots_refuse_unfitted_search():
    search = GridSearchCV(DecisionTreeClassifier(), {"max_depth": [1, 2]})
    for plot in (plot_search_history, plot_generation_scores):
        with pytest.raises(ValueError, match="fit the search"):
            plot(search)
    with pytest.raises(ValueError, match="fit the search"):
        plot_param_scores(search, "max_depth")


# ---------------------------------------------------------------------------
# plot_generation_scores


LOGBOOK = [
    {"gen": 0, "min": 0.5, "mean": 0.6, "max": 0.7, "std": 0.05},
    {"gen": 1, "min": 0.55, "mean": 0.65, "max": 0.8, "std": 0.05},
    {"gen": 2, "min": 0.7, "mean": 0.75, "max": 0.78, "std": 0.02},
]


def _band(ax):
    [band] = [c for c in ax.collections if c.get_label() == "min to max"]
    vertices = band.get_paths()[0].vertices
    return vertices[:, 1].min(), vertices[:, 1].max()


def test_generation_scores_from_logbook():
    search = FakeSearch({"mean_test_score": np.ones(3)}, logbook_=LOGBOOK)
    fig, ax = plt.subplots()
    assert plot_generation_scores(search, ax=ax) is ax
    mean = _line(ax, "mean")
    np.testing.assert_array_equal(mean.get_xdata(), [0, 1, 2])
    np.testing.assert_allclose(mean.get_ydata(), [0.6, 0.65, 0.75])
    assert _band(ax) == pytest.approx((0.5, 0.8))
    # without a "best" entry, the running best of the maxima is not invented
    assert "best so far" not in [ln.get_label() for ln in ax.get_lines()]

    logbook = [{"generation": r["gen"], "best": b, **r} for r, b in
               zip(LOGBOOK, [0.7, 0.8, 0.8])]
    ax = plot_generation_scores(FakeSearch({}, logbook_=logbook))
    np.testing.assert_allclose(_line(ax, "best so far").get_ydata(), [0.7, 0.8, 0.8])


def test_generation_scores_from_cv_results_generation_column():
    results = {
        "generation": np.array([0, 0, 0, 1, 1, 3]),
        "mean_test_score": np.array([0.2, 0.4, np.nan, 0.5, 0.3, 0.9]),
    }
    ax = plot_generation_scores(FakeSearch(results))
    mean = _line(ax, "mean")
    np.testing.assert_array_equal(mean.get_xdata(), [0, 1, 3])
    np.testing.assert_allclose(mean.get_ydata(), [0.3, 0.4, 0.9])
    np.testing.assert_allclose(_line(ax, "best so far").get_ydata(), [0.4, 0.5, 0.9])
    assert _band(ax) == pytest.approx((0.2, 0.9))


def test_generation_scores_refuses_searches_without_generations(tree_grid):
    with pytest.raises(ValueError, match="plot_search_history"):
        plot_generation_scores(tree_grid)
    with pytest.raises(ValueError, match="lack the keys"):
        plot_generation_scores(FakeSearch({}, logbook_=[{"gen": 0, "avg": 1.0}]))


# ---------------------------------------------------------------------------
# plot_param_scores


def test_param_scores_categorical_and_prefix(iris):
    pipe = make_pipeline(DecisionTreeClassifier(random_state=0))
    grid = {"decisiontreeclassifier__criterion": ["gini", "entropy", "log_loss"],
            "decisiontreeclassifier__max_depth": [2, None]}
    search = GridSearchCV(pipe, grid, cv=2).fit(*iris)
    results = search.cv_results_

    ax = plot_param_scores(search, "criterion")
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["entropy", "gini", "log_loss"]
    points = _points(ax)
    assert len(points) == len(results["params"]) == 6
    expected_x = [labels.index(v) for v in results["param_decisiontreeclassifier__criterion"]]
    np.testing.assert_array_equal(points[:, 0], expected_x)
    np.testing.assert_allclose(points[:, 1], results["mean_test_score"])
    assert ax.get_xlabel() == "decisiontreeclassifier__criterion"

    # numbers mixed with None are categories, numbers first
    ax = plot_param_scores(search, "decisiontreeclassifier__max_depth")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2", "None"]


def test_param_scores_numeric_axis_and_log_scale():
    c = np.array([0.001, 0.01, 0.1, 1.0])
    results = {"param_C": np.ma.masked_array(c, dtype=object),
               "mean_test_score": np.array([0.5, 0.6, 0.8, 0.7])}
    ax = plot_param_scores(FakeSearch(results), "C")
    assert ax.get_xscale() == "log"
    np.testing.assert_allclose(_points(ax)[:, 0], c)
    assert _line(ax, "best").get_xdata()[0] == pytest.approx(0.1)

    results["param_C"] = np.ma.masked_array([1, 5, 20, 50], dtype=object)
    ax = plot_param_scores(FakeSearch(results), "C")
    assert ax.get_xscale() == "linear"
    assert plot_param_scores(FakeSearch(results), "C", log_scale=True).get_xscale() == "log"


def test_param_scores_skip_masked_and_failed_candidates():
    values = np.ma.masked_array([1, 2, 3, 4], mask=[False, True, False, False],
                                dtype=object)
    results = {"param_alpha": values,
               "mean_test_score": np.array([0.1, 0.2, np.nan, 0.4])}
    ax = plot_param_scores(FakeSearch(results), "param_alpha")
    np.testing.assert_array_equal(_points(ax)[:, 0], [1, 4])


def test_param_scores_unknown_or_ambiguous_param():
    results = {"param_a__depth": np.ma.masked_array([1], dtype=object),
               "param_b__depth": np.ma.masked_array([2], dtype=object),
               "mean_test_score": np.array([0.5])}
    with pytest.raises(ValueError, match="ambiguous"):
        plot_param_scores(FakeSearch(results), "depth")
    with pytest.raises(ValueError, match="not in cv_results_"):
        plot_param_scores(FakeSearch(results), "width")
    plot_param_scores(FakeSearch(results), "a__depth")


# ---------------------------------------------------------------------------
# a real genetic search


def test_plots_of_a_genetic_search(iris):
    search_module = pytest.importorskip("sklstm.search")
    from sklearn.linear_model import LogisticRegression

    X, y = iris
    search = search_module.GeneticSearchCV(
        LogisticRegression(solver="liblinear"),
        {"C": (1e-3, 1e2, "log-uniform"), "fit_intercept": [True, False]},
        population_size=4, n_generations=2, cv=2, random_state=0,
    ).fit(X, y == 2)
    generations = [record["generation"] for record in search.logbook_]

    ax = plot_generation_scores(search)
    np.testing.assert_array_equal(_line(ax, "mean").get_xdata(), generations)
    np.testing.assert_allclose(_line(ax, "mean").get_ydata(),
                               [record["mean"] for record in search.logbook_])
    assert np.all(np.diff(_line(ax, "best so far").get_ydata()) >= 0)

    ax = plot_search_history(search)
    assert len(_points(ax)) == len(search.cv_results_["params"])
    assert _line(ax, "best").get_ydata()[0] == pytest.approx(search.best_score_)

    ax = plot_param_scores(search, "C")
    assert len(_points(ax)) == len(search.cv_results_["params"])
    ax = plot_param_scores(search, "fit_intercept")
    assert {t.get_text() for t in ax.get_xticklabels()} <= {"False", "True"}


def test_plots_of_a_bayes_search(iris):
    search_module = pytest.importorskip("sklstm.search")
    search = search_module.BayesSearchCV(
        DecisionTreeClassifier(),
        {"max_depth": (1, 8), "criterion": ["gini", "entropy"]},
        n_iter=4, cv=2, random_state=0,
    ).fit(*iris)
    results = search.cv_results_
    ax = plot_search_history(search)
    np.testing.assert_allclose(_points(ax)[:, 1], results["mean_test_score"])
    ax = plot_param_scores(search, "max_depth")
    assert ax.get_xscale() == "linear"
    np.testing.assert_array_equal(_points(ax)[:, 0],
                                  np.asarray(results["param_max_depth"], dtype=float))
    with pytest.raises(ValueError, match="records no generations"):
        plot_generation_scores(search)


# ---------------------------------------------------------------------------
# matplotlib is optional


# ---------------------------------------------------------------------------
# plot_rung_scores


def _rung_results(metrics=("score",)):
    nan = np.nan
    rows = {  # four candidates: stopped at rung 0, failed, stopped at 1, full
        0: [0.5, 0.4, 0.6, 0.7],
        1: [nan, nan, 0.65, 0.75],
        2: [nan, nan, nan, 0.9],
    }
    results = {"rung": np.array([0, 0, 1, 2])}
    for m, metric in enumerate(metrics):
        for k, values in rows.items():
            results[f"rung{k}_mean_test_{metric}"] = np.array(values) - m / 10
    return results


def test_rung_scores_lines_follow_the_rungs():
    search = FakeSearch(_rung_results(), best_index_=3, n_resources_=[2, 6, 18])
    ax = plot_rung_scores(search)
    stopped, full = _line(ax, "stopped early"), _line(ax, "full budget")
    # the first stopped candidate, then the full-budget one, epochs on x
    assert stopped.get_xdata().tolist() == [2]
    assert full.get_xdata().tolist() == [2, 6, 18]
    assert full.get_ydata().tolist() == [0.7, 0.75, 0.9]
    best = _line(ax, "best")
    assert (best.get_xdata()[0], best.get_ydata()[0]) == (18, 0.9)
    # the failed candidate has no line; the others have one each, the best
    # one a red line over its own and a star
    lengths = sorted(len(line.get_xdata()) for line in ax.get_lines())
    assert lengths == [1, 1, 1, 2, 3, 3]
    assert ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2", "6", "18"]


def test_rung_scores_metric_choice_and_refusals(tree_grid):
    search = FakeSearch(_rung_results(("acc", "f1")), refit="f1", best_index_=3)
    assert _line(plot_rung_scores(search), "best").get_ydata()[0] == pytest.approx(0.8)
    ax = plot_rung_scores(search, metric="acc")
    assert _line(ax, "best").get_ydata()[0] == pytest.approx(0.9)
    # without n_resources_ the rungs are numbered from 1
    assert _line(ax, "best").get_xdata()[0] == 3
    with pytest.raises(ValueError, match="available metrics"):
        plot_rung_scores(search, metric="recall")
    with pytest.raises(ValueError, match="choose one"):
        plot_rung_scores(FakeSearch(_rung_results(("acc", "f1")), refit=False))
    with pytest.raises(ValueError, match="resource='max_epochs'"):
        plot_rung_scores(tree_grid)
    with pytest.raises(ValueError, match="fit the search"):
        plot_rung_scores(GridSearchCV(DecisionTreeClassifier(), {"max_depth": [1, 2]}))


def test_rung_scores_of_a_multi_fidelity_search(one_thread):
    X, y = make_sequence_classification(n_samples=40, n_timesteps=6, random_state=0)
    search = GeneticSearchCV(
        LSTMClassifier(hidden_size=4, max_epochs=4, batch_size=16),
        {"lr": (1e-3, 1e-1, "log-uniform")}, population_size=4, n_generations=0,
        cv=2, random_state=0, resource="max_epochs", min_resource=1,
        reduction_factor=2,
    ).fit(X, y)
    ax = plot_rung_scores(search)
    best = _line(ax, "best")
    assert best.get_xdata()[0] == 4
    assert best.get_ydata()[0] == pytest.approx(search.best_score_)
    assert sorted(len(line.get_xdata()) for line in ax.get_lines()[:4]) == [1, 1, 2, 3]


def test_missing_matplotlib_says_how_to_install(monkeypatch, tree_grid):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install 'sklstm\[plot\]'"):
        plot_search_history(tree_grid)
