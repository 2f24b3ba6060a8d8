"""Sequence-aware transformers: scaling, per-time-step transformers, padding."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin, clone
from sklearn.preprocessing import StandardScaler
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from .._data import SequenceList, check_fitted_layout, check_sequences
from .._sklearn_compat import HasMethods, Interval, StrOptions
from .._sklearn_compat import fit_context as _fit_context

__all__ = ["PerTimestepTransformer", "SequencePadder", "SequenceScaler"]


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
    """Validate X with check_sequences and the layout rule of the package.

    See :func:`sklstm._data.check_fitted_layout`: a transformer fitted on 2-D
    input also accepts univariate 3-D or ragged input of any length, and the
    other way round. With ``pad=False`` ragged input comes back as an
    unpadded :class:`~sklstm._data.SequenceList`.
    """
    if not reset:
        check_is_fitted(est)
    batch = check_sequences(X, pad=pad)
    check_fitted_layout(est, X, batch, reset=reset)
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
