"""LSTMForecaster: a series in, the next steps out, with the window inside.

The forecaster turns a series into supervised windows itself (``lookback``
past steps in, ``horizon`` steps out), so the window length, the horizon
strategy and the handling of trend, season and scale are hyperparameters a
search can tune with the network's. The network is an
:class:`~sklstm.LSTMRegressor` built in ``fit`` (``regressor_``).

The data flow of ``fit``::

    series --log--> z --seasonal difference--> d --windows--> (inputs, targets)
           --per-window normalisation, global scale--> LSTMRegressor

``predict`` runs it backwards from the end of the training series, or of
any history given as ``series``. A series shorter than ``lookback`` gives
shorter windows, which the network reads with masked padding.
"""

import math
import warnings
from numbers import Integral, Number, Real

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from ._estimators import LSTMRegressor
from .preprocessing._forecasting import ForecastSplit, _check_series
from ._sklearn_compat import Interval, StrOptions
from ._sklearn_compat import fit_context as _fit_context

__all__ = ["LSTMForecaster"]

# the network parameters the forecaster passes to its LSTMRegressor
_NETWORK_PARAMS = (
    "hidden_size", "num_layers", "dropout", "cell", "conv_filters", "pooling",
    "optimizer", "lr", "weight_decay", "batch_size", "max_epochs", "lr_schedule",
    "random_state", "device", "verbose", "n_threads",
)


