"""Turn user sequence input into arrays the networks can train on.

Every estimator and transformer of sklstm goes through this module, so that
2-D, 3-D and ragged input are validated once, in one place, with the same
error messages.

Three input layouts are understood:

``"2d"``
    ``(n_samples, n_timesteps)``: a univariate series per row. As in the rest
    of scikit-learn, the column count is fixed at fit time.
``"3d"``
    ``(n_samples, n_timesteps, n_features)``: equal-length multivariate
    sequences. The number of time steps may differ between fit and predict.
``"ragged"``
    a list (or 1-D object array) of 2-D ``(n_timesteps_i, n_features)``
    arrays, or of 1-D arrays for univariate series, of unequal lengths.

Token input (integer ids for an embedding layer) is a 2-D integer array
``(n_samples, n_timesteps)`` padded with ``0``, or a list of 1-D integer
arrays.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_array
from sklearn.utils.validation import validate_data

__all__ = [
    "SequenceBatch", "SequenceList", "check_fitted_layout", "check_sample_weight",
    "check_network_input",
    "check_sequences", "pad_sequences", "sequence_kind",
]


@dataclass
class SequenceBatch:
    """Validated sequences as one padded array plus per-sample lengths.

    Attributes
    ----------
    values : ndarray of shape (n_samples, max_len, n_features) or (n_samples, max_len)
        Zero-padded values (float32), or int64 ids for token input.
    lengths : ndarray of shape (n_samples,)
        Number of valid time steps of each sample (int64, all >= 1).
    kind : {"2d", "3d", "ragged", "tokens"}
        Layout the user gave.
    """

    values: np.ndarray
    lengths: np.ndarray
    kind: str

    @property
    def n_samples(self):
        return self.values.shape[0]

    @property
    def n_features(self):
        return 1 if self.values.ndim == 2 else self.values.shape[2]

    @property
    def equal_length(self):
        return bool(np.all(self.lengths == self.values.shape[1]))


@dataclass
class SequenceList:
    """Validated sequences of a list, each its own float32 array, unpadded.

    What :func:`check_sequences` returns for ragged input with
    ``pad=False``: transformers that work sequence by sequence need no
    padded copy (which, for lengths that differ widely, takes several times
    the memory of the data).

    Attributes
    ----------
    sequences : list of ndarray of shape (n_timesteps_i, n_features)
        The sequences as float32 (the input arrays themselves when they
        already were float32).
    lengths : ndarray of shape (n_samples,)
        Number of time steps of each sequence (int64).
    one_d : ndarray of shape (n_samples,)
        True for the sequences given as 1-D arrays (univariate series), which
        a transformer hands back as 1-D.
    kind : {"ragged"}
        Layout the user gave.
    """

    sequences: list
    lengths: np.ndarray
    one_d: np.ndarray
    kind: str = "ragged"

    @property
    def n_samples(self):
        return len(self.sequences)

    @property
    def n_features(self):
        return self.sequences[0].shape[1]

    @property
    def equal_length(self):
        return bool(np.all(self.lengths == self.lengths[0]))


def _is_ragged_container(X):
    if isinstance(X, (list, tuple)):
        return True
    return isinstance(X, np.ndarray) and X.dtype == object and X.ndim == 1


def _as_array(seq, i):
    """``np.asarray`` of one sequence, with a clear error for uneven time steps."""
    try:
        return np.asarray(seq)
    except ValueError as exc:
        if "inhomogeneous" not in str(exc):
            raise
        raise ValueError(
            f"sequence {i} could not be read as a (n_timesteps, n_features) "
            "array: its time steps have different numbers of features. Every "
            "time step of a sequence needs the same features."
        ) from None


def _series_of_sequences(X):
    """The items of a pandas or polars Series of sequences as a list, else ``X``.

    A Series is one-dimensional, so it would read as one feature of one
    sample; a Series whose items are arrays or lists is a list of sequences.
    """
    cls = type(X)
    library = cls.__module__.split(".")[0]
    if cls.__name__ != "Series" or library not in ("pandas", "polars") or not len(X):
        return X
    items = X.to_list() if library == "polars" else list(X)
    first = items[0]
    if isinstance(first, (str, bytes)) or np.ndim(first) == 0:
        return X
    return items


def _reject_masked(X, name="X"):
    """Refuse a masked array with masked entries: the mask would be ignored."""
    if isinstance(X, np.ma.MaskedArray):
        n_masked = int(np.ma.count_masked(X))
        if n_masked:
            raise ValueError(
                f"{name} is a masked array with {n_masked} masked value(s); "
                "masks are not supported and would be silently ignored. Fill "
                f"them ({name}.filled(value)) or drop the masked time steps "
                "(a list of sequences may have different lengths)."
            )


def sequence_kind(X):
    """Return the layout of ``X``: ``"2d"``, ``"3d"`` or ``"ragged"``.

    Lists of equal-length sequences are still ``"ragged"`` (a list layout),
    so that transformers can hand back the layout they were given. A pandas
    or polars Series whose items are sequences is a list of sequences.
    """
    X = _series_of_sequences(X)
    _reject_masked(X)
    if sp.issparse(X):
        raise ValueError(
            "sparse input is not supported: sequence models need dense arrays. "
            "Convert it with X.toarray() first."
        )
    if _is_ragged_container(X):
        if len(X) == 0:
            raise ValueError(
                "Found an empty list of sequences (0 samples); at least one "
                "sequence is required."
            )
        first = _as_array(X[0], 0) if not sp.issparse(X[0]) else X[0]
        if not sp.issparse(first) and first.ndim == 0:
            # a flat list of numbers is a 1-D array, not a list of sequences
            return "1d"
        if not sp.issparse(first) and first.ndim == 1 and not isinstance(X, np.ndarray):
            # scikit-learn reads a list of equal-length rows as a 2-D array
            n = len(first)
            if all(np.ndim(s) == 1 and len(s) == n for s in X):
                return "2d"
        return "ragged"
    ndim = getattr(X, "ndim", None)
    if ndim is None:
        ndim = np.asarray(X).ndim
    return {1: "1d", 2: "2d", 3: "3d"}.get(ndim, f"{ndim}d")


def _check_numeric(arr, *, name, dtype, ensure_all_finite=True, min_samples=1):
    """check_array on a 2-D block; keeps scikit-learn's messages."""
    return check_array(
        arr,
        dtype=dtype,
        ensure_all_finite=ensure_all_finite,
        ensure_min_samples=min_samples,
        input_name=name,
        accept_sparse=False,
    )


