"""Stop weak candidates early: a multi-fidelity genetic search.

JapaneseVowels (shipped with sklstm; UEA multivariate archive, from UCI):
nine speakers uttering two Japanese vowels, 12 LPC cepstrum coefficients per
time step, 7 to 29 steps per recording (a list of sequences of different
lengths); which speaker? 270 training and 370 test recordings.

With ``resource="max_epochs"`` every generation's new configurations train
for a few epochs on every fold; only the best third go on training (from
where they stopped, not from scratch) to the next rung, and so on up to the
full budget. The search prints how many epochs that saved and draws every
candidate's score at each rung.

Run it with ``python examples/plot_multi_fidelity.py``.
"""

# %%
import os

import numpy as np
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline

from sklstm import LSTMClassifier
from sklstm.datasets import load_japanese_vowels
from sklstm.preprocessing import SequenceScaler
from sklstm.search import GeneticSearchCV

FAST = bool(os.environ.get("SKLSTM_EXAMPLE_FAST"))

X_train, y_train = load_japanese_vowels(split="train")
X_test, y_test = load_japanese_vowels(split="test")
max_epochs = 4 if FAST else 27

pipe = make_pipeline(SequenceScaler(), LSTMClassifier(max_epochs=max_epochs, random_state=0))
space = {
    "lstmclassifier__hidden_size": (8, 64, "log-uniform"),
    "lstmclassifier__lr": (1e-3, 1e-1, "log-uniform"),
    "lstmclassifier__optimizer": ["adam", "rmsprop", "sgd"],
}

# %%
search = GeneticSearchCV(
    pipe, space,
    population_size=4 if FAST else 9,
    n_generations=1 if FAST else 2,
    cv=StratifiedKFold(3, shuffle=True, random_state=0),
    resource="max_epochs", min_resource=1 if FAST else 3,
    reduction_factor=2 if FAST else 3,
    n_jobs=2, random_state=0, verbose=1,
)
search.fit(X_train, y_train)

results = search.cv_results_
n_candidates = len(results["params"])
full_budget = n_candidates * search.n_splits_ * max_epochs
print(f"rungs (epochs): {search.n_resources_}")
print(f"candidates stopped at each rung: {np.bincount(results['rung']).tolist()}")
print(f"epochs trained: {search.n_epochs_spent_} of the {full_budget} that training "
      f"all {n_candidates} candidates fully would take "
      f"({search.n_epochs_spent_ / full_budget:.0%})")
print(f"best CV accuracy: {search.best_score_:.3f}")
print("best parameters:", search.best_params_)
print(f"test accuracy of the refitted best model: {search.score(X_test, y_test):.3f}")

# %%
try:
    import matplotlib.pyplot as plt
except ImportError:  # plotting is optional
    plt = None
if plt is not None:
    from sklstm.plotting import plot_rung_scores

    ax = plot_rung_scores(search)
    ax.figure.savefig("multi_fidelity.png", dpi=80)
