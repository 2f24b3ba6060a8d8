"""LSTMForecaster: windows inside the model, tunable, time-ordered folds."""

import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import TimeSeriesSplit

from sklstm import LSTMForecaster
from sklstm.search import BayesSearchCV, GeneticSearchCV, default_lstm_space

torch.set_num_threads(1)
TINY = dict(lookback=6, horizon=3, hidden_size=4, max_epochs=5, random_state=0)


def series(n=60, seed=0):
    t = np.arange(n)
    noise = np.random.RandomState(seed).normal(scale=0.1, size=n)
    return 10 + np.sin(2 * np.pi * t / 12) + 0.02 * t + noise


def test_forecasts_have_the_asked_length_and_continue_past_one_pass():
    f = LSTMForecaster(**TINY).fit(series())
    assert f.predict().shape == (3,)
    long = f.predict(horizon=8)
    assert long.shape == (8,) and np.all(np.isfinite(long))
    # the first pass is the same whatever the length asked for
    np.testing.assert_allclose(long[:3], f.predict())
    assert f.cutoff_ == 59 and f.n_series_ == 1 and f.n_exogenous_ == 0


def test_same_seed_same_forecast_and_pickling():
    y = series()
    a = LSTMForecaster(**TINY).fit(y).predict()
    b = LSTMForecaster(**TINY).fit(y)
    np.testing.assert_array_equal(a, b.predict())
    again = pickle.loads(pickle.dumps(b))
    np.testing.assert_array_equal(again.predict(), a)
    other = LSTMForecaster(**dict(TINY, random_state=1)).fit(y).predict()
    assert not np.array_equal(a, other)


def test_recursive_and_direct_agree_at_horizon_one():
    y = series()
    direct = LSTMForecaster(**dict(TINY, horizon=1), strategy="direct").fit(y)
    recursive = LSTMForecaster(**dict(TINY, horizon=1), strategy="recursive").fit(y)
    np.testing.assert_allclose(direct.predict(), recursive.predict(), rtol=1e-6)
    np.testing.assert_allclose(direct.predict(5), recursive.predict(5), rtol=1e-6)
    # at longer horizons they are different models
    d3 = LSTMForecaster(**TINY, strategy="direct").fit(y).predict()
    r3 = LSTMForecaster(**TINY, strategy="recursive").fit(y).predict()
    assert not np.allclose(d3, r3)


@pytest.mark.parametrize("normalize", ["last_value", "window", None])
def test_no_change_from_the_network_repeats_an_exact_season(normalize):
    # an exactly periodic series has seasonal differences of zero; a network
    # that predicts "no change" must then give last year back, on the log
    # scale too: this checks the way back from the network to the series
    t = np.arange(72)
    y = 5 + np.sin(2 * np.pi * t / 12) + (t % 12 == 3)
    for log in (False, True):
        f = LSTMForecaster(**dict(TINY, horizon=12), seasonal_period=12, log=log,
                           normalize=normalize).fit(y)
        f.regressor_.predict = lambda X: np.zeros((len(X), 12))
        np.testing.assert_allclose(f.predict(30), np.tile(y[-12:], 3)[:30], rtol=1e-12)


def test_log_forecasts_stay_positive_and_need_positive_values():
    y = np.exp(series() / 3)
    f = LSTMForecaster(**TINY, log=True).fit(y)
    assert np.all(f.predict(10) > 0)
    with pytest.raises(ValueError, match="values <= 0.*log=True"):
        LSTMForecaster(**TINY, log=True).fit(y - y.mean())


def test_log_auto_takes_the_log_of_positive_series_only():
    y = np.exp(series() / 3)
    auto = LSTMForecaster(**TINY).fit(y)
    assert auto.log == "auto" and auto.log_ is True
    # the same model as log=True
    np.testing.assert_array_equal(auto.predict(5), LSTMForecaster(**TINY, log=True).fit(y).predict(5))
    centred = y - y.mean()
    auto = LSTMForecaster(**TINY).fit(centred)
    assert auto.log_ is False
    np.testing.assert_array_equal(auto.predict(5),
                                  LSTMForecaster(**TINY, log=False).fit(centred).predict(5))
    # one series with a value <= 0 decides for the global model
    assert LSTMForecaster(**TINY).fit([y, centred]).log_ is False
    assert LSTMForecaster(**TINY, log=False).fit(y).log_ is False
    with pytest.raises(ValueError, match="log"):
        LSTMForecaster(**TINY, log="yes").fit(y)