class LSTMForecaster(BaseEstimator):
    """Recurrent forecaster of one or several series, tunable as one estimator.

    ``fit(y, X=None)`` learns from a series (and optional exogenous columns
    aligned with it in time), or from a list of series (one global model);
    ``predict()`` forecasts the steps after their ends, and
    ``predict(horizon, series=history)`` those after any history, seen in
    training or not. A list or tuple of numbers is one series; a list of
    arrays (or lists, or pandas Series) is several. The windows are the
    model's business: ``lookback`` (how many past
    steps the network reads), the horizon ``strategy`` and the trend,
    season and scale handling are hyperparameters, so
    :class:`~sklstm.search.GeneticSearchCV` and
    :class:`~sklstm.search.BayesSearchCV` tune them together with the
    network's, on folds in time order (pass ``cv=TimeSeriesSplit(...,
    test_size=horizon)``; ``score`` forecasts the fold's test period from
    the end of its training period).

    Parameters
    ----------
    lookback : int, default=8
        Past steps in every input window. A series with fewer steps is read
        with shorter windows (the padding is masked): training on a series
        needs ``horizon + 1`` steps (2 with ``strategy="recursive"``),
        forecasting it one, plus ``seasonal_period`` for both.
    horizon : int, default=12
        Steps forecast by ``predict()`` without an argument, and (with the
        direct strategy) per pass of the network.
    strategy : {"direct", "recursive"}, default="direct"
        ``"direct"``: the network outputs ``horizon`` values at once;
        ``"recursive"``: it outputs one, which is fed back for the next.
        Longer forecasts than one pass repeat the pass on the forecasts.
    log : bool or "auto", default="auto"
        Model the logarithm of the series (a variance that grows with the
        level, multiplicative season). ``True`` needs positive values;
        ``"auto"`` takes the logarithm when every training value is
        positive (``log_`` says what was chosen).
    seasonal_period : int or None, default=None
        If set, model the seasonal differences ``z[t] - z[t - period]``
        (``z`` the series, or its log): removes a fixed season and a
        linear trend.
    normalize : {"last_value", "window", None}, default="last_value"
        Per-window normalisation: ``"last_value"`` subtracts the window's
        last value from its inputs and targets (the network predicts the
        change from the present); ``"window"`` subtracts the window's mean
        and divides by its standard deviation; ``None`` leaves windows as
        they are. The result is divided by one global scale learned in
        ``fit``. The defaults (``lookback``, ``log``, ``normalize``,
        ``hidden_size``) scored best in time-ordered cross-validation on
        the training periods of airline and lynx, forecasting as far ahead
        as their held-out periods (``benchmarks/forecasting.py --part
        defaults``).
    interval_backtests : int, default=0
        Number of earlier forecast origins (``horizon`` steps apart, from
        the end) at which ``fit`` refits the model on the series before the
        origin and forecasts from there to the end of the series; their
        errors, pooled over all series, calibrate :meth:`predict_interval`.
        Costs that many extra fits; 0 disables intervals. A series too short
        for an origin is left out there; the longest series must leave a
        training window (``horizon + 1`` steps, plus ``seasonal_period``)
        before the earliest.
    hidden_size, num_layers, dropout, cell, conv_filters, pooling, optimizer, lr, weight_decay, batch_size, max_epochs, lr_schedule, random_state, device, verbose, n_threads
        Passed to the :class:`~sklstm.LSTMRegressor` that learns the
        windows (``patch_size=1``: windows are short). Defaults suit short
        windows of one series: 64 hidden units, 200 epochs.

    Attributes
    ----------
    regressor_ : LSTMRegressor
        The fitted network.
    n_series_ : int
        Number of series fitted (1 for one series).
    n_exogenous_ : int
        Number of exogenous columns (0 without ``X``).
    log_ : bool
        Whether the logarithm of the series is modelled (``log`` decided).
    cutoff_ : int, pandas.Timestamp or pandas.Period
        The last time point of the (first) training series: its index label
        for a pandas series, else its length minus one.
    n_windows_ : int
        Number of training windows taken from all the series.
    interval_residuals_ : ndarray or None
        Backtest errors, each divided by ``step ** interval_growth_``
        (``interval_backtests >= 1``), on the log scale when ``log_``, else
        in units of their series' mean absolute step-to-step change.
    interval_growth_ : float or None
        Exponent of the backtest errors' growth with the step ahead, fitted
        between 0.5 (a random walk's) and 1 (an error in the trend).

    See Also
    --------
    sklstm.preprocessing.make_windows : The windows, for a model of your own.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm import LSTMForecaster
    >>> t = np.arange(120)
    >>> y = 10 + np.sin(2 * np.pi * t / 12) + 0.05 * t
    >>> f = LSTMForecaster(lookback=24, horizon=6, max_epochs=20, random_state=0)
    >>> f.fit(y).predict().shape
    (6,)
    >>> f.predict(horizon=15).shape
    (15,)
    >>> f.predict([1, 6]).shape  # steps 1 and 6 only
    (2,)
    >>> f.predict(3, series=2 * y[:50]).shape  # from another history
    (3,)
    """

    _parameter_constraints = {
        "lookback": [Interval(Integral, 1, None, closed="left")],
        "horizon": [Interval(Integral, 1, None, closed="left")],
        "strategy": [StrOptions({"direct", "recursive"})],
        "log": ["boolean", StrOptions({"auto"})],
        "seasonal_period": [Interval(Integral, 1, None, closed="left"), None],
        "normalize": [StrOptions({"last_value", "window"}), None],
        "interval_backtests": [Interval(Integral, 0, None, closed="left")],
        # the network's own are checked by LSTMRegressor
        **{name: "no_validation" for name in _NETWORK_PARAMS},
    }

    def __init__(
        self,
        lookback=8,
        horizon=12,
        strategy="direct",
        log="auto",
        seasonal_period=None,
        normalize="last_value",
        interval_backtests=0,
        hidden_size=64,
        num_layers=1,
        dropout=0.0,
        cell="lstm",
        conv_filters=0,
        pooling="last",
        optimizer="adam",
        lr=3e-3,
        weight_decay=0.0,
        batch_size=16,
        max_epochs=200,
        lr_schedule="cosine",
        random_state=None,
        device="auto",
        verbose=0,
        n_threads="auto",
    ):
        self.lookback = lookback
        self.horizon = horizon
        self.strategy = strategy
        self.log = log
        self.seasonal_period = seasonal_period
        self.normalize = normalize
        self.interval_backtests = interval_backtests
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.dropout = dropout
        self.cell = cell
        self.conv_filters = conv_filters
        self.pooling = pooling
        self.optimizer = optimizer
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.lr_schedule = lr_schedule
        self.random_state = random_state
        self.device = device
        self.verbose = verbose
        self.n_threads = n_threads

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.estimator_type = "regressor"
        tags.target_tags.required = False
        tags.input_tags.one_d_array = True
        tags.input_tags.two_d_array = False
        return tags

    # -- input ---------------------------------------------------------------
    def _validate(self, y, name):
        """``many`` and the validated series of ``y``: ``(label, array, index)``.

        A list or tuple of numbers is one series; a list or tuple of arrays
        (or pandas Series) is several (:func:`_split_series`).
        """
        many, items = _split_series(y, name)
        out = []
        for i, s in enumerate(items):
            label = f"{name}[{i}]" if many else name
            index = _check_index(s, label)
            arr = _as_float(s, label)
            if arr.ndim == 2 and arr.shape[1] == 1:
                arr = arr[:, 0]
            if arr.ndim != 1:
                raise ValueError(
                    f"{label} must be one series (1-D, or one column); got shape "
                    f"{arr.shape}. Put other columns in X (exogenous), or pass a "
                    "list of series for a global model."
                )
            out.append((label, arr, index))
        return many, out

    def _exog(self, X, many, rows, labels, xname="X"):
        """Exogenous arrays, one per series, with ``rows[i]`` rows each."""
        if X is None:
            return [None] * len(rows)
        Xs = list(X) if many else [X]
        if len(Xs) != len(rows):
            raise ValueError(
                f"{xname} holds {len(Xs)} exogenous arrays for {len(rows)} series; "
                "give one per series."
            )
        result = []
        for i, (xa, n, label) in enumerate(zip(Xs, rows, labels)):
            xa = _as_float(xa, f"{xname}[{i}]" if many else xname)
            xa = xa[:, None] if xa.ndim == 1 else xa
            if xa.ndim != 2 or len(xa) != n:
                raise ValueError(
                    f"The exogenous array for {label} must have one row per time "
                    f"step ({n}); got shape {xa.shape}."
                )
            result.append(xa)
        if len({xa.shape[1] for xa in result}) > 1:
            raise ValueError("Every series needs the same exogenous columns.")
        return result

    def _need(self):
        """Time steps a series needs for one training window: one past step,
        the targets of one pass, and a season before them."""
        return 1 + self._out() + (self.seasonal_period or 0)

    def _out(self):
        return self.horizon if self.strategy == "direct" else 1

    def _default_cv(self, n_splits=3):
        """The folds that suit a search of this forecaster: ``n_splits``
        test periods of ``horizon`` steps, each after a training period
        long enough for one window (a clear error when the series is too
        short); in long format, every series cut at its own end."""
        return ForecastSplit(n_splits, horizon=self.horizon, min_train_size=self._need(),
                             min_series_size=(self.seasonal_period or 0) + 1)

    def _check_history(self, label, arr, log=False):
        """A history to forecast from: long enough for a seasonal difference,
        positive when the logarithm is modelled (``log``)."""
        m = self.seasonal_period or 0
        if len(arr) < m + 1:
            raise ValueError(
                f"{label} has {len(arr)} time steps; with seasonal_period={m} "
                f"every series needs at least {m + 1} (a season and one more step)."
            )
        if log and (arr <= 0).any():
            raise ValueError(
                f"{label} has values <= 0, so the forecaster cannot model its "
                "logarithm; shift the series, or use log=\"auto\" (takes the "
                "logarithm only of all-positive series) or log=False."
            )

    # -- transforms ------------------------------------------------------------
    def _to_model(self, arr):
        """Series -> modelled values ``d`` (log, seasonal difference)."""
        z = np.log(arr) if self.log_ else arr
        m = self.seasonal_period
        return z, (z[m:] - z[:-m] if m else z)

    def _series_scale(self, d):
        """The unit of one series' modelled values ``d`` in the network.

        On the log scale, 1: changes are relative already, comparable
        between series. Without the log, each series is divided by its own
        mean absolute step-to-step change (its mean absolute value if it
        does not change, 1 if that is 0 too), so that a global model sees
        series of every size alike and a series ``c`` times as large gets
        forecasts ``c`` times as large. One series alone is unchanged by it:
        the global scale ``scale_`` takes it back.
        """
        if self.log_:
            return 1.0
        with np.errstate(over="ignore", invalid="ignore"):
            for value in (np.mean(np.abs(np.diff(d))) if len(d) > 1 else 0.0,
                          np.mean(np.abs(d))):
                if np.isfinite(value) and value > 0:
                    return float(value)
        return 1.0

    def _normalize(self, windows):
        """Per-window offset and scale of input windows (n, lookback)."""
        if self.normalize == "last_value":
            return windows[:, -1:], np.ones((len(windows), 1))
        if self.normalize == "window":
            std = _std(windows, axis=1)
            return windows.mean(axis=1, keepdims=True), np.where(std > 1e-12, std, 1.0)
        return np.zeros((len(windows), 1)), np.ones((len(windows), 1))

    def _inputs(self, d_windows, x_windows):
        """Network inputs of windows (n, lookback) of ``d`` and their exog."""
        offset, spread = self._normalize(d_windows)
        values = (d_windows - offset) / spread / self.scale_
        parts = [values[:, :, None]]
        if x_windows is not None:
            parts.append((x_windows - self.exog_mean_) / self.exog_scale_)
        return np.concatenate(parts, axis=2).astype(np.float32), offset, spread

    def _windows(self, series, exog):
        """Training windows in groups of one input length: ``(d, x, target)``.

        A series with at least ``lookback + horizon`` modelled values gives
        every window of ``lookback`` past steps (one group); a shorter one
        gives a window at every origin after its first value, each reading
        all the steps before it (one group each).
        """
        m = self.seasonal_period or 0
        L, H = self.lookback, self._out()
        groups = []
        for arr, xa in zip(series, exog):
            _, d = self._to_model(arr)
            d = d / self._series_scale(d)
            x = None if xa is None else xa[m:]
            if len(d) >= L + H:
                starts = np.arange(len(d) - L - H + 1)
                groups.append((d[starts[:, None] + np.arange(L)],
                               None if x is None else x[starts[:, None] + np.arange(L)],
                               d[starts[:, None] + L + np.arange(H)]))
                continue
            for origin in range(1, len(d) - H + 1):
                groups.append((d[None, :origin], None if x is None else x[None, :origin],
                               d[None, origin:origin + H]))
        return groups

    # -- fit -----------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, y, X=None):
        """Learn to forecast ``y`` (and optional exogenous ``X``).

        Parameters
        ----------
        y : array-like of shape (n_timesteps,), pandas Series, or list of them
            The series in time order; a pandas index (``DatetimeIndex``,
            ``PeriodIndex``, ...) must increase. A list or tuple of numbers
            is one series; a list of arrays or pandas Series trains one
            global model on all of them, and so does a pandas Series in
            long format (a MultiIndex of series id and time), after which
            forecasts come in long format too.
        X : array-like of shape (n_timesteps, n_exogenous) or list, default=None
            Exogenous columns aligned with ``y`` (past values enter the
            windows; forecasting then needs their future values).

        Returns
        -------
        self : LSTMForecaster
            The fitted forecaster.
        """
        ids, names, y = _unstack(y, "y")
        X = _unstack_like(X, ids, "X", "y")
        many, items = self._validate(y, "y")
        labels = [label for label, _, _ in items]
        series = [arr for _, arr, _ in items]
        indexes = [index for _, _, index in items]
        exog = self._exog(X, many, [len(arr) for arr in series], labels)
        n_exog = 0 if exog[0] is None else exog[0].shape[1]
        if self.log is True:
            for label, arr in zip(labels, series):
                if (arr <= 0).any():
                    raise ValueError(
                        f"{label} has values <= 0, so log=True cannot take its "
                        'logarithm; shift the series, or use log="auto" (takes the '
                        "logarithm only of all-positive series) or log=False."
                    )
        for label, arr in zip(labels, series):
            self._check_history(label, arr)
        need = self._need()
        longest = max(len(arr) for arr in series)
        if longest < need:
            season = " + seasonal_period" if self.seasonal_period else ""
            which = f"the longest series of y has {longest}" if many else f"y has {longest}"
            raise ValueError(
                f"{which} time steps; a training window needs at least {need} "
                f"(one past step + {'horizon' if self.strategy == 'direct' else '1'}"
                f"{season}). Give a longer series or a shorter horizon."
            )
        if self.interval_backtests:
            # every origin must leave some series a training window
            usable = (longest - need) // self.horizon
            if usable < self.interval_backtests:
                raise ValueError(
                    f"interval_backtests={self.interval_backtests} needs a series of "
                    f"at least {need + self.interval_backtests * self.horizon} time "
                    f"steps (the earliest origin, {self.interval_backtests} x "
                    f"horizon={self.horizon} steps before the end, must leave {need} "
                    f"to train on); the longest has {longest}. Use at most "
                    f"{usable} backtests."
                )
        self.n_series_ = len(series)
        self.n_exogenous_ = n_exog
        self.log_ = (all((arr > 0).all() for arr in series) if self.log == "auto"
                     else bool(self.log))
        self._many = many
        self._ids, self._long_names = ids, names
        groups = self._windows(series, exog)
        self.n_windows_ = sum(len(d) for d, _, _ in groups)
        if n_exog:
            flat = np.concatenate([x.reshape(-1, n_exog) for _, x, _ in groups])
            self.exog_mean_ = flat.mean(axis=0)
            std = _std(flat, axis=0)[0]
            self.exog_scale_ = np.where(std > 1e-12, std, 1.0)
        with np.errstate(over="ignore", invalid="ignore"):  # checked below
            normalised = []
            for d, _, _ in groups:
                offset, spread = self._normalize(d)
                normalised.append(((d - offset) / spread).ravel())
            scale = float(_std(np.concatenate(normalised)).item())
            self.scale_ = scale if scale > 1e-12 else 1.0
            inputs, out = [], []
            for d, x, target in groups:
                values, offset, spread = self._inputs(d, x)
                inputs.append(values)
                out.append(((target - offset) / spread / self.scale_).astype(np.float32))
        out = np.concatenate(out)
        if not (np.isfinite(self.scale_) and np.isfinite(out).all()
                and all(np.isfinite(v).all() for v in inputs)):
            peak = max(float(np.abs(arr).max()) for arr in series)
            raise ValueError(
                f"y's values (largest magnitude {peak:.3g}) are too large for the "
                "forecaster's arithmetic: their changes overflow. Divide the "
                "series by a constant before fitting and multiply the forecasts "
                "by it."
            )
        if all(v.shape[1] == self.lookback for v in inputs):
            inputs = np.concatenate(inputs)
        else:  # short series: windows of several lengths, padded and masked
            inputs = [window for v in inputs for window in v]
        H = self._out()
        self.regressor_ = LSTMRegressor(
            patch_size=1, **{name: getattr(self, name) for name in _NETWORK_PARAMS}
        )
        self.regressor_.fit(inputs, out if H > 1 else out[:, 0])
        # what predict starts from: the end of every training series
        self._history = [(arr.copy(), None if xa is None else xa.copy())
                         for arr, xa in zip(series, exog)]
        self._indexes = indexes
        last = indexes[0]
        self.cutoff_ = last[-1] if last is not None else len(series[0]) - 1
        self.interval_residuals_, self.interval_growth_ = (
            self._backtest(series, exog) if self.interval_backtests else (None, None))
        return self

    def _backtest(self, series, exog):
        """Errors of refits at earlier origins, and how fast they grow.

        The refit at the ``k``-th origin (``k * horizon`` steps before the
        end of every series) forecasts the ``k * horizon`` steps to the end,
        so the errors cover steps 1 to ``interval_backtests * horizon``
        ahead. A series too short to be forecast from an origin (fewer than
        ``seasonal_period + 1`` steps before it) is left out there. Each
        series' errors are divided by its scale (:meth:`_error_scale`), so
        series of every size pool into one set. Returns the errors divided
        by ``step ** growth`` and ``growth``, the exponent of the errors'
        growth with the step (fitted, between 1/2, a random walk, and 1, an
        error in the trend).
        """
        H = self.horizon
        m = self.seasonal_period or 0
        errors, steps = [], []
        for k in range(1, self.interval_backtests + 1):
            kept = [i for i, arr in enumerate(series) if len(arr) - k * H >= m + 1]
            cut = {i: len(series[i]) - k * H for i in kept}
            model = clone(self).set_params(interval_backtests=0, log=self.log_)
            past = [series[i][:cut[i]] for i in kept]
            past_x = None if exog[0] is None else [exog[i][:cut[i]] for i in kept]
            model.fit(past, past_x)
            future_x = None if exog[0] is None else [
                exog[i][cut[i]:cut[i] + k * H] for i in kept]
            forecasts = model.predict(horizon=k * H, X=future_x)
            for i, f in zip(kept, forecasts):
                arr = series[i]
                actual = arr[cut[i]:cut[i] + k * H]
                error = np.log(actual) - np.log(f) if self.log_ else actual - f
                errors.append(error / self._error_scale(arr[:cut[i]]))
                steps.append(np.arange(1, k * H + 1))
        errors, steps = np.concatenate(errors), np.concatenate(steps)
        growth = _error_growth(errors, steps)
        return errors / steps ** growth, growth

    def _error_scale(self, arr):
        """The scale a series' forecast errors are measured in for intervals:
        1 on the log scale (errors are relative); else the mean absolute
        change from one step to the next of the history ``arr`` (its mean
        absolute value if it does not change, 1 if that is 0 too)."""
        if self.log_:
            return 1.0
        for value in (np.mean(np.abs(np.diff(arr))) if len(arr) > 1 else 0.0,
                      np.mean(np.abs(arr))):
            if np.isfinite(value) and value > 0:
                return float(value)
        return 1.0

    # -- predict ---------------------------------------------------------------
    def predict(self, horizon=None, X=None, *, series=None):
        """Forecast the steps after the end of a series.

        Without ``series``, the forecasts continue the training series;
        with it, they continue the series given, which the model need not
        have seen (a global model forecasts new series this way).

        Parameters
        ----------
        horizon : int or array-like of int, default=None
            An int ``h``: the next ``h`` steps (``self.horizon`` by
            default). A list or array of step numbers (1 is the step right
            after the end, as in ``[1, 6, 12]``): the forecasts of those
            steps, in the order given.
        X : array-like of shape (n_steps, n_exogenous) or list, default=None
            Exogenous values, needed when the forecaster was fitted with
            ``X``: without ``series``, the future rows (one per step up to
            the largest asked for); with ``series``, the rows of the given
            history followed by the future ones.
        series : array-like, pandas Series, or list of them, default=None
            Histories to forecast from instead of the training series (the
            same rule as ``fit``: a list of numbers is one series, a list of
            arrays several). Each needs at least ``seasonal_period + 1``
            steps; shorter than ``lookback``, the network reads what there
            is.

        Returns
        -------
        forecast : ndarray, pandas Series, or list of them
            One forecast per series (a list when a list was fitted, or
            given as ``series``; a Series in long format for long-format
            input); a pandas Series with the future time points when the
            series had a ``PeriodIndex`` or a ``DatetimeIndex`` with a
            (possibly inferred) frequency.
        """
        check_is_fitted(self, "regressor_")
        steps = _check_steps(horizon, self.horizon)
        layout, parts = self._predict_parts(steps, X, series)
        return _assemble(layout, [f for f, _ in parts], steps)

    def _predict_parts(self, steps, X, series):
        """``layout`` and ``(forecast, history)`` of every series: the
        forecast at ``steps``, with future time points where known."""
        ids, names, many, sources = self._sources(X, series, int(steps.max()))
        parts = [(_with_future_index(
                    self._forecast(arr, xa, fx, int(steps.max()), label)[steps - 1],
                    index, steps), (arr, index))
                 for label, arr, xa, fx, index in sources]
        return (ids, names, many, [index for _, (_, index) in parts]), parts

    def _sources(self, X, series, n_steps):
        """The long format's ids and names (or None), ``many``, and ``(label,
        history, its exog, future exog, index)`` of every series to forecast
        ``n_steps`` steps of."""
        if series is None:
            ids, names = self._ids, self._long_names
            labels = [f"y[{i}]" if self._many else "y" for i in range(self.n_series_)]
            futures = self._future_exog(_unstack_like(X, ids, "X", "y"), n_steps)
            return ids, names, self._many, [
                (label, arr, xa, fx, index) for label, (arr, xa), fx, index
                in zip(labels, self._history, futures, self._indexes)]
        ids, names, series = _unstack(series, "series")
        X = _unstack_like(X, ids, "X", "series")
        return (ids, names) + self._new_sources(X, series, n_steps)

    def _new_sources(self, X, series, n_steps):
        many, items = self._validate(series, "series")
        for label, arr, _ in items:
            self._check_history(label, arr, self.log_)
        labels = [label for label, _, _ in items]
        if not self.n_exogenous_:
            if X is not None:
                raise ValueError("The forecaster was fitted without X; do not pass X.")
            return many, [(label, arr, None, None, index) for label, arr, index in items]
        if X is None:
            raise ValueError(
                f"The forecaster was fitted with {self.n_exogenous_} exogenous "
                "column(s): with series=, pass X with the rows of each history "
                f"followed by its {n_steps} future rows."
            )
        rows = [len(arr) + n_steps for _, arr, _ in items]
        exog = self._exog(X, many, rows, labels)
        if exog[0].shape[1] != self.n_exogenous_:
            raise ValueError(
                f"The forecaster was fitted with {self.n_exogenous_} exogenous "
                f"column(s); got {exog[0].shape[1]}."
            )
        return many, [(label, arr, xa[:len(arr)], xa[len(arr):], index)
                      for (label, arr, index), xa in zip(items, exog)]

    def _future_exog(self, X, steps):
        if not self.n_exogenous_:
            if X is not None:
                raise ValueError("The forecaster was fitted without X; do not pass X.")
            return [None] * self.n_series_
        if X is None:
            raise ValueError(
                f"The forecaster was fitted with {self.n_exogenous_} exogenous "
                f"column(s): pass their {steps} future rows as X."
            )
        Xs = list(X) if self._many else [X]
        if len(Xs) != self.n_series_:
            raise ValueError(f"X must hold one array per series ({self.n_series_}).")
        result = []
        for xa in Xs:
            xa = _as_float(xa, "X")
            xa = xa[:, None] if xa.ndim == 1 else xa
            if xa.shape != (steps, self.n_exogenous_):
                raise ValueError(
                    f"X must have shape ({steps}, {self.n_exogenous_}) (the future "
                    f"steps by the exogenous columns); got {xa.shape}."
                )
            result.append(xa)
        return result

    def _forecast(self, arr, xa, future_x, steps, label="y"):
        """``steps`` forecasts after ``arr`` (its exog ``xa``, future ``future_x``)."""
        m = self.seasonal_period or 0
        L, H = self.lookback, self._out()
        z, d = self._to_model(arr)
        unit = self._series_scale(d)
        z, d = list(z), list(d / unit)
        x_all = None if xa is None else np.concatenate([xa, future_x])
        n0 = len(arr)
        with np.errstate(over="ignore", invalid="ignore"):
            while len(z) < n0 + steps:
                t = len(z)  # index of the first value this pass forecasts
                window = np.asarray(d[-L:])[None, :]
                xw = None if x_all is None else x_all[t - window.shape[1]:t][None]
                inputs, offset, spread = self._inputs(window, xw)
                raw = np.asarray(self.regressor_.predict(inputs),
                                 dtype=np.float64).reshape(1, -1)
                values = raw * self.scale_ * spread + offset
                for v in values[0][:min(H, n0 + steps - len(z))]:
                    d.append(float(v))
                    z.append(float(v) * unit + (z[-m] if m else 0.0))
            z = np.asarray(z[n0:])
            forecast = np.exp(z) if self.log_ else z
        if not np.isfinite(forecast).all():
            first = int(np.flatnonzero(~np.isfinite(forecast))[0]) + 1
            raise ValueError(
                f"The forecast of {label} overflows floating point from step "
                f"{first} on (the history's largest magnitude is "
                f"{float(np.abs(arr).max()):.3g}). Divide the series by a "
                "constant before fitting, or forecast fewer steps."
            )
        return forecast

    def predict_interval(self, horizon=None, X=None, coverage=0.9, *, series=None):
        """Forecast with a prediction interval from the backtest errors.

        ``fit`` refitted the model at ``interval_backtests`` earlier origins
        and forecast from each to the end of the series; the errors grow
        with the step ahead ``h`` like ``h ** interval_growth_`` (fitted,
        between 1/2 and 1). Divided by that growth, they are pooled; the
        interval at step ``h`` is the forecast plus or minus their
        ``coverage`` quantile (with the finite-sample correction of split
        conformal prediction) times ``h ** interval_growth_``, on the log
        scale when ``log_`` is true. Beyond the backtests' longest forecast
        the same growth is assumed. Without the log, every series' errors
        are measured in units of its mean absolute step-to-step change, so
        the errors of all the series of a global model pool into one set
        and each interval takes its series' size (a history given as
        ``series`` too).

        Parameters
        ----------
        horizon : int or array-like of int, default=None
            The steps, as for :meth:`predict`.
        X : array-like, default=None
            Exogenous values, as for :meth:`predict`.
        coverage : float, default=0.9
            Nominal probability that a future value falls inside.
        series : array-like, pandas Series, or list of them, default=None
            Histories to forecast from, as for :meth:`predict`.

        Returns
        -------
        forecast, lower, upper : ndarrays or pandas Series, or lists of them
            The point forecast and the bounds of the interval.
        """
        check_is_fitted(self, "regressor_")
        if self.interval_residuals_ is None:
            raise ValueError(
                "Intervals need backtest errors: fit with interval_backtests >= 1 "
                "(for example 3)."
            )
        if not isinstance(coverage, Real) or not 0 < coverage < 1:
            raise ValueError(f"coverage must be a number in (0, 1); got {coverage!r}.")
        steps = _check_steps(horizon, self.horizon)
        layout, parts = self._predict_parts(steps, X, series)
        scores = np.abs(self.interval_residuals_)
        n = len(scores)
        level = min(1.0, math.ceil((n + 1) * coverage) / n)
        q = float(np.quantile(scores, level))
        results = []
        for f, (history, _) in parts:
            width = q * self._error_scale(history) * steps ** self.interval_growth_
            values = np.asarray(f, dtype=np.float64)
            if self.log_:
                lower, upper = values * np.exp(-width), values * np.exp(width)
            else:
                lower, upper = values - width, values + width
            results.append((f, _like(f, lower), _like(f, upper)))
        return tuple(_assemble(layout, list(part), steps) for part in zip(*results))

    def score(self, y, X=None):
        """Negative MAPE of the forecast of ``y``'s steps (greater is better).

        ``y`` is the period right after the training series (a search's
        test fold in time order): the forecaster forecasts ``len(y)`` steps
        from its end and compares. After a fit on a list of series, ``y``
        is a list with the period after each of them, in the same order;
        the score is the mean of their MAPEs.

        Parameters
        ----------
        y : array-like of shape (n_timesteps,), pandas Series, or list of them
            The values that followed the training series.
        X : array-like or list, default=None
            Their exogenous values (when fitted with ``X``).

        Returns
        -------
        score : float
            ``-mean(|y - forecast| / |y|)``, averaged over the series.
        """
        check_is_fitted(self, "regressor_")
        return -float(np.mean([_mape(actual, forecast)
                               for actual, forecast, _ in self._scored(y, X)]))

    def _scored(self, y, X):
        """``(actual, forecast, training series)`` of every series of ``y``,
        the periods that followed the training series."""
        check_is_fitted(self, "regressor_")
        ids, _, y = _unstack(y, "y")
        if self._ids is not None or ids is not None:
            if ids is None or set(ids) != set(self._ids or ()):
                raise ValueError(
                    "The forecaster was fitted on "
                    + ("a long-format series (a MultiIndex of series id and "
                       "time)" if self._ids is not None else "series without ids")
                    + ": score the steps that followed each, "
                    + ("in the same format, with the same ids." if self._ids is not None
                       else "in the same format.")
                )
            y = [y[ids.index(i)] for i in self._ids]
            X = _unstack_like(X, ids, "X", "y")
            X = None if X is None else [X[ids.index(i)] for i in self._ids]
        many, items = self._validate(y, "y")
        if many != self._many or len(items) != self.n_series_:
            raise ValueError(
                f"The forecaster was fitted on {self.n_series_} series"
                f"{' (a list)' if self._many else ''}: pass "
                + (f"a list of {self.n_series_} series, the steps that followed each "
                   "training series in the order fitted." if self._many else
                   "one series, the steps that followed the training series.")
            )
        for i, (_, _, index) in enumerate(items):
            if index is not None and self._indexes[i] is not None:
                _check_follows(self._indexes[i], index)
        futures = self._future_exog_rows(X, [len(actual) for _, actual, _ in items])
        return [(actual, self._forecast(arr, xa, fx, len(actual), label), arr)
                for (label, actual, _), (arr, xa), fx in zip(items, self._history, futures)]

    def _future_exog_rows(self, X, rows):
        """Future exogenous arrays of ``rows[i]`` rows for the fitted series."""
        if not self.n_exogenous_:
            if X is not None:
                raise ValueError("The forecaster was fitted without X; do not pass X.")
            return [None] * len(rows)
        if X is None:
            raise ValueError(
                f"The forecaster was fitted with {self.n_exogenous_} exogenous "
                "column(s): pass their future rows as X."
            )
        labels = [f"y[{i}]" if self._many else "y" for i in range(len(rows))]
        exog = self._exog(X, self._many, rows, labels)
        if exog[0].shape[1] != self.n_exogenous_:
            raise ValueError(
                f"The forecaster was fitted with {self.n_exogenous_} exogenous "
                f"column(s); got {exog[0].shape[1]}."
            )
        return exog


