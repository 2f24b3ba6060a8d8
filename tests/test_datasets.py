"""The shipped data sets and the synthetic generators."""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.utils import Bunch

from sklstm.datasets import (
    load_airline,
    load_basic_motions,
    load_cardano_sentiment,
    load_gunpoint,
    load_italy_power_demand,
    load_japanese_vowels,
    load_lynx,
    load_pickup_gesture_wiimote_z,
    make_sequence_classification,
    make_sequence_regression,
    make_text_classification,
)
from sklstm.datasets._generators import _NEGATIVE, _POSITIVE

# loader, n_train, n_test, shape of one sample (None: unequal length),
# n_features, classes (None: regression)
EQUAL = [
    (load_gunpoint, 50, 150, (150,), ["1", "2"]),
    (load_italy_power_demand, 67, 1029, (24,), ["1", "2"]),
    (load_basic_motions, 40, 40, (100, 6),
     ["Badminton", "Running", "Standing", "Walking"]),
    (load_cardano_sentiment, 74, 33, (24, 2), None),
]
RAGGED = [
    (load_pickup_gesture_wiimote_z, 50, 50, 1, (29, 361),
     [str(i) for i in range(1, 11)]),
    (load_japanese_vowels, 270, 370, 12, (7, 29),
     [str(i) for i in range(1, 10)]),
]


@pytest.mark.parametrize("loader, n_train, n_test, sample_shape, classes", EQUAL)
def test_equal_length_loaders(loader, n_train, n_test, sample_shape, classes):
    X_tr, y_tr = loader(split="train")
    X_te, y_te = loader(split="test")
    X, y = loader()
    assert X_tr.shape == (n_train, *sample_shape)
    assert X_te.shape == (n_test, *sample_shape)
    assert X.dtype == np.float32 and np.isfinite(X).all()
    # split=None is train then test
    np.testing.assert_array_equal(X, np.concatenate([X_tr, X_te]))
    np.testing.assert_array_equal(y, np.concatenate([y_tr, y_te]))
    if classes is None:
        assert y.dtype == np.float64
    else:
        assert sorted(np.unique(y_tr).tolist()) == sorted(classes)
        assert sorted(np.unique(y_te).tolist()) == sorted(classes)


@pytest.mark.parametrize("loader, n_train, n_test, n_features, length_range, classes",
                         RAGGED)
def test_unequal_length_loaders(loader, n_train, n_test, n_features, length_range,
                                classes):
    X_tr, y_tr = loader(split="train")
    X_te, y_te = loader(split="TEST")
    assert isinstance(X_tr, list) and len(X_tr) == len(y_tr) == n_train
    assert len(X_te) == len(y_te) == n_test
    lengths = [len(x) for x in X_tr + X_te]
    assert (min(lengths), max(lengths)) == length_range
    assert all(x.ndim == 2 and x.shape[1] == n_features for x in X_tr + X_te)
    assert all(x.dtype == np.float32 for x in X_tr)
    assert sorted(np.unique(y_tr).tolist()) == sorted(classes)
    X, y = loader()
    assert len(X) == n_train + n_test
    np.testing.assert_array_equal(X[n_train], X_te[0])


def test_known_values_and_class_counts():
    X, y = load_gunpoint(split="train")
    assert np.unique(y, return_counts=True)[1].tolist() == [24, 26]
    # first value of the first GunPoint training series in the UCR archive
    assert X[0, 0] == pytest.approx(-0.6478854)
    _, y = load_japanese_vowels(split="train")
    assert np.unique(y, return_counts=True)[1].tolist() == [30] * 9
    _, y = load_basic_motions(split="test")
    assert np.unique(y, return_counts=True)[1].tolist() == [10] * 4


def test_bunch_output():
    bunch = load_italy_power_demand(return_X_y=False)
    assert isinstance(bunch, Bunch)
    assert bunch.data.shape == (1096, 24)
    assert bunch.target_names.tolist() == ["1", "2"]
    assert (bunch.subset == "train").sum() == 67
    assert "Dau" in bunch.DESCR
    motions = load_basic_motions(split="train", return_X_y=False)
    assert len(motions.feature_names) == motions.data.shape[2] == 6
    cardano = load_cardano_sentiment(return_X_y=False)
    assert "target_names" not in cardano
    assert cardano.feature_names.tolist() == ["close", "volume"]


