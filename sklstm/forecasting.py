"""Measuring forecasts: sMAPE, MASE and MAPE, scorers and backtests.

The metrics compare a forecast with what happened (``mape``, ``smape``) or
with the in-sample error of the seasonal naive forecast (``mase``). The
scorers turn them into scikit-learn's convention (a callable
``scorer(estimator, y, X=None)``, greater is better) for the searchers'
``scoring``; :func:`backtest` refits a forecaster at rolling origins and
measures every fold.
"""

import time

import numpy as np
from sklearn.base import clone

from ._forecaster import LSTMForecaster, _mape, _unstack, _unstack_like
from .preprocessing._forecasting import ForecastSplit, _check_series, _positive_int

__all__ = [
    "ForecastScorer", "ForecastSplit", "backtest", "make_forecast_scorer", "mape", "mape_scorer", "mase",
    "mase_scorer", "smape", "smape_scorer",
]


def _pair(y_true, y_pred):
    actual = _check_series(y_true, "y_true", ndims=(1,))
    forecast = _check_series(y_pred, "y_pred", ndims=(1,))
    if actual.shape != forecast.shape:
        raise ValueError(
            f"y_true and y_pred must have the same length; got {len(actual)} "
            f"and {len(forecast)}."
        )
    return actual, forecast


def mape(y_true, y_pred):
    """Mean absolute percentage error, as a fraction.

    ``mean(|y_true - y_pred| / |y_true|)``; a zero in ``y_true`` gives a
    huge error (it is replaced by the smallest positive float), as in
    :func:`sklearn.metrics.mean_absolute_percentage_error`.

    Parameters
    ----------
    y_true : array-like of shape (n_steps,)
        The values that happened.
    y_pred : array-like of shape (n_steps,)
        Their forecasts.

    Returns
    -------
    error : float
        0 for a perfect forecast; multiply by 100 for percent.

    Examples
    --------
    >>> from sklstm.forecasting import mape
    >>> mape([100, 200], [110, 180])
    0.1
    """
    actual, forecast = _pair(y_true, y_pred)
    return _mape(actual, forecast)


def smape(y_true, y_pred):
    """Symmetric mean absolute percentage error, as a fraction (0 to 2).

    ``mean(2 |y_true - y_pred| / (|y_true| + |y_pred|))``, the M3 and M4
    competitions' sMAPE divided by 100. A step where both are zero counts
    as no error.

    Parameters
    ----------
    y_true : array-like of shape (n_steps,)
        The values that happened.
    y_pred : array-like of shape (n_steps,)
        Their forecasts.

    Returns
    -------
    error : float
        0 for a perfect forecast, 2 at most; multiply by 100 for the
        competitions' percent.

    Examples
    --------
    >>> from sklstm.forecasting import smape
    >>> round(smape([100, 200], [110, 180]), 4)
    0.1003
    """
    actual, forecast = _pair(y_true, y_pred)
    return _smape(actual, forecast)


def _smape(actual, forecast):
    denom = np.abs(actual) + np.abs(forecast)
    ratio = np.divide(2 * np.abs(actual - forecast), denom, out=np.zeros_like(denom),
                      where=denom > 0)
    return float(np.mean(ratio))


def mase(y_true, y_pred, *, y_train, seasonal_period=1):
    """Mean absolute scaled error.

    The mean absolute error of the forecast divided by the mean absolute
    error of the seasonal naive forecast in the training series,
    ``mean_t |y_train[t] - y_train[t - seasonal_period]|``. Below 1: better
    than the naive forecast did one season ahead in sample.

    Parameters
    ----------
    y_true : array-like of shape (n_steps,)
        The values that happened.
    y_pred : array-like of shape (n_steps,)
        Their forecasts.
    y_train : array-like of shape (n_train,)
        The series the forecast was made from.
    seasonal_period : int, default=1
        Lag of the naive forecast (1: the last value; 12 for monthly data
        with a yearly season).

    Returns
    -------
    error : float

    Examples
    --------
    >>> from sklstm.forecasting import mase
    >>> mase([5, 6], [4, 4], y_train=[1, 2, 3])
    1.5
    """
    actual, forecast = _pair(y_true, y_pred)
    train = _check_series(y_train, "y_train", ndims=(1,))
    return _mase(actual, forecast, train, _positive_int(seasonal_period, "seasonal_period"))


def _mase(actual, forecast, train, m):
    if len(train) <= m:
        raise ValueError(
            f"MASE needs a training series longer than seasonal_period={m}; "
            f"it has {len(train)} time steps."
        )
    naive = float(np.mean(np.abs(train[m:] - train[:-m])))
    if naive == 0:
        raise ValueError(
            f"MASE is undefined: the training series repeats itself exactly at "
            f"lag {m} (its naive forecast has no error). Use sMAPE or MAPE."
        )
    return float(np.mean(np.abs(actual - forecast))) / naive


