"""Loaders for the small real data sets shipped inside the package.

The numbers were extracted once from the copies of the public archives that
the aeon toolkit distributes; the installed package only reads its own files
in ``sklstm/datasets/data`` and never touches the network.
"""

from importlib import resources

import numpy as np
from sklearn.utils import Bunch

__all__ = [
    "load_airline",
    "load_basic_motions",
    "load_cardano_sentiment",
    "load_gunpoint",
    "load_italy_power_demand",
    "load_japanese_vowels",
    "load_lynx",
    "load_pickup_gesture_wiimote_z",
]

_UCR_CITATION = (
    "Dau, H. A., Bagnall, A., Kamgar, K., Yeh, C.-C. M., Zhu, Y., "
    "Gharghabi, S., Ratanamahatana, C. A. and Keogh, E. (2019). The UCR time "
    "series archive. IEEE/CAA Journal of Automatica Sinica, 6(6), 1293-1305."
)
_UEA_CITATION = (
    "Bagnall, A., Dau, H. A., Lines, J., Flynn, M., Large, J., Bostrom, A., "
    "Southam, P. and Keogh, E. (2018). The UEA multivariate time series "
    "classification archive, 2018. arXiv:1811.00075."
)
_UCR_LICENCE = (
    "Licence: the UCR archive is freely available for research use; cite "
    "the archive when you use it."
)


def _data_file(name):
    return resources.files(__package__).joinpath("data", name)


def _check_split(split):
    if split is None:
        return None
    if isinstance(split, str) and split.lower() in ("train", "test"):
        return split.lower()
    raise ValueError(
        f"split must be None, 'train' or 'test'; got {split!r}."
    )