def _check_sequence_values(a, i, ensure_all_finite):
    """One sequence of a list as float32, checked like ``check_array``.

    ``check_array`` costs about half a millisecond per call, mostly in its
    dataframe detection: called once per sequence, it dominated short fits on
    lists of a few hundred sequences. Plain numeric arrays therefore take a
    direct route; anything else (object or string dtype, no feature column,
    non-finite values) still goes through ``check_array`` so that the error
    messages are scikit-learn's.
    """
    if a.dtype.kind in "biuf" and a.shape[1] > 0:
        a = a.astype(np.float32, copy=False)
        if ensure_all_finite is True:
            ok = bool(np.isfinite(a).all())
        elif ensure_all_finite == "allow-nan":
            ok = not bool(np.isinf(a).any())
        else:
            ok = True
        if ok:
            return a
    return _check_numeric(
        a, name=f"X[{i}]", dtype=np.float32, ensure_all_finite=ensure_all_finite
    )


def _reject_complex(arr):
    if np.iscomplexobj(arr):
        raise ValueError("Complex data not supported: pass real-valued sequences.")


def check_sequences(X, *, tokens=False, ensure_all_finite=True, min_samples=1,
                    pad=True):
    """Validate sequence input and return a :class:`SequenceBatch`.

    Parameters
    ----------
    X : array-like or list of array-like
        2-D ``(n_samples, n_timesteps)``, 3-D ``(n_samples, n_timesteps,
        n_features)`` or a list of ``(n_timesteps_i, n_features)`` arrays.
    tokens : bool, default=False
        Expect integer token ids (2-D array padded with 0, or a list of 1-D
        integer arrays) instead of real values.
    ensure_all_finite : bool, default=True
        Raise on NaN or infinity.
    min_samples : int, default=1
        Smallest number of samples accepted.
    pad : bool, default=True
        Pad ragged input into one array. With ``False``, ragged input comes
        back as a :class:`SequenceList` of unpadded float32 sequences.

    Returns
    -------
    batch : SequenceBatch or SequenceList

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm._data import check_sequences
    >>> b = check_sequences([np.ones((3, 2)), np.ones((5, 2))])
    >>> b.values.shape, b.lengths.tolist(), b.kind
    ((2, 5, 2), [3, 5], 'ragged')
    """
    X = _series_of_sequences(X)
    kind = sequence_kind(X)
    if tokens:
        return _check_tokens(X, kind, min_samples=min_samples)
    if kind == "1d":
        raise ValueError(
            "Expected 2D array, got 1D array instead. Reshape your data with "
            "X.reshape(-1, 1) if your data has a single feature (one time "
            "step) or X.reshape(1, -1) if it contains a single sample (one "
            "univariate series); or pass 3-D (n_samples, n_timesteps, "
            "n_features) arrays or a list of 2-D sequences."
        )
    if kind == "2d":
        _reject_complex(np.asarray(X) if not hasattr(X, "dtype") else X)
        values = _check_numeric(
            X, name="X", dtype=np.float32,
            ensure_all_finite=ensure_all_finite, min_samples=min_samples,
        )
        lengths = np.full(values.shape[0], values.shape[1], dtype=np.int64)
        return SequenceBatch(np.ascontiguousarray(values), lengths, "2d")
    if kind == "3d":
        arr = np.asarray(X)
        _reject_complex(arr)
        n, t, f = arr.shape
        if n < min_samples:
            raise ValueError(
                f"Found array with {n} sample(s) (shape={arr.shape}) while a "
                f"minimum of {min_samples} is required."
            )
        if t == 0 or f == 0:
            raise ValueError(
                f"Found array with shape {arr.shape}: sequences need at least "
                "one time step and one feature."
            )
        flat = _check_numeric(
            arr.reshape(n * t, f), name="X", dtype=np.float32,
            ensure_all_finite=ensure_all_finite,
        )
        values = np.ascontiguousarray(flat.reshape(n, t, f))
        lengths = np.full(n, t, dtype=np.int64)
        return SequenceBatch(values, lengths, "3d")
    if kind == "ragged":
        seqs, one_d = [], []
        for i, s in enumerate(X):
            if sp.issparse(s):
                raise ValueError(
                    f"sequence {i} is a sparse matrix; sparse input is not "
                    "supported. Convert it with .toarray() first."
                )
            _reject_masked(s, f"X[{i}]")
            a = _as_array(s, i)
            _reject_complex(a)
            one_d.append(a.ndim == 1)
            if a.ndim == 1:
                a = a.reshape(-1, 1)
            if a.ndim != 2:
                raise ValueError(
                    f"sequence {i} has {a.ndim} dimensions; each sequence in a "
                    "list must be 1-D (univariate) or 2-D (n_timesteps, "
                    "n_features)."
                )
            if a.shape[0] == 0:
                raise ValueError(
                    f"sequence {i} has zero length; every sequence needs at "
                    "least one time step. Drop empty sequences before fitting."
                )
            a = _check_sequence_values(a, i, ensure_all_finite)
            if seqs and a.shape[1] != seqs[0].shape[1]:
                raise ValueError(
                    f"sequence {i} has {a.shape[1]} features but sequence 0 has "
                    f"{seqs[0].shape[1]}; all sequences must have the same "
                    "number of features (the length may differ)."
                )
            seqs.append(a)
        if len(seqs) < min_samples:
            raise ValueError(
                f"Found {len(seqs)} sequence(s) while a minimum of "
                f"{min_samples} is required."
            )
        if not pad:
            lengths = np.fromiter((len(a) for a in seqs), dtype=np.int64,
                                  count=len(seqs))
            return SequenceList(seqs, lengths, np.array(one_d, dtype=bool))
        values, lengths = pad_sequences(seqs)
        return SequenceBatch(values, lengths, "ragged")
    raise ValueError(
        f"Found array with {kind[:-1]} dimensions; expected 2-D (n_samples, "
        "n_timesteps), 3-D (n_samples, n_timesteps, n_features) or a list of "
        "2-D sequences."
    )