# ------------------------------------------------------------------ helpers
def _as_float(values, name):
    """A 1-D or 2-D float64 array of numbers without NaN (the forecasting
    helpers' own check)."""
    return _check_series(values, name, ndims=(1, 2))


def _is_number(value):
    """A scalar (a number, or what a user meant as one): lists of them are
    one series."""
    return (isinstance(value, (Number, np.generic, str, bytes)) or value is None
            or (isinstance(value, np.ndarray) and value.ndim == 0))


def _split_series(y, name):
    """``(many, items)``: the rule that tells one series from several.

    A list or tuple whose elements are all numbers is one series; one whose
    elements are all arrays, lists or pandas Series is several. Anything
    else (an array, a pandas Series or DataFrame) is one series.
    """
    if not isinstance(y, (list, tuple)):
        return False, [y]
    if not y:
        raise ValueError(f"{name} is an empty list: pass a series or a list of series.")
    numbers = [_is_number(v) for v in y]
    if all(numbers):
        return False, [y]
    if any(numbers):
        raise ValueError(
            f"{name} mixes numbers and sequences: a list of numbers is one "
            "series, a list of arrays (or lists, or pandas Series) is several "
            "series; pass one or the other."
        )
    return True, list(y)


def _unstack(y, name):
    """``(ids, names, series)``: a long-format pandas object (a MultiIndex
    of series id and time) as its list of series, in the order the ids
    first appear; ``(None, None, y)`` for anything else."""
    index = getattr(y, "index", None)
    if type(index).__name__ != "MultiIndex":
        return None, None, y
    if index.nlevels != 2:
        raise ValueError(
            f"{name} has a MultiIndex of {index.nlevels} levels; the long format "
            "has two: the series id, then the time."
        )
    ids = list(dict.fromkeys(index.get_level_values(0)))
    parts = [y.xs(i, level=0) for i in ids]
    ids = [i.item() if isinstance(i, np.generic) else i for i in ids]
    names = (list(index.names), getattr(y, "name", None))
    return ids, names, parts


