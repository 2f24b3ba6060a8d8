"""Forecasting airline passengers with LSTMForecaster.

The monthly airline passenger series (1949-1960, shipped with sklstm) is
split in time: the forecaster learns from 1949-1957 and forecasts the 36
months of 1958-1960, the forecast a forecaster is judged by. The windows
are the model's business: ``lookback`` (8 past months by default), the
logarithm (``log="auto"`` takes it for a positive series) and an optional
seasonal difference are its hyperparameters. We compare with the
seasonal-naive forecast (repeat the last observed year) by MAPE and RMSE,
and draw a 90 % prediction interval calibrated on three earlier forecast
origins. The forecaster extrapolates the growth of 1955-1957; 1958 hardly
grew, so expect it to overshoot that year (docs/benchmarks.md has the
figures over three seeds, beside Holt-Winters).

Run it with ``python examples/plot_forecasting.py``.
"""

# %%
import os

import numpy as np

from sklstm import LSTMForecaster
from sklstm.datasets import load_airline

FAST = bool(os.environ.get("SKLSTM_EXAMPLE_FAST"))

y, months = load_airline(return_dates=True)
train, test = y[:108], y[108:]  # 1949-1957 | 1958-1960
print(f"train {len(train)} months, forecast {len(test)} months")

# %%
# The untuned forecaster: 8 months in, 12 months per pass, fed back for 36,
# on the log of the series (all its values are positive).
model = LSTMForecaster(
    horizon=12, interval_backtests=3, max_epochs=10 if FAST else 200, random_state=0,
)
model.fit(train)
forecast, lower, upper = model.predict_interval(horizon=len(test), coverage=0.9)
naive = np.resize(train[-12:], len(test))


def mape(f):
    return float(np.mean(np.abs(test - f) / test))


def rmse(f):
    return float(np.sqrt(np.mean((test - f) ** 2)))


for name, f in [("LSTMForecaster", forecast), ("seasonal naive", naive)]:
    print(f"{name:>15s}: MAPE {100 * mape(f):5.2f} %   RMSE {rmse(f):6.1f} "
          "passengers (thousands)")
inside = np.mean((test >= lower) & (test <= upper))
print(f"90 % interval: {100 * inside:.0f} % of the 36 months inside")

# %%
try:
    import matplotlib.pyplot as plt
except ImportError:  # plotting is optional
    plt = None
if plt is not None:
    fig, ax = plt.subplots(figsize=(7, 3))
    t = months.astype("datetime64[D]")
    ax.plot(t, y, color="0.6", label="observed")
    ax.fill_between(t[108:], lower, upper, color="C0", alpha=0.2, label="90 % interval")
    ax.plot(t[108:], forecast, color="C0", label="LSTMForecaster")
    ax.plot(t[108:], naive, color="C1", ls="--", label="seasonal naive")
    ax.set_ylabel("passengers (thousands)")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig("forecasting.png", dpi=80)
