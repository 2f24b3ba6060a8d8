"""The ItalyPowerDemand search and test sets the benchmarks share.

``"train"`` is the standard split: 67 training series to search on, 1029 to
test on. With 67 series one cross-validation sample weighs about 0.015, so a
best CV score is mostly the luck of one or two series. ``"pooled"`` draws
300 series (stratified, fixed seed) from the 1096 of both splits to search
on, and keeps the other 796 for testing: one CV sample weighs 0.0033.
"""

from sklearn.model_selection import train_test_split

from sklstm.datasets import load_italy_power_demand

CHOICES = ("pooled", "train")
HELP = ("search on 300 series pooled from both standard splits (pooled) or on "
        "the 67 of the standard training split (train)")


def load_search_data(which):
    """``X, y, X_test, y_test`` of the chosen search set."""
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