def test_pandas_series_gives_dated_forecasts_and_checks_the_index():
    y = pd.Series(series(), index=pd.date_range("2000-01", periods=60, freq="MS"))
    f = LSTMForecaster(**TINY).fit(y)
    out = f.predict()
    assert isinstance(out, pd.Series)
    assert list(out.index) == list(pd.date_range("2005-01", periods=3, freq="MS"))
    assert f.cutoff_ == pd.Timestamp("2004-12-01")
    np.testing.assert_allclose(out.to_numpy(), LSTMForecaster(**TINY).fit(y.to_numpy()).predict())
    with pytest.raises(ValueError, match="must increase strictly"):
        LSTMForecaster(**TINY).fit(y.iloc[::-1])
    with pytest.raises(ValueError, match="must increase strictly"):
        LSTMForecaster(**TINY).fit(pd.concat([y.iloc[:30], y.iloc[29:]]))
    # a scored period must start right after the fit
    later = y.iloc[50:53]
    with pytest.raises(ValueError, match="right after the training period"):
        LSTMForecaster(**TINY).fit(y.iloc[:40]).score(later)
    assert LSTMForecaster(**TINY).fit(y.iloc[:50]).score(later) <= 0
    # months differ in length: a fancy-indexed fold (no freq) is still
    # recognised as the month right after (March -> April: 31 days, after
    # February's 28)
    train = pd.Series(y.to_numpy()[:27], index=pd.DatetimeIndex(list(y.index[:27])))
    assert train.index.freq is None  # 2000-01 .. 2002-03
    f = LSTMForecaster(**TINY).fit(train)
    assert f.score(y.iloc[27:30]) <= 0
    with pytest.raises(ValueError, match="right after"):
        f.score(y.iloc[28:31])


@pytest.mark.parametrize("bad, match", [
    (np.arange(1.0, 4.0), "y has 3 time steps; a training window needs at least 4 "
                          "\\(one past step \\+ horizon\\)"),
    (np.r_[np.ones(20), np.nan, np.ones(20)], "NaN or infinity at time step\\(s\\) \\[20\\]"),
    (np.ones((30, 2)), "must be one series"),
    ([], "empty list"),
    (np.array(["a", "b"] * 10), "must hold numbers"),
])
def test_bad_series_are_refused_clearly(bad, match):
    with pytest.raises(ValueError, match=match):
        LSTMForecaster(**TINY).fit(bad)


def test_season_counts_in_the_length_needed():
    with pytest.raises(ValueError, match="needs at least 16 \\(one past step \\+ horizon "
                                         "\\+ seasonal_period\\)"):
        LSTMForecaster(**TINY, seasonal_period=12).fit(np.ones(15))
    with pytest.raises(ValueError, match="seasonal_period=12 every series needs at least 13"):
        LSTMForecaster(**TINY, seasonal_period=12).fit([np.ones(40), np.ones(12)])


def test_invalid_parameters_and_horizon():
    with pytest.raises(ValueError, match="strategy"):
        LSTMForecaster(**TINY, strategy="both").fit(series())
    with pytest.raises(ValueError, match="lookback"):
        LSTMForecaster(**dict(TINY, lookback=0)).fit(series())
    f = LSTMForecaster(**TINY).fit(series())
    for bad in (0, -2, 1.5, True):
        with pytest.raises(ValueError, match="horizon must be a positive integer"):
            f.predict(horizon=bad)


def test_exogenous_columns_in_and_their_future_needed():
    y = series()
    X = np.c_[np.arange(60) % 12, np.random.RandomState(0).normal(size=60)]
    f = LSTMForecaster(**TINY).fit(y, X)
    assert f.n_exogenous_ == 2
    future = np.c_[np.arange(60, 65) % 12, np.zeros(5)]
    assert f.predict(5, X=future).shape == (5,)
    with pytest.raises(ValueError, match="pass their 5 future rows as X"):
        f.predict(5)
    with pytest.raises(ValueError, match="shape \\(5, 2\\)"):
        f.predict(5, X=future[:4])
    with pytest.raises(ValueError, match="one row per time step \\(60\\)"):
        LSTMForecaster(**TINY).fit(y, X[:50])
    with pytest.raises(ValueError, match="fitted without X"):
        LSTMForecaster(**TINY).fit(y).predict(3, X=future[:3])
    # the exogenous input matters
    g = LSTMForecaster(**TINY).fit(y)
    assert not np.allclose(g.predict(), f.predict(3, X=future[:3]))