def pad_sequences(seqs, *, dtype=np.float32, value=0):
    """Zero-pad a list of ``(n_timesteps_i, ...)`` arrays at the end.

    Returns
    -------
    values : ndarray of shape (n_samples, max_len, ...)
    lengths : ndarray of shape (n_samples,)
    """
    lengths = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=len(seqs))
    tail = np.asarray(seqs[0]).shape[1:]
    out = np.full((len(seqs), int(lengths.max()), *tail), value, dtype=dtype)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = s
    return out, lengths


def _check_tokens(X, kind, *, min_samples=1):
    if kind == "2d":
        arr = np.asarray(X)
        if arr.size and not np.issubdtype(arr.dtype, np.integer):
            if not np.issubdtype(arr.dtype, np.floating) or not np.all(
                np.isfinite(arr) & (arr == np.round(arr))
            ):
                raise ValueError(
                    "token input must hold integer ids (got dtype "
                    f"{arr.dtype}); use sklstm.preprocessing.TextToSequences "
                    "to turn text into ids."
                )
        arr = _check_numeric(arr, name="X", dtype=np.int64, min_samples=min_samples)
        nonpad = arr != 0
        # length = position of the last non-padding id + 1 (at least 1)
        lengths = np.where(
            nonpad.any(axis=1), arr.shape[1] - np.argmax(nonpad[:, ::-1], axis=1), 1
        ).astype(np.int64)
        values = np.ascontiguousarray(arr)
    elif kind == "ragged":
        seqs = []
        for i, s in enumerate(X):
            _reject_masked(s, f"X[{i}]")
            a = np.asarray(s)
            if a.ndim != 1:
                raise ValueError(
                    f"token sequence {i} has {a.ndim} dimensions; each token "
                    "sequence must be a 1-D array of integer ids."
                )
            if a.size == 0:
                raise ValueError(
                    f"token sequence {i} is empty; every sequence needs at "
                    "least one token (map empty texts to [1], the unknown id)."
                )
            if not np.issubdtype(a.dtype, np.integer):
                raise ValueError(
                    f"token sequence {i} has dtype {a.dtype}; token ids must "
                    "be integers."
                )
            seqs.append(a.astype(np.int64))
        if len(seqs) < min_samples:
            raise ValueError(
                f"Found {len(seqs)} sequence(s) while a minimum of "
                f"{min_samples} is required."
            )
        values, lengths = pad_sequences(seqs, dtype=np.int64)
    else:
        raise ValueError(
            "token input must be a 2-D integer array (n_samples, n_timesteps) "
            f"padded with 0, or a list of 1-D integer arrays; got {kind} input."
        )
    if values.size and values.min() < 0:
        raise ValueError("token ids must be >= 0 (0 is the padding id).")
    return SequenceBatch(values, lengths, "tokens")


