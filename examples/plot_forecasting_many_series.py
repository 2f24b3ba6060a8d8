"""Forecasting many short series with one global LSTMForecaster.

Forty quarterly series of 10 to 40 quarters (generated here: a level, a
trend, a yearly season and noise, each its own) are too short to train a
network each, but together they hold enough windows. One global
forecaster learns from 35 of them, with the last year of each held out;
series shorter than ``lookback + horizon`` join with shorter windows. It
then forecasts the five series it never saw from their histories
(``predict(series=...)``), and both are scored by sMAPE and MASE beside the
seasonal naive forecast (repeat the last year). A rolling-origin backtest
(``sklstm.forecasting.backtest``) measures the forecaster at two
origins.

Run it with ``python examples/plot_forecasting_many_series.py``.
"""

# %%
import os

import numpy as np
import pandas as pd

from sklstm import LSTMForecaster
from sklstm.forecasting import backtest, mase, smape
from sklstm.preprocessing import seasonal_naive_forecast

FAST = bool(os.environ.get("SKLSTM_EXAMPLE_FAST"))
HORIZON, SEASON = 4, 4

rng = np.random.RandomState(0)
all_series = []
for i in range(40):
    n = rng.randint(10, 41)
    t = np.arange(n)
    level = rng.uniform(50, 5000)
    season = 1 + rng.uniform(0.05, 0.2) * np.sin(2 * np.pi * (t + rng.randint(4)) / SEASON)
    trend = 1 + rng.uniform(-0.01, 0.04) * t
    noise = np.exp(rng.normal(scale=0.03, size=n))
    start = pd.Period("2015Q1") - n  # every series ends in 2014Q4
    all_series.append(pd.Series(level * trend * season * noise,
                                index=pd.period_range(start, periods=n, freq="Q")))

seen, unseen = all_series[:35], all_series[35:]
train = [s.iloc[:-HORIZON] for s in seen]
print(f"{len(train)} training series of {min(map(len, train))} to "
      f"{max(map(len, train))} quarters; {sum(len(s) < 12 for s in train)} shorter "
      "than lookback + horizon = 12")

# %%
# One global model for all of them (few epochs in the fast test run).
forecaster = LSTMForecaster(lookback=8, horizon=HORIZON, max_epochs=10 if FAST else 100,
                            random_state=0)
forecaster.fit(train)
print(f"trained on {forecaster.n_windows_} windows")


def scores(histories, actuals, forecasts):
    """Mean sMAPE and MASE (seasonal, lag 4) over the series."""
    s = [smape(a, f) for a, f in zip(actuals, forecasts)]
    m = [mase(a, f, y_train=h, seasonal_period=SEASON)
         for h, a, f in zip(histories, actuals, forecasts)]
    return 100 * np.mean(s), np.mean(m)


actual = [s.iloc[-HORIZON:].to_numpy() for s in seen]
lstm = [f.to_numpy() for f in forecaster.predict()]
naive = [seasonal_naive_forecast(h, HORIZON, season_length=SEASON) for h in train]
print("seen series    sMAPE %5.2f  MASE %.3f (LSTM)" % scores(train, actual, lstm))
print("               sMAPE %5.2f  MASE %.3f (seasonal naive)" % scores(train, actual, naive))

# %%
# Series the model never saw: forecast from their histories, no refit.
histories = [s.iloc[:-HORIZON] for s in unseen]
new = forecaster.predict(series=histories)
actual_new = [s.iloc[-HORIZON:].to_numpy() for s in unseen]
print("unseen series  sMAPE %5.2f  MASE %.3f (LSTM)"
      % scores(histories, actual_new, [f.to_numpy() for f in new]))
naive_new = [seasonal_naive_forecast(h, HORIZON, season_length=SEASON) for h in histories]
print("               sMAPE %5.2f  MASE %.3f (seasonal naive)"
      % scores(histories, actual_new, naive_new))

# %%
# A backtest: refit at two origins a year apart (the last one is the split
# above), on the seen series of at least 20 quarters (MASE's seasonal scale
# needs more than a year before the earlier origin).
long = [s for s in seen if len(s) >= 20]
result = backtest(forecaster, long, n_origins=2, seasonal_period=SEASON)
for cutoffs, s, m in zip(result["cutoff"], result["smape"], result["mase"]):
    print(f"origin after {max(cutoffs)}: sMAPE {100 * s:5.2f}  MASE {m:.3f}")

# %%
try:
    import matplotlib.pyplot as plt
except ImportError:  # pragma: no cover - the plot extra is optional
    plt = None
if plt is not None:
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.2))
    for ax, s, f in zip(axes, unseen[:3], new[:3]):
        ax.plot(s.index.to_timestamp(), s.to_numpy(), color="black", label="series")
        ax.plot(f.index.to_timestamp(), f.to_numpy(), color="C1", marker="o",
                label="forecast from its history")
        ax.set_title(f"unseen series, {len(s)} quarters")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig("forecasting_many_series.png", dpi=90)
    print("saved forecasting_many_series.png")
