"""Forecast metrics, scorers, rolling-origin backtests and time-ordered folds."""

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import TimeSeriesSplit

from sklstm import LSTMForecaster
from sklstm.forecasting import (
    ForecastSplit, backtest, make_forecast_scorer, mape, mape_scorer, mase, mase_scorer,
    smape, smape_scorer,
)
from sklstm.search import BayesSearchCV, GeneticSearchCV

torch.set_num_threads(1)
TINY = dict(lookback=6, horizon=3, hidden_size=4, max_epochs=5, random_state=0)


def series(n=60, seed=0):
    t = np.arange(n)
    noise = np.random.RandomState(seed).normal(scale=0.1, size=n)
    return 10 + np.sin(2 * np.pi * t / 12) + 0.02 * t + noise


# ------------------------------------------------------------------ metrics
def test_metrics_by_hand():
    actual, forecast = np.array([100.0, 200.0, 50.0]), np.array([110.0, 180.0, 50.0])
    assert mape(actual, forecast) == pytest.approx((10 / 100 + 20 / 200 + 0) / 3)
    assert smape(actual, forecast) == pytest.approx((20 / 210 + 40 / 380 + 0) / 3)
    assert smape([0.0, 1.0], [0.0, 1.0]) == 0.0  # both zero: no error
    assert smape([1.0], [-1.0]) == 2.0
    # naive in-sample errors |2-1|, |4-2|, |7-4| -> 2; seasonal lag 2: |4-1|, |7-2| -> 4
    train = [1.0, 2.0, 4.0, 7.0]
    assert mase(actual, forecast, y_train=train) == pytest.approx(10.0 / 2)
    assert mase(actual, forecast, y_train=train, seasonal_period=2) == pytest.approx(10.0 / 4)


