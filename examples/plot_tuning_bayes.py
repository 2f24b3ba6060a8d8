"""Tune an LSTM regressor with BayesSearchCV.

CardanoSentiment (shipped with sklstm): 24 hourly steps of two channels
(price and sentiment) per day; the target is a real value for the next day.
A Bayesian search (scikit-optimize's optimizer behind a scikit-learn
compatible search) proposes two candidates at a time (``n_points=2``) so both
CPU cores stay busy.

Run it with ``python examples/plot_tuning_bayes.py``.
"""

# %%
import os

from skopt.space import Categorical, Integer, Real
from sklearn.model_selection import KFold
from sklearn.pipeline import make_pipeline

from sklstm import LSTMRegressor
from sklstm.datasets import load_cardano_sentiment
from sklstm.preprocessing import SequenceScaler
from sklstm.search import BayesSearchCV

FAST = bool(os.environ.get("SKLSTM_EXAMPLE_FAST"))

X_train, y_train = load_cardano_sentiment(split="train")
X_test, y_test = load_cardano_sentiment(split="test")
print(f"train {X_train.shape}, test {X_test.shape}")

pipe = make_pipeline(SequenceScaler(), LSTMRegressor(max_epochs=3 if FAST else 60))
space = {
    "lstmregressor__hidden_size": Integer(8, 64, prior="log-uniform", base=2),
    "lstmregressor__dropout": Real(0.0, 0.5),
    "lstmregressor__lr": Real(1e-3, 3e-2, prior="log-uniform"),
    "lstmregressor__pooling": Categorical(["last", "mean"]),
    "lstmregressor__weight_decay": Real(1e-6, 1e-2, prior="log-uniform"),
}

# %%
search = BayesSearchCV(
    pipe, space,
    n_iter=4 if FAST else 16, n_points=2,
    optimizer_kwargs={"base_estimator": "ET"},
    scoring="neg_root_mean_squared_error",
    cv=KFold(3, shuffle=True, random_state=0),
    n_jobs=2, random_state=0, verbose=1,
)
search.fit(X_train, y_train)

print(f"best CV RMSE: {-search.best_score_:.4f}")
print("best parameters:", search.best_params_)
print(f"test RMSE of the refitted best model: {-search.score(X_test, y_test):.4f}")
baseline = abs(y_test - y_train.mean()).__pow__(2).mean() ** 0.5
print(f"test RMSE of predicting the training mean: {baseline:.4f}")

# %%
try:
    import matplotlib.pyplot as plt
except ImportError:  # plotting is optional
    plt = None
if plt is not None:
    from sklstm.plotting import plot_search_history

    ax = plot_search_history(search)
    ax.figure.savefig("tuning_bayes.png", dpi=80)