def _unstack_like(X, ids, name, of):
    """Exogenous values for the series of a long-format ``of``: a long-format
    ``X`` with the same ids, as a list in the order of ``ids``."""
    if X is None or ids is None:
        if X is not None and type(getattr(X, "index", None)).__name__ == "MultiIndex":
            raise ValueError(f"{name} is in long format but {of} is not; give both alike.")
        return X
    x_ids, _, parts = _unstack(X, name)
    if x_ids is None or set(x_ids) != set(ids):
        raise ValueError(
            f"{of} is in long format (a MultiIndex of series id and time): pass {name} "
            "in long format too, with the same series ids."
        )
    return [parts[x_ids.index(i)] for i in ids]


def _assemble(layout, forecasts, steps):
    """The forecasts in the format of the input: one, a list, or long format."""
    ids, names, many, indexes = layout
    if ids is None:
        return forecasts if many else forecasts[0]
    import pandas as pd

    pieces = []
    for forecast, index in zip(forecasts, indexes):
        if not isinstance(forecast, pd.Series):
            if index is not None and index.dtype.kind in "iu" and len(index) > 0:
                spacing = int(np.median(np.diff(index))) if len(index) > 1 else 1
                future = index[-1] + spacing * steps
            else:  # no time points to go on: the steps ahead
                future = steps
            forecast = pd.Series(np.asarray(forecast), index=future)
        pieces.append(forecast)
    levels, series_name = names
    out = pd.concat(pieces, keys=ids, names=levels)
    out.name = series_name
    return out