def check_fitted_layout(est, X, batch, *, reset, same_length=False, validated=False):
    """Record (``reset``) or check the input layout an estimator was fitted on.

    The one rule that the estimators and the transformers share:

    * fitted on 2-D input ``(n_samples, n_timesteps)``, one univariate series
      per row: ``n_features_in_`` is the number of columns and a DataFrame's
      column names are remembered, both by scikit-learn's ``validate_data``.
      Later 2-D input must have as many columns (and the same names);
      univariate 3-D or ragged input is accepted too, with as many time
      steps when ``same_length`` (a network fitted on fixed-length rows);
    * fitted on 3-D or ragged input: ``n_features_in_`` is the number of
      features per time step and there are no feature names. Later input
      may have any length but as many features; a 2-D array is read as
      univariate series.

    Parameters
    ----------
    est : estimator
        The estimator or transformer; the layout is kept in its
        ``_input_kind`` (``"2d"`` or ``"sequences"``).
    X : object
        The input as the user gave it (for ``validate_data``).
    batch : SequenceBatch or SequenceList
        The validated input.
    reset : bool
        Whether this is a ``fit`` (record) or a later call (check).
    same_length : bool, default=False
        Whether sequences given after a 2-D fit must have the fitted number
        of time steps.
    validated : bool, default=False
        Whether the caller already ran ``validate_data`` on the 2-D ``X``
        with this ``reset``.

    Raises
    ------
    ValueError
        When the input does not fit the recorded layout, saying how to pass
        it.
    """
    name = type(est).__name__
    given_2d = batch.kind == "2d"
    n_features = batch.n_features
    if reset:
        if given_2d:
            if not validated:
                validate_data(est, X, reset=True, skip_check_array=True)
            est._input_kind = "2d"
        else:
            est.n_features_in_ = n_features
            if hasattr(est, "feature_names_in_"):
                del est.feature_names_in_
            est._input_kind = "sequences"
        return
    expected = est.n_features_in_
    if est._input_kind == "2d":
        if given_2d:
            if not validated:
                validate_data(est, X, reset=False, skip_check_array=True)
            return
        steps = (batch.values.shape[1] if isinstance(batch, SequenceBatch)
                 else None)
        if n_features == 1 and (not same_length or steps == expected):
            return
        length = f" of {expected} time steps" if same_length else ""
        got = (f"of shape {batch.values.shape}" if isinstance(batch, SequenceBatch)
               else f"of {n_features} features per time step")
        raise ValueError(
            f"{name} was fitted on 2-D input of {expected} time steps (one "
            f"univariate series per row); got {batch.kind} input {got}. Pass a "
            f"2-D array with {expected} columns or univariate sequences{length}, "
            "or refit on 3-D or ragged input to allow other lengths and features."
        )
    if n_features == expected:
        return
    if given_2d:
        rows, cols = np.shape(batch.values)[:2]
        hint = (
            f" If it is one sequence of {rows} time steps, add a first axis: "
            f"X[None] has shape (1, {rows}, {cols})."
            if cols == expected else
            f" Pass a 3-D array of shape (n_samples, n_timesteps, {expected}) or a "
            f"list of (n_timesteps, {expected}) arrays."
        )
        raise ValueError(
            f"X has 1 features, but {name} is expecting {expected} features as "
            f"input: it was fitted on sequences of {expected} features per time "
            f"step, and a 2-D array of shape {(rows, cols)} is read as {rows} "
            "univariate series." + hint
        )
    raise ValueError(
        f"X has {n_features} features, but {name} is expecting {expected} "
        "features as input (features per time step; a 2-D array counts as one "
        "feature)."
    )