def test_several_series_train_one_global_model():
    a, b = series(seed=0), 3 * series(n=50, seed=1)
    f = LSTMForecaster(**TINY).fit([a, b])
    out = f.predict()
    assert isinstance(out, list) and len(out) == 2 and f.n_series_ == 2
    assert all(o.shape == (3,) for o in out)
    # each forecast continues its own series
    assert abs(out[0].mean() - a[-6:].mean()) < abs(out[0].mean() - b[-6:].mean())
    assert abs(out[1].mean() - b[-6:].mean()) < abs(out[1].mean() - a[-6:].mean())
    # score compares each series with the steps that followed it
    later_a, later_b = series(n=63, seed=0)[60:], 3 * series(n=53, seed=1)[50:]
    mapes = [np.mean(np.abs(actual - fc) / actual)
             for actual, fc in zip((later_a, later_b), out)]
    assert f.score([later_a, later_b]) == pytest.approx(-np.mean(mapes))
    with pytest.raises(ValueError, match="fitted on 2 series \\(a list\\): pass a list of 2"):
        f.score(later_a)
    with pytest.raises(ValueError, match="pass a list of 2"):
        f.score([later_a])
    with pytest.raises(ValueError, match="fitted on 1 series: pass one series"):
        LSTMForecaster(**TINY).fit(a).score([later_a, later_b])


def test_prediction_intervals_from_backtests():
    y = series(n=80)
    f = LSTMForecaster(**TINY, interval_backtests=3).fit(y)
    # the k-th origin (3k steps before the end) forecasts the 3k steps to the end
    assert f.interval_residuals_.shape == (3 + 6 + 9,)
    assert 0.5 <= f.interval_growth_ <= 1.0
    forecast, lower, upper = f.predict_interval(horizon=6, coverage=0.8)
    assert np.all(lower < forecast) and np.all(forecast < upper)
    width = upper - lower
    assert np.all(np.diff(width) > 0)  # wider further ahead
    _, lo9, up9 = f.predict_interval(horizon=6, coverage=0.95)
    assert np.all(up9 - lo9 >= width)
    np.testing.assert_allclose(forecast, f.predict(6))
    with pytest.raises(ValueError, match="interval_backtests >= 1"):
        LSTMForecaster(**TINY).fit(y).predict_interval()
    with pytest.raises(ValueError, match="coverage"):
        f.predict_interval(coverage=1.5)
    with pytest.raises(ValueError, match="interval_backtests=30 needs a series of at least 94 "
                                         "time steps .* the longest has 80. Use at most 25"):
        LSTMForecaster(**TINY, interval_backtests=30).fit(y)


def residuals_by_hand(f, y, X=None):
    """``f.interval_residuals_`` recomputed from refits at 3 and 6 steps
    before the end of ``y`` (``TINY``'s horizon 3, two backtests), each
    forecasting to the end; the log scale as ``f`` chose."""
    errors = []
    for k in (1, 2):
        cut = len(y) - 3 * k
        refit = LSTMForecaster(**TINY, log=f.log_).fit(y[:cut], None if X is None else X[:cut])
        forecast = refit.predict(3 * k, X=None if X is None else X[cut:])
        errors.append(np.log(y[cut:]) - np.log(forecast))
    steps = np.r_[np.arange(1, 4), np.arange(1, 7)]
    return np.concatenate(errors) / steps ** f.interval_growth_


def test_the_backtest_refits_see_only_the_past_and_forecast_to_the_end():
    y = series(n=80)
    f = LSTMForecaster(**TINY, interval_backtests=2).fit(y)
    # the errors come back from the refits' own forecasts, by hand
    np.testing.assert_allclose(f.interval_residuals_, residuals_by_hand(f, y))


@pytest.mark.parametrize("power, expected", [(0.5, 0.5), (0.8, 0.8), (1.0, 1.0),
                                             (0.1, 0.5), (2.0, 1.0)])
def test_error_growth_is_fitted_and_clipped(power, expected):
    from sklstm._forecaster import _error_growth

    steps = np.tile(np.arange(1, 13), 4)
    signs = np.repeat([1.0, -1.0, 1.0, -1.0], 12)
    assert _error_growth(signs * 0.3 * steps ** power, steps) == pytest.approx(expected)
    assert _error_growth(np.ones(3), np.ones(3, dtype=int)) == 0.5


def test_error_growth_leaves_out_zero_and_non_finite_steps():
    from sklstm._forecaster import _error_growth

    steps = np.tile(np.arange(1, 7), 2)
    errors = 0.3 * steps ** 0.8
    # a step with no error, or a diverged refit's inf/NaN, does not decide
    for bad in (0.0, np.inf, np.nan):
        spoilt = errors.copy()
        spoilt[steps == 6] = bad
        assert _error_growth(spoilt, steps) == pytest.approx(0.8)
    assert _error_growth(np.where(steps > 1, np.nan, 1.0), steps) == 0.5
    assert _error_growth(np.zeros(12), steps) == 0.5


