"""What the search benchmarks share: search and test sets, a sampler.

``"train"`` is the standard split: 67 training series to search on, 1029 to
test on. With 67 series one cross-validation sample weighs about 0.015, so a
best CV score is mostly the luck of one or two series. ``"pooled"`` draws
300 series (stratified, fixed seed) from the 1096 of both splits to search
on, and keeps the other 796 for testing: one CV sample weighs 0.0033.

``"vowels"`` is JapaneseVowels' standard split: 270 ragged series (7 to 26
steps of 12 channels, 9 speakers) to search on, 370 to test on. Unlike
ItalyPowerDemand, where most configurations score about the same, the
configuration matters here (a small SGD net at a low learning rate scores
about 0.4, a tuned one above 0.9); one CV sample weighs 0.0037.
"""

import numpy as np
from sklearn.model_selection import train_test_split

from sklstm.datasets import load_italy_power_demand, load_japanese_vowels

CHOICES = ("pooled", "train", "vowels")
HELP = ("ItalyPowerDemand: search on 300 series pooled from both standard "
        "splits (pooled) or on the 67 of the standard training split (train); "
        "JapaneseVowels: search on its 270 training series (vowels)")
NAMES = {"pooled": "ItalyPowerDemand", "train": "ItalyPowerDemand",
         "vowels": "JapaneseVowels"}


def load_search_data(which):
    """``X, y, X_test, y_test`` of the chosen search set."""
    if which == "vowels":
        X, y = load_japanese_vowels(split="train")
        X_test, y_test = load_japanese_vowels(split="test")
        return X, y, X_test, y_test
    if which == "train":
        X, y = load_italy_power_demand(split="train")
        X_test, y_test = load_italy_power_demand(split="test")
        return X, y, X_test, y_test
    if which != "pooled":
        raise ValueError(f"Unknown data {which!r}; choose one of {CHOICES}.")
    X_all, y_all = load_italy_power_demand()
    X, X_test, y, y_test = train_test_split(
        X_all, y_all, train_size=300, stratify=y_all, random_state=0
    )
    return X, y, X_test, y_test


def describe(which, X, X_test=None):
    """One line naming the data set and its size (``X`` may be ragged)."""
    def size(data):
        shape = getattr(data, "shape", None)
        return str(shape) if shape is not None else f"({len(data)} ragged series)"

    line = f"{NAMES[which]} {which} {size(X)}"
    return line if X_test is None else f"{line}, test {size(X_test)}"


class SkoptDistribution:
    """A scikit-optimize dimension as a scipy-like distribution (``rvs``).

    Lets ``RandomizedSearchCV`` sample the same space the sklstm searchers
    search, with plain Python values (not NumPy scalars) in its results.
    """

    def __init__(self, dimension):
        self.dimension = dimension

    def rvs(self, random_state=None):
        value = self.dimension.rvs(n_samples=1, random_state=random_state)[0]
        return value.item() if isinstance(value, np.generic) else value