@pytest.mark.parametrize("split", ["validation", 1, ""])
def test_bad_split(split):
    with pytest.raises(ValueError, match="split must be None, 'train' or 'test'"):
        load_gunpoint(split=split)


def test_forecasting_series():
    y, dates = load_airline(return_dates=True)
    assert y.shape == dates.shape == (144,)
    assert y.dtype == np.float64
    assert (str(dates[0]), str(dates[-1])) == ("1949-01", "1960-12")
    assert (y.min(), y.max()) == (104.0, 622.0)
    np.testing.assert_array_equal(load_airline(), y)
    lynx, years = load_lynx(return_dates=True)
    assert lynx.shape == (114,)
    assert (str(years[0]), str(years[-1])) == ("1821", "1934")


def test_package_does_not_import_aeon():
    code = (
        "import sys, sklstm.datasets as d, sklstm.preprocessing;"
        "d.load_gunpoint(); d.load_airline();"
        "assert 'aeon' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ------------------------------------------------------------- generators
def test_make_sequence_classification():
    X, y = make_sequence_classification(n_samples=9, n_timesteps=12, n_features=2,
                                        n_classes=3, random_state=0)
    assert X.shape == (9, 12, 2)
    assert np.bincount(y).tolist() == [3, 3, 3]
    X2, y2 = make_sequence_classification(n_samples=9, n_timesteps=12, n_features=2,
                                          n_classes=3, random_state=0)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)


def test_make_sequence_classification_is_learnable():
    # the class is in the frequency: a spectrum separates the classes well
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score

    X, y = make_sequence_classification(n_samples=60, n_timesteps=32, random_state=0)
    spectrum = np.abs(np.fft.rfft(X[:, :, 0], axis=1))
    assert cross_val_score(LogisticRegression(), spectrum, y, cv=3).mean() > 0.9


def test_make_sequence_ragged():
    X, y = make_sequence_classification(n_samples=20, n_timesteps=10, ragged=True,
                                        min_timesteps=3, random_state=1)
    assert isinstance(X, list) and len(X) == 20
    lengths = [len(x) for x in X]
    assert min(lengths) >= 3 and max(lengths) <= 10 and len(set(lengths)) > 1
    X, y = make_sequence_regression(n_samples=5, n_timesteps=6, n_features=3,
                                    ragged=True, random_state=0)
    assert all(x.shape[1] == 3 and 3 <= len(x) <= 6 for x in X)
    assert y.shape == (5,) and y.dtype == np.float64
    with pytest.raises(ValueError, match="min_timesteps=8 is larger than n_timesteps=4"):
        make_sequence_regression(n_timesteps=4, ragged=True, min_timesteps=8)


def test_make_sequence_regression_target():
    X, y = make_sequence_regression(n_samples=50, n_timesteps=40, noise=0.0,
                                    random_state=0)
    assert X.shape == (50, 40, 1)
    # the target is amplitude + trend: the bounds of the draws
    assert -0.5 <= y.min() and y.max() <= 3.0


def test_make_text_classification():
    texts, y = make_text_classification(n_samples=30, min_words=3, max_words=6,
                                        noise=0.0, random_state=0)
    assert len(texts) == 30 and all(isinstance(t, str) for t in texts)
    assert sorted(set(y.tolist())) == ["negative", "positive"]
    assert all(3 <= len(t.split()) <= 6 for t in texts)
    for text, label in zip(texts, y):
        words = set(text.lower().rstrip(".").split())
        own, other = (_POSITIVE, _NEGATIVE) if label == "positive" else (_NEGATIVE, _POSITIVE)
        assert words & set(own) and not words & set(other)
    texts, _ = make_text_classification(n_samples=30, negation=1.0, random_state=0)
    assert all(" not " in f" {t.lower()}" for t in texts)
    with pytest.raises(ValueError, match="min_words=9 must not exceed max_words=2"):
        make_text_classification(min_words=9, max_words=2)