def test_backtests_with_exogenous_columns_and_series_of_different_lengths():
    y = series(n=80)
    X = np.c_[np.arange(80) % 12, np.random.RandomState(0).normal(size=80)]
    f = LSTMForecaster(**TINY, interval_backtests=2).fit(y, X)
    # the refits get the future exogenous rows of every step they forecast
    np.testing.assert_allclose(f.interval_residuals_, residuals_by_hand(f, y, X))
    future = np.c_[np.arange(80, 84) % 12, np.zeros(4)]
    forecast, lower, upper = f.predict_interval(4, X=future)
    assert np.all(lower < forecast) and np.all(forecast < upper)
    # a global model: each series is cut at its own end
    a, b = series(n=70, seed=0), 3 * series(n=55, seed=1)
    g = LSTMForecaster(**TINY, interval_backtests=2).fit([a, b])
    assert g.interval_residuals_.shape == (2 * (3 + 6),)
    forecasts, lowers, uppers = g.predict_interval(5)
    assert len(lowers) == 2 and all(lo.shape == (5,) and np.all(lo < fc) and np.all(fc < up)
                                    for fc, lo, up in zip(forecasts, lowers, uppers))


class RecordingForecaster(LSTMForecaster):
    """Records the time span it was fitted on and the one it was scored on."""

    seen = []

    def score(self, y, X=None):
        RecordingForecaster.seen.append((self._indexes[0][0], self.cutoff_, y.index[0],
                                        y.index[-1]))
        return super().score(y, X)


@pytest.mark.parametrize("kind", ["bayes", "genetic"])
def test_lookback_is_searched_on_folds_in_time_order(kind):
    y = pd.Series(series(n=48), index=pd.date_range("2000-01", periods=48, freq="MS"))
    RecordingForecaster.seen = []
    est = RecordingForecaster(**TINY)
    space = {"lookback": (3, 8), "normalize": ["last_value", "window"]}
    if kind == "bayes":
        search = BayesSearchCV(est, space, n_iter=4, random_state=0,
                               optimizer_kwargs={"n_initial_points": 4})
    else:
        search = GeneticSearchCV(est, space, population_size=4, n_generations=1,
                                 random_state=0)
    search.fit(y)
    res = search.cv_results_
    # the default folds: scikit-learn's TimeSeriesSplit, test period = horizon
    assert search.n_splits_ == 3
    assert len({p["lookback"] for p in res["params"]}) > 1
    assert np.all(np.isfinite(res["mean_test_score"]))
    # no fold saw its test period: each scored period starts right after
    # the fitted one (the forecaster checks it too) and lasts the horizon
    assert RecordingForecaster.seen
    for first, cutoff, start, end in RecordingForecaster.seen:
        assert first == y.index[0] and cutoff < start
        assert start == cutoff + pd.offsets.MonthBegin(1)
        assert len(pd.date_range(start, end, freq="MS")) == 3
    assert search.best_estimator_.lookback == search.best_params_["lookback"]
    assert search.best_estimator_.predict().shape == (3,)


def test_default_space_of_the_forecaster_holds_its_defaults():
    f = LSTMForecaster(lookback=6, horizon=3, max_epochs=3, random_state=0)
    space = default_lstm_space(f)
    assert {"lookback", "normalize", "strategy", "hidden_size", "lr"} <= set(space)
    assert space["lookback"].low <= f.lookback <= space["lookback"].high
    assert (space["hidden_size"].low, space["hidden_size"].high) == (32, 128)
    for size in (1, 2, 3, 4):
        small = default_lstm_space(LSTMForecaster(hidden_size=size, lookback=size))
        assert small["hidden_size"].low <= size < small["hidden_size"].high
        assert small["lookback"].low <= size < small["lookback"].high
    assert "conv_filters" not in space
    # a search with the default space starts from the forecaster as given
    search = GeneticSearchCV(f, population_size=3, n_generations=0, random_state=0,
                             rescore_top=0).fit(series(n=40))
    first = search.cv_results_["params"][0]
    own = {k: v for k, v in f.get_params().items() if k in space}
    assert {k: first[k] for k in own} == own


def test_clone_keeps_every_parameter():
    f = LSTMForecaster(lookback=9, strategy="recursive", log=True, seasonal_period=4,
                       normalize="window", hidden_size=7, interval_backtests=2)
    assert clone(f).get_params() == f.get_params()


def test_multi_fidelity_search_refuses_a_forecaster_clearly():
    search = GeneticSearchCV(LSTMForecaster(**TINY), {"lookback": (3, 8)},
                             resource="max_epochs", min_resource=1, population_size=3)
    with pytest.raises(ValueError, match="LSTMForecaster does not have"):
        search.fit(series())