def _read_npz(fname):
    with _data_file(fname).open("rb") as fh, np.load(fh, allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


def _unflatten(block, lengths):
    """Cut a (total_timesteps, n_features) block into a list of sequences."""
    bounds = np.cumsum(lengths)[:-1]
    return [np.ascontiguousarray(s) for s in np.split(block, bounds)]


def _load_problem(fname, split, *, ragged=False):
    """Return X, y, subset for the requested split (train first, then test)."""
    split = _check_split(split)
    arrays = _read_npz(fname)
    parts = ("train", "test") if split is None else (split,)
    Xs, ys, subsets = [], [], []
    for part in parts:
        X = arrays[f"X_{part}"]
        if ragged:
            X = _unflatten(X, arrays[f"lengths_{part}"])
        Xs.append(X)
        ys.append(arrays[f"y_{part}"])
        subsets.append(np.full(len(ys[-1]), part))
    X = [s for part in Xs for s in part] if ragged else np.concatenate(Xs)
    return X, np.concatenate(ys), np.concatenate(subsets)


def _finish(X, y, subset, *, return_X_y, descr, classification=True,
            feature_names=None):
    if return_X_y:
        return X, y
    bunch = Bunch(data=X, target=y, subset=subset, DESCR=descr,
                  feature_names=feature_names)
    if classification:
        bunch.target_names = np.unique(y)
    return bunch


_GUNPOINT_DESCR = f"""GunPoint (UCR time series archive)
----------------------------------
Univariate classification, 150 time steps per series, 2 classes
("1" = Gun-Draw, "2" = Point). One actor draws a replica gun from a hip
holster and points it at a target, or points with the index finger; the
series is the X coordinate of the centroid of the right hand.
Standard split: 50 train / 150 test cases.

Source: UCR time series archive (copy distributed with the aeon toolkit).
{_UCR_LICENCE}
Citation: {_UCR_CITATION}
"""


def load_gunpoint(split=None, return_X_y=True):
    """Load the GunPoint univariate time series classification problem.

    Two actors either draw a replica gun from a hip holster and point it at a
    target (class ``"1"``, Gun-Draw), or point with the index finger (class
    ``"2"``, Point). Each series is the X coordinate of the centroid of the
    actor's right hand over 150 frames.

    ================  ====================================
    Samples           200 (standard split: 50 train, 150 test)
    Layout            2-D ``(n_samples, 150)``, float32
    Classes           ``"1"`` (Gun-Draw), ``"2"`` (Point)
    Train classes     24 x ``"1"``, 26 x ``"2"``
    ================  ====================================

    Parameters
    ----------
    split : {None, "train", "test"}, default=None
        Which part of the standard split to return. ``None`` returns both,
        the 50 training cases first.
    return_X_y : bool, default=True
        Return ``(X, y)``. If False, return a :class:`~sklearn.utils.Bunch`
        with ``data``, ``target``, ``target_names``, ``subset`` (``"train"``
        or ``"test"`` for every row) and ``DESCR``.

    Returns
    -------
    X : ndarray of shape (n_samples, 150)
        One univariate series per row (the package's 2-D layout).
    y : ndarray of shape (n_samples,)
        The original labels, as strings.

    Notes
    -----
    Source: the UCR time series archive, from the copy distributed with the
    aeon toolkit. The archive is freely available for research use; please
    cite Dau et al. (2019), "The UCR time series archive", IEEE/CAA Journal
    of Automatica Sinica 6(6). Values are stored as float32.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm.datasets import load_gunpoint
    >>> X_train, y_train = load_gunpoint(split="train")
    >>> X_train.shape, np.unique(y_train).tolist()
    ((50, 150), ['1', '2'])
    """
    X, y, subset = _load_problem("gunpoint.npz", split)
    return _finish(X, y, subset, return_X_y=return_X_y, descr=_GUNPOINT_DESCR)


_ITALY_DESCR = f"""ItalyPowerDemand (UCR time series archive)
------------------------------------------
Univariate classification, 24 hourly values of Italian electrical power
demand per day, 2 classes: "1" = days from October to March, "2" = days
from April to September. Standard split: 67 train / 1029 test cases.

Source: UCR time series archive (copy distributed with the aeon toolkit);
first used in Keogh et al., "Intelligent Icons: Integrating Lite-Weight
Data Mining and Visualization into GUI Operating Systems" (ICDM 2006).
{_UCR_LICENCE}
Citation: {_UCR_CITATION}
"""


def load_italy_power_demand(split=None, return_X_y=True):
    """Load the ItalyPowerDemand univariate time series classification problem.

    Each series holds the 24 hourly electrical power demand values of one day
    in Italy. The task is to tell days from October to March (class ``"1"``)
    from days from April to September (class ``"2"``).

    ================  ====================================
    Samples           1096 (standard split: 67 train, 1029 test)
    Layout            2-D ``(n_samples, 24)``, float32
    Classes           ``"1"`` (Oct-Mar), ``"2"`` (Apr-Sep)
    Train classes     34 x ``"1"``, 33 x ``"2"``
    ================  ====================================

    Parameters
    ----------
    split : {None, "train", "test"}, default=None
        Which part of the standard split to return. ``None`` returns both,
        the 67 training cases first.
    return_X_y : bool, default=True
        Return ``(X, y)``. If False, return a :class:`~sklearn.utils.Bunch`
        with ``data``, ``target``, ``target_names``, ``subset`` and ``DESCR``.

    Returns
    -------
    X : ndarray of shape (n_samples, 24)
    y : ndarray of shape (n_samples,)
        The original labels, as strings.

    Notes
    -----
    Source: the UCR time series archive, from the copy distributed with the
    aeon toolkit. The archive is freely available for research use; please
    cite Dau et al. (2019), "The UCR time series archive". Values are stored
    as float32.

    Examples
    --------
    >>> from sklstm.datasets import load_italy_power_demand
    >>> X, y = load_italy_power_demand()
    >>> X.shape, y[:3].tolist()
    ((1096, 24), ['1', '1', '2'])
    """
    X, y, subset = _load_problem("italy_power_demand.npz", split)
    return _finish(X, y, subset, return_X_y=return_X_y, descr=_ITALY_DESCR)


_PICKUP_DESCR = f"""PickupGestureWiimoteZ (UCR time series archive)
-----------------------------------------------
Univariate classification with sequences of unequal length (29 to 361
steps): z-axis acceleration recorded by a Nintendo Wiimote while one of 10
subjects performs a "pick-up" gesture; the class is the subject ("1" to
"10"). Standard split: 50 train / 50 test cases, 5 per class in each.

Source: UCR time series archive (copy distributed with the aeon toolkit);
data created by Guna, Humar and Pogacnik, "Intuitive gesture based user
identification system" (TSP 2012), edited by H. A. Dau.
{_UCR_LICENCE}
Citation: {_UCR_CITATION}
"""


def load_pickup_gesture_wiimote_z(split=None, return_X_y=True):
    """Load PickupGestureWiimoteZ, a classification problem of unequal lengths.

    Each sequence is the z-axis acceleration of a Nintendo Wiimote while a
    subject performs a "pick-up" gesture; the class is which of the 10
    subjects did it. Sequences have between 29 and 361 time steps.

    ================  ====================================
    Samples           100 (standard split: 50 train, 50 test)
    Layout            list of ``(n_timesteps_i, 1)`` float32 arrays
    Lengths           29 to 361 time steps
    Classes           ``"1"`` to ``"10"`` (subjects), 5 per class per split
    ================  ====================================

    Parameters
    ----------
    split : {None, "train", "test"}, default=None
        Which part of the standard split to return. ``None`` returns both,
        the 50 training cases first.
    return_X_y : bool, default=True
        Return ``(X, y)``. If False, return a :class:`~sklearn.utils.Bunch`
        with ``data``, ``target``, ``target_names``, ``subset`` and ``DESCR``.

    Returns
    -------
    X : list of ndarray of shape (n_timesteps_i, 1)
        The package's ragged layout: one 2-D array per sequence.
    y : ndarray of shape (n_samples,)
        The original labels, as strings (note that ``"10"`` sorts before
        ``"2"``).

    Notes
    -----
    Source: the UCR time series archive, from the copy distributed with the
    aeon toolkit; data created by Guna, Humar and Pogacnik (2012), edited by
    H. A. Dau. The archive is freely available for research use; please cite
    Dau et al. (2019), "The UCR time series archive". Values are stored as
    float32.

    Examples
    --------
    >>> from sklstm.datasets import load_pickup_gesture_wiimote_z
    >>> X, y = load_pickup_gesture_wiimote_z(split="train")
    >>> len(X), X[0].shape, len(set(y))
    (50, (324, 1), 10)
    """
    X, y, subset = _load_problem("pickup_gesture_wiimote_z.npz", split, ragged=True)
    return _finish(X, y, subset, return_X_y=return_X_y, descr=_PICKUP_DESCR)


_VOWELS_DESCR = f"""JapaneseVowels (UEA multivariate archive, from UCI)
---------------------------------------------------
Multivariate classification with sequences of unequal length (7 to 29
steps, 12 features): nine male speakers uttered the Japanese vowels /ae/;
each utterance is described by 12 linear-prediction cepstrum coefficients
per frame. The class is the speaker ("1" to "9"). Standard split: 270 train
(30 per speaker) / 370 test (24 to 88 per speaker) cases.

Source: UEA multivariate time series classification archive (copy
distributed with the aeon toolkit); originally from the UCI Machine
Learning Repository, contributed by M. Kudo, J. Toyama and M. Shimbo
("Multidimensional curve classification using passing-through regions",
Pattern Recognition Letters 20, 1999). Licence: the UCI repository lists
the data set under CC BY 4.0.
Citation: {_UEA_CITATION}
"""


def load_japanese_vowels(split=None, return_X_y=True):
    """Load JapaneseVowels, a multivariate problem with unequal lengths.

    Nine male speakers uttered two Japanese vowels in succession; every
    utterance is a sequence of frames described by 12 linear-prediction
    cepstrum coefficients. The task is to recognise the speaker.

    ================  ====================================
    Samples           640 (standard split: 270 train, 370 test)
    Layout            list of ``(n_timesteps_i, 12)`` float32 arrays
    Lengths           7 to 29 time steps
    Classes           ``"1"`` to ``"9"`` (speakers); 30 each in train,
                      24 to 88 each in test
    ================  ====================================

    Parameters
    ----------
    split : {None, "train", "test"}, default=None
        Which part of the standard split to return. ``None`` returns both,
        the 270 training cases first.
    return_X_y : bool, default=True
        Return ``(X, y)``. If False, return a :class:`~sklearn.utils.Bunch`
        with ``data``, ``target``, ``target_names``, ``subset`` and ``DESCR``.

    Returns
    -------
    X : list of ndarray of shape (n_timesteps_i, 12)
    y : ndarray of shape (n_samples,)
        The original labels, as strings.

    Notes
    -----
    Source: the UEA multivariate time series classification archive
    (Bagnall et al. 2018, arXiv:1811.00075), from the copy distributed with
    the aeon toolkit; originally from the UCI Machine Learning Repository
    (Kudo, Toyama and Shimbo 1999), which lists it under CC BY 4.0. Values
    are stored as float32.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm.datasets import load_japanese_vowels
    >>> X, y = load_japanese_vowels(split="train")
    >>> len(X), X[0].shape, np.unique(y)[:3].tolist()
    (270, (20, 12), ['1', '2', '3'])
    """
    X, y, subset = _load_problem("japanese_vowels.npz", split, ragged=True)
    return _finish(X, y, subset, return_X_y=return_X_y, descr=_VOWELS_DESCR)


_MOTIONS_DESCR = f"""BasicMotions (UEA multivariate archive)
---------------------------------------
Multivariate classification, 100 time steps (10 s at 10 Hz) and 6 features
(3-D accelerometer and 3-D gyroscope of a smart watch), 4 classes:
"Badminton", "Running", "Standing", "Walking". Standard split: 40 train /
40 test cases, 10 per class in each.

Source: UEA multivariate time series classification archive (copy
distributed with the aeon toolkit); recorded in a student project.
Licence: freely available for research use; cite the archive.
Citation: {_UEA_CITATION}
"""


def load_basic_motions(split=None, return_X_y=True):
    """Load BasicMotions, an equal-length multivariate classification problem.

    Four students wore a smart watch while walking, resting (standing),
    running and playing badminton; the watch recorded a 3-D accelerometer and
    a 3-D gyroscope at 10 Hz for 10 seconds.

    ================  ====================================
    Samples           80 (standard split: 40 train, 40 test)
    Layout            3-D ``(n_samples, 100, 6)``, float32
    Features          accelerometer x, y, z; gyroscope x, y, z
    Classes           ``"Badminton"``, ``"Running"``, ``"Standing"``,
                      ``"Walking"``; 10 each per split
    ================  ====================================

    Parameters
    ----------
    split : {None, "train", "test"}, default=None
        Which part of the standard split to return. ``None`` returns both,
        the 40 training cases first.
    return_X_y : bool, default=True
        Return ``(X, y)``. If False, return a :class:`~sklearn.utils.Bunch`
        with ``data``, ``target``, ``target_names``, ``feature_names``,
        ``subset`` and ``DESCR``.

    Returns
    -------
    X : ndarray of shape (n_samples, 100, 6)
    y : ndarray of shape (n_samples,)
        The original labels, as strings.

    Notes
    -----
    Source: the UEA multivariate time series classification archive
    (Bagnall et al. 2018, arXiv:1811.00075), from the copy distributed with
    the aeon toolkit. Freely available for research use; please cite the
    archive. Values are stored as float32.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm.datasets import load_basic_motions
    >>> X, y = load_basic_motions(split="test")
    >>> X.shape, np.unique(y).tolist()
    ((40, 100, 6), ['Badminton', 'Running', 'Standing', 'Walking'])
    """
    X, y, subset = _load_problem("basic_motions.npz", split)
    names = np.array(["acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"])
    return _finish(X, y, subset, return_X_y=return_X_y, descr=_MOTIONS_DESCR,
                   feature_names=names)


_CARDANO_DESCR = """CardanoSentiment (time series extrinsic regression)
---------------------------------------------------
Multivariate regression, 24 hourly steps and 2 features (close price in
USD and traded volume of the Cardano cryptocurrency over one day); the
target is the normalised sentiment score of that day. Standard split: 74
train / 33 test cases.

Source: the copy distributed with the aeon toolkit; built by Guijo-Rubio et
al., "Unsupervised feature based algorithms for time series extrinsic
regression" (2023, arXiv:2305.01429) from sentiment data of
EODHistoricalData (made available on Kaggle) and price data of
CryptoDataDownload. Licence: not stated by the source; treat it as
research data and cite the paper above.
"""


def load_cardano_sentiment(split=None, return_X_y=True):
    """Load CardanoSentiment, a 2-feature time series regression problem.

    Each sample is one day of hourly close price (USD) and traded volume of
    the Cardano cryptocurrency; the target is that day's normalised sentiment
    score. The two features differ in scale by about five orders of
    magnitude, so scale them (e.g. with
    :class:`~sklstm.preprocessing.SequenceScaler`) before training.

    ================  ====================================
    Samples           107 (standard split: 74 train, 33 test)
    Layout            3-D ``(n_samples, 24, 2)``, float32
    Features          ``"close"``, ``"volume"``
    Target            float64, sentiment score in about [-1, 1]
    ================  ====================================

    Parameters
    ----------
    split : {None, "train", "test"}, default=None
        Which part of the standard split to return. ``None`` returns both,
        the 74 training cases first.
    return_X_y : bool, default=True
        Return ``(X, y)``. If False, return a :class:`~sklearn.utils.Bunch`
        with ``data``, ``target``, ``feature_names``, ``subset`` and
        ``DESCR``.

    Returns
    -------
    X : ndarray of shape (n_samples, 24, 2)
    y : ndarray of shape (n_samples,)

    Notes
    -----
    Source: the copy distributed with the aeon toolkit, built by Guijo-Rubio
    et al. (2023), "Unsupervised feature based algorithms for time series
    extrinsic regression", arXiv:2305.01429, from EODHistoricalData
    sentiment data (via Kaggle) and CryptoDataDownload prices. The source
    states no licence; treat it as research data and cite the paper. Values
    of ``X`` are stored as float32.

    Examples
    --------
    >>> from sklstm.datasets import load_cardano_sentiment
    >>> X, y = load_cardano_sentiment(split="train")
    >>> X.shape, y.shape
    ((74, 24, 2), (74,))
    """
    X, y, subset = _load_problem("cardano_sentiment.npz", split)
    return _finish(X, y, subset, return_X_y=return_X_y, descr=_CARDANO_DESCR,
                   classification=False, feature_names=np.array(["close", "volume"]))


def _read_series(fname, unit):
    text = _data_file(fname).read_text(encoding="utf-8").strip().splitlines()[1:]
    when, values = zip(*(row.split(",") for row in text))
    return np.array(values, dtype=np.float64), np.array(when, dtype=f"datetime64[{unit}]")


def load_airline(return_dates=False):
    """Load the monthly international airline passenger series, 1949-1960.

    The classic Box & Jenkins "Series G": monthly totals of international
    airline passengers in thousands, from January 1949 to December 1960. It
    has an upward trend, a yearly season (``season_length=12``) and a
    variance that grows with the level.

    ================  ====================================
    Length            144 monthly values
    Range             104 to 622 (thousands of passengers)
    ================  ====================================

    Parameters
    ----------
    return_dates : bool, default=False
        Also return the month of every value.

    Returns
    -------
    y : ndarray of shape (144,)
        The series, float64.
    dates : ndarray of shape (144,), dtype datetime64[M]
        Only when ``return_dates=True``.

    Notes
    -----
    Source: Box, G. E. P., Jenkins, G. M. and Reinsel, G. C. (1976), *Time
    Series Analysis, Forecasting and Control*, Series G; taken from the copy
    distributed with the aeon toolkit. A classic, widely redistributed
    textbook series (also R's ``AirPassengers``).

    Examples
    --------
    >>> from sklstm.datasets import load_airline
    >>> y, dates = load_airline(return_dates=True)
    >>> y.shape, str(dates[0]), y[:3].tolist()
    ((144,), '1949-01', [112.0, 118.0, 132.0])
    """
    y, dates = _read_series("airline.csv", "M")
    return (y, dates) if return_dates else y


def load_lynx(return_dates=False):
    """Load the annual Canadian lynx trappings series, 1821-1934.

    The number of lynx skins collected by the Hudson's Bay Company in the
    Mackenzie River district each year. It shows strong cycles of about 9 to
    10 years that are not exactly periodic.

    ================  ====================================
    Length            114 yearly values
    Range             39 to 6991 (skins)
    ================  ====================================

    Parameters
    ----------
    return_dates : bool, default=False
        Also return the year of every value.

    Returns
    -------
    y : ndarray of shape (114,)
        The series, float64.
    dates : ndarray of shape (114,), dtype datetime64[Y]
        Only when ``return_dates=True``.

    Notes
    -----
    Source: Campbell, M. J. and Walker, A. M. (1977), "A survey of
    statistical work on the Mackenzie River series of annual Canadian lynx
    trappings for the years 1821-1934", JRSS A 140; as given by Brockwell
    and Davis (1991) and R's ``lynx``; taken from the copy distributed with
    the aeon toolkit. A classic, widely redistributed textbook series.

    Examples
    --------
    >>> from sklstm.datasets import load_lynx
    >>> y = load_lynx()
    >>> y.shape, y[:3].tolist()
    ((114,), [269.0, 321.0, 585.0])
    """
    y, dates = _read_series("lynx.csv", "Y")
    return (y, dates) if return_dates else y