@pytest.mark.parametrize("call, match", [
    (lambda: mape([1, 2], [1]), "same length"),
    (lambda: smape([1, np.nan], [1, 2]), "NaN"),
    (lambda: mase([1], [1], y_train=[3, 3, 3]), "repeats itself exactly at lag 1"),
    (lambda: mase([1], [1], y_train=[3, 4], seasonal_period=2), "longer than seasonal_period=2"),
    (lambda: make_forecast_scorer("rmse"), "metric must be one of"),
    (lambda: make_forecast_scorer("mase", seasonal_period=0), "seasonal_period must be"),
])
def test_metric_errors_are_clear(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_scorers_score_the_steps_after_the_fit():
    y = series(63)
    f = LSTMForecaster(**TINY).fit(y[:60])
    forecast = f.predict()
    assert smape_scorer(f, y[60:]) == pytest.approx(-smape(y[60:], forecast))
    assert mape_scorer(f, y[60:]) == pytest.approx(f.score(y[60:]))
    assert mase_scorer(f, y[60:]) == pytest.approx(-mase(y[60:], forecast, y_train=y[:60]))
    seasonal = make_forecast_scorer("mase", seasonal_period=12)
    assert seasonal(f, y[60:]) == pytest.approx(
        -mase(y[60:], forecast, y_train=y[:60], seasonal_period=12))
    # a global model: the mean over its series
    a, b = series(53, seed=1), 2 * series(45, seed=2)
    g = LSTMForecaster(**TINY).fit([a[:50], b[:42]])
    fa, fb = g.predict()
    assert smape_scorer(g, [a[50:], b[42:]]) == pytest.approx(
        -(smape(a[50:], fa) + smape(b[42:], fb)) / 2)
    with pytest.raises(ValueError, match="score an LSTMForecaster"):
        smape_scorer(BaseEstimator(), y)
    with pytest.raises(NotFittedError):
        mase_scorer(LSTMForecaster(), y)


@pytest.mark.parametrize("kind", ["bayes", "genetic"])
def test_searchers_take_the_forecast_scorers(kind):
    y = series(45)
    space = {"lookback": (3, 8)}
    scoring = {"smape": smape_scorer, "mase": mase_scorer}
    if kind == "bayes":
        search = BayesSearchCV(LSTMForecaster(**TINY), space, n_iter=3, random_state=0,
                               scoring=scoring, refit="smape",
                               optimizer_kwargs={"n_initial_points": 3})
    else:
        search = GeneticSearchCV(LSTMForecaster(**TINY), space, population_size=3,
                                 n_generations=0, random_state=0, scoring=scoring,
                                 refit="smape", rescore_top=0)
    search.fit(y)
    res = search.cv_results_
    assert np.all(res["mean_test_smape"] < 0) and np.all(res["mean_test_mase"] < 0)
    # the first candidate's first fold by hand: TimeSeriesSplit's folds
    train, test = next(TimeSeriesSplit(n_splits=3, test_size=3).split(y))
    first = LSTMForecaster(**dict(TINY, **res["params"][0])).fit(y[train])
    if kind == "genetic":  # the genetic search gives each candidate its own seed
        return
    assert res["split0_test_smape"][0] == pytest.approx(-smape(y[test], first.predict()),
                                                        rel=1e-5)


# ----------------------------------------------------------------- backtest
class LastValue(LSTMForecaster):
    """Forecasts the last value (no network): forecasts known by hand."""

    def fit(self, y, X=None):
        self.regressor_ = None
        self.last_ = float(np.asarray(y)[-1])
        return self

    def predict(self, horizon=None, X=None, *, series=None):
        last = self.last_ if series is None else float(np.asarray(series)[-1])
        return np.full(horizon, last)


Y = np.array([1.0, 2, 4, 3, 5, 6, 8, 7, 9, 12, 10, 11, 15, 14])


def test_backtest_against_a_rolling_origin_by_hand():
    # origins: cut 14 - 2 - k * 3 for k = 2, 1, 0 -> 6, 9, 12 (earliest first)
    result = backtest(LastValue(horizon=2), Y, n_origins=3, step=3)
    assert result["n_train"].tolist() == [6, 9, 12]
    assert result["cutoff"] == [5, 8, 11]
    # forecasts 6, 9, 11; actual (8, 7), (12, 10), (15, 14)
    for forecast, value in zip(result["forecast"], [6.0, 9.0, 11.0]):
        np.testing.assert_array_equal(forecast, [value, value])
    np.testing.assert_allclose(result["mape"], [(2 / 8 + 1 / 7) / 2, (3 / 12 + 1 / 10) / 2,
                                                (4 / 15 + 3 / 14) / 2])
    np.testing.assert_allclose(result["smape"], [(4 / 14 + 2 / 13) / 2, (6 / 21 + 2 / 19) / 2,
                                                 (8 / 26 + 6 / 25) / 2])
    # in-sample naive errors: Y[:6] -> 1,2,1,2,1 (mean 1.4); Y[:9] adds 2,1,2
    # (mean 12/8); Y[:12] adds 3,2,1 (mean 18/11)
    np.testing.assert_allclose(result["mase"], [1.5 / 1.4, 2.0 / (12 / 8), 3.5 / (18 / 11)])
    # a seasonal scale: lag 2 in Y[:6] -> |4-1|, |3-2|, |5-4|, |6-3| (mean 2)
    lag2 = backtest(LastValue(horizon=2), Y, n_origins=3, step=3, seasonal_period=2)
    assert lag2["mase"][0] == pytest.approx(1.5 / 2)
    # refit=False: one fit at the first origin, later origins from their history
    again = backtest(LastValue(horizon=2), Y, n_origins=3, step=3, refit=False)
    np.testing.assert_allclose(again["mape"], result["mape"])
    with pytest.raises(ValueError, match="backtest needs an LSTMForecaster"):
        backtest(BaseEstimator(), Y)


def test_backtest_refits_the_network_at_every_origin():
    y = series(40)
    result = backtest(LSTMForecaster(**TINY), y, n_origins=2, step=2)
    assert result["n_train"].tolist() == [35, 37]
    for cut, forecast, s in zip([35, 37], result["forecast"], result["smape"]):
        by_hand = LSTMForecaster(**TINY).fit(y[:cut]).predict()
        np.testing.assert_array_equal(forecast, by_hand)
        assert s == pytest.approx(smape(y[cut:cut + 3], by_hand))
    assert np.all(result["fit_time"] > 0)


def test_backtest_without_refit_forecasts_later_origins_from_their_history():
    y = series(40)
    f = LSTMForecaster(**TINY)
    result = backtest(f, y, n_origins=3, refit=False)
    assert result["n_train"].tolist() == [31, 34, 37]
    once = LSTMForecaster(**TINY).fit(y[:31])
    for cut, forecast in zip([31, 34, 37], result["forecast"]):
        np.testing.assert_allclose(forecast, once.predict(series=y[:cut]))
    assert result["fit_time"][0] > 0 and np.all(result["fit_time"][1:] == 0)
    assert not hasattr(f, "regressor_")  # the forecaster given is not fitted


def test_backtest_of_many_series_pandas_and_exogenous_columns():
    a = pd.Series(series(40), index=pd.period_range("2000-01", periods=40, freq="M"))
    b = pd.Series(2 * series(30, seed=1), index=pd.period_range("2005-01", periods=30,
                                                                freq="M"))
    result = backtest(LSTMForecaster(**TINY), [a, b], n_origins=2)
    assert result["n_train"] == [[34, 24], [37, 27]]
    assert result["cutoff"][1] == [pd.Period("2003-01"), pd.Period("2007-03")]
    forecast_a = result["forecast"][1][0]
    assert list(forecast_a.index) == list(pd.period_range("2003-02", periods=3, freq="M"))
    refit = LSTMForecaster(**TINY).fit([a.iloc[:37], b.iloc[:27]]).predict()
    expected = np.mean([smape(a.iloc[37:], refit[0]), smape(b.iloc[27:], refit[1])])
    assert result["smape"][1] == pytest.approx(expected)
    # exogenous columns: the future rows of every origin go to predict
    X = np.c_[np.arange(40) % 12, np.random.RandomState(0).normal(size=40)]
    y = series(40)
    with_x = backtest(LSTMForecaster(**TINY), y, X, n_origins=2)
    by_hand = LSTMForecaster(**TINY).fit(y[:34], X[:34]).predict(3, X=X[34:37])
    np.testing.assert_allclose(with_x["forecast"][0], by_hand)
    again = backtest(LSTMForecaster(**TINY), y, X, n_origins=2, refit=False)
    model = LSTMForecaster(**TINY).fit(y[:34], X[:34])
    np.testing.assert_allclose(again["forecast"][1], model.predict(3, X=X[:40], series=y[:37]))


@pytest.mark.parametrize("kwargs, match", [
    (dict(n_origins=10), "10 origins 3 steps apart, each forecasting 3 steps, need series "
                         "longer than 30 time steps; the shortest has 20"),
    (dict(n_origins=0), "n_origins must be a positive integer"),
    (dict(step=1.5), "step must be a positive integer"),
    (dict(refit="yes"), "refit must be True or False"),
])
def test_backtest_errors_are_clear(kwargs, match):
    with pytest.raises(ValueError, match=match):
        backtest(LSTMForecaster(**TINY), series(20), **kwargs)


# -------------------------------------------------------------------- folds
def test_forecast_split_is_time_series_split_with_a_clear_error():
    X = np.arange(40)
    ours = list(ForecastSplit(3, horizon=5).split(X))
    theirs = list(TimeSeriesSplit(3, test_size=5).split(X))
    for (a, b), (c, d) in zip(ours, theirs):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)
    assert len(ours) == 3
    with pytest.raises(ValueError, match="The series has 36 time steps, too few for 3 folds "
                                         "that each test 12 steps \\(horizon\\) after at "
                                         "least 13 training steps: that needs 49"):
        list(ForecastSplit(3, horizon=12, min_train_size=13).split(np.arange(36)))
    list(ForecastSplit(2, horizon=12, min_train_size=12).split(np.arange(36)))
    with pytest.raises(ValueError, match="and a gap of 2: that needs 12"):
        list(ForecastSplit(3, horizon=3, gap=2, min_train_size=1).split(np.arange(11)))


