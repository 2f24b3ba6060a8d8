"""Sequence-aware preprocessing: scaling, padding, text to token ids, windows.

The transformers accept the three layouts of the package (see
:mod:`sklstm._data`) and hand back the layout they were given:

- 2-D ``(n_samples, n_timesteps)``: one univariate series per row. Its columns
  are time steps of ONE feature, so statistics are shared by all columns.
  As everywhere in scikit-learn, the column count is fixed at fit time.
- 3-D ``(n_samples, n_timesteps, n_features)``: equal-length multivariate
  sequences; the number of time steps may differ between fit and transform.
- ragged: a list of ``(n_timesteps_i, n_features)`` arrays (or 1-D arrays for
  univariate series); every sequence keeps its own length. A list of 1-D
  sequences that all have the same length is read as a 2-D array, as
  scikit-learn does, and comes back as one.

All of them learn from the data passed to ``fit`` only, so inside a
:class:`~sklearn.pipeline.Pipeline` evaluated by ``cross_val_score`` or
``GridSearchCV`` the statistics come from the training fold alone.

The forecasting helpers :func:`make_windows`, :func:`train_test_split_series`
and :func:`seasonal_naive_forecast` turn one long series into supervised
windows, split them in time order and give a baseline to beat.
"""

import math
import re
import unicodedata
from collections import Counter
from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    OneToOneFeatureMixin,
    TransformerMixin,
    clone,
)
from sklearn.preprocessing import StandardScaler
from sklearn.utils import indexable
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from ._data import SequenceList, check_sequences
from ._sklearn_compat import HasMethods, Interval, RealNotInt, StrOptions
from ._sklearn_compat import fit_context as _fit_context
from ._sklearn_compat import safe_indexing as _safe_indexing

__all__ = [
    "PerTimestepTransformer",
    "SequencePadder",
    "SequenceScaler",
    "TextToSequences",
    "make_windows",
    "seasonal_naive_forecast",
    "train_test_split_series",
]


# --------------------------------------------------------------------------
# shared helpers for the sequence transformers
# --------------------------------------------------------------------------
def _as_3d(batch):
    """Padded values of a SequenceBatch as (n_samples, max_len, n_channels)."""
    return batch.values[:, :, None] if batch.values.ndim == 2 else batch.values


def _valid_mask(batch):
    """Boolean (n_samples, max_len): True on real time steps, False on padding."""
    return np.arange(batch.values.shape[1])[None, :] < batch.lengths[:, None]


def _valid_rows(batch):
    """All real time steps of all sequences stacked: (n_valid_steps, n_channels)."""
    values = _as_3d(batch)
    if batch.equal_length:
        return values.reshape(-1, values.shape[2])
    return values[_valid_mask(batch)]


# Time steps per block of arithmetic. Transformers work on ragged input
# sequence by sequence and on arrays block by block, so that no padded or
# float64 copy of the whole data is ever made: the temporaries stay this small.
_BLOCK_ROWS = 1 << 16


def _row_blocks(batch):
    """The real time steps of ``batch`` as 2-D float32 blocks of rows.

    Views of the input where it is one array; a few sequences joined where
    it is a list. Each block holds about ``_BLOCK_ROWS`` rows (or one longer
    sequence).
    """
    if isinstance(batch, SequenceList):
        group, size = [], 0
        for seq in batch.sequences:
            group.append(seq)
            size += len(seq)
            if size >= _BLOCK_ROWS:
                yield group[0] if len(group) == 1 else np.concatenate(group)
                group, size = [], 0
        if group:
            yield group[0] if len(group) == 1 else np.concatenate(group)
        return
    if not batch.equal_length:  # a padded batch: only its valid steps
        yield _valid_rows(batch)
        return
    values = _as_3d(batch)
    rows = values.reshape(-1, values.shape[2])
    for start in range(0, rows.shape[0], _BLOCK_ROWS):
        yield rows[start:start + _BLOCK_ROWS]


def _pooled_moments(batch):
    """Number of time steps, mean and variance per feature, in float64.

    Two passes over the blocks (the sum, then the squared deviations from
    the mean), as ``numpy.var`` does on one array, without a float64 copy of
    the data.
    """
    n, total = 0, 0.0
    for block in _row_blocks(batch):
        total = total + block.sum(axis=0, dtype=np.float64)
        n += block.shape[0]
    mean = total / n
    squares = 0.0
    for block in _row_blocks(batch):
        deviation = block - mean
        squares = squares + np.einsum("ij,ij->j", deviation, deviation)
    return n, mean, squares / n


def _pooled_range(batch):
    """Number of time steps, smallest and largest value per feature (float64)."""
    n, low, high = 0, None, None
    for block in _row_blocks(batch):
        n += block.shape[0]
        b_low, b_high = block.min(axis=0), block.max(axis=0)
        low = b_low if low is None else np.minimum(low, b_low)
        high = b_high if high is None else np.maximum(high, b_high)
    return n, low.astype(np.float64), high.astype(np.float64)