# ---------------------------------------------------------------- the API
def test_horizon_as_a_list_of_steps():
    f = LSTMForecaster(**TINY).fit(series())
    path = f.predict(12)
    np.testing.assert_allclose(f.predict([1, 6, 12]), path[[0, 5, 11]])
    np.testing.assert_allclose(f.predict(np.array([12, 2])), path[[11, 1]])
    np.testing.assert_allclose(f.predict(range(1, 4)), f.predict())
    y = pd.Series(series(), index=pd.date_range("2000-01", periods=60, freq="MS"))
    out = LSTMForecaster(**TINY).fit(y).predict([1, 12])
    assert list(out.index) == [pd.Timestamp("2005-01-01"), pd.Timestamp("2005-12-01")]
    for bad in ([], [0, 1], [1, 1], [1.5], [[1, 2]], "3", [True], 2.0):
        with pytest.raises(ValueError, match="horizon must be a positive integer .* or a list"):
            f.predict(bad)


def test_interval_of_a_list_of_steps_widens_with_the_step():
    f = LSTMForecaster(**TINY, interval_backtests=2).fit(series(n=80))
    full = f.predict_interval(6)
    some = f.predict_interval([2, 5])
    for part_all, part in zip(full, some):
        np.testing.assert_allclose(part, part_all[[1, 4]])


@pytest.mark.parametrize("freq, first", [("M", "2005-01"), ("Q", "2015Q1"), ("Y", "2060")])
def test_period_index_in_fit_predict_and_score(freq, first):
    index = pd.period_range({"M": "2000-01", "Q": "2000Q1", "Y": "2000"}[freq],
                            periods=63, freq=freq)
    y = pd.Series(series(n=63), index=index)
    f = LSTMForecaster(**TINY).fit(y.iloc[:60])
    out = f.predict()
    assert isinstance(out, pd.Series) and isinstance(out.index, pd.PeriodIndex)
    assert list(out.index) == list(pd.period_range(first, periods=3, freq=freq))
    assert f.cutoff_ == index[59]
    np.testing.assert_allclose(out.to_numpy(), LSTMForecaster(**TINY).fit(series()).predict())
    assert list(f.predict([2, 3]).index) == list(out.index[1:])
    assert f.score(y.iloc[60:]) == pytest.approx(
        -np.mean(np.abs(y.iloc[60:].to_numpy() - out.to_numpy()) / y.iloc[60:].to_numpy()))
    with pytest.raises(ValueError, match="right after the training period"):
        f.score(y.iloc[61:])


def test_period_index_in_a_time_ordered_search():
    y = pd.Series(series(n=40), index=pd.period_range("2000-01", periods=40, freq="M"))
    search = GeneticSearchCV(LSTMForecaster(**TINY), {"lookback": (3, 8)}, population_size=3,
                             n_generations=0, random_state=0, rescore_top=0).fit(y)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert list(search.best_estimator_.predict().index) == list(pd.period_range("2003-05", periods=3, freq="M"))


def test_a_list_of_numbers_is_one_series_and_a_list_of_arrays_several():
    y = series()
    one = LSTMForecaster(**TINY).fit(list(y))
    assert one.n_series_ == 1 and one.predict().shape == (3,)
    np.testing.assert_array_equal(one.predict(), LSTMForecaster(**TINY).fit(y).predict())
    assert LSTMForecaster(**TINY).fit(tuple(y)).n_series_ == 1
    several = LSTMForecaster(**TINY).fit([list(y), list(y[:40])])
    assert several.n_series_ == 2 and len(several.predict()) == 2
    with pytest.raises(ValueError, match="mixes numbers and sequences"):
        LSTMForecaster(**TINY).fit([1.0, 2.0, y])


def test_short_series_join_a_global_fit_with_shorter_windows():
    long_a, long_b = series(seed=0), 2 * series(n=50, seed=1)
    short = 1.5 * series(n=7, seed=2)  # fewer than lookback + horizon = 9 steps
    tiny = series(n=2, seed=3)         # too short for any window: forecast only
    f = LSTMForecaster(**TINY).fit([long_a, short, long_b, tiny])
    # the long series give all their full windows, the short one a window
    # at each origin after its first step (reading 1 to 4 past steps)
    assert f.n_windows_ == (60 - 9 + 1) + (50 - 9 + 1) + 4
    out = f.predict()
    assert len(out) == 4 and all(o.shape == (3,) and np.all(np.isfinite(o)) for o in out)
    # alone, a short series trains on its own few windows
    alone = LSTMForecaster(**TINY).fit(short)
    assert alone.n_windows_ == 4 and alone.predict().shape == (3,)
    # the network reads what a history has: padding does not change a forecast
    np.testing.assert_allclose(f.predict(series=[short, tiny]),
                               [f.predict(series=short), f.predict(series=tiny)], rtol=1e-5)


def test_seasonal_short_series_and_recursive_strategy():
    short = 5 + np.sin(np.arange(8) * np.pi / 2) + 0.1 * np.arange(8)
    f = LSTMForecaster(**TINY, seasonal_period=4, strategy="recursive").fit(
        [series(), short])
    # recursive: windows of 1 target; the short series' 4 seasonal
    # differences give origins 1..3, the long one's 56 all full windows
    assert f.n_windows_ == (56 - 7 + 1) + 3
    assert all(np.all(np.isfinite(o)) for o in f.predict(8))


