"""The real data sets of the benchmarks, by name, on their standard splits.

Five classification sets and one regression set ship with sklstm. The
others come from aeon (the ``bench`` extra), which carries them inside its
wheel, so nothing is downloaded: the univariate UCR sets ArrowHead, OSULeaf
and ACSF1, and the extrinsic-regression set Covid3Month.
"""

import numpy as np

from sklstm.datasets import (
    load_basic_motions,
    load_cardano_sentiment,
    load_gunpoint,
    load_italy_power_demand,
    load_japanese_vowels,
    load_pickup_gesture_wiimote_z,
)

LOADERS = {
    "GunPoint": load_gunpoint,
    "ItalyPowerDemand": load_italy_power_demand,
    "BasicMotions": load_basic_motions,
    "PickupGestureWiimoteZ": load_pickup_gesture_wiimote_z,
    "JapaneseVowels": load_japanese_vowels,
}
#: the shipped classification sets
DATASETS = tuple(LOADERS)
#: classification sets that aeon ships (univariate, equal length)
AEON_DATASETS = ("ArrowHead", "OSULeaf", "ACSF1")
#: every classification set of the benchmarks
ALL_DATASETS = DATASETS + AEON_DATASETS
#: regression sets: shipped, then aeon's
REGRESSION_DATASETS = ("CardanoSentiment", "Covid3Month")


def _aeon(kind, name, split):
    try:
        from aeon import datasets
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError(
            f"{name} comes from aeon, which the bench extra installs: "
            "pip install 'sklstm[bench]'"
        ) from exc
    loader = datasets.load_classification if kind == "classification" else (
        datasets.load_regression)
    X, y = loader(name, split=split)
    # aeon's layout is (n_samples, n_channels, n_timepoints); sklstm's is
    # (n_samples, n_timepoints, n_features), or 2-D for one channel
    X = np.asarray(X, dtype=np.float32)
    X = X[:, 0, :] if X.shape[1] == 1 else X.transpose(0, 2, 1)
    return np.ascontiguousarray(X), np.asarray(y)


def load(name, split):
    """``X, y`` of one set's ``"train"`` or ``"test"`` split."""
    if name in LOADERS:
        return LOADERS[name](split=split)
    if name == "CardanoSentiment":
        return load_cardano_sentiment(split=split)
    if name in AEON_DATASETS:
        return _aeon("classification", name, split)
    if name == "Covid3Month":
        return _aeon("regression", name, split)
    raise ValueError(f"unknown data set {name!r}; known: "
                     f"{ALL_DATASETS + REGRESSION_DATASETS}")


def channels_first(X, length):
    """``X`` as aeon's ``(n, channels, length)`` float array, zero-padded.

    Sequences shorter than ``length`` are padded with zeros at the end (what
    a user of an equal-length-only method does with ragged data).
    """
    if isinstance(X, np.ndarray) and X.ndim == 2:
        X = X[:, :, None]
    seqs = [np.asarray(s, dtype=np.float64) for s in X]
    seqs = [s[:, None] if s.ndim == 1 else s for s in seqs]
    out = np.zeros((len(seqs), seqs[0].shape[1], length))
    for i, s in enumerate(seqs):
        out[i, :, :len(s)] = s.T
    return out


def longest(*Xs):
    """The longest sequence over the given sets."""
    return max(len(s) for X in Xs for s in X)
