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

The code lives in one module per subject: ``_sequence`` (the sequence
transformers), ``_text`` (:class:`TextToSequences`) and ``_forecasting``;
import everything from ``sklstm.preprocessing``.
"""

from ._forecasting import make_windows, seasonal_naive_forecast, train_test_split_series
from ._sequence import PerTimestepTransformer, SequencePadder, SequenceScaler
from ._text import TextToSequences

__all__ = [
    "PerTimestepTransformer",
    "SequencePadder",
    "SequenceScaler",
    "TextToSequences",
    "make_windows",
    "seasonal_naive_forecast",
    "train_test_split_series",
]
