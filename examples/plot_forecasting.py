"""Multi-step forecasting of airline passengers with windows and an LSTM.

The monthly airline passenger series (1949-1960, shipped with sklstm) is cut
into supervised windows: 24 past months in, the next 6 months out. The last
windows, in time order, are the test set. We compare a multi-output
``LSTMRegressor`` against the seasonal-naive forecast (repeat the same months
of the previous year) with MAPE and RMSE.

Run it with ``python examples/plot_forecasting.py``.
"""

# %%
import os

import numpy as np
from sklearn.metrics import mean_absolute_percentage_error, root_mean_squared_error

from sklstm import LSTMRegressor
from sklstm.datasets import load_airline
from sklstm.preprocessing import (
    make_windows,
    seasonal_naive_forecast,
    train_test_split_series,
)

FAST = bool(os.environ.get("SKLSTM_EXAMPLE_FAST"))
LOOKBACK, HORIZON = 24, 6

series = np.log(load_airline())  # multiplicative seasonality -> additive
X, y = make_windows(series, lookback=LOOKBACK, horizon=HORIZON)
# drop HORIZON - 1 windows between train and test so no target is shared
X_train, X_test, y_train, y_test = train_test_split_series(
    X, y, test_size=24, gap=HORIZON - 1
)
print(f"windows: train {X_train.shape} -> {y_train.shape}, test {X_test.shape}")

# %%
# Differencing inside the model: the network sees each window minus its last
# value and predicts the change from that value, which removes the trend.
last = lambda W: W[:, -1:, 0]  # noqa: E731


class LastValueOffset(LSTMRegressor):
    """An LSTMRegressor that forecasts the change from the window's last value."""

    def fit(self, X, y):
        X = np.asarray(X)
        return super().fit(X - X[:, -1:, :], y - last(X))

    def predict(self, X):
        X = np.asarray(X)
        return super().predict(X - X[:, -1:, :]) + last(X)


model = LastValueOffset(
    hidden_size=32, lr=5e-3, max_epochs=20 if FAST else 300, batch_size=16,
    random_state=0,
)
model.fit(X_train, y_train)

# %%
pred = np.exp(model.predict(X_test))
truth = np.exp(y_test)
naive = np.exp(seasonal_naive_forecast(X_test, horizon=HORIZON, season_length=12))

for name, f in [("LSTM", pred), ("seasonal naive", naive)]:
    mape = mean_absolute_percentage_error(truth, f)
    rmse = root_mean_squared_error(truth, f)
    print(f"{name:>15s}: MAPE {100 * mape:5.2f} %   RMSE {rmse:6.1f} passengers (thousands)")

# %%
try:
    import matplotlib.pyplot as plt
except ImportError:  # plotting is optional
    plt = None
if plt is not None:
    fig, ax = plt.subplots(figsize=(7, 3))
    months = np.arange(len(series))
    ax.plot(months, np.exp(series), color="0.6", label="observed")
    start = len(series) - len(X_test) - HORIZON + 1
    for i in range(0, len(X_test), HORIZON):
        t = np.arange(start + i, start + i + HORIZON)
        ax.plot(t, pred[i], color="C0", label="LSTM" if i == 0 else None)
        ax.plot(t, naive[i], color="C1", ls="--", label="seasonal naive" if i == 0 else None)
    ax.set_xlabel("month since January 1949")
    ax.set_ylabel("passengers (thousands)")
    ax.legend()
    fig.tight_layout()
    fig.savefig("forecasting.png", dpi=80)