def test_the_forecaster_declares_its_default_folds():
    f = LSTMForecaster(horizon=12, seasonal_period=4)
    cv = f._default_cv()
    assert isinstance(cv, ForecastSplit)
    assert (cv.n_splits, cv.horizon, cv.min_train_size) == (3, 12, 1 + 12 + 4)
    with pytest.raises(ValueError, match="The series has 36 time steps, too few for 3 folds"):
        list(cv.split(np.arange(36)))
    # recursive: one target per window
    assert LSTMForecaster(horizon=12, strategy="recursive")._default_cv(2).min_train_size == 2


def test_backtest_of_a_long_format_series():
    a, b = series(40), 2 * series(30, seed=1)
    index = pd.MultiIndex.from_arrays([["a"] * 40 + ["b"] * 30,
                                       np.r_[np.arange(40), np.arange(30)]])
    long = backtest(LSTMForecaster(**TINY), pd.Series(np.r_[a, b], index=index), n_origins=2)
    listed = backtest(LSTMForecaster(**TINY), [a, b], n_origins=2)
    assert long["n_train"] == listed["n_train"] == [[34, 24], [37, 27]]
    np.testing.assert_allclose(long["smape"], listed["smape"])


def test_forecast_split_cuts_every_series_of_a_long_format_at_its_own_end():
    # rows interleaved: a (8 steps), b (5 steps), c (2 steps)
    ids = ["a", "b", "c"] * 2 + ["a", "b"] * 3 + ["a"] * 3
    times = [0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 6, 7]
    y = pd.Series(np.arange(15.0), index=pd.MultiIndex.from_arrays([ids, times]))
    folds = list(ForecastSplit(2, horizon=2).split(y))
    rows = {i: np.flatnonzero(np.array(ids) == i) for i in "abc"}
    # fold 0: each series' steps up to 2 before the last 2 train, those 2 test
    train, test = folds[0]
    np.testing.assert_array_equal(test, np.sort(np.r_[rows["a"][4:6], rows["b"][1:3]]))
    np.testing.assert_array_equal(train, np.sort(np.r_[rows["a"][:4], rows["b"][:1]]))
    train, test = folds[1]  # c (2 steps) has no training step left: left out
    np.testing.assert_array_equal(test, np.sort(np.r_[rows["a"][6:], rows["b"][3:]]))
    np.testing.assert_array_equal(train, np.sort(np.r_[rows["a"][:6], rows["b"][:3]]))
    with pytest.raises(ValueError, match="The longest series has 8 time steps, too few for 3 "
                                         "folds .* at least 3 training steps"):
        list(ForecastSplit(3, horizon=2, min_train_size=3).split(y))
    # a gap, and a larger minimum per series
    # (b has 5 - 2 - 1 = 2 training steps left in the last fold: too few for 3)
    train, test = list(ForecastSplit(2, horizon=2, gap=1, min_series_size=3).split(y))[1]
    np.testing.assert_array_equal(train, rows["a"][:5])
    np.testing.assert_array_equal(test, rows["a"][6:])
    train, test = list(ForecastSplit(2, horizon=2, gap=1, min_series_size=2).split(y))[1]
    np.testing.assert_array_equal(train, np.sort(np.r_[rows["a"][:5], rows["b"][:2]]))