#: The largest magnitude a network's real-valued input may have: the square
#: root of float32's largest value. Beyond it squares (variances, norms)
#: overflow to infinity, and the network's gates saturate, so a fit on such
#: values learns nothing while every loss stays finite.
MAX_INPUT_MAGNITUDE = float(np.sqrt(np.finfo(np.float32).max))


def check_network_input(values, name="X"):
    """Refuse real-valued network input too large for float32 arithmetic.

    ``values`` are validated float32 values (finite). Raises a
    ``ValueError`` that names the largest magnitude and says how to scale.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm._data import check_network_input
    >>> check_network_input(np.ones((2, 3, 1), np.float32))
    >>> try:
    ...     check_network_input(np.full((2, 3, 1), 1e30, np.float32))
    ... except ValueError as exc:
    ...     print(str(exc)[:35])
    X holds values as large as 1e+30 in
    """
    if values.size == 0:
        return
    largest = max(float(values.max()), -float(values.min()))
    if largest > MAX_INPUT_MAGNITUDE:
        raise ValueError(
            f"{name} holds values as large as {largest:.3g} in magnitude. The "
            "network computes in float32, where squares of values beyond "
            f"{MAX_INPUT_MAGNITUDE:.3g} overflow and its gates saturate: it "
            "would train without learning anything and without an error. "
            "Scale the input first, e.g. with "
            "sklstm.preprocessing.SequenceScaler in a pipeline (or "
            "StandardScaler on 2-D rows)."
        )


def check_sample_weight(sample_weight, n_samples):
    """Validate ``sample_weight`` for ``n_samples`` sequences.

    Returns ``None`` when there are no weights or when every weight is the
    same (the weighted mean loss is then the plain mean, so the fit is the
    unweighted one exactly), else a float32 array of shape ``(n_samples,)``.
    Weights must be finite and >= 0 with at least one above zero.
    """
    if sample_weight is None:
        return None
    if sp.issparse(sample_weight):
        raise ValueError("sample_weight must be a dense 1-D array, got a sparse matrix.")
    _reject_masked(sample_weight, name="sample_weight")
    w = np.asarray(sample_weight)
    if w.ndim == 0:
        w = np.full(n_samples, float(w))
    if w.ndim != 1:
        raise ValueError(
            f"sample_weight must be 1-D with one weight per sample; got shape "
            f"{w.shape}. Pass an array of shape ({n_samples},)."
        )
    if w.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight has {w.shape[0]} weights but X has {n_samples} "
            "samples; pass one weight per sample."
        )
    if w.dtype.kind not in "biuf":
        raise ValueError(
            f"sample_weight must hold numbers, got dtype {w.dtype}; convert it "
            "with np.asarray(sample_weight, dtype=float)."
        )
    w = w.astype(np.float64)
    if not np.isfinite(w).all():
        raise ValueError(
            "sample_weight contains NaN or inf; every weight must be a finite "
            "number >= 0."
        )
    if (w < 0).any():
        raise ValueError(
            f"sample_weight contains {int((w < 0).sum())} negative weight(s); a "
            "negative weight would reward the loss for errors on that sample. "
            "Use weights >= 0 (0 leaves a sample out)."
        )
    if not (w > 0).any():
        raise ValueError(
            "Sample weights must contain at least one non-zero number: every "
            "weight is zero, so there is nothing to train on."
        )
    if (w == w[0]).all():
        return None
    return w.astype(np.float32)