_METRICS = {"mape": _mape, "smape": _smape, "mase": _mase}


class ForecastScorer:
    """A forecast metric as a scorer: ``scorer(forecaster, y, X=None)``.

    Forecasts the steps of ``y`` after the end of the forecaster's training
    series (a search's test fold in time order) and returns the negative
    metric (greater is better), averaged over the series of a global
    model. Pass it to a searcher's ``scoring`` (alone, or in a dict for
    several metrics). Build it with :func:`make_forecast_scorer`.

    Parameters
    ----------
    metric : {"smape", "mase", "mape"}
        The metric.
    seasonal_period : int, default=1
        The naive forecast's lag for ``"mase"``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm import LSTMForecaster
    >>> from sklstm.forecasting import smape_scorer
    >>> y = 10 + np.sin(np.arange(40) / 2)
    >>> f = LSTMForecaster(lookback=4, horizon=3, max_epochs=2, random_state=0)
    >>> score = smape_scorer(f.fit(y[:37]), y[37:])
    >>> bool(-2 <= score <= 0)
    True
    """

    def __init__(self, metric, seasonal_period=1):
        self.metric = metric
        self.seasonal_period = seasonal_period

    def __repr__(self):
        extra = f", seasonal_period={self.seasonal_period}" if self.metric == "mase" else ""
        return f"make_forecast_scorer({self.metric!r}{extra})"

    def __call__(self, estimator, y, X=None):
        if not isinstance(estimator, LSTMForecaster):
            raise ValueError(
                f"Forecast scorers score an LSTMForecaster; got {type(estimator).__name__}."
            )
        errors = []
        for actual, forecast, train in estimator._scored(y, X):
            if self.metric == "mase":
                errors.append(_mase(actual, forecast, train, self.seasonal_period))
            else:
                errors.append(_METRICS[self.metric](actual, forecast))
        return -float(np.mean(errors))


def make_forecast_scorer(metric, *, seasonal_period=1):
    """A scorer of forecasts for the searchers' ``scoring``.

    Parameters
    ----------
    metric : {"smape", "mase", "mape"}
        :func:`smape`, :func:`mase` or :func:`mape`.
    seasonal_period : int, default=1
        The naive forecast's lag for ``"mase"`` (12 for monthly data with a
        yearly season).

    Returns
    -------
    scorer : ForecastScorer
        ``scorer(forecaster, y, X=None)``: the negative metric of the
        forecast of ``y``'s steps.

    Examples
    --------
    >>> from sklstm.forecasting import make_forecast_scorer
    >>> make_forecast_scorer("mase", seasonal_period=12)
    make_forecast_scorer('mase', seasonal_period=12)
    """
    if metric not in _METRICS:
        raise ValueError(f"metric must be one of {sorted(_METRICS)}; got {metric!r}.")
    return ForecastScorer(metric, _positive_int(seasonal_period, "seasonal_period"))


#: negative sMAPE of a forecaster's forecast (:func:`make_forecast_scorer`)
smape_scorer = make_forecast_scorer("smape")
#: negative MASE (lag 1) of a forecaster's forecast
mase_scorer = make_forecast_scorer("mase")
#: negative MAPE of a forecaster's forecast (what ``LSTMForecaster.score`` gives)
mape_scorer = make_forecast_scorer("mape")