def _map_steps(batch, fn):
    """Every real time step of ``batch`` through ``fn``, in the input's layout.

    ``fn`` maps a 2-D block of rows (time steps x features) to an array of
    the same shape; its result is stored as float32. A list comes back as a
    list of sequences of the same lengths (1-D where the input sequence was
    1-D), an array as an array of the same shape.
    """
    if isinstance(batch, SequenceList):
        out = []
        seqs = batch.sequences
        start = 0
        while start < len(seqs):
            stop, size = start, 0
            while stop < len(seqs) and (size == 0 or size + len(seqs[stop]) <= _BLOCK_ROWS):
                size += len(seqs[stop])
                stop += 1
            rows = seqs[start] if stop == start + 1 else np.concatenate(seqs[start:stop])
            mapped = np.asarray(fn(rows), dtype=np.float32)
            offsets = np.cumsum(batch.lengths[start:stop])[:-1]
            for i, part in enumerate(np.split(mapped, offsets), start):
                out.append(np.ascontiguousarray(part[:, 0]) if batch.one_d[i] else part)
            start = stop
        return out
    values = _as_3d(batch)
    n, steps, channels = values.shape
    out = np.empty(values.shape, dtype=np.float32)
    per_block = max(1, _BLOCK_ROWS // max(steps, 1))
    for start in range(0, n, per_block):
        block = values[start:start + per_block]
        rows = fn(block.reshape(-1, channels))
        out[start:start + per_block] = np.asarray(rows).reshape(block.shape)
    return out[:, :, 0] if batch.kind == "2d" else out


def _check_sequence_input(est, X, *, reset, pad=True):
    """Validate X with check_sequences and the fitted feature count.

    2-D input follows scikit-learn: ``n_features_in_`` is its number of
    columns (time steps), fixed at fit time, and DataFrame column names are
    remembered. For 3-D and ragged input ``n_features_in_`` is the number of
    features per time step, and the length may change. A 2-D array is one
    channel: a transformer fitted on it also accepts univariate 3-D or
    ragged input, and the other way round. With ``pad=False`` ragged input
    comes back as an unpadded :class:`~sklstm._data.SequenceList`.
    """
    if not reset:
        check_is_fitted(est)
    batch = check_sequences(X, pad=pad)
    n_channels = 1 if batch.kind == "2d" else batch.n_features
    name = type(est).__name__
    if reset:
        est._n_channels = n_channels
        est._fitted_on_2d = batch.kind == "2d"
        if batch.kind == "2d":
            validate_data(est, X, reset=True, skip_check_array=True)
        else:
            est.n_features_in_ = n_channels
            if hasattr(est, "feature_names_in_"):
                del est.feature_names_in_
        return batch
    if batch.kind == "2d" and est._fitted_on_2d:
        validate_data(est, X, reset=False, skip_check_array=True)
    elif n_channels != est._n_channels:
        raise ValueError(
            f"X has {n_channels} features, but {name} is expecting "
            f"{est._n_channels} features as input (features per time step; a "
            "2-D array counts as one feature)."
        )
    return batch


def _sequence_tags(tags):
    tags.input_tags.three_d_array = True
    # values are validated to float32, the dtype the networks train in
    tags.transformer_tags.preserves_dtype = ["float32"]
    return tags


# --------------------------------------------------------------------------
# SequenceScaler
# --------------------------------------------------------------------------
class SequenceScaler(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Scale every feature with statistics pooled over all time steps.

    The statistics of each feature are computed over every real time step of
    every training sequence: padding is never counted, and all time steps of
    a feature share one mean and scale (unlike
    :class:`~sklearn.preprocessing.StandardScaler` on a flattened array,
    which would learn one per time step and break for unequal lengths).

    A 2-D array ``(n_samples, n_timesteps)`` is read as univariate series,
    so ALL its columns are scaled with ONE mean and scale.

    Parameters
    ----------
    method : {"standard", "minmax"}, default="standard"
        ``"standard"``: subtract the mean and divide by the standard
        deviation. ``"minmax"``: map the observed range of each feature onto
        ``feature_range``.
    feature_range : tuple (min, max), default=(0, 1)
        Target range of ``method="minmax"``; ignored otherwise.

    Attributes
    ----------
    center_ : ndarray of shape (n_channels,)
        Value subtracted from each feature (``n_channels`` is 1 for 2-D
        input, ``n_features`` otherwise).
    scale_ : ndarray of shape (n_channels,)
        Divisor of each feature: ``X_scaled = (X - center_) / scale_``. A
        constant feature gets a divisor of 1 (``"standard"``) or maps to
        ``feature_range[0]`` (``"minmax"``).
    mean_, var_ : ndarray of shape (n_channels,)
        Mean and variance of each feature (``method="standard"`` only).
    data_min_, data_max_ : ndarray of shape (n_channels,)
        Smallest and largest value of each feature (``method="minmax"``
        only).
    n_timesteps_seen_ : int
        Number of real time steps the statistics were computed from.
    n_features_in_ : int
        Number of columns for 2-D input, features per time step otherwise.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Column names, when fitted on a 2-D DataFrame.

    See Also
    --------
    PerTimestepTransformer : Apply any scikit-learn transformer to every time
        step.

    Notes
    -----
    The output is float32, the dtype the LSTM estimators train in. 3-D
    arrays are taken as they are: every time step counts, so pass unequal
    sequences as a list rather than as an array padded by hand.

    A list is scaled sequence by sequence and an array block by block, with
    the statistics accumulated in float64: no padded or float64 copy of the
    data is made, so ``fit`` needs little memory beyond its input and
    ``transform`` little beyond its output.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm.preprocessing import SequenceScaler
    >>> X = [np.array([[0.0, 10.0], [2.0, 10.0]]), np.array([[4.0, 40.0]])]
    >>> scaler = SequenceScaler().fit(X)
    >>> scaler.mean_.tolist()
    [2.0, 20.0]
    >>> [x.shape for x in scaler.transform(X)]
    [(2, 2), (1, 2)]
    >>> SequenceScaler(method="minmax").fit_transform(X)[1].tolist()
    [[1.0, 1.0]]
    """

    _parameter_constraints = {
        "method": [StrOptions({"standard", "minmax"})],
        "feature_range": [tuple],
    }

    def __init__(self, method="standard", feature_range=(0, 1)):
        self.method = method
        self.feature_range = feature_range

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the per-feature statistics from the real time steps of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Training sequences: 2-D, 3-D or a list of 2-D arrays.
        y : None
            Ignored.

        Returns
        -------
        self : SequenceScaler
        """
        if self.method == "minmax":
            low, high = self._range()
        batch = _check_sequence_input(self, X, reset=True, pad=False)
        for attr in ("mean_", "var_", "data_min_", "data_max_"):
            if hasattr(self, attr):
                delattr(self, attr)
        if self.method == "standard":
            self.n_timesteps_seen_, self.mean_, self.var_ = _pooled_moments(batch)
            self.center_ = self.mean_
            self.scale_ = _nonzero(np.sqrt(self.var_))
        else:
            self.n_timesteps_seen_, self.data_min_, self.data_max_ = _pooled_range(batch)
            self.scale_ = _nonzero(self.data_max_ - self.data_min_) / (high - low)
            self.center_ = self.data_min_ - low * self.scale_
        return self

    def _range(self):
        fr = self.feature_range
        if len(fr) != 2 or not all(isinstance(v, Real) for v in fr) or not fr[0] < fr[1]:
            raise ValueError(
                "feature_range must be a tuple (min, max) of two numbers with "
                f"min < max; got {fr!r}."
            )
        return float(fr[0]), float(fr[1])

    def transform(self, X):
        """Scale X with the statistics learned in ``fit``.

        Parameters
        ----------
        X : array-like or list
            Sequences in any layout with the fitted number of features.

        Returns
        -------
        X_scaled : ndarray or list of ndarray
            Same layout and lengths as ``X``, float32.
        """
        batch = _check_sequence_input(self, X, reset=False, pad=False)
        center, scale = self.center_, self.scale_
        return _map_steps(batch, lambda rows: (rows - center) / scale)

    def inverse_transform(self, X):
        """Undo the scaling.

        Parameters
        ----------
        X : array-like or list
            Scaled sequences in any layout.

        Returns
        -------
        X_original : ndarray or list of ndarray
            Same layout and lengths as ``X``, float32.
        """
        batch = _check_sequence_input(self, X, reset=False, pad=False)
        center, scale = self.center_, self.scale_
        return _map_steps(batch, lambda rows: rows * scale + center)

    def __sklearn_tags__(self):
        return _sequence_tags(super().__sklearn_tags__())


def _nonzero(scale):
    scale = np.asarray(scale, dtype=np.float64).copy()
    scale[scale < 10 * np.finfo(np.float64).eps] = 1.0
    return scale


# --------------------------------------------------------------------------
# PerTimestepTransformer
# --------------------------------------------------------------------------
def _inner_has(method):
    def check(self):
        inner = getattr(self, "transformer_", None)
        if inner is None:
            inner = self.transformer if self.transformer is not None else StandardScaler()
        return hasattr(inner, method)

    return check


class PerTimestepTransformer(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Apply a scikit-learn transformer to every time step of every sequence.

    All real time steps of the training sequences are stacked into one 2-D
    table (rows = time steps, columns = features) and a clone of
    ``transformer`` is fitted on it. ``transform`` maps every time step
    through it and puts the sequences back together. Use it for
    :class:`~sklearn.preprocessing.PowerTransformer`,
    :class:`~sklearn.preprocessing.QuantileTransformer`,
    :class:`~sklearn.preprocessing.RobustScaler` and any other transformer
    that keeps the number of columns.

    Parameters
    ----------
    transformer : estimator, default=None
        A transformer with ``fit`` and ``transform`` that returns as many
        columns as it gets. ``None`` means
        :class:`~sklearn.preprocessing.StandardScaler`. It is cloned in
        ``fit``; the fitted copy is ``transformer_``.

    Attributes
    ----------
    transformer_ : estimator
        The fitted clone of ``transformer``.
    n_features_in_ : int
        Number of columns for 2-D input, features per time step otherwise.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Column names, when fitted on a 2-D DataFrame.

    See Also
    --------
    SequenceScaler : Standard or min-max scaling, without a wrapped
        transformer.

    Notes
    -----
    A 2-D array ``(n_samples, n_timesteps)`` is read as univariate series:
    the wrapped transformer sees ONE column holding all values. The output
    is float32.

    ``fit`` hands the wrapped transformer all time steps as one float64
    table (twice the memory of float32 data, plus what the transformer
    itself needs); ``transform`` maps blocks of time steps and needs little
    memory beyond its output.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.preprocessing import MinMaxScaler
    >>> from sklstm.preprocessing import PerTimestepTransformer
    >>> X = [np.array([[0.0], [5.0]]), np.array([[10.0]])]
    >>> step = PerTimestepTransformer(MinMaxScaler()).fit(X)
    >>> [x.ravel().tolist() for x in step.transform(X)]
    [[0.0, 0.5], [1.0]]
    """

    _parameter_constraints = {
        "transformer": [HasMethods(["fit", "transform"]), None],
    }

    def __init__(self, transformer=None):
        self.transformer = transformer

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Fit a clone of ``transformer`` on all stacked time steps of X.

        Parameters
        ----------
        X : array-like or list
            Training sequences: 2-D, 3-D or a list of 2-D arrays.
        y : None
            Ignored (time steps do not line up with per-sequence targets).

        Returns
        -------
        self : PerTimestepTransformer
        """
        batch = _check_sequence_input(self, X, reset=True, pad=False)
        inner = self.transformer if self.transformer is not None else StandardScaler()
        if isinstance(batch, SequenceList):
            rows = np.concatenate(batch.sequences, dtype=np.float64)
        else:
            rows = _valid_rows(batch).astype(np.float64)
        self.transformer_ = clone(inner).fit(rows)
        return self

    def _apply(self, X, method):
        batch = _check_sequence_input(self, X, reset=False, pad=False)
        transform = getattr(self.transformer_, method)
        name = type(self.transformer_).__name__

        def apply(rows):
            # one block of time steps at a time (the transformers it wraps
            # map every row on its own)
            rows = rows.astype(np.float64)
            out = transform(rows)
            if hasattr(out, "toarray"):
                raise ValueError(
                    f"{name}.{method} returned a sparse matrix; "
                    "PerTimestepTransformer needs a dense result."
                )
            out = np.asarray(out, dtype=np.float32)
            if out.ndim != 2 or out.shape != rows.shape:
                raise ValueError(
                    f"{name}.{method} turned {rows.shape[1]} feature(s) into an "
                    f"output of shape {out.shape}; PerTimestepTransformer needs "
                    "a transformer that keeps the number of features."
                )
            return out

        return _map_steps(batch, apply)

    def transform(self, X):
        """Transform every time step with the fitted transformer.

        Parameters
        ----------
        X : array-like or list
            Sequences in any layout with the fitted number of features.

        Returns
        -------
        X_new : ndarray or list of ndarray
            Same layout and lengths as ``X``, float32.
        """
        return self._apply(X, "transform")

    @available_if(_inner_has("inverse_transform"))
    def inverse_transform(self, X):
        """Map every time step back with the fitted transformer.

        Available when the wrapped transformer has ``inverse_transform``.

        Parameters
        ----------
        X : array-like or list
            Transformed sequences in any layout.

        Returns
        -------
        X_original : ndarray or list of ndarray
            Same layout and lengths as ``X``, float32.
        """
        return self._apply(X, "inverse_transform")

    def __sklearn_tags__(self):
        return _sequence_tags(super().__sklearn_tags__())


# --------------------------------------------------------------------------
# SequencePadder
# --------------------------------------------------------------------------
class SequencePadder(TransformerMixin, BaseEstimator):
    """Pad and truncate sequences to one fixed length.

    Turns a ragged list of ``(n_timesteps_i, n_features)`` arrays into a 3-D
    array ``(n_samples, max_len, n_features)``; 3-D input is padded or
    truncated along the time axis, and 2-D input stays 2-D with ``max_len``
    columns.

    The LSTM estimators of sklstm take ragged lists directly and never look
    at padding, so this step is for models that need one fixed shape, for
    cutting very long sequences short, or for making padding explicit.

    Parameters
    ----------
    max_len : int, default=None
        Output length. ``None`` means the length of the longest training
        sequence (learned in ``fit`` as ``max_len_``).
    padding : {"pre", "post"}, default="pre"
        Where short sequences get filled with ``value``: before (``"pre"``)
        or after (``"post"``) the data. ``"pre"`` keeps the real data at the
        end, where a recurrent network that reads the last output of a
        fixed-length array needs it.
    truncating : {"pre", "post"}, default="pre"
        Which end of a long sequence is cut: ``"pre"`` drops the first time
        steps (keeps the most recent ones), ``"post"`` drops the last ones.
    value : float, default=0.0
        Fill value.

    Attributes
    ----------
    max_len_ : int
        The output length.
    n_features_in_ : int
        Number of columns for 2-D input, features per time step otherwise.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Column names, when fitted on a 2-D DataFrame.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm.preprocessing import SequencePadder
    >>> X = [np.array([1.0, 2.0]), np.array([3.0, 4.0, 5.0])]
    >>> SequencePadder().fit_transform(X)[:, :, 0].tolist()
    [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    >>> SequencePadder(max_len=2, padding="post", truncating="post",
    ...                value=-1).fit_transform(X)[:, :, 0].tolist()
    [[1.0, 2.0], [3.0, 4.0]]
    """

    _parameter_constraints = {
        "max_len": [Interval(Integral, 1, None, closed="left"), None],
        "padding": [StrOptions({"pre", "post"})],
        "truncating": [StrOptions({"pre", "post"})],
        "value": [Real],
    }

    def __init__(self, max_len=None, padding="pre", truncating="pre", value=0.0):
        self.max_len = max_len
        self.padding = padding
        self.truncating = truncating
        self.value = value

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the output length.

        Parameters
        ----------
        X : array-like or list
            Training sequences: 2-D, 3-D or a list of 2-D arrays.
        y : None
            Ignored.

        Returns
        -------
        self : SequencePadder
        """
        batch = _check_sequence_input(self, X, reset=True, pad=False)
        self.max_len_ = int(self.max_len or batch.lengths.max())
        return self

    def transform(self, X):
        """Pad or truncate every sequence to ``max_len_`` time steps.

        Parameters
        ----------
        X : array-like or list
            Sequences in any layout with the fitted number of features.

        Returns
        -------
        X_padded : ndarray of shape (n_samples, ``max_len_``, n_features)
            For 2-D input, shape ``(n_samples, max_len_)``. float32.
        """
        batch = _check_sequence_input(self, X, reset=False, pad=False)
        if isinstance(batch, SequenceList):
            seqs = batch.sequences  # written straight into the output
        else:
            seqs = _as_3d(batch)
        n, c = batch.n_samples, batch.n_features
        out = np.full((n, self.max_len_, c), self.value, dtype=np.float32)
        for i, length in enumerate(batch.lengths):
            seq = seqs[i][:length]
            if length > self.max_len_:
                seq = seq[-self.max_len_:] if self.truncating == "pre" else seq[: self.max_len_]
            if self.padding == "pre":
                out[i, self.max_len_ - len(seq):] = seq
            else:
                out[i, : len(seq)] = seq
        return out[:, :, 0] if batch.kind == "2d" else out

    def __sklearn_tags__(self):
        return _sequence_tags(super().__sklearn_tags__())


# --------------------------------------------------------------------------
# TextToSequences
# --------------------------------------------------------------------------
PAD_ID = 0
OOV_ID = 1
_OOV_TOKEN = "<unk>"


def _check_texts(X):
    if isinstance(X, (str, bytes)):
        raise ValueError(
            "Iterable over raw text documents expected, string object "
            "received. Wrap a single text in a list: [text]."
        )
    if hasattr(X, "ndim") and X.ndim == 2 and X.shape[1] == 1:
        X = np.asarray(X).ravel()
    elif hasattr(X, "ndim") and X.ndim != 1:
        raise ValueError(
            f"Expected a 1-D sequence of texts; got an array of shape {X.shape}."
        )
    texts = list(X.tolist() if isinstance(X, np.ndarray) else X)
    if len(texts) == 0:
        raise ValueError(
            "Found an empty list of texts (0 samples); at least one text is "
            "required."
        )
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise ValueError(
                f"text {i} is {type(text).__name__} ({text!r}), not str; "
                "replace missing texts with '' first."
            )
    return texts


class TextToSequences(TransformerMixin, BaseEstimator):
    """Turn raw texts into padded sequences of integer token ids.

    ``fit`` learns a vocabulary from the training texts; ``transform``
    splits each text into tokens and writes their ids into one row of a 2-D
    int64 array padded with 0 at the end: the token input of
    ``LSTMClassifier(embedding_dim=...)`` and ``LSTMRegressor``.

    Ids: ``0`` is padding, ``1`` is any out-of-vocabulary token (a word not
    seen in the training fold or cut by ``max_features``/``min_df``), and
    ``2, 3, ...`` are the kept tokens from the most to the least frequent
    (ties in alphabetical order). A text without any token becomes ``[1]``,
    so that no row is all padding.

    Parameters
    ----------
    max_features : int, default=None
        Keep only the ``max_features`` most frequent tokens. ``None`` keeps
        all.
    max_len : int, default=None
        Number of columns of the output; longer texts keep their first
        ``max_len`` tokens. ``None`` means the token count of the longest
        training text (learned as ``max_len_``), so the output width never
        depends on the batch.
    lowercase : bool, default=True
        Lower-case texts before tokenizing.
    token_pattern : str, default=r"(?u)\\b\\w+\\b"
        Regular expression of a token. Unlike scikit-learn's
        ``CountVectorizer``, one-character words ("a", "I") are kept, as
        order-aware models can use them.
    min_df : int or float, default=1
        Ignore tokens found in fewer training texts than this (an int is a
        count, a float in (0, 1] a fraction of the texts).
    normalization : {"NFC", "NFKC", "NFD", "NFKD"} or None, default="NFC"
        Unicode normal form every text is put in (after lower-casing) before
        tokenizing, so that texts that read the same get the same ids: "é"
        typed as one character or as "e" plus a combining accent is one
        token. ``"NFKC"`` also folds compatibility characters (full-width
        letters, ligatures such as "ﬁ"); ``None`` leaves texts as they are.

    Attributes
    ----------
    vocabulary_ : dict of str to int
        Token to id (ids from 2).
    n_tokens_ : int
        Largest id + 1: the number of embeddings a model needs.
    max_len_ : int
        Number of columns of the output.

    Examples
    --------
    >>> from sklstm.preprocessing import TextToSequences
    >>> tts = TextToSequences().fit(["a good film", "a bad film", "good"])
    >>> tts.vocabulary_
    {'a': 2, 'film': 3, 'good': 4, 'bad': 5}
    >>> tts.transform(["good film", "an awful film", ""]).tolist()
    [[4, 3, 0], [1, 1, 3], [1, 0, 0]]
    >>> tts.n_tokens_
    6
    """

    _parameter_constraints = {
        "max_features": [Interval(Integral, 1, None, closed="left"), None],
        "max_len": [Interval(Integral, 1, None, closed="left"), None],
        "lowercase": ["boolean"],
        "token_pattern": [str],
        "min_df": [
            Interval(Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0, 1, closed="right"),
        ],
        "normalization": [StrOptions({"NFC", "NFKC", "NFD", "NFKD"}), None],
    }

    def __init__(self, max_features=None, max_len=None, lowercase=True,
                 token_pattern=r"(?u)\b\w+\b", min_df=1, normalization="NFC"):
        self.max_features = max_features
        self.max_len = max_len
        self.lowercase = lowercase
        self.token_pattern = token_pattern
        self.min_df = min_df
        self.normalization = normalization

    def _tokenize(self, texts):
        pattern = re.compile(self.token_pattern)
        form = getattr(self, "normalization", None)  # None: fitted before it existed

        def prepare(text):
            if self.lowercase:
                text = text.lower()
            return unicodedata.normalize(form, text) if form else text

        return [pattern.findall(prepare(t)) for t in texts]

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the vocabulary (and ``max_len_``) from the training texts.

        Parameters
        ----------
        X : iterable of str
            Training texts.
        y : None
            Ignored.

        Returns
        -------
        self : TextToSequences
        """
        texts = _check_texts(X)
        tokens = self._tokenize(texts)
        counts = Counter(tok for doc in tokens for tok in doc)
        doc_freq = Counter(tok for doc in tokens for tok in set(doc))
        min_count = self.min_df if isinstance(self.min_df, Integral) else self.min_df * len(texts)
        kept = sorted(
            (tok for tok in counts if doc_freq[tok] >= min_count),
            key=lambda tok: (-counts[tok], tok),
        )
        if self.max_features is not None:
            kept = kept[: self.max_features]
        if not kept:
            raise ValueError(
                "empty vocabulary: the training texts hold no token matching "
                f"token_pattern={self.token_pattern!r} (with min_df="
                f"{self.min_df!r})."
            )
        self.vocabulary_ = {tok: i + 2 for i, tok in enumerate(kept)}
        self.n_tokens_ = len(kept) + 2
        self.max_len_ = int(self.max_len or max(max(len(d) for d in tokens), 1))
        return self

    def transform(self, X):
        """Map texts to a 2-D array of token ids padded with 0.

        Parameters
        ----------
        X : iterable of str
            Texts.

        Returns
        -------
        ids : ndarray of shape (n_samples, ``max_len_``), dtype int64
        """
        check_is_fitted(self)
        texts = _check_texts(X)
        vocab = self.vocabulary_
        out = np.zeros((len(texts), self.max_len_), dtype=np.int64)
        for i, doc in enumerate(self._tokenize(texts)):
            ids = [vocab.get(tok, OOV_ID) for tok in doc[: self.max_len_]] or [OOV_ID]
            out[i, : len(ids)] = ids
        return out

    def fit_transform(self, X, y=None):
        """Learn the vocabulary from the texts and map them to token ids.

        Equivalent to ``fit(X).transform(X)``, reading ``X`` once (so a
        generator of texts works).

        Parameters
        ----------
        X : iterable of str
            Training texts.
        y : None
            Ignored.

        Returns
        -------
        ids : ndarray of shape (n_samples, ``max_len_``), dtype int64
        """
        if not isinstance(X, (str, bytes, np.ndarray)) and not hasattr(X, "__len__"):
            X = list(X)  # a generator or other one-pass iterable
        return self.fit(X, y).transform(X)

    def inverse_transform(self, X):
        """Map token ids back to texts (padding dropped, unknown ids as "<unk>").

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps)
            Token ids.

        Returns
        -------
        texts : list of str
        """
        check_is_fitted(self)
        inverse = {i: tok for tok, i in self.vocabulary_.items()}
        ids = np.asarray(X)
        if ids.ndim != 2:
            raise ValueError(f"Expected a 2-D array of token ids; got shape {ids.shape}.")
        return [
            " ".join(inverse.get(int(i), _OOV_TOKEN) for i in row if i != PAD_ID)
            for row in ids
        ]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        return tags


# --------------------------------------------------------------------------
# forecasting helpers
# --------------------------------------------------------------------------
def _positive_int(value, name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}.")
    return int(value)


def _check_series(series, name="series", *, ndims=(1, 2)):
    try:
        arr = np.asarray(series, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must hold numbers: {exc}") from exc
    if arr.ndim not in ndims:
        raise ValueError(
            f"{name} must have {' or '.join(f'{d}-D' for d in ndims)} shape; "
            f"got an array of shape {arr.shape}."
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty.")
    bad = ~np.isfinite(arr)
    if bad.any():
        where = np.flatnonzero(bad.reshape(arr.shape[0], -1).any(axis=1))
        raise ValueError(
            f"{name} contains NaN or infinity at time step(s) "
            f"{where[:5].tolist()}{' ...' if len(where) > 5 else ''}; fill or "
            "drop missing values first."
        )
    return arr


def _target_column(series, arr, target):
    n_cols = arr.shape[1]
    if target is None:
        if n_cols == 1:
            return 0
        raise ValueError(
            f"series has {n_cols} columns: pass target= (a column index or "
            "name) to choose the column to forecast."
        )
    if isinstance(target, str):
        columns = list(getattr(series, "columns", []))
        if target not in columns:
            raise ValueError(f"target {target!r} is not a column of series.")
        return columns.index(target)
    if isinstance(target, (bool, np.bool_)) or not isinstance(target, Integral):
        raise ValueError(f"target must be a column index or name; got {target!r}.")
    if not -n_cols <= target < n_cols:
        raise ValueError(f"target={target} is out of range for {n_cols} column(s).")
    return int(target) % n_cols


def make_windows(series, lookback, horizon=1, step=1, target=None):
    """Cut a series into supervised (past window, future values) pairs.

    For window ``i``::

        X[i] = series[i * step : i * step + lookback]                 # all columns
        y[i] = series[i * step + lookback :
                      i * step + lookback + horizon, target]          # one column

    so every target lies strictly after its input window, and the number of
    windows is ``(len(series) - lookback - horizon) // step + 1``.

    Parameters
    ----------
    series : array-like of shape (n_timesteps,) or (n_timesteps, n_features)
        One series in time order: 1-D, or 2-D with one column per feature
        (a pandas Series or DataFrame works).
    lookback : int
        Number of past time steps in every input window.
    horizon : int, default=1
        Number of future values to predict.
    step : int, default=1
        Shift between consecutive windows.
    target : int or str, default=None
        Column of a 2-D series to forecast (index, or column name for a
        DataFrame). Required when the series has more than one column.

    Returns
    -------
    X : ndarray of shape (n_windows, lookback, n_features)
        Input windows (float64); ``n_features`` is 1 for a 1-D series.
    y : ndarray of shape (n_windows, horizon)
        Targets (float64). With ``horizon=1`` use ``y.ravel()`` for a 1-D
        target.

    Raises
    ------
    ValueError
        If ``lookback``, ``horizon`` or ``step`` is not a positive integer,
        the series holds NaN or is shorter than ``lookback + horizon``.

    See Also
    --------
    train_test_split_series : Split windows in time order.
    seasonal_naive_forecast : Baseline forecasts for the same windows.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm.preprocessing import make_windows
    >>> X, y = make_windows(np.arange(6), lookback=3, horizon=2)
    >>> X.shape, y.shape
    ((2, 3, 1), (2, 2))
    >>> X[1, :, 0].tolist(), y[1].tolist()
    ([1.0, 2.0, 3.0], [4.0, 5.0])
    """
    lookback = _positive_int(lookback, "lookback")
    horizon = _positive_int(horizon, "horizon")
    step = _positive_int(step, "step")
    arr = _check_series(series)
    if arr.ndim == 1:
        if target not in (None, 0, -1):
            raise ValueError(f"target={target!r} given for a 1-D series; leave it None.")
        arr2 = arr[:, None]
        col = 0
    else:
        arr2 = arr
        col = _target_column(series, arr, target)
    n_steps = arr2.shape[0]
    if lookback + horizon > n_steps:
        raise ValueError(
            f"lookback + horizon = {lookback + horizon} time steps is longer "
            f"than the series ({n_steps} time steps): no window fits."
        )
    n_windows = (n_steps - lookback - horizon) // step + 1
    starts = np.arange(n_windows) * step
    X = arr2[starts[:, None] + np.arange(lookback)]
    y = arr2[starts[:, None] + lookback + np.arange(horizon), col]
    return X, y


def train_test_split_series(*arrays, test_size=0.25, gap=0):
    """Split arrays in time order: the first part trains, the last part tests.

    Like :func:`sklearn.model_selection.train_test_split` with
    ``shuffle=False``, plus a ``gap`` of samples dropped between the two
    parts. For cross-validation use
    :class:`sklearn.model_selection.TimeSeriesSplit`, which has the same
    ``gap``.

    Windows from :func:`make_windows` overlap: with ``step=1`` the targets of
    the last ``horizon - 1`` training windows are also targets of the first
    test windows. ``gap = ceil(horizon / step) - 1`` removes that overlap.

    Parameters
    ----------
    *arrays : sequence of array-like of the same length
        A series, or windows ``X`` and targets ``y``, in time order.
    test_size : float or int, default=0.25
        Fraction (float in (0, 1)) or number (int) of samples in the test
        part, taken from the end.
    gap : int, default=0
        Number of samples dropped between the training and the test part.

    Returns
    -------
    splitting : list, length=2 * len(arrays)
        ``train, test`` for every array, as in ``train_test_split``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm.preprocessing import train_test_split_series
    >>> train, test = train_test_split_series(np.arange(10), test_size=3)
    >>> train.tolist(), test.tolist()
    ([0, 1, 2, 3, 4, 5, 6], [7, 8, 9])
    >>> train, test = train_test_split_series(np.arange(10), test_size=3, gap=2)
    >>> train.tolist()
    [0, 1, 2, 3, 4]
    """
    if not arrays:
        raise ValueError("At least one array required as input.")
    arrays = indexable(*arrays)
    n = len(arrays[0])
    if isinstance(test_size, (bool, np.bool_)):
        raise ValueError(f"test_size must be a float or an int; got {test_size!r}.")
    if isinstance(test_size, Integral):
        if not 1 <= test_size < n:
            raise ValueError(
                f"test_size={test_size} must be between 1 and n_samples - 1 = {n - 1}."
            )
        n_test = int(test_size)
    elif isinstance(test_size, Real) and 0 < test_size < 1:
        n_test = math.ceil(test_size * n)
    else:
        raise ValueError(
            f"test_size must be a float in (0, 1) or an int; got {test_size!r}."
        )
    if isinstance(gap, (bool, np.bool_)) or not isinstance(gap, Integral) or gap < 0:
        raise ValueError(f"gap must be a non-negative integer; got {gap!r}.")
    n_train = n - n_test - gap
    if n_train < 1:
        raise ValueError(
            f"No training samples left: {n} samples, test_size={n_test}, gap={gap}."
        )
    train = np.arange(n_train)
    test = np.arange(n_train + gap, n)
    out = []
    for a in arrays:
        out.extend([_safe_indexing(a, train), _safe_indexing(a, test)])
    return out


def seasonal_naive_forecast(history, horizon=1, season_length=1, target=None):
    """Forecast by repeating the last observed season.

    The value ``h`` steps ahead (``h = 1 .. horizon``) is the last observed
    value at the same point of the season::

        forecast[h - 1] = history[T - season_length + (h - 1) % season_length]

    where ``T`` is the length of the history. ``season_length=1`` gives the
    naive forecast (repeat the last value). It is the baseline a learned
    forecaster should beat; on windows from :func:`make_windows` it returns
    one forecast per window, directly comparable with ``y``.

    Parameters
    ----------
    history : array-like
        1-D: one series, returns ``(horizon,)``. 2-D ``(n_windows,
        lookback)`` or 3-D ``(n_windows, lookback, n_features)``: windows (the
        package's 2-D and 3-D layouts), returns ``(n_windows, horizon)``. To
        forecast one multivariate series, pass the column you want.
    horizon : int, default=1
        Number of steps to forecast.
    season_length : int, default=1
        Length of the season (12 for monthly data with a yearly cycle).
    target : int, default=None
        Feature to forecast for 3-D windows; required when they have more
        than one feature.

    Returns
    -------
    forecast : ndarray of shape (horizon,) or (n_windows, horizon)

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm.preprocessing import seasonal_naive_forecast
    >>> seasonal_naive_forecast([1, 2, 3, 4, 5, 6], horizon=4, season_length=3).tolist()
    [4.0, 5.0, 6.0, 4.0]
    >>> seasonal_naive_forecast(np.array([[1, 2], [3, 4]]), horizon=2).tolist()
    [[2.0, 2.0], [4.0, 4.0]]
    """
    horizon = _positive_int(horizon, "horizon")
    season_length = _positive_int(season_length, "season_length")
    arr = _check_series(history, "history", ndims=(1, 2, 3))
    if arr.ndim == 3:
        arr = arr[:, :, _target_column(None, arr[0], target)]
    length = arr.shape[-1]
    if season_length > length:
        raise ValueError(
            f"season_length={season_length} is longer than the history "
            f"({length} time steps)."
        )
    idx = length - season_length + np.arange(horizon) % season_length
    return arr[..., idx]