def test_predict_from_a_new_history_forecasts_unseen_series():
    a, b, c = series(seed=0), 3 * series(n=50, seed=1), 2 * series(n=45, seed=2)
    f = LSTMForecaster(**TINY).fit([a, b])
    # from a training series' own history: the same as predicting it
    np.testing.assert_allclose(f.predict(series=b), f.predict()[1])
    np.testing.assert_allclose(f.predict(5, series=[a, b])[0], f.predict(5)[0])
    # an unseen series: the forecast continues its own level
    new = f.predict(series=c)
    assert new.shape == (3,)
    assert abs(new.mean() - c[-6:].mean()) < abs(new.mean() - a[-6:].mean())
    # the model is unchanged by forecasting another series
    np.testing.assert_allclose(f.predict()[0], f.predict(series=a))
    # pandas histories keep their time points
    dated = pd.Series(c, index=pd.period_range("1990Q1", periods=45, freq="Q"))
    out = f.predict([1, 4], series=dated)
    assert list(out.index) == [pd.Period("2001Q2"), pd.Period("2002Q1")]
    with pytest.raises(ValueError, match="series has values <= 0, so the forecaster cannot "
                                         "model its logarithm"):
        f.predict(series=c - 100)
    with pytest.raises(ValueError, match="series\\[1\\] has 0 time steps|series\\[1\\] is empty"):
        f.predict(series=[c, []])
    # a one-series fit forecasts new series too, and intervals follow
    g = LSTMForecaster(**TINY, interval_backtests=2).fit(series(n=80))
    fc, lo, up = g.predict_interval(4, series=c)
    assert fc.shape == (4,) and np.all(lo < fc) and np.all(fc < up)


def test_new_histories_with_exogenous_columns():
    y = series()
    X = np.c_[np.arange(60) % 12, np.random.RandomState(0).normal(size=60)]
    f = LSTMForecaster(**TINY).fit(y, X)
    future = np.c_[np.arange(60, 65) % 12, np.zeros(5)]
    # history rows, then future rows: the same as forecasting the training series
    np.testing.assert_allclose(f.predict(5, series=y, X=np.r_[X, future]),
                               f.predict(5, X=future))
    with pytest.raises(ValueError, match="rows of each history followed by its 5 future"):
        f.predict(5, series=y)
    with pytest.raises(ValueError, match="one row per time step \\(65\\)"):
        f.predict(5, series=y, X=X)
    with pytest.raises(ValueError, match="fitted without X"):
        LSTMForecaster(**TINY).fit(y).predict(series=y, X=X)


def test_huge_values_are_forecast_or_refused_clearly():
    y = series()
    for scale in (1e160, -1e160, 1e300, -1e300):
        # log="auto" takes the log of positive values only; the negative
        # series is modelled as it is and must not overflow either
        f = LSTMForecaster(**TINY).fit(scale * y)
        # the same model as on the series of ordinary size
        ref = LSTMForecaster(**TINY).fit(np.sign(scale) * y).predict()
        np.testing.assert_allclose(f.predict() / abs(scale), ref, rtol=1e-4)
    with pytest.raises(ValueError, match="too large for the forecaster's arithmetic"):
        LSTMForecaster(**TINY, log=False).fit(np.r_[1e308, -1e308] .repeat(30))
    # a forecast that leaves float64 is an error, not inf
    f = LSTMForecaster(**TINY, log=True).fit(np.exp(np.linspace(1, 700, 60)))
    with pytest.raises(ValueError, match="forecast of y overflows floating point from step"):
        f.predict(30)


def test_intervals_pool_short_series_and_take_each_series_size():
    a, short = series(n=60, seed=0), 1.5 * series(n=7, seed=2)
    f = LSTMForecaster(**TINY, interval_backtests=2).fit([a, short, series(n=2, seed=3)])
    # the short series is backtested from both origins (4 and 1 steps
    # before them), the 2-step one from none
    assert f.interval_residuals_.shape == (2 * (3 + 6),)
    for fc, lo, up in zip(*f.predict_interval(4)):
        assert np.all(lo < fc) and np.all(fc < up)
    # without the log, errors are measured in each series' mean absolute
    # change: a series ten times as large gets ten times as wide an interval
    b = series(n=50, seed=1) - 10
    g = LSTMForecaster(**TINY, log=False, interval_backtests=2).fit([b, 10 * b])
    (fb, fb10), (lo_b, lo_b10), (up_b, up_b10) = g.predict_interval(4)
    np.testing.assert_allclose(up_b10 - lo_b10, 10 * (up_b - lo_b))
    # and the errors are the refits' errors in those units, by hand
    errors = []
    for k in (1, 2):
        cut = 50 - 3 * k
        refit = LSTMForecaster(**TINY, log=False).fit([b[:cut], 10 * b[:cut]])
        for arr, fc in zip((b, 10 * b), refit.predict(3 * k)):
            errors.append((arr[cut:] - fc) / np.mean(np.abs(np.diff(arr[:cut]))))
    steps = np.r_[np.arange(1, 4), np.arange(1, 4), np.arange(1, 7), np.arange(1, 7)]
    np.testing.assert_allclose(g.interval_residuals_,
                               np.concatenate(errors) / steps ** g.interval_growth_, rtol=1e-6)
    # a history given at predict time brings its own size
    _, lo_new, up_new = g.predict_interval(4, series=5 * b)
    np.testing.assert_allclose(up_new - lo_new, 5 * (up_b - lo_b))


