"""Text to token-id sequences for the embedding layer of the estimators."""

import re
import unicodedata
from collections import Counter
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._sklearn_compat import Interval, RealNotInt, StrOptions
from .._sklearn_compat import fit_context as _fit_context

__all__ = ["OOV_ID", "PAD_ID", "TextToSequences"]


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