def backtest(forecaster, y, X=None, *, horizon=None, n_origins=3, step=None,
             refit=True, seasonal_period=1):
    """Forecast from rolling origins and measure every forecast.

    Origin ``k`` (``k = 0`` the last) cuts each series ``horizon + k *
    step`` steps before its end: the forecaster learns from the steps
    before the cut and forecasts the ``horizon`` steps after it, which are
    compared with what happened. With ``refit=True`` every origin gets a
    fresh clone of ``forecaster`` fitted on its past; with ``refit=False``
    one clone is fitted at the first (earliest) origin and forecasts the
    later ones from their histories (``predict(series=...)``), as a
    deployed model would.

    Parameters
    ----------
    forecaster : LSTMForecaster
        The forecaster (not changed; clones are fitted).
    y : array-like, pandas Series, or list of them
        The series (a list, or a long-format pandas Series: a global
        model, every series cut at its own end; results come as lists in
        the order of the series).
    X : array-like or list, default=None
        Exogenous columns aligned with ``y``.
    horizon : int, default=None
        Steps forecast from every origin (the forecaster's ``horizon`` by
        default).
    n_origins : int, default=3
        Number of origins.
    step : int, default=None
        Steps between origins (``horizon`` by default: the test periods
        tile the end of the series).
    refit : bool, default=True
        Refit at every origin, or fit once at the first.
    seasonal_period : int, default=1
        The naive forecast's lag for MASE.

    Returns
    -------
    results : dict
        One entry per origin, earliest first: ``"n_train"`` (training
        steps; a list per series for a list of series), ``"cutoff"`` (the
        last training time point: its index label for a pandas series, else
        its position), ``"forecast"`` (ndarray, or pandas Series with the
        future time points, or a list of them), ``"smape"``, ``"mase"``,
        ``"mape"`` (arrays of the metrics, averaged over the series),
        ``"fit_time"`` (seconds; 0 where nothing was fitted).

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm import LSTMForecaster
    >>> from sklstm.forecasting import backtest
    >>> y = 10 + np.sin(np.arange(50) / 2)
    >>> f = LSTMForecaster(lookback=4, horizon=3, max_epochs=2, random_state=0)
    >>> result = backtest(f, y, n_origins=2)
    >>> result["n_train"].tolist(), result["smape"].shape
    ([44, 47], (2,))
    """
    if not isinstance(forecaster, LSTMForecaster):
        raise ValueError(f"backtest needs an LSTMForecaster; got {type(forecaster).__name__}.")
    horizon = _positive_int(forecaster.horizon if horizon is None else horizon, "horizon")
    n_origins = _positive_int(n_origins, "n_origins")
    step = _positive_int(horizon if step is None else step, "step")
    seasonal_period = _positive_int(seasonal_period, "seasonal_period")
    if not isinstance(refit, (bool, np.bool_)):
        raise ValueError(f"refit must be True or False; got {refit!r}.")
    ids, _, y = _unstack(y, "y")  # a long-format series: its list of series
    X = _unstack_like(X, ids, "X", "y")
    many, items = forecaster._validate(y, "y")
    exog = forecaster._exog(X, many, [len(arr) for _, arr, _ in items],
                            [label for label, _, _ in items])
    if isinstance(y, (list, tuple)) and many:
        originals = list(y)
        x_originals = None if X is None else list(X)
    else:
        originals = [y]
        x_originals = None if X is None else [X]
    shortest = min(len(arr) for _, arr, _ in items)
    first = shortest - horizon - (n_origins - 1) * step
    if first < 1:
        raise ValueError(
            f"{n_origins} origins {step} steps apart, each forecasting {horizon} "
            f"steps, need series longer than {horizon + (n_origins - 1) * step} "
            f"time steps; the shortest has {shortest}. Use fewer origins, a "
            "smaller step or a shorter horizon."
        )

    def part(values, start, stop):
        return values.iloc[start:stop] if hasattr(values, "iloc") else values[start:stop]

    results = {key: [] for key in ("n_train", "cutoff", "forecast", "smape", "mase",
                                   "mape", "fit_time")}
    model = None
    for k in range(n_origins - 1, -1, -1):
        cuts = [len(arr) - horizon - k * step for _, arr, _ in items]
        past = [part(s, 0, c) for s, c in zip(originals, cuts)]
        past_x = None if X is None else [part(x, 0, c) for x, c in zip(x_originals, cuts)]
        future_x = None if exog[0] is None else [
            xa[c:c + horizon] for xa, c in zip(exog, cuts)]
        fit_time = 0.0
        if refit or model is None:
            start = time.perf_counter()
            model = clone(forecaster).fit(past if many else past[0],
                                          None if past_x is None else
                                          (past_x if many else past_x[0]))
            fit_time = time.perf_counter() - start
            forecasts = model.predict(horizon, None if future_x is None else
                                      (future_x if many else future_x[0]))
        else:
            history_x = None if exog[0] is None else [
                xa[:c + horizon] for xa, c in zip(exog, cuts)]
            forecasts = model.predict(
                horizon, None if history_x is None else
                (history_x if many else history_x[0]),
                series=past if many else past[0])
        forecasts = forecasts if many else [forecasts]
        errors = {"smape": [], "mase": [], "mape": []}
        cutoffs = []
        for (_, arr, index), c, f in zip(items, cuts, forecasts):
            actual, values = arr[c:c + horizon], np.asarray(f, dtype=np.float64)
            errors["smape"].append(_smape(actual, values))
            errors["mape"].append(_mape(actual, values))
            errors["mase"].append(_mase(actual, values, arr[:c], seasonal_period))
            cutoffs.append(c - 1 if index is None else index[c - 1])
        results["n_train"].append(cuts if many else cuts[0])
        results["cutoff"].append(cutoffs if many else cutoffs[0])
        results["forecast"].append(forecasts if many else forecasts[0])
        for name, values in errors.items():
            results[name].append(float(np.mean(values)))
        results["fit_time"].append(fit_time)
    for key in ("smape", "mase", "mape", "fit_time"):
        results[key] = np.asarray(results[key])
    if not many:
        results["n_train"] = np.asarray(results["n_train"])
    return results