def test_a_global_model_with_short_series_and_intervals_saves_and_loads(tmp_path):
    from sklstm.persistence import load, save

    f = LSTMForecaster(**TINY, interval_backtests=1).fit([series(), 2 * series(n=7, seed=1)])
    save(f, tmp_path / "f.sklstm")
    loaded = load(tmp_path / "f.sklstm")
    new = 3 * series(n=5, seed=2)
    np.testing.assert_array_equal(loaded.predict(series=new), f.predict(series=new))
    for got, expected in zip(loaded.predict_interval([1, 3]), f.predict_interval([1, 3])):
        np.testing.assert_array_equal(got, expected)
    assert loaded.n_windows_ == f.n_windows_ == (60 - 9 + 1) + 4


def test_without_the_log_a_global_model_scales_each_series_by_its_own_size():
    b = series(n=50, seed=1) - 10  # crosses zero: no logarithm
    c = 2 * series(n=45, seed=2) - 20
    f = LSTMForecaster(**TINY, log="auto").fit([b, 100 * c, 0.01 * b])
    assert f.log_ is False
    # a series c times as large gets forecasts c times as large, so a series
    # of a small size among large ones is not flattened to zero
    base = f.predict(series=b)
    for factor in (0.01, 100.0, 1e6):
        np.testing.assert_allclose(f.predict(series=factor * b), factor * base, rtol=1e-5)
    np.testing.assert_allclose(f.predict()[2], 0.01 * f.predict()[0], rtol=1e-5)
    # with the seasonal difference and recursive passes too
    g = LSTMForecaster(**TINY, log=False, seasonal_period=4, strategy="recursive").fit(
        [b, 100 * c])
    np.testing.assert_allclose(g.predict(7, series=50 * c), 50 * g.predict(7, series=c),
                               rtol=1e-5)
    # one series alone: its size does not change the model
    np.testing.assert_allclose(LSTMForecaster(**TINY, log=False).fit(1000 * b).predict(),
                               1000 * LSTMForecaster(**TINY, log=False).fit(b).predict(),
                               rtol=1e-4)


def long_format(parts, ids, freq="M", start="2000-01"):
    """A long-format Series: a MultiIndex of series id and month."""
    frames = [pd.Series(p, index=pd.MultiIndex.from_arrays(
        [[i] * len(p), pd.period_range(start, periods=len(p), freq=freq)],
        names=["store", "month"])) for p, i in zip(parts, ids)]
    return pd.concat(frames).rename("sales")


def test_long_format_in_fit_predict_score_and_intervals():
    a, b = series(n=40, seed=0), 2 * series(n=30, seed=1)
    y = long_format([a, b], ["north", "south"])
    f = LSTMForecaster(**TINY, interval_backtests=1).fit(y)
    assert f.n_series_ == 2
    out = f.predict()
    assert isinstance(out, pd.Series) and out.name == "sales"
    assert list(out.index.names) == ["store", "month"]
    assert list(out.index) == [("north", pd.Period(p, "M")) for p in
                               ("2003-05", "2003-06", "2003-07")] + [
        ("south", pd.Period(p, "M")) for p in ("2002-07", "2002-08", "2002-09")]
    # the same model as fitted on the list of series
    listed = LSTMForecaster(**TINY).fit([a, b]).predict()
    np.testing.assert_allclose(out.to_numpy(), np.concatenate(listed))
    # rows of the series interleaved (by month): told apart by their id
    interleaved = y.sort_index(level="month", sort_remaining=False, kind="stable")
    assert list(interleaved.index.get_level_values(0)[:4]) == ["north", "south"] * 2
    np.testing.assert_allclose(LSTMForecaster(**TINY).fit(interleaved)
                               .predict().loc["south"].to_numpy(), listed[1])
    fc, lo, up = f.predict_interval([1, 3])
    assert list(fc.index) == list(out.index[[0, 2, 3, 5]])
    assert np.all(lo < fc) and np.all(fc < up)
    # score: the following steps in the same format, ids in any order
    later = long_format([series(n=43, seed=0)[40:], 2 * series(n=33, seed=1)[30:]],
                        ["north", "south"], start="2000-01")
    later = pd.concat([later.loc[["south"]], later.loc[["north"]]])
    later.index = pd.MultiIndex.from_arrays(
        [later.index.get_level_values(0),
         list(out.index.get_level_values(1)[3:]) + list(out.index.get_level_values(1)[:3])],
        names=["store", "month"])
    expected = np.mean([np.mean(np.abs(series(n=43, seed=0)[40:] - listed[0])
                                / series(n=43, seed=0)[40:]),
                        np.mean(np.abs(2 * series(n=33, seed=1)[30:] - listed[1])
                                / (2 * series(n=33, seed=1)[30:]))])
    g = LSTMForecaster(**TINY).fit(y)
    assert g.score(later) == pytest.approx(-expected)
    with pytest.raises(ValueError, match="same ids"):
        g.score(later.loc[["north"]])
    with pytest.raises(ValueError, match="series without ids: score the steps that followed "
                                         "each, in the same format"):
        LSTMForecaster(**TINY).fit([a, b]).score(later)