def _check_steps(horizon, default):
    """The steps ahead asked for (1-based int array) from an int or a list."""
    if horizon is None:
        return np.arange(1, default + 1)
    message = ("horizon must be a positive integer (the number of steps) or a "
               "list or array of distinct positive step numbers (1 is the step "
               f"after the end); got {horizon!r}.")
    if isinstance(horizon, (bool, np.bool_)):
        raise ValueError(message)
    if isinstance(horizon, Integral):
        if horizon < 1:
            raise ValueError(message)
        return np.arange(1, int(horizon) + 1)
    if isinstance(horizon, (Real, str, bytes)):
        raise ValueError(message)
    steps = np.asarray(horizon)
    if (steps.ndim != 1 or steps.size == 0 or steps.dtype.kind not in "iu"
            or steps.min() < 1 or len(np.unique(steps)) != len(steps)):
        raise ValueError(message)
    return steps.astype(np.int64)


def _std(values, axis=None):
    """Standard deviation (keepdims along ``axis``) that does not overflow
    for values near the largest float64: taken on the values divided by
    their largest magnitude where the plain one overflows."""
    with np.errstate(over="ignore", invalid="ignore"):
        plain = np.std(values, axis=axis, keepdims=True)
        if np.isfinite(plain).all():
            return plain
        peak = np.max(np.abs(values), axis=axis, keepdims=True)
        peak = np.where(np.isfinite(peak) & (peak > 0), peak, 1.0)
        return np.std(values / peak, axis=axis, keepdims=True) * peak


