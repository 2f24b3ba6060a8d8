"""Quickstart: classify electricity-demand curves with an LSTM.

ItalyPowerDemand (shipped with sklstm, UCR archive): 24 hourly readings of
Italian power demand per day; the task is to tell winter days (October to
March) from summer days. The standard split has 67 training days and 1029
test days.

Run it with ``python examples/quickstart.py``.
"""

# %%
import os
import time

import numpy as np
from sklearn.metrics import classification_report
from sklearn.pipeline import make_pipeline

from sklstm import LSTMClassifier
from sklstm.datasets import load_italy_power_demand
from sklstm.preprocessing import SequenceScaler

# CI sets SKLSTM_EXAMPLE_FAST=1 to run the same code with fewer epochs.
EPOCHS = 5 if os.environ.get("SKLSTM_EXAMPLE_FAST") else 60

X_train, y_train = load_italy_power_demand(split="train")
X_test, y_test = load_italy_power_demand(split="test")
print(f"train {X_train.shape}, test {X_test.shape}, classes {np.unique(y_train).tolist()}")

# %%
# Scale every series with statistics learned on the training days only, then
# train a one-layer LSTM that reads the day hour by hour.
model = make_pipeline(
    SequenceScaler(),
    LSTMClassifier(hidden_size=32, lr=1e-2, max_epochs=EPOCHS, random_state=0),
)
start = time.perf_counter()
model.fit(X_train, y_train)
print(f"trained {EPOCHS} epochs in {time.perf_counter() - start:.1f} s")

# %%
accuracy = model.score(X_test, y_test)
print(f"test accuracy: {accuracy:.3f}")
print(classification_report(y_test, model.predict(X_test)))
