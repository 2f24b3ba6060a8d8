"""Tune an LSTM with GeneticSearchCV over the default LSTM space.

ItalyPowerDemand (shipped with sklstm, UCR archive): 24 hourly readings of
Italian power demand per day; winter or summer day? 67 training days.

No search space is given, so the search uses ``default_lstm_space`` (hidden
size, layers, dropout, learning rate, optimizer), found inside the pipeline.
We add the pooling choice to it.

Run it with ``python examples/plot_tuning_genetic.py``.
"""

# %%
import os

from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline

from sklstm import LSTMClassifier
from sklstm.datasets import load_italy_power_demand
from sklstm.preprocessing import SequenceScaler
from sklstm.search import GeneticSearchCV, default_lstm_space

FAST = bool(os.environ.get("SKLSTM_EXAMPLE_FAST"))

X_train, y_train = load_italy_power_demand(split="train")
X_test, y_test = load_italy_power_demand(split="test")

pipe = make_pipeline(
    SequenceScaler(),
    LSTMClassifier(max_epochs=3 if FAST else 30),
)
space = default_lstm_space(pipe)
space["lstmclassifier__pooling"] = ["last", "mean"]
print("search space:", ", ".join(space))

# %%
search = GeneticSearchCV(
    pipe, space,
    population_size=4 if FAST else 6,
    n_generations=1 if FAST else 3,
    cv=StratifiedKFold(3, shuffle=True, random_state=0),
    n_jobs=2, random_state=0, verbose=1,
)
search.fit(X_train, y_train)

print(f"best CV accuracy: {search.best_score_:.3f}")
print("best parameters:", search.best_params_)
print(f"test accuracy of the refitted best model: {search.score(X_test, y_test):.3f}")
print(f"{len(search.cv_results_['params'])} distinct configurations, {search.n_fits_} fits")
for record in search.logbook_:
    print(f"generation {record['generation']}: min {record['min']:.3f}  mean {record['mean']:.3f}  "
          f"max {record['max']:.3f}")

# %%
try:
    import matplotlib.pyplot as plt
except ImportError:  # plotting is optional
    plt = None
if plt is not None:
    from sklstm.plotting import plot_generation_scores

    ax = plot_generation_scores(search)
    ax.figure.savefig("tuning_genetic.png", dpi=80)
