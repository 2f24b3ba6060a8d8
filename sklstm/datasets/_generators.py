"""Synthetic data generators for examples and tests.

Everything here is made up: use the loaders in ``sklstm.datasets`` for real
data.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state

from .._sklearn_compat import Interval, validate_params

__all__ = [
    "make_sequence_classification",
    "make_sequence_regression",
    "make_text_classification",
]


def _lengths(rng, n_samples, n_timesteps, ragged, min_timesteps):
    if not ragged:
        return np.full(n_samples, n_timesteps)
    low = max(1, n_timesteps // 2) if min_timesteps is None else min_timesteps
    if low > n_timesteps:
        raise ValueError(
            f"min_timesteps={low} is larger than n_timesteps={n_timesteps}."
        )
    return rng.randint(low, n_timesteps + 1, size=n_samples)


def _pack(seqs, ragged):
    return seqs if ragged else np.stack(seqs)


_SHAPE_PARAMS = {
    "n_samples": [Interval(Integral, 1, None, closed="left")],
    "n_timesteps": [Interval(Integral, 1, None, closed="left")],
    "n_features": [Interval(Integral, 1, None, closed="left")],
    "ragged": ["boolean"],
    "min_timesteps": [Interval(Integral, 1, None, closed="left"), None],
    "noise": [Interval(Real, 0, None, closed="left")],
    "random_state": ["random_state"],
}


@validate_params(
    {**_SHAPE_PARAMS, "n_classes": [Interval(Integral, 2, None, closed="left")]},
    prefer_skip_nested_validation=True,
)
def make_sequence_classification(
    n_samples=100,
    n_timesteps=30,
    n_features=1,
    n_classes=2,
    *,
    ragged=False,
    min_timesteps=None,
    noise=0.3,
    random_state=None,
):
    """Generate a synthetic sequence classification problem.

    Every feature of a sequence is a sine wave with a random phase plus
    Gaussian noise; the classes differ only in the frequency of the wave
    (class ``k`` completes ``0.04 + 0.3 * k / (n_classes - 1)`` cycles per
    time step). The mean and variance of a sequence carry no information
    about its class, so a model has to look at how values follow each other.

    Parameters
    ----------
    n_samples : int, default=100
        Number of sequences. Classes are balanced (up to one sample).
    n_timesteps : int, default=30
        Length of every sequence, or the largest length if ``ragged``.
    n_features : int, default=1
        Number of features per time step.
    n_classes : int, default=2
        Number of classes.
    ragged : bool, default=False
        Return a list of sequences of random lengths between
        ``min_timesteps`` and ``n_timesteps`` instead of a 3-D array.
    min_timesteps : int, default=None
        Shortest length when ``ragged``; ``None`` means
        ``max(1, n_timesteps // 2)``.
    noise : float, default=0.3
        Standard deviation of the Gaussian noise added to every value.
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible output.

    Returns
    -------
    X : ndarray of shape (n_samples, n_timesteps, n_features) or list of ndarray
        The sequences (float64). With ``ragged=True``, a list of
        ``(n_timesteps_i, n_features)`` arrays. Use ``X[:, :, 0]`` for the
        2-D univariate layout.
    y : ndarray of shape (n_samples,)
        Integer class labels ``0 .. n_classes - 1``.

    Examples
    --------
    >>> from sklstm.datasets import make_sequence_classification
    >>> X, y = make_sequence_classification(n_samples=6, n_timesteps=10,
    ...                                     n_features=2, random_state=0)
    >>> X.shape, sorted(y.tolist())
    ((6, 10, 2), [0, 0, 0, 1, 1, 1])
    >>> X, y = make_sequence_classification(n_samples=3, ragged=True,
    ...                                     random_state=0)
    >>> [x.shape[1] for x in X]
    [1, 1, 1]
    """
    rng = check_random_state(random_state)
    y = rng.permutation(np.arange(n_samples) % n_classes)
    freqs = 0.04 + 0.3 * np.arange(n_classes) / (n_classes - 1)
    lengths = _lengths(rng, n_samples, n_timesteps, ragged, min_timesteps)
    seqs = []
    for label, length in zip(y, lengths):
        t = np.arange(length)[:, None]
        phase = rng.uniform(0, 2 * np.pi, size=n_features)
        wave = np.sin(2 * np.pi * freqs[label] * t + phase)
        seqs.append(wave + noise * rng.standard_normal((length, n_features)))
    return _pack(seqs, ragged), y


@validate_params(_SHAPE_PARAMS, prefer_skip_nested_validation=True)
def make_sequence_regression(
    n_samples=100,
    n_timesteps=30,
    n_features=1,
    *,
    ragged=False,
    min_timesteps=None,
    noise=0.1,
    random_state=None,
):
    """Generate a synthetic sequence regression problem.

    Every sequence has a random amplitude ``a`` in [0.5, 2] and a random
    trend ``b`` in [-1, 1]. Feature ``f`` at step ``t`` is
    ``a * sin(2 * pi * 0.1 * t + phase_f) + b * t / n_timesteps`` plus
    Gaussian noise, and the target is ``a + b``. Recovering it needs the
    range of the oscillation and the drift over time, not a single value.

    Parameters
    ----------
    n_samples : int, default=100
        Number of sequences.
    n_timesteps : int, default=30
        Length of every sequence, or the largest length if ``ragged``.
    n_features : int, default=1
        Number of features per time step (each with its own random phase).
    ragged : bool, default=False
        Return a list of sequences of random lengths between
        ``min_timesteps`` and ``n_timesteps`` instead of a 3-D array.
    min_timesteps : int, default=None
        Shortest length when ``ragged``; ``None`` means
        ``max(1, n_timesteps // 2)``.
    noise : float, default=0.1
        Standard deviation of the noise added to every value of ``X`` (the
        target is exact).
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible output.

    Returns
    -------
    X : ndarray of shape (n_samples, n_timesteps, n_features) or list of ndarray
        The sequences (float64); a list of ``(n_timesteps_i, n_features)``
        arrays with ``ragged=True``.
    y : ndarray of shape (n_samples,)
        The targets, float64.

    Examples
    --------
    >>> from sklstm.datasets import make_sequence_regression
    >>> X, y = make_sequence_regression(n_samples=4, n_timesteps=8,
    ...                                 random_state=0)
    >>> X.shape, y.shape
    ((4, 8, 1), (4,))
    """
    rng = check_random_state(random_state)
    amplitude = rng.uniform(0.5, 2.0, size=n_samples)
    trend = rng.uniform(-1.0, 1.0, size=n_samples)
    lengths = _lengths(rng, n_samples, n_timesteps, ragged, min_timesteps)
    seqs = []
    for a, b, length in zip(amplitude, trend, lengths):
        t = np.arange(length)[:, None]
        phase = rng.uniform(0, 2 * np.pi, size=n_features)
        x = a * np.sin(2 * np.pi * 0.1 * t + phase) + b * t / n_timesteps
        seqs.append(x + noise * rng.standard_normal((length, n_features)))
    return _pack(seqs, ragged), amplitude + trend


_POSITIVE = (
    "good", "great", "excellent", "wonderful", "enjoyable", "brilliant",
    "lovely", "superb", "pleasant", "fantastic", "charming", "moving",
)
_NEGATIVE = (
    "bad", "awful", "terrible", "boring", "poor", "horrible", "dull",
    "disappointing", "weak", "annoying", "clumsy", "tedious",
)
_NEUTRAL = (
    "the", "a", "movie", "film", "plot", "acting", "was", "is", "and", "it",
    "story", "quite", "really", "this", "very", "characters", "ending",
    "music", "scenes", "overall", "cast", "script", "camera", "of", "with",
)


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "min_words": [Interval(Integral, 1, None, closed="left")],
        "max_words": [Interval(Integral, 1, None, closed="left")],
        "noise": [Interval(Real, 0, 1, closed="both")],
        "negation": [Interval(Real, 0, 1, closed="both")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_text_classification(
    n_samples=200,
    *,
    min_words=5,
    max_words=15,
    noise=0.1,
    negation=0.0,
    random_state=None,
):
    """Generate a SYNTHETIC binary sentiment data set of short "reviews".

    This is not real text: each "review" is a bag of neutral filler words
    ("the", "movie", "plot", ...) in random order with one to three
    sentiment words from a small positive or negative word list, ending
    with a full stop. It exists so that text examples and tests run offline
    in a second; do not report results on it as results on language.

    Parameters
    ----------
    n_samples : int, default=200
        Number of texts. The two classes are balanced (up to one sample).
    min_words, max_words : int, default=5, 15
        Range of the number of words per text (inclusive), not counting the
        "not" of negations.
    noise : float, default=0.1
        Probability that a sentiment word is drawn from the list of the
        other class (label noise within the text).
    negation : float, default=0.0
        Probability that a sentiment word is written as "not" followed by a
        word of the other class ("not good" in a negative text). With
        ``negation > 0`` word order matters: a bag of words cannot tell
        "not good" from "good", a sequence model can.
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible output.

    Returns
    -------
    texts : list of str
        The synthetic texts.
    y : ndarray of shape (n_samples,)
        String labels, ``"negative"`` or ``"positive"``.

    Examples
    --------
    >>> from sklstm.datasets import make_text_classification
    >>> texts, y = make_text_classification(n_samples=4, random_state=0)
    >>> len(texts), y.tolist().count("positive")
    (4, 2)
    >>> isinstance(texts[0], str)
    True
    """
    if min_words > max_words:
        raise ValueError(
            f"min_words={min_words} must not exceed max_words={max_words}."
        )
    rng = check_random_state(random_state)
    positive = rng.permutation(np.arange(n_samples) % 2).astype(bool)
    texts = []
    for is_pos in positive:
        own, other = (_POSITIVE, _NEGATIVE) if is_pos else (_NEGATIVE, _POSITIVE)
        n_words = rng.randint(min_words, max_words + 1)
        n_sentiment = min(rng.randint(1, 4), n_words)
        words = [_NEUTRAL[i] for i in rng.randint(len(_NEUTRAL), size=n_words)]
        slots = rng.choice(n_words, size=n_sentiment, replace=False)
        for slot in slots:
            flip = rng.uniform() < noise
            pool = other if flip else own
            if rng.uniform() < negation:
                pool = own if flip else other
                words[slot] = "not " + pool[rng.randint(len(pool))]
            else:
                words[slot] = pool[rng.randint(len(pool))]
        text = " ".join(words)
        texts.append(text[0].upper() + text[1:] + ".")
    y = np.where(positive, "positive", "negative")
    return texts, y