def _mape(actual, forecast):
    """Mean absolute percentage error, as a fraction."""
    actual = np.asarray(actual, dtype=np.float64)
    denom = np.maximum(np.abs(actual), np.finfo(np.float64).eps)
    return float(np.mean(np.abs(actual - np.asarray(forecast, dtype=np.float64)) / denom))


def _error_growth(errors, steps):
    """Exponent ``a`` of ``mean |error| ~ step ** a``, clipped to [0.5, 1].

    A least-squares line through the logarithms of the mean absolute error
    at each step against the logarithm of the step, weighted by the square
    root of the number of errors at each step. Steps whose mean error is
    zero or not finite are left out; with fewer than two steps left the
    growth is a random walk's, 0.5.
    """
    unique, counts = np.unique(steps, return_counts=True)
    mean_abs = np.array([np.abs(errors[steps == h]).mean() for h in unique])
    usable = np.isfinite(mean_abs) & (mean_abs > 0)
    if usable.sum() < 2:
        return 0.5
    slope = np.polyfit(np.log(unique[usable]), np.log(mean_abs[usable]), 1,
                       w=np.sqrt(counts[usable]))[0]
    return float(np.clip(slope, 0.5, 1.0))


def _check_index(values, name):
    """The pandas index of ``values`` (None for arrays); must increase."""
    index = getattr(values, "index", None)
    if index is None or not hasattr(index, "is_monotonic_increasing"):
        return None
    if not index.is_monotonic_increasing or index.has_duplicates:
        raise ValueError(
            f"The index of {name} must increase strictly (time order, no "
            "repeated time points); sort it with .sort_index() and drop duplicates."
        )
    return index


