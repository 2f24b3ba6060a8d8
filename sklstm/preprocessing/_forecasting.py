"""Helpers that turn one long series into supervised windows, and a baseline."""

import math
from numbers import Integral, Real

import numpy as np
from sklearn.model_selection import TimeSeriesSplit
from sklearn.utils import indexable

from .._sklearn_compat import safe_indexing as _safe_indexing

__all__ = ["ForecastSplit", "make_windows", "seasonal_naive_forecast", "train_test_split_series"]


# --------------------------------------------------------------------------
# forecasting helpers
# --------------------------------------------------------------------------
def _positive_int(value, name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}.")
    return int(value)


def _check_series(series, name="series", *, ndims=(1, 2)):
    try:
        arr = np.asarray(series, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must hold numbers: {exc}") from exc
    if arr.ndim not in ndims:
        raise ValueError(
            f"{name} must have {' or '.join(f'{d}-D' for d in ndims)} shape; "
            f"got an array of shape {arr.shape}."
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty.")
    bad = ~np.isfinite(arr)
    if bad.any():
        where = np.flatnonzero(bad.reshape(arr.shape[0], -1).any(axis=1))
        raise ValueError(
            f"{name} contains NaN or infinity at time step(s) "
            f"{where[:5].tolist()}{' ...' if len(where) > 5 else ''}; fill or "
            "drop missing values first."
        )
    return arr


def _target_column(series, arr, target):
    n_cols = arr.shape[1]
    if target is None:
        if n_cols == 1:
            return 0
        raise ValueError(
            f"series has {n_cols} columns: pass target= (a column index or "
            "name) to choose the column to forecast."
        )
    if isinstance(target, str):
        columns = list(getattr(series, "columns", []))
        if target not in columns:
            raise ValueError(f"target {target!r} is not a column of series.")
        return columns.index(target)
    if isinstance(target, (bool, np.bool_)) or not isinstance(target, Integral):
        raise ValueError(f"target must be a column index or name; got {target!r}.")
    if not -n_cols <= target < n_cols:
        raise ValueError(f"target={target} is out of range for {n_cols} column(s).")
    return int(target) % n_cols


def make_windows(series, lookback, horizon=1, step=1, target=None):
    """Cut a series into supervised (past window, future values) pairs.

    For window ``i``::

        X[i] = series[i * step : i * step + lookback]                 # all columns
        y[i] = series[i * step + lookback :
                      i * step + lookback + horizon, target]          # one column

    so every target lies strictly after its input window, and the number of
    windows is ``(len(series) - lookback - horizon) // step + 1``.

    Parameters
    ----------
    series : array-like of shape (n_timesteps,) or (n_timesteps, n_features)
        One series in time order: 1-D, or 2-D with one column per feature
        (a pandas Series or DataFrame works).
    lookback : int
        Number of past time steps in every input window.
    horizon : int, default=1
        Number of future values to predict.
    step : int, default=1
        Shift between consecutive windows.
    target : int or str, default=None
        Column of a 2-D series to forecast (index, or column name for a
        DataFrame). Required when the series has more than one column.

    Returns
    -------
    X : ndarray of shape (n_windows, lookback, n_features)
        Input windows (float64); ``n_features`` is 1 for a 1-D series.
    y : ndarray of shape (n_windows, horizon)
        Targets (float64). With ``horizon=1`` use ``y.ravel()`` for a 1-D
        target.

    Raises
    ------
    ValueError
        If ``lookback``, ``horizon`` or ``step`` is not a positive integer,
        the series holds NaN or is shorter than ``lookback + horizon``.

    See Also
    --------
    train_test_split_series : Split windows in time order.
    seasonal_naive_forecast : Baseline forecasts for the same windows.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm.preprocessing import make_windows
    >>> X, y = make_windows(np.arange(6), lookback=3, horizon=2)
    >>> X.shape, y.shape
    ((2, 3, 1), (2, 2))
    >>> X[1, :, 0].tolist(), y[1].tolist()
    ([1.0, 2.0, 3.0], [4.0, 5.0])
    """
    lookback = _positive_int(lookback, "lookback")
    horizon = _positive_int(horizon, "horizon")
    step = _positive_int(step, "step")
    arr = _check_series(series)
    if arr.ndim == 1:
        if target not in (None, 0, -1):
            raise ValueError(f"target={target!r} given for a 1-D series; leave it None.")
        arr2 = arr[:, None]
        col = 0
    else:
        arr2 = arr
        col = _target_column(series, arr, target)
    n_steps = arr2.shape[0]
    if lookback + horizon > n_steps:
        raise ValueError(
            f"lookback + horizon = {lookback + horizon} time steps is longer "
            f"than the series ({n_steps} time steps): no window fits."
        )
    n_windows = (n_steps - lookback - horizon) // step + 1
    starts = np.arange(n_windows) * step
    X = arr2[starts[:, None] + np.arange(lookback)]
    y = arr2[starts[:, None] + lookback + np.arange(horizon), col]
    return X, y


def train_test_split_series(*arrays, test_size=0.25, gap=0):
    """Split arrays in time order: the first part trains, the last part tests.

    Like :func:`sklearn.model_selection.train_test_split` with
    ``shuffle=False``, plus a ``gap`` of samples dropped between the two
    parts. For cross-validation use
    :class:`sklearn.model_selection.TimeSeriesSplit`, which has the same
    ``gap``.

    Windows from :func:`make_windows` overlap: with ``step=1`` the targets of
    the last ``horizon - 1`` training windows are also targets of the first
    test windows. ``gap = ceil(horizon / step) - 1`` removes that overlap.

    Parameters
    ----------
    *arrays : sequence of array-like of the same length
        A series, or windows ``X`` and targets ``y``, in time order.
    test_size : float or int, default=0.25
        Fraction (float in (0, 1)) or number (int) of samples in the test
        part, taken from the end.
    gap : int, default=0
        Number of samples dropped between the training and the test part.

    Returns
    -------
    splitting : list, length=2 * len(arrays)
        ``train, test`` for every array, as in ``train_test_split``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm.preprocessing import train_test_split_series
    >>> train, test = train_test_split_series(np.arange(10), test_size=3)
    >>> train.tolist(), test.tolist()
    ([0, 1, 2, 3, 4, 5, 6], [7, 8, 9])
    >>> train, test = train_test_split_series(np.arange(10), test_size=3, gap=2)
    >>> train.tolist()
    [0, 1, 2, 3, 4]
    """
    if not arrays:
        raise ValueError("At least one array required as input.")
    arrays = indexable(*arrays)
    n = len(arrays[0])
    if isinstance(test_size, (bool, np.bool_)):
        raise ValueError(f"test_size must be a float or an int; got {test_size!r}.")
    if isinstance(test_size, Integral):
        if not 1 <= test_size < n:
            raise ValueError(
                f"test_size={test_size} must be between 1 and n_samples - 1 = {n - 1}."
            )
        n_test = int(test_size)
    elif isinstance(test_size, Real) and 0 < test_size < 1:
        n_test = math.ceil(test_size * n)
    else:
        raise ValueError(
            f"test_size must be a float in (0, 1) or an int; got {test_size!r}."
        )
    if isinstance(gap, (bool, np.bool_)) or not isinstance(gap, Integral) or gap < 0:
        raise ValueError(f"gap must be a non-negative integer; got {gap!r}.")
    n_train = n - n_test - gap
    if n_train < 1:
        raise ValueError(
            f"No training samples left: {n} samples, test_size={n_test}, gap={gap}."
        )
    train = np.arange(n_train)
    test = np.arange(n_train + gap, n)
    out = []
    for a in arrays:
        out.extend([_safe_indexing(a, train), _safe_indexing(a, test)])
    return out


def seasonal_naive_forecast(history, horizon=1, season_length=1, target=None):
    """Forecast by repeating the last observed season.

    The value ``h`` steps ahead (``h = 1 .. horizon``) is the last observed
    value at the same point of the season::

        forecast[h - 1] = history[T - season_length + (h - 1) % season_length]

    where ``T`` is the length of the history. ``season_length=1`` gives the
    naive forecast (repeat the last value). It is the baseline a learned
    forecaster should beat; on windows from :func:`make_windows` it returns
    one forecast per window, directly comparable with ``y``.

    Parameters
    ----------
    history : array-like
        1-D: one series, returns ``(horizon,)``. 2-D ``(n_windows,
        lookback)`` or 3-D ``(n_windows, lookback, n_features)``: windows (the
        package's 2-D and 3-D layouts), returns ``(n_windows, horizon)``. To
        forecast one multivariate series, pass the column you want.
    horizon : int, default=1
        Number of steps to forecast.
    season_length : int, default=1
        Length of the season (12 for monthly data with a yearly cycle).
    target : int, default=None
        Feature to forecast for 3-D windows; required when they have more
        than one feature.

    Returns
    -------
    forecast : ndarray of shape (horizon,) or (n_windows, horizon)

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm.preprocessing import seasonal_naive_forecast
    >>> seasonal_naive_forecast([1, 2, 3, 4, 5, 6], horizon=4, season_length=3).tolist()
    [4.0, 5.0, 6.0, 4.0]
    >>> seasonal_naive_forecast(np.array([[1, 2], [3, 4]]), horizon=2).tolist()
    [[2.0, 2.0], [4.0, 4.0]]
    """
    horizon = _positive_int(horizon, "horizon")
    season_length = _positive_int(season_length, "season_length")
    arr = _check_series(history, "history", ndims=(1, 2, 3))
    if arr.ndim == 3:
        arr = arr[:, :, _target_column(None, arr[0], target)]
    length = arr.shape[-1]
    if season_length > length:
        raise ValueError(
            f"season_length={season_length} is longer than the history "
            f"({length} time steps)."
        )
    idx = length - season_length + np.arange(horizon) % season_length
    return arr[..., idx]


class ForecastSplit(TimeSeriesSplit):
    """Folds in time order that each test the ``horizon`` steps after their past.

    For one series, scikit-learn's
    :class:`~sklearn.model_selection.TimeSeriesSplit` with
    ``test_size=horizon`` (the same folds: expanding training periods, each
    followed by its test period, the last ending with the series), with a
    clear error when the series is too short for the folds, counting the
    training steps every fold needs.

    For many series in long format (a pandas object with a MultiIndex of
    series id and time, rows of each series in time order), every series is
    cut at its own end: fold ``k`` (the last one ``k = 0``) tests the
    ``horizon`` steps that end ``k * horizon`` steps before each series'
    end and trains on all the steps before them (less ``gap``). A series
    with fewer than ``min_series_size`` training steps in a fold is left
    out of that fold; the longest series needs ``min_train_size``.

    Parameters
    ----------
    n_splits : int, default=3
        Number of folds.
    horizon : int, default=1
        Steps in every test period.
    min_train_size : int, default=1
        Steps the first (shortest) training period needs at least (of the
        longest series, in long format). An
        :class:`~sklstm.LSTMForecaster` needs ``horizon + 1``, plus
        ``seasonal_period``.
    min_series_size : int, default=1
        In long format: training steps a series needs to take part in a
        fold (an :class:`~sklstm.LSTMForecaster` forecasts from
        ``seasonal_period + 1``).
    gap : int, default=0
        Steps left out between every training and test period.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm.forecasting import ForecastSplit
    >>> cv = ForecastSplit(n_splits=2, horizon=3)
    >>> [(len(train), test.tolist()) for train, test in cv.split(np.arange(10))]
    [(4, [4, 5, 6]), (7, [7, 8, 9])]
    """

    def __init__(self, n_splits=3, *, horizon=1, min_train_size=1, min_series_size=1, gap=0):
        super().__init__(n_splits=n_splits, test_size=horizon, gap=gap)
        self.horizon = horizon
        self.min_train_size = min_train_size
        self.min_series_size = min_series_size

    def split(self, X, y=None, groups=None):
        """Indices of the training and test period of every fold.

        Parameters
        ----------
        X : array-like of shape (n_timesteps, ...), or pandas object in long format
            The series (only its length, or its series ids, are used).
        y, groups : None
            Ignored; there for scikit-learn's splitter interface.

        Yields
        ------
        train, test : ndarray
            Positions of the fold's training and test steps (rows).
        """
        horizon = _positive_int(self.horizon, "horizon")
        n_splits = _positive_int(self.n_splits, "n_splits")
        min_train = _positive_int(self.min_train_size, "min_train_size")
        index = getattr(X, "index", None)
        if type(index).__name__ == "MultiIndex" and index.nlevels == 2:
            yield from self._split_long(index, n_splits, horizon, min_train)
            return
        n = len(indexable(X)[0])
        self._check_length(n, n_splits, horizon, min_train, "The series has")
        yield from super().split(X, y, groups)

    def _check_length(self, n, n_splits, horizon, min_train, what):
        first = n - self.gap - n_splits * horizon
        if first < min_train:
            raise ValueError(
                f"{what} {n} time steps, too few for {n_splits} folds "
                f"that each test {horizon} steps (horizon) after at least "
                f"{min_train} training steps{f' and a gap of {self.gap}' if self.gap else ''}"
                f": that needs {min_train + self.gap + n_splits * horizon}. Pass "
                "fewer folds (cv=2), a shorter horizon, or your own folds as "
                "cv=[(train_indices, test_indices), ...]."
            )

    def _split_long(self, index, n_splits, horizon, min_train):
        min_series = _positive_int(self.min_series_size, "min_series_size")
        codes = np.asarray(index.codes[0])  # the series id of every row
        rows = [np.flatnonzero(codes == c) for c in np.unique(codes)]
        self._check_length(max(len(r) for r in rows), n_splits, horizon, min_train,
                           "The longest series has")
        for k in range(n_splits - 1, -1, -1):
            train, test = [], []
            for r in rows:
                end = len(r) - k * horizon
                stop = end - horizon - self.gap
                if stop < min_series:
                    continue
                train.append(r[:stop])
                test.append(r[end - horizon:end])
            yield np.sort(np.concatenate(train)), np.sort(np.concatenate(test))