class Recording(LSTMForecaster):
    """Records the end of every series it was fitted on and the periods it scored."""

    seen = []

    def _scored(self, y, X):  # what score and the forecast scorers compare
        fitted = {i: index[-1] for i, index in zip(self._ids, self._indexes)}
        for i in dict.fromkeys(y.index.get_level_values(0)):
            scored = y.loc[i].index
            Recording.seen.append((fitted[i], scored[0], scored[-1]))
        return super()._scored(y, X)


@pytest.mark.parametrize("scoring", [None, "scorers"])
def test_a_search_of_a_global_model_on_long_format_folds(scoring):
    parts = [series(40), 2 * series(30, seed=1), 3 * series(12, seed=2)]
    index = pd.MultiIndex.from_arrays(
        [np.repeat(["a", "b", "c"], [40, 30, 12]),
         np.concatenate([pd.period_range(end="2010-12", periods=n, freq="M")
                         for n in (40, 30, 12)])])
    y = pd.Series(np.concatenate(parts), index=index)
    Recording.seen = []
    est = Recording(**TINY)
    extra = {} if scoring is None else dict(
        scoring={"smape": smape_scorer, "mape": mape_scorer}, refit="smape")
    search = GeneticSearchCV(est, {"lookback": (3, 8)}, population_size=3, n_generations=0,
                             random_state=0, rescore_top=0, cv=est._default_cv(3),
                             **extra).fit(y)
    column = "mean_test_score" if scoring is None else "mean_test_smape"
    assert np.all(np.isfinite(search.cv_results_[column]))
    # every scored period starts right after the fitted end of its series
    # and lasts the horizon; the folds' last test periods end in 2010-12
    assert Recording.seen
    for last, start, end in Recording.seen:
        assert start == last + 1 and end == start + 2
    assert {end for _, _, end in Recording.seen} == {pd.Period(p, "M") for p in
                                                     ("2010-06", "2010-09", "2010-12")}
    out = search.best_estimator_.predict()
    assert list(dict.fromkeys(out.index.get_level_values(0))) == ["a", "b", "c"]