def _freq(index):
    """The step of a pandas index: its frequency, else the inferred one."""
    freq = getattr(index, "freq", None)
    if freq is None and len(index) >= 3:
        try:
            with warnings.catch_warnings():
                # pandas announces that this becomes an offset; to_offset
                # below takes either
                warnings.simplefilter("ignore")
                inferred = index.inferred_freq
        except (TypeError, ValueError, AttributeError):  # pragma: no cover
            inferred = None
        if inferred is not None:
            from pandas.tseries.frequencies import to_offset

            freq = to_offset(inferred)
    return freq


def _check_follows(train_index, test_index):
    """A scored period must start right after the training period."""
    if len(train_index) < 2:
        return
    freq = _freq(train_index)
    last, start = train_index[-1], test_index[0]
    if _is_period_index(train_index):
        follows = start == last + 1
    elif freq is not None:
        follows = start == last + freq
    else:  # an irregular index: no gap larger than its usual spacing allows
        spacing = np.median(np.diff(np.asarray(train_index)))
        follows = last < start and (start - last) <= 1.5 * spacing
    if not follows:
        raise ValueError(
            f"The scored period starts at {start!r}, not right after the "
            f"training period ({last!r}): forecasts are scored on the "
            "steps that follow the fit. Use a time-ordered split such as "
            "TimeSeriesSplit(test_size=horizon)."
        )


def _is_period_index(index):
    return type(index).__name__ == "PeriodIndex"


def _with_future_index(forecast, index, steps):
    """A pandas Series with the future time points of ``steps`` (1-based)
    when the index is a ``PeriodIndex`` or has a frequency."""
    if index is None:
        return forecast
    import pandas as pd

    if _is_period_index(index):
        future = pd.period_range(index[-1] + 1, periods=int(steps.max()), freq=index.freq)
        return pd.Series(forecast, index=future[steps - 1])
    freq = _freq(index)
    if freq is None:
        return forecast
    future = pd.date_range(index[-1] + freq, periods=int(steps.max()), freq=freq)
    return pd.Series(forecast, index=future[steps - 1])


def _like(template, values):
    if hasattr(template, "index") and hasattr(template, "iloc"):
        return type(template)(values, index=template.index)
    return values