def test_long_format_new_series_and_exogenous_columns():
    a, b, c = series(n=40, seed=0), 2 * series(n=30, seed=1), 3 * series(n=25, seed=2)
    f = LSTMForecaster(**TINY).fit([a, b])
    new = f.predict([1, 2], series=long_format([c, a], [7, 3]))
    assert list(new.index.get_level_values(0)) == [7, 7, 3, 3]
    np.testing.assert_allclose(new.loc[3].to_numpy(), f.predict([1, 2])[0])
    # integer time points continue with the series' spacing
    ints = pd.Series(c, index=pd.MultiIndex.from_arrays([["x"] * 25, np.arange(0, 50, 2)]))
    assert list(f.predict(2, series=ints).index) == [("x", 50), ("x", 52)]
    # exogenous columns in long format, by id
    Xa = np.c_[np.arange(40) % 12, np.zeros(40)]
    Xb = np.c_[np.arange(30) % 12, np.ones(30)]
    y = long_format([a, b], ["n", "s"])
    X = pd.DataFrame(np.r_[Xa, Xb], index=y.index, columns=["month", "promo"])
    g = LSTMForecaster(**TINY).fit(y, X)
    h = LSTMForecaster(**TINY).fit([a, b], [Xa, Xb])
    fut_a, fut_b = np.c_[np.arange(40, 43) % 12, np.zeros(3)], np.c_[np.arange(30, 33) % 12,
                                                                    np.ones(3)]
    future = pd.DataFrame(np.r_[fut_b, fut_a], columns=["month", "promo"],
                          index=pd.MultiIndex.from_arrays([["s"] * 3 + ["n"] * 3,
                                                           list(range(6))]))
    np.testing.assert_allclose(g.predict(X=future).to_numpy(),
                               np.concatenate(h.predict(X=[fut_a, fut_b])))
    with pytest.raises(ValueError, match="pass X in long format too, with the same series ids"):
        g.predict(X=[fut_a, fut_b])
    with pytest.raises(ValueError, match="X is in long format but y is not"):
        LSTMForecaster(**TINY).fit([a, b], X)
    with pytest.raises(ValueError, match="MultiIndex of 3 levels"):
        LSTMForecaster(**TINY).fit(pd.Series(a, index=pd.MultiIndex.from_arrays(
            [[0] * 40, [1] * 40, np.arange(40)])))


def test_a_long_format_forecaster_saves_and_loads(tmp_path):
    from sklstm.persistence import load, save

    index = pd.MultiIndex.from_arrays([["a"] * 40 + ["b"] * 30,
                                       np.r_[np.arange(40), np.arange(30)]], names=["id", "t"])
    y = pd.Series(np.r_[series(40), 2 * series(30, seed=1)], index=index, name="y")
    f = LSTMForecaster(**TINY).fit(y)
    save(f, tmp_path / "f.sklstm")
    pd.testing.assert_series_equal(load(tmp_path / "f.sklstm").predict(), f.predict())


def test_a_search_on_a_short_series_says_why_its_default_folds_fail():
    from sklstm.search import GeneticSearchCV

    search = GeneticSearchCV(
        LSTMForecaster(lookback=6, horizon=12, hidden_size=4, max_epochs=1),
        {"lookback": (3, 8)}, population_size=3, n_generations=0)
    with pytest.raises(ValueError, match="The series has 36 time steps, too few for 3 folds"):
        search.fit(np.arange(1.0, 37.0))
